"""The FastAPI application: assembles the routers over one workspace.

Routers live in `api/routes/` (one module per concern) and read the registry and the query
layer; none computes a metric itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from deskmetrics import accounts, appstate
from deskmetrics.api import security
from deskmetrics.api.deps import Service
from deskmetrics.api.limits import BodyLimit
from deskmetrics.api.read_only import CanonicalReadOnly
from deskmetrics.api.routes import (
    ai_agent,
    alerts,
    chatwoot_webhook,
    dashboard,
    data,
    followups,
    freshdesk_webhook,
    helpscout_webhook,
    ingest,
    intercom_webhook,
    metrics,
    session,
    sla,
    staffing,
    survey_links,
    topics,
    users,
    views,
    zammad_webhook,
    zendesk_webhook,
)
from deskmetrics.api.schemas import problems
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.engine.handoff import SharedWorkspace
from deskmetrics.engine.pool import WorkspacePool
from deskmetrics.engine.workspace import ResultCache, url_without_password

#: one router per concern, in the order the OpenAPI spec lists them
ROUTE_MODULES = (
    session,
    users,
    metrics,
    ingest,
    data,
    zendesk_webhook,
    freshdesk_webhook,
    helpscout_webhook,
    intercom_webhook,
    chatwoot_webhook,
    zammad_webhook,
    survey_links,
    dashboard,
    ai_agent,
    followups,
    sla,
    staffing,
    alerts,
    views,
    topics,
)


#: refusals the OpenAPI document declares for routers that do not declare them themselves:
#: sign-in (throttled), machine ingestion (size-limited bodies; cross-site check on POST)
ROUTER_PROBLEMS = {
    session.__name__: problems(400, 401, 403, 422, 429),
    ingest.__name__: problems(400, 413),
    zendesk_webhook.__name__: problems(400, 403, 413),
    freshdesk_webhook.__name__: problems(400, 403, 413),
    helpscout_webhook.__name__: problems(400, 403, 413),
    intercom_webhook.__name__: problems(400, 403, 413),
    chatwoot_webhook.__name__: problems(400, 403, 413),
    zammad_webhook.__name__: problems(400, 403, 413),
    users.__name__: problems(400, 403, 413, 503),
    data.__name__: problems(400, 403, 413, 503),
}


def create_app(
    workspace: Workspace | WorkspacePool | Path | str,
    settings: Settings | None = None,
    secret: str | None = None,
) -> FastAPI:
    """The web service over `workspace`: an open workspace, a DuckDB file path, or a pool of
    workspaces over another engine (`--db URL`; read only, requests in parallel)."""
    if settings is None:
        if isinstance(workspace, Workspace | WorkspacePool):
            settings = workspace.settings
        else:
            settings = Settings()
    shared = None
    pool = workspace if isinstance(workspace, WorkspacePool) else None
    if isinstance(workspace, WorkspacePool):
        workspace.settings = settings  # the workspaces it opens from now on
        ws = workspace.first
    elif isinstance(workspace, Workspace):
        ws = workspace
    else:  # a file: held only while used, so `deskmetrics` commands can work on it meanwhile
        shared = SharedWorkspace(
            workspace,
            settings,
            idle_seconds=settings.web.release_idle_seconds,
            wait_seconds=settings.web.busy_wait_seconds,
        )
        ws = shared.workspace
        # results are answered again while no data arrives (Workspace.remembered); an open
        # workspace passed in stays the caller's own, computed every time
        ws.results = ResultCache()
    ws.settings = settings
    service = Service(workspace=ws, settings=settings, secret="", shared=shared, pool=pool)
    with service.using() as opened:
        appstate.ensure(opened)
        service.secret = accounts.service_secret(opened, secret or settings.web.resolved_secret())
    key = service.secret

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # routes run in worker threads, and one waiting for the workspace (a delivery behind
        # another) holds its thread: enough of them that reads answered without the
        # workspace never queue behind waiting writes
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web.threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="deskmetrics",
        version=version("deskmetrics"),
        description="Customer-service metrics from one registry: compute, drill down, ingest.",
        # served by api/security.py under the `[web] api_docs` rule
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = service
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="deskmetrics_session",
        max_age=int(settings.web.session_hours * 3600),
        same_site="lax",
        https_only=settings.web.public_url.startswith("https://"),
    )
    # outermost: an oversized or too deeply nested body is refused before anything reads it
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.web.max_body_bytes,
        max_json_depth=settings.limits.max_json_depth,
    )
    if pool is not None:  # outermost: nothing of a refused write is read
        app.add_middleware(CanonicalReadOnly, engine=url_without_password(pool.url))
    for module in ROUTE_MODULES:
        app.include_router(module.router, responses=ROUTER_PROBLEMS.get(module.__name__, {}))
    security.install(app, settings)
    return app


__all__ = ["create_app"]
