"""The forms of a routed document's page that the engine's services take: an answer with any
number of comment rows. They parse what was typed; the rules are the services' (a refusal's
sentences are put back beside the field or row they name, ``place_answer_refusal``)."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory

from .models import CommentCategory, Response
from .services import COMMENT_CONTENT, COMMENT_REFERENCE_LENGTHS, COMMENTS_PER_ANSWER, RESPONSES_BY_STEP

COMMENTS_PREFIX = "comments"
BLANK_ROWS = 3  # blank comment rows under those typed; "More comment rows" adds as many again


class AnswerForm(forms.Form):
    # No answer is chosen for the person: "Concur" by default is how a non-concurrence gets lost.
    response = forms.ChoiceField(label="Answer", choices=())
    rationale = forms.CharField(label="Rationale", required=False,
                                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    def __init__(self, *args, step: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].choices = [("", "— choose an answer —")] + [
            (value, Response(value).label) for value in RESPONSES_BY_STEP.get(step, ())]


class CommentRowForm(forms.Form):
    """One comment of an answer, as a row of the comment matrix; a row left blank is no comment."""

    category = forms.ChoiceField(label="Category", required=False,
                                 choices=[("", "—")] + list(CommentCategory.choices))
    section = forms.CharField(label="Section", required=False, max_length=COMMENT_REFERENCE_LENGTHS["section"],
                              widget=forms.TextInput(attrs={"size": 6}))
    page = forms.CharField(label="Page", required=False, max_length=COMMENT_REFERENCE_LENGTHS["page"],
                           widget=forms.TextInput(attrs={"size": 4}))
    paragraph = forms.CharField(label="Paragraph", required=False, max_length=COMMENT_REFERENCE_LENGTHS["paragraph"],
                                widget=forms.TextInput(attrs={"size": 6}))
    line = forms.CharField(label="Line", required=False, max_length=COMMENT_REFERENCE_LENGTHS["line"],
                           widget=forms.TextInput(attrs={"size": 4}))
    text = forms.CharField(label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}))
    rationale = forms.CharField(label="Rationale", required=False,
                                widget=forms.Textarea(attrs={"rows": 2, "cols": 30}))
    proposed_change = forms.CharField(label="Proposed change", required=False,
                                      widget=forms.Textarea(attrs={"rows": 2, "cols": 30}))

    def is_blank(self) -> bool:
        return not any(str(self[name].value() or "").strip() for name in COMMENT_CONTENT)


CommentFormSet = formset_factory(CommentRowForm, extra=0, max_num=COMMENTS_PER_ANSWER, validate_max=True,
                                 absolute_max=COMMENTS_PER_ANSWER + 50)


def answer_forms(*, tasker, data=None, initial: dict | None = None, extra_rows: int = BLANK_ROWS):
    """The answer form of ``tasker`` and its comment rows: bound to what was posted, or drawn from
    ``initial`` (a draft, an import: ``response``, ``rationale``, ``comments``) with ``extra_rows``
    blank rows under the comments. Field ids name the tasker (a page may hold two answer forms)."""
    ids = {"auto_id": f"id_respond-{tasker.pk}-%s"}
    if data is not None:
        if f"{COMMENTS_PREFIX}-TOTAL_FORMS" not in data:  # an answer posted without comment rows
            data = data.copy()
            data.update({f"{COMMENTS_PREFIX}-TOTAL_FORMS": "0", f"{COMMENTS_PREFIX}-INITIAL_FORMS": "0"})
        return AnswerForm(data, step=tasker.step, **ids), CommentFormSet(data, prefix=COMMENTS_PREFIX, **ids)
    initial = initial or {}
    rows = [{name: str(row.get(name) or "") for name in COMMENT_CONTENT} for row in initial.get("comments", ())]
    answer = AnswerForm(step=tasker.step, initial={"response": initial.get("response", ""),
                                                   "rationale": initial.get("rationale", "")}, **ids)
    formset = formset_factory(CommentRowForm, extra=extra_rows, max_num=COMMENTS_PER_ANSWER,
                              absolute_max=COMMENTS_PER_ANSWER + 50)(initial=rows, prefix=COMMENTS_PREFIX, **ids)
    return answer, formset


def typed_rows(formset) -> list[CommentRowForm]:
    """The rows that hold a comment (not left blank), in order: the service's comment ``i``."""
    return [form for form in formset.forms if not form.is_blank()]


def typed_answer(answer: AnswerForm, formset) -> dict:
    """What was typed, as a draft keeps it and the service takes it (raw text, valid or not)."""
    return {
        "response": str(answer["response"].value() or ""),
        "rationale": str(answer["rationale"].value() or ""),
        "comments": [{name: str(row[name].value() or "") for name in COMMENT_CONTENT} for row in typed_rows(formset)],
    }


def place_answer_refusal(error, answer: AnswerForm, formset) -> None:
    """A refusal's sentences beside what they concern: the answer's fields, the ``i``-th typed
    comment row (``comments[i].text``), the rows as a whole; the rest above the form."""
    rows = typed_rows(formset)
    placed = set()
    for name, sentences in (getattr(error, "field_errors", None) or {}).items():
        if name in answer.fields:
            answer.add_error(name, list(sentences))
        elif name == COMMENTS_PREFIX:
            formset.non_form_errors().extend(sentences)
        elif name.startswith(f"{COMMENTS_PREFIX}[") and "]." in name:
            index, field = name.removeprefix(f"{COMMENTS_PREFIX}[").split("].", 1)
            if not (index.isdigit() and int(index) < len(rows)):
                continue
            row = rows[int(index)]
            row.add_error(field if field in row.fields else None, list(sentences))
            placed.update(f"Comment {int(index) + 1}: {s}" for s in sentences)
            continue
        else:
            continue
        placed.update(sentences)
    told = [reason for reason in error.reasons if reason not in placed]
    if told:
        answer.add_error(None, told)
