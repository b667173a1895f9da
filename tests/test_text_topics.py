"""Topics of tickets as pure functions: a small hand-labelled set separates, a seed gives the
same topics, ids persist by overlap of members, and renames/merges read as a person expects."""

from __future__ import annotations

import numpy as np
import pytest

from deskmetrics.text.topics import (
    OTHER,
    Edit,
    candidate_ks,
    fit,
    match_topics,
    resolve,
    ticket_text,
)

BILLING = [
    "I was charged twice for my invoice",
    "Refund the double charge on my credit card please",
    "My invoice shows the wrong amount",
    "Why was my card billed two times this month",
    "Need a refund for the duplicate payment",
    "The invoice total is wrong, I was overcharged",
]
LOGIN = [
    "I cannot log in, password reset email never arrives",
    "Forgot my password and the reset link is broken",
    "Login fails with invalid password",
    "Locked out of my account after password change",
    "Two factor code does not let me sign in",
    "Cannot sign in to my account, password not accepted",
]
CRASH = [
    "The mobile app crashes when I open it",
    "App keeps crashing on my iPhone after the update",
    "Android app closes immediately on start",
    "The app freezes and crashes when uploading photos",
    "Crash on launch since the latest app version",
    "Mobile app crashed again while saving",
]
TEXTS = BILLING + LOGIN + CRASH


@pytest.fixture(scope="module")
def fitted():  # type: ignore[no-untyped-def]
    return fit(TEXTS, seed=0, min_size=3)


def test_a_hand_labelled_set_separates_into_its_three_topics(fitted) -> None:  # type: ignore[no-untyped-def]
    # k was not given: three topics is what the data says (best silhouette of k = 2, 3, 5, 6)
    assert len(fitted.model.topics) == 3
    groups = [set(fitted.topic_of[i : i + 6]) for i in (0, 6, 12)]
    assert all(len(g) == 1 for g in groups)  # each hand label lands in one topic …
    assert len(set.union(*groups)) == 3  # … and no two share one
    assert OTHER not in set.union(*groups)


def test_labels_are_words_of_the_topic_not_numbers(fitted) -> None:  # type: ignore[no-untyped-def]
    by_label = {t.topic_id: t.label for t in fitted.model.topics}
    billing, login, crash = (by_label[fitted.topic_of[i]] for i in (0, 6, 12))
    assert "invoice" in billing or "refund" in billing
    assert "password" in login
    assert "app" in crash or "crash" in crash


def test_the_same_seed_gives_the_same_topics() -> None:
    a, b = fit(TEXTS, seed=3, min_size=3), fit(TEXTS, seed=3, min_size=3)
    assert a.topic_of == b.topic_of
    assert [t.label for t in a.model.topics] == [t.label for t in b.model.topics]
    for ta, tb in zip(a.model.topics, b.model.topics, strict=True):
        assert np.array_equal(ta.centroid, tb.centroid)


def test_new_tickets_go_to_the_nearest_topic(fitted) -> None:  # type: ignore[no-untyped-def]
    ids, sims = fitted.model.assign(
        ["please refund the second charge on my invoice", "the app crashes on start"]
    )
    assert ids == [fitted.topic_of[0], fitted.topic_of[12]]
    assert all(0 < s <= 1 for s in sims)


def test_a_ticket_without_words_reads_as_other(fitted) -> None:  # type: ignore[no-untyped-def]
    ids, _ = fitted.model.assign([""])
    assert ids == [OTHER]


def test_ids_persist_by_overlap_of_members() -> None:
    previous = {**{f"a{i}": "t1" for i in range(10)}, **{f"b{i}": "t2" for i in range(10)}}
    # the new first topic holds all of t2's members (and newcomers), the second all of t1's,
    # the third only newcomers
    new = [
        [*(f"b{i}" for i in range(10)), "n1", "n2"],
        [f"a{i}" for i in range(10)],
        ["n3", "n4", "n5"],
    ]
    assert match_topics(new, previous, used_ids=["t1", "t2", "t7"]) == ["t2", "t1", "t8"]


def test_a_split_topic_keeps_its_id_for_the_larger_part() -> None:
    previous = {f"a{i}": "t1" for i in range(10)}
    new = [[f"a{i}" for i in range(3)], [f"a{i}" for i in range(3, 10)]]
    # the 7 members are most of t1: that part keeps the id; the 3 are a new topic
    assert match_topics(new, previous) == ["t2", "t1"]


def test_renames_and_merges_apply_in_order() -> None:
    labels = {"t1": "invoice, refund", "t2": "password, reset", "t3": "app, crash"}
    edits = [
        Edit("rename", "t1", "Billing"),
        Edit("merge", "t3", "t2"),  # crashes count as t2 from now on
        Edit("rename", "t2", "Access and app"),
        Edit("merge", "t9", "t1"),  # a topic that no longer exists changes nothing
    ]
    out = resolve(labels, edits)
    assert out["t1"] == ("t1", "Billing")
    assert out["t2"] == ("t2", "Access and app")
    assert out["t3"] == ("t2", "Access and app")
    assert out[OTHER] == (OTHER, OTHER)


def test_k_is_tried_from_two_up_to_what_min_size_allows() -> None:
    assert candidate_ks(18, 3) == [2, 3, 5, 6]
    assert candidate_ks(5, 3) == []  # fewer tickets than two topics of three: one topic
    assert max(candidate_ks(100_000, 500)) == 40


def test_ticket_text_is_the_subject_and_the_customer_messages() -> None:
    assert ticket_text("Refund", ["charged twice", None, " "]) == "Refund\ncharged twice"
