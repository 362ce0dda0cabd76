"""/api/schema/ (OpenAPI 3), /api/docs/ (Swagger UI), /api/v1/... (the resources)."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("countries", views.CountryViewSet, basename="country")
router.register("gef", views.GEFViewSet, basename="gef")
router.register("campaign-plans", views.CampaignPlanViewSet, basename="campaign-plan")
router.register("campaign-support-plans", views.CampaignSupportPlanViewSet, basename="campaign-support-plan")
router.register("taskers", views.TaskerViewSet, basename="tasker")
router.register("comments", views.CommentViewSet, basename="comment")
router.register("assessment-cycles", views.AssessmentCycleViewSet, basename="assessment-cycle")
router.register("assessment-templates", views.TemplateViewSet, basename="assessment-template")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("program-assessments", views.ProgramAssessmentViewSet, basename="program-assessment")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("manpower-change-requests", views.ManpowerChangeRequestViewSet, basename="manpower-change-request")
router.register("materiel-diversion-requests", views.MaterielDiversionRequestViewSet,
                basename="materiel-diversion-request")
router.register("force-activity-designators", views.FADAssignmentViewSet, basename="force-activity-designator")
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("initiative-evaluations", views.InitiativeEvaluationViewSet, basename="initiative-evaluation")
router.register("workforce-readiness-reports", views.WorkforceReadinessReportViewSet,
                basename="workforce-readiness-report")
router.register("personnel-records", views.PersonnelRecordViewSet, basename="personnel-record")
router.register("billet-requirements", views.BilletRequirementViewSet, basename="billet-requirement")

app_name = "api"
urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("problems/", views.ProblemTypeListView.as_view(), name="problem-types"),
    path("problems/<slug:slug>/", views.ProblemTypeView.as_view(), name="problem-type"),
    path("v1/", views.IndexView.as_view(), name="index"),
    path("v1/me/", views.MeView.as_view(), name="me"),
    path("v1/notification-preferences/", views.NotificationPreferencesView.as_view(), name="notification-preferences"),
    path("v1/my-work/", views.MyWorkView.as_view(), name="my-work"),
    path("v1/workforce-readiness/", views.WorkforceReadinessView.as_view(), name="workforce-readiness"),
    path("v1/workforce-readiness/billets/", views.WorkforceBilletFillsView.as_view(), name="workforce-billet-fills"),
    path("v1/", include(router.urls)),
    # Anything else under /api/ is a 404 in the API's own format, not Django's HTML page: whatever
    # its characters (``.`` alone stops at a newline, which left such paths to Django's HTML 404).
    re_path(r"^[\s\S]*$", views.not_found),
]
