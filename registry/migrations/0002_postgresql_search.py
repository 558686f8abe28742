"""PostgreSQL only: French full-text search without accents, and trigram indexes.

`registry_fr` is the French configuration with `unaccent` applied before
stemming, so « education » finds « Éducation ». SQLite skips this migration's
SQL and searches the folded `search_text` column instead.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'registry_fr') THEN
            CREATE TEXT SEARCH CONFIGURATION registry_fr (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION registry_fr
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
    END $$
    """,
    "CREATE INDEX IF NOT EXISTS case_search_vector ON registry_case USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS case_title_trgm ON registry_case USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS organization_name_trgm "
    "ON registry_organization USING gin (name_key gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS organization_name_trgm",
    "DROP INDEX IF EXISTS case_title_trgm",
    "DROP INDEX IF EXISTS case_search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS registry_fr",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
