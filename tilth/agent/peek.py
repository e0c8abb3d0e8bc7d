"""A look at the user's data before planning: the columns, a few rows, and which field holds the text.

Planning without this is guessing: a math set has `question`/`solution`, a crawl has `content`. The
agent points `input.text` at the main field (so every operator's default `text` works) and keeps the
answer-like field for operators that take a second column.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tilth.pipeline.recipe import Recipe
from tilth.pipeline.validate import build_reader

SAMPLE_ROWS = 20
# rows read for the labels of short-valued columns: a value the first 20 rows lack ("the Desert reports") is
# still a label of the data
LABEL_ROWS = 2000
MAX_LABELS = 50
TABLE_READERS = frozenset({"read_jsonl", "read_csv", "read_parquet", "read_arrow"})
HTML_NAMES = frozenset({"html", "raw_html", "page_html", "html_content", "markup", "source_html", "body_html"})
HTML_START = re.compile(r"\s*<(?:!doctype|html|head|body|div|p|span|article|section|table|!--)\b", re.I)
TEXT_NAMES = ("text", "question", "problem", "instruction", "prompt", "query", "input", "content", "body")
ANSWER_NAMES = ("solution", "answer", "output", "response", "completion", "target", "reasoning")


@dataclass
class DataPeek:
    path: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    text_field: str | None = None  # the input field that becomes `text`
    answer_field: str | None = None
    # the distinct values of each column of short labels in the first LABEL_ROWS rows (at most MAX_LABELS each)
    labels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def pipeline_columns(self) -> list[str]:
        """Columns as operators see them: `_id`, and `text` in place of the text field."""
        cols = ["text" if c == self.text_field else c for c in self.columns]
        return ["_id", *[c for c in cols if c != "_id"]]

    def median_words(self, column: str = "text") -> float | None:
        """The median word count of a pipeline column over the sample (None: no such text)."""
        name = self.text_field if column == "text" else column
        counts = sorted(len(str(r[name]).split()) for r in self.rows if isinstance(r.get(name), str) and r[name].strip())
        return float(counts[len(counts) // 2]) if counts else None

    def input_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"path": self.path}
        if self.text_field and self.text_field != "text":
            spec["text"] = self.text_field
        return spec

    def summary(self) -> str:
        ex = self.rows[0] if self.rows else {}
        short = {k: (str(v)[:80] + "…" if len(str(v)) > 80 else v) for k, v in ex.items()}
        return (f"{len(self.rows)} sample rows; columns {self.columns}; text field {self.text_field!r}; "
                f"answer field {self.answer_field!r}; first row {short}")


def column_kinds(data: DataPeek) -> dict[str, str]:
    """What each column of the sample holds: number, text, yes/no, list, object or mixed (columns with no
    value in the sample are left out). A saved pipeline is only replayed on data whose columns hold the same."""
    kinds: dict[str, str] = {}
    for col in data.columns:
        seen = {_kind(v) for r in data.rows if (v := r.get(col)) is not None}
        if seen:
            kinds[col] = seen.pop() if len(seen) == 1 else "mixed"
    return kinds


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "yes/no"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "text"
    return "list" if isinstance(v, (list, tuple)) else "object"


def _string_columns(table: pa.Table) -> list[str]:
    return [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def looks_like_html(column: str, values: list) -> bool:
    """Markup, not text: named so, or most sample values start with a tag."""
    if column.lower() in HTML_NAMES:
        return True
    values = [v for v in values if isinstance(v, str) and v.strip()]
    return bool(values) and sum(bool(HTML_START.match(v)) for v in values) >= 0.8 * len(values)


def _prose(table: pa.Table, column: str) -> bool:
    """Words, not a URL, a date or an id: at least half the sample's values hold a space."""
    values = [v for v in table.column(column).to_pylist() if isinstance(v, str) and v.strip()]
    return bool(values) and sum(" " in v.strip() for v in values) >= 0.5 * len(values)


def pick_fields(table: pa.Table) -> tuple[str | None, str | None]:
    # a page's markup is never the text: renamed to `text` it is gone for html_extract, which makes the text
    strings = [c for c in _string_columns(table) if not looks_like_html(c, table.column(c).to_pylist())]
    lower = {c.lower(): c for c in strings}
    text = next((lower[n] for n in TEXT_NAMES if n in lower), None)
    prose = [c for c in strings if _prose(table, c)]  # unnamed, the longest column of words (not a URL or a date)
    if text is None and prose:
        text = max(prose, key=lambda c: sum(len(v or "") for v in table.column(c).to_pylist()))
    answer = next((lower[n] for n in ANSWER_NAMES if n in lower and lower[n] != text), None)
    return text, answer


def _labels(table: pa.Table) -> dict[str, list[str]]:
    """Distinct values of the string columns whose values are short labels (three words or fewer on average)
    and few (at most MAX_LABELS)."""
    out = {}
    for c in _string_columns(table):
        vals = [v for v in table.column(c).to_pylist() if isinstance(v, str) and v.strip()]
        distinct = set(vals)
        if vals and len(distinct) <= MAX_LABELS and short_labels(vals):
            out[c] = sorted(distinct)
    return out


def short_labels(values: list[str]) -> bool:
    """Values that are labels, not sentences: three words or fewer on average, where a dash or slash between
    names is no word (a route "Harbour Point - Kessock" is a label of three)."""
    words = sum(len([w for w in v.split() if any(ch.isalnum() for ch in w)]) for v in values)
    return words <= 3 * len(values)


def peek(path: str | os.PathLike, rows: int = SAMPLE_ROWS, fmt: str | None = None) -> DataPeek:
    """Read `rows` records of the input (any format a reader handles; of a table, spread over its first
    LABEL_ROWS), and the labels of its short columns from those LABEL_ROWS."""
    spec = {"path": os.fspath(path), **({"format": fmt} if fmt else {})}
    read = head_table(spec, rows)
    if read is None:
        return DataPeek(path, [])
    read = read.drop_columns([c for c in read.column_names if c == "_id"])
    table = spread(read, rows)
    text, answer = pick_fields(table)
    return DataPeek(path, table.column_names, [{k: _hashable(v) for k, v in r.items()} for r in table.to_pylist()],
                    text, answer, _labels(read))


def _hashable(value: Any) -> Any:
    """A list or struct value as a tuple (a GitHub export's `labels: ["bug", "cli"]`): the planner compares the
    sample's values as set members, and a list is no label (it is no string either)."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value


def head_table(spec: dict[str, Any], rows: int) -> pa.Table | None:
    """The first records of the input as the reader makes them: LABEL_ROWS of a table (rows of a table are cheap
    to read), `rows` of pages or PDFs (they are parsed); None when nothing readable is there."""
    reader = build_reader(Recipe(name="peek", input={**spec, "limit": rows, "batch_size": rows}))
    if reader.name in TABLE_READERS:
        many = max(rows, LABEL_ROWS)
        reader = build_reader(Recipe(name="peek", input={**spec, "limit": many, "batch_size": min(many, 1000)}))
    tables = []
    for shard in reader.shards()[:1]:
        for item in reader.read(shard):
            if isinstance(item, pa.Table):
                tables.append(item)
    return pa.concat_tables(tables, promote_options="default") if tables else None


def spread(table: pa.Table, rows: int) -> pa.Table:
    """`rows` rows evenly spaced over the table, first and last included: a file sorted by date shows its
    early and its late rows (a newcomer's "from January 2025 onwards" looked like it dropped every row of the
    first 20, all from 2024)."""
    if table.num_rows <= rows:
        return table
    step = (table.num_rows - 1) / (rows - 1) if rows > 1 else 0
    return table.take(sorted({round(i * step) for i in range(rows)}))
