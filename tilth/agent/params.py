"""Parameters from the user's words and the data: numbers with comparatives, fractions, languages,
columns named in the request, conditions ("only where rating is 1 or 2") and reader units.

Everything is read against the operator's metadata rather than its name: a number goes to the numeric
parameter whose threshold direction fits the comparative ("fewer than 50 words" on a keep-if->= `min`)
and whose name and meaning share the most words with the phrase; a column goes to the parameters that
name columns (`*_field`, `*_column`). So a new operator with a `max_ratio` threshold gets "more than a
third symbols" right with no change here.
"""

from __future__ import annotations

import re
from typing import Any

from tilth.agent.skills import Skill

# ISO 639-1 codes of languages lid.176 knows, by English name (and a few common variants).
LANGUAGES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "russian": "ru", "chinese": "zh", "mandarin": "zh", "japanese": "ja", "korean": "ko",
    "arabic": "ar", "hindi": "hi", "bengali": "bn", "urdu": "ur", "turkish": "tr", "polish": "pl",
    "ukrainian": "uk", "czech": "cs", "slovak": "sk", "swedish": "sv", "norwegian": "no", "danish": "da",
    "finnish": "fi", "greek": "el", "hebrew": "he", "hungarian": "hu", "romanian": "ro", "bulgarian": "bg",
    "serbian": "sr", "croatian": "hr", "slovenian": "sl", "vietnamese": "vi", "thai": "th", "indonesian": "id",
    "malay": "ms", "persian": "fa", "farsi": "fa", "tamil": "ta", "telugu": "te", "swahili": "sw",
    "catalan": "ca", "basque": "eu", "galician": "gl", "estonian": "et", "latvian": "lv", "lithuanian": "lt",
    "icelandic": "is", "irish": "ga", "welsh": "cy", "tagalog": "tl", "filipino": "tl", "afrikaans": "af",
    "esperanto": "eo", "latin": "la",
}
FRACTIONS = {"half": 0.5, "a half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3, "a quarter": 0.25,
             "one quarter": 0.25, "three quarters": 0.75, "a fifth": 0.2, "a tenth": 0.1, "one tenth": 0.1}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "twenty": 20, "fifty": 50, "hundred": 100, "a hundred": 100, "a thousand": 1000}
_NUM = r"(\d[\d,]*(?:\.\d+)?|\.\d+)"
LOWER = r"(?:at least|no fewer than|no less than|minimum(?: of)?|min(?:imum)?\.?|more than|greater than|longer than|" \
        r"over|above|exceeding|bigger than|larger than|upwards of|from)"
UPPER = r"(?:at most|no more than|up to|maximum(?: of)?|max(?:imum)?\.?|fewer than|less than|shorter than|under|" \
        r"below|smaller than|not more than|within)"
STRICT = ("more than", "greater than", "longer than", "over", "above", "exceeding", "bigger than", "larger than",
          "fewer than", "less than", "shorter than", "under", "below", "smaller than", "upwards of")
DROP = re.compile(r"\b(?:drop|remove|filter out|discard|exclude|get rid of|delete|throw(?:ing)? (?:away|out)|toss|"
                  r"ditch|weed out|purge|eliminate|lose|skip|bin|cut|strip out)\b", re.I)
UNITS = {"word": "words", "words": "words", "character": "chars", "characters": "chars", "chars": "chars",
         "char": "chars", "letters": "chars"}


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2}


def _number(s: str) -> float:
    return float(s.replace(",", ""))


def quantities(text: str) -> list[dict[str, Any]]:
    """Each quantity in the text: value, comparative (lower / upper / None), unit word, percent, span."""
    low = text.lower()
    low = low.replace(">=", " at least ").replace("≥", " at least ").replace("<=", " at most ").replace("≤", " at most ")
    low = re.sub(r"(?<![\w-])>(?=\s*\d)", " more than ", low)
    low = re.sub(r"(?<![\w-])<(?=\s*\d)", " less than ", low)
    for word, val in sorted({**FRACTIONS, **NUMBER_WORDS}.items(), key=lambda kv: -len(kv[0])):
        low = re.sub(rf"(?<![\w-]){word}(?![\w-])(?! of a)", f"{val:g}" if val >= 1 else f"{val:.4f}", low)
    out = []
    if m := re.search(rf"between {_NUM} and {_NUM}\s*(%|percent)?\s*([a-z]+)?", low):
        unit = m[4] or ""
        out.append({"value": _number(m[1]), "bound": "lower", "unit": unit, "percent": bool(m[3]), "strict": False,
                    "span": m.span(), "context": low[max(0, m.start() - 40): m.end() + 30]})
        out.append({"value": _number(m[2]), "bound": "upper", "unit": unit, "percent": bool(m[3]), "strict": False,
                    "span": m.span(), "context": low[max(0, m.start() - 40): m.end() + 30]})
        low = low[: m.start()] + " " * (m.end() - m.start()) + low[m.end():]
    for m in re.finditer(rf"(?:({LOWER}|{UPPER})\s+)?(?:a |an )?{_NUM}\s*(%|percent)?(?:\s*([a-z]+))?"
                         rf"(?:\s+(or (?:more|fewer|less|above|below|higher|lower|longer|shorter)))?", low):
        comp, num, pct, unit, tail = m[1], m[2], m[3], m[4] or "", m[5]
        bound, strict = None, False
        if comp:
            bound = "lower" if re.fullmatch(LOWER, comp) else "upper"
            strict = comp in STRICT
        elif tail:
            bound = "lower" if any(w in tail for w in ("more", "above", "higher", "longer")) else "upper"
        out.append({"value": _number(num), "bound": bound, "unit": unit, "percent": bool(pct), "strict": strict,
                    "span": m.span(), "context": low[max(0, m.start() - 40): m.end() + 30]})
    return out


def languages(text: str) -> list[str]:
    low = text.lower()
    codes = []
    for name, code in LANGUAGES.items():
        if re.search(rf"\b{name}\b", low) and code not in codes:
            codes.append(code)
    return codes


def column_mentions(text: str, columns: list[str]) -> list[str]:
    """Columns the text names: every word of the column name appears (plural/possessive forms too)."""
    # "agents'", "customer's", "replies" -> "agent", "customer", "replie"/"reply" forms
    raw = re.findall(r"[a-z0-9']+", text.lower().replace("_", " "))
    words = {w.removesuffix("'s").strip("'").rstrip("s") for w in raw}
    words |= {w[:-3] + "y" for w in (x.strip("'") for x in raw) if w.endswith("ies")}
    hits = []
    for col in columns:
        if col.startswith("_"):
            continue
        parts = [p.rstrip("s") for p in re.split(r"[_\W]+", col.lower()) if p]
        if parts and all(p in words for p in parts):
            hits.append(col)
    # a longer name that contains a shorter one wins ("agent_reply" over "reply")
    return [c for c in hits if not any(c != o and c in o for o in hits)]


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
    return ("le" in b and b["le"] <= 1) or any(w in p["name"] for w in ("ratio", "frac", "threshold", "score", "prob"))


def numbers_to_params(skill: Skill, text: str) -> dict[str, Any]:
    """Assign each quantity in the text to the numeric parameter it most plausibly sets."""
    params = numeric_params(skill)
    if not params:
        return {}
    dropping = DROP.search(text) is not None
    out: dict[str, Any] = {}
    unit_choices = (skill.param("unit") or {}).get("choices") or []
    for q in quantities(text):
        unit = UNITS.get(q["unit"])
        # which direction does the kept value face? "keep >= 50" / "drop < 50" -> keep_if >=
        want = None
        if q["bound"]:
            want = ">=" if (q["bound"] == "lower") != dropping else "<="
        context = _words(q["context"])
        best, best_score = None, -1.0
        for p in params:
            if p["name"] in out:
                continue
            d = _direction(skill, p["name"])
            score = len(context & _words(p["name"] + " " + p["description"]))
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
        if best is None or best_score < 0:
            continue
        value = q["value"] / 100 if q["percent"] and _ratio_like(best) else q["value"]
        if "int" in best["type"] and "float" not in best["type"]:
            value = int(round(value))
            # "keep more than 50" keeps 51 and up; "drop fewer than 50" keeps 50 and up
            if q["strict"] != dropping and q["bound"]:
                d = _direction(skill, best["name"]) or (">=" if best["name"].startswith("min") else "<=")
                value += 1 if d == ">=" else -1
        else:
            value = round(value, 4)
        b = best.get("bounds", {})
        if ("ge" in b and value < b["ge"]) or ("le" in b and value > b["le"]) or ("gt" in b and value <= b["gt"]):
            continue
        out[best["name"]] = value
        if unit and unit in unit_choices:
            out["unit"] = unit
    return out


def condition_bounds(condition: str) -> tuple[float | None, float | None]:
    """'rating is 1 or 2' -> (1, 2); 'below 3' -> (None, 3 exclusive as 2.999..); 'at least 4' -> (4, None)."""
    low = condition.lower()
    if m := re.search(rf"\b{_NUM}\s*(?:or|to|-|through|and)\s*{_NUM}\b", low):
        a, b = _number(m[1]), _number(m[2])
        return min(a, b), max(a, b)
    qs = quantities(condition)
    lo = hi = None
    for q in qs:
        v = q["value"]
        if q["bound"] == "lower":
            lo = v + (1 if q["strict"] and float(v).is_integer() else 0)
        elif q["bound"] == "upper":
            hi = v - (1 if q["strict"] and float(v).is_integer() else 0)
        elif lo is None and hi is None:
            lo = hi = v
    return lo, hi


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
    return sorted(forms, key=len, reverse=True)


def choices_to_params(skill: Skill, text: str, negated_text: str = "") -> dict[str, Any]:
    """A choice the text names ("NFKC", "topic", "binary", "e-mails and phone numbers") sets its parameter;
    list parameters get every named choice that is not refused in `negated_text`."""
    low, neg = text.lower(), negated_text.lower()
    out: dict[str, Any] = {}
    for p in skill.meta.get("params", []):
        choices = p.get("choices") or []
        if not choices or p["name"] == "unit":
            continue
        hits = [c for c in choices if isinstance(c, str)
                and any(re.search(rf"(?<![\w-]){re.escape(f)}s?(?![\w-])", low) for f in _choice_words(c))
                and not any(re.search(rf"(?<![\w-]){re.escape(f)}s?(?![\w-])", neg) for f in _choice_words(c))]
        if not hits:
            continue
        if "list" in p["type"]:
            out[p["name"]] = hits
        elif len(hits) == 1 and hits[0] != p["default"]:
            out[p["name"]] = hits[0]
    return out
