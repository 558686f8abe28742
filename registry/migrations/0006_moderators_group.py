"""The "Modérateurs" group: what a member of staff needs in the admin, short of
deleting anything or handing out rights (those stay with superusers).

Permissions are normally created after `migrate`; they are created here first
so that the group can be given them on a brand-new database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Modérateurs"

PERMISSIONS = {
    "registry": {
        "vocabulary": ("view", "change"),
        "term": ("view", "change", "add"),
        "organization": ("view", "change", "add"),
        "case": ("view", "change", "add"),
        # Lines of a case's roster, places and sources, edited as inlines.
        "casepartner": ("view", "change", "add", "delete"),
        "caseterritory": ("view", "change", "add", "delete"),
        "casesource": ("view", "change", "add", "delete"),
        "auditlog": ("view",),
        "caseversion": ("view",),
        "caserevision": ("view",),
    },
    "territories": {
        "territory": ("view",),
    },
    "accounts": {
        "user": ("view", "change", "add"),
    },
}


def create_moderators_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(
            app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias
        )
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, models in PERMISSIONS.items():
        codenames = [
            f"{action}_{model}" for model, actions in models.items() for action in actions
        ]
        permissions = Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        group.permissions.add(*permissions)


def delete_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_moderation_workflow"),
        ("territories", "0002_postgresql_name_trigram"),
        ("accounts", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, delete_moderators_group)]
