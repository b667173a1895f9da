"""The dashboard on a phone (390×844) and for keyboard and screen-reader users, in real headless
Chromium: the navigation is a menu behind a button (aria-expanded, keyboard, Escape), no page
is wider than the screen, wide tables scroll inside their card, the skip link lands in the
content, charts have accessible names that say what they show, the heatmap keeps its day
labels in view and lists its highest hours, and dark mode follows the system with readable text.

The server and workspace are those of test_dashboard_browser (four tickets, two answers)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from test_dashboard_browser import (  # noqa: F401  (pytest fixtures, used by name)
    CHROMIUM,
    PASSWORD,
    SCOPE,
    browser,
    server,
)

from deskmetrics.present import READABLE, contrast_ratio
from deskmetrics.web import NAV

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (`make test` installs it)"
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PAGES = [
    f"/dashboard?{SCOPE}",
    f"/dashboard/trends?{SCOPE}",
    f"/dashboard/breakdowns?{SCOPE}&dim=agent",
    f"/dashboard/heatmap?{SCOPE}",
    f"/dashboard/surveys?{SCOPE}",
    f"/dashboard/ai?{SCOPE}",
    f"/dashboard/topics?{SCOPE}",
    f"/dashboard/followups?{SCOPE}&state=all",
    f"/dashboard/explain?{SCOPE}&metric=first_response_time",
    "/dashboard/sla",
    "/dashboard/staffing",  # no handle times in this workspace: its note (400) must fit too
    "/dashboard/alerts",
    "/dashboard/views",
]


def _signed_in(browser: Any, server: dict[str, Any], **context: Any) -> Iterator[Any]:  # noqa: F811
    ctx = browser.new_context(**context)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)  # pages compute on a shared, busy machine
    pg.goto(server["url"] + "/login")
    pg.fill("#name", "lead")
    pg.fill("#password", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_selector(".cards")
    yield pg
    ctx.close()


@pytest.fixture
def phone(browser: Any, server: dict[str, Any]) -> Iterator[Any]:  # noqa: F811
    yield from _signed_in(browser, server, viewport=PHONE)


@pytest.fixture
def dark_phone(browser: Any, server: dict[str, Any]) -> Iterator[Any]:  # noqa: F811
    yield from _signed_in(browser, server, viewport=PHONE, color_scheme="dark")


def go(page: Any, path: str) -> None:
    """Open a page of the same server (signed in)."""
    page.goto(page.url.split("/dashboard")[0] + path)


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def rgb(css: str) -> str:
    """A computed `rgb(r, g, b)` / `rgba(r, g, b, a)` as `rgb(r,g,b)` for contrast_ratio."""
    r, g, b = re.findall(r"[\d.]+", css)[:3]
    return f"rgb({int(float(r))},{int(float(g))},{int(float(b))})"


def test_the_menu_button_opens_and_closes_the_navigation(phone: Any) -> None:
    button = phone.locator(".menu-button")
    nav = phone.locator("nav.mainnav")
    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "mainnav"
    assert not nav.is_visible()
    sign_out = phone.locator("button.link", has_text="Sign out")
    assert not sign_out.is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert nav.is_visible()
    assert sign_out.is_visible()  # who is signed in sits under the pages
    # every page is a link with room to tap, one under another
    links = nav.locator("a")
    assert links.count() == len(NAV) == 10  # with the Topics and AI agent pages
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]
    assert all(b is not None and b["height"] >= 32 for b in boxes)
    assert all(b["y"] < c["y"] for b, c in itertools.pairwise(boxes))  # type: ignore[index]
    # Escape closes it and gives the focus back to the button
    links.first.focus()
    phone.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    assert phone.evaluate("document.activeElement.className") == "menu-button"
    # the keyboard opens it too, and a link goes to its page
    phone.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    nav.locator("a", has_text="Trends").click()
    phone.wait_for_url("**/dashboard/trends**")
    assert phone.locator(".menu-button").get_attribute("aria-expanded") == "false"


def test_on_a_desktop_the_navigation_is_a_bar(browser: Any, server: dict[str, Any]) -> None:  # noqa: F811
    for pg in _signed_in(browser, server, viewport=DESKTOP):
        assert not pg.locator(".menu-button").is_visible()
        assert pg.locator("nav.mainnav a", has_text="Alerts").is_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_is_wider_than_the_screen(
    browser: Any,  # noqa: F811
    server: dict[str, Any],  # noqa: F811
    viewport: dict[str, int],
) -> None:
    for pg in _signed_in(browser, server, viewport=viewport):
        for path in PAGES:
            response = pg.goto(server["url"] + path)
            assert response is not None and response.status < 500, path
            assert response.status == 200 or "staffing" in path, path
            pg.wait_for_load_state("load")
            assert overflow(pg) <= 0, path
        pg.goto(server["url"] + "/dashboard?" + SCOPE)
        if pg.locator(".menu-button").is_visible():
            pg.click(".menu-button")  # on a phone, who is signed in is in the menu
        pg.click("button.link")  # sign out: the login page
        pg.wait_for_selector("#password")
        assert overflow(pg) <= 0, "/login"


def test_on_a_phone_cards_sit_two_abreast_and_tables_scroll_in_their_card(phone: Any) -> None:
    go(phone, f"/dashboard?{SCOPE}")
    cards = phone.locator(".cards .card")
    first, second, third = (cards.nth(i).bounding_box() for i in range(3))
    assert first["y"] == second["y"] and third["y"] > first["y"]  # two columns
    assert first["x"] >= 0 and second["x"] + second["width"] <= PHONE["width"]
    go(phone, f"/dashboard/breakdowns?{SCOPE}&dim=agent")
    wrap = phone.locator("#table-by_agent").locator("xpath=..")
    assert wrap.get_attribute("class") == "tablewrap"
    # the table is wider than the phone, its wrapper is not: it scrolls there, not the page
    sizes = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert sizes[0] > sizes[1] and sizes[1] <= PHONE["width"]
    wrap.evaluate("w => { w.scrollLeft = 200; }")
    assert wrap.evaluate("w => w.scrollLeft") > 0
    assert overflow(phone) <= 0


def test_the_skip_link_is_the_first_stop_and_lands_in_the_content(phone: Any) -> None:
    phone.reload()
    phone.keyboard.press("Tab")
    focused = phone.evaluate("[document.activeElement.className, document.activeElement.innerText]")
    assert focused == ["skip", "Skip to content"]
    assert phone.locator("a.skip").is_visible()  # shown while it has the focus
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
    assert phone.evaluate("document.activeElement.tagName") == "MAIN"
    # the next Tab goes on from the content (not back to the top bar)
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_charts_have_names_that_say_what_they_show(phone: Any) -> None:
    go(phone, "/dashboard/trends?from=2026-01-12&to=2026-01-18&grain=day")
    phone.wait_for_selector(".js-plotly-plot .main-svg")
    charts = phone.locator(".chart")
    assert charts.count() >= 4
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("role") == "img"
        assert chart.get_attribute("aria-label").startswith("Chart: ")
    # first responses 30, 10, 120, 5 min on 12–15 Jan, one a day: lowest 5 min = 0.1 h,
    # highest 120 min = 2.0 h, the last day with one the 15th
    name = phone.get_by_role("img", name=re.compile("First response time")).first
    label = name.get_attribute("aria-label")
    assert "lowest 0.1 h (2026-01-15)" in label and "highest 2.0 h (2026-01-14)" in label
    assert "last 0.1 h." in label
    go(phone, f"/dashboard/surveys?{SCOPE}")
    phone.wait_for_selector("#chart-nps .main-svg, #chart-csat_trend .main-svg")
    csat = phone.locator("#chart-csat_trend").get_attribute("aria-label")
    assert csat.startswith("Chart: CSAT per") and "From " in csat


def test_the_heatmap_on_a_phone(phone: Any) -> None:
    """The grid scrolls sideways inside its card with the weekday labels kept at the left, and
    the highest hours are a list: four tickets, one each in four hours, the first Mon 10:00."""
    go(phone, f"/dashboard/heatmap?{SCOPE}")
    wrap = phone.locator(".heatwrap").first
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    day = phone.locator("#heatmap tbody th.day").first
    before = day.bounding_box()
    wrap.evaluate("w => { w.scrollLeft = 300; }")
    after = day.bounding_box()
    # (it keeps its place, give or take the 2 px spacing between cells)
    assert before is not None and after is not None
    assert after["x"] == pytest.approx(before["x"], abs=3)
    assert overflow(phone) <= 0
    items = phone.locator("#heat-top li").all_inner_texts()
    assert len(items) == 4
    # UTC workspace: T1 Mon 10:00, T2 Tue 09:00, T3 Wed 15:00, T4 Thu 11:00, one ticket each
    assert sorted(i.split(" ")[0] for i in items) == ["Mon", "Thu", "Tue", "Wed"]
    assert any(i.startswith("Mon 10:00–11:00") for i in items)


def test_dark_mode_follows_the_system(dark_phone: Any) -> None:
    page = dark_phone
    go(page, f"/dashboard?{SCOPE}")
    body = page.evaluate(
        "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    )
    bg, ink = rgb(body[0]), rgb(body[1])
    assert contrast_ratio(bg, "rgb(0,0,0)") < 2  # a dark background
    assert contrast_ratio(ink, bg) >= READABLE
    # a card's muted label and its value on the card's own background
    card = page.locator(".card").first
    panel = rgb(card.evaluate("c => getComputedStyle(c).backgroundColor"))
    for sel in (".label", "a.value", ".sub"):
        colour = rgb(card.locator(sel).evaluate("e => getComputedStyle(e).color"))
        assert contrast_ratio(colour, panel) >= READABLE, sel
    # charts draw their text in the dark palette's ink
    go(page, f"/dashboard/trends?{SCOPE}")
    page.wait_for_selector(".js-plotly-plot .xtick text")
    tick = rgb(page.locator(".js-plotly-plot .xtick text").first.evaluate("t => t.style.fill"))
    chart_bg = rgb(
        page.locator(".panel").first.evaluate("p => getComputedStyle(p).backgroundColor")
    )
    assert contrast_ratio(tick, chart_bg) >= READABLE
