"""Batch text splitting for the heuristic filters: lines, paragraphs and words as Arrow list arrays.

Why a word tokenizer of our own: Gopher/FineWeb statistics count punctuation as separate tokens (the
reference implementation in datatrove tokenises English with spaCy's rule-based tokenizer), so a plain
whitespace split shifts word counts, mean word length and the alphabetic-word ratio. `words` reproduces
the main spaCy English rules (prefix/suffix punctuation peeled one character at a time, the period rules,
ellipses, hyphen/comma infixes between letters, contractions, common abbreviations) with a few RE2
replacements over the whole batch, then one whitespace split: no Python loop per document.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tilth.ops.process.arrow_np import from_numpy
from tilth.ops.process.text_utils import text_column

__all__ = ["text_column", "words", "split_lines", "parents", "per_doc_sum", "duplicates", "PUNCT_TOKEN"]

# Characters split off the start / end of a token, one per pass (spaCy's prefix/suffix punctuation).
_PRE = r"""[§%=+—–()\[\]{}<>_#*&,:;!?¿¡"'“”‘’`´«»„‚$£€¥…]"""
_SUF = r"""[,:;!?()\[\]{}<>_#*&"'“”‘’`´«»—–…]"""
# A period is its own token after a lower-case letter, digit, %, ², -, +, quote or punctuation, or after
# two upper-case letters; never inside "3.5", "U.S." or "os.path".
_PERIOD_AFTER = r"""[\p{Ll}\d%²\-+"'“”‘’`´«»()\[\]{}<>!?,:;_#*&]"""
# Abbreviations spaCy keeps whole (its English tokenizer exceptions: single lower-case letters, titles,
# months, US states).
_ABBREV = (
    r"(?:[a-z]|Mr|Mrs|Ms|Dr|Prof|St|Jr|Inc|Ltd|Co|Corp|co|vs|Rev|Gen|Gov|Sen|Rep|Bros|Messrs|Mt|Adm|Jan|Feb|Mar|Apr"
    r"|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|e\.g|i\.e|E\.g|I\.e|a\.m|p\.m|Ph\.D|Ala|Ariz|Ark|Calif|Colo|Conn|Del"
    r"|Fla|Ga|Ill|Ind|Kan|Kans|Ky|La|Mass|Md|Mich|Minn|Miss|Mo|Mont|Neb|Nebr|Nev|Okla|Ore|Pa|Tenn|Va|Wash|Wis)"
)
_RUN = r"""[§%=+—–()\[\]{}<>_#*&,:;!?¿¡"'“”‘’`´«»„‚$£€¥]"""
_KEEP = "\ue000"  # private-use placeholder protecting a period from the suffix rules
_EMO, _QQ = "\ue001", "\ue002"  # placeholders for the special-case tokens "):" and "''"
_URL = (r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)|^[^@\s]+@[^@\s]+\.[A-Za-z]+$"
        r"|^[\pL\d][\pL\d-]*(?:\.[\pL\d-]+)*\.[a-z]{2,63}$|^and/or$")
# "don't" -> do n't, "I'm" -> I 'm, "it's" -> it 's
_CONTRACTION = r"(\pL)([nN]['’][tT]|['’](?:[mM]|[rR][eE]|[vV][eE]|[lL][lL]|[dD]|[sS]))$"
# hyphens and , : / = < > between a letter/digit and a letter; lower.Upper; digit-operator-digit
_INFIX = r"([\pL\d])(--?-?|[–—~,:/=<>])(\pL)|(\p{Ll})(\.)(\p{Lu})|(\d)([+\-*^])(\d)"
PUNCT_TOKEN = r"^[\p{P}$+<=>^`|~\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+$"


def words(text: pa.ChunkedArray | pa.Array) -> pa.ListArray:
    """spaCy-English-like word tokens per document (list<string>), punctuation as separate tokens."""
    return _tokenise(text, count_only=False)


def word_token_counts(text: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """The number of tokens `words` gives each document (int64), without building the token lists:
    several times less Arrow work when only the count is needed (FineWeb's newline ratio)."""
    return _tokenise(text, count_only=True)


def _tokenise(text: pa.ChunkedArray | pa.Array, count_only: bool) -> pa.ListArray | np.ndarray:
    t = _combine(text)
    n = len(t)
    t = pc.replace_substring_regex(t, r"\b(" + _ABBREV + r")\.(\s|$)", "\\1" + _KEEP + "\\2")
    # spaCy special cases that contain affix characters: "):" closing a token (emoticon) and "''"
    t = pc.replace_substring_regex(t, r"\):(\s|$)", " " + _EMO + "\\1")
    t = pc.replace_substring(t, "''", " " + _QQ + " ")
    # ellipses and pictographic symbols (emoji) are always tokens of their own
    t = pc.replace_substring_regex(t, r"(\.\.+|…|\p{So})", " \\1 ")
    t = pc.replace_substring_regex(t, r"(^|\s)(" + _PRE + r"+)(\S)", "\\1\\2 \\3")
    for _ in range(2):
        t = pc.replace_substring_regex(t, r"(\S)((?:" + _SUF + r"|['’][sS])+)(\s|$)", "\\1 \\2\\3")
        t = pc.replace_substring_regex(t, "(" + _PERIOD_AFTER + r"|\p{Lu}\p{Lu})\.(\s|$)", "\\1 .\\2")
    toks = pc.utf8_split_whitespace(t)
    doc = parents(toks)
    flat = pc.list_flatten(toks)
    # Inner rules (contractions, infixes, punctuation runs) only concern tokens with a non-alphanumeric
    # character and at least two characters (a lone "," or "." stays one token), so only those go through
    # the per-token regexes; URLs and e-mail addresses stay whole.
    inner = has_non_alnum(flat)
    f = flat.filter(inner)
    multi = pc.greater(pc.utf8_length(f), 1)
    fm = f.filter(multi)
    url = pc.match_substring_regex(fm, _URL)
    g = fm.filter(pc.invert(url))
    g = pc.replace_substring_regex(g, _CONTRACTION, "\\1 \\2")
    g = pc.replace_substring_regex(g, _INFIX, "\\1\\4\\7 \\2\\5\\8 \\3\\6\\9")
    # a run made only of prefix/suffix punctuation ("====", "``)") is peeled one character at a time
    run = pc.match_substring_regex(g, "^" + _RUN + "+$")
    if count_only:
        # Tokens of the split hold no whitespace, and the rules above only insert single spaces between
        # non-empty pieces: a token becomes (its spaces + 1) tokens, a punctuation run one per character,
        # and any other token stays one (if not empty: the split yields empty strings around leading and
        # trailing whitespace).
        inner_np = as_bools(inner)
        one = as_bools(pc.greater(pc.binary_length(flat), 0))
        one[np.flatnonzero(inner_np)[as_bools(multi)]] = False  # multi-character inner tokens: counted below
        run_np = as_bools(run)
        pieces = pc.count_substring(g, " ").to_numpy(zero_copy_only=False).astype(np.int64) + 1
        pieces[run_np] = pc.utf8_length(g.filter(run)).to_numpy(zero_copy_only=False)
        multi_doc = doc[inner_np][as_bools(multi)]
        url_np = as_bools(url)
        counts = np.bincount(doc[one], minlength=n) + np.bincount(multi_doc[url_np], minlength=n)
        counts += np.bincount(multi_doc[~url_np], weights=pieces, minlength=n).astype(np.int64)
        return counts.astype(np.int64)
    if pc.any(run).as_py():
        g = pc.replace_with_mask(g, run, pc.replace_substring_regex(g.filter(run), "(.)", "\\1 "))
    f = pc.replace_with_mask(f, multi, pc.replace_with_mask(fm, pc.invert(url), g))
    f = pc.replace_substring(pc.replace_substring(pc.replace_substring(f, _KEEP, "."), _EMO, "):"), _QQ, "''")
    f = pc.replace_with_mask(flat, inner, f)
    sub = pc.utf8_split_whitespace(f)
    out = pc.list_flatten(sub)
    out_doc = doc[parents(sub)]
    nonempty = pc.greater(pc.utf8_length(out), 0).to_numpy(zero_copy_only=False)
    out = out.filter(pa.array(nonempty))
    counts = np.bincount(out_doc[nonempty], minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), out)


def has_non_alnum(tokens: pa.Array) -> pa.Array:
    """`[^\\pL\\d]` matches the token, without running a regex per token where a kernel can tell: a
    non-empty token that is not all letters and numbers has such a character; an ASCII one that is has
    none; only non-ASCII alphanumeric tokens ("x²": ² is numeric but not \\d) need the regex."""
    alnum = pc.utf8_is_alnum(tokens)
    out = pc.and_(pc.invert(alnum), pc.greater(pc.binary_length(tokens), 0))
    unsure = pc.and_(alnum, pc.invert(pc.string_is_ascii(tokens)))
    if pc.any(unsure).as_py():
        out = from_numpy(as_bools(out) | match_where(unsure, tokens, r"[^\pL\d]"))
    return out


def match_where(mask: pa.Array, tokens: pa.Array, pattern: str) -> np.ndarray:
    """match_substring_regex(tokens, pattern), evaluated only where `mask` is true (False elsewhere): a
    regex per string costs per string, so the strings that cannot match are left out."""
    m = as_bools(mask)
    out = np.zeros(len(tokens), bool)
    if m.any():
        out[m] = as_bools(pc.match_substring_regex(tokens.filter(mask), pattern))
    return out


def as_bools(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=bool)


def split_lines(text: pa.ChunkedArray | pa.Array, how: str) -> pa.ListArray:
    """Lines per document. `how`: "splitlines" (Python's str.splitlines), "newline" (split on "\\n"),
    "newlines" (split on runs of "\\n") or "paragraphs" (runs of 2+ "\\n", outer whitespace trimmed)."""
    t = _combine(text)
    if how == "splitlines":
        # str.splitlines: a trailing line break does not start an extra empty line
        t = pc.replace_substring_regex(t, r"(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x{85}\x{2028}\x{2029}])$", "")
        return pc.split_pattern_regex(t, r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x{85}\x{2028}\x{2029}]")
    if how == "newline":
        return pc.split_pattern(t, "\n")
    if how == "newlines":
        return pc.split_pattern_regex(t, r"\n+")
    if how == "paragraphs":
        return pc.split_pattern_regex(_py_strip(t), r"\n\n+")
    raise ValueError(f"unknown split {how!r}")


def _py_strip(t: pa.Array) -> pa.Array:
    """str.strip(): Unicode whitespace plus the ASCII separators \\x1c-\\x1f that Python treats as space."""
    return pc.replace_substring_regex(t, r"^[\s\x1c-\x1f\x{85}]+|[\s\x1c-\x1f\x{85}]+$", "")


def py_strip(t: pa.Array) -> pa.Array:
    return _py_strip(_combine(t))


def parents(lists: pa.ListArray) -> np.ndarray:
    return pc.list_parent_indices(lists).to_numpy()


def per_doc_sum(parent: np.ndarray, values: np.ndarray, n_docs: int) -> np.ndarray:
    """Sum of `values` per document (documents without elements get 0)."""
    return np.bincount(parent, weights=values, minlength=n_docs)


def duplicates(lists: pa.ListArray) -> tuple[np.ndarray, np.ndarray]:
    """Per document: (elements equal to an earlier element of the same document, their total length in
    characters) — the definition Gopher uses for duplicate lines and paragraphs."""
    n = len(lists)
    flat = pc.list_flatten(lists)
    if len(flat) == 0:
        return np.zeros(n, np.int64), np.zeros(n, np.int64)
    parent = parents(lists)
    codes = pc.dictionary_encode(flat).indices.to_numpy().astype(np.int64)
    dup = ~first_occurrence(parent, codes)
    lens = pc.utf8_length(flat).to_numpy(zero_copy_only=False).astype(np.int64)
    return (
        np.bincount(parent, weights=dup, minlength=n).astype(np.int64),
        np.bincount(parent, weights=lens * dup, minlength=n).astype(np.int64),
    )


def first_occurrence(parent: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """True where (parent, code) appears for the first time in array order."""
    key = parent.astype(np.int64) * (int(codes.max()) + 1 if len(codes) else 1) + codes
    _, first = np.unique(key, return_index=True)
    out = np.zeros(len(key), bool)
    out[first] = True
    return out


def _combine(text) -> pa.Array:
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    if pa.types.is_large_string(text.type):
        text = text.cast(pa.string())
    return text
