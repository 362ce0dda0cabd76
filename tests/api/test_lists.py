"""Lists: need-to-know first (the admin's selectors), then filters, search and cursor pages."""

from __future__ import annotations

import datetime

from workflow.models import Tasker

from .conftest import AO, REV

V1 = "/api/v1"


def submitted(world, as_member, **kwargs):
    plan = world.ready_plan(**kwargs)
    assert as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {},
                                       format="json").status_code == 200
    return plan


def test_taskers_and_comments_are_listed_only_for_plans_the_user_may_see(world, as_member):
    plan = submitted(world, as_member)
    assert as_member("DA", REV).get(f"{V1}/campaign-plans/{plan.pk}/").status_code == 200  # tasked on it
    outsider = as_member("SOCOM", AO)
    assert outsider.get(f"{V1}/taskers/").json()["results"] == []
    assert outsider.get(f"{V1}/comments/").json()["results"] == []
    tasker = Tasker.objects.filter(object_id=plan.pk).first()
    assert outsider.get(f"{V1}/taskers/{tasker.pk}/").status_code == 404
    owner_view = as_member("EUCOM", AO).get(f"{V1}/taskers/", {"document_type": "campaign-plans",
                                                                 "document_id": plan.pk}).json()["results"]
    assert sorted(t["organization"] for t in owner_view) == ["DA", "DON", "USD(AT&L)"]


def test_tasker_filters_read_like_the_admins_my_taskers(world, as_member):
    submitted(world, as_member)
    da = as_member("DA", REV)
    mine = da.get(f"{V1}/taskers/", {"assigned_to_me": "true"}).json()["results"]
    assert [t["organization"] for t in mine] == ["DA"]
    suspense = datetime.date.fromisoformat(mine[0]["suspense"])
    eucom = as_member("EUCOM", AO)
    assert eucom.get(f"{V1}/taskers/", {"due_before": suspense.isoformat()}).json()["results"] == []
    later = (suspense + datetime.timedelta(days=1)).isoformat()
    assert len(eucom.get(f"{V1}/taskers/", {"due_before": later}).json()["results"]) == 3
    assert eucom.get(f"{V1}/taskers/", {"overdue": "true"}).json()["results"] == []
    Tasker.objects.filter(organization=world.orgs["DON"]).update(suspense=datetime.date(2020, 1, 1))
    overdue = eucom.get(f"{V1}/taskers/", {"overdue": "true", "state": "open"}).json()["results"]
    assert [(t["organization"], t["overdue"]) for t in overdue] == [("DON", True)]
    assert [t["organization"] for t in eucom.get(f"{V1}/taskers/", {"organization": "USD(AT&L)"}).json()[
        "results"]] == ["USD(AT&L)"]
    problem = eucom.get(f"{V1}/taskers/", {"due_before": "not-a-date"})
    assert problem.status_code == 400 and "due_before" in problem.json()["errors"]


def test_lists_page_by_cursor(world, as_member):
    for _ in range(3):
        world.ready_plan()
    client = as_member("EUCOM", AO)
    page = client.get(f"{V1}/campaign-plans/", {"page_size": 2}).json()
    seen = [p["id"] for p in page["results"]]
    assert len(seen) == 2 and page["next"]
    following = client.get(page["next"]).json()
    seen += [p["id"] for p in following["results"]]
    assert len(set(seen)) == 3 and following["next"] is None
    bogus = client.get(f"{V1}/campaign-plans/", {"cursor": "bogus"})
    assert bogus.status_code == 400 and list(bogus.json()["errors"]) == ["cursor"]


def test_organizations_by_acronym_and_countries_by_code(world, as_member):
    client = as_member("EUCOM", AO)
    assert client.get(f"{V1}/organizations/USD(AT&L)/").json()["kind"] == "osd_psa"
    assert client.get(f"{V1}/organizations/", {"search": "J5"}).json()["results"][0]["parent"] == "JS"
    israel = client.get(f"{V1}/countries/il/").json()
    assert israel["name"] == "Israel"
    assert [p["command"] for p in israel["aor_periods"]] == ["EUCOM", "CENTCOM"]
    assert [c["code"] for c in client.get(f"{V1}/countries/", {"command": "CENTCOM"}).json()["results"]] == ["IL"]
    assert [c["code"] for c in client.get(f"{V1}/countries/", {"name": "pol"}).json()["results"]] == ["PL"]


def test_a_draft_is_edited_by_patch_and_its_lists_replaced(world, as_member):
    plan = world.ready_plan()
    changed = as_member("EUCOM", AO).patch(f"{V1}/campaign-plans/{plan.pk}/", {
        "title": "EUCOM campaign plan, revised",
        "partner_considerations": [{"country": "DE", "support": "yes", "can_support": "Yes", "safeguard": "yes",
                                    "can_safeguard": "Yes", "sustain": "yes",
                                    "can_sustain": "Yes"}],
    }, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["title"] == "EUCOM campaign plan, revised"
    assert [p["country"] for p in changed.json()["partner_considerations"]] == ["DE"]
    assert [o["code"] for o in changed.json()["objectives"]] == ["OBJ-1"]  # not given: kept
    assert as_member("EUCOM", REV).patch(f"{V1}/campaign-plans/{plan.pk}/", {"title": "x"},
                                         format="json").status_code == 403
