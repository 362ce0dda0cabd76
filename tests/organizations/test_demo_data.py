"""Demo log-ins (``load_demo_data``): named by role, never as people; idempotent; other apps'
demo modules plug in."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations import demo
from organizations.models import Membership, Organization, Role
from organizations.selectors import may_act

pytestmark = pytest.mark.django_db

User = get_user_model()


def _load_demo() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def test_usernames_are_the_lowercase_acronym_without_punctuation_and_the_role():
    assert demo.username_for("USD(AT&L)", Role.APPROVER) == "usdatl_approver"
    assert demo.username_for("USD(P)", Role.ACTION_OFFICER) == "usdp_action_officer"
    assert demo.username_for("J5", Role.ORG_ADMIN) == "j5_org_admin"
    assert demo.username_for("DA", Role.REVIEWER) == "da_reviewer"


def test_every_key_organization_gets_one_demo_user_per_role(reference_data, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "A-Password-For-This-Test-7")
    output = _load_demo()
    for acronym in demo.DEMO_ORGANIZATIONS:
        organization = Organization.objects.get(acronym=acronym, active=True)
        for role in Role.values:
            user = User.objects.get(username=demo.username_for(acronym, role))
            assert user.is_staff and not user.is_superuser
            assert may_act(user=user, organization=organization, role=role)
            assert user.groups.filter(name=demo.ROLE_GROUPS[role]).exists()
            assert user.username in output
    assert User.objects.filter(username__endswith="_approver").count() == len(demo.DEMO_ORGANIZATIONS)
    assert User.objects.get(username="eucom_approver").check_password("A-Password-For-This-Test-7")


def test_demo_users_are_named_by_role_never_as_invented_people(reference_data):
    _load_demo()
    user = User.objects.get(username="eucom_action_officer")
    assert (user.first_name, user.last_name) == ("EUCOM", "Action officer")


def test_reviewers_and_approvers_are_designated_coordinators_and_the_others_are_not(reference_data):
    _load_demo()
    eucom = Organization.objects.get(acronym="EUCOM")
    for role in Role.values:
        user = User.objects.get(username=f"eucom_{role}")
        assert may_act(user=user, organization=eucom, role=role, coordinator=True) == (
            role in (Role.REVIEWER, Role.APPROVER)
        )


def test_the_administrator_is_a_superuser_and_the_auditor_reads_everything(reference_data):
    _load_demo()
    administrator = User.objects.get(username="administrator")
    auditor = User.objects.get(username="auditor")
    assert administrator.is_superuser and administrator.is_staff
    assert auditor.is_staff and not auditor.is_superuser
    assert auditor.has_perm("organizations.view_all_memberships")
    assert auditor.has_perm("organizations.view_membership")
    assert not auditor.has_perm("organizations.change_membership")


def test_organization_administrators_manage_memberships_and_delegations_only(reference_data):
    _load_demo()
    org_admin = User.objects.get(username="eucom_org_admin")
    assert org_admin.has_perm("organizations.change_membership")
    assert org_admin.has_perm("organizations.add_delegation")
    assert not org_admin.has_perm("organizations.change_organization")
    assert not org_admin.has_perm("organizations.view_all_memberships")


def test_the_command_prints_the_log_ins_table(reference_data):
    output = _load_demo()
    table = output[output.index("username"):]
    assert "usdatl_org_admin" in table and "USD(AT&L)" in table and "Organization administrator" in table
    assert "administrator" in table and "auditor" in table


def test_a_second_run_changes_nothing_and_says_so(reference_data):
    _load_demo()
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        demo.load(stdout=out)
    assert "demo users: 0 created, 0 updated, 42 unchanged" in out.getvalue()
    assert "demo memberships: 0 created, 0 updated, 40 unchanged" in out.getvalue()
    assert "role group permissions: 0 added" in out.getvalue()
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_a_run_restores_what_was_changed_since(reference_data):
    _load_demo()
    user = User.objects.get(username="j5_reviewer")
    Membership.objects.filter(user=user).update(is_coordinator=False)
    user.groups.clear()
    out = StringIO()
    demo.load(stdout=out)
    assert "demo users: 0 created, 1 updated" in out.getvalue()
    assert "demo memberships: 0 created, 1 updated" in out.getvalue()
    assert Membership.objects.get(user=user).is_coordinator


def test_without_the_reference_data_the_demo_refuses_and_writes_nothing():
    with pytest.raises(CommandError, match="run `python3 dev.py manage load_reference_data` first"):
        _load_demo()
    assert not User.objects.exists() and not Group.objects.exists()


def test_grant_gives_a_group_every_model_of_an_app_for_the_actions_and_is_idempotent():
    added = demo.grant("Readers", app_label="organizations", actions=("view",))
    group = Group.objects.get(name="Readers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_organization", "view_membership", "view_delegation", "view_country",
            "view_areaofresponsibility", "view_organizationnamehistory"} <= codenames
    assert added == len(codenames)
    assert demo.grant("Readers", app_label="organizations", actions=("view",)) == 0


# Other apps' demo modules --------------------------------------------------------------------------

def test_demo_modules_of_the_other_apps_are_found_in_installed_apps_order(fake_apps):
    assert [label for label, _load in demo.demo_loaders()] == ["fake_planning", "fake_assessments"]


def test_the_command_runs_the_other_apps_demo_after_the_organizations_demo(reference_data, fake_apps):
    output = _load_demo()
    assert [(label, module) for label, module, _stdout in fake_apps] == [
        ("fake_planning", "demo"), ("fake_assessments", "demo"),
    ]
    assert output.index("demo users:") < output.index("demo data of fake_planning:") < output.index(
        "demo data of fake_assessments:")
