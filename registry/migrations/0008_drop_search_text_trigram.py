"""PostgreSQL only: drop the trigram index on the folded search text.

PostgreSQL searches the tsvector; the folded text serves SQLite and was never
queried by trigram on PostgreSQL, while its index made every write of a case
(and bulk loads) much slower."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_title_trgm")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS case_title_trgm "
            "ON registry_case USING gin (search_text gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_organization_slug_generated")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
