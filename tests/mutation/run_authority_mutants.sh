#!/usr/bin/env bash
# Mutation testing of the code that decides who may act (README "Mutation testing").
#
#   tests/mutation/run_authority_mutants.sh   # the mutants that change a check in the functions below
#   tests/mutation/run_authority_mutants.sh 'workflow.services.x_comment_adjudicate*'   # named ones again
#   MUTATION_ALL=1 tests/mutation/run_authority_mutants.sh   # every mutant of those functions (hours)
#
# Runs on SQLite (no DATABASE_URL, no Redis); tests marked postgres/redis/browser/slow are left
# out. The database is migrated once here and each pytest session mutmut starts copies it
# (tests/mutation/sqlite_copy.py). Then `.venv/bin/python tests/mutation/mutmut_cli.py results` lists survivors and
# `.venv/bin/mutmut show NAME` shows one.
set -euo pipefail
cd "$(dirname "$0")/../.."

unset DATABASE_URL MIGRATION_DATABASE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND REQUIRE_SERVICES
export VAR_DIR="${VAR_DIR:-${TMPDIR:-/tmp}/mutation-var}"
mkdir -p "$VAR_DIR"
export MUTATION_DB_TEMPLATE="$VAR_DIR/template.sqlite3"
rm -f "$MUTATION_DB_TEMPLATE"
# The tests' settings (pyproject.toml): the local profile plus the engine's test kind (tests/workflow/kindapp).
DATABASE_URL="sqlite:///$MUTATION_DB_TEMPLATE" DJANGO_SETTINGS_MODULE=tests.settings \
  .venv/bin/python manage.py migrate --noinput -v 0

# The functions that decide who may act: membership and designation selectors, the transition
# actor rules and the check of every transition, every tasker and comment action, plan ownership,
# editability and visibility, assessment cycle administration and answer editing, need-to-know
# markings and who reads the audit trail.
AUTHORITY=(
  'organizations.selectors.x_acting_capacity_among*' 'organizations.selectors.x_may_act*'
  'organizations.selectors.x_organizations_acting_for*' 'organizations.selectors.x_acting_roles*'
  'organizations.selectors.x_organization_ids_acting_for*' 'organizations.selectors.x_organization_holds*'
  'organizations.selectors.x_designations_acting_for*' 'organizations.selectors.x_acts_for_designation*'
  'organizations.selectors.x_memberships_active*' 'organizations.selectors.x_delegations_active*'
  'organizations.models.xǁMembershipQuerySetǁactive*'
  'workflow.rules.xǁ*'
  'workflow.services.x__evaluate*' 'workflow.services.x__perform_locked*' 'workflow.services.x_transition_perform*'
  'workflow.services.x__require_*' 'workflow.services.x_tasker_*' 'workflow.services.x_comment_*'
  'workflow.services.x__agreeing_capacity*'
  'workflow.selectors.x_route_participant*'
  'planning.selectors.*'
  'planning.services.x__owner_capacity*' 'planning.services.x__references_checked*'
  'planning.services.x_plan_create*' 'planning.services.x_plan_update*' 'planning.services.x_plan_assert_editable*'
  'planning.services.x__links_hidden_from*' 'planning.services.x_plan_marking_refusal*' 'planning.services.x_plan_write*'
  'assessments.rules.*'
  'assessments.services.x__require_*' 'assessments.services.x_cycle_create*' 'assessments.services.x_cycle_add_plan*'
  'assessments.services.x_template_create_check*' 'assessments.services.x__owner_capacity*'
  'assessments.services.x_answers_edit_check*' 'assessments.services.x_cycle_update*'
  'assessments.services.x_template_edit_check*' 'assessments.services.x_template_update*'
  'security.access.*'
  'security.audit.x_may_read_audit*' 'workflow.audit.x_audit_events_readable_by*'
  # The declared rules: who may view, add, change and delete each model (the authorization matrix).
  'organizations.authority.*' 'organizations.permissions.*' 'planning.permissions.*' 'assessments.permissions.*'
  'workflow.permissions.*' 'reminders.permissions.*' 'security.permissions.*' 'api.permissions.*'
  # The engine's common need-to-know rule, whether one may answer a tasker now, and "My work"
  # (whose taskers and which documents' decisions a user is offered).
  'workflow.selectors.x_need_to_know*' 'workflow.services.x_tasker_answer_refusal*'
  'workflow.inbox.x__organizations_working*' 'workflow.inbox.x__taskers_mine_q*'
  'workflow.inbox.x__tasker_is_mine*' 'workflow.inbox.x_my_taskers*' 'workflow.inbox.x__candidates_q*'
  'workflow.inbox.x__candidate_ids*' 'workflow.inbox.x_decisions_on*' 'planning.workflows.x_plan_inbox_reads*'
  # The routed kinds added since: manpower change requests and manning, materiel diversion
  # requests, personnel records and readiness reports, initiatives and their evaluations. Their
  # writes (``@transaction.atomic``) are left alone by mutmut: the checks they call are mutated.
  'manpower.permissions.*' 'manpower.selectors.x_requests_*' 'manpower.selectors.x_scos_visible_to*'
  'manpower.services.x__requester_capacity*' 'manpower.services.x_request_assert_editable*'
  'manpower.services.x__refuse_marking_beyond_reader*'
  'materiel.permissions.*' 'materiel.selectors.*'
  'materiel.services.x__requester_capacity*' 'materiel.services.x_request_assert_editable*'
  'materiel.services.x_requesting_offices*'
  'materiel.services.x__refuse_marking_beyond_reader*'
  'workforce.permissions.*' 'workforce.selectors.x__reads_all*' 'workforce.selectors.x_personnel_visible_to*'
  'workforce.selectors.x_scos_readiness_visible_to*' 'workforce.selectors.x_reports_*'
  'workforce.services.x__writer_capacity*' 'workforce.services.x__report_capacity*'
  'workforce.services.x_report_assert_editable*'
  'initiatives.permissions.*' 'initiatives.selectors.x__tasked*' 'initiatives.selectors.x_initiatives_*'
  'initiatives.selectors.x_evaluations_*' 'initiatives.services.x__writer_capacity*'
  'initiatives.services.x_initiative_assert_editable*' 'initiatives.services.x_evaluation_assert_editable*'
  'initiatives.services.x__refuse_marking_beyond_reader*'
  # Reads of who may see what kept per capacity (security.capacity): the key a person's reads are
  # kept under, and when a kept read is given again.
  'security.capacity.x_capacity_key*' 'security.capacity.x__kept_or_built*'
)
# Every mutant of these is run, not only those the checks filter keeps: their lines decide whose
# read is given ("if found is not None", "day = ...") without naming a role or a marking.
EVERY_MUTANT=('security.capacity.x_capacity_key*' 'security.capacity.x__kept_or_built*')
if [ "$#" -gt 0 ]; then
  TARGETS=("$@")  # named mutants or patterns: run as given, reusing mutants/
else
  rm -rf mutants
  if [ -n "${MUTATION_ALL:-}" ]; then
    TARGETS=("${AUTHORITY[@]}")  # every mutant of those functions, wording included (hours)
  else
    # Only the mutants that change a check: not those rewording a refusal or a history entry.
    mapfile -t TARGETS < <(.venv/bin/python tests/mutation/mutmut_cli.py checks "${AUTHORITY[@]}" | grep '__mutmut_')
    TARGETS+=("${EVERY_MUTANT[@]}")
  fi
fi
echo "Running ${#TARGETS[@]} mutants or patterns"
.venv/bin/python tests/mutation/mutmut_cli.py run --max-children "${MUTATION_CHILDREN:-2}" "${TARGETS[@]}"
.venv/bin/python tests/mutation/authority_summary.py "${TARGETS[@]}"
