"""Synthetic help-desk data: a realistic canonical data set of any size, for demos, tests and
benchmarks.

Everything is drawn vectorized with numpy, `CHUNK` tickets at a time, and written incrementally,
so ten million tickets take minutes and bounded memory. The same seed gives the same data.

How a ticket unfolds. Every ticket has the same fixed sequence of possible events, the *slots*
(opening message, status new, bot acknowledgement, assignment, ..., reopen, closed). Scenario
flags drawn per ticket decide which slots occur; the time from one occurring slot to the next is
drawn per slot, on the customer's clock (calendar time) or on the agents' clock, which runs at
full speed during office hours (Europe/Berlin) and crawls at night, at weekends and on public
holidays. The events of a ticket are its occurring slots in slot order, so they are ordered by
construction. Events after the end of the period have not happened yet and are left out: tickets
created near the end are still open, as in a real export.

Adding a table is adding a function: one that returns a chunk's rows (`_CHUNK_TABLES`, for tables
that follow the tickets, such as surveys) or one that yields the rows of the whole data set once
all tickets are drawn (`_WORLD_TABLES`, for tables such as customers), plus its Arrow schema in
`_SCHEMAS`. What the tickets tell the later tables (each customer's first and last contact,
volume per month) is gathered in `_World`.

The other tables follow the tickets, so that the demo shows every metric:
- surveys and survey_requests: about 90% of solved tickets that had a human reply get a survey
  a day after their last solve (CSAT 1-5, or good/bad on chat; NPS 0-10; CES 1-7, higher is
  easier), and about a third of those answer within hours. Scores follow the ticket's
  experience (a slow first reply for its channel, a reopen, more back and forth, a reassignment,
  the agent), and bad answers carry comments more often, saying what went wrong. Answers name
  the ticket, its requester, its assignee and its channel; ids follow the ticket numbers
  (R…/Q… for T…).
- customers and subscriptions share one draw of each customer's lifetime: paying customers
  (every tier but free) subscribe when they become customers and their last subscription ends
  when they churn; some change plan once during the period (an upgrade or a downgrade: the
  subscription ends and a new one starts at the new price).
- social_posts (a few a week per platform; some without impressions) and mentions (a trickle
  that follows ticket volume, and a clear spike after the busiest ticket day, an outage).
Each of these tables draws from its own random stream, so adding one never changes another.

A demo is measured at the end of the period, its present (`generate(present=True)`, which
`deskmetrics sample` asks for): tickets left open or never answered are settled after a day or
two, so the open backlog and its SLA breaches are the last days' work; an outage three days
before the end brings a surge of tickets (a bulk reply answers most within the hour) and a
spike of mentions that the demo's alert rules catch.

With an AI agent (`generate(ai_agent=True)`, which `deskmetrics sample` asks for too), it
answers most customer-created chat and web tickets within seconds (author `ai-fin`, role
`ai_agent`): about 40% of those it solves alone (nobody's tickets, no person writes), a few of
them wrongly (the customer writes again within days); the others it hands to a person, and
they go on as usual. Its draws come from a stream of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import holidays
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["CHUNK", "DEFAULT_START", "Format", "default_days", "generate"]

Format = Literal["parquet", "csv", "jsonl"]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
Mask = npt.NDArray[np.bool_]
Idx = npt.NDArray[np.integer[Any]]
Gap = tuple[float | npt.NDArray[np.float64], float | npt.NDArray[np.float64]]

#: Tickets drawn and written per step (bounds the memory, whatever the size of the data set).
CHUNK = 250_000
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
#: Time zone of the help desk (office hours, holidays) and of the demo's default schedule.
LOCAL_TZ = "Europe/Berlin"
MAX_DAYS = 730
MAX_CUSTOMERS = 5_000_000

HOUR = 3600
DAY = 86_400
_NEVER = np.iinfo(np.int64).max

# --- vocabularies --------------------------------------------------------------------------------

CHANNELS = ("email", "web", "chat", "phone", "social", "api")
_EMAIL, _WEB, _CHAT, _PHONE, _SOCIAL, _API = range(6)
_CHANNEL_P_OFFICE = (0.34, 0.18, 0.22, 0.15, 0.05, 0.06)
_CHANNEL_P_OFF_HOURS = (0.52, 0.25, 0.05, 0.01, 0.09, 0.08)
#: median first-reply delay on the agents' clock (seconds of office time), per channel
_FIRST_REPLY_MEDIAN = (2.5 * HOUR, 2.0 * HOUR, 60.0, 60.0, 0.7 * HOUR, 3.0 * HOUR)

PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_P = (0.15, 0.60, 0.19, 0.06)
_PRIORITY_DELAY = np.array([1.6, 1.0, 0.55, 0.2])

GROUPS = ("technical", "billing", "accounts", "sales", "escalations")
_GROUP_P = (0.40, 0.25, 0.20, 0.15, 0.0)  # escalations only receives reassigned tickets
_TEAM_P = (0.34, 0.22, 0.18, 0.12, 0.14)
_ESCALATIONS = 4
_CONVERSION_P = np.array([0.02, 0.07, 0.03, 0.30, 0.02])

TIERS = ("free", "standard", "premium", "enterprise")
_TIER_P = (0.45, 0.35, 0.15, 0.05)
SEGMENTS = ("consumer", "smb", "mid-market", "enterprise")
COUNTRIES = ("DE", "AT", "CH", "FR", "NL", "ES", "IT", "PL", "SE", "GB", "IE", "US", "CA")
_COUNTRY_P = (0.38, 0.07, 0.06, 0.08, 0.07, 0.04, 0.04, 0.03, 0.03, 0.10, 0.02, 0.06, 0.02)
REGIONS = ("DACH", "EU", "UK", "NA")
_COUNTRY_REGION = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3])
#: tickets of customers in North America are measured against the demo's US schedule
_US_SCHEDULE = "support-us"

BRANDS = ("Nimbus", "Nimbus Pay")
_BRAND_P = (0.72, 0.28)
_PRODUCTS = (("Nimbus Cloud", "Nimbus Mobile", "Nimbus API"), ("Pay Terminal", "Pay Online"))

_FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Ivan", "Julia",
    "Karim", "Lena", "Marco", "Nina", "Oskar", "Paula", "Quentin", "Rosa", "Samir", "Tara",
    "Uwe", "Vera", "Wojtek", "Xenia", "Yusuf", "Zoe", "Lukas", "Mia", "Jonas", "Sofia",
    "Emil", "Leonie", "Noah", "Ida", "Theo", "Marie", "Finn", "Lea", "Aylin", "Matteo",
)  # fmt: skip
_LAST_NAMES = (
    "Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch",
    "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann", "Krüger", "Hartmann",
    "Lange", "Werner", "Kaya", "Novak", "Rossi", "Dubois", "Jansen", "Nowak", "Silva", "Berg",
    "Lindqvist", "O'Brien", "Costa", "Yilmaz", "Horvat", "Kowalski", "Meyer", "Peters", "Vogel",
    "Frank", "Roth", "Baumann",
)  # fmt: skip

# (group, subject, tag, two opening messages: a calm one and an upset one)
_SUBJECTS: tuple[tuple[int, str, str, tuple[str, str]], ...] = (
    (0, "Cannot log in", "login", (
        "Hi, I can't log in to my account since this morning. The password reset email never "
        "arrives. Could you help?",
        "Login keeps failing with 'invalid credentials' although the password is correct. This "
        "is really frustrating, I have a deadline today.")),
    (0, "App crashes on startup", "crash", (
        "The mobile app closes right after the splash screen on my phone. I reinstalled it twice.",
        "Your app crashes every single time I open it since the last update. Unacceptable.")),
    (0, "Data not syncing", "sync", (
        "My changes on the desktop have not shown up on my phone for two days. Is sync paused?",
        "Sync is broken again and I lost an afternoon of work. What is going on?")),
    (0, "API returns errors", "api", (
        "Our integration gets HTTP 500 responses from the orders endpoint since last night. "
        "Request ids are attached.",
        "We get 429 rate limit errors far below the documented limit, and our shop is down.")),
    (0, "Dashboard very slow", "performance", (
        "Reports on the dashboard take over a minute to load. Is there anything we can do?",
        "Everything is extremely slow today. Is there an outage? Nobody on my team can work.")),
    (1, "Charged twice", "double-charge", (
        "I was charged twice for this month's subscription. Please refund the duplicate payment.",
        "Two identical charges on my card! Please fix this immediately.")),
    (1, "Refund request", "refund", (
        "I bought the annual plan by mistake instead of the monthly one. Can I get a refund?",
        "I cancelled before the renewal date and was still charged. I want my money back.")),
    (1, "Invoice needs VAT number", "invoice", (
        "Could you add our VAT number to the last invoice? Our accounting needs it.",
        "Third time asking: our invoices still show the wrong company address.")),
    (1, "Update payment method", "payment-method", (
        "My card expired. How do I update the payment method on file?",
        "The payment failed and now my account is locked. How do I change the card?")),
    (2, "Change account email", "email-change", (
        "I need to change the email address of my account to my new work address.",
        "I can't change my email address, the confirmation link is always expired.")),
    (2, "Delete my account", "deletion", (
        "Please delete my account and all data associated with it. Thank you.",
        "I asked to delete my account weeks ago and still get emails. Delete it now.")),
    (2, "Add team members", "seats", (
        "How can I invite three colleagues to our workspace?",
        "Invitations to my colleagues never arrive, we have been trying all week.")),
    (2, "Reset two-factor authentication", "2fa", (
        "I lost my phone and can't get the two-factor code anymore. How can I regain access?",
        "I'm locked out because of two-factor and your recovery codes don't work.")),
    (3, "Pricing for a larger team", "pricing", (
        "We are 60 people and are considering your business plan. Is there volume pricing?",
        "Your pricing page is confusing. What would 60 seats actually cost us?")),
    (3, "Upgrade plan", "upgrade", (
        "We would like to upgrade to the premium plan. What happens to our current billing period?",
        "I tried to upgrade but the checkout fails. I want to give you money, please help.")),
    (3, "Trial extension", "trial", (
        "Our trial ends tomorrow but we haven't finished evaluating. Could you extend it a week?",
        "The trial expired in the middle of our evaluation. Can we get more time?")),
    (3, "Request a demo", "demo", (
        "Could we book a demo of the reporting features for our team next week?",
        "I requested a demo twice through the website and never heard back.")),
)  # fmt: skip

_TEXTS: dict[str, tuple[str, ...]] = {
    "agent_opening": (
        "Following our phone call, I opened this ticket to track your request. We will keep you "
        "posted here.",
        "Hello, we noticed a problem with your account and opened this ticket to sort it out "
        "with you.",
        "As discussed in chat, I'm logging your request here so that nothing gets lost.",
    ),
    "bot": (
        "Thanks for contacting us! We received your request and will get back to you soon.",
        "This is an automatic confirmation: your request has been received. A member of our team "
        "will reply shortly.",
    ),
    "first_reply": (  # a reply that settles the matter
        "Thanks for reaching out! I found the cause and fixed it, everything should work again. "
        "Just reply if anything else comes up.",
        "Hello, sorry for the trouble. I have corrected the settings on your account, everything "
        "should work as expected now.",
        "Thanks for your patience. I have processed your request, you will see the change within "
        "the next hour.",
        "Happy to help! You'll find the steps in our help center article, which I have linked "
        "below.",
    ),
    "asking": (  # a reply that needs the customer to answer
        "Thank you for the details. To help further, could you send us a screenshot of the "
        "error message?",
        "Hi, I understand how annoying this is. Could you tell us which device and version you "
        "are using?",
        "Thanks for reaching out! I made a change on our side. Could you try again and let me "
        "know if it works?",
        "Hello, to protect your account we need to verify it first. Could you confirm the last "
        "four digits of the card on file?",
    ),
    "reply": (
        "Thanks for getting back to us. I have applied the change, please check again.",
        "Glad to hear that! I'll mark this as solved, just reply if anything else comes up.",
        "I checked with our specialists: this is a known issue and a fix is rolling out today.",
        "Thank you, that screenshot helped. The problem is fixed on our side now.",
    ),
    "customer": (
        "Thanks, that worked perfectly!",
        "Unfortunately it still doesn't work, same error as before.",
        "Here is the screenshot you asked for.",
        "Any update? I haven't heard anything in a while.",
        "Great, thank you for the quick help.",
        "This is taking far too long. I'm really disappointed.",
    ),
    "note": (
        "Checked the logs: the request failed at the payment provider. Waiting for their answer.",
        "Customer is on the enterprise plan, handle with priority.",
        "Looks like the same bug as last week's incident. Linked to the engineering issue.",
        "Asked billing to verify the duplicate charge before replying.",
        "Second contact about this, be extra careful with the reply.",
    ),
    "reopen": (
        "Sorry to reopen this, but the problem is back.",
        "It worked for a day and now it's broken again.",
        "I still haven't received the refund you promised.",
        "The fix didn't help after all, same issue again this morning.",
    ),
    "reopen_reply": (
        "Sorry that it came back. I have now applied a permanent fix, please let us know if you "
        "notice anything else.",
        "Apologies, the refund was stuck. It has been sent again and should arrive in 3-5 days.",
    ),
    # the AI agent in front of chat and web (`generate(ai_agent=True)`)
    "ai_answer": (  # an answer that settles the matter (or seems to)
        "Hi, I'm Fin, the Nimbus assistant. This usually happens when the app is out of date: "
        "update it from Settings > About and sign in again. Did that solve it?",
        "Hi, I'm Fin, the Nimbus assistant. You can do this yourself under Settings > Billing; "
        "here is a step-by-step guide: https://help.nimbus.example/billing",
        "Hi, I'm Fin, the Nimbus assistant. I have sent you a new link by email, it is valid for "
        "24 hours. Anything else I can help with?",
    ),
    "ai_handover": (  # the AI agent hands the conversation to a person
        "Hi, I'm Fin, the Nimbus assistant. I couldn't find an answer to this, so I'm passing "
        "you to a colleague. They will reply here.",
        "Hi, I'm Fin, the Nimbus assistant. This needs someone from our team to look at your "
        "account: I have handed your conversation over to them.",
    ),
}

# survey comments, by what the answer says and why
_COMMENTS: dict[str, tuple[str, ...]] = {
    "good": (
        "Quick and friendly, thank you!",
        "Solved in one reply, great job.",
        "Very helpful, the agent clearly knew the product.",
        "Thanks for the clear explanation and the follow-up.",
        "Super fast answer, I didn't expect that on a Sunday.",
        "Friendly and competent. Keep it up!",
    ),
    "neutral": (
        "OK in the end, but the first answer didn't really help.",
        "Fine, though I had to look up some steps myself.",
        "The answer was correct but very short.",
        "Solved, but it took a bit longer than I hoped.",
    ),
    "bad": (
        "The answer didn't solve my problem at all.",
        "Felt like a copy-paste reply, nobody read my message.",
        "I was passed from one person to the next.",
        "Not helpful. I fixed it myself in the end.",
    ),
    "slow": (
        "Took days to get a first answer.",
        "Way too slow. I needed help the same day.",
        "Waited far too long for a reply, I almost cancelled.",
        "Nobody answered for two days, then it was fixed in five minutes.",
    ),
    "reopened": (
        "The problem came back the next day, I had to write again.",
        "Had to explain the problem twice before it was really fixed.",
        "Marked as solved although it wasn't. Very annoying.",
    ),
    "back_and_forth": (
        "Too many questions back and forth before anyone understood the issue.",
        "I had to send the same screenshots three times.",
        "Long conversation for a simple problem.",
    ),
}

# brand mentions on social media: everyday chatter, and what people write during an outage
_MENTIONS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Shout-out to the Nimbus support team, sorted my billing issue in minutes!",
        "Switched our team to Nimbus last month and the sync is finally reliable.",
        "The new Nimbus dashboard is so much faster. Nice work!",
        "Nimbus Pay terminal set up in ten minutes. Impressed.",
    ),
    "neutral": (
        "Does anyone know if Nimbus supports SSO on the standard plan?",
        "Comparing Nimbus and two alternatives for our team, any experiences?",
        "Nimbus webinar on reporting today at 3pm, anyone joining?",
        "Is there a way to export Nimbus reports to Excel?",
        "Just saw Nimbus raised prices for new customers.",
    ),
    "negative": (
        "Third time this month that Nimbus sync loses my changes.",
        "Still waiting for a refund from Nimbus Pay. Two weeks now.",
        "Nimbus support takes forever to answer emails.",
        "Why does the Nimbus app log me out every single day?",
    ),
    "outage": (
        "Is Nimbus down? Can't log in for an hour now.",
        "Nimbus outage again?! Our whole team is stuck.",
        "@NimbusHelp your status page says all green but nothing loads.",
        "Nimbus API returning 500s for everyone? Our shop is down.",
        "Lost a morning of work because Nimbus was down. Not OK.",
    ),
}


# --- the life of a ticket: slots -----------------------------------------------------------------

EVENT_TYPES = ("message", "status", "assignment", "interaction")
_MESSAGE, _STATUS, _ASSIGNMENT, _INTERACTION = range(4)
ROLES = ("customer", "agent", "bot", "ai_agent")
_CUSTOMER, _AGENT, _BOT, _AI_AGENT = range(4)
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
_NONE = -1


@dataclass(frozen=True)
class _Slot:
    name: str
    type: int
    role: int = _NONE  # for messages (the opening message of an agent-created ticket: agent)
    status: int = _NONE  # for status events
    public: bool = True  # for messages
    text: str = ""  # _TEXTS key of the message body ("" for the ticket's opening message)


_SLOTS: tuple[_Slot, ...] = (
    _Slot("opening", _MESSAGE, _CUSTOMER),
    _Slot("status_new", _STATUS, status=0),
    _Slot("bot_ack", _MESSAGE, _BOT, text="bot"),
    _Slot("assignment", _ASSIGNMENT),
    _Slot("status_open", _STATUS, status=1),
    _Slot("interaction", _INTERACTION),
    _Slot("note", _MESSAGE, _AGENT, public=False, text="note"),
    _Slot("status_hold", _STATUS, status=3),
    _Slot("status_unhold", _STATUS, status=1),
    _Slot("reply_1", _MESSAGE, _AGENT, text="first_reply"),
    _Slot("status_pending_1", _STATUS, status=2),
    _Slot("status_solved_1", _STATUS, status=4),
    _Slot("customer_2", _MESSAGE, _CUSTOMER, text="customer"),
    _Slot("status_open_2", _STATUS, status=1),
    _Slot("reassignment", _ASSIGNMENT),
    _Slot("interaction_2", _INTERACTION),
    _Slot("reply_2", _MESSAGE, _AGENT, text="reply"),
    _Slot("status_pending_2", _STATUS, status=2),
    _Slot("status_solved_2", _STATUS, status=4),
    _Slot("customer_3", _MESSAGE, _CUSTOMER, text="customer"),
    _Slot("status_open_3", _STATUS, status=1),
    _Slot("reply_3", _MESSAGE, _AGENT, text="reply"),
    _Slot("status_solved_3", _STATUS, status=4),
    _Slot("customer_reopen", _MESSAGE, _CUSTOMER, text="reopen"),
    _Slot("status_reopen", _STATUS, status=1),
    _Slot("reply_reopen", _MESSAGE, _AGENT, text="reopen_reply"),
    _Slot("status_solved_again", _STATUS, status=4),
    _Slot("status_closed", _STATUS, status=5),
)
#: the AI agent's events, after the slots (only `generate(ai_agent=True)` makes them)
_AI_SLOTS: tuple[_Slot, ...] = (
    _Slot("ai_answer", _MESSAGE, _AI_AGENT),
    _Slot("ai_solved", _STATUS, status=4),
)
_S = {s.name: i for i, s in enumerate(_SLOTS)}
_SOLVED_SLOTS = ("status_solved_1", "status_solved_2", "status_solved_3")
_SLOT_TYPE = np.array([s.type for s in (*_SLOTS, *_AI_SLOTS)], dtype=np.int8)
_SLOT_ROLE = np.array([s.role for s in (*_SLOTS, *_AI_SLOTS)], dtype=np.int8)
_SLOT_STATUS = np.array([s.status for s in (*_SLOTS, *_AI_SLOTS)], dtype=np.int8)
_SLOT_PUBLIC = np.array([s.public for s in (*_SLOTS, *_AI_SLOTS)])

# Scenario shares (of all tickets unless said otherwise)
P_AGENT_CREATED = 0.05
P_UNANSWERED = 0.03  # of customer-created tickets: never get a human reply
P_SPAM_SOLVED = 0.4  # of unanswered tickets: solved without a reply (spam, duplicates)
P_BOT_ACK = 0.6  # of customer-created email and web tickets
P_STATUS_NEW = 0.10
P_NOTE = 0.15
P_HOLD = 0.05
P_ROUNDS = (0.80, 0.16, 0.04)  # one, two or three customer-agent exchanges
P_ESCALATED = 0.25  # of tickets with more than one exchange
P_UNSOLVED = 0.06  # answered, but never solved (left open or pending)
P_REOPEN = 0.09  # of solved tickets
P_CLOSED = 0.05  # of solved tickets
P_FOLLOW_UP = 0.07  # the same customer writes again about the same thing within a few days
# A present-shaped data set (`generate(present=True)`): what was left open long ago has been
# dealt with since, and an outage a few days ago still echoes in the mentions.
#: median calendar time until a ticket left open (or never answered) is settled anyway: solved
#: after the customer went quiet, or closed as a duplicate
SETTLE_MEDIAN = 1.5 * DAY
OUTAGE_DAYS_AGO = 3
OUTAGE_TICKETS = 2.5  # tickets on the outage day, relative to a usual weekday
BULK_REPLY_MEDIAN = 0.5 * HOUR  # the first reply to a ticket about the outage (calendar time)


# --- the data set and its clocks -----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    tickets: int
    seed: int
    start: int  # epoch seconds
    days: int
    customers: int
    agents: int
    present: bool = False  # the end is the help desk's now (see `generate`)
    ai_agent: bool = False  # an AI agent answers chat and web first (see `generate`)

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    @property
    def outage_day(self) -> int | None:
        """The day of the period an outage falls on in a present-shaped data set (the third
        day before the end: the surge of tickets is over, the mentions still run high)."""
        return max(0, self.days - OUTAGE_DAYS_AGO) if self.present else None


def default_days(tickets: int) -> int:
    """Length of the period for `tickets` tickets when none is given: about 150 a day, at least
    four weeks and at most two years."""
    return int(min(MAX_DAYS, max(28, -(-tickets // 150))))


@dataclass(frozen=True)
class _Clock:
    """Hour by hour from a day before the start until long after the end."""

    knots: I64  # epoch seconds of the hour boundaries (hours + 1)
    office: Mask  # per hour: weekday office hours in LOCAL_TZ, not a public holiday
    month: I64  # per hour: calendar month (UTC), counted from the start's month
    effort: F64  # agents' clock at each knot: seconds of office-speed work done so far
    arrivals: I64  # tickets created before each knot

    def to_effort(self, t: F64 | I64) -> F64:
        return np.interp(t, self.knots, self.effort)

    def from_effort(self, u: F64) -> F64:
        return np.interp(u, self.effort, self.knots)


# ticket arrivals per local hour, relative to a weekday's office hours: weekday, Saturday, Sunday
_ARRIVALS = np.array([
    [.06, .05, .04, .04, .05, .08, .15, .35, .9, 1.1, 1.15, 1.1, .85, .95, 1.05, 1.0, .95, .85,
     .5, .4, .3, .22, .15, .1],
    [.05, .04, .03, .03, .03, .04, .06, .1, .18, .28, .32, .32, .3, .28, .28, .26, .24, .22,
     .2, .18, .15, .12, .1, .07],
    [.05, .04, .03, .03, .03, .03, .05, .07, .12, .18, .22, .22, .2, .2, .2, .2, .2, .2,
     .2, .2, .18, .14, .1, .07],
])  # fmt: skip
# how fast the agents' clock runs per local hour: weekday, Saturday, Sunday and holidays
_EFFORT = np.array(
    [
        [0.02] * 7 + [0.25] + [1.0] * 10 + [0.25] * 3 + [0.02] * 3,
        [0.02] * 9 + [0.12] * 8 + [0.02] * 7,
        [0.02] * 24,
    ]
)


def _clock(plan: _Plan, rng: np.random.Generator) -> _Clock:
    # events that would come after the end are dropped, so the clock may stop soon after it
    before, after = 24, 48
    hours = before + plan.days * 24 + after
    knots = plan.start + HOUR * (np.arange(hours + 1, dtype=np.int64) - before)
    local = pd.to_datetime(knots[:-1] + HOUR // 2, unit="s", utc=True).tz_convert(LOCAL_TZ)
    hour = local.hour.to_numpy()
    dow = local.dayofweek.to_numpy()
    day = local.tz_localize(None).normalize()
    years = range(int(local.year.min()), int(local.year.max()) + 1)
    holiday = day.isin(pd.to_datetime(list(holidays.country_holidays("DE", years=years))))
    kind = np.where(holiday | (dow == 6), 2, np.where(dow == 5, 1, 0))
    office = (kind == 0) & (hour >= 8) & (hour < 18)

    # volume: daily noise, a few incident days, slow growth; nothing outside the period
    day_no = ((day - day[0]).days).to_numpy()
    noise = rng.lognormal(0.0, 0.12, day_no[-1] + 1)
    incident = rng.random(day_no[-1] + 1) < 0.03
    noise[incident] *= rng.uniform(1.8, 3.0, int(incident.sum()))
    growth = 1.0 + 0.25 * (knots[:-1] - plan.start) / (365 * DAY)
    weight = _ARRIVALS[kind, hour] * noise[day_no] * growth
    inside = (knots[:-1] >= plan.start) & (knots[:-1] < plan.end)
    weight = np.where(inside, weight, 0.0)
    if plan.outage_day is not None:
        # the outage: a day of far more tickets than a usual weekday, even at a weekend
        begin = plan.start + plan.outage_day * DAY
        during = (knots[:-1] >= begin) & (knots[:-1] < begin + DAY)
        surge = _ARRIVALS[0, hour] * noise[day_no] * growth * OUTAGE_TICKETS
        weight = np.where(during, surge, weight)
    counts = rng.multinomial(plan.tickets, weight / weight.sum())
    arrivals = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    speed = _EFFORT[kind, hour]
    effort = np.concatenate([[0.0], np.cumsum(speed * HOUR)])
    utc = pd.to_datetime(knots[:-1], unit="s", utc=True)
    start = pd.Timestamp(plan.start, unit="s", tz="UTC")
    month = ((utc.year - start.year) * 12 + utc.month - start.month).to_numpy().astype(np.int64)
    return _Clock(knots, office, month, effort.astype(np.float64), arrivals)


@dataclass(frozen=True)
class _Agents:
    ids: list[str]
    names: list[str]
    team: I64
    left_at: I64  # epoch seconds the agent left (inactive), _NEVER while active
    weight: F64  # share of the team's tickets (some agents are busier)

    def pick(self, rng: np.random.Generator, team: I64, at: I64) -> I64:
        """An agent of `team` who was still there at `at`, per ticket."""
        u, u2 = rng.random(len(team)), rng.random(len(team))
        out = np.zeros(len(team), dtype=np.int64)
        for g in range(len(GROUPS)):
            sel = np.flatnonzero(team == g)
            if not len(sel):
                continue
            members = np.flatnonzero(self.team == g)
            chosen = members[_draw(self.weight[members], u[sel])]
            gone = at[sel] >= self.left_at[chosen]
            if gone.any():
                stayers = members[self.left_at[members] == _NEVER]
                chosen[gone] = stayers[_draw(self.weight[stayers], u2[sel][gone])]
            out[sel] = chosen
        return out


def _agents(plan: _Plan, rng: np.random.Generator) -> _Agents:
    n = plan.agents
    # team sizes follow the teams' shares of the work (largest remainder), two at least
    share = np.asarray(_TEAM_P) * n
    size = np.maximum(np.floor(share).astype(np.int64), 2)
    size[np.argsort(size - share)[: n - size.sum()]] += 1
    team = np.repeat(np.arange(len(GROUPS), dtype=np.int64), size)
    # one in ten has left during the period; never the first two of a team
    may_leave = np.ones(n, dtype=bool)
    may_leave[np.concatenate([[0], np.cumsum(size)[:-1]])] = False
    may_leave[np.concatenate([[0], np.cumsum(size)[:-1]]) + 1] = False
    leaves = np.zeros(n, dtype=bool)
    leaves[rng.choice(np.flatnonzero(may_leave), max(1, round(n / 10)), replace=False)] = True
    left = plan.start + (rng.uniform(0.3, 0.8, n) * plan.days * DAY).astype(np.int64)
    left_at = np.where(leaves, left, _NEVER).astype(np.int64)
    combos = rng.permutation(len(_FIRST_NAMES) * len(_LAST_NAMES))[:n]
    names = [
        f"{_FIRST_NAMES[c // len(_LAST_NAMES)]} {_LAST_NAMES[c % len(_LAST_NAMES)]}" for c in combos
    ]
    ids = [f"A{i + 1:04d}" for i in range(n)]
    return _Agents(ids, names, team, left_at, rng.lognormal(0.0, 0.35, n))


@dataclass
class _Customers:
    weight_cdf: F64  # cumulative contact propensity (a few customers write very often)
    tier: I8
    segment: I8
    country: I8
    brand: I8
    joined: I64  # epoch seconds
    first_contact: I64  # epoch seconds, _NEVER when the customer opened no ticket
    last_contact: I64  # epoch seconds, -1 when the customer opened no ticket

    def draw(self, rng: np.random.Generator, n: int) -> I64:
        return _draw_cdf(self.weight_cdf, rng.random(n))


def _customers(plan: _Plan, rng: np.random.Generator) -> _Customers:
    n = plan.customers
    tier = _pick(rng, _TIER_P, n).astype(np.int8)
    segment = np.where(tier == 3, 3, _pick(rng, (0.45, 0.4, 0.15, 0.0), n)).astype(np.int8)
    weight = rng.lognormal(0.0, 1.1, n) * np.array([0.8, 1.0, 1.3, 1.8])[tier]
    # most were customers before the period began, some join during it
    old = plan.start - (rng.uniform(1, 1500, n) * DAY).astype(np.int64)
    new = plan.start + (rng.random(n) * plan.days * DAY).astype(np.int64)
    joined = np.where(rng.random(n) < 0.8, old, new).astype(np.int64)
    return _Customers(
        weight_cdf=np.cumsum(weight),
        tier=tier,
        segment=segment,
        country=_pick(rng, _COUNTRY_P, n).astype(np.int8),
        brand=_pick(rng, _BRAND_P, n).astype(np.int8),
        joined=joined,
        first_contact=np.full(n, _NEVER, dtype=np.int64),
        last_contact=np.full(n, -1, dtype=np.int64),
    )


@dataclass
class _World:
    """Everything drawn once for the whole data set, and what the tickets tell later tables."""

    plan: _Plan
    clock: _Clock
    agents: _Agents
    customers: _Customers
    next_event: int = 0  # events numbered so far
    tickets_per_month: I64 | None = None
    phone_seconds_per_month: I64 | None = None
    lifetimes: _Lifetimes | None = None  # drawn once all tickets are known

    def record(self, chunk: _Chunk) -> None:
        """Remember what later tables need from a chunk of tickets."""
        c = self.customers
        ids, first = np.unique(chunk.requester, return_index=True)
        c.first_contact[ids] = np.minimum(c.first_contact[ids], chunk.created[first])
        ids, last = np.unique(chunk.requester[::-1], return_index=True)
        c.last_contact[ids] = np.maximum(c.last_contact[ids], chunk.created[::-1][last])
        months = int(self.clock.month.max()) + 1
        month = self.clock.month[chunk.hour]
        per = np.bincount(month, minlength=months).astype(np.int64)
        phone = np.bincount(month, weights=chunk.phone_seconds, minlength=months)
        if self.tickets_per_month is None or self.phone_seconds_per_month is None:
            self.tickets_per_month = per
            self.phone_seconds_per_month = phone.astype(np.int64)
        else:
            self.tickets_per_month += per
            self.phone_seconds_per_month += phone.astype(np.int64)
        self.next_event += len(chunk.ev_ticket)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def _plan(
    tickets: int,
    seed: int,
    start: datetime | None,
    days: int | None,
    end: datetime | None = None,
    present: bool = False,
    ai_agent: bool = False,
) -> _Plan:
    if tickets < 1:
        raise ValueError(f"tickets must be at least 1, got {tickets}")
    if days is not None and days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if start is not None and end is not None:
        raise ValueError("give the start or the end of the period, not both")
    period = days if days is not None else default_days(tickets)
    first = _utc(end) - timedelta(days=period) if end is not None else None
    begin = first or _utc(start or DEFAULT_START)
    months = period / 30.4
    # about 0.15 contacts per customer and month; a help desk has two dozen agents or more
    customers = max(50, min(round(tickets / months / 0.15), 8 * tickets, MAX_CUSTOMERS))
    agents = int(np.clip(round(tickets / period / 40), 24, 400))
    return _Plan(
        tickets, seed, int(begin.timestamp()), period, customers, agents, present, ai_agent
    )


# --- tickets and their events, one chunk at a time ------------------------------------------------


@dataclass
class _Chunk:
    first: int  # global number of the chunk's first ticket (0-based)
    hour: I64  # hour of the clock each ticket was created in
    created: I64
    requester: I64
    channel: I64
    priority: I64
    group: I64  # the team it ends with
    assignee: I64  # the agent it ends with, -1 when never assigned
    agent_created: Mask
    subject: I64
    vip: Mask
    converted: Mask
    brand: I64
    product: I64
    region: I64
    phone_seconds: F64  # talk time of the ticket's calls
    assignee_1: I64  # the first agent; after a reassignment, assignee_2 in group_2
    assignee_2: I64
    group_1: I64
    group_2: I64
    talk: I32  # per call (first, second) and ticket: seconds talking, on hold, wrapping up
    hold: I32
    wrap: I32
    # events: one entry per event, ticket by ticket in slot order
    ev_ticket: I32  # the chunk's ticket (0-based)
    ev_slot: I8
    ev_at: I64
    ev_body: I32  # index into _BODIES, -1 = none
    # what the customer experienced, for the surveys
    solved_at: I64  # when the ticket was last solved, -1 when it is not solved (now)
    first_reply_at: I64  # the first human reply, -1 when none (AI-solved: the AI's answer)
    reopened: Mask
    rounds: I64  # customer-agent exchanges (1-3)
    escalated: Mask  # reassigned
    voice: _Voice | None = None  # its surveys, drawn once for both survey tables


#: more ways customers open a ticket on each subject (by tag): (calm ones, upset ones), some
#: with typos, some in German, French or Spanish, so the topics of the demo are found in varied
#: wording (drawn from a random stream of their own: the numbers of a seed do not move)
_PHRASINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "login": (
        (
            "cant sign in anymore, the reset link says it is invalid. thanks for checking",
            "Hallo, ich kann mich seit heute früh nicht mehr anmelden. "
            "Das Passwort-Reset kommt nie an.",
        ),
        (
            "Locked out of my account AGAIN. password is right, login just says no. Very annoying.",
            "Third day I cannot log in, nobody answers. Worst experience ever.",
        ),
    ),
    "crash": (
        (
            "Hello, the app quits on launch on my Android phone, already "
            "tried reinstalling. Any idea?",
            "l'application se ferme dès que je l'ouvre sur mon téléphone, pouvez-vous aider ?",
        ),
        (
            "app crashes the moment i open it, since the update its unusable",
            "The mobile app crashed again while I was saving. I'm really fed up with this.",
        ),
    ),
    "sync": (
        (
            "Hi team, my phone and laptop show different data, syncing seems stuck since Monday.",
            "Changes I make on the web app don't appear on mobile. Is synchronisation delayed?",
        ),
        (
            "Sync lost my notes. again. this is not ok, I rely on this every day",
            "Die Synchronisierung funktioniert nicht, ich habe Daten verloren. Sehr ärgerlich.",
        ),
    ),
    "api": (
        (
            "Our API calls to /orders return 500 errors since last "
            "night, request ids attached. Thanks!",
            "Quick question: the webhook endpoint answers with error 502 "
            "for some events, known issue?",
        ),
        (
            "API keeps throwing 429 too many requests way under the "
            "limit, our checkout is broken!!",
            "Your API is down for us and the integration fails, we lose orders every minute.",
        ),
    ),
    "performance": (
        (
            "Dashboard takes ages to load reports today, is something going on?",
            "El panel tarda más de un minuto en cargar los informes. ¿Hay algún problema?",
        ),
        (
            "Everything is sooo slow, pages take forever to load. Nobody here can work.",
            "The dashboard is unbearably slow again, this is costing us a whole morning.",
        ),
    ),
    "double-charge": (
        (
            "Hi, I see two payments for the same month on my credit card, could you refund one?",
            "I think I was billed twice for my subscription this month, can you check the charges?",
        ),
        (
            "Double charge on my card AGAIN. refund it today please",
            "Ich wurde zweimal belastet! Bitte erstatten Sie die doppelte Zahlung sofort.",
        ),
    ),
    "refund": (
        (
            "I'd like a refund for the annual plan, I meant to buy the monthly one. Thanks a lot!",
            "Je voudrais un remboursement, j'ai acheté le mauvais abonnement par erreur.",
        ),
        (
            "I cancelled on time and you still took my money. refund me now.",
            "Still no refund after two weeks, this is ridiculous. I want my money back.",
        ),
    ),
    "invoice": (
        (
            "Could you please put our VAT number on the invoice? Our accountant needs it. Cheers",
            "Can I get an invoice with our company name and address for last month?",
        ),
        (
            "The invoice is wrong again, wrong company address and no VAT id. Please fix it",
            "Necesito la factura con nuestro número de IVA, ya lo pedí dos veces.",
        ),
    ),
    "payment-method": (
        (
            "My credit card expired, where can I change the payment method?",
            "How do I switch from card to bank transfer for the subscription payment?",
        ),
        (
            "payment failed and now my acount is locked, how do i update the card???",
            "Your payment page keeps rejecting my new card. Very frustrating.",
        ),
    ),
    "email-change": (
        (
            "Please change the email on my account to my new work address, thank you.",
            "How can I update the e-mail address I log in with?",
        ),
        (
            "the confirmation link to change my email is always expired, tried 5 times",
            "Ich kann meine E-Mail-Adresse nicht ändern, der "
            "Bestätigungslink ist immer abgelaufen.",
        ),
    ),
    "deletion": (
        (
            "Please close my account and delete all my personal data. Thanks.",
            "I would like to delete my account, how do I do that under GDPR?",
        ),
        (
            "I asked you to delete my account weeks ago and you still email me. Delete it NOW.",
            "Supprimez mon compte et mes données immédiatement, je l'ai déjà demandé.",
        ),
    ),
    "seats": (
        (
            "How do I add three colleagues to our workspace? Happy to upgrade if needed.",
            "Can I invite my team members to the workspace from the admin page?",
        ),
        (
            "invites to my colleagues never arrive, we tried all week. not great",
            "Adding new members to our team fails with an error every time.",
        ),
    ),
    "2fa": (
        (
            "I got a new phone and can't receive the two-factor code "
            "anymore. How do I get back in?",
            "Lost my authenticator app, can you reset two factor authentication for my account?",
        ),
        (
            "Locked out because of 2FA and the recovery codes don't work. I need access today!",
            "Die Zwei-Faktor-Authentifizierung sperrt mich aus, die "
            "Wiederherstellungscodes gehen nicht.",
        ),
    ),
    "pricing": (
        (
            "We're a team of 60 looking at the business plan. Is there a volume discount?",
            "What would the enterprise plan cost for about 80 users? Great product by the way.",
        ),
        (
            "your pricing page is confusing, I can't tell what 60 seats would cost",
            "¿Cuánto cuesta el plan business para 60 personas? La página de precios no es clara.",
        ),
    ),
    "upgrade": (
        (
            "We want to upgrade to the business plan, how does billing work mid-month?",
            "Love the product, we'd like to move up to the next plan. What are the steps?",
        ),
        (
            "The upgrade checkout fails with an error every time, I just want to pay you!",
            "Upgrade to premium didn't go through but I was charged. Please sort this out.",
        ),
    ),
    "trial": (
        (
            "Our trial ends on Friday, could we get one more week to finish the evaluation?",
            "Is it possible to extend the free trial? We need a bit more time to test.",
        ),
        (
            "trial expired before we could test anything because of your outage. extend it pls",
            "Unsere Testphase ist abgelaufen, bevor wir testen konnten. Bitte verlängern.",
        ),
    ),
    "demo": (
        (
            "Could we book a demo of the reporting features next week? Thank you!",
            "We'd love a product demo for our support team, what times work?",
        ),
        (
            "I requested a demo twice on your website and nobody got back to me.",
            "Demande de démo envoyée il y a une semaine, toujours pas de réponse.",
        ),
    ),
}


def _bank(
    texts: dict[str, tuple[str, ...]], pool: list[str] | None = None
) -> tuple[list[str], dict[str, int]]:
    """All `texts` in one list (after `pool`), and where each key's texts start in it."""
    pool = [] if pool is None else pool
    start: dict[str, int] = {}
    for key, some in texts.items():
        start[key] = len(pool)
        pool.extend(some)
    return pool, start


def _bodies() -> tuple[list[str], dict[str, int]]:
    pool, start = _bank(_TEXTS, [t for _, _, _, opening in _SUBJECTS for t in opening])
    for i, (_, _, tag, _) in enumerate(_SUBJECTS):
        for tone, texts in enumerate(_PHRASINGS.get(tag, ((), ()))):
            start[f"phrasing:{i}:{tone}"] = len(pool)
            pool.extend(texts)
    return pool, start


_BODIES, _BODY_START = _bodies()
#: where each subject's further phrasings start in _BODIES, and how many, by (subject, upset)
_PHRASING_AT = np.array(
    [[_BODY_START[f"phrasing:{i}:{t}"] for t in (0, 1)] for i in range(len(_SUBJECTS))]
)
_PHRASING_N = np.array(
    [[len(_PHRASINGS.get(tag, ((), ()))[t]) for t in (0, 1)] for _, _, tag, _ in _SUBJECTS]
)
_SUBJECT_GROUP = np.array([s[0] for s in _SUBJECTS])
_SUBJECTS_OF_GROUP = [np.flatnonzero(np.equal(_SUBJECT_GROUP, g)) for g in range(len(GROUPS))]


def _make_chunk(world: _World, index: int) -> _Chunk:
    plan, clock = world.plan, world.clock
    first = index * CHUNK
    n = min(CHUNK, plan.tickets - first)
    rng = np.random.default_rng([plan.seed, 2, index])
    local = np.arange(n, dtype=np.int64)

    # arrival: the multinomial hour counts of the clock, spread evenly at random within the hour
    k = first + local
    hour = np.searchsorted(clock.arrivals, k, side="right") - 1
    in_hour = k - clock.arrivals[hour]
    per_hour = clock.arrivals[hour + 1] - clock.arrivals[hour]
    created = clock.knots[hour] + ((in_hour + rng.random(n)) / per_hour * HOUR).astype(np.int64)
    office = clock.office[hour]

    channel = np.where(
        office, _pick(rng, _CHANNEL_P_OFFICE, n), _pick(rng, _CHANNEL_P_OFF_HOURS, n)
    )
    priority = _pick(rng, _PRIORITY_P, n)

    # who writes: skewed customers, plus follow-ups by the customer of a ticket a few days back
    base = world.customers.draw(rng, n)
    window = max(1, int(4 * plan.tickets / plan.days))
    follow = rng.random(n) < P_FOLLOW_UP
    parent = local - 1 - (rng.random(n) * window).astype(np.int64)
    parent = np.where(follow & (parent >= 0), parent, local)
    while True:  # follow the chain to the first ticket (pointer jumping, log depth)
        root = parent[parent]
        if np.array_equal(root, parent):
            break
        parent = root
    requester = base[parent]
    group = _pick(rng, _GROUP_P, n)
    subject = _subject_of(rng, group)
    same_topic = (parent != local) & (rng.random(n) < 0.7)
    group = np.where(same_topic, group[parent], group)
    subject = np.where(same_topic, subject[parent], subject)

    cust = world.customers
    tier = cust.tier[requester]

    # scenario flags
    agent_created = rng.random(n) < P_AGENT_CREATED
    unanswered = ~agent_created & (rng.random(n) < P_UNANSWERED)
    answered = ~unanswered
    assigned = answered | (rng.random(n) < 0.5)
    spam = unanswered & (rng.random(n) < P_SPAM_SOLVED)
    rounds = 1 + _pick(rng, P_ROUNDS, n)
    live = (channel == _CHAT) | (channel == _PHONE)
    live_now = live & office  # picked up at once; off hours it waits like an email
    unsolved = answered & (rng.random(n) < P_UNSOLVED)
    pending_1 = answered & (rng.random(n) < np.where(rounds == 1, 0.1, 0.6))
    pending_2 = answered & (rounds == 3) & (rng.random(n) < 0.6)
    hold = answered & (rng.random(n) < P_HOLD)
    open_1 = answered & (hold | (~pending_1 & ((rounds >= 2) | unsolved)) | (rng.random(n) < 0.05))
    escalated = answered & (rounds >= 2) & (rng.random(n) < P_ESCALATED)
    reopen = answered & ~unsolved & (rng.random(n) < P_REOPEN)
    solved = (answered & ~unsolved) | spam
    # present-shaped: what is left open, or never answered, is settled in the end (drawn from a
    # stream of its own, so that every other draw stays as it is)
    settle = np.zeros(n, dtype=bool)
    dropped = np.zeros(n, dtype=bool)  # never answered, solved without a reply
    settle_after = np.zeros(n, dtype=np.float64)
    outage = np.zeros(n, dtype=bool)  # about the outage: answered at once by a bulk reply
    bulk_after = np.zeros(n, dtype=np.float64)
    if plan.present and plan.outage_day is not None:
        dropped = unanswered & ~spam
        settle = unsolved | dropped
        solved = solved | unsolved
        late = np.random.default_rng([plan.seed, 10, index])
        settle_after = late.lognormal(np.log(SETTLE_MEDIAN), 0.6, n)
        # the surplus of the outage day is about the outage, whatever the hour: the team on
        # call answers those with one bulk reply (a link to the status page) within the hour
        begin = plan.start + plan.outage_day * DAY
        during = (created >= begin) & (created < begin + DAY) & answered & ~agent_created
        outage = during & (late.random(n) < 1 - 1 / OUTAGE_TICKETS)
        bulk_after = late.lognormal(np.log(BULK_REPLY_MEDIAN), 0.8, n)
    email_like = (channel == _EMAIL) | (channel == _WEB)

    present = np.zeros((n, len(_SLOTS)), dtype=bool)
    s = _S

    def on(name: str, mask: Mask) -> None:
        present[:, s[name]] = mask

    on("opening", np.ones(n, dtype=bool))
    on("status_new", ~agent_created & (rng.random(n) < P_STATUS_NEW))
    on("bot_ack", ~agent_created & email_like & (rng.random(n) < P_BOT_ACK))
    on("assignment", assigned)
    on("status_open", open_1)
    on("interaction", live & answered)
    on("note", answered & (rng.random(n) < P_NOTE))
    on("status_hold", hold)
    on("status_unhold", hold)
    on("reply_1", answered)
    on("status_pending_1", pending_1)
    on("status_solved_1", (solved & (rounds == 1)) | spam | dropped)
    two = answered & (rounds >= 2)
    on("customer_2", two)
    on("status_open_2", two & pending_1)
    on("reassignment", escalated)
    on("interaction_2", two & (channel == _PHONE) & (rng.random(n) < 0.5))
    on("reply_2", two)
    on("status_pending_2", pending_2)
    on("status_solved_2", solved & answered & (rounds == 2))
    three = answered & (rounds == 3)
    on("customer_3", three)
    on("status_open_3", three & pending_2)
    on("reply_3", three)
    on("status_solved_3", solved & answered & (rounds == 3))
    for name in ("customer_reopen", "status_reopen", "reply_reopen", "status_solved_again"):
        on(name, reopen)
    on("status_closed", solved & (rng.random(n) < P_CLOSED))

    # calls and chats: talk, hold and wrap-up seconds
    phone = channel == _PHONE
    talk = np.rint(rng.lognormal(np.log(np.where(phone, 360, 540)), 0.6, (2, n))).astype(np.int64)
    held = rng.random((2, n)) < np.where(phone, 0.4, 0.15)
    hold_s = np.where(held, np.rint(rng.lognormal(np.log(60), 0.8, (2, n))), 0).astype(np.int64)
    wrap = np.rint(rng.lognormal(np.log(np.where(phone, 75, 45)), 0.5, (2, n))).astype(np.int64)
    talk = np.maximum(talk, 5)
    session = talk + hold_s + wrap

    # time from one event to the next: (calendar seconds, seconds on the agents' clock)
    speed = _PRIORITY_DELAY[priority]

    def logn(median: float | F64, sigma: float) -> F64:
        return np.asarray(rng.lognormal(np.log(median), sigma, n), dtype=np.float64)

    def instant() -> F64:
        return rng.uniform(1, 3, n)

    def reply(median: float) -> Gap:
        return 0.0, logn(median, 1.1) * speed

    def maybe_later(p: float, median: float) -> Gap:
        return instant(), np.where(rng.random(n) < p, logn(median, 1.0), 0.0)

    # drawn slot by slot (a function per slot), so that only one slot's gaps are in memory
    gaps: dict[str, Callable[[], Gap]] = {
        "status_new": lambda: (1.0, 0.0),
        "bot_ack": lambda: (rng.uniform(5, 55, n), 0.0),
        "assignment": lambda: (
            np.where(agent_created, rng.uniform(1, 5, n), 0)
            + np.where(live_now & ~agent_created, rng.uniform(3, 40, n), 0),
            np.where(agent_created | live_now, 0, logn(8 * 60, 1.0)),
        ),
        "status_open": lambda: (
            np.where(live_now, instant(), 0),
            np.where(live_now, 0, rng.uniform(5, 300, n)),
        ),
        "interaction": lambda: (session[0].astype(np.float64), 0.0),
        "note": lambda: (0.0, logn(15 * 60, 1.0)),
        "status_hold": lambda: (0.0, rng.uniform(30, 600, n)),
        "status_unhold": lambda: (0.0, logn(5 * HOUR, 0.8)),
        "reply_1": lambda: (
            np.where(live_now, rng.uniform(10, 120, n), 0),
            np.where(live_now, 0, logn(np.asarray(_FIRST_REPLY_MEDIAN)[channel], 1.1) * speed),
        ),
        "status_pending_1": lambda: (instant(), 0.0),
        "status_solved_1": lambda: (
            np.where(pending_1, logn(3 * DAY, 0.4), np.where(spam, 0, instant())),
            np.where(spam, logn(HOUR, 1.0), 0),
        ),
        "customer_2": lambda: (logn(6 * HOUR, 1.2), 0.0),
        "status_open_2": lambda: (instant(), 0.0),
        "reassignment": lambda: (0.0, logn(30 * 60, 1.0)),
        "interaction_2": lambda: (session[1].astype(np.float64), logn(HOUR, 1.0)),
        "reply_2": lambda: reply(2 * HOUR),
        "status_pending_2": lambda: (instant(), 0.0),
        "status_solved_2": lambda: maybe_later(0.25, 3 * HOUR),
        "customer_3": lambda: (logn(8 * HOUR, 1.2), 0.0),
        "status_open_3": lambda: (instant(), 0.0),
        "reply_3": lambda: reply(2 * HOUR),
        "status_solved_3": lambda: maybe_later(0.25, 2 * HOUR),
        "customer_reopen": lambda: (logn(1.5 * DAY, 1.0), 0.0),
        "status_reopen": lambda: (instant(), 0.0),
        "reply_reopen": lambda: reply(2 * HOUR),
        "status_solved_again": lambda: maybe_later(0.3, 4 * HOUR),
        "status_closed": lambda: (4 * DAY + rng.uniform(0, HOUR, n), 0.0),
    }
    at = np.empty((n, len(_SLOTS)), dtype=np.int64)
    at[:, 0] = created
    now = created.copy()
    for i, slot in enumerate(_SLOTS[1:], start=1):
        calendar, effort = gaps[slot.name]()
        if plan.present and slot.name in _SOLVED_SLOTS:
            calendar = np.where(settle, settle_after, calendar)
            effort = np.where(settle, 0.0, effort)
        if plan.present and slot.name == "reply_1":
            calendar = np.where(outage, bulk_after, calendar)
            effort = np.where(outage, 0.0, effort)
        if isinstance(effort, float) and effort == 0.0:
            later = now + calendar
        else:
            later = clock.from_effort(clock.to_effort(now) + effort) + calendar
        t = np.maximum(np.rint(later).astype(np.int64), now + 1)  # strictly after the last event
        at[:, i] = t
        now = np.where(present[:, i], t, now)
    present &= at < plan.end  # what lies after the end of the period has not happened yet

    # the experience the surveys ask about: solved now (a reopened ticket only once solved again)
    solved_slots = [s[k] for k in _SOLVED_SLOTS]
    solved_slots.append(s["status_solved_again"])
    solved_at = np.where(present[:, solved_slots], at[:, solved_slots], -1).max(axis=1)
    reopened = present[:, s["status_reopen"]]
    solved_at = np.where(reopened & ~present[:, s["status_solved_again"]], -1, solved_at)
    first_reply_at = np.where(present[:, s["reply_1"]], at[:, s["reply_1"]], -1)

    # the agents: the first assignee, and after a reassignment someone (maybe in another team)
    assignee_1 = world.agents.pick(rng, group, created)
    group_2 = np.where(escalated & (rng.random(n) < 0.6), _ESCALATIONS, group)
    assignee_2 = np.where(escalated, world.agents.pick(rng, group_2, created), assignee_1)
    reassigned = present[:, s["reassignment"]]
    final_group = np.where(reassigned, group_2, group)
    final_assignee = np.where(reassigned, assignee_2, assignee_1)
    final_assignee = np.where(present[:, s["assignment"]], final_assignee, -1)

    # the events, ticket by ticket in slot order
    ev_ticket_64, ev_slot_64 = np.nonzero(present)
    ev_at = at[ev_ticket_64, ev_slot_64]
    del at
    ev_ticket = ev_ticket_64.astype(np.int32)
    ev_slot = ev_slot_64.astype(np.int8)
    del ev_ticket_64, ev_slot_64
    m = len(ev_ticket)
    body = np.full(m, -1, dtype=np.int32)
    variant = rng.integers(0, 1 << 30, m, dtype=np.int32)
    for i, slot in enumerate(_SLOTS):
        if slot.text:
            sel = ev_slot == i
            body[sel] = _BODY_START[slot.text] + variant[sel] % len(_TEXTS[slot.text])
    # an agent reply that the customer answers asks for something
    asks = ((ev_slot == s["reply_1"]) & (rounds[ev_ticket] >= 2)) | (
        (ev_slot == s["reply_2"]) & (rounds[ev_ticket] == 3)
    )
    body[asks] = _BODY_START["asking"] + variant[asks] % len(_TEXTS["asking"])
    opening = np.flatnonzero(ev_slot == 0)
    by_agent = agent_created[ev_ticket[opening]]
    calm = tier[ev_ticket[opening]] >= 1
    upset = (variant[opening] % 4 == 0) | (~calm & (variant[opening] % 3 == 0))
    text = 2 * subject[ev_ticket[opening]] + upset
    # the same subject in other words, drawn from a stream of its own (the draws above and
    # every number stay as they were)
    words = np.random.default_rng([plan.seed, 11, index])
    subj = subject[ev_ticket[opening]]
    tone = upset.astype(np.int64)
    way = (words.random(len(opening)) * (1 + _PHRASING_N[subj, tone])).astype(np.int64)
    text = np.where(way > 0, _PHRASING_AT[subj, tone] + way - 1, text)
    # an agent opens a ticket after a call, after a chat, or because they noticed something
    how = np.array([1, 1, 2, 0, 1, 1])[channel[ev_ticket[opening]]]
    text_agent = _BODY_START["agent_opening"] + how
    body[opening] = np.where(by_agent, text_agent, text)
    del variant
    calls = present[:, s["interaction"]] * talk[0] + present[:, s["interaction_2"]] * talk[1]
    phone_seconds = np.where(phone, calls, 0).astype(np.float64)

    brand = cust.brand[requester].astype(np.int64)
    products = np.array([len(p) for p in _PRODUCTS])
    product_start = np.concatenate([[0], np.cumsum(products)[:-1]])
    product = product_start[brand] + (rng.random(n) * products[brand]).astype(np.int64)
    converted = answered & (rng.random(n) < _CONVERSION_P[group])
    return _Chunk(
        first=first,
        hour=hour,
        created=created,
        requester=requester,
        channel=channel,
        priority=priority,
        group=final_group,
        assignee=final_assignee,
        agent_created=agent_created,
        subject=subject,
        vip=tier >= 2,
        converted=converted,
        brand=brand,
        product=product,
        region=_COUNTRY_REGION[cust.country[requester]],
        phone_seconds=phone_seconds,
        assignee_1=assignee_1,
        assignee_2=assignee_2,
        group_1=group,
        group_2=group_2,
        talk=talk.astype(np.int32),
        hold=hold_s.astype(np.int32),
        wrap=wrap.astype(np.int32),
        ev_ticket=ev_ticket,
        ev_slot=ev_slot,
        ev_at=ev_at,
        ev_body=body,
        solved_at=solved_at.astype(np.int64),
        first_reply_at=first_reply_at.astype(np.int64),
        reopened=reopened,
        rounds=rounds.astype(np.int64),
        escalated=present[:, s["reassignment"]].copy(),
    )


def _subject_of(rng: np.random.Generator, group: I64) -> I64:
    counts = np.array([len(s) for s in _SUBJECTS_OF_GROUP])
    starts = np.array([s[0] if len(s) else 0 for s in _SUBJECTS_OF_GROUP])
    pos = (rng.random(len(group)) * counts[group]).astype(np.int64)
    return (starts[group] + pos).astype(np.int64)


def _pick(rng: np.random.Generator, p: tuple[float, ...], n: int) -> I64:
    """n draws of an index with probabilities p."""
    return _draw(np.asarray(p, dtype=np.float64), rng.random(n))


def _draw(weight: F64, u: F64) -> I64:
    return _draw_cdf(np.cumsum(weight), u)


def _draw_cdf(cdf: F64, u: F64) -> I64:
    idx = np.searchsorted(cdf, u * cdf[-1], side="right")
    return np.minimum(idx, len(cdf) - 1).astype(np.int64)


# --- the AI agent in front of chat and web (generate(ai_agent=True)) -----------------------------

P_AI_ENGAGED = 0.6  # of customer-created chat and web tickets: the AI agent answers first
P_AI_SOLVED = 0.4  # of those: solved by the AI agent alone, no person writes
#: of those whose customer writes again within `REPEAT_WINDOW`: a wrong answer that looked solved
P_AI_SOLVED_REPEAT = 0.5
REPEAT_WINDOW = 7 * DAY
AI_SOLVE_MEDIAN = 4 * 60  # the AI agent's answer → solved (the customer confirms or goes quiet)
#: the AI agent's author id
AI_AGENT_ID = "ai-fin"


def _add_ai_agent(world: _World, c: _Chunk, index: int) -> None:
    """Put the AI agent in front of a chunk's customer-created chat and web tickets, in place.

    Of those, `P_AI_ENGAGED` get its message seconds after the customer's (before any person
    writes). `P_AI_SOLVED` of these are solved by it alone: only the opening message, status
    new and the acknowledgement stay, then its answer and a solved status minutes later; they
    are nobody's (so are those the people's flow solved without writing: spam, duplicates).
    The share is higher (`P_AI_SOLVED_REPEAT`) among tickets whose customer writes again
    within a week: the wrong answers, surveyed as a reopen would be. The others are handed
    over and go on as drawn. Draws come from a stream of their own (seed, 30, chunk).
    """
    plan = world.plan
    rng = np.random.default_rng([plan.seed, 30, index])
    n = len(c.created)
    front = ~c.agent_created & ((c.channel == _CHAT) | (c.channel == _WEB))
    engaged = front & (rng.random(n) < P_AI_ENGAGED)
    # the same customer's next ticket of the chunk, and whether it came within the window
    order = np.lexsort((c.created, c.requester))
    same = c.requester[order[1:]] == c.requester[order[:-1]]
    next_contact = np.full(n, _NEVER, dtype=np.int64)
    next_contact[order[:-1][same]] = c.created[order[1:][same]]
    repeat = (next_contact != _NEVER) & (next_contact - c.created <= REPEAT_WINDOW)
    drawn = rng.random(n) < np.where(repeat, P_AI_SOLVED_REPEAT, P_AI_SOLVED)
    # the AI agent answers within seconds, and always before the first person's message
    role = np.where(_SLOT_TYPE[c.ev_slot] == _MESSAGE, _SLOT_ROLE[c.ev_slot], _NONE)
    human = (role == _AGENT) & (c.ev_slot != _S["opening"])
    first_human = np.full(n, _NEVER, dtype=np.int64)
    np.minimum.at(first_human, c.ev_ticket[human], c.ev_at[human])
    # a ticket solved without anyone writing (spam, a duplicate) is the AI agent's alone too
    alone = engaged & (drawn | ((first_human == _NEVER) & (c.solved_at >= 0)))
    answer_at = np.minimum(c.created + rng.integers(2, 13, n), first_human - 1)
    engaged &= (answer_at > c.created) & (answer_at < plan.end)
    alone &= engaged
    solve = rng.lognormal(np.log(AI_SOLVE_MEDIAN), 0.8, n)
    solved_at = answer_at + np.maximum(solve, 30).astype(np.int64)
    solved = alone & (solved_at < plan.end)
    variant = rng.integers(0, 1 << 30, n)

    # AI-solved tickets keep what came before anyone answered; the people's flow never happened
    before = np.isin(c.ev_slot, [_S["opening"], _S["status_new"], _S["bot_ack"]])
    keep = before | ~alone[c.ev_ticket]
    answered, closed = np.flatnonzero(engaged), np.flatnonzero(solved)
    start = np.where(alone[answered], _BODY_START["ai_answer"], _BODY_START["ai_handover"])
    size = np.where(alone[answered], len(_TEXTS["ai_answer"]), len(_TEXTS["ai_handover"]))
    answer_slot, solved_slot = len(_SLOTS), len(_SLOTS) + 1
    ticket = np.concatenate([c.ev_ticket[keep], answered, closed]).astype(np.int32)
    slot = np.concatenate([
        c.ev_slot[keep], np.full(len(answered), answer_slot), np.full(len(closed), solved_slot)
    ]).astype(np.int8)  # fmt: skip
    at = np.concatenate([c.ev_at[keep], answer_at[answered], solved_at[closed]])
    body = np.concatenate([
        c.ev_body[keep], start + variant[answered] % size, np.full(len(closed), -1)
    ]).astype(np.int32)  # fmt: skip
    order = np.lexsort((at, ticket))  # ticket by ticket in time order (stable: slots first)
    c.ev_ticket, c.ev_slot, c.ev_at, c.ev_body = ticket[order], slot[order], at[order], body[order]

    # what the AI-solved tickets now are: nobody's, solved once, answered at once
    c.assignee = np.where(alone, -1, c.assignee)
    c.solved_at = np.where(alone, np.where(solved, solved_at, -1), c.solved_at)
    c.first_reply_at = np.where(alone, answer_at, c.first_reply_at)  # surveys ask them too
    c.rounds = np.where(alone, 1, c.rounds)
    c.escalated = c.escalated & ~alone
    c.reopened = np.where(alone, repeat, c.reopened)  # a wrong answer: they had to write again


# --- tables --------------------------------------------------------------------------------------

_TS = pa.timestamp("us", tz="UTC")
_SCHEMAS: dict[str, pa.Schema] = {
    "tickets": pa.schema([
        ("ticket_id", pa.string()), ("created_at", _TS), ("requester_id", pa.string()),
        ("channel", pa.string()), ("priority", pa.string()), ("group", pa.string()),
        ("assignee_id", pa.string()), ("created_by", pa.string()), ("schedule_id", pa.string()),
        ("subject", pa.string()), ("tags", pa.string()), ("converted", pa.bool_()),
        ("brand", pa.string()), ("product", pa.string()), ("region", pa.string()),
    ]),
    "events": pa.schema([
        ("event_id", pa.string()), ("ticket_id", pa.string()), ("at", _TS),
        ("type", pa.string()), ("author_role", pa.string()), ("author_id", pa.string()),
        ("public", pa.bool_()), ("body", pa.string()), ("status", pa.string()),
        ("assignee_id", pa.string()), ("group", pa.string()), ("agent_id", pa.string()),
        ("talk_seconds", pa.int32()), ("hold_seconds", pa.int32()), ("wrap_seconds", pa.int32()),
    ]),
    "agents": pa.schema([
        ("agent_id", pa.string()), ("name", pa.string()), ("team", pa.string()),
        ("active", pa.bool_()),
    ]),
    "customers": pa.schema([
        ("customer_id", pa.string()), ("created_at", _TS), ("churned_at", _TS),
        ("tier", pa.string()), ("segment", pa.string()), ("country", pa.string()),
        ("email", pa.string()),
    ]),
    "costs": pa.schema([
        ("period_start", pa.date32()), ("period_end", pa.date32()), ("amount", pa.float64()),
        ("currency", pa.string()), ("category", pa.string()),
    ]),
    "surveys": pa.schema([
        ("response_id", pa.string()), ("kind", pa.string()), ("scale", pa.string()),
        ("score", pa.string()), ("answered_at", _TS), ("customer_id", pa.string()),
        ("ticket_id", pa.string()), ("agent_id", pa.string()), ("channel", pa.string()),
        ("comment", pa.string()),
    ]),
    "survey_requests": pa.schema([
        ("request_id", pa.string()), ("kind", pa.string()), ("sent_at", _TS),
        ("customer_id", pa.string()), ("ticket_id", pa.string()),
    ]),
    "subscriptions": pa.schema([
        ("subscription_id", pa.string()), ("customer_id", pa.string()), ("started_at", _TS),
        ("ended_at", _TS), ("mrr", pa.float64()), ("currency", pa.string()),
    ]),
    "social_posts": pa.schema([
        ("post_id", pa.string()), ("platform", pa.string()), ("posted_at", _TS),
        ("impressions", pa.int64()), ("followers", pa.int64()), ("likes", pa.int64()),
        ("shares", pa.int64()), ("comments", pa.int64()),
    ]),
    "mentions": pa.schema([
        ("mention_id", pa.string()), ("platform", pa.string()), ("at", _TS),
        ("author", pa.string()), ("text", pa.string()),
    ]),
}  # fmt: skip


def _ids(prefix: str, numbers: I64, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _take(values: tuple[str, ...] | list[str], idx: Idx) -> pa.Array:
    """values[idx] as strings; a negative index is null."""
    return pa.array(values, pa.string()).take(pa.array(idx, mask=idx < 0))


def _times(seconds: I64, missing: Mask | None = None) -> pa.Array:
    return pa.array(seconds * 1_000_000, pa.int64(), mask=missing).cast(_TS)


def _customer_ids(idx: I64) -> pa.Array:
    return _ids("C", idx + 1, 8)


def _tickets_table(world: _World, c: _Chunk) -> pa.Table:
    n = len(c.created)
    tags = [f"{GROUPS[g]};{tag}" for g, _, tag, _ in _SUBJECTS]
    tags = [t for tag in tags for t in (tag, tag + ";vip")]
    products = [p for brand in _PRODUCTS for p in brand]
    us = c.region == REGIONS.index("NA")
    return pa.table(
        {
            "ticket_id": _ids("T", c.first + 1 + np.arange(n, dtype=np.int64), 9),
            "created_at": _times(c.created),
            "requester_id": _customer_ids(c.requester),
            "channel": _take(CHANNELS, c.channel),
            "priority": _take(PRIORITIES, c.priority),
            "group": _take(GROUPS, c.group),
            "assignee_id": _take(world.agents.ids, c.assignee),
            "created_by": _take(("customer", "agent"), c.agent_created.astype(np.int64)),
            "schedule_id": _take((_US_SCHEDULE,), np.where(us, 0, -1)),
            "subject": _take([s[1] for s in _SUBJECTS], c.subject),
            "tags": _take(tags, 2 * c.subject + c.vip),
            "converted": pa.array(c.converted, pa.bool_()),
            "brand": _take(BRANDS, c.brand),
            "product": _take(products, c.product),
            "region": _take(REGIONS, c.region),
        },
        schema=_SCHEMAS["tickets"],
    )


def _events_table(world: _World, c: _Chunk) -> pa.Table:
    """The chunk's events; each column is made and converted on its own (bounded memory)."""
    m = len(c.ev_ticket)
    s = _S
    slot, ticket = c.ev_slot, c.ev_ticket
    kind = _SLOT_TYPE[slot]
    agents = world.agents.ids
    n_agents = len(agents)
    message = kind == _MESSAGE
    role = np.where(message, _SLOT_ROLE[slot], _NONE)
    role = np.where((slot == 0) & c.agent_created[ticket], _AGENT, role)
    # the agent working on the ticket at the time of the event
    late = slot >= s["reassignment"]
    agent = np.where(late, c.assignee_2[ticket], c.assignee_1[ticket]).astype(np.int32)
    # author: index into [agents..., bot, the chunk's requesters...]
    author = np.full(m, _NONE, dtype=np.int32)
    author = np.where(role == _AGENT, agent, author)
    author = np.where(role == _BOT, n_agents, author)
    author = np.where(role == _CUSTOMER, n_agents + 1 + ticket, author)
    author = np.where((kind == _STATUS) & (slot != s["status_new"]), agent, author)
    author = np.where(slot >= len(_SLOTS), n_agents + 1 + len(c.created), author)  # AI agent
    bot = pa.array([*agents, "bot"], pa.string())
    ai = pa.array([AI_AGENT_ID], pa.string())
    people = pa.concat_arrays([bot, _customer_ids(c.requester), ai])
    first_assign, reassign = slot == s["assignment"], slot == s["reassignment"]
    assignee = np.where(first_assign, c.assignee_1[ticket], _NONE)
    assignee = np.where(reassign, c.assignee_2[ticket], assignee)
    group = np.where(first_assign, c.group_1[ticket], _NONE)
    group = np.where(reassign, c.group_2[ticket], group)
    call = np.where(slot == s["interaction"], 0, np.where(slot == s["interaction_2"], 1, _NONE))
    ticket_ids = _ids("T", c.first + 1 + np.arange(len(c.created), dtype=np.int64), 9)
    columns: dict[str, Callable[[], pa.Array]] = {
        "event_id": lambda: _ids("E", world.next_event + 1 + np.arange(m, dtype=np.int64), 10),
        "ticket_id": lambda: ticket_ids.take(pa.array(ticket)),
        "at": lambda: _times(c.ev_at),
        "type": lambda: _take(EVENT_TYPES, kind),
        "author_role": lambda: _take(ROLES, role),
        "author_id": lambda: people.take(pa.array(author, mask=author < 0)),
        "public": lambda: pa.array(_SLOT_PUBLIC[slot], pa.bool_(), mask=~message),
        "body": lambda: _take(_BODIES, c.ev_body),
        "status": lambda: _take(STATUSES, _SLOT_STATUS[slot]),
        "assignee_id": lambda: _take(agents, assignee),
        "group": lambda: _take(GROUPS, group),
        "agent_id": lambda: _take(agents, np.where(call >= 0, agent, _NONE)),
        "talk_seconds": lambda: _per_call(c.talk, call, ticket),
        "hold_seconds": lambda: _per_call(c.hold, call, ticket),
        "wrap_seconds": lambda: _per_call(c.wrap, call, ticket),
    }
    return pa.table({k: make() for k, make in columns.items()}, schema=_SCHEMAS["events"])


def _per_call(values: I32, call: Idx, ticket: I32) -> pa.Array:
    """values[call, ticket] for interaction events, null for the others."""
    out = values[np.maximum(call, 0), ticket]
    return pa.array(out, pa.int32(), mask=call < 0)


# --- the customer's voice: surveys after solved tickets ---------------------------------------

P_SURVEYED = 0.9  # of solved tickets that had a human reply: a survey is sent
P_ANSWER = 0.31  # of surveys sent: answered (a little more often after a bad experience)
SURVEY_KINDS = ("csat", "nps", "ces")
_KIND_P = (0.7, 0.15, 0.15)
_CSAT, _NPS, _CES = range(3)
#: a good first reply time per channel (calendar seconds); slower ones disappoint
_FAIR_REPLY = np.array([4 * HOUR, 4 * HOUR, 5 * 60, 5 * 60, HOUR, 6 * HOUR], dtype=np.float64)
_COMMENT_P = {"bad": 0.45, "neutral": 0.15, "good": 0.18}


_COMMENT_POOL, _COMMENT_START = _bank(_COMMENTS)


@dataclass(frozen=True)
class _Voice:
    """A chunk's surveys: the tickets surveyed (chunk positions), and of those the answered."""

    asked: I64  # tickets surveyed
    kind: I64  # per surveyed ticket
    sent_at: I64
    answered: I64  # positions into `asked` of the answers
    answered_at: I64  # per answer
    scale: I64  # per answer: index into _SCALES
    score: I64  # per answer: index into _SCORES (0-10 numbers, then "good", "bad")
    comment: I64  # per answer: index into _COMMENT_POOL, -1 = none


_SCALES = ("1-5", "good-bad", "0-10", "1-7:higher-easier")
_SCORES = (*(str(i) for i in range(11)), "good", "bad")
_GOOD, _BAD = 11, 12


def _voice(world: _World, c: _Chunk) -> _Voice:
    """Who is surveyed and what they answer, drawn once per chunk (surveys and requests).

    Satisfaction follows the experience: a slow first reply (against what is fair on the
    channel), a reopen, more back and forth and a reassignment lower it; agents differ a
    little. Comments are more frequent on bad answers and say what went wrong."""
    if c.voice is not None:
        return c.voice
    plan = world.plan
    n = len(c.created)
    rng = np.random.default_rng([plan.seed, 5, c.first // CHUNK])
    sent = c.solved_at + (rng.uniform(20, 28, n) * HOUR).astype(np.int64)
    eligible = (c.solved_at >= 0) & (c.first_reply_at >= 0) & (sent < plan.end)
    asked_mask = eligible & (rng.random(n) < P_SURVEYED)
    kind = _pick(rng, _KIND_P, n)

    # the experience, on a latent scale (about 1 is a good experience)
    frt = np.maximum(c.first_reply_at - c.created, 1).astype(np.float64)
    slow = np.clip(np.log2(frt / _FAIR_REPLY[c.channel]), 0, 4)
    agent_skill = np.random.default_rng([plan.seed, 6]).normal(0, 0.3, len(world.agents.ids))
    skill = np.where(c.assignee >= 0, agent_skill[np.maximum(c.assignee, 0)], 0.0)
    x = (
        rng.normal(1.5, 0.8, n)
        - 0.3 * slow
        - 1.2 * c.reopened
        - 0.35 * (c.rounds - 1)
        - 0.2 * c.escalated
        + skill
    )
    p_answer = P_ANSWER + 0.08 * (x < 0)
    delay = np.maximum(rng.lognormal(np.log(2 * HOUR), 1.3, n), 60).astype(np.int64)
    answered_at = sent + delay
    answers = asked_mask & (rng.random(n) < p_answer) & (answered_at < plan.end)

    chat = c.channel == _CHAT
    scale = np.select([kind == _CSAT, kind == _NPS], [np.where(chat, 1, 0), 2], default=3).astype(
        np.int64
    )
    csat5 = 1 + (x > -1.3) + (x > -0.6) + (x > -0.05) + (x > 0.85)
    nps = np.clip(np.rint(6.8 + 1.5 * x + rng.normal(0, 1.0, n)), 0, 10)
    ces = np.clip(np.rint(5.2 + 1.0 * x + rng.normal(0, 0.7, n)), 1, 7)
    score = np.select(
        [scale == 0, scale == 1, scale == 2],
        [csat5, np.where(x > -0.05, _GOOD, _BAD), nps],
        default=ces,
    ).astype(np.int64)
    bad = np.select(
        [scale == 0, scale == 1, scale == 2],
        [score <= 2, score == _BAD, score <= 6],
        default=score <= 3,
    )
    good = np.select(
        [scale == 0, scale == 1, scale == 2],
        [score >= 4, score == _GOOD, score >= 9],
        default=score >= 6,
    )
    mood = np.where(bad, 0, np.where(good, 2, 1))
    p_comment = np.array([_COMMENT_P["bad"], _COMMENT_P["neutral"], _COMMENT_P["good"]])[mood]
    why = np.where(
        c.reopened, 1, np.where(slow > 1.5, 2, np.where(c.rounds >= 2, 3, 0))
    )  # bad: general, reopened, slow, back and forth
    bank = np.where(mood == 2, 4, np.where(mood == 1, 5, why))
    banks = ("bad", "reopened", "slow", "back_and_forth", "good", "neutral")
    starts = np.array([_COMMENT_START[b] for b in banks])
    sizes = np.array([len(_COMMENTS[b]) for b in banks])
    variant = rng.integers(0, 1 << 30, n)
    comment = np.where(rng.random(n) < p_comment, starts[bank] + variant % sizes[bank], -1).astype(
        np.int64
    )

    asked = np.flatnonzero(asked_mask)
    answered = np.flatnonzero(answers[asked])
    who = asked[answered]
    c.voice = _Voice(
        asked=asked,
        kind=kind[asked],
        sent_at=sent[asked],
        answered=answered,
        answered_at=answered_at[who],
        scale=scale[who],
        score=score[who],
        comment=comment[who],
    )
    return c.voice


def _ticket_numbers(c: _Chunk, idx: I64) -> I64:
    return c.first + 1 + idx


def _surveys_table(world: _World, c: _Chunk) -> pa.Table:
    v = _voice(world, c)
    who = v.asked[v.answered]
    number = _ticket_numbers(c, who)
    return pa.table(
        {
            "response_id": _ids("R", number, 9),
            "kind": _take(SURVEY_KINDS, v.kind[v.answered]),
            "scale": _take(_SCALES, v.scale),
            "score": _take(_SCORES, v.score),
            "answered_at": _times(v.answered_at),
            "customer_id": _customer_ids(c.requester[who]),
            "ticket_id": _ids("T", number, 9),
            "agent_id": _take(world.agents.ids, c.assignee[who]),
            "channel": _take(CHANNELS, c.channel[who]),
            "comment": _take(_COMMENT_POOL, v.comment),
        },
        schema=_SCHEMAS["surveys"],
    )


def _survey_requests_table(world: _World, c: _Chunk) -> pa.Table:
    v = _voice(world, c)
    number = _ticket_numbers(c, v.asked)
    return pa.table(
        {
            "request_id": _ids("Q", number, 9),
            "kind": _take(SURVEY_KINDS, v.kind),
            "sent_at": _times(v.sent_at),
            "customer_id": _customer_ids(c.requester[v.asked]),
            "ticket_id": _ids("T", number, 9),
        },
        schema=_SCHEMAS["survey_requests"],
    )


def _agents_table(world: _World) -> Iterator[pa.Table]:
    a = world.agents
    yield pa.table(
        {
            "agent_id": pa.array(a.ids, pa.string()),
            "name": pa.array(a.names, pa.string()),
            "team": _take(GROUPS, a.team),
            "active": pa.array(a.left_at == _NEVER, pa.bool_()),
        },
        schema=_SCHEMAS["agents"],
    )


@dataclass(frozen=True)
class _Lifetimes:
    """When each customer became one and when they left (customers and subscriptions agree)."""

    joined: I64
    churn: I64  # when they leave or would leave
    churned: Mask  # left before the end of the period


def _lifetimes(world: _World) -> _Lifetimes:
    if world.lifetimes is None:
        plan, c = world.plan, world.customers
        rng = np.random.default_rng([plan.seed, 3])
        n = plan.customers
        # nobody writes before becoming a customer; some leave after their last contact
        contacted = c.first_contact != _NEVER
        before = c.first_contact - (rng.uniform(0.1, 14, n) * DAY).astype(np.int64)
        joined = np.where(contacted & (c.first_contact < c.joined), before, c.joined)
        since = np.maximum(joined, c.last_contact)
        churn = since + (rng.exponential(45, n) * DAY).astype(np.int64) + HOUR
        churned = (rng.random(n) < 0.12) & (churn < plan.end)
        world.lifetimes = _Lifetimes(joined.astype(np.int64), churn.astype(np.int64), churned)
    return world.lifetimes


_CUSTOMER_SLICE = 500_000


def _customers_table(world: _World) -> Iterator[pa.Table]:
    c, life = world.customers, _lifetimes(world)
    n = world.plan.customers
    for lo in range(0, n, _CUSTOMER_SLICE):
        sl = slice(lo, min(n, lo + _CUSTOMER_SLICE))
        ids = _customer_ids(np.arange(sl.start, sl.stop, dtype=np.int64))
        yield pa.table(
            {
                "customer_id": ids,
                "created_at": _times(life.joined[sl]),
                "churned_at": _times(life.churn[sl], ~life.churned[sl]),
                "tier": _take(TIERS, c.tier[sl]),
                "segment": _take(SEGMENTS, c.segment[sl]),
                "country": _take(COUNTRIES, c.country[sl]),
                # where survey e-mails go (example.com never delivers: a reserved domain)
                "email": pc.binary_join_element_wise(pc.utf8_lower(ids), "@example.com", ""),
            },
            schema=_SCHEMAS["customers"],
        )


#: monthly price per seat (EUR) by tier; free customers pay nothing and have no subscription
_SEAT_PRICE = np.array([0.0, 19.0, 39.0, 69.0])
#: median seats by segment (consumer, smb, mid-market, enterprise)
_SEATS = np.array([1.0, 4.0, 15.0, 60.0])
P_PLAN_CHANGE = 0.18  # of paying customers: one upgrade or downgrade during the period
P_UPGRADE = 0.65  # of plan changes


def _subscriptions_table(world: _World) -> Iterator[pa.Table]:
    """Paying customers' subscriptions: one from joining until churn (open while active); some
    customers change plan once, which ends the subscription and starts a new one at the new
    price (an upgrade or a downgrade)."""
    plan, c, life = world.plan, world.customers, _lifetimes(world)
    rng = np.random.default_rng([plan.seed, 7])
    n = plan.customers
    seats = np.where(
        c.segment == 0, 1, np.maximum(1, np.rint(rng.lognormal(0, 0.6, n) * _SEATS[c.segment]))
    )
    mrr_now = _SEAT_PRICE[c.tier] * seats
    paying = c.tier > 0
    # the change falls inside the period and inside the customer's lifetime
    lo = np.maximum(life.joined, plan.start) + 7 * DAY
    hi = np.where(life.churned, life.churn, plan.end) - 7 * DAY
    change = paying & (rng.random(n) < P_PLAN_CHANGE) & (hi > lo)
    change_at = lo + (rng.random(n) * np.maximum(hi - lo, 0)).astype(np.int64)
    up = rng.random(n) < P_UPGRADE
    factor = np.where(up, rng.uniform(1.25, 2.2, n), rng.uniform(0.45, 0.8, n))
    mrr_before = np.round(mrr_now / factor, 2)
    end = np.where(life.churned, life.churn, -1)
    number = 0
    for start in range(0, n, _CUSTOMER_SLICE):
        idx = np.arange(start, min(n, start + _CUSTOMER_SLICE), dtype=np.int64)
        idx = idx[paying[idx]]
        count = 1 + change[idx].astype(np.int64)
        who = np.repeat(idx, count)
        second = np.zeros(len(who), dtype=bool)
        second[np.cumsum(count)[count == 2] - 1] = True
        first_of_two = np.repeat(change[idx], count) & ~second
        started = np.where(second, change_at[who], life.joined[who])
        ended = np.where(first_of_two, change_at[who], end[who])
        mrr = np.where(first_of_two, mrr_before[who], mrr_now[who])
        ids = _ids("S", number + 1 + np.arange(len(who), dtype=np.int64), 9)
        number += len(who)
        yield pa.table(
            {
                "subscription_id": ids,
                "customer_id": _customer_ids(who),
                "started_at": _times(started),
                "ended_at": _times(ended, ended < 0),
                "mrr": pa.array(np.round(mrr, 2), pa.float64()),
                "currency": pa.array(["EUR"] * len(who), pa.string()),
            },
            schema=_SCHEMAS["subscriptions"],
        )


def _costs_table(world: _World) -> Iterator[pa.Table]:
    """Monthly support costs: salaries of the agents on staff, tools per seat, telephony per
    minute of calls, training."""
    plan = world.plan
    rng = np.random.default_rng([plan.seed, 4])
    start = pd.Timestamp(plan.start, unit="s", tz="UTC")
    end = pd.Timestamp(plan.end - 1, unit="s", tz="UTC")
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    first = pd.Timestamp(year=start.year, month=start.month, day=1)
    month_start = pd.date_range(first, periods=months, freq="MS")
    month_end = month_start + pd.offsets.MonthEnd(0)
    # agents employed per month (prorated by the day they left)
    ms = np.asarray(month_start.tz_localize("UTC").astype("int64") // 10**9, dtype=np.int64)
    me = np.asarray((month_end + pd.Timedelta(days=1)).tz_localize("UTC").astype("int64") // 10**9)
    left = world.agents.left_at[None, :]
    share = np.clip((left - ms[:, None]) / (me - ms)[:, None], 0.0, 1.0)
    # agents also do other work: support's share of their time follows the volume
    volume = world.tickets_per_month
    tickets = volume[:months] if volume is not None else np.zeros(months, dtype=np.int64)
    staff = np.minimum(share.sum(axis=1), np.maximum(2.0, tickets / 450))
    seconds = world.phone_seconds_per_month
    phone_minutes = (seconds[:months] if seconds is not None else np.zeros(months)) / 60
    categories = {
        "salaries": staff * 3900 * rng.normal(1.0, 0.01, months),
        "tools": len(world.agents.ids) * 89 + 1200.0 + np.zeros(months),
        "telephony": 250 + phone_minutes * 0.021,
        "training": rng.uniform(400, 2500, months),
    }
    dates = np.repeat(month_start.to_numpy().astype("datetime64[D]"), len(categories))
    ends = np.repeat(month_end.to_numpy().astype("datetime64[D]"), len(categories))
    amount = np.round(np.stack(list(categories.values()), axis=1).reshape(-1), 2)
    yield pa.table(
        {
            "period_start": pa.array(dates, pa.date32()),
            "period_end": pa.array(ends, pa.date32()),
            "amount": pa.array(amount, pa.float64()),
            "currency": pa.array(["EUR"] * len(amount), pa.string()),
            "category": pa.array(list(categories) * months, pa.string()),
        },
        schema=_SCHEMAS["costs"],
    )


# --- social media -------------------------------------------------------------------------------

SOCIAL_PLATFORMS = ("linkedin", "x", "instagram", "facebook")
_POSTS_PER_WEEK = np.array([3.0, 8.0, 4.0, 2.0])
_FOLLOWERS = np.array([8200.0, 15400.0, 6100.0, 11800.0])  # at the start of the period
_FOLLOWER_GROWTH = np.array([0.0012, 0.0006, 0.0015, 0.0002])  # per day
_REACH = np.array([0.35, 0.12, 0.25, 0.08])  # median impressions per follower
_LIKE_RATE = np.array([0.012, 0.008, 0.035, 0.01])  # per impression
_SHARE_RATE = np.array([0.15, 0.25, 0.05, 0.1])  # per like
_REPLY_RATE = np.array([0.08, 0.12, 0.06, 0.1])  # per like
_NO_IMPRESSIONS = np.array([0.05, 0.4, 0.1, 0.2])  # the tool did not report impressions
MENTION_PLATFORMS = ("x", "instagram", "facebook", "linkedin", "reddit")
_MENTION_P = (0.45, 0.15, 0.12, 0.1, 0.18)
#: mentions after an outage, relative to the usual, day by day
_SPIKE = np.array([12.0, 9.0, 6.0, 4.0, 3.0, 2.0, 1.5])


def _daily_tickets(world: _World) -> F64:
    """Tickets created per day of the period (day 0 starts at the start)."""
    days = world.plan.days
    at = world.clock.arrivals[24 + 24 * np.arange(days + 1)]
    return np.diff(at).astype(np.float64)


def _spike_day(world: _World) -> int:
    """The outage the demo's mentions spike after: the busiest day, after the first weeks (so
    that there is a baseline to see the spike against) and before the last days; in a
    present-shaped set, the outage a few days before the end."""
    if world.plan.outage_day is not None:
        return world.plan.outage_day
    daily = _daily_tickets(world)
    lo = min(len(daily) - 1, max(14, len(daily) // 4))
    hi = max(lo + 1, int(len(daily) * 0.85))
    return lo + int(np.argmax(daily[lo:hi]))


def _social_posts_table(world: _World) -> Iterator[pa.Table]:
    """The brand's posts: a few a week per platform in office hours; followers grow, reach and
    engagement vary by platform, some platforms do not always report impressions, and posts
    in the week after the outage draw more comments."""
    plan = world.plan
    rng = np.random.default_rng([plan.seed, 8])
    per_platform = rng.poisson(_POSTS_PER_WEEK * plan.days / 7)
    platform = np.repeat(np.arange(len(SOCIAL_PLATFORMS)), per_platform)
    m = len(platform)
    day = (rng.random(m) * plan.days).astype(np.int64)
    posted = plan.start + day * DAY + (rng.uniform(7, 17, m) * HOUR).astype(np.int64)
    order = np.argsort(posted, kind="stable")
    platform, day, posted = platform[order], day[order], posted[order]
    followers = np.rint(_FOLLOWERS[platform] * (1 + _FOLLOWER_GROWTH[platform]) ** day)
    impressions = np.rint(followers * rng.lognormal(np.log(_REACH[platform]), 0.6, m))
    likes = rng.binomial(impressions.astype(np.int64), _LIKE_RATE[platform])
    after_outage = (day >= _spike_day(world)) & (day < _spike_day(world) + 7)
    shares = rng.poisson(likes * _SHARE_RATE[platform])
    comments = rng.poisson(likes * _REPLY_RATE[platform] * np.where(after_outage, 3.0, 1.0))
    missing = rng.random(m) < _NO_IMPRESSIONS[platform]
    yield pa.table(
        {
            "post_id": _ids("P", np.arange(1, m + 1, dtype=np.int64), 7),
            "platform": _take(SOCIAL_PLATFORMS, platform),
            "posted_at": _times(posted),
            "impressions": pa.array(impressions.astype(np.int64), pa.int64(), mask=missing),
            "followers": pa.array(followers.astype(np.int64), pa.int64()),
            "likes": pa.array(likes.astype(np.int64), pa.int64()),
            "shares": pa.array(shares.astype(np.int64), pa.int64()),
            "comments": pa.array(comments.astype(np.int64), pa.int64()),
        },
        schema=_SCHEMAS["social_posts"],
    )


_MENTION_POOL, _MENTION_START = _bank(_MENTIONS)


def _mentions_table(world: _World) -> Iterator[pa.Table]:
    """Brand mentions: a steady trickle that follows the ticket volume, and a clear spike in
    the week after the busiest day (an outage), mostly people complaining about it."""
    plan = world.plan
    rng = np.random.default_rng([plan.seed, 9])
    base = 2.0 + 0.04 * _daily_tickets(world)
    boost = np.ones(plan.days)
    spike = _spike_day(world)
    span = min(len(_SPIKE), plan.days - spike)
    boost[spike : spike + span] = _SPIKE[:span]
    per_day = rng.poisson(base * boost)
    day = np.repeat(np.arange(plan.days, dtype=np.int64), per_day)
    m = len(day)
    at = np.sort(plan.start + day * DAY + (rng.random(m) * DAY).astype(np.int64))
    day = (at - plan.start) // DAY
    outage = rng.random(m) < 1 - 1 / boost[day]
    mood = _pick(rng, (0.35, 0.4, 0.25), m)
    bank = np.where(outage, 3, mood)
    keys = ("positive", "neutral", "negative", "outage")
    starts = np.array([_MENTION_START[k] for k in keys])
    sizes = np.array([len(_MENTIONS[k]) for k in keys])
    text = starts[bank] + rng.integers(0, 1 << 30, m) % sizes[bank]
    first = pc.utf8_lower(_take(_FIRST_NAMES, (rng.random(m) * len(_FIRST_NAMES)).astype(int)))
    handle = pc.cast(pa.array(rng.integers(1, 9999, m)), pa.string())
    yield pa.table(
        {
            "mention_id": _ids("M", np.arange(1, m + 1, dtype=np.int64), 8),
            "platform": _take(MENTION_PLATFORMS, _pick(rng, _MENTION_P, m)),
            "at": _times(at),
            "author": pc.binary_join_element_wise("@", first, "_", handle, ""),
            "text": _take(_MENTION_POOL, text),
        },
        schema=_SCHEMAS["mentions"],
    )


#: tables written chunk by chunk, alongside the tickets
_CHUNK_TABLES: dict[str, Callable[[_World, _Chunk], pa.Table]] = {
    "tickets": _tickets_table,
    "events": _events_table,
    "surveys": _surveys_table,
    "survey_requests": _survey_requests_table,
}
#: tables written once all tickets are drawn
_WORLD_TABLES: dict[str, Callable[[_World], Iterator[pa.Table]]] = {
    "agents": _agents_table,
    "customers": _customers_table,
    "subscriptions": _subscriptions_table,
    "costs": _costs_table,
    "social_posts": _social_posts_table,
    "mentions": _mentions_table,
}


# --- writing -------------------------------------------------------------------------------------


class _Sink:
    """One output file, appended to batch by batch."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.fmt = fmt
        self.rows = 0
        self._writer: Any = None
        self._text: Any = None

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(str(self.path), table.schema, compression="zstd")
            self._writer.write_table(table, row_group_size=1 << 20)
            return
        # text formats: a slice at a time, so that only a slice is ever held as text
        for batch in table.to_batches(max_chunksize=100_000):
            text = _as_text_timestamps(pa.Table.from_batches([batch]))
            if self.fmt == "csv":
                if self._writer is None:
                    self._writer = pacsv.CSVWriter(str(self.path), text.schema)
                self._writer.write_table(text)
                continue
            if self._text is None:
                self._text = self.path.open("wb")
            for piece in text.to_batches():
                self._text.write(_json_lines(piece))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._text is not None:
            self._text.close()


def _json_lines(batch: pa.RecordBatch) -> bytes:
    """The rows as JSON Lines (one object per line, null for an empty value), built with Arrow
    string kernels a column at a time, never a Python loop per row."""
    if batch.num_rows == 0:
        return b""
    parts: list[Any] = []
    for i, f in enumerate(batch.schema):
        col = batch.column(i)
        if pa.types.is_string(f.type):
            if _needs_escape(col):
                for plain, escaped in _JSON_ESCAPES:
                    col = pc.replace_substring(col, plain, escaped)
            col = pc.binary_join_element_wise('"', col, '"', "")
        else:  # booleans and numbers print as JSON does
            col = pc.cast(col, pa.string())
        parts += [("{" if i == 0 else ",") + json.dumps(f.name) + ":", pc.fill_null(col, "null")]
    lines = pc.binary_join_element_wise(*parts, "}\n", "")
    offsets, data = lines.buffers()[1:]
    first, last = np.frombuffer(offsets, dtype=np.int32)[[lines.offset, lines.offset + len(lines)]]
    return bytes(data.slice(first, last - first).to_pybytes())


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _needs_escape(col: pa.Array) -> bool:
    """Whether any text holds a quote, a backslash or a control character (checked on the raw
    bytes at once, since most columns never do)."""
    offsets, data = col.buffers()[1:]
    if data is None or len(col) == 0:
        return False
    first, last = np.frombuffer(offsets, dtype=np.int32)[[col.offset, col.offset + len(col)]]
    raw = np.frombuffer(data, dtype=np.uint8)[first:last]
    return bool(((raw == ord('"')) | (raw == ord("\\")) | (raw < 0x20)).any())


def _as_text_timestamps(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text in UTC with `Z`, dates as YYYY-MM-DD (for CSV and JSON)."""
    for i, f in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_timestamp(f.type):
            seconds = pc.divide(pc.cast(col, pa.int64()), 1_000_000)
            naive = pc.cast(seconds, pa.timestamp("s"))
            text = pc.utf8_replace_slice(pc.cast(naive, pa.string()), 10, 11, "T")
            text = pc.binary_join_element_wise(text, "Z", "")
            table = table.set_column(i, f.name, text)
        elif pa.types.is_date(f.type):
            table = table.set_column(i, f.name, pc.cast(col, pa.string()))
    return table


def generate(
    out: Path,
    tickets: int = 2000,
    seed: int = 7,
    fmt: Format = "parquet",
    start: datetime | None = None,
    days: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    end: datetime | None = None,
    present: bool = False,
    ai_agent: bool = False,
) -> dict[str, int]:
    """Write a realistic canonical data set into `out` (one file per table, named
    tickets.parquet, events.parquet, agents.parquet, ...). Returns rows written per table.

    Tickets arrive from `start` (default 2026-01-05 00:00 UTC; a naive datetime is UTC) for
    `days` days (default `default_days(tickets)`), or for `days` days up to `end` when it is
    given instead of `start`, in waves that follow office hours in Europe/Berlin.

    `present=True` shapes the end of the period as a help desk's now, for a demo measured at
    the end (`deskmetrics sample` ends at the current time): tickets left open or never
    answered are settled after a day or two (so the open backlog and its SLA breaches are the
    last days' work, not months of leftovers), and an outage three days before the end brings
    a surge of tickets (most answered within the hour by a bulk reply) and a spike of mentions
    that is still going on. Without it a ticket may stay open for ever, as in the data sets
    the tests pin their numbers on. The present's draws come from a stream of their own.

    `ai_agent=True` puts an AI agent in front of chat and web (`deskmetrics sample` asks for
    it): it answers within seconds, solves some conversations alone (a few of them wrongly:
    the customer writes again within days) and hands the others to a person, whose flow is
    the usual one. Its draws come from a stream of their own, so everything else is as without.

    Timestamps are UTC: `timestamp[us, tz=UTC]` in Parquet, ISO 8601 text with
    `Z` in CSV and JSON Lines. `progress` is called with the number of tickets drawn after each
    chunk. The same arguments give the same data.
    """
    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}: use parquet, csv or jsonl")
    plan = _plan(tickets, seed, start, days, end, present, ai_agent)
    rng = np.random.default_rng([seed, 1])
    world = _World(plan, _clock(plan, rng), _agents(plan, rng), _customers(plan, rng))
    out.mkdir(parents=True, exist_ok=True)
    sinks: dict[str, _Sink] = {}

    def sink(name: str) -> _Sink:
        if name not in sinks:
            sinks[name] = _Sink(out / f"{name}.{fmt}", fmt)
        return sinks[name]

    try:
        for index in range(-(-plan.tickets // CHUNK)):
            chunk = _make_chunk(world, index)
            if plan.ai_agent:
                _add_ai_agent(world, chunk, index)
            for name, make in _CHUNK_TABLES.items():
                sink(name).write(make(world, chunk))
            world.record(chunk)
            done = len(chunk.created)
            del chunk  # before the next one is drawn
            if progress is not None:
                progress(done)
        for name, make_all in _WORLD_TABLES.items():
            for table in make_all(world):
                sink(name).write(table)
    finally:
        for s in sinks.values():
            s.close()
    return {name: s.rows for name, s in sinks.items()}
