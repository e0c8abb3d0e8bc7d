"""Numeric and date ranges said in a request ("over 30 minutes", "in March", "4 or worse"), put on the column they bound."""

from __future__ import annotations

import re
from typing import Any

from tilth.agent.actions import (
    GENERIC,
    WISH,
    Action,
    lead_verb,
)
from tilth.agent.columns import (
    ID_LIKE,
    MONEY_NAMES,
    _count_columns,
    _dated,
    _money_columns,
    _numeric,
    _started_by,
    _whole,
)
from tilth.agent.dates import MONTHS, year_bounds
from tilth.agent.dates import bounds as date_bounds
from tilth.agent.match import ROW_NOUNS
from tilth.agent.params import (
    CURRENCY_WORDS,
    DROP,
    UNIT_NAMES,
    UNITS,
    column_mentions,
    condition_bounds,
    condition_scope,
    quantities,
)
from tilth.agent.peek import DataPeek
from tilth.ops.numbers import as_number, looks_numeric

PERCENT_PARTS = frozenset("abv pct percent percentage".split())  # words of a column that holds percentages
KEEPING = re.compile(r"^\W*(?:please\s+)?(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?)?(?:(?:i|we)\s+(?:only\s+)?(?:want|need)\s+(?:only\s+)?|keep(?:ing)?\s+(?:only|just)?|"
                     # "could you give me just the storm claims": rows wanted, not figures
                     r"(?:give|get|show|send|pull|fetch|bring|hand)\s+(?:me|us)\s+(?:only|just)\s+|"
                     # "show me sessions where an injury was reported": the rows, by what they hold
                     r"(?:(?:give|get|show|send|pull|fetch|bring|hand|list|find)\s+(?:me|us)|show|list|find)\s+"
                     r"(?:all\s+|every\s+|any\s+)?(?:the\s+)?"
                     r"(?!(?:[a-z][\w-]*\s+){0,3}?(?:stats|statistics|figures|numbers|counts|totals|averages|metrics)\b)"
                     r"(?=(?:\w[\w-]*\s+){0,3}?[a-z][a-z-]*s?(?:\s+(?:where|whose|with|that|which|who|from|in|at|on|for|"
                     r"over|under|above|below|after|before|since|between|except|excluding|but|other|apart|besides)\b|"
                     r"\W*$))|"  # ("show me the denied requests", "give me all the stop-work observations except ...")
                     r"only\s+(?:keep\s+)?|just\s+(?:keep\s+)?|retain\s+(?:only\s+)?|select\s+(?:only\s+)?|"
                     # ("..., counting only bookings where the member attended": the rows a figure is of)
                     r"(?:count(?:ing)?|includ(?:e|ing)|consider(?:ing)?)\s+only\s+|"
                     r"filter\s+(?:down\s+)?to\s+)", re.I)



# words for an amount of money a bound may be said of, where no column is named ("the bill came to more than 100")
MONEY_WORD = re.compile(r"\b(?:bills?|billed|invoiced?|invoices|prices?|priced|fees?|charged?|charges|costs?|paid|spent|"
                        r"fares?|amounts?|totals?|came\s+to)\b", re.I)

def _scale_bounds(text: str) -> dict:
    """value_filter bounds on a planned score of whole numbers from the words ("keep those scoring 7 or above":
    min 7; "drop the ones rated under 3": min 3)."""
    lo, hi = condition_bounds(text)
    if _removal(text):  # the rows named go: one side of them stays
        lo, hi = (hi + 1 if hi is not None and lo is None else None), (lo - 1 if lo is not None and hi is None else None)
    return {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}


def _in_sample_range(column: str, bounds: dict, data: DataPeek) -> bool:
    """Whether a bound's numbers lie within the column's sample values ("4+" on wine points 82-97 does not)."""
    seen = [as_number(r[column]) for r in data.rows if looks_numeric(r.get(column))]
    said = [float(v) for k, v in bounds.items() if k in ("min", "max") and isinstance(v, (int, float))]
    return not seen or not said or all(min(seen) - 1 <= v <= max(seen) + 1 for v in said)


# a verb or adjective that names the quantity a column holds ("cats weighing over 5 kg": weight_kg)
MEASURED_BY = {w: q for q, ws in {
    "weight": "weigh weighs weighed weighing heavier heaviest lighter lightest",
    "price": "cost costs costing priced pricier cheaper cheapest", "cost": "costs costing",
    "age": "older oldest younger youngest aged", "height": "taller tallest", "duration": "lasting lasted"}.items()
    for w in ws.split()}  # (not "long", "high", "short": words that bound text lengths and ratings)


# columns where a higher value is worse ("severity 4 or worse" is 4 and up)
BAD_IS_HIGH = re.compile(r"sever|risk|danger|urgen|damage|pain|defect|error|delay|late|toxic|spam|harm|threat|"
                         r"complain|incident|fault_count|bug", re.I)


# verbs that say a rating, whatever its column is called ("rated us 7 or more" on `satisfaction`), and the words of
# such columns' names
RATING_VERBS = frozenset("rated rate rates rating scored scoring gave give gives graded".split())


RATING_PARTS = frozenset("rating ratings score scores satisfaction csat nps stars grade mark marks points "
                         "rated".split())


# the scale a rating is given on ("7 or more out of 10", "8/10"): not a bound
OUT_OF = re.compile(r"\s*(?:\bout\s+of|/)\s*(?:5|10|100)\b(?!\s*(?:%|percent))", re.I)


# verbs that say an amount of money, whatever its column is called ("appointments that cost more than 100" on `fee`)
MONEY_VERBS = frozenset("cost costs costing costed priced paid charged billed".split())


TEXT_UNITS = {"words", "chars", "tokens", "lines", "sentences", "paragraphs"}


TIME_UNITS = {"ms": 0.001, "millisecond": 0.001, "sec": 1, "second": 1, "s": 1, "min": 60, "minute": 60, "hour": 3600,
              "hr": 3600, "h": 3600, "day": 86400, "week": 7 * 86400, "wk": 7 * 86400}


SIGNED = ((re.compile(r"\b(?:zero|0)\s*(?:,|or|,\s*or)\s*negative\b|\bnegative\s*(?:,|or|,\s*or)\s*(?:zero|0)\b", re.I),
           "at most 0"),  # "whose price is zero, negative or missing": 0 goes too
          (re.compile(r"\bnon[- ]?negative\b", re.I), "at least 0"), (re.compile(r"\bnegative\b", re.I), "below 0"),
          (re.compile(r"\bnon[- ]?positive\b", re.I), "at most 0"), (re.compile(r"\bpositive\b", re.I), "above 0"),
          (re.compile(r"\b(?:zero|no)\s+(?=[a-z_]+\b)", re.I), "0 "))


def _time_unit(word: str) -> float | None:
    w = word.lower().rstrip("s") if len(word) > 2 else word.lower()
    return TIME_UNITS.get(w)


def _selects_rows(text: str) -> bool:
    """The action keeps or drops rows ("keep ...", "drop ...", "only ...", or no verb at all), rather than doing
    a job on the rows a condition picks ("paraphrase the reviews with 5 stars")."""
    verb = lead_verb(text)
    asked = WISH.sub("", text.strip())  # ("could you give me just the appointments from ...")
    return not verb or verb in GENERIC or verb == "only" or bool(KEEPING.match(text)) or bool(KEEPING.match(asked)) \
        or bool(PREDICATE.match(text))


# "(which talks were submitted in February and) run at least 30 minutes", "cost more than 200 euros": a verb
# with a bound right after it says what rows hold, as a relative clause does; an imperative takes an object
PREDICATE = re.compile(r"^\W*(?:and\s+|that\s+|which\s+|who\s+)?(?!(?:drop|remove|delete|keep|filter|exclude|discard|"
                       r"take|sample|select|cut|trim|limit|cap|truncate|shorten|generate|make|create|write|produce|add|"
                       r"translate|paraphrase|rewrite|augment|expand|label|tag|score|rate|annotate|redact|mask|pick|"
                       r"choose|keep|retain|dedupe|dedup|count|show|list|give|get|find)\b)[a-z]+\s+(?:at\s+(?:least|most)|"
                       r"(?:more|less|fewer|longer|shorter|over|under|above|below|no\s+more|no\s+less)\b(?:\s+than)?|"
                       r"up\s+to|between)\s+\d", re.I)


def _removal(text: str) -> bool:
    """The clause starts by asking to remove rows ("drop ...", "please get rid of ...", "after that, drop ...",
    "for every other department remove ...": a lead-in before the verb)."""
    return re.match(rf"^\W*(?:(?:after that|afterwards|after this|and|then|next|finally|lastly|also)\b[\s,]*)?"
                    rf"(?:(?:for|in|on|among|across|within|from)\s+(?:[\w'-]+\s+){{1,5}}?,?\s*)?"
                    rf"(?:(?:please|pls|plz)\s+)?(?:(?:can|could|would|will)\s+(?:you|we|u)\s+(?:please\s+|pls\s+)?)?"
                    rf"(?:(?:i|we)\s+(?:want|need|would like)\s+to\s+)?(?:{DROP.pattern}|{_IGNORED_ROWS})", text, re.I) is not None


# "ignore rows where the duration is missing": rows left out ("ignore case" or "ignore the punctuation" are not)
_IGNORED_ROWS = r"(?:ignore|ignoring|disregard|disregarding)\s+(?:the\s+|any\s+|all\s+)?(?:[\w-]+\s+)?" \
                r"(?=(?:where|whose|with|that|which|who|without|missing|lacking)\b)"


# a month's full name ("may" in lower case is a verb)
_MONTH_WORDS = rf"(?:(?i:{'|'.join(m for m in MONTHS if len(m) > 4 or m in ('june', 'july'))})|May)"


def _with_data_year(text: str, data: DataPeek) -> str:
    """ "after March" -> "after March 2024" where every sampled date of the data is in 2024 and the text names no
    year: a month said alone is of the data's one year ("may" in lower case is a verb)."""
    if re.search(r"\b(?:19|20)\d{2}\b", text) or not re.search(rf"\b{_MONTH_WORDS}\b", text):
        return text
    years = {str(r.get(c))[:4] for c in data.columns if _dated(c, data) for r in data.rows if r.get(c)}
    if len(years) != 1 or not (year := years.pop()).isdigit():
        return text
    return re.sub(rf"\b({_MONTH_WORDS}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?)\b", rf"\1 {year}", text)


def _dated_bounds(action: Action, data: DataPeek, selecting: bool = False) -> list[tuple[str, dict]]:
    """A date bound on the data's one date column (or the date column the action names); `selecting`: the
    action picks rows whatever its verb ("give me the 10 ... between March 1 and April 30")."""
    if not selecting and not _selects_rows(action.full):
        return []
    dropping = _removal(action.full)
    said = _with_data_year(action.full, data)  # ("requests from after March" in data of 2024)
    dates = date_bounds(said, dropping=dropping) or _year_bounds(said, data, dropping)
    dated = [c for c in data.columns if _dated(c, data)]
    named = [c for c in column_mentions(action.full, dated)] or dated
    return [(named[0], dates)] if dates and len(named) == 1 else []


def _ranged_columns(action: Action, data: DataPeek, skip: tuple[str, ...] = ()) -> list[tuple[str, dict]]:
    """Bounds on numeric columns of the data that the action names ("where n_turns is at least 3", "fewer than
    3 turns", "negative upvotes", "threads 100 to 105 with more than twenty upvotes") or implies by a time unit
    ("calls longer than five minutes" on duration_sec, in the column's unit): [(column, value_filter params)],
    each number going with the column named nearest to it. Bounds in words, characters or tokens belong to a
    length filter unless the column counts that unit (`word_count`)."""
    text = action.full
    if not _selects_rows(text):
        return []  # "paraphrase the reviews with 5 stars": a job on those rows (where_column), not a filter
    for pattern, bound in SIGNED:
        text = pattern.sub(bound, text)
    text = OUT_OF.sub("", text)  # ("rated us 7 or more out of 10": the scale, not a bound)
    low = text.lower()
    numeric = [c for c in data.columns if c != data.text_field and c not in skip and _numeric(c, data, share=0.8)]
    # ("8% alcohol and up": a percentage bounds a column that holds one, abv or discount_pct; "the top 10%" no column)
    percents = [c for c in numeric if PERCENT_PARTS & set(re.split(r"[_\W]+", c.lower()))]
    qs = [q for q in quantities(text) if not q["percent"] or percents]
    if not qs:
        return []
    spots: list[tuple[int, int, str, int]] = []  # where each column is named: (start, end, column, penalty)
    from tilth.agent.params import ABBREVIATIONS, _stems

    words = [(m.start(), m.end(), _stems(m[0]), bool(ROW_NOUNS.fullmatch(m[0]))) for m in re.finditer(r"[a-z][a-z']*", low)]
    for col in numeric:
        full = re.escape(col.lower()).replace("_", "[_ ]")
        spots += [(m.start(), m.end(), col, 0) for m in re.finditer(rf"\b{full}\b", low)]
        # "turns" -> n_turns, "rated" -> rating; "threads" -> thread_id only if no other column is as near, and
        # never by the noun that names the rows ("reviews rated 4 or more" compares stars, not review_id)
        penalty = 5 if ID_LIKE.search(col) else 0
        for part in re.split(r"[_\W]+", col.lower()):
            if len(part) == 2 and part.isalpha() and part not in ("id", "no", "of", "in", "on", "at", "to", "is"):
                # a unit of two letters right after a number names its column ("under 150,000 km": mileage_km)
                spots += [(m.start(1), m.end(1), col, 0) for m in re.finditer(rf"\d\s*({part})\b", low)]
            if part in UNIT_NAMES and part not in ("hours", "minutes", "seconds", "days"):
                # the unit in words ("closer than 100 metres": distance_m; "over 50 kilos": weight_kg)
                said = "|".join(w for w in UNIT_NAMES[part].split() if len(w) > 2)
                spots += [(m.start(1), m.end(1), col, 0) for m in re.finditer(rf"\d\s*({said})\b", low)] if said else []
            if part in ABBREVIATIONS:  # ("8% alcohol and up": abv)
                said = "|".join(ABBREVIATIONS[part].split())
                spots += [(m.start(), m.end(), col, 0) for m in re.finditer(rf"\b(?:{said})\b", low)]
            if len(part) >= 3 and part not in ("num", "count", "total"):
                stem = _stems(part)
                spots += [(a, b, col, penalty) for a, b, w, rows in words if w and not (penalty and rows)
                          and (w == stem or re.fullmatch(rf"{re.escape(part)}(?:s|es|d|ed)", low[a:b])
                               or MEASURED_BY.get(low[a:b]) == part
                               or low[a:b] in MONEY_VERBS and re.fullmatch(MONEY_NAMES, part)  # ("cost more than 100": fee)
                               # ("rated us 7 or more" on `satisfaction`)
                               or low[a:b] in RATING_VERBS and part in RATING_PARTS
                               # ("10+ votes" on `upvotes`: the word that ends a compound name)
                               or len(low[a:b]) >= 4 and part != low[a:b] and part.endswith(low[a:b]))]
    # ("orders of 5 or more plants": a count of things bought, said by their noun, is the quantity column's)
    counts = _count_columns(numeric)
    if len(counts) == 1:
        for q in qs:
            noun = re.match(r"\s+(?:(?:or|and)\s+(?:more|less|fewer|over|under|above|below|up)\s+)?([a-z]{3,}s)\b",
                            q.get("after") or "") if not q["unit"] else None
            if noun and noun[1] not in UNITS and not ROW_NOUNS.fullmatch(noun[1]) \
                    and (at := low.find(noun[1], q["span"][0])) >= 0:
                spots.append((at, at + len(noun[1]), counts[0], 0))
    removal = _removal(text)
    # ("severity 4 or worse": on a column where more is worse, "worse" is the upper side)
    flipped = {col for col in numeric if BAD_IS_HIGH.search(col)}
    # ("drop claims without a receipt, unless the amount is under 25": the rows after "unless" stay)
    spared = SPARING.search(low)
    removes: dict[str, bool] = {}  # col: whether its rows go
    found: dict[str, dict] = {}
    spans: dict[str, dict[str, tuple[float, bool]]] = {}  # col: {"lower"/"upper": (value, strict)}, as said
    for q in qs:
        start, end = q["span"]
        dropping = removal != (spared is not None and start > spared.start())
        unit, scale = q["unit"] or "", 1.0
        year = [c for c in numeric if re.search(r"(?:^|_)(?:year|yr)s?(?:$|_)", c.lower())]
        # (a year said without a column beside it: "cars from 2015 or newer with under 150,000 km" names mileage
        # for the 150,000 only)
        near = min((abs(a - start) if a >= start else abs(start - b) for a, b, _, _ in spots), default=None)
        if (near is None or near > 25 and not q["unit"]) and len(year) == 1 and 1900 <= q["value"] <= 2100 \
                and float(q["value"]).is_integer():
            if q.get("comparative") == "from" and not re.match(r"\s*(?:on\b|onwards?\b|forwards?\b|or later|and later|"
                                                               r"or newer|and newer|or more recent|or after|and up\b|"
                                                               r"to\b|through|until|till)", q.get("after", "")):
                q = {**q, "bound": None}  # "papers from 2015": that year, not 2015 on
            if q["bound"] is None:
                found[year[0]] = {"values": [int(q["value"])]}
            else:  # "papers published in 2020 or later" on `year`
                found.setdefault(year[0], {})["min" if (q["bound"] == "lower") != dropping else "max"] = int(q["value"])
            continue
        timed = _timed_column(unit, numeric) if spots else None  # "longer than 30 minutes": duration_min, even
        # "worth more than 200 euros": the one column whose name ends in the unit's first letters (value_eur)
        priced = _started_by(numeric, [unit.lower(), *CURRENCY_WORDS.get(unit.lower(), ())])
        if not priced and unit.lower() in CURRENCY_WORDS:  # "over £50" on `price`: the one column of money
            priced = _money_columns(numeric)
        if q["percent"]:  # (only a column of percentages, named beside it)
            near = min(spots, key=lambda sp: max(sp[0] - end, start - sp[1], 0) + sp[3], default=None)
            if near is None or near[2] not in percents or max(near[0] - end, start - near[1], 0) > 40:
                continue
            col = near[2]
            if all(abs(float(v)) <= 1 for r in data.rows if looks_numeric(v := r.get(col))):
                scale = 0.01  # (a column of fractions: 8% is 0.08)
        elif len(priced) == 1 and timed is None:
            col = priced[0]
        elif timed is None and not unit and len(money := _money_columns(numeric)) == 1 and MONEY_WORD.search(
                low[max(0, start - 30):start]) and not any(max(sp[0] - end, start - sp[1], 0) <= 12 for sp in spots):
            col = money[0]  # "where the bill came to more than 100": the data's one column of money (trial 86)
        elif timed is not None:                                  # beside "episodes" (episode_id)
            col, scale = timed
        elif spots:
            near = min(spots, key=lambda sp: max(sp[0] - end, start - sp[1], 0) + sp[3])
            col = near[2]
            if max(near[0] - end, start - near[1], 0) > 40:
                continue
            unit_name = UNITS.get(unit, unit)
            if unit_name in TEXT_UNITS and unit_name.rstrip("s") not in col.lower():
                continue  # "pages under 30 words" on a `page` column: a length, not the page number
        else:  # a time unit and a column that holds one: "longer than five minutes" on duration_sec
            timed = _timed_column(unit, numeric)
            lone = [c for c in numeric if not ID_LIKE.search(c)]
            rows_said = re.search(r"\b([a-z]{3,}s)\s*$", low[:start])  # ("claims over 200": the rows, then the bound)
            if timed is None and len(lone) == 1 and (not unit or unit.lower() in _NO_UNIT) and rows_said \
                    and UNITS.get(rows_said[1], rows_said[1]) not in TEXT_UNITS:
                col = lone[0]  # "claims over 200 that were submitted ...": the data's one column of numbers
            elif timed is None:
                continue
            else:
                col, scale = timed
        value = q["value"] * scale
        bound = q["bound"]
        if col in flipped and bound and re.search(r"\b(?:worse|better)\b", f"{q.get('comparative') or ''} "
                                                                          f"{text[start:end + 12]}", re.I):
            bound = "lower" if bound == "upper" else "upper"
        if bound is None and not re.search(rf"\b{re.escape(col.lower())}\s*(?:is|=|==|equals?|of)\s*$", low[:start]):
            continue  # "3 pairs for every page": a count, not a page number
        params = found.setdefault(col, {})
        removes[col] = dropping
        if bound is not None:
            spans.setdefault(col, {})[bound] = (value, q["strict"])
        # "more than 1,000 views" leaves 1,000 out (so does "drop ... at least 1,000"): on whole numbers the bound
        # moves by one; a column of fractions keeps the bound (value_filter's bounds are inclusive)
        out = bool(bound) and q["strict"] != dropping  # the number itself is not kept
        step = 1 if out and float(value).is_integer() and _whole(col, data) else 0
        if bound is None:
            params.setdefault("values", []).append(value if not float(value).is_integer() else int(value))
        elif (bound == "lower") != dropping:
            params["min"] = value + step
            if out and not step:  # "spam_score above 0.3" on fractions
                params["min_exclusive"] = True
        else:
            params["max"] = value - step
            if out and not step:
                params["max_exclusive"] = True
    out = []
    for col, params in found.items():
        dropping = removes.get(col, removal)
        if "values" in params and ("min" in params or "max" in params):
            params.pop("values")
        if dropping and "values" in params:
            params["drop_values"] = params.pop("values")
        if dropping and "min" in params and "max" in params and params["min"] > params["max"]:
            params = _dropped_span(spans[col], _whole(col, data))  # "drop threads 100 to 105"
        out.append((col, params))
    return out


# words that may follow a bare number without being its unit ("over 200 that were ...", "under 25 and ...")
_NO_UNIT = frozenset("that which who whose and or but in on at from with for to since before after each per if "
                     "unless except only please".split())


def _timed_column(unit: str, numeric: list[str]) -> tuple[str, float] | None:
    """(column, scale) for a time unit the text gives ("5 minutes") and a numeric column that holds a time
    (duration_sec, call_minutes, runtime): the value in the column's unit."""
    if (given := _time_unit(unit)) is None:
        return None
    for c in numeric:
        parts = re.split(r"[_\W]+", c.lower())
        own = next((_time_unit(p) for p in reversed(parts) if _time_unit(p)), None)
        if own is None and any(p in ("duration", "time", "elapsed", "runtime", "latency") for p in parts):
            own = 1.0  # a duration whose name gives no unit: seconds
        if own is not None:
            return c, given / own
    return None


def _dropped_span(said: dict[str, tuple[float, bool]], whole: bool) -> dict:
    """value_filter params that drop the span a removal names ("drop threads 100 to 105", "remove scores between
    0.4 and 0.6", "more than 3 and less than 5"): its ends as said, a strict end left out."""
    (lo, lo_strict), (hi, hi_strict) = said["lower"], said["upper"]
    params: dict = {"min": lo, "max": hi, "drop_range": True}
    for key, strict, shift in (("min", lo_strict, 1), ("max", hi_strict, -1)):
        if strict and whole and float(params[key]).is_integer():
            params[key] += shift  # "more than 3" on whole numbers: from 4
        elif strict:
            params[f"{key}_exclusive"] = True
    return params


def _year_bounds(text: str, data: DataPeek, dropping: bool) -> dict:
    """A year's bounds for the date column ("posted in 2024"), unless the data counts years in a column of its
    own ("acquired before 1960" is year_acquired's bound, not date_catalogued's)."""
    if any(re.search(r"(?:^|_)(?:year|yr)s?(?:$|_)", c.lower()) and _numeric(c, data) for c in data.columns):
        return {}
    return year_bounds(text, dropping=dropping)


# what a removal spares, said after it ("..., unless a heat pump was recommended")
SPARING = re.compile(r"\b(?:unless|except(?:\s+(?:for|when|where|if))?|apart\s+from|other\s+than|save\s+for)\b", re.I)


def _scope_bounds(condition: str, col: str, data: DataPeek) -> dict[str, Any]:
    """where_min / where_max (exclusive where a strict bound falls on a column of fractions) for the rows a
    condition on `col` selects; a column a planned step writes counts as whole numbers (a 1-5 grade)."""
    return condition_scope(condition, whole=col not in data.columns or _whole(col, data))


# units a column's name carries, as a request says them ("how many kg", "how many hours")
