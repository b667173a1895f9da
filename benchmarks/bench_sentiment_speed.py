"""Benchmark: the cost of scoring one customer message's sentiment, ours against the reference.

    .venv/bin/python benchmarks/bench_sentiment_speed.py [--texts 5000] [--seed 11] [--rounds 3]

Scores `--texts` varied customer messages (benchmarks/texts.py: 20–600 characters, median
about 150) with `deskmetrics.text.sentiment.score` and with the reference path — VADER's own
`SentimentIntensityAnalyzer` (with the same emoji words) and Pattern's own `Sentiment` call —
first checking that every score is the same float, then timing each `--rounds` times in turn
(CPU time of this process, so less moved by other work on a shared machine). Prints the
microseconds per message of each (the best round) and the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from deskmetrics.text import sentiment  # noqa: E402
from texts import MessageTexts  # noqa: E402


def reference() -> Callable[[str | None], float | None]:
    """`score` as computed by the unmodified libraries."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    vader.emojis.update(sentiment.EMOJI_WORDS)
    pattern = sentiment._opinions().lexicon  # type: ignore[attr-defined]

    def score(text: str | None) -> float | None:
        if text is None or not text.strip():
            return None
        cut = text[: sentiment.MAX_CHARS]
        v = float(vader.polarity_scores(cut)["compound"])
        polarity, subjectivity = (float(x) for x in pattern(cut)[:2])
        if polarity == 0 and subjectivity == 0:
            return v
        return (v + polarity) / 2

    return score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--texts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    gen = MessageTexts(args.seed)
    texts = [gen.customer() for _ in range(args.texts)]
    ref = reference()
    ours = sentiment.score
    assert [ours(t) for t in texts] == [ref(t) for t in texts], "a score differs"
    best = {"reference": float("inf"), "deskmetrics": float("inf")}
    for _ in range(args.rounds):
        for name, fn in (("reference", ref), ("deskmetrics", ours)):
            t0 = time.process_time()
            for t in texts:
                fn(t)
            best[name] = min(best[name], time.process_time() - t0)
    chars = sum(map(len, texts)) / len(texts)
    print(f"{len(texts):,} customer messages (mean {chars:.0f} characters): scores identical")
    for name, seconds in best.items():
        print(f"{name:>12}: {seconds / len(texts) * 1e6:6.1f} µs per message (CPU, best round)")
    print(f"speed-up {best['reference'] / best['deskmetrics']:.2f}x  load "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip


if __name__ == "__main__":
    main()
