"""What a column of the data sample is (numbers, dates, labels, yes/no, money, text), as the planner's rules ask it."""

from __future__ import annotations

import re

from tilth.agent.peek import DataPeek, looks_like_html, short_labels
from tilth.ops.dates import looks_like_date
from tilth.ops.numbers import as_number, looks_numeric


def _numeric(col: str, data: DataPeek, share: float = 1.0) -> bool:
    """The sample's values of the column are numbers (at least `share` of them; '5' in a CSV counts)."""
    vals = [r.get(col) for r in data.rows if r.get(col) is not None]
    if share >= 1.0:
        return bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
    return bool(vals) and sum(looks_numeric(v) for v in vals) >= share * len(vals)


PLAIN_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*")


def numeric_text(col: str, data: DataPeek, share: float = 0.9) -> list[str] | None:
    """The sample's values that are not numbers, where a text column holds plain numbers in at least `share` of
    its rows (a JSONL file with one "stars": "five" among 44 numbers is read as text, every record kept); None
    where the column is not such a column. SQL reads it with TRY_CAST(col AS DOUBLE), the others as NULL."""
    vals = [v for r in data.rows if (v := r.get(col)) is not None]
    if not vals or not all(isinstance(v, str) for v in vals):
        return None
    odd = [v for v in vals if not PLAIN_NUMBER.fullmatch(v)]
    return list(dict.fromkeys(odd)) if len(odd) < len(vals) and len(vals) - len(odd) >= share * len(vals) else None


ID_LIKE = re.compile(r"(?:^|[_\W])(?:id|idx|index|key|no)$|^(?:row|line|doc|page)(?:[_\W]?(?:num|number|count))?$", re.I)


def _yes_no_column(col: str, data: DataPeek) -> bool:
    """Every sampled value of the column is true or false."""
    vals = [r.get(col) for r in data.rows if r.get(col) is not None]
    return bool(vals) and all(isinstance(v, bool) for v in vals)


def _seen_labels(col: str, data: DataPeek) -> set[str]:
    """The column's text values in the sample rows and in the labels read from the first LABEL_ROWS rows."""
    return {v for r in data.rows if isinstance(v := r.get(col), str)} | {v for v in data.labels.get(col, ())
                                                                        if isinstance(v, str)}


# the words of a column name that says money ("price", "fee", "cost_eur")
MONEY_NAMES = (r"value|price|prices|cost|costs|amount|fee|fees|eur|euros?|usd|gbp|dollars?|chf|jpy|paid|spend|spent|"
               r"revenue|salary|budget|fare|worth|fine|fines|charge|charges|bill|rent|deposit|refund|payment|wage|"
               r"wages|pay|tip")


def _money_columns(numeric: list[str]) -> list[str]:
    """The columns among `numeric` whose name says money (price, fee, cost_eur), ids aside."""
    return [c for c in numeric if not ID_LIKE.search(c) and re.search(rf"(?:^|_)(?:{MONEY_NAMES})(?:$|_)", c.lower())]


COUNT_PARTS = frozenset("qty quantity count units items pieces pcs".split())  # words of a column counting things


def _count_columns(numeric: list[str]) -> list[str]:
    """The columns among `numeric` whose name says they count things (qty, quantity, n_items)."""
    return [c for c in numeric if set(re.split(r"[_\W]+", c.lower())) & COUNT_PARTS]


def _started_by(columns: list[str], words: list[str]) -> list[str]:
    """The columns (not identifiers) with a part of three letters or more that starts one of the words: a unit
    said after a number names its column ("200 euros" -> estimated_value_eur)."""
    return [c for c in columns if not ID_LIKE.search(c) and any(
        len(p) >= 3 and any(w.startswith(p) for w in words) for p in re.split(r"[_\W]+", c.lower()))]


def _holds_label(data: DataPeek, value: str) -> bool:
    """Whether some sampled row holds `value` (any case) in a column of short labels."""
    return any(isinstance(r.get(c), str) and r[c].lower() == value for c in data.columns if _label_column(c, data)
               for r in data.rows)


def _html_column(col: str, data: DataPeek) -> bool:
    return looks_like_html(col, [r.get(col) for r in data.rows])


# copies of whole rows ("duplicate rows", "identical records", "rows that appear twice"), not of one text column
def _record_ids(data: DataPeek) -> list[str]:
    """The id columns of records rather than documents (nothing for documents): an id column (distinct in the
    sample, but for a few copies) and at least five fields beside it and the text. A duplicate of such a row is the
    same record twice, not two records that share a sentence."""
    ids = [c for c in data.columns if re.search(r"(?:^|_)(?:id|ref|no|number|code)$", c.lower())
           and len({str(r.get(c)) for r in data.rows}) >= len(data.rows) - 3]
    rest = [c for c in data.columns if c != data.text_field and not c.startswith("_") and c not in ids]
    return ids if ids and len(rest) >= 5 and len(data.rows) >= 5 else []


def _label_values(data: DataPeek) -> frozenset[str]:
    """The labels of the data's label columns, lower case: a list of them in a request is one list of values."""
    out = set()
    for col in data.columns:
        if col == data.text_field or col.startswith("_") or not _categorical(col, data) or _dated(col, data):
            continue
        seen = [r.get(col) for r in data.rows] + list(data.labels.get(col, ()))
        out |= {v.lower() for v in seen if isinstance(v, str) and len(v) <= 40 and re.fullmatch(r"[\w-]{2,}(?: [\w-]+){0,3}", v)}
    return frozenset(out)


def _whole(col: str, data: DataPeek) -> bool:
    """The sample's values of the column are all whole numbers (counts, stars, years): ints, or text written
    without a fraction; a float column (20.0, 29.0) or money written "$120.00" may hold fractions the sample lacks."""
    vals = [r.get(col) for r in data.rows if looks_numeric(r.get(col))]
    return bool(vals) and all(isinstance(v, int) or isinstance(v, str) and not re.search(r"\d[.]\d", v)
                              and as_number(v).is_integer() for v in vals)


def _dated(col: str, data: DataPeek) -> bool:
    """Most of the sample's values of the column are dates (date objects, or ISO text)."""
    vals = [r.get(col) for r in data.rows if r.get(col) not in (None, "")]
    return bool(vals) and sum(looks_like_date(v) for v in vals) >= 0.8 * len(vals)


def _labels(cols: list[str], data: DataPeek) -> list[str]:
    """The columns that label rows (a topic, a 1-5 rating): short strings, or few distinct whole numbers."""
    def few_numbers(c):
        vals = [r.get(c) for r in data.rows if r.get(c) is not None]
        return _numeric(c, data) and all(as_number(v).is_integer() for v in vals) and len(set(vals)) <= 20
    return [c for c in cols if c != data.text_field and (_categorical(c, data) or few_numbers(c) or _few_values(c, data))]


def _label_column(col: str, data: DataPeek) -> bool:
    """Dates, or short values that repeat (topic, grade): never the text a job reads. Short values that differ
    row by row (a contact e-mail, a title) are text a job may read ("scrub PII out of the contact column")."""
    if _dated(col, data):
        return True
    vals = [r.get(col) for r in data.rows if isinstance(r.get(col), str) and r.get(col)]
    return _categorical(col, data) and len(set(vals)) <= 0.5 * len(vals)


def _one_paragraph_rows(data: DataPeek, field: str) -> bool:
    """The sample's texts are single lines of several sentences (a paragraph per row, no line breaks)."""
    col = data.text_field if field == "text" else field
    texts = [t for r in data.rows if isinstance(t := r.get(col), str) and t.strip()]
    multi = sum(len(re.findall(r"[.!?]\s+\S", t)) >= 1 for t in texts)
    return bool(texts) and not any("\n" in t.strip() for t in texts) and multi >= 0.5 * len(texts)


def _few_values(col: str, data: DataPeek) -> bool:
    """A column that repeats a few values over the sample (a museum's name on every row): a label, however long."""
    vals = [r.get(col) for r in data.rows if isinstance(r.get(col), str) and r.get(col)]
    return len(vals) >= 5 and len(set(vals)) <= max(2, 0.3 * len(vals)) \
        and max(len(v.split()) for v in vals) <= 6  # (names: a sentence is text, however often repeated)


def _categorical(col: str, data: DataPeek) -> bool:
    """Short labels (topic, product, source): at most three words per value on the sample."""
    vals = [r.get(col) for r in data.rows if isinstance(r.get(col), str)]
    return bool(vals) and col != data.text_field and (col in data.labels or short_labels(vals))


def _string_columns(data: DataPeek) -> list[str]:
    out = []
    for c in data.columns:
        vals = [r.get(c) for r in data.rows if r.get(c) is not None]
        if vals and all(isinstance(v, str) for v in vals):
            out.append(c)
    return sorted(out, key=lambda c: -sum(len(r.get(c) or "") for r in data.rows))
