"""Details of a request that no planned step uses: a bound said with a number ("orders over £50", "under 3
stars") or a column the request names by its identifier ("where total_gbp is over 50"). A plan that loses
one does not do what was asked, however well its other steps matched, and nothing else would say so: the
planner matched a job for the words around it. It is reported like a part not understood, so `--yes` does
not run it unreviewed.

Deliberately narrow: only numbers with a comparison or a percent (a count such as "the 5 longest" is the
rank's own), only the data's own columns, and only in actions that ask for something (not in what the user
says to leave alone). A number counts as used when a step holds it in any usual form: itself, one more or one
less (a strict bound on whole numbers), a share (20% as 0.2), or in another time unit.
"""

from __future__ import annotations

import re
from typing import Any

from tilth.agent.actions import PRESERVE, ParsedRequest
from tilth.agent.params import QUOTED, quantities
from tilth.agent.peek import DataPeek
from tilth.agent.plan import Plan

# the forms a number said in the request takes in a step's parameters
_SCALES = (1.0, 0.01, 100.0, 60.0, 1 / 60, 3600.0, 1 / 3600, 86400.0, 1 / 86400, 1000.0, 0.001, 7.0, 7 * 86400.0)


def unused_details(plan: Plan, parsed: ParsedRequest, data: DataPeek) -> list[str]:
    """"'over £50' in 'orders over £50 placed in March'": each detail no step of the plan uses."""
    if not plan.steps and not plan.questions:
        return []  # (an empty plan is reported as one)
    # (a question's SQL uses what it names too: "whats the average delay_hours for each" is avg(delay_hours))
    asked = [q.get("sql", "") for q in plan.questions]
    numbers = set(_numbers([s.params for s in plan.steps] + asked))
    texts = " ".join(v.lower() for v in _values([s.params for s in plan.steps] + asked) if isinstance(v, str))
    used_cols = set(_strings(s.params for s in plan.steps)) | {
        c for c in data.columns if re.search(rf"(?<![\w]){re.escape(c)}(?![\w])", " ".join(asked))}
    out: list[str] = []
    for a in parsed.actions:
        if not a.asks or a.negated or PRESERVE.search(a.full) or a.text in plan.unmatched:
            continue
        text = QUOTED.sub(" ", a.full)  # (a quotation shows the data: "'5 stars!!!'")
        for q in quantities(text):
            if q["bound"] is None and not q["percent"] or q["unit"] in ("times", "x"):
                continue  # (a count, or how often something repeats: "copy-pasted 10+ times" describes the rows)
            word = re.match(r"[\w.-]+", text[q["span"][0]:])  # ("a one-line summary" kept in a style, as said)
            if word and re.search(rf"(?<![\w-]){re.escape(word[0].lower())}(?![\w-])", texts):
                continue
            if not any(_same(q["value"] * k, n) or _same(q["value"] * k + d, n)
                       for k in _SCALES for d in (-1, 1) for n in numbers):
                said = text[q["span"][0]: q["span"][1]].strip() if q["span"][1] <= len(text) else str(q["value"])
                out.append(f"{said!r} in {a.text!r}")
        # a column written as its identifier ("orders with total_gbp over 50"); a column said in words is too
        # often the rows' own noun ("drop pages under 20 words" on a `page` column) or a verb ("rate", "output")
        named = [c for c in data.columns if "_" in c.strip("_") and c != data.text_field
                 and re.search(rf"(?<![\w]){re.escape(c)}(?![\w])", text, re.I)]
        listed = [v for s in plan.steps for v in s.params.values()
                  if isinstance(v, list) and v and all(isinstance(x, str) and x in data.columns for x in v)]
        for col in named:
            # ("a row counts as a dupe if everything except appt_id matches": the column a list of columns leaves out)
            left_out = listed and re.search(rf"\b(?:except|excluding|other than|apart from|aside from|besides|but|"
                                            rf"ignor(?:e|ing)|not counting)\s+(?:for\s+)?(?:the\s+)?{re.escape(col)}\b", text, re.I) \
                and not any(col in v for v in listed)
            if col not in used_cols and not left_out:
                out.append(f"the column {col!r} in {a.text!r}")
        # a label the data holds, named in the action ("but not the ones already approved" on a status column), that
        # no step and no question holds: a selection lost ("flow cytometer bookings in April" kept every instrument)
        # (a breakdown by its column holds it: "how many spin classes are there" as the rows per class_type)
        grouped = {s.params.get("domain_field") for s in plan.steps if s.op == "dataset_stats"}
        for col, value in _labels_named(text, data):
            if value.lower() not in texts and col not in grouped:
                out.append(f"{value!r} in {a.text!r}")
    return list(dict.fromkeys(out))


_COMMON = frozenset("none other others unknown yes no true false open closed new old all any some high low medium "
                    "normal general misc".split())


def _labels_named(text: str, data: DataPeek) -> list[tuple[str, str]]:
    """Values of the data's label columns, with their column (a few distinct short strings, repeated in the
    sample), that the text names as written, in the singular (a plural is as often the rows' own noun: "which talks were submitted" on a
    format column holding `talk`): four letters at least, not a common word."""
    low = text.lower()
    out = []
    for col in data.columns:
        if col == data.text_field or col.startswith("_"):
            continue
        vals = [r.get(col) for r in data.rows if isinstance(r.get(col), str) and r.get(col).strip()]
        distinct = set(vals) | {v for v in data.labels.get(col, ()) if isinstance(v, str)}
        if not vals or len(distinct) > 20 or len(set(vals)) == len(vals) or any(len(v) > 40 for v in distinct):
            continue
        for v in sorted(distinct):
            spelled = re.escape(v.lower()).replace(r"\ ", r"[\s_-]+").replace("_", r"[\s_-]+")
            if len(v) >= 4 and v.lower() not in _COMMON and not v.isdigit() \
                    and re.search(rf"(?<![\w-]){spelled}(?![\w-])", low):
                out.append((col, v))
    return out


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _values(params: Any):
    """Every leaf value of nested parameters (dicts, lists)."""
    if isinstance(params, dict):
        for k, v in params.items():
            yield k
            yield from _values(v)
    elif isinstance(params, (list, tuple)) or hasattr(params, "__next__"):
        for v in params:
            yield from _values(v)
    else:
        yield params


def _numbers(params) -> list[float]:
    out = []
    for v in _values(params):
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out.append(float(v))
        elif isinstance(v, str):
            out += [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", v.replace(",", ""))]
    return out


def _strings(params) -> list[str]:
    return [v for v in _values(params) if isinstance(v, str)]
