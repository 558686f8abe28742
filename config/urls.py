from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from registry.opendata.sitemaps import SITEMAPS, cached_until_publication_changes
from registry.views.discovery import robots_txt
from registry.views.health import health

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "sitemap.xml",
        cached_until_publication_changes(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_until_publication_changes(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sante/", health, name="health"),
    path("api/v1/", include("registry.api.urls")),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("compte/jetons/", include("accounts.urls_tokens")),
    path("compte/", include("accounts.urls")),
    path("", include("registry.urls")),
    prefix_default_language=False,
)

# Database trouble raised outside a view answers 503 like inside one.
handler500 = "registry.database_trouble.server_error"
