"""Write a realistic Zendesk Support export folder of N tickets, deterministic for a seed.

    .venv/bin/python benchmarks/gen_zendesk_export.py OUT_DIR [--tickets 1000000] [--seed 7]

Files, each JSON Lines with one API page of at most 1,000 records per line, as an incremental
export is saved (shapes follow Zendesk's API reference and tests/fixtures/zendesk/):

- tickets.json — cursor-based incremental ticket export pages (`tickets`, `after_url`,
  `after_cursor`, `before_url`, `before_cursor`, `end_of_stream`), ticket objects with `via`,
  status, priority, requester/submitter/assignee, group, organization, tags, custom fields,
  satisfaction rating, `generated_timestamp`; a few deleted tickets, as exports include them;
- ticket_audits.json — "List all ticket audits" pages (`audits`, cursors): per ticket a
  creation audit (Comment, Create subject/status/priority/group_id, tags, trigger-routed
  group), agent replies (Comment, Change assignee_id/status), customer replies, internal
  notes, solving, sometimes a group transfer or priority change and a closing automation,
  with `via` objects and metadata; about 7 Comment/Create/Change events of the kinds the
  importer maps per ticket, plus Notification/SatisfactionRating/tag events it skips;
- users.json — time-based incremental user export pages (`users`, `next_page`, `count`,
  `end_time`, `end_of_stream`): end-users (~0.35 per ticket), agents and a few admins;
- groups.json — one page of groups;
- satisfaction_ratings.json — list pages (`satisfaction_ratings`, `next_page`,
  `previous_page`, `count`): good/bad answers and offered/unoffered ratings.

Prints the counts (tickets, audits, child events, mapped events, users, ratings) and bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

PAGE = 1000
SUB = "acme"
API = f"https://{SUB}.zendesk.com/api/v2"
START = 1_704_067_200  # 2024-01-01T00:00:00Z
SPAN = 2 * 365 * 86_400  # tickets are created over two years
END_USER_BASE = 10_000_000_000
AGENT_BASE = 20_000_000_000
ORG_BASE = 30_000_000
GROUP_BASE = 360_000_000
BRANDS = (5001, 5002)
FORMS = (360000001, 360000002)
# (channel, weight): the ticket's via channel
CHANNELS = (
    ("email", 45),
    ("web", 25),
    ("chat", 10),
    ("voice", 8),
    ("api", 6),
    ("mobile_sdk", 3),
    ("twitter", 2),
    ("facebook", 1),
)
PRIORITIES = (("normal", 55), ("high", 20), ("low", 12), ("urgent", 5), (None, 8))
TYPES = ("question", "incident", "problem", "task", None)
TAGS = (
    "shipping",
    "order_status",
    "refund",
    "billing",
    "login",
    "bug",
    "feature_request",
    "vip",
    "returns",
    "account",
    "warranty",
    "delivery_delay",
)
GROUP_NAMES = (
    "Support EU",
    "Support US",
    "Billing",
    "Phone Team",
    "Tier 2",
    "Returns",
    "Onboarding",
    "Enterprise",
    "Social Media",
    "Escalations",
)
SUBJECTS = (
    "Where is my order #{n}?",
    "Charged twice for March",
    "Cannot log in to my account",
    "Refund for order {n}",
    "App crashes on start",
    "Change my delivery address",
    "Rückerstattung für Bestellung {n}",
    "Problème de connexion",
    "Pedido {n} no llegó",
    "注文 {n} が届きません",
    "Invoice {n} missing VAT number",
    "Cancel my subscription",
)
CUSTOMER_TEXT = (
    "Hi, my order #{n} from last week still hasn't arrived. Can you check?",
    "I see two charges of 49 EUR on my card for the March plan.",
    "The password reset e-mail never arrives, I checked the spam folder too.",
    "Hallo, ich warte seit zwei Wochen auf meine Rückerstattung. Grüße",
    "Bonjour, l'application se ferme dès que je l'ouvre — iPhone 15, iOS 18.",
    "Thanks, that worked! 🎉",
    "Still not fixed, I tried again this morning.",
    "Can you send the invoice again? The PDF was empty.",
)
AGENT_TEXT = (
    "Hi {name}, thanks for reaching out. I have checked your order and it is on its way.",
    "Hi {name}, I have refunded the duplicate charge; it shows up within 5 business days.",
    "Hi {name}, I have reset your login. Please try again and let us know if it works.",
    "Thanks for your patience, {name}. Our engineers are looking into it.",
    "Hi {name}, I have sent the invoice again as a PDF attachment.",
)
NOTES = (
    "Checked with the warehouse: parcel held at the depot.",
    "Escalated to Tier 2, see JIRA-4411.",
    "Customer is VIP, handle with priority.",
)
FIRST = (
    "Alice",
    "Bob",
    "Carol",
    "Dieter",
    "Erin",
    "Fatima",
    "Grace",
    "Hiro",
    "Ines",
    "José",
    "Kai",
    "Lena",
    "Mateo",
    "Noor",
    "Olga",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Zoë",
)
LAST = (
    "Moreau",
    "Lindqvist",
    "Nguyen",
    "Hahn",
    "Walsh",
    "Okafor",
    "Tanaka",
    "García",
    "Rossi",
    "Novak",
    "Kowalski",
    "Müller",
    "Silva",
    "Ali",
    "Smith",
    "Ivanova",
)
ZONES = (
    "Paris",
    "Berlin",
    "London",
    "Stockholm",
    "Amsterdam",
    "Dublin",
    "Eastern Time (US & Canada)",
    "Pacific Time (US & Canada)",
    "Tokyo",
    "Madrid",
)
CLIENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X)",
    "Zendesk Mobile/5.12 (iPhone; iOS 18.1)",
    "Mozilla/5.0 (X11; Linux x86_64)",
)


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def via(
    channel: str, rel: str | None = None, source_from: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"channel": channel, "source": {"from": source_from or {}, "to": {}, "rel": rel}}


TRIGGER_VIA = via("rule", "trigger", {"id": 360000100, "title": "Route new tickets by brand"})
AUTOMATION_VIA = via(
    "rule",
    "automation",
    {"id": 360000200, "title": "Close ticket 4 days after status is set to solved"},
)
NOTIFY_VIA = via(
    "rule", "trigger", {"id": 360000104, "title": "Notify requester of comment update"}
)


class Export:
    """Builds the export ticket by ticket; writes pages as they fill."""

    def __init__(self, out: Path, tickets: int, seed: int, texts: bool = False) -> None:
        self.out = out
        #: with `texts`, comment bodies come from benchmarks/texts.py (varied, realistic; its
        #: own generator, so every other field is as without); else the few fixed templates
        self.texts: Any = None
        if texts:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from texts import MessageTexts

            self.texts = MessageTexts(seed)
        self.n = tickets
        self.rng = random.Random(seed)
        self.end_users = max(50, int(tickets * 0.35))
        self.agents = max(8, min(2000, tickets // 5000))
        self.admins = max(2, self.agents // 40)
        self.groups = [GROUP_BASE + i for i in range(len(GROUP_NAMES))]
        # agents of each group (by index), for assignees
        self.by_group = [
            [k for k in range(self.agents) if k % len(self.groups) == g] or list(range(self.agents))
            for g in range(len(self.groups))
        ]
        self.counts = dict.fromkeys(
            ("tickets", "deleted", "audits", "events", "mapped", "users", "ratings"), 0
        )

    # --- pages -------------------------------------------------------------------------

    def write_pages(
        self, name: str, key: str, records: Iterator[dict[str, Any]], style: str
    ) -> None:
        path = self.out / f"{name}.json"
        with path.open("w", encoding="utf-8", newline="\n") as f:
            page: list[dict[str, Any]] = []
            number = 0
            for record in records:
                page.append(record)
                if len(page) == PAGE:
                    number += 1
                    self._page(f, key, page, number, style, last=False)
                    page = []
            number += 1
            self._page(f, key, page, number, style, last=True)

    def _page(
        self, f: TextIO, key: str, page: list[dict[str, Any]], number: int, style: str, last: bool
    ) -> None:
        doc: dict[str, Any] = {key: page}
        cursor = f"MTcwNDA2NzIwMC4wfHwxMjM0NTY3fA{number:08d}"
        if style == "cursor":  # incremental ticket export (cursor based), list audits
            path = "incremental/tickets/cursor" if key == "tickets" else "ticket_audits"
            doc.update(
                {
                    "after_url": None if last else f"{API}/{path}.json?cursor={cursor}",
                    "after_cursor": None if last else cursor,
                    "before_url": None,
                    "before_cursor": None,
                    "end_of_stream": last,
                }
            )
        elif style == "time":  # incremental user export (time based)
            end_time = int(max((r.get("updated_ts", START) for r in page), default=START))
            doc.update(
                {
                    "next_page": f"{API}/incremental/users.json?start_time={end_time}",
                    "count": len(page),
                    "end_time": end_time,
                    "end_of_stream": last,
                }
            )
            for r in page:
                r.pop("updated_ts", None)
        else:  # a plain list endpoint
            doc.update(
                {
                    "next_page": None if last else f"{API}/{key}.json?page={number + 1}",
                    "previous_page": None if number == 1 else f"{API}/{key}.json?page={number - 1}",
                    "count": self.counts["ratings"] if key == "satisfaction_ratings" else len(page),
                }
            )
        f.write(json.dumps(doc, ensure_ascii=False))
        f.write("\n")

    # --- users and groups --------------------------------------------------------------

    def end_user(self, k: int) -> int:
        return END_USER_BASE + k

    def agent(self, k: int) -> int:
        return AGENT_BASE + k

    def agent_group(self, agent: int) -> int:
        return self.groups[(agent - AGENT_BASE) % len(self.groups)]

    def users(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.rng.random())
        total = self.end_users + self.agents + self.admins
        for k in range(total):
            if k < self.agents + self.admins:
                uid, role = self.agent(k), "agent" if k < self.agents else "admin"
                group: int | None = self.agent_group(uid)
                email = f"agent{k}@{SUB}.example"
            else:
                e = k - self.agents - self.admins
                uid, role, group = self.end_user(e), "end-user", None
                email = f"customer{e}@example.com"
            name = f"{FIRST[k % len(FIRST)]} {LAST[(k // len(FIRST)) % len(LAST)]}"
            created = START - 86_400 * 30 + rng.randrange(SPAN)
            updated = created + rng.randrange(86_400 * 60)
            self.counts["users"] += 1
            yield {
                "id": uid,
                "url": f"{API}/users/{uid}.json",
                "name": name,
                "email": email,
                "created_at": iso(created),
                "updated_at": iso(updated),
                "time_zone": ZONES[k % 10],
                "iana_time_zone": "Europe/Paris",
                "phone": None,
                "shared_phone_number": None,
                "photo": None,
                "locale_id": 1,
                "locale": "en-US",
                "organization_id": ORG_BASE + k % 5000 if rng.random() < 0.4 else None,
                "role": role,
                "verified": True,
                "external_id": None,
                "tags": [],
                "alias": None,
                "active": True,
                "shared": False,
                "shared_agent": False,
                "last_login_at": iso(updated) if role != "end-user" else None,
                "two_factor_auth_enabled": None,
                "signature": None,
                "details": None,
                "notes": None,
                "role_type": None,
                "custom_role_id": None,
                "moderator": role != "end-user",
                "ticket_restriction": "requested" if role == "end-user" else None,
                "only_private_comments": False,
                "restricted_agent": False,
                "suspended": False,
                "default_group_id": group,
                "report_csv": role != "end-user",
                "user_fields": {},
                "updated_ts": updated,
            }

    def groups_page(self) -> Iterator[dict[str, Any]]:
        for gid, name in zip(self.groups, GROUP_NAMES, strict=True):
            yield {
                "id": gid,
                "url": f"{API}/groups/{gid}.json",
                "name": name,
                "description": f"{name} queue",
                "default": gid == self.groups[0],
                "deleted": False,
                "is_public": True,
                "created_at": "2023-02-01T08:00:00Z",
                "updated_at": "2025-06-12T09:30:00Z",
            }

    # --- tickets and their audits ------------------------------------------------------

    def run(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.write_pages("groups", "groups", self.groups_page(), "list")
        self.write_pages("users", "users", self.users(), "time")
        ratings: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []

        def tickets() -> Iterator[dict[str, Any]]:
            for i in range(self.n):
                ticket, its_audits, rating = self.ticket(i)
                audits.extend(its_audits)
                if rating is not None:
                    ratings.append(rating)
                yield ticket

        tpath = self.out / "ticket_audits.json"
        rpath = self.out / "satisfaction_ratings.json"
        # tickets, audits and ratings are written side by side, page by page
        with (
            tpath.open("w", encoding="utf-8", newline="\n") as af,
            rpath.open("w", encoding="utf-8", newline="\n") as rf,
        ):
            pages = {"audits": 0, "satisfaction_ratings": 0}

            def flush(final: bool) -> None:
                for f, key, items in (
                    (af, "audits", audits),
                    (rf, "satisfaction_ratings", ratings),
                ):
                    while len(items) >= PAGE or (final and (items or pages[key] == 0)):
                        pages[key] += 1
                        chunk = items[:PAGE]
                        del items[:PAGE]
                        last = final and not items
                        style = "cursor" if key == "audits" else "list"
                        self._page(f, key, chunk, pages[key], style, last)

            def tickets_flushing() -> Iterator[dict[str, Any]]:
                for t in tickets():
                    yield t
                    if len(audits) >= PAGE or len(ratings) >= PAGE:
                        flush(final=False)

            self.write_pages("tickets", "tickets", tickets_flushing(), "cursor")
            flush(final=True)

    def ticket(self, i: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
        rng = self.rng
        tid = i + 1
        t0 = START + (i * SPAN) // self.n + rng.randrange(600)
        requester = self.end_user(int(self.end_users * rng.random() ** 1.6))
        name = FIRST[requester % len(FIRST)]
        channel = pick(rng, CHANNELS)
        priority = pick(rng, PRIORITIES)
        routed = rng.random() < 0.7  # group set by a trigger at creation
        g = rng.randrange(len(self.groups))
        group = self.groups[g]
        assignee = self.agent(rng.choice(self.by_group[g]))
        submitter = requester
        if channel == "voice" or (channel == "api" and rng.random() < 0.5):
            submitter = assignee  # an agent opened it on the customer's behalf
        subject = rng.choice(SUBJECTS).format(n=5000 + i)
        first_text = rng.choice(CUSTOMER_TEXT).format(n=5000 + i)
        if self.texts is not None:
            first_text = self.texts.customer()
        tags = rng.sample(TAGS, rng.randrange(0, 4))
        meta = {
            "system": {
                "client": rng.choice(CLIENTS),
                "ip_address": f"203.0.{i % 250}.{i % 7 + 1}",
                "location": "Berlin, BE, Germany",
            },
            "custom": {},
        }
        audits: list[dict[str, Any]] = []
        seq = [0]
        mapped = [0]
        state = {"status": "new", "assignee": None, "group": None, "priority": priority}

        def audit(at: float, author: int, v: dict[str, Any], events: list[dict[str, Any]]) -> None:
            aid = tid * 64 + len(audits)
            for e in events:
                seq[0] += 1
                e["id"] = aid * 32 + seq[0]
                if e["type"] == "Comment":
                    e["audit_id"] = aid
            audits.append(
                {
                    "id": aid,
                    "ticket_id": tid,
                    "created_at": iso(at),
                    "author_id": author,
                    "metadata": meta,
                    "via": v,
                    "events": events,
                }
            )

        def comment(
            author: int, text: str, public: bool = True, v: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            mapped[0] += 1
            e = {
                "type": "Comment",
                "author_id": author,
                "body": text,
                "html_body": f"<p>{text}</p>",
                "plain_body": text,
                "public": public,
                "attachments": [],
            }
            if v is not None:
                e["via"] = v
            return e

        def change(
            kind: str, field: str, value: Any, previous: Any = None, v: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            if field in ("status", "assignee_id", "group_id", "priority"):
                mapped[0] += 1
            e: dict[str, Any] = {"type": kind, "field_name": field, "value": value}
            if kind == "Change":
                e["previous_value"] = previous
            if v is not None:
                e["via"] = v
            return e

        def status(at_events: list[dict[str, Any]], value: str) -> None:
            at_events.append(change("Change", "status", value, state["status"]))
            state["status"] = value

        # creation
        source_from = {"address": f"customer{requester - END_USER_BASE}@example.com", "name": name}
        cvia = via(channel, None, source_from if channel == "email" else None)
        author0 = submitter
        ev = [
            comment(requester if submitter == requester else submitter, first_text, True),
            change("Create", "subject", subject),
            change("Create", "status", "new"),
        ]
        if priority is not None:
            ev.append(change("Create", "priority", priority))
        if tags:
            ev.append(change("Create", "tags", tags))
        if routed:
            ev.append(change("Create", "group_id", str(group), v=TRIGGER_VIA))
            state["group"] = group
        if channel == "voice" or submitter != requester:
            ev[0]["author_id"] = submitter
        t = t0
        audit(t, author0, cvia, ev)
        # first agent reply (most tickets)
        solved_at: float | None = None
        if rng.random() < 0.88:
            t += 60 + int(rng.expovariate(1 / 7200))
            reply = rng.choice(AGENT_TEXT).format(name=name)
            ev = [comment(assignee, self.texts.agent() if self.texts else reply)]
            ev.append(change("Change", "assignee_id", str(assignee), None))
            state["assignee"] = assignee
            if not routed:
                ev.append(change("Change", "group_id", str(group), None))
                state["group"] = group
            solve_now = rng.random() < 0.3
            status(ev, "solved" if solve_now else "pending")
            if rng.random() < 0.3:
                ev.append(
                    {
                        "type": "Notification",
                        "subject": f"[Acme] Re: {subject}",
                        "body": "{{ticket.latest_comment_html}}",
                        "recipients": [requester],
                        "via": NOTIFY_VIA,
                    }
                )
            audit(t, assignee, via("web"), ev)
            if solve_now:
                solved_at = t
            else:
                if rng.random() < 0.25:  # the customer answers
                    t += 300 + int(rng.expovariate(1 / 20000))
                    answer = rng.choice(CUSTOMER_TEXT).format(n=5000 + i)
                    answer = self.texts.customer() if self.texts else answer
                    ev = [comment(requester, answer, v=None)]
                    status(ev, "open")
                    audit(t, requester, via(channel if channel != "voice" else "email"), ev)
                if rng.random() < 0.08:  # an internal note, maybe a transfer
                    t += 600 + int(rng.expovariate(1 / 3600))
                    note = rng.choice(NOTES)
                    note = self.texts.note() if self.texts else note
                    ev = [comment(assignee, note, public=False)]
                    if rng.random() < 0.5:
                        new_group = self.groups[rng.randrange(len(self.groups))]
                        ev.append(change("Change", "group_id", str(new_group), str(state["group"])))
                        state["group"] = new_group
                    audit(t, assignee, via("web"), ev)
                if rng.random() < 0.04 and priority is not None:
                    t += 60
                    old, new = state["priority"], "urgent" if priority != "urgent" else "high"
                    audit(t, assignee, via("web"), [change("Change", "priority", new, old)])
                    state["priority"] = new
                if rng.random() < 0.55:
                    t += 600 + int(rng.expovariate(1 / 40000))
                    ev = []
                    status(ev, "solved")
                    audit(t, assignee, via("web"), ev)
                    solved_at = t
        rating = None
        if solved_at is not None and t + 4 * 86_400 < START + SPAN and rng.random() < 0.25:
            t += 4 * 86_400
            ev = []
            status(ev, "closed")
            ev[0]["via"] = AUTOMATION_VIA
            audit(t, -1, AUTOMATION_VIA, ev)
        if solved_at is not None and rng.random() < 0.35:
            roll = rng.random()
            score = (
                "good"
                if roll < 0.4
                else "bad"
                if roll < 0.5
                else "offered"
                if roll < 0.95
                else "unoffered"
            )
            rid = 7_000_000 + tid
            rated = solved_at + 3600 + rng.randrange(86_400)
            if score in ("good", "bad"):
                audit(
                    rated,
                    requester,
                    via("web"),
                    [
                        {
                            "type": "SatisfactionRating",
                            "score": score,
                            "assignee_id": assignee,
                            "body": None,
                        }
                    ],
                )
                t = max(t, rated)
            self.counts["ratings"] += 1
            rating = {
                "id": rid,
                "url": f"{API}/satisfaction_ratings/{rid}.json",
                "assignee_id": state["assignee"],
                "group_id": state["group"],
                "requester_id": requester,
                "ticket_id": tid,
                "score": score,
                "comment": "Quick and clear"
                if score == "good" and rng.random() < 0.3
                else ("Took too long" if score == "bad" else None),
                "reason": "The issue took too long to resolve" if score == "bad" else None,
                "reason_code": 5 if score == "bad" else 0,
                "created_at": iso(solved_at + 3600),
                "updated_at": iso(rated),
            }
        deleted = rng.random() < 0.002
        final_status = "deleted" if deleted else state["status"]
        self.counts["tickets"] += 1
        self.counts["deleted"] += deleted
        self.counts["audits"] += len(audits)
        self.counts["events"] += seq[0]
        self.counts["mapped"] += mapped[0]
        ticket = {
            "url": f"{API}/tickets/{tid}.json",
            "id": tid,
            "external_id": None,
            "via": cvia,
            "created_at": iso(t0),
            "updated_at": iso(t),
            "generated_timestamp": int(t),
            "type": TYPES[tid % len(TYPES)],
            "subject": subject,
            "raw_subject": subject,
            "description": first_text,
            "priority": state["priority"],
            "status": final_status,
            "recipient": f"support@{SUB}.example" if channel == "email" else None,
            "requester_id": requester,
            "submitter_id": submitter,
            "assignee_id": state["assignee"],
            "organization_id": ORG_BASE + requester % 5000 if requester % 3 == 0 else None,
            "group_id": state["group"],
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": tags,
            "custom_fields": [
                {"id": 360010001, "value": tags[0] if tags else None},
                {"id": 360010002, "value": None},
            ],
            "satisfaction_rating": {
                "score": rating["score"],
                "id": rating["id"],
                "comment": rating["comment"],
            }
            if rating
            else None,
            "sharing_agreement_ids": [],
            "custom_status_id": 360000000 + len(final_status),
            "fields": [],
            "followup_ids": [],
            "ticket_form_id": FORMS[tid % 2],
            "brand_id": BRANDS[tid % 2],
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": channel == "chat",
        }
        return ticket, audits, rating


def generate(out: Path, tickets: int, seed: int = 7, texts: bool = False) -> dict[str, int]:
    """Write the export into `out`; the counts of what was written. `texts`: varied, realistic
    comment bodies (benchmarks/texts.py) instead of the few fixed templates."""
    export = Export(out, tickets, seed, texts)
    export.run()
    return dict(export.counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fixed-texts", action="store_true", help="the few fixed comment templates")
    args = ap.parse_args()
    t0 = time.perf_counter()
    counts = generate(args.out, args.tickets, args.seed, texts=not args.fixed_texts)
    size = sum(p.stat().st_size for p in args.out.glob("*.json"))
    print(
        f"wrote {args.out} in {time.perf_counter() - t0:.1f} s, {size / 1e6:,.0f} MB: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + f" ({counts['events'] / max(1, counts['tickets']):.2f} events, "
        f"{counts['mapped'] / max(1, counts['tickets']):.2f} mapped per ticket)"
    )


if __name__ == "__main__":
    main()
