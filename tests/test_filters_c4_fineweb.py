"""C4 (document filter + line cleaner) and FineWeb rules on small real-looking documents, exact."""

from __future__ import annotations

import pyarrow as pa
from corpus_fixtures import stdlib_paragraphs
from filter_helpers import decide
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.ops import build
from tilth.ops.process.heuristics_c4 import sentence_counts

GOOD = [
    "The river rose quickly after the storm.",
    "Farmers moved their animals to higher ground.",
    "By evening the water had reached the old bridge.",
    "Nobody was hurt, and the town slowly recovered.",
    "The council promised to build a new levee next year.",
]


def test_sentence_counts_follow_spacy_sentencizer():
    # expected counts are spaCy's (blank English + sentencizer), which datatrove uses
    lines = ['It was late. Dr. Who came in! Then the U.S. team left... and more. "Quoted." Next one',
             "One sentence only here.", "Is it? Yes! No. Maybe.", 'He said "stop." Then left.',
             "Version 3.5 is out. See e.g. the docs. Done."]
    assert sentence_counts(pa.array(lines)).tolist() == [5, 1, 4, 2, 3]


def test_c4_filter_document_rules():
    docs = {
        "good": "\n".join(GOOD),
        "few_sentences": "\n".join(GOOD[:3]),
        "lorem": "\n".join(GOOD + ["Lorem ipsum dolor sit amet, consectetur."]),
        "curly": "\n".join(GOOD + ["The function body is {return x;} as shown."]),
        # the braces sit on a line that the line rules remove (no terminal punctuation): not a drop
        "curly_removed_line": "\n".join(GOOD + ["int main() { return 0; }"]),
        "js_lines_do_not_count": "\n".join(GOOD[:4] + ["Please enable JavaScript to view this site."]),
    }
    scores, keep, reasons = decide("c4_filter", list(docs.values()))
    got = dict(zip(docs, reasons, strict=True))
    assert got == {"good": None, "few_sentences": "c4: sentences < min", "lorem": "c4: lorem ipsum",
                   "curly": "c4: curly bracket", "curly_removed_line": None,
                   "js_lines_do_not_count": "c4: sentences < min"}
    assert scores.column("c4_sentences").to_pylist() == [5, 3, 6, 6, 5, 4]
    _, keep, _ = decide("c4_filter", [docs["few_sentences"]], min_num_sentences=3)
    assert keep == [True]


def test_c4_line_cleaner_removes_lines_and_citations():
    text = "\n".join([
        "Menu",  # no terminal punctuation
        "  The bridge was built in 1820.[3]  ",  # kept, citation removed, stripped
        "Too short.",  # fewer than 3 words
        "This site uses cookies to improve your experience.",  # policy phrase
        "Enable javascript for the full experience.",
        "And then they waited for a long time...",  # ellipsis
        "It stood for two centuries.",
    ])
    table = pa.table({"_id": [7], "text": [text]})
    out = build("c4_line_cleaner").map(table)
    assert out.column("text").to_pylist() == ["The bridge was built in 1820.\nIt stood for two centuries."]
    assert out.column("_id").to_pylist() == [7]


def test_fineweb_rules():
    docs = {
        "good": "\n".join(GOOD),
        "no_punct": "\n".join(g.rstrip(".") + " and more words here" for g in GOOD),
        "short_lines": "\n".join(["Home.", "About us.", "Contact.", GOOD[0]]),
        "dup_lines": "\n".join(GOOD + [GOOD[0], GOOD[1]]),
        "list_like": "\n".join(f"Pneumonoultramicroscopicsilicovolcanoconiosis{i}." for i in range(10)),
        "empty": "\n \n",
    }
    scores, keep, reasons = decide("fineweb_filter", list(docs.values()))
    got = dict(zip(docs, reasons, strict=True))
    assert got == {"good": None, "no_punct": "fineweb: line_punct_ratio < min",
                   "short_lines": "fineweb: short_line_ratio > max", "dup_lines": "fineweb: char_dup_ratio > max",
                   "list_like": "fineweb: newline_ratio > max", "empty": "fineweb: empty"}
    assert scores.column("fw_line_punct_ratio").to_pylist()[:2] == [1.0, 0.0]
    # thresholds are params: a looser newline ratio keeps the list-like document
    _, keep, _ = decide("fineweb_filter", [docs["list_like"]], new_line_ratio=0.5)
    assert keep == [True]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(stdlib_paragraphs(60)), min_size=1, max_size=10))
def test_cleaner_keeps_rows_and_kept_lines_pass(texts):
    table = pa.table({"_id": list(range(len(texts))), "text": texts})
    out = build("c4_line_cleaner").map(table)
    assert out.num_rows == table.num_rows and out.column("_id").equals(table.column("_id"))
    for before, after in zip(texts, out.column("text").to_pylist(), strict=True):
        assert len(after) <= len(before)
        for line in filter(None, after.split("\n")):
            assert line.endswith((".", "?", "!", '"', "'")) and len(line.split()) >= 3
    # cleaning is idempotent: the cleaned text passes the line rules unchanged
    again = build("c4_line_cleaner").map(out)
    assert again.column("text").equals(out.column("text"))


def test_word_token_counts_equal_the_length_of_the_token_lists():
    """fineweb_filter counts words without building the token lists; the counts must be what `words`
    gives (contractions, infixes, punctuation runs, URLs, abbreviations, emoji, leading/trailing space)."""
    import pyarrow.compute as pc

    from tilth.ops.process.heuristics_text import word_token_counts, words

    texts = ["", " ", "a", " a  b ", "don't stop-me now, U.S. e.g. Mr. Smith... 3.5 ==== ``) x): ''hi''",
             "see https://a.org/x-y/z or a.b@c.org", "\v a \u2028 b\n\n", "😀😀 hi! (ok)", "a--b c—d 2+2 lower.Upper",
             *stdlib_paragraphs(300)]
    arr = pa.array(texts)
    assert word_token_counts(arr).tolist() == pc.list_value_length(words(arr)).to_pylist()


def test_line_cleaner_by_sentence_keeps_the_paragraph_a_cookie_notice_shares_a_line_with():
    # trial 62: museum pages scraped as one line each; the line rules removed the whole line for its cookie phrase
    text = ("We use cookies to improve your experience. Vikings at Sea examines shipbuilding, navigation and trade. "
            "A longship fills the hall (twenty metres long). Menu Home")
    batch = pa.table({"_id": [1, 2], "text": [text, "First line here.\nsecond fragment"]})
    by_line = build("c4_line_cleaner", {}).map(batch).column("text").to_pylist()
    by_sentence = build("c4_line_cleaner", {"split_at_stops": True}).map(batch).column("text").to_pylist()
    assert by_line == ["", "First line here."]
    assert by_sentence == ["Vikings at Sea examines shipbuilding, navigation and trade. "
                           "A longship fills the hall (twenty metres long).", "First line here."]
