"""``runtime.prefetch.many_to_many_prefetch``: a plan page's many-to-many relations (of the plan,
its sections and its objectives) read in one query give the rows ``prefetch_related`` gives, in
its order, and nothing is read again when the page uses them."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import Country, Organization, OrganizationKind
from planning.models import CampaignPlan, GEFEndState, GEFGuidance, Objective, PlanSection
from runtime.prefetch import many_to_many_prefetch
from security.models import CUICategory, DisseminationControl

LOOKUPS = ("rel_to", "cui_categories", "dissemination_controls", "supporting_organizations",
           "sections__rel_to", "objectives__rel_to", "objectives__end_states")


def _plan(world):
    plan = world.ready_plan(supporting=("DON", "DA"))
    plan.supporting_organizations.add(Organization.objects.create(
        acronym="AAA", name="First by acronym", kind=OrganizationKind.DEFENSE_AGENCY,
        active_from=datetime.date(2001, 2, 3)))
    plan.rel_to.set(Country.objects.filter(code__in=["PL", "DE"]))
    plan.cui_categories.set([CUICategory.objects.create(code="PRVCY", name="Privacy"),
                             CUICategory.objects.create(code="LEI", name="Law enforcement")])
    plan.dissemination_controls.set([DisseminationControl.objects.create(code="NOCON", name="No contractors"),
                                     DisseminationControl.objects.create(code="FEDCON", name="Federal only")])
    for number in ("2", "1"):
        section = PlanSection.objects.create(plan=plan, number=number, heading=f"Section {number}", body="Training.")
        section.rel_to.set(Country.objects.filter(code__in=["IL", "DE"] if number == "1" else ["PL"]))
    later = GEFGuidance.objects.create(year=2027, title="GEF 2027 (training data)",
                                       issued_on=datetime.date(2027, 1, 15))
    newer = GEFEndState.objects.create(gef=later, code="ES-9", title="Later end state")
    second = Objective.objects.create(plan=plan, code="OBJ-2", title="Second")
    second.end_states.set([world.end_state, newer])  # GEF 2027 first: the GEFs are newest first
    second.rel_to.set(Country.objects.filter(code__in=["DE", "IL", "PL"]))
    return plan


def _shown(plan) -> dict[str, list]:
    """What each relation holds, as the page reads it: (instance, [(pk, str)])."""
    shown = {}
    for lookup in LOOKUPS:
        *path, name = lookup.split("__")
        instances = [plan]
        for part in path:
            instances = [row for instance in instances for row in getattr(instance, part).all()]
        shown[lookup] = [(instance.pk, [(row.pk, str(row), row.__dict__.get("active_from"))
                                        for row in getattr(instance, name).all()]) for instance in instances]
    return shown


def test_every_relation_in_one_query_as_prefetch_related_reads_them(world):
    plan = _plan(world)
    expected = _shown(CampaignPlan.objects.prefetch_related(*LOOKUPS).get(pk=plan.pk))
    assert [row[0] for row in expected["sections__rel_to"][0][1]] == [  # the test's own check of the order
        c.pk for c in Country.objects.filter(code__in=["DE", "IL"]).order_by("code")]
    read = CampaignPlan.objects.prefetch_related("sections", "objectives").get(pk=plan.pk)
    relations = []
    for lookup in LOOKUPS:
        *path, name = lookup.split("__")
        relations.append(([read] if not path else list(getattr(read, path[0]).all()), name))
    connection.features.supports_json_field  # noqa: B018 (SQLite asks once per connection, in a savepoint)
    with CaptureQueriesContext(connection) as together:
        many_to_many_prefetch(relations)
    assert len(together.captured_queries) == 1, together.captured_queries
    with CaptureQueriesContext(connection) as afterwards:
        shown = _shown(read)
    assert afterwards.captured_queries == []
    assert shown == expected
    first = next(o for o in read.supporting_organizations.all() if o.acronym == "AAA")
    assert first.active_from == datetime.date(2001, 2, 3) and first._state.adding is False


def test_rows_without_links_hold_empty_lists_and_a_relation_read_already_is_not_read_again(world):
    plan = world.ready_plan()
    plan.rel_to.clear()
    read = CampaignPlan.objects.prefetch_related("rel_to").get(pk=plan.pk)
    with CaptureQueriesContext(connection) as queries:
        many_to_many_prefetch([([read], "rel_to")])
    assert queries.captured_queries == []
    connection.features.supports_json_field  # noqa: B018
    with CaptureQueriesContext(connection) as queries:
        many_to_many_prefetch([([read], "cui_categories"), ([read], "dissemination_controls")])
        assert list(read.cui_categories.all()) == [] and list(read.dissemination_controls.all()) == []
    assert len(queries.captured_queries) == 1


def test_a_pages_child_rows_of_several_kinds_in_one_query_with_their_related_rows_and_annotations(world):
    """``rows_prefetch``: partners (with their country, who accepted their overriding considerations
    and for whom, or nobody), complementary activities and programs used, each in its order, read in
    one query as their own querysets read them, and nothing read again when the page shows them."""
    from django.contrib.auth import get_user_model
    from django.db.models import CharField, Value
    from django.utils import timezone

    from planning.models import ComplementaryActivity, PartnerConsideration, ProgramUse
    from runtime.prefetch import rows_prefetch

    plan = world.ready_plan(partners=("PL", "DE"))
    approver = get_user_model().objects.get(username=world.user("J5", "reviewer").username)
    PartnerConsideration.objects.filter(plan=plan.plan_ptr, country__code="PL").update(
        sustain="no", override_accepted_by=approver, override_accepted_for=world.orgs["J5"],
        override_accepted_at=timezone.now())
    for code, agency in (("PL", "Department of State (PM)"), ("DE", "USAID"), ("DE", "Department of Energy")):
        ComplementaryActivity.objects.create(plan=plan, country=Country.objects.get(code=code), agency=agency,
                                             program=f"Program with {code}")
    for acronym in ("DON", "DA"):
        ProgramUse.objects.create(plan=plan, organization=world.orgs[acronym], program=f"{acronym} training")
    querysets = {
        "partner_considerations": PartnerConsideration.objects.select_related(
            "country", "override_accepted_by", "override_accepted_for").annotate(
            label=Value("training", output_field=CharField())).filter(plan_id=plan.key),
        "complementary_activities": ComplementaryActivity.objects.select_related("country").filter(plan_id=plan.key),
        "programs_used": ProgramUse.objects.select_related("organization").filter(plan_id=plan.key),
    }

    def shown(rows) -> list:
        return [(row.pk, {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields},
                 [str(getattr(row, name)) for name in ("country", "override_accepted_by", "override_accepted_for",
                                                       "organization") if hasattr(row, f"{name}_id")],
                 getattr(row, "label", None)) for row in rows]

    expected = {name: shown(queryset) for name, queryset in querysets.items()}
    assert [row[1]["agency"] for row in expected["complementary_activities"]] == [  # the test's own check
        "Department of Energy", "USAID", "Department of State (PM)"]
    read = CampaignPlan.objects.get(pk=plan.pk)
    connection.features.supports_json_field  # noqa: B018
    with CaptureQueriesContext(connection) as together:
        rows_prefetch(read, querysets.items())
    assert len(together.captured_queries) == 1, together.captured_queries
    with CaptureQueriesContext(connection) as afterwards:
        got = {name: shown(getattr(read, name).all()) for name in querysets}
    assert afterwards.captured_queries == []
    assert got == expected
    accepted = next(p for p in read.partner_considerations.all() if p.country.code == "PL")
    assert accepted.override_accepted and accepted.override_accepted_by == approver
    assert next(p for p in read.partner_considerations.all() if p.country.code == "DE").override_accepted_by is None
