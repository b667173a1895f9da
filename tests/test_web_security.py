"""Web hardening (issue 12): security headers on every response, cross-site unsafe requests
refused (cookie-authenticated forms and the sign-in), viewers shown no alert rules, and the
API description behind the `[web] api_docs` rule.

The service's own origin in these tests is the TestClient's, https://testserver; the public URL
is set to https://desk.example.com (the name people use, as behind a proxy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import build_workspace, settings, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.security import CSP, cross_site

PASSWORD = "correct horse"
EVIL = "https://evil.example"
RULE = {"name": "csat-low", "metric": "csat", "below": 85, "by": ["team"], "window_hours": 168}


def make_client(tmp_path: Path, **web: Any) -> TestClient:
    cfg = settings()
    cfg.alerts.rules = []
    cfg.web.public_url = "https://desk.example.com"
    for k, v in web.items():
        setattr(cfg.web, k, v)
    ws = build_workspace(
        {"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]}, cfg, path=str(tmp_path / "w.duckdb")
    )
    accounts.set_user(ws, "lead", PASSWORD, "manager")
    accounts.set_user(ws, "agent", PASSWORD, "viewer")
    # https: the session cookie is Secure when the public URL is https
    return TestClient(create_app(ws, cfg, secret="test-secret"), base_url="https://testserver")


def sign_in(c: TestClient, name: str) -> None:
    r = c.post("/api/session", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return make_client(tmp_path)


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    sign_in(client, "lead")
    for path in ("/login", "/dashboard", "/api/metrics", "/health", "/s/forged", "/nope"):
        r = client.get(path)
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "same-origin", path
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    assert "unsafe-eval" not in CSP


def test_no_page_uses_inline_script(client: TestClient) -> None:
    sign_in(client, "lead")
    for path in ("/dashboard", "/dashboard/trends", "/dashboard/explain?metric=volume"):
        html = client.get(path).text
        assert "javascript:" not in html, path
        for tag in html.split("<script")[1:]:
            # only external files, or JSON data the browser does not run
            assert tag.startswith((' src="/dashboard/static/', ' type="application/json"')), tag


def test_a_cross_site_post_with_a_valid_session_is_refused(client: TestClient) -> None:
    sign_in(client, "lead")
    r = client.post("/api/alerts/rules", json=RULE, headers={"Origin": EVIL})
    assert r.status_code == 403
    assert r.json()["detail"].startswith(
        "cross-site request refused: origin 'https://evil.example'"
    )
    assert client.get("/api/alerts/rules").json() == []  # nothing was stored
    r = client.post("/logout", headers={"Referer": EVIL + "/page"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/api/me").status_code == 200  # still signed in
    r = client.delete("/api/session", headers={"Origin": "null"})
    assert r.status_code == 403
    # same origin (the host it was sent to, or the public URL): it works
    r = client.post("/api/alerts/rules", json=RULE, headers={"Origin": "https://testserver"})
    assert r.status_code == 201
    r = client.delete("/api/alerts/rules/csat-low", headers={"Origin": "https://desk.example.com"})
    assert r.status_code == 204
    r = client.post(
        "/logout", headers={"Referer": "https://testserver/dashboard"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert client.get("/api/me").status_code == 401


def test_a_cross_site_sign_in_is_refused(client: TestClient) -> None:
    creds = {"name": "agent", "password": PASSWORD}
    r = client.post("/api/session", json=creds, headers={"Origin": EVIL})
    assert r.status_code == 403
    r = client.post("/login", data=creds, headers={"Origin": EVIL}, follow_redirects=False)
    assert r.status_code == 403
    assert "deskmetrics_session" not in client.cookies
    r = client.post(
        "/login", data=creds, headers={"Origin": "https://testserver"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_machines_with_a_token_are_not_asked_for_an_origin(client: TestClient) -> None:
    with client.app.state.service.using() as w:  # type: ignore[attr-defined]
        token = accounts.create_token(w, "ops", "manager")
    r = client.post(
        "/api/alerts/rules",
        json=RULE,
        headers={"Origin": EVIL, "Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({}, False),  # no Origin, no Referer: not a browser's cross-site request
        ({"origin": "http://testserver", "host": "testserver"}, False),
        ({"origin": "https://testserver", "host": "testserver"}, False),  # TLS ended by a proxy
        ({"origin": "https://desk.example.com", "host": "10.0.0.5:8000"}, False),
        ({"origin": "https://desk.example.com.evil.example", "host": "testserver"}, True),
        ({"referer": "https://evil.example/x", "host": "testserver"}, True),
        ({"origin": "null", "host": "testserver"}, True),
        ({"origin": EVIL, "x-deskmetrics-signature": "sha256=00"}, False),  # HMAC-signed
        ({"origin": EVIL, "authorization": "Bearer dm_x_y"}, False),
    ],
)
def test_the_cross_site_rule(headers: dict[str, str], refused: bool) -> None:
    assert (cross_site(headers, "https://desk.example.com") is not None) is refused


def test_viewers_see_no_alert_rules_on_the_dashboard(client: TestClient) -> None:
    sign_in(client, "lead")
    assert client.post("/api/alerts/rules", json=RULE).status_code == 201
    assert "csat-low" in client.get("/dashboard/alerts").text
    client.delete("/api/session")
    sign_in(client, "agent")
    assert client.get("/api/alerts/rules").status_code == 403
    page = client.get("/dashboard/alerts")
    assert page.status_code == 200
    assert "csat-low" not in page.text
    assert "Alert rules are shown to managers and admins." in page.text


def test_api_docs_need_a_sign_in_by_default(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 401 and "sign-in" in r.json()["detail"]
    r = client.get("/docs", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/docs"
    sign_in(client, "agent")
    assert client.get("/openapi.json").json()["info"]["title"] == "deskmetrics"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    policy = docs.headers["content-security-policy"]
    # Swagger UI comes from this server (the installed swagger-ui-bundle), never a CDN
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text and "cdn." not in docs.text
    assert "https://" not in policy and "'sha256-" in policy
    assert "frame-ancestors 'none'" in policy
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    assert client.get("/docs/assets/..%2Fpyproject.toml").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_api_docs_can_be_public(tmp_path: Path) -> None:
    c = make_client(tmp_path, api_docs="public")
    assert c.get("/openapi.json").status_code == 200
    assert c.get("/docs").status_code == 200


def test_api_docs_can_be_off(tmp_path: Path) -> None:
    c = make_client(tmp_path, api_docs="off")
    sign_in(c, "lead")
    assert c.get("/openapi.json").status_code == 404
    assert c.get("/docs").status_code == 404


def test_a_405_lists_every_method_the_path_takes(client: TestClient) -> None:
    sign_in(client, "lead")
    r = client.put("/api/alerts/rules", headers={"Origin": "https://testserver"})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert r.json() == {"detail": "PUT is not allowed here; use GET, HEAD, POST"}
    r = client.patch("/api/session", headers={"Origin": "https://testserver"})
    assert r.status_code == 405 and r.headers["allow"] == "DELETE, POST"
    # other errors keep FastAPI's shape
    assert client.get("/api/metrics/nope").json()["detail"].startswith("unknown metric")
