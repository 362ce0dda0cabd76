"""The Notification settings page (reachable from the header of every page) and the start page's
notifications panel with "Mark all as read"."""

from __future__ import annotations

import pytest

from organizations.models import Role
from reminders.models import NoticeKind, NoticePreference, Notification
from reminders.notices import notice_preferences

from .conftest import person

pytestmark = pytest.mark.django_db


def test_the_settings_page_is_linked_from_the_header_and_saves_each_kinds_choice(world, client):
    reviewer = person(world, "DA", Role.REVIEWER)
    client.force_login(reviewer)
    start = client.get("/admin/")
    assert 'id="notification-settings" href="/admin/notification-settings/"' in start.content.decode()
    page = client.get("/admin/notification-settings/")
    assert page.status_code == 200
    assert "A tasker issued to you or your organization" in page.content.decode()
    choices = {p["kind"]: p["delivery"] for p in notice_preferences(reviewer)}
    response = client.post("/admin/notification-settings/", {**choices, NoticeKind.TASKER_ISSUED: "off"})
    assert response.status_code == 302
    assert NoticePreference.objects.get(user=reviewer, kind=NoticeKind.TASKER_ISSUED).delivery == "off"


def test_a_refused_choice_shows_the_form_again_with_what_was_chosen_and_the_error_beside_it(world, client):
    reviewer = person(world, "DA", Role.REVIEWER)
    client.force_login(reviewer)
    choices = {p["kind"]: p["delivery"] for p in notice_preferences(reviewer)}
    page = client.post("/admin/notification-settings/", {**choices, NoticeKind.ANSWERS_IN: "off",
                                                          NoticeKind.TASKER_ISSUED: "hourly"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="id_tasker_issued_error"' in html and "Choose one of immediately, digest, off." in html
    assert '<option value="off" selected>' in html  # answers_in, as chosen
    assert not NoticePreference.objects.filter(user=reviewer).exists()  # nothing saved


def test_the_start_page_lists_notifications_and_marks_them_all_read(world, client):
    reviewer = person(world, "DA", Role.REVIEWER)
    Notification.objects.create(user=reviewer, text="New coordination tasker for DA on a plan")
    other = Notification.objects.create(user=person(world, "DA", Role.APPROVER), text="Not yours")
    client.force_login(reviewer)
    html = client.get("/admin/").content.decode()
    assert "New coordination tasker for DA on a plan" in html and "Not yours" not in html
    assert "1 unread" in html and 'id="notifications-mark-read"' in html
    assert client.post("/admin/notifications/mark-read/").status_code == 302
    assert not Notification.objects.filter(user=reviewer, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert "1 unread" not in client.get("/admin/").content.decode()
