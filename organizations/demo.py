"""Demo log-ins for training: one user per role in each key organization, named by role
(``eucom_approver``), never as invented people, plus ``administrator`` and ``auditor``.

``load_demo_data`` calls ``load(stdout=...)`` here first, then the ``load`` of every other
installed app's ``demo`` module, in INSTALLED_APPS order (``demo_loaders``): that is how planning
and assessments add their demo documents. Their permissions come from role groups; ``grant``
assigns by app and action, so models added later are included when the command runs again.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from .discovery import app_loaders
from .models import Membership, Organization, Role
from .selectors import memberships_active
from .services import membership_create, membership_update

# Passes the product's own validators (15 characters, upper and lower case, a digit, a symbol): a
# demo that signs in with a password the product would refuse teaches the wrong thing.
DEFAULT_PASSWORD = "Training-Only-Demo-1"  # noqa: S105 (training data; printed by dev.py on purpose)

# The key organizations of the directive's workflows, by their acronym in the reference data.
DEMO_ORGANIZATIONS = (
    "USD(P)", "J5", "EUCOM", "INDOPACOM", "SOCOM", "DA", "DON", "DAF", "DSCA", "USD(AT&L)",
)
# Memberships start at the beginning of fiscal year 2021, so demo documents may be dated back then.
DEMO_MEMBERSHIP_START = datetime.date(2020, 10, 1)
COORDINATOR_ROLES = (Role.REVIEWER, Role.APPROVER)

ACTION_OFFICERS = "Action officers"
REVIEWERS = "Reviewers"
APPROVERS = "Approvers"
ORGANIZATION_ADMINISTRATORS = "Organization administrators"
AUDITORS = "Auditors"
CYCLE_ADMINISTRATORS = "Cycle administrators"
# Authorities a role's screens never imply: reading the audit trail (auditors only) and running the
# assessment cycle (cycle administrators only). Role groups that held them lose them on the next run.
AUDIT_PERMISSIONS = ("security.view_auditevent", "security.export_auditevent")
CYCLE_PERMISSIONS = ("assessments.run_cycle", "assessments.view_cycle_report")
ROLE_GROUPS = {
    Role.ACTION_OFFICER: ACTION_OFFICERS,
    Role.REVIEWER: REVIEWERS,
    Role.APPROVER: APPROVERS,
    Role.ORG_ADMIN: ORGANIZATION_ADMINISTRATORS,
}
class DemoDataError(Exception):
    """The demo cannot be loaded (for example, the reference data is missing)."""


REFERENCE_MODELS = ("organization", "organizationnamehistory", "country", "areaofresponsibility")


@dataclass(frozen=True)
class Login:
    username: str
    organization: str
    role: str


def username_for(acronym: str, role: str) -> str:
    """``USD(AT&L)`` + approver -> ``usdatl_approver``: the lowercase acronym without punctuation."""
    return f"{re.sub(r'[^a-z0-9]', '', acronym.lower())}_{role}"


def demo_password() -> str:
    """DEMO_PASSWORD, or the default; DemoDataError when the product's password validators refuse it."""
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    try:
        validate_password(password)
    except ValidationError as error:
        raise DemoDataError("DEMO_PASSWORD does not pass the password validators: " + " ".join(error.messages)) \
            from error
    return password


# Permissions --------------------------------------------------------------------------------------

def project_app_labels() -> list[str]:
    """The apps of this repository (not Django's or a library's), in INSTALLED_APPS order."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        config.label for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base) and "site-packages" not in Path(config.path).parts
    ]


def grant(group_name: str, *, app_label: str, actions: Iterable[str] = (), models: Iterable[str] | None = None,
          codenames: Iterable[str] = ()) -> int:
    """Give the group ``group_name`` (created if missing) the permissions ``<action>_<model>`` for
    every model of ``app_label`` that exists now (or only ``models``), plus the app's custom
    ``codenames``. Idempotent; returns how many permissions were added. Call it again after an app
    adds models and they are included."""
    config = apps.get_app_config(app_label)
    model_names = list(models) if models is not None else [m._meta.model_name for m in config.get_models()]
    wanted = {f"{action}_{model}" for action in actions for model in model_names} | set(codenames)
    group, _created = Group.objects.get_or_create(name=group_name)
    missing = (Permission.objects.filter(content_type__app_label=app_label, codename__in=wanted)
               .exclude(group=group))
    missing = list(missing)
    group.permissions.add(*missing)
    return len(missing)


def _app_models(label: str, *, except_: Iterable[str] = ()) -> list[str]:
    excluded = {name.partition(".")[2].partition("_")[2] for name in except_ if name.startswith(f"{label}.")}
    return [m._meta.model_name for m in apps.get_app_config(label).get_models() if m._meta.model_name not in excluded]


def withdraw(group_name: str, permissions: Iterable[str]) -> int:
    """Take ``permissions`` (``app_label.codename``) from the group if it holds them; returns how
    many were taken. Idempotent."""
    group = Group.objects.filter(name=group_name).first()
    if group is None:
        return 0
    held = [p for p in group.permissions.select_related("content_type")
            if f"{p.content_type.app_label}.{p.codename}" in set(permissions)]
    group.permissions.remove(*held)
    return len(held)


def grant_role_groups() -> int:
    """The groups of the demo roles and what each may do in the admin; returns permissions added.
    Whether a user may act on a given document is decided by ``organizations.selectors.may_act``;
    these only open the admin screens. The audit trail is the Auditors' alone and running the
    assessment cycle the Cycle administrators' alone: a role group never holds them."""
    added = 0
    document_apps = [label for label in project_app_labels() if label != "organizations"]
    for group in (*ROLE_GROUPS.values(), AUDITORS):
        added += grant(group, app_label="organizations", actions=("view",), models=REFERENCE_MODELS)
    for label in document_apps:
        models = _app_models(label, except_=AUDIT_PERMISSIONS)
        added += grant(ACTION_OFFICERS, app_label=label, actions=("view", "add", "change"), models=models)
        added += grant(REVIEWERS, app_label=label, actions=("view", "change"), models=models)
        added += grant(APPROVERS, app_label=label, actions=("view", "change"), models=models)
        added += grant(ORGANIZATION_ADMINISTRATORS, app_label=label, actions=("view",), models=models)
        added += grant(AUDITORS, app_label=label, actions=("view",))
    added += grant(AUDITORS, app_label="security", codenames=[p.partition(".")[2] for p in AUDIT_PERMISSIONS])
    added += grant(CYCLE_ADMINISTRATORS, app_label="assessments",
                   codenames=[p.partition(".")[2] for p in CYCLE_PERMISSIONS])
    for group in ROLE_GROUPS.values():
        withdraw(group, (*AUDIT_PERMISSIONS, *CYCLE_PERMISSIONS))
    withdraw(AUDITORS, CYCLE_PERMISSIONS)
    withdraw(CYCLE_ADMINISTRATORS, AUDIT_PERMISSIONS)
    added += grant(ORGANIZATION_ADMINISTRATORS, app_label="organizations",
                   actions=("view", "add", "change", "delete"), models=("membership", "delegation"))
    added += grant(AUDITORS, app_label="organizations", actions=("view",),
                   codenames=("view_all_memberships",))
    added += grant(AUDITORS, app_label="auth", actions=("view",), models=("user", "group"))
    added += grant(AUDITORS, app_label="admin", actions=("view",), models=("logentry",))
    if apps.is_installed("django_fsm_log"):
        added += grant(AUDITORS, app_label="django_fsm_log", actions=("view",))
    return added


# Users and memberships ----------------------------------------------------------------------------

class _Passwords:
    """Sets the demo password where it is not already the password, hashing it once per run (a
    deliberate shortcut for training accounts: the hash is slow by design and there are 42 users)."""

    def __init__(self, password: str):
        self.password = password
        self._encoded: str | None = None
        self._checked: dict[str, bool] = {}

    def ensure(self, user) -> bool:
        """Set the password on ``user`` (unsaved) unless it already is it; True if it was set."""
        if user.password:
            if user.password not in self._checked:
                self._checked[user.password] = check_password(self.password, user.password)
            if self._checked[user.password]:
                return False
        if self._encoded is None:
            self._encoded = make_password(self.password)
        user.password = self._encoded
        return True


def _ensure_user(username: str, *, passwords: _Passwords, first_name: str = "", last_name: str = "",
                 superuser: bool = False, groups: Iterable[str] = ()) -> tuple[object, str]:
    """The demo user ``username`` in the wanted state; returns it and 'created'/'updated'/'unchanged'."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    outcome = "unchanged"
    if user is None:
        user = User(username=username)
        outcome = "created"
    wanted = {"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com",
              "is_staff": True, "is_active": True, "is_superuser": superuser}
    for name, value in wanted.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            outcome = outcome if outcome == "created" else "updated"
    if passwords.ensure(user):
        outcome = outcome if outcome == "created" else "updated"
    if outcome != "unchanged":
        user.save()
    wanted_groups = set(Group.objects.filter(name__in=list(groups)))
    missing = wanted_groups - set(user.groups.all())
    if missing:
        user.groups.add(*missing)
        outcome = outcome if outcome == "created" else "updated"
    return user, outcome


def _ensure_membership(user, organization: Organization, role: str) -> str:
    """A current membership of ``user`` in ``role``; returns 'created'/'updated'/'unchanged'."""
    coordinator = role in COORDINATOR_ROLES
    current = memberships_active().filter(user=user, organization=organization, role=role).first()
    if current is not None:
        if current.is_coordinator == coordinator:
            return "unchanged"
        membership_update(membership=current, data={"is_coordinator": coordinator})
        return "updated"
    used = Membership.objects.filter(user=user, organization=organization, role=role,
                                     start=DEMO_MEMBERSHIP_START).exists()
    start = None if used else max(DEMO_MEMBERSHIP_START, organization.active_from or DEMO_MEMBERSHIP_START)
    membership_create(user=user, organization=organization, role=role, start=start, is_coordinator=coordinator)
    return "created"


def logins() -> list[Login]:
    """Every demo log-in, in the order printed: the key organizations' roles, then the others."""
    rows = [Login(username_for(acronym, role), acronym, Role(role).label)
            for acronym in DEMO_ORGANIZATIONS for role in Role.values]
    rows.append(Login("administrator", "(all)", "Superuser: runs assessment cycles"))
    rows.append(Login("auditor", "(all)", "Auditor: read-only"))
    return rows


def login_table() -> str:
    rows = [("username", "organization", "role"), *((r.username, r.organization, r.role) for r in logins())]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


@transaction.atomic
def load(*, stdout) -> None:
    """Create or restore the demo users, their groups and memberships; idempotent (a second run
    reports nothing created or updated). Needs the reference data (``load_reference_data``)."""
    organizations = {o.acronym: o for o in Organization.objects.filter(acronym__in=DEMO_ORGANIZATIONS,
                                                                       active=True)}
    missing = [acronym for acronym in DEMO_ORGANIZATIONS if acronym not in organizations]
    if missing:
        raise DemoDataError(f"the demo needs the organizations {', '.join(missing)}: "
                                   "run `python3 dev.py manage load_reference_data` first")
    permissions_added = grant_role_groups()
    passwords = _Passwords(demo_password())
    users = {"created": 0, "updated": 0, "unchanged": 0}
    memberships = {"created": 0, "updated": 0, "unchanged": 0}
    for acronym in DEMO_ORGANIZATIONS:
        for role in Role.values:
            user, outcome = _ensure_user(username_for(acronym, role), passwords=passwords,
                                         first_name=acronym, last_name=Role(role).label,
                                         groups=[ROLE_GROUPS[role]])
            users[outcome] += 1
            memberships[_ensure_membership(user, organizations[acronym], role)] += 1
    _user, outcome = _ensure_user("administrator", passwords=passwords, last_name="Administrator",
                                  superuser=True)
    users[outcome] += 1
    _user, outcome = _ensure_user("auditor", passwords=passwords, last_name="Auditor", groups=[AUDITORS])
    users[outcome] += 1
    stdout.write("demo users: {created} created, {updated} updated, {unchanged} unchanged".format(**users))
    stdout.write("demo memberships: {created} created, {updated} updated, {unchanged} unchanged".format(
        **memberships))
    stdout.write(f"role group permissions: {permissions_added} added")


def demo_loaders() -> Iterator[tuple[str, Callable]]:
    """(app label, its ``demo.load``) for every other installed app that has one, in INSTALLED_APPS
    order: what ``load_demo_data`` runs after this app's demo."""
    return app_loaders("demo")
