"""Any help desk's CSV export through a column mapping (`import --from csv --mapping`): the same
small history written as canonical files and as a vendor's export (its own headers, local
Berlin times in a day-first format, its own status, channel and author words, a messages file
with private notes and an automation's reply) gives the same per-ticket facts; bad values are
rejected naming the export's column; `mapping init` suggests a mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ImportDataError
from deskmetrics.importers import import_directory
from deskmetrics.importers.ticket_csv import suggest_mapping
from deskmetrics.query import compute, facts_frame

# T1 (email): created Mon 12 Jan 2026 10:00 Berlin = 09:00 UTC by the customer; the automation
# acknowledges at 09:01 UTC, an agent notes privately at 09:10, replies at 09:30; solved 10:00.
# T2 (chat): opened by agent A2 on Tue 13 Jan 09:00 Berlin = 08:00 UTC with a message, the
# customer answers 08:20, A2 replies 08:50; still open.
CANONICAL = {
    "tickets.csv": "ticket_id,created_at,requester_id,channel,status,priority,group,"
    """assignee_id,subject,created_by
T1,2026-01-12T09:00:00Z,c1,email,solved,high,billing,A1,Refund,customer
T2,2026-01-13T08:00:00Z,c2,chat,open,normal,tech,A2,Login,agent
""",
    "events.csv": """event_id,ticket_id,at,type,author_role,author_id,public,status
m1,T1,2026-01-12T09:00:00Z,message,customer,c1,true,
m2,T1,2026-01-12T09:01:00Z,message,bot,auto,true,
m3,T1,2026-01-12T09:10:00Z,message,agent,A1,false,
m4,T1,2026-01-12T09:30:00Z,message,agent,A1,true,
T1-solved,T1,2026-01-12T10:00:00Z,status,,,,solved
m5,T2,2026-01-13T08:00:00Z,message,agent,A2,true,
m6,T2,2026-01-13T08:20:00Z,message,customer,c2,true,
m7,T2,2026-01-13T08:50:00Z,message,agent,A2,true,
""",
}
VENDOR = {
    "export.csv": "Case #,Opened,Customer,Source,State,Urgency,Team,Owner,Title,"
    """Opened by,Resolved at
T1,12.01.2026 10:00,c1,E-Mail,Resolved,High,billing,A1,Refund,Customer,12.01.2026 11:00
T2,13.01.2026 09:00,c2,Live chat,In progress,Normal,tech,A2,Login,Staff,
""",
    "messages.csv": """ID,Case #,Sent,From,From type,Visibility
m1,T1,12.01.2026 10:00,c1,Customer,Public
m2,T1,12.01.2026 10:01,auto,Automation,Public
m3,T1,12.01.2026 10:10,A1,Staff,Internal
m4,T1,12.01.2026 10:30,A1,Staff,Public
m5,T2,13.01.2026 09:00,A2,Staff,Public
m6,T2,13.01.2026 09:20,c2,Customer,Public
m7,T2,13.01.2026 09:50,A2,Staff,Public
""",
}
MAPPING = """
timezone = "Europe/Berlin"
timestamp_format = "%d.%m.%Y %H:%M"

[tickets]
file = "export.csv"
ticket_id = "Case #"
created_at = "Opened"
requester_id = "Customer"
channel = { column = "Source", values = { "E-Mail" = "email", "Live chat" = "chat" } }
status = { column = "State", values = { "Resolved" = "solved", "In progress" = "open" } }
priority = "Urgency"
group = "Team"
assignee_id = "Owner"
subject = "Title"
created_by = { column = "Opened by", values = { "Staff" = "agent", "Customer" = "customer" } }
solved_at = "Resolved at"

[messages]
file = "messages.csv"
message_id = "ID"
ticket_id = "Case #"
at = "Sent"
author_id = "From"
public = { column = "Visibility", values = { "Public" = "true", "Internal" = "false" } }

[messages.author_role]
column = "From type"
values = { "Staff" = "agent", "Automation" = "bot", "Customer" = "customer" }
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def workspace() -> Workspace:
    return open_duckdb(":memory:", settings(UTC_9_TO_5))


def vendor_import(tmp_path: Path, files: dict[str, str] = VENDOR, mapping: str = MAPPING,
                  strict: bool = False):  # type: ignore[no-untyped-def]  # fmt: skip
    folder = write(tmp_path / "vendor", files)
    (tmp_path / "map.toml").write_text(mapping, encoding="utf-8")
    ws = workspace()
    summary = import_directory(ws, folder, "csv", mapping=tmp_path / "map.toml", strict=strict)
    return ws, summary


def test_the_same_history_gives_the_same_facts(tmp_path: Path) -> None:
    canonical = workspace()
    s = import_directory(canonical, write(tmp_path / "canonical", CANONICAL), "canonical")
    assert s.rejects == []
    vendor, summary = vendor_import(tmp_path)
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    a = facts_frame(canonical).set_index("ticket_id").sort_index()
    b = facts_frame(vendor).set_index("ticket_id").sort_index()
    for column in [c for c in a.columns if c in b.columns]:
        pd.testing.assert_series_equal(a[column], b[column], check_dtype=False, obj=column)
    # by hand: T1 first reply 30 min (the automation's acknowledgement and the private note
    # are no replies), resolved after 60 min; T2 opened by an agent: its opening message is
    # no reply, the customer's answer at 08:20 is replied to at 08:50
    assert b.loc["T1", "first_reply_minutes"] == 30.0
    assert b.loc["T1", "full_resolution_minutes"] == 60.0
    assert b.loc["T2", "created_by"] == "agent"
    frt = compute(vendor, "first_response_time", by=["channel"]).set_index("channel")
    assert frt.loc["email", "value"] == 30.0
    assert list(b["channel"]) == ["email", "chat"]


def test_re_importing_the_same_export_changes_nothing(tmp_path: Path) -> None:
    ws, first = vendor_import(tmp_path)
    folder = tmp_path / "vendor"
    again = import_directory(ws, folder, "csv", mapping=tmp_path / "map.toml")
    counts = {t: (c.inserted, c.updated) for t, c in again.tables.items()}
    assert all(v == (0, 0) for v in counts.values()), counts
    assert first.tables["events"].inserted == 8  # 7 messages and the solve


def test_bad_values_are_rejected_naming_the_exports_column(tmp_path: Path) -> None:
    files = dict(VENDOR)
    files["export.csv"] = VENDOR["export.csv"] + (
        "T3,32.01.2026 10:00,c3,E-Mail,Resolved,High,billing,A1,Bad day,Customer,\n"
        "T4,14.01.2026 10:00,c4,E-Mail,Escalated,High,billing,A1,Odd state,Customer,\n"
    )
    _, summary = vendor_import(tmp_path, files)
    got = {(r.file, r.row, r.column) for r in summary.rejects}
    # rows count the header as row 1: T3 is row 4, T4 row 5
    assert ("export.csv", 4, "Opened") in got  # 32 January is no date
    assert ("export.csv", 5, "State") in got  # "Escalated" is no status the mapping names
    reasons = " ".join(r.reason for r in summary.rejects)
    assert "%d.%m.%Y %H:%M" in reasons
    # a strict import stores nothing at all
    strict, _ = vendor_import(tmp_path / "strict", files, strict=True)
    assert int(strict.backend.con.execute("SELECT count(*) FROM tickets").fetchone()[0]) == 0


def test_a_column_the_mapping_names_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match=r"no column 'Urgency'.*priority"):
        vendor_import(tmp_path, {**VENDOR, "export.csv": VENDOR["export.csv"].replace(
            "Urgency", "Prio")})  # fmt: skip


def test_without_a_messages_file_the_first_reply_column_stands_in(tmp_path: Path) -> None:
    # T1's first response at 10:30 Berlin (09:30 UTC) → 30 min, as from its messages
    files = {"export.csv": "Case #,Opened,Customer,State,Owner,First response,Resolved at\n"
             "T1,12.01.2026 10:00,c1,Resolved,A1,12.01.2026 10:30,12.01.2026 11:00\n"}  # fmt: skip
    mapping = """timezone = "Europe/Berlin"
timestamp_format = "%d.%m.%Y %H:%M"
[tickets]
ticket_id = "Case #"
created_at = "Opened"
requester_id = "Customer"
status = { column = "State", values = { "Resolved" = "solved" } }
assignee_id = "Owner"
first_reply_at = "First response"
solved_at = "Resolved at"
"""
    ws, summary = vendor_import(tmp_path, files, mapping)
    assert summary.rejects == []
    f = facts_frame(ws).set_index("ticket_id")
    assert f.loc["T1", "first_reply_minutes"] == 30.0
    assert f.loc["T1", "full_resolution_minutes"] == 60.0


def test_mapping_init_suggests_columns_and_statuses(tmp_path: Path) -> None:
    folder = write(tmp_path / "vendor", VENDOR)
    text = suggest_mapping(folder / "export.csv")
    assert 'ticket_id = "Case #"' in text
    assert 'created_at = "Opened"' in text
    assert 'solved_at = "Resolved at"' in text
    assert '"Resolved" = "solved"' in text and '"In progress" = "open"' in text
    assert 'assignee_id = "Owner"' in text
    # the CLI prints the same, ready to save and edit
    from deskmetrics.cli import app

    r = CliRunner().invoke(app, ["mapping", "init", str(folder / "export.csv")])
    assert r.exit_code == 0 and r.stdout == text


def test_an_ai_agent_column_value_maps_to_ai_agent(tmp_path: Path) -> None:
    """A help desk whose export names its chatbot apart ("Assistant") maps it to `ai_agent`
    beside the automation's acknowledgement (`bot`): T1's messages are customer 10:00, the
    automation 10:01, the assistant's answer 10:02, the agent's note and reply."""
    messages = VENDOR["messages.csv"].replace(
        "m3,T1,12.01.2026 10:10,A1,Staff,Internal\n",
        "m2b,T1,12.01.2026 10:02,fin,Assistant,Public\nm3,T1,12.01.2026 10:10,A1,Staff,Internal\n",
    )
    mapping = MAPPING.replace(
        '"Automation" = "bot"', '"Automation" = "bot", "Assistant" = "ai_agent"'
    )
    ws, summary = vendor_import(tmp_path, {**VENDOR, "messages.csv": messages}, mapping)
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    rows = ws.backend.con.execute(
        "SELECT event_id, author_role, author_id FROM events WHERE ticket_id = 'T1' "
        "AND type = 'message' AND \"at\" < TIMESTAMP '2026-01-12 09:05:00' ORDER BY \"at\""
    ).fetchall()
    assert rows == [("m1", "customer", "c1"), ("m2", "bot", "auto"), ("m2b", "ai_agent", "fin")]
    # neither is a reply: the first reply is still the agent's at 10:30 Berlin (30 minutes)
    f = facts_frame(ws).set_index("ticket_id")
    assert f.loc["T1", "first_reply_minutes"] == 30.0
