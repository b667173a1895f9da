"""Numbers as of a moment (`--now`, `now=`, `Workspace.as_of`), computed by hand.

Schedule: Monday–Friday 09:00–17:00 UTC. Policy `standard`: first reply within 2 business
hours, resolution within 8 calendar hours (pending pauses resolution; nothing here is pending).

- A: created Fri 2026-03-06 16:00, agent reply Mon 03-09 09:30, solved Mon 11:00; a CSAT
  answer at Mon 11:30
- B: created Mon 10:00, agent reply Mon 10:45, solved Mon 12:00
- C: created Mon 11:30, never answered; its requester's subscription ended Mon 11:45

As of Mon 10:30: A is answered but open, B is open and unanswered, C, the survey answer and
the subscription's end do not exist yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, build_workspace, msg, one, settings, status, ticket
from deskmetrics.cli import app
from deskmetrics.engine import Workspace
from deskmetrics.errors import QueryError
from deskmetrics.query import compute, explain, facts_frame, parse_instant
from deskmetrics.sla_query import sla_state

NOW = "2026-03-09T10:30:00Z"
CONFIG = {
    **UTC_9_TO_5,
    "sla": {
        "policies": [
            {
                "name": "standard",
                "first_reply": "2h",
                "resolution": "8h",
                "calendar": ["resolution"],
            }
        ]
    },
}
TOML = """timezone = "UTC"
[schedules.office]
timezone = "UTC"
default = true
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }
[[sla.policies]]
name = "standard"
first_reply = "2h"
resolution = "8h"
calendar = ["resolution"]
"""  # noqa: E501

TABLES = {
    "tickets": [
        ticket("A", "2026-03-06T16:00:00Z"),
        ticket("B", "2026-03-09T10:00:00Z", "c2"),
        ticket("C", "2026-03-09T11:30:00Z", "c3"),
    ],
    "events": [
        msg("A1", "A", "2026-03-06T16:00:00Z", "customer"),
        msg("A2", "A", "2026-03-09T09:30:00Z", "agent", "ana"),
        status("A3", "A", "2026-03-09T11:00:00Z", "solved", "ana"),
        msg("B1", "B", "2026-03-09T10:00:00Z", "customer"),
        msg("B2", "B", "2026-03-09T10:45:00Z", "agent", "bo"),
        status("B3", "B", "2026-03-09T12:00:00Z", "solved", "bo"),
        msg("C1", "C", "2026-03-09T11:30:00Z", "customer"),
    ],
    "surveys": [
        {
            "response_id": "S1",
            "kind": "csat",
            "scale": "1-5",
            "score": "5",
            "answered_at": "2026-03-09T11:30:00Z",
            "ticket_id": "A",
        }
    ],
    "subscriptions": [
        {
            "subscription_id": "sub3",
            "customer_id": "c3",
            "started_at": "2026-01-01T00:00:00Z",
            "ended_at": "2026-03-09T11:45:00Z",
            "mrr": 100,
        }
    ],
}


@pytest.fixture
def ws() -> Workspace:
    return build_workspace(TABLES, CONFIG)


@pytest.fixture
def ws_file(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "ws.duckdb"
    build_workspace(TABLES, CONFIG, path=str(path)).backend.disconnect()
    toml = tmp_path / "deskmetrics.toml"
    toml.write_text(TOML, encoding="utf-8")
    return path, toml


def test_the_canonical_tables_as_of_a_moment(ws: Workspace) -> None:
    then = ws.at(parse_instant(NOW))
    ids = then.backend.execute(then.table("tickets"))["ticket_id"].tolist()
    assert sorted(ids) == ["A", "B"]
    events = then.backend.execute(then.table("events"))["event_id"].tolist()
    assert sorted(events) == ["A1", "A2", "B1"]
    assert then.backend.execute(then.table("surveys")).empty
    sub = then.backend.execute(then.table("subscriptions")).iloc[0]
    assert sub["ended_at"] is None or str(sub["ended_at"]) in ("NaT", "None")
    # the workspace itself is untouched (a view, not a change)
    assert ws.as_of is None and len(ws.backend.execute(ws.table("tickets"))) == 3
    assert str(then.now()) == "2026-03-09 10:30:00"
    # "until now": the data range ends at the moment
    assert str(then.data_range()[1]) == "2026-03-09 10:30:00"


def test_first_response_time_leaves_out_a_ticket_not_yet_answered(ws: Workspace) -> None:
    then = ws.at(parse_instant(NOW))
    # as of 10:30 only A is answered: Fri 16:00 → Mon 09:30 = 65.5 h = 3930 min, of which
    # business 60 (Fri 16–17) + 30 (Mon 9–9:30) = 90 min; B (asked 10:00) is not answered yet
    row = one(compute(then, ["first_response_time"]), metric="first_response_time")
    assert (row["n"], row["value"]) == (1, pytest.approx(3930.0))
    bus = compute(then, ["first_response_time_business"]).iloc[0]
    assert (bus["n"], bus["value"]) == (1, pytest.approx(90.0))
    # later, B's 45 minutes count too: (3930 + 45) / 2 and (90 + 45) / 2
    row = one(compute(ws, ["first_response_time"]), metric="first_response_time")
    assert (row["n"], row["value"]) == (2, pytest.approx(1987.5))
    assert compute(ws, ["first_response_time_business"]).iloc[0]["value"] == pytest.approx(67.5)
    _, ex = explain(then, "first_response_time")
    assert ex.counted == 1
    assert dict(ex.left_out) == {"unanswered tickets have no first response": 1}


def test_backlog_volume_and_csat_as_of_a_moment(ws: Workspace) -> None:
    then = ws.at(parse_instant(NOW))
    # open at 10:30: A (solved 11:00) and B (solved 12:00); C does not exist yet
    assert one(compute(then, ["backlog"]), metric="backlog")["value"] == 2
    # a range reaching past the moment ends there: the backlog at its end is the one at 10:30
    ranged = compute(then, ["backlog"], start="2026-03-09", end="2026-03-10")
    assert ranged.iloc[0]["value"] == 2
    # after every event only C is open
    assert one(compute(ws, ["backlog"]), metric="backlog")["value"] == 1
    assert compute(then, ["volume"]).iloc[0]["value"] == 2
    assert compute(ws, ["volume"]).iloc[0]["value"] == 3
    # the survey answer (11:30) does not exist yet
    assert compute(then, ["csat"]).iloc[0]["n"] == 0
    assert compute(ws, ["csat"]).iloc[0]["n"] == 1


def test_facts_as_of_a_moment(ws: Workspace) -> None:
    df = facts_frame(ws.at(parse_instant(NOW))).set_index("ticket_id")
    assert list(df.index) == ["A", "B"]
    assert df.loc["A", "first_reply_business_minutes"] == pytest.approx(90.0)
    assert not df.loc["A", "is_solved"] and df.loc["A", "status"] == "new"
    assert df.loc["B", "replies"] == 0
    assert df["first_reply_minutes"].isna().tolist() == [False, True]


def test_sla_running_at_the_moment_settled_later(ws: Workspace) -> None:
    then = sla_state(ws.at(parse_instant(NOW))).set_index(["ticket_id", "sla_target"])
    # B's first reply at 10:30: 30 of 120 business minutes, 90 left (warning window 24)
    b = then.loc[("B", "first_reply")]
    assert (b["status"], b["elapsed_minutes"], b["time_left_minutes"]) == ("running", 30, 90)
    assert str(b["due_at"]) == "2026-03-09 12:00:00"
    # A's resolution: 8 calendar hours from Fri 16:00 were up Sat 00:00; still open at 10:30
    a = then.loc[("A", "resolution")]
    assert a["status"] == "breached" and pd_null(a["stopped_at"])
    assert a["elapsed_minutes"] == pytest.approx(66.5 * 60)
    assert then.loc[("B", "resolution"), "status"] == "running"
    assert ("C", "first_reply") not in then.index
    # later, B was answered at 10:45 (45 business minutes) and solved at 12:00 (120 calendar)
    later = sla_state(ws, now=parse_instant("2026-03-09T13:00:00Z"))
    later = later.set_index(["ticket_id", "sla_target"])
    assert later.loc[("B", "first_reply"), "status"] == "achieved"
    assert later.loc[("B", "first_reply"), "elapsed_minutes"] == pytest.approx(45.0)
    assert later.loc[("B", "resolution"), "status"] == "achieved"
    assert later.loc[("B", "resolution"), "elapsed_minutes"] == pytest.approx(120.0)


def pd_null(v: object) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


def test_kept_facts_are_not_read_nor_written_as_of_a_moment(tmp_path: Path) -> None:
    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.kept import META

    path = tmp_path / "kept.duckdb"
    build_workspace(TABLES, CONFIG, path=str(path)).backend.disconnect()
    ws = open_duckdb(path, settings(CONFIG))
    ws.keep_facts_min_events = 0
    assert compute(ws, ["volume"]).iloc[0]["value"] == 3  # makes the kept facts
    state = ws.backend.con.execute(f"SELECT state FROM {META}").fetchone()
    then = ws.at(parse_instant(NOW))
    row = one(compute(then, ["first_response_time"]), metric="first_response_time")
    assert (row["n"], row["value"]) == (1, pytest.approx(3930.0))
    assert ws.backend.con.execute(f"SELECT state FROM {META}").fetchone() == state
    assert ws.backend.con.execute("SELECT count(*) FROM _facts_tickets").fetchone() == (3,)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-03-09T10:30:00", "has no offset"),
        ("2026-03-09", "has no offset"),
        ("yesterday", "is not an ISO 8601 instant"),
        ("2026-13-40T10:00:00Z", "is not an ISO 8601 instant"),
    ],
)
def test_a_naive_or_malformed_instant_is_refused(text: str, why: str) -> None:
    with pytest.raises(QueryError, match=f"--now '{text}' {why}"):
        parse_instant(text)


def test_an_instant_in_the_future_is_refused(ws: Workspace) -> None:
    with pytest.raises(QueryError, match="in the future"):
        ws.at(parse_instant("2199-01-01T00:00:00Z"))


def test_offsets_are_converted_to_utc() -> None:
    assert str(parse_instant("2026-03-09T11:30:00+01:00")) == "2026-03-09 10:30:00"


def _cli(ws_file: tuple[Path, Path], *args: str) -> Result:
    path, toml = ws_file
    return CliRunner().invoke(app, ["--db", str(path), "--config", str(toml), *args])


def test_cli_now_on_report_facts_explain_and_sla(ws_file: tuple[Path, Path]) -> None:
    report = ["report", "first_response_time", "backlog", "--format", "json", "--now", NOW]
    first = _cli(ws_file, *report)
    assert first.exit_code == 0, first.output
    rows = {r["metric"]: r for r in json.loads(first.stdout)}
    assert (rows["first_response_time"]["n"], rows["first_response_time"]["value"]) == (1, 3930)
    assert rows["backlog"]["value"] == 2
    again = _cli(ws_file, *report)
    assert again.stdout == first.stdout

    facts = _cli(ws_file, "facts", "--format", "json", "--now", NOW)
    assert [r["ticket_id"] for r in json.loads(facts.stdout)] == ["A", "B"]

    ex = _cli(ws_file, "explain", "first_response_time", "--format", "json", "--now", NOW)
    body = json.loads(ex.stdout)
    assert body["counted"] == 1 and body["left_out"][0]["ids"] == ["B"]

    sla = _cli(ws_file, "sla", "--all", "--format", "json", "--now", NOW)
    got = {(r["ticket_id"], r["sla_target"]): r["status"] for r in json.loads(sla.stdout)}
    assert got == {
        ("A", "first_reply"): "achieved",
        ("A", "resolution"): "breached",
        ("B", "first_reply"): "running",
        ("B", "resolution"): "running",
    }
    queue = _cli(ws_file, "sla", "--format", "json", "--now", NOW)
    assert [(r["ticket_id"], r["sla_target"]) for r in json.loads(queue.stdout)] == [
        ("A", "resolution")
    ]


@pytest.mark.parametrize(
    "command", [["report", "volume"], ["facts"], ["explain", "volume"], ["sla"]]
)
def test_cli_malformed_now_names_the_option(ws_file: tuple[Path, Path], command: list[str]) -> None:
    out = _cli(ws_file, *command, "--now", "2026-03-09 10:30")
    assert out.exit_code == 2
    assert "--now '2026-03-09 10:30' has no offset" in out.output
    out = _cli(ws_file, *command, "--now", "soon")
    assert out.exit_code == 2
    assert "--now 'soon' is not an ISO 8601 instant" in out.output


def test_api_now_matches_the_cli(ws_file: tuple[Path, Path]) -> None:
    from fastapi.testclient import TestClient

    from deskmetrics import accounts
    from deskmetrics.api import create_app
    from deskmetrics.engine import open_duckdb

    path, _ = ws_file
    ws = open_duckdb(path, settings(CONFIG))
    accounts.set_user(ws, "viewer", "correct horse", "viewer")
    ws.backend.disconnect()
    client = TestClient(create_app(path, settings(CONFIG), secret="test-secret"))
    client.post("/api/session", json={"name": "viewer", "password": "correct horse"})
    cli = json.loads(_cli(ws_file, "report", "first_response_time", "--format", "json",
                          "--now", NOW).stdout)  # fmt: skip
    api = client.get("/api/report", params={"metric": "first_response_time", "now": NOW})
    assert api.json() == cli
    facts = client.get("/api/facts", params={"now": NOW}).json()
    assert (facts["total"], [r["ticket_id"] for r in facts["rows"]]) == (2, ["A", "B"])
    ex = client.get("/api/explain/first_response_time", params={"now": NOW}).json()
    assert ex["counted"] == 1
    bad = client.get("/api/report", params={"metric": "volume", "now": "2026-03-09"})
    assert bad.status_code == 400 and "now '2026-03-09' has no offset" in bad.text
