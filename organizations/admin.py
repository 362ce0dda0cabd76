"""The admin screens of organizations and people. Thin: every write calls a service, and a
service's refusal is shown as a message. An organization administrator (a member in the
``org_admin`` role, not a superuser) sees and changes only the memberships and delegations of the
organizations they administer; the querysets, the choices and the object permissions all check it
on the server, so a change URL typed by hand for another organization finds nothing."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import dateformat, timezone
from django_countries import countries

from . import services
from .models import (
    POWER_ROLES,
    AreaOfResponsibility,
    Country,
    Delegation,
    FADAssignment,
    Membership,
    Organization,
    OrganizationNameHistory,
    PowerRequest,
    PowerRequestKind,
    PowerRequestState,
)
from .selectors import command_covering, memberships_active, organization_label, organizations_administered_by


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


POWER_HELP = ("Approver and organization administrator are powers: a second person approves them. "
              "Ask for them under Organizations › Requests for powers.")


def _roles_without_powers(db_field, kwargs) -> dict:
    """The role field of a membership form: the roles one person gives (a power needs a request)."""
    kwargs["choices"] = [(value, label) for value, label in db_field.get_choices(include_blank=True)
                         if value not in POWER_ROLES]
    kwargs["help_text"] = POWER_HELP
    return kwargs


def _active_users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved ``obj`` the row a service created, for the admin's own follow-up
    (inlines, the log entry, the redirect)."""
    obj.__dict__.update(saved.__dict__)


class ServiceRefusalsAsMessages:
    """The one place where a service's refusal becomes a message. The forms run the models'
    rules, so a refused save normally shows as form errors; one the form could not foresee (a
    concurrent change) rolls the whole save back and shows as a message on the same page. A
    refused deletion rolls back and shows on the object's change page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, f"Nothing was saved: {_refusal(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def act_on_each(self, request, queryset, act, *, done: str, allowed=lambda row: True,
                    name_rows: bool = True) -> None:
        """Run the service call ``act(row)`` on every selected row ``allowed`` lets through: one
        message per refusal, naming the row unless the refusal already does (the others still
        happen), and one for what was done."""
        count = 0
        for row in queryset:
            if not allowed(row):
                continue
            try:
                act(row)
                count += 1
            except ValidationError as error:
                self.message_user(request, f"{row}: {_refusal(error)}" if name_rows else _refusal(error),
                                  messages.ERROR)
        if count:
            self.message_user(request, f"{count} {done}.", messages.SUCCESS)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, f"Nothing was deleted: {_refusal(error)}", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                                args=[object_id], current_app=self.admin_site.name))


class OrganizationScope:
    """Which organizations' people a request may see and change."""

    @staticmethod
    def administered(request):
        return organizations_administered_by(request.user)

    def visible_organizations(self, request):
        from .authority import is_auditor, is_system_administrator

        if is_system_administrator(request.user) or is_auditor(request.user):
            return Organization.objects.all()
        return self.administered(request)

    def may_change_in(self, request, organization_id) -> bool:
        if request.user.is_superuser:
            return True
        return self.administered(request).filter(pk=organization_id).exists()


# Organizations -----------------------------------------------------------------------------------

class MembershipInline(OrganizationScope, admin.TabularInline):
    """Members of the organization. New ones may be added here; existing ones are changed or
    ended in the memberships list (who, where and which role never change)."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ("user", "role", "is_coordinator", "start", "end")
    verbose_name_plural = "members (change or end a membership in the memberships list)"

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("user")
                .filter(organization__in=self.visible_organizations(request)))

    def has_add_permission(self, request, obj=None):
        if not super().has_add_permission(request, obj):
            return False
        return request.user.is_superuser if obj is None else self.may_change_in(request, obj.pk)

    def has_change_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = _active_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs = _roles_without_powers(db_field, kwargs)
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class NameHistoryInline(admin.TabularInline):
    model = OrganizationNameHistory
    fk_name = "organization"
    extra = 0
    can_delete = False
    fields = ("name", "acronym", "changed_at", "changed_by")
    readonly_fields = fields
    verbose_name_plural = "earlier names"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(ServiceRefusalsAsMessages, admin.ModelAdmin):
    list_display = ("tree_path", "name", "kind", "active", "children_count", "member_count", "current_name")
    list_filter = ("kind", "active")
    search_fields = ("name", "acronym", "current_name", "current_acronym")
    list_select_related = ("parent__parent__parent",)
    autocomplete_fields = ("parent", "supervised_by")
    readonly_fields = ("active", "active_until", "known_as", "duties_through_time")
    fieldsets = (
        (None, {"fields": ("acronym", "name", "kind", "parent", "supervised_by")}),
        ("Today's name, where it differs from the directive's", {"fields": ("current_name", "current_acronym")}),
        ("Through time (reference data, each date with its source)", {"fields": ("known_as", "duties_through_time")}),
        ("Activity (deactivate with the action in the list)", {"fields": ("active", "active_from", "active_until")}),
        (None, {"fields": ("notes",)}),
    )
    inlines = (MembershipInline, NameHistoryInline)
    actions = ("deactivate_selected",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _children=Count("children", distinct=True),
            _members=Count("memberships", distinct=True, filter=Q(memberships__start__lte=timezone.localdate())
                           & (Q(memberships__end__isnull=True) | Q(memberships__end__gt=timezone.localdate()))),
        ).order_by(*Organization._meta.ordering)  # a GROUP BY drops Meta.ordering: the autocomplete paged unordered

    @admin.display(description="known as")
    def known_as(self, obj: Organization) -> str:
        """Today's name beside the directive's ("USD(A&S), formerly USD(AT&L)")."""
        return organization_label(obj) if obj.pk else ""

    @admin.display(description="duties through time")
    def duties_through_time(self, obj: Organization) -> str:
        if obj.pk is None:
            return ""
        lines = [f"From {dateformat.format(s.start, 'j F Y')}: holds {s.predecessor}'s duties ({s.duties}); source: {s.source}."
                 for s in obj.successions_from.select_related("predecessor").order_by("start")]
        lines += [f"From {dateformat.format(s.start, 'j F Y')}: its duties ({s.duties}) passed to {s.successor}; source: {s.source}."
                  for s in obj.successions.select_related("successor").order_by("start", "successor__acronym")]
        return " ".join(lines) or "No succession recorded."

    @admin.display(description="organization", ordering="acronym")
    def tree_path(self, obj: Organization) -> str:
        """The organization under its ancestors, root first: ``JS › J5``."""
        return " › ".join([o.acronym for o in reversed(obj.ancestors())] + [obj.acronym])

    @admin.display(description="sub-organizations", ordering="_children")
    def children_count(self, obj) -> int:
        return obj._children

    @admin.display(description="current members", ordering="_members")
    def member_count(self, obj) -> int:
        return obj._members

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # refused for anything referenced: deactivate instead
        return actions

    @admin.action(description="Deactivate the selected organizations from today", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self.act_on_each(request, queryset,
                         lambda organization: services.organization_deactivate(organization=organization,
                                                                               by=request.user),
                         done="organizations deactivated", name_rows=False)

    def save_model(self, request, obj, form, change):
        if change:
            fields = [name for name in form.changed_data if name in services.ORGANIZATION_UPDATE_FIELDS]
            saved, _changed = services.organization_update(
                organization=Organization.objects.get(pk=obj.pk),
                data={name: form.cleaned_data[name] for name in fields}, by=request.user,
            )
        else:
            data = {name: form.cleaned_data[name] for name in services.ORGANIZATION_UPDATE_FIELDS
                    if name in form.cleaned_data}
            saved = services.organization_create(**data)
        _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if inline_form.instance.pk is not None or not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            formset.new_objects.append(services.membership_create(
                user=data["user"], organization=form.instance, role=data["role"], start=data["start"],
                end=data.get("end"), is_coordinator=data.get("is_coordinator", False), by=request.user,
            ))

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            try:
                services.organization_ensure_deletable(organization=obj)
            except ValidationError as error:
                self.message_user(request, _refusal(error), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:organizations_organization_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.organization_delete(organization=obj)


# Countries and areas of responsibility ------------------------------------------------------------

def _country_codes_named(term: str) -> list[str]:
    term = term.strip().lower()
    return [code for code, name in countries if term and term in str(name).lower()]


class AreaOfResponsibilityInline(admin.TabularInline):
    model = AreaOfResponsibility
    extra = 0
    can_delete = False
    fields = ("command", "start", "end")
    readonly_fields = fields
    ordering = ("start",)
    verbose_name_plural = "commands over time (change them under areas of responsibility)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    """ISO 3166 countries come from django-countries through ``load_reference_data``: read-only."""

    list_display = ("iso_code", "name", "command_today")
    list_display_links = ("iso_code", "name")
    search_fields = ("code",)
    readonly_fields = ("iso_code", "name", "command_today")
    fields = readonly_fields
    inlines = (AreaOfResponsibilityInline,)

    @admin.display(description="ISO code", ordering="code")
    def iso_code(self, obj: Country) -> str:
        return obj.code.code

    @admin.display(description="country")
    def name(self, obj: Country) -> str:
        return obj.code.name

    @admin.display(description="geographic combatant command today")
    def command_today(self, obj: Country):
        covering = getattr(obj, "_covering_today", None)
        return covering if covering is not None else (command_covering(country=obj) or "—")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aor_periods__command")

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        today = timezone.localdate()
        for country in changelist.result_list:
            country._covering_today = next(
                (p.command for p in country.aor_periods.all() if p.start <= today and (p.end is None or p.end > today)),
                "—",
            )
        return changelist

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        named = _country_codes_named(search_term)
        if named:
            results = results | queryset.filter(code__in=named)
        return results, duplicates



@admin.register(AreaOfResponsibility)
class AreaOfResponsibilityAdmin(ServiceRefusalsAsMessages, admin.ModelAdmin):
    list_display = ("country", "command", "start", "end")
    list_filter = ("command",)
    search_fields = ("country__code", "command__acronym")
    list_select_related = ("country", "command")
    autocomplete_fields = ("country",)
    date_hierarchy = "start"

    def get_readonly_fields(self, request, obj=None):
        return ("country", "start") if obj is not None else ()

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        named = _country_codes_named(search_term)
        if named:
            results = results | queryset.filter(country__code__in=named)
        return results, duplicates

    def save_model(self, request, obj, form, change):
        if change:
            fields = [name for name in form.changed_data if name in services.AOR_PERIOD_UPDATE_FIELDS]
            saved, _changed = services.aor_period_update(
                period=AreaOfResponsibility.objects.get(pk=obj.pk),
                data={name: form.cleaned_data[name] for name in fields},
            )
        else:
            saved = services.aor_period_create(country=obj.country, command=obj.command, start=obj.start,
                                               end=obj.end)
        _adopt(obj, saved)


# Memberships and delegations ---------------------------------------------------------------------

class ScopedByOrganizationAdmin(ServiceRefusalsAsMessages, OrganizationScope, admin.ModelAdmin):
    """Rows that belong to an organization, shown and changed only within the request's scope."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion is for mistakes only, one at a time, via the service
        return actions

    def get_queryset(self, request):
        return super().get_queryset(request).filter(organization__in=self.visible_organizations(request))

    # Who may see, add, change and delete one: organizations/permissions.py (the site applies it).

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = self.administered(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CurrentFilter(admin.SimpleListFilter):
    title = "current"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return (("yes", "Current"), ("no", "Ended or not yet started"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        current = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gt=today))
        if self.value() == "yes":
            return queryset.filter(current)
        if self.value() == "no":
            return queryset.exclude(current)
        return queryset


class MembershipForm(forms.ModelForm):
    """Lengthening a power's period is refused beside the dates, with the input kept (the
    service refuses it too; this only says it on the form)."""

    def clean(self):
        data = super().clean()
        instance = self.instance
        if instance.pk is not None and not self.errors:
            wanted = Membership(role=instance.role, start=data.get("start") or instance.start, end=data.get("end"))
            if services.membership_lengthens_power(wanted, start=instance.start, end=instance.end):
                raise ValidationError(f"Lengthening the {instance.get_role_display().lower()} role needs a second "
                                      "person: ask for it under Organizations › Requests for powers.")
        return data


@admin.register(Membership)
class MembershipAdmin(ScopedByOrganizationAdmin):
    form = MembershipForm
    list_display = ("user", "organization", "role", "is_coordinator", "start", "end")
    list_filter = (CurrentFilter, "role", "is_coordinator", "organization__kind")
    search_fields = ("user__username", "user__first_name", "user__last_name", "organization__acronym",
                     "organization__name")
    list_select_related = ("user", "organization")
    fields = ("user", "organization", "role", "is_coordinator", "start", "end")
    actions = ("end_selected",)

    def get_readonly_fields(self, request, obj=None):
        return ("user", "organization", "role") if obj is not None else ()

    def get_changeform_initial_data(self, request):
        return {"start": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = _active_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs = _roles_without_powers(db_field, kwargs)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.action(description="End the selected memberships today", permissions=["change"])
    def end_selected(self, request, queryset):
        self.act_on_each(request, queryset, lambda membership: services.membership_end(membership=membership),
                         done="memberships ended",
                         allowed=lambda membership: self.may_change_in(request, membership.organization_id))

    def save_model(self, request, obj, form, change):
        if change:
            fields = [name for name in form.changed_data if name in services.MEMBERSHIP_UPDATE_FIELDS]
            saved, _changed = services.membership_update(
                membership=Membership.objects.get(pk=obj.pk),
                data={name: form.cleaned_data[name] for name in fields}, by=request.user,
            )
        else:
            saved = services.membership_create(user=obj.user, organization=obj.organization, role=obj.role,
                                               start=obj.start, end=obj.end, is_coordinator=obj.is_coordinator,
                                               by=request.user)
        _adopt(obj, saved)

    def delete_model(self, request, obj):
        services.membership_delete(membership=obj)


@admin.register(Delegation)
class DelegationAdmin(ScopedByOrganizationAdmin):
    list_display = ("delegator", "delegate", "organization", "role", "start", "end", "reason")
    list_filter = (CurrentFilter, "role")
    search_fields = ("delegator__username", "delegate__username", "organization__acronym")
    list_select_related = ("delegator", "delegate", "organization")
    fields = ("organization", "role", "delegator", "delegate", "start", "end", "reason")
    actions = ("revoke_selected",)

    def get_readonly_fields(self, request, obj=None):
        # A delegation is a record of who acted for whom: revoke it, never rewrite it.
        return self.fields if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("delegator", "delegate"):
            members = memberships_active().filter(organization__in=self.visible_organizations(request))
            kwargs["queryset"] = _active_users().filter(memberships__in=members).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description="Revoke the selected delegations from today", permissions=["change"])
    def revoke_selected(self, request, queryset):
        self.act_on_each(request, queryset, lambda delegation: services.delegation_revoke(delegation=delegation),
                         done="delegations revoked",
                         allowed=lambda delegation: self.may_change_in(request, delegation.organization_id))

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only once recorded
        saved = services.delegation_create(
            organization=obj.organization, delegator=obj.delegator, delegate=obj.delegate, role=obj.role,
            start=obj.start, end=obj.end, reason=obj.reason, by=request.user,
        )
        _adopt(obj, saved)

    def delete_model(self, request, obj):
        services.delegation_delete(delegation=obj)


# Requests for powers: two people -----------------------------------------------------------------

class PowerRequestForm(forms.ModelForm):
    """Asking is the service's: the form hands the whole request to ``power_request_create`` while
    it validates, so a refusal shows beside the field it concerns and the input stays on the page
    (the admin runs this inside the save's transaction)."""

    class Meta:
        model = PowerRequest
        fields = ("kind", "organization", "user", "role", "is_coordinator", "designation", "start", "end", "reason")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.created = services.power_request_create(
                requested_by=self.requested_by, kind=data.get("kind"), organization=data.get("organization"),
                start=data.get("start"), reason=data.get("reason") or "", user=data.get("user"),
                role=data.get("role") or "", end=data.get("end"), is_coordinator=data.get("is_coordinator", False),
                designation=data.get("designation") or "",
            )
        except ValidationError as error:
            try:
                self.add_error(None, error)
            except (ValueError, KeyError):  # a field this form does not show
                self.add_error(None, _refusal(error))
        return data

    def _post_clean(self):
        pass  # the service validated (and wrote) the request; the form's instance is not the row


class PowerRequestShown(admin.SimpleListFilter):
    title = "requests"
    parameter_name = "shown"

    def lookups(self, request, model_admin):
        return (("decide", "Awaiting my decision"), ("mine", "Asked by me"), ("open", "Open"))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(requested_by=request.user)
        if self.value() == "open":
            return queryset.filter(state=PowerRequestState.REQUESTED)
        if self.value() == "decide":
            ids = [r.pk for r in queryset.filter(state=PowerRequestState.REQUESTED).select_related("organization")
                   if services.power_request_decision_refusal(r, request.user) is None]
            return queryset.filter(pk__in=ids)
        return queryset


@admin.register(PowerRequest)
class PowerRequestAdmin(admin.ModelAdmin):
    """Requests for powers: an organization administrator (or a system administrator) asks for
    someone to become approver or organization administrator, or a system administrator asks to
    move a designated office; another administrator of that organization or a system
    administrator approves or refuses on the request's page. Requests are never edited or
    deleted; the requester may withdraw an open one."""

    form = PowerRequestForm
    list_display = ("pk", "subject", "kind", "state", "requested_by", "requested_at", "decided_by", "decided_at")
    list_display_links = ("pk", "subject")
    list_filter = (PowerRequestShown, "state", "kind")
    list_select_related = ("organization", "user", "requested_by", "decided_by")
    search_fields = ("user__username", "organization__acronym", "reason")
    readonly_fields = ("kind", "organization", "user", "role", "is_coordinator", "designation", "start", "end",
                       "reason", "state", "requested_by", "requested_at", "decided_by", "decided_at",
                       "decision_note", "membership", "organization_designation")
    add_fields = PowerRequestForm.Meta.fields

    @admin.display(description="request")
    def subject(self, obj: PowerRequest) -> str:
        return obj.subject()

    def get_queryset(self, request):
        requests = super().get_queryset(request)
        if request.user.is_superuser:
            return requests
        return requests.filter(Q(organization__in=organizations_administered_by(request.user),
                                 kind=PowerRequestKind.GRANT_ROLE)
                               | Q(requested_by=request.user) | Q(user=request.user))

    # Who may see and ask: organizations/permissions.py; deciding: services.power_request_decision_refusal.

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form = type("PowerRequestAddForm", (form,), {"requested_by": request.user})
        return form

    def get_changeform_initial_data(self, request):
        return {"start": timezone.localdate(), "kind": PowerRequestKind.GRANT_ROLE,
                **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = organizations_administered_by(request.user)
        if db_field.name == "user":
            kwargs["queryset"] = _active_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind" and not request.user.is_superuser:
            kwargs["choices"] = [(PowerRequestKind.GRANT_ROLE.value, PowerRequestKind.GRANT_ROLE.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        _adopt(obj, form.created)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Request {obj} recorded. It awaits a second person: another administrator "
                                   "of the organization or a system administrator approves or refuses it.",
                          messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:organizations_powerrequest_change", args=[obj.pk]))

    def get_urls(self):
        return [path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view),
                     name="organizations_powerrequest_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if obj is not None and obj.state == PowerRequestState.REQUESTED:
            refusal = services.power_request_decision_refusal(obj, request.user)
            context.update(power_request=obj, may_decide=refusal is None, decision_refusal=refusal,
                           may_withdraw=obj.requested_by_id == request.user.pk)
        return super().change_view(request, object_id, form_url, context)

    def decide_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404("No such request.")
        action, note = request.POST.get("decision"), request.POST.get("decision_note", "")
        act = {"approve": services.power_request_approve, "refuse": services.power_request_refuse,
               "withdraw": services.power_request_withdraw}.get(action)
        if act is None:
            raise PermissionDenied("Unknown decision.")
        try:
            with transaction.atomic():
                decided = act(request=obj, by=request.user, note=note)
        except ValidationError as error:
            self.message_user(request, f"Nothing was done: {_refusal(error)}", messages.ERROR)
        else:
            done = {"approve": "approved and applied", "refuse": "refused",
                    "withdraw": "withdrawn"}[action]
            self.message_user(request, f"Request {decided} {done}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:organizations_powerrequest_change", args=[obj.pk]))


class FADAssignmentForm(forms.ModelForm):
    """Assigning a FAD: ``services.fad_assign`` applies every rule (and ends the partner's current
    period); its refusals show beside their fields and nothing is saved."""

    class Meta:
        model = FADAssignment
        fields = ("country", "partner_organization", "designator", "effective_from", "rationale")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def _post_clean(self):  # the service validates and writes (the model's own clean would half-repeat it)
        if self.errors:
            return
        data = self.cleaned_data
        try:
            with transaction.atomic():
                self.instance = services.fad_assign(
                    by=self.user, country=data.get("country"), partner_organization=data.get("partner_organization"),
                    designator=data.get("designator"), effective_from=data.get("effective_from"),
                    rationale=data.get("rationale"))
        except ValidationError as error:
            self.add_error(None, error)
        except PermissionDenied as error:
            self.add_error(None, str(error))


class FADCurrentFilter(admin.SimpleListFilter):
    title = "period"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", "In force today"), ("no", "Ended or future")]

    def queryset(self, request, queryset):
        from .selectors import fad_assignments_on

        current = fad_assignments_on().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=current)
        if self.value() == "no":
            return queryset.exclude(pk__in=current)
        return queryset


@admin.register(FADAssignment)
class FADAssignmentAdmin(admin.ModelAdmin):
    """Force/activity designators of partner countries and organizations, assigned by the
    Chairman's office with effective dates and rationale (Encl. 2, 9.f); the history is kept."""

    form = FADAssignmentForm
    list_display = ("partner_name", "designator", "effective_from", "effective_until", "assigned_for", "rationale")
    list_filter = ("designator", FADCurrentFilter)
    list_select_related = ("country", "assigned_for")
    search_fields = ("partner_organization", "country__code", "rationale")
    autocomplete_fields = ("country",)
    readonly_fields = ("assigned_by", "assigned_for", "assigned_at", "effective_until")

    @admin.display(description="partner")
    def partner_name(self, row):
        return row.partner_name

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return WithUser

    def get_fields(self, request, obj=None):
        if obj is None:
            return FADAssignmentForm.Meta.fields
        return (*FADAssignmentForm.Meta.fields, "effective_until", "assigned_by", "assigned_for", "assigned_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.get_fields(request, obj)
        return ()

    def save_model(self, request, obj, form, change):
        pass  # written by ``services.fad_assign`` in the form's validation, inside the admin's transaction

    def save_related(self, request, form, formsets, change):
        pass
