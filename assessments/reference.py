"""Reference data of the assessments app: the security cooperation programs assessed each
cycle (Encl. 2, 1.k). Administrators edit them in the admin; an existing row is never overwritten."""

from __future__ import annotations

from django.db import transaction

from .models import Program

DEFAULT_PROGRAMS = (
    ("FMS", "Foreign Military Sales", "Arms Export Control Act"),
    ("FMF", "Foreign Military Financing", "Arms Export Control Act, sec. 23"),
    ("IMET", "International Military Education and Training", "Foreign Assistance Act, ch. 5"),
    ("BPC", "Building partner capacity programs", "10 U.S.C. 333"),
    ("CTFP", "Regional Defense Fellowship Program", "10 U.S.C. 345"),
)


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0}
    for code, name, authority in DEFAULT_PROGRAMS:
        _program, created = Program.objects.get_or_create(code=code, defaults={"name": name, "authority": authority})
        counts["created" if created else "unchanged"] += 1
    if stdout is not None:
        stdout.write(f"security cooperation programs: {counts['created']} created, {counts['unchanged']} unchanged")
    return counts
