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
- GET /dashboard/alerts: the page (`?edit=<rule>` fills the form with a rule, `?test=<rule>`
  measures a rule now)
- POST /dashboard/alerts/rules (manager): create or edit a rule from the page's form
- POST /dashboard/alerts/rules/{name} (manager): `action` = mute (`hours`; empty: until
  unmuted), unmute or delete; back to the page"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Body, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from deskmetrics.accounts import Role
from deskmetrics.alerts import store
from deskmetrics.alerts.evaluate import observe
from deskmetrics.alerts.form import (
    FIELDS,
    condition,
    form_from_rule,
    rule_from_form,
    unit_of,
)
from deskmetrics.alerts.rules import all_rules, delete_rule, parse_rule, save_rule, stored_rules
from deskmetrics.alerts.scheduler import Scheduler, evaluate_unlocked
from deskmetrics.api.deps import Manager, MaybePrincipal, Service, ServiceDep, Viewer
from deskmetrics.api.routes.dashboard import _login_redirect, _safe_next
from deskmetrics.api.schemas import problems
from deskmetrics.config import AlertRule
from deskmetrics.engine.periods import utc_now
from deskmetrics.errors import ConfigError, DeskmetricsError
from deskmetrics.metrics import REGISTRY
from deskmetrics.notify.delivery import delivery_log
from deskmetrics.present import format_value


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
        "muted": [{"rule": r, "group": g} for r, g in report.muted],
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


#: the page's choices of how long a mute lasts (hours; "" = until unmuted)
MUTE_CHOICES = {"1": "1 hour", "8": "8 hours", "24": "1 day", "168": "1 week", "": "until unmuted"}
#: what each state of a rule is called on the page
STATES = {
    "firing": "firing",
    "ok": "ok",
    "not_enough_data": "not enough data",
    "error": "cannot be evaluated",
    None: "not evaluated yet",
}
BLANK_FORM = {
    **{k: "" for k in FIELDS},
    "kind": "threshold",
    "statistic": "value",
    "direction": "above",
    "window": "24h",
    "factor": "2",
    "baseline_days": "28",
    "sla_state": "breached",
}


def _group_text(group: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in group.items()) or "all tickets"


def _rule_rows(ws: Any, rules: list[tuple[AlertRule, str]], now: datetime) -> list[dict[str, Any]]:
    """Each rule with its readable condition, mute, latest check and state (firing while an
    episode is open)."""
    mutes, last = store.mutes(ws, now), store.checks(ws)
    rows = []
    for rule, src in rules:
        check = last.get(rule.name)
        state: str | None = check.state if check is not None else None
        if store.open_groups(ws, rule.name):
            state = "firing"
        value = None
        if check is not None and check.value is not None:
            value = format_value(check.value, unit_of(rule))
            if check.group:
                value += f" ({_group_text(check.group)})"
        rows.append(
            {
                "rule": rule,
                "source": src,
                "condition": condition(rule),
                "state": state or "never",
                "state_text": STATES.get(state, str(state)),
                "value": value,
                "check": check,
                "mute": mutes.get(rule.name),
            }
        )
    return rows


def _test_now(ws: Any, rule: AlertRule, settings: Any) -> dict[str, Any]:
    """The rule measured now with the evaluator's own code (`observe`), nothing recorded and
    nothing sent: each group's value, n, threshold and verdict."""
    unit = unit_of(rule)
    now = utc_now()
    try:
        observations = observe(ws, rule, settings, now)
    except DeskmetricsError as exc:
        return {"rule": rule.name, "at": now, "error": str(exc), "rows": []}
    rows = [
        {
            "group": _group_text(o.group),
            "value": format_value(o.value, unit),
            "raw": o.value,
            "n": o.n,
            "threshold": "–" if o.threshold is None else format_value(o.threshold, unit),
            "verdict": (
                ("would fire" if o.firing else "ok")
                if o.firing is not None
                else f"not enough data ({o.reason})"
            ),
        }
        for o in observations
    ]
    return {"rule": rule.name, "at": now, "error": None, "rows": rows}


@router.get("/dashboard/alerts", include_in_schema=False)
def alerts_page(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    edit: str | None = None,
    test: str | None = None,
) -> Response:
    if who is None:
        return RedirectResponse("/login?next=/dashboard/alerts", status_code=303)
    from deskmetrics.web import render

    # the rules follow GET /api/alerts/rules: managers and admins only
    may_see_rules = who.role.allows(Role.manager)
    now = utc_now()
    form, tested = dict(BLANK_FORM), None
    with svc.using() as ws:
        events = store.history(ws, 200)
        open_now = store.history(ws, 200, open_only=True)
        every_rule = all_rules(ws, svc.settings)
        rules = every_rule if may_see_rules else []
        # values in the firing table are in each rule's unit (a deleted rule's: a count)
        units = {r.name: unit_of(r) for r, _ in every_rule}
        rows = _rule_rows(ws, rules, now) if may_see_rules else []
        by_name = {r.name: (r, src) for r, src in rules}
        if may_see_rules and edit:
            if by_name.get(edit, (None, ""))[1] != "api":
                raise HTTPException(
                    404, f"edit={edit[:80]!r}: no rule added on this page by that name"
                )
            form = form_from_rule(by_name[edit][0])
        if may_see_rules and test:
            if test not in by_name:
                raise HTTPException(404, f"test={test[:80]!r}: no rule by that name")
            tested = _test_now(ws, by_name[test][0], svc.settings)
        muted = store.mutes(ws, now)
    return render(
        request,
        "alerts.html",
        active="alerts",
        events=events,
        tz=svc.settings.report_timezone,
        open_now=[e for e in open_now if e["event"] == "fired"],
        rules=rules,
        rows=rows,
        may_see_rules=may_see_rules,
        form=form,
        editing=edit if may_see_rules and edit else None,
        tested=tested,
        muted=muted,
        metrics=sorted(REGISTRY.values(), key=lambda m: m.title.lower()),
        mute_choices=MUTE_CHOICES,
        units=units,
        fmt=format_value,
    )


def _manager(who: Any) -> None:
    if not who.role.allows(Role.manager):
        raise HTTPException(403, f"managing alert rules needs the manager role; you are {who.role}")


@router.post("/dashboard/alerts/rules", include_in_schema=False)
async def save_rule_from_form(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    """Create (`mode=create`: a taken name is refused) or edit (`mode=edit`) an API rule from
    the page's form; 400 names the field to fix."""
    if who is None:
        return _login_redirect(request)
    _manager(who)
    data = await request.form()
    fields = {k: str(data.get(k) or "")[:2000] for k in (*FIELDS, "mode")}
    try:
        rule = rule_from_form(fields)
        with svc.using() as ws:
            if fields["mode"] != "edit" and any(r.name == rule.name for r in stored_rules(ws)):
                raise ConfigError(
                    f"name: a rule named {rule.name!r} exists; edit it or pick another name"
                )
            save_rule(ws, svc.settings, rule, who.name)
    except DeskmetricsError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse(_safe_next(f"/dashboard/alerts?test={rule.name}"), status_code=303)


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 366:
        raise HTTPException(400, f"hours={text[:20]!r}: give a number of hours above 0")
    return hours


@router.post("/dashboard/alerts/rules/{name}", include_in_schema=False)
async def act_on_rule(
    request: Request, name: str, svc: ServiceDep, who: MaybePrincipal
) -> Response:
    """Mute (for `hours`, or until unmuted), unmute or delete a rule; back to the page."""
    if who is None:
        return _login_redirect(request)
    _manager(who)
    data = await request.form()
    action, hours = str(data.get("action") or ""), str(data.get("hours") or "").strip()
    back = str(data.get("back") or "/dashboard/alerts")
    now = utc_now()
    try:
        with svc.using() as ws:
            if name not in {r.name for r, _ in all_rules(ws, svc.settings)}:
                raise HTTPException(404, f"no alert rule {name[:80]!r}")
            if action == "mute":
                until = None
                if hours:
                    until = now + timedelta(hours=_hours(hours))
                store.mute(ws, name, until, who.name, now)
            elif action == "unmute":
                store.unmute(ws, name)
            elif action == "delete":
                delete_rule(ws, svc.settings, name)
                store.unmute(ws, name)
            else:
                raise HTTPException(400, f"action={action[:20]!r}: mute, unmute or delete")
    except ConfigError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse(_safe_next(back), status_code=303)
