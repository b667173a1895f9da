"""Saved views on the dashboard: save the page in front of you (its range, filters and
comparison) under a name, list the views, open or share one by its link, and have one e-mailed
every week. Anyone signed in saves and opens views; a view is deleted or scheduled by whoever
saved it, or by a manager or admin.

- POST /dashboard/views: save (`name`, `path`, `query`)
- GET /dashboard/views: the list, with each view's link and weekly e-mail
- POST /dashboard/views/{name}: `action` = delete, schedule (`to`, `day`, `hour`, `timezone`),
  unschedule
- GET /dashboard/v/{name}: the view's page (the link to share)"""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from deskmetrics.accounts import Principal, Role
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.dashboard import _login_redirect
from deskmetrics.errors import DeskmetricsError
from deskmetrics.saved_views import (
    DAYS,
    VIEW_PAGES,
    delete_view,
    get_view,
    list_views,
    save_view,
    schedule_view,
    unschedule_view,
)
from deskmetrics.web import NAV, render

router = APIRouter()
PAGE_NAMES = {p.path: p.label for p in NAV} | {"/dashboard/followups": "Survey answers"}


@router.post("/dashboard/views", include_in_schema=False)
def save(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    name: str = Form(...),
    path: str = Form(...),
    query: str = Form(""),
) -> Response:
    if who is None:
        return _login_redirect(request)
    if len(query) > 4000:
        raise HTTPException(400, "a view's query has at most 4,000 characters")
    try:
        with svc.using() as ws:
            existing = get_view(ws, name.strip())
            if existing is not None and not _may_change(who, existing.created_by):
                raise HTTPException(403, f"the view {name!r} is someone else's: pick another name")
            save_view(ws, name, path, query, who.name)
    except DeskmetricsError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse("/dashboard/views?saved=" + name.strip(), status_code=303)


@router.get("/dashboard/views", include_in_schema=False)
def views_page(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    with svc.using() as ws:
        views = list_views(ws)
    return render(
        request,
        "views.html",
        active="",
        views=views,
        pages=PAGE_NAMES,
        days=DAYS,
        saved=request.query_params.get("saved", ""),
        who=who,
        may_change={v.name: _may_change(who, v.created_by) for v in views},
        public_url=svc.settings.web.public_url.rstrip("/"),
        tz=svc.settings.report_timezone,
    )


@router.post("/dashboard/views/{name}", include_in_schema=False)
def change(
    request: Request,
    name: str,
    svc: ServiceDep,
    who: MaybePrincipal,
    action: str = Form(...),
    to: str = Form(""),
    day: str = Form("mon"),
    hour: str = Form("8"),
    timezone: str = Form(""),
) -> Response:
    if who is None:
        return _login_redirect(request)
    try:
        with svc.using() as ws:
            view = get_view(ws, name)
            if view is None:
                raise HTTPException(404, f"no saved view {name!r}")
            if not _may_change(who, view.created_by):
                raise HTTPException(
                    403, "a view is changed by whoever saved it, or by a manager or admin"
                )
            if action == "delete":
                delete_view(ws, name)
            elif action == "schedule":
                try:
                    at = int(hour)
                except ValueError as exc:
                    raise HTTPException(400, "hour: a whole number from 0 to 23") from exc
                zone = timezone.strip() or svc.settings.report_timezone
                schedule_view(ws, name, to.replace(";", ",").split(","), day, at, zone, who.name)
            elif action == "unschedule":
                unschedule_view(ws, name)
            else:
                raise HTTPException(400, f"action={action!r}: delete, schedule or unschedule")
    except DeskmetricsError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse("/dashboard/views", status_code=303)


@router.get("/dashboard/v/{name}", include_in_schema=False)
def open_view(request: Request, name: str, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    with svc.using() as ws:
        view = get_view(ws, name)
    if view is None or view.path not in VIEW_PAGES:
        raise HTTPException(404, f"no saved view {name!r}: see /dashboard/views")
    return RedirectResponse(view.link, status_code=303)


def _may_change(who: Principal, owner: str | None) -> bool:
    return who.name == owner or who.role.allows(Role.manager)
