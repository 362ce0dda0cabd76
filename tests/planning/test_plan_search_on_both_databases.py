"""Plan search (issue #22, point 7: "full-text search over titles, sections and comments
(PostgreSQL's own text search in production)") gives the same answers on the development
database (SQLite, ``dev.py test`` without DATABASE_URL) as on PostgreSQL: every source searched,
all words required, "quoted phrases" and -excluded words read alike, and need-to-know kept.
Nothing here is marked ``postgres``: the file runs on whichever database the settings name."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import Role
from planning.models import CampaignPlan
from planning.selectors import plan_search, plans_visible_to, search_terms
from planning.services import annex_attach, plan_lists_replace, plan_update
from workflow.models import Response, Step
from workflow.selectors import open_taskers
from workflow.services import tasker_respond, transition_perform

AO, REV = Role.ACTION_OFFICER, Role.REVIEWER
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _section(body: str) -> list[dict]:
    return [{"number": "1", "part": "situation", "heading": "Situation", "body": f"<p>(U) {body}</p>",
             "classification": "U"}]


def _found(world, acronym: str, text: str) -> set[str]:
    plans = plans_visible_to(world.user(acronym, AO), CampaignPlan)
    return set(plan_search(plans, text).values_list("title", flat=True))


def test_4a_search_reads_every_source_and_the_same_syntax_on_this_database(world, settings, tmp_path):
    settings.MEDIA_ROOT, settings.CLAMD_SOCKET, settings.CLAMD_HOST = str(tmp_path), "", ""
    author = world.user("EUCOM", AO)
    coastal = world.ready_plan()
    plan_update(plan=coastal, by=author, title="Baltic coastal plan")
    plan_lists_replace(plan=coastal, by=author, sections=_section("Coastal desalination plants supply the forces."))
    riverine = world.ready_plan(partners=("DE",))
    plan_update(plan=riverine, by=author, title="Danube riverine plan")
    plan_lists_replace(plan=riverine, by=author,
                       sections=_section("Riverine patrol craft; desalination of brackish water."))
    annex_attach(plan=riverine, by=author, letter="A", title="Sustainment of patrol boats",
                 upload=SimpleUploadedFile("boats.pdf", PDF))
    riverine = transition_perform(document=riverine, name="submit", by=author)
    tasker = open_taskers(riverine, step=Step.COORDINATION).get(organization=world.orgs["DA"])
    tasker_respond(tasker=tasker, by=world.user("DA", REV), response=Response.CONCUR_WITH_COMMENT,
                   comments=[{"category": "substantive", "section": "4", "text": "Add brigade rotations."}])
    both = {"Baltic coastal plan", "Danube riverine plan"}

    assert _found(world, "EUCOM", "DESALINATION") == both  # a section's body, whatever the case
    assert _found(world, "EUCOM", "coastal desalination") == {"Baltic coastal plan"}  # every word
    assert _found(world, "EUCOM", '"desalination plants"') == {"Baltic coastal plan"}  # a phrase as a whole
    assert _found(world, "EUCOM", "desalination -riverine") == {"Baltic coastal plan"}  # a word excluded
    assert _found(world, "EUCOM", 'desalination -"brackish water"') == {"Baltic coastal plan"}
    assert _found(world, "EUCOM", "sustainment boats") == {"Danube riverine plan"}  # an annex's title
    assert _found(world, "EUCOM", "brigade rotations") == {"Danube riverine plan"}  # a coordination comment
    assert _found(world, "EUCOM", "Danube") == {"Danube riverine plan"}  # a title
    assert _found(world, "EUCOM", "submarines") == set()
    assert _found(world, "CENTCOM", "desalination") == set()  # need-to-know: neither plan is CENTCOM's


def test_4a_the_search_syntax_reads_phrases_and_exclusions_as_the_web_search_does():
    assert search_terms('"desalination plants" -riverine  Coastal') == [
        (False, "desalination plants"), (True, "riverine"), (False, "Coastal")]
    assert search_terms('-"brackish water"') == [(True, "brackish water")]
    assert search_terms('"unclosed phrase') == [(False, "unclosed phrase")]
    assert search_terms('LEAKHUNT-S-RELGB.AU-END') == [(False, "LEAKHUNT-S-RELGB.AU-END")]
    assert search_terms(' - "" ') == []
