"""Memberships and delegations through the services: who may belong, and who may act for whom."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from organizations.models import Delegation, Membership, Role
from organizations.services import (
    delegation_create,
    delegation_delete,
    delegation_revoke,
    membership_create,
    membership_delete,
    membership_end,
    membership_update,
    organization_update,
)
from tests.factories import DelegationFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN, MAR, JUN, SEP = (datetime.date(2024, month, 1) for month in (1, 3, 6, 9))


def _messages(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


# Memberships -------------------------------------------------------------------------------------

def test_a_membership_starts_today_unless_told_otherwise():
    membership = membership_create(user=UserFactory(), organization=OrganizationFactory(), role=Role.REVIEWER)
    assert membership.start == timezone.localdate() and membership.end is None


def test_a_membership_cannot_start_before_the_organization_is_active():
    organization = OrganizationFactory(acronym="USSF", active_from=datetime.date(2019, 12, 20))
    with pytest.raises(ValidationError) as refused:
        membership_create(user=UserFactory(), organization=organization, role=Role.APPROVER,
                          start=datetime.date(2019, 1, 1))
    assert refused.value.message_dict == {"start": ["USSF is active only from 2019-12-20."]}
    assert not Membership.objects.exists()


def test_a_membership_cannot_run_past_the_end_of_the_organization():
    organization = OrganizationFactory(acronym="OLD", active=False, active_until=MAR)
    with pytest.raises(ValidationError) as refused:
        membership_create(user=UserFactory(), organization=organization, role=Role.APPROVER, start=JAN)
    assert refused.value.message_dict == {"end": ["OLD is active only until 2024-03-01."]}
    assert membership_create(user=UserFactory(), organization=organization, role=Role.APPROVER, start=JAN,
                             end=MAR).pk


def test_a_membership_cannot_start_after_the_organization_was_deactivated():
    organization = OrganizationFactory(acronym="OLD", active=False, active_until=MAR)
    with pytest.raises(ValidationError) as refused:
        membership_create(user=UserFactory(), organization=organization, role=Role.APPROVER, start=JUN,
                          end=SEP)
    assert "OLD is not active; a membership must fall within its active period." in _messages(refused)


def test_two_memberships_of_one_person_in_the_same_role_may_not_overlap():
    existing = MembershipFactory(role=Role.APPROVER, start=JAN, end=JUN)
    with pytest.raises(ValidationError) as refused:
        membership_create(user=existing.user, organization=existing.organization, role=Role.APPROVER, start=MAR)
    assert _messages(refused) == (
        f"{existing.user} is already an approver of {existing.organization} from 2024-01-01 to 2024-06-01; "
        "memberships in the same role may not overlap."
    )


def test_a_person_may_hold_several_roles_and_consecutive_periods():
    existing = MembershipFactory(role=Role.APPROVER, start=JAN, end=JUN)
    membership_create(user=existing.user, organization=existing.organization, role=Role.REVIEWER, start=MAR)
    membership_create(user=existing.user, organization=existing.organization, role=Role.APPROVER, start=JUN)
    membership_create(user=existing.user, organization=OrganizationFactory(), role=Role.APPROVER, start=MAR)
    assert Membership.objects.filter(user=existing.user).count() == 4


def test_an_inactive_account_cannot_become_a_member():
    with pytest.raises(ValidationError, match="is inactive"):
        membership_create(user=UserFactory(is_active=False), organization=OrganizationFactory(),
                          role=Role.REVIEWER)


def test_the_coordinator_designation_is_changed_through_the_service():
    membership = MembershipFactory(role=Role.REVIEWER)
    updated, changed = membership_update(membership=membership, data={"is_coordinator": True})
    assert changed and updated.is_coordinator
    assert membership_update(membership=membership, data={"is_coordinator": True})[1] is False


def test_who_where_and_which_role_never_change_on_a_membership():
    with pytest.raises(TypeError):
        membership_update(membership=MembershipFactory(), data={"role": Role.APPROVER})


def test_ending_a_membership_cuts_short_the_delegations_the_member_gave_in_that_role():
    approver = MembershipFactory(role=Role.APPROVER, start=JAN)
    deputy = MembershipFactory(organization=approver.organization, role=Role.REVIEWER, start=JAN)
    running = DelegationFactory(organization=approver.organization, delegator=approver.user,
                                delegate=deputy.user, start=JAN, end=SEP)
    membership_end(membership=approver, on=MAR)
    approver.refresh_from_db()
    running.refresh_from_db()
    assert approver.end == MAR and running.end == MAR


def test_a_membership_cannot_end_before_it_starts_or_twice():
    membership = MembershipFactory(start=MAR)
    with pytest.raises(ValidationError, match="cannot end on or before its start"):
        membership_end(membership=membership, on=JAN)
    membership_end(membership=membership, on=JUN)
    with pytest.raises(ValidationError, match="already ended on 2024-06-01"):
        membership_end(membership=membership, on=SEP)


def test_a_membership_that_was_in_force_is_ended_not_deleted():
    membership = MembershipFactory(start=JAN)
    with pytest.raises(ValidationError, match="in force since 2024-01-01; end it instead"):
        membership_delete(membership=membership)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_membership_entered_by_mistake_today_may_be_deleted():
    membership = MembershipFactory(start=timezone.localdate())
    membership_delete(membership=membership)
    assert not Membership.objects.exists()


def test_an_organization_cannot_become_active_after_its_members_joined():
    membership = MembershipFactory(start=JAN)
    with pytest.raises(ValidationError) as refused:
        organization_update(organization=membership.organization, data={"active_from": MAR})
    assert refused.value.message_dict == {"active_from": [
        "1 memberships start before 2024-03-01; the organization must be active from their start."
    ]}


# Delegations -------------------------------------------------------------------------------------

@pytest.fixture
def approver_and_deputy():
    approver = MembershipFactory(role=Role.APPROVER, start=JAN, is_coordinator=True)
    deputy = MembershipFactory(organization=approver.organization, role=Role.REVIEWER, start=JAN)
    return approver, deputy


def test_an_approver_delegates_to_another_member_for_a_date_range(approver_and_deputy):
    approver, deputy = approver_and_deputy
    delegation = delegation_create(organization=approver.organization, delegator=approver.user,
                                   delegate=deputy.user, start=MAR, end=JUN, reason="leave")
    assert (delegation.role, delegation.start, delegation.end) == (Role.APPROVER, MAR, JUN)


def test_a_delegation_to_someone_who_is_not_a_member_is_refused_and_nothing_is_written(approver_and_deputy):
    approver, _deputy = approver_and_deputy
    outsider = UserFactory()
    with pytest.raises(ValidationError) as refused:
        delegation_create(organization=approver.organization, delegator=approver.user, delegate=outsider,
                          start=MAR, end=JUN)
    assert refused.value.message_dict == {"delegate": [
        f"The delegate is not a member of {approver.organization} on 2024-03-01; "
        "a delegation can only go to a member."
    ]}
    assert not Delegation.objects.exists()


def test_a_delegation_to_a_former_member_is_refused(approver_and_deputy):
    approver, deputy = approver_and_deputy
    membership_end(membership=deputy, on=MAR)
    with pytest.raises(ValidationError, match="not a member"):
        delegation_create(organization=approver.organization, delegator=approver.user, delegate=deputy.user,
                          start=MAR, end=JUN)


def test_only_someone_who_holds_the_role_may_delegate_it(approver_and_deputy):
    approver, deputy = approver_and_deputy
    with pytest.raises(ValidationError) as refused:
        delegation_create(organization=approver.organization, delegator=deputy.user, delegate=approver.user,
                          start=MAR, end=JUN)
    assert refused.value.message_dict == {"delegator": [
        f"The delegator is not an approver of {approver.organization} on 2024-03-01."
    ]}


def test_a_delegation_must_end_by_the_end_of_the_delegators_membership(approver_and_deputy):
    approver, deputy = approver_and_deputy
    membership_update(membership=approver, data={"end": JUN})
    with pytest.raises(ValidationError) as refused:
        delegation_create(organization=approver.organization, delegator=approver.user, delegate=deputy.user,
                          start=MAR, end=SEP)
    assert refused.value.message_dict == {"end": [
        f"The delegator is an approver of {approver.organization} only until 2024-06-01; "
        "the delegation must end by then."
    ]}


def test_a_delegation_goes_to_another_person_and_ends_after_it_starts(approver_and_deputy):
    approver, deputy = approver_and_deputy
    with pytest.raises(ValidationError, match="another person"):
        delegation_create(organization=approver.organization, delegator=approver.user, delegate=approver.user,
                          start=MAR, end=JUN)
    with pytest.raises(ValidationError, match="after the start"):
        delegation_create(organization=approver.organization, delegator=approver.user,
                          delegate=deputy.user, start=JUN, end=MAR)


def test_two_delegations_of_one_role_by_the_same_person_may_not_overlap(approver_and_deputy):
    approver, deputy = approver_and_deputy
    other = MembershipFactory(organization=approver.organization, role=Role.ACTION_OFFICER, start=JAN)
    delegation_create(organization=approver.organization, delegator=approver.user, delegate=deputy.user,
                      start=MAR, end=JUN)
    with pytest.raises(ValidationError) as refused:
        delegation_create(organization=approver.organization, delegator=approver.user, delegate=other.user,
                          start=datetime.date(2024, 5, 1), end=SEP)
    assert _messages(refused) == (
        f"{approver.user} already delegated the approver role in {approver.organization} to {deputy.user} "
        "from 2024-03-01 to 2024-06-01; delegations of one role may not overlap."
    )
    delegation_create(organization=approver.organization, delegator=approver.user, delegate=other.user,
                      start=JUN, end=SEP)


def test_revoking_a_running_delegation_ends_it_and_one_not_yet_started_disappears(approver_and_deputy):
    approver, deputy = approver_and_deputy
    running = delegation_create(organization=approver.organization, delegator=approver.user,
                                delegate=deputy.user, start=JAN, end=JUN)
    assert delegation_revoke(delegation=running, on=MAR).end == MAR
    planned = delegation_create(organization=approver.organization, delegator=approver.user,
                                delegate=deputy.user, start=JUN, end=SEP)
    assert delegation_revoke(delegation=planned, on=MAR) is None
    assert list(Delegation.objects.all()) == [running]
    with pytest.raises(ValidationError, match="already ended"):
        delegation_revoke(delegation=running, on=JUN)


def test_a_delegation_that_was_in_force_is_revoked_not_deleted(approver_and_deputy):
    approver, deputy = approver_and_deputy
    delegation = DelegationFactory(organization=approver.organization, delegator=approver.user,
                                   delegate=deputy.user, start=MAR, end=JUN)
    with pytest.raises(ValidationError, match="revoke it instead"):
        delegation_delete(delegation=delegation)
    planned = DelegationFactory(organization=approver.organization, delegator=approver.user,
                                delegate=deputy.user, start=timezone.localdate(),
                                end=timezone.localdate() + datetime.timedelta(days=7))
    delegation_delete(delegation=planned)
    assert list(Delegation.objects.all()) == [delegation]
