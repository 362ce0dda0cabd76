"""Two people for powers (#14, item 5): making someone an approver or organization administrator,
and moving a designated office, is asked by one person and decided by a second (another
administrator of that organization, or a system administrator); no one decides their own
request or a grant to themselves; the approval applies the change once, recorded with both
names. Roles that are not powers stay one organization administrator's act. Checked in the
services and on every admin path that could grant a power."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations import services
from organizations.models import (
    Delegation,
    Designation,
    Membership,
    OrganizationDesignation,
    PowerRequest,
    PowerRequestKind,
    PowerRequestState,
    Role,
)
from security.models import AuditEvent
from tests.concurrency import at_once
from tests.factories import (
    GeographicCommandFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffUserFactory,
    SuperuserFactory,
)

pytestmark = pytest.mark.django_db

JAN = datetime.date(2024, 1, 1)
GRANT = PowerRequestKind.GRANT_ROLE


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


def _org_admin(organization, username):
    user = StaffUserFactory(username=username)
    MembershipFactory(user=user, organization=organization, role=Role.ORG_ADMIN, start=JAN)
    return user


@pytest.fixture
def first_admin(eucom):
    return _org_admin(eucom, "eucom_org_admin")


@pytest.fixture
def second_admin(eucom):
    return _org_admin(eucom, "eucom_second_org_admin")


@pytest.fixture
def officer(eucom):
    user = StaffUserFactory(username="eucom_action_officer")
    MembershipFactory(user=user, organization=eucom, role=Role.ACTION_OFFICER, start=JAN)
    return user


def _ask(by, user, organization, role=Role.APPROVER, **extra):
    return services.power_request_create(requested_by=by, kind=GRANT, organization=organization, user=user,
                                         role=role, start=timezone.localdate(), reason="Deputy commander's approver",
                                         **extra)


def _approvers(organization):
    return Membership.objects.filter(organization=organization, role=Role.APPROVER)


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Services ----------------------------------------------------------------------------------------

def test_an_organization_administrator_cannot_make_themselves_approver_alone(first_admin, eucom):
    with pytest.raises(ValidationError, match="Granting the approver role needs a second person"):
        services.membership_create(user=first_admin, organization=eucom, role=Role.APPROVER, by=first_admin)
    asked = _ask(first_admin, first_admin, eucom)
    with pytest.raises(ValidationError, match="No one decides their own request"):
        services.power_request_approve(request=asked, by=first_admin)
    assert not _approvers(eucom).exists()
    asked.refresh_from_db()
    assert asked.state == PowerRequestState.REQUESTED


def test_one_asks_another_approves_and_the_trail_names_both(first_admin, second_admin, officer, eucom):
    asked = _ask(first_admin, officer, eucom, is_coordinator=True)
    assert not _approvers(eucom).exists()  # nothing changes while it is only asked

    approved = services.power_request_approve(request=asked, by=second_admin, note="Confirmed by the chief of staff")

    membership = _approvers(eucom).get()
    assert (membership.user, membership.is_coordinator, membership.start) == (officer, True, timezone.localdate())
    assert approved.state == PowerRequestState.APPROVED and approved.membership == membership
    assert approved.decided_by == second_admin and approved.decided_at is not None
    event = AuditEvent.objects.get(object_type="organizations.PowerRequest", detail__state="approved")
    assert event.user == second_admin
    assert "requested by eucom_org_admin" in event.description
    assert "approved by eucom_second_org_admin" in event.description
    assert (event.detail["requested_by"], event.detail["decided_by"]) == (first_admin.pk, second_admin.pk)
    assert AuditEvent.objects.filter(object_type="organizations.PowerRequest", detail__state="requested",
                                     user=first_admin).count() == 1
    assert AuditEvent.objects.filter(object_type="organizations.Membership", object_id=str(membership.pk)).exists()


def test_the_person_receiving_the_role_does_not_decide_it(first_admin, second_admin, eucom):
    asked = _ask(first_admin, second_admin, eucom)
    with pytest.raises(ValidationError, match="No one decides a request that makes them approver"):
        services.power_request_approve(request=asked, by=second_admin)
    assert not _approvers(eucom).exists()


def test_someone_may_ask_for_themselves_and_a_second_person_decides(first_admin, second_admin, eucom):
    asked = _ask(first_admin, first_admin, eucom)
    services.power_request_approve(request=asked, by=second_admin)
    assert _approvers(eucom).get().user == first_admin


def test_only_an_administrator_of_that_organization_or_a_system_administrator_decides(
    first_admin, officer, eucom, indopacom,
):
    other_admin = _org_admin(indopacom, "indopacom_org_admin")
    reviewer = MembershipFactory(organization=eucom, role=Role.REVIEWER, start=JAN).user
    asked = _ask(first_admin, officer, eucom)
    for outsider in (other_admin, reviewer):
        with pytest.raises(ValidationError, match="Only another organization administrator of EUCOM"):
            services.power_request_approve(request=asked, by=outsider)
    services.power_request_approve(request=asked, by=SuperuserFactory())
    assert _approvers(eucom).get().user == officer


def test_an_action_officer_or_another_organizations_administrator_cannot_ask(officer, eucom, indopacom):
    other_admin = _org_admin(indopacom, "indopacom_org_admin")
    for outsider in (officer, other_admin):
        with pytest.raises(ValidationError, match="Only an organization administrator of EUCOM"):
            _ask(outsider, officer, eucom)
    assert not PowerRequest.objects.exists()


def test_a_refusal_needs_a_reason_and_changes_nothing_a_withdrawal_is_the_requesters(
    first_admin, second_admin, officer, eucom,
):
    asked = _ask(first_admin, officer, eucom)
    with pytest.raises(ValidationError, match="Say why the request is refused"):
        services.power_request_refuse(request=asked, by=second_admin, note=" ")
    refused = services.power_request_refuse(request=asked, by=second_admin, note="Not the deputy's billet")
    assert refused.state == PowerRequestState.REFUSED and not _approvers(eucom).exists()
    with pytest.raises(services.PowerRequestConflict, match="already refused by eucom_second_org_admin"):
        services.power_request_approve(request=asked, by=SuperuserFactory())

    again = _ask(first_admin, officer, eucom)
    with pytest.raises(ValidationError, match="Only the person who asked withdraws"):
        services.power_request_withdraw(request=again, by=second_admin)
    assert services.power_request_withdraw(request=again, by=first_admin).state == PowerRequestState.WITHDRAWN


def test_one_open_request_per_person_and_role(first_admin, officer, eucom):
    _ask(first_admin, officer, eucom)
    with pytest.raises(ValidationError, match="already has an open request to become approver of EUCOM"):
        _ask(first_admin, officer, eucom)
    assert PowerRequest.objects.count() == 1


def test_a_grant_no_longer_valid_on_approval_is_refused_and_the_request_stays_open(
    first_admin, second_admin, officer, eucom,
):
    asked = _ask(first_admin, officer, eucom)
    services.membership_create(user=officer, organization=eucom, role=Role.APPROVER)  # a loader, meanwhile
    with pytest.raises(ValidationError, match="memberships in the same role may not overlap"):
        services.power_request_approve(request=asked, by=second_admin)
    asked.refresh_from_db()
    assert asked.state == PowerRequestState.REQUESTED and _approvers(eucom).count() == 1


def test_lengthening_a_power_needs_a_second_person_shortening_does_not(first_admin, officer, eucom):
    approver = MembershipFactory(user=officer, organization=eucom, role=Role.APPROVER, start=JAN,
                                 end=datetime.date(2099, 1, 1))
    with pytest.raises(ValidationError, match="Lengthening the approver role needs a second person"):
        services.membership_update(membership=approver, data={"end": None}, by=first_admin)
    with pytest.raises(ValidationError, match="Lengthening the approver role needs a second person"):
        services.membership_update(membership=approver, data={"start": datetime.date(2023, 1, 1)}, by=first_admin)
    services.membership_update(membership=approver, data={"end": datetime.date(2098, 1, 1),
                                                          "is_coordinator": True}, by=first_admin)
    approver.refresh_from_db()
    assert (approver.start, approver.end, approver.is_coordinator) == (JAN, datetime.date(2098, 1, 1), True)


def test_roles_that_are_not_powers_stay_one_administrators_act(first_admin, eucom):
    newcomer = StaffUserFactory()
    services.membership_create(user=newcomer, organization=eucom, role=Role.REVIEWER, is_coordinator=True,
                               by=first_admin)
    assert Membership.objects.get(user=newcomer).role == Role.REVIEWER


def test_a_power_is_delegated_only_by_its_holder_never_to_oneself(first_admin, officer, eucom):
    holder = StaffUserFactory(username="eucom_approver")
    MembershipFactory(user=holder, organization=eucom, role=Role.APPROVER, start=JAN)
    window = {"start": timezone.localdate(), "end": timezone.localdate() + datetime.timedelta(days=14)}
    with pytest.raises(ValidationError, match="Only the approver who lends the role"):
        services.delegation_create(organization=eucom, delegator=holder, delegate=officer, by=first_admin, **window)
    with pytest.raises(ValidationError, match="No one delegates the approver role to themselves"):
        services.delegation_create(organization=eucom, delegator=holder, delegate=first_admin, by=first_admin,
                                   **window)
    assert not Delegation.objects.exists()
    services.delegation_create(organization=eucom, delegator=holder, delegate=officer, by=holder, **window)
    assert Delegation.objects.get().delegate == officer


def test_a_change_of_designated_office_is_asked_by_one_system_administrator_and_approved_by_another(
    first_admin, eucom,
):
    policy = OrganizationFactory(acronym="USDP")
    services.designation_assign(organization=policy, designation=Designation.POLICY_OFFICE, start=JAN)
    asker, decider = SuperuserFactory(), SuperuserFactory()
    with pytest.raises(ValidationError, match="requested by a system administrator"):
        services.power_request_create(requested_by=first_admin, kind=PowerRequestKind.CHANGE_DESIGNATION,
                                      organization=eucom, designation=Designation.POLICY_OFFICE, reason="Test")
    asked = services.power_request_create(requested_by=asker, kind=PowerRequestKind.CHANGE_DESIGNATION,
                                          organization=eucom, designation=Designation.POLICY_OFFICE,
                                          reason="Reorganization")
    with pytest.raises(ValidationError, match="No one decides their own request"):
        services.power_request_approve(request=asked, by=asker)
    assert not OrganizationDesignation.objects.filter(organization=eucom).exists()

    services.power_request_approve(request=asked, by=decider)

    period = OrganizationDesignation.objects.get(organization=eucom)
    assert (period.requested_by, period.approved_by, period.start) == (asker, decider, timezone.localdate())
    assert OrganizationDesignation.objects.get(organization=policy).end == timezone.localdate()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_request_approved_at_one_moment_is_approved_once(eucom):
    first_admin, officer = _org_admin(eucom, "eucom_org_admin"), StaffUserFactory(username="eucom_action_officer")
    MembershipFactory(user=officer, organization=eucom, role=Role.ACTION_OFFICER, start=JAN)
    deciders = [_org_admin(eucom, "eucom_second_org_admin"), SuperuserFactory()]
    asked = _ask(first_admin, officer, eucom)

    outcomes = at_once(2, lambda: services.power_request_approve(
        request=asked, by=deciders.pop()).state, timeout=30)

    approved = [o for o in outcomes if not isinstance(o, Exception)]
    conflicts = [o for o in outcomes if isinstance(o, services.PowerRequestConflict)]
    assert approved == [PowerRequestState.APPROVED] and len(conflicts) == 1, outcomes
    assert "This request was already approved by" in conflicts[0].messages[0]
    assert _approvers(eucom).count() == 1
    assert AuditEvent.objects.filter(object_type="organizations.PowerRequest", detail__state="approved").count() == 1


# Admin -------------------------------------------------------------------------------------------

def test_the_membership_forms_offer_no_power_and_refuse_one_posted_by_hand(first_admin, eucom):
    client = _login(first_admin)
    offered = {value for value, _ in client.get(_url("membership_add")).context["adminform"].form.fields["role"].choices}
    assert offered == {"", Role.ACTION_OFFICER, Role.REVIEWER}

    response = client.post(_url("membership_add"), {
        "user": first_admin.pk, "organization": eucom.pk, "role": Role.APPROVER, "start": "2024-01-01",
    })
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not _approvers(eucom).exists()


def test_the_organization_pages_member_inline_grants_no_power(eucom):
    client = _login(SuperuserFactory())
    member = StaffUserFactory()
    response = client.post(_url("organization_change", eucom.pk), {
        "acronym": "EUCOM", "name": eucom.name, "kind": eucom.kind,
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": member.pk, "memberships-0-role": Role.ORG_ADMIN, "memberships-0-start": "2024-01-01",
        "name_history-TOTAL_FORMS": "0", "name_history-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert not Membership.objects.filter(user=member).exists()


def test_lengthening_an_approver_in_the_membership_form_is_refused(first_admin, officer, eucom):
    approver = MembershipFactory(user=officer, organization=eucom, role=Role.APPROVER, start=JAN,
                                 end=datetime.date(2099, 1, 1))
    response = _login(first_admin).post(_url("membership_change", approver.pk), {"start": "2024-01-01", "end": ""})
    assert response.status_code == 200
    assert "Lengthening the approver role needs a second person" in response.content.decode()
    approver.refresh_from_db()
    assert approver.end == datetime.date(2099, 1, 1)


def test_a_delegation_of_someone_elses_power_is_refused_in_the_admin(first_admin, officer, eucom):
    holder = StaffUserFactory()
    MembershipFactory(user=holder, organization=eucom, role=Role.APPROVER, start=JAN)
    today = timezone.localdate()
    response = _login(first_admin).post(_url("delegation_add"), {
        "organization": eucom.pk, "role": Role.APPROVER, "delegator": holder.pk, "delegate": first_admin.pk,
        "start": today.isoformat(), "end": (today + datetime.timedelta(days=7)).isoformat(), "reason": "Leave",
    })
    assert any("No one delegates the approver role to themselves" in m for m in _messages(response))
    assert not Delegation.objects.exists()


def test_asking_and_approving_in_the_admin(first_admin, second_admin, officer, eucom):
    asker = _login(first_admin)
    response = asker.post(_url("powerrequest_add"), {
        "kind": GRANT, "organization": eucom.pk, "user": officer.pk, "role": Role.APPROVER,
        "start": timezone.localdate().isoformat(), "reason": "Deputy commander's approver",
    })
    asked = PowerRequest.objects.get()
    assert response.status_code == 302 and response.url == _url("powerrequest_change", asked.pk)
    assert any("awaits a second person" in m for m in _messages(response))
    assert not _approvers(eucom).exists()

    page = asker.get(_url("powerrequest_change", asked.pk)).content.decode()
    assert "Approve and apply" not in page and "No one decides their own request" in page
    response = asker.post(_url("powerrequest_decide", asked.pk), {"decision": "approve"})
    assert _messages(response) == ["Nothing was done: No one decides their own request: a second person must "
                                   "approve or refuse it."]
    assert not _approvers(eucom).exists()

    decider = _login(second_admin)
    listed = decider.get(_url("powerrequest_changelist"), {"shown": "decide"}).context["cl"].result_list
    assert list(listed) == [asked]
    assert "Approve and apply" in decider.get(_url("powerrequest_change", asked.pk)).content.decode()
    response = decider.post(_url("powerrequest_decide", asked.pk), {"decision": "approve", "decision_note": "Yes"})
    assert response.status_code == 302
    assert _approvers(eucom).get().user == officer
    assert decider.post(_url("powerrequest_decide", asked.pk), {"decision": "approve"}).status_code == 302
    assert _approvers(eucom).count() == 1


def test_a_power_request_form_with_a_missing_reason_keeps_the_input(first_admin, officer, eucom):
    response = _login(first_admin).post(_url("powerrequest_add"), {
        "kind": GRANT, "organization": eucom.pk, "user": officer.pk, "role": Role.APPROVER,
        "start": timezone.localdate().isoformat(), "reason": "",
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.data["user"] == str(officer.pk)
    assert not PowerRequest.objects.exists()


def test_another_organizations_administrator_neither_sees_nor_decides_a_request(first_admin, officer, eucom, indopacom):
    asked = _ask(first_admin, officer, eucom)
    outsider = _login(_org_admin(indopacom, "indopacom_org_admin"))
    assert list(outsider.get(_url("powerrequest_changelist")).context["cl"].result_list) == []
    assert outsider.get(_url("powerrequest_change", asked.pk)).status_code == 302
    assert outsider.post(_url("powerrequest_decide", asked.pk), {"decision": "approve"}).status_code == 404
    assert not _approvers(eucom).exists()


def test_an_action_officer_cannot_ask_for_a_power_in_the_admin(officer, eucom):
    client = _login(officer)
    assert client.get(_url("powerrequest_add")).status_code == 403
    response = client.post(_url("powerrequest_add"), {
        "kind": GRANT, "organization": eucom.pk, "user": officer.pk, "role": Role.APPROVER,
        "start": timezone.localdate().isoformat(), "reason": "Please",
    })
    assert response.status_code == 403
    assert not PowerRequest.objects.exists()


def test_a_request_is_never_edited_or_deleted_in_the_admin(first_admin, second_admin, officer, eucom):
    asked = _ask(first_admin, officer, eucom)
    client = _login(second_admin)
    client.post(_url("powerrequest_change", asked.pk), {"reason": "Changed", "role": Role.ORG_ADMIN})
    client.post(_url("powerrequest_delete", asked.pk), {"post": "yes"})
    asked.refresh_from_db()
    assert (asked.reason, asked.role) == ("Deputy commander's approver", Role.APPROVER)


def test_a_system_administrator_requests_a_change_of_designated_office_from_the_requests_page(eucom):
    client = _login(SuperuserFactory())
    page = client.get(_url("powerrequest_changelist")).content.decode()
    assert "Request a change of designated office" in page
    form = client.get(_url("powerrequest_add"), {"kind": PowerRequestKind.CHANGE_DESIGNATION}).context["adminform"].form
    assert form.initial["kind"] == PowerRequestKind.CHANGE_DESIGNATION
    response = client.post(_url("powerrequest_add"), {
        "kind": PowerRequestKind.CHANGE_DESIGNATION, "organization": eucom.pk,
        "designation": Designation.JOINT_STAFF, "start": timezone.localdate().isoformat(), "reason": "Test of the form",
    })
    assert response.status_code == 302
    assert PowerRequest.objects.get().designation == Designation.JOINT_STAFF
    assert not OrganizationDesignation.objects.exists()


def test_only_administrators_open_the_list_of_power_requests():
    """The menu entry and the list (no particular request): organization and system
    administrators, who decide requests; not the office's other members."""
    from organizations.authority import may

    officer = MembershipFactory(role=Role.ACTION_OFFICER).user
    approver = MembershipFactory(role=Role.APPROVER).user
    administrator = MembershipFactory(role=Role.ORG_ADMIN).user

    assert not may(officer, "view", PowerRequest)
    assert not may(approver, "view", PowerRequest)
    assert may(administrator, "view", PowerRequest)
    assert may(SuperuserFactory(), "view", PowerRequest)
