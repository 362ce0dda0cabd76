"""Reads of the reminders app: who receives which step of which tasker, in a fixed number of
queries per batch of taskers (never one query per tasker)."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.urls import NoReverseMatch, reverse

from organizations.models import Role
from organizations.selectors import memberships_active
from workflow.models import Tasker
from workflow.registry import escalation_documents, escalation_organization_ids, tasker_roles

from .models import Audience, Notification, ReminderPolicy, ReminderStep

TASKED_ORGANIZATION_ROLES = (Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER)
REVIEWING_AUTHORITY_ROLES = (Role.REVIEWER, Role.APPROVER)

logger = logging.getLogger(__name__)


def documents_of(taskers: Iterable[Tasker]) -> dict[tuple[int, int], object]:
    """{(content type id, object id): document}, each loaded with what its escalation contract
    reads: one query per kind of document."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for tasker in taskers:
        wanted[tasker.content_type_id].add(tasker.object_id)
    documents = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        for document in escalation_documents(model).filter(pk__in=ids):
            documents[(content_type_id, document.pk)] = document
    return documents


def reviewing_authority_ids(document) -> list[int]:
    """The organizations an overdue tasker on the document escalates to, as its kind declares
    them (``workflow.registry``: the kind's own answer, or its route's review and approval)."""
    return escalation_organization_ids(document)


def policies_active() -> list[ReminderPolicy]:
    steps = Prefetch("steps", queryset=ReminderStep.objects.filter(is_active=True), to_attr="active_steps")
    return list(ReminderPolicy.objects.filter(is_active=True).prefetch_related(steps))


def policy_for(policies: list[ReminderPolicy], tasker: Tasker, document) -> ReminderPolicy | None:
    """The most specific active policy: by content type, then by workflow kind, then the default."""
    kind = getattr(document, "workflow_kind", None)
    for match in (lambda p: p.content_type_id == tasker.content_type_id,
                  lambda p: kind and p.workflow_kind == kind and p.content_type_id is None,
                  lambda p: p.is_default):
        for policy in policies:
            if match(policy):
                return policy
    return None


class Recipients:
    """Members by organization and role on one day, loaded once for a batch of taskers."""

    def __init__(self, organization_ids: Iterable[int], on: datetime.date):
        self._members: dict[tuple[int, str], list[int]] = defaultdict(list)
        rows = (memberships_active(on=on).filter(organization_id__in=set(organization_ids), user__is_active=True)
                .order_by("user_id").values_list("organization_id", "role", "user_id"))
        for organization_id, role, user_id in rows:
            if user_id not in self._members[(organization_id, role)]:
                self._members[(organization_id, role)].append(user_id)

    def members(self, organization_ids: Iterable[int], roles: Iterable[str]) -> list[int]:
        users: list[int] = []
        for organization_id in organization_ids:
            for role in roles:
                users.extend(u for u in self._members[(organization_id, role)] if u not in users)
        return users

    def for_audience(self, audience: str, tasker: Tasker, document) -> list[int]:
        if audience == Audience.TASKED_ORGANIZATION:
            if tasker.assignee_id:
                return [tasker.assignee_id]
            # Those the document's kind says answer a tasker of this step (``workflow.registry``),
            # or every member who may when it names none, or nobody holds those roles today.
            roles = tasker_roles(document, tasker.step)
            return ((roles and self.members([tasker.organization_id], roles))
                    or self.members([tasker.organization_id], TASKED_ORGANIZATION_ROLES))
        if audience == Audience.ORGANIZATION_APPROVERS:
            return self.members([tasker.organization_id], [Role.APPROVER])
        if audience == Audience.REVIEWING_AUTHORITY:
            return self.members(reviewing_authority_ids(document), REVIEWING_AUTHORITY_ROLES)
        return []


def document_link(content_type: ContentType, object_id: int) -> str:
    """The document's page in the admin, or the admin's home when the kind has no admin page;
    the site's address if the URL configuration cannot be reversed at all (a reminder is never
    lost for want of a link)."""
    base = settings.SITE_URL.rstrip("/")
    for name, args in ((f"admin:{content_type.app_label}_{content_type.model}_change", [object_id]),
                       ("admin:index", [])):
        try:
            return base + reverse(name, args=args)
        except NoReverseMatch:
            continue
        except ValueError:  # a pattern Django cannot reverse breaks every reverse()
            logger.exception("reminders: cannot build links from the URL configuration")
            break
    return base + "/"


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user.pk)


def notifications_unread_count(user) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def outbox_backlog(*, now: datetime.datetime | None = None) -> tuple[int, float]:
    """(how many, age in seconds of the oldest) reminders due now and not yet handed to a worker:
    scheduled or uncertain, due, and not waiting for the daily digest. What the sweep (every 2
    minutes) should keep near zero; one aggregate over the ``reminder_due`` index."""
    from django.db.models import Count, Min, Q
    from django.utils import timezone

    from .models import CLAIMABLE, Reminder

    now = now or timezone.now()
    row = (Reminder.objects.filter(Q(digest=False) | Q(attempts__gt=0), status__in=CLAIMABLE, due_at__lte=now)
           .aggregate(count=Count("pk"), oldest=Min("due_at")))
    age = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return row["count"], age


def outbox_by_status() -> dict[str, int]:
    """{status: count} of the reminders not yet finished (scheduled, sending, uncertain)."""
    from django.db.models import Count

    from .models import Reminder, ReminderStatus

    live = (ReminderStatus.SCHEDULED, ReminderStatus.SENDING, ReminderStatus.UNCERTAIN)
    counts = {str(status): 0 for status in live}
    counts.update(dict(Reminder.objects.filter(status__in=live).values_list("status")
                       .annotate(count=Count("pk")).order_by().values_list("status", "count")))
    return counts
