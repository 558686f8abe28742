"""Vocabularies' sources and notes in French and in English.

`source` and `note` held the shared reference's English wording, which French
pages printed as it was. They become `source_en` and `note_en`; `source_fr` and
`note_fr` get the registry's French wording, copied here as it was written in
`registry/data/taxonomy.json` (`sources_fr`, `note_fr`): `load_vocabularies`
keeps both in step with the file afterwards.
"""

from django.db import migrations, models

FRENCH = {
    "actor_type": {
        "source_fr": (
            "Le RAMEAU, référentiel «\u00a0co-construction territoriale\u00a0», 25 novembre "
            "2016, avec la Caisse des Dépôts, le CGET, la FNCE et le ministère de la Ville, de "
            "la Jeunesse et des Sports (présenté au CESE le 29 novembre 2016)"
        ),
        "note_fr": (
            "Famille de chaque organisation partenaire. Les trois familles de la mission sont "
            "les collectivités, les entreprises et les associations\u202f; les autres figurent "
            "dans les listes d'acteurs du RAMEAU."
        ),
    },
    "company_size": {
        "source_fr": (
            "Décret n°\u00a02008-1354 (catégories d'entreprises)"
        ),
        "note_fr": (
            "Seulement pour les organisations du type «\u00a0entreprise\u00a0»."
        ),
    },
    "partnership_type": {
        "source_fr": (
            "Le RAMEAU, PHARE-Associations (novembre 2015)\u00a0: les 4 types de partenariat et "
            "leur part"
        ),
        "note_fr": (
            "Une expérience peut combiner plusieurs types. Part de chaque type dans les "
            "partenariats des associations (PHARE-Associations 2015)\u00a0: mécénat 67\u202f%, "
            "pratiques responsables 29\u202f%, coopération économique 26\u202f%, innovation "
            "sociétale 25\u202f%."
        ),
    },
    "coconstruction_form": {
        "source_fr": (
            "co-constructionterritoriale.plateformecapitalisation.org, «\u00a0Quelles sont les "
            "formes de co-construction\u00a0»"
        ),
    },
    "practice": {
        "source_fr": (
            "associations.gouv.fr, «\u00a0Les catalyseurs territoriaux\u00a0» (4 métiers × 4 "
            "missions de la troisième ingénierie territoriale)"
        ),
        "note_fr": (
            "Les 4 métiers de la catalyse territoriale (la troisième ingénierie territoriale "
            "que décrit le référentiel de 2016) et leurs 4 missions chacun. Les expériences "
            "sont étiquetées par missions\u202f; le métier en est le parent."
        ),
    },
    "challenge_prism": {
        "source_fr": (
            "Le RAMEAU, référentiel «\u00a0co-construction territoriale\u00a0», 25 novembre "
            "2016, avec la Caisse des Dépôts, le CGET, la FNCE et le ministère de la Ville, de "
            "la Jeunesse et des Sports (présenté au CESE le 29 novembre 2016)"
        ),
        "note_fr": (
            "Les 3 prismes du référentiel pour qualifier les enjeux d'un territoire (partie "
            "1.2)."
        ),
    },
    "objective": {
        "source_fr": (
            "Le RAMEAU, programme IMPACT\u00a0: les 2 objectifs et les 3 axes d'impact des "
            "alliances"
        ),
    },
    "impact_axis": {
        "source_fr": (
            "Le RAMEAU, programme IMPACT\u00a0: les 2 objectifs et les 3 axes d'impact des "
            "alliances"
        ),
    },
    "theme": {
        "source_fr": (
            "PHARE-Citoyens (2015), PHARE-Associations (2015), PHARE-Institutions (2016)\u00a0: "
            "les domaines où l'on attend l'action des alliances"
        ),
        "note_fr": (
            "Domaines d'action cités dans les résultats PHARE\u202f; «\u00a0logement\u00a0» et "
            "«\u00a0mobilité\u00a0» sont des ajouts du registre."
        ),
    },
    "scale": {
        "source_fr": (
            "Le RAMEAU, PHARE-Associations (novembre 2015)\u00a0: les 4 types de partenariat et "
            "leur part"
        ),
    },
    "phase": {
        "note_fr": (
            "Suit librement la description, par Le RAMEAU, du chemin d'une initiative locale "
            "vers l'innovation\u202f; échelle propre au registre."
        ),
    },
    "pioneer_criterion": {
        "note_fr": (
            "Critères que l'équipe du registre vérifie avant de mettre en avant une expérience "
            "pionnière\u202f; liste propre au registre."
        ),
    },
}


def fill_french(apps, schema_editor):
    Vocabulary = apps.get_model("registry", "Vocabulary")
    for vocabulary in Vocabulary.objects.filter(code__in=FRENCH):
        for field, value in FRENCH[vocabulary.code].items():
            setattr(vocabulary, field, value)
        vocabulary.save(update_fields=list(FRENCH[vocabulary.code]))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_search_lexicon"),
    ]

    operations = [
        migrations.RenameField("vocabulary", "source", "source_en"),
        migrations.RenameField("vocabulary", "note", "note_en"),
        migrations.AlterField(
            model_name="vocabulary",
            name="source_en",
            field=models.TextField(blank=True, verbose_name="source (anglais)"),
        ),
        migrations.AlterField(
            model_name="vocabulary",
            name="note_en",
            field=models.TextField(blank=True, verbose_name="note (anglais)"),
        ),
        migrations.AddField(
            model_name="vocabulary",
            name="source_fr",
            field=models.TextField(blank=True, verbose_name="source (français)"),
        ),
        migrations.AddField(
            model_name="vocabulary",
            name="note_fr",
            field=models.TextField(blank=True, verbose_name="note (français)"),
        ),
        migrations.RunPython(fill_french, migrations.RunPython.noop),
    ]
