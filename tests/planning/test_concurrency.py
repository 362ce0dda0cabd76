"""Concurrent work on plans, on PostgreSQL. Two approvers acting on the same plan at the same
moment: exactly one succeeds, the other gets a conflict, and the history shows one approval.
Twenty clients mixing every kind of work on a plan and its neighbours: no server error, every
refusal says why, one history entry per success, and the plans end as some serial order of the
successes would leave them."""

from __future__ import annotations

import datetime
import itertools
import random
import threading
import time
import traceback
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from organizations.models import Membership, Role
from planning.models import CampaignPlan, PlanState
from reminders.services import reminder_policy_default_ensure
from workflow.exceptions import ActionRefused, Conflict, TransitionRefused
from workflow.models import Decision, Response, Step
from workflow.selectors import comments_of, history_of, open_taskers, taskers_of
from workflow.services import (
    comment_adjudicate,
    tasker_change_suspense,
    tasker_reassign,
    tasker_respond,
    transition_perform,
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_one_succeeds_the_other_gets_a_conflict(world):
    AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    plan = transition_perform(document=plan, name="send_to_review", by=world.user("EUCOM", AO))
    for acronym in ("J5", "USD(P)"):
        tasker_respond(tasker=open_taskers(plan, step=Step.REVIEW).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response=Response.CONCUR)
    second = get_user_model().objects.create_user("eucom_second_approver", password="x" * 16)
    Membership.objects.create(user=second, organization=world.orgs["EUCOM"], role=APP,
                              start=datetime.date(2020, 1, 1))
    approvers = [world.user("EUCOM", APP), second]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):
        try:
            seen = CampaignPlan.objects.get(pk=plan.pk)  # what each approver has on screen
            barrier.wait(timeout=10)
            transition_perform(document=seen, name="approve", by=user, expected_state=seen.state)
            outcomes.append("approved")
        except Conflict as conflict:
            outcomes.append(f"conflict: {conflict.reasons[0]}")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "conflict"], outcomes
    assert "Someone else changed this campaign plan" in next(o for o in outcomes if o.startswith("conflict"))
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.APPROVED
    assert history_of(plan).filter(action="approve").count() == 1


# --- mixed work from twenty clients ----------------------------------------------------------

MIXED_SECONDS = 8
COORDINATING, REVIEWING = ("DA", "DON", "USD(AT&L)"), ("J5", "USD(P)")
MIXED_ACTIONS = {"tasker_answered", "comment_adjudicated", "send_to_review", "elevate", "return_for_rework",
                 "approve", "withdraw", "tasker_reassigned", "suspense_changed"}


class MixedWork:
    """Twenty clients acting on one plan and its neighbours, each step read fresh as a user's
    page would be, each client on its own connection. Every call's outcome is kept."""

    def __init__(self, world, plans):
        AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
        self.plans = plans
        self.users = {("EUCOM", AO): world.user("EUCOM", AO), ("EUCOM", APP): world.user("EUCOM", APP),
                      ("USD(P)", APP): world.user("USD(P)", APP)}
        for acronym in COORDINATING + REVIEWING:
            self.users[acronym, REV] = world.user(acronym, REV)
        self.orgs = world.orgs
        self.numbers = itertools.count()
        self.successes: list[tuple[int, str]] = []
        self.refusals: list[tuple[str, list[str]]] = []
        self.failures: list[str] = []

    def owner(self, role=Role.ACTION_OFFICER):
        return self.users["EUCOM", role]

    # each returns the history action its success records, or None when there is nothing to do
    def answer(self, rng, plan):
        step = plan.current_step()
        if step is None:
            return None
        acronym = rng.choice(COORDINATING if step == Step.COORDINATION else REVIEWING)
        tasker = taskers_of(plan, step=step).filter(organization=self.orgs[acronym]).first()
        if tasker is None:
            return None
        n = next(self.numbers)
        choices = [Response.CONCUR, Response.CONCUR_WITH_COMMENT] + (
            [Response.NONCONCUR] * 2 if step == Step.COORDINATION else [])
        response = rng.choice(choices)
        comments = {Response.CONCUR: [],
                    Response.CONCUR_WITH_COMMENT: [{"category": "substantive", "text": f"Expand 2.c ({n})"}],
                    Response.NONCONCUR: [{"category": "critical", "section": "3.a", "text": f"Remove 3.a ({n})"}]}
        tasker_respond(tasker=tasker, by=self.users[acronym, Role.REVIEWER], response=response,
                       rationale=f"Answer {n} of {acronym}", comments=comments[response])
        return "tasker_answered"

    def adjudicate(self, rng, plan):
        comments = list(comments_of(plan).order_by("pk"))
        if not comments:
            return None
        comment_adjudicate(comment=rng.choice(comments), by=self.owner(), decision=rng.choice(Decision.values),
                           rationale=f"Adjudication {next(self.numbers)}")
        return "comment_adjudicated"

    def transition(self, name, user, comment=""):
        def perform(rng, plan):
            transition_perform(document=plan, name=name, by=user, expected_state=plan.state,
                               comment=f"{comment} {next(self.numbers)}" if comment else "")
            return name
        return perform

    def reassign(self, rng, plan):
        taskers = list(open_taskers(plan).filter(organization__acronym__in=COORDINATING + REVIEWING))
        if not taskers:
            return None
        tasker = rng.choice(taskers)
        member = self.users[tasker.organization.acronym, Role.REVIEWER]
        tasker_reassign(tasker=tasker, by=member, assignee=member)
        return "tasker_reassigned"

    def change_suspense(self, rng, plan):
        taskers = list(open_taskers(plan))
        if not taskers:
            return None
        tasker_change_suspense(tasker=rng.choice(taskers), by=self.owner(),
                               suspense=timezone.localdate() + datetime.timedelta(days=rng.randint(20, 60)),
                               reason=f"Moved {next(self.numbers)}")
        return "suspense_changed"

    def operations(self):
        REV, APP = Role.REVIEWER, Role.APPROVER
        return [
            (self.answer, 6), (self.adjudicate, 3),
            (self.transition("send_to_review", self.owner()), 2),
            (self.transition("elevate", self.owner(APP), "Disputed force counts"), 1),
            (self.transition("return_for_rework", self.users["J5", REV], "Rework the annex"), 0.5),
            (self.transition("approve", self.users["EUCOM", APP]), 1),
            (self.transition("withdraw", self.owner(), "Overtaken by events"), 0.2),
            (self.reassign, 1), (self.change_suspense, 1),
        ]

    def client(self, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        operations, weights = zip(*self.operations(), strict=True)
        neighbours = [plan.pk for plan in self.plans]
        try:
            while time.monotonic() < deadline:
                plan_pk = rng.choice([neighbours[0]] * 3 + neighbours[1:])  # most work on the first plan
                operation = rng.choices(operations, weights)[0]
                try:
                    done = operation(rng, CampaignPlan.objects.get(pk=plan_pk))
                    if done:
                        self.successes.append((plan_pk, done))
                except (Conflict, TransitionRefused) as refusal:
                    self.refusals.append(("409", refusal.reasons))
                except ActionRefused as refusal:  # a tasker action once its step has ended (403, with why)
                    self.refusals.append(("403", refusal.reasons))
                except Exception:  # noqa: BLE001 (anything else is what this test looks for)
                    self.failures.append(traceback.format_exc())
        finally:
            connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_mixed_concurrent_work_on_a_plan_and_its_neighbours_ends_consistent(world):
    # The default reminder policy is there, as the data migration leaves it (this test's database is
    # emptied between tests).
    reminder_policy_default_ensure()
    owner = world.user("EUCOM", Role.ACTION_OFFICER)
    plans = [transition_perform(document=world.ready_plan(), name="submit", by=owner) for _ in range(8)]
    work = MixedWork(world, plans)
    deadline = time.monotonic() + MIXED_SECONDS
    clients = [threading.Thread(target=work.client, args=(seed, deadline)) for seed in range(20)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=MIXED_SECONDS + 120)
    assert not any(client.is_alive() for client in clients)

    assert work.failures == [], work.failures[0]
    assert all(reasons and all(reasons) for _status, reasons in work.refusals)
    assert len(work.successes) >= 20 and work.refusals, (len(work.successes), len(work.refusals))
    for plan in plans:
        plan = CampaignPlan.objects.get(pk=plan.pk)
        history = list(history_of(plan).order_by("pk"))
        # Exactly one history entry per success.
        done = Counter(action for pk, action in work.successes if pk == plan.pk)
        recorded = Counter(entry.action for entry in history if entry.action in MIXED_ACTIONS)
        assert recorded == done, (plan.pk, recorded, done)
        # The recorded transitions are a serial order of declared steps that ends in the plan's state.
        steps = [(entry.action, entry.from_state, entry.to_state) for entry in history if entry.to_state]
        assert steps[0] == ("created", "", PlanState.DRAFT)
        declared = {(t.name, t.source, t.target) for t in CampaignPlan._meta.get_field("state").get_all_transitions(
            CampaignPlan)}
        for (_a, _f, previous), (action, source, target) in itertools.pairwise(steps):
            assert source == previous and (action, source, target) in declared, steps
        assert steps[-1][2] == plan.state
        assert plan.elevated == any(action == "elevate" for action, _f, _t in steps)
        # Taskers match the state: only the current step's are open; each answer is the last one recorded.
        open_steps = {t.step for t in open_taskers(plan)}
        assert open_steps <= ({plan.current_step()} if plan.current_step() else set()) | (
            {Step.APPROVAL} if plan.state == PlanState.REVIEW else set()), (plan.state, open_steps)
        for tasker in taskers_of(plan).exclude(response="").exclude(step=Step.APPROVAL):
            last = [entry for entry in history if entry.action == "tasker_answered"
                    and entry.acting_for_id == tasker.organization_id and entry.data["step"] == tasker.step][-1]
            assert last.data["response"] == tasker.response
        # No comment twice.
        rows = list(comments_of(plan).values_list("tasker", "category", "section", "text", "proposed_change"))
        assert len(rows) == len(set(rows))
