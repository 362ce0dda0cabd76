"""Reference data of the assessments app: the security cooperation programs assessed each
cycle (Encl. 2, 1.k), each linked to the office that administers it: DSCA, which administers
the DoD security cooperation programs under USD(P) (Encl. 2, 2). Administrators edit them in the
admin; an existing row is never overwritten, except that a program with no administering office
is given its default one."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Designation
from organizations.selectors import designated_organization

from .models import Program

# (code, name, authority, the designation of the office administering it)
DSCA = Designation.SECURITY_COOPERATION_AGENCY
DEFAULT_PROGRAMS = (
    ("FMS", "Foreign Military Sales", "Arms Export Control Act", DSCA),
    ("FMF", "Foreign Military Financing", "Arms Export Control Act, sec. 23", DSCA),
    ("IMET", "International Military Education and Training", "Foreign Assistance Act, ch. 5", DSCA),
    ("BPC", "Building partner capacity programs", "10 U.S.C. 333", DSCA),
    ("CTFP", "Regional Defense Fellowship Program", "10 U.S.C. 345", DSCA),
)


@transaction.atomic
def load(*, stdout=None) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0, "linked": 0}
    for code, name, authority, designation in DEFAULT_PROGRAMS:
        office = designated_organization(designation)
        program, created = Program.objects.get_or_create(code=code, defaults={"name": name, "authority": authority,
                                                                              "administered_by": office})
        counts["created" if created else "unchanged"] += 1
        if not created and program.administered_by_id is None and office is not None:
            program.administered_by = office
            program.save(update_fields=["administered_by"])
            counts["linked"] += 1
    if stdout is not None:
        stdout.write(f"security cooperation programs: {counts['created']} created, {counts['unchanged']} unchanged, "
                     f"{counts['linked']} linked to their administering office")
    return counts
