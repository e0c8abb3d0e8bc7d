"""The offline planner: a plan by meaning, with no LLM.

1. The request is split into actions (`actions.parse`): clauses, "then", "and", conditions, negations.
2. Each action is matched against every operator's own phrasings (`match.SkillMatcher`); the best
   operator is planned if its score reaches the calibrated acceptance threshold. An action that
   matches nothing is *shown back* ("I did not understand: ...", with the nearest skills), never dropped
   silently; an empty plan is never a success (the workflow refuses it).
3. Parameters come from the words and the data (`params`): numbers with comparatives, fractions,
   languages, named columns, conditions ("only where rating is 1 or 2" -> where_column/where_min/max),
   "hard problems" (a difficulty score first, then a calibrated where_min), reader units ("pages").
4. Request-wide constraints: negated actions remove what they name; "do not throw any rows away" keeps
   filters and deduplicators out (measuring operators stay); "leave the replies as they are" keeps
   rewriting off that column.
5. Steps are ordered by each operator's pipeline stage (metadata), the user's order breaking ties.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from tilth.agent.actions import (
    BACK_AT_THEM,
    BY_LLM,
    DATA_REFERENCE,
    GENERIC,
    KEEP_ALL,
    MEASURE,
    MEASURE_ONLY,
    NO_LLM,
    NUMBER_WORD,
    PREPARING,
    PRESERVE,
    VERBS,
    WISH,
    Action,
    ParsedRequest,
    _verb,
    lead_verb,
    parse,
    refuses_job,
    relativise,
    starts_with_verb,
)
from tilth.agent.bounds import (
    KEEPING,
    SPARING,
    TEXT_UNITS,
    _dated_bounds,
    _in_sample_range,
    _ranged_columns,
    _removal,
    _scale_bounds,
    _scope_bounds,
    _selects_rows,
    _with_data_year,
    _year_bounds,
)
from tilth.agent.columns import (
    ID_LIKE,
    MONEY_NAMES,
    _categorical,
    _count_columns,
    _dated,
    _few_values,
    _holds_label,
    _html_column,
    _label_column,
    _label_values,
    _labels,
    _money_columns,
    _numeric,
    _one_paragraph_rows,
    _record_ids,
    _seen_labels,
    _started_by,
    _string_columns,
    numeric_text,
)
from tilth.agent.countries import looks_like_codes, looks_like_country_names
from tilth.agent.coverage import unused_details
from tilth.agent.dates import bounds as date_bounds
from tilth.agent.dropped_columns import columns_dropped, names_column
from tilth.agent.figures import (
    AGGREGATE,
    AGGREGATES,
    GROUPING,
    VERSUS,
    _bounds_where,
    _context_grouping,
    _counted_kind,
    _grouping,
    _groupings,
    _length_sql,
    _only_dated,
    _query_instead,
    _sql_ident,
    _sql_literal,
    _text_measure,
    _where_sql,
)
from tilth.agent.language_column import ASKS_DETECTOR, language_column, values_for
from tilth.agent.match import COLUMN_JOB, NEW_COLUMN, ROW_NOUNS, elsewhere, job_kind
from tilth.agent.params import (
    DROP,
    ENUM,
    FLAG_WHETHER,
    LANGUAGE_NAME,
    NAMED_COLUMN,
    NOTE_WORDS,
    QUOTED,
    RANK_COMPARATIVES,
    UNIT_NAMES,
    UNITS,
    YES_NO,
    _style_phrase,
    _words,
    builtin_label,
    choices_to_params,
    column_mentions,
    column_params,
    condition_bounds,
    enumeration_to_params,
    examples_to_params,
    languages,
    listed_columns,
    literal_differences,
    literals_to_params,
    mark_languages,
    numbers_to_params,
    owner_only,
    partial_column_mentions,
    quantities,
    refused_columns,
    request_facts,
    scale_criterion,
    spell_out_numbers,
    unbounded_params,
    unknown_columns,
    unquote_labels,
    zeroed_params,
)
from tilth.agent.peek import LABEL_ROWS, DataPeek, column_kinds
from tilth.agent.plan import Plan, PlanStep, llm_note, recipe_name
from tilth.agent.retrieve import tokenize
from tilth.agent.skills import Catalogue, Skill
from tilth.agent.spelling import mend, operator_words
from tilth.agent.values import (
    _EXCEPT,
    _FILLER,
    _column_words,
    _equality,
    _excepted,
    _further_values,
    _items,
    _label_said,
    _named_values,
    _opposites_in,
    _spared_rows,
    _without_verb_said,
    _yes_value,
)
from tilth.ops.numbers import as_number, looks_numeric
from tilth.ops.process.languages import LANGUAGES, language_code

AUGMENT_QUANTILE = 0.75  # "difficult" = the top quarter of the sample by difficulty score
EASY_QUANTILE = 0.25
# Heuristic filters are tuned for web text; on other data (short math problems) their defaults can drop
# nearly everything. If a filter would drop more than FIT_MAX_DROP of the sample, each threshold is
# relaxed to the sample's FIT_QUANTILE (never tightened), and the plan says so.
FIT_MAX_DROP = 0.3
FIT_QUANTILE = 0.1
# below this median length the defaults tuned on web pages misjudge snippets: lid.176's confidence is no test of
# language (16% of 6-12-word English fortunes score under the 0.65 default, 1% of those over 30 words), and one
# changed word breaks most of a text's 5-word MinHash shingles
SHORT_TEXT_WORDS = 30
# A threshold with no default (perplexity) is set from the sample when the user gives no number.
UNSET_QUANTILE = 0.1
DROPS = ("filter", "deduplicator")
LLM_MARGIN = 0.05  # without an endpoint, an LLM operator must beat local ones by this much
STATEMENT_MARGIN = 0.1
QUALIFIER_MARGIN = 0.15  # a clause that sets a parameter of the step before is a job of its own only if it matches well
NOVEL_MARGIN = 0.2  # an action with a word nobody knows is planned only if it matches clearly anyway
INHERITED_MARGIN = 0.15  # a clause with a borrowed verb restates the job before it unless it clearly names another
UNFILLABLE_MARGIN = 0.2  # an operator missing a required value (a model name) yields to one this close that needs none
RESTATE_MARGIN = 0.05  # an action whose best operator barely beats a planned one of its kind restates that job
CANNOT_MARGIN = 0.1  # a runner-up this close that can do what the best match's metadata says it cannot takes its place
LANGUAGE_PRIOR = 0.15  # a language name in the action favours operators with a `languages` parameter
UNIT_PRIOR = 0.12  # a quantity in words or characters favours filters that count that unit
ROUND_TRIP = re.compile(r"\b(?:in)?to\s+\w+\s+and\s+back\b|\bround[- ]?trip|\bback[- ]?translat", re.I)
VIA_LANGUAGE = re.compile(r"\b(?:via|through|by way of|pivoting (?:on|through))\s+[A-Z]?[a-z]+", re.I)
POINTS_BACK = re.compile(r"\b(?:it|its|they|them|em|those|these|the ones)\b", re.I)
MEASURE_PRIOR = 0.12  # the action names the score a filter writes ("perplexity", "IFD")
NEAR_PRIOR = 0.1  # "near-duplicates", "a word or two changed": not exact copies
NEARLY = re.compile(r"\bnear[- ]?(?:dup\w*|identical|copies|copy|repeats?)\b|\b(?:nearly|almost|basically|virtually)[\s-]+"
                    r"(?:identical|the same)\b|\bfuzzy\b|\b(?:a\s+)?(?:word|few words|character|letter)\s+or\s+two\s+"
                    r"(?:(?:was|were|is|are|got|has\s+been|have\s+been)\s+)?(?:changed|different|off|apart|replaced|edited)\b",
                    re.I)
# "with a word tacked on", "the capital letter missing", "a small tweak": copies edited a little, word by word
SURFACE_EDITS = re.compile(
    r"\b(?:a|one|an extra|the)\s+(?:[\w-]+\s+)?(?:word|letter|character|comma)s?(?:\s+or\s+(?:two|so|more))?\s+"
    r"(?:(?:was|were|is|are|got|gets|has\s+been|have\s+been|being)\s+)?(?:added|tacked on|missing|changed|"
    r"dropped|swapped|removed|different|replaced|edited)\b"
    r"|\b(?:small|tiny|minor|slight)\s+(?:tweak|change|edit|difference|variation)s?\b"
    r"|\b(?:slightly|lightly)\s+(?:edited|changed|reworded|different|modified|altered)\b", re.I)
DEDUP_PRIOR = 0.1  # "collapsed to one", "keep one of each": a group of rows kept as one
RANK_PRIOR = 0.3  # "the 30 most-starred", "the hardest quarter": only a global ranking does that
LLM_ASKED_MARGIN = 0.1  # "have the LLM rate ...": an LLM operator this close to a local one's score is taken
RANK_SLACK = 0.1  # a rank operator first for a request shaped as a rank is taken this far under the threshold
RANK_MARGIN = 0.05  # "the 3 longest delays": a rank operator this close to the best match is the job
LLM_PRIOR = 0.08  # "have the LLM rate ...", "with a judge model": the operators that ask a language model
LABELS = frozenset("tag label detect identify annotate mark classify categorise categorize flag score rate grade".split())
# "the top 30%", "the 100 best", "the bottom tenth": rows picked by rank, by a score the plan may just have made
RANKED = re.compile(r"\b(?:top|bottom|best|worst|highest|lowest|most|least)\b", re.I)
# "the hardest quarter", "the 30 most-starred", "the harder half", "the bottom 10%": a share or a count of rows
# chosen by rank, which only a global ranking (top_filter) keeps exactly; never a bound on the column
_RANK_ADJ = (r"top|bottom|best|worst|highest|lowest|hardest|easiest|longest|shortest|largest|smallest|biggest|newest|"
             r"oldest|latest|earliest|cleanest|noisiest|cheapest|quickest|fastest|slowest|heaviest|lightest|priciest|"
             r"costliest|youngest|closest|nearest|farthest|furthest|lengthiest|briefest|deepest|shallowest|tallest|"
             r"hottest|coldest|warmest|busiest|quietest|loudest|"
             r"most[\s-]+[\w-]+|least[\s-]+[\w-]+|fewest[\s-]+[\w-]+")
_COUNT = rf"\d[\d,]*|{NUMBER_WORD}"
RANK_SHARE = re.compile(
    rf"\b(?:{_RANK_ADJ}|{RANK_COMPARATIVES})\s+(?:half|third|quarter|fifth|tenth|\d+(?:\.\d+)?\s*(?:%|percent))(?![\w-])"
    rf"|\b(?:top|bottom)\s+(?:{_COUNT})\b"
    rf"|\b(?:{_COUNT})\s+(?:{_RANK_ADJ})\b"
    # "the 15 applicants offering the most hours per week", "the 10 incidents with the highest repair cost"
    rf"|\bthe\s+(?:{_COUNT})\s+(?:[\w'-]+\s+){{1,5}}?(?:with|having|offering|showing|by|(?:that|which|who)\s+(?:have|has|"
    rf"had|offer|offers|took|take|takes|needed|need|needs|spent|got|get|gets))\s+(?:the\s+)?(?:most|highest|largest|"
    rf"biggest|greatest|lowest|fewest|least|smallest|longest|shortest)\b"
    # "which 5 rides cost the most?", "the 3 talks that lasted the longest": a verb, then the superlative
    rf"|\b(?:the|which|what)\s+(?:{_COUNT})\s+(?:[\w'-]+\s+){{0,4}}?(?:(?:that|which|who)\s+)?[a-z]+\s+the\s+(?:most|"
    rf"least|longest|shortest|highest|lowest|fewest|biggest|largest|greatest|smallest|best|worst)\b", re.I)
# "the 3 cheapest", "the 10 most recent", "top 5": a count of rows picked by a superlative
RANK_COUNT = re.compile(rf"\b(?:top|bottom|the)\s+(?:{_COUNT})\s+(?:{_RANK_ADJ})(?![\w-])"
                        # ("which 3 rides lasted the longest": the superlative after a verb)
                        rf"|\b(?:the|which|what)\s+(?:{_COUNT})\s+(?:[\w'-]+\s+){{0,4}}?(?:(?:that|which|who)\s+)?[a-z]+\s+"
                        rf"the\s+(?:most|least|longest|shortest|highest|lowest|fewest|biggest|largest|greatest|smallest|"
                        rf"best|worst)\b", re.I)
SCORE_NAME = re.compile(r"score|quality|difficult|perplexity|ppl|^n_|count|rating|ifd|loss", re.I)
# words of a filter that drops ("... are to be kept": said in the passive)
KEEP = re.compile(r"\b(?:keep|retain|only|just|leave only|filter|select|(?:be|are|is)\s+(?:kept|retained))\b", re.I)
HARD = re.compile(r"\b(?:hard(?:er|est)?|difficult|challenging|tough|tricky|complex|advanced)\b", re.I)
EASY = re.compile(r"\b(?:easy|easier|easiest|simple|simplest|trivial|basic)\b(?! (?:dataset|data set|statistic|stats))",
                  re.I)
# rows without a value of the column just bounded, kept: "the ones that have no score", "chats nobody rated"
KEEP_NULL = re.compile(r"\b(?:keep|leave|retain|stay|stays|remain|include)\b.*\b(?:(?:have|has|had|having|with)\s+no\s+|without\s+(?:any\s+|a\s+)?"
                       r"|(?:don'?t|do not|doesn'?t|does not|didn'?t|did not)\s+(?:have|has|get|got)\s+(?:a\s+|any\s+|an\s+)?"
                       r"|nobody\s+|no one\s+|never\s+|not\s+(?:yet\s+)?|un)(?:score|rat|valu|grad|label|tag)\w*"
                       r"|\b(?:no|without|missing)\s+(?:a\s+|an\s+|any\s+)?[\w-]+\b.*\b(?:keep|stay|remain|kept)\b", re.I)
MEASURES_ONLY = "; it only measures here: every row passes"
# junk said to sit inside the texts, not to be whole rows ("invisible junk between the words")
WITHIN_TEXT = re.compile(r"\b(?:between|inside|within|in\s+the\s+middle\s+of|in\s+between)\s+(?:the\s+|their\s+|its\s+)?"
                         r"(?:words|lines|sentences|paragraphs|letters|characters|text)\b", re.I)
# repeats that are not one word within a text: n-grams, lines ("the same phrase over and over"), or rows like
# other rows ("solutions that are almost word for word the same": near-duplicates)
OTHER_REPEATS = re.compile(r"\b(?:same|repeated|repeating|duplicated?)\s+(?:phrases?|sentences?|lines?|paragraphs?|n-?grams?)\b"
                           r"|\bword[\s-]+for[\s-]+word\b|\b(?:almost|nearly|basically|virtually)\s+(?:the\s+)?(?:same|identical|dup\w*|cop(?:y|ies)|repeat\w*)\b|\bdup\w*|\bcop(?:y|ies)\b|"
                           r"\bidentical\b|\brepeated\s+(?!words?\b)[a-z]+s\b|\bmore\s+than\s+once\b|\b(?:exact|very)\s+same\b|"
                           r"\btwice\b|\bre-?(?:past|sen[dt]|post|submi|upload)\w*", re.I)  # ("the repeated comments", "re-pastes")
# a length said: junk by its size, which junk_filter never judges ("one-word replies", "anything short")
LENGTH_WORDS_SAID = re.compile(r"\b(?:one|two|three|single|\d+)[\s-]+(?:or\s+(?:two|three|\d+)[\s-]+)?words?\b|"
                               r"\bshort(?:er|est)?\b|\btiny\b", re.I)
# bits stripped out of each text ("strip cookie banners and 'Buy tickets' bits out of the descriptions"): a line cleaner's
STRIPPED_FROM = re.compile(r"\b(?:strip|cut|trim|snip)\w*\b.*\b(?:out\s+of|from)\s+(?:the|each|every|all)\s+(?:[a-z]+\s+)?[a-z]+s\b",
                           re.I)
# a value put in place of another: a rewrite, never a removal of rows ("names swapped for a placeholder")
REPLACED = re.compile(r"\b(?:swap\w*|replac\w*|substitut\w*|mask\w*|turn\w*\s+into|chang\w*\s+(?:to|into))\b", re.I)


class OfflinePlanner:
    name = "offline"

    def __init__(self, catalogue: Catalogue, llm_available: bool = False):
        self.cat = catalogue
        self.llm_available = llm_available
        self._matcher = None
        self._vocab = None  # operator_words(self.cat.skills), built on first use
        self._op_vocab: set[str] = set()  # the same without saved pipelines (see plan)
        self.unrenamed: list[tuple[str, str]] = []
        self.text_noun: re.Pattern | None = None  # the text column's own name, where no operator's words know it

    @property
    def novelty(self):
        """Words no operator and no dictionary knows ("sympy", "Zendesk"): see `novelty.py`."""
        if getattr(self, "_novelty", None) is None:
            from tilth.agent.actions import MEASURE, VERBS
            from tilth.agent.match import phrasings
            from tilth.agent.novelty import NoveltyCheck

            texts = [f"{sk.search_text()} {' '.join(phrasings(sk))} "
                     + " ".join(str(c) for p in sk.meta.get("params", []) for c in (p.get("choices") or []))
                     for sk in self.cat.skills]
            self._novelty = NoveltyCheck(texts, set(LANGUAGES) | set(VERBS) | set(MEASURE))
        return self._novelty

    @property
    def matcher(self):
        if self._matcher is None:
            from tilth.agent.match import SkillMatcher

            self._matcher = SkillMatcher(self.cat, use_embeddings=self.cat.use_embeddings)
        return self._matcher

    # -- planning --------------------------------------------------------------------------------------
    def plan(self, request: str, data: DataPeek, name: str | None = None) -> Plan:
        plan = Plan(request=request, name=name or recipe_name(request), input=data.input_spec(), planner=self.name)
        saved = self._saved_pipeline(request)
        if saved is not None and (changed := _kinds_changed(saved, data)):
            # (planned on a file whose "stars" was text because of one "five": its plan was no plan for numbers)
            plan.notes.append(f"did not reuse saved pipeline skill {saved.name!r}: it was planned on data where "
                              + "; ".join(f"{c} held {was} (here: {now})" for c, was, now in changed))
            saved = None
        if saved is not None:
            plan.notes.append(f"reused saved pipeline skill {saved.name!r} (its request: "
                              f"{saved.meta.get('request', '')!r})")
            for st in saved.meta["steps"]:
                plan.steps.append(PlanStep(op=st["op"], params=dict(st["params"]), why=f"step of saved pipeline {saved.name}",
                                           intent="saved"))
            plan.questions = [dict(q) for q in saved.meta.get("questions", [])]
            self.finish(plan, data)
            return plan
        if self._vocab is None:  # the words of this planner's own catalogue (saved and generated skills too)
            self._vocab = operator_words(self.cat.skills)
            # (not a saved pipeline's: its request's words are the user's, about the data: "redact emails in the
            # abstracts" saved made "abstract" an operator word, and "label each abstract's level" not understood)
            self._op_vocab = set(operator_words([s for s in self.cat.skills if s.kind != "pipeline"]))
        # "drop short motivations": a name for the texts that no operator's words know ("reviews" they do)
        field = (data.text_field or "").lower()
        self.text_noun = re.compile(rf"\b{re.escape(field)}(?:s|es)?\b", re.I) \
            if re.fullmatch(r"[a-z]{3,}", field) and not {field, f"{field}s", f"{field}es"} & self._op_vocab else None
        mended = mend(request, list(data.columns), self._vocab)
        if mended != request:  # "thow out revews" -> "throw out reviews", said so the user can check it
            fixed = [f"{a!r} as {b!r}" for a, b in zip(request.split(), mended.split(), strict=True) if a != b]
            plan.notes.append(f"read {', '.join(fixed)}")
        mended = _column_headed(mended, list(data.columns))
        if (spelled := _labels_abbreviated(mended, data)) != mended:  # ("except PE and special ed")
            plan.notes.append(f"read {spelled!r}")
            mended = spelled
        mended = re.sub(r"`([^`\n]{1,60})`", r"\1", mended)  # ("broken down by `product`": code quotes name a column)
        # (a column the request renames may be listed under its new name: "rename comment to feedback and keep
        # just booking_id, room, rating and feedback")
        renamed = [m[2] for m in RENAME.finditer(mended) if m[1].lower() in {c.lower() for c in data.columns}] + [
            next(g for g in m.groups() if g) for m in NAMED_COLUMN.finditer(mended)]  # ("into a new column called summary")
        parsed = parse(_column_list(mended, list(data.columns) + renamed), _label_values(data))
        self.compose(plan, parsed, data)
        self._extract_html_first(plan, data)
        self._text_from_markup(plan, data)
        self.finish(plan, data)
        for detail in unused_details(plan, parsed, data):  # "orders over £50 placed in March": the date step only
            plan.notes.append(f"no planned step uses {detail}: that part of the request is not done. Rephrase it "
                              f"(name the column), or edit the plan.")
            plan.unmatched.append(detail)
        return plan

    def _text_from_markup(self, plan: Plan, data: DataPeek) -> None:
        """html_extract writes `text`: a column the input renames to `text` (a page's `title`, picked because the
        body is markup) would be overwritten, so it keeps its own name, and the page title html_extract finds
        goes nowhere when the data has a column of that name."""
        step = next((st for st in plan.steps if st.op == "html_extract"), None)
        renamed = plan.input.get("text")
        if step is None or step.params.get("text_field", "text") != "text" or not renamed \
                or step.params.get("html_field") in ("text", renamed):
            return
        plan.input.pop("text")
        for p in self.cat.by_name["html_extract"].meta.get("params", []):
            if p["name"] not in step.params and p["name"] != "text_field" and p["name"].endswith("_field") \
                    and p["default"] in data.columns and "None" in str(p["type"]) and p not in column_params(self.cat.by_name["html_extract"]):
                step.params[p["name"]] = None
        plan.notes.append(f"{renamed!r} keeps its name: html_extract writes `text` from {step.params.get('html_field', 'html')!r}")

    def _extract_html_first(self, plan: Plan, data: DataPeek) -> None:
        """Pages whose only text is their markup (url, html, status): a step that reads `text` needs html_extract
        before it, which writes `text` from the markup."""
        if data.text_field is not None or any(st.op == "html_extract" for st in plan.steps) or "html_extract" not in self.cat.by_name:
            return
        markup = next((c for c in data.columns if _html_column(c, data)), None)
        if markup is None or not any("text" in self._reads(st) for st in plan.steps):
            return
        plan.steps.insert(0, PlanStep(op="html_extract", params={} if markup == "html" else {"html_field": markup},
                                      why=f"the text of this data is HTML ({markup!r}): it is extracted first",
                                      intent="extract"))
        plan.notes.append(f"the text is HTML in column {markup!r}, so html_extract writes `text` from it first")

    def _languages_of_rows(self, action: Action, data: DataPeek) -> list[str]:
        """Languages a selection names its rows by ("english comments only", "the French notes"), where no column
        of the data holds them (a language column is a label: value_filter) and no translation is asked for."""
        if "lang_id" not in self.cat.by_name or re.search(r"\b(?:translat\w*|into|in\s+to)\b", action.full, re.I):
            return []
        codes = [c for c in languages(action.full) if re.search(
            rf"\b(?:{(names := '|'.join(n for n, v in LANGUAGES.items() if v == c))})(?:[\s-]+(?:language|only|speaking))?"
            rf"\s+(?:[a-z_]+\s+)?(?:ones|rows|{'|'.join(map(re.escape, _column_words(data.text_field)))}|[a-z]+s)\b"
            rf"|\b(?:written|composed|that\s+are|which\s+are|are)\s+in\s+(?:{names})\b",  # ("... written in English")
            action.full, re.I)]
        held = {str(v).lower() for c in data.columns for r in data.rows if isinstance(v := r.get(c), str) and len(v) <= 12}
        return [c for c in codes if c not in held and not any(n in held for n, v in LANGUAGES.items() if v == c)]

    def _value_steps_among(self, plan: Plan, action: Action, bounds: list[tuple[str, dict]], data: DataPeek,
                           among: tuple[str, list] | None, spared: bool) -> None:
        """A value step per (column, bounds), each applied only among the rows whose `among` column holds its values
        (or, `spared`, to every row but those): "drop the hot desk bookings from before March", "remove audits where
        more than 3 draughts were found unless a heat pump was recommended"."""
        for column, limits in bounds:
            before = len(plan.steps)
            self._value_step(plan, action, column, limits, data)
            for step in plan.steps[before:] if among is not None else ():
                step.params.update({"where_column": self._pipeline_col(among[0], data), "where_values": among[1],
                                    **({"where_not": True} if spared else {})})
                step.why += f"; {'except' if spared else 'only'} among rows whose {among[0]} is " \
                            f"{' or '.join(map(str, among[1]))}"

    def _reads(self, step: PlanStep) -> set[str]:
        op = _built(step)
        return set(op.input_columns()) if op is not None else set()

    def compose(self, plan: Plan, parsed: ParsedRequest, data: DataPeek) -> None:
        """Fill `plan` from the parsed request: constraints first, then one step per understood action."""
        _kept_scopes(parsed)
        columns = list(data.pipeline_columns)
        known = list(data.columns) + sorted(_label_values(data))  # words of the data, not unknown things ("api": a topic)
        # (and the words of its short values: "the posts from blog:cocinaencasa" names a source)
        known += sorted({w for c in data.columns if c != data.text_field for r in data.rows
                         if isinstance(v := r.get(c), str) and len(v) <= 60 for w in re.findall(r"[a-z][a-z0-9]+", v.lower())})
        self.request = parsed.text  # the whole request, for words one clause borrows from another
        self.siblings = ""  # the other jobs of the sentence being planned (see the loop below)
        self.unrenamed: list[tuple[str, str]] = []  # renames of the text column to `text` (see _reshape_params)
        self.planning = plan  # (its steps' new columns may be kept or dropped by name: see _reshape_params)
        # near copies said in a statement no job of the request holds ("dedupe the comments - same text posted twice
        # or nearly the same with a word or two different should count as one"): what the dedup must catch
        self.near_said = NEAR_COPIES.search(parsed.text) is not None and not any(
            NEAR_COPIES.search(a.full) for a in parsed.actions if a.asks and not a.negated)
        # copies that differ somewhere said anywhere in the request: a near deduplicator may be meant
        self.inexact_said = any(p.search(parsed.text) for p in (NEAR_COPIES, NEARLY, SURFACE_EDITS, NOT_VERBATIM))
        preserve: set[str] = set()
        excluded: set[str] = set()
        # (rows, words, the job they are spared from or None for every job): rows steps leave alone, as asked
        exempt: list[tuple[dict, str, str | None]] = []
        others: list[str] = []  # "leave the other parties alone": the rows outside a scoped step
        for a in parsed.actions:
            if OTHERS_STAY.match(a.text):  # "..., keep everyone else": the rows outside a scoped step stay
                others.append(a.text)
                continue
            if GENUINE_SPARED.match(a.text) and any(b.asks and not b.negated and b is not a for b in parsed.actions):
                # "Don't throw away the short genuine reviews though": the removal asked must spare them, which
                # refuses no job (it had refused junk_filter, the job asked)
                plan.notes.append(f"{a.text!r}: no step of its own; the steps planned drop junk, not genuine texts")
                continue
            if not a.negated or KEEP_ALL.search(a.text):  # "do not drop any rows" is handled request-wide
                continue
            cols = [self._pipeline_col(c, data) for c in column_mentions(a.full, data.columns)]
            if PRESERVE.search(a.full) and (rows := _named_values(replace(a, condition=""), data)) is not None \
                    and rows[0] != data.text_field and a.full.lower().count(rows[0].lower()) <= 1:
                # "leave the Photography department alone": rows of one label, not the column
                # ("remove abstracts under 5 words, but leave the lightning talks alone; then dedupe": the job
                # before the "but" leaves them alone, not the dedup after it)
                before = next((b for b in parsed.actions if b.index == a.index - 1 and b.sentence == a.sentence
                               and b.asks and not b.negated), None) if a.contrast else None
                exempt.append(({"where_column": self._pipeline_col(rows[0], data), "where_values": rows[1],
                                "where_not": True}, a.text, before.full if before else None))
                continue
            if PRESERVE.search(a.full) and re.search(r"\b(?:the\s+)?(?:other|others|rest|remaining)\b", a.full, re.I):
                others.append(a.text)  # "leave the other parties alone": the rows a scoped step does not pick
                continue
            if cols and PRESERVE.search(a.full):
                preserve |= set(cols)
                plan.notes.append(f"leaving column(s) {', '.join(cols)} as they are, as asked ({a.text!r})")
                continue
            # "don't lowercase before counting distinct words": the refused job is the verb's, not the clause after it
            ranked = self.ranked(re.split(r"\s+(?:before|after|when|while|because|since|so that|as)\s+", a.text)[0])
            # "don't touch the phone numbers" refuses a choice inside a job, not the job itself
            if ranked and ranked[0][1] >= self.matcher.accept and refuses_job(a.text) and not PRESERVE.search(a.text):
                top, score = ranked[0]
                near = {s.name for s, v in ranked if s.kind == top.kind and v >= score - 0.08}
                excluded |= near
                plan.notes.append(f"not planning {', '.join(sorted(near))}, as asked ({a.text!r})")
        named_out = sorted(sk.name for sk in self.cat.skills if sk.kind != "reader" and mentioned(sk, parsed.text, refused=True))
        llm_ops = {sk.name for sk in self.cat.skills if sk.needs_llm}
        no_llm = [a for a in parsed.actions if NO_LLM.search(a.full)]
        # "no LLM for this": every operator that calls one is out; "score difficulty without a model, then
        # paraphrase the hard ones" rules it out for that job only
        if any(a.negated or _contentless(NO_LLM.sub(" ", a.full)) for a in no_llm) or (
                NO_LLM.search(parsed.text) and not no_llm):
            excluded |= llm_ops
            plan.notes.append("not planning operators that call an LLM, as asked")
        local_only = {a.index for a in no_llm}
        if named_out:  # "not those gopher/c4 heuristics"
            excluded |= set(named_out)
            plan.notes.append(f"not planning {', '.join(named_out)}, as asked")
        # operators this data gives nothing to do: "throw out boilerplate (nav menus, ...)" on forum posts has no
        # markup to parse (the next operator that fits does the job, of whatever kind)
        self.inapplicable = set() if any(_html_column(c, data) for c in data.columns) else {"html_extract"}
        self.preserve = preserve
        self.refused = " ".join(a.full for a in parsed.actions if a.negated)
        last: dict[int, tuple[PlanStep, Action]] = {}  # the last step planned from each sentence
        column_lists: set[int] = set()  # sentences whose list of columns is planned (_bare_column_list)
        said = ""  # statements that matched nothing: "these pages are nearly the same. Keep one of each."
        unsupported: Action | None = None  # the last action no operator can do, for the fragments that go with it
        pending: tuple[set[int], dict] = (set(), {})  # (steps before it, rows) of an action whose job has a scope
        phase, self._phases = 0, {}  # (how many "then"s came before the action each step serves)
        for a in parsed.actions:
            for st in plan.steps:
                self._phases.setdefault(id(st), phase)
            phase += a.after
            before = parsed.actions[a.index - 1] if a.index > 0 else None
            if GENUINE_SPARED.match(a.text) and any(b.asks and not b.negated and b is not a and _removal(b.full)
                                                    for b in parsed.actions):
                continue  # ("Keep genuine short questions though, those are fine": said while asking for removals)
            if not a.inherited and GENERIC_CLEAN.match(a.full) and any(
                    b.asks and not b.negated and b.sentence > a.sentence for b in parsed.actions):
                continue  # ("Hey, could you clean up the rental log for me? Get rid of ...": the sentences after say how)
            if a.asks and not a.negated and not starts_with_verb(a.text) and before is not None \
                    and before.sentence == a.sentence and _removal(before.text) and lacked(a.text):
                # "toss the Spanish/French ones and the ones with no notes at all": rows of their own to drop
                a = replace(a, text=f"drop {a.text}")
            # the columns another job of its sentence drops or keeps are that job's ("redact emails ..., then drop
            # the apprentice column": the redaction does not read `apprentice`)
            self.siblings = " ".join(b.text for b in parsed.actions if b.sentence == a.sentence and b is not a
                                     and b.asks and not b.negated and COLUMN_JOB.search(b.text))
            near_step = last.get(a.sentence) or last.get(a.sentence - 1)
            if a.negated and near_step is not None:  # "..., but don't put any cap on the length": a bound off
                # ("- no blank lines at all": a limit of none)
                off = unbounded_params(self.cat.by_name[near_step[0].op], a.full) \
                    or zeroed_params(self.cat.by_name[near_step[0].op], a.full)
                if off:
                    _merge(near_step[0].params, off, overwrite=True)
                    near_step[0].why += f"; {a.text!r}"
                    continue
            if near_step is not None and near_step[0].op == "value_filter" and KEEP_NULL.search(a.full) \
                    and not _removal(a.full):  # "..., but keep the ones that have no score", "unrated chats stay"
                named = set(column_mentions(a.full, list(data.columns)) + partial_column_mentions(a.full, list(data.columns)))
                target = next((st for st in reversed(plan.steps) if st.op == "value_filter"
                               and st.params.get("column") in named), near_step[0])  # ("no weight recorded": weight_kg)
                target.params["keep_null"] = True
                _also(target, a.text)
                continue
            if a.negated or (parsed.keep_all_rows and KEEP_ALL.search(a.full)) or a.text in others:
                continue  # constraints, not jobs
            if near_step is not None and BACK_AT_THEM.match(a.text) and re.match(r"\W*(?:keep|give|show|return)", a.text, re.I):
                _also(near_step[0], a.text)  # "which 3 got the biggest offers? Give me just those rows."
                continue
            if near_step is not None and KEEPS_ORIGINAL.search(a.full) and _contentless(KEEPS_ORIGINAL.sub(" ", a.full)) \
                    and (rewrite := self.cat.by_name.get(near_step[0].op)) is not None and rewrite.kind == "mapper" \
                    and rewrite.param("output_field") and "output_field" not in near_step[0].params:
                # "rewrite each comment as ..., but keep the original comment too": the rewrite goes to a new column
                near_step[0].params["output_field"] = _beside_original(near_step[0].params)
                _also(near_step[0], a.text)
                continue
            if near_step is not None and near_step[0].op == "llm_translate" and TRANSLATION_ONLY.search(a.full):
                # "Translate the whole dataset into German and keep the German version only": in place, no filter
                near_step[0].params.pop("output_field", None)
                _also(near_step[0], a.full.strip(" ,"))
                continue
            if (g := GROUPING.fullmatch(a.text.strip(" ,"))) and column_mentions(g[1], list(data.columns)) and any(
                    b.sentence == a.sentence and b is not a and AGGREGATE.search(b.full) for b in parsed.actions):
                continue  # "for each track, tell me the average budget": the figure's grouping, said first
            _scope_steps(plan, *pending, self.cat)  # the steps the action before made, restricted to its rows
            pending = ({id(st) for st in plan.steps}, self._filter_scope(a, data) if a.asks else {})
            if pending[1]:  # "drop tickets under 5 words, only for billing": the rest of the clause is the job
                a = replace(a, condition="")
                if dangling := DANGLING_EXCEPT.search(a.text):
                    # ("drop the Fall 2023 evals except the ones where the student would recommend the course": the
                    # rows the condition names are spared, not the only ones the job applies to)
                    pending = (pending[0], {**pending[1], "where_not": True})
                    a = replace(a, text=a.text[: dangling.start()])
            # ("keep only the urgent requests ..., except the heating ones - keep all of those": the keep applies to
            # the other rows; "keep articles from sources other than blogspot" is no exception)
            elif a.asks and (_removal(a.text) or (starts_with_verb(a.text) or KEEPING.match(a.text))
                             and (not KEEPING.match(a.text) or KEEP_THOSE.search(plan.request))) \
                    and (m := EXCEPT.search(a.condition) or EXCEPT.search(a.text)) \
                    and (not _contentless(head := a.text[: m.start()] if m.string == a.text else f"{a.text} {a.condition}")
                         or _named_values(Action(head, "", False, True, 0, 0), data) is not None) \
                    and (rows := _named_values(Action(m[1], "", False, True, 0, 0), data)) is not None \
                    and rows[0] != data.text_field:  # "drop reviews under 8 words, except the headphones ones",
                # "redact phone numbers except in the driver rows", "remove ... whose text is empty, except for kitchen",
                # "drop unresolved tickets unless they are P1"
                # ("keep articles from sources other than blogspot": blogspot goes, see _equality)
                pending = (pending[0], {"where_column": self._pipeline_col(rows[0], data), "where_values": rows[1],
                                        "where_not": True})
                a = replace(a, text=a.text[: m.start()].rstrip(" ,")) if m.string == a.text else \
                    replace(a, condition=a.condition[: m.start()].rstrip(" ,"))
                # ("drop the Fall 2023 evals except the ones | where the student would recommend the course": the
                # words before the condition point at it)
                a = replace(a, text=DANGLING_EXCEPT.sub("", a.text))
            # ("only kettle and headphones reviews": the verb-less second half goes on with the first)
            goes_on = near_step is not None and near_step[0].op == "value_filter" and near_step[1].sentence == a.sentence \
                and not starts_with_verb(a.text)
            if a.asks and not a.negated and (saying := ADD_SAYING.search(a.full) or (
                    ADD_SAYING_IN.search(a.full) if re.search(r"\b(?:column|field)\b", a.full, re.I) else None)) \
                    and "llm_rewrite" in self.cat.by_name and "llm_rewrite" not in excluded:
                # "add a column giving a short one-line reason for the delay based on the captain's remark": the model
                # writes that, from that column, into a column of its own
                src = column_mentions(saying["src"] or "", data.columns)  # ("the captain's remark": the remark, whose)
                head = data.text_field if data.text_field in src else (src[-1] if src else data.text_field)
                field = self._pipeline_col(head, data) if head else "text"
                name = "_".join([w for w in re.findall(r"[a-z]+", saying["what"].lower()) if w not in SAYING_FILLER][:3]) \
                    or "llm_note"
                step = self.add(plan, self.cat.by_name["llm_rewrite"], a, data, columns,
                                why=f"writes {saying['what']!r} for each row into {name}, from {field}, as {a.text!r} asks")
                step.params.update({"text_field": field, "task": "tone", "style": saying["what"].strip(" ,."),
                                    "output_field": name})
                last[a.sentence] = (step, a)
                continue
            if a.asks and not a.negated and not parsed.keep_all_rows and (n := _random_count(a.full)) \
                    and "top_filter" in self.cat.by_name:
                # "randomly sample 20 of what's left", "give me 50 random episodes": exactly that many rows at random
                # (top_filter's keep=random: a seeded draw per row, the rows with the 20 lowest draws)
                if (among := _equality(a, data) or _named_values(a, data)) is not None:
                    # ("10 random Garden Talk episodes"; "10 audits, except ones from Old Town": those go first;
                    # "8 rows, only where status is checkout and the issue_found is false": both)
                    gone = among[2] if len(among) > 2 else False
                    self._value_step(plan, a, among[0], {"drop_values" if gone else "values": among[1]}, data)
                    for column, values, _ in _further_values(a, data, (among[0],)):
                        self._value_step(plan, a, column, {"values": values}, data)
                for column, dates in _dated_bounds(a, data, selecting=True):  # ("... sessions held in April 2024")
                    self._value_step(plan, a, column, dates, data)
                # ("5 random sessions with attendance over 15": the count is no bound; the drop of a removal is)
                bare = replace(a, text=re.sub(rf"^.*?\b{n}\b", "keep", a.text, count=1))
                for column, bounds in _ranged_columns(bare, data) if not _removal(a.full) else ():
                    self._value_step(plan, a, column, bounds, data)
                plan.steps.append(PlanStep(op="top_filter", params={"count": n, "keep": "random"}, intent=a.text,
                                           why=f"keeps {n} rows at random (a seeded draw per row), as {a.text!r} asks"))
                continue
            if a.asks and (tpl := _template(a.full, data)) and "llm_template_synthesis" in self.cat.by_name \
                    and "llm_template_synthesis" not in excluded:
                # "fill the pattern 'What do buyers who gave the $product $stars stars say?' from its columns"
                step = self.add(plan, self.cat.by_name["llm_template_synthesis"], a, data, columns,
                                why=f"fills the template {tpl!r} from each row's columns, as {a.text!r} asks",
                                given={"template": tpl})
                step.params["template"] = tpl
                last[a.sentence] = (step, a)
                continue
            if near_step is not None and near_step[0].op == "llm_template_synthesis" and near_step[1].sentence == \
                    a.sentence and re.search(r"\banswer", a.full, re.I) and not DROP.search(a.full):
                _also(near_step[0], a.text)  # "..., and have the model answer it": the template's response
                continue
            by_rank = RANK_SHARE.search(a.full) is not None  # "the 30 most-starred": a rank, not "at least 30"
            if by_rank and not parsed.keep_all_rows and "value_filter" not in excluded \
                    and (among := _equality(a, data) or self._rank_subset(plan, a, data)) \
                    and not ((gone := among[2] if len(among) > 2 else False) and _removal(a.full)) \
                    and not (all(isinstance(v, bool) for v in among[1])
                             and re.search(rf"\bto\s+{re.escape(among[0].lower()[:5])}", a.full, re.I)):
                # (a yes/no named by the verb of the rank's measure is no subset: "the 10 tickets that took the
                # longest to resolve" ranks every ticket)
                # "the 10 highest rated reports from the Desert and Coast regions": the rank among those rows;
                # "the 5 calls with the longest delay_hours, except hazmat cargo": among the others
                self._value_step(plan, a, among[0], {"drop_values" if gone else "values": among[1]}, data)
            if by_rank and not parsed.keep_all_rows and "value_filter" not in excluded and not _removal(a.full):
                # "give me the 10 sailings with the most passengers between March 1 and April 30 2025": the rank
                # among those days (a removal by rank is left to rank every row)
                for column, dates in _dated_bounds(a, data, selecting=True):
                    self._value_step(plan, a, column, dates, data)
                    # (the rank is by the other words: "the 3 longest delays", not by the date)
                    a = replace(a, text=_without_dates(a.text), condition=_without_dates(a.condition))
            elif by_rank and _removal(a.full) and (within := _dated_bounds(a, data, selecting=True)):
                # "drop the 5 sailings with the longest delay in January 2025": the rank operator ranks every row;
                # that part is said, never dropped silently
                plan.unmatched.append(a.full)
                plan.notes.append(f"top_filter ranks every row: the rank within {within[0][0]} "
                                  f"{within[0][1].get('min', '')}..{within[0][1].get('max', '')} in {a.full!r} is not "
                                  "done (the rows chosen may lie outside it). Split the data by date first, or "
                                  "rank all rows.")
                a = replace(a, text=_without_dates(a.text), condition=_without_dates(a.condition))
            sampled = SUBSET.search(a.full) and a.asks and "sample_filter" in self.cat.by_name and not pending[1] \
                and (rows := _named_values(a, data)) is not None and rows[0] != data.text_field
            if sampled and REST_KEPT.search(parsed.text):  # "a 25% sample of the routine visits, but keep all the
                # urgent ones": the sample is drawn from those rows, the others stay
                pending = (pending[0], {"where_column": self._pipeline_col(rows[0], data), "where_values": rows[1]})
            elif sampled:  # "a 10% sample of the cat visits": those rows, then a sample of them
                self._value_step(plan, a, rows[0], {"values": rows[1]}, data)
            if a.asks and not parsed.keep_all_rows and "value_filter" not in excluded and (
                    KEEPING.match(a.full) or _removal(a.full)) and (labelled := self._planned_label(plan, a)):
                # "tag each review as quality, delivery, price or other, then keep only the ones tagged quality": a
                # label the model writes, not the data's (nor a quality classifier's job)
                key = "drop_values" if _removal(a.full) else "values"
                last[a.sentence] = (self.add(plan, self.cat.by_name["value_filter"], a, data, columns,
                                             why=f"{'drops' if key == 'drop_values' else 'keeps'} {labelled[0]} = "
                                                 f"{' or '.join(map(repr, labelled[1]))}, as {a.text!r} says",
                                             given={"column": labelled[0], key: labelled[1]}), a)
                last[a.sentence][0].params.update({"column": labelled[0], key: labelled[1]})
                continue
            equal = None if parsed.keep_all_rows or "value_filter" in excluded or by_rank or sampled \
                else _equality(a, data, goes_on)
            if equal is not None and AGGREGATE.search(a.full) and VERSUS.search(a.full) \
                    and _grouping(a.full, data) == equal[0]:
                equal = None  # "average price of e-bikes vs city bikes": a figure per label, no rows chosen
            if equal is None and not parsed.keep_all_rows and "value_filter" not in excluded and _removal(a.full) \
                    and (spared := _spared_rows(a, data)) is not None:
                # "get rid of all the pothole reports, except the severity 5 ones": the removal, and the rows it spares
                (col, vals), (s_col, s_vals) = spared
                step = self._value_step(plan, a, col, {"drop_values": vals}, data)
                step.params.update({"where_column": self._pipeline_col(s_col, data), "where_values": s_vals,
                                    "where_not": True})
                if _misspelled_labels([col], data):
                    step.params["loose_labels"] = True
                step.why += f"; except rows whose {s_col} is {' or '.join(map(str, s_vals))}"
                last[a.sentence] = (step, a)
                continue
            if equal is not None and not equal[2] and (kept := next(
                    (st for st in plan.steps if st.params.get("where_column") == self._pipeline_col(equal[0], data)
                     and not st.params.get("where_not") and st.params.get("where_values")
                     and not {str(v).lower() for v in equal[1]} & {str(v).lower() for v in st.params["where_values"]}),
                    None)):  # "..., but keep all the urgent and emergency ones": the rows the step before leaves alone
                _also(kept, a.text)
                continue
            # (not the verb-less rest of the removal's own list: "Everything except flat tires and mechanical faults")
            if equal is not None and not equal[2] and not goes_on and (gone := next(
                    (st for st in plan.steps if st.op == "value_filter" and st.params.get("column") ==
                     self._pipeline_col(equal[0], data) and st.params.get("drop_values") and not {
                        str(v).lower() for v in equal[1]} & {str(v).lower() for v in st.params["drop_values"]}), None)):
                # "drop the claims that weren't approved, but keep the ones with no decision (approved is empty)":
                # rows the drop before leaves alone already
                if "" in equal[1]:
                    gone.params["keep_null"] = True
                _also(gone, a.text)
                continue
            if equal is not None:  # "keep rows from the eu region only", "only verified reviews", "status is 200"
                column, values, dropping = equal  # "remove the billing tickets": drop_values
                # ("drop the returns and billing areas": the verb-less second half drops too)
                dropping = dropping or goes_on and "drop_values" in near_step[0].params
                if dropping and not goes_on and not _removal(a.full) and re.search(r"\bunless\b", a.full, re.I) \
                        and (required := _ranged_columns(a, data, skip=(column,)) + [
                            b for b in _dated_bounds(a, data) if b[0] != column]) \
                        and not any(not gone for _, _, gone in _further_values(a, data, (column,))):
                    # "candidates with at least 5 years of experience unless they are applying for Warehouse Lead":
                    # a requirement those rows are exempt from, not rows to drop (a label kept beside it says
                    # otherwise: "furniture requests over $200, unless they come from IT" drops IT)
                    self._value_steps_among(plan, a, required, data, (column, values), spared=True)
                    last[a.sentence] = (plan.steps[-1], a)
                    continue
                key = "drop_values" if dropping else "values"
                step = self.add(plan, self.cat.by_name["value_filter"], a, data, columns,
                                why=f"{'drops' if dropping else 'keeps'} {column} = {' or '.join(map(repr, values))}, "
                                    f"as {a.text!r} says",
                                given={"column": self._pipeline_col(column, data), key: values})
                had = step.params.get(key) or []  # "only kettle and headphones reviews": one list
                step.params.update({"column": self._pipeline_col(column, data), key: had + [v for v in values if v not in had]})
                for k in ("min", "max", "values" if dropping else "drop_values"):
                    step.params.pop(k, None)
                if "" in values:  # "where language_tag is blank": an empty value, and a missing one alike
                    step.params["keep_null"] = not dropping
                last[a.sentence] = (step, a)
                # "python and rust snippets with at least 10 stars", "... published on or after 1 June 2025"
                for other, bounds in _ranged_columns(a, data, skip=(column,)):
                    self._value_step(plan, a, other, bounds, data)
                # ("high or urgent plumbing and electrical work orders": priority and trade; "verified stays from UK
                # guests"; "medium or high severity, except anything at Northgate Lido": those go)
                # ("furniture or electronics requests, unless they come from IT": IT goes, and the others stay)
                kept_too = not dropping or not (goes_on or _removal(a.full))
                for other, values, gone in _further_values(a, data, (column,)) if kept_too else ():
                    if not {str(v).lower() for v in values} & {column.lower(), *_column_words(column)}:
                        # (but "remote roles" on `remote` is not also location = Remote)
                        self._value_step(plan, a, other, {"drop_values" if gone else "values": values}, data)
                # (the rows a removal names go; a keep with an exception keeps its dates: "only bookings from
                # March onwards, except the event space ones")
                removes = dropping and (goes_on or _removal(a.full))
                dated_text = _with_data_year(a.full, data)
                dates = date_bounds(dated_text, dropping=removes) or _year_bounds(dated_text, data, removes)
                dated = [c for c in data.columns if c != column and _dated(c, data)]
                if dates and len(dated) == 1:
                    self._value_step(plan, a, dated[0], dates, data)
                if not removes:  # ("keep 5 star reviews under 20 words"; "keep posts with at least 15 words, but not
                    # the ones from the newsletter": a keep with an exception)
                    self._length_beside(plan, a, data, columns, excluded)
                if not dropping and "lang_id" not in excluded and (codes := languages(a.full)) \
                        and not any(st.op == "lang_id" for st in plan.steps) \
                        and not any(LANGUAGE_NAME.search(str(v)) for v in values) \
                        and not set(codes) & {str(v).lower() for v in values} \
                        and not looks_like_country_names({str(v) for v in values}) \
                        and not looks_like_codes({str(v) for v in values}):
                    # (a column of language codes; "Japanese companies" on a column of countries is Japan)
                    # ("only English posts from the Dogs board": the language beside the label)
                    self.add(plan, self.cat.by_name["lang_id"], a, data, columns,
                             why=f"keeps {', '.join(codes)} texts, as {a.text!r} says", given={"languages": codes})
                continue
            if a.asks and not parsed.keep_all_rows and "value_filter" not in excluded \
                    and (held := _contained_literals(a, data)) is not None:
                # "drop rows whose url contains /de/", "except the ones whose link points to the German (/de/) part"
                col, parts, gone = held
                last[a.sentence] = (self._value_step(plan, a, col, {"drop_contains" if gone else "contains": parts},
                                                     data), a)
                continue
            if re.match(r"\W*(?:(?:and|also|plus|then)\s+)*how many\b", a.full, re.I) and \
                    (gone := [c for w in lacked(a.full) for c in column_mentions(w, list(data.columns))]):
                # ("..., and how many have no exhibition at all?")
                # "how many records have a missing grade": a count no step makes
                _query_instead(plan, a, "counts missing values",
                               f"SELECT count(*) FROM <dataset> WHERE {_sql_ident(gone[0])} IS NULL")
                continue
            if (agg := AGGREGATE.search(a.full)) and not DROP.search(a.full) and not (
                    agg[1].lower() in _EXTREMES and (RANK_SHARE.search(a.full) or RANK_COUNT.search(a.full)
                                                     or KEEPING.match(a.full) or re.search(r"\d", a.full))) and (nums := _count_said(
                    a.full[agg.end():], data) or [
                    c for c in _by_position(a.full[agg.end():], column_mentions(a.full[agg.end():], list(data.columns))
                                            + partial_column_mentions(a.full[agg.end():], list(data.columns)))
                    if (_numeric(c, data) or numeric_text(c, data) is not None
                        or agg[1].lower() in _DATE_EXTREMES and _dated(c, data))
                    and c != _grouping(a.full, data)] or _only_dated(agg, a.full, data) or _text_measure(agg, a.full, data)
                    or _money_said(a.full[agg.end():], data)):
                # ("the max minutes_spent per floor"; "the earliest and latest posting dates": the date column;
                # "the average length in words per source": the text's word count)
                # "for each city, tell me the average repair cost": a query of the output, not a step
                # ("min and max annual kwh for each dwelling type": two figures of one column)
                fns = list(dict.fromkeys(AGGREGATES[m[1].lower()] for m in AGGREGATE.finditer(
                    a.full, agg.start(), agg.end() + 30) if not re.search(r"\w", a.full[agg.end():m.start()].replace(
                        "and", "").replace("or", ""))))
                fns = fns or [AGGREGATES[agg[1].lower()]]
                # ("the average claim amount on each route": a figure's "on each" groups, as "count tokens on each
                # page" does not)
                group = _grouping(a.full, data) or _context_grouping(a, parsed.actions, data) or _grouping(
                    re.sub(r"\bon\s+(each|every)\b", r"for \1", a.full[agg.end():], flags=re.I), data)
                if group is None and (loose := _ungrouped(a.full)):  # "avg fee per animal" with no column of animals:
                    plan.unmatched.append(a.full)  # never one figure over every row, labelled as per animal
                    plan.notes.append(f"I could not tell which column {loose!r} groups by in {a.full!r} (columns: "
                                      f"{', '.join(c for c in data.columns if not c.startswith('_'))}). Name the column.")
                    continue
                g, num = (_sql_ident(group) if group else None), _sql_ident(nums[0])
                if (odd := numeric_text(nums[0], data)) is not None:
                    # ("stars": numbers and one "five", read as text: the numbers averaged, the rest left out, said)
                    num = f"TRY_CAST({num} AS DOUBLE)"
                    shown = (" (the sample also holds " + ", ".join(repr(v) for v in odd[:3])
                             + (" ..." if len(odd) > 3 else "") + ")") if odd else ""
                    plan.notes.append(f"{nums[0]} holds its numbers as text{shown}: the figure is over the rows whose "
                                      f"{nums[0]} is a number; any other value is left out of it")
                elif not _numeric(nums[0], data) and not _dated(nums[0], data):  # (a text's length, in the unit said)
                    num = _length_sql(_sql_ident(self._pipeline_col(nums[0], data)), a.full[agg.end():])
                figures = ", ".join(f"{fn}({num})" for fn in fns)
                # ("... per region where more than 3 draughts were found", "... in 2024": the rows it is over)
                over = [(c, b) for c, b in _ranged_columns(a, data) + _dated_bounds(a, data) if c != group]
                if (named := _named_values(a, data, skip=(group or "", nums[0]))) and named[0] != data.text_field:
                    over.append((named[0], {"values": named[1]}))  # ("the average annual kwh for flats")
                where = _where_sql(over)
                sql = (f"SELECT {g}, {figures} FROM <dataset>{where} GROUP BY {g} ORDER BY {g}" if group
                       else f"SELECT {figures} FROM <dataset>{where}")
                _query_instead(plan, a, f"computes {' and '.join(_FIGURE_NAMES[fn] for fn in fns)}"
                                        f"{' per ' + group if group else ''}", sql)
                continue
            counted = re.search(r"\bhow many\b|^\W*count\s+(?:up\s+)?(?:the\s+|all\s+)?(?=\S)|\b(?:the\s+)?number\s+of\s+(?:the\s+)?",
                                a.full, re.I)  # ("count the urgent requests per item category")
            if (counted or re.match(r"\W*(?:a\s+|the\s+)?counts?\s+of\b", a.full, re.I)) and not DROP.search(a.full) \
                    and len(groups := _groupings(a.full, data)) > 1 and not _named_values(a, data):
                # "count of posts per site and per language": one count per grouping (a stats step takes one)
                for g in groups:
                    _query_instead(plan, replace(a, text=f"{a.text} ({g})", condition=""), f"counts the rows per {g}",
                                   f"SELECT {_sql_ident(g)}, count(*) FROM <dataset> GROUP BY {_sql_ident(g)} "
                                   f"ORDER BY {_sql_ident(g)}")
                continue
            if (kinds := re.match(r"\W*how many\s+(?:distinct|different|unique|separate)\s+([\w-]+(?:\s+[\w-]+)?)", a.full, re.I)) \
                    and (cols := column_mentions(kinds[1], list(data.columns))
                         or partial_column_mentions(kinds[1], list(data.columns))):
                # "how many distinct episodes are there": the values of that column, counted once each
                _query_instead(plan, a, f"counts the distinct values of {cols[0]}",
                               f"SELECT count(DISTINCT {_sql_ident(cols[0])}) FROM <dataset>")
                continue
            if (amount := _amount_asked(a.full, data)) is not None:
                # "How many kg did we take in per item category?": the sum of the column in that unit, not a count
                group = _grouping(a.full, data) or _context_grouping(a, parsed.actions, data)
                num = _sql_ident(amount)
                over = [(c, b) for c, b in _ranged_columns(a, data) + _dated_bounds(a, data) if c != group]
                where = _where_sql(over)
                sql = (f"SELECT {_sql_ident(group)}, sum({num}) FROM <dataset>{where} GROUP BY {_sql_ident(group)} "
                       f"ORDER BY {_sql_ident(group)}" if group else f"SELECT sum({num}) FROM <dataset>{where}")
                _query_instead(plan, a, f"sums {amount}{' per ' + group if group else ''}", sql)
                continue
            if counted and "dataset_stats" in self.cat.by_name and not DROP.search(a.full) \
                    and (found := _named_values(a, data)) is not None and found[0] != data.text_field:
                # "how many incidents are unresolved": the rows counted by that column; per city, a query
                col, vals = found
                group = _grouping(a.full, data) or _context_grouping(a, parsed.actions, data)
                if group is None or group == col:
                    step = self.add(plan, self.cat.by_name["dataset_stats"], a, data, columns,
                                    why=f"counts the rows by {col} (the {' or '.join(map(str, vals))} ones among them), "
                                        f"as {a.text!r} asks", given={"domain_field": self._pipeline_col(col, data)})
                    step.params["domain_field"] = self._pipeline_col(col, data)
                    last[a.sentence] = (step, a)
                else:  # ("had an actual issue (anything other than "none")": the other values)
                    other = all(v != "" and _excepted(a.full, v, col) for v in vals)
                    where = f"{_sql_ident(col)} {'NOT IN' if other else 'IN'} ({', '.join(_sql_literal(v) for v in vals)})"
                    asked = "how many " + a.full[counted.end():].strip() if counted[0].lower() != "how many" else \
                        a.full[counted.start():]
                    if other:  # (the words that say which values do not count are said by the NOT IN)
                        asked = re.sub(rf"\(?\s*\b(?:anything\s+|any\s+|everything\s+)?{_EXCEPT}\b[^()]*\)?", " ", asked)
                    if kind := _counted_kind(asked, group, data):  # "failed in 2025": what the value does not say
                        known = {str(v).lower() for v in vals} | set(_opposites_in(col, kind.lower())) | set(
                            _column_words(col))  # (not `said`: the statements this loop carries)
                        if _yes_value(col, data) is not None:
                            kind = _without_verb_said(kind, col)
                        rest = " ".join(w for w in kind.split() if w.lower().strip(",.") not in known | _NEGATORS
                                        and not w.lower().endswith("n't"))  # (the value's sign says those)
                        if _counted_kind(f"how many rows {rest}", group, data):
                            where += f" AND <{rest}>"
                    g = _sql_ident(group)
                    _query_instead(plan, a, f"counts rows of one value per {group}",
                                   f"SELECT {g}, count(*) FROM <dataset> WHERE {where} GROUP BY {g} ORDER BY {g}")
                continue
            if ALL_ROWS_COUNTED.fullmatch(a.full.strip()) and _grouping(a.full, data) is None:
                _query_instead(plan, a, "counts the rows", "SELECT count(*) FROM <dataset>")  # "how many tickets"
                continue
            if counted is not None and re.match(r"\W*how many\b", a.full, re.I) and not DROP.search(a.full) \
                    and _grouping(a.full, data) is None and (kind := _counted_kind(a.full, "", data)) \
                    and (where := _bounds_where(kind, data)):
                # "how many repairs took over 30 minutes?": the rows within a bound on a column, counted
                _query_instead(plan, a, f"counts the rows that {kind}", f"SELECT count(*) FROM <dataset>{where}")
                continue
            by = _grouping(a.full, data) if "dataset_stats" in self.cat.by_name and not DROP.search(a.full) else None
            if by is None and "dataset_stats" in self.cat.by_name and re.search(r"\beach\s+(?:one|of\s+them)\b", a.full, re.I):
                by = _context_grouping(a, parsed.actions, data)  # ("..., per driver, and how many deliveries did each
                # one do?": the grouping said before)
            if by is not None and by_rank and _numeric(by, data, share=0.5):
                by = None  # "the top 5 proposals by votes": ranked by the number, not counted per vote
            if by is not None and (lead_verb(a.text) in MEASURE or MEASURE_NOUN.search(a.full) or counted is not None
                                   or re.match(r"\W*(?:(?:i\s+)?(?:just\s+)?(?:want|need|'?d like|would like)\s+to\s+"
                                               r"(?:know|see|find out|understand|learn)\s+)?(?:what|how|which)\b", a.full, re.I)):
                # "what's the distribution of departments", "how many articles per section": rows counted by a column
                if re.match(r"\W*how many\b", a.full, re.I) and (kind := _counted_kind(a.full, by, data)):
                    # "how many inspections failed in 2025, per building": some rows counted, which no step does
                    g = _sql_ident(by)
                    where = _bounds_where(kind, data, by) or f" WHERE <the rows that {kind}>"
                    _query_instead(plan, a, f"counts the rows that {kind} per {by}",
                                   f"SELECT {g}, count(*) FROM <dataset>{where} GROUP BY {g} ORDER BY {g}")
                    continue
                step = self.add(plan, self.cat.by_name["dataset_stats"], a, data, columns,
                                why=f"counts the rows by {by}, as {a.text!r} asks")
                last[a.sentence] = (step, a)
                continue
            ranged = [] if parsed.keep_all_rows or "value_filter" in excluded or equal is not None or by_rank \
                else _ranged_columns(a, data)
            if ranged and POINTS_BACK.search(a.text) and (scored := self._planned_scale(plan)):
                # "have the model score each note 1 to 5 ..., and keep the ones scoring 4+": the score just planned,
                # not the data's `score` (82-97), whose sample holds no such number
                ranged = [(scored, b) if not _in_sample_range(c, b, data) else (c, b) for c, b in ranged]
            elif not ranged and a.asks and equal is None and not by_rank and not parsed.keep_all_rows \
                    and "value_filter" not in excluded and POINTS_BACK.search(a.text) and _selects_rows(a.full) \
                    and (scored := self._planned_scale(plan)) and (bound := _scale_bounds(a.full)):
                ranged = [(scored, bound)]  # "..., and keep only those scoring 7 or above": no column of the data's
            if equal is None and not parsed.keep_all_rows and "value_filter" not in excluded and not by_rank:
                # "keep recordings from Q1 2025", "visits from the second half of 2024"; beside a bound on another
                # column too ("spam_score below 0.3 that were fetched in March 2024 or later")
                ranged += [(c, b) for c, b in _dated_bounds(a, data) if c not in {col for col, _ in ranged}]
            if not ranged and equal is None and not parsed.keep_all_rows and "value_filter" not in excluded \
                    and (gone := _missing_columns(a, data)):
                # "drop chats with no CSAT": rows without a value go; "drop anyone without a DBS check" on a
                # yes/no column: the rows whose answer is not yes go too; "... no department or no est_cost": each
                ranged = [(g, {"values": [yes]} if (yes := _yes_value(g, data)) is not None else {"keep_null": False})
                          for g in gone]
            if not ranged and equal is None and not parsed.keep_all_rows and "length_filter" in self.cat.by_name \
                    and not _length_said(a.full) and (empty := _empty_text(a, data)):  # "drop problems whose solution is empty"
                step = self.add(plan, self.cat.by_name["length_filter"], a, data, columns,
                                why=f"drops rows whose {empty} is empty, as {a.text!r} says")
                step.params.update({"text_field": self._pipeline_col(empty, data), "min": 1})
                step.params.pop("max", None)
                last[a.sentence] = (step, a)
                continue
            # "drop the hot desk bookings from before March": the bound applies among those rows, the others stay
            among = _named_values(a, data) if ranged and _removal(a.full) and not pending[1] else None
            if among is not None and (among[0] == data.text_field or among[0] in {c for c, _ in ranged}):
                among = None
            # ("remove audits where more than 3 draughts were found unless a heat pump was recommended": those stay)
            spared = among is not None and (m := SPARING.search(a.full)) is not None \
                and (after := _named_values(replace(a, text=a.full[m.end():], condition=""), data)) is not None \
                and after[0] == among[0]
            if spared:  # (the rows said after "unless", spared: "unless" itself had read them as the other rows)
                among = after
            # "fewer than 3 turns" (n_turns), "longer than five minutes" (duration_sec)
            self._value_steps_among(plan, a, ranged, data, among, spared)
            # "exceptions reported in March 2024 but not the ones that were refunded": a label column too, where it
            # is a yes/no column or labels said as an exception ("Which talks were submitted ..." on a column of talk,
            # workshop and lightning names the rows, not the talk format)
            selecting = ranged and among is None and not _removal(a.full) and not pending[1]
            for other, values, gone in _further_values(a, data, tuple(c for c, _ in ranged)) if selecting else ():
                # (labels listed, or of several words: "flow cytometer and confocal microscope bookings in April")
                listed = len(values) > 1 or all(isinstance(v, str) and len(v.split()) > 1 for v in values)
                # ("posts from the cats board written in 2024": a label named as the place the rows are from)
                placed = all(isinstance(v, str) and re.search(rf"\b(?:from|in|on|of)\s+the\s+{re.escape(v)}\s+{PLACE_NOUN}",
                                                              a.full, re.I) for v in values)
                if gone or listed or placed or _yes_value(other, data) is not None or all(isinstance(v, bool) for v in values):
                    self._value_step(plan, a, other, {"drop_values" if gone else "values": values}, data)
            if ranged and "lang_id" not in excluded and (codes := self._languages_of_rows(a, data)):
                # "english comments only with 3+ signatures": the language too, which no column of the data holds
                step = self.add(plan, self.cat.by_name["lang_id"], a, data, columns,
                                why=f"keeps rows in {', '.join(codes)}, as {a.text!r} says")
                step.params["languages"] = codes
            if ranged:  # ("reviews with at least 8 words that gave 4 or 5 stars")
                self._length_beside(plan, a, data, columns, excluded)
            if ranged:
                last[a.sentence] = (plan.steps[-1], a)
                continue
            if parsed.keep_all_rows and (m := MEASURE_ONLY.search(a.full)) and _contentless(a.full[m.end():]) \
                    and not a.full[: m.start()].strip():  # "just the numbers": how to answer, not a job
                continue
            if a.asks and (verb := elsewhere(a.text)) and not any(mentioned(sk, a.full) for sk in self.matcher.skills):
                plan.unmatched.append(a.full)  # "sort the reviews by stars": the rows as a whole, no operator's job
                plan.notes.append(f"No operator can {verb} the rows: {a.full!r} is not done. Tilth's steps filter, "
                                  "deduplicate, rewrite, add or measure rows; do this after the export.")
                unsupported = a
                continue
            if unsupported is not None and a.sentence == unsupported.sentence and (
                    a.inherited or not starts_with_verb(a.text)):  # "..., best ones first", "stratified by topic"
                plan.unmatched[-1] += f", {a.own or a.full}"
                continue
            if a.condition and not a.text.strip(" ,.;") or (a.condition and _contentless(a.text) and not starts_with_verb(a.text)
                                                               and not quantities(a.condition)):
                # "..., and when unsure lean towards keeping too much text": no head of its own, and a condition
                # that picks no rows; it says how to do the job before
                a = replace(a, text=a.condition, condition="")
            if near_step is not None and near_step[1].sentence == a.sentence and BOUND_ONLY.fullmatch(a.full) \
                    and (skill := self.cat.by_name.get(near_step[0].op)) is not None and skill.kind == "filter" \
                    and (more := {k: v for k, v in numbers_to_params(skill, a.full).items()
                                  if k not in near_step[0].params and v is not None}):
                # "throw out anything with IFD >= 1 plus everything scoring below 0.2": the other bound of that score
                near_step[0].params.update(more)
                _also(near_step[0], a.text)
                continue
            if near_step is not None and LEANING.match(a.text):  # "when unsure, lean towards keeping more": how
                step, prev = near_step                               # to do the job before, never a job of its own
                _merge(step.params, self.params_for(self.cat.by_name[step.op], a.full, data), overwrite=True)
                _also(step, a.text)
                continue
            segment = next((p for p in re.split(r"\s*;\s*", a.context) if a.text.strip() in p), a.context)
            # (from the action on: "..., and only keep the pet type, the date and the price columns")
            segment = segment[max(0, segment.lower().find(a.text.strip().lower())):]
            if a.inherited and a.sentence in column_lists:
                continue  # (an item of a list of columns planned from its first item)
            if (listed := _bare_column_list(segment, data)) is not None:
                # ("keep only booking id, room, team and cost": every item a column's name, so a choice of columns,
                # which the list's first part says for all of its items)
                column_lists.add(a.sentence)
                a = replace(a, text=f"keep only the {', '.join(listed)} columns", condition="")
            elif _column_like_sibling(a, parsed.actions, data):
                # ("drop the inspector notes and the floor column": the item before the one that says "column" is one)
                a = replace(a, text=f"{a.text} column")
            query = a.full
            if said and a.asks:  # "some pages are filler. get those pages out": the statement says which rows
                verb = _verb(a.full)  # ("I want those collapsed to one": no verb leads, the words say the job)
                query = relativise(said, verb) if POINTS_BACK.search(a.text) and not POINTS_BACK.fullmatch(verb) \
                    else f"{said} {a.full}"
            if query == a.full and (labelled := _named_values(a, data)) is not None \
                    and labelled[0] != data.text_field and all(isinstance(v, str) and v for v in labelled[1]) \
                    and all(_holds_label(data, v.lower()) for v in labelled[1]):  # (the data's labels, not "German")
                # "paraphrase the furniture justifications": the job is said by the other words; a label's name
                # only says which rows (it had tipped the match to back-translation)
                query = re.sub("|".join(_label_said(v) for v in labelled[1]),
                               " ", query, flags=re.I)
                query = " ".join(query.split()) or a.full
            ranked = self.ranked(query, a.context)
            if not a.asks or WITHIN_TEXT.search(a.full) or REPLACED.search(a.full) or OTHER_REPEATS.search(a.full) \
                    or LENGTH_WORDS_SAID.search(a.full) or STRIPPED_FROM.search(a.context) or any(
                    st.op == "c4_line_cleaner" and st.intent and st.intent in a.context
                    or st.op == "html_extract" for st in plan.steps) or PAGE_FURNITURE.search(a.full) and any(
                    _html_column(c, data) for c in data.columns):
                # junk_filter drops whole rows a request asks to lose (a statement only describes the data: "the very low
                # ones are the looping 'bad bad bad' kind"): not junk inside a text ("invisible junk between the words"), not a
                # value swapped in ("swapped for a placeholder"), not rows repeating other rows or a phrase repeated
                # (its rule is one word repeated), not rows too short ("junk such as one-word replies": a length), nor menus a line cleaner planned for the same sentence takes out of
                # each page ("cookie banners and menu junk"), or extracting the text from HTML does ("I'd rather lose a
                # sentence than keep a nav menu"; a nav link in pages whose markup the data holds)
                ranked = [(sk, v) for sk, v in ranked if sk.name != "junk_filter"]
            if query != a.full and ranked and not _contentless(a.text) and (not POINTS_BACK.search(a.text) or ONE_OF_EACH.search(a.text)):
                # "Several reviews were submitted twice ... Keep one of each": the statement's words can drown a
                # request that says its job well enough alone
                own = dict(self.ranked(a.full, a.context))
                ranked = sorted(((sk, max(v, own.get(sk, v))) for sk, v in ranked), key=lambda x: -x[1])
            if not ranked:
                continue
            choice = self.choose(a, ranked)
            if a.asks and not a.negated and not a.condition and "select_columns" in self.cat.by_name \
                    and (dropped := _dropped_here(a, data)):
                # "lose the items column too", "export without the lang column": columns named, whatever else ranked
                choice = (self.cat.by_name["select_columns"], 1.0,
                          {"drop_columns": [self._pipeline_col(c, data) for c in dropped]})
            if choice is None and sampled:  # "a random 30% of the failed inspections": a sample, however few
                choice = (self.cat.by_name["sample_filter"], dict(ranked).get(self.cat.by_name["sample_filter"], 0.0), {})
            if not a.asks and PREPARING.match(a.full):  # "I'm prepping this set for SFT": what for, no job
                choice = None
            if choice is not None and (missing := self._unfillable(choice[0], a, data)):
                # "quality_classifier" needs the name of a model trained in the workspace: a request that
                # does not give one is better served by the next operator that can run as it is
                alt = next(((s, v) for s, v in ranked if s is not choice[0] and v >= self.matcher.accept
                            and not self._unfillable(s, a, data)), None)
                if alt is not None and alt[1] >= choice[1] - UNFILLABLE_MARGIN:
                    plan.notes.append(f"not {choice[0].name} for {a.text!r}: it needs {', '.join(missing)}, "
                                      f"which the request does not give")
                    choice = (alt[0], alt[1], {})
            if choice is not None and a.asks and near_step is not None and near_step[1].sentence < a.sentence \
                    and POINTS_BACK.fullmatch(_verb(a.full)) \
                    and choice[0].kind == self.cat.by_name[near_step[0].op].kind:
                # "Some notes are the same request sent again with a letter changed. I want those merged into one.":
                # the job of the statement before, asked for (it was planned from the statement already)
                _also(near_step[0], a.text)
                continue
            if not a.condition and _contentless(a.text):  # "For each row, ...": no job of its own
                if near_step is not None:
                    _also(near_step[0], a.text)
                elif said and a.asks and (choice is None or dict(self.ranked(said)).get(choice[0], 0.0) < self.matcher.accept):
                    # "some pages are scanned receipts. get those out": never silently (nor by the pointing words)
                    self._not_understood(plan, f"{said} {a.full}", ranked)
                if near_step is not None or not (said and a.asks and choice is not None) or plan.unmatched and \
                        plan.unmatched[-1] == f"{said} {a.full}":
                    continue  # (else the job the statement before says, asked for: "some pages are filler, like the
                    # one that says it was left blank on purpose. get those pages out", planned below)
            if a.condition and not _contentless(a.text):  # "augment only the reviews with 4 or 5 stars": the head
                head = self.ranked(a.text)  # says the job, the condition which rows, if the job can be restricted
                if head and head[0][1] >= self.matcher.accept and head[0][0].param("where_column") \
                        and head[0][0].kind != "filter":
                    choice = (head[0][0], head[0][1], {})
            if not a.asks and choice is None:
                said = f"{said} {a.full}".strip()
                continue
            if a.asks:
                said = ""
            if choice is None and a.sentence in last and (a.inherited or not starts_with_verb(a.text)):
                # a verb-less leftover ("err on the side of recall") qualifies the job before it
                step, prev = last[a.sentence]
                skill = self.cat.by_name[step.op]
                self._within_reach(plan, skill, a)  # "..., and the names of any people": said, not done
                for k, v in self.params_for(skill, f"{prev.full} {a.full}", data).items():
                    step.params.setdefault(k, v)
                continue
            if near_step is not None and choice is not None and METHOD.match(a.text) and choice[0].name != near_step[0].op \
                    and job_kind(choice[0]) == job_kind(self.cat.by_name[near_step[0].op]):
                # "get rid of re-posted reviews. Do it with n-gram overlap hashing": the way to do the job just
                # planned, so its operator replaces that step's
                old = near_step[0]
                plan.steps.remove(old)
                step = self.add(plan, choice[0], a, data, columns, why=f"{old.why}; done as {a.text!r} says "
                                f"(score {choice[1]:.2f})", given=choice[2])
                last[a.sentence] = (step, a)
                continue
            if near_step is not None and _anaphoric(a):
                # "... and keep one of each", "then drop them": no words of its own to name a job; it goes on
                # with the job just planned
                _also(near_step[0], a.text)
                continue
            if near_step is not None:
                # "count a pair as dupes once their Jaccard overlap hits 85%", "and keep the source documents
                # too": no job of its own, but it sets a parameter of the job just planned, or restates it
                step, prev = near_step
                extra = self._qualifying_params(self.cat.by_name[step.op], a, data)
                # a clause of the same sentence, or one that borrowed its verb, may say the same job again
                same_sentence = a.inherited or a.sentence == prev.sentence
                restates = choice is not None and same_sentence and self._restates(step, a, choice, ranked) \
                    and not ((ADDITIVE.search(a.text) or BOTH.search(a.context)) and choice[0].name != step.op)
                weak = choice is None or (choice[1] < self.matcher.accept + QUALIFIER_MARGIN and not mentioned(choice[0], a.full)
                                          and not (choice[0].meta.get("reshapes") and COLUMN_JOB.search(a.full)))
                # ("..., then keep only the code, docstring and language columns" is a job on columns, however weak)
                # after "but", a clause that sets the step's parameters adjusts it, however well it matches
                # another operator ("Gopher rules, but lower the minimum word count to 20" is not word_count_filter)
                # "then prune paragraphs with perplexity over 500" names the score of another filter: its own job
                own_measure = choice is not None and choice[0].name != step.op and _names_measure(choice[0], a.full)
                # "the same prompt shows up restated five ways. get rid of the restatements": the statement planned
                # the job, the request that follows it asks for it (a weak match to a job that drops nothing is
                # no job of its own: "restatements" is near "restate", but getting rid of them drops rows)
                confirms = (choice is None or weak and job_kind(choice[0]) != "drops") and not prev.asks and a.asks \
                    and bool(DROP.search(a.full)) and self.cat.by_name[step.op].kind in DROPS
                # "from 2026-11-03 on and rated at least 3": a bound on another column is a step of its own
                other_column = "column" in step.params and self._value_column(
                    plan, a, data, probe=True, ranking=_ranks(self.cat.by_name[step.op]))[0] not in (None, step.params["column"])
                again = self.cat.by_name[step.op].kind in ("generator", "mapper") and not a.contrast and _other_choice(
                    step.params, extra)
                if restates and (column := self._other_text_column(step, a, data)):
                    # "token counts for the instructions and, separately, for the outputs": the job on each column,
                    # each writing a column of its own
                    out = self.cat.by_name[step.op].param("output_field")
                    twin = PlanStep(op=step.op, params={**step.params, "text_field": column, "output_field":
                                                        f"{out['default']}_{column}"}, why=f"{step.why}; again for {a.text!r}",
                                    intent=a.text)
                    plan.steps.insert(plan.steps.index(step) + 1, twin)
                    last[a.sentence] = (twin, a)
                    continue
                if again and ((extra and weak) or restates):  # "once via German, and once more via Spanish": the job
                    twin = PlanStep(op=step.op, params={**step.params, **extra}, why=f"{step.why}; again for {a.text!r}",
                                    intent=a.text)           # once more, done otherwise
                    plan.steps.insert(plan.steps.index(step) + 1, twin)
                    last[a.sentence] = (twin, a)
                    continue
                if ((extra and (weak and not own_measure or a.contrast)) or restates or confirms) and not other_column:
                    self._within_reach(plan, self.cat.by_name[step.op], a)  # "..., and names": said, not done
                    _spare(step, self.cat.by_name[step.op], a, extra)
                    _merge(step.params, extra, overwrite=True)
                    if a.condition and "where_column" not in step.params:  # "..., more professional tone, but only
                        where, _, _ = self._condition(plan, self.cat.by_name[step.op], a, data)  # for a CSAT of 2 or lower"
                        _merge(step.params, where)
                    _also(step, a.text)
                    continue
            if choice is None:
                if a.asks and _lead_in_question(a, parsed.actions):
                    # "Which plants sell best? Just give me total units sold per plant ...": the question says why,
                    # the sentence after it what to give
                    plan.notes.append(f"{a.full!r} is read as the reason for what follows, which says what to give")
                elif a.asks:
                    self._not_understood(plan, a.full, ranked)
                continue
            best, score, given = choice
            bounded = any(q["bound"] for q in quantities(a.full))
            if a.asks and (KEEPING.match(a.full) or KEEPING.match(WISH.sub("", a.full)) or _removal(a.full)) and bounded \
                    and job_kind(best) == "measures" \
                    and not best.meta.get("measure_params") and "value_filter" not in excluded \
                    and (vf := next(((sk, v) for sk, v in ranked if sk.name == "value_filter"), None)) \
                    and vf[1] >= self.matcher.accept and not parsed.keep_all_rows:
                # "keep only problems with a heuristic difficulty score between 0.25 and 0.5": rows kept by a bound on
                # the measure's column (the measure is planned first, as the value filter's producer)
                best, score, given = vf[0], vf[1], {}
            if a.asks and KEEPING.match(a.full) and re.match(r"\W*keep\s+only\b", a.full, re.I) \
                    and job_kind(best) == "measures" and not best.meta.get("measure_params") and score < 1.0:
                # "keep only the most recent report per trail": rows kept, which no measurement does
                self._not_understood(plan, a.full, ranked)
                continue
            novel = self.novelty.novel(a.full, known)
            if novel and best.param("choices"):  # ("tag each purpose as imaging, cell sorting, PCR or other": a label)
                chosen = {w.lower() for c in self.params_for(best, a.full, data).get("choices") or []
                          for w in re.findall(r"[\w'-]+", str(c))}
                novel = [w for w in novel if w.lower() not in chosen]
            if novel and a.asks:  # "check every answer with sympy": a tool or thing no operator knows
                words = ", ".join(repr(w) for w in novel)
                plan.unmatched.append(a.full)
                if score < self.matcher.accept + NOVEL_MARGIN:
                    plan.notes.append(f"I did not understand {words} in {a.full!r}, and no operator does that job "
                                      f"(nearest: {best.name}, score {score:.2f}). No step was added for it; say it in "
                                      "other words, or generate an operator for it (see `tilth ask 'generate an "
                                      "operator'`).")
                    continue
                plan.notes.append(f"{best.name} is planned for {a.full!r}, but I do not know {words}: that part "
                                  "of the request is not done. Check the plan does what you meant.")
            if _reads_a_column(best) and not self._value_column(
                    plan, a, data, probe=True, ranking=_ranks(best))[0]:
                # "drop functions over 512 tokens": a column a measuring step would write is planned first
                self._plan_producer(plan, a, data, ranking=_ranks(best))
            if _reads_a_column(best) and not self._value_column(
                    plan, a, data, probe=True, ranking=_ranks(best))[0]:
                # an operator that reads one named column does not fit an action that names none
                nxt = next(((sk, v) for sk, v in ranked if sk.name != best.name
                            and not _reads_a_column(sk)), None)
                only = self._only_number_column(data, [q["value"] for q in quantities(a.full)])
                # (a rank that finds nothing to order is still a rank: "keep only the most recent report per trail"
                # on data without dates is not counted per trail instead)
                rank = _ranks(best) and (RANK_SHARE.search(a.full) or RANKED.search(a.full)) is not None
                if nxt is not None and nxt[1] >= self.matcher.accept and not rank:
                    best, score, given = nxt[0], nxt[1], {}
                elif best.name == "value_filter" and (scored := self._planned_scale(plan)) \
                        and (bound := _scale_bounds(a.full)) and _selects_rows(a.full):
                    given = {"column": scored, **bound}  # "score each 1 to 5 ... and keep only 4s and 5s": that score
                elif only:  # "keep reviews rated 4 or more" on `stars`
                    given = {"column": only}
                    plan.notes.append(f"{a.full!r} names no column; I compared {only!r}, the only column of numbers "
                                      f"in this data (columns: {', '.join(data.columns)}). Name another if you meant it.")
                else:  # "drop reviews rated below 3": which column?
                    plan.unmatched.append(a.full)
                    plan.notes.append(f"{best.name} fits {a.full!r}, but I could not tell which column holds the "
                                      f"value. Name it (columns: {', '.join(data.columns)}).")
                    continue
            ruled_out = excluded | (llm_ops if a.index in local_only else set())
            if best.name in self.inapplicable and not mentioned(best, a.full) \
                    and not re.search(r"\b(?:html|markup|tags?)\b", a.full, re.I):  # (asked for by name: validation says why not)
                alt = next(((sk, v) for sk, v in ranked if sk.name not in ruled_out | self.inapplicable
                            and v >= self.matcher.accept), None)
                if alt is None:
                    plan.unmatched.append(a.full)
                    plan.notes.append(f"{best.name} fits {a.full!r}, but this data gives it nothing to do (no column "
                                      f"holds markup), and no other operator fits it.")
                    continue
                best, score, given = alt[0], alt[1], {}
            if best.name in ruled_out:  # the user ruled it out: the next operator that fits, if any
                alt = next(((sk, v) for sk, v in ranked if sk.name not in ruled_out and v >= self.matcher.accept
                            and sk.kind == best.kind), None)
                if alt is None:
                    continue
                best, score, given = alt[0], alt[1], {}
            labels_step = next((st for st in plan.steps if st.op == "normalize_labels"
                                and st.intent and st.intent in a.context), None)
            if best.name == "normalize" and labels_step is not None and POINTS_BACK.search(a.text) \
                    and (case := re.search(r"\b(lower|upper|title)[\s-]*(?:case|cased|casing)?\b|\blowercase|\buppercase",
                                           a.text, re.I)):
                # "tidy up the branch and treatment labels (trim stray spaces, make them lower case)": the labels'
                # case, not every text's
                labels_step.params["case"] = (case[1] or case[0][:5]).lower()
                _also(labels_step, a.text)
                continue
            scores = dict((sk.name, v) for sk, v in ranked)
            same = next((st for st in plan.steps if st.op != best.name and self.cat.by_name.get(st.op) is not None
                         and self.cat.by_name[st.op].kind == best.kind and st.intent != "difficulty"
                         and scores.get(st.op, 0) >= score - RESTATE_MARGIN), None)
            if same is not None and not mentioned(best, a.full) and not ADDITIVE.search(a.text):
                # "Keep one page from each bunch" after "these pages are nearly the same": the same job again
                _also(same, a.text)
                continue
            planned = any(st.op == best.name for st in plan.steps)  # "count pairs as dupes at 85%" tunes it
            # "Per-row stats on the answers - word count, chars": a list of what the measuring step before measures
            listed = not a.inherited and not starts_with_verb(a.text) and near_step is not None \
                and (near_step[1].sentence != a.sentence or not starts_with_verb(near_step[1].text)
                     and near_step[1].index == a.index - 1 and not DROP.search(a.full) and not quantities(a.full)
                     and len(a.text.split()) <= 3) \
                and near_step[0].op in self.cat.by_name and job_kind(self.cat.by_name[near_step[0].op]) == "measures"
            # "per-row word/char/line counts for the output column": a request for measures, without a verb
            # ("give me the 10 most expensive incidents": rows by rank, whatever the verb)
            asks_measures = not lead_verb(a.text) and MEASURE_NOUN.search(a.text) is not None \
                and not DROP.search(a.full) and not KEEP.search(a.full) and not any(q["bound"] for q in quantities(a.full))
            # "check the replies for loops ... and drop those turns": the check finds what the drop removes
            found_to_drop = any(b.sentence == a.sentence and b.index == a.index + 1 and re.match(
                rf"\W*(?:and\s+|then\s+)*(?:{DROP.pattern})\s+(?:all\s+)?(?:those|them|these|the ones|such)\b", b.text, re.I)
                for b in parsed.actions) or re.search(
                rf"\b(?:{DROP.pattern})\s+(?:all\s+)?(?:those|them|these|the ones|such)\b", a.text, re.I) is not None
            measuring = parsed.keep_all_rows or listed or asks_measures \
                or (lead_verb(a.text) in MEASURE and not planned and not SUBSET.search(a.text)
                    and not RANK_SHARE.search(a.text) and not found_to_drop) \
                or (NEW_COLUMN.search(a.text) is not None and not DROP.search(a.full)) \
                or (best.meta.get("measure_params") and lead_verb(a.text) in LABELS and not DROP.search(a.full)
                    and not KEEP.search(a.full))
            if measuring and best.meta.get("measure_params"):  # "tag each sentence with its language": no drops
                pass
            elif measuring and best.kind in DROPS and not (best.kind == "filter" and self._scores_only(best)):
                alt = self._measuring_alternative(best, ranked, ruled_out, asks_drop=bool(DROP.search(a.full)),
                                                  planned={st.op for st in plan.steps})
                why = "you asked to keep every row" if parsed.keep_all_rows else "this part asks to measure"
                plan.notes.append(f"{best.name} would remove rows and {why}, so it is not planned for {a.text!r}"
                                  + (f"; {alt[0].name} measures instead" if alt else ""))
                if alt is None and listed:  # ("word count, chars, bigram diversity": one more of the measures the
                    _also(near_step[0], a.text)  # step before takes)
                    continue
                if alt is None:
                    if not parsed.keep_all_rows:  # (a part read as a question may be a request: never done silently)
                        plan.unmatched.append(a.full)
                    continue
                best, score = alt
                given = {}
            if best.meta.get("reshapes") and not given.get("drop_columns") and not self._reshape_params(a.full, data):
                # ("drop the url field": none)
                plan.unmatched.append(a.full)
                plan.notes.append(f"{best.name} fits {a.full!r}, but it names no column of this data (columns: "
                                  f"{', '.join(data.columns)}).")
                continue
            missing = unknown_columns(a.full, list(data.columns) + [c for st in plan.steps for c in self._outputs(st)]) \
                if best.meta.get("reshapes") and not given.get("drop_columns") else []  # (a column an earlier step writes is there: "... and summary")
            if missing:  # "drop the source and lang columns" on data without `lang`: say so, not silently
                plan.notes.append(f"this data has no column {' or '.join(map(repr, missing))} (columns: "
                                  f"{', '.join(data.columns)}); {best.name} leaves it out.")
            if not self._within_reach(plan, best, a):  # "remove the customers' names": not PII redaction's job
                continue
            if not starts_with_verb(a.text) and best.param("languages") and languages(a.full) and any(
                    b is not a and b.asks and starts_with_verb(b.text) and languages(b.full) for b in parsed.actions):
                continue  # "A few members wrote their notes in German or Spanish. Keep only the English ...": what
                # the data holds, not languages to keep
            told = a
            if not a.asks and best.kind in DROPS and not KEEP.search(a.full):
                # "reviews under twenty characters tell us nothing, and anything past 400 is a rant": statements
                # about rows a filter matched describe the unwanted ones; their bounds are what it drops
                told = replace(a, text=f"drop {said} {a.text}".replace("  ", " "))
                said = ""
            step = self.add(plan, best, told, data, columns, why=f"matches {a.text!r} (score {score:.2f})", given=given)
            if step.op == "lang_id" and a.asks and not a.negated:  # ("keep English messages of at least 10 words")
                self._length_beside(plan, a, data, columns, excluded)
            if step.op == "value_filter" and not set(step.params) & _VALUE_RULES and _removal(a.full):
                # "drop spam posts" matched "drop records whose label is spam", but no column holds a spam label (a
                # boundless filter on `posted` changes nothing): the next operator that fits, or reported
                plan.steps.remove(step)
                alt = next(((sk, v) for sk, v in ranked if sk.name != "value_filter" and v >= self.matcher.accept
                            and sk.name not in ruled_out), None)
                if alt is None:
                    plan.unmatched.append(a.full)
                    plan.notes.append(f"value_filter fits {a.text!r}, but no column of this data holds what it names "
                                      f"(columns: {', '.join(data.columns)}).")
                    continue
                best, score = alt
                step = self.add(plan, best, told, data, columns, why=f"matches {a.text!r} (score {score:.2f})")
            pivots = [m[1] for m in re.finditer(r"\b(?:via|through|by way of)\s+([A-Z][a-z]+)", a.full)
                      if languages(m[1])]
            if step.params.get("pivot_language") in pivots and len(pivots) > 1:  # "via German, then via Spanish"
                for extra_pivot in pivots[pivots.index(step.params["pivot_language"]) + 1:]:
                    plan.steps.insert(plan.steps.index(step) + 1, PlanStep(
                        op=step.op, params={**step.params, "pivot_language": extra_pivot},
                        why=f"{step.why}; again via {extra_pivot}", intent=a.text))
            if measuring and best.meta.get("measure_params"):
                step.params.update(best.meta["measure_params"])
                step.why += MEASURES_ONLY
            last[a.sentence] = (step, a)
        self.siblings = ""
        _scope_steps(plan, *pending, self.cat)
        self._named_junk(plan, parsed, data)
        for scope, said, job in exempt:
            self._exempt(plan, scope, said, job)
        # (a translation leaves the rows already in its language as written: "put the non-English ones into
        # English, leave the rest alone")
        scoped = [st for st in plan.steps if st.params.get("where_column") and not st.params.get("where_not")
                  or st.op == "llm_translate" and st.params.get("only_other_languages", True)]
        rewrites = [st for st in plan.steps if (sk := self.cat.by_name.get(st.op)) is not None
                    and sk.kind in ("mapper", "generator") and not sk.meta.get("reshapes")]  # (a column dropped: asked)
        for said in others:
            if scoped:
                plan.notes.append(f"{', '.join(st.op for st in scoped)} applies only to the rows it names; the others "
                                  f"stay as they are, as asked ({said!r})")
            elif not rewrites and plan.steps:  # ("get rid of the repeats ... Everything else can stay as it is": no
                plan.notes.append(f"no step rewrites a row, so everything else stays as it is, as asked ({said!r})")
            else:  # step changes a row it keeps)
                plan.unmatched.append(said)
                plan.notes.append(f"No step here applies to some rows only, so {said!r} leaves nothing out: every "
                                  "step applies to every row.")
        for old, new in dict.fromkeys(self.unrenamed):
            plan.unmatched.append(f"rename {old} to {new}")
            plan.notes.append(f"{old!r} is not renamed to {new!r}: it is the text column, which every step reads as "
                              f"`text` and the output writes as {old!r} again. Rename it after the run (or in the input).")
        for st in plan.steps:  # "add a language column and drop anything not English": a later part made it drop
            mp = self.cat.by_name[st.op].meta.get("measure_params") if st.op in self.cat.by_name else None
            if mp and MEASURES_ONLY in st.why and any(st.params.get(k, v) != v for k, v in mp.items()):
                st.why = st.why.replace(MEASURES_ONLY, "")
        plan.keep_all_rows = parsed.keep_all_rows
        self._own_language_labels(plan, data, parsed.text)
        _labels_tidied_once(plan)
        self._labels_as_labels(plan, data)
        self._genuine_texts_spared(plan, parsed)
        self._translated_rows_kept(plan, parsed, data)
        for st in plan.steps:
            self._phases.setdefault(id(st), phase)
        self._order(plan)
        for st in plan.steps:  # "at least 4 stars" on a CSV whose stars are "5", "five", "": say what happens
            col = st.params.get("column")
            if isinstance(col, str) and ("min" in st.params or "max" in st.params) and col in data.columns \
                    and not any(isinstance(st.params.get(k), str) for k in ("min", "max")):  # (dates: their own check)
                odd = [v for r in data.rows if (v := r.get(col)) is not None and not looks_numeric(v)]
                if odd:
                    plan.notes.append(f"{col} holds values that are not numbers in the sample "
                                      f"({', '.join(repr(v) for v in dict.fromkeys(odd[:3]))}): {st.op} drops "
                                      f"those rows, with the reason '{col} is not a number'")
        llm_ops = list(dict.fromkeys(s.op for s in plan.steps if self.cat.by_name.get(s.op) and self.cat.by_name[s.op].needs_llm))
        if llm_ops and not self.llm_available:
            plan.notes.append(llm_note(llm_ops))
        self._reader_params(plan, parsed.text, data)

    def _not_understood(self, plan: Plan, text: str, ranked: list[tuple[Skill, float]]) -> None:
        near = ", ".join(f"{s.name} ({v:.2f})" for s, v in ranked[:3])
        plan.unmatched.append(text)
        plan.notes.append(f"I did not understand: {text!r}. Nearest skills: {near}. No step was added for it; "
                          "rephrase it, name an operator, or let a capable LLM generate one (set TILTH_LLM_URL; see "
                          "`tilth ask 'generate an operator'`).")

    def _measuring_alternative(self, dropper: Skill, ranked, excluded, asks_drop: bool,
                               planned: set[str]) -> tuple[Skill, float] | None:
        """What measures instead of a dropper where rows must stay: a fitting measurement already planned ("an
        overview: ..., average length"), else the operator the dropper's metadata names (`measured_by`), else the
        best-ranked operator that drops nothing, one without an LLM first. Where the words asked to drop ("get
        rid of copies, but keep every row") only an operator that matches them does."""
        # only an operator that measures: "c4_line_cleaner measures instead" blanked the text of short pages
        fits = [(s, v) for s, v in ranked if job_kind(s) == "measures" and v >= self.matcher.accept
                and s.name not in excluded]
        if again := next((sv for sv in fits if sv[0].name in planned), None):
            return again
        named = self.cat.by_name.get(dropper.meta.get("measured_by") or "")
        if named is not None and named.name not in excluded and (not asks_drop or named in dict(fits)):
            return named, dict((s.name, v) for s, v in ranked).get(named.name, self.matcher.accept)
        return next((sv for sv in fits if not sv[0].needs_llm), fits[0] if fits else None)

    def _within_reach(self, plan: Plan, skill: Skill, action: Action) -> bool:
        """Whether `skill` can still do something the action asks, after the parts its metadata says it does
        not do (`cannot`) are reported as not done. With such a part, it can only if the action also names
        one of its list choices ("emails, phones and names": emails and phones)."""
        beyond = cannot_do(skill, action.full)
        if not beyond:
            return True
        plan.unmatched.append(action.full)
        can = any(v for k, v in choices_to_params(skill, action.full, self.refused).items()
                  if "list" in (skill.param(k) or {}).get("type", ""))
        plan.notes.append(f"{skill.name} does not do {', '.join(beyond)}: that part of {action.full!r} is not done"
                          if can else f"{action.full!r} is not done: no operator here does that ({', '.join(beyond)}; "
                          f"the closest match, {skill.name}, cannot)")
        return can

    def _restates(self, step: PlanStep, action: Action, choice: tuple[Skill, float, dict],
                  ranked: list[tuple[Skill, float]]) -> bool:
        """An action (of the step's sentence, or with a borrowed verb) whose best operator is of the planned
        step's kind and scores it nearly as well says that job again ("dedupe by meaning, (dedupe) be very
        conservative"; "score it with the LLM, a yes/no call is enough")."""
        best, score, _ = choice
        planned = self.cat.by_name.get(step.op)
        if planned is None or best.name == step.op or best.kind != planned.kind or score >= 1.0 \
                or best.kind not in (*DROPS, "generator"):  # mappers do different jobs side by side
            return best.name == step.op
        if best.kind == "deduplicator" and (NEAR_COPIES.search(action.full) is not None) != (
                NEAR_COPIES.search(step.intent or "") is not None) and not _ranks(planned):
            return False  # "exact duplicate rows and near-duplicate driver notes": two kinds of copies, two jobs
        if dict((sk.name, v) for sk, v in ranked).get(step.op, 0) >= score - INHERITED_MARGIN:
            return True
        # its own verb, and it matches another operator well: another job, unless it points back at the step
        # ("... as a quality judge and discard the paragraphs it rejects")
        if action.asks and not action.inherited and not POINTS_BACK.search(action.text):
            return False
        if action.asks and not action.inherited and best.kind == "filter" and score >= self.matcher.accept + QUALIFIER_MARGIN:
            return False  # "keep the completed trials, then take a random 50% sample of those": those rows, another filter
        # the clause's own words, without the verb it borrowed, ask for no job ("be very conservative")
        own = self.ranked(action.own, action.context) if action.own else []
        return not own or own[0][1] < self.matcher.accept

    def _unfillable(self, skill: Skill, action: Action, data: DataPeek) -> list[str]:
        """Required parameters of `skill` that neither the action's words nor the data can fill (a model
        name, a template); columns and paths are filled later from the data."""
        need = [p["name"] for p in skill.meta.get("params", []) if p["required"] and p["name"] not in ("path", "column")
                and not p["name"].endswith(("_field", "_column"))]
        if not need:
            return []
        got = self.params_for(skill, action.full, data, action.context)
        return [n for n in need if n not in got]

    def _qualifying_params(self, skill: Skill, action: Action, data: DataPeek) -> dict[str, Any]:
        """Parameters the action's words set on `skill`, beyond what its empty request would set."""
        base = self.params_for(skill, "", data)
        got = self.params_for(skill, action.full, data)  # its own words: the sentence named the step's already
        out = {k: v for k, v in got.items() if base.get(k, _UNSET) != v}
        if not re.search(r"\b(?:column|field)s?\b", action.full, re.I):  # "keep the source documents" names
            out = {k: v for k, v in out.items() if not k.endswith(("_field", "_column")) and k != "column"}  # no column
        return out

    def ranked(self, text: str, context: str = "") -> list[tuple[Skill, float]]:
        """Skills by score for the text; a language named in it or its sentence (`context`: "the Dutch and
        Polish lines") favours the operators that take languages."""
        # the values of an enumeration ("one of billing, shipping or returns") are parameters: they say
        # nothing about the job and drown its words in the embedding
        # "the Dutch lines" says little to an embedding; "the Dutch-language lines" says what the job is
        text = ENUM.sub(lambda m: m[0][: m.start(1) - m.start(0)] + "several categories", unquote_labels(text))
        text = DATA_REFERENCE.sub("", text).strip() or text
        text = _unselected(text)
        text = THE_REST.sub("", text).strip() or text  # "remove the license column, keep everything else"
        if self.text_noun is not None and not re.search(r"\b(?:column|field)\b", text, re.I):
            text = self.text_noun.sub("texts", text)
        # a quotation shows the data ("'bad bad bad...'", "'ok', 'thx'"): its words are not the job's words,
        # unless two of them show what must count as the same ("'Fine' and 'fine' as one")
        query = REPEATED_RUN.sub("one word repeated over and over", text)  # "(bad bad bad bad...)" shows the data too
        # "messages like 'ok', 'thx' or 'k bye'": examples of a few words each show rows that are very short
        query = SHORT_EXAMPLES.sub(lambda m: " very short texts " if all(
            len(q.split()) <= 3 for q in re.findall(r"['\"\u2018\u201c]([^'\"\u2019\u201d]*)", m[1])) else m[0], query)
        query = query if literal_differences(text) else QUOTED.sub(lambda m: "'...'" if not m[3] else m[0], query)
        ranked = self.matcher.rank(mark_languages(query))
        bonus = {}
        if languages(f"{text} {context}"):
            # "to Japanese and back": the language is a round trip's pivot, not the one to keep
            # ("once via German, and once more via Spanish" after "make round-trip variants")
            round_trip = ROUND_TRIP.search(text) or (VIA_LANGUAGE.search(text) and ROUND_TRIP.search(
                f"{context} {getattr(self, 'request', '')}"))
            bonus |= {sk.name: LANGUAGE_PRIOR for sk, _ in ranked
                      if (sk.param("pivot_language") if round_trip else sk.param("languages"))}
        qs = quantities(text)
        units = {UNITS[q["unit"]] for q in qs if q["unit"] in UNITS}
        length_said = any(re.match(r"(?:shorter|longer)\b", q.get("comparative") or "") for q in qs)
        if units:  # "fewer than 20 words": the filters whose thresholds count that unit, the most specific first
            for sk, _ in ranked:
                ts = sk.meta.get("thresholds", [])
                unit_param = (sk.param("unit") or {}).get("choices") or []
                if ts and (units & set(unit_param) or any(u.rstrip("s") in t["param"] for u in units for t in ts)):
                    bonus[sk.name] = bonus.get(sk.name, 0) + UNIT_PRIOR * min(1.0, 2 / len(ts))
                if units & set(unit_param) and length_said:
                    # "junk notes shorter than 5 words": the text's own length, whatever else the words suggest
                    bonus[sk.name] = bonus.get(sk.name, 0) + UNIT_PRIOR / 2
        if any(q["unit"] and q["unit"] not in UNITS and q["unit"].rstrip("s") in self._measured_units() for q in qs):
            # "longer than 256 tokens": no filter counts tokens, token_count writes n_tokens, a value filter reads it
            for sk, _ in ranked:
                if sk.param("column") and any(t["score"] == "{column}" for t in sk.meta.get("thresholds", [])):
                    bonus[sk.name] = bonus.get(sk.name, 0) + UNIT_PRIOR
        if ONE_OF_EACH.search(text):  # "those resends should collapse into one": rows that repeat, one kept
            for sk, _ in ranked:
                if sk.kind == "deduplicator" and not _ranks(sk):
                    bonus[sk.name] = bonus.get(sk.name, 0) + DEDUP_PRIOR
        if NEARLY.search(text):  # "near-duplicate descriptions": the deduplicators whose description says near
            for sk, _ in ranked:
                if sk.kind == "deduplicator" and re.search(r"\bnear\b", sk.meta.get("description", ""), re.I):
                    bonus[sk.name] = bonus.get(sk.name, 0) + NEAR_PRIOR
        if RANK_SHARE.search(text):  # "the hardest quarter": the operator that keeps a share or count by rank
            for sk, _ in ranked:
                if _ranks(sk):
                    bonus[sk.name] = bonus.get(sk.name, 0) + RANK_PRIOR
        for sk, _ in ranked:  # "keep reviews whose perplexity is under 1000": the filter that measures perplexity
            if _names_measure(sk, text):
                bonus[sk.name] = bonus.get(sk.name, 0) + MEASURE_PRIOR
        if BY_LLM.search(text) and not NO_LLM.search(text):
            for sk, _ in ranked:
                if sk.needs_llm:
                    bonus[sk.name] = bonus.get(sk.name, 0) + LLM_PRIOR
        edits = SURFACE_EDITS.search(text)  # "submitted again with one letter changed": copies that share words
        if edits:
            for sk, _ in ranked:
                if _shingles(sk):
                    bonus[sk.name] = bonus.get(sk.name, 0) + NEAR_PRIOR
        if bonus:
            ranked = sorted(((sk, v + bonus.get(sk.name, 0)) for sk, v in ranked), key=lambda t: -t[1])
        if edits and ranked and ranked[0][0].kind == "deduplicator":
            # (shared words are what the deduplicator over word shingles compares, whichever deduplicator the
            # other words fit best)
            top = ranked[0][1]
            ranked = sorted(((sk, max(v, top + 0.01) if _shingles(sk) else v) for sk, v in ranked), key=lambda t: -t[1])
        return ranked

    def _scores_only(self, skill: Skill) -> bool:
        """A filter whose thresholds are all unset by default keeps every row: it can measure (perplexity). One
        whose score is a column it reads (value_filter) measures nothing new."""
        ts = skill.meta.get("thresholds", [])
        return bool(ts) and all((skill.param(t["param"]) or {}).get("default") is None
                                and t["score"] not in skill.meta.get("inputs", []) for t in ts)

    def choose(self, action: Action, ranked: list[tuple[Skill, float]]) -> tuple[Skill, float, dict] | None:
        """(operator, score, parameters it was given) for an action, or None if nothing fits it well enough.
        An operator named in the action wins; otherwise the best match, if it reaches the threshold."""
        named = [s for s, _ in ranked if mentioned(s, action.full) and not mentioned(s, action.full, refused=True)]
        if named:  # "C4 line cleaning" names c4_line_cleaner more fully than c4_filter
            words = set(tokenize(action.full))
            best = max(named, key=lambda s: len(set(tokenize(s.name.replace("_", " "))) & words))
            return best, 1.0, {}
        best, score = ranked[0]
        if cannot_do(best, action.full) and (alt := next(((s, v) for s, v in ranked[1:3] if v >= score - CANNOT_MARGIN
                                                          and not cannot_do(s, action.full)), None)):
            best, score = alt  # "put the non-English messages into English": a translation, not a language filter
        if best.name == "exact_dedup" and (getattr(self, "near_said", False) or NEAR_COPIES.search(action.full)) \
                and not EXACTLY.search(action.full) \
                and (near := next(((s, v) for s, v in ranked[1:4] if s.name == "minhash_dedup"), None)):
            best, score = near[0], max(score, near[1])  # (a near-duplicate pass catches the exact copies too)
        if best.name in ("minhash_dedup", "semantic_dedup") and not getattr(self, "inexact_said", True) \
                and (exact := next(((s, v) for s, v in ranked[1:4] if s.name == "exact_dedup"
                                    and v >= max(score - PLAIN_DUPLICATE_MARGIN, self.matcher.accept)), None)):
            best, score = exact  # "remove duplicate visits": copies, as a near pass needs words to say (trial 86)
        if best.kind == "deduplicator" and INNER_REPEAT.search(action.full) and (alt := next(
                ((s, v) for s, v in ranked[1:4] if s.name == "gopher_repetition" and v >= score - 0.05), None)):
            best, score = alt  # "reviews that are just one word repeated over and over": a text repeating itself
        if best.name == "gopher_repetition" and ONCE_EACH.search(action.full) and (alt := next(
                ((s, v) for s, v in ranked[1:4] if s.kind == "deduplicator"), None)):
            best, score = alt  # "get rid of the repeats so each submission only counts once": rows, not words
        if action.asks and not _ranks(best) and RANK_COUNT.search(action.full) and not MEASURE_NOUN.search(action.full) \
                and (alt := next(((s, v) for s, v in ranked[1:4] if _ranks(s)), None)):
            best, score = alt  # "give me the 3 longest episodes released in 2024": rows by rank ("give me" drew stats)
        if best.meta.get("reshapes") and action.asks and COLUMN_JOB.search(action.full):
            return best, score, {}  # words about columns leave one kind of job: no threshold to reach
        # a statement about the data ("these pages are nearly the same") must match more clearly than a request;
        # a count or share by rank ("give me the 5 most expensive repairs") says its job by its shape
        ranked_rows = _ranks(best) and action.asks and RANK_SHARE.search(action.full) is not None
        # "the 3 cheapest repairs that passed": a count and a superlative is a rank, however few words the rank
        # operator's card shares with the rest
        counted = ranked_rows and RANK_COUNT.search(action.full) is not None
        if score < self.matcher.accept + (0 if action.asks else STATEMENT_MARGIN) - (RANK_SLACK if ranked_rows else 0) \
                and not counted:
            return None
        if best.kind == "deduplicator" and not _ranks(best) \
                and not SAMENESS.search(f"{action.full} {action.context} {getattr(self, 'request', '')}"):
            # "drop the requests that already have a substitute": nothing said repeats, so no rows are copies
            alt = next(((s, v) for s, v in ranked[1:4] if (s.kind != "deduplicator" or _ranks(s))
                        and v >= self.matcher.accept), None)
            if alt is None:
                return None
            best, score = alt
        if best.kind != "deduplicator" and (m := REPEATED.search(action.full)) and (
                ROW_NOUNS.match(action.full, m.end())
                or self.text_noun is not None and self.text_noun.match(action.full, m.end())
                # (any plural but the parts of a text: "the repeated comments", not "repeated lines")
                or re.match(r"(?!(?:words|lines|phrases|sentences|paragraphs|characters|letters|n-?grams)\b)[a-z]{3,}s\b",
                            action.full[m.end():], re.I)):  # ("the repeated comments")
            # "remove repeated reviews": rows that repeat other rows, not text that repeats itself (the nearest
            # deduplicator of the first four, however far below a repetition filter's score)
            best, score = next(((s, v) for s, v in ranked[:4] if s.kind == "deduplicator"), (best, score))
        if best.kind in ("filter", "deduplicator") and SHARE_OF_UNITS.search(action.full):
            # "delete 20% of the words": an edit inside each text, not rows removed
            fits = [(s, v) for s, v in ranked[1:8] if s.kind in ("mapper", "generator") and v >= self.matcher.accept]
            if MAKES_ROWS.search(action.context):  # ("Noisy copies: delete 20% of the words, ..."): new rows
                fits.sort(key=lambda sv: sv[0].kind != "generator")
            if fits:
                best, score = fits[0]
                twin = self.cat.by_name.get(best.name.removesuffix("_inplace"))
                if twin is not None and twin is not best and MAKES_ROWS.search(action.context):
                    best = twin  # (the same edit as new rows)
        if not best.param("choices") and ((listed := CHOICES.search(action.full) or ENUM.search(action.full))
                                           and not languages(listed[1])
                                           and len(_items(listed[1].lower().replace("/", ","))) >= 3
                                           or (YES_NO.search(action.full) or FLAG_WHETHER.search(action.full))
                                           and best.kind != "filter"):
            # ("flag ... with a yes/no column"; not "ask a yes/no ... and drop the no's": a judge that filters)
            # "tag each note with the body system (skin, digestive, dental, ...)": labels to choose from, a job
            # for an operator that takes them (its phrasings may score lower than "tag each sentence with its language")
            alt = next(((s, v) for s, v in ranked[1:8] if s.param("choices") and v >= self.matcher.accept - CHOICES_MARGIN),
                       None)
            if alt is not None:
                best, score = alt
        if not best.param("choices") and scale_criterion(action.full) and not DROP.search(action.full) \
                and not KEEP.search(action.full):
            # "score each note from 1 to 5 for how urgent it sounds": a scale of a quality no operator measures, a
            # label of the user's own (llm_quality_filter's scale is training value, not urgency)
            alt = next(((s, v) for s, v in ranked if s.param("choices") and (s.param("label") or {}).get("open")), None)
            if alt is not None:
                best, score = alt[0], max(alt[1], self.matcher.accept)
        # labels to choose from ("rate each description as excellent, good, fair or poor") are a job only an
        # operator that takes them does: a local scorer does not stand in for it below
        labelled = best.param("choices") is not None and ((listed := ENUM.search(action.full)) is not None
                                                          and len(_items(listed[1].lower().replace("/", ","))) >= 3
                                                          or scale_criterion(action.full) is not None)
        if not _ranks(best) and RANK_SHARE.search(action.full) and (alt := next(
                ((s, v) for s, v in ranked[1:6] if _ranks(s) and v >= max(self.matcher.accept, score - RANK_MARGIN)),
                None)):
            best, score = alt  # "keep the 3 longest delays": rows picked by rank, whatever else the words suggest
        if best.kind == "mapper" and MAKES_ROWS.search(action.full):  # "two variants per sentence": new rows
            best, score = _close(ranked, best, score, "generator")
        if best.needs_llm and not self.llm_available and not BY_LLM.search(action.full):
            # a local operator that does the job about as well wins, unless the user asked for a language model
            # (and one that does the same kind of job: a difficulty score does not stand in for a grammar rewrite)
            alt = next(((s, v) for s, v in ranked if not s.needs_llm and v >= max(self.matcher.accept, score - LLM_MARGIN)
                        and (not labelled or s.param("choices") is not None)
                        and (s.kind == best.kind and job_kind(s) == job_kind(best)
                             or s.meta.get("measure_params") and best.kind == "mapper"
                             and any(w in action.full.lower() for w in s.name.split("_") if len(w) >= 4))), None)
            # (a filter that also measures stands in for an LLM labeller only for its own quantity: lang_id for
            # "tag each note with its language", never for "tag each note with the body system (skin, ...)")
            if alt is not None:
                return alt[0], alt[1], {}
        # "have the LLM rate the difficulty of every instruction": the user named the tool, so an LLM operator for
        # about the same job wins over a local one whose words fit a little better, or one that offers the local
        # one's measure by name (llm_annotate's label "difficulty" for difficulty_heuristic); not where the local
        # one is named ("(heuristic score below 0.2)")
        if not best.needs_llm and LLM_DOES.search(action.full) and not NO_LLM.search(action.full) \
                and not any(len(w) >= 4 and w in action.full.lower() for w in best.name.split("_")[1:]):
            alt = next(((s, v) for s, v in ranked if s.needs_llm and s.kind == best.kind and v >= self.matcher.accept
                        and (v >= score - LLM_ASKED_MARGIN or _offers(s, best.name))), None)
            if alt is not None:
                return alt[0], alt[1], {}
        return best, score, {}

    def _whole_set(self, op: str) -> bool:
        """The step's result depends on which other rows it sees: deduplicators, ranks, samples."""
        s = self.cat.by_name.get(op)
        return s is not None and (s.kind == "deduplicator" or op == "sample_filter")

    def _stage(self, op: str) -> int:
        s = self.cat.by_name.get(op)
        return s.meta.get("stage", 55) if s else 55

    def add(self, plan: Plan, skill: Skill, action: Action, data: DataPeek, columns: list[str], why: str,
            given: dict | None = None) -> PlanStep:
        """Add (or merge into) the step for `skill`, with parameters from the action's words (over `given`)."""
        # a condition on a job that can be restricted ("only in tickets rated 4 or higher") becomes where_*:
        # its numbers are not the job's own parameters
        # (a condition that picks no rows, "mask only the e-mail addresses in the messages", is the job's own words)
        cond_params, extra, calibrate = self._condition(plan, skill, action, data)
        if not cond_params and skill.param("where_column") and skill.kind in ("mapper", "generator") \
                and re.match(r"\W*(?:but\s+)?(?:only\s+)?(?:for|in|among)\s+(?:the\s+)?(?:[\w'-]+\s+){0,3}?[\w'-]+\s+only\W*$",
                             action.condition or "", re.I):
            # ("For the sourdough post only, tag ...": rows no column names; the job on every row is not what was
            # asked, and never done silently)
            plan.unmatched.append(action.condition)
            plan.notes.append(f"{skill.name} would run on every row: {action.condition!r} names no label or column "
                              f"of this data I could find (columns: {', '.join(data.columns)}).")
        words = action.text if cond_params else action.full
        if skill.param("unit") and (parts := _by_unit(words)):  # "under 30 words or over 2,000 characters":
            first = self.add(plan, skill, replace(action, text=parts[0], condition=""), data, columns, why, given)
            self.add(plan, skill, replace(action, text=parts[1], condition=""), data, columns, why, given)
            return first  # one length step per unit, since one step counts in one unit
        params = {**(given or {}), **self.params_for(skill, words, data, context=action.context)}
        params.update(cond_params)
        if skill.kind == "mapper" and skill.param("output_field") and "output_field" not in params \
                and (KEEPS_ORIGINAL.search(action.full) or INTO_NEW_COLUMN.search(action.full)):
            # "rewrite ..., keep the originals too", "write a summary of each ... into a new column": a new column
            params["output_field"] = _beside_original(params)
        # (the rank's own reading of its column wins over a column the words name: "the 3 most expensive wines we
        # tasted in 2025" names tasted_on for the year, and ranks the price)
        if _ranks(skill) and (by := self._rank_column(plan, action, data)):
            params["column"] = by[0]  # "the 4 quickest inspections": duration_min, the lowest first
            if by[1] and (by[1] != "highest" or "keep" in params):  # ("the 10 oldest cats" on age: the highest)
                params["keep"] = by[1]
        if skill.param("column") and "column" not in params:  # an operator that reads any one column
            found, calib = self._value_column(plan, action, data, ranking=_ranks(skill))
            if found and skill.param("min") and skill.param("max"):  # "before 2026-11-05": date bounds, if any
                params.update(date_bounds(action.full, dropping=DROP.search(action.full) is not None))
                params.pop("also", None)  # (one step here: the planner's own value steps split a union)
            calib = calib if calib and skill.param(calib["param"]) else None  # (top_filter ranks: no bound)
            if found:
                params["column"] = found
                calibrate = calibrate or calib
                if calib:
                    params.setdefault("min", 0.0)  # placeholder that passes the schema; validation sets it
        keep = skill.param("keep")
        if keep and {"highest", "lowest"} <= set(keep.get("choices") or ()) and isinstance(params.get("column"), str) \
                and HARM.search(params["column"]) and (judged := re.search(r"\b(worst|best)\b", action.full, re.I)):
            # "the 10 worst reports by severity": the worst severity is the highest (best: the lowest)
            params["keep"] = "highest" if judged[1].lower() == "worst" else "lowest"
        if DROP.search(action.full) and not KEEP.search(action.full) and skill.param("drop") \
                and skill.param("drop")["type"] == "bool":
            params["drop"] = True  # "drop the top quarter by views", "remove the 20 least helpful answers"
        # one step per operator, except one that reads a named column: "from 2026-11-03 on and rated 3 or more"
        # is a value filter on each column
        existing = next((s for s in plan.steps if s.op == skill.name
                         and s.params.get("column", params.get("column")) == params.get("column")), None)
        if existing is not None and skill.kind in ("generator", "mapper") and _other_choice(existing.params, params):
            existing = None  # "once via German, and once more via Spanish": the same job again, done otherwise
        if existing is not None and params.get("unit") and existing.params.get("unit", params["unit"]) != params["unit"]:
            existing = None  # a bound in characters beside one in words: a second length step

        if existing is not None:
            _spare(existing, skill, action, params)
            _merge(existing.params, params)
            _also(existing, action.text)
            return existing
        plan.steps.append(PlanStep(op=skill.name, params=params, why=why + extra, intent=action.full,
                                   calibrate=calibrate))
        return plan.steps[-1]

    def _length_beside(self, plan: Plan, a: Action, data: DataPeek, columns: list[str], excluded: set[str]) -> None:
        """A text length said beside a value condition ("reviews with at least 8 words that gave 4 or 5 stars"): a
        length filter too, since no column holds it (unless one is planned, or the length filter was ruled out)."""
        if "length_filter" in self.cat.by_name and "length_filter" not in excluded and _length_said(a.full) \
                and not any(st.op == "length_filter" for st in plan.steps):
            self.add(plan, self.cat.by_name["length_filter"], a, data, columns,
                     why=f"keeps rows of the length {a.text!r} says")

    def _named_junk(self, plan: Plan, parsed: ParsedRequest, data: DataPeek) -> None:
        """ "drop rows with empty or junk feedback (like "-", "asdf", "n/a")": the values shown go, as written (case
        and spaces aside), where the action planned nothing else that removes them (a length filter of one
        character keeps "-")."""
        for a in parsed.actions:
            if not a.asks or a.negated or not _removal(a.full) or (
                    m := SHORT_EXAMPLES.search(a.full) or QUOTED_IN_BRACKETS.search(a.full)) is None:
                continue
            shown = list(dict.fromkeys(q.strip() for q in re.findall(
                r"['\"\u2018\u201c]([^'\"\u2019\u201d]{1,40})['\"\u2019\u201d]", m[1]) if q.strip()))
            if not shown or any(len(q.split()) > 3 for q in shown):
                continue
            own = [st for st in plan.steps if st.intent in (a.text, a.full)]
            if any(st.op not in ("length_filter", "junk_filter") or st.op == "length_filter" and st.params.get("min") != 1
                   for st in own) or any(
                    st.op == "length_filter" and st.params.get("min") != 1 for st in plan.steps):
                continue  # (a quality filter, or a length bound said or fitted later, judges them: only "empty" does not)
            col = next((st.params["text_field"] for st in own if st.params.get("text_field")), None) \
                or self._pipeline_col(data.text_field, data)
            if re.search(r"\b(?:blank|empty)\b", m[1], re.I) and "" not in shown:
                shown.append("")  # ('(like "ok", "-", blank)': an empty note too)
            # ("..., but keep all the cancelled sailings no matter what": the rows the action's steps spare)
            scope = next(({k: v for k, v in st.params.items() if k.startswith("where_")} for st in plan.steps
                          if a.condition and a.condition in st.intent and st.params.get("where_column")), {})
            step = PlanStep(op="value_filter", params={"column": col, "drop_values": shown, "loose_labels": True, **scope},
                            intent=a.text, why=f"drops the rows whose {col} is {', '.join(map(repr, shown))} (case and "
                                               f"spaces aside), as {a.text!r} shows")
            plan.steps.append(step)
            if a.full in plan.unmatched:  # ("throw out the rows where staff didn't really write a remark (blank, or
                # just 'ok', '-', 'x')": what the rows shown are is the job, done)
                plan.unmatched.remove(a.full)
                plan.notes[:] = [n for n in plan.notes if not (n.startswith("I did not understand") and repr(a.full) in n)]

    def _value_step(self, plan: Plan, action: Action, column: str, bounds: dict, data: DataPeek) -> PlanStep:
        """A value_filter step on `column` with the bounds read from the action (its own step per column); a
        second on the same column where the bounds carry `also` ("January or March": not February)."""
        if "also" in bounds:
            bounds = dict(bounds)
            also = bounds.pop("also")
            first = self._value_step(plan, action, column, bounds, data)
            self._value_step(plan, action, column, also, data).why += \
                " (the second span named)" if bounds.get("drop_range") else " (the span between the two named is not asked for)"
            return first
        col = self._pipeline_col(column, data)
        if (owner := self._threshold_owner(plan, col, bounds)) is not None:
            return owner  # ("fastText LID ...; keep the French ones at confidence >= 0.8": lang_id's min_score)
        shown = ", ".join(f"{k} {v}" for k, v in bounds.items())
        if "keep_null" not in bounds and KEEP_NULL.search(action.full) and bounds.keys() & {"min", "max", "values"}:
            bounds = {**bounds, "keep_null": True}  # "... below 3 (rows without a rating should stay)"
        why = f"{col}: {shown}, as {action.text!r} says"
        if "keep_null" not in bounds and bounds.keys() & {"min", "max"} and not bounds.get("drop_range") \
                and _missing_columns(action, data) == [column]:  # "drop applicants under 18 or with no age given"
            bounds = {**bounds, "keep_null": False}
        if "keep_null" not in bounds and bounds.keys() & {"min", "max"} and not bounds.get("drop_range") \
                and _removal(action.full) and column in data.columns and any(r.get(column) in (None, "") for r in data.rows):
            # "drop recipes rated under 4.0": an unrated recipe is not rated under 4.0
            bounds = {**bounds, "keep_null": True}
            why += f"; rows without a {col} stay (they are not the ones named; say so to drop them too)"
        if (bare := next((st for st in plan.steps if st.op == "value_filter"
                          and st.params == {"column": col, "keep_null": False}), None)) is not None \
                and bounds and set(bounds) <= {"min", "max", "min_exclusive", "max_exclusive", "values"}:
            bare.params.update(bounds)  # ("Drop chats with no CSAT, keep those rated 4 or higher": one step; a bound
            bare.why += f"; {shown}, as {action.text!r} says"  # drops the rows without a value anyway)
            return bare
        step = PlanStep(op="value_filter", params={"column": col, **bounds}, intent=action.text, why=why)
        plan.steps.append(step)
        return step

    def _other_text_column(self, step: PlanStep, action: Action, data: DataPeek) -> str | None:
        """The text column an action names for a measuring step planned on another one, where the operator writes
        a column it names (token_count's output_field): the same job again, on that column."""
        skill = self.cat.by_name[step.op]
        field, out = skill.param("text_field"), skill.param("output_field")
        if skill.kind != "mapper" or field is None or out is None or not out["default"] or "output_field" in step.params:
            return None
        named = self.params_for(skill, action.full, data).get("text_field")
        return named if named and named != step.params.get("text_field", field["default"]) else None

    def _planned_label(self, plan: Plan, action: Action) -> tuple[str, list[str]] | None:
        """The column a planned labelling step writes and those of its label choices (not numbers) the action
        names ("the ones tagged quality")."""
        for st in reversed(plan.steps):
            choices = [c for c in st.params.get("choices") or () if isinstance(c, str) and not c.isdigit()]
            named = [c for c in choices if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", action.full, re.I)]
            if named and (out := self._outputs(st)):
                return out[0], named
        return None

    def _threshold_owner(self, plan: Plan, column: str, bounds: dict) -> PlanStep | None:
        """The planned filter that writes the score `column` and keeps rows by it with a threshold parameter,
        which takes the one bound (min or max on its keep side) instead of a value_filter step after it."""
        sides = {k: bounds[k] for k in ("min", "max") if bounds.get(k) is not None}
        if len(sides) != 1 or set(bounds) - {"min", "max"}:
            return None
        (side, value), = sides.items()
        for st in reversed(plan.steps):
            skill = self.cat.by_name.get(st.op)
            if skill is None or column not in self._outputs(st):
                continue
            t = next((t for t in skill.meta.get("thresholds", []) if t["score"] == column
                      and t["keep_if"] == (">=" if side == "min" else "<=")), None)
            if t is None:
                return None
            st.params[t["param"]] = value
            st.why += f"; {t['param']} {value}, as said"
            return st
        return None

    # -- parameters ------------------------------------------------------------------------------------
    def _planned_scale(self, plan: Plan) -> str | None:
        """The column of scores on a small scale the latest planned step writes (an LLM label of numbers, a
        quality grade), if any."""
        for st in reversed(plan.steps):
            choices = st.params.get("choices") or []
            if choices and all(str(c).isdigit() for c in choices) or st.params.get("label") == "difficulty":
                return next(iter(self._outputs(st)), None)
            scores = [c for c in self._outputs(st) if SCORE_NAME.search(c) and not c.endswith("rationale")]
            if scores:
                return scores[0]
        return None

    def _own_language_labels(self, plan: Plan, data: DataPeek, text: str) -> None:
        """Where the data has a column of each row's language (language_column), a language selection filters on
        it and a translation takes the rows it marks as other languages, unless the request asks for the detector."""
        found = language_column(data)
        if found is None or ASKS_DETECTOR.search(text):
            return
        name, by_code = self._pipeline_col(found[0], data), found[1]
        before = [(st.op, dict(st.params)) for st in plan.steps]
        plan.steps[:] = [kept for st in plan.steps if (kept := self._by_language_column(plan, st, name, by_code))]
        if [(st.op, st.params) for st in plan.steps] != before and any(str(r.get(found[0]) or "").strip() == "" for r in data.rows):
            # (trial 85: "English only" dropped the rows with no language said, without a word)
            plan.notes.append(f"some rows have no {name}: a filter on it drops them, and a translation scoped by it "
                              "takes them as not in the target language")

    def _by_language_column(self, plan: Plan, st: PlanStep, name: str, by_code: dict[str, list[str]]) -> PlanStep | None:
        """The step `st` becomes, where column `name` holds each row's language (None: no step)."""
        p = st.params
        if st.op == "lang_id" and not p.get("languages", ["en"]) and not p.get("drop_languages"):
            # ("how many aren't in English? leave the data as is": counted from the column, which the detector
            # would overwrite with its guesses)
            plan.notes.append(f"the languages are counted from the data's own {name!r} column, not a detector's")
            if re.match(r"\W*how many\b", st.intent or "", re.I) and (codes := languages(st.intent)):
                _language_count(plan, st.intent, name, values_for(by_code, codes) or codes)
            return None
        if st.op == "lang_id" and MEASURES_ONLY not in st.why and "value_filter" in self.cat.by_name:
            key, codes = ("drop_values", p["drop_languages"]) if p.get("drop_languages") else \
                ("values", p.get("languages", ["en"]))
            if (values := values_for(by_code, codes)) is None:
                return st
            scope = {k: v for k, v in p.items() if k.startswith("where_")}
            plan.notes.append(f"the languages come from the data's own {name!r} column, not from a language "
                              "detector (which misreads short texts and would overwrite the column)")
            return PlanStep(
                op="value_filter", params={"column": name, key: values, "loose_labels": True, **scope}, intent=st.intent,
                why=f"{'drops' if key == 'drop_values' else 'keeps'} {name} = {' or '.join(map(repr, values))}: "
                    f"the data labels each row's language in {name!r}")
        if st.op == "llm_translate" and not p.get("where_column"):
            if p.get("source_languages"):
                values, spared = values_for(by_code, p["source_languages"]), False
            elif p.get("only_other_languages", True):
                values, spared = values_for(by_code, [language_code(p.get("target_language", "English"))]), True
            else:
                return st
            if values is None:
                return st
            p.pop("source_languages", None)
            p.update({"where_column": name, "where_values": values, **({"where_not": True} if spared else {})})
            st.why += f" (the rows whose {name} is {'not ' if spared else ''}{' or '.join(map(repr, values))})"
        return st

    def _labels_as_labels(self, plan: Plan, data: DataPeek) -> None:
        """A text normalisation of a column of short labels is the label tidying ("tidy up the bag type values (stray
        spaces, random caps)": normalize trimmed the spaces and left BACKPACK and backpack two labels, trial 88)."""
        def labels(source: str) -> bool:  # short values that repeat once spelled alike ("Backpack  ", "backpack")
            said = [" ".join(v.lower().split()) for r in data.rows if isinstance(v := r.get(source), str) and v.strip()]
            return not _dated(source, data) and _categorical(source, data) and bool(said) \
                and len(set(said)) <= 0.5 * len(said)

        for i, st in enumerate(plan.steps):
            if st.op != "normalize" or set(st.params) - {"text_field", "lowercase"} or "normalize_labels" not in self.cat.by_name:
                continue
            col = st.params.get("text_field")
            if col and col != "text":
                sources = [next((c for c in data.columns if self._pipeline_col(c, data) == col), col)]
            elif not col and data.text_field not in column_mentions(st.intent or "", list(data.columns)):
                # ("tidy up the bag type values": the column its clause names, not the text)
                sources = column_mentions(st.intent or "", list(data.columns))
            else:
                continue
            if sources and all(labels(c) for c in sources):
                cols = [self._pipeline_col(c, data) for c in sources]
                plan.steps[i] = PlanStep(op="normalize_labels", params={"columns": cols}, intent=st.intent,
                                         why=f"tidies the labels of {', '.join(cols)} (spaces trimmed, one case), as "
                                             f"{st.intent!r} asks: short labels, not text")

    def _genuine_texts_spared(self, plan: Plan, parsed: ParsedRequest) -> None:
        """ "get rid of the spammy stuff ..., short real reviews like 'Loved it!' are fine, keep those": junk_filter
        drops the junk and keeps them; the quality filters built for web pages (a sentence count, repetition shares,
        C4's three-word lines) would drop or empty them, so they go unless the request names them."""
        if not any(st.op == "junk_filter" for st in plan.steps) \
                or not any(GENUINE_SPARED.match(a.text) or a.negated and re.match(r"\W*(?:but\s+|and\s+)?(?:still\s+)?keep\s+"
                           r"(?:the\s+)?(?:short|brief|tiny|one-word|one-line|little)\b", a.text, re.I) for a in parsed.actions):
            return
        gone = [st for st in plan.steps if st.op in WEB_QUALITY and not mentioned(self.cat.by_name[st.op], parsed.text)]
        for st in gone:
            plan.steps.remove(st)
            plan.notes.append(f"not planning {st.op} for {st.intent!r}: junk_filter drops that junk, and {st.op} would "
                              "also drop (or empty) the short genuine texts the request keeps")

    def _translated_rows_kept(self, plan: Plan, parsed: ParsedRequest, data: DataPeek) -> None:
        """ "translate the non-English posts into English and keep just those": the rows the translation takes are
        the rows kept, selected before it (by the data's language column where it has one, else by lid.176)."""
        if not any(SCOPE_KEPT.match(a.text) and not a.condition or REST_DROPPED.search(a.text)
                   and re.search(r"\btranslat", a.text, re.I) for a in parsed.actions):
            return
        for i, st in enumerate(plan.steps):
            p = st.params
            if st.op != "llm_translate" or p.get("source_languages"):
                continue
            if p.get("where_column"):
                key = "drop_values" if p.get("where_not") else "values"
                step = PlanStep(op="value_filter", params={"column": p["where_column"], key: p["where_values"]},
                                intent="select", why=f"keeps the rows {st.op} takes, as asked")
            elif p.get("only_other_languages", True) and "lang_id" in self.cat.by_name:
                target = language_code(p.get("target_language", "English")) or "en"
                step = PlanStep(op="lang_id", params={"languages": [], "drop_languages": [target]}, intent="select",
                                why=f"keeps the rows not in {p.get('target_language', 'English')}, which {st.op} "
                                    "translates, as asked")
            else:
                continue
            plan.steps.insert(i, step)
            return

    @staticmethod
    def _pipeline_col(col: str, data: DataPeek) -> str:
        return "text" if col == data.text_field else col

    def params_for(self, skill: Skill, text: str, data: DataPeek, context: str = "") -> dict[str, Any]:
        """Parameters from the action's words; columns may be named anywhere in its sentence (`context`)."""
        out: dict[str, Any] = {}
        cols = list(data.pipeline_columns)
        preserve = getattr(self, "preserve", set())
        texts = _string_columns(data)
        theirs = set(column_mentions(getattr(self, "siblings", ""), data.columns)) if context else set()
        # (each source of names counts only for its text columns: "mask card numbers in what customers wrote",
        # said beside "keep tickets rated four or above", is the customer message, not the rating)
        # (a label column is no text to work on unless called a column: "the same exhibits show up on both museum
        # sites" names the museum of the rows, not the column to dedupe, which had left 2 of 49 rows)
        texts = [c for c in texts if c == data.text_field or not (_label_column(c, data) or _few_values(c, data))
                 or "_" in c and re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", f"{text} {context}", re.I)
                 or re.search(rf"`{re.escape(c)}`|\b{re.escape(c)}\s+(?:column|field)s?\b|\b(?:column|field)\s+{re.escape(c)}\b",
                              f"{text} {context}", re.I)]
        named = [c for c in column_mentions(text, data.columns) if c in texts] \
            or [c for c in column_mentions(context, data.columns) if c not in theirs and c in texts] \
            or [c for c in partial_column_mentions(text, texts) if c in texts]
        refused = refused_columns(f"{text} {context}", data.columns)
        named = [self._pipeline_col(c, data) for c in named if c not in refused] or named
        named = [c for c in named if c not in preserve]
        # "the speaker's stance": what the speaker said is labelled, not the speaker column ("each review's
        # sentiment" still reads the review)
        named = [c for c in named if c == "text" or not owner_only(f"{text} {context}", c)] or named
        lacking = " ".join(lacked(text))
        if lacking:  # "drop notes that have no docstring": the column that must not be empty, not the rows' noun
            first = {self._pipeline_col(c, data) for c in column_mentions(lacking, data.columns)}
            named.sort(key=lambda c: c not in first)
        cparams = column_params(skill)
        strings = [self._pipeline_col(c, data) for c in _string_columns(data)]
        read = cparams + [p for p in skill.meta.get("params", []) if p not in cparams and p["name"].endswith("_field")
                          and re.search(r"\b(?:response|answer|reply)\b", p["description"], re.I)]  # (a column it reads)
        sides = [next((p["name"] for p in read if any(w in p["name"] for w in words)), None)
                 for words in (_PROMPTISH, _ANSWERISH)]
        said = [self._pipeline_col(c, data) for c in dict.fromkeys(
            column_mentions(text, data.columns) + partial_column_mentions(text, texts)) if c in texts] if all(sides) else []
        if len(both := [c for c in said if c not in preserve and (c == "text" or not _label_column(c, data))]) == 2:
            # "how long the customer messages and the replies are": the prompt side and the answer side, in order
            out.update(zip(sides, sorted(both, key=lambda c: _first_mention(text, data.text_field if c == "text"
                                                                             else c)), strict=True))
        for p in cparams:
            name, default = p["name"], p["default"]
            if name in out:
                continue
            answerish = any(w in name for w in _ANSWERISH)
            promptish = any(w in name for w in _PROMPTISH)
            # a text parameter takes a column of running text, never a date or a label ("by crawl_date")
            # (nor markup, which html_extract reads: "extract the text from the html, then run gopher")
            fits = [c for c in named if not _label_column(c, data) and not (skill.name != "html_extract"
                    and _html_column(c, data))] if "text" in name or answerish or promptish else named
            if len(cparams) == 1 and fits:
                # ("rewrite each trip report as one sentence summarising the trail conditions": the first named is
                # the verb's object, `report`, not `trail`)
                out[name] = min(fits, key=lambda c: _first_mention(text, data.text_field if c == "text" else c))
            elif len(cparams) > 1 and name not in out and (labels := _labels(column_mentions(text, data.columns), data)) \
                    and ({w for w in _words(text) if len(w) >= 6} - {"column", "field", "value"}
                         - _words(" ".join(data.columns).replace("_", " "))) & _words(f"{name} {p['description']}"):
                out[name] = labels[0]  # "the rating distribution": the column the distribution is over
            elif answerish and data.answer_field and default not in cols:
                out[name] = self._pipeline_col(data.answer_field, data)
            elif promptish and default not in cols and "text" in cols and data.answer_field:
                out[name] = "text"
            elif not answerish and not promptish and default not in cols and "text" in cols and (p["required"] or default == "text"):
                out[name] = "text"
            target = out.get(name, default)
            if target in preserve and skill.kind in ("mapper", "generator"):
                other = next((c for c in named + strings if c not in preserve and c != target), None)
                if other:
                    out[name] = other
        if skill.param("also_fields"):  # "exact copies of the Q&A pairs": a duplicate matches on every column named
            spelled = set(re.findall(r"[a-z0-9]+", text.lower().replace("_", " ")))  # (every word of its name: not
            spelled |= {w.rstrip("s") for w in spelled}                           # "reports" for reported_at)
            both = list(dict.fromkeys(self._pipeline_col(c, data) for c in column_mentions(text, _string_columns(data))
                                      if all(p in spelled for p in re.split(r"[_\W]+", c.lower()) if p)))
            if len(both) < 2 and PAIRED.search(text) and data.answer_field:
                both = [out.get("text_field", "text"), self._pipeline_col(data.answer_field, data)]
            if len(both) >= 2 and len(set(both)) == len(both):
                out["text_field"], out["also_fields"] = both[0], both[1:]
            elif len(both) < 2 and WHOLE_ROWS.search(text):  # "remove duplicate rows": equal in every column
                out["text_field"] = "text"  # (but the ones said not to count: "identical apart from the id")
                spared = _spared_columns(f"{text} {getattr(self, 'request', '')}", list(data.columns))
                out["also_fields"] = [c for c in data.pipeline_columns if c != "text" and not c.startswith("_")
                                      and c not in spared]
            elif len(both) < 2 and skill.name == "exact_dedup" and (ids := _record_ids(data)) \
                    and not NEAR_COPIES.search(text) and not (set(column_mentions(text, list(data.columns)))
                                                              - set(_spared_columns(text, list(data.columns)))) \
                    and data.text_field not in partial_column_mentions(text, list(data.columns)) \
                    and data.text_field not in set(column_mentions(asked := getattr(self, "request", text), list(
                        data.columns))) - set(listed_columns(asked, list(data.columns))):
                # "drop exact duplicates" of records (an id and many fields beside the text: sessions, purchase
                # requests), where the request names no text: the same record, every field but its id equal (two
                # sessions whose notes say the same are two sessions; a record sent twice under a new id is one);
                # ("drop the German show notes and the exact dupes too": copies of the text it talks about; "...
                # and drop the purpose and issue columns" names the text as a column to drop, not what is copied)
                out["text_field"] = "text"
                out["also_fields"] = [c for c in data.pipeline_columns if c != "text" and not c.startswith("_")
                                      and c not in ids]
        for p in cparams:  # "strip the HTML out of the bodies": html_field defaults to `html`, which this data lacks
            if p["name"] not in out and p["default"] not in (None, "text") and p["default"] not in cols and named \
                    and p["required"] is False and f"{{{p['name']}}}" in skill.meta.get("inputs", []) \
                    and p["name"] not in ("url_field",) and not any(named[0] == v for v in out.values()):
                out[p["name"]] = named[0]
                break
        for p in skill.meta.get("params", []):  # an output that would overwrite the user's column ("title")
            n = p["name"]
            if n.endswith("_field") and p not in cparams and p["default"] in data.columns and p["default"] != "text" \
                    and "None" in str(p["type"]) and n not in out and data.text_field != p["default"]:
                out[n] = None
        if (by := _grouping(f"{text} {context}", data)) is not None:
            for p in cparams:  # "how many tickets per topic", "broken down by category": the column counted
                if re.search(r"\b(?:breakdown|distribution|counted)\b", p["description"], re.I):
                    out[p["name"]] = self._pipeline_col(by, data)
        if skill.meta.get("reshapes"):
            out.update(self._reshape_params(text, data))
        if (many := skill.param("columns")) and "list" in str(many["type"]):
            # "fix the capitalisation in the reason and category labels": the columns named (by a word of their
            # name too), else the label columns whose values are spelled more than one way
            labels = [c for c in data.columns if c != data.text_field and not c.startswith("_") and _categorical(c, data)]
            said = list(dict.fromkeys(column_mentions(text, labels) + partial_column_mentions(text, labels))) \
                or [c for c in column_mentions(context, labels) if not _unique_per_row(c, data)]
            # (its own words first: the sentence's other jobs name theirs; a column of one value per row, an id, is
            # no label, however near "the id doesn't count" is said)
            out["columns"] = [self._pipeline_col(c, data) for c in (said or _misspelled_labels(labels, data))]
            # ("so it reads like 'Fall 2023'": the case an example shows)
            shown = [q for q in re.findall(r"['\"\u2018\u201c]([^'\"\u2019\u201d]{2,40})['\"\u2019\u201d]", f"{text} {context}")
                     if re.search(r"[A-Za-z]{2}", q)]
            # ("so 'cat ', 'CAT' become 'Cat'": the spelling after the arrow is the one wanted, not those before it)
            # (quotes may be gone by now: "CAT become Cat, Guinea  Pig becomes Guinea Pig")
            shown = [q.strip() for q in re.findall(r"(?:\b(?i:becomes?|turns?\s+into|changed?\s+to)|->|\u2192|=>)\s+['\"\u2018\u201c]?"
                                                   r"([A-Za-z][\w-]*(?:\s[A-Za-z][\w-]*){0,2})", f"{text} {context}")
                     if re.search(r"[A-Za-z]{2}", q)] or shown
            if skill.param("case") and shown and "case" not in out:
                if all(q == q.upper() for q in shown):
                    out["case"] = "upper"
                elif all(q == q.title() for q in shown):
                    out["case"] = "title"
                elif all(q == q.lower() for q in shown):
                    out["case"] = "lower"
        for p in skill.meta.get("params", []):
            if p["name"] in ("languages", "langs", "lang", "language", "keep", "source_languages") and "list" in p["type"]:
                # the action's own languages; else its sentence's ("keep those lines: Dutch, Polish")
                # (not a language an aside says the data holds: "drop the non-English pages (the newsletter is French)")
                told = re.sub(r"\([^()]*\b(?:is|are|was|were)\b[^()]*\)", " ", text)
                codes = languages(told) or languages(context)
                if p["name"] == "source_languages":  # "translate the German and French posts into English": de, fr
                    target = skill.param("target_language") and out.get("target_language")
                    into = re.search(r"\b(?:into|to|in)\s+([A-Za-z]+)\b(?!.*\b(?:into|to)\s+[A-Za-z]+)", told)
                    shed = set(languages(into[1])) if into else set()
                    if target:
                        shed |= set(languages(str(target)))
                    codes = [c for c in languages(told) if c not in shed]
                    if codes:
                        out[p["name"]] = codes
                    continue
                if codes and skill.param("drop_languages") and (_drops_languages(text) or _keeps_other_languages(text)):
                    # "drop the German reviews"; "keep the non-English posts", "take only the posts not in English"
                    out.update({p["name"]: [], "drop_languages": codes})
                elif codes:
                    out[p["name"]] = codes
        out.update(choices_to_params(skill, text, getattr(self, "refused", ""), context))
        refused = getattr(self, "refused", "")  # "do not lower-case" said in a clause of its own
        out.update({k: v for k, v in literals_to_params(skill, refused, cols).items() if isinstance(v, bool)})
        for p in skill.meta.get("params", []):  # "leave the blank lines alone": a limit on them, unset (None: none)
            words = [w for w in p["name"].split("_") if w not in ("max", "min", "num", "n")]
            said = r"[ _-]".join(re.escape(w) for w in words)
            if refused and "None" in str(p["type"]) and p.get("default") is not None and words and re.search(
                    rf"\b(?:leave|keep)\s+(?:the\s+|all\s+|any\s+)?{said}\w*\s+(?:alone|as\s+(?:they|it)\s+(?:are|is)|"
                    rf"untouched|intact)\b|\b(?:don'?t|do\s+not|never)\s+(?:squeeze|collapse|limit|cap|touch|change|reduce)\s+"
                    rf"(?:the\s+|any\s+)?{said}", refused, re.I) and p["name"] not in out:
                out[p["name"]] = None
        out.update(literals_to_params(skill, text, cols))
        listed = enumeration_to_params(skill, text)
        if "label" in out:  # "label each review's topic, using only these labels: ...": the label it named
            listed.pop("label", None)
        out.update(listed)
        for p in skill.meta.get("params", []):  # "what kind of job is each instruction asking for": task_type
            if p.get("open") and p["name"] == "label" and "label" not in out and (b := builtin_label(p, text)):
                out["label"] = b
        styled = examples_to_params(skill, text)
        if not styled and context and text.strip(" ,.") and text.strip(" ,.").lower() in context.lower():
            # "redo the answer in a warmer, more empathetic voice": the comma cut the tone in two; the
            # sentence has it whole (a style in the sentence, not a word of another job)
            whole = _style_phrase(context)  # (only the tone the clause was cut inside: its last word starts it)
            cut = whole is not None and whole.lower() not in text.lower() \
                and whole.lower().split()[0].strip(",") == text.strip(" ,.").split()[-1].lower()
            styled = examples_to_params(skill, context) if cut else {}
        out.update(styled)
        out.update(numbers_to_params(skill, text))
        return {k: v for k, v in out.items() if k in skill.param_names}

    def _condition(self, plan: Plan, skill: Skill, action: Action, data: DataPeek):
        """(params, why, calibration): where_column/where_min/where_max from "only where rating is 1 or 2",
        or from "difficult problems" (a difficulty score step first, the bound set from the sample)."""
        names = set(skill.param_names)
        if "where_column" not in names:
            return {}, "", None
        if skill.kind in ("filter", "deduplicator"):  # a filter's condition is mostly its own job ("keep pairs whose
            return {}, "", None  # ifd is ...", "whose cosine is .88 or above"); the rows it applies to are set by
            # compose (_filter_scope, _scope_steps)
        cond = action.condition
        avail = list(data.columns) + [c for st in plan.steps for c in self._outputs(st)]
        if cond:
            # a bound compares numbers: prefer the named column whose sample values are numbers
            cols = sorted(column_mentions(cond, avail) or partial_column_mentions(cond, avail),  # "a CSAT of 2": csat_score
                          key=lambda c: not _numeric(c, data))
            lo, hi = condition_bounds(cond)
            if not cols and (lo is not None or hi is not None):  # "where it's 4 or more": a score just planned
                cols = self._recent_score(plan, f"{cond} {action.context}")
            if not cols and (lo is not None or hi is not None) \
                    and (BY_LLM.search(cond) or re.search(r"\bthe (?:model|judge|grader)\b", cond, re.I)) and \
                    (grader := self.cat.by_name.get("llm_quality_filter")) is not None:
                # "write questions for documents the LLM grades 4 or higher": the grade is a step of its own first
                plan.steps.append(PlanStep(op=grader.name, params=dict(grader.meta.get("measure_params") or {}),
                                           intent="producer", why=f"grades every row for {cond!r} (it only measures "
                                                                  "here: every row passes)"))
                cols = [c for c in self._outputs(plan.steps[-1]) if not c.endswith("rationale")][:1]
            if cols and (lo is not None or hi is not None):
                out: dict[str, Any] = {"where_column": self._pipeline_col(cols[0], data)}
                for k, v in _scope_bounds(cond, cols[0], data).items():  # ("more than 4 hours" keeps 4.5)
                    if not k.startswith("where_max") or "where_max" in names:
                        out[k] = v
                return out, f"; only {re.sub(r'^(?:but )?(?:only )?(?:(?:where|when|if|for|in) )?', '', cond).strip()}", None
            if "where_values" in names and lo is None and hi is None and \
                    (found := _named_values(replace(action, text=cond, condition=""), data)) is not None:
                col, values = found  # "only for rows whose origin is synthetic": a label selects them
                return ({"where_column": self._pipeline_col(col, data), "where_values": values},
                        f"; only rows whose {col} is {' or '.join(map(str, values))}", None)
            if "where_values" in names and lo is None and hi is None and (found := _label_by_word(cond, data)):
                col, values = found  # "For the sourdough post only": the one title with that word
                return ({"where_column": self._pipeline_col(col, data), "where_values": values},
                        f"; only rows whose {col} is {' or '.join(map(str, values))}", None)
        if not cond and "where_values" in names and skill.kind in ("mapper", "generator") \
                and (found := _named_values(action, data)) is not None and found[0] != data.text_field \
                and not _own_choices(skill, found[1]) and _held(found[0], found[1], data):
            col, values = found  # "paraphrase each question in the billing topic": a label the data holds
            return ({"where_column": self._pipeline_col(col, data), "where_values": values},
                    f"; only rows whose {col} is {' or '.join(map(str, values))}", None)
        if m := re.search(r"\b([a-z_][a-z0-9_]*)\s*(>=|<=|>|<|≥|≤)\s*(\d+(?:\.\d+)?)", action.full, re.I):
            col = next((c for c in avail if c.lower() == m[1].lower()), None)
            if col is not None:  # "escalate the hard ones (difficulty >= 0.6)"
                bound = "where_min" if m[2] in (">=", ">", "≥") else "where_max"
                if bound in names:
                    return ({"where_column": self._pipeline_col(col, data), bound: float(m[3])},
                            f"; only rows where {m[0]}", None)
        for m in re.finditer(r"\(([^()]{3,80})\)", action.full):  # "paraphrase the hard ones (difficulty above 0.8)"
            cols = [c for c in column_mentions(m[1], avail) if _numeric(c, data) or c not in data.columns]
            lo, hi = condition_bounds(m[1])
            if cols and (lo is not None or hi is not None) and (hi is None or "where_max" in names):
                out = {"where_column": self._pipeline_col(cols[0], data), **_scope_bounds(m[1], cols[0], data)}
                return out, f"; only rows where {m[1]}", None
        hard, easy = HARD.search(action.full), EASY.search(action.full)
        if (picked := SELECTING_ADJECTIVE.search(action.full)) is not None:  # "harder versions of the easy ones"
            hard, easy = HARD.search(picked[0]), EASY.search(picked[0])
        else:  # "make the questions more difficult": the job's own word (its phrasings use it), not a selection
            said = " ".join(skill.meta.get("examples", [])).lower()
            hard, easy = (m if m and not re.search(rf"\b{re.escape(m[0].lower())}\b", said) else None for m in (hard, easy))
        if not (hard or easy) or skill.category != "rewrite" or (easy and "where_max" not in names):
            return {}, "", None
        col = self._difficulty_column(plan, data)
        if col is None:
            return {}, "", None
        # 0.0 is a placeholder that passes the schema; validation sets the bound from the sample
        if hard:
            return ({"where_column": col, "where_min": 0.0}, f"; only rows whose {col} is in the top quarter of the sample",
                    {"param": "where_min", "column": col, "quantile": AUGMENT_QUANTILE})
        return ({"where_column": col, "where_max": 0.0}, f"; only rows whose {col} is in the bottom quarter of the sample",
                {"param": "where_max", "column": col, "quantile": EASY_QUANTILE})

    def _exempt(self, plan: Plan, scope: dict[str, Any], said: str, job: str | None = None) -> None:
        """Leave the rows of `scope` out of every step that changes rows or text ("leave the Photography department
        alone"), or out of the steps of one `job` (the action before a "but leave ... alone"); a step that cannot
        leave rows out is named in a note, never silently applied to them."""
        rows = _scope_why(scope).removeprefix("; every row except those ")
        cannot = []
        for st in plan.steps:
            if job is not None and st.intent != job:
                continue
            skill = self.cat.by_name.get(st.op)
            if skill is None or skill.kind not in ("filter", "deduplicator", "mapper", "generator") \
                    or skill.category == "evaluate" or skill.meta.get("reshapes"):
                continue  # measurements and column changes touch no row's text
            if skill.param("where_column") and "where_column" not in st.params:
                _restrict(st, scope)
            else:
                cannot.append(st.op)
        if cannot:
            plan.unmatched.append(said)
            plan.notes.append(f"{', '.join(cannot)} cannot leave rows out: it applies to every row, including those "
                              f"{rows} ({said!r} is not done for it). Split the data first, or drop the step.")
        elif plan.steps:
            plan.notes.append(f"leaving rows {rows} out of " + (f"the steps for {job!r}" if job else "every step")
                              + f", as asked ({said!r})")

    def _filter_scope(self, action: Action, data: DataPeek) -> dict[str, Any]:
        """where_* for a filter whose condition picks rows by a column of the input other than the one the job
        measures ("drop texts under 3 words, but only in the Cooking department"); {} where the condition is
        the filter's own ("keep the English tickets, only when the detector is 90% sure")."""
        cond = action.condition
        if not cond or _contentless(action.text) or not _names_a_job(action.text):
            return {}  # ("also drop anything whose license is unknown": the condition is the job)
        if not _removal(action.text):  # (a removal's condition scopes it; any other job's, as follows)
            job = next((sk for sk, _ in self.ranked(action.text)[:1]), None)
            kept = KEEPING.match(action.text) is not None
            # "dedupe the notes only where the work order is resolved" (not "keep only rows whose ...": a selection)
            dedupes = job is not None and job.kind == "deduplicator" and not _ranks(job) and not kept
            subset = not kept and job is not None and job.kind == "filter" and re.match(
                r"\W*(?:but\s+)?(?:only\s+)?(?:for|among|within|in)\b", cond, re.I) is not None
            if not dedupes and not subset:
                return {}  # "keep the English pages only where source is forum": both conditions hold, not one in
                # the other; "rewrite ... only for tickets rated 4 or higher": a job that takes its condition itself
        found = _named_values(replace(action, text=cond, condition=""), data)
        if found is not None and found[0] != data.text_field:  # "only in the Cooking department"
            col, values = found
            return {"where_column": self._pipeline_col(col, data), "where_values": values}
        lo, hi = condition_bounds(cond)
        cols = [c for c in column_mentions(cond, list(data.columns)) if c != data.text_field and _numeric(c, data)]
        if cols and (lo is not None or hi is not None):  # "among the reviews rated 4 or more"
            return {"where_column": self._pipeline_col(cols[0], data), **_scope_bounds(cond, cols[0], data)}
        return {}

    def _recent_score(self, plan: Plan, words: str) -> list[str]:
        """The column a bound with no column of its own compares ("for the ones scoring under 0.3"): an output
        of a planned step that the words name, else the first output of the last step that writes one."""
        outs = [c for st in reversed(plan.steps) for c in self._outputs(st)]
        named = column_mentions(words, outs) or partial_column_mentions(words, outs)
        return named[:1] or outs[:1]

    def _outputs(self, step: PlanStep) -> list[str]:
        from tilth.ops import registry

        try:
            return registry.build(step.op, step.params).output_columns()
        except Exception:  # params not valid yet (calibration pending): the declared names
            sk = self.cat.by_name.get(step.op)
            return [c for c in (sk.meta.get("outputs", []) if sk else []) if "{" not in c]

    def _reshape_params(self, text: str, data: DataPeek) -> dict[str, Any]:
        """keep_columns / drop_columns / rename_columns from "rename rating to stars", "drop the subject and url
        fields", "keep only the id and answer columns", "remove every column except text"."""
        out: dict[str, Any] = {}
        rename = {}
        for m in RENAME.finditer(text):
            old = next((c for c in data.columns if c.lower() == m[1].lower()), None)
            if old is not None and self._pipeline_col(old, data) == m[2] != old:  # "rename report to text": the
                self.unrenamed.append((old, m[2]))  # text column is `text` inside the run and `report` again after it
            elif old is not None and not m[2].startswith("_"):
                rename[self._pipeline_col(old, data)] = m[2]
        if rename:
            out["rename_columns"] = rename
        rest = RENAME.sub(" ", text)
        planning = getattr(self, "planning", None)  # ("..., into a new column called summary, then keep only ... and
        written = [c for st in (planning.steps if planning else []) for c in self._outputs(st)  # summary")
                   if c not in data.columns and not c.startswith("_") and st.op != "select_columns"]  # (a rename stays)
        named = [self._pipeline_col(c, data) for c in column_mentions(rest, list(data.columns) + written)]
        named = [c for c in named if c not in rename and c not in rename.values()]  # (a new name is kept as renamed)
        # "lose the names column", "drop the observer and distance columns": a word of one column's name each
        # (customer_name, distance_m)
        for m in re.finditer(r"\b((?:[a-z]+\s*(?:,|and|&)\s*)*[a-z]+)\s+(?:columns?|fields?)\b", rest, re.I):
            for w in re.findall(r"[a-z]+", m[1].lower()):
                forms = {w, w[:-1] if w.endswith("s") else w, w[:-2] if w.endswith("es") else w,
                         w[:-3] + "y" if w.endswith("ies") else w} - _NOT_COLUMN_WORDS - {"and"}
                owners = [c for c in data.columns if not c.startswith("_") and forms & set(re.split(r"[_\W]+", c.lower()))]
                if len(owners) == 1 and (col := self._pipeline_col(owners[0], data)) not in named \
                        and col not in rename and col not in rename.values():
                    named.append(col)
        if named:
            excepted = re.search(r"\b(?:except|but|other than|apart from|besides)\b", rest, re.I)
            keeping = re.match(r"\W*(?:please\s+)?(?:keep|only|just|select)\b", rest, re.I)
            if excepted and keeping and re.search(r"\b(?:every|all|each)\b", rest[: excepted.start()], re.I):
                out["drop_columns"] = named  # "keep every column except statement and applicant_age"
            elif excepted or keeping:  # ("remove every column except text", "keep only the id and answer columns")
                out["keep_columns"] = named
            elif DROP.search(rest) or re.search(r"\b(?:strip|hide|lose|exclude)\b", rest, re.I):
                out["drop_columns"] = named  # never without a word for it: "lowercase the body" drops nothing
        return out

    @staticmethod
    def _removed(step: PlanStep, cols: list[str]) -> list[str]:
        op = _built(step)
        return op.removed_columns(cols) if op is not None else []

    def _order(self, plan: Plan) -> None:
        """Stage order (metadata), user order breaking ties; the user's "then" first where it orders a step whose
        result depends on the rows it sees (a deduplication, a rank, a sample: "remove near duplicates, then take a
        random 40%"); then a step that reads a column another step writes ("over 1,000 tokens" reads token_count's
        n_tokens) moves after its producer."""
        phases = getattr(self, "_phases", {})
        said = {phases.get(id(s), 0) for s in plan.steps if self._whole_set(s.op)}
        if said and len(said | {phases.get(id(s), 0) for s in plan.steps}) > 1:
            plan.steps.sort(key=lambda s: (phases.get(id(s), 0), self._stage(s.op)))
        else:
            plan.steps.sort(key=lambda s: self._stage(s.op))
        for _ in range(len(plan.steps)):
            moved = False
            for i, st in enumerate(plan.steps):
                reads = {v for k, v in st.params.items() if k in ("column", "where_column") and isinstance(v, str)}
                j = next((j for j in range(i + 1, len(plan.steps)) if reads & set(self._outputs(plan.steps[j]))), None)
                if j is not None:
                    plan.steps.insert(j, plan.steps.pop(i))
                    moved = True
                    break
            if not moved:
                return

    def _value_column(self, plan: Plan, action: Action, data: DataPeek, probe: bool = False,
                      ranking: bool = False) -> tuple[str | None, dict | None]:
        """The column a value filter reads: one named in the action (numbers favour numeric columns), an
        earlier step's output it names ("over 1,000 tokens" -> n_tokens), or a difficulty score. `ranking`: the
        column a rank orders (numbers or dates: see _rank_column)."""
        outputs = [c for st in plan.steps for c in self._outputs(st) if c not in data.pipeline_columns]
        cols = list(data.columns) + outputs
        if ranking and (by := self._rank_column(plan, action, data)):
            return by[0], None
        # a column named in full ("rated" -> rating) before one a single word points at ("tickets" -> ticket_id)
        said = column_mentions(action.full, cols)
        if date_bounds(action.full) and not ranking:  # "before 2026-11-05": the date column named (even if some of its values are
            said = [c for c in said if c != data.text_field]  # "reviews written before ..." names rows, not a date
            dated = said[:1] or [c for c in data.columns if _dated(c, data)]  # not ISO dates), else the only one
            return (self._pipeline_col(dated[0], data), None) if len(dated) == 1 else (None, None)
        # a value to compare: numbers, scores of earlier steps, dates or short labels -- never the text itself
        # ("the least helpful answers": helpful_votes, not the answer column)
        def comparable(c):  # (a rank orders numbers or dates, never labels: "the 3 most valuable items")
            return c in outputs or _numeric(c, data, share=0.5 if ranking else 1.0) or _dated(c, data) or (
                not ranking and _categorical(c, data))
        named = [c for c in said if comparable(c)] or [c for c in partial_column_mentions(action.full, cols)
                                                        if comparable(c)]
        if quantities(action.full) and not any(_numeric(c, data, share=0.5) or c in outputs for c in named):
            # "worth more than 200 euros": a number goes on a column of numbers; one whose name starts a word of the
            # request (estimated_value_eur) before a label column a word points at (item_category for "items")
            units = _started_by([c for c in data.columns if _numeric(c, data, share=0.5)],
                                re.findall(r"[a-z]+", action.full.lower()))
            named = units[:1] + named if len(units) == 1 else named
        if quantities(action.full):  # mostly numbers ("4", "5", "three") before words
            named.sort(key=lambda c: not (_numeric(c, data, share=0.5) or c in outputs))
        if named:
            return self._pipeline_col(named[0], data), None
        if (RANKED.search(action.full) or ranking and RANK_SHARE.search(action.full)) and (scored := [
                c for st in reversed(plan.steps) for c in self._outputs(st) if SCORE_NAME.search(c)]):
            return scored[0], None  # "score each page with the LLM and keep the top 30%": the score just planned
        if RANKED.search(action.full) and (m := re.search(r"\b(?:sort|order|rank)\w*\s+(?:\w+\s+){0,3}?by\s+(?:the\s+|their\s+)?"
                                                          r"([\w-]+)", action.context, re.I)):
            by = [c for c in column_mentions(m[1], cols) if comparable(c)]  # "sort them by rating ... keep the top 10"
            if by:
                return self._pipeline_col(by[0], data), None
        if HARD.search(action.full) or EASY.search(action.full):
            if probe:  # would be a difficulty score (added when planned)
                return "difficulty", None
            col = self._difficulty_column(plan, data)
            q = EASY_QUANTILE if EASY.search(action.full) else AUGMENT_QUANTILE
            return col, ({"param": "min", "column": col, "quantile": q} if col else None)
        return None, None

    def _rank_subset(self, plan: Plan, action: Action, data: DataPeek) -> tuple[str, list] | None:
        """The rows a rank is taken among, named by a label or a yes/no column ("the 5 cheapest items that were
        returned"); not a column named by the ranked quantity's own word ("the 10 tickets that took the longest
        to resolve" ranks hours_to_resolve, among every ticket)."""
        if _removal(action.full) or (found := _named_values(action, data)) is None:
            return None
        ranked = self._value_column(plan, action, data, probe=True, ranking=True)[0]
        stems = {w[:5] for w in re.split(r"[_\W]+", (ranked or "").lower()) if len(w) >= 4}
        return None if stems & {w[:5] for w in re.split(r"[_\W]+", found[0].lower()) if len(w) >= 4} else found

    def _rank_column(self, plan: Plan, action: Action, data: DataPeek) -> tuple[str, str | None] | None:
        """(column, which end to keep or None) for a rank ("the 5 most valuable items", "the 10 most recent
        inspections", "the 4 quickest inspections"): a column of numbers or dates named in full, else the one
        column of the quantity the rank's adjective measures (RANK_MEASURES: a money column for "cheapest", a
        duration for "quickest", the date for "most recent"). None where no such column is clear, or where a
        length ranks the texts themselves ("the 5 longest notes": a measuring step writes their length)."""
        outputs = [c for st in plan.steps for c in self._outputs(st) if c not in data.pipeline_columns]
        ordered = [c for c in [*data.columns, *outputs] if c != data.text_field and not ID_LIKE.search(c)
                   and (c in outputs or _numeric(c, data, share=0.5) or _dated(c, data))]
        text = _without_dates(action.full)
        said = column_mentions(text, ordered)
        # "the 3 most expensive wines we tasted in 2025": tasted_on bounds the rows, the rank is the price's (an
        # adjective that dates do not measure)
        undated = any(dated is None and re.search(rf"\b(?:{adjective})\b", text, re.I)
                      for adjective, _, dated, _ in RANK_MEASURES)
        # ("which five samples had the highest turbidity": `sampled_on` shares the rows' noun, and "highest" is no
        # word for dates; "the 10 most recent samples" is)
        by_date = any(dated is not None and re.search(rf"\b(?:{adjective})\b", text, re.I)
                      for adjective, _, dated, _ in RANK_MEASURES)
        if said and (text != action.full or undated or not by_date):
            said = [c for c in said if not _dated(c, data)]
        if said:
            return self._pipeline_col(said[0], data), None
        # ("the 5 deepest potholes in Old Town": a label's words are no adjective of the rank)
        for col in data.columns:
            if _categorical(col, data):
                for v in sorted({str(r.get(col)) for r in data.rows if isinstance(r.get(col), str)}, key=lambda v: (-len(v), v)):
                    text = re.sub(rf"(?<![\w-]){re.escape(v)}(?![\w-])", " ", text, flags=re.I) if len(v) > 2 else text
        for adjective, words, dated, keep in RANK_MEASURES:
            m = re.search(rf"\b(?:(most|more|least|less|fewest)\s+)?(?:{adjective})\b", text, re.I)
            if m is None:
                continue
            if m[1] and m[1].lower() in ("least", "less", "fewest"):
                keep = "lowest" if keep == "highest" else "highest"
            fits = [c for c in ordered if re.search(rf"(?:^|_)(?:{words})(?:$|_)", c.lower())
                    and not (dated and _dated(c, data))]
            if dated and not fits:  # "the 10 oldest inspections": the date column, the earliest first (or a year)
                dates = [c for c in ordered if _dated(c, data)]
                years = [c for c in ordered if c not in dates and re.search(YEAR_MADE, c.lower())]
                # "the 5 oldest cars" on listed_on and year: a thing's age is the year it was made; its record's
                # age is the date the record is named after ("the 5 oldest listings": listed_on)
                aged = re.search(r"old|young|new", m[0], re.I) and years and not any(_shares_stem(text, c) for c in dates)
                fits = years if aged else dates or years
                keep = dated
            if words == LENGTH_WORDS and (not fits or data.text_field and data.text_field in column_mentions(
                    text, [data.text_field]) or TEXT_NOUNS.search(text)):
                return None  # "the 5 longest notes": the length of the text (a measuring step writes n_words)
            named = [c for c in fits if c in partial_column_mentions(text, fits)]
            if len(fits) == 1 or len(named) == 1:
                return self._pipeline_col((named or fits)[0], data), keep
            return None
        # "the five samples with the highest turbidity": turbidity_ntu, by one distinctive word of its name
        named = [c for c in partial_column_mentions(text, ordered) if not _dated(c, data)]
        return (self._pipeline_col(named[0], data), None) if len(named) == 1 else None

    def _only_number_column(self, data: DataPeek, values: list[float]) -> str | None:
        """The data's one column of numbers that is not an identifier (a rating, a price), if there is exactly one
        and the action's numbers lie within its sample's range ("rated 4 or more" on 1-5 stars, not "fifteen")."""
        cols = [c for c in data.columns if _numeric(c, data, share=0.5) and not ID_LIKE.search(c)]
        if len(cols) != 1 or not values:
            return None
        seen = [as_number(r[cols[0]]) for r in data.rows if looks_numeric(r.get(cols[0]))]
        return self._pipeline_col(cols[0], data) if all(min(seen) <= v <= max(seen) for v in values) else None

    def _measured_units(self) -> frozenset[str]:
        """Words of the columns that local measuring operators write per row ("token" from token_count's
        n_tokens): a quantity in one of these units is a bound on that column."""
        if getattr(self, "_units_cache", None) is None:
            from tilth.ops import registry

            words = set()
            for sk in self.cat.skills:
                if sk.kind == "mapper" and not sk.needs_llm:
                    try:
                        cols = registry.build(sk.name, {}).output_columns()
                    except Exception:  # needs parameters of its own
                        continue
                    words |= {w.rstrip("s") for col in cols for w in col.split("_") if len(w) >= 4}
            self._units_cache = frozenset(words)
        return self._units_cache

    def _plan_producer(self, plan: Plan, action: Action, data: DataPeek, ranking: bool = False) -> str | None:
        """Plan the measuring step whose output column the action names by a word ("tokens" -> token_count's
        n_tokens), so that a value filter can read it; returns that column. A rank by length ("the 5 longest
        notes") asks for the texts' length in words."""
        from tilth.agent.params import _stems
        from tilth.ops import registry

        words = {w for w in _stems(action.full) if len(w) >= 4}
        if ranking and re.search(r"\b(?:long|longer|longest|short|shorter|shortest|lengthy|lengthiest)\b", action.full, re.I):
            words.add("word")
        for sk in self.cat.skills:
            if sk.kind != "mapper" or (sk.needs_llm and not self.llm_available):
                continue
            try:
                outs = registry.build(sk.name, self.params_for(sk, "", data)).output_columns()
            except Exception:  # needs parameters the words do not give
                continue
            for col in outs:
                if col in data.pipeline_columns:
                    continue
                parts = {w for w in _stems(col.replace("_", " ")) if len(w) >= 4}
                if parts & words:
                    params = self.params_for(sk, "", data)
                    field = self.params_for(sk, action.full, data).get("text_field")
                    if field:  # "drop pairs whose output is over 512 tokens": the tokens of the output column
                        params["text_field"] = field
                    plan.steps.append(PlanStep(op=sk.name, params=params, intent="producer",
                                               why=f"{action.text!r} reads {col}, which {sk.name} writes"))
                    return col
        return None

    def _difficulty_column(self, plan: Plan, data: DataPeek) -> str | None:
        """The difficulty score column: one the data has, one a planned step writes, or a new scoring step."""
        for c in data.columns:
            if "difficult" in c.lower():
                return self._pipeline_col(c, data)
        for s in plan.steps:
            sk = self.cat.by_name.get(s.op)
            if sk and any("difficult" in o for o in sk.meta.get("outputs", [])):
                return next(o for o in sk.meta["outputs"] if "difficult" in o)
        ranked = [(s, v) for s, v in self.ranked("score how difficult each problem is")
                  if s.kind == "mapper" and (self.llm_available or not s.needs_llm)
                  and any("difficult" in o for o in s.meta.get("outputs", []))]
        if not ranked:
            return None
        sk = ranked[0][0]
        plan.steps.append(PlanStep(op=sk.name, params=self.params_for(sk, "", data), intent="difficulty",
                                   why="the request treats samples by difficulty, so they need a difficulty score first"))
        return next(o for o in sk.meta["outputs"] if "difficult" in o)

    def _reader_params(self, plan: Plan, text: str, data: DataPeek) -> None:
        """Reader choices the user names ("drop pages" of a PDF -> unit: page)."""
        from tilth.ops import registry
        from tilth.ops.acquire.readers import guess_reader

        try:
            reader = guess_reader(plan.input["path"]) if "format" not in plan.input else plan.input["format"]
            cls = registry.get(reader)
        except Exception:  # unknown formats are reported by validation
            return
        low = text.lower()
        if (m := re.search(r"\b(?:first|only|just|a sample of|sample of) (\d[\d,]*) (?:rows|records|documents|docs|lines|"
                           r"samples|examples|entries)\b", low)) and "limit" in cls.Params.model_fields \
                and not re.search(r"\brandom(?:ly)?\s+(?:\w+\s+)?$", low[: m.start()]):  # ("a random sample of 12 rows")
            plan.input["limit"] = int(m[1].replace(",", ""))
            plan.notes.append(f"reading only the first {plan.input['limit']} records, as asked")
        for p in cls.metadata()["params"]:
            for choice in p.get("choices") or []:
                # (not a choice said as the one not taken: "... as a single document rather than page by page")
                if choice != p["default"] and isinstance(choice, str) and re.search(rf"\b{re.escape(choice)}s?\b", re.sub(
                        r"\b(?:rather than|instead of|not|never|no)\s+(?:going\s+|splitting\s+|split\s+)?(?:by\s+|per\s+|"
                        r"into\s+)?(?:the\s+|each\s+)?[\w-]+(?:\s+by\s+[\w-]+)?", " ", low)):
                    plan.input[p["name"]] = choice
                    plan.notes.append(f"reading {cls.name} with {p['name']}={choice!r}, as the request speaks of {choice}s")

    def _saved_pipeline(self, request: str) -> Skill | None:
        """A saved pipeline whose request means the same as this one (embedding similarity) is reused."""
        facts = request_facts(request)  # a paraphrase, not a request with other numbers or the other direction
        saved = [s for s in self.cat.skills if s.kind == "pipeline" and s.meta.get("request")
                 and request_facts(s.meta["request"]) == facts]
        if not saved:
            return None
        if self.cat.use_embeddings:
            from tilth.agent.embed import encode

            e = encode([request] + [s.meta["request"] for s in saved])
            sims = e[1:] @ e[0]
            best = int(sims.argmax())
            return saved[best] if sims[best] >= SAVED_SIMILARITY else None
        want = set(re.findall(r"[a-z0-9]+", request.lower()))
        for s in saved:
            have = set(re.findall(r"[a-z0-9]+", s.meta["request"].lower()))
            if want and have and len(want & have) / len(want | have) >= 0.9:
                return s
        return None

    # -- wiring between steps --------------------------------------------------------------------------
    def finish(self, plan: Plan, data: DataPeek) -> None:
        """Record the columns after each step and mark heuristic filters for fitting on the sample."""
        cols = list(data.pipeline_columns)
        tidied: dict[str, str] = {}  # label columns a normalize_labels step rewrote: column -> case
        for step in plan.steps:
            skill = self.cat.by_name.get(step.op)  # None for an unknown operator: validation names it
            if step.op == "normalize_labels":
                tidied.update({c: step.params.get("case", "lower") for c in step.params.get("columns", [])})
            elif step.op == "value_filter" and step.params.get("column") in tidied:
                _values_as_tidied(step, tidied[step.params["column"]])
            elif step.op == "value_filter" and any(isinstance(v, str) for k in ("values", "drop_values")
                                                   for v in step.params.get(k) or ()) \
                    and step.params.get("column") in _misspelled_labels([step.params["column"]], data):
                # ("Grocery Store", "grocery store" and "Grocery Store  " in one column: every spelling of the label)
                step.params["loose_labels"] = True
                step.why += "; labels compared with case and extra spaces ignored (this column spells them several ways)"
            thresholds = skill.meta.get("thresholds", []) if skill else []
            self._confident_only_if_asked(step, data)
            self._short_shingles(step, data)
            self._named_units_only(step, skill)
            self._unwanted_outputs(plan, step, skill)
            self._said_word_floor(plan, step, thresholds)
            if step.op == "c4_line_cleaner" and "split_at_stops" not in step.params \
                    and _one_paragraph_rows(data, step.params.get("text_field", "text")):
                # (a cookie notice on the one line of a paragraph took the paragraph with it: trial 62)
                step.params["split_at_stops"] = True
                step.why += "; sentence by sentence: each text here is one paragraph on one line"
            if step.op == "lang_id" and step.params.get("languages") == [] and not step.params.get("drop_languages") \
                    and re.match(r"\W*how many\b", step.intent or "", re.I) and (codes := languages(step.intent)):
                # "how many of them are in German": the rows the detector's labels count, after the run
                # ("how many of all comments aren't in English": the others, and a row with no language among them)
                _language_count(plan, step.intent, "lang", codes)
            if step.params.get("languages") and step.params.get("drop_languages") \
                    and not set(step.params["languages"]) & set(step.params["drop_languages"]):
                # "keep only the English snippets, drop anything in Spanish or Italian": keeping English drops them
                step.params.pop("drop_languages")
            if (by := step.params.get("domain_field")) is not None:  # ("the average length in words per source": the
                for k in [k for k, v in step.params.items() if k != "domain_field" and k.endswith("_field") and v == by]:
                    del step.params[k]  # text is measured per source, not the source's own labels)
            if thresholds and step.calibrate is None and not skill.needs_llm and not plan.keep_all_rows:
                unset = [t for t in thresholds if (skill.param(t["param"]) or {}).get("default") is None]
                # any parameter but a column name tells the filter what to drop (thresholds among them), and
                # then the request decided: "keep only English" keeps the default confidence, not a fitted one
                rules_set = {k for k in step.params if not k.endswith(("_field", "_column")) and k != "column"}
                # (the rows it applies to are no rule of its own: "drop short comments except the CS101 ones" still
                # needs its bound, fitted below)
                scoped_only = bool(rules_set) and all(k.startswith("where_") for k in rules_set)
                if scoped_only:
                    rules_set = set()
                nonempty = next((t for t in thresholds if t["keep_if"] == ">="), None)
                lacks = [w for w in lacked(step.intent or "")
                         if w.split()[0].lower().rstrip("s") in {str(v).lower().rstrip("s") for v in step.params.values()}]
                if not rules_set and (EMPTY.search(step.intent or "") or lacks) and nonempty is not None:
                    step.params[nonempty["param"]] = 1  # "remove the empty transcripts": at least one of its unit
                    step.why += f"; empty = {nonempty['param']} below 1"
                elif scoped_only and unset and not (SMALL.search(step.intent or "") or LARGE.search(step.intent or "")
                                                    or _length_said(step.intent or "")):
                    # ("remove everything from the Fall 2023 term, except the ones where the student would recommend
                    # the course": a length filter scoped to those rows, with no length said: it ran and did nothing)
                    plan.unmatched.append(step.intent or step.op)
                    plan.notes.append(f"{step.op} was planned for {step.intent!r} with rows to apply to but nothing "
                                      f"of its own to judge, so it would change nothing: that part is not done")
                elif unset and not rules_set:  # an unset threshold is set from the sample: the one whose side the
                    side = SMALL.search(step.intent or "") and ">=" or LARGE.search(step.intent or "") and "<="
                    t = next((t for t in thresholds if t["keep_if"] == side), unset[0])  # words name ("short": min)
                    q = UNSET_QUANTILE if t["keep_if"] == ">=" else 1 - UNSET_QUANTILE
                    op = _built(step)  # its score column named with its parameters ('length_{unit}' -> length_words)
                    column = t["score"].format(**op.params.model_dump()) if op is not None else t["score"]
                    step.calibrate = {"param": t["param"], "column": column, "quantile": q, "score_self": True}
                elif not rules_set:  # defaults that would drop most of the sample are fitted to it
                    step.calibrate = {"fit_filter": True, "max_drop": FIT_MAX_DROP, "quantile": FIT_QUANTILE}
                elif rules_set <= {t["param"] for t in thresholds}:  # ("junk such as one-word replies": the
                    # request set min_doc_words 2; the defaults it did not say are fitted, its own bound stays)
                    step.calibrate = {"fit_filter": True, "max_drop": FIT_MAX_DROP, "quantile": FIT_QUANTILE,
                                      "fixed": sorted(rules_set)}
            breakdown = next((p for p in (skill.meta.get("params", []) if skill else [])
                              if re.search(r"\b(?:breakdown|distribution)\b", p["description"]) and p["name"].endswith("_field")), None)
            unnamed = re.search(r"\b(?:distribution|breakdown|proportions?|split|mix)\b", step.intent or "", re.I) \
                and not column_mentions(step.intent or "", list(data.columns))
            if breakdown is not None and breakdown["name"] not in step.params and unnamed:
                # "detect the language of every post and tell me the distribution": of the labels a step before wrote
                labels = [c for st in plan.steps[: plan.steps.index(step)] for c in self._outputs(st)
                          if not re.search(r"score|^n_|length|count|ratio|frac|ppl|perplexity|ifd|difficulty|rationale", c)]
                if labels:
                    step.params[breakdown["name"]] = labels[-1]
            if step.op == "value_filter" and step.params.get("column") not in tidied \
                    and (known := data.labels.get(step.params.get("column", ""))):
                # "keep suites" on a column of suite, deluxe, ...: a value no row has keeps nothing (or drops nothing)
                lacking = [v for k in ("values", "drop_values") for v in step.params.get(k) or ()
                           if isinstance(v, str) and v and v not in known]
                if lacking:
                    plan.notes.append(f"{step.params['column']} has no value {', '.join(map(repr, lacking))} in the first "
                                      f"{LABEL_ROWS:,} rows (its values: {', '.join(map(repr, known[:12]))}"
                                      f"{', ...' if len(known) > 12 else ''}); check the step keeps what you meant")
            gone = set(self._removed(step, cols))
            reads = set(self._reads(step)) if skill is not None else set()
            replaced = [c for c in self._outputs(step) if c in data.columns and c not in reads and c != data.text_field]
            if replaced:  # lang_id writes `lang`: the data's own `lang` labels would be lost without a word
                plan.notes.append(f"{step.op} writes {', '.join(map(repr, replaced))}, which replaces the data's own "
                                  f"column of that name; rename it first (select_columns rename_columns) to keep both")
            cols = [c for c in cols if c not in gone] + [c for c in self._outputs(step) if c not in cols]
            step.expects = list(cols)
        self._loose_groups(plan, data, tidied)

    @staticmethod
    def _loose_groups(plan: Plan, data: DataPeek, tidied: dict[str, str]) -> None:
        """Counts and figures per label of a column that spells its labels several ways (' Northside', 'Northside',
        'NORTHSIDE') count each label once, unless a step tidied the column first (trial 68: 9 branches of 3)."""
        messy = [c for c in _misspelled_labels([c for c in data.columns if c not in tidied], data)]
        for step in plan.steps:
            if step.op == "dataset_stats" and step.params.get("domain_field") in messy:
                step.params["loose_labels"] = True
                step.why += f"; {step.params['domain_field']} spells its labels several ways: case and spaces ignored"
        for q in plan.questions:
            for col in messy:
                g = _sql_ident(col)
                if q["sql"].startswith(f"SELECT {g}, ") and f"GROUP BY {g}" in q["sql"]:
                    tidy = f"lower(nullif(trim(regexp_replace(CAST({g} AS VARCHAR), '\\s+', ' ', 'g')), ''))"
                    was = q["sql"]
                    q["sql"] = q["sql"].replace(f"SELECT {g}, ", f"SELECT {tidy} AS {g}, ", 1) \
                        .replace(f"GROUP BY {g}", "GROUP BY 1").replace(f"ORDER BY {g}", "ORDER BY 1")
                    plan.notes = [n.replace(was, q["sql"]) for n in plan.notes]
                    plan.notes.append(f"{col} spells its labels several ways: {q['ask']!r} counts each once, in lower "
                                      f"case, with spaces tidied")

    @staticmethod
    def _said_word_floor(plan: Plan, step: PlanStep, thresholds: list[dict]) -> None:
        """A quality filter's minimum word count no stricter than a length the request set ("strip boilerplate, then
        drop anything shorter than 8 words": Gopher's 50-word minimum, or one fitted to the sample, would drop the
        9-word rows the user keeps)."""
        floors = [st.params["min"] for st in plan.steps if st.op == "length_filter" and st.params.get("unit") == "words"
                  and isinstance(st.params.get("min"), (int, float))]
        floors += [st.params["min_words"] for st in plan.steps if isinstance(st.params.get("min_words"), (int, float))
                   and st is not step]
        if SHORT_KEPT.search(plan.request or ""):  # ("get rid of the spam but keep the genuine comments, even the
            floors.append(1)                       # short questions": a short row is no reason to go)
        if not floors:
            return
        for t in thresholds:
            if re.fullmatch(r"min_(?:doc_)?words", t["param"]) and t["keep_if"] == ">=" and t["param"] not in step.params:
                step.params[t["param"]] = int(min(floors))
                step.why += f"; {t['param']} {int(min(floors))}, the length the request keeps"

    @staticmethod
    def _confident_only_if_asked(step: PlanStep, data: DataPeek) -> None:
        """"Drop the notes that aren't in English": a short note the detector calls English, unsure as it is on a
        few words, is not one of them. The default confidence stays for long documents (where a low score marks
        mixed or junk text) and wherever the request names a confidence."""
        # ("translate the posts that aren't in English": the rows in another language, which the request picks by
        # language; "translate every message" asks for them all, and a row named by its languages is the detector's)
        translating = step.op == "llm_translate" and step.params.get("only_other_languages", True) \
            and not step.params.get("source_languages") and re.search(
                r"\b(?:not|aren'?t|isn'?t|weren'?t|wasn'?t)\s+(?:written\s+)?in\b|\bnon-|\bforeign\b|\bother\s+languages?\b",
                step.intent or "", re.I) is not None
        if step.op != "lang_id" and not translating or "min_score" in step.params or not (
                translating or step.params.get("languages", ["en"]) or step.params.get("drop_languages")):
            return
        median = data.median_words(step.params.get("text_field", "text"))
        if median is not None and median < SHORT_TEXT_WORDS and translating:
            # ("translate the posts that aren't in English": "thanks!" is English, however unsure the detector is)
            step.params["min_score"] = 0.0
            step.why += (f"; min_score 0: lid.176 is unsure on short texts (median {median:.0f} words here), so a row "
                         f"whose most likely language is {step.params.get('target_language', 'English')} stays as written")
        elif median is not None and median < SHORT_TEXT_WORDS:
            step.params["min_score"] = 0.0
            step.why += (f"; min_score 0: lid.176 is unsure on short texts (median {median:.0f} words here), so a "
                         f"row is {'dropped' if step.params.get('drop_languages') else 'kept'} when its most likely "
                         f"language is listed; name a confidence to require one")

    def _unwanted_outputs(self, plan: Plan, step: PlanStep, skill: Skill | None) -> None:
        """"I don't want any title column in the result": an optional column the step writes (html_extract's
        title_field) is not written; the words are understood (no column of the data to drop)."""
        if skill is None:
            return
        for m in UNWANTED_COLUMN.finditer(getattr(self, "request", "")):
            p = skill.param(f"{m[1].lower()}_field")
            if p is not None and p not in column_params(skill) and "None" in str(p["type"]) and p["default"]:
                step.params[p["name"]] = None
                step.why += f"; no {m[1].lower()} column, as asked"
                said = re.compile(rf"\b{re.escape(m[1])}\s+(?:column|field)", re.I)
                plan.unmatched = [u for u in plan.unmatched if not said.search(u)]
                plan.notes = [n for n in plan.notes if not (said.search(n) and "names no column" in n)]

    @staticmethod
    def _named_units_only(step: PlanStep, skill: Skill | None) -> None:
        """"Get rid of posts with repeated lines": the rules on lines, not those on paragraphs and n-grams, which
        also drop short posts that repeat no line. Only where the request sets none of the rules and does not name
        the operator ("use the Gopher repetition filter, but loosen the paragraph limit" keeps them all)."""
        if skill is None or mentioned(skill, step.intent or "") or any(
                k not in ("text_field", "where_column", "where_min", "where_max", "where_values", "where_not")
                for k in step.params):
            return
        families = {f: [p for p in skill.meta.get("params", []) if re.search(rf"(?:^|_){f}", p["name"])]
                    for f in ("line", "para", "n_gram")}
        families = {f: ps for f, ps in families.items() if ps}
        said = {f for f, pattern in (("line", r"\blines?\b"), ("para", r"\bparagraphs?\b"),
                                     ("n_gram", r"\bn-?grams?\b|\bphrases?\b|\bwords?\b"))
                if f in families and re.search(pattern, step.intent or "", re.I)}
        if len(families) < 2 or not said or said == families.keys():
            return
        for f in families.keys() - said:
            for p in families[f]:
                step.params[p["name"]] = {} if str(p["type"]).startswith("dict") else None
        names = {"line": "lines", "para": "paragraphs", "n_gram": "n-grams"}
        step.why += f"; only the rules on {' and '.join(names[f] for f in sorted(said))}, as said"

    @staticmethod
    def _short_shingles(step: PlanStep, data: DataPeek) -> None:
        """"Near-duplicate abstracts (a word or two changed)": k changed words break about k*g of a text's n-g+1
        g-word shingles, so Jaccard is (S - kg) / (S + kg). On 40-word abstracts two changed words leave five-word
        shingles at 0.57, under the 0.8 default; word pairs keep 0.81, single words 0.90. The shingle is the
        longest that keeps two changed words at 0.85 or more for the sample's median length, at 0.8; on texts
        too short for that (under ~25 words) word sets at 0.7. Unless the request set either."""
        if step.op != "minhash_dedup" or step.params.keys() & {"ngram", "threshold"}:
            return
        median = data.median_words(step.params.get("text_field", "text"))
        if median is None:
            return
        fit = next((g for g in (5, 4, 3, 2, 1) if _two_edits_jaccard(median, g) >= NEAR_MARGIN_JACCARD), None)
        if fit == 5:
            return
        ngram, threshold = (fit, 0.8) if fit else (1, 0.7)
        step.params.update({"ngram": ngram, "threshold": threshold})
        step.why += (f"; ngram {ngram}, threshold {threshold}: on texts of {median:.0f} words (the sample's median) "
                     f"two changed words leave {_two_edits_jaccard(median, 5):.2f} of 5-word shingles shared, "
                     f"{_two_edits_jaccard(median, ngram):.2f} of {ngram}-word ones; name a threshold to set one")

    # -- revision --------------------------------------------------------------------------------------
    def revise(self, plan: Plan, feedback: str, data: DataPeek) -> Plan:
        from tilth.agent.revise import revise

        return revise(self, plan, feedback, data)

    def add_for_text(self, plan: Plan, text: str, data: DataPeek) -> str | None:
        """Add the step one piece of feedback asks for ("also redact emails"); returns the operator or None."""
        ranked = self.ranked(text)
        if not ranked or ranked[0][1] < self.matcher.accept:
            return None
        best = ranked[0][0]
        if best.needs_llm and not self.llm_available and any(not s.needs_llm for s, v in ranked[:1]):
            return None
        self.add(plan, best, Action(text), data, list(data.pipeline_columns), why=f"the reviewer asked: {text!r}")
        plan.steps.sort(key=lambda s: self._stage(s.op))
        return best.name


SAVED_SIMILARITY = 0.85
_UNSET = object()


# words that point back at something already said rather than name anything
ANAPHORA = frozenset({"one", "each", "them", "it", "they", "those", "these", "that", "this", "rest", "other", "again",
                      "too", "also", "first", "last", "all", "every", "same", "ones", "only", "just", "earliest", "oldest",
                      "latest", "newest", "copy", "copies", "single", "instance", "what", "whatever", "falls", "fall",
                      "lies", "lie", "in", "between", "middle", "remaining", "remainder", "left", "everything", "else",
                      # "except the critical ones - keep those regardless"
                      "regardless", "regardles", "anyway", "anyways", "still", "either", "way", "no", "matter", "case",
                      "any"})


MEASURE_NOUN = re.compile(r"\b(?:counts?(?!\s+as\b)|metrics|stats|statistics|lengths|distributions?|histograms?|profile|"
                          r"summary|breakdown|numbers)\b", re.I)  # ("near matches count as dupes": what a dupe is)
# "..., but keep all the urgent ones", "leave the rest alone": the rows a sample is not drawn from stay
REST_KEPT = re.compile(r"\bkeep\s+(?:all|every|each)\b|\b(?:keep|leave)\s+(?:everyone|everybody|everything|anyone|all)\s+else\b|\b(?:the\s+)?(?:rest|others?)\b.*\b(?:stay|alone|as\s+(?:they|it)\s+(?:are|is)|"
                       r"untouched|kept)\b|\bleave\b.*\b(?:rest|others?)\b", re.I)
# "keep everyone else", "the rest stay": the rows a scoped step does not pick, said as a clause of its own
OTHERS_STAY = re.compile(r"\W*(?:(?:but|and)\s+)?(?:(?:keep|leave)\s+(?:everyone|everybody|everything|anyone|all|any)\s+"
                         r"(?:else|others?)|(?:keep|leave)\s+(?:all\s+)?the\s+(?:rest|others?)(?:\s+[a-z]+s)?|(?:everyone|everybody|"
                         r"everything)\s+else\s+(?:stays?|remains?)|the\s+(?:rest|others?)\s+(?:stays?|remains?|are\s+kept))"
                         r"(?:\s+(?:alone|as\s+(?:they|it)\s+(?:are|is)|untouched|in))?\W*$", re.I)
# the parts of a web page around its text, which extracting the text from its HTML leaves out
PAGE_FURNITURE = re.compile(r"\b(?:nav(?:igation)?|menus?|breadcrumbs?|sidebars?|footers?|headers?|boilerplate)\b", re.I)
# "add a column giving a short one-line reason for the delay based on the captain's remark": what a model writes, from
# which column
ADD_SAYING = re.compile(r"\badd\s+(?:a|an|one)\s+(?:(?:short|new|extra|brief|little|small)\s+)*(?:column|field)\s+"
                        r"(?:that\s+(?:says|gives|explains|states|describes|summari[sz]es)|saying|giving|explaining|describing|"
                        r"stating|summari[sz]ing)\s+(?P<what>(?:[^:]*?\s)?(?:reasons?|why|what|how|summary|explanation|description|"
                        r"cause|sentence|line|words?|gist|takeaway)\b.*?)(?:,?\s+(?:based\s+on|from|using|according\s+to|"
                        r"drawn\s+from|out\s+of)\s+(?P<src>.+?))?\W*$", re.I)
# "add a one-sentence summary of what happened to the bag in a new column", "add a column with a short summary of the
# description": the same, the column said after (or before, with "with") what the model writes
ADD_SAYING_IN = re.compile(r"\badd\s+(?:(?:a|an|one)\s+(?:new\s+|extra\s+)?(?:column|field)\s+(?:with|holding|containing)\s+)?"
                           r"(?:a|an|one)\s+(?P<what>(?:[\w-]+\s+){0,3}?(?:summary|reason|explanation|description|gist|takeaway|"
                           r"synopsis|recap)\b(?:\s+of\s+(?P<src>[^,.;]+?))?)(?:\s+(?:in|into|as|to)\s+(?:a|an|its\s+own|their\s+own)"
                           r"\s+(?:new\s+|extra\s+|separate\s+)?(?:column|field))?\W*$", re.I)
SAYING_FILLER = frozenset("a an the in of for to short one line few words brief what each row its their it".split())
# "could you clean up the rental log for me": a job said only as a heading for the ones that follow
GENERIC_CLEAN = re.compile(r"\W*(?:(?:can|could|would|will)\s+you\s+|please\s+|pls\s+)*(?:clean|tidy|sort|fix|spruce)\s+"
                           r"(?:up\s+)?(?:this|the|my|our|these)\s+(?:[\w-]+\s+){0,2}?(?:data|dataset|set|file|export|log|"
                           r"table|sheet|spreadsheet|csv|dump|corpus|collection|records|list|database)(?:\s+up)?"
                           r"(?:\s+(?:for\s+(?:me|us)|a\s+bit|please|a\s+little))*\W*$", re.I)
WEB_QUALITY = frozenset({"gopher_quality", "gopher_repetition", "c4_filter", "fineweb_filter", "c4_line_cleaner"})
# "don't throw away the short genuine reviews", "keep genuine short questions though": rows a removal must spare,
# said by what they are (genuine, real), not a job
GENUINE_SPARED = re.compile(r"\W*(?:but\s+|and\s+|please\s+)*(?:(?:do\s+not|don'?t|never)\s+(?:throw\s+(?:away|out)|drop|remove|"
                            r"delete|lose|toss|discard|kill|filter\s+out|get\s+rid\s+of)|keep|leave|spare|retain)\s+"
                            r"(?:the\s+|any\s+|all\s+)?(?:[\w-]+\s+){0,3}?(?:genuine|real|legit\w*|valid|proper|meaningful|"
                            r"honest|actual)\b|"
                            # ("short but real comments like 'Thanks!' should stay")
                            r"\W*(?:but\s+|and\s+)?(?:the\s+|any\s+|all\s+)?(?:[\w-]+\s+){0,3}?(?:genuine|real|legit\w*|valid|"
                            r"meaningful|honest|actual)\s+[\w-]+\b.*\b(?:stay|stays|remain|remains|are\s+fine|is\s+fine|"
                            r"are\s+ok(?:ay)?|be\s+kept)\W*$", re.I)
# a column where more is worse: its "worst" rows are its highest values
HARM = re.compile(r"sever|risk|error|defect|delay|latency|toxic|spam|damage|complain|cost|price|perplex|ppl|loss|"
                  r"violation|incident|injur|fail|bug|penalt|fine\b|fines|debt|churn|pain", re.I)
# "give me a random 25% sample": rows to keep, whatever the verb
SUBSET = re.compile(r"\b(?:sample|subsample|subset)\b|\b(?:a\s+)?random(?:ly\s+chosen)?\s+(?:\d+(?:\.\d+)?\s*(?:%|percent\b)|"
                    r"(?:half|third|quarter|fifth|tenth)\b)", re.I)  # ("a random 30% of the failed inspections")
# "do it with MinHash", "do this using n-gram hashing": how to do the job before, not a job of its own
METHOD = re.compile(r"^(?:and\s+|but\s+)?(?:please\s+)?(?:do|doing|perform|run|handle|make)\s+(?:it|this|that|them|the "
                    r"(?:job|step|dedup\w*|filtering|matching))\s+(?:with|using|via|by|through)\b", re.I)


def _anaphoric(action: Action) -> bool:
    """An action that keeps or drops and whose other words only point back ("keep one of each", "drop
    them"); "translate them" names a job by its verb, so it is not one."""
    verb = lead_verb(action.text)
    if not verb or not (DROP.match(action.text.strip()) or re.match(r"(?:keep|retain|leave|hold on to)\b", verb, re.I)):
        return False
    words = [w for w in tokenize(action.text) if w not in tokenize(verb)]
    return all(w in ANAPHORA for w in words)


# with a generic verb, these say nothing about the job either
# words that deny or except: a value's sign says them, once it is read ("excluding the ones that were not attended")
_NEGATORS = frozenset("not never no without excluding except other than but besides apart aside save unless".split())


MAX_ALSO = 3  # clauses quoted in one step's why; a long request would otherwise repeat itself there


def _also(step: PlanStep, text: str) -> None:
    """Record in the step's why that another clause asked for it too (quoted, short; counted past MAX_ALSO)."""
    quoted = step.why.count("; also '") + step.why.count('; also "')
    if quoted < MAX_ALSO:
        step.why += f"; also {(text if len(text) <= 80 else text[:77] + '...')!r}"
        return
    m = re.search(r"; and (\d+) more clauses?$", step.why)
    n = int(m[1]) + 1 if m else 1
    step.why = (step.why[: m.start()] if m else step.why) + f"; and {n} more clause{'s' if n > 1 else ''}"


def _names_measure(skill: Skill, text: str) -> bool:
    """The text names the score this filter writes ("perplexity", "IFD"): every word of an output column."""
    if skill.kind != "filter":
        return False
    words = {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower())}
    words |= {_MEASURE_SYNONYMS[w] for w in words if w in _MEASURE_SYNONYMS}  # "the average word is shorter than 4"
    return any(set(c.split("_")) <= words for c in skill.meta.get("outputs", []) if "{" not in c)


# words that say an output column's word ("average word ... shorter": mean_word_length)
_MEASURE_SYNONYMS = {"average": "mean", "avg": "mean", "long": "length", "longer": "length", "short": "length",
                     "shorter": "length", "lengthy": "length"}


ONE_OF_EACH = re.compile(r"\b(?:(?:just |only )?one (?:of each|copy|each)|a single (?:copy|one) of each|(?:collapsed?|merged?|"
                         r"reduced?|boiled? down) (?:in)?to (?:just |only )?one)\b", re.I)


def _contentless(text: str) -> bool:
    """A clause whose words only name rows ("For each row", "Keep texts", "Drop a ticket"): a generic verb (or
    none) and nouns for the data. It cannot say which job; an embedding of it matches whatever operator's
    phrasings mention the same nouns."""
    if ONE_OF_EACH.search(text):  # "keep one of each", "collapse them to one": keeping one of a group is a job
        return False
    words = re.findall(r"[a-z][a-z'-]*", ROW_NOUNS.sub(" ", text.lower()))
    if words and words[0] in VERBS and words[0] not in GENERIC:
        return False  # "embed the reviews", "translate them": the verb names the job
    return all(w in GENERIC or w in _FILLER for w in words)


def _built(step: PlanStep):
    """The step's operator with its parameters (defaults applied), or None while they are not valid yet
    (validation reports them)."""
    from tilth.ops import registry

    try:
        return registry.build(step.op, step.params)
    except Exception:
        return None


def _spare(step: PlanStep, skill: Skill, action: Action, extra: dict[str, Any]) -> None:
    """"Mask the card numbers. Keep emails and phone numbers readable": a clause that keeps values of an editing
    step's list parameter takes them out of it (from its default, if unset), instead of adding them."""
    if lead_verb(action.text) not in SPARE or job_kind(skill) != "edits":
        return
    for name, values in [(k, v) for k, v in extra.items() if isinstance(v, list)]:
        base = step.params.get(name)
        if base is None:
            base = (skill.param(name) or {}).get("default") or []
        step.params[name] = [x for x in base if x not in values]
        del extra[name]


SPARE = frozenset("keep leave preserve retain spare".split())


def _merge(params: dict[str, Any], more: dict[str, Any], overwrite: bool = False) -> None:
    """Merge a later clause's parameters into a step's: lists are joined ("redact e-mails, and phone
    numbers"); a scalar already set is kept unless the clause qualifies the step (`overwrite`)."""
    for k, v in more.items():
        if isinstance(v, list) and isinstance(params.get(k), list):
            params[k] = params[k] + [x for x in v if x not in params[k]]
        elif overwrite:
            params[k] = v
        else:
            params.setdefault(k, v)


LEANING = re.compile(r"^\W*(?:and\s+|but\s+)?(?:(?:when|if)\s+(?:unsure|in doubt|uncertain|not sure)\b|err\s+on\s+the\s+side|"
                     r"lean(?:ing)?\s+(?:towards?|to)\b|(?:better|rather)\s+(?:keep|have)\s+too)", re.I)
# "..., and also remove near-duplicate functions": another job of the same kind, not the one before restated
# "both exact copies and ones that are basically the same text": two kinds, so two jobs
BOTH = re.compile(r"\bboth\b[^.;!?]{1,80}?\band\b", re.I)
ADDITIVE = re.compile(r"^\W*(?:and\s+|then\s+)?(?:also|additionally|in addition|on top of that|plus)\b|"
                      r"\b(?:as well|too)\W*$", re.I)
THE_REST = re.compile(r"[,;]?\s*(?:and\s+|but\s+)?(?:keep|leave|retain)\s+(?:everything|all|anything)\s+(?:else|other)\b"
                      r"|[,;]?\s*(?:and\s+|but\s+)?(?:keep|leave|retain)\s+the\s+rest\b(?:\s+as\s+(?:it\s+is|is))?", re.I)
EMPTY = re.compile(r"\b(?:empty|blank|contentless|no text|nothing in (?:it|them))\b", re.I)
# words that say which end of a measure is unwanted: "remove very short documents" drops the small end
SMALL = re.compile(r"\b(?:short(?:est)?|small(?:est)?|tiny|little|few(?:est)?|brief|stubs?|thin|low(?:est)?|"
                   r"minimal|too few)\b", re.I)
LARGE = re.compile(r"\b(?:long(?:est)?|large(?:st)?|huge|big(?:gest)?|lengthy|massive|bloated|high(?:est)?|"
                   r"too many|oversized|giant)\b", re.I)
RENAME = re.compile(r"\b(?:rename|call|name|relabel)\s+(?:the\s+)?(?:columns?\s+|fields?\s+)?['\"`]?([\w-]+)['\"`]?"
                    r"(?:\s+(?:columns?|fields?))?\s+(?:(?:to|as|into)\s+['\"`]?|['\"`])([A-Za-z][\w-]*)", re.I)
# ("call notes 'observation'": a new name in quotes needs no "to")


def _ungrouped(text: str) -> str | None:
    """A grouping said of a noun that is not the rows' ("per doctor", "for each branch"): the phrase, for a figure no
    column grouped ("per row", "per head", "per hour" are rates, not groups)."""
    for m in re.finditer(r"\b(?:per|for (?:each|every)|in each|from each)\s+(?:the\s+)?([a-z][\w-]*)", text, re.I):
        if not ROW_NOUNS.fullmatch(m[1]) and m[1].lower() not in _RATE_UNITS:
            return m[0]
    return None


_RATE_UNITS = frozenset("head capita person row record item entry unit one cent percent second minute hour day week month "
                        "year page word token character char line sentence document doc sample night visit".split())


# words before "column" that name no column ("the other column", "those two fields")
_NOT_COLUMN_WORDS = frozenset("the this that these those other extra new old same every each all any two three both "
                              "which what one a an its their our my your".split())


def _values_as_tidied(step: PlanStep, case: str) -> None:
    """A value filter after its column's labels were tidied compares the tidied spellings ("Central Station" and
    "CENTRAL STATION" are "central station" by then)."""
    from tilth.ops.process.normalize_labels import tidy_label

    for key in ("values", "drop_values"):
        if isinstance(vals := step.params.get(key), list):
            step.params[key] = list(dict.fromkeys(tidy_label(v, case) if isinstance(v, str) else v for v in vals))


# "drop the Fall 2023 evals except the ones | where the student would recommend": the words before a condition that
# point at the rows it names
DANGLING_EXCEPT = re.compile(r",?\s*\b(?:except|apart\s+from|but\s+not|other\s+than)\s+(?:for\s+)?"
                             r"(?:the\s+ones?|those|any|the\s+rows?)?\s*$", re.I)
# "..., add a sentiment column ... Keep only those rows.": the rows a job was scoped to are the rows kept
# "translate the German and French posts into English, leave the rest out" (read as "... drop the rest"): the rows the
# job takes are the rows kept
REST_DROPPED = re.compile(r"\b(?:drop|remove|discard|lose|ditch|bin)\s+(?:all\s+)?(?:the\s+rest|the\s+others|everything\s+"
                          r"else)\W*$|\bleave\s+(?:all\s+)?(?:the\s+rest|the\s+others|everything\s+else)\s+out\W*$", re.I)
SCOPE_KEPT = re.compile(r"^\W*(?:and\s+|then\s+|also\s+|please\s+)*(?:(?:keep|retain|return|give\s+me|output|export)\s+"
                        r"(?:only|just)\s+|(?:only|just)\s+(?:keep|retain|return|output|export)\s+)(?:those|these|them|"
                        r"the\s+ones|that\s+subset)(?:\s+(?:rows|records|ones|forms|entries))?(?:\s+in\s+the\s+output)?\W*$"
                        r"|^\W*(?:and\s+|then\s+)?(?:drop|remove|discard|lose|ditch|bin)\s+(?:all\s+)?(?:the\s+rest|the\s+others|"
                        r"everything\s+else)\W*$"
                        # ("..., leave the rest out")
                        r"|^\W*(?:and\s+|then\s+)?leave\s+(?:all\s+)?(?:the\s+rest|the\s+others|everything\s+else)\s+out\W*$",
                        re.I)


def _kept_scopes(parsed: ParsedRequest) -> None:
    """ "For the Old Town forms rated 3 or lower, add a sentiment column. Keep only those rows.": the condition that
    scoped the job before becomes a selection of its own, planned before the job (which then applies to every row
    left), and the pointing clause is understood by it."""
    out: list[Action] = []
    for a in parsed.actions:
        scoped = next((b for b in reversed(out) if b.condition and b.asks), None)
        if SCOPE_KEPT.match(a.text) and not a.condition and scoped is not None:
            said = re.sub(r"^\W*(?:but\s+)?(?:only\s+)?(?:for|in|among|where|when|if|on)\s+", "", scoped.condition, flags=re.I)
            alone = 1 + max(b.sentence for b in parsed.actions)  # (a sentence of its own: no job of the other's)
            out.insert(out.index(scoped), replace(scoped, text=f"keep only {said}", condition="", inherited=False, own="",
                                                  context=f"keep only {said}", sentence=alone))
            out[out.index(scoped)] = replace(scoped, condition="")
            continue
        out.append(a)
    parsed.actions[:] = [replace(a, index=i) if a.index != i else a for i, a in enumerate(out)]  # (positions again)


def _column_like_sibling(action: Action, actions: list[Action], data: DataPeek) -> bool:
    """The action names columns only ("drop the inspector notes") and the next item of its list, which took its verb,
    says "column" ("... and the floor column"): a list of columns whose last item alone says what they are."""
    nxt = next((b for b in actions if b.index == action.index + 1), None)
    if nxt is None or not nxt.inherited or nxt.sentence != action.sentence or action.condition \
            or _COLUMN_WORD.search(action.text) or not _COLUMN_WORD.search(nxt.own or nxt.text) \
            or not column_mentions(action.text, list(data.columns)):
        return False
    names = {p.rstrip("s") for c in data.columns for p in re.split(r"[_\W]+", c.lower()) if p} | NOTE_WORDS
    words = re.findall(r"[a-z]+", DROP.sub(" ", WISH.sub("", action.text)).lower())
    return all(w.rstrip("s") in names or w in ("the", "a", "an", "their", "its", "all", "any", "of", "s") for w in words)


_COLUMN_WORD = re.compile(r"\b(?:columns?|fields?)\b", re.I)


def _unique_per_row(column: str, data: DataPeek) -> bool:
    """Every row of the sample holds its own value (ids, names of one row each): no label that repeats."""
    vals = [r.get(column) for r in data.rows if r.get(column) not in (None, "")]
    return len(vals) >= 10 and len({str(v) for v in vals}) == len(vals)


def _bare_column_list(text: str, data: DataPeek) -> list[str] | None:
    """The columns of "keep only booking id, room, team and cost" or "only keep the date and the price columns": two or
    more items, each naming one column of the data (_column_item); else None."""
    m = re.match(r"^\W*(?:please\s+)?(?:(?:keep|select|retain)\s+(?:only|just)|(?:only|just)\s+(?:keep|select|retain))\s+"
                 r"(?:the\s+)?(.+?)(?:\s+(?:columns?|fields?))?[\s.!?]*$", text, re.I)
    if m is None:
        return None
    items = [re.sub(r"^(?:the|its|their)\s+", "", w.strip(" '\"`"), flags=re.I)
             for w in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", m[1]) if w.strip(" '\"`")]
    found = [_column_item(w, data) for w in items]
    return found if len(found) >= 2 and all(found) and len(set(found)) == len(found) else None


def _column_item(item: str, data: DataPeek) -> str | None:
    """The one column an item of a list of columns names: its name (spaces for underscores), else a word of one
    column's name only ("the date": visit_date), else the one column of money for a word of money ("the price": cost)
    or of dates for "the date" (`posted`)."""
    columns = [c for c in data.columns if not c.startswith("_")]
    said = " ".join(item.lower().replace("_", " ").split())
    exact = [c for c in columns if c.lower().replace("_", " ") == said]
    if exact:
        return exact[0]
    if len(said.split()) > 2:
        return None
    named = column_mentions(said, columns) or partial_column_mentions(said, columns)
    if len(named) == 1:
        return named[0]
    if re.fullmatch(rf"(?:{MONEY_NAMES})", said):
        money = _money_columns([c for c in columns if _numeric(c, data)])
        return money[0] if len(money) == 1 else None
    if re.fullmatch(r"(?:the\s+)?(?:date|day|dates|timestamp|time)", said):  # ("the text and the date": `posted`)
        dated = [c for c in columns if _dated(c, data)]
        return dated[0] if len(dated) == 1 else None
    return None


def _lead_in_question(action: Action, actions: list[Action]) -> bool:
    """A question alone in its sentence, followed by a sentence that starts "just ..." or "(I) only (want|need) ..."
    ("Which plants sell best? Just give me total units sold per plant"): the question motivates the request after it."""
    if not action.context.rstrip().endswith("?") or any(b.sentence == action.sentence and b is not action for b in actions):
        return False
    nxt = next((b for b in actions if b.sentence == action.sentence + 1), None)
    return nxt is not None and re.match(r"\W*(?:just|(?:i\s+)?only\s+(?:want|need))\b", nxt.context, re.I) is not None


def _count_said(text: str, data: DataPeek) -> list[str]:
    """The data's one column counting things for "units", "items" or "pieces" right after an aggregate ("total units
    sold per plant": qty, not unit_price by the word "unit"), else []."""
    if not re.match(r"\W*(?:(?:number|count|amount)\s+of\s+)?(?:units|items|pieces|quantity|quantities)\b", text, re.I):
        return []
    cols = _count_columns([c for c in data.columns if _numeric(c, data)])
    return cols if len(cols) == 1 else []


def _money_said(text: str, data: DataPeek) -> list[str]:
    """The data's one column of money for a word that names an amount spent or earned ("the total spend per room" on
    `cost`), else []."""
    if not re.search(r"\b(?:spend|spent|spending|revenue|takings|income|money|turnover|sales|earnings|billing|amounts?|"
                     r"payouts?|compensation|reimbursements?)\b", text, re.I):  # ("the average claim amount")
        return []
    cols = _money_columns([c for c in data.columns if _numeric(c, data)])
    return cols if len(cols) == 1 else []


def _label_by_word(text: str, data: DataPeek) -> tuple[str, list[str]] | None:
    """(column, [label]) for a distinctive word of `text` that is a word of exactly one label of one label column
    ("the sourdough post" on a post_title column holding "Grandma's Sourdough Loaf"), else None."""
    found: set[tuple[str, str]] = set()
    labels = _labels(list(data.columns), data)
    for w in re.findall(r"[a-z][a-z'-]{3,}", text.lower()):
        if w in GENERIC or w in _FILLER or ROW_NOUNS.fullmatch(w) or any(w in _column_words(c) or w.rstrip("s") in
                                                                       _column_words(c) for c in data.columns):
            continue
        for c in data.columns:
            if c == data.text_field or c.startswith("_") or c not in labels:
                continue
            found |= {(c, v) for v in _seen_labels(c, data) if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", v.lower())}
    return (next(iter(found))[0], [next(iter(found))[1]]) if len(found) == 1 else None


def _misspelled_labels(columns: list[str], data: DataPeek) -> list[str]:
    """The label columns whose sample spells one label more than one way (' Cat ', 'cat')."""
    out = []
    for c in columns:
        vals = _seen_labels(c, data)
        if len({" ".join(v.split()).lower() for v in vals}) < len(vals):
            out.append(c)
    return out


def _spared_columns(text: str, columns: list[str]) -> list[str]:
    """The columns named right after an exception ("identical apart from the id", "everything except appt_id
    matches"): left out of what is compared."""
    out = []
    for m in re.finditer(r"\b(?:apart from|except(?:\s+for)?|other than|besides|but|ignor(?:e|ing)|excluding|not counting|"
                         r"aside from|save for)\s+((?:the\s+|its\s+|their\s+)?[\w-]+(?:\s+[\w-]+)?)", text, re.I):
        out += [c for c in column_mentions(m[1], columns) if c not in out]
    # ("the same refill logged twice under a different refill id", "with a new booking id": the id may differ)
    for m in re.finditer(r"\b(?:under|with|having|using|given|got|gets|get)\s+(?:a\s+|an\s+)?(?:different|new|another|other|"
                         r"fresh|second)\s+((?:[\w-]+\s+)?[\w-]+)", text, re.I):
        out += [c for c in column_mentions(m[1], columns) if c not in out]
    # ("drop duplicate rows, id doesn't count", "the id does not matter")
    for m in re.finditer(r"\b((?:the\s+)?[\w-]+)\s+(?:doesn'?t|does\s+not|don'?t|do\s+not|shouldn'?t|should\s+not|won'?t|"
                         r"need\s+not|needn'?t)\s+(?:count|matter|be\s+compared|be\s+counted)\b", text, re.I):
        named = column_mentions(m[1], columns)
        ids = [c for c in columns if ID_LIKE.search(c)]
        if not named and re.fullmatch(r"(?:the\s+)?ids?", m[1], re.I) and len(ids) == 1:
            named = ids  # ("the id doesn't count": request_id, the one id)
        out += [c for c in named if c not in out]
    return out


# "I only need listing_id, make, price_eur and description - drop the other columns": a list of the data's columns
# wanted, which the clause splitter would cut at its commas (and "make" read as a verb)
_WANTED_ITEM = r"(?:the\s+)?[\w-]+(?:\s+itself)?"  # ("comment_id, visit_date and the comment itself")
WANTED_COLUMNS = re.compile(r"\b(?P<lead>(?:i|we)\s+(?:only\s+|just\s+)?(?:need|want|care\s+about|use)|(?:only|just)\s+keep|"
                            r"keep(?=\s+(?:only|just)\b)|"  # ("trim the output down to ride_id, station and fare")
                            r"(?:trim|cut|narrow|pare|slim|reduce|limit|restrict)\s+(?:(?:the|this|our|my)\s+)?(?:output|"
                            r"results?|data(?:set)?|file|export|table|columns?|it)?\s*(?:down\s+)?to|"
                            r"only|just)\s+(?:only\s+|just\s+)?"  # (bare, with "columns" after: "and only the a, b and c columns")
                            rf"(?P<list>{_WANTED_ITEM}(?:\s*,\s*{_WANTED_ITEM})*(?:\s*,?\s+and\s+{_WANTED_ITEM}))"
                            r"(?P<tail>\s+(?:columns?|fields?))?(?P<rest>\s*(?:[-\u2013\u2014,;.]\s*(?:and\s+)?(?:drop|remove|delete|"
                            r"get rid of|lose|ditch|toss|bin|scrap|strip)\s+(?:all\s+)?(?:the\s+)?(?:other|rest|remaining)\b"
                            r"[^.;!?]*)?)", re.I)


EXCEPT_COLUMNS = re.compile(rf"(?P<lead>\b(?:every|all|each)\s+(?:other\s+)?(?:columns?|fields?)\s+(?:except|but|other\s+than|"
                            rf"apart\s+from|besides)(?:\s+for)?)\s+(?P<list>{_WANTED_ITEM}(?:\s*,\s*{_WANTED_ITEM})*"
                            rf"(?:\s*,?\s+and\s+{_WANTED_ITEM}))(?!\s+(?:columns?|fields?)\b)", re.I)


def _column_list(text: str, columns: list[str]) -> str:
    """The request with a wanted list of column names said as one column job ("keep only the A, B and C columns");
    the words after it that drop the other columns are that job already."""
    def items(listed: str) -> list[str] | None:  # two or more of the data's columns, or None
        found = [re.sub(r"^the\s+|\s+itself$", "", w, flags=re.I) for w in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", listed)
                 if w]
        return found if len(found) >= 2 and all(any(w.lower() == c.lower() for c in columns) for w in found) else None

    def one(m: re.Match) -> str:
        if (named := items(m["list"])) is None or m["lead"].lower() in ("only", "just") and not m["tail"]:
            return m[0]
        # (the words after it that drop the other columns are this job; bare space after it stays)
        return f"keep only the {', '.join(named[:-1])} and {named[-1]} columns" + (m["rest"] if not m["rest"].strip() else "")

    def excepted(m: re.Match) -> str:  # "keep every column except statement and applicant_age": one list
        if (named := items(m["list"])) is None:
            return m[0]
        return f"{m['lead']} the {', '.join(named[:-1])} and {named[-1]} columns"
    text = EXCEPT_COLUMNS.sub(excepted, text)
    text = WANTED_COLUMNS.sub(one, text)
    # ("fix the capitalisation in species and habitat": two columns of one job, never a job per column)
    names = "|".join(re.escape(c) for c in sorted(columns, key=len, reverse=True) if len(c) >= 3 and not c.startswith("_"))
    return re.sub(rf"(?<![\w-])(?<!,\s)(?<!,)({names})\s+(and|or|&)\s+(?=(?:the\s+)?(?:{names})(?![\w-]))", "\\1 \x01\\2 ", text,
                  flags=re.I) if names else text


def _dropped_here(a: Action, data: DataPeek) -> list[str]:
    """The columns this clause leaves out (columns_dropped), read in its sentence: "strip out the owner names and the
    free-text vet notes" is two clauses of one list."""
    own = columns_dropped(a.full, data)
    if own:
        return own
    words = re.findall(r"[\w'-]+", a.full.lower())
    return [c for c in columns_dropped(a.context, data) if names_column(c, words)]


def _labels_tidied_once(plan: Plan) -> None:
    """A text normalisation of a label column that normalize_labels tidies too is that tidying said again ("tidy
    the branch and format names (trim the spaces, make the capitalisation consistent)": trial 84 planned a
    normalize of branch beside the labels step); it is folded into the labels step."""
    steps = [st for st in plan.steps if st.op == "normalize_labels"]

    def tidied_by(st: PlanStep) -> PlanStep | None:  # the labels step whose column it normalises, or names
        col = st.params.get("text_field")
        said = st.intent or ""
        return next((ls for ls in steps for c in ls.params.get("columns", []) if c == col or col is None and re.search(
            rf"\b{re.escape(c).replace('_', '[ _]')}\b", said, re.I)), None)

    again = [(st, labels) for st in plan.steps if st.op == "normalize" and set(st.params) <= {"text_field"}
             and (labels := tidied_by(st)) is not None]
    for st, labels in again:
        _also(labels, st.intent or "")
    again = [st for st, _ in again]
    plan.steps[:] = [st for st in plan.steps if all(st is not a for a in again)]


def _kinds_changed(saved: Skill, data: DataPeek) -> list[tuple[str, str, str]]:
    """(column, kind then, kind now) for each column of the data a saved pipeline was planned on that holds
    another kind of value here (see column_kinds); a skill saved without them is taken as it is."""
    then, now = saved.meta.get("column_kinds") or {}, column_kinds(data)
    return [(c, then[c], now[c]) for c in then if c in now and then[c] != now[c]]


def _shingles(skill: Skill) -> bool:
    """The deduplicator that compares word shingles (minhash_dedup)."""
    return skill.kind == "deduplicator" and re.search(r"\bshingles?\b", skill.meta.get("description", ""), re.I) is not None


def _reads_a_column(skill: Skill) -> bool:
    """The operator reads one named column of values (value_filter; top_filter, whose column only a random draw
    goes without)."""
    return bool(skill.param("column")) and (skill.param("column")["required"] or _ranks(skill))


def _ranks(skill: Skill) -> bool:
    """The operator keeps a share or a count of rows by rank (top_filter)."""
    return bool(skill.param("fraction") and skill.param("count") and skill.param("column"))


def _without_dates(text: str) -> str:
    """ "the 3 longest delays since April 2025" -> "the 3 longest delays": the text without its dates and the
    words that lead them."""
    from tilth.agent.dates import mask

    # ("tasted in 2025", "during 2024", "since 2020": a year the words lead is a date too)
    masked = re.sub(r"\b(in|during|from|since|after|before|until)(\s+)((?:1[5-9]|20)\d\d)\b(?![.,]?\d)",
                    lambda m: m[1] + m[2] + " " * len(m[3]), mask(text), flags=re.I)
    gone = re.sub(r"(?:\s*\b(?:between|from|since|in|during|after|before|until|till|through|on|and|to|or)\b)*\s{3,}",
                  " ", masked + "   ")
    return re.sub(r"\s+", " ", gone).strip(" ,")


# "the hard questions", "the easy ones": an adjective that picks rows by difficulty (see _condition)
SELECTING_ADJECTIVE = re.compile(r"\b(?:the\s+|only\s+)?(?:hard(?:er|est)?|difficult|challenging|tough|tricky|"
                                 r"advanced|easy|easier|easiest|simple|simplest|trivial|basic)\s+"
                                 r"(?=(?:ones?|questions?|problems?|tasks?|prompts?|exercises?|puzzles?|items?|"
                                 r"examples?|rows?|samples?|records?|instructions?)\b)", re.I)


def _unselected(text: str) -> str:
    """ "paraphrase the hard questions": the verb says the job, the adjective which rows it applies to (a
    condition, set from a difficulty column); left in, it pulls the query to the difficulty scorer. So does a
    bound in brackets ("rewrite the questions (difficulty at most 0.3)"). A verb
    that only drops, keeps or measures ("throw away the easy ones") makes the adjective the job itself."""
    verb = lead_verb(text)
    if not verb or verb in GENERIC or verb in MEASURE or verb in {"score", "rate", "grade", "label", "tag", "find"}:
        return text
    text = re.sub(r"\s*\([^()]*\d[^()]*\)", lambda m: "" if condition_bounds(m[0]) != (None, None) else m[0], text)
    return SELECTING_ADJECTIVE.sub("the ", text)


# a number after it is a bound: "repairs over 30 minutes")


_RANDOM_COUNT = (
    re.compile(r"\b(?:a\s+)?random(?:ly)?\s+(?:(?:sample|pick|choose|select|take|draw)\s+(?:of\s+)?)?(\d[\d,]*)\b"
               r"(?!\s*(?:%|percent|per\s*cent)|[.,]\d)", re.I),
    re.compile(r"\b(\d[\d,]*)\s+(?:random(?:ly\s+(?:chosen|picked|selected))?|rows?\s+at\s+random|\w+\s+at\s+random)\b",
               re.I),
    re.compile(r"\b(?:sample|pick|choose|select|draw)\s+(\d[\d,]*)\s+(?:\w+\s+)?(?:at\s+random|randomly)\b", re.I))


def _random_count(text: str) -> int | None:
    """How many rows a request for a fixed-size random sample wants ("randomly sample 20 of what's left", "give
    me 50 random episodes", "pick 10 rows at random"); None for a share ("a random 20%") or no such request."""
    low = spell_out_numbers(text.lower())
    for pattern in _RANDOM_COUNT:
        if (m := pattern.search(low)) and int(m[1].replace(",", "")) > 0:
            return int(m[1].replace(",", ""))
    return None


NEAR_MARGIN_JACCARD = 0.85  # two changed words must stay this similar at the shingle size chosen (threshold 0.8)


def _two_edits_jaccard(words: float, ngram: int, edits: int = 2) -> float:
    """Jaccard of a text's g-word shingles with its copy where `edits` words far apart were changed."""
    shingles = max(words - ngram + 1, 1)
    return max(shingles - edits * ngram, 0) / (shingles + edits * ngram)


def _drops_languages(text: str) -> bool:
    """The action removes the rows in the languages it names ("drop the German reviews", "find the ones in
    French and remove them"), rather than keeping them ("keep German only") or removing every other language
    ("drop the non-English rows", "remove anything that isn't Spanish")."""
    if not DROP.search(text) or KEEP.search(text) or re.search(
            r"\b(?:the\s+)?others?\b|\bthe rest\b|\b(?:everything|anything) else\b|\ball (?:i|we) (?:need|want)\b", text, re.I):
        return False  # ("the Dutch and Polish lines are all I need - bin the others")
    first = LANGUAGE_NAME.search(text)
    before = text[: first.start()] if first else text
    return not re.search(r"(?:\bnon[- ]?|\bnot\b|n't\b|\bother than|\bexcept(?:\s+for)?|\bbut\b|\bforeign|\bapart from|"
                         r"\bbesides|\bsave for|\bunless)(?:\s+(?:the|those|in|written\s+in|\w+\s+in|(?:it'?s|they'?re|it is|"
                         r"they are)(?:\s+in)?))?\s*$", before.strip(" -"), re.I) \
        and not re.search(r"\bforeign\b|\bother languages?\b", text, re.I)


# what a label may name the place of ("the cats board", "the Leeds branch")
PLACE_NOUN = (r"(?:board|forum|channel|category|section|group|team|site|page|subforum|list|thread|feed|store|shop|branch|"
              r"department|region|office|depot|ward|unit|club|desk|queue)s?\b")


def _keeps_other_languages(text: str) -> bool:
    """The action keeps the rows in languages other than the one it names ("keep the non-English posts", "take only
    the posts that are not in English"): trial 86 kept the English ones instead."""
    first = LANGUAGE_NAME.search(text)
    if first is None or DROP.search(text) or not re.search(r"\b(?:keep|take|only|just|select|want|need|leave\s+me)\b",
                                                             text[: first.start()], re.I):
        return False  # ("drop the posts that are not in English" keeps English; "how many aren't in English" keeps all)
    before = text[: first.start()].strip(" -")
    return re.search(r"(?:\bnon[- ]?|\bnot\b|n't\b|\bother than|\bexcept(?:\s+for)?|\bapart from|\bbesides|\bsave for)"
                     r"(?:\s+(?:the|those|in|written\s+in|\w+\s+in))?\s*$", before, re.I) is not None


_FIGURE_NAMES = {"avg": "averages", "median": "medians", "sum": "totals", "max": "maxima", "min": "minima"}
# the first and last of a date column ("the earliest and latest posting dates")
_DATE_EXTREMES = ("earliest", "latest", "minimum", "maximum", "min", "max", "lowest", "highest")


# ("the highest pH recorded at each site" is a figure; "the 5 highest offers", "keep the highest rated" are rows)
_EXTREMES = ("highest", "lowest", "earliest", "latest", "longest", "shortest", "largest", "biggest", "smallest")
# what a rank's adjective measures: (adjective, words of a column that holds it, the end a date column keeps
# when no such column exists (None: dates do not measure it), the end kept). "the 3 most valuable items" ranks
# estimated_value_eur, "the 4 quickest inspections" duration_min (lowest first), "the 10 most recent" the date.
LENGTH_WORDS = r"duration|durations|minutes?|mins?|seconds?|secs?|hours?|hrs?|days?|delays?|wait|waiting|elapsed|" \
               r"latency|time|took|length"
RANK_MEASURES = (
    (r"valuable|expensive|costly|pric(?:ey|ier|iest)|costlier|costliest|dearest", MONEY_NAMES, None, "highest"),
    (r"cheap|cheaper|cheapest|affordable", MONEY_NAMES, None, "lowest"),
    (r"(?:cost|costs|costed|paid|pays|spent|spends|charged)\s+the\s+most", MONEY_NAMES, None, "highest"),  # "cost the most"
    (r"(?:cost|costs|costed|paid|pays|spent|spends|charged)\s+the\s+least", MONEY_NAMES, None, "lowest"),
    (r"long|longer|longest|lengthy|lengthiest|slow|slower|slowest", LENGTH_WORDS, None, "highest"),
    (r"short|shorter|shortest|quick|quicker|quickest|fast|faster|fastest|brief|briefest", LENGTH_WORDS, None, "lowest"),
    (r"heavy|heavier|heaviest", _WEIGHT := r"weight|weights|kg|kilos?|grams?|lbs?|mass|tons?|tonnes?", None, "highest"),
    (r"light|lighter|lightest", _WEIGHT, None, "lowest"),
    (r"popular|viewed|watched|liked|starred|downloaded|played", r"views|likes|stars|votes|upvotes|downloads|plays|"
     r"followers|clicks|shares|popularity", None, "highest"),
    # "the 5 lowest scoring calls": the score column (which end: the superlative's, read by the caller)
    (r"scoring|scored|rated|graded", r"score|scores|rating|ratings|grade|grades|points|marks", None, None),
    (r"old|older|oldest", r"age|aged", "lowest", "highest"),
    (r"young|younger|youngest", r"age|aged", "highest", "lowest"),
    (r"earliest", r"\b\B", "lowest", "lowest"),
    (r"recent|newest|latest|newer", r"\b\B", "highest", "highest"),
    (r"deep|deeper|deepest", r"depth|deep|cm|mm", None, "highest"),
    (r"shallow|shallower|shallowest", r"depth|deep|cm|mm", None, "lowest"),
    (r"far|farther|farthest|further|furthest|distant", _DISTANCE := r"distance|km|miles?|meters?|metres?", None,
     "highest"),
    (r"nearest|closest|near|close", _DISTANCE, None, "lowest"),
    (r"big|bigger|biggest|large|larger|largest|huge", _SIZE := r"size|area|amount|total|capacity|volume|bytes|kb|mb|gb|"
     r"quantity|qty|sqm|m2", None, "highest"),
    (r"small|smaller|smallest|tiny", _SIZE, None, "lowest"),
)
# a column of the year a thing was made or born ("year", "model_year", "year_built"): what "oldest" ranks things by
YEAR_MADE = r"(?:^|_)(?:year|yr|built|born|vintage)s?(?:$|_)"


def _shares_stem(text: str, column: str) -> bool:
    """Whether a word of the text and a word of the column start alike ("listings" and listed_on, "loans" and
    loaned_at): the column is named after the rows the text speaks of."""
    words = {w.lower()[:4] for w in re.findall(r"[A-Za-z]{4,}", text)}
    return any(w[:4] in words for w in re.split(r"[_\W]+", column.lower()) if len(w) >= 4 and w not in ("date", "time"))


# rows that are texts: "the 5 longest documents" ranks the texts by their length, not a duration column
TEXT_NOUNS = re.compile(r"\b(?:texts?|documents?|docs?|pages?|articles?|passages?|paragraphs?|essays?|posts?|"
                        r"comments?|messages?|descriptions?|notes?|answers?|responses?|prompts?|summar(?:y|ies)|"
                        r"transcripts?|write-?ups?)\b", re.I)


def _other_choice(had: dict, new: dict) -> bool:
    """A text parameter set otherwise than before (pivot_language German, then Spanish; label topic, then
    sentiment): the job once more, not the same step refined. Lists (PII kinds) add up; numbers are refined."""
    return any(isinstance(v, str) and isinstance(had.get(k), str) and had[k] != v for k, v in new.items()
               if not k.endswith(("_field", "_column")) and not k.startswith("where_"))


# the words of a parameter's name that make it the prompt side or the answer side of a pair of text columns
_PROMPTISH = ("input", "prompt", "instruction", "question")
_ANSWERISH = ("answer", "solution", "response", "output")


def _template(text: str, data: DataPeek) -> str | None:
    """A quoted text whose $placeholders (or {placeholders}) name the data's columns: a template to fill per row."""
    names = {c.lower(): c for c in data.columns}
    body = r"(?:[^'\"\u201d\u2019]|(?<=\w)['\u2019](?=\w))"  # (an apostrophe inside a word stays: "buyer's")
    for m in re.finditer(rf"(?<!\w)['\"\u201c\u2018]({body}*?[$\{{][A-Za-z_]\w*{body}*)['\"\u201d\u2019](?!\w)", text):
        held = re.findall(r"\$\{?([A-Za-z_]\w*)\}?|\{([A-Za-z_]\w*)\}", m[1])
        said = [a or b for a, b in held]
        if said and all(w.lower() in names or w.lower().rstrip("s") in names for w in said):
            return re.sub(r"\$\{?([A-Za-z_]\w*)\}?|\{([A-Za-z_]\w*)\}",  # (as the columns are spelled)
                          lambda h: "$" + names.get((w := (h[1] or h[2]).lower()), names.get(w.rstrip("s"), w)), m[1])
    return None


# a text that repeats itself, not a row that repeats another: "just one word repeated over and over"
# each row once: duplicates of rows, not a text repeating itself ("so each submission only counts once")
ONCE_EACH = re.compile(r"\b(?:each|every)\s+[\w-]+\s+(?:only\s+)?(?:counts?|appears?|shows?\s+up|is\s+(?:kept|counted)|"
                       r"stays?)\s+(?:only\s+)?once\b|\bonly\s+once\b|\bone\s+(?:copy|row|record)\s+(?:of|per)\s+each\b", re.I)
INNER_REPEAT = re.compile(r"\b(?:one|a|the same|a single|single)\s+(?:word|phrase|line|sentence)s?\b.{0,30}?\b(?:repeated|"
                          r"over and over|again and again|copy-?pasted)", re.I)


# a column the result must not have: "I don't want any title column in the result", "no title field"
UNWANTED_COLUMN = re.compile(r"\b(?:no|without|(?:don'?t|do\s+not)\s+(?:want|need)|not)\s+(?:any\s+|a\s+|an\s+|the\s+)?"
                             r"([a-z]+)\s+(?:column|field)s?\b", re.I)


# a bound and nothing else, after a filter in its sentence: "... plus everything scoring below 0.2"
BOUND_ONLY = re.compile(r"\W*(?:(?:and|plus|also|then|but)\s+)*(?:(?:drop|remove|throw out|discard|toss|get rid of|"
                        r"exclude|cut|keep|also)\s+)*(?:everything|anything|all|rows|ones|those|the ones)(?:\s+(?:else|"
                        r"that|which|that's|whose))?\s+(?:(?:is|are|has|have)\s+)?(?:scor(?:ing|ed|es?)|(?:with|has|having)"
                        r"\s+(?:an?\s+)?(?:score|value)|rated|valued)\s+(?:of\s+)?(?:below|under|above|over|less than|more "
                        r"than|at least|at most|lower than|higher than|[<>≤≥]=?)\s*[\d.]+\W*", re.I)


# "how many tickets", "how many rows are there in total": every row counted
ALL_ROWS_COUNTED = re.compile(r"\W*how many\s+(?:[a-z][\w'-]*\s+)?[a-z][\w'-]*s(?:\s+(?:are there|there are|do we have|"
                              r"we have|have we got|in total|total|altogether|in (?:it|there|the (?:set|data|dataset|file))))*"
                              r"[\s?.!]*", re.I)


def _column_headed(text: str, columns: list[str]) -> str:
    """A line headed by a column ("- `customer_message`: keep 4–60 words", "`text` → NFC + lower-case") as its job
    on that column ("keep 4–60 words in the customer_message column"): the head alone would be read as a goal, and
    the job would lose its column."""
    names = {c.lower(): c for c in columns}

    def said(m: re.Match) -> str:
        col = names.get(m[2].lower())
        return m[0] if col is None else f"{m[1]}{m[3].rstrip(' .;')} in the {col} column"
    text = re.sub(r"(?m)^(\s*(?:[-*•]|\d+[.)])?\s*)`?([\w.-]+)`?\s*(?::|→|->|=>)\s+(.+)$", said, text)
    # ("2) rows with `llm_difficulty` ≥ 4 → one harder variant each": the job, for those rows)
    return re.sub(r"(?m)^(\s*(?:[-*•]|\d+[.)])?\s*)((?:rows?|ones|those|entries|records|items)\s+(?:with|where|whose)\b[^→\n]*?)"
                  r"\s*(?:→|->|=>)\s+(.+)$", lambda m: f"{m[1]}{m[3].rstrip(' .;')}, only for {m[2]}", text)


def _beside_original(params: dict) -> str:
    """The new column a rewrite writes when the original text is kept ("..., keep the originals too")."""
    language = params.get("target_language")  # a translation beside the original: "text_english"
    return f"{params.get('text_field', 'text')}_{str(language).lower() if language else 'rewritten'}"


def _held(column: str, values: list, data: DataPeek) -> bool:
    """Every value is one the column holds in the sample or its labels (any case): "summarising the current
    trail conditions" names no trail called "Current", so a rewrite is not limited to such rows."""
    have = {str(v).lower() for v in [r.get(column) for r in data.rows] + list(data.labels.get(column, ()))}
    return all(str(v).lower() in have for v in values)


def _first_mention(text: str, column: str) -> int:
    """Where the text first names a word of the column (len(text) where it does not)."""
    spots = [m.start() for w in re.split(r"[_\W]+", column.lower()) if len(w) >= 3
             for m in [re.search(rf"\b{re.escape(w)}", text, re.I)] if m]
    return min(spots, default=len(text))


def _own_choices(skill: Skill, values: list) -> bool:
    """Values that name the job's own choices ("redact emails and phone numbers" where a `channel` column holds
    email and phone): the job's settings, not the rows it applies to."""
    return bool(choices_to_params(skill, " ".join(map(str, values))))


def _by_position(text: str, columns: list[str]) -> list[str]:
    """The columns in the order the text names them (by the first word of each found), unnamed ones last."""
    return sorted(dict.fromkeys(columns), key=lambda c: _first_mention(text, c))


def _missing_columns(action: Action, data: DataPeek) -> list[str]:
    """The columns a removal says rows lack ("drop chats with no CSAT", "remove rows missing a price", "rows with
    no department or no est_cost"), when they are not the text (for which an empty text is a length job): all of
    them, or none where the first said names no one column."""
    if not _removal(action.full):
        return []
    out = []
    for said in [w for w in lacked(action.full) if not ROW_NOUNS.match(w)]:  # ("drop empty pages": rows, not a column)
        cols = [c for c in column_mentions(said, list(data.columns)) or partial_column_mentions(said, list(data.columns))
                if c != data.text_field and not c.startswith("_")
                and (_numeric(c, data) or _categorical(c, data) or _dated(c, data))]
        if len(cols) != 1:  # (a text column without words is a length job: "no docstring")
            break
        out += [cols[0]] if cols[0] not in out else []
    return out


# what a row lacks: "no docstring", "without a CSAT", "missing a price", "an empty solution", "the solution is
# blank" (the phrase after the word, or before "is empty")
LACKING = re.compile(r"\b(?:no|without|missing|lacking|(?:doesn'?t|don'?t|didn'?t|does\s+not|do\s+not|did\s+not)\s+"
                     r"(?:have|has|include|contain|list|give|get|got)|(?:we|they|you|i)\s+(?:don'?t|do\s+not|did\s+not|didn'?t)\s+know\s+"
                     r"(?:which|who|what|the)|(?:with\s+)?(?:an?\s+)?(?<!near-)(?<!near )(?<!nearly )(?<!almost )(?<!mostly )(?<!virtually )"
                     r"(?:empty|blank|null))\s+"
                     r"(?:an?\s+|any\s+)?"
                     r"([\w-]+(?:\s+[\w-]+)?)"
                     r"|\b((?!(?:that|which|who)\b)[\w-]+(?:\s+(?!(?:that|which|who)\b)[\w-]+)?)\s+"
                     r"(?:is|are|was|were|comes? out|came out)\s+(?:empty|blank|missing|null)\b(?!\s+(?:an?|any|the)\b)",
                     re.I)  # ("rows that are missing a fine amount": what they lack is after it)


def lacked(text: str) -> list[str]:
    """The phrases that name what rows lack (LACKING), in the text's order; a list after one goes on ("missing a
    zone or a fine amount", "no department or no est_cost")."""
    out = []
    for m in LACKING.finditer(text):
        said = re.sub(r"\s+(?:or|and|nor)$", "", m[1] or m[2], flags=re.I)
        if m[2] and (two := re.match(r"(?:or|and|nor)\s+(.+)", said, re.I)):  # "where expiry_date or qty_on_hand is
            said = two[1]                                                 # missing": both
            if first := re.search(r"([\w-]+)\s*$", text[: m.start(2)]):
                out.append(first[1])
        out.append(said)
        at = (m.start(1) if m[1] else m.start(2)) + len(said)
        while m[1] and (more := re.match(r"\s*,?\s*(?:or|and|nor)\s+(?:an?\s+|any\s+|the\s+)?(?!(?:no|without|missing)\b)"
                                          r"([\w-]+(?:\s+(?!(?:or|and|nor|then)\b)[\w-]+)?)", text[at:], re.I)):
            out.append(more[1])
            at += more.end()
    return out


def _empty_text(action: Action, data: DataPeek) -> str | None:
    """The text column a removal says rows have empty ("drop rows that have an empty docstring", "drop problems
    whose solution is empty"): a length job on that column, at least one character."""
    if not _removal(action.full):
        return None
    strings = [c for c in _string_columns(data) if not _categorical(c, data) and not _dated(c, data)]
    for said in lacked(action.full):
        cols = [c for c in column_mentions(said, list(data.columns)) or partial_column_mentions(said, list(data.columns))
                if c in strings]
        if len(cols) == 1:
            return cols[0]
    return None


def _length_said(text: str) -> bool:
    """The text bounds a length ("empty or shorter than 20 characters", "no description (under 5 words)"): the
    length job takes that bound, not "at least one character"."""
    return any(q["bound"] and UNITS.get(q["unit"], q["unit"]) in TEXT_UNITS for q in quantities(text))


def _by_unit(text: str) -> tuple[str, str] | None:
    """The text cut between two bounds in different length units ("drop pages under 30 words or over 2,000
    characters"): the head with the first bound, and the verb with the second."""
    units = {UNITS.get(q["unit"]) for q in quantities(text) if q["bound"] and UNITS.get(q["unit"])}
    if len(units) < 2:
        return None
    m = re.search(r"^(.*?\b(?:words?|characters?|chars?|letters|tokens?))\s*,?\s+(?:or|and|but)\s+(.+)$", text, re.I)
    if m is None:
        return None
    verb = re.match(r"^\W*((?:please\s+)?[a-z]+(?:\s+(?:out|away|only))?)\b", m[1], re.I)
    return m[1], f"{verb[1]} {m[2]}" if verb else m[2]


def _names_a_job(text: str) -> bool:
    """Words beyond "drop anything" / "remove the questions": the clause says what to remove without its
    condition (a plural noun alone names the rows)."""
    rest = re.sub(rf"^\W*(?:(?:also|and|then|please|finally|next)\s+)*(?:{DROP.pattern})", "", text, flags=re.I)
    rest = re.sub(r"\b(?:any|anything|everything|all|those|these|the|ones?|that|which|them|out|away|of|it|such)\b", " ",
                  ROW_NOUNS.sub(" ", rest), flags=re.I)
    words = re.findall(r"[\w'-]+", rest)
    return bool(words) and not (len(words) == 1 and re.fullmatch(r"[a-z]{3,}s", words[0]))  # ("the questions": rows)


# "..., except the heating ones - keep all of those", "... keep them regardless": the exception is kept whole
# "..., keep the originals too", "keeping the original": an edit that leaves its input as it was
KEEPS_ORIGINAL = re.compile(r"\bkeep(?:ing)?\s+(?:the\s+)?originals?(?:\s+(?:[\w-]+\s+){0,2}?(?:too|as\s+well|also|around))?\b",
                            re.I)  # ("..., but keep the original comment too")
# "..., keep the German version only", "only the English translation kept": the translation replaces the text
TRANSLATION_ONLY = re.compile(r"\b(?:keep|want|need|leave)\s+(?:only\s+|just\s+)?(?:the\s+)?(?:[\w-]+\s+)?"
                              r"(?:version|translation|translated\s+(?:text|one))s?\b|\bonly\s+the\s+(?:[\w-]+\s+)?"
                              r"(?:version|translation)s?\s+(?:is\s+|are\s+)?kept\b", re.I)


WHOLE_ROWS = re.compile(r"\b(?:duplicated?|identical|repeated|copied)\s+(?:rows|records|entries|lines)\b|"
                        r"\b(?:rows|records|entries)\s+(?:that\s+are\s+|which\s+are\s+)?(?:exact\s+|identical\s+)?"
                        r"(?:copies|duplicates|identical)\b|\bduplicates?\s+of\s+(?:whole|entire)\s+rows\b", re.I)
# copies that differ a little ("near-duplicate", "fuzzy", "almost the same"): not the exact kind
# copies said to be exact ("exact duplicates", "word for word", "verbatim", "byte-for-byte", "identical")
EXACTLY = re.compile(r"\b(?:exact(?:ly)?|identical|verbatim|word[\s-]+for[\s-]+word|byte[\s-]+for[\s-]+byte|"
                     r"character[\s-]+for[\s-]+character|literal(?:ly)?|same\s+exact)\b", re.I)
# copies that are not word for word, said without "near" ("reworded", "the same question asked differently")
NOT_VERBATIM = re.compile(r"\b(?:mean(?:ing|s)?|paraphras\w*|reword\w*|rephras\w*|restat\w*|same (?:thing|question|idea|"
                          r"point|story|content|article|page)|variants?|versions?|slight(?:ly)?|a bit different|minor|"
                          r"differently|similar\w*|overlap\w*|mirror\w*|templat\w*|boilerplate|lightly|edited)\b", re.I)
PLAIN_DUPLICATE_MARGIN = 0.05  # a near deduplicator ranked this little above exact_dedup, for plain "duplicates"
NEAR_COPIES = re.compile(r"\bnear(?:ly)?[\s-]*(?:dup\w*|identical|copies|the same)|\bfuzzy\b|\balmost\s+(?:the\s+same|identical)"
                         r"|\b(?:nearly|almost|practically|virtually)\s+(?:a|an)\s+(?:copy|duplicate|repeat)"
                         r"|\bsimilar\b", re.I)
# short rows the request keeps whatever else goes ("even the short questions", "do NOT drop the short one-word reviews",
# "short notes can stay")
SHORT_KEPT = re.compile(r"\beven\s+the\s+(?:short|brief|one-word|tiny)\b|\b(?:do\s+not|don'?t|never|without)\s+"
                        r"(?:drop|remov|delet|touch|los|filter)\w*\s+(?:out\s+)?(?:the\s+|any\s+)?(?:short|brief|one-word|tiny)\b"
                        r"|\b(?:short|brief|one-word|tiny)\s+(?:[a-z]+\s+){0,2}(?:can|may|should|must)\s+(?:stay|remain)\b"
                        r"|\bkeep(?:ing)?\s+(?:the\s+|all\s+(?:the\s+)?|any\s+)?(?:short|brief|one-word|tiny)\s+[a-z]+", re.I)
# what a value_filter decides by: without one of these it keeps every row
_VALUE_RULES = {"min", "max", "values", "drop_values", "contains", "drop_contains", "keep_null"}
# words that say rows repeat other rows: a deduplicator is planned only where one of them is said ("get rid of the
# resends", "collapse the reposts", "keep one of each", "the same question asked many times", "dedupe")
SAMENESS = re.compile(r"\b(?:de-?dup\w*|dup\w*|copy|copies|copied|same|identical|repeat\w*|repetit\w*|twice|thrice|again|"
                      r"more than once|once|redundan\w*|similar\w*|near\w*|paraphras\w*|unique\w*|distinct|overlap\w*|"
                      r"clones?|cloned|re-?(?:submi|post|sen|upload|ask|print|publish|run)\w*|re-?word\w*|reword\w*|"
                      r"variants?|versions?|echo\w*|match\w*|alike|verbatim|semantic\w*|collaps\w*|merg\w*|"
                      r"one (?:of|per|each)|only one|doubles?|doubled|mirror\w*|rehash\w*|recycl\w*|twins?|look-?alike\w*|"
                      r"equivalent|minhash|simhash|fuzz\w*|carbon|same-?ish|restat\w*|say(?:s|ing)? the same|"
                      r"multiple times|many times|several times|\d+ times|over and over|re-?past\w*|lsh|jaccard|shingl\w*|"
                      r"cosine|embedding\w*|one [\w-]+ (?:from|of|per|for) (?:each|every))\b", re.I)
# "... into a new column", "as a separate field": the written text goes beside its source (no name given)
INTO_NEW_COLUMN = re.compile(r"\b(?:in|into|as|to)\s+(?:a|an|its\s+own)\s+(?:new|separate|extra|additional|own|second)\s+"
                             r"(?:column|field)\b(?!\s+(?:called|named)\b)", re.I)
# (read in the request as written: the parser folds both into "except ...")
KEEP_THOSE = re.compile(r"\bexcept\b[^.;!?]*\bkeep\s+(?:all\s+|every\s+one\s+)?(?:of\s+)?(?:those|them|these)\b|"
                        r"\bkeep\b[^.;!?]*\b(?:regardless|no matter what|in any case|anyway)\b", re.I)
# "..., except the ones about headphones", "but not the kettle reviews": rows a removal leaves alone
EXCEPT = re.compile(r"[\s,]+(?:but\s+)?(?:except(?:\s+for)?|apart\s+from|other\s+than|excluding|save\s+for|not|"
                    r"unless(?:\s+(?:they|it)(?:\s+(?:are|is|were|was|come|comes)|'s|'re|’s)(?:\s+from)?)?)\s+"
                    r"(?:in\s+|on\s+|from\s+)?(?:an?\s+)?"  # ("unless it's a cello")
                    r"((?:all\s+(?:of\s+)?)?(?:the|those|any|our)\s+.+|"
                    r"(?:(?!except\b|but\b|not\b|unless\b)[\w-]+\s+){1,3}(?:ones|reviews|rows|tickets|items|entries|records)\b.*|"
                    r"[\w-]+(?:\s*(?:,|and|or)\s*[\w-]+)*(?:\s+[\w-]+)?)$", re.I)  # ("except for potatoes"; "unless
# they are in good condition": a value and its column's word)


def _scope_steps(plan: Plan, before: set[int], scope: dict[str, Any], cat: Catalogue) -> None:
    """Restrict the filters and deduplicators planned since `before` (ids of the steps that were there) to the
    rows of `scope` (any step that can be restricted, for an exception: "redact phone numbers except in the
    driver rows")."""
    for st in plan.steps:
        skill = cat.by_name.get(st.op)
        if scope and id(st) not in before and skill is not None and skill.param("where_column") \
                and (skill.kind in ("filter", "deduplicator") or scope.get("where_not")) and "where_column" not in st.params:
            _restrict(st, scope)


def _restrict(step: PlanStep, scope: dict[str, Any]) -> None:
    """Apply `step` to the rows of `scope` only (or, with where_not, to every row but those), and say so."""
    step.params.update(scope)
    step.why += _scope_why(scope)


def _scope_why(scope: dict[str, Any]) -> str:
    """The rows a scoped step applies to, for its `why`."""
    col = scope["where_column"]
    if scope.get("where_values"):
        rows = f"whose {col} is {' or '.join(map(str, scope['where_values']))}"
    else:
        rows = f"whose {col} is " + " and ".join(f"{'at least' if k == 'where_min' else 'at most'} {v:g}"
                                                 for k, v in scope.items() if k in ("where_min", "where_max"))
    return f"; only rows {rows}" if not scope.get("where_not") else f"; every row except those {rows}"


def _labels_abbreviated(text: str, data: DataPeek) -> str:
    """The text with a label of several words written out where it is abbreviated: by its initials in capitals
    ("PE" for Physical Education) or by the start of each of its words ("special ed" for Special Education)."""
    out = text
    for col in data.columns:
        if col == data.text_field or col.startswith("_"):
            continue
        seen = _seen_labels(col, data)
        labels = {" ".join(v.split()) for v in seen if 2 <= len(v.split()) <= 4 and len(v) <= 40}
        if not labels or len(seen) > 40:
            continue
        by_lower = {}
        for v in sorted(labels):
            by_lower.setdefault(v.lower(), v)
        for low, v in by_lower.items():
            words = low.split()
            if not all(re.fullmatch(r"[a-z]+", w) for w in words):
                continue
            initials = "".join(w[0] for w in words).upper()
            # (the initials of one label only, and not a word: "IT" stays the label IT if the data has it)
            if sum("".join(w[0] for w in o.split()).upper() == initials for o in by_lower) == 1 \
                    and initials.lower() not in {x.lower() for x in seen}:
                out = re.sub(rf"(?<![\w-]){initials}(?![\w-])", v, out)
            # ("the power bank ones" for VoltGo Power Bank: two or more of its last words, which no other label ends in)
            for k in range(len(words) - 1, 1, -1):
                tail = words[-k:]
                if sum(o.split()[-k:] == tail for o in by_lower) == 1 and not re.search(
                        rf"(?<![\w-]){re.escape(low)}(?![\w-])", out, re.I):
                    said = r"\s+".join(map(re.escape, tail))
                    out = re.sub(rf"(?<![\w-]){said}(?![\w-])", v, out, flags=re.I)
            prefix = r"\s+".join(rf"{re.escape(w[:2])}[a-z]{{0,{max(len(w) - 2, 0)}}}" if i else re.escape(w)
                                  for i, w in enumerate(words))
            for m in list(re.finditer(rf"(?<![\w-])({prefix})(?![\w-])", out, re.I)):
                said = m[1].lower().split()
                if said != words and all(w.startswith(s) for w, s in zip(words, said, strict=True)):
                    out = out.replace(m[1], v)
    return out


# a part of a value said as a literal: quoted, or a path or address fragment ("/de/", "#help", ".pdf")
_LITERAL = r"(?:'[^']{1,40}'|\"[^\"]{1,40}\"|\(?[\w.-]*[/#][\w./#-]*\)?|\.[a-z0-9]{2,5}\b)"
_HOLDS = re.compile(r"\b(?:whose|where|with|if)\s+(?:the\s+|its\s+|their\s+)?(?P<col>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s+"
                    r"(?P<verb>contains?|includes?|has|holds|mentions?|points?\s+to|links?\s+to|goes\s+to|ends?\s+(?:in|with)|"
                    r"starts?\s+with)\b(?P<rest>[^.;!?]*)", re.I)


def _contained_literals(action: Action, data: DataPeek) -> tuple[str, list[str], bool] | None:
    """(column, the literal parts its value holds, whether those rows go) for "drop rows whose url contains /de/"
    or "... except the ones whose link points to the German (/de/) part": a column of text, a literal said."""
    m = _HOLDS.search(action.full)
    if m is None:
        return None
    parts = [p.strip("'\"()") for p in re.findall(_LITERAL, m["rest"]) if p.strip("'\"()/#.")]
    near = re.match(rf"\s*(?:(?:the|a|an|text|string|part|word|bit)\s+){{0,2}}{_LITERAL}", m["rest"], re.I)
    if not parts or near is None and not re.match(r"(?:points?|links?|goes)\b", m["verb"], re.I) \
            or re.match(r"(?:an?|the|each|every|any)\b", m["col"], re.I):
        return None  # ("if a page has fewer than fifteen words (the 'left blank' one)": no part of a value)
    strings = [c for c in data.columns if c != data.text_field and any(isinstance(r.get(c), str) for r in data.rows)]
    cols = column_mentions(m["col"], strings) or partial_column_mentions(m["col"], strings)
    if not cols and re.search(r"\b(?:link|url|address|path|page|site|href)s?\b", m["col"], re.I):
        cols = [c for c in strings if re.search(r"url|link|href|path|address", c, re.I)]
    if len(cols) != 1:
        return None
    gone = _removal(action.full) or bool(re.search(rf"\b{_EXCEPT}\s+(?:the\s+ones?|those|any|rows?)?\s*$",
                                                   action.full[: m.start()], re.I))
    return cols[0], parts, gone


def _amount_asked(text: str, data: DataPeek) -> str | None:
    """The numeric column whose unit "how many <unit>" / "how much <unit>" names ("How many kg did we take in" on
    weight_kg): its sum is the figure."""
    m = re.match(r"\W*how\s+(?:many|much)\s+([a-z]+)\b", text, re.I)
    if m is None:
        return None
    said = m[1].lower()
    units = {u for u, words in UNIT_NAMES.items() if said in words.split()}
    if not units:
        return None
    cols = [c for c in data.columns if _numeric(c, data) and units & set(re.split(r"[_\W]+", c.lower()))
            | ({said} & set(re.split(r"[_\W]+", c.lower())))]
    return cols[0] if len(cols) == 1 else None


# the job asks for new rows beside the old ones: of two operators equally fit, the one that adds rows (TIE apart)
MAKES_ROWS = re.compile(r"\b(?:\d+|two|three|four|five|several|a few|extra|more|new)\s+(?:new\s+|extra\s+|more\s+)?"
                        r"(?:variants?|copies|versions|paraphrases|rows|samples|examples)\b"
                        r"|\b(?:variants?|copies|versions)\s+(?:per|of each|for each|for every)\b", re.I)
TIE = 0.02
# a closed list of labels in brackets: "(skin, digestive, dental, other)"
# the request makes a language model do the job ("have the LLM rate", "ask the model", "with an LLM"), not
# "in LLM tokens"
LLM_DOES = re.compile(r"\b(?:have|let|get|ask|use|make|with|by|using|via)\s+(?:the|a|an|our|your|some)?\s*(?:\w+\s+)?"
                      r"(?:llms?|language models?|models?|gpt-?\w*|chatgpt|smollm\w*)\b", re.I)
_Q = r"['\"\u2018\u201c][^'\"\u2019\u201d]{1,40}['\"\u2019\u201d]"
SHORT_EXAMPLES = re.compile(rf"\b(?:like|such as|e\.g\.?,?|for example|for instance)\s+({_Q}(?:\s*(?:,|/|or|and|,\s*or|,\s*and)\s*{_Q})+)",
                            re.I)
# "(blank, null, 'n/a', 'ok', keyboard mashing and that kind of junk)": values shown in a bracket, quoted
QUOTED_IN_BRACKETS = re.compile(rf"\(([^()]*{_Q}[^()]*{_Q}[^()]*)\)")
REPEATED_RUN = re.compile(r"['\"\u2018\u201c]?\b(\w+)(?:[\s,]+\1\b){2,}(?:\s*(?:\.\.\.|\u2026))?['\"\u2019\u201d]?", re.I)
CHOICES = re.compile(r"\(\s*([\w' -]+(?:\s*[,/]\s*(?:or\s+|and\s+)?[\w' -]+){2,})\s*\)")
CHOICES_MARGIN = 0.15


def _offers(skill: Skill, name: str) -> bool:
    """Whether one of the skill's named choices is a word of `name` (llm_annotate's "difficulty" label for
    difficulty_heuristic)."""
    words = set(name.split("_"))
    return any(isinstance(c, str) and c in words for p in skill.meta.get("params", []) for c in p.get("choices") or ())


def _close(ranked: list, best, score: float, kind: str) -> tuple:
    """The first of the next three operators of `kind` that scores within TIE of the best, else the best."""
    return next(((s, v) for s, v in ranked[1:4] if s.kind == kind and v >= score - TIE), (best, score))
# the verb's object is a share of the words ("delete 20% of the words", "drop about 10% of the tokens"), not
# a condition on one ("functions where symbols are more than 40% of the characters")
SHARE_OF_UNITS = re.compile(r"^\W*(?:please\s+)?[\w-]+(?:\s+(?:out|away))?\s+(?:about\s+|around\s+|roughly\s+|some\s+|up to\s+)?"
                            r"\d+(?:\.\d+)?\s*(?:%|percent)\s+of\s+(?:the\s+|its\s+|their\s+|each\s+\w+'s\s+)?"
                            r"(?:words?|tokens?|characters?|chars?|letters?)\b", re.I)
REPEATED = re.compile(r"\b(?:repeated|repeating|duplicated?|identical|copied|reposted)\s+(?=\S)", re.I)


# a row said as a pair: "copies of the Q&A pairs", "same prompt and response", "the whole record"
PAIRED = re.compile(r"\bpairs?\b|\bq\s*&\s*a\b|\bq/a\b|\b(?:question|prompt|instruction)s?\s*(?:and|&|/|\+)\s*"
                    r"(?:the\s+)?(?:answer|response|output|completion|reply)s?\b|\bwhole (?:row|record|example)s?\b", re.I)


# First parts of operator names that are ordinary words: mentioning "random" or "length" is not naming an op.
COMMON_PREFIXES = {"llm", "read", "sample", "dataset", "exact", "length", "random", "token", "difficulty", "synonym",
                   "html", "perplexity"}


# "not those gopher/c4 heuristics", "instead of MinHash", "without the embedding model"
REFUSING = re.compile(r"\b(?:not|no|without|instead of|rather than|never|avoid|don'?t use|do not use|other than|"
                      r"except)\b[^.;:!?]{0,40}$")


def cannot_do(skill: Skill, text: str) -> list[str]:
    """The things the text asks of `skill` that its metadata says it does not do (`cannot`), unless the text
    rules them out itself ("everything except names")."""
    low = text.lower()
    found = []
    if skill.param("pivot_language") and (ROUND_TRIP.search(text) or VIA_LANGUAGE.search(text) or re.search(
            r"\bback\b", low)):
        return []  # "translate each sample to French and back": the round trip it does
    if skill.param("pivot_language") and (m := re.search(r"\btranslat\w*\b[^.;]*?\b(?:into|to)\s+([a-z]+)", low)) \
            and languages(m[1]) and not REFUSING.search(low[: m.start()]):
        found.append("one-way translation")  # "translate the German tickets into English": kept in English
    if skill.param("target_language") and not re.search(r"\btranslat", low) and not any(
            languages(m[1]) for m in re.finditer(r"\b(?:into|to|in)\s+([a-z]+)\b", low)):
        found.append("a text in no language to translate into")  # ("take just the French sentences": a filter)
    if skill.param("languages") and (m := re.search(r"\binto\s+([a-z]+)\b", low)) and languages(m[1]) \
            and not REFUSING.search(low[: m.start()]):
        found.append("translation")  # "put the non-English messages into English" ("limit to English" filters)
    for phrase in skill.meta.get("cannot", []):
        for m in re.finditer(rf"(?<!column )(?<!field )(?<!file )\b{re.escape(phrase.lower())}\w*", low):
            if not REFUSING.search(low[: m.start()]):
                found.append(phrase)
                break
    return found


def _language_count(plan: Plan, asked: str, column: str, values: list[str]) -> None:
    """The figure "how many of them are in German" / "how many aren't in English" asks, counted on `column` (the
    detector's `lang`, or the data's own column of languages) after the run."""
    negated = re.search(r"\b(?:not|aren'?t|isn'?t|weren'?t|wasn'?t)\s+in\b|\bnon-?(?=[a-z]+\b)|\bother\s+than\b",
                        asked, re.I) is not None
    col, listed = _sql_ident(column), ", ".join(_sql_literal(v) for v in values)
    sql = (f"SELECT count(*) FROM output WHERE {col} IS NULL OR {col} NOT IN ({listed})" if negated
           else f"SELECT count(*) FROM output WHERE {col} IN ({listed})")
    if all(q.get("sql") != sql for q in plan.questions):
        plan.questions.append({"ask": asked, "sql": sql})


def mentioned(skill: Skill, text: str, refused: bool = False) -> bool:
    """The text names this operator: its full name, or a distinctive first part ("minhash", "gopher", "c4").
    With `refused`, only a mention the text rules out ("not those gopher/c4 heuristics") counts."""
    low = text.lower()
    head = skill.name.split("_")[0]
    spots = [m.start() for m in re.finditer(rf"\b{re.escape(skill.name)}\b", low)]
    if "_" in skill.name and head not in COMMON_PREFIXES:
        spots += [m.start() for m in re.finditer(rf"\b{re.escape(head)}\b", low)]
    if refused:
        spots = [i for i in spots if REFUSING.search(low[:i])]
    if not spots:
        return False
    if any(low.startswith(skill.name, i) for i in spots):
        return True
    # a distinctive name part is a proper name in the operator's own description ("Gopher", "C4", "MinHash"),
    # not an ordinary lower-case word ("word", "mean", "stop")
    spelled = [m[0] for m in re.finditer(rf"\b{re.escape(head)}\b", skill.description, re.I)]
    return any(w != w.lower() or any(ch.isdigit() for ch in w) for w in spelled)


__all__ = ["DROP", "OfflinePlanner", "mentioned"]
