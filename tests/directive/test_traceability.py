"""The directive's traceability: every numbered item is there with its text and status, the
command fails on a row that names what does not exist, and the admin's help shows it."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils.html import escape

from directive import traceability
from tests.factories import staff_member

POLICY = [f"policy-4.{letter}" for letter in "abcdef"]
ENCLOSURE = {1: "abcdefghijkl", 2: "abcdefgh", 3: "abcdef", 4: "", 5: "abc", 6: "abc", 7: "abcd",
             8: "abcdefghijkl", 9: "abcdefg", 10: "abcde"}


def test_every_numbered_item_of_policy_and_responsibilities_is_there_once_with_its_text():
    items = traceability.read()
    expected = POLICY + [f"encl2-{n}.{letter}" if letters else f"encl2-{n}"
                         for n, letters in ENCLOSURE.items() for letter in (letters or " ")]
    assert [item.id for item in items] == [e.strip().rstrip(".") for e in expected]
    assert next(i for i in items if i.id == "encl2-2.f").text.startswith("Approve, in coordination with the Chairman")
    assert all(item.text and item.status in traceability.STATUSES for item in items)


def test_the_data_in_the_repository_names_only_what_exists(capsys):
    call_command("traceability", "--check")
    assert "every page, code and test named exists" in capsys.readouterr().out


@pytest.mark.parametrize("broken, named", [
    ({"code": ["manpower.services.no_such_service"]}, "no code is named manpower.services.no_such_service"),
    ({"tests": ["tests/manpower/test_request_route.py::test_gone"]}, "no test is named tests/manpower/"),
    ({"tests": ["tests/nowhere.py::test_x"]}, "no test is named tests/nowhere.py::test_x"),
    ({"pages": [{"label": "x", "url_name": "admin:no_such_page"}]}, "no page is named admin:no_such_page"),
    ({"code": [], "tests": []}, "an implemented item names the code or tests"),
])
def test_an_implemented_row_naming_what_does_not_exist_fails_the_command(tmp_path, broken, named):
    data = json.loads(traceability.DEFAULT_PATH.read_text(encoding="utf-8"))
    row = next(item for item in data["items"] if item["id"] == "encl2-2.f")
    row.update(broken)
    path = tmp_path / "traceability.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as failed:
        call_command("traceability", "--check", "--file", str(path))
    assert "Encl. 2, 2.f:" in str(failed.value) and named in str(failed.value)


@pytest.mark.django_db
def test_the_admin_help_shows_every_item_with_links_to_its_pages(client):
    client.force_login(staff_member("eucom_action_officer"))
    start = client.get("/admin/")
    assert 'href="/admin/directive-traceability/"' in start.content.decode()
    page = client.get("/admin/directive-traceability/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<tr id=\"item-") == len(traceability.read())
    row = html[html.index('id="item-encl2-2.f"'):].split("</tr>")[0]
    assert "Implemented" in row and 'href="/admin/manpower/manpowerchangerequest/"' in row
    # A row not (fully) implemented says what is missing (whichever row that is as the product grows).
    unfinished = next(item for item in traceability.read() if item.missing)
    assert escape(f"Missing: {unfinished.missing}") in html
    assert 'id="traceability-problems"' not in html
