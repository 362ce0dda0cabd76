"""How a document kind declares its workflow: one table (``Workflow``) of transitions, each
with its source and target states, a label, who may make it (actor rules), when (conditions,
answering with reasons in the users' words so the admin and the API can say *why* a transition
is unavailable) and what happens then (its effect). ``workflow_install`` makes each row a
django-fsm-2 transition of the kind's models; ``workflow.services.transition_perform`` runs it.

A condition is ``f(document) -> list[str]`` (empty: met). An actor rule resolves the
capacity in which a user acts (``organizations.selectors.Capacity``) or says why not. An effect
is ``f(document, context) -> None``: called by the transition, under the row lock, before the
state changes and the document is saved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q
from django_fsm import transition as fsm_transition

from organizations.models import Role, with_article
from organizations.selectors import (
    Capacity,
    acting_capacity_among,
    labels_in_words,
    organization_ids_acting_for,
    organizations_in_words,
    with_organization_labels,
)

from .selectors import route_participant_ids, route_participants

Condition = Callable[[object], list[str]]
_declaration_order = itertools.count()


@dataclass
class TransitionContext:
    """What a transition's effect receives: who acts, in which capacity, and the form's input."""

    by: object
    capacity: Capacity | None
    comment: str = ""
    data: dict = field(default_factory=dict)


Effect = Callable[["DocumentKind", TransitionContext], None]


@dataclass(frozen=True)
class ActorRule:
    """Who may act: members (or delegates) of some organization in some roles."""

    roles: tuple[str, ...]
    description: str

    def organizations(self, document) -> list:
        raise NotImplementedError

    def organization_ids(self, document) -> list[int]:
        return [organization.pk for organization in self.organizations(document)]

    def capacity(self, document, user) -> Capacity | None:
        """``resolve`` without the refusal's words (which may read the organizations it names).
        A rule that overrides ``resolve`` overrides this too."""
        return acting_capacity_among(user=user, organizations=self.organization_ids(document), roles=self.roles)

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        capacity = self.capacity(document, user)
        if capacity:
            return capacity, ""
        organizations = self.organizations(document)  # named in the refusal
        roles = " or ".join(Role(r).label.lower() for r in self.roles)
        if not organizations:
            return None, f"Only {self.description} may do this: {with_article(roles)} of {self.nobody_words()}."
        names = self.named(document, organizations)
        return None, f"Only {self.description} may do this: {with_article(roles)} of {names}."

    def named(self, document, organizations: list) -> str:
        """``organizations`` (the rule's on ``document``) in a refusal, by today's names with the
        directive's beside them ("USD(A&S), formerly USD(AT&L)")."""
        return organizations_in_words(organizations)

    def nobody_words(self) -> str:
        """What a refusal says when the rule names no organization on the document now."""
        return "no organization"

    def refusal_names_nobody(self, why: str) -> bool:
        """Whether ``why`` (this rule's refusal) names no organization: among several rules, the
        refusal of one that names someone says better who may act now."""
        return why.endswith(f" of {self.nobody_words()}.")

    def candidates(self, model, user) -> Q | None:
        """A filter on ``model``'s documents keeping those this rule could let ``user`` act on
        (``resolve`` decides for each), or None when it lets them act on none: "My work" reads
        only these (``workflow.inbox``). By default: every document, if the user holds one of the
        roles anywhere (no query once the request has read their roles); a rule narrows it."""
        return Q() if self.organizations_in_roles(user) else None

    def organizations_in_roles(self, user) -> list[int]:
        """The organizations ``user`` acts for in one of this rule's roles."""
        return organization_ids_acting_for(user, role=self.roles) if self.roles else []


@dataclass(frozen=True)
class OwnerRole(ActorRule):
    """A member of the document's owning organization."""

    description: str = "the owning organization"

    def organizations(self, document) -> list:
        return [document.owner]

    def organization_ids(self, document) -> list[int]:
        return [document.owner_id]

    def candidates(self, model, user) -> Q | None:
        organizations = self.organizations_in_roles(user)
        return Q(owner_id__in=organizations) if organizations else None


@dataclass(frozen=True)
class TaskedRole(ActorRule):
    """A member of an organization holding an open tasker of ``step`` on the document."""

    step: str = "review"
    description: str = "an organization tasked to review"

    def organizations(self, document) -> list:
        from .selectors import document_taskers

        return [t.organization for t in document_taskers(document, step=self.step, open_only=True)]

    def named(self, document, organizations: list) -> str:
        from .selectors import document_taskers

        taskers = document_taskers(document, step=self.step, open_only=True)
        labels = with_organization_labels(taskers)  # from the rows when the page read them so
        return labels_in_words([labels.get(t.organization_id) or str(t.organization) for t in taskers])

    def nobody_words(self) -> str:
        from .models import Step

        step = Step(self.step).label.lower() if self.step in Step.values else self.step
        return (f"an office with an open {step} tasker on it, and none has one now (its {step} is answered, or "
                "not yet asked)")

    def candidates(self, model, user) -> Q | None:
        from django.contrib.contenttypes.models import ContentType

        from .models import OPEN_TASKER_STATES, Tasker

        organizations = self.organizations_in_roles(user)
        if not organizations:
            return None
        return Q(Exists(Tasker.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=OuterRef("pk"), step=self.step,
            state__in=OPEN_TASKER_STATES, organization_id__in=organizations)))


@dataclass(frozen=True)
class RouteRole(ActorRule):
    """A member of the organization(s) the document's route names for ``step``."""

    step: str = "approval"
    description: str = "the approving organization"

    def organizations(self, document) -> list:
        return [organization for organization, _reason in route_participants(document, self.step)]

    def organization_ids(self, document) -> list[int]:
        return route_participant_ids(document, self.step)

    def candidates(self, model, user) -> Q | None:
        from django.db import connection

        organizations = self.organizations_in_roles(user)
        if not organizations:
            return None
        if connection.vendor != "postgresql":  # JSON containment is PostgreSQL's: resolve() decides
            return Q()
        # The route snapshot names the step's organization, or a relation resolved per document;
        # a document that has not taken its snapshot reads the default route.
        named = Q(route_snapshot__steps__contains=[{"step": self.step, "organization_id": None}])
        for organization in organizations:
            named |= Q(route_snapshot__steps__contains=[{"step": self.step, "organization_id": organization}])
        return named | ~Q(route_snapshot__has_key="steps")


@dataclass(frozen=True)
class SystemOnly(ActorRule):
    """Made by the engine itself (e.g. superseding the previous version), never by a person."""

    roles: tuple[str, ...] = ()
    description: str = "the system"

    def capacity(self, document, user) -> Capacity | None:
        return None

    def resolve(self, document, user) -> tuple[Capacity | None, str]:
        return None, SYSTEM_ONLY_REASON

    def candidates(self, model, user) -> Q | None:
        return None


SYSTEM_ONLY_REASON = "This step happens automatically; nobody makes it by hand."


@dataclass(frozen=True)
class TransitionRules:
    """One transition as its kind declares it. ``system_only``: made by the engine itself (e.g.
    superseding the previous version), never offered to a person, refused to anyone who asks."""

    name: str
    label: str
    actors: tuple[ActorRule, ...] = ()
    conditions: tuple[Condition, ...] = ()
    comment_required: bool = False
    comment_label: str = "Comment"
    confirm: str = ""
    fields: tuple[str, ...] = field(default=())
    order: int = 0
    source: str | tuple[str, ...] = ()
    target: str = ""
    effect: Effect | None = None
    system_only: bool = False
    # The notice people get once it is made (a kind of ``reminders.models.NoticeKind``; empty:
    # the engine's default by target state), and who gets it: "participants" (everyone who took
    # part) or "next" (those who may make the transitions out of the target state).
    notice: str = ""
    notice_to: str = ""
    # Ends or undoes work (withdraw, return): the pages style it as such and ask to confirm it,
    # and it alone never puts a document in anyone's "My work".
    destructive: bool = False

    def __post_init__(self) -> None:
        if self.system_only and not self.actors:
            object.__setattr__(self, "actors", (SystemOnly(),))
        object.__setattr__(self, "actors", tuple(self.actors))
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "fields", tuple(self.fields))
        if not self.order:
            object.__setattr__(self, "order", next(_declaration_order))

    def unmet(self, document) -> list[str]:
        reasons: list[str] = []
        for condition in self.conditions:
            reasons.extend(condition(document))
        return reasons


def Transition(name: str, *, source, target: str, label: str, actors: Sequence[ActorRule] = (),
               conditions: Sequence[Condition] = (), effect: Effect | None = None, system_only: bool = False,
               comment_required: bool = False, comment_label: str = "Comment", confirm: str = "",
               fields: Sequence[str] = (), notice: str = "", notice_to: str = "",
               destructive: bool = False) -> TransitionRules:
    """One row of a kind's workflow table: ``name`` (the method and the API's name) moves the
    document from ``source`` (a state or several) to ``target``; ``actors`` may make it when
    every one of ``conditions`` is met; ``effect`` is what happens then. ``comment_required``,
    ``confirm`` and ``fields`` (the form's extra inputs) shape the admin's and the API's form.
    ``notice`` and ``notice_to`` name the word people get of it (see ``TransitionRules``);
    ``destructive``: it ends or undoes work (the pages style it as such and ask to confirm it)."""
    return TransitionRules(
        name=name, label=label, actors=tuple(actors), conditions=tuple(conditions),
        comment_required=comment_required, comment_label=comment_label, confirm=confirm, fields=tuple(fields),
        source=tuple(source) if isinstance(source, list | tuple | set) else source, target=target,
        effect=effect, system_only=system_only, notice=notice, notice_to=notice_to, destructive=destructive,
    )


@dataclass(frozen=True)
class InboxReads:
    """Read with the documents "My work" checks: ``annotations`` ({name: expression}, read by the
    kind's conditions when present) and, for documents in some states, related rows to prefetch
    ({state: lookups})."""

    annotations: Mapping[str, object] = field(default_factory=dict)
    prefetch: Mapping[str, tuple] = field(default_factory=dict)


@dataclass(frozen=True)
class WayForward:
    """A way forward from ``source`` that is no transition of the document itself (a returned
    plan's "Start a new version": a new draft). Drawn dashed on the diagram; offered as a button on
    the document's page and as an item of "My work" to ``actors`` when every one of
    ``conditions`` is met; ``perform(document=..., by=...)``, a service of the kind (which checks
    again), returns the document to go to."""

    name: str
    source: str
    target: str
    label: str
    actors: tuple[ActorRule, ...] = ()
    conditions: tuple[Condition, ...] = ()
    perform: Callable[..., object] | None = None

    def as_edge(self) -> tuple[str, str, str]:
        return self.source, self.target, self.label


@dataclass(frozen=True)
class Workflow:
    """A kind's workflow, read top to bottom like a table: the models it serves (one kind, or the
    kinds that share it), the step whose taskers may answer in each state, its transitions (each
    with who, when and its effect) and what happens once a tasker is answered."""

    models: tuple[type[DocumentKind], ...]
    transitions: tuple[TransitionRules, ...]
    answering_steps: Mapping[str, str] = field(default_factory=dict)
    # ``after_response(document, tasker=..., by=...)``
    after_response: Callable[..., None] | None = None
    # Ways forward that are no transition of this document, drawn dashed on the diagram:
    # ``WayForward`` rows (or bare (source, target, label)), e.g. a returned plan's "Start a new version".
    ways_forward: tuple[WayForward | tuple[str, str, str], ...] = ()
    # What "My work" (``workflow.inbox``) reads with the documents it checks, so that the rules'
    # conditions ask nothing more of the database document by document: a function of the model
    # answering ``InboxReads``.
    inbox_reads: Callable[[type], InboxReads] | None = None
    # What the document's lock (``workflow.services.document_lock``) reads with it, so that the
    # transition's conditions ask nothing more: a function of the model answering annotations
    # ({name: expression}), each a column of the locked row's statement.
    lock_reads: Callable[[type], dict] | None = None
    field: str = "state"  # (shadows dataclasses.field below this line)

    def transition(self, name: str) -> TransitionRules | None:
        return next((rules for rules in self.transitions if rules.name == name), None)

    def way_forward(self, name: str) -> WayForward | None:
        return next((way for way in self.ways_forward if isinstance(way, WayForward) and way.name == name), None)

    def ways_forward_offered(self) -> tuple[WayForward, ...]:
        """The ways forward a person may take (those declared with actors)."""
        return tuple(way for way in self.ways_forward if isinstance(way, WayForward) and way.actors)


class DocumentKind(Protocol):
    """What a kind of document supplies to the engine, beside the columns of
    ``workflow.models.RoutedDocument`` (``state``, ``owner``, ``route``, ``route_snapshot``,
    ``version``) and its visibility selector (``workflow.registry.register_document``: who may
    see which documents, and whose marking they may read)."""

    workflow_kind: ClassVar[str]
    # Its transitions with their actors, conditions and effects (``Workflow``).
    workflow: ClassVar[Workflow]
    state: str
    owner_id: int
    route_snapshot: dict
    version: int
    mail_may_carry_title: bool | None

    def route_relation(self, relation: str) -> list:
        """The organizations a route step naming ``relation`` reaches (``owner`` at least)."""

    def current_step(self) -> str | None:
        """The step whose taskers may answer now."""

    def after_response(self, *, tasker, by) -> None:
        """What happens once a tasker is answered."""


def _fsm_method(rules: TransitionRules, *, field, body):
    """``body`` as a django-fsm-2 transition carrying ``rules``: django-fsm-2 checks the source
    state and the conditions on every call; ``workflow.services.transition_perform`` adds
    locking, the actor check, the comment rule and history. The same rules feed the admin's
    buttons and the API."""

    def fsm_condition(instance) -> bool:
        # transition_perform has just checked them under the row lock: don't query twice.
        if getattr(instance, "_workflow_conditions_checked", None) == rules.name:
            return True
        return not rules.unmet(instance)

    fsm_condition.__name__ = f"{rules.name}_conditions"
    body.__name__ = body.__qualname__ = rules.name
    wrapped = fsm_transition(field=field, source=rules.source, target=rules.target, conditions=[fsm_condition],
                             custom={"label": rules.label, "rules": rules})(body)
    wrapped.workflow_rules = rules
    return wrapped


def workflow_install(workflow: Workflow) -> None:
    """Give each model of ``workflow`` its transitions (django-fsm-2 methods named as the rows,
    whose body calls the row's effect) and its ``workflow``. Called once per kind from its app's
    ``ready()``; a name that is already something else on the model is refused."""
    for model in workflow.models:
        state_field = model._meta.get_field(workflow.field)
        for rules in workflow.transitions:
            existing = getattr(model, rules.name, None)
            if existing is not None and getattr(existing, "workflow_rules", None) is None:
                raise ImproperlyConfigured(f"{model.__name__}.{rules.name} already exists: a transition needs "
                                           "a name of its own.")

            def body(document, *, by, context, effect=rules.effect):
                if effect is not None:
                    effect(document, context)

            setattr(model, rules.name, _fsm_method(rules, field=workflow.field, body=body))
        model.workflow = workflow
        if workflow.ways_forward:
            model.workflow_diagram_ways_forward = tuple(
                way.as_edge() if isinstance(way, WayForward) else way for way in workflow.ways_forward)
        # django-fsm-2 collects a model's transitions when its class is prepared; these came after.
        state_field._collect_transitions(sender=model)


def workflow_transition(*, field, source, target, label: str, actors: Sequence[ActorRule],
                        conditions: Sequence[Condition] = (), comment_required: bool = False,
                        comment_label: str = "Comment", confirm: str = "", fields: Sequence[str] = (),
                        system_only: bool = False):
    """Declare a transition on the model itself, its body being its effect (a kind small enough
    to need no table; the kinds of this product declare theirs in a ``Workflow``)."""

    def decorator(func):
        rules = Transition(func.__name__, source=source, target=target, label=label, actors=actors,
                           conditions=conditions, comment_required=comment_required,
                           comment_label=comment_label, confirm=confirm, fields=fields, system_only=system_only)
        return _fsm_method(rules, field=field, body=func)

    return decorator
