"""C4 rules as two operators: `c4_filter` decides documents, `c4_line_cleaner` removes lines.

Why two: datatrove's C4QualityFilter both drops documents and rewrites the text of the ones it keeps. In
Tilth a Filter never changes text (its scores stay valid for re-thresholding) and a Mapper never drops
rows, so the document decision is `c4_filter` and the line removal is `c4_line_cleaner`; run the filter,
then the cleaner, to get datatrove's output. Both share heuristics_c4's line rules.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Filter, Mapper, Params
from tilth.ops.process.heuristics_c4 import c4_lines
from tilth.ops.process.heuristics_rules import first_failure
from tilth.ops.process.heuristics_text import py_strip, text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope


class C4Params(Params):
    text_field: str = Field("text", description="Column holding the text.")
    remove_citations: bool = Field(True, description="Strip [1], [edit], [citation needed] from lines.")
    filter_no_terminal_punct: bool = Field(
        True, description="Remove lines not ending in . ? ! \" ' (or ending in '...')."
    )
    min_words_per_line: int | None = Field(3, description="Keep a line if its words >= this (None: off).")
    max_word_length: int | None = Field(1000, description="Keep a line if its longest word <= this chars.")
    filter_lorem_ipsum: bool = Field(True, description="Drop documents with a kept line saying 'lorem ipsum'.")
    filter_javascript: bool = Field(True, description="Remove lines mentioning 'javascript'.")
    filter_curly_bracket: bool = Field(True, description="Drop documents with a kept line containing '{'.")
    filter_policy: bool = Field(True, description="Remove lines with cookie / terms-of-use / privacy phrases.")


class C4LineCleanerParams(C4Params):
    split_at_stops: bool = Field(
        False, description="Also end a line at each . ! or ? followed by a space, and join the kept pieces with spaces "
                           "(rows that are one long line: a cookie notice would take the whole row with it).")


class C4FilterParams(C4Params, Scope):
    min_num_sentences: int | None = Field(5, description="Keep if sentences in kept lines >= this.")


@register
class C4Filter(Filter):
    name = "c4_filter"
    category = "process"
    description = """C4 document rules on the lines that survive C4's line rules: drop documents with
    'lorem ipsum' or a curly bracket, or with fewer than 5 sentences (spaCy-style sentence split) in kept
    lines. Pair with c4_line_cleaner to also remove the lines."""
    examples = (
        "apply the C4 cleaning rules",
        "drop documents with lorem ipsum, curly braces or too few sentences",
        "remove pages that look like code or placeholder text",
        "C4-style document filtering of web text",
        "drop pages containing lorem ipsum placeholder text",
        "remove documents with curly braces, they are usually code",
        "keep only pages with at least five sentences",
        "apply the Colossal Clean Crawled Corpus document filter",
        "throw away documents with too few full sentences",
        "C4 filtering of Common Crawl pages",
        "use the T5 / C4 rules to drop bad documents",
        "drop unfinished template pages still saying lorem ipsum",
        "pages with JSON or CSS in them should be removed entirely",
        "c4 doc filter",
        "drop documents that fail the C4 rules",
        "remove documents with fewer than 5 sentences",
        "apply C4's document filter",
        "C4 document filter for the crawl",
    )
    inputs = ("{text_field}",)
    outputs = ("c4_sentences", "c4_kept_lines", "c4_lorem_ipsum", "c4_curly_bracket")
    thresholds = (("c4_sentences", "min_num_sentences", ">="),)
    Params = C4FilterParams

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        r = c4_lines(text_column(batch, self.params.text_field).combine_chunks(), self.params)
        return {"c4_sentences": r.sentences, "c4_kept_lines": r.kept_lines,
                "c4_lorem_ipsum": r.lorem, "c4_curly_bracket": r.curly}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        s = {c: scores.column(c).to_numpy(zero_copy_only=False) for c in scores.column_names}
        few = None if p.min_num_sentences is None else s["c4_sentences"] < p.min_num_sentences
        return first_failure(
            [("c4: lorem ipsum", s["c4_lorem_ipsum"]), ("c4: curly bracket", s["c4_curly_bracket"]),
             ("c4: sentences < min", few)],
            scores.num_rows,
        )


@register
class C4LineCleaner(Mapper):
    name = "c4_line_cleaner"
    category = "process"
    description = """Rewrite text to the lines that pass C4's line rules (terminal punctuation, >= 3
    words, no 'javascript', no policy phrases, no word over 1000 chars; citations removed), joined by
    newlines. Rows are never dropped; use c4_filter for the document rules."""
    examples = (
        "remove lines that do not end in punctuation",
        "strip cookie notices, javascript warnings and policy lines",
        "clean each document line by line, dropping short fragment lines",
        "delete boilerplate lines like 'terms of use' inside pages",
        "half the crawl is cookie banners and privacy notices",
        "remove lines that mention javascript",
        "strip citation markers like [1] and [edit]",
        "keep only the lines that end with a period, question mark or exclamation mark",
        "drop lines of fewer than three words from each page",
        "apply C4's line-level cleaning without dropping any documents",
        "cut menu fragments and short lines out of each document",
        "remove 'please enable javascript' lines from the pages",
        "get rid of wikipedia [citation needed] brackets",
        "clean the page text line by line the C4 way",
        "c4 line cleaning",
        "strip lines without terminal punctuation from each page",
        "remove short and boilerplate lines but keep every document",
        "delete every line that doesn't end with punctuation",
    )
    inputs = ("{text_field}",)
    outputs = ("{text_field}",)
    Params = C4LineCleanerParams

    def map(self, batch: pa.Table) -> pa.Table:
        field, by_sentence = self.params.text_field, self.params.split_at_stops
        text = text_column(batch, field).combine_chunks()
        if by_sentence:  # (a sentence ends at . ! ? and a closing quote or bracket, before a space)
            text = pc.replace_substring_regex(text, r"([.!?][\"')\]]?)[ \t]+", "\\1\n")
        r = c4_lines(text, self.params)
        counts = np.bincount(r.doc[r.kept], minlength=len(text))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        kept = pa.ListArray.from_arrays(pa.array(offsets), r.lines.filter(pa.array(r.kept)))
        cleaned = py_strip(pc.binary_join(kept, " " if by_sentence else "\n"))
        return batch.set_column(batch.column_names.index(field), field, cleaned)
