"""Sentiment of a customer message: signs a person agrees with, on messages clear enough to
judge by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_pattern_lexicon_loads_without_nltk_and_scores_as_textblob_does() -> None:
    """The lexicon is loaded without textblob's package `__init__` (it imports NLTK and SciPy:
    seconds at the end of every import); the opinion scores are textblob's own, and a later
    `import textblob` still gives the whole package."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from deskmetrics.text.sentiment import _opinions\n"
        "got = _opinions().analyze('The answer was not great, very slow and awful')\n"
        "assert 'nltk' not in sys.modules and 'textblob' not in sys.modules\n"
        "from textblob import TextBlob\n"
        "from textblob.en import sentiment\n"
        "assert got == tuple(map(float, sentiment('The answer was not great, very slow and "
        "awful'))), got\n"
        "print(got[0], got[1], TextBlob('great').sentiment.polarity)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    polarity, _, whole_package = (float(x) for x in out.stdout.split())
    # "not great" (0.8 negated: × −0.5 → −0.4), "very slow" (−0.3 × 1.3 → −0.39), "awful"
    # (−1.0): their mean −0.597
    assert round(polarity, 3) == -0.597
    assert whole_package == 0.8


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "not",
                "good",
                "very",
                "bad",
                "don't",
                "isn't",
                "I'm",
                "it's",
                "great!",
                "awful.",
                "really",
                "happy",
                ":)",
                "(!)",
                "U.S.",
                "etc.",
                "...",
                "\n\n",
                "\r\n",
                "'",
                '"',
                "“quoted”",
                "slow",
                "never",
                "thx",
                "👍",
                "nice,",
                "won't",
                "they'll",
                "e.g.",
            ]
        ),
        max_size=12,
    ).map(" ".join)
)
def test_opinion_scores_are_pattern_sentiments_own(text: str) -> None:
    """The lexicon called piece by piece (a message without an apostrophe skips the
    contraction passes) gives Pattern's own (polarity, subjectivity), to the last bit."""
    from deskmetrics.text.sentiment import _opinions

    opinions = _opinions()
    assert opinions.analyze(text) == tuple(map(float, opinions.lexicon(text)[:2]))  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["", "  ", None, "thanks 👍", "Still broken.", "ok", "I am not happy"]),
        max_size=20,
    )
)
def test_score_all_scores_a_repeated_text_as_score_does(texts: list[str | None]) -> None:
    """Each distinct text is scored once; every text still gets `score`'s own number."""
    assert score_all(texts) == [score(t) for t in texts]


def test_score_all_past_its_kept_texts_still_scores_each_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beyond `DISTINCT_KEPT` distinct texts, new texts are scored without being kept: the
    same numbers."""
    from deskmetrics.text import sentiment

    monkeypatch.setattr(sentiment, "DISTINCT_KEPT", 2)
    texts = ["great", "awful", "ok thanks", "great", "ok thanks", None, "awful", "ok thanks"]
    assert sentiment.score_all(texts) == [score(t) for t in texts]


# ---------------------------------------------------------------------------------------------
# VADER without its quadratic lowercasing: the same floats as VADER's own analyser


def _vader_reference() -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from deskmetrics.text.sentiment import EMOJI_WORDS

    analyzer = SentimentIntensityAnalyzer()
    analyzer.emojis.update(EMOJI_WORDS)
    return analyzer


#: what VADER's two replaced checks read
TRICKY_WORDS = (
    "not never no nor or isn't don't can't without doubt so this kind of sort least at "
    "very extremely barely hardly good great bad awful happy love hate terrible fine "
    "the cut me some slack yeah right kiss of death bad ass hand to mouth back handed "
    "the bomb upper hand break a leg GREAT BAD but however refund broken thanks :) :( "
    "😡 👍 🙏 😂 🤔 ok it is was works app login order !! ?? ... , wtf lol"
)


def _tricky_texts(n: int, seed: int) -> list[str]:
    """Word salads dense in what VADER's two replaced checks read: negations, "never so",
    "without doubt", "kind of", "least", boosters, idioms, "but", capitals, emoji, punctuation."""
    import random

    words = TRICKY_WORDS.split()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.choice([0, 1, 2, 3, 5, 8, 13, 40, 300])
        out.append(" ".join(rng.choice(words) for _ in range(k)))
    return out


def _realistic_texts(n: int, seed: int) -> list[str]:
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "texts.py"
    spec = importlib.util.spec_from_file_location("bench_texts", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    gen = mod.MessageTexts(seed)
    made = [gen.customer() for _ in range(n // 3)] + [gen.agent() for _ in range(n // 3)]
    return made + [gen.note() for _ in range(n // 3)]


def test_vader_without_quadratic_lowercasing_scores_bit_identically() -> None:
    from deskmetrics.text.sentiment import _analyzer

    ours, theirs = _analyzer(), _vader_reference()
    assert type(ours).__name__ == "Vader"  # the pinned VADER: the faster path is the one tested
    texts = _tricky_texts(3000, 5) + _realistic_texts(3000, 9) + ["", " ", "x" * 5000]
    texts.append(" ".join(_realistic_texts(30, 1)))  # very long
    for text in texts:
        assert ours.polarity_scores(text) == theirs.polarity_scores(text), text  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*"abnotNOT '!?.,:)(😡👍", "not ", "no ", "so ", "kind of "])).map(
        "".join
    )
)
def test_vader_scores_any_text_as_vader_does(text: str) -> None:
    from deskmetrics.text.sentiment import _analyzer

    assert _analyzer().polarity_scores(text) == _vader_reference().polarity_scores(text)  # type: ignore[attr-defined]


def test_pattern_assessments_without_lookup_overheads_score_bit_identically() -> None:
    """`_Assessments` (Pattern's lexicon read as a plain dict, emoticons in one dict) gives
    Pattern's own (polarity, subjectivity) on tricky, emoticon-laden, realistic, empty and
    long texts."""
    from deskmetrics.text.sentiment import _opinions

    opinions = _opinions()
    faces = ":-D XD xD <3 ♥ :'( ;) :P :p :o :O :-/ :S =( 8) >:D (!) 42 12:30 $5 a.m. ! ? !!"
    texts = _tricky_texts(2000, 6) + _realistic_texts(3000, 4) + ["", " ", "x" * 3000]
    texts += [
        f"{a} {f} {b}" for a, f, b in zip(texts, faces.split() * 200, texts[1:], strict=False)
    ]
    texts.append(" ".join(_realistic_texts(30, 2)))
    for text in texts:
        assert opinions.analyze(text) == tuple(map(float, opinions.lexicon(text)[:2])), text  # type: ignore[attr-defined]
    assert opinions.fast  # type: ignore[attr-defined]  # the faster path is the one tested


def _varied(n: int) -> list[str | None]:
    """Distinct texts of every kind the scorer meets (words, negations, emoji, emoticons, lone
    surrogates, empty, very long)."""
    kinds = [
        "not happy with order {i} at all :(",
        "Thanks a lot for #{i}!! 😀",
        "still broken after {i} days 😡",
        "{i}",
        "\ud800 odd bytes {i}",
        "great " * 50 + "{i}",
        "x" * 3000 + " terrible {i}",
    ]
    out: list[str | None] = [kinds[i % len(kinds)].format(i=i) for i in range(n)]
    return [*out, None, "", "   "]


def test_score_all_on_every_core_scores_as_score_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above PARALLEL_FROM distinct texts, worker processes score shares of them: the scores
    come back through JSON to the same bits, in order."""
    import deskmetrics.text.sentiment as sentiment

    monkeypatch.setattr(sentiment, "PARALLEL_FROM", 50)
    monkeypatch.setattr(sentiment.os, "cpu_count", lambda: 3)  # two workers beside this one
    texts = _varied(400)
    texts += texts[:30]  # repeats too
    calls: list[list[str]] = []
    run = sentiment.subprocess.run

    def counted(cmd: list[str], **kw: object) -> object:
        calls.append(cmd)
        return run(cmd, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(sentiment.subprocess, "run", counted)
    assert score_all(texts) == [score(t) for t in texts]
    assert len(calls) == 2  # the workers did run


def test_a_failed_worker_has_its_share_scored_here(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import deskmetrics.text.sentiment as sentiment

    monkeypatch.setattr(sentiment, "PARALLEL_FROM", 50)
    monkeypatch.setattr(sentiment.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sentiment.sys, "executable", "/nonexistent/python")
    texts = _varied(200)
    assert score_all(texts) == [score(t) for t in texts]
    assert "sentiment worker failed" in caplog.text


def test_texts_scored_ahead_are_scored_as_score_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ScoringAhead` scores texts in a worker process as they come, one batch per worker: its
    scores (keyed by the text's digest) are `score`'s to the bit, and `score_all` given it
    scores none of them again — those still being scored are waited for, not scored twice."""
    import deskmetrics.text.sentiment as sentiment

    monkeypatch.setattr(sentiment, "AHEAD_BATCH", 60)
    monkeypatch.setattr(sentiment.os, "cpu_count", lambda: 2)
    texts = [t for t in _varied(300) if t is not None]
    ahead = sentiment.ScoringAhead()
    scored_here: list[str | None] = []
    real = sentiment.score

    def counted(text: str | None) -> float | None:
        scored_here.append(text)
        return real(text)

    try:
        for i in range(0, len(texts), 25):  # as an import's chunks come
            ahead.add(texts[i : i + 25])
        flying = ahead.in_flight()
        before = set(ahead.scores)
        monkeypatch.setattr(sentiment, "score", counted)
        got = sentiment.score_all([*texts, None], ahead=ahead)
        monkeypatch.setattr(sentiment, "score", real)
        known = ahead.known()
    finally:
        ahead.close()
    assert got == [score(t) for t in [*texts, None]]
    assert len(known) >= 60  # at least one worker's batch came back
    assert before | flying <= set(known)
    for t in texts:
        if sentiment.digest(t) in known:
            assert known[sentiment.digest(t)] == score(t)
    # only the texts the workers had not scored, and the None, were scored here
    assert len(scored_here) == len({t for t in texts if sentiment.digest(t) not in known}) + 1


def test_a_failed_worker_ahead_leaves_its_texts_to_the_end(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import deskmetrics.text.sentiment as sentiment

    monkeypatch.setattr(sentiment, "AHEAD_BATCH", 10)
    monkeypatch.setattr(sentiment.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sentiment.sys, "executable", "/bin/false")
    texts = [t for t in _varied(40) if t is not None]
    ahead = sentiment.ScoringAhead()
    ahead.add(texts)
    assert sentiment.score_all(texts, ahead=ahead) == [score(t) for t in texts]
    assert ahead.known() == {}
    assert "sentiment worker failed" in caplog.text
    ahead.close()


def test_an_import_scores_its_customer_messages_ahead_to_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An import hands its customer messages to `ScoringAhead` while it reads: the stored
    sentiment is what scoring them at the end gives (one core), and the end scores only what
    the worker had not."""
    import deskmetrics.text.sentiment as sentiment
    from deskmetrics.config import Settings
    from deskmetrics.engine import open_duckdb
    from deskmetrics.importers import import_directory
    from deskmetrics.sample import generate

    generate(tmp_path / "sample", tickets=150, seed=3)
    monkeypatch.setattr(sentiment, "AHEAD_BATCH", 20)
    monkeypatch.setattr(sentiment, "PARALLEL_FROM", 10**9)  # the end: in this process only
    real = sentiment.score
    scored_here: list[str | None] = []

    def counted(text: str | None) -> float | None:
        scored_here.append(text)
        return real(text)

    monkeypatch.setattr(sentiment, "score", counted)
    stored = {}
    for cores in (1, 2):  # 1: nothing ahead, every message scored at the end
        monkeypatch.setattr(sentiment.os, "cpu_count", lambda c=cores: c)
        scored_here.clear()
        ws = open_duckdb(tmp_path / f"ws{cores}.duckdb", Settings())
        import_directory(ws, tmp_path / "sample")
        stored[cores] = ws.backend.con.execute(
            "SELECT event_id, sentiment FROM message_sentiment ORDER BY event_id"
        ).fetchall()
        ws.backend.con.close()
        if cores == 1:
            at_the_end = len(scored_here)
        else:
            ahead_end = len(scored_here)
    assert len(stored[1]) > 100
    assert stored[2] == stored[1]  # same messages, same bits
    assert ahead_end < at_the_end / 2  # most were scored by the worker while the import read
