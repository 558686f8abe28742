"""PostgreSQL only: an index of the titles' lexemes (the weight-A part of each
case's search vector), so that a text search finds the cases whose title holds
the text without reading every match's vector: they rank first
(`registry.search.query.title_tier`). SQLite ranks from its word index."""

from django.db import migrations

FORWARD = (
    "CREATE INDEX IF NOT EXISTS case_title_lexemes "
    "ON registry_case USING gin (ts_filter(search_vector, '{a}'))"
)
BACKWARD = "DROP INDEX IF EXISTS case_title_lexemes"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("registry", "0021_exported_cases")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
