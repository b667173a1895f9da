"""What every response and every state-changing request of the web service goes through:
security headers, the cross-site request check, and the API documentation's access rule.

- **Headers.** Every response carries a Content-Security-Policy (scripts only from this
  service: the dashboard's own files and the bundled plotly.js, no inline script; styles from
  this service plus inline styles, which plotly and the heatmap's cell colours need), framing
  refused (`frame-ancestors 'none'` and `X-Frame-Options: DENY`), `nosniff`, and
  `Referrer-Policy: same-origin` (a survey link's token never leaves in a Referer).
- **Cross-site requests.** A browser sends `Origin` (else `Referer`) with a POST; an unsafe
  request (POST, PUT, PATCH, DELETE) whose Origin is neither `[web] public_url` nor the host it
  was sent to is refused with 403 before any route runs: a page elsewhere cannot use a signed-in
  person's cookie, nor sign someone in to an account of its choosing. Machines are exempt: a
  bearer token or an HMAC signature header is a credential no cross-site form can send. A
  request with neither Origin nor Referer is not a browser's cross-site request and passes.
- **API docs.** `/docs` and `/openapi.json` follow `[web] api_docs`: `"public"`, `"signed-in"`
  (default: any sign-in or token; a browser without one is sent to the sign-in page) or
  `"off"` (404). The Swagger UI page loads its script and style from FastAPI's CDN
  (jsDelivr); its CSP allows exactly that and the page's one inline script (by hash)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from deskmetrics.api.deps import MaybePrincipal
from deskmetrics.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: the policy of every page and API response
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: headers only machines send: a bearer token or an HMAC signature (ingest, Zendesk webhooks)
MACHINE_HEADERS = ("x-deskmetrics-signature", "x-zendesk-webhook-signature")
#: where /docs takes Swagger UI's script, style and icon: the files the installed
#: fastapi-offline package ships (Swagger UI 5, which reads OpenAPI 3.1), served by this
#: service, so the docs work without internet and the page's policy allows this server only
DOCS_ASSETS = "/docs/assets"
_SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
_SWAGGER_DIR = Path(str(files("fastapi_offline") / "static"))


class SecurityHeaders:
    """Adds the security headers to every response (a response that sets its own
    Content-Security-Policy, like /docs, keeps it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                for k, v in HEADERS.items():
                    if k.lower().encode() not in present:
                        headers.append((k.lower().encode(), v.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _origin(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-case; None when it has no host."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def cross_site(headers: dict[str, str], public_url: str) -> str | None:
    """Why an unsafe request with these (lower-case) headers is refused as cross-site; None
    when it may go on. Its origin must be the service's public URL or the host it was sent to
    (any scheme: a proxy in front may end TLS)."""
    if headers.get("authorization", "").lower().startswith("bearer "):
        return None
    if any(h in headers for h in MACHINE_HEADERS):
        return None
    claimed = headers.get("origin")
    if claimed is None:
        referer = headers.get("referer")
        if referer is None:
            return None  # not a browser's cross-site request (curl, scripts, tests)
        claimed = _origin(referer) or "null"
    origin = _origin(claimed) if claimed != "null" else None
    if origin is None:
        return f"cross-site request refused: origin {claimed[:100]!r} is not this service"
    if origin == _origin(public_url):
        return None
    host = headers.get("host", "").lower()
    if host and urlsplit(origin).netloc == host:
        return None
    return (
        f"cross-site request refused: origin {origin[:100]!r} is not this service "
        f"({_origin(public_url)}); send the form from the service's own pages, or use a token"
    )


class CrossSiteGuard:
    """Refuses unsafe requests from other sites (see the module docstring) with a 403."""

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self.app = app
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            why = cross_site(headers, self.public_url)
            if why is not None:
                response = JSONResponse({"detail": why}, status_code=status.HTTP_403_FORBIDDEN)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _methods_for(routes: Iterable[Any], scope: Scope) -> set[str]:
    """The methods of every route whose path matches the request's (included routers are
    walked; the app's routers carry no prefix)."""
    out: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out |= _methods_for(inner.routes, scope)
            continue
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            out |= set(getattr(route, "methods", None) or ())
    return out


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """A 405 whose Allow header lists every method the path takes (Starlette names only the
    first route's when several routes share a path, e.g. GET and POST /api/alerts/rules);
    other HTTP errors are FastAPI's."""
    if not isinstance(exc, StarletteHTTPException) or exc.status_code != 405:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (400, 404) and _reads_pages(request):
            return _error_page(request, exc)
        return await http_exception_handler(request, exc)
    methods = _methods_for(request.app.router.routes, request.scope)
    if "GET" in methods:
        methods.add("HEAD")
    allow = ", ".join(sorted(methods))
    return JSONResponse(
        {"detail": f"{request.method} is not allowed here; use {allow}"},
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": allow},
    )


def _reads_pages(request: Request) -> bool:
    """A person's browser asking for a dashboard page (not a program asking the API)."""
    path = request.url.path
    return path.startswith("/dashboard") and "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, exc: StarletteHTTPException) -> Response:
    """The refusal of a dashboard page as a page saying what was wrong (a reversed range, a
    malformed date, an unknown metric), not the API's JSON."""
    from deskmetrics.web import render

    title = "Not found" if exc.status_code == 404 else "This page cannot be shown"
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        title=title,
        detail=str(exc.detail),
        back="/dashboard",
    )


def install(app: FastAPI, settings: Settings) -> None:
    """Everything of this module on `app`: the middlewares (added last, so they run first:
    headers on every response, the cross-site check before any route), the 405 handler and
    the documentation routes."""
    app.add_middleware(CrossSiteGuard, public_url=settings.web.public_url)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
    app.include_router(docs_router(settings))


def _inline_script_hashes(page: str) -> list[str]:
    """CSP hashes of the inline scripts of a page."""
    out = []
    for body in re.findall(r"<script>(.*?)</script>", page, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        out.append(f"'sha256-{digest}'")
    return out


def docs_router(settings: Settings) -> APIRouter:
    """/openapi.json and /docs under the `[web] api_docs` rule (no routes when it is off)."""
    router = APIRouter(include_in_schema=False)
    rule = settings.web.api_docs
    if rule == "off":
        return router

    @router.get("/openapi.json")
    def openapi(request: Request, who: MaybePrincipal) -> JSONResponse:
        if rule == "signed-in" and who is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "the API description needs a sign-in (POST /api/session) or a token "
                "('Authorization: Bearer <token>')",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return JSONResponse(request.app.openapi())

    @router.get("/docs")
    def docs(request: Request, who: MaybePrincipal) -> Response:
        if rule == "signed-in" and who is None:
            return RedirectResponse("/login?next=/docs", status_code=303)
        swagger = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{request.app.title} API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )
        page = bytes(swagger.body).decode()
        policy = (
            f"default-src 'self'; script-src 'self' {' '.join(_inline_script_hashes(page))}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})

    @router.get(DOCS_ASSETS + "/{name}")
    def docs_asset(name: str) -> Response:
        """Swagger UI's files, as the installed package ships them (public: a library)."""
        if name not in _SWAGGER_FILES:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
        return FileResponse(_SWAGGER_DIR / name, headers={"Cache-Control": "public, max-age=86400"})

    return router


__all__ = [
    "CSP",
    "CrossSiteGuard",
    "SecurityHeaders",
    "cross_site",
    "docs_router",
    "install",
    "method_not_allowed",
]
