"""The download of a selection in one of the open formats, for the site and the API."""

from registry.opendata import exports, spreadsheet


def export_response(filterset, fmt):
    """The download of a valid filterset's selection, named after its filters (the
    site and the API answer with this)."""
    filename = exports.selection_filename(filterset, fmt)
    if fmt == "xlsx":
        return spreadsheet.workbook_response(filterset.qs, filename)
    return exports.streaming_export(filterset.qs, fmt, filename)
