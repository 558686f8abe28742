"""Factories building realistic records against the loaded reference data."""

import factory
from django.utils import timezone

from accounts.models import User
from registry.models import Case, CasePartner, CaseStatus, CaseTerritory, Organization, Term
from registry.models.index import refresh_case_index
from territories.models import Territory


def term(vocabulary, code):
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


def territory(kind, code):
    return Territory.objects.get(kind=kind, code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    username = factory.LazyAttribute(lambda o: o.email)
    display_name = factory.Faker("name", locale="fr_FR")
    password = factory.django.Password("mot-de-passe-solide-42")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Association des Partenaires n°{n}")
    actor_type = factory.LazyFunction(lambda: term("actor_type", "association"))


class CaseFactory(factory.django.DjangoModelFactory):
    """A case with a territory and two partners. `status=published` sets the date."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Alliance pour l'emploi des jeunes n°{n}")
    slug = factory.Sequence(lambda n: f"alliance-emploi-jeunes-{n}")
    summary = "Une collectivité, une entreprise et une association agissent ensemble."
    start_year = 2019
    owner = factory.SubFactory(UserFactory)
    status = CaseStatus.PUBLISHED
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == CaseStatus.PUBLISHED else None
    )

    @factory.post_generation
    def places(case, create, extracted, **kwargs):
        places = extracted if extracted is not None else [territory("commune", "59350")]
        for place in places:
            CaseTerritory.objects.create(case=case, territory=place)

    @factory.post_generation
    def partners(case, create, extracted, **kwargs):
        organizations = extracted
        if organizations is None:
            organizations = [
                OrganizationFactory(actor_type=term("actor_type", "collectivite")),
                OrganizationFactory(actor_type=term("actor_type", "association")),
            ]
        role = term("partner_role", "partenaire")
        for position, organization in enumerate(organizations):
            CasePartner.objects.create(
                case=case, organization=organization, role=role, position=position
            )

    @factory.post_generation
    def tags(case, create, extracted, **kwargs):
        if extracted:
            case.terms.add(*extracted)

    @factory.post_generation
    def index(case, create, extracted, **kwargs):
        refresh_case_index([case.pk])
