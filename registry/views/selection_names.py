"""A selection told in words: its filters as sentences, and a short name that
the comparison prints over each selection's columns, bars and downloads."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.views.discovery import display_value

NAME_PARTS = 3


def describe(filterset):
    """The selection's filters as sentences (« Région : Bretagne »)."""
    lines = []
    for name, value in filterset.active_filters():
        label = filterset.form.fields[name].label
        for item in value if isinstance(value, list) else [value]:
            text = getattr(item, "label", None) or display_value(filterset.form.fields[name], item)
            lines.append(_("%(filter)s : %(value)s") % {"filter": label, "value": text})
    return lines


def name_parts(filterset):
    """The values of a selection's filters, short: « Bretagne », « Emploi et
    insertion professionnelle », « Depuis 2015 », « Pionnières »."""
    data = dict(filterset.active_filters())
    parts = []
    for name, value in data.items():
        if name in ("year_min", "year_max"):
            continue
        if name == "q":
            parts.append(_("« %(text)s »") % {"text": value})
        elif name == "pioneer":
            parts.append(_("Pionnières"))
        elif name == "ongoing":
            parts.append(_("En cours") if value == "yes" else _("Terminées"))
        elif name == "families":
            parts.append(_("Trois familles réunies"))
        else:
            items = value if isinstance(value, list) else [value]
            parts += [getattr(item, "label", None) or str(item) for item in items]
    first, last = data.get("year_min"), data.get("year_max")
    if first is not None and last is not None:
        parts.append(_("%(first)s–%(last)s") % {"first": first, "last": last})
    elif first is not None:
        parts.append(_("Depuis %(year)s") % {"year": first})
    elif last is not None:
        parts.append(_("Jusqu'en %(year)s") % {"year": last})
    return parts


def selection_name(filterset):
    """A short name for a selection, from its filters' values: « Bretagne »,
    « Bretagne · Emploi et insertion professionnelle », « Tout le registre »
    without a filter; None when its filters are not valid."""
    if not filterset.form.is_valid():
        return None
    parts = name_parts(filterset)
    if not parts:
        return _("Tout le registre")
    name = " · ".join(parts[:NAME_PARTS])
    if len(parts) > NAME_PARTS:
        more = len(parts) - NAME_PARTS
        name += " · " + ngettext("%(n)d autre filtre", "%(n)d autres filtres", more) % {
            "n": more
        }
    return name


def selection_names(side_a, side_b):
    """The names of the two selections, told apart: « Sélection A (Bretagne) »
    when both would read the same."""
    name_a = selection_name(side_a.filterset)
    name_b = selection_name(side_b.filterset)
    if name_a and name_b and name_a != name_b:
        return name_a, name_b
    return (
        _("Sélection A (%(name)s)") % {"name": name_a} if name_a else _("Sélection A"),
        _("Sélection B (%(name)s)") % {"name": name_b} if name_b else _("Sélection B"),
    )
