"""The workforce demo: a year of readiness reports (each quarter of the last fiscal year and this
quarter's draft) and the holders of the demo SCOs' billets, made through the services; records
carry role-like identifiers, never a name; a second load changes nothing."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from workflow.models import HistoryEntry
from workforce.models import PersonnelRecord, Qualification, ReportState, WorkforceReadinessReport


@pytest.mark.django_db
def test_the_demo_has_a_year_of_reports_and_unnamed_training_records_and_a_second_load_changes_nothing():
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    reports = list(WorkforceReadinessReport.objects.order_by("period_start"))
    assert [r.state for r in reports] == [ReportState.ACCEPTED] * 3 + [ReportState.REVIEW, ReportState.DRAFT]
    assert all(r.title.endswith("(TRAINING DATA)") for r in reports)
    assert all(r.rows for r in reports[:4]) and not reports[4].rows
    # Each quarter's rows are read as of its own end: the quarters follow one another.
    assert [r.as_of for r in reports[:4]] == [r.period_end for r in reports[:4]]
    records = list(PersonnelRecord.objects.values_list("identifier", flat=True))
    assert len(records) >= 10
    assert all(re.fullmatch(r"SCO billet holder \d{4}, training record", identifier) for identifier in records)
    assert Qualification.objects.filter(expires_on__isnull=False).exists()
    counts = (WorkforceReadinessReport.objects.count(), PersonnelRecord.objects.count(), HistoryEntry.objects.count())
    call_command("load_demo_data", verbosity=0)
    assert (WorkforceReadinessReport.objects.count(), PersonnelRecord.objects.count(),
            HistoryEntry.objects.count()) == counts
