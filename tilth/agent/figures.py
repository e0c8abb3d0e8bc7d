"""The SQL of figures asked for: groupings ("per room", "members vs non-members"), counted kinds, WHERE clauses from bounds."""

from __future__ import annotations

import functools
import re

from tilth.agent.actions import (
    GENERIC,
    Action,
)
from tilth.agent.bounds import KEEPING, _dated_bounds, _ranged_columns
from tilth.agent.columns import (
    _dated,
    _label_column,
    _label_values,
    _labels,
    _seen_labels,
    _string_columns,
    _yes_no_column,
)
from tilth.agent.dates import MONTHS
from tilth.agent.match import ROW_NOUNS
from tilth.agent.params import (
    column_mentions,
    partial_column_mentions,
    quantities,
    same_family,
)
from tilth.agent.peek import DataPeek
from tilth.agent.plan import Plan
from tilth.agent.values import _FILLER, _column_words, _label_said

# two sides compared: "members vs non-members", "weekdays versus weekends", "e-bikes compared to city bikes"
VERSUS = re.compile(r"\b((?:non-?|not\s+)?[\w-]+(?:\s+[\w-]+)?)\s+(?:vs\.?|versus|compared\s+(?:to|with)|against)\s+"
                    r"((?:non-?|not\s+)?[\w-]+(?:\s+[\w-]+)?)", re.I)


def _kind_named(said: str, columns: list[str]) -> list[str]:
    """The one column whose name is a kind of the noun said ("per doctor" on `vet`: WordNet's vet is a doctor)."""
    noun = said.split()[0].lower()
    if ROW_NOUNS.fullmatch(noun) or len(noun) < 3:
        return []
    from tilth.agent.kinds import is_kind_of

    # (by the word that heads the name: `pet_age_years` holds years, not pets)
    owners = [c for c in columns if (head := [w for w in re.split(r"[_\W]+", c.lower()) if w][-1:]) and len(head[0]) >= 3
              and is_kind_of(head[0], noun)]
    return owners if len(owners) == 1 else []


GROUPING = re.compile(r"\b(?:per|by|for (?:each|every)|from (?:each|every)|in each|at each|at every|across|over|(?:distribution|breakdown|spread|mix|"
                      r"counts?|histogram|share|proportions?)\s+of)\s+(?:the\s+|each\s+|their\s+|its\s+)?"
                      r"(?!\d)([\w-]+(?:\s+(?!(?:for|per|by|in|at|across|over|and|of)\b)[\w-]+)?)",
                      re.I)  # (two words: "for every visitor type" is visitor_type; "price per head for each event type";


# verbs whose "by" groups rows ("grouped by gallery", "broken down by region"), unlike a passive's agent
_GROUPING_VERBS = re.compile(r"(?:group|sort|split|broke|broken|down|count|bucket|segment|organi[sz]|categori[sz]|"
                             r"arrang|order|divid|cluster|aggregat|tall|tabulat|summari[sz]|break|slic|partition|"
                             r"separat|list|rank|plott|chart|show|report|total)\w*$", re.I)


_IRREGULAR_PARTICIPLES = frozenset("made sent left sold run done told paid bought brought built held kept led read said "
                                   "seen taught won given taken written spoken chosen drawn shot caught found".split())


def _by_agent(before: str, grouping: str) -> bool:
    """Whether a "by" names who did something ("the comments written by members", "posts made by staff"), not
    what rows are grouped by."""
    if not re.match(r"by\b", grouping, re.I):
        return False
    prev = re.search(r"([a-z]+)\s*$", before.lower())
    return prev is not None and (prev[1].endswith(("ed", "en")) or prev[1] in _IRREGULAR_PARTICIPLES) \
        and not _GROUPING_VERBS.match(prev[1])


def _groupings(text: str, data: DataPeek) -> list[str]:
    """Every label column a "per X" of the text groups by, in order ("count of posts per site and per language")."""
    out: list[str] = []
    for m in GROUPING.finditer(text):
        if not re.match(r"(?:per|by|for (?:each|every)|in each|on each)\b", m[0], re.I):
            continue
        if (g := _grouping(text[m.start():m.end()], data)) is not None and g not in out:
            out.append(g)
    return out


def _grouping(text: str, data: DataPeek) -> str | None:
    """The label column rows are grouped by: "per category", "broken down by topic", "for each rating", "members vs
    non-members" (a yes/no column's two sides)."""
    labels = _labels(list(data.columns), data)
    labels += [c for c in data.columns if c not in labels and _yes_no_column(c, data)]  # ("per member status")
    for m in VERSUS.finditer(text):  # "members vs non-members", "e-bikes versus city bikes": the column of both sides
        sides = [re.sub(r"^(?:non-?|not\s+|un)", "", m[k].lower()) for k in (1, 2)]
        for c in labels:
            words = [w for w in _column_words(c) if len(w) >= 3]
            if _yes_no_column(c, data) and any(same_family(w, side.split()[-1]) or side.startswith(w)
                                               for w in words for side in sides):
                return c
            if not _yes_no_column(c, data) and all(any(re.search(_label_said(str(v)), side) for v in _seen_labels(c, data)
                                                       if isinstance(v, str) and v.strip()) for side in sides):
                return c
    found = list(GROUPING.finditer(text))
    for m in found:
        if _by_agent(text[: m.start()], m[0]):
            continue
        if re.match(r"(?:distribution|breakdown|spread|mix|counts?|histogram|share|proportions?)\s", m[0], re.I) \
                and any(n.start() > m.start() for n in found):
            continue  # ("count of posts per site": the rows counted, then their grouping)
        prev = re.search(r"([\w-]+)\s*$", text[: m.start()])
        spelled = f"{prev[1]} {m[0]}".lower().replace(" ", "_") if prev else ""
        if prev and any(c.lower().startswith(spelled) for c in data.columns if "_" in c):
            continue  # ("the average price per head": price_per_head said in words, no grouping)
        # ("in each tier": member_tier, by the one word of its name the phrase has)
        named = column_mentions(m[1], labels) or partial_column_mentions(m[1], labels) or _kind_named(m[1], labels)
        if named:
            return named[0]
    # "how many comments each gallery got": a count for each value of the column
    if re.search(r"\bhow many\b|\bnumber of\b", text, re.I):  # (not "count tokens on every page")
        for m in re.finditer(r"\b(?:each|every)\s+([\w-]+(?:\s+[\w-]+)?)", text, re.I):
            # ("how many observations each type has": object_type, by the one word of its name; "how many comments
            # does each recipe post have": post_title, by its second)
            if named := column_mentions(m[1], labels) or partial_column_mentions(m[1].split()[0], labels) or (
                    len(m[1].split()) > 1 and partial_column_mentions(m[1].split()[1], labels)):
                return named[0]
    # "which topics do the tickets fall under, and in what proportions"
    if (m := re.search(r"\bwhich ([\w-]+)", text, re.I)) and re.search(r"\bproportions?|\bshares?\b|\bhow many\b|"
                                                                      r"\bdistribution|\bbreakdown|\bpercent", text, re.I):
        named = column_mentions(m[1], labels)
        return named[0] if named else None
    return None


# "the average repair cost", "total hours": a figure over the rows, which a query of the output gives
AGGREGATES = {"average": "avg", "avg": "avg", "mean": "avg", "median": "median", "total": "sum", "sum": "sum",
              "maximum": "max", "minimum": "min", "highest": "max", "lowest": "min", "max": "max", "min": "min",
              "earliest": "min", "latest": "max", "longest": "max", "shortest": "min", "largest": "max",
              "biggest": "max", "smallest": "min"}


# a length of the text in a unit an aggregate names ("the average length in words", "the mean word count")
_TEXT_UNIT = re.compile(r"^\s*(?:[\w-]+\s+)?(?:length|size)(?:\s+of\s+(?:a|an|the|each|every|one)\s+[\w-]+)?\s+(?:in|of)\s+"
                        r"(?:words|characters|chars)\b|"  # ("the average length of a post in words")
                        r"^\s*(?:[\w-]+\s+)?(?:length|size)\s+\((?:in\s+)?(?:words|characters|chars)\)|"
                        r"^\s*(?:words?|characters?|chars?)\s+counts?\b|"
                        r"^\s*(?:number|count)\s+of\s+(?:words|characters|chars)\b", re.I)


def _only_dated(agg: re.Match, text: str, data: DataPeek) -> list[str]:
    """The data's one date column, for an earliest/latest that names none of its columns ("the earliest and latest
    posting dates" on `posted`)."""
    dated = [c for c in data.columns if _dated(c, data)]
    if agg[1].lower() in ("earliest", "latest") and len(dated) == 1 and re.search(r"dates?|when|times?|"
                                                                                     r"day", text, re.I):
        return dated
    return []


def _text_measure(agg: re.Match, text: str, data: DataPeek) -> list[str]:
    """The text column, for an average of its length ("the average length in words per source")."""
    if _TEXT_UNIT.match(text[agg.end():]) is None or AGGREGATES[agg[1].lower()] not in ("avg", "median", "sum", "min", "max") \
            or KEEPING.match(text) or any(q["bound"] for q in quantities(text)) \
            or re.search(r"\bto\s+\d", text[agg.end():]) or re.search(r"\b(?:lower|raise|set|change|increase|decrease|reduce|"
                                                                   r"bump|adjust|cut)\w*\s+(?:the\s+)?$", text[: agg.start()], re.I):
        return []  # (not "keep texts whose average word length is between 4 and 9": a filter)
    # ("the average answer length in words": the answer column's, not the main text's)
    said = [c for c in column_mentions(text[agg.end(): agg.end() + 40], _string_columns(data)) if not _label_column(c, data)]
    return said[:1] or [data.text_field]


def _length_sql(column: str, said: str) -> str:
    """The SQL of a text column's length in the unit said (words unless characters are)."""
    if re.match(r"[^.;?!]{0,40}?\b(?:characters?|chars?)\b", said, re.I):
        return f"length({column})"
    from tilth.report.stats import words_sql  # (the report's own count: an empty or missing text has 0 words)

    return words_sql(column)


AGGREGATE = re.compile(rf"(?<![\d.])(?<![\d.]\s)\b(?:the\s+)?({'|'.join(AGGREGATES)})\b(?:\s+of)?", re.I)  # ("30 min")


# the words a bound on the rows is said with, beside its number and its column ("scored 4 or higher", "had a delay of
# more than 6 hours"): what a count's condition may hold and still be all a WHERE says
_BOUND_WORDS = frozenset("""or and than at least most more less fewer higher lower above below over under up to between
scored rated had has have got with received earned were was are is of in on from after before since until onwards
later earlier plus better worse took take takes lasted last lasts ran run runs cost costs weighed weigh weighs spent
needed""".split())


def _bounds_where(kind: str, data: DataPeek, by: str = "") -> str:
    """ " WHERE ..." for what counted rows do ("scored 4 or higher", "took over 30 minutes", "were interviewed in
    March") where bounds on columns other than `by` say all of it; "" where words remain that no bound says."""
    those = Action(f"keep rows that {kind}", "", False, True, 0, 0)
    over = [(c, b) for c, b in _ranged_columns(those, data) + _dated_bounds(those, data) if c != by]
    # ("how many candidates per role scored 4 or higher": a bound the words say all of; "were interviewed":
    # interview_date; "took over 30 minutes": the unit the bound is counted in)
    said_cols = {w for c, _ in over for w in _column_words(c)}
    bounded = said_cols | _BOUND_WORDS | {str(q["unit"]).lower() for q in quantities(kind) if q["unit"]}
    rest = [w for w in re.findall(r"[a-z][a-z'-]*", kind.lower())
            if w not in bounded and w.rstrip("s") not in bounded and w not in MONTHS and not re.fullmatch(r"q[1-4]", w)
            and w not in _FILLER and not any(same_family(w, c) for c in said_cols)]
    return _where_sql(over) if over and not rest else ""


def _counted_kind(text: str, by: str, data: DataPeek) -> str | None:
    """What "how many X <condition> per <column>" says of the rows counted beyond the grouping ("failed in
    2025"), or None where all rows are counted ("how many inspections are there per building")."""
    m = re.match(r"\W*how many\s+(?:of\s+)?(?:the\s+)?(?:([\w'&-]+)\s+)?", text, re.I)  # ("how many Q&A pairs")
    rest = text[m.end():] if m else text
    if m and m[1] and (noun := re.match(r"[a-z][\w'-]*[^s\W]s\b\s*", rest, re.I)):
        # ("how many urgent requests are there": the data's word for its rows; "how many fault reports": all one noun,
        # its first word a column's)
        named = any(m[1].lower() in _column_words(c) for c in data.columns)
        # ("how many maintenance jobs per station": a word the data holds nowhere is the noun's, no condition)
        unknown = m[1].lower() not in {w for v in _label_values(data) for w in v.split()} and not re.search(
            r"(?:ed|en)$", m[1].lower())  # (not "how many failed ..." / "how many broken ...": what the rows did)
        rest = rest[noun.end():] if named or unknown else f"{m[1]} {rest[noun.end():]}"
    # the grouping said, then what the counted rows do ("how many candidates per role scored 4 or higher")
    grp = "|".join(re.escape(w).replace("_", r"[\s_]") for w in sorted(_column_words(by), key=len, reverse=True))
    rest = re.sub(rf"(?:^|[,;]?\s+)(?:per|by|for each|for every|in each|broken down by|grouped by|across|"
                  rf"(?:(?:come|comes|came|coming)\s+)?from (?:each|every))\s+"
                  rf"(?:the\s+|each\s+)?(?:{grp})(?:e?s)?\b", " ", rest, flags=re.I)
    # ("how many comments does each recipe post have", "how many deliveries did each one do": the grouping said as
    # the subject)
    rest = re.sub(r"\b(?:(?:does|do|did)\s+)?(?:each|every)\s+(?:[\w'-]+\s+){0,2}?(?:have|has|had|get|gets|got|receive|"
                  r"receives|received|do|does|did|make|makes|made)\b", " ", rest, flags=re.I)
    rest = re.split(r"(?:^|[,;]?\s+)(?:per|by|for each|for every|in each|broken down by|grouped by|across|"
                    r"(?:(?:come|comes|came|coming)\s+)?from (?:each|every))\b", rest,
                    maxsplit=1, flags=re.I)[0]
    words = [w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", rest.lower())
             if w not in GENERIC and w not in _FILLER and w not in {"are", "is", "were", "was", "there", "do", "does",
                                                                   "did", "have", "has", "had", "we", "i", "you", "get",
                                                                   "got", "actual", "actually", "real", "really",
                                                                   # ("how many messages came in per channel": every row did)
                                                                   "came", "come", "comes", "in", "arrived", "arrive",
                                                                   "received", "receive", "total", "overall", "altogether"}
             and not ROW_NOUNS.fullmatch(w) and w not in _column_words(by)]
    return " ".join(rest.split()).strip(" ?.!,") if words else None


OVERALL = re.compile(r"\b(?:overall|altogether|all\s+together|in\s+total|in\s+all|all\s+told|across\s+the\s+board|"
                     r"across\s+(?:all|every)\b[^,;]*)\W*$", re.I)


def _context_grouping(action: Action, actions: list[Action], data: DataPeek) -> str | None:
    """The grouping its sentence names ("for each city, tell me the average repair cost"; "the median fee and
    average staff count for each cuisine": both per cuisine), unless a count of its own names it ("what's the
    median budget, and how many talks did each track get?": the median is of every row)."""
    if OVERALL.search(action.full) and _grouping(action.full, data) is None:
        return None  # ("the average passengers per route, and how many crossings got cancelled overall?": one count)
    group = _grouping(action.context, data)
    if group is not None and re.search(r"\b(?:for|in|per|on|across|at|from)\s+each(?:\s+(?:one|of\s+them|group|of\s+those))?\W*$",
                                       action.full, re.I):
        return group  # "how many per species, and what is the median budget for each?": that grouping again
    if group is not None and re.search(r"\b(?:their|its|each\s+one(?:'s)?|each\s+of\s+them|each\s+group's)\b",
                                       action.full, re.I):
        return group  # ("how many are there per class type and what's their average rating?": of those groups)
    nxt = next((b for b in actions if b.sentence == action.sentence and b.index == action.index + 1), None)
    if nxt is not None and AGGREGATE.match(nxt.text.strip(" ,")) and (shared := _grouping(nxt.full, data)):
        return shared  # "the average honey_kg and total varroa_count for each apiary": both per apiary
    if group is None or any(b is not action and b.sentence == action.sentence and _grouping(b.full, data) == group
                            and re.search(r"\bhow many\b|\bnumber of\b", b.full, re.I) and not AGGREGATE.search(b.full)
                            for b in actions):
        return None
    if re.match(r"\W*(?:and\s+)?(?:how many|what|which|how much)\b", action.full, re.I) and any(
            b is not action and b.sentence == action.sentence and _grouping(b.full, data) == group
            and AGGREGATE.search(b.full) for b in actions):
        return None  # ("what's the average cost per vet, and how many visits need a follow-up?": a question of its own)
    return group


def _query_instead(plan: Plan, action: Action, what: str, sql: str) -> None:
    """A figure no operator computes ("the average repair cost per city"): a question of the recipe, answered
    by its SQL over the run's output after the run (and after every rerun of the recipe)."""
    if re.search(r"<(?!dataset>)[^>]+>", sql):  # ("... AND <in 2025>": a part no column says; the user completes it)
        from tilth.storage.workspace import view_name

        plan.unmatched.append(action.full)
        sql = sql.replace("<dataset>", view_name(plan.output.get("dataset") or plan.name)).replace('"', '\\"')
        plan.notes.append(f"No operator {what}: {action.full!r} is not done. After the run, `tilth sql \"{sql}\"` "
                          "answers it, with the part in <...> written as a condition on your columns.")
        return
    sql = sql.replace("<dataset>", "output")
    plan.questions.append({"ask": action.full, "sql": sql})
    plan.notes.append(f"{action.full!r} is a figure, not a step: the recipe's question `{sql}` answers it from the "
                      f"output after the run ({what}).")


def _sql_ident(column: str) -> str:
    """A column as SQL names it: bare, or double-quoted where it is a keyword or no plain identifier (`show`)."""
    plain = re.fullmatch(r"[a-z_][a-z0-9_]*", column) is not None and column.lower() not in _sql_keywords()
    return column if plain else '"' + column.replace('"', '""') + '"'


@functools.lru_cache(maxsize=1)
def _sql_keywords() -> frozenset[str]:
    """DuckDB's keywords that cannot name a column unquoted."""
    import duckdb

    return frozenset(r[0].lower() for r in duckdb.sql("SELECT keyword_name FROM duckdb_keywords() "
                                                       "WHERE keyword_category <> 'unreserved'").fetchall())


def _where_sql(bounds: list[tuple[str, dict]]) -> str:
    """ " WHERE ..." for value_filter bounds read from words ([(column, {min, max, values, ...})]), or ""."""
    if any(b.get("drop_range") for _, b in bounds):
        return ""  # (a span said as dropped is not a WHERE of this shape: the number goes unused, and is reported)
    parts = []
    for col, b in bounds:
        c = _sql_ident(col)
        if "min" in b:
            parts.append(f"{c} {'>' if b.get('min_exclusive') else '>='} {_sql_literal(b['min'])}")
        if "max" in b:
            parts.append(f"{c} {'<' if b.get('max_exclusive') else '<='} {_sql_literal(b['max'])}")
        if b.get("values"):
            parts.append(f"{c} IN ({', '.join(map(_sql_literal, b['values']))})")
        if b.get("drop_values"):
            parts.append(f"{c} NOT IN ({', '.join(map(_sql_literal, b['drop_values']))})")
    return f" WHERE {' AND '.join(parts)}" if parts else ""


def _sql_literal(value) -> str:
    """A value as SQL writes it: true/false, numbers bare, text quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
