"""Pages anyone on the staff can read: the root address, error pages in words with a way back,
the person's name and roles in the header, their own time zone on every time, one date style,
state labels as the model writes them, and a way forward from every state on the diagram."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Template
from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from reminders.models import UserPreference
from workflow.diagrams import state_diagram_svg
from workflow.models import HistoryEntry
from workflow.services import state_label, transition_perform

AO = Role.ACTION_OFFICER

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)  # signs in as the login page does (the user_logged_in signal included)
    return client


def test_the_root_address_leads_to_the_start_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_an_unknown_address_is_a_page_in_words_with_the_banner_and_a_way_back(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "UNCLASSIFIED" in html
    assert "This page does not exist" in html
    assert f'href="{reverse("admin:index")}">Go to the start page' in html


def test_a_server_error_is_a_page_in_words_with_the_banner(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "UNCLASSIFIED" in html


def test_the_header_names_the_person_and_their_roles(world):
    officer = world.user("EUCOM", AO)
    html = client_for(officer).get(reverse("admin:index")).content.decode()
    assert "Action officer, EUCOM" in html
    assert "Welcome," not in html


def test_times_on_the_plan_page_are_in_the_persons_own_time_zone(world):
    officer = world.user("EUCOM", AO)
    plan = transition_perform(document=world.ready_plan(), name="submit", by=officer)
    entry = HistoryEntry.objects.filter(object_id=plan.pk).order_by("at").first()
    page = reverse("admin:planning_campaignplan_change", args=[plan.pk])

    def shown(zone_name: str) -> str:
        at = timezone.localtime(entry.at, zoneinfo.ZoneInfo(zone_name))
        return f"{at:%d %b %Y %H:%M} {at.tzname()}"

    client = client_for(officer)
    assert shown(timezone.get_default_timezone_name()) in client.get(page).content.decode()

    response = client.post(reverse("admin:preferences"), {"time_zone": "Asia/Tokyo"}, follow=True)
    assert "Times are now shown in Asia/Tokyo." in response.content.decode()
    assert UserPreference.objects.get(user=officer).time_zone == "Asia/Tokyo"
    html = client.get(page).content.decode()
    assert shown("Asia/Tokyo") in html
    assert "Times in Asia/Tokyo" in html

    # A new sign-in finds the choice again.
    assert shown("Asia/Tokyo") in client_for(officer).get(page).content.decode()


def test_an_unknown_time_zone_is_refused_in_words_and_nothing_changes(world):
    officer = world.user("EUCOM", AO)
    response = client_for(officer).post(reverse("admin:preferences"), {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert "is not a time zone" in response.content.decode()
    assert not UserPreference.objects.filter(user=officer, time_zone="Mars/Olympus_Mons").exists()


def test_dates_on_pages_are_day_month_year_with_the_month_spelled(world):
    officer = world.user("EUCOM", AO)
    plan = world.ready_plan(start=datetime.date(2027, 1, 1))
    html = client_for(officer).get(reverse("admin:planning_campaignplan_changelist")).content.decode()
    assert plan.title in html
    plan_page = client_for(officer).get(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    assert plan_page.status_code == 200
    assert "p.m." not in plan_page.content.decode() and "a.m." not in plan_page.content.decode()


def test_state_labels_keep_the_models_capitals_in_a_sentence():
    template = Template(state="consultation")
    assert state_label(template) == "in consultation with USD(P)"
    assert state_label(CampaignPlan(state=PlanState.REVIEW)) == "in review"


def test_a_returned_plan_shows_its_way_forward_on_the_diagram():
    svg = state_diagram_svg(CampaignPlan, current=PlanState.RETURNED)
    assert "Start a new version" in svg
    assert 'aria-current="step"' in svg and "current state: Returned for rework" in svg


def test_an_export_writes_times_in_the_readers_own_time_zone_and_names_it(world):
    import csv
    import io

    from django.contrib.auth import get_user_model

    from reminders.services import user_time_zone_set
    from security.audit import audit_record
    from security.models import AuditAction

    plan = world.ready_plan(start=datetime.date(2027, 1, 1))
    updated = timezone.make_aware(datetime.datetime(2026, 11, 29, 13, 50))  # 13:50 in New York
    CampaignPlan.objects.filter(pk=plan.pk).update(updated_at=updated)
    officer = world.user("EUCOM", AO)

    def exported(client) -> list[list[str]]:
        response = client.post(reverse("admin:planning_campaignplan_changelist"),
                               {"action": "export_csv", "_selected_action": [plan.pk]})
        return list(csv.reader(io.StringIO(response.content.decode())))

    rows = exported(client_for(officer))  # no choice: the installation's zone
    assert "times in America/New_York" in rows[1][0] and " EST " in rows[1][0]
    header, row = rows[2], rows[3]
    assert row[header.index("Updated")] == "29 Nov 2026 13:50 EST"
    assert row[header.index("Period start")] == "01 Jan 2027"

    user_time_zone_set(user=officer, time_zone="Asia/Tokyo")
    rows = exported(client_for(officer))  # a new sign-in reads the choice
    assert "times in Asia/Tokyo" in rows[1][0] and " JST " in rows[1][0]
    header, row = rows[2], rows[3]
    assert row[header.index("Updated")] == "30 Nov 2026 03:50 JST"
    assert row[header.index("Period start")] == "01 Jan 2027"  # a date is the same date everywhere

    auditor = get_user_model().objects.create_superuser("zone_auditor", password="x" * 16)
    user_time_zone_set(user=auditor, time_zone="Europe/Berlin")
    with time_machine.travel(updated, tick=False):  # the trail is append-only: recorded at that moment
        event = audit_record(action=AuditAction.ADMIN_CHANGE, description="a change (training data)")
    response = client_for(auditor).post(reverse("admin:security_auditevent_changelist"),
                                        {"action": "export_csv", "_selected_action": [event.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "at (Europe/Berlin)"
    assert rows[1][0] == "29 Nov 2026 19:50:00 CET (+0100)"


def test_refusals_keep_the_models_state_labels_and_say_an_before_a_vowel(world):
    from assessments.models import Assessment, TemplateState
    from assessments.services import template_edit_check
    from workflow.exceptions import ActionRefused, UnknownTransition
    from workflow.services import transition_rules

    drafter = world.user("JS", AO)
    in_consultation = Template(title="Assessment template (training data)", owner=world.orgs["JS"],
                               state=TemplateState.CONSULTATION)
    with pytest.raises(ActionRefused) as refused:
        template_edit_check(template=in_consultation, by=drafter)
    assert "is in consultation with USD(P)." in str(refused.value)
    assert "usd(p)" not in str(refused.value)

    with pytest.raises(UnknownTransition) as unknown:
        transition_rules(Assessment, "no_such_step")
    assert "for an assessment." in str(unknown.value)


def test_the_header_names_the_person_by_their_name(world):
    officer = world.user("EUCOM", AO)
    html = client_for(officer).get(reverse("admin:index")).content.decode()
    assert f'<span id="person"><strong>{officer.get_username()}</strong>' in html
    officer.first_name, officer.last_name = "EUCOM", "Action officer"  # as the demo data names its roles
    officer.save()
    html = client_for(officer).get(reverse("admin:index")).content.decode()
    assert '<strong>EUCOM Action officer</strong> · <span id="person-roles">Action officer, EUCOM</span>' in html
