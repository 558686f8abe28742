"""The case page as a visitor reads it, kept in the cache (`settings.CACHES`:
the Redis of CACHE_URL shared by every worker, else each process's memory).

What is kept: the case's own part of the page, its head and its article, per
case and language, rendered without the request: it holds nothing of the
visitor (no name, no CSRF token, no message), so one copy serves an anonymous
visitor and a logged-in one alike. The site's header, messages and footer are
rendered around it at every request. Only a published case is kept, and only
as those who may not edit it see it: its owner and staff get the page afresh,
with their controls and the thread, and what they see is never kept.

When it is dropped: the key holds the registry version, which every write that
changes what is published moves (`registry.models.index.bump_registry_version`:
a publication, a revision, an archive, a pioneer featured, a partner edited or
merged, the geography or the vocabularies reloaded, a label changed). A new
version is a new key; the entries of older ones expire on their own. The
similar cases are part of the page: a case published nearby joins them at the
next version. Between versions an entry lives `CASE_PAGE_TTL` seconds at most,
which bounds how long a page built by older code stays after a deploy, and
what a worker keeps when the cache is per process (there, another worker's
write does not move this worker's version; `check --deploy` warns).

The version is read before the database: a page built from rows read before a
write commits is then kept under the version that write replaces when it
commits (`bump_registry_version` moves it then too). A hit costs two reads of
the cache and no query.
"""

import hashlib
import json
import zlib

from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from registry.models.index import cache_is_shared, registry_version

SHARED_TTL = 10 * 60
# In each process's memory, a minute, as the whole-registry counts.
PER_PROCESS_TTL = 60

# The cached parts of a page, in this order. Stored compressed: the 14 kB of a
# demo case's parts take 3.5 in Redis, packed in 0.7 ms at a miss and
# unpacked in 0.1 ms at a hit.
PARTS = ("title", "summary", "head", "body")


def case_page_ttl():
    return SHARED_TTL if cache_is_shared() else PER_PROCESS_TTL


class CachedPage:
    """The case's part of its page: `title` and `summary` (plain text, escaped
    by the page's template), `head` and `body` (HTML), and `owner_id`, to tell
    its owner, who gets the page afresh, from everyone else."""

    def __init__(self, *, title, summary, head, body, owner_id):
        self.title, self.summary, self.owner_id = title, summary, owner_id
        # HTML our own templates rendered, escaping what contributors wrote.
        self.head, self.body = mark_safe(head), mark_safe(body)  # noqa: S308

    def stored(self):
        # Plain types only: an entry written by one release is read by the next.
        text = json.dumps([str(getattr(self, part)) for part in PARTS], ensure_ascii=False)
        return (self.owner_id, zlib.compress(text.encode(), 6))

    @classmethod
    def from_stored(cls, entry):
        owner_id, packed = entry
        parts = dict(zip(PARTS, json.loads(zlib.decompress(packed)), strict=True))
        return cls(owner_id=owner_id, **parts)


def case_page_key(slug, version):
    # Hashed: a slug in a visitor's URL may be of any length.
    digest = hashlib.blake2b(slug.encode(), digest_size=16).hexdigest()
    return f"case-page:{version}:{get_language()}:{digest}"


def cached_case_page(slug):
    """(the registry version, the page kept under it or None). Read the version
    first, before anything of the database."""
    version = registry_version()
    entry = cache.get(case_page_key(slug, version))
    return version, (CachedPage.from_stored(entry) if entry is not None else None)


def keep_case_page(slug, version, page):
    cache.set(case_page_key(slug, version), page.stored(), case_page_ttl())
