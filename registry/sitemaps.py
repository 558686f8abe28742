"""sitemap.xml: public pages only, published cases only, in French and English."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from registry.models import Case, CasePartner, CaseStatus, CaseTerritory, Organization, Term
from registry.views.pages import REFERENTIEL_ORDER
from territories.models import Territory, TerritoryKind


class BaseSitemap(Sitemap):
    i18n = True
    languages = ["fr", "en"]
    alternates = True
    x_default = True
    limit = 5000


class StaticSitemap(BaseSitemap):
    priority = 0.8

    def items(self):
        return [
            "home",
            "case_list",
            "pioneers",
            "territory_index",
            "referentiel",
            "organization_list",
        ]

    def location(self, item):
        return reverse(item)


class CaseSitemap(BaseSitemap):
    changefreq = "monthly"

    def items(self):
        return Case.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, case):
        return case.updated_at


class TerritorySitemap(BaseSitemap):
    changefreq = "weekly"

    def items(self):
        with_cases = CaseTerritory.objects.filter(
            case__status=CaseStatus.PUBLISHED,
            territory__ancestor_links__ancestor=OuterRef("pk"),
        )
        # Régions and départements always; EPCIs and communes once they have a case.
        return (
            Territory.objects.filter(
                Exists(with_cases) | Q(kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT])
            )
            .only("kind", "code")
            .order_by("kind", "code")
        )


class TermSitemap(BaseSitemap):
    def items(self):
        return (
            Term.objects.select_related("vocabulary")
            .filter(is_active=True, vocabulary__code__in=REFERENTIEL_ORDER)
            .order_by("pk")
        )


class OrganizationSitemap(BaseSitemap):
    def items(self):
        public = CasePartner.objects.filter(
            organization=OuterRef("pk"), case__status=CaseStatus.PUBLISHED
        )
        return Organization.objects.filter(Exists(public)).only("slug").order_by("pk")


SITEMAPS = {
    "pages": StaticSitemap,
    "cases": CaseSitemap,
    "territories": TerritorySitemap,
    "referentiel": TermSitemap,
    "organizations": OrganizationSitemap,
}
