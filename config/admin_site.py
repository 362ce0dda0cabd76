"""The admin site staff work in: a start page per person, workflow help pages with diagrams,
the DoD consent banner at sign-in, a configurable URL. Wiring: it composes the apps' selectors."""

from __future__ import annotations

import datetime
from functools import cache

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.contrib.auth.signals import user_logged_in
from django.db import DataError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from runtime.time_zone import PERSON_TIME_ZONE
from security.admin_mixins import AuthorityAdminMixin
from security.forms import NOTICE_AND_CONSENT, ConsentAuthenticationForm

# What the header says about the signed-in person (their roles), kept in the session at sign-in
# so that no page pays a query for it.
PERSON_ROLES = "person_roles"


def person_roles_text(user) -> str:
    """The person's roles in words for the header: "Action officer, EUCOM; Reviewer, J5"."""
    from organizations.models import Role
    from organizations.selectors import memberships_active

    rows = (memberships_active().filter(user_id=user.pk).order_by("organization__acronym", "role")
            .values_list("role", "organization__acronym"))
    words = [f"{Role(role).label}, {acronym}" for role, acronym in rows]
    if not words and user.is_superuser:
        words = ["System administrator"]
    return "; ".join(words)


def remember_person(sender, request, user, **kwargs):  # noqa: ARG001 (a signal receiver)
    if request is not None and hasattr(request, "session"):
        request.session[PERSON_ROLES] = person_roles_text(user)
        if apps.is_installed("reminders"):
            from reminders.services import user_time_zone

            request.session[PERSON_TIME_ZONE] = user_time_zone(user)


user_logged_in.connect(remember_person, dispatch_uid="config.admin_site.remember_person")


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


# No list has a billion pages; past that a page number only overflows the database's LIMIT.
MOST_PAGES = 10**9


def list_parameters_problem(params, *, date_hierarchy: str | None) -> str | None:
    """What makes a change list's query string unusable, in words, or None: a null character
    (PostgreSQL's text refuses it), a page number past any list, a date drill-down to a day no
    calendar has (or whose next period does not exist, as after 9999). Checked before anything
    reaches the database, so the answer is a 400 and never a failed query."""
    for key, values in params.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return "A filter, search or page parameter contains a null character."
    try:
        page = int(params.get(PAGE_VAR, 1))
    except ValueError:
        page = 1  # the change list itself shows page 1 for a page number that is not a number
    if page > MOST_PAGES:
        return f"There is no page {str(page)[:40]} of this list."
    if date_hierarchy and f"{date_hierarchy}__year" in params:
        year, month, day = (params.get(f"{date_hierarchy}__{part}") for part in ("year", "month", "day"))
        try:
            start = datetime.date(int(year), int(month or 1), int(day or 1))
            # The change list reads up to the start of the next day, month or year: it must exist too.
            if day:
                start + datetime.timedelta(days=1)
            elif month:
                (start + datetime.timedelta(days=32)).replace(day=1)
            else:
                start.replace(year=start.year + 1)
        except (ValueError, OverflowError):
            shown = "-".join(part for part in (year, month, day) if part)
            return f"There is no date {shown[:40]} to show the list for."
    return None


class ChangeListInputChecks:
    """Every change list on the site answers bad query parameters with a 400 page that says what
    is wrong, and never with a server error: the site mixes this into every ModelAdmin it
    registers (its own and third-party ones), so no list can be left out."""

    def changelist_view(self, request, extra_context=None):
        problem = list_parameters_problem(request.GET, date_hierarchy=self.date_hierarchy)
        if problem and self.has_view_or_change_permission(request):
            context = {**self.admin_site.each_context(request), "title": "This list cannot be shown",
                       "problem": problem, "opts": self.opts, "list_url": request.path}
            return TemplateResponse(request, "admin/invalid_list_parameters.html", context, status=400)
        response = super().changelist_view(request, extra_context)
        if ERROR_FLAG in request.GET and isinstance(response, TemplateResponse):
            # Django's own answer to parameters it cannot use is a redirect to the bare list with
            # ?e=1; say so, rather than showing the whole list as if it were the filtered one.
            messages.warning(request, "The filters in the address could not be used; this is the whole list.")
        return response

    def get_changelist(self, request, **kwargs):
        return _checked(super().get_changelist(request, **kwargs))

    def get_object(self, request, object_id, from_field=None):
        # A key with a null character names nothing (and would fail the query): the admin's own
        # "does not exist" answer, as for any other key that names nothing.
        if "\x00" in str(object_id):
            return None
        return super().get_object(request, object_id, from_field)


@cache
def _checked(changelist_class: type) -> type:
    """The change list class, where a value the database cannot compare (which the checks above
    did not foresee) is Django's "incorrect lookup parameters" (the redirect to ?e=1), not a 500."""

    class CheckedChangeList(changelist_class):
        def __init__(self, *args, **kwargs):
            try:
                super().__init__(*args, **kwargs)
            except (ValueError, OverflowError, DataError) as error:
                raise IncorrectLookupParameters(error) from error

    CheckedChangeList.__name__ = CheckedChangeList.__qualname__ = f"Checked{changelist_class.__name__}"
    return CheckedChangeList


@cache
def _with_site_rules(admin_class: type) -> type:
    """Every model admin registered on the site (its own and third-party ones): the change list's
    input checks, and the permissions of the declared rules (``organizations.authority``), which
    come before anything the admin class itself says about permissions."""
    if issubclass(admin_class, ChangeListInputChecks):
        return admin_class
    # As Django's own register() does for options: a subclass of the class given, with its name.
    return type(admin_class.__name__, (ChangeListInputChecks, AuthorityAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__,
                 "__doc__": admin_class.__doc__})


def recent_actions(user, *, limit: int = 10) -> list[dict]:
    """The user's latest admin actions for the index's "Recent actions" box. Django's log keeps the
    title a document had when the action was taken; a document's banner may since have risen
    beyond the user, so a document is named only if the user may see it now (one query checks
    every listed document), otherwise by its kind."""
    from django.contrib.admin.models import LogEntry
    from django.db.models import IntegerField, Value

    from workflow.registry import registered_documents, visible_documents

    entries = list(LogEntry.objects.filter(user_id=user.pk).select_related("content_type")
                   .order_by("-action_time")[:limit])
    kinds = {model._meta.label_lower: model for model in registered_documents()}
    asked: dict[type, list[int]] = {}
    for entry in entries:
        model = kinds.get(f"{entry.content_type.app_label}.{entry.content_type.model}") if entry.content_type else None
        if model is not None and str(entry.object_id).isdigit():
            asked.setdefault(model, []).append(int(entry.object_id))
    seen: set[tuple[str, int]] = set()
    if asked:
        models = list(asked)
        checks = [visible_documents(model, user).filter(pk__in=asked[model]).order_by()
                  .annotate(listed_kind=Value(index, output_field=IntegerField())).values_list("pk", "listed_kind")
                  for index, model in enumerate(models)]
        union = checks[0].union(*checks[1:], all=True) if len(checks) > 1 else checks[0]
        seen = {(models[index]._meta.label_lower, pk) for pk, index in union}
    lines = []
    for entry in entries:
        label = f"{entry.content_type.app_label}.{entry.content_type.model}" if entry.content_type else ""
        model = kinds.get(label)
        if model is not None and (label, int(entry.object_id) if str(entry.object_id).isdigit() else None) not in seen:
            lines.append({"entry": entry, "text": f"a {model._meta.verbose_name} you can no longer see", "url": ""})
        else:
            lines.append({"entry": entry, "text": entry.object_repr,
                          "url": "" if entry.is_deletion() else entry.get_admin_url()})
    return lines


class WorkplaceAdminSite(admin.AdminSite):
    site_header = "Campaign plan workflow"
    site_title = "Campaign plans"
    index_title = "Workplace"
    index_template = "admin/workplace_index.html"
    login_form = ConsentAuthenticationForm
    login_template = "security/login.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, _with_site_rules(admin_class or admin.ModelAdmin), **options)

    def has_permission(self, request):
        """Anyone who works here: a current membership (or delegation) or a system administrator.
        Access follows from who people are; ``is_staff`` need not be ticked by hand."""
        from organizations.authority import is_staff_member

        return is_staff_member(request.user)

    def autocomplete_view(self, request):
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return JsonResponse({"error": "The search contains a null character."}, status=400)
        return super().autocomplete_view(request)

    def each_context(self, request):
        context = super().each_context(request)
        context["consent_text"] = NOTICE_AND_CONSENT
        context["oidc_provider"] = settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["person_name"] = user.get_full_name() or user.get_username()
            context["person_roles"] = request.session.get(PERSON_ROLES, "")
            context["person_time_zone"] = timezone.get_current_timezone_name()
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
            extra_context["recent_actions"] = recent_actions(request.user)
            if apps.is_installed("reminders"):
                from reminders.selectors import notifications_of, notifications_unread_count

                extra_context["notifications"] = list(notifications_of(request.user)[:8])
                extra_context["notifications_unread"] = notifications_unread_count(request.user)
        return super().index(request, extra_context)

    def get_urls(self):
        return [
            path("workflow-help/<str:app_label>/<str:model_name>/", self.admin_view(self.workflow_help),
                 name="workflow_help"),
            path("preferences/", self.admin_view(self.preferences), name="preferences"),
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

    def preferences(self, request):
        """The person's own preferences: the time zone of the times on the pages."""
        import zoneinfo

        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect

        from reminders.services import user_time_zone, user_time_zone_set

        error = ""
        if request.method == "POST":
            try:
                preference = user_time_zone_set(user=request.user, time_zone=request.POST.get("time_zone", ""))
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            else:
                request.session[PERSON_TIME_ZONE] = preference.time_zone
                shown = preference.time_zone or f"the installation's ({settings.TIME_ZONE})"
                messages.success(request, f"Times are now shown in {shown}.")
                return redirect("admin:preferences")
        context = {**self.each_context(request), "title": "My preferences", "error": error,
                   "chosen": request.POST.get("time_zone") if error else user_time_zone(request.user),
                   "zones": sorted(zoneinfo.available_timezones()), "installation_zone": settings.TIME_ZONE}
        return TemplateResponse(request, "admin/preferences.html", context, status=400 if error else 200)
