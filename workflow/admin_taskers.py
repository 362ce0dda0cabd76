"""Tasker management on a routed document's admin page: re-assign a tasker within its
organization, return it as misrouted, remove a participant (a seam command, say), move a
suspense. Each form is offered, per tasker, only to those the engine's rule
(``services.tasker_manager``) lets do it now; the POST calls the service, which decides again.

A refusal (invalid input, not now, you may not, a conflict) draws the page again with what was
typed and each sentence beside its field or above the form (as ``admin_writes`` does for the
document's own form); a success returns to the tasker's place on
the page (``#manage-tasker-<id>``, or the tasker's row once it is closed), with the outcome as a message."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from organizations.selectors import organization_label

from . import services
from .exceptions import WorkflowError, lock_conflict
from .models import Step
from .selectors import taskers_of

_BOUND = "_tasker_management_bound"  # the request's refused form: (tasker id, action, form)


class _ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2, "cols": 40, "required": True}))


class ReassignForm(forms.Form):
    # Any active user parses; whether they may answer this tasker is the service's rule.
    assignee = forms.ModelChoiceField(label="Re-assign to", queryset=None, required=False, empty_label="—")

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = get_user_model().objects.filter(is_active=True)
        field.choices = [("", "—")] + [(user.pk, _person(user)) for user in assignees]
        field.widget.attrs["required"] = True


class ReturnMisroutedForm(_ReasonForm):
    pass


class RemoveForm(_ReasonForm):
    pass


class ChangeSuspenseForm(_ReasonForm):
    suspense = forms.DateField(label="New suspense", required=False, widget=forms.DateInput(
        attrs={"type": "date", "required": True}, format="%Y-%m-%d"))

    field_order = ["suspense", "reason"]


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


# What each action is on the page: its form, button, and whether it is destructive (styled and
# confirmed as such).
ACTIONS = {
    "reassign": {"form": ReassignForm, "label": "Re-assign", "destructive": False, "done": "Tasker re-assigned to {}."},
    "return_misrouted": {"form": ReturnMisroutedForm, "label": "Return as misrouted", "destructive": True,
                         "confirm": "Return this tasker to the owner as misrouted? Your organization will no "
                                    "longer be asked to answer it.",
                         "done": "Tasker returned to {} as misrouted."},
    "remove": {"form": RemoveForm, "label": "Remove from the route", "destructive": True,
               "confirm": "Remove this organization from the route? Its tasker is cancelled and the reason "
                          "recorded in the history.",
               "done": "{} removed from the route."},
    "change_suspense": {"form": ChangeSuspenseForm, "label": "Move the suspense", "destructive": False,
                        "done": "Suspense moved to {}."},
}
SLUGS = {name.replace("_", "-"): name for name in ACTIONS}


def _prefix(tasker, action: str) -> str:
    return f"tasker-{tasker.pk}-{action.replace('_', '-')}"


def _anchor(tasker) -> str:
    return f"manage-tasker-{tasker.pk}"


def _form(action: str, tasker, *, data=None, assignees=()):
    kwargs = {"assignees": assignees} if action == "reassign" else {}
    return ACTIONS[action]["form"](data, prefix=_prefix(tasker, action), **kwargs)


def _assignees_by_tasker(taskers) -> dict[int, list]:
    """Who each tasker may be re-assigned to (``services.tasker_assignees``), in one query."""
    if not taskers:
        return {}
    rows = list(services.tasker_assignees(organization_ids={t.organization_id for t in taskers})
                .select_related("user").order_by("user__last_name", "user__first_name", "user__username"))
    chosen: dict[int, list] = {}
    for tasker in taskers:
        users = chosen.setdefault(tasker.pk, [])
        for membership in rows:
            if membership.organization_id != tasker.organization_id:
                continue
            if tasker.step == Step.COORDINATION and not membership.is_coordinator:
                continue
            if membership.user not in users:
                users.append(membership.user)
    return chosen


def tasker_management_panels(request, document, taskers) -> list[dict]:
    """For each open tasker the user may manage: the forms of the actions they may take on it now
    (the refused one as it was typed), each posting to its own URL."""
    bound = getattr(request, _BOUND, None)
    offered = []
    for tasker in taskers:
        # The form just refused is drawn as typed, whatever the refusal (its reasons above it).
        refused_here = bound[1] if bound is not None and bound[0] == tasker.pk else None
        if not tasker.is_open and refused_here is None:
            continue
        refusals = services.tasker_management_refusals(tasker=tasker, document=document, by=request.user)
        allowed = [action for action in ACTIONS if refusals[action] is None or action == refused_here]
        if allowed:
            offered.append((tasker, allowed))
    assignees = _assignees_by_tasker([t for t, allowed in offered if "reassign" in allowed])
    prefix = reverse(f"admin:{document._meta.app_label}_{document._meta.model_name}_change", args=[document.pk])
    prefix = prefix.rsplit("change/", 1)[0]
    panels = []
    for tasker, allowed in offered:
        actions = []
        for action in allowed:
            if bound is not None and bound[0] == tasker.pk and bound[1] == action:
                form = bound[2]
            else:
                form = _form(action, tasker, assignees=assignees.get(tasker.pk, ()))
            spec = ACTIONS[action]
            actions.append({"name": action, "label": spec["label"], "form": form,
                            "url": f"{prefix}taskers/{tasker.pk}/{action.replace('_', '-')}/",
                            "destructive": spec["destructive"], "confirm": spec.get("confirm", ""),
                            "open": bound is not None and bound[0] == tasker.pk and bound[1] == action})
        panels.append({"tasker": tasker, "anchor": _anchor(tasker), "actions": actions})
    return panels


def _perform(action: str, tasker, form, by):
    data = form.cleaned_data
    if action == "reassign":
        if data.get("assignee") is None:
            raise services.InvalidInput("Choose who the tasker goes to.", {"assignee": ["Required."]})
        return services.tasker_reassign(tasker=tasker, by=by, assignee=data["assignee"]), _person(data["assignee"])
    if action == "return_misrouted":
        done = services.tasker_return_misrouted(tasker=tasker, by=by, reason=data.get("reason") or "")
        return done, None
    if action == "remove":
        return services.tasker_remove(tasker=tasker, by=by, reason=data.get("reason") or ""), None
    if data.get("suspense") is None:
        raise services.InvalidInput("Give the new suspense date.", {"suspense": ["Required."]})
    done = services.tasker_change_suspense(tasker=tasker, by=by, suspense=data["suspense"],
                                           reason=data.get("reason") or "")
    return done, None


def _place(error: WorkflowError, form) -> None:
    """The refusal's sentences beside the fields they name, the rest above the form."""
    placed = set()
    for name, sentences in (getattr(error, "field_errors", None) or {}).items():
        if name in form.fields:
            form.add_error(name, list(sentences))
            placed.update(sentences)
    told = [reason for reason in error.reasons if reason not in placed]
    if told or not placed:
        form.add_error(None, told or ["Nothing was saved."])


def tasker_manage(model_admin, request, pk, tasker_id, action):
    """The POST behind a tasker management form (``RoutedDocumentAdminMixin.tasker_manage_view``,
    which gives it the form's one-time token): the service, then back to the tasker's place on the
    page; refused or invalid, the page again with the form as typed."""
    action = SLUGS.get(action)
    if request.method != "POST" or action is None:
        raise Http404
    opts = model_admin.opts
    document = get_object_or_404(model_admin.visible_queryset(request), pk=pk)
    tasker = get_object_or_404(taskers_of(document), pk=tasker_id)
    assignees = _assignees_by_tasker([tasker]).get(tasker.pk, ()) if action == "reassign" else ()
    form = _form(action, tasker, data=request.POST, assignees=assignees)
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[document.pk])
    if form.is_valid():
        try:
            tasker, shown = _perform(action, tasker, form, request.user)
        except (WorkflowError, OperationalError) as error:
            if isinstance(error, OperationalError):
                conflict = lock_conflict(error)
                if conflict is None:
                    raise
                error = conflict
            _place(error, form)
        else:
            what = {"reassign": lambda: shown, "return_misrouted": lambda: organization_label(document.owner),
                    "remove": lambda: organization_label(tasker.organization),
                    "change_suspense": lambda: f"{tasker.suspense:%d %b %Y}"}[action]()
            messages.success(request, ACTIONS[action]["done"].format(what))
            # Back to where the person was: the tasker's forms, or its row once it is closed.
            place = _anchor(tasker) if tasker.is_open else f"tasker-{tasker.pk}"
            return HttpResponseRedirect(f"{change_url}#{place}")
    tasker = taskers_of(document).get(pk=tasker.pk)  # as it is now
    refusal = services.tasker_management_refusals(tasker=tasker, document=document, by=request.user)[action]
    if refusal is not None:
        # "You may not" or "not now" (the tasker closed meanwhile): said above the page and above
        # the form, which is drawn this once with what was typed. Nothing was saved.
        for reason in refusal.reasons:
            messages.error(request, reason)
        if not form.non_field_errors():
            form.add_error(None, list(refusal.reasons))
    # Refused or invalid: nothing was saved. The page again, drawn as a GET draws it (so the
    # document's own form is not taken as submitted), with this form as typed and its errors.
    messages.error(request, f"{ACTIONS[action]['label']} ({organization_label(tasker.organization)}): nothing was saved; "
                            "see the form below.")
    first = next((name for name in form.fields if name in form.errors), next(iter(form.fields)))
    form.fields[first].widget.attrs["autofocus"] = True  # the browser brings the form into view
    setattr(request, _BOUND, (tasker.pk, action, form))
    page = copy.copy(request)
    page.method = "GET"
    return model_admin.change_view(page, str(document.pk), form_url=change_url)
