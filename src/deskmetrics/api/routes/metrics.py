"""Read-only endpoints: the metric registry, reports, explanations and per-ticket facts.

Every number comes from `deskmetrics.query` (the same call the CLI makes); this module only
turns HTTP parameters into its arguments and its frames into JSON or CSV. Bad input (an unknown
metric, a dimension the metric does not allow, a date that is not a date) is a 400 with the
query layer's message, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Header, HTTPException, Path, Query, status
from fastapi.responses import JSONResponse, Response

from deskmetrics import query
from deskmetrics.api.deps import ServiceDep, Viewer
from deskmetrics.api.schemas import (
    Explanation,
    FactsPage,
    LeftOut,
    MetricInfo,
    ResultRow,
    problems,
    records,
)
from deskmetrics.engine import Facts, Workspace
from deskmetrics.engine.compile import allowed_dimensions
from deskmetrics.errors import BackendError, DeskmetricsError
from deskmetrics.metrics import REGISTRY, Metric, get_metric
from deskmetrics.present import METRIC_SETS, expand_sets
from deskmetrics.reports.safe_cells import frame_csv

router = APIRouter(tags=["metrics"], responses=problems(400, 401, 403, 422, 503))

GrainName = Literal["hour", "day", "week", "month", "quarter", "year"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CSV = {"text/csv": {"schema": {"type": "string"}}}


@contextmanager
def _answers() -> Iterator[None]:
    """Errors of the query layer become 4xx with their message (what to fix)."""
    try:
        yield
    except BackendError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


def _text(values: Sequence[str] | str | None, what: str) -> None:
    """Refuse control characters: no name, filter value or zone contains one."""
    for v in [values] if isinstance(values, str) else values or []:
        if _CONTROL.search(v):
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"{what} {v!r} contains a control character"
            )


def _day(value: str | None, what: str) -> str | None:
    """A date (YYYY-MM-DD) or a local date-time (YYYY-MM-DDTHH:MM) within the query layer's
    plausible years (`query.parse_day`, the check the CLI makes too)."""
    if value is None or value == "":
        return None
    _text(value, what)
    try:
        query.parse_day(value, what)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return value


def _info(m: Metric, dims: list[str]) -> MetricInfo:
    return MetricInfo(
        name=m.name,
        title=m.title,
        definition=m.description,
        unit=m.unit.value,
        direction=m.direction.value,
        aggregation=m.aggregation.value,
        family=m.family,
        business_of=m.business_of,
        dimensions=dims,
        notes=m.notes,
    )


def _dimensions(ws: Workspace, metrics: Sequence[Metric]) -> dict[str, list[str]]:
    facts = Facts(ws)
    return {m.name: allowed_dimensions(facts, m) for m in metrics}


@router.get("/api/metrics", response_model=list[MetricInfo], summary="The metric registry")
def list_metrics(who: Viewer, svc: ServiceDep) -> list[MetricInfo]:
    """Every metric with its definition, unit, direction, aggregation and the dimensions it
    can be grouped and filtered by."""
    with _answers(), svc.using() as ws:
        dims = _dimensions(ws, list(REGISTRY.values()))
    return [_info(m, dims[m.name]) for m in REGISTRY.values()]


@router.get(
    "/api/metrics/{name}",
    response_model=MetricInfo,
    summary="One metric's definition",
    responses=problems(404),
)
def one_metric(who: Viewer, svc: ServiceDep, name: Annotated[str, Path()]) -> MetricInfo:
    try:
        m = get_metric(name)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    with _answers(), svc.using() as ws:
        dims = _dimensions(ws, [m])
    return _info(m, dims[m.name])


# the report's options, as the CLI names them ------------------------------------------------

By = Annotated[
    list[str],
    Query(description="Group by a dimension (repeat for several), e.g. channel, agent, week."),
]
GrainQ = Annotated[GrainName | None, Query(description="Period length.")]
Tz = Annotated[
    str | None,
    Query(description="IANA time zone for periods and dates (default: the settings')."),
]
From = Annotated[str | None, Query(alias="from", description="First date (YYYY-MM-DD), included.")]
To = Annotated[str | None, Query(alias="to", description="Last date (YYYY-MM-DD), included.")]
NowQ = Annotated[
    str | None,
    Query(
        description="Measure as of this instant (ISO 8601 with offset, e.g. "
        "2026-03-01T12:00:00Z): data recorded later is left out, running clocks stop there.",
    ),
]
CacheControl = Annotated[
    str | None,
    Header(
        description="`no-cache`: computed now, never an answer made earlier under `[web] "
        "results_may_lag_seconds`."
    ),
]
Where = Annotated[
    list[str],
    Query(
        description="COLUMN=VALUE filter (repeat for several columns; VALUE may list several "
        "values separated by commas: channel=email,chat).",
    ),
]


def as_of(ws: Workspace, now: str | None) -> Workspace:
    """The workspace as of `now` (as it is, without it); a malformed or naive instant is a
    QueryError naming `now`."""
    if now is None or now == "":
        return ws
    return ws.at(query.parse_instant(now, "now"))


def _options(
    by: list[str], tz: str | None, start: str | None, end: str | None, where: list[str]
) -> dict[str, Any]:
    _text(by, "by")
    _text(tz, "tz")
    if tz:
        try:
            query.check_zone(tz, "tz")
        except DeskmetricsError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    _text(where, "where")
    for w in where:
        if "=" not in w:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"where={w!r} is not COLUMN=VALUE (e.g. channel=email)"
            )
    return {
        "by": by,
        "tz": tz or None,
        "start": _day(start, "from"),
        "end": _day(end, "to"),
        "filters": where,
    }


@router.get(
    "/api/report",
    response_model=list[ResultRow],
    summary="Compute metrics (the CLI's `report`)",
    responses={200: {"content": _CSV}},
)
def report(
    who: Viewer,
    svc: ServiceDep,
    metric: Annotated[
        list[str],
        Query(
            min_length=1,
            description="Registry name (repeat for several) or a named set: "
            + ", ".join(METRIC_SETS)
            + ".",
        ),
    ],
    by: By = [],  # noqa: B006 (FastAPI copies defaults)
    grain: GrainQ = None,
    tz: Tz = None,
    start: From = None,
    end: To = None,
    where: Where = [],  # noqa: B006
    compare: Annotated[
        Literal["previous", "year"] | None,
        Query(
            description="'previous': change against the period before; 'year': against the "
            "same period a year earlier; with significance."
        ),
    ] = None,
    versus: Annotated[
        str | None,
        Query(
            description="With exactly one `by`: every group set against this group of it "
            "(e.g. by=handled_by&versus=human_only): versus_value, difference, p_value, "
            "significant."
        ),
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
    now: NowQ = None,
    cache_control: CacheControl = None,
) -> Response:
    """Result rows: metric, the group keys, period, value (durations in minutes), unit, n,
    p50, p90, ci_low, ci_high, small_sample, and target/benchmark/change columns where they
    apply. Empty groups have a null value, never a made-up 0 (counts excepted)."""
    _text(metric, "metric")
    opts = _options(by, tz, start, end, where)
    asked = (metric, grain, compare, versus, now, sorted(opts.items()))
    with _answers():
        df, age = svc.answer(
            ("report", asked),
            lambda ws: query.compute(
                as_of(ws, now),
                expand_sets(metric),
                grain=grain,
                compare=compare,
                versus=versus,
                **opts,
            ),
            fresh=_no_cache(cache_control),
        )
    return _aged(_frame_response(df, format, "report.csv"), age)


def _no_cache(cache_control: str | None) -> bool:
    """Whether the client asked for an answer made now (`Cache-Control: no-cache`)."""
    return cache_control is not None and "no-cache" in cache_control.lower()


def _aged(response: Response, age: float | None) -> Response:
    """`response` with its `Age` header (whole seconds) when it was made before this request."""
    if age is not None:
        response.headers["Age"] = str(int(age))
    return response


def _frame_response(df: pd.DataFrame, fmt: str, filename: str) -> Response:
    rows = records(df)
    if fmt == "csv":
        text = frame_csv(pd.DataFrame(rows, columns=[str(c) for c in df.columns]))
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return JSONResponse(rows)


@router.get(
    "/api/explain/{metric}",
    response_model=Explanation,
    summary="The rows behind a number (the CLI's `explain`)",
)
def explain(
    response: Response,
    who: Viewer,
    svc: ServiceDep,
    metric: Annotated[str, Path(description="Registry name.")],
    by: By = [],  # noqa: B006
    grain: GrainQ = None,
    tz: Tz = None,
    start: From = None,
    end: To = None,
    where: Where = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000, description="Ids per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9, description="First id of the page.")] = 0,
    now: NowQ = None,
    cache_control: CacheControl = None,
) -> Explanation:
    """The definition, how many rows were counted, which were left out and why, and a page of
    the ids behind the number — tickets, survey answers, SLA targets, customers: `id_column`
    says which — and of those left out, with the same paging."""
    _text(metric, "metric")
    opts = _options(by, tz, start, end, where)
    asked = (metric, grain, limit, offset, now, sorted(opts.items()))
    with _answers():
        (m, ex), age = svc.answer(
            ("explain", asked),
            lambda ws: query.explain(
                as_of(ws, now), metric, grain=grain, limit=limit, offset=offset, **opts
            ),
            fresh=_no_cache(cache_control),
        )
    _aged(response, age)
    return Explanation(
        metric=m.name,
        title=m.title,
        definition=m.description,
        unit=m.unit.value,
        counted=ex.counted,
        left_out=[
            LeftOut(reason=r, count=n, ids=ex.left_out_ids.get(r, [])) for r, n in ex.left_out
        ],
        id_column=ex.id_column,
        ids=ex.ids,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < ex.counted else None,
    )


@router.get(
    "/api/facts",
    response_model=FactsPage,
    summary="Per-ticket facts, paged (the CLI's `facts`)",
    responses={200: {"content": _CSV}},
)
def facts(
    who: Viewer,
    svc: ServiceDep,
    ticket_id: Annotated[
        list[str], Query(description="Only these tickets (repeat for several).")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=10_000, description="Tickets per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    now: NowQ = None,
) -> Response:
    """One row per ticket with every per-ticket fact (first reply at, solved at, reopens,
    durations in calendar and business minutes, …), in ticket id order."""
    _text(ticket_id, "ticket_id")
    with _answers(), svc.using() as ws:
        df, total = query.facts_page(as_of(ws, now), ticket_id, limit=limit, offset=offset)
    if format == "csv":
        return _frame_response(df, "csv", "facts.csv")
    page = FactsPage(
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
        rows=records(df),
    )
    return JSONResponse(page.model_dump())
