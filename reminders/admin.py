"""Admin: the policy (editable), each tasker's reminders (read-only, with status and error),
and the signed-in user's own notifications with an unread count."""

from django.contrib import admin, messages
from django.utils.html import format_html

from security.admin_mixins import InlineFollowsParentMixin, ReadOnlyAdminMixin

from .models import Notification, Reminder, ReminderPolicy, ReminderStep, UserPreference
from .selectors import notifications_of, notifications_unread_count
from .services import notifications_mark_read, user_preference_set


class ReminderStepInline(InlineFollowsParentMixin, admin.TabularInline):
    model = ReminderStep
    extra = 0
    fields = ["kind", "offset_working_days", "audience", "is_active"]


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "content_type", "workflow_kind", "is_active"]
    list_filter = ["is_active"]
    inlines = [ReminderStepInline]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, to see what each tasker was (or will be) reminded of. Read-only: only the
    services change a reminder's status."""

    list_display = ["tasker_link", "step", "recipient", "due_at", "status", "attempts", "sent_at", "last_error",
                    "status_reason"]
    # "Failed" (status) lists the deliveries the mail system refused, with its answer.
    list_filter = ["status", "possible_duplicate", "digest", "step__kind", "notice_kind"]
    search_fields = ["tasker__document_title", "recipient__username", "recipient__email", "message_id"]
    list_select_related = ["tasker__organization", "step", "recipient"]
    date_hierarchy = "due_at"
    raw_id_fields = ["tasker"]

    def get_queryset(self, request):
        # Reminders name documents: a user sees those of documents they may see (the kinds
        # register their visibility with the workflow engine). Administrators have need-to-know
        # for every document there, not a clearance they do not hold: the selectors say so too.
        reminders = super().get_queryset(request)
        from django.db.models import Q

        from workflow.registry import visible_documents_q

        # A notice (no tasker) is its recipient's: its text was written for them.
        return reminders.filter(visible_documents_q(request.user, content_type_field="tasker__content_type",
                                                    object_id_field="tasker__object_id")
                                | Q(tasker__isnull=True, recipient_id=request.user.pk))

    @admin.display(description="tasker", ordering="tasker")
    def tasker_link(self, obj: Reminder) -> str:
        if obj.tasker_id is None:
            return f"Notice: {obj.get_notice_kind_display()}"
        return format_html('<a href="?tasker__id__exact={}">{}</a>', obj.tasker_id, obj.tasker)



@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every signed-in staff user sees their own notifications, and only those."""

    list_display = ["text", "open_link", "created_at", "is_read"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    actions = ["mark_read"]
    readonly_fields = ["text", "link", "created_at", "read_at"]
    fields = readonly_fields

    def get_queryset(self, request):
        return notifications_of(request.user)


    @admin.display(boolean=True, description="read")
    def is_read(self, obj: Notification) -> bool:
        return obj.is_read

    @admin.display(description="link")
    def open_link(self, obj: Notification) -> str:
        return format_html('<a href="{}">open</a>', obj.link) if obj.link else ""

    @admin.action(description="Mark as read")
    def mark_read(self, request, queryset):
        count = notifications_mark_read(user=request.user, notification_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} notification{'s' if count != 1 else ''} marked as read.",
                          messages.SUCCESS)

    def get_actions(self, request):
        # Actions normally require change permission; marking one's own as read is always allowed.
        actions = super().get_actions(request)
        action = self.get_action("mark_read")
        actions.setdefault("mark_read", action)
        return actions

    def changelist_view(self, request, extra_context=None):
        unread = notifications_unread_count(request.user)
        extra_context = {**(extra_context or {}), "title": f"My notifications ({unread} unread)"}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    """Each signed-in person's own notification preference, and no one else's (a system
    administrator's included): the list holds one row at most, another person's is not found."""

    list_display = ["user", "daily_digest", "time_zone"]
    fields = ["daily_digest"]  # the time zone is chosen on "My preferences" (/admin/preferences/)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user_id=request.user.pk)

    # Only the person's own: reminders/permissions.py.

    def add_view(self, request, form_url="", extra_context=None):
        # One preference each: where it exists, "add" opens it.
        own = UserPreference.objects.filter(user_id=request.user.pk).first()
        if own is not None:
            from django.shortcuts import redirect

            return redirect("admin:reminders_userpreference_change", own.pk)
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        saved = user_preference_set(user=request.user, daily_digest=obj.daily_digest, by=request.user)
        obj.pk, obj.user = saved.pk, saved.user
