"""Survey collection and dispatch: signed, expiring links to a one-question page
(`links`), the answers it records (`answers`), and the e-mail that sends the link a set time
after a ticket is solved (`dispatch`)."""

from deskmetrics.surveys.answers import (
    AnswerError,
    MadeLink,
    UnknownTicket,
    current_answer,
    make_link,
    record_answer,
)
from deskmetrics.surveys.dispatch import DispatchReport, dispatch_due
from deskmetrics.surveys.links import (
    QUESTIONS,
    ExpiredLink,
    InvalidLink,
    LinkError,
    SurveyLink,
    make_token,
    question,
    read_token,
)

__all__ = [
    "QUESTIONS",
    "AnswerError",
    "DispatchReport",
    "ExpiredLink",
    "InvalidLink",
    "LinkError",
    "MadeLink",
    "SurveyLink",
    "UnknownTicket",
    "current_answer",
    "dispatch_due",
    "make_link",
    "make_token",
    "question",
    "read_token",
    "record_answer",
]
