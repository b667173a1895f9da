"""Colour contrast of the dashboard: every text/background pair the stylesheet uses reads at
WCAG AA (at least 4.5:1), in the light colours and in the dark ones the system can ask for.

The pairs are the stylesheet's own variables (app.css `:root`, and the `:root` inside
`@media (prefers-color-scheme: dark)`), so a colour changed there is checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deskmetrics.api.routes.dashboard import _heat_colour
from deskmetrics.present import READABLE, contrast_ratio, readable_ink

CSS = Path(__file__).resolve().parents[1] / "src" / "deskmetrics" / "web" / "static" / "app.css"

#: (text, background, where it is used) — variable names without the leading "--"
PAIRS: list[tuple[str, str, str]] = [
    ("ink", "bg", "body text"),
    ("ink", "panel", "text in cards and panels"),
    ("ink", "field", "inputs and dropdowns"),
    ("ink", "hover-bg", "a table row under the pointer"),
    ("muted", "bg", "muted text on the page; a 'noise' change"),
    ("muted", "panel", "muted text in a panel; tabs"),
    ("muted", "head-bg", "table headers"),
    ("faint", "panel", "'nothing in this range', quiet figures"),
    ("faint", "bg", "quiet text on the page"),
    ("accent", "bg", "links on the page"),
    ("accent", "panel", "links in panels, the ghost button"),
    ("on-accent", "accent", "buttons, the skip link"),
    ("good", "good-soft", "a change for the better"),
    ("bad", "bad-soft", "a change for the worse; errors"),
    ("good", "panel", "target met ✓"),
    ("bad", "panel", "target missed ✗"),
    ("warn", "warn-soft", "tags (small sample, today so far)"),
    ("chip-ink", "accent-soft", "chips, a chosen filter"),
    ("note-ink", "note-bg", "notes"),
    ("top-ink", "top", "navigation links"),
    ("top-strong", "top", "the brand, the current page, the chosen tab"),
    ("top-link", "top", "Sign out"),
    ("state-open-ink", "state-open-bg", "follow-up open"),
    ("state-assigned-ink", "state-assigned-bg", "follow-up assigned"),
    ("state-done-ink", "state-done-bg", "follow-up done"),
]


def _variables(block: str) -> dict[str, str]:
    return {m[1]: m[2].strip() for m in re.finditer(r"--([\w-]+)\s*:\s*([^;]+);", block)}


def palettes() -> dict[str, dict[str, str]]:
    """The light variables and the light ones overridden by the dark block."""
    css = CSS.read_text(encoding="utf-8")
    light = _variables(re.search(r"^:root\s*\{(.*?)\}", css, re.S | re.M)[1])  # type: ignore[index]
    dark_media = re.search(
        r"@media\s*\(prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S
    )
    assert dark_media, "app.css has no dark colours"
    return {"light": light, "dark": {**light, **_variables(dark_media[1])}}


def test_the_calculation_on_known_pairs() -> None:
    """Black on white is 21:1, a colour on itself 1:1, and #767676 on white the classic 4.54."""
    assert contrast_ratio("#000", "#fff") == pytest.approx(21)
    assert contrast_ratio("#2f5bea", "#2f5bea") == pytest.approx(1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("rgb(255, 255, 255)", "#000000") == pytest.approx(21)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("ink", "background", "where"), PAIRS)
def test_text_reads_on_its_background(scheme: str, ink: str, background: str, where: str) -> None:
    colours = palettes()[scheme]
    ratio = contrast_ratio(colours[ink], colours[background])
    assert ratio >= READABLE, (
        f"{scheme}: --{ink} {colours[ink]} on --{background} {colours[background]} "
        f"({where}) is {ratio:.2f}:1"
    )


def test_dark_mode_is_dark() -> None:
    """The dark page background is dark and its text light (not the light palette again)."""
    dark = palettes()["dark"]
    assert contrast_ratio(dark["bg"], "#000") < 2
    assert contrast_ratio(dark["ink"], "#fff") < 1.5


def test_heatmap_cells_read_across_the_whole_ramp() -> None:
    """Each heatmap cell's number reads on its colour, from the palest to the full blue (the
    middle tones, where neither the house ink nor white reaches 4.5, get black)."""
    for step in range(101):
        bg, ink = _heat_colour(step / 100, 0.0, 1.0)
        assert contrast_ratio(ink, bg) >= READABLE, (step, bg, ink)
    assert readable_ink("#ffffff") == "#1d2330"
    assert readable_ink("#2f5bea") == "#fff"
    assert readable_ink("rgb(85,121,238)") == "#000"
