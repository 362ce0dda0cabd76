"""Reads of the workflow engine. Lists use bounded queries (no N+1)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from organizations.selectors import organizations_acting_for

from .models import OPEN_TASKER_STATES, Comment, CommentCategory, Decision, HistoryEntry, Response, Tasker


def _ref(document) -> dict:
    return {"content_type": ContentType.objects.get_for_model(type(document)), "object_id": document.pk}


def taskers_of(document, *, step: str | None = None) -> QuerySet[Tasker]:
    taskers = Tasker.objects.filter(**_ref(document)).select_related("organization", "assignee", "answered_by")
    return taskers.filter(step=step) if step else taskers


def open_taskers(document, *, step: str | None = None) -> QuerySet[Tasker]:
    return taskers_of(document, step=step).filter(state__in=OPEN_TASKER_STATES)


def comments_of(document) -> QuerySet[Comment]:
    return Comment.objects.filter(**_ref(document)).select_related("organization", "author", "adjudicated_by",
                                                                   "tasker")


def history_of(document) -> QuerySet[HistoryEntry]:
    return HistoryEntry.objects.filter(**_ref(document)).select_related("actor", "acting_for", "on_behalf_of")


def unresolved_critical_comments(document) -> QuerySet[Comment]:
    """Critical comments that still block: not adjudicated, or rejected while the commenting
    organization still non-concurs."""
    return comments_of(document).filter(category=CommentCategory.CRITICAL).filter(
        Q(decision="") | Q(decision=Decision.REJECTED, tasker__response=Response.NONCONCUR)
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
    from .registry import cleared_documents_q

    # Tasked is need-to-know; only the marking remains to check. Organization ids as a short
    # list keep the planner on the open taskers' (organization, suspense) index at any size.
    # Taskers assigned to the user are nearly always their organization's: only those outside it
    # are added, by id, so that no OR with the assignee sends the planner to read and sort every
    # open tasker of the organization for one page.
    if organizations is None:
        organizations = list(organizations_acting_for(user).values_list("pk", flat=True))
    open_taskers = Tasker.objects.filter(state__in=OPEN_TASKER_STATES)
    elsewhere = list(open_taskers.filter(assignee=user).exclude(organization_id__in=organizations)
                     .values_list("pk", flat=True))
    mine = Q(organization_id__in=organizations)
    if elsewhere:
        mine |= Q(pk__in=elsewhere)
    return (
        open_taskers.filter(mine)
        .filter(cleared_documents_q(user))
        .select_related("organization", "assignee", "content_type")
        .order_by("suspense", "pk")
    )
