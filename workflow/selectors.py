"""Reads of the workflow engine. Lists use bounded queries (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from organizations.models import Organization
from organizations.selectors import (
    active_account,
    designation_holder_ids,
    designation_holders,
    label_of,
    organization_ids_acting_for,
    predecessors_joined,
    with_organization_labels,
)
from runtime.compiled import Statement
from security.access import marking_q

from .models import (
    OPEN_TASKER_STATES,
    Comment,
    CommentCategory,
    Decision,
    FormDraft,
    HistoryEntry,
    Response,
    Route,
    Tasker,
)


def _ref(document) -> dict:
    return {"content_type": ContentType.objects.get_for_model(type(document)), "object_id": document.pk}


def taskers_of(document, *, step: str | None = None) -> QuerySet[Tasker]:
    taskers = Tasker.objects.filter(**_ref(document)).select_related("organization", "assignee", "answered_by")
    return taskers.filter(step=step) if step else taskers


def open_taskers(document, *, step: str | None = None) -> QuerySet[Tasker]:
    return taskers_of(document, step=step).filter(state__in=OPEN_TASKER_STATES)


# --- routes: who takes part in a step -------------------------------------------------------

def route_default(kind: str) -> Route | None:
    return Route.objects.filter(document_kind=kind, is_default=True).prefetch_related("steps__organization").first()


def route_default_row(kind: str) -> Route | None:
    """``kind``'s default route (without its steps), read once per request: a draft's page asks
    both whether one is configured (a transition's condition) and who may choose another."""
    from runtime.request_memo import request_memo

    return request_memo(("route_default_row", kind),
                        lambda: Route.objects.filter(document_kind=kind, is_default=True).first())


def route_steps_resolved(route: Route) -> list[dict]:
    """The route's steps as a snapshot stores them: a designated office resolved to the
    organization holding it today (one memoized query); each office with its ``label`` of the
    day (``organizations.selectors.label_of``: a rename by ``current_acronym``)."""
    holders = designation_holders() if any(s.designation for s in route.steps.all()) else {}
    resolved = {pk: None for ids in holders.values() for pk in ids}
    resolved.update(Organization.objects.in_bulk(list(resolved)) if resolved else {})
    steps = []
    for s in route.steps.all():
        organization = s.organization if s.organization_id else None
        if s.designation:
            ids = holders.get(s.designation, ())
            organization = resolved.get(ids[0]) if ids else None
        steps.append({"step": s.step, "organization_id": organization.pk if organization else None,
                      "organization": organization.acronym if organization else "",
                      # today's name where it changed ("USD(I&S), formerly USD(I)"), for the diagram
                      "label": label_of(organization) if organization else "",
                      "designation": s.designation, "relation": s.relation,
                      "suspense_working_days": s.suspense_working_days, "authority": s.authority})
    return steps


def route_steps_successors(steps: list[dict], *, on=None) -> list[dict]:
    """``steps`` with each organization whose duties had passed to successors by ``on`` (today by
    default) replaced by them, each marked ``formerly`` the name the route used: a route naming the
    directive's USD(AT&L) tasks USD(A&S) and USD(R&E) from 1 Feb 2018 (one query)."""
    from organizations.selectors import successors_on

    named = [s["organization_id"] for s in steps if s["organization_id"] and not s["designation"]]
    successors = successors_on(named, on=on) if named else {}
    if not successors:
        return steps
    resolved = []
    for s in steps:
        later = successors.get(s["organization_id"]) if not s["designation"] else None
        if not later:
            resolved.append(s)
            continue
        resolved.extend({**s, "organization_id": o.pk, "organization": o.acronym, "formerly": s["organization"],
                         "label": label_of(o, s["organization"])} for o in later)
    return resolved


def _snapshot_steps(document) -> list[dict]:
    snapshot = document.route_snapshot or {}
    if snapshot.get("steps") is not None:
        return snapshot["steps"]
    route = route_default(document.workflow_kind)
    if route is None:
        return []
    return [s for s in route_steps_resolved(route) if s["organization_id"] or s["relation"]]


def route_participants(document, step: str) -> list[tuple[Organization, str]]:
    """The organizations the document's route (its snapshot once started) names for ``step``,
    each with why it takes part; duplicates removed, order kept."""
    fixed_ids = [s["organization_id"] for s in _snapshot_steps(document) if s["step"] == step and s["organization_id"]]
    # Read with their predecessors: a refusal names them by today's name at no further query.
    fixed = Organization.objects.annotate(formerly=predecessors_joined()).in_bulk(fixed_ids) if fixed_ids else {}
    result: list[tuple[Organization, str]] = []
    seen: set[int] = set()
    for s in _snapshot_steps(document):
        if s["step"] != step:
            continue
        if s["organization_id"]:
            why = (f"holds the duties of {s['formerly']}, named by the route" if s.get("formerly")
                   else "named by the route")
            candidates = [(fixed[s["organization_id"]], why)]
        else:
            label = s["relation"].replace("_", " ")
            candidates = [(org, label) for org in document.route_relation(s["relation"])]
        for org, reason in candidates:
            if org.pk not in seen:
                seen.add(org.pk)
                result.append((org, reason))
    return result


def route_participant_ids(document, step: str) -> list[int]:
    """The ids of ``route_participants``, in the same order, without reading the organizations
    the route names (the actor check needs only their ids)."""
    ids: list[int] = []
    for s in _snapshot_steps(document):
        if s["step"] != step:
            continue
        if s["organization_id"]:
            candidates = [s["organization_id"]]
        elif s["relation"] == "owner":  # the owner's id is on the document: nothing to read
            candidates = [document.owner_id]
        else:
            candidates = [org.pk for org in document.route_relation(s["relation"])]
        ids.extend(pk for pk in candidates if pk not in ids)
    return ids


def step_suspense_days(document, step: str, default: int = 10) -> int:
    days = [s["suspense_working_days"] for s in _snapshot_steps(document) if s["step"] == step]
    return min(days) if days else default


# --- one read of a document's taskers and comments while its rules are evaluated ----------

_READ_ONCE = "_workflow_read_once"


class RowsNotRead(Exception):  # noqa: N818 (a signal to the caller, not an error)
    """A rule asked for a document's taskers or comments inside ``document_read_once(...,
    unread_raises=True)``: the caller reads them (with those of other documents) and asks again."""


@contextmanager
def document_read_once(document, *, taskers: list[Tasker] | None = None,
                       comments: list[Comment] | None = None, unread_raises: bool = False) -> Iterator[None]:
    """While the block runs, ``document_taskers`` and ``document_comments`` read the document's
    taskers and comments once each and answer every later call from those lists: a
    transition's actor rules, its conditions and its body (or a change page showing every
    transition with its reasons) ask about the same rows. The transition service opens it on
    the row it has locked, so nobody else changes them meanwhile; writers inside the block call
    ``document_taskers_forget``. ``taskers``/``comments``: all of them, already read by the caller.
    ``unread_raises``: those not given are not read; asking for them raises ``RowsNotRead`` (a
    caller checking many documents reads the rows only of those whose rules ask for them)."""
    outermost = _READ_ONCE not in document.__dict__
    if outermost:
        document.__dict__[_READ_ONCE] = {
            "taskers": sorted(taskers, key=lambda t: t.pk) if taskers is not None else None,
            "comments": comments, "unread_raises": unread_raises}
    try:
        yield
    finally:
        if outermost:
            document.__dict__.pop(_READ_ONCE, None)


def document_taskers_forget(document) -> None:
    """The document's taskers changed: the next ``document_taskers`` reads them again."""
    read = document.__dict__.get(_READ_ONCE)
    if read is not None:
        read["taskers"] = None


# Compiled once (runtime.compiled): every transition reads its document's taskers.
_DOCUMENT_TASKERS = Statement(
    lambda content_type_id, object_id: Tasker.objects.filter(content_type_id=content_type_id, object_id=object_id)
    .select_related("organization").order_by("pk"), name="document_taskers")


def document_taskers(document, *, step: str | None = None, open_only: bool = False) -> list[Tasker]:
    """The document's taskers (of one step, open ones only), oldest first; inside
    ``document_read_once`` from the one read of them."""
    read = document.__dict__.get(_READ_ONCE)
    if read is None:
        taskers = taskers_of(document, step=step)
        if open_only:
            taskers = taskers.filter(state__in=OPEN_TASKER_STATES)
        return list(taskers.order_by("pk"))
    if read["taskers"] is None:
        if read["unread_raises"]:
            raise RowsNotRead(document)
        read["taskers"] = _DOCUMENT_TASKERS.models(ContentType.objects.get_for_model(type(document)).pk, document.pk)
    return [t for t in read["taskers"]
            if (step is None or t.step == step) and (not open_only or t.state in OPEN_TASKER_STATES)]


def document_comments(document) -> list[Comment]:
    """The document's comments (as ``comments_of``); inside ``document_read_once`` read once."""
    read = document.__dict__.get(_READ_ONCE)
    if read is None:
        return list(comments_of(document))
    if read["comments"] is None:
        if read["unread_raises"]:
            raise RowsNotRead(document)
        read["comments"] = list(comments_of(document))
    return read["comments"]


def comment_blocks(comment: Comment) -> bool:
    """Whether a comment keeps its step from ending: a critical comment not adjudicated yet, or
    one partially accepted or rejected while its organization still non-concurs and has not
    agreed with the adjudication (a non-concurrence stands until it is withdrawn by a new
    answer, every critical comment is accepted, or the commenter agrees)."""
    if comment.category != CommentCategory.CRITICAL:
        return False
    if comment.decision == "":
        return True
    return (comment.decision != Decision.ACCEPTED and comment.commenter_agreed_at is None
            and comment.tasker is not None and comment.tasker.response == Response.NONCONCUR)


def document_unresolved_critical_comments(document) -> list[Comment]:
    """``unresolved_critical_comments`` from ``document_comments``."""
    return [c for c in document_comments(document) if comment_blocks(c)]


def _count(n: int, words: str) -> str:
    return f"{n} {words}{'s' if n != 1 else ''}"


def critical_comment_reasons(document) -> list[str]:
    """Why the comments keep the step from ending, one sentence per organization and cause:
    critical comments not adjudicated, and each non-concurrence that stands and why ("DON's
    non-concurrence stands: 1 critical comment partially accepted, DON has not agreed."); each
    office by today's name, the directive's beside it (``with_organization_labels``)."""
    pending: dict[str, int] = {}
    standing: dict[str, dict[str, int]] = {}
    unresolved = document_unresolved_critical_comments(document)
    labels = with_organization_labels(unresolved) if unresolved else {}
    for comment in unresolved:
        organization = labels.get(comment.organization_id, str(comment.organization))
        if comment.decision == "":
            pending[organization] = pending.get(organization, 0) + 1
        else:
            decisions = standing.setdefault(organization, {})
            decisions[comment.decision] = decisions.get(comment.decision, 0) + 1
    reasons = [f"{_count(n, 'critical comment')} from {organization} not adjudicated."
               for organization, n in sorted(pending.items())]
    for organization, decisions in sorted(standing.items()):
        (first, n), rest = sorted(decisions.items())[0], sorted(decisions.items())[1:]
        counted = f"{_count(n, 'critical comment')} {Decision(first).label.lower()}" + "".join(
            f" and {more} {Decision(decision).label.lower()}" for decision, more in rest)
        reasons.append(f"{organization}'s non-concurrence stands: {counted}, {organization} has not agreed.")
    return reasons


def comment_resolution(comment: Comment) -> str:
    """Where a row of the comment resolution matrix stands, in the users' words; the commenting
    office by today's name (the row's ``organization_label`` when the page has given it one)."""
    if comment.decision == "":
        return ("Not adjudicated: coordination cannot end until it is." if comment.category == CommentCategory.CRITICAL
                else "Not adjudicated.")
    decision = Decision(comment.decision).label
    if comment.commenter_agreed_at is None and (
            comment.category != CommentCategory.CRITICAL or comment.decision == Decision.ACCEPTED):
        return f"{decision}."
    organization = with_organization_labels([comment]).get(comment.organization_id, str(comment.organization))
    if comment.commenter_agreed_at is not None:
        return f"{decision}; {organization} agreed on {comment.commenter_agreed_at:%d %b %Y}."
    if comment_blocks(comment):
        return (f"{decision}, {organization} has not agreed: {organization}'s non-concurrence stands until it "
                "agrees or answers again, or the owner elevates.")
    return f"{decision}; {organization} does not non-concur."


def comments_of(document) -> QuerySet[Comment]:
    return Comment.objects.filter(**_ref(document)).select_related("organization", "author", "adjudicated_by",
                                                                   "commenter_agreed_by", "tasker")


def comments_in_matrix_order(comments) -> list[Comment]:
    """The matrix as the owner works it: critical comments first, then substantive, then
    administrative, each in the order they came."""
    rank = {CommentCategory.CRITICAL: 0, CommentCategory.SUBSTANTIVE: 1, CommentCategory.ADMINISTRATIVE: 2}
    return sorted(comments, key=lambda c: (rank.get(c.category, 3), c.created_at, c.pk))


def form_drafts_of(*, user, document) -> dict[str, FormDraft]:
    """``user``'s own drafts of the forms of ``document``, by form, in one query; none of a
    document they may no longer see (need-to-know and markings of its kind, asked in the same
    query)."""
    from .registry import exists_row_by_row, visible_documents

    if user is None or not user.is_authenticated:
        return {}
    drafts = FormDraft.objects.filter(user=user, **_ref(document)).filter(
        exists_row_by_row(visible_documents(type(document), user), outer="object_id"))
    return {draft.form: draft for draft in drafts}


def history_of(document) -> QuerySet[HistoryEntry]:
    """The document's history, each entry with the acronym its organization had when it was
    written (``acting_for_then``): a later rename does not rewrite the history (same query)."""
    return with_names_then(HistoryEntry.objects.filter(**_ref(document)).select_related(
        "actor", "acting_for", "on_behalf_of", "caused_by"))


def with_names_then(entries: QuerySet[HistoryEntry]) -> QuerySet[HistoryEntry]:
    """``entries`` annotated with ``acting_for_then``: the acronym the organization acted for had at
    the entry's time (the earliest name it gave up after it, else its acronym), in the same query."""
    from django.db.models import OuterRef, Subquery

    from organizations.models import OrganizationNameHistory

    given_up_later = (OrganizationNameHistory.objects.filter(organization=OuterRef("acting_for_id"),
                                                             changed_at__gt=OuterRef("at"))
                      .order_by("changed_at").values("acronym")[:1])
    return entries.annotate(acting_for_then=Subquery(given_up_later))


def unresolved_critical_comments(document) -> QuerySet[Comment]:
    """Critical comments that still block (``comment_blocks``): not adjudicated, or partially
    accepted or rejected while the commenting organization still non-concurs and has not agreed."""
    return comments_of(document).filter(category=CommentCategory.CRITICAL).filter(
        Q(decision="") | Q(decision__in=(Decision.PARTIALLY_ACCEPTED, Decision.REJECTED),
                           commenter_agreed_at__isnull=True, tasker__response=Response.NONCONCUR)
    )


def taskers_overdue(*, on=None) -> QuerySet[Tasker]:
    """The one definition of overdue: open and past its suspense (today by default)."""
    from django.utils import timezone

    return Tasker.objects.filter(state__in=OPEN_TASKER_STATES, suspense__lt=on or timezone.localdate())


def overdue_document_ids(model) -> QuerySet:
    """Ids of ``model``'s documents that have an overdue tasker (for list filters)."""
    return taskers_overdue().filter(content_type=ContentType.objects.get_for_model(model)).values("object_id")


def taskers_for_user(user, *, organizations: list[int] | None = None) -> QuerySet[Tasker]:
    """'My taskers': open taskers assigned to the user or to an organization they act for
    (``organizations``: their ids, when the caller has them already)."""
    if user is None or not user.is_authenticated:
        return Tasker.objects.none()
    from .registry import rows_cleared_for

    # Tasked is need-to-know; only the marking remains to check. Organization ids as a short
    # list keep the planner on the open taskers' (organization, suspense) index at any size.
    # Taskers assigned to the user are nearly always their organization's: only those outside it
    # are added, by id, so that no OR with the assignee sends the planner to read and sort every
    # open tasker of the organization for one page.
    if organizations is None:
        organizations = organization_ids_acting_for(user)
    open_taskers = Tasker.objects.filter(state__in=OPEN_TASKER_STATES)
    elsewhere = list(open_taskers.filter(assignee=user).exclude(organization_id__in=organizations)
                     .values_list("pk", flat=True))
    mine = Q(organization_id__in=organizations)
    if elsewhere:
        mine |= Q(pk__in=elsewhere)
    return (
        rows_cleared_for(user, Tasker).filter(state__in=OPEN_TASKER_STATES).filter(mine)
        .select_related("organization", "assignee", "content_type")
        .order_by("suspense", "pk")
    )


def open_taskers_by_state_and_lateness(*, on=None) -> dict[tuple[str, bool], int]:
    """{(state, late): count} of the open taskers, late as ``taskers_overdue`` defines it; one
    grouped query (a few rows: open states times two), for the operations metrics."""
    from django.db.models import Case, Count, Value, When
    from django.utils import timezone

    today = on or timezone.localdate()
    rows = (Tasker.objects.filter(state__in=OPEN_TASKER_STATES)
            .annotate(late=Case(When(suspense__lt=today, then=Value(True)), default=Value(False)))
            .values_list("state", "late").annotate(count=Count("pk")).order_by())
    counts = {(str(state), late): 0 for state in OPEN_TASKER_STATES for late in (False, True)}
    counts.update({(state, late): count for state, late, count in rows})
    return counts


def transitions_since(moment) -> int:
    """Workflow transitions recorded in the history since ``moment`` (an index range on ``at``)."""
    return HistoryEntry.objects.filter(at__gte=moment).exclude(to_state="").count()


def need_to_know(model, user, *, cleared: QuerySet | None = None, also=None) -> QuerySet:
    """The documents of a routed kind that ``user`` may see, by the engine's common rule: cleared
    for the marking (``cleared``; by default the kind's own marking, ``security.access.marking_q``)
    and the user's organization owns the document, is tasked on it, or holds a designation that
    reviews every document of the kind (``workflow.registry``); ``also(organizations)`` gives the
    kind's further reasons as a ``Q``. Superusers have need-to-know for all, not a clearance they
    lack. A kind's selector calls it and says which offices its rule names."""
    from .registry import exists_row_by_row, reviewing_designations

    if not active_account(user):
        return model.objects.none()
    if cleared is None:
        cleared = model.objects.filter(marking_q(user, model))
    if user.is_superuser:
        return cleared
    organizations = organization_ids_acting_for(user)
    if not organizations:
        return model.objects.none()
    if designation_holder_ids(reviewing_designations(model)).intersection(organizations):
        return cleared
    tasked = exists_row_by_row(Tasker.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                                     organization__in=organizations),
                               field="object_id", outer="pk")
    return cleared.filter(Q(owner__in=organizations) | tasked | (also(organizations) if also else Q()))
