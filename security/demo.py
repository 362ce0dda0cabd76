"""Security data for the demo (training only): every demo user's clearance and citizenship, the
auditor's permissions, and the CUI categories and dissemination controls used by the demo."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .markings import ClassificationLevel
from .models import CUICategory, DisseminationControl, SecurityProfile

CUI_CATEGORIES = [("OPSEC", "Operations Security"), ("EXPT", "Export Controlled"), ("PRVCY", "Privacy")]
DISSEMINATION_CONTROLS = [("FEDCON", "Federal employees and contractors only"), ("NOCON", "No dissemination to contractors"),
                          ("DL ONLY", "Dissemination list controlled")]


@transaction.atomic
def load(*, stdout=None) -> None:
    for code, name in CUI_CATEGORIES:
        CUICategory.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in DISSEMINATION_CONTROLS:
        DisseminationControl.objects.get_or_create(code=code, defaults={"name": name})
    users = get_user_model().objects.filter(security_profile__isnull=True)
    created = SecurityProfile.objects.bulk_create([
        SecurityProfile(user=user, clearance=ClassificationLevel.TOP_SECRET, citizenship="US") for user in users
    ])
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    auditors.permissions.add(*Permission.objects.filter(content_type__app_label="security",
                                                        codename__in=["view_auditevent", "export_auditevent"]))
    for auditor in get_user_model().objects.filter(username="auditor"):
        auditor.groups.add(auditors)
    if stdout:
        stdout.write(f"security profiles: {len(created)} created (demo users: TOP SECRET, U.S.; training data)")
