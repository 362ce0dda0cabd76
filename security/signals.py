"""Audit of what happens outside the workflow services: sign-in, sign-out, failed sign-in,
membership, delegation and permission changes, admin changes. (Every history entry of a document gets its
audit event from the engine, which writes both: ``workflow.services.history_append``.)"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django_fsm import FSMField

from organizations.models import (
    Delegation,
    FADAssignment,
    Membership,
    OrganizationDesignation,
    PowerRequest,
    PowerRequestState,
)

from .audit import audit_record
from .models import AuditAction, MarkingFields


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    # The consent acknowledgment (and smart card) of this sign-in, set by security.forms.
    audit_record(action=AuditAction.SIGN_IN, description="Signed in", user=user, request=request,
                 detail=getattr(request, "sign_in_detail", None))


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    audit_record(action=AuditAction.SIGN_OUT, description="Signed out", user=user, request=request)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # An OpenID Connect sign-in names the provider's identity and why it was refused (security.oidc).
    username = str(credentials.get("username") or getattr(request, "sign_in_identity", ""))[:150]
    audit_record(action=AuditAction.SIGN_IN_FAILED, description=f"Failed sign-in as {username!r}",
                 request=request, username=username, detail=getattr(request, "sign_in_failure", None))


@receiver(post_save, sender=Membership)
@receiver(post_save, sender=Delegation)
@receiver(post_save, sender=OrganizationDesignation)
def _membership_saved(sender, instance, created, **kwargs):
    audit_record(action=AuditAction.MEMBERSHIP, obj=instance,
                 description=f"{sender._meta.verbose_name.capitalize()} {'created' if created else 'changed'}: "
                             f"{instance}")


@receiver(post_delete, sender=Membership)
@receiver(post_delete, sender=Delegation)
@receiver(post_delete, sender=OrganizationDesignation)
def _membership_deleted(sender, instance, **kwargs):
    audit_record(action=AuditAction.MEMBERSHIP, description=f"{sender._meta.verbose_name.capitalize()} deleted: "
                                                            f"{instance}")


@receiver(post_save, sender=PowerRequest)
def _power_request_saved(sender, instance, created, **kwargs):
    """Asked, approved, refused or withdrawn: the event names both people (the requester and the
    one who decided) and is written by the one who acted."""
    if created:
        verb, actor = "requested", instance.requested_by
    else:
        verb, actor = {PowerRequestState.APPROVED: "approved", PowerRequestState.REFUSED: "refused",
                       PowerRequestState.WITHDRAWN: "withdrawn"}.get(instance.state, "changed"), instance.decided_by
    decided = f"; {verb} by {instance.decided_by}" if instance.decided_by_id else ""
    audit_record(action=AuditAction.MEMBERSHIP, obj=instance, user=actor,
                 description=f"Request for a power {verb}: {instance.subject()}; requested by "
                             f"{instance.requested_by}{decided}",
                 detail={"kind": instance.kind, "state": instance.state, "requested_by": instance.requested_by_id,
                         "decided_by": instance.decided_by_id, "reason": instance.reason,
                         "decision_note": instance.decision_note, "membership": instance.membership_id,
                         "organization_designation": instance.organization_designation_id})


@receiver(post_save, sender=FADAssignment)
def _fad_saved(sender, instance, created, **kwargs):
    """The Chairman's assignment of a force/activity designator, or the end of a period by the next one."""
    verb = "assigned" if created else "ended"
    audit_record(action=AuditAction.PERMISSION, obj=instance, user=instance.assigned_by,
                 description=f"Force/activity designator {verb}: {instance}",
                 detail={"designator": instance.designator, "country": instance.country_id,
                         "partner_organization": instance.partner_organization,
                         "effective_from": str(instance.effective_from),
                         "effective_until": str(instance.effective_until or ""), "rationale": instance.rationale})


def _permissions_changed(sender, instance, action, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    audit_record(action=AuditAction.PERMISSION, obj=instance,
                 description=f"{sender._meta.verbose_name} {action.removeprefix('post_')} for {instance}",
                 detail={"ids": sorted(pk_set or [])})


User = get_user_model()
m2m_changed.connect(_permissions_changed, sender=User.groups.through, dispatch_uid="audit_user_groups")
m2m_changed.connect(_permissions_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_perms")
m2m_changed.connect(_permissions_changed, sender=Group.permissions.through, dispatch_uid="audit_group_perms")


@receiver(post_save, sender=User)
def _user_flags_changed(sender, instance, created, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    audit_record(action=AuditAction.PERMISSION, obj=instance,
                 description=f"User {instance.get_username()} {'created' if created else 'changed'} "
                             f"(staff={instance.is_staff}, superuser={instance.is_superuser}, active={instance.is_active})")


ADMIN_FLAGS = {1: "Added", 2: "Changed", 3: "Deleted"}


def _named_by_reference(model) -> bool:
    """Marked content (a plan, its sections and objectives) and routed documents (whose names
    carry their plan's title) are named in audit texts by kind and id, never by title: the
    trail outlives any marking the document has when the row is written."""
    if model is None:
        return True
    return issubclass(model, MarkingFields) or any(isinstance(f, FSMField) for f in model._meta.concrete_fields)


@receiver(post_save, sender="admin.LogEntry")
def _admin_change(sender, instance, created, **kwargs):
    """Every add, change and delete made through the admin (Django's own LogEntry)."""
    if created:
        named = (f"#{instance.object_id}" if _named_by_reference(instance.content_type.model_class())
                 else f"“{instance.object_repr}”")
        audit_record(action=AuditAction.ADMIN_CHANGE, user=instance.user,
                     description=f"{ADMIN_FLAGS.get(instance.action_flag, 'Changed')} in the admin: "
                                 f"{instance.content_type} {named}"[:500],
                     detail={"content_type": instance.content_type_id, "object_id": instance.object_id,
                             "change": instance.get_change_message()})
