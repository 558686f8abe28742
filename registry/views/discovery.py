"""Public pages: home, search, case pages, pioneers. Only published cases."""

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, prefetch_related_objects
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from registry.counting import bitmaps
from registry.counting.engine import summary
from registry.counting.facets import FacetCounter
from registry.counting.selections import count_of, listed_by_ids, ranked_results
from registry.forms import MessageForm
from registry.models import (
    Case,
    CasePartner,
    CaseStatus,
    CaseTerritory,
    Organization,
    RevisionStatus,
    Term,
)
from registry.models.index import whole_registry
from registry.models.vocabulary import TAGS
from registry.models.workflow import can_act, is_moderator
from registry.search.filters import SORTS, CaseFilter, TermIndex, headline, highlight_words
from registry.search.suggestions import SearchHelp, query_string
from registry.text.sanitize import render_headline, snippet
from registry.views.case_cache import SIMILAR, CachedPage, cached_case_page, keep_case_page
from territories.models import Territory, TerritoryKind

PAGE_SIZE = 20


class KnownCountPaginator(Paginator):
    """A paginator told the count it would otherwise ask the database again."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count


def home(request):
    published = Case.objects.published()
    figures = whole_registry("home", lambda: home_figures(published))
    index = TermIndex()
    context = {
        "figures": figures,
        "pioneers": published.pioneers().for_list().order_by("-pioneer_at", "-id")[:3],
        "latest": published.for_list().order_by("-published_at", "-id")[:6],
        "themes": index.of("theme"),
        "regions": Territory.objects.regions().order_by("name_key"),
    }
    return render(request, "registry/home.html", context)


def home_figures(published):
    """The home page's key figures: from the counting bitmaps, which also hold
    how many organisations and territories the published cases name; in SQL
    with COUNT_WITH_BITMAPS=false."""
    if bitmaps.enabled():
        held = bitmaps.snapshot()
        figures = summary(bitmaps.PUBLISHED)
        figures["organizations"] = held.organization_count()
        figures["territories"] = held.placed_territories
    else:
        figures = summary(published)
        figures["organizations"] = Organization.objects.filter(
            Exists(
                CasePartner.objects.filter(
                    organization=OuterRef("pk"), case__status=CaseStatus.PUBLISHED
                )
            )
        ).count()
        figures["territories"] = CaseTerritory.objects.filter(
            case__status=CaseStatus.PUBLISHED
        ).aggregate(n=Count("territory_id", distinct=True))["n"]
    figures["all_three_share"] = (
        round(100 * figures["all_three"] / figures["total"]) if figures["total"] else 0
    )
    return figures


def case_list(request):
    # Always bound, so that an empty query string is a valid, unfiltered selection.
    filterset = CaseFilter(request.GET, term_index=TermIndex())
    # An invalid value is reported on the page; the valid filters still apply.
    valid = filterset.is_valid()
    counter = FacetCounter(filterset)
    results = headline(filterset.qs.for_list(), filterset.text)
    # By relevance, from the ranking of the text's matches the process keeps;
    # read before the counts, which then take their ids from it.
    ranked = ranked_results(filterset, results, counter.ids_without)
    if ranked is not None:
        results = ranked
    else:
        # Else a selection the bitmaps hold is listed from its ids, not its filters.
        listed = listed_by_ids(filterset, results, counter.ids_without())
        if listed is not None:
            results = listed
    figures = counter.summary()
    paginator = KnownCountPaginator(results, PAGE_SIZE, count=figures["total"])
    page = paginator.get_page(request.GET.get("page"))
    add_snippets(page.object_list, filterset.text)
    facets = counter.compute()
    page_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    chips = filter_chips(request, filterset) if valid else []
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "errors": _error_messages(filterset),
        "page": page,
        "figures": figures,
        "facets": facets,
        "sorts": SORTS,
        "sort": filterset.sort_order,
        "text": filterset.text,
        "chips": chips,
        # The filters the visitor may relax when nothing is found (the query is
        # named apart: it is not a filter).
        "relax": [chip for chip in chips if chip["param"] != "q"],
        "page_range": list(page_range),
        "breadcrumbs": [(_("Expériences"), None)],
        **search_help(request, filterset, figures["total"], valid),
    }
    return render(request, htmx_template(request, "case_list.html", "_search_zone.html"), context)


def search_help(request, filterset, total, valid):
    """The filters the query names and the correction of its mistyped words."""
    if not (valid and filterset.text):
        return {"offers": [], "correction": None}
    assist = SearchHelp(filterset, request.GET, total=total, count=count_of)
    return {
        "offers": assist.offers(),
        "correction": assist.correction(),
        "without_query": query_string(assist.with_query("")),
    }


def add_snippets(cases, text):
    """Each result's summary extract, its matched words marked, as safe HTML:
    PostgreSQL's headline where it matched the summary, else Python's marks."""
    words = highlight_words(text)
    for case in cases:
        case.snippet = render_headline(getattr(case, "summary_headline", None)) or snippet(
            case.summary, words
        )


def htmx_template(request, page, zone):
    """The whole page, or only its zone of results when htmx asks for it (not
    when it restores a page from its history: then it wants the whole page)."""
    in_place = request.htmx and not request.htmx.history_restore_request
    return f"registry/{zone if in_place else page}"


def filter_chips(request, filterset):
    """One removable chip per filter value in use: (label, link without it)."""
    chips = []
    for name, value in filterset.active_filters():
        label = filterset.form.fields[name].label
        values = value if isinstance(value, list) else [value]
        for item in values:
            query = request.GET.copy()
            query.pop("page", None)
            code = getattr(item, "code", None)
            if code is not None:
                query.setlist(name, [v for v in query.getlist(name) if v != code])
                text = getattr(item, "label", str(item))
            else:
                query.pop(name, None)
                text = display_value(filterset.form.fields[name], item)
            chips.append(
                {
                    "label": _("%(filter)s : %(value)s") % {"filter": label, "value": text},
                    "url": "?" + query.urlencode(),
                    "param": name,
                }
            )
        # A territory code that names none selects nothing: its chip says so and removes it.
        for code in getattr(value, "missing", []):
            query = request.GET.copy()
            query.pop("page", None)
            query.setlist(name, [v for v in query.getlist(name) if v != code])
            text = _("%(code)s (code inconnu)") % {"code": code}
            chips.append(
                {
                    "label": _("%(filter)s : %(value)s") % {"filter": label, "value": text},
                    "url": "?" + query.urlencode(),
                    "param": name,
                }
            )
    return chips


def display_value(field, value):
    choices = dict(getattr(field, "choices", []) or [])
    if value is True:
        return _("oui")
    return str(choices.get(value, value))


def _error_messages(filterset):
    if filterset.form.is_valid():
        return list(getattr(filterset, "notices", []))
    messages = []
    for name, errors in filterset.form.errors.items():
        label = filterset.form.fields[name].label if name in filterset.form.fields else name
        for error in errors:
            messages.append(_("%(filter)s : %(value)s") % {"filter": label, "value": error})
    return messages


def invalid_filters_response(filterset):
    """A download asked with invalid filters: a 400 naming each one, in plain text."""
    lines = [_("Certains filtres ne sont pas valides :"), *_error_messages(filterset)]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def case_detail(request, slug):
    """A case's page. A visitor who may not edit it (anonymous or not) is served
    its part from the cache when it is there (`case_cache`: no query); otherwise
    it is built in a fixed number of queries and, for such a visitor, kept."""
    version, page = cached_case_page(slug)
    # The one rule of who may edit (its owner, staff), asked of the kept owner.
    if page is not None and not can_act(request.user, Case(owner_id=page.owner_id), "owner"):
        return render_case_page(request, page)
    case = get_object_or_404(
        Case.objects.visible_to(request.user)
        .select_related("phase", "scale")
        .defer(*INDEX_COLUMNS),
        slug=slug,
    )
    can_edit = can_act(request.user, case, "owner")
    similar = similar_cases(case)
    load_case_page_rows(case, similar)
    context = {
        "case": case,
        "roster_by_family": roster_by_family(case),
        "tags": tags_by_vocabulary(case),
        "similar": similar,
        "is_preview": case.status != CaseStatus.PUBLISHED,
        "json_ld": json_ld(case),
        "can_edit": can_edit,
        "moderator_message": moderator_message(request.user, case),
        "site_url": settings.SITE_URL,
    }
    if can_edit:
        context.update(owner_view(case))
    # Rendered without the request for whoever may not edit it: nothing of the
    # visitor can reach what is kept.
    page = case_page(case, context, request if can_edit else None)
    if case.is_published and not can_edit:
        page.shown = {
            "version": version,
            "case": case.pk,
            "similar": [other.pk for other in similar],
            "terms": similar.terms,
            "areas": similar.areas,
        }
        keep_case_page(slug, page)
    return render_case_page(request, page)


def case_page(case, context, request):
    """The case's part of its page (`case_cache.CachedPage`), rendered."""
    return CachedPage(
        title=case.title,
        summary=case.summary,
        head=render_to_string("registry/_case_head.html", context, request),
        body=render_to_string("registry/_case_page.html", context, request),
        owner_id=case.owner_id,
    )


def render_case_page(request, page):
    context = {
        "page": page,
        "breadcrumbs": [(_("Expériences"), reverse("case_list")), (page.title, None)],
    }
    return render(request, "registry/case_detail.html", context)


# Derived columns the page never shows: wide (every word of the case), and
# parsed for nothing.
INDEX_COLUMNS = (
    "search_names",
    "search_text",
    "search_vector",
    "facet_terms",
    "facet_places",
    "facet_pairs",
)
TERMS = Prefetch("terms", queryset=Term.objects.select_related("vocabulary", "parent"))
PLACES = Prefetch(
    "case_territories",
    queryset=CaseTerritory.objects.select_related(
        "territory", "territory__departement", "territory__region"
    ),
)


def load_case_page_rows(case, similar):
    """What the page shows of `case` and of its `similar` cases' cards: their
    places and tags fetched together, then the case's roster and sources (and
    its criteria, a pioneer's): four or five queries whatever the case."""
    prefetch_related_objects([case, *similar], PLACES, TERMS)
    roster = Prefetch(
        "roster",
        queryset=CasePartner.objects.select_related(
            "organization", "organization__actor_type", "organization__actor_type__parent", "role"
        ),
    )
    related = [roster, "sources"]
    if case.is_pioneer:
        related.append(
            Prefetch("pioneer_criteria", queryset=Term.objects.select_related("vocabulary"))
        )
    prefetch_related_objects([case], *related)


JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_ld(case):
    """schema.org description of a published case, safe inside a <script> element."""
    data = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "name": case.title,
        "abstract": case.summary,
        "url": settings.SITE_URL + case.get_absolute_url(),
        "inLanguage": "fr",
        "keywords": [
            t.label for t in case.terms.all() if t.vocabulary.code in {"theme", "practice"}
        ],
        "spatialCoverage": [
            {
                "@type": "AdministrativeArea",
                "name": link.territory.name,
                "identifier": link.territory.code,
            }
            for link in case.case_territories.all()
        ],
        "contributor": [
            {"@type": "Organization", "name": entry.organization.name}
            for entry in case.roster.all()
        ],
    }
    if case.published_at:
        data["datePublished"] = case.published_at.date().isoformat()
    if case.start_year:
        data["temporalCoverage"] = f"{case.start_year}/{case.end_year or '..'}"
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES))  # noqa: S308


def owner_view(case):
    """What its owner (and staff) see on the case's page beside its content: its
    pending changes (an open revision, and staff's request for changes on it)
    and the thread of messages with the moderators."""
    revision = case.open_revision() if case.is_published else None
    return {
        "open_revision": revision,
        "revision_message": (
            revision.changes_requested()
            if revision is not None and revision.status == RevisionStatus.CHANGES_REQUESTED
            else None
        ),
        "thread": case.thread(),
        "message_form": MessageForm(),
    }


def moderator_message(user, case):
    """The last message staff left on the case, for its owner and staff only."""
    if not (is_moderator(user) or (user.is_authenticated and case.owner_id == user.pk)):
        return None
    if case.status not in {CaseStatus.CHANGES_REQUESTED, CaseStatus.REJECTED}:
        return None
    return (
        case.audit_entries.filter(action__in=["request_changes", "reject"])
        .exclude(message="")
        .first()
    )


FAMILY_ORDER = ["collectivite", "entreprise", "association"]


def roster_by_family(case):
    """Roster entries grouped by family (collectivités, companies, associations, others)."""
    groups = {}
    for entry in case.roster.all():
        actor = entry.organization.actor_type
        family = actor.parent or actor
        groups.setdefault(family.code, {"family": family, "entries": []})["entries"].append(entry)
    return sorted(
        groups.values(),
        key=lambda g: (
            FAMILY_ORDER.index(g["family"].code) if g["family"].code in FAMILY_ORDER else 9,
            g["family"].position,
        ),
    )


def tags_by_vocabulary(case):
    sections = []
    for vocabulary, param in TAGS.items():
        terms = case.terms_of(vocabulary)
        if terms:
            sections.append({"vocabulary": terms[0].vocabulary, "param": param, "terms": terms})
    return sections


SIMILAR_VOCABULARIES = ("practice", "theme")


def similar_cases(case, limit=SIMILAR):
    """Published cases sharing the most practices and themes with `case`, in its
    départements first, then its régions; ties to the most recent: a list, with
    `terms` and `areas`, what they were ranked from (the kept page ranks them
    again to tell whether it still holds).

    Ranked from the counting engine's bitmaps (`bitmaps.most_sharing`: the
    area's cases and each term's, intersected in memory, whatever the area's
    size), the case's terms and areas read there too for a published case
    (two small queries for a preview); with COUNT_WITH_BITMAPS=false, by a
    GROUP BY of the area's tag links. Fetched without their places and tags
    (`load_case_page_rows` brings them)."""
    similar = SimilarCases()
    similar.terms, similar.areas = terms_and_areas(case)
    if not similar.terms:
        return similar
    found = bitmaps.most_sharing_around(case.pk, similar.terms, similar.areas, limit=limit)
    if found is None:
        found = bitmaps.most_sharing_around(
            case.pk, similar.terms, similar.areas, limit=limit, rank=rank_in_sql
        )
    cases = (
        Case.objects.published()
        .select_related("phase", "scale")
        .defer(*INDEX_COLUMNS)
        .in_bulk(found)
    )
    similar.extend(cases[pk] for pk in found if pk in cases)
    return similar


SIMILAR_AREAS = (TerritoryKind.DEPARTEMENT, TerritoryKind.REGION)


def terms_and_areas(case):
    """The practices and themes of `case`, and [its départements, its régions]."""
    if bitmaps.enabled():
        known = bitmaps.snapshot().keys_of(case.pk, SIMILAR_VOCABULARIES, SIMILAR_AREAS)
        if known is not None:
            return known
    terms = list(
        Case.terms.through.objects.filter(
            case_id=case.pk, term__vocabulary__code__in=SIMILAR_VOCABULARIES
        ).values_list("term_id", flat=True)
    )
    if not terms:
        return [], []
    around = Territory.objects.containing_any(
        CaseTerritory.objects.filter(case_id=case.pk).values("territory_id")
    )
    areas = {kind: [] for kind in SIMILAR_AREAS}
    for pk, kind in around.filter(kind__in=SIMILAR_AREAS).values_list("pk", "kind"):
        areas[kind].append(pk)
    return terms, [sorted(area) for area in areas.values()]


class SimilarCases(list):
    """The similar cases of a page, with the terms and areas they were ranked from."""

    terms = ()
    areas = ()


def rank_in_sql(terms, area, *, exclude, limit):
    """`bitmaps.most_sharing` in SQL, over the tag links of the area's cases."""
    in_area = CaseTerritory.objects.filter(territory__ancestor_links__ancestor__in=area)
    return list(
        Case.terms.through.objects.filter(
            term_id__in=terms,
            case__in=in_area.values("case_id"),
            case__status=CaseStatus.PUBLISHED,
        )
        .exclude(case_id__in=exclude)
        .values("case_id")
        .annotate(shared=Count("term_id"))
        .order_by("-shared", "-case_id")
        .values_list("case_id", flat=True)[:limit]
    )


def pioneers(request):
    cases = (
        Case.objects.published()
        .pioneers()
        .for_list()
        .prefetch_related(
            Prefetch("pioneer_criteria", queryset=Term.objects.select_related("vocabulary"))
        )
        .order_by("-pioneer_at", "-id")
    )
    paginator = Paginator(cases, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_range": list(paginator.get_elided_page_range(page.number)),
        "breadcrumbs": [(_("Expériences pionnières"), None)],
    }
    return render(request, "registry/pioneers.html", context)


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /compte/",
        "Disallow: /contribuer/",
        "Disallow: /moderation/",
        "Disallow: /en/admin/",
        "Disallow: /en/compte/",
        "Disallow: /en/contribuer/",
        "Disallow: /en/moderation/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
