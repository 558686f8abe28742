"""Demonstration data: realistic, plainly fictional alliances built from the vocabularies.

`seed_demo(cases=N, seed=S)` invents N cases spread over every région (overseas
included), each with a place, a partner roster, référentiel tags and French texts
assembled from the sentences below, varied by theme, place and partners.

Plainly fictional: every summary says the case is an example; invented
organisations (companies, associations, foundations…) say so in their description
and carry generated identifiers (valid, unique); collectivités are named after the
real territory they govern (« Commune de Lille », « Département du Nord ») and
carry no SIREN; users and contact addresses end in `@demo.invalid`; cases and
organisations have `is_demo` set, which is what `clear_demo` removes.

Deterministic: the same seed on the same database gives the same titles, slugs,
partners and dates (dates count back from `REFERENCE_TIME`, not from the clock).
A later run without clearing draws from another stream of the seed, so that the
cases it adds do not repeat the first ones, and reuses the demo collectivités.
A run interrupted half-way keeps the batches it committed; run again with
`resume`, it draws them again without writing them and goes on: the same cases
as a run never interrupted (1 000 000 cases take hours on PostgreSQL).

Fast: rows are written by batches as plain tuples (COPY on PostgreSQL), with
case ids reserved beforehand so that link rows need no round trip. What derives
from them (family mix, facet keys, search documents, the lexicon) is then
written by `registry.models.index.refresh_case_index`, as for any other case.
"""

import bisect
import functools
import itertools
import queue
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils.text import slugify
from stdnum import luhn

from demo.texts import (
    COMPANY_PATTERNS,
    CONTEXT_CLOSERS,
    CONTEXT_OPENERS,
    CONTRIBUTIONS,
    DEMO_NOTE,
    DEPARTEMENT_ACTORS,
    DEPARTEMENT_COMPANIES,
    DESCRIPTIONS,
    ENDINGS,
    GENERIC_ASSOCIATIONS,
    GENERIC_RESULTS,
    GOVERNANCE,
    LESSONS,
    LOCAL_COMPANIES,
    MIXES,
    NICKNAMES,
    NUMBER_WORDS,
    OTHER_ACTORS,
    OTHER_PATTERNS,
    PIONEER_REASONS,
    PORTEUR_WEIGHTS,
    REAL_BODY_NOTE,
    ROLE_WEIGHTS,
    SOURCES,
    SUMMARIES,
    SURNAMES,
    TAGLINES,
    THEMES,
    at,
    capfirst,
    de,
    de_departement,
    de_epci,
    epci_full_name,
    figure,
    join_fr,
    lowfirst,
    mix_phrase,
    with_article,
)
from registry.models import (
    Case,
    CasePartner,
    CaseSource,
    CaseStatus,
    CaseTerritory,
    Organization,
    Term,
)
from registry.models.index import (
    bump_registry_version,
    count_words,
    forget_word_index,
    refresh_case_index,
    update_lexicon,
)
from registry.models.rows import insert_rows
from territories.models import Territory, normalize

BATCH = 2000
DEMO_DOMAIN = "demo.invalid"
REFERENCE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
FIRST_YEAR, LAST_YEAR = 2008, 2026

# Below this population a commune's associations work at the scale of its EPCI.
TOWN_POPULATION = 10_000
LOCAL_COMPANY_SIZES = (("micro", 35), ("pme", 55), ("eti", 10))
COMPANY_SIZES = (("pme", 30), ("eti", 40), ("ge", 30))

# Collectivités whose status is particular: (kind, code) of a place → the name of
# the collectivité and the (kind, code) of the territory it is recorded as governing.
SPECIAL_AUTHORITIES = {
    ("region", "94"): ("Collectivité de Corse", ("region", "94")),
    ("departement", "2A"): ("Collectivité de Corse", ("region", "94")),
    ("departement", "2B"): ("Collectivité de Corse", ("region", "94")),
    ("region", "02"): ("Collectivité territoriale de Martinique", ("region", "02")),
    ("departement", "972"): ("Collectivité territoriale de Martinique", ("region", "02")),
    ("region", "03"): ("Collectivité territoriale de Guyane", ("region", "03")),
    ("departement", "973"): ("Collectivité territoriale de Guyane", ("region", "03")),
    ("region", "06"): ("Département de Mayotte", ("departement", "976")),
    ("departement", "976"): ("Département de Mayotte", ("departement", "976")),
    ("commune", "75056"): ("Ville de Paris", ("commune", "75056")),
    ("departement", "75"): ("Ville de Paris", ("commune", "75056")),
    ("departement", "67"): ("Collectivité européenne d'Alsace", ("departement", "67")),
    ("departement", "68"): ("Collectivité européenne d'Alsace", ("departement", "67")),
}
# Where a council sits when it is not in the most populated commune.
COUNCIL_SEATS = {
    ("departement", "02"): "Laon",
    ("departement", "03"): "Moulins",
    ("departement", "04"): "Digne-les-Bains",
    ("departement", "07"): "Privas",
    ("departement", "09"): "Foix",
    ("departement", "11"): "Carcassonne",
    ("departement", "19"): "Tulle",
    ("departement", "29"): "Quimper",
    ("departement", "39"): "Lons-le-Saunier",
    ("departement", "50"): "Saint-Lô",
    ("departement", "51"): "Châlons-en-Champagne",
    ("departement", "52"): "Chaumont",
    ("departement", "55"): "Bar-le-Duc",
    ("departement", "56"): "Vannes",
    ("departement", "62"): "Arras",
    ("departement", "71"): "Mâcon",
    ("departement", "76"): "Rouen",
    ("departement", "77"): "Melun",
    ("departement", "92"): "Nanterre",
    ("departement", "93"): "Bobigny",
    ("departement", "94"): "Créteil",
    ("departement", "95"): "Cergy",
    ("departement", "971"): "Basse-Terre",
    ("region", "01"): "Basse-Terre",
    ("region", "11"): "Saint-Ouen-sur-Seine",
    ("region", "24"): "Orléans",
    ("region", "28"): "Caen",
}

# Cases ----------------------------------------------------------------------------

LEVELS = (("commune", 50), ("epci", 25), ("departement", 15), ("region", 10))
LEVEL_SCALE = {"commune": 1, "epci": 2, "departement": 4, "region": 8}
SCALES = {
    "commune": (("local", 85), ("regional", 10), ("national", 5)),
    "epci": (("local", 85), ("regional", 10), ("national", 5)),
    "departement": (("local", 50), ("regional", 45), ("national", 5)),
    "region": (("regional", 80), ("national", 15), ("international", 5)),
}
STATUSES = (
    (CaseStatus.PUBLISHED, 920),
    (CaseStatus.DRAFT, 25),
    (CaseStatus.SUBMITTED, 20),
    (CaseStatus.ARCHIVED, 15),
    (CaseStatus.CHANGES_REQUESTED, 10),
    (CaseStatus.REJECTED, 10),
)
# Figures quoted by results sentences: (lowest, highest), multiplied by the
# LEVEL_SCALE of the place for the scaled ones.
SCALED_FIGURES = {
    "n": (40, 900),
    "n2": (15, 300),
    "n3": (4, 60),
    "m": (60, 1500),
    "t": (5, 240),
    "t2": (40, 1800),
    "km": (2, 35),
    "budget": (40, 400),
}
PLAIN_FIGURES = {
    "pct": (48, 91),
    "pct_small": (8, 42),
    "pct_private": (20, 70),
    "a": (9, 18),
}
DEPARTEMENT_FLOOR = 150_000
SECOND_PLACE_SHARE = 0.1
PIONEER_SHARE = 0.03
ONGOING_SHARE = 0.6


class WeightedPicker:
    """Pick items with probability proportional to a weight, in O(log n)."""

    def __init__(self, items, weights):
        self.items = tuple(items)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


@functools.cache
def picker(pairs):
    return WeightedPicker(*zip(*pairs, strict=True))


def weighted(rng, pairs):
    """One item of `pairs` ((item, weight), …), drawn by weight."""
    return picker(pairs).pick(rng)


@dataclass(eq=False, slots=True)
class Place:
    """A territory as the generator needs it, with its names in a sentence."""

    pk: int
    kind: str
    code: str
    name: str
    population: int
    category: str
    is_overseas: bool
    departement: "Place | None" = None
    region: "Place | None" = None
    epci: "Place | None" = None
    label: str = ""  # as named in a text: « Communauté de communes du Pays de Fayence »
    of: str = ""  # « de Lille », « du Nord », « de la région Bretagne »
    inside: str = ""  # « à Lille », « dans le département du Nord », « en région Bretagne »


def describe(place):
    if place.kind == "commune":
        place.label, place.of, place.inside = place.name, de(place.name), at(place.name)
    elif place.kind == "epci":
        place.label = epci_full_name(place.name)
        place.of = de_epci(place.label)
        place.inside = "sur le territoire " + place.of
    elif place.kind == "departement":
        place.label, place.of = place.name, de_departement(place.name)
        place.inside = "dans le département " + place.of
    elif place.is_overseas:
        place.label, place.of = place.name, de(place.name)
        inside = "à " if place.name.startswith("La ") or place.name == "Mayotte" else "en "
        place.inside = inside + place.name
    else:
        place.label = place.name
        place.of, place.inside = f"de la région {place.name}", f"en région {place.name}"


def luhn_siren(rng, used):
    """A new SIREN passing the Luhn check. Invented ones start with 3 to 9 (public
    bodies' start with 1 or 2)."""
    while True:
        body = str(rng.randrange(30_000_000, 100_000_000))
        siren = body + luhn.calc_check_digit(body)
        if siren not in used:
            used.add(siren)
            return siren


def base36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


class Words(dict):
    """What template sentences may say about a case. Figures are drawn the first
    time a sentence asks for one (most cases quote three or four)."""

    def __init__(self, rng, scale, first_year, last_year, **words):
        super().__init__(**words)
        self.rng, self.scale = rng, scale
        self.first_year, self.last_year = first_year, last_year

    def __missing__(self, key):
        rng = self.rng
        if key in SCALED_FIGURES:
            value = figure(int(rng.randint(*SCALED_FIGURES[key]) * self.scale))
        elif key in PLAIN_FIGURES:
            value = rng.randint(*PLAIN_FIGURES[key])
        elif key == "b":  # the « after » of a duration that went down from {a}
            value = self["a"] - rng.randint(3, 7)
        elif key == "k":
            value = figure(max(3, int(rng.randint(3, 25) * self.scale**0.5)))
        elif key == "eur":
            value = rng.randrange(150, 900, 10)
        elif key == "extra":
            number = rng.randint(2, 12)
            value = NUMBER_WORDS.get(number, number)
        elif key == "k2":
            number = rng.randint(2, 9)
            value = capfirst(str(NUMBER_WORDS.get(number, number)))
        elif key == "diag_year":
            value = self.first_year - rng.randint(0, 2)
        elif key == "eval_year":
            value = rng.randint(min(self.first_year + 1, self.last_year), self.last_year)
        else:
            raise KeyError(key)
        self[key] = value
        return value


@dataclass(eq=False, slots=True)
class NewOrganization:
    """An organisation this run invents, written with the first batch naming it
    (lighter than a model instance, of which a large seed makes tens of thousands)."""

    name: str
    family: str
    values: dict
    pk: int | None = None


@dataclass
class PlannedCase:
    """One case before it is written: its row and the rows linked to it."""

    values: dict
    places: list
    roster: list  # (Organization, role Term, contribution)
    terms: list
    criteria: list
    sources: list  # (title, url)


@dataclass
class Batch:
    """Cases to write together, with the organisations first named in them."""

    cases: list = field(default_factory=list)
    organizations: list = field(default_factory=list)


class Generator:
    """Draws cases one after another from one random stream."""

    def __init__(self, *, seed, offset=0, resuming=False):
        """`resuming`: the demo cases in the database were written by an earlier,
        interrupted part of this same run, begun without demo cases (see
        `seed_demo`). The generator then starts from the database as that run
        found it: without them, nor the demo organisations only they name."""
        # A later run on a database that already has demo cases draws from another
        # stream, so that its cases do not repeat the first run's.
        self.rng = random.Random(seed if offset == 0 else f"{seed}+{offset}")
        self.counter = offset
        self.load_terms()
        self.load_places()
        self.organizations = {}
        self.new_organizations = []
        self.used_names = set()
        organizations, cases = Organization.objects.all(), Case.objects.all()
        if resuming:
            kept = Organization.objects.filter(
                Q(roster_entries__case__is_demo=False) | Q(members__isnull=False)
            )
            organizations = organizations.exclude(Q(is_demo=True) & ~Q(pk__in=kept))
            cases = cases.filter(is_demo=False)
        reused = organizations.filter(is_demo=True, governed_territory__isnull=False)
        for pk, name, actor, governed in reused.order_by("pk").values_list(
            "pk", "name", "actor_type__code", "governed_territory_id"
        ):
            self.organizations.setdefault(
                ("authority", governed),
                NewOrganization(name, self.actor_family[actor], {}, pk=pk),
            )
        self.used_sirens = set(organizations.exclude(siren=None).values_list("siren", flat=True))
        self.used_rnas = set(organizations.exclude(rna=None).values_list("rna", flat=True))
        self.used_org_slugs = set(organizations.values_list("slug", flat=True))
        self.used_case_slugs = set(cases.values_list("slug", flat=True))

    # Reference data ------------------------------------------------------------------

    def load_terms(self):
        self.terms = {}
        self.actor_family = {}
        self.vocabulary_of = {}
        for term in Term.objects.select_related("vocabulary", "parent").filter(is_active=True):
            self.terms.setdefault(term.vocabulary.code, {})[term.code] = term
            self.vocabulary_of[term.pk] = term.vocabulary.code
            if term.vocabulary.code == "actor_type":
                self.actor_family[term.code] = term.parent.code if term.parent_id else term.code
        self.themes = [t for t in self.terms["theme"].values() if t.code in THEMES]
        practices = self.terms["practice"].values()
        self.missions = {}
        for mission in practices:
            if mission.parent_id:
                self.missions.setdefault(mission.parent_id, []).append(mission)
        self.metiers = [t for t in practices if t.pk in self.missions]
        kinds = self.terms["partnership_type"].values()
        self.mecenat_kinds = [t for t in kinds if t.parent_id and t.parent.code == "mecenat"]

    def load_places(self):
        rows = Territory.objects.order_by("kind", "code").values_list(
            "pk",
            "kind",
            "code",
            "name",
            "population",
            "epci_category",
            "is_overseas",
            "departement_id",
            "region_id",
            "epci_id",
        )
        places, links = {}, []
        for pk, kind, code, name, population, category, overseas, *above in rows:
            places[pk] = Place(pk, kind, code, name, population or 0, category, overseas)
            links.append((places[pk], above))
        for place, (departement, region, epci) in links:
            place.departement = places.get(departement)
            place.region = places.get(region)
            place.epci = places.get(epci)
            describe(place)
        self.places = {(p.kind, p.code): p for p in places.values()}
        communes = [p for p in places.values() if p.kind == "commune" and p.departement]
        for commune in communes:
            commune.region = commune.region or commune.departement.region
        # Where cases happen: a département in proportion to its population (with a
        # floor, so that the least populated still get cases), then one of its
        # communes, the small ones damped rather than drowned.
        communes_of = {}
        for commune in communes:
            communes_of.setdefault(commune.departement, []).append(commune)
        self.commune_pickers = {
            departement.pk: WeightedPicker(items, [max(c.population, 500) ** 0.85 for c in items])
            for departement, items in communes_of.items()
        }
        weights = {
            departement: max(sum(c.population for c in items), DEPARTEMENT_FLOOR)
            for departement, items in communes_of.items()
        }
        self.departement_picker = WeightedPicker(weights, weights.values())
        by_region = {}
        for departement, weight in weights.items():
            items, region_weights = by_region.setdefault(departement.region.code, ([], []))
            items.append(departement)
            region_weights.append(weight)
        # The first cases of a run go round the régions, so that even a small demo
        # covers all of them, overseas included.
        self.region_pickers = [WeightedPicker(*by_region[code]) for code in sorted(by_region)]
        self.placed = 0
        self.members = {}  # EPCI → its communes
        self.epcis_of = {}  # département → EPCI with communes in it
        self.departements_of = {}  # région → its départements
        largest = {}
        for commune in communes:
            if commune.epci:
                self.members.setdefault(commune.epci.pk, []).append(commune)
                epcis = self.epcis_of.setdefault(commune.departement.pk, [])
                if commune.epci not in epcis:
                    epcis.append(commune.epci)
            for area in (commune.epci, commune.departement, commune.region):
                if area and (area.pk not in largest or commune.population > largest[area.pk][0]):
                    largest[area.pk] = (commune.population, commune)
        for place in places.values():
            if place.kind == "departement" and place.region:
                self.departements_of.setdefault(place.region.pk, []).append(place)
        self.seats = {pk: commune for pk, (_population, commune) in largest.items()}
        by_name = {}
        for commune in communes:
            by_name.setdefault(commune.name, []).append(commune)
        for key, name in COUNCIL_SEATS.items():
            area = self.places.get(key)
            for commune in by_name.get(name, []):
                if area in (commune.departement, commune.region):
                    self.seats[area.pk] = commune

    # Organisations -------------------------------------------------------------------

    def add_organization(self, key, name, actor, **fields):
        slug = base = slugify(name)[:100].strip("-") or "organisation"
        for number in itertools.count(2):
            if slug not in self.used_org_slugs:
                break
            slug = f"{base}-{number}"
        self.used_org_slugs.add(slug)
        values = {
            "name": name,
            "name_key": normalize(name),
            "slug": slug,
            "actor_type_id": self.terms["actor_type"][actor].pk,
            "is_demo": True,
            **fields,
        }
        organization = NewOrganization(name, self.actor_family[actor], values)
        self.organizations[key] = organization
        self.new_organizations.append(organization)
        return organization

    def unique_name(self, scope, patterns, **words):
        """A name from `patterns` not yet used within `scope` (a commune or a département)."""
        rng = self.rng
        for _attempt in range(12):
            name = rng.choice(patterns).format(
                surname=rng.choice(SURNAMES), nickname=rng.choice(NICKNAMES), **words
            )
            if (scope, name) not in self.used_names:
                break
        else:
            name = f"{name} {rng.choice(NICKNAMES)}"
        self.used_names.add((scope, name))
        return name

    def authority(self, place):
        """The collectivité governing `place`, shared by every case there."""
        special = SPECIAL_AUTHORITIES.get((place.kind, place.code))
        if special:
            name, governed_key = special
            governed, actor = self.places[governed_key], "statut_particulier"
        elif place.kind == "epci" and place.category == "MET69":
            name, governed, actor = place.name, place, "statut_particulier"
        else:
            governed, actor = place, place.kind
            name = {
                "commune": f"Commune {place.of}",
                "epci": place.label,
                "departement": f"Département {place.of}",
                "region": f"Région {place.name.removeprefix('La ')}",
            }[place.kind]
        key = ("authority", governed.pk)
        if key in self.organizations:
            return self.organizations[key]
        seat = governed if governed.kind == "commune" else self.seats.get(governed.pk)
        return self.add_organization(
            key,
            name,
            actor,
            governed_territory_id=governed.pk,
            seat_id=seat.pk if seat else None,
            description=REAL_BODY_NOTE,
        )

    def company(self, commune):
        """A local firm of the town or EPCI, or a larger one of the département."""
        rng = self.rng
        departement = commune.departement
        if rng.random() < 0.7:
            sizes, scope = LOCAL_COMPANY_SIZES, self.local_area(commune)
            key = ("entreprise", scope.pk, rng.randrange(LOCAL_COMPANIES))
        else:
            sizes, scope = COMPANY_SIZES, departement
            key = ("entreprise", scope.pk, rng.randrange(DEPARTEMENT_COMPANIES))
        if key in self.organizations:
            return self.organizations[key]
        name = self.unique_name(departement.pk, COMPANY_PATTERNS)
        size = weighted(rng, sizes)
        if name.startswith("Groupe "):
            size = rng.choice(("eti", "ge"))
        return self.add_organization(
            key,
            name,
            "entreprise",
            company_size_id=self.terms["company_size"][size].pk,
            siren=luhn_siren(rng, self.used_sirens),
            seat_id=commune.pk,
            description=DEMO_NOTE,
        )

    def local_area(self, commune):
        """Where a local organisation works: its town, or the EPCI of a small commune."""
        if commune.population >= TOWN_POPULATION or commune.epci is None:
            return commune
        return commune.epci

    def association(self, commune, theme):
        """An association of the town or EPCI: one working on the theme, or one of
        two general-purpose ones."""
        rng = self.rng
        area = self.local_area(commune)
        if rng.random() < 0.6:
            patterns, key = THEMES[theme].associations, ("association", area.pk, theme)
        else:
            patterns, key = GENERIC_ASSOCIATIONS, ("association", area.pk, rng.randrange(2))
        if key in self.organizations:
            return self.organizations[key]
        name = self.unique_name(commune.pk, patterns, place=commune.name, de_place=commune.of)
        # RNA numbers start with the département's code (Corsica's 2A/2B as 20).
        prefix = commune.departement.code.replace("A", "0").replace("B", "0").ljust(3, "0")
        while True:
            rna = f"W{prefix}{rng.randrange(10**6):06d}"
            if rna not in self.used_rnas:
                self.used_rnas.add(rna)
                break
        return self.add_organization(
            key, name, "association", rna=rna, seat_id=commune.pk, description=DEMO_NOTE
        )

    def other_actor(self, actor, commune, theme):
        rng = self.rng
        departement = commune.departement
        scope = (departement if actor in DEPARTEMENT_ACTORS else self.local_area(commune)).pk
        key = (actor, scope, rng.randrange(2))
        if key in self.organizations:
            return self.organizations[key]
        name = self.unique_name(
            scope,
            OTHER_PATTERNS[actor],
            topic=THEMES[theme].topic,
            commune=commune.name,
            de_commune=commune.of,
            de_departement=departement.of,
        )
        fields = {"description": DEMO_NOTE, "seat_id": commune.pk}
        if actor == "structure_ess":
            fields["siren"] = luhn_siren(rng, self.used_sirens)
        if actor == "etat":
            fields = {"seat_id": self.seats[departement.pk].pk, "description": REAL_BODY_NOTE}
        return self.add_organization(key, name, actor, **fields)

    # Cases ---------------------------------------------------------------------------

    def place(self):
        """Where a case happens: a commune, its EPCI, département or région (and
        now and then a neighbour of the same level)."""
        rng = self.rng
        if self.placed < len(self.region_pickers):
            departement = self.region_pickers[self.placed].pick(rng)
        else:
            departement = self.departement_picker.pick(rng)
        commune = self.commune_pickers[departement.pk].pick(rng)
        self.placed += 1
        level = weighted(rng, LEVELS)
        if level == "epci" and commune.epci is None:
            level = "commune"
        main = {
            "commune": commune,
            "epci": commune.epci,
            "departement": commune.departement,
            "region": commune.region,
        }[level]
        places = [main]
        if rng.random() < SECOND_PLACE_SHARE:
            neighbours = {
                "commune": self.members.get(commune.epci.pk, []) if commune.epci else [],
                "epci": self.epcis_of.get(commune.departement.pk, []),
                "departement": self.departements_of.get(commune.region.pk, []),
                "region": [],
            }[level]
            neighbours = [p for p in neighbours if p is not main]
            if neighbours:
                places.append(rng.choice(neighbours))
        return commune, level, places

    def roster(self, commune, places, theme):
        """2 to 6 partners as (organisation, role, contribution), the porteur first."""
        rng = self.rng
        families = weighted(rng, MIXES)
        members = []
        if "collectivite" in families:
            members.append(self.authority(places[0]))
            if rng.random() < 0.22:
                above = [p for p in (commune.epci, commune.departement, commune.region) if p]
                above = [p for p in above if p.kind != places[0].kind]
                if above:
                    members.append(self.authority(rng.choice(above)))
        if "entreprise" in families:
            members += [self.company(commune) for _ in range(1 + (rng.random() < 0.2))]
        if "association" in families:
            members += [self.association(commune, theme) for _ in range(1 + (rng.random() < 0.25))]
        others = rng.choice((0, 0, 1, 1, 1, 2))
        if len(families) == 1:
            others = max(others, 1)
        for _ in range(min(others, 6 - len(members))):
            members.append(self.other_actor(weighted(rng, OTHER_ACTORS), commune, theme))
        members = list(dict.fromkeys(members))
        families_of = [m.family for m in members]
        porteur_weights = [PORTEUR_WEIGHTS.get(f, 0.5) for f in families_of]
        first = rng.choices(range(len(members)), weights=porteur_weights)[0]
        order = [first] + [i for i in range(len(members)) if i != first]
        roster = []
        for position, index in enumerate(order):
            family = families_of[index]
            if position == 0 or (position == 1 and rng.random() < 0.08):
                role = "porteur"
            else:
                role = weighted(rng, ROLE_WEIGHTS[family])
            choices = CONTRIBUTIONS.get((role, family)) or CONTRIBUTIONS[(role, None)]
            contribution = rng.choice(choices) if rng.random() < 0.85 else ""
            roster.append((members[index], self.terms["partner_role"][role], contribution))
        return roster

    def tags(self, themes, roster, level, start, ongoing):
        """Référentiel terms (themes first), phase and scale of a case."""
        rng = self.rng
        terms = self.terms
        tags = list(themes)
        metiers = rng.sample(self.metiers, rng.choice((1, 1, 2)))
        missions = [m for metier in metiers for m in self.missions[metier.pk]]
        tags += rng.sample(missions, min(len(missions), rng.choice((1, 2, 2, 3, 4))))
        roles = {organization.family: role.code for organization, role, _c in roster}
        kinds = terms["partnership_type"]
        types = []
        if roles.get("entreprise") == "financeur" and self.mecenat_kinds:
            types.append(rng.choice(self.mecenat_kinds))
        elif "entreprise" in roles and rng.random() < 0.5:
            types.append(kinds["cooperation_economique"])
        if not types or rng.random() < 0.4:
            other = weighted(rng, (("innovation_societale", 3), ("pratiques_responsables", 1)))
            types.append(kinds[other])
        tags += types
        tags.append(rng.choice(list(terms["coconstruction_form"].values())))
        objective = terms["objective"][THEMES[themes[0].code].objective]
        tags += list(terms["objective"].values()) if rng.random() < 0.3 else [objective]
        tags += rng.sample(list(terms["impact_axis"].values()), rng.choice((1, 1, 2, 2, 3)))
        tags += rng.sample(list(terms["challenge_prism"].values()), rng.choice((0, 0, 1, 1, 2)))
        age = LAST_YEAR - start
        phase = weighted(
            rng,
            (
                ("emergence", 4 if age <= 1 and ongoing else 0.2),
                ("experimentation", 4 if age <= 4 else 1),
                ("preuve_concept", 3 if 2 <= age <= 8 else 1),
                ("essaimage", 3 if age >= 5 else 0.3),
            ),
        )
        scale = weighted(rng, SCALES[level])
        return list(dict.fromkeys(tags)), terms["phase"][phase], terms["scale"][scale]

    def slug(self, title):
        base = slugify(title)[:80].strip("-") or "experience"
        while True:
            self.counter += 1
            slug = f"{base}-{base36(self.counter)}"
            if slug not in self.used_case_slugs:
                self.used_case_slugs.add(slug)
                return slug

    def title(self, head, places, theme):
        rng = self.rng
        where = places[0].of
        if len(places) > 1 and rng.random() < 0.5:
            where = f"{where} et {places[1].of}"
        draw = rng.random()
        if draw < 0.6:
            title = f"{head} {where}"
        elif draw < 0.85:
            title = f"« {rng.choice(NICKNAMES)} » : {lowfirst(head)} {where}"
        else:
            tagline = rng.choice(TAGLINES).format(topic=theme.topic)
            title = f"{head} {where} : {tagline}"
        return title if len(title) <= 200 else f"{head} {places[0].of}"[:200]

    def dates(self, status, start):
        """published_at, submitted_at, created_at, updated_at, last_verified_on."""
        rng = self.rng

        def between(first, last):
            span = max(int((last - first).total_seconds()), 3600)
            return first + timedelta(seconds=rng.randrange(span))

        # Published over the last six years, never before the project began.
        floor = max(
            REFERENCE_TIME - timedelta(days=6 * 365),
            datetime(start, 1, 1, tzinfo=UTC) + timedelta(days=60),
        )
        floor = min(floor, REFERENCE_TIME - timedelta(days=20))
        published = submitted = verified = None
        if status in (CaseStatus.PUBLISHED, CaseStatus.ARCHIVED):
            published = between(floor, REFERENCE_TIME - timedelta(hours=1))
            submitted = published - timedelta(days=rng.randint(1, 20), minutes=rng.randrange(600))
            created = submitted - timedelta(days=rng.randint(0, 40), minutes=rng.randrange(600))
            updated = between(published, REFERENCE_TIME)
            if rng.random() < 0.85:
                verified = between(published, REFERENCE_TIME).date()
        else:
            created = between(floor, REFERENCE_TIME - timedelta(days=2))
            updated = between(created, REFERENCE_TIME)
            if status != CaseStatus.DRAFT:
                submitted = between(created, updated)
        return {
            "published_at": published,
            "submitted_at": submitted,
            "created_at": created,
            "updated_at": updated,
            "last_verified_on": verified,
        }

    def case(self, owners):
        """Plan one case: place, partners, tags, texts and dates."""
        rng = self.rng
        commune, level, places = self.place()
        themes = rng.sample(self.themes, weighted(rng, ((1, 50), (2, 35), (3, 15))))
        theme = THEMES[themes[0].code]
        roster = self.roster(commune, places, themes[0].code)
        start = rng.randint(FIRST_YEAR, LAST_YEAR)
        ongoing = start == LAST_YEAR or rng.random() < ONGOING_SHARE
        end = None if ongoing else rng.randint(start, min(start + 8, LAST_YEAR))
        status = weighted(rng, STATUSES)
        tags, phase, scale = self.tags(themes, roster, level, start, ongoing)

        head = rng.choice(theme.heads)
        title = self.title(head, places, theme)
        slug = self.slug(title)
        porteur = with_article(roster[0][0].name)
        families = [organization.family for organization, _r, _c in roster]
        if ongoing:
            ran = f"construisent depuis {start}"
        elif end == start:
            ran = f"ont construit en {start}"
        else:
            ran = f"ont construit de {start} à {end}"
        words = Words(
            rng,
            LEVEL_SCALE[level],
            start,
            end or LAST_YEAR,
            head=head,
            topic=theme.topic,
            de_topic=de(theme.topic),
            public=theme.public,
            in_place=places[0].inside,
            In_place=capfirst(places[0].inside),
            de_place=places[0].of,
            mix=mix_phrase(families),
            others_mix=mix_phrase(families[1:]),
            porteur=porteur,
            Porteur=capfirst(porteur),
            others=join_fr(with_article(o.name) for o, _r, _c in roster[1:]),
            ran=ran,
            start_year=start,
        )

        def sentences(pool, count):
            return [s.format_map(words) for s in rng.sample(pool, count)]

        practices = [t for t in tags if self.vocabulary_of[t.pk] == "practice"]
        form = next(t for t in tags if self.vocabulary_of[t.pk] == "coconstruction_form")
        description = (
            f"{rng.choice(DESCRIPTIONS).format_map(words)} Co-construction : "
            f"{lowfirst(form.label_fr)} ; "
            f"{'pratique' if len(practices) == 1 else 'pratiques'} du référentiel : "
            f"{join_fr(lowfirst(t.label_fr) for t in practices)}."
        )
        context = sentences(theme.contexts, 1)
        if rng.random() < 0.5:
            context.insert(0, rng.choice(CONTEXT_OPENERS).format_map(words))
        else:
            context.append(rng.choice(CONTEXT_CLOSERS))
        actions = sentences(theme.actions, rng.choice((1, 2, 2)))
        if rng.random() < 0.6:
            actions += sentences(GOVERNANCE, 1)
        results = sentences(theme.results, rng.choice((1, 1, 2)))
        if rng.random() < 0.3:
            results += sentences(GENERIC_RESULTS, 1)
        if end:
            results.append(f"Le projet s'est achevé en {end} ; {rng.choice(ENDINGS)}")
        lessons = sentences(LESSONS, 1)
        if rng.random() < 0.4:
            lessons += sentences(theme.lessons, 1)
        mailbox = rng.choice(("contact", "coordination", "projet", "partenariats"))
        values = {
            "title": title,
            "slug": slug,
            "summary": rng.choice(SUMMARIES).format_map(words),
            "description": description,
            "context": " ".join(s for s in context if s),
            "actions": " ".join(actions),
            "results": " ".join(results),
            "lessons": " ".join(lessons),
            "start_year": start,
            "end_year": end,
            "phase_id": phase.pk,
            "scale_id": scale.pk,
            "contact_email": (
                f"{mailbox}@{slugify(roster[0][0].name)[:40].strip('-')}.{DEMO_DOMAIN}"
            ),
            "owner_id": rng.choice(owners).pk,
            "status": status,
            "is_demo": True,
            **self.dates(status, start),
        }
        for organization, _role, _contribution in roster:
            # Organisations appear with the first case that names them.
            if "created_at" not in organization.values:
                organization.values["created_at"] = values["created_at"]
        criteria = []
        if status == CaseStatus.PUBLISHED and rng.random() < PIONEER_SHARE:
            criteria = self.pioneer(values, families, start, phase)
        sources = []
        for title_pattern, path in rng.sample(SOURCES, rng.choice((1, 1, 2, 3))):
            year = rng.randint(start, end or LAST_YEAR)
            sources.append(
                (
                    title_pattern.format(year=year, de_porteur=de(porteur)),
                    f"https://example.org/demo/{slug}/{path.format(year=year)}",
                )
            )
        return PlannedCase(values, places, roster, tags, criteria, sources)

    def batch(self, owners, size):
        cases = [self.case(owners) for _ in range(size)]
        organizations, self.new_organizations = self.new_organizations, []
        return Batch(cases, organizations)

    def pioneer(self, values, families, start, phase):
        """Feature the case as a pioneer: criteria it plausibly meets, a reason, dates."""
        rng = self.rng
        eligible = ["besoin_territoire", "gouvernance_partagee", "resultats_mesures"]
        if {"collectivite", "entreprise", "association"} <= set(families):
            eligible.append("trois_familles")
        if start <= LAST_YEAR - 4:
            eligible.append("duree")
        if phase.code == "essaimage":
            eligible.append("essaimage")
        available = self.terms["pioneer_criterion"]
        eligible = [code for code in eligible if code in available]
        chosen = sorted(
            rng.sample(eligible, min(len(eligible), rng.randint(2, 4))),
            key=lambda code: available[code].position,
        )
        reasons = [PIONEER_REASONS[code].format(start_year=start) for code in chosen]
        values["is_pioneer"] = True
        values["pioneer_reason"] = f"Expérience mise en avant parce qu'elle {join_fr(reasons)}."
        published = values["published_at"]
        latest = max(published + timedelta(hours=2), REFERENCE_TIME - timedelta(days=1))
        values["pioneer_at"] = min(
            published + timedelta(days=rng.randint(7, 240), hours=rng.randint(0, 9)), latest
        )
        values["pioneer_review_on"] = (
            values["pioneer_at"] + timedelta(days=rng.randint(365, 730))
        ).date()
        return [available[code] for code in chosen]


# Writing --------------------------------------------------------------------------


def writable_fields(model, skip=()):
    return [f for f in model._meta.concrete_fields if f.attname not in {"id", *skip}]


CASE_FIELDS = writable_fields(Case, skip={"search_vector"})
ORGANIZATION_FIELDS = writable_fields(Organization)


def rows_of(fields, ids, records):
    """Row tuples (id first) for `records` (dicts by attribute name), with the
    fields' defaults for what a record leaves out, ready for COPY or executemany."""
    defaults = {f.attname: f.get_default() for f in fields}
    rows = [
        [pk, *(values.get(f.attname, defaults[f.attname]) for f in fields)]
        for pk, values in zip(ids, records, strict=True)
    ]
    if connection.vendor != "postgresql":
        rows = [
            [pk, *(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))]
            for pk, *row in rows
        ]
    return rows


def reserve_ids(model, count):
    """`count` new primary keys for `model`, taken before the rows are written so
    that their link rows can be built at once."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction that writes them is the only writer.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def save_organizations(batch):
    """Insert the organisations a batch names for the first time."""
    new = batch.organizations
    if not new:
        return
    ids = reserve_ids(Organization, len(new))
    for organization, pk in zip(new, ids, strict=True):
        organization.pk = pk
        organization.values.setdefault("created_at", REFERENCE_TIME)
        organization.values.setdefault("updated_at", organization.values["created_at"])
    columns = ["id", *(f.column for f in ORGANIZATION_FIELDS)]
    insert_rows(Organization, columns, rows_of(ORGANIZATION_FIELDS, ids, [o.values for o in new]))


def write_batch(batch):
    """Write one batch: its new organisations, its cases and every row linked to them."""
    save_organizations(batch)
    planned = batch.cases
    ids = reserve_ids(Case, len(planned))
    columns = ["id", *(f.column for f in CASE_FIELDS)]
    insert_rows(Case, columns, rows_of(CASE_FIELDS, ids, [plan.values for plan in planned]))
    territories, partners, terms, criteria, sources = [], [], [], [], []
    for pk, plan in zip(ids, planned, strict=True):
        territories += [(pk, place.pk) for place in plan.places]
        partners += [
            (pk, organization.pk, role.pk, contribution, position)
            for position, (organization, role, contribution) in enumerate(plan.roster)
        ]
        terms += [(pk, term.pk) for term in plan.terms]
        criteria += [(pk, term.pk) for term in plan.criteria]
        sources += [(pk, title, url, i) for i, (title, url) in enumerate(plan.sources)]
    insert_rows(CaseTerritory, ["case_id", "territory_id"], territories)
    insert_rows(
        CasePartner, ["case_id", "organization_id", "role_id", "contribution", "position"], partners
    )
    insert_rows(Case.terms.through, ["case_id", "term_id"], terms)
    insert_rows(Case.pioneer_criteria.through, ["case_id", "term_id"], criteria)
    insert_rows(CaseSource, ["case_id", "title", "url", "position"], sources)
    # Family mix, facet keys, search documents and lexicon, as for any case.
    refresh_case_index(ids)
    return ids


def write_in_background(batches, *, on_written):
    """Write `batches` from a second thread while this one generates the next.

    PostgreSQL spends about as long storing a batch (French search vectors, link
    tables, their indexes and foreign keys) as Python spends inventing it. The
    writer thread waits on its own connection without holding the GIL, so both
    cores work. Each batch is its own transaction, written in order: the
    organisations a batch names first are saved before any later batch uses them.

    One writer only: two would lock the same vocabulary, organisation and
    territory rows for their foreign keys at once, which costs PostgreSQL more
    than the second writer gains."""
    pending = queue.Queue(maxsize=2)
    failures = []

    def writer():
        try:
            while (batch := pending.get()) is not None:
                if not failures:
                    with transaction.atomic():
                        ids = write_batch(batch)
                    on_written(ids)
        except BaseException as error:  # handed to the generating thread
            failures.append(error)
            while pending.get() is not None:  # let the producer finish
                pass
        finally:
            connection.close()

    thread = threading.Thread(target=writer, name="seed_demo writer")
    thread.start()
    try:
        for batch in batches:
            if failures:
                break
            pending.put(batch)
    finally:
        pending.put(None)
        thread.join()
    if failures:
        raise failures[0]


# Entry points ---------------------------------------------------------------------

OWNERS = (
    ("camille.demo", "Camille (démo)"),
    ("dominique.demo", "Dominique (démo)"),
    ("sacha.demo", "Sacha (démo)"),
    ("yanis.demo", "Yanis (démo)"),
    ("maud.demo", "Maud (démo)"),
    ("lea.demo", "Léa (démo)"),
)


def demo_owners():
    """The contributors demo cases belong to: `@demo.invalid`, no usable password."""
    User = get_user_model()
    owners = []
    for local, display_name in OWNERS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, username=email, display_name=display_name)
            user.set_unusable_password()
            user.save()
        owners.append(user)
    return owners


def has_demo_data():
    return Case.objects.filter(is_demo=True).exists()


def thousands(number):
    return f"{number:,}".replace(",", " ")


def duration(seconds):
    """« 1 h 08 min », « 4 min 10 s », « 12 s »."""
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


class SeedMismatch(Exception):
    """The demo cases of the database are not the beginning of the run asked for."""


def replay(generator, owners, sizes, written):
    """Draw again the batches of `sizes` an interrupted run already wrote, without
    writing them: the generator is then where that run stopped. Checks that they
    are the cases of the database, and gives the organisations they named their
    ids there (later batches refer to them)."""
    slugs, organizations = set(), []
    for size in sizes:
        batch = generator.batch(owners, size)
        slugs.update(plan.values["slug"] for plan in batch.cases)
        organizations += batch.organizations
    if slugs != set(written.values_list("slug", flat=True)):
        raise SeedMismatch(
            "The demo cases of the database are not the beginning of this seed: "
            "resume with the --cases and --seed of the interrupted run, or clear them."
        )
    ids = dict(Organization.objects.filter(is_demo=True).values_list("slug", "pk"))
    for organization in organizations:
        organization.pk = ids[organization.values["slug"]]


def seed_demo(*, cases, seed, progress=print, resume=False, batch_size=BATCH):
    """Create `cases` demo cases (with their organisations) and return the ids of
    those this call created.

    Each batch of `batch_size` cases is written in a transaction of its own (a
    savepoint inside an outer transaction, as in tests). On PostgreSQL outside a
    transaction, a second thread writes each batch while the next one is
    generated. A run interrupted half-way (killed, connection lost) leaves its
    first batches, which `clear_demo` removes, or which `resume` continues.

    `resume`: the demo cases already in the database are the first batches of
    this same run (same `cases`, `seed` and `batch_size`, begun on a database
    without demo cases). They are drawn again without being written (about
    2 000 cases a second, a fraction of what writing them took), checked against
    the database, and the run goes on from there: the cases are then those of a
    run that was never interrupted. Without `resume`, a run on a database that
    has demo cases adds others, drawn from another stream of the seed."""
    existing = Case.objects.filter(is_demo=True)
    already = existing.count()
    sizes = [min(batch_size, cases - start) for start in range(0, cases, batch_size)]
    done = 0
    if resume and already:
        ends = list(itertools.accumulate(sizes))
        if already not in ends:
            raise SeedMismatch(
                f"The database holds {thousands(already)} demo cases, which no run of "
                f"{thousands(cases)} cases in batches of {thousands(batch_size)} leaves."
            )
        done = ends.index(already) + 1
    if done == len(sizes) > 0:
        progress(f"All {thousands(cases)} cases already written.")
        return []
    generator = Generator(seed=seed, offset=0 if resume else already, resuming=bool(done))
    owners = demo_owners()
    if done:
        started = time.monotonic()
        progress(f"Resuming: drawing the {thousands(already)} cases already written again…")
        replay(generator, owners, sizes[:done], existing)
        progress(f"…done in {duration(time.monotonic() - started)}.")
    else:
        already = 0
    batches = (generator.batch(owners, size) for size in sizes[done:])
    created = []
    started = time.monotonic()

    def on_written(ids):
        created.extend(ids)
        total = already + len(created)
        rate = len(created) / max(time.monotonic() - started, 1e-6)
        message = f"{thousands(total)}/{thousands(cases)} cases, {thousands(round(rate))} a second"
        if total < cases:
            message += f", about {duration((cases - total) / rate)} left"
        progress(message)

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        write_in_background(batches, on_written=on_written)
    else:
        for batch in batches:
            with transaction.atomic():
                ids = write_batch(batch)
            on_written(ids)
    return created


@transaction.atomic
def clear_demo(*, progress=print):
    """Delete the demo cases, then the demo organisations and users that nothing
    refers to any more (a real case may have picked a demo organisation)."""
    demo_cases = Case.objects.filter(is_demo=True)
    count = demo_cases.count()
    # The lexicon and the word index forget the cases that go.
    lost = count_words(demo_cases.values_list("search_text", flat=True).iterator(chunk_size=BATCH))
    update_lexicon({word: -n for word, n in lost.items()})
    forget_word_index(demo_cases.values_list("pk", flat=True))
    # The big link tables in one statement each; the ORM's cascade then handles
    # the rest (versions, audit rows, reports) without loading the link rows.
    for model in (
        CasePartner,
        CaseTerritory,
        CaseSource,
        Case.terms.through,
        Case.pioneer_criteria.through,
    ):
        model.objects.filter(case__in=demo_cases).delete()
    demo_cases.only("pk").delete()
    organizations = Organization.objects.filter(
        is_demo=True, roster_entries__isnull=True, members__isnull=True
    )
    organization_count = organizations.count()
    organizations.delete()
    get_user_model().objects.filter(email__endswith=f"@{DEMO_DOMAIN}", cases__isnull=True).delete()
    bump_registry_version()
    progress(
        f"Demo data cleared: {thousands(count)} cases, {thousands(organization_count)} "
        "organisations."
    )
    return count
