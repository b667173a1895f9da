"""The read-only API: registry, reports (JSON and CSV), explanations with paging, facts.

Data (UTC, business hours Mon–Fri 09–17 UTC; 2026-03-02 is a Monday):
  T1 email  created Mon 09:00, customer message 09:00, agent reply 09:30  → first response 30 min
  T2 chat   created Mon 10:00, agent reply 11:30                          → first response 90 min
  T3 email  created Tue 09:00, never answered                             → left out
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app

ROWS: dict[str, list[dict[str, Any]]] = {
    "tickets": [
        ticket("T1", "2026-03-02T09:00:00Z", channel="email"),
        ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="chat"),
        ticket("T3", "2026-03-03T09:00:00Z", "c3", channel="email"),
    ],
    "events": [
        msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
        msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
        msg("E3", "T2", "2026-03-02T11:30:00Z", "agent", "a1"),
    ],
}


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace(ROWS)
    accounts.set_user(ws, "lead", "correct horse", "viewer")
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        token = accounts.create_token(w, "bi", "viewer")
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def _one(rows: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
    assert len(found) == 1, (where, rows)
    return found[0]


def test_every_read_endpoint_needs_a_principal(client: TestClient) -> None:
    anon = TestClient(client.app)
    for path in (
        "/api/metrics",
        "/api/metrics/volume",
        "/api/report?metric=volume",
        "/api/explain/volume",
        "/api/facts",
    ):
        assert anon.get(path).status_code == 401, path


def test_a_session_works_as_well_as_a_token(client: TestClient) -> None:
    browser = TestClient(client.app)
    r = browser.post("/api/session", json={"name": "lead", "password": "correct horse"})
    assert r.status_code == 200
    assert browser.get("/api/report", params={"metric": "volume"}).json()[0]["value"] == 3.0


def test_the_registry_lists_definitions_and_dimensions(client: TestClient) -> None:
    r = client.get("/api/metrics")
    assert r.status_code == 200
    frt = _one(r.json(), name="first_response_time")
    assert frt["unit"] == "minutes" and frt["direction"] == "lower"
    assert frt["aggregation"] == "mean"
    assert "first public reply" in frt["definition"]
    assert {"channel", "agent", "team", "weekday", "hour"} <= set(frt["dimensions"])
    one = client.get("/api/metrics/first_response_time_business").json()
    assert one["business_of"] == "first_response_time"
    missing = client.get("/api/metrics/first_respons_time")
    assert missing.status_code == 404 and "first_response_time" in missing.json()["detail"]


def test_report_json_by_channel(client: TestClient) -> None:
    r = client.get(
        "/api/report", params={"metric": ["first_response_time", "volume"], "by": "channel"}
    )
    assert r.status_code == 200
    rows = r.json()
    # email: only T1 answered → 30 min; chat: T2 → 90 min
    assert _one(rows, metric="first_response_time", channel="email")["value"] == 30.0
    assert _one(rows, metric="first_response_time", channel="chat")["n"] == 1
    assert _one(rows, metric="first_response_time", channel="chat")["value"] == 90.0
    # volume: 2 email tickets, 1 chat; counts carry no median (null, not NaN)
    vol = _one(rows, metric="volume", channel="email")
    assert vol["value"] == 2.0 and vol["p50"] is None


def test_report_with_grain_filters_and_multi_values(client: TestClient) -> None:
    r = client.get(
        "/api/report",
        params={
            "metric": "first_response_time",
            "grain": "week",
            "tz": "UTC",
            "from": "2026-03-02",
            "to": "2026-03-08",
            "where": "channel=email,chat",
        },
    )
    rows = r.json()
    assert len(rows) == 1
    # (30 + 90) / 2 = 60; median of two is their mean
    assert rows[0]["period"] == "2026-03-02T00:00:00"
    assert rows[0]["value"] == 60.0 and rows[0]["n"] == 2 and rows[0]["p50"] == 60.0
    phone = client.get(
        "/api/report", params={"metric": "first_response_time", "where": "channel=phone"}
    ).json()
    # no phone ticket: the mean is undefined → null, n = 0
    assert phone[0]["value"] is None and phone[0]["n"] == 0


def test_report_compare_previous(client: TestClient) -> None:
    rows = client.get(
        "/api/report",
        params={
            "metric": "volume",
            "from": "2026-03-03",
            "to": "2026-03-03",
            "compare": "previous",
        },
    ).json()
    # Tue: T3 → 1; the previous day (Mon): T1, T2 → 2; change −1
    assert rows[0]["value"] == 1.0 and rows[0]["previous"] == 2.0 and rows[0]["change"] == -1.0


def test_report_csv_is_a_download(client: TestClient) -> None:
    r = client.get(
        "/api/report",
        params={"metric": "first_response_time", "by": "channel", "format": "csv"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="report.csv"'
    df = pd.read_csv(io.StringIO(r.text))
    assert list(df.columns[:4]) == ["metric", "channel", "period", "value"]
    assert df.set_index("channel")["value"].to_dict() == {"chat": 90.0, "email": 30.0}


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"metric": "no_such_metric"}, "unknown metric"),
        ({"metric": "volume", "by": "shoe_size"}, "cannot be grouped or filtered by 'shoe_size'"),
        ({"metric": "volume", "where": "shoe_size=9"}, "shoe_size"),
        ({"metric": "volume", "where": "channel"}, "COLUMN=VALUE"),
        ({"metric": "volume", "from": "2026-02-30"}, "not a date"),
        ({"metric": "volume", "from": "2026-03-05", "to": "2026-03-01"}, "before it starts"),
        ({"metric": "volume", "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"metric": "volume", "compare": "previous"}, "needs a period"),
        ({"metric": "volume", "from": "0001-01-01"}, "out of range"),
        ({"metric": "volume", "tz": "UTC\x00"}, "control character"),
    ],
)
def test_bad_requests_are_4xx_with_the_reason(
    client: TestClient, params: dict[str, str], says: str
) -> None:
    r = client.get("/api/report", params=params)
    assert r.status_code == 400, r.text
    assert says in r.json()["detail"]


def test_unknown_format_or_grain_is_a_validation_error(client: TestClient) -> None:
    assert (
        client.get("/api/report", params={"metric": "volume", "grain": "fortnight"}).status_code
        == 422
    )
    assert (
        client.get("/api/report", params={"metric": "volume", "format": "xml"}).status_code == 422
    )
    assert client.get("/api/report").status_code == 422  # no metric


def test_explain_pages_through_the_tickets_behind_a_number(client: TestClient) -> None:
    first = client.get("/api/explain/first_response_time", params={"limit": 1}).json()
    assert first["counted"] == 2 and first["ids"] == ["T1"] and first["next_offset"] == 1
    assert first["left_out"] == [
        {"reason": "unanswered tickets have no first response", "count": 1, "ids": ["T3"]}
    ]
    assert "first public reply" in first["definition"]
    second = client.get("/api/explain/first_response_time", params={"limit": 1, "offset": 1}).json()
    assert second["ids"] == ["T2"] and second["next_offset"] is None
    email = client.get("/api/explain/first_response_time", params={"where": "channel=email"}).json()
    assert email["ids"] == ["T1"] and email["left_out"][0]["ids"] == ["T3"]
    assert client.get("/api/explain/nope").status_code == 400
    assert client.get("/api/explain/volume", params={"limit": 0}).status_code == 422


def test_facts_are_paged_and_filterable(client: TestClient) -> None:
    page = client.get("/api/facts", params={"limit": 2}).json()
    assert page["total"] == 3 and page["next_offset"] == 2
    assert [r["ticket_id"] for r in page["rows"]] == ["T1", "T2"]
    assert page["rows"][0]["first_reply_minutes"] == 30.0
    assert page["rows"][0]["first_reply_at"] == "2026-03-02T09:30:00"
    last = client.get("/api/facts", params={"limit": 2, "offset": 2}).json()
    assert [r["ticket_id"] for r in last["rows"]] == ["T3"] and last["next_offset"] is None
    # unanswered: no first reply (null, not NaN)
    assert last["rows"][0]["first_reply_minutes"] is None
    one = client.get("/api/facts", params={"ticket_id": "T2"}).json()
    assert one["total"] == 1 and one["rows"][0]["first_reply_minutes"] == 90.0
    csv = client.get("/api/facts", params={"format": "csv"})
    assert csv.headers["content-disposition"] == 'attachment; filename="facts.csv"'
    assert list(pd.read_csv(io.StringIO(csv.text))["ticket_id"]) == ["T1", "T2", "T3"]


def test_the_openapi_spec_describes_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/metrics", "/api/report", "/api/explain/{metric}", "/api/facts"):
        assert path in spec["paths"], path
    assert "ResultRow" in spec["components"]["schemas"]
    params = {p["name"] for p in spec["paths"]["/api/report"]["get"]["parameters"]}
    assert {"metric", "by", "grain", "tz", "from", "to", "where", "compare", "format"} <= params


def test_report_takes_a_named_metric_set(client: TestClient) -> None:
    # `surveys` stands for csat, nps, ces and survey_response_rate; a name asked twice once
    r = client.get("/api/report", params={"metric": ["volume", "surveys", "csat"]})
    assert r.status_code == 200
    got = [row["metric"] for row in r.json()]
    assert got == ["volume", "csat", "nps", "ces", "survey_response_rate"]
    assert _one(r.json(), metric="volume")["value"] == 3.0
