"""PostgreSQL only: an index for sorting published cases by title the French way."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS case_status_title_fr '
        'ON registry_case (status, (title COLLATE "fr-x-icu"))'
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS case_status_title_fr")


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_case_family_mask")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
