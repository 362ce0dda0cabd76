"""Offices through time in what the product SAYS, not only on its pages (DoDD 5132.03 Encl. 2, 3.a
names USD(AT&L), abolished on 1 February 2018; issue #22, point 2): a refused transition, an
actor's refusal, a success message, the diagram's tooltip of a step not tasked yet and the comment
matrix name each office as today's office with the directive's beside it ("USD(A&S), formerly
USD(AT&L)"), whether it was succeeded (a succession row) or renamed (its ``current_acronym``);
the history keeps the name used at the time."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from organizations.models import Organization, Role
from organizations.selectors import organization_labels, predecessors_joined
from organizations.services import organization_update
from planning.services import plan_route_option_set
from workflow.comment_matrix import comment_matrix_read
from workflow.exceptions import InvalidInput, NotPermitted, TransitionRefused
from workflow.models import Response, Route, Step, Tasker
from workflow.selectors import comments_of, history_of, open_taskers
from workflow.services import tasker_respond

from .test_offices_through_time_on_pages import FORMERLY, client_for, succeed_atl, text_of
from .test_plan_workflow import act, answer, critical

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
RND = "USD(R&E), formerly USD(AT&L)"


def _in_coordination(world):
    """A plan whose coordination step names USD(AT&L): its taskers go to USD(A&S) and USD(R&E)."""
    succeed_atl(world)
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    return plan, open_taskers(plan, step=Step.COORDINATION).get(organization=world.orgs["USD(A&S)"])


def test_3a_a_refused_transition_names_the_outstanding_successors_with_the_directives_office(world):
    """DoDD 5132.03 Encl. 2, 3.a (offices through time, issue #22 point 2): the reason coordination
    cannot end names USD(A&S) and USD(R&E) each "formerly USD(AT&L)", in the service, the API's
    words and the admin's message alike; the other offices read as before."""
    plan, _tasker = _in_coordination(world)
    answer(world, plan, "DA", Response.CONCUR)
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "send_to_review", world.user("EUCOM", AO))
    assert f"3 of 4 coordination answers outstanding: DON; {FORMERLY}; {RND}." in refusal.value.reasons
    page = html.unescape(client_for(world.user("EUCOM", AO)).post(
        reverse("admin:planning_campaignplan_transition", args=[plan.pk, "send_to_review"]),
        {"expected_state": "coordination"}, follow=True).content.decode())
    assert f"outstanding: DON; {FORMERLY}; {RND}." in page


def test_3a_a_standing_critical_comment_names_the_successor_with_the_directives_office(world):
    """DoDD 5132.03 Encl. 2, 3.a (offices through time, issue #22 point 2): the critical comment
    that keeps coordination from ending is "from USD(A&S), formerly USD(AT&L)"."""
    plan, tasker = _in_coordination(world)
    tasker_respond(tasker=tasker, by=world.user("USD(A&S)", REV), response=Response.NONCONCUR,
                   rationale="Logistics not integrated", comments=critical())
    with pytest.raises(TransitionRefused) as refusal:
        act(plan, "send_to_review", world.user("EUCOM", AO))
    assert f"1 critical comment from {FORMERLY} not adjudicated." in refusal.value.reasons


def test_3a_who_may_answer_is_said_with_todays_office_and_the_directives_beside_it(world):
    """DoDD 5132.03 Encl. 2, 3.a (offices through time, issue #22 point 2): a reviewer of another
    office trying the USD(A&S) tasker is told who may, by today's name and the directive's."""
    _plan, tasker = _in_coordination(world)
    with pytest.raises(NotPermitted) as refusal:
        tasker_respond(tasker=tasker, by=world.user("DA", REV), response=Response.CONCUR)
    assert f"designated as a coordinator of {FORMERLY} may do this." in str(refusal.value)


def test_3a_the_success_messages_of_an_answer_name_the_successor_with_the_directives_office(world):
    """DoDD 5132.03 Encl. 2, 3.a (offices through time, issue #22 point 2): acknowledging and
    answering the USD(A&S) tasker from the page says so by today's name and the directive's; the
    history keeps the acronym it was written with."""
    plan, tasker = _in_coordination(world)
    reviewer = client_for(world.user("USD(A&S)", REV))
    done = text_of(reviewer.post(reverse("admin:planning_campaignplan_acknowledge", args=[plan.pk, tasker.pk]),
                                 follow=True))
    assert f"Tasker acknowledged for {FORMERLY}." in done
    done = text_of(reviewer.post(reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk]), {
        "response": "concur", "rationale": "", "comments-TOTAL_FORMS": "1", "comments-INITIAL_FORMS": "0"},
        follow=True))
    assert f"Answer recorded for {FORMERLY}." in done
    assert history_of(plan).get(action="tasker_answered").description == "USD(A&S) answered concur"


def test_3a_a_step_renamed_by_its_current_acronym_only_says_formerly_in_the_tooltip_before_it_is_tasked(world):
    """DoDD 5132.03 Encl. 2, 3.a (offices through time, issue #22 point 2): an office renamed by its
    ``current_acronym`` alone (no succession row) reads "X, formerly Y" on the diagram of a draft
    whose route is chosen and not tasked yet, as it does once tasked, and on the help page."""
    organization_update(organization=world.orgs["USD(AT&L)"], data={"current_acronym": "USD(A&S)"})
    plan = world.ready_plan()
    route = Route.objects.get(document_kind="campaign_plan", is_default=False)
    plan_route_option_set(plan=plan, by=world.user("USD(P)", AO), route=route)
    assert not Tasker.objects.filter(object_id=plan.pk).exists()
    page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:planning_campaignplan_change", args=[plan.pk])))
    tooltips = [t for t in re.findall(r"<title>([^<]*)</title>", page) if "Coordination: " in t]
    assert tooltips and f"Coordination: {FORMERLY}" in tooltips[0]
    help_page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:workflow_help", args=["planning", "campaignplan"])))
    assert f"Coordination: {FORMERLY}" in help_page


def test_3a_a_designated_office_renamed_by_its_current_acronym_says_formerly_on_the_help_page(world):
    """DoDD 5132.03 Encl. 2, 9.b (the Chairman's review through the Joint Staff J5; offices
    through time, issue #22 point 2): the office holding a designation is named by today's name
    with the directive's beside it in the route's table and tooltips."""
    organization_update(organization=world.orgs["J5"], data={"current_acronym": "J-5"})
    page = text_of(client_for(world.user("EUCOM", AO)).get(
        reverse("admin:workflow_help", args=["planning", "campaignplan"])))
    assert "Review: the Joint Staff office (J5) (J-5, formerly J5)" in page


def test_3a_the_comment_matrix_names_the_office_today_beside_the_acronym_and_imports_back(world):
    """DoDD 5132.03 Encl. 2, 3.a (offices through time, issue #22 point 2): the exported matrix
    keeps the acronym the import reads and adds "Office today" (read-only, skipped by the
    import); the file comes back as the same comments for the same office's answer."""
    plan, tasker = _in_coordination(world)
    tasker_respond(tasker=tasker, by=world.user("USD(A&S)", REV), response=Response.NONCONCUR,
                   rationale="Logistics not integrated", comments=critical())
    content = client_for(world.user("EUCOM", AO)).get(
        reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk])).content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[3]]
    row = dict(zip(header, next(sheet.iter_rows(min_row=4, values_only=True)), strict=True))
    assert (row["Organization"], row["Office today"]) == ("USD(A&S)", FORMERLY)
    assert row["Where it stands"] == "Not adjudicated: coordination cannot end until it is."
    imported = comment_matrix_read(file=SimpleUploadedFile("matrix.xlsx", content),
                                   organization=world.orgs["USD(A&S)"])
    [comment] = comments_of(plan)
    assert [(c["category"], c["section"], c["text"], c["proposed_change"]) for c in imported] == [
        (comment.category, comment.section, comment.text, comment.proposed_change)]
    with pytest.raises(InvalidInput) as refusal:  # another office's answer: the row is named
        comment_matrix_read(file=SimpleUploadedFile("matrix.xlsx", content), organization=world.orgs["USD(R&E)"])
    assert f"the comment is from USD(A&S); this answer is for {RND}." in " ".join(refusal.value.reasons)


def test_3a_a_matrix_naming_the_office_by_its_name_today_imports_for_it(world):
    """Offices through time (issue #22 point 2): a matrix kept by staff who write the office's
    acronym of today ("USD(I&S)" for the directive's USD(I)) is read as that office's."""
    office = Organization.objects.create(acronym="USD(I)", name="USD(I) (test)", kind="osd_psa",
                                         current_acronym="USD(I&S)")
    workbook = openpyxl.Workbook()
    workbook.active.append(["#", "Organization", "Category", "Comment"])
    workbook.active.append([1, "USD(I&S)", "S", "Name the intelligence annex"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    [row] = comment_matrix_read(file=SimpleUploadedFile("m.xlsx", buffer.getvalue()), organization=office)
    assert row["text"] == "Name the intelligence annex"


def test_3a_many_offices_are_labelled_in_one_query_and_rows_read_with_their_predecessors_in_none(world,
                                                                                              django_assert_num_queries):
    """Offices through time (issue #22 point 2): a sentence naming many offices reads their labels
    once; offices read with ``predecessors_joined`` need no query at all."""
    from organizations.selectors import labels_in_words

    succeed_atl(world)
    offices = [world.orgs[a] for a in ("DA", "DON", "USD(A&S)", "USD(R&E)")]
    with django_assert_num_queries(1):
        labels = organization_labels(offices)
    assert labels_in_words(sorted(labels.values())) == f"DA; DON; {FORMERLY}; {RND}"
    read = list(Organization.objects.filter(pk__in=[o.pk for o in offices]).annotate(formerly=predecessors_joined()))
    with django_assert_num_queries(0):
        assert set(organization_labels(read).values()) == set(labels.values())
