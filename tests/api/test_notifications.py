"""The person's notifications and notification settings through the API: their own only, each
kind set to immediately, digest or off, a wrong choice refused as problem+json, nothing saved."""

from __future__ import annotations

from reminders.models import NoticeKind, Notification

from .conftest import APP, REV


def test_a_person_reads_and_changes_their_own_notification_settings(world, as_member):
    client = as_member("DA", REV)
    answer = client.get("/api/v1/notification-preferences/")
    assert answer.status_code == 200
    settings = {p["kind"]: p["delivery"] for p in answer.json()["preferences"]}
    assert settings == {**settings, "tasker_issued": "immediately", "comment_adjudicated": "digest"}
    assert set(settings) == set(NoticeKind.values)
    changed = client.put("/api/v1/notification-preferences/", {"preferences": [
        {"kind": "tasker_issued", "delivery": "digest"}, {"kind": "cycle_phase", "delivery": "off"}]}, format="json")
    assert changed.status_code == 200
    assert {p["kind"]: p["delivery"] for p in changed.json()["preferences"]} == {
        **settings, "tasker_issued": "digest", "cycle_phase": "off"}
    # Another person's settings are their own: unchanged.
    other = as_member("DA", APP).get("/api/v1/notification-preferences/").json()["preferences"]
    assert {p["kind"]: p["delivery"] for p in other}["tasker_issued"] == "immediately"


def test_an_unknown_choice_is_refused_as_problem_json_and_nothing_is_saved(world, as_member):
    client = as_member("DA", REV)
    refused = client.put("/api/v1/notification-preferences/", {"preferences": [
        {"kind": "answers_in", "delivery": "off"}, {"kind": "answers_in_bulk", "delivery": "off"}]}, format="json")
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "is not a kind of notice" in refused.json()["errors"]["answers_in_bulk"][0]
    settings = {p["kind"]: p["delivery"] for p in client.get("/api/v1/notification-preferences/").json()["preferences"]}
    assert settings["answers_in"] == "immediately"


def test_a_person_lists_their_own_notifications_and_marks_them_read(world, as_member):
    mine = Notification.objects.create(user=world.user("DA", REV), text="New coordination tasker for DA")
    theirs = Notification.objects.create(user=world.user("DA", APP), text="Someone else's notice")
    client = as_member("DA", REV)
    listed = client.get("/api/v1/notifications/").json()["results"]
    assert [n["text"] for n in listed] == ["New coordination tasker for DA"] and listed[0]["read_at"] is None
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    marked = client.post("/api/v1/notifications/mark-read/", {"ids": [mine.pk, theirs.pk]}, format="json")
    assert marked.json() == {"marked_read": 1}
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_marking_read_sent_twice_with_one_key_answers_the_first_count_again(world, as_member):
    # The retry of a request whose answer was lost: the first answer again, not "0 marked" this time.
    Notification.objects.create(user=world.user("DA", REV), text="New coordination tasker for DA")
    client = as_member("DA", REV)
    first = client.post("/api/v1/notifications/mark-read/", {}, format="json", HTTP_IDEMPOTENCY_KEY="mark-all-1")
    again = client.post("/api/v1/notifications/mark-read/", {}, format="json", HTTP_IDEMPOTENCY_KEY="mark-all-1")
    assert first.json() == again.json() == {"marked_read": 1}
    assert again["Idempotent-Replayed"] == "true"
    fresh = client.post("/api/v1/notifications/mark-read/", {}, format="json", HTTP_IDEMPOTENCY_KEY="mark-all-2")
    assert fresh.json() == {"marked_read": 0} and "Idempotent-Replayed" not in fresh
