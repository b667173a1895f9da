"""Sentiment of a customer message, from −1 (angry) to 1 (delighted).

VADER (the `vaderSentiment` package, which bundles its lexicon and an emoji lexicon) is a
rule-based scorer: it handles negation ("not happy"), intensifiers ("very", "extremely"),
capitals and exclamation marks, and emoji, runs offline and scores thousands of messages a
second. It reads English only; other languages score near 0 (neutral)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol


class _Analyzer(Protocol):
    def polarity_scores(self, text: str) -> dict[str, float]: ...


#: emoji customers use in support conversations whose Unicode name carries no word VADER knows
#: ("pouting face", "thumbs down"): read as the word a person would say instead
EMOJI_WORDS = {
    "😡": "furious",
    "🤬": "furious",
    "😤": "annoyed",
    "😒": "annoyed",
    "🙄": "annoyed",
    "💩": "awful",
    "👎": "bad",
    "👍": "good",
    "🙏": "thanks",
}


@lru_cache(maxsize=1)
def _analyzer() -> _Analyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.emojis.update(EMOJI_WORDS)
    return analyzer  # type: ignore[no-any-return]


#: longer messages are cut here: sentiment lives in the first paragraphs, and VADER's cost grows
#: with the text (a pasted log would otherwise take seconds)
MAX_CHARS = 2_000


def score(text: str | None) -> float | None:
    """The message's sentiment in [−1, 1] (VADER's compound score); None for a message
    without words (empty, or only whitespace): it says nothing, and counting it as neutral
    would pull a ticket's mean towards 0."""
    if text is None or not text.strip():
        return None
    return float(_analyzer().polarity_scores(text[:MAX_CHARS])["compound"])


def score_all(texts: Iterable[str | None]) -> list[float | None]:
    """`score` of each text, in order."""
    return [score(t) for t in texts]


__all__ = ["EMOJI_WORDS", "MAX_CHARS", "score", "score_all"]
