"""Demo log-ins (``load_demo_data``): named by role, never as people; idempotent; other apps'
demo modules plug in."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations import demo
from organizations.authority import is_staff_member
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
        for role in demo.DEMO_ROLES:
            user = User.objects.get(username=demo.username_for(acronym, role))
            assert user.is_staff and not user.is_superuser
            assert may_act(user=user, organization=organization, role=role)
            assert is_staff_member(user)  # the membership opens the admin to them
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
    for role in demo.DEMO_ROLES:
        user = User.objects.get(username=f"eucom_{role}")
        assert may_act(user=user, organization=eucom, role=role, coordinator=True) == (
            role in (Role.REVIEWER, Role.APPROVER)
        )


def test_the_administrator_is_a_superuser_and_the_auditor_reads_everything(reference_data, client):
    _load_demo()
    administrator = User.objects.get(username="administrator")
    auditor = User.objects.get(username="auditor")
    assert administrator.is_superuser and administrator.is_staff
    assert auditor.is_staff and not auditor.is_superuser
    assert may_act(user=auditor, organization=Organization.objects.get(acronym="OSD", active=True),
                   role=Role.AUDITOR)
    assert auditor.has_perm("security.view_auditevent")
    assert auditor.has_perm("organizations.view_membership")
    someone_elses = Membership.objects.exclude(user=auditor).first()
    assert not auditor.has_perm("organizations.change_membership")
    assert not auditor.has_perm("organizations.change_membership", someone_elses)
    client.force_login(auditor)
    assert client.get(reverse("admin:security_auditevent_changelist")).status_code == 200
    listed = client.get(reverse("admin:organizations_membership_changelist")).context["cl"]
    assert listed.result_count == Membership.objects.count()  # every organization's
    answer = client.post(reverse("admin:organizations_membership_change", args=[someone_elses.pk]),
                         {"start": "2024-01-01", "end": "2024-02-01"})
    assert answer.status_code == 403
    assert Membership.objects.get(pk=someone_elses.pk).end is None


def test_organization_administrators_manage_memberships_and_delegations_only(reference_data, client):
    _load_demo()
    org_admin = User.objects.get(username="eucom_org_admin")
    eucom = Organization.objects.get(acronym="EUCOM", active=True)
    own = Membership.objects.filter(organization=eucom).exclude(user=org_admin).first()
    other = Membership.objects.exclude(organization=eucom).first()
    assert org_admin.has_perm("organizations.change_membership")
    assert org_admin.has_perm("organizations.change_membership", own)
    assert not org_admin.has_perm("organizations.change_membership", other)
    assert org_admin.has_perm("organizations.add_delegation")
    assert not org_admin.has_perm("organizations.change_organization")
    assert not org_admin.has_perm("organizations.change_organization", eucom)
    assert not org_admin.has_perm("security.view_auditevent")
    client.force_login(org_admin)
    listed = client.get(reverse("admin:organizations_membership_changelist")).context["cl"]
    assert {membership.organization for membership in listed.result_list} == {eucom}  # their own only
    assert own in listed.result_list
    assert client.post(reverse("admin:organizations_organization_change", args=[eucom.pk]),
                       {"acronym": "CHANGED"}).status_code == 403


def test_the_command_prints_the_log_ins_table(reference_data):
    output = _load_demo()
    table = output[output.index("username"):]
    assert "usdas_org_admin" in table and "USD(A&S)" in table and "Organization administrator" in table
    assert "administrator" in table and "auditor" in table


def test_a_second_run_changes_nothing_and_says_so(reference_data):
    _load_demo()
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        demo.load(stdout=out)
    people = len(demo.DEMO_ORGANIZATIONS) * len(demo.DEMO_ROLES)  # and the administrator and the auditor
    assert f"demo users: 0 created, 0 updated, {people + 2} unchanged" in out.getvalue()
    assert f"demo memberships: 0 created, 0 updated, {people + 1} unchanged" in out.getvalue()  # the auditor's too
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_a_run_restores_what_was_changed_since(reference_data):
    _load_demo()
    user = User.objects.get(username="j5_reviewer")
    Membership.objects.filter(user=user).update(is_coordinator=False)
    User.objects.filter(pk=user.pk).update(is_staff=False)
    out = StringIO()
    demo.load(stdout=out)
    assert "demo users: 0 created, 1 updated" in out.getvalue()
    assert "demo memberships: 0 created, 1 updated" in out.getvalue()
    assert Membership.objects.get(user=user).is_coordinator


def test_without_the_reference_data_the_demo_refuses_and_writes_nothing():
    with pytest.raises(CommandError, match="run `python3 dev.py manage load_reference_data` first"):
        _load_demo()
    assert not User.objects.exists() and not Membership.objects.exists()


def test_the_demo_assigns_no_permission_what_each_log_in_may_do_follows_from_its_membership(reference_data):
    _load_demo()
    assert not Group.objects.exists()
    assert not User.user_permissions.through.objects.exists()
    assert User.objects.get(username="eucom_action_officer").has_perm("planning.add_campaignplan")
    assert not User.objects.get(username="eucom_reviewer").has_perm("planning.add_campaignplan")


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
