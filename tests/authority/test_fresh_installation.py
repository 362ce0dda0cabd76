"""A fresh installation: migrate, reference data, one administrator, no demo data. The
administrator creates a person with a membership in the admin, and that person signs in and does
their role's work there, with no permission assigned by hand anywhere."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations.models import Membership, Organization, Role
from planning.models import CampaignPlan

PASSWORD = "Fresh-Install-Training-1"


def _form_data(response) -> dict:
    """What the page's form would post as it stands: every field's initial value, and every
    inline formset's management form with no rows."""
    form = response.context_data["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else value
    html = response.content.decode()
    for prefix in set(re.findall(r'name="([\w-]+)-TOTAL_FORMS"', html)):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data


@pytest.mark.postgres
def test_a_person_the_administrator_creates_can_do_their_work_with_no_other_setup(db):
    call_command("load_reference_data", verbosity=0)
    assert not Group.objects.exists()
    administrator = get_user_model().objects.create_superuser("first_administrator", password=PASSWORD)

    admin = Client()
    admin.force_login(administrator)
    # The person, through the admin's own "Add user" form.
    response = admin.post(reverse("admin:auth_user_add"), {
        "username": "eucom_planner", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    person = get_user_model().objects.get(username="eucom_planner")
    assert not person.is_staff and not person.user_permissions.exists() and not person.groups.exists()
    # Their membership: an action officer of EUCOM from today.
    eucom = Organization.objects.get(acronym="EUCOM", active=True)
    response = admin.post(reverse("admin:organizations_membership_add"), {
        "user": person.pk, "organization": eucom.pk, "role": Role.ACTION_OFFICER,
        "start": timezone.localdate().isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.filter(user=person, organization=eucom, role=Role.ACTION_OFFICER).exists()

    # The person signs in through the sign-in page (with the consent banner) ...
    staff = Client()
    response = staff.post(reverse("admin:login"), {"username": "eucom_planner", "password": PASSWORD,
                                                   "consent": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    # ... finds campaign plans on the start page, and drafts one.
    assert reverse("admin:planning_campaignplan_add") in staff.get(reverse("admin:index")).content.decode()
    page = staff.get(reverse("admin:planning_campaignplan_add"))
    assert page.status_code == 200
    data = _form_data(page)
    data.update({"title": "EUCOM theater campaign plan (training data)", "owner": eucom.pk, "kind": "theater",
                 "period_start": "2027-10-01", "period_end": "2032-09-30", "summary": "Training data."})
    response = staff.post(reverse("admin:planning_campaignplan_add"), data)
    assert response.status_code == 302, response.context_data["adminform"].form.errors \
        if hasattr(response, "context_data") else response.status_code
    plan = CampaignPlan.objects.get(title="EUCOM theater campaign plan (training data)")
    assert plan.owner == eucom and plan.created_by == person
    # Nothing was granted by hand on the way.
    assert not Permission.objects.filter(user=person).exists() and not Group.objects.exists()
    # What their role may not do stays refused: organizations are the administrators'.
    assert staff.get(reverse("admin:organizations_organization_change", args=[eucom.pk])).context_data[
        "has_change_permission"] is False
    assert staff.get(reverse("admin:organizations_membership_add")).status_code == 403
    assert plan.period_start == datetime.date(2027, 10, 1)
