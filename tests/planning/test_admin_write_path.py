"""One write path for a plan's content: the admin's change form and the API's writes both go
through ``planning.services.plan_write``. The same content makes the same rows, the same invalid
content is refused with the same reason, and a refused admin save draws the form again with what
was typed, saving nothing of it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from organizations.models import Country, Role
from planning.models import CampaignPlan, CampaignSupportPlan, Objective, PlanActivity, PlanSection
from planning.services import support_plan_create
from tests.security.test_need_to_know_admin_paths import add_inline_row, change_form_as_shown
from workflow.selectors import history_of

AO = Role.ACTION_OFFICER


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def change_url(plan) -> str:
    return reverse("admin:planning_campaignplan_change", args=[plan.pk])


def inline(answer, prefix: str):
    return next(i.formset for i in answer.context["inline_admin_formsets"] if i.formset.prefix == prefix)


def stored(plan) -> dict:
    """What a reader of the database finds of a plan: its fields, lists and history."""
    plan = CampaignPlan.objects.get(pk=plan.pk)
    return {
        "fields": {name: getattr(plan, name) for name in (
            "kind", "gef_id", "period_start", "period_end", "summary", "complementary_usg_activities",
            "resources_needed", "risk_if_not_resourced", "classification", "noforn", "state", "version")},
        "supporting": sorted(o.acronym for o in plan.supporting_organizations.all()),
        "partners": sorted((p.country.code.code, p.can_support, p.can_safeguard, p.can_sustain)
                           for p in plan.partner_considerations.all()),
        "objectives": [(o.code, o.title, o.description, o.classification, o.noforn, o.measures_of_effectiveness,
                        sorted(e.code for e in o.end_states.all()), sorted(c.code.code for c in o.rel_to.all()))
                       for o in plan.objectives.all()],
        "sections": [(s.number, s.heading, s.body, s.classification) for s in plan.sections.all()],
        "history": [(h.action, h.description, h.to_state) for h in history_of(plan)],
    }


def test_a_repeated_partner_country_is_refused_by_the_admin_and_the_api_with_the_same_reason(world):
    plan = world.ready_plan(partners=("PL",))
    officer = world.user("EUCOM", AO)
    before = stored(plan)

    answer = api_for(officer).patch(f"/api/v1/campaign-plans/{plan.pk}/", {
        "summary": "Summary typed in the API",
        "partner_considerations": [{"country": "de"}, {"country": "de", "can_sustain": "Typed"}]}, format="json")
    assert answer.status_code == 400, answer.content
    api_reason = answer.json()["errors"]["partner_considerations"]
    assert api_reason == ["Each country once: DE repeated."]

    client = signed_in(officer)
    data = change_form_as_shown(client.get(change_url(plan)))
    data["summary"] = "Summary typed in the admin"
    germany = Country.objects.get(code="DE").pk
    first = add_inline_row(data, "partner_considerations", {"country": germany, "can_support": "Support typed"})
    second = add_inline_row(data, "partner_considerations", {"country": germany, "can_sustain": "Sustain typed"})
    refused = client.post(change_url(plan), data)

    assert refused.status_code == 200  # the form again, not a redirect
    partners = inline(refused, "partner_considerations")
    assert partners.forms[first].errors["country"] == partners.forms[second].errors["country"] == api_reason
    assert partners.forms[0].errors == {}  # the Polish row is not at fault
    page = refused.content.decode()
    for typed in ("Summary typed in the admin", "Support typed", "Sustain typed"):
        assert typed in page
    assert stored(plan) == before


def test_an_objective_marked_beyond_the_writer_is_refused_by_both_with_the_same_reason_beside_its_row(world):
    plan = world.ready_plan()  # the EUCOM action officer has no security profile: UNCLASSIFIED only
    officer = world.user("EUCOM", AO)
    before = stored(plan)

    answer = api_for(officer).patch(f"/api/v1/campaign-plans/{plan.pk}/", {"objectives": [
        {"code": "OBJ-1", "title": "Interoperable air defense", "end_states": [world.end_state.pk]},
        {"code": "OBJ-9", "title": "Controlled objective", "end_states": [], "classification": "CUI"}]},
        format="json")
    assert answer.status_code == 400, answer.content
    api_reason = answer.json()["detail"]
    assert api_reason.startswith("Nothing was saved. You may not mark a plan CUI")

    client = signed_in(officer)
    data = change_form_as_shown(client.get(change_url(plan)))
    row = add_inline_row(data, "objectives", {"code": "OBJ-9", "title": "Controlled objective typed",
                                              "classification": "CUI", "end_states": [str(world.end_state.pk)]})
    refused = client.post(change_url(plan), data)

    assert refused.status_code == 200
    objectives = inline(refused, "objectives")
    beside = objectives.forms[row].errors["classification"]
    assert len(beside) == 1 and beside[0] in api_reason
    assert objectives.forms[0].errors == {}
    assert list(refused.context["adminform"].form.non_field_errors()) == [api_reason]
    assert "Controlled objective typed" in refused.content.decode()
    assert stored(plan) == before


def test_a_plan_added_in_the_admin_has_exactly_the_rows_the_api_makes_of_the_same_content(world):
    officer = world.user("EUCOM", AO)
    germany, poland = Country.objects.get(code="DE"), Country.objects.get(code="PL")
    content = {
        "kind": "theater", "gef": world.gef.pk, "period_start": "2027-01-01", "period_end": "2032-01-01",
        "summary": "Build partner capacity (training data).", "complementary_usg_activities": "State INL programs.",
        "resources_needed": "Security cooperation funding.", "risk_if_not_resourced": "Partner capability gaps.",
        "classification": "U",
    }
    partners = [{"country": poland, "can_support": "Yes", "can_safeguard": "Yes", "can_sustain": "With help"},
                {"country": germany, "can_support": "Yes", "can_safeguard": "", "can_sustain": ""}]
    objectives = [{"code": "OBJ-1", "title": "Interoperable air defense", "description": "Integrated",
                   "measures_of_effectiveness": "Sorties", "end_states": [world.end_state.pk], "rel_to": [germany]},
                  {"code": "OBJ-2", "title": "Maritime awareness", "end_states": []}]
    sections = [{"number": "1", "heading": "Strategic environment", "body": "Typed body"}]

    answer = api_for(officer).post("/api/v1/campaign-plans/", {
        **content, "owner": "EUCOM", "title": "Plan written through the API", "supporting_organizations": ["DA", "DON"],
        "partner_considerations": [{**p, "country": p["country"].code.code.lower()} for p in partners],
        "objectives": [{**o, "rel_to": [c.code.code for c in o.get("rel_to", [])]} for o in objectives],
        "sections": sections}, format="json")
    assert answer.status_code == 201, answer.content
    through_api = CampaignPlan.objects.get(pk=answer.json()["id"])

    client = signed_in(officer)
    add_url = reverse("admin:planning_campaignplan_add")
    data = change_form_as_shown(client.get(add_url))
    data |= {**{k: str(v) for k, v in content.items()}, "owner": str(world.orgs["EUCOM"].pk),
             "title": "Plan written in the admin",
             "supporting_organizations": [str(world.orgs["DA"].pk), str(world.orgs["DON"].pk)]}
    for partner in partners:
        add_inline_row(data, "partner_considerations", {**partner, "country": str(partner["country"].pk)})
    for objective in objectives:
        add_inline_row(data, "objectives", {**objective, "classification": "U",
                                            "end_states": [str(pk) for pk in objective["end_states"]],
                                            "rel_to": [str(c.pk) for c in objective.get("rel_to", [])]})
    for section in sections:
        add_inline_row(data, "sections", {**section, "classification": "U"})
    saved = client.post(add_url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    in_admin = CampaignPlan.objects.get(title="Plan written in the admin")

    assert stored(in_admin) == stored(through_api)
    assert stored(in_admin)["history"] == [("created", "Draft created (version 1)", "draft")]
    assert len(stored(in_admin)["partners"]) == 2 and len(stored(in_admin)["objectives"]) == 2


def test_an_admin_edit_keeps_the_rows_it_changes_and_removes_the_rows_deleted(world):
    plan = world.ready_plan(partners=("PL", "DE"))
    objective = plan.objectives.get()
    client = signed_in(world.user("EUCOM", AO))
    data = change_form_as_shown(client.get(change_url(plan)))
    data["objectives-0-title"] = "Interoperable air and missile defense"
    partners = inline(client.get(change_url(plan)), "partner_considerations")
    germany = next(i for i, form in enumerate(partners.forms) if form.instance.country.code.code == "DE")
    data[f"partner_considerations-{germany}-DELETE"] = "on"

    saved = client.post(change_url(plan), data)

    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert list(Objective.objects.filter(plan=plan).values_list("pk", "title")) == [
        (objective.pk, "Interoperable air and missile defense")]
    assert stored(plan)["partners"] == [("PL", "Yes", "Yes", "With help")]


def test_rows_are_added_and_changed_in_the_admin_when_a_kinds_id_is_not_its_plan_key(world):
    # A support plan made first takes the first ``Plan`` key: the campaign plan is then CampaignPlan
    # 1 but Plan 2, and the next support plan CampaignSupportPlan 2 but Plan 3; their rows point at
    # the ``Plan`` key. The change forms of both kinds save their rows.
    support_plan_create(by=world.user("DA", AO), owner=world.orgs["DA"], title="DA campaign support plan")
    campaign = world.ready_plan()
    support = support_plan_create(by=world.user("DA", AO), owner=world.orgs["DA"], title="DA second support plan")
    assert campaign.pk != campaign.plan_ptr_id and support.pk != support.plan_ptr_id
    objective = campaign.objectives.get()

    for plan, user, url_name in (
            (campaign, world.user("EUCOM", AO), "admin:planning_campaignplan_change"),
            (support, world.user("DA", AO), "admin:planning_campaignsupportplan_change")):
        client = signed_in(user)
        url = reverse(url_name, args=[plan.pk])
        data = change_form_as_shown(client.get(url))
        add_inline_row(data, "sections", {"number": "9", "heading": "Section typed in the admin", "body": "Typed",
                                          "classification": "U"})
        if plan is campaign:
            data["objectives-0-title"] = "Objective retitled in the admin"

        saved = client.post(url, data)

        assert saved.status_code == 302, saved.context and saved.context["errors"]
        assert list(PlanSection.objects.filter(plan_id=plan.plan_ptr_id).values_list("number", "heading")) == [
            ("9", "Section typed in the admin")]
    assert list(Objective.objects.filter(plan_id=campaign.plan_ptr_id).values_list("pk", "title")) == [
        (objective.pk, "Objective retitled in the admin")]
    assert not PlanSection.objects.filter(plan_id=campaign.pk).exclude(plan_id=campaign.plan_ptr_id).exists()
    assert type(PlanSection.objects.get(plan_id=support.plan_ptr_id).plan.document) is CampaignSupportPlan


def test_encl2_10b_a_refused_edit_of_a_saved_activity_keeps_it_when_the_plans_id_is_not_its_plan_key(world):
    """Encl. 2, 10.b, and nothing lost on bad input: the browser walk's steps without a browser
    (tests/browser/test_plan_activities_and_route_option.py). An activity saved through the change
    form, then edited to end after the plan's period: the save is refused beside the row and the
    stored activity is as it was. The plan's ``id`` is not its ``Plan`` key here (a support plan
    took a key first, as in a database that has seen other plans): the activity is the plan's
    (``plan.activities``, ``plan_ptr_id``), while a read by ``plan__pk=plan.pk`` looks at another
    key and finds nothing. That read, the browser walk's own, is what failed in a full run."""
    support_plan_create(by=world.user("DA", AO), owner=world.orgs["DA"], title="DA campaign support plan")
    plan = world.ready_plan()
    assert plan.pk != plan.plan_ptr_id
    client = signed_in(world.user("EUCOM", AO))
    data = change_form_as_shown(client.get(change_url(plan)))
    add_inline_row(data, "activities", {
        "objective": str(plan.objectives.get().pk), "order": "0", "title": "Baltic air defense staff exercise",
        "partner": str(Country.objects.get(code="PL").pk), "start_date": "2027-03-01", "end_date": "2027-04-30",
        "functions": ["special_operations"], "classification": "U",
        "description": "Staff-level exercise of the air defense cell (training data)."})
    saved = client.post(change_url(plan), data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]

    data = change_form_as_shown(client.get(change_url(plan)))
    assert data["activities-INITIAL_FORMS"] == "1" and data["activities-0-id"]
    data |= {"activities-0-title": "Baltic air defense staff exercise (extended)", "activities-0-end_date": "2032-06-30"}
    refused = client.post(change_url(plan), data)

    assert refused.status_code == 200
    assert ("Activity 1 (\u201cBaltic air defense staff exercise (extended)\u201d) ends 2032-06-30, outside the "
            "plan&#x27;s period (2027-01-01 to 2032-01-01).") in refused.content.decode()
    kept = PlanActivity.objects.get(plan=plan.plan_ptr_id)
    assert (kept.pk, kept.title, str(kept.end_date)) == (int(data["activities-0-id"]),
                                                         "Baltic air defense staff exercise", "2027-04-30")
    assert list(CampaignPlan.objects.get(pk=plan.pk).activities.values_list("pk", flat=True)) == [kept.pk]
    assert not PlanActivity.objects.filter(plan__pk=plan.pk).exists()  # the read that looked at another key


def test_a_refused_admin_save_writes_none_of_the_plan_its_rows_or_its_links(world):
    from tests.security.test_need_to_know_admin_paths import author

    plan = world.ready_plan()
    writer = author(world, "eucom_confidential_author", clearance="C")
    before = stored(plan)
    client = signed_in(writer)
    data = change_form_as_shown(client.get(change_url(plan)))
    data |= {"title": "Retitled with the rest", "summary": "Summary typed",
             "supporting_organizations": [str(world.orgs["DLA"].pk)]}
    add_inline_row(data, "partner_considerations", {"country": str(Country.objects.get(code="DE").pk),
                                                    "can_support": "Valid partner typed"})
    add_inline_row(data, "objectives", {"code": "OBJ-2", "title": "Valid objective typed", "classification": "U"})
    add_inline_row(data, "sections", {"number": "1", "heading": "Secret section typed", "classification": "S"})

    refused = client.post(change_url(plan), data)

    assert refused.status_code == 200
    assert "You may not mark a plan SECRET" in " ".join(inline(refused, "sections").forms[-1].errors["classification"])
    page = refused.content.decode()
    for typed in ("Retitled with the rest", "Valid partner typed", "Valid objective typed", "Secret section typed"):
        assert typed in page
    assert stored(plan) == before
    assert CampaignPlan.objects.get(pk=plan.pk).title == "EUCOM theater campaign plan"


def test_a_repeated_section_number_is_refused_by_both_with_the_same_reason_beside_the_rows(world):
    plan = world.ready_plan()
    officer = world.user("EUCOM", AO)
    answer = api_for(officer).patch(f"/api/v1/campaign-plans/{plan.pk}/", {"sections": [
        {"number": "1", "heading": "Strategic environment"}, {"number": "1", "heading": "Ends"}]}, format="json")
    assert answer.status_code == 400
    api_reason = answer.json()["errors"]["sections"]

    client = signed_in(officer)
    data = change_form_as_shown(client.get(change_url(plan)))
    rows = [add_inline_row(data, "sections", {"number": "1", "heading": heading, "body": "Body typed",
                                              "classification": "U"})
            for heading in ("Strategic environment", "Ends")]
    refused = client.post(change_url(plan), data)

    assert refused.status_code == 200
    assert [inline(refused, "sections").forms[row].errors["number"] for row in rows] == [api_reason] * 2
    assert api_reason == ["Each section number once: 1 repeated."]
    assert "Body typed" in refused.content.decode()
    assert not plan.sections.exists()


def test_a_plan_written_without_a_title_is_refused_beside_the_title_and_nothing_is_made(world):
    """The one write path, with the title left out: the same refusal as an empty title, named on
    the field, and no plan."""
    from planning.services import plan_write
    from workflow.exceptions import InvalidInput

    before = CampaignPlan.objects.count()
    for fields in ({}, {"title": ""}):
        with pytest.raises(InvalidInput) as refused:
            plan_write(by=world.user("EUCOM", Role.ACTION_OFFICER), model=CampaignPlan, owner=world.orgs["EUCOM"],
                       fields=dict(fields, gef=world.gef))
        assert refused.value.field_errors["title"] == ["This field cannot be blank."]
    assert CampaignPlan.objects.count() == before


def test_only_the_owners_action_officers_create_its_plans_through_the_service(world):
    """The service decides, whatever the edge: another command's officer, the owner's reviewer
    and its approver are refused, in words naming who may, and nothing is made; the owner's
    action officer creates the draft, recorded as acting for the owner."""
    from planning.services import plan_create
    from workflow.exceptions import NotPermitted
    from workflow.selectors import history_of

    before = CampaignPlan.objects.count()
    for acronym, role in (("SOCOM", Role.ACTION_OFFICER), ("EUCOM", Role.REVIEWER), ("EUCOM", Role.APPROVER)):
        with pytest.raises(NotPermitted, match="Only an action officer of EUCOM may do this."):
            plan_create(model=CampaignPlan, by=world.user(acronym, role), owner=world.orgs["EUCOM"],
                        title="Not theirs", gef=world.gef)
    assert CampaignPlan.objects.count() == before

    plan = plan_create(model=CampaignPlan, by=world.user("EUCOM", Role.ACTION_OFFICER), owner=world.orgs["EUCOM"],
                       title="Theirs", gef=world.gef)
    assert history_of(plan).get().acting_for == world.orgs["EUCOM"]


def test_a_support_plan_names_approved_plans_and_keeps_one_named_before_through_the_admin_and_the_api(world):
    """A campaign support plan supports approved campaign plans (the search offers those): a plan
    still in coordination, typed into the form or sent to the API, is refused on both ways in with
    the same reason, nothing stored; one named while approved stays named when its plan is reopened
    and the support plan is saved again."""
    from planning.models import PlanState
    from workflow.services import transition_perform

    writer = world.user("DA", AO)
    approved, in_review = (transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
                           for _ in range(2))
    CampaignPlan.objects.filter(pk=approved.pk).update(title="EUCOM plan in force", state=PlanState.APPROVED)
    CampaignPlan.objects.filter(pk=in_review.pk).update(title="EUCOM plan in coordination")
    support = support_plan_create(by=writer, owner=world.orgs["DA"], title="Army support plan", gef=world.gef)
    reason = ("EUCOM plan in coordination is not approved (in coordination): a campaign support plan supports "
              "approved campaign plans.")
    client = signed_in(writer)
    url = reverse("admin:planning_campaignsupportplan_change", args=[support.pk])

    data = change_form_as_shown(client.get(url)) | {"supported_plans": [str(in_review.pk)], "title": "Retitled"}
    refused = client.post(url, data)
    assert refused.status_code == 200 and reason in refused.content.decode()
    assert 'value="Retitled"' in refused.content.decode()  # what was typed is drawn again
    answer = api_for(writer).patch(f"/api/v1/campaign-support-plans/{support.pk}/",
                                   {"supported_plans": [in_review.pk]}, format="json")
    assert answer.status_code == 400 and answer.json()["errors"]["supported_plans"] == [reason], answer.json()
    support.refresh_from_db()
    assert support.title == "Army support plan" and not support.supported_plans.exists()

    data |= {"supported_plans": [str(approved.pk)]}
    assert client.post(url, data).status_code == 302
    assert list(support.supported_plans.all()) == [approved]

    CampaignPlan.objects.filter(pk=approved.pk).update(state=PlanState.DRAFT)  # reopened for revision
    data = change_form_as_shown(client.get(url)) | {"title": "Army support plan, second edition"}
    assert data["supported_plans"] == [str(approved.pk)]
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    answer = api_for(writer).patch(f"/api/v1/campaign-support-plans/{support.pk}/",
                                   {"supported_plans": [approved.pk]}, format="json")
    assert answer.status_code == 200, answer.json()
    assert list(support.supported_plans.all()) == [approved]
    assert CampaignSupportPlan.objects.get(pk=support.pk).title == "Army support plan, second edition"


def test_the_service_refuses_a_supported_plan_its_writer_may_not_see_without_naming_it(world):
    """The rule holds on every way in, a loader or a task included: a plan the writer may not see
    is refused by the service itself, and the refusal does not name it."""
    from planning.models import PlanState
    from planning.services import plan_lists_replace
    from workflow.exceptions import InvalidInput

    writer = world.user("DA", AO)
    unseen = world.ready_plan(owner="SOCOM", supporting=())
    CampaignPlan.objects.filter(pk=unseen.pk).update(title="SOCOM plan out of sight", state=PlanState.APPROVED)
    support = support_plan_create(by=writer, owner=world.orgs["DA"], title="Army support plan", gef=world.gef)
    with pytest.raises(InvalidInput) as refused:
        plan_lists_replace(plan=support, by=writer, links={"supported_plans": [unseen]})
    assert refused.value.field_errors["supported_plans"] == [
        "1 of the supported plans named is not a campaign plan you may see."]
    assert "out of sight" not in " ".join(refused.value.reasons)
    assert not support.supported_plans.exists()
