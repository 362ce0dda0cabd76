"""Word of new work: the notices people get as the engine moves documents, through the same
outbox as suspense reminders (``reminders.models.Reminder``), exactly once.

How an event becomes a notice:

1. A history entry is the event itself (the engine's one trail, written in the transaction that
   made the change): nothing more is written for it in that transaction. The engine tells of
   every history entry (``workflow.signals.history_appended``); when one is told to anyone, a
   task to raise notices is queued for the commit. Taskers issued in bulk
   (``workflow.signals.taskers_issued``) are recorded as ``NoticeEvent`` rows in one INSERT in
   their transaction.
2. Once the change commits, ``notices_raise`` (a task; the sweep also calls it, so a lost task
   delays a notice by one sweep, never drops it) takes the history entries told to someone
   above the high-water mark (``PlanningMark`` "history") that carry no ``NoticeEvent`` yet,
   and the pending tasker events (claimed with ``SKIP LOCKED``); it works out who is told and
   what each may read, and writes in one transaction the outbox rows (unique per notice key and
   recipient), the in-app notifications, one processed ``NoticeEvent`` per history entry
   (unique: an entry is told once) and the tasker events' processed mark. Raisers of history
   entries take the mark's row lock in turn. The mark advances (in the sweep) only over entries
   older than ``HIGH_WATER_LAG``, so an entry committed late by a slower transaction (a lower
   id, visible later) is still found. Rows to go by e-mail at once are handed to delivery;
   digest rows wait for the daily digest, which lists them beside the day's reminders.

Which events are told, and to whom, is generic: any kind of document registered with the engine
gets them. A transition declares its notice in its kind's workflow table (``Transition(...,
notice=..., notice_to=...)``); without one, a move to a returned, approved, withdrawn or
superseded state is told to everyone who took part. Need-to-know and markings hold as in the
pages: a person who may not see the document gets nothing (except the people tasked on it,
whom the tasker itself gives need-to-know), a title goes only to those cleared for its marking,
and an e-mail carries it only when the document says its marking allows (``mail_may_carry_title``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from organizations.models import Role, with_article
from organizations.selectors import memberships_active, organization_labels
from runtime.dates import date_words
from runtime.request_memo import memo_scope
from runtime.task_queue import enqueue_on_commit
from workflow.models import (
    OPEN_TASKER_STATES,
    ROLES_WHO_ANSWER,
    Comment,
    HistoryEntry,
    Step,
    Tasker,
    TaskerState,
)
from workflow.registry import cleared_documents, document_visible, escalation_documents, registered_documents

from .marking import mail_may_carry_title
from .models import (
    DELIVERY_CHUNK,
    HIGH_WATER_LAG,
    NOTICE_DEFAULTS,
    NoticeDelivery,
    NoticeEvent,
    NoticeKind,
    NoticePreference,
    Notification,
    PlanningMark,
    Reminder,
    ReminderStatus,
)
from .selectors import document_link

EVENT_BATCH = 500
NOTICE_MARK = "history"  # the high-water mark of history entries told (PlanningMark)
# A move into one of these states is told to everyone who took part, whatever the kind.
OUTCOME_STATES = ("returned", "approved", "withdrawn", "superseded")
# A tasker closed by one of these may leave its step with every answer in.
ANSWER_ACTIONS = ("tasker_answered", "tasker_misrouted", "tasker_removed")
COMMENT_ACTIONS = ("comment_adjudicated",)
PARTICIPANT_ROLES = (Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER)
OWNER_NEXT_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)


# --- 1. recording the engine's events, in its transaction ----------------------------------

def _model_of(content_type_id: int):
    return ContentType.objects.get_for_id(content_type_id).model_class()


def transition_notice(model, action: str) -> tuple[str, str] | None:
    """(notice kind, audience) of the transition ``action`` of ``model``, as its workflow table
    declares it, or the default for a move to an outcome state; None when it is told to no one."""
    rules = getattr(getattr(model, action, None), "workflow_rules", None)
    if rules is None:
        return None
    if rules.notice:
        return rules.notice, rules.notice_to or "participants"
    if rules.target in OUTCOME_STATES:
        return NoticeKind.DOCUMENT_OUTCOME, rules.notice_to or "participants"
    return None


def _told(entry: HistoryEntry) -> bool:
    if entry.action in ANSWER_ACTIONS or entry.action in COMMENT_ACTIONS:
        return True
    model = _model_of(entry.content_type_id)
    return model is not None and transition_notice(model, entry.action) is not None


def told_entries_q() -> Q:
    """The history entries told to someone, as a filter: the answers and adjudications, and the
    transitions of each registered kind that its workflow table (or the outcome default) tells."""
    from workflow.services import declared_transitions

    told = Q(action__in=ANSWER_ACTIONS + COMMENT_ACTIONS)
    content_types = ContentType.objects.get_for_models(*registered_documents())  # one query, then cached
    for model, content_type in content_types.items():
        actions = [rules.name for rules, _ in declared_transitions(model) if transition_notice(model, rules.name)]
        if actions:
            told |= Q(content_type=content_type, action__in=actions)
    return told


def notice_events_record(*, entries: Iterable[HistoryEntry] = (), taskers: Iterable[Tasker] = ()) -> int:
    """In the caller's transaction: record the issued taskers as events (one INSERT, none when
    there are none); a history entry is its own event and writes nothing more. When any of them
    is told to someone, have notices raised once the transaction commits. Returns how many
    events there are to raise."""
    count = sum(1 for entry in entries if _told(entry))
    events = [NoticeEvent(tasker=tasker) for tasker in taskers]
    if events:
        NoticeEvent.objects.bulk_create(events)
    count += len(events)
    if count:
        from .tasks import raise_notices

        enqueue_on_commit(raise_notices)
    return count


# --- 2. raising notices ---------------------------------------------------------------------

@dataclass
class Draft:
    """One notice to some people: its text with and without the document's title."""

    kind: str
    key: str
    document: object
    users: list[int]
    subject: str
    text: str               # with the title
    untitled_text: str      # without it
    link: str
    tasked: bool = False    # the recipients are tasked on the document: that is their need-to-know
    actor_id: int | None = None  # who acted (or caused the system to): they are not told



def _untold(above: int):
    """History entries told to someone, above the mark ``above``, not yet told (oldest first)."""
    return (HistoryEntry.objects.filter(told_entries_q(), pk__gt=above)
            .exclude(Exists(NoticeEvent.objects.filter(history=OuterRef("pk")))).order_by("pk"))


def notices_raise(*, limit: int = EVENT_BATCH, now: datetime.datetime | None = None, settle: bool = False) -> int:
    """Turn up to ``limit`` pending events (history entries told to someone and not told yet,
    then taskers issued in bulk) into notices, exactly once: raisers of history entries take the
    high-water mark's row lock in turn and record each entry told (``NoticeEvent``, unique per
    entry) in the transaction that writes its outbox rows and in-app notifications; tasker events
    are claimed with ``SKIP LOCKED`` and marked processed in that transaction. A notice key is
    unique per recipient, so an event told twice over (two answers completing a step at once)
    reaches each person once. Rows to go at once are handed to delivery when this commits.
    ``settle`` (the sweep): then advance the mark over the entries older than
    ``HIGH_WATER_LAG`` that wait for nothing, so the look for untold entries starts there,
    whatever the length of the history. Returns how many events were processed."""
    now = now or timezone.now()
    # No savepoint: inside the sweep's transaction the events and the claims commit together.
    with transaction.atomic(savepoint=False):
        mark, _ = PlanningMark.objects.select_for_update().get_or_create(name=NOTICE_MARK)
        entries = list(_untold(mark.last_id)[:limit])
        events = [NoticeEvent(history=entry, created_at=now, processed_at=now) for entry in entries]
        claimed = []
        if len(events) < limit:
            claimed = list(NoticeEvent.objects.select_for_update(skip_locked=True, of=("self",))
                           .filter(processed_at__isnull=True)
                           .select_related("tasker__organization", "tasker__content_type")
                           .order_by("pk")[:limit - len(events)])
        if events or claimed:
            documents = _documents(events + claimed)
            # The tasked offices by today's name, the directive's beside it: one query for the batch.
            labels = organization_labels([event.tasker.organization for event in claimed if event.tasker_id])
            drafts: dict[str, Draft] = {}
            # Each recipient's offices and roles read once for the batch (``memo_scope``): the
            # need-to-know of every notice asks them, for every person it may reach.
            with memo_scope():
                for event in events + claimed:
                    for draft in _drafts(event, documents, labels):
                        drafts.setdefault(draft.key, draft)
                _write(list(drafts.values()), now=now)
            NoticeEvent.objects.bulk_create(events)
            if claimed:
                NoticeEvent.objects.filter(pk__in=[e.pk for e in claimed]).update(processed_at=now)
        if settle:
            # Every untold entry up to the last one taken is told now: the mark may pass them
            # (not beyond the last taken when more wait).
            settled = HistoryEntry.objects.filter(pk__gt=mark.last_id, at__lte=now - HIGH_WATER_LAG)
            if len(entries) == limit:
                settled = settled.filter(pk__lte=entries[-1].pk)
            high = settled.aggregate(high=Max("pk"))["high"]
            if high is not None:
                PlanningMark.objects.filter(pk=mark.pk).update(last_id=high)
    return len(events) + len(claimed)


def notices_pending_count() -> int:
    """How many events wait to be told: untold history entries above the mark and tasker events."""
    mark = PlanningMark.objects.filter(name=NOTICE_MARK).values_list("last_id", flat=True).first() or 0
    untold = _untold(mark).count()
    return untold + NoticeEvent.objects.filter(processed_at__isnull=True).count()


def notices_pending_skip(*, now: datetime.datetime | None = None) -> int:
    """Put every pending event out of the way without telling anyone (the benchmark's mail
    measure starts from a quiet outbox): untold entries are recorded as told, tasker events as
    processed. Returns how many were skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        mark, _ = PlanningMark.objects.select_for_update().get_or_create(name=NOTICE_MARK)
        untold = list(_untold(mark.last_id).values_list("pk", flat=True))
        NoticeEvent.objects.bulk_create([NoticeEvent(history_id=pk, created_at=now, processed_at=now) for pk in untold])
        return len(untold) + NoticeEvent.objects.filter(processed_at__isnull=True).update(processed_at=now)


def _ref(event: NoticeEvent) -> tuple[int, int]:
    source = event.history or event.tasker
    return source.content_type_id, source.object_id


def _documents(events: list[NoticeEvent]) -> dict[tuple[int, int], object]:
    wanted: dict[int, set[int]] = defaultdict(set)
    for event in events:
        content_type_id, object_id = _ref(event)
        wanted[content_type_id].add(object_id)
    documents = {}
    for content_type_id, ids in wanted.items():
        model = _model_of(content_type_id)
        if model is None:
            continue
        for document in escalation_documents(model).filter(pk__in=ids):
            documents[(content_type_id, document.pk)] = document
    return documents


def _drafts(event: NoticeEvent, documents: dict, labels: dict[int, str] | None = None) -> list[Draft]:
    document = documents.get(_ref(event))
    if document is None:
        return []
    if event.tasker_id:
        # A tasker answered, cancelled or returned before word of it went out is no new work.
        return [_tasker_issued(event.tasker, document, labels)] if event.tasker.is_open else []
    entry = event.history
    if entry.action in ANSWER_ACTIONS:
        return _answers_in(entry, document)
    if entry.action in COMMENT_ACTIONS:
        return _comment_adjudicated(entry, document)
    told = transition_notice(type(document), entry.action)
    return [_transition(entry, document, *told)] if told else []


def _what(document, titled: bool) -> str:
    from workflow.services import kind_label

    kind = kind_label(document)
    if titled:
        return f"the {kind} “{document.title}”"
    return f"{with_article(kind)} whose title this notice may not carry (open the link to see it)"


def _link(document, anchor: str = "") -> str:
    content_type = ContentType.objects.get_for_model(type(document))
    return (document_link(content_type, document.pk) + anchor)[:500]


def _members(organization_ids: Iterable[int], roles: Iterable[str]) -> list[int]:
    ids = [pk for pk in organization_ids if pk]
    if not ids:
        return []
    return list(memberships_active().filter(organization_id__in=ids, role__in=list(roles), user__is_active=True)
                .order_by("user_id").values_list("user_id", flat=True).distinct())


def _tasker_issued(tasker: Tasker, document, labels: dict[int, str] | None = None) -> Draft:
    """The people who may answer the tasker: its assignee, else the tasked organization's
    coordinators (reviewers and approvers; for coordination, those designated coordinators),
    else, none being designated, its reviewers and approvers. The office is named as pages name
    it today (``labels``: "USD(A&S), formerly USD(AT&L)")."""
    from workflow.services import tasker_assignees

    if tasker.assignee_id:
        users = [tasker.assignee_id]
    else:
        users = list(tasker_assignees(organization_ids=[tasker.organization_id], step=tasker.step)
                     .order_by("user_id").values_list("user_id", flat=True).distinct())
        users = users or _members([tasker.organization_id], ROLES_WHO_ANSWER)
    step = tasker.get_step_display().lower()
    org = (labels or {}).get(tasker.organization_id) or tasker.organization.acronym
    suspense = date_words(tasker.suspense)

    def text(titled: bool) -> str:
        return f"New {step} tasker for {org} on {_what(document, titled)}: suspense {suspense}."

    return Draft(kind=NoticeKind.TASKER_ISSUED, key=f"tasker_issued:{tasker.pk}", document=document, users=users,
                 subject=f"New {step} tasker for {org}, suspense {suspense}", text=text(True),
                 untitled_text=text(False), link=_link(document, f"#tasker-{tasker.pk}"), tasked=True)


def _answers_in(entry: HistoryEntry, document) -> list[Draft]:
    """Once the last open tasker of a step is answered (or returned, or removed) and at least one
    was answered: the owner's people who act next. One notice per round of taskers (the key
    names the round's last tasker), however many answers completed it at the same moment."""
    step = entry.data.get("step") or getattr(document, "current_step", lambda: None)()
    if not step:
        return []
    taskers = list(Tasker.objects.filter(content_type_id=entry.content_type_id, object_id=entry.object_id, step=step)
                   .values_list("pk", "state"))
    if not taskers or any(state in OPEN_TASKER_STATES for _, state in taskers):
        return []
    answered = sum(1 for _, state in taskers if state == TaskerState.ANSWERED)
    if not answered:
        return []
    users = _owner_next(document)
    step_words = Step(step).label.lower() if step in Step.values else step
    plural = "s" if answered != 1 else ""

    def text(titled: bool) -> str:
        return (f"All {step_words} answers are in on {_what(document, titled)} ({answered} answer{plural}): "
                "your organization acts next.")

    return [Draft(kind=NoticeKind.ANSWERS_IN, key=f"answers_in:{entry.content_type_id}:{entry.object_id}:{step}:"
                                                  f"{max(pk for pk, _ in taskers)}",
                  document=document, users=users, subject=f"All {step_words} answers in", text=text(True),
                  untitled_text=text(False), link=_link(document))]


def _owner_next(document) -> list[int]:
    """The owner's people who may make a transition out of the document's state now: the roles
    its workflow gives the owner there, or its action officers and approvers."""
    roles: set[str] = set()
    for rules in _transitions_from(document):
        for actor in rules.actors:
            try:
                organizations = actor.organization_ids(document)
            except (AttributeError, NotImplementedError):
                continue
            if document.owner_id in organizations:
                roles.update(actor.roles)
    return _members([document.owner_id], roles or OWNER_NEXT_ROLES)


def _transitions_from(document):
    workflow = getattr(type(document), "workflow", None)
    for rules in getattr(workflow, "transitions", ()):
        sources = rules.source if isinstance(rules.source, tuple) else (rules.source,)
        if not rules.system_only and (document.state in sources or "*" in sources):
            yield rules


def _comment_adjudicated(entry: HistoryEntry, document) -> list[Draft]:
    comment = Comment.objects.filter(pk=entry.data.get("comment")).select_related("organization").first()
    if comment is None or comment.author_id is None:
        return []
    decision = comment.get_decision_display().lower() or "adjudicated"
    category = comment.get_category_display().lower()

    def text(titled: bool) -> str:
        return f"Your {category} comment on {_what(document, titled)} was {decision} by the owner."

    return [Draft(kind=NoticeKind.COMMENT_ADJUDICATED, key=f"comment_adjudicated:{entry.pk}", document=document,
                  users=[comment.author_id], subject=f"Your {category} comment was {decision}", text=text(True),
                  untitled_text=text(False), link=_link(document, f"#comment-{comment.pk}"),
                  actor_id=entry.actor_id or entry.caused_by_id)]


def _transition(entry: HistoryEntry, document, kind: str, audience: str) -> Draft:
    from workflow.services import kind_label, state_label

    users = _next_actors(document) if audience == "next" else _participants(document)
    state = state_label(document, entry.to_state)
    rules = getattr(type(document), entry.action).workflow_rules
    by = entry.actor_label

    def text(titled: bool) -> str:
        what = _what(document, titled)
        return f"{what[:1].upper()}{what[1:]} is now {state} ({rules.label.lower()}, by {by})."

    return Draft(kind=kind, key=f"{kind}:{entry.pk}", document=document, users=users,
                 subject=f"{kind_label(document).capitalize()} {state}", text=text(True),
                 untitled_text=text(False), link=_link(document), actor_id=entry.actor_id or entry.caused_by_id)


def _participants(document) -> list[int]:
    """Everyone who took part: the owner's staff, the staff of the organizations the kind names
    (``notice_organization_ids()``, if it declares it), whoever acted on it (its history), and
    whoever answered or was assigned one of its taskers."""
    organizations = [document.owner_id]
    declared = getattr(document, "notice_organization_ids", None)
    if callable(declared):
        organizations += declared()
    users = set(_members(organizations, PARTICIPANT_ROLES))
    content_type = ContentType.objects.get_for_model(type(document))
    users.update(HistoryEntry.objects.filter(content_type=content_type, object_id=document.pk, actor__isnull=False)
                 .values_list("actor_id", flat=True).distinct().order_by())
    for answered_by, assignee in Tasker.objects.filter(content_type=content_type, object_id=document.pk).values_list(
            "answered_by_id", "assignee_id"):
        users.update(pk for pk in (answered_by, assignee) if pk)
    return sorted(users)


def _next_actors(document) -> list[int]:
    """Those who may make a transition out of the document's state now (e.g. the reviewing
    organization that accepts or returns a submitted assessment)."""
    users: list[int] = []
    for rules in _transitions_from(document):
        for actor in rules.actors:
            try:
                organizations = actor.organization_ids(document)
            except (AttributeError, NotImplementedError):
                continue
            users.extend(u for u in _members(organizations, actor.roles) if u not in users)
    return users


def _write(drafts: list[Draft], *, now: datetime.datetime) -> None:
    """The outbox rows and in-app notifications of ``drafts``, each person's choice applied,
    need-to-know and markings checked for each person."""
    user_ids = {u for d in drafts for u in d.users if u != d.actor_id}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids, is_active=True)}
    choices = notice_choices(user_ids)
    rows, texts = [], {}
    for draft in drafts:
        model = type(draft.document)
        mail_title = mail_may_carry_title(draft.document)
        for user_id in draft.users:
            user = users.get(user_id)
            if user is None or user_id == draft.actor_id:
                continue
            delivery = choices.get((user_id, draft.kind), NOTICE_DEFAULTS[draft.kind])
            if delivery == NoticeDelivery.OFF:
                continue
            if not draft.tasked and not document_visible(user, draft.document):
                continue  # no need-to-know: nothing at all
            cleared = cleared_documents(model, user).filter(pk=draft.document.pk).exists()
            texts[(draft.key, user_id)] = draft.text if cleared else draft.untitled_text
            body = draft.text if cleared and mail_title else draft.untitled_text
            rows.append(Reminder(notice_kind=draft.kind, key=draft.key[:200], recipient_id=user_id, due_at=now,
                                 digest=delivery == NoticeDelivery.DIGEST, subject=draft.subject[:300],
                                 mail_text=body, link=draft.link, created_at=now))
    # A concurrent raise of another event with the same key (two answers completing one step)
    # wrote its rows first: the unique constraint keeps theirs, and only ours get notified.
    _rows_write(rows, texts, now=now)


# --- notices of an app's own dates (not of the engine's events) -------------------------------

@dataclass(frozen=True)
class Tell:
    """One notice an app raises of its own records (a certification about to expire): its key
    (unique per recipient: told once, whatever retries or repeated sweeps), the recipients the
    app has already checked for need-to-know, the in-app text and the e-mail text (which carries
    only what mail may carry)."""

    kind: str
    key: str
    user_ids: tuple[int, ...]
    subject: str
    text: str
    mail_text: str
    link: str = ""


def notices_tell(tells: Iterable[Tell], *, now: datetime.datetime | None = None) -> int:
    """Write the outbox rows and in-app notifications of ``tells``, each exactly once per key and
    recipient (the outbox's unique constraint), each person's delivery choice applied; rows to go
    at once are handed to delivery when the transaction commits. Returns the rows written now
    (0 when every one was told before)."""
    now = now or timezone.now()
    tells = list(tells)
    user_ids = {u for t in tells for u in t.user_ids}
    active = set(get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    choices = notice_choices(user_ids)
    rows, texts = [], {}
    for tell in tells:
        for user_id in tell.user_ids:
            if user_id not in active:
                continue
            delivery = choices.get((user_id, tell.kind), NOTICE_DEFAULTS[tell.kind])
            if delivery == NoticeDelivery.OFF:
                continue
            texts[(tell.key[:200], user_id)] = tell.text
            rows.append(Reminder(notice_kind=tell.kind, key=tell.key[:200], recipient_id=user_id, due_at=now,
                                 digest=delivery == NoticeDelivery.DIGEST, subject=tell.subject[:300],
                                 mail_text=tell.mail_text, link=tell.link, created_at=now))
    with transaction.atomic(savepoint=False):
        return _rows_write(rows, texts, now=now)


def _rows_write(rows: list[Reminder], texts: dict, *, now: datetime.datetime) -> int:
    """Insert the outbox rows (a row told before is kept, not repeated), write the in-app
    notification of each new one and hand those due at once to delivery on commit."""
    if not rows:
        return 0
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    mine = list(Reminder.objects.filter(key__in={r.key for r in rows}, recipient_id__in={r.recipient_id for r in rows},
                                        status=ReminderStatus.SCHEDULED, notification__isnull=True,
                                        created_at=now).values_list("pk", "key", "recipient_id", "link", "digest"))
    Notification.objects.bulk_create([
        Notification(user_id=user_id, reminder_id=pk, text=texts[(key, user_id)][:500], link=link, created_at=now)
        for pk, key, user_id, link, _ in mine if (key, user_id) in texts])
    at_once = [pk for pk, *_, digest in mine if not digest]
    if at_once:
        Reminder.objects.filter(pk__in=at_once).update(status=ReminderStatus.SENDING, claimed_at=now,
                                                       attempts=F("attempts") + 1)
        from .tasks import deliver_many

        for start in range(0, len(at_once), DELIVERY_CHUNK):
            enqueue_on_commit(deliver_many, at_once[start:start + DELIVERY_CHUNK])
    return len(mine)


# --- preferences ------------------------------------------------------------------------------

def notice_choices(user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """{(user id, kind): delivery} of what these people chose (the defaults are not listed)."""
    return {(u, k): d for u, k, d in NoticePreference.objects.filter(user_id__in=list(user_ids))
            .values_list("user_id", "kind", "delivery")}


def notice_preferences(user) -> list[dict]:
    """Each kind of notice with the person's choice (or the default) and the default."""
    chosen = {k: d for (_, k), d in notice_choices([user.pk]).items()}
    return [{"kind": kind.value, "label": kind.label, "delivery": chosen.get(kind.value, NOTICE_DEFAULTS[kind]).__str__(),
             "default": str(NOTICE_DEFAULTS[kind])} for kind in NoticeKind]


def notice_preferences_set(*, user, choices: dict[str, str], by=None) -> list[dict]:
    """Set how ``user`` hears of each kind named in ``choices`` ({kind: delivery}); kinds not
    named keep their choice. An unknown kind or delivery is refused in words, nothing saved.
    The person's own: made by anyone else (a system administrator included), PermissionDenied.
    Notices already raised keep the delivery they were raised with."""
    if by is not None and by.pk != user.pk:
        raise PermissionDenied("Notification settings are the person's own: only they change them.")
    errors: dict[str, list[str]] = {}
    deliveries = ", ".join(NoticeDelivery.values)
    for kind, delivery in choices.items():
        if kind not in NoticeKind.values:
            errors.setdefault(str(kind)[:50], []).append(
                f"“{str(kind)[:50]}” is not a kind of notice; the kinds are {', '.join(NoticeKind.values)}.")
        elif delivery not in NoticeDelivery.values:
            errors.setdefault(kind, []).append(f"Choose one of {deliveries}.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, delivery in choices.items():
            NoticePreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})
    return notice_preferences(user)
