"""Writing the audit trail: one function, with who and from where taken from the request the
current thread is serving (set by ``security.middleware.RequestContextMiddleware``)."""

from __future__ import annotations

import contextvars
from collections.abc import Sequence

from .models import AuditAction, AuditEvent
from .network import client_address

AUDIT_READ_PERMISSION = "security.view_auditevent"

_current_request: contextvars.ContextVar = contextvars.ContextVar("current_request", default=None)


def set_current_request(request):
    return _current_request.set(request)


def reset_current_request(token) -> None:
    _current_request.reset(token)


def current_request():
    """The request this thread is serving (None outside one), for code that only receives a row."""
    return _current_request.get()


def client_ip(request) -> str | None:
    return client_address(request)


def audit_record(*, action: str, description: str, user=None, request=None, obj=None,
                 detail: dict | None = None, username: str = "") -> AuditEvent:
    """Append one audit event. ``user`` and ``request`` default to the current request's."""
    event = audit_event(action=action, description=description, user=user, request=request, obj=obj,
                        detail=detail, username=username)
    event.save()
    return event


def audit_records_append(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Append ``events`` (made by ``audit_event``) on the chain, in their order, in one INSERT:
    the same trail as one ``audit_record`` per event, in a number of statements that does not
    grow with theirs. Inside a transaction, all or none."""
    return AuditEvent.objects.bulk_create(events) if events else []


def audit_event(*, action: str, description: str, user=None, request=None, obj=None,
                detail: dict | None = None, username: str = "") -> AuditEvent:
    """The unsaved event ``audit_record`` appends (``audit_records_append`` appends many)."""
    request = request or _current_request.get()
    if user is None and request is not None and getattr(request, "user", None) is not None \
            and request.user.is_authenticated:
        user = request.user
    return AuditEvent(
        action=action, description=description[:500],
        user_id=user.pk if user is not None and user.pk else None,
        username=username or (user.get_username() if user is not None and user.pk else ""),
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        object_type=obj._meta.label if obj is not None else "", object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
    )


def may_read_audit(user) -> bool:
    """Auditors (members in the auditor role of an organization) and system administrators."""
    from organizations.models import Role
    from organizations.selectors import organization_ids_acting_for

    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or organization_ids_acting_for(user, role=Role.AUDITOR)))


__all__ = ["AuditAction", "audit_event", "audit_record", "audit_records_append", "may_read_audit",
           "set_current_request",
           "reset_current_request"]
