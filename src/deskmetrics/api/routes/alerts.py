"""Alert rules, alert history and the delivery log over HTTP, the dashboard's alerts page, and
the background work of the service (scheduler + delivery worker, started by this router's
lifespan and woken after every live ingest through `app.state.after_ingest`).

- GET /api/alerts/rules (manager): every rule, with where it comes from (config or api)
- POST /api/alerts/rules (manager): add or replace an API rule (JSON, the `[[alerts.rules]]`
  shape); 422 names what to fix
- DELETE /api/alerts/rules/{name} (manager): remove an API rule (config rules: 409)
- POST /api/alerts/evaluate (manager): evaluate every rule now
- GET /api/alerts/history (viewer): events newest first, with delivery status
- GET /api/alerts/deliveries (manager): the outbox log (attempts, last error)
- GET /dashboard/alerts: the page"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from deskmetrics.accounts import Role
from deskmetrics.alerts import store
from deskmetrics.alerts.rules import all_rules, delete_rule, parse_rule, save_rule
from deskmetrics.alerts.scheduler import Scheduler, evaluate_unlocked
from deskmetrics.api.deps import Manager, MaybePrincipal, Service, ServiceDep, Viewer
from deskmetrics.api.schemas import problems
from deskmetrics.config import AlertRule
from deskmetrics.errors import ConfigError
from deskmetrics.notify.delivery import delivery_log


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the scheduler and the delivery worker with the app; stop them with it."""
    svc: Service = app.state.service
    scheduler = Scheduler(svc.using, svc.settings, secret=svc.secret)
    app.state.scheduler = scheduler
    hooks = getattr(app.state, "after_ingest", None)
    if hooks is None:
        hooks = []
        app.state.after_ingest = hooks
    hooks.append(scheduler.wake)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.stop()
        if scheduler.wake in hooks:
            hooks.remove(scheduler.wake)


router = APIRouter(lifespan=lifespan, responses=problems(401, 403, 422))


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


@router.get("/api/alerts/rules", tags=["alerts"])
def list_rules(svc: ServiceDep, who: Manager) -> list[dict[str, Any]]:
    with svc.using() as ws:
        return [{**r.model_dump(), "source": src} for r, src in all_rules(ws, svc.settings)]


@router.post(
    "/api/alerts/rules",
    tags=["alerts"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(400, 409, 413),
    # the body is read as JSON and checked by the rule parser (its messages name what to fix);
    # the document shows the rule's shape
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AlertRule.model_json_schema()}},
        }
    },
)
def add_rule(
    svc: ServiceDep,
    who: Manager,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    """Add or replace an API rule. A rule that names an unknown metric, or a condition the
    kind cannot take, is a 422 whose message says what to fix."""
    try:
        rule = parse_rule(body)
        with svc.using() as ws:
            save_rule(ws, svc.settings, rule, who.name)
    except ConfigError as exc:
        code = 409 if "deskmetrics.toml" in str(exc) else 422
        raise HTTPException(code, str(exc)) from exc
    return {**rule.model_dump(), "source": "api"}


@router.delete(
    "/api/alerts/rules/{name}",
    tags=["alerts"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problems(404, 409),
)
def remove_rule(name: str, svc: ServiceDep, who: Manager) -> Response:
    try:
        with svc.using() as ws:
            found = delete_rule(ws, svc.settings, name)
    except ConfigError as exc:
        raise HTTPException(409, str(exc)) from exc
    if not found:
        raise HTTPException(404, f"no alert rule {name!r} was added through the API")
    return Response(status_code=204)


@router.post("/api/alerts/evaluate", tags=["alerts"])
def evaluate_now(request: Request, svc: ServiceDep, who: Manager) -> dict[str, Any]:
    report = evaluate_unlocked(svc.using, svc.settings)
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.delivery.wake()
    return {
        "fired": [{"rule": r, "group": g} for r, g in report.fired],
        "recovered": [{"rule": r, "group": g} for r, g in report.recovered],
        "quiet": [{"rule": r, "group": g} for r, g in report.quiet],
        "errors": report.errors,
        "queued_messages": len(report.messages),
    }


@router.get("/api/alerts/history", tags=["alerts"])
def alert_history(
    svc: ServiceDep,
    who: Viewer,
    limit: int = Query(100, ge=1, le=1000),
    rule: str | None = None,
    open: bool = False,
) -> list[dict[str, Any]]:
    with svc.using() as ws:
        return [_jsonable(r) for r in store.history(ws, limit, rule, open)]


@router.get("/api/alerts/deliveries", tags=["alerts"])
def deliveries(
    svc: ServiceDep,
    who: Manager,
    limit: int = Query(100, ge=1, le=1000),
    status: str | None = Query(None, pattern="^(pending|sent|failed)$"),
) -> list[dict[str, Any]]:
    with svc.using() as ws:
        return [_jsonable(r) for r in delivery_log(ws, limit, status)]


@router.get("/dashboard/alerts", include_in_schema=False)
def alerts_page(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return RedirectResponse("/login?next=/dashboard/alerts", status_code=303)
    from deskmetrics.web import render

    # the rules follow GET /api/alerts/rules: managers and admins only
    may_see_rules = who.role.allows(Role.manager)
    with svc.using() as ws:
        events = store.history(ws, 200)
        open_now = store.history(ws, 200, open_only=True)
        rules = all_rules(ws, svc.settings) if may_see_rules else []
    return render(
        request,
        "alerts.html",
        active="alerts",
        events=events,
        tz=svc.settings.report_timezone,
        open_now=[e for e in open_now if e["event"] == "fired"],
        rules=rules,
        may_see_rules=may_see_rules,
    )
