"""How the site writes French and English: grouped numbers, no-break spaces, one
year for a one-year case, one way to name a territory, « du RAMEAU », the
référentiel's sources in the page's language, and translated text that never
breaks out of an HTML attribute."""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.utils import timezone, translation

from registry.models import Case, CaseStatus, Vocabulary
from registry.models.taxonomy import read_taxonomy
from tests.factories import CaseFactory, UserFactory, territory

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NARROW_NBSP = "\u202f"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, as a browser reads them."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def first(self, tag, **wanted):
        return next(
            attrs
            for name, attrs in self.found
            if name == tag and all(attrs.get(k) == v for k, v in wanted.items())
        )


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def text_of(html):
    """The page's text, tags removed, entities kept as the browser would show them."""
    parser = HTMLParser()
    chunks = []
    parser.handle_data = chunks.append
    parser.feed(html)
    return re.sub(r"[ \t\r\n]+", " ", " ".join(chunks))


# ---- Numbers -------------------------------------------------------------------------


@pytest.fixture
def a_thousand_cases(db):
    owner = UserFactory()
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            title=f"Alliance numéro {n}",
            slug=f"alliance-numero-{n}",
            summary="Une alliance de plus.",
            owner=owner,
            status=CaseStatus.PUBLISHED,
            published_at=now,
        )
        for n in range(1000)
    )


@pytest.mark.django_db
def test_a_thousand_cases_read_1_000_in_french_and_1000_with_a_comma_in_english(
    client, a_thousand_cases
):
    home = page(client, "/")
    assert f"<strong>1{NARROW_NBSP}000</strong>" in home
    search = page(client, "/experiences/")
    assert f"1{NARROW_NBSP}000 expériences" in text_of(search)
    assert "1000" not in text_of(search)
    assert "<strong>1,000</strong>" in page(client, "/en/")
    assert "1,000 cases" in text_of(page(client, "/en/experiences/"))
    observatory = text_of(page(client, "/observatoire/"))
    assert f"1{NARROW_NBSP}000 expériences publiées dans la sélection" in observatory
    english = text_of(page(client, "/en/observatoire/"))
    assert "1,000 published cases in the selection" in english


@pytest.mark.django_db
def test_a_population_is_grouped_like_every_other_number(client):
    nord = page(client, "/territoires/departement/59/")
    population = re.search(r"Population municipale</dt><dd>([^<]+)</dd>", nord).group(1)
    assert re.fullmatch(r"\d{1,3}(\u202f\d{3})+", population), population
    english = page(client, "/en/territoires/departement/59/")
    assert re.search(r"</dt><dd>\d{1,3}(,\d{3})+</dd>", english)


@pytest.mark.django_db
def test_a_facet_count_is_not_written_in_parentheses_after_a_code(client):
    CaseFactory(places=[territory("commune", "22050")])
    search = text_of(page(client, "/experiences/"))
    assert "Côtes-d'Armor (22) 1" in search
    assert not re.search(r"\(\d+\) \(\d+\)", search)


# ---- Years ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_that_started_and_ended_the_same_year_shows_that_year_once(client):
    case = CaseFactory(title="Alliance d'une année", start_year=2020, end_year=2020)
    CaseFactory(title="Alliance en cours", start_year=2018, end_year=None)
    CaseFactory(title="Alliance de trois ans", start_year=2018, end_year=2021)
    results = text_of(page(client, "/experiences/"))
    assert "2020–2020" not in results
    assert "2018–2021" in results and "depuis 2018" in results
    assert re.search(r"Alliance d'une année\s+Lille \(59\)\s+2020\b", results)
    case_page = text_of(page(client, case.get_absolute_url()))
    assert "2020–2020" not in case_page and "Période 2020" in case_page
    assert "since 2018" in text_of(page(client, "/en/experiences/"))


# ---- Territories ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_territory_is_named_with_its_code_and_its_level_once(client):
    case = CaseFactory(
        places=[territory("epci", "200068989"), territory("departement", "22")],
    )
    case_page = text_of(page(client, case.get_absolute_url()))
    assert "CA Dinan Agglomération — intercommunalité" in case_page
    assert "Côtes-d'Armor (22) — département" in case_page
    assert "(EPCI))" not in case_page and ") (" not in case_page
    english = text_of(page(client, "/en" + case.get_absolute_url()))
    assert "CA Dinan Agglomération — inter-municipal body" in english
    epci_page = page(client, "/territoires/epci/200068989/")
    assert "<title>CA Dinan Agglomération — intercommunalité ·" in epci_page
    search = text_of(page(client, "/experiences/?departement=22"))
    assert "Côtes-d'Armor (22)" in search and "CA Dinan Agglomération 1" in search


# ---- Translated text in attributes ---------------------------------------------------


@pytest.mark.django_db
def test_the_english_search_placeholder_stays_inside_its_attribute(client):
    inputs = Elements(page(client, "/en/experiences/"))
    search_box = inputs.first("input", id="id_q")
    assert search_box["placeholder"] == "insertion, “skills-based sponsorship”, -sport…"
    assert search_box["aria-describedby"] == "q-help"
    assert not any('"' in name or "”" in name for _, attrs in inputs.found for name in attrs)


@pytest.mark.django_db
def test_a_filter_chip_label_is_escaped_once(client):
    CaseFactory(places=[territory("region", "93")])
    chips = Elements(page(client, "/experiences/?region=93"))
    labels = [a.get("aria-label", "") for tag, a in chips.found if tag == "a"]
    assert "Retirer le filtre Région\u00a0: Provence-Alpes-Côte d'Azur" in labels
    assert not any("&#x27;" in label or "&amp;" in label for label in labels)


DJANGO_TOKEN = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
TRANSLATE = re.compile(r"\{%\s*(?:translate|trans)\s")
BLOCKTRANSLATE = re.compile(r"\{%\s*(?:blocktranslate|blocktrans)\b")
END_BLOCKTRANSLATE = re.compile(r"\{%\s*endblocktrans(?:late)?\s*%\}")
SAVED_AS = re.compile(r"\bas\s+(\w+)\s*%\}$|\basvar\s+(\w+)")
ESCAPING_FILTERS = {"attribute", "force_escape"}


def prints_unescaped_translation(token, saved_names):
    if TRANSLATE.match(token) or BLOCKTRANSLATE.match(token):
        return not SAVED_AS.search(token)
    if token.startswith("{{"):
        name, *filters = [part.split(":")[0].strip() for part in token[2:-2].split("|")]
        translated = name.startswith("_(") or name.split(".")[0] in saved_names
        return translated and not ESCAPING_FILTERS & set(filters)
    return False


def translations_in_attributes(source):
    """Translated text printed inside a quoted HTML attribute without the
    `attribute` filter (or `{% filter attribute %}`), and the blocks that sit in
    an attribute: [(line, token)], {block names}."""
    saved = set()
    for token in DJANGO_TOKEN.findall(source):
        if (TRANSLATE.match(token) or BLOCKTRANSLATE.match(token)) and (
            found := SAVED_AS.search(token)
        ):
            saved.add(found.group(1) or found.group(2))
    problems, blocks = [], set()
    state, quote, escaped, i = "text", None, 0, 0
    while i < len(source):
        token = DJANGO_TOKEN.match(source, i)
        if token:
            text, i = token.group(0), token.end()
            if state != "value":
                continue
            if BLOCKTRANSLATE.match(text) and (close := END_BLOCKTRANSLATE.search(source, i)):
                i = close.end()
            if re.match(r"\{%\s*filter\s+(attribute|force_escape)\b", text):
                escaped += 1
            elif re.match(r"\{%\s*endfilter\b", text) and escaped:
                escaped -= 1
            elif not escaped and prints_unescaped_translation(text, saved):
                problems.append((source.count("\n", 0, token.start()) + 1, text))
            elif not escaped and (block := re.match(r"\{%\s*block\s+(\w+)", text)):
                blocks.add(block.group(1))
            continue
        char = source[i]
        if state == "text" and char == "<" and re.match(r"[A-Za-z!/]", source[i + 1 : i + 2]):
            state = "tag"
        elif state == "tag" and char in "\"'" and source[:i].rstrip().endswith("="):
            state, quote = "value", char
        elif state == "tag" and char == ">":
            state = "text"
        elif state == "value" and char == quote:
            state = "tag"
        i += 1
    return problems, blocks


def test_the_attribute_walker_finds_what_it_looks_for():
    problems, blocks = translations_in_attributes(
        "<input placeholder=\"{% translate 'a, \"b\"' %}\"\n"
        "       title='{% blocktranslate %}x{% endblocktranslate %}'>\n"
        '{% translate "Légende" as legend %}<ul aria-label="{{ legend }}"></ul>\n'
        '<meta content="{% block description %}{% endblock %}">\n'
        "<p title=\"{{ _('ok')|attribute }}\"\n"
        "   aria-label=\"{% filter attribute %}{% translate 'ok' %}{% endfilter %}\">\n"
        '{% translate "Texte hors attribut" %}</p>'
    )
    assert [line for line, _ in problems] == [1, 2, 3]
    assert blocks == {"description"}


def test_no_template_prints_a_translation_raw_inside_an_attribute():
    """`{% translate %}` prints its translation unescaped: an English double quote
    ended the search box's placeholder. In an attribute, translated text goes
    through `|attribute` (a block that sits in one, through `{% filter attribute %}`)."""
    sources = {
        path.relative_to(TEMPLATES): path.read_text(encoding="utf-8")
        for path in TEMPLATES.rglob("*.html")
    }
    found, blocks_in_attributes = [], set()
    for name, source in sources.items():
        problems, blocks = translations_in_attributes(source)
        found += [f"{name}:{line}: {token[:80]}" for line, token in problems]
        blocks_in_attributes |= blocks
    for name, source in sources.items():
        for block in blocks_in_attributes:
            pattern = r"\{%\s*block\s+" + block + r"\s*%\}(.*?)\{%\s*endblock"
            for body in re.findall(pattern, source, re.S):
                found += [
                    f"{name}: block {block}: {token[:80]}"
                    for token in DJANGO_TOKEN.findall(body)
                    if prints_unescaped_translation(token, set())
                ]
    assert found == []


# ---- The catalogue ---------------------------------------------------------------------


def catalogue():
    return [entry for entry in polib.pofile(str(PO)) if not entry.obsolete]


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
# Markup, and code quoted in the text (« <code>?region=32</code> »), are not prose.
TAG = re.compile(r"<code>.*?</code>|<[^>]*>", re.S)
FRENCH_MISTAKES = re.compile(r"[ \t\n]+[?!:;»]|«[ \t\n]")


def test_every_french_string_holds_no_break_spaces_before_its_signs_and_inside_guillemets():
    """Every msgid is French: a plain space before « ? ! : ; » or inside « » lets the
    sign start a line on its own. U+202F before « ; ! ? », U+00A0 before « : » and
    inside « » (registry/templatetags/typography.py)."""
    mistakes = []
    for entry in catalogue():
        for text in filter(None, (entry.msgid, entry.msgid_plural)):
            prose = TAG.sub("", PLACEHOLDER.sub("x", text))
            if FRENCH_MISTAKES.search(prose):
                mistakes.append(text)
    assert mistakes == []


ENGLISH_MISTAKES = re.compile(r"[ \u00a0\u202f]+[?!:;](?=\s|$)|[«»\"]")


def test_every_english_string_follows_english_punctuation():
    """No space before « : ; ? ! », and curly quotes “ ” instead of « » or "."""
    mistakes = []
    for entry in catalogue():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if ENGLISH_MISTAKES.search(TAG.sub("", PLACEHOLDER.sub("x", text))):
                mistakes.append(text)
    assert mistakes == []


def test_le_rameau_contracts_after_de_and_a():
    mistakes = [
        entry.msgid
        for entry in catalogue()
        if re.search(r"\b(de|à) Le RAMEAU\b", entry.msgid, re.IGNORECASE)
    ]
    assert mistakes == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/referentiel/", "/a-propos/"])
def test_pages_say_du_rameau(client, url):
    french = page(client, url)
    assert "du RAMEAU" in french
    assert not re.search(r"\b(de|à) Le RAMEAU", text_of(french), re.IGNORECASE)


@pytest.mark.django_db
def test_the_home_question_keeps_its_question_mark_on_the_line(client):
    home = page(client, "/")
    assert "comment\u202f?</h1>" in home
    assert "how?</h1>" in page(client, "/en/")


# ---- The référentiel's sources -------------------------------------------------------


@pytest.mark.django_db
def test_the_referentiel_names_its_sources_in_french_and_in_english(client):
    french = text_of(page(client, "/referentiel/"))
    assert "4 métiers × 4 missions de la troisième ingénierie territoriale" in french
    assert "25 novembre 2016" in french
    for english_words in ("presented at", "with Caisse", "territorial engineering", "shares"):
        assert english_words not in french
    english = text_of(page(client, "/en/referentiel/"))
    assert "(4 métiers × 4 missions of the 3rd territorial engineering)" in english
    assert "présenté au CESE" not in english


@pytest.mark.django_db
def test_a_term_page_names_its_source_in_the_page_language(client):
    french = text_of(page(client, "/referentiel/partnership_type/mecenat/"))
    assert "PHARE-Associations (novembre 2015)\u00a0: les 4 types de partenariat" in french
    english = text_of(page(client, "/en/referentiel/partnership_type/mecenat/"))
    assert "the 4 types of partnership and their shares" in english


def test_every_source_and_note_of_the_taxonomy_has_its_french():
    taxonomy = read_taxonomy()
    assert set(taxonomy["sources_fr"]) == set(taxonomy["sources"])
    assert [spec["code"] for spec in taxonomy["lists"] if spec.get("note")] == [
        spec["code"] for spec in taxonomy["lists"] if spec.get("note_fr")
    ]


@pytest.mark.django_db
def test_a_vocabulary_note_follows_the_language():
    themes = Vocabulary.objects.get(code="theme")
    with translation.override("fr"):
        assert themes.note.startswith("Domaines d'action cités dans les résultats PHARE")
    with translation.override("en"):
        assert themes.note.startswith("Fields of action named in PHARE results")
