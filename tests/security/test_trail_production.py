"""No demo and no wiped trail in production: flush, sqlflush and load_demo_data refuse the
production settings; demo passwords pass the product's own validators; a user nobody has given a
security profile has no clearance and no nationality until an administrator sets one."""

import os
import re
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from organizations import demo as organizations_demo
from security.audit import audit_record
from security.models import AuditAction, AuditEvent, SecurityProfile

ROOT = Path(__file__).resolve().parents[2]
REFUSING_COMMANDS = ("flush", "sqlflush", "load_demo_data")


def test_flush_sqlflush_and_load_demo_data_refuse_the_production_settings(tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.core.management import CommandError, call_command\n"
        f"for name in {REFUSING_COMMANDS!r}:\n"
        "    try:\n"
        "        call_command(name, interactive=False) if name == 'flush' else call_command(name)\n"
        "        print(name, 'RAN')\n"
        "    except CommandError as error:\n"
        "        print(name, 'REFUSED', error)\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=secrets.token_urlsafe(50),
                       ALLOWED_HOSTS="plans.example.mil", DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
                       VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [[name, "REFUSED"] for name in REFUSING_COMMANDS], result.stdout
    for line in lines:
        assert "refuses to run under the production settings (config.settings.production)" in line
        assert line.endswith("Nothing was changed.")


@pytest.mark.django_db
def test_refused_flush_and_demo_load_lose_nothing_and_create_nothing(settings):
    settings.PRODUCTION = True
    audit_record(action=AuditAction.EXPORT, description="exported")
    events, users = AuditEvent.objects.count(), get_user_model().objects.count()
    with pytest.raises(CommandError, match="flush refuses .* it would erase every record, the audit trail"):
        call_command("flush", interactive=False)
    with pytest.raises(CommandError, match="load_demo_data refuses .* demo users with a published password"):
        call_command("load_demo_data", stdout=StringIO())
    assert (AuditEvent.objects.count(), get_user_model().objects.count()) == (events, users)
    assert not get_user_model().objects.filter(username="administrator").exists()


def _demo_user(username: str, first_name: str, last_name: str):
    return get_user_model()(username=username, first_name=first_name, last_name=last_name,
                            email=f"{username}@example.com")


def test_the_demo_password_passes_the_products_own_password_validators(settings):
    sys.path.insert(0, str(ROOT))
    try:
        import dev
    finally:
        sys.path.remove(str(ROOT))
    assert dev.DEMO_PASSWORD_DEFAULT == organizations_demo.DEFAULT_PASSWORD
    assert any(v["NAME"].endswith("CharacterClassValidator") for v in settings.AUTH_PASSWORD_VALIDATORS)
    for user in (_demo_user("eucom_approver", "EUCOM", "Approver"), _demo_user("administrator", "", "Administrator"),
                 _demo_user("auditor", "", "Auditor"), _demo_user("usdatl_org_admin", "USD(AT&L)", "Org admin")):
        validate_password(organizations_demo.DEFAULT_PASSWORD, user=user)


@pytest.mark.django_db
def test_load_demo_data_refuses_a_demo_password_the_validators_refuse(monkeypatch):
    from organizations import reference

    reference.load()
    monkeypatch.setenv("DEMO_PASSWORD", "training-only-demo-password")
    with pytest.raises(CommandError, match="DEMO_PASSWORD does not pass the password validators: .*upper-case"):
        call_command("load_demo_data", stdout=StringIO())
    assert not get_user_model().objects.filter(username="administrator").exists()


@pytest.mark.django_db
def test_the_demo_gives_its_own_log_ins_their_profiles_and_nobody_else_a_clearance():
    from security import demo as security_demo
    from security.access import access_of

    User = get_user_model()
    approver = User.objects.create_user("eucom_approver", is_staff=True)
    liaison = User.objects.create_user("gbr_liaison_officer", is_staff=True)
    SecurityProfile.objects.create(user=approver, clearance="S", citizenship="US")
    security_demo.load(stdout=StringIO())
    assert SecurityProfile.objects.get(user=approver).clearance == "TS"
    assert not SecurityProfile.objects.filter(user=liaison).exists()
    access = access_of(User.objects.get(pk=liaison.pk))
    assert (access.clearance, access.citizenship) == ("U", "")


@pytest.mark.django_db
def test_a_user_without_a_security_profile_sees_nothing_above_unclassified_and_nothing_noforn(world):
    from organizations.models import Country, Role
    from planning.models import CampaignPlan
    from planning.selectors import plans_visible_to

    secret_block = {"classified_by": "Training authority", "derived_from": "Training source",
                    "declassify_on": "20501231"}
    Country.objects.get_or_create(code="GB")
    markings = {"U": ("U", False, ()), "U//NOFORN": ("U", True, ()), "CUI": ("CUI", False, ()),
                "SECRET": ("S", False, ()), "SECRET//REL TO USA, GBR": ("S", False, ("GB",)),
                "TOP SECRET": ("TS", False, ())}
    for banner, (level, noforn, rel_to) in markings.items():
        plan = world.ready_plan()
        CampaignPlan.objects.filter(pk=plan.pk).update(
            title=f"Training plan {banner}", classification=level, noforn=noforn,
            **(secret_block if level in ("S", "TS") else {}))
        plan.rel_to.set(Country.objects.filter(code__in=rel_to))
    officer = world.user("EUCOM", Role.ACTION_OFFICER)
    assert not SecurityProfile.objects.filter(user=officer).exists()

    def titles_seen() -> tuple[set[str], str]:
        user = get_user_model().objects.get(pk=officer.pk)
        visible = set(plans_visible_to(user, CampaignPlan).values_list("title", flat=True))
        client = Client()
        client.force_login(user)
        page = client.get(reverse("admin:planning_campaignplan_changelist")).content.decode()
        return visible, page

    visible, page = titles_seen()
    assert visible == {"Training plan U"}
    assert re.search(r"Training plan U(?![/\w])", page)
    for banner in markings:
        if banner != "U":
            assert f"Training plan {banner}" not in page

    # Once an administrator sets the profile, the same person sees what it clears.
    SecurityProfile.objects.create(user=officer, clearance="S", citizenship="US")
    visible, page = titles_seen()
    assert visible == {f"Training plan {banner}" for banner in markings if banner != "TOP SECRET"}
    assert "Training plan U//NOFORN" in page
