"""Real receivers on loopback for notification tests and the alert benchmark: an SMTP server
(aiosmtpd) and a webhook receiver (http.server in a thread), both recording what arrives."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Collect:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with self.sink.cond:
            self.sink.messages.append(msg)
            self.sink.arrived.append(time.perf_counter())
            self.sink.envelopes.append(list(envelope.rcpt_tos))
            self.sink.cond.notify_all()
        return "250 OK"


@dataclass
class MailSink:
    """An SMTP server on 127.0.0.1 (a free port) keeping every message it accepts."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    controller: Controller | None = None

    def start(self) -> MailSink:
        self.port = free_port()
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.messages) >= count, timeout)


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class WebhookSink:
    """An HTTP receiver on 127.0.0.1 answering `fail_first` posts with 500, then 200."""

    fail_first: int = 0
    posts: list[Post] = field(default_factory=list)
    attempts: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None
    on_post: Callable[[Post], None] | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink.cond:
                    sink.attempts += 1
                    failing = sink.attempts <= sink.fail_first
                    if not failing:
                        sink.posts.append(
                            Post(self.path, dict(self.headers.items()), body, time.perf_counter())
                        )
                        sink.cond.notify_all()
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"receiver down" if failing else b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.posts) >= count, timeout)
