from django.urls import path

from registry.views import discovery, pages

urlpatterns = [
    path("", discovery.home, name="home"),
    path("experiences/", discovery.case_list, name="case_list"),
    path("experiences/<slug:slug>/", discovery.case_detail, name="case_detail"),
    path("experiences-pionnieres/", discovery.pioneers, name="pioneers"),
    path("territoires/", pages.territory_index, name="territory_index"),
    path(
        "territoires/<str:kind>/<str:code>/", pages.territory_detail, name="territory_detail"
    ),
    path("referentiel/", pages.referentiel, name="referentiel"),
    path("referentiel/<slug:vocabulary>/<slug:code>/", pages.term_detail, name="term_detail"),
    path("organisations/", pages.organization_list, name="organization_list"),
    path("organisations/<slug:slug>/", pages.organization_detail, name="organization_detail"),
]
