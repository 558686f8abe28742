"""The download of a selection in one of the open formats, for the site and the API."""

from registry.counting.selections import filtered, listed_by_ids
from registry.opendata import exports, spreadsheet


def export_response(filterset, fmt):
    """The download of a valid filterset's selection, named after its filters (the
    site and the API answer with this)."""
    filename = exports.selection_filename(filterset, fmt)
    if fmt == "xlsx":
        return spreadsheet.workbook_response(filterset.qs, filename)
    return exports.streaming_export(selected(filterset), fmt, filename)


def selected(filterset):
    """The cases of `filterset` to export, in its order: from the ids of the
    counting bitmaps' selection when they hold it (no text, up to
    `LISTED_BY_IDS` cases), as the search page lists them, instead of working
    out its filters' subqueries over the whole registry (a région and a theme at
    100 000 cases: 24 ms of the export's 54 for its ids); else by its filters."""
    listed = listed_by_ids(filterset, filterset.qs, filtered(filterset))
    return filterset.qs if listed is None else listed
