"""Redact personal data in text: e-mail addresses, IP addresses, credit-card numbers, phone numbers."""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops.base import Mapper
from tilth.ops.process.heuristics_text import text_column
from tilth.ops.process.text_utils import with_nulls_of
from tilth.ops.registry import register
from tilth.ops.where import Scope

Kind = Literal["email", "ip", "credit_card", "phone"]
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_H = r"[0-9A-Fa-f]{1,4}"
PATTERNS: dict[str, str] = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    # IPv4, full IPv6, and IPv6 with "::" followed by at least one group (so "a::b" in code is rarer)
    "ip": rf"\b(?:{_OCTET}\.){{3}}{_OCTET}\b|\b(?:{_H}:){{7}}{_H}\b|\b(?:{_H}:){{1,6}}:(?:{_H}:){{0,5}}{_H}\b",
    # candidates only: 13-19 digits, single spaces or hyphens between; the Luhn check decides
    "credit_card": r"\b(?:\d[ -]?){12,18}\d\b",
    # +country code and 3-4 groups, a North-American style (area) 3-4 number with separators, or a national
    # number with its trunk 0: UK "0161 496 0452", "07700 900123", "020 7946 0958"; French "01 23 45 67 89"
    # (first: +country with three to six short groups, "+33 1 42 68 53 00", "+48 22 123 45 67", whole; and a
    # national number with a hyphen, Dutch "06-12345678")
    "phone": r"\+\d{1,3}(?:[ .-]\d{1,4}){3,6}\b"
    r"|\+\d{1,3}[ .-]?(?:\(\d{1,4}\)|\d{1,4})[ .-]?\d{2,4}[ .-]?\d{3,4}\b"
    r"|(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b"
    r"|\b0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}\b|\b0\d(?:[ .]\d{2}){4}\b|\b0\d{1,3}-\d{6,8}\b",  # (RE2: no lookarounds)
}
ORDER: tuple[str, ...] = ("email", "ip", "credit_card", "phone")
# a local number without area code ("Call duty engineer 555-0199", "text me on 555 0142") is a phone only where the
# words before it say so: seven digits alone are as often a part or order number. The cue stays in the text.
LOCAL_PHONE = (r"(\b(?i:call|calling|phone|tel|telephone|cell|mobile|ring|text|fax|whatsapp|reach\s+(?:me|us))\b"
               r"(?:[ .:,]+(?i:me|us|on|at|the|my|our|[a-z]+))?(?:[ .:,]+[A-Za-z]+){0,2}?[ .:,]+)\d{3}[ .-]\d{4}\b")


def luhn_ok(number: str) -> bool:
    """The Luhn checksum every payment card number satisfies (digits only; separators ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class PiiParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    kinds: list[Kind] = Field(list(ORDER), description="What to redact.")
    replacement: str = Field("<{KIND}>", description="Replacement; {KIND} becomes EMAIL, IP, CREDIT_CARD, PHONE.")


@register
class PiiRedact(Mapper):
    name = "pii_redact"
    category = "process"
    description = """Replace e-mail addresses, IPv4/IPv6 addresses, credit-card numbers (13-19 digits that
    pass the Luhn check) and phone numbers (international, national, and a local seven-digit number after
    "call", "tel", "text me on"...) with placeholders such as <EMAIL>; adds `pii_redactions`, the number of
    replacements per document."""
    cannot = ("names", "street addresses", "postal addresses", "home addresses", "API keys", "passwords",
              "social security numbers", "dates of birth")
    examples = (
        "redact personal information",
        "mask email addresses and phone numbers",
        "anonymise the data",
        "remove contact information such as emails, phones and IP addresses",
        "scrub credit card numbers",
        "hide private data before sharing",
        "remove emails from the support tickets",
        "replace phone numbers with placeholders",
        "mask IP addresses in the logs",
        "de-identify the customer messages",
        "strip personally identifiable information",
        "PII scrubbing on the text",
        "we can't ship customer emails and card numbers in the training data",
        "anonymize user data before training",
        "Hide emails & phone numbers",
        "make sure nobody can be contacted from what they wrote",
        "strip anything that would let a reader get in touch with the author",
    )
    stage = 15
    inputs = ("{text_field}",)
    outputs = ("{text_field}", "pii_redactions")
    Params = PiiParams

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        text = text_column(batch, p.text_field).combine_chunks()
        count = np.zeros(len(text), np.int64)
        for kind in ORDER:
            if kind not in p.kinds:
                continue
            repl = p.replacement.replace("{KIND}", kind.upper())
            if kind == "credit_card":
                text, n = _redact_cards(text, repl)
            else:
                n = pc.count_substring_regex(text, PATTERNS[kind]).to_numpy(zero_copy_only=False)
                text = pc.replace_substring_regex(text, PATTERNS[kind], repl.replace("\\", "\\\\"))
            if kind == "phone":
                n = n + pc.count_substring_regex(text, LOCAL_PHONE).to_numpy(zero_copy_only=False)
                text = pc.replace_substring_regex(text, LOCAL_PHONE, "\\1" + repl.replace("\\", "\\\\"))
                listed = rf"({re.escape(repl)}\s*(?:,|/|or|and)\s*)\d{{3}}[ .-]\d{{4}}\b"  # ("call 555-0100 or 555-0101")
                n = n + pc.count_substring_regex(text, listed).to_numpy(zero_copy_only=False)
                text = pc.replace_substring_regex(text, listed, "\\1" + repl.replace("\\", "\\\\"))
            count += n
        text = with_nulls_of(batch.column(p.text_field), text)
        batch = batch.set_column(batch.column_names.index(p.text_field), p.text_field, text)
        if "pii_redactions" in batch.column_names:
            return batch.set_column(batch.column_names.index("pii_redactions"), "pii_redactions", pa.array(count))
        return batch.append_column("pii_redactions", pa.array(count))


def _redact_cards(text: pa.Array, repl: str) -> tuple[pa.Array, np.ndarray]:
    """Only rows with a digit run long enough to be a card go through Python, for the Luhn check."""
    count = np.zeros(len(text), np.int64)
    rows = np.flatnonzero(pc.fill_null(pc.match_substring_regex(text, PATTERNS["credit_card"]), False)
                          .to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        return text, count
    rx = re.compile(PATTERNS["credit_card"])
    values = text.to_pylist()
    for i in rows:
        hits = 0

        def sub(m: re.Match) -> str:
            nonlocal hits
            if luhn_ok(m.group(0)):
                hits += 1
                return repl
            return m.group(0)

        values[i] = rx.sub(sub, values[i])
        count[i] = hits
    return pa.array(values, pa.string()), count
