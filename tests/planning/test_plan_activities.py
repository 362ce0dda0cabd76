"""Security cooperation activities under a plan's objectives (DoDD 5132.03 Encl. 2, 10.b; 7.a;
8.a): each with one of the plan's partners, within its period, perhaps under a program, tagged by
function; a function tagged only on an activity brings its command or office into coordination,
and an activity's program its administering Military Department or Defense Agency, each with the
reason naming the activity and its objective."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from assessments.models import Program
from organizations.models import Country, Role
from planning.models import PlanActivity
from planning.services import PlanContentInvalid, plan_lists_replace, plan_new_version, plan_write
from workflow.exceptions import ActionRefused, InvalidInput
from workflow.models import Step
from workflow.selectors import taskers_of
from workflow.services import transition_perform

AO = Role.ACTION_OFFICER
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _a_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


def _activity(plan, **changes) -> dict:
    return {"objective": plan.objectives.get(), "title": "Air defense staff exercise",
            "description": "Staff-level exercise of the partner's air defense cell (training data).",
            "partner": Country.objects.get(code="PL"), "start_date": datetime.date(2027, 3, 1),
            "end_date": datetime.date(2027, 4, 30), **changes}


def _coordinators(plan) -> dict[str, str]:
    return {t.organization.acronym: t.added_reason for t in taskers_of(plan, step=Step.COORDINATION)}


def _submit(world, plan):
    return transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))


def test_encl2_10b_a_function_tagged_only_on_an_activity_brings_its_command_in_naming_the_activity(world):
    """Encl. 2, 10.b: the objective has no function; its activity works in special operations."""
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO),
                       plan_activities=[_activity(plan, functions=["special_operations"])])
    assert plan.objectives.get().functions == []
    reason = _coordinators(_submit(world, plan))["SOCOM"]
    assert "special operations (activity \u201cAir defense staff exercise\u201d of objective OBJ-1)" in reason
    assert "10.b" in reason


def test_encl2_7a_and_8a_an_activitys_program_brings_in_the_office_administering_it(world):
    """Encl. 2, 7.a (a Defense Agency's program) and 8.a (a Military Department's), the same code
    as the programs a plan lists as used."""
    plan = world.ready_plan(supporting=())
    fms = Program.objects.create(code="FMS-T", name="Foreign Military Sales (test)", administered_by=world.orgs["DLA"])
    army = Program.objects.create(code="SFA-T", name="Security force assistance (test)",
                                  administered_by=world.orgs["DA"])
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), plan_activities=[
        _activity(plan, title="Patriot spares case", program=fms),
        _activity(plan, title="Brigade advisers", program=army)])
    coordinators = _coordinators(_submit(world, plan))
    assert coordinators["DLA"] == ("program used: FMS-T (activity \u201cPatriot spares case\u201d) "
                                   "(DoDD 5132.03 Encl. 2, 7.a)")
    assert coordinators["DA"] == ("program used: SFA-T (activity \u201cBrigade advisers\u201d) "
                                  "(DoDD 5132.03 Encl. 2, 8.a)")


def test_encl2_10b_activities_that_do_not_fit_the_plan_are_refused_by_row_and_nothing_is_saved(world):
    plan = world.ready_plan()
    by = world.user("EUCOM", AO)
    plan_lists_replace(plan=plan, by=by, plan_activities=[_activity(plan, title="Kept")])
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=by, plan_activities=[
            _activity(plan, title="Fine"),
            _activity(plan, title="With Germany", partner=Country.objects.get(code="DE")),
            _activity(plan, title="Too early", start_date=datetime.date(2026, 6, 1))])
    rows = refused.value.rows["activities"]
    assert set(rows) == {1, 2}
    assert rows[1]["partner"] == ["Activity 2 (\u201cWith Germany\u201d): Germany is not one of the plan's partner "
                                  "countries."]
    assert "Activity 3 (\u201cToo early\u201d) starts 2026-06-01" in rows[2]["start_date"][0]
    assert "outside the plan's period (2027-01-01 to 2032-01-01)" in rows[2]["start_date"][0]
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=by, plan_activities=[
            _activity(plan, title="Backwards", end_date=datetime.date(2027, 2, 1), functions=["logistics"]),
            _activity(plan, title="")])
    rows = refused.value.rows["activities"]
    assert rows[0]["end_date"] == ["Activity 1 (\u201cBackwards\u201d) ends (2027-02-01) before it starts (2027-03-01)."]
    assert "Not a function: logistics" in rows[0]["functions"][0]
    assert rows[1]["title"] == ["Activity 2 needs its title."]
    assert list(PlanActivity.objects.values_list("title", flat=True)) == ["Kept"]


def test_encl2_10b_an_activity_stays_under_an_objective_the_write_keeps(world):
    plan = world.ready_plan()
    by = world.user("EUCOM", AO)
    objective = plan.objectives.get()
    with pytest.raises(PlanContentInvalid) as refused:  # the objective is replaced in the same write
        plan_lists_replace(plan=plan, by=by, objectives=[{"code": "OBJ-2", "title": "New"}],
                           plan_activities=[_activity(plan)])
    assert "not one of the plan's objectives" in refused.value.rows["activities"][0]["objective"][0]
    # A new objective written in the same change is named by its position in the list.
    plan_lists_replace(plan=plan, by=by, objectives=[
        {"id": objective.pk, "code": "OBJ-1", "title": objective.title, "end_states": [world.end_state]},
        {"code": "OBJ-2", "title": "Logistics interoperability", "end_states": [world.end_state]}],
        plan_activities=[_activity(plan, title="Second", objective=1), _activity(plan, title="First"),
                         _activity(plan, title="Also first")])
    shown = [(a.objective.code, a.order, a.title) for a in PlanActivity.objects.select_related("objective")]
    assert shown == [("OBJ-1", 0, "First"), ("OBJ-1", 1, "Also first"), ("OBJ-2", 0, "Second")]


def test_encl2_10b_stored_activities_hold_the_period_and_partners_a_later_change_would_break(world):
    plan = world.ready_plan()
    by = world.user("EUCOM", AO)
    plan_lists_replace(plan=plan, by=by, plan_activities=[_activity(plan)])
    with pytest.raises(InvalidInput) as refused:
        plan_write(by=by, plan=plan, fields={"period_start": datetime.date(2027, 6, 1)})
    assert "outside it: \u201cAir defense staff exercise\u201d" in refused.value.reasons[0]
    with pytest.raises(InvalidInput) as refused:
        plan_lists_replace(plan=plan, by=by, partners=[{"country": Country.objects.get(code="DE")}])
    assert "\u201cAir defense staff exercise\u201d (Poland)" in refused.value.reasons[0]
    plan.refresh_from_db()
    assert plan.period_start == datetime.date(2027, 1, 1)
    assert list(plan.partner_considerations.values_list("country__code", flat=True)) == ["PL"]


def test_encl2_10b_activities_are_edited_only_in_a_draft_and_a_new_version_copies_them(world):
    plan = world.ready_plan()
    by = world.user("EUCOM", AO)
    plan_lists_replace(plan=plan, by=by, plan_activities=[_activity(plan, functions=["cyberspace"])])
    from tests.planning.test_plan_workflow import REV, act, to_review

    plan = to_review(world, plan)
    with pytest.raises(ActionRefused):
        plan_lists_replace(plan=plan, by=by, plan_activities=[])
    plan = act(plan, "return_for_rework", world.user("J5", REV), comment="Deconflict the exercise dates")
    copy = plan_new_version(plan=plan, by=by)
    copied = PlanActivity.objects.get(plan=copy.plan_ptr)
    assert copied.objective.plan_id == copy.plan_ptr_id and copied.functions == ["cyberspace"]
    assert PlanActivity.objects.filter(plan=plan.plan_ptr).count() == 1


def test_encl2_10b_activities_through_the_api_nested_under_their_objectives(world):
    from rest_framework.test import APIClient

    from api.services import api_token_issue

    plan = world.ready_plan(supporting=())
    Program.objects.create(code="IMET-T", name="IMET (test)", administered_by=world.orgs["DLA"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    url = reverse("api:campaign-plan-detail", args=[plan.pk])
    objective = {"code": "OBJ-1", "title": "Air defense", "end_states": [world.end_state.pk]}
    activity = {"title": "Staff course", "description": "Air defense staff course for partner officers (training "
                "data).", "partner": "PL", "program": "IMET-T", "start_date": "2027-02-01",
                "end_date": "2027-02-20", "functions": ["intelligence"]}
    wrong = api.patch(url, {"objectives": [{**objective, "activities": [{**activity, "partner": "DE"}]}]},
                      format="json")
    assert wrong.status_code == 400
    assert "Germany is not one of the plan's partner countries" in str(wrong.json())
    response = api.patch(url, {"objectives": [{**objective, "activities": [activity]}]}, format="json")
    assert response.status_code == 200, response.json()
    shown = response.json()["objectives"][0]["activities"]
    assert [{k: a[k] for k in activity} for a in shown] == [activity]
    assert shown[0]["order"] == 0
    assert api.get(url).json()["objectives"][0]["activities"][0]["title"] == "Staff course"
    schema = api.get(reverse("api:schema"), {"format": "json"}).json()
    assert "PlanActivity" in schema["components"]["schemas"]
    assert {"DLA"} <= set(_coordinators(_submit(world, plan)))


def test_encl2_10b_activities_in_the_admin_inline_saved_through_the_service_and_refused_by_row(world, client):
    from tests.security.test_need_to_know_admin_paths import change_form_as_shown

    plan = world.ready_plan()
    client.force_login(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    data.update({"activities-TOTAL_FORMS": "1", "activities-0-objective": str(plan.objectives.get().pk),
                 "activities-0-order": "0", "activities-0-title": "Counter-drone training",
                 "activities-0-classification": "U",
                 "activities-0-partner": str(Country.objects.get(code="DE").pk),
                 "activities-0-start_date": "2027-05-01", "activities-0-end_date": "2027-06-01",
                 "activities-0-functions": ["space"]})
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "Activity 1 (\u201cCounter-drone training\u201d): Germany is not one of the plan&#x27;s partner" \
        in refused.content.decode()
    assert not PlanActivity.objects.exists()
    data["activities-0-partner"] = str(Country.objects.get(code="PL").pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    saved = PlanActivity.objects.get()
    assert (saved.title, saved.functions, saved.partner.code.code) == ("Counter-drone training", ["space"], "PL")
    assert "Counter-drone training" in client.get(url).content.decode()


def test_encl2_10b_the_plan_export_lists_its_activities(world, client):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), plan_activities=[_activity(plan)])
    client.force_login(world.user("EUCOM", AO))
    response = client.post(reverse("admin:planning_campaignplan_changelist"),
                           {"action": "export_csv", "_selected_action": [plan.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, row = rows[2], rows[3]
    assert row[header.index("Activities")] == ("(U) OBJ-1: Air defense staff exercise (Poland, 01 Mar 2027 to 30 Apr "
                                               "2027)")


def test_encl2_10b_the_api_reads_a_plans_activities_in_one_query_however_many_there_are(world):
    """The plan's detail in the API costs the same for one activity as for three (each with its
    partner and program, read with the activities)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from api.services import api_token_issue

    program = Program.objects.create(code="IMET-T", name="IMET (test)", administered_by=world.orgs["DLA"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    counts = []
    for many, start in ((1, datetime.date(2027, 1, 1)), (3, datetime.date(2033, 1, 1))):
        plan = world.ready_plan(start=start)
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), plan_activities=[
            _activity(plan, title=f"Activity {n}", program=program, start_date=start, end_date=start)
            for n in range(many)])
        url = reverse("api:campaign-plan-detail", args=[plan.pk])
        api.get(url)
        with CaptureQueriesContext(connection) as context:
            response = api.get(url)
        assert [a["title"] for a in response.json()["objectives"][0]["activities"]] == [
            f"Activity {n}" for n in range(many)]
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1], counts


# --- portion marks (as objectives and sections carry theirs) -----------------------------------

def _cleared(user, clearance="S", citizenship="US"):
    from security.models import SecurityProfile

    SecurityProfile.objects.create(user=user, clearance=clearance, citizenship=citizenship)
    return user


def test_encl2_10b_an_activitys_portion_mark_raises_the_banner_and_a_new_version_copies_it(world):
    """Encl. 2, 10.b activities are portions of the plan, marked as Policy 4.f requires (DoD
    5200.1-R): a CUI//NOFORN activity raises the plan's banner to CUI//NOFORN; a new version copies
    each activity with its mark and release list."""
    by = _cleared(world.user("EUCOM", AO))
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=by, plan_activities=[
        _activity(plan, title="Patriot case", classification="CUI", noforn=True),
        _activity(plan, title="Staff talks", rel_to=[Country.objects.get(code="DE")])])
    plan.refresh_from_db()
    assert (plan.classification, plan.noforn) == ("CUI", True)
    from tests.planning.test_plan_workflow import REV, act, to_review

    plan = act(to_review(world, plan), "return_for_rework", world.user("J5", REV), comment="Rework the case")
    copy = plan_new_version(plan=plan, by=by)
    copied = {a.title: (a.marking().portion, [c.code.code for c in a.rel_to.all()])
              for a in PlanActivity.objects.filter(plan=copy.plan_ptr)}
    assert copied == {"Patriot case": ("(CUI//NF)", []), "Staff talks": ("(U//REL)", ["DE"])}
    copy.refresh_from_db()
    assert (copy.classification, copy.noforn) == ("CUI", True)


def test_encl2_10b_an_activity_marked_beyond_the_writers_clearance_is_refused_by_row_and_nothing_saved(world):
    """Nobody marks a plan beyond what they may read (Policy 4.f): the activity row at fault is
    named (Encl. 2, 10.b activities are portions like objectives and sections)."""
    by = _cleared(world.user("EUCOM", AO), clearance="C")
    plan = world.ready_plan()
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=by, plan_activities=[
            _activity(plan, title="Within", classification="C"),
            _activity(plan, title="Beyond", classification="S")])
    assert set(refused.value.rows["activities"]) == {1}
    assert "You may not mark a plan SECRET" in refused.value.rows["activities"][1]["classification"][0]
    plan.refresh_from_db()
    assert plan.classification == "U" and not PlanActivity.objects.exists()


def test_encl2_10b_the_admin_inline_refuses_an_activity_beyond_the_writers_clearance_beside_its_row(world, client):
    """The inline's classification, NOFORN and REL TO, as the objectives' inline has them; a mark
    beyond the writer's clearance is refused beside its row, with what was typed kept."""
    from tests.security.test_need_to_know_admin_paths import add_inline_row, change_form_as_shown

    plan = world.ready_plan()
    writer = world.user("EUCOM", AO)  # no security profile: unclassified only
    client.force_login(writer)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    row = add_inline_row(data, "activities", {
        "objective": str(plan.objectives.get().pk), "order": "0", "title": "Counter-drone case typed by the author",
        "description": "Typed description", "partner": str(Country.objects.get(code="PL").pk),
        "start_date": "2027-05-01", "end_date": "2027-06-01", "classification": "CUI", "noforn": "on"})
    refused = client.post(url, data)
    assert refused.status_code == 200
    activities = next(inline.formset for inline in refused.context["inline_admin_formsets"]
                      if inline.formset.prefix == "activities")
    assert "You may not mark a plan CUI//NOFORN" in " ".join(activities.forms[row].errors["classification"])
    page = refused.content.decode()
    assert "Counter-drone case typed by the author" in page and "Typed description" in page
    assert not PlanActivity.objects.exists()
    _cleared(writer, clearance="CUI")
    client.force_login(writer)
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    activity = PlanActivity.objects.get()
    assert activity.marking().portion == "(CUI//NF)"
    plan.refresh_from_db()
    assert (plan.classification, plan.noforn) == ("CUI", True)
    assert 'name="activities-0-classification"' in client.get(url).content.decode()


def test_encl2_10b_the_plan_export_gives_each_activity_its_portion_mark(world, client):
    by = _cleared(world.user("EUCOM", AO))
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=by, plan_activities=[
        _activity(plan, classification="CUI"),
        _activity(plan, title="Seminar", rel_to=[Country.objects.get(code="PL")], start_date=datetime.date(2027, 5, 1),
                  end_date=datetime.date(2027, 5, 2))])
    client.force_login(by)
    response = client.post(reverse("admin:planning_campaignplan_changelist"),
                           {"action": "export_csv", "_selected_action": [plan.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, row = rows[2], rows[3]
    assert row[header.index("Activities")] == (
        "(CUI) OBJ-1: Air defense staff exercise (Poland, 01 Mar 2027 to 30 Apr 2027); "
        "(U//REL) OBJ-1: Seminar (Poland, 01 May 2027 to 02 May 2027)")
    assert row[0] == "(CUI)"  # the plan's own mark, raised by the activity


def test_encl2_10b_a_reader_below_an_activitys_mark_no_longer_sees_the_plan(world, client):
    """Need-to-know and the marking together: once a SECRET activity raises the banner, a tasked
    reviewer cleared CONFIDENTIAL no longer sees the plan; one cleared SECRET sees the activity's
    mark on the plan's page."""
    from planning.selectors import plans_visible_to
    from tests.security.test_need_to_know_side_channels import SECRET_BLOCK

    by = _cleared(world.user("EUCOM", AO))
    low = _cleared(world.user("DA", "reviewer"), clearance="C")
    high = _cleared(world.user("DON", "reviewer"), clearance="S")
    plan = world.ready_plan()
    plan_write(by=by, plan=plan, fields=SECRET_BLOCK, plan_activities=[_activity(plan, classification="S")])
    plan = _submit(world, plan)
    assert plan.classification == "S"
    from planning.models import CampaignPlan

    assert not plans_visible_to(low, CampaignPlan).filter(pk=plan.pk).exists()
    assert plans_visible_to(high, CampaignPlan).filter(pk=plan.pk).exists()
    client.force_login(high)
    page = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()
    activities = page[page.index('id="activities-group"'):]
    activities = activities[:activities.index("</fieldset>")]
    assert "Air defense staff exercise" in activities
    assert re.search(r'<div class="readonly">SECRET</div>', activities), activities[:3000]
    client.force_login(low)
    assert client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).status_code in (302, 404)


# --- submission: the activities complete (Encl. 2, 10.b) -------------------------------------

def _activities_at_fault(world):
    """A draft with three activities: one without a description, one whose partner the plan no
    longer names, one outside the plan's period as it now stands (the last two stored around the
    writes, which would refuse them: the condition is the second line of defense)."""
    from planning.models import CampaignPlan, PartnerConsideration

    plan = world.ready_plan(partners=("PL", "DE"))
    by = world.user("EUCOM", AO)
    plan_lists_replace(plan=plan, by=by, plan_activities=[
        _activity(plan, title="Undescribed", description="   "),
        _activity(plan, title="With Germany", partner=Country.objects.get(code="DE")),
        _activity(plan, title="Early", start_date=datetime.date(2027, 1, 10), end_date=datetime.date(2027, 1, 20)),
        _activity(plan, title="Complete")])
    PartnerConsideration.objects.filter(plan=plan.plan_ptr, country__code="DE").delete()
    CampaignPlan.objects.filter(pk=plan.pk).update(period_start=datetime.date(2027, 2, 1))
    return CampaignPlan.objects.get(pk=plan.pk)


CITATION = ("Complete or change it before submission: the plan's activities serve its objectives with its partners, "
            "within its period (DoDD 5132.03, Encl. 2, 10.b).")


def test_encl2_10b_submission_is_refused_naming_each_activity_and_what_it_lacks(world):
    from workflow.exceptions import TransitionRefused

    plan = _activities_at_fault(world)
    with pytest.raises(TransitionRefused) as refused:
        _submit(world, plan)
    assert refused.value.reasons == [
        f"Activity \u201cUndescribed\u201d (objective OBJ-1) has no description. {CITATION}",
        "Activity \u201cWith Germany\u201d (objective OBJ-1) is with Germany, no longer one of the plan's partner "
        f"countries. {CITATION}",
        "Activity \u201cEarly\u201d (objective OBJ-1) runs 10 Jan 2027 to 20 Jan 2027, no longer within the plan's "
        f"period (01 Feb 2027 to 01 Jan 2032). {CITATION}"]
    plan.refresh_from_db()
    assert plan.state == "draft" and not taskers_of(plan).exists()


def test_encl2_10b_the_api_transition_endpoint_and_its_list_give_the_same_reasons(world):
    from rest_framework.test import APIClient

    from api.services import api_token_issue

    plan = _activities_at_fault(world)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    base = reverse("api:campaign-plan-detail", args=[plan.pk])
    refused = api.post(f"{base}transitions/submit/", {}, format="json")
    assert refused.status_code == 409, refused.json()
    assert f"Activity \u201cUndescribed\u201d (objective OBJ-1) has no description. {CITATION}" \
        in refused.json()["reasons"]
    options = {o["name"]: o for o in api.get(f"{base}transitions/").json()}
    assert not options["submit"]["allowed"] and options["submit"]["reasons"] == refused.json()["reasons"]


def test_encl2_10b_the_task_page_says_why_and_my_work_offers_submission_once_the_activity_is_described(world,
                                                                                                       client):
    from workflow.inbox import my_work

    plan = world.ready_plan()
    by = world.user("EUCOM", AO)
    plan_lists_replace(plan=plan, by=by, plan_activities=[_activity(plan, description="")])
    client.force_login(by)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    why = "Activity \u201cAir defense staff exercise\u201d (objective OBJ-1) has no description."
    assert why in client.get(url).content.decode().replace("&ldquo;", "\u201c").replace("&rdquo;", "\u201d")
    pressed = client.post(reverse("admin:planning_campaignplan_transition", args=[plan.pk, "submit"]),
                          {"expected_state": "draft"})
    assert why in pressed.content.decode()
    assert not [i for i in my_work(by).items if i.document_id == plan.pk and "Submit for coordination" in i.actions]
    plan_lists_replace(plan=plan, by=by, plan_activities=[_activity(plan)])
    assert [i for i in my_work(by).items if i.document_id == plan.pk and "Submit for coordination" in i.actions]
    assert _submit(world, plan).state == "coordination"
