"""Who may open, add and change the workforce's records (``organizations.authority``).

- Billet requirements are read by those who may read the SCO's workforce readiness
  (``selectors.scos_readiness_visible_to``), added and changed by the action officers and approvers
  of DSCA (Encl. 2, 2.b) and of the SCO's supervising command (``selectors.scos_requirements_settable_by``,
  the rule ``services.requirement_set`` applies), deleted by no one: a billet's requirement is
  changed, never removed (a billet without one would count as met).
- Personnel records are personal data: seen only with need-to-know (``selectors.personnel_visible_to``:
  the owning office, its command, USD(P&R), DSCA), added and changed by the owning office's action
  officers and approvers (``services.personnel_write``), deleted by no one; their qualifications,
  languages and regions follow them.
- A readiness report is added by DSCA's action officers and approvers, changed while a draft or
  returned, deleted by no one (withdrawn); seeing one is ``selectors.reports_visible_to``.
"""

from __future__ import annotations

from rules import Predicate

from organizations.authority import acting_in, declare, is_staff_member, never
from organizations.models import Designation, OrganizationKind, Role
from organizations.selectors import acts_for_designation
from workflow.permissions import registered_document_visible

from .models import BilletRequirement, PersonnelRecord, WorkforceReadinessReport

WRITER_ROLES = (Role.ACTION_OFFICER, Role.APPROVER)


def _requirement_readable(user, row: BilletRequirement | None = None) -> bool:
    from .selectors import scos_readiness_visible_to

    if not is_staff_member(user):
        return False
    if row is None:
        return True  # the list opens for anyone who works here, and shows only the SCOs they may read
    return scos_readiness_visible_to(user).filter(pk=row.authorization.sco_id).exists()


def _requirement_addable(user) -> bool:
    # Asked by every admin page's menu: no query (the user's memberships and the designations are
    # read once per request). The add form then offers only the billets ``selectors.
    # scos_requirements_settable_by`` allows: DSCA's, or those of the SCOs a command supervises.
    from .selectors import REQUIREMENT_ROLES, REQUIREMENT_SETTERS

    return any(acts_for_designation(user, designation, role=REQUIREMENT_ROLES) for designation in REQUIREMENT_SETTERS) \
        or bool(acting_in(*REQUIREMENT_ROLES, kinds=(OrganizationKind.GEOGRAPHIC_CCMD,))(user))


def _requirement_editable(user, row: BilletRequirement | None = None) -> bool:
    from .selectors import scos_requirements_settable_by

    if row is None:
        return _requirement_addable(user)
    return scos_requirements_settable_by(user).filter(pk=row.authorization.sco_id).exists()


def _personnel_readable(user, record: PersonnelRecord | None = None) -> bool:
    from .selectors import personnel_visible_to

    if not is_staff_member(user):
        return False
    if record is None:
        return True  # the list opens for anyone who works here, and shows only the records they may see
    return personnel_visible_to(user).filter(pk=record.pk).exists()


def _personnel_addable(user) -> bool:
    return bool(acting_in(Role.ACTION_OFFICER)(user) or acting_in(Role.APPROVER)(user))


def _personnel_editable(user, record: PersonnelRecord | None = None) -> bool:
    from organizations.selectors import acting_capacity_among

    if record is None:
        return _personnel_addable(user)
    return acting_capacity_among(user=user, organizations=[record.owner_id], roles=WRITER_ROLES) is not None


def _report_addable(user) -> bool:
    return acts_for_designation(user, Designation.SECURITY_COOPERATION_AGENCY, role=WRITER_ROLES)


def _report_editable(user, report: WorkforceReadinessReport | None = None) -> bool:
    if report is None:
        return _report_addable(user)
    from workflow.exceptions import WorkflowError

    from .services import report_assert_editable

    try:
        report_assert_editable(report=report, by=user)
    except WorkflowError:
        return False
    return True


def register() -> None:
    declare(BilletRequirement, view=Predicate(_requirement_readable, name="requirement_readable"),
            add=Predicate(_requirement_addable, name="requirement_addable"),
            change=Predicate(_requirement_editable, name="requirement_editable"), delete=never)
    declare(PersonnelRecord, view=Predicate(_personnel_readable, name="personnel_readable"),
            add=Predicate(_personnel_addable, name="personnel_addable"),
            change=Predicate(_personnel_editable, name="personnel_editable"), delete=never)
    declare(WorkforceReadinessReport, view=registered_document_visible,
            add=Predicate(_report_addable, name="readiness_report_addable"),
            change=Predicate(_report_editable, name="readiness_report_editable"), delete=never)
