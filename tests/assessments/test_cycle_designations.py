"""A cycle's offices are the designated ones (issue #14, item 2): the Joint Staff office runs it,
the policy office evaluates, the program analysis office coordinates; a command named as the
policy office would evaluate its own assessments, so it is refused, on every channel."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from assessments.models import AssessmentCycle
from assessments.services import cycle_create
from organizations.models import Designation
from organizations.services import designation_assign
from workflow.exceptions import InvalidInput

pytestmark = pytest.mark.urls("tests.assessments.urls")

SUSPENSES = {"template_suspense": datetime.date(2026, 12, 1), "collection_suspense": datetime.date(2027, 3, 15),
             "joint_review_suspense": datetime.date(2027, 5, 3), "evaluation_suspense": datetime.date(2027, 6, 30)}


def test_eucom_as_the_policy_office_is_refused_with_the_designation_named(world):
    with pytest.raises(InvalidInput) as refusal:
        cycle_create(by=world.admin, fiscal_year=2027, owner=world.orgs["J5"], policy_office=world.orgs["EUCOM"],
                     program_coordinator=world.orgs["PA&E"], **SUSPENSES)
    assert refusal.value.field_errors == {"policy_office": [
        "EUCOM is not the designated policy office (USD(P)); the cycle's policy office must be the organization "
        "holding that designation."]}
    assert not AssessmentCycle.objects.exists()


def test_every_office_of_the_cycle_must_hold_its_designation(world):
    with pytest.raises(InvalidInput) as refusal:
        cycle_create(by=world.admin, fiscal_year=2027, owner=world.orgs["CENTCOM"], policy_office=world.orgs["USD(P)"],
                     program_coordinator=world.orgs["DLA"], **SUSPENSES)
    assert set(refusal.value.field_errors) == {"owner", "program_coordinator"}
    assert "CENTCOM is not the designated Joint Staff office (J5)" in refusal.value.field_errors["owner"][0]
    # No program coordinator is fine; a moved designation moves who may be named.
    designation_assign(organization=world.orgs["DLA"], designation=Designation.POLICY_OFFICE,
                       requested_by=world.user("J5"), approved_by=world.admin)
    with pytest.raises(InvalidInput, match="USD\\(P\\) is not the designated policy office"):
        cycle_create(by=world.admin, fiscal_year=2027, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                     **SUSPENSES)
    cycle = cycle_create(by=world.admin, fiscal_year=2027, owner=world.orgs["J5"], policy_office=world.orgs["DLA"],
                         **SUSPENSES)
    assert (cycle.policy_office, cycle.program_coordinator) == (world.orgs["DLA"], None)


def test_the_admin_add_form_defaults_to_the_holders_and_offers_only_them(world, client):
    client.force_login(world.admin)
    page = client.get(reverse("admin:assessments_assessmentcycle_add"))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert {name: form[name].value() for name in ("owner", "policy_office", "program_coordinator")} == {
        "owner": world.orgs["J5"].pk, "policy_office": world.orgs["USD(P)"].pk,
        "program_coordinator": world.orgs["PA&E"].pk}
    offered = {name: [pk for pk, _ in form.fields[name].choices if pk] for name in ("owner", "policy_office")}
    assert offered == {"owner": [world.orgs["J5"].pk], "policy_office": [world.orgs["USD(P)"].pk]}
    html = page.content.decode()
    assert ">EUCOM</option>" not in html and ">USD(P)</option>" in html


def test_the_admin_refuses_a_command_as_policy_office_beside_the_field_and_saves_nothing(world, client):
    client.force_login(world.admin)
    data = {"fiscal_year": 2027, "owner": world.orgs["J5"].pk, "policy_office": world.orgs["EUCOM"].pk,
            "program_coordinator": world.orgs["PA&E"].pk, **{k: v.isoformat() for k, v in SUSPENSES.items()}}
    page = client.post(reverse("admin:assessments_assessmentcycle_add"), data)
    assert page.status_code == 200
    assert page.context["adminform"].form.errors["policy_office"] == [
        "EUCOM is not the designated policy office (USD(P)); the cycle's policy office must be the organization "
        "holding that designation."]
    assert not AssessmentCycle.objects.exists()
    data["policy_office"] = world.orgs["USD(P)"].pk
    page = client.post(reverse("admin:assessments_assessmentcycle_add"), data)
    assert page.status_code == 302
    assert AssessmentCycle.objects.get().policy_office == world.orgs["USD(P)"]


def test_an_office_whose_designation_no_one_holds_is_refused_in_words(world):
    """When no organization holds the program analysis designation, naming a program coordinator
    is refused saying so (not a failure), and a cycle without one is still set up."""
    from organizations.models import OrganizationDesignation

    OrganizationDesignation.objects.filter(designation=Designation.PROGRAM_ANALYSIS).delete()
    with pytest.raises(InvalidInput) as refusal:
        cycle_create(by=world.admin, fiscal_year=2027, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                     program_coordinator=world.orgs["PA&E"], **SUSPENSES)
    assert refusal.value.field_errors["program_coordinator"][0].startswith(
        "No organization holds the designation of the program analysis office")
    cycle = cycle_create(by=world.admin, fiscal_year=2027, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"],
                         **SUSPENSES)
    assert cycle.program_coordinator is None
