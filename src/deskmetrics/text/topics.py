"""Topics of tickets, discovered from what customers wrote (subject and messages).

`fit` embeds each ticket's text with a static word-embedding model shipped inside a package
(WordLlama: no download, thousands of texts a second on a CPU), chooses the number of topics
from the data (the k-means clustering with the best silhouette among a range of k, on a
sample), and labels each topic with its most distinctive words (class-based TF-IDF). `assign`
puts new tickets in the nearest topic, or in "other" when a ticket is farther from every topic
than the topic's own members are. A refit keeps the ids of the topics that persist (overlap of
members, `match_topics`); renames and merges are edits applied on top of the ids (`resolve`).
Everything is deterministic for a given seed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

#: the topic of a ticket farther from every topic than the topics' own members are (and of a
#: ticket without text)
OTHER = "other"
#: a member of a topic is at least this close to its centre in all but this share of members:
#: new tickets less similar than that read as "other"
OTHER_QUANTILE = 0.01
#: at most this many topics (a table a person reads; fine topics come from a refit with a
#: smaller --min-size)
MAX_TOPICS = 40
#: k-means runs on at most this many tickets (then every ticket goes to its nearest centre)
FIT_SAMPLE = 20_000
#: k-means for each k tried runs on at most this many of them
SEARCH_SAMPLE = 5_000
#: the silhouette that chooses k is measured on at most this many tickets
SCORE_SAMPLE = 3_000
#: a k whose silhouette is within this of the best is as good: the smallest such k is chosen
SILHOUETTE_TOLERANCE = 0.01
#: tickets embedded at a time when assigning
ASSIGN_CHUNK = 20_000
#: each ticket's text is cut here before embedding (the opening carries the topic)
MAX_TEXT_CHARS = 1_000
#: words in a topic's label
LABEL_WORDS = 3
#: words of every support conversation, never a topic's label
_STOP = (
    # greetings, politeness and filler of any support conversation
    "hi hello hey dear thanks thank thx pls please regards cheers team support help just "
    "know like want need got get ve ll don doesn didn isn wasn im ive id hope asap "
    # the same in German, French and Spanish, and their commonest function words
    "hallo danke bitte ich nicht und die der das ist mit sie wir mein meine seit bonjour "
    "merci je mon ma mes le la les est pas une des que pour dès hola gracias el los las "
    "una por para con mi mis es"
)
SUPPORT_STOP_WORDS = frozenset(_STOP.split(" "))


class Embedder(Protocol):
    """Turns texts into unit vectors (one row each), the same text always into the same row."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class WordLlamaEmbedder:
    """WordLlama's 256-dimension static embeddings, loaded from the package's own folder
    (`disable_download`: nothing is fetched at run time)."""

    name = "wordllama-l2-supercat-256"

    def __init__(self) -> None:
        import wordllama
        from wordllama import WordLlama

        self._model = WordLlama.load(
            dim=256, cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        words = [i for i, t in enumerate(texts) if t and t.strip()]
        if words:  # a text without words stays a zero row (it reads as "other")
            cut = [texts[i][:MAX_TEXT_CHARS] for i in words]
            v = np.asarray(self._model.embed(cut, norm=False, batch_size=256), dtype=np.float32)
            out[words] = _unit(np.nan_to_num(v))
        return out


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The embedder every fit and assignment uses (loaded once per process, ~0.2 s)."""
    return WordLlamaEmbedder()


def _unit(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.asarray(v / np.where(norms == 0, 1.0, norms), dtype=np.float32)


@dataclass(frozen=True)
class Topic:
    """One topic: a stable id, its label (keyphrases), centre (a unit vector), how many tickets
    it had when fitted, and `radius`: the similarity below which a ticket is too far for it."""

    topic_id: str
    label: str
    centroid: np.ndarray
    size: int
    radius: float


@dataclass(frozen=True)
class TopicModel:
    """The topics of a workspace, as fitted: what `assign` places new tickets into."""

    topics: tuple[Topic, ...]
    embedder: str = WordLlamaEmbedder.name

    def assign_vectors(self, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Each vector's topic id (nearest centre, or OTHER when it is farther than that
        topic's radius) and its similarity to that centre."""
        n = len(vectors)
        if not self.topics or n == 0:
            return [OTHER] * n, np.zeros(n, dtype=np.float32)
        centres = np.stack([t.centroid for t in self.topics])
        sims = vectors @ centres.T
        best = sims.argmax(axis=1)
        sim = sims[np.arange(n), best]
        radius = np.array([t.radius for t in self.topics], dtype=np.float32)[best]
        ids = np.array([t.topic_id for t in self.topics], dtype=object)[best]
        ids[(sim < radius) | (np.abs(vectors).sum(axis=1) == 0)] = OTHER
        return [str(i) for i in ids], sim.astype(np.float32)

    def assign(
        self, texts: Sequence[str], embedder: Embedder | None = None
    ) -> tuple[list[str], np.ndarray]:
        """`assign_vectors` of the texts' embeddings, a chunk at a time (memory stays flat
        for a million tickets)."""
        emb = embedder or default_embedder()
        ids: list[str] = []
        sims = []
        for lo in range(0, len(texts), ASSIGN_CHUNK):
            i, s = self.assign_vectors(emb.embed(texts[lo : lo + ASSIGN_CHUNK]))
            ids += i
            sims.append(s)
        return ids, np.concatenate(sims) if sims else np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Fitted:
    """What `fit` found: the model, and each text's topic id and similarity to its centre."""

    model: TopicModel
    topic_of: list[str]
    similarity: np.ndarray
    #: the silhouette of each k tried (k → score), to show why k was chosen
    silhouettes: dict[int, float]


def candidate_ks(n: int, min_size: int, max_topics: int = MAX_TOPICS) -> list[int]:
    """The numbers of topics tried: from 2 to as many as tickets allow topics of `min_size`
    (at most `max_topics`), spread geometrically (fine steps where topics are few)."""
    top = min(max_topics, n // max(min_size, 1))
    if top < 2:
        return []
    return sorted({round(k) for k in np.geomspace(2, top, num=min(12, top - 1))})


def default_min_size(n: int) -> int:
    """The smallest topic worth a row: 0.5% of the tickets, at least 3."""
    return max(3, n // 200)


def fit(
    texts: Sequence[str],
    *,
    seed: int = 0,
    min_size: int | None = None,
    max_topics: int = MAX_TOPICS,
    embedder: Embedder | None = None,
    vectors: np.ndarray | None = None,
    keys: Sequence[str] | None = None,
    previous: Mapping[str, str] | None = None,
    used_ids: Iterable[str] = (),
) -> Fitted:
    """Discover topics in `texts` (deterministic for `seed`). With `keys` (ticket ids) and
    `previous` (ticket id → topic id of the last fit), topics that persist keep their ids;
    new ones get ids never used before (`used_ids` lists every id ever given)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    v = vectors if vectors is not None else (embedder or default_embedder()).embed(texts)
    n = len(v)
    size = min_size if min_size is not None else default_min_size(n)
    rng = np.random.default_rng(seed)
    has_text = np.abs(v).sum(axis=1) > 0
    usable = np.flatnonzero(has_text)
    sample = (
        np.sort(rng.choice(usable, FIT_SAMPLE, replace=False))
        if len(usable) > FIT_SAMPLE
        else usable
    )
    # k is chosen on a smaller sample (k-means for every k tried is most of a fit's time) …
    search = (
        np.sort(rng.choice(sample, SEARCH_SAMPLE, replace=False))
        if len(sample) > SEARCH_SAMPLE
        else sample
    )
    scored = (
        np.sort(rng.choice(len(search), SCORE_SAMPLE, replace=False))
        if len(search) > SCORE_SAMPLE
        else np.arange(len(search))
    )
    silhouettes: dict[int, float] = {}
    best_k, centres = 1, v[usable].mean(axis=0, keepdims=True) if len(usable) else v[:0]
    fits: dict[int, Any] = {}
    for k in candidate_ks(len(usable), size, max_topics):
        km = KMeans(k, n_init=2, random_state=seed).fit(v[search])
        labels = km.labels_[scored]
        if len(set(labels.tolist())) < 2:
            continue
        silhouettes[k] = float(silhouette_score(v[search][scored], labels, metric="cosine"))
        fits[k] = km
    if silhouettes:
        top = max(silhouettes.values())
        best_k = min(k for k, s in silhouettes.items() if s >= top - SILHOUETTE_TOLERANCE)
        centres = fits[best_k].cluster_centers_
        if len(sample) > len(search):  # … then refined on the larger one, from its centres
            refined = KMeans(best_k, init=centres, n_init=1, random_state=seed)
            centres = refined.fit(v[sample]).cluster_centers_
    groups = _members(v, has_text, _unit(np.asarray(centres, dtype=np.float32)), size)
    centroids = [_unit(v[g].mean(axis=0, keepdims=True))[0] for g in groups]
    labels_text = (
        keyphrases(texts, groups) if texts else [f"topic {i + 1}" for i in range(len(groups))]
    )
    ids = match_topics(
        [[keys[i] for i in g] for g in groups] if keys is not None else [[] for _ in groups],
        previous or {},
        used_ids,
    )
    # ("lower": an observed similarity, so a small topic keeps all its members; less a hair
    # for rounding between the two ways the similarity is computed)
    radii = [
        float(np.quantile(v[g] @ c, OTHER_QUANTILE, method="lower")) - 1e-6
        for g, c in zip(groups, centroids, strict=True)
    ]
    # a topic of near-identical texts (a macro, a form) would take nothing but copies: no topic
    # is stricter than the typical one
    cap = float(np.median(radii)) if radii else 0.0
    topics = [
        Topic(tid, label, c, len(g), min(r, cap))
        for tid, label, g, c, r in zip(ids, labels_text, groups, centroids, radii, strict=True)
    ]
    model = TopicModel(tuple(topics), getattr(embedder or default_embedder(), "name", ""))
    topic_of, sim = model.assign_vectors(v)
    return Fitted(model, topic_of, sim, silhouettes)


def _members(
    v: np.ndarray, has_text: np.ndarray, centres: np.ndarray, min_size: int
) -> list[np.ndarray]:
    """Row indices of each topic (largest first): every text goes to its nearest centre;
    centres that gather fewer than `min_size` texts are dropped and their texts go to the
    nearest centre left."""
    keep = np.arange(len(centres))
    while True:
        nearest = (v @ centres[keep].T).argmax(axis=1) if len(keep) else np.zeros(len(v), int)
        counts = np.bincount(nearest[has_text], minlength=len(keep))
        small = counts < min_size
        if not small.any() or small.all():
            break
        keep = keep[~small]
    groups = [np.flatnonzero(has_text & (nearest == i)) for i in range(len(keep))]
    groups = [g for g in groups if len(g)]
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


_TOKEN = r"(?u)\b[^\W\d_][^\W\d_]+\b"


def keyphrases(
    texts: Sequence[str], groups: Sequence[np.ndarray], words: int = LABEL_WORDS
) -> list[str]:
    """Each group's label: its most distinctive words and word pairs by class-based TF-IDF
    (a term's share of the group's words, weighted by how rare it is across groups), without
    repeating a word already in the label."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    if not groups:
        return []
    docs = [" ".join(texts[i][:MAX_TEXT_CHARS] for i in g[:5_000]) for g in groups]
    stop = sorted(ENGLISH_STOP_WORDS | SUPPORT_STOP_WORDS)
    cv = CountVectorizer(ngram_range=(1, 2), stop_words=stop, token_pattern=_TOKEN, lowercase=True)
    try:
        counts = cv.fit_transform(docs).toarray().astype(np.float64)
    except ValueError:  # no words at all
        return [f"topic {i + 1}" for i in range(len(groups))]
    terms = cv.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg = counts.sum() / len(groups)
    weight = tf * np.log1p(avg / np.maximum(counts.sum(axis=0), 1.0))
    out = []
    for i in range(len(groups)):
        chosen: list[str] = []
        seen: set[str] = set()
        for j in np.argsort(-weight[i], kind="stable"):
            if weight[i, j] <= 0 or len(chosen) == words:
                break
            parts = set(terms[j].split())
            if parts & seen:
                continue
            chosen.append(str(terms[j]))
            seen |= parts
        out.append(", ".join(chosen) if chosen else f"topic {i + 1}")
    return out


def _number(topic_id: str) -> int:
    m = re.fullmatch(r"t(\d+)", topic_id)
    return int(m.group(1)) if m else 0


def match_topics(
    new_members: Sequence[Sequence[str]], previous: Mapping[str, str], used_ids: Iterable[str] = ()
) -> list[str]:
    """Ids for the new topics (given by their members' keys): a new topic keeps an old topic's
    id when most of its members come from that topic, or most of the old topic's members went
    to it (pairs taken by overlap, largest first, one to one); others get fresh ids `t<n>`,
    numbered after every id used before."""
    old_sizes: dict[str, int] = {}
    for t in previous.values():
        old_sizes[t] = old_sizes.get(t, 0) + 1
    pairs = []
    for i, members in enumerate(new_members):
        overlap: dict[str, int] = {}
        for key in members:
            was = previous.get(key)
            if was is not None and was != OTHER:
                overlap[was] = overlap.get(was, 0) + 1
        for t, c in overlap.items():
            if 2 * c > len(members) or 2 * c > old_sizes[t]:
                pairs.append((-c, i, t))
    ids: list[str | None] = [None] * len(new_members)
    taken: set[str] = set()
    for _, i, t in sorted(pairs):
        if ids[i] is None and t not in taken:
            ids[i] = t
            taken.add(t)
    nxt = max([_number(t) for t in [*used_ids, *previous.values()]] + [0]) + 1
    out = []
    for tid in ids:
        if tid is None:
            tid = f"t{nxt}"
            nxt += 1
        out.append(tid)
    return out


@dataclass(frozen=True)
class Edit:
    """A person's change to the topics, kept across refits: `rename` topic_id to `value`, or
    `merge` topic_id into the topic `value`."""

    action: str
    topic_id: str
    value: str


def resolve(labels: Mapping[str, str], edits: Sequence[Edit]) -> dict[str, tuple[str, str]]:
    """Topic id → (the id it reads as, its label) after the edits, in order: a merged topic
    reads as the topic it went into (and follows that topic's later merges); a rename names
    the topic (and every topic merged into it). Edits naming topics that no longer exist are
    ignored."""
    into: dict[str, str] = {}
    names: dict[str, str] = {}

    def root(t: str) -> str:
        while t in into:
            t = into[t]
        return t

    for e in edits:
        if e.action == "merge":
            a, b = root(e.topic_id), root(e.value)
            if a != b:
                into[a] = b
        elif e.action == "rename":
            names[root(e.topic_id)] = e.value
    out = {}
    for t in labels:
        r = root(t)
        shown = r if r in labels else t
        out[t] = (shown, names.get(shown, labels.get(shown, shown)))
    out[OTHER] = (OTHER, names.get(OTHER, OTHER))
    return out


def ticket_text(subject: str | None, messages: Iterable[str | None]) -> str:
    """The text a ticket's topic is read from: its subject and its customer's messages."""
    parts = [subject or "", *(m or "" for m in messages)]
    return "\n".join(p.strip() for p in parts if p and p.strip())[:MAX_TEXT_CHARS]


__all__ = [
    "MAX_TOPICS",
    "OTHER",
    "Edit",
    "Embedder",
    "Fitted",
    "Topic",
    "TopicModel",
    "WordLlamaEmbedder",
    "candidate_ks",
    "default_embedder",
    "default_min_size",
    "fit",
    "keyphrases",
    "match_topics",
    "resolve",
    "ticket_text",
]
