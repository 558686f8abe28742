from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Invented cases for development and the tests: `manage.py seed_demo`."""

    name = "demo"
    verbose_name = "Demo data"
