"""Public pages per territory, référentiel item, theme and organisation.

Only published cases are shown or counted. Each page runs a fixed number of
queries whatever the number of cases (pinned by tests).
"""

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from registry.facets import term_counts, territory_counts
from registry.filters import OrganizationFilter, TermIndex
from registry.models import (
    Case,
    CasePartner,
    CaseStatus,
    CaseTerritory,
    Organization,
    Term,
    Vocabulary,
)
from territories.models import Territory, TerritoryKind

PAGE_SIZE = 20
# Vocabulary code -> search page parameter.
SEARCH_PARAMETER = {
    "theme": "theme",
    "practice": "practice",
    "partnership_type": "partnership",
    "coconstruction_form": "form",
    "objective": "objective",
    "impact_axis": "impact",
    "challenge_prism": "prism",
    "phase": "phase",
    "scale": "scale",
    "actor_type": "actor",
}
REFERENTIEL_ORDER = [
    "practice",
    "coconstruction_form",
    "partnership_type",
    "objective",
    "impact_axis",
    "challenge_prism",
    "theme",
    "phase",
    "scale",
    "actor_type",
    "partner_role",
    "pioneer_criterion",
]


def paginate(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return page, list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


def published_ids():
    return Case.objects.published().values("pk")


def territory_index(request):
    regions = list(Territory.objects.regions().order_by("name_key"))
    departements = list(Territory.objects.departements().order_by("code"))
    counts = territory_counts(published_ids(), [TerritoryKind.REGION, TerritoryKind.DEPARTEMENT])
    for territory in [*regions, *departements]:
        territory.case_count = counts.get(territory.pk, 0)
    by_region = {region.pk: [] for region in regions}
    for departement in departements:
        by_region[departement.region_id].append(departement)
    query = request.GET.get("q", "").strip()[:100]
    found = []
    if query:
        found = list(Territory.objects.search(query).select_related("departement")[:30])
    context = {
        "regions": [(region, by_region[region.pk]) for region in regions],
        "query": query,
        "found": found,
        "breadcrumbs": [(_("Territoires"), None)],
    }
    return render(request, "registry/territory_index.html", context)


def territory_detail(request, kind, code):
    if kind not in TerritoryKind.values:
        raise Http404
    territory = get_object_or_404(
        Territory.objects.select_related("region", "departement", "epci"), kind=kind, code=code
    )
    cases = Case.objects.published().located_in(territory)
    page, page_range = paginate(request, cases.for_list().order_by("-published_at", "-id"))
    counts = term_counts(cases.order_by().values("pk"), ["theme", "practice"])
    index = TermIndex()
    themes = counted(index.of("theme"), counts)
    practices = counted([t for t in index.of("practice") if t.parent_id is None], counts)
    for metier in practices:
        metier.missions = counted(
            [t for t in index.of("practice") if t.parent_id == metier.pk], counts, keep_zero=True
        )
    children = list(territory.children().order_by("name_key")[:300])
    child_counts = territory_counts(cases.order_by().values("pk"), [c.kind for c in children[:1]])
    for child in children:
        child.case_count = child_counts.get(child.pk, 0)
    if kind == TerritoryKind.DEPARTEMENT:
        children.sort(key=lambda c: (-c.case_count, c.name_key))
    organizations = list(
        Organization.objects.filter(
            seat__ancestor_links__ancestor=territory,
            roster_entries__case__status=CaseStatus.PUBLISHED,
        )
        .select_related("actor_type")
        .annotate(case_count=Count("roster_entries__case", distinct=True))
        .order_by("-case_count", "name_key")[:30]
    )
    context = {
        "territory": territory,
        "page": page,
        "page_range": page_range,
        "total": page.paginator.count,
        "themes": themes,
        "practices": practices,
        "parents": territory.parents(),
        "children": children,
        "organizations": organizations,
        "search_url": f"{reverse('case_list')}?{kind}={code}",
        "breadcrumbs": territory_breadcrumbs(territory),
    }
    return render(request, "registry/territory_detail.html", context)


def territory_breadcrumbs(territory):
    trail = [(_("Territoires"), reverse("territory_index"))]
    if territory.region_id:
        trail.append((territory.region.name, territory.region.get_absolute_url()))
    if territory.departement_id:
        trail.append((territory.departement.label, territory.departement.get_absolute_url()))
    if territory.epci_id:
        trail.append((territory.epci.name, territory.epci.get_absolute_url()))
    trail.append((territory.label, None))
    return trail


def counted(terms, counts, keep_zero=False):
    """The terms with a `case_count`, most used first (zero counts dropped unless asked)."""
    result = []
    for term in terms:
        term.case_count = counts.get(term.pk, 0)
        if term.case_count or keep_zero:
            result.append(term)
    if not keep_zero:
        result.sort(key=lambda t: -t.case_count)
    return result


def referentiel(request):
    index = TermIndex()
    counts = term_counts(published_ids())
    phase_scale = Case.objects.published().aggregate(
        **{
            f"t{term.pk}": Count("pk", filter=Q(**{f"{term.vocabulary.code}": term}))
            for term in [*index.of("phase"), *index.of("scale")]
        }
    )
    vocabularies = {v.code: v for v in Vocabulary.objects.all()}
    sections = []
    for code in REFERENTIEL_ORDER:
        vocabulary = vocabularies.get(code)
        if vocabulary is None:
            continue
        terms = []
        for term in index.of(code):
            term.case_count = counts.get(term.pk, phase_scale.get(f"t{term.pk}", 0))
            if term.is_active or term.case_count:
                terms.append(term)
        top = [t for t in terms if t.parent_id is None]
        for term in top:
            term.kids = [t for t in terms if t.parent_id == term.pk]
        sections.append(
            {"vocabulary": vocabulary, "terms": top, "countable": code in SEARCH_PARAMETER}
        )
    context = {"sections": sections, "breadcrumbs": [(_("Référentiel"), None)]}
    return render(request, "registry/referentiel.html", context)


def term_detail(request, vocabulary, code):
    term = get_object_or_404(
        Term.objects.select_related("vocabulary", "parent"), vocabulary__code=vocabulary, code=code
    )
    children = list(term.children.all())
    cases = Case.objects.published()
    if vocabulary in {"phase", "scale"}:
        cases = cases.filter(**{vocabulary: term})
    elif vocabulary == "actor_type":
        cases = cases.filter(
            pk__in=CasePartner.objects.filter(
                Q(organization__actor_type=term) | Q(organization__actor_type__parent=term)
            ).values("case_id")
        )
    elif vocabulary == "pioneer_criterion":
        cases = cases.filter(pioneer_criteria=term)
    else:
        cases = cases.tagged([term, *children])
    page, page_range = paginate(request, cases.for_list().order_by("-published_at", "-id"))
    parameter = SEARCH_PARAMETER.get(vocabulary)
    context = {
        "term": term,
        "children": children,
        "page": page,
        "page_range": page_range,
        "total": page.paginator.count,
        "search_url": f"{reverse('case_list')}?{parameter}={code}" if parameter else None,
        "breadcrumbs": [
            (_("Référentiel"), reverse("referentiel")),
            *([(term.parent.label, term.parent.get_absolute_url())] if term.parent_id else []),
            (term.label, None),
        ],
    }
    return render(request, "registry/term_detail.html", context)


def organization_list(request):
    filterset = OrganizationFilter(request.GET, queryset=public_organizations())
    filterset.is_valid()
    queryset = filterset.qs.select_related("actor_type", "seat", "seat__departement").annotate(
        case_count=Count(
            "roster_entries__case",
            filter=Q(roster_entries__case__status=CaseStatus.PUBLISHED),
            distinct=True,
        )
    )
    paginator = Paginator(queryset.order_by("name_key", "pk"), 30)
    page = paginator.get_page(request.GET.get("page"))
    errors = [
        f"{filterset.form.fields[name].label} : {error}"
        for name, field_errors in filterset.form.errors.items()
        for error in field_errors
    ]
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "errors": errors,
        "page": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
        "actor_types": [t for t in TermIndex().of("actor_type") if t.parent_id is None],
        "breadcrumbs": [(_("Organisations"), None)],
    }
    return render(request, "registry/organization_list.html", context)


def public_organizations():
    """Organisations taking part in at least one published case."""
    return Organization.objects.filter(
        pk__in=CasePartner.objects.filter(case__status=CaseStatus.PUBLISHED).values(
            "organization_id"
        )
    )


def organization_detail(request, slug):
    organization = get_object_or_404(
        Organization.objects.select_related(
            "actor_type",
            "actor_type__parent",
            "company_size",
            "seat",
            "seat__departement",
            "governed_territory",
        ),
        slug=slug,
    )
    entries = list(
        CasePartner.objects.filter(organization=organization, case__status=CaseStatus.PUBLISHED)
        .select_related("role", "case")
        .prefetch_related(
            Prefetch(
                "case__case_territories",
                queryset=CaseTerritory.objects.select_related(
                    "territory", "territory__departement"
                ),
            )
        )
        .order_by("-case__published_at")
    )
    case_ids = [entry.case_id for entry in entries]
    partners = list(
        Organization.objects.filter(
            roster_entries__case_id__in=case_ids,
        )
        .exclude(pk=organization.pk)
        .select_related("actor_type")
        .annotate(shared=Count("roster_entries__case", distinct=True))
        .order_by("-shared", "name_key")[:20]
    )
    context = {
        "organization": organization,
        "entries": entries,
        "partners": partners,
        "breadcrumbs": [
            (_("Organisations"), reverse("organization_list")),
            (organization.name, None),
        ],
    }
    return render(request, "registry/organization_detail.html", context)
