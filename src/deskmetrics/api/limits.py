"""Bounded requests: no body is read past `[web] max_body_bytes` and no JSON body nests deeper
than `[limits] max_json_depth`, so one oversized or hostile post cannot exhaust the service.

`BodyLimit` is an ASGI middleware in front of every route: a `Content-Length` over the limit is
refused at once, and a body sent without one (chunked) is read chunk by chunk only up to the
limit; either way the answer is 413 before any route parses the body or checks a signature.
A body within the limit is handed to the route unchanged (the signature covers those bytes).
JSON bodies are also checked for nesting depth without parsing them (`json_depth`): Python's
parser recurses once per level, and 1,000 levels exhaust it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import HTTPException, status
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPENING, _CLOSING = (ord("["), ord("{")), (ord("]"), ord("}"))


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in the JSON text `body` (0 for a scalar), counted
    without parsing it: brackets inside strings (escaped quotes included) are skipped. Works on
    the positions of brackets, quotes and backslashes only (vectorised), so a large body costs
    about as much as reading it once. Malformed text gets a number too; the parser rejects it
    afterwards."""
    raw = np.frombuffer(body, dtype=np.uint8)
    quotes = np.flatnonzero(raw == _QUOTE)
    slashes = np.flatnonzero(raw == _BACKSLASH)
    if slashes.size and quotes.size:
        # runs of consecutive backslashes: where each ends and how long it is
        breaks = np.flatnonzero(np.diff(slashes) != 1)
        ends = np.append(slashes[breaks], slashes[-1])
        starts = np.insert(slashes[breaks + 1], 0, slashes[0])
        # a quote right after an odd run of backslashes is escaped: part of the string
        k = np.searchsorted(ends, quotes - 1)
        k_in = np.minimum(k, ends.size - 1)
        after_run = (k < ends.size) & (ends[k_in] == quotes - 1)
        odd = (ends[k_in] - starts[k_in] + 1) % 2 == 1
        quotes = quotes[~(after_run & odd)]
    opening = (raw == _OPENING[0]) | (raw == _OPENING[1])
    brackets = np.flatnonzero(opening | (raw == _CLOSING[0]) | (raw == _CLOSING[1]))
    if brackets.size == 0:
        return 0
    # outside strings: an even number of (real) quotes before it
    outside = np.searchsorted(quotes, brackets) % 2 == 0
    steps = np.where(opening[brackets], 1, -1)[outside]
    return int(np.cumsum(steps).max(initial=0))


def too_deep(body: bytes, max_depth: int) -> str | None:
    """Why `body` nests too deeply, or None when it does not."""
    # fewer opening brackets than the limit cannot nest deeper: skip the scan (most posts)
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return None
    depth = json_depth(body)
    if depth <= max_depth:
        return None
    return (
        f"the JSON body nests {depth:,} levels deep; at most {max_depth} are accepted "
        "([limits] max_json_depth): send flat rows"
    )


def parse_json(body: bytes, max_depth: int) -> Any:
    """`body` parsed as JSON within the depth limit; HTTP 400 saying what is wrong otherwise."""
    why = too_deep(body, max_depth)
    if why is not None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, why)
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the body is not JSON: {exc}") from exc
    except RecursionError as exc:  # only with a limit above what the parser can take
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "the JSON body nests too deeply to parse: send flat rows",
        ) from exc


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"the request body is larger than {limit:,} bytes ([web] max_body_bytes): "
            "send fewer rows per request"
        },
        status.HTTP_413_CONTENT_TOO_LARGE,
    )


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


class BodyLimit:
    """ASGI middleware: read each HTTP request body up to `max_body_bytes` (413 past it) and
    refuse JSON bodies nested deeper than `max_json_depth` (400), before the app sees them."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await JSONResponse(
                        {"detail": "Content-Length is not a number of bytes"},
                        status.HTTP_400_BAD_REQUEST,
                    )(scope, receive, send)
                    return
                if declared > limit:  # refused without reading a byte of it
                    await _too_large(limit)(scope, receive, send)
                    return
        chunks: list[bytes] = []
        size = 0
        last: Message = {"type": "http.request", "body": b"", "more_body": False}
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                last = message
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(scope):
            why = too_deep(body, self.max_json_depth)
            if why is not None:
                await JSONResponse({"detail": why}, status.HTTP_400_BAD_REQUEST)(
                    scope, receive, send
                )
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if last["type"] != "http.request":
                    return last
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


__all__ = ["BodyLimit", "json_depth", "parse_json", "too_deep"]
