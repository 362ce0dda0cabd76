"""The issue's scenario over real HTTP, on PostgreSQL: a non-concurring organization re-answering
from ten clients while the owner sends the plan to review from ten others, round after round,
each request on its own server thread and database connection. No answer is a server error;
every refusal says why; the plan reaches review only once and never past a standing
non-concurrence; no comment is recorded twice. Twenty identical non-concurrences sent at one
instant are one answer. Twenty clients mixing answers, adjudications and transitions over HTTP
on a plan and its neighbours get only successes and refusals with reasons (before the one lock
order, ten seconds of this gave dozens of deadlocks, each a 500)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
import requests
from django.db import connection

from api.services import api_token_issue
from planning.models import CampaignPlan, PlanState
from workflow.models import Response, Step
from workflow.selectors import comments_of, history_of, taskers_of

from ..workflow.helpers import AO, APP, REV, act, critical, in_coordination

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 12
CLIENTS_EACH = 10
MIXED_SECONDS = 10
COORDINATING, REVIEWING = ("DA", "DON", "USD(AT&L)"), ("J5", "USD(P)")


def _token(user) -> str:
    return api_token_issue(user=user).key


def _fire(requests_to_send):
    """Sends each (token, path, body) from its own thread, all released at one instant; returns
    (status, body) per request, in the order given."""
    barrier = threading.Barrier(len(requests_to_send))
    outcomes: list[tuple[int, dict | str]] = [(0, "not sent")] * len(requests_to_send)

    def send(index, token, url, body):
        with requests.Session() as session:
            try:
                barrier.wait(timeout=30)
                answer = session.post(url, json=body, headers={"Authorization": f"Token {token}"}, timeout=120)
                try:
                    outcomes[index] = (answer.status_code, answer.json())
                except ValueError:
                    outcomes[index] = (answer.status_code, answer.text[:500])
            except Exception as exc:  # noqa: BLE001 (a client that could not even ask is a failure too)
                outcomes[index] = (0, repr(exc))

    threads = [threading.Thread(target=send, args=(index, *request))
               for index, request in enumerate(requests_to_send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.slow
def test_a_nonconcurring_organization_re_answering_while_the_owner_sends_to_review_never_gets_a_server_error(
        world, live_server):
    owner, navy = _token(world.user("EUCOM", AO)), _token(world.user("DON", REV))
    base = f"{live_server.url}/api/v1"
    statuses: Counter = Counter()
    for round_number in range(ROUNDS):
        plan = in_coordination(world)
        navy_tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DON"])
        re_answers = [
            (navy, f"{base}/taskers/{navy_tasker.pk}/respond/",
             {"response": Response.CONCUR, "rationale": f"Recounted ({round_number}.{n})", "comments": []}
             if n % 2 else
             {"response": Response.NONCONCUR, "rationale": "Navy assets double-counted", "comments": critical()})
            for n in range(CLIENTS_EACH)]
        sends = [(owner, f"{base}/campaign-plans/{plan.pk}/transitions/send_to_review/",
                  {"comment": "", "expected_state": "coordination"})] * CLIENTS_EACH
        outcomes = _fire(re_answers + sends)
        connection.close()  # read what the server threads committed

        statuses.update(status for status, _body in outcomes)
        errors = [(status, body) for status, body in outcomes if status not in (200, 201, 403, 409)]
        assert errors == [], (round_number, errors)
        refusals = [body for status, body in outcomes if status in (403, 409)]
        assert all(body["reasons"] and all(body["reasons"]) for body in refusals), refusals
        plan = CampaignPlan.objects.get(pk=plan.pk)
        sent = [body for status, body in outcomes[CLIENTS_EACH:] if status == 200]
        assert len(sent) == history_of(plan).filter(action="send_to_review").count() <= 1
        if plan.state == PlanState.REVIEW:
            # Navy's last answer before the step ended was not a non-concurrence.
            assert taskers_of(plan, step=Step.COORDINATION).get(pk=navy_tasker.pk).response != Response.NONCONCUR
        else:
            assert plan.state == PlanState.COORDINATION
        rows = list(comments_of(plan).values_list("tasker", "category", "section", "text", "proposed_change"))
        assert len(rows) == len(set(rows)), rows
    assert statuses[200] and (statuses[409] or statuses[403]), statuses


def test_twenty_identical_nonconcurrences_over_http_at_one_instant_are_one_answer(world, live_server):
    plan = in_coordination(world)
    navy_tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DON"])
    answers_before = history_of(plan).filter(action="tasker_answered").count()
    navy = _token(world.user("DON", REV))
    body = {"response": Response.NONCONCUR, "rationale": "Navy assets double-counted, again",
            "comments": critical("Recount the amphibious lift", "4.b")}
    outcomes = _fire([(navy, f"{live_server.url}/api/v1/taskers/{navy_tasker.pk}/respond/", body)] * 20)
    connection.close()
    assert [status for status, _body in outcomes] == [200] * 20, outcomes
    assert history_of(plan).filter(action="tasker_answered").count() == answers_before + 1
    assert comments_of(plan).filter(text="Recount the amphibious lift").count() == 1


def test_navys_partially_accepted_critical_comment_keeps_review_refused_over_the_api_until_navy_agrees(
        world, as_member):
    plan = in_coordination(world)
    comment = comments_of(plan).get(organization=world.orgs["DON"])
    owner = as_member("EUCOM", AO)
    adjudicated = owner.post(f"/api/v1/comments/{comment.pk}/adjudicate/",
                             {"decision": "partially_accepted", "rationale": "3.a shortened, not removed"},
                             format="json")
    assert adjudicated.status_code == 200, adjudicated.json()
    refused = owner.post(f"/api/v1/campaign-plans/{plan.pk}/transitions/send_to_review/",
                         {"comment": "", "expected_state": "coordination"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["DON's non-concurrence stands: 1 critical comment partially accepted, "
                                         "DON has not agreed."]
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION
    assert as_member("DON", REV).post(f"/api/v1/comments/{comment.pk}/agree/").status_code == 200
    sent = owner.post(f"/api/v1/campaign-plans/{plan.pk}/transitions/send_to_review/",
                      {"comment": "", "expected_state": "coordination"}, format="json")
    assert sent.status_code == 200, sent.json()
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.REVIEW


def test_navys_rejected_critical_comment_lets_only_the_owners_elevation_through_over_the_api(world, as_member):
    plan = in_coordination(world)
    comment = comments_of(plan).get(organization=world.orgs["DON"])
    owner = as_member("EUCOM", AO)
    owner.post(f"/api/v1/comments/{comment.pk}/adjudicate/", {"decision": "rejected", "rationale": "Counted once"},
               format="json")
    refused = owner.post(f"/api/v1/campaign-plans/{plan.pk}/transitions/send_to_review/",
                         {"comment": "", "expected_state": "coordination"}, format="json")
    assert refused.status_code == 409 and "DON's non-concurrence stands" in refused.json()["reasons"][0]
    elevated = as_member("EUCOM", APP).post(f"/api/v1/campaign-plans/{plan.pk}/transitions/elevate/",
                                           {"comment": "Force counts disputed", "expected_state": "coordination"},
                                           format="json")
    assert elevated.status_code == 200, elevated.json()
    plan = CampaignPlan.objects.get(pk=plan.pk)
    assert plan.state == PlanState.REVIEW and plan.elevated


def test_a_suspense_given_on_a_saturday_through_the_api_falls_on_the_monday_and_the_tasker_says_why(
        world, as_member):
    plan = world.ready_plan()
    owner = as_member("EUCOM", AO)
    submitted = owner.post(f"/api/v1/campaign-plans/{plan.pk}/transitions/submit/",
                           {"comment": "", "expected_state": "draft", "suspense": "2027-03-06"}, format="json")
    assert submitted.status_code == 200, submitted.json()
    rows = owner.get(f"/api/v1/taskers/?document_id={plan.pk}&step=coordination").json()["results"]
    assert rows and {row["suspense"] for row in rows} == {"2027-03-08"}
    assert all("moved from Sat 6 Mar to Mon 8 Mar: not a working day" in row["suspense_reason"] for row in rows)


def _mixed_request(rng, world, plan, tokens, base):
    """One client's next request on ``plan`` as its page shows it now, or None if there is
    nothing for it to do."""
    kind = rng.choices(["answer", "adjudicate", "send_to_review", "elevate", "return_for_rework", "approve",
                        "withdraw"], [6, 3, 2, 1, 0.5, 1, 0.02])[0]
    if kind == "answer":
        step = plan.current_step()
        acronym = rng.choice(COORDINATING if step == Step.COORDINATION else REVIEWING)
        tasker = taskers_of(plan, step=step).filter(organization=world.orgs[acronym]).first() if step else None
        if tasker is None:
            return None
        response = rng.choice([Response.CONCUR, Response.CONCUR_WITH_COMMENT]
                              + ([Response.NONCONCUR] * 2 if step == Step.COORDINATION else []))
        comments = {Response.CONCUR: [],
                    Response.CONCUR_WITH_COMMENT: [{"category": "substantive", "text": "Expand 2.c"}],
                    Response.NONCONCUR: [{"category": "critical", "section": "3.a",
                                          "text": f"Remove 3.a ({rng.randint(0, 3)})"}]}[response]
        return kind, tokens[acronym, REV], f"{base}/taskers/{tasker.pk}/respond/", {
            "response": response, "rationale": f"Answer {rng.randint(0, 3)}", "comments": comments}
    if kind == "adjudicate":
        comments = list(comments_of(plan).values_list("pk", flat=True))
        if not comments:
            return None
        return kind, tokens["EUCOM", AO], f"{base}/comments/{rng.choice(comments)}/adjudicate/", {
            "decision": rng.choice(["accepted", "partially_accepted", "rejected"]), "rationale": "Counted once"}
    who = {"send_to_review": ("EUCOM", AO), "elevate": ("EUCOM", APP), "return_for_rework": ("J5", REV),
           "approve": ("EUCOM", APP), "withdraw": ("EUCOM", AO)}[kind]
    return kind, tokens[who], f"{base}/campaign-plans/{plan.pk}/transitions/{kind}/", {
        "comment": "" if kind in ("send_to_review", "approve") else "Force counts disputed",
        "expected_state": plan.state}


@pytest.mark.slow
def test_twenty_clients_mixing_work_over_http_on_a_plan_and_its_neighbours_get_no_server_error(world, live_server):
    owner = world.user("EUCOM", AO)
    plans = [act(world.ready_plan(), "submit", owner).pk for _ in range(4)]
    tokens = {key: _token(world.user(*key)) for key in
              [("EUCOM", AO), ("EUCOM", APP)] + [(a, REV) for a in COORDINATING + REVIEWING]}
    base = f"{live_server.url}/api/v1"
    outcomes: list[tuple[str, int]] = []
    wrong: list = []

    def client(seed, deadline):
        rng = random.Random(seed)
        try:
            with requests.Session() as session:
                while time.monotonic() < deadline:
                    plan = CampaignPlan.objects.get(pk=rng.choice([plans[0]] * 3 + plans[1:]))
                    request = _mixed_request(rng, world, plan, tokens, base)
                    if request is None:
                        continue
                    kind, token, url, body = request
                    answer = session.post(url, json=body, headers={"Authorization": f"Token {token}"}, timeout=120)
                    outcomes.append((kind, answer.status_code))
                    if answer.status_code not in (200, 403, 409) or (
                            answer.status_code != 200 and not answer.json().get("reasons")):
                        wrong.append((kind, answer.status_code, answer.text[:300]))
        except Exception as exc:  # noqa: BLE001 (a client that stopped is a failure too)
            wrong.append(repr(exc))
        finally:
            connection.close()

    deadline = time.monotonic() + MIXED_SECONDS
    clients = [threading.Thread(target=client, args=(seed, deadline)) for seed in range(20)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=MIXED_SECONDS + 120)
    connection.close()
    assert not any(thread.is_alive() for thread in clients)
    assert wrong == [], wrong[:3]
    assert sum(status == 200 for _kind, status in outcomes) >= 10, Counter(outcomes)
    for pk in plans:
        rows = list(comments_of(CampaignPlan.objects.get(pk=pk)).values_list(
            "tasker", "category", "section", "text", "proposed_change"))
        assert len(rows) == len(set(rows)), rows
