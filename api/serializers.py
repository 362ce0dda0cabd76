"""What the API reads and writes. Shapes and types only: every rule (who may, when, what a
complete answer is) lives in the services the views call. Organizations are referred to by
acronym, countries by ISO 3166 alpha-2 code, users by username."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments import services as assessment_services
from assessments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    Program,
    ProgramAssessment,
    QuestionKind,
    Template,
)
from initiatives.models import (
    EvaluationRating,
    EvaluationType,
    Indicator,
    Initiative,
    InitiativeEvaluation,
    MonitoringEntry,
)
from manpower.models import (
    ChangeType,
    ManpowerChangeRequest,
    RequestedBillet,
    SecurityCooperationOrganization,
)
from materiel.models import MaterielDiversionRequest, Urgency
from organizations.models import (
    AreaOfResponsibility,
    Country,
    Delegation,
    FADAssignment,
    ForceActivityDesignator,
    Membership,
    Organization,
)
from organizations.selectors import fad_assignments_on, organization_labels
from planning import services as planning_services
from planning.models import (
    CampaignPlan,
    CampaignSupportPlan,
    ComplementaryActivity,
    Function,
    GEFEndState,
    GEFGuidance,
    Objective,
    PartnerConsideration,
    PlanActivity,
    PlanAnnex,
    PlanSection,
    ProgramUse,
)
from planning.selectors import plans_visible_to
from security.models import CUICategory, DisseminationControl
from workflow.models import Comment as WorkflowComment
from workflow.models import CommentCategory, Decision, HistoryEntry, Response, Route, Tasker
from workflow.selectors import comment_blocks, comment_resolution
from workflow.services import COMMENT_REFERENCE_LENGTHS, COMMENTS_PER_ANSWER
from workforce.models import (
    ILR_LEVELS,
    BilletRequirement,
    CertificationLevel,
    LanguageProficiency,
    PersonnelRecord,
    Qualification,
    QualificationKind,
    Region,
    RegionalExpertise,
    WorkforceReadinessReport,
)

from .documents import resource_of


class NoNullCharactersMixin:
    """A NUL character can't be looked up in PostgreSQL; it is invalid input, not a crash."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


class AcronymField(NoNullCharactersMixin, serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "acronym")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Organization.objects.filter(active=True))
        super().__init__(**kwargs)


class CountryCodeField(NoNullCharactersMixin, serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Country.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)

    def to_representation(self, obj):
        return obj.code.code


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(slug_field="username", **kwargs)


def nullable(field_class, **kwargs):
    """A read-only reference that may be empty (null in the schema, as in the answer)."""
    return field_class(read_only=True, allow_null=True, **kwargs)


# --- force/activity designators (the Chairman's, Encl. 2, 9.f) -------------------------------

class FADBriefSerializer(serializers.Serializer):
    """A partner's force/activity designator in force today, as shown beside the partner."""

    designator = serializers.ChoiceField(choices=ForceActivityDesignator.choices, help_text="I (highest) to V.")
    label = serializers.CharField(source="get_designator_display", help_text="“FAD II”.")
    effective_from = serializers.DateField()


def fad_today_of(country_id, context) -> dict | None:
    """The FAD of today of ``country_id`` (None when it has none), from every current assignment,
    read once per response and kept in the serializer context: one query for a page of partners."""
    if context is None:
        context = {}
    if "_fads_today" not in context:
        context["_fads_today"] = {row.country_id: row for row in fad_assignments_on().filter(country__isnull=False)}
    row = context["_fads_today"].get(country_id)
    return FADBriefSerializer(row).data if row is not None else None


def fad_today_of_partner(country_id, partner_organization: str, context) -> dict | None:
    """The FAD of today of a partner named as a FAD names one: a country (``country_id``), or else a
    partner organization by name (any case); read once per response like ``fad_today_of``."""
    if country_id is not None or not partner_organization:
        return fad_today_of(country_id, context)
    if context is None:
        context = {}
    if "_fads_today_of_organizations" not in context:
        context["_fads_today_of_organizations"] = {
            row.partner_organization.upper(): row for row in fad_assignments_on().filter(country__isnull=True)}
    row = context["_fads_today_of_organizations"].get(partner_organization.strip().upper())
    return FADBriefSerializer(row).data if row is not None else None


class FADAssignmentSerializer(serializers.ModelSerializer):
    country = CountryCodeField(read_only=True, allow_null=True, help_text="ISO 3166-1 alpha-2 (or null: an "
                                                                           "organization)")
    partner = serializers.CharField(source="partner_name", read_only=True, help_text="The partner's name.")
    label = serializers.CharField(source="get_designator_display", read_only=True)
    assigned_by = nullable(UsernameField)
    assigned_for = nullable(AcronymField)

    class Meta:
        model = FADAssignment
        fields = ["id", "country", "partner_organization", "partner", "designator", "label", "effective_from",
                  "effective_until", "rationale", "assigned_by", "assigned_for", "assigned_at"]
        read_only_fields = fields


class FADAssignmentWriteSerializer(serializers.Serializer):
    """What the Chairman's office types; ``organizations.services.fad_assign`` applies every rule."""

    country = CountryCodeField(required=False, allow_null=True, help_text="ISO 3166-1 alpha-2 of a partner country.")
    partner_organization = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                                 help_text="Or a partner organization, by name.")
    designator = serializers.ChoiceField(choices=ForceActivityDesignator.choices)
    effective_from = serializers.DateField()
    rationale = serializers.CharField(max_length=5000)


# --- organizations and countries -----------------------------------------------------------

class OrganizationSerializer(serializers.ModelSerializer):
    parent = nullable(AcronymField)
    supervised_by = nullable(AcronymField)
    organization_label = serializers.SerializerMethodField(
        help_text="How pages name it: today's acronym, the directive's beside it where it changed "
                  "(“USD(A&S), formerly USD(AT&L)”).")

    class Meta:
        model = Organization
        fields = ["id", "acronym", "organization_label", "name", "kind", "parent", "supervised_by", "active",
                  "active_from", "active_until", "current_name", "current_acronym"]

    def get_organization_label(self, organization) -> str:
        labels = self.context.get("_organization_labels")
        if labels is None or organization.pk not in labels:  # the whole page at once
            page = self.root.instance if isinstance(self.root.instance, list) else [organization]
            labels = self.context["_organization_labels"] = organization_labels(page)
        return labels.get(organization.pk, organization.acronym)


class AreaOfResponsibilitySerializer(serializers.ModelSerializer):
    command = AcronymField(read_only=True)

    class Meta:
        model = AreaOfResponsibility
        fields = ["command", "start", "end"]


class CountrySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="code.code", read_only=True, help_text="ISO 3166-1 alpha-2")
    name = serializers.CharField(read_only=True)
    aor_periods = AreaOfResponsibilitySerializer(many=True, read_only=True,
                                                 help_text="Which geographic combatant command covered it, when.")

    fad = serializers.SerializerMethodField(help_text="Its force/activity designator today, as a partner (null: none).")

    class Meta:
        model = Country
        fields = ["code", "name", "aor_periods", "fad"]

    @extend_schema_field(FADBriefSerializer(allow_null=True))
    def get_fad(self, country) -> dict | None:
        return fad_today_of(country.pk, self.context)


# --- who the token acts for ------------------------------------------------------------------

class MembershipSerializer(serializers.ModelSerializer):
    organization = AcronymField(read_only=True)
    coordinator = serializers.BooleanField(source="is_coordinator", read_only=True,
                                           help_text="Designated coordinator: answers the organization's taskers.")

    class Meta:
        model = Membership
        fields = ["organization", "role", "coordinator", "start", "end"]


class DelegationSerializer(serializers.ModelSerializer):
    organization = AcronymField(read_only=True)
    delegator = UsernameField()
    delegate = UsernameField()

    class Meta:
        model = Delegation
        fields = ["id", "organization", "role", "delegator", "delegate", "start", "end", "reason"]


class DelegationsSerializer(serializers.Serializer):
    received = DelegationSerializer(many=True, help_text="Active today: you act in these roles for the delegator.")
    given = DelegationSerializer(many=True, help_text="Active today: the delegate acts in your role.")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    is_superuser = serializers.BooleanField()
    clearance = serializers.CharField(allow_null=True, help_text="From the security profile; null without one "
                                                                 "(then only UNCLASSIFIED, releasable to anyone).")
    nationality = serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2 citizenship, from the "
                                                                   "security profile; null without one.")
    memberships = MembershipSerializer(many=True, help_text="Current memberships (started, not ended).")
    delegations = DelegationsSerializer()


# --- GEF -----------------------------------------------------------------------------------

class GEFEndStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = GEFEndState
        fields = ["id", "code", "title", "objectives"]


class GEFSerializer(serializers.ModelSerializer):
    end_states = GEFEndStateSerializer(many=True, read_only=True)

    class Meta:
        model = GEFGuidance
        fields = ["id", "year", "version", "title", "issued_on", "assessment_guidance", "classification", "end_states"]


# --- workflow ------------------------------------------------------------------------------

class DocumentRefSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The resource the document is listed under, e.g. campaign-plans.")
    id = serializers.IntegerField()


class _DocumentRefMixin(serializers.Serializer):
    document = serializers.SerializerMethodField()

    @extend_schema_field(DocumentRefSerializer)
    def get_document(self, obj) -> dict:
        return {"type": resource_of(obj.content_type_id), "id": obj.object_id}


class _OrganizationLabelMixin(serializers.Serializer):
    """``organization_label`` beside ``organization`` (the acronym, unchanged): the office by
    today's name with the directive's beside it ("USD(A&S), formerly USD(AT&L)"), read once for
    the whole page (``organizations.selectors.organization_labels``), never once a row."""

    organization_label = serializers.SerializerMethodField(
        help_text="The organization by today's name, the directive's beside it where it changed "
                  "(“USD(A&S), formerly USD(AT&L)”).")

    def get_organization_label(self, obj) -> str:
        labels = self.context.get("_organization_labels")
        if labels is None or obj.organization_id not in labels:
            page = self.root.instance if isinstance(self.root.instance, list) else [obj]
            labels = organization_labels([row.organization for row in page if row.organization_id])
            self.context["_organization_labels"] = labels
        return labels.get(obj.organization_id, str(obj.organization))


class TaskerSerializer(_DocumentRefMixin, _OrganizationLabelMixin, serializers.ModelSerializer):
    organization = AcronymField(read_only=True)
    assignee = nullable(UsernameField)
    answered_by = nullable(UsernameField)
    answered_on_behalf_of = nullable(UsernameField)
    acknowledged_by = nullable(UsernameField)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Tasker
        fields = ["id", "document", "document_title", "step", "round", "organization", "organization_label",
                  "assignee", "state",
                  "suspense", "suspense_reason", "overdue", "response", "rationale", "answered_by",
                  "answered_on_behalf_of", "answered_at", "acknowledged_by", "acknowledged_at", "is_seam",
                  "added_reason", "closed_reason", "created_at"]

    def get_overdue(self, tasker) -> bool:
        return tasker.is_overdue()


class CommentSerializer(_DocumentRefMixin, _OrganizationLabelMixin, serializers.ModelSerializer):
    organization = AcronymField(read_only=True)
    author = UsernameField()
    adjudicated_by = nullable(UsernameField)
    commenter_agreed_by = nullable(UsernameField)
    blocking = serializers.SerializerMethodField(
        help_text="Whether the comment keeps its step from ending (not adjudicated, or its organization's "
                  "non-concurrence stands).")
    resolution = serializers.SerializerMethodField(help_text="Where the comment stands, in the admin's words.")

    class Meta:
        model = WorkflowComment
        fields = ["id", "document", "tasker", "organization", "organization_label", "author", "category",
                  "section", "page", "paragraph",
                  "line", "text", "rationale", "proposed_change", "decision", "decision_rationale", "adjudicated_by", "adjudicated_at",
                  "commenter_agreed_by", "commenter_agreed_at", "blocking", "resolution", "created_at"]

    def get_blocking(self, comment) -> bool:
        return comment_blocks(comment)

    def get_resolution(self, comment) -> str:
        return comment_resolution(comment)


class HistoryEntrySerializer(serializers.ModelSerializer):
    actor = nullable(UsernameField)
    acting_for = nullable(AcronymField)
    on_behalf_of = nullable(UsernameField)
    caused_by = nullable(UsernameField)
    actor_label = serializers.CharField(
        read_only=True, help_text="Who acted, as the admin shows it: “System (on behalf of …)” for the system's own "
                                  "entries (no actor; caused_by names the person whose action caused them).")
    data = serializers.DictField(read_only=True)

    class Meta:
        model = HistoryEntry
        fields = ["id", "at", "action", "description", "from_state", "to_state", "actor", "acting_for",
                  "on_behalf_of", "caused_by", "actor_label", "comment", "data"]


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why not, in the admin's words.")
    comment_required = serializers.BooleanField()
    comment_label = serializers.CharField()
    confirm = serializers.CharField(help_text="What the user should know before making it.")
    fields = serializers.ListField(child=serializers.CharField(), help_text="Extra input it takes.")
    destructive = serializers.BooleanField(help_text="It ends or undoes work (withdraw, return for rework).")


class TransitionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    expected_state = serializers.CharField(
        required=False, max_length=30,
        help_text="The state you read; if the document moved since, the answer is 409 and nothing is saved.")
    suspense = serializers.DateField(required=False, help_text="For transitions that issue taskers.")
    suspense_reason = serializers.CharField(required=False, allow_blank=True, max_length=300,
                                            help_text="Required when the suspense is shorter than the standard.")
    outstanding_confirmed = serializers.IntegerField(
        required=False, min_value=0,
        help_text="Starting an assessment cycle's joint review with assessments not submitted: how many are "
                  "outstanding, as the refusal said (the history records it).")


class TaskerCommentInputSerializer(serializers.Serializer):
    """One comment of an answer, as a row of the comment matrix; checked by the service that
    checks the admin's answer form (``workflow.services.comments_clean``)."""

    category = serializers.ChoiceField(choices=CommentCategory.choices)
    section = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=COMMENT_REFERENCE_LENGTHS["section"])
    page = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=COMMENT_REFERENCE_LENGTHS["page"])
    paragraph = serializers.CharField(required=False, allow_blank=True, default="",
                                      max_length=COMMENT_REFERENCE_LENGTHS["paragraph"])
    line = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=COMMENT_REFERENCE_LENGTHS["line"])
    text = serializers.CharField(allow_blank=True, help_text="The comment.")
    rationale = serializers.CharField(required=False, allow_blank=True, default="",
                                      help_text="Why the commenter asks for the change.")
    proposed_change = serializers.CharField(required=False, allow_blank=True, default="")


class TaskerResponseInputSerializer(serializers.Serializer):
    response = serializers.ChoiceField(choices=[
        (r.value, r.label) for r in (Response.CONCUR, Response.CONCUR_WITH_COMMENT, Response.NONCONCUR)])
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    comments = TaskerCommentInputSerializer(many=True, required=False, default=list, max_length=COMMENTS_PER_ANSWER,
                                            help_text="Any number of comments (critical, substantive, "
                                                      f"administrative), at most {COMMENTS_PER_ANSWER}.")


class TaskerReassignInputSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True),
        help_text="Username of a reviewer or approver of the tasked organization (designated as a coordinator "
                  "for a coordination tasker).")


class TaskerReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                   help_text="Required: recorded in the history.")


class TaskerSuspenseInputSerializer(serializers.Serializer):
    suspense = serializers.DateField(help_text="Today or later; a day that is not a working day becomes the next "
                                               "working day.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300,
                                   help_text="Required: recorded in the history and told to the assignee.")


class AdjudicationInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    rationale = serializers.CharField(required=False, allow_blank=True, default="")


# --- plans ---------------------------------------------------------------------------------

def editable_fields(model) -> list[str]:
    """The plan service's editable fields that this kind of plan has, as plain columns."""
    names = {f.name for f in model._meta.get_fields() if getattr(f, "concrete", False) and not f.many_to_many}
    return sorted(planning_services.EDITABLE_FIELDS & names)


class PartnerConsiderationSerializer(serializers.ModelSerializer):
    """Directive 4.b: ``support``, ``safeguard``, ``sustain`` are yes / partly / no, each with its
    evidence (``can_support``...); a "no" needs ``overriding_considerations``, which the reviewing
    authority accepts (``.../partners/{id}/accept-override/``)."""

    country = CountryCodeField(help_text="ISO 3166-1 alpha-2")
    country_name = serializers.CharField(source="country.name", read_only=True)
    fad = serializers.SerializerMethodField(help_text="The partner's force/activity designator today (null: none).")
    override_accepted_by = nullable(UsernameField, help_text="Who accepted the overriding considerations.")
    override_accepted_for = nullable(AcronymField, help_text="The reviewing organization that accepted them.")

    class Meta:
        model = PartnerConsideration
        fields = ["id", "country", "country_name", "fad", "support", "can_support", "safeguard", "can_safeguard", "sustain",
                  "can_sustain", "overriding_considerations", "override_accepted_by", "override_accepted_for",
                  "override_accepted_at"]
        read_only_fields = ["id", "fad", "override_accepted_by", "override_accepted_for", "override_accepted_at"]

    @extend_schema_field(FADBriefSerializer(allow_null=True))
    def get_fad(self, partner) -> dict | None:
        return fad_today_of(partner.country_id, self.context)


class ComplementaryActivitySerializer(serializers.ModelSerializer):
    """Directive 4.c: another U.S. Government agency's activity with one of the plan's partners."""

    country = CountryCodeField(help_text="ISO 3166-1 alpha-2: one of the plan's partner countries.")

    class Meta:
        model = ComplementaryActivity
        fields = ["country", "agency", "program", "point_of_contact"]


class ProgramUseSerializer(serializers.ModelSerializer):
    """A Military Department's or Defense Agency's program the plan uses (7.a, 8.a): its
    organization is added to coordination."""

    organization = AcronymField(help_text="Acronym of the Military Department or Defense Agency.")

    class Meta:
        model = ProgramUse
        fields = ["organization", "program"]


class PlanAnnexSerializer(serializers.ModelSerializer):
    marking = serializers.SerializerMethodField(help_text="The annex's portion marking.")
    download = serializers.SerializerMethodField(help_text="Where to read the file (audited).")

    class Meta:
        model = PlanAnnex
        fields = ["id", "letter", "title", "marking", "classification", "noforn", "original_name", "content_type",
                  "size", "sha256", "scan_result", "scan_detail", "uploaded_at", "download"]
        read_only_fields = fields

    def get_marking(self, annex) -> str:
        return annex.marking().portion

    def get_download(self, annex) -> str:
        from django.urls import reverse

        plan = self.context.get("plan") or annex.plan.document
        basename = "campaign-plan" if plan.workflow_kind == "campaign_plan" else "campaign-support-plan"
        return reverse(f"api:{basename}-annex-file", args=[plan.pk, annex.pk])


class AnnexInputSerializer(serializers.Serializer):
    letter = serializers.CharField(max_length=10)
    title = serializers.CharField(max_length=300)
    classification = serializers.CharField(required=False, default="U")
    noforn = serializers.BooleanField(required=False, default=False)
    file = serializers.FileField(help_text="multipart/form-data")


class PlanActivitySerializer(serializers.ModelSerializer):
    """A security cooperation activity under its objective: with one of the plan's partner
    countries, within the plan's period; its functions and its program's administering office
    bring their commands and offices into coordination (Encl. 2, 10.b; 7.a; 8.a)."""

    partner = CountryCodeField(help_text="ISO 3166-1 alpha-2: one of the plan's partner countries.")
    program = serializers.SlugRelatedField(slug_field="code", queryset=Program.objects.filter(active=True),
                                           required=False, allow_null=True,
                                           help_text="Code of the security cooperation program, if any (FMS...).")
    functions = serializers.ListField(child=serializers.ChoiceField(choices=Function.choices), required=False,
                                      help_text="Functions the activity works in; their commands and offices "
                                                "coordinate (10.b).")
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False,
                                     help_text="Its place among the objective's activities (default: as listed).")
    rel_to = CountryCodeField(many=True, required=False, help_text="ISO 3166-1 alpha-2 codes (REL TO).")
    marking = serializers.SerializerMethodField(help_text="The activity's portion marking, e.g. (CUI); it raises "
                                                          "the plan's banner.")

    class Meta:
        model = PlanActivity
        fields = ["id", "order", "title", "description", "partner", "program", "start_date", "end_date",
                  "functions", "classification", "noforn", "rel_to", "marking"]
        read_only_fields = ["id", "marking"]

    def get_marking(self, activity) -> str:
        return activity.marking().portion


class ObjectiveSerializer(serializers.ModelSerializer):
    end_states = serializers.PrimaryKeyRelatedField(many=True, queryset=GEFEndState.objects.all(),
                                                    help_text="Ids of the GEF end states it serves.")
    rel_to = CountryCodeField(many=True, required=False, help_text="ISO 3166-1 alpha-2 codes (REL TO).")

    class Meta:
        model = Objective
        fields = ["id", "code", "title", "description", "end_states", "functions", "measures_of_effectiveness",
                  "measures_of_performance", "indicators", "classification", "noforn", "rel_to", "activities"]
        read_only_fields = ["id"]

    activities = PlanActivitySerializer(
        many=True, required=False,
        help_text="The security cooperation activities under the objective. Objectives written are written "
                  "anew, each with the activities listed under it (none if left out).")

    functions = serializers.ListField(child=serializers.ChoiceField(choices=Function.choices), required=False,
                                      help_text="Functions the objective works in; their commands and offices "
                                                "coordinate (10.b).")


class CUICodeField(NoNullCharactersMixin, serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", CUICategory.objects.all())
        super().__init__(**kwargs)


class DisseminationCodeField(NoNullCharactersMixin, serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", DisseminationControl.objects.all())
        super().__init__(**kwargs)


class PlanSectionSerializer(serializers.ModelSerializer):
    """A portion-marked section; its marking raises the plan's banner (``plan_banner_sync``)."""

    rel_to = CountryCodeField(many=True, required=False, help_text="ISO 3166-1 alpha-2 codes (REL TO).")
    marking = serializers.SerializerMethodField(help_text="The portion marking, e.g. (S//REL TO USA, GBR).")

    class Meta:
        model = PlanSection
        fields = ["id", "number", "part", "heading", "classification", "noforn", "rel_to", "body", "marking"]
        read_only_fields = ["id", "marking"]

    def get_marking(self, section) -> str:
        return section.marking().portion


_PLAN_RECORD = ["id", "series", "version", "previous_version", "owner", "state", "marking", "directive_version",
                "elevated", "elevation_rationale", "return_reason", "created_by", "created_at", "updated_at",
                "submitted_at", "approved_at", "route_option"]


class RouteOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    citation = serializers.CharField(help_text="What the route's approval rests on (its approval steps' authority).")


class RouteOptionInputSerializer(serializers.Serializer):
    route = serializers.PrimaryKeyRelatedField(
        queryset=Route.objects.all(), allow_null=True,
        help_text="Id of a route of the plan's kind other than the default (its approval cites its authority); "
                  "null for the default route.")


_MARKING_PARTS = ["rel_to", "cui_categories", "dissemination_controls"]


class _PlanReadSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True)
    created_by = UsernameField()
    marking = serializers.SerializerMethodField(help_text="The banner marking of the document.")
    rel_to = CountryCodeField(many=True, read_only=True, help_text="REL TO: ISO 3166-1 alpha-2 codes.")
    cui_categories = CUICodeField(many=True, read_only=True, help_text="CUI categories, by CUI Registry code.")
    dissemination_controls = DisseminationCodeField(many=True, read_only=True,
                                                    help_text="Limited dissemination controls, by code.")
    partner_considerations = PartnerConsiderationSerializer(many=True, read_only=True)
    sections = PlanSectionSerializer(many=True, read_only=True)
    objectives = ObjectiveSerializer(many=True, read_only=True)
    complementary_activities = ComplementaryActivitySerializer(many=True, read_only=True)
    programs_used = ProgramUseSerializer(many=True, read_only=True)
    annexes = serializers.SerializerMethodField(help_text="The annexes whose marking you may see.")
    route_option = serializers.SerializerMethodField(
        help_text="The route option chosen for the plan (a higher approval, with its citation); null: the default "
                  "route.")

    @extend_schema_field(RouteOptionSerializer(allow_null=True))
    def get_route_option(self, plan):
        route = planning_services.plan_route_option(plan)
        if route is None:
            return None
        return {"id": route.pk, "name": route.name, "citation": planning_services.plan_route_citation(route)}

    @extend_schema_field(PlanAnnexSerializer(many=True))
    def get_annexes(self, plan):
        from security.access import may_see

        request = self.context.get("request")
        user = getattr(request, "user", None)
        return PlanAnnexSerializer([a for a in plan.annexes.all() if may_see(user, a.marking())], many=True,
                                   context={**self.context, "plan": plan}).data

    def get_marking(self, plan) -> str:
        marking = getattr(plan, "marking", None)
        if callable(marking):
            return marking().banner
        return plan.get_classification_display()


class CampaignPlanSerializer(_PlanReadSerializer):
    supporting_organizations = AcronymField(many=True, read_only=True)

    class Meta:
        model = CampaignPlan
        fields = [*_PLAN_RECORD, *editable_fields(CampaignPlan), *_MARKING_PARTS, "supporting_organizations",
                  "partner_considerations", "complementary_activities", "programs_used", "sections", "objectives",
                  "annexes"]
        read_only_fields = fields


class CampaignSupportPlanSerializer(_PlanReadSerializer):
    supported_plans = serializers.SerializerMethodField(
        help_text="Ids of the campaign plans it supports that you may see.")

    class Meta:
        model = CampaignSupportPlan
        fields = [*_PLAN_RECORD, *editable_fields(CampaignSupportPlan), *_MARKING_PARTS, "supported_plans",
                  "partner_considerations", "complementary_activities", "programs_used", "sections", "objectives",
                  "annexes"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_supported_plans(self, plan) -> list[int]:
        # A link is named only to whom may see the plan it points at (a writer keeps the others).
        request = self.context.get("request")
        visible = plans_visible_to(getattr(request, "user", None), CampaignPlan).values("pk")
        return list(plan.supported_plans.filter(pk__in=visible).order_by("pk").values_list("pk", flat=True))


def _activities_under(objectives: list[dict]) -> list[dict]:
    """The activities listed under each objective, as ``plan_write`` takes them: each naming its
    objective by its position in the list."""
    return [{**activity, "objective": index} for index, objective in enumerate(objectives)
            for activity in objective.get("activities") or ()]


class _PlanWriteSerializer(serializers.ModelSerializer):
    """Content of a draft, written by ``plan_write`` (the admin's change form calls it too): scalar
    fields through ``plan_create``/``plan_update``, lists given through ``plan_lists_replace``
    (each checks the state and the author), in one transaction."""

    partner_considerations = PartnerConsiderationSerializer(many=True, required=False)
    complementary_activities = ComplementaryActivitySerializer(many=True, required=False)
    programs_used = ProgramUseSerializer(many=True, required=False)
    sections = PlanSectionSerializer(many=True, required=False)
    objectives = ObjectiveSerializer(many=True, required=False)
    rel_to = CountryCodeField(many=True, required=False, help_text="REL TO: ISO 3166-1 alpha-2 codes.")
    cui_categories = CUICodeField(many=True, required=False, help_text="CUI categories, by CUI Registry code.")
    dissemination_controls = DisseminationCodeField(many=True, required=False,
                                                    help_text="Limited dissemination controls, by code.")
    m2m_fields: tuple[str, ...] = ()

    def validate_partner_considerations(self, partners):
        # Checked with the other fields, so that a client hears of every mistake at once; the
        # service checks the same rule again.
        errors = planning_services.partner_list_errors(partners)
        if errors:
            raise serializers.ValidationError(errors)
        return partners

    def validate_programs_used(self, programs):
        errors = planning_services.program_list_errors(programs)
        if errors:
            raise serializers.ValidationError(errors)
        return programs

    def validate_complementary_activities(self, activities):
        errors = planning_services.activity_list_errors(activities)
        if errors:
            raise serializers.ValidationError(errors)
        return activities

    def validate_objectives(self, objectives):
        errors = planning_services.objective_list_errors(objectives)
        errors += planning_services.plan_activity_list_errors(_activities_under(objectives))
        if errors:
            raise serializers.ValidationError(errors)
        return objectives

    def validate_sections(self, sections):
        errors = planning_services.section_list_errors(sections)
        if errors:
            raise serializers.ValidationError(errors)
        return sections

    def _visible_campaign_plans(self):
        request = self.context.get("request")
        return plans_visible_to(getattr(request, "user", None), CampaignPlan)

    def _split(self, validated_data: dict) -> tuple[dict, dict]:
        related = {name: validated_data.pop(name) for name in (*self.m2m_fields, *_MARKING_PARTS,
                                                               "partner_considerations", "sections", "objectives",
                                                               "programs_used", "complementary_activities")
                   if name in validated_data}
        return validated_data, related

    def _write(self, validated_data: dict, *, plan=None):
        fields, related = self._split(validated_data)
        links = {n: related[n] for n in (*self.m2m_fields, *_MARKING_PARTS) if n in related}
        owner = fields.pop("owner", None)
        objectives = related.get("objectives")
        plan_activities = None
        if objectives is not None:
            plan_activities = _activities_under(objectives)
            objectives = [{k: v for k, v in objective.items() if k != "activities"} for objective in objectives]
        return planning_services.plan_write(
            by=self.context["request"].user, plan=plan, model=self.Meta.model, owner=owner, fields=fields,
            partners=related.get("partner_considerations"), sections=related.get("sections"),
            objectives=objectives, links=links, programs=related.get("programs_used"),
            activities=related.get("complementary_activities"), plan_activities=plan_activities)

    def create(self, validated_data):
        return self._write(validated_data)

    def update(self, instance, validated_data):
        return self._write(validated_data, plan=instance)


class CampaignPlanUpdateSerializer(_PlanWriteSerializer):
    supporting_organizations = AcronymField(many=True, required=False)
    parent_plan = serializers.PrimaryKeyRelatedField(queryset=CampaignPlan.objects.none(), required=False,
                                                     allow_null=True, help_text="For a contingency plan.")
    m2m_fields = ("supporting_organizations",)

    class Meta:
        model = CampaignPlan
        fields = [*editable_fields(CampaignPlan), *_MARKING_PARTS, "supporting_organizations",
                  "partner_considerations", "complementary_activities", "programs_used", "sections", "objectives"]

    def get_fields(self):
        fields = super().get_fields()
        fields["parent_plan"].queryset = self._visible_campaign_plans()
        return fields


class CampaignPlanCreateSerializer(CampaignPlanUpdateSerializer):
    owner = AcronymField(help_text="Acronym of the owning combatant command.")

    class Meta(CampaignPlanUpdateSerializer.Meta):
        fields = ["owner", *CampaignPlanUpdateSerializer.Meta.fields]


class CampaignSupportPlanUpdateSerializer(_PlanWriteSerializer):
    supported_plans = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CampaignPlan.objects.none(),
        help_text="Ids of the approved campaign plans it supports.")
    m2m_fields = ("supported_plans",)

    class Meta:
        model = CampaignSupportPlan
        fields = [*editable_fields(CampaignSupportPlan), *_MARKING_PARTS, "supported_plans",
                  "partner_considerations", "complementary_activities", "programs_used", "sections", "objectives"]

    def get_fields(self):
        fields = super().get_fields()
        # As in the admin: campaign plans the author may see; the service refuses one newly named
        # that is not approved, saying so (``planning.services.plan_lists_replace``).
        fields["supported_plans"].child_relation.queryset = self._visible_campaign_plans()
        return fields


class CampaignSupportPlanCreateSerializer(CampaignSupportPlanUpdateSerializer):
    owner = AcronymField(help_text="Acronym of the owning Component.")

    class Meta(CampaignSupportPlanUpdateSerializer.Meta):
        fields = ["owner", *CampaignSupportPlanUpdateSerializer.Meta.fields]



# --- assessments ---------------------------------------------------------------------------

class AssessmentCycleSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True, help_text="The Joint Staff office.")
    policy_office = AcronymField(read_only=True, help_text="USD(P).")
    program_coordinator = nullable(AcronymField, help_text="Director, PA&E.")
    created_by = nullable(UsernameField)

    class Meta:
        model = AssessmentCycle
        fields = ["id", "fiscal_year", "title", "owner", "policy_office", "program_coordinator", "template_suspense",
                  "collection_suspense", "joint_review_suspense", "evaluation_suspense", "state", "launch_total",
                  "launch_done", "launch_started_at", "launch_finished_at", "joint_review", "evaluation",
                  "created_by", "created_at"]
        read_only_fields = fields


class TemplateSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True, help_text="The Joint Staff office that drafts it.")

    class Meta:
        model = Template
        fields = ["id", "cycle", "version", "title", "instructions", "owner", "state", "frozen", "approved_at"]
        read_only_fields = fields


class AssessmentCycleCreateSerializer(serializers.ModelSerializer):
    owner = AcronymField(help_text="Acronym of the Joint Staff office.")
    policy_office = AcronymField(help_text="Acronym of USD(P).")
    program_coordinator = AcronymField(required=False, allow_null=True, help_text="Acronym of Director, PA&E.")

    class Meta:
        model = AssessmentCycle
        fields = ["fiscal_year", "owner", "policy_office", "program_coordinator", "template_suspense",
                  "collection_suspense", "joint_review_suspense", "evaluation_suspense"]
        # One cycle per year, and phases in order: the service says so, in its words.
        validators = []
        extra_kwargs = {"fiscal_year": {"validators": []}}

    def create(self, validated_data):
        return assessment_services.cycle_create(by=self.context["request"].user, **validated_data)


_ASSESSMENT_FIELDS = ["id", "cycle", "owner", "title", "suspense", "state", "strategic_environment_changes",
                      "recommended_guidance_changes", "return_reason", "first_submitted_at", "submitted_at",
                      "accepted_at", "evaluated_at", "created_at"]


class AssessmentSerializer(serializers.ModelSerializer):
    """An assessment of a plan: ``campaign_plan`` or ``support_plan`` holds the id of the plan it
    assesses, the other is null."""

    owner = AcronymField(read_only=True)
    campaign_plan = serializers.SerializerMethodField(help_text="The campaign plan assessed (its id), or null.")
    support_plan = serializers.SerializerMethodField(help_text="The campaign support plan assessed (its id), or null.")

    class Meta:
        model = Assessment
        fields = [*_ASSESSMENT_FIELDS, "campaign_plan", "support_plan"]
        read_only_fields = fields

    @staticmethod
    def _plan_id(instance: Assessment, reference_name: str) -> int | None:
        # Each kind of plan says how the API names it (``PlanDocument.reference_name``).
        plan = instance.assessed_plan
        return plan.pk if plan.reference_name == reference_name else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_campaign_plan(self, instance: Assessment) -> int | None:
        return self._plan_id(instance, "campaign_plan")

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_support_plan(self, instance: Assessment) -> int | None:
        return self._plan_id(instance, "support_plan")


class ProgramAssessmentSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", queryset=Program.objects.all())

    class Meta:
        model = ProgramAssessment
        fields = [*_ASSESSMENT_FIELDS, "program"]
        read_only_fields = fields


class AssessmentUpdateSerializer(serializers.Serializer):
    """The assessment's own text, as a draft until it is submitted (and once returned), by its owner (``assessment_update``)."""

    strategic_environment_changes = serializers.CharField(required=False, allow_blank=True)
    recommended_guidance_changes = serializers.CharField(required=False, allow_blank=True)

    def update(self, instance, validated_data):
        return assessment_services.assessment_update(document=instance, by=self.context["request"].user,
                                                     **validated_data)


class AnswerRowSerializer(serializers.Serializer):
    """One question of the cycle's template (a per-objective rating: one row per objective of the
    assessed plan) with the current answer; empty strings where not answered yet."""

    question = serializers.IntegerField(help_text="The question's id.")
    section = serializers.CharField(help_text="The template section's title.")
    question_text = serializers.CharField()
    guidance = serializers.CharField()
    question_kind = serializers.ChoiceField(choices=QuestionKind.choices)
    scale = serializers.ListField(child=serializers.CharField(),
                                  help_text="For a rating: the labels from worst to best.")
    required = serializers.BooleanField()
    objective = serializers.IntegerField(allow_null=True, help_text="For a per-objective rating: the objective's id.")
    objective_code = serializers.CharField(allow_null=True)
    rating = serializers.CharField()
    justification = serializers.CharField()
    text = serializers.CharField()
    answered_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class AnswerSheetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AssessmentState.choices)
    editable = serializers.BooleanField(help_text="Whether you may change the answers now.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="If not, why, in the admin's words.")
    strategic_environment_changes = serializers.CharField()
    recommended_guidance_changes = serializers.CharField()
    answers = AnswerRowSerializer(many=True)


class AnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The question's id.")
    objective = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True,
                                         default=None, help_text="For a per-objective rating: the objective's id.")
    rating = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                   help_text="For a rating: one label of the question's scale.")
    justification = serializers.CharField(required=False, allow_blank=True, default="",
                                          help_text="Required with a rating.")
    text = serializers.CharField(required=False, allow_blank=True, default="", help_text="For a narrative question.")


class AnswersInputSerializer(serializers.Serializer):
    """Answers to record or change, and optionally the assessment's texts: saved together or not at all."""

    answers = AnswerInputSerializer(many=True, required=False, default=list)
    strategic_environment_changes = serializers.CharField(required=False, allow_blank=True)
    recommended_guidance_changes = serializers.CharField(required=False, allow_blank=True)


# --- notifications and notification preferences (reminders.notices) ---------------------------

class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    link = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)


class NotificationsMarkReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=1000,
                                help_text="The notifications to mark read; without it, every unread one.")


class NotificationsMarkedSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class NotificationPreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The kind of notice, e.g. tasker_issued.")
    label = serializers.CharField(read_only=True)
    delivery = serializers.CharField(help_text="immediately, digest or off.")
    default = serializers.CharField(read_only=True)


class NotificationPreferencesSerializer(serializers.Serializer):
    preferences = NotificationPreferenceSerializer(many=True)


class NotificationPreferenceInputSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=50)
    delivery = serializers.CharField(max_length=20)


class NotificationPreferencesInputSerializer(serializers.Serializer):
    preferences = NotificationPreferenceInputSerializer(many=True, max_length=50,
                                                        help_text="The kinds to change; the others keep their choice.")


# --- SCO manpower change requests ------------------------------------------------------------

@extend_schema_field({"type": "string", "example": "ODC-TURKEY"})
class SCOAcronymField(serializers.RelatedField):
    """A security cooperation organization by its organization's acronym."""

    default_error_messages = {"does_not_exist": "No security cooperation organization has the acronym {value}."}

    def to_representation(self, value):
        return value.organization.acronym

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("does_not_exist", value=str(data).replace("\x00", "\\x00"))
        sco = self.get_queryset().filter(organization__acronym__iexact=str(data), organization__active=True).first()
        if sco is None:
            self.fail("does_not_exist", value=data)
        return sco


class RequestedBilletSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestedBillet
        fields = ["action", "position", "grade", "service", "skill", "billets"]
        extra_kwargs = {"grade": {"required": False}, "service": {"required": False}, "skill": {"required": False},
                        "billets": {"required": False}}


class ManpowerChangeRequestSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True, help_text="The requesting SCO (or, to establish one, its command).")
    sco = SCOAcronymField(read_only=True, allow_null=True, help_text="Acronym of the SCO whose program changes.")
    host_country = CountryCodeField(read_only=True)
    supervising_command = AcronymField(read_only=True)
    billets = RequestedBilletSerializer(many=True, read_only=True)
    rel_to = CountryCodeField(many=True, read_only=True)
    created_by = nullable(UsernameField)

    class Meta:
        model = ManpowerChangeRequest
        fields = ["id", "title", "change_type", "sco", "owner", "host_country", "supervising_command", "state",
                  "effective_on", "justification", "proposed_name", "proposed_acronym", "chief_of_mission",
                  "sdo_datt_office", "classification", "noforn", "rel_to", "billets", "return_reason",
                  "decision_note", "approved_effective_on", "created_by", "created_at", "submitted_at", "decided_at"]
        read_only_fields = fields


class ManpowerChangeRequestWriteSerializer(serializers.Serializer):
    """What a request's author types; ``manpower.services.request_write`` applies every rule."""

    title = serializers.CharField(max_length=300, required=False)
    change_type = serializers.ChoiceField(choices=ChangeType.choices, required=False)
    sco = SCOAcronymField(required=False, allow_null=True,
                          queryset=SecurityCooperationOrganization.objects.select_related("organization"),
                          help_text="Acronym of the SCO (to create; leave out to establish a new SCO).")
    host_country = CountryCodeField(required=False, allow_null=True, help_text="To establish an SCO: its host country.")
    effective_on = serializers.DateField(required=False, allow_null=True)
    justification = serializers.CharField(required=False, allow_blank=True)
    proposed_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    proposed_acronym = serializers.CharField(required=False, allow_blank=True, max_length=40)
    chief_of_mission = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sdo_datt_office = serializers.CharField(required=False, allow_blank=True, max_length=200)
    classification = serializers.ChoiceField(choices=ManpowerChangeRequest._meta.get_field("classification").choices,
                                             required=False)
    noforn = serializers.BooleanField(required=False)
    billets = RequestedBilletSerializer(many=True, required=False)


# --- materiel diversion requests -----------------------------------------------------------

class MaterielDiversionRequestSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True, help_text="The requesting office (a combatant command or Military Department).")
    partner = CountryCodeField(read_only=True, allow_null=True,
                               help_text="ISO 3166-1 alpha-2 of the partner country (null: a partner organization).")
    partner_organization = serializers.CharField(
        read_only=True, help_text="The partner organization, by name (blank: a partner country).")
    partner_name = serializers.CharField(read_only=True, help_text="The partner's name: the country's or the "
                                                                   "organization's.")
    partner_fad = serializers.SerializerMethodField(help_text="The partner's force/activity designator today.")
    rel_to = CountryCodeField(many=True, read_only=True)
    created_by = nullable(UsernameField)

    class Meta:
        model = MaterielDiversionRequest
        fields = ["id", "title", "owner", "partner", "partner_organization", "partner_name", "partner_fad", "item",
                  "quantity", "unit",
                  "source", "urgency", "needed_by", "justification", "state", "classification", "noforn", "rel_to",
                  "dsca_advice", "competing_needs", "priority_recommendation", "partner_fad_at_decision",
                  "decision_note", "return_reason", "created_by", "created_at", "submitted_at", "decided_at"]
        read_only_fields = fields

    @extend_schema_field(FADBriefSerializer(allow_null=True))
    def get_partner_fad(self, request) -> dict | None:
        return fad_today_of_partner(request.partner_id, request.partner_organization, self.context)


class MaterielDiversionRequestWriteSerializer(serializers.Serializer):
    """What a request's author types; ``materiel.services.request_write`` applies every rule."""

    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    owner = AcronymField(required=False, allow_null=True,
                         help_text="The requesting office (to create; needed when you act for more than one).")
    partner = CountryCodeField(required=False, allow_null=True,
                               help_text="ISO 3166-1 alpha-2 of the partner country (or name a partner_organization; "
                                         "naming one replaces the other, naming both is refused).")
    partner_organization = serializers.CharField(
        required=False, allow_blank=True, max_length=200,
        help_text="Or the partner organization, by name, e.g. “NATO Support and Procurement Agency”.")
    # Blank text is the service's to refuse, in its words (``request_write``).
    item = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, max_value=2_147_483_647, required=False)
    unit = serializers.CharField(max_length=40, required=False)
    source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    needed_by = serializers.DateField(required=False, allow_null=True)
    justification = serializers.CharField(required=False, allow_blank=True)
    classification = serializers.ChoiceField(
        choices=MaterielDiversionRequest._meta.get_field("classification").choices, required=False)
# --- security cooperation initiatives and their evaluations ----------------------------------

class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "name", "kind", "unit", "baseline_value", "baseline_on", "target_value", "frequency_months"]
        read_only_fields = ["id"]
        extra_kwargs = {"kind": {"required": False}, "frequency_months": {"required": False}}


class MonitoringEntrySerializer(serializers.ModelSerializer):
    indicator = serializers.PrimaryKeyRelatedField(read_only=True)
    recorded_by = UsernameField()

    class Meta:
        model = MonitoringEntry
        fields = ["id", "indicator", "period_end", "value", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields


class MonitoringEntryWriteSerializer(serializers.Serializer):
    """One monitoring entry; ``initiatives.services.monitoring_record`` applies every rule (an
    indicator of another initiative, a period not yet ended or already reported is refused)."""

    indicator = serializers.IntegerField(min_value=1, max_value=2**62, help_text="The id of one of the initiative's indicators.")
    period_end = serializers.DateField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class InitiativeSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True, help_text="The command whose campaign plan holds the objective.")
    partner = CountryCodeField(read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    administering_office = serializers.SerializerMethodField()
    objective = serializers.PrimaryKeyRelatedField(read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)
    monitoring_entries = serializers.SerializerMethodField()
    rel_to = CountryCodeField(many=True, read_only=True)
    created_by = nullable(UsernameField)

    class Meta:
        model = Initiative
        fields = ["id", "title", "objective", "owner", "partner", "program", "administering_office",
                  "start_fiscal_year", "end_fiscal_year", "estimated_cost", "description", "initial_assessment",
                  "theory_of_change", "state", "classification", "noforn", "rel_to", "indicators",
                  "monitoring_entries", "return_reason", "decision_note", "created_by", "created_at", "submitted_at",
                  "approved_at"]
        read_only_fields = fields

    def get_administering_office(self, initiative) -> str | None:
        office = initiative.program.administered_by
        return office.acronym if office else None

    @extend_schema_field(MonitoringEntrySerializer(many=True))
    def get_monitoring_entries(self, initiative):
        entries = MonitoringEntry.objects.filter(indicator__initiative=initiative).select_related("recorded_by")
        return MonitoringEntrySerializer(entries, many=True).data


class InitiativeWriteSerializer(serializers.Serializer):
    """What an initiative's author types; ``initiatives.services.initiative_write`` applies every rule."""

    title = serializers.CharField(max_length=300, required=False)
    objective = serializers.PrimaryKeyRelatedField(queryset=Objective.objects.all(), required=False,
                                                   help_text="The campaign objective (to create).")
    partner = CountryCodeField(required=False, help_text="The partner nation's ISO code (to create).")
    program = serializers.SlugRelatedField(slug_field="code", queryset=Program.objects.all(), required=False,
                                           help_text="The program's code, e.g. BPC (to create).")
    start_fiscal_year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    end_fiscal_year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    estimated_cost = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    initial_assessment = serializers.CharField(required=False, allow_blank=True)
    theory_of_change = serializers.CharField(required=False, allow_blank=True)
    classification = serializers.ChoiceField(choices=Initiative._meta.get_field("classification").choices,
                                             required=False)
    noforn = serializers.BooleanField(required=False)
    indicators = IndicatorSerializer(many=True, required=False)


class InitiativeEvaluationSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True, help_text="The evaluating office (the program's administering office).")
    initiative = serializers.PrimaryKeyRelatedField(read_only=True)
    rel_to = CountryCodeField(many=True, read_only=True)
    created_by = nullable(UsernameField)

    class Meta:
        model = InitiativeEvaluation
        fields = ["id", "title", "initiative", "owner", "evaluation_type", "period_start", "period_end", "evaluator",
                  "findings", "recommendations", "rating", "state", "classification", "noforn", "rel_to",
                  "return_reason", "decision_note", "created_by", "created_at", "approved_at"]
        read_only_fields = fields


class InitiativeEvaluationWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    initiative = serializers.IntegerField(required=False, min_value=1, max_value=2**62,
                                          help_text="The id of the initiative evaluated (to create).")
    evaluation_type = serializers.ChoiceField(choices=EvaluationType.choices, required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    evaluator = serializers.CharField(required=False, allow_blank=True, max_length=200)
    findings = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)
    rating = serializers.ChoiceField(choices=EvaluationRating.choices, required=False, allow_blank=True)
    classification = serializers.ChoiceField(choices=InitiativeEvaluation._meta.get_field("classification").choices,
                                             required=False)
    noforn = serializers.BooleanField(required=False)


# --- the security cooperation workforce ------------------------------------------------------

class QualificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Qualification
        fields = ["kind", "name", "level", "completed_on", "expires_on"]
        read_only_fields = fields


class LanguageProficiencySerializer(serializers.ModelSerializer):
    class Meta:
        model = LanguageProficiency
        fields = ["language", "listening", "reading", "speaking", "tested_on"]
        read_only_fields = fields


class RegionalExpertiseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegionalExpertise
        fields = ["region", "years"]
        read_only_fields = fields


class PersonnelRecordSerializer(serializers.ModelSerializer):
    """A personnel record (personal data: only with need-to-know)."""

    owner = AcronymField(read_only=True, help_text="The office that keeps the record.")
    supervising_command = AcronymField(read_only=True, allow_null=True)
    billet = serializers.SerializerMethodField(help_text="The SCO billet filled: SCO acronym and position.")
    qualifications = QualificationSerializer(many=True, read_only=True)
    languages = LanguageProficiencySerializer(many=True, read_only=True)
    regions = RegionalExpertiseSerializer(many=True, read_only=True)

    class Meta:
        model = PersonnelRecord
        fields = ["id", "identifier", "owner", "supervising_command", "billet", "grade", "service", "assigned_on",
                  "assignment_ends_on", "qualifications", "languages", "regions"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "nullable": True,
                          "properties": {"sco": {"type": "string"}, "position": {"type": "string"}}})
    def get_billet(self, record):
        if record.billet_id is None:
            return None
        return {"sco": record.billet.sco.organization.acronym, "position": record.billet.position}


class BilletRefSerializer(serializers.Serializer):
    """A billet of an SCO's authorized manning in force: the SCO's acronym and the position."""

    sco = serializers.CharField(max_length=40, help_text="The SCO's acronym, e.g. ODC-TURKEY.")
    position = serializers.CharField(max_length=120, help_text="The position as the SCO's manning names it.")


class QualificationWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QualificationKind.choices)
    name = serializers.CharField(max_length=120)
    level = serializers.ChoiceField(choices=CertificationLevel.choices, required=False, allow_null=True,
                                    help_text="1 basic to 4 expert; a certification needs one.")
    completed_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)


class LanguageProficiencyWriteSerializer(serializers.Serializer):
    language = serializers.CharField(max_length=60)
    listening = serializers.ChoiceField(choices=ILR_LEVELS, help_text="ILR level, 0 to 5.")
    reading = serializers.ChoiceField(choices=ILR_LEVELS)
    speaking = serializers.ChoiceField(choices=ILR_LEVELS)
    tested_on = serializers.DateField(required=False, allow_null=True)


class RegionalExpertiseWriteSerializer(serializers.Serializer):
    region = serializers.ChoiceField(choices=Region.choices)
    years = serializers.IntegerField(required=False, min_value=0, max_value=60, default=0)


class PersonnelRecordWriteSerializer(serializers.Serializer):
    """What the office that keeps a record types; ``workforce.services.personnel_write`` applies
    every rule. A list given replaces the record's list; a list left out is kept."""

    identifier = serializers.CharField(max_length=120, required=False)
    owner = AcronymField(required=False, help_text="The office that keeps the record (to create; fixed after).")
    billet = BilletRefSerializer(required=False, allow_null=True,
                                 help_text="The SCO billet the person fills (null: none).")
    grade = serializers.CharField(max_length=5, required=False, allow_blank=True)
    service = serializers.CharField(max_length=20, required=False, allow_blank=True)
    assigned_on = serializers.DateField(required=False, allow_null=True)
    assignment_ends_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    qualifications = QualificationWriteSerializer(many=True, required=False, max_length=100)
    languages = LanguageProficiencyWriteSerializer(many=True, required=False, max_length=50)
    regions = RegionalExpertiseWriteSerializer(many=True, required=False, max_length=20)


class BilletRequirementSerializer(serializers.ModelSerializer):
    """What a billet requires of whoever fills it (read with the SCO's readiness)."""

    billet = serializers.SerializerMethodField(help_text="The billet: SCO acronym, position, grade and Service.")

    class Meta:
        model = BilletRequirement
        fields = ["id", "billet", "certification_level", "training", "language", "language_level", "region"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "properties": {
        "sco": {"type": "string"}, "position": {"type": "string"}, "grade": {"type": "string"},
        "service": {"type": "string"}, "effective_until": {"type": "string", "format": "date", "nullable": True}}})
    def get_billet(self, requirement):
        row = requirement.authorization
        return {"sco": row.sco.organization.acronym, "position": row.position, "grade": row.grade,
                "service": row.service, "effective_until": row.effective_until}


class BilletRequirementWriteSerializer(serializers.Serializer):
    """What DSCA or the SCO's command types; ``workforce.services.requirement_set`` applies every rule."""

    billet = BilletRefSerializer(required=False, help_text="The billet (to create; fixed after).")
    certification_level = serializers.ChoiceField(choices=CertificationLevel.choices, required=False)
    training = serializers.CharField(max_length=120, required=False, allow_blank=True)
    language = serializers.CharField(max_length=60, required=False, allow_blank=True)
    language_level = serializers.ChoiceField(choices=ILR_LEVELS, required=False, allow_blank=True)
    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_blank=True)


class ReadinessRowSerializer(serializers.Serializer):
    """One SCO's readiness (the export's columns: README, "The security cooperation workforce")."""

    command = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField()
    sco = serializers.CharField()
    acronym = serializers.CharField()
    billets_authorized = serializers.IntegerField()
    billets_filled = serializers.IntegerField()
    filled_qualified = serializers.IntegerField()
    gaps = serializers.IntegerField()
    vacant = serializers.IntegerField()
    expiring_90_days = serializers.IntegerField()
    billets_without_requirement = serializers.IntegerField()


class BilletFillRowSerializer(serializers.Serializer):
    """One billet in force and who owes its qualified holder (Encl. 2, 8.j; the billets export's columns)."""

    command = serializers.CharField()
    acronym = serializers.CharField(help_text="The SCO's acronym.")
    position = serializers.CharField()
    grade = serializers.CharField()
    service = serializers.CharField()
    military_department = serializers.CharField(help_text="Who provides the holder: DA, DON, DAF, or words for a "
                                                          "civilian or locally employed billet.")
    billets_authorized = serializers.IntegerField()
    billets_filled = serializers.IntegerField()
    filled_qualified = serializers.IntegerField()
    vacant = serializers.IntegerField()
    unqualified = serializers.IntegerField()
    owed = serializers.IntegerField(help_text="billets_authorized minus filled_qualified.")


class WorkforceReadinessReportSerializer(serializers.ModelSerializer):
    owner = AcronymField(read_only=True)
    rel_to = CountryCodeField(many=True, read_only=True)
    created_by = nullable(UsernameField)
    rows = ReadinessRowSerializer(many=True, read_only=True, help_text="Readiness by SCO, as of submission.")

    class Meta:
        model = WorkforceReadinessReport
        fields = ["id", "title", "owner", "state", "period_start", "period_end", "assessment", "as_of", "rows",
                  "classification", "noforn", "rel_to", "return_reason", "decision_note", "created_by",
                  "created_at", "submitted_at", "decided_at"]
        read_only_fields = fields


class WorkforceReadinessReportWriteSerializer(serializers.Serializer):
    """What DSCA types; ``workforce.services.report_write`` applies every rule."""

    title = serializers.CharField(max_length=300, required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    assessment = serializers.CharField(required=False, allow_blank=True)
    classification = serializers.ChoiceField(choices=WorkforceReadinessReport._meta.get_field("classification").choices,
                                             required=False)
    noforn = serializers.BooleanField(required=False)


# --- My work -------------------------------------------------------------------------------

class MyWorkQuerySerializer(serializers.Serializer):
    """The query of ``GET /api/v1/my-work/``: each parameter optional, a bad value a 400 naming it."""

    kind = serializers.ChoiceField(choices=(), required=False,
                                   help_text="A kind of document (its workflow kind, e.g. campaign_plan).")
    organization = serializers.CharField(required=False, max_length=50,
                                         help_text="The acronym of an organization you act for.")
    due = serializers.ChoiceField(choices=(), required=False, help_text="overdue, due_soon, on_track or none.")
    sort = serializers.ChoiceField(choices=(), required=False, default="due",
                                   help_text="due (soonest first, the default), -due, document or organization.")
    page = serializers.IntegerField(required=False, min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)

    def __init__(self, *args, **kwargs):
        from workflow.inbox import DUE_STATES, SORTS, work_kinds

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [kind for kind, _label in work_kinds()]
        self.fields["due"].choices = list(DUE_STATES)
        self.fields["sort"].choices = list(SORTS)

    def validate_organization(self, value: str):  # (a null character is refused by the field itself)
        organization = Organization.objects.filter(acronym=value).first()
        if organization is None:
            raise serializers.ValidationError(f"There is no organization “{value[:50]}”.")
        return organization


class MyWorkItemSerializer(serializers.Serializer):
    what = serializers.ChoiceField(choices=["answer", "adjudicate", "decide"],
                                   help_text="answer: an open tasker of yours; adjudicate: comments waiting for "
                                             "your adjudication; decide: a step the engine lets you take now.")
    kind = serializers.CharField(help_text="The document's workflow kind (campaign_plan...).")
    kind_label = serializers.CharField()
    document = serializers.SerializerMethodField()
    title = serializers.CharField()
    step = serializers.CharField(help_text="The tasker's step, or the document's state for a decision.")
    actions = serializers.ListField(child=serializers.CharField(),
                                    help_text="What you may do now, in the admin's words.")
    organization = serializers.CharField(help_text="The organization you act for on it (an acronym).")
    organization_label = serializers.CharField(
        help_text="The organization by today's name, the directive's beside it where it changed "
                  "(“USD(A&S), formerly USD(AT&L)”).")
    due = serializers.DateField(allow_null=True, help_text="The suspense, if there is one.")
    due_state = serializers.CharField(help_text="overdue, due_soon, on_track or none.")
    due_words = serializers.CharField(help_text="e.g. “Overdue 3 days”, “Due in 2 working days”.")
    tasker = serializers.IntegerField(source="tasker_id", allow_null=True,
                                      help_text="The tasker's id (/api/v1/taskers/{id}/), for an answer.")
    page_url = serializers.SerializerMethodField(help_text="The document's page in the admin, decision first.")

    @extend_schema_field(DocumentRefSerializer)
    def get_document(self, item) -> dict:
        return {"type": resource_of(item.content_type_id), "id": item.document_id}

    def get_page_url(self, item) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(item.url) if request is not None and item.url else item.url


class MyWorkSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Items matching the filters, on every page, counted up to five "
                                               "pages past this one: see count_exact.")
    count_exact = serializers.BooleanField(help_text="False when there are more items than count (ask for a later "
                                                     "page to count further).")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = MyWorkItemSerializer(many=True)
