"""Published cases as the open data exports write them, kept so that an export
streams stored text instead of rebuilding every row (`registry.opendata.exports`
fills and reads them).

A stored row is good while two numbers still match: its `stamp`, the case's
`ExportStamp` when the row was built, and its `generation`, the one of
`ExportGeneration` then. `bump_registry_version(case_ids)`, called after every
write that changes what is published, moves the stamps of the cases it names,
and the generation when the write changed more than cases (a label, the
geography): every stored row is then stale at once, without a write per row. A
stale row is rebuilt by the next export that meets it. The stamp has a table of
its own: a column of the case would be written back, older, by any `save()` of
a case read before the stamp moved.

Both numbers are read with the data a row is built from, and moved after a
write's own changes and in its transaction: a row built from data read before a
write commits carries the numbers that write replaces, so it is never taken for
fresh. The rows are a cache: deleting them all loses nothing but time.
"""

from django.db import connection, models, transaction
from django.db.models import F

from registry.models.lookups import among_many
from registry.models.rows import insert_rows


class ExportGeneration(models.Model):
    """One row: the number moved by every write that changes more than cases."""

    number = models.PositiveBigIntegerField(default=1)

    def __str__(self):
        return str(self.number)

    @classmethod
    def current(cls):
        return cls.objects.values_list("number", flat=True).first() or 0

    @classmethod
    def move(cls):
        if not cls.objects.update(number=F("number") + 1):
            cls.objects.create(number=2)


class ExportStamp(models.Model):
    """How many times a case was written (none yet: no row, read as 0)."""

    case = models.OneToOneField(
        "registry.Case", on_delete=models.CASCADE, primary_key=True, related_name="export_stamp"
    )
    stamp = models.PositiveBigIntegerField(default=0)

    MOVE_BATCH = 1000

    def __str__(self):
        return f"{self.case_id}: {self.stamp}"

    @classmethod
    def move(cls, case_ids):
        quote = connection.ops.quote_name
        table = quote(cls._meta.db_table)
        case_ids = list(case_ids)
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, len(case_ids), cls.MOVE_BATCH):
                batch = case_ids[start : start + cls.MOVE_BATCH]
                values = ", ".join(["(%s, 1)"] * len(batch))
                cursor.execute(
                    f"INSERT INTO {table} (case_id, stamp) VALUES {values} "
                    f"ON CONFLICT (case_id) DO UPDATE SET stamp = {table}.stamp + 1",
                    batch,
                )


class ExportedCase(models.Model):
    """A case's CSV line, JSON record (without its long texts, kept apart: the
    GeoJSON's properties are the record without them) and GeoJSON geometry, in
    one language."""

    # Found by the unique (case, language) index: no index of its own.
    case = models.ForeignKey(
        "registry.Case", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    language = models.CharField(max_length=8)
    stamp = models.PositiveBigIntegerField()
    generation = models.PositiveBigIntegerField()
    csv = models.TextField()
    record = models.TextField()
    texts = models.TextField()
    geometry = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "language"], name="exported_case_once"),
        ]

    def __str__(self):
        return f"{self.case_id} ({self.language})"

    # What `keep` writes, in this order.
    KEPT = ("case_id", "language", "stamp", "generation", "csv", "record", "texts", "geometry")

    @classmethod
    def keep(cls, rows):
        """Replace the rows of the cases named by new ones, given as tuples of
        `KEPT` (of one language), in one transaction: the old ones deleted, the
        new ones inserted by `insert_rows` (`COPY` on PostgreSQL: half the time
        of an upsert, a tenth of `bulk_create`'s, whose columns sent as arrays
        the driver quotes character by character in Python). Two exports storing
        the same case at once: the second fails on the unique constraint, and
        keeps nothing."""
        rows = list(rows)
        if not rows:
            return
        with transaction.atomic():
            cls.objects.filter(
                among_many("case_id", [row[0] for row in rows]),
                language__in={row[1] for row in rows},
            ).delete()
            insert_rows(cls, cls.KEPT, rows)


def forget_exported_cases(case_ids=None):
    """Make the stored rows of `case_ids` stale, or all of them (None)."""
    if case_ids is None:
        ExportGeneration.move()
    elif case_ids:
        ExportStamp.move(case_ids)
