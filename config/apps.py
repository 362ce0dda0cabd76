from django.contrib.admin.apps import AdminConfig


class WorkplaceAdminConfig(AdminConfig):
    default_site = "config.admin_site.WorkplaceAdminSite"
