"""Survey dispatch: e-mail the survey link a set time after a ticket is solved.

One pass (`dispatch_due`) looks at the tickets whose latest solve lies between
`now - delay - window` and `now - delay` and that are still solved or closed now (a ticket
reopened before its survey went out is not surveyed; solved again, its delay starts over).
It skips a ticket that already has a request or an answer of the dispatch kind, and a customer
who was sent a survey, or answered one, within the quiet period (and, within one pass, every
ticket of a customer after the first). The address is the customer's (customers column
`email_column`, default `email`), else the ticket's `requester_email` column; a ticket without
one is skipped and counted. Each mail that the server accepts is recorded at once in
`survey_requests` (`link-{kind}-{ticket}`, sent at `now`), which is what makes the next pass
send nothing again; a mail the server refuses is not recorded, so the next pass tries again
until the ticket leaves the window. Passes are idempotent and safe to run on a schedule."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any

from deskmetrics import accounts
from deskmetrics.config import Settings, SurveyDispatch
from deskmetrics.engine.kept import current_facts
from deskmetrics.engine.periods import naive_utc
from deskmetrics.engine.store import q
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.notify import NotificationError
from deskmetrics.notify.email import send_email
from deskmetrics.surveys.answers import record_request, response_id
from deskmetrics.surveys.links import Question, SurveyLink, link_url, make_token, question

#: the tickets column read when the customer has no address
TICKET_EMAIL_COLUMN = "requester_email"

#: sends one e-mail: (settings, to, subject, text, html) — `notify.email.send_email` by default
Mailer = Callable[[Settings, Sequence[str], str, str, str], None]


@dataclass(frozen=True)
class SentSurvey:
    ticket_id: str
    customer_id: str | None
    email: str
    request_id: str
    url: str


@dataclass
class DispatchReport:
    """What one pass did. `skipped_*` are ticket counts; `failed` holds (ticket, reason)."""

    now: datetime
    enabled: bool = True
    kind: str = "csat"
    due: int = 0
    sent: list[SentSurvey] = field(default_factory=list)
    skipped_already_surveyed: int = 0
    skipped_quiet_period: int = 0
    skipped_no_email: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    waiting: int = 0

    def summary(self) -> str:
        if not self.enabled:
            return "survey dispatch is off: set enabled = true under [surveys.dispatch]"
        return (
            f"{len(self.sent)} {self.kind} survey(s) sent of {self.due} due; skipped: "
            f"{self.skipped_already_surveyed} already surveyed, {self.skipped_quiet_period} in "
            f"the quiet period, {len(self.skipped_no_email)} without an e-mail address; "
            f"{len(self.failed)} failed (retried next pass); {self.waiting} solved and waiting "
            "for the delay"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "enabled": self.enabled,
            "kind": self.kind,
            "due": self.due,
            "sent": [vars(s) for s in self.sent],
            "skipped_already_surveyed": self.skipped_already_surveyed,
            "skipped_quiet_period": self.skipped_quiet_period,
            "skipped_no_email": self.skipped_no_email,
            "failed": [{"ticket_id": t, "reason": r} for t, r in self.failed],
            "waiting": self.waiting,
        }


def _columns(con: Any, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def _candidates(ws: Workspace, lo: datetime, hi: datetime, now: datetime) -> tuple[list[Any], int]:
    """Tickets solved (now) with their latest solve in (lo, hi], oldest first; and the number
    solved after `hi` (waiting for the delay). Read from the per-ticket facts, so "solved" and
    "solved at" mean exactly what the metrics mean (one query for both)."""
    t = current_facts(ws).tickets
    recent = t.filter(t.is_solved & (t.last_solved_at > lo) & (t.last_solved_at <= now))
    df = ws.backend.execute(
        recent.select("ticket_id", "requester_id", "subject", "last_solved_at").order_by(
            ["last_solved_at", "ticket_id"]
        )
    )
    rows = list(df.itertuples(index=False))
    due = [r for r in rows if r.last_solved_at.to_pydatetime() <= hi]
    return due, len(rows) - len(due)


def _surveyed_tickets(con: Any, kind: str) -> set[str]:
    """Tickets with a request (of this kind, or of no kind) or an answer of this kind."""
    rows = con.execute(
        "SELECT ticket_id FROM survey_requests WHERE ticket_id IS NOT NULL AND "
        "(kind IS NULL OR kind = ?) UNION SELECT ticket_id FROM surveys WHERE ticket_id IS NOT "
        "NULL AND kind = ?",
        [kind, kind],
    ).fetchall()
    return {r[0] for r in rows}


def _recently_surveyed(con: Any, since: datetime) -> set[str]:
    """Customers sent a survey (any kind) or answering one after `since`: the request's or
    answer's customer, else its ticket's requester."""
    rows = con.execute(
        "SELECT coalesce(r.customer_id, t.requester_id) FROM survey_requests r LEFT JOIN tickets "
        "t ON t.ticket_id = r.ticket_id WHERE r.sent_at > ? UNION SELECT coalesce(s.customer_id, "
        "t.requester_id) FROM surveys s LEFT JOIN tickets t ON t.ticket_id = s.ticket_id "
        "WHERE s.answered_at > ?",
        [since, since],
    ).fetchall()
    return {r[0] for r in rows if r[0] is not None}


def _addresses(con: Any, cfg: SurveyDispatch, tickets: list[str]) -> dict[str, str]:
    """ticket id → e-mail address (the customer's, else the ticket's requester_email)."""
    if not tickets:
        return {}
    sources = []
    if cfg.email_column in _columns(con, "customers"):
        sources.append(f"nullif(trim(c.{q(cfg.email_column)}), '')")
    if TICKET_EMAIL_COLUMN in _columns(con, "tickets"):
        sources.append(f"nullif(trim(t.{q(TICKET_EMAIL_COLUMN)}), '')")
    if not sources:
        return {}
    expr = sources[0] if len(sources) == 1 else f"coalesce({', '.join(sources)})"
    con.execute("CREATE OR REPLACE TEMP TABLE _dispatch_ids (ticket_id VARCHAR)")
    con.executemany("INSERT INTO _dispatch_ids VALUES (?)", [[t] for t in tickets])
    rows = con.execute(
        f"SELECT t.ticket_id, {expr} FROM tickets t JOIN _dispatch_ids d ON d.ticket_id = "
        "t.ticket_id LEFT JOIN customers c ON c.customer_id = t.requester_id"
    ).fetchall()
    con.execute("DROP TABLE _dispatch_ids")
    return {r[0]: r[1] for r in rows if r[1]}


def survey_email(qn: Question, url: str, subject: str | None) -> tuple[str, str]:
    """The plain-text and HTML bodies: the question, one link per answer (the page opens with
    that answer picked and asks to confirm, so a mail scanner following links records
    nothing) and the plain link."""
    about = f" about “{subject}”" if subject else ""
    text = (
        f"Hello,\n\nwe recently solved your request{about}. {qn.text}\n\n"
        f"Answer in one click ({qn.low} = {qn.low_label}, {qn.high} = {qn.high_label}):\n"
        f"{url}\n\nThank you — every answer is read by the team.\n"
    )
    cells = "".join(
        f'<td style="padding:2px"><a href="{escape(url)}?score={v}" style="display:inline-block;'
        "min-width:28px;padding:8px 6px;border:1px solid #c7cdd6;border-radius:6px;"
        'text-align:center;text-decoration:none;color:#1f2937;font:600 15px sans-serif">'
        f"{'★' * v if qn.kind == 'csat' else v}</a></td>"
        for v in range(qn.low, qn.high + 1)
    )
    html = (
        '<div style="font:15px/1.5 sans-serif;color:#1f2937;max-width:560px">'
        f"<p>Hello,</p><p>we recently solved your request{escape(about)}.</p>"
        f"<p><strong>{escape(qn.text)}</strong></p>"
        f'<table role="presentation"><tr>{cells}</tr></table>'
        f'<p style="color:#6b7280;font-size:13px">{qn.low} = {escape(qn.low_label)}, {qn.high} = '
        f"{escape(qn.high_label)}</p>"
        f'<p>Or open the survey: <a href="{escape(url)}">{escape(url)}</a></p>'
        "<p>Thank you — every answer is read by the team.</p></div>"
    )
    return text, html


def _send(settings: Settings, to: Sequence[str], subject: str, text: str, html: str) -> None:
    send_email(settings, to, subject, text, html)


def dispatch_due(
    ws: Workspace,
    settings: Settings | None = None,
    now: datetime | None = None,
    mailer: Mailer | None = None,
    secret: str | None = None,
) -> DispatchReport:
    """One dispatch pass at `now` (default: the current time); see the module docstring.

    `secret` signs the links (default: the service secret, exactly as `deskmetrics serve`
    resolves it, so the links work on the service). The service's scheduler calls this with
    the workspace in hand (`with svc.using() as ws`)."""
    settings = settings or ws.settings
    cfg = settings.surveys.dispatch
    at = naive_utc(now)
    report = DispatchReport(now=at, enabled=cfg.enabled, kind=cfg.kind)
    if not cfg.enabled:
        return report
    send = mailer or _send
    key = secret or accounts.service_secret(ws, settings.web.resolved_secret())
    qn = question(cfg.kind)
    con = duckdb_connection(ws)
    hi = at - timedelta(hours=cfg.delay_hours)
    lo = hi - timedelta(days=cfg.window_days)
    rows, report.waiting = _candidates(ws, lo, hi, at)
    report.due = len(rows)
    done = _surveyed_tickets(con, qn.kind)
    quiet: set[str] = set()
    if cfg.quiet_days:
        quiet = _recently_surveyed(con, at - timedelta(days=cfg.quiet_days))
    fresh = [r for r in rows if r.ticket_id not in done]
    report.skipped_already_surveyed = len(rows) - len(fresh)
    addresses = _addresses(con, cfg, [r.ticket_id for r in fresh])
    for r in fresh:
        customer = r.requester_id
        if customer in quiet:
            report.skipped_quiet_period += 1
            continue
        to = addresses.get(r.ticket_id)
        if to is None:
            report.skipped_no_email.append(r.ticket_id)
            continue
        token, link = make_token(key, r.ticket_id, qn.kind, days=cfg.link_days, now=at)
        url = link_url(settings.web.public_url, token)
        text, html = survey_email(qn, url, r.subject if isinstance(r.subject, str) else None)
        try:
            send(settings, [to], cfg.subject, text, html)
        except NotificationError as exc:
            report.failed.append((r.ticket_id, str(exc)))
            continue
        rid = response_id(r.ticket_id, qn.kind)
        record_request(ws, SurveyLink(r.ticket_id, qn.kind, link.expires_at), rid, at, customer)
        report.sent.append(SentSurvey(r.ticket_id, customer, to, rid, url))
        if cfg.quiet_days and customer is not None:
            quiet.add(customer)
    return report


__all__ = ["DispatchReport", "Mailer", "SentSurvey", "dispatch_due", "survey_email"]
