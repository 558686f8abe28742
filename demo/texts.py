"""The words of the demonstration data: French wording helpers (articles,
« de »/« du », place names in a sentence), the texts of each theme, the names of
invented organisations, and the mix of partners and roles that `demo.generator`
draws from. Every text is plainly fictional."""

from collections import Counter
from dataclasses import dataclass

DEMO_NOTE = "Organisation fictive, créée pour les données de démonstration du registre."
REAL_BODY_NOTE = (
    "Fiche de démonstration : les expériences rattachées à cette organisation sont fictives."
)

# French wording ------------------------------------------------------------------

VOWELS = set("AEIOUYÂÀÉÈÊËÎÏÔÖÛÙÜaeiouyâàéèêëîïôöûùü")
NUMBER_WORDS = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}


def capfirst(text):
    return text[:1].upper() + text[1:]


def lowfirst(text):
    return text[:1].lower() + text[1:]


def de(phrase):
    """« de » before a name or a noun phrase: de Lille, d'Amiens, du Havre, des
    Abymes, de La Trinité, de la santé, de l'emploi, d'une alimentation."""
    for article, contracted in (("le ", "du "), ("les ", "des "), ("Le ", "du "), ("Les ", "des ")):
        if phrase.startswith(article):
            return contracted + phrase[len(article) :]
    if phrase[:1] in VOWELS:
        return "d'" + phrase
    return "de " + phrase


def at(commune_name):
    """« à » before a commune: à Lille, au Havre, aux Abymes, à La Trinité."""
    if commune_name.startswith("Le "):
        return "au " + commune_name[3:]
    if commune_name.startswith("Les "):
        return "aux " + commune_name[4:]
    return "à " + commune_name


def join_fr(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def figure(number):
    """1250 → « 1 250 », French style (narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


MASCULINE_DEPARTEMENTS = {
    "Bas-Rhin",
    "Calvados",
    "Cantal",
    "Cher",
    "Doubs",
    "Finistère",
    "Gard",
    "Gers",
    "Haut-Rhin",
    "Jura",
    "Loir-et-Cher",
    "Loiret",
    "Lot",
    "Lot-et-Garonne",
    "Maine-et-Loire",
    "Morbihan",
    "Nord",
    "Pas-de-Calais",
    "Puy-de-Dôme",
    "Rhône",
    "Tarn",
    "Tarn-et-Garonne",
    "Territoire de Belfort",
    "Val-d'Oise",
    "Val-de-Marne",
    "Var",
    "Vaucluse",
}
PLURAL_DEPARTEMENTS = (
    "Alpes",
    "Ardennes",
    "Bouches-",
    "Côtes-",
    "Deux-",
    "Hautes-",
    "Hauts-",
    "Landes",
    "Pyrénées",
    "Vosges",
    "Yvelines",
)


def de_departement(name):
    """du Nord, de la Somme, de l'Ain, des Landes, de Paris, de La Réunion."""
    if name in {"Paris", "Mayotte"} or name.startswith("La "):
        return de(name)
    if name.startswith(PLURAL_DEPARTEMENTS):
        return "des " + name
    if name[:1] in VOWELS or name == "Hérault":
        return "de l'" + name
    if name in MASCULINE_DEPARTEMENTS:
        return "du " + name
    return "de la " + name


EPCI_PREFIXES = {
    "CC": "Communauté de communes",
    "CA": "Communauté d'agglomération",
    "CU": "Communauté urbaine",
}


def epci_full_name(name):
    """« CC du Pays de Fayence » → « Communauté de communes du Pays de Fayence »;
    « CA Concarneau Cornouaille Agglomération » → « Concarneau Cornouaille Agglomération »."""
    head, _space, rest = name.partition(" ")
    if head not in EPCI_PREFIXES or not rest:
        return name
    named = any(word in rest for word in ("Agglo", "Communauté", "Métropole"))
    if named and not rest.startswith(("de ", "du ", "des ", "d'")):
        return rest
    return f"{EPCI_PREFIXES[head]} {rest}"


def de_epci(full_name):
    if full_name.startswith(("Communauté", "Métropole")):
        return "de la " + full_name
    if full_name.startswith("Eurométropole"):
        return "de l'" + full_name
    return de(full_name)


# Organisation names that take an article in a sentence (« portée par la Commune de
# Lille »), by their first word.
ARTICLES = {
    "Agence": "l'",
    "Association": "l'",
    "Atelier": "l'",
    "Banque": "la ",
    "Chaire": "la ",
    "Club": "le ",
    "Collectif": "le ",
    "Collectivité": "la ",
    "Commune": "la ",
    "Communauté": "la ",
    "Conseil": "le ",
    "Coopérative": "la ",
    "Département": "le ",
    "Direction": "la ",
    "Eurométropole": "l'",
    "Épicerie": "l'",
    "Fondation": "la ",
    "Fonds": "le ",
    "Groupe": "le ",
    "Groupement": "le ",
    "Incubateur": "l'",
    "Laboratoire": "le ",
    "Maison": "la ",
    "Métropole": "la ",
    "Mutuelle": "la ",
    "Pôle": "le ",
    "Préfecture": "la ",
    "Région": "la ",
    "Régie": "la ",
    "Réseau": "le ",
    "SCIC": "la ",
    "Ville": "la ",
}


def with_article(name):
    first, _space, rest = name.partition(" ")
    if first == "Les":
        return "les " + rest
    return ARTICLES.get(first, "") + name


# What each actor type is called when a summary counts the partners.
ACTOR_NOUNS = {
    "collectivite": ("une collectivité", "collectivités"),
    "entreprise": ("une entreprise", "entreprises"),
    "association": ("une association", "associations"),
    "fondation": ("une fondation", "fondations"),
    "structure_ess": ("une structure de l'ESS", "structures de l'ESS"),
    "etat": ("les services de l'État", "services de l'État"),
    "etablissement_public": ("un établissement public", "établissements publics"),
    "acteur_academique": ("un laboratoire universitaire", "laboratoires universitaires"),
    "accompagnateur": ("un acteur de l'accompagnement", "acteurs de l'accompagnement"),
    "reseau_professionnel": ("un réseau professionnel", "réseaux professionnels"),
    "media": ("un média local", "médias locaux"),
    "citoyens": ("un collectif d'habitants", "collectifs d'habitants"),
}


def mix_phrase(families):
    """« une collectivité, deux entreprises et une association »."""
    parts = []
    counts = Counter(families)
    for family in sorted(counts, key=list(ACTOR_NOUNS).index):
        count = counts[family]
        one, many = ACTOR_NOUNS[family]
        parts.append(one if count == 1 else f"{NUMBER_WORDS[count]} {many}")
    return join_fr(parts)


# Texts by theme -------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeText:
    """What a theme's cases say. `heads` start a title (« Garage solidaire » de
    Lille); sentences may use {in_place}, {de_place}, {public}, {topic},
    {start_year} and the figures of `Generator.figures`."""

    topic: str
    public: str
    objective: str
    heads: tuple
    associations: tuple
    contexts: tuple
    actions: tuple
    results: tuple
    lessons: tuple


THEMES = {
    "emploi_insertion": ThemeText(
        topic="l'insertion professionnelle",
        public="demandeurs d'emploi de longue durée",
        objective="reduire_fragilites",
        heads=(
            "Coopérative d'insertion des jeunes",
            "Chantier d'insertion partagé",
            "Groupement d'employeurs pour l'insertion",
            "Parcours vers le premier emploi",
            "Club d'entreprises inclusives",
            "Plateforme emploi-compétences",
            "Ressourcerie d'insertion",
            "Job dating solidaire",
        ),
        associations=("Passerelle Emploi {place}", "Association Tremplin {place}"),
        contexts=(
            "Le chômage de longue durée {in_place} dépassait nettement la moyenne régionale, "
            "alors que des offres restaient sans candidat dans le bâtiment, la logistique "
            "et l'aide à domicile.",
            "Les entreprises du territoire peinaient à recruter pendant que de nombreux "
            "{public} restaient sans solution.",
            "Les structures d'insertion travaillaient chacune de leur côté, sans lien suivi "
            "avec les employeurs locaux.",
        ),
        actions=(
            "Des salariés volontaires parrainent chaque participant pendant six mois.",
            "Les entreprises partenaires proposent des immersions de deux semaines et "
            "s'engagent sur des recrutements.",
            "Un chantier d'insertion rénove le petit patrimoine communal et forme aux métiers "
            "du bâtiment.",
            "Un conseiller unique suit chaque personne, de l'accueil jusqu'au premier contrat.",
        ),
        results=(
            "{n} personnes accompagnées, dont {pct} % en emploi ou en formation six mois après "
            "leur sortie.",
            "{n2} contrats signés avec {k} entreprises du territoire.",
            "Le délai moyen de retour à l'emploi est passé de {a} à {b} mois.",
        ),
        lessons=(
            "Les employeurs se sont engagés quand on leur a présenté un besoin précis plutôt "
            "qu'une demande de soutien de principe.",
            "Le parrainage par des salariés a davantage compté que la formation elle-même.",
        ),
    ),
    "developpement_economique": ThemeText(
        topic="le développement économique local",
        public="créateurs d'entreprise",
        objective="moteurs_croissance_emploi",
        heads=(
            "Pépinière d'entreprises partagée",
            "Fonds de revitalisation du commerce",
            "Réseau des entrepreneurs",
            "Tiers-lieu productif",
            "Plan de reconquête du centre-bourg",
            "Boutique à l'essai",
            "Filière bois locale",
            "Coopérative d'achats des artisans",
        ),
        associations=("Entreprendre Ensemble {place}", "Initiatives Locales {place}"),
        contexts=(
            "La fermeture de plusieurs commerces et d'un site industriel avait fragilisé "
            "l'économie {de_place}.",
            "Les {public} manquaient de locaux abordables et d'un réseau pour se lancer.",
            "Les donneurs d'ordre du territoire achetaient peu localement, faute de connaître "
            "l'offre des artisans.",
        ),
        actions=(
            "Des locaux vacants sont loués à prix réduit aux porteurs de projet pendant un an.",
            "Les grandes entreprises ouvrent leurs achats aux artisans locaux lors de "
            "rencontres trimestrielles.",
            "Un prêt d'honneur complète l'accompagnement des créateurs par des chefs "
            "d'entreprise bénévoles.",
            "Une marque territoriale valorise les produits fabriqués localement.",
        ),
        results=(
            "{n2} entreprises créées ou reprises, et {n} emplois maintenus ou créés.",
            "Le taux de vacance commerciale du centre a baissé de {pct_small} %.",
            "{k} marchés attribués à des entreprises locales, pour {m} k€.",
        ),
        lessons=(
            "Réunir acheteurs et fournisseurs autour d'une même table a suffi à lever bien "
            "des préjugés.",
            "Le soutien des chefs d'entreprise bénévoles a rassuré les banques.",
        ),
    ),
    "pouvoir_achat": ThemeText(
        topic="le pouvoir d'achat des ménages",
        public="ménages modestes",
        objective="reduire_fragilites",
        heads=(
            "Épicerie solidaire",
            "Groupement d'achat citoyen",
            "Maison des budgets",
            "Point conseil budget partagé",
            "Plateforme contre le non-recours aux droits",
            "Bourse aux équipements",
            "Mutuelle communale",
            "Fonds d'avance remboursable",
        ),
        associations=("Budget Malin {place}", "Les Paniers {de_place}"),
        contexts=(
            "La hausse des prix de l'énergie et de l'alimentation pesait lourdement sur les "
            "{public} du territoire.",
            "Beaucoup d'habitants ne demandaient pas les aides auxquelles ils avaient droit.",
            "Les impayés de loyer et d'énergie augmentaient, signe de budgets à bout de souffle.",
        ),
        actions=(
            "Des permanences d'accès aux droits se tiennent chaque semaine dans les mairies et "
            "les centres sociaux.",
            "Les achats groupés de fioul, de fournitures scolaires et de produits frais sont "
            "négociés avec des fournisseurs locaux.",
            "Des bénévoles formés aident à établir un budget et à renégocier les contrats "
            "d'énergie.",
            "Un fonds d'avance remboursable finance les petites dépenses imprévues.",
        ),
        results=(
            "{n} foyers accompagnés, pour un gain moyen estimé à {eur} € par an.",
            "{n2} droits ouverts ou rétablis : aides au logement, tarifs sociaux, "
            "complémentaire santé.",
            "Les impayés signalés par les bailleurs partenaires ont reculé de {pct_small} %.",
        ),
        lessons=(
            "Aller vers les habitants, sur les marchés et à la sortie des écoles, a touché "
            "un public que les guichets ne voyaient jamais.",
            "La confidentialité a été la première condition de la confiance.",
        ),
    ),
    "pauvrete_exclusion": ThemeText(
        topic="la lutte contre la grande précarité",
        public="personnes sans domicile stable",
        objective="reduire_fragilites",
        heads=(
            "Pension de famille partagée",
            "Accueil de jour solidaire",
            "Bagagerie solidaire",
            "Maraude coordonnée",
            "Laverie sociale",
            "Réseau d'entraide",
            "Parcours du toit à l'emploi",
            "Domiciliation partagée",
        ),
        associations=("Accueil Fraternel {place}", "Solidarités {place}"),
        contexts=(
            "Le nombre de {public} {in_place} avait doublé en quelques années.",
            "Les maraudes de plusieurs associations se croisaient sans se coordonner, "
            "laissant des secteurs sans passage.",
            "Les personnes les plus isolées renonçaient aux démarches faute d'adresse, de "
            "téléphone ou d'accompagnement.",
        ),
        actions=(
            "Un planning partagé coordonne les maraudes des associations et du centre "
            "communal d'action sociale.",
            "Un accueil de jour propose douches, bagagerie et domiciliation.",
            "Les entreprises partenaires offrent des missions courtes rémunérées, premières "
            "marches vers l'emploi.",
            "Un travailleur social référent suit chaque personne jusqu'à un logement stable.",
        ),
        results=(
            "{n} personnes accueillies chaque année, dont {n3} relogées durablement.",
            "Les nuits sans solution signalées au 115 ont diminué de {pct_small} %.",
            "{n2} missions rémunérées proposées par les entreprises partenaires.",
        ),
        lessons=(
            "Rémunérer les premières heures de travail dès le premier jour a changé le "
            "rapport à l'emploi.",
            "La coordination a demandé un temps d'animation dédié, qu'il a fallu financer.",
        ),
    ),
    "lien_social": ThemeText(
        topic="le lien social",
        public="habitants isolés",
        objective="reduire_fragilites",
        heads=(
            "Café des habitants",
            "Réseau de voisins solidaires",
            "Jardin partagé intergénérationnel",
            "Maison du quartier partagée",
            "Conciergerie solidaire",
            "Tiers-lieu de quartier",
            "Plateforme d'entraide entre voisins",
            "Fête des solidarités",
        ),
        associations=("Voisins Solidaires {place}", "Collectif Ensemble {place}"),
        contexts=(
            "Une enquête auprès des habitants avait révélé un fort sentiment d'isolement, en "
            "particulier chez les personnes vivant seules.",
            "La fermeture du dernier café et du bureau de poste avait privé le bourg de ses "
            "lieux de rencontre.",
            "Les nouveaux arrivants et les habitants de longue date se croisaient sans se "
            "connaître.",
        ),
        actions=(
            "Un lieu convivial ouvre cinq jours par semaine, animé par un salarié et des "
            "bénévoles.",
            "Des voisins volontaires rendent visite chaque semaine aux {public} repérés par "
            "la mairie.",
            "Les entreprises du secteur ouvrent leurs portes lors de journées de découverte.",
            "Un programme d'activités est construit chaque trimestre avec les habitants.",
        ),
        results=(
            "{n} habitants ont participé au moins une fois aux activités, dont {pct} % de "
            "personnes vivant seules.",
            "{n2} binômes de voisinage constitués.",
            "{pct} % des participants disent connaître davantage de voisins qu'avant.",
        ),
        lessons=(
            "Le lieu n'a pris vie que lorsque les habitants en ont défini eux-mêmes les usages.",
            "Des rendez-vous réguliers ont davantage compté que les grands événements.",
        ),
    ),
    "vieillissement": ThemeText(
        topic="le bien-vieillir à domicile",
        public="personnes âgées vivant seules",
        objective="reduire_fragilites",
        heads=(
            "Plateforme de répit des aidants",
            "Habitat inclusif pour seniors",
            "Réseau de visites à domicile",
            "Transport solidaire des aînés",
            "Maison des aidants",
            "Programme de prévention des chutes",
            "Résidence intergénérationnelle",
            "Colocation solidaire seniors-étudiants",
        ),
        associations=("Les Aînés {de_place}", "Présence Seniors {place}"),
        contexts=(
            "La part des plus de 75 ans {in_place} progressait rapidement, alors que les "
            "services d'aide à domicile peinaient à recruter.",
            "Les aidants familiaux, épuisés, ne connaissaient pas les solutions de répit "
            "existantes.",
            "Le maintien à domicile butait sur l'isolement et sur des logements inadaptés.",
        ),
        actions=(
            "Des artisans partenaires adaptent les logements (douches, rampes, éclairage) à "
            "tarif solidaire.",
            "Des étudiants logés chez des seniors offrent présence et petits services.",
            "Un numéro unique oriente les aidants vers les solutions de répit.",
            "Des ateliers de prévention des chutes et de mémoire se tiennent dans les salles "
            "communales.",
        ),
        results=(
            "{n} personnes âgées accompagnées, dont {pct} % vivent toujours chez elles deux "
            "ans plus tard.",
            "{n2} logements adaptés grâce aux artisans partenaires.",
            "{n3} aidants ont bénéficié d'un temps de répit.",
        ),
        lessons=(
            "Les aidants se sont saisis des solutions quand leur médecin ou leur pharmacien "
            "les leur a présentées.",
            "Adapter les logements et rompre l'isolement ensemble a mieux réussi que chacun "
            "séparément.",
        ),
    ),
    "handicap": ThemeText(
        topic="l'inclusion des personnes en situation de handicap",
        public="personnes en situation de handicap",
        objective="reduire_fragilites",
        heads=(
            "Entreprise adaptée partagée",
            "Plateforme emploi et handicap",
            "Café inclusif",
            "Club de sport adapté",
            "Habitat inclusif",
            "Parcours d'emploi accompagné",
            "Réseau des employeurs handi-accueillants",
            "Tourisme accessible",
        ),
        associations=("Handi'Cap {place}", "Autonomie Partagée {place}"),
        contexts=(
            "Le taux d'emploi des {public} restait très inférieur à la moyenne du territoire.",
            "Les familles manquaient de solutions entre l'établissement spécialisé et la vie "
            "autonome.",
            "Les employeurs se disaient prêts à recruter mais craignaient de ne pas savoir "
            "accompagner.",
        ),
        actions=(
            "Un job coach accompagne salariés et employeurs dans la durée.",
            "Les entreprises partenaires aménagent des postes et forment leurs managers.",
            "Les équipements sportifs et culturels sont rendus accessibles avec l'aide "
            "d'associations spécialisées.",
            "Un habitat partagé permet à des adultes de vivre chez eux avec un "
            "accompagnement mutualisé.",
        ),
        results=(
            "{n2} personnes en emploi durable, dont {pct} % en milieu ordinaire.",
            "{k} employeurs engagés dans la charte du réseau.",
            "{n3} adultes logés en habitat inclusif.",
        ),
        lessons=(
            "Former les managers a davantage compté que l'aménagement des postes.",
            "Associées dès la conception, les personnes concernées ont évité plusieurs "
            "fausses bonnes idées.",
        ),
    ),
    "education_jeunesse": ThemeText(
        topic="la réussite éducative des jeunes",
        public="jeunes sans diplôme",
        objective="reduire_fragilites",
        heads=(
            "Parrainage collégiens-entreprises",
            "Fabrique à projets jeunes",
            "Campus des métiers partagé",
            "Réseau de tutorat",
            "Stages de troisième pour tous",
            "Maison des lycéens et des apprentis",
            "Programme d'orientation des collégiens",
            "Coopérative jeunesse de services",
        ),
        associations=("Réussir Ensemble {place}", "Jeunesse en Mouvement {place}"),
        contexts=(
            "Dans les quartiers prioritaires, de nombreux élèves de troisième ne trouvaient "
            "pas de stage faute de réseau.",
            "Le décrochage scolaire {in_place} restait supérieur à la moyenne nationale.",
            "Les jeunes connaissaient mal les métiers et les entreprises de leur propre "
            "territoire.",
        ),
        actions=(
            "Les entreprises partenaires proposent des stages de troisième et des visites de "
            "sites.",
            "Des étudiants bénévoles assurent un tutorat hebdomadaire.",
            "Des salariés présentent leur métier dans les collèges lors de forums trimestriels.",
            "Les jeunes conçoivent et mènent eux-mêmes des projets financés par un fonds dédié.",
        ),
        results=(
            "{n} jeunes accompagnés, dont {pct} % poursuivent une formation qualifiante.",
            "{n2} stages de troisième trouvés dans {k} entreprises.",
            "Le nombre de jeunes sans solution à la rentrée a baissé de {pct_small} %.",
        ),
        lessons=(
            "Les jeunes se sont engagés quand ils ont eu la main sur une partie du budget.",
            "Les enseignants ont été les meilleurs relais, à condition d'être associés dès "
            "la rentrée.",
        ),
    ),
    "sante": ThemeText(
        topic="l'accès aux soins",
        public="patients sans médecin traitant",
        objective="reduire_fragilites",
        heads=(
            "Maison de santé pluriprofessionnelle",
            "Centre de santé partagé",
            "Bus de prévention santé",
            "Réseau de télésoin",
            "Parcours santé des jeunes",
            "Accueil des internes en médecine",
            "Programme sport-santé",
            "Médiation en santé",
        ),
        associations=("Santé Partagée {place}", "Prévention Santé {place}"),
        contexts=(
            "Le départ en retraite de plusieurs médecins généralistes avait laissé de "
            "nombreux {public}.",
            "Les dépistages y étaient moins fréquents qu'ailleurs, surtout chez les personnes "
            "éloignées des soins.",
            "Les jeunes médecins hésitaient à s'installer, faute de logement et d'exercice "
            "collectif.",
        ),
        actions=(
            "Un bus itinérant propose dépistages et consultations de prévention dans les villages.",
            "La collectivité met à disposition des locaux et des logements pour les internes.",
            "Des médiateurs en santé accompagnent les patients dans leurs démarches.",
            "Les entreprises financent des ateliers sport-santé ouverts à leurs salariés et "
            "aux habitants.",
        ),
        results=(
            "{n2} patients ont retrouvé un médecin traitant.",
            "{n} personnes dépistées lors des tournées du bus santé.",
            "{k} professionnels de santé installés depuis le lancement.",
        ),
        lessons=(
            "Le logement des internes a été l'argument décisif des installations.",
            "La prévention a mieux fonctionné portée par des pairs que par des campagnes "
            "d'affichage.",
        ),
    ),
    "environnement": ThemeText(
        topic="la transition écologique",
        public="ménages aux factures d'énergie élevées",
        objective="moteurs_croissance_emploi",
        heads=(
            "Ressourcerie",
            "Écologie industrielle territoriale",
            "Plan de rénovation énergétique",
            "Centrale solaire citoyenne",
            "Réseau de réparation",
            "Plateforme de compostage partagé",
            "Défi zéro déchet",
            "Programme de plantation de haies",
        ),
        associations=("Les Jardins {de_place}", "Atelier Réparer {place}"),
        contexts=(
            "Les déchets des entreprises et des ménages {de_place} étaient peu valorisés, "
            "faute de filière locale.",
            "Les factures d'énergie pesaient sur les {public} comme sur les petites entreprises.",
            "Les épisodes de sécheresse avaient rendu visible la fragilité des ressources en eau.",
        ),
        actions=(
            "Les entreprises échangent matières, chaleur et équipements grâce à une "
            "cartographie commune des flux.",
            "Une société citoyenne finance des panneaux solaires sur les toits publics.",
            "Des ateliers de réparation se tiennent chaque mois avec des bénévoles et des "
            "artisans.",
            "Agriculteurs, chasseurs et écoles replantent des haies le long des parcelles.",
        ),
        results=(
            "{t} tonnes de déchets détournées de l'enfouissement chaque année.",
            "{k} entreprises engagées dans des synergies, pour {t2} tonnes de CO2 évitées.",
            "{km} kilomètres de haies replantés.",
        ),
        lessons=(
            "Les synergies entre entreprises sont nées de la confiance, bien avant les "
            "questions techniques.",
            "L'investissement citoyen a fait des habitants des propriétaires, pas seulement "
            "des spectateurs.",
        ),
    ),
    "securite": ThemeText(
        topic="la prévention de la délinquance",
        public="jeunes exposés aux risques",
        objective="reduire_fragilites",
        heads=(
            "Conseil local de prévention partagé",
            "Chantiers éducatifs",
            "Médiation sociale de nuit",
            "Programme de prévention routière",
            "Réseau de vigilance des commerçants",
            "Tranquillité dans les transports",
            "Prévention des violences intrafamiliales",
            "Animation de rue estivale",
        ),
        associations=("Médiation Citoyenne {place}", "Prévention Jeunesse {place}"),
        contexts=(
            "Les incivilités dans les transports et autour des commerces du centre "
            "inquiétaient habitants et commerçants.",
            "Les éducateurs de rue constataient l'entrée précoce de certains jeunes dans les "
            "trafics.",
            "Les victimes de violences intrafamiliales tardaient à trouver de l'aide.",
        ),
        actions=(
            "Des médiateurs sont présents en soirée dans les transports et sur les places "
            "publiques.",
            "Des chantiers éducatifs rémunérés sont proposés aux {public} repérés par les "
            "éducateurs.",
            "Les commerçants sont formés pour orienter les victimes vers les bons interlocuteurs.",
            "Des animations sportives occupent l'espace public pendant l'été.",
        ),
        results=(
            "{n2} jeunes ont participé aux chantiers éducatifs, dont {pct} % ont repris une "
            "formation.",
            "Les incidents signalés dans les transports ont reculé de {pct_small} %.",
            "{n3} victimes orientées et accompagnées.",
        ),
        lessons=(
            "La présence humaine en soirée a davantage rassuré que les équipements.",
            "Le partage d'informations a exigé des règles claires, écrites ensemble dès le départ.",
        ),
    ),
    "culture_sport": ThemeText(
        topic="l'accès à la culture et au sport",
        public="habitants des quartiers prioritaires",
        objective="reduire_fragilites",
        heads=(
            "Festival participatif",
            "Résidence d'artistes",
            "École de musique partagée",
            "Club sportif solidaire",
            "Médiathèque hors les murs",
            "Pass culture et sport local",
            "Fabrique artistique",
            "Tournoi des quartiers",
        ),
        associations=("Scènes Ouvertes {place}", "Sport Pour Tous {place}"),
        contexts=(
            "Une partie des habitants ne franchissait jamais la porte des équipements "
            "culturels et sportifs.",
            "Les clubs sportifs manquaient de bénévoles et d'encadrants, et refusaient des "
            "inscriptions.",
            "Les artistes du territoire cherchaient des lieux pour créer et rencontrer le public.",
        ),
        actions=(
            "Les entreprises partenaires prennent en charge une partie des licences sportives.",
            "Des artistes en résidence animent des ateliers dans les écoles et les maisons de "
            "retraite.",
            "Une médiathèque mobile se rend dans les quartiers et les hameaux.",
            "Des salariés bénévoles encadrent des entraînements le week-end.",
        ),
        results=(
            "{n} participants aux ateliers et aux spectacles, dont {pct} % pour la première fois.",
            "{n2} licences sportives financées.",
            "Le nombre d'adhérents des clubs partenaires a progressé de {pct_small} %.",
        ),
        lessons=(
            "La gratuité n'a pas suffi : il a fallu aller chercher le public là où il vit.",
            "Les artistes ont trouvé leur place quand leur présence s'est inscrite dans la durée.",
        ),
    ),
    "alimentation": ThemeText(
        topic="une alimentation durable et accessible",
        public="familles modestes",
        objective="moteurs_croissance_emploi",
        heads=(
            "Légumerie solidaire",
            "Cuisine centrale en circuit court",
            "Paniers solidaires",
            "Ferme urbaine",
            "Magasin de producteurs",
            "Plateforme de dons alimentaires",
            "Jardin maraîcher d'insertion",
            "Projet alimentaire partagé",
        ),
        associations=("Épicerie Solidaire {de_place}", "Les Jardins {de_place}"),
        contexts=(
            "Les cantines s'approvisionnaient très peu auprès des producteurs locaux.",
            "De nombreuses {public} renonçaient aux fruits et légumes frais, jugés trop chers.",
            "Les invendus des commerces alimentaires étaient jetés faute de logistique de "
            "collecte.",
        ),
        actions=(
            "Une légumerie prépare les légumes des producteurs locaux pour les cantines.",
            "Des paniers de produits frais sont proposés à prix solidaire, financés en partie "
            "par les entreprises partenaires.",
            "Une tournée de collecte récupère les invendus des supermarchés pour les "
            "associations d'aide alimentaire.",
            "Des ateliers de cuisine réunissent familles, producteurs et diététiciens.",
        ),
        results=(
            "{n} repas servis chaque jour avec {pct} % de produits locaux.",
            "{t} tonnes d'invendus collectées et redistribuées chaque année.",
            "{n2} familles bénéficient de paniers solidaires.",
        ),
        lessons=(
            "Les producteurs se sont engagés quand volumes et prix ont été garantis sur "
            "plusieurs années.",
            "Mêler les publics dans les ateliers a évité de stigmatiser les familles aidées.",
        ),
    ),
    "numerique_inclusif": ThemeText(
        topic="l'inclusion numérique",
        public="personnes éloignées du numérique",
        objective="reduire_fragilites",
        heads=(
            "Réseau de médiation numérique",
            "Atelier de reconditionnement d'ordinateurs",
            "Fabrique numérique de territoire",
            "Bus numérique itinérant",
            "Permanences numériques partagées",
            "Café numérique intergénérationnel",
            "Formation aux compétences numériques",
            "Hub d'inclusion numérique",
        ),
        associations=("Clic Solidaire {place}", "Connexions {place}"),
        contexts=(
            "Avec la dématérialisation des démarches, de nombreux habitants se retrouvaient "
            "sans accès à leurs droits.",
            "Un foyer sur cinq ne disposait pas d'un ordinateur en état de marche.",
            "Les lieux de médiation numérique étaient concentrés dans la ville-centre.",
        ),
        actions=(
            "Les entreprises partenaires donnent leurs ordinateurs réformés, reconditionnés "
            "par une structure d'insertion.",
            "Des conseillers numériques tiennent des permanences dans les mairies et les "
            "bibliothèques.",
            "Des collégiens forment des seniors lors d'ateliers intergénérationnels.",
            "Un bus équipé sillonne chaque semaine les communes rurales.",
        ),
        results=(
            "{n2} ordinateurs reconditionnés et remis à des foyers modestes.",
            "{n} personnes accompagnées dans leurs démarches en ligne.",
            "{pct} % des participants se disent autonomes après dix séances.",
        ),
        lessons=(
            "L'équipement sans accompagnement ne sert à rien ; l'accompagnement sans "
            "équipement non plus.",
            "Les aidants numériques ont eu besoin d'un réseau pour ne pas s'épuiser.",
        ),
    ),
    "logement": ThemeText(
        topic="l'accès à un logement digne",
        public="ménages mal logés",
        objective="reduire_fragilites",
        heads=(
            "Foncière solidaire",
            "Plateforme de lutte contre l'habitat indigne",
            "Intermédiation locative",
            "Chantier participatif de rénovation",
            "Logement des saisonniers",
            "Résidence pour jeunes actifs",
            "Bail à réhabilitation",
            "Colocation solidaire",
        ),
        associations=("Toit Partagé {place}", "Habitat Solidaire {place}"),
        contexts=(
            "Des logements vacants côtoyaient des {public} en attente d'un logement social "
            "depuis plusieurs années.",
            "Les saisonniers et les jeunes actifs ne trouvaient pas à se loger près de leur "
            "emploi.",
            "Les signalements d'habitat indigne restaient souvent sans suite faute de moyens "
            "pour les travaux.",
        ),
        actions=(
            "Une foncière solidaire achète et rénove des logements vacants pour les louer à "
            "loyer modéré.",
            "Des propriétaires confient leur bien à une association qui leur garantit les loyers.",
            "Les entreprises du bâtiment interviennent en chantiers écoles avec des jeunes en "
            "formation.",
            "Les employeurs réservent des logements pour leurs salariés saisonniers.",
        ),
        results=(
            "{n3} logements remis sur le marché à loyer modéré.",
            "{n2} ménages relogés, dont {pct} % sortaient d'un hébergement précaire.",
            "{k} logements indignes rénovés avec l'aide des artisans partenaires.",
        ),
        lessons=(
            "Garantir les loyers aux propriétaires a levé l'essentiel de leurs réticences.",
            "Les chantiers écoles ont permis de rénover à moindre coût tout en formant.",
        ),
    ),
    "mobilite": ThemeText(
        topic="la mobilité solidaire",
        public="personnes sans solution de transport",
        objective="reduire_fragilites",
        heads=(
            "Plateforme mobilité solidaire",
            "Garage solidaire",
            "Auto-école sociale",
            "Covoiturage domicile-travail",
            "Location solidaire de scooters",
            "Transport à la demande partagé",
            "Vélo-école",
            "Navettes inter-entreprises",
        ),
        associations=("Roues Solidaires {place}", "Mobilité Pour Tous {place}"),
        contexts=(
            "Sans voiture, de nombreux habitants renonçaient à un emploi ou à une formation "
            "situés à quelques kilomètres.",
            "Les zones d'activité n'étaient desservies par aucun transport en commun aux "
            "horaires de travail.",
            "Le coût du permis de conduire restait hors de portée des jeunes en insertion.",
        ),
        actions=(
            "Un garage solidaire répare les véhicules à prix coûtant et loue des voitures pour "
            "quelques euros par jour.",
            "Les entreprises d'une même zone financent des navettes adaptées aux horaires des "
            "équipes.",
            "Une auto-école sociale accompagne les apprenants jusqu'au permis.",
            "Un conseiller mobilité construit avec chaque personne une solution adaptée.",
        ),
        results=(
            "{n} personnes accompagnées, dont {pct} % ont accédé à un emploi ou une formation.",
            "{n2} trajets effectués chaque mois en transport à la demande.",
            "{n3} permis de conduire obtenus.",
        ),
        lessons=(
            "Le conseil en mobilité a compté autant que les moyens de transport eux-mêmes.",
            "Mutualiser les navettes entre entreprises en a divisé le coût par trois.",
        ),
    ),
}

# Sentences any theme may use ------------------------------------------------------

NICKNAMES = (
    "Passerelle",
    "Tremplin",
    "Boussole",
    "Trait d'union",
    "Cap Avenir",
    "Ricochet",
    "Escale",
    "Cordée",
    "Horizons",
    "Racines",
    "Fil rouge",
    "Relais",
    "Élan",
    "Sésame",
    "Archipel",
    "Essor",
    "Ancrage",
    "Lucioles",
    "Estran",
    "Mosaïque",
    "Rebond",
    "Déclic",
    "Envol",
    "Levain",
    "Sillon",
    "Alizé",
)
TAGLINES = (
    "une alliance pour {topic}",
    "agir ensemble pour {topic}",
    "coopérer pour {topic}",
    "s'allier pour {topic}",
)
SUMMARIES = (
    "Exemple fictif de démonstration. {In_place}, {mix} agissent ensemble pour {topic}.",
    "Exemple fictif : lancé en {start_year} {in_place}, le projet « {head} » réunit {mix} "
    "autour {de_topic}.",
    "Cette alliance fictive, imaginée pour la démonstration du registre, associe {mix} "
    "{in_place} pour répondre aux besoins des {public}.",
    "Exemple fictif de démonstration. Face aux difficultés des {public}, {porteur} a fédéré "
    "{others_mix} {in_place}.",
    "Exemple fictif. {Porteur} et ses partenaires ({others_mix}) {ran} une réponse commune "
    "pour {topic} {in_place}.",
)
DESCRIPTIONS = (
    "« {head} » est une alliance fictive, imaginée pour illustrer le registre. Elle est portée "
    "par {porteur}, avec {others}.",
    "Porté par {porteur}, le projet « {head} » rassemble {others}. Ses contenus sont fictifs "
    "et servent de démonstration.",
    "Ce projet de démonstration, « {head} », n'existe pas : il illustre comment {porteur} "
    "pourrait s'allier avec {others}.",
)
CONTEXT_OPENERS = (
    "Le diagnostic partagé mené en {diag_year} avec les acteurs du territoire a fait "
    "{de_topic} une priorité.",
    "L'initiative est née d'une rencontre entre élus, chefs d'entreprise et responsables "
    "associatifs lors d'un forum territorial.",
    "Plusieurs acteurs du territoire faisaient le même constat sans jamais l'avoir partagé.",
    "Le projet de territoire adopté en {diag_year} appelait à coopérer davantage avec les "
    "entreprises et les associations.",
    "Une étude conduite avec un laboratoire universitaire avait mis en évidence des besoins "
    "mal couverts.",
    "Les habitants eux-mêmes avaient alerté les élus lors d'une réunion publique.",
)
CONTEXT_CLOSERS = (
    "Aucun acteur ne pouvait répondre seul à ces besoins.",
    "Il fallait sortir d'une logique de guichets pour construire une réponse commune.",
    "Les partenaires ont choisi d'expérimenter avant de généraliser.",
    "",
)
GOVERNANCE = (
    "Un comité de pilotage réunit les partenaires chaque trimestre et fixe les priorités de "
    "l'année.",
    "Une convention pluriannuelle fixe les engagements de chacun, revus chaque année.",
    "Un poste de coordination, financé à parts égales par les partenaires, anime la démarche.",
    "Les bénéficiaires sont représentés au comité de suivi.",
    "Un tableau de bord partagé suit une dizaine d'indicateurs.",
    "Un catalyseur territorial organise des temps d'interconnaissance entre les acteurs.",
    "Les salariés des entreprises partenaires s'engagent en mécénat de compétences.",
    "Un lieu partagé accueille les permanences des différentes structures.",
)
GENERIC_RESULTS = (
    "La démarche a été étendue à {extra} communes voisines.",
    "{k2} nouveaux partenaires ont rejoint l'alliance depuis son lancement.",
    "Une évaluation externe conduite en {eval_year} a confirmé l'utilité du dispositif.",
    "Le budget annuel, de {budget} k€, est couvert à {pct_private} % par des financements privés.",
)
ENDINGS = (
    "ses actions ont été reprises par les partenaires.",
    "un nouveau programme en a pris le relais.",
    "ses enseignements nourrissent d'autres projets du territoire.",
)
LESSONS = (
    "La confiance s'est construite dans la durée, grâce à une animation neutre.",
    "Partager les données dès le départ a évité des doublons d'action.",
    "Le rôle du catalyseur territorial a été décisif pour tenir le calendrier.",
    "Associer les bénéficiaires à la gouvernance a changé la nature des solutions.",
    "Il a fallu près d'un an pour que chaque partenaire comprenne les contraintes des autres.",
    "Un engagement écrit, même simple, a clarifié les rôles et évité les malentendus.",
    "Des résultats rapides, même modestes, ont entretenu la mobilisation des premiers mois.",
    "Le projet a survécu aux changements d'équipes parce qu'il reposait sur plusieurs partenaires.",
    "Quelques indicateurs bien choisis ont davantage servi que de longs rapports.",
    "Les entreprises sont restées quand elles y ont trouvé un intérêt pour leurs salariés, "
    "au-delà du mécénat.",
    "Les associations ont eu besoin d'un financement du temps de coordination, rarement prévu.",
    "Essaimer a demandé d'adapter la méthode au contexte plutôt que de la copier.",
)
PIONEER_REASONS = {
    "trois_familles": "réunit collectivité, entreprises et associations autour d'une même table",
    "besoin_territoire": "répond à une fragilité précisément identifiée du territoire",
    "gouvernance_partagee": "repose sur une gouvernance réellement partagée",
    "resultats_mesures": "mesure ses résultats et les publie chaque année",
    "duree": "s'inscrit dans la durée depuis {start_year}",
    "essaimage": "a été reprise sur d'autres territoires",
}
SOURCES = (
    ("Rapport d'activité {year} (exemple fictif)", "rapport-{year}.pdf"),
    ("Convention de partenariat (exemple fictif)", "convention.pdf"),
    ("Article de la presse locale (exemple fictif)", "presse.html"),
    ("Délibération {de_porteur} (exemple fictif)", "deliberation.pdf"),
    ("Évaluation à mi-parcours (exemple fictif)", "evaluation.pdf"),
    ("Présentation du projet (exemple fictif)", "presentation.html"),
)

# Partners -------------------------------------------------------------------------

# Which families sit at the table, with weights: about 40 % of cases gather all three.
MIXES = (
    (("collectivite", "entreprise", "association"), 40),
    (("collectivite", "association"), 22),
    (("collectivite", "entreprise"), 13),
    (("entreprise", "association"), 10),
    (("collectivite",), 8),
    (("association",), 7),
)
OTHER_ACTORS = (
    ("fondation", 20),
    ("structure_ess", 18),
    ("etat", 12),
    ("etablissement_public", 12),
    ("accompagnateur", 12),
    ("reseau_professionnel", 10),
    ("acteur_academique", 8),
    ("citoyens", 5),
    ("media", 3),
)
# How likely each family is to carry the case (role « porteur »); others weigh 0.5.
PORTEUR_WEIGHTS = {"collectivite": 10, "association": 5, "structure_ess": 3, "entreprise": 2}
ROLE_WEIGHTS = {
    "collectivite": (("financeur", 5), ("partenaire", 5)),
    "entreprise": (("financeur", 45), ("partenaire", 40), ("expert", 15)),
    "association": (("partenaire", 70), ("catalyseur", 20), ("beneficiaire", 10)),
    "fondation": (("financeur", 9), ("expert", 1)),
    "structure_ess": (("partenaire", 6), ("catalyseur", 4)),
    "etat": (("financeur", 8), ("partenaire", 2)),
    "etablissement_public": (("financeur", 4), ("partenaire", 4), ("expert", 2)),
    "accompagnateur": (("catalyseur", 7), ("expert", 3)),
    "reseau_professionnel": (("partenaire", 5), ("catalyseur", 5)),
    "acteur_academique": (("expert", 1),),
    "citoyens": (("beneficiaire", 1), ("partenaire", 1)),
    "media": (("partenaire", 1),),
}
CONTRIBUTIONS = {
    ("porteur", None): (
        "Pilotage du projet et coordination des partenaires",
        "Portage administratif et animation du comité de pilotage",
        "Coordination d'ensemble et recherche de financements",
    ),
    ("financeur", "collectivite"): (
        "Subvention de fonctionnement sur trois ans",
        "Financement du poste de coordination",
        "Mise à disposition de locaux",
    ),
    ("financeur", "entreprise"): (
        "Mécénat financier",
        "Don de matériel (mécénat en nature)",
        "Mécénat de compétences : salariés volontaires",
        "Prise en charge de la logistique",
    ),
    ("financeur", None): (
        "Subvention d'amorçage",
        "Cofinancement de l'ingénierie du projet",
        "Financement de l'évaluation",
    ),
    ("partenaire", "entreprise"): (
        "Accueil de stagiaires et recrutements",
        "Achats auprès des structures partenaires",
        "Expertise métier et tutorat",
    ),
    ("partenaire", None): (
        "Accompagnement des bénéficiaires",
        "Animation des ateliers",
        "Mobilisation des bénévoles",
        "Relais auprès des habitants",
    ),
    ("catalyseur", None): (
        "Animation de la démarche et mise en relation des acteurs",
        "Organisation des temps d'interconnaissance",
    ),
    ("expert", None): ("Évaluation d'impact", "Appui méthodologique", "Diagnostic territorial"),
    ("beneficiaire", None): ("Participation à la conception et au suivi",),
}
SURNAMES = (
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
    "Guérin",
    "Muller",
    "Perrin",
    "Morel",
    "Clément",
    "Gauthier",
    "Fontaine",
    "Chevalier",
    "Masson",
    "Boyer",
    "Lemaire",
    "Duval",
    "Joly",
    "Roche",
    "Noël",
    "Meyer",
    "Le Gall",
    "Kerjean",
    "Etcheverry",
    "Pujol",
    "Marchal",
    "Vidal",
    "Caron",
    "Picard",
    "Hoarau",
    "Payet",
    "Charlery",
)
COMPANY_PATTERNS = (
    "{surname} Industries",
    "{surname} & Fils",
    "Transports {surname}",
    "{surname} Bâtiment",
    "Groupe {surname}",
    "Boulangeries {surname}",
    "{surname} Logistique",
    "Imprimerie {surname}",
    "{surname} Énergies",
    "Laboratoires {surname}",
    "Atelier {surname}",
    "{surname} Conseil",
    "{surname} Numérique",
    "Menuiserie {surname}",
    "Mutuelle {surname}",
    "Banque coopérative {surname}",
    "{surname} Distribution",
    "Fromagerie {surname}",
    "{surname} Paysage",
    "Garage {surname}",
)
GENERIC_ASSOCIATIONS = (
    "Association Tremplin {place}",
    "Réseau Entraide {place}",
    "Maison des associations {de_place}",
    "Agir Ensemble {place}",
)
OTHER_PATTERNS = {
    "fondation": (
        "Fondation {surname} pour {topic}",
        "Fonds de dotation {surname} Solidarités",
        "Fondation {nickname}",
    ),
    "structure_ess": (
        "SCIC {nickname} {de_departement}",
        "Régie de quartier {de_commune}",
        "Coopérative {nickname} {de_commune}",
    ),
    "etat": (
        "Préfecture {de_departement}",
        "Direction départementale de l'emploi, du travail et des solidarités {de_departement}",
    ),
    "etablissement_public": (
        "Agence de développement {de_departement}",
        "Agence territoriale de l'énergie {de_departement}",
    ),
    "accompagnateur": (
        "Incubateur {surname} & associés",
        "Pôle territorial de coopération {de_departement}",
        "Agence d'ingénierie sociale {nickname}",
    ),
    "reseau_professionnel": (
        "Club des entreprises {de_commune}",
        "Groupement des artisans {de_departement}",
    ),
    "acteur_academique": (
        "Laboratoire d'études territoriales {surname}",
        "Chaire « Territoires et coopérations » {surname}",
    ),
    "citoyens": ("Collectif des habitants {de_commune}", "Conseil citoyen {de_commune}"),
    "media": ("Radio {nickname}", "{commune} Info"),
}
# Organisations shared by the cases of a département (the others: of a town or an EPCI).
DEPARTEMENT_ACTORS = {
    "fondation",
    "structure_ess",
    "etat",
    "etablissement_public",
    "accompagnateur",
    "acteur_academique",
    "media",
}
LOCAL_COMPANIES, DEPARTEMENT_COMPANIES = 4, 12
