"""Moderators see and resolve reports in the admin (as in 0012 for contact messages)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS = "Modérateurs"


def let_moderators_handle_reports(apps, schema_editor):
    # As in 0006: permissions are created after `migrate` unless created here first.
    registry = apps.get_app_config("registry")
    registry.models_module = True
    create_permissions(registry, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    registry.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=MODERATORS).first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="registry",
                codename__in=["view_report", "change_report"],
            )
        )


def take_them_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=MODERATORS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="registry",
                codename__in=["view_report", "change_report"],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0015_help_texts_french_typography"),
    ]

    operations = [migrations.RunPython(let_moderators_handle_reports, take_them_back)]
