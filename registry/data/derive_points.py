"""Derive `territory_points.json`: one representative point per région and département.

Usage: python registry/data/derive_points.py path/to/geo > registry/data/territory_points.json
where `path/to/geo` holds `regions-avec-outre-mer.geojson` and
`departements-avec-outre-mer.geojson` (the project's shared geography: IGN Admin
Express 2018 outlines via « france-geojson » by Grégoire David, Licence Ouverte).

The point is the centroid of the territory's largest polygon when it falls
inside it, else the middle of the widest stretch of that polygon along the
centroid's latitude: always on land, inside the territory. Output is
deterministic (sorted keys, 4 decimals ≈ 10 m).
"""

import json
import sys
from pathlib import Path

ATTRIBUTION = "Contours : IGN Admin Express 2018, via france-geojson (G. David), Licence Ouverte"


def ring_area_centroid(ring):
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    area /= 2
    if not area:
        return 0.0, ring[0]
    return abs(area), (cx / (6 * area), cy / (6 * area))


def inside(point, rings):
    x, y = point
    hit = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                hit = not hit
    return hit


def widest_stretch(rings, y):
    crossings = sorted(
        (x2 - x1) * (y - y1) / (y2 - y1) + x1
        for ring in rings
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
        if (y1 > y) != (y2 > y)
    )
    pairs = list(zip(crossings[::2], crossings[1::2], strict=False))
    start, end = max(pairs, key=lambda pair: pair[1] - pair[0])
    return (start + end) / 2, y


def representative_point(geometry):
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    best = max(polygons, key=lambda rings: ring_area_centroid(rings[0])[0])
    _area, centroid = ring_area_centroid(best[0])
    point = centroid if inside(centroid, best) else widest_stretch(best, centroid[1])
    return [round(point[0], 4), round(point[1], 4)]


def points(path):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        feature["properties"]["code"]: representative_point(feature["geometry"])
        for feature in data["features"]
    }


def main(folder):
    folder = Path(folder)
    result = {
        "about": "Representative point [longitude, latitude] (WGS84) of each région and "
        "département, inside its largest polygon. Derived by derive_points.py.",
        "attribution": ATTRIBUTION,
        "regions": points(folder / "regions-avec-outre-mer.geojson"),
        "departements": points(folder / "departements-avec-outre-mer.geojson"),
    }
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
