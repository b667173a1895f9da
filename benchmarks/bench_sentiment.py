"""Benchmark: message sentiment against human ratings.

    .venv/bin/python benchmarks/bench_sentiment.py [--corpus DIR]

Corpus: the human-rated sentences of Hutto & Gilbert (ICWSM 2014), shipped inside the
`vaderSentiment` source distribution on PyPI (additional_resources/hutto_ICWSM_2014.tar.gz):
each sentence's mean rating by 20 people on −4..4. Without --corpus the script fetches that
sdist with pip (`pip download --no-binary :all: vaderSentiment==3.3.2`) into
benchmarks/data/ and unpacks it there.

Printed: Pearson r between `deskmetrics.text.sentiment.score` and the human mean, for the
product-review sentences (the target, r ≥ 0.6) and the other three sets (tweets, movie
reviews, NYT editorials) to show where a lexicon is weak; the sign agreement (sentences
people rated non-zero whose score has the same sign; a score of 0 never agrees); and the
scoring speed.
Note: these sets were published by VADER's authors alongside it (the lexicon itself was rated
separately), so they are VADER's home ground: expect lower r on other text.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SETS = {
    "product reviews (Amazon)": "amazonReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "movie reviews": "movieReviewSnippets_GroundTruth.txt",
    "NYT editorials": "nytEditorialSnippets_GroundTruth.txt",
}


def fetch(data: Path) -> Path:
    """The folder of the ground-truth files, fetched from the vaderSentiment sdist if needed."""
    folder = data / "hutto_ICWSM_2014"
    if (folder / SETS["tweets"]).exists():
        return folder
    data.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(data),
            "vaderSentiment==3.3.2",
        ],
        check=True,
    )
    with tarfile.open(data / "vaderSentiment-3.3.2.tar.gz") as sdist:
        inner = sdist.extractfile(
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
        )
        assert inner is not None
        with tarfile.open(fileobj=inner) as corpus:
            corpus.extractall(data, filter="data")
    return folder


def read(path: Path) -> tuple[list[str], np.ndarray]:
    texts, ratings = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            ratings.append(float(parts[1]))
            texts.append(parts[2])
    return texts, np.array(ratings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, help="folder holding the *_GroundTruth.txt files")
    args = ap.parse_args()
    from deskmetrics.text.sentiment import score

    folder = args.corpus or fetch(HERE / "data" / "vader_corpus")
    score("warm up: load both lexicons")
    for name, file in SETS.items():
        texts, human = read(folder / file)
        t0 = time.perf_counter()
        ours = np.array([score(t) or 0.0 for t in texts])
        rate = len(texts) / (time.perf_counter() - t0)
        r = float(np.corrcoef(ours, human)[0, 1])
        sign = float(np.mean(np.sign(ours[human != 0]) == np.sign(human[human != 0])))
        print(
            f"{name}: {len(texts):,} sentences, Pearson r {r:.3f}, sign agreement "
            f"{sign:.1%}, {rate:,.0f} messages/s"
        )


if __name__ == "__main__":
    main()
