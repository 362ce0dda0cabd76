"""The answer form, the comment matrix's adjudications and the transition forms of a routed
document's admin page, as staff work them: nothing typed is lost.

- An answer carries any number of comment rows (``workflow.forms``); "More comment rows" draws
  the form again with blank rows added, without JavaScript; "Import comments" reads a comment
  matrix spreadsheet into the rows (``workflow.comment_matrix``), for the coordinator to read
  before "Record answer" submits anything.
- A refused or invalid submission (the engine's reasons: not allowed now, a condition, a
  conflict) draws the page again, as a GET draws it, with the form as typed, each sentence beside
  its field or row and the reasons above the form; a refused answer or adjudication is also kept
  as a draft (``workflow.models.FormDraft``). "Save draft" keeps one on purpose; the page draws a
  form from its draft; a successful submission deletes it.
- The owner adjudicates row after row: one form holds every row's decision and rationale, the
  button of a row adjudicates that row, and the page comes back to it (anchor and focus) with the
  other rows' typed text kept (their draft).
- The answer form is drawn only for those the engine lets answer (``services.tasker_answer_refusal``);
  the organization's other members see who may.
"""

from __future__ import annotations

import contextlib
import copy

from django.contrib import messages
from django.db import OperationalError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from organizations.selectors import organization_label

from . import services
from .exceptions import WorkflowError, lock_conflict
from .forms import BLANK_ROWS, COMMENTS_PREFIX, answer_forms, place_answer_refusal, typed_answer
from .models import Decision

ANSWER_FORM = "answer-{}"  # the draft of the answer to tasker {}
ADJUDICATION_FORM = "adjudications"  # the draft of the matrix's typed decisions
_ANSWER_BOUND = "_workflow_answer_bound"  # the request's answer form drawn as posted: (tasker id, answer, rows)
_MATRIX_TYPED = "_workflow_matrix_typed"  # the matrix as posted: {comment id: {decision, rationale}}, errors
_TRANSITION_TYPED = "_workflow_transition_typed"  # a refused transition: its name, what was typed, the reasons


def _as_error(error):
    if isinstance(error, OperationalError):
        conflict = lock_conflict(error)
        if conflict is None:
            raise error
        return conflict
    return error


def _change_url(model_admin, document) -> str:
    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[document.pk])


def _page_again(model_admin, request, document):
    """The document's page drawn as a GET draws it (so its own change form is not taken as
    submitted), with what the request set aside (the bound form, the typed matrix)."""
    page = copy.copy(request)
    page.method = "GET"
    page.GET = request.GET.copy()
    page.GET.clear()
    return model_admin.change_view(page, str(document.pk), form_url=_change_url(model_admin, document))


def _when(draft) -> str:
    return date_format(localtime(draft.saved_at), "DATETIME_FORMAT")


# --- the answer ------------------------------------------------------------------------------

def respond(model_admin, request, document, tasker):
    """The POST behind the answer form: record it, or one of its other buttons (more rows, save
    or discard the draft, import a comment matrix)."""
    answer, formset = answer_forms(tasker=tasker, data=request.POST)
    draft_name = ANSWER_FORM.format(tasker.pk)
    back = f"{_change_url(model_admin, document)}#respond-{tasker.pk}"
    if "discard_draft" in request.POST:
        services.form_draft_discard(user=request.user, document=document, form=draft_name)
        messages.success(request, "Draft discarded.")
        return HttpResponseRedirect(back)
    valid = answer.is_valid() & formset.is_valid()
    typed = typed_answer(answer, formset)
    if "save_draft" in request.POST:
        services.form_draft_save(user=request.user, document=document, form=draft_name, data=typed)
        messages.success(request, f"Draft of the answer for {organization_label(tasker.organization)} saved; it is here when you come "
                                  "back, for you only. Nothing was sent.")
        return HttpResponseRedirect(back)
    if "more_rows" in request.POST:
        answer, formset = answer_forms(tasker=tasker, initial=typed,
                                       extra_rows=max(BLANK_ROWS, len(formset.forms) - len(typed["comments"]))
                                       + BLANK_ROWS)
        return _answer_again(model_admin, request, document, tasker, answer, formset)
    if "import_matrix" in request.POST:
        return _import(model_admin, request, document, tasker, answer, formset, typed)
    if valid:
        try:
            services.tasker_respond(tasker=tasker, by=request.user, response=answer.cleaned_data["response"],
                                    rationale=answer.cleaned_data["rationale"], comments=typed["comments"])
        except (WorkflowError, OperationalError) as error:
            place_answer_refusal(_as_error(error), answer, formset)
        else:
            services.form_draft_discard(user=request.user, document=document, form=draft_name)
            messages.success(request, f"Answer recorded for {organization_label(tasker.organization)}.")
            return HttpResponseRedirect(_change_url(model_admin, document))
    # Refused or invalid: nothing was recorded; the typed answer is kept, on the page and as a draft.
    try:
        services.form_draft_save(user=request.user, document=document, form=draft_name, data=typed)
        kept = " What you typed is below, and kept as your draft."
    except WorkflowError:
        kept = " What you typed is below."
    messages.error(request, f"The answer for {organization_label(tasker.organization)} was not recorded.{kept}")
    return _answer_again(model_admin, request, document, tasker, answer, formset)


def _import(model_admin, request, document, tasker, answer, formset, typed):
    from .comment_matrix import comment_matrix_read

    upload = request.FILES.get("matrix")
    try:
        if upload is None:
            raise services.InvalidInput("Choose the comment matrix file (.xlsx) to import.",
                                        {"matrix": ["Choose a file."]})
        imported = comment_matrix_read(file=upload, organization=tasker.organization)
    except WorkflowError as error:
        answer.is_valid()
        answer.errors.pop("response", None)  # no answer is asked for yet: the file is the question
        answer.add_error(None, error.reasons)
        messages.error(request, "The comment matrix was not imported; correct the rows named below and import "
                                "it again.")
        return _answer_again(model_admin, request, document, tasker, answer, formset)
    typed = {**typed, "comments": typed["comments"] + [{k: v for k, v in row.items() if k != "row"}
                                                       for row in imported]}
    services.form_draft_save(user=request.user, document=document, form=ANSWER_FORM.format(tasker.pk), data=typed)
    messages.info(request, f"{len(imported)} comment{'s' if len(imported) != 1 else ''} imported from "
                           f"{upload.name} into the answer for {organization_label(tasker.organization)}: read them, change what you "
                           "need, then choose the answer and “Record answer”. Nothing is sent until you do "
                           "(the rows are kept as your draft).")
    answer, formset = answer_forms(tasker=tasker, initial=typed, extra_rows=1)
    return _answer_again(model_admin, request, document, tasker, answer, formset)


def _answer_again(model_admin, request, document, tasker, answer, formset):
    first = next((name for name in answer.fields if name in answer.errors), None)
    if first is not None:
        answer.fields[first].widget.attrs["autofocus"] = True
    else:
        answer.fields["response"].widget.attrs["autofocus"] = True  # the browser brings the form into view
    setattr(request, _ANSWER_BOUND, (tasker.pk, answer, formset))
    return _page_again(model_admin, request, document)


def answer_panels(request, document, taskers, my_org_ids, drafts) -> tuple[list[dict], list[dict]]:
    """The answer forms the user may fill on this page (drawn as posted after a refusal, else
    from their draft, else blank), and, for the taskers of their organizations they may not
    answer, a line saying who may. ``drafts()`` gives the user's drafts of the document."""
    bound = getattr(request, _ANSWER_BOUND, None)
    step = document.current_step()
    forms, others = [], []
    for tasker in taskers:
        # The answer just refused is drawn as typed, whatever the refusal (the reasons above it).
        is_bound = bound is not None and bound[0] == tasker.pk
        if not is_bound and (tasker.organization_id not in my_org_ids or tasker.step != step
                             or not (tasker.is_open or tasker.state == "answered")):
            continue
        refusal = services.tasker_answer_refusal(tasker=tasker, document=document, by=request.user)
        if refusal is not None and not is_bound:
            others.append({"tasker": tasker, "refusal": refusal})
            continue
        draft = drafts().get(ANSWER_FORM.format(tasker.pk))
        if is_bound:
            answer, formset = bound[1], bound[2]
        else:
            answer, formset = answer_forms(tasker=tasker, initial=draft.data if draft else None)
        forms.append({"tasker": tasker, "answer": answer, "formset": formset,
                      "draft_saved": _when(draft) if draft else "", "prefix": COMMENTS_PREFIX})
    if others:
        who = _answerers([item["tasker"] for item in others])
        for item in others:
            names = who.get(item["tasker"].pk, [])
            item["who"] = ", ".join(names) if names else "nobody at present (tell its organization administrator)"
    return forms, others


def _answerers(taskers) -> dict[int, list[str]]:
    """Who may answer each tasker, by name, in one query."""
    rows = list(services.tasker_assignees(organization_ids={t.organization_id for t in taskers})
                .select_related("user").order_by("user__username"))
    named: dict[int, list[str]] = {}
    for tasker in taskers:
        names = named.setdefault(tasker.pk, [])
        for membership in rows:
            if membership.organization_id != tasker.organization_id:
                continue
            if tasker.step == "coordination" and not membership.is_coordinator:
                continue
            name = membership.user.get_full_name() or membership.user.get_username()
            if name not in names:
                names.append(name)
    return named


# --- the comment matrix: adjudicate row by row -----------------------------------------------

def _matrix_typed(request, comments) -> dict[str, dict[str, str]]:
    typed = {}
    for comment in comments:
        decision = request.POST.get(f"decision-{comment.pk}")
        rationale = request.POST.get(f"rationale-{comment.pk}")
        if decision is None and rationale is None:
            continue
        typed[str(comment.pk)] = {"decision": decision or "", "rationale": rationale or ""}
    return typed


def _unsaved(typed: dict, comments, *, but=None) -> dict:
    """The rows whose typed decision or rationale differs from what is recorded: the draft."""
    recorded = {str(c.pk): (c.decision, c.decision_rationale) for c in comments}
    return {pk: row for pk, row in typed.items()
            if pk != str(but) and pk in recorded and (row["decision"], row["rationale"].strip()) != recorded[pk]
            and (row["decision"] or row["rationale"].strip())}


def _keep_matrix_draft(request, document, rows: dict) -> None:
    if rows:
        services.form_draft_save(user=request.user, document=document, form=ADJUDICATION_FORM, data={"rows": rows})
    else:
        services.form_draft_discard(user=request.user, document=document, form=ADJUDICATION_FORM)


def adjudicate(model_admin, request, document, comment, comments):
    """The POST of a row's "Adjudicate" button: that row's decision, every other row's typed text
    kept (as the draft), and back to the row; refused, the page again as typed."""
    typed = _matrix_typed(request, comments)
    row = typed.get(str(comment.pk)) or {"decision": request.POST.get("decision", ""),
                                         "rationale": request.POST.get("rationale", "")}
    place = f"{_change_url(model_admin, document)}?row={comment.pk}#comment-{comment.pk}"
    try:
        services.comment_adjudicate(comment=comment, by=request.user, decision=row["decision"],
                                    rationale=row["rationale"])
    except (WorkflowError, OperationalError) as error:
        error = _as_error(error)
        typed[str(comment.pk)] = row
        with contextlib.suppress(WorkflowError):  # a draft is kept only of a document one may see
            _keep_matrix_draft(request, document, _unsaved(typed, comments))
        messages.error(request, f"Comment {_number(comment, comments)} was not adjudicated; what you typed is kept "
                                "below.")
        setattr(request, _MATRIX_TYPED, {"rows": typed, "comment": comment.pk, "error": error})
        return _page_again(model_admin, request, document)
    _keep_matrix_draft(request, document, _unsaved(typed, comments, but=comment.pk))
    messages.success(request, f"Adjudication of comment {_number(comment, comments)} recorded.")
    return HttpResponseRedirect(place)


def matrix_draft(model_admin, request, document, comments):
    """"Save draft" / "Discard draft" of the matrix's typed adjudications."""
    if "discard_draft" in request.POST:
        services.form_draft_discard(user=request.user, document=document, form=ADJUDICATION_FORM)
        messages.success(request, "Draft of the adjudications discarded.")
    else:
        rows = _unsaved(_matrix_typed(request, comments), comments)
        _keep_matrix_draft(request, document, rows)
        messages.success(request, f"Draft of the adjudications saved ({len(rows)} row{'s' if len(rows) != 1 else ''}"
                                  "); it is here when you come back, for you only. Nothing was recorded.")
    return HttpResponseRedirect(f"{_change_url(model_admin, document)}#workflow-comments")


def _number(comment, comments) -> int:
    return next((n for n, c in enumerate(comments, start=1) if c.pk == comment.pk), 0)


def matrix_rows(request, document, comments, drafts, *, may_adjudicate: bool) -> dict:
    """What each row's adjudication fields show: as posted after a refusal (with its sentences),
    else the draft, else what is recorded; the row to bring into view; whether the matrix is a
    form (a row the user may adjudicate or agree with)."""
    posted = getattr(request, _MATRIX_TYPED, None)
    step = document.current_step()
    adjudicable = may_adjudicate and any(comment.tasker.step == step for comment in comments)
    draft = drafts().get(ADJUDICATION_FORM) if adjudicable else None
    typed = posted["rows"] if posted else (draft.data.get("rows", {}) if draft else {})
    focus = posted["comment"] if posted else request.GET.get("row", "")
    for comment in comments:
        row = typed.get(str(comment.pk))
        comment.typed_decision = row["decision"] if row else comment.decision
        comment.typed_rationale = row["rationale"] if row else comment.decision_rationale
        comment.focus = str(comment.pk) == str(focus)
        comment.errors = {}
        comment.refusal = []
        if posted and posted["comment"] == comment.pk:
            error = posted["error"]
            fields = getattr(error, "field_errors", None) or {}
            comment.errors = dict(fields)
            placed = {s for sentences in fields.values() for s in sentences}
            comment.refusal = [reason for reason in error.reasons if reason not in placed]
    return {"draft_saved": _when(draft) if draft and not posted else "",
            "decisions": [("", "— choose —"), *Decision.choices], "adjudicable": adjudicable,
            "form": adjudicable or any(getattr(comment, "may_agree", False) for comment in comments)}


# --- transitions ----------------------------------------------------------------------------

def transition_refused(model_admin, request, document, name: str, error) -> object:
    """A refused transition: the page again with its form as typed and the reasons above it."""
    reasons = list(_as_error(error).reasons)
    setattr(request, _TRANSITION_TYPED, {
        "name": name, "comment": request.POST.get("comment", ""), "suspense": request.POST.get("suspense", ""),
        "suspense_reason": request.POST.get("suspense_reason", ""), "reasons": reasons})
    for reason in reasons:
        messages.error(request, reason)
    return _page_again(model_admin, request, document)


def transition_typed(request) -> dict | None:
    return getattr(request, _TRANSITION_TYPED, None)
