"""Security data for the demo (training only): the demo users' clearance and citizenship, and
the CUI categories and dissemination controls used by the demo.

Only the demo's own log-ins get a profile here. Anyone else without one has no clearance and no
nationality (``security.access``) until an administrator sets their profile."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from organizations.demo import logins

from .markings import ClassificationLevel
from .models import CUICategory, DisseminationControl, SecurityProfile

CUI_CATEGORIES = [("OPSEC", "Operations Security"), ("EXPT", "Export Controlled"), ("PRVCY", "Privacy")]
DISSEMINATION_CONTROLS = [("FEDCON", "Federal employees and contractors only"), ("NOCON", "No dissemination to contractors"),
                          ("DL ONLY", "Dissemination list controlled")]
# Every demo log-in is a U.S. person cleared TOP SECRET, so the demo shows every document to the
# organizations with need-to-know.
DEMO_CLEARANCE = ClassificationLevel.TOP_SECRET
DEMO_CITIZENSHIP = "US"


@transaction.atomic
def load(*, stdout=None) -> None:
    for code, name in CUI_CATEGORIES:
        CUICategory.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in DISSEMINATION_CONTROLS:
        DisseminationControl.objects.get_or_create(code=code, defaults={"name": name})
    demo_users = get_user_model().objects.filter(username__in=[login.username for login in logins()])
    created = SecurityProfile.objects.bulk_create([
        SecurityProfile(user=user, clearance=DEMO_CLEARANCE, citizenship=DEMO_CITIZENSHIP)
        for user in demo_users.filter(security_profile__isnull=True)
    ])
    restored = (SecurityProfile.objects.filter(user__in=demo_users)
                .exclude(clearance=DEMO_CLEARANCE, citizenship=DEMO_CITIZENSHIP)
                .update(clearance=DEMO_CLEARANCE, citizenship=DEMO_CITIZENSHIP))
    # The auditor reads the audit trail by their membership in the auditor role (organizations.demo).
    if stdout:
        stdout.write(f"security profiles of the demo log-ins: {len(created)} created, {restored} restored "
                     "(TOP SECRET, U.S.; training data)")
