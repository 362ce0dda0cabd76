"""The reference data through time (issue #22, points 2 and 6): every effective-dated period
starts after its entity exists and is contiguous where it must be; each date cites a primary
source; offices succeeded since the directive (USD(AT&L), PA&E, USAID) hand their duties on; the
country list is ISO 3166-1 plus Kosovo."""

from __future__ import annotations

import datetime
import html
import json
from collections import defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from organizations import reference
from organizations.models import AreaOfResponsibility, Country, Organization, OrganizationSuccession
from organizations.reference import ReferenceDataError
from organizations.selectors import command_covering, organization_label, successors_on
from organizations.services import AorPeriodSpec, aor_periods_sync

DATA = reference.read()
ORGANIZATIONS = {entry["acronym"]: entry for entry in DATA["organizations"]}
BORN = {entry["code"]: datetime.date.fromisoformat(entry["exists_from"]) for entry in DATA["countries"]}


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def test_every_area_of_responsibility_period_starts_after_its_country_and_its_command_exist():
    """Encl. 2, 10.e (geographic commands and their areas): no period starts before the country
    (South Sudan 2011-07-09; Curaçao, Sint Maarten, Bonaire 2010-10-10) or the command exists."""
    late = []
    for period in DATA["aor"]:
        start = _date(period["start"])
        if period["country"] in BORN and start < BORN[period["country"]]:
            late.append(f"{period['country']} from {start}, exists from {BORN[period['country']]}")
        command_from = _date(ORGANIZATIONS[period["command"]].get("active_from"))
        if command_from and start < command_from:
            late.append(f"{period['country']} under {period['command']} from {start}, which exists from {command_from}")
    assert late == []
    assert {code: str(day) for code, day in BORN.items() if code in ("SS", "CW", "SX", "BQ")} == {
        "SS": "2011-07-09", "CW": "2010-10-10", "SX": "2010-10-10", "BQ": "2010-10-10"}


def test_each_countrys_periods_are_contiguous_and_it_is_covered_today():
    """A country passes from one command to the next on one day (Israel: EUCOM until 2021-09-01,
    CENTCOM from then): no gap, no overlap, and the last period is open."""
    by_country = defaultdict(list)
    for period in DATA["aor"]:
        by_country[period["country"]].append((_date(period["start"]), _date(period["end"])))
    faults = []
    for code, periods in by_country.items():
        periods.sort()
        for (_start, end), (next_start, _end) in zip(periods, periods[1:], strict=False):
            if end != next_start:
                faults.append(f"{code}: a period ends {end}, the next starts {next_start}")
        if periods[-1][1] is not None:
            faults.append(f"{code}: not covered after {periods[-1][1]}")
    assert faults == []
    assert len(by_country["IL"]) == 2


def test_successions_are_contiguous_with_the_predecessors_end_and_cite_a_primary_source():
    """Encl. 2, 3 and 1.k name USD(AT&L) and PA&E: their duties passed on the day each ended
    (1 Feb 2018, 22 May 2009), USAID's to the Department of State on 1 Jul 2025."""
    seen = set()
    for succession in DATA["successions"]:
        before, after = ORGANIZATIONS[succession["predecessor"]], ORGANIZATIONS[succession["successor"]]
        start = _date(succession["start"])
        assert _date(before["active_until"]) == start, succession
        assert _date(after.get("active_from")) in (None, start) or _date(after["active_from"]) <= start
        assert "Pub. L." in succession["source"] or "Department of State" in succession["source"]
        seen.add((succession["predecessor"], succession["successor"], succession["start"]))
    assert seen == {("USD(AT&L)", "USD(A&S)", "2018-02-01"), ("USD(AT&L)", "USD(R&E)", "2018-02-01"),
                    ("PA&E", "CAPE", "2009-05-22"), ("USAID", "DOS", "2025-07-01")}
    dated = [entry["acronym"] for entry in DATA["organizations"]
             if (entry.get("active_from") or entry.get("active_until")) and not entry.get("source")]
    assert dated == []


# Each succession's primary source and the exact date it names, as the public law or the official
# record has them (issue #22, point 2: "check each date against a primary source and cite it").
CITED = {
    ("USD(AT&L)", "USD(A&S)"): ("2018-02-01", ("National Defense Authorization Act for Fiscal Year 2017",
                                               "Pub. L. 114-328", "§ 901", "23 December 2016",
                                               "effective 1 February 2018")),
    ("USD(AT&L)", "USD(R&E)"): ("2018-02-01", ("National Defense Authorization Act for Fiscal Year 2017",
                                               "Pub. L. 114-328", "§ 901", "23 December 2016",
                                               "effective 1 February 2018")),
    ("PA&E", "CAPE"): ("2009-05-22", ("Weapon Systems Acquisition Reform Act of 2009", "Pub. L. 111-23",
                                      "§ 101", "123 Stat. 1704", "22 May 2009", "Office of Program Analysis and Evaluation",
                                      "enacted as 10 U.S.C. § 139c", "today 10 U.S.C. § 139a")),
    ("USAID", "DOS"): ("2025-07-01", ("Secretary of State's notification to Congress", "28 March 2025",
                                      "effective 1 July 2025")),
}


def test_each_succession_cites_its_primary_source_with_the_exact_date_it_takes_effect():
    """Encl. 2, 3 (USD(AT&L)), 1.k (PA&E) and 4.c (USAID's programs): the start of each
    succession is the day its source makes it take effect, and the source says so in words."""
    found = {(s["predecessor"], s["successor"]): (s["start"], s["source"]) for s in DATA["successions"]}
    assert set(found) == set(CITED)
    for pair, (start, words) in CITED.items():
        assert found[pair][0] == start, pair
        missing = [w for w in words if w not in found[pair][1]]
        assert missing == [], f"{pair}: the source does not say {missing}"


@pytest.mark.django_db
def test_the_organization_page_shows_each_succession_with_its_date_and_source(reference_data, client):
    from tests.factories import SuperuserFactory

    client.force_login(SuperuserFactory())
    successor = Organization.objects.get(acronym="USD(A&S)")
    page = html.unescape(client.get(reverse("admin:organizations_organization_change",
                                            args=[successor.pk])).content.decode())
    assert "USD(A&S), formerly USD(AT&L)" in page
    row = OrganizationSuccession.objects.get(predecessor__acronym="USD(AT&L)", successor=successor)
    assert f"From 1 February 2018: holds USD(AT&L)'s duties ({row.duties}); source: {row.source}." in page
    assert row.source == DATA["successions"][0]["source"] and "Pub. L. 114-328" in row.source


@pytest.mark.django_db
def test_the_loaded_database_holds_the_same_periods_and_kosovo_is_a_country(reference_data):
    """Countries: the ISO list plus Kosovo (XK, as the U.S. Government uses it), in EUCOM's area."""
    kosovo = Country.objects.get(code="XK")
    assert kosovo.name == "Kosovo" and kosovo.exists_from == datetime.date(2008, 2, 17)
    assert command_covering(country=kosovo, on=datetime.date(2027, 1, 1)).acronym == "EUCOM"
    south_sudan = Country.objects.get(code="SS")
    assert AreaOfResponsibility.objects.filter(country=south_sudan).order_by("start").first().start == \
        datetime.date(2011, 7, 9)
    assert command_covering(country=south_sudan, on=datetime.date(2010, 1, 1)) is None
    for period in AreaOfResponsibility.objects.select_related("country", "command"):
        assert period.country.exists_from is None or period.start >= period.country.exists_from, period
        assert period.command.active_from is None or period.start >= period.command.active_from, period
    atl = Organization.objects.get(acronym="USD(AT&L)")
    assert (atl.active, atl.active_until) == (False, datetime.date(2018, 2, 1))
    assert OrganizationSuccession.objects.filter(predecessor=atl).count() == 2


@pytest.mark.django_db
def test_the_office_holding_a_duty_depends_on_the_date_and_pages_name_both(reference_data):
    """Encl. 2, 3.a: USD(AT&L) coordinates on campaign plans; on a 2017 date that is USD(AT&L)
    itself, from 1 Feb 2018 USD(A&S) and USD(R&E); pages read "USD(A&S), formerly USD(AT&L)"."""
    atl, pae = Organization.objects.get(acronym="USD(AT&L)"), Organization.objects.get(acronym="PA&E")
    assert successors_on([atl.pk], on=datetime.date(2017, 6, 1)) == {}
    today = successors_on([atl.pk, pae.pk], on=datetime.date(2027, 1, 1))
    assert [o.acronym for o in today[atl.pk]] == ["USD(A&S)", "USD(R&E)"]
    assert [o.acronym for o in today[pae.pk]] == ["CAPE"]
    assert organization_label(Organization.objects.get(acronym="USD(A&S)")) == "USD(A&S), formerly USD(AT&L)"
    assert organization_label(Organization.objects.get(acronym="DOS"), on=datetime.date(2025, 6, 30)) == "DOS"
    assert organization_label(Organization.objects.get(acronym="DOS")) == "DOS, formerly USAID"


def test_a_file_with_a_period_before_its_country_or_a_gap_after_a_predecessor_is_refused(tmp_path):
    """Bad input gets a clear error naming each fault, and nothing is loaded."""
    data = json.loads(json.dumps(DATA))
    next(p for p in data["aor"] if p["country"] == "SS")["start"] = "2008-10-01"
    data["successions"][0]["start"] = "2018-03-01"
    data["countries"][0]["source"] = ""
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReferenceDataError) as refused:
        reference.read(path)
    problems = "\n".join(refused.value.problems)
    assert "SS exists only from 2011-07-09" in problems
    assert "the predecessor's active_until (2018-02-01) must be the successor's start (2018-03-01)" in problems
    assert "cite the primary source of the date" in problems


@pytest.mark.django_db
def test_a_period_before_the_country_exists_is_refused_beside_its_start(reference_data):
    """Countries (issue #22, point 6): South Sudan cannot be in a command's area before 9 Jul 2011."""
    south_sudan = Country.objects.get(code="SS")
    africom = Organization.objects.get(acronym="AFRICOM")
    before = list(AreaOfResponsibility.objects.filter(country=south_sudan).values_list("start", "end"))
    with pytest.raises(ValidationError) as refused:
        aor_periods_sync(country=south_sudan, periods=[AorPeriodSpec(command=africom, start=datetime.date(2008, 10, 1))])
    assert refused.value.message_dict["start"] == [
        f"South Sudan exists only from 2011-07-09 ({south_sudan.exists_source}); a period cannot start before it."]
    assert list(AreaOfResponsibility.objects.filter(country=south_sudan).values_list("start", "end")) == before
