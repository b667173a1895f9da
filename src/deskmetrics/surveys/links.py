"""Signed, expiring survey links: `{public_url}/s/{token}`.

A token names one ticket, one survey kind and an expiry instant, signed with the service
secret (itsdangerous, HMAC-SHA1 over the payload, salted for this one use so a session cookie
can never pass as a survey link or the other way round). Nothing is stored when a link is
made: the signature is the proof, so a link made by the CLI works on any service sharing the
secret. Changing one character of a token, or the secret, makes it invalid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from deskmetrics.engine.periods import naive_utc
from deskmetrics.errors import DeskmetricsError
from deskmetrics.model import SurveyKind

#: keeps survey-link signatures apart from every other use of the service secret
SALT = "deskmetrics.survey-link.v1"
DEFAULT_DAYS = 30.0


class LinkError(DeskmetricsError):
    """A survey link that cannot be used; `status` is the HTTP status the page answers with."""

    status = 404


class InvalidLink(LinkError):
    """Forged, tampered, truncated or signed with another secret."""

    status = 404


class ExpiredLink(LinkError):
    """Genuine, but its time is over."""

    status = 410


@dataclass(frozen=True)
class Question:
    """What the page asks for one survey kind, on the scale the data model names."""

    kind: str
    scale: str
    low: int
    high: int
    text: str
    low_label: str
    high_label: str

    def labels(self) -> list[tuple[int, str]]:
        """Each answer with the words a screen reader says for it."""
        out = []
        for v in range(self.low, self.high + 1):
            words = str(v)
            if self.kind == SurveyKind.CSAT:
                words += " star" if v == 1 else " stars"
            if v == self.low:
                words += f" — {self.low_label}"
            elif v == self.high:
                words += f" — {self.high_label}"
            out.append((v, words))
        return out


#: one question per kind: CSAT 1–5 stars, NPS 0–10, CES 1–7 from very difficult to very easy
QUESTIONS: dict[str, Question] = {
    SurveyKind.CSAT: Question(
        "csat",
        "1-5",
        1,
        5,
        "How satisfied are you with the support you received?",
        "very dissatisfied",
        "very satisfied",
    ),
    SurveyKind.NPS: Question(
        "nps",
        "0-10",
        0,
        10,
        "How likely are you to recommend us to a friend or colleague?",
        "not at all likely",
        "extremely likely",
    ),
    SurveyKind.CES: Question(
        "ces",
        "1-7:higher-easier",
        1,
        7,
        "How easy was it to get your issue resolved?",
        "very difficult",
        "very easy",
    ),
}


def question(kind: str) -> Question:
    """The question for `kind`; an unknown kind is an error naming the known ones."""
    try:
        return QUESTIONS[SurveyKind(kind.lower())]
    except ValueError as exc:
        raise LinkError(f"unknown survey kind {kind!r}; use csat, nps or ces") from exc


@dataclass(frozen=True)
class SurveyLink:
    """What a valid token says: which ticket, which question, until when (UTC)."""

    ticket_id: str
    kind: str
    expires_at: datetime


def _utc(at: datetime | None) -> datetime:
    """`at` as an aware UTC datetime (naive means UTC; None means now)."""
    return naive_utc(at).replace(tzinfo=UTC)


def _serializer(secret: str) -> URLSafeSerializer:
    if not secret:
        raise LinkError("survey links need the service secret; none is configured")
    return URLSafeSerializer(secret, salt=SALT)


def make_token(
    secret: str,
    ticket_id: str,
    kind: str,
    days: float = DEFAULT_DAYS,
    now: datetime | None = None,
) -> tuple[str, SurveyLink]:
    """A signed token for the ticket's `kind` survey valid for `days` from `now`."""
    q = question(kind)
    if not ticket_id or not ticket_id.strip():
        raise LinkError("a survey link needs a ticket id")
    if not days > 0:
        raise LinkError(f"a survey link must stay valid for some time; --days is {days:g}")
    expires = _utc(now) + timedelta(days=days)
    exp = int(expires.timestamp())
    token = _serializer(secret).dumps([ticket_id, q.kind, exp])
    return token, SurveyLink(ticket_id, q.kind, datetime.fromtimestamp(exp, UTC))


def read_token(secret: str, token: str, now: datetime | None = None) -> SurveyLink:
    """The link a token stands for. Raises `InvalidLink` for a forged or altered token and
    `ExpiredLink` once its expiry has passed (the signature is checked first: an altered
    expiry is a forgery, not an expired link)."""
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature as exc:
        raise InvalidLink(
            "this survey link is not valid: it may have been cut short or changed"
        ) from exc
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not isinstance(payload[0], str)
        or payload[1] not in QUESTIONS
        or not isinstance(payload[2], int)
    ):
        raise InvalidLink("this survey link is not valid")
    expires = datetime.fromtimestamp(payload[2], UTC)
    if _utc(now) >= expires:
        raise ExpiredLink(f"this survey link expired on {expires:%d %B %Y}; thank you all the same")
    return SurveyLink(payload[0], payload[1], expires)


def link_url(public_url: str, token: str) -> str:
    """The address a customer opens: `{public_url}/s/{token}`."""
    return f"{public_url.rstrip('/')}/s/{token}"


__all__ = [
    "DEFAULT_DAYS",
    "QUESTIONS",
    "ExpiredLink",
    "InvalidLink",
    "LinkError",
    "Question",
    "SurveyLink",
    "link_url",
    "make_token",
    "question",
    "read_token",
]
