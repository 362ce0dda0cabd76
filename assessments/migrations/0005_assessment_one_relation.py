"""Either kind modelled once, for assessments: ``AssessmentRecord`` is the concrete base of
``Assessment`` (of a plan) and ``ProgramAssessment`` (each keeps its own id as its primary key,
with a ``record_ptr`` parent link), so an answer points at the assessment it answers with one
foreign key ``assessment``; and an assessment points at the plan it assesses with one foreign
key ``plan`` (``planning.Plan``) instead of ``campaign_plan`` / ``support_plan``.

Existing rows are carried (an assessment's key is its id, a program assessment's its id after
the highest assessment id); no id of an assessment changes, so taskers, history and the audit
trail still point at it."""

import django.db.models.deletion
from django.db import migrations, models

from workflow.migration_operations import ModelBasesAlter, sql_by_vendor

FORWARD = [
    """INSERT INTO assessments_assessmentrecord (key) SELECT id FROM assessments_assessment""",
    """UPDATE assessments_assessment SET record_ptr_id = id""",
    """INSERT INTO assessments_assessmentrecord (key)
       SELECT pa.id + (SELECT COALESCE(MAX(id), 0) FROM assessments_assessment) FROM assessments_programassessment pa""",
    """UPDATE assessments_programassessment
          SET record_ptr_id = id + (SELECT COALESCE(MAX(id), 0) FROM assessments_assessment)""",
    """SELECT setval(pg_get_serial_sequence('assessments_assessmentrecord', 'key'), COALESCE(MAX(key), 1),
                     MAX(key) IS NOT NULL)
         FROM assessments_assessmentrecord""",
    """UPDATE assessments_assessment a
          SET plan_id = COALESCE(cp.plan_ptr_id, sp.plan_ptr_id)
         FROM assessments_assessment x
         LEFT JOIN planning_campaignplan cp ON cp.id = x.campaign_plan_id
         LEFT JOIN planning_campaignsupportplan sp ON sp.id = x.support_plan_id
        WHERE x.id = a.id""",
    """UPDATE assessments_answer c
          SET answered_id = COALESCE(a.record_ptr_id, pa.record_ptr_id)
         FROM assessments_answer x
         LEFT JOIN assessments_assessment a ON a.id = x.assessment_id
         LEFT JOIN assessments_programassessment pa ON pa.id = x.program_assessment_id
        WHERE x.id = c.id""",
]

IMMEDIATE = "SET CONSTRAINTS ALL IMMEDIATE"

# SQLite (the development default): the same moves in portable SQL.
PORTABLE_FORWARD = [
    *FORWARD[:4],
    """UPDATE assessments_assessment
          SET plan_id = COALESCE(
              (SELECT cp.plan_ptr_id FROM planning_campaignplan cp WHERE cp.id = assessments_assessment.campaign_plan_id),
              (SELECT sp.plan_ptr_id FROM planning_campaignsupportplan sp
                WHERE sp.id = assessments_assessment.support_plan_id))""",
    """UPDATE assessments_answer
          SET answered_id = COALESCE(
              (SELECT a.record_ptr_id FROM assessments_assessment a WHERE a.id = assessments_answer.assessment_id),
              (SELECT pa.record_ptr_id FROM assessments_programassessment pa
                WHERE pa.id = assessments_answer.program_assessment_id))""",
]
PORTABLE_BACKWARD = [
    """UPDATE assessments_assessment
          SET campaign_plan_id = (SELECT cp.id FROM planning_campaignplan cp
                                   WHERE cp.plan_ptr_id = assessments_assessment.plan_id),
              support_plan_id = (SELECT sp.id FROM planning_campaignsupportplan sp
                                  WHERE sp.plan_ptr_id = assessments_assessment.plan_id)""",
    """UPDATE assessments_answer
          SET assessment_id = (SELECT a.id FROM assessments_assessment a WHERE a.record_ptr_id = assessments_answer.answered_id),
              program_assessment_id = (SELECT pa.id FROM assessments_programassessment pa
                                        WHERE pa.record_ptr_id = assessments_answer.answered_id)""",
]

BACKWARD = [
    """UPDATE assessments_assessment a
          SET campaign_plan_id = cp.id, support_plan_id = sp.id
         FROM assessments_assessment x
         LEFT JOIN planning_campaignplan cp ON cp.plan_ptr_id = x.plan_id
         LEFT JOIN planning_campaignsupportplan sp ON sp.plan_ptr_id = x.plan_id
        WHERE x.id = a.id""",
    """UPDATE assessments_answer c
          SET assessment_id = a.id, program_assessment_id = pa.id
         FROM assessments_answer x
         LEFT JOIN assessments_assessment a ON a.record_ptr_id = x.answered_id
         LEFT JOIN assessments_programassessment pa ON pa.record_ptr_id = x.answered_id
        WHERE x.id = c.id""",
]


def record_ptr(*, null: bool) -> models.OneToOneField:
    return models.OneToOneField(null=null, editable=False, on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True, related_name="%(class)s", to="assessments.assessmentrecord")


def plan_fk(*, null: bool) -> models.ForeignKey:
    return models.ForeignKey(null=null, on_delete=django.db.models.deletion.PROTECT, related_name="assessments",
                             to="planning.plan", help_text="The campaign plan or campaign support plan assessed.")


def answered_fk(*, null: bool) -> models.ForeignKey:
    return models.ForeignKey(null=null, on_delete=django.db.models.deletion.CASCADE, related_name="answers",
                             to="assessments.assessmentrecord",
                             help_text="The assessment answered, of either kind (plan or program).")


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0004_merge_report_snapshot_and_state_labels"),
        ("planning", "0005_plan_one_relation"),
    ]

    operations = [
        migrations.CreateModel(
            name="AssessmentRecord",
            fields=[("key", models.BigAutoField(primary_key=True, serialize=False))],
            options={"verbose_name": "assessment record"},
        ),
        migrations.AddField("assessment", "record_ptr", record_ptr(null=True)),
        migrations.AddField("programassessment", "record_ptr", record_ptr(null=True)),
        migrations.AddField("assessment", "plan", plan_fk(null=True)),
        migrations.AddField("answer", "answered", answered_fk(null=True)),
        # The either-or checks go before the data moves (and come back after it, backwards).
        migrations.RemoveConstraint("assessment", "assessment_one_plan"),
        migrations.RemoveConstraint("assessment", "assessment_one_per_campaign_plan"),
        migrations.RemoveConstraint("assessment", "assessment_one_per_support_plan"),
        migrations.RemoveConstraint("answer", "answer_one_assessment"),
        migrations.RemoveConstraint("answer", "answer_unique_per_question"),
        migrations.RemoveConstraint("answer", "answer_unique_per_objective"),
        migrations.RemoveConstraint("answer", "program_answer_unique"),
        # The deferred foreign key checks of the rows just written run now, before the tables change.
        sql_by_vendor(postgresql=([*FORWARD, IMMEDIATE], [*BACKWARD, IMMEDIATE]),
                      other=(PORTABLE_FORWARD, PORTABLE_BACKWARD)),
        migrations.AlterField("assessment", "record_ptr", record_ptr(null=False)),
        migrations.AlterField("programassessment", "record_ptr", record_ptr(null=False)),
        migrations.AlterField("assessment", "plan", plan_fk(null=False)),
        migrations.AlterField("answer", "answered", answered_fk(null=False)),
        migrations.RemoveField("assessment", "campaign_plan"),
        migrations.RemoveField("assessment", "support_plan"),
        migrations.RemoveField("answer", "assessment"),
        migrations.RemoveField("answer", "program_assessment"),
        migrations.RenameField("answer", "answered", "assessment"),
        migrations.AddConstraint("assessment", models.UniqueConstraint(
            fields=("cycle", "plan"), name="assessment_one_per_plan",
            violation_error_message="A plan is assessed once per cycle.")),
        migrations.AddConstraint("answer", models.UniqueConstraint(
            condition=models.Q(("objective__isnull", True)), fields=("assessment", "question"),
            name="answer_unique_per_question")),
        migrations.AddConstraint("answer", models.UniqueConstraint(
            condition=models.Q(("objective__isnull", False)), fields=("assessment", "question", "objective"),
            name="answer_unique_per_objective")),
        ModelBasesAlter("assessment", bases=("assessments.assessmentrecord",)),
        ModelBasesAlter("programassessment", bases=("assessments.assessmentrecord",)),
    ]
