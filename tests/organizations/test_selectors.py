"""The one permission question every part asks: may this user act for this organization in this
role, on this day, and in what capacity?"""

import datetime

import pytest
from django.utils import timezone

from organizations.models import Role
from organizations.selectors import (
    Capacity,
    acting_capacity,
    may_act,
    organizations_acting_for,
    organizations_administered_by,
)
from tests.factories import DelegationFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN, MAR, JUN, SEP = (datetime.date(2024, month, 1) for month in (1, 3, 6, 9))
DAY_BEFORE_JUN = datetime.date(2024, 5, 31)


@pytest.mark.parametrize("held", Role.values)
def test_a_member_acts_in_the_role_they_hold_and_in_no_other(held):
    membership = MembershipFactory(role=held, start=JAN)
    for role in Role.values:
        assert may_act(user=membership.user, organization=membership.organization, role=role, on=MAR) == (
            role == held
        )


def test_any_of_several_roles_is_enough():
    membership = MembershipFactory(role=Role.REVIEWER, start=JAN)
    assert may_act(user=membership.user, organization=membership.organization,
                   role=[Role.REVIEWER, Role.APPROVER], on=MAR)


def test_membership_of_one_organization_gives_nothing_in_another():
    membership = MembershipFactory(role=Role.APPROVER, start=JAN)
    assert not may_act(user=membership.user, organization=OrganizationFactory(), role=Role.APPROVER, on=MAR)


def test_an_organization_may_be_given_by_its_id():
    membership = MembershipFactory(role=Role.APPROVER, start=JAN)
    assert may_act(user=membership.user, organization=membership.organization.pk, role=Role.APPROVER, on=MAR)


@pytest.mark.parametrize(("day", "expected"), [
    (datetime.date(2023, 12, 31), False),  # not started yet
    (JAN, True),                           # the first day counts
    (DAY_BEFORE_JUN, True),
    (JUN, False),                          # the end is exclusive: ended
])
def test_a_membership_counts_only_within_its_period(day, expected):
    membership = MembershipFactory(role=Role.APPROVER, start=JAN, end=JUN)
    assert may_act(user=membership.user, organization=membership.organization, role=Role.APPROVER,
                   on=day) is expected


def test_an_inactive_account_acts_for_no_one():
    membership = MembershipFactory(role=Role.APPROVER, start=JAN, user=UserFactory(is_active=False))
    assert acting_capacity(user=membership.user, organization=membership.organization, roles=Role.APPROVER,
                           on=MAR) is None
    assert not organizations_acting_for(membership.user, on=MAR).exists()


def test_nobody_logged_in_acts_for_no_one():
    from django.contrib.auth.models import AnonymousUser

    assert not may_act(user=AnonymousUser(), organization=OrganizationFactory(), role=Role.APPROVER)
    assert not organizations_acting_for(AnonymousUser()).exists()


def test_today_is_the_default_day():
    membership = MembershipFactory(role=Role.REVIEWER, start=timezone.localdate())
    assert may_act(user=membership.user, organization=membership.organization, role=Role.REVIEWER)


# Coordinators ------------------------------------------------------------------------------------

def test_only_a_designated_coordinator_answers_coordination_for_the_organization():
    designated = MembershipFactory(role=Role.REVIEWER, start=JAN, is_coordinator=True)
    not_designated = MembershipFactory(organization=designated.organization, role=Role.REVIEWER, start=JAN)
    organization = designated.organization
    assert may_act(user=designated.user, organization=organization, role=Role.REVIEWER, on=MAR, coordinator=True)
    assert not may_act(user=not_designated.user, organization=organization, role=Role.REVIEWER, on=MAR,
                       coordinator=True)
    assert may_act(user=not_designated.user, organization=organization, role=Role.REVIEWER, on=MAR)


# Delegations -------------------------------------------------------------------------------------

@pytest.fixture
def delegation():
    """The approver (a designated coordinator) is away from March to June; the deputy acts."""
    approver = MembershipFactory(role=Role.APPROVER, start=JAN, is_coordinator=True)
    deputy = MembershipFactory(organization=approver.organization, role=Role.ACTION_OFFICER, start=JAN)
    return DelegationFactory(organization=approver.organization, role=Role.APPROVER,
                             delegator=approver.user, delegate=deputy.user, start=MAR, end=JUN)


@pytest.mark.parametrize(("day", "expected"), [
    (datetime.date(2024, 2, 29), False),  # before
    (MAR, True),                          # the first day
    (DAY_BEFORE_JUN, True),               # the last day
    (JUN, False),                         # after: the delegator acts again
])
def test_a_delegate_acts_in_the_delegated_role_only_within_the_window(delegation, day, expected):
    assert may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER,
                   on=day) is expected


def test_acting_under_a_delegation_records_on_whose_behalf(delegation):
    capacity = acting_capacity(user=delegation.delegate, organization=delegation.organization,
                               roles=Role.APPROVER, on=MAR)
    assert capacity == Capacity(user_id=delegation.delegate.pk, organization_id=delegation.organization.pk,
                                role=Role.APPROVER, on_behalf_of_id=delegation.delegator.pk)


def test_acting_in_ones_own_right_records_no_one_else(delegation):
    capacity = acting_capacity(user=delegation.delegate, organization=delegation.organization,
                               roles=Role.ACTION_OFFICER, on=MAR)
    assert capacity == Capacity(delegation.delegate.pk, delegation.organization.pk, Role.ACTION_OFFICER)


def test_the_delegator_keeps_acting_in_their_own_right_during_the_delegation(delegation):
    capacity = acting_capacity(user=delegation.delegator, organization=delegation.organization,
                               roles=Role.APPROVER, on=MAR)
    assert capacity is not None and capacity.on_behalf_of_id is None


def test_a_delegation_stops_counting_once_the_delegators_membership_ends(delegation):
    approver = delegation.delegator.memberships.get()
    approver.end = datetime.date(2024, 4, 1)
    approver.save()
    assert may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER,
                   on=datetime.date(2024, 3, 31))
    assert not may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER,
                       on=datetime.date(2024, 4, 1))
    assert not organizations_acting_for(delegation.delegate, role=Role.APPROVER,
                                        on=datetime.date(2024, 4, 1)).exists()


def test_a_delegate_who_left_the_organization_no_longer_acts_under_the_delegation(delegation):
    deputy = delegation.delegate.memberships.get()
    deputy.end = datetime.date(2024, 4, 1)
    deputy.save()
    assert not may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER,
                       on=datetime.date(2024, 4, 15))
    assert not organizations_acting_for(delegation.delegate, on=datetime.date(2024, 4, 15)).exists()


def test_a_delegate_answers_coordination_when_the_delegator_is_a_designated_coordinator(delegation):
    assert may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER, on=MAR,
                   coordinator=True)


def test_a_delegation_from_someone_not_designated_gives_no_coordination_authority(delegation):
    delegation.delegator.memberships.update(is_coordinator=False)
    assert not may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER,
                       on=MAR, coordinator=True)
    assert may_act(user=delegation.delegate, organization=delegation.organization, role=Role.APPROVER, on=MAR)


def test_a_delegation_of_one_role_gives_no_other_role(delegation):
    assert not may_act(user=delegation.delegate, organization=delegation.organization, role=Role.REVIEWER,
                       on=MAR)


# The queryset filter ------------------------------------------------------------------------------

def test_organizations_acting_for_lists_own_memberships_and_honoured_delegations(delegation):
    elsewhere = MembershipFactory(user=delegation.delegate, role=Role.REVIEWER, start=JAN)
    ended = MembershipFactory(user=delegation.delegate, role=Role.REVIEWER, start=JAN, end=MAR)
    acting = organizations_acting_for(delegation.delegate, on=MAR)
    assert set(acting) == {delegation.organization, elsewhere.organization}
    assert ended.organization not in acting
    assert set(organizations_acting_for(delegation.delegate, role=Role.APPROVER, on=MAR)) == {
        delegation.organization
    }
    assert set(organizations_acting_for(delegation.delegate, role=Role.APPROVER, on=JUN)) == set()


def test_organizations_administered_are_those_where_the_user_is_organization_administrator():
    admin_membership = MembershipFactory(role=Role.ORG_ADMIN, start=JAN)
    MembershipFactory(user=admin_membership.user, role=Role.APPROVER, start=JAN)
    assert list(organizations_administered_by(admin_membership.user, on=MAR)) == [admin_membership.organization]


def test_who_acts_for_whom_is_read_afresh_outside_a_request():
    from organizations.selectors import organization_ids_acting_for

    first = MembershipFactory(role=Role.REVIEWER, start=JAN)
    assert organization_ids_acting_for(first.user) == [first.organization_id]
    second = MembershipFactory(user=first.user, role=Role.APPROVER, start=JAN)
    assert organization_ids_acting_for(first.user) == sorted([first.organization_id, second.organization_id])


def test_within_a_request_it_is_read_once_and_again_after_a_membership_changes(django_assert_num_queries):
    from organizations.selectors import acting_capacity_among, organization_ids_acting_for
    from runtime.request_memo import RequestCacheMiddleware

    first = MembershipFactory(role=Role.REVIEWER, start=JAN)
    other = OrganizationFactory()
    seen = []

    def view(request):
        with django_assert_num_queries(1):
            seen.append(organization_ids_acting_for(first.user))
            seen.append(acting_capacity_among(user=first.user, organizations=[other, first.organization],
                                              roles=[Role.REVIEWER]))
        MembershipFactory(user=first.user, organization=other, role=Role.REVIEWER, start=JAN)
        seen.append(organization_ids_acting_for(first.user))
        seen.append(acting_capacity_among(user=first.user, organizations=[other, first.organization],
                                          roles=[Role.REVIEWER]))

    RequestCacheMiddleware(view)(object())
    assert seen == [[first.organization_id], Capacity(first.user.pk, first.organization_id, Role.REVIEWER),
                    sorted([first.organization_id, other.pk]), Capacity(first.user.pk, other.pk, Role.REVIEWER)]


def test_outside_a_request_acting_in_ones_own_right_is_one_query_and_own_right_comes_first(django_assert_num_queries):
    from organizations.selectors import acting_capacity_among

    own = MembershipFactory(role=Role.APPROVER, start=JAN)
    elsewhere = MembershipFactory(user=own.user, role=Role.REVIEWER, start=JAN)
    holder = MembershipFactory(organization=elsewhere.organization, role=Role.APPROVER, start=JAN)
    DelegationFactory(organization=elsewhere.organization, role=Role.APPROVER, delegator=holder.user,
                      delegate=own.user, start=JAN, end=datetime.date(2099, 1, 1))
    with django_assert_num_queries(1):
        capacity = acting_capacity_among(user=own.user, organizations=[elsewhere.organization, own.organization],
                                         roles=[Role.APPROVER])
    assert capacity == Capacity(own.user.pk, own.organization_id, Role.APPROVER)
    assert acting_capacity_among(user=own.user, organizations=[elsewhere.organization], roles=[Role.APPROVER]) == \
        Capacity(own.user.pk, elsewhere.organization_id, Role.APPROVER, on_behalf_of_id=holder.user.pk)


def test_a_person_acts_for_a_designation_only_while_their_organization_holds_it_and_in_the_role_asked():
    from organizations.models import Designation, OrganizationDesignation
    from organizations.selectors import acts_for_designation, designations_acting_for, organization_holds

    policy, other = OrganizationFactory(acronym="USD(P)"), OrganizationFactory(acronym="EUCOM")
    OrganizationDesignation.objects.create(organization=policy, designation=Designation.POLICY_OFFICE,
                                           start=JAN, end=JUN)
    OrganizationDesignation.objects.create(organization=other, designation=Designation.POLICY_OFFICE, start=JUN)
    # A member until June: asked about March, what counts is March, not today.
    reviewer = MembershipFactory(organization=policy, role=Role.REVIEWER, start=JAN, end=JUN).user
    outsider = MembershipFactory(organization=other, role=Role.REVIEWER, start=JAN).user

    assert organization_holds(policy, Designation.POLICY_OFFICE, on=MAR)
    assert organization_holds(policy.pk, Designation.POLICY_OFFICE, on=MAR)
    assert not organization_holds(policy, Designation.POLICY_OFFICE, on=SEP)
    assert not organization_holds(policy, Designation.JOINT_STAFF, on=MAR)
    assert not organization_holds(None, Designation.POLICY_OFFICE, on=MAR)

    assert designations_acting_for(reviewer, on=MAR) == {Designation.POLICY_OFFICE}
    assert acts_for_designation(reviewer, Designation.POLICY_OFFICE, role=Role.REVIEWER, on=MAR)
    assert not acts_for_designation(reviewer, Designation.POLICY_OFFICE, role=Role.APPROVER, on=MAR)
    assert not acts_for_designation(reviewer, Designation.POLICY_OFFICE, on=SEP)
    assert not acts_for_designation(outsider, Designation.POLICY_OFFICE, on=MAR)
    assert acts_for_designation(outsider, Designation.POLICY_OFFICE, on=SEP)
    assert designations_acting_for(UserFactory(), on=MAR) == set()


def test_the_first_organization_a_person_acts_for_is_answered_for_the_day_asked():
    """``acting_capacity_among`` (what the actor rules ask) answers for the day asked, outside a
    request too: a membership that ended counts on a day it was current, and not today."""
    from organizations.selectors import acting_capacity_among

    membership = MembershipFactory(role=Role.APPROVER, start=JAN, end=JUN)
    other = OrganizationFactory()
    asked = {"user": membership.user, "organizations": [other, membership.organization], "roles": [Role.APPROVER]}

    assert acting_capacity_among(**asked, on=MAR) == Capacity(membership.user.pk, membership.organization_id,
                                                                Role.APPROVER)
    assert acting_capacity_among(**asked) is None


def test_a_delegation_counts_only_while_its_delegator_holds_that_role_in_that_organization():
    """``acting_roles`` (what every page asks, once per request): a delegate member acts for the
    delegator only if the delegator holds, that day, the delegated role in the delegation's
    organization; another person's role, the delegator's role elsewhere, or another role of
    theirs there gives nothing."""
    from organizations.selectors import acting_roles

    organization, elsewhere = OrganizationFactory(), OrganizationFactory()
    delegate = MembershipFactory(organization=organization, role=Role.ACTION_OFFICER).user

    def delegated_roles():
        return {(a.organization_id, a.role) for a in acting_roles(delegate) if a.on_behalf_of_id is not None}

    delegator = UserFactory()
    DelegationFactory(organization=organization, role=Role.APPROVER, delegator=delegator, delegate=delegate)
    MembershipFactory(user=UserFactory(), organization=organization, role=Role.APPROVER)  # someone else holds it
    MembershipFactory(user=delegator, organization=elsewhere, role=Role.APPROVER)  # the delegator, elsewhere
    MembershipFactory(user=delegator, organization=organization, role=Role.REVIEWER)  # another role, there
    assert delegated_roles() == set()

    MembershipFactory(user=delegator, organization=organization, role=Role.APPROVER)
    assert delegated_roles() == {(organization.pk, Role.APPROVER)}
