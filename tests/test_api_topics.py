"""GET /api/topics: the topics table over HTTP, the same numbers as the CLI's."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.ticket_text import fit_topics
from test_ticket_topics import _workspace


@pytest.fixture
def client() -> TestClient:
    ws = _workspace()
    fit_topics(ws, seed=0, min_size=3)
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        token = accounts.create_token(w, "bi", "viewer")
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def test_topics_as_json_and_csv(client: TestClient) -> None:
    r = client.get("/api/topics", params={"examples": 2})
    assert r.status_code == 200, r.text
    rows = {row["topic"]: row for row in r.json()}
    assert sorted(rows) == ["t1", "t2", "t3"]
    assert rows["t1"]["tickets"] == 6 and rows["t1"]["csat"] == 50.0
    assert len(rows["t1"]["examples"].split(", ")) == 2
    csv = client.get("/api/topics", params={"format": "csv"})
    assert csv.status_code == 200
    assert list(pd.read_csv(io.StringIO(csv.text)).topic) == ["t1", "t2", "t3"]


def test_a_range_adds_the_change_and_bad_dates_are_400(client: TestClient) -> None:
    r = client.get("/api/topics", params={"from": "2026-03-02", "to": "2026-03-02"})
    assert r.status_code == 200, r.text
    assert all("change" in row for row in r.json())
    assert client.get("/api/topics", params={"from": "yesterday-ish"}).status_code == 400


def test_topics_need_a_principal(client: TestClient) -> None:
    assert TestClient(client.app).get("/api/topics").status_code == 401
