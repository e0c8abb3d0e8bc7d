"""Parameters from the user's words and the data: numbers with comparatives, fractions, languages,
columns named in the request, conditions ("only where rating is 1 or 2") and reader units.

Everything is read against the operator's metadata rather than its name: a number goes to the numeric
parameter whose threshold direction fits the comparative ("fewer than 50 words" on a keep-if->= `min`)
and whose name and meaning share the most words with the phrase; a column goes to the parameters that
name columns (`*_field`, `*_column`). So a new operator with a `max_ratio` threshold gets "more than a
third symbols" right with no change here.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from tilth.agent.dates import mask as mask_dates
from tilth.agent.skills import Skill
from tilth.ops.process.languages import LANGUAGES

# A language name as a word ("Polish" only capitalised: "polish the replies" is a verb)
LANGUAGE_NAME = re.compile(r"\b(?:Polish|(?i:" + "|".join(n for n in LANGUAGES if n != "polish") + r"))\b(?![-\w])")
FRACTIONS = {"half": 0.5, "a half": 0.5, "one half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3, "a quarter": 0.25,
             "one quarter": 0.25, "three quarters": 0.75, "a fifth": 0.2, "a tenth": 0.1, "one tenth": 0.1}
_UNITS_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# spelled-out numbers ("one" is left out: "keep one of each" is not a threshold); compounds first ("thirty-five")
NUMBER_WORDS = {**{w: i + 2 for i, w in enumerate(_UNITS_WORDS)}, "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12,
                "dozen": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
                "eighteen": 18, "nineteen": 19, **_TENS,
                **{f"{t}{sep}{u}": v + i + 2 for t, v in _TENS.items() for i, u in enumerate(_UNITS_WORDS) for sep in "- "},
                **{f"{t}{sep}one": v + 1 for t, v in _TENS.items() for sep in "- "},
                "hundred": 100, "a hundred": 100, "one hundred": 100, "a thousand": 1000, "one thousand": 1000}
_NUM = r"(\d[\d,]*(?:\.\d+)?|\.\d+)"
LOWER = r"(?:at least|no fewer than|no less than|minimum(?: of)?|min(?:imum)?\.?|more than|greater than|longer than|" \
        r"over|above|exceeding|bigger than|larger than|upwards of|from|past|beyond|in excess of|north of|farther than|" \
        r"further than|heavier than|older than|costlier than|pricier than)"
UPPER = r"(?:at most|no more than|up to|maximum(?: of)?|max(?:imum)?\.?|fewer than|less than|shorter than|under|" \
        r"below|smaller than|not more than|within|shy of|short of|south of|closer than|nearer than|lighter than|" \
        r"younger than|cheaper than)"
STRICT = ("more than", "greater than", "longer than", "over", "above", "exceeding", "bigger than", "larger than",
          "fewer than", "less than", "shorter than", "under", "below", "smaller than", "upwards of", "past", "beyond",
          "in excess of", "north of", "shy of", "short of", "south of", "farther than", "further than", "heavier than",
          "older than", "costlier than", "pricier than", "closer than", "nearer than", "lighter than", "younger than",
          "cheaper than")
DROP = re.compile(r"\b(?:drop|remove|filter out|discard|exclude|get rid of|delete|throw(?:ing)? (?:away|out)|toss|"
                  r"ditch|weed out|purge|eliminate|lose|skip|bin|cut|strip out|prune|cull|trash|scrap|chuck|nuke|gone|leave out|"
                  r"clean(?:ing)? out|clear(?:ing)? out|"
                  # (said in the passive: "paragraphs shorter than thirty words should be discarded")
                  r"leaving out|(?:should|must|are to|is to|can|will|need to)\s+be\s+(?:removed|dropped|discarded|deleted|"
                  r"excluded|eliminated|purged|tossed|thrown (?:away|out)|filtered out|weeded out))\b", re.I)
UNITS = {"word": "words", "words": "words", "character": "chars", "characters": "chars", "chars": "chars",
         "char": "chars", "letters": "chars"}


SHORT = {"minimum": "min", "maximum": "max", "lowest": "min", "highest": "max", "threshold": "threshold",
         "similarity": "threshold", "similar": "threshold", "cosine": "threshold", "jaccard": "threshold", "variants": "n", "copies": "n",
         "versions": "n", "paraphrases": "n", "times": "n", "each": "n", "per": "n", "document": "doc", "documents": "doc",
         "average": "avg", "mean": "avg", "temp": "temperature", "characters": "chars", "percent": "pct"}


def _words(text: str) -> set[str]:
    """Content words, singular, with the usual abbreviations a parameter name uses (minimum -> min)."""
    words = {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 or w in ("n",)}
    return words | {SHORT[w] for w in re.findall(r"[a-z]+", text.lower()) if w in SHORT}


def _number(s: str) -> float:
    return float(s.replace(",", ""))


_SMALL = {w: v for w, v in NUMBER_WORDS.items() if " " not in w and "-" not in w and w not in ("hundred", "dozen")}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
# "one thousand five hundred", "two hundred and fifty", "a hundred", "twenty-five thousand"
_SM, _SC = "|".join(_SMALL), "|".join(_SCALES)
_WORDS_NUMBER = re.compile(rf"(?<![\w-])(?:(?:a|one|{_SM})(?:[\s-]+(?:and[\s-]+)?(?:{_SM}|{_SC}))*[\s-]+(?:{_SC})"
                           rf"(?:[\s-]+(?:and[\s-]+)?(?:{_SM}|{_SC}|one))*)(?![\w-])")
# "the most informative third", "the worst quarter": an ordinal share after a ranking word
# comparatives that pick a share by rank: "the harder half", "the longer third" (also tilth.agent.offline.RANK_SHARE)
RANK_COMPARATIVES = r"harder|easier|longer|shorter|higher|lower|better|worse|larger|smaller|bigger|newer|older"
_SHARE = re.compile(r"\b((?:top|bottom|best|worst|first|last|most[\s-]+[\w-]+|least[\s-]+[\w-]+|[a-z]{2,}est|"
                    rf"{RANK_COMPARATIVES})\s+)"
                    r"(half|third|quarter|fifth|tenth)\b")
_SHARES = {"half": 0.5, "third": 1 / 3, "quarter": 0.25, "fifth": 0.2, "tenth": 0.1}


def _numbers_in(words: str) -> str:
    """ "two hundred and fifty" is one number; "fifty and four hundred" is two ("between fifty and four
    hundred words"): an "and" joins a number only after a scale word."""
    groups: list[str] = []
    for part in re.split(r"[\s-]+and[\s-]+", words):
        if groups and re.search(r"(?:hundred|thousand|million|billion)$", groups[-1]):
            groups[-1] += f" and {part}"
        else:
            groups.append(part)
    return " and ".join(str(_compound(g)) for g in groups)


def _compound(words: str) -> int:
    """The value of a spelled-out number with scales: 'one thousand five hundred' -> 1500."""
    total = current = 0
    for w in re.split(r"[\s-]+", words):
        if w in ("a", "one"):
            current += 1
        elif w in _SMALL:
            current += _SMALL[w]
        elif w in _SCALES:
            if w == "hundred":
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * _SCALES[w]
                current = 0
    return total + current


def spell_out_numbers(low: str) -> str:
    """Lower-cased text with numbers in words and '10k' written as digits, so one pattern reads every quantity."""
    # ("10k", "2m rows"; but "1000 m" with a space is metres; written without an exponent, which no pattern reads)
    low = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)([km])\b(?!b)",
                 lambda m: f"{float(m[1]) * (1000 if m[2] == 'k' else 1_000_000):.10g}".removesuffix(".0")
                 if float(m[1]) * (1000 if m[2] == 'k' else 1_000_000) < 1e10 else m[0], low)
    # "a word or two changed", "a couple of lines": a small amount, not a count to set
    low = re.sub(r"\ba (?:[a-z]+ )?or two\b|\ba couple(?: of)?\b|\bone or two (?=[a-z]+ (?:changed|different|edited|off)\b)",
                 lambda m: " " * len(m[0]), low)
    low = _WORDS_NUMBER.sub(lambda m: _numbers_in(m[0]), low)
    # "at least one failed test": one after a comparative is a bound ("keep one of each" is not)
    low = re.sub(r"\b(at least|at most|more than|fewer than|less than|no more than|no fewer than|over|under|above|below)"
                 r"\s+one(?![\w-])(?!\s+(?:of|another|each|half|third|quarter|fifth|tenth|hundred|thousand)\b)", r"\1 1", low)
    # ("a fee (anything above zero)": zero after a comparative is a bound)
    low = re.sub(r"\b(at least|at most|more than|greater than|fewer than|less than|no more than|no fewer than|over|under|"
                 r"above|below)\s+zero(?![\w-])", r"\1 0", low)
    low = _SHARE.sub(lambda m: f"{m[1]}{_SHARES[m[2]]:.4f}", low)
    # "paraphrase each transcript twice": a count of times (never "once", which also means "after")
    low = re.sub(r"(?<![\w-])(twice|thrice)(?![\w-])", lambda m: "2 times" if m[1] == "twice" else "3 times", low)
    for word, val in sorted({**FRACTIONS, **NUMBER_WORDS}.items(), key=lambda kv: -len(kv[0])):
        low = re.sub(rf"(?<![\w-]){word}(?![\w-])(?! of a)", f"{val:g}" if val >= 1 else f"{val:.4f}", low)
    # "one in four", "1 out of 10", "2 of every 5": a share
    return re.sub(r"(?<![\w.])(\d+|one) (?:in|out of|of every|in every) (\d+)(?![\w.])",
                  lambda m: f"{_share(m[1], m[2]):.4f}" if 0 < _share(m[1], m[2]) <= 1 else m[0], low)


def _share(a: str, b: str) -> float:
    return (1 if a == "one" else int(a)) / int(b) if int(b) else 0.0


def quantities(text: str) -> list[dict[str, Any]]:
    """Each quantity in the text: value, comparative (lower / upper / None), unit word, percent, span."""
    low = mask_dates(text).lower()  # "before 2026-11-05" holds no count of anything
    low = low.replace(">=", " at least ").replace("≥", " at least ").replace("<=", " at most ").replace("≤", " at most ")
    low = spell_out_numbers(low)  # (first: "csat < three")
    # "just one word", "a single word", "one-word notes": at most that many (the rows a removal names)
    units = r"(?:words?|characters?|chars?|tokens?|lines?|sentences?)\b"
    # (not "just one word copy-pasted 10+ times": a word repeated, the text as long as it is)
    unit = rf"(?={units}(?!\s+(?:or\s+(?:a\s+)?\w+\s+)?(?:repeated|copy[- ]?pasted|copied|pasted|over\b|again\b)))"
    low = re.sub(rf"\b(?:(just|only|merely|a mere)\s+one(?=\s+{unit})|one(?=-{unit}|\s+{units}\s+or\s+(?:less|fewer)))",
                 lambda m: f"{m[1]} 1" if m[1] else "1", low)
    low = re.sub(rf"\b(?:just|only|merely|a mere)\s+(?:a\s+)?(\d+)\s+{unit}", r"at most \1 ", low)
    low = re.sub(rf"\b(?:(?:just|only|merely)\s+)?(?:a\s+)?single[\s-]+{unit}|\b1-{unit}", "at most 1 ", low)
    # "two and a half hours", "3 days and a half", "an hour and a half" (said so by parse): n.5 of the unit
    low = re.sub(r"\b(\d+)\s+and\s+(?:a\s+half|0\.50*)\s+(?=(?:second|minute|hour|day|week|month|year)s?\b)", r"\1.5 ", low)
    low = re.sub(r"\b(\d+)\s+((?:second|minute|hour|day|week|month|year)s?)\s+and\s+(?:a\s+half|0\.50*)(?![\d.])", r"\1.5 \2",
                 low)
    low = re.sub(r"\b(?:an?|one|1)\s+((?:second|minute|hour|day|week|month|year))\s+and\s+(?:a\s+half\b|0\.50*(?![\d.]))",
                 r"1.5 \1s", low)
    # "less than an hour", "under half a day": one (or half) of a unit of time
    low = re.sub(r"\bhalf\s+an?\s+(?=(?:hour|minute|day|week|month|year|second)\b)", "0.5 ", low)
    low = re.sub(r"\b(than|under|over|below|above|least|most|within)\s+an?\s+(?=(?:hour|minute|day|week|month|year|second)\b)",
                 r"\1 1 ", low)
    low = re.sub(r"(\d)\s+an?\s+(?=(?:hour|minute|day|week|month|year|second)\b)", r"\1 ", low)  # ("half an hour")
    # "delayed by an hour or more", "a day or longer": one of the unit, with the bound after it
    low = re.sub(r"\ban?\s+(?=(?:hour|minute|day|week|month|year|second)\s+or\s+(?:more|less|longer|shorter|over|under|"
                 r"above|below|fewer|greater)\b)", "1 ", low)
    # "under like 10 words", "over roughly 2,000 characters": a hedge between the comparative and its number
    low = re.sub(r"\b(under|over|below|above|than|least|most)\s+(?:like|about|around|roughly|approx\.?|approximately|"
                 r"maybe|say|some|~)\s*(?=\d)", r"\1 ", low)
    # "up to (not including) 0.95", "to 0.95 (exclusive)": the bound itself is out
    low = re.sub(r"\s*\(\s*(?:not including|excluding|exclusive|excluded|not inclusive)\s*\)\s*(?=\d)",
                 ", but not including, ", low)
    # "acquired before 1960", "since 2015": a year with a direction is a bound (a bare year may be a count)
    # ("older than the 2015 vintage", "newer than 2019")
    low = re.sub(r"\b(?:before|prior to|earlier than|older than)\s+(?:the\s+)?(?=(?:1[5-9]\d\d|20\d\d)\b(?![.,]\d))",
                 "less than ", low)
    low = re.sub(r"\b(?:after|later than|newer than|younger than|more recent than)\s+(?:the\s+)?"
                 r"(?=(?:1[5-9]\d\d|20\d\d)\b(?![.,]\d))", "more than ", low)
    low = re.sub(r"\b(?:since|in or after)\s+(?=(?:1[5-9]\d\d|20\d\d)\s*(?:on(?:wards?)?|or later|and later)?\s*(?:$|[,.;]|\s+(?:and|or|but)\b))",
                 "at least ", low)
    low = re.sub(r"\b(?:until|till|up to and including|through|in or before)\s+(?=(?:1[5-9]\d\d|20\d\d)\b(?![.,]\d))",
                 "at most ", low)
    # "over £50", "under $1,200": the currency's code as the amount's unit ("50 gbp", which names total_gbp)
    low = re.sub(r"([£$€¥])\s*(\d[\d,]*(?:\.\d+)?)(?:\s*(k|m)\b)?",
                 lambda m: f"{m[2]}{m[3] or ''} {CURRENCY_SIGNS[m[1]]}", low)
    low = re.sub(r"(?<![\w-])>(?=\s*\d)", " more than ", low)
    low = re.sub(r"(?<![\w-])<(?=\s*\d)", " less than ", low)
    # "cap the paragraphs at 1500 characters", "limit answers to 300 words": an upper bound a few words later
    low = re.sub(r"\b((?:cap|caps|capped|capping|limit|limits|limited|limiting|truncate|clip)\b(?:\s+[a-z'_]+){0,4}?\s+"
                 r"(?:at|to))\s+(?=\d)", r"\1 at most ", low)
    out = []
    # "grade from 1 to 5", "rate 1-10": a scale, not a bound
    # (but "rows with a score of 2 to 3", "whose rating is 1 to 2": a condition on a column)
    low = re.sub(rf"(?<!\bwith a )(?<!\bwith an )(?<!\bwhose )(?<!\bwhere )(?<!\bwhere the )(?<!\bhaving a )"
                 rf"\b((?:grade|rate|score|rank|scale|rating|judge)\w*(?:\s+\w+){{0,3}}?\s+(?:from|on a|on)?\s*)"
                 rf"{_NUM}\s*(?:to|-|–)\s*{_NUM}", lambda m: m[1] + " " * (len(m[0]) - len(m[1])), low)
    low = re.sub(rf"\(\s*{_NUM}\s*(?:-|–|to)\s*{_NUM}\s*\)", lambda m: " " * len(m[0]), low)  # "(1-5)": a scale
    # "between 5 and 80 words"; "4s and 5s", "4- and 5-star", "1 or 2" with no comparative before them
    pair = next((m for m in re.finditer(rf"(?<![\d.]){_NUM}(?:s|-|-star)?\s+(?:and|or)\s+{_NUM}(?:s\b|-)?\s*(%|percent)?"
                                        rf"\s*([a-z]+)?", low)
                 if not re.search(rf"(?:{LOWER}|{UPPER})\s*$", low[: m.start()])), None)
    # "from 0.35 up to, but not including, 0.95", "50 to 500 words", "3 through 5 stars"
    span = re.search(rf"(?:\bfrom\s+)?(?<![\d.]){_NUM}{_MONEY_UNIT}\s*(?:up\s+)?(?:to|through|thru)\s*(,?\s*but\s+not\s+including,?\s*)?"
                     rf"{_NUM}\s*(%|percent)?\s*([a-z]+)?", low) or \
        re.search(rf"(?<![\d.\-–/:]){_NUM}\s*[-–—]\s*(){_NUM}(?![\d.\-–/:])\s*(%|percent)?\s*([a-z]+)?", low)
    # ("keep 4–60 words", "perplexity 20-500": a dash between two numbers, not inside a date, a time or a code)
    if span and _number(span[1]) <= _number(span[3]) and \
            not re.search(rf"(?:{LOWER}|{UPPER}|\bcap\w*|\blimit\w*|\bat most)\s*$", low[: span.start()]):
        unit = span[5] or ""
        out.append({"value": _number(span[1]), "bound": "lower", "unit": unit, "percent": bool(span[4]),
                    "strict": False, "span": span.span(), "context": low[max(0, span.start() - 40): span.end() + 30]})
        out.append({"value": _number(span[3]), "bound": "upper", "unit": unit, "percent": bool(span[4]),
                    "strict": bool(span[2]), "span": span.span(), "context": low[max(0, span.start() - 40): span.end() + 30]})
        low = low[: span.start()] + " " * (span.end() - span.start()) + low[span.end():]
    elif m := re.search(rf"between {_NUM}{_MONEY_UNIT} and {_NUM}\s*(%|percent)?\s*([a-z]+)?", low) or pair:
        unit = m[4] or ""
        out.append({"value": _number(m[1]), "bound": "lower", "unit": unit, "percent": bool(m[3]), "strict": False,
                    "span": m.span(), "context": low[max(0, m.start() - 40): m.end() + 30]})
        out.append({"value": _number(m[2]), "bound": "upper", "unit": unit, "percent": bool(m[3]), "strict": False,
                    "span": m.span(), "context": low[max(0, m.start() - 40): m.end() + 30]})
        low = low[: m.start()] + " " * (m.end() - m.start()) + low[m.end():]
    for m in re.finditer(rf"(?:({LOWER}|{UPPER})\s+)?(?:a |an )?(?<![a-z_\d.]){_NUM}\s*(%|percent)?(?:(?:\s*|-)(?!(?:or|and|to)\b)([a-z]+))?"
                         rf"(?:\s*(\+|(?:or|and) (?:more|fewer|less|above|below|higher|lower|longer|shorter|up|over|"
                         rf"better|worse|greater|harder|easier|bigger|smaller|larger|under|older|younger|newer|later|"
                         rf"earlier))(?!\s+than\b|\s*\d))?", low):  # ("30 words or over 2,000 chars": "over" is the next's)
        # ("50 words and fewer than 2000": a new bound)
        comp, num, pct, unit, tail = m[1], m[2], m[3], m[4] or "", m[5]
        bound, strict = None, False
        if comp:
            bound = "lower" if re.fullmatch(LOWER, comp) else "upper"
            strict = comp in STRICT
        elif tail:
            up = ("+", "more", "above", "higher", "longer", "up", "over", "better", "greater", "harder", "bigger", "larger",
                  "older", "newer", "later")
            bound = "lower" if any(w in tail for w in up) else "upper"
        out.append({"value": _number(num), "bound": bound, "unit": unit, "percent": bool(pct), "strict": strict,
                    "span": m.span(), "context": low[max(0, m.start() - 40): m.end() + 30], "comparative": comp,
                    "before": low[max(0, m.start() - 40): m.start()], "after": low[m.end(2): m.end(2) + 64]})
    return out


CURRENCY_SIGNS = {"£": "gbp", "$": "usd", "€": "eur", "¥": "jpy"}
# the code a currency sign became after a range's first amount ("between $200 and $1,500": 200 usd and 1,500 usd)
_MONEY_UNIT = r"(?:\s+(?:gbp|usd|eur|jpy|chf|euros?|dollars?|pounds?|bucks))?"
# a currency said in words after an amount, as the codes and words a column of it is named by ("50 pounds":
# total_gbp, or price_lb for a weight)
CURRENCY_WORDS = {"pound": ("gbp", "pound", "lb"), "pounds": ("gbp", "pound", "lb"), "quid": ("gbp",), "gbp": ("gbp",),
                  "dollar": ("usd", "dollar"), "dollars": ("usd", "dollar"), "bucks": ("usd",), "usd": ("usd",),
                  "euro": ("eur", "euro"), "euros": ("eur", "euro"), "eur": ("eur",), "yen": ("jpy", "yen"),
                  "jpy": ("jpy",)}


NEGATION = re.compile(r"\b(?:no|not|don'?t|do not|never|without|nothing|avoid|keep (?:all|every))\b", re.I)


def request_facts(text: str) -> tuple:
    """What a request decides beyond its wording: quantities with their direction, languages, quoted literals,
    negation. Two paraphrases share these; "at least 2 stars" and "at most 2 stars" do not."""
    qty = sorted((round(q["value"], 4), q["bound"] or "", q["percent"]) for q in quantities(text))
    quoted = sorted("".join(m) for m in QUOTED.findall(text))
    return qty, sorted(languages(text)), quoted, bool(NEGATION.search(text))


def languages(text: str) -> list[str]:
    """Language codes the text names; "polish" only as LANGUAGE_NAME reads it ("Polish the wording" is a verb)."""
    low = text.lower()
    codes = []
    for name, code in LANGUAGES.items():
        if name == "polish" and not any(_polish_is_language(text, m.start()) for m in LANGUAGE_NAME.finditer(text)
                                        if m[0].lower() == "polish"):
            continue
        if re.search(rf"\b{name}\b", low) and code not in codes:
            codes.append(code)
    known = set(LANGUAGES.values())
    for m in re.finditer(r"(?<![\w'-])[a-z]{2}(?:\s*(?:,|/)\s*(?:(?:and|or)\s+)?[a-z]{2}|\s+(?:and|or)\s+[a-z]{2})+(?![\w'-])", low):
        # "(fr, es, it, pt)", "de/fr": a list of codes, one of them no English word ("it, or" is no list)
        listed = re.findall(r"(?<![\w'-])[a-z]{2}(?![\w'-])", re.sub(r"\b(?:and|or)\b", " ", m[0]))
        if ("," in m[0] or "/" in m[0]) and all(c in known for c in listed) and set(listed) - _SHORT_WORDS:
            codes += [c for c in listed if c not in codes]
    return codes


# two-letter English words that are also language codes ("it", "no", "am"): alone, they name no language
_SHORT_WORDS = frozenset("it or an as at be by do go he if in is me my no of on so to up us we am hi la".split())


def mark_languages(text: str) -> str:
    """'the Dutch lines' -> 'the Dutch-language lines': what the job is, for an embedding ('Polish the text' stays)."""
    return LANGUAGE_NAME.sub(lambda m: f"{m[0]}-language" if m[0].lower() != "polish" or _polish_is_language(
        text, m.start()) else m[0], text)


def _polish_is_language(text: str, at: int) -> bool:
    """'Polish' opening a clause and followed by what one polishes is the verb, not the language."""
    opens = not text[:at].strip() or re.search(r"(?:[.;:!?,]|\band|\bthen|\bplease)\s*$", text[:at], re.I)
    verb = re.match(r"polish\s+(?:up|the|each|every|all|our|my|them|these|those|this|it|its|their|wording|grammar)\b",
                    text[at:], re.I)
    return not (opens and verb)


# a unit's abbreviation (in a column's name: weight_kg, extra_km) and the words said for it
UNIT_NAMES = {"kg": "kg kgs kilo kilos kilogram kilograms", "g": "g gram grams", "lb": "lb lbs pound pounds",
              "km": "km kilometre kilometres kilometer kilometers", "m": "m metre metres meter meters",
              "mi": "mi mile miles", "hours": "hour hours hr hrs h", "minutes": "minute minutes min mins",
              "seconds": "second seconds sec secs s", "days": "day days", "l": "l litre litres liter liters",
              "usd": "dollar dollars usd", "eur": "euro euros eur", "gbp": "pound pounds gbp"}


# a column's usual abbreviation that is no prefix of the word said for it ("8% alcohol and up": abv)
ABBREVIATIONS = {"abv": "alcohol", "qty": "quantity", "amt": "amount", "pct": "percent percentage",
                 "dob": "birth birthday", "yr": "year", "yrs": "years", "hr": "hour", "hrs": "hours"}

# words for what a person wrote in a column of free text: one name for another ("the drivers' comments": driver_note)
NOTE_WORDS = frozenset("note comment remark description feedback message memo".split())


def column_mentions(text: str, columns: list[str]) -> list[str]:
    """Columns the text names: every word of the column name appears (plural/possessive forms too)."""
    # a column written as its identifier names that column, and its words no other ("listing_id" is not
    # `listed_on` by the stem of "listing")
    exact = [c for c in columns if "_" in c and re.search(rf"(?<![\w]){re.escape(c.lower())}(?![\w])", text.lower())]
    if exact:
        rest = re.sub("|".join(rf"(?<![\w]){re.escape(c.lower())}(?![\w])" for c in exact), " ", text.lower())
        others = column_mentions(rest, [c for c in columns if c not in exact])
        return [c for c in columns if c in exact or c in others]
    # "agents'", "customer's", "replies" -> "agent", "customer", "replie"/"reply" forms
    raw = re.findall(r"[a-z0-9']+", unhyphened(text, columns).lower().replace("_", " "))
    words = {w.removesuffix("'s").strip("'").rstrip("s") for w in raw}
    words |= {w[:-3] + "y" for w in (x.strip("'") for x in raw) if w.endswith("ies")}
    # ("first-timers": the people of first_time, a compound's agent noun)
    words |= {m[1] for m in re.finditer(r"\b[a-z]+-([a-z]{3,}?e)rs?\b", text.lower())}
    # ("the extra kilometres column": extra_km, the unit by its abbreviation)
    words |= {abbr for abbr, said in UNIT_NAMES.items()
              if len(abbr) >= 2 and {n.rstrip("s") for n in said.split() if len(n) >= 4} & words}
    words |= {abbr for abbr, said in ABBREVIATIONS.items() if set(said.split()) & words}
    stems = _stems(text)
    hits, literal = [], set()
    for col in columns:
        if col.startswith("_"):
            continue
        parts = [p.rstrip("s") for p in unauxed(re.split(r"[_\W]+", col.lower())) if p]
        if parts and all(p in words for p in parts):
            hits.append(col)
            literal.add(col)
        elif parts and _stems(" ".join(parts)) <= stems:
            hits.append(col)  # "rated 4 or higher" names `rating` (same stem)
        elif len(parts) > 1 and any(p in words for p in parts) and all(
                p in words or p in NOTE_WORDS and words & NOTE_WORDS for p in parts):
            hits.append(col)  # "the drivers' comments" names driver_note: a person's words under another name for them
            literal.add(col)
        elif len(parts) > 1 and any(p in words for p in parts) and all(
                p in words or any(same_family(p, w) for w in words) for p in parts):
            hits.append(col)  # "first-time offenders" names first_offence: one word as written, one of its family
    # the usual names of an instruction pair's two sides ("the model answers" -> output), where no column
    # has the word the text used
    names = {p.rstrip("s") for c in columns for p in re.split(r"[_\W]+", c.lower()) if p}
    for col in columns:
        role = ROLES.get(col.lower())
        if col not in hits and role and any(w in words and w not in names for w in role):
            hits.append(col)
    # a short column name that abbreviates the word said ("the language column", "per language": lang; "desc")
    said_words = set(re.findall(r"[a-z]{6,}", text.lower()))
    hits += [c for c in columns if c not in hits and re.fullmatch(r"[a-z]{3,4}", c.lower())
             and any(w.startswith(c.lower()) and len(w) >= len(c) + 3 for w in said_words)
             and not any(c.lower() in re.split(r"[_\W]+", o.lower()) for o in columns if o != c)]
    # one column of a person's words, called by another name for them ("the inspector notes" on `comment`), where no
    # column has the word said; the person before it is whose words they are, not a column named
    said = {w for w in words & NOTE_WORDS if w not in names}
    noted = [c for c in columns if re.split(r"[_\W]+", c.lower())[-1].rstrip("s") in NOTE_WORDS]
    if said and len(noted) == 1 and noted[0] not in hits:
        hits.append(noted[0])
        low = text.lower()
        hits = [c for c in hits if c == noted[0] or not re.search(
            rf"\b{re.escape(c.lower().replace('_', ' '))}(?:s|'s|s')?\s+(?:{'|'.join(said)})s?\b", low)]
    # a longer name that contains a shorter one wins ("agent_reply" over "reply"), where its words are all there
    # ("each trip report" names `report`, not `reported_on` by the stem of "report")
    return [c for c in hits if not any(c != o and c in o and (o in literal or c not in literal) for o in hits)]


AUXILIARIES = frozenset("has have had is are was were can could did does do".split())


def unauxed(parts: list[str]) -> list[str]:
    """A yes/no column's name without its leading auxiliary: has_permit is named by "permit" ("vendors without a
    permit", "don't have a permit"), is_verified by "verified"; nor a last word that says the thing is there:
    receipt_attached by "receipt" ("claims without a receipt", "no receipt attached")."""
    if len(parts) > 1 and parts[0] in AUXILIARIES:
        return parts[1:]
    return parts[:-1] if len(parts) == 2 and parts[1] in HAVING else parts


# the last word of a yes/no column that says a thing is there: receipt_attached says whether a claim has a receipt
# (injury_reported by "an injury", "sessions that had an injury", "no injury")
HAVING = frozenset("attached included provided enclosed supplied uploaded present available reported recorded logged "
                   "noted found detected observed".split())


def unhyphened(text: str, columns: list[str]) -> str:
    """The text with a hyphenated word written as one where a column's name (or a word of it) is that word
    without its hyphen: "e-bike rides" on a column `ebike`, "e-mail" on `email_sent`."""
    parts = {p for c in columns for p in [c.lower(), *re.split(r"[_\W]+", c.lower())] if p}
    return re.sub(r"\b[a-z]+(?:-[a-z]+)+\b", lambda m: m[0].replace("-", "") if m[0].lower().replace("-", "") in parts
                  else m[0], text, flags=re.I)


def same_family(a: str, b: str) -> bool:
    """Two words of one family ("offence", "offenders"; "delivery", "delivered"): a shared start of at least five
    letters that leaves at most the last two of the shorter."""
    n = len(os.path.commonprefix([a, b]))
    return n >= 5 and n >= min(len(a), len(b)) - 2


def owner_only(text: str, col: str) -> bool:
    """"the speaker's stance", "each author's tone": the column owns what is meant, it is not named itself (its
    own "name" or "id" is)."""
    said = list(re.finditer(rf"\b{re.escape(col)}s?\b('s|s'|')?(\s+[a-z]+)?", text, re.I))
    return bool(said) and all(m[1] and m[2] and m[2].strip().lower() not in ("name", "names", "id", "ids", "column", "field")
                              for m in said)


_LISTED = r"['\"`]?[\w-]+['\"`]?(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*)(?:the\s+)?['\"`]?[\w-]+['\"`]?)*"
COLUMN_LISTS = (re.compile(rf"\b({_LISTED})\s+(?:columns?|fields?)\b", re.I),
                re.compile(rf"\b(?:columns?|fields?)\s+(?:called\s+|named\s+)?({_LISTED})", re.I))
NOT_A_NAME = {"the", "both", "all", "other", "two", "three", "these", "those", "this", "that", "my", "our", "its",
              "their", "extra", "unused", "every", "each", "any", "empty", "only", "just", "except", "but", "and",
              "or", "from", "in", "of", "to", "a", "an", "following", "remaining", "rest", "text", "drop", "remove", "delete",
              "keep", "rename", "select", "add", "discard", "exclude", "hide", "new", "is", "are", "with", "as", "so",
              "because", "since", "for", "which", "we", "i", "it", "too", "then", "entirely", "altogether", "completely",
              # ("drop the country field afterwards", "the rider name column": when, and what the column holds)
              "afterwards", "afterward", "after", "later", "last", "first", "also", "please", "pls", "before", "once",
              "when", "while", "at", "name", "names"}


def unknown_columns(text: str, columns: list[str]) -> list[str]:
    """Names the text lists as columns ("drop the source and lang columns") that the data does not have."""
    out = []
    for m in (m for pattern in COLUMN_LISTS for m in pattern.finditer(text)):
        before = re.search(r"([\w']+)\s*$", text[: m.start(1)])  # ("the drivers' comments column": driver_note)
        for i, item in enumerate(re.split(r"\s*,\s*|\s+and\s+|\s+or\s+|\s*&\s*", m[1])):
            name = item.strip().removeprefix("the ").strip("'\"` ")
            if name.lower() not in NOT_A_NAME and not column_mentions(name, columns) and name not in out \
                    and not (before and i == 0 and column_mentions(f"{before[1]} {name}", columns)):
                out.append(name)
    return out


def listed_columns(text: str, columns: list[str]) -> list[str]:
    """Columns the text lists as the object of its verb ("drop the repair_cost_eur and station columns"), not as
    the subject of a condition ("where the status column is closed"): every listed name is a column."""
    out = []
    for m in COLUMN_LISTS[0].finditer(text):
        if not re.search(r"\b(?:drop|remove|delete|keep|select|discard|exclude|hide|get rid of|ditch|lose|strip|"
                         r"rename)\s+(?:only\s+)?(?:the\s+)?$", text[: m.start()], re.I):
            continue  # ("keep German posts only, using the lang field": a column the job reads)
        if re.match(r"\s*(?:is|are|=|==|equals?|has|have|contains?|says?|reads?|matches)\b", text[m.end():], re.I):
            continue
        names = [item.strip().removeprefix("the ").strip("'\"` ")
                 for item in re.split(r"\s*,\s*|\s+and\s+|\s+or\s+|\s*&\s*", m[1])]
        names = [n for n in names if n.lower() not in NOT_A_NAME]
        found = [c for n in names for c in columns if c.lower() == n.lower()]
        if names and len(found) == len(names):
            out += found
    return out


_ANSWER, _PROMPT = ("answer", "response", "completion", "reply", "output"), ("prompt", "instruction", "query")
ROLES = {"output": _ANSWER, "response": _ANSWER, "completion": _ANSWER, "instruction": _PROMPT, "prompt": _PROMPT,
         "html": ("markup", "mark-up"),  # "delete the raw markup column"
         # ("remove the rating column" on `stars`: a rating by its other names, where no column has the word said)
         "stars": ("rating", "score"), "star_rating": ("rating",), "rating": ("stars", "score"),
         "score": ("rating", "stars")}


def refused_columns(text: str, columns: list[str]) -> set[str]:
    """Columns the text names only to rule out: "compare the solution, not the question"."""
    low = text.lower().replace("_", " ")
    out = set()
    for col in columns:
        words = [p.rstrip("s") for p in re.split(r"[_\W]+", col.lower()) if p]
        if words and re.search(r"\b(?:not|rather than|instead of|except|but not|ignore|ignoring|never)\s+(?:the\s+|any\s+|its\s+|their\s+)?"
                               + r"\s+".join(re.escape(w) + r"\w*" for w in words) + r"\b", low):
            out.add(col)
    return out


def partial_column_mentions(text: str, columns: list[str]) -> list[str]:
    """Columns named by one distinctive word ("what customers wrote" -> customer_message): a word of at
    least four letters that belongs to exactly one column's name."""
    words = {w.removesuffix("'s").strip("'").rstrip("s") for w in re.findall(r"[a-z']+", text.lower())}
    words |= {w[:-3] + "y" for w in re.findall(r"[a-z]{3,}ies\b", text.lower())}  # ("the replies": agent_reply)
    owners: dict[str, list[str]] = {}
    for col in columns:
        for part in {p.rstrip("s") for p in re.split(r"[_\W]+", col.lower()) if len(p) >= 4}:
            owners.setdefault(part, []).append(col)
    # a part that abbreviates a word ("cust" of cust_says for "the customer message")
    hits = [cols[0] for part, cols in owners.items() if len(cols) == 1 and part != "text" and (
        part in words or any(len(w) >= len(part) + 3 and w.startswith(part) for w in words))]
    # ("detect the language of the tickets": the texts, never ticket_id, whose name only shares the row noun)
    return [c for c in dict.fromkeys(hits) if not re.search(r"(?:^|_)(?:id|uuid|key|no|num|number)$", c.lower())]


def column_params(skill: Skill) -> list[dict[str, Any]]:
    """Parameters that name a column the operator reads (not ones it writes)."""
    out = []
    for p in skill.meta.get("params", []):
        n = p["name"]
        desc = p["description"].lower()
        if (n.endswith(("_field", "_column")) and n != "where_column" and not n.startswith("output")
                and not re.search(r"\bwrites?\b|\boutput column", desc)):
            out.append(p)
    return out


def numeric_params(skill: Skill) -> list[dict[str, Any]]:
    return [p for p in skill.meta.get("params", []) if re.search(r"\b(?:int|float)\b", p["type"])
            and not p["name"].startswith(("where_", "max_tokens", "concurrency", "seed", "batch", "chunk"))]


def _direction(skill: Skill, param: str) -> str | None:
    for t in skill.meta.get("thresholds", []):
        if t["param"] == param:
            return t["keep_if"]
    return None


def _ratio_like(p: dict[str, Any]) -> bool:
    b = p.get("bounds", {})
    return ("le" in b and b["le"] <= 1) or any(w in p["name"] for w in ("ratio", "frac", "threshold", "prob"))


_NAME_GENERIC = frozenset("min max frac ratio num threshold thr".split())  # parts of parameter names no one says
PER_ROW = re.compile(r"\b(?:per|for (?:each|every)|each|apiece|from each|of each|for all)\b", re.I)


def numbers_to_params(skill: Skill, text: str) -> dict[str, Any]:
    """Assign each quantity in the text to the numeric parameter it most plausibly sets."""
    out: dict[str, Any] = {}
    if skill.param("seed") and (m := re.search(r"\b(?:random\s+)?seed\s*(?:=|:|of|to)?\s*(\d+)\b", text, re.I)):
        out["seed"] = int(m[1])  # "seed 7": the one number a seed takes (other numbers never go to it)
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    params = numeric_params(skill)
    if not params:
        return out
    dropping = DROP.search(text) is not None
    unit_choices = (skill.param("unit") or {}).get("choices") or []
    said = " ".join(f"{p['name']} {p['description']}" for p in params).lower()
    for q in quantities(text):
        unit = UNITS.get(q["unit"])
        if re.fullmatch(r"(?:year|month|week|day|hour|minute|second)s?", q["unit"] or "") and q["unit"].rstrip("s") not in said:
            continue  # "so a ten year old could understand it": an age, which no parameter here measures
        if unit_choices and q["unit"] and unit is None and q["unit"] not in unit_choices \
                and q["unit"].rstrip("s") not in said:
            continue  # ("5 star reviews under 20 words": the stars are a column's, not a length)
        # which direction does the kept value face? "keep >= 50" / "drop < 50" -> keep_if >=
        want = None
        if q["bound"]:
            want = ">=" if (q["bound"] == "lower") != dropping else "<="
        context = _words(q["context"])
        best, best_score = None, -1.0
        for p in params:
            if p["name"] in out:
                continue
            if "int" in p["type"] and "float" not in p["type"] and (q["percent"] or q["value"] != int(q["value"])):
                continue  # "the bottom quarter by word_count": a share is no count, whatever the words say
            if (q["unit"] or "").rstrip("s") == "time" and not re.search(
                    r"\btimes\b|\bvariants?\b|\bcopies\b|\bversions?\b|\bper (?:selected )?(?:input )?(?:row|record|"
                    r"document|item|example|sample)\b", f"{p['name']} {p['description']}"):
                continue  # "the same product posted twice": how often, which only a per-row count takes
            d = _direction(skill, p["name"])
            score = len(context & _words(p["name"] + " " + p["description"]))
            # the parameter's own name in the phrase ("2 variants" -> n, "threshold 0.9") counts double; its
            # parts as the phrase's words are counted (singular: "word count" names min_doc_words too)
            score += 2 * len(context & (_words(p["name"].replace("_", " ")) | {SHORT.get(w, w) for w in p["name"].split("_")}))
            # between equals, the parameter whose default is of the value's order: 20 is a word count, not
            # a mean word length (default 3)
            score -= 0.5 * _scale_gap(q["value"] / 100 if q["percent"] and _ratio_like(p) else q["value"], p.get("default"))
            # "20% of the lines": dup_line_frac before dup_line_char_frac, whose "char" the words never said
            unsaid = {w for w in p["name"].split("_") if len(w) > 2 and w not in _NAME_GENERIC} - context \
                - {SHORT.get(w, w) for w in context}
            score -= 0.25 * len({w for w in unsaid if not any(c.startswith(w) for c in context)})
            # "80 words" is a count of words: min_doc_words measures words, min_avg_word_length a length
            if unit and q["unit"] and p["name"].split("_")[-1].rstrip("s") in (q["unit"].rstrip("s"), unit.rstrip("s")):
                score += 2
                # ("one-word replies": the words of a document, not its stop words, which the phrase never said)
                score -= 1 if unsaid - {"doc", "docs", "document", p["name"].split("_")[-1]} else 0
            # "the minimum word count to 10", "number of lines": a count of what the parameter's name ends with
            last = p["name"].split("_")[-1]
            if last.endswith("s") and re.search(rf"\b{last[:-1]}s? count|\bnumber of {last}\b", q["context"]):
                score += 2
            # "three QA pairs for every page", "2 variants each": a count per row sets the per-row count
            if PER_ROW.search(q.get("after") or "") and re.search(r"\bper (?:selected )?(?:input )?(?:row|record|"
                                                                  r"document|item|example|sample)\b", p["description"]):
                score += 2
            if want and d:
                score += 3 if d == want else -3
            elif want and not d:
                name = p["name"]
                if name.startswith(("min", "lower")):
                    score += 2 if want == ">=" else -2
                if name.startswith(("max", "upper")):
                    score += 2 if want == "<=" else -2
            if q["percent"] or q["value"] < 1:
                score += 1 if _ratio_like(p) else -1
            elif _ratio_like(p) and q["value"] > 1:
                score -= 2
            if unit and "unit" in skill.param_names and unit not in unit_choices:
                score -= 1
            if score > best_score:
                best, best_score = p, score
        if best is None or best_score <= 0:  # no word, unit or direction ties the number to any parameter
            continue
        value = q["value"] / 100 if q["percent"] and _ratio_like(best) else q["value"]
        if "int" in best["type"] and "float" not in best["type"]:
            value = int(round(value))
            # "keep more than 50" keeps 51 and up; "drop fewer than 50" keeps 50 and up
            # (a count with no side, "embedding dispersion over 500 sampled rows", stays as said)
            d = _direction(skill, best["name"]) or (">=" if best["name"].startswith("min") else "<="
                                                    if best["name"].startswith("max") else None)
            if q["strict"] != dropping and q["bound"] and d is not None:
                value += 1 if d == ">=" else -1
        else:
            value = round(value, 4)
        if _negated(q) and "None" in best["type"]:
            out[best["name"]] = None  # "without the 50-word minimum": that bound is off
            continue
        b = best.get("bounds", {})
        if ("ge" in b and value < b["ge"]) or ("le" in b and value > b["le"]) or ("gt" in b and value <= b["gt"]):
            continue
        out[best["name"]] = value
        if unit and unit in unit_choices:
            out["unit"] = unit
    return out


def _scale_gap(value: float, default: Any) -> float:
    """How many orders of magnitude a value is from a parameter's default (0 without a usable default)."""
    if isinstance(default, bool) or not isinstance(default, (int, float)) or default <= 0 or value <= 0:
        return 0.0
    return abs(math.log10(value / default))


_NEGATED_QUANTITY = re.compile(r"\b(?:without|no|not|don'?t|do not|never|drop|remove|lift|skip)\s+(?:the|a|an|any)?\s*$")
_BOUND_NOUN = re.compile(r"^(?:\s*%|\s*percent)?(?:[\s-]*[a-z]+)?[\s-]*(?:minimum|maximum|cap|limit|floor|ceiling|cut-?off|"
                         r"threshold|bound)\b")


def _negated(q: dict[str, Any]) -> bool:
    """'without the 50-word minimum', 'drop the 100000-word cap': the quantity names a bound to switch off."""
    return (not q["bound"] and _NEGATED_QUANTITY.search(q.get("before", "")) is not None
            and _BOUND_NOUN.match(q.get("after", "")) is not None)


_NO_BOUND = re.compile(r"\b(?:no|not|don'?t|do not|never|without|any)\b.{0,30}?\b(?:(cap|maximum|max|upper (?:limit|bound)|"
                       r"ceiling|limit on how (?:long|many|big)|longest)|(minimum|min|lower (?:limit|bound)|floor|"
                       r"shortest))\b", re.I)


def unbounded_params(skill: Skill, text: str) -> dict[str, Any]:
    """'don't put any cap on how long a question can be': the operator's one switchable upper (or lower)
    bound set to None (off). Nothing when the words name no bound or the operator has several of that side."""
    m = _NO_BOUND.search(text)
    if not m:
        return {}
    named = {k: v for k, v in numbers_to_params(skill, text).items() if v is None}  # "without the 50-word minimum"
    if named:
        return named
    side = "<=" if m[1] else ">="
    names = [t["param"] for t in skill.meta.get("thresholds", []) if t["keep_if"] == side
             and "None" in (skill.param(t["param"]) or {}).get("type", "")]
    if len(names) > 1:  # several bounds that side (Gopher's): the one whose name the words share
        words = _words(text)
        names = [n for n in names if _words(n.replace("_", " ")) - {"min", "max"} & words] or names
    return {names[0]: None} if len(names) == 1 else {}


def zeroed_params(skill: Skill, text: str) -> dict[str, Any]:
    """"no blank lines at all": the operator's whole-number upper limit on that thing (max_blank_lines) set to 0."""
    out = {}
    for m in re.finditer(r"\b(?:no|zero)\s+((?:[a-z-]+\s+){0,2}[a-z-]+)", text.lower()):
        said = {w.rstrip("s") for w in re.split(r"[\s-]+", m[1])}
        for p in skill.meta.get("params", []):
            named = p["name"].split("_")
            if named[0] == "max" and "int" in p["type"] and all(w.rstrip("s") in said for w in named[1:]):
                out[p["name"]] = 0
    return out


def condition_bounds(condition: str) -> tuple[float | None, float | None]:
    """'rating is 1 or 2' -> (1, 2); 'below 3' -> (None, 2): a strict bound on a whole number moves by one."""
    scope = condition_scope(condition)
    return scope.get("where_min"), scope.get("where_max")


def condition_scope(condition: str, whole: bool = True) -> dict[str, Any]:
    """where_min / where_max from a condition ("rating is 1 or 2", "at least 4", "more than 4"). A strict bound
    on a whole number moves by one where the column holds whole numbers (`whole`: "more than 4 stars" is 5 on);
    on a column of fractions it stays, exclusive ("more than 4 hours" keeps 4.5, not 4)."""
    low = mask_dates(condition).lower()
    if m := re.search(rf"\b{_NUM}\s*(?:or|to|-|through|and)\s*{_NUM}\b", low):
        a, b = _number(m[1]), _number(m[2])
        return {"where_min": min(a, b), "where_max": max(a, b)}
    out: dict[str, Any] = {}
    for q in quantities(condition):
        v, key = q["value"], {"lower": "where_min", "upper": "where_max"}.get(q["bound"])
        if key is None:
            if not out:
                out = {"where_min": v, "where_max": v}
            continue
        if q["strict"] and float(v).is_integer() and whole:
            v += 1 if key == "where_min" else -1
        out[key] = v
        if q["strict"] and not (float(q["value"]).is_integer() and whole):
            out[f"{key}_exclusive"] = True
    return out


def _choice_words(choice: str) -> list[str]:
    """How a user may write a choice: 'credit_card' -> 'credit card', 'card'; 'email' -> 'e-mail'."""
    c = choice.lower()
    forms = {c, c.replace("_", " "), c.replace("_", "-"), c.replace("-", "")}
    if c == "email":
        forms |= {"e-mail", "mail address"}
    if c == "ip":
        forms |= {"ip address"}
    parts = [w for w in re.split(r"[_\W]+", c) if len(w) >= 4]
    if len(parts) > 1:
        forms |= set(parts)
    return sorted(forms, key=lambda f: (-len(f), f))


def choices_to_params(skill: Skill, text: str, negated_text: str = "", context: str = "") -> dict[str, Any]:
    """A choice the text names ("NFKC", "topic", "binary", "e-mails and phone numbers") sets its parameter;
    list parameters get every named choice that is not refused in `negated_text`."""
    text = f"{text} {literal_differences(text)}".strip()
    low, neg = text.lower(), negated_text.lower()
    out: dict[str, Any] = {}
    for p in skill.meta.get("params", []):
        choices = p.get("choices") or []
        if not choices or p["name"] == "unit":
            continue
        # a choice spelled in the operator's own name ("exact" of exact_dedup) names the operator, not the option
        hits = [c for c in choices if isinstance(c, str) and c.lower() not in skill.name.split("_")
                and any(re.search(rf"(?<![\w-]){re.escape(f)}s?(?![\w-])", low) for f in _choice_words(c))
                and not any(re.search(rf"(?<![\w-]){re.escape(f)}s?(?![\w-])", neg) for f in _choice_words(c))
                and not (c.lower().startswith("whitespac") and _SPACING_MATTERS.search(low))]  # ("whitespace matters")
        if not hits:  # "ignoring case" -> `lower: also ignore case` in the parameter's description (not one the
            refused = _explained_choices(p, choices, negated_text) if neg else []  # refused words explain)
            hits = [c for c in _explained_choices(p, choices, text) if c not in refused]
        if not hits and "NFKC" in choices and _compatibility_chars(f"{text} {context}"):  # "like Ｆｉｎｅ": NFKC folds it
            hits = ["NFKC"]
        if not hits:
            continue
        whole_name = [c for c in hits if re.search(rf"(?<![\w-]){re.escape(c.lower().replace('_', ' '))}s?(?![\w-])", low)]
        if len(hits) > 1 and "list" not in p["type"] and len(whole_name) == 1:
            hits = whole_name  # "the difficulty of each task": difficulty, not task_type by its first word
        if p.get("open"):  # a name of the user's own is possible: a suggestion counts by its whole name only
            hits = whole_name  # ("tag each report with a hazard type: ...": hazard_type, not task_type by "type")
        if len(hits) > 1 and "list" not in p["type"]:  # "precision over recall", "recall rather than precision"
            preferred = [c for c in hits if any(re.search(
                rf"(?<![\w-]){re.escape(c.lower())}s?\s+(?:over|rather than|instead of|before|above|not)\s+"
                rf"(?:the\s+)?{re.escape(o.lower())}", low) for o in hits if o != c)]
            hits = preferred if len(preferred) == 1 else hits
        if "list" in p["type"]:
            # spared and "only" choices are read over the whole sentence: "redact emails, but not IP addresses"
            whole = f"{low} {context.lower()}"
            spared = [c for c in choices if _spared(whole, c) or _spared(neg, c)]
            only = [c for c in hits if _only(whole, c)]
            kept = [c for c in (only or hits) if c not in spared]
            if not kept and spared and re.search(r"\b(?:everything|all|any|every)\b", low):  # "all but card numbers"
                kept = [c for c in choices if c not in spared]
            if kept:
                out[p["name"]] = kept
        elif len(hits) == 1 and hits[0] != p["default"]:
            out[p["name"]] = hits[0]
    return out


def _compatibility_chars(text: str) -> bool:
    """The text shows characters that only a compatibility normal form changes (full-width letters, ligatures)."""
    import unicodedata

    return any(unicodedata.normalize("NFKC", ch) != unicodedata.normalize("NFC", ch) for ch in text if ord(ch) > 127)


def _mentions(low: str, choice: str):
    for f in _choice_words(choice):
        yield from re.finditer(rf"(?<![\w-]){re.escape(f)}s?(?![\w-])", low)


# "the phone numbers can stay", "leave IP addresses alone": a choice the user spares
_STAYS = re.compile(r"^(?:\s+\w+){0,3}?\s*(?:can|may|should|will|must)?\s*(?:stay|stays|remain|remains|be kept|"
                    r"are fine|is fine|alone|untouched|as (?:they are|it is|is))\b")
_LEAVES = re.compile(r"\b(?:leave|leaving|keep|keeping|don'?t touch|do not touch|not|except|but not|other than|"
                     r"apart from|save|besides)\s+(?:the\s+|any\s+)?(?:[\w-]+(?:\s+|,\s*|\s+and\s+)){0,5}$")


def _spared(low: str, choice: str) -> bool:
    return any(_STAYS.match(low[m.end():]) or (_LEAVES.search(low[max(0, m.start() - 50): m.start()])
                                                and re.search(r"\b(?:alone|untouched|intact|there|in place|"
                                                              r"as (?:they are|it is|is))\b|"
                                                              r"\b(?:except|but not|other than|apart from)\b",
                                                              low[max(0, m.start() - 50): m.end() + 40]))
               for m in _mentions(low, choice))


def _only(low: str, choice: str) -> bool:
    """'only emails and phone numbers', 'just the e-mail addresses': the choice falls under an 'only'."""
    return any(re.search(r"\b(?:only|just|solely|nothing but)\s+(?:the\s+)?(?:[\w-]+(?:\s+|,\s*|\s+(?:and|or)\s+)){0,4}$",
                         low[max(0, m.start() - 50): m.start()]) for m in _mentions(low, choice))


def literal_differences(text: str) -> str:
    """What two quoted examples of "the same thing" differ in, in words a parameter's description uses:
    'GREAT PRODUCT' and 'great product' -> "ignore case"."""
    quoted = [next(g for g in m.groups() if g) for m in QUOTED.finditer(text)]
    said = []
    for i, a in enumerate(quoted):
        for b in quoted[i + 1:]:
            if a == b:
                continue
            if a.lower() == b.lower():
                said.append("ignore case")
            elif " ".join(a.split()) == " ".join(b.split()):
                said.append("ignore whitespace")
            elif re.sub(r"[\W\d_]+", "", a.lower()) == re.sub(r"[\W\d_]+", "", b.lower()):
                said.append("ignore punctuation symbols digits")
    return " ".join(dict.fromkeys(said))


# a quoted literal (an apostrophe inside a word, "buyer's", does not end it), or a [PLACEHOLDER] / <TAG>
QUOTED = re.compile(r"(?<!\w)'((?:[^'\n]|(?<=\w)'(?=\w)){1,200})'(?!\w)|\"([^\"]{1,200})\"|(\[[A-Z_]{2,30}\]|<[A-Z_]{2,30}>)")
# "a column named page_title", "into a `clean` field", "a new column agent_reply_short": a name the user gives
NAMED_COLUMN = re.compile(r"\b(?:column|field)\s+(?:(?:called|named)\s+[`'\"]?([a-z_][a-z0-9_]*)|[`'\"]([a-z_][a-z0-9_]*)[`'\"])"
                        r"|[`'\"]([a-z_][a-z0-9_]*)[`'\"]\s+(?:column|field)\b"
                        r"|\b(?:new|separate|extra|own|its own|additional)\s+(?:column|field)\s+([a-z][a-z0-9]*_[a-z0-9_]+)\b", re.I)
LEAVE_OUT = re.compile(r"\b(?:leave out|leaves out|leaving out|exclude|excluding|skip|skipping|ignore|ignoring|omit|"
                       r"omitting|drop|dropping|throw out|throw away|remove|removing|without|strip out|except|no)\b"
                       r"(?:\W+\w+){0,6}\W*$", re.I)
NEG_NEAR = re.compile(r"\b(?:no|not|don'?t|do not|never|without|nor)\b(?:\s+\S+){0,3}\s*$", re.I)


def literals_to_params(skill: Skill, text: str, columns: list[str]) -> dict[str, Any]:
    """Literal values the text spells out: quoted strings ("template 'Write an ad for $product'",
    "with [REMOVED]"), new column names ("into a new column called clean_text"), booleans named by a
    parameter ("do not lower-case" -> lowercase: false)."""
    out: dict[str, Any] = {}
    low = text.lower()
    params = skill.meta.get("params", [])
    col_params = {p["name"] for p in column_params(skill)}
    strs = [p for p in params if p["type"] in ("str", "str | None", "Optional") and not p.get("choices")
            and p["name"] not in col_params and not p["name"].endswith(("_field", "_column", "_file", "_dir"))]
    for m in QUOTED.finditer(text):
        value = next(g for g in m.groups() if g)
        # the words before the literal, by their stems ("replace them with '[EMAIL]'": replacement)
        context = _words(text[max(0, m.start() - 40): m.start()])
        context |= _stems(text[max(0, m.start() - 40): m.start()])
        best = max(strs, key=lambda p: (len(context & (_words(p["name"] + " " + p["description"])
                                                       | _stems(p["name"].replace("_", " ")))), p["required"]),
                   default=None)
        token = re.fullmatch(r"\[[A-Z_]{2,30}\]|<[A-Z_]{2,30}>", value) is not None
        if token and (slot := [p for p in strs if re.search(r"replace|placeholder|mask", p["name"])]):
            best = slot[0]  # "put [REMOVED] wherever something was taken out": a placeholder token
        if best is not None and best["name"] not in out and (
                best["required"] or token and re.search(r"replace|placeholder|mask", best["name"])
                or context & (_words(best["name"] + " " + best["description"]) | _stems(best["name"].replace("_", " ")))):
            out[best["name"]] = value
    for p in strs:  # "prefix the new columns with out_": a parameter named in words, then an identifier
        # ("prefixed resp_", "the prefix resp_": the identifier right after the name)
        m = re.search(rf"\b{re.escape(p['name'].replace('_', ' '))}\w*\b(?:(?:\s+[\w'-]+){{0,4}}?\s+(?:with|to|as|=|:))?\s+"
                      r"([A-Za-z0-9]*_[A-Za-z0-9_]*)(?![\w-])", text, re.I)
        if m and p["name"] not in out:
            out[p["name"]] = m[1]
    if m := NAMED_COLUMN.search(text):
        name = next(g for g in m.groups() if g)
        writes = [p for p in params if p["name"].endswith(("_field", "_column")) and p["name"] not in col_params
                  and p["name"] != "where_column"]
        if name not in columns and writes:  # the written column whose meaning the words around it share most
            context = _words(text[max(0, m.start() - 60): m.end()])
            best = max(writes, key=lambda p: len(context & _words(p["name"] + " " + p["description"])))
            out[best["name"]] = name
    # a generator's keep_input, in the words people use for it
    if "keep_input" in {p["name"] for p in params}:
        if re.search(r"\b(?:only|just) (?:the )?new\b|\b(?:don'?t|do not|without) keep(?:ing)? (?:the )?(?:original|source|input)", low):
            out["keep_input"] = False
        elif re.search(r"\bkeep(?:ing)? (?:the )?(?:original|source|input|existing)\w*|"
                       r"\b(?:don'?t|do not|never|without) (?:throw\w*|drop\w*|remov\w+|delet\w+|los\w+|discard\w*|lose)"
                       r" (?:away |out )?(?:the |any )?(?:original|source|input|existing)\w*", low):
            out["keep_input"] = True
    # "back-translate through German": a language parameter takes the language named after via/through/into
    for p in params:
        if "language" in p["name"] and p["type"] in ("str", "str | None"):
            # "through German", "translating to English and back (to French)": the pivot; "back to French",
            # "the French sentences", "from Spanish": the source
            # (the first that names a language: "is it possible to make paraphrases ... through German")
            pivot = next((m for m in re.finditer(r"\b(?:via|through|over|using|pivot(?:ing)? (?:on|through)?)\s+(\w+)|"
                                                 r"\b(?:in)?to\s+(\w+)\s+and\s+back\b|\b(?:in)?to\s+(\w+)", low)
                          if next(g for g in m.groups() if g) in LANGUAGES), None)
            source = next((m for m in re.finditer(r"\bback (?:in)?to\s+(\w+)|\bfrom\s+(\w+)\s+(?:in)?to\b", low)
                           if next(g for g in m.groups() if g) in LANGUAGES), None)
            for m, keys in ((pivot, ("pivot", "target")), (source, ("source",))):
                name = next((g for g in (m.groups() if m else ()) if g), None)
                if name in LANGUAGES and any(k in p["name"] for k in keys):
                    out[p["name"]] = name.capitalize()
    collapsed = re.sub(r"[-\s]", "", low)
    for p in params:
        if p["type"] != "bool":
            continue
        key = p["name"].replace("_", "")
        at = collapsed.find(key)
        part = re.fullmatch(r"(?:include|keep|with)_(\w+?)s?", p["name"])
        if at < 0 and part:  # "leave out anything inside a table" sets include_tables: the thing, and what is done to it
            m = re.search(rf"\b{re.escape(part[1].replace('_', ' '))}s?\b", low)
            left = LEAVE_OUT.search(low[max(0, m.start() - 60): m.start()]) if m else None
            if left and not re.search(r"\b(?:no|not|don'?t|do not|never)\s*$", left.string[: left.start()]):
                if p["default"] is not False:
                    out[p["name"]] = False
                continue
        if at < 0 or len(key) < 5:
            continue
        # map the position back to the original text to look for a negation just before it
        seen = 0
        for i, ch in enumerate(low):
            if seen == at:
                before = low[:i]
                break
            if ch not in "- \t\n":
                seen += 1
        else:
            before = low
        value = not bool(NEG_NEAR.search(before)) and not _left_alone(low[at:])
        if value != p["default"]:
            out[p["name"]] = value
    matters = case_matters(text)
    for p in params:  # "'Refund' and 'refund' are two different words": a lower-casing switch is off
        if p["type"] == "bool" and matters is not None and p["name"] not in out and \
                re.search(r"lower[- ]?case", f"{p['name']} {p['description']}", re.I):
            if (not matters) != p["default"]:
                out[p["name"]] = not matters
    return out


_AS_IS = r"(?:as\s+(?:it\s+is|they\s+are|is)|alone|untouched|intact|unchanged)"  # how a thing is left


def _left_alone(after: str) -> bool:
    """ "leave lower case exactly as they are": the thing named is to stay as it is."""
    return bool(re.match(rf"[\w\s-]{{0,30}}?\b(?:exactly\s+|just\s+)?{_AS_IS}\b", after))


_CASE_MATTERS = re.compile(r"\bcase[- ]sensitiv|\b(?:case|casing|capitali[sz]ation)\s+(?:matters|counts|is significant)|"
                           r"\b(?:keep|preserve|respect|retain)\s+(?:the\s+)?(?:original\s+)?(?:case|casing|capitali[sz]ation)|"
                           rf"\b(?:upper|lower)[- ]?(?:case)?\s+(?:\x01)?(?:and|or)\s+(?:upper|lower)[- ]?case\b[\w\s]{{0,20}}?\b{_AS_IS}",
                           re.I)
_CASE_IGNORED = re.compile(r"\bcase[- ]insensitiv|\b(?:ignor\w*|regardless of|disregard\w*)\s+(?:the\s+)?(?:case|casing|"
                           r"capitali[sz]ation)|\b(?:case|casing|capitali[sz]ation)\b[^.;]{0,30}\bonly\b[^.;]{0,20}\bdiffer|"
                           r"\bonly\b[^.;]{0,20}\bdiffer\w*[^.;]{0,20}\b(?:case|casing|capitals?|capitali[sz]ation)\b", re.I)
_DISTINCT = re.compile(r"\b(?:as|are|is|be)\s+(?:two\s+|2\s+)?(?:different|distinct|separate)\b|\bnot\s+(?:the\s+)?same\b|"
                       r"\bnot\s+(?:be\s+)?(?:merged|collapsed|treated as (?:one|the same))", re.I)


def case_matters(text: str) -> bool | None:
    """Whether the text wants upper and lower case kept apart (True), treated as one (False), or says nothing.
    Two quoted examples that differ only in case say which by what follows them ("count as two different
    words" / "treat as one")."""
    if _CASE_MATTERS.search(text):
        return True
    if _CASE_IGNORED.search(text):
        return False
    if "ignore case" in literal_differences(text):
        return bool(_DISTINCT.search(text))
    return None

# an enumeration of labels: its values are one parameter, never several jobs
ENUM = re.compile(r"(?:\b(?:one of|among|categories|labels|classes|topics|either)\b:?\s+"
                  r"(?!(?:these|those|the following|following|them|each|every|it|us|you)\b)|"
                  r"\b(?:categor(?:y|ies)|labels?|class(?:es)?|topics?|tags?|buckets?|groups?|kinds?|types?|"
                  r"sentiments?|options?|following)\s*:\s*|"
                  # "its main complaint category (cleanliness, noise, staff, price)": the list in brackets
                  r"\b(?:categor(?:y|ies)|labels?|class(?:es)?|topics?|tags?|buckets?|groups?|kinds?|types?|"
                  r"sentiments?|options?|domains?|areas?|themes?)\s*\(\s*(?=[^()]*[,/])|"
                  # "tag each one positive, negative or mixed": a list of three or more right after a labelling verb
                  r"\b(?:tag|label|classify|categori[sz]e|mark|sort|bucket)\w*\s+(?:(?:each|every|all|them|it|the)\s+)?"
                  r"(?:[\w'-]+\s+){0,4}?(?:as|into|with)?\s*(?=(?:[\w-]+\s*,\s*)+[\w-]+,?\s+(?:or|and)\s+[\w-]+|"
                  r"[\w-]+(?:\s*/\s*[\w-]+){2,})|"
                  # "rate each car's condition as excellent, good, fair or poor": grades to choose from
                  r"\b(?:rate|grade)\s+(?:(?:each|every|all|them|it|the)\s+)?(?:[\w'-]+\s+){0,4}?as\s+"
                  r"(?=(?:[\w-]+\s*,\s*)+[\w-]+,?\s+(?:or|and)\s+[\w-]+)|"
                  # ("tag each one as enthusiastic / neutral / reluctant")
                  # "add a column with the speaker's stance: for, against or undecided": the column's values
                  r"\b(?:column|field)\s+(?:with|for|of|holding|giving|saying)\s+(?:[\w'-]+\s+){0,3}?[\w'-]+\s*:\s*"
                  r"(?=(?:[\w-]+\s*,\s*)+[\w-]+,?\s+(?:or|and)\s+[\w-]+)|"
                  # "tag each note with the passenger impact: low, medium or high", "grade each description: excellent,
                  # good, fair, poor": the labels after a colon (three or more without "or" when they end the sentence)
                  r"\b(?:tag|label|classify|categori[sz]e|mark|sort|bucket|annotate|rate|grade)\w*\s+"
                  r"(?:[\w'-]+\s+){0,6}?[\w'-]+\s*:\s*"
                  r"(?=(?:(?:[\w-]+\s*,\s*)+[\w-]+,?\s+(?:or|and)\s+[\w-]+|(?:[\w-]+\s*,\s*){2,}[\w-]+)\s*(?:$|[.;!?]))|"
                  # "tag each statement with the applicant's main motivation (companionship, family, ... or other)"
                  r"\b(?:tag|label|classify|categori[sz]e|mark|sort|bucket|annotate)\w*\s+(?:[\w'-]+\s+){0,6}?[\w'-]+\s*"
                  r"\(\s*(?=[^()]*\bor\b))"
                  # (it ends at a dash, a bracket or the next job: "..., then keep only the ones tagged quality")
                  r"((?:(?!\s[-\u2013\u2014]+\s)(?!,?\s+(?:and\s+)?(?:then|afterwards|after\s+that|next)\b)[^.;:!?()])+)", re.I)


def enumeration_to_params(skill: Skill, text: str) -> dict[str, Any]:
    """'label each message as one of billing, shipping or returns' -> a list parameter of allowed labels."""
    text = unquote_labels(text)
    m = ENUM.search(text) or (re.search(r"\b(?:tag|label|classify|categori[sz]e|mark|sort|bucket)\w*\b|"
                                        r"\b(?:add|write|put|fill|create|give|include)\w*\b.*\b(?:column|field)\b", text, re.I)
                              and re.search(r"\(\s*((?:[^(),/]+[,/]){2,}[^(),/]+|(?:[^(),/]+[,/])+[^(),/]*?\b(?:or|and)\s+[^(),/]+)\)",
                                            text))
    # ('add a column "sentiment" saying (positive, negative or neutral)': the new column's labels)
    if not m:  # ("tag each note with the body system involved (skin, digestive, dental, other)": the bracket's list)
        params = skill.meta.get("params", [])
        rated = scale_criterion(text)
        if rated and any(p["name"] == "choices" and "list" in p["type"] for p in params) \
                and any(p.get("open") and p["name"] == "label" for p in params):
            return {"choices": rated[0], "label": rated[1]}  # "score each note from 1 to 5 for how urgent it is"
        return _yes_no_to_params(params, text)
    listed = re.split(r"\s+[-\u2013\u2014]+\s+|\s*\)", m[1])[0]  # "one of io, math, networking - based on ..."
    items = [w.strip(" '\"") for w in re.split(r",|/|\bor\b|\band\b", listed) if w.strip(" '\"")]
    if items:  # "..., networking based on the code column": the list ends where the sentence goes on
        items[-1] = re.split(r"\s+(?:based|from|using|with|in|on|by|for|according|depending|given|per|where|if|when|that|"
                             r"which)\b", items[-1])[0]
    items = [w for w in items if len(w.split()) <= 4]  # ("replacing a lost pet")
    # "(question, complaint, ...)", "(QA, maths, coding, etc.)": examples of an open list, not every label
    open_list = bool(items) and re.fullmatch(r"\.{2,}|…|etc\.?|and so on|and more", items[-1].strip()) is not None \
        or re.match(r"[\s,]*(?:\.{2,}|…|etc\b|and so on\b|and more\b)", text[m.end(1):]) is not None
    items = [w for w in items if not re.fullmatch(r"\.{2,}|…|etc\.?|and so on|and more", w.strip())]
    params = skill.meta.get("params", [])
    target = next((p for p in params if "list" in p["type"] and not p.get("choices")
                   and any(k in p["name"] for k in ("choice", "label", "categor", "class", "topic"))), None)
    if not target or len(items) < 2:
        return _yes_no_to_params(params, text)
    out = {target["name"]: items}
    named = next((p for p in params if p.get("open") and p["name"] == "label"), None)
    if named is not None:  # "tag each speech with a sentiment (positive / negative / neutral)": llm_sentiment
        rating = re.search(r"\b(rat|grad)(?:e|es|ing)\b", text[: m.start(1)], re.I)  # ("rate each one as good, ...")
        # ("add a sentiment column (...)", 'add a column "sentiment" saying (...)': the column's own name)
        column = re.search(r"\b([a-z]{3,})\s+(?:column|field)\b|\b(?:column|field)\s+(?:called\s+|named\s+)?['\"]?([a-z][a-z_]{2,})",
                           unquote_labels(text[: m.start(1)]), re.I)
        column = next((w.lower() for w in (column.groups() if column else ()) if w and w.lower() not in
                       ("new", "extra", "the", "one", "another", "separate", "own", "its", "their", "saying", "that",
                        "which", "with")), None)
        out[named["name"]] = builtin_label(named, text) or label_noun(text[: m.start(1)]) or column \
            or (("rating", "grade")[rating[1].lower() == "grad"] if rating else "category")
    if open_list and "other" not in {w.lower() for w in items}:
        out[target["name"]] = [*items, "other"]  # (the labels beyond the examples: other)
    return out


# "score each note from 1 to 5 for how urgent it sounds", "rate how polite each reply is on a 1-5 scale", "give
# each note's urgency a score out of 10": a scale of whole numbers, and what it measures
_SCALE = re.compile(r"\b(?:from\s+)?(\d{1,2})\s*(?:to|-|\u2013)\s*(\d{1,2})\b|\bout\s+of\s+(\d{1,2})\b", re.I)
_RATING_VERB = re.compile(r"\b(?:score|rate|grade|mark|judge|assess|rank)\w*\b", re.I)
# what built-in operators measure on a scale: quality (llm_quality_filter) and difficulty (llm_annotate's own)
_BUILTIN_MEASURES = frozenset("quality good useful usefulness valuable value worth difficulty difficult hard hardness "
                              "easy tough complexity complex educational informative well written".split())
_NOT_CRITERIA = frozenset("it they each every the a an this that its their one row rows text texts many much often long "
                          "well scale note notes whole there these those what which from with into about".split())


def scale_criterion(text: str) -> tuple[list[str], str] | None:
    """(the scale's values, a name for what it measures) for a rating on a scale of a quality no operator
    measures ("urgent" -> ["1", ..., "5"], "urgency"); None for quality or difficulty, or without a scale."""
    verb, scale = _RATING_VERB.search(text), _SCALE.search(text)
    if verb is None or scale is None:
        return None
    lo, hi = (int(scale[1]), int(scale[2])) if scale[1] else (1, int(scale[3]))
    if not 0 <= lo < hi <= 10:
        return None
    low = text.lower()
    found = [m[1] for m in re.finditer(r"\bhow\s+([a-z]+)", low)]  # "for how urgent it sounds"
    found += [m[1] for m in re.finditer(r"(?:'s|s'|\bits|\btheir|\bthe)\s+([a-z]+)\s+(?:score|rating|level|grade)?\b", low)
              if m[1] not in ("model", "llm")]
    found += [m[1] for m in re.finditer(r"\b(?:for|on|by)\s+(?:its\s+|their\s+)?([a-z]+)\b", low[scale.end():])]
    found += [m[1] for m in re.finditer(r"\b([a-z]+)\s+(?:score|rating|level|grade)\b", low)]  # "an urgency score"
    words = [w for w in found if w not in _NOT_CRITERIA and len(w) >= 4]
    # "how useful it is to a buyer": a quality for someone, not the built-in usefulness for training
    audience = re.search(r"\b(?:to|for)\s+(?:a|an|the|our|my|their)\s+([a-z]+)\b", low)
    if not words or any(w in _BUILTIN_MEASURES for w in found) and not audience:
        return None
    return [str(i) for i in range(lo, hi + 1)], _quality_noun(words[0]) + (f"_to_{audience[1]}" if audience else "")


_LY_ADJECTIVES = frozenset("friendly lovely lonely likely timely costly orderly elderly silly ugly holy early daily "
                           "lively kindly manly scholarly user-friendly".split())
_IRREGULAR_QUALITIES = {"clear": "clarity", "simple": "simplicity", "precise": "precision", "accurate": "accuracy",
                        "concise": "concision", "complete": "completeness", "specific": "specificity", "safe": "safety",
                        "toxic": "toxicity", "formal": "formality", "funny": "humour", "long": "length",
                        "deep": "depth", "strong": "strength", "true": "truth", "honest": "honesty"}


def _quality_noun(word: str) -> str:
    """The noun of a quality an adjective (or its adverb) names, by its ending: urgent -> urgency, polite ->
    politeness, clearly -> clarity."""
    if word.endswith("ly") and len(word) > 5 and word not in _LY_ADJECTIVES:  # "how clearly it explains"
        word = _adjective(word)
    if word in _IRREGULAR_QUALITIES:
        return _IRREGULAR_QUALITIES[word]
    if re.search(r"(?:ness|ity|ency|ancy|ion|ment|ism|ure|th)$", word):
        return word  # a noun already: "urgency", "clarity", "politeness"
    for end, noun in (("ent", "ency"), ("ant", "ancy"), ("ful", "fulness"), ("ous", "ousness"), ("ive", "iveness"),
                      ("ble", "bility"), ("al", "ality"), ("ic", "icity"), ("e", "eness"), ("y", "iness")):
        if word.endswith(end) and len(word) > len(end) + 2:
            return word[: -len(end)] + noun
    return word + "ness"


def builtin_label(param: dict[str, Any], text: str) -> str | None:
    """A label parameter's example the text names, underscores as spaces ("the task type" -> task_type), or a
    task type said as "what kind of job / request / task"."""
    named = [c for c in param.get("choices") or () if isinstance(c, str) and "_" in c]
    for name in named:
        if re.search(rf"\b{re.escape(name).replace('_', '[ _-]')}s?\b", text, re.I):
            return name
    if "task_type" in named and re.search(r"\b(?:kind|type|sort)s?\s+of\s+(?:job|task|request|ask|instruction)s?\b",
                                          text, re.I):
        return "task_type"
    return None


def unquote_labels(text: str) -> str:
    """'label each mood as "angry", 'calm' or neutral' -> the listed labels without their quotes; quoted values
    elsewhere ("drop rows where status is 'closed'") stay quoted."""
    bare = _QUOTED_LABEL.sub(r"\1", text)
    return bare if bare != text and ENUM.search(bare) else text


def _yes_no_to_params(params: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """'flag notes that describe a safety issue with a yes/no column' -> choices yes, no, and the question as the
    label's name (llm_safety_issue: the model reads it)."""
    yn = YES_NO.search(text)
    target = next((p for p in params if p["name"] == "choices" and "list" in p["type"]), None)
    if target is None:
        return {}
    if yn is not None:
        out: dict[str, Any] = {"choices": [w.strip() for w in re.split(r"\s*/\s*|[- ]or[- ]", yn[0].lower())]}
        before = text[: yn.start()]
    elif (flag := FLAG_WHETHER.search(text)) is not None:  # "add a column saying whether the note mentions overtime"
        out, before = {"choices": ["yes", "no"]}, text[flag.start():]
    else:
        return {}
    if any(p.get("open") and p["name"] == "label" for p in params):
        about = re.search(r"\b(?:that|which|who|whether\s+(?:it|they|(?:the|each|every|a|an|this|its|their)\s+[\w-]+))"
                          r"\s+(?:describes?|mentions?|contains?|reports?|involves?|(?:is|are|was|were)\s+about|raises?|"
                          r"shows?|refers?\s+to|talks?\s+about|asks?\s+(?:for|about))\s+(?:an?\s+|the\s+|any\s+|some\s+)?"
                          r"([a-z]+(?:\s+[a-z]+)?)", text, re.I)  # (before or after the yes/no)
        out["label"] = (re.sub(r"\W+", "_", about[1].lower()) if about else label_noun(before)) or "flag"
    return out


YES_NO = re.compile(r"\byes\s*/\s*no\b|\byes[- ]or[- ]no\b|\btrue\s*/\s*false\b", re.I)
_QUOTED_LABEL = re.compile(r"(?<!\w)[\"'\u201c\u2018]([\w][\w -]{0,29})[\"'\u201d\u2019](?!\w)")
# a new column that answers a question per row: "add a column saying whether ...", "mark whether each ..."
FLAG_WHETHER = re.compile(r"\b(?:column|field|flag|mark|tag|label|say|says|saying|indicat\w*|record|note)\w*\b"
                          r"(?:\s+[\w'/-]+){0,4}?\s+whether\b", re.I)
# words before a list of labels that are not its name ("its main category" -> category)
_NOT_LABEL_NAMES = frozenset("one these those the a an its their his her each every all per any some what which main "
                             "primary overall general llm llms model models ai gpt mainly mostly about".split())  # ("with the llm as": the tool)
_LABELLING = re.compile(r"\b(?:tag|label|classify|categori[sz]e|mark|sort|bucket|annotate|note|column|field)\w*\b", re.I)
_OWNED = re.compile(r"(?:'s|s'|\bwith(?:\s+(?:a|an|the|its|their|his|her))?|\b(?:its|their|his|her))\s+"
                    r"((?:[a-z-]+\s+){0,2}?[a-z-]+)(?=\s*(?:\(|:|\bas\b|\binto\b|\bfrom\b|\bone of\b|$))")


def label_noun(before: str) -> str | None:
    """The name of the labels listed after `before`: "the mood of every entry as" -> mood, "each speech's tone
    as" -> tone, "with a sentiment (" -> sentiment, "its main complaint category (" -> complaint_category;
    None where only the rows are named ("label each customer message as one of")."""
    # "with a severity label:": the head noun says it is a label, the word before it which one
    before = re.sub(r"(?<=[a-z])\s+(?:label|tag)s?\s*[(:]?\s*$", "", before, flags=re.I)
    verbs = list(_LABELLING.finditer(before))
    low = (before[verbs[-1].start():] if verbs else before).lower().rstrip(" (:\u2014\u2013-")  # (or a dash: "a sentiment —")
    found = list(re.finditer(r"\b(?:the|its|their|his|her)\s+((?:[a-z-]+\s+)?[a-z-]+)\s+of\s+"
                             r"(?:each|every|all|the|these|those)\b", low)) or list(_OWNED.finditer(low))
    if not found:
        return None
    words = [w for w in found[-1][1].split() if w not in _NOT_LABEL_NAMES]
    while len(words) > 1 and re.search(r"(?:ed|ing)$", words[-1]):  # "the body system involved"
        words.pop()
    if not words:
        return None
    name = "_".join(words[-2:])
    name = re.sub(r"[^a-z0-9]+", "_", name).strip("_")[:40]
    return name if re.match(r"[a-z]", name) else None


def _stems(text: str) -> set[str]:
    """Word stems for loose comparison: rated/rating -> rat, ignoring/ignore -> ignor, wrapped/wrap -> wrap (a
    doubled last consonant counts once: gift_wrap is "gift wrapped")."""
    from tilth.agent.retrieve import _STOP

    out = set()
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if w in _STOP:
            continue
        for suf in ("ing", "ed", "es", "e", "s"):
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                break
        if len(w) >= 4 and w[-1] == w[-2] and w[-1] in "bdgklmnprstz":
            w = w[:-1]
        if w not in _STOP:  # ("needed" as "need", a stop word like it: maintenance_needed is "need maintenance")
            out.add(w)
    return out


# other words for what the choices' explanations say ("lower: also ignore case")
_CONCEPTS = ((re.compile(r"\bcapital|\bupper[- ]?case|\blower[- ]?case|\bcasing\b|\bcase[- ]insensitiv", re.I), "cas"),
             (re.compile(r"\bonly differ|\bdiffer only|\bregardless\b|\bdon'?t care\b|\btreat\b.{0,40}\bsame\b", re.I), "ignor"),
             (re.compile(r"\bspaces?\b|\btabs?\b|\bline breaks?\b|\bnewlines?\b", re.I), "whitespac"),
             (re.compile(r"\bfull[- ]?width|\bhalf[- ]?width|\bligatures?\b|\bcompatibility\b", re.I), "compatibility"),
             (re.compile(r"\b(?:bottom|lowest|smallest|worst|least|fewest|shortest|cheapest|easiest|oldest|earliest|"
                         r"easier|worse|shorter|smaller|fewer|cheaper|older|lower(?![- ]?case))\b", re.I), "bottom"),
             # "lean towards keeping too much text rather than too little": the choice that keeps more
             (re.compile(r"\btoo much\b|\bmore rather than less\b|\brather too much\b", re.I), "more"))


def _explained_choices(p: dict[str, Any], choices: list, text: str) -> list[str]:
    """Choices whose explanation in the parameter's description ("lower: also ignore case") shares two
    content words with the text (one, for an explanation of one or two words)."""
    desc = p["description"]
    words = _stems(text) | {stem for pattern, stem in _CONCEPTS if pattern.search(text)}
    if _SPACING_MATTERS.search(text):  # ("whitespace matters!", "indentation and trailing spaces count"): byte for byte
        words = {w for w in words if not re.match(r"whitespac|spac|trail|indent|tab", w)} | _stems("byte")
    spans = set(_NUMBER_SPAN.findall(text))
    out, best = [], 0
    for c in choices:
        if not isinstance(c, str):
            continue
        m = re.search(rf"(?<![\w-]){re.escape(c)}:\s*([^;.]+)|'{re.escape(c)}'\s+([^;,.]+)|"
                      rf"(?<![\w-]){re.escape(c)}\s+(also\s+[^;)]+)", desc)
        m = m and (m[1] or m[2] or m[3])
        # a one- or two-word explanation ("exact: byte-identical") is named by one of its words
        shared = len(_stems(m) & words) if m else 0
        if m and shared >= (1 if len(_stems(m)) <= 2 else 2):
            if out and m.strip().lower().startswith("also "):  # "lower: also ignore case" includes the one before
                out, best = [], 0
            # the explanation that shares more, a scale said as it is ("from 1 to 5": graded, not "score 0/1")
            shared += 2 * len(spans & set(_NUMBER_SPAN.findall(m)))
            if shared > best:
                out, best = [c], shared
    return out[:1]


# whitespace that must not be ignored: a copy is a copy only byte for byte
_SPACING_MATTERS = re.compile(r"\b(?:whitespace|white space|indentation|spaces?|spacing|tabs?)\s+(?:really\s+)?(?:matters?|counts?|"
                              r"(?:is|are)\s+significant)\b", re.I)
_NUMBER_SPAN = re.compile(r"\b(\d+)\s*(?:to|-|/|\u2013)\s*(\d+)\b")


_STYLE = (re.compile(r"\b(?:in|with) the (?:voice|style|tone|manner) of ((?:a |an )?[\w -]{2,40}?)(?=[,.;!?]|$| and\b| but\b)",
                     re.I),
          re.compile(r"\bin (?:a |an )?((?!the\b)(?:[\w'-]+,? ){0,3}?[\w'-]+) (?:tone|style|voice|register|manner)\b", re.I),
          re.compile(r"\b(?:in|into) ((?:plain|simple|simpler|everyday|layman'?s?|casual|formal|technical|child-friendly|easy)"
                     r"(?:,? [\w-]+)? (?:language|english|words|terms)(?: for [\w -]{2,30}?)?)"
                     r"(?=[,.;!?]|$| and\b| but\b| (?:that|which|we|you|they|i|people)\b)", re.I),  # ("... we can paste")
          re.compile(r"\bsound(?:s|ing)? (?:more |less )?(like (?:a |an )?[\w -]{2,30}?)(?=[,.;!?]|$| and\b| but\b)", re.I),
          # "into a single punchy sentence for the newsletter", "as a short tweet": the form the rewrite takes
          re.compile(r"\b(?:into|as)\s+((?:a|an|one)\s+(?:(?!(?:new|separate|column|field)\b)[\w'-]+,?\s+){0,3}?(?:sentence|"
                     r"paragraph|summary|tweet|headline|"
                     r"blurb|line|bullet list|teaser|caption|entry|entrie|item|notice|update|message)s?(?:\s+for\s+(?:the\s+|a\s+|an\s+|our\s+)?[\w -]{2,30}?)?"
                     r"(?:\s+(?:summari[sz]ing|describing|explaining|covering|stating|about)\s+[^.;!?,]{2,60}?)?"
                     r"(?:,?\s+(?:of\s+)?(?:under|below|at most|no more than|fewer than|less than|within|up to|of)\s+"
                     r"(?:\d+|[a-z]+)\s+(?:words?|characters?|chars|lines?))?)"  # ("a short summary under 10 words")
                     r"(?=[,.;!?]|$| and\b| but\b| (?:that|which|we|you|they|i|people|to)\b)", re.I),  # ("... we can print")
          # "so it's polite and concise for the driver", "to be friendlier and shorter", "make each note more polite"
          re.compile(r"\b(?:so (?:that )?(?:it'?s|it is|they'?re|they are|each (?:one )?is|it reads|they read|it sounds|"
                     r"they sound)\s+|to (?:be|sound|read)\s+|(?:rewrite|make|turn|reword|rephrase|edit)\s+(?:each|every|all|"
                     r"the|our|my|them|it)?\s*(?:[\w'-]+\s+){0,2}?(?=more |less ))"
                     r"((?:more |less )?[a-z-]{3,}(?:(?:,\s*|,?\s+and\s+)(?:more |less )?[a-z-]{3,})*"
                     r"(?: for (?:the |a |an |our )?[\w -]{2,30}?)?)(?:\s+in\s+(?:tone|style|register|voice))?"
                     r"(?=[,.;!?]|$| but\b| keep(?:ing)?\b)", re.I),
          # "summarise each description in one line", "write a one-line summary of each note": the form, as a summary
          re.compile(r"\bsummari[sz]\w*\s+(?:[\w'-]+\s+){0,4}?(?:in|into|as)\s+((?:one|a|two|three|\d+)\s+(?:short\s+)?(?:line|sentence|"
                     r"paragraph|bullet)s?)\b|\b((?:a|one)\s+(?:short\s+|brief\s+)?(?:one-line|one-sentence|two-line|"
                     r"short|brief)\s+summary)\b", re.I),
          re.compile(r"\bso (?:that )?((?:a |an )?[\w -]{2,30}?) (?:could|can|would|will) (?:understand|follow|read)\b", re.I))
# "rewrite the answers more politely": a manner said as an adverb is the tone's adjective ("more polite")
_MANNER = re.compile(r"\b((?:more|less)\s+[a-z]{3,}ly)\b(?!\s+than\b)", re.I)
_LE_ADVERBS = {"gently": "gentle", "simply": "simple", "humbly": "humble", "subtly": "subtle", "nobly": "noble"}


def _adjective(adverb: str) -> str:
    w = adverb.lower()
    if w in _LE_ADVERBS:
        return _LE_ADVERBS[w]
    return w[:-5] + "ic" if w.endswith("ically") else w[:-3] + "y" if w.endswith("ily") else w[:-2]


def _style_phrase(text: str) -> str | None:
    """The tone a rewrite asks for in the user's own words, when it is none of the listed examples."""
    if m := _MANNER.search(text):  # ("rewrite the answers more politely": more polite)
        more, adverb = m[1].split()
        return f"{more.lower()} {_adjective(adverb)}"
    for k, pattern in enumerate(_STYLE):
        if m := pattern.search(text):
            said = next(g for g in m.groups() if g)
            if k == len(_STYLE) - 2:  # (a summary's form)
                return said if "summary" in said.lower() else f"a summary in {said}"
            return f"understandable by {said}" if k == len(_STYLE) - 1 else f"like {said}" if k == 0 else said.strip()
    return None


def examples_to_params(skill: Skill, text: str) -> dict[str, Any]:
    """A free-text parameter whose description lists examples ("e.g. formal, friendly, concise") takes
    the one the text names; a parameter described as "for task=tone" sets that other parameter too."""
    low = text.lower()
    out: dict[str, Any] = {}
    for p in skill.meta.get("params", []):
        if p.get("choices") or "str" not in p["type"]:
            continue
        m = re.search(r"\(e\.g\.\s*([^)]+)\)", p["description"])
        if not m:
            continue
        hit = next((w.strip() for w in m[1].split(",") if w.strip() and re.search(rf"\b{re.escape(w.strip().lower())}\b", low)), None)
        if re.search(r"\b(?:tone|style)\b", f"{p['name']} {p['description']}") and (said := _style_phrase(text)) \
                and (hit is None or hit.lower() in said.lower()):
            hit = said  # "in plain language for patients", "like a pirate", "so it's polite and concise"
        if hit:
            out[p["name"]] = hit
            if dep := re.search(r"\bfor (\w+)=(\w+)", p["description"]):
                out.setdefault(dep[1], dep[2])
    return out
