"""Answering the same tasker with the same content twice is one answer: one answer, one set of
comments, one history entry, whether the repetition comes later or at the same instant."""

from __future__ import annotations

import pytest

from tests.concurrency import at_once
from workflow.models import Comment, Response
from workflow.selectors import comments_of, history_of, taskers_of
from workflow.services import tasker_respond

from .helpers import AO, REV, act, answer, critical


def nonconcur(world, plan):
    return answer(world, plan, "DON", Response.NONCONCUR, rationale="Navy assets double-counted",
                  comments=critical())


def test_the_same_nonconcur_sent_twice_is_one_answer(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    first = nonconcur(world, plan)
    again = nonconcur(world, plan)
    assert again.answered_at == first.answered_at
    assert comments_of(plan).count() == 1
    assert history_of(plan).filter(action="tasker_answered").count() == 1


def test_a_changed_answer_is_recorded_and_a_comment_already_recorded_is_not_repeated(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    nonconcur(world, plan)
    answer(world, plan, "DON", Response.NONCONCUR, rationale="Navy assets double-counted",
           comments=critical() + critical("Recount 4.b", "4.b"))
    assert sorted(comments_of(plan).values_list("text", flat=True)) == ["Recount 4.b",
                                                                        "Remove the air defense objective"]
    answer(world, plan, "DON", Response.NONCONCUR, rationale="Navy assets double-counted twice",
           comments=critical())
    tasker = taskers_of(plan).get(organization=world.orgs["DON"])
    assert tasker.rationale == "Navy assets double-counted twice"
    assert comments_of(plan).count() == 2
    assert [h.description for h in history_of(plan).filter(action="tasker_answered")] == [
        "DON answered non-concur with 1 comment", "DON changed its answer to non-concur with 1 comment",
        "DON changed its answer to non-concur"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_nonconcurs_at_the_same_instant_are_one_answer(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasker = taskers_of(plan).get(organization=world.orgs["DON"])
    user = world.user("DON", REV)

    def send():
        tasker_respond(tasker=tasker, by=user, response=Response.NONCONCUR, rationale="Navy assets double-counted",
                       comments=critical())
        return "answered"

    outcomes = at_once(20, send)
    assert [o if isinstance(o, str) else repr(o) for o in outcomes] == ["answered"] * 20
    assert Comment.objects.filter(tasker=tasker).count() == 1
    assert history_of(plan).filter(action="tasker_answered").count() == 1
    assert taskers_of(plan).get(pk=tasker.pk).response == Response.NONCONCUR
