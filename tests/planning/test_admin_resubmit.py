"""A form of the plan's admin page submitted twice (a double click, or the browser's back button
and submit again) acts once: every action form carries a one-time token, and the second
submission shows the first outcome instead of acting again or refusing in words that suggest
something went wrong."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from planning.models import CampaignPlan, PlanState
from tests.concurrency import at_once
from workflow.models import IdempotencyKey, Response
from workflow.selectors import comments_of, history_of, open_taskers
from workflow.services import transition_perform

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
ONE_COMMENT_ROW = {"comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0"}  # the answer form's rows


class _Forms(HTMLParser):
    """The POST forms of a page: action -> the values of their hidden inputs."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = self.forms.setdefault(attrs.get("action") or "", {})
        elif tag == "input" and self._current is not None and attrs.get("type") == "hidden":
            self._current[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_on(client, plan) -> dict[str, dict[str, str]]:
    page = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk]))
    assert page.status_code == 200
    parser = _Forms()
    parser.feed(page.content.decode())
    return parser.forms


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    """The messages the page a POST redirected to showed (post with ``follow=True``)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_same_answer_form_submitted_twice_records_one_answer_and_says_it_was_already_submitted(world):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = open_taskers(plan).get(organization=world.orgs["DON"])
    navy = client_for(world.user("DON", REV))
    url = reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk])
    hidden = forms_on(navy, plan)[url]
    answer = {**hidden, "response": "nonconcur", "rationale": "Double-counted", **ONE_COMMENT_ROW, "comments-0-category": "critical",
              "comments-0-section": "3.a", "comments-0-text": "Remove 3.a", "comments-0-proposed_change": "Delete"}

    first = navy.post(url, answer, follow=True)
    again = navy.post(url, answer, follow=True)

    assert messages_of(first) == ["Answer recorded for DON."]
    assert again.redirect_chain == first.redirect_chain == [(reverse("admin:planning_campaignplan_change",
                                                                     args=[plan.pk]), 302)]
    assert messages_of(again) == ["This was already submitted: Answer recorded for DON."]
    assert comments_of(plan).count() == 1
    assert history_of(plan).filter(action="tasker_answered").count() == 1
    tasker.refresh_from_db()
    assert tasker.response == Response.NONCONCUR


def test_a_transition_form_submitted_twice_makes_one_transition_and_shows_the_first_outcome(world):
    plan = world.ready_plan()
    owner = client_for(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"])
    form = {**forms_on(owner, plan)[url], "comment": "For coordination"}
    assert form["form_token"] and form["expected_state"] == "draft"

    first = owner.post(url, form, follow=True)
    again = owner.post(url, form, follow=True)

    done = "Done: Submit for coordination. The campaign plan is now in coordination."
    assert messages_of(first) == [done]
    assert messages_of(again) == [f"This was already submitted: {done}"]  # not "Not possible while …"
    assert f"This was already submitted: {done}" in again.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.COORDINATION
    assert history_of(plan).filter(action="submit").count() == 1


def test_every_action_form_of_the_page_carries_its_own_token(world):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    navy = client_for(world.user("DON", REV))
    tasker = open_taskers(plan).get(organization=world.orgs["DON"])
    navy.post(reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk]), {
        "response": "nonconcur", "rationale": "Double-counted", **ONE_COMMENT_ROW, "comments-0-category": "critical",
        "comments-0-text": "Remove 3.a"})
    forms = forms_on(client_for(world.user("EUCOM", AO)), plan)
    actions = [action for action in forms if "/transition/" in action or "/adjudications-draft/" in action]
    assert any("/adjudications-draft/" in action for action in actions) and any("/transition/" in a for a in actions)
    tokens = [forms[action].get("form_token") for action in actions]
    assert all(tokens) and len(set(tokens)) == len(tokens)
    respond_url = reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk])
    assert forms_on(navy, plan)[respond_url]["form_token"] != forms_on(navy, plan)[respond_url]["form_token"]


def test_a_refused_submission_is_not_kept_so_the_same_form_can_be_sent_again(world):
    plan = world.ready_plan()
    owner = client_for(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "withdraw"])
    stale = {"form_token": "a-form-drawn-earlier", "expected_state": "coordination", "comment": "Overtaken",
             "confirmed": "yes"}

    refused = owner.post(url, stale, follow=True)

    assert any("Someone else changed this campaign plan" in m for m in messages_of(refused))
    assert not IdempotencyKey.objects.exists()
    CampaignPlan.objects.filter(pk=plan.pk).update(state=PlanState.COORDINATION)
    withdrawn = owner.post(url, stale, follow=True)
    assert [m for m in messages_of(withdrawn) if m.startswith("Done")] and not any(
        m.startswith("This was already submitted") for m in messages_of(withdrawn))
    assert CampaignPlan.objects.get(pk=plan.pk).state == PlanState.WITHDRAWN


def test_the_same_token_with_other_values_changes_nothing_and_says_so(world):
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = open_taskers(plan).get(organization=world.orgs["DA"])
    army = client_for(world.user("DA", REV))
    url = reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk])
    token = forms_on(army, plan)[url]["form_token"]
    army.post(url, {"form_token": token, "response": "concur", "rationale": "Fine"}, follow=True)

    edited = army.post(url, {"form_token": token, "response": "concur", "rationale": "Fine, after all"}, follow=True)

    said = messages_of(edited)
    assert said[0].startswith("This form was already submitted with other values; nothing was changed")
    assert said[1] == "This was already submitted: Answer recorded for DA."
    tasker.refresh_from_db()
    assert tasker.rationale == "Fine"
    assert history_of(plan).filter(action="tasker_answered").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_a_transition_button_makes_one_transition(world):
    plan = world.ready_plan()
    user = world.user("EUCOM", AO)
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"])
    form = {**forms_on(client_for(user), plan)[url], "comment": ""}

    said = at_once(2, lambda: messages_of(client_for(user).post(url, form)), timeout=30)

    done = "Done: Submit for coordination. The campaign plan is now in coordination."
    assert sorted(said) == [[done], [f"This was already submitted: {done}"]]
    assert history_of(plan).filter(action="submit").count() == 1
