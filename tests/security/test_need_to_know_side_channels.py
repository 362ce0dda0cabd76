"""Need-to-know on the side channels: form choices, the API's relations and banner, the
assessments of a plan, and the audit trail. Each test names what a user would notice."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from organizations.models import Membership, Role
from planning.models import CampaignPlan, Objective
from security.audit import audit_record
from security.models import AuditAction, SecurityProfile
from tests.admin_search import autocomplete_texts

SECRET_BLOCK = {"classified_by": "Training authority", "derived_from": "Training source", "declassify_on": "20501231"}


def person(username, *, acronym=None, world=None, clearance="U", citizenship="US", role=Role.ACTION_OFFICER):
    user = get_user_model().objects.create_user(username, is_staff=True)
    if acronym:
        Membership.objects.create(user=user, organization=world.orgs[acronym], role=role,
                                  is_coordinator=role in (Role.REVIEWER, Role.APPROVER),
                                  start=datetime.date(2020, 1, 1))
    SecurityProfile.objects.create(user=user, clearance=clearance, citizenship=citizenship)
    return get_user_model().objects.get(pk=user.pk)


def marked(plan, *, title, level="U", noforn=False):
    CampaignPlan.objects.filter(pk=plan.pk).update(title=title, classification=level, noforn=noforn,
                                                   **(SECRET_BLOCK if level in ("C", "S", "TS") else {}))
    return CampaignPlan.objects.get(pk=plan.pk)


def option_texts(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1)) if select else []


# --- form choices ------------------------------------------------------------------------

def test_the_parent_plan_choices_list_only_plans_the_user_may_see(world):
    """The parent plan is searched for (a list of every plan the writer may see would hold tens of
    thousands at scale): the page lists none, and the search offers only plans the user may see."""
    own_secret = marked(world.ready_plan(), title="Own command secret plan", level="S")
    other_command = marked(world.ready_plan(owner="SOCOM", supporting=()), title="Other command plan")
    uncleared = person("eucom_uncleared_officer", acronym="EUCOM", world=world, clearance="U")
    cleared = person("eucom_secret_officer", acronym="EUCOM", world=world, clearance="S")
    for user, expected, unexpected in ((uncleared, set(), {own_secret.title, other_command.title}),
                                       (cleared, {own_secret.title}, {other_command.title})):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("admin:planning_campaignplan_add")).content.decode()
        assert 'name="parent_plan"' in page and "admin-autocomplete" in page
        assert [text for text in option_texts(page, "parent_plan") if text.strip("-")] == []  # nothing listed
        for term in ("", "plan"):
            choices = " ".join(autocomplete_texts(client, "campaignplan", "parent_plan", term))
            assert all(title in choices for title in expected), (user, choices)
            assert not any(title in choices for title in unexpected), (user, choices)


def test_the_supported_plans_search_offers_the_approved_plans_the_writer_may_see(world):
    """A support plan names approved campaign plans: its search box offers those the writer may
    see, and neither a plan still in review nor one beyond their clearance."""
    from planning.models import PlanState

    approved = marked(world.ready_plan(), title="Approved open plan")
    CampaignPlan.objects.filter(pk=approved.pk).update(state=PlanState.APPROVED)
    secret = marked(world.ready_plan(), title="Approved secret plan", level="S")
    CampaignPlan.objects.filter(pk=secret.pk).update(state=PlanState.APPROVED)
    in_review = marked(world.ready_plan(), title="Open plan in review")
    writer = person("da_uncleared_officer", acronym="DA", world=world, clearance="U")
    Membership.objects.create(user=writer, organization=world.orgs["EUCOM"], role=Role.ACTION_OFFICER,
                              start=datetime.date(2020, 1, 1))  # need-to-know for all three
    client = Client()
    client.force_login(writer)
    page = client.get(reverse("admin:planning_campaignsupportplan_add")).content.decode()
    assert 'name="supported_plans"' in page and approved.title not in page
    offered = autocomplete_texts(client, "campaignsupportplan", "supported_plans")
    assert any(approved.title in text for text in offered), offered
    assert not any(secret.title in text or in_review.title in text for text in offered), offered
    # The same person's parent-plan search (a campaign plan's field) is not narrowed to approved plans.
    parents = " ".join(autocomplete_texts(client, "campaignplan", "parent_plan"))
    assert in_review.title in parents and secret.title not in parents


def test_the_parent_plan_search_pages_through_every_match(world):
    """The search's pages go on as long as there are matches (its count is bounded a few pages
    ahead of the page asked for, as a list's is, not at the first pages)."""
    writer = world.user("EUCOM", Role.ACTION_OFFICER)
    template = world.ready_plan()
    for n in range(125):
        CampaignPlan.objects.create(title=f"Paged branch plan {n:03}", owner=template.owner, gef=template.gef,
                                    created_by=writer)
    client = Client()
    client.force_login(writer)
    offered = autocomplete_texts(client, "campaignplan", "parent_plan", "Paged")
    assert sorted(text for text in offered if "Paged branch plan" in text) == sorted(
        f"Paged branch plan {n:03} (v1)" for n in range(125))


def test_a_support_plan_page_names_only_the_supported_plans_its_reader_may_see(world):
    from planning.models import CampaignSupportPlan, PlanState

    secret = marked(world.ready_plan(), title="Supported secret plan", level="S")
    open_plan = marked(world.ready_plan(), title="Supported open plan")
    support = CampaignSupportPlan.objects.create(title="Army support plan", owner=world.orgs["DA"], gef=world.gef,
                                                 created_by=world.user("DA", Role.ACTION_OFFICER),
                                                 state=PlanState.APPROVED)
    support.supported_plans.set([secret, open_plan])
    reader = person("da_uncleared_reviewer", acronym="DA", world=world, clearance="U", role=Role.REVIEWER)
    # Also of EUCOM, which owns both plans: need-to-know for both, the clearance for one.
    Membership.objects.create(user=reader, organization=world.orgs["EUCOM"], role=Role.REVIEWER,
                              start=datetime.date(2020, 1, 1))
    client = Client()
    client.force_login(reader)
    page = client.get(reverse("admin:planning_campaignsupportplan_change", args=[support.pk])).content.decode()
    assert "Supported open plan" in page and "Supported secret plan" not in page
    assert "1 plan you may not see" in page
    api = APIClient()
    api.force_authenticate(reader)
    assert api.get(f"/api/v1/campaign-support-plans/{support.pk}/").json()["supported_plans"] == [open_plan.pk]


# --- the API: relations and banner --------------------------------------------------------

def test_a_parent_plan_the_writer_may_not_see_is_refused_like_one_that_does_not_exist(world):
    hidden = marked(world.ready_plan(owner="SOCOM", supporting=()), title="Other command parent")
    draft = world.ready_plan()
    writer = world.user("EUCOM", Role.ACTION_OFFICER)
    api = APIClient()
    api.force_authenticate(writer)
    missing = CampaignPlan.objects.order_by("-pk").first().pk + 1000
    answers = [api.patch(f"/api/v1/campaign-plans/{draft.pk}/", {"kind": "contingency", "parent_plan": pk},
                         format="json") for pk in (hidden.pk, missing)]
    assert [a.status_code for a in answers] == [400, 400]
    texts = [a.content.decode().replace(f'\\"{pk}\\"', "ID") for a, pk in zip(answers, (hidden.pk, missing), strict=True)]
    assert texts[0] == texts[1]  # the refusal confirms nothing
    assert "Other command parent" not in texts[0]
    assert CampaignPlan.objects.get(pk=draft.pk).parent_plan_id is None


def test_a_parent_plan_the_writer_may_see_is_taken(world):
    """The other side of the rule above: the command's own theater plan is a parent its contingency
    plan may name, through the API and through the service the admin calls."""
    from planning.services import plan_create

    theater = world.ready_plan(supporting=())
    draft = world.ready_plan()
    writer = world.user("EUCOM", Role.ACTION_OFFICER)
    api = APIClient()
    api.force_authenticate(writer)
    answer = api.patch(f"/api/v1/campaign-plans/{draft.pk}/", {"kind": "contingency", "parent_plan": theater.pk},
                       format="json")
    assert answer.status_code == 200, answer.content
    assert CampaignPlan.objects.get(pk=draft.pk).parent_plan_id == theater.pk

    created = plan_create(model=CampaignPlan, by=writer, owner=theater.owner, title="Contingency plan B",
                          kind="contingency", parent_plan=theater)
    assert created.parent_plan_id == theater.pk


def test_an_api_patch_adding_a_secret_objective_raises_the_banner_and_the_unclassified_user_gets_404(world):
    plan = world.ready_plan()
    writer = person("eucom_secret_writer", acronym="EUCOM", world=world, clearance="S")
    reader = person("eucom_uncleared_reader", acronym="EUCOM", world=world, clearance="U", role=Role.REVIEWER)
    reading = APIClient()
    reading.force_authenticate(reader)
    assert reading.get(f"/api/v1/campaign-plans/{plan.pk}/").status_code == 200
    writing = APIClient()
    writing.force_authenticate(writer)
    objectives = [{"code": "OBJ-1", "title": "Interoperable air defense", "end_states": [world.end_state.pk]},
                  {"code": "OBJ-2", "title": "Secret objective", "end_states": [world.end_state.pk],
                   "classification": "S"}]
    answer = writing.patch(f"/api/v1/campaign-plans/{plan.pk}/", {"objectives": objectives}, format="json")
    assert answer.status_code == 200, answer.content
    stored = CampaignPlan.objects.get(pk=plan.pk)
    assert stored.classification == "S"
    assert answer.json()["marking"] == stored.banner == "SECRET"  # the API says what the admin shows
    assert reading.get(f"/api/v1/campaign-plans/{plan.pk}/").status_code == 404
    admin = Client()
    admin.force_login(reader)
    assert admin.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).status_code in (302, 404)
    assert "Secret objective" not in admin.get(reverse("admin:planning_campaignplan_changelist")).content.decode()


def test_a_writer_cannot_mark_a_plan_beyond_their_own_clearance_and_nothing_is_saved(world):
    plan = world.ready_plan()
    writer = person("eucom_confidential_writer", acronym="EUCOM", world=world, clearance="C")
    api = APIClient()
    api.force_authenticate(writer)
    answer = api.patch(f"/api/v1/campaign-plans/{plan.pk}/", {"objectives": [
        {"code": "OBJ-9", "title": "Top secret objective", "end_states": [], "classification": "TS"}]}, format="json")
    assert answer.status_code == 400
    assert "beyond what your clearance" in answer.content.decode()
    assert CampaignPlan.objects.get(pk=plan.pk).classification == "U"
    assert list(Objective.objects.filter(plan=plan).values_list("code", flat=True)) == ["OBJ-1"]


# --- assessments -------------------------------------------------------------------------

def test_an_unrelated_commands_user_cannot_read_the_assessment_of_a_noforn_plan(world):
    from assessments.models import Assessment, AssessmentCycle

    plan = marked(world.ready_plan(), title="Noforn plan", level="S", noforn=True)
    day = datetime.date(2030, 1, 1)
    cycle = AssessmentCycle.objects.create(fiscal_year=2030, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                                          template_suspense=day, collection_suspense=day, joint_review_suspense=day,
                                          evaluation_suspense=day)
    assessment = Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], plan=plan, suspense=day,
                                           title="Assessment of the noforn plan")
    outsider = person("socom_secret_reviewer", acronym="SOCOM", world=world, clearance="TS", role=Role.REVIEWER)
    assert outsider.has_perm("assessments.view_assessment")  # the screens open; this assessment does not
    owner = person("eucom_secret_reviewer", acronym="EUCOM", world=world, clearance="S", role=Role.REVIEWER)
    for user, may_read in ((outsider, False), (owner, True)):
        api = APIClient()
        api.force_authenticate(user)
        assert (api.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 200) is may_read
        assert ("Assessment of the noforn plan" in api.get("/api/v1/assessments/").content.decode()) is may_read
        client = Client()
        client.force_login(user)
        page = client.get(reverse("admin:assessments_assessment_changelist")).content.decode()
        assert ("Assessment of the noforn plan" in page) is may_read
    # A cycle administrator is a real, narrow authority, and still obeys the plan's marking.
    liaison = person("cycle_administrator_gb", acronym="J5", world=world, clearance="TS", citizenship="GB",
                     role=Role.ORG_ADMIN)
    assert liaison.has_perm("assessments.run_cycle")
    api = APIClient()
    api.force_authenticate(liaison)
    assert api.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 404


# --- the audit trail ---------------------------------------------------------------------

def test_only_auditors_read_the_audit_trail_and_only_the_rows_they_are_cleared_for(world):
    from django.contrib.admin.models import ADDITION, LogEntry

    secret = marked(world.ready_plan(), title="Audited secret plan", level="S")
    top_secret = marked(world.ready_plan(), title="Audited top secret plan", level="TS")
    noforn = marked(world.ready_plan(), title="Audited noforn plan", level="S", noforn=True)
    for plan in (secret, top_secret, noforn):
        audit_record(action=AuditAction.EXPORT, description=f"Comment resolution matrix exported: {plan.title}",
                     obj=plan)
    # Written the way Django's admin writes it: the reference is in the detail, the title in the text.
    LogEntry.objects.log_actions(user_id=world.user("EUCOM", Role.ACTION_OFFICER).pk, queryset=[top_secret],
                                 action_flag=ADDITION, single_object=True)
    audit_record(action=AuditAction.SIGN_IN, description="Signed in")
    url = reverse("admin:security_auditevent_changelist")

    reviewer = person("eucom_reviewer_role", acronym="EUCOM", world=world, clearance="TS", role=Role.REVIEWER)
    client = Client()
    client.force_login(reviewer)
    assert client.get(url).status_code == 403

    seen = {}
    for name, clearance, citizenship in (("auditor_secret", "S", "US"), ("auditor_top_secret", "TS", "US"),
                                         ("auditor_gb_top_secret", "TS", "GB")):
        auditor = person(name, acronym="USD(P)", world=world, clearance=clearance, citizenship=citizenship,
                         role=Role.AUDITOR)
        client = Client()
        client.force_login(auditor)
        answer = client.get(url + "?q=Audited")
        assert answer.status_code == 200
        seen[name] = {title for title in ("Audited secret plan", "Audited top secret plan", "Audited noforn plan")
                      if title in answer.content.decode()}
        assert "Signed in" in client.get(url).content.decode()  # events about no document: every auditor
    assert seen == {"auditor_secret": {"Audited secret plan", "Audited noforn plan"},
                    "auditor_top_secret": {"Audited secret plan", "Audited top secret plan", "Audited noforn plan"},
                    "auditor_gb_top_secret": set()}


def test_only_auditors_and_cycle_administrators_hold_the_audit_and_cycle_authorities(world):
    """Reading the audit trail is the auditors'; running the cycle the Joint Staff office's
    organization administrators': no other role of any organization holds either."""
    holders = {role: person(f"{role}_of_j5", acronym="J5", world=world, role=role) for role in Role.values}
    holders["eucom_org_admin"] = person("org_admin_of_eucom", acronym="EUCOM", world=world, role=Role.ORG_ADMIN)
    readers = {name for name, user in holders.items() if user.has_perm("security.view_auditevent")}
    exporters = {name for name, user in holders.items() if user.has_perm("security.export_auditevent")}
    runners = {name for name, user in holders.items() if user.has_perm("assessments.run_cycle")}
    assert readers == exporters == {Role.AUDITOR}
    assert runners == {Role.ORG_ADMIN}
    url = reverse("admin:security_auditevent_changelist")
    for name, user in holders.items():
        client = Client()
        client.force_login(user)
        assert (client.get(url).status_code == 200) is (name == Role.AUDITOR), name


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}


def test_a_system_administrator_reads_reminders_only_of_documents_their_clearance_reaches(world):
    from reminders.models import Reminder
    from reminders.services import reminders_plan
    from workflow.models import Tasker
    from workflow.services import transition_perform

    plan = world.ready_plan()
    plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", Role.ACTION_OFFICER))
    marked(plan, title="Reminded secret plan", level="S")
    Tasker.objects.filter(object_id=plan.pk).update(document_title="Reminded secret plan")
    world.user("DON", Role.REVIEWER)  # someone to remind
    reminders_plan(taskers=Tasker.objects.filter(object_id=plan.pk, state="open"))
    assert Reminder.objects.filter(tasker__object_id=plan.pk).exists()
    url = reverse("admin:reminders_reminder_changelist")
    for clearance, may_read in (("U", False), ("S", True)):
        administrator = get_user_model().objects.create_superuser(f"administrator_{clearance.lower()}")
        SecurityProfile.objects.create(user=administrator, clearance=clearance, citizenship="US")
        client = Client()
        client.force_login(administrator)
        assert ("Reminded secret plan" in client.get(url).content.decode()) is may_read


def test_the_admin_refuses_a_banner_beyond_the_writers_clearance_beside_the_field(world):
    writer = person("eucom_uncleared_author", acronym="EUCOM", world=world, clearance="U")
    client = Client()
    client.force_login(writer)
    data = {"title": "Beyond my clearance", "owner": world.orgs["EUCOM"].pk, "kind": "theater", "classification": "S",
            "directive_version": "DoDD 5132.03",
            **SECRET_BLOCK}
    for prefix in ("sections", "objectives", "partner_considerations", "complementary_activities", "programs_used",
                   "annexes", "activities"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    answer = client.post(reverse("admin:planning_campaignplan_add"), data)
    assert answer.status_code == 200
    assert "You may not mark a plan SECRET" in answer.content.decode()
    assert not CampaignPlan.objects.filter(title="Beyond my clearance").exists()
    data["classification"] = "U"
    answer = client.post(reverse("admin:planning_campaignplan_add"), data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    assert CampaignPlan.objects.filter(title="Beyond my clearance", classification="U").exists()


def test_an_auditor_reads_every_event_about_no_document_and_a_document_event_only_when_cleared(world):
    from security.models import AuditEvent
    from workflow.audit import audit_events_readable_by

    plan = world.ready_plan()
    secret = marked(world.ready_plan(), title="Audited secret plan", level="S")
    signed_in = audit_record(action=AuditAction.SIGN_IN, description="Signed in")
    about_plan = audit_record(action=AuditAction.EXPORT, description="Plan exported", obj=plan)
    about_secret = audit_record(action=AuditAction.EXPORT, description="Secret plan exported", obj=secret)
    mine = {signed_in.pk, about_plan.pk, about_secret.pk}

    def readable(user):
        return set(audit_events_readable_by(user, AuditEvent.objects.filter(pk__in=mine)).values_list("pk", flat=True))

    assert readable(person("auditor_unclassified", clearance="U", acronym="USD(P)", world=world,
                           role=Role.AUDITOR)) == {signed_in.pk, about_plan.pk}
    assert readable(person("auditor_secret", clearance="S", acronym="USD(P)", world=world,
                           role=Role.AUDITOR)) == mine
    assert readable(person("reviewer_secret", clearance="S", acronym="EUCOM", world=world,
                           role=Role.REVIEWER)) == set()


def test_a_deactivated_account_sees_no_plan_and_acts_for_no_organization(world):
    from organizations.selectors import organizations_acting_for
    from planning.selectors import plans_cleared_for, plans_visible_to

    plan = world.ready_plan()
    member = person("eucom_deactivated_officer", acronym="EUCOM", world=world, clearance="TS")
    administrator = person("deactivated_system_administrator", clearance="TS")
    administrator.is_superuser = True
    for user in (member, administrator):
        assert plans_visible_to(user, CampaignPlan).filter(pk=plan.pk).exists()  # while active
        user.is_active = False
        user.save()
        user = get_user_model().objects.get(pk=user.pk)
        assert not plans_visible_to(user, CampaignPlan).exists()
        assert not plans_cleared_for(user, CampaignPlan).exists()
        assert not organizations_acting_for(user).exists()
    assert not plans_visible_to(None, CampaignPlan).exists()
    assert not plans_cleared_for(None, CampaignPlan).exists()
    assert not organizations_acting_for(None).exists()


def test_need_to_know_for_a_campaign_plan_comes_from_that_plan_not_from_another_kind_or_organization(world):
    from planning.models import CampaignSupportPlan
    from planning.selectors import plans_visible_to
    from workflow.models import Route, RouteStep, Step
    from workflow.services import taskers_issue, transition_perform

    in_coordination = transition_perform(document=world.ready_plan(), name="submit",
                                         by=world.user("EUCOM", Role.ACTION_OFFICER))
    socom = person("socom_officer", acronym="SOCOM", world=world, clearance="TS")
    tasked = person("da_officer", acronym="DA", world=world, clearance="TS")
    # Other organizations' taskers on the plan give SOCOM nothing; DA's give DA the plan.
    assert not plans_visible_to(socom, CampaignPlan).filter(pk=in_coordination.pk).exists()
    assert plans_visible_to(tasked, CampaignPlan).filter(pk=in_coordination.pk).exists()

    # A review step on the support plans' route is no reviewing authority over campaign plans.
    route = Route.objects.create(document_kind=CampaignSupportPlan.workflow_kind, name="Support plans (test)",
                                 is_default=False)
    RouteStep.objects.create(route=route, step=Step.REVIEW, organization=world.orgs["SOCOM"])
    assert not plans_visible_to(socom, CampaignPlan).filter(pk=in_coordination.pk).exists()

    # Tasked on a support plan whose number is the campaign plan's: still not the campaign plan.
    plan = in_coordination
    # The same number in the other table (each table has its own sequence): set it outright.
    support = CampaignSupportPlan.objects.create(pk=plan.pk, title="Army support plan", owner=world.orgs["DA"],
                                                 gef=world.gef, created_by=world.user("DA", Role.ACTION_OFFICER))
    assert support.pk == plan.pk
    taskers_issue(document=support, step=Step.COORDINATION, participants=[(world.orgs["SOCOM"], "test")])
    assert not plans_visible_to(socom, CampaignPlan).filter(pk=plan.pk).exists()
