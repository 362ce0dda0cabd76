"""Who may open and change security records, and the third-party records the admin lists
(``organizations.authority``): people's accounts and clearances are the system administrators';
the audit trail and the sign-in records are read by auditors and system administrators, never
changed; the marking vocabularies are reference data of the system administrators."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from rules import Predicate

from organizations.authority import (
    declare,
    declare_permission,
    is_auditor,
    is_staff_member,
    is_system_administrator,
    never,
)

from .models import AuditEvent, CUICategory, DisseminationControl, OIDCLinkRequest, SecurityProfile


def register() -> None:
    from .audit import may_read_audit

    reads_audit = Predicate(lambda user, _record=None: may_read_audit(user), name="may_read_audit")
    declare(SecurityProfile, view=is_system_administrator, add=is_system_administrator,
            change=is_system_administrator, delete=never)
    for model in (CUICategory, DisseminationControl):
        declare(model, view=is_staff_member, add=is_system_administrator, change=is_system_administrator,
                delete=is_system_administrator)
    declare(AuditEvent, view=reads_audit)
    # Pending OpenID Connect identities: a system administrator links one (while undecided) to an
    # existing account, or declines it; sign-in attempts create them, never a form.
    undecided = Predicate(lambda user, link=None: link is None or link.decided_at is None, name="undecided")
    declare(OIDCLinkRequest, view=is_system_administrator, change=is_system_administrator & undecided,
            delete=is_system_administrator)
    declare_permission("security.export_auditevent", reads_audit)
    declare(get_user_model(), view=is_system_administrator | is_auditor, add=is_system_administrator,
            change=is_system_administrator, delete=never)
    if apps.is_installed("axes"):
        for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
            declare(apps.get_model("axes", name), view=is_system_administrator | is_auditor,
                    delete=is_system_administrator)
