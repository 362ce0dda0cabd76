"""The start page's reads: a person's open taskers with a stoplight, their organizations'
documents by state, their recent admin actions (naming only documents they may still see).
Bounded queries whatever the amount of data."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.db.models import Count, IntegerField, Value
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from organizations.models import with_article
from organizations.selectors import label_of, organization_ids_acting_for, predecessors_joined

from .calendar import add_working_days
from .models import Tasker
from .registry import cleared_documents, registered_documents, visible_documents
from .selectors import taskers_for_user

WARNING_WORKING_DAYS = 3


@dataclass
class TaskerLine:
    tasker: Tasker
    light: str  # green, yellow, red
    url: str


def document_url(content_type, object_id) -> str:
    try:
        return reverse(f"admin:{content_type.app_label}_{content_type.model}_change", args=[object_id])
    except NoReverseMatch:
        return ""


def tasker_lines(user, *, limit: int = 50, organizations: list[int] | None = None) -> list[TaskerLine]:
    """Open taskers by suspense: red when overdue, yellow within the warning window, else green."""
    today = timezone.localdate()
    warning = add_working_days(today, WARNING_WORKING_DAYS)
    lines = []
    # Today's names, the directive's beside them, read with the taskers.
    taskers = list(taskers_for_user(user, organizations=organizations)
                   .annotate(organization_formerly=predecessors_joined("organization_id"))[:limit])
    for tasker in taskers:
        tasker.organization_label = label_of(tasker.organization, tasker.organization_formerly)
        light = "red" if tasker.suspense < today else "yellow" if tasker.suspense <= warning else "green"
        lines.append(TaskerLine(tasker, light, document_url(tasker.content_type, tasker.object_id)))
    return lines


def documents_by_state(user, *, organizations: list[int] | None = None) -> list[dict]:
    """For each kind of document: counts by state of those the user's organizations own. Owning
    is need-to-know, so only the marking is checked; one query for every kind, on the owners'
    (owner, state) index: it reads the documents of the user's organizations, never the others'."""
    if organizations is None:
        organizations = organization_ids_acting_for(user)
    models = registered_documents()
    if not organizations or not models:
        return []
    counts = None
    for position, model in enumerate(models):
        rows = (cleared_documents(model, user).filter(owner__in=organizations).order_by().values("state")
                .annotate(kind=Value(position), n=Count("pk")).values_list("kind", "state", "n"))
        counts = rows if counts is None else counts.union(rows, all=True)
    by_kind: dict[int, dict[str, int]] = {}
    for position, state, n in counts:
        by_kind.setdefault(position, {})[state] = n
    result = []
    for position, model in enumerate(models):
        by_state = by_kind.get(position)
        if not by_state:
            continue
        labels = dict(model._meta.get_field("state").choices)
        try:
            changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            changelist = ""
        result.append({
            "kind": str(model._meta.verbose_name_plural).capitalize(),
            "states": [{"label": labels[state], "count": by_state[state],
                        "url": f"{changelist}?state__exact={state}" if changelist else ""}
                       for state in labels if state in by_state],
        })
    return result


def recent_actions(user, *, limit: int = 10) -> list[dict]:
    """The user's latest admin actions for the index's "Recent actions" box. Django's log keeps the
    title a document had when the action was taken; a document's banner may since have risen
    beyond the user, so a document is named only if the user may see it now (one query checks
    every listed document), otherwise by its kind."""
    entries = list(LogEntry.objects.filter(user_id=user.pk).select_related("content_type")
                   .order_by("-action_time")[:limit])
    kinds = {model._meta.label_lower: model for model in registered_documents()}
    asked: dict[type, list[int]] = {}
    for entry in entries:
        model = kinds.get(f"{entry.content_type.app_label}.{entry.content_type.model}") if entry.content_type else None
        if model is not None and str(entry.object_id).isdigit():
            asked.setdefault(model, []).append(int(entry.object_id))
    seen: set[tuple[str, int]] = set()
    if asked:
        models = list(asked)
        checks = [visible_documents(model, user).filter(pk__in=asked[model]).order_by()
                  .annotate(listed_kind=Value(index, output_field=IntegerField())).values_list("pk", "listed_kind")
                  for index, model in enumerate(models)]
        union = checks[0].union(*checks[1:], all=True) if len(checks) > 1 else checks[0]
        seen = {(models[index]._meta.label_lower, pk) for pk, index in union}
    lines = []
    for entry in entries:
        label = f"{entry.content_type.app_label}.{entry.content_type.model}" if entry.content_type else ""
        model = kinds.get(label)
        if model is not None and (label, int(entry.object_id) if str(entry.object_id).isdigit() else None) not in seen:
            lines.append({"entry": entry, "text": f"{with_article(str(model._meta.verbose_name))} you can no longer see", "url": ""})
        else:
            lines.append({"entry": entry, "text": entry.object_repr,
                          "url": "" if entry.is_deletion() else entry.get_admin_url()})
    return lines
