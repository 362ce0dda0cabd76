"""The audit trail as the engine's documents meet it: auditors read the events about a document
only while they are cleared for it (through each kind's registered selector). Here, above ``security`` (which keeps
the trail itself and who may read it), because only the engine knows the kinds of document."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf

from security.audit import may_read_audit
from security.models import AuditEvent

from .registry import cleared_documents, registered_documents


def audit_events_readable_by(user, events: QuerySet | None = None) -> QuerySet:
    """The audit events ``user`` may read: none unless an auditor or a system administrator; of
    those, every event about no document, and an event about a document only if the user's
    clearance and citizenship reach that document's marking as it is now (the reference is
    resolved at read time through the kind's registered selector, so a banner raised later hides
    what was written earlier). Events name their document by ``object_type``/``object_id``, or,
    when written from a history entry or an admin change, by the content type and id in
    ``detail``."""
    events = AuditEvent.objects.all() if events is None else events
    if not may_read_audit(user):
        return events.none()
    kinds = ContentType.objects.get_for_models(*registered_documents())
    if not kinds:
        return events
    events = events.annotate(
        about_kind=Case(*(When(Q(object_type=model._meta.label) | Q(detail__document_type=kind.pk)
                               | Q(detail__content_type=kind.pk), then=Value(kind.pk))
                          for model, kind in kinds.items()), default=Value(0), output_field=IntegerField()),
        about_id=Coalesce(NullIf("object_id", Value("")), KT("detail__document_id"), KT("detail__object_id"),
                          output_field=CharField()))
    readable = Q(about_kind=0)
    for model, kind in kinds.items():
        cleared = (cleared_documents(model, user).annotate(reference=Cast("pk", CharField()))
                   .filter(reference=OuterRef("about_id")).values("pk"))
        readable |= Q(about_kind=kind.pk) & Exists(cleared)
    return events.filter(readable)
