"""The observatory's map: a choropleth of an area chart (régions or départements),
drawn from the derived outlines (see registry/data/MAP-README.md)."""

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry.counting.observatory import Row
from territories.models import TerritoryKind

MAP_DIR = Path(__file__).resolve().parents[1] / "data"
PALETTE = ["#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"]  # ColorBrewer YlGnBu
CLASSES = len(PALETTE)


@cache
def outlines(kind):
    """The derived outlines (see registry/data/MAP-README.md)."""
    name = "regions" if kind == TerritoryKind.REGION else "departements"
    return json.loads((MAP_DIR / f"map-{name}.json").read_text(encoding="utf-8"))


def class_breaks(values, classes=CLASSES):
    """Upper bounds of up to `classes` classes of the positive values (quantiles),
    so that each colour holds about as many areas."""
    positive = sorted(v for v in values if v)
    bounds = []
    for k in range(1, classes + 1):
        bound = positive[math.ceil(k * len(positive) / classes) - 1] if positive else None
        if bound is not None and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    return bounds


@dataclass
class LegendClass:
    colour: str
    low: float
    high: float


@dataclass
class MapArea:
    code: str
    name: str
    d: str
    count: int
    rate: float | None
    colour: str | None  # None: no case, drawn hatched
    measure: str = "nombre"
    url: str = ""
    selected: bool = False

    @property
    def label(self):
        """Its name and value, read out for the link and shown as its tooltip."""
        values = {"name": self.name, "count": self.count}
        if self.measure != "habitants":
            return (
                ngettext(
                    "%(name)s : %(count)d expérience",
                    "%(name)s : %(count)d expériences",
                    self.count,
                )
                % values
            )
        if self.rate is None:
            return _("%(name)s : population inconnue") % values
        values["rate"] = number_format(self.rate, 1)
        return (
            ngettext(
                "%(name)s : %(rate)s pour 100 000 habitants (%(count)d expérience)",
                "%(name)s : %(rate)s pour 100 000 habitants (%(count)d expériences)",
                self.count,
            )
            % values
        )


@dataclass
class Choropleth:
    kind: str
    measure: str
    width: int
    height: int
    areas: list
    legend: list
    insets: list
    zoom: dict | None
    attribution: str
    zoom_areas: list = field(default_factory=list)

    @property
    def drawn(self):
        """The areas in drawing order: the selected ones last, their outline on top."""
        return sorted(self.areas, key=lambda area: area.selected)


def choropleth(chart, kind, measure, link, selected_codes=()):
    """The map of `chart` (an area chart): each area's path, value, colour and
    link (`link(code)`), with the legend's classes."""
    data = outlines(kind)
    rows = {row.code: row for row in chart.rows}
    values = {
        code: (row.rate if measure == "habitants" else row.count) for code, row in rows.items()
    }
    bounds = class_breaks(values.values())
    colours = spread(PALETTE, len(bounds))
    # Classes read « from … to … »: counts start at the next whole number, rates
    # at the bound of the class below.
    legend = []
    low = 0 if measure == "habitants" else 1
    for bound, colour in zip(bounds, colours, strict=True):
        legend.append(LegendClass(colour, low, bound))
        low = bound if measure == "habitants" else bound + 1

    def area(outline):
        code = outline["code"]
        row = rows.get(code) or Row(code, outline["name"], 0)
        value = values.get(code)
        colour = next(
            (c for b, c in zip(bounds, colours, strict=True) if value and value <= b), None
        )
        return MapArea(
            code,
            row.label,
            outline["d"],
            row.count,
            row.rate,
            colour,
            measure,
            url=link(code),
            selected=code in selected_codes,
        )

    zoom = data.get("zoom")
    return Choropleth(
        kind=kind,
        measure=measure,
        width=data["width"],
        height=data["height"],
        areas=[area(outline) for outline in data["areas"]],
        legend=legend,
        insets=data["insets"],
        zoom=zoom,
        attribution=data["attribution"],
        zoom_areas=[area(outline) for outline in zoom["areas"]] if zoom else [],
    )


def spread(palette, n):
    """`n` colours of `palette`, from its lightest to its darkest."""
    if n == 1:
        return palette[-1:]
    return [palette[round(i * (len(palette) - 1) / (n - 1))] for i in range(n)]
