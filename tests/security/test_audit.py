"""The audit trail: sign-in and sign-out, every transition and answer, exports, membership and
permission changes; append-only, refused by the database itself on PostgreSQL."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.test import Client
from django.urls import reverse

from organizations.models import Role
from security.audit import audit_record
from security.models import AuditAction, AuditEvent
from tests.factories import staff_member


@pytest.mark.django_db
def test_sign_in_and_sign_out_are_recorded_with_the_address():
    staff_member("j5_reviewer", acronym="J5", role=Role.REVIEWER, password="Tr@ining-only-Passw0rd", is_staff=True)
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.post(reverse("admin:login"), {"username": "j5_reviewer", "password": "Tr@ining-only-Passw0rd",
                                         "consent": "on"})
    client.post(reverse("admin:logout"))
    events = list(AuditEvent.objects.filter(username="j5_reviewer").order_by("pk"))
    assert [e.action for e in events if e.action != AuditAction.PERMISSION] == [AuditAction.SIGN_IN,
                                                                                 AuditAction.SIGN_OUT]
    assert events[-1].ip_address == "10.1.2.3"


@pytest.mark.django_db
def test_group_permission_changes_are_recorded():
    user = get_user_model().objects.create_user("eucom_org_admin")
    group = Group.objects.create(name="Reviewers")
    user.groups.add(group)
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION, object_id=str(user.pk),
                                     description__contains="add").exists()


@pytest.mark.django_db
def test_the_audit_trail_cannot_be_edited_in_the_application():
    event = audit_record(action=AuditAction.EXPORT, description="exported")
    event.description = "nothing happened"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_update_and_delete_on_the_audit_tables():
    event = audit_record(action=AuditAction.EXPORT, description="exported")
    for statement, params in (("UPDATE security_auditevent SET description = 'x' WHERE id = %s", [event.pk]),
                              ("DELETE FROM security_auditevent WHERE id = %s", [event.pk]),
                              ("UPDATE workflow_historyentry SET description = 'x'", []),
                              ("DELETE FROM workflow_historyentry", [])):
        with pytest.raises((InternalError, ProgrammingError, IntegrityError), match="append-only"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    assert AuditEvent.objects.get(pk=event.pk).description == "exported"


@pytest.mark.django_db
def test_every_admin_change_and_every_transition_writes_an_audit_record(world):
    from organizations.models import Role
    from workflow.services import transition_perform

    officer = world.user("EUCOM", Role.ACTION_OFFICER)
    plan = world.ready_plan()
    before = AuditEvent.objects.count()
    transition_perform(document=plan, name="submit", by=officer)
    workflow_events = AuditEvent.objects.filter(action=AuditAction.WORKFLOW, user=officer)
    assert workflow_events.filter(description="Submit for coordination").count() == 1
    # The policy office (USD(P), whose GEF guidance it is) changes a GEF end state in the admin.
    admin_user = world.user("USD(P)", Role.ACTION_OFFICER)
    client = Client()
    client.force_login(admin_user)
    end_state = world.end_state
    response = client.post(reverse("admin:planning_gefendstate_change", args=[end_state.pk]),
                           {"gef": end_state.gef_id, "code": "ES-1", "title": "Renamed end state", "objectives": ""})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE).latest("pk")
    assert event.user == admin_user and "Renamed end state" in event.description
    assert AuditEvent.objects.count() > before


@pytest.mark.django_db
def test_admin_changes_and_matrix_exports_name_a_plan_by_reference_never_by_title(world):
    """The trail outlives the plan's marking: a title written into it today could be read by an
    auditor the plan is later raised above. Reference data keeps its name (test above)."""
    admin_user = get_user_model().objects.create_superuser("administrator", password="Tr@ining-only-Passw0rd")
    plan = world.ready_plan()
    client = Client()
    client.force_login(admin_user)
    response = client.get(reverse("admin:planning_campaignplan_comments_xlsx", args=[plan.pk]))
    assert response.status_code == 200
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.log_actions(user_id=admin_user.pk, queryset=[plan], action_flag=CHANGE,
                                 change_message="Changed summary.", single_object=True)
    texts = list(AuditEvent.objects.filter(action__in=[AuditAction.EXPORT, AuditAction.ADMIN_CHANGE])
                 .values_list("description", flat=True))
    assert f"Comment resolution matrix exported: campaign plan #{plan.pk}" in texts
    assert f"Changed in the admin: {ContentType.objects.get_for_model(plan)} #{plan.pk}" in texts
    assert not [t for t in texts if plan.title in t]
