"""Demo log-ins for training: one user per role in each key organization, named by role
(``eucom_approver``), never as invented people, plus ``administrator`` and ``auditor``.

``load_demo_data`` calls ``load(stdout=...)`` here first, then the ``load`` of every other
installed app's ``demo`` module, in INSTALLED_APPS order (``demo_loaders``): that is how planning
and assessments add their demo documents. What each log-in may do follows from its membership,
as for anyone in production (``organizations.authority``): the demo assigns no permission.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
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
    "USD(P)", "J5",
    # Every geographic and functional combatant command: each writes its campaign plan.
    "AFRICOM", "CENTCOM", "EUCOM", "INDOPACOM", "NORTHCOM", "SOUTHCOM", "SPACECOM",
    "CYBERCOM", "SOCOM", "STRATCOM", "TRANSCOM",
    # The Military Departments and Defense Agencies that coordinate and write support plans.
    "DA", "DON", "DAF", "DSCA", "DLA", "DTRA",
    # USD(AT&L)'s successors (since 1 Feb 2018) and PA&E's (CAPE, since 2009).
    "USD(A&S)", "USD(R&E)", "CAPE",
)
# Memberships start at the beginning of fiscal year 2021, so demo documents may be dated back then.
DEMO_MEMBERSHIP_START = datetime.date(2020, 10, 1)
COORDINATOR_ROLES = (Role.REVIEWER, Role.APPROVER)

# The roles of the demo log-ins in each key organization (auditors sit in OSD: one is enough).
DEMO_ROLES = (Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER, Role.ORG_ADMIN)
AUDITOR_ORGANIZATION = "OSD"


class DemoDataError(Exception):
    """The demo cannot be loaded (for example, the reference data is missing)."""


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
                 superuser: bool = False) -> tuple[object, str]:
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
            for acronym in DEMO_ORGANIZATIONS for role in DEMO_ROLES]
    rows.append(Login("administrator", "(all)", "Superuser: runs assessment cycles"))
    rows.append(Login("auditor", AUDITOR_ORGANIZATION, "Auditor: reads the audit trail"))
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
    wanted = (*DEMO_ORGANIZATIONS, AUDITOR_ORGANIZATION)
    organizations = {o.acronym: o for o in Organization.objects.filter(acronym__in=wanted, active=True)}
    missing = [acronym for acronym in wanted if acronym not in organizations]
    if missing:
        raise DemoDataError(f"the demo needs the organizations {', '.join(missing)}: "
                                   "run `python3 dev.py manage load_reference_data` first")
    passwords = _Passwords(demo_password())
    users = {"created": 0, "updated": 0, "unchanged": 0}
    memberships = {"created": 0, "updated": 0, "unchanged": 0}
    for acronym in DEMO_ORGANIZATIONS:
        for role in DEMO_ROLES:
            user, outcome = _ensure_user(username_for(acronym, role), passwords=passwords,
                                         first_name=acronym, last_name=Role(role).label)
            users[outcome] += 1
            memberships[_ensure_membership(user, organizations[acronym], role)] += 1
    _user, outcome = _ensure_user("administrator", passwords=passwords, last_name="Administrator",
                                  superuser=True)
    users[outcome] += 1
    auditor, outcome = _ensure_user("auditor", passwords=passwords, last_name="Auditor")
    users[outcome] += 1
    memberships[_ensure_membership(auditor, organizations[AUDITOR_ORGANIZATION], Role.AUDITOR)] += 1
    stdout.write("demo users: {created} created, {updated} updated, {unchanged} unchanged".format(**users))
    stdout.write("demo memberships: {created} created, {updated} updated, {unchanged} unchanged".format(
        **memberships))


def demo_loaders() -> Iterator[tuple[str, Callable]]:
    """(app label, its ``demo.load``) for every other installed app that has one, in INSTALLED_APPS
    order: what ``load_demo_data`` runs after this app's demo."""
    return app_loaders("demo")
