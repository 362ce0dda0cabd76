"""Every control of every add and change page has its accessible name in the HTML the server
sends (a ``<label for>``, an enclosing ``<label>``, ``aria-label``, ``aria-labelledby`` or a
``title``), so the names hold without JavaScript; inline tables name each field by its column
and row. The admin's time zone notice is not needed: the page says which zone its times are in,
and the offset the admin's date shortcuts read is the person's own zone."""

from __future__ import annotations

import contextlib
import datetime
import zoneinfo
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from organizations.models import Role
from reminders.services import user_time_zone_set
from workflow.models import Route, RouteStep, Step

pytestmark = pytest.mark.django_db

UNNAMED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Controls(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.body: dict = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type", "text") not in UNNAMED_TYPES:
            self.controls.append({**attrs, "_tag": tag, "_in_label": self.label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)


def parsed(html: str) -> Controls:
    page = Controls()
    page.feed(html)
    return page


def unnamed(html: str) -> list[str]:
    page = parsed(html)
    return [f"<{c['_tag']} name={c.get('name')!r} id={c.get('id')!r}>" for c in page.controls
            if not (c["_in_label"] or c.get("aria-label") or c.get("aria-labelledby") or c.get("title")
                    or (c.get("id") and c["id"] in page.label_for))]


@pytest.fixture
def administrator(world):
    user = get_user_model().objects.create_superuser("names_administrator", password="x" * 16)
    client = Client()
    client.force_login(user)
    return client


def test_every_control_of_every_add_and_change_page_is_named_in_the_servers_html(world, administrator):
    world.ready_plan()
    route = Route.objects.create(name="Route (training data)", document_kind="campaign_plan", is_default=False)
    RouteStep.objects.create(route=route, step=Step.COORDINATION, organization=world.orgs["DA"], position=1)
    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        with contextlib.suppress(NoReverseMatch):  # a model without an add page
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    problems = {}
    seen_rows = 0
    for url in pages:
        response = administrator.get(url)
        if response.status_code != 200:
            continue
        html = response.content.decode()
        seen_rows += html.count("(row 1)")
        missing = unnamed(html)
        if missing:
            problems[url] = missing
    assert not problems, problems
    assert seen_rows  # inline tables were among the pages, their fields named by column and row


def test_an_inline_tables_fields_are_named_by_column_and_row_in_the_html(world, administrator):
    from reminders.models import ReminderPolicy

    policy = ReminderPolicy.objects.order_by("pk").first()  # the default policy and its steps
    html = administrator.get(reverse("admin:reminders_reminderpolicy_change", args=[policy.pk])).content.decode()
    names = {c.get("aria-label") for c in parsed(html).controls}
    assert {"Offset working days (row 1)", "Audience (row 2)", "Delete (row 2)"} <= names
    assert "Audience (new row)" in names  # the row that "Add another" copies

    html = administrator.get(reverse("admin:organizations_organization_change",
                                     args=[world.orgs["EUCOM"].pk])).content.decode()
    names = {c.get("aria-label") for c in parsed(html).controls}
    assert {"User (new row)", "Role (new row)", "Start (new row)"} <= names


def test_both_halves_of_a_date_and_time_field_have_a_label_in_the_html(world, administrator):
    user = get_user_model().objects.get(username="names_administrator")
    html = administrator.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    page = parsed(html)
    assert {"id_last_login_0", "id_last_login_1", "id_date_joined_0", "id_date_joined_1"} <= page.label_for
    assert '<label for="id_date_joined_1">Time:</label>' in html


def test_the_admins_date_shortcuts_read_the_persons_own_zone_and_no_script_hides_anything(world):
    officer = world.user("EUCOM", Role.ACTION_OFFICER)
    user_time_zone_set(user=officer, time_zone="Asia/Tokyo")
    client = Client()
    client.force_login(officer)
    html = client.get(reverse("admin:planning_campaignplan_add")).content.decode()
    tokyo = int(timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Asia/Tokyo")).utcoffset()
                / datetime.timedelta(seconds=1))
    # "Today" and "Now" fill in the person's date and time; the header names their zone.
    assert parsed(html).body.get("data-admin-utc-offset") == str(tokyo)
    assert "Times in Asia/Tokyo" in html
    from pathlib import Path

    from django.contrib.staticfiles import finders

    script = Path(finders.find("workflow/site.js")).read_text(encoding="utf-8")
    style = Path(finders.find("workflow/site.css")).read_text(encoding="utf-8")
    assert "data-admin-utc-offset" not in script
    assert ".timezonewarning" in style
