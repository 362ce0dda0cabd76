"""An answer's comments through the API: a list of comments, each with its place in the
document (section, page, paragraph, line), the comment, its rationale and the proposed change,
checked by the same service as the admin's answer form."""

from __future__ import annotations

from .conftest import AO, REV

V1 = "/api/v1"

COMMENTS = [
    {"category": "critical", "page": "12", "paragraph": "3.b", "line": "4-7", "text": "Remove the carrier presence.",
     "rationale": "Conflicts with the global force plan.", "proposed_change": "Rotational presence."},
    {"category": "substantive", "section": "4", "paragraph": "4.a", "text": "State sustainment funding."},
    {"category": "administrative", "page": "2", "line": "9", "text": "Spell out BMD."},
]


def navy_tasker(world, as_member):
    plan = world.ready_plan()
    as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {}, format="json")
    don = as_member("DON", REV)
    return don, don.get(f"{V1}/taskers/", {"assigned_to_me": "true"}).json()["results"][0]


def test_an_answer_takes_a_list_of_comments_and_the_matrix_gives_them_back_with_their_references(world, as_member):
    don, tasker = navy_tasker(world, as_member)
    answer = don.post(f"{V1}/taskers/{tasker['id']}/respond/", {
        "response": "nonconcur", "rationale": "Presence figures conflict.", "comments": COMMENTS}, format="json")
    assert answer.status_code == 200, answer.json()
    matrix = don.get(f"{V1}/comments/", {"document_id": tasker["document"]["id"]}).json()["results"]
    by_text = {c["text"]: c for c in matrix}
    assert set(by_text) == {c["text"] for c in COMMENTS}
    critical = by_text["Remove the carrier presence."]
    assert {k: critical[k] for k in ("category", "section", "page", "paragraph", "line", "rationale",
                                     "proposed_change")} == {
        "category": "critical", "section": "", "page": "12", "paragraph": "3.b", "line": "4-7",
        "rationale": "Conflicts with the global force plan.", "proposed_change": "Rotational presence."}
    assert by_text["State sustainment funding."]["section"] == "4"


def test_a_faulty_comment_is_a_400_naming_its_place_in_the_list_and_nothing_is_recorded(world, as_member):
    don, tasker = navy_tasker(world, as_member)
    response = don.post(f"{V1}/taskers/{tasker['id']}/respond/", {
        "response": "nonconcur", "rationale": "Presence figures conflict.",
        "comments": [COMMENTS[0], {"category": "substantive", "text": "  "}]}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"comments[1].text": ["The comment needs text."]}
    too_long = don.post(f"{V1}/taskers/{tasker['id']}/respond/", {
        "response": "concur_with_comment", "comments": [{**COMMENTS[2], "line": "9" * 21}]}, format="json")
    assert too_long.status_code == 400 and "comments" in str(too_long.json()["errors"])
    assert don.get(f"{V1}/comments/", {"document_id": tasker["document"]["id"]}).json()["results"] == []


def test_the_schema_documents_the_comment_fields(world, as_member):
    schema = as_member("DON", REV).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    comment = schema["components"]["schemas"]["TaskerCommentInputRequest"]["properties"]
    assert {"category", "section", "page", "paragraph", "line", "text", "rationale", "proposed_change"} <= set(comment)
    read = schema["components"]["schemas"]["Comment"]["properties"]
    assert {"page", "paragraph", "line", "rationale"} <= set(read)
