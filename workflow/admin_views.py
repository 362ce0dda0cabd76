"""Admin plumbing for any routed document: the panels on its change page (transitions with
their reasons, taskers, comment resolution matrix, history) and the POST views behind their
buttons. Thin: every view calls a workflow service and translates its domain error once."""

from __future__ import annotations

import functools
import io
import json

from django.contrib import admin, messages
from django.db import OperationalError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from organizations.models import with_article
from organizations.selectors import (
    label_of,
    organization_ids_acting_for,
    organization_label,
    organization_labels,
    predecessors_joined,
    successions_cited,
    with_organization_labels,
)
from runtime.dates import datetime_words
from security.admin_mixins import ReadOnlyAdminMixin
from security.audit import AuditAction, audit_record

from . import admin_answers, services
from .admin_lists import BoundedCountAdminMixin
from .admin_taskers import tasker_manage, tasker_management_panels
from .admin_urls import change_url
from .diagrams import route_step_notes, route_step_words, state_diagram_svg
from .exceptions import WorkflowError, lock_conflict
from .idempotency import Outcome, request_fingerprint, submission_once
from .inbox import my_work_count_column, my_work_count_read
from .models import IdempotencyKey, Route, Step, SubmissionChannel, Tasker
from .registry import registered_documents
from .selectors import (
    comment_resolution,
    comments_in_matrix_order,
    comments_of,
    document_read_once,
    form_drafts_of,
    history_of,
    route_default,
    route_steps_resolved,
    route_steps_successors,
    taskers_of,
)


def _report(request, error: WorkflowError | OperationalError) -> None:
    if isinstance(error, OperationalError):
        # A deadlock or lock timeout no service retried: a conflict (nothing was saved), not a 500.
        conflict = lock_conflict(error)
        if conflict is None:
            raise error
        error = conflict
    for reason in error.reasons:
        messages.error(request, reason)


FORM_TOKEN_FIELD = "form_token"  # noqa: S105 (not a secret; drawn by {% form_token %}, templatetags/workflow_forms.py)
ALREADY_SUBMITTED = "This was already submitted: "


def once_per_form(view):
    """A POST view of an admin form that acts: the form's one-time token makes a second
    submission of the same rendered form (a double click, the browser's back button and submit
    again) do nothing but show the first outcome's messages and go where the first went
    (``workflow.idempotency``, the mechanism behind the API's Idempotency-Key). An outcome with
    an error message (a refusal, which wrote nothing) is not recorded, so submitting that form
    again tries again. A POST without a token acts as before."""

    @functools.wraps(view)
    def once(model_admin, request, *args, **kwargs):
        token = request.POST.get(FORM_TOKEN_FIELD, "").strip() if request.method == "POST" else ""
        if not token or not request.user.is_authenticated:
            return view(model_admin, request, *args, **kwargs)
        fields = [(name, value) for name, values in request.POST.lists() if name not in (
            FORM_TOKEN_FIELD, "csrfmiddlewaretoken") for value in values]
        fingerprint = request_fingerprint(method=request.method, path=request.path, body=fields)
        # What the view told the user is its outcome; Django's message storage has no public way
        # to list the messages this request added.
        queued = getattr(messages.get_messages(request), "_queued_messages", [])
        before = len(queued)

        def outcome(response):
            said = [(m.level, str(m.message)) for m in queued[before:]]
            if not isinstance(response, HttpResponseRedirect) or any(level >= messages.ERROR for level, _ in said):
                return None
            return Outcome(status_code=response.status_code, headers={"Location": response["Location"]},
                           body=json.dumps(said).encode())

        result = submission_once(user=request.user, channel=SubmissionChannel.ADMIN, key=token[:255],
                                 fingerprint=fingerprint, perform=lambda: view(model_admin, request, *args, **kwargs),
                                 outcome=outcome)
        if not isinstance(result, IdempotencyKey):
            return result
        if result.fingerprint != fingerprint:
            messages.error(request, "This form was already submitted with other values; nothing was changed now. "
                                    "Reload the page to make another change.")
        for level, text in json.loads(bytes(result.body) or b"[]"):
            messages.add_message(request, level, ALREADY_SUBMITTED + text)
        return HttpResponseRedirect(result.headers["Location"])

    return once


def transition_request(request, document, name: str, *, data: dict | None = None):
    """What a transition's POST does on a page of its own (a confirmation page): the transition
    by the signed-in user with the form's comment and the state the page showed (a change made
    meanwhile is a conflict), then the outcome as a message: done, or every reason it was
    refused. Returns the document as it is now."""
    try:
        document = services.transition_perform(
            document=document, name=name, by=request.user, comment=request.POST.get("comment", ""),
            expected_state=request.POST.get("expected_state") or None, data=data or {},
        )
        messages.success(request, f"Done: {services.transition_rules(type(document), name).label}. "
                                  f"The {services.kind_label(document)} is now {services.state_label(document)}.")
    except (WorkflowError, OperationalError) as error:
        _report(request, error)
    return document


class RoutedDocumentAdminMixin:
    """Mix into a ModelAdmin whose model is a routed document. The subclass provides
    ``visible_queryset(request)`` (need-to-know); every view here goes through it, so a
    document the user may not see is a 404."""

    change_form_template = "admin/workflow/routed_document_change_form.html"
    # What the change page shows of the document besides its own columns: read with it, once.
    change_select_related: tuple[str, ...] = ()
    change_prefetch_related: tuple[str, ...] = ()
    # Many-to-many relations the page shows, of the document or of rows prefetched with it
    # ("sections__rel_to": the sections are prefetched too), all read in one query
    # (``runtime.prefetch``) rather than one each.
    change_prefetch_together: tuple[str, ...] = ()
    # Rows of the document the page shows (reverse foreign keys: a plan's sections, objectives,
    # activities and annexes, which its banner reads as portions), each with the relations its row
    # shows: read together after the document in one query (``runtime.prefetch.rows_prefetch``),
    # not in one query each, whatever kinds of rows a document gains.
    change_rows_together: dict[str, tuple[str, ...]] = {}

    def visible_queryset(self, request):
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = self.visible_queryset(request)
        if request.__dict__.get("_workflow_reading_object"):
            parents = [lookup.rsplit("__", 1)[0] for lookup in self.change_prefetch_together
                       if "__" in lookup and lookup.split("__", 1)[0] not in self.change_rows_together]
            queryset = queryset.select_related(*self.change_select_related).prefetch_related(
                *dict.fromkeys([*self.change_prefetch_related, *parents]))
            count = my_work_count_column(request.user)
            if count is not None:
                queryset = queryset.annotate(_my_work_count=count)
            if any(field.name == "owner" for field in self.model._meta.concrete_fields):
                # The owner's predecessors, for the sentences naming it (refusals, panels).
                queryset = queryset.annotate(_owner_formerly=predecessors_joined("owner_id"))
        return queryset

    def get_object(self, request, object_id, from_field=None):
        # The change view asks twice per request (our panels, then Django's form): read once,
        # with the related rows its banner, panels and form display.
        cache = request.__dict__.setdefault("_workflow_objects", {})
        key = (self.model, str(object_id), from_field)
        if key not in cache:
            request._workflow_reading_object = True
            try:
                cache[key] = super().get_object(request, object_id, from_field)
            finally:
                request._workflow_reading_object = False
            if cache[key] is not None and "_owner_formerly" in cache[key].__dict__ \
                    and type(cache[key])._meta.get_field("owner").is_cached(cache[key]):
                cache[key].owner.formerly = cache[key]._owner_formerly  # named by today's name, no query more
            if cache[key] is not None:
                from organizations.authority import read_as_visible

                read_as_visible(cache[key], request.user)  # it came through the need-to-know queryset
                if self.change_rows_together:
                    from runtime.prefetch import rows_prefetch

                    rows_prefetch(cache[key], [(name, getattr(cache[key], name).all().select_related(*related))
                                               for name, related in self.change_rows_together.items()])
                _read_together(cache[key], self.change_prefetch_together)
                counted = cache[key].__dict__.pop("_my_work_count", None)
                if counted is not None:  # the header's count, read with the document
                    my_work_count_read(request.user, counted)
        return cache[key]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/transition/<str:name>/", wrap(self.transition_view), name="{}_{}_transition".format(*info)),
            path("<int:pk>/respond/<int:tasker_id>/", wrap(self.respond_view), name="{}_{}_respond".format(*info)),
            path("<int:pk>/acknowledge/<int:tasker_id>/", wrap(self.acknowledge_view),
                 name="{}_{}_acknowledge".format(*info)),
            path("<int:pk>/adjudicate/<int:comment_id>/", wrap(self.adjudicate_view),
                 name="{}_{}_adjudicate".format(*info)),
            path("<int:pk>/agree/<int:comment_id>/", wrap(self.agree_view), name="{}_{}_agree".format(*info)),
            path("<int:pk>/adjudications-draft/", wrap(self.adjudications_draft_view),
                 name="{}_{}_adjudications_draft".format(*info)),
            path("<int:pk>/taskers/<int:tasker_id>/<slug:action>/", wrap(self.tasker_manage_view),
                 name="{}_{}_tasker_manage".format(*info)),
            path("<int:pk>/comments.xlsx", wrap(self.comments_export_view), name="{}_{}_comments_xlsx".format(*info)),
            path("<int:pk>/way-forward/<str:name>/", wrap(self.way_forward_view),
                 name="{}_{}_way_forward".format(*info)),
        ] + super().get_urls()

    def _document(self, request, pk):
        return get_object_or_404(self.visible_queryset(request), pk=pk)

    def _back(self, document):
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                            args=[document.pk]))

    # --- POST views -----------------------------------------------------------------------

    @once_per_form
    def transition_view(self, request, pk, name):
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        data = {k: v for k, v in request.POST.items() if k in ("suspense", "suspense_reason") and v}
        rules = getattr(getattr(type(document), name, None), "workflow_rules", None)
        if rules is not None and rules.destructive and request.POST.get("confirmed") != "yes":
            # The page's form asks to tick "Yes, …" (no script needed): without it nothing is done,
            # and the page comes back with what was typed.
            return admin_answers.transition_refused(self, request, document, name, WorkflowError(
                f"Nothing was done: tick “Yes, {rules.label.lower()}” to confirm it."))
        try:
            document = services.transition_perform(
                document=document, name=name, by=request.user, comment=request.POST.get("comment", ""),
                expected_state=request.POST.get("expected_state") or None, data=data,
            )
        except (WorkflowError, OperationalError) as error:
            # Not now, a condition, a conflict: the page again, the comment as typed, the reasons beside it.
            return admin_answers.transition_refused(self, request, document, name, error)
        messages.success(request, f"Done: {services.transition_rules(type(document), name).label}. "
                                  f"The {services.kind_label(document)} is now {services.state_label(document)}.")
        return self._back(document)

    @once_per_form
    def way_forward_view(self, request, pk, name):
        """A way forward that is no transition of this document (a returned plan's new version):
        the kind's service, which checks who may and when, then the document it leads to."""
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        way = document.workflow.way_forward(name) if document.workflow is not None else None
        if way is None or way.perform is None:
            raise Http404
        try:
            result = way.perform(document=document, by=request.user)
        except (WorkflowError, OperationalError) as error:
            _report(request, error)
            return self._back(document)
        messages.success(request, f"Done: {way.label}. {str(result)} is now {services.state_label(result)}.")
        return self._back(result)

    @once_per_form
    def respond_view(self, request, pk, tasker_id):
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        tasker = get_object_or_404(taskers_of(document), pk=tasker_id)
        return admin_answers.respond(self, request, document, tasker)

    @once_per_form
    def acknowledge_view(self, request, pk, tasker_id):
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        tasker = get_object_or_404(taskers_of(document), pk=tasker_id)
        try:
            services.tasker_acknowledge(tasker=tasker, by=request.user)
            messages.success(request, f"Tasker acknowledged for {organization_label(tasker.organization)}.")
        except (WorkflowError, OperationalError) as error:
            _report(request, error)
        return self._back(document)

    @once_per_form
    def adjudicate_view(self, request, pk, comment_id):
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        comments = comments_in_matrix_order(comments_of(document))
        comment = next((c for c in comments if c.pk == comment_id), None)
        if comment is None:
            raise Http404
        return admin_answers.adjudicate(self, request, document, comment, comments)

    @once_per_form
    def adjudications_draft_view(self, request, pk):
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        return admin_answers.matrix_draft(self, request, document, comments_in_matrix_order(comments_of(document)))

    @once_per_form
    def agree_view(self, request, pk, comment_id):
        if request.method != "POST":
            raise Http404
        document = self._document(request, pk)
        comment = get_object_or_404(comments_of(document), pk=comment_id)
        try:
            services.comment_agree(comment=comment, by=request.user)
            messages.success(request, f"{organization_label(comment.organization)} agreed with the adjudication of its comment.")
        except (WorkflowError, OperationalError) as error:
            _report(request, error)
        return self._back(document)

    @once_per_form
    def tasker_manage_view(self, request, pk, tasker_id, action):
        """Re-assign, return as misrouted, remove, move the suspense (``admin_taskers``)."""
        return tasker_manage(self, request, pk, tasker_id, action)

    def comments_export_view(self, request, pk):
        """The comment resolution matrix as staff exchange it: one row per comment."""
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        from security.spreadsheets import xlsx_append

        document = self._document(request, pk)
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Comment resolution matrix"
        marking = getattr(document, "banner", "")
        # Every cell through security.spreadsheets: titles and comments are typed by users.
        xlsx_append(sheet, [marking])
        xlsx_append(sheet, [f"{document} — exported {datetime_words()}"])
        # The columns staff exchange (and ``comment_matrix`` reads back: the organization by its
        # acronym), the office as it is named today beside it (for the reader; the import skips it),
        # then the adjudication.
        header = ["#", "Organization", "Office today", "Category", "Section", "Page", "Paragraph", "Line", "Comment",
                  "Rationale", "Proposed change", "Decision", "Decision rationale", "Adjudicated by",
                  "Adjudicated on", "Where it stands"]
        xlsx_append(sheet, header)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        comments = comments_in_matrix_order(
            comments_of(document).annotate(organization_formerly=predecessors_joined("organization_id")))
        with_organization_labels(comments)  # "USD(A&S), formerly USD(AT&L)", read with the comments
        for number, comment in enumerate(comments, start=1):
            xlsx_append(sheet, [number, str(comment.organization), comment.organization_label,
                          comment.get_category_display(), comment.section,
                          comment.page, comment.paragraph, comment.line, comment.text, comment.rationale,
                          comment.proposed_change, comment.get_decision_display(),
                          comment.decision_rationale, str(comment.adjudicated_by or ""),
                          datetime_words(comment.adjudicated_at) if comment.adjudicated_at else "",
                          comment_resolution(comment)])
        for row in sheet.iter_rows(min_row=4):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for column, width in zip("ABCDEFGHIJKLMNOP", (5, 14, 24, 14, 10, 8, 10, 8, 50, 40, 40, 18, 40, 20, 14, 40),
                                 strict=True):
            sheet.column_dimensions[column].width = width
        xlsx_append(sheet, [marking])
        buffer = io.BytesIO()
        workbook.save(buffer)
        audit_record(action=AuditAction.EXPORT, description=f"Comment resolution matrix exported: {services.kind_label(document)} #{document.pk}",
                     request=request, obj=document)
        response = HttpResponse(buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="comment-matrix-{self.opts.model_name}-{pk}.xlsx"'
        return response

    # --- the change page ------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        document = self.get_object(request, object_id)
        if document is None:
            raise Http404
        my_orgs = set(organization_ids_acting_for(request.user))
        # Each tasked office with the predecessors whose duties it holds, in the taskers' query.
        taskers = list(taskers_of(document).annotate(organization_formerly=predecessors_joined("organization_id"))
                       .order_by("step", "organization__acronym"))
        comments = comments_in_matrix_order(comments_of(document))
        # Offices by today's name, the directive's beside it, with no query of their own: a
        # comment's organization is its tasker's. The sentences below (where a comment stands,
        # why a transition waits) name them from these rows.
        route_steps = _route_steps_shown(document)
        labels = {t.organization_id: label_of(t.organization, t.organization_formerly) for t in taskers}
        for row in [*taskers, *comments]:
            row.organization_label = labels.get(row.organization_id) or label_of(row.organization)
        # A step not tasked yet: its office as the request already knows it (a designated office's
        # holder), else as the route was resolved (the snapshot's ``label``): no query.
        untasked = {s["organization_id"] for s in route_steps if s.get("organization_id")} - labels.keys()
        labels = {**organization_labels(untasked, read=False), **labels} if untasked else labels
        for comment in comments:  # where each row stands, and whether the user may agree for its organization
            comment.resolution = comment_resolution(comment)
            comment.may_agree = (comment.organization_id in my_orgs and comment.commenter_agreed_at is None
                                 and services.comment_agree_refusal(comment=comment, document=document,
                                                                    by=request.user) is None)
        with document_read_once(document, taskers=taskers, comments=comments):
            transitions = services.transitions_available(document=document, user=request.user)
            ways_forward = ways_forward_offered(document, request.user)
        # The user's drafts, read (once) only if the page draws a form that may have one.
        drafts = functools.cache(lambda: form_drafts_of(user=request.user, document=document))
        answer_forms, answer_others = admin_answers.answer_panels(request, document, taskers, my_orgs, drafts)
        adjudicator = services.comment_adjudicator(document=document, by=request.user) is not None
        step = document.current_step()
        to_adjudicate = [c for c in comments if adjudicator and step and not c.decision and c.tasker.step == step]
        # The decision first: what the person may do now; the rest of the document folds below.
        # A transition refused a moment ago stays on top with what was typed and why.
        typed = admin_answers.transition_typed(request)
        allowed = sorted((t for t in transitions if t.allowed or (typed and t.name == typed["name"])),
                         key=lambda t: t.destructive)
        decision = bool(answer_forms or to_adjudicate or any(not t.destructive for t in allowed)
                        or any(w["allowed"] for w in ways_forward))
        request._workflow_fold = decision and not self.has_change_permission(request, document)
        elsewhere = [t for t in transitions if not t.allowed and not t.from_here]
        extra_context.update(
            workflow_document=document,
            workflow_state_label=document.get_state_display(),
            workflow_banner=getattr(document, "banner", ""),
            # The banner's colour: the document's level, or the level it carries from what it is
            # about (an assessment, its plan's); a kind without a marking shows no banner.
            workflow_level=getattr(document, "banner_level", None) or getattr(document, "classification", ""),
            workflow_diagram=state_diagram_svg(type(document), current=document.state,
                                               notes=route_step_notes(type(document), route_steps, labels)),
            workflow_help_url=reverse("admin:workflow_help", args=[self.opts.app_label, self.opts.model_name]),
            workflow_transitions=transitions,
            workflow_allowed=allowed,
            workflow_ways_forward=ways_forward,
            workflow_why_not=[t for t in transitions if not t.allowed and t.from_here and t not in allowed]
            + [w for w in ways_forward if not w["allowed"]],
            workflow_elsewhere=elsewhere,
            workflow_elsewhere_reason=(f"Not possible while the {services.kind_label(document)} is "
                                       f"{services.state_label(document)}."),
            workflow_has_decision=decision,
            workflow_to_adjudicate=len(to_adjudicate),
            workflow_taskers=taskers,
            workflow_answer_forms=answer_forms,
            workflow_answer_others=answer_others,
            workflow_comments=comments,
            workflow_matrix=admin_answers.matrix_rows(request, document, comments, drafts,
                                                      may_adjudicate=adjudicator),
            workflow_transition_typed=admin_answers.transition_typed(request),
            workflow_history=list(history_of(document)),
            workflow_can_adjudicate=adjudicator,
            workflow_url_prefix=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                        args=[document.pk]).rsplit("change/", 1)[0],
            workflow_today=timezone.localdate(),
            workflow_tasker_management=tasker_management_panels(request, document, taskers),
        )
        return super().change_view(request, object_id, form_url, extra_context)

    # For a person who has a decision to make on a document they may not edit, the document's own
    # fields and rows fold below the decision (<details>, Django's "collapse").
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not request.__dict__.get("_workflow_fold"):
            return fieldsets
        folded = []
        for number, (name, options) in enumerate(fieldsets):
            classes = tuple(options.get("classes", ()))
            folded.append((name or ("Summary" if number == 0 else "Details"),
                           {**options, "classes": classes if "collapse" in classes else (*classes, "collapse")}))
        return folded

    def get_formsets_with_inlines(self, request, obj=None):
        # A reader's inlines (read-only) show rows the page has already read with the document
        # (its banner reads every portion): reuse them rather than read them again; the rows of
        # the others are read together, in one query (``runtime.prefetch.rows_prefetch``).
        from runtime.prefetch import rows_prefetch

        formsets, rows = [], []
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            queryset = inline.get_queryset(request) if request.method == "GET" and obj is not None else None
            # Only an inline showing every row of the document (no filter of its own) reuses them.
            if queryset is not None and not queryset.query.where and not inline.has_change_permission(request, obj):
                fk = formset.fk
                rows.append((fk.remote_field.get_accessor_name(),
                             queryset.filter(**{fk.attname: getattr(obj, fk.target_field.attname)})))
                formset = _rows_read_with_the_document(formset, queryset)
            formsets.append((formset, inline))
        if rows:
            rows_prefetch(obj, rows)
        yield from formsets

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if request.__dict__.get("_workflow_fold"):
            for inline in inlines:
                classes = tuple(inline.classes or ())
                inline.classes = classes if "collapse" in classes else (*classes, "collapse")
        return inlines


def _read_together(document, lookups) -> None:
    """The many-to-many relations ``lookups`` of ``document`` and of its rows already prefetched
    (``RoutedDocumentAdminMixin.change_prefetch_together``), in one query."""
    from runtime.prefetch import many_to_many_prefetch

    relations = []
    for lookup in lookups:
        *path, name = lookup.split("__")
        instances = [document]
        for part in path:
            instances = [row for instance in instances for row in getattr(instance, part).all()]
        relations.append((instances, name))
    many_to_many_prefetch(relations)


def _rows_read_with_the_document(formset_class, queryset):
    """``formset_class`` whose rows are those already prefetched on its parent (when they are),
    completed with what the inline's own queryset reads with them (its select_related and
    prefetch_related, each read once for all the rows, skipped where already read)."""
    from django.db.models import prefetch_related_objects

    related = queryset.query.select_related
    lookups = [*(related.keys() if isinstance(related, dict) else ()), *queryset._prefetch_related_lookups]

    class FromTheDocument(formset_class):
        def get_queryset(self):
            if not hasattr(self, "_queryset"):
                accessor = self.fk.remote_field.get_accessor_name()
                cached = getattr(self.instance, "_prefetched_objects_cache", {}).get(accessor)
                if cached is None:
                    return super().get_queryset()
                rows = sorted(cached, key=lambda row: row.pk) if not cached.ordered else list(cached)
                prefetch_related_objects(rows, *lookups)
                self._queryset = rows
            return self._queryset

    FromTheDocument.__name__ = FromTheDocument.__qualname__ = formset_class.__name__
    return FromTheDocument


def _route_steps_shown(document) -> list[dict]:
    """The steps the diagram's tooltips show: the route the document started with, or, before it
    starts, the route option chosen for it (read only when one is)."""
    steps = (document.route_snapshot or {}).get("steps") or []
    if not steps and getattr(document, "route_id", None):
        steps = route_steps_resolved(document.route)
    return steps


def ways_forward_offered(document, user) -> list[dict]:
    """The ways forward out of the document's state that its kind offers to people (a returned
    plan's "Start a new version"), each with whether ``user`` may take it now and, if not, why."""
    workflow = getattr(document, "workflow", None)
    offered = []
    for way in workflow.ways_forward_offered() if workflow is not None else ():
        if way.source != document.state:
            continue
        reasons = []
        refusals = [actor.resolve(document, user) for actor in way.actors]
        if not any(capacity for capacity, _why in refusals):
            reasons.append(refusals[0][1])
        for condition in way.conditions:
            reasons.extend(condition(document))
        offered.append({"name": way.name, "label": way.label, "allowed": not reasons, "reasons": reasons})
    return offered


@functools.lru_cache(maxsize=4096)
def _date_shown(day) -> str:
    """A date as the admin shows it (``DATE_FORMAT``, localized), formatted once per date."""
    from django.utils.formats import date_format

    return date_format(day)


@admin.register(Tasker)
class TaskerAdmin(ReadOnlyAdminMixin, BoundedCountAdminMixin, admin.ModelAdmin):
    """'My taskers': the open taskers of the organizations the signed-in user acts for."""

    list_display = ("document_link", "step", "organization", "state", "suspense", "overdue", "is_seam")
    # The document is the link; a second, row-wide link to the read-only tasker would wrap it
    # (an anchor inside an anchor, which browsers break apart) and cost a URL per row.
    list_display_links = None
    list_filter = ("step", "state", "organization__kind")
    search_fields = ("document_title", "organization__acronym")
    list_select_related = ("organization", "content_type")
    date_hierarchy = "suspense"
    actions = ["acknowledge_selected", "export_csv", "export_xlsx"]

    # What a row shows (row_cells, the checkbox's label): the page reads only these columns.
    list_columns = ("object_id", "step", "state", "suspense", "is_seam", "document_title", "organization__acronym",
                    "organization__current_acronym", "content_type__app_label", "content_type__model")


    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if queryset.model is self.model:  # the history page pages the admin's log entries through here too
            queryset = queryset.only(*self.list_columns)
        return super().get_paginator(request, queryset, per_page, orphans=orphans,
                                     allow_empty_first_page=allow_empty_first_page)

    def get_queryset(self, request):
        from .selectors import taskers_for_user

        # The list shows no assignee: join only what it shows; each office with the predecessors
        # whose duties it holds, for its label (no query of its own).
        return (taskers_for_user(request.user).select_related(None).select_related(*self.list_select_related)
                .annotate(organization_formerly=predecessors_joined("organization_id")))

    @admin.display(description="Document")
    def document_link(self, tasker):
        from django.utils.html import format_html

        url = change_url(tasker.content_type, tasker.object_id)
        if url is None:  # a kind without an admin page
            return tasker.document_title
        return format_html('<a href="{}">{}</a>', url, tasker.document_title)

    @admin.display(boolean=True, description="Overdue")
    def overdue(self, tasker):
        return tasker.is_overdue()

    def row_cells(self, tasker) -> list[str]:
        """The row of ``list_display`` as Django's change list draws it (same cells, classes and
        icons), written out in one piece: the list is a work queue read page after page, and the
        generic cell-by-cell rendering cost more than reading the page
        (templates/admin/workflow/tasker/change_list.html)."""
        from django.contrib.admin.utils import display_for_value
        from django.utils.html import format_html

        icons = self.__dict__.get("_icons")
        if icons is None:  # the same two images on every row
            icons = self._icons = {value: display_for_value(value, "", boolean=True) for value in (True, False)}
        return [format_html(
            '<td class="field-document_link">{}</td><td class="field-step">{}</td>'
            '<td class="field-organization">{}</td><td class="field-state">{}</td>'
            '<td class="field-suspense nowrap">{}</td><td class="field-overdue">{}</td>'
            '<td class="field-is_seam">{}</td>',
            self.document_link(tasker), tasker.get_step_display(),
            label_of(tasker.organization, getattr(tasker, "organization_formerly", None)), tasker.get_state_display(),
            _date_shown(tasker.suspense), icons[tasker.is_overdue()], icons[bool(tasker.is_seam)],
        )]

    def _export(self, request, queryset, fmt):
        from collections import defaultdict

        from .exports import export_response

        taskers = list(queryset.select_related("organization", "content_type"))
        with_organization_labels(taskers)  # today's names, the directive's beside them
        by_kind = defaultdict(set)
        for tasker in taskers:
            by_kind[tasker.content_type].add(tasker.object_id)
        documents = {}
        for content_type, ids in by_kind.items():
            model = content_type.model_class()
            related = ["rel_to"] if hasattr(model, "rel_to") else []
            for document in model.objects.filter(pk__in=ids).prefetch_related(*related):
                documents[(content_type.pk, document.pk)] = document
        markings, rows = [], []
        for tasker in taskers:
            document = documents.get((tasker.content_type_id, tasker.object_id))
            marking = document.marking() if document is not None and hasattr(document, "marking") else None
            if marking is not None:
                markings.append(marking)
            rows.append([marking.portion if marking else "", tasker.document_title, tasker.get_step_display(),
                         tasker.organization_label, tasker.get_state_display(), tasker.suspense,
                         "yes" if tasker.is_overdue() else ""])
        return export_response(request=request, name="Taskers", header=[
            "Marking", "Document", "Step", "Organization", "State", "Suspense", "Overdue"],
            rows=rows, markings=markings, fmt=fmt)

    @admin.action(description="Export the selected taskers as CSV")
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description="Export the selected taskers as XLSX")
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")

    @admin.action(description="Acknowledge the selected taskers")
    def acknowledge_selected(self, request, queryset):
        done = 0
        for tasker in queryset.filter(state="open"):
            try:
                services.tasker_acknowledge(tasker=tasker, by=request.user)
                done += 1
            except (WorkflowError, OperationalError) as error:
                _report(request, error)
        messages.success(request, f"{done} tasker{'s' if done != 1 else ''} acknowledged.")


def workflow_help_view(admin_site, request, app_label, model_name):
    """The admin site's help page for one kind of document (``admin:workflow_help``): its whole
    route, the diagram and every transition's rules."""
    model = next((m for m in registered_documents()
                  if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)), None)
    if model is None:
        raise Http404
    labels = dict(model._meta.get_field("state").choices)
    transitions = []
    for rules, sources in services.declared_transitions(model):
        target = next(t.target for t in model._meta.get_field("state").get_all_transitions(model)
                      if t.name == rules.name)
        transitions.append({
            "label": rules.label, "from": ", ".join(labels.get(s, s) for s in sorted(sources)),
            "to": labels.get(target, target), "who": "; ".join(a.description for a in rules.actors),
            "conditions": [(c.__doc__ or c.__name__.replace("_", " ")).strip().splitlines()[0].rstrip(".")
                           for c in rules.conditions],
            "comment": rules.comment_label if rules.comment_required else "",
        })
    kind = getattr(model, "workflow_kind", "")
    route = route_default(kind) if kind else None
    # The route as it runs today: an office whose duties passed to successors shows them, each by
    # today's name with the directive's beside it ("USD(A&S), formerly USD(AT&L)").
    steps = route_steps_successors(route_steps_resolved(route)) if route is not None else []
    # The kind's route options (a higher approval that an office sets on a plan, with its citation):
    # their approval steps on the diagram's tooltips beside the default's, and a table each.
    option_routes = (list(Route.objects.filter(document_kind=kind, is_default=False)
                          .prefetch_related("steps__organization").order_by("name", "pk"))
                     if route is not None else [])
    option_steps = {option.pk: route_steps_successors(route_steps_resolved(option)) for option in option_routes}
    labels = organization_labels([step["organization_id"] for step in steps]
                                 + [step["organization_id"] for rows in option_steps.values() for step in rows])
    notes = route_step_notes(model, steps, labels)
    options = []
    for option in option_routes:
        rows = option_steps[option.pk]
        for state, words in route_step_notes(model, [s for s in rows if s["step"] == Step.APPROVAL], labels).items():
            notes.setdefault(state, []).extend(f"Route option “{option.name}”: {w}" for w in words)
        options.append({"route": option, "steps": _help_rows(rows, labels)})
    context = {**admin_site.each_context(request), "title": f"How {with_article(str(model._meta.verbose_name))} moves",
               "diagram": state_diagram_svg(model, notes=notes), "transitions": transitions,
               "model_name": model_name, "opts": model._meta, "route": route,
               "route_steps": _help_rows(steps, labels), "route_options": options,
               "successions": successions_cited() if route is not None else []}
    return TemplateResponse(request, "admin/workflow_help.html", context)


def _help_rows(steps: list[dict], labels: dict[int, str]) -> list[dict]:
    return [{"words": route_step_words({**step, "authority": ""}, labels), "authority": step["authority"] or "Not cited",
             "suspense": step["suspense_working_days"]} for step in steps]
