"""`deskmetrics --db postgres://… serve`: the service reads the canonical tables from PostgreSQL
through a pool of connections (requests in parallel, no global lock), keeps its app state
(users, sessions) in a local DuckDB file, and refuses what would write the canonical data."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ibis
import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts, query
from deskmetrics.api import create_app
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.engine.pool import WorkspacePool
from deskmetrics.model import TABLES
from test_dashboard_pages import AGENTS, EVENTS, SURVEYS, TICKETS

PASSWORD = "correct horse battery"
ALL_TIME = "from=2026-01-01&to=2026-01-31"
#: every dashboard page a viewer reaches from the menu
PAGES = [
    "/dashboard",
    "/dashboard/trends",
    "/dashboard/breakdowns",
    "/dashboard/heatmap",
    "/dashboard/surveys",
    "/dashboard/explain?metric=volume",
    "/dashboard/sla",
    "/dashboard/staffing?channel=email&aht=300",
    "/dashboard/ai",
    "/dashboard/topics",
    "/dashboard/followups",
    "/dashboard/alerts",
    "/dashboard/views",
]


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The dashboard pages' hand-checked workspace (tests/test_dashboard_pages.py)."""
    path = tmp_path_factory.mktemp("duck") / "ws.duckdb"
    tables = {"tickets": TICKETS, "events": EVENTS, "surveys": SURVEYS, "agents": AGENTS}
    return build_workspace(tables, UTC_9_TO_5, path=str(path))


@pytest.fixture(scope="module")
def pg_url(duck: Workspace) -> Iterator[str]:
    """A PostgreSQL server holding the same canonical tables."""
    from postgres_server import postgres, server_binaries

    if server_binaries() is None:
        pytest.skip("needs Debian's postgresql server (make test installs it)")
    pytest.importorskip("psycopg")
    with postgres() as url:
        con = ibis.connect(url)
        for name in TABLES:
            if duck.has(name):
                con.create_table(name, duck.backend.to_pyarrow(duck.table(name)))
        con.disconnect()
        yield url


def _settings(**web: Any) -> Settings:
    return Settings.model_validate({**UTC_9_TO_5, "web": web})


def _service(url: str, state: Path, size: int, **web: Any) -> Any:
    """The app over a pool of `size` workspaces, with user `lead` in the state file."""
    settings = _settings(pool_size=size, **web)
    pool = WorkspacePool(url, settings, state, size, settings.web.busy_wait_seconds)
    with pool.taking() as ws:
        accounts.set_user(ws, "lead", PASSWORD, "viewer")
    return create_app(pool, settings, secret="pg-service-test")


@pytest.fixture(scope="module")
def app(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    web = _service(pg_url, tmp_path_factory.mktemp("state") / "app.duckdb", size=4)
    yield web
    web.state.service.close()


def _signed_in(app: Any) -> TestClient:
    c = TestClient(app)
    r = c.post("/api/session", json={"name": "lead", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def _by_metric(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["metric"]: r for r in rows}


def test_report_gives_the_duckdb_services_numbers(app: Any, duck: Workspace) -> None:
    """Hand-checked: 4 tickets; first responses 30, 10 and 60 min → mean 100/3; CSAT 1 of 2
    satisfied (scores 5 and 2) → 50 %."""
    params = [("metric", m) for m in ("volume", "first_response_time", "csat")]
    params += [("from", "2026-01-01"), ("to", "2026-01-31")]
    on_pg = _signed_in(app).get("/api/report", params=params)
    assert on_pg.status_code == 200, on_pg.text
    duck_app = create_app(duck, secret="duck-test")
    with duck_app.state.service.using() as ws:
        accounts.set_user(ws, "lead", PASSWORD, "viewer")
    on_duck = _signed_in(duck_app).get("/api/report", params=params)
    assert on_duck.status_code == 200, on_duck.text
    pg, dk = _by_metric(on_pg.json()), _by_metric(on_duck.json())
    assert pg["volume"]["value"] == 4
    assert pg["first_response_time"]["value"] == pytest.approx(100 / 3)
    assert pg["first_response_time"]["n"] == 3
    assert pg["csat"]["value"] == pytest.approx(50)
    for metric in ("volume", "first_response_time", "csat"):
        for col in ("value", "n", "p50", "p90"):
            assert pg[metric][col] == pytest.approx(dk[metric][col]), (metric, col)


def test_every_dashboard_page_renders(app: Any) -> None:
    c = _signed_in(app)
    for page in PAGES:
        sep = "&" if "?" in page else "?"
        r = c.get(f"{page}{sep}{ALL_TIME}")
        assert r.status_code == 200, (page, r.text[:2000])
        assert "Internal Server Error" not in r.text


def test_requests_run_in_parallel(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two reports are held inside the engine until both are there: served one at a time,
    the barrier would break; the pool counts both workspaces in use at once."""
    from browser.serving import serving

    barrier = threading.Barrier(2, timeout=30)
    original = query.compute

    def meeting(*args: Any, **kw: Any) -> Any:
        barrier.wait()
        return original(*args, **kw)

    monkeypatch.setattr(query, "compute", meeting)
    pool: WorkspacePool = app.state.service.pool
    pool.most_in_use = 0
    c = _signed_in(app)
    cookies = dict(c.cookies)
    with serving(app) as base:
        codes: list[int] = []

        def ask() -> None:
            with httpx.Client(base_url=base, cookies=cookies, timeout=60) as h:
                codes.append(h.get("/api/report", params={"metric": "volume"}).status_code)

        threads = [threading.Thread(target=ask) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200, 200]
    assert pool.most_in_use == 2


def test_a_full_pool_answers_503_with_retry_after(pg_url: str, tmp_path: Path) -> None:
    web = _service(pg_url, tmp_path / "app.duckdb", size=1, busy_wait_seconds=0.2)
    try:
        c = _signed_in(web)
        pool: WorkspacePool = web.state.service.pool
        with pool.taking():  # the only connection is busy
            r = c.get("/api/report", params={"metric": "volume"})
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
        assert "all 1 connections" in r.json()["detail"]
        assert c.get("/api/report", params={"metric": "volume"}).status_code == 200
    finally:
        web.state.service.close()


def test_sign_in_keeps_the_session_in_the_state_file(app: Any) -> None:
    c = _signed_in(app)
    assert c.get("/api/me").json() == {"name": "lead", "role": "viewer", "kind": "user"}
    pool: WorkspacePool = app.state.service.pool
    open_sessions = pool.state.execute(
        "SELECT count(*) FROM _sessions WHERE user_name = 'lead' AND ended_at IS NULL"
    ).fetchone()[0]
    assert open_sessions >= 1
    assert c.delete("/api/session").status_code == 204
    assert c.get("/api/me").status_code == 401


def test_writes_to_the_canonical_data_are_refused(app: Any) -> None:
    c = _signed_in(app)
    for method, path in [
        ("POST", "/api/tickets"),
        ("POST", "/api/webhooks/zendesk"),
        ("DELETE", "/api/data/tickets?id=T1"),
        ("POST", "/api/survey-links"),
        ("GET", "/s/some-token"),
    ]:
        r = c.request(method, path, content=b"[]")
        assert r.status_code == 409, (method, path, r.text)
        assert "reads the data from postgres://dm@" in r.json()["detail"]
        assert "deskmetrics --db URL import" in r.json()["detail"]
    # reads and app state are not refused: the report, and alert rules (kept in the state file)
    assert c.get("/api/report", params={"metric": "volume"}).status_code == 200


def test_users_made_on_the_command_line_sign_in(pg_url: str, tmp_path: Path) -> None:
    """`deskmetrics --db URL --state FILE users set` writes the file `serve` then reads."""
    from typer.testing import CliRunner

    from deskmetrics.cli import app as cli

    state = tmp_path / "app.duckdb"
    res = CliRunner().invoke(
        cli, ["--db", pg_url, "--state", str(state), "users", "set", "ana", "--role", "manager",
              "--password", "a long passphrase"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    settings = _settings()
    web = create_app(WorkspacePool(pg_url, settings, state, 2, 5), settings, secret="s")
    try:
        r = TestClient(web).post(
            "/api/session", json={"name": "ana", "password": "a long passphrase"}
        )
        assert r.json() == {"name": "ana", "role": "manager", "kind": "user"}
    finally:
        web.state.service.close()


def test_overview_loads_in_chromium(app: Any) -> None:
    from browser.serving import serving, signed_in

    with (
        serving(app) as base,
        signed_in(base, f"/dashboard?{ALL_TIME}", "lead", PASSWORD) as (page, errors),
    ):
        page.wait_for_selector(".cards")
        assert page.title() == "deskmetrics · Overview"
        volume = page.locator('.card[data-metric="volume"] a.value')
        assert float(volume.get_attribute("data-value")) == 4
        assert errors == []
