"""A visitor builds an analysis in the observatory: clicks a région on the map,
sees the charts narrow, opens the same selection in the search page; with and
without JavaScript, in both languages, and every observatory page passes an
accessibility audit."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_audit, describe_violations

pytestmark = pytest.mark.browser


def number(text):
    """The first number in `text`, with French thousands separators."""
    return int(re.sub(r"\s", "", re.search(r"\d[\d\s]*", text).group()))


def total_of(page, selector):
    return number(page.locator(selector).inner_text())


def test_a_visitor_clicks_a_region_and_the_charts_and_the_results_narrow_to_it(page):
    page.goto("/observatoire/")
    expect(page.locator("h1")).to_have_text("Observatoire des alliances")
    everything = total_of(page, "#obs-total")
    assert everything > 0
    expect(page.locator(".obs-map-svg a")).to_have_count(18)

    # The région with the most cases, from the table beside the map.
    rows = page.locator(".obs-map-table tbody tr")
    counts = [number(rows.nth(i).locator("td.num").first.inner_text()) for i in range(rows.count())]
    busiest = rows.nth(counts.index(max(counts)))
    name = busiest.locator("th a").inner_text().split(" — ", 1)[1]
    area = page.locator(f'.obs-map-svg a[aria-label^="{name}\u00a0:"]')
    expect(area).to_have_attribute("aria-label", re.compile(rf"{re.escape(name)}\s: \d+"))
    area.click()

    expect(page).to_have_url(re.compile(r"/observatoire/\?.*region=\w+"))
    expect(page.locator(".active-filters")).to_contain_text(f"Région : {name}")
    narrowed = total_of(page, "#obs-total")
    assert narrowed == max(counts) < everything
    # The area chosen is outlined, the charts count the région's cases only.
    expect(
        page.locator(f'.obs-map-svg a[aria-current="true"][aria-label^="{name}\u00a0:"]')
    ).to_have_count(1)
    expect(page.locator("#chart-themes")).to_be_visible()
    themes = (
        page.locator("#chart-themes").locator("xpath=..").locator("tbody tr td.num:nth-of-type(2)")
    )
    assert max(number(text) for text in themes.all_inner_texts()) <= narrowed

    # The same selection in the search page.
    page.get_by_role("link", name="Voir les expériences").click()
    expect(page).to_have_url(re.compile(r"/experiences/\?.*region=\w+"))
    expect(page.locator(".active-filters")).to_contain_text(name)
    assert total_of(page, "#results-title") == narrowed

    # And back.
    page.get_by_role("link", name="Ouvrir dans l'observatoire").click()
    expect(page).to_have_url(re.compile(r"/observatoire/\?.*region=\w+"))
    assert total_of(page, "#obs-total") == narrowed


def test_ticking_a_theme_updates_the_dashboard_in_place(page):
    page.goto("/observatoire/")
    everything = total_of(page, "#obs-total")
    page.locator("summary", has_text="Thème").first.click()
    box = page.locator("input[name=theme]").first
    box.check()
    expect(page).to_have_url(re.compile(r"theme="))
    expect(page.locator(".active-filters")).to_contain_text("Thème")
    assert total_of(page, "#obs-total") <= everything
    expect(page.locator("input[name=theme]").first).to_be_checked()


def test_the_map_switches_to_departements_and_rates(page):
    page.goto("/observatoire/")
    page.get_by_role("link", name="Par département").click()
    expect(page.locator(".obs-map-svg > a")).to_have_count(101)
    page.get_by_role("link", name="Pour 100 000 habitants").click()
    expect(page).to_have_url(
        re.compile(r"carte=departement.*mesure=habitants|mesure=habitants.*carte=departement")
    )
    expect(page.locator(".obs-map-svg > a").first).to_have_attribute(
        "aria-label", re.compile(r"pour 100 000 habitants")
    )


def test_a_keyboard_user_reaches_the_areas_of_the_map(page):
    page.goto("/observatoire/")
    first = page.locator(".obs-map-svg > a").first
    first.focus()
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        first.get_attribute("aria-label")
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"region="))


def test_the_observatory_works_without_javascript(browser, site):
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/observatoire/")
    page.locator('.obs-map-svg a[aria-label^="Hauts-de-France"]').click()
    expect(page).to_have_url(re.compile(r"region=32"))
    expect(page.locator(".active-filters")).to_contain_text("Hauts-de-France")
    page.locator("summary", has_text="Thème").first.click()
    page.locator("input[name=theme]").first.check()
    page.get_by_role("button", name="Appliquer la sélection").click()
    expect(page).to_have_url(re.compile(r"theme="))
    expect(page.locator(".active-filters")).to_contain_text("Thème")
    context.close()


def test_a_visitor_compares_a_departement_with_its_region(page):
    page.goto("/observatoire/?departement=59")
    page.get_by_role("link", name="Comparer cette sélection").click()
    expect(page).to_have_url(re.compile(r"a-departement=59.*b-region=32"))
    expect(page.locator("h1")).to_have_text("Comparer deux sélections")
    expect(page.locator("#id_b_region")).to_have_value("32")
    page.locator("#id_b_region").select_option("11")
    page.get_by_role("button", name="Comparer", exact=True).click()
    expect(page).to_have_url(re.compile(r"b-region=11"))
    expect(page.locator("#cmp-themes")).to_be_visible()


def test_the_observatory_speaks_english(page):
    page.goto("/en/observatoire/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Alliance observatory")
    expect(page.locator(".obs-context")).to_contain_text("PHARE-Institutions, 29 Nov. 2016")


OBSERVATORY_PAGES = [
    "/observatoire/",
    "/observatoire/?carte=departement&mesure=habitants&region=32",
    "/observatoire/couverture/",
    "/observatoire/comparer/?a-departement=59&b-region=32",
]


@pytest.mark.parametrize("language", ["", "/en"])
def test_every_observatory_page_passes_an_accessibility_audit(page, language):
    problems = []
    for path in OBSERVATORY_PAGES:
        url = language + path
        response = page.goto(url)
        assert response.status == 200, url
        violations = axe_audit(page)
        if violations:
            problems.append(f"{url}\n{describe_violations(violations)}")
    assert not problems, "\n\n".join(problems)


# ---- Addresses that carry only what is set; tables a keyboard reaches; phones -----

BLANK_PARAM = re.compile(r"[?&][\w-]+=(?=&|#|$)")


def assert_only_set_parameters(url):
    assert not BLANK_PARAM.search(url), url


def test_the_search_form_pushes_an_address_with_only_what_is_set(page):
    page.goto("/experiences/")
    page.locator("#id_q").fill("insertion")
    page.locator("#id_q").press("Enter")
    expect(page).to_have_url(re.compile(r"q=insertion"))
    assert_only_set_parameters(page.url)
    assert "year_min" not in page.url and "ongoing" not in page.url
    page.locator("input[name=theme]").first.check()
    expect(page).to_have_url(re.compile(r"theme="))
    assert_only_set_parameters(page.url)


def test_the_observatory_form_pushes_an_address_with_only_what_is_set(page):
    page.goto("/observatoire/")
    page.locator("summary", has_text="Thème").first.click()
    page.locator("input[name=theme]").first.check()
    expect(page).to_have_url(re.compile(r"/observatoire/\?theme=\w+$"))
    assert_only_set_parameters(page.url)
    page.locator("#obs-q").fill("insertion")
    page.get_by_role("button", name="Appliquer la sélection").click()
    expect(page).to_have_url(re.compile(r"q=insertion"))
    assert_only_set_parameters(page.url)


def test_the_comparison_form_sends_only_what_is_set_with_or_without_javascript(browser, site):
    for javascript in (True, False):
        context = browser.new_context(base_url=site.url, java_script_enabled=javascript)
        page = context.new_page()
        page.goto("/observatoire/comparer/")
        page.locator("#id_a_region").select_option("53")
        page.locator("#id_b_region").select_option("76")
        page.get_by_role("button", name="Comparer", exact=True).click()
        expect(page).to_have_url(re.compile(r"/observatoire/comparer/\?a-region=53&b-region=76$"))
        expect(page.locator("#cmp-themes")).to_be_visible()
        context.close()


def test_sorting_a_chart_by_count_keeps_it_in_the_address_and_the_form(page):
    page.goto("/observatoire/")
    chart = page.locator("section[aria-labelledby=chart-themes]")
    chart.get_by_role("link", name="Du plus fréquent au moins fréquent").click()
    expect(page).to_have_url(re.compile(r"tri_themes=nombre#chart-themes$"))
    cells = chart.locator("tbody td.num:nth-of-type(2)")
    counts = [number(text) for text in cells.all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    # A filter chosen next keeps the order.
    page.locator("summary", has_text="Région").first.click()
    page.locator("input[name=region]").first.check()
    expect(page).to_have_url(
        re.compile(r"region=\w+.*tri_themes=nombre|tri_themes=nombre.*region=")
    )
    assert_only_set_parameters(page.url)


@pytest.mark.parametrize("language", ["", "/en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_comparison_tables_are_regions_a_keyboard_reaches(page, language, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{language}/observatoire/comparer/?a-region=53&b-region=76")
    violations = axe_audit(page)
    assert not violations, describe_violations(violations)
    region = page.locator("section[aria-labelledby=cmp-themes] [role=region]")
    expect(region).to_have_attribute("tabindex", "0")
    region.focus()
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "region"


PHONE_PAGES = [
    "/observatoire/",
    "/observatoire/?carte=departement&tri_themes=nombre",
    "/observatoire/couverture/",
    "/observatoire/comparer/?a-region=53&b-region=76",
]


@pytest.mark.parametrize("language", ["", "/en"])
def test_the_observatory_pages_fit_a_phone(page, language):
    page.set_viewport_size({"width": 390, "height": 844})
    wider = {}
    for path in PHONE_PAGES:
        page.goto(language + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            wider[path] = width
    assert wider == {}
