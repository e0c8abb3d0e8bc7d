"""Word count, mean word length, symbol ratio, stop-word and flagged-word filters: exact scores on small
inputs, each rule firing and not firing, thresholds as params, and filters never adding rows."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs
from filter_helpers import decide
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.tasks import apply_filter
from tilth.ops import build

NAMES = ["word_count_filter", "mean_word_length_filter", "symbol_ratio_filter", "stop_words_filter",
         "flagged_words_filter"]


def test_word_count_ignores_punctuation_tokens():
    scores, keep, reasons = decide("word_count_filter", ["one, two -- three !", "a b c d e"], min_words=4)
    assert scores.column("word_count").to_pylist() == [3, 5]
    assert keep == [False, True] and reasons == ["word_count < min_words", None]
    _, keep, reasons = decide("word_count_filter", ["a b c d e"], min_words=None, max_words=4)
    assert reasons == ["word_count > max_words"]


def test_mean_word_length():
    scores, keep, reasons = decide("mean_word_length_filter", ["cat dog.", "(extraordinarily) internationalisation", "", "the sea"])
    m = scores.column("mean_word_length").to_pylist()
    assert m[0] == 3.0 and m[1] == (15 + 20) / 2 and m[2] is None and m[3] == 3.0
    assert reasons == [None, "mean_word_length > max", "mean_word_length: no words", None]


def test_symbol_ratio_counts_punctuation_and_symbols_over_visible_chars():
    scores, keep, reasons = decide("symbol_ratio_filter", ["abc def", "a+b=c; {x}", "$$$ !!!"])
    assert scores.column("symbol_ratio").to_pylist() == [0.0, 5 / 9, 1.0]
    assert keep == [True, False, False] and reasons[1] == "symbol_ratio > max"


def test_stop_words_ratio_and_custom_list(tmp_path):
    prose = "The cat sat on the mat and it was happy with the day."
    keywords = "Cheap flights hotels rentals deals discount travel booking."
    scores, keep, reasons = decide("stop_words_filter", [prose, keywords])
    assert scores.column("stop_word_ratio").to_pylist()[1] == 0.0
    assert keep == [True, False] and reasons[1] == "stop_word_ratio < min"
    words_file = tmp_path / "stop.txt"
    words_file.write_text("cheap\nhotels\n")
    scores, _, _ = decide("stop_words_filter", [keywords], words_file=str(words_file))
    assert scores.column("stop_word_ratio").to_pylist() == [2 / 8]


def test_flagged_words():
    clean = "The committee approved the budget for the new library."
    flagged = "Free porn and sex videos, xxx site."
    scores, keep, reasons = decide("flagged_words_filter", [clean, flagged])
    assert scores.column("flagged_word_ratio").to_pylist() == [0.0, 3 / 7]
    assert keep == [True, False] and reasons == [None, "flagged_word_ratio > max"]


@pytest.mark.parametrize("name", NAMES + ["gopher_quality", "gopher_repetition", "c4_filter", "fineweb_filter",
                                          "lang_id"])
def test_metadata_spells_out_directions(name):
    meta = build(name).metadata()
    assert meta["thresholds"], name
    for t in meta["thresholds"]:
        desc = next(p["description"] for p in meta["params"] if p["name"] == t["param"])
        assert ("Keep if" in desc) and (t["keep_if"] in (">=", "<="))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(stdlib_paragraphs(50)), min_size=1, max_size=8), st.sampled_from(NAMES))
def test_never_adds_rows_and_scores_are_finite_or_null(texts, name):
    table = pa.table({"_id": list(range(len(texts))), "text": texts})
    kept, lineage = apply_filter(build(name), table)
    assert kept.num_rows + lineage.num_rows == len(texts)
    for col in kept.column_names:
        if col not in ("_id", "text"):
            assert all(v is None or not (isinstance(v, float) and math.isnan(v)) for v in kept.column(col).to_pylist())
