"""The service on a free loopback port for the browser tests (uvicorn in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL."""
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"


@contextmanager
def signed_in(
    base: str, path: str, name: str, password: str, width: int = 1440, height: int = 900
) -> Iterator[tuple[Any, list[str]]]:
    """Headless Chromium (Debian's) on `base + path`, signed in as `name` through the sign-in
    page the path redirects to; yields the page and the script errors it raised."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + path)
        page.fill("#name", name)
        page.fill("#password", password)
        page.click("button[type=submit]")
        try:
            yield page, errors
        finally:
            browser.close()


def signed_in_client(app: Any, name: str, password: str) -> Any:
    """A test client of `app` with a session for `name`."""
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.post("/login", data={"name": name, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c
