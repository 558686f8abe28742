"""Demo data: deterministic, realistic, plainly fictional, spread over every région."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from demo.generator import (
    COUNCIL_SEATS,
    DEMO_DOMAIN,
    Generator,
    SeedMismatch,
    clear_demo,
    de,
    de_departement,
    epci_full_name,
    seed_demo,
)
from registry.models import Case, CaseStatus, Organization
from territories.models import Territory, normalize
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def quiet(message):
    pass


def fingerprint():
    return [
        (case.slug, case.title, case.summary, tuple(case.roster.values_list("organization__name")))
        for case in Case.objects.order_by("slug")
    ]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """300 demo cases (seed 1) for the tests of this module, committed once (on
    PostgreSQL through the background writer the command uses); each test's own
    changes are rolled back as usual."""
    with django_db_blocker.unblock():
        seed_demo(cases=300, seed=1, progress=quiet)
        yield
        clear_demo(progress=quiet)


@pytest.fixture
def empty():
    """No demo data, whatever ran before (rolled back after the test)."""
    clear_demo(progress=quiet)


def test_the_same_seed_gives_the_same_cases_and_another_seed_others(empty):
    seed_demo(cases=40, seed=3, progress=quiet)
    first = fingerprint()
    clear_demo(progress=quiet)
    assert not Case.objects.filter(is_demo=True).exists()
    assert not Organization.objects.filter(is_demo=True).exists()
    seed_demo(cases=40, seed=3, progress=quiet)
    assert fingerprint() == first
    clear_demo(progress=quiet)
    seed_demo(cases=40, seed=4, progress=quiet)
    assert {title for _slug, title, *_rest in fingerprint()}.isdisjoint(
        {title for _slug, title, *_rest in first}
    )


def test_every_case_is_complete_and_marked_as_demo(seeded):
    assert Case.objects.count() == 300
    assert not Case.objects.filter(is_demo=False).exists()
    assert not Organization.objects.filter(is_demo=False).exists()
    cases = Case.objects.annotate(
        partners=Count("roster__organization", distinct=True),
        porteurs=Count("roster", filter=Q(roster__role__code="porteur"), distinct=True),
        places=Count("case_territories", distinct=True),
        theme_count=Count("terms", filter=Q(terms__vocabulary__code="theme"), distinct=True),
        source_count=Count("sources", distinct=True),
    )
    for case in cases:
        assert 2 <= case.partners <= 6, case
        assert case.porteurs >= 1, case
        assert 1 <= case.places <= 2, case
        assert 1 <= case.theme_count <= 3, case
        assert 1 <= case.source_count <= 3, case
        assert "fictif" in case.summary or "fictive" in case.summary
        assert case.contact_email.endswith(f".{DEMO_DOMAIN}")
        assert case.phase_id and case.scale_id
    for case in Case.objects.all()[:25]:
        case.full_clean()
        assert case.missing_for_submission() == []


def test_every_region_and_most_departements_get_cases(seeded):
    def covered(kind):
        return set(
            Territory.objects.filter(
                kind=kind, descendant_links__descendant__case_links__case__is_demo=True
            ).values_list("code", flat=True)
        )

    assert covered("region") == set(
        Territory.objects.filter(kind="region").values_list("code", flat=True)
    )
    assert {"01", "02", "03", "04", "06"} <= covered("region")
    assert len(covered("departement")) >= 75


def test_cases_are_placed_at_every_level_mostly_communes(seeded):
    levels = dict(
        Case.objects.values_list("case_territories__territory__kind")
        .annotate(n=Count("id", distinct=True))
        .values_list("case_territories__territory__kind", "n")
    )
    assert set(levels) == {"commune", "epci", "departement", "region"}
    assert levels["commune"] > levels["epci"] > levels["region"]


def test_statuses_partner_mix_and_pioneers_look_like_a_real_registry(seeded):
    published = Case.objects.filter(status=CaseStatus.PUBLISHED)
    assert 0.86 * 300 < published.count() < 0.97 * 300
    assert not published.filter(published_at__isnull=True).exists()
    assert 0.3 * 300 < Case.objects.with_all_three_families().count() < 0.5 * 300
    ongoing = Case.objects.filter(end_year__isnull=True).count()
    assert 0.5 * 300 < ongoing < 0.75 * 300
    assert not Case.objects.filter(end_year__lt=2008).exists()
    for pioneer in Case.objects.pioneers():
        assert pioneer.status == CaseStatus.PUBLISHED
        assert 2 <= pioneer.pioneer_criteria.count() <= 4
        assert pioneer.pioneer_reason and pioneer.pioneer_at >= pioneer.published_at
        assert pioneer.pioneer_review_on > pioneer.pioneer_at.date()


def test_companies_have_a_size_and_invented_identifiers_are_valid_and_unique(seeded):
    companies = Organization.objects.filter(actor_type__code="entreprise")
    assert companies.exists()
    assert not companies.filter(company_size__isnull=True).exists()
    assert not Organization.objects.filter(
        actor_type__parent__code="collectivite", siren__isnull=False
    ).exists()
    for organization in Organization.objects.filter(siren__isnull=False)[:30]:
        organization.full_clean()
    for organization in Organization.objects.filter(rna__isnull=False)[:30]:
        organization.full_clean()
    for field in ("siren", "rna"):
        values = Organization.objects.exclude(**{field: None}).values_list(field, flat=True)
        assert len(values) == len(set(values))
    assert Organization.objects.filter(rna__isnull=False).exists()


def test_collectivites_are_named_after_their_territory_and_shared_by_cases(seeded):
    authorities = Organization.objects.filter(governed_territory__isnull=False)
    assert authorities.filter(name__startswith="Commune ").exists()
    for authority in authorities.select_related("governed_territory"):
        assert authority.actor_type.parent.code == "collectivite"
        if authority.governed_territory.kind == "departement":
            assert authority.name in {
                f"Département {de_departement(authority.governed_territory.name)}",
                "Ville de Paris",
                "Collectivité européenne d'Alsace",
                "Département de Mayotte",
            }
    shared = authorities.annotate(cases=Count("roster_entries__case", distinct=True))
    assert shared.filter(cases__gte=2).exists()


def test_a_second_run_adds_new_cases_and_reuses_the_collectivites(seeded):
    authorities = Organization.objects.filter(governed_territory__isnull=False).count()
    titles = set(Case.objects.values_list("title", flat=True))
    seed_demo(cases=30, seed=1, progress=quiet)
    assert Case.objects.count() == 330
    added = Case.objects.exclude(title__in=titles)
    assert added.count() >= 25  # another stream of the seed, not the same cases again
    assert Case.objects.values("slug").distinct().count() == 330
    duplicates = (
        Organization.objects.filter(governed_territory__isnull=False)
        .values("governed_territory")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert Organization.objects.filter(governed_territory__isnull=False).count() >= authorities


def test_a_visitor_finds_demo_cases_by_search(seeded, client):
    response = client.get("/experiences/", {"q": "insertion"})
    assert response.status_code == 200
    assert response.context["page"].object_list


def found(client, **query):
    """The ids on every page of /experiences/ for `query`, and the total it shows."""
    ids, page = set(), 1
    while True:
        response = client.get("/experiences/", {**query, "page": page})
        assert response.status_code == 200
        ids |= {case.pk for case in response.context["page"].object_list}
        if not response.context["page"].has_next():
            return ids, response.context["figures"]["total"]
        page += 1


def longest_word(text):
    return max(normalize(text).split(), key=len)


def test_a_seeded_case_is_found_by_a_title_word_a_partner_and_its_region(seeded, client):
    published = Case.objects.filter(status=CaseStatus.PUBLISHED).order_by("pk")
    for case in published[:: published.count() // 5]:
        place = case.case_territories.select_related("territory").first().territory
        region = Territory.objects.get(kind="region", descendant_links__descendant=place)
        partner = case.roster.select_related("organization").first().organization
        for query in (
            {"q": longest_word(case.title)},
            {"q": partner.name},
            {"q": region.name},
            {"region": region.code},
        ):
            ids, total = found(client, **query)
            assert case.pk in ids, (query, case.title)
            assert total == len(ids), query


def families_at_the_table(case):
    return {
        parent or code
        for code, parent in case.roster.values_list(
            "organization__actor_type__code", "organization__actor_type__parent__code"
        )
    }


def test_the_home_page_counts_what_the_database_holds(seeded, client):
    published = Case.objects.filter(status=CaseStatus.PUBLISHED)
    figures = client.get("/").context["figures"]
    assert figures["total"] == published.count()
    assert figures["pioneers"] == published.filter(is_pioneer=True).count()
    assert figures["organizations"] == (
        Organization.objects.filter(roster_entries__case__in=published).distinct().count()
    )
    all_three = [
        case
        for case in published
        if {"collectivite", "entreprise", "association"} <= families_at_the_table(case)
    ]
    assert figures["all_three"] == len(all_three)
    assert figures["territories"] == (
        Territory.objects.filter(case_links__case__in=published).distinct().count()
    )


def test_the_search_facets_add_up_to_the_results_they_lead_to(seeded, client):
    response = client.get("/experiences/")
    figures, facets = response.context["figures"], response.context["facets"]
    assert figures["total"] == Case.objects.filter(status=CaseStatus.PUBLISHED).count()
    # One phase and one scale per case.
    for param in ("phase", "scale"):
        assert sum(option.count for option in facets[param].options) == figures["total"]
    for param in ("theme", "practice", "phase", "region", "actor"):
        for option in [option for option in facets[param].options if option.count][:3]:
            ids, shown = found(client, **{param: option.code})
            assert option.count == shown == len(ids), (param, option.code)
    ids, shown = found(client, families="all")
    assert shown == len(ids) == figures["all_three"]


def test_clearing_removes_the_demo_but_keeps_what_a_real_case_uses(seeded):
    borrowed = list(Organization.objects.filter(is_demo=True).order_by("pk")[:2])
    real = CaseFactory(partners=borrowed, owner__email="real.owner@example.org")
    clear_demo(progress=quiet)
    assert list(Case.objects.all()) == [real]
    assert set(Organization.objects.all()) == set(borrowed)
    assert not get_user_model().objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exists()


def test_demo_users_cannot_log_in(seeded):
    users = get_user_model().objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    assert users.exists()
    assert not any(user.has_usable_password() for user in users)


class Interrupted(Exception):
    """The run killed half-way (a signal, a lost connection)."""


def stop_after(written):
    def progress(message):
        if message.startswith(f"{written}/"):
            raise Interrupted

    return progress


def test_an_interrupted_run_resumed_gives_the_cases_of_a_run_never_interrupted(empty):
    seed_demo(cases=50, seed=5, batch_size=20, progress=quiet)
    uninterrupted = fingerprint()
    organizations = sorted(Organization.objects.filter(is_demo=True).values_list("slug", "name"))
    clear_demo(progress=quiet)

    with pytest.raises(Interrupted):
        seed_demo(cases=50, seed=5, batch_size=20, progress=stop_after(40))
    assert Case.objects.filter(is_demo=True).count() == 40
    created = seed_demo(cases=50, seed=5, batch_size=20, progress=quiet, resume=True)

    assert len(created) == 10
    assert fingerprint() == uninterrupted
    assert (
        sorted(Organization.objects.filter(is_demo=True).values_list("slug", "name"))
        == organizations
    )


def test_resuming_another_run_is_refused_and_a_finished_run_is_left_alone(empty, capsys):
    with pytest.raises(Interrupted):
        seed_demo(cases=50, seed=5, batch_size=20, progress=stop_after(20))

    with pytest.raises(SeedMismatch, match="not the beginning of this seed"):
        seed_demo(cases=50, seed=6, batch_size=20, progress=quiet, resume=True)
    with pytest.raises(CommandError, match="holds 20 demo cases, which no run of 50 cases"):
        call_command("seed_demo", cases=50, seed=5, resume=True)  # in batches of 2 000
    with pytest.raises(CommandError, match="--resume"):
        call_command("seed_demo", cases=50, seed=5, resume=True, clear=True)
    assert Case.objects.filter(is_demo=True).count() == 20

    seed_demo(cases=50, seed=5, batch_size=20, progress=quiet, resume=True)
    assert seed_demo(cases=50, seed=5, batch_size=20, progress=quiet, resume=True) == []
    assert Case.objects.filter(is_demo=True).count() == 50


def test_the_command_shows_progress_and_what_is_left(empty, capsys):
    call_command("seed_demo", cases=20, seed=1)

    out = capsys.readouterr().out
    assert "20/20 cases" in out
    assert "a second" in out
    assert "20 demo cases created" in out


def test_the_command_does_nothing_the_second_time_with_if_empty(empty, capsys):
    call_command("seed_demo", cases=20, seed=1, if_empty=True)
    call_command("seed_demo", cases=20, seed=1, if_empty=True)
    assert Case.objects.count() == 20
    assert "nothing to do" in capsys.readouterr().out


def test_the_command_clears_first_and_is_quiet_at_verbosity_0(empty, capsys):
    call_command("seed_demo", cases=10, seed=2, verbosity=0)
    call_command("seed_demo", cases=15, seed=2, clear=True, verbosity=0)
    assert Case.objects.count() == 15
    assert capsys.readouterr().out == ""


def test_french_wording_of_places():
    assert de("Lille") == "de Lille"
    assert de("Amiens") == "d'Amiens"
    assert de("Le Havre") == "du Havre"
    assert de("Les Abymes") == "des Abymes"
    assert de("La Trinité") == "de La Trinité"
    assert de("l'accès aux soins") == "de l'accès aux soins"
    assert de("le lien social") == "du lien social"
    assert de_departement("Nord") == "du Nord"
    assert de_departement("Somme") == "de la Somme"
    assert de_departement("Ain") == "de l'Ain"
    assert de_departement("Hérault") == "de l'Hérault"
    assert de_departement("Yvelines") == "des Yvelines"
    assert de_departement("Hautes-Alpes") == "des Hautes-Alpes"
    assert de_departement("Haute-Garonne") == "de la Haute-Garonne"
    assert de_departement("La Réunion") == "de La Réunion"
    assert de_departement("Paris") == "de Paris"
    assert epci_full_name("CC du Pays de Fayence") == "Communauté de communes du Pays de Fayence"
    assert epci_full_name("CA Lorient Agglomération") == "Lorient Agglomération"
    assert epci_full_name("Métropole Européenne de Lille") == "Métropole Européenne de Lille"


def test_every_council_seat_names_a_commune_of_its_territory():
    generator = Generator(seed=1)
    for (kind, code), name in COUNCIL_SEATS.items():
        area = generator.places[(kind, code)]
        assert generator.seats[area.pk].name == name
