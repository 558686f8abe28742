"""The case page kept in the cache for those who may not edit it
(registry/views/case_cache.py): served again without a query, dropped by
every write that changes what it shows, never kept for its owner or staff,
never kept for a case that is not published."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from registry.counting.bitmaps import snapshot
from registry.models import Case, CaseStatus, Organization, Term, Vocabulary
from registry.models.index import refresh_cases_tagged
from registry.models.taxonomy import load_vocabularies
from territories.loader import read_data
from tests.conftest import own_client
from tests.factories import CaseFactory, OrganizationFactory, term, territory
from tests.test_admin import resubmitted
from tests.test_territories import write

LILLE, ROUBAIX, TOURCOING, AMIENS = "59350", "59512", "59599", "80021"


@pytest.fixture
def case(contributor):
    return lille_case(contributor)


def lille_case(owner):
    """A published case of Lille's, its partners a commune and an association."""
    return CaseFactory(
        title="La cité éducative de Lille",
        owner=owner,
        places=[territory("commune", LILLE)],
        partners=[
            OrganizationFactory(
                name="Ville de Lille", actor_type=term("actor_type", "collectivite")
            ),
            OrganizationFactory(name="Les Petits Débrouillards"),
        ],
        tags=[term("theme", "education_jeunesse"), term("practice", "copilotage")],
    )


def neighbour(title, code=ROUBAIX, tags=None, **kwargs):
    return CaseFactory(
        title=title,
        places=[territory("commune", code)],
        tags=tags if tags is not None else [term("theme", "education_jeunesse")],
        **kwargs,
    )


def page_of(client, case, language="fr"):
    # The test's own thread keeps the language of the last request: name the one asked.
    with translation.override(language):
        url = case.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured)


def similar_titles(page):
    similar = page.split('id="similar-title"', 1)
    return re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", similar[1]) if len(similar) == 2 else []


def article(page):
    """The case's part of the page: what is kept, around it the visitor's header."""
    return page[page.index('<article class="wrap">') : page.index("</main>")]


# --- Served again, without a query ----------------------------------------


def test_a_visitor_gets_the_same_page_again_without_a_query(
    visitor, case, django_assert_num_queries
):
    neighbour("Les devoirs faits à Roubaix")
    first = page_of(visitor, case)

    with django_assert_num_queries(0):
        again = page_of(visitor, case)

    assert again == first
    assert "La cité éducative de Lille" in again and "Les devoirs faits à Roubaix" in again
    assert "application/ld+json" in again and 'rel="canonical"' in again


def test_a_page_built_in_a_handful_of_queries(visitor, case, django_assert_num_queries):
    """Case, the similar cases' rows (ranked from the counting bitmaps, which
    this process holds once it has counted, and which know the case's terms
    and areas), places and tags of all five, the roster, the sources: six,
    whatever the registry's size."""
    for n in range(5):
        neighbour(f"Voisine n°{n}")
    snapshot()

    with django_assert_num_queries(6):
        page = page_of(visitor, case)

    assert len(similar_titles(page)) == 4


def test_a_pioneer_costs_one_query_more_for_its_criteria(moderator, visitor, case):
    criterion = Term.objects.filter(vocabulary__code="pioneer_criterion").first()
    case.feature(by=moderator, criteria=[criterion], reason="Un modèle pour la métropole.")
    snapshot()

    _, queries = queries_of(visitor, case.get_absolute_url())
    response, again = queries_of(visitor, case.get_absolute_url())

    assert (queries, again) == (6, 0)  # no similar case here, so none fetched
    page = response.content.decode()
    assert 'id="pioneer-title"' in page and criterion.label.replace("'", "&#x27;") in page


def test_a_logged_in_visitor_shares_the_kept_page_under_their_own_header(
    other_client, other_contributor, visitor, case
):
    page_of(other_client, case)  # kept now
    response, queries = queries_of(other_client, case.get_absolute_url())
    theirs = response.content.decode()
    anonymous = page_of(visitor, case)

    assert queries == 2  # their session and their account, for the header
    assert "Se déconnecter" in theirs and "csrfmiddlewaretoken" in theirs  # the header's form
    assert article(theirs) == article(anonymous)
    assert "csrfmiddlewaretoken" not in anonymous and "Se déconnecter" not in anonymous
    assert other_contributor.display_name not in anonymous
    assert "Proposer une mise à jour" not in theirs


def test_each_language_has_its_own_page(visitor, case):
    french = page_of(visitor, case)
    english = page_of(own_client(), case, "en")

    assert "Les partenaires" in french and "The partners" not in french
    assert "The partners" in english and "Les partenaires" not in english
    assert 'href="/en/territoires/commune/59350/"' in english
    assert page_of(own_client(), case) == french
    assert page_of(own_client(), case, "en") == english


# --- Never kept for its owner or staff, nor unpublished ---------------------


def test_the_owner_always_sees_their_controls_and_never_leaves_them_to_visitors(
    contributor_client, visitor, case
):
    assert "Proposer une mise à jour" not in page_of(visitor, case)  # kept now

    own = page_of(contributor_client, case)
    assert "Proposer une mise à jour" in own and "Historique" in own
    assert 'id="thread-title"' in own and "csrfmiddlewaretoken" in article(own)  # the reply form

    response, queries = queries_of(visitor, case.get_absolute_url())
    theirs = response.content.decode()
    assert queries == 0 and "Proposer une mise à jour" not in theirs
    assert 'id="thread-title"' not in theirs


def test_what_staff_see_is_not_kept(moderator_client, visitor, case):
    staff = page_of(moderator_client, case)
    assert "Modérer" in staff and "Mise en avant" in staff

    response, queries = queries_of(visitor, case.get_absolute_url())

    assert queries > 0  # built afresh: nothing was kept by staff's visit
    assert "Modérer" not in response.content.decode()
    assert page_of(moderator_client, case) != response.content.decode()


def test_an_owners_draft_preview_is_never_kept(contributor, contributor_client, visitor):
    draft = CaseFactory(title="Brouillon de Claire", owner=contributor, status=CaseStatus.DRAFT)

    for _ in range(2):
        _, queries = queries_of(contributor_client, draft.get_absolute_url())
        assert queries > 2
        assert "Cette expérience n'est pas publiée" in page_of(contributor_client, draft)
    assert visitor.get(draft.get_absolute_url()).status_code == 404


def test_an_archived_case_is_gone_at_once_and_back_when_unarchived(moderator, visitor, case):
    page_of(visitor, case)

    case.archive(by=moderator, message="Terminée.")
    assert visitor.get(case.get_absolute_url()).status_code == 404
    assert visitor.get(case.get_absolute_url()).status_code == 404

    case.unarchive(by=moderator)
    assert "La cité éducative de Lille" in page_of(visitor, case)


# --- Dropped by every write that changes what it shows ------------------------


def test_published_changes_show_at_once(contributor, moderator, visitor, case):
    page_of(visitor, case)
    snapshot = case.snapshot()
    snapshot["title"] = "La cité éducative de Lille, deuxième saison"
    revision = case.propose_revision(snapshot, by=contributor)

    assert "deuxième saison" not in page_of(visitor, case)  # proposed, not published
    revision.submit(by=contributor)
    revision.publish(by=moderator)

    assert "<h1>La cité éducative de Lille, deuxième saison</h1>" in page_of(visitor, case)


def test_a_case_published_nearby_joins_the_similar_cases(moderator, visitor, case):
    submitted = neighbour(
        "Le soutien scolaire de Tourcoing", TOURCOING, status=CaseStatus.SUBMITTED
    )
    assert similar_titles(page_of(visitor, case)) == []

    submitted.publish(by=moderator)

    assert similar_titles(page_of(visitor, case)) == ["Le soutien scolaire de Tourcoing"]


def test_a_case_published_elsewhere_leaves_the_page_kept(
    moderator, visitor, case, django_assert_num_queries
):
    """In its région but sharing none of its themes and practices: not one of its
    similar cases, so the page kept still holds."""
    elsewhere = neighbour(
        "Un jardin partagé à Amiens",
        AMIENS,
        tags=[term("theme", "sante")],
        status=CaseStatus.SUBMITTED,
    )
    first = page_of(visitor, case)
    elsewhere.publish(by=moderator)
    snapshot()  # the counting bitmaps updated, as by the next page that counts

    with django_assert_num_queries(0):
        again = page_of(visitor, case)

    assert article(again) == article(first)


def test_a_similar_case_archived_leaves_the_suggestions_at_once(moderator, visitor, case):
    nearby = neighbour("Les devoirs faits à Roubaix")
    assert similar_titles(page_of(visitor, case)) == ["Les devoirs faits à Roubaix"]

    nearby.archive(by=moderator, reason="duplicate")

    assert similar_titles(page_of(visitor, case)) == []


def test_a_pioneer_featured_shows_its_badge_at_once(moderator, visitor, case):
    assert "Expérience pionnière" not in page_of(visitor, case)

    case.feature(by=moderator, criteria=[], reason="Un modèle pour la métropole.")

    assert "Un modèle pour la métropole." in page_of(visitor, case)


def test_a_partner_renamed_in_the_admin_shows_at_once(moderator_client, visitor, case):
    assert "Ville de Lille" in page_of(visitor, case)
    partner = Organization.objects.get(name="Ville de Lille")
    url = reverse("admin:registry_organization_change", args=[partner.pk])

    form = moderator_client.get(url)
    response = moderator_client.post(
        url, resubmitted(form, "organization_form", name="Mairie de Lille")
    )

    assert response.status_code == 302
    page = page_of(visitor, case)
    assert "Mairie de Lille" in page and "Ville de Lille" not in page
    # Found by its new name too: the case's search document was rebuilt.
    assert Case.objects.filter(pk=case.pk, search_names__contains="Mairie de Lille").exists()


def test_a_partners_new_actor_type_regroups_the_roster_at_once(moderator_client, visitor, case):
    assert "<h3>Association</h3>" in page_of(visitor, case)
    partner = Organization.objects.get(name="Les Petits Débrouillards")
    url = reverse("admin:registry_organization_change", args=[partner.pk])

    form = moderator_client.get(url)
    moderator_client.post(
        url,
        resubmitted(form, "organization_form", actor_type=str(term("actor_type", "fondation").pk)),
    )

    page = page_of(visitor, case)
    assert "<h3>Association</h3>" not in page and "Fondation" in page


def test_a_partner_merged_into_another_shows_the_survivor(moderator, visitor, case):
    assert "Les Petits Débrouillards" in page_of(visitor, case)
    duplicate = Organization.objects.get(name="Les Petits Débrouillards")
    survivor = OrganizationFactory(name="Association Les Petits Débrouillards Hauts-de-France")

    Organization.objects.merge(survivor=survivor, duplicate=duplicate, by=moderator)

    page = page_of(visitor, case)
    assert "Association Les Petits Débrouillards Hauts-de-France" in page
    assert ">Les Petits Débrouillards<" not in page


def test_a_term_relabelled_in_the_admin_shows_at_once(moderator_client, visitor, case):
    role = term("partner_role", "partenaire")
    assert role.label in page_of(visitor, case)
    url = reverse("admin:registry_term_change", args=[role.pk])

    form = moderator_client.get(url)
    moderator_client.post(url, resubmitted(form, "term_form", label_fr="Partenaire associé"))

    assert "Partenaire associé" in page_of(visitor, case)


def test_a_term_relabelled_in_the_admin_keeps_the_counting_bitmaps(
    moderator_client, visitor, case
):
    """A label moves no case under another key: the search page shows the new
    label beside the count it showed, from the bitmaps held before, not built again."""
    practice = term("practice", "copilotage")
    neighbour("Le club de sciences de Roubaix", tags=[practice])
    facet = 'for="f-practice-copilotage">{} <span class="count">2</span></label>'
    assert facet.format(practice.label_fr) in visitor.get("/experiences/").content.decode()
    before = snapshot()
    url = reverse("admin:registry_term_change", args=[practice.pk])

    form = moderator_client.get(url)
    moderator_client.post(url, resubmitted(form, "term_form", label_fr="Copilotage de terrain"))

    with CaptureQueriesContext(connection) as captured:
        page = visitor.get("/experiences/").content.decode()
    assert facet.format("Copilotage de terrain") in page
    after = snapshot()
    assert after.version != before.version and after.built_at == before.built_at
    assert not [q for q in captured.captured_queries if "GROUP BY" in q["sql"]]


def test_a_list_relabelled_in_the_admin_shows_at_once(moderator_client, visitor, case):
    themes = Vocabulary.objects.get(code="theme")
    assert f'<h2 id="t-theme">{themes.label}</h2>' in page_of(visitor, case)
    url = reverse("admin:registry_vocabulary_change", args=[themes.pk])

    form = moderator_client.get(url)
    response = moderator_client.post(
        url, resubmitted(form, "vocabulary_form", label_fr="Thèmes de l'alliance")
    )

    assert response.status_code == 302
    assert '<h2 id="t-theme">Thèmes de l&#x27;alliance</h2>' in page_of(visitor, case)


def test_labels_reloaded_from_the_referentiel_file_show_at_once(visitor, case):
    role = term("partner_role", "partenaire")
    role.label_fr = "Partenaire de terrain"
    role.save()  # a label staff edited earlier, the reference file says otherwise
    refresh_cases_tagged([role])
    assert "Partenaire de terrain" in page_of(visitor, case)

    load_vocabularies(overwrite_labels=True)

    page = page_of(visitor, case)
    assert "Partenaire de terrain" not in page and "Partenaire opérationnel" in page


def test_a_territory_renamed_by_a_new_geography_shows_at_once(tmp_path, visitor, case):
    assert "Lille (59)" in page_of(visitor, case)
    data = read_data()
    for commune in data["communes"]:
        if commune[0] == LILLE:
            commune[1] = "Lille-en-Flandre"

    call_command("load_territories", file=str(write(data, tmp_path / "next.json.gz")), verbosity=0)

    page = page_of(visitor, case)
    assert "Lille-en-Flandre (59)" in page and "Lille (59)" not in page


# --- Similar cases: nearest territory first, the most shared first ----------


def test_similar_cases_rank_the_departement_first_then_shared_tags(visitor, case):
    both = [term("theme", "education_jeunesse"), term("practice", "copilotage")]
    neighbour("Picarde, deux étiquettes en commun", AMIENS, tags=both)
    neighbour("Nordiste, une étiquette en commun")
    neighbour("Nordiste, deux étiquettes en commun", TOURCOING, tags=both)
    neighbour("Nordiste, aucune étiquette en commun", tags=[term("theme", "sante")])
    neighbour("Nordiste non publiée", status=CaseStatus.SUBMITTED, tags=both)

    assert similar_titles(page_of(visitor, case)) == [
        "Nordiste, deux étiquettes en commun",
        "Nordiste, une étiquette en commun",
        "Picarde, deux étiquettes en commun",
    ]


def test_a_case_without_themes_or_practices_has_no_similar_cases(visitor):
    lonely = CaseFactory(title="Sans étiquette", places=[territory("commune", LILLE)])
    neighbour("Les devoirs faits à Roubaix")

    page = page_of(visitor, lonely)

    assert "Expériences proches" not in page
