"""Admin building blocks shared by every app (security is at the bottom of the layers)."""


class ReadOnlyAdminMixin:
    """Records that nobody adds, changes or deletes in the admin: trails, outboxes and lists
    that only services write. Viewing stays the subclass's decision."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
