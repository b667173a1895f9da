"""The dashboard's AI-agent page: what an AI agent in front of people resolves on its own,
what it hands over and how long those customers then wait for a person, and whether customers
are as satisfied with it as with people — every number from the registry (`ai_agent` set, the
metrics by `handled_by`), set against people with the significance test."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.responses import HTMLResponse

from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.dashboard import (
    Column,
    Table,
    _clean,
    _finish,
    _grain,
    _login_redirect,
    _page,
    cards,
    compute_each,
    explain_link,
    series_panels,
)
from deskmetrics.metrics import get_metric
from deskmetrics.present import METRIC_SETS, format_value, trend

router = APIRouter(include_in_schema=False)

#: the cards: automated resolution, handoff, wait after handoff (calendar and business)
AI_CARDS = list(METRIC_SETS["ai_agent"])
#: over time
AI_TRENDS = ["automated_resolution_rate", "ai_handoff_rate", "ai_handoff_wait_time"]
#: what customers get from each: compared by `handled_by`, against people
COMPARED = ["csat", "ces", "fcr_rate", "reopen_rate", "full_resolution_time", "volume"]
PEOPLE = "human_only"
HANDLED_BY = {
    "ai_only": "AI agent alone",
    "ai_then_human": "AI agent, then a person",
    "human_only": "People only",
    "none": "Nobody answered",
}


def handled_by_table(ws: Any, scope: Any) -> Table:
    """Each metric of COMPARED by `handled_by`: value, n, interval, and the difference from
    people with its noise mark (a few answers are no verdict)."""
    df, errors = compute_each(
        ws, COMPARED, by=["handled_by"], versus=PEOPLE, **scope.query_kwargs()
    )
    cols = [Column("handled_by", "Handled by")]
    for name in COMPARED:
        if name in errors:
            continue
        m = get_metric(name)
        unit = m.unit.value
        cols += [Column(name, "Value", unit, m.title), Column(f"{name}_n", "n", "n", m.title)]
        if m.aggregation.value == "proportion":
            cols.append(Column(f"{name}_ci", "95% interval", "text", m.title))
        if name != "volume":
            cols.append(Column(f"{name}_change", "vs people", "change", m.title))
    t = Table("by_handled_by", "AI agent and people, side by side", cols)
    t.note = " ".join(errors.values())
    rows: dict[str, dict[str, Any]] = {}
    for _, r in df.iterrows():
        key = _clean(r.get("handled_by"))
        if key is None:
            continue
        row = rows.setdefault(str(key), {"handled_by": HANDLED_BY.get(str(key), str(key))})
        name, unit = str(r["metric"]), str(r["unit"])
        row[name] = _clean(r["value"])
        row[f"{name}_n"] = _clean(r["n"])
        row[f"{name}_n_small"] = bool(r.get("small_sample"))
        if _clean(r.get("ci_low")) is not None:
            row[f"{name}_ci"] = (
                f"{format_value(r['ci_low'], unit)}–{format_value(r['ci_high'], unit)}"
            )
        if _clean(r.get("difference")) is not None:
            row[f"{name}_change"] = _clean(r["difference"])
            row[f"{name}_change_unit"] = unit
            row[f"{name}_change_trend"] = trend(
                r["difference"], get_metric(name).direction, r.get("significant") is not False
            )
    for key in HANDLED_BY:
        if key in rows:
            t.rows.append(rows[key])
            narrowed = scope.narrowed(handled_by=key)
            t.links.append(
                {
                    c.key: explain_link(c.key.removesuffix("_n"), narrowed)
                    for c in cols
                    if c.unit not in ("text", "change") and c.key != "handled_by"
                }
            )
    return t


#: by topic: what the AI agent resolves on its own and what it hands over
BY_TOPIC = ["automated_resolution_rate", "ai_handoff_rate"]


def topics_table(ws: Any, scope: Any) -> Table | None:
    """The AI agent's rates by topic, most AI-engaged tickets first; None before topics are
    fitted (every ticket reads as "other")."""
    df, errors = compute_each(ws, BY_TOPIC, by=["topic", "topic_label"], **scope.query_kwargs())
    if errors or not len(df) or set(df["topic"].dropna()) <= {"other"}:
        return None
    t = Table(
        "by_topic",
        "What it resolves and what it hands over, by topic",
        [
            Column("topic_label", "Topic"),
            Column("automated_resolution_rate", "Resolved alone", "percent"),
            Column("automated_resolution_rate_n", "AI-engaged", "n"),
            Column("ai_handoff_rate", "Handed over", "percent"),
        ],
    )
    rows: dict[str, dict[str, Any]] = {}
    for _, r in df.iterrows():
        if not _clean(r["n"]):
            continue
        row = rows.setdefault(str(r["topic"]), {"topic_label": str(r["topic_label"])})
        row[str(r["metric"])] = _clean(r["value"])
        row[f"{r['metric']}_n"] = _clean(r["n"])
        row[f"{r['metric']}_n_small"] = bool(r.get("small_sample"))
    for topic, row in sorted(
        rows.items(), key=lambda kv: -float(kv[1].get("automated_resolution_rate_n") or 0)
    ):
        t.rows.append(row)
        narrowed = scope.narrowed(topic=topic)
        t.links.append({m: explain_link(m, narrowed) for m in BY_TOPIC})
    return t


@router.get("/dashboard/ai", response_class=HTMLResponse)
def ai_agent(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    with svc.using() as ws:
        p = _page(request, svc, ws, "ai")
        grain = _grain(request, p.scope)
        cs = cards(ws, AI_CARDS, p.scope)
        side = handled_by_table(ws, p.scope)
        by_topic = topics_table(ws, p.scope)
        series, charts = series_panels(ws, AI_TRENDS, p.scope, grain)
    tables = [side, *series, *([by_topic] if by_topic is not None else [])]
    engaged = next((c.get("n") for c in cs if c.metric.name == AI_CARDS[0]), None)
    return _finish(
        request,
        "ai",
        "dashboard/ai.html",
        tables,
        cards=cs,
        charts=charts,
        grain=grain,
        engaged=engaged or 0,
        **p.ctx,
    )
