"""Answers as the staff work them, on the plan's page: any number of comments with their
references, nothing typed lost when the engine refuses, drafts kept for their author only, the
comment matrix imported from a spreadsheet, and adjudicated row by row without losing one's place."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from organizations.models import Role
from planning.models import CampaignPlan
from workflow.comment_matrix import MAX_ROWS, comment_matrix_read
from workflow.exceptions import InvalidInput, NotPermitted
from workflow.models import Comment, FormDraft, Response, TaskerState
from workflow.selectors import comments_of, form_drafts_of, history_of, open_taskers
from workflow.services import form_draft_save, tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(plan):
    return reverse("admin:planning_campaignplan_change", args=[plan.pk])


def respond_url(plan, tasker):
    return reverse("admin:planning_campaignplan_respond", args=[plan.pk, tasker.pk])


def rows(*comments, extra: int = 0) -> dict:
    """The answer form's comment rows as a browser posts them."""
    data = {"comments-TOTAL_FORMS": str(len(comments) + extra), "comments-INITIAL_FORMS": "0"}
    for index, comment in enumerate(comments):
        data.update({f"comments-{index}-{name}": value for name, value in comment.items()})
    return data


def field_value(html: str, name: str) -> str:
    """The value an input or textarea of the page shows."""
    found = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\s*(.*?)</textarea>', html, re.S)
    if found:
        return found.group(1)
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return found.group(1) if found else ""


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return option.group(1) if option else ""


@pytest.fixture
def plan(world):
    return transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))


def tasker_of(plan, acronym):
    return open_taskers(plan).get(organization__acronym=acronym)


CRITICAL = {"category": "critical", "page": "12", "paragraph": "3.b", "line": "4-7",
            "text": "Remove the carrier presence assumption.", "rationale": "Conflicts with the global force plan.",
            "proposed_change": "Replace with rotational presence."}
SUBSTANTIVE = {"category": "substantive", "page": "14", "paragraph": "4.a", "line": "2",
               "text": "State the partner's sustainment funding.", "rationale": "Directive 4.b.",
               "proposed_change": "Add a sentence on sustainment."}
ADMINISTRATIVE = {"category": "administrative", "page": "2", "paragraph": "1", "line": "9",
                  "text": "Spell out BMD.", "rationale": "", "proposed_change": "Ballistic missile defense"}


# --- the service: any number of comments, each checked and named -----------------------------

def test_an_answer_carries_critical_substantive_and_administrative_comments_with_their_references(world, plan):
    tasker = tasker_respond(tasker=tasker_of(plan, "DON"), by=world.user("DON", REV), response="nonconcur",
                            rationale="Presence figures conflict.", comments=[CRITICAL, SUBSTANTIVE, ADMINISTRATIVE])
    recorded = list(comments_of(plan).order_by("pk"))
    assert [c.category for c in recorded] == ["critical", "substantive", "administrative"]
    first = recorded[0]
    assert (first.page, first.paragraph, first.line, first.rationale) == ("12", "3.b", "4-7",
                                                                          "Conflicts with the global force plan.")
    assert first.reference == "page 12, paragraph 3.b, line 4-7"
    assert history_of(plan).filter(action="tasker_answered").get().description == \
        "DON answered non-concur with 3 comments"
    assert tasker.response == Response.NONCONCUR


def test_a_faulty_comment_is_named_by_its_place_and_nothing_is_written(world, plan):
    with pytest.raises(InvalidInput) as refused:
        tasker_respond(tasker=tasker_of(plan, "DON"), by=world.user("DON", REV), response="nonconcur",
                       rationale="Presence figures conflict.",
                       comments=[CRITICAL, {**SUBSTANTIVE, "text": " "}, {**ADMINISTRATIVE, "category": "urgent",
                                                                             "line": "9" * 21}])
    assert refused.value.field_errors == {
        "comments[1].text": ["The comment needs text."],
        "comments[2].category": ["Choose critical, substantive or administrative."],
        "comments[2].line": ["At most 20 characters (this has 21)."],
    }
    assert "Comment 2: The comment needs text." in refused.value.reasons
    assert not comments_of(plan).exists()
    assert tasker_of(plan, "DON").state == TaskerState.OPEN


# --- the page: no default answer, the form only for those who may answer ----------------------

def test_the_answer_form_has_no_default_answer_and_several_comment_rows(world, plan):
    tasker = tasker_of(plan, "DON")
    html = client_for(world.user("DON", REV)).get(change_url(plan)).content.decode()
    form = html[html.index(f'id="respond-{tasker.pk}"'):]
    assert selected(form, "response") == ""
    assert "— choose an answer —" in form
    assert all(f'name="comments-{i}-text"' in form for i in range(3))
    assert 'name="comments-0-page"' in form and 'name="comments-0-rationale"' in form


def test_an_action_officer_of_a_coordinating_organization_reads_who_may_answer_instead_of_the_form(world, plan):
    tasker = tasker_of(plan, "DON")
    world.user("DON", REV)  # the Navy's designated coordinator
    html = client_for(world.user("DON", AO)).get(change_url(plan)).content.decode()
    assert f'id="respond-{tasker.pk}"' not in html
    line = re.search(rf'id="respond-who-{tasker.pk}">(.*?)</p>', html, re.S).group(1)
    assert "Only a reviewer or approver designated as a coordinator of DON may do this." in line
    assert "don_reviewer" in line


def test_more_comment_rows_keeps_what_was_typed_and_adds_blank_rows_without_javascript(world, plan):
    tasker = tasker_of(plan, "DON")
    navy = client_for(world.user("DON", REV))
    page = navy.post(respond_url(plan, tasker), {"response": "nonconcur", "rationale": "Kept", "more_rows": "1",
                                                 **rows(CRITICAL, SUBSTANTIVE, ADMINISTRATIVE)})
    html = page.content.decode()
    assert page.status_code == 200
    assert field_value(html, "comments-2-text") == "Spell out BMD."
    assert field_value(html, "comments-5-text") == "" and 'name="comments-5-text"' in html
    assert selected(html, "response") == "nonconcur" and field_value(html, "rationale") == "Kept"
    assert not comments_of(plan).exists()


# --- nothing typed is lost ---------------------------------------------------------------------

def test_a_refused_answer_shows_the_form_as_typed_with_each_error_beside_its_row_and_keeps_a_draft(world, plan):
    tasker = tasker_of(plan, "DON")
    navy_reviewer = world.user("DON", REV)
    navy = client_for(navy_reviewer)
    typed = {**SUBSTANTIVE, "text": "State the sustainment funding."}
    page = navy.post(respond_url(plan, tasker), {"response": "nonconcur", "rationale": "Presence figures conflict.",
                                                 **rows(typed, {**ADMINISTRATIVE, "text": ""}, extra=1)})
    html = page.content.decode()
    assert page.status_code == 200
    assert "A non-concur needs at least one critical comment." in html
    row_two = html[html.index(f'id="respond-{tasker.pk}-comment-2"'):html.index(f'id="respond-{tasker.pk}-comment-3"')]
    assert "The comment needs text." in row_two
    assert field_value(html, "comments-0-text") == "State the sustainment funding."
    assert field_value(html, "comments-1-proposed_change") == "Ballistic missile defense"
    assert field_value(html, "rationale") == "Presence figures conflict."
    assert not comments_of(plan).exists()
    # Kept as the reviewer's draft: the page drawn later shows it again.
    draft = FormDraft.objects.get(user=navy_reviewer)
    assert draft.data["comments"][0]["text"] == "State the sustainment funding."
    later = navy.get(change_url(plan)).content.decode()
    assert field_value(later, "comments-0-text") == "State the sustainment funding."
    assert selected(later, "response") == "nonconcur"
    assert "This is your draft" in later


def test_an_answer_refused_because_the_step_ended_keeps_the_typed_text_and_says_why(world, plan):
    tasker = tasker_of(plan, "DON")
    navy = client_for(world.user("DON", REV))
    transition_perform(document=CampaignPlan.objects.get(pk=plan.pk), name="withdraw", by=world.user("EUCOM", AO),
                       comment="Overtaken by events")
    page = navy.post(respond_url(plan, tasker), {"response": "nonconcur", "rationale": "Conflicts",
                                                 **rows(CRITICAL)})
    html = page.content.decode()
    assert "This tasker is cancelled; it takes no answer." in html  # the withdrawal cancelled it
    assert field_value(html, "comments-0-text") == CRITICAL["text"]
    assert not comments_of(plan).exists()


def test_a_recorded_answer_deletes_the_draft(world, plan):
    tasker = tasker_of(plan, "DON")
    user = world.user("DON", REV)
    navy = client_for(user)
    navy.post(respond_url(plan, tasker), {"response": "nonconcur", "rationale": "x", "save_draft": "1",
                                          **rows(CRITICAL)})
    assert FormDraft.objects.filter(user=user).count() == 1
    assert not comments_of(plan).exists()  # a draft sends nothing
    done = navy.post(respond_url(plan, tasker), {"response": "nonconcur", "rationale": "x", **rows(CRITICAL)})
    assert done.status_code == 302
    assert comments_of(plan).count() == 1 and not FormDraft.objects.filter(user=user).exists()


def test_a_draft_is_seen_by_its_author_only_and_not_once_the_document_is_out_of_their_sight(world, plan):
    tasker = tasker_of(plan, "DON")
    author = world.user("DON", REV)
    client_for(author).post(respond_url(plan, tasker), {"response": "nonconcur", "rationale": "Secret words",
                                                        "save_draft": "1", **rows(CRITICAL)})
    colleague = world.user("DON", APP)  # may answer for the Navy too
    html = client_for(colleague).get(change_url(plan)).content.decode()
    assert "Secret words" not in html and CRITICAL["text"] not in html
    assert form_drafts_of(user=colleague, document=plan) == {}
    assert set(form_drafts_of(user=author, document=plan)) == {f"answer-{tasker.pk}"}
    # The plan is raised beyond what the author may read: the draft is no longer theirs to see.
    CampaignPlan.objects.filter(pk=plan.pk).update(classification="S", classified_by="t", derived_from="t",
                                                   declassify_on="t")
    assert form_drafts_of(user=author, document=plan) == {}
    with pytest.raises(NotPermitted):
        form_draft_save(user=author, document=CampaignPlan.objects.get(pk=plan.pk), form="answer-1", data={})


def test_a_refused_transition_keeps_the_comment_typed_and_says_why_above_it(world):
    plan = world.ready_plan()
    owner = client_for(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_transition", args=[plan.pk, "withdraw"])
    # Withdrawing is destructive: confirmed, it reaches the state check (the plan is a draft, not in coordination).
    page = owner.post(url, {"expected_state": "coordination", "comment": "Overtaken by the new GEF", "confirmed": "yes"})
    html = page.content.decode()
    assert page.status_code == 200
    form = html[html.index('id="transition-withdraw"'):]
    form = form[:form.index("</form>")]
    assert "Someone else changed this campaign plan" in form
    assert ">Overtaken by the new GEF</textarea>" in form


# --- the comment matrix spreadsheet -----------------------------------------------------------

def matrix_file(rows_: list[list], *, header=None, name="matrix.xlsx") -> SimpleUploadedFile:
    """A comment matrix as staff keep it, written here with openpyxl: a marking and a title above
    the header row."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["UNCLASSIFIED // TRAINING DATA"])
    sheet.append(["Comment resolution matrix — EUCOM theater campaign plan"])
    sheet.append(header or ["No.", "Organization", "CATEGORY", "Page", "Para", "Line", "Comment", "Rationale",
                            "Proposed Change"])
    for row in rows_:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


GOOD_ROWS = [
    [1, "DON", "Critical", 12, "3.b", "4-7", "Remove the carrier presence assumption.",
     "Conflicts with the global force plan.", "Replace with rotational presence."],
    [2, "DON", "S", 14, "4.a", 2, "State the partner's sustainment funding.", "Directive 4.b.", ""],
    [3, "don", "administrative", 2, "1", 9, '=HYPERLINK("http://example.invalid","Spell out BMD")', "", ""],
]


def test_a_comment_matrix_is_read_with_its_columns_whatever_their_case_and_formulas_stay_text(world):
    imported = comment_matrix_read(file=matrix_file(GOOD_ROWS), organization=world.orgs["DON"])
    assert [(c["row"], c["category"], c["page"], c["paragraph"], c["line"]) for c in imported] == [
        (4, "critical", "12", "3.b", "4-7"), (5, "substantive", "14", "4.a", "2"), (6, "administrative", "2", "1", "9")]
    assert imported[0]["rationale"] == "Conflicts with the global force plan."
    assert imported[0]["proposed_change"] == "Replace with rotational presence."
    assert imported[2]["text"] == '=HYPERLINK("http://example.invalid","Spell out BMD")'


def test_a_comment_matrix_with_bad_rows_names_each_row_and_gives_nothing(world):
    bad = [*GOOD_ROWS, [4, "DON", "Urgent", 3, "2", 1, "Why?", "", ""], [5, "DON", "Critical", 3, "2", 1, "", "x", ""],
           [6, "DA", "Substantive", 1, "1", 1, "Army's comment", "", ""]]
    with pytest.raises(InvalidInput) as refused:
        comment_matrix_read(file=matrix_file(bad), organization=world.orgs["DON"])
    assert refused.value.reasons == [
        "Nothing was imported: the comment matrix has rows to correct.",
        "Row 7: the category “Urgent” is not critical, substantive or administrative (or C, S, A).",
        "Row 8: the comment is empty.",
        "Row 9: the comment is from DA; this answer is for DON.",
    ]


def test_a_file_that_is_no_matrix_or_too_long_is_refused_in_words(world):
    with pytest.raises(InvalidInput, match="not an Excel workbook"):
        comment_matrix_read(file=SimpleUploadedFile("m.xlsx", b"not a zip"), organization=world.orgs["DON"])
    with pytest.raises(InvalidInput, match="No header row found"):
        comment_matrix_read(file=matrix_file([], header=["A", "B"]), organization=world.orgs["DON"])
    many = [[n, "DON", "A", 1, "1", 1, f"Comment {n}", "", ""] for n in range(MAX_ROWS)]
    with pytest.raises(InvalidInput, match="more than"):
        comment_matrix_read(file=matrix_file(many), organization=world.orgs["DON"])


def test_a_coordinator_imports_the_matrix_into_the_answer_rows_reads_it_then_records_it(world, plan):
    tasker = tasker_of(plan, "DON")
    navy = client_for(world.user("DON", REV))
    page = navy.post(respond_url(plan, tasker), {"response": "", "rationale": "", "import_matrix": "1",
                                                 "matrix": matrix_file(GOOD_ROWS), **rows(extra=3)})
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 comments imported from matrix.xlsx" in html
    assert not comments_of(plan).exists()  # nothing sent before the person has read it
    assert selected(html, "comments-0-category") == "critical"
    assert field_value(html, "comments-1-text") == "State the partner&#x27;s sustainment funding."
    assert field_value(html, "comments-2-text") == "=HYPERLINK(&quot;http://example.invalid&quot;,&quot;Spell out BMD&quot;)"
    # What the form now holds is submitted as the answer.
    answer = {"response": "nonconcur", "rationale": "Presence figures conflict.",
              **rows(*[{k: v for k, v in c.items() if k != "row"}
                       for c in comment_matrix_read(file=matrix_file(GOOD_ROWS), organization=world.orgs["DON"])])}
    assert navy.post(respond_url(plan, tasker), answer).status_code == 302
    assert sorted(comments_of(plan).values_list("category", flat=True)) == ["administrative", "critical",
                                                                           "substantive"]


def test_a_bad_matrix_keeps_the_rows_already_typed_and_lists_the_bad_rows(world, plan):
    tasker = tasker_of(plan, "DON")
    navy = client_for(world.user("DON", REV))
    page = navy.post(respond_url(plan, tasker), {
        "response": "nonconcur", "rationale": "Typed first", "import_matrix": "1",
        "matrix": matrix_file([[1, "DON", "Critical", 1, "1", 1, "", "", ""]]), **rows(CRITICAL)})
    html = page.content.decode()
    assert "Row 4: the comment is empty." in html
    assert field_value(html, "comments-0-text") == CRITICAL["text"] and field_value(html, "rationale") == "Typed first"
    assert not comments_of(plan).exists()


# --- the owner adjudicates row by row ---------------------------------------------------------

@pytest.fixture
def three_comments(world, plan):
    tasker_respond(tasker=tasker_of(plan, "DON"), by=world.user("DON", REV), response="nonconcur",
                   rationale="Conflicts", comments=[ADMINISTRATIVE, SUBSTANTIVE, CRITICAL])
    return list(Comment.objects.order_by("pk"))


def test_critical_comments_come_first_marked_in_words(world, plan, three_comments):
    html = client_for(world.user("EUCOM", AO)).get(change_url(plan)).content.decode()
    matrix = html[html.index('id="workflow-comments"'):]
    order = [matrix.index(escape(c.text)) for c in three_comments]
    assert order[2] < order[0] and order[2] < order[1]  # the critical one, given last, is shown first
    assert '<strong class="wf-critical">Critical</strong>' in matrix
    assert matrix.count('class="wf-critical"') == 1


def test_after_an_adjudication_the_page_returns_to_the_row_and_the_other_rows_keep_their_text(world, plan,
                                                                                               three_comments):
    administrative, substantive, critical = three_comments
    owner = client_for(world.user("EUCOM", AO))
    done = owner.post(reverse("admin:planning_campaignplan_adjudicate", args=[plan.pk, critical.pk]), {
        f"decision-{critical.pk}": "accepted", f"rationale-{critical.pk}": "Adopted in 3.b.",
        f"decision-{substantive.pk}": "partially_accepted", f"rationale-{substantive.pk}": "Half of it, typed",
        f"decision-{administrative.pk}": "", f"rationale-{administrative.pk}": ""})
    assert done.status_code == 302
    assert done["Location"].endswith(f"?row={critical.pk}#comment-{critical.pk}")
    critical.refresh_from_db()
    assert (critical.decision, critical.decision_rationale) == ("accepted", "Adopted in 3.b.")
    page = owner.get(done["Location"]).content.decode()
    assert re.search(rf'<select name="decision-{critical.pk}" id="decision-{critical.pk}" autofocus', page)
    assert field_value(page, f"rationale-{substantive.pk}") == "Half of it, typed"
    assert selected(page, f"decision-{substantive.pk}") == "partially_accepted"
    substantive.refresh_from_db()
    assert substantive.decision == ""  # typed, kept, not recorded


def test_a_refused_adjudication_shows_the_reason_beside_the_row_and_keeps_every_row_typed(world, plan,
                                                                                         three_comments):
    administrative, substantive, critical = three_comments
    owner = client_for(world.user("EUCOM", AO))
    page = owner.post(reverse("admin:planning_campaignplan_adjudicate", args=[plan.pk, critical.pk]), {
        f"decision-{critical.pk}": "rejected", f"rationale-{critical.pk}": "",
        f"decision-{administrative.pk}": "accepted", f"rationale-{administrative.pk}": "Typed for later"})
    html = page.content.decode()
    assert page.status_code == 200
    row = html[html.index(f'id="comment-{critical.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "Required." in row and f'id="rationale-{critical.pk}-errors"' in row
    assert selected(html, f"decision-{critical.pk}") == "rejected"
    assert field_value(html, f"rationale-{administrative.pk}") == "Typed for later"
    critical.refresh_from_db()
    assert critical.decision == ""


def test_a_tasker_management_form_refused_as_not_yours_keeps_the_reason_typed(world, plan):
    tasker = tasker_of(plan, "DA")
    outsider = client_for(world.user("DON", REV))  # not the owner: may not remove a participant
    url = reverse("admin:planning_campaignplan_tasker_manage", args=[plan.pk, tasker.pk, "remove"])
    page = outsider.post(url, {f"tasker-{tasker.pk}-remove-reason": "The Army has no part in this plan"})
    html = page.content.decode()
    assert page.status_code == 200
    form = html[html.index(f'action="{url}"'):]
    form = form[:form.index("</form>")]
    assert "Only an action officer or approver of EUCOM may remove a participant." in form
    assert field_value(form, f"tasker-{tasker.pk}-remove-reason") == "The Army has no part in this plan"
    assert tasker_of(plan, "DA").state == TaskerState.OPEN
