"""Thin views over the services the admin calls. A view finds the object through a need-to-know
selector (what the user may not see is a 404), hands the input to a service, and shows the
result; refusals are translated once, in ``api.problems``."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments import services as assessment_services
from assessments.models import Assessment, AssessmentCycle, ProgramAssessment, Question, Template
from assessments.selectors import answer_sheet
from initiatives import services as initiative_services
from initiatives.models import Indicator, Initiative, InitiativeEvaluation
from manpower import services as manpower_services
from manpower.models import ManpowerChangeRequest
from materiel import services as materiel_services
from materiel.models import MaterielDiversionRequest
from organizations import services as organization_services
from organizations.models import AreaOfResponsibility, Country, FADAssignment, Organization
from organizations.selectors import delegations_active, memberships_active
from planning import services as planning_services
from planning.models import (
    CampaignPlan,
    CampaignSupportPlan,
    GEFGuidance,
    Objective,
    Plan,
    PlanActivity,
    PlanAnnex,
    PlanSection,
)
from planning.selectors import plan_search
from security.models import SecurityProfile
from workflow import services as workflow_services
from workflow.exceptions import InvalidInput, NotPermitted, WorkflowError
from workflow.models import Comment as WorkflowComment
from workflow.models import Tasker
from workflow.registry import rows_visible_to
from workflow.selectors import history_of
from workforce import services as workforce_services
from workforce.models import WorkforceReadinessReport

from . import filters, serializers
from .documents import visible_to
from .idempotency import IdempotentPostMixin
from .problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES
from .query import StrictQueryMixin

NO_NUL = r"[^/\x00]+"
# A document's id in its address: ASCII digits only. The router's default ([^/.]+) let through what
# Python's int() forgives (a trailing newline, spaces, a sign, other scripts' digits), so
# "/campaign-plans/7%0A/" answered as plan 7.
ID = r"[0-9]+"


class ProblemsAsJSON:
    """An error of a view that answers in another format (the schema's YAML, the docs' HTML) is
    still problem+json with a JSON body, as everywhere else in the API."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), PROBLEM_CONTENT_TYPE
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(ProblemsAsJSON, SpectacularAPIView):
    """The OpenAPI description: public, like the docs (it holds the API's shape, no data)."""


class DocsView(ProblemsAsJSON, SpectacularSwaggerSplitView):
    """Swagger UI, served from this site; public (its *Authorize* button takes a token)."""


@extend_schema(exclude=True)
class ProblemTypeView(StrictQueryMixin, APIView):
    """What a problem ``type`` means, for a person following the link: public, so that a client
    that was refused (e.g. a 401) can read what the refusal means."""

    permission_classes = [AllowAny]

    def get(self, request, slug):
        problem = PROBLEM_TYPES.get(slug)
        if problem is None:
            raise NotFound(f"There is no problem type {slug!r}.")
        return Response(_problem_type(problem))


def _problem_type(problem) -> dict:
    return {"type": problem.uri, "title": problem.title, "status": problem.status,
            "description": problem.description}


@extend_schema(exclude=True)
class ProblemTypeListView(StrictQueryMixin, APIView):
    """Every problem type the API answers with. Public."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response([_problem_type(problem) for problem in PROBLEM_TYPES.values()])


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def not_found(request, *args, **kwargs):
    raise NotFound("There is no such resource in the API.")


# The collections of /api/v1/, in the order the index lists them (router basename).
COLLECTIONS = ("my-work", "organizations", "countries", "gef", "campaign-plans", "campaign-support-plans", "taskers",
               "comments", "assessment-cycles", "assessment-templates", "assessments", "program-assessments",
               "notifications")


class IndexView(StrictQueryMixin, APIView):
    """Where everything is: each collection, the signed-in user (``me``), the docs, the schema and
    the problem types. Public: it shows addresses only."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Links to every collection, me, the docs and the schema",
                   responses=inline_serializer("ApiIndex", {
                       "collections": drf_serializers.DictField(child=drf_serializers.CharField()),
                       "me": drf_serializers.CharField(), "docs": drf_serializers.CharField(),
                       "schema": drf_serializers.CharField(), "problems": drf_serializers.CharField()}))
    def get(self, request):
        link = request.build_absolute_uri
        return Response({
            "collections": {name: link(f"{reverse('api:index')}{name}/") for name in COLLECTIONS},
            "me": link(reverse("api:me")), "docs": link(reverse("api:docs")), "schema": link(reverse("api:schema")),
            "problems": link(reverse("api:problem-types")),
        })


class MyWorkView(StrictQueryMixin, APIView):
    """The signed-in person's My work, as the admin's page shows it (``workflow.inbox.my_work``,
    the same computation): every open tasker of theirs and every step the engine lets them take
    now, on documents they may see; filtered, sorted, a page at a time."""

    query_parameters = ("kind", "organization", "due", "sort", "page", "page_size")

    @extend_schema(summary="My work: your open taskers and the steps you may take now",
                   parameters=[serializers.MyWorkQuerySerializer], responses=serializers.MyWorkSerializer)
    def get(self, request):
        from urllib.parse import urlencode

        from workflow.inbox import my_work

        query = serializers.MyWorkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chosen = query.validated_data
        organization = chosen.get("organization")
        work = my_work(request.user, kind=chosen.get("kind"), organization=organization.pk if organization else None,
                       due=chosen.get("due"), sort=chosen["sort"], page=chosen["page"], per_page=chosen["page_size"])

        def link(page: int) -> str:
            params = dict(request.query_params.items())
            params["page"] = str(page)
            return request.build_absolute_uri(f"{request.path}?{urlencode(params)}")

        return Response(serializers.MyWorkSerializer({
            "count": work.count, "count_exact": work.count_exact, "page": work.page, "pages": work.pages,
            "next": link(work.page + 1) if work.page < work.pages else None,
            "previous": link(work.page - 1) if work.page > 1 else None,
            "results": work.items,
        }, context={"request": request}).data)


class MeView(StrictQueryMixin, APIView):
    """Who the token (or session) acts for: the user, their current memberships, the delegations
    active today that they received or gave, and the clearance and nationality of their security
    profile (null without one)."""

    @extend_schema(summary="The user the credentials act for, with memberships, delegations, clearance and "
                           "nationality", responses=serializers.MeSerializer)
    def get(self, request):
        user = request.user
        profile = SecurityProfile.objects.filter(user=user).first()
        delegations = delegations_active().select_related("organization", "delegator", "delegate").order_by(
            "organization__acronym", "role", "pk")
        return Response(serializers.MeSerializer({
            "username": user.get_username(), "is_superuser": user.is_superuser,
            "clearance": profile.clearance if profile is not None else None,
            "nationality": profile.citizenship.code if profile is not None else None,
            "memberships": memberships_active().filter(user=user).select_related("organization").order_by(
                "organization__acronym", "role"),
            "delegations": {"received": delegations.filter(delegate=user), "given": delegations.filter(delegator=user)},
        }).data)


class OrganizationViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Organizations (who): combatant commands, Components, OSD, the Joint Staff. Looked up by acronym."""

    queryset = Organization.objects.select_related("parent", "supervised_by")
    serializer_class = serializers.OrganizationSerializer
    filterset_class = filters.OrganizationFilter
    search_fields = ["acronym", "name", "current_acronym", "current_name"]
    lookup_field = "acronym"
    lookup_value_regex = NO_NUL
    cursor_ordering = "acronym"

    def get_object(self):
        # An acronym is unique among active organizations; an inactive one may share it.
        organization = self.get_queryset().filter(acronym=self.kwargs["acronym"]).order_by("-active", "-pk").first()
        if organization is None:
            raise NotFound(f"No organization has the acronym {self.kwargs['acronym']!r}.")
        return organization


class CountryViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Countries by ISO 3166-1 alpha-2 code, with the commands whose area of responsibility covered them."""

    queryset = Country.objects.prefetch_related(
        Prefetch("aor_periods", queryset=AreaOfResponsibility.objects.select_related("command")))
    serializer_class = serializers.CountrySerializer
    filterset_class = filters.CountryFilter
    search_fields = ["code"]
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z]{2}"
    cursor_ordering = "code"

    def get_object(self):
        country = self.get_queryset().filter(code=self.kwargs["code"].upper()).first()
        if country is None:
            raise NotFound(f"No country has the code {self.kwargs['code']!r}.")
        return country


class GEFViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """The Guidance for Employment of the Force issuances, with their end states."""

    lookup_value_regex = ID
    queryset = GEFGuidance.objects.prefetch_related("end_states")
    serializer_class = serializers.GEFSerializer
    filterset_class = filters.GEFFilter
    search_fields = ["title", "end_states__title"]


# --- routed documents ----------------------------------------------------------------------

def workflow_schema(read_serializer, model):
    """The OpenAPI description of a document resource's workflow endpoints."""
    names = [rules.name for rules, _sources in workflow_services.declared_transitions(model) if not rules.system_only]
    return extend_schema_view(
        transitions=extend_schema(
            summary="Every transition, whether you may make it now and, if not, why",
            responses=serializers.TransitionOptionSerializer(many=True)),
        transition=extend_schema(
            summary="Make a transition; returns the updated document",
            request=serializers.TransitionInputSerializer, responses=read_serializer,
            parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=names)]),
        history=extend_schema(summary="What happened to the document, oldest first",
                              responses=serializers.HistoryEntrySerializer(many=True)),
    )


class WrittenThroughServiceMixin(mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Create (POST) and change (PATCH) a document through its kind's service (the viewset's
    ``_write(request, document=None)``), answering with the stored document as the reader sees it.
    What is typed is ``write_serializer_class``'s (all of it on POST, what is sent on PATCH); what
    is read, ``read_serializer_class``'s."""

    write_serializer_class = None

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return self.write_serializer_class
        return self.read_serializer_class

    def _given(self, request, document=None) -> dict:
        """What ``request`` typed, checked for form by the write serializer (a 400 naming each
        field otherwise); the service checks the rest."""
        given = self.write_serializer_class(data=request.data, partial=document is not None)
        given.is_valid(raise_exception=True)
        return dict(given.validated_data)

    def _write(self, request, document=None):
        raise NotImplementedError

    def _written(self, saved, document=None):
        return Response(self.read_serializer_class(self.get_queryset().get(pk=saved.pk),
                                                   context=self.get_serializer_context()).data,
                        status=status.HTTP_200_OK if document is not None else status.HTTP_201_CREATED)

    def create(self, request, *args, **kwargs):
        return self._write(request)

    def update(self, request, *args, **kwargs):
        return self._write(request, self.get_object())


class RoutedDocumentViewSet(StrictQueryMixin, IdempotentPostMixin, viewsets.GenericViewSet):
    """The workflow endpoints every document has: transitions (with reasons) and history."""

    lookup_value_regex = ID
    read_serializer_class = None

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def transitions(self, request, pk=None):
        document = self.get_object()
        options = workflow_services.transitions_available(document=document, user=request.user)
        return Response(serializers.TransitionOptionSerializer(options, many=True).data)

    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/\x00]+)", filter_backends=[])
    def transition(self, request, pk=None, name=None):
        document = self.get_object()
        workflow_services.transition_rules(type(document), name)  # an unknown name is a 404, before the input
        given = serializers.TransitionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        data = {key: values[key] for key in ("suspense", "suspense_reason", "outstanding_confirmed")
                if values.get(key) not in (None, "")}
        document = workflow_services.transition_perform(
            document=document, name=name, by=request.user, comment=values["comment"],
            expected_state=values.get("expected_state"), data=data)
        return Response(self.read_serializer_class(self.get_queryset().get(pk=document.pk), context=self.get_serializer_context()).data)

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        document = self.get_object()
        return Response(serializers.HistoryEntrySerializer(history_of(document), many=True).data)


class PlanFullTextSearch(SearchFilter):
    """``?search=``: full-text search over titles, summaries, sections, annex titles and comments
    (``planning.selectors.plan_search``), within the plans the user may see."""

    def filter_queryset(self, request, queryset, view):
        text = request.query_params.get(self.search_param, "")
        if "\x00" in text:
            raise ValidationError({self.search_param: ["Null characters are not allowed."]})
        return plan_search(queryset, text) if text.strip() else queryset


class PlanViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, RoutedDocumentViewSet,
                  viewsets.ReadOnlyModelViewSet):
    """Plans the user may see (owned, tasked, or reviewing authority). Created and edited while a
    draft, by the owner's action officers, through the plan services."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    model = None
    create_serializer_class = update_serializer_class = None
    search_fields = ["title", "summary", "sections", "comments"]  # what ``PlanFullTextSearch`` reads
    filter_backends = [DjangoFilterBackend, PlanFullTextSearch]

    def get_queryset(self):
        return visible_to(self.request.user, self.resource).select_related("owner", "created_by", "route").prefetch_related(
            "partner_considerations__country", "partner_considerations__override_accepted_by",
            "partner_considerations__override_accepted_for", "complementary_activities__country",
            "programs_used__organization", Prefetch("annexes", queryset=PlanAnnex.objects.prefetch_related("rel_to")),
            "rel_to", "cui_categories", "dissemination_controls", "route__steps",
            Prefetch("objectives", queryset=Objective.objects.prefetch_related(
                "end_states", "rel_to", Prefetch("activities", queryset=PlanActivity.objects.select_related(
                    "partner", "program").prefetch_related("rel_to")))),
            Prefetch("sections", queryset=PlanSection.objects.prefetch_related("rel_to")),
            *self.prefetch,
        )

    def get_serializer_class(self):
        if self.action == "create":
            return self.create_serializer_class
        if self.action in ("update", "partial_update"):
            return self.update_serializer_class
        return self.read_serializer_class

    def _answer(self, plan, status_code=status.HTTP_200_OK):
        return Response(self.read_serializer_class(self.get_queryset().get(pk=plan.pk), context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._answer(given.save(), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        given = self.get_serializer(self.get_object(), data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        return self._answer(given.save())

    @extend_schema(request=None, responses=None,
                   summary="The reviewing authority accepts a partner's overriding military considerations (4.b)")
    @action(detail=True, methods=["post"], url_path=r"partners/(?P<partner_id>[0-9]+)/accept-override",
            filter_backends=[])
    def accept_override(self, request, pk=None, partner_id=None):
        plan = self.get_object()
        partner = plan.partner_considerations.filter(pk=partner_id).first()
        if partner is None:
            raise NotFound("No such partner consideration on this plan.")
        planning_services.partner_override_accept(partner=partner, by=request.user)
        return self._answer(plan)

    @extend_schema(request={"multipart/form-data": serializers.AnnexInputSerializer},
                   responses={201: serializers.PlanAnnexSerializer},
                   summary="Attach a file as an annex to a draft (type read from the content, size-limited, "
                           "scanned where a scanner is configured)")
    @action(detail=True, methods=["post"], url_path="annexes", filter_backends=[],
            parser_classes=[MultiPartParser])
    def annexes(self, request, pk=None):
        plan = self.get_object()
        given = serializers.AnnexInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        annex = planning_services.annex_attach(plan=plan, by=request.user, letter=values["letter"],
                                               title=values["title"], upload=values["file"],
                                               classification=values["classification"], noforn=values["noforn"])
        return Response(serializers.PlanAnnexSerializer(annex, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes},
                   summary="Read an annex's file (audited); 404 to whoever may not")
    @action(detail=True, methods=["get"], url_path=r"annexes/(?P<annex_id>[0-9]+)/file", filter_backends=[],
            pagination_class=None, url_name="annex-file")
    def annex_file(self, request, pk=None, annex_id=None):
        plan = self.get_object()
        annex = PlanAnnex.objects.filter(plan=plan.plan_ptr_id, pk=annex_id).first()
        if annex is None:
            raise NotFound("No such annex on this plan.")
        try:
            handle = planning_services.annex_open(annex=annex, by=request.user)
        except NotPermitted as error:
            raise NotFound("No such annex on this plan.") from error
        return FileResponse(handle, as_attachment=True, filename=annex.original_name,
                            content_type=annex.content_type)

    @action(detail=True, methods=["post"], url_path="route-option", filter_backends=[])
    def route_option(self, request, pk=None):
        """``plan_route_option_set``: the office that owns the kind's procedure sends a draft by
        another route of its kind (a higher approval, with its citation), or back to the default
        (``route: null``). 403 to anyone else, before the input is read; nothing saved on a refusal."""
        plan = self.get_object()
        refusal = planning_services.plan_route_option_refusal(plan=plan, by=request.user)
        if refusal is not None:
            raise refusal
        given = serializers.RouteOptionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        plan = planning_services.plan_route_option_set(plan=plan, by=request.user, route=given.validated_data["route"])
        return self._answer(plan)

    @action(detail=True, methods=["post"], url_path="new-version", filter_backends=[])
    def new_version(self, request, pk=None):
        """``plan_new_version``: a new draft from a returned or approved version, by the owner's
        action officers; 201 with the new version and its address in ``Location``."""
        plan = planning_services.plan_new_version(plan=self.get_object(), by=request.user)
        response = self._answer(plan, status.HTTP_201_CREATED)
        response["Location"] = reverse(f"api:{self.basename}-detail", args=[plan.pk])
        return response


@extend_schema_view(create=extend_schema(responses={201: serializers.CampaignPlanSerializer}),
                    partial_update=extend_schema(responses=serializers.CampaignPlanSerializer),
                    route_option=extend_schema(
                        request=serializers.RouteOptionInputSerializer, responses={200: serializers.CampaignPlanSerializer},
                        summary="Choose the draft's route option (a higher approval, with its citation), or the "
                                "default route: the office that owns the procedure only"),
                    new_version=extend_schema(
                        request=None, responses={201: serializers.CampaignPlanSerializer},
                        summary="Start a new draft version of a returned or approved plan (owner's action "
                                "officers); the earlier version stays as it is"))
@workflow_schema(serializers.CampaignPlanSerializer, CampaignPlan)
class CampaignPlanViewSet(PlanViewSet):
    model = CampaignPlan
    resource = "campaign-plans"
    prefetch = ("supporting_organizations",)
    read_serializer_class = serializers.CampaignPlanSerializer
    create_serializer_class = serializers.CampaignPlanCreateSerializer
    update_serializer_class = serializers.CampaignPlanUpdateSerializer
    filterset_class = filters.CampaignPlanFilter


@extend_schema_view(create=extend_schema(responses={201: serializers.CampaignSupportPlanSerializer}),
                    partial_update=extend_schema(responses=serializers.CampaignSupportPlanSerializer),
                    route_option=extend_schema(
                        request=serializers.RouteOptionInputSerializer, responses={200: serializers.CampaignSupportPlanSerializer},
                        summary="Choose the draft's route option (a higher approval, with its citation), or the "
                                "default route: the office that owns the procedure only"),
                    new_version=extend_schema(
                        request=None, responses={201: serializers.CampaignSupportPlanSerializer},
                        summary="Start a new draft version of a returned or approved plan (owner's action "
                                "officers); the earlier version stays as it is"))
@workflow_schema(serializers.CampaignSupportPlanSerializer, CampaignSupportPlan)
class CampaignSupportPlanViewSet(PlanViewSet):
    model = CampaignSupportPlan
    resource = "campaign-support-plans"
    prefetch = ("supported_plans",)
    read_serializer_class = serializers.CampaignSupportPlanSerializer
    create_serializer_class = serializers.CampaignSupportPlanCreateSerializer
    update_serializer_class = serializers.CampaignSupportPlanUpdateSerializer
    filterset_class = filters.CampaignSupportPlanFilter


# --- taskers and comments ------------------------------------------------------------------

class TaskerViewSet(StrictQueryMixin, IdempotentPostMixin, viewsets.ReadOnlyModelViewSet):
    """Taskers on documents the user may see; ``assigned_to_me=true`` is 'my taskers'."""

    lookup_value_regex = ID
    serializer_class = serializers.TaskerSerializer
    filterset_class = filters.TaskerFilter
    search_fields = ["document_title", "organization__acronym"]
    cursor_ordering = ("suspense", "id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, maybe no tables
            return Tasker.objects.none()
        return rows_visible_to(self.request.user, Tasker).select_related(
            "organization", "assignee", "answered_by", "answered_on_behalf_of", "acknowledged_by")

    @extend_schema(request=serializers.TaskerResponseInputSerializer, responses=serializers.TaskerSerializer,
                   summary="Answer the tasker (concur, concur with comment, non-concur) with comments")
    @action(detail=True, methods=["post"], filter_backends=[])
    def respond(self, request, pk=None):
        tasker = self.get_object()
        given = serializers.TaskerResponseInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        tasker = workflow_services.tasker_respond(
            tasker=tasker, by=request.user, response=values["response"], rationale=values["rationale"],
            comments=[dict(c) for c in values["comments"]])
        return Response(self.get_serializer(self.get_queryset().get(pk=tasker.pk)).data)

    @extend_schema(request=None, responses=serializers.TaskerSerializer,
                   summary="Record that the organization has received the tasker")
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request, pk=None):
        tasker = workflow_services.tasker_acknowledge(tasker=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=tasker.pk)).data)


    def _managed(self, tasker):
        return Response(self.get_serializer(self.get_queryset().get(pk=tasker.pk)).data)

    @extend_schema(request=serializers.TaskerReassignInputSerializer, responses=serializers.TaskerSerializer,
                   summary="Re-assign the tasker to a reviewer or approver of the same organization (any member of "
                           "the tasked organization)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def reassign(self, request, pk=None):
        tasker = self.get_object()
        given = serializers.TaskerReassignInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._managed(workflow_services.tasker_reassign(tasker=tasker, by=request.user,
                                                               assignee=given.validated_data["assignee"]))

    @extend_schema(request=serializers.TaskerReasonInputSerializer, responses=serializers.TaskerSerializer,
                   summary="Return the tasker to the owner as misrouted, with a reason (a reviewer or approver of the "
                           "tasked organization)")
    @action(detail=True, methods=["post"], url_path="return-misrouted", filter_backends=[])
    def return_misrouted(self, request, pk=None):
        tasker = self.get_object()
        given = serializers.TaskerReasonInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._managed(workflow_services.tasker_return_misrouted(tasker=tasker, by=request.user,
                                                                       reason=given.validated_data["reason"]))

    @extend_schema(request=serializers.TaskerReasonInputSerializer, responses=serializers.TaskerSerializer,
                   summary="Remove the tasked organization from the route (a seam command, say), with a reason "
                           "(an action officer or approver of the owner)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def remove(self, request, pk=None):
        tasker = self.get_object()
        given = serializers.TaskerReasonInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._managed(workflow_services.tasker_remove(tasker=tasker, by=request.user,
                                                             reason=given.validated_data["reason"]))

    @extend_schema(request=serializers.TaskerSuspenseInputSerializer, responses=serializers.TaskerSerializer,
                   summary="Move the tasker's suspense, with a reason; the assignee is told (an action officer or "
                           "approver of the owner)")
    @action(detail=True, methods=["post"], url_path="change-suspense", filter_backends=[])
    def change_suspense(self, request, pk=None):
        tasker = self.get_object()
        given = serializers.TaskerSuspenseInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._managed(workflow_services.tasker_change_suspense(tasker=tasker, by=request.user,
                                                                      **given.validated_data))


class CommentViewSet(StrictQueryMixin, IdempotentPostMixin, viewsets.ReadOnlyModelViewSet):
    """The comment resolution matrix rows of documents the user may see."""

    lookup_value_regex = ID
    serializer_class = serializers.CommentSerializer
    filterset_class = filters.CommentFilter
    search_fields = ["text", "section", "proposed_change"]
    cursor_ordering = "id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, maybe no tables
            return WorkflowComment.objects.none()
        return rows_visible_to(self.request.user, WorkflowComment).select_related(
            "organization", "author", "adjudicated_by", "commenter_agreed_by", "tasker")

    @extend_schema(request=serializers.AdjudicationInputSerializer, responses=serializers.CommentSerializer,
                   summary="The owner's adjudication: accepted, partially accepted or rejected")
    @action(detail=True, methods=["post"], filter_backends=[])
    def adjudicate(self, request, pk=None):
        comment = self.get_object()
        given = serializers.AdjudicationInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        comment = workflow_services.comment_adjudicate(comment=comment, by=request.user, **given.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=comment.pk)).data)

    @extend_schema(request=None, responses=serializers.CommentSerializer,
                   summary="The commenting organization agrees with the adjudication of its comment (a coordinator "
                           "of that organization)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def agree(self, request, pk=None):
        comment = workflow_services.comment_agree(comment=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=comment.pk)).data)


# --- assessments ---------------------------------------------------------------------------

@extend_schema_view(create=extend_schema(request=serializers.AssessmentCycleCreateSerializer,
                                         responses={201: serializers.AssessmentCycleSerializer}))
@workflow_schema(serializers.AssessmentCycleSerializer, AssessmentCycle)
class AssessmentCycleViewSet(mixins.CreateModelMixin, RoutedDocumentViewSet, viewsets.ReadOnlyModelViewSet):
    """Assessment cycles: set up by their administrators (``cycle_create``), moved through their phases."""

    read_serializer_class = serializer_class = serializers.AssessmentCycleSerializer
    filterset_fields = ["state", "fiscal_year"]
    cursor_ordering = "-fiscal_year"

    def get_queryset(self):
        return visible_to(self.request.user, "assessment-cycles").select_related(
            "owner", "policy_office", "program_coordinator", "created_by")

    def create(self, request, *args, **kwargs):
        given = serializers.AssessmentCycleCreateSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        cycle = given.save()
        return Response(self.read_serializer_class(self.get_queryset().get(pk=cycle.pk), context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


@workflow_schema(serializers.TemplateSerializer, Template)
class TemplateViewSet(RoutedDocumentViewSet, viewsets.ReadOnlyModelViewSet):
    """The cycles' assessment templates (the Joint Staff's, USD(P) consulted): read, moved through
    their workflow; USD(P)'s consultation is a tasker (``/taskers/``), answered like any other."""

    read_serializer_class = serializer_class = serializers.TemplateSerializer
    filterset_fields = ["cycle", "state"]
    cursor_ordering = "-id"

    def get_queryset(self):
        return visible_to(self.request.user, "assessment-templates").select_related("owner")


class _AssessmentViewSet(mixins.UpdateModelMixin, RoutedDocumentViewSet, viewsets.ReadOnlyModelViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["cycle", "state"]
    search_fields = ["title", "owner__acronym"]

    def get_queryset(self):
        return visible_to(self.request.user, self.resource).select_related("owner", "cycle")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return serializers.AssessmentUpdateSerializer
        return self.read_serializer_class

    def update(self, request, *args, **kwargs):
        given = self.get_serializer(self.get_object(), data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        document = given.save()
        return Response(self.read_serializer_class(self.get_queryset().get(pk=document.pk), context=self.get_serializer_context()).data)

    def _answer_sheet(self, document) -> dict:
        try:
            assessment_services.answers_edit_check(document=document, by=self.request.user)
            editable, reasons = True, []
        except WorkflowError as exc:
            editable, reasons = False, exc.reasons
        rows = []
        for row in answer_sheet(document):
            question, objective, answer = row["question"], row["objective"], row["answer"]
            rows.append({
                "question": question.pk, "section": question.section.title, "question_text": question.text,
                "guidance": question.guidance, "question_kind": question.kind, "scale": list(question.scale or []),
                "required": question.required, "objective": getattr(objective, "pk", None),
                "objective_code": getattr(objective, "code", None),
                "rating": getattr(answer, "rating", ""), "justification": getattr(answer, "justification", ""),
                "text": getattr(answer, "text", ""),
                "answered_by": answer.answered_by.get_username() if answer and answer.answered_by else None,
                "updated_at": getattr(answer, "updated_at", None),
            })
        return serializers.AnswerSheetSerializer({
            "id": document.pk, "state": document.state, "editable": editable, "reasons": reasons,
            "strategic_environment_changes": document.strategic_environment_changes,
            "recommended_guidance_changes": document.recommended_guidance_changes, "answers": rows}).data

    @extend_schema(methods=["GET"], responses=serializers.AnswerSheetSerializer,
                   summary="Every question of the cycle's template with the current answers, and whether you may "
                           "change them")
    @extend_schema(methods=["POST"], request=serializers.AnswersInputSerializer,
                   responses=serializers.AnswerSheetSerializer,
                   summary="Record or change answers and the assessment's texts, all or nothing (owner's action "
                           "officers and approvers, as a draft from assignment until submitted, and once returned)")
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def answers(self, request, pk=None):
        document = self.get_object()
        if request.method == "POST":
            given = serializers.AnswersInputSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            values = given.validated_data
            answers, errors = [], {}
            questions = Question.objects.select_related("section").in_bulk(
                [item["question"] for item in values["answers"]])
            objectives = Objective.objects.in_bulk(
                [item["objective"] for item in values["answers"] if item["objective"] is not None])
            for index, item in enumerate(values["answers"]):
                question = questions.get(item["question"])
                objective = objectives.get(item["objective"]) if item["objective"] is not None else None
                if question is None:
                    errors[f"answers[{index}].question"] = [f"There is no question {item['question']}."]
                if item["objective"] is not None and objective is None:
                    errors[f"answers[{index}].objective"] = [f"There is no objective {item['objective']}."]
                answers.append({**item, "question": question, "objective": objective})
            if errors:
                raise InvalidInput([m for ms in errors.values() for m in ms], errors)
            fields = {name: values[name] for name in ("strategic_environment_changes", "recommended_guidance_changes")
                      if name in values}
            document = assessment_services.assessment_answers_save(document=document, by=request.user,
                                                                   answers=answers, **fields)
            document = self.get_queryset().get(pk=document.pk)
        return Response(self._answer_sheet(document))


@extend_schema_view(partial_update=extend_schema(responses=serializers.AssessmentSerializer))
@workflow_schema(serializers.AssessmentSerializer, Assessment)
class AssessmentViewSet(_AssessmentViewSet):
    """Campaign plan and campaign support plan assessments of the cycles you take part in."""

    resource = "assessments"
    read_serializer_class = serializer_class = serializers.AssessmentSerializer

    def get_queryset(self):
        # The plan as its kind, in the same query (the API names it by the kind's reference name).
        return super().get_queryset().select_related(*Plan.kind_paths("plan"))


@extend_schema_view(partial_update=extend_schema(responses=serializers.ProgramAssessmentSerializer))
@workflow_schema(serializers.ProgramAssessmentSerializer, ProgramAssessment)
class ProgramAssessmentViewSet(_AssessmentViewSet):
    """Security cooperation program assessments (USD(P) with the Director, PA&E)."""

    resource = "program-assessments"
    read_serializer_class = serializer_class = serializers.ProgramAssessmentSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("program")


# --- the person's notifications and notification settings (reminders.notices) -----------------

class NotificationViewSet(StrictQueryMixin, IdempotentPostMixin, viewsets.ReadOnlyModelViewSet):
    """The signed-in person's own notifications (reminders, escalations and notices of new work),
    newest first; ``mark-read`` marks some or all of them read."""

    lookup_value_regex = ID
    serializer_class = serializers.NotificationSerializer
    cursor_ordering = ("-created_at", "-id")
    filter_backends: list = []

    def get_queryset(self):
        from reminders.models import Notification
        from reminders.selectors import notifications_of

        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications_of(self.request.user)

    @extend_schema(request=serializers.NotificationsMarkReadInputSerializer,
                   responses=serializers.NotificationsMarkedSerializer,
                   summary="Mark your notifications read (those named, or every unread one)")
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        from reminders.services import notifications_mark_read

        given = serializers.NotificationsMarkReadInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        ids = given.validated_data.get("ids")
        if ids is None:
            ids = self.get_queryset().filter(read_at__isnull=True).values_list("pk", flat=True)
        return Response({"marked_read": notifications_mark_read(user=request.user, notification_ids=ids)})


class NotificationPreferencesView(StrictQueryMixin, APIView):
    """How the signed-in person hears of each kind of notice: ``immediately`` (in the application
    and by e-mail), ``digest`` (in the application now, by e-mail in the daily digest) or ``off``.
    A person's own: nobody else reads or changes them."""

    @extend_schema(summary="Your notification settings, one per kind of notice",
                   responses=serializers.NotificationPreferencesSerializer)
    def get(self, request):
        from reminders.notices import notice_preferences

        return Response({"preferences": notice_preferences(request.user)})

    @extend_schema(summary="Change your notification settings (the kinds named; the others keep theirs)",
                   request=serializers.NotificationPreferencesInputSerializer,
                   responses=serializers.NotificationPreferencesSerializer)
    def put(self, request):
        from reminders.notices import notice_preferences_set

        given = serializers.NotificationPreferencesInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        choices = {item["kind"]: item["delivery"] for item in given.validated_data["preferences"]}
        return Response({"preferences": notice_preferences_set(user=request.user, choices=choices, by=request.user)})


# --- SCO manpower change requests ------------------------------------------------------------

@extend_schema_view(create=extend_schema(request=serializers.ManpowerChangeRequestWriteSerializer,
                                         responses={201: serializers.ManpowerChangeRequestSerializer}),
                    partial_update=extend_schema(request=serializers.ManpowerChangeRequestWriteSerializer,
                                                 responses=serializers.ManpowerChangeRequestSerializer))
@workflow_schema(serializers.ManpowerChangeRequestSerializer, ManpowerChangeRequest)
class ManpowerChangeRequestViewSet(WrittenThroughServiceMixin, RoutedDocumentViewSet,
                                   viewsets.ReadOnlyModelViewSet):
    """SCO manpower change requests the user may see (need-to-know and markings): written by the
    action officers and approvers of the SCO or its command while a draft or returned
    (``manpower.services.request_write``), moved through their route by the offices it names."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.ManpowerChangeRequestSerializer
    filterset_fields = ["state", "change_type"]
    search_fields = ["title"]

    def get_queryset(self):
        return visible_to(self.request.user, "manpower-change-requests").select_related(
            "owner", "sco__organization", "host_country", "supervising_command", "created_by").prefetch_related(
            "billets", "rel_to")

    write_serializer_class = serializers.ManpowerChangeRequestWriteSerializer

    def _write(self, request, document=None):
        values = self._given(request, document)
        billets = values.pop("billets", None)
        sco, country = values.pop("sco", None), values.pop("host_country", None)
        saved = manpower_services.request_write(by=request.user, request=document, sco=sco, host_country=country,
                                                fields=values, billets=billets)
        return self._written(saved, document)


# --- materiel diversion requests and force/activity designators ---------------------------------

@extend_schema_view(create=extend_schema(request=serializers.MaterielDiversionRequestWriteSerializer,
                                         responses={201: serializers.MaterielDiversionRequestSerializer}),
                    partial_update=extend_schema(request=serializers.MaterielDiversionRequestWriteSerializer,
                                                 responses=serializers.MaterielDiversionRequestSerializer))
@workflow_schema(serializers.MaterielDiversionRequestSerializer, MaterielDiversionRequest)
class MaterielDiversionRequestViewSet(WrittenThroughServiceMixin, RoutedDocumentViewSet,
                                      viewsets.ReadOnlyModelViewSet):
    """Materiel diversion requests the user may see (need-to-know and markings): written by the
    action officers and approvers of the requesting combatant command or Military Department while
    a draft or returned (``materiel.services.request_write``), decided by USD(P) after DSCA's
    consultation (and the Chairman's priorities, when DSCA cannot resolve competing needs). Each
    shows its partner's force/activity designator of today."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.MaterielDiversionRequestSerializer
    filterset_fields = ["state", "urgency"]
    search_fields = ["title", "item"]

    def get_queryset(self):
        return visible_to(self.request.user, "materiel-diversion-requests").select_related(
            "owner", "partner", "created_by").prefetch_related("rel_to")

    write_serializer_class = serializers.MaterielDiversionRequestWriteSerializer

    def _write(self, request, document=None):
        values = self._given(request, document)
        owner, partner = values.pop("owner", None), values.pop("partner", None)
        partner_organization = values.pop("partner_organization", materiel_services.KEEP)
        if document is not None and owner is not None and owner.pk != document.owner_id:
            raise InvalidInput("The requesting office is chosen when the request is created.",
                               {"owner": ["The requesting office cannot change."]})
        saved = materiel_services.request_write(by=request.user, request=document, owner=owner, partner=partner,
                                                partner_organization=partner_organization, fields=values)
        return self._written(saved, document)


@extend_schema_view(create=extend_schema(request=serializers.FADAssignmentWriteSerializer,
                                         responses={201: serializers.FADAssignmentSerializer}))
class FADAssignmentViewSet(StrictQueryMixin, IdempotentPostMixin, mixins.CreateModelMixin,
                           viewsets.ReadOnlyModelViewSet):
    """Force/activity designators of partner countries and organizations, with their effective
    dates and rationale, history kept (Encl. 2, 9.f). Everyone who works here reads them; an
    approver of the Chairman's office (the Joint Staff) assigns one
    (``organizations.services.fad_assign``: the partner's current period ends the day the new one
    starts). ``?current=true`` keeps those in force today; ``?country=TR`` one partner's history."""

    lookup_value_regex = ID
    queryset = FADAssignment.objects.select_related("country", "assigned_by", "assigned_for")
    serializer_class = serializers.FADAssignmentSerializer
    filterset_class = filters.FADAssignmentFilter
    search_fields = ["partner_organization", "rationale"]
    cursor_ordering = ("-effective_from", "-id")  # the latest first: a partner's history reads down

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.FADAssignmentWriteSerializer
        return serializers.FADAssignmentSerializer

    def create(self, request, *args, **kwargs):
        given = serializers.FADAssignmentWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        row = organization_services.fad_assign(
            by=request.user, country=values.get("country"), partner_organization=values.get("partner_organization", ""),
            designator=values["designator"], effective_from=values["effective_from"], rationale=values["rationale"])
        return Response(serializers.FADAssignmentSerializer(row, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
# --- security cooperation initiatives and their evaluations ----------------------------------

@extend_schema_view(create=extend_schema(request=serializers.InitiativeWriteSerializer,
                                         responses={201: serializers.InitiativeSerializer}),
                    partial_update=extend_schema(request=serializers.InitiativeWriteSerializer,
                                                 responses=serializers.InitiativeSerializer))
@workflow_schema(serializers.InitiativeSerializer, Initiative)
class InitiativeViewSet(WrittenThroughServiceMixin, RoutedDocumentViewSet,
                        viewsets.ReadOnlyModelViewSet):
    """Security cooperation initiatives the user may see (need-to-know like their campaign plan,
    and markings): written by the owning command's action officers and approvers while a draft or
    returned (``initiatives.services.initiative_write``), approved by the program's administering
    office; once approved, ``POST …/monitoring-entries/`` records a monitoring entry."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.InitiativeSerializer
    filterset_fields = ["state"]
    search_fields = ["title"]

    def get_queryset(self):
        return visible_to(self.request.user, "initiatives").select_related(
            "owner", "partner", "program__administered_by", "created_by").prefetch_related("indicators", "rel_to")

    write_serializer_class = serializers.InitiativeWriteSerializer

    def get_serializer_class(self):
        if self.action == "monitoring_entries":
            return serializers.MonitoringEntryWriteSerializer
        return super().get_serializer_class()

    def _write(self, request, document=None):
        values = self._given(request, document)
        indicators = values.pop("indicators", None)
        objective, partner, program = values.pop("objective", None), values.pop("partner", None), values.pop("program", None)
        if document is not None and any(v is not None for v in (objective, partner, program)):
            raise InvalidInput("The objective, partner and program are chosen when the initiative is created.",
                               {"objective": ["Fixed once created."]})
        saved = initiative_services.initiative_write(by=request.user, initiative=document, objective=objective,
                                                     partner=partner, program=program, fields=values,
                                                     indicators=indicators)
        return self._written(saved, document)

    @extend_schema(request=serializers.MonitoringEntryWriteSerializer,
                   responses={201: serializers.MonitoringEntrySerializer})
    @action(detail=True, methods=["post"], url_path="monitoring-entries", filter_backends=[])
    def monitoring_entries(self, request, pk=None):
        initiative = self.get_object()
        given = serializers.MonitoringEntryWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        indicator = Indicator.objects.filter(pk=values["indicator"]).first()
        if indicator is None:
            raise InvalidInput(f"No indicator has the id {values['indicator']}.", {"indicator": ["No such indicator."]})
        entry = initiative_services.monitoring_record(by=request.user, initiative=initiative, indicator=indicator,
                                                     period_end=values["period_end"], value=values["value"],
                                                     note=values.get("note", ""))
        return Response(serializers.MonitoringEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(request=serializers.InitiativeEvaluationWriteSerializer,
                                         responses={201: serializers.InitiativeEvaluationSerializer}),
                    partial_update=extend_schema(request=serializers.InitiativeEvaluationWriteSerializer,
                                                 responses=serializers.InitiativeEvaluationSerializer))
@workflow_schema(serializers.InitiativeEvaluationSerializer, InitiativeEvaluation)
class InitiativeEvaluationViewSet(WrittenThroughServiceMixin, RoutedDocumentViewSet,
                                  viewsets.ReadOnlyModelViewSet):
    """Evaluations of initiatives the user may see: written by the program's administering office
    (``initiatives.services.evaluation_write``), coordinated with the initiative's command,
    approved by USD(P)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.InitiativeEvaluationSerializer
    filterset_fields = ["state"]
    search_fields = ["title"]

    def get_queryset(self):
        return visible_to(self.request.user, "initiative-evaluations").select_related(
            "owner", "initiative", "created_by").prefetch_related("rel_to")

    write_serializer_class = serializers.InitiativeEvaluationWriteSerializer

    def _write(self, request, document=None):
        values = self._given(request, document)
        initiative_id = values.pop("initiative", None)
        initiative = None
        if document is None and initiative_id is not None:
            initiative = visible_to(request.user, "initiatives").filter(pk=initiative_id).first()
            if initiative is None:
                raise InvalidInput(f"No initiative you may see has the id {initiative_id}.",
                                   {"initiative": ["No such initiative."]})
        saved = initiative_services.evaluation_write(by=request.user, evaluation=document, initiative=initiative,
                                                     fields=values)
        return self._written(saved, document)
# --- the security cooperation workforce -----------------------------------------------------

@extend_schema_view(create=extend_schema(request=serializers.WorkforceReadinessReportWriteSerializer,
                                         responses={201: serializers.WorkforceReadinessReportSerializer}),
                    partial_update=extend_schema(request=serializers.WorkforceReadinessReportWriteSerializer,
                                                 responses=serializers.WorkforceReadinessReportSerializer))
@workflow_schema(serializers.WorkforceReadinessReportSerializer, WorkforceReadinessReport)
class WorkforceReadinessReportViewSet(WrittenThroughServiceMixin, RoutedDocumentViewSet,
                                      viewsets.ReadOnlyModelViewSet):
    """Workforce readiness reports the user may see (DSCA's, USD(P&R)'s; markings): written by
    DSCA while a draft or returned (``workforce.services.report_write``), submitted to USD(P&R)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.WorkforceReadinessReportSerializer
    filterset_fields = ["state"]
    search_fields = ["title"]

    def get_queryset(self):
        return visible_to(self.request.user, "workforce-readiness-reports").select_related(
            "owner", "created_by").prefetch_related("rel_to")

    write_serializer_class = serializers.WorkforceReadinessReportWriteSerializer

    def _write(self, request, document=None):
        saved = workforce_services.report_write(by=request.user, report=document, fields=self._given(request, document))
        return self._written(saved, document)


def _billet_named(user, ref: dict | None, *, scos=None):
    """The billet in force that ``ref`` ({sco, position}) names, among the SCOs ``user`` may read."""
    from workforce.selectors import billet_in_force, scos_readiness_visible_to

    if ref is None:
        return None
    row = billet_in_force(scos if scos is not None else scos_readiness_visible_to(user), sco=ref["sco"],
                          position=ref["position"])
    if row is None:
        raise InvalidInput(f"No billet “{ref['position']}” in force at {ref['sco']} among the SCOs you may read.",
                           {"billet": ["No such billet in force."]})
    return row


WORKFORCE_LISTS = ("qualifications", "languages", "regions")


@extend_schema_view(create=extend_schema(request=serializers.PersonnelRecordWriteSerializer,
                                         responses={201: serializers.PersonnelRecordSerializer}),
                    partial_update=extend_schema(request=serializers.PersonnelRecordWriteSerializer,
                                                 responses=serializers.PersonnelRecordSerializer))
class PersonnelRecordViewSet(WrittenThroughServiceMixin, StrictQueryMixin, IdempotentPostMixin,
                             viewsets.ReadOnlyModelViewSet):
    """Personnel records of the security cooperation workforce: personal data, listed only for
    those with need-to-know (``workforce.selectors.personnel_visible_to``: the owning office, its
    command, USD(P&R), DSCA); anyone else gets an empty list and a 404 for a record. Created and
    changed by the owning office's action officers and approvers with their certifications,
    training, languages and regions, all or nothing (``workforce.services.personnel_write``)."""

    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.PersonnelRecordSerializer
    search_fields = ["identifier"]
    filterset_fields = ["service"]

    def get_queryset(self):
        from workforce.selectors import personnel_visible_to

        return personnel_visible_to(self.request.user).select_related(
            "owner", "supervising_command", "billet__sco__organization").prefetch_related(
            "qualifications", "languages", "regions").order_by("identifier")

    write_serializer_class = serializers.PersonnelRecordWriteSerializer

    def _write(self, request, document=None):
        values = self._given(request, document)
        owner = values.pop("owner", None)
        if document is not None and owner is not None and owner.pk != document.owner_id:
            raise InvalidInput("The office that keeps the record is chosen when it is created.",
                               {"owner": ["The keeping office cannot change."]})
        billet_given = "billet" in values
        billet = _billet_named(request.user, values.pop("billet", None))
        lists = {name: [dict(line) for line in values.pop(name)] if name in values else None
                 for name in WORKFORCE_LISTS}
        saved = workforce_services.personnel_write(by=request.user, record=document, owner=owner, fields=values,
                                                   billet=billet, billet_given=billet_given or document is None,
                                                   **lists)
        return self._written(saved, document)


@extend_schema_view(create=extend_schema(request=serializers.BilletRequirementWriteSerializer,
                                         responses={201: serializers.BilletRequirementSerializer}),
                    partial_update=extend_schema(request=serializers.BilletRequirementWriteSerializer,
                                                 responses=serializers.BilletRequirementSerializer))
class BilletRequirementViewSet(WrittenThroughServiceMixin, StrictQueryMixin, IdempotentPostMixin,
                               viewsets.ReadOnlyModelViewSet):
    """What each SCO billet requires of whoever fills it (certification level, training, language
    at an ILR level, region), read by those who may read the SCO's readiness, set by the action
    officers and approvers of DSCA (Encl. 2, 2.b) or the SCO's supervising command
    (``workforce.services.requirement_set``); never deleted."""

    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_serializer_class = serializer_class = serializers.BilletRequirementSerializer
    search_fields = ["authorization__position", "training", "language"]
    filterset_fields = ["certification_level", "region"]
    cursor_ordering = ("id",)

    def get_queryset(self):
        from workforce.models import BilletRequirement
        from workforce.selectors import scos_readiness_visible_to

        return (BilletRequirement.objects.filter(authorization__sco__in=scos_readiness_visible_to(self.request.user))
                .select_related("authorization__sco__organization"))

    write_serializer_class = serializers.BilletRequirementWriteSerializer

    def _write(self, request, document=None):
        from workforce.models import BilletRequirement

        values = self._given(request, document)
        ref = values.pop("billet", None)
        if document is None:
            if ref is None:
                raise InvalidInput("Name the billet: its SCO's acronym and its position.",
                                   {"billet": ["This field is required."]})
            authorization = _billet_named(request.user, ref)
            existing = BilletRequirement.objects.filter(authorization=authorization).first()
            if existing is not None:
                raise InvalidInput(f"{authorization} has a requirement already (id {existing.pk}): change it "
                                   "with PATCH.", {"billet": ["This billet has a requirement already."]})
            current = {}
        else:
            if ref is not None:
                raise InvalidInput("The billet is chosen when the requirement is created.",
                                   {"billet": ["The billet cannot change."]})
            authorization = document.authorization
            current = {name: getattr(document, name) for name in workforce_services.REQUIREMENT_FIELDS}
        saved = workforce_services.requirement_set(by=request.user, authorization=authorization,
                                                   **{**current, **values})
        return self._written(saved, document)


class WorkforceReadinessView(StrictQueryMixin, APIView):
    """Readiness today of the workforce at each SCO the user may read, by SCO (the readiness
    view's rows; the same columns as its CSV/XLSX export)."""

    query_parameters = ()

    @extend_schema(summary="Workforce readiness by SCO (billets, filled, qualified, gaps, expiring)",
                   responses=serializers.ReadinessRowSerializer(many=True))
    def get(self, request):
        from workforce.selectors import readiness_rows, scos_readiness_visible_to

        rows = readiness_rows(scos_readiness_visible_to(request.user))
        return Response(serializers.ReadinessRowSerializer(rows, many=True).data)


class WorkforceBilletFillsView(StrictQueryMixin, APIView):
    """Each billet in force whose fill the user may read (the SCOs whose readiness they read; for a
    Military Department's staff, every billet their Department provides) with the Department that
    is to provide its holder and the qualified fills owed (Encl. 2, 8.j). Counts only."""

    query_parameters = ()

    @extend_schema(summary="Billets in force and the fills each Military Department owes",
                   responses=serializers.BilletFillRowSerializer(many=True))
    def get(self, request):
        from workforce.selectors import billet_rows, billets_provided_visible_to

        rows = billet_rows(billets_provided_visible_to(request.user))
        return Response(serializers.BilletFillRowSerializer(rows, many=True).data)
