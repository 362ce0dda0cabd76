"""Steps the engine's tests take on a campaign plan, as its users would."""

from __future__ import annotations

from organizations.models import Role
from workflow.models import Response, Step
from workflow.selectors import comments_of, open_taskers, taskers_of
from workflow.services import tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


def act(plan, name, user, comment="", **data):
    return transition_perform(document=plan, name=name, by=user, comment=comment, data=data)


def answer(world, plan, acronym, response, rationale="", comments=None, step=Step.COORDINATION):
    tasker = taskers_of(plan, step=step).get(organization=world.orgs[acronym])
    return tasker_respond(tasker=tasker, by=world.user(acronym, REV), response=response, rationale=rationale,
                          comments=comments or [])


def critical(text="Remove the air defense objective", section="3.a"):
    return [{"category": "critical", "section": section, "text": text, "proposed_change": "Delete 3.a"}]


def in_coordination(world, *, nonconcur_comments=None):
    """A plan in coordination where DA and USD(AT&L) concur and DON non-concurs with critical comments."""
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    answer(world, plan, "DA", Response.CONCUR)
    answer(world, plan, "USD(AT&L)", Response.CONCUR)
    answer(world, plan, "DON", Response.NONCONCUR, rationale="Navy assets double-counted",
           comments=nonconcur_comments or critical())
    return plan


def to_review(world, plan):
    plan = act(plan, "submit", world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        answer(world, plan, acronym, Response.CONCUR)
    return act(plan, "send_to_review", world.user("EUCOM", AO))


def don_comments(plan):
    return list(comments_of(plan).filter(organization__acronym="DON").order_by("pk"))


__all__ = ["AO", "APP", "REV", "Step", "act", "answer", "audit_events_of", "critical", "don_comments",
           "in_coordination", "last_history_pk", "new_history", "open_taskers", "to_review"]


def audit_events_of(entries) -> dict[int, int]:
    """How many audit events name each history entry (the trail's copy of each event)."""
    from collections import Counter

    from security.models import AuditAction, AuditEvent

    ids = [entry.pk for entry in entries]
    named = AuditEvent.objects.filter(action=AuditAction.WORKFLOW, detail__history__in=ids)
    counted = Counter(event.detail["history"] for event in named)
    return {pk: counted.get(pk, 0) for pk in ids}


def new_history(since: int):
    """The history entries written after entry ``since`` (a primary key), oldest first."""
    from workflow.models import HistoryEntry

    return list(HistoryEntry.objects.filter(pk__gt=since).order_by("pk"))


def last_history_pk() -> int:
    from workflow.models import HistoryEntry

    return HistoryEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
