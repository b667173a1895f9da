"""The whole registry gives the same numbers on DuckDB, on PySpark and on PostgreSQL.

No metric may use DuckDB-only SQL; a known gap would be a marked skip with its reason."""

from __future__ import annotations

# --- backends: the embedded DuckDB workspace and PySpark in local mode
import math
import os
import shutil
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pytest

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.importers import import_directory
from deskmetrics.metrics import REGISTRY
from deskmetrics.model import TABLES
from deskmetrics.query import compute

#: what the ticket-text job derives (sentiment, topics), read by the engine like a table
TEXT_TABLES = ("message_sentiment", "ticket_sentiment", "ticket_topics", "topic_names")

PARITY_SETTINGS = {
    "timezone": "Europe/Berlin",
    "schedules": {
        "support-eu": {
            "timezone": "Europe/Berlin",
            "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "DE", "dates": ["2026-01-07"]},
            "default": True,
        },
        "support-us": {
            "timezone": "America/New_York",
            "hours": {d: "08:00-12:00,13:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "US"},
        },
    },
    # SLA policies exercising first match, tiers, a named schedule, calendar time and pauses
    "sla": {
        "policies": [
            {
                "name": "urgent",
                "when": {"priority": "urgent"},
                "first_reply": "1h",
                "next_reply": "2h",
                "resolution": "8h",
            },
            {
                "name": "enterprise",
                "when": {"tier": ["enterprise"]},
                "first_reply": "2h",
                "periodic_update": "1d",
                "resolution": "2d",
                "schedule": "support-us",
                "pause": {"periodic_update": ["pending"], "resolution": ["pending", "hold"]},
            },
            {
                "name": "standard",
                "first_reply": "8h",
                "next_reply": "8h",
                "resolution": "5d",
                "calendar": ["resolution"],
            },
        ]
    },
}


@pytest.fixture(scope="session")
def parity_settings() -> Settings:
    return Settings.model_validate(PARITY_SETTINGS)


@pytest.fixture(scope="session")
def duckdb_ws(tmp_path_factory: pytest.TempPathFactory, parity_settings: Settings) -> Workspace:
    from deskmetrics.sample import generate

    data = tmp_path_factory.mktemp("parity-data")
    generate(data, tickets=400, seed=11, fmt="parquet", ai_agent=True)
    ws = open_duckdb(tmp_path_factory.mktemp("parity-db") / "w.duckdb", parity_settings)
    summary = import_directory(ws, data)
    assert not summary.rejects
    _add_schedule_changes(ws)
    return ws


def _add_schedule_changes(ws: Workspace) -> None:
    """Schedule events on every 7th ticket (a change, some back again, some before creation,
    two at one instant, an unknown schedule): business time and SLA clocks on the schedule in
    force must agree too."""
    from datetime import timedelta

    from deskmetrics.engine.store import load
    from deskmetrics.model import SourceFrame, validate

    t = ws.table("tickets")
    tickets = ws.backend.execute(t.select("ticket_id", "created_at").order_by("ticket_id"))
    rows = []
    for i, (tid, created) in enumerate(zip(tickets.ticket_id, tickets.created_at, strict=True)):
        if i % 7:
            continue
        changes = [(timedelta(hours=3), "support-us")]
        if i % 14 == 0:
            changes.append((timedelta(hours=30), "support-eu"))
        if i % 21 == 0:
            changes = [(timedelta(hours=-1), "support-us"), (timedelta(hours=3), "nope")]
        if i % 35 == 0:  # two at one instant: the later row wins
            changes += [(timedelta(hours=5), "support-eu"), (timedelta(hours=5), "support-us")]
        for k, (delta, sid) in enumerate(changes):
            at = (created + delta).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append({"event_id": f"{tid}-sched-{k}", "ticket_id": tid, "at": at,
                         "type": "schedule", "schedule_id": sid})  # fmt: skip
    frame = validate(SourceFrame(TABLES["events"], "events.schedules", pd.DataFrame(rows)))
    assert not load(ws.backend.con, [frame], source="schedules").rejects


@pytest.fixture(scope="session")
def spark_ws(
    duckdb_ws: Workspace, parity_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("PySpark needs Java (17) on the machine")
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("deskmetrics-parity")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    con = ibis.pyspark.connect(session)
    for name in (*TABLES, *TEXT_TABLES):
        if duckdb_ws.has(name):
            # temporary views: nothing is written to disk, nothing outlives the session
            arrow = duckdb_ws.backend.to_pyarrow(duckdb_ws.table(name))
            if arrow.num_rows:  # an empty table reads as the canonical empty table anyway
                # from Arrow, not pandas: pandas turns nulls into NaN, and NaN is not null in Spark
                session.createDataFrame(arrow).createOrReplaceTempView(name)
    yield Workspace(backend=con, settings=parity_settings)
    del pyspark
    session.stop()


@pytest.fixture(scope="session")
def postgres_ws(
    duckdb_ws: Workspace, parity_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """The same canonical tables in a PostgreSQL server started for the session."""
    from postgres_server import postgres, server_binaries

    if server_binaries() is None:
        pytest.skip("needs Debian's postgresql server (make test installs it)")
    pytest.importorskip("psycopg")
    with postgres() as url:
        con = ibis.connect(url)
        for name in (*TABLES, *TEXT_TABLES):
            if duckdb_ws.has(name):
                con.create_table(name, duckdb_ws.backend.to_pyarrow(duckdb_ws.table(name)))
        yield Workspace(backend=con, settings=parity_settings)
        con.disconnect()


pytestmark = pytest.mark.spark

#: every registry metric: the foundation's lifecycle and workload suite and all later families
SUITE = list(REGISTRY)


def _grouping(metric: str) -> tuple[list[str], str | None]:
    m = REGISTRY[metric]
    if m.ticket_dimensions:
        return ["channel"], "week"
    for dim in ("agent", "channel", "tier", "platform"):
        if dim in m.dimensions:
            return [dim], "week"
    return [], "week"


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    assert len(a) == len(b), f"row counts differ: duckdb {len(a)}, spark {len(b)}"
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    for col in a.columns:
        for i, (x, y) in enumerate(zip(a[col], b[col], strict=True)):
            if isinstance(x, float) or isinstance(y, float):
                xn = x is None or (isinstance(x, float) and math.isnan(x))
                yn = y is None or (isinstance(y, float) and math.isnan(y))
                assert xn == yn, f"{col} row {i}: duckdb {x!r}, spark {y!r}"
                if not xn:
                    assert abs(float(x) - float(y)) <= 1e-6 * max(1.0, abs(float(x))), (
                        f"{col} row {i}: duckdb {x!r}, spark {y!r}"
                    )
            else:
                assert str(x) == str(y), f"{col} row {i}: duckdb {x!r}, spark {y!r}"


RANGE = {"start": "2026-01-05", "end": "2026-02-15"}


def _all_results(ws: Workspace) -> dict[str, pd.DataFrame]:
    """Every suite metric, computed in one request per grouping (facts computed once)."""
    groups: dict[tuple[tuple[str, ...], str | None], list[str]] = {}
    for m in SUITE:
        by, grain = _grouping(m)
        groups.setdefault((tuple(by), grain), []).append(m)
    out: dict[str, pd.DataFrame] = {}
    for (by, grain), names in groups.items():
        df = compute(ws, names, by=list(by), grain=grain, **RANGE)  # type: ignore[arg-type]
        for name in names:
            out[name] = df[df.metric == name].dropna(axis=1, how="all").reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def duckdb_results(duckdb_ws: Workspace) -> dict[str, pd.DataFrame]:
    return _all_results(duckdb_ws)


@pytest.fixture(scope="module")
def spark_results(spark_ws: Workspace) -> dict[str, pd.DataFrame]:
    return _all_results(spark_ws)


@pytest.fixture(scope="module")
def postgres_results(postgres_ws: Workspace) -> dict[str, pd.DataFrame]:
    return _all_results(postgres_ws)


@pytest.mark.parametrize("metric", SUITE)
def test_same_numbers_on_duckdb_and_postgres(
    metric: str,
    duckdb_results: dict[str, pd.DataFrame],
    postgres_results: dict[str, pd.DataFrame],
) -> None:
    left, right = duckdb_results[metric], postgres_results[metric]
    assert len(left) > 0, "the parity data must exercise the metric"
    assert list(left.columns) == list(right.columns)
    by, _ = _grouping(metric)
    _same(left, right, [*by, "period"])


def test_sla_state_and_ai_comparison_same_on_duckdb_and_postgres(
    duckdb_ws: Workspace, postgres_ws: Workspace
) -> None:
    from datetime import datetime

    from deskmetrics.engine import Facts
    from deskmetrics.engine.sla import sla_state_frame

    now = datetime(2026, 2, 2, 11, 0)
    left = sla_state_frame(Facts(duckdb_ws), now)
    right = sla_state_frame(Facts(postgres_ws), now)
    assert len(left) > 0
    keys = ["ticket_id", "sla_target", "started_at"]
    _same(left.astype({"paused": bool}), right.astype({"paused": bool}), keys)
    names = ["csat", "fcr_rate", "automated_resolution_rate"]
    kw: dict[str, Any] = {"by": ["handled_by"], "versus": "human_only", **RANGE}
    _same(
        compute(duckdb_ws, names, **kw), compute(postgres_ws, names, **kw), ["metric", "handled_by"]
    )


@pytest.mark.parametrize("metric", SUITE)
def test_same_numbers_on_duckdb_and_spark(
    metric: str, duckdb_results: dict[str, pd.DataFrame], spark_results: dict[str, pd.DataFrame]
) -> None:
    left, right = duckdb_results[metric], spark_results[metric]
    assert len(left) > 0, "the parity data must exercise the metric"
    assert list(left.columns) == list(right.columns)
    by, _ = _grouping(metric)
    _same(left, right, [*by, "period"])


def test_parity_covers_the_whole_suite() -> None:
    families = {REGISTRY[m].family for m in SUITE}
    assert {"ticket lifecycle", "agents and workload", "customer voice"} <= families
    assert len(SUITE) >= 49


def test_sla_state_same_on_duckdb_and_spark(duckdb_ws: Workspace, spark_ws: Workspace) -> None:
    """Every SLA target's state, due time and running time, clock by clock, as of a fixed
    instant in the middle of the data (so running, at-risk and paused targets occur)."""
    from datetime import datetime

    from deskmetrics.engine import Facts
    from deskmetrics.engine.sla import sla_state_frame

    now = datetime(2026, 2, 2, 11, 0)
    keys = ["ticket_id", "sla_target", "started_at"]
    left = sla_state_frame(Facts(duckdb_ws), now)
    right = sla_state_frame(Facts(spark_ws), now)
    assert len(left) > 0 and {"achieved", "breached", "running"} <= set(left["status"])
    _same(left.astype({"paused": bool}), right.astype({"paused": bool}), keys)


def test_ai_agent_against_people_same_on_duckdb_and_spark(
    duckdb_ws: Workspace, spark_ws: Workspace
) -> None:
    """The AI-agent comparison: CSAT, FCR, resolution time and the AI rates by `handled_by`,
    every group set against people (difference, p-value), equal on both engines."""
    names = ["csat", "fcr_rate", "full_resolution_time", "automated_resolution_rate"]
    kw: dict[str, Any] = {"by": ["handled_by"], "versus": "human_only", **RANGE}
    left = compute(duckdb_ws, names, **kw)
    right = compute(spark_ws, names, **kw)
    assert {"ai_only", "ai_then_human", "human_only"} <= set(left["handled_by"])
    assert left["difference"].notna().any()
    _same(left, right, ["metric", "handled_by"])


def test_import_into_spark_by_staging_and_swapping(
    spark_ws: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An import into Spark (no transactions): tables staged under new names, then swapped in.
    The hand-computed history of tests/golden/test_ai_agents.py: first response (32 + 30 + 20 +
    3860) / 4 min; the same files again change nothing; the kept facts are read there."""
    from pyspark.sql import SparkSession
    from test_postgres_import import _folder

    from deskmetrics.engine import remote
    from deskmetrics.engine.kept import current_facts
    from golden.test_ai_agents import _rows

    session: SparkSession = spark_ws.backend._session.newSession()
    session.sql("CREATE DATABASE IF NOT EXISTS dm_import")
    session.catalog.setCurrentDatabase("dm_import")
    ws = Workspace(
        backend=ibis.pyspark.connect(session), settings=spark_ws.settings, keep_facts=True
    )
    folder = _folder(tmp_path_factory.mktemp("spark-import"), _rows())
    first = import_directory(ws, folder)
    assert {t: c.inserted for t, c in first.tables.items()} == {
        "tickets": 10,
        "events": 33,
        "surveys": 5,
    }
    row = compute(ws, "first_response_time").iloc[0]
    assert row["n"] == 4
    assert row["value"] == pytest.approx((32 + 30 + 20 + 3860) / 4)
    assert current_facts(ws).kept
    again = import_directory(ws, folder)
    assert all(c.inserted == c.updated == 0 for c in again.tables.values())
    assert ws.backend.table("tickets").count().execute() == 10
    assert ws.backend.table("_imports").count().execute() == 2
    assert not [n for n in ws.backend.list_tables() if n.endswith(remote.INCOMING)]
