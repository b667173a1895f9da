"""How numbers read on every surface: one formatter of values by unit, one wording of a change
(better or worse by the metric's direction), and the named metric sets the surfaces show.

The terminal, the dashboard, the weekly e-mail and alert messages all format through here, so
one KPI reads the same everywhere. Durations: under 60 minutes in minutes, under 48 hours in
hours, from 48 hours on in days (a "2.0 d" never hides a "36.0 h" a support lead plans by)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from deskmetrics.metrics import Direction

#: what a missing value (None, NaN) reads as
MISSING = "–"
#: below this many minutes a duration reads in minutes, below HOURS_UP_TO in hours, else days
MINUTES_UP_TO = 60.0
HOURS_UP_TO = 48 * 60.0

#: the named metric sets. `headline` is the one list the CLI's `headline`, the dashboard's
#: overview cards and the weekly e-mail (its default) show; the others are dashboard panels.
METRIC_SETS: dict[str, tuple[str, ...]] = {
    name: tuple(names.split())
    for name, names in {
        "headline": "volume first_response_time first_response_time_business "
        "full_resolution_time full_resolution_time_business fcr_rate reopen_rate resolution_rate "
        "backlog csat nps ces average_handle_time",
        "trends": "volume first_response_time full_resolution_time fcr_rate csat backlog",
        "breakdown": "volume first_response_time full_resolution_time fcr_rate reopen_rate",
        "heatmap": "volume first_response_time csat",
        "surveys": "csat nps ces survey_response_rate",
        "ai_agent": "automated_resolution_rate ai_handoff_rate ai_handoff_wait_time "
        "ai_handoff_wait_time_business",
    }.items()
}
HEADLINE: tuple[str, ...] = METRIC_SETS["headline"]
#: joins the headline when an AI agent answers tickets (`query.has_ai_agent`)
HEADLINE_AI: tuple[str, ...] = ("automated_resolution_rate", "ai_handoff_rate")


def headline(ai_agent: bool) -> list[str]:
    """The headline set, with the AI agent's two rates when there is one."""
    return [*HEADLINE, *(HEADLINE_AI if ai_agent else ())]


def expand_sets(names: Iterable[str]) -> list[str]:
    """Registry names, where the name of a set (`headline`, `surveys`, …) stands for its
    metrics; each metric once, in the order asked."""
    out: list[str] = []
    for name in names:
        out += [m for m in METRIC_SETS.get(name, (name,)) if m not in out]
    return out


def is_missing(value: Any) -> bool:
    """None, NaN and pandas' NA/NaT are missing."""
    import pandas as pd

    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, str):  # text is never missing ("nan" is a word here)
        return False
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def format_value(value: Any, unit: str = "count") -> str:
    """A metric value in its unit (a `Unit` value): minutes as durations, percent with one
    decimal, counts whole (one decimal for small fractions), currency with cents, scores with
    two decimals below 10 and one above."""
    if is_missing(value):
        return MISSING
    v = float(value)
    if unit == "minutes":  # 42 min, 5.2 h, 3.1 d
        if abs(v) < MINUTES_UP_TO:
            return f"{v:.0f} min" if abs(v) >= 10 else f"{v:.1f} min"
        return f"{v / 60:.1f} h" if abs(v) < HOURS_UP_TO else f"{v / 1440:.1f} d"
    if unit == "percent":
        return f"{v:.1f}%"
    if unit == "seconds":  # waits and handle times of a staffing plan
        return f"{v:,.0f} s" if abs(v) >= 10 else f"{v:.1f} s"
    if unit == "count":
        return f"{v:,.0f}" if v == round(v) or abs(v) >= 100 else f"{v:,.1f}"
    if unit == "currency":
        return f"{v:,.2f}"
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"


def format_time_left(minutes: Any) -> str:
    """Time to a deadline as people read a clock: "2 h 10 min", "3 d 4 h", "45 min"; past it,
    "overdue 1 h 5 min". Whole minutes (a deadline is not read to the second)."""
    if is_missing(minutes):
        return MISSING
    m = round(float(minutes))
    left, m = m >= 0, abs(m)
    days, rest = divmod(m, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        text = f"{hours} h {mins} min" if mins else f"{hours} h"
    else:
        text = f"{mins} min"
    return text if left else f"overdue {text}"


def format_change(change: Any, unit: str = "count", previous: Any = None) -> str:
    """A change between two periods, signed (+, −, ±): percentage points for a percent;
    relative to `previous` when it is given and not zero (+200.0%); else in the unit."""
    if is_missing(change):
        return MISSING
    c = float(change)
    sign = "+" if c > 0 else ("−" if c < 0 else "±")
    if unit == "percent":
        return f"{sign}{abs(c):.1f} pts"
    if not is_missing(previous) and float(previous) != 0:
        return f"{sign}{abs(c / float(previous) * 100):.1f}%"
    return sign + format_value(abs(c), unit)


def trend(change: Any, direction: Direction, significant: bool = True) -> str:
    """better / worse by the metric's direction; noise when not significant; neutral when
    nothing changed or the metric has no good direction."""
    if is_missing(change) or float(change) == 0:
        return "neutral"
    if not significant:
        return "noise"
    from deskmetrics.metrics import Direction

    if direction is Direction.NEUTRAL:
        return "neutral"
    return "better" if (float(change) > 0) == (direction is Direction.HIGHER_IS_BETTER) else "worse"


def jsonable(v: Any) -> Any:
    """One cell as JSON: NaN/NaT → null, timestamps → ISO text, numpy scalars → Python."""
    import pandas as pd

    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp | datetime):
        return None if pd.isna(v) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):  # DuckDB sums of integers (e.g. customer_messages)
        return int(v) if v == v.to_integral_value() else float(v)
    if hasattr(v, "item"):  # numpy scalar
        return jsonable(v.item())
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-ready dicts (raw numbers, durations in minutes), in column
    order: what the API and `--format json` give."""
    return [{str(k): jsonable(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a colour written `#rgb`, `#rrggbb` or `rgb(r, g, b)`."""
    text = colour.strip().lower()
    if text.startswith("rgb"):
        channels = [int(c) for c in text[text.index("(") + 1 : text.index(")")].split(",")[:3]]
    else:
        hexes = text.lstrip("#")
        if len(hexes) == 3:
            hexes = "".join(c * 2 for c in hexes)
        channels = [int(hexes[i : i + 2], 16) for i in (0, 2, 4)]

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else float(((s + 0.055) / 1.055) ** 2.4)

    r, g, b = (linear(c) for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(ink: str, background: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21; text needs at least 4.5 (AA) to read well.
    Pages pick colours with it (heatmap cells) and tests check the stylesheet's pairs."""
    hi, lo = sorted((relative_luminance(ink), relative_luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


#: the contrast ratio text needs (WCAG AA, normal-size text)
READABLE = 4.5


def readable_ink(background: str, candidates: Iterable[str] = ("#1d2330", "#fff", "#000")) -> str:
    """The first of `candidates` that reads on `background` (contrast at least READABLE), else
    the one with the highest contrast: the house ink or white, black in the middle tones
    where neither reaches 4.5."""
    inks = list(candidates)
    for ink in inks:
        if contrast_ratio(ink, background) >= READABLE:
            return ink
    return max(inks, key=lambda ink: contrast_ratio(ink, background))


__all__ = [
    "HEADLINE",
    "HEADLINE_AI",
    "METRIC_SETS",
    "MISSING",
    "READABLE",
    "contrast_ratio",
    "expand_sets",
    "format_change",
    "format_value",
    "headline",
    "is_missing",
    "jsonable",
    "readable_ink",
    "records",
    "relative_luminance",
    "trend",
]
