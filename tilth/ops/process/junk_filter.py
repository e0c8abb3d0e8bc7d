"""Drop the junk people leave in user-written text: menus, banners, spam, placeholders, one word over and over.

Web quality filters (gopher_quality, c4_filter) judge prose by its length and shape, so a short genuine
comment ("Loved it!") fails them while "Cookie settings: Accept all | Reject all" is simply short too. This
filter looks for the junk itself, whatever the length, and keeps any text that says something."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Filter
from tilth.ops.process.heuristics_rules import first_failure
from tilth.ops.process.heuristics_text import as_bools
from tilth.ops.process.text_utils import text_column, word_counts
from tilth.ops.registry import register
from tilth.ops.where import Scope

# calls to action, site furniture and sales talk: one in a comment is chance, two in a short text are junk
BOILERPLATE = (r"click\s+here|click\s+the\s+link|\bsubscribe\b|sign\s+up\s+(?:now|today|here|for\s+free)|"
               r"log\s*in\s+to|accept\s+all|reject\s+all|accept\s+cookies|cookie\s+(?:settings|policy|preferences)|"
               r"we\s+use\s+cookies|manage\s+preferences|privacy\s+policy|terms\s+of\s+(?:use|service)|"
               r"all\s+rights\s+reserved|powered\s+by|buy\s+now|order\s+now|shop\s+now|free\s+shipping|"
               r"limited\s+(?:time|offer)|offer\s+ends|best\s+price|"
               r"(?:https?://|www\.)\S+")
# a whole text that stands for no text: "n/a", "[deleted]", "This post has been removed by a moderator."
PLACEHOLDER = (r"n\s*/?\s*a|none|null|nil|nan|tbd|tba|todo|test(?:ing)?(?:\s+(?:post|comment|message))?|"
               r"lorem\s+ipsum.*|(?:no\s+)?comments?|nothing|placeholder|dummy\s+text|sample\s+text|"
               r"\[?(?:deleted|removed)\]?|"
               r"(?:this\s+)?(?:post|comment|message|review|reply|content)\s+(?:has\s+been|was|is)\s+(?:deleted|removed|"
               r"hidden)(?:\s+by\s+(?:a|an|the)\s+(?:moderator|mod|admin|administrator|author|user|poster))?|"
               r"(?:this\s+page\s+(?:has\s+been\s+|is\s+|was\s+)?)?(?:(?:intentionally|deliberately)\s+)?left\s+blank"
               r"(?:\s+(?:intentionally|deliberately|on\s+purpose))?|"  # (a PDF's filler page)
               r"asdf\w*|qwer\w*|zxcv\w*|" + "|".join(f"{c}{{4,}}" for c in "abcdefghijklmnopqrstuvwxyz"))  # ("xxxx": RE2 has no backreference)
# site navigation: "Home | Forums | Login", "Home > Shop > Boots"
SEPARATOR = r"\s(?:\||•|·|»|›|>|/)\s"


class JunkParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    min_boilerplate: int | None = Field(
        2, ge=1, description="Drop a text holding at least this many boilerplate or spam phrases ('click here', "
        "'subscribe', 'accept all', a URL, ...), densely (see max_tokens_per_phrase) (None: off).")
    max_tokens_per_phrase: int = Field(
        10, ge=1, description="A long text with a few such phrases is prose, not spam: at least one phrase "
        "per this many tokens.")
    max_repeat_share: float | None = Field(
        0.6, gt=0, le=1, description="Drop a text of 5 tokens or more whose commonest token makes up at least this "
        "share of it ('bump bump bump ...') (None: off).")
    min_menu_separators: int | None = Field(
        2, ge=1, description="Drop a navigation menu or breadcrumb: at least this many separators (' | ', ' > ', "
        "' • ') between brief items, three tokens or fewer each, overall (None: off).")
    placeholders: bool = Field(True, description="Drop a text that is only a placeholder: 'n/a', 'none', "
                               "'[deleted]', 'removed by a moderator', 'lorem ipsum', 'asdf'.")
    empty: bool = Field(True, description="Drop a text with no letter or digit in it (empty, '!!!!', '...').")


@register
class JunkFilter(Filter):
    name = "junk_filter"
    category = "process"
    description = """Drop junk texts, however brief: navigation menus and breadcrumbs ('Home | Forums | Login'),
    cookie banners and 'click here' / 'buy now' spam (two or more such phrases, densely), the same term again and again
    ('bump bump bump'), placeholders ('n/a', '[deleted]', 'removed by a moderator', 'asdf') and texts without
    a letter or digit ('!!!!'). Size alone never drops a text: a brief genuine one ('Loved it!') stays.
    Stores why a text is junk in `junk` (null where it is not)."""
    examples = (
        "drop rows that are only a navigation menu like 'Home | About | Login'",
        "remove the 'click here' spam",
        "drop spam full of 'buy now' links",
        "remove placeholder texts like 'n/a' or '[deleted]'",
        "drop the 'removed by a moderator' placeholders",
        "remove the placeholders",
        "clean out the junk but keep brief genuine ones",
        "drop texts that are only punctuation like '!!!!'",
        "remove keyboard mash like 'asdf'",
        "drop the cookie banner rows",
        "drop rows that are the same word over and over",
        "get rid of the rows that are basically empty or junk",
        "drop the filler entries such as 'n/a', '-' or 'none'",
        "remove the nav menu rows",
    )
    inputs = ("{text_field}",)
    outputs = ("junk",)
    Params = JunkParams

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        """`junk`: why the text is junk (the first rule it breaks, in the order below), null where it is not."""
        p = self.params
        text = pc.utf8_lower(text_column(batch, p.text_field))
        words = word_counts(text)
        rules = []
        if p.empty:
            rules.append(("no letter or digit", ~as_bools(pc.match_substring_regex(text, r"[\p{L}\p{N}]"))))
        if p.placeholders:
            trimmed = pc.utf8_trim(text, " \t\r\n.!?,;:-_*~\"'()")
            rules.append(("placeholder", as_bools(pc.match_substring_regex(trimmed, rf"^(?:{PLACEHOLDER})$"))))
        if p.min_menu_separators is not None:
            seps = pc.count_substring_regex(text, SEPARATOR).to_numpy(zero_copy_only=False)
            rules.append(("navigation menu", (seps >= p.min_menu_separators) & (words <= 3 * (seps + 1))))
        if p.max_repeat_share is not None:
            rules.append(("one word repeated", (words >= 5) & (repeat_share(text) >= p.max_repeat_share)))
        if p.min_boilerplate is not None:
            hits = pc.count_substring_regex(text, BOILERPLATE).to_numpy(zero_copy_only=False)
            rules.append(("boilerplate or spam", (hits >= p.min_boilerplate) & (hits * p.max_tokens_per_phrase >= words)))
        _, reasons = first_failure(rules, len(text))
        return {"junk": pa.array(reasons, pa.string())}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        reasons = scores.column("junk").to_pylist()
        return np.array([r is None for r in reasons], dtype=bool), reasons


def repeat_share(text: pa.ChunkedArray) -> np.ndarray:
    """Per text, the share of its words taken by its commonest word (punctuation around words stripped; 0 for no
    words), counted over the whole batch at once: each (text, word) pair is one key of a numpy unique."""
    tokens = pc.utf8_split_whitespace(text)
    if isinstance(tokens, pa.ChunkedArray):
        tokens = tokens.combine_chunks()
    n = len(tokens)
    row = np.repeat(np.arange(n, dtype=np.int64), pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64))
    flat = pc.utf8_trim(pc.list_flatten(tokens), ".,!?;:\"'()")
    real = pc.utf8_length(flat).to_numpy(zero_copy_only=False) > 0  # ("" splits into one empty token; "!!!" trims to one)
    out = np.zeros(n, dtype=np.float64)
    if not real.any():
        return out
    row, codes = row[real], np.asarray(pc.dictionary_encode(flat.filter(pa.array(real))).indices, dtype=np.int64)
    width = int(codes.max()) + 1
    pairs, counts = np.unique(row * width + codes, return_counts=True)
    np.maximum.at(out, pairs // width, counts.astype(np.float64))
    words = np.bincount(row, minlength=n)
    return np.divide(out, words, out=out, where=words > 0)
