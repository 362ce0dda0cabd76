"""The reference data: ISO countries (from django-countries), the organizations the directive
names (with today's names where they changed) and the country-to-command table over time, from
``organizations/data/reference.json``. ``load`` makes the database match the file through the
services, so loading twice changes nothing and an edited file updates what it names.

The file (parents listed before their children)::

    {"organizations": [{"acronym", "name", "kind", "parent", "supervised_by",
                        "current_name", "current_acronym", "notes", "designations": [...],
                        "active_from", "active_until", "source"}, ...],
     "successions": [{"predecessor": "USD(AT&L)", "successor": "USD(A&S)", "start": "2018-02-01",
                      "duties", "source"}, ...],
     "countries": [{"code": "SS", "exists_from": "2011-07-09", "source"}, ...],
     "aor": [{"country": "IL", "command": "EUCOM", "start": "2008-10-01", "end": "2021-09-01"}, ...]}

Every date of an organization's existence, a succession or a country's birth cites its primary
source (``source``); ``read`` refuses the file otherwise, and refuses a period that starts before
its country or command exists, or a succession not contiguous with its predecessor's end.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django_countries import countries

from .models import (
    AreaOfResponsibility,
    Country,
    Designation,
    Organization,
    OrganizationDesignation,
    OrganizationKind,
    OrganizationSuccession,
)
from .selectors import designation_holders
from .services import (
    AorPeriodSpec,
    aor_periods_sync,
    designation_assign,
    organization_create,
    organization_deactivate,
    organization_update,
)

# The directive's date: the offices it names hold their functions from then on.
DIRECTIVE_DATE = datetime.date(2008, 10, 24)

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "reference.json"


class ReferenceDataError(Exception):
    """The file is malformed or contradicts the rules; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.removed


@dataclass
class LoadReport:
    countries: Counts = field(default_factory=Counts)
    organizations: Counts = field(default_factory=Counts)
    aor_periods: Counts = field(default_factory=Counts)
    designations: Counts = field(default_factory=Counts)
    successions: Counts = field(default_factory=Counts)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return (self.countries.changes + self.organizations.changes + self.aor_periods.changes
                + self.designations.changes + self.successions.changes)

    def lines(self) -> list[str]:
        return [
            f"countries: {self.countries.created} created, {self.countries.unchanged} unchanged",
            f"organizations: {self.organizations.created} created, {self.organizations.updated} updated, "
            f"{self.organizations.unchanged} unchanged",
            f"areas of responsibility: {self.aor_periods.created} created, {self.aor_periods.updated} updated, "
            f"{self.aor_periods.unchanged} unchanged, {self.aor_periods.removed} removed",
            f"designated offices: {self.designations.created} created, {self.designations.unchanged} unchanged",
            f"successions: {self.successions.created} created, {self.successions.updated} updated, "
            f"{self.successions.unchanged} unchanged",
            *(f"warning: {warning}" for warning in self.warnings),
            f"reference data: {self.changes} changes" if self.changes else "reference data: no changes",
        ]


def read(path: Path | str = DEFAULT_PATH) -> dict[str, Any]:
    """The parsed file, after checking its shape; raises ReferenceDataError listing every problem."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ReferenceDataError([f"{path}: {error}"]) from error
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("organizations"), list) \
            or not isinstance(data.get("aor"), list):
        raise ReferenceDataError([f"{path}: expected an object with lists 'organizations' and 'aor'"])

    kinds: dict[str, str] = {}
    designated: dict[str, str] = {}
    lifetimes: dict[str, tuple[datetime.date | None, datetime.date | None]] = {}
    for number, entry in enumerate(data["organizations"], start=1):
        where = f"organization #{number} ({entry.get('acronym') or 'no acronym'})"
        acronym = (entry.get("acronym") or "").strip()
        if not acronym or not (entry.get("name") or "").strip():
            problems.append(f"{where}: acronym and name are required")
            continue
        if acronym.upper() in kinds:
            problems.append(f"{where}: the acronym is listed twice")
        if entry.get("kind") not in OrganizationKind.values:
            problems.append(f"{where}: unknown kind {entry.get('kind')!r}")
        for link in ("parent", "supervised_by"):
            target = entry.get(link)
            if target and target.upper() not in kinds:
                problems.append(f"{where}: {link} {target} must be listed before it")
        designations = entry.get("designations") or []
        if not isinstance(designations, list):
            problems.append(f"{where}: designations must be a list")
            designations = []
        for designation in designations:
            if designation not in Designation.values:
                problems.append(f"{where}: unknown designation {designation!r}")
            elif designation in designated:
                problems.append(f"{where}: {designation} is also given to {designated[designation]}; "
                                "one organization holds a designation")
            else:
                designated[designation] = acronym
        kinds[acronym.upper()] = entry.get("kind")
        try:
            lifetime = tuple(datetime.date.fromisoformat(entry[key]) if entry.get(key) else None
                             for key in ("active_from", "active_until"))
        except (TypeError, ValueError):
            problems.append(f"{where}: active_from and active_until must be dates like 2018-02-01")
            lifetime = (None, None)
        if any(lifetime) and not (entry.get("source") or "").strip():
            problems.append(f"{where}: cite the primary source of its dates in 'source'")
        if lifetime[0] and lifetime[1] and lifetime[1] <= lifetime[0]:
            problems.append(f"{where}: active_until must be after active_from")
        lifetimes[acronym.upper()] = lifetime  # type: ignore[assignment]

    for number, entry in enumerate(data.get("successions") or [], start=1):
        where = f"succession #{number} ({entry.get('predecessor')} → {entry.get('successor')})"
        before, after = (entry.get("predecessor") or "").upper(), (entry.get("successor") or "").upper()
        if before not in kinds or after not in kinds or before == after:
            problems.append(f"{where}: predecessor and successor must be two organizations of the file")
            continue
        try:
            start = datetime.date.fromisoformat(entry.get("start") or "")
        except (TypeError, ValueError):
            problems.append(f"{where}: start must be a date like 2018-02-01")
            continue
        if not (entry.get("source") or "").strip() or not (entry.get("duties") or "").strip():
            problems.append(f"{where}: say which duties pass ('duties') and cite the primary source ('source')")
        if lifetimes[before][1] != start:
            problems.append(f"{where}: the predecessor's active_until ({lifetimes[before][1]}) must be the "
                            f"successor's start ({start}): the periods are contiguous")
        if lifetimes[after][0] and lifetimes[after][0] > start:
            problems.append(f"{where}: the successor exists only from {lifetimes[after][0]}")

    born: dict[str, datetime.date] = {}
    for number, entry in enumerate(data.get("countries") or [], start=1):
        where = f"country #{number} ({entry.get('code')})"
        if entry.get("code") not in countries:
            problems.append(f"{where}: {entry.get('code')!r} is not a country code of the list")
            continue
        try:
            born[entry["code"]] = datetime.date.fromisoformat(entry.get("exists_from") or "")
        except (TypeError, ValueError):
            problems.append(f"{where}: exists_from must be a date like 2011-07-09")
        if not (entry.get("source") or "").strip():
            problems.append(f"{where}: cite the primary source of the date in 'source'")

    seen: set[tuple[str, str]] = set()
    for number, entry in enumerate(data["aor"], start=1):
        where = f"aor #{number} ({entry.get('country')} {entry.get('start')})"
        if entry.get("country") not in countries:
            problems.append(f"{where}: {entry.get('country')!r} is not an ISO 3166 country code")
        command = (entry.get("command") or "").upper()
        if kinds.get(command) != OrganizationKind.GEOGRAPHIC_CCMD:
            problems.append(f"{where}: {entry.get('command')!r} is not a geographic combatant command of the file")
        try:
            start = datetime.date.fromisoformat(entry.get("start") or "")
            end = datetime.date.fromisoformat(entry["end"]) if entry.get("end") else None
        except (TypeError, ValueError):
            problems.append(f"{where}: start and end must be dates like 2021-09-01 (end may be null)")
            continue
        if end is not None and end <= start:
            problems.append(f"{where}: the end must be after the start")
        if entry.get("country") in born and start < born[entry["country"]]:
            problems.append(f"{where}: {entry['country']} exists only from {born[entry['country']]}")
        active_from = lifetimes.get(command, (None, None))[0]
        if active_from and start < active_from:
            problems.append(f"{where}: {entry.get('command')} exists only from {active_from}")
        if (entry.get("country"), entry.get("start")) in seen:
            problems.append(f"{where}: listed twice")
        seen.add((entry.get("country"), entry.get("start")))
    if problems:
        raise ReferenceDataError(problems)
    return data


def _find(acronym: str) -> Organization | None:
    """The organization an acronym of the file names: the active one, else the latest inactive one
    (a deactivated entry stays deactivated; the file does not resurrect it)."""
    return (Organization.objects.filter(acronym__iexact=acronym)
            .order_by("-active", "-active_until", "-pk").first())


@transaction.atomic
def load(*, path: Path | str = DEFAULT_PATH) -> LoadReport:
    """Make the database match the reference file: create what is missing, update what the file
    changed (renames keep their history), leave the rest untouched, and count each. One
    transaction: a problem anywhere leaves the database as it was."""
    data = read(path)
    report = LoadReport()

    existing_codes = set(Country.objects.values_list("code", flat=True))
    new_countries = [Country(code=code) for code, _name in countries if code not in existing_codes]
    Country.objects.bulk_create(new_countries)
    report.countries.created = len(new_countries)
    report.countries.unchanged = len(existing_codes & {code for code, _name in countries})
    births = {entry["code"]: (datetime.date.fromisoformat(entry["exists_from"]), entry["source"])
              for entry in data.get("countries") or ()}
    for country in Country.objects.filter(code__in=births) if births else ():
        if (country.exists_from, country.exists_source) != births[str(country.code)]:
            country.exists_from, country.exists_source = births[str(country.code)]
            country.save(update_fields=["exists_from", "exists_source"])

    by_acronym: dict[str, Organization] = {}
    created: set[int] = set()
    for entry in data["organizations"]:
        acronym = entry["acronym"].strip()
        fields = {
            "name": entry["name"].strip(),
            "kind": entry["kind"],
            "parent": by_acronym[entry["parent"].upper()] if entry.get("parent") else None,
            "supervised_by": by_acronym[entry["supervised_by"].upper()] if entry.get("supervised_by") else None,
            "current_name": entry.get("current_name") or "",
            "current_acronym": entry.get("current_acronym") or "",
            "notes": (entry.get("notes") or "") + (f" Source of its dates: {entry['source']}."
                                                   if entry.get("source") else ""),
            "active_from": datetime.date.fromisoformat(entry["active_from"]) if entry.get("active_from") else None,
        }
        organization = _find(acronym)
        try:
            if organization is None:
                organization = organization_create(acronym=acronym, **fields)
                created.add(organization.pk)
                report.organizations.created += 1
            else:
                organization, changed = organization_update(organization=organization,
                                                            data={"acronym": acronym, **fields})
                if changed:
                    report.organizations.updated += 1
                else:
                    report.organizations.unchanged += 1
        except ValidationError as error:
            raise ReferenceDataError([f"organization {acronym}: {message}" for message in error.messages]) \
                from error
        by_acronym[acronym.upper()] = organization

    for entry in data["organizations"]:
        for designation in entry.get("designations") or ():
            organization = by_acronym[entry["acronym"].strip().upper()]
            holders = designation_holders().get(designation, ())
            if organization.pk in holders:
                report.designations.unchanged += 1
                continue
            first = not OrganizationDesignation.objects.filter(designation=designation).exists()
            start = max(DIRECTIVE_DATE, organization.active_from or DIRECTIVE_DATE) if first else None
            try:
                designation_assign(organization=organization, designation=designation, start=start,
                                   reason="Reference data")
            except ValidationError as error:
                raise ReferenceDataError([f"designation {designation} of {entry['acronym']}: {message}"
                                          for message in error.messages]) from error
            report.designations.created += 1

    for entry in data["organizations"]:
        if not entry.get("active_until"):
            continue
        organization = by_acronym[entry["acronym"].strip().upper()]
        if organization.active:
            try:
                organization_deactivate(organization=organization,
                                        on=datetime.date.fromisoformat(entry["active_until"]))
                if organization.pk not in created:  # a new entry is created as it ended: one change
                    report.organizations.updated += 1
            except ValidationError as error:
                report.warnings.append(f"{organization} left active: {' '.join(error.messages)}")

    for entry in data.get("successions") or ():
        predecessor = by_acronym[entry["predecessor"].upper()]
        successor = by_acronym[entry["successor"].upper()]
        wanted_row = {"start": datetime.date.fromisoformat(entry["start"]), "duties": entry["duties"],
                      "source": entry["source"]}
        row = OrganizationSuccession.objects.filter(predecessor=predecessor, successor=successor).first()
        if row is not None and all(getattr(row, key) == value for key, value in wanted_row.items()):
            report.successions.unchanged += 1
            continue
        if row is not None:
            report.successions.updated += 1
        else:
            report.successions.created += 1
            row = OrganizationSuccession(predecessor=predecessor, successor=successor)
        for key, value in wanted_row.items():
            setattr(row, key, value)
        try:
            row.full_clean()
        except ValidationError as error:
            raise ReferenceDataError([f"succession {predecessor} → {successor}: {message}"
                                      for message in error.messages]) from error
        row.save()

    wanted: dict[str, list[AorPeriodSpec]] = defaultdict(list)
    for entry in data["aor"]:
        wanted[entry["country"]].append(AorPeriodSpec(
            command=by_acronym[entry["command"].upper()],
            start=datetime.date.fromisoformat(entry["start"]),
            end=datetime.date.fromisoformat(entry["end"]) if entry.get("end") else None,
        ))
    country_by_code = {str(country.code): country for country in Country.objects.filter(code__in=wanted)}
    in_database: dict[str, set] = defaultdict(set)
    for code, command_id, start, end in AreaOfResponsibility.objects.values_list(
            "country__code", "command_id", "start", "end"):
        in_database[code].add((command_id, start, end))
    for code, specs in sorted(wanted.items()):
        if in_database[code] == {(spec.command.pk, spec.start, spec.end) for spec in specs}:
            report.aor_periods.unchanged += len(specs)  # the common case, without a lock per country
            continue
        try:
            result = aor_periods_sync(country=country_by_code[code], periods=specs)
        except ValidationError as error:
            raise ReferenceDataError([f"area of responsibility of {code}: {message}"
                                      for message in error.messages]) from error
        report.aor_periods.created += result.created
        report.aor_periods.updated += result.updated
        report.aor_periods.unchanged += result.unchanged
        report.aor_periods.removed += result.removed
    return report
