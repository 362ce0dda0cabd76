"""Reads on plans: who may see which plan, in one place. Need-to-know (own, tasked, or
reviewing authority) combined with the marking rules of ``security.access``."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from organizations.selectors import active_account, designation_holder_ids, organization_ids_acting_for
from security.access import marking_q
from security.capacity import per_capacity
from workflow.models import Tasker
from workflow.registry import exists_row_by_row, reviewing_designations


@per_capacity
def plans_visible_to(user, model) -> QuerySet:
    """Plans of ``model`` that ``user`` may see: cleared for the level and released to their
    country, and their organizations own it, are tasked on it, or hold a designation that reviews
    every plan of the kind (``reviewing_designations`` registered with ``workflow.registry``).
    Naming oneself in a route grants nothing: reviewing authority is granted, not implied.
    Superusers (system administrators) have need-to-know for all, but not a clearance they do
    not hold."""
    if not active_account(user):
        return model.objects.none()
    cleared = model.objects.filter(marking_q(user, model))
    if user.is_superuser:
        return cleared
    # A short list of ids, not a subquery: keeps the planner on the indexes at any size.
    organizations = organization_ids_acting_for(user)
    # The designated offices: one query, read once per request.
    if organizations and designation_holder_ids(reviewing_designations(model)).intersection(organizations):
        return cleared
    # Tasked, row by row: a page of plans probes its own taskers instead of reading every
    # tasker of the organizations first (as many as the documents they were ever tasked on).
    tasked = exists_row_by_row(Tasker.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                                     organization__in=organizations),
                               field="object_id", outer="pk")
    return cleared.filter(Q(owner__in=organizations) | tasked)


@per_capacity
def plans_cleared_for(user, model) -> QuerySet:
    """Plans whose marking ``user`` may see, need-to-know aside (for lists that already
    establish it, such as the user's own taskers)."""
    if not active_account(user):
        return model.objects.none()
    return model.objects.filter(marking_q(user, model))


def supported_plans_offered(plans: QuerySet) -> QuerySet:
    """The campaign plans a support plan's form and search offer: the approved ones (of ``plans``,
    those the writer may see)."""
    from .models import PlanState

    return plans.filter(state=PlanState.APPROVED)


def plan_search(plans: QuerySet, text: str) -> QuerySet:
    """Of ``plans`` (already narrowed to what the reader may see: ``plans_visible_to``), those
    whose title or summary, a section's heading or body, an annex's title, or a coordination
    comment matches ``text`` (and any title containing it as typed). PostgreSQL's own full-text search (English stemming, web search
    syntax: words, "quoted phrases", -excluded), ordered by rank; elsewhere (SQLite) every word
    must appear, case-insensitively, read with the same syntax ("quoted phrases" as a whole,
    -excluded words and phrases; no stemming). Nothing outside ``plans`` is read into the answer."""
    from django.db import connection

    from workflow.models import Comment

    from .models import PlanAnnex, PlanSection

    text = (text or "").strip()[:200]
    if not text:
        return plans
    model = plans.model
    comments = Comment.objects.filter(content_type=ContentType.objects.get_for_model(model))
    sections, annexes = PlanSection.objects.all(), PlanAnnex.objects.all()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        query = SearchQuery(text, search_type="websearch", config="english")

        def matching(rows, *fields):
            return rows.annotate(_search=SearchVector(*fields, config="english")).filter(_search=query)

        # A title is also found by any part of it as typed (a code, a fragment the parser splits
        # otherwise, like "LEAKHUNT" of "LEAKHUNT-S-RELGB.AU-END").
        found = (Q(title__icontains=text) | Q(pk__in=matching(model.objects.all(), "title", "summary").values("pk"))
                 | Q(plan_ptr__in=matching(sections, "heading", "body").values("plan"))
                 | Q(plan_ptr__in=matching(annexes, "title").values("plan"))
                 | Q(pk__in=matching(comments, "text", "proposed_change").values("object_id")))
        rank = SearchRank(SearchVector("title", weight="A", config="english")
                          + SearchVector("summary", weight="B", config="english"), query)
        return plans.filter(found).annotate(search_rank=rank).order_by("-search_rank", "-updated_at")
    for excluded, term in search_terms(text):
        found = (Q(title__icontains=term) | Q(summary__icontains=term)
                 | Q(plan_ptr__in=sections.filter(Q(heading__icontains=term) | Q(body__icontains=term))
                     .values("plan"))
                 | Q(plan_ptr__in=annexes.filter(title__icontains=term).values("plan"))
                 | Q(pk__in=comments.filter(Q(text__icontains=term) | Q(proposed_change__icontains=term))
                     .values("object_id")))
        plans = plans.exclude(found) if excluded else plans.filter(found)
    return plans


_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def search_terms(text: str) -> list[tuple[bool, str]]:
    """``text`` read as PostgreSQL's web search syntax reads it, for the search without it:
    (excluded, term) for each word or "quoted phrase", a leading - excluding it; an unclosed
    quote runs to the end; quotes and a lone - are not searched for."""
    terms = []
    for match in _TERM.finditer(text):
        excluded, term = (match.group(1), match.group(2)) if match.group(2) is not None else match.group(3, 4)
        term = " ".join(term.replace('"', " ").split())
        if term and term != "-":
            terms.append((bool(excluded), term))
    return terms
