"""Either plan kind modelled once: ``Plan`` is the concrete base of ``CampaignPlan`` and
``CampaignSupportPlan`` (each keeps its own id as its primary key, with a ``plan_ptr`` parent
link), and a plan's partner countries, objectives and sections point at it with one foreign key
``plan`` instead of two nullable ones under an either-or check.

Existing rows are carried: every plan gets its ``Plan`` row (a campaign plan's key is its id, a
support plan's is its id after the highest campaign plan id), and each content row's ``plan`` is
the key of the plan it named. No id of a plan changes, so taskers, history, comments,
notifications and the audit trail (which name the kind and its id) still point at it."""

import django.db.models.deletion
from django.db import migrations, models

from workflow.migration_operations import ModelBasesAlter, sql_by_vendor

CONTENT = ("planning_partnerconsideration", "planning_plansection", "planning_objective")

FORWARD = [
    """INSERT INTO planning_plan (key) SELECT id FROM planning_campaignplan""",
    """UPDATE planning_campaignplan SET plan_ptr_id = id""",
    """INSERT INTO planning_plan (key)
       SELECT sp.id + (SELECT COALESCE(MAX(id), 0) FROM planning_campaignplan) FROM planning_campaignsupportplan sp""",
    """UPDATE planning_campaignsupportplan
          SET plan_ptr_id = id + (SELECT COALESCE(MAX(id), 0) FROM planning_campaignplan)""",
    """SELECT setval(pg_get_serial_sequence('planning_plan', 'key'), COALESCE(MAX(key), 1), MAX(key) IS NOT NULL)
         FROM planning_plan""",
    *(f"""UPDATE {table} c
             SET plan_id = COALESCE(cp.plan_ptr_id, sp.plan_ptr_id)
            FROM {table} x
            LEFT JOIN planning_campaignplan cp ON cp.id = x.campaign_plan_id
            LEFT JOIN planning_campaignsupportplan sp ON sp.id = x.support_plan_id
           WHERE x.id = c.id""" for table in CONTENT),
]

IMMEDIATE = "SET CONSTRAINTS ALL IMMEDIATE"

# SQLite (the development default): the same moves in portable SQL; its key sequence follows the
# largest key inserted by itself.
PORTABLE_FORWARD = [
    *FORWARD[:4],
    *(f"""UPDATE {table}
             SET plan_id = COALESCE(
                 (SELECT cp.plan_ptr_id FROM planning_campaignplan cp WHERE cp.id = {table}.campaign_plan_id),
                 (SELECT sp.plan_ptr_id FROM planning_campaignsupportplan sp WHERE sp.id = {table}.support_plan_id))"""
      for table in CONTENT),
]
PORTABLE_BACKWARD = [
    *(f"""UPDATE {table}
             SET campaign_plan_id = (SELECT cp.id FROM planning_campaignplan cp WHERE cp.plan_ptr_id = {table}.plan_id),
                 support_plan_id = (SELECT sp.id FROM planning_campaignsupportplan sp
                                     WHERE sp.plan_ptr_id = {table}.plan_id)""" for table in CONTENT),
]

BACKWARD = [
    *(f"""UPDATE {table} c
             SET campaign_plan_id = cp.id, support_plan_id = sp.id
            FROM {table} x
            LEFT JOIN planning_campaignplan cp ON cp.plan_ptr_id = x.plan_id
            LEFT JOIN planning_campaignsupportplan sp ON sp.plan_ptr_id = x.plan_id
           WHERE x.id = c.id""" for table in CONTENT),
]


def plan_fk(related_name: str, *, null: bool) -> models.ForeignKey:
    return models.ForeignKey(null=null, on_delete=django.db.models.deletion.CASCADE, related_name=related_name,
                             to="planning.plan")


def plan_ptr(*, null: bool) -> models.OneToOneField:
    return models.OneToOneField(null=null, editable=False, on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True, related_name="%(class)s", to="planning.plan")


class Migration(migrations.Migration):

    dependencies = [
        ("planning", "0004_records_not_editable"),
    ]

    operations = [
        migrations.CreateModel(
            name="Plan",
            fields=[("key", models.BigAutoField(primary_key=True, serialize=False))],
            options={"verbose_name": "plan"},
        ),
        migrations.AddField("campaignplan", "plan_ptr", plan_ptr(null=True)),
        migrations.AddField("campaignsupportplan", "plan_ptr", plan_ptr(null=True)),
        migrations.AddField("partnerconsideration", "plan", plan_fk("partner_considerations", null=True)),
        migrations.AddField("plansection", "plan", plan_fk("sections", null=True)),
        migrations.AddField("objective", "plan", plan_fk("objectives", null=True)),
        # The either-or checks go before the data moves (and come back after it, backwards).
        migrations.RemoveConstraint("partnerconsideration", "partner_consideration_one_plan"),
        migrations.RemoveConstraint("partnerconsideration", "partner_unique_per_campaign_plan"),
        migrations.RemoveConstraint("partnerconsideration", "partner_unique_per_support_plan"),
        migrations.RemoveConstraint("plansection", "plan_section_one_plan"),
        migrations.RemoveConstraint("objective", "objective_one_plan"),
        # The deferred foreign key checks of the rows just written run now, before the tables change.
        sql_by_vendor(postgresql=([*FORWARD, IMMEDIATE], [*BACKWARD, IMMEDIATE]),
                      other=(PORTABLE_FORWARD, PORTABLE_BACKWARD)),
        migrations.AlterField("campaignplan", "plan_ptr", plan_ptr(null=False)),
        migrations.AlterField("campaignsupportplan", "plan_ptr", plan_ptr(null=False)),
        migrations.AlterField("partnerconsideration", "plan", plan_fk("partner_considerations", null=False)),
        migrations.AlterField("plansection", "plan", plan_fk("sections", null=False)),
        migrations.AlterField("objective", "plan", plan_fk("objectives", null=False)),
        migrations.RemoveField("partnerconsideration", "campaign_plan"),
        migrations.RemoveField("partnerconsideration", "support_plan"),
        migrations.RemoveField("plansection", "campaign_plan"),
        migrations.RemoveField("plansection", "support_plan"),
        migrations.RemoveField("objective", "campaign_plan"),
        migrations.RemoveField("objective", "support_plan"),
        migrations.AddConstraint("partnerconsideration", models.UniqueConstraint(
            fields=("plan", "country"), name="partner_unique_per_plan")),
        ModelBasesAlter("campaignplan", bases=("planning.plan",)),
        ModelBasesAlter("campaignsupportplan", bases=("planning.plan",)),
    ]
