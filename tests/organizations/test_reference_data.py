"""The reference data file and its idempotent loader (``load_reference_data``)."""

import datetime
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_countries import countries

from manpower.reference import read_scos
from organizations import reference
from organizations.management.commands import load_reference_data
from organizations.models import (
    COMBATANT_COMMAND_KINDS,
    AreaOfResponsibility,
    Country,
    Organization,
    OrganizationKind,
    OrganizationNameHistory,
)
from organizations.selectors import command_covering, commands_covering

pytestmark = pytest.mark.django_db

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _load(path=None) -> str:
    out = StringIO()
    call_command("load_reference_data", *(["--file", str(path)] if path else []), stdout=out)
    return out.getvalue()


def _counts(output: str) -> dict[str, dict[str, int]]:
    """{'organizations': {'created': 57, ...}, ...} from the command's output."""
    counts = {}
    for line in output.splitlines():
        for part in line.split(";"):  # an app's line may count two things: "SCOs: ...; manpower route: ..."
            if ":" in part and not part.startswith("reference data"):
                subject, numbers = part.split(":", 1)
                counts[subject.strip()] = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", numbers)}
    return counts


def _scos_beyond_the_file(data) -> list[dict]:
    """The manpower app's SCOs (``manpower/data/scos.json``) that the organizations file does not
    already name: the loader makes an organization for each of them."""
    named = {o["acronym"].lower() for o in data["organizations"]}
    return [sco for sco in read_scos() if sco["acronym"].lower() not in named]


def _edited_copy(tmp_path, edit) -> str:
    data = json.loads(reference.DEFAULT_PATH.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _entry(data, acronym):
    return next(o for o in data["organizations"] if o["acronym"] == acronym)


# Idempotence -------------------------------------------------------------------------------------

def test_the_first_load_creates_everything_in_the_file():
    data = json.loads(reference.DEFAULT_PATH.read_text(encoding="utf-8"))
    counts = _counts(_load())
    assert counts["countries"] == {"created": len(countries), "unchanged": 0}
    assert counts["organizations"] == {"created": len(data["organizations"]), "updated": 0, "unchanged": 0}
    assert counts["areas of responsibility"] == {"created": len(data["aor"]), "updated": 0, "unchanged": 0,
                                                 "removed": 0}
    assert counts["security cooperation organizations"] == {"created": len(read_scos()), "updated": 0, "unchanged": 0}
    # The file's organizations, and one more for each SCO the manpower app's file adds.
    assert Organization.objects.count() == len(data["organizations"]) + len(_scos_beyond_the_file(data))
    assert AreaOfResponsibility.objects.count() == len(data["aor"])


def test_a_second_load_changes_nothing_and_says_so():
    _load()
    with CaptureQueriesContext(connection) as queries:
        output = _load()
    counts = _counts(output)
    assert all(count["created"] == 0 and count.get("updated", 0) == 0 and count.get("removed", 0) == 0
               for count in counts.values()), counts
    data = json.loads(reference.DEFAULT_PATH.read_text(encoding="utf-8"))
    assert counts["organizations"]["unchanged"] == len(data["organizations"])
    assert counts["security cooperation organizations"]["unchanged"] == len(read_scos())
    assert Organization.objects.count() == len(data["organizations"]) + len(_scos_beyond_the_file(data))
    assert counts["areas of responsibility"]["unchanged"] == AreaOfResponsibility.objects.count()
    assert "reference data: no changes" in output.splitlines()
    writes = [query["sql"] for query in queries.captured_queries if WRITES.match(query["sql"])]
    assert writes == []
    assert not OrganizationNameHistory.objects.exists()


def test_a_renamed_entry_is_updated_and_its_earlier_name_kept(tmp_path):
    _load()
    j5 = Organization.objects.get(acronym="J5")
    earlier = j5.name

    def rename(data):
        _entry(data, "J5")["name"] = "Joint Staff J-5, Strategy, Plans, and Policy Directorate"

    counts = _counts(_load(_edited_copy(tmp_path, rename)))
    assert counts["organizations"]["updated"] == 1
    j5.refresh_from_db()
    assert j5.name == "Joint Staff J-5, Strategy, Plans, and Policy Directorate"
    assert list(j5.name_history.values_list("acronym", "name")) == [("J5", earlier)]
    assert _counts(_load(tmp_path / "reference.json"))["organizations"]["updated"] == 0


def test_a_moved_entry_gets_its_new_parent(tmp_path):
    _load()

    def move(data):
        _entry(data, "DTSA")["parent"] = "OSD"

    assert _counts(_load(_edited_copy(tmp_path, move)))["organizations"]["updated"] == 1
    assert Organization.objects.get(acronym="DTSA").parent.acronym == "OSD"


def test_a_moved_country_gets_a_new_period_and_the_old_one_ends(tmp_path):
    _load()

    def move_russia(data):
        russia = next(a for a in data["aor"] if a["country"] == "RU")
        russia["end"] = "2030-01-01"
        data["aor"].append({"country": "RU", "command": "INDOPACOM", "start": "2030-01-01", "end": None})

    counts = _counts(_load(_edited_copy(tmp_path, move_russia)))
    assert counts["areas of responsibility"]["created"] == 1
    assert counts["areas of responsibility"]["updated"] == 1
    assert command_covering(country="RU", on=datetime.date(2029, 12, 31)).acronym == "EUCOM"
    assert command_covering(country="RU", on=datetime.date(2030, 1, 1)).acronym == "INDOPACOM"


def test_a_file_with_a_problem_changes_nothing_and_lists_every_problem(tmp_path):
    def spoil(data):
        _entry(data, "DSCA")["kind"] = "agency"
        data["aor"][0]["country"] = "XX"

    with pytest.raises(CommandError) as refused:
        _load(_edited_copy(tmp_path, spoil))
    assert "unknown kind 'agency'" in str(refused.value)
    assert "'XX' is not an ISO 3166 country code" in str(refused.value)
    assert not Country.objects.exists() and not Organization.objects.exists()


def test_overlapping_periods_in_the_file_are_refused_naming_the_clash_and_nothing_is_written(tmp_path):
    def overlap(data):
        data["aor"].append({"country": "FR", "command": "AFRICOM", "start": "2020-01-01", "end": None})

    with pytest.raises(CommandError) as refused:
        _load(_edited_copy(tmp_path, overlap))
    assert "France is already covered by" in str(refused.value)
    assert not AreaOfResponsibility.objects.exists() and not Organization.objects.exists()


def test_the_command_then_loads_every_other_apps_reference_data_in_installed_apps_order(fake_apps):
    output = _load()
    assert [(label, module) for label, module, _stdout in fake_apps] == [
        ("fake_planning", "reference"), ("fake_assessments", "reference"),
    ]
    assert output.splitlines()[0].startswith("countries: ")


def test_a_failing_reference_loader_of_another_app_leaves_nothing_loaded(monkeypatch):
    def broken(*, stdout):
        raise RuntimeError("planning reference data is broken")

    monkeypatch.setattr(load_reference_data, "app_loaders", lambda module: iter([("planning", broken)]))
    with pytest.raises(RuntimeError):
        _load()
    assert not Country.objects.exists() and not Organization.objects.exists()


# What the file says ------------------------------------------------------------------------------

def test_every_iso_country_is_loaded_from_the_maintained_library(reference_data):
    assert set(Country.objects.values_list("code", flat=True)) == {code for code, _name in countries}


def test_the_eleven_current_combatant_commands_are_there_with_their_kind(reference_data):
    commands = dict(Organization.objects.filter(kind__in=COMBATANT_COMMAND_KINDS).values_list("acronym", "kind"))
    assert set(commands) == {"AFRICOM", "CENTCOM", "EUCOM", "INDOPACOM", "NORTHCOM", "SOUTHCOM", "SPACECOM",
                             "CYBERCOM", "SOCOM", "STRATCOM", "TRANSCOM"}
    assert commands["SOCOM"] == OrganizationKind.FUNCTIONAL_CCMD
    assert commands["EUCOM"] == OrganizationKind.GEOGRAPHIC_CCMD


def test_the_directives_names_are_kept_with_todays_offices_recorded(reference_data):
    """The directive's USD(AT&L) and PA&E stay, ended on the day their successors took over
    (issue #22, point 2; their successions in ``test_reference_periods``)."""
    atl = Organization.objects.get(acronym="USD(AT&L)")
    pae = Organization.objects.get(acronym="PA&E")
    assert [s.successor.acronym for s in atl.successions.order_by("successor__acronym")] == ["USD(A&S)", "USD(R&E)"]
    assert [s.successor.acronym for s in pae.successions.all()] == ["CAPE"]
    assert Organization.objects.get(acronym="USD(I)").current_acronym == "USD(I&S)"
    assert Organization.objects.get(acronym="J5").parent.acronym == "JS"
    assert Organization.objects.get(acronym="DSCA").parent.acronym == "USD(P)"
    for acronym in ("USD(P)", "USD(C)", "USD(I)", "USD(P&R)", "DIA", "DTSA", "DA", "DON", "DAF"):
        assert Organization.objects.filter(acronym=acronym, active=True).exists(), acronym


def _sample_dates() -> list[datetime.date]:
    dates = [datetime.date(2008, 10, 1) + datetime.timedelta(days=91 * n) for n in range(80)]
    dates += [datetime.date(2008, 12, 16), datetime.date(2008, 12, 17), datetime.date(2021, 8, 31),
              datetime.date(2021, 9, 1), datetime.date(2025, 6, 16), datetime.date(2025, 6, 17),
              timezone.localdate()]
    return sorted(set(dates))


def test_every_country_a_command_covers_today_maps_to_exactly_one_geographic_command_on_any_date(
    reference_data,
):
    covered_today = list(Country.objects.filter(code__in=[
        period.country.code for period in AreaOfResponsibility.objects.select_related("country")
        if period.start <= timezone.localdate() and (period.end is None or period.end > timezone.localdate())
    ]))
    assert len(covered_today) == len(countries)
    for day in _sample_dates():
        covering = AreaOfResponsibility.objects.filter(start__lte=day).exclude(end__lte=day)
        per_country = {}
        for country_id, kind in covering.values_list("country_id", "command__kind"):
            assert kind == OrganizationKind.GEOGRAPHIC_CCMD
            per_country[country_id] = per_country.get(country_id, 0) + 1
        existing = [c for c in covered_today if c.exists_from is None or c.exists_from <= day]
        missing = [c.code.code for c in existing if c.pk not in per_country]
        doubled = [c.code.code for c in covered_today if per_country.get(c.pk, 0) > 1]
        assert (missing, doubled) == ([], []), day
        assert len(commands_covering(countries=existing, on=day)) == len(existing), day


@pytest.mark.parametrize(("country", "day", "command"), [
    ("IL", datetime.date(2021, 8, 31), "EUCOM"),
    ("IL", datetime.date(2021, 9, 1), "CENTCOM"),
    ("GL", datetime.date(2025, 6, 16), "EUCOM"),
    ("GL", datetime.date(2025, 6, 17), "NORTHCOM"),
    ("FR", datetime.date(2025, 6, 17), "EUCOM"),
    ("US", datetime.date(2025, 6, 17), "NORTHCOM"),
])
def test_the_unified_command_plan_moves_of_israel_and_greenland(reference_data, country, day, command):
    assert command_covering(country=country, on=day).acronym == command
