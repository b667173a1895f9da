"""The FastAPI application: assembles the routers over one workspace.

Routers live in `api/routes/` (one module per concern) and read the registry and the query
layer; none computes a metric itself."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from deskmetrics import accounts
from deskmetrics.api import security
from deskmetrics.api.deps import Service
from deskmetrics.api.routes import (
    alerts,
    dashboard,
    ingest,
    metrics,
    session,
    sla,
    survey_links,
    zendesk_webhook,
)
from deskmetrics.api.schemas import problems
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb

#: one router per concern, in the order the OpenAPI spec lists them
ROUTE_MODULES = (session, metrics, ingest, zendesk_webhook, survey_links, dashboard, sla, alerts)


#: refusals the OpenAPI document declares for routers that do not declare them themselves:
#: sign-in (throttled), machine ingestion (size-limited bodies; cross-site check on POST)
ROUTER_PROBLEMS = {
    session.__name__: problems(400, 401, 403, 422, 429),
    ingest.__name__: problems(400, 413),
    zendesk_webhook.__name__: problems(400, 403, 413),
}


def create_app(
    workspace: Workspace | Path | str, settings: Settings | None = None, secret: str | None = None
) -> FastAPI:
    """The web service over `workspace` (an open workspace or a DuckDB file path)."""
    settings = settings or (workspace.settings if isinstance(workspace, Workspace) else Settings())
    ws = workspace if isinstance(workspace, Workspace) else open_duckdb(workspace, settings)
    ws.settings = settings
    key = accounts.service_secret(ws, secret or settings.web.resolved_secret())
    app = FastAPI(
        title="deskmetrics",
        version=version("deskmetrics"),
        description="Customer-service metrics from one registry: compute, drill down, ingest.",
        # served by api/security.py under the `[web] api_docs` rule
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = Service(workspace=ws, settings=settings, secret=key)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="deskmetrics_session",
        max_age=int(settings.web.session_hours * 3600),
        same_site="lax",
        https_only=settings.web.public_url.startswith("https://"),
    )
    for module in ROUTE_MODULES:
        app.include_router(module.router, responses=ROUTER_PROBLEMS.get(module.__name__, {}))
    security.install(app, settings)
    return app


__all__ = ["create_app"]
