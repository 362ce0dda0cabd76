"""Writes on plans. Transitions go through ``workflow.services.transition_perform``; the
functions under "effects of transitions" are what a transition does, each named beside its
transition in ``planning.workflows`` (the engine calls it from there)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations.models import Role, with_article
from organizations.selectors import acting_capacity, organization_label
from runtime.stored_files import deleted_on_commit, kept_unless_rolled_back
from security.markings import RANK, Marking
from workflow.exceptions import ActionRefused, InvalidInput, NotPermitted
from workflow.models import Response, Step, TaskerState
from workflow.rules import TransitionContext
from workflow.selectors import open_taskers, route_participants, step_suspense_days, taskers_of
from workflow.services import (
    document_lock,
    history_record,
    route_snapshot_take,
    state_label,
    suspense_for,
    taskers_cancel_open,
    taskers_close_answered,
    taskers_issue,
    transition_perform,
)

from .coordination import functional_participants
from .models import (
    CampaignPlan,
    CampaignSupportPlan,
    Capability,
    ComplementaryActivity,
    Objective,
    PartnerConsideration,
    PlanActivity,
    PlanAnnex,
    PlanDocument,
    PlanSection,
    PlanState,
    ProgramUse,
    ScanResult,
)

EDITABLE_FIELDS = {
    "title", "gef", "period_start", "period_end", "summary", "complementary_usg_activities", "resources_needed",
    "risk_if_not_resourced", "classification", "noforn", "cui_designation_indicator", "classified_by",
    "derived_from", "declassify_on", "kind", "parent_plan",
}


def _suspense_from(context: TransitionContext) -> tuple[datetime.date | None, str]:
    raw = context.data.get("suspense")
    if raw in (None, ""):
        return None, ""
    if isinstance(raw, str):
        try:
            raw = datetime.date.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput("The suspense must be a date (YYYY-MM-DD).", {"suspense": ["Not a date."]}) from exc
    return raw, (context.data.get("suspense_reason") or "").strip()


def _owner_capacity(plan: PlanDocument, by, roles=(Role.ACTION_OFFICER,)):
    capacity = acting_capacity(user=by, organization=plan.owner, roles=roles)
    if capacity is None:
        words = " or ".join(Role(r).label.lower() for r in roles)
        raise NotPermitted(f"Only {with_article(words)} of {organization_label(plan.owner)} may do this.")
    return capacity


def _references_checked(fields: dict, by) -> None:
    """A plan may name only a parent plan its author may see; the refusal is the same whether the
    plan exists or not, so it confirms nothing."""
    parent = fields.get("parent_plan")
    if parent is None:
        return
    from .selectors import plans_visible_to

    if not plans_visible_to(by, CampaignPlan).filter(pk=parent.pk).exists():
        raise InvalidInput("Choose a parent plan among the campaign plans you may see.",
                           {"parent_plan": ["Not one of the available choices."]})


def _validated(plan: PlanDocument) -> None:
    try:
        plan.full_clean(exclude=["state"])
    except ValidationError as exc:
        raise InvalidInput([m for ms in exc.message_dict.values() for m in ms], exc.message_dict) from exc
    errors = plan_ownership_refusals(plan)
    if errors:
        raise InvalidInput([m for ms in errors.values() for m in ms], errors)


def plan_ownership_refusals(plan: PlanDocument, *, supported_plans=None) -> dict[str, list[str]]:
    """Who may own which plan, by field (empty: it may): the one rule the admin and the API meet,
    each kind answering for itself (``PlanDocument.ownership_refusals``): a theater (or regional)
    campaign plan is written by a geographic combatant command, one in force per command and
    period; a functional campaign plan by a functional combatant command (DoDD 5132.03, Glossary;
    Encl. 2, 10.a); a campaign support plan by a Military Department, Defense Agency, Field
    Activity or OSD office (7.b, 8.b), or by a combatant command supporting another command's plan
    (``supported_plans``: the list about to be stored, else the stored one)."""
    if not plan.owner_id:
        return {}
    return plan.ownership_refusals(supported_plans=supported_plans)


# --- create and edit ---------------------------------------------------------------------

def plan_create(*, model: type[PlanDocument], by, owner, title: str, **fields) -> PlanDocument:
    """Create a draft plan for ``owner``; only its action officers (or their delegates) may."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _references_checked(fields, by)
    if owner is not None:
        fields = {**model.fields_for_owner(owner), **fields}  # a functional command's plan is functional
    with transaction.atomic():
        plan = model(owner=owner, title=title, created_by=by, **fields)
        capacity = _owner_capacity(plan, by)
        _validated(plan)
        plan.save()
        plan_banner_sync(plan=plan, by=by)
        history_record(document=plan, action="created", description=f"Draft created (version {plan.version})",
                       actor=by, capacity=capacity, to_state=plan.state)
    return plan


def campaign_plan_create(*, by, owner, title: str, **fields) -> CampaignPlan:
    return plan_create(model=CampaignPlan, by=by, owner=owner, title=title, **fields)


def support_plan_create(*, by, owner, title: str, **fields) -> CampaignSupportPlan:
    return plan_create(model=CampaignSupportPlan, by=by, owner=owner, title=title, **fields)


def plan_update(*, plan: PlanDocument, by, **fields) -> PlanDocument:
    """Edit a draft: only while it is a draft, only by the owner's action officers and approvers."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = document_lock(model=type(plan), pk=plan.pk).document
        plan_assert_editable(plan=locked, by=by)
        # Compared with the stored plan (not the caller's copy, which a form may have changed
        # already): an unchanged parent stays, whoever edits.
        if fields.get("parent_plan") is not None and fields["parent_plan"].pk != getattr(locked, "parent_plan_id",
                                                                                          None):
            _references_checked(fields, by)
        for name, value in fields.items():
            setattr(locked, name, value)
        _validated(locked)
        locked.save()
        plan_banner_sync(plan=locked, by=by)
    return locked


# The marking's parts kept as lists (REL TO countries, CUI categories, dissemination controls).
MARKING_PARTS = {"rel_to", "cui_categories", "dissemination_controls"}



def plan_links(plan: PlanDocument | type[PlanDocument]) -> set[str]:
    """The many-to-many lists of a plan's kind that ``plan_lists_replace`` sets: the kind's
    own (``PlanDocument.link_lists``) and the marking's parts."""
    return {*plan.link_lists, *MARKING_PARTS}


class PlanContentInvalid(InvalidInput):
    """A plan's content refused, with the rows at fault: ``rows`` maps a list
    (``partner_considerations``, ``objectives``, ``sections``, as the plan names them) to
    ``{row index: {field: [sentences]}}``, so that an edge which shows the rows (the admin's inlines)
    puts each sentence beside its row. ``reasons`` and ``field_errors`` are those of any
    ``InvalidInput`` (the API answers with them)."""

    def __init__(self, reasons: list[str] | str, field_errors: dict[str, list[str]] | None = None,
                 rows: dict[str, dict[int, dict[str, list[str]]]] | None = None):
        super().__init__(reasons, field_errors)
        self.rows = rows or {}


RowFaults = dict[int, dict[str, list[str]]]


def _repeated(values: list) -> list:
    return sorted({value for value in values if values.count(value) > 1})


def _missing(items: list[dict], names: tuple[str, ...], message: str) -> tuple[list[str], RowFaults]:
    rows = {index: {name: [message] for name in names if not item.get(name)}
            for index, item in enumerate(items) if any(not item.get(name) for name in names)}
    return ([message], rows) if rows else ([], {})


def partner_list_faults(partners: list[dict]) -> tuple[list[str], RowFaults]:
    """What is wrong with a plan's list of partner considerations, and in which rows (empty:
    nothing): each country once, each answer yes / partly / no, and a "no" only with the
    overriding military considerations that justify going ahead (directive 4.b)."""
    messages, rows = _missing(partners, ("country",), "Each partner consideration needs its country.")
    if messages:
        return messages, rows
    codes = [p["country"].code.code for p in partners]
    repeated = _repeated(codes)
    if repeated:
        message = f"Each country once: {', '.join(repeated)} repeated."
        return [message], {index: {"country": [message]} for index, code in enumerate(codes) if code in repeated}
    for index, partner in enumerate(partners):
        for rating, _evidence in PartnerConsideration.ANSWERS:
            value = partner.get(rating) or ""
            if value not in ("", *Capability.values):
                rows.setdefault(index, {})[rating] = ["Answer yes, partly or no."]
        if any(partner.get(r) == Capability.NO for r, _ in PartnerConsideration.ANSWERS) \
                and not (partner.get("overriding_considerations") or "").strip():
            rows.setdefault(index, {})["overriding_considerations"] = [
                f"{partner['country'].name} cannot support, safeguard or sustain the capability: state the "
                "overriding military considerations (4.b), or change the answer."]
    messages = sorted({m for fields in rows.values() for ms in fields.values() for m in ms})
    return messages, rows


def objective_list_faults(objectives: list[dict]) -> tuple[list[str], RowFaults]:
    """What is wrong with a plan's list of objectives, and in which rows (empty: nothing)."""
    from .coordination import functions_invalid

    messages, rows = _missing(objectives, ("code", "title"), "Each objective needs its code and title.")
    for index, objective in enumerate(objectives):
        invalid = functions_invalid(objective.get("functions"))
        if invalid:
            rows.setdefault(index, {})["functions"] = invalid
            messages = [*messages, *[m for m in invalid if m not in messages]]
    return messages, rows


def section_list_faults(sections: list[dict]) -> tuple[list[str], RowFaults]:
    """What is wrong with a plan's list of sections, and in which rows (empty: nothing): each needs
    its number and heading, each number once, and no paragraph marked above its section."""
    from .richtext import portion_marks_refusal, sanitize_html

    messages, rows = _missing(sections, ("number", "heading"), "Each section needs its number and heading.")
    if messages:
        return messages, rows
    numbers = [s["number"] for s in sections]
    repeated = _repeated(numbers)
    if repeated:
        message = f"Each section number once: {', '.join(repeated)} repeated."
        return [message], {index: {"number": [message]} for index, number in enumerate(numbers)
                           if number in repeated}
    for index, section in enumerate(sections):
        refusal = portion_marks_refusal(sanitize_html(section.get("body") or ""),
                                        level=section.get("classification") or "U")
        if refusal:
            rows.setdefault(index, {})["body"] = [refusal]
    return sorted({m for fields in rows.values() for ms in fields.values() for m in ms}), rows


def program_list_faults(programs: list[dict]) -> tuple[list[str], RowFaults]:
    """What is wrong with a plan's list of programs used (7.a, 8.a), and in which rows."""
    from .coordination import PROGRAM_OWNER_KINDS

    messages, rows = _missing(programs, ("organization", "program"),
                              "Each program used needs its organization and its name.")
    if messages:
        return messages, rows
    for index, use in enumerate(programs):
        if use["organization"].kind not in PROGRAM_OWNER_KINDS:
            rows[index] = {"organization": [f"{use['organization']} is not a Military Department or Defense "
                                            "Agency."]}
    return sorted({m for fields in rows.values() for ms in fields.values() for m in ms}), rows


def activity_list_faults(activities: list[dict]) -> tuple[list[str], RowFaults]:
    """What is wrong with a plan's list of complementary U.S. Government activities (4.c)."""
    return _missing(activities, ("country", "agency", "program"),
                    "Each complementary activity needs its partner country, agency and program.")


def _activity_named(index: int, item: dict) -> str:
    title = (item.get("title") or "").strip()
    return f"Activity {index + 1}" + (f" (\u201c{title}\u201d)" if title else "")


def plan_activity_list_faults(activities: list[dict]) -> tuple[list[str], RowFaults]:
    """What is wrong with a plan's list of activities on its own, and in which rows (empty:
    nothing): each needs its objective, title, partner country, start and end dates, ends on or
    after it starts, and is tagged only with functions (``planning.coordination.functions_invalid``).
    What depends on the plan (its objectives, partners and period) is ``_plan_activities_checked``'s."""
    from .coordination import functions_invalid

    rows: RowFaults = {}
    required = (("objective", "its objective"), ("title", "its title"), ("partner", "its partner country"),
                ("start_date", "its start date"), ("end_date", "its end date"))
    for index, item in enumerate(activities):
        named = _activity_named(index, item)
        for name, words in required:
            value = item.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                rows.setdefault(index, {})[name] = [f"{named} needs {words}."]
        start, end = item.get("start_date"), item.get("end_date")
        if start and end and end < start:
            rows.setdefault(index, {})["end_date"] = [f"{named} ends ({end}) before it starts ({start})."]
        invalid = functions_invalid(item.get("functions"))
        if invalid:
            rows.setdefault(index, {})["functions"] = [f"{named}: {m}" for m in invalid]
    return [m for fields in rows.values() for ms in fields.values() for m in ms], rows


def plan_activity_list_errors(activities: list[dict]) -> list[str]:
    return plan_activity_list_faults(activities)[0]


def partner_list_errors(partners: list[dict]) -> list[str]:
    """What is wrong with a plan's list of partner considerations (empty: nothing)."""
    return partner_list_faults(partners)[0]


def objective_list_errors(objectives: list[dict]) -> list[str]:
    """What is wrong with a plan's list of objectives (empty: nothing)."""
    return objective_list_faults(objectives)[0]


def section_list_errors(sections: list[dict]) -> list[str]:
    """What is wrong with a plan's list of sections (empty: nothing)."""
    return section_list_faults(sections)[0]


def program_list_errors(programs: list[dict]) -> list[str]:
    return program_list_faults(programs)[0]


def activity_list_errors(activities: list[dict]) -> list[str]:
    return activity_list_faults(activities)[0]


LIST_FAULTS = {"partner_considerations": partner_list_faults, "objectives": objective_list_faults,
               "sections": section_list_faults, "programs_used": program_list_faults,
               "complementary_activities": activity_list_faults, "activities": plan_activity_list_faults}


def _activities_checked(plan: PlanDocument, activities: list[dict] | None, partners: list[dict] | None) -> None:
    """Complementary activities are recorded per partner: each names one of the plan's partner
    countries (as the partners will be after this write)."""
    if not activities:
        return
    countries = ({p["country"].pk for p in partners} if partners is not None
                 else set(plan.partner_considerations.values_list("country_id", flat=True)))
    rows = {index: {"country": [f"{a['country'].name} is not one of the plan's partner countries."]}
            for index, a in enumerate(activities) if a["country"].pk not in countries}
    if rows:
        messages = sorted({m for fields in rows.values() for ms in fields.values() for m in ms})
        raise PlanContentInvalid(messages, {"complementary_activities": messages},
                                 {"complementary_activities": rows})


def _plan_activities_checked(plan: PlanDocument, activities: list[dict], partners: list[dict] | None,
                             objectives: list[dict] | None) -> None:
    """Refuse, before anything is written, activities that do not fit the plan as it will be after
    this write: each under one of its objectives (a row of ``objectives`` by its position, a stored
    objective the write keeps, or an objective's code, once), with one of its partner countries,
    within its period. Every row at fault is named (``PlanContentInvalid``)."""
    countries = ({p["country"].pk for p in partners} if partners is not None
                 else set(plan.partner_considerations.values_list("country_id", flat=True)))
    if objectives is not None:
        kept = {item["id"] for item in objectives if item.get("id")}
        codes = [item.get("code") for item in objectives]
    else:
        stored = list(plan.objectives.values_list("pk", "code"))
        kept, codes = {pk for pk, _ in stored}, [code for _, code in stored]
    rows: RowFaults = {}
    for index, item in enumerate(activities):
        named, faults = _activity_named(index, item), {}
        objective = item["objective"]
        if isinstance(objective, int) and not isinstance(objective, bool):
            if objectives is None or not 0 <= objective < len(objectives):
                faults["objective"] = [f"{named} is not under one of the plan's objectives."]
        elif isinstance(objective, str):
            if codes.count(objective) != 1:
                faults["objective"] = [f"{named} names objective {objective}, which "
                                       + ("several objectives share." if codes.count(objective) else
                                          "is not one of the plan's objectives.")]
        elif getattr(objective, "pk", None) not in kept:
            faults["objective"] = [f"{named} is under {objective}, which is not one of the plan's objectives (as "
                                   "this change leaves them)."]
        if item["partner"].pk not in countries:
            faults["partner"] = [f"{named}: {item['partner'].name} is not one of the plan's partner countries."]
        outside = [f"{words} {day}" for words, day in (("starts", item["start_date"]), ("ends", item["end_date"]))
                   if (plan.period_start and day < plan.period_start) or (plan.period_end and day > plan.period_end)]
        if outside:
            faults["start_date" if item["start_date"] < (plan.period_start or item["start_date"]) else "end_date"] = [
                f"{named} {' and '.join(outside)}, outside the plan's period ({plan.period_start or '…'} to "
                f"{plan.period_end or '…'})."]
        if faults:
            rows[index] = faults
    if rows:
        messages = [m for fields in rows.values() for ms in fields.values() for m in ms]
        raise PlanContentInvalid(messages, {"activities": messages}, {"activities": rows})


def _stored_activities_within_period(plan: PlanDocument) -> None:
    """Refuse a period that would leave a stored activity outside it, naming each (the activities
    themselves are checked when they are written)."""
    outside = Q()
    if plan.period_start:
        outside |= Q(start_date__lt=plan.period_start) | Q(end_date__lt=plan.period_start)
    if plan.period_end:
        outside |= Q(start_date__gt=plan.period_end) | Q(end_date__gt=plan.period_end)
    if not outside:
        return
    titles = [f"\u201c{t}\u201d" for t in plan.activities.filter(outside).values_list("title", flat=True)]
    if titles:
        message = (f"The plan's period ({plan.period_start or '…'} to {plan.period_end or '…'}) would leave "
                   f"{'these activities' if len(titles) > 1 else 'this activity'} outside it: {', '.join(titles)}. "
                   "Change their dates, or the period.")
        raise InvalidInput(message, {"period_start": [message], "period_end": [message]})


def _stored_activities_with_partners(plan: PlanDocument, partners: list[dict]) -> None:
    """Refuse partners that would leave a stored activity with a country no longer among them."""
    orphaned = (plan.activities.exclude(partner_id__in=[p["country"].pk for p in partners])
                .select_related("partner"))
    if orphaned:
        named = ", ".join(f"\u201c{a.title}\u201d ({a.partner.name})" for a in orphaned)
        message = (f"These activities are with a country that would no longer be a partner: {named}. Change their "
                   "partner, or keep the country.")
        raise InvalidInput(message, {"partner_considerations": [message]})


def _plan_activities_replace(plan: PlanDocument, activities: list[dict], written_objectives: list | None) -> None:
    """Make the plan's activities the ``activities``, each under its objective (resolved as
    ``_plan_activities_checked`` accepted it), ordered within its objective as listed unless an
    ``order`` is given."""
    by_pk = {o.pk: o for o in Objective.objects.filter(plan=plan.plan_ptr_id)}
    by_code = {o.code: o for o in by_pk.values()}
    plan.activities.all().delete()
    rows, places = [], {}
    for item in activities:
        objective = item["objective"]
        if isinstance(objective, int) and not isinstance(objective, bool):
            objective = written_objectives[objective]
        elif isinstance(objective, str):
            objective = by_code[objective]
        else:
            objective = by_pk[objective.pk]
        place = places[objective.pk] = places.get(objective.pk, -1) + 1
        values = {k: v for k, v in item.items() if k not in ("id", "objective", "order", "plan", "rel_to")}
        order = item.get("order")
        rows.append(PlanActivity(plan_id=plan.plan_ptr_id, objective=objective,
                                 order=place if order in (None, "") else order, **values))
    PlanActivity.objects.bulk_create(rows)
    _activities_released_to(rows, [item.get("rel_to") or () for item in activities])


def _activities_released_to(activities: list[PlanActivity], countries: list) -> None:
    """Each of the ``activities`` (created) released to its ``countries`` (REL TO), in one write."""
    through = PlanActivity.rel_to.through
    through.objects.bulk_create([through(planactivity_id=activity.pk, country_id=country.pk)
                                 for activity, released in zip(activities, countries, strict=True)
                                 for country in released])


def _lists_checked(lists: dict[str, list[dict] | None]) -> None:
    """Refuse lists that break a rule of theirs, every list's faults at once, naming the rows."""
    errors, rows = {}, {}
    for name, items in lists.items():
        if items is None:
            continue
        messages, faults = LIST_FAULTS[name](items)
        if messages:
            errors[name], rows[name] = messages, faults
    if errors:
        raise PlanContentInvalid([m for messages in errors.values() for m in messages], errors, rows)


def _portion_marking(item: dict) -> Marking:
    return Marking(level=item.get("classification") or "U", noforn=bool(item.get("noforn")),
                   rel_to=frozenset(country.code.code for country in item.get("rel_to") or ()))


def _portions_checked(*, plan: PlanDocument, by, portions: dict[str, list[dict] | None]) -> None:
    """Refuse, before they are written, portions that would mark the plan beyond what ``by`` may
    read, naming each row that would (``plan_marking_refusal``, the rule ``plan_banner_sync``
    applies to the whole once written). The plan's own banner is ``plan_banner_sync``'s to refuse."""
    own = plan.marking()
    if plan_marking_refusal(by=by, own=own):
        return
    markings = {name: [_portion_marking(item) for item in items] for name, items in portions.items() if items}
    rows = {}
    for name, marked in markings.items():
        for index, marking in enumerate(marked):
            refusal = plan_marking_refusal(by=by, own=own, portions=[marking])
            if refusal:
                rows.setdefault(name, {})[index] = {"classification": [refusal]}
    if rows:
        whole = plan_marking_refusal(by=by, own=own, portions=[m for marked in markings.values() for m in marked])
        raise PlanContentInvalid(f"Nothing was saved. {whole}", {"classification": ["Beyond your clearance."]}, rows)


def _portions_replace(manager, model, link: dict, items: list[dict], many: tuple[str, ...]) -> list:
    """Make the plan's portions the ``items``, in order, and return them in that order. An item
    with the ``id`` of one of the plan's portions changes that row (it keeps its id, as an edited
    row does in the admin); the others are new rows; the plan's portions not named are removed."""
    kept = {item["id"] for item in items if item.get("id")}
    manager.exclude(pk__in=kept).delete()
    existing = {portion.pk: portion for portion in manager.filter(pk__in=kept)}
    written = []
    for item in items:
        values = {k: v for k, v in item.items() if k not in (*many, "id")}
        portion = existing.pop(item.get("id"), None)
        if portion is None:
            portion = model.objects.create(**link, **values)
        else:
            for name, value in values.items():
                setattr(portion, name, value)
            portion.save()
        for name in many:
            getattr(portion, name).set(item.get(name, []))
        written.append(portion)
    return written


def plan_lists_replace(*, plan: PlanDocument, by, partners: list[dict] | None = None,
                       objectives: list[dict] | None = None, sections: list[dict] | None = None,
                       links: dict[str, list] | None = None, programs: list[dict] | None = None,
                       activities: list[dict] | None = None,
                       plan_activities: list[dict] | None = None) -> PlanDocument:
    """Replace a draft's lists: its partner considerations (4.b; one dict per country), its
    portion-marked sections (number, heading, body, classification, noforn, ``rel_to``) and
    objectives (code, title, ..., ``end_states``, ``rel_to``; an ``id`` keeps that row) and its
    many-to-many links (a campaign plan's ``supporting_organizations``, a support plan's
    ``supported_plans``, and the marking's parts: ``rel_to``, ``cui_categories``,
    ``dissemination_controls``). A list left ``None`` stays as it is. Drafts only, by the owner's
    action officers; each list's rules (``LIST_FAULTS``) and each portion's marking are checked
    before anything is written, naming the rows at fault (``PlanContentInvalid``); the banner is
    raised to the highest portion and refused beyond the writer's clearance
    (``plan_banner_sync``); all or nothing. Also the programs it uses (``programs``: organization,
    program; 7.a, 8.a) and the complementary U.S. Government activities per partner
    (``activities``: country, agency, program, point_of_contact; 4.c). Section bodies are stored
    as sanitized rich text (``planning.richtext``). And the security cooperation activities under
    its objectives (``plan_activities``: objective, title, description, partner, program,
    start_date, end_date, functions, order, and its portion marking: classification, noforn,
    ``rel_to``; the objective a position in ``objectives``, a stored objective or its code), each
    with one of the plan's partners, within its period (``_plan_activities_checked``), marked as
    objectives and sections are."""
    links = links or {}
    unknown = set(links) - plan_links(plan)
    if unknown:
        raise InvalidInput(f"Unknown lists: {', '.join(sorted(unknown))}.")
    _lists_checked({"partner_considerations": partners, "objectives": objectives, "sections": sections,
                    "programs_used": programs, "complementary_activities": activities,
                    "activities": plan_activities})
    if sections is not None:
        from .richtext import sanitize_html

        sections = [{**section, "body": sanitize_html(section.get("body") or "")} for section in sections]
    with transaction.atomic():
        locked = document_lock(model=type(plan), pk=plan.pk).document
        plan_assert_editable(plan=locked, by=by)
        _activities_checked(locked, activities, partners)
        if plan_activities is not None:
            _plan_activities_checked(locked, plan_activities, partners, objectives)
        elif partners is not None:
            _stored_activities_with_partners(locked, partners)
        if "supported_plans" in links:
            errors = plan_ownership_refusals(locked, supported_plans=links["supported_plans"])
            chosen = _supported_plans_refusals(locked, links["supported_plans"], by)
            if chosen:
                errors = {**errors, "supported_plans": [*errors.get("supported_plans", []), *chosen]}
            if errors:
                raise InvalidInput([m for ms in errors.values() for m in ms], errors)
        for name, values in links.items():
            getattr(locked, name).set([*values, *_links_hidden_from(locked, name, by)])
        _portions_checked(plan=locked, by=by, portions={"objectives": objectives, "sections": sections,
                                                        "activities": plan_activities})
        if partners is not None:
            locked.partner_considerations.all().delete()
            PartnerConsideration.objects.bulk_create(
                [PartnerConsideration(plan=locked, **{k: v for k, v in p.items() if k != "id"})
                 for p in partners])
        written_objectives = None
        if objectives is not None:
            written_objectives = _portions_replace(locked.objectives, Objective, {"plan": locked}, objectives,
                                                   ("end_states", "rel_to"))
        if plan_activities is not None:
            _plan_activities_replace(locked, plan_activities, written_objectives)
        if sections is not None:
            _portions_replace(locked.sections, PlanSection, {"plan": locked}, sections, ("rel_to",))
        if programs is not None:
            _rows_replace(locked.programs_used, ProgramUse, locked, programs)
        if activities is not None:
            _rows_replace(locked.complementary_activities, ComplementaryActivity, locked, activities)
        if partners is not None:
            plan_overrides_recount(locked)
        plan_banner_sync(plan=locked, by=by)
    return locked


def _supported_plans_refusals(plan: PlanDocument, chosen: list, by) -> list[str]:
    """A campaign support plan supports approved campaign plans its writer may see
    (``supported_plans_offered``, what the admin's search and the API offer): each plan newly named
    must be both. One named before stays named (the plan it supports may be under revision since)."""
    from .selectors import plans_visible_to, supported_plans_offered

    stored = set(plan.supported_plans.values_list("pk", flat=True))
    added = {getattr(choice, "pk", choice) for choice in chosen} - stored
    if not added:
        return []
    visible = {candidate.pk: candidate for candidate in plans_visible_to(by, CampaignPlan).filter(pk__in=added)}
    offered = set(supported_plans_offered(CampaignPlan.objects.filter(pk__in=visible)).values_list("pk", flat=True))
    refusals = [f"{visible[pk].title} is not approved ({visible[pk].get_state_display().lower()}): a campaign "
                f"support plan supports approved campaign plans." for pk in sorted(visible.keys() - offered)]
    unseen = len(added - visible.keys())
    if unseen:
        refusals.append(f"{unseen} of the supported plans named {'is' if unseen == 1 else 'are'} not "
                        f"{'a campaign plan' if unseen == 1 else 'campaign plans'} you may see.")
    return refusals


def _rows_replace(manager, model, plan: PlanDocument, items: list[dict]) -> None:
    manager.all().delete()
    model.objects.bulk_create([model(plan=plan, **{k: v for k, v in item.items() if k != "id"}) for item in items])


def plan_write(*, by, plan: PlanDocument | None = None, model: type[PlanDocument] | None = None, owner=None,
               fields: dict | None = None, partners: list[dict] | None = None, objectives: list[dict] | None = None,
               sections: list[dict] | None = None, links: dict[str, list] | None = None,
               programs: list[dict] | None = None, activities: list[dict] | None = None,
               plan_activities: list[dict] | None = None) -> PlanDocument:
    """The one write of a plan's content, whichever edge it comes from (the admin's change form,
    the API's POST and PATCH): create a draft (``plan`` None; ``model``, ``owner``, ``title`` among
    the ``fields``) or edit one, its fields through ``plan_create``/``plan_update`` and its lists
    through ``plan_lists_replace``, so every rule of theirs holds. All or nothing; the lists' faults
    are told before anything is tried, with the rows at fault."""
    fields = dict(fields or {})
    _lists_checked({"partner_considerations": partners, "objectives": objectives, "sections": sections,
                    "programs_used": programs, "complementary_activities": activities,
                    "activities": plan_activities})
    with transaction.atomic():
        if plan is None:
            plan = plan_create(model=model, by=by, owner=owner, title=fields.pop("title", ""), **fields)
        else:
            plan = plan_update(plan=plan, by=by, **fields)  # with no fields, still the check that it is editable
        if links or any(items is not None for items in (partners, objectives, sections, programs, activities,
                                                        plan_activities)):
            plan = plan_lists_replace(plan=plan, by=by, partners=partners, objectives=objectives,
                                      sections=sections, links=links, programs=programs, activities=activities,
                                      plan_activities=plan_activities)
        if plan_activities is None and {"period_start", "period_end"} & set(fields):
            _stored_activities_within_period(plan)
    return plan


def _links_hidden_from(plan: PlanDocument, name: str, by) -> list:
    """The documents ``plan`` links to under ``name`` that ``by`` may not see: a writer replaces
    the links they see and keeps the others (they cannot choose what they cannot see)."""
    field = type(plan)._meta.get_field(name)
    target = field.related_model
    if not hasattr(target, "workflow_kind"):
        return []  # organizations, not documents
    from .selectors import plans_visible_to

    return list(getattr(plan, name).exclude(pk__in=plans_visible_to(by, target).values("pk")))


def plan_marking_refusal(*, by, own: Marking, portions=()) -> str | None:
    """Why ``by`` may not store a plan marked ``own`` with ``portions`` (their markings): the banner
    the plan would then carry is beyond what their clearance and citizenship let them read; None
    when they may. The one rule ``plan_banner_sync`` enforces; forms ask it before saving."""
    from security.access import may_see
    from security.services import banner_to_store

    banner = banner_to_store(own=own, portions=list(portions))
    if may_see(by, banner):
        return None
    return (f"You may not mark a plan {banner.banner}: it is beyond what your clearance and citizenship let "
            "you read.")


def plan_banner_sync(*, plan: PlanDocument, by=None) -> bool:
    """Raise the plan's stored banner to its highest portion (level, NOFORN, shared REL TO), in the
    same transaction as the write that changed a portion. Every service that writes a plan or its
    portions calls it, so no caller can store a banner lower than a portion. With ``by``, refuses
    (and the caller's transaction saves nothing) a banner the writer's own clearance does not
    reach: nobody marks content beyond what they may read. Returns whether the banner changed."""
    from security.services import document_banner_sync

    changed = document_banner_sync(document=plan)
    refusal = plan_marking_refusal(by=by, own=plan.marking()) if by is not None else None
    if refusal:
        raise InvalidInput(f"Nothing was saved. {refusal}", {"classification": ["Beyond your clearance."]})
    return changed


def plan_assert_editable(*, plan: PlanDocument, by) -> None:
    """Raise unless ``by`` may edit the plan's content: a draft, by the owner's action officers and
    approvers. The admin's and the API's permission to change a plan is this rule."""
    if plan.state != PlanState.DRAFT:
        raise ActionRefused(f"Only a draft can be edited; this version is {state_label(plan)}. "
                            "Start a new version to change it.")
    _owner_capacity(plan, by, roles=(Role.ACTION_OFFICER, Role.APPROVER))


# --- effects of transitions ---------------------------------------------------------------

# pg_advisory_xact_lock's first key for "one theater campaign plan per command and period" (the
# second is the command's id); any constant no other lock of the project uses.
THEATER_PERIOD_LOCK = 513203


def _one_theater_plan_held(plan: PlanDocument) -> None:
    """Encl. 2, 10.a under concurrency: one theater campaign plan in force per command and period.
    The condition ``one_theater_plan_per_command_and_period`` was met when read, but two plans of
    one command moved at the same moment each lock only their own row and read the other as it was
    before. Called first in the submission's and the approval's effects: the command's theater
    plans are then moved one at a time (PostgreSQL advisory lock on the command, until the
    transaction ends) and the condition is read again once the other's transaction has ended (a
    new statement under READ COMMITTED sees what that one committed): the second is refused with
    the condition's sentence, and its transaction writes nothing.

    A submission always takes the lock: two drafts read the same "no rival" and must not both go.
    An approval takes it only when the plan's lock read (``planning.workflows.plan_lock_reads``,
    one statement with the row lock) named another theater plan of the command for an overlapping
    period routed or in force; otherwise it asks nothing more. Why that is enough: let plans A and
    B overlap and both be approved, by T_A and T_B. Say T_A's lock read saw no such rival. B was
    in review when T_B locked it, so either B was already routed when T_A read (a contradiction:
    routed is what the read looks for; states only move forward, draft → coordination → review →
    approved) or B was submitted after that read, by a submission holding the lock, whose re-read
    saw A routed (A was submitted before the rule held, or by a submission that held the lock
    before B's; had A's come after, A's would have been refused) and refused B: a contradiction.
    So both approvals took the lock; the later one re-read after the earlier committed, found it
    approved and was refused. Waiting for the lock ends in the lock, a refusal or, if the database
    cuts the wait (lock timeout, deadlock), the engine's ``Conflict``: never a server error."""
    from django.db import connection

    from workflow.exceptions import TransitionRefused

    from .conditions import one_theater_plan_per_command_and_period

    if not plan.one_per_period:
        return
    if plan.state != PlanState.DRAFT and plan.__dict__.get("theater_plan_rival_id") == 0:
        return  # an approval whose lock read found no rival: nothing can race it (above)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [THEATER_PERIOD_LOCK, plan.owner_id])
    # Elsewhere (SQLite, the embedded default) every transaction begins IMMEDIATE
    # (config/settings/base.py): one writer at a time already.
    plan.__dict__.pop("theater_plan_rival_id", None)  # read with the lock, before the other committed
    reasons = one_theater_plan_per_command_and_period(plan)
    if reasons:
        raise TransitionRefused(reasons)


def plan_enter_coordination(plan: PlanDocument, context: TransitionContext) -> None:
    """Freeze the route, then task every coordinating organization, adding seam commands and the
    commands and offices the plan's functions and programs bring in (``planning.coordination``),
    each with its reason."""
    _one_theater_plan_held(plan)
    route_snapshot_take(document=plan)
    participants = route_participants(plan, Step.COORDINATION)
    seen = {org.pk for org, _ in participants}
    seams = [(org, reason) for org, reason in plan.seam_participants() if org.pk not in seen]
    seen |= {org.pk for org, _ in seams}
    functional = [(org, reason) for org, reason in functional_participants(plan) if org.pk not in seen]
    suspense, reason = _suspense_from(context)
    taskers_issue(document=plan, step=Step.COORDINATION, participants=participants + seams + functional,
                  by=context.by,
                  capacity=context.capacity, suspense=suspense, suspense_reason=reason,
                  seam_ids={org.pk for org, _ in seams})
    plan.submitted_at = timezone.now()


def plan_enter_review(plan: PlanDocument, context: TransitionContext, added_reason: str = "") -> None:
    """Close coordination, then task every reviewing organization."""
    taskers_cancel_open(document=plan, step=Step.COORDINATION, reason="Coordination closed")
    participants = [(org, added_reason or why) for org, why in route_participants(plan, Step.REVIEW)]
    suspense, reason = _suspense_from(context)
    taskers_issue(document=plan, step=Step.REVIEW, participants=participants, by=context.by,
                  capacity=context.capacity, suspense=suspense, suspense_reason=reason)


def plan_elevate(plan: PlanDocument, context: TransitionContext) -> None:
    """Record the elevation and its rationale, then enter review as ``plan_enter_review``."""
    plan.elevated = True
    plan.elevation_rationale = context.comment
    plan_enter_review(plan, context, added_reason="elevated non-concurrence: see the rationale")


def plan_return(plan: PlanDocument, context: TransitionContext) -> None:
    """Record the reason and close every open tasker."""
    plan.return_reason = context.comment
    taskers_cancel_open(document=plan, reason=f"Returned for rework: {context.comment}")


def plan_approve(plan: PlanDocument, context: TransitionContext) -> None:
    """Hold the command's one theater campaign plan in force (``_one_theater_plan_held``, Encl. 2,
    10.a), close the approval tasker and supersede the version approved before this one."""
    _one_theater_plan_held(plan)
    taskers_close_answered(document=plan, step=Step.APPROVAL, by=context.by, response=Response.APPROVED,
                           capacity=context.capacity)
    taskers_cancel_open(document=plan, reason="Plan approved")
    plan.approved_at = timezone.now()
    if plan.version == 1:
        return  # nothing earlier to supersede
    for previous in type(plan).objects.filter(series=plan.series, state=PlanState.APPROVED).exclude(pk=plan.pk):
        transition_perform(document=previous, name="supersede", by=context.by, system=True,
                           comment=f"Superseded by version {plan.version}")


def plan_withdraw(plan: PlanDocument, context: TransitionContext) -> None:
    """Close every open tasker, with the reason given."""
    taskers_cancel_open(document=plan, reason=f"Plan withdrawn: {context.comment}")


def plan_after_response(plan: PlanDocument, *, tasker, by) -> None:
    """When the last review answer is in, task the approving organization."""
    if tasker.step != Step.REVIEW or open_taskers(plan, step=Step.REVIEW).exists():
        return
    if taskers_of(plan, step=Step.APPROVAL).exists():
        return
    if overrides_unaccepted(plan):
        return  # the approver is tasked when the reviewing authority has accepted them
    # The system tasks the approver, on behalf of the reviewer whose answer completed the review;
    # suspenses in route order: the approval's is never before the review's.
    standard = suspense_for(working_days=step_suspense_days(plan, Step.APPROVAL))
    latest_review = max((t.suspense for t in taskers_of(plan, step=Step.REVIEW) if t.suspense), default=standard)
    taskers_issue(document=plan, step=Step.APPROVAL, participants=route_participants(plan, Step.APPROVAL),
                  by=None, caused_by=by, suspense=max(standard, latest_review))


# --- route options ------------------------------------------------------------------------

def plan_route_citation(route) -> str:
    """What a route's approval rests on: its approval steps' citations (``RouteStep.authority``)."""
    return "; ".join(step.authority for step in route.steps.all() if step.step == Step.APPROVAL
                     and step.authority.strip())


def plan_route_option(plan: PlanDocument):
    """The route option chosen for ``plan`` (a route of its kind other than the default), or None
    when the default route applies. Reads the plan's route and its steps (prefetch ``route__steps``)."""
    route = plan.route if plan.route_id else None
    if route is None or route.is_default or route.document_kind != plan.workflow_kind:
        return None
    return route


def plan_route_option_refusal(*, plan: PlanDocument, by) -> NotPermitted | ActionRefused | None:
    """Why ``by`` may not choose ``plan``'s route now (None: may): only the office that owns the
    kind's procedure (whoever may edit its routes, ``workflow/permissions.py``), and only while the
    plan is a draft. The one check the admin's form, the API and ``plan_route_option_set`` meet."""
    from organizations.authority import may
    from workflow.selectors import route_default_row

    default = route_default_row(plan.workflow_kind)
    if default is None or not may(by, "change", default):
        return NotPermitted("Only the office that owns this kind's procedure may choose the route of a plan.")
    if plan.state != PlanState.DRAFT:
        return ActionRefused(f"A route option is chosen before submission; this plan is {state_label(plan)}.")
    return None


def plan_route_options(*, plan: PlanDocument, by) -> list:
    """The routes ``by`` may choose between for ``plan`` now, the default first, each with its
    steps (for their citations); empty when ``by`` may not choose (``plan_route_option_refusal``)."""
    from workflow.models import Route

    if plan.state != PlanState.DRAFT or plan_route_option_refusal(plan=plan, by=by) is not None:
        return []
    routes = list(Route.objects.filter(document_kind=plan.workflow_kind).prefetch_related("steps")
                  .order_by("-is_default", "name", "pk"))
    return routes if len(routes) > 1 else []


def plan_route_option_set(*, plan: PlanDocument, by, route=None) -> PlanDocument:
    """Send a draft by another of its kind's routes than the default: practice may require an
    approval above the one the directive gives (the Secretary's, for a plan the guidance reserves
    to him), which is a route option, never a change of the default. Only the office that owns the
    kind's procedure sets it (``plan_route_option_refusal``), and only a route whose approval
    steps cite their authority (``RouteStep.authority``). ``route=None`` returns the draft to the
    default route. Nothing is saved on a refusal. Recorded in the plan's history: the option, its
    citation and the office that set it."""
    from organizations.selectors import designated_organization
    from workflow.models import Route
    from workflow.registry import procedure_owner

    with transaction.atomic():
        locked = document_lock(model=type(plan), pk=plan.pk).document
        refusal = plan_route_option_refusal(plan=locked, by=by)
        if refusal is not None:
            raise refusal
        if route is not None:
            route = Route.objects.prefetch_related("steps").get(pk=route.pk)
        errors = []
        if route is not None:
            if route.document_kind != locked.workflow_kind or route.is_default:
                errors.append(f"Choose one of the other routes for {with_article(str(locked._meta.verbose_name))}.")
            uncited = [str(step) for step in route.steps.all() if step.step == Step.APPROVAL
                       and not step.authority.strip()]
            if uncited:
                errors.append(f"The route's approval steps must cite their authority: {', '.join(uncited)}.")
        if errors:
            raise InvalidInput(errors, {"route": errors})
        if locked.route_id == (route.pk if route is not None else None) or (
                route is None and locked.route_id and locked.route.is_default):
            return locked  # already so: nothing to record
        locked.route = route
        locked.save(update_fields=["route"])
        office = designated_organization(procedure_owner(locked.workflow_kind) or "")
        by_office = f" by {office}" if office is not None else ""
        citation = plan_route_citation(route) if route is not None else ""
        history_record(document=locked, action="route_option_set", actor=by,
                       description=(f"Route option set{by_office}: {route.name} ({citation})" if route is not None
                                    else f"Route option cleared{by_office}: the default route applies"),
                       data={"route_id": route.pk if route is not None else None,
                             "route": route.name if route is not None else "", "citation": citation,
                             "office": office.acronym if office is not None else ""})
    return locked


# --- versions -----------------------------------------------------------------------------

def plan_new_version(*, plan: PlanDocument, by) -> PlanDocument:
    """Start a new draft version of a returned or approved plan. The earlier version stays as it
    is (readable, unchanged); approving the new one supersedes the approved one."""
    model = type(plan)
    with transaction.atomic():
        plan = document_lock(model=model, pk=plan.pk).document
        capacity = _owner_capacity(plan, by)
        if plan.state not in (PlanState.RETURNED, PlanState.APPROVED):
            raise ActionRefused(f"A new version starts from a returned or approved plan; this one is "
                                f"{state_label(plan)}.")
        in_flight = model.objects.filter(series=plan.series, state__in=(PlanState.DRAFT, PlanState.COORDINATION,
                                                                         PlanState.REVIEW))
        if in_flight.exists():
            current = in_flight.first()
            raise ActionRefused(f"Version {current.version} is already {state_label(current)}; "
                                "work on it instead.")
        latest = model.objects.filter(series=plan.series).order_by("-version").first()
        copy = model.objects.get(pk=plan.pk)
        # A new row of the kind and of ``Plan`` (its parent link and key cleared with its id).
        copy.pk = copy.id = copy.plan_ptr_id = copy.key = None
        copy._state.adding = True
        copy.version = latest.version + 1
        copy.previous_version = plan
        for name in ("route_snapshot",):
            setattr(copy, name, {})
        copy.route = None
        copy.elevated, copy.elevation_rationale, copy.return_reason = False, "", ""
        copy.submitted_at = copy.approved_at = None
        copy.created_by, copy.created_at = by, timezone.now()
        # A new row starts as a draft; the protected state field is set before the first save.
        copy.__dict__["state"] = PlanState.DRAFT
        copy.save(force_insert=True)
        for m2m in plan.link_lists:
            getattr(copy, m2m).set(getattr(plan, m2m).all())
        for partner in plan.partner_considerations.all():
            partner.pk = None
            partner.plan = copy
            # A new version is reviewed afresh: its overriding considerations are accepted again.
            partner.override_accepted_by = partner.override_accepted_for = partner.override_accepted_at = None
            partner.save()
        plan_overrides_recount(copy)
        for model, rows in ((ProgramUse, plan.programs_used.all()),
                            (ComplementaryActivity, plan.complementary_activities.all())):
            model.objects.bulk_create([_copied(row, copy) for row in rows])
        for annex in plan.annexes.prefetch_related("rel_to"):
            released_to = list(annex.rel_to.all())
            annex = _copied(annex, copy)
            annex.save()  # the same stored file: an annex's content never changes once stored
            annex.rel_to.set(released_to)
        copied_objectives = {}
        for objective in plan.objectives.prefetch_related("end_states", "rel_to"):
            end_states, released_to = list(objective.end_states.all()), list(objective.rel_to.all())
            old = objective.pk
            objective.pk = None
            objective._prefetched_objects_cache = {}
            objective.plan = copy
            objective.save()
            objective.end_states.set(end_states)
            objective.rel_to.set(released_to)
            copied_objectives[old] = objective
        activities = list(plan.activities.prefetch_related("rel_to"))
        released_to = [list(activity.rel_to.all()) for activity in activities]
        activities = [_copied(activity, copy) for activity in activities]
        for activity in activities:
            activity.objective = copied_objectives[activity.objective_id]
        PlanActivity.objects.bulk_create(activities)  # each with its portion marking
        _activities_released_to(activities, released_to)
        for section in plan.sections.prefetch_related("rel_to"):
            released_to = list(section.rel_to.all())
            section.pk = None
            section._prefetched_objects_cache = {}
            section.plan = copy
            section.save()
            section.rel_to.set(released_to)
        copy.rel_to.set(plan.rel_to.all())
        copy.cui_categories.set(plan.cui_categories.all())
        copy.dissemination_controls.set(plan.dissemination_controls.all())
        plan_banner_sync(plan=copy)
        history_record(document=copy, action="new_version",
                       description=f"Version {copy.version} started from version {plan.version}", actor=by,
                       capacity=capacity, to_state=PlanState.DRAFT)
        history_record(document=plan, action="new_version_started",
                       description=f"Version {copy.version} started from this version", actor=by, capacity=capacity)
    return copy


def _copied(row, plan):
    row.pk = None
    row._state.adding = True
    row._prefetched_objects_cache = {}
    row.plan = plan
    return row


# --- partner sustainability (4.b) ----------------------------------------------------------

def plan_overrides_pending(plan_key):
    """The partners of the plan row ``plan_key`` answered "no" (4.b) whose overriding military
    considerations the reviewing authority has not accepted yet, as a query."""
    no = Capability.NO
    return PartnerConsideration.objects.filter(Q(support=no) | Q(safeguard=no) | Q(sustain=no),
                                               plan_id=plan_key, override_accepted_at__isnull=True)


def plan_overrides_recount(plan: PlanDocument) -> int:
    """The one place the plan's ``overrides_pending`` is kept: counted again and stored after
    every write of its partners (their list written by the admin and the API alike, an acceptance,
    a new version's copy), under the plan's lock. The approval's condition reads the count, not
    the partners."""
    plan.overrides_pending = plan_overrides_pending(plan.plan_ptr_id).count()
    type(plan).objects.filter(pk=plan.pk).update(overrides_pending=plan.overrides_pending)
    return plan.overrides_pending


def overrides_unaccepted(plan: PlanDocument) -> list[PartnerConsideration]:
    """The partners answered "no" whose overriding military considerations the reviewing authority
    has not accepted yet (4.b)."""
    return [p for p in plan.partner_considerations.select_related("country")
            if p.needs_override and not p.override_accepted]


def partner_override_accept(*, partner: PartnerConsideration, by) -> PartnerConsideration:
    """The reviewing authority accepts the overriding military considerations given for a partner
    that cannot support, safeguard or sustain the capability (directive 4.b). Only while the plan
    is in review, by a reviewer or approver of an organization tasked to review it; recorded with
    who, for which organization and when, in the plan's history. Once every such partner is
    accepted and every review answer is in, the approving organization is tasked."""
    with transaction.atomic():
        plan = document_lock(model=type(partner.plan.document), pk=partner.plan.document.pk).document
        partner = PartnerConsideration.objects.select_for_update().select_related("country").get(pk=partner.pk)
        if plan.state != PlanState.REVIEW:
            raise ActionRefused(f"Overriding military considerations are accepted in review; this version is "
                                f"{state_label(plan)}.")
        if not partner.needs_override:
            raise ActionRefused(f"{partner.country.name} needs no overriding military considerations: no answer "
                                "is \u201cno\u201d.")
        if partner.override_accepted:
            raise ActionRefused(f"The overriding military considerations for {partner.country.name} were "
                                f"accepted already, on {timezone.localtime(partner.override_accepted_at):%d %b %Y}.")
        capacity = None
        reviewing = taskers_of(plan, step=Step.REVIEW).exclude(state__in=(TaskerState.CANCELLED,
                                                                           TaskerState.MISROUTED))
        for tasker in reviewing:
            capacity = acting_capacity(user=by, organization=tasker.organization,
                                       roles=(Role.REVIEWER, Role.APPROVER))
            if capacity is not None:
                break
        if capacity is None:
            raise NotPermitted("Only a reviewer or approver of a reviewing organization may accept overriding "
                               "military considerations.")
        partner.override_accepted_by, partner.override_accepted_for = by, tasker.organization
        partner.override_accepted_at = timezone.now()
        partner.save(update_fields=["override_accepted_by", "override_accepted_for", "override_accepted_at"])
        plan_overrides_recount(plan)
        history_record(document=plan, action="override_accepted", actor=by, capacity=capacity,
                       description=f"{tasker.organization} accepted the overriding military considerations for "
                                   f"{partner.country.name} (4.b)")
        if not open_taskers(plan, step=Step.REVIEW).exists():
            plan_after_response(plan, tasker=tasker, by=by)
    return partner


# --- annexes ------------------------------------------------------------------------------

def annex_attach(*, plan: PlanDocument, by, letter: str, title: str, upload, classification: str = "U",
                 noforn: bool = False) -> PlanAnnex:
    """Attach a file to a draft as an annex: by the owner's action officers; at most
    ``PLAN_ANNEX_MAX_BYTES``; of an accepted type read from its content (``planning.annexes``),
    whatever its name says; scanned for malware by the configured scanner (refused when infected
    or when the scanner cannot be reached; recorded "not scanned" when none is configured); kept
    through Django's default storage; its marking raises the plan's banner. Nothing is stored
    when any of this refuses, nor when the transaction it runs in rolls back (the file follows
    the row: ``runtime.stored_files``)."""
    import hashlib
    import os

    from . import annexes

    letter, title = (letter or "").strip(), (title or "").strip()
    errors = {}
    if not letter:
        errors["letter"] = ["Give the annex its letter."]
    if not title:
        errors["title"] = ["Give the annex its title."]
    if upload is None:
        errors["file"] = ["Choose the file."]
    if classification not in RANK:
        errors["classification"] = ["Not a classification."]
    if errors:
        raise InvalidInput([m for ms in errors.values() for m in ms], errors)
    limit = annexes.max_bytes()
    if upload.size > limit:
        raise InvalidInput(f"The file is {upload.size:,} bytes; an annex may be at most {limit:,} bytes.",
                           {"file": ["Too large."]})
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = annexes.content_type_of(head, upload)
    extension = os.path.splitext(upload.name or "")[1].lower()
    if kind is None:
        raise InvalidInput("The file is not a PDF, PNG, JPEG, Word, Excel, PowerPoint or plain-text document "
                           "(read from its content).", {"file": ["Not an accepted type of file."]})
    if extension not in annexes.ACCEPTED[kind]:
        raise InvalidInput(f"The file's name ends in {extension or 'nothing'} but its content is {kind}: rename "
                           "it to what it is.", {"file": ["The name does not match the content."]})
    try:
        scanned = annexes.scan(upload)
    except annexes.ScannerUnavailable as exc:
        raise ActionRefused(f"The malware scanner could not be reached ({exc}); nothing was stored. Try again "
                            "later.") from exc
    if scanned.infected:
        from security.audit import audit_record
        from security.models import AuditAction

        audit_record(action=AuditAction.WORKFLOW, user=by, obj=plan,
                     description=f"Annex {letter} refused, malware found: {scanned.detail}",
                     detail={"event": "annex_refused_malware", "file": os.path.basename(upload.name or "")[:255]})
        raise InvalidInput(f"The file was refused: the malware scanner found {scanned.detail}.",
                           {"file": ["Malware found."]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        locked = document_lock(model=type(plan), pk=plan.pk).document
        plan_assert_editable(plan=locked, by=by)
        if locked.annexes.filter(letter=letter).exists():
            raise InvalidInput(f"The plan has an annex {letter} already.", {"letter": ["Already used."]})
        refusal = plan_marking_refusal(by=by, own=locked.marking(),
                                       portions=[Marking(level=classification, noforn=noforn)])
        if refusal:
            raise InvalidInput(f"Nothing was saved. {refusal}", {"classification": ["Beyond your clearance."]})
        annex = PlanAnnex(plan=locked, letter=letter, title=title, original_name=os.path.basename(upload.name)[:255],
                          content_type=kind, size=upload.size, sha256=digest.hexdigest(),
                          scan_result=scanned.result, scan_detail=scanned.detail[:300], uploaded_by=by,
                          classification=classification, noforn=noforn)
        annex.file.save(upload.name, upload, save=False)
        # The stored file follows the row: deleted if this block or any transaction around it
        # rolls back, kept once it commits.
        kept_unless_rolled_back(annex.file.storage, annex.file.name)
        annex.save()
        plan_banner_sync(plan=locked, by=by)
        history_record(document=locked, action="annex_attached", actor=by,
                       description=f"Annex {letter} attached: {title} ({kind}, {upload.size:,} bytes, "
                                   f"{ScanResult(scanned.result).label.lower()})")
    return annex


def annex_remove(*, annex: PlanAnnex, by) -> None:
    """Remove an annex from a draft (owner's action officers); the stored file stays while an
    earlier version still names it."""
    with transaction.atomic():
        locked = document_lock(model=type(annex.plan.document), pk=annex.plan.document.pk).document
        plan_assert_editable(plan=locked, by=by)
        name, letter = annex.file.name, annex.letter
        PlanAnnex.objects.filter(pk=annex.pk).delete()
        plan_banner_sync(plan=locked)
        history_record(document=locked, action="annex_removed", actor=by, description=f"Annex {letter} removed")
        if not PlanAnnex.objects.filter(file=name).exists():
            deleted_on_commit(annex.file.storage, name)  # a rollback brings the row, and needs the file


def annex_open(*, annex: PlanAnnex, by):
    """The annex's file, opened for ``by``, who must see the plan (need-to-know and its marking)
    and the annex's own marking; every opening is in the audit trail. Raises ``NotPermitted``
    otherwise (the same answer whether the annex exists or not is the edge's to give)."""
    from security.access import may_see
    from security.audit import audit_record
    from security.models import AuditAction

    from .selectors import plans_visible_to

    plan = annex.plan.document
    if not plans_visible_to(by, type(plan)).filter(pk=plan.pk).exists() or not may_see(by, annex.marking()):
        raise NotPermitted("You may not open this annex.")
    audit_record(action=AuditAction.EXPORT, user=by, obj=annex,
                 description=f"Annex {annex.letter} of {plan.title} (v{plan.version}) opened",
                 detail={"event": "annex_opened", "plan": plan.pk, "kind": plan.workflow_kind, "sha256": annex.sha256})
    return annex.file.open("rb")
