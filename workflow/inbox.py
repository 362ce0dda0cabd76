"""My work: one person's next actions, computed from the engine, for every kind of document.

An item is a document waiting for the person:

- an open **tasker** of theirs: assigned to them, or to an organization they act for in a role
  that works a tasker of that step (coordination: a designated coordinator; review and
  consultation: a reviewer or approver; other steps: the roles of the kind's actor rules for
  that step, ``answering_roles``);
- **comments to adjudicate**: comments of the step in progress on a document their organization
  owns, not adjudicated yet, when they adjudicate for it (``services.comment_adjudicator``);
- a **decision**: a transition of the document's kind (``Workflow``) or a way forward
  (``WayForward``, a returned plan's new version) that the engine says they may make now: its
  actor rules give them a capacity and its conditions are met. Destructive transitions (withdraw,
  return) alone never make an item: they are offered on the document's page.

Nothing here names a kind: the kinds come from the registry (``workflow.registry``) and their
workflows, so a new kind appears with no change here. The cost is bounded: the taskers are one
query (a page of them, with the count); decisions are checked only on *candidate* documents, those
in a state where a transition starts whose actor rule could match the person
(``ActorRule.candidates``: a filter in SQL), found in one query for every kind, at most
``CANDIDATES_PER_KIND`` of each kind, read with their taskers and comments in two queries, and
with what the kind's conditions read (``Workflow.inbox_reads``).
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import IntegerField, Q, Subquery, Value
from django.db.models.functions import Lower
from django.utils import timezone

from organizations.models import Organization
from organizations.selectors import (
    acting_roles,
    active_account,
    label_of,
    organization_ids_acting_for,
    predecessors_joined,
)
from runtime.request_memo import request_memo
from security.capacity import per_capacity_querysets, per_capacity_value

from . import registry, services
from .admin_urls import change_url
from .calendar import add_working_days, is_working_day
from .models import OPEN_TASKER_STATES, ROLES_WHO_ANSWER, Comment, Step, Tasker
from .registry import cleared_documents_q, document_kinds, visible_documents
from .selectors import RowsNotRead, document_read_once

# A suspense this many working days away or nearer is "due soon" (the start page's yellow).
DUE_SOON_WORKING_DAYS = 3
DUE_STATES = {"overdue": "Overdue", "due_soon": "Due soon", "on_track": "On track", "none": "No suspense"}
SORTS = {"due": "Suspense, soonest first", "-due": "Suspense, latest first", "document": "Document",
         "organization": "Organization"}
# Decisions are checked on at most this many documents of each kind (the newest); past it the
# result says so and the filters narrow it.
CANDIDATES_PER_KIND = 300
PER_PAGE = 50

WHAT_ANSWER, WHAT_ADJUDICATE, WHAT_DECIDE = "answer", "adjudicate", "decide"


@dataclass
class WorkItem:
    """One row of My work: a document waiting for the person, and what they may do on it now."""

    what: str  # answer (a tasker), adjudicate (comments), decide (a transition or a way forward)
    kind: str  # the document's workflow kind (``campaign_plan``...)
    kind_label: str
    content_type_id: int
    document_id: int
    title: str
    step: str
    actions: list[str]
    organization_id: int | None
    organization: str
    due: datetime.date | None
    due_state: str
    due_words: str
    tasker_id: int | None = None
    url: str = ""
    organization_label: str = ""  # today's name, the directive's beside it ("USD(A&S), formerly USD(AT&L)")

    @property
    def due_label(self) -> str:
        return DUE_STATES[self.due_state]


@dataclass
class MyWork:
    items: list[WorkItem]
    count: int  # counted up to ``PAGES_COUNTED_AHEAD`` pages past this one
    count_exact: bool  # False: there are more than ``count``
    page: int
    pages: int
    per_page: int
    kinds: list[tuple[str, str]] = field(default_factory=list)
    organizations: list[tuple[int, str]] = field(default_factory=list)
    # Kinds whose candidates passed ``CANDIDATES_PER_KIND``: some decisions may not be listed.
    unchecked: list[str] = field(default_factory=list)


# --- who works a tasker of which step ---------------------------------------------------------

@functools.cache
def answering_roles(model, step: str) -> tuple[frozenset[str], bool]:
    """The roles that work a tasker of ``step`` on a document of ``model``, and whether they must
    be designated coordinators. Steps that take answers (``services.RESPONSES_BY_STEP``) are
    answered by reviewers and approvers (``services.tasker_respond``); another step is worked by
    the roles of the kind's actor rules for that step (an approval tasker: the approving
    organization's approvers), or else by those of the transitions out of the states whose
    answering step it is (an assessment's completion: its owner's action officers and approvers).
    A kind may name them itself for a step (``registry.tasker_roles``)."""
    declared = registry.tasker_roles(model, step)  # the kind's own word (an initiative's monitoring due)
    if declared:
        return frozenset(declared), False
    if step in services.RESPONSES_BY_STEP:
        return frozenset(ROLES_WHO_ANSWER), step == Step.COORDINATION
    workflow = getattr(model, "workflow", None)
    if workflow is None:
        return frozenset(), False
    people = [rules for rules in workflow.transitions if not rules.system_only]
    roles = {role for rules in people for actor in rules.actors if getattr(actor, "step", None) == step
             for role in actor.roles}
    if not roles:
        states = {state for state, answering in workflow.answering_steps.items() if answering == step}
        roles = {role for rules in people if states.intersection(_sources(rules)) for actor in rules.actors
                 for role in actor.roles}
    return frozenset(roles), False


def _sources(rules) -> tuple[str, ...]:
    return rules.source if isinstance(rules.source, tuple) else (rules.source,)


def _organizations_working(acting, roles: frozenset[str], coordinator: bool) -> list[int]:
    return sorted({a.organization_id for a in acting if a.role in roles and (a.is_coordinator or not coordinator)})


def _content_type_ids(models) -> dict[type, int]:
    return {model: content_type.pk for model, content_type in ContentType.objects.get_for_models(*models).items()}


def _taskers_mine_branches(user, models) -> list[Q]:
    """Open taskers of ``user`` as disjoint filters: one per organization they act for, with the
    steps and kinds they work there (a role that works the tasker's step on its kind,
    ``answering_roles``), then those assigned to them by name beyond these. No query: roles come
    from ``acting_roles`` (read once per request).

    Each branch is read along one index: an office's open taskers by suspense (the partial index
    "tasker_open_by_organization"), or the person's assignments. One filter OR-ing them all
    leaves PostgreSQL to guess, and at a million documents it guesses wrong: it walks every
    tasker in suspense order, or intersects an office's taskers with every tasker of a kind."""
    content_types = _content_type_ids(models)
    acting = acting_roles(user)  # read once (once per request inside one)
    every_kind = set(_content_type_ids(document_kinds().values()).values())
    work: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for model in models:
        for step in Step.values:
            for organization in _organizations_working(acting, *answering_roles(model, step)):
                work[organization][step].append(content_types[model])
    offices = []
    for organization, by_step in sorted(work.items()):
        steps_of: dict[tuple[int, ...], list[str]] = defaultdict(list)
        for step, content_type_ids in by_step.items():
            steps_of[tuple(sorted(content_type_ids))].append(step)
        terms = Q()
        for content_type_ids, steps in sorted(steps_of.items()):
            term = Q(step__in=sorted(steps))
            if set(content_type_ids) != every_kind:  # a tasker is always on a registered kind
                term &= Q(content_type_id__in=content_type_ids)
            terms |= term
        offices.append(Q(organization_id=organization) & terms)
    assigned = Q(assignee_id=user.pk)
    if offices:
        assigned &= ~functools.reduce(operator.or_, offices)
    return [*offices, assigned]


def _taskers_mine_q(user, models) -> Q:
    """Open taskers of ``user`` (``_taskers_mine_branches``) as one filter."""
    return functools.reduce(operator.or_, _taskers_mine_branches(user, models))


def _kinds(kind: str | None) -> list[type]:
    kinds = [model for name, model in sorted(document_kinds().items())
             if getattr(model, "workflow", None) is not None]
    return [model for model in kinds if kind is None or model.workflow_kind == kind]


def work_kinds() -> list[tuple[str, str]]:
    """The kinds My work lists and filters by: (``workflow_kind``, label)."""
    return [(model.workflow_kind, str(model._meta.verbose_name).capitalize()) for model in _kinds(None)]


def my_taskers(user, *, kind: str | None = None) -> Q | None:
    """The filter on taskers keeping the open ones of ``user`` (None when they have none: a
    switched-off account, or no organization and no assignment)."""
    if not active_account(user):
        return None
    return Q(state__in=OPEN_TASKER_STATES) & _taskers_mine_q(user, _kinds(kind)) & cleared_documents_q(user)


def my_tasker_branches(user, *, kind: str | None = None) -> list[Q]:
    """``my_taskers`` as disjoint filters, each read along one index (``_taskers_mine_branches``):
    what My work and its counts read. Empty for a switched-off account."""
    if not active_account(user):
        return []
    open_and_cleared = Q(state__in=OPEN_TASKER_STATES) & cleared_documents_q(user)
    return [open_and_cleared & branch for branch in _taskers_mine_branches(user, _kinds(kind))]


# Counting stops where nobody reads on. The header's badge counts up to ``BADGE_CAP`` + 1 and says
# "99+" beyond; My work counts ``PAGES_COUNTED_AHEAD`` pages past the one shown, as the change lists
# do (``admin_lists.BoundedCountAdminMixin``). So an office with eighty thousand open taskers costs
# a page no more than one with eighty: an exact count would read every one of them, and every
# document they are on for need-to-know, on every page of the site.
BADGE_CAP = 99
PAGES_COUNTED_AHEAD = 5


def my_work_count(user) -> int:
    """How many open taskers wait for ``user`` (the header's count), counted up to ``BADGE_CAP``
    + 1 (the badge then says "99+"): one query, once per request."""
    if not active_account(user):
        return 0

    return request_memo(("my_work_count", user.pk),
                        lambda: min(_count_read(_count_compiled(user)), BADGE_CAP + 1))


def _count_read(compiled: tuple[str, tuple] | None) -> int:
    """The count compiled by ``_count_sql``: one query (none when nothing can match)."""
    if compiled is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*compiled)
        row = cursor.fetchone()
    return row[0] if row and row[0] else 0


def _count_sql(user, reads, limit: int) -> tuple[str, tuple] | None:
    """The SQL and parameters counting the rows of ``reads`` (disjoint filters), each only up to
    ``limit``, in one query; None: nothing to count."""
    column = _counted_up_to(reads, limit)
    if column is None:
        return None
    from django.contrib.auth import get_user_model
    from django.core.exceptions import EmptyResultSet

    users = get_user_model()._default_manager  # the person's own row: a FROM for the count, always there
    try:
        sql, params = (users.filter(pk=user.pk).annotate(n=column).values_list("n", flat=True).order_by("pk")[:1]
                       .query.sql_with_params())
    except EmptyResultSet:  # nothing can match: no query
        return None
    return sql, tuple(params)


class _CountUpTo(Subquery):
    """The number of rows of a sliced query (its LIMIT kept), as a column."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def _branch_reads(branches: list[Q]):
    return [Tasker.objects.filter(branch) for branch in branches]


def _counted_up_to(reads, limit: int):
    """The rows of ``reads`` (disjoint), each counted up to ``limit``, as one column (or None)."""
    columns = [_CountUpTo(read.order_by().values("pk")[:limit]) for read in reads]
    return functools.reduce(operator.add, columns) if columns else None


def my_work_count_column(user):
    """``my_work_count`` as a column another read can carry (a document's page reads it with the
    document: a query saved), or None when nothing can wait for ``user``: the header's own SQL,
    kept per capacity, as a scalar subquery (it names no outer row)."""
    from django.db.models.expressions import RawSQL

    compiled = _count_compiled(user)
    if compiled is None:
        return None
    sql, params = compiled
    return RawSQL(sql, params, output_field=IntegerField())  # noqa: S611 (SQL the ORM compiled; values as parameters)


def _count_compiled(user) -> tuple[str, tuple] | None:
    # Its SQL depends on the person's capacity alone: built once per capacity (``security.capacity``).
    return per_capacity_value(("my_work_count", connection.vendor), user,
                              lambda: _count_sql(user, _branch_reads(my_tasker_branches(user)), BADGE_CAP + 1))


def my_work_count_read(user, count: int) -> None:
    """The count read as ``my_work_count_column``: what ``my_work_count`` answers in this request."""
    request_memo(("my_work_count", user.pk), lambda: min(count, BADGE_CAP + 1))


# --- due dates in words -----------------------------------------------------------------------

def _working_days_until(today: datetime.date, day: datetime.date) -> int:
    count, current = 0, today
    while current < day:
        current += datetime.timedelta(days=1)
        count += is_working_day(current)
    return count


def due_words(due: datetime.date | None, *, today: datetime.date, memo: dict | None = None) -> tuple[str, str]:
    """(due state, words) for a suspense: "Overdue 3 days", "Due today", "Due in 2 working days".
    ``memo``: the answers already given for this ``today`` (a list shares many suspenses)."""
    if memo is not None:
        if due not in memo:
            memo[due] = due_words(due, today=today)
        return memo[due]
    if due is None:
        return "none", "No suspense"
    if due < today:
        days = (today - due).days
        return "overdue", f"Overdue {days} day{'s' if days != 1 else ''}"
    if due == today:
        return "due_soon", "Due today"
    days = _working_days_until(today, due)
    state = "due_soon" if days <= DUE_SOON_WORKING_DAYS else "on_track"
    if days == 0:  # due on a day off, with no working day before it
        return state, f"Due {due:%d %b %Y}"
    return state, f"Due in {days} working day{'s' if days != 1 else ''}"


def _due_q(due: str, today: datetime.date) -> Q:
    soon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    return {"overdue": Q(suspense__lt=today), "due_soon": Q(suspense__gte=today, suspense__lte=soon),
            "on_track": Q(suspense__gt=soon), "none": Q(pk__in=[])}[due]


# --- decisions on candidate documents ---------------------------------------------------------

def _candidates_q(model, user) -> Q | None:
    """Documents of ``model`` on which ``user`` might have a decision to make: in a source state
    of a (non-destructive) transition or a way forward whose actor rule could match them, or in
    an answering state of a document their organization owns where they adjudicate."""
    from .services import ADJUDICATING_ROLES, declared_transitions

    found: Q | None = None

    def add(states, actors) -> None:
        nonlocal found
        states = [s for s in states if s != "*"] if "*" not in states else None
        for actor in actors:
            narrowed = actor.candidates(model, user)
            if narrowed is None:
                continue
            term = narrowed if states is None else Q(state__in=sorted(states)) & narrowed
            found = term if found is None else found | term

    for rules, sources in declared_transitions(model):
        if not rules.system_only and not rules.destructive:
            add(sources, rules.actors)
    for way in model.workflow.ways_forward_offered():
        add({way.source}, way.actors)
    adjudicating = organization_ids_acting_for(user, role=ADJUDICATING_ROLES)
    if adjudicating and model.workflow.answering_steps:
        term = Q(state__in=sorted(model.workflow.answering_steps), owner_id__in=adjudicating)
        found = term if found is None else found | term
    return found


def _candidate_ids(user, models) -> tuple[dict[type, list[int]], list[str]]:
    """For each kind, the ids of its candidate documents that ``user`` may see (the newest
    ``CANDIDATES_PER_KIND``), in one query for every kind (built once per capacity); and the kinds
    cut short."""
    union = per_capacity_querysets(("my_work_candidates", tuple(models)), user, lambda: _candidates_read(user, models))
    ids: dict[type, set[int]] = defaultdict(set)
    for pk, index in (union[0] if union else ()):
        ids[models[index]].add(pk)
    cut = [str(model._meta.verbose_name_plural) for model, found in ids.items() if len(found) > CANDIDATES_PER_KIND]
    return {model: sorted(found, reverse=True)[:CANDIDATES_PER_KIND] for model, found in ids.items()}, cut


def _candidates_read(user, models) -> list:
    """``_candidate_ids``'s one query (in a list; empty when nothing could be decided)."""
    checks = []
    for index, model in enumerate(models):
        condition = _candidates_q(model, user)
        if condition is None:
            continue
        documents = visible_documents(model, user).filter(condition)
        checks.append(documents.order_by().annotate(listed_kind=Value(index, output_field=IntegerField()))
                      .values_list("pk", "listed_kind"))
    if not checks:
        return []
    return [checks[0].union(*checks[1:], all=True) if len(checks) > 1 else checks[0]]


PENDING = "_inbox_pending_"  # + a step: that step's comments awaiting an adjudication
MINE = "_inbox_mine"  # whether the person holds an open tasker on the document


def _documents(ids: dict[type, list[int]], user) -> list:
    """The candidates, each kind in one query with what its rules read (owner, the kind's
    ``escalation_select_related``, its ``inbox_reads``), and with what My work asks of their
    taskers and comments without reading them: whether ``user`` holds an open tasker on each
    (``MINE``) and, when they adjudicate for some office, how many comments of each answering
    step await an adjudication (``PENDING`` + step)."""
    from django.db.models import Count, Exists, OuterRef, prefetch_related_objects

    from .services import ADJUDICATING_ROLES

    adjudicates = bool(organization_ids_acting_for(user, role=ADJUDICATING_ROLES))
    documents = []
    for model, pks in ids.items():
        reads = model.workflow.inbox_reads(model) if model.workflow.inbox_reads else None
        related = ("owner", *getattr(model, "escalation_select_related", ()))
        rows = model._default_manager.filter(pk__in=pks).select_related(*related)
        on_it = {"content_type_id": _content_type_ids([model])[model], "object_id": OuterRef("pk")}
        asked = {MINE: Exists(Tasker.objects.filter(_taskers_mine_q(user, [model]), state__in=OPEN_TASKER_STATES,
                                                     **on_it))}
        if adjudicates:
            for step in sorted(set(model.workflow.answering_steps.values())):
                asked[PENDING + step] = Subquery(
                    Comment.objects.filter(decision="", tasker__step=step, **on_it).order_by()
                    .values("object_id").annotate(n=Count("pk")).values("n"), output_field=IntegerField())
        rows = rows.annotate(**asked)
        if reads is not None and reads.annotations:
            rows = rows.annotate(**reads.annotations)
        rows = list(rows)
        if reads is not None:
            for state, lookups in reads.prefetch.items():
                in_state = [row for row in rows if row.state == state]
                if in_state:
                    prefetch_related_objects(in_state, *lookups)
        documents.extend(rows)
    return documents


def _on(documents) -> Q:
    """A filter on taskers or comments keeping those of ``documents``."""
    content_types = _content_type_ids({type(document) for document in documents})
    by_kind: dict[int, list[int]] = defaultdict(list)
    for document in documents:
        by_kind[content_types[type(document)]].append(document.pk)
    which = Q(pk__in=[])
    for content_type_id, pks in by_kind.items():
        which |= Q(content_type_id=content_type_id, object_id__in=pks)
    return which


def _pending(document) -> int:
    """The comments of the step in progress awaiting an adjudication, as ``_documents`` counted
    them (none counted: the person adjudicates for no office)."""
    step = document.current_step()
    return (getattr(document, PENDING + step, None) or 0) if step else 0


def _read_with(documents) -> tuple[dict, dict]:
    """Every tasker and every comment of ``documents``: two queries, whatever their number. The
    comments with what the rules read of them (their office, their tasker), not their people."""
    if not documents:
        return {}, {}
    which = _on(documents)
    taskers: dict[tuple[int, int], list] = defaultdict(list)
    # Each office read with its predecessors: the rules' sentences name it by today's name, no query more.
    for tasker in (Tasker.objects.filter(which).select_related("organization")
                   .annotate(organization_formerly=predecessors_joined("organization_id")).order_by("pk")):
        taskers[(tasker.content_type_id, tasker.object_id)].append(tasker)
    comments: dict[tuple[int, int], list] = defaultdict(list)
    for comment in (Comment.objects.filter(which).select_related("organization", "tasker")
                    .annotate(organization_formerly=predecessors_joined("organization_id"))
                    .order_by("created_at", "pk")):
        comments[(comment.content_type_id, comment.object_id)].append(comment)
    return taskers, comments


@dataclass
class Decision:
    actions: list[str]
    organization_id: int | None
    adjudicate: int = 0
    mine: bool = False  # the person holds an open tasker on the document


def decisions_on(document, user, *, pending: int | None = None) -> Decision | None:
    """What ``user`` may do now on ``document`` beyond answering a tasker: the transitions and
    ways forward the engine allows them (not destructive ones), and how many comments they may
    adjudicate. None: nothing. Call inside ``document_read_once``. ``pending``: how many comments
    of the step in progress await an adjudication, when the caller counted them (else they are read)."""
    from .selectors import document_comments
    from .services import comment_adjudicator, declared_transitions

    actions: list[str] = []
    organization_id = None
    for rules, sources in declared_transitions(type(document)):
        if rules.system_only or rules.destructive or (document.state not in sources and "*" not in sources):
            continue
        capacity = next((c for c in (actor.capacity(document, user) for actor in rules.actors) if c), None)
        # Met or not: the first condition unmet says it (a later one may ask for rows the first spares).
        if capacity is not None and not any(condition(document) for condition in rules.conditions):
            actions.append(rules.label)
            organization_id = organization_id or capacity.organization_id
    for way in type(document).workflow.ways_forward_offered():
        if document.state != way.source:
            continue
        capacity = next((c for c in (actor.capacity(document, user) for actor in way.actors) if c), None)
        if capacity is not None and not any(condition(document) for condition in way.conditions):
            actions.append(way.label)
            organization_id = organization_id or capacity.organization_id
    adjudicate = 0
    step = document.current_step()
    if step:
        if pending is None:
            pending = len([c for c in document_comments(document) if not c.decision and c.tasker.step == step])
        if pending:
            capacity = comment_adjudicator(document=document, by=user)
            if capacity is not None:
                adjudicate = pending
                actions.insert(0, f"Adjudicate {adjudicate} comment{'s' if adjudicate != 1 else ''}")
                organization_id = organization_id or capacity.organization_id
    if not actions:
        return None
    return Decision(actions=actions, organization_id=organization_id, adjudicate=adjudicate)


# --- the inbox --------------------------------------------------------------------------------

def _title(document) -> str:
    """As the engine copies it onto the document's taskers (``document_title``)."""
    return str(getattr(document, "title", "") or document)[:300]


def _url(content_type_id: int, object_id: int, anchor: str) -> str:
    url = change_url(ContentType.objects.get_for_id(content_type_id), object_id)
    return f"{url}#{anchor}" if url else ""


def _sort_key(sort: str):
    """The order of the merged page; on taskers the same as ``_tasker_order`` (a decision before
    the taskers of the same suspense), so that a window of taskers read in SQL merges exactly."""
    far = datetime.date.max
    return {
        "due": lambda item: (item.due or far, item.tasker_id or 0, item.document_id),
        "-due": lambda item: (item.due is None, -(item.due or far).toordinal(), -(item.tasker_id or 0),
                              item.document_id),
        "document": lambda item: (item.title.lower(), item.due or far, item.tasker_id or 0, item.document_id),
        "organization": lambda item: (item.organization.lower(), item.due or far, item.tasker_id or 0,
                                      item.document_id),
    }[sort]


def _tasker_order(sort: str) -> tuple:
    from django.db.models.functions import Collate

    # Code point order, as Python compares strings (a locale's collation skips spaces and punctuation).
    binary = "C" if connection.vendor == "postgresql" else "BINARY"
    return {"due": ("suspense", "pk"), "-due": ("-suspense", "-pk"),
            "document": (Collate(Lower("document_title"), binary), "suspense", "pk"),
            "organization": (Collate(Lower("organization__acronym"), binary), "suspense", "pk")}[sort]


def my_work(user, *, kind: str | None = None, organization: int | None = None, due: str | None = None,
            sort: str = "due", page: int = 1, per_page: int = PER_PAGE,
            today: datetime.date | None = None) -> MyWork:
    """``user``'s My work, one page of it: every open tasker of theirs and every decision the
    engine says they may take now, on documents they may see, filtered by kind (a registered
    ``workflow_kind``), organization (an id) and due state (``DUE_STATES``), sorted (``SORTS``).
    Bounded queries whatever the amount of data (see the module's docstring)."""
    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}")
    if due is not None and due not in DUE_STATES:
        raise ValueError(f"Unknown due state {due!r}")
    today = today or timezone.localdate()
    kinds_offered = work_kinds()
    if not active_account(user):
        return MyWork(items=[], count=0, count_exact=True, page=1, pages=1, per_page=per_page, kinds=kinds_offered)
    models = _kinds(kind)
    acting = organization_ids_acting_for(user)
    offices = (Organization.objects.filter(pk__in=acting).only("pk", "acronym", "current_acronym")
               .annotate(formerly=predecessors_joined()).in_bulk() if acting else {})
    organizations = {pk: office.acronym for pk, office in offices.items()}

    # Taskers: a window of them in the page's order; and their count, up to ``PAGES_COUNTED_AHEAD``
    # pages past this one (a query that stops there).
    first = (page - 1) * per_page
    counted_to = (page - 1 + PAGES_COUNTED_AHEAD) * per_page
    reads = per_capacity_querysets(("my_work_branches", kind), user,
                                   lambda: _branch_reads(my_tasker_branches(user, kind=kind))) if models else []
    if organization is not None:
        reads = [read.filter(organization_id=organization) for read in reads]
    if due is not None:
        reads = [read.filter(_due_q(due, today)) for read in reads]
    # Compiled once per capacity, filters and page (``security.capacity``), as the header's count.
    counted = _count_read(per_capacity_value(
        ("my_work_counted", connection.vendor, kind, organization, due, today if due else None, counted_to + 1),
        user, lambda: _count_sql(user, reads, counted_to + 1)))
    count_exact = counted <= counted_to
    tasker_count = min(counted, counted_to)
    # Each branch's first rows in the page's order; the page merges them (``_sort_key``).
    window = [tasker for read in (reads if tasker_count > first else ())
              for tasker in read.select_related("organization")
              .annotate(formerly=predecessors_joined("organization_id"))
              .order_by(*_tasker_order(sort))[:first + per_page]]
    if kind is None and organization is None and due is None and (count_exact or counted > BADGE_CAP):
        # The header's, already counted as far as the badge counts.
        request_memo(("my_work_count", user.pk), lambda: min(counted, BADGE_CAP + 1))

    # Decisions, on the candidate documents.
    ids, cut = _candidate_ids(user, models)
    # First without their taskers and comments: only the documents whose rules ask for them (a
    # condition on the answers, a rule naming the tasked offices) have them read, all at once,
    # and are asked again; the comments awaiting an adjudication are counted, not read.
    documents = _documents(ids, user)
    content_types = _content_type_ids(models) if models else {}
    decided: list[tuple[object, Decision]] = []
    unread = []
    for document in documents:
        try:
            with document_read_once(document, unread_raises=True):
                decision = decisions_on(document, user, pending=_pending(document))
        except RowsNotRead:
            unread.append(document)
            continue
        if decision is not None:
            decided.append((document, decision))
    taskers_of, comments_of = _read_with(unread)
    for document in unread:
        key = (content_types[type(document)], document.pk)
        with document_read_once(document, taskers=taskers_of.get(key, []), comments=comments_of.get(key, [])):
            decision = decisions_on(document, user, pending=_pending(document))
        if decision is not None:
            decided.append((document, decision))
    for document, decision in decided:
        decision.mine = getattr(document, MINE)

    said: dict = {}  # due_words by suspense, for this page
    known = {document.owner_id: document.owner.acronym for document, _ in decided} | organizations
    known[None] = "Cycle administrator"  # acts for no organization (``assessments.rules.CycleAdministrator``)
    decision_items: dict[tuple[int, int], WorkItem] = {}
    covered = set()  # decisions on documents where the person holds a tasker: shown on its row
    for document, decision in decided:
        key = (content_types[type(document)], document.pk)
        suspense = getattr(document, "suspense", None)
        suspense = suspense if isinstance(suspense, datetime.date) else None
        state, words = due_words(suspense, today=today, memo=said)
        decision_items[key] = WorkItem(
            what=WHAT_ADJUDICATE if decision.adjudicate and len(decision.actions) == 1 else WHAT_DECIDE,
            kind=document.workflow_kind, kind_label=str(type(document)._meta.verbose_name).capitalize(),
            content_type_id=key[0], document_id=document.pk, title=_title(document),
            step=services.state_label(document).capitalize(), actions=decision.actions,
            organization_id=decision.organization_id, organization=known.get(decision.organization_id, ""),
            due=suspense, due_state=state, due_words=words,
            url=_url(key[0], document.pk, "workflow-comments" if decision.adjudicate
                     else "workflow-state"),
        )
        if decision.mine:
            covered.add(key)
    separate = [item for key, item in decision_items.items() if key not in covered
                and (organization is None or item.organization_id == organization)
                and (due is None or item.due_state == due)]

    tasker_items = []
    for tasker in window:
        state, words = due_words(tasker.suspense, today=today, memo=said)
        key = (tasker.content_type_id, tasker.object_id)
        extra = decision_items.get(key)
        actions = ["Answer" if tasker.step in services.RESPONSES_BY_STEP else tasker.get_step_display()]
        if extra is not None:
            actions += [action for action in extra.actions if action not in actions]
        model = ContentType.objects.get_for_id(tasker.content_type_id).model_class()
        tasker_items.append(WorkItem(
            what=WHAT_ANSWER, kind=getattr(model, "workflow_kind", ""),
            kind_label=str(model._meta.verbose_name).capitalize() if model else "",
            content_type_id=tasker.content_type_id, document_id=tasker.object_id, title=tasker.document_title,
            step=tasker.get_step_display(), actions=actions, organization_id=tasker.organization_id,
            organization=tasker.organization.acronym, due=tasker.suspense, due_state=state, due_words=words,
            tasker_id=tasker.pk, url=_url(tasker.content_type_id, tasker.object_id, "workflow-state"),
        ))

    count = tasker_count + len(separate)
    merged = sorted(tasker_items + separate, key=_sort_key(sort))[first:first + per_page]
    pages = max(1, -(-count // per_page))
    # The page's offices by today's name, the directive's beside it, read with the rows (an
    # owner the person does not act for: by its own row, without predecessors).
    labels = {document.owner_id: label_of(document.owner) for document, _ in decided
              if getattr(document, "owner_id", None)}
    labels |= {tasker.organization_id: label_of(tasker.organization, tasker.formerly) for tasker in window}
    labels |= {pk: label_of(office, office.formerly) for pk, office in offices.items()}
    for item in merged:
        item.organization_label = labels.get(item.organization_id, item.organization)
    return MyWork(items=merged, count=count, count_exact=count_exact, page=page, pages=pages, per_page=per_page,
                  kinds=kinds_offered,
                  organizations=sorted(((pk, labels.get(pk, acronym)) for pk, acronym in organizations.items()),
                                       key=lambda item: item[1]), unchecked=cut)
