"""An admin change form saved by one service call, the one the API's write calls.

Django's change form saves the object (``save_model``), then its many-to-many fields and inline
formsets (``save_related``), each straight to the database, so a rule written in a service never
runs there. A model admin with ``ServiceWriteAdminMixin`` instead hands what was typed (the form's
cleaned data and each inline's rows, ``submitted_rows``) to its ``service_write``, which calls the
service and returns the saved object; Django's transaction around the view makes it all or nothing.

The forms still parse what was typed (required fields, choices, dates); the rules are the
service's. A refusal (a ``WorkflowError``, or a lock conflict) has saved nothing: the page is drawn
again from what was posted, each sentence beside the field (``InvalidInput.field_errors``) or
inline row (``rows``, when the error names rows: ``{list: {row index: {field: [sentences]}}}``, the
list named as the inline's prefix) it concerns, and the reasons above the form.
"""

from __future__ import annotations

from django.contrib.admin.utils import construct_change_message
from django.db import OperationalError
from django.forms import ModelForm
from django.forms.formsets import DELETION_FIELD_NAME, all_valid
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField

from .exceptions import WorkflowError, lock_conflict

_FORMSETS = "_service_write_formsets"
_REFUSAL = "_service_write_refusal"


class _Refused(Exception):
    def __init__(self, error: WorkflowError):
        super().__init__(str(error))
        self.error = error


def submitted_rows(formset) -> list:
    """The inline's forms that stand for a row once saved, in order: not marked for deletion, and
    not an extra form left as it was drawn. A service's row ``i`` is the ``i``-th of them."""
    rows = []
    for form in formset.forms:
        cleaned = getattr(form, "cleaned_data", None) or {}
        if formset.can_delete and cleaned.get(DELETION_FIELD_NAME):
            continue
        if form in formset.extra_forms and not form.has_changed():
            continue
        rows.append(form)
    return rows


def row_values(form) -> dict:
    """One inline row as a service takes it: its fields as typed, and the ``id`` of the row it edits."""
    values = {name: form.cleaned_data[name] for name in form._meta.fields
              if name in form.cleaned_data and not isinstance(form.fields.get(name), InlineForeignKeyField)}
    if form.instance.pk is not None:
        values["id"] = form.instance.pk
    return values


class RowsCheckedByServiceForm(ModelForm):
    """An inline row whose uniqueness among the rows is a rule of the service (asked against the
    rows as they will be, not row by row against the database as Django would)."""

    def validate_unique(self):
        pass


class RowsOfAKindFormSet(BaseInlineFormSet):
    """The rows of a parent that is one kind of a modelled-once document (``planning.Plan``,
    ``assessments.AssessmentRecord``): the rows' foreign key points at the base's key (``Plan.key``,
    the kind's ``plan_ptr_id``), not at the kind's own ``id``. Django's inline formset takes the
    parent's ``pk`` for the rows' key and for the hidden parent field it checks, so every row was
    refused ("The inline value did not match the parent instance") once a kind's ``id`` and its key
    differ; here both are the value the foreign key actually targets."""

    def _parent_value(self):
        return getattr(self.instance, self.fk.target_field.attname)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        setattr(form.instance, self.fk.attname, self._parent_value())
        return form

    def add_fields(self, form, index):
        super().add_fields(form, index)
        target = self.fk.target_field.attname
        if self._pk_field == self.fk or target == self.instance._meta.pk.attname:
            return  # the parent's pk is what the key targets: Django's own field is right
        form.fields[self.fk.name] = InlineForeignKeyField(
            self.instance, label=form.fields[self.fk.name].label, to_field=target)


class RowsCheckedByServiceFormSet(RowsOfAKindFormSet):
    def validate_unique(self):
        pass


def _non_field(form, messages) -> None:
    form.add_error(None, list(messages))


def _place_on_form(error: WorkflowError, form, list_names: set[str]) -> None:
    rows = getattr(error, "rows", None) or {}
    placed = {message for faults in rows.values() for fields in faults.values()
              for messages in fields.values() for message in messages}
    if not rows:  # with rows named, the rows are where the fault is
        for name, messages in (getattr(error, "field_errors", None) or {}).items():
            if name in list_names:
                continue  # the inline's own error
            if name in form.fields:
                form.add_error(name, list(messages))
            else:
                _non_field(form, messages)
            placed.update(messages)
    told = [reason for reason in error.reasons if reason not in placed]
    if told or not placed:
        _non_field(form, told or ["Nothing was saved."])


def _place_on_formsets(error: WorkflowError, formsets) -> None:
    rows = getattr(error, "rows", None) or {}
    field_errors = getattr(error, "field_errors", None) or {}
    for formset in formsets:
        formset.is_valid()  # validated as the first time; the refusal's sentences are added to that
        faults = rows.get(formset.prefix)
        if faults:
            forms = submitted_rows(formset)
            for index, fields in faults.items():
                if index >= len(forms):
                    continue
                for name, messages in fields.items():
                    forms[index].add_error(name if name in forms[index].fields else None, list(messages))
        elif formset.prefix in field_errors:
            formset.non_form_errors().extend(field_errors[formset.prefix])


class ServiceWriteAdminMixin:
    """Mix into a ModelAdmin (before ``admin.ModelAdmin``) whose change form a service saves;
    the subclass provides ``service_write``."""

    def service_write(self, request, form, formsets, change: bool):
        """Save what was typed through the service and return the saved object. ``form`` is
        valid, and so is every formset; raise the service's ``WorkflowError`` to refuse."""
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RefusalShown(form_class):
            def full_clean(self):
                super().full_clean()
                refusal = getattr(request, _REFUSAL, None)
                if refusal is not None and self.is_bound:
                    names = {formset.prefix for formset in getattr(request, _FORMSETS, [])}
                    _place_on_form(refusal, self, names)

        RefusalShown.__name__ = form_class.__name__
        return RefusalShown

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        setattr(request, _FORMSETS, formsets)
        refusal = getattr(request, _REFUSAL, None)
        if refusal is not None and request.method == "POST":
            _place_on_formsets(refusal, formsets)
        return formsets, inline_instances

    def save_form(self, request, form, change):
        # Django asks this once the form is valid, before it checks the inlines: the write
        # waits for them, and returns the object the service saved.
        formsets = getattr(request, _FORMSETS, [])
        if not all_valid(formsets):
            return form.instance  # Django draws the inlines' errors and saves nothing
        try:
            return self.service_write(request, form, formsets, change)
        except WorkflowError as error:
            raise _Refused(error) from error
        except OperationalError as error:
            conflict = lock_conflict(error)
            if conflict is None:
                raise
            raise _Refused(conflict) from error

    def save_model(self, request, obj, form, change):
        """Saved already, with everything else typed, by ``service_write``."""

    def save_related(self, request, form, formsets, change):
        """Saved already, with everything else typed, by ``service_write``."""

    def construct_change_message(self, request, form, formsets, add=False):
        # Django's message names the inline objects its formsets saved; here the service saved
        # them, so the message names the lists that changed.
        message = construct_change_message(form, [], add)
        changed = [str(formset.model._meta.verbose_name_plural) for formset in formsets if formset.has_changed()]
        if changed:
            if message and "changed" in message[0]:
                message[0]["changed"]["fields"].extend(changed)
            else:
                message.append({"changed": {"fields": changed}})
        return message

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # Django's transaction saved nothing. The page again, from what was posted, with the
            # refusal beside what it concerns (the forms read it from the request).
            setattr(request, _REFUSAL, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)
