"""The whole campaign plan workflow driven through the API alone, by the organizations the
default route assigns: draft, coordination (with a non-concur and its adjudication), review,
approval."""

from __future__ import annotations

from .conftest import AO, APP, REV, plan_payload

V1 = "/api/v1"


def my_open_tasker(client) -> dict:
    mine = client.get(f"{V1}/taskers/", {"assigned_to_me": "true"}).json()["results"]
    assert len(mine) == 1, mine
    return mine[0]


def transition(client, plan_id, name, **body):
    return client.post(f"{V1}/campaign-plans/{plan_id}/transitions/{name}/", body, format="json")


def test_a_campaign_plan_goes_from_draft_to_approved_through_the_api_with_a_nonconcur_adjudicated(world, as_member):
    eucom = as_member("EUCOM", AO)
    created = eucom.post(f"{V1}/campaign-plans/", plan_payload(world), format="json")
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert (plan["state"], plan["owner"], plan["supporting_organizations"]) == ("draft", "EUCOM", ["DA", "DON"])
    assert plan["partner_considerations"][0]["country"] == "PL"

    options = {o["name"]: o for o in eucom.get(f"{V1}/campaign-plans/{plan['id']}/transitions/").json()}
    assert options["submit"]["allowed"] and options["submit"]["reasons"] == []
    submitted = transition(eucom, plan["id"], "submit", comment="For coordination", expected_state="draft")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "coordination"

    # Coordination: the supporting Military Departments and USD(AT&L) answer in parallel.
    da = as_member("DA", REV)
    assert da.post(f"{V1}/taskers/{my_open_tasker(da)['id']}/respond/", {"response": "concur"},
                   format="json").status_code == 200
    atl = as_member("USD(AT&L)", REV)
    answer = atl.post(f"{V1}/taskers/{my_open_tasker(atl)['id']}/respond/", {
        "response": "concur_with_comment",
        "comments": [{"category": "administrative", "section": "2.b", "text": "Typo", "proposed_change": ""}],
    }, format="json")
    assert answer.json()["response"] == "concur_with_comment"
    don = as_member("DON", REV)
    nonconcur = don.post(f"{V1}/taskers/{my_open_tasker(don)['id']}/respond/", {
        "response": "nonconcur", "rationale": "Navy assets double-counted",
        "comments": [{"category": "critical", "section": "3.a", "text": "Remove the air defense objective",
                      "proposed_change": "Delete 3.a"}],
    }, format="json")
    assert nonconcur.status_code == 200, nonconcur.json()

    # The owner cannot send it to review while the critical comment is open: 409 with the reason.
    refused = transition(eucom, plan["id"], "send_to_review", comment="")
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["1 critical comment from DON not adjudicated."]
    options = {o["name"]: o for o in eucom.get(f"{V1}/campaign-plans/{plan['id']}/transitions/").json()}
    assert options["send_to_review"]["reasons"] == refused.json()["reasons"]

    critical = eucom.get(f"{V1}/comments/", {"category": "critical", "adjudicated": "false"}).json()["results"]
    assert [c["organization"] for c in critical] == ["DON"]
    adjudicated = eucom.post(f"{V1}/comments/{critical[0]['id']}/adjudicate/",
                             {"decision": "partially_accepted", "rationale": "Counted once; see annex C"},
                             format="json")
    assert adjudicated.json()["decision"] == "partially_accepted"
    don_tasker = don.get(f"{V1}/taskers/", {"organization": "DON", "step": "coordination"}).json()["results"][0]
    assert don.post(f"{V1}/taskers/{don_tasker['id']}/respond/", {"response": "concur"},
                    format="json").status_code == 200
    in_review = transition(eucom, plan["id"], "send_to_review", comment="All comments adjudicated")
    assert in_review.status_code == 200, in_review.json()
    assert in_review.json()["state"] == "review"

    # Review by the Joint Staff (J5) and USD(P); then the owning command (EUCOM) approves (Encl. 2, 10.a).
    for acronym in ("J5", "USD(P)"):
        reviewer = as_member(acronym, REV)
        assert reviewer.post(f"{V1}/taskers/{my_open_tasker(reviewer)['id']}/respond/", {"response": "concur"},
                             format="json").status_code == 200
    approver = as_member("EUCOM", APP)
    assert [t["step"] for t in approver.get(f"{V1}/taskers/", {"assigned_to_me": "true"}).json()["results"]] == [
        "approval"]
    approved = transition(approver, plan["id"], "approve", comment="Approved")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved" and approved.json()["approved_at"]

    history = eucom.get(f"{V1}/campaign-plans/{plan['id']}/history/").json()
    actions = [entry["action"] for entry in history]
    for expected in ("created", "submit", "tasker_answered", "comment_adjudicated", "send_to_review", "approve"):
        assert expected in actions
    approval = next(entry for entry in history if entry["action"] == "approve")
    assert (approval["from_state"], approval["to_state"], approval["acting_for"]) == ("review", "approved", "EUCOM")
