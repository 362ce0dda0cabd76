"""``{% form_token %}``: the one-time token of an admin form that POSTs an action, a fresh random
value each time the form is drawn (``workflow.admin_views.once_per_form`` records it when the
form is first submitted; drawing a page writes nothing).

``{% field_in_row bound_field %}``: a field of an inline table as Django draws it, with its
accessible name in the HTML the server sends ("Organization (row 2)"; "… (new row)" in the
template row that "Add another" copies): a table cell has no ``<label>``, only a column header
that assistive technology does not tie to the control (WCAG 1.3.1, 4.1.2)."""

import secrets

from django import template
from django.utils.html import format_html

register = template.Library()

CHOICES_WITH_OWN_LABELS = ("radio", "checkbox")  # RadioSelect, CheckboxSelectMultiple: one <label> per option


@register.simple_tag
def form_token() -> str:
    from workflow.admin_views import FORM_TOKEN_FIELD

    return format_html('<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, secrets.token_urlsafe(24))


@register.simple_tag
def field_in_row(bound_field) -> str:
    widget = bound_field.field.widget
    if bound_field.is_hidden or widget.attrs.get("aria-label") or (
            getattr(widget, "option_template_name", None) and getattr(widget, "input_type", "") in
            CHOICES_WITH_OWN_LABELS):
        return str(bound_field)
    row = bound_field.form.prefix.rpartition("-")[2]
    where = f"row {int(row) + 1}" if row.isdigit() else "new row"
    html = bound_field.as_widget(attrs={"aria-label": f"{bound_field.label} ({where})"})
    if bound_field.field.show_hidden_initial:
        html += bound_field.as_hidden(only_initial=True)
    return html
