"""The admin site staff work in: the DoD consent banner at sign-in, the rules every model admin
follows, and its pages wired to the apps that own them: the start page (a layout of panels, each
read and drawn by the app whose data it shows: ``workflow.dashboard``, ``reminders.selectors``,
``assessments.selectors``), My work (``workflow.admin_my_work``, its count in the header), the
workflow help pages (``workflow.admin_views``) and My preferences (``reminders.admin_views``). Wiring only: it holds no read of its own."""

from __future__ import annotations

import datetime
from functools import cache, partial

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.contrib.auth.signals import user_logged_in
from django.db import DataError
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from runtime.time_zone import PERSON_TIME_ZONE
from security.admin_mixins import AuthorityAdminMixin
from security.forms import NOTICE_AND_CONSENT, ConsentAuthenticationForm

# What the header says about the signed-in person (their roles), kept in the session at sign-in
# so that no page pays a query for it.
PERSON_ROLES = "person_roles"


def remember_person(sender, request, user, **kwargs):  # noqa: ARG001 (a signal receiver)
    if request is not None and hasattr(request, "session"):
        from organizations.selectors import person_roles_text

        request.session[PERSON_ROLES] = person_roles_text(user)
        if apps.is_installed("reminders"):
            from reminders.services import user_time_zone

            request.session[PERSON_TIME_ZONE] = user_time_zone(user)


user_logged_in.connect(remember_person, dispatch_uid="config.admin_site.remember_person")


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


def _my_work_count(user) -> int:
    from workflow.inbox import my_work_count

    return my_work_count(user)


def _app_dict_copy(apps_found: dict) -> dict:
    """The menu as plain data, a copy (``get_app_list`` sorts it in place): names as text, in the
    language of the request (part of its key), so that it can be kept in the shared cache."""
    return {app_label: {**app, "name": str(app["name"]),
                        "models": [{**model, "name": str(model["name"])} for model in app["models"]]}
            for app_label, app in apps_found.items()}


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

    def _build_app_dict(self, request, label=None):
        """The models ``request.user`` may open, by app (the menu of every page): what the
        declared rules answer for the person's capacity alone, so built once per capacity
        (``security.capacity``) and given as a copy (``get_app_list`` sorts it in place)."""
        from django.urls import get_script_prefix
        from django.utils import translation

        from security.capacity import per_capacity_value

        return per_capacity_value(
            ("admin_app_dict", self.name, label, get_script_prefix(), translation.get_language()), request.user,
            lambda: super(WorkplaceAdminSite, self)._build_app_dict(request, label),
            give=_app_dict_copy)

    def each_context(self, request):
        context = super().each_context(request)
        context["consent_text"] = NOTICE_AND_CONSENT
        context["oidc_provider"] = settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["person_name"] = user.get_full_name() or user.get_username()
            context["person_roles"] = request.session.get(PERSON_ROLES, "")
            context["person_time_zone"] = timezone.get_current_timezone_name()
            # The header's My work count: read only when the header is drawn (a template calls it).
            context["my_work_count"] = partial(_my_work_count, user)
        return context

    def index(self, request, extra_context=None):
        from organizations.selectors import organizations_acting_for
        from workflow.dashboard import documents_by_state, recent_actions, tasker_lines

        extra_context = extra_context or {}
        if request.user.is_authenticated:
            organizations = list(organizations_acting_for(request.user).values_list("pk", flat=True))
            extra_context["taskers"] = tasker_lines(request.user, organizations=organizations)
            extra_context["documents_by_state"] = documents_by_state(request.user, organizations=organizations)
            if apps.is_installed("assessments"):
                from assessments.selectors import cycle_progress

                extra_context["cycle_progress"] = cycle_progress(request.user)
            extra_context["recent_actions"] = recent_actions(request.user)
            if apps.is_installed("reminders"):
                from reminders.selectors import notifications_of, notifications_unread_count

                extra_context["notifications"] = list(notifications_of(request.user)[:8])
                extra_context["notifications_unread"] = notifications_unread_count(request.user)
        return super().index(request, extra_context)

    def get_urls(self):
        from reminders.admin_views import (
            notification_settings_view,
            notifications_mark_read_view,
            preferences_view,
        )
        from workflow.admin_my_work import my_work_view
        from workflow.admin_views import workflow_help_view

        return [
            path("my-work/", self.admin_view(partial(my_work_view, self)), name="my_work"),
            path("workflow-help/<str:app_label>/<str:model_name>/",
                 self.admin_view(partial(workflow_help_view, self)), name="workflow_help"),
            path("preferences/", self.admin_view(partial(preferences_view, self)), name="preferences"),
            path("notification-settings/", self.admin_view(partial(notification_settings_view, self)),
                 name="notification_settings"),
            path("notifications/mark-read/", self.admin_view(partial(notifications_mark_read_view, self)),
                 name="notifications_mark_read"),
            path("directive-traceability/", self.admin_view(self.traceability_view), name="directive_traceability"),
        ] + super().get_urls()

    def traceability_view(self, request):
        """The help page of the directive's traceability (``directive.traceability``): every
        numbered item, its status, and the pages, code and tests behind it."""
        from django.template.response import TemplateResponse

        from directive import traceability

        items = traceability.read()
        totals = [(status, sum(item.status == status for item in items)) for status in traceability.STATUSES]
        context = {**self.each_context(request), "title": "Directive traceability (DoDD 5132.03)", "items": items,
                   "totals": totals, "problems": traceability.problems(items), "directive": "DoDD 5132.03"}
        return TemplateResponse(request, "admin/directive/traceability.html", context)
