"""Admin widgets for reference data shown many times on one page."""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteMixin, AutocompleteSelect, AutocompleteSelectMultiple
from django.forms.models import ModelChoiceIterator

from runtime.request_memo import request_memo


class _ReadOnceAutocomplete(AutocompleteMixin):
    """An autocomplete whose selected options are labelled from one read of the (small,
    unfiltered) related table per request, instead of one query per widget: a plan's page has
    one country widget per section, objective and partner. Searching still goes through the
    admin's autocomplete view."""

    def optgroups(self, name, value, attr=None):
        model = self.choices.queryset.model
        field = self.choices.field
        labels = request_memo(("autocomplete-labels", model._meta.label, self.db), lambda: {
            str(obj.pk): field.label_from_instance(obj) for obj in model._default_manager.using(self.db).all()})
        selected = [str(v) for v in value if str(v) not in field.empty_values and str(v) in labels]
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        for pk in selected[: None if self.allow_multiple_selected else 1]:
            default[1].append(self.create_option(name, pk, labels[pk], set(selected), len(default[1])))
        return [default]


class ReadOnceAutocompleteSelect(_ReadOnceAutocomplete, AutocompleteSelect):
    pass


class ReadOnceAutocompleteSelectMultiple(_ReadOnceAutocomplete, AutocompleteSelectMultiple):
    pass


class CountryAutocompleteAdminMixin:
    """For a ModelAdmin or inline listing countries in ``autocomplete_fields``: the read-once
    widgets above for them."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and _is_country(db_field) and "widget" not in kwargs:
            kwargs["widget"] = ReadOnceAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and _is_country(db_field) and "widget" not in kwargs:
            kwargs["widget"] = ReadOnceAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _is_country(db_field) -> bool:
    from .models import Country

    return db_field.related_model is Country


class ReadOnceChoiceIterator(ModelChoiceIterator):
    """A form field's choices read once per request: an inline repeats the same select (e.g. an
    objective's GEF end states) on every row, and each row would read them again."""

    def __iter__(self):
        key = ("choices", self.queryset.model._meta.label, str(self.queryset.query), self.field.empty_label)
        return iter(request_memo(key, lambda: list(super(ReadOnceChoiceIterator, self).__iter__())))


def choices_read_once(formfield):
    """Make ``formfield`` (a model choice field) read its choices once per request."""
    if formfield is not None:
        formfield.iterator = ReadOnceChoiceIterator
        formfield.widget.choices = formfield.choices
    return formfield
