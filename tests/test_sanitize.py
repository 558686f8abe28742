"""Descriptions accept a small safe subset of formatting; no script ever reaches a page."""

import pytest
from django.utils.safestring import SafeData

from registry.text.sanitize import clean_html, render_rich_text
from tests.factories import CaseFactory

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">clic</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">clic</a>",
    "<a href=\"&#106;avascript:alert(1)\">clic</a>",
    "<svg onload=alert(1)>",
    "<iframe src=\"https://example.org\"></iframe>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "\"><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</script>",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<style>body{display:none}</style>",
    "<p onclick=\"alert(1)\">texte</p>",
    "<input autofocus onfocus=alert(1)>",
]

DANGEROUS = ["<script", "onerror", "onload", "onclick", "onfocus", "ontoggle", "javascript:",
             "<iframe", "<svg", "<style", "<object", "<embed", "<form", "data:text"]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload):
    for output in (clean_html(payload), str(render_rich_text(payload))):
        lowered = output.lower()
        for marker in DANGEROUS:
            assert marker not in lowered, (payload, output)


def test_safe_formatting_is_kept_and_links_get_rel():
    html = clean_html(
        '<p>Un <strong>partenariat</strong> <em>durable</em> :</p>'
        '<ul><li>emploi</li></ul><a href="https://example.org">site</a>'
    )
    assert "<strong>partenariat</strong>" in html and "<li>emploi</li>" in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_plain_text_becomes_escaped_paragraphs_marked_safe():
    html = render_rich_text("Première ligne.\n\nSeconde & dernière <b")
    # Marked safe, or a template escapes the paragraphs again (« &lt;p&gt; » on the page).
    assert isinstance(html, SafeData)
    assert html.startswith("<p>Première ligne.</p>")
    assert "<p>Seconde &amp; dernière &lt;b</p>" in html


def test_sanitised_html_is_marked_safe():
    assert isinstance(render_rich_text("<p>Un <em>texte</em></p>"), SafeData)


def test_plain_text_is_stored_as_typed():
    # Escaped when shown; escaped when stored, the editor would show « &amp; ».
    assert clean_html("Marne & Bois < 10 000 habitants\n\nSuite") == (
        "Marne & Bois < 10 000 habitants\n\nSuite"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_PAYLOADS[:6])
def test_a_case_page_never_carries_a_payload(client, payload):
    case = CaseFactory(description=payload, results=payload)
    page = client.get(case.get_absolute_url()).content.decode().lower()
    body = page.split("<main", 1)[1]
    for marker in ["<script>alert", "onerror=", "onload=", "javascript:alert"]:
        assert marker not in body
