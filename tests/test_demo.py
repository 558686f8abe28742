"""Demo data: deterministic, realistic, marked as demo, spread over every région."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q

from registry.demo import clear_demo, seed_demo
from registry.models import Case, CaseStatus, Organization
from territories.models import Territory

pytestmark = pytest.mark.django_db


def quiet(message):
    pass


def fingerprint():
    return [
        (case.slug, case.title, tuple(case.roster.values_list("organization__name", flat=True)))
        for case in Case.objects.order_by("slug")
    ]


def test_the_same_seed_gives_the_same_cases_and_another_seed_others():
    seed_demo(cases=40, seed=3, progress=quiet)
    first = fingerprint()
    clear_demo(quiet)
    assert not Case.objects.exists()
    seed_demo(cases=40, seed=3, progress=quiet)
    assert fingerprint() == first
    clear_demo(quiet)
    seed_demo(cases=40, seed=4, progress=quiet)
    assert fingerprint() != first


def test_every_case_is_complete_demo_and_every_region_gets_some():
    seed_demo(cases=300, seed=1, progress=quiet)
    assert Case.objects.count() == 300
    assert not Case.objects.filter(is_demo=False).exists()
    assert not Organization.objects.filter(is_demo=False).exists()
    cases = Case.objects.annotate(
        partners=Count("roster__organization", distinct=True),
        places=Count("case_territories", distinct=True),
        theme_count=Count("terms", filter=Q(terms__vocabulary__code="theme"), distinct=True),
    )
    assert all(c.partners >= 2 and c.places >= 1 and c.theme_count >= 1 for c in cases)
    regions = set(
        Territory.objects.filter(
            kind="region", descendant_links__descendant__case_links__case__isnull=False
        ).values_list("code", flat=True)
    )
    assert len(regions) == 18
    published = Case.objects.filter(status=CaseStatus.PUBLISHED).count()
    assert 0.85 * 300 < published < 300
    assert Case.objects.with_all_three_families().count() > 60
    assert Case.objects.filter(is_pioneer=True).exists()
    assert all(case.missing_for_submission() == [] for case in Case.objects.all()[:20])


def test_search_documents_and_partner_mix_are_filled():
    seed_demo(cases=30, seed=2, progress=quiet)
    assert not Case.objects.filter(search_text="").exists()
    assert not Case.objects.filter(family_mask=0).exists()
    if connection.vendor == "postgresql":
        assert not Case.objects.filter(search_vector__isnull=True).exists()


def test_identifiers_of_invented_organisations_are_valid_and_unique():
    seed_demo(cases=100, seed=5, progress=quiet)
    for organization in Organization.objects.exclude(siren=None).exclude(rna=None)[:50]:
        organization.full_clean()
    sirens = list(Organization.objects.exclude(siren=None).values_list("siren", flat=True))
    assert len(sirens) == len(set(sirens))


def test_the_command_does_nothing_the_second_time_with_if_empty(capsys):
    call_command("seed_demo", cases=20, seed=1, if_empty=True)
    call_command("seed_demo", cases=20, seed=1, if_empty=True)
    assert Case.objects.count() == 20
    assert "nothing to do" in capsys.readouterr().out


def test_adding_more_cases_never_collides_with_existing_slugs():
    seed_demo(cases=20, seed=1, progress=quiet)
    seed_demo(cases=20, seed=1, progress=quiet)
    assert Case.objects.count() == 40
