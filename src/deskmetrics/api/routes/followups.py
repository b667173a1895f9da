"""The survey answers and their follow-ups as a page: every answer of the scope (the dashboard's
dates and filters) with its own filters — survey, score, comment text, follow-up state — and,
for the answers a team follows up (detractors, dissatisfied CSAT), who follows it up, whether
it is done and the note. Managers and admins assign, mark done (with a note) and reopen; a
viewer reads.

- GET /dashboard/followups: the page (`?kind=&score_min=&score_max=&q=&state=`; `csv=answers`)
- POST /dashboard/followups/{response_id}: `action` = assign (`assignee`), done (`note`),
  reopen; back to the page it was sent from"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from deskmetrics import accounts
from deskmetrics.accounts import Role
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.dashboard import (
    Column,
    Table,
    _clean,
    _finish,
    _login_redirect,
    _page,
    _safe_next,
    agent_names,
)
from deskmetrics.engine.surveys import (
    assign_followup,
    followups,
    mark_followup_done,
    reopen_followup,
)
from deskmetrics.errors import DeskmetricsError
from deskmetrics.query import survey_answers_in_scope

router = APIRouter()

#: the follow-up states the page filters by
STATES = {
    "all": "All answers",
    "followup": "To follow up (any state)",
    "open": "Open",
    "assigned": "Assigned",
    "done": "Done",
}
KINDS = ("csat", "nps", "ces")


def _number(value: str | None, name: str) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise HTTPException(400, f"{name}={value[:40]!r}: give a number") from exc


def _state(r: dict[str, Any]) -> str:
    if not r.get("followup"):
        return ""
    if r.get("done"):
        return "done"
    return "assigned" if r.get("assignee") else "open"


@router.get("/dashboard/followups", include_in_schema=False)
def answers_page(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    q = request.query_params
    state = q.get("state", "followup")
    if state not in STATES:
        raise HTTPException(400, f"state={state!r}: use one of {', '.join(STATES)}")
    kind = q.get("kind", "")
    if kind and kind not in KINDS:
        raise HTTPException(400, f"kind={kind!r}: use one of {', '.join(KINDS)}")
    lo, hi = _number(q.get("score_min"), "score_min"), _number(q.get("score_max"), "score_max")
    text = (q.get("q") or "").strip()
    with svc.using() as ws:
        p = _page(request, svc, ws, "surveys")
        answers = survey_answers_in_scope(ws, [kind] if kind else [], **p.scope.query_kwargs())
        queue = followups(ws, include_done=True)
        names = agent_names(svc, ws)
        people = [name for name, _ in accounts.list_users(ws)]
    followed = queue.set_index("response_id") if len(queue) else pd.DataFrame()
    score = pd.to_numeric(answers["score"], errors="coerce")
    keep = pd.Series(True, index=answers.index)
    if lo is not None:
        keep &= score >= lo
    if hi is not None:
        keep &= score <= hi
    if text:
        keep &= answers["comment"].fillna("").str.contains(text, case=False, regex=False)
    answers = answers[keep]
    table = Table(
        "answers",
        "Survey answers",
        [
            Column("answered_at", f"Answered ({p.ctx['tz']})", "instant"),
            Column("kind", "Survey"),
            Column("score", "Score"),
            Column("comment", "Comment"),
            Column("ticket_id", "Ticket", "ticket"),
            Column("agent_name", "Agent"),
            Column("channel", "Channel"),
            Column("state", "Follow-up"),
            Column("assignee", "Assigned to"),
            Column("note", "Note"),
            Column("response_id", "Answer"),
        ],
    )
    rows = []
    for _, r in answers.iterrows():
        row: dict[str, Any] = {c.key: _clean(r.get(c.key)) for c in table.columns}
        row["agent_name"] = names.get(str(r.get("agent"))) or _clean(r.get("agent"))
        rid = str(r["response_id"])
        row["followup"] = rid in followed.index
        if row["followup"]:
            f = followed.loc[rid]
            row["done"] = bool(f["done"])
            row["assignee"] = _clean(f["assignee"])
            row["note"] = _clean(f["note"])
        row["state"] = _state(row)
        if state == "all" or (state == "followup" and row["followup"]) or row["state"] == state:
            rows.append(row)
    # follow-ups oldest first (who waited longest), other answers newest first
    table.rows = sorted(
        rows, key=lambda r: (not r["followup"], str(r["answered_at"] or "")), reverse=False
    )
    may_act = who.role.allows(Role.manager)
    return _finish(
        request,
        "surveys",
        "dashboard/followups.html",
        [table],
        table=table,
        states=STATES,
        state=state,
        kinds=KINDS,
        kind=kind,
        score_min=q.get("score_min", ""),
        score_max=q.get("score_max", ""),
        text=text,
        people=people,
        may_act=may_act,
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **p.ctx,
    )


@router.post("/dashboard/followups/{response_id}", include_in_schema=False)
def act_on_followup(
    request: Request,
    response_id: str,
    svc: ServiceDep,
    who: MaybePrincipal,
    action: str = Form(...),
    assignee: str = Form(""),
    note: str = Form(""),
    back: str = Form("/dashboard/followups"),
) -> Response:
    if who is None:
        return _login_redirect(request)
    if not who.role.allows(Role.manager):
        raise HTTPException(403, f"following up answers needs the manager role; you are {who.role}")
    if len(note) > 2000 or len(assignee) > 200:
        raise HTTPException(400, "a note has at most 2,000 characters, a name 200")
    try:
        with svc.using() as ws:
            if action == "assign":
                known = {name for name, _ in accounts.list_users(ws)}
                if assignee and assignee not in known:
                    raise HTTPException(
                        400, f"{assignee!r} is no user: assign to a person who signs in"
                    )
                assign_followup(ws, response_id, assignee or None, by=who.name)
            elif action == "done":
                mark_followup_done(ws, response_id, note=note.strip() or None)
            elif action == "reopen":
                reopen_followup(ws, response_id)
            else:
                raise HTTPException(400, f"action={action!r}: assign, done or reopen")
    except DeskmetricsError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse(_safe_next(back), status_code=303)
