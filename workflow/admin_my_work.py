"""The admin's My work page (``admin:my_work``): one person's inbox, read by ``workflow.inbox``.
Thin: it reads the filters, asks the service, and lays the rows out."""

from __future__ import annotations

from urllib.parse import urlencode

from django.template.response import TemplateResponse

from .inbox import CANDIDATES_PER_KIND, DUE_STATES, SORTS, my_work, work_kinds


def _choice(request, name: str, allowed) -> str | None:
    value = request.GET.get(name) or None
    return value if value in allowed else None


def my_work_view(admin_site, request):
    """Every open tasker of the person and every decision the engine lets them make now, one
    page at a time, filtered by kind, organization and due state, sorted by suspense, document or
    organization."""
    kinds = {kind for kind, _label in work_kinds()}
    kind = _choice(request, "kind", kinds)
    due = _choice(request, "due", DUE_STATES)
    sort = _choice(request, "sort", SORTS) or "due"
    organization = request.GET.get("organization") or ""
    organization_id = int(organization) if organization.isascii() and organization.isdigit() \
        and len(organization) < 19 else None
    page = request.GET.get("p", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 7 and int(page) > 0 else 1
    work = my_work(request.user, kind=kind, organization=organization_id, due=due, sort=sort, page=page)
    if work.page > work.pages:
        work = my_work(request.user, kind=kind, organization=organization_id, due=due, sort=sort, page=work.pages)
    chosen = {"kind": kind or "", "organization": organization_id or "", "due": due or "", "sort": sort}

    def link(**change) -> str:
        query = {name: value for name, value in {**chosen, **change}.items() if value}
        return f"?{urlencode(query)}" if query else "?"

    columns = [(name, label, link(sort=name if sort != name else f"-{name}" if name == "due" else name),
                "ascending" if sort == name else "descending" if sort == f"-{name}" else "")
               for name, label in (("due", "Suspense"), ("document", "Document"), ("organization", "Organization"))]
    context = {
        **admin_site.each_context(request), "title": "My work", "work": work, "chosen": chosen,
        "due_states": DUE_STATES.items(), "sorts": SORTS.items(), "columns": {c[0]: c for c in columns},
        "previous_url": link(p=work.page - 1) if work.page > 1 else "",
        "next_url": link(p=work.page + 1) if work.page < work.pages else "",
        "filtered": bool(kind or due or organization_id), "candidates_per_kind": CANDIDATES_PER_KIND,
    }
    return TemplateResponse(request, "admin/workflow/my_work.html", context)
