"""Organizations: creation, renames, the tree, deactivation and deletion, through the services."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.models import Organization, OrganizationKind, OrganizationNameHistory, Role
from organizations.services import (
    organization_create,
    organization_deactivate,
    organization_delete,
    organization_update,
)
from tests.factories import (
    AreaOfResponsibilityFactory,
    DelegationFactory,
    GeographicCommandFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 1)


def _messages(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


def test_creating_an_organization_saves_it_active():
    joint_staff = organization_create(name="Joint Staff", acronym="JS", kind=OrganizationKind.JOINT_STAFF)
    j5 = organization_create(name="Joint Staff J-5", acronym="J5", kind=OrganizationKind.JOINT_STAFF,
                             parent=joint_staff)
    assert j5.pk and j5.active and j5.parent == joint_staff
    assert j5.ancestors() == [joint_staff]


def test_an_acronym_used_by_another_active_organization_is_refused_with_a_clear_message():
    OrganizationFactory(acronym="EUCOM")
    with pytest.raises(ValidationError) as refused:
        organization_create(name="Another", acronym="eucom", kind=OrganizationKind.OTHER)
    assert "Another active organization already uses this acronym." in _messages(refused)
    assert Organization.objects.filter(acronym__iexact="eucom").count() == 1


def test_the_database_itself_refuses_a_second_active_organization_with_the_same_acronym():
    OrganizationFactory(acronym="DSCA")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="Duplicate", acronym="dsca", kind=OrganizationKind.OTHER)


def test_an_inactive_organization_leaves_its_acronym_free_for_a_new_one():
    OrganizationFactory(acronym="PACOM", active=False, active_until=datetime.date(2018, 5, 30))
    assert organization_create(name="Pacific Command", acronym="PACOM", kind=OrganizationKind.OTHER).active


def test_renaming_to_the_acronym_of_another_active_organization_is_refused_and_changes_nothing():
    OrganizationFactory(acronym="J5")
    j3 = OrganizationFactory(acronym="J3", name="Operations")
    with pytest.raises(ValidationError) as refused:
        organization_update(organization=j3, data={"acronym": "J5", "name": "Plans"})
    assert "already uses this acronym" in _messages(refused)
    j3.refresh_from_db()
    assert (j3.acronym, j3.name) == ("J3", "Operations")
    assert not OrganizationNameHistory.objects.exists()


def test_a_parent_that_would_close_a_cycle_in_the_tree_is_refused_naming_the_loop():
    top = OrganizationFactory(acronym="TOP")
    middle = OrganizationFactory(acronym="MID", parent=top)
    bottom = OrganizationFactory(acronym="BOT", parent=middle)
    with pytest.raises(ValidationError) as refused:
        organization_update(organization=top, data={"parent": bottom})
    assert refused.value.message_dict["parent"] == [
        "BOT cannot be the parent of TOP: the tree would run in a circle (TOP → BOT → MID → TOP)."
    ]
    top.refresh_from_db()
    assert top.parent is None


def test_an_organization_cannot_be_its_own_parent():
    lonely = OrganizationFactory(acronym="SELF")
    with pytest.raises(ValidationError) as refused:
        organization_update(organization=lonely, data={"parent": lonely})
    assert "run in a circle (SELF → SELF)" in _messages(refused)


def test_an_active_organization_cannot_sit_under_an_inactive_parent():
    old = OrganizationFactory(acronym="OLD", active=False)
    with pytest.raises(ValidationError) as refused:
        organization_create(name="New", acronym="NEW", kind=OrganizationKind.OTHER, parent=old)
    assert "OLD is inactive" in _messages(refused)


def test_only_a_geographic_combatant_command_supervises_a_security_cooperation_organization():
    socom = OrganizationFactory(acronym="SOCOM", kind=OrganizationKind.FUNCTIONAL_CCMD)
    with pytest.raises(ValidationError) as refused:
        organization_create(name="Office of Defense Cooperation", acronym="ODC", kind=OrganizationKind.SCO,
                            supervised_by=socom)
    assert "SOCOM is not a geographic combatant command" in _messages(refused)
    eucom = GeographicCommandFactory(acronym="EUCOM")
    assert organization_create(name="Office of Defense Cooperation", acronym="ODC", kind=OrganizationKind.SCO,
                               supervised_by=eucom).supervised_by == eucom


def test_a_rename_keeps_the_earlier_name_and_who_changed_it():
    editor = UserFactory()
    pacom = OrganizationFactory(acronym="PACOM", name="U.S. Pacific Command")
    renamed, changed = organization_update(
        organization=pacom, data={"acronym": "INDOPACOM", "name": "U.S. Indo-Pacific Command"}, by=editor,
    )
    assert changed and renamed.acronym == "INDOPACOM"
    history = OrganizationNameHistory.objects.get(organization=pacom)
    assert (history.acronym, history.name, history.changed_by) == ("PACOM", "U.S. Pacific Command", editor)


def test_moving_an_organization_without_renaming_records_no_name_history():
    old_parent, new_parent = OrganizationFactory(), OrganizationFactory()
    moved = OrganizationFactory(parent=old_parent)
    _organization, changed = organization_update(organization=moved, data={"parent": new_parent})
    moved.refresh_from_db()
    assert changed and moved.parent == new_parent
    assert not OrganizationNameHistory.objects.exists()


def test_an_update_that_changes_nothing_writes_nothing():
    organization = OrganizationFactory(name="Same")
    _organization, changed = organization_update(organization=organization, data={"name": "Same"})
    assert changed is False
    assert not OrganizationNameHistory.objects.exists()


def test_the_active_flag_is_not_updated_directly():
    with pytest.raises(TypeError):
        organization_update(organization=OrganizationFactory(), data={"active": False})


def test_deactivating_ends_current_memberships_and_delegations_and_keeps_everything():
    organization = OrganizationFactory()
    approver = MembershipFactory(organization=organization, role=Role.APPROVER)
    deputy = MembershipFactory(organization=organization, role=Role.REVIEWER)
    already_ended = MembershipFactory(organization=organization, end=datetime.date(2021, 1, 1))
    delegation = DelegationFactory(organization=organization, delegator=approver.user, delegate=deputy.user,
                                   start=datetime.date(2024, 2, 1), end=datetime.date(2024, 6, 1))

    organization_deactivate(organization=organization, on=DAY)

    organization.refresh_from_db()
    assert organization.active is False and organization.active_until == DAY
    for membership in (approver, deputy):
        membership.refresh_from_db()
        assert membership.end == DAY
    already_ended.refresh_from_db()
    assert already_ended.end == datetime.date(2021, 1, 1)
    delegation.refresh_from_db()
    assert delegation.end == DAY


def test_deactivation_is_refused_while_sub_organizations_are_active():
    joint_staff = OrganizationFactory(acronym="JS")
    OrganizationFactory(acronym="J5", parent=joint_staff)
    with pytest.raises(ValidationError) as refused:
        organization_deactivate(organization=joint_staff, on=DAY)
    assert "its sub-organizations are still active (J5)" in _messages(refused)
    joint_staff.refresh_from_db()
    assert joint_staff.active


def test_deactivating_a_command_is_refused_while_it_still_covers_countries():
    command = GeographicCommandFactory(acronym="EUCOM")
    AreaOfResponsibilityFactory(command=command)
    with pytest.raises(ValidationError) as refused:
        organization_deactivate(organization=command, on=DAY)
    assert "it still covers 1 countries" in _messages(refused)


def test_deactivation_cannot_be_dated_in_the_future_or_repeated():
    organization = OrganizationFactory()
    with pytest.raises(ValidationError, match="not in the future"):
        organization_deactivate(organization=organization, on=timezone.localdate() + datetime.timedelta(days=30))
    organization_deactivate(organization=organization, on=DAY)
    with pytest.raises(ValidationError, match="already inactive"):
        organization_deactivate(organization=organization, on=DAY)


def test_a_referenced_organization_is_never_deleted_and_the_refusal_says_why():
    organization = OrganizationFactory(acronym="DTSA")
    MembershipFactory(organization=organization)
    with pytest.raises(ValidationError) as refused:
        organization_delete(organization=organization)
    assert _messages(refused) == (
        "DTSA cannot be deleted: it is referred to by 1 memberships. "
        "Nothing is deleted once referenced; deactivate it instead."
    )
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_a_child_in_the_tree_counts_as_a_reference():
    parent = OrganizationFactory()
    OrganizationFactory(parent=parent)
    with pytest.raises(ValidationError, match="deactivate it instead"):
        organization_delete(organization=parent)


def test_an_organization_nothing_refers_to_may_be_deleted():
    mistake = OrganizationFactory()
    organization_delete(organization=mistake)
    assert not Organization.objects.filter(pk=mistake.pk).exists()
