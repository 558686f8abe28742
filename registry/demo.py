"""Demonstration data: realistic, plainly fictional cases built from the vocabularies.

`seed_demo(cases=N, seed=S)` is deterministic for a given seed and existing
data, marks everything it creates as demo (`is_demo`, `@demo.invalid`
addresses), and writes with bulk inserts so that 100 000 cases take about a
minute on PostgreSQL.
"""

import bisect
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.text import slugify

from registry.facets import bump_registry_version
from registry.identifiers import luhn_valid
from registry.models import (
    Case,
    CasePartner,
    CaseSource,
    CaseStatus,
    CaseTerritory,
    Family,
    Organization,
    Term,
)
from registry.search import PG_VECTOR_EXPRESSION, TEXT_FIELDS
from territories.models import Territory, normalize

BATCH = 2000
DEMO_DOMAIN = "demo.invalid"

THEME_WORDS = {
    "emploi_insertion": ("l'insertion professionnelle", "demandeurs d'emploi", "emplois"),
    "developpement_economique": ("l'économie locale", "entreprises du territoire", "activités"),
    "pouvoir_achat": ("le pouvoir d'achat", "ménages modestes", "foyers aidés"),
    "pauvrete_exclusion": ("la lutte contre l'exclusion", "personnes précaires", "personnes"),
    "lien_social": ("le lien social", "habitants isolés", "habitants"),
    "vieillissement": ("le bien-vieillir", "personnes âgées", "seniors"),
    "handicap": ("l'inclusion des personnes handicapées", "personnes handicapées", "personnes"),
    "education_jeunesse": ("la réussite des jeunes", "jeunes du territoire", "jeunes"),
    "sante": ("l'accès aux soins", "patients éloignés des soins", "patients"),
    "environnement": ("la transition écologique", "habitants et entreprises", "tonnes de CO2"),
    "securite": ("la prévention", "jeunes exposés", "situations"),
    "culture_sport": ("la culture et le sport pour tous", "habitants des quartiers", "adhérents"),
    "alimentation": ("une alimentation durable", "familles", "repas"),
    "numerique_inclusif": (
        "l'inclusion numérique",
        "personnes éloignées du numérique",
        "personnes",
    ),
    "logement": ("le logement digne", "ménages mal logés", "logements"),
    "mobilite": ("la mobilité solidaire", "personnes sans solution de transport", "trajets"),
}
# Titles read well whatever the level of the place (commune, EPCI, département, région).
TITLE_PATTERNS = [
    "Alliance pour {topic} ({place})",
    "{Device} pour {topic} — {place}",
    "Coopération territoriale pour {topic} — {place}",
    "{place} : un {device} au service de {topic}",
    "Ensemble pour {topic} — territoire {place}",
]
DEVICES = [
    "plateforme",
    "laboratoire d'innovation",
    "collectif",
    "tiers-lieu",
    "programme",
    "réseau",
    "pôle",
    "fonds territorial",
    "guichet partagé",
    "chantier",
]
CONTEXTS = [
    "Le diagnostic partagé a montré que {public} restaient sans réponse adaptée.",
    "Les acteurs du territoire « {place} » constataient des besoins croissants : {topic}.",
    "Aucune structure ne pouvait seule répondre aux attentes des {public}.",
    "Les élus et les associations avaient identifié {topic} comme une priorité du territoire.",
]
ACTIONS = [
    "Des ateliers réguliers réunissent les partenaires et les {public}.",
    "Un comité de pilotage commun se réunit chaque trimestre.",
    "Les entreprises mettent à disposition des salariés en mécénat de compétences.",
    "Un lieu partagé accueille les permanences des différentes structures.",
    "Un parcours d'accompagnement individualisé a été construit ensemble.",
    "Une charte d'engagement a été signée par chaque partenaire.",
]
RESULTS = [
    "{number} {unit} ont été concernés depuis le lancement.",
    "{percent} % des participants déclarent une situation améliorée après un an.",
    "Le dispositif a été étendu à {extra} communes voisines.",
    "{number} {unit} accompagnés et {extra} partenaires mobilisés.",
]
LESSONS = [
    "La confiance s'est construite dans la durée, grâce à une animation neutre.",
    "Partager les données dès le départ a évité des doublons d'action.",
    "Le rôle du catalyseur territorial a été décisif pour tenir le calendrier.",
    "Associer les bénéficiaires à la gouvernance a changé la nature des solutions.",
]
SURNAMES = [
    "Martin",
    "Bernard",
    "Durand",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morel",
    "Mathieu",
    "Clement",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
]
TRADES = [
    "Logistique",
    "Bâtiment",
    "Industries",
    "Énergies",
    "Services",
    "Conseil",
    "Transports",
    "Numérique",
    "Agroalimentaire",
    "Distribution",
    "Mutuelle",
    "Banque coopérative",
]
ASSOCIATION_PATTERNS = [
    "Association Tremplin {place}",
    "Les Jardins de {place}",
    "Solidarités {place}",
    "Maison des associations de {place}",
    "Réseau Entraide {place}",
    "Collectif Ensemble {place}",
]
OTHER_ACTORS = {
    "fondation": "Fondation {surname} pour {topic}",
    "structure_ess": "SCIC {trade} solidaire de {place}",
    "etat": "Préfecture — services de l'État ({place})",
    "etablissement_public": "Agence territoriale de {place}",
    "acteur_academique": "Université de {place} — laboratoire {surname}",
    "accompagnateur": "Incubateur {surname} & associés",
    "reseau_professionnel": "Chambre des métiers de {place}",
}


@dataclass
class Vocab:
    terms: dict = field(default_factory=dict)

    def of(self, vocabulary):
        return self.terms[vocabulary]


def load_vocab():
    vocab = Vocab()
    for term in Term.objects.select_related("vocabulary", "parent").filter(is_active=True):
        vocab.terms.setdefault(term.vocabulary.code, []).append(term)
    return vocab


class WeightedPicker:
    """Pick items with probability proportional to a weight, in O(log n)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng):
        return self.items[bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])]


def luhn_siren(rng, used):
    while True:
        body = f"{rng.randrange(10**7, 10**8):08d}"
        for check in range(10):
            siren = body + str(check)
            if luhn_valid(siren) and siren not in used:
                used.add(siren)
                return siren


class Generator:
    def __init__(self, seed, progress):
        self.rng = random.Random(seed)
        self.seed = seed
        self.progress = progress
        self.vocab = load_vocab()
        self.themes = self.vocab.of("theme")
        self.missions = [t for t in self.vocab.of("practice") if t.parent_id]
        self.actor = {t.code: t for t in self.vocab.of("actor_type")}
        self.roles = {t.code: t for t in self.vocab.of("partner_role")}
        self.sizes = self.vocab.of("company_size")
        communes = list(
            Territory.objects.filter(kind="commune")
            .select_related("departement", "region", "epci")
            .order_by("code")
        )
        # Weighted by population, with a floor so that small communes and every
        # région (overseas included) get cases.
        weights = [max(c.population or 0, 800) ** 0.8 for c in communes]
        self.commune_picker = WeightedPicker(communes, weights)
        # The first cases of a run go round the régions, so that even a small
        # demo covers all 18, overseas included.
        by_region = {}
        for commune, weight in zip(communes, weights, strict=True):
            by_region.setdefault(commune.region.code, ([], []))
            by_region[commune.region.code][0].append(commune)
            by_region[commune.region.code][1].append(weight)
        self.region_pickers = [WeightedPicker(*by_region[code]) for code in sorted(by_region)]
        self.placed = 0
        self.departements = list(Territory.objects.filter(kind="departement").order_by("code"))
        self.used_sirens = set(
            Organization.objects.exclude(siren=None).values_list("siren", flat=True)
        )
        self.used_rnas = set(Organization.objects.exclude(rna=None).values_list("rna", flat=True))
        self.used_slugs = set(Organization.objects.values_list("slug", flat=True))
        self.organizations = {}  # key -> Organization (unsaved until flushed)

    # Organisations ---------------------------------------------------------------

    def organization(self, key, build):
        if key not in self.organizations:
            self.organizations[key] = build()
        return self.organizations[key]

    def new_organization(self, name, actor, **fields):
        slug = base = slugify(name)[:100] or "organisation"
        for number in itertools.count(2):
            if slug not in self.used_slugs:
                break
            slug = f"{base}-{number}"
        self.used_slugs.add(slug)
        return Organization(
            name=name,
            name_key=normalize(name),
            slug=slug,
            actor_type=self.actor[actor],
            is_demo=True,
            **fields,
        )

    def collectivite(self, territory):
        kind = territory.kind
        names = {
            "commune": f"Ville de {territory.name}",
            "epci": territory.name,
            "departement": f"Conseil départemental — {territory.name}",
            "region": f"Région {territory.name}",
        }
        return self.organization(
            ("collectivite", territory.pk),
            lambda: self.new_organization(
                names[kind],
                kind,
                governed_territory=territory,
                seat=territory if kind == "commune" else None,
            ),
        )

    def company(self, commune):
        rng = self.rng
        index = rng.randrange(12)
        key = ("entreprise", commune.departement_id, index)

        def build():
            name = f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
            return self.new_organization(
                name,
                "entreprise",
                company_size=rng.choice(self.sizes),
                siren=luhn_siren(rng, self.used_sirens),
                seat=commune,
            )

        return self.organization(key, build)

    def association(self, commune):
        rng = self.rng
        key = ("association", commune.pk, rng.randrange(3))

        def build():
            name = rng.choice(ASSOCIATION_PATTERNS).format(place=commune.name)
            while True:
                rna = (
                    f"W{commune.departement_code[:2].replace('A', '0').replace('B', '0')}"
                    f"{rng.randrange(10**6, 10**7):07d}"
                )
                if rna not in self.used_rnas:
                    self.used_rnas.add(rna)
                    break
            return self.new_organization(name, "association", rna=rna, seat=commune)

        return self.organization(key, build)

    def other_actor(self, commune, theme_words):
        rng = self.rng
        actor = rng.choice(list(OTHER_ACTORS))
        key = (actor, commune.departement_id)

        def build():
            name = OTHER_ACTORS[actor].format(
                place=commune.departement.name,
                surname=rng.choice(SURNAMES),
                trade=rng.choice(TRADES).lower(),
                topic=theme_words[0],
            )
            return self.new_organization(name, actor, seat=commune)

        return self.organization(key, build)

    # Cases -------------------------------------------------------------------------

    def place(self):
        """Where a case happens: a commune, its EPCI, département or région."""
        rng = self.rng
        if self.placed < 2 * len(self.region_pickers):
            commune = self.region_pickers[self.placed % len(self.region_pickers)].pick(rng)
        else:
            commune = self.commune_picker.pick(rng)
        self.placed += 1
        level = rng.random()
        if level < 0.5 or (level < 0.75 and commune.epci is None):
            places = [commune]
        elif level < 0.75:
            places = [commune.epci]
        elif level < 0.9:
            places = [commune.departement]
        else:
            places = [commune.region]
        if rng.random() < 0.08:
            neighbour = rng.choice(self.departements)
            if neighbour not in places:
                places.append(neighbour)
        return commune, places

    def case(self, number, now):
        rng = self.rng
        commune, places = self.place()
        themes = rng.sample(self.themes, rng.choice((1, 1, 2, 2, 3)))
        words = THEME_WORDS.get(themes[0].code, ("l'intérêt général", "habitants", "personnes"))
        place_name = places[0].name
        device = rng.choice(DEVICES)
        title = rng.choice(TITLE_PATTERNS).format(
            topic=words[0], place=place_name, device=device, Device=device.capitalize()
        )[:200]
        fill = {
            "topic": words[0],
            "public": words[1],
            "unit": words[2],
            "place": place_name,
            "number": rng.randrange(20, 2500),
            "percent": rng.randrange(40, 92),
            "extra": rng.randrange(2, 14),
        }
        start = rng.randrange(2008, 2027)
        ended = rng.random() < 0.4 and start < 2025
        partners = self.partners(commune, places, words)
        status = self.status()
        published_at = None
        if status in {CaseStatus.PUBLISHED, CaseStatus.ARCHIVED}:
            published_at = now - timedelta(days=rng.randrange(0, 5 * 365), minutes=number % 1440)
        case = Case(
            title=title,
            summary=(
                f"Exemple fictif de démonstration. Sur le territoire « {place_name} », "
                f"{len(partners)} partenaires agissent ensemble pour {words[0]}."
            ),
            description=" ".join(rng.sample(ACTIONS, 2)).format(**fill),
            context=rng.choice(CONTEXTS).format(**fill),
            actions=" ".join(rng.sample(ACTIONS, 3)).format(**fill),
            results=rng.choice(RESULTS).format(**fill),
            lessons=rng.choice(LESSONS),
            start_year=start,
            end_year=rng.randrange(start, 2027) if ended else None,
            phase=rng.choice(self.vocab.of("phase")),
            scale=rng.choices(self.vocab.of("scale"), weights=(60, 25, 12, 3))[0],
            contact_email=f"contact{number}@{DEMO_DOMAIN}",
            status=status,
            published_at=published_at,
            submitted_at=now - timedelta(days=rng.randrange(1, 60))
            if status == CaseStatus.SUBMITTED
            else None,
            last_verified_on=(now - timedelta(days=rng.randrange(0, 700))).date()
            if rng.random() < 0.85
            else None,
            is_demo=True,
        )
        tags = list(themes)
        tags += rng.sample(self.missions, rng.randrange(1, 5))
        partnership = rng.sample(self.vocab.of("partnership_type"), rng.choice((1, 1, 2)))
        tags += partnership
        tags.append(rng.choice(self.vocab.of("coconstruction_form")))
        tags += rng.sample(self.vocab.of("objective"), rng.choice((1, 2)))
        tags += rng.sample(self.vocab.of("impact_axis"), rng.randrange(1, 4))
        tags += rng.sample(self.vocab.of("challenge_prism"), rng.randrange(0, 3))
        pioneer = status == CaseStatus.PUBLISHED and rng.random() < 0.03
        criteria = (
            rng.sample(self.vocab.of("pioneer_criterion"), rng.randrange(2, 5)) if pioneer else []
        )
        if pioneer:
            case.is_pioneer = True
            case.pioneer_reason = (
                "Une alliance exemplaire par la diversité de ses partenaires et la mesure de "
                "ses résultats."
            )
            case.pioneer_at = published_at + timedelta(days=30)
            case.pioneer_review_on = (published_at + timedelta(days=400)).date()
        case.slug = f"{slugify(title)[:170]}-{self.seed}-{number}"
        family_mask = 0
        for organization, _role in partners:
            family = (
                organization.actor_type.parent.code
                if organization.actor_type.parent_id
                else organization.actor_type.code
            )
            family_mask |= {
                "collectivite": Family.COLLECTIVITE,
                "entreprise": Family.ENTREPRISE,
                "association": Family.ASSOCIATION,
            }.get(family, Family.OTHER)
        case.family_mask = family_mask
        names = [o.name for o, _r in partners] + [p.name for p in places]
        case.search_names = " ".join(names)
        case.search_text = normalize(
            " ".join([*(getattr(case, f) or "" for f in TEXT_FIELDS), *names])
        )
        sources = [("Rapport d'activité (exemple)", f"https://example.org/demo/{number}")]
        return case, places, partners, tags, criteria, sources

    def partners(self, commune, places, words):
        rng = self.rng
        roster = [
            (self.collectivite(places[0] if places[0].kind != "commune" else commune), "porteur")
        ]
        mix = rng.random()
        if mix < 0.42:
            roster.append((self.company(commune), "financeur"))
            roster.append((self.association(commune), "partenaire"))
        elif mix < 0.72:
            roster.append((self.association(commune), "partenaire"))
        else:
            roster.append((self.company(commune), "partenaire"))
        for _ in range(rng.randrange(0, 3)):
            roster.append(
                (
                    self.other_actor(commune, words),
                    rng.choice(["catalyseur", "expert", "partenaire", "financeur", "beneficiaire"]),
                )
            )
        seen, unique = set(), []
        for organization, role in roster:
            if id(organization) not in seen:
                seen.add(id(organization))
                unique.append((organization, self.roles[role]))
        return unique

    def status(self):
        draw = self.rng.random()
        if draw < 0.92:
            return CaseStatus.PUBLISHED
        return self.rng.choice(
            [
                CaseStatus.DRAFT,
                CaseStatus.SUBMITTED,
                CaseStatus.CHANGES_REQUESTED,
                CaseStatus.REJECTED,
                CaseStatus.ARCHIVED,
            ]
        )


def insert_rows(model, columns, rows):
    """Insert plain tuples into `model`'s table: COPY on PostgreSQL, executemany
    elsewhere. Link rows need no model instances, and building 300 000 of them
    dominated the time of a large seed."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


CASE_COLUMNS = [
    field.column
    for field in Case._meta.concrete_fields
    if field.column not in {"id", "search_vector"}
]


def insert_cases(cases):
    """Insert cases and set their ids. On PostgreSQL the rows go through a COPY
    into a staging table and one INSERT … SELECT that computes the tsvector on
    the way, so each row is written once, already searchable."""
    if connection.vendor != "postgresql":
        Case.objects.bulk_create(cases, batch_size=BATCH)
        return
    now = datetime.now(tz=UTC)
    for case in cases:
        case.created_at = case.updated_at = now
    attnames = [
        next(f.attname for f in Case._meta.concrete_fields if f.column == column)
        for column in CASE_COLUMNS
    ]
    names = ", ".join(CASE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE demo_case_stage AS SELECT {names} FROM registry_case WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY demo_case_stage ({names}) FROM STDIN") as copy:
            for case in cases:
                copy.write_row([getattr(case, attname) for attname in attnames])
        cursor.execute(
            f"INSERT INTO registry_case ({names}, search_vector) "
            f"SELECT {names}, {PG_VECTOR_EXPRESSION} FROM demo_case_stage RETURNING slug, id"
        )
        ids = dict(cursor.fetchall())
        cursor.execute("DROP TABLE demo_case_stage")
    for case in cases:
        case.pk = ids[case.slug]


def demo_owners(count=5):
    User = get_user_model()
    owners = []
    for number in range(1, count + 1):
        email = f"contributeur{number}@{DEMO_DOMAIN}"
        user, created = User.objects.get_or_create(
            email=email, defaults={"username": email, "display_name": f"Contributeur démo {number}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        owners.append(user)
    return owners


def clear_demo(progress=print):
    with transaction.atomic():
        deleted, _ = Case.objects.filter(is_demo=True).delete()
        organizations = Organization.objects.filter(is_demo=True, roster_entries__isnull=True)
        organizations.filter(members__isnull=True).delete()
        get_user_model().objects.filter(
            email__endswith=f"@{DEMO_DOMAIN}", cases__isnull=True
        ).delete()
    progress(f"Demo data cleared ({deleted} rows).")


def seed_demo(*, cases, seed, progress=print):
    """Create `cases` demo cases (and their organisations), in batches."""
    generator = Generator(seed, progress)
    owners = demo_owners()
    offset = Case.objects.filter(is_demo=True).count()
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    created_ids = []
    for start in range(0, cases, BATCH):
        size = min(BATCH, cases - start)
        with transaction.atomic():
            planned = [generator.case(offset + start + i, now) for i in range(size)]
            new_organizations = [o for o in generator.organizations.values() if o.pk is None]
            Organization.objects.bulk_create(new_organizations, batch_size=BATCH)
            if new_organizations and new_organizations[0].pk is None:
                ids = dict(Organization.objects.filter(is_demo=True).values_list("slug", "pk"))
                for organization in new_organizations:
                    organization.pk = ids[organization.slug]
            for index, (case, *_rest) in enumerate(planned):
                case.owner = owners[(offset + start + index) % len(owners)]
            insert_cases([p[0] for p in planned])
            territories, partners, terms, criteria, sources = [], [], [], [], []
            for case, places, roster, tags, pioneer_criteria, links in planned:
                territories += [(case.pk, p.pk) for p in places]
                partners += [(case.pk, o.pk, role.pk, "", i) for i, (o, role) in enumerate(roster)]
                terms += [(case.pk, t.pk) for t in set(tags)]
                criteria += [(case.pk, t.pk) for t in pioneer_criteria]
                sources += [(case.pk, title, url, 0) for title, url in links]
            insert_rows(CaseTerritory, ["case_id", "territory_id"], territories)
            insert_rows(
                CasePartner,
                ["case_id", "organization_id", "role_id", "contribution", "position"],
                partners,
            )
            insert_rows(Case.terms.through, ["case_id", "term_id"], terms)
            insert_rows(Case.pioneer_criteria.through, ["case_id", "term_id"], criteria)
            insert_rows(CaseSource, ["case_id", "title", "url", "position"], sources)
            created_ids += [p[0].pk for p in planned]
        progress(f"  {start + size:>7}/{cases} cases…")
    bump_registry_version()
    return created_ids
