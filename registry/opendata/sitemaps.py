"""sitemap.xml: public pages only, published cases only, in French and English."""

import hashlib
from functools import wraps

from django.contrib.sitemaps import Sitemap
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language

from registry.models import Case, CasePartner, CaseStatus, CaseTerritory, Organization, Term
from registry.models.index import registry_version
from registry.models.vocabulary import REFERENTIEL_ORDER
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
            "about",
            "legal_notice",
            "privacy",
            "accessibility",
            "contact",
            "site_map",
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


# Building a sitemap walks every published case and organisation, so the server
# keeps each one it built; but a case's slug carries its title, so a copy must
# not outlive the case's publication. The copies are keyed on the registry
# version, which every workflow step and every index refresh bumps
# (`bump_registry_version`): the next request after an archive, a rejection or
# a publication builds a fresh sitemap. The expiry only bounds what another
# worker keeps while the cache is per process (with a shared cache every worker
# sees the new version at once). Browsers and proxies keep a copy five minutes.
SITEMAP_CACHE_SECONDS = 10 * 60
SITEMAP_MAX_AGE = 5 * 60


def cached_until_publication_changes(view):
    @wraps(view)
    def cached_view(request, *args, **kwargs):
        # Never written, or lost: a version no copy was built under starts (a
        # moment's time), and nothing else is forgotten (not the stored exports).
        version = registry_version()
        address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = f"sitemap:{version}:{get_language()}:{address}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            patch_cache_control(response, max_age=SITEMAP_MAX_AGE)
            if response.status_code == 200:
                cache.set(key, response, SITEMAP_CACHE_SECONDS)
        return response

    return cached_view
