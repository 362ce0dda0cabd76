"""How a document kind declares its workflow: django-fsm-2 transitions carrying a label,
who may make them (actor rules) and when (conditions), each answering with reasons in the
users' words so the admin and the API can say *why* a transition is unavailable.

A condition is ``f(document) -> list[str]`` (empty: met). An actor rule resolves the
capacity in which a user acts (``organizations.selectors.Capacity``) or says why not.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django_fsm import transition as fsm_transition

from organizations.models import Role, with_article
from organizations.selectors import Capacity, acting_capacity_among

Condition = Callable[[object], list[str]]
_declaration_order = itertools.count()


@dataclass(frozen=True)
class ActorRule:
    """Who may act: members (or delegates) of some organization in some roles."""

    roles: tuple[str, ...]
    description: str

    def organizations(self, document) -> list:
        raise NotImplementedError

    def organization_ids(self, document) -> list[int]:
        return [organization.pk for organization in self.organizations(document)]

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        capacity = acting_capacity_among(user=user, organizations=self.organization_ids(document), roles=self.roles)
        if capacity:
            return capacity, ""
        organizations = self.organizations(document)  # named in the refusal
        roles = " or ".join(Role(r).label.lower() for r in self.roles)
        names = ", ".join(str(o) for o in organizations) or "no organization"
        return None, f"Only {self.description} may do this: {with_article(roles)} of {names}."


@dataclass(frozen=True)
class OwnerRole(ActorRule):
    """A member of the document's owning organization."""

    description: str = "the owning organization"

    def organizations(self, document) -> list:
        return [document.owner]

    def organization_ids(self, document) -> list[int]:
        return [document.owner_id]


@dataclass(frozen=True)
class TaskedRole(ActorRule):
    """A member of an organization holding an open tasker of ``step`` on the document."""

    step: str = "review"
    description: str = "an organization tasked to review"

    def organizations(self, document) -> list:
        from .selectors import document_taskers

        return [t.organization for t in document_taskers(document, step=self.step, open_only=True)]


@dataclass(frozen=True)
class RouteRole(ActorRule):
    """A member of the organization(s) the document's route names for ``step``."""

    step: str = "approval"
    description: str = "the approving organization"

    def organizations(self, document) -> list:
        from .services import route_participants

        return [organization for organization, _reason in route_participants(document, self.step)]

    def organization_ids(self, document) -> list[int]:
        from .services import route_participant_ids

        return route_participant_ids(document, self.step)


@dataclass(frozen=True)
class SystemOnly(ActorRule):
    """Made by the engine itself (e.g. superseding the previous version), never by a person."""

    roles: tuple[str, ...] = ()
    description: str = "the system"

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        return None, "This step happens automatically; nobody makes it by hand."


@dataclass(frozen=True)
class TransitionRules:
    name: str
    label: str
    actors: tuple[ActorRule, ...]
    conditions: tuple[Condition, ...] = ()
    comment_required: bool = False
    comment_label: str = "Comment"
    confirm: str = ""
    fields: tuple[str, ...] = field(default=())
    order: int = 0

    def unmet(self, document) -> list[str]:
        reasons: list[str] = []
        for condition in self.conditions:
            reasons.extend(condition(document))
        return reasons


def workflow_transition(*, field, source, target, label: str, actors: Sequence[ActorRule],
                        conditions: Sequence[Condition] = (), comment_required: bool = False,
                        comment_label: str = "Comment", confirm: str = "", fields: Sequence[str] = ()):
    """Declare a transition: django-fsm-2 checks the source state and the conditions on every
    call; ``workflow.services.transition_perform`` adds locking, the actor check, the
    comment rule and history. The same rules feed the admin's buttons and the API."""

    def decorator(func):
        rules = TransitionRules(
            name=func.__name__, label=label, actors=tuple(actors), conditions=tuple(conditions),
            comment_required=comment_required, comment_label=comment_label, confirm=confirm, fields=tuple(fields),
            order=next(_declaration_order),
        )

        def fsm_condition(instance) -> bool:
            # transition_perform has just checked them under the row lock: don't query twice.
            if getattr(instance, "_workflow_conditions_checked", None) == rules.name:
                return True
            return not rules.unmet(instance)

        fsm_condition.__name__ = f"{func.__name__}_conditions"
        wrapped = fsm_transition(field=field, source=source, target=target, conditions=[fsm_condition],
                                 custom={"label": label, "rules": rules})(func)
        wrapped.workflow_rules = rules
        return wrapped

    return decorator
