"""Derive `cog-2026.json.gz` from the npm package @etalab/decoupage-administratif 6.0.0.

Usage: python territories/data/derive_cog.py PATH/TO/package/data

Keeps the 18 régions, the 101 départements, the 1 255 EPCI à fiscalité propre
and the current communes of those départements (the 94 communes of the
overseas collectivities and other territories outside any département are
left out). The output is deterministic: sorted, compact, gzip'd JSON without
timestamp, so a re-derivation from the same package gives the same bytes.
"""

import gzip
import json
import sys
from pathlib import Path

OUTSIDE_DEPARTEMENTS = {"975", "977", "978", "984", "986", "987", "988", "989"}
HERE = Path(__file__).resolve().parent


def derive(source_dir):
    source_dir = Path(source_dir)

    def read(name):
        return json.loads((source_dir / name).read_text(encoding="utf-8"))

    # regions.json also lists the overseas collectivities as pseudo-régions
    # with three-digit codes (975…989): only the 18 régions have two digits.
    regions = sorted([r["code"], r["nom"]] for r in read("regions.json") if len(r["code"]) == 2)
    region_codes = {code for code, _name in regions}
    departements = sorted(
        [d["code"], d["nom"], d["region"]]
        for d in read("departements.json")
        if d["region"] in region_codes
    )
    region_of = {code: region for code, _name, region in departements}
    departement_codes = set(region_of)

    epci_of = {}
    epcis = []
    for epci in read("epci.json"):
        epcis.append([epci["code"], epci["nom"], epci["type"]])
        for member in epci["membres"]:
            assert member["code"] not in epci_of, f"{member['code']} is in two EPCI"
            epci_of[member["code"]] = epci["code"]
    epcis.sort()

    communes = []
    for commune in read("communes.json"):
        if commune["type"] != "commune-actuelle":
            continue
        if commune["departement"] not in departement_codes:
            assert commune["departement"] in OUTSIDE_DEPARTEMENTS, commune
            assert commune["code"] not in epci_of, commune
            continue
        # The région is not stored per commune: it is the département's.
        assert commune["region"] == region_of[commune["departement"]], commune
        communes.append(
            [
                commune["code"],
                commune["nom"],
                commune["departement"],
                commune.get("population"),
                commune.get("siren", ""),
                " ".join(commune.get("codesPostaux", [])),
                epci_of.get(commune["code"], ""),
            ]
        )
    communes.sort()
    kept = {commune[0] for commune in communes}
    assert len(kept) == len(communes), "a commune code appears twice"
    assert set(epci_of) <= kept, set(epci_of) - kept
    return {
        "source": (
            "INSEE, Code officiel géographique 2026 ; DGCL, liste des EPCI à fiscalité propre "
            "2026 ; via le paquet npm @etalab/decoupage-administratif 6.0.0. Licence Ouverte 2.0."
        ),
        "columns": {
            "regions": ["code", "name"],
            "departements": ["code", "name", "region"],
            "epci": ["siren", "name", "category"],
            "communes": [
                "code",
                "name",
                "departement",
                "population",
                "siren",
                "postal_codes",
                "epci",
            ],
        },
        "regions": regions,
        "departements": departements,
        "epci": epcis,
        "communes": communes,
    }


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    data = derive(argv[1])
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    target = HERE / "cog-2026.json.gz"
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(payload)
    print(
        f"{target.name}: {len(data['regions'])} régions, {len(data['departements'])} départements, "
        f"{len(data['epci'])} EPCI, {len(data['communes'])} communes, "
        f"{target.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main(sys.argv)
