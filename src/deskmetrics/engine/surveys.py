"""Survey facts and the customer-voice metrics: CSAT (plain and shrunk), NPS, CES, response
rate, and the follow-up list of unhappy answers ("close the loop").

One row per survey answer carries what every survey metric needs (`satisfied`, `easy`,
`ces_score`, the numeric score), the survey's dimensions and, through a left join on the
survey's ticket, every ticket column. Formulas for intervals and shrinkage live in
`deskmetrics.stats`; the thresholds per scale come from `[surveys]` in deskmetrics.toml."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from deskmetrics.config import SurveySettings
from deskmetrics.engine.compile import (
    MetricRequest,
    RowSource,
    aggregate_rows,
    anchor_seconds,
    execute,
    group_keys,
    with_team,
    with_ticket,
    with_values,
)
from deskmetrics.engine.facts import Facts
from deskmetrics.engine.kept import current_facts
from deskmetrics.engine.periods import naive_utc
from deskmetrics.engine.portable import as_int
from deskmetrics.engine.workspace import Workspace, app_connection
from deskmetrics.errors import ConfigError, QueryError
from deskmetrics.metrics import get_metric
from deskmetrics.metrics.base import Aggregation, Metric, Source
from deskmetrics.metrics.surveys import CES_SCALE
from deskmetrics.model.enums import CES_DIRECTIONS, SURVEY_SCALES
from deskmetrics.stats import (
    beta_binomial_prior,
    nps_interval,
    shrunk_interval,
    shrunk_proportion,
    wilson_interval,
)

GOOD_BAD = "good-bad"
#: CES directions (the data model's `:higher-easier` / `:lower-easier` suffix; none means higher)
HIGHER_EASIER, LOWER_EASIER = sorted(CES_DIRECTIONS)
#: numeric scales and their (lowest, highest) answer
SCALE_BOUNDS: dict[str, tuple[float, float]] = {
    s: (float(s.split("-")[0]), float(s.split("-")[1])) for s in SURVEY_SCALES if s != GOOD_BAD
}
CES_LOW, CES_HIGH = CES_SCALE
FOLLOWUPS_TABLE = "_followups_done"
#: who follows an answer up (kept, like the done marks, across re-imports)
ASSIGNEES_TABLE = "_followup_assignees"


# ---------------------------------------------------------------------------------------------
# thresholds


def _thresholds(
    configured: dict[str, float], defaults: dict[str, float], name: str
) -> dict[str, float]:
    """Configured thresholds over the defaults (a config naming one scale keeps the others)."""
    for scale, value in configured.items():
        if scale not in SCALE_BOUNDS:
            known = ", ".join(sorted(SCALE_BOUNDS))
            hint = " (good-bad needs none: `good` counts)" if scale == GOOD_BAD else ""
            raise ConfigError(
                f"[surveys] {name} names scale {scale!r}{hint}; numeric scales are: {known}"
            )
        lo, hi = SCALE_BOUNDS[scale]
        if not lo <= value <= hi:
            raise ConfigError(
                f"[surveys] {name} for {scale} is {value:g}, outside the scale ({lo:g}-{hi:g})"
            )
    return {**defaults, **configured}


def csat_thresholds(settings: SurveySettings) -> dict[str, float]:
    """Lowest satisfied answer per numeric scale (configured values over the defaults)."""
    return _thresholds(settings.csat_satisfied, SurveySettings().csat_satisfied, "csat_satisfied")


def ces_thresholds(settings: SurveySettings) -> dict[str, float]:
    """Easy-side threshold per numeric scale, read on a higher-easier scale."""
    return _thresholds(settings.ces_easy, SurveySettings().ces_easy, "ces_easy")


# ---------------------------------------------------------------------------------------------
# fact tables


def survey_answers(facts: Facts, columns: Iterable[str] = ()) -> ir.Table:
    """One row per survey answer: the survey's columns, `base_scale`, `direction` (CES),
    `score_value` (numeric score, null on good-bad), `good`, `satisfied` (CSAT), `easy` and
    `ces_score` (CES on 1-7, higher easier), the dimensions `agent` (survey agent, else the
    ticket's assignee), `team`, `channel` (survey channel, else the ticket's), `scale` (CES
    with its direction) and every ticket column (`columns` names those a request needs, which
    may be per-ticket facts), and `_at_s` (answered at, epoch seconds)."""
    s = facts.ws.table("surveys")
    settings = facts.ws.settings.surveys
    csat = csat_thresholds(settings)
    easy_from = ces_thresholds(settings)
    base = s.scale.split(":")[0]
    direction = ibis.cases(
        (s.scale.endswith(":" + LOWER_EASIER), LOWER_EASIER), else_=HIGHER_EASIER
    )
    num = s.score.try_cast("float64")
    good = s.score.lower() == "good"
    lo = ibis.cases(
        *[(base == k, b[0]) for k, b in SCALE_BOUNDS.items()], else_=ibis.null("float64")
    )
    hi = ibis.cases(
        *[(base == k, b[1]) for k, b in SCALE_BOUNDS.items()], else_=ibis.null("float64")
    )
    satisfied = ibis.cases(
        (base == GOOD_BAD, good),
        *[(base == k, num >= v) for k, v in csat.items()],
        else_=False,
    ).fill_null(False)
    easy = ibis.cases(
        (base == GOOD_BAD, good),
        *[
            (
                (base == k) & (direction == LOWER_EASIER),
                num <= SCALE_BOUNDS[k][0] + SCALE_BOUNDS[k][1] - v,
            )
            for k, v in easy_from.items()
        ],
        *[(base == k, num >= v) for k, v in easy_from.items()],
        else_=False,
    ).fill_null(False)
    width = CES_HIGH - CES_LOW
    ces_score = ibis.cases(
        (base == GOOD_BAD, ibis.cases((good, CES_HIGH), else_=CES_LOW)),
        (direction == LOWER_EASIER, CES_LOW + width * (hi - num) / (hi - lo)),
        else_=CES_LOW + width * (num - lo) / (hi - lo),
    )
    t = s.mutate(
        base_scale=base,
        direction=ibis.cases((s.kind == "ces", direction), else_=ibis.null("string")),
        score_value=num,
        good=good,
        satisfied=satisfied,
        easy=easy,
        ces_score=ibis.cases((s.kind == "ces", ces_score), else_=ibis.null("float64")),
        scale=ibis.cases((s.kind == "ces", base.concat(":").concat(direction)), else_=s.scale),
    ).rename(_s_channel="channel")
    t = with_ticket(facts, t, columns)
    t = t.mutate(
        agent=t.agent_id.fill_null(t.assignee_id),
        channel=t._s_channel.fill_null(t.channel),
    ).drop("_s_channel")
    t = with_team(t, facts)
    return t.mutate(_at_s=anchor_seconds(t.answered_at))


def survey_requests(facts: Facts, columns: Iterable[str] = ()) -> ir.Table:
    """One row per survey request with `answered`, the ticket's columns (agent = assignee,
    team, channel) and `_at_s` (sent at). Each answer answers one request: the latest one of
    the same kind (or without a kind) sent at or before it for the answer's ticket; requests
    without a ticket are answered through the customer. A ticket match wins over a customer
    match; ties in time go to the larger request id."""
    r = facts.ws.table("survey_requests")
    a = facts.ws.table("surveys")
    by_ticket = a.filter(a.ticket_id.notnull()).select(
        _resp="response_id",
        _kind="kind",
        _key=ibis.literal("t:").concat(a.ticket_id),
        _ans=a.answered_at,
        _pref=ibis.literal(0),
    )
    by_customer = a.filter(a.customer_id.notnull()).select(
        _resp="response_id",
        _kind="kind",
        _key=ibis.literal("c:").concat(a.customer_id),
        _ans=a.answered_at,
        _pref=ibis.literal(1),
    )
    answers = by_ticket.union(by_customer)
    key = ibis.cases(
        (r.ticket_id.notnull(), ibis.literal("t:").concat(r.ticket_id)),
        (r.customer_id.notnull(), ibis.literal("c:").concat(r.customer_id)),
        else_=ibis.null("string"),
    )
    reqs = r.select(_req="request_id", _rkind="kind", _rkey=key, _sent="sent_at")
    m = answers.join(
        reqs,
        [
            answers._key == reqs._rkey,
            reqs._rkind.isnull() | (reqs._rkind == answers._kind),
            reqs._sent <= answers._ans,
        ],
    )
    w = ibis.window(group_by="_resp", order_by=[m._pref, ibis.desc(m._sent), ibis.desc(m._req)])
    m = m.mutate(_rank=ibis.row_number().over(w))
    matched = m.filter(m._rank == 0).select(_m_id="_req").distinct()
    t = r.left_join(matched, r.request_id == matched._m_id)
    t = t.mutate(answered=t._m_id.notnull()).drop("_m_id")
    t = with_ticket(facts, t, columns)
    t = t.mutate(agent=t.assignee_id)
    t = with_team(t, facts)
    return t.mutate(_at_s=anchor_seconds(t.sent_at))


# ---------------------------------------------------------------------------------------------
# the two sources and their true custom aggregations (NPS, shrunk CSAT); mean and proportion
# are the engine's (engine/compile.py)


def _requested_columns(req: MetricRequest) -> list[str]:
    return [*req.by, *req.filters]


def _nps_flags(t: ir.Table, params: dict[str, Any]) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    promoter = (t.score_value >= float(params["promoters_from"])).fill_null(False)
    detractor = (t.score_value <= float(params["detractors_to"])).fill_null(False)
    return promoter, detractor


def _nps(facts: Facts, metric: Metric, req: MetricRequest, t: ir.Table) -> pd.DataFrame:
    """% promoters − % detractors, with its margin (`stats.nps_interval`)."""
    keys = group_keys(req)
    promoter, detractor = _nps_flags(t, metric.params)
    df = execute(
        facts,
        (t.group_by(keys) if keys else t).aggregate(
            n=t.count(),
            _promoters=as_int(promoter).sum(),
            _detractors=as_int(detractor).sum(),
        ),
    )
    values, lows, highs = [], [], []
    for n, p, d in zip(df["n"], df["_promoters"], df["_detractors"], strict=True):
        p = 0 if pd.isna(p) else float(p)
        d = 0 if pd.isna(d) else float(d)
        ci = nps_interval(p, d, float(n))
        values.append(100.0 * (p - d) / n if n else None)
        lows.append(ci[0] if ci else None)
        highs.append(ci[1] if ci else None)
    df["value"], df["ci_low"], df["ci_high"] = values, lows, highs
    return df.drop(columns=["_promoters", "_detractors"])


def _shrunk(facts: Facts, metric: Metric, req: MetricRequest, t: ir.Table) -> pd.DataFrame:
    """Empirical-Bayes CSAT: per period, a beta prior fitted (method of moments) across the
    requested groups; without groups the plain rate with its Wilson interval."""
    rows = aggregate_rows(facts, metric, req, t, Aggregation.PROPORTION)
    df = with_values(execute(facts, rows), Aggregation.PROPORTION)
    values: list[float | None] = []
    lows: list[float | None] = []
    highs: list[float | None] = []
    if not req.by or df.empty:
        for s, n in zip(df["successes"], df["n"], strict=True):
            ci = wilson_interval(float(s), float(n))
            lows.append(100 * ci[0] if ci else None)
            highs.append(100 * ci[1] if ci else None)
        df["ci_low"], df["ci_high"] = lows, highs
        return df
    df = df.reset_index(drop=True)
    values, lows, highs = [None] * len(df), [None] * len(df), [None] * len(df)
    blocks = df.groupby("_period", dropna=False).indices if req.grain is not None else None
    for idx in blocks.values() if blocks is not None else [range(len(df))]:
        rows_ = df.iloc[list(idx)]
        s_all = [float(x) for x in rows_["successes"]]
        n_all = [float(x) for x in rows_["n"]]
        prior = beta_binomial_prior(s_all, n_all)
        if prior is None:
            continue
        mean, strength = prior
        pooled = wilson_interval(sum(s_all), sum(n_all))
        for i, s, n in zip(idx, s_all, n_all, strict=True):
            values[i] = 100 * shrunk_proportion(s, n, mean, strength)
            ci = shrunk_interval(s, n, mean, strength)
            if ci is None:
                ci = pooled if math.isinf(strength) else wilson_interval(s, n)
            lows[i] = 100 * ci[0] if ci else None
            highs[i] = 100 * ci[1] if ci else None
    df["value"], df["ci_low"], df["ci_high"] = values, lows, highs
    return df


#: survey answers: their mean, proportions and counts are the engine's; NPS and shrunk CSAT
#: are the answers' custom aggregations (a metric's `params["custom"]`)
SURVEY_ANSWER_ROWS = RowSource(
    Source.SURVEYS,
    "response_id",
    lambda facts, req: survey_answers(facts, _requested_columns(req)),
    custom={"nps": _nps, "shrunk_csat": _shrunk},
)
#: survey requests: response rates are the engine's proportion over them
SURVEY_REQUEST_ROWS = RowSource(
    Source.SURVEY_REQUESTS,
    "request_id",
    lambda facts, req: survey_requests(facts, _requested_columns(req)),
)


# ---------------------------------------------------------------------------------------------
# close the loop: follow-ups

FOLLOWUP_COLUMNS = [
    "response_id",
    "kind",
    "scale",
    "score",
    "comment",
    "customer_id",
    "ticket_id",
    "agent_id",
    "answered_at",
    "age_days",
    "done",
    "done_at",
    "note",
    "assignee",
    "assigned_at",
]


def _followup_rows(ws: Workspace) -> ir.Table:
    t = survey_answers(current_facts(ws))
    _, detractor = _nps_flags(t, get_metric("nps").params)
    unhappy = ((t.kind == "nps") & detractor) | ((t.kind == "csat") & ~t.satisfied)
    t = t.filter(unhappy)
    return t.select(
        "response_id",
        "kind",
        scale=t.scale,
        score=t.score,
        comment=t.comment,
        customer_id=t.customer_id.fill_null(t.requester_id),
        ticket_id=t.ticket_id,
        agent_id=t.agent,
        answered_at=t.answered_at,
    )


def followups(
    ws: Workspace, include_done: bool = False, now: datetime | None = None
) -> pd.DataFrame:
    """Detractors (NPS 0-6) and dissatisfied CSAT answers with comment, customer (the survey's,
    else the ticket's requester), ticket, agent (the survey's, else the ticket's assignee),
    answered_at and age in days, oldest first, with who follows each up and whether it is done.
    Answers marked done are left out unless `include_done`. The answers depend on the data
    only and are answered again while it is unchanged (the service's result cache); the done
    marks and assignments are read fresh every time (they change without an import)."""
    df = ws.remembered(("follow-up answers",), lambda: ws.backend.execute(_followup_rows(ws)))
    con = app_connection(ws)
    marks = (
        con.execute(f"SELECT response_id, done_at, note FROM {FOLLOWUPS_TABLE}").df()
        if _kept(con, FOLLOWUPS_TABLE)
        else pd.DataFrame(columns=["response_id", "done_at", "note"])
    )
    people = (
        con.execute(f"SELECT response_id, assignee, assigned_at FROM {ASSIGNEES_TABLE}").df()
        if _kept(con, ASSIGNEES_TABLE)
        else pd.DataFrame(columns=["response_id", "assignee", "assigned_at"])
    )
    df = df.merge(marks, on="response_id", how="left").merge(people, on="response_id", how="left")
    df["done"] = df["done_at"].notna()
    if not include_done:
        df = df[~df["done"]]
    df = df.sort_values(["answered_at", "response_id"], kind="stable")
    ref = naive_utc(now if now is not None else ws.now())
    answered = pd.to_datetime(df["answered_at"])
    df["age_days"] = (
        [(ref - a.to_pydatetime()).total_seconds() / 86400 for a in answered]
        if len(df)
        else pd.Series(dtype="float64")
    )
    df["done"] = df["done"].astype(bool)
    out = df[FOLLOWUP_COLUMNS].reset_index(drop=True)
    return (
        out.astype(object).where(out.notna(), None).astype({"age_days": "float64", "done": "bool"})
    )


def _kept(con: Any, table: str) -> bool:
    """Whether the app-state connection `con` has `table` (follow-up marks are kept beside
    users and alert rules: in the workspace file, or the service's state file over another
    engine)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])


def mark_followup_done(
    ws: Workspace, response_id: str, note: str | None = None, now: datetime | None = None
) -> datetime:
    """Mark one follow-up done (stored in the workspace's `_followups_done` table, keyed by
    response id, so re-importing surveys keeps it). Marking again keeps the first time and
    replaces the note when one is given. Returns when it was marked done (UTC)."""
    con = app_connection(ws)
    _check_followup(ws, response_id)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {FOLLOWUPS_TABLE} (response_id VARCHAR PRIMARY KEY, "
        "done_at TIMESTAMP NOT NULL, note VARCHAR)"
    )
    existing = con.execute(
        f"SELECT done_at FROM {FOLLOWUPS_TABLE} WHERE response_id = ?", [response_id]
    ).fetchone()
    if existing is not None:
        if note is not None:
            con.execute(
                f"UPDATE {FOLLOWUPS_TABLE} SET note = ? WHERE response_id = ?", [note, response_id]
            )
        done_at: datetime = existing[0]
        return done_at
    at = naive_utc(now)
    con.execute(f"INSERT INTO {FOLLOWUPS_TABLE} VALUES (?, ?, ?)", [response_id, at, note])
    return at


def _check_followup(ws: Workspace, response_id: str) -> None:
    """Refuse an id that is no answer, or an answer that is not followed up."""
    s = ws.table("surveys")
    found = ws.backend.execute(s.filter(s.response_id == response_id).count())
    if not found:
        raise QueryError(
            f"no survey answer with response_id {response_id!r}: `deskmetrics followups` lists "
            "the open follow-ups and their ids"
        )
    rows = ws.backend.execute(_followup_rows(ws).filter(lambda r: r.response_id == response_id))
    if rows.empty:
        raise QueryError(
            f"survey answer {response_id!r} is not a follow-up: only detractors (NPS 0-6) and "
            "dissatisfied CSAT answers are followed up"
        )


def assign_followup(
    ws: Workspace,
    response_id: str,
    assignee: str | None,
    by: str | None = None,
    now: datetime | None = None,
) -> None:
    """Give a follow-up to `assignee` (a person's name; None takes it back), kept in the
    workspace's `_followup_assignees` table across re-imports."""
    _check_followup(ws, response_id)
    con = app_connection(ws)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {ASSIGNEES_TABLE} (response_id VARCHAR PRIMARY KEY, "
        "assignee VARCHAR NOT NULL, assigned_at TIMESTAMP NOT NULL, assigned_by VARCHAR)"
    )
    con.execute(f"DELETE FROM {ASSIGNEES_TABLE} WHERE response_id = ?", [response_id])
    if assignee:
        con.execute(
            f"INSERT INTO {ASSIGNEES_TABLE} VALUES (?, ?, ?, ?)",
            [response_id, assignee, naive_utc(now), by],
        )


def reopen_followup(ws: Workspace, response_id: str) -> None:
    """Take back a "done" mark (its note goes with it): the answer is open again."""
    _check_followup(ws, response_id)
    con = app_connection(ws)
    if _kept(con, FOLLOWUPS_TABLE):
        con.execute(f"DELETE FROM {FOLLOWUPS_TABLE} WHERE response_id = ?", [response_id])
