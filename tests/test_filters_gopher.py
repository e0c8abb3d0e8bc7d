"""Gopher quality and repetition filters: each rule fires on a document built to break it, and not on
real prose; scores are exact on small inputs; filters never add rows."""

from __future__ import annotations

import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs
from filter_helpers import run_filter
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.tasks import apply_filter
from tilth.ops import build
from tilth.ops.process.heuristics_ngrams import NGramIndex, dup_ngram_chars, top_ngram_chars
from tilth.ops.process.heuristics_text import words

PROSE = (
    "The history of the town is long and full of change. It was founded by farmers who came to the valley "
    "with their families, and over the years they built a church, a school and a market that drew traders "
    "from the nearby hills. Today the old market square is the heart of the town, and visitors come to see "
    "the buildings that have stood there for more than three hundred years."
)


def test_tokenizer_splits_punctuation_like_spacy():
    # expected lists are what spaCy's blank English tokenizer (datatrove's word splitter) returns
    got = words(pa.array(["Hello, world! (It's \"fine\") e.g. Mr. Smith don't-stop... U.S. 3.5 ===="])).to_pylist()
    assert got == [["Hello", ",", "world", "!", "(", "It", "'s", '"', "fine", '"', ")", "e.g.", "Mr.", "Smith",
                    "don't", "-", "stop", "...", "U.S.", "3.5", "=", "=", "=", "="]]
    assert words(pa.array(["see https://a.org/x-y/z or mail a.b@c.org"])).to_pylist() == [
        ["see", "https://a.org/x-y/z", "or", "mail", "a.b@c.org"]]
    code = "if f(x): call.Foo and/or objects*. mock.ANY see docs.python.org ''quoted''"
    assert words(pa.array([code])).to_pylist() == [
        ["if", "f(x", "):", "call", ".", "Foo", "and/or", "objects", "*", ".", "mock", ".", "ANY", "see",
         "docs.python.org", "''", "quoted", "''"]]


def test_gopher_quality_keeps_prose_and_each_rule_fires():
    op = build("gopher_quality")
    docs = {
        "prose": PROSE,
        "short": "The farmer and the miller walked over the bridge together.",
        "long_words": " ".join(["internationalisation", "counterrevolutionaries", "the", "and"] * 20),
        "hashes": PROSE + " #tag" * 20,
        "ellipsis_lines": "\n".join([PROSE] + ["and then the story went on..."] * 3),
        "bullets": "\n".join(["• the item and the thing with more words here"] * 12),
        "no_stop_words": " ".join(["Apples bananas cherries dates elderberries figs grapes."] * 10),
        "symbols": PROSE + " " + " ".join(["1234 5678 90 12 34"] * 12),
    }
    scores, keep, reasons = run_filter(op, list(docs.values()))
    got = dict(zip(docs, zip(keep, reasons, strict=True), strict=True))
    assert got["prose"] == (True, None)
    assert got["short"] == (False, "gopher_quality: words < min_doc_words")
    assert got["long_words"][1] == "gopher_quality: mean_word_length > max"
    assert got["hashes"][1] == "gopher_quality: hash_ratio > max"
    assert got["ellipsis_lines"][1] == "gopher_quality: ellipsis_lines_ratio > max"
    assert got["bullets"][1] == "gopher_quality: bullet_lines_ratio > max"
    assert got["no_stop_words"][1] == "gopher_quality: stop_words < min"
    assert got["symbols"][1] == "gopher_quality: alpha_words_ratio < min"
    row = scores.slice(0, 1).to_pylist()[0]
    assert row["gopher_hash_ratio"] == 0 and row["gopher_stop_words"] == 7  # the of and to with that have


def test_gopher_quality_thresholds_are_params():
    loose = build("gopher_quality", {"min_doc_words": 5})
    _, keep, _ = run_filter(loose, ["The farmer and the miller walked over the bridge together."])
    assert keep == [True]
    off = build("gopher_quality", {"min_stop_words": None})
    _, keep, _ = run_filter(off, [" ".join(["Apples bananas cherries dates elderberries figs grapes."] * 10)])
    assert keep == [True]


def test_ngram_statistics_exact():
    idx = NGramIndex(words(pa.array(["a b a b a b", "x y z", "p q r s t p q r s t p q r s t"])))
    # most frequent 2-gram "a b" x3 -> 3 chars * 3; unique 2-grams in "x y z" -> first one, count 1
    assert top_ngram_chars(idx, 2).tolist() == [9, 3, 3 * 3]
    # 5-grams of p..t: the repeat at word 5 counts (5 chars), the scan jumps 5 words to word 10: counts too
    assert dup_ngram_chars(idx, 5).tolist() == [0, 0, 10]


def test_gopher_repetition_rules():
    op = build("gopher_repetition")
    para = "A paragraph of words that says something about the weather and the sea today."
    docs = {
        "prose": PROSE,
        "dup_paragraphs": "\n\n".join([para, para, para, PROSE]),
        "dup_lines": "\n".join(["same line here", "same line here", "same line here", "other line"]),
        "repeated_ngrams": (PROSE + " ") + " ".join(["one two three four five six"] * 12),
        "empty": "",
    }
    _, keep, reasons = run_filter(op, list(docs.values()))
    got = dict(zip(docs, reasons, strict=True))
    assert keep[0] and got["prose"] is None
    assert got["dup_paragraphs"] == "gopher_repetition: dup_para_frac > max"
    assert got["dup_lines"] == "gopher_repetition: dup_line_frac > max"
    assert got["repeated_ngrams"] == "gopher_repetition: top_3gram_frac > max"
    assert got["empty"] == "gopher_repetition: empty"
    # without the top n-gram rules the same text still fails on repeated 5-grams
    _, keep, reasons = run_filter(build("gopher_repetition", {"top_n_grams": {}}), [docs["repeated_ngrams"]])
    assert reasons == ["gopher_repetition: dup_5gram_frac > max"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(stdlib_paragraphs(60)), min_size=1, max_size=12),
       st.sampled_from(["gopher_quality", "gopher_repetition"]))
def test_filters_never_add_rows_and_keep_matches_mask(texts, name):
    op = build(name)
    table = pa.table({"_id": list(range(len(texts))), "text": texts})
    kept, lineage = apply_filter(op, table)
    assert kept.num_rows + lineage.num_rows == table.num_rows
    assert set(kept.column("_id").to_pylist()) <= set(range(len(texts)))


@pytest.mark.parametrize("name", ["gopher_quality", "gopher_repetition"])
def test_batch_split_does_not_change_scores(name):
    texts = stdlib_paragraphs(40)
    op = build(name)
    whole = pa.table(op.score(pa.table({"text": texts})))
    parts = [pa.table(op.score(pa.table({"text": texts[i:i + 7]}))) for i in range(0, len(texts), 7)]
    assert pa.concat_tables(parts).equals(whole)
