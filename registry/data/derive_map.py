"""Derive the observatory's map of France from the shared outlines.

Usage: python registry/data/derive_map.py [--source ../shared/data/geo] [--check]

Reads `regions-avec-outre-mer.geojson` and `departements-avec-outre-mer.geojson`
(WGS84 longitude/latitude) and writes `map-regions.json` and
`map-departements.json` beside this file: for each area its code, name and an
SVG path, on one drawing with mainland France in Lambert-93 and the five
overseas départements in inset boxes. The site reads only these two files;
the shared outlines are not needed at run time. See MAP-README.md.

Pure standard library, deterministic: the same input gives byte-identical files.

How:
1. Project. Mainland France and Corsica with the Lambert-93 projection (the
   conic conformal projection of France's official maps, on the GRS80
   ellipsoid); each overseas département with a local equirectangular
   projection (longitudes scaled by the cosine of its mean latitude), scaled
   to fill its inset box. Insets are not to scale with the mainland.
2. Simplify without gaps between neighbours. Each ring is cut at its
   junctions (where the neighbour on the other side of the border changes),
   and each piece of border is simplified once with Douglas–Peucker and
   reused, reversed if need be, by the area on the other side.
3. Drop the islands too small to see, round to whole units and write each
   path with relative moves (`M x y l dx dy … z`), the most compact form.
"""

import argparse
import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "geo"
ATTRIBUTION = "Contours : IGN Admin Express 2018, via france-geojson (G. David), Licence Ouverte"
SOURCES = {
    "regions": "regions-avec-outre-mer.geojson",
    "departements": "departements-avec-outre-mer.geojson",
}

# The drawing, in SVG units: mainland France at UNIT_METRES metres per unit, the
# overseas insets in a column on its left, Paris and its inner ring enlarged at
# the top right (on the département map). Its size follows from the mainland's.
UNIT_METRES = 1250
MAINLAND_ORIGIN = (170, 6)  # top-left corner of the mainland's bounding box
MARGIN = 6
TOLERANCE = 0.9  # Douglas–Peucker tolerance, in units
MIN_RING_AREA = 4.0  # smaller islands are dropped (square units)

# Overseas départements (and the région each one forms), top to bottom.
INSET_X, INSET_WIDTH, INSET_HEIGHT, INSET_GAP, INSET_TOP = 8, 142, 150, 14, 40
OVERSEAS = [
    ("971", "01", "Guadeloupe"),
    ("972", "02", "Martinique"),
    ("973", "03", "Guyane"),
    ("974", "04", "La Réunion"),
    ("976", "06", "Mayotte"),
]
OVERSEAS_DEPARTEMENTS = {code for code, _region, _name in OVERSEAS}
INSET_PADDING = 10
INSET_LABEL_SPACE = 20  # room at the bottom of a box for its name
ZOOM_NAME = "Paris et petite couronne"
ZOOM_DEPARTEMENTS = ["75", "92", "93", "94"]
ZOOM_WIDTH, ZOOM_HEIGHT = 160, 170
ZOOM_TOLERANCE = 0.6


# --- Projections -------------------------------------------------------------


class Lambert93:
    """Lambert conformal conic with two standard parallels (EPSG:2154)."""

    A = 6378137.0
    E = math.sqrt(0.00669438002290)  # GRS80 first eccentricity
    PHI1, PHI2, PHI0, LAMBDA0 = (math.radians(v) for v in (44.0, 49.0, 46.5, 3.0))
    X0, Y0 = 700000.0, 6600000.0

    def __init__(self):
        m1, m2 = self._m(self.PHI1), self._m(self.PHI2)
        t1, t2 = self._t(self.PHI1), self._t(self.PHI2)
        self.n = (math.log(m1) - math.log(m2)) / (math.log(t1) - math.log(t2))
        self.f = m1 / (self.n * t1**self.n)
        self.rho0 = self.A * self.f * self._t(self.PHI0) ** self.n

    def _m(self, phi):
        return math.cos(phi) / math.sqrt(1 - (self.E * math.sin(phi)) ** 2)

    def _t(self, phi):
        e_sin = self.E * math.sin(phi)
        return math.tan(math.pi / 4 - phi / 2) / ((1 - e_sin) / (1 + e_sin)) ** (self.E / 2)

    def __call__(self, lon, lat):
        rho = self.A * self.f * self._t(math.radians(lat)) ** self.n
        theta = self.n * (math.radians(lon) - self.LAMBDA0)
        return self.X0 + rho * math.sin(theta), self.Y0 + self.rho0 - rho * math.cos(theta)


def fit(points, box):
    """The affine map putting `points` (x east, y north) centred in `box`
    (x, y, width, height; SVG y down), same scale on both axes."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x, y, width, height = box
    scale = min(width / (max(xs) - min(xs)), height / (max(ys) - min(ys)))
    left = x + (width - scale * (max(xs) - min(xs))) / 2
    top = y + (height - scale * (max(ys) - min(ys))) / 2
    min_x, max_y = min(xs), max(ys)
    return lambda px, py: (left + (px - min_x) * scale, top + (max_y - py) * scale)


def local_equirectangular(points):
    """Longitudes scaled by the cosine of the mean latitude: true shapes at this size."""
    mean_lat = sum(p[1] for p in points) / len(points)
    cos_lat = math.cos(math.radians(mean_lat))
    return lambda lon, lat: (lon * cos_lat, lat)


# --- Geometry ----------------------------------------------------------------


def polygons_of(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise ValueError(f"unexpected geometry {geometry['type']}")


def rings_of(feature):
    return [
        [tuple(point) for point in ring]
        for polygon in polygons_of(feature["geometry"])
        for ring in polygon
    ]


def perpendicular_distance(point, start, end):
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def douglas_peucker(points, tolerance):
    """Keep the first and last points and, recursively, the farthest point from
    the chord while it is farther than `tolerance` (iterative: long coastlines)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = None, tolerance
        for index in range(first + 1, last):
            d = perpendicular_distance(points[index], points[first], points[last])
            if d > distance:
                farthest, distance = index, d
        if farthest is not None:
            keep[farthest] = True
            stack.append((first, farthest))
            stack.append((farthest, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def ring_area(ring):
    return (
        abs(
            sum(
                x1 * y2 - x2 * y1
                for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
            )
        )
        / 2
    )


class Simplifier:
    """Simplifies rings so that a border shared by two areas is simplified once
    and drawn identically on both sides."""

    def __init__(self, all_rings, tolerance):
        self.tolerance = tolerance
        self.arcs = {}
        # Which rings use each edge (by original coordinates): a border is an
        # edge used by two rings, a coastline an edge used by one.
        self.edge_users = {}
        for ring_id, ring in enumerate(all_rings):
            for a, b in zip(ring, ring[1:], strict=False):
                self.edge_users.setdefault(frozenset((a, b)), set()).add(ring_id)

    def junctions(self, ring):
        """Indexes (in the open ring) where the areas sharing the border change."""
        open_ring = ring[:-1]
        count = len(open_ring)
        users = [
            frozenset(self.edge_users[frozenset((open_ring[i], open_ring[(i + 1) % count]))])
            for i in range(count)
        ]
        return [i for i in range(count) if users[i - 1] != users[i]]

    def simplify_arc(self, original, project):
        """Simplify the arc between two junctions, once for both of its sides."""
        key = tuple(original)
        reverse_key = key[::-1]
        canonical = min(key, reverse_key)
        if canonical not in self.arcs:
            projected = [project(*point) for point in canonical]
            self.arcs[canonical] = douglas_peucker(projected, self.tolerance)
        arc = self.arcs[canonical]
        return arc if canonical == key else arc[::-1]

    def simplify_ring(self, ring, project):
        open_ring = ring[:-1] if ring[0] == ring[-1] else ring
        cuts = self.junctions(ring if ring[0] == ring[-1] else [*ring, ring[0]])
        if not cuts:
            # An island, or an enclave with one neighbour all round: cut it in two
            # at its smallest point and the point farthest from it, the same two
            # points whichever side it is read from.
            start = open_ring.index(min(open_ring))
            first = open_ring[start]
            far = max(
                range(len(open_ring)),
                key=lambda i: (open_ring[i][0] - first[0]) ** 2 + (open_ring[i][1] - first[1]) ** 2,
            )
            cuts = sorted({start, far})
        points = []
        count = len(open_ring)
        for position, start in enumerate(cuts):
            end = cuts[(position + 1) % len(cuts)]
            length = (end - start) % count or count
            original = [open_ring[(start + step) % count] for step in range(length + 1)]
            arc = self.simplify_arc(original, project)
            points.extend(arc[:-1])
        return points


def rounded(points):
    """Points rounded to whole units, without repeats."""
    result = []
    for x, y in points:
        point = (round(x), round(y))
        if not result or result[-1] != point:
            result.append(point)
    while len(result) > 1 and result[0] == result[-1]:
        result.pop()
    return result


def path_data(rings):
    """`M x y l dx dy … z` per ring: relative moves keep the numbers short."""
    parts = []
    for ring in rings:
        (x0, y0), rest = ring[0], ring[1:]
        moves = []
        previous = (x0, y0)
        for x, y in rest:
            moves.append(f"{x - previous[0]} {y - previous[1]}")
            previous = (x, y)
        parts.append(f"M{x0} {y0}l" + " ".join(moves).replace(" -", "-") + "z")
    return "".join(parts)


# --- The drawing -------------------------------------------------------------


def inset_boxes():
    """(x, y, width, height) of each overseas box, and the box its outline fills."""
    boxes = {}
    for position, (code, _region, _name) in enumerate(OVERSEAS):
        top = INSET_TOP + position * (INSET_HEIGHT + INSET_GAP)
        frame = (INSET_X, top, INSET_WIDTH, INSET_HEIGHT)
        drawing = (
            INSET_X + INSET_PADDING,
            top + INSET_PADDING,
            INSET_WIDTH - 2 * INSET_PADDING,
            INSET_HEIGHT - 2 * INSET_PADDING - INSET_LABEL_SPACE,
        )
        boxes[code] = (frame, drawing)
    return boxes


def projections(departements):
    """{département code: (lon, lat) -> (x, y) in SVG units}, from the outlines
    of the départements (the régions use their départements' projections)."""
    lambert = Lambert93()
    mainland_points = [
        lambert(*point)
        for feature in departements
        if feature["properties"]["code"] not in OVERSEAS_DEPARTEMENTS
        for ring in rings_of(feature)
        for point in ring
    ]
    min_x, max_x = min(x for x, _ in mainland_points), max(x for x, _ in mainland_points)
    min_y, max_y = min(y for _, y in mainland_points), max(y for _, y in mainland_points)
    left, top = MAINLAND_ORIGIN

    def mainland(lon, lat):
        x, y = lambert(lon, lat)
        return left + (x - min_x) / UNIT_METRES, top + (max_y - y) / UNIT_METRES

    width = math.ceil(left + (max_x - min_x) / UNIT_METRES + MARGIN)
    height = math.ceil(top + (max_y - min_y) / UNIT_METRES + MARGIN)
    height = max(height, INSET_TOP + len(OVERSEAS) * (INSET_HEIGHT + INSET_GAP))
    zoom_frame = (width - ZOOM_WIDTH - MARGIN, MARGIN, ZOOM_WIDTH, ZOOM_HEIGHT)
    zoom_points = [
        lambert(*point)
        for feature in departements
        if feature["properties"]["code"] in ZOOM_DEPARTEMENTS
        for ring in rings_of(feature)
        for point in ring
    ]
    zoom_place = fit(
        zoom_points,
        (
            zoom_frame[0] + INSET_PADDING,
            zoom_frame[1] + INSET_PADDING,
            ZOOM_WIDTH - 2 * INSET_PADDING,
            ZOOM_HEIGHT - 2 * INSET_PADDING - INSET_LABEL_SPACE,
        ),
    )
    result = {
        "mainland": mainland,
        "zoom": lambda lon, lat: zoom_place(*lambert(lon, lat)),
        "size": (width, height),
        "zoom_frame": zoom_frame,
    }
    boxes = inset_boxes()
    for feature in departements:
        code = feature["properties"]["code"]
        if code not in boxes:
            continue
        points = [point for ring in rings_of(feature) for point in ring]
        local = local_equirectangular(points)
        place = fit([local(*p) for p in points], boxes[code][1])
        result[code] = lambda lon, lat, local=local, place=place: place(*local(lon, lat))
    return result


def derive(features, placement, tolerance=TOLERANCE):
    """[{code, name, d}] for `features`, each drawn with the projection
    `placement(code)` names."""
    all_rings = [ring for feature in features for ring in rings_of(feature)]
    simplifier = Simplifier(all_rings, tolerance)
    areas = []
    for feature in sorted(features, key=lambda f: f["properties"]["code"]):
        project = placement(feature["properties"]["code"])
        rings = []
        for ring in rings_of(feature):
            points = rounded(simplifier.simplify_ring(ring, project))
            if len(points) >= 3:
                rings.append(points)
        largest = max(rings, key=ring_area)
        kept = [ring for ring in rings if ring is largest or ring_area(ring) >= MIN_RING_AREA]
        areas.append(
            {
                "code": feature["properties"]["code"],
                "name": feature["properties"]["nom"],
                "d": path_data(kept),
            }
        )
    return areas


def build(source):
    loaded = {
        level: json.loads((source / name).read_text(encoding="utf-8"))["features"]
        for level, name in SOURCES.items()
    }
    projection = projections(loaded["departements"])
    departement_of_region = {region: code for code, region, _name in OVERSEAS}
    boxes = inset_boxes()
    insets = [
        {
            "departement": code,
            "region": region,
            "name": name,
            "x": frame[0],
            "y": frame[1],
            "width": frame[2],
            "height": frame[3],
        }
        for code, region, name in OVERSEAS
        for frame in [boxes[code][0]]
    ]
    placements = {
        "departements": lambda code: projection.get(code, projection["mainland"]),
        "regions": lambda code: projection.get(
            departement_of_region.get(code, ""), projection["mainland"]
        ),
    }
    width, height = projection["size"]
    maps = {}
    for level, features in loaded.items():
        maps[level] = {
            "attribution": ATTRIBUTION,
            "derived_by": "registry/data/derive_map.py",
            "level": level,
            "width": width,
            "height": height,
            "insets": insets,
            "areas": derive(features, placements[level]),
        }
    # Paris and its inner ring are a few units wide on the mainland: the
    # département map repeats them, enlarged, in a box of their own.
    frame = projection["zoom_frame"]
    zoomed = [f for f in loaded["departements"] if f["properties"]["code"] in ZOOM_DEPARTEMENTS]
    maps["departements"]["zoom"] = {
        "name": ZOOM_NAME,
        "x": frame[0],
        "y": frame[1],
        "width": frame[2],
        "height": frame[3],
        "areas": derive(zoomed, lambda code: projection["zoom"], ZOOM_TOLERANCE),
    }
    return maps


def serialized(data):
    return json.dumps(data, ensure_ascii=False, indent=0, separators=(",", ":")) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in place, write nothing"
    )
    options = parser.parse_args()
    maps = build(options.source)
    stale = []
    for level, data in maps.items():
        target = HERE / f"map-{level}.json"
        text = serialized(data)
        if options.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
            continue
        target.write_text(text, encoding="utf-8")
        path_bytes = sum(len(area["d"]) for area in data["areas"])
        print(f"{target.name}: {len(data['areas'])} areas, {path_bytes:,} bytes of path data")
    if stale:
        raise SystemExit(f"out of date: {', '.join(stale)} (run without --check)")


if __name__ == "__main__":
    main()
