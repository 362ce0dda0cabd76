"""Areas of responsibility: effective-dated periods, one command per country per day."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from organizations.models import AreaOfResponsibility, OrganizationKind
from organizations.selectors import command_covering, commands_covering
from organizations.services import AorPeriodSpec, aor_period_create, aor_period_update, aor_periods_sync
from tests.factories import (
    AreaOfResponsibilityFactory,
    CountryFactory,
    GeographicCommandFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

BASELINE, MOVE = datetime.date(2008, 10, 1), datetime.date(2021, 9, 1)


@pytest.fixture
def israel():
    return CountryFactory(code="IL")


@pytest.fixture
def eucom():
    return GeographicCommandFactory(acronym="EUCOM")


@pytest.fixture
def centcom():
    return GeographicCommandFactory(acronym="CENTCOM")


def test_an_overlapping_period_is_refused_naming_the_period_it_clashes_with(israel, eucom, centcom):
    aor_period_create(country=israel, command=eucom, start=BASELINE, end=MOVE)
    with pytest.raises(ValidationError) as refused:
        aor_period_create(country=israel, command=centcom, start=datetime.date(2021, 1, 1))
    assert refused.value.messages == [
        "Israel is already covered by EUCOM from 2008-10-01 to 2021-09-01; periods of one country may not overlap."
    ]
    assert AreaOfResponsibility.objects.count() == 1


def test_periods_that_meet_on_the_day_of_a_move_do_not_overlap(israel, eucom, centcom):
    aor_period_create(country=israel, command=eucom, start=BASELINE, end=MOVE)
    aor_period_create(country=israel, command=centcom, start=MOVE)
    assert command_covering(country=israel, on=MOVE - datetime.timedelta(days=1)) == eucom
    assert command_covering(country="il", on=MOVE) == centcom


def test_only_a_geographic_combatant_command_has_an_area_of_responsibility(israel):
    socom = OrganizationFactory(acronym="SOCOM", kind=OrganizationKind.FUNCTIONAL_CCMD)
    with pytest.raises(ValidationError, match="Only a geographic combatant command"):
        aor_period_create(country=israel, command=socom, start=BASELINE)


def test_a_period_cannot_outlast_its_command(israel):
    retired = GeographicCommandFactory(acronym="OLDCOM", active=False, active_until=MOVE)
    with pytest.raises(ValidationError, match="OLDCOM was deactivated on 2021-09-01"):
        aor_period_create(country=israel, command=retired, start=BASELINE)


def test_extending_a_period_into_the_next_one_is_refused(israel, eucom, centcom):
    first = aor_period_create(country=israel, command=eucom, start=BASELINE, end=MOVE)
    aor_period_create(country=israel, command=centcom, start=MOVE)
    with pytest.raises(ValidationError, match="already covered by CENTCOM from 2021-09-01"):
        aor_period_update(period=first, data={"end": None})
    first.refresh_from_db()
    assert first.end == MOVE


def test_syncing_a_country_applies_a_move_and_counts_it(israel, eucom, centcom):
    AreaOfResponsibilityFactory(country=israel, command=eucom, start=BASELINE, end=None)
    result = aor_periods_sync(country=israel, periods=[
        AorPeriodSpec(command=centcom, start=MOVE), AorPeriodSpec(command=eucom, start=BASELINE, end=MOVE),
    ])
    assert (result.created, result.updated, result.unchanged, result.removed) == (1, 1, 0, 0)
    assert [(p.command, p.start, p.end) for p in israel.aor_periods.order_by("start")] == [
        (eucom, BASELINE, MOVE), (centcom, MOVE, None),
    ]
    again = aor_periods_sync(country=israel, periods=[
        AorPeriodSpec(command=eucom, start=BASELINE, end=MOVE), AorPeriodSpec(command=centcom, start=MOVE),
    ])
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 2, 0)


def test_a_sync_that_would_overlap_changes_nothing(israel, eucom, centcom):
    AreaOfResponsibilityFactory(country=israel, command=eucom, start=BASELINE, end=None)
    with pytest.raises(ValidationError, match="may not overlap"):
        aor_periods_sync(country=israel, periods=[
            AorPeriodSpec(command=eucom, start=BASELINE, end=datetime.date(2022, 1, 1)),
            AorPeriodSpec(command=centcom, start=MOVE),
        ])
    assert [(p.command, p.start, p.end) for p in israel.aor_periods.all()] == [(eucom, BASELINE, None)]


def test_commands_covering_answers_for_many_countries_at_once(israel, eucom, centcom):
    france = CountryFactory(code="FR")
    aor_period_create(country=israel, command=eucom, start=BASELINE, end=MOVE)
    aor_period_create(country=israel, command=centcom, start=MOVE)
    aor_period_create(country=france, command=eucom, start=BASELINE)
    assert commands_covering(countries=[israel, france], on=datetime.date(2022, 1, 1)) == {
        israel.pk: centcom, france.pk: eucom,
    }
    assert command_covering(country="FR", on=datetime.date(2000, 1, 1)) is None
