"""What a billet requires is set in the admin by DSCA (Encl. 2, 2.b) or the SCO's supervising
command, through ``services.requirement_set`` (one rule, one write path): the form offers only the
billets the user may set, refused input is shown beside its field with what was typed kept and
nothing saved, a billet outside one's SCOs is refused, no one deletes a requirement, and the list,
its filter and its pages show only the SCOs the reader may see."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from organizations.models import Role
from security.models import AuditEvent
from workflow.exceptions import NotPermitted
from workforce.models import BilletRequirement, CertificationLevel
from workforce.services import requirement_set

from .conftest import billet

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
ADD = "/admin/workforce/billetrequirement/add/"
LIST = "/admin/workforce/billetrequirement/"
pytestmark = pytest.mark.django_db


def form(authorization, **values):
    return {"authorization": authorization.pk if authorization else "", "certification_level": "2",
            "training": "", "language": "", "language_level": "", "region": "", **values}


def choices(page) -> set[str]:
    return {str(label) for _value, label in page.context_data["adminform"].form.fields["authorization"].choices
            if _value != ""}


@time_machine.travel(NOW, tick=False)
def test_dsca_sets_a_billet_requirement_in_the_admin_through_the_service(world, client):
    analyst = billet(world, "ODC-TURKEY", "Budget analyst")
    client.force_login(world.user("DSCA", AO))
    page = client.get(ADD)
    assert page.status_code == 200
    offered = choices(page)
    # DSCA sets them at every SCO; billets that have a requirement already are changed, not added.
    assert str(analyst) in offered and str(billet(world, "OSC-I", "Budget analyst")) in offered
    assert str(billet(world, "ODC-TURKEY", "FMS case officer")) not in offered
    saved = client.post(ADD, form(analyst, training="Security Cooperation Management Overseas (SCM-O)",
                                  language="Turkish", language_level="1+", region="europe_eurasia"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    requirement = BilletRequirement.objects.get(authorization=analyst)
    assert (requirement.certification_level, requirement.language, requirement.language_level,
            requirement.region) == (CertificationLevel.INTERMEDIATE, "Turkish", "1+", "europe_eurasia")
    assert AuditEvent.objects.filter(description__startswith="Billet requirement set for ODC-TURKEY: Budget analyst")
    # Changed on its page (the billet itself stays).
    change = f"{LIST}{requirement.pk}/change/"
    assert client.post(change, form(None, certification_level="3")).status_code == 302
    requirement.refresh_from_db()
    assert requirement.certification_level == CertificationLevel.ADVANCED and requirement.authorization == analyst


@time_machine.travel(NOW, tick=False)
def test_refused_input_is_shown_beside_its_field_and_nothing_is_saved(world, client):
    analyst = billet(world, "ODC-TURKEY", "Budget analyst")
    client.force_login(world.user("EUCOM", APP))
    page = client.post(ADD, form(analyst, language="Turkish", training="Host-nation budgeting (typed)"))
    assert page.status_code == 200
    text = page.content.decode()
    assert page.context_data["adminform"].form.errors["language_level"] == ["Give the ILR level required in Turkish (0 to 5)."]
    assert "Host-nation budgeting (typed)" in text  # what was typed is kept
    assert not BilletRequirement.objects.filter(authorization=analyst).exists()
    # EUCOM supervises ODC Turkey, not OSC-I: the billet is not offered, and posting it is refused.
    iraq = billet(world, "OSC-I", "Budget analyst")
    offered = choices(client.get(ADD))
    assert str(analyst) in offered and str(iraq) not in offered
    refused = client.post(ADD, form(iraq))
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not BilletRequirement.objects.filter(authorization=iraq).exists()
    with pytest.raises(NotPermitted, match="DSCA or of CENTCOM"):
        requirement_set(by=world.user("EUCOM", APP), authorization=iraq, certification_level=1)


@time_machine.travel(NOW, tick=False)
def test_the_sco_usdpr_and_reviewers_read_requirements_but_do_not_set_them_and_no_one_deletes(world, client):
    chief = BilletRequirement.objects.get(authorization=billet(world, "ODC-TURKEY", "Chief, Office of Defense Cooperation"))
    for acronym, role in (("ODC-TURKEY", AO), ("USD(P&R)", APP), ("EUCOM", REV)):
        client.force_login(world.user(acronym, role))
        assert client.get(ADD).status_code == 403, (acronym, role)
        page = client.get(f"{LIST}{chief.pk}/change/")
        assert page.status_code == 200 and not page.context_data["has_change_permission"], (acronym, role)
        assert client.post(f"{LIST}{chief.pk}/change/", form(None, certification_level="1")).status_code == 403
        with pytest.raises(NotPermitted):
            requirement_set(by=world.user(acronym, role), authorization=chief.authorization, certification_level=1)
    chief.refresh_from_db()
    assert chief.certification_level == CertificationLevel.ADVANCED
    client.force_login(world.user("DSCA", APP))
    assert client.get(f"{LIST}{chief.pk}/delete/").status_code == 403
    assert client.post(f"{LIST}{chief.pk}/delete/", {"post": "yes"}).status_code == 403
    assert BilletRequirement.objects.filter(pk=chief.pk).exists()


@time_machine.travel(NOW, tick=False)
def test_the_list_its_filter_and_pages_show_only_the_scos_the_reader_may_see(world, client):
    iraq = BilletRequirement.objects.get(authorization=billet(world, "OSC-I", "FMS case officer"))
    client.force_login(world.user("EUCOM", AO))
    listing = client.get(LIST)
    shown = {row.authorization.sco.organization.acronym for row in listing.context_data["cl"].result_list}
    assert shown == {"ODC-TURKEY"}
    sco_filter = next(f for f in listing.context_data["cl"].filter_specs if f.parameter_name == "sco")
    assert [label for _value, label in sco_filter.lookup_choices] == ["ODC-TURKEY"]
    assert client.get(f"{LIST}{iraq.pk}/change/").status_code in (302, 404)
    assert client.get(LIST, {"sco": str(iraq.authorization.sco_id)}).context_data["cl"].result_count == 0
    client.force_login(world.user("USD(P&R)", REV))
    assert client.get(LIST).context_data["cl"].result_count == 6
