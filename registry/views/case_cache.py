"""The case page as a visitor reads it, kept in the cache (`settings.CACHES`:
the Redis of CACHE_URL shared by every worker, else each process's memory).

What is kept: the case's own part of the page, its head and its article, per
case and language, rendered without the request: it holds nothing of the
visitor (no name, no CSRF token, no message), so one copy serves an anonymous
visitor and a logged-in one alike. The site's header, messages and footer are
rendered around it at every request. Only a published case is kept, and only
as those who may not edit it see it: its owner and staff get the page afresh,
with their controls and the thread, and what they see is never kept.

When it is dropped: when what it shows changes. The entry holds the registry
version it was built at, which every write that changes what is published
moves (`registry.models.index.bump_registry_version`), and what it was built
from: the case, its similar cases and what they were ranked from. At a newer
version the page still holds when the versions between moved for a few cases
only (`registry_changes`), none of them the case or one of its similar cases,
and the similar cases ranked again from the counting bitmaps (in memory, no
query) are the same: a publication elsewhere leaves the page kept, a case
published nearby that joins its similar cases does not, nor a revision, an
archive, a pioneer featured, a partner edited or merged. A label changed, the
geography or the vocabularies reloaded (a version that moved for more than
cases) drop every page. Between versions an entry lives `CASE_PAGE_TTL`
seconds at most, which bounds how long a page built by older code stays after
a deploy, and what a worker keeps when the cache is per process (there,
another worker's write does not move this worker's version; `check --deploy`
warns).

The version is read before the database: a page built from rows read before a
write commits is then kept under the version that write replaces when it
commits (`bump_registry_version` moves it then too). A hit costs two reads of
the cache and no query (after a write, a third: the cases it changed).
"""

import hashlib
import json
import zlib

from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from registry.counting import bitmaps
from registry.models.index import cache_is_shared, registry_changes, registry_version

SHARED_TTL = 10 * 60
# In each process's memory, a minute, as the whole-registry counts.
PER_PROCESS_TTL = 60

# The cached parts of a page, in this order. Stored compressed: the 14 kB of a
# demo case's parts take 3.5 in Redis, packed in 0.7 ms at a miss and
# unpacked in 0.1 ms at a hit.
PARTS = ("title", "summary", "head", "body")
# How many similar cases a page suggests.
SIMILAR = 4


def case_page_ttl():
    return SHARED_TTL if cache_is_shared() else PER_PROCESS_TTL


class CachedPage:
    """The case's part of its page: `title` and `summary` (plain text, escaped
    by the page's template), `head` and `body` (HTML), `owner_id`, to tell
    its owner, who gets the page afresh, from everyone else, and `shown`, what
    it was built from: {"version", "case", "similar" (ids), "terms", "areas"}."""

    def __init__(self, *, title, summary, head, body, owner_id, shown=None):
        self.title, self.summary, self.owner_id = title, summary, owner_id
        # HTML our own templates rendered, escaping what contributors wrote.
        self.head, self.body = mark_safe(head), mark_safe(body)  # noqa: S308
        self.shown = shown

    def stored(self):
        # Plain types only: an entry written by one release is read by the next.
        text = json.dumps([str(getattr(self, part)) for part in PARTS], ensure_ascii=False)
        return (self.owner_id, zlib.compress(text.encode(), 6), self.shown)

    @classmethod
    def from_stored(cls, entry):
        owner_id, packed, shown = entry
        parts = dict(zip(PARTS, json.loads(zlib.decompress(packed)), strict=True))
        return cls(owner_id=owner_id, shown=shown, **parts)

    def holds_at(self, version):
        """Whether the page shows at `version` what it showed when built (see the
        module's docstring)."""
        shown = self.shown
        if shown["version"] == version:
            return True
        changed = registry_changes(shown["version"], version)
        if changed is None or changed & {shown["case"], *shown["similar"]}:
            return False
        ranked = bitmaps.most_sharing_around(
            shown["case"], shown["terms"], shown["areas"], limit=SIMILAR
        )
        return ranked == shown["similar"]


def case_page_key(slug):
    # Hashed: a slug in a visitor's URL may be of any length.
    digest = hashlib.blake2b(slug.encode(), digest_size=16).hexdigest()
    return f"case-page:2:{get_language()}:{digest}"


def cached_case_page(slug):
    """(the registry version, the page kept for `slug` if it still holds, or
    None). Read the version first, before anything of the database."""
    version = registry_version()
    entry = cache.get(case_page_key(slug))
    if entry is None:
        return version, None
    page = CachedPage.from_stored(entry)
    return version, (page if page.holds_at(version) else None)


def keep_case_page(slug, page):
    cache.set(case_page_key(slug), page.stored(), case_page_ttl())
