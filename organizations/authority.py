"""Who may open, add, change and delete what, derived from who people are: their memberships
(organization, role, delegation), the designations their organizations hold, and the object.

One mechanism, django-rules: every model's ``view_``/``add_``/``change_``/``delete_`` permission is a
predicate declared by the app that owns the model (``<app>/permissions.py``, loaded when the app
is ready) through ``declare``. Nothing is hand-assigned: Django's group and user permissions are
not read (``security.backends.ProfileModelBackend`` answers no permission), so a fresh
installation with reference data and one administrator works with no other set-up, and the demo
uses the same rules as production.

A predicate receives the user and the object, or ``None`` for "some object of this model" (the
admin's list pages, its "Add" button and its menu). The admin (``security.admin_mixins.
AuthorityAdminMixin``) and the API ask ``may`` with the object, so a rule holds on every channel.
System administrators (superusers) own the installation's reference data; they are not an office
and do not get the offices' powers (a superuser does not issue GEF guidance or approve a plan).
"""

from __future__ import annotations

from collections.abc import Iterable

import rules
from rules import Predicate, predicate

from .models import Role

ACTIONS = ("view", "add", "change", "delete")
WORK_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)


def _active(user) -> bool:
    from .selectors import active_account

    return active_account(user)


@predicate
def is_system_administrator(user) -> bool:
    """The installation's administrators: Django superusers."""
    return _active(user) and user.is_superuser


@predicate
def is_staff_member(user) -> bool:
    """Anyone who works here: a system administrator, or a person with a current membership (or a
    delegation honoured today). ``is_staff`` alone opens nothing."""
    from .selectors import acting_roles

    return _active(user) and (user.is_superuser or bool(acting_roles(user)))


def acting_in(*roles: str, kinds: Iterable[str] | None = None) -> Predicate:
    """A person who acts (own membership or delegation) in one of ``roles`` for any organization
    (of ``kinds``, if given)."""
    from .selectors import organization_ids_acting_for

    kinds = tuple(kinds) if kinds is not None else None

    def check(user) -> bool:
        return _active(user) and bool(organization_ids_acting_for(user, role=roles, kinds=kinds))

    return Predicate(check, name=f"acting_in({', '.join(roles)})")


def acting_for_designation(designation: str, roles: Iterable[str] = WORK_ROLES) -> Predicate:
    """A person who acts in one of ``roles`` for the organization holding ``designation``."""
    from .selectors import acts_for_designation

    roles = tuple(roles)

    def check(user) -> bool:
        return _active(user) and acts_for_designation(user, designation, role=roles)

    return Predicate(check, name=f"acting_for_designation({designation})")


@predicate
def is_auditor(user) -> bool:
    """A member in the auditor role of any organization (the audit trail is read installation-wide)."""
    from .selectors import organization_ids_acting_for

    return _active(user) and bool(organization_ids_acting_for(user, role=Role.AUDITOR))


never = rules.always_deny

_VISIBLE_TO = "_authority_visible_to"


def read_as_visible(obj, user) -> None:
    """Note on ``obj`` that it was read for ``user`` through their need-to-know queryset (the
    admin's change page), so the view rule need not ask the database again."""
    setattr(obj, _VISIBLE_TO, getattr(user, "pk", None))


def was_read_as_visible(obj, user) -> bool:
    return obj is not None and getattr(obj, _VISIBLE_TO, object()) == getattr(user, "pk", None)


def permission_name(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def declare(model, *, view: Predicate = never, add: Predicate = never, change: Predicate = never,
            delete: Predicate = never) -> None:
    """The four permissions of ``model``: what each action needs. Undeclared means no one."""
    for action, rule in (("view", view), ("add", add), ("change", change), ("delete", delete)):
        rules.set_perm(permission_name(model, action), rule)


def declare_permission(name: str, rule: Predicate) -> None:
    """A permission beyond the four (``assessments.run_cycle``, ``security.export_auditevent``)."""
    rules.set_perm(name, rule)


def may(user, action: str, model_or_obj, obj=None) -> bool:
    """May ``user`` do ``action`` on ``obj`` (an instance of the model), or on some object of the
    model when ``obj`` is None? Asks the declared rule directly: no superuser shortcut, since
    frozen records are frozen for everyone."""
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    if obj is None and not isinstance(model_or_obj, type):
        obj = model_or_obj
    name = permission_name(model, action)
    if not rules.perm_exists(name):
        return False
    return rules.has_perm(name, user, obj)


def undeclared_models(models: Iterable) -> list[str]:
    """The models among ``models`` with an action no rule was declared for (a system check)."""
    return [permission_name(model, action) for model in models for action in ACTIONS
            if not rules.perm_exists(permission_name(model, action))]
