"""Dates in a request ("crawled before 2026-11-05", "since March 3, 2025", "between 2025/01/01 and 2025/06/30"):
found, written as ISO text, and turned into the bounds a value filter keeps. A month, half or quarter of a
year ("April 2025 or later", "the second half of 2024", "Q1 2025") is a period with a first and a last day.

A date is never a quantity: its digits must not become a word limit or a band count, so `mask` blanks them
before numbers are read. A bare year ("before 2020") is left alone: "2020" may as well be a count, and
nothing here can tell.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {m: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), 1) for m in names}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
DATE = re.compile(
    r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})((?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:z|[+-]\d{2}:?\d{2})?)(?![\w.-])"
    r"|(?<![\w./])(\d{4})/(\d{1,2})/(\d{1,2})(?![\w/])"
    rf"|\b{_MONTH}\s+{_DAY},?\s+(\d{{4}})\b"
    rf"|\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.I)

MONTH_NAME = _MONTH.replace("(", "(?:", 1)  # (no group: for patterns that count theirs)
_SPAN = r"(\s*(?:and|to|until|till|through|thru|-|\u2013)\s*)"


def borrow_year(text: str) -> str:
    """ "between March 1 and April 30 2025" -> "between March 1 2025 and April 30 2025": a span's first day
    written without its year takes the second's ("1 March to 30 April 2025" likewise)."""
    text = re.sub(rf"\b({MONTH_NAME}\s+{_DAY}){_SPAN}(?=(?:{MONTH_NAME}\s+)?{_DAY},?\s+(\d{{4}})\b)",
                  lambda m: f"{m[1]} {m[5]}{m[3]}", text, flags=re.I)
    text = re.sub(rf"\b({_DAY}\s+(?:of\s+)?{MONTH_NAME}){_SPAN}(?={_DAY}\s+(?:of\s+)?{MONTH_NAME},?\s+(\d{{4}})\b)",
                  lambda m: f"{m[1]} {m[5]}{m[3]}", text, flags=re.I)
    # "in February or March 2025", "from January to March 2025": months of the same year
    return re.sub(rf"\b({MONTH_NAME})(\s+(?:or|and|to|through|thru|until|till)\s+|\s*[-\u2013]\s*)(?={MONTH_NAME},?\s+(\d{{4}})\b)",
                  lambda m: f"{m[1]} {m[3]}{m[2]}", text, flags=re.I)


# the bound a word puts on the kept rows, read as "keep rows <word> DATE"; `strict`: the date itself is out
AFTER = r"after|later than|newer than|more recent than|younger than"
FROM = r"since|from|starting(?: on| from)?|on or after|no earlier than|not before|onwards? from"
BEFORE = r"before|earlier than|older than|prior to"
UNTIL = r"until|till|up to(?: and including)?|through|thru|by|on or before|no later than|not after|up until"
DIRECTION = re.compile(rf"\b({AFTER}|{FROM}|{BEFORE}|{UNTIL})\s+(?:the\s+)?$", re.I)
LATER = re.compile(r"^\s*(?:(?:or|and)\s+(?:later|after|newer|more recent|since)|onwards?|and beyond)\b", re.I)
EARLIER = re.compile(r"^\s*(?:or|and)\s+(?:earlier|before|older)\b", re.I)
# a date with a direction: what makes a request ask for a date bound at all (the planner's "dates" intent)
BOUND_PATTERN = rf"\b(?:{AFTER}|{FROM}|{BEFORE}|{UNTIL}|between)\s+(?:the\s+)?(?:{DATE.pattern})" \
                rf"|(?:{DATE.pattern})\s*(?:(?:or|and)\s+(?:later|after|newer|more recent|earlier|before|older)|onwards?)\b"
BETWEEN = re.compile(r"\b(?:between|from)\s+(?:the\s+)?$", re.I)


def iso(m: re.Match) -> str | None:
    """The ISO text of a DATE match ("2026-11-05", "2026-11-05T10:00"), or None if no such day exists."""
    g = m.groups()
    try:
        if g[0]:
            day = dt.date(int(g[0]), int(g[1]), int(g[2]))
            time = g[3].strip().upper().replace(" ", "T")
            return day.isoformat() + (("T" + time.lstrip("T")) if time and time[0] in "T0123456789" else time)
        if g[4]:
            return dt.date(int(g[4]), int(g[5]), int(g[6])).isoformat()
        if g[7]:
            return dt.date(int(g[9]), MONTHS[g[7].lower()], int(g[8])).isoformat()
        return dt.date(int(g[12]), MONTHS[g[11].lower()], int(g[10])).isoformat()
    except (ValueError, KeyError):
        return None


# a whole period: a month of a year, a half or a quarter of a year ("April 2025", "the second half of 2024",
# "Q1 2025"); unlike a bare year, none of these can be a count
PERIOD = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b"
                    r"|\b(first|second|1st|2nd)\s+half\s+of\s+(\d{4})\b"
                    r"|\b(?:(first|second|third|fourth|last|1st|2nd|3rd|4th)\s+quarter\s+of|q([1-4]))\s+(\d{4})\b", re.I)
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}


def period(m: re.Match) -> tuple[str, str] | None:
    """The first and last day of a PERIOD match, as ISO dates."""
    g = m.groups()
    if g[0]:
        first_month, months, year = MONTHS[g[0].lower()], 1, int(g[1])
    elif g[2]:
        first_month, months, year = 1 + 6 * (_ORDINAL[g[2].lower()] - 1), 6, int(g[3])
    else:
        q = int(g[5]) if g[5] else _ORDINAL[g[4].lower()]
        first_month, months, year = 1 + 3 * (q - 1), 3, int(g[6])
    start = dt.date(year, first_month, 1)
    end_month = first_month + months
    end = (dt.date(year + 1, 1, 1) if end_month > 12 else dt.date(year, end_month, 1)) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def mask(text: str) -> str:
    """The text with every date and period blanked (same length, so spans still line up)."""
    text = DATE.sub(lambda m: " " * len(m[0]) if iso(m) else m[0], text)
    return PERIOD.sub(lambda m: " " * len(m[0]), text)


_JOINED = re.compile(r"\s*(or|and|to|through|thru|until|till|-|\u2013)\s*", re.I)


def _period_bounds(text: str, dropping: bool) -> dict[str, str | bool]:
    """Bounds from a period: "in April 2025 or later" -> min 2025-04-01; "before Q3 2025" -> max 2025-06-30;
    "from the second half of 2024" alone -> that half."""
    for m in PERIOD.finditer(text):
        first, last = period(m)
        end = m.end()
        # "February 2025 or March 2025", "January 2025 to March 2025": one span, where the periods touch or a
        # word spans them; "January or March 2025" is both months and not February (`also`: a second filter)
        gap = None
        if (joined := _JOINED.match(text, end)) and (m2 := PERIOD.match(text, joined.end())):
            first2, last2 = period(m2)
            if first2 > last and (joined[1].lower() not in ("or", "and") or _shift(last, 1) == first2):
                last, end = last2, m2.end()
            elif first2 > last:
                gap, last, end = (_shift(last, 1), _shift(first2, -1)), last2, m2.end()
        if gap is not None and not LATER.search(text[end: end + 30]) and not EARLIER.search(text[end: end + 30]):
            if dropping:  # each month goes; the one between stays
                return {"min": first, "max": _shift(gap[0], -1), "drop_range": True,
                        "also": {"min": _shift(gap[1], 1), "max": last, "drop_range": True}}
            return {"min": first, "max": last, "also": {"min": gap[0], "max": gap[1], "drop_range": True}}
        d, after = DIRECTION.search(text[max(0, m.start() - 40): m.start()]), text[end: end + 30]
        if LATER.search(after):
            keep = {"min": first}
        elif EARLIER.search(after):
            keep = {"max": last}
        elif d and (re.fullmatch(AFTER, d[1], re.I)):
            keep = {"min": _shift(last, 1)}
        elif d and re.fullmatch(FROM, d[1], re.I) and not BETWEEN.search(text[max(0, m.start() - 40): m.start()]):
            keep = {"min": first}
        elif d and re.fullmatch(BEFORE, d[1], re.I):
            keep = {"max": _shift(first, -1)}
        elif d and re.fullmatch(UNTIL, d[1], re.I):
            keep = {"max": last}
        else:
            keep = {"min": first, "max": last}
        return _dropped(keep) if dropping else keep
    return {}


def _dropped(keep: dict[str, str]) -> dict[str, str | bool]:
    """The bounds that drop what `keep` keeps: "drop rows before April 2025" keeps from April on; a span is
    dropped whole (drop_range)."""
    if keep.keys() == {"min", "max"}:
        return {**keep, "drop_range": True}
    (k, v), = keep.items()
    return {"max": _shift(v, -1)} if k == "min" else {"min": _shift(v, 1)}


YEAR = re.compile(r"\b(in|during|within|from|since|before|after|until|till|through|by|prior to)\s+(?:the\s+year\s+)?"
                  r"((?:19|20)\d\d)\b(?![.,]?\d)(?!\s*(?:words?|tokens?|char\w*|rows?|items?|lines?|%|percent))"
                  r"(\s+(?:or|and)\s+(?:later|after|newer|earlier|before|older)|\s+onwards?)?", re.I)


# "from April 2025 on", "from 2024 on": a date with "on" after it, said for "onwards"
_FROM_ON = re.compile(rf"\b(from\s+(?:the\s+)?(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s*,?\s*(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?"
                      rf"(?:(?:19|20)\d\d)?|(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?))\s+on\b(?!\s+(?:the|a|an|each|every)\b)", re.I)


def onwards_said(text: str) -> str:
    """`text` with "from <date> on" as "from <date> onwards" (not "from March on the list")."""
    return _FROM_ON.sub(r"\1 onwards", text)


def year_bounds(text: str, dropping: bool = False) -> dict[str, str | bool]:
    """Bounds from a year with a direction ("posted in 2024", "acquired before 1960", "since 2019"), for a
    column of dates: the caller knows one is there (a bare year elsewhere may be a count)."""
    m = YEAR.search(onwards_said(text))
    if m is None:
        return {}
    year, word, tail = int(m[2]), m[1].lower(), (m[3] or "").lower()
    first, last = f"{year}-01-01", f"{year}-12-31"
    if re.search(r"later|after|newer|onward", tail):
        keep = {"min": first}
    elif re.search(r"earlier|before|older", tail):
        keep = {"max": last}
    elif word in ("before", "prior to"):
        keep = {"max": f"{year - 1}-12-31"}
    elif word == "after":
        keep = {"min": f"{year + 1}-01-01"}
    elif word == "since":
        keep = {"min": first}
    elif word in ("until", "till", "through", "by"):
        keep = {"max": last}
    else:  # in, during, within, from: that year
        keep = {"min": first, "max": last}
    return _dropped(keep) if dropping else keep


def _shift(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def bounds(text: str, dropping: bool = False) -> dict[str, str | bool]:
    """{"min": ISO, "max": ISO} that keep the rows the text asks for. `dropping`: the text says what to remove
    ("drop pages crawled before 2026-11-05" keeps min 2026-11-05; "drop rows created in Q4 2023" drops a span:
    its first and last day with drop_range). A date alone after "before"/"after" is
    shifted a day (the bound is inclusive and covers whole days); a time of day is used as written."""
    out: dict[str, str] = {}
    text = onwards_said(text)
    found = [(m, iso(m)) for m in DATE.finditer(text)]
    found = [(m, d) for m, d in found if d]
    if not found:
        return _period_bounds(text, dropping)
    for i, (m, day) in enumerate(found):
        before = text[max(0, m.start() - 40): m.start()]
        if BETWEEN.search(before) and i + 1 < len(found) and \
                re.fullmatch(r"\s*(?:and|to|until|till|through|-|–)\s*(?:the\s+)?", text[m.end(): found[i + 1][0].start()], re.I):
            lo, hi = sorted((day, found[i + 1][1]))
            return _dropped({"min": lo, "max": hi}) if dropping else {"min": lo, "max": hi}
        d, after = DIRECTION.search(before), text[m.end(): m.end() + 30]
        if LATER.search(after) or EARLIER.search(after):  # "2026-11-05 or later", "... onwards": inclusive
            lower, strict = LATER.search(after) is not None, False
        elif d:
            word = d[1].lower()
            lower = re.fullmatch(AFTER, word, re.I) or re.fullmatch(FROM, word, re.I)
            strict = bool(re.fullmatch(AFTER, word, re.I) or re.fullmatch(BEFORE, word, re.I))
        elif len(found) == 1 and len(day) == 10 and re.search(r"\b(?:on|dated)\s+(?:the\s+)?$", before, re.I):
            # "the reports filed on 2026-03-01": that one day
            return _dropped({"min": day, "max": day}) if dropping else {"min": day, "max": day}
        else:
            continue
        date_only = len(day) == 10
        if dropping:  # "drop rows before D": keep D and later; "drop rows after D": keep up to D
            key = "min" if not lower else "max"
            value = day if strict or not date_only else _shift(day, 1 if key == "min" else -1)
        else:
            key = "min" if lower else "max"
            value = _shift(day, 1 if lower else -1) if strict and date_only else day
        out.setdefault(key, value)
    return out
