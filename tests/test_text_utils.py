"""Shared vectorised text helpers."""

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from tilth.ops.process.text_utils import normalise_for_hash, word_counts


def test_word_counts_empty_and_padded_strings():
    # regression: Arrow's utf8_split_whitespace counts one word in "" and empty tokens at the edges
    assert word_counts(pa.chunked_array([["", "  a  b ", "x\u3000y", "\t\n"]])).tolist() == [0, 2, 2, 0]


@given(st.lists(st.text(max_size=30), max_size=20))
def test_word_counts_match_python_split(texts):
    assert word_counts(pa.chunked_array([texts], pa.string())).tolist() == [len(t.split()) for t in texts]


def test_normalise_modes():
    col = pa.chunked_array([["  Hello,\n World 42! "]])
    assert normalise_for_hash(col, "exact").to_pylist() == ["  Hello,\n World 42! "]
    assert normalise_for_hash(col, "whitespace").to_pylist() == ["Hello, World 42!"]
    assert normalise_for_hash(col, "lower").to_pylist() == ["hello, world 42!"]
    assert normalise_for_hash(col, "alnum").to_pylist() == ["hello world"]
