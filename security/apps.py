from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security: markings, access and audit"

    def ready(self):
        from . import permissions

        permissions.register()
        from . import signals  # noqa: F401 (audit of sign-in, memberships, permissions, admin changes)
