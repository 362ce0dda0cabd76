"""The admin: the organization tree, countries with their commands over time, and an organization
administrator who sees and changes only the memberships of their own organizations, checked on
the server (including a change URL typed by hand)."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from organizations.models import (
    Delegation,
    Membership,
    Organization,
    OrganizationKind,
    OrganizationNameHistory,
    Role,
)
from tests.factories import (
    AreaOfResponsibilityFactory,
    CountryFactory,
    DelegationFactory,
    GeographicCommandFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffUserFactory,
    SuperuserFactory,
)

pytestmark = pytest.mark.django_db

JAN = datetime.date(2024, 1, 1)


def _url(name, *args):
    return reverse(f"admin:organizations_{name}", args=args)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def eucom():
    return GeographicCommandFactory(acronym="EUCOM", name="U.S. European Command")


@pytest.fixture
def indopacom():
    return GeographicCommandFactory(acronym="INDOPACOM", name="U.S. Indo-Pacific Command")


@pytest.fixture
def eucom_org_admin(eucom):
    """An organization administrator of EUCOM only (what they may do follows from the membership)."""
    user = StaffUserFactory(username="eucom_org_admin")
    MembershipFactory(user=user, organization=eucom, role=Role.ORG_ADMIN, start=JAN)
    return user


@pytest.fixture
def eucom_member(eucom):
    return MembershipFactory(organization=eucom, role=Role.REVIEWER, start=JAN)


@pytest.fixture
def indopacom_member(indopacom):
    return MembershipFactory(organization=indopacom, role=Role.REVIEWER, start=JAN)


@pytest.fixture
def superuser_client(client):
    client.force_login(SuperuserFactory())
    return client


# Organization administrators ----------------------------------------------------------------------

def test_an_organization_administrator_lists_only_the_memberships_of_their_organization(
    client, eucom_org_admin, eucom_member, indopacom_member,
):
    client.force_login(eucom_org_admin)
    response = client.get(_url("membership_changelist"))
    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert eucom_member in listed
    assert indopacom_member not in listed


def test_a_change_url_typed_by_hand_for_another_organization_finds_nothing(
    client, eucom_org_admin, indopacom_member,
):
    client.force_login(eucom_org_admin)
    url = _url("membership_change", indopacom_member.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert any("doesn’t exist" in message for message in _messages(response))

    response = client.post(url, {"is_coordinator": "on", "start": "2024-01-01", "end": "2024-02-01"})
    assert response.status_code == 302
    indopacom_member.refresh_from_db()
    assert indopacom_member.end is None and not indopacom_member.is_coordinator


def test_another_organizations_membership_cannot_be_deleted_by_url(client, eucom_org_admin, indopacom_member):
    client.force_login(eucom_org_admin)
    response = client.post(_url("membership_delete", indopacom_member.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Membership.objects.filter(pk=indopacom_member.pk).exists()


def test_an_organization_administrator_changes_a_membership_of_their_organization(
    client, eucom_org_admin, eucom_member,
):
    client.force_login(eucom_org_admin)
    response = client.post(_url("membership_change", eucom_member.pk), {
        "is_coordinator": "on", "start": "2024-01-01", "end": "2024-07-01",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    eucom_member.refresh_from_db()
    assert eucom_member.is_coordinator and eucom_member.end == datetime.date(2024, 7, 1)


def test_the_add_form_offers_only_the_administrators_organizations(client, eucom_org_admin, eucom, indopacom):
    client.force_login(eucom_org_admin)
    response = client.get(_url("membership_add"))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields["organization"].queryset) == [eucom]


def test_adding_a_membership_to_another_organization_is_refused(client, eucom_org_admin, indopacom):
    client.force_login(eucom_org_admin)
    newcomer = StaffUserFactory()
    response = client.post(_url("membership_add"), {
        "user": newcomer.pk, "organization": indopacom.pk, "role": Role.REVIEWER, "start": "2024-01-01",
    })
    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_organization_administrator_adds_a_member_through_the_service(client, eucom_org_admin, eucom):
    client.force_login(eucom_org_admin)
    newcomer = StaffUserFactory()
    response = client.post(_url("membership_add"), {
        "user": newcomer.pk, "organization": eucom.pk, "role": Role.REVIEWER, "start": "2024-01-01",
        "is_coordinator": "on",
    })
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).organization == eucom


def test_an_overlapping_membership_is_shown_as_a_form_error(client, eucom_org_admin, eucom_member):
    client.force_login(eucom_org_admin)
    response = client.post(_url("membership_add"), {
        "user": eucom_member.user.pk, "organization": eucom_member.organization.pk, "role": Role.REVIEWER,
        "start": "2024-03-01",
    })
    assert response.status_code == 200
    assert "memberships in the same role may not overlap" in response.content.decode()
    assert Membership.objects.filter(user=eucom_member.user).count() == 1


def test_a_membership_that_was_in_force_cannot_be_deleted_in_the_admin(client, eucom_org_admin, eucom_member):
    client.force_login(eucom_org_admin)
    response = client.post(_url("membership_delete", eucom_member.pk), {"post": "yes"})
    assert response.status_code == 302
    assert response.url == _url("membership_change", eucom_member.pk)
    assert _messages(response) == [
        "Nothing was deleted: This membership has been in force since 2024-01-01; end it instead of deleting "
        "it, so the record shows who could act when."
    ]
    assert Membership.objects.filter(pk=eucom_member.pk).exists()


def test_a_membership_entered_by_mistake_today_is_deleted_in_the_admin(client, eucom_org_admin, eucom):
    mistake = MembershipFactory(organization=eucom, start=timezone.localdate())
    client.force_login(eucom_org_admin)
    response = client.post(_url("membership_delete", mistake.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=mistake.pk).exists()


def test_an_organization_administrator_sees_only_their_organizations_delegations(
    client, eucom_org_admin, eucom, indopacom,
):
    own = DelegationFactory(organization=eucom)
    other = DelegationFactory(organization=indopacom)
    client.force_login(eucom_org_admin)
    listed = set(client.get(_url("delegation_changelist")).context["cl"].result_list)
    assert own in listed and other not in listed
    assert client.get(_url("delegation_change", other.pk)).status_code == 302


def test_a_former_organization_administrator_sees_nothing(client, eucom_org_admin, eucom_member):
    eucom_org_admin.memberships.update(end=timezone.localdate())
    client.force_login(eucom_org_admin)
    # No current membership: the admin no longer opens to them at all, it asks them to sign in.
    listed = client.get(_url("membership_changelist"))
    assert listed.status_code == 302 and listed["Location"].startswith(reverse("admin:login"))
    assert client.get(_url("membership_change", eucom_member.pk)).status_code == 302


def test_an_auditor_sees_every_membership_but_changes_none(client, eucom_member, indopacom_member):
    auditor = StaffUserFactory(username="auditor")
    MembershipFactory(user=auditor, organization=OrganizationFactory(acronym="OSD"), role=Role.AUDITOR, start=JAN)
    client.force_login(auditor)
    listed = set(client.get(_url("membership_changelist")).context["cl"].result_list)
    assert {eucom_member, indopacom_member} <= listed
    assert client.get(_url("membership_change", indopacom_member.pk)).status_code == 200
    response = client.post(_url("membership_change", indopacom_member.pk), {"start": "2024-01-01",
                                                                           "end": "2024-02-01"})
    assert response.status_code == 403
    indopacom_member.refresh_from_db()
    assert indopacom_member.end is None


def test_a_superuser_sees_every_membership(superuser_client, eucom_member, indopacom_member):
    listed = set(superuser_client.get(_url("membership_changelist")).context["cl"].result_list)
    assert {eucom_member, indopacom_member} <= listed


def test_ending_memberships_from_the_list_calls_the_service(client, eucom_org_admin, eucom_member):
    client.force_login(eucom_org_admin)
    response = client.post(_url("membership_changelist"), {
        "action": "end_selected", "_selected_action": [eucom_member.pk],
    })
    assert response.status_code == 302
    eucom_member.refresh_from_db()
    assert eucom_member.end == timezone.localdate()


def test_ending_another_organizations_membership_from_the_list_does_nothing(
    client, eucom_org_admin, indopacom_member,
):
    client.force_login(eucom_org_admin)
    client.post(_url("membership_changelist"), {"action": "end_selected", "_selected_action": [indopacom_member.pk]})
    indopacom_member.refresh_from_db()
    assert indopacom_member.end is None


# Organizations -----------------------------------------------------------------------------------

def test_the_organization_list_shows_the_tree_and_counts(superuser_client):
    joint_staff = OrganizationFactory(acronym="JS", kind=OrganizationKind.JOINT_STAFF)
    j5 = OrganizationFactory(acronym="J5", kind=OrganizationKind.JOINT_STAFF, parent=joint_staff)
    MembershipFactory(organization=j5, start=JAN)
    response = superuser_client.get(_url("organization_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "JS › J5" in content
    rows = {o.acronym: o for o in response.context["cl"].result_list}
    assert rows["JS"]._children == 1 and rows["J5"]._members == 1


def test_organizations_are_searched_by_acronym_or_name_and_filtered_by_kind_and_activity(superuser_client):
    OrganizationFactory(acronym="DSCA", name="Defense Security Cooperation Agency",
                        kind=OrganizationKind.DEFENSE_AGENCY)
    OrganizationFactory(acronym="DTSA", name="Defense Technology Security Administration",
                        kind=OrganizationKind.FIELD_ACTIVITY, active=False)

    def listed(**params):
        response = superuser_client.get(_url("organization_changelist"), params)
        return {o.acronym for o in response.context["cl"].result_list}

    assert listed(q="dsca") == {"DSCA"}
    assert listed(q="technology") == {"DTSA"}
    assert listed(kind__exact=OrganizationKind.FIELD_ACTIVITY) == {"DTSA"}
    assert listed(active__exact="0") == {"DTSA"}


def test_a_rename_in_the_admin_goes_through_the_service_and_keeps_the_history(superuser_client):
    pacom = OrganizationFactory(acronym="PACOM", name="U.S. Pacific Command",
                                kind=OrganizationKind.GEOGRAPHIC_CCMD)
    response = superuser_client.post(_url("organization_change", pacom.pk), {
        "acronym": "INDOPACOM", "name": "U.S. Indo-Pacific Command", "kind": OrganizationKind.GEOGRAPHIC_CCMD,
        "notes": "", "current_name": "", "current_acronym": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "name_history-TOTAL_FORMS": "0", "name_history-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    history = OrganizationNameHistory.objects.get(organization=pacom)
    assert history.acronym == "PACOM" and history.changed_by == response.wsgi_request.user


def test_a_cycle_in_the_tree_is_shown_as_a_form_error(superuser_client):
    top = OrganizationFactory(acronym="TOP")
    bottom = OrganizationFactory(acronym="BOT", parent=top)
    response = superuser_client.post(_url("organization_change", top.pk), {
        "acronym": "TOP", "name": top.name, "kind": top.kind, "parent": bottom.pk,
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "name_history-TOTAL_FORMS": "0", "name_history-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "the tree would run in a circle (TOP → BOT → TOP)" in response.content.decode()
    top.refresh_from_db()
    assert top.parent is None


def test_a_new_organization_with_a_member_is_created_through_the_services(superuser_client):
    member = StaffUserFactory()
    response = superuser_client.post(_url("organization_add"), {
        "acronym": "DPAA", "name": "Defense POW/MIA Accounting Agency", "kind": OrganizationKind.DEFENSE_AGENCY,
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": member.pk, "memberships-0-role": Role.ACTION_OFFICER,
        "memberships-0-start": "2024-01-01",
        "name_history-TOTAL_FORMS": "0", "name_history-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    dpaa = Organization.objects.get(acronym="DPAA")
    assert dpaa.memberships.get().user == member


def test_deleting_a_referenced_organization_is_refused_with_a_clear_message(superuser_client):
    dtsa = OrganizationFactory(acronym="DTSA")
    MembershipFactory(organization=dtsa)
    response = superuser_client.get(_url("organization_delete", dtsa.pk))
    assert response.status_code == 302
    assert response.url == _url("organization_change", dtsa.pk)
    assert _messages(response) == [
        "DTSA cannot be deleted: it is referred to by 1 memberships. "
        "Nothing is deleted once referenced; deactivate it instead."
    ]
    superuser_client.post(_url("organization_delete", dtsa.pk), {"post": "yes"})
    assert Organization.objects.filter(pk=dtsa.pk).exists()


def test_an_organization_nothing_refers_to_can_be_deleted(superuser_client):
    mistake = OrganizationFactory()
    response = superuser_client.post(_url("organization_delete", mistake.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=mistake.pk).exists()


def test_bulk_delete_is_replaced_by_deactivation(superuser_client):
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, start=JAN)
    response = superuser_client.get(_url("organization_changelist"))
    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions and "deactivate_selected" in actions
    response = superuser_client.post(_url("organization_changelist"), {
        "action": "deactivate_selected", "_selected_action": [organization.pk],
    })
    assert response.status_code == 302
    organization.refresh_from_db()
    assert not organization.active and organization.memberships.get().end == timezone.localdate()


def test_a_refused_deactivation_is_reported_and_changes_nothing(superuser_client):
    parent = OrganizationFactory(acronym="JS")
    OrganizationFactory(acronym="J5", parent=parent)
    response = superuser_client.post(_url("organization_changelist"), {
        "action": "deactivate_selected", "_selected_action": [parent.pk],
    })
    assert _messages(response) == [
        "JS cannot be deactivated: its sub-organizations are still active (J5); deactivate or move them first."
    ]
    parent.refresh_from_db()
    assert parent.active


def test_an_organization_administrator_views_organizations_without_changing_them(
    client, eucom_org_admin, eucom,
):
    client.force_login(eucom_org_admin)
    assert client.get(_url("organization_change", eucom.pk)).status_code == 200
    response = client.post(_url("organization_change", eucom.pk), {"acronym": "X", "name": "X",
                                                                   "kind": eucom.kind})
    assert response.status_code == 403


# Countries and areas of responsibility ------------------------------------------------------------

def test_countries_are_searched_by_code_or_name(superuser_client):
    CountryFactory(code="IL")
    CountryFactory(code="GL")
    response = superuser_client.get(_url("country_changelist"), {"q": "greenl"})
    assert [str(c.code) for c in response.context["cl"].result_list] == ["GL"]
    response = superuser_client.get(_url("country_changelist"), {"q": "IL"})
    assert "IL" in [str(c.code) for c in response.context["cl"].result_list]


def test_a_country_shows_its_commands_over_time(superuser_client):
    israel = CountryFactory(code="IL")
    eucom = GeographicCommandFactory(acronym="EUCOM")
    centcom = GeographicCommandFactory(acronym="CENTCOM")
    AreaOfResponsibilityFactory(country=israel, command=eucom, start=datetime.date(2008, 10, 1),
                                end=datetime.date(2021, 9, 1))
    AreaOfResponsibilityFactory(country=israel, command=centcom, start=datetime.date(2021, 9, 1))
    listing = superuser_client.get(_url("country_changelist"))
    assert "CENTCOM" in listing.content.decode()
    page = superuser_client.get(_url("country_change", israel.pk)).content.decode()
    periods = page[page.index("Commands over time"):]
    assert periods.index("EUCOM") < periods.index("01 Sep 2021") < periods.index("CENTCOM")


def test_an_overlapping_period_added_in_the_admin_is_refused_naming_the_clash(superuser_client):
    israel = CountryFactory(code="IL")
    eucom = GeographicCommandFactory(acronym="EUCOM")
    centcom = GeographicCommandFactory(acronym="CENTCOM")
    AreaOfResponsibilityFactory(country=israel, command=eucom, start=datetime.date(2008, 10, 1))
    response = superuser_client.post(_url("areaofresponsibility_add"), {
        "country": israel.pk, "command": centcom.pk, "start": "2021-09-01",
    })
    assert response.status_code == 200
    assert "Israel is already covered by EUCOM from 2008-10-01" in response.content.decode()


def test_every_admin_list_opens_for_a_superuser(superuser_client, eucom_member):
    DelegationFactory()
    AreaOfResponsibilityFactory()
    for name in ("organization", "country", "areaofresponsibility", "membership", "delegation"):
        assert superuser_client.get(_url(f"{name}_changelist")).status_code == 200, name
    assert superuser_client.get(_url("membership_add")).status_code == 200
    assert superuser_client.get(_url("delegation_add")).status_code == 200
    assert superuser_client.get(_url("organization_add")).status_code == 200
    assert Delegation.objects.count() == 1


def test_the_organization_autocomplete_pages_in_acronym_order_without_a_warning(admin_client, eucom, indopacom):
    import warnings

    from django.core.paginator import UnorderedObjectListWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        answer = admin_client.get(reverse("admin:autocomplete"), {
            "app_label": "organizations", "model_name": "organization", "field_name": "parent", "term": ""})
    assert answer.status_code == 200
    texts = [row["text"] for row in answer.json()["results"]]
    assert texts == sorted(texts, key=lambda text: text.split(" ")[0]) and len(texts) >= 2
