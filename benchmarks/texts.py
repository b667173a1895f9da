"""Realistic, varied support-message bodies for the importer benchmarks (seeded, no download).

Every importer scores the sentiment of new customer messages, and the scorer keeps the score
of a text it has already seen: a generator that writes the same body for every message
measures a cache hit, not a real export. `MessageTexts(seed)` composes messages from word
lists written here — customer questions, complaints and thanks, agent replies, internal
notes — with lengths spread like e-mail and chat (20 to about 600 characters, median about
150), support vocabulary, positive and negative words, negations, intensifiers, the odd
emoji, and a small share (about 3 %) of exact short repeats such as "Thanks!". The same seed
gives the same sequence of texts.

    texts = MessageTexts(seed=7)
    texts.customer(), texts.agent(), texts.note(), texts.html(texts.customer())
"""

from __future__ import annotations

import random
from html import escape

PRODUCTS = [
    "invoice",
    "subscription",
    "account",
    "password",
    "order",
    "refund",
    "export",
    "dashboard",
    "integration",
    "mobile app",
    "API key",
    "billing page",
    "report",
    "shipment",
    "license",
    "workspace",
    "calendar sync",
    "payment method",
    "plan",
    "two-factor code",
    "CSV import",
    "webhook",
    "user seat",
    "discount code",
]
ACTIONS = [
    "log in",
    "download my invoice",
    "change my plan",
    "reset my password",
    "cancel the subscription",
    "add a new user",
    "connect Slack",
    "export the data",
    "update my card",
    "track the order",
    "get a refund",
    "change the billing address",
    "verify my email",
    "delete the workspace",
    "upgrade to the annual plan",
    "apply the coupon",
    "open the report",
    "sync the calendar",
]
PROBLEMS = [
    "keeps failing",
    "shows an error",
    "is not loading",
    "was charged twice",
    "never arrived",
    "is stuck on pending",
    "crashes on startup",
    "is really slow",
    "does not work",
    "disappeared",
    "is wrong",
    "times out",
    "is broken again",
    "returns a 500 error",
    "shows the wrong amount",
    "won't open",
]
OPENERS = [
    "Hi,",
    "Hello,",
    "Hi there,",
    "Hey team,",
    "Good morning,",
    "Dear support,",
    "Hi!",
    "Hello support team,",
    "",
    "",
    "",
]
QUESTIONS = [
    "How do I {a}?",
    "Can you help me {a}?",
    "Is it possible to {a} from the app?",
    "Where can I {a}?",
    "Could you tell me how to {a}?",
    "What is the best way to {a} for the whole team?",
    "Do you know why the {p} {x}?",
    "Any idea why my {p} {x}?",
]
COMPLAINTS = [
    "My {p} {x} and I can't {a}.",
    "The {p} {x} since yesterday.",
    "This is the third time the {p} {x}.",
    "I tried to {a} but the {p} {x}.",
    "I am really frustrated, the {p} {x} again.",
    "Honestly this is terrible, I still can't {a}.",
    "We are losing customers because the {p} {x}!",
    "Nobody answered my last email and the {p} still {x}.",
    "I'm not happy at all: the {p} {x}.",
    "It's not acceptable that the {p} {x} every week.",
    "Why is it so hard to {a}?? Awful experience.",
    "The {p} {x}, which is very annoying.",
]
POSITIVE = [
    "Thanks a lot for the quick help!",
    "That worked, you are awesome.",
    "Great, everything looks good now.",
    "Perfect, thank you so much!",
    "I really appreciate your help.",
    "Love the new dashboard, by the way.",
    "Brilliant, problem solved.",
    "Thank you, that's very helpful.",
    "Excellent support as always.",
    "Nice, it works fine now :)",
]
DETAILS = [
    "I'm using Chrome on Windows 11.",
    "This happens on both the web and the mobile app.",
    "Our account ID is {n}.",
    "The order number is #{n}.",
    "I attached a screenshot.",
    "It started after the last update.",
    "We have {k} users on the team plan.",
    "The error code is E{n}.",
    "I already cleared the cache and tried again.",
    "I didn't change anything on our side.",
    "It's not urgent but it is blocking me.",
    "This is quite urgent for us, our launch is tomorrow.",
    "The invoice for March shows ${n}.",
    "I don't see the option anywhere.",
    "Nothing happens when I click the button.",
    "I was never told about this change.",
    "It worked fine last week.",
    "My colleague has the same issue.",
]
CLOSERS = [
    "Thanks,",
    "Thanks in advance.",
    "Regards,",
    "Best,",
    "Cheers",
    "Thank you!",
    "Please advise.",
    "Waiting for your answer.",
    "",
    "",
    "",
]
AGENT_OPENERS = [
    "Hi {name},",
    "Hello {name},",
    "Hi {name}, thanks for reaching out.",
    "Hi {name}, sorry for the trouble.",
    "Thanks for your patience, {name}.",
    "Hello {name}, I'm sorry to hear that.",
]
AGENT_BODIES = [
    "I've checked your {p} and it looks like the issue is on our side.",
    "You can {a} from Settings > Billing.",
    "I have issued a refund, it should appear within 5-7 business days.",
    "Our engineers are looking into it and I'll update you as soon as possible.",
    "Could you send me a screenshot of the error?",
    "I've reset the {p} for you, please try again.",
    "This is a known issue and a fix is scheduled for next week.",
    "Unfortunately we can't {a} on the current plan.",
    "I have escalated this to our billing team.",
    "Please clear your browser cache and log in again.",
    "I've merged the duplicate charges, you won't be billed twice.",
    "Don't worry, no data was lost.",
    "Here is the link to our guide on how to {a}.",
]
AGENT_CLOSERS = [
    "Let me know if there's anything else I can help with.",
    "Have a great day!",
    "Best regards,",
    "Kind regards,",
    "Happy to help further if needed.",
    "Thanks again for your patience.",
]
NOTES = [
    "Customer on the {p} plan, checked logs: {x}.",
    "Escalated to tier 2.",
    "Refund approved by billing.",
    "Duplicate of an earlier ticket, merged.",
    "Bug filed: the {p} {x}.",
    "VIP account, reply within the hour.",
    "Waiting on engineering for the {p} fix.",
    "Called the customer, no answer.",
    "Sent the guide on how to {a}.",
    "Possible churn risk, offered a discount.",
]
NAMES = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Marco",
    "Nora",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sam",
    "Tomas",
]
EMOJI = ["🙂", "😡", "🙏", "👍", "😞", "😂", "❤️", "🤔", ":(", ":)", ":-D"]
#: exact repeats a real export has (short acknowledgements), about 3 % of messages
REPEATS = [
    "Thanks!",
    "Thank you!",
    "Thanks",
    "ok",
    "Ok, thanks.",
    "Great, thanks!",
    "Any update?",
    "Hello?",
    "Still not working.",
    "👍",
]
REPEAT_SHARE = 0.03


class MessageTexts:
    """A seeded source of varied message bodies (plain text; `html` wraps one for HTML)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"texts-{seed}")

    def _fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            p=r.choice(PRODUCTS),
            a=r.choice(ACTIONS),
            x=r.choice(PROBLEMS),
            n=r.randint(100, 99_999),
            k=r.randint(2, 400),
            name=r.choice(NAMES),
        )

    def _target(self) -> int:
        """A length aim in characters: log-normal, median ~150, clipped to 20..600."""
        return int(min(600, max(20, self.rng.lognormvariate(4.9, 0.7))))

    def _compose(self, first: list[str], middle: list[str], last: list[str]) -> str:
        r, target = self.rng, self._target()
        parts = [self._fill(r.choice(first))] if r.random() < 0.8 else []
        while sum(len(p) + 1 for p in parts) < target:
            parts.append(self._fill(r.choice(middle)))
        if r.random() < 0.6:
            parts.append(self._fill(r.choice(last)))
        text = " ".join(p for p in parts if p)
        if r.random() < 0.08:
            text += " " + r.choice(EMOJI)
        if r.random() < 0.05:
            text = text.upper() if r.random() < 0.3 else text + "!!"
        return text[:600].strip() or "Hi"

    def customer(self) -> str:
        """A customer's message: a question, a complaint or thanks, with details."""
        r = self.rng
        if r.random() < REPEAT_SHARE:
            return r.choice(REPEATS)
        mood = r.random()
        if mood < 0.4:
            core = QUESTIONS
        elif mood < 0.8:
            core = COMPLAINTS
        else:
            core = POSITIVE
        return self._compose(OPENERS, core + DETAILS + DETAILS, CLOSERS)

    def agent(self) -> str:
        """An agent's reply."""
        if self.rng.random() < REPEAT_SHARE:
            return self.rng.choice(["Thanks!", "You're welcome!", "Done.", "Happy to help!"])
        return self._compose(AGENT_OPENERS, AGENT_BODIES, AGENT_CLOSERS)

    def note(self) -> str:
        """An internal note (usually short)."""
        text = self._fill(self.rng.choice(NOTES))
        if self.rng.random() < 0.3:
            text += " " + self._fill(self.rng.choice(NOTES))
        return text

    def html(self, text: str) -> str:
        """`text` as a help desk's HTML body (escaped, in paragraphs)."""
        return "".join(f"<p>{escape(s)}</p>" for s in text.split(". ") if s) or "<p></p>"


if __name__ == "__main__":
    import statistics
    from collections import Counter

    t = MessageTexts(7)
    sample = [t.customer() for _ in range(20_000)]
    lengths = sorted(len(s) for s in sample)
    repeats = Counter(sample)
    print(
        f"customer: min {lengths[0]} median {statistics.median(lengths):.0f} "
        f"p90 {lengths[int(0.9 * len(lengths))]} max {lengths[-1]} chars; "
        f"distinct {len(repeats) / len(sample):.1%}; top {repeats.most_common(3)}"
    )
    for _ in range(3):
        print(repr(t.customer()))
    print(repr(t.agent()))
    print(repr(t.note()))
