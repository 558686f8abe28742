"""What contributors write is printed as they wrote it and never runs.

Plain text and a little HTML read as paragraphs and formatting on the case page,
the moderation review and the history; search results highlight the matched
words over escaped text on both databases; and the XSS corpus of
`tests/xss_payloads.txt`, put in every text field of published cases, leaves no
live markup on any page that prints those fields, nor in the feeds.
"""

import re
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from registry.models import Action
from tests.factories import CaseFactory, term, territory
from tests.xss import COMMUNE, PAYLOADS, SUMMARY_WORD, audit, publish_hostile_cases, title_of

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
LANGUAGES = ["", "/en"]


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_nothing_runs(html, url):
    offences, json_ld, _text = audit(html)
    assert offences == [], f"{url}: {offences[:5]}"
    return json_ld


def localised(prefix, path):
    """`path` in the language of `prefix` ("" French, "/en" English), whichever
    language the last request left active."""
    return prefix + path.removeprefix("/en")


def words(text):
    return " ".join(text.split())


def main_of(html):
    return html.split("<main", 1)[1].split("</main>", 1)[0]


PLAIN = (
    "Porté par l'Incubateur & la « Maison » des <5 ans, \"quartier\" nord.\n"
    "Deuxième ligne du même paragraphe.\n\n"
    "Un second paragraphe."
)
FORMATTED = (
    "<p>Un <strong>partenariat</strong> <em>durable</em> :</p>"
    "<ul><li>emploi</li><li>mobilité</li></ul>"
    '<p><a href="https://example.org/">le site</a></p>'
)


def test_a_plain_text_case_reads_as_paragraphs_not_as_markup(client):
    case = CaseFactory(description=PLAIN, lessons="Une seule ligne & rien d'autre.")
    html = page_of(client, case.get_absolute_url())
    assert "&lt;p&gt;" not in html and "&amp;amp;" not in html and "&amp;#x27;" not in html
    body = main_of(html)
    assert (
        "<p>Porté par l&#x27;Incubateur &amp; la « Maison » des &lt;5 ans, "
        "&quot;quartier&quot; nord.<br>Deuxième ligne du même paragraphe.</p>"
    ) in body
    assert "<p>Un second paragraphe.</p>" in body
    assert "<p>Une seule ligne &amp; rien d&#x27;autre.</p>" in body
    _offences, _json_ld, text = audit(html)
    assert "Porté par l'Incubateur & la « Maison » des <5 ans, \"quartier\" nord." in text


def test_an_html_case_reads_as_formatting(client):
    case = CaseFactory(
        description=FORMATTED,
        results="Premier paragraphe en <strong>gras</strong>.\nSuite.\n\nSecond paragraphe.",
    )
    body = main_of(page_of(client, case.get_absolute_url()))
    assert "<strong>partenariat</strong>" in body
    assert "<ul><li>emploi</li><li>mobilité</li></ul>" in body
    assert 'href="https://example.org/" rel="nofollow noopener noreferrer"' in body
    # Markup without paragraphs keeps the paragraphs its author typed.
    assert (
        "<p>Premier paragraphe en <strong>gras</strong>.<br>Suite.</p><p>Second paragraphe.</p>"
    ) in body
    assert "&lt;" not in body.split('id="s-description"', 1)[1].split("</section>", 1)[0]


def test_a_text_stored_escaped_reads_with_its_ampersand(client):
    # How the editor stored plain text before it kept it as typed.
    case = CaseFactory(context="Paris Est Marne &amp; Bois &lt; 10 000 habitants")
    _offences, _json_ld, text = audit(page_of(client, case.get_absolute_url()))
    assert "Paris Est Marne & Bois < 10 000 habitants" in text
    assert "&amp;" not in text


def test_the_moderation_review_and_the_history_show_texts_as_paragraphs(
    moderator_client, moderator
):
    case = CaseFactory(description=PLAIN, results=FORMATTED)
    review = main_of(page_of(moderator_client, reverse("moderation_review", args=[case.pk])))
    case.record_version(Action.PUBLISH, by=moderator)
    history = main_of(page_of(moderator_client, reverse("case_history", args=[case.pk])))
    for html in (review, history):
        assert "&lt;p&gt;" not in html and "&lt;strong&gt;" not in html
        assert "Porté par l&#x27;Incubateur &amp; la « Maison » des &lt;5 ans" in html
        assert "<strong>partenariat</strong>" in html
        assert "<li>emploi</li>" in html


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_search_results_highlight_the_matched_words_over_escaped_text(client, prefix):
    CaseFactory(
        title="Mobilité solidaire en Seine-et-Marne",
        summary="Le garage solidaire de Paris Est Marne & Bois répare les voitures <b>vite</b>.",
    )
    html = page_of(client, f"{prefix}/experiences/?q=garage")
    card = html.split('class="result-summary"', 1)[1].split("</p>", 1)[0]
    assert "<mark>garage</mark>" in card
    assert "Paris Est Marne &amp; Bois" in card
    assert "<b>" not in card
    assert_nothing_runs(html, "search")


def test_search_highlights_ignore_accents_and_case(client):
    CaseFactory(summary="Une ÉCOLE ouverte sur la cité éducative du quartier.")
    card = page_of(client, "/experiences/?q=ecole").split('class="result-summary"', 1)[1]
    assert "<mark>ÉCOLE</mark>" in card.split("</p>", 1)[0]


def test_a_match_far_in_a_long_summary_is_shown_in_its_extract(client):
    filler = " ".join(f"mot{n}" for n in range(60))
    CaseFactory(summary=f"{filler} puis un garage solidaire & ouvert, {filler}.")
    card = page_of(client, "/experiences/?q=garage").split('class="result-summary"', 1)[1]
    card = card.split("</p>", 1)[0]
    assert "<mark>garage</mark> solidaire &amp; ouvert" in card
    assert card.startswith(">… ") and card.endswith(" …")


def test_a_result_whose_summary_does_not_match_shows_its_first_words(client):
    CaseFactory(title="Garage solidaire", summary="Des voitures réparées & prêtées.")
    card = page_of(client, "/experiences/?q=garage").split('class="result-summary"', 1)[1]
    assert card.split("</p>", 1)[0] == ">Des voitures réparées &amp; prêtées."


@pytest.fixture
def hostile_cases():
    return publish_hostile_cases()


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_no_payload_runs_on_the_case_pages(client, hostile_cases, prefix):
    for number, case in enumerate(hostile_cases, start=1):
        url = localised(prefix, case.get_absolute_url())
        html = page_of(client, url)
        json_ld = assert_nothing_runs(html, url)
        assert [document["name"] for document in json_ld] == [case.title]
        _offences, _json_ld, text = audit(html)
        # Printed, as text: the title reads with its payload, character for character.
        assert words(case.title) in text, url
        assert title_of(number) in text


@pytest.mark.parametrize("prefix", LANGUAGES)
@pytest.mark.parametrize("query", [SUMMARY_WORD, "alert script"])
def test_no_payload_runs_in_highlighted_search_results(client, hostile_cases, prefix, query):
    marks = 0
    for number in (1, 2, 3, 4):
        url = f"{prefix}/experiences/?q={query}&page={number}"
        html = page_of(client, url)
        assert_nothing_runs(html, url)
        marks += len(re.findall(r"<mark>", html))
    assert marks >= len(hostile_cases) if query == SUMMARY_WORD else marks > 0


def test_no_payload_runs_in_the_moderation_review_and_the_history(moderator_client, hostile_cases):
    for case in hostile_cases:
        for url in (
            reverse("moderation_review", args=[case.pk]),
            reverse("case_history", args=[case.pk]),
        ):
            html = page_of(moderator_client, url)
            assert_nothing_runs(html, url)
            _offences, _json_ld, text = audit(html)
            assert words(case.description) in text, url


def test_no_payload_runs_on_the_organisation_pages(client, hostile_cases):
    for case in hostile_cases:
        partner = case.roster.get(position=9).organization
        html = page_of(client, partner.get_absolute_url())
        assert_nothing_runs(html, partner.get_absolute_url())
        assert words(partner.name) in audit(html)[2]


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_no_payload_runs_on_the_territory_home_and_pioneer_pages(client, hostile_cases, prefix):
    commune = territory("commune", COMMUNE)
    urls = [f"{prefix}/", f"{prefix}/experiences-pionnieres/", f"{prefix}/experiences/"]
    for number in (1, 2, 3, 4):
        urls.append(localised(prefix, f"{commune.get_absolute_url()}?page={number}"))
        urls.append(f"{prefix}/experiences-pionnieres/?page={number}")
    for url in urls:
        assert_nothing_runs(page_of(client, url), url)


@pytest.mark.parametrize("path", ["/flux/atom/", "/flux/rss/", f"/flux/atom/?commune={COMMUNE}"])
def test_no_payload_reaches_the_feeds_as_markup(client, hostile_cases, path):
    response = client.get(path)
    assert response.status_code == 200
    feed = ElementTree.fromstring(response.content)
    if path.startswith("/flux/atom/"):
        entries = feed.findall(f"{ATOM}entry")
        titles = [entry.find(f"{ATOM}title") for entry in entries]
        summaries = [entry.find(f"{ATOM}summary") for entry in entries]
        # Plain text, declared as such: a reader shows it, never renders it.
        assert {s.get("type") for s in summaries} == {"text"}
        assert {t.get("type", "text") for t in titles} == {"text"}
        newest = {f"{payload} Un résumé en {SUMMARY_WORD}." for payload in PAYLOADS[-10:]}
        assert {summary.text for summary in summaries} >= newest
    else:
        items = feed.findall("channel/item")
        # RSS readers render a description as HTML: it arrives escaped, with no tag left.
        for item in items:
            description = item.find("description").text
            assert "<" not in description
            assert audit(description)[0] == []
    assert len(entries if path.startswith("/flux/atom/") else items) == 50


@pytest.mark.parametrize("path", ["/flux/atom/", "/flux/rss/", "/flux/atom/?theme=mobilite"])
def test_a_control_character_in_a_published_title_does_not_break_the_feeds(client, path):
    CaseFactory(
        title="Alliance\x0bverticale pour la mobilité",
        summary="Un résumé\x0c avec des \x01caractères\x1f de contrôle.",
        tags=[term("theme", "mobilite")],
    )
    response = client.get(path)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Allianceverticale pour la mobilité" in text
    assert "Un résumé avec des caractères de contrôle." in text
    ElementTree.fromstring(response.content)
