"""Sentiment of a customer message: signs a person agrees with, on messages clear enough to
judge by hand."""

from __future__ import annotations

import pytest

from deskmetrics.text.sentiment import score, score_all


@pytest.mark.parametrize(
    "text",
    [
        "Thank you so much, the fix works perfectly!",
        "Great support, I am really happy with the answer",
        "works now 👍",
        "thanks 😀",
    ],
)
def test_clearly_positive_messages_score_above_zero(text: str) -> None:
    s = score(text)
    assert s is not None and 0 < s <= 1


@pytest.mark.parametrize(
    "text",
    [
        "This is terrible, I want a refund now",
        "Still broken after three days. Awful service.",
        "I am not happy",  # negation turns a positive word around
        "😡",
        "still broken 😡",
        "👎",
    ],
)
def test_clearly_negative_messages_score_below_zero(text: str) -> None:
    s = score(text)
    assert s is not None and -1 <= s < 0


def test_negation_and_intensifiers_move_the_score() -> None:
    happy, not_happy = score("I am happy"), score("I am not happy")
    assert happy is not None and not_happy is not None
    assert not_happy < 0 < happy
    good, very_good = score("The answer was good"), score("The answer was very good")
    assert good is not None and very_good is not None
    assert very_good > good > 0


def test_a_message_without_words_has_no_sentiment() -> None:
    assert score("") is None
    assert score("   \n ") is None
    assert score(None) is None
    assert score_all(["", "I am happy"])[0] is None


def test_scores_stay_within_minus_one_and_one() -> None:
    for text in ["NO NO NO!!! worst worst worst 😡😡😡 " * 20, "love love love 😍 " * 20]:
        s = score(text)
        assert s is not None and -1 <= s <= 1


def test_pattern_lexicon_called_directly_scores_as_textblob() -> None:
    """The direct call (no named-tuple class per message) gives textblob's own numbers."""
    from textblob.en.sentiments import PatternAnalyzer

    from deskmetrics.text.sentiment import _opinions

    texts = ["This is not good at all!!", "Very happy with the quick fix, thanks",
             "meh", "The worst support I have ever had", ""]  # fmt: skip
    for t in texts:
        assert _opinions().analyze(t) == tuple(PatternAnalyzer().analyze(t))
