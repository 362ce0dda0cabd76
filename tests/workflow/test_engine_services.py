"""Every service of the engine, driven directly on a kind of document the engine has never heard
of: the tests' own *proposal* (tests/workflow/kindapp), registered the way planning and
assessments register theirs. Each event writes exactly one history entry and each entry exactly
one audit event; a refusal writes neither."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import Designation, Membership
from tests.factories import UserFactory
from tests.workflow.kindapp.models import KIND, Proposal, ProposalState
from workflow.calendar import add_working_days, working_day_on_or_after
from workflow.exceptions import ActionRefused, Conflict, InvalidInput, NotPermitted, TransitionRefused
from workflow.models import Comment, Decision, Response, Route, RouteStep, Step, Tasker, TaskerState
from workflow.selectors import taskers_of
from workflow.services import (
    comment_adjudicate,
    comment_agree,
    tasker_acknowledge,
    tasker_change_suspense,
    tasker_reassign,
    tasker_remove,
    tasker_respond,
    tasker_return_misrouted,
    taskers_cancel_bulk,
    taskers_issue_bulk,
    transition_perform,
)

from .helpers import AO, APP, REV, audit_events_of, critical, last_history_pk, new_history


@pytest.fixture
def kind(world):
    """The proposal's route: DA and DON coordinate, the policy office (USD(P)) approves."""
    route = Route.objects.create(document_kind=KIND, name="Proposals")
    RouteStep.objects.create(route=route, step=Step.COORDINATION, organization=world.orgs["DA"], position=1)
    RouteStep.objects.create(route=route, step=Step.COORDINATION, organization=world.orgs["DON"], position=2)
    RouteStep.objects.create(route=route, step=Step.APPROVAL, designation=Designation.POLICY_OFFICE, position=3)
    return world


def proposal(world, title="Share the exercise calendar", state=ProposalState.DRAFT) -> Proposal:
    return Proposal.objects.create(title=title, owner=world.orgs["EUCOM"], state=state)


def submitted(world) -> Proposal:
    return transition_perform(document=proposal(world), name="submit", by=world.user("EUCOM", AO))


def tasker(document, acronym, step=Step.COORDINATION) -> Tasker:
    return taskers_of(document, step=step).get(organization__acronym=acronym)


class Trail:
    """What one action wrote: the history entries after a mark, and their audit events."""

    def __init__(self):
        self.mark = last_history_pk()
        self.entries = []

    def written(self) -> list[tuple[str, int]]:
        self.entries = new_history(self.mark)
        audits = audit_events_of(self.entries)
        assert all(count == 1 for count in audits.values()), audits  # one audit event per entry
        self.mark = self.entries[-1].pk if self.entries else self.mark
        return [(entry.action, entry.object_id) for entry in self.entries]


def next_saturday(after: datetime.date) -> datetime.date:
    return after + datetime.timedelta(days=(5 - after.weekday()) % 7 or 7)


# --- transitions -----------------------------------------------------------------------------

def test_a_new_kind_moves_through_transition_perform_with_one_history_entry_per_event(kind):
    world, trail = kind, Trail()
    document = submitted(world)
    assert document.state == ProposalState.COORDINATION
    assert document.route_snapshot["route_name"] == "Proposals"
    # The transition's effects are written first (its taskers), then the transition itself.
    assert trail.written() == [("coordination_taskers_issued", document.pk), ("submit", document.pk)]
    assert sorted(taskers_of(document).values_list("organization__acronym", flat=True)) == ["DA", "DON"]

    with pytest.raises(TransitionRefused, match="Waiting for the answers of DA, DON"):
        transition_perform(document=document, name="send_for_approval", by=world.user("EUCOM", AO))
    with pytest.raises(TransitionRefused, match="the owning organization"):
        transition_perform(document=document, name="send_for_approval", by=world.user("DA", AO))
    assert trail.written() == []

    for acronym in ("DA", "DON"):
        tasker_respond(tasker=tasker(document, acronym), by=world.user(acronym, REV), response=Response.CONCUR)
    assert trail.written() == [("tasker_answered", document.pk)] * 2
    document = transition_perform(document=document, name="send_for_approval", by=world.user("EUCOM", AO))
    assert trail.written() == [("approval_taskers_issued", document.pk), ("send_for_approval", document.pk)]
    approval = tasker(document, "USD(P)", step=Step.APPROVAL)

    document = transition_perform(document=document, name="approve", by=world.user("USD(P)", APP),
                                  expected_state=ProposalState.APPROVAL)
    approval.refresh_from_db()
    assert (document.state, approval.state, approval.response) == (ProposalState.APPROVED, TaskerState.ANSWERED,
                                                                   Response.APPROVED)
    assert approval.answered_by == world.user("USD(P)", APP)
    assert trail.written() == [("approve", document.pk)]

    # A step of the system: made by the engine on behalf of the person whose action caused it.
    document = transition_perform(document=document, name="archive", by=world.user("USD(P)", APP), system=True)
    entry = new_history(trail.mark)[0]
    assert (entry.actor, entry.caused_by, entry.to_state) == (None, world.user("USD(P)", APP), "archived")
    assert trail.written() == [("archive", document.pk)]
    with pytest.raises(TransitionRefused, match="happens automatically"):
        transition_perform(document=proposal(world, state=ProposalState.APPROVED), name="archive",
                           by=world.user("EUCOM", AO))


def test_returning_cancels_the_open_taskers_within_the_transitions_one_entry(kind):
    world = kind
    document = submitted(world)
    trail = Trail()
    with pytest.raises(TransitionRefused, match="Reason for return is required"):
        transition_perform(document=document, name="send_back", by=world.user("EUCOM", AO))
    document = transition_perform(document=document, name="send_back", by=world.user("EUCOM", AO),
                                  comment="Wrong exercise year")
    assert set(taskers_of(document).values_list("state", "closed_reason")) == {
        (TaskerState.CANCELLED, "Returned: Wrong exercise year")}
    assert trail.written() == [("send_back", document.pk)]


# --- one tasker at a time --------------------------------------------------------------------

def test_acknowledge_respond_and_the_same_answer_twice(kind):
    world = kind
    document = submitted(world)
    trail = Trail()
    da = tasker_acknowledge(tasker=tasker(document, "DA"), by=world.user("DA", AO))
    assert (da.state, da.acknowledged_by) == (TaskerState.ACKNOWLEDGED, world.user("DA", AO))
    with pytest.raises(ActionRefused, match="already acknowledged"):
        tasker_acknowledge(tasker=da, by=world.user("DA", AO))
    with pytest.raises(NotPermitted, match="of DA may do this"):
        tasker_acknowledge(tasker=tasker(document, "DA"), by=world.user("DON", AO))
    assert trail.written() == [("tasker_acknowledged", document.pk)]

    with pytest.raises(InvalidInput, match="at least one critical comment"):
        tasker_respond(tasker=tasker(document, "DON"), by=world.user("DON", REV), response=Response.NONCONCUR,
                       rationale="Double-counted")
    don = tasker_respond(tasker=tasker(document, "DON"), by=world.user("DON", REV), response=Response.NONCONCUR,
                         rationale="Double-counted", comments=critical())
    tasker_respond(tasker=don, by=world.user("DON", REV), response=Response.NONCONCUR, rationale="Double-counted",
                   comments=critical())  # the same answer again: one answer
    assert (don.state, don.response) == (TaskerState.ANSWERED, Response.NONCONCUR)
    don.refresh_from_db()
    assert (don.answered_by, don.answered_on_behalf_of) == (world.user("DON", REV), None)
    assert don.answered_at is not None
    assert Comment.objects.filter(tasker=don).count() == 1
    assert trail.written() == [("tasker_answered", document.pk)]


def test_reassign_gives_the_tasker_to_a_member_of_the_same_organization_only(kind):
    world = kind
    document = submitted(world)
    trail = Trail()
    colleague = world.user("DA", APP)
    with pytest.raises(InvalidInput, match="is not a member of DA"):
        tasker_reassign(tasker=tasker(document, "DA"), by=world.user("DA", AO), assignee=world.user("DON", AO))
    with pytest.raises(NotPermitted):
        tasker_reassign(tasker=tasker(document, "DA"), by=world.user("DON", AO), assignee=colleague)
    reassigned = tasker_reassign(tasker=tasker(document, "DA"), by=world.user("DA", AO), assignee=colleague)
    assert tasker(document, "DA").assignee == colleague == reassigned.assignee
    assert trail.written() == [("tasker_reassigned", document.pk)]
    assert Membership.objects.filter(user=colleague, organization=world.orgs["DA"]).exists()


def test_return_as_misrouted_needs_a_reason_and_closes_the_tasker(kind):
    world = kind
    document = submitted(world)
    trail = Trail()
    with pytest.raises(InvalidInput, match="Say why the tasker is misrouted"):
        tasker_return_misrouted(tasker=tasker(document, "DON"), by=world.user("DON", REV), reason=" ")
    returned = tasker_return_misrouted(tasker=tasker(document, "DON"), by=world.user("DON", REV),
                                       reason="Not a naval matter")
    assert (returned.state, returned.closed_reason) == (TaskerState.MISROUTED, "Not a naval matter")
    assert new_history(trail.mark)[-1].comment == "Not a naval matter"  # the history says why
    with pytest.raises(ActionRefused, match="Only an open tasker"):
        tasker_return_misrouted(tasker=returned, by=world.user("DON", REV), reason="Again")
    assert trail.written() == [("tasker_misrouted", document.pk)]


def test_the_owner_removes_a_participant_with_a_reason(kind):
    world = kind
    document = submitted(world)
    trail = Trail()
    with pytest.raises(NotPermitted, match="Only an action officer or approver of EUCOM"):
        tasker_remove(tasker=tasker(document, "DA"), by=world.user("DA", AO), reason="Not needed")
    with pytest.raises(InvalidInput, match="needs a recorded reason"):
        tasker_remove(tasker=tasker(document, "DA"), by=world.user("EUCOM", AO), reason="")
    removed = tasker_remove(tasker=tasker(document, "DA"), by=world.user("EUCOM", AO), reason="Not needed")
    assert (removed.state, removed.closed_reason) == (TaskerState.CANCELLED, "Not needed")
    assert trail.written() == [("tasker_removed", document.pk)]


def test_the_owner_moves_a_suspense_to_a_working_day_with_a_reason(kind):
    world = kind
    document = submitted(world)
    trail = Trail()
    saturday = next_saturday(timezone.localdate() + datetime.timedelta(days=30))
    expected, note = working_day_on_or_after(saturday)
    with pytest.raises(NotPermitted, match="may move a suspense"):
        tasker_change_suspense(tasker=tasker(document, "DA"), by=world.user("DA", AO), suspense=saturday,
                               reason="Exercise")
    with pytest.raises(InvalidInput, match="cannot be in the past"):
        tasker_change_suspense(tasker=tasker(document, "DA"), by=world.user("EUCOM", AO),
                               suspense=timezone.localdate() - datetime.timedelta(days=1), reason="Exercise")
    with pytest.raises(InvalidInput, match="needs a reason"):
        tasker_change_suspense(tasker=tasker(document, "DA"), by=world.user("EUCOM", AO), suspense=saturday,
                               reason="")
    moved = tasker_change_suspense(tasker=tasker(document, "DA"), by=world.user("EUCOM", AO), suspense=saturday,
                                   reason="Exercise in the theater")
    assert (moved.suspense, moved.suspense_reason) == (expected, f"Exercise in the theater; {note}")
    assert note and trail.written() == [("suspense_changed", document.pk)]
    assert note in trail.entries[0].description


def test_the_owner_adjudicates_a_comment_and_its_organization_agrees(kind):
    world = kind
    document = submitted(world)
    don = tasker_respond(tasker=tasker(document, "DON"), by=world.user("DON", REV), response=Response.NONCONCUR,
                         rationale="Double-counted", comments=critical())
    comment = Comment.objects.get(tasker=don)
    trail = Trail()
    with pytest.raises(InvalidInput, match="needs a rationale"):
        comment_adjudicate(comment=comment, by=world.user("EUCOM", AO), decision=Decision.REJECTED, rationale="")
    with pytest.raises(NotPermitted, match="adjudicates comments"):
        comment_adjudicate(comment=comment, by=world.user("DON", AO), decision=Decision.ACCEPTED, rationale="")
    with pytest.raises(ActionRefused, match="not adjudicated yet") as not_yet:
        comment_agree(comment=comment, by=world.user("DON", REV))
    assert not isinstance(not_yet.value, NotPermitted)  # "not now" (409) for the commenter, not "never" (403)
    with pytest.raises(NotPermitted):
        comment_agree(comment=comment, by=world.user("DA", REV))
    comment = comment_adjudicate(comment=comment, by=world.user("EUCOM", AO), decision=Decision.REJECTED,
                                 rationale="Counted once in annex B")
    comment = comment_agree(comment=comment, by=world.user("DON", REV))
    comment_agree(comment=comment, by=world.user("DON", REV))  # agreeing again writes nothing
    assert comment.commenter_agreed_by == world.user("DON", REV)
    assert trail.written() == [("comment_adjudicated", document.pk), ("comment_agreed", document.pk)]


# --- in bulk ---------------------------------------------------------------------------------

def _issue(world, documents, suspense):
    return taskers_issue_bulk(issues=[(d, [(world.orgs["DA"], "named by the test"), (world.orgs["DON"], "too")])
                                      for d in documents],
                              step=Step.COORDINATION, suspense=suspense, by=world.user("EUCOM", AO))


def test_bulk_issue_writes_one_entry_per_document_in_queries_that_do_not_grow(kind):
    world = kind
    saturday = next_saturday(timezone.localdate() + datetime.timedelta(days=30))
    expected, note = working_day_on_or_after(saturday)
    ContentType.objects.get_for_model(Proposal)  # both measurements start with the kind's content type known
    world.user("EUCOM", AO)
    queries = []
    for count in (2, 6):
        documents = [proposal(world, f"Proposal {count}-{n}") for n in range(count)]
        trail = Trail()
        with CaptureQueriesContext(connection) as captured:
            issued = _issue(world, documents, saturday)
        queries.append(len(captured))
        assert len(issued) == 2 * count
        assert {(t.suspense, t.suspense_reason) for t in issued} == {(expected, note)}
        assert trail.written() == [("coordination_taskers_issued", d.pk) for d in documents]
        entry = trail.entries[-1]
        assert entry.description == (f"Coordination taskers issued to DA, DON, suspense {expected:%d %b %Y} "
                                     f"({note})") and entry.actor == world.user("EUCOM", AO)
    assert queries[0] == queries[1], queries

    trail = Trail()
    with pytest.raises(InvalidInput, match="cannot be in the past"):
        _issue(world, [proposal(world)], timezone.localdate() - datetime.timedelta(days=3))
    assert trail.written() == []


def test_bulk_cancel_cancels_only_open_taskers_one_entry_per_document_in_queries_that_do_not_grow(kind):
    world = kind
    suspense = add_working_days(timezone.localdate(), 10)
    queries = []
    for count in (2, 5):
        documents = [proposal(world, f"Proposal {count}-{n}", state=ProposalState.COORDINATION)
                     for n in range(count)]
        _issue(world, documents, suspense)
        answered = Tasker.objects.filter(object_id=documents[0].pk, organization__acronym="DA").get()
        tasker_respond(tasker=answered, by=world.user("DA", REV), response=Response.CONCUR)
        trail = Trail()
        with CaptureQueriesContext(connection) as captured:
            cancelled = taskers_cancel_bulk(taskers=Tasker.objects.filter(object_id__in=[d.pk for d in documents]),
                                            reason="The exercise was called off", caused_by=world.user("EUCOM", AO))
        queries.append(len(captured))
        assert len(cancelled) == 2 * count - 1
        assert set(Tasker.objects.filter(object_id__in=[d.pk for d in documents]).values_list("state", flat=True)
                   ) == {TaskerState.CANCELLED, TaskerState.ANSWERED}
        answered.refresh_from_db()
        assert answered.state == TaskerState.ANSWERED
        assert trail.written() == [("taskers_cancelled", d.pk) for d in documents]
        first, second = trail.entries[:2]
        assert first.description == "Coordination tasker of DON cancelled: The exercise was called off"
        assert second.description == "Coordination taskers of DA, DON cancelled: The exercise was called off"
        assert (first.actor, first.caused_by) == (None, world.user("EUCOM", AO))
    assert queries[0] == queries[1], queries
    trail = Trail()
    assert taskers_cancel_bulk(taskers=Tasker.objects.all(), reason="Nothing open") == []
    assert trail.written() == []


def test_an_answer_made_on_a_delegation_names_whose_it_was(kind):
    """A delegate answers for the coordinator who delegated to them: the tasker names both."""
    from tests.factories import DelegationFactory

    world = kind
    document = submitted(world)
    coordinator = world.user("DA", REV)
    delegate = UserFactory(username="da_delegate")
    Membership.objects.create(user=delegate, organization=world.orgs["DA"], role=AO,
                              start=datetime.date(2000, 1, 1))
    DelegationFactory(organization=world.orgs["DA"], role=REV, delegator=coordinator, delegate=delegate)

    answered = tasker_respond(tasker=tasker(document, "DA"), by=delegate, response=Response.CONCUR)

    answered.refresh_from_db()
    assert (answered.answered_by, answered.answered_on_behalf_of) == (delegate, coordinator)


def test_a_step_decided_by_a_transition_takes_no_answer(kind):
    """The approval step is decided by the approver's transition, not answered: a response there
    is refused in words (which the API gives as a 409), and nothing is written."""
    world = kind
    document = submitted(world)
    for acronym in ("DA", "DON"):
        tasker_respond(tasker=tasker(document, acronym), by=world.user(acronym, REV), response=Response.CONCUR)
    document = transition_perform(document=document, name="send_for_approval", by=world.user("EUCOM", AO))
    approval = tasker(document, "USD(P)", step=Step.APPROVAL)
    trail = Trail()

    with pytest.raises(ActionRefused, match="Approval taskers take no answer"):
        tasker_respond(tasker=approval, by=world.user("USD(P)", APP), response=Response.CONCUR)

    approval.refresh_from_db()
    assert approval.response == ""
    assert trail.written() == []


def test_only_a_designated_coordinator_answers_a_coordination_tasker(kind):
    """A reviewer of the tasked organization who is not designated its coordinator may not answer
    for it; the designated coordinator may."""
    world = kind
    document = submitted(world)
    undesignated = UserFactory(username="da_reviewer_not_coordinator")
    Membership.objects.create(user=undesignated, organization=world.orgs["DA"], role=REV, is_coordinator=False,
                              start=datetime.date(2000, 1, 1))
    trail = Trail()

    with pytest.raises(NotPermitted, match="designated as a coordinator"):
        tasker_respond(tasker=tasker(document, "DA"), by=undesignated, response=Response.CONCUR)
    assert trail.written() == []

    tasker_respond(tasker=tasker(document, "DA"), by=world.user("DA", REV), response=Response.CONCUR)
    assert tasker(document, "DA").response == Response.CONCUR


def test_a_refusal_says_whether_the_person_may_not_or_not_now(kind):
    """``forbidden`` (the API's 403) only when the step is possible now and the person is not one
    who may make it; a wrong state, an unmet condition or a step of the system's is "not now" (409)
    for everyone else."""
    world = kind
    draft = proposal(world)

    def refusal(document, name, by, **options):
        with pytest.raises(TransitionRefused) as refused:
            transition_perform(document=document, name=name, by=by, **options)
        return refused.value.forbidden, " ".join(refused.value.reasons)

    assert refusal(draft, "submit", world.user("DA", AO))[0] is True  # another organization's officer
    assert refusal(draft, "approve", world.user("USD(P)", APP)) == (
        False, f"Not possible while the proposal is {ProposalState.DRAFT.label.lower()}.")
    # The engine's own step in a wrong state is refused in words too, not attempted.
    assert refusal(draft, "archive", world.user("USD(P)", APP), system=True)[1].startswith("Not possible while")
    document = submitted(world)
    assert refusal(document, "send_for_approval", world.user("EUCOM", AO)) == (
        False, "Waiting for the answers of DA, DON.")
    approved = proposal(world, state=ProposalState.APPROVED)
    forbidden, reasons = refusal(approved, "archive", world.user("USD(P)", APP))
    assert forbidden is True and "happens automatically" in reasons
    assert Proposal.objects.get(pk=draft.pk).state == ProposalState.DRAFT


def test_a_transition_asked_on_a_stale_copy_says_someone_else_moved_it(kind):
    """Without an expected state, a refusal on a copy read before someone else moved the document
    is a conflict that says where it is now, with the reasons."""
    world = kind
    document = submitted(world)
    stale = Proposal.objects.get(pk=document.pk)
    transition_perform(document=document, name="send_back", by=world.user("EUCOM", AO), comment="Rework it")

    with pytest.raises(Conflict) as conflict:
        transition_perform(document=stale, name="send_for_approval", by=world.user("EUCOM", AO))

    words = str(conflict.value)
    assert f"Someone else changed this proposal: it is now {ProposalState.RETURNED.label.lower()}" in words
    assert "Not possible while" in words


def test_the_transition_records_its_comment_and_the_capacity_its_effects_act_in(kind):
    world = kind
    trail = Trail()
    document = transition_perform(document=submitted(world), name="send_back", by=world.user("EUCOM", AO),
                                  comment="Rework the annex")
    issued, submit, returned = new_history(trail.mark)
    assert (returned.action, returned.comment) == ("send_back", "Rework the annex")
    # The submit's effect issued the taskers in the capacity the transition was made in.
    assert issued.action == "coordination_taskers_issued"
    assert issued.acting_for == submit.acting_for == world.orgs["EUCOM"]
    assert document.state == ProposalState.RETURNED


def test_a_tasker_is_reassigned_only_to_someone_who_may_answer_it(kind):
    """Within the tasked organization, to a reviewer or approver designated as its coordinator
    whose account is switched on: not to another organization's coordinator, an action officer,
    an undesignated reviewer or a switched-off account."""
    world = kind
    document = submitted(world)
    da = world.orgs["DA"]
    undesignated = UserFactory(username="da_undesignated_reviewer")
    Membership.objects.create(user=undesignated, organization=da, role=REV, is_coordinator=False,
                              start=datetime.date(2000, 1, 1))
    switched_off = UserFactory(username="da_switched_off_reviewer", is_active=False)
    Membership.objects.create(user=switched_off, organization=da, role=REV, is_coordinator=True,
                              start=datetime.date(2000, 1, 1))
    trail = Trail()

    for assignee in (world.user("DON", REV), world.user("DA", AO), undesignated, switched_off):
        with pytest.raises(InvalidInput):
            tasker_reassign(tasker=tasker(document, "DA"), by=world.user("DA", AO), assignee=assignee)
    assert tasker(document, "DA").assignee is None
    assert trail.written() == []

    tasker_reassign(tasker=tasker(document, "DA"), by=world.user("DA", AO), assignee=world.user("DA", APP))
    assert tasker(document, "DA").assignee == world.user("DA", APP)


def test_the_people_offered_for_a_tasker_are_its_organizations_reviewers_and_approvers(kind):
    """What the reassign list offers (``tasker_assignees``): for a review tasker, the tasked
    organization's reviewers and approvers; not its action officers, not another organization's."""
    from workflow.services import tasker_assignees

    world = kind
    people = {key: world.user(acronym, role) for key, (acronym, role) in {
        "reviewer": ("DA", REV), "approver": ("DA", APP), "officer": ("DA", AO), "other": ("DON", REV)}.items()}
    offered = set(tasker_assignees(organization_ids=[world.orgs["DA"].pk], step=Step.REVIEW)
                  .values_list("user_id", flat=True))
    assert {key for key, user in people.items() if user.pk in offered} == {"reviewer", "approver"}
