"""The SCOs of the reference data (real names, each under the command whose area holds its host
country) and the demo's year of requests, made through the services."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from manpower.models import (
    ManningAuthorization,
    ManpowerChangeRequest,
    RequestState,
    SecurityCooperationOrganization,
)
from manpower.reference import read_scos
from manpower.services import request_write, sco_register
from organizations.models import AreaOfResponsibility, Country, Role
from organizations.selectors import command_covering
from workflow.exceptions import InvalidInput
from workflow.models import HistoryEntry


@pytest.mark.django_db
def test_the_reference_data_holds_real_scos_in_four_commands_each_under_the_command_of_its_country():
    call_command("load_reference_data", verbosity=0)
    scos = list(SecurityCooperationOrganization.objects.select_related("organization__supervised_by",
                                                                       "host_country"))
    assert len(scos) >= 10 and len(scos) == len(read_scos())
    assert len({sco.organization.supervised_by_id for sco in scos}) >= 4
    for sco in scos:
        assert sco.organization.supervised_by == command_covering(country=sco.host_country), sco
        assert sco.chief_of_mission.startswith("U.S. Ambassador to ")  # a title, never a person
    turkey = next(s for s in scos if s.organization.acronym == "ODC-TURKEY")
    assert turkey.source_url.startswith("https://") and turkey.organization.supervised_by.acronym == "EUCOM"
    out = io.StringIO()
    call_command("load_reference_data", stdout=out)
    assert "security cooperation organizations: 0 created, 0 updated" in out.getvalue()


def test_an_sco_recorded_under_the_wrong_command_is_refused(world):
    # Iraq moves to EUCOM's area (a made-up redrawing): OSC-I is still recorded under CENTCOM.
    period = AreaOfResponsibility.objects.get(country__code="IQ")
    period.end = datetime.date(2026, 1, 1)
    period.save()
    AreaOfResponsibility.objects.create(country=period.country, command=world.orgs["EUCOM"],
                                        start=datetime.date(2026, 1, 1))
    with pytest.raises(InvalidInput) as refused:
        request_write(by=world.user("CENTCOM", Role.ACTION_OFFICER), sco=world.scos["OSC-I"],
                      fields={"title": "x", "change_type": "structure"})
    assert "recorded as supervised by CENTCOM, but Iraq is in EUCOM's area of responsibility" in \
        refused.value.reasons[0]
    with pytest.raises(InvalidInput):
        sco_register(name="Office of Security Cooperation Iraq", acronym="OSC-I", host_country=period.country,
                     chief_of_mission="U.S. Ambassador to Iraq", sdo_datt_office="SDO/DATT Baghdad")


def test_a_country_no_command_covers_is_refused(world):
    nowhere = Country.objects.create(code="AQ")
    with pytest.raises(InvalidInput) as refused:
        request_write(by=world.user("EUCOM", Role.ACTION_OFFICER), sco=None, host_country=nowhere,
                      fields={"title": "x", "change_type": "establish"})
    assert refused.value.reasons[0].startswith("No geographic combatant command covers Antarctica")


@pytest.mark.django_db
def test_the_demo_has_a_year_of_requests_in_every_stage_and_a_second_load_changes_nothing():
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    states = set(ManpowerChangeRequest.objects.values_list("state", flat=True))
    assert states == {RequestState.APPROVED, RequestState.JOINT_APPROVAL, RequestState.COORDINATION,
                      RequestState.RETURNED, RequestState.DRAFT}
    assert all(title.endswith("(TRAINING DATA)") for title in ManpowerChangeRequest.objects.values_list("title",
                                                                                                       flat=True))
    approved = ManpowerChangeRequest.objects.get(state=RequestState.APPROVED)
    assert ManningAuthorization.objects.filter(request=approved).exists()
    counts = (ManpowerChangeRequest.objects.count(), ManningAuthorization.objects.count(), HistoryEntry.objects.count())
    call_command("load_demo_data", verbosity=0)
    assert (ManpowerChangeRequest.objects.count(), ManningAuthorization.objects.count(),
            HistoryEntry.objects.count()) == counts
