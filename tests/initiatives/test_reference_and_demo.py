"""The reference data links the programs to DSCA, their administering office, and the demo's year
of initiatives is made through the services: designs in every stage, quarterly monitoring entries,
evaluations approved and in coordination, all marked as training data."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from assessments.models import Program
from initiatives.models import (
    EvaluationState,
    Initiative,
    InitiativeEvaluation,
    InitiativeState,
    MonitoringEntry,
)
from initiatives.selectors import program_initiatives
from organizations.demo import username_for
from workflow.models import HistoryEntry, Step
from workflow.selectors import open_taskers


@pytest.mark.django_db
def test_the_demo_has_a_year_of_initiatives_monitored_and_evaluated_and_a_second_load_changes_nothing(
        django_user_model):
    call_command("load_reference_data", verbosity=0)
    assert set(Program.objects.values_list("administered_by__acronym", flat=True)) == {"DSCA"}
    call_command("load_demo_data", verbosity=0)
    assert set(Initiative.objects.values_list("state", flat=True)) == {
        InitiativeState.APPROVED, InitiativeState.APPROVAL, InitiativeState.RETURNED, InitiativeState.DRAFT}
    assert all(title.endswith("(TRAINING DATA)") for title in Initiative.objects.values_list("title", flat=True))
    assert set(InitiativeEvaluation.objects.values_list("state", flat=True)) == {
        EvaluationState.APPROVED, EvaluationState.COORDINATION}
    philippines = Initiative.objects.get(title__startswith="Philippines")
    assert MonitoringEntry.objects.filter(indicator__initiative=philippines).count() >= 8  # a year of quarters
    assert open_taskers(philippines, step=Step.COMPLETION).get().organization.acronym == "INDOPACOM"  # the next period due
    # USD(P) reads the BPC program's initiatives with the approved evaluation's findings.
    rows = program_initiatives(django_user_model.objects.get(username=username_for("USD(P)", "approver")),
                               Program.objects.get(code="BPC"))
    assert [row["evaluation"]["rating_code"] for row in rows if row["evaluation"]] == ["partly_met"]
    counts = (Initiative.objects.count(), MonitoringEntry.objects.count(), HistoryEntry.objects.count())
    call_command("load_demo_data", verbosity=0)
    assert (Initiative.objects.count(), MonitoringEntry.objects.count(), HistoryEntry.objects.count()) == counts
