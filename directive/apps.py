from django.apps import AppConfig


class DirectiveConfig(AppConfig):
    name = "directive"
    verbose_name = "DoDD 5132.03 traceability"
