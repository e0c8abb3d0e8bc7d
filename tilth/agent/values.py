"""Values of a column said in a request ("the Ashford ones", "P1 and P2", "not resolved"): which column holds them, spelled as the data spells them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from tilth.agent.actions import (
    GENERIC,
    VERBS,
    WISH,
    Action,
    lead_verb,
    starts_with_verb,
)
from tilth.agent.bounds import KEEPING, _removal
from tilth.agent.columns import ID_LIKE, _categorical, _dated, _holds_label
from tilth.agent.countries import (
    country_codes,
    country_values,
    looks_like_codes,
    looks_like_country_names,
    without_countries,
)
from tilth.agent.dates import bounds as date_bounds
from tilth.agent.kinds import adjective_only
from tilth.agent.match import ROW_NOUNS
from tilth.agent.params import (
    AUXILIARIES,
    DROP,
    LANGUAGE_NAME,
    column_mentions,
    languages,
    listed_columns,
    partial_column_mentions,
    quantities,
    same_family,
    unauxed,
    unhyphened,
)
from tilth.agent.peek import DataPeek

# "by the language of the instructions", "written in": what the text is in, not a label the row carries
BY_LANGUAGE = re.compile(r"\b(?:by|from|based on|judging by|going by|according to)\s+(?:the\s+|their\s+|its\s+)?"
                         r"(?:actual\s+|detected\s+)?language\b|\b(?:written|typed)\s+in\b", re.I)


_FILLER = frozenset("a an the of to for in on out away rid up from with each every all any some my our your their "
                    "its this that these those them it one ones please just also then first next finally and i we "
                    "want need like would by already still been have has had which who whose is are was were".split())


# the words that may stand beside a value and a column in "remove the tickets whose topic is billing"
_SELECTING = frozenset("with whose where which that is are was were in at from about unless they of labelled labeled tagged marked as or and nor "
                       "everything anything everyone came come comes coming originating originated sourced "
                       "category categories topic topics label labels kind kinds type types class classes group groups "
                       "value values equal equals set to".split())


# nouns that name rows of other data than ROW_NOUNS covers ("remove math questions", "drop papers from ...")
_ROWISH = frozenset("papers paper abstracts captions questions pairs answers notes products listings recordings calls "
                    "visits clauses stories comments tweets problems prompts instructions ones".split())


def _equality(action: Action, data: DataPeek, goes_on: bool = False) -> tuple[str, list, bool] | None:
    """A keep-only action that names a value of one of the data's label columns: "keep rows from the eu region
    only" (a value in the sample), "only verified reviews" (a true/false column), "pages whose status is 200";
    or a removal whose only object is such a value ("remove math questions", "drop the billing tickets"): then
    the third item is True. A removal that names anything else ("remove emails from the billing tickets") is
    some other job on those rows."""
    asked = WISH.sub("", action.full.strip())  # "Can you drop the unverified problems"
    dropping = not goes_on and _removal(asked)
    selects = (KEEPING.match(action.full) or KEEPING.match(asked) or goes_on or dropping
               or re.search(r"\bonly\W*$", action.full, re.I) and not (action.condition and starts_with_verb(asked)))
    # ("redact emails for the tutor applications only": a job on those rows, not a selection)
    # "easy or medium recipes that take less than an hour": no verb, the rows wanted (by a label, not a quote)
    verbless = not selects and action.asks and asked == action.full.strip() and not lead_verb(asked) \
        and "?" not in action.context and not re.match(r"\W*(?:which|what|how|who|where|when|why|is|are|do|does)\b",
                                                       asked, re.I)  # (a question asks for no rows)
    if not (selects or verbless):
        return None  # ("questions about kettles, blenders or toasters only")
    if listed_columns(asked, data.columns):  # "drop the repair_cost_eur and station columns": columns, even where
        return None                            # a label is spelled like one (category 'station')
    if BY_LANGUAGE.search(action.full):  # "spanish and german recipes (by the language of the instructions)":
        return None                      # languages a detector finds, not labels of a cuisine column
    for m in re.finditer(r"\b([\w-]+)\s*(?:==?|!=)\s*['\"]?([\w -]+?)['\"]?\s*(?=[),;]|$)", action.full):
        col = next((c for c in data.columns if c.lower() == m[1].lower()), None)
        if col is not None and col != data.text_field and (held := _holder([m[2].strip()], data)) is not None \
                and held[0] == col:  # "get rid of the procedural stuff (topic = procedure)": said as an equation
            return col, held[1], dropping != ("!=" in m[0])
    if dropping and "(" in action.full:  # "drop closed ones (only open or in progress)": the aside restates what stays
        action = replace(action, text=re.sub(r"\([^()]*\)", " ", action.text),
                         condition=re.sub(r"\([^()]*\)", " ", action.condition))
        asked = re.sub(r"\([^()]*\)", " ", asked)
    found = _named_values(action, data)
    if verbless and found is not None and not _categorical(found[0], data):
        return None
    if found is not None and any(isinstance(v, str) and LANGUAGE_NAME.fullmatch(v) and re.search(
            rf"\b(?:in|into)\s+{re.escape(v)}\b", action.full, re.I) for v in found[1]):
        return None  # "drop pitches that are in Thai": written in that language, not the Thai cuisine
    if found is not None and not dropping and all(v != "" and _excepted(action.full, v, found[0]) for v in found[1]):
        return (*found, True)  # "keep articles from sources other than blogspot": blogspot goes
    if found is None or not dropping:
        return None if found is None else (*found, False)
    column, values = found
    rest = _label_compounds(unhyphened(asked.lower(), list(data.columns)), data)
    if looks_like_codes({str(v) for v in values}):
        rest = without_countries(rest)  # "drop the reviews from American guests"
    for v in values:
        if v == "":  # "blank", "empty": a word for the empty value
            rest = re.sub(rf"\b(?:{'|'.join(_BLANK)})\b", " ", rest)
            continue
        # (and the plural noun right after the value names the rows: "terminated studies", "explicit eps")
        rest = re.sub(rf"(?<![\w-])(?:{_label_spelling(str(v))})s?(?![\w-])(?:\s+[a-z]{{3,}}s\b)?", " ", rest)
    # ("where the pet isn't vaccinated": the subject of the yes/no column said as a verb goes with it)
    subject = re.search(rf"\b(?:the|a|an|their|its)\s+([a-z]+)\s+(?:did|does|do|has|have|had|was|were|is|are)(?:\s+not|n't)\s+"
                        rf"(?:(?:been|yet|ever)\s+)*{_spoken(column)}", rest) if _yes_value(column, data) is not None else None
    for col in data.columns:  # the column, by its name or a word of it ("the billing areas": product_area)
        singular = [w[:-1] for w in _column_words(col) if w.endswith("s") and len(w) > 4]  # ("the 1-star reviews")
        for name in _column_words(col) + singular:  # (or its negation: "the unverified problems")
            rest = re.sub(rf"\b{re.escape(name)}-[a-z]+\b", " ", rest)  # ("first-time": first_offence's first)
            rest = re.sub(rf"\b(?:un|non-?|(?:(?:have|has|had|were|was|are|is)\s+)?(?:not|never|no|without|\w+n't)\s+(?:(?:been|yet|be|ever|an?)\s+){{0,2}})?{_plural(name)}\b(?:'s\b|'|\s+yet\b)?",
                          " ", rest)  # ("the speaker's party", "items that weren't returned")
    if " " in column.strip("_").replace("_", " "):  # ("the first-time offenders": offence's family, first_offence)
        rest = " ".join(w for w in rest.split() if not any(same_family(w.strip(",.;:'"), p)
                                                           for p in _column_words(column)[1:]))
    if _yes_value(column, data) is not None:  # ("drop the inspections that failed": the opposite of `passed`)
        for w in _opposites_in(column, rest):
            rest = re.sub(rf"\b{w}\b", " ", rest)
        rest = _without_verb_said(rest, column)  # ("leave out bookings where the member didn't attend")
        if subject is not None:
            rest = re.sub(rf"\b(?:the|a|an|their|its)\s+{subject[1]}\b", " ", rest)
    rest = re.sub(r"\b(?:typed|labell?ed|marked|tagged|categori[sz]ed|classified|listed|flagged|rated|graded|assessed|"
                  r"of\s+type)\b(?:\s+as\b)?",
                  " ", rest)  # ("anything typed as 'other'": a label said with its verb)
    rest = re.sub(r"\b[a-z]{3,}s\s+(?=(?:that|which|who)\s+(?:are|is|were|was)\b)", " ", rest)  # ("applications that
    words = re.findall(r"[a-z][a-z'-]*", DROP.sub(" ", ROW_NOUNS.sub(" ", rest)))                # are Thai")
    if (head := _object_noun(asked)) is not None and head in words:
        words.remove(head)  # "drop the inspections from the Orchard apiary": the data's own word for its rows
    if all(w in GENERIC or w in _FILLER or w in _SELECTING or w in _ROWISH for w in words):
        return column, values, True
    return None


# what a removal takes out of a text rather than out of the data ("remove emails from the billing tickets")
TEXT_PARTS = frozenset("""emails mails addresses phones numbers urls links html tags markup boilerplate lines characters chars
whitespace spaces names duplicates copies dupes words sentences emojis emoji signatures footers headers symbols digits
punctuation stopwords typos profanities swearwords details contacts ids credentials passwords secrets tokens keys
accents quotes brackets bullets newlines tabs prefixes suffixes greetings disclaimers paragraphs""".split())


# "..., except the severity 5 ones - those stay": the rows a removal spares, named after it
_SPARED_TAIL = re.compile(r",?\s*\b(?:except(?:\s+for)?|apart\s+from|but\s+not|other\s+than|excluding|save\s+for)\s+"
                          r"(?P<spec>(?:the\s+|any\s+)?[^,;.]{2,60}?)(?:\s*[-\u2013\u2014,]\s*(?:those|they|these)\s+"
                          r"(?:can\s+|should\s+|must\s+)?(?:stay|remain|are\s+fine|are\s+ok)\b)?\W*$", re.I)


def _spared_rows(action: Action, data: DataPeek) -> tuple[tuple[str, list], tuple[str, list]] | None:
    """((column, values) a removal drops, (another column, values) of the rows it spares) for "drop the pothole
    reports, except the severity 5 ones", else None."""
    m = _SPARED_TAIL.search(action.full)
    if m is None:
        return None
    head = replace(action, text=action.full[: m.start()], condition="")
    main = _equality(head, data)
    spec = re.sub(r"\b(?:ones?|rows?)\b", " ", m["spec"])
    spec = re.sub(r"^\s*(?:the|any)\s+([a-z_]+)\s+(\d+)\s*$", r"\1 is \2", spec.strip(), flags=re.I)
    other = _named_values(replace(action, text=f"keep {spec}", condition=""), data, skip=(main[0],) if main else ())
    if main is None or not main[2] or other is None or other[0] == main[0]:
        return None
    return (main[0], main[1]), other


def _object_noun(asked: str) -> str | None:
    """The plural noun a removal takes as its object, where it is not a part of a text: the data's own word for
    its rows ("drop the inspections from the Orchard apiary", "remove bookings at the Leeds site"), whatever that
    word is."""
    m = re.match(rf"^\W*(?:(?:please|pls|then|and|also|next|finally)\s+)*(?:{DROP.pattern})\s+"
                 r"(?:(?:the|all|any|those|these|every)\s+)?(?:of\s+the\s+)?([a-z]{4,}s)\b", asked.strip(), re.I)
    word = m[1].lower() if m else None
    return word if word and word not in TEXT_PARTS and not word.endswith("ss") else None


# ("not about Modern Design", "isn't from the east wing": a preposition may follow the negation)
_EXCEPT = r"(?:other than|except(?: for)?|excluding|apart from|aside from|besides|save for|but not|" \
          r"(?:not|never|isn'?t|aren'?t|wasn'?t|weren'?t)(?:\s+(?:from|in|of|about|on|at|by|for|with|under|regarding))?|" \
          r"no|non-?|unless)"


def _excepted(text: str, value, column: str = "") -> bool:
    """The value is named as what is not wanted: "other than blogspot", "not from bbc or cnn", "non-english", "but
    not the ones from crew Delta" (the column's word before the value)."""
    v = _label_spelling(str(value))  # ("except phone booths": phone_booth)
    named = "|".join(re.escape(w) for w in _column_words(column)) if column else ""
    if named and (words := re.findall(r"[a-z]{5,}", str(value).lower())):  # ("except the lasagna video": one word of
        v = rf"{v}|(?:{'|'.join(words)})(?=\s+(?:{named})s?\b)"           # "Grandma's Lasagna", before the column's)
    v = rf"(?:(?:{named})\s+)?(?:{v})" if named else v
    text = re.sub(r"['\"\u2018\u2019\u201c\u201d]([\w -]+)['\"\u2018\u2019\u201c\u201d]", r"\1", text)  # ('other than "none"')
    return re.search(rf"\b{_EXCEPT}\s*(?:the\s+|a\s+|an\s+)?(?:(?:ones?|rows?|those|any(?:thing|one)?|everything)\s+"
                     # ("except the ones that started at the Airport": a verb of the rows, then where)
                     rf"(?:that\s+(?:are|were|have\s+been|got)\s+|(?:that|which|who)\s+[a-z]+(?:ed|s)\s+(?:in|from|at|on|to|for|"
                     rf"by|about|under|with)\s+|(?:(?:going|sent|delivered|shipped|headed|bound|made|"
                     rf"written|posted|filed)\s+)?(?:in|with|from|of|at|on|to|for|by|about|under)\s+|rated\s+|"
                     rf"marked\s+|labell?ed\s+)?(?:(?:already|still|currently|now)\s+)?"  # ("not the ones already approved")
                     rf"(?:an?\s+|the\s+)?"  # ("but not the ones in poor", "except anything at Northgate")
                     rf"|[\w-]+\s+(?:is|are|was|were)\s+(?:an?\s+)?"  # ("unless the severity is low")
                     # ("unless they come from IT", "unless it's from the Legal department")
                     rf"|(?:they|it)(?:'re|'s|\s+(?:are|is|were|was|comes?|came))(?:\s+[a-z]+ing)?\s+"
                     rf"(?:from|in|at|by|for|of|to|as)\s+(?:the\s+|an?\s+)?)?"  # ("unless they are applying for X")
                     # (the other items of the list: "except physical education and special education")
                     rf"(?:[\w-]+(?:\s+[\w-]+){{0,2}}\s*,\s*(?:or\s+|and\s+|nor\s+)?|[\w-]+(?:\s+[\w-]+){{0,2}}\s+(?:or|and|nor)\s+)*"
                     rf"(?:{v})(?:e?s)?(?![\w-])", text.lower()) is not None


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


def _numbered(text: str) -> str:
    """ "phase II or III" -> "phase 2 or phase 3": roman numerals after a word as digits, and the word said
    again before each number of a list, so that labels such as "Phase 2" are found."""
    text = re.sub(r"(?<=[a-z] )(II|III|IV|V|VI|VII|VIII|IX|X)\b|(?:(?<= or )|(?<= and ))(I|II|III|IV|V|VI|VII|VIII|IX|X)\b",
                  lambda m: str(_ROMAN[m[1] or m[2]]), text)
    return re.sub(r"\b(?!(?:between|from|than|least|most|under|over|above|below|rated|scored)\b)([a-z]+) (\d+)"
                  r"((?:\s*(?:,|or|and|,\s*or|,\s*and)\s*\d+\b)+)",
                  lambda m: f"{m[1]} {m[2]}" + re.sub(r"(\d+)", rf"{m[1]} \1", m[3]), text, flags=re.I)


def _label_compounds(low: str, data: DataPeek) -> str:
    """ "the weather-related delays" -> "the weather delays", "technical-fault reports" -> "technical fault
    reports" where `technical` is a label and `technical-fault` is not: the label is the first half."""
    low = re.sub(r"\b([a-z]+)[- ](?:related|caused|driven|linked|induced)\b", r"\1", low)
    return re.sub(r"\b([a-z]+)-([a-z]+)\b", lambda m: f"{m[1]} {m[2]}" if _holds_label(data, m[1])
                  and not _holds_label(data, m[0]) else m[0], low)


def _label_spelling(value: str) -> str:
    """A pattern for a label as a request may write it (lower case): itself (its underscores, hyphens and spaces
    alike), and a code of letters and a number also spelled out ("t3" as "terminal 3", "p1" as "priority 1": a word of four letters or more that starts
    with the letters, then the number)."""
    v = re.sub(r"(?:\\[ _-]|_)+", r"[\\s_-]+", re.escape(value.lower()))  # ("water damage" for water_damage)
    # a plural that is not the label and an "s": "galaxies" (galaxy), "nebulae" (nebula), "fungi" (fungus)
    plural = next((v[: -len(end)] + alt for end, alt in (("ey", "eys"), ("y", "ies"), ("a", "ae"), ("us", "i"),
                                                            ("is", "es")) if v.endswith(end) and len(v) > 3), None)
    if plural:
        v = f"(?:{v}|{plural})"
    code = re.fullmatch(r"([a-z]{1,3})(\d{1,3})", value.lower())
    if code is None:
        return v
    return rf"{v}|(?!(?:{'|'.join(_NOT_NAMES)})\b){code[1]}[a-z]{{{max(4 - len(code[1]), 1)},}}\s+(?:no\.?\s*|#\s*)?{code[2]}"


_NOT_NAMES = ("then", "than", "that", "this", "these", "those", "there", "their", "take", "takes", "times", "total",
              "tops", "with", "within", "without", "about", "above", "after", "before", "below", "over", "under",
              "into", "from", "first", "last", "least", "most", "more", "less", "fewer", "only", "just", "every",
              "each", "some", "many", "also", "page", "pages", "rows", "lines", "words", "items", "days", "weeks",
              "hours", "minutes", "months", "years", "points", "stars", "percent")


def _label_said(value: str) -> str:
    """A pattern for a label said as a word of the request, singular or plural (see _label_spelling)."""
    return rf"(?<![\w-])(?:{_label_spelling(value)})(?:e?s)?(?![\w-])"


def _further_values(action: Action, data: DataPeek, seen: tuple[str, ...]) -> Iterator[tuple[str, list, bool]]:
    """The label columns the action names besides those in `seen`, each once: (column, values, whether the action
    excepts those values: "..., except anything at Northgate Lido")."""
    while (more := _named_values(action, data, skip=seen)) is not None:
        seen += (more[0],)
        yield more[0], more[1], all(v != "" and _excepted(action.full, v, more[0]) for v in more[1])


def _named_values(action: Action, data: DataPeek, skip: tuple[str, ...] = ()) -> tuple[str, list] | None:
    """The label column and its values the action names (see _equality), other than the columns in `skip`."""
    low = _numbered(action.full).lower()
    low = unhyphened(low, list(data.columns))  # ("the e-bike rides": ebike)
    for c in data.columns:  # "the day-shift notes": shift is day
        low = re.sub(rf"\b([a-z]+)-({re.escape(c.lower())})\b", r"\1 \2", low)
    low = _label_compounds(low, data)
    named_cols = column_mentions(action.full, list(data.columns))
    named_cols += [c for c in data.columns if c not in named_cols and re.search(  # "the unverified problems": verified
        rf"\b(?:un|non-?|not\s+){re.escape(c.lower())}\b", low)]
    # ("the jobs that weren't fixed first time round" on fixed_first_visit: two words of a yes/no column's name, in turn)
    named_cols += [c for c in data.columns if c not in named_cols and _spoken_partly(c, low) and all(
        isinstance(r.get(c), bool) for r in data.rows if r.get(c) is not None)]
    partly = partial_column_mentions(action.full, list(data.columns))  # "billing areas": product_area
    # a column named, or a label the column holds named alone ("keep only the headphones reviews": product)
    for col in named_cols + [c for c in data.columns if c not in named_cols]:
        if col == data.text_field or col.startswith("_") or col in skip or _dated(col, data):
            continue  # (a date names a bound, never a label: "between 2026-03-01 and 2026-04-15")
        if col not in named_cols and (no := _opposite_named(col, low, data)) is not None:
            return col, [no]  # "the inspections that failed" on a yes/no column `passed`: passed = no
        if col not in named_cols and not all(isinstance(r.get(col), str) for r in data.rows if r.get(col) is not None):
            continue
        vals = [r.get(col) for r in data.rows if r.get(col) is not None]
        if not vals:
            continue
        yes = _yes_value(col, data)
        if all(isinstance(v, bool) for v in vals) or yes is not None and col in named_cols and not isinstance(yes, bool):
            # ("not returned", "have not been returned", "wasn't returned", "never returned", "not yet returned";
            # "inspections that passed" on a yes/no column `passed`)
            said = _spoken(col)
            if not re.search(said, low) and (partly_said := _spoken_partly(col, low)):
                said = partly_said
            if re.search(rf"\b{said}\s+(?:is|are|was|were)\s+(?:still\s+)?(?:{'|'.join(_BLANK)})\b|"
                         rf"\b(?:missing|blank|empty)\s+(?:an?\s+)?{said}\b", low):
                return col, [""]  # "(approved is empty)": the rows without a value
            # ("not returned", "weren't gift wrapped", "without gift wrapping": the no's)
            denied = re.search(rf"(?:\b(?:not|non|un|never|no|without|unless|except(?:\s+for)?|excluding)|n't)[\s-]?"
                               # ("not the ones already resolved", "except the controlled ones")
                               rf"(?:(?:been|yet|be|being|ever|got|gotten|an?|the|ones?|those|that|which|are|is|were|was|"
                               rf"already|still|they|they've|they're|it|it's|its|has|have|had)\s+){{0,4}}{said}"
                               # ("..., unless they've already been paid": the unpaid ones)
                               rf"|\b(?:not|except|excluding)\s+(?:the\s+ones?|those|any)\s+(?:where|whose|with|that|which)\b"
                               rf"[^.;,!?]{{0,30}}?{said}|{_spoken(col, denied=True)}", low)
            # ("but not the ones where queen_seen is false"; "where the queen was not seen")
            falsy = re.search(r"\bis\s+(?:false|no)\b|\bfalse\b", low)
            # ("but not the ones without a callback": the ones with one; "excluding the ones that were not attended")
            twice = re.search(rf"\b(?:not|except|excluding)\s+(?:the\s+ones?|those|any)\s+(?:that\s+(?:have|had)\s+no|without|"
                              rf"with\s+no|lacking)\s+(?:an?\s+|the\s+)?{said}|\b(?:except(?:\s+for)?|excluding|not\s+counting|"
                              rf"other\s+than|leaving\s+out|apart\s+from)\s+(?:[a-z]+\s+){{0,6}}(?:(?:were|was|are|is|have|has|had|did|do|does)(?:\s+not|n't)|not|never)\s+"
                              rf"(?:(?:been|yet|ever)\s+)?{said}"
                              # ("but not the unvaccinated ones")
                              rf"|\b(?:not|except(?:\s+for)?|excluding)\s+(?:the\s+|any\s+|those\s+)?(?:un|non-?){said}", low)
            negated = (bool(denied) + bool(falsy) + bool(twice)) % 2 == 1  # (not false, not without: the yes rows)
            if yes is True or yes is None:
                return col, [not negated]
            no = _no_value(col, data)
            if negated and no is None:
                continue
            return col, [no if negated else yes]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            m = re.search(rf"\b{re.escape(col.lower())}\s*(?:is|=|==|equals?|of)\s*(-?\d+)\b(?!\s*\+|\s+(?:or|and)\s+"
                          r"(?:above|more|higher|over|better|greater|up|below|less|lower|under|fewer|worse|beyond)\b)"
                          rf"|\b(?:on|in|at|from)\s+(?:the\s+)?{re.escape(col.lower())}\s+(-?\d+)\b(?!\s*(?:\+|-|or|and|to)\b)",
                          low)  # ("the ones on floor 5")
            if m:  # ("a rating of 4 or above" is a bound)
                return col, [int(m[1] or m[2])]
            # "5 star reviews", "the 3-bedroom flats": a number before the column's word (singular) names its value
            # (not one end of a span or a bound: "4 or 5 stars", "4+ stars", "3 stars or more")
            word = re.split(r"[_\W]+", col.lower())[-1].removesuffix("s")
            said = action.full.lower()  # (as written: _numbered says "gave 4 or 5 stars" as "gave 4 or gave 5")
            bounded = [q["span"] for q in quantities(action.full) if q["bound"]]
            if len(word) >= 3 and (m := re.search(
                    rf"(?<![\d.,/-])(?<!\bor\s)(?<!\band\s)(?<!\bto\s)(?<!\bthan\s)\b(\d+)(?:\s*-\s*|\s+){re.escape(word)}s?\b"
                    r"(?!\s*(?:\+|or\s+(?:more|higher|above|better|over|less|lower|below|fewer|worse|under|\d)|and\s+"
                    r"(?:up|above|over|below|under|higher|lower|more|less)|to\s+\d))", said)) \
                    and not re.search(r"\b(?:at\s+least|at\s+most|over|under|above|below|more\s+than|less\s+than|"
                                      r"fewer\s+than|up\s+to|between|from)\s+$", said[: m.start()]) \
                    and not any(a <= m.start(1) < b for a, b in bounded):  # ("6 hours or longer": a bound)
                return col, [int(m[1])]
            continue
        distinct = {v for v in vals if isinstance(v, str)}
        if len(distinct) == len(vals) and len(vals) > 3 or len(distinct) > 20:
            continue  # not labels
        distinct |= set(data.labels.get(col, ()))  # ("the Desert reports": a label past the sample's rows)
        if looks_like_codes(distinct) and (codes := country_codes(action.full, distinct)):
            return col, codes  # "guests from the UK or Germany" on a column of UK, DE, FR
        if looks_like_country_names(distinct) and (names := country_values(action.full, distinct)) \
                and not any(re.search(rf"\b{re.escape(n)}\b", action.full, re.I) for n in names):
            return col, names  # "ads from Canadian or Japanese companies" on a column of Canada, Japan, France
        if (col in named_cols or col in partly) and (listed := _listed_values(action.full, col, data, distinct)):
            known = {str(v).lower() for v in distinct}
            whole = [v for v in sorted(distinct, key=str) if isinstance(v, str) and len(v) > 2
                     and re.search(_label_said(v), low)]
            if not {str(v).lower() for v in listed} & known and whole:
                return col, whole  # "except event space ones": the label event_space, not "event" before "space"
            if not {str(v).lower() for v in listed} & known and (other := _holder(listed, data, skip=(col,))):
                if other[0] in skip:  # (a step on that column is planned already)
                    continue
                return other  # "the easy trails": easy is a difficulty, not a trail's name
            return col, listed
        shortest = 2 if col in named_cols else 3
        named = [v for v in sorted(distinct, key=lambda v: (-len(v), v))  # (longest first; ties by name: one plan a run)
                 if (len(v) >= shortest or re.fullmatch(r"[A-Za-z]+\d+|\d+[A-Za-z]+", v)  # ("P1 and P2 tickets")
                     or re.fullmatch(r"[A-Z]{2}", v) and re.search(rf"(?<![\w-]){v}(?![\w-])", action.full))  # ("from IT")
                 and re.search(_label_said(v), low)]
        if not named and col in named_cols:  # "a grade of A or B": one-letter labels, written as the data has them
            named = [v for v in sorted(distinct) if re.fullmatch(r"[A-Z]", v)
                     and re.search(rf"(?<![\w'.-]){re.escape(v)}(?![\w'.-])", action.full)]
        # "the lightning talks" on a column of lightning, talk and workshop: the first label says which talks
        named = [v for v in named if not any(w != v and re.search(
            rf"(?<![\w-])(?:{_label_spelling(str(w))})[\s-]+(?:{_label_spelling(str(v))})(?:e?s)?(?![\w-])", low)
            for w in named)]
        if named:
            return col, _with_listed(low, named, distinct)
        if col in named_cols and (one := _label_by_its_word(low, col, distinct)) is not None:
            return col, [one]  # "the ones under the lasagna video": video "Grandma's Lasagna"
        if col in named_cols and distinct and all(re.fullmatch(r"[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?", v) for v in distinct) \
                and (codes := languages(action.full)):
            return col, codes  # "German, French and Spanish posts, using the lang field": the codes it holds
    return None


def _label_by_its_word(low: str, column: str, distinct: set) -> str | None:
    """The one label of a named column that a distinctive word of it names, said right before the column's word ("the
    lasagna video" on a video titled "Grandma's Lasagna"): a word of five letters or more that no other label has."""
    owners: dict[str, set] = {}
    for v in distinct:
        if isinstance(v, str):
            for w in re.findall(r"[a-z]{5,}", v.lower()):
                owners.setdefault(w, set()).add(v)
    said = [w for w in dict.fromkeys(re.findall(rf"\b([a-z]{{5,}})\s+(?:{'|'.join(map(re.escape, _column_words(column)))})s?\b", low))
            if len(owners.get(w, ())) == 1]
    return next(iter(owners[said[0]])) if len(said) == 1 else None


def _spoken(column: str, denied: bool = False) -> str:
    """A pattern for a column's name as words in a sentence: gift_wrap as "gift wrap", "gift-wrapped" or "gift
    wrapping" (its last word inflected, a doubled consonant too). With `denied`, only the name whose last word is
    a participle denied after an auxiliary ("the queen was not seen", "heat pump wasn't recommended"; a pattern
    that matches nothing where the name has no such word)."""
    words = [w for w in re.split(r"[_\W]+", column.lower()) if w]
    named = unauxed(words)
    aux = named is not words  # ("has_permit": "have a permit", "without a permit"; receipt_attached: "no receipt")
    *head, last = [re.escape(w) for w in named] or [re.escape(column.lower())]
    stem = last[:-1] if last.endswith("e") and len(last) > 3 else last
    tail = rf"(?:{last}|{stem}(?:{re.escape(stem[-1])})?(?:ed|ing|s|es|ers?)" \
           rf"{f'|{last[:-1]}ies' if last.endswith('y') else ''}{_base_verbs(last)})" \
        if stem[-1:].isalpha() else last  # (injuries; "didn't attend" on `attended`)
    # ("no heat pump was recommended": heat_pump_recommended, its participle after an auxiliary)
    participle = bool(head) and bool(re.search(r"ed$", named[-1]) or named[-1] in PARTICIPLES)
    if denied:  # (a name without its participle, injury_reported as "injury", has it back: "no injury was reported")
        full = words[1:] if words[0] in AUXILIARIES and len(words) > 1 else words
        if len(full) < 2 or not (re.search(r"ed$", full[-1]) or full[-1] in PARTICIPLES):
            return r"(?!x)x"
        return (r"[\s_-]+".join(map(re.escape, full[:-1])) + r"\s+(?:was|were|is|are|has|have|had)(?:\s+not|n't)\s+"
                r"(?:(?:been|yet|ever)\s+)*" + (tail if full[-1] == named[-1] else re.escape(full[-1])) + r"\b")
    joint = r"(?:[\s_-]+|\s+(?:was|were|is|are|been|being|got)\s+)" if participle else r"[\s_-]+"
    said = (r"[\s_-]+".join(head) + joint + tail if head else tail) + r"\b"
    if aux:  # (and the name as written: "where issue_found is false")
        said = rf"(?:{re.escape(column.lower())}\b|(?:(?:{'|'.join(sorted(AUXILIARIES))}|having)[\s_-]+)?" \
               rf"(?:(?:a|an|the|any)\s+)?{said})"
    return said


def _spoken_partly(column: str, low: str) -> str | None:
    """A pattern for two or more consecutive words of a column's name of three or more words, as the text says them
    ("fixed first" of fixed_first_visit), or None."""
    words = [w for w in re.split(r"[_\W]+", column.lower()) if w]
    if len(words) < 3:
        return None
    for k in range(len(words) - 1, 1, -1):
        for i in range(len(words) - k + 1):
            pattern = r"[\s_-]+".join(re.escape(w) for w in words[i:i + k]) + r"\b"
            if re.search(rf"\b{pattern}", low):
                return pattern
    return None


def _without_verb_said(text: str, column: str) -> str:
    """`text` without a yes/no column said as a verb, with its subject and its auxiliary ("where the member didn't
    attend" on `attended`: the words the value's sign stands for)."""
    return re.sub(rf"(?:\b(?:the|a|an|their|its)\s+[a-z]+\s+)?(?:\b(?:did|does|do|has|have|had|was|were|is|are)"
                  rf"(?:\s+not|n't)\s+|\bnever\s+)?\b{_spoken(column)}", " ", text, flags=re.I)


def _base_verbs(word: str) -> str:
    """The present forms of a regular past participle, as alternatives for a pattern: `attended` is said "didn't
    attend", `arrived` "arrives", `shipped` "ship", `passed` "passes" (none for a word not in -ed, or too short to
    tell a verb by)."""
    if not word.endswith("ed") or len(word) < 6:
        return ""
    base = word[:-2]
    forms = {base, base + "e"} | ({base[:-1]} if base[-1] == base[-2] else set()) \
        | ({word[:-3] + "y"} if word.endswith("ied") else set())
    return "".join(f"|{f}(?:s|es|ing)?" for f in sorted(forms) if len(f) >= 3)


# past participles that do not end in -ed: the last word of a yes/no column said after an auxiliary ("the queen
# was seen": queen_seen)
PARTICIPLES = frozenset("""seen done taken given paid sent made found known shown written kept left built sold told
held met read won lost set put cut run spent brought bought caught taught drawn driven eaten fallen forgotten hidden
ridden risen shaken spoken stolen sworn thrown worn woken broken chosen frozen grown flown begun sung swum""".split())


def _holder(values: list, data: DataPeek, skip: tuple[str, ...] = ()) -> tuple[str, list] | None:
    """The label column whose values (sample and labels) include every one of `values` (any case), with the
    values as that column writes them."""
    want = [str(v).lower() for v in values]
    for col in data.columns:
        if col in skip or col == data.text_field:
            continue
        have = {str(v).lower(): v for v in [r.get(col) for r in data.rows] + list(data.labels.get(col, ()))
                if isinstance(v, str)}
        if all(w in have for w in want):
            return col, [have[w] for w in want]
    return None


def _with_listed(low: str, named: list[str], distinct: set) -> list[str]:
    """The values named, with the words listed beside them that the sample lacks ("kettles, blenders or
    toasters" where the sample has kettle and blender: toaster too), in the text's order."""
    for m in re.finditer(_LIST, low):
        items = _items(m[1])
        hits = {w: v for w in items for v in named if w in (v.lower(), v.lower() + "s", v.lower() + "es")}
        if len(items) < 2 or not hits or not _value_words(items):
            continue
        plural = all(w != v.lower() for w, v in hits.items())  # the known ones were written as plurals
        # (a word of a value of several words is that value: "storm and water damage" is storm, water_damage)
        halves = {p for v in named if len(ps := re.split(r"[\s_-]+", v.lower())) > 1 for p in ps}
        out = [hits[w] if w in hits else _spelled(re.sub(r"(?<=[^s])s$", "", w) if plural else w, distinct)
               for w in items if w in hits or w not in halves]
        return list(dict.fromkeys(out + named))
    return named


def _items(listed: str) -> list[str]:
    """The items of a list written "a, b or c" / "a and b"."""
    return [w for w in re.split(r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+", listed) if w]


def _value_words(items: list[str]) -> bool:
    """No item is a filler, a comparative, a verb or a number: the list may be values of a label column."""
    return not any(w in _FILLER or w in _NOT_VALUES or w in GENERIC or w in VERBS or w.isdigit() for w in items)


def _spelled(word: str, distinct: set) -> str:
    """A value as the column writes its values: the sample's own spelling (a plural as the column's singular:
    "suites" is suite), or upper case if all of them are."""
    known = {v.lower(): v for v in distinct if isinstance(v, str)}
    low = word.lower()
    for form in (low, re.sub(r"(?<=[^s])s$", "", low), re.sub(r"es$", "", low), re.sub(r"ies$", "y", low)):
        if form in known:
            return known[form]
    upper = bool(known) and all(v == v.upper() for v in known.values())
    title = bool(known) and not upper and all(v == v.title() for v in known.values())  # "German" beside "Spanish"
    return word.upper() if upper else word.title() if title else word


def _column_words(col: str) -> list[str]:
    """A column's name and its words of four letters or more (product_area: product, area), lower case."""
    return [col.lower(), *(p for p in re.split(r"[_\W]+", col.lower()) if len(p) >= 4)]


def _plural(word: str) -> str:
    """A pattern for the word and its plural: category(ies), area(s), box(es)."""
    if len(word) > 3 and word.endswith("y") and word[-2] not in "aeiou":
        return f"{re.escape(word[:-1])}(?:y|ies)"
    return f"{re.escape(word)}(?:s|es)?"


_LIST = r"([\w-]+(?:\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+)[\w-]+)*)"


_LEADING = r"(?:only|just|keep|drop|remove|delete|exclude|discard|skip)(?:\s+(?:only|just|the|all|any))?"


_BLANK = frozenset("blank empty missing null none unset nothing".split())  # words for an empty value


_NOT_VALUES = frozenset("only just also even foreign other different various same identical matching mixed on before after not at least most above below over under between more less than wrong incorrect "
                         "correct right bad good invalid valid".split())


def _listed_values(text: str, col: str, data: DataPeek, distinct: set) -> list[str] | None:
    """Values of a named label column the text lists, which the sample need not hold: "whose lang is de, fr or
    es", "the returns and billing areas" (product_area), "from the physics field"; written as the column's
    values are (upper case if the sample's are)."""
    if not _categorical(col, data) or _dated(col, data) or date_bounds(text) or ID_LIKE.search(col):
        return None  # ("the completed trials" names no trial_id)
    low = re.sub(r"['\"\u2018\u2019\u201c\u201d]([\w-]+)['\"\u2018\u2019\u201c\u201d]", r"\1", text.lower())  # "is blank or 'und'"
    words = [_plural(w) for w in _column_words(col)]
    m = None
    for w in words:
        m = re.search(rf"\b{w}\s+(?:is|=|==|equals?|is one of|in)\s+{_LIST}", low) or \
            re.search(rf"(?:^\W*(?:{_LEADING}\s+)?|\b(?:the|all|any|every)\s+){_LIST}\s+{w}\b", low)
        if m:
            break
    if m is None:
        return None
    items = _items(m[1])
    if any(w in ("where", "whose", "which", "that", "when", "if", "with", "who", "is", "are") for w in items):
        return None  # ("only where status is ;DROP ..." lists no value: "where" is no status)
    # "country_of_seller in DE, PL, IT, ES": codes listed after the column, as written (IT is no pronoun here)
    codes = m.re.pattern.startswith(r"\b") and all(re.search(rf"(?<![\w-]){re.escape(w.upper())}(?![\w-])", text)
                                                  and len(w) <= 3 for w in items)
    if not items or not codes and not _value_words([w for w in items if w not in _BLANK]):
        return None
    known = {" ".join(str(v).split()).lower() for v in data.labels.get(col, ())}
    if not m.re.pattern.startswith(r"\b") and not any(w in known or w in _BLANK for w in items) \
            and all(adjective_only(w) for w in items):
        return None  # ("the serious faults" on fault_type: an adjective describes the rows; "the penthouse rooms" names
        # a room type the sample may lack)
    return ["" if w in _BLANK else _spelled(w, distinct) for w in items]  # "blank or 'und'": an empty value too


def _opposite_named(column: str, low: str, data: DataPeek):
    """The "no" of a yes/no column that the text names by an opposite of its name ("failed" for `passed`,
    "closed" for `is_open`: WordNet's antonyms), else None."""
    yes = _yes_value(column, data)
    if yes is None:
        return None
    if not _opposites_in(column, low):
        return None
    return False if yes is True else _no_value(column, data)


def _opposites_in(column: str, low: str) -> list[str]:
    """The words of `low` that are opposites of the column's name ("failed" for `passed`)."""
    name = [w for w in re.split(r"[_\W]+", column.lower()) if len(w) >= 3 and w not in ("has", "was", "are")]
    if not name:
        return []
    from tilth.agent.antonyms import opposed

    return [w for w in dict.fromkeys(re.findall(r"[a-z]{3,}", low)) if opposed(w, name[-1])]


def _no_value(column: str, data: DataPeek):
    """The "no" of a yes/no column written as text (no, n, false), as the data writes it; None if it holds none."""
    return next((v for v in [r.get(column) for r in data.rows] + list(data.labels.get(column, ()))
                 if isinstance(v, str) and v.strip().lower() in ("no", "n", "false")), None)


def _yes_value(column: str, data: DataPeek):
    """The "yes" of a yes/no column (yes/no, y/n, true/false as text or booleans), as the data writes it."""
    seen = {v for r in data.rows if (v := r.get(column)) not in (None, "")}
    if seen and all(isinstance(v, bool) for v in seen):
        return True
    words = {str(v).strip().lower(): v for v in [*seen, *data.labels.get(column, [])]}
    if words and set(words) <= {"yes", "no", "y", "n", "true", "false"}:
        return next((words[w] for w in ("yes", "y", "true") if w in words), None)
    return None
