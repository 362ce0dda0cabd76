"""The admin site staff work in: a start page per person, workflow help pages with diagrams,
the DoD consent banner at sign-in, a configurable URL. Wiring: it composes the apps' selectors."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from security.forms import NOTICE_AND_CONSENT, ConsentAuthenticationForm


def _cycle_progress(request) -> dict | None:
    """For administrators: the current assessment cycle, counts by state and late organizations."""
    if not apps.is_installed("assessments"):
        return None
    from assessments.models import Assessment, AssessmentCycle, AssessmentState
    from assessments.rules import may_run_cycle

    if not may_run_cycle(request.user):
        return None
    cycle = AssessmentCycle.objects.exclude(state="closed").order_by("-fiscal_year").first()
    if cycle is None:
        return None
    labels = dict(AssessmentState.choices)
    counts = (Assessment.objects.filter(cycle=cycle).values("state").annotate(n=Count("pk")).order_by())
    late = (Assessment.objects.filter(cycle=cycle, suspense__lt=timezone.localdate(),
                                      state__in=(AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS,
                                                 AssessmentState.RETURNED))
            .values("owner__acronym").annotate(n=Count("pk")).order_by("owner__acronym"))
    return {"cycle": cycle, "states": [{"label": labels.get(r["state"], r["state"]), "count": r["n"]} for r in counts],
            "late": list(late)}


class WorkplaceAdminSite(admin.AdminSite):
    site_header = "Campaign plan workflow"
    site_title = "Campaign plans"
    index_title = "Workplace"
    index_template = "admin/workplace_index.html"
    login_form = ConsentAuthenticationForm
    login_template = "security/login.html"

    def each_context(self, request):
        context = super().each_context(request)
        context["consent_text"] = NOTICE_AND_CONSENT
        return context

    def index(self, request, extra_context=None):
        from organizations.selectors import organizations_acting_for
        from workflow.dashboard import documents_by_state, tasker_lines

        extra_context = extra_context or {}
        if request.user.is_authenticated:
            organizations = list(organizations_acting_for(request.user).values_list("pk", flat=True))
            extra_context["taskers"] = tasker_lines(request.user, organizations=organizations)
            extra_context["documents_by_state"] = documents_by_state(request.user, organizations=organizations)
            extra_context["cycle_progress"] = _cycle_progress(request)
            if apps.is_installed("reminders"):
                from reminders.selectors import notifications_of, notifications_unread_count

                extra_context["notifications"] = list(notifications_of(request.user)[:8])
                extra_context["notifications_unread"] = notifications_unread_count(request.user)
        return super().index(request, extra_context)

    def get_urls(self):
        return [
            path("workflow-help/<str:app_label>/<str:model_name>/", self.admin_view(self.workflow_help),
                 name="workflow_help"),
        ] + super().get_urls()

    def workflow_help(self, request, app_label, model_name):
        """The whole route of one kind of document: its diagram and every transition's rules."""
        from workflow.diagrams import state_diagram_svg
        from workflow.registry import registered_documents
        from workflow.services import declared_transitions

        model = next((m for m in registered_documents()
                      if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)), None)
        if model is None:
            raise Http404
        labels = dict(model._meta.get_field("state").choices)
        transitions = []
        for rules, sources in declared_transitions(model):
            target = next(t.target for t in model._meta.get_field("state").get_all_transitions(model)
                          if t.name == rules.name)
            transitions.append({
                "label": rules.label, "from": ", ".join(labels.get(s, s) for s in sorted(sources)),
                "to": labels.get(target, target), "who": "; ".join(a.description for a in rules.actors),
                "conditions": [(c.__doc__ or c.__name__.replace("_", " ")).strip().splitlines()[0].rstrip(".")
                               for c in rules.conditions],
                "comment": rules.comment_label if rules.comment_required else "",
            })
        context = {**self.each_context(request), "title": f"How a {model._meta.verbose_name} moves",
                   "diagram": state_diagram_svg(model), "transitions": transitions, "model_name": model_name,
                   "opts": model._meta}
        return TemplateResponse(request, "admin/workflow_help.html", context)
