"""Screenshots of every dashboard page for the README (1440×900, headless Chromium), a few on a
phone (390×844, `<page>-phone.png`) and one in dark mode (`overview-dark.png`).

    python tests/browser/take_screenshots.py --db deskmetrics.duckdb --config deskmetrics.toml
    python tests/browser/take_screenshots.py --only overview --only sla   # some pages only
    python tests/browser/take_screenshots.py --only overview-phone --only sla-phone

Serves the workspace (made by `make demo`, whose data ends now) on a free loopback port with a
throwaway user, signs in and saves PNGs to docs/screenshots/. The pages show the last 14 days.
Not a test: run it after changing how pages look."""

from __future__ import annotations

import argparse
import secrets
import socket
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from playwright.sync_api import sync_playwright

from deskmetrics import accounts, load_settings, open_workspace
from deskmetrics.api import create_app

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: the last 14 days to today in the demo's time zone (the demo's data ends now)
TODAY = datetime.now(ZoneInfo("Europe/Berlin")).date()
SCOPE = f"from={TODAY - timedelta(days=13)}&to={TODAY}"
PAGES = [
    ("overview", f"/dashboard?{SCOPE}"),
    ("trends", f"/dashboard/trends?{SCOPE}"),
    ("breakdowns", f"/dashboard/breakdowns?{SCOPE}&dim=team"),
    ("heatmap", f"/dashboard/heatmap?{SCOPE}"),
    ("surveys", f"/dashboard/surveys?{SCOPE}"),
    ("ai", f"/dashboard/ai?{SCOPE}"),
    ("topics", f"/dashboard/topics?{SCOPE}"),
    ("explanation", f"/dashboard/explain?{SCOPE}&metric=first_response_time&channel=email"),
    ("filtered", f"/dashboard?{SCOPE}&channel=email&channel=chat&priority=urgent"),
    ("followups", f"/dashboard/followups?{SCOPE}&state=followup"),
    ("sla", "/dashboard/sla"),
    ("alerts", "/dashboard/alerts"),
    (
        "staffing",
        "/dashboard/staffing?channel=phone&target=80/20&shrinkage=30&max_occupancy=85"
        "&interval=60&horizon=7d&backtest_days=14",
    ),
]

#: pages also shown on a phone, and in dark mode (names from PAGES)
PHONE = ("overview", "sla")
DARK = ("overview",)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="deskmetrics.duckdb")
    ap.add_argument("--config", default="deskmetrics.toml")
    ap.add_argument("--only", action="append", help="A page to save (repeatable); default: all.")
    args = ap.parse_args()
    ws = open_workspace(args.db, load_settings(args.config))
    password = secrets.token_urlsafe(12)
    accounts.set_user(ws, "screenshots", password, "viewer")
    app = create_app(ws, secret=secrets.token_urlsafe(32))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )
            pg = b.new_page(viewport={"width": 1440, "height": 900})
            pg.set_default_timeout(180_000)
            pg.goto(base + "/login")
            pg.fill("#name", "screenshots")
            if not args.only or "login" in args.only:
                pg.screenshot(path=str(OUT / "login.png"))
            pg.fill("#password", password)
            pg.click("button[type=submit]")
            pg.wait_for_selector(".cards")
            for name, path in PAGES:
                if args.only and name not in args.only:
                    continue
                pg.goto(base + path)
                pg.wait_for_load_state("networkidle")
                time.sleep(0.5)  # let the charts finish drawing
                pg.screenshot(path=str(OUT / f"{name}.png"))
                print("saved", OUT / f"{name}.png")
            shots = [(f"{n}-phone", n, {"width": 390, "height": 844}, "light") for n in PHONE]
            shots += [(f"{n}-dark", n, {"width": 1440, "height": 900}, "dark") for n in DARK]
            paths = dict(PAGES)
            for name, page, size, scheme in shots:
                if args.only and name not in args.only:
                    continue
                pg.set_viewport_size(size)
                pg.emulate_media(color_scheme=scheme)
                pg.goto(base + paths[page])
                pg.wait_for_load_state("networkidle")
                time.sleep(0.5)
                pg.screenshot(path=str(OUT / f"{name}.png"))
                print("saved", OUT / f"{name}.png")
            b.close()
    finally:
        accounts.remove_user(ws, "screenshots")
        srv.should_exit = True


if __name__ == "__main__":
    main()
