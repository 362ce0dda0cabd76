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


class AuthorityAdminMixin:
    """The admin's permissions are the declared rules (``organizations.authority``), asked with
    the object: who may open the model's pages, add, change or delete one. Every registered
    model admin uses it (a test checks), so there is no admin page whose access comes from
    hand-assigned Django permissions."""

    def _may(self, request, action: str, obj=None) -> bool:
        from organizations.authority import may

        return may(request.user, action, self.model, obj)

    def has_module_permission(self, request):
        return any(self._may(request, action) for action in ("view", "add", "change", "delete"))

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", obj) or self._may(request, "change", obj)

    def has_add_permission(self, request, *args):
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)


class InlineFollowsParentMixin:
    """An inline is part of its parent: it may be added to, changed or deleted from exactly when
    the parent may be changed, and seen when the parent may be seen (``obj`` is the parent)."""

    def _may_parent(self, request, action: str, obj) -> bool:
        from organizations.authority import may

        return may(request.user, action, self.parent_model, obj)

    def has_view_permission(self, request, obj=None):
        return self._may_parent(request, "view", obj) or self._may_parent(request, "change", obj)

    def has_add_permission(self, request, obj=None):
        return self._may_parent(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self._may_parent(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_parent(request, "change", obj)
