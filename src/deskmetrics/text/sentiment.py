"""Sentiment of a customer message, from −1 (angry) to 1 (delighted).

Two lexicons that ship inside their packages, each with rules for negation ("not happy") and
intensifiers ("very", "extremely"), averaged: VADER (`vaderSentiment`: also capitals,
exclamation marks and emoji) and Pattern's lexicon of opinion words from product reviews
(`textblob`). Where Pattern knows no word of the message (an emoji, a "thx"), VADER's score
stands alone. The average follows human ratings of product-review sentences more closely than
either alone (benchmarks/bench_sentiment.py: Pearson r 0.62 against 0.59 and 0.51). Both run
offline, thousands of messages a second. English only: other languages score near 0."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import IO, Any, Literal, Protocol

log = logging.getLogger(__name__)


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


class _Opinions(Protocol):
    def analyze(self, text: str) -> tuple[float, float]: ...


class _Pattern:
    """Pattern's opinion lexicon, called directly: textblob's `PatternAnalyzer.analyze` makes
    a new named-tuple class for every message (a fifth of the scoring time)."""

    def __init__(self) -> None:
        self.lexicon: Any = _pattern_sentiment()
        #: what `Sentiment.__call__` does with a text, done here (below) when it has the parts
        self.direct = hasattr(self.lexicon, "tokenizer") and hasattr(self.lexicon, "assessments")
        #: Pattern's assessments without its lookup overheads (`_Assessments`), once known
        self.fast: _Assessments | Literal[False] | None = None

    def analyze(self, text: str) -> tuple[float, float]:
        if not self.direct:
            polarity, subjectivity = self.lexicon(text)
            return float(polarity), float(subjectivity)
        lexicon = self.lexicon
        # Pattern's contractions ("n't", "'ll" …) all hold an apostrophe: in a message without
        # one its seven replacement passes change nothing, and the tokenizer is spared them
        # (a third of its time); the tokens are the same
        tokens = lexicon.tokenizer(text) if "'" in text else lexicon.tokenizer(text, replace={})
        words = (w.lower() for w in " ".join(tokens).split())
        if self.fast is None:
            self.fast = _Assessments.of(lexicon)
        if self.fast:
            found = self.fast.assess(words)
        else:
            found = lexicon.assessments(((w, None) for w in words), True)
        return _mean([a[1] for a in found]), _mean([a[2] for a in found])


class _Assessments:
    """Pattern's `Sentiment.assessments(words, negation=True)` (textblob 0.17–0.19) for words
    without part-of-speech tags, as Pattern computes it, minus two costs: the lexicon is read
    as the plain dict it is once loaded (each `in` and `[]` of Pattern's `lazydict` goes
    through a Python method checking that it is loaded), and a short non-word token (a
    number, an emoticon) is looked up in one dict of emoticons instead of lowercasing every
    emoticon set in turn (the first set holding it wins, as in Pattern's loop)."""

    def __init__(self, lexicon: Any, emoticons: dict[str, float], g: dict[str, Any]) -> None:
        self.lexicon = lexicon
        self.emoticons = emoticons
        self.punctuation: str = g["PUNCTUATION"]
        self.mood, self.irony = g["MOOD"], g["IRONY"]

    @classmethod
    def of(cls, lexicon: Any) -> _Assessments | Literal[False]:
        """For Pattern's own `Sentiment` class with the attributes read here; else False
        (Pattern's method is used)."""
        g = getattr(type(lexicon).assessments, "__globals__", {})
        names = ("EMOTICONS", "PUNCTUATION", "MOOD", "IRONY", "lazydict")
        if not all(n in g for n in names) or not isinstance(lexicon, dict):
            return False
        if not all(hasattr(lexicon, n) for n in ("labeler", "modifiers", "negations")):
            return False
        len(lexicon)  # loaded now (lazydict), so the dict's own methods see every word
        emoticons: dict[str, float] = {}
        for (_type, polarity), faces in g["EMOTICONS"].items():
            for face in faces:
                emoticons.setdefault(face.lower(), polarity)
        return cls(lexicon, emoticons, g)

    def assess(self, words: Iterable[str]) -> list[tuple[list[str], float, float, Any]]:
        lex, contains, get = self.lexicon, dict.__contains__, dict.__getitem__
        labeler, modifiers, modifier = lex.labeler, lex.modifiers, lex.modifier
        negations, punctuation, emoticons = lex.negations, self.punctuation, self.emoticons
        pos = None
        a: list[dict[str, Any]] = []
        m: tuple[str, None] | None = None
        n: str | None = None
        for w in words:
            if contains(lex, w) and pos in get(lex, w):
                entry = get(lex, w)
                p, s, i = entry[pos]
                if m is None:
                    a.append({"w": [w], "p": p, "s": s, "i": i, "n": 1, "x": labeler.get(w)})
                if m is not None:
                    a[-1]["w"].append(w)
                    a[-1]["p"] = max(-1.0, min(p * a[-1]["i"], +1.0))
                    a[-1]["s"] = max(-1.0, min(s * a[-1]["i"], +1.0))
                    a[-1]["i"] = i
                    a[-1]["x"] = labeler.get(w)
                if n is not None:
                    a[-1]["w"].insert(0, n)
                    a[-1]["i"] = 1.0 / a[-1]["i"]
                    a[-1]["n"] = -1
                m = None
                n = None
                if any(map(entry.__contains__, modifiers)):  # pos is None: `pos and …` False
                    m = (w, pos)
                if w in negations:
                    n = w
            else:
                if w in negations:
                    n = w
                elif n and len(w.strip("'")) > 1:
                    n = None
                if n is not None and m is not None and (pos in modifiers or modifier(m[0])):
                    a[-1]["w"].append(n)
                    a[-1]["n"] = -1
                    n = None
                elif m and len(w) > 2:
                    m = None
                if w == "!" and len(a) > 0:
                    a[-1]["w"].append("!")
                    a[-1]["p"] = max(-1.0, min(a[-1]["p"] * 1.25, +1.0))
                if w == "(!)":
                    a.append({"w": [w], "p": 0.0, "s": 1.0, "i": 1.0, "n": 1, "x": self.irony})
                if w.isalpha() is False and len(w) <= 5 and w not in punctuation:
                    face = emoticons.get(w)
                    if face is not None:
                        a.append({"w": [w], "p": face, "s": 1.0, "i": 1.0, "n": 1, "x": self.mood})
        return [(d["w"], d["p"] * -0.5 if d["n"] < 0 else d["p"], d["s"], d["x"]) for d in a]


def _mean(values: list[float]) -> float:
    """The mean as Pattern's `Sentiment.__call__` takes it (0 for none), to the last bit."""
    total: float = 0
    n = 0
    for v in values:
        total += 1 * v
        n += 1
    return float(total / float(n or 1))


def _pattern_sentiment() -> Callable[[str], tuple[float, float]]:
    """`textblob.en.sentiment` (Pattern's lexicon), loaded without running textblob's package
    `__init__` when textblob is not imported yet: that imports NLTK and through it SciPy, a
    second or two at the end of every import, for a lexicon whose modules (`textblob.en`,
    `textblob._text`) import only the standard library. The modules are then dropped from
    `sys.modules`, so a later `import textblob` runs the package whole; the usual import when
    textblob is already imported or the shortcut fails."""
    if "textblob" not in sys.modules:
        spec = importlib.util.find_spec("textblob")
        if spec is not None and spec.submodule_search_locations is not None:
            sys.modules["textblob"] = importlib.util.module_from_spec(spec)  # not executed
            try:
                lexicon: Callable[[str], tuple[float, float]] = importlib.import_module(
                    "textblob.en"
                ).sentiment
                return lexicon
            except Exception:  # the usual import below says what is wrong
                pass
            finally:
                for name in ("textblob", "textblob.en", "textblob._text"):
                    sys.modules.pop(name, None)
    from textblob.en import sentiment

    return sentiment  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _opinions() -> _Opinions:
    return _Pattern()


@lru_cache(maxsize=1)
def _analyzer() -> _Analyzer:
    from vaderSentiment import vaderSentiment as vs

    negate = frozenset(vs.NEGATE)

    def negated(word: str) -> bool:
        """`vs.negated([word])`: one of VADER's negations, or a word holding "n't"."""
        low = str(word).lower()
        return low in negate or "n't" in low

    class Vader(vs.SentimentIntensityAnalyzer):  # type: ignore[misc]
        """VADER with the same arithmetic, without its quadratic lowercasing: for every
        lexicon word and each of the three words before it, `_negation_check` and
        `_special_idioms_check` lowercase the message's whole word list to read two or three
        of its words (half of VADER's time on a 150-character message). Here the list is
        lowercased once per message (kept beside the list it was made from, compared by
        identity) and the two checks are VADER 3.3.2's own code reading it, with a one-word
        `negated` that looks in a set. A text without emoji skips the emoji pass."""

        def __init__(self) -> None:
            super().__init__()
            self._lowered: tuple[object, list[str]] = (None, [])

        def polarity_scores(self, text: str) -> dict[str, float]:
            """VADER's own; a text holding no emoji skips its character-by-character copy
            (which, with no emoji, copies the text unchanged) and goes on as VADER does."""
            if not self.emojis.keys().isdisjoint(text):
                return super().polarity_scores(text)  # type: ignore[no-any-return]
            text = text.strip()
            sentitext = vs.SentiText(text)
            sentiments: list[float] = []
            words_and_emoticons = sentitext.words_and_emoticons
            booster = vs.BOOSTER_DICT
            for i, item in enumerate(words_and_emoticons):
                valence = 0
                if item.lower() in booster:
                    sentiments.append(valence)
                    continue
                if (
                    i < len(words_and_emoticons) - 1
                    and item.lower() == "kind"
                    and words_and_emoticons[i + 1].lower() == "of"
                ):
                    sentiments.append(valence)
                    continue
                sentiments = self.sentiment_valence(valence, sentitext, item, i, sentiments)
            sentiments = self._but_check(words_and_emoticons, sentiments)
            return self.score_valence(sentiments, text)  # type: ignore[no-any-return]

        def _lower(self, words: list[str]) -> list[str]:
            src, low = self._lowered  # one tuple: read and replaced whole (threads)
            if src is not words:
                low = [str(w).lower() for w in words]
                self._lowered = (words, low)
            return low

        def _negation_check(  # type: ignore[override]
            self, valence: float, words_and_emoticons: list[str], start_i: int, i: int
        ) -> float:
            lw = self._lower(words_and_emoticons)
            if start_i == 0 and negated(lw[i - (start_i + 1)]):
                valence = valence * vs.N_SCALAR
            if start_i == 1:
                if lw[i - 2] == "never" and (lw[i - 1] == "so" or lw[i - 1] == "this"):
                    valence = valence * 1.25
                elif lw[i - 2] == "without" and lw[i - 1] == "doubt":
                    valence = valence
                elif negated(lw[i - (start_i + 1)]):
                    valence = valence * vs.N_SCALAR
            if start_i == 2:
                if (lw[i - 3] == "never" and (lw[i - 2] == "so" or lw[i - 2] == "this")) or (
                    lw[i - 1] == "so" or lw[i - 1] == "this"
                ):
                    valence = valence * 1.25
                elif lw[i - 3] == "without" and (lw[i - 2] == "doubt" or lw[i - 1] == "doubt"):
                    valence = valence
                elif negated(lw[i - (start_i + 1)]):
                    valence = valence * vs.N_SCALAR
            return valence

        def _special_idioms_check(  # type: ignore[override]
            self, valence: float, words_and_emoticons: list[str], i: int
        ) -> float:
            lw = self._lower(words_and_emoticons)
            special, booster = vs.SPECIAL_CASES, vs.BOOSTER_DICT
            onezero = f"{lw[i - 1]} {lw[i]}"
            twoonezero = f"{lw[i - 2]} {lw[i - 1]} {lw[i]}"
            twoone = f"{lw[i - 2]} {lw[i - 1]}"
            threetwoone = f"{lw[i - 3]} {lw[i - 2]} {lw[i - 1]}"
            threetwo = f"{lw[i - 3]} {lw[i - 2]}"
            for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
                if seq in special:
                    valence = special[seq]
                    break
            if len(lw) - 1 > i:
                zeroone = f"{lw[i]} {lw[i + 1]}"
                if zeroone in special:
                    valence = special[zeroone]
            if len(lw) - 1 > i + 1:
                zeroonetwo = f"{lw[i]} {lw[i + 1]} {lw[i + 2]}"
                if zeroonetwo in special:
                    valence = special[zeroonetwo]
            for n_gram in (threetwoone, threetwo, twoone):
                if n_gram in booster:
                    valence = valence + booster[n_gram]
            return valence

    analyzer = Vader() if _vader_as_expected(vs) else vs.SentimentIntensityAnalyzer()
    analyzer.emojis.update(EMOJI_WORDS)
    return analyzer  # type: ignore[no-any-return]


def _vader_as_expected(vs: Any) -> bool:
    """The two checks `Vader` replaces are those of the VADER it was written from (3.3.2, the
    version pinned): any other version keeps its own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vaderSentiment") == "3.3.2" and hasattr(vs, "SPECIAL_CASES")
    except PackageNotFoundError:
        return False


#: longer messages are cut here: sentiment lives in the first paragraphs, and VADER's cost grows
#: with the text (a pasted log would otherwise take seconds)
MAX_CHARS = 2_000


def score(text: str | None) -> float | None:
    """The message's sentiment in [−1, 1]; None for a message
    without words (empty, or only whitespace): it says nothing, and counting it as neutral
    would pull a ticket's mean towards 0."""
    if text is None or not text.strip():
        return None
    cut = text[:MAX_CHARS]
    vader = float(_analyzer().polarity_scores(cut)["compound"])
    polarity, subjectivity = _opinions().analyze(cut)
    if polarity == 0 and subjectivity == 0:  # no opinion word Pattern knows
        return vader
    return (vader + float(polarity)) / 2


#: distinct texts whose score `score_all` keeps for their repeats, at most (a bulk import's
#: later new texts are scored without being kept: memory stays bounded)
DISTINCT_KEPT = 65_536


#: distinct texts from which `score_all` shares the scoring with worker processes, one per
#: further core (below, starting them costs more than it saves: ~0.2 s each)
PARALLEL_FROM = 4_000


def score_all(texts: Iterable[str | None], ahead: ScoringAhead | None = None) -> list[float | None]:
    """`score` of each text, in order. A text met again gets the score of its first
    occurrence (`score` is a function of the text alone): support conversations repeat short
    messages ("Thanks!", "ok", a form's fixed wording), each scored once (the first
    `DISTINCT_KEPT` distinct texts are kept). A bulk import's many distinct texts are scored on
    every core (`_score_distinct`). `ahead`: the import's `ScoringAhead` — the texts it scored
    are not scored again, those its worker is scoring now are left to it (their scores are
    waited for once the rest is scored)."""
    texts = list(texts)
    first: dict[str | None, int] = {}
    for t in texts:
        if t not in first and len(first) < DISTINCT_KEPT:
            first[t] = len(first)
    kept: dict[str | None, float | None] = {}
    flying: dict[str, bytes] = {}
    if ahead is not None:
        done, scoring = ahead.scores, ahead.in_flight()
        for t in first:
            if t is None:
                continue
            d = digest(t)
            if d in done:
                kept[t] = done[d]
            elif d in scoring:
                flying[t] = d
    distinct = [t for t in first if t not in kept and t not in flying]
    kept.update(zip(distinct, _score_distinct(distinct), strict=True))
    if flying:
        done = ahead.known() if ahead is not None else {}
        for t, d in flying.items():
            kept[t] = done[d] if d in done else score(t)  # its worker failed: scored here
    known = ahead.scores if ahead is not None else {}
    return [kept[t] if t in kept else _known_or_scored(t, known) for t in texts]


def _known_or_scored(text: str | None, known: Mapping[bytes, float | None]) -> float | None:
    if known and text is not None:
        d = digest(text)
        if d in known:
            return known[d]
    return score(text)


def digest(text: str) -> bytes:
    """A text's fingerprint (128-bit BLAKE2b of its UTF-8): what `ScoringAhead` keys its
    scores by, so that it holds 16 bytes per text instead of the text."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _score_distinct(texts: list[str | None]) -> list[float | None]:
    """`score` of each text, in order: here, or — for `PARALLEL_FROM` texts or more on a
    machine with several cores — shared with one worker process per further core
    (`python -m deskmetrics.text.sentiment`: the texts in as JSON, the scores out, a float
    written as its shortest repr reads back to the same bits). Worker processes rather than
    `multiprocessing`: its spawn re-runs the caller's main script, which a user's script
    without a `__main__` guard would not survive. A worker that fails has its share scored
    here (same numbers, slower)."""
    cores = min(os.cpu_count() or 1, 8)
    if cores < 2 or len(texts) < PARALLEL_FROM:
        return [score(t) for t in texts]
    step = -(-len(texts) // cores)
    shares = [texts[i : i + step] for i in range(0, len(texts), step)]
    results: list[list[float | None] | None] = [None] * len(shares)

    def run_worker(k: int) -> None:
        # through files, not pipes: feeding a pipe from this thread needs the interpreter
        # lock for every 512 bytes, which the scoring here holds: the worker would wait
        try:
            with tempfile.TemporaryFile() as texts_in, tempfile.TemporaryFile() as scores_out:
                texts_in.write(json.dumps(shares[k]).encode())
                texts_in.seek(0)
                subprocess.run(
                    [sys.executable, "-m", "deskmetrics.text.sentiment"],
                    stdin=texts_in,
                    stdout=scores_out,
                    stderr=subprocess.PIPE,
                    check=True,
                )
                scores_out.seek(0)
                got = json.load(scores_out)
            if isinstance(got, list) and len(got) == len(shares[k]):
                results[k] = got
        except (OSError, subprocess.CalledProcessError, ValueError) as exc:
            log.warning("sentiment worker failed (%s): its texts are scored here", exc)

    workers = [threading.Thread(target=run_worker, args=(k,)) for k in range(1, len(shares))]
    for w in workers:
        w.start()
    results[0] = [score(t) for t in shares[0]]
    for w in workers:
        w.join()
    out: list[float | None] = []
    for share, got in zip(shares, results, strict=True):
        out += got if got is not None else [score(t) for t in share]
    return out


#: distinct texts `ScoringAhead` hands to a worker at once, at least (fewer: starting one costs
#: more than it saves)
AHEAD_BATCH = 4_000
#: distinct texts `ScoringAhead` scores at most in one import (their fingerprints and scores
#: stay in memory until the import ends: ~150 bytes each); later ones are scored at its end
AHEAD_MOST = 1_000_000


class ScoringAhead:
    """Customer messages scored in a worker process while an import still reads and stores:
    the import works on one core, so the sentiment its end would score (`score_all`) is
    mostly made on another meanwhile. One worker at a time (`python -m
    deskmetrics.text.sentiment`, as `_score_distinct` runs them), each given the texts met
    since the last one started; the scores are kept by the text's `digest` and taken by
    `score_all`: the same function of the same text, so the same numbers, only sooner. Texts
    the import does not store after all (rejected, already scored) only cost the other core's
    time. A worker that fails leaves its texts to be scored at the end. Only on a machine
    with several cores; `close()` stops a worker still running."""

    def __init__(self) -> None:
        self.active = (os.cpu_count() or 1) >= 2
        self._batch, self._most = AHEAD_BATCH, AHEAD_MOST
        self._seen: set[bytes] = set()
        self._waiting: list[str] = []
        self._waiting_digests: list[bytes] = []
        self._worker: tuple[subprocess.Popen[bytes], IO[bytes], list[bytes]] | None = None
        #: every score made so far, by the text's digest
        self.scores: dict[bytes, float | None] = {}

    def add(self, texts: Iterable[str]) -> None:
        """Texts the import is storing (customer messages' bodies)."""
        if not self.active:
            return
        for t in texts:
            if len(self._seen) >= self._most:
                break
            d = digest(t)
            if d not in self._seen:
                self._seen.add(d)
                self._waiting.append(t)
                self._waiting_digests.append(d)
        self._collect(wait=False)
        if self._worker is None and len(self._waiting) >= self._batch:
            self._start()

    def _start(self) -> None:
        texts, digests = self._waiting, self._waiting_digests
        self._waiting, self._waiting_digests = [], []
        # the scores' file outlives this call: closed once read (`_collect`) or in `close`
        scores_out = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            with tempfile.TemporaryFile() as texts_in:
                texts_in.write(json.dumps(texts).encode())
                texts_in.seek(0)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "deskmetrics.text.sentiment"],
                    stdin=texts_in,
                    stdout=scores_out,
                    stderr=subprocess.DEVNULL,
                )
        except OSError as exc:
            scores_out.close()
            log.warning("sentiment worker not started (%s): texts are scored at the end", exc)
            self.active = False
            return
        self._worker = (proc, scores_out, digests)

    def _collect(self, wait: bool) -> None:
        if self._worker is None:
            return
        proc, scores_out, digests = self._worker
        if not wait and proc.poll() is None:
            return
        self._worker = None
        try:
            if proc.wait() == 0:
                scores_out.seek(0)
                got = json.load(scores_out)
                if isinstance(got, list) and len(got) == len(digests):
                    self.scores.update(zip(digests, got, strict=True))
                    return
            log.warning("sentiment worker failed: its texts are scored at the end")
        except ValueError as exc:
            log.warning("sentiment worker's scores unreadable (%s): scored at the end", exc)
        finally:
            scores_out.close()

    def in_flight(self) -> frozenset[bytes]:
        """The digests of the texts the worker running now is scoring (none: no worker)."""
        self._collect(wait=False)
        return frozenset(self._worker[2]) if self._worker is not None else frozenset()

    def known(self) -> dict[bytes, float | None]:
        """Every score made, once the worker still running is done."""
        self._collect(wait=True)
        return self.scores

    def close(self) -> None:
        """Stop a worker still running (the import failed, or its scores are not wanted)."""
        if self._worker is not None:
            proc, scores_out, _ = self._worker
            self._worker = None
            proc.kill()
            proc.wait()
            scores_out.close()


def _worker() -> None:
    """A worker of `_score_distinct`: the scores of the JSON list of texts on stdin."""
    texts = json.load(sys.stdin)
    json.dump([score(t) for t in texts], sys.stdout)


__all__ = ["EMOJI_WORDS", "MAX_CHARS", "ScoringAhead", "digest", "score", "score_all"]

if __name__ == "__main__":
    _worker()
