"""Conditions of the plan workflow: each returns the reasons it is not met, in the users'
words (empty list: met). The admin, the API and the service all show these same sentences."""

from __future__ import annotations

from organizations.models import with_article
from organizations.selectors import labels_in_words, organization_label, with_organization_labels
from workflow.models import OPEN_TASKER_STATES, Decision, Response, Step, TaskerState
from workflow.selectors import (
    critical_comment_reasons,
    document_taskers,
    document_unresolved_critical_comments,
)


def _names(taskers) -> str:
    """The taskers' offices by today's name, the directive's beside it ("USD(A&S), formerly
    USD(AT&L)"): from the rows when the page read them so, else one query."""
    labels = with_organization_labels(taskers)
    return labels_in_words(sorted(labels.get(t.organization_id) or str(t.organization) for t in taskers))


def _related(plan, name: str, *, select: str = "", prefetch: str = "") -> list:
    """The plan's ``name`` rows with what the check reads of them: those already read with the
    plan (the change page's, ``workflow.inbox``'s batch of drafts) and what they lack, else one read."""
    from django.db.models import prefetch_related_objects

    if name in getattr(plan, "_prefetched_objects_cache", {}):
        rows = list(getattr(plan, name).all())
        prefetch_related_objects(rows, *(lookup for lookup in (select, prefetch) if lookup))
        return rows
    rows = getattr(plan, name).all()
    rows = rows.select_related(select) if select else rows
    return list(rows.prefetch_related(prefetch) if prefetch else rows)


def content_complete(plan) -> list[str]:
    """Everything the directive requires is written (4.b, 4.c, objectives traced to the GEF)."""
    missing = []
    for field, words in (("summary", "a summary"), ("complementary_usg_activities",
                         "the complementary U.S. Government activities considered (4.c)"),
                         ("resources_needed", "the resources needed"),
                         ("risk_if_not_resourced", "the risk if resources are not provided")):
        if not (getattr(plan, field) or "").strip():
            missing.append(words)
    if not plan.period_start or not plan.period_end:
        missing.append("the plan period")
    if not plan.gef_id:
        missing.append("the GEF guidance it implements")
    reasons = [f"Missing before submission: {', '.join(missing)}."] if missing else []
    partners = _related(plan, "partner_considerations", select="country")
    if not partners:
        reasons.append("Name at least one partner country with its considerations (4.b).")
    incomplete = [p.country.name for p in partners if not p.is_complete]
    if incomplete:
        reasons.append("Say whether each partner can support, safeguard and sustain the capability (4.b), "
                       f"yes, partly or no, each with its evidence: incomplete for {', '.join(incomplete)}.")
    unjustified = [p.country.name for p in partners if p.needs_override and not p.overriding_considerations.strip()]
    if unjustified:
        reasons.append("A partner that cannot support, safeguard or sustain the capability needs the overriding "
                       f"military considerations (4.b): missing for {', '.join(unjustified)}.")
    objectives = _related(plan, "objectives", prefetch="end_states")
    if not objectives:
        reasons.append("Add at least one objective.")
    untraced = [o.code for o in objectives if not o.end_states.all()]
    if untraced:
        reasons.append(f"Trace every objective to a GEF end state: {', '.join(untraced)} not traced.")
    reasons.extend(plan.kind_specific_gaps())
    return reasons


ACTIVITY_CITATION = ("Complete or change it before submission: the plan's activities serve its objectives with its "
                     "partners, within its period (DoDD 5132.03, Encl. 2, 10.b).")


def activity_faults(*, period_start, period_end) -> dict:
    """How an activity falls short of submission, as three boolean columns of a ``PlanActivity``
    query (the one statement of the rule, read by ``activities_complete`` and by "My work"'s
    ``plan_inbox_reads``): no description (blank or only spaces); a partner that is no longer one
    of the plan's partner countries; dates outside the plan's period (``period_start`` and
    ``period_end``: dates, None, or ``OuterRef``s to the plan's columns)."""
    from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value

    from .models import PartnerConsideration

    kept = PartnerConsideration.objects.filter(plan_id=OuterRef("plan_id"), country_id=OuterRef("partner_id"))
    outside = Q()
    if period_start is not None:
        outside |= Q(start_date__lt=period_start)
    if period_end is not None:
        outside |= Q(end_date__gt=period_end)
    return {"undescribed": ExpressionWrapper(Q(description__regex=r"^\s*$"), output_field=BooleanField()),
            "partner_gone": ~Exists(kept),
            "outside_period": ExpressionWrapper(outside, output_field=BooleanField()) if outside else Value(False)}


def activities_complete(plan) -> list[str]:
    """Every activity under the plan's objectives (DoDD 5132.03, Encl. 2, 10.b) is described, is
    with one of the plan's partner countries and falls within the plan's period
    (``activity_faults``). The writes refuse the last two already (``planning.services``); read
    again at submission all the same, since what is routed rests on them. One sentence per activity
    at fault, naming it and what it lacks; one query. "My work" reads with its batch of drafts
    whether any activity falls short (``activities_incomplete``) and needs no sentence."""
    from runtime.dates import date_words

    from .models import PlanActivity

    incomplete = getattr(plan, "activities_incomplete", None)
    if incomplete is not None:
        return [f"Some activities are not complete. {ACTIVITY_CITATION}"] if incomplete else []
    start, end = plan.period_start, plan.period_end
    faults = activity_faults(period_start=start, period_end=end)
    reasons = []
    for activity in (PlanActivity.objects.filter(plan_id=plan.plan_ptr_id).select_related("objective", "partner")
                     .annotate(**faults)):
        lacks = []
        if activity.undescribed:
            lacks.append("has no description")
        if activity.partner_gone:
            lacks.append(f"is with {activity.partner.name}, no longer one of the plan's partner countries")
        if activity.outside_period:
            lacks.append(f"runs {date_words(activity.start_date)} to {date_words(activity.end_date)}, no longer "
                         f"within the plan's period ({date_words(start) if start else '…'} to "
                         f"{date_words(end) if end else '…'})")
        if lacks:
            reasons.append(f"Activity \u201c{activity.title}\u201d (objective {activity.objective.code}) "
                           f"{'; it '.join(lacks)}. {ACTIVITY_CITATION}")
    return reasons


def route_configured(plan) -> list[str]:
    """A route is configured for this kind of document."""
    from workflow.selectors import route_default_row

    if plan.route_snapshot or route_default_row(plan.workflow_kind) is not None:
        return []
    return [f"No route is configured for {with_article(str(plan._meta.verbose_name))}; an administrator must set one up."]


# + a step: how many of the plan's taskers of that step are open, when "My work" counted them with
# the plan (``workflows.plan_inbox_reads``).
OUTSTANDING = "taskers_outstanding_"


def _step_outstanding(plan, step: str, words: str) -> list[str]:
    counted = getattr(plan, OUTSTANDING + step, None)
    if counted is not None:  # met or not without the rows; the names are said on the plan's own page
        return [f"{counted} {words} outstanding."] if counted else []
    taskers = [t for t in document_taskers(plan, step=step)
               if t.state not in (TaskerState.CANCELLED, TaskerState.MISROUTED)]
    outstanding = [t for t in taskers if t.state in OPEN_TASKER_STATES]
    if not outstanding:
        return []
    return [f"{len(outstanding)} of {len(taskers)} {words} outstanding: {_names(outstanding)}."]


def coordination_answers_complete(plan) -> list[str]:
    """Every coordinating organization has answered."""
    return _step_outstanding(plan, Step.COORDINATION, "coordination answers")


def reviews_complete(plan) -> list[str]:
    """Every reviewing organization has answered."""
    return _step_outstanding(plan, Step.REVIEW, "review answers")


def overriding_considerations_accepted(plan) -> list[str]:
    """The reviewing authority has accepted the overriding military considerations of every partner
    that cannot support, safeguard or sustain the capability (directive 4.b). The plan counts
    those still waiting (``overrides_pending``, kept by ``planning.services``): the partners are
    read only to name them."""
    if not plan.overrides_pending:
        return []
    waiting = [p.country.name for p in _related(plan, "partner_considerations", select="country")
               if p.needs_override and not p.override_accepted]
    if not waiting:
        return []
    return ["The reviewing authority has not accepted the overriding military considerations (4.b) for "
            f"{', '.join(waiting)}."]


def critical_comments_resolved(plan) -> list[str]:
    """No critical comment is unadjudicated, and no organization's non-concurrence stands."""
    return critical_comment_reasons(plan)


def has_unresolved_nonconcur(plan) -> list[str]:
    """An organization still non-concurs with a critical comment."""
    if any(comment.tasker is not None and comment.tasker.response == Response.NONCONCUR
           for comment in document_unresolved_critical_comments(plan)):
        return []
    return ["There is no unresolved non-concurrence to elevate."]


IN_FLIGHT = ("draft", "coordination", "review")
ROUTED_OR_IN_FORCE = ("coordination", "review", "approved")


def one_theater_plan_per_command_and_period(plan) -> list[str]:
    """One theater campaign plan per command and period (Encl. 2, 10.a; Glossary): at submission
    no other plan of the command for an overlapping period is being routed or in force; at
    approval none is in force. A new version of the plan in force is the same plan (it supersedes
    the version approved before it)."""
    from runtime.dates import date_words
    from workflow.services import state_label

    if not plan.one_per_period or getattr(plan, "theater_plan_rival_id", None) == 0:  # "My work" read none
        return []
    # A plan routed before this rule held may still be in review beside another: at approval only
    # the one in force stands in the way, so neither blocks the other for ever.
    rival = plan.theater_plan_rival(states=ROUTED_OR_IN_FORCE if plan.state == "draft" else ("approved",))
    if rival is None:
        return []
    return [f"{organization_label(rival.owner)} already has a theater campaign plan for an overlapping period: “{rival.title}” "
            f"(version {rival.version}), {date_words(rival.period_start)} to {date_words(rival.period_end)}, "
            f"{state_label(rival)}. A command has one theater campaign plan per period (DoDD 5132.03, Encl. 2, "
            "10.a): write a new version of that plan, withdraw one of them, or choose a period that does not "
            "overlap."]


def no_version_in_flight(plan) -> list[str]:
    """No version of the plan is being worked on already (a draft, in coordination or in review)."""
    in_flight = getattr(plan, "version_in_flight", None)  # read with the plan by "My work"
    if in_flight is None:
        in_flight = (type(plan).objects.filter(series=plan.series, state__in=IN_FLIGHT).order_by("version")
                     .values_list("version", flat=True).first()) or 0
    if in_flight:
        return [f"Version {in_flight} is already being worked on; work on it instead."]
    return []


__all__ = ["content_complete", "activities_complete", "route_configured", "coordination_answers_complete", "reviews_complete",
           "critical_comments_resolved", "has_unresolved_nonconcur", "overriding_considerations_accepted", "no_version_in_flight",
           "one_theater_plan_per_command_and_period", "Decision"]
