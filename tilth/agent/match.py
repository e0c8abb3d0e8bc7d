"""Match one action ("get rid of exact copies") to the operators that do that job, by meaning.

Each operator is represented by the phrasings in its own metadata: the first sentence of its description
and its `examples` (ways a user would ask for the job). An action's score for an operator is the best
cosine similarity between the action and any of those phrasings (MiniLM, shipped, offline), plus a small
BM25 term over the operator's whole card so exact vocabulary ("MinHash", "perplexity", a column name in
the description) still counts. The intent keyword rules of `intents.py` add a small prior; they never
decide alone. `ACCEPT` is the score an operator needs to be planned; it was calibrated on the dev split
of the evaluation set (`tilth/agent/eval/cases_dev.jsonl`) and is reported with the test split's figures.

Without embeddings (`--no-embed`) the score is half BM25 (relative to the best skill) and half the share
of the action's words that the skill's card knows (absolute, so nonsense is not accepted), with its own
threshold.
"""

from __future__ import annotations

import os
import re

import numpy as np

from tilth.agent.actions import ROW_NOUNS, lead_verb
from tilth.agent.intents import detect
from tilth.agent.retrieve import BM25, _stem, tokenize
from tilth.agent.skills import Catalogue, Skill

ACCEPT = {"embed": float(os.environ.get("TILTH_AGENT_ACCEPT", 0.55)), "bm25": 0.7}
BM25_WEIGHT = 0.15
INTENT_PRIOR = 0.08
VERB_BONUS = 0.06  # the action's verb leads one of the operator's phrasings ("paraphrase ...")
KIND_PENALTY = 0.1  # the action's verb asks for another kind of job than the operator does

# What a job does to the data, read from an operator's metadata: drops rows (filters, deduplicators), edits the
# text (a mapper that writes the text column), adds rows (generators), or measures (a mapper that only adds
# columns). A verb that clearly asks for one of these rules out operators of the kinds it never means: nobody
# says "remove" for "generate variants", or "label" for "rewrite". Ambiguous verbs (keep, make, clean, add, get)
# are left out.
JOB_VERBS = {
    "drop": ("drops", "edits"),  # "remove the emails" edits the text
    "dedup": ("drops",),
    "edit": ("edits", "adds"),  # "paraphrase" may add rows or rewrite them in place
    "add": ("adds",),
    "measure": ("measures", "drops"),  # "score quality and drop the worst"
    "elsewhere": (),  # reorder, split or move the data: no operator's job (the export writes the result)
    "annotate": ("measures", "drops"),  # "add a language column": a new column (a filter only measures then)
    "reshape": ("reshapes",),  # "drop the subject column", "rename rating to stars": which columns exist
}
# "drop the subject column", "keep only the id, question and answer fields", "rename rating to stars": a job on
# columns, not rows ("keep only rows whose rating field is 4" is about rows: a row word comes first)
_NOT_COLUMN_NAME = r"(?!(?:rows?|records?|documents?|docs?|entries|items?|samples?|examples?|whose|where|with|that|" \
                   r"which|if|when|in|from|of)\b)"
COLUMN_JOB = re.compile(r"^\W*(?:(?:also|and|then|finally|lastly|next|after that|afterwards|oh and|plus),?\s+)?(?:please\s+)?"
                        r"(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+|also\s+|just\s+)?)?"
                        r"(?:also\s+)?(?:(?:drop|remove|delete|discard|exclude|strip|hide|toss|ditch|lose|"
                        r"get rid of|throw (?:away|out)|leave out|omit|keep only|only keep|keep just|just keep|select|keep)\s+"
                        rf"(?:(?:{_NOT_COLUMN_NAME}[\w'-]+)(?:\s*,\s*|\s+and\s+|\s+|\s*/\s*)){{0,8}}?"
                        r"(?:columns?|fields?|attributes?|keys?)\b(?=\s*(?:$|[,.;:!?()]|and\b|then\b|too\b|as well\b|"
                        r"entirely\b|altogether\b|completely\b|except\b|but\b|other than\b|apart from\b|so\b|because\b|since\b|"
                        r"afterwards?\b|after that\b|at the end\b|(?:at\s+)?last\b|later\b|first\b|also\b|please\b|pls\b|"
                        r"before\b|once\b|when\b|while\b|for me\b|for us\b|"
                        r"from (?:the )?(?:data|dataset|output|export|file)\b))"
                        r"|rename\b)|^\W*(?:\w+\s+)?rename\s+\S+\s+(?:to|as|into)\b", re.I)  # (a verb borrowed before it)
# "add a language column", "attach a field with the toxicity score", "include a column for the word count"
NEW_COLUMN = re.compile(r"^\W*(?:please\s+)?(?:add|attach|append|include|store|record|put|write|create)\b"
                        r"(?:(?!\b(?:rows?|records?|examples?|samples?|variants?|copies|versions?)\b).)*"
                        r"\b(?:column|field|attribute)s?\b", re.I)
VERB_CLASS = {
    **dict.fromkeys("remove drop delete discard exclude purge prune throw weed toss ditch eliminate bin trash scrap "
                    "chuck nuke".split(), "drop"),
    **dict.fromkeys("dedupe dedup deduplicate de-duplicate".split(), "dedup"),
    **dict.fromkeys("rewrite rephrase reword polish translate simplify soften calm correct normalise normalize "
                    "standardise standardize convert redact mask anonymise anonymize censor tighten shorten "
                    "fix repair scrub".split(), "edit"),
    **dict.fromkeys("generate synthesise synthesize augment upsample oversample".split(), "add"),
    **dict.fromkeys("count measure compute calculate estimate profile tag label classify categorise categorize "
                    "annotate rate grade score judge assess evaluate analyse analyze".split(), "measure"),
    **dict.fromkeys("sort shuffle split partition stratify upload push publish email mail".split(), "elsewhere"),
}


# "sort the reviews", "split the conversations 80/20", "upload the dataset": a job done to the rows as a whole
ELSEWHERE_ROWS = re.compile(r"^\W*(\w+)\s+(?:(?:off|up|out|the|all|our|my|these|those|this|them|it|\w+ed)\s+){0,3}"
                            r"(?:rows?|records?|data|dataset|data ?set|corpus|reviews?|tickets?|messages?|documents?|docs?|"
                            r"samples?|examples?|conversations?|chats?|pairs?|entries|items?|them|it|result|output|"
                            r"\w*\s*(?:sets?|splits?))\b", re.I)


def elsewhere(text: str) -> str | None:
    """The verb of an action that reorders, splits or moves the rows themselves (no operator does), else None."""
    from tilth.agent.actions import WISH

    m = ELSEWHERE_ROWS.match(WISH.sub("", text.strip()))
    return m[1].lower() if m and VERB_CLASS.get(m[1].lower()) == "elsewhere" else None


def job_kind(skill: Skill) -> str:
    """What the operator does to the data (see JOB_VERBS)."""
    if skill.meta.get("reshapes"):
        return "reshapes"
    if skill.kind in ("filter", "deduplicator"):
        return "drops"
    if skill.kind == "generator":
        return "adds"
    return "edits" if "{text_field}" in skill.meta.get("outputs", []) else "measures"


# Words that name the rows of some dataset ("the customer messages", "reviews", "functions") say where a job
# happens, not what it is. Left in, they pull an action towards whichever operator's phrasings happen to use the
# same noun ("de-identify the customer messages" made every action about customer messages look like PII
# redaction). The phrasings are embedded with these nouns made neutral; the action keeps its own words (making
# them neutral too lost more on the dev split than it gained: "texts" pulls towards text-shape filters).


def neutral(text: str) -> str:
    """The text with the nouns that name a dataset's rows replaced by one neutral word (see ROW_NOUNS)."""
    return ROW_NOUNS.sub("texts", text)


# "strip out", "drop", "toss", "get rid of": one job said many ways. Left as said, the verb chose the operator
# ("drop ..." leaned towards semantic dedup, "remove ..." towards exact dedup, "strip out pages" towards HTML
# extraction, whichever phrasings happened to use that verb). An action is embedded with one verb; the operators'
# phrasings stay as written (saying them with one verb too lost more on the dev split than it gained).
REMOVAL = re.compile(r"^(\W*(?:please\s+)?)(?:get rid of|throw (?:away|out)|weed out|filter out|strip out|cut out|clean out|clear out|"
                     r"take out|toss(?: out)?|chuck(?: out)?|drop|delete|discard|exclude|purge|prune|ditch|eliminate|"
                     r"bin|trash|scrap|nuke|axe|remove)\b", re.I)


def one_verb(text: str) -> str:
    """The text with a leading removal verb said as "remove" (see REMOVAL), and an adverb said as its adjective
    ("dedupe those fuzzily" -> "fuzzy", "semantically" -> "semantic"), which the embedding knows better."""
    text = re.sub(r"\b([a-z]{3,})ically\b", r"\1ic", re.sub(r"\b([a-z]{3,})ily\b", r"\1y", text))
    return REMOVAL.sub(lambda m: f"{m[1]}remove", text, count=1)


def phrasings(skill: Skill) -> list[str]:
    first = re.split(r"(?<=[.!?])\s", skill.description, maxsplit=1)[0]
    return [first, *skill.meta.get("examples", [])]


class SkillMatcher:
    def __init__(self, catalogue: Catalogue, use_embeddings: bool = True, include_llm: bool = True):
        self.skills = [s for s in catalogue.skills if s.kind not in ("reader", "pipeline")]
        self.mode = "embed" if use_embeddings else "bm25"
        self.owner: list[int] = []
        texts: list[str] = []
        for i, s in enumerate(self.skills):
            for p in phrasings(s):
                texts.append(p)
                self.owner.append(i)
        self.owner_arr = np.asarray(self.owner)
        self.verbs = [{_stem(lead_verb(p)) for p in phrasings(s)} - {""} for s in self.skills]
        self.jobs = np.array([job_kind(s) for s in self.skills])
        cards = [f"{s.search_text()} {' '.join(phrasings(s))}" for s in self.skills]
        self.bm25 = BM25(cards)
        self.vocab = [set(tokenize(c)) for c in cards]
        self._emb = None
        if use_embeddings:  # (the phrasings change only with the catalogue: encoded once, then read from disk)
            from tilth.agent.embed import encode_cached

            self._emb = encode_cached([neutral(t) for t in texts])

    @property
    def accept(self) -> float:
        return ACCEPT[self.mode]

    def scores(self, text: str) -> np.ndarray:
        """One score per skill in `self.skills` (see the module docstring)."""
        raw = self.bm25.scores(text)
        lexical = raw / raw.max() if raw.max() > 0 else raw  # BM25 is >= 0; a one-skill catalogue keeps its score
        if self._emb is not None:
            from tilth.agent.embed import encode

            sims = self._emb @ encode([one_verb(text)])[0]
            best = np.full(len(self.skills), -1.0)
            np.maximum.at(best, self.owner_arr, sims)
            out = best + BM25_WEIGHT * lexical
        else:  # BM25 is relative; half the score is the share of the action's words the skill knows (absolute)
            q = set(tokenize(text))
            cover = np.array([len(q & t) / max(len(q), 1) for t in self.vocab])
            out = 0.5 * lexical + 0.5 * cover
        lead = lead_verb(text)
        verb = _stem(lead)
        if verb:
            out += VERB_BONUS * np.array([verb in v for v in self.verbs])
        if lead == "polish" and not re.match(r"\s*polish\s+(?:up|the|each|every|all|our|my|them|these|those|this)\b", text, re.I):
            lead = ""  # "Polish lines only" names a language
        if COLUMN_JOB.search(text):  # "drop the subject column": only an operator on columns does that
            out[~np.isin(self.jobs, JOB_VERBS["reshape"])] = -1.0
            out[self.jobs == "reshapes"] += INTENT_PRIOR  # the column words are the evidence, as an intent is
        else:  # changing which columns exist is asked for in words about columns only
            out[self.jobs == "reshapes"] = -1.0
            if NEW_COLUMN.search(text):
                out -= KIND_PENALTY * ~np.isin(self.jobs, JOB_VERBS["annotate"])
            elif lead in VERB_CLASS:
                out -= KIND_PENALTY * ~np.isin(self.jobs, JOB_VERBS[VERB_CLASS[lead]])
        for intent, _ in detect(text):
            for i, s in enumerate(self.skills):
                if intent.accepts(s):
                    out[i] += INTENT_PRIOR
        return out

    def rank(self, text: str, k: int | None = None) -> list[tuple[Skill, float]]:
        s = self.scores(text)
        order = np.argsort(-s, kind="stable")[: k or len(s)]
        return [(self.skills[i], float(s[i])) for i in order]
