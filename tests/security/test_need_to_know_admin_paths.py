"""Need-to-know on the admin's other paths: the inline portions of a plan's change form, the
index's recent actions. One rule on every path: nobody marks a plan beyond what they may read,
and a title is shown only to those who may see the plan now."""

from __future__ import annotations

import datetime

from django.test import Client
from django.urls import reverse

from organizations.models import Membership, Role
from planning.models import CampaignPlan, Objective, PlanSection
from planning.services import support_plan_create
from tests.security.test_need_to_know_side_channels import SECRET_BLOCK, person


def author(world, username, **profile):
    """An action officer of the owning command: the plan's inline forms are theirs while it is a draft."""
    return person(username, acronym="EUCOM", world=world, **profile)


def _text(value) -> str | list[str] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [str(getattr(item, "pk", item)) for item in value]
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def change_form_as_shown(page) -> dict:
    """What a browser posts back from the change page unchanged: the main form and every inline
    formset with its management form."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = _text(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def add_inline_row(data: dict, prefix: str, row: dict) -> int:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return index


def test_an_objective_beyond_the_writers_clearance_added_inline_is_refused_beside_its_row(world):
    plan = world.ready_plan()
    writer = author(world, "eucom_unclassified_author", clearance="U")
    client = Client()
    client.force_login(writer)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    data["summary"] = "Summary typed with the secret objective"
    row = add_inline_row(data, "objectives", {"code": "OBJ-9", "title": "Secret objective typed by the author",
                                              "classification": "S"})

    answer = client.post(url, data)

    assert answer.status_code == 200  # the change form again, not a redirect
    objectives = next(inline.formset for inline in answer.context["inline_admin_formsets"]
                      if inline.formset.prefix == "objectives")
    assert "You may not mark a plan SECRET" in " ".join(objectives.forms[row].errors.get("classification", []))
    page = answer.content.decode()
    assert "Secret objective typed by the author" in page and "Summary typed with the secret objective" in page
    stored = CampaignPlan.objects.get(pk=plan.pk)
    assert stored.classification == "U" and stored.summary != "Summary typed with the secret objective"
    assert not Objective.objects.filter(code="OBJ-9").exists()
    # The writer still reads their plan.
    assert client.get(url).status_code == 200


def test_a_section_beyond_the_writers_clearance_added_inline_is_refused_and_one_within_it_saves(world):
    plan = world.ready_plan()
    writer = author(world, "eucom_confidential_author", clearance="C")
    client = Client()
    client.force_login(writer)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    row = add_inline_row(data, "sections", {"number": "1", "heading": "Secret section", "body": "Typed body",
                                            "classification": "S"})

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert not PlanSection.objects.filter(heading="Secret section").exists()
    data[f"sections-{row}-classification"] = "C"
    data |= SECRET_BLOCK  # a classified banner needs its classification authority block
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert PlanSection.objects.filter(heading="Secret section", classification="C").exists()
    assert CampaignPlan.objects.get(pk=plan.pk).classification == "C"  # the banner rose to the section


def test_a_section_released_to_the_writer_is_refused_when_the_plan_itself_has_no_release_list(world):
    from organizations.models import Country

    Country.objects.get_or_create(code="GB")
    Country.objects.get_or_create(code="AU")
    Country.objects.get_or_create(code="CA")
    plan = world.ready_plan()
    writer = author(world, "eucom_british_liaison", clearance="S", citizenship="GB")
    client = Client()
    client.force_login(writer)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    # The section alone is releasable to the writer; the plan is marked UNCLASSIFIED without a
    # release list, so its banner would become SECRET, releasable to nobody abroad.
    add_inline_row(data, "sections", {"number": "1", "heading": "Released section", "body": "Typed",
                                      "classification": "S", "rel_to": [str(Country.objects.get(code="GB").pk)]})
    answer = client.post(url, data)
    assert answer.status_code == 200
    sections = next(inline.formset for inline in answer.context["inline_admin_formsets"]
                    if inline.formset.prefix == "sections")
    assert "You may not mark a plan SECRET:" in " ".join(sections.forms[-1].errors.get("classification", []))
    assert not PlanSection.objects.filter(heading="Released section").exists()


# --- the index's recent actions -----------------------------------------------------------

def edit_in_the_admin(client, plan, *, title: str) -> None:
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    data["title"] = title
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.context and answer.context["errors"]


def recent_actions_box(client) -> str:
    page = client.get(reverse("admin:index")).content.decode()
    return page[page.index('id="recent-actions-module"'):]


def test_recent_actions_stop_naming_a_plan_raised_beyond_the_user(world):
    from planning.services import plan_update

    plan = world.ready_plan()
    editor = author(world, "eucom_unclassified_editor", clearance="U")
    client = Client()
    client.force_login(editor)
    edit_in_the_admin(client, plan, title="Plan retitled by the unclassified editor")
    assert "Plan retitled by the unclassified editor" in recent_actions_box(client)

    raiser = author(world, "eucom_secret_editor", clearance="S")
    plan_update(plan=CampaignPlan.objects.get(pk=plan.pk), by=raiser, title="Plan retitled at secret",
                classification="S", **SECRET_BLOCK)

    box = recent_actions_box(client)
    assert "Plan retitled by the unclassified editor" not in box and "Plan retitled at secret" not in box
    assert "a campaign plan you can no longer see" in box
    assert reverse("admin:planning_campaignplan_change", args=[plan.pk]) not in box
    # The plan's own admin history, where the log's titles are listed too, is behind the selector.
    history = client.get(reverse("admin:planning_campaignplan_history", args=[plan.pk]))
    assert "Plan retitled by the unclassified editor" not in history.content.decode()
    # The secret-cleared editor still reads their own action by its title.
    cleared = Client()
    cleared.force_login(raiser)
    edit_in_the_admin(cleared, CampaignPlan.objects.get(pk=plan.pk), title="Plan retitled again at secret")
    assert "Plan retitled again at secret" in recent_actions_box(cleared)


def test_recent_actions_check_visibility_in_one_query_whatever_the_number_of_entries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    editor = author(world, "eucom_unclassified_editor", clearance="U")
    Membership.objects.create(user=editor, organization=world.orgs["DA"], role=Role.ACTION_OFFICER,
                              start=datetime.date(2020, 1, 1))
    client = Client()
    client.force_login(editor)
    plans = [world.ready_plan() for _ in range(4)]
    support = support_plan_create(by=editor, owner=world.orgs["DA"], title="Support plan before the edit",
                                  gef=world.gef)

    def index_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(queries)

    # Both kinds of document among the entries: one campaign plan, one support plan.
    edit_in_the_admin(client, plans[0], title="First edited plan")
    url = reverse("admin:planning_campaignsupportplan_change", args=[support.pk])
    data = change_form_as_shown(client.get(url))
    data["title"] = "Edited support plan"
    assert client.post(url, data).status_code == 302
    two_entries = index_queries()
    for number, plan in enumerate(plans[1:], start=2):
        edit_in_the_admin(client, plan, title=f"Edited plan number {number}")
    box = recent_actions_box(client)
    assert all(f"Edited plan number {number}" in box for number in (2, 3, 4)) and "Edited support plan" in box
    assert index_queries() == two_entries
