"""minhash_dedup on small real inputs: which rows must go, which must stay, and what they point at."""

from __future__ import annotations

import random

import pytest
from dedup_helpers import corpus, dropped, survivors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tilth.ops.base import OperatorParamError
from tilth.ops.process.minhash_dedup import MinHashDedup

ZEN = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
       "Complex is better than complicated. Flat is better than nested. Sparse is better than dense. "
       "Readability counts. Special cases aren't special enough to break the rules. Although practicality "
       "beats purity. Errors should never pass silently. Unless explicitly silenced. In the face of "
       "ambiguity, refuse the temptation to guess.")
GETTYSBURG = ("Four score and seven years ago our fathers brought forth on this continent, a new nation, "
              "conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we "
              "are engaged in a great civil war, testing whether that nation, or any nation so conceived and "
              "so dedicated, can long endure.")


def _edit(text: str, positions: list[int], word: str = "zebra") -> str:
    words = text.split()
    for p in positions:
        words[p] = word
    return " ".join(words)


def test_identical_and_one_word_edit_are_dropped_unrelated_kept():
    texts = [ZEN, GETTYSBURG, ZEN, _edit(ZEN, [40])]
    assert dropped(MinHashDedup(), texts) == {2: 0, 3: 0}


def test_heavily_edited_copy_is_kept():
    # every 4th word replaced: no 5-gram survives intact
    heavy = _edit(ZEN, list(range(0, len(ZEN.split()), 4)))
    assert dropped(MinHashDedup(), [ZEN, heavy]) == {}


def test_threshold_direction():
    # one word edited mid-text breaks 5 of ZEN's 60 5-gram shingles: Jaccard 55/65 = 0.846
    one = _edit(ZEN, [30])
    assert dropped(MinHashDedup(threshold=0.8), [ZEN, one]) == {1: 0}
    assert dropped(MinHashDedup(threshold=0.85), [ZEN, one]) == {}


def test_chain_collapses_to_first_row():
    # J(A,B) = 58/62 (first and last word edited), J(B,C) = 55/65, but J(A,C) = 53/67 = 0.79: still one
    # component, kept as A
    a = ZEN
    b = _edit(a, [0, 62])
    c = _edit(b, [30])
    assert dropped(MinHashDedup(threshold=0.8, verify="exact"), [a, b, c]) == {1: 0, 2: 0}
    assert dropped(MinHashDedup(threshold=0.8), [a, c]) == {}


def test_kept_row_is_first_in_dataset_order_across_parts():
    texts = [GETTYSBURG, "an unrelated short note about nothing in particular at all", ZEN, ZEN, ZEN]
    assert dropped(MinHashDedup(), texts, part_size=2) == {3: 2, 4: 2}


def test_case_and_punctuation_are_ignored_unless_asked():
    shout = ZEN.upper().replace(".", "!")
    assert dropped(MinHashDedup(), [ZEN, shout]) == {1: 0}
    assert dropped(MinHashDedup(lowercase=False), [ZEN, shout]) == {}


def test_empty_rows_never_match_short_rows_do():
    assert dropped(MinHashDedup(), ["", "", None, "   ", "!!"]) == {}
    assert dropped(MinHashDedup(), ["hello there", "Hello, there!", "hello world"]) == {1: 0}


@pytest.mark.parametrize("verify", ["exact", "signature", "none"])
def test_every_verify_mode_drops_clear_duplicates(verify):
    texts = [ZEN, GETTYSBURG, ZEN, GETTYSBURG]
    assert dropped(MinHashDedup(verify=verify), texts) == {2: 0, 3: 1}


def test_params_are_checked():
    with pytest.raises(OperatorParamError, match="bands"):
        MinHashDedup(bands=10)
    with pytest.raises(OperatorParamError, match="num_perm"):
        MinHashDedup(bands=20, rows=10, num_perm=128)
    assert MinHashDedup().band_config() == (16, 8)
    assert MinHashDedup(bands=32, rows=4).band_config() == (32, 4)


# -- properties on real text with random edits ---------------------------------------------------------
REAL = [d["text"] for d in corpus.sample_documents(60, seed=7, weights={"fortunes": 1, "gcide": 1}, min_words=25)]


@st.composite
def near_copies(draw):
    """Real documents plus copies of some of them with a few random word edits."""
    n = draw(st.integers(2, 12))
    base = draw(st.lists(st.sampled_from(REAL), min_size=1, max_size=n))
    out = list(base)
    rng = random.Random(draw(st.integers(0, 2**32)))
    vocab = ZEN.split()
    for _ in range(draw(st.integers(0, 8))):
        src = rng.choice(out)
        out.insert(rng.randrange(len(out) + 1), corpus.edit_words(src, rng.randrange(0, 4), rng, vocab))
    return out


SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(near_copies())
def test_idempotent_and_never_adds_rows(texts):
    op = MinHashDedup()
    once = survivors(op, texts, part_size=3)
    assert len(once) <= len(texts)
    assert survivors(op, once, part_size=3) == once


@SETTINGS
@given(near_copies())
def test_drops_point_backwards_at_kept_rows(texts):
    gone = dropped(MinHashDedup(), texts, part_size=4)
    for row, kept in gone.items():
        assert kept < row and kept not in gone


@SETTINGS
@given(near_copies(), st.sampled_from([0.7, 0.8, 0.9]))
def test_no_pair_above_threshold_survives(texts, threshold):
    # one row per band makes LSH miss no pair with Jaccard >= 0.5 (miss chance 0.5**128), so with exact
    # verification the law is deterministic: no two survivors are near duplicates
    import numpy as np
    import pyarrow as pa

    from tilth.ops.process.dedup_shingles import shingle_hashes

    op = MinHashDedup(threshold=threshold, bands=128, rows=1)
    kept = survivors(op, texts, part_size=5)
    h, d = shingle_hashes(pa.array(kept, pa.string()))
    sets = np.split(h, np.searchsorted(d, np.arange(1, len(kept))))
    assert len(corpus.jaccard_pairs(sets, threshold)) == 0
