"""Idempotency-Key on every POST: a repeated key returns the first answer and writes nothing; the
same key with another request is refused; twenty clients sending one key at one instant make
one write; without the header nothing changes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from rest_framework.test import APIClient

from api.idempotency import IdempotentPostMixin
from api.services import api_token_issue
from api.views import not_found
from tests.concurrency import at_once
from workflow.models import IdempotencyKey
from workflow.selectors import comments_of, history_of, open_taskers
from workflow.services import tasker_respond, transition_perform
from workflow.tasks import idempotency_keys_expire

from .conftest import AO, REV

V1 = "/api/v1"
NONCONCUR = {"response": "nonconcur", "rationale": "Navy assets double-counted",
             "comments": [{"category": "critical", "section": "3.a", "text": "Remove the air defense objective",
                           "proposed_change": "Delete 3.a"}]}


@pytest.fixture
def in_coordination(world):
    return transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))


def respond(client, tasker, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"{V1}/taskers/{tasker.pk}/respond/", body, format="json", **headers)


def answers_recorded(plan) -> int:
    return history_of(plan).filter(action="tasker_answered").count()


def test_an_answer_sent_twice_with_one_key_is_recorded_once_and_the_second_gets_the_first_answer(
        world, as_member, in_coordination):
    navy = as_member("DON", REV)
    tasker = open_taskers(in_coordination).get(organization=world.orgs["DON"])

    first = respond(navy, tasker, NONCONCUR, key="9b2f6c1e-answer-navy")
    again = respond(navy, tasker, NONCONCUR, key="9b2f6c1e-answer-navy")

    assert first.status_code == 200, first.json()
    assert "Idempotent-Replayed" not in first
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert comments_of(in_coordination).count() == 1
    assert answers_recorded(in_coordination) == 1


def test_the_same_key_with_another_request_is_a_422_and_nothing_is_written(world, as_member, in_coordination):
    navy = as_member("DON", REV)
    tasker = open_taskers(in_coordination).get(organization=world.orgs["DON"])
    assert respond(navy, tasker, NONCONCUR, key="navy-1").status_code == 200

    changed = respond(navy, tasker, {**NONCONCUR, "rationale": "Something else"}, key="navy-1")

    assert changed.status_code == 422
    assert changed["Content-Type"] == "application/problem+json"
    problem = changed.json()
    assert problem["type"] == "/api/problems/idempotency-key-reused/"
    assert "was used for a different request" in problem["detail"]
    tasker.refresh_from_db()
    assert tasker.rationale == "Navy assets double-counted"
    assert comments_of(in_coordination).count() == 1
    assert answers_recorded(in_coordination) == 1


def test_a_json_body_counts_by_its_value_not_its_spelling(world, as_member, in_coordination):
    navy = as_member("DON", REV)
    tasker = open_taskers(in_coordination).get(organization=world.orgs["DON"])
    url = f"{V1}/taskers/{tasker.pk}/respond/"
    first = navy.post(url, '{"response": "concur", "rationale": "Fine"}', content_type="application/json",
                      HTTP_IDEMPOTENCY_KEY="navy-spelling")
    again = navy.post(url, '{"rationale":"Fine","response":"concur"}', content_type="application/json",
                      HTTP_IDEMPOTENCY_KEY="navy-spelling")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def test_a_replayed_transition_returns_the_first_200_and_not_a_409(world, as_member):
    eucom = as_member("EUCOM", AO)
    plan = world.ready_plan()
    url = f"{V1}/campaign-plans/{plan.pk}/transitions/submit/"
    body = {"comment": "For coordination", "expected_state": "draft"}

    first = eucom.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY='"submit-eucom-plan"')
    again = eucom.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY='"submit-eucom-plan"')

    assert first.status_code == 200 and first.json()["state"] == "coordination"
    assert (again.status_code, again.json()) == (200, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert history_of(plan).filter(action="submit").count() == 1


def test_a_created_plan_replayed_keeps_its_201_and_location_and_creates_one_plan(world, as_member):
    from planning.models import CampaignPlan

    from .conftest import plan_payload

    eucom = as_member("EUCOM", AO)
    before = CampaignPlan.objects.count()
    first = eucom.post(f"{V1}/campaign-plans/", plan_payload(world), format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    again = eucom.post(f"{V1}/campaign-plans/", plan_payload(world), format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert CampaignPlan.objects.count() == before + 1


def test_without_the_header_every_post_runs_as_before(world, as_member):
    eucom = as_member("EUCOM", AO)
    plan = world.ready_plan()
    url = f"{V1}/campaign-plans/{plan.pk}/transitions/submit/"

    first = eucom.post(url, {"comment": ""}, format="json")
    again = eucom.post(url, {"comment": ""}, format="json")

    assert first.status_code == 200
    assert again.status_code == 409 and "Idempotent-Replayed" not in again
    assert not IdempotencyKey.objects.exists()


def test_invalid_input_is_kept_and_replayed(world, as_member, in_coordination):
    navy = as_member("DON", REV)
    tasker = open_taskers(in_coordination).get(organization=world.orgs["DON"])
    incomplete = {"response": "nonconcur", "rationale": ""}

    first = respond(navy, tasker, incomplete, key="navy-incomplete")
    again = respond(navy, tasker, incomplete, key="navy-incomplete")

    assert first.status_code == 400, first.json()
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (400, first.content, "true")
    assert again["Content-Type"] == "application/problem+json"
    assert answers_recorded(in_coordination) == 0


def test_a_not_now_answer_is_not_kept_so_the_same_key_runs_again_once_possible(world, as_member, in_coordination):
    eucom = as_member("EUCOM", AO)
    url = f"{V1}/campaign-plans/{in_coordination.pk}/transitions/send_to_review/"
    body = {"comment": "All answers in"}

    refused = eucom.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="to-review")
    assert refused.status_code == 409 and "outstanding" in " ".join(refused.json()["reasons"])
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker_respond(tasker=open_taskers(in_coordination).get(organization=world.orgs[acronym]),
                       by=world.user(acronym, REV), response="concur")

    sent = eucom.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="to-review")

    assert sent.status_code == 200 and sent.json()["state"] == "review"
    assert "Idempotent-Replayed" not in sent


def test_a_key_belongs_to_the_user_who_sent_it(world, as_member, in_coordination):
    answers = {}
    for acronym in ("DA", "DON"):
        tasker = open_taskers(in_coordination).get(organization=world.orgs[acronym])
        answers[acronym] = respond(as_member(acronym, REV), tasker, {"response": "concur"}, key="same-key")
    assert [a.status_code for a in answers.values()] == [200, 200]
    assert not any(a.has_header("Idempotent-Replayed") for a in answers.values())
    assert answers_recorded(in_coordination) == 2


def test_a_key_that_is_too_long_or_not_ascii_is_a_400_naming_the_header(world, as_member):
    plan = world.ready_plan()
    url = f"{V1}/campaign-plans/{plan.pk}/transitions/submit/"
    for key in ("k" * 256, ""):
        refused = as_member("EUCOM", AO).post(url, {"comment": ""}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert refused.status_code == 400
        assert refused["Content-Type"] == "application/problem+json"
        assert list(refused.json()["errors"]) == ["Idempotency-Key"]
    assert history_of(plan).filter(action="submit").count() == 0


def test_expired_keys_are_forgotten_and_the_key_runs_again(world, as_member):
    eucom = as_member("EUCOM", AO)
    plan = world.ready_plan()
    url = f"{V1}/campaign-plans/{plan.pk}/transitions/submit/"
    assert eucom.post(url, {"comment": ""}, format="json", HTTP_IDEMPOTENCY_KEY="old").status_code == 200
    IdempotencyKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    again = eucom.post(url, {"comment": ""}, format="json", HTTP_IDEMPOTENCY_KEY="old")

    assert again.status_code == 409 and "Idempotent-Replayed" not in again  # run anew: already submitted


def test_the_beat_task_deletes_expired_keys_and_keeps_the_others(world, as_member, settings):
    assert settings.CELERY_BEAT_SCHEDULE["idempotency-keys-expire"]["task"] == idempotency_keys_expire.name
    eucom = as_member("EUCOM", AO)
    for key in ("old", "new"):
        plan = world.ready_plan()
        eucom.post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {"comment": ""}, format="json",
                   HTTP_IDEMPOTENCY_KEY=key)
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert idempotency_keys_expire.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_keys_live_for_the_configured_hours(world, as_member, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 2
    plan = world.ready_plan()
    as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {"comment": ""},
                                format="json", HTTP_IDEMPOTENCY_KEY="two-hours")
    record = IdempotencyKey.objects.get()
    assert record.expires_at - record.created_at == datetime.timedelta(hours=2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_clients_sending_one_answer_with_one_key_at_one_instant_make_one_write(world):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = open_taskers(plan).get(organization=world.orgs["DON"])
    token = api_token_issue(user=world.user("DON", REV)).key

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return respond(client, tasker, NONCONCUR, key="navy-storm")

    answers = at_once(20, send)

    assert [getattr(a, "status_code", a) for a in answers] == [200] * 20
    assert len({a.content for a in answers}) == 1
    assert sum(1 for a in answers if not a.has_header("Idempotent-Replayed")) == 1
    assert comments_of(plan).count() == 1
    assert answers_recorded(plan) == 1


def _views_taking_post(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views_taking_post(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None)
            takes_post = ("post" in actions) if actions is not None else hasattr(cls, "post")
            if cls is not None and takes_post and cls is not not_found.cls:  # a 404 for every method
                yield str(pattern.pattern), cls


def test_every_api_view_that_takes_a_post_honours_the_key():
    from api.urls import urlpatterns

    views = list(_views_taking_post(urlpatterns))
    assert len(views) >= 10
    assert [route for route, cls in views if not issubclass(cls, IdempotentPostMixin)] == []


def test_the_schema_offers_the_key_on_every_post_operation(world, as_member):
    schema = as_member("EUCOM", AO).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    posts = {path: operations["post"] for path, operations in schema["paths"].items() if "post" in operations}
    assert "/api/v1/taskers/{id}/respond/" in posts and "/api/v1/campaign-plans/{id}/transitions/{name}/" in posts
    for path, operation in posts.items():
        header = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert len(header) == 1 and header[0]["required"] is False, path
        assert "422" in operation["responses"], path
    assert "Idempotency-Key" in schema["info"]["description"]
    gets = [operations["get"] for operations in schema["paths"].values() if "get" in operations]
    assert not any(p["name"] == "Idempotency-Key" for operation in gets for p in operation.get("parameters", []))
