"""Public pages per territory, référentiel item, theme and organisation.

Only published cases are shown or counted. Each page runs a fixed number of
queries whatever the number of cases (pinned by tests): counts are GROUP BY
queries over the ids of the page's selection, lists are paginated and fetched
with their related rows.
"""

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.counting.engine import term_counts, territory_counts
from registry.counting.figures import (
    case_counts_in,
    cases_described_by,
    cases_located_in,
    counted,
    key_figures,
    organizations_in,
    published_ids,
    referentiel_counts,
    regions_of,
    top_communes,
    usage_counts,
)
from registry.models import (
    Case,
    CasePartner,
    CaseStatus,
    CaseTerritory,
    Organization,
    Term,
    Vocabulary,
)
from registry.models.index import whole_registry
from registry.models.vocabulary import REFERENTIEL_ORDER, SEARCH_PARAMETERS
from registry.search.filters import OrganizationFilter, TermIndex
from territories.models import Territory, TerritoryKind

PAGE_SIZE = 20
ORGANIZATIONS_PAGE_SIZE = 30
SEARCH_RESULTS = 30
CHILDREN_SHOWN = 100
PARTNERS_SHOWN = 20

# What each list is for, in the registry's own words.
VOCABULARY_INTROS = {
    "practice": gettext_lazy(
        "Les quatre métiers de la catalyse territoriale, chacun décliné en quatre missions. "
        "Une expérience est étiquetée par missions ; son métier s'en déduit."
    ),
    "coconstruction_form": gettext_lazy(
        "Les trois manières dont les acteurs d'un territoire construisent ensemble."
    ),
    "partnership_type": gettext_lazy(
        "Les quatre types de partenariat entre organisations ; le mécénat se précise "
        "selon ce qui est donné."
    ),
    "objective": gettext_lazy("Les deux objectifs que poursuit une alliance."),
    "impact_axis": gettext_lazy("Les trois axes sur lesquels une alliance produit ses effets."),
    "challenge_prism": gettext_lazy("Les trois prismes pour qualifier les enjeux d'un territoire."),
    "theme": gettext_lazy(
        "Les domaines dans lesquels agissent les alliances. Chaque thème a sa page."
    ),
    "actor_type": gettext_lazy(
        "La famille de chaque partenaire ; une expérience compte pour un type dès qu'un "
        "de ses partenaires en relève."
    ),
    "partner_role": gettext_lazy("Le rôle que tient chaque partenaire dans une alliance."),
    "phase": gettext_lazy("Où en est l'expérience, de l'émergence à l'essaimage."),
    "scale": gettext_lazy("L'échelle à laquelle l'expérience agit."),
    "pioneer_criterion": gettext_lazy(
        "Ce que l'équipe du registre vérifie avant de mettre une expérience en avant."
    ),
}
CHILD_KIND = {
    TerritoryKind.REGION: TerritoryKind.DEPARTEMENT,
    TerritoryKind.DEPARTEMENT: TerritoryKind.EPCI,
    TerritoryKind.EPCI: TerritoryKind.COMMUNE,
}


def paginate(request, queryset, per_page=PAGE_SIZE):
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    return page, list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


def newest_first(cases):
    return cases.for_list().order_by("-published_at", "-id")


# ---- Territories -------------------------------------------------------------


def territory_index(request):
    territories = list(
        Territory.objects.filter(kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT])
    )
    counts = whole_registry(
        "territory-index",
        lambda: territory_counts(
            published_ids(), [TerritoryKind.REGION, TerritoryKind.DEPARTEMENT]
        ),
    )
    for territory in territories:
        territory.case_count = counts.get(territory.pk, 0)
    regions = sorted(
        (t for t in territories if t.kind == TerritoryKind.REGION), key=lambda t: t.name_key
    )
    by_region = {region.pk: [] for region in regions}
    for departement in sorted(territories, key=lambda t: t.code):
        if departement.kind == TerritoryKind.DEPARTEMENT:
            by_region[departement.region_id].append(departement)
    query = request.GET.get("q", "").strip()[:100]
    context = {
        "mainland": [(r, by_region[r.pk]) for r in regions if not r.is_overseas],
        "overseas": [(r, by_region[r.pk]) for r in regions if r.is_overseas],
        "query": query,
        "found": found_territories(query) if query else [],
        "breadcrumbs": [(_("Territoires"), None)],
    }
    return render(request, "registry/territory_index.html", context)


def found_territories(query):
    """The best matches for a name, grouped by level (régions first), the most
    populated first within a level: [(kind label, [territories])]."""
    matches = list(
        Territory.objects.search(query).select_related("departement", "epci")[:SEARCH_RESULTS]
    )
    counts = case_counts_in(matches)
    for territory in matches:
        territory.case_count = counts.get(territory.pk, 0)
    matches.sort(key=lambda t: (t.depth, -(t.population or 0), t.name_key))
    groups = {}
    for territory in matches:
        groups.setdefault(territory.kind, []).append(territory)
    return [(TerritoryKind(kind).label, members) for kind, members in groups.items()]


def territory_detail(request, kind, code):
    if kind not in TerritoryKind.values:
        raise Http404
    territory = get_object_or_404(
        Territory.objects.select_related("region", "departement", "epci"), kind=kind, code=code
    )
    cases = Case.objects.published().located_in(territory)
    case_ids = cases_located_in(territory)
    page, page_range = paginate(request, newest_first(cases))
    index = TermIndex()
    counts = term_counts(case_ids)
    practices = counted([t for t in index.of("practice") if t.parent_id is None], counts)
    for metier in practices:
        metier.missions = counted(
            [t for t in index.of("practice") if t.parent_id == metier.pk], counts
        )
    above = territories_above(territory)
    context = {
        "territory": territory,
        "page": page,
        "page_range": page_range,
        "total": page.paginator.count,
        "figures": key_figures(territory),
        "above": above,
        "children": children_of(territory),
        "top_communes": top_communes(territory),
        "themes": counted(index.of("theme"), counts),
        "practices": practices,
        "organizations": organizations_in(territory),
        "search_url": f"{reverse('case_list')}?{kind}={code}",
        "breadcrumbs": territory_breadcrumbs(territory, above),
    }
    return render(request, "registry/territory_detail.html", context)


def territories_above(territory):
    """The levels above, as (kind label, [territories]): the région of a
    département; the départements (and régions) of an EPCI, several when it
    straddles a border; the EPCI, département and région of a commune."""
    if territory.kind == TerritoryKind.REGION:
        return []
    if territory.kind == TerritoryKind.DEPARTEMENT:
        return [(TerritoryKind.REGION.label, [territory.region])] if territory.region_id else []
    if territory.kind == TerritoryKind.EPCI:
        departements = list(
            Territory.objects.containing(territory, include_self=False)
            .filter(kind=TerritoryKind.DEPARTEMENT)
            .select_related("region")
            .order_by("code")
        )
        regions = list({d.region_id: d.region for d in departements if d.region_id}.values())
        return [
            (_("Région") if len(regions) == 1 else _("Régions"), regions),
            (_("Département") if len(departements) == 1 else _("Départements"), departements),
        ]
    levels = [
        (TerritoryKind.EPCI.label, territory.epci),
        (TerritoryKind.DEPARTEMENT.label, territory.departement),
        (TerritoryKind.REGION.label, territory.region),
    ]
    return [(label, [t]) for label, t in levels if t is not None]


def territory_breadcrumbs(territory, above):
    """Territoires › région › département › (EPCI) › commune; an EPCI over several
    départements or régions shows only what it has one of."""
    trail = [(_("Territoires"), reverse("territory_index"))]
    levels = {}
    for _label, territories in above:
        if len(territories) == 1:
            levels[territories[0].kind] = territories[0]
    for kind in (TerritoryKind.REGION, TerritoryKind.DEPARTEMENT, TerritoryKind.EPCI):
        if kind in levels:
            trail.append((levels[kind].label, levels[kind].get_absolute_url()))
    trail.append((territory.label, None))
    return trail


def children_of(territory):
    """The level below with its case counts: every département of a région, every
    EPCI of a département, the communes of an EPCI (most active first, capped)."""
    if territory.kind not in CHILD_KIND:
        return None
    children = list(territory.children().select_related("departement"))
    counts = case_counts_in(children)
    for child in children:
        child.case_count = counts.get(child.pk, 0)
    if territory.kind == TerritoryKind.REGION:
        children.sort(key=lambda c: c.code)
    elif territory.kind == TerritoryKind.DEPARTEMENT:
        children.sort(key=lambda c: c.name_key)
    else:
        children.sort(key=lambda c: (-c.case_count, c.name_key))
    return {
        "kind": CHILD_KIND[territory.kind],
        "shown": children[:CHILDREN_SHOWN],
        "total": len(children),
    }


# ---- Référentiel -------------------------------------------------------------


def cases_using(term, children):
    """The published cases a term describes, its `children` included (a métier
    through its missions, a family of actors through its types)."""
    cases = Case.objects.published()
    vocabulary = term.vocabulary.code
    terms = [term, *children]
    if vocabulary in ("phase", "scale"):
        return cases.filter(**{vocabulary: term})
    if vocabulary == "actor_type":
        partners = CasePartner.objects.filter(organization__actor_type_id__in=[t.pk for t in terms])
        return cases.filter(pk__in=partners.values("case_id"))
    if vocabulary == "partner_role":
        return cases.filter(pk__in=CasePartner.objects.filter(role=term).values("case_id"))
    if vocabulary == "pioneer_criterion":
        return cases.pioneers().filter(pioneer_criteria=term)
    return cases.tagged(terms)


def referentiel(request):
    index = TermIndex()
    all_counts = whole_registry("referentiel", referentiel_counts)
    vocabularies = Vocabulary.objects.in_bulk(REFERENTIEL_ORDER, field_name="code")
    sections = []
    for code in REFERENTIEL_ORDER:
        if code not in vocabularies:
            continue
        counts = all_counts[code]
        terms = []
        for term in index.of(code):
            term.case_count = counts.get(term.pk, 0)
            if term.is_active or term.case_count:
                terms.append(term)
        top = [t for t in terms if t.parent_id is None]
        for term in top:
            term.kids = [t for t in terms if t.parent_id == term.pk]
        sections.append(
            {"vocabulary": vocabularies[code], "intro": VOCABULARY_INTROS[code], "terms": top}
        )
    context = {"sections": sections, "breadcrumbs": [(_("Référentiel"), None)]}
    return render(request, "registry/referentiel.html", context)


def term_detail(request, vocabulary, code):
    if vocabulary not in REFERENTIEL_ORDER:
        raise Http404
    term = get_object_or_404(
        Term.objects.select_related("vocabulary", "parent"), vocabulary__code=vocabulary, code=code
    )
    children = list(term.children.all())
    cases = cases_using(term, children)
    case_ids = cases_described_by(term, children)
    if case_ids is None:
        case_ids = cases.order_by().values("pk")
    page, page_range = paginate(request, newest_first(cases))
    if children:
        counts = usage_counts(vocabulary, case_ids)
        for child in children:
            child.case_count = counts.get(child.pk, 0)
    parameter = SEARCH_PARAMETERS.get(vocabulary)
    search_url = f"{reverse('case_list')}?{parameter}={code}" if parameter else None
    context = {
        "term": term,
        "children": children,
        "page": page,
        "page_range": page_range,
        "total": page.paginator.count,
        "regions": regions_of(case_ids, search_url),
        "search_url": search_url,
        "breadcrumbs": [
            (_("Référentiel"), reverse("referentiel")),
            (term.vocabulary.label, f"{reverse('referentiel')}#v-{vocabulary}"),
            *([(term.parent.label, term.parent.get_absolute_url())] if term.parent_id else []),
            (term.label, None),
        ],
    }
    return render(request, "registry/term_detail.html", context)


# ---- Organisations -----------------------------------------------------------


def organization_list(request):
    index = TermIndex()
    filterset = OrganizationFilter(
        request.GET, queryset=Organization.objects.with_published_cases(), term_index=index
    )
    filterset.is_valid()
    # A correlated count runs for the rows of the page only, where a JOIN and
    # GROUP BY would count every organisation before sorting (seconds, not ms).
    published_count = (
        CasePartner.objects.filter(organization=OuterRef("pk"), case__status=CaseStatus.PUBLISHED)
        .order_by()
        .values("organization")
        .annotate(n=Count("case_id", distinct=True))
        .values("n")
    )
    organizations = (
        filterset.qs.select_related("actor_type", "seat", "seat__departement")
        .annotate(case_count=Subquery(published_count, output_field=IntegerField()))
        .order_by("name_key", "pk")
    )
    page, page_range = paginate(request, organizations, ORGANIZATIONS_PAGE_SIZE)
    form = filterset.form
    errors = [
        _("%(filter)s : %(value)s") % {"filter": form.fields[name].label, "value": error}
        for name, field_errors in form.errors.items()
        for error in field_errors
    ]
    places = list(
        Territory.objects.filter(kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT])
    )
    actor_types = []
    for top in (t for t in index.of("actor_type") if t.parent_id is None):
        actor_types.append(top)
        actor_types.extend(t for t in index.of("actor_type") if t.parent_id == top.pk)
    context = {
        "form": form,
        "errors": errors,
        "selected": {name: request.GET.get(name, "") for name in form.fields},
        "page": page,
        "page_range": page_range,
        "actor_types": actor_types,
        "regions": sorted(
            (t for t in places if t.kind == TerritoryKind.REGION), key=lambda t: t.name_key
        ),
        "departements": sorted(
            (t for t in places if t.kind == TerritoryKind.DEPARTEMENT), key=lambda t: t.code
        ),
        "breadcrumbs": [(_("Organisations"), None)],
    }
    return render(request, "registry/organization_list.html", context)


def organization_detail(request, slug):
    """An organisation's public page: its published alliances and partners.

    The page exists for whoever may see a case the organisation takes part in
    (`Case.objects.visible_to`): visitors only reach organisations of published
    cases, so a partner named only in a draft stays unknown to them. Even then,
    the page shows published cases only."""
    organization = get_object_or_404(
        Organization.objects.select_related(
            "actor_type",
            "actor_type__vocabulary",
            "company_size",
            "seat",
            "seat__departement",
            "governed_territory",
            "governed_territory__departement",
        ),
        slug=slug,
    )
    visible = Case.objects.visible_to(request.user)
    if not visible.filter(roster__organization=organization).exists():
        raise Http404
    entries = (
        CasePartner.objects.filter(organization=organization, case__status=CaseStatus.PUBLISHED)
        .select_related("role", "case", "case__phase")
        .prefetch_related(
            Prefetch(
                "case__case_territories",
                queryset=CaseTerritory.objects.select_related(
                    "territory", "territory__departement"
                ),
            )
        )
        .order_by("-case__published_at", "-case_id", "position")
    )
    page, page_range = paginate(request, entries)
    shared_cases = CasePartner.objects.filter(
        organization=organization, case__status=CaseStatus.PUBLISHED
    ).values("case_id")
    partners = list(
        Organization.objects.filter(roster_entries__case_id__in=shared_cases)
        .exclude(pk=organization.pk)
        .select_related("actor_type")
        .annotate(shared=Count("roster_entries__case", distinct=True))
        .order_by("-shared", "name_key")[:PARTNERS_SHOWN]
    )
    context = {
        "organization": organization,
        "page": page,
        "page_range": page_range,
        "total": page.paginator.count,
        "partners": partners,
        "breadcrumbs": [
            (_("Organisations"), reverse("organization_list")),
            (organization.name, None),
        ],
    }
    return render(request, "registry/organization_detail.html", context)
