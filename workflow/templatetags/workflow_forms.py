"""``{% form_token %}``: the one-time token of an admin form that POSTs an action, a fresh random
value each time the form is drawn (``workflow.admin_views.once_per_form`` records it when the
form is first submitted; drawing a page writes nothing)."""

import secrets

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def form_token() -> str:
    from workflow.admin_views import FORM_TOKEN_FIELD

    return format_html('<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, secrets.token_urlsafe(24))
