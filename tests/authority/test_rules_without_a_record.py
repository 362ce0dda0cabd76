"""Rules asked without a particular record: the admin's menu, its list pages and its "Add"
button ask whether a person may act on *some* record of a model. The matrix asks with records;
these are the same rules' other branch, and the rules of the lockout records (django-axes),
which the matrix does not list."""

import pytest
from django.apps import apps

from organizations.authority import may
from organizations.models import Role
from planning.models import CampaignPlan, CampaignSupportPlan
from tests.factories import GeographicCommandFactory, MembershipFactory, OrganizationFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


def _member(role, organization):
    return MembershipFactory(role=role, organization=organization).user


def test_the_plans_list_offers_changes_to_the_owners_action_officers_and_approvers_only():
    command = GeographicCommandFactory(acronym="EUCOM")
    department = OrganizationFactory(acronym="DA", kind="military_department")
    officer, approver, reviewer = (_member(role, command) for role in (Role.ACTION_OFFICER, Role.APPROVER,
                                                                        Role.REVIEWER))
    department_officer = _member(Role.ACTION_OFFICER, department)

    assert may(officer, "change", CampaignPlan) and may(approver, "change", CampaignPlan)
    assert not may(reviewer, "change", CampaignPlan)
    # A campaign plan is a combatant command's: a department's officer changes support plans.
    assert not may(department_officer, "change", CampaignPlan)
    assert may(department_officer, "change", CampaignSupportPlan)
    # A command writes a support plan for another command's plan too (Encl. 2, 10.b); a reviewer does not.
    assert may(approver, "change", CampaignSupportPlan) and not may(reviewer, "change", CampaignSupportPlan)


@pytest.mark.parametrize("name", ["AccessAttempt", "AccessLog", "AccessFailureLog"])
def test_lockout_records_are_read_by_administrators_and_auditors_and_deleted_by_administrators(name):
    model = apps.get_model("axes", name)
    organization = OrganizationFactory(acronym="OSD")
    auditor, officer = _member(Role.AUDITOR, organization), _member(Role.ACTION_OFFICER, organization)
    administrator = SuperuserFactory()

    assert [may(person, "view", model) for person in (administrator, auditor, officer)] == [True, True, False]
    assert [may(person, "delete", model) for person in (administrator, auditor, officer)] == [True, False, False]
    assert not any(may(person, action, model) for person in (administrator, auditor, officer)
                   for action in ("add", "change"))
