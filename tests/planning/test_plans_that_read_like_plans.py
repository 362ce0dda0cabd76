"""Plans that read like plans (DoDD 5132.03, 4.a and Encl. 2, 10.b: plans developed and reviewed as
staff write them): sections by part, sanitized rich text with a portion mark per paragraph, annexes
attached as files (marked, size-limited, typed by content, scanned, stored through Django's storage
and served only to whoever may see the plan, with audit) and full-text search honouring
need-to-know in the admin and the API."""

from __future__ import annotations

import socket
import struct
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Role
from planning.models import PlanAnnex, PlanSection, ScanResult
from planning.services import PlanContentInvalid, annex_attach, plan_lists_replace
from security.models import AuditEvent, SecurityProfile
from workflow.exceptions import ActionRefused, InvalidInput

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""


def api_for(world, acronym, role=AO) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
    return client


def cleared(world, acronym, level):
    user = world.user(acronym, AO)
    SecurityProfile.objects.update_or_create(user=user, defaults={"clearance": level, "citizenship": "US"})
    return type(user).objects.get(pk=user.pk)


def section(number="1", part="situation", heading="Situation", body="", classification="U") -> dict:
    return {"number": number, "part": part, "heading": heading, "body": body, "classification": classification}


def test_4a_sections_are_written_by_part_as_sanitized_rich_text(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), sections=[section(body=(
        '<p>(U) The <strong>Baltic</strong> partners <a href="javascript:alert(1)" onclick="x()">ask</a>.</p>'
        '<script>alert("stolen")</script><p onmouseover="x()">(U) See <a href="https://www.state.gov/">State</a>.'
        '</p><img src=x onerror=alert(1)>'))])
    stored = PlanSection.objects.get(plan=plan.plan_ptr)
    assert stored.get_part_display() == "Situation"
    assert "<strong>Baltic</strong>" in stored.body
    assert 'href="https://www.state.gov/"' in stored.body
    for dangerous in ("<script", "alert(", "onclick", "onmouseover", "javascript:", "<img", "onerror"):
        assert dangerous not in stored.body


def test_4a_a_paragraph_marked_above_its_section_is_refused_beside_the_row_and_nothing_is_saved(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), sections=[section(body="<p>(U) Kept.</p>")])
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), sections=[section(
            body="<p>(U) Open text.</p><p>(S) Secret text in an unclassified section.</p>")])
    fault = refused.value.rows["sections"][0]["body"][0]
    assert "marked (S), above the section's marking (U)" in fault
    assert PlanSection.objects.get(plan=plan.plan_ptr).body == "<p>(U) Kept.</p>"


def test_4a_a_paragraph_marked_within_its_section_raises_the_plans_banner_with_it(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=cleared(world, "EUCOM", "CUI"), sections=[section(
        classification="CUI", body="<p>(U) Open.</p><p>(CUI) Controlled.</p>")])
    plan.refresh_from_db()
    assert plan.classification == "CUI"


def test_4a_the_admin_shows_a_paragraph_marked_too_high_beside_its_section(world):
    from tests.security.test_need_to_know_admin_paths import add_inline_row, change_form_as_shown

    plan = world.ready_plan()
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    row = add_inline_row(data, "sections", {"number": "1", "part": "risk", "heading": "Risk",
                                            "classification": "U", "body": "<p>(TS) Typed risk paragraph</p>"})
    answer = client.post(url, data)
    assert answer.status_code == 200
    sections = next(i.formset for i in answer.context["inline_admin_formsets"] if i.formset.prefix == "sections")
    assert "above the section's marking (U)" in " ".join(sections.forms[row].errors["body"])
    assert "Typed risk paragraph" in answer.content.decode()
    assert not PlanSection.objects.exists()


# --- annexes -----------------------------------------------------------------------------

def test_4a_an_annex_typed_by_its_content_is_stored_and_recorded_not_scanned_without_a_scanner(world):
    plan = world.ready_plan()
    annex = annex_attach(plan=plan, by=cleared(world, "EUCOM", "CUI"), letter="A", title="Partner force posture",
                         upload=SimpleUploadedFile("posture.pdf", PDF), classification="CUI")
    assert (annex.content_type, annex.size, annex.scan_result) == ("application/pdf", len(PDF),
                                                                    ScanResult.NOT_SCANNED)
    with annex.file.open("rb") as stored:
        assert stored.read() == PDF
    plan.refresh_from_db()
    assert plan.classification == "CUI"  # the annex's marking raised the banner


@pytest.mark.parametrize(("name", "content", "said"), [
    ("orders.pdf", EXE, "not a PDF, PNG, JPEG, Word, Excel, PowerPoint or plain-text document"),
    ("orders.txt", PDF, "name ends in .txt but its content is application/pdf"),
])
def test_4a_an_annex_whose_content_is_not_what_is_accepted_is_refused_and_nothing_is_stored(world, name, content,
                                                                                            said):
    plan = world.ready_plan()
    with pytest.raises(InvalidInput, match=said):
        annex_attach(plan=plan, by=world.user("EUCOM", AO), letter="A", title="Orders",
                     upload=SimpleUploadedFile(name, content))
    assert not PlanAnnex.objects.exists()


def test_4a_an_annex_over_the_size_limit_is_refused(world, settings):
    settings.PLAN_ANNEX_MAX_BYTES = 50
    with pytest.raises(InvalidInput, match="at most 50 bytes"):
        annex_attach(plan=world.ready_plan(), by=world.user("EUCOM", AO), letter="A", title="Large",
                     upload=SimpleUploadedFile("large.pdf", PDF))
    assert not PlanAnnex.objects.exists()


class _ClamdStandIn:
    """ClamAV's daemon as far as its INSTREAM command goes (the third-party scanner, not ours):
    answers FOUND for the EICAR test string."""

    def __init__(self, path):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _ = self.server.accept()
        with connection:
            command = b""
            while not command.endswith(b"\0"):
                command += connection.recv(1)
            data = b""
            while True:
                size = struct.unpack("!L", self._exactly(connection, 4))[0]
                if not size:
                    break
                data += self._exactly(connection, size)
            found = EICAR in data
            connection.sendall(b"stream: Eicar-Test-Signature FOUND\0" if found else b"stream: OK\0")

    @staticmethod
    def _exactly(connection, size):
        data = b""
        while len(data) < size:
            data += connection.recv(size - len(data))
        return data


def test_4a_an_annex_is_scanned_by_clamd_when_configured_and_malware_is_refused(world, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "clamd.sock")
    plan = world.ready_plan()
    _ClamdStandIn(settings.CLAMD_SOCKET)
    with pytest.raises(InvalidInput, match="malware scanner found stream: Eicar-Test-Signature FOUND"):
        annex_attach(plan=plan, by=world.user("EUCOM", AO), letter="A", title="Notes",
                     upload=SimpleUploadedFile("notes.txt", EICAR))
    assert not PlanAnnex.objects.exists()
    assert AuditEvent.objects.filter(detail__event="annex_refused_malware", object_id=str(plan.pk)).exists()

    (tmp_path / "clamd.sock").unlink()
    _ClamdStandIn(settings.CLAMD_SOCKET)
    annex = annex_attach(plan=plan, by=world.user("EUCOM", AO), letter="A", title="Notes",
                         upload=SimpleUploadedFile("notes.txt", b"(U) Meeting notes.\n"))
    assert annex.scan_result == ScanResult.CLEAN


def test_4a_with_a_scanner_configured_but_unreachable_nothing_is_stored(world, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    with pytest.raises(ActionRefused, match="scanner could not be reached"):
        annex_attach(plan=world.ready_plan(), by=world.user("EUCOM", AO), letter="A", title="Notes",
                     upload=SimpleUploadedFile("notes.txt", b"(U) Notes.\n"))
    assert not PlanAnnex.objects.exists()


def test_4a_an_annex_is_served_only_to_those_who_may_see_the_plan_and_every_reading_is_audited(world):
    plan = world.ready_plan()
    owner = api_for(world, "EUCOM")
    answer = owner.post(reverse("api:campaign-plan-annexes", args=[plan.pk]),
                        {"letter": "B", "title": "Posture", "file": SimpleUploadedFile("posture.pdf", PDF)},
                        format="multipart")
    assert answer.status_code == 201, answer.json()
    download = answer.json()["download"]

    read = owner.get(download)
    assert read.status_code == 200 and b"".join(read.streaming_content) == PDF
    assert AuditEvent.objects.filter(detail__event="annex_opened", user=world.user("EUCOM", AO)).count() == 1

    stranger = api_for(world, "CENTCOM")
    assert stranger.get(download).status_code == 404
    assert AuditEvent.objects.filter(detail__event="annex_opened").count() == 1

    admin = Client()
    admin.force_login(world.user("CENTCOM", AO))
    annex = PlanAnnex.objects.get()
    assert admin.get(reverse("admin:planning_campaignplan_annex", args=[plan.pk, annex.pk])).status_code == 404
    admin.force_login(world.user("EUCOM", AO))
    assert admin.get(reverse("admin:planning_campaignplan_annex", args=[plan.pk, annex.pk])).status_code == 200
    assert 'name="annexes-__prefix__-upload"' in admin.get(
        reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()  # the author may attach

    # Once submitted, a coordinating organization reads the plan page with the annex listed (no upload).
    from workflow.services import transition_perform

    transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
    admin.force_login(world.user("DA", REV))
    page = admin.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()
    assert "posture.pdf" in page
    assert "annexes-__prefix__-upload" not in page and "annexes-0-upload" not in page
    assert admin.get(reverse("admin:planning_campaignplan_annex", args=[plan.pk, annex.pk])).status_code == 200


def test_4a_a_bad_annex_through_the_api_is_a_clear_400_naming_the_file(world):
    plan = world.ready_plan()
    answer = api_for(world, "EUCOM").post(reverse("api:campaign-plan-annexes", args=[plan.pk]),
                                          {"letter": "A", "title": "Orders", "file": SimpleUploadedFile("o.pdf", EXE)},
                                          format="multipart")
    assert answer.status_code == 400
    assert "Not an accepted type of file." in str(answer.json())


# --- search ------------------------------------------------------------------------------

def test_4a_full_text_search_finds_plans_by_section_text_only_for_those_who_may_see_them(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), sections=[section(
        body="<p>(U) Coastal desalination plants supply the partner's forces.</p>")])
    other = world.ready_plan(owner="CENTCOM", partners=("IL",))
    url = reverse("api:campaign-plan-list")

    found = api_for(world, "EUCOM").get(url, {"search": "desalination plant"}).json()["results"]
    assert [p["id"] for p in found] == [plan.pk]
    assert api_for(world, "EUCOM").get(url, {"search": "Interoperability of submarines"}).json()["results"] == []
    # CENTCOM sees its own plan, not EUCOM's, whatever the words.
    assert api_for(world, "CENTCOM").get(url, {"search": "desalination"}).json()["results"] == []
    assert [p["id"] for p in api_for(world, "CENTCOM").get(url, {"search": "CENTCOM"}).json()["results"]] == [
        other.pk]


def test_4a_the_admins_search_box_searches_sections_and_honours_need_to_know(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), sections=[section(
        body="<p>(U) Riverine patrol craft sustainment.</p>")])
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    page = client.get(reverse("admin:planning_campaignplan_changelist"), {"q": "riverine"}).content.decode()
    assert "EUCOM theater campaign plan" in page
    client.force_login(world.user("CENTCOM", AO))
    page = client.get(reverse("admin:planning_campaignplan_changelist"), {"q": "riverine"}).content.decode()
    assert "EUCOM theater campaign plan" not in page


def test_4a_an_annex_attached_in_the_admin_goes_through_the_service_and_a_refusal_is_told_beside_its_row(world):
    from tests.security.test_need_to_know_admin_paths import add_inline_row, change_form_as_shown

    plan = world.ready_plan()
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])

    data = change_form_as_shown(client.get(url))
    data["summary"] = "Summary typed with the bad annex"
    row = add_inline_row(data, "annexes", {"letter": "A", "title": "Disguised program", "classification": "U",
                                           "upload": SimpleUploadedFile("orders.pdf", EXE)})
    answer = client.post(url, data)
    assert answer.status_code == 200
    annexes = next(i.formset for i in answer.context["inline_admin_formsets"] if i.formset.prefix == "annexes")
    assert "Not an accepted type of file." in " ".join(annexes.forms[row].errors["upload"])
    assert "Summary typed with the bad annex" in answer.content.decode()
    plan.refresh_from_db()
    assert plan.summary == "Build partner capacity (training data)." and not PlanAnnex.objects.exists()

    data = change_form_as_shown(client.get(url))
    add_inline_row(data, "annexes", {"letter": "A", "title": "Partner force posture", "classification": "U",
                                     "upload": SimpleUploadedFile("posture.pdf", PDF)})
    assert client.post(url, data).status_code == 302
    annex = PlanAnnex.objects.get()
    assert (annex.letter, annex.original_name, annex.content_type) == ("A", "posture.pdf", "application/pdf")


def test_4a_full_text_search_reaches_coordination_comments(world):
    from workflow.models import Response, Step
    from workflow.selectors import open_taskers
    from workflow.services import tasker_respond, transition_perform

    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = open_taskers(plan, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    tasker_respond(tasker=tasker, by=world.user("DA", REV), response=Response.CONCUR_WITH_COMMENT,
                   comments=[{"category": "substantive", "section": "4", "text": "Add brigade rotations."}])
    url = reverse("api:campaign-plan-list")
    assert [p["id"] for p in api_for(world, "EUCOM").get(url, {"search": "rotation"}).json()["results"]] == [plan.pk]
    assert api_for(world, "CENTCOM").get(url, {"search": "rotation"}).json()["results"] == []
