"""Public pages per territory, référentiel item, theme and organisation (to be completed)."""

from django.http import HttpResponse


def territory_index(request):
    return HttpResponse("territories")


def territory_detail(request, kind, code):
    return HttpResponse("territory")


def referentiel(request):
    return HttpResponse("referentiel")


def term_detail(request, vocabulary, code):
    return HttpResponse("term")


def organization_list(request):
    return HttpResponse("organizations")


def organization_detail(request, slug):
    return HttpResponse("organization")
