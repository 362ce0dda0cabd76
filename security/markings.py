"""Classification markings: levels, dissemination controls, and the banner computed from the
portions (highest level; NOFORN overrides REL TO; several REL TO lists reduce to the countries
they share). Pure functions over plain values, so every page, export and e-mail computes the
same banner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models


class ClassificationLevel(models.TextChoices):
    UNCLASSIFIED = "U", "UNCLASSIFIED"
    CUI = "CUI", "CUI"
    CONFIDENTIAL = "C", "CONFIDENTIAL"
    SECRET = "S", "SECRET"
    TOP_SECRET = "TS", "TOP SECRET"


RANK = {level: rank for rank, level in enumerate(ClassificationLevel.values)}
CLASSIFIED = (ClassificationLevel.CONFIDENTIAL, ClassificationLevel.SECRET, ClassificationLevel.TOP_SECRET)


def levels_up_to(level: str) -> list[str]:
    """Every level a person cleared to ``level`` may see."""
    return [value for value in ClassificationLevel.values if RANK[value] <= RANK[level]]


@dataclass(frozen=True)
class Marking:
    level: str = ClassificationLevel.UNCLASSIFIED
    noforn: bool = False
    rel_to: frozenset[str] = field(default_factory=frozenset)  # ISO alpha-2 codes, without "US"
    cui_categories: frozenset[str] = field(default_factory=frozenset)
    dissemination: frozenset[str] = field(default_factory=frozenset)  # limited dissemination controls

    def at_least(self, other: Marking) -> bool:
        return RANK[self.level] >= RANK[other.level]

    @property
    def banner(self) -> str:
        parts = [ClassificationLevel(self.level).label]
        if self.level == ClassificationLevel.CUI and self.cui_categories:
            parts[0] = "CUI//" + "/".join(sorted(self.cui_categories))
        controls = []
        if self.noforn:
            controls.append("NOFORN")
        elif self.rel_to:
            controls.append("REL TO " + ", ".join(["USA", *sorted(_trigraph(c) for c in self.rel_to)]))
        controls.extend(sorted(self.dissemination))
        return "//".join([parts[0], *controls]) if controls else parts[0]

    @property
    def portion(self) -> str:
        mark = {"U": "U", "CUI": "CUI", "C": "C", "S": "S", "TS": "TS"}[self.level]
        if self.noforn:
            return f"({mark}//NF)"
        if self.rel_to:
            return f"({mark}//REL)"
        return f"({mark})"


def _trigraph(alpha2: str) -> str:
    from django_countries import countries

    return countries.alpha3(alpha2) or alpha2


def combine(markings: Iterable[Marking]) -> Marking:
    """The banner of a whole made of ``markings``: the highest level; NOFORN if any portion is
    NOFORN (it overrides REL TO); otherwise the countries every REL TO portion shares (a portion
    without REL TO that is classified is releasable to nobody, so it empties the list)."""
    markings = list(markings) or [Marking()]
    level = max((m.level for m in markings), key=RANK.__getitem__)
    noforn = any(m.noforn for m in markings)
    rel_to: frozenset[str] = frozenset()
    if not noforn:
        releasable = [m for m in markings if m.rel_to]
        restricted_without_release = [m for m in markings if not m.rel_to and m.level in CLASSIFIED]
        if releasable and not restricted_without_release:
            rel_to = frozenset.intersection(*(m.rel_to for m in releasable))
            if not rel_to:
                noforn = True  # nothing is shared by every portion: releasable to no foreign country
        elif releasable and restricted_without_release:
            noforn = True
    return Marking(level=level, noforn=noforn, rel_to=rel_to if not noforn else frozenset(),
                   cui_categories=frozenset().union(*(m.cui_categories for m in markings)),
                   dissemination=frozenset().union(*(m.dissemination for m in markings)))
