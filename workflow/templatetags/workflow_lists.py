"""``{% lean_result_list cl %}``: Django's ``{% result_list cl %}`` with the rows drawn by the
model admin's ``row_cells(obj)`` (the ``<td>`` of each ``list_display`` column after the action
checkbox, built with ``format_html``), e.g. ``workflow.admin_views.TaskerAdmin``."""

from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers, result_hidden_fields
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def lean_result_list(cl):
    headers = list(result_headers(cl))
    model_admin = cl.model_admin
    with_checkbox = "action_checkbox" in cl.list_display
    rows = []
    for obj in cl.result_list:
        cells = [format_html('<td class="action-checkbox">{}</td>', model_admin.action_checkbox(obj))] \
            if with_checkbox else []
        cells.extend(model_admin.row_cells(obj))
        # One item per row: the template draws it once instead of once per cell.
        rows.append(ResultList(None, [mark_safe("".join(cells))]))  # noqa: S308 (cells come from format_html)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows,
    }
