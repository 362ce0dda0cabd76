"""Coordination by function (DoDD 5132.03 Encl. 2, 10.b second half; 7.a; 8.a): the functional
combatant commands and the offices with a function are brought into a plan's coordination when
its objectives or the activities under them work in that function, and the Military Departments
and Defense Agencies when the plan uses their programs (listed as programs used, or the programs
its activities are conducted under, by their administering office), as seam commands are for
partners in their areas of responsibility. Each is added with the reason, which the tasker keeps (``Tasker.added_reason``)."""

from __future__ import annotations

from django.db.models import Q

from organizations.models import Organization, OrganizationKind

from .models import Function

# Who holds each function: acronyms, looked up among the active organizations by their acronym or
# today's acronym (``Organization.current_acronym``: USD(A&S) for USD(AT&L), USD(I&S) for USD(I)).
FUNCTION_OFFICES: dict[str, tuple[str, ...]] = {
    Function.SPECIAL_OPERATIONS: ("SOCOM",),
    Function.CYBERSPACE: ("CYBERCOM",),
    Function.SPACE: ("SPACECOM",),
    Function.TRANSPORTATION_LOGISTICS: ("TRANSCOM",),
    Function.STRATEGIC_DETERRENCE: ("STRATCOM",),
    Function.INTELLIGENCE: ("DIA", "USD(I&S)"),
    Function.ACQUISITION_TECHNOLOGY_RELEASE: ("DTSA", "USD(A&S)"),
    Function.FINANCIAL_MANAGEMENT: ("USD(C)",),
}

# Whose programs bring them into coordination (7.a Defense Agencies, 8.a Military Departments).
PROGRAM_OWNER_KINDS = (OrganizationKind.MILITARY_DEPARTMENT, OrganizationKind.DEFENSE_AGENCY)


def function_offices(acronyms) -> dict[str, Organization]:
    """The active organization for each acronym (by acronym, else by today's acronym)."""
    acronyms = set(acronyms)
    found: dict[str, Organization] = {}
    rows = Organization.objects.filter(Q(acronym__in=acronyms) | Q(current_acronym__in=acronyms), active=True)
    for organization in sorted(rows, key=lambda o: o.acronym not in acronyms):  # own acronym first
        for name in (organization.acronym, organization.current_acronym):
            if name in acronyms:
                found.setdefault(name, organization)
    return found


def functions_invalid(values) -> list[str]:
    """The values that are not functions (a clear sentence each), for the lists' checks."""
    if values in (None, ""):
        return []
    if not isinstance(values, (list, tuple)):
        return ["The functions are a list."]
    unknown = [str(v) for v in values if v not in Function.values]
    if unknown:
        return [f"Not a function: {', '.join(unknown)}. Choose among {', '.join(Function.values)}."]
    return []


def functional_participants(plan) -> list[tuple[Organization, str]]:
    """The organizations added to ``plan``'s coordination by the functions of its objectives and
    of the activities under them, and by the programs it uses (its programs used and its
    activities' programs, by their administering office), each with the reason in the users'
    words, naming the objectives and activities that bring it in; never the owner."""
    activities = list(plan.activities.select_related("objective", "program__administered_by"))
    by_function: dict[str, tuple[list[str], list[str]]] = {}  # function: (objective codes, activities)
    for objective in plan.objectives.all():
        for function in objective.functions or ():
            by_function.setdefault(function, ([], []))[0].append(objective.code)
    for activity in activities:
        for function in activity.functions or ():
            by_function.setdefault(function, ([], []))[1].append(
                f"activity \u201c{activity.title}\u201d of objective {activity.objective.code}")
    offices = function_offices(a for f in by_function for a in FUNCTION_OFFICES.get(f, ()))
    reasons: dict[int, tuple[Organization, list[str]]] = {}
    for function, (codes, tagged) in by_function.items():
        sources = [f"objective {', '.join(codes)}"] if codes else []
        sources += list(dict.fromkeys(tagged))
        label = Function(function).label.lower() if function in Function.values else function
        for acronym in FUNCTION_OFFICES.get(function, ()):
            organization = offices.get(acronym)
            if organization is not None and organization.pk != plan.owner_id:
                reasons.setdefault(organization.pk, (organization, []))[1].append(
                    f"{label} ({'; '.join(sources)})")
    used = [(use.organization, use.program) for use in plan.programs_used.select_related("organization")]
    used += [(activity.program.administered_by, f"{activity.program.code} (activity \u201c{activity.title}\u201d)")
             for activity in activities if activity.program and activity.program.administered_by]
    programs: dict[int, tuple[Organization, list[str]]] = {}
    for organization, name in used:
        if organization.pk != plan.owner_id and organization.active and organization.kind in PROGRAM_OWNER_KINDS:
            programs.setdefault(organization.pk, (organization, []))[1].append(name)
    participants = [(organization, f"function: {'; '.join(why)} (DoDD 5132.03 Encl. 2, 10.b)")
                    for organization, why in reasons.values()]
    for pk, (organization, names) in programs.items():
        # Enclosure 2 gives the Defense Agencies section 7 and the Military Departments section 8.
        paragraph = "8.a" if organization.kind == OrganizationKind.MILITARY_DEPARTMENT else "7.a"
        text = f"program used: {'; '.join(names)} (DoDD 5132.03 Encl. 2, {paragraph})"
        if pk in reasons:
            participants = [(o, f"{why}; {text}" if o.pk == pk else why) for o, why in participants]
        else:
            participants.append((organization, text))
    return [(organization, why[:300]) for organization, why in participants]
