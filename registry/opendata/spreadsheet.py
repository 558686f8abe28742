"""The XLSX export of a selection, for the people who open the data in a
spreadsheet rather than a program: a double-click on the CSV in a French Excel
puts each row in one cell (it expects semicolons) and turns « 01 » into 1.

Two sheets: the cases, with the columns of the CSV (`exports.COLUMNS`) under
their translated titles, and the partners, one row per roster entry. Every cell
is typed from its column: codes (INSEE, SIREN, RNA, référentiel) are strings,
never numbers; years and counts are numbers; dates are real dates; flags are
the spreadsheet's own booleans (VRAI/FAUX in a French Excel). Text is never
read as a formula.

XlsxWriter's `constant_memory` mode writes each row to disk as soon as the next
one starts, and the cases come from `exports.case_records` batch by batch, so
memory stays flat whatever the size of the selection. The workbook is written
to a temporary file, which the response then streams.
"""

import tempfile
from datetime import datetime

import xlsxwriter
from django.conf import settings
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.opendata.exports import COLUMNS, EMPTY_REF, LICENCE, Column, case_records, csv_row

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PARTNER_COLUMNS = [
    Column(
        "case_id",
        gettext_lazy("Identifiant de l'expérience"),
        gettext_lazy("Numéro de l'expérience, comme dans la feuille des expériences."),
        "integer",
        required=True,
    ),
    Column(
        "case_title",
        gettext_lazy("Titre de l'expérience"),
        gettext_lazy("Titre de l'expérience."),
        required=True,
    ),
    Column(
        "organization",
        gettext_lazy("Organisation"),
        gettext_lazy("Nom de l'organisation partenaire."),
        required=True,
    ),
    Column("siren", gettext_lazy("SIREN"), gettext_lazy("SIREN de l'organisation, vide sinon.")),
    Column(
        "rna",
        gettext_lazy("RNA"),
        gettext_lazy("Numéro RNA de l'association (W et 9 chiffres), vide sinon."),
    ),
    Column(
        "actor_type_code",
        gettext_lazy("Type d'acteur (code)"),
        gettext_lazy("Type d'acteur de l'organisation."),
        vocabulary="actor_type",
    ),
    Column("actor_type_label", gettext_lazy("Type d'acteur"), gettext_lazy("Libellé du type.")),
    Column(
        "role_code",
        gettext_lazy("Rôle (code)"),
        gettext_lazy("Rôle de l'organisation dans l'alliance."),
        vocabulary="partner_role",
    ),
    Column("role_label", gettext_lazy("Rôle"), gettext_lazy("Libellé du rôle.")),
    Column(
        "contribution",
        gettext_lazy("Contribution"),
        gettext_lazy("Ce que l'organisation apporte à l'alliance."),
    ),
]

OPTIONS = {
    "constant_memory": True,
    "remove_timezone": True,  # dates are written in UTC, as the data dictionary says
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
# Excel's built-in date-and-time format: each spreadsheet shows it in its own
# locale (« 01/12/2026 14:30 » in French).
DATETIME_FORMAT = 22
WIDTHS = {
    "id": 11,
    "case_id": 13,
    "title": 48,
    "case_title": 48,
    "summary": 60,
    "url": 40,
    "slug": 30,
    "organization": 40,
    "contribution": 50,
    "territories": 30,
    "territory_names": 32,
}


def width(column):
    if column.name in WIDTHS:
        return WIDTHS[column.name]
    if column.type in ("integer", "number", "boolean"):
        return 12
    if column.type == "datetime":
        return 17
    if column.vocabulary or column.name.endswith(("_code", "_codes")):
        return 18
    return 30 if column.multiple else 22


def write_workbook(selection, target, *, batch_size=None, progress=None):
    """Write the workbook of `selection` to `target`, a path or a binary file."""
    with tempfile.TemporaryDirectory(prefix="xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(target, {**OPTIONS, "tmpdir": scratch})
        workbook.set_properties(
            {
                "title": _("Expériences du registre des alliances territoriales"),
                "author": settings.SITE_URL,
                "comments": f"{LICENCE} — {settings.SITE_URL}",
                "created": timezone.now().replace(tzinfo=None),
            }
        )
        header = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E7EDF3"}
        )
        formats = {"datetime": workbook.add_format({"num_format": DATETIME_FORMAT})}
        cases = add_sheet(workbook, _("Expériences"), COLUMNS, header)
        partners = add_sheet(workbook, _("Partenaires"), PARTNER_COLUMNS, header)
        case_row = partner_row = 0
        for record in case_records(selection, batch_size=batch_size, progress=progress):
            case_row += 1
            write_row(cases, case_row, COLUMNS, csv_row(record), formats)
            for cells in partner_cells(record):
                partner_row += 1
                write_row(partners, partner_row, PARTNER_COLUMNS, cells, formats)
        cases.autofilter(0, 0, case_row, len(COLUMNS) - 1)
        partners.autofilter(0, 0, partner_row, len(PARTNER_COLUMNS) - 1)
        workbook.close()


def add_sheet(workbook, name, columns, header):
    sheet = workbook.add_worksheet(name)
    for index, column in enumerate(columns):
        sheet.set_column(index, index, width(column))
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 45)  # room for a title on three lines
    for index, column in enumerate(columns):
        sheet.write_string(0, index, str(column.title), header)
    return sheet


def write_row(sheet, row, columns, values, formats):
    for index, (column, value) in enumerate(zip(columns, values, strict=True)):
        if value is None or value == "":
            continue
        if column.type in ("integer", "number"):
            sheet.write_number(row, index, value)
        elif column.type == "boolean":
            sheet.write_boolean(row, index, value in (True, "true"))
        elif column.type == "datetime":
            sheet.write_datetime(row, index, datetime.fromisoformat(value), formats["datetime"])
        else:
            sheet.write_string(row, index, str(value))


def partner_cells(record):
    """One row per roster entry (an organisation twice in two roles: two rows)."""
    for entry in record["partners"]:
        organization = entry["organization"]
        actor_type = organization["actor_type"] or EMPTY_REF
        role = entry["role"] or EMPTY_REF
        yield [
            record["id"],
            record["title"],
            organization["name"],
            organization["siren"],
            organization["rna"],
            actor_type["code"],
            actor_type["label"],
            role["code"],
            role["label"],
            entry["contribution"],
        ]


def workbook_response(selection, filename):
    """The workbook of `selection` as a download named `filename`."""
    handle = tempfile.TemporaryFile(prefix="xlsx-")  # noqa: SIM115 - FileResponse closes it
    try:
        write_workbook(selection, handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPE
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
