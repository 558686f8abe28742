"""The small safe subset of formatting allowed in a case's long texts.

Contributors may write plain paragraphs or a little HTML (bold, italics, lists,
links, quotes). Everything else — scripts, styles, event handlers,
`javascript:` links — is removed by nh3 (ammonia), at save time and again at
display time.
"""

import re

import nh3
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a", "blockquote", "h3"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Text with no tag at all ("moins de < 10 %") is plain text, shown as paragraphs.
LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def clean_html(text):
    """Sanitised HTML for storage (an empty string stays empty)."""
    if not text:
        return ""
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    ).strip()


def render_rich_text(text):
    """Safe HTML for display: plain text gets paragraphs, HTML gets sanitised."""
    if text is None or text == "":
        return ""
    text = str(text)
    if not LOOKS_LIKE_HTML.search(text):
        return linebreaks(text, autoescape=True)
    return mark_safe(clean_html(text))  # noqa: S308 — sanitised by nh3 just above
