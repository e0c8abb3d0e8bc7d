"""exact_dedup: which normalisation makes two rows equal, that the first row is kept, and idempotence."""

from __future__ import annotations

import pytest
from dedup_helpers import dropped, survivors
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.ops.base import OperatorParamError
from tilth.ops.process.exact_dedup import ExactDedup

LINE = "Errors should never pass silently."


@pytest.mark.parametrize(
    "mode,variant,duplicate",
    [
        ("exact", LINE, True),
        ("exact", LINE + " ", False),
        ("whitespace", "  Errors  should never\tpass\nsilently. ", True),
        ("whitespace", LINE.lower(), False),
        ("lower", "ERRORS should never pass SILENTLY.", True),
        ("lower", "Errors should never pass silently!", False),
        ("alnum", "errors -- should never pass, silently!!! 42", True),
        ("alnum", "Errors should always pass silently.", False),
    ],
)
def test_each_normalisation_fires_and_does_not(mode, variant, duplicate):
    expect = {1: 0} if duplicate else {}
    assert dropped(ExactDedup(normalise=mode), [LINE, variant]) == expect


def test_first_row_is_kept_across_parts_and_all_copies_point_at_it():
    texts = ["b", LINE, "a", LINE, LINE.upper(), LINE]
    assert dropped(ExactDedup(), texts, part_size=2) == {3: 1, 5: 1}
    assert dropped(ExactDedup(normalise="lower"), texts, part_size=2) == {3: 1, 4: 1, 5: 1}


def test_a_missing_value_duplicates_nothing_and_empty_texts_are_duplicates():
    """A newcomer's titles null, missing and "" were cut to one row as "exact duplicate"s: a row without a
    value says nothing about being a copy; "" and "  " are the same (empty) text."""
    assert dropped(ExactDedup(), ["", None, "x", "  ", None]) == {3: 0}


def test_unknown_mode_is_rejected():
    with pytest.raises(OperatorParamError, match="normalise"):
        ExactDedup(normalise="fuzzy")


TEXTS = st.lists(st.sampled_from(["a", "A", "a ", " a", "a!", "b", "b b", "", "é", "É"]) | st.text(max_size=6),
                 max_size=20)


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.sampled_from(["exact", "whitespace", "lower", "alnum"]), st.integers(1, 5))
def test_idempotent_no_growth_and_first_kept(texts, mode, part_size):
    op = ExactDedup(normalise=mode)
    once = survivors(op, texts, part_size)
    assert len(once) <= len(texts)
    assert survivors(op, once, part_size) == once
    assert len(once) == len(set(once)) or mode != "exact"
    for row, kept in dropped(op, texts, part_size).items():
        assert kept < row


def test_also_fields_make_a_pair_a_duplicate_only_when_every_field_matches():
    """"dedupe exact copies of the Q&A pairs": the same question with another answer is not a copy."""
    import pyarrow as pa

    batch = pa.table({"_id": pa.array(range(7), pa.int64()),
                      "question": ["How?", "How?", " How? ", "How?", "How?", "ab", "a"],
                      "answer": ["Like this.", "Like that.", "Like  this.", None, None, "c", "bc"]})
    sig = ExactDedup(text_field="question", also_fields=["answer"]).signature(batch)
    keys = list(zip(sig.column("h1").to_pylist(), sig.column("h2").to_pylist(), strict=True))
    # rows 0 and 2 are one pair after whitespace normalisation; 3 and 4 share a missing answer; 5 and 6 do not
    # run together ("ab" + "c" is not "a" + "bc")
    assert [keys.index(k) for k in keys] == [0, 1, 0, 3, 3, 5, 6]
    assert ExactDedup(text_field="question", also_fields=["answer"]).input_columns() == ["question", "answer"]
    plain = ExactDedup(text_field="question").signature(batch)
    assert plain.column("h1").to_pylist()[:2] == [plain.column("h1")[0].as_py()] * 2  # the question alone: one


def test_rows_compared_on_every_field_are_copies_with_their_text_missing_too():
    """Trial 71: "dedupe" on a booking table (every field but the id) left two identical bookings without feedback:
    a missing text duplicated nothing, even where all the other fields were compared and matched."""
    import pyarrow as pa

    table = pa.table({"_id": pa.array([0, 1, 2, 3], pa.int64()), "text": pa.array([None, None, None, ""], pa.string()),
                      "tier": ["gold", "gold", "basic", "gold"], "late": [3, 3, 3, 3]})
    sig = ExactDedup(also_fields=["tier", "late"]).signature(table).to_pylist()
    assert sig[0] == sig[1]  # same fields, both without text: copies
    assert sig[0] != sig[2] and sig[0] != sig[3]  # another tier; an empty text is not a missing one
    alone = ExactDedup().signature(table).to_pylist()
    assert alone[0] != alone[1]  # the text alone compared: a missing value still duplicates nothing
