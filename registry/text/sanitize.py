"""The one way text a contributor wrote reaches a page.

Every function here that returns HTML builds it from escaped or sanitised text
and returns it marked safe: templates print contributor text through the
`rich`, `paragraphs` and `snippet` filters, never through `|safe`.

- A case's long texts (description, context, actions, results, lessons) may be
  plain paragraphs or a small subset of HTML (bold, italics, lists, links,
  quotes). Plain text is escaped into paragraphs; HTML is sanitised by nh3
  (ammonia), when it is saved and again when it is shown, so that a record that
  predates a rule, or reached the database another way, is still harmless.
- Other texts (titles, summaries, names) are plain text: autoescaping prints
  them, `render_plain_text` when their line breaks matter.
- Search results show a snippet of the summary with the matched words in
  <mark>: the text is escaped first and the marks added after, whether the
  matched words come from PostgreSQL's `ts_headline` (between private-use
  sentinels, see `render_headline`) or from Python (`snippet`).
"""

import html
import re

import nh3
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

from registry.text.guard import FORBIDDEN
from territories.models import normalize

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a", "blockquote", "h3"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Text with no tag at all ("moins de < 10 %") is plain text, shown as paragraphs.
LOOKS_LIKE_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
# Long texts saved before plain text was kept as typed were stored escaped by nh3
# ("Marne &amp; Bois"): a character reference makes a text markup too.
CHARACTER_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# Markup that lays out its own paragraphs; without it, blank lines make them.
BLOCK_TAG = re.compile(r"<\s*(p|ul|ol|li|blockquote|h[1-6]|div|table|pre)\b", re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

# What `ts_headline` puts around matched words: characters of Unicode's
# private-use area, removed from the text before the headline is computed, so
# that after escaping they can only be the headline's own marks.
MARK_START = "\ue000"
MARK_END = "\ue001"
SENTINELS = MARK_START + MARK_END
SNIPPET_WORDS = 45
ELLIPSIS = "…"
WORD = re.compile(r"\w+")


def printable(text):
    """`text` without the characters the site refuses on the way in (`guard`): XML 1.0
    refuses them too (a feed with one fails to build). Tab and line breaks are kept;
    a stray vertical tab or form feed is dropped, not made a line break (a title
    stays one line)."""
    return FORBIDDEN.sub("", str(text or ""))


def looks_like_markup(text):
    return bool(LOOKS_LIKE_TAG.search(text) or CHARACTER_REFERENCE.search(text))


def clean_html(text):
    """A long text as stored: HTML sanitised, plain text kept as typed (it is
    escaped when shown; escaping it here would show « &amp; » in the editor)."""
    if not text:
        return ""
    if not LOOKS_LIKE_TAG.search(text):
        return text.strip()
    return sanitise(text)


def sanitise(text):
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    ).strip()


def render_plain_text(text):
    """Plain text as escaped paragraphs (a blank line between them) and line breaks."""
    text = printable(text).strip()
    if not text:
        return ""
    # linebreaks() escapes every paragraph before adding its own <p> and <br>.
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308


def render_rich_text(text):
    """A long text as safe HTML: plain text gets escaped paragraphs, HTML is sanitised.

    HTML written without paragraph tags keeps the blank lines and line breaks its
    author typed, as plain text does."""
    text = printable(text).strip()
    if not text:
        return ""
    if not looks_like_markup(text):
        return render_plain_text(text)
    if not BLOCK_TAG.search(text):
        text = "".join(
            "<p>{}</p>".format(part.strip().replace("\n", "<br>"))
            for part in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n"))
            if part.strip()
        )
    # nh3 parses the whole fragment (our <p> included) and keeps only the allowed subset.
    return mark_safe(sanitise(text))  # noqa: S308


def plain_words(text):
    """The words of a plain text as a reader sees them: tags and sentinels
    removed, whitespace collapsed (the same source the PostgreSQL headline reads)."""
    text = LOOKS_LIKE_TAG.sub(" ", printable(text).translate(dict.fromkeys(map(ord, SENTINELS))))
    return text.split()


def extract(tokens, matches, length=SNIPPET_WORDS):
    """The words of a snippet: from the start, or from a little before the first
    match when that lies beyond the first `length` words; with an ellipsis where
    words are left out."""
    start = 0
    if matches and matches[0] >= length - 5:
        start = max(0, matches[0] - 10)
    words = tokens[start : start + length]
    return words, start > 0, start + length < len(tokens)


def with_ellipses(html_text, cut_before, cut_after):
    if cut_before:
        html_text = f"{ELLIPSIS} {html_text}"
    if cut_after:
        html_text = f"{html_text} {ELLIPSIS}"
    return html_text


def snippet(text, words=()):
    """A short, escaped extract of a plain text, its words matching `words`
    (folded query words) in <mark>."""
    tokens = plain_words(text)
    if not tokens:
        return ""
    matches = [i for i, token in enumerate(tokens) if matches_any(token, words)]
    extracted, cut_before, cut_after = extract(tokens, matches)
    html_text = mark_words(" ".join(extracted), words)
    return mark_safe(with_ellipses(html_text, cut_before, cut_after))  # noqa: S308 — escaped


def mark_words(text, words):
    """`text` escaped, its words matching `words` wrapped in <mark>."""
    if not words:
        return html.escape(text, quote=True)
    pieces, position = [], 0
    for found in WORD.finditer(text):
        if matches_any(found.group(), words):
            pieces.append(html.escape(text[position : found.start()], quote=True))
            pieces.append(f"<mark>{html.escape(found.group(), quote=True)}</mark>")
            position = found.end()
    pieces.append(html.escape(text[position:], quote=True))
    return "".join(pieces)


def matches_any(token, words):
    """Does a word of the text answer one of the query's (folded) words?

    Accents and case never matter; a query word of four letters or more also
    finds the words it begins ("insert" → « insertion ») and its singular or
    plural; a shorter one (« de », « la ») only itself."""
    folded = normalize(token).replace(" ", "")
    if not folded:
        return False
    for word in words:
        if folded == word:
            return True
        if len(word) >= 4 and (folded.startswith(word) or singular(folded) == singular(word)):
            return True
    return False


def singular(word):
    return word[:-1] if len(word) > 4 and word[-1] in "sx" else word


def render_headline(headline):
    """A PostgreSQL headline (the whole summary, matched words between
    sentinels) as a snippet: the same extract as `snippet`, escaped, the
    sentinels turned into <mark>. None when no word of the summary matched."""
    if not headline or MARK_START not in headline:
        return None
    tokens = printable(headline).split()
    matches = [i for i, token in enumerate(tokens) if MARK_START in token]
    extracted, cut_before, cut_after = extract(tokens, matches)
    html_text = html.escape(" ".join(extracted), quote=True)
    html_text = html_text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    # An extract may cut between a word's two sentinels; a mark left open is closed.
    if html_text.count("<mark>") > html_text.count("</mark>"):
        html_text += "</mark>"
    return mark_safe(with_ellipses(html_text, cut_before, cut_after))  # noqa: S308 — escaped


def web_address(url):
    """`url` when it is a web address a link may point to (http, https), else ""."""
    url = printable(url).strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    return url if scheme in {"http", "https"} else ""
