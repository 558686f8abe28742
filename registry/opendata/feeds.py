"""Atom and RSS feeds of newly published cases, filtered like the search page.

`/flux/atom/?region=32&theme=emploi_insertion` follows the cases of one région
on one theme: the query string is read by the same `CaseFilter`, and an unknown
code is a 400, never an empty feed that looks right.

Titles and summaries are plain text: Atom says so (`type="text"`); RSS, whose
descriptions readers take as HTML, gets them escaped. Control characters,
which XML cannot carry, are removed from whatever the database holds.
"""

import html

from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from registry.search.filters import CaseFilter, TermIndex
from registry.text.sanitize import printable

FEED_ITEMS = 50


class LatestCasesRssFeed(Feed):
    feed_type = Rss201rev2Feed

    def __call__(self, request, *args, **kwargs):
        filterset = CaseFilter(request.GET, term_index=TermIndex())
        if not filterset.is_valid():
            lines = [
                f"{name}: {error}"
                for name, errors in filterset.form.errors.items()
                for error in errors
            ]
            return HttpResponseBadRequest(
                "\n".join(lines), content_type="text/plain; charset=utf-8"
            )
        # The feed object is shared by every request: the selection travels with the request.
        request.case_filterset = filterset
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return request.case_filterset, request.GET.urlencode()

    def title(self, obj):
        filterset, _query = obj
        names = []
        for _name, value in filterset.active_filters():
            for item in value if isinstance(value, list) else [value]:
                names.append(str(getattr(item, "label", item)))
        title = _("Alliances territoriales : nouvelles expériences")
        return printable(f"{title} — {', '.join(names)}" if names else title)

    def description(self, obj):
        return _(
            "Les expériences d'alliances territoriales publiées récemment dans le registre, "
            "selon les filtres choisis."
        )

    def link(self, obj):
        _filterset, query = obj
        return reverse("case_list") + (f"?{query}" if query else "")

    def items(self, obj):
        filterset, _query = obj
        return (
            filterset.qs.for_list()
            .order_by("-published_at", "-id")
            .only("id", "slug", "title", "summary", "published_at", "updated_at", "phase", "scale")[
                :FEED_ITEMS
            ]
        )

    def item_title(self, case):
        return printable(case.title)

    def item_description(self, case):
        # RSS readers render a description as HTML: the plain summary is escaped for them.
        return html.escape(printable(case.summary))

    def item_pubdate(self, case):
        return case.published_at

    def item_updateddate(self, case):
        return case.updated_at

    def item_categories(self, case):
        return [printable(term.label) for term in case.themes]


class PlainTextAtom1Feed(Atom1Feed):
    """Atom whose entry summaries are declared as what they are: plain text."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class LatestCasesAtomFeed(LatestCasesRssFeed):
    feed_type = PlainTextAtom1Feed

    def subtitle(self, obj):
        return self.description(obj)

    def item_description(self, case):
        return printable(case.summary)
