"""The issue's default policy: reminders 5 and 1 working days before the suspense and on the
day itself; escalation 1 working day overdue to the organization's approvers and 5 working
days overdue to the reviewing authority. Administrators edit it in the admin."""

from django.db import migrations

DEFAULT_STEPS = (
    ("reminder", -5, "tasked_organization"),
    ("reminder", -1, "tasked_organization"),
    ("reminder", 0, "tasked_organization"),
    ("escalation", 1, "organization_approvers"),
    ("escalation", 5, "reviewing_authority"),
)


def create_default_policy(apps, schema_editor):
    ReminderPolicy = apps.get_model("reminders", "ReminderPolicy")
    ReminderStep = apps.get_model("reminders", "ReminderStep")
    PlanningMark = apps.get_model("reminders", "PlanningMark")
    PlanningMark.objects.get_or_create(name="taskers")
    if ReminderPolicy.objects.filter(is_active=True, content_type__isnull=True, workflow_kind="").exists():
        return
    policy = ReminderPolicy.objects.create(name="Default reminders and escalations")
    for kind, offset, audience in DEFAULT_STEPS:
        ReminderStep.objects.create(policy=policy, kind=kind, offset_working_days=offset, audience=audience)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
