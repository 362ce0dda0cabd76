"""Who may open, add and change the assessment cycle's records (``organizations.authority``).

- The cycle is run by its administrators (``rules.may_run_cycle``: system administrators and the
  designated Joint Staff office); its phase plan is changed only while it is being set up.
- The template is the Joint Staff office's, USD(P) consulted: the owning office's action officers
  and approvers change it while it is a draft; in consultation, once approved and after launch it
  is frozen for everyone (a revision goes back to draft through the workflow, a correction is a
  new version).
- An assessment's texts and answers are its owner's action officers' and approvers' while it is
  in progress (``services.answers_edit_check``); submitted, accepted or evaluated, no one's. The
  launch creates assessments; no one adds or deletes one by hand.
- Security cooperation programs are reference data of the policy office and DSCA.
"""

from __future__ import annotations

from rules import Predicate

from organizations.authority import (
    acting_for_designation,
    declare,
    declare_permission,
    is_staff_member,
    never,
)
from organizations.models import Designation
from workflow.permissions import registered_document_visible

from .models import (
    ANSWER_ROLES,
    Assessment,
    AssessmentCycle,
    CycleState,
    Program,
    ProgramAssessment,
    Template,
    TemplateSection,
)
from .rules import RUN_CYCLE_PERMISSION, may_run_cycle

# Predicates take (user, record) explicitly: django-rules counts a function's arguments.
cycle_administrator = Predicate(lambda user, _record=None: may_run_cycle(user), name="may_run_cycle")
joint_staff_office = acting_for_designation(Designation.JOINT_STAFF, roles=ANSWER_ROLES)
program_offices = (acting_for_designation(Designation.POLICY_OFFICE, roles=ANSWER_ROLES)
                   | acting_for_designation(Designation.SECURITY_COOPERATION_AGENCY, roles=ANSWER_ROLES))


def _cycle_in_setup(user, cycle: AssessmentCycle | None = None) -> bool:
    return cycle is None or cycle.state == CycleState.SETUP


def _template_editable(user, template: Template | None = None) -> bool:
    if template is None:
        return bool(joint_staff_office(user))
    from workflow.exceptions import WorkflowError

    from .services import template_edit_check

    try:
        template_edit_check(template=template, by=user)  # the rule the service applies to the write
    except WorkflowError:
        return False
    return True


def _section_editable(user, section: TemplateSection | None = None) -> bool:
    return _template_editable(user, section.template if section is not None else None)


def _answers_editable(user, document=None) -> bool:
    from workflow.exceptions import WorkflowError

    from .services import answers_edit_check

    if document is None:
        return False  # the list pages offer no editing; a document's page asks with the document
    try:
        answers_edit_check(document=document, by=user)
    except WorkflowError:
        return False
    return True


def register() -> None:
    declare(AssessmentCycle, view=registered_document_visible, add=cycle_administrator,
            change=cycle_administrator & Predicate(_cycle_in_setup), delete=never)
    declare_permission(RUN_CYCLE_PERMISSION, cycle_administrator)
    template_editable = Predicate(_template_editable, name="template_editable")
    declare(Template, view=is_staff_member, add=joint_staff_office, change=template_editable, delete=never)
    declare(TemplateSection, view=is_staff_member, add=joint_staff_office,
            change=Predicate(_section_editable, name="section_editable"),
            delete=Predicate(_section_editable, name="section_editable"))
    for model in (Assessment, ProgramAssessment):
        declare(model, view=registered_document_visible, add=never,
                change=Predicate(_answers_editable, name="answers_editable"), delete=never)
    declare(Program, view=is_staff_member, add=program_offices, change=program_offices, delete=program_offices)
