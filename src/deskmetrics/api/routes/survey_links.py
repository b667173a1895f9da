"""Survey links: managers make them (POST /api/survey-links); customers answer on the public
page they lead to (GET/POST /s/{token}), the only public pages besides /health.

The page is a plain HTML form (no JavaScript needed). Every problem a customer can meet — a
forged or altered link, an expired one, a ticket that is gone, an answer off the scale — is
answered with a readable page and a 4xx status, never a stack trace."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse

from deskmetrics.api.deps import Manager, ServiceDep
from deskmetrics.api.schemas import PROBLEMS, problems
from deskmetrics.surveys import answers
from deskmetrics.surveys.links import (
    ExpiredLink,
    InvalidLink,
    LinkError,
    SurveyLink,
    question,
    read_token,
)
from deskmetrics.web import render

router = APIRouter(tags=["surveys"])

_HTML = {"text/html": {"schema": {"type": "string"}}}
_UNPROCESSABLE_REF = {"$ref": "#/components/schemas/Unprocessable"}

#: longest token accepted; a genuine one is about 80–150 characters
MAX_TOKEN = 512


class SurveyLinkRequest(BaseModel):
    ticket_id: str = Field(min_length=1, max_length=200)
    kind: Literal["csat", "nps", "ces"] = "csat"
    #: days the link stays valid
    days: float = Field(default=30, gt=0, le=3650)
    #: also record a survey request (sent now) so the response rate counts it
    record_request: bool = False


class SurveyLinkOut(BaseModel):
    url: str
    token: str
    ticket_id: str
    kind: str
    expires_at: datetime
    request_id: str | None = None


@router.post(
    "/api/survey-links",
    response_model=SurveyLinkOut,
    status_code=201,
    summary="Make a signed, expiring survey link for a ticket (manager or admin)",
    responses=problems(400, 401, 403, 404, 413, 422),
)
def create_survey_link(body: SurveyLinkRequest, who: Manager, svc: ServiceDep) -> SurveyLinkOut:
    try:
        with svc.using() as ws:
            made = answers.make_link(
                ws,
                svc.secret,
                svc.settings.web.public_url,
                body.ticket_id,
                body.kind,
                days=body.days,
                record_as_sent=body.record_request,
            )
    except answers.UnknownTicket as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except LinkError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    return SurveyLinkOut(
        url=made.url,
        token=made.token,
        ticket_id=made.link.ticket_id,
        kind=made.link.kind,
        expires_at=made.link.expires_at,
        request_id=made.request_id,
    )


def _problem_page(request: Request, exc: LinkError | answers.AnswerError) -> HTMLResponse:
    if isinstance(exc, ExpiredLink):
        heading = "This survey has closed"
    elif isinstance(exc, answers.UnknownTicket):
        heading = "We cannot find this request"
    elif isinstance(exc, InvalidLink):
        heading = "This survey link does not work"
    else:
        heading = "This answer cannot be recorded"
    return render(
        request,
        "survey/error.html",
        status_code=exc.status,
        bare=True,
        body_class="survey",
        current_user=None,
        heading=heading,
        message=str(exc),
    )


def _link(svc: ServiceDep, token: str) -> SurveyLink:
    if len(token) > MAX_TOKEN:
        raise InvalidLink("this survey link is not valid: it is far too long")
    return read_token(svc.secret, token)


def _form_page(
    request: Request,
    token: str,
    link: SurveyLink,
    subject: str | None,
    selected: int | None,
    comment: str | None,
    previous: answers.StoredAnswer | None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "survey/page.html",
        status_code=status_code,
        bare=True,
        body_class="survey",
        current_user=None,
        token=token,
        question=question(link.kind),
        ticket_id=link.ticket_id,
        subject=subject,
        selected=selected,
        comment=comment,
        previous=previous,
        problem=problem,
        max_comment=answers.MAX_COMMENT,
    )


@router.get(
    "/s/{token}",
    response_class=HTMLResponse,
    summary="The public survey page a link leads to (no sign-in)",
    responses={
        404: {"description": "forged link or unknown ticket", "content": _HTML},
        410: {"description": "expired", "content": _HTML},
        422: {
            "description": "a query parameter out of bounds",
            "content": {"application/json": {"schema": _UNPROCESSABLE_REF}},
        },
    },
)
def survey_page(
    token: str,
    request: Request,
    svc: ServiceDep,
    score: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    """`?score=N` (the one-click links of the e-mail) preselects an answer; nothing is stored
    until the form is sent, so a mail scanner that follows links records nothing."""
    try:
        link = _link(svc, token)
        with svc.using() as ws:
            info = answers.require_ticket(ws, link.ticket_id)
            previous = answers.current_answer(ws, link.ticket_id, link.kind)
    except LinkError as exc:
        return _problem_page(request, exc)
    given = score if score is not None else None if previous is None else previous.score
    try:
        selected = None if given is None else answers.parse_score(link.kind, given)
    except answers.AnswerError:
        selected = None
    # the earlier comment is never shown: whoever holds the link (a forwarded e-mail, a shared
    # screen) must not read what the customer wrote; a new answer starts with an empty comment
    return _form_page(request, token, link, info.subject, selected, None, previous)


@router.post(
    "/s/{token}",
    response_class=HTMLResponse,
    summary="Record (or replace) the answer given on a survey page (no sign-in)",
    responses={
        404: {"description": "forged link or unknown ticket", "content": _HTML},
        410: {"description": "expired", "content": _HTML},
        413: {
            "description": PROBLEMS[413],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
        422: {
            "description": "no answer or an answer off the scale (the page again, saying so), "
            "or a form field out of bounds (JSON)",
            "content": {**_HTML, "application/json": {"schema": _UNPROCESSABLE_REF}},
        },
    },
)
def survey_answer(
    token: str,
    request: Request,
    svc: ServiceDep,
    score: Annotated[str | None, Form(max_length=20)] = None,
    comment: Annotated[str | None, Form(max_length=20000)] = None,
) -> HTMLResponse:
    try:
        link = _link(svc, token)
    except LinkError as exc:
        return _problem_page(request, exc)
    try:
        with svc.using() as ws:
            stored = answers.record_answer(ws, link, score, comment)
    except answers.AnswerError as exc:
        # show the form again with the problem and what was typed, so nothing is lost
        try:
            with svc.using() as ws:
                info = answers.require_ticket(ws, link.ticket_id)
                previous = answers.current_answer(ws, link.ticket_id, link.kind)
        except LinkError as gone:
            return _problem_page(request, gone)
        return _form_page(
            request,
            token,
            link,
            info.subject,
            None,
            comment,
            previous,
            problem=str(exc),
            status_code=exc.status,
        )
    except LinkError as exc:
        return _problem_page(request, exc)
    return render(
        request,
        "survey/thanks.html",
        bare=True,
        body_class="survey",
        current_user=None,
        token=token,
        question=question(link.kind),
        ticket_id=link.ticket_id,
        score=stored.score,
        comment=stored.comment,
        replaced=stored.replaced,
    )
