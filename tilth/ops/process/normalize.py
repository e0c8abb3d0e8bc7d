"""Unicode and whitespace normalisation of text, vectorised over the batch."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Mapper
from tilth.ops.process.heuristics_text import text_column
from tilth.ops.process.text_utils import with_nulls_of
from tilth.ops.registry import register
from tilth.ops.where import Scope

# no-break and other fixed-width spaces that should read as a plain space
_SPACES = r"[\x{a0}\x{1680}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]"
# zero-width space, word joiner, byte-order mark (ZWJ/ZWNJ are kept: scripts and emoji need them)
_INVISIBLE = r"[\x{200b}\x{2060}\x{feff}]"
# C0/C1 control characters except tab and newline
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


class NormalizeParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    unicode_form: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = Field(
        "NFC", description="Unicode normal form (NFKC also folds compatibility characters: ﬁ -> fi, x² -> x2, full-width Ａ -> A)."
    )
    line_breaks: bool = Field(True, description="Turn \\r\\n, \\r, U+2028/2029 and U+0085 into \\n.")
    spaces: bool = Field(True, description="Turn no-break and other fixed-width spaces into ' '.")
    remove_invisible: bool = Field(True, description="Remove zero-width spaces, word joiners and BOMs.")
    remove_control: bool = Field(True, description="Remove control characters other than tab and newline.")
    collapse_spaces: bool = Field(True, description="Collapse runs of spaces/tabs to one space; trim line ends.")
    max_blank_lines: int | None = Field(1, ge=0, description="Keep at most this many blank lines in a row.")
    strip: bool = Field(True, description="Trim whitespace at the start and end of the text.")
    lowercase: bool = Field(False, description="Lower-case the text (Unicode-aware: 'ÉCOLE' -> 'école').")


@register
class Normalize(Mapper):
    name = "normalize"
    category = "process"
    description = """Normalise text: Unicode normal form (NFC by default), line breaks to \\n, exotic
    spaces to ' ', remove zero-width and control characters, collapse runs of spaces, limit blank lines,
    trim; optionally lower-case. Rows and ids are unchanged; only the text column is rewritten."""
    examples = (
        "normalise unicode and whitespace",
        "fix weird characters and invisible control characters",
        "clean up spacing, line breaks and zero-width characters",
        "standardise the text encoding to NFC",
        "collapse repeated spaces and blank lines",
        "tidy up messy formatting in the text",
        "convert the text to NFKC",
        "replace non-breaking spaces with normal spaces",
        "strip BOMs and zero-width joiners",
        "turn CRLF line endings into LF",
        "remove stray control characters from the text",
        "invisible characters in the text break tokenization",
        "squeeze multiple blank lines into one and trim",
        "apply unicode normalization",
        "normalize the whitespace everywhere",
        "normalize unicode to NFKC form",
        "lowercase the text",
        "make everything lower case",
    )
    stage = 12
    inputs = ("{text_field}",)
    outputs = ("{text_field}",)
    Params = NormalizeParams

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        t = text_column(batch, p.text_field)
        if p.unicode_form:
            t = pc.utf8_normalize(t, form=p.unicode_form)
        if p.line_breaks:
            t = pc.replace_substring_regex(t, r"\r\n|[\r\x{2028}\x{2029}\x{85}]", "\n")
        if p.spaces:
            t = pc.replace_substring_regex(t, _SPACES, " ")
        if p.remove_invisible:
            t = pc.replace_substring_regex(t, _INVISIBLE, "")
        if p.remove_control:
            t = pc.replace_substring_regex(t, _CONTROL, "")
        if p.collapse_spaces:
            t = pc.replace_substring_regex(t, r"[ \t]+", " ")
            t = pc.replace_substring_regex(t, r" ?\n ?", "\n")
        if p.max_blank_lines is not None:
            t = pc.replace_substring_regex(t, r"\n{" + str(p.max_blank_lines + 2) + r",}", "\n" * (p.max_blank_lines + 1))
        if p.strip:
            t = pc.utf8_trim_whitespace(t)
        if p.lowercase:
            t = pc.utf8_lower(t)
        t = with_nulls_of(batch.column(p.text_field), t)
        return batch.set_column(batch.column_names.index(p.text_field), p.text_field, t)
