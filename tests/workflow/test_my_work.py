"""My work (``workflow.inbox``): who finds what in their inbox, computed from the engine's
taskers and transitions, never a document they may not see, in queries that do not grow with
what they hold; and the admin page that shows it, its header link and its filters."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organizations.models import Designation
from planning.models import CampaignPlan, PlanState
from planning.services import plan_new_version
from tests.workflow.kindapp.models import KIND, Proposal
from workflow.calendar import add_working_days
from workflow.inbox import due_words, my_work, my_work_count
from workflow.models import Decision, Response, Route, RouteStep, Step, Tasker
from workflow.registry import cleared_documents_q, registered_documents
from workflow.selectors import comments_of, taskers_of
from workflow.services import comment_adjudicate, transition_perform

from .helpers import AO, APP, REV, act, answer, critical, in_coordination, to_review

SECRET = {"classification": "S", "classified_by": "Training authority", "derived_from": "Training source",
          "declassify_on": "20501231"}


def rows(user, **filters) -> list[tuple[str, str, tuple[str, ...], str]]:
    """(what, title, actions, organization) of each item of ``user``'s My work."""
    return [(item.what, item.title, tuple(item.actions), item.organization)
            for item in my_work(user, **filters).items]


def titled(plan) -> str:
    return CampaignPlan.objects.get(pk=plan.pk).title


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- who finds what -----------------------------------------------------------------------------

def test_a_designated_coordinator_finds_their_coordination_tasker_and_an_action_officer_there_does_not(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    coordinator = world.user("DA", REV)
    items = my_work(coordinator).items
    assert [(i.what, i.title, i.step, i.actions, i.organization) for i in items] == [
        ("answer", titled(plan), "Coordination", ["Answer"], "DA")]
    tasker = taskers_of(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    assert items[0].tasker_id == tasker.pk and items[0].due == tasker.suspense
    assert items[0].url == reverse("admin:planning_campaignplan_change", args=[plan.pk]) + "#workflow-state"
    # A reviewer not designated as a coordinator, and an action officer, may not answer for DA.
    assert rows(world.user("DA", AO)) == []
    assert rows(world.user("DON", REV, coordinator=False)) == []
    assert my_work_count(coordinator) == 1 and my_work_count(world.user("DA", AO)) == 0


def test_a_tasker_assigned_to_someone_is_theirs_even_outside_their_role(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    officer = world.user("DA", AO)
    Tasker.objects.filter(object_id=plan.pk, organization=world.orgs["DA"]).update(assignee=officer)
    assert [row[0] for row in rows(officer)] == ["answer"]


def test_the_owner_finds_comments_to_adjudicate_then_send_to_review_and_the_approver_elevate(world):
    plan = in_coordination(world)
    officer, approver = world.user("EUCOM", AO), world.user("EUCOM", APP)
    assert rows(officer) == [("adjudicate", titled(plan), ("Adjudicate 1 comment",), "EUCOM")]
    # The approver may also elevate DON's non-concurrence: every answer is in.
    assert rows(approver) == [("decide", titled(plan), ("Adjudicate 1 comment", "Elevate non-concurrence to review"),
                               "EUCOM")]
    comment = comments_of(plan).get()
    comment_adjudicate(comment=comment, by=officer, decision=Decision.ACCEPTED, rationale="")
    assert rows(officer) == [("decide", titled(plan), ("Send to review",), "EUCOM")]
    assert my_work(officer).items[0].url.endswith("#workflow-state")
    act(plan, "send_to_review", officer)
    assert rows(officer) == []  # in review: only withdraw is left to the owner, which makes no item


def test_a_reviewer_answers_then_the_approver_finds_the_approval_with_approve_on_the_same_row(world):
    plan = to_review(world, world.ready_plan())
    assert [r[:3] for r in rows(world.user("J5", REV))] == [("answer", titled(plan), ("Answer",))]
    answer(world, plan, "J5", Response.CONCUR, step=Step.REVIEW)
    answer(world, plan, "USD(P)", Response.CONCUR, step=Step.REVIEW)
    assert rows(world.user("J5", REV)) == []
    approver = world.user("EUCOM", APP)
    assert rows(approver) == [("answer", titled(plan), ("Approval", "Approve"), "EUCOM")]
    act(plan, "approve", approver)
    assert rows(approver) == [] and rows(world.user("EUCOM", AO)) == []


def test_a_draft_ready_to_submit_is_work_an_incomplete_one_is_not(world):
    ready = world.ready_plan()
    incomplete = world.ready_plan()
    incomplete.objectives.all().delete()
    CampaignPlan.objects.filter(pk=incomplete.pk).update(title="An incomplete draft")
    officer = world.user("EUCOM", AO)
    assert rows(officer) == [("decide", titled(ready), ("Submit for coordination",), "EUCOM")]
    assert rows(world.user("EUCOM", REV)) == []  # a reviewer of the owner does not submit
    assert titled(incomplete) not in [row[1] for row in rows(officer)]


def test_a_returned_plan_offers_a_new_version_until_one_is_started(world):
    plan = to_review(world, world.ready_plan())
    act(plan, "return_for_rework", world.user("J5", REV), comment="Rework the resources annex")
    officer = world.user("EUCOM", AO)
    assert rows(officer) == [("decide", titled(plan), ("Start a new version",), "EUCOM")]
    new = plan_new_version(plan=CampaignPlan.objects.get(pk=plan.pk), by=officer)
    assert rows(officer) == [("decide", new.title, ("Submit for coordination",), "EUCOM")]
    assert my_work(officer).items[0].document_id == new.pk


def _rows_read(queries) -> dict[str, set[int]]:
    """The documents whose taskers and comments My work read in full ("taskers", "comments"):
    the reads that carry each row's office with its predecessors."""
    read = {"taskers": set(), "comments": set()}
    for query in queries:
        sql = query["sql"]
        if 'AS "organization_formerly"' not in sql:
            continue
        table = "comments" if 'FROM "workflow_comment"' in sql else "taskers"
        for ids in re.findall(r'"object_id" IN \(([^)]*)\)', sql):
            read[table] |= {int(pk) for pk in ids.split(",")}
    return read


def test_my_work_reads_the_taskers_and_comments_only_of_documents_whose_rules_ask_for_them(world):
    """Each candidate is first asked without its taskers and comments: a returned plan (its way
    forward asks for neither), a draft ready to submit, a plan in review (the owner's officer
    adjudicates its comments, counted, not read) and a plan in coordination still waiting for an
    answer (its open taskers counted with it: it may not go to review, whatever its comments) make
    their items, or none, without them. Only a plan whose rules ask (sending a plan in
    coordination to review once every answer is in: its comments) has them read, once, with
    those of every such plan."""
    officer = world.user("EUCOM", AO)
    returned = to_review(world, world.ready_plan())
    act(returned, "return_for_rework", world.user("J5", REV), comment="Rework the resources annex")
    in_review = to_review(world, world.ready_plan())
    coordinating = in_coordination(world)
    comment_adjudicate(comment=comments_of(coordinating).get(), by=officer, decision=Decision.ACCEPTED, rationale="")
    pending = in_coordination(world)  # its critical comment awaits the officer
    waiting = act(world.ready_plan(), "submit", officer)
    answer(world, waiting, "DA", Response.CONCUR)  # DON and USD(AT&L) have not answered
    draft = world.ready_plan()
    def actions_by_plan() -> dict[int, tuple[str, ...]]:
        # By id: every plan here has the same title.
        return {item.document_id: tuple(item.actions) for item in my_work(officer).items}

    with CaptureQueriesContext(connection) as context:
        found = actions_by_plan()
    assert found == {returned.pk: ("Start a new version",), coordinating.pk: ("Send to review",),
                     pending.pk: ("Adjudicate 1 comment",), draft.pk: ("Submit for coordination",)}
    read = _rows_read(context.captured_queries)
    assert read == {"taskers": {coordinating.pk, pending.pk}, "comments": {coordinating.pk, pending.pk}}, read
    assert in_review.pk not in read["taskers"] | read["comments"]
    assert waiting.pk not in found and waiting.pk not in read["taskers"] | read["comments"]
    # Its last answers in, the same plan may go to review, and now its comments are read.
    answer(world, waiting, "DON", Response.CONCUR)
    answer(world, waiting, "USD(AT&L)", Response.CONCUR)
    with CaptureQueriesContext(connection) as context:
        assert actions_by_plan()[waiting.pk] == ("Send to review",)
    assert waiting.pk in _rows_read(context.captured_queries)["comments"]


# --- need-to-know and switched-off accounts -------------------------------------------------------

def test_never_an_item_for_a_document_the_person_may_not_see(world):
    plan = in_coordination(world)
    other = act(world.ready_plan(owner="CENTCOM", partners=("IL",)), "submit", world.user("CENTCOM", AO))
    assert titled(other) not in [row[1] for row in rows(world.user("EUCOM", AO))]
    assert titled(plan) not in [row[1] for row in rows(world.user("CENTCOM", AO))]
    assert [row[1] for row in rows(world.user("DA", REV))] == [titled(other)]  # DA answered EUCOM's already
    # Marked SECRET: neither the tasked coordinator nor the owner's officer (cleared for nothing) is shown it.
    CampaignPlan.objects.filter(pk=other.pk).update(**SECRET)
    assert rows(world.user("DA", REV)) == [] and my_work_count(world.user("DA", REV)) == 0
    CampaignPlan.objects.filter(pk=plan.pk).update(**SECRET)
    assert rows(world.user("EUCOM", AO)) == []


def test_a_switched_off_account_sees_nothing(world):
    plan = in_coordination(world)
    officer = world.user("EUCOM", AO)
    assert rows(officer)
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    work = my_work(officer)
    assert (work.items, work.count) == ([], 0) and my_work_count(officer) == 0
    assert rows(world.user("EUCOM", APP))[0][1] == titled(plan)  # the work is still there for the others


# --- a kind the inbox has never heard of ---------------------------------------------------------

@pytest.fixture
def proposals(world):
    """The engine's made-up kind (tests/workflow/kindapp): DA and DON coordinate, the policy office approves."""
    route = Route.objects.create(document_kind=KIND, name="Proposals")
    RouteStep.objects.create(route=route, step=Step.COORDINATION, organization=world.orgs["DA"], position=1)
    RouteStep.objects.create(route=route, step=Step.COORDINATION, organization=world.orgs["DON"], position=2)
    RouteStep.objects.create(route=route, step=Step.APPROVAL, designation=Designation.POLICY_OFFICE, position=3)
    return world


def test_a_new_kind_of_document_appears_with_no_change_to_the_inbox(proposals):
    world = proposals
    proposal = Proposal.objects.create(title="Share the exercise calendar", owner=world.orgs["EUCOM"])
    officer = world.user("EUCOM", AO)
    assert rows(officer) == [("decide", "Share the exercise calendar", ("Submit",), "EUCOM")]
    assert my_work(officer, kind=KIND).count == 1 and my_work(officer, kind="campaign_plan").count == 0
    transition_perform(document=proposal, name="submit", by=officer)
    assert rows(officer) == []  # waiting for the answers (send back only: destructive)
    for acronym in ("DA", "DON"):
        coordinator = world.user(acronym, REV)
        assert [(r[0], r[2]) for r in rows(coordinator)] == [("answer", ("Answer",))]
        tasker = taskers_of(proposal, step=Step.COORDINATION).get(organization=world.orgs[acronym])
        from workflow.services import tasker_respond

        tasker_respond(tasker=tasker, by=coordinator, response=Response.CONCUR)
    assert rows(officer) == [("decide", "Share the exercise calendar", ("Send for approval",), "EUCOM")]
    transition_perform(document=Proposal.objects.get(pk=proposal.pk), name="send_for_approval", by=officer)
    assert rows(world.user("USD(P)", APP)) == [("answer", "Share the exercise calendar", ("Approval", "Approve"),
                                                 "USD(P)")]


# --- suspense in words, filters, sorting ---------------------------------------------------------

def test_the_suspense_is_said_in_words_as_well_as_colour(db):
    today = datetime.date(2026, 11, 30)  # a Monday
    assert due_words(datetime.date(2026, 11, 27), today=today) == ("overdue", "Overdue 3 days")
    assert due_words(datetime.date(2026, 11, 29), today=today) == ("overdue", "Overdue 1 day")
    assert due_words(today, today=today) == ("due_soon", "Due today")
    assert due_words(datetime.date(2026, 12, 2), today=today) == ("due_soon", "Due in 2 working days")
    # Friday to Monday over a weekend: one working day.
    assert due_words(datetime.date(2026, 12, 7), today=datetime.date(2026, 12, 4)) == ("due_soon",
                                                                                      "Due in 1 working day")
    assert due_words(datetime.date(2026, 12, 21), today=today) == ("on_track", "Due in 15 working days")
    assert due_words(None, today=today) == ("none", "No suspense")


def test_filters_by_kind_organization_and_due_state_and_sorts(world):
    first = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    second = act(world.ready_plan(owner="CENTCOM", partners=("IL",)), "submit", world.user("CENTCOM", AO))
    CampaignPlan.objects.filter(pk=second.pk).update(title="A CENTCOM plan")
    today = timezone.localdate()
    Tasker.objects.filter(object_id=first.pk, organization=world.orgs["DA"]).update(
        suspense=today - datetime.timedelta(days=3), document_title="Z EUCOM plan")
    Tasker.objects.filter(object_id=second.pk, organization=world.orgs["DA"]).update(
        suspense=add_working_days(today, 10), document_title="A CENTCOM plan")
    da = world.user("DA", REV)
    assert [i.title for i in my_work(da).items] == ["Z EUCOM plan", "A CENTCOM plan"]  # soonest first
    assert [i.title for i in my_work(da, sort="-due").items] == ["A CENTCOM plan", "Z EUCOM plan"]
    assert [i.title for i in my_work(da, sort="document").items] == ["A CENTCOM plan", "Z EUCOM plan"]
    overdue = my_work(da, due="overdue")
    assert [(i.title, i.due_state, i.due_words) for i in overdue.items] == [("Z EUCOM plan", "overdue",
                                                                             "Overdue 3 days")]
    assert [i.title for i in my_work(da, due="on_track").items] == ["A CENTCOM plan"]
    assert my_work(da, due="due_soon").items == [] and my_work(da, kind="assessment").items == []
    assert my_work(da, organization=world.orgs["DON"].pk).items == []
    assert my_work(da, organization=world.orgs["DA"].pk).count == 2


def test_pages_hold_every_item_once_in_order(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    content_type = ContentType.objects.get_for_model(CampaignPlan)
    Tasker.objects.bulk_create([
        Tasker(content_type=content_type, object_id=plan.pk, step=Step.COORDINATION, organization=world.orgs["DA"],
               suspense=datetime.date(2030, 1, 1) + datetime.timedelta(days=i % 4), document_title=f"Plan {i:02}")
        for i in range(11)])
    da = world.user("DA", REV)
    everything = [i.tasker_id for i in my_work(da, per_page=100).items]
    pages = [my_work(da, page=n, per_page=4) for n in (1, 2, 3)]
    assert [p.pages for p in pages] == [3, 3, 3] and {p.count for p in pages} == {12}
    assert [i.tasker_id for p in pages for i in p.items] == everything


def test_an_office_with_more_taskers_than_anyone_pages_through_is_counted_only_as_far_as_it_is_read(world):
    """Issue #24 (a million documents): an office holding many open taskers is counted up to five
    pages past the one shown, and the header's badge up to 99 ("99+"), so every page of the site
    costs the same whatever the office holds; the count says so in words on the page and in the API."""
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    content_type = ContentType.objects.get_for_model(CampaignPlan)
    Tasker.objects.bulk_create([
        Tasker(content_type=content_type, object_id=plan.pk, step=Step.COORDINATION, organization=world.orgs["DA"],
               suspense=datetime.date(2030, 1, 1) + datetime.timedelta(days=i), document_title=f"Plan {i:03}")
        for i in range(260)])  # with the submitted plan's own tasker: 261
    da = world.user("DA", REV)
    first = my_work(da)  # 50 a page
    assert (first.count, first.count_exact, first.pages, len(first.items)) == (250, False, 5, 50)
    fifth = my_work(da, page=5)  # counts on to page 9: all 261 are counted
    assert (fifth.count, fifth.count_exact, fifth.pages, len(fifth.items)) == (261, True, 6, 50)
    sixth = my_work(da, page=6)
    assert len(sixth.items) == 11 and {i.tasker_id for i in sixth.items}.isdisjoint(
        {i.tasker_id for i in fifth.items})
    assert my_work_count(da) == 100  # 99 and more
    with CaptureQueriesContext(connection) as context:
        my_work(da)
    counts = [q["sql"] for q in context.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 251" in counts[0], counts  # it stops reading at 251 rows

    client = client_for(da)
    html = client.get(reverse("admin:my_work")).content.decode()
    assert re.search(r'<strong id="my-work-count">More than 250 items</strong>', html)
    assert re.search(r"Page 1 of more than 5\s", html)
    link = re.search(r'<a id="my-work-link" href="[^"]+">(.*?)</a>', html, flags=re.S).group(1)
    assert re.sub(r"<[^>]+>", "", link) == "My work 99+ (more than 99) open taskers"
    answer_ = client.get("/api/v1/my-work/").json()
    assert (answer_["count"], answer_["count_exact"], answer_["pages"]) == (250, False, 5)
    assert client.get("/api/v1/my-work/", {"page": 5}).json()["count_exact"] is True


# --- the page, its header link and its cost ----------------------------------------------------

def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return sum(1 for q in context.captured_queries if "SAVEPOINT" not in q["sql"]), response.content.decode()


def test_every_admin_page_links_my_work_with_the_count_of_open_taskers(world):
    act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    html = client_for(world.user("DA", REV)).get(reverse("admin:index")).content.decode()
    link = re.search(r'<a id="my-work-link" href="([^"]+)">(.*?)</a>', html, flags=re.S)
    assert link and link.group(1) == reverse("admin:my_work")
    assert re.sub(r"<[^>]+>", "", link.group(2)) == "My work 1 open tasker"
    html = client_for(world.user("DA", AO)).get(reverse("admin:index")).content.decode()
    assert '<a id="my-work-link" href="/admin/my-work/">My work</a>' in html  # nothing waits: no count


def test_the_page_shows_each_item_with_its_document_step_stoplight_in_words_and_organization(world):
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    Tasker.objects.filter(object_id=plan.pk, organization=world.orgs["DA"]).update(
        suspense=timezone.localdate() - datetime.timedelta(days=2))
    html = client_for(world.user("DA", REV)).get(reverse("admin:my_work")).content.decode()
    row = re.search(r'<tr class="wf-due-overdue">(.*?)</tr>', html, flags=re.S).group(1)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                                              row, flags=re.S)]
    assert cells[0].startswith("Overdue 2 days")
    assert cells[1:] == [titled(plan), "Campaign plan", "Coordination", "Answer", "DA"]
    assert f'href="{reverse("admin:planning_campaignplan_change", args=[plan.pk])}#workflow-state"' in row
    filtered = client_for(world.user("DA", REV)).get(reverse("admin:my_work"), {"due": "on_track"}).content.decode()
    assert "Nothing matches these filters." in filtered


def _owner_world(world, plans: int):
    """``plans`` plans waiting for the EUCOM officer (comments to adjudicate), one returned, drafts."""
    for _ in range(plans):
        in_coordination(world)
        world.ready_plan()
    returned = to_review(world, world.ready_plan())
    act(returned, "return_for_rework", world.user("J5", REV), comment="Rework")


@pytest.mark.parametrize("who", [("EUCOM", AO), ("DA", REV)])
def test_my_work_takes_at_most_fifteen_queries_whatever_the_person_holds(world, who):
    counts = []
    for plans in (1, 4):
        _owner_world(world, plans)
        if who == ("DA", REV):
            for plan in CampaignPlan.objects.filter(state=PlanState.DRAFT):
                act(plan, "submit", world.user("EUCOM", AO))
        count, html = _queries(client_for(world.user(*who)), reverse("admin:my_work"))
        assert 'id="my-work"' in html
        counts.append(count)
    assert counts[0] == counts[1] and counts[0] <= 15, counts


def test_the_header_count_is_one_query_once_per_request(world):
    from organizations.selectors import acting_roles
    from runtime.request_memo import RequestCacheMiddleware

    act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    user = world.user("DA", REV)

    def page(_request):
        acting_roles(user)  # what every page reads first, once
        ContentType.objects.get_for_models(*registered_documents())  # cached for the process's life
        cleared_documents_q(user)  # the clearance: read with the user when a request signs them in
        with CaptureQueriesContext(connection) as context:
            counted = [my_work_count(user), my_work_count(user), my_work_count(user)]
        assert len(context.captured_queries) == 1, [q["sql"][:200] for q in context.captured_queries]
        return counted

    assert RequestCacheMiddleware(page)(None) == [1, 1, 1]


def test_a_plan_with_critical_comments_waits_for_the_owner_not_for_the_commenter(world):
    plan = in_coordination(world, nonconcur_comments=critical() + critical("Second", "4.b"))
    assert rows(world.user("EUCOM", AO))[0][2] == ("Adjudicate 2 comments",)
    assert rows(world.user("DON", REV)) == []
    assert [row[1] for row in rows(world.user("EUCOM", APP))] == [titled(plan)]
