"""/api/v1/: mounted outside `i18n_patterns` (the language is a parameter)."""

from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from registry.api import contributions, views
from registry.content_security import api_documentation_policy

app_name = "api"

urlpatterns = [
    path("cases/", views.CaseList.as_view(), name="case_list"),
    path("cases/by-slug/<str:slug>/", views.CaseBySlug.as_view(), name="case_by_slug"),
    path("cases/<str:pk>/", views.CaseDetail.as_view(), name="case_detail"),
    path("cases/<str:pk>/publish/", views.CasePublish.as_view(), name="case_publish"),
    path("exports/cases.csv", views.CaseExportCsv.as_view(), name="export_csv"),
    path("exports/cases.json", views.CaseExportJson.as_view(), name="export_json"),
    path("exports/cases.geojson", views.CaseExportGeojson.as_view(), name="export_geojson"),
    path("exports/cases.xlsx", views.CaseExportXlsx.as_view(), name="export_xlsx"),
    path("organizations/", views.OrganizationList.as_view(), name="organization_list"),
    path(
        "organizations/<str:slug>/",
        views.OrganizationDetail.as_view(),
        name="organization_detail",
    ),
    path("territories/", views.TerritoryList.as_view(), name="territory_list"),
    path(
        "territories/<str:kind>/<str:code>/",
        views.TerritoryDetail.as_view(),
        name="territory_detail",
    ),
    path("vocabularies/", views.VocabularyList.as_view(), name="vocabulary_list"),
    path("vocabularies/<str:code>/", views.VocabularyDetail.as_view(), name="vocabulary_detail"),
    path("themes/", views.ThemeList.as_view(), name="theme_list"),
    path("me/", contributions.Me.as_view(), name="me"),
    path("me/cases/", contributions.OwnCaseList.as_view(), name="own_case_list"),
    path("me/cases/<str:pk>/", contributions.OwnCaseDetail.as_view(), name="own_case_detail"),
    path(
        "me/cases/<str:pk>/submit/", contributions.OwnCaseSubmit.as_view(), name="own_case_submit"
    ),
    path(
        "me/cases/<str:pk>/withdraw/",
        contributions.OwnCaseWithdraw.as_view(),
        name="own_case_withdraw",
    ),
    path(
        "me/organizations/",
        contributions.OwnOrganizationCreate.as_view(),
        name="own_organization_create",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script is served by the view itself (`?script`), not
    # inline: the pages' Content-Security-Policy allows scripts from the site only.
    path(
        "docs/",
        api_documentation_policy(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "docs/redoc/",
        api_documentation_policy(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
]
