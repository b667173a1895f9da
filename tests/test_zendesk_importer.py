"""The Zendesk importer: hand-written API exports in tests/fixtures/zendesk (a good export of
seven tickets) and tests/fixtures/zendesk_bad (one folder per error case), plus small exports
written per test for the accepted file shapes. Every expected value is read off the fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.zendesk import (
    ZendeskExport,
    channel_of,
    is_ai_agent,
    is_automatic,
    read_zendesk,
)
from deskmetrics.model import Reject, SourceFrame, validate

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "zendesk"
BAD = FIXTURES / "zendesk_bad"


@pytest.fixture(scope="module")
def export() -> ZendeskExport:
    return read_zendesk(GOOD)


def frame(export: ZendeskExport, table: str) -> SourceFrame:
    found = export.frame(table)
    assert found is not None, f"no {table} frame"
    return found


def rows_of(f: SourceFrame, columns: list[str], **where: Any) -> list[tuple[Any, ...]]:
    df = f.frame
    for k, v in where.items():
        df = df[df[k] == v]
    return [tuple(r) for r in df[columns].itertuples(index=False)]


# --- the good export ---------------------------------------------------------------------


def test_one_frame_per_canonical_table(export: ZendeskExport) -> None:
    assert [(f.table.name, f.file) for f in export.frames] == [
        ("tickets", "tickets.json"),
        ("events", "ticket_audits.json"),
        ("surveys", "satisfaction_ratings.json"),
        ("survey_requests", "satisfaction_ratings.json"),
        ("agents", "users.json"),
    ]
    assert all(f.rejects == [] for f in export.frames)


def test_tickets_are_mapped(export: ZendeskExport) -> None:
    t = frame(export, "tickets")
    cols = [
        "ticket_id", "created_at", "requester_id", "channel", "priority", "group",
        "assignee_id", "created_by", "tags", "brand", "organization_id", "ticket_type",
    ]  # fmt: skip
    # the via channel is kept as Zendesk names it (reports map it: voice → phone …)
    assert rows_of(t, cols) == [
        # group 360001 named by groups.json
        ("101", "2026-03-02T08:15:00Z", "1001", "email", "normal", "Support EU", "2001",
         "customer", "shipping;order_status", "5001", "8001", "question"),
        ("102", "2026-03-03T14:00:00Z", "1002", "web", "high", "Billing", "2002",
         "customer", "billing;refund", "5001", None, "incident"),
        # submitter 2001 is an agent and not the requester 1003
        ("103", "2026-03-04T10:00:00Z", "1003", "web", "low", "Support EU", "2001",
         "agent", "proactive;sync", "5002", "8002", "task"),
        ("104", "2026-03-05T09:00:00Z", "1004", "email", "urgent", "Support EU", "2002",
         "customer", "invoice;vat", "5001", "8001", "problem"),
        # no priority, no assignee, no tags
        ("105", "2026-03-06T22:10:00Z", "1005", "web_widget", None, "Support EU", None,
         "customer", None, "5001", None, None),
        # Talk makes the answering agent (admin 2003) the submitter, but the customer called in
        # (via rel inbound): created by the customer, the agent's first comment is a reply
        ("106", "2026-03-09T08:05:00Z", "1006", "voice", "normal", "Phone Team", "2003",
         "customer", "phone;password", "5001", None, "question"),
        ("107", "2026-03-10T12:00:00Z", "1007", "native_messaging", "normal", "Support EU", "2001",
         "customer", "chat;export", "5001", None, "question"),
    ]  # fmt: skip
    assert t.frame.loc[0, "subject"] == "Where is my order #5512?"
    # the current state as of the ticket's last update (used when audits hold no history)
    assert rows_of(t, ["status", "updated_at"])[3:5] == [
        ("solved", "2026-03-06T10:15:00Z"), ("new", "2026-03-06T22:10:00Z"),
    ]  # fmt: skip
    assert t.row_numbers().tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_messages_and_their_authors(export: ZendeskExport) -> None:
    e = frame(export, "events")
    cols = ["event_id", "author_role", "author_id", "public"]
    # the trigger's auto-reply (system user -1, audit via rule/trigger) is a bot message
    assert rows_of(e, cols, ticket_id="101", type="message") == [
        ("9101001-91010011", "customer", "1001", "true"),
        ("9101002-91010021", "bot", "-1", "true"),
        ("9101003-91010031", "agent", "2001", "true"),
        ("9101004-91010041", "customer", "1001", "true"),
        ("9101005-91010051", "agent", "2001", "true"),
    ]
    # the internal note comes before the first public reply
    assert rows_of(e, cols, ticket_id="102", type="message") == [
        ("9102001-91020011", "customer", "1002", "true"),
        ("9102002-91020021", "agent", "2002", "false"),
        ("9102003-91020031", "agent", "2002", "true"),
    ]
    # agent-created: the opening message is the agent's own public comment
    assert rows_of(e, cols, ticket_id="103", type="message") == [
        ("9103001-91030011", "agent", "2001", "true"),
        ("9103002-91030021", "customer", "1003", "true"),
        ("9103003-91030031", "agent", "2001", "true"),
    ]
    # unanswered: the acknowledgement has its own via (rule/trigger) inside a web_widget audit,
    # so it is a bot message although its author is the admin 2003
    assert rows_of(e, cols, ticket_id="105", type="message") == [
        ("9105001-91050011", "customer", "1005", "true"),
        ("9105001-91050014", "bot", "2003", "true"),
    ]
    # the call is an interaction, not a message (a call does not end first reply time);
    # the wrap-up note is private
    assert rows_of(e, cols, ticket_id="106", type="message") == [
        ("9106002-91060021", "agent", "2003", "false"),
    ]
    assert rows_of(e, ["body"], event_id="9103002-91030021") == [
        ("Thanks, new events show up again.",)
    ]


def test_status_sequences(export: ZendeskExport) -> None:
    e = frame(export, "events").frame
    st = e[e["type"] == "status"]
    seqs = st.groupby("ticket_id", sort=True)["status"].apply(list).to_dict()
    assert seqs == {
        "101": ["new", "pending", "open", "solved"],
        "102": ["new", "open", "solved"],
        "103": ["pending", "open", "solved"],
        "104": ["new", "open", "solved", "open", "solved"],
        "105": ["new"],
        "106": ["open", "solved"],
        "107": ["new", "open", "solved"],
    }
    # a status change is authored by the audit's author: the customer's reply reopens 104
    assert rows_of(frame(export, "events"), ["at", "author_id"], event_id="9104004-91040042") == [
        ("2026-03-06T08:00:00Z", "1004")
    ]


def test_assignments_carry_the_unchanged_half(export: ZendeskExport) -> None:
    cols = ["event_id", "at", "assignee_id", "group", "priority"]
    assert rows_of(frame(export, "events"), cols, ticket_id="104", type="assignment") == [
        # the creating audit sets priority urgent (its own event) and group Billing
        ("9104001-91040013", "2026-03-05T09:00:00Z", None, None, "urgent"),
        ("9104001-91040014", "2026-03-05T09:00:00Z", None, "Billing", None),
        ("9104002-91040021", "2026-03-05T09:10:00Z", "2002", "Billing", None),
        # the reopening audit's trigger moves it to Support EU; the assignee stays 2002
        ("9104004-91040043", "2026-03-06T08:00:00Z", "2002", "Support EU", None),
    ]


def test_priorities_set_at_creation_are_events(export: ZendeskExport) -> None:
    """Each creating audit's priority (tickets.json holds only the current one): 101 normal,
    102 high, 103 low, 104 urgent; 105-107 were created without one."""
    e = frame(export, "events")
    df = e.frame[e.frame["priority"].notnull()]
    assert sorted(zip(df["ticket_id"], df["priority"], strict=True)) == [
        ("101", "normal"), ("102", "high"), ("103", "low"), ("104", "urgent"),
    ]  # fmt: skip


def test_answered_call_is_an_interaction(export: ZendeskExport) -> None:
    cols = ["event_id", "ticket_id", "at", "agent_id", "talk_seconds"]
    assert rows_of(frame(export, "events"), cols, type="interaction") == [
        ("9106001-91060011-call", "106", "2026-03-09T08:05:00Z", "2003", "312")
    ]


def test_event_rows_name_the_audit(export: ZendeskExport) -> None:
    e = frame(export, "events")
    rows = dict(zip(e.frame["event_id"], e.row_numbers().tolist(), strict=True))
    assert rows["9101001-91010011"] == 1
    assert rows["9101002-91010021"] == 2
    assert rows["9104005-91040052"] == 17
    assert rows["9107004-91070041"] == 24
    # 56 + the 4 priorities set at creation - the call's voice comment (an interaction only)
    assert len(e.frame) == 59


def test_surveys_skip_unanswered_ratings(export: ZendeskExport) -> None:
    """One answer per ticket (Zendesk keeps one rating per ticket): the id names the ticket, so
    a changed rating replaces the earlier one."""
    s = frame(export, "surveys")
    cols = [
        "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
        "agent_id", "comment",
    ]  # fmt: skip
    assert rows_of(s, cols) == [
        ("zendesk-csat-101", "csat", "good-bad", "good", "2026-03-02T18:20:00Z", "1001", "101",
         "2001", None),
        ("zendesk-csat-102", "csat", "good-bad", "bad", "2026-03-04T09:12:00Z", "1002", "102",
         "2002", "The refund took a week to show up."),
        ("zendesk-csat-107", "csat", "good-bad", "good", "2026-03-10T12:31:00Z", "1007", "107",
         "2001", "Quick and clear"),
    ]  # fmt: skip
    assert s.row_numbers().tolist() == [1, 2, 4]


def test_every_offered_rating_is_a_survey_request(export: ZendeskExport) -> None:
    """Zendesk creates a rating when it offers the survey: 7001, 7002, 7004 (answered since)
    and 7003 (offered, unanswered) are requests sent at their creation; 7005 (unoffered) is
    none."""
    r = frame(export, "survey_requests")
    cols = ["request_id", "kind", "sent_at", "customer_id", "ticket_id"]
    assert rows_of(r, cols) == [
        ("zendesk-offer-101", "csat", "2026-03-02T11:30:00Z", "1001", "101"),
        ("zendesk-offer-102", "csat", "2026-03-03T15:05:00Z", "1002", "102"),
        ("zendesk-offer-104", "csat", "2026-03-06T10:15:00Z", "1004", "104"),
        ("zendesk-offer-107", "csat", "2026-03-10T12:07:00Z", "1007", "107"),
    ]
    assert r.row_numbers().tolist() == [1, 2, 3, 4]


def test_skipped_counts(export: ZendeskExport) -> None:
    assert export.skipped == {
        # 101: subject, requester_id, type, tags, 4 notifications;
        # 102: subject, type, 1 notification; 103: requester_id, 1 notification; 104: tags;
        # 106: requester_id
        "ticket_audits.json: audit events that are not ticket history": 15,
        # 101's rating event (18:20) is the rating satisfaction_ratings.json holds (18:20)
        "ticket_audits.json: repeated ratings of the same ticket": 1,
        "satisfaction_ratings.json: unoffered ratings (no answer)": 1,
    }


def test_agents_from_users(export: ZendeskExport) -> None:
    a = frame(export, "agents")
    assert rows_of(a, ["agent_id", "name", "team", "active", "role"]) == [
        ("2001", "Priya Raman", "Support EU", "true", "agent"),
        ("2002", "Marco Bianchi", "Billing", "true", "agent"),
        ("2003", "Sam Keller", "Phone Team", "true", "admin"),
        ("2004", "Jonas Weber", None, "false", "agent"),
    ]
    assert a.row_numbers().tolist() == [8, 9, 10, 11]


def test_good_export_validates_without_rejects(export: ZendeskExport) -> None:
    counts = {}
    for f in export.frames:
        v = validate(f)
        assert v.rejects == [], [str(r) for r in v.rejects]
        counts[f.table.name] = len(v.frame)
    assert counts == {
        "tickets": 7, "events": 59, "surveys": 3, "survey_requests": 4, "agents": 4,
    }  # fmt: skip


def test_facts_from_the_export(export: ZendeskExport) -> None:
    """Through validation, the store and the per-ticket facts: the mapping gives the numbers
    METRICS.md defines (bot replies and internal notes are not first replies, an agent's
    opening message is not a reply, a reopen is counted)."""
    from deskmetrics.config import Settings
    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.facts import Facts
    from deskmetrics.engine.store import load

    week = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    office = {"timezone": "UTC", "hours": week, "default": True}
    config = Settings.model_validate({"schedules": {"office": office}, "timezone": "UTC"})
    ws = open_duckdb(":memory:", config)
    summary = load(ws.backend.con, [validate(f) for f in export.frames], source="zendesk")
    assert not summary.rejects
    t = Facts(ws).tickets.execute().set_index("ticket_id").sort_index()
    got = t[["first_reply_minutes", "replies", "reopens", "interactions"]]
    expected = pd.DataFrame(
        {
            # 101: 08:15 → 09:40 (the 08:15:05 auto-reply does not count)
            # 102: 14:00 → 15:05 (the 14:20 internal note does not count)
            # 103: agent-created 10:00 → 13:45 (its opening message is not a reply)
            # 104: 09:00 → 09:30; 107: 12:00 → 12:02; 105 unanswered; 106 only private notes
            "first_reply_minutes": [85.0, 65.0, 225.0, 30.0, None, None, 2.0],
            "replies": [2, 1, 1, 2, 0, 0, 1],
            "reopens": [0, 0, 0, 1, 0, 0, 0],
            "interactions": [0, 0, 0, 0, 0, 1, 0],
        },
        index=pd.Index(["101", "102", "103", "104", "105", "106", "107"], name="ticket_id"),
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert t.loc["101", "first_auto_reply_minutes"] == pytest.approx(5 / 60)
    assert t.loc["104", "full_resolution_minutes"] == 1515.0  # 03-05 09:00 → 03-06 10:15


# --- the bad exports ---------------------------------------------------------------------


def test_malformed_json_names_file_line_and_column() -> None:
    with pytest.raises(ImportDataError) as err:
        read_zendesk(BAD / "malformed")
    assert str(err.value) == (
        "tickets.json is not valid JSON: Expecting ',' delimiter at line 7, column 7"
    )


def test_malformed_json_line_names_its_line() -> None:
    with pytest.raises(ImportDataError) as err:
        read_zendesk(BAD / "malformed_lines")
    assert str(err.value) == (
        "users.json is not valid JSON: Expecting ',' delimiter at line 3, column 98"
    )


def test_missing_tickets_file_says_what_is_expected() -> None:
    with pytest.raises(ImportDataError) as err:
        read_zendesk(BAD / "no_tickets")
    msg = str(err.value)
    assert msg.startswith("no tickets.json in ")
    for name in ("ticket_audits.json", "users.json", "groups.json", "satisfaction_ratings.json"):
        assert name in msg


def test_not_a_folder() -> None:
    with pytest.raises(ImportDataError, match="is not a folder"):
        read_zendesk(BAD / "no_tickets" / "users.json")


def test_rejects_name_file_row_column_and_reason() -> None:
    x = read_zendesk(BAD / "rejects")
    events = frame(x, "events")
    assert events.rejects == [
        Reject(
            "events", "ticket_audits.json", 2, "author_id",
            "comment 92010021 is by user 5555, who is not in users.json, so it cannot be told "
            "customer or agent; export users.json with every comment author",
            "5555",
        ),
        Reject("events", "ticket_audits.json", 3, "ticket_id",
               "audit has no ticket_id, so its events belong to no ticket"),
        Reject("events", "ticket_audits.json", 5, "event_id", "record is not a JSON object"),
    ]  # fmt: skip
    v = validate(events)
    assert v.rejects[3:] == [
        Reject("events", "ticket_audits.json", 4, "status",
               "unknown status (allowed: closed, hold, new, open, pending, solved)", "archived"),
    ]  # fmt: skip
    assert v.frame["event_id"].tolist() == ["9201001-92010011", "9201001-92010012"]
    surveys = validate(frame(x, "surveys"))
    assert [(r.file, r.row, r.column, r.reason, r.value) for r in surveys.rejects] == [
        ("satisfaction_ratings.json", 2, "score", "score is not on the answer's scale", "meh")
    ]
    # a via channel deskmetrics has no name for is not a reject: it is kept as given
    tickets = frame(x, "tickets")
    assert rows_of(tickets, ["ticket_id", "channel", "created_by"]) == [
        ("201", "email", "customer"),
        ("202", "sample_ticket", "agent"),
    ]
    assert validate(tickets).rejects == []


# --- file shapes and edge cases, written per test ----------------------------------------

T1 = {
    "id": 1, "created_at": "2026-03-02T08:00:00Z", "updated_at": "2026-03-02T09:00:00Z",
    "requester_id": 10, "submitter_id": 10, "status": "open", "via": {"channel": "mail"},
    "tags": ["a"],
}  # fmt: skip
T2 = {
    "id": 2, "created_at": "2026-03-03T08:00:00Z", "updated_at": "2026-03-03T08:00:00Z",
    "requester_id": 11, "submitter_id": 20, "status": "new", "via": {"channel": 29}, "tags": [],
}  # fmt: skip


def write(folder: Path, name: str, content: Any) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    (folder / name).write_text(text, encoding="utf-8")


def ticket_rows(folder: Path) -> list[tuple[Any, ...]]:
    t = frame(read_zendesk(folder), "tickets")
    return rows_of(t, ["ticket_id", "channel", "created_by", "tags"])


@pytest.mark.parametrize(
    "content",
    [
        {"tickets": [T1, T2], "next_page": None},
        [T1, T2],
        json.dumps(T1) + "\n\n" + json.dumps(T2) + "\n",
        json.dumps({"tickets": [T1]}) + "\n" + json.dumps({"tickets": [T2]}),
    ],
    ids=["api-page", "bare-array", "json-lines-records", "json-lines-pages"],
)
def test_accepted_file_shapes(tmp_path: Path, content: Any) -> None:
    write(tmp_path, "tickets.json", content)
    # no users.json: a submitter who is not the requester can only be an agent; via "mail" is
    # kept as Zendesk names it, via id 29 becomes its name "chat"
    assert ticket_rows(tmp_path) == [("1", "mail", "customer", "a"), ("2", "chat", "agent", None)]


def test_jsonl_extension_and_single_ticket_response(tmp_path: Path) -> None:
    write(tmp_path, "tickets.jsonl", {"ticket": T1})
    assert ticket_rows(tmp_path) == [("1", "mail", "customer", "a")]
    write(tmp_path, "tickets.json", [T1])
    with pytest.raises(ImportDataError, match=r"has both tickets\.json and tickets\.jsonl"):
        read_zendesk(tmp_path)


def test_empty_file_has_no_rows(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", "\n")
    t = frame(read_zendesk(tmp_path), "tickets")
    assert len(t.frame) == 0
    assert "ticket_id" in t.frame.columns
    assert validate(t).rejects == []


def test_object_of_another_kind_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", {"results": [T1], "count": 1})
    with pytest.raises(ImportDataError) as err:
        read_zendesk(tmp_path)
    assert str(err.value) == (
        'tickets.json: expected {"tickets": [...]}, a JSON array of tickets or JSON Lines with '
        "one ticket per line; found an object with the keys count, results"
    )


def test_stray_text_after_a_document(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", '{\n  "tickets": []\n}\n}\n')
    with pytest.raises(ImportDataError) as err:
        read_zendesk(tmp_path)
    assert str(err.value) == "tickets.json is not valid JSON: Extra data at line 4, column 1"


def test_incremental_versions_keep_the_latest(tmp_path: Path) -> None:
    newer = {**T1, "status": "solved", "assignee_id": 20, "updated_at": "2026-03-04T10:00:00Z"}
    write(tmp_path, "tickets.json", [newer, T2, T1])  # the older version comes last
    x = read_zendesk(tmp_path)
    t = frame(x, "tickets")
    assert rows_of(t, ["ticket_id", "assignee_id"]) == [("1", "20"), ("2", None)]
    assert t.row_numbers().tolist() == [1, 2]
    assert x.skipped == {"tickets.json: older versions of a record": 1}


def test_deleted_tickets_and_their_audits_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", [T1, {**T2, "status": "deleted"}])
    write(tmp_path, "users.json", [{"id": 10, "role": "end-user"}])
    write(tmp_path, "ticket_audits.json", {"audits": [
        {"id": 5, "ticket_id": 2, "created_at": "2026-03-03T08:00:00Z", "author_id": 11,
         "events": [{"id": 51, "type": "Comment", "author_id": 11, "body": "x", "public": True}]},
        {"id": 6, "ticket_id": 1, "created_at": "2026-03-02T08:00:00Z", "author_id": 10,
         "events": [{"id": 61, "type": "Comment", "author_id": 10, "body": "y", "public": True}]},
    ]})  # fmt: skip
    x = read_zendesk(tmp_path)
    assert rows_of(frame(x, "tickets"), ["ticket_id"]) == [("1",)]
    e = frame(x, "events")
    assert rows_of(e, ["event_id", "author_role"]) == [("6-61", "customer")]
    assert e.row_numbers().tolist() == [2]
    assert x.skipped == {
        "tickets.json: deleted tickets": 1,
        "ticket_audits.json: audits of deleted tickets": 1,
    }


def test_comment_authors_without_users_json(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", [T1])
    write(tmp_path, "ticket_audits.json", [
        {"id": 7, "ticket_id": 1, "created_at": "2026-03-02T08:00:00Z", "author_id": 10,
         "via": {"channel": "mail"}, "events": [
             {"id": 71, "type": "Comment", "author_id": 10, "body": "help", "public": True},
             {"id": 72, "type": "Comment", "author_id": -1, "body": "auto", "public": True},
             {"id": 73, "type": "Comment", "author_id": 20, "body": "hi", "public": True},
         ]},
    ])  # fmt: skip
    x = read_zendesk(tmp_path)
    e = frame(x, "events")
    assert rows_of(e, ["event_id", "author_role"]) == [("7-71", "customer"), ("7-72", "bot")]
    assert [(r.row, r.column, r.value) for r in e.rejects] == [(1, "author_id", "20")]
    assert "no users.json" in e.rejects[0].reason
    assert x.frame("agents") is None


def test_comment_made_private_later(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", [T1])
    write(tmp_path, "users.json", {"users": [{"id": 10, "role": "end-user"},
                                             {"id": 20, "role": "agent"}]})  # fmt: skip
    write(tmp_path, "ticket_audits.json", [
        {"id": 8, "ticket_id": 1, "created_at": "2026-03-02T09:00:00Z", "author_id": 20,
         "events": [
             {"id": 81, "type": "Comment", "author_id": 20, "body": "oops", "public": True},
         ]},
        {"id": 9, "ticket_id": 1, "created_at": "2026-03-02T09:01:00Z", "author_id": 20,
         "events": [
             {"id": 91, "type": "CommentPrivacyChange", "comment_id": 81, "public": False},
         ]},
    ])  # fmt: skip
    e = frame(read_zendesk(tmp_path), "events")
    assert rows_of(e, ["event_id", "author_role", "public"]) == [("8-81", "agent", "false")]


def test_rating_without_updated_at_is_answered_at_creation(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", [T1])
    write(tmp_path, "satisfaction_ratings.json", {"satisfaction_ratings": [
        {"id": 3, "ticket_id": 1, "requester_id": 10, "assignee_id": None, "score": "Good",
         "created_at": "2026-03-02T10:00:00Z", "updated_at": None},
    ]})  # fmt: skip
    s = frame(read_zendesk(tmp_path), "surveys")
    assert rows_of(s, ["response_id", "score", "answered_at", "agent_id"]) == [
        ("zendesk-csat-1", "good", "2026-03-02T10:00:00Z", None)
    ]


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        ({"channel": "email"}, "email"),
        ({"channel": "mail"}, "email"),
        ({"channel": 4}, "email"),
        ({"channel": "web_form"}, "web"),
        ({"channel": "web_widget"}, "web"),
        ({"channel": "chat_transcript"}, "chat"),
        ({"channel": "native_messaging"}, "chat"),
        ({"channel": "voice"}, "phone"),
        ({"channel": "phone_call_inbound"}, "phone"),
        ({"channel": "twitter"}, "social"),
        ({"channel": "facebook_message"}, "social"),
        ({"channel": "instagram_dm"}, "social"),
        ({"channel": "any_channel"}, "social"),
        ({"channel": "api"}, "api"),
        ({"channel": "web_service"}, "api"),
        ({"channel": "Email"}, "email"),
        ({"channel": "sample_ticket"}, "other"),
        ({"channel": "carrier_pigeon"}, "other"),
        ({"channel": None}, None),
        (None, None),
    ],
)
def test_channel_of(via: Any, expected: str | None) -> None:
    assert channel_of(via) == expected


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        ({"channel": "rule", "source": {"rel": "trigger"}}, True),
        ({"channel": "rule", "source": {"rel": "automation"}}, True),
        ({"channel": 8}, True),
        ({"channel": "system"}, True),
        ({"channel": "answer_bot_for_web_widget"}, True),
        ({"channel": "web", "source": {"rel": "trigger"}}, True),
        ({"channel": "web", "source": {"rel": None}}, False),
        ({"channel": "email", "source": {"from": {"address": "a@b.c"}}}, False),
        (None, False),
    ],
)
def test_is_automatic(via: Any, expected: bool) -> None:
    assert is_automatic(via) is expected


def test_priority_change_is_an_event_the_sla_follows(tmp_path: Path) -> None:
    """An escalation (normal at creation, Urgent at 10:00) becomes two assignment events
    carrying the priority, lowercased, at their audits' instants: the shape SLA policies read
    (tests/golden/test_sla_state.py, a priority change mid-ticket)."""
    write(tmp_path, "tickets.json", [T1])
    write(tmp_path, "ticket_audits.json", [
        {"id": 5, "ticket_id": 1, "created_at": "2026-03-02T08:00:00Z", "author_id": 10,
         "events": [{"id": 51, "type": "Create", "field_name": "priority", "value": "normal"}]},
        {"id": 6, "ticket_id": 1, "created_at": "2026-03-02T10:00:00Z", "author_id": 20,
         "events": [{"id": 61, "type": "Change", "field_name": "priority", "value": "Urgent",
                     "previous_value": "normal"}]},
    ])  # fmt: skip
    e = frame(read_zendesk(tmp_path), "events")
    cols = ["event_id", "at", "type", "priority", "assignee_id", "author_id"]
    assert rows_of(e, cols) == [
        ("5-51", "2026-03-02T08:00:00Z", "assignment", "normal", None, "10"),
        ("6-61", "2026-03-02T10:00:00Z", "assignment", "urgent", None, "20"),
    ]


def test_a_cleared_priority_is_counted_not_an_empty_event(tmp_path: Path) -> None:
    write(tmp_path, "tickets.json", [T1])
    write(tmp_path, "ticket_audits.json", [
        {"id": 6, "ticket_id": 1, "created_at": "2026-03-02T10:00:00Z", "author_id": 20,
         "events": [{"id": 61, "type": "Change", "field_name": "priority", "value": None,
                     "previous_value": "high"}]},
    ])  # fmt: skip
    x = read_zendesk(tmp_path)
    assert rows_of(frame(x, "events"), ["event_id"]) == []
    assert x.skipped == {
        "ticket_audits.json: priorities cleared (SLA keeps the earlier priority)": 1
    }


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        ({"channel": "answer_bot_for_web_widget", "source": {"rel": None}}, True),
        ({"channel": "answer_bot_for_sdk"}, True),
        ({"channel": "answer_bot_api"}, True),
        ({"channel": "answer_bot_for_agents"}, False),  # an agent sends the articles
        ({"channel": "rule", "source": {"rel": "trigger"}}, False),
        ({"channel": "native_messaging"}, False),
        (None, False),
    ],
)
def test_is_ai_agent(via: Any, expected: bool) -> None:
    assert is_ai_agent(via) is expected


def test_the_bot_answering_is_ai_agent_and_the_trigger_acknowledgement_bot(tmp_path: Path) -> None:
    """One web-widget ticket of requester 10: the customer's question through Answer Bot's
    widget (audit via answer_bot_for_web_widget, by the end user) 08:00, the trigger's
    acknowledgement (system user, via rule/trigger) 08:00, Answer Bot's answer (via
    answer_bot_for_web_widget, by the system user) 08:01, agent 20's reply 09:00."""
    ticket = {**T1, "via": {"channel": "answer_bot_for_web_widget"}}
    widget = {"channel": "answer_bot_for_web_widget", "source": {"from": {}, "to": {},
                                                                 "rel": None}}  # fmt: skip
    trigger = {"channel": "rule", "source": {"from": {"id": 7, "title": "Notify requester"},
                                             "to": {}, "rel": "trigger"}}  # fmt: skip
    write(tmp_path, "tickets.json", {"tickets": [ticket], "next_page": None})
    write(tmp_path, "users.json", {"users": [
        {"id": 10, "role": "end-user", "name": "Uma"}, {"id": 20, "role": "agent", "name": "Ana"},
        {"id": -1, "role": "admin", "name": "Zendesk"},
    ]})  # fmt: skip
    write(tmp_path, "ticket_audits.json", {"audits": [
        {"id": 5, "ticket_id": 1, "created_at": "2026-03-02T08:00:00Z", "author_id": 10,
         "via": widget, "events": [{"id": 51, "type": "Comment", "author_id": 10,
                                    "public": True, "body": "Where is my parcel?"}]},
        {"id": 6, "ticket_id": 1, "created_at": "2026-03-02T08:00:00Z", "author_id": -1,
         "via": trigger, "events": [{"id": 61, "type": "Comment", "author_id": -1,
                                     "public": True, "body": "We got your request."}]},
        {"id": 7, "ticket_id": 1, "created_at": "2026-03-02T08:01:00Z", "author_id": -1,
         "via": widget, "events": [{"id": 71, "type": "Comment", "author_id": -1,
                                    "public": True, "body": "This article may help: …"}]},
        {"id": 8, "ticket_id": 1, "created_at": "2026-03-02T09:00:00Z", "author_id": 20,
         "via": {"channel": "web", "source": {"rel": None}},
         "events": [{"id": 81, "type": "Comment", "author_id": 20, "public": True,
                     "body": "Here is your tracking link."}]},
    ], "next_page": None, "count": 4})  # fmt: skip
    e = frame(read_zendesk(tmp_path), "events")
    assert rows_of(e, ["event_id", "author_role", "author_id"], type="message") == [
        ("5-51", "customer", "10"),
        ("6-61", "bot", "-1"),
        ("7-71", "ai_agent", "-1"),
        ("8-81", "agent", "20"),
    ]
