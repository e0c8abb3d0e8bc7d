"""A request in words -> the actions it asks for, each with its condition and whether it is negated.

Planning by meaning needs units a retriever can match: "Remove low-quality and duplicate samples, then
report statistics" is three jobs, not one bag of words. We split at sentence ends, list items and
connectives ("then", "and", "after that", commas), give a verb-less fragment the verb before it
("remove low-quality and duplicate samples" -> "remove duplicate samples"), and cut conditions ("only
where rating is 1 or 2") off the clause they restrict, so they become parameters instead of actions.

Two request-wide readings are made here too, because they change what every action may do: the user
forbids dropping rows ("do not throw any rows away", "just the numbers"), and clauses that describe the
data or the goal rather than ask for a job ("I have support chats") are context, not actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tilth.agent.dates import DATE, MONTH_NAME, borrow_year
from tilth.agent.params import LANGUAGE_NAME


@dataclass
class Action:
    text: str  # the clause as written, with an inherited verb if it had none
    condition: str = ""  # "only where rating is 1 or 2" (kept out of `text`'s job, used for parameters)
    negated: bool = False  # "don't deduplicate", "no stats this time", "skip the length filter"
    asks: bool = True  # an imperative / a wish; False for context ("my data is math problems")
    index: int = 0
    sentence: int = 0  # which sentence it came from: a leftover fragment may only modify its neighbours
    context: str = ""  # that sentence: a column named anywhere in it applies to each of its jobs
    inherited: bool = False  # its verb was borrowed from the clause before ("..., NFD" -> "convert NFD")
    own: str = ""  # with a borrowed verb: the clause's own words ("NFD")
    contrast: bool = False  # it followed "but": "apply Gopher, but lower the word minimum to 20" adjusts
    after: bool = False  # it followed "then" / "after that": the job before it runs first, as said

    @property
    def full(self) -> str:
        return f"{self.text} {self.condition}".strip()


@dataclass
class ParsedRequest:
    text: str
    actions: list[Action]
    keep_all_rows: bool  # no filter or deduplicator may drop rows


# Words that start a request for a job. Common English, not operator names.
VERBS = frozenset("""
remove drop delete discard exclude filter keep retain get ignore clean cleanup tidy strip scrub purge prune trim
dedupe dedup deduplicate de-duplicate collapse merge redact mask anonymise anonymize hide censor replace
normalise normalize fix repair standardise standardize convert squash unify extract parse pull turn
detect identify find flag mark tag label classify categorise categorize annotate score rate grade judge
evaluate assess measure count compute calculate estimate report show tell give list summarise summarize
profile describe analyse analyze check inspect rewrite rephrase paraphrase reword translate back-translate
make generate create synthesise synthesize produce write add augment expand increase enrich upsample
oversample escalate harden simplify polish soften calm improve select pick choose limit cap
bound restrict throw weed toss ditch lose eliminate leave skip run apply use do prepare build want need
push post output swap take upload publish send email mail share save store export load import train fine-tune finetune compile
execute test verify validate join merge sort shuffle order group embed caption transcribe ocr summarize partition stratify
bin trash scrap chuck nuke look spot catch hunt locate redo rework recast reformulate retell restate regenerate
render rename fold blank cut scramble perturb corrupt lowercase lower-case uppercase upper-case capitalise capitalize
""".split())
WISH = re.compile(r"^(?:please\s+|pls\s+|plz\s+|kindly\s+)?(?:(?:have|let|get|ask) (?:the |a |an |our )?(?:\w+ )?(?:llm|model|judge|ai|"
                  r"language model|smollm\w*)(?: to)?|i(?:'d| would)? (?:just |really |only |also )?(?:like|want|need)(?: you)? to|"
                  r"i (?:just |really |only |also )?(?:want|need)|"
                  r"we (?:want|need)(?: to)?|can you|could you|would you|help me|let'?s|go ahead and|try to|"
                  r"be sure to|make sure to|also|then|and|finally|first|next|just|only|please|pls|plz)\s+", re.I)
# "I'm prepping this set for SFT": what the data is for, which asks for no job
_PREPARING = r"(?:i'?m|i am|we'?re|we are)\s+(?!going to\b)\w+ing\b"
PREPARING = re.compile(rf"^\W*{_PREPARING}", re.I)
# (a relative clause's verb is no statement: "the 8 biggest orders that were gift wrapped" names rows)
_NOT_RELATIVE = r"(?<!\bthat )(?<!\bwhich )(?<!\bwho )"
CONTEXT = re.compile(rf"^{_PREPARING}|"
                     rf"^(?:i|we|my|our|this|these|the|it|they|there)\b.*\b{_NOT_RELATIVE}(?:is|are|was|were|has|have|had|contains?|"
                     r"comes?|came|looks?|holds?)\b|"
                     # "I scraped these ferry reviews", "there's loads of rubbish in there": where the data came from,
                     # what it holds
                     r"^(?:i|we)\s+(?:just\s+|already\s+|have\s+|'ve\s+)?(?:scraped|crawled|collected|exported|downloaded|"
                     r"gathered|dumped|imported|pulled|fetched|received|compiled|merged)\b|"
                     # "I've got this pile of product reviews that ...": what the user has (not "we've got to drop ...")
                     r"^(?:i|we)(?:'ve|\s+have)?\s+got\s+(?!to\b)(?:this|these|a|an|some|my|our|about|around|\d)|"
                     r"^(?:there|it|this|that)(?:'s|\u2019s)\s+(?!(?:no|not)\b)", re.I)

# "do not throw any rows away", "keep every record", "without deleting anything", "just the numbers"
_DROPVERB = r"(?:throw\w*|drop\w*|remov\w*|delet\w*|discard\w*|filter\w*|los(?:e|ing)|lose|exclud\w*|get(?:ting)? rid)"
# a verb that removes rows, said anywhere ("clean out", "toss", "weed out" beside _DROPVERB's)
_REMOVING = rf"\b(?:{_DROPVERB}|clean\w* out|clear\w* out|toss\w*|ditch\w*|weed\w* out|purg\w*)\b"
_ROWS = r"(?:any(?:thing|one)?|rows?|records?|samples?|documents?|entries|examples?|lines?|data|items?|a single|them|those|these)"
KEEP_ALL = re.compile(
    rf"\b(?:don'?t|do not|does not|never|without|no need to|not)\s+(?:\w+\s+){{0,2}}{_DROPVERB}\s+(?:\w+\s+){{0,2}}{_ROWS}\b"
    rf"(?!\s+(?:else|other|besides|(?:just |only |simply |merely )?(?:because|for being|for having)))|"
    rf"\b(?:don'?t|do not|never|without)\s+{_DROPVERB}(?:\s+(?:anything|any|out anything))?\s*(?:[.;,!]|$)|"
    rf"\bkeep (?:all|every|each)(?: single)?(?: of the| the)? (?:rows?|records?|samples?|documents?|entries|examples?|lines?)\b"
    rf"(?!\s*,?\s*(?:but|except|apart|other than|besides|save)\b)|"  # ("keep all rows except the ones whose link ...")
    rf"\bkeep (?:everything|it all|all of it)\b(?!\s*,?\s*(?:but|except|apart|other|besides|save|that|which|where|whose|with|"
    rf"from|in|of|else)\b)|"
    rf"\b(?:all|every) (?:rows?|records?|samples?|documents?) (?:must |should )?(?:stays?|remains?|be kept|is kept|are kept)\b|"
    # ("every paragraph must survive as a row", "each review has to stay"): of whatever the rows are called
    rf"\b(?:all|every|each) (?:single )?[a-z]+ (?:must|should|has to|have to|needs? to) (?:survive|stay|remain|be kept)\b|"
    rf"\bread-only\b|\bno filtering\b|"
    rf"\b(?:losing|dropping|removing|deleting|throwing away)\s+(?:any\s+)?(?:\w+\s+){{0,2}}(?:is|are)\s+(?:not|never)\b|"
    rf"\bnothing (?:gets|is|will be|should be|may be|must be|can be)\s+(?:removed|dropped|deleted|filtered|thrown away|lost)\b|"
    rf"\b(?:not a single|no|none of the) (?:rows?|records?|samples?|documents?|entries|examples?|lines?)\s+"
    rf"(?:may|can|should|must|will|is to|are to)?\s*(?:be\s+)?(?:dropped|removed|deleted|lost|discarded|filtered)\b|"
    rf"\bwithout (?:changing|modifying|touching|altering) (?:anything|the data|the dataset|the corpus|a thing)\b|"
    rf"\b(?:don'?t|do not) (?:change|modify|touch|alter) (?:anything|a thing|the data|the dataset|the corpus)\b"
    rf"(?!\s+(?:else|other|besides))|"
    # ("I don't need a cleaned dataset": figures only)
    rf"\b(?:i|we)\s+(?:don'?t|do not)\s+(?:need|want)\s+(?:a\s+|the\s+|any\s+)?(?:clean(?:ed)?|new|modified|changed|"
    rf"filtered|processed|edited)\s+(?:data\s*set|dataset|data|file|copy|version)\b",
    re.I)

# "just tell me how many tokens": a job that also forbids changing the data
MEASURE_ONLY = re.compile(
    # (not "only count two reviews as duplicates when ...": what counts as a duplicate)
    # ("... so each submission only counts once": what a duplicate is, not "just count")
    r"\b(?:just|only) (?:tell|show|count(?!s?\s+(?:once|twice|one time)\b)(?!\s+(?:\w+\s+){0,3}?as\b)|report|measure|give|compute|describe|analy[sz]e|"
    r"profile|inspect|look)\b|"
    r"\b(?:(?:i|we) )?(?:just|only) (?:want |need |care about )?(?:the )?(?:numbers|stats|statistics|counts(?!\s+(?:once|twice|one time)\b)|metrics|figures|totals|averages)\b|"
    r"\b(?:analysis|analyses|measuring|measurement|reporting|stats|statistics|numbers|counts|figures|metrics|totals|profiling)[- ]only\b|"
    r"\bonly (?:an? )?(?:analysis|measurement|report|overview)\b", re.I)

# "only count the bookings where ...": which rows count, said beside a figure another clause asks for (FIGURE)
COUNTED_ROWS = re.compile(r"(?:just|only)\s+count\s+(?:[\w'-]+\s+){0,4}?(?:where|whose|that|which|who|when|if|with|from|"
                          r"in|on)\b|(?:just|only)\s+count\s+(?:[\w'-]+\s+){0,3}?ones\b", re.I)
FIGURE = re.compile(r"\b(?:how many|average|mean|median|total|sum|number of|count\s+(?:of\s+)?\w+\s+(?:per|by|for each))\b",
                    re.I)

NEG = re.compile(r"\b(?:don'?t|do not|does not|doesn'?t|never|no need to|not|without|skip(?:ping)?|avoid|"
                 r"leave out|omit|forget about|no)\b", re.I)
# what a negation must govern to negate the job itself: a verb or the name of a job ("no dedup this time")
_JOB_NOUNS = r"(?:dedup\w*|de-dup\w*|filter\w*|matching|comparison|augment\w*|stat(?:s|istics)|report\w*|normali[sz]\w*|cleaning|" \
             r"redact\w*|translat\w*|rewrit\w*|paraphras\w*|labell?ing|tagging|scoring|counting|step|steps|" \
             r"language detection|language id|synthesis|generation)"
CONDITION = re.compile(r"(?:,\s*)?\b(?:(?:but )?only (?:where|when|if|for|on|in|to) |(?:but )?(?<!\bkeep )(?<!\bretain )(?<!\bselect )(?<!\bleave )only (?=the )|where |"
                       r"when |if |whose |for (?:rows|samples|records|documents|items|entries|those|the ones|ones|"
                       r"problems|questions|tickets|reviews|conversations|chats|messages)\s+(?:where|whose|with|that|"
                       r"which|rated|scored|scoring|rating|having|judged|marked|labell?ed|tagged|at|above|below|over|under|"
                       # "for the ones it gives a 2 or less": the score a step before wrote
                       r"(?:it|they|the (?:model|llm|judge))\s+(?:gives?|gave|rates?|rated|scores?|scored|marks?|marked|"
                       r"puts?|assigns?|assigned|grades?|graded|judges?|judged))\b|"
                       r"in (?:rows|cases) where |"
                       # "drop motivations under 5 words for tutors only": the rows the job applies to, after it
                       # ("For the sourdough post only, tag each comment ...": a label said of one row kind too)
                       r"(?:but )?(?:for|in|among) (?:the )?(?:[\w-]+ ){0,2}?[a-z]{2,} only(?=\W*$|\s*[,;])|"
                       # "remove duplicate notes among the plumbing work orders": the rows it compares
                       r"(?:but )?(?:only )?(?:among|within) (?=(?:the|those|our) (?:[\w-]+ ){0,3}?[a-z]{2,}s\W*$))", re.I)
LEADING_CONDITION = re.compile(
    r"(^\W*|(?<=[.!?;])\s+)(?:for|on|in|with)\s+((?:the\s+|those\s+|all\s+)?(?:[\w-]+\s+){0,2}?(?:rows?|records?|samples?|"
    r"documents?|items?|entries|examples?|ones|problems|questions|tickets|reviews|conversations|chats|messages|pages|"
    r"posts|answers)\s+(?:where|whose|with|that|which)\s+[^,;:.!?]+?)(?:\s+only)?\s*,\s*([^.;!?]+)", re.I)
# "for kettle reviews, remove ...", "among tickets rated 4 or higher, drop ...": a subset named before its job
# (not "for each ticket" or "in all documents": every row)
LEADING_SUBSET = re.compile(
    r"(^\W*|(?<=[.!?;])\s+)(?:for|among|within|across)\s+((?:the\s+|those\s+)?(?!(?:all|every|each|both|any)\b)"
    r"(?:[\w\x01-]+\s+){0,3}?(?:entries|[a-z]{2,}[^\Wsiu\d_]s)"  # a plural noun: the rows ("history books",
    # "kettle reviews", "SNP and Labour speeches only")
    r"(?:\s+(?:rated|scored|scoring|with|from|in|of|about|labell?ed|tagged|marked|under|over|above|below|aged|"
    r"older|younger|less|more|fewer|at)\s+[^,;:.!?\x02]+?)?)(?:\s+only)?\s*[,\x02]\s*"  # ("for swimmers under 16")
    r"([^.;!?]+)", re.I)  # (\x02: a comma an earlier rule kept inside a list, "rated 4 or higher, drop")
SPLIT = re.compile(r"\s*(?:;\s*(?:and then|then|and|but|after that|afterwards|next|finally|also)?,?\s+|;|,?\s+and then,?\s+|"
                   r",?\s+and\s+(?:after that|afterwards|after this|finally|lastly|next|also),?\s+|,?\s+then,?\s+|,?\s+after that,?\s+|,?\s+afterwards,?\s+|,?\s+next,?\s+|"
                   r",?\s+finally,?\s+|,?\s+as well as\s+|,?\s+plus\s+|,?\s+also\s+|,\s*and\s+|,\s*but\s+|"
                   # (not "short but real comments": two words of one kind of row)
                   r"\s+but\s+(?!(?:real|genuine|legit\w*|valid|meaningful|honest|actual|useful|relevant)\s)|"
                   r",\s+|\s+and\s+|\s+&\s+(?!(?-i:[A-Z])))\s*", re.I)  # ("the Health & Vet board": a name)
# "dedupe -> stats", "stats > dedup > stats" (not "> 50 words"): a chain of steps is a list of sentences
# (not after an initial or a title: "P. Moreno", "Dr. Smith", "e.g. this")
SENTENCE = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)(?<!\bvs\.)"
                      r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bincl\.)(?<!\betc\.)(?<!\bapprox\.)(?<!\bcf\.)\s+|"
                      # (a line's bullet or number goes with the line break: "\n2) one harder variant each")
                      r"\n+(?:[ \t]*(?:[-*•]|\(?\d{1,2}[.)])[ \t]+)?|^[ \t]*[-*•][ \t]+|(?:^|\s)\(?\d{1,2}[.)]\s+|\s+-\s+(?=[a-z])|:\s+|"
                      r"\s*(?:-+>|=+>|→|⇒|»)\s*|\s+>\s+(?![\d.])", re.I)


_BOUND = (r"(?:at\s+(?:least|most)|no\s+(?:more|less|fewer|longer|shorter|higher|lower)(?:\s+than)?|"
          r"(?:more|less|fewer|longer|shorter|greater|higher|lower)\s+than|over|under|above|below|up\s+to|"
          r"(?:a\s+)?min(?:imum)?(?:\s+of)?|(?:a\s+)?max(?:imum)?(?:\s+of)?)")
BOUND_PAIR = re.compile(rf"\b({_BOUND}\s+[\w.,%-]+(?:\s+(?:hundred|thousand|percent))?(?:\s+[a-z]+)?)\s+(and|but)\s+(?={_BOUND}\b)",
                        re.I)


_PRESENT = (r"(?:filled(?:\s+in|\s+out)?|present|provided|populated|recorded|non-?empty|not\s+(?:empty|blank|null|missing))"
            r"(?!\s*(?:as|by|to|with|at|for|=|\d))")
FILLED_IN = re.compile(rf"\b(?:keep|retain)\s+(?:only\s+)?(?:the\s+)?(?P<rows>(?:[\w-]+\s+){{0,2}}?)(?:(?:where|whose|in which|"
                       rf"for which)\s+(?:an?\s+|the\s+|its\s+|their\s+)?(?P<col>[\w-]+(?:\s+[\w-]+)?)\s+(?:is|are|has been|"
                       rf"have been)\s+{_PRESENT}|(?:with|that have|having)\s+(?:an?\s+|the\s+|its\s+|their\s+)?"
                       rf"(?P<col2>[\w-]+(?:\s+[\w-]+)?)\s+{_PRESENT})", re.I)
IF_THEN_DROP = re.compile(r"^(?:if|when|whenever)\s+(?P<cond>.+?),?\s+(?:then\s+)?(?P<verb>drop|remove|delete|discard|skip|"
                          r"exclude|toss|ditch|filter out|throw out|get rid of)\s+(?P<what>it|them|those|these|that one|"
                          r"the row|the record)\b(?P<rest>.*)$", re.I)


def _lang_list() -> re.Pattern:
    from tilth.ops.process.languages import LANGUAGES

    name = "(?:" + "|".join(sorted(LANGUAGES, key=len, reverse=True)) + ")"
    return re.compile(rf"\b{name}(?:\s*,\s*{name})*,?\s+(?:and|or)\s+{name}\b", re.I)


_LANG_LIST = _lang_list()


def _first_word(text: str) -> str:
    m = re.match(r"[\w'-]+", text.strip().lower())
    return m[0] if m else ""


def _listing_what_is_there(actions: list[Action], sent_no: int) -> bool:
    """Whether the actions just before, in this sentence, are a statement of what there is ("there's ...", "I've
    got ...") or of what happened to the rows ("some got entered twice") and the items of its list, none asking
    for anything."""
    for a in reversed(actions):
        if a.sentence != sent_no or a.asks:
            return False
        if THERE_IS.match(a.text) or STATES.match(a.text):  # ("some got entered twice, a few of them under a new id")
            return True
    return False


def starts_with_verb(text: str) -> bool:
    w = _first_word(WISH.sub("", text.strip()))
    if w.endswith("ing") and w[:-3] in VERBS | {v.rstrip("e") for v in VERBS}:
        return True
    return w in VERBS


_COPULA_VERB = re.compile(r"\b(?:are|is|were|was|seem|seems|look|looks|keep|keeps|show|shows|appear|appears|have|has|"
                          r"contain|contains|get|gets|repeat|repeats|say|says)\b", re.I)


def relativise(statement: str, verb: str) -> str:
    """A statement about some rows and a generic verb pointing back at them, as one request: "some reviews are
    the same phrase over and over" + "drop those" -> "drop some reviews that are the same phrase over and over"."""
    m = _COPULA_VERB.search(statement)
    body = statement[: m.start()] + "that " + statement[m.start():] if m else statement
    return f"{verb} {body}".strip()


def _verb(text: str) -> str:
    """The leading verb phrase of a clause (wish words stripped): what a verb-less neighbour inherits."""
    t = WISH.sub("", text.strip())
    if m := re.match(r"([\w'-]+)\s+(?:that|it|them|those|these|this|all\s+that)\s+(out|away|up|off)\b", t):
        return f"{m[1]} {m[2]}"  # ("throw that out, and anything under 5 words": "throw out" goes on)
    m = re.match(r"([\w'-]+(?:\s+(?:out|away|up|off|rid of))?)\s", t + " ")
    return m[1] if m else ""


# "near-duplicates stay", "short notes can stay": rows the user keeps, so no job may remove them
STAY = re.compile(r"^\W*(?:but\s+|and\s+)?(?:the\s+|any\s+|all\s+)?(?!(?:it|this|that|they|rest|others?|everything|"
                  r"everyone|anything)\b)[a-z][\w -]{1,40}?\s+(?:(?:can|should|must|will|may)\s+)?(?:stay|stays|remain|"
                  r"remains|are\s+fine|is\s+fine|are\s+ok(?:ay)?|is\s+ok(?:ay)?|are\s+welcome)(?:\s+(?:in|as\s+they\s+are))?"
                  r"\W*$", re.I)
# "Keep the short replies like "Thanks!" though": rows spared from the removal said before, no job of its own
KEEP_THOUGH = re.compile(r"^\W*(?:but\s+|and\s+|please\s+)*(?:do\s+|still\s+)?keep\s+(?:the\s+|any\s+|all\s+)?"
                         r"[\w\s'-]{1,60}?\s+(?:though|anyway|still|regardless|all\s+the\s+same)\W*$", re.I)
PRESERVE = re.compile(r"\b(?:leave|keep|don'?t touch|do not touch|not touch)\b.*\b(?:as (?:it is|they are|is|are)|"
                      r"untouched|alone|unchanged|intact|as-is)\b|\b(?:don'?t|do not|never) (?:touch|change|modify|edit|"
                      r"rewrite|alter)\b", re.I)


def is_negated(text: str) -> bool:
    """The clause refuses something: a job (see `refuses_job`), a way of doing one ("do not lower-case the
    code"), or a change to some column ("leave the replies as they are")."""
    low = re.sub(r"\([^()]*\)", " ", text.lower())  # (an aside in brackets refuses nothing: "(the id doesn't count)")
    # ("short but real comments like 'Thanks!' or 'Brilliant staff' should stay": the examples aside)
    shown = re.sub(r"\s+(?:like|such as|e\.g\.,?)\s+['\"\u2018\u201c][^'\"\u2019\u201d]*['\"\u2019\u201d]"
                   r"(?:\s*(?:,|or|and|,\s*or|,\s*and)\s*['\"\u2018\u201c][^'\"\u2019\u201d]*['\"\u2019\u201d])*", " ", low)
    return (refuses_job(low) or bool(PRESERVE.search(low)) or bool(STAY.match(low)) or bool(STAY.match(shown))
            or bool(KEEP_THOUGH.match(shown))
            or bool(re.match(r"^(?:please\s+)?(?:don'?t|do not|does not|never)\b", low))
            or bool(NO_TOOL.match(low)))


# "No LLM for this", "without calling any model": a clause led by a refusal refuses a tool or a way, never asks
# for a job; "no more than 50 words" and "not fewer than ..." are quantities
NO_TOOL = re.compile(r"^(?:and\s+|but\s+)?(?:no|without|avoid|not (?:with|using|via|by|through))\b(?!\s+(?:more|less|"
                     r"fewer|longer|shorter|greater|later|earlier|bigger|smaller|than)\b)")
_HARD = r"(?:hard|tough|difficult|challenging|tricky)"
_TIME_UNIT = r"(?:second|minute|hour|day|week|month|year)"
# the request rules out language models altogether: no LLM operator may be planned
NO_LLM = re.compile(r"\b(?:no|without|not with|don'?t use|do not use|never use|avoid|not)\s+(?:\w+\s+){0,2}?"
                    r"(?:llms?|language models?|gpts?|chatgpt|ai|(?<=without )(?:an?|any) models?)\b"
                    r"(?!\s*(?:is|are|was|will|would|should)\b)", re.I)
# the action asks a language model to do it: "have the LLM rate ...", "with a judge model", "let the model tag it"
BY_LLM = re.compile(r"\b(?:llms?|language models?|gpt-?\w*|chatgpt|smollm\w*|(?:judge|grader|teacher) models?|"
                    r"(?:have|let|get|ask|use|with|by|using|via) (?:the|a|an|our|your) (?:\w+ )?models?)\b", re.I)


# a purpose clause: the negation after it says why, it refuses nothing ("..., so that it doesn't look copied")
_PURPOSE = re.compile(r"(?:\bso(?: that)?|\bin order|\bso as)\s+(?:(?:it|they|we|he|she|nobody|no one|the \w+)\s+)?$")


# verbs a relative clause says what a row holds with ("... that doesn't have a score", "which don't mention a price")
_HOLDING = frozenset("have has had contain contains include includes mention mentions list lists carry carries show "
                     "shows get got come belong exist say says".split())


def refuses_job(text: str) -> bool:
    """A negation that governs a verb or a job noun within four words: "don't deduplicate", "no stats"."""
    low = text.lower()
    for m in NEG.finditer(low):
        if _PURPOSE.search(low[: m.start()]):  # "reworded so it doesn't look copied": why, not a refusal
            continue
        if m[0] == "no" and re.search(r"\byes\s*(?:/|or|-)\s*$", low[: m.start()]):  # "a yes/no flag": two answers
            continue
        if m[0] in ("no", "without") and (re.search(r"\b(?:have|has|had|having|with|anyone|anybody|everyone|everybody|"
                                                    r"someone|those|ones|people|anything)\s+$", low[: m.start()])
                                          or ROW_NOUNS.search(low[max(0, m.start() - 25): m.start()].rstrip() + " ")
                                          and re.search(r"\b(?:rows?|records?|entries|\w+s)\s+$", low[: m.start()])):
            continue  # "keep the ones that have no score", "drop anyone without a DBS check": rows without a value
        after = low[m.end():].split()[:4]
        words = [re.sub(r"[^\w-]", "", w) for w in after]
        if words and words[0] in _HOLDING and re.search(r"\b(?:that|which|who|whose|where)\s+(?:\w+\s+)?$", low[: m.start()]):
            continue  # "toss any inspection that doesn't have a score": which rows, not a job refused
        if m[0] in ("skip", "skipping", "leave out", "omit", "forget about") and any(
                re.fullmatch(_JOB_NOUNS, w) or w in ("step", "part") for w in words):
            return True
        if m[0] in ("skip", "skipping"):
            continue  # "skip functions longer than ..." drops rows; it refuses no job
        for i, w in enumerate(words):
            if m[0] in ("no", "without") and w in VERBS and i + 1 < len(words) \
                    and re.fullmatch(r"[a-z]{3,}s", words[i + 1]) and words[i + 1] not in VERBS:
                break  # ("no blank lines at all", "no duplicate rows": what the output must not hold)
            if w in VERBS or re.fullmatch(_JOB_NOUNS, w) or (w.endswith("ing") and w[:-3] in VERBS):
                return True
    return False


SUCH_AS = re.compile(r"\bsuch as\b:?\s+([^.;:!?]+)", re.I)  # "numbers such as word count, ratio and line count"


NUMBER_WORD = (r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
               r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|"
               r"a hundred|a thousand|dozen|a dozen")


# "the product column can go", "the url and id fields are not needed": a column to drop, said as a statement
DISPOSABLE = re.compile(r"^(?P<obj>(?:the\s+|that\s+|this\s+|those\s+|these\s+)?[\w'\x01\x02 -]{1,60}?\b(?:columns?|fields?))"
                        r"\s+(?:(?:can|could|should|may|must)\s+(?:go|be\s+(?:dropped|removed|deleted|discarded))|"
                        r"(?:is|are)\s+(?:not|no\s+longer)\s+(?:needed|required|useful)|(?:isn'?t|aren'?t)\s+(?:needed|required)|"
                        r"(?:is|are)\s+(?:useless|unneeded|unnecessary|redundant|not\s+of\s+any\s+use))$", re.I)


# "Applicants under 21 are out", "anything from the test shop has to go": rows said to go, as a statement
ROWS_OUT = re.compile(r"^(?P<obj>(?!(?:it|this|that|they|we|i|you)\b)[^,;]{3,120}?)\s+(?:(?:is|are)\s+(?:out|gone|"
                      r"not\s+welcome|not\s+wanted|unwanted|excluded|disqualified|a\s+no-?go)|(?:has|have|must|should|"
                      r"can)\s+(?:to\s+)?go)$", re.I)
# "..., and so is anyone budgeting less than $100": the clause before says what happens to these rows too
SO_IS = re.compile(r"^(?:and\s+)?so\s+(?:is|are|does|do)\s+(?P<obj>.{3,120})$", re.I)
# "I don't want any non-English abstracts": rows not wanted, which go ("I don't want any dedup", "we don't need
# to translate them" refuse a job: see UNWANTED_JOB)
UNWANTED = re.compile(r"^(?:so\s+|and\s+|but\s+)?(?:i|we)\s+(?:really\s+|also\s+)?(?:don'?t|do\s+not|never)\s+"
                      r"(?:want|need)\s+(?!to\b|it\b|that\b|this\b)(?P<obj>(?:(?:any|the|those|these|all)\b)?.+)$", re.I)
UNWANTED_JOB = re.compile(rf"\b{_JOB_NOUNS}\b|\b(?:llms?|models?|gpu|embeddings?|minhash|regex\w*|ai)\b|"
                          # "I don't want any rows dropped": every row kept, a constraint
                          r"\b(?:dropped|removed|deleted|lost|discarded|filtered|thrown|tossed|touched|changed|modified|"
                          r"altered|edited|rewritten|gone|cut|excluded|merged|collapsed|missing|redacted|masked|translated|"
                          r"lowercased|lower-cased|normali[sz]ed|paraphrased|sampled|labell?ed|tagged|scored)\b|"
                          # "I don't want more rows than now": no rows added, a constraint on the job
                          r"\b(?:more|extra|additional|new|added)\s+(?:rows?|records?|examples?|samples?|entries)\b|"
                          # "I don't need a cleaned file": no output wanted, the figures are the answer
                          r"\b(?:file|dataset|data\s*set|export|output|copy|version|csv|jsonl|spreadsheet)\b", re.I)
# "From what's left, ...", "of the remaining ones": the rows earlier steps leave, said before a job on them
WHAT_IS_LEFT = re.compile(r"^(?:and\s+|then\s+)?(?:from|of|among|out\s+of|with)\s+(?:what'?s|what\s+is|whatever\s+is|"
                          r"the\s+(?:rest|remainder|remaining(?:\s+\w+)?|survivors|ones\s+left))(?:\s+(?:left|remaining|"
                          r"over|kept))?$", re.I)


_RELATIVE_VERB = r"(?:are|is|were|was|have|has|had|look|looks|seem|seems|contain|contains|mention|mentions)\b"
OR_RELATIVE = re.compile(rf"\b(?P<head>(?P<verb>get rid of|drop|remove|delete|discard|filter out|throw out|toss|exclude|"
                         rf"ditch)\s+(?:the\s+|any\s+|all\s+)?(?P<rows>[a-z][\w-]*)\s+(?:that|which|who)\s+)"
                         rf"(?P<a>{_RELATIVE_VERB}[^.;:!?]*?)\s*,?\s+or\s+(?P<b>{_RELATIVE_VERB}[^.;:!?]*)", re.I)
# "Which vendors still don't have a permit?" then "Keep only those": the rows a question names, and a verb for them
WHICH_ROWS = re.compile(r"^\W*(?:so\s+)?(?:which|what)\s+(?P<rows>(?!(?:is|are|was|were|do|does|did|the|a|an)\b)"
                        r"[a-z][\w-]*)\s+(?P<rest>\S.*?)\W*$", re.I)
BACK_AT_THEM = re.compile(r"^\W*(?:please\s+|ok\s+|and\s+|then\s+)?(?P<verb>(?:keep|drop|remove|delete|exclude|give me|"
                          r"show me|return|get rid of|filter out|toss)(?:\s+(?:only|just))?)\s+(?:only\s+|just\s+)?"
                          r"(?:those|these|them|the ones|that lot)(?:\s+[a-z]+)?\W*$", re.I)
# a list of choices of one to four words ending in "or": "positive, neutral or negative"
_CHOICES = re.compile(r"[a-z]+(?:[\s-][a-z]+){0,3}(?:\s*,\s*[a-z]+(?:[\s-][a-z]+){0,3})*,?\s+or\s+[a-z]+(?:[\s-][a-z]+){0,3}",
                      re.I)  # ("companionship, family, replacing a lost pet, or other")
# "..., then take a 40% sample", "After that, drop ...": the user's order between the two jobs
SEQUENCE = re.compile(r"(?:^|\W)(?:then|after that|afterwards|after this|once that'?s done|finally|lastly)\W", re.I)
# what may come before a condition that restricts the clause *after* it: "for tickets rated 2 or lower, rewrite
# ...", "..., and where it's 4 or more, add ...", "and for the ones scoring under 0.3 generate ..."
_FRONT_BEFORE = re.compile(r"(?:^|,|;|\band|\bthen|\bbut)\s*$", re.I)
_NUMBERISH = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|half|third|quarter)\b", re.I)
FRONT = "\x05"  # marks the start of a part whose condition was written before it


def fronted_conditions(sentence: str) -> tuple[str, list[str]]:
    """The sentence with each condition that restricts the clause after it cut out (a marker left where it
    stood), and those conditions in order. A fronted condition ends at a comma, or, once it holds a number, at
    the next imperative verb."""
    conds: list[str] = []
    out, pos = "", 0
    for m in CONDITION.finditer(sentence):
        start = m.start() + len(m[0]) - len(m[0].lstrip(", "))
        if start < pos or not _FRONT_BEFORE.search(sentence[pos:start] if not out else out + sentence[pos:start]):
            continue
        rest = sentence[start:]
        end = len(rest)
        if (c := min((i for i in (rest.find(","), rest.find(";")) if i >= 0), default=-1)) >= 0:
            end = c
        for w in re.finditer(r"\b[a-z][a-z-]*\b", rest[:end], re.I):
            if w[0].lower() in VERBS and _NUMBERISH.search(rest[: w.start()]) and w.start() > 0:
                end = w.start()
                break
        following = rest[end:].lstrip(" ,")
        if not following or not starts_with_verb(following):
            continue  # "only where rating is 1 or 2" at the end restricts the clause before it
        conds.append(rest[:end].strip(" ,"))
        out += sentence[pos:start] + FRONT
        pos = start + end + (len(rest[end:]) - len(following))
    return out + sentence[pos:], conds


# What names the rows a job is about, not the job ("the customer messages", "reviews", "turns").
ROW_NOUNS = re.compile(
    r"\b(?:(?:the\s+)?(?:customer|user|agent|support)(?:'s|s')?\s+(?:messages?|replies|reply|text|emails?|answers?|"
    r"questions?)|support\s+(?:tickets?|logs?|chats?)|reviews?|tickets?|messages?|documents?|docs?|rows?|records?|"
    r"samples?|entries|entry|items?|turns?|examples?|paragraphs?|posts?|articles?|functions?|snippets?|texts?|conversations?|"
    r"chats?|transcripts?|web ?pages?|pages?|reviewers?|customers?|episodes?|eps|listings?|postings?)\b", re.I)


def split_conditions(clause: str) -> tuple[str, str]:
    m = CONDITION.search(clause)
    if not m or m.start() == 0 and not clause.lower().startswith("only"):
        return clause.strip(" ,"), ""
    head, cond = clause[: m.start()].strip(" ,"), clause[m.start():].strip(" ,")
    if not head:
        return clause.strip(" ,"), ""
    only = re.search(r",\s*(?:but\s+)?only\s+(?:where|when|if|for|in|among)\s", cond[1:], re.I)
    if not _content(ROW_NOUNS.sub(" ", head)) and only:  # "drop tickets whose message is under 6 words, only where
        return f"{head} {cond[: only.start() + 1]}".strip(" ,"), cond[only.start() + 1:].strip(" ,")  # topic is billing"
    if not _content(ROW_NOUNS.sub(" ", head)):  # "drop turns where the customer side is under 3 words": the condition
        pieces = [p for p in SPLIT.split(cond) if p and p.strip(" ,.")]  # is the job, up to a new verb-led clause
        k = next((i for i, p in enumerate(pieces[1:], 1) if starts_with_verb(p)), len(pieces))
        end = cond.find(pieces[k]) if k < len(pieces) else len(cond)
        body = re.sub(r"(?:[\s,;]+(?:and then|then|and|but|after that|afterwards|finally))?[\s,;]*$", "", cond[:end],
                      flags=re.I)
        return f"{head} {_keep_whole(body)}{cond[len(body):]}".strip(" ,"), ""
    return head, cond


# Fragments that only modify the action before them ("ignoring whitespace", "using MinHash", "by language").
MODIFIER = re.compile(r"^(?:ignoring|using|by|via|based on|including|excluding|except|like|such as|so that|so|or|nor|"
                      r"ignore\s+(?:the\s+)?[\w-]+\s+(?:columns?|fields?)\b|"  # ("dedupe rows, ignore the id column")
                      # ("dedupe the loans, ignore loan_id when comparing")
                      r"ignore\s+(?:the\s+)?(?:[\w-]+_[\w-]+|[\w-]+\s+(?:when|while|in)\s+compar\w*)\b|"
                      r"in[\s-]place\b|"  # ("translate ..., in place": where the result goes)
                      r"compar(?:e|ing)(?: on| by)?|match(?:ing)? on|judg(?:e|ing) (?:by|on)|look(?:ing)? (?:only )?at|"
                      r"(?:but )?not (?:the|a|an|any|its|their|on|by|those|these|that|this)\b|rather than|instead of|"
                      r"consider(?:ing)? only|key(?:ed|ing)? on|only (?:on|by|using|compar\w+)|"
                      r"to make|to get|to enlarge|to improve|to keep|according to|regardless of|whether|"
                      r"case-insensitive|case insensitively|"
                      # "..., keeping the original": how the rewrite before keeps its input
                      r"keep(?:ing)?\s+(?:the\s+)?originals?(?:\s+(?:text|texts|column|rows?|versions?))?"
                      r"(?:\s+too|\s+as\s+well)?\s*$|"
                      # ", on a one-to-five scale", ", out of 10": how the job before reports
                      r"on\s+(?:a|the)\s+(?:[\w-]+\s+)?scale|out\s+of\s+(?:\d+|ten|five|a hundred)|"
                      # ", 1 to 5,", ", from 1-10": the scale alone
                      r"(?:from\s+)?\d{1,2}\s*(?:to|-|\u2013)\s*\d{1,2}(?:\s+scale)?\s*$|"
                      # ", per building", ", broken down by terminal": the grouping of the figure before
                      r"per|for each|for every|in each|broken down by|grouped by|split by)\b", re.I)
# a question asks ("what are the 3 most expensive tickets?", "which reviews are in German?")
QUESTION = re.compile(r"^[\s,;:.!?(-]*(?:and\s+|so\s+)?(?:what|which|who|whose|where|when|how\s+many|how\s+much)\b",
                      re.I)  # (not a quoted example: "'What is 12 + 7?' must survive")
# "the prompt is in instruction and the answer is in output", "answers live in the `response` column": where the
# data keeps what a step reads, which asks for no job
LANGUAGE_IN = re.compile(rf"\bin\s+(?:{LANGUAGE_NAME.pattern})\W*$")  # ("the pages are in German")
COLUMN_ROLE = re.compile(r"^\W*(?:and\s+)?(?:the\s+|our\s+|my\s+|their\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:is|are|lives?|sits?|"
                         r"comes?)\s+in\s+(?:the\s+|a\s+)?[`'\"]?[\w-]+[`'\"]?(?:\s+(?:column|field))?\W*$", re.I)
# "near-duplicate listings - same product posted twice ...", "keep the first copy": what the job before means
# by a duplicate and which copy stays, not a job of its own
DESCRIBES = re.compile(r"^(?:the\s+)?same\s+(?!(?:as|way)\b)[\w-]+\s+(?!is\b|are\b)|"
                       # ("a row counts as a dupe if everything except appt_id matches": what a duplicate is)
                       r"^(?:(?:a|an|the|two|any|each)\s+)?(?:[\w-]+\s+){0,2}(?:counts?|qualif(?:y|ies)|(?:is|are)\s+counted)\s+as\s+"
                       r"(?:an?\s+)?(?:exact\s+|near[\s-]?)?(?:dupes?|dups?|duplicates?|cop(?:y|ies)|repeats?)\b|"
                       r"^(?:and\s+)?keep(?:ing)?\s+(?:only\s+|just\s+)?(?:the\s+(?:first|earliest|oldest|original)|one|a\s+single)\s+"
                       r"(?:copy|copies|one|ones|occurrence|version|instance|posting|entry|post|row|record)\b", re.I)
# "objects that are on display and were acquired before 1960": the same rows, their subject left out
# a second verb of a relative clause about the rows ("visits that cost more than 200 and need a follow-up")
HOLDS_TOO = re.compile(r"^(?:also\s+)?(?:need|needs|needed|require|requires|required|has|had|cost|costs|took|come|comes|"
                       r"came|mention|mentions|mentioned|contain|contains|contained|involve|involves|involved|lack|lacks|"
                       r"lacked|belong|belongs|lasted|lasts)\b", re.I)  # (never a job's verb: "and have the LLM rate them")
ELIDED = re.compile(r"^(?:is|are|was|were|has been|have been|had been)\s+(?!(?:not|never)\b)[a-z]+", re.I)
# "..., about 2 per row", "three each": how many the job before makes, not a job of its own
COUNT_CLAUSE = re.compile(r"^(?:(?:about|around|roughly|approximately|approx\.?|~|some|up to|at most|at least)\s*)?"
                          r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few)\s+(?:[a-z]+\s+)?"
                          r"(?:per|for each|for every|from each|of each|each|apiece|a piece)\b", re.I)
RELATIVE = re.compile(r"^(?:that|which)\s+(?:only|just|also|merely|mostly|simply|already|still|never|always)\b"
                      r"|^that\s+(?!(?:is|was|has|does|means|seems|looks)\b)[a-z]+(?:es|s)\b", re.I)
# "in this crawl", "from our ticket data": where the job happens, not what it is. Left in, these words pull
# the embedding towards operators about that kind of data (web crawl -> web quality). "across the whole
# corpus" stays: it asks for totals.
DATA_REFERENCE = re.compile(r"\s*\b(?:in|from|of|within)\s+(?:all\s+(?:of\s+)?)?"
                            r"(?:this|the|my|our|these|those|that)\s+(?:whole\s+|entire\s+)?(?:\w+\s+)?"
                            r"(?:crawl|dataset|data set|data|corpus|collection|dump|files?|folder|set|table|export)\b(?=\s*(?:[,.;:!?]|$))",
                            re.I)
NEED = re.compile(r"\b(?:i|we) (?:only |just |really )?(?:need|want|care about|keep)\b|\ball (?:i|we) (?:need|want)\b|"
                  r"^\W*(?:only|just)\s+(?:want|need|care\s+about)\b", re.I)  # ("only want visits where ...")
COPULA = re.compile(rf"{_NOT_RELATIVE}"
                    r"\b(?:is|are|was|were|isn'?t|aren'?t|seems? to|appears? to|(?:shows?|turns?|pops?|crops?) up)\b|"
                    r"^(?:the|these|those|its?|their|our|my|some|most|many)\b[\w\s'-]{0,40}?\b(?:can|may|might|could|"
                    r"will|would|should|must|need not|do not|don'?t)\b", re.I)
# "'Python' and 'python' should not count as the same word": quoted words, and what holds of them
QUOTED_SAID = re.compile(r"['\"‘“][^'\"’”]{1,40}['\"’”](?:\s*(?:,|\x01?and|\x01?or)\s*['\"‘“][^'\"’”]{1,40}['\"’”])*\s+"
                         r"(?:can|may|might|could|will|would|should|must|need not|do not|don'?t|are|is|count|mean)\b", re.I)
# "lower is probably templated spam", "most of them are junk": a statement, which borrows no verb
STATES = re.compile(r"^[\w'-]+(?:\s+[\w'-]+)?\s+(?:is|are|was|were|means?|seems?|looks?|"
                    # ("some drop-offs got entered twice": what happened to rows, in the passive)
                    r"(?:got|get|gets|have\s+been|has\s+been|had\s+been)\s+(?:\w+\s+)?\w+(?:ed|en))\b", re.I)
# Verb-less lead-ins that set the scene ("Before training, ...") rather than ask for a job.
SCENE = re.compile(r"^(?:before|after|once|when|since|because|given|as|for now|first of all|overall|basically)\b", re.I)
# "there's a lot of spam", "we have loads of junk": what the data holds, in a list that may go on after "and"
THERE_IS = re.compile(r"\W*(?:there(?:'s|\u2019s|\s+is|\s+are)|(?:we|i)\s*(?:have|got|'ve\s+got|\s+have\s+got)|lots\s+of|"
                      r"a\s+lot\s+of)\b",
                      re.I)
# "Hey!", "Thanks!!", "cheers": courtesy, which asks for nothing; "So our set is messy": a statement after it
COURTESY = re.compile(r"^\W*(?:hey|hi|hello|hiya|thanks?(?: (?:a lot|so much|in advance))?|thank you(?: so much)?|thx|"
                      r"cheers|ty|ok(?:ay)?|great|cool|awesome|oh|ah|um+|uh+|hmm+|btw|ps|p\.s\.|by the way|"
                      r"oh and|and oh|(?:good\s+)?(?:morning|afternoon|evening)|morning all|yo|howdy|greetings|"
                      r"dear\s+\w+|here'?s the (?:thing|deal|situation|story)|you'?re (?:a |an )?(?:lifesaver|life saver|"
                      r"star|legend|hero|gem|champ|angel)|(?:i |we )?(?:really |much |greatly )?appreciate(?:d)? (?:it|this|"
                      r"that|your help|the help)|much appreciated|many thanks|you rock|no rush|"
                      r"have a (?:great|good|nice|lovely) (?:day|week|weekend|evening|one)(?: when it comes)?)"
                      r"(?:\s+(?:there|all|team|folks|guys|everyone))?\W*$", re.I)
_OPENER = re.compile(r"^\W*(?:(?:hey|hi|hello|so|ok(?:ay)?|well|anyway|now|right|oh|ah|btw|(?:good\s+)?morning|"
                     r"(?:good\s+)?afternoon|(?:good\s+)?evening)\b[\s,!.]*)+", re.I)
# What a generic verb may govern and still say nothing about the job ("drop the worst", "discard the rest").
VAGUE = frozenset("the a an worst rest them em 'em it those ones one bad others other remainder everything all else "
                  "anything stuff any of these this that later earlier latter former extra remaining leftover "
                  "offending such no's nos noes failures fails failing rejects rejected wrong incorrect negatives "
                  "losers duds".split())  # "... yes or no, and bin the no's", "check them and drop the failures"
GENERIC = frozenset("drop remove delete discard keep get throw toss ditch lose eliminate exclude filter weed bin trash "
                    "scrap chuck nuke".split())
# A goal names the dataset to end up with; its details follow ("Prepare an SFT set: ...", "Build a corpus.").
GOAL = re.compile(r"^(?:a\s+|the\s+|some\s+)?(?:clean[- ]?up|cleanup|tidy[- ]?up|tidying|cleaning|prep|preparation|fixes|"
                  r"to-?dos?|tasks?|jobs?)\s+(?:for|of|on|in)\b[^:.;]*:\s*$|"  # ("Clean-up for the drop-off log:")
                  r"^(?:please\s+)?(?:prepare|build|assemble|curate|put together|create|make|produce|get|turn|"
                  r"clean(?: up)?|process|tidy(?: up)?)\b.*\b(?:dataset|data ?set|corpus|data|collection|set|crawl|"
                  r"dump|scrape|files?)\b(?:.*\bready\b)?|"
                  # ("Clean this up for pretraining: throw out ...": the list after the colon says how)
                  r"^(?:please\s+)?(?:clean|tidy|prep|prepare|get)\s+(?:this|these|it|them|everything|things)"
                  r"(?:\s+(?:up|ready))?\s+(?:for|before)\b|"
                  # ("Just give me counts: how many ... and ...": the figures the list asks for)
                  r"^(?:just\s+|please\s+|(?:can|could)\s+you\s+)?(?:tell|show|give)\s+(?:me|us)\s*:?\s*$|"  # ("just tell me:")
                  r"^(?:just\s+|please\s+)?(?:give|show|tell|get)\s+(?:me|us)\s+(?:the\s+|some\s+)?(?:counts|numbers|figures|"
                  r"stats|statistics|totals)(?:\s+(?:please|pls))?\W*$|"
                  # ("clean this up:", "Please tidy the appointment log:": a verb of tidying and its object alone)
                  r"^(?:please\s+)?(?:can\s+you\s+|could\s+you\s+)?(?:clean|tidy|sort|fix|prep|prepare|process|"
                  r"spruce|neaten)(?:\s+(?:up|out))?(?!\s+(?:all\s+)?(?:the\s+|of\s+the\s+)?(?:junk|garbage|trash|rubbish|"
                  r"noise|spam|cruft|crap|clutter)\b)\s+(?:this|these|it|them|everything|things|"  # ("clean out the junk:
                  # nav menus, ...": what goes, the list says which)
                  r"(?:the|our|my|this|that)\s+[\w\s'-]{1,40}?)(?:\s+(?:up|out|ready|a\s+bit|a\s+little))?"
                  r"(?:\s+(?:please|pls|plz))?\W*$", re.I)
MEASURE = frozenset("show tell report count compute calculate measure estimate give list describe summarise summarize "
                    "profile analyse analyze check inspect how what".split())


def _content(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z'-]*", WISH.sub("", text.lower()))
    return [w for w in words if w not in VAGUE and w not in GENERIC and w not in {"away", "out", "rid", "of", "up"}]


# a quotation: an apostrophe inside a word ("buyer's") does not end it
_QUOTED_PHRASE = re.compile(r"(?<!\w)(['\"])((?:[^'\"\n]|(?<=\w)'(?=\w)){1,200}?)\1(?!\w)")


_WORD = r"(?!(?:and|or|but)\b)[\w'-]+"
_NOUN_LIST = rf"(?:(?:the|our|their|any|all)\s+)?{_WORD}(?:\s+{_WORD}){{0,2}}(?:\s*,\s*(?:the\s+)?{_WORD}(?:\s+{_WORD}){{0,2}})*" \
             rf"(?:\s*,?\s+(?:and|or)\s+(?:the\s+)?{_WORD}(?:\s+{_WORD}){{0,2}})?"
LEFT_AS_IS = re.compile(
    rf"(?P<lead>(?:^|(?<=[.;:,!?]))\s*|(?:^|(?<=[.;:,!?]))\s*(?:but|and|while)\s+)"
    rf"(?:(?P<what>{_NOUN_LIST})\s+(?:can|may|should|must|will|are to|is to|need to|have to|has to)\s+(?:stay|remain|be kept|be left)\b"
    r"(?:\s+(?:as (?:it is|they are|is)|untouched|alone|unchanged|intact|as-is|where they are))?"
    rf"|(?:we'?re|we are|i'?m|i am)\s+not\s+(?:worried|concerned|bothered|fussed)\s+about\s+(?P<what2>{_NOUN_LIST}?)(?:\s+(?:here|this time|for now))?(?=\s*(?:$|[.;,!?])))",
    re.I)
KEEP_AS_IS = re.compile(rf"(\b(?:leave|keep)\s+)({_NOUN_LIST})(\s+(?:as (?:it is|they are|is)|untouched|alone|unchanged|"
                        r"intact|as-is|readable|in place)\b)", re.I)


_STAYS = re.compile(r"\b(?:can|may|should|will)\s+(?:stay|remain)\b", re.I)


_FIGURE_WORDS = r"min(?:imum)?|max(?:imum)?|average|avg|mean|median|total|sum|highest|lowest"


def _unquoted(items: str) -> str:
    """ "'fixed' or 'follow-up'" -> "fixed or follow-up": choices said in quotes."""
    return re.sub(r"(?<![\w])['\"\u2018\u201c]([\w][\w -]{0,30}?)['\"\u2019\u201d](?![\w])", r"\1", items)


def _keep_whole(text: str) -> str:
    """Mark the separators in a quotation (or between two: "'A' and 'B'") so no split cuts it."""
    return (text.replace(",", "\x02").replace(" and ", " \x01and ").replace(" or ", " \x01or ").replace(" then ", " \x01then ")
            .replace(";", "\x03").replace(". ", ".\x06").replace("! ", "!\x06").replace("? ", "?\x06").replace(": ", ":\x06"))


def _unmark(text: str) -> str:
    """The text as written, without the markers that kept a list, range or quotation in one piece."""
    return text.replace("\x01", "").replace("\x02", ",").replace("\x03", ";").replace("\x06", " ").replace(FRONT, "")


def lead_verb(text: str) -> str:
    """The action's verb, lower case ("" if it starts otherwise): measuring verbs never drop rows."""
    w = _first_word(WISH.sub("", text.strip()))
    return w if (w in VERBS or w in MEASURE) else ""


# a bracketed list whose items are of three words at most
_SHORT_ITEMS = re.compile(r"\((?:\s*[\w'&/-]+(?:\s+[\w'&/-]+){0,2}\s*,)+(?:\s*(?:and|or)\s+)?\s*[\w'&/-]+(?:\s+[\w'&/-]+){0,2}"
                          r"\s*(?:,?\s*(?:etc\.?|and so on|\.\.\.))?\s*\)")
# the words of a figure ("number of reviews", "average star rating")
_FIGURE_WORDS = re.compile(r"\b(?:number|count|counts|how many|average|avg|mean|median|total|sum|min(?:imum)?|max(?:imum)?|"
                           r"share|percentage|proportion|earliest|latest)\b", re.I)
# an aside that gives a span of the thing before it ("medium difficulty — a heuristic score from a quarter up to a
# half — and drop the rest"): a description in brackets, not a list of jobs
_SPAN_ASIDE = re.compile(r"\b(?:from|between)\s+(?:an?\s+)?[\w.]+\s+(?:(?:up\s+)?to|\x01?and|through)\s+(?:an?\s+)?[\w.]+\b", re.I)
# words that say a job in a list without a verb ("(dupes gone, English only, contact info masked)")
_JOB_WORDS = frozenset("gone only masked removed dropped deleted redacted hidden stripped fixed normalised normalized "
                       "deduped deduplicated lowercased translated out off".split())


def _choice_list(text: str) -> str | None:
    """The text as a list of choices ("fit, colour or other"), without the quotes and markers it may carry, or
    None where it is no such list."""
    bare = _unmark(re.sub(r"['\"\u2018\u2019\u201c\u201d]", "", text))
    return bare if _CHOICES.fullmatch(bare) else None


def _not_a_list(items: str) -> bool:
    """"classes over 45 minutes, and get rid of the instructor column": the word that can open a list of labels
    ("classes: A, B or C") opens none here, since an item is a job of its own."""
    return any(starts_with_verb(i) for i in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", items)[1:] if i.strip())


def parse(request: str, values: frozenset[str] = frozenset()) -> ParsedRequest:
    """Split a request into actions (see the module docstring). `values`: labels the data holds (lower case),
    so that a list of them is one value list, not several jobs ("kettles, blenders or toasters only")."""
    # "as one of billing, shipping or returns": an enumeration, not a list of jobs
    from tilth.agent.params import ENUM, unquote_labels

    written = request
    # ("... per plant — I don't need a cleaned dataset": a clause of its own after the dash; an aside between two
    # dashes stays one: "keep only problems of medium difficulty — a heuristic score from ... — and drop the rest")
    request = re.sub(r"\s+[\u2013\u2014]\s+(?=(?:I|we|We)\b)", ". ", request)
    request = unquote_labels(request)  # ("... about — 'quality', 'delivery' or 'other' —": the labels, one list)
    # "'; DROP TABLE lineage; -- keep only ...": a dash pair between words ends a clause; the next one takes no verb
    # from it (it had read "DROP -- keep only messages with at least 4 stars", the bound turned round)
    request = re.sub(r"(?:^|(?<=\s))-{2,}(?=\s|$)", ";", request)
    # "(n/a, asdf, ??? and so on)", "menus, banners, etc.": the list goes on, which is no job of its own
    # (written as "...", which an open list of labels keeps as 'other': "(battery, screen, price, etc.)")
    request = re.sub(r",?\s*\b(?:and so on|and so forth|and the like|and similar|or similar|and such)\b\.?(?=\s*[)\].,;!?]|\s*$)",
                     ", ...", request, flags=re.I)
    # "Strip out the junk - website menus, cookie banners, spam": the kinds of junk, shown after a dash
    request = re.sub(r"\b(junk|garbage|rubbish|trash|spam|noise|boilerplate|clutter|cruft|filler)\s+[-\u2013\u2014]+\s+"
                     r"([^.;!?\n()]+?)(?=\s*(?:[.;!?\n]|$))",
                     lambda m: m[0] if starts_with_verb(m[2]) else f"{m[1]} (like {m[2]})", request, flags=re.I)
    # "what I'd like, if it's possible, is to remove the exact duplicates", "all we need is to ...": the wish is the
    # job after "is to" (it had been one action, "what I'd like", planned as statistics)
    request = re.sub(r"\b(?:what|all)\s+(?:i|we)(?:'d|\s+would)?\s+(?:really\s+|actually\s+|also\s+)?(?:like|want|need)"
                     r"(?:\s+(?:you|tilth|the agent))?(?:\s+to\s+do)?\s*,?(?:\s*(?:if\s+(?:it'?s|it\s+is|that'?s)\s+possible|"
                     r"if\s+possible|if\s+you\s+can)\s*,)?\s+is\s+(?:for\s+you\s+)?(?:to\s+)?(?=[a-z])",
                     "", request, flags=re.I)
    # "the leftover html tags (<br>, <b>, <p> etc)": examples of markup, never choices of a label
    request = re.sub(r"\s*\((?:\s*(?:and\s+|or\s+)?</?[a-z][a-z0-9]*\s*/?>\s*,?)+\s*(?:etc\.?|and so on|\.\.\.)?\s*\)", " ",
                     request, flags=re.I)
    for listing in (ENUM, SUCH_AS):
        request = listing.sub(lambda m: m[0] if _not_a_list(m[1]) else re.sub(r":\s+", ":\x06", m[0][: m.start(1) - m.start(0)])
                              + re.sub(r",\s*", "\x02 ", m[1]).replace(" or ", " \x01or ").replace(" and ", " \x01and "),
                              request)
    # "so it's polite and concise", "to be friendlier and shorter": one manner for a rewrite, not two jobs
    request = re.sub(r"\b(so (?:that )?(?:it'?s|it is|they'?re|they are)|to (?:be|sound|read))\s+((?:more\s+|less\s+)?[a-z-]+),?"
                     r"\s+and\s+(?=(?:more\s+|less\s+)?([a-z-]+)\b)",
                     lambda m: m[0] if m[3].lower() in VERBS or m[3].lower() in ("then", "also", "after", "finally")
                     else f"{m[1]} {m[2]} \x01and ", request, flags=re.I)
    # "For each hotel: number of reviews and average star rating": the grouping is every figure's
    request = re.sub(r"(?im)^(\W*)(for\s+(?:each|every)\s+[\w-]+(?:\s+[\w-]+)?|per\s+[\w-]+(?:\s+[\w-]+)?)\s*:\s*([^.;!?\n]+)",
                     lambda m: m[1] + "; ".join(f"{item.strip()} {m[2].lower()}" for item in items) if (items := [
                         i for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m[3]) if i.strip()]) and not any(
                         starts_with_verb(i) for i in items) and all(_FIGURE_WORDS.search(i) for i in items) else m[0],
                     request)
    # "english comments only, and nothing shorter than 5 words", "no reviews under 10 words": those go ("no more
    # than 5 words" is a bound, kept)
    request = re.sub(r"\b(?:nothing|none|no\s+(?!(?:more|less|fewer|longer|shorter|later|earlier|higher|lower|bigger|"
                     r"smaller|older|newer)\b)([a-z]+s)(?:\s+that(?:'re|\s+are))?)\s+(?=(?:shorter|longer|under|over|below|"
                     r"above|less|fewer|more|bigger|smaller|older|newer|earlier|later|before|after)\b)",
                     lambda m: f"drop {m[1] or 'anything'} ", request, flags=re.I)
    # "could you pull out just the root canal visits": a keep ("pull out" alone may mean remove)
    request = re.sub(r"\b(?:pull|fish|dig|grab|fetch|take|get|pick)\s+out\s+(?=(?:just|only)\b)", "keep ", request, flags=re.I)
    # "keep problems under 50 words and drop the rest": the keep says it all (the removal would turn its bound round)
    request = re.sub(r"(?:\s*[,;]|\s+[-\u2013\u2014]+)?\s*\b(?:and\s+)?(?:then\s+)?(?:drop|remove|discard|delete|throw\s+(?:away|out)|"
                     r"get\s+rid\s+of|toss|ditch|lose|bin|trash)\s+(?:all\s+)?(?:the\s+rest|everything\s+else|all\s+else|the\s+others|"
                     r"anything\s+else|the\s+remainder|the\s+remaining\s+(?:ones|rows))\b",
                     lambda m: "" if request[: m.start()].strip(" ,;") else m[0], request, flags=re.I)
    # "strip out the ad reads and the Italian bits, but keep everything else, even the short ones": nothing more goes
    request = re.sub(r",?\s*\b(?:but|and)\s+(?:please\s+)?keep\s+(?:everything|anything|all|the\s+rest)\s+else\b[^.;!?]*|"
                     r",?\s*\b(?:but|and)\s+(?:please\s+)?keep\s+the\s+rest\b[^.;!?]*",
                     lambda m: "" if request[: m.start()].strip(" ,;") else m[0], request, flags=re.I)
    # "Can you clean out the junk? I mean the menu text, the spam and the one-word stuff.": the sentence says which rows
    # the removal before it takes, item by item
    request = re.sub(r"([.!?:]\s*)(?:i\s+mean|by\s+(?:that|this|junk)\s+i\s+mean|that\s+is|i\.e\.)\s*[,:]?\s+(?:the\s+)?",
                     lambda m: f"{m[1]}drop the " if re.search(
                         rf"{_REMOVING}[^.!?]*$",
                         request[: m.start()], re.I) else m[0], request, flags=re.I)
    # "clean out the junk: ... Keep the real discussions.": after a removal, the genuine rows are what it leaves
    request = re.sub(r"(?:(?<=[.!?;])|,|\s+(?:and|but))\s*(?:(?:please|just|so|then)\s+)*(?:keep|leave|retain)\s+"
                     r"(?:only\s+|just\s+)?(?:all\s+)?(?:the\s+|our\s+|any\s+)(?P<pre>(?:short|brief|tiny|little)\s+)?"
                     r"(?:real|genuine|actual|proper|legit(?:imate)?|"
                     r"normal|valid|meaningful|substantive|decent|relevant|useful|good)\s+(?:[a-z-]+\s+)?(?:ones|stuff|content|"
                     r"feedback|[a-z]+s)\b"  # ("Keep the genuine visitor feedback", "keep the short genuine ones")
                     r"(?:\s+like\s+[^.!?;]*?(?=\s+-\s+|[.!?;]|$))?(?:\s+-\s+[^.!?;]*)?"  # (" like 'Love it!' - those are real")
                     r"(?:\s+(?:of\s+course|though|obviously|please|pls))?(?:\s*,?\s*(?:even|including|especially|esp\.?)\s+"
                     r"(?:the\s+)?(?P<small>(?:short|brief|one-word|tiny|little)\s+[a-z]+s)\b)?"
                     r"(?:\s*,?\s*(?:if|as\s+long\s+as|when|provided)\s+[^.!?;]*)?\s*(?=[.!?;]|$)",  # (", if they say something")
                     # ("..., but keep the genuine comments, even the short questions": those stay, whatever else goes)
                     lambda m: (f". the {m['small']} can stay" if m["small"] else ". the short ones can stay" if m["pre"]
                                else "") if re.search(
                         _REMOVING,
                         request[: m.start()], re.I) else m[0],
                     request, flags=re.I)
    # "leave out the ones where no instructor is recorded": the instructor is missing (not a value 'Recorded')
    request = re.sub(r"\b((?:where|when|in which|for which)\s+)(?:there\s+is\s+)?no\s+([\w-]+(?:\s+[\w-]+)?)\s+"
                     r"(?:is|was|has been|had been|got|gets)\s+(?:recorded|given|listed|entered|logged|known|set|provided|"
                     r"filled\s+in|assigned|noted|specified|captured|stated)\b", r"\1\2 is missing", request, flags=re.I)
    # "could you pull all the bookings from April 2024": the rows wanted
    request = re.sub(r"\b(?:pull|grab|fetch)\s+(?:out\s+|up\s+)?(?=(?:all\s+(?:of\s+)?)?(?:the|every|our)\b)", "keep ",
                     request, flags=re.I)
    # "keep only rows where a vet is filled in": the rows that lack one go (what a removal of missing values says)
    request = FILLED_IN.sub(lambda m: f"drop {(m['rows'] or 'rows ').strip()} with no {m['col'] or m['col2']}", request)
    # a list in brackets is one aside ("only the sports domains (football, tennis, golf)"), never a job per item:
    # "(the id doesn't count, same everything else = duplicate)": what a job compares, never a job of its own
    request = re.sub(r"\([^()]*\b(?:doesn'?t|don'?t|does\s+not|do\s+not|shouldn'?t|should\s+not)\s+(?:count|matter)\b[^()]*\)",
                     lambda m: _keep_whole(m[0]), request, flags=re.I)
    # "(like "ok", "-", "n/a", blank)", "(e.g. menus, footers)": examples of what the words before mean, never jobs
    request = re.sub(r"\((?:like|e\.?\s?g\.?|such\s+as|for\s+(?:example|instance)|say|i\.?\s?e\.?)[\s,:][^()]*\)",
                     lambda m: _keep_whole(m[0]), request, flags=re.I)
    # items of up to three words always, longer ones where none says a job ("(lines without closing punctuation,
    # 'javascript' lines and so on)"; "(dupes gone, the symbol-heavy ad stuff gone, English only)" are jobs)
    request = re.sub(r"\((?:\s*[\w'&/-]+(?:\s+[\w'&/-]+){0,4}\s*,)+(?:\s*(?:and|or)\s+)?\s*[\w'&/-]+(?:\s+[\w'&/-]+){0,4}?"
                     r"\s*(?:,?\s*(?:etc\.?|and so on|\.\.\.))?\s*\)",
                     lambda m: _keep_whole(m[0]) if _SHORT_ITEMS.fullmatch(m[0]) or not any(
                         w in VERBS or w in _JOB_WORDS for w in re.findall(r"[a-z]+", m[0].lower())) else m[0], request)
    # "token counts for the instructions and, separately, for the outputs": the measure again for the second
    request = re.sub(r"\b((?:token|word|character|char|line)\s+counts?|lengths?|perplexit(?:y|ies))\s+(for|of|on|in)\s+"
                     r"(the\s+[\w-]+)\s*,?\s*and\s*,?\s*(?:(?:separately|also|then|too)\s*,?\s*)?\2\s+(the\s+[\w-]+)",
                     r"\1 \2 \3 and \1 \2 \4", request, flags=re.I)
    # "identical rows, even if the rental id differs": what is not compared (as "apart from the rental id" says)
    request = re.sub(r",?\s*\b(?:even\s+(?:if|though|when)|whether\s+or\s+not|regardless\s+of\s+whether)\s+"
                     r"((?:the|their|its|a|an)\s+)?([\w-]+(?:\s+[\w-]+)?)\s+(?:differs?|is\s+different|are\s+different|"
                     r"varies|vary|changed?|changes|(?:does\s+not|doesn'?t|do\s+not|don'?t)\s+match)\b",
                     lambda m: f", apart from {m[1] or 'the '}{m[2]}", request, flags=re.I)
    # "..., even if it comes out shorter": a concession about the job before, no job of its own (within its line
    # and its bracket: "(identical rows, even if ...)\n- drop the rider column" goes on)
    request = re.sub(r",?\s*\beven\s+(?:if|though|when)\b[^.;:!?\n()]*", "", request, flags=re.I)
    # "..., and drop the age column while you're at it": how it is asked, not part of the job
    request = re.sub(r",?\s*\b(?:while you(?:'re| are) at it|if you (?:can|could|don't mind)|if possible|when you get a "
                     r"chance)\b", "", request, flags=re.I)
    # "ditch X n anything under 10 words": chat shorthand for "and"
    request = re.sub(r"(?<=[a-z]) n (?=(?:anything|everything|any|all|also|then|drop|remove|keep|ditch|delete|get|make|"
                     r"dedupe|the|those|these)\b)", " and ", request)
    # a quoted phrase is one value: "treat 'GREAT PRODUCT' and 'great product' as one", "'Q, then A'"
    request = _QUOTED_PHRASE.sub(lambda m: _keep_whole(m[0]), request)
    # "(people copy-paste the previous entry and change a word)": an aside that explains, not two more jobs
    request = re.sub(r"\(([^()]{20,200})\)", lambda m: f"({_keep_whole(m[1])})" if len(m[1].split()) >= 6 and not re.search(
        r"[\d=/,;]", m[1]) and not _CHOICES.fullmatch(m[1].strip()) else m[0], request)  # (a list in brackets: jobs)
    request = re.sub(r"(?<=['\"])(\s*,\s*|\s+and\s+|\s+or\s+)(?=['\"])", lambda m: _keep_whole(m[0]), request)
    # "November 3, 2026", "between 2025/01/01 and 2025/06/30", "2026-11-05 or later": one date or one span
    request = borrow_year(request)  # ("between March 1 and April 30 2025": both in 2025)
    # ("between March 5 and April 2", "between 5 March and 2 April": one span, without its year too)
    request = re.sub(rf"\b(between\s+(?:{MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
                     rf"{MONTH_NAME}))(\s+and\s+)(?=(?:{MONTH_NAME}\s+)?\d|(?:the\s+)?\d)",
                     lambda m: m[1] + _keep_whole(m[2]), request, flags=re.I)
    # "an hour and a half", "two and a half hours", "3 days and a half": one amount, not two jobs
    request = re.sub(rf"\b(?:an?|one)\s+({_TIME_UNIT})\s+and\s+a\s+half\b", r"1.5 \1s", request, flags=re.I)
    request = re.sub(rf"\b[\w.]+\s+(?:and\s+a\s+half\s+{_TIME_UNIT}s?|{_TIME_UNIT}s?\s+and\s+a\s+half)\b",
                     lambda m: _keep_whole(m[0]), request, flags=re.I)
    # "rated 7 or more out of 10", "8/10 or higher": the scale a rating is given on, not a second bound
    request = re.sub(r"((?<![\d/.:-])\b\d+(?:\.\d+)?(?:\s*\+|\s+or\s+(?:more|higher|above|better|less|lower|below|worse))?)"
                     r"\s*(?:\bout\s+of|/)\s*(?:5|10|100)\b(?![/.:-]?\d)(?!\s*(?:%|percent)|\s+(?!(?:or|and|but|then|to|"
                     r"please|pls)\b)[a-z])", r"\1", request, flags=re.I)
    # "8% alcohol and up", "40 minutes and over": one bound, not a job "up"
    # (a bare number, "keep 4 and up", is read as one bound already)
    request = re.sub(r"(\d(?:[\d.,]*\d)?\s*(?:(?:%|percent\b)(?:\s+[a-z]+)?|\s+(?!and\b)[a-z]+))(\s+and\s+)(?=(?:up|upwards|above|over|higher|"
                     r"more|down|below|under|lower|less)\b)", lambda m: m[1] + _keep_whole(m[2]), request, flags=re.I)
    # "less than half an hour", "a quarter of an hour", "over an hour": an amount in minutes or in one unit
    request = re.sub(r"\bhalf\s+an\s+hour\b", "30 minutes", request, flags=re.I)
    request = re.sub(r"\b(?:(three)\s+|an?\s+|one\s+)?quarters?\s+(?:of\s+)?an\s+hour\b",
                     lambda m: "45 minutes" if m[1] else "15 minutes", request, flags=re.I)
    request = re.sub(rf"\b((?:than|under|over|above|below|least|most|within|up\s+to|past|beyond|exceeding)\s+)an?\s+"
                     rf"({_TIME_UNIT})\b(?!\s+and\s+a\s+half)", r"\g<1>1 \2", request, flags=re.I)
    request = re.sub(rf"((?:{DATE.pattern}))(\s+(?:and|or|to)\s+)(?=\S*\d|{MONTH_NAME}|later|earlier|after|before|"
                     r"newer|older)", lambda m: m[1] + _keep_whole(m[m.lastindex]), request, flags=re.I)
    request = re.sub(rf"\b({MONTH_NAME},?\s+\d{{4}})(\s+(?:and|or|to)\s+)(?={MONTH_NAME}\b)",
                     lambda m: m[1] + _keep_whole(m[2]), request, flags=re.I)  # ("January 2025 and March 2025")
    request = DATE.sub(lambda m: _keep_whole(m[0]), request)
    # "as one short, neutral sentence": adjectives of one form, not two jobs
    request = re.sub(r"\b(?:a|an|one|two|three)\s+[\w'-]+,\s+[\w'-]+(?:\s+[\w'-]+)?\s+(?:sentences?|paragraphs?|summary|"
                     r"summaries|tweets?|headlines?|lines?|blurbs?|bullet points?)\b", lambda m: _keep_whole(m[0]), request,
                     flags=re.I)
    # "the id, body and rating columns": one list of names, not three jobs
    request = re.sub(r"[\w'-]+(?:\s*,\s*[\w'-]+)*\s*,?\s+(?:and|or)\s+[\w'-]+\s+(?:columns|fields|attributes|keys)\b",
                     lambda m: _keep_whole(m[0]), request, flags=re.I)
    if values:  # "the offtopic and politics categories": one list when one of its words is a label of the data
        def known(word: str) -> bool:
            w = word.lower()
            return w in values or w.removesuffix("s") in values or w.removesuffix("es") in values

        def one_list(m: re.Match) -> str:
            items = [w for w in re.findall(r"[\w-]+", m[0]) if w.lower() not in ("and", "or")]
            if any(known(w) for w in items) and not any(w.lower() in VERBS or w.lower() in MEASURE for w in items[1:]):
                return _keep_whole(m[0])
            return m[0]

        if any(" " in v for v in values):  # "the True Crime Weekly and Money Matters episodes": labels of words
            alt = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True) if len(v) > 2)
            request = re.sub(rf"\b(?:{alt})(?:\s*,\s*(?:{alt}))*\s*,?\s+(?:and|or)\s+(?:{alt})\b",
                             lambda m: _keep_whole(m[0]), request, flags=re.I)
        request = re.sub(r"\b[\w-]+(?:\s*,\s*[\w-]+)*\s*,?\s+(?:and|or)\s+[\w-]+\b", one_list, request)
        # "..., but ignore vandalism": rows of a label the data holds are left out, not a job of ignoring
        request = re.sub(r"\b(?:ignore|ignoring|disregard|disregarding|skip|skipping)\s+((?:the\s+|any\s+|all\s+)?([\w-]+))\b",
                         lambda m: f"drop {m[1]}" if known(m[2]) else m[0], request, flags=re.I)
    # "E-mail addresses and phone numbers can stay", "we're not worried about emails or phones": what is to be
    # left as it is, one list ("leave ... as they are"), not a job per noun
    # "redact e-mails only - phone numbers can stay - and ...": an aside that says what stays is a clause of its own
    request = re.sub(r"\s+[-\u2013\u2014]\s+([^-\u2013\u2014.;:!?]{3,80}?)\s+[-\u2013\u2014]\s+",
                     lambda m: f"; {m[1]}; " if _STAYS.search(m[1]) else m[0], request)
    request = LEFT_AS_IS.sub(lambda m: f"{m['lead'] or ''}leave {_keep_whole(m['what'] or m['what2'])} as they are", request)
    request = KEEP_AS_IS.sub(lambda m: m[1] + _keep_whole(m[2]) + m[3], request)
    # "..., and only for the driver role also drop anyone without a DBS check": the rows of the job after it
    request = re.sub(rf"([,;]\s*|\band\s+)(?:and\s+)?only\s+for\s+([^,;.!?]{{1,40}}?)\s+(?:also\s+|too\s+)?"
                     rf"((?:{'|'.join(sorted(VERBS, key=len, reverse=True))})\b[^,;.!?]*)", r"\1\3, but only for \2",
                     request, flags=re.I)
    # "keep only English, except leave the Lisbon reports alone whatever language they're in": rows excepted
    request = re.sub(r",?\s*\b(except(?:\s+for)?)\s+(?:to\s+)?(?:leave|keep|spare)\s+((?:the\s+|any\s+|all\s+)?[^,;.!?]{1,60}?)\s+"
                     r"(?:alone|untouched|as\s+(?:they|it)\s+(?:are|is)|intact)\b(?:\s+(?:whatever|whichever|regardless|no\s+matter)"
                     r"\b[^,;.!?]*)?", r"; leave \2 alone", request, flags=re.I)
    # "remove all weather delays, except keep the Holyhead-Dublin ones": the verb says what "except" means already
    request = re.sub(r"\b(except(?:\s+for)?)\s+(?:to\s+)?(?:keep|spare|save|retain)(?:ing)?\s+(?=(?:the|any|all|those)\b)",
                     r"\1 ", request, flags=re.I)
    # "..., except for the kitchen volunteers - keep all of those", "except for the Poznań site - keep all of
    # Poznań": the exception said again
    request = re.sub(r"(\bexcept(?:\s+for)?\s+([^,;.!?\-\u2013\u2014]{1,60}?))\s*(?:[,;]|\s[-\u2013\u2014]+)\s*(?:but\s+|and\s+)?"
                     r"(?:keep|leave(?!\s+out\b))\s+(?:all\s+(?:of\s+)?|each\s+of\s+|every\s+one\s+of\s+)?(?:the\s+)?([^,;.!?]{1,40}?)"
                     r"(?:\s+(?:ones|alone|as\s+they\s+are|untouched))?(?=\s*(?:$|[,;.!?]))",
                     # ("..., and leave out the customer column": a removal of its own, whatever word it shares)
                     lambda m: m[1] if re.fullmatch(r"those|these|them|th[eo]se\s+ones", m[3], re.I) or (
                         set(re.findall(r"\w{3,}", m[3].lower())) & set(re.findall(r"\w{3,}", m[2].lower())) - {"the", "and", "all"})
                     else m[0],
                     request, flags=re.I)
    # "remove notes that aren't in English, but keep the Rotterdam ones regardless": an exception to that removal
    request = re.sub(r",?\s*\bbut\s+(?:still\s+)?keep\s+((?:the\s+|any\s+|all\s+(?:the\s+)?)?[^,;.!?]{1,40}?)\s+"
                     r"(?:regardless|anyway|no\s+matter\s+what|in\s+any\s+case|either\s+way)\b", r" except \1", request,
                     flags=re.I)
    # "strip the names and nothing else": a job said as the only one, not a job on "nothing else"
    request = re.sub(r",?\s+(?:and|but)\s+nothing\s+(?:else|more)\b", "", request, flags=re.I)
    # "Keep only the English rows, and of those only the ones with difficulty 3 or higher": two selections in turn
    request = re.sub(r",?\s+(?:and\s+)?(?:then\s+)?(?:of|from|among|out of)\s+(?:those|these|them|that|what'?s left|the rest|"
                     r"the remaining(?:\s+ones|\s+rows)?|what remains)\s*,?\s+(?:keep\s+)?only\b", "; then keep only", request,
                     flags=re.I)  # ("..., and out of the remaining ones keep only those filed from March")
    # "in a friendlier, warmer tone": one style, not a job per adjective
    request = re.sub(r"\b(?:in|with)\s+(?:a\s+|an\s+)?[\w'-]+(?:\s*,\s*[\w'-]+)+(?:,?\s+(?:and|or)\s+[\w'-]+)?\s+"
                     r"(?:tone|style|voice|register|manner)\b", lambda m: _keep_whole(m[0]), request, flags=re.I)
    # "rate how tough each instruction is", "rate every problem from trivial to very hard": its difficulty
    request = re.sub(rf"\bhow\s+{_HARD}\s+((?:each|every|the|a|an|this|these|those|its|their)\s+[\w'-]+(?:\s+[\w'-]+)?)"
                     r"\s+(?:is|are|was|were|seems?|looks?)\b", r"the difficulty of \1", request, flags=re.I)
    request = re.sub(rf"\b(?:somewhere\s+)?(?:on\s+a\s+scale\s+)?from\s+(?:very\s+)?(?:trivial|easy|simple|basic)\s+to\s+"
                     rf"(?:very\s+|really\s+)?{_HARD}\b", "by difficulty from easy to hard", request, flags=re.I)
    # "what must go are people's names": a request said as a statement
    request = re.sub(r"\bwhat (?:must|has to|needs to|should|have to) (?:go|be removed|come out) (?:is|are)\s+", "remove ",
                     request, flags=re.I)
    # "between 5 and 80 words", "1 and 2", "4s and 5s", "4- and 5-star": a range, not two jobs
    text = re.sub(r"\b((?:between\s+\S+)|\d+(?:\.\d+)?(?:s|-|-\w+)?)\s+(and|or)\s+(?=\S*\d)", "\\1 \x01\\2 ",
                  request.replace("\r", "\n"))
    # "For rows whose origin is synthetic only, back-translate ...": the condition of the job that follows it
    # "get rid of the junk notes - empty ones and anything under 4 words - and dedupe": the aside lists what the
    # verb before it means, as after a colon
    # ("tag each comment with a sentiment - positive, neutral or negative - and ...": choices, said as in brackets)
    text = re.sub(r"\s+[-–—]\s+((?:[^-–—.;:!?]|(?<=\d)\.(?=\d)){3,160}?)\s+[-–—]\s+(?=(?:and|then|but|also|plus)\b)",
                  lambda m: m[0] if starts_with_verb(m[1]) else _keep_whole(f" ({bare}) ") if (bare := _choice_list(m[1]))
                  else _keep_whole(f" ({m[1]}) ") if _SPAN_ASIDE.search(m[1]) else f": {m[1]}; ", text)
    # ("tag each review with what it's about — quality, delivery, price or other — in a column named complaint")
    text = re.sub(r"\s+[–—]\s+((?:[^-–—.;:!?]|(?<=\d)\.(?=\d)){3,160}?)\s+[–—](?:\s+|(?=[?!.]|$))",
                  lambda m: _keep_whole(f" ({bare}) ") if (bare := _choice_list(m[1])) else _keep_whole(f" ({m[1]}) ")
                  if _SPAN_ASIDE.search(m[1]) else m[0], text)
    # "get rid of pitches that are shorter than 5 words or are obviously placeholder junk": two kinds of rows to
    # drop, each its own job (one criterion would take the other's words)
    text = OR_RELATIVE.sub(lambda m: f"{m['head']}{m['a']}. {m['verb']} {m['rows']} that {m['b']}", text)
    # ("tag each pitch with one theme: sustainability, family business, fusion, or other": the choices, not jobs)
    text = re.sub(r":\s+([^:.;!?]{3,160}?)(?=\s*(?:[.;!?]|$))",
                  lambda m: _keep_whole(f" ({m[1]})") if _CHOICES.fullmatch(m[1]) and not all(
                      starts_with_verb(w) for w in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", m[1])) else m[0], text)
    # ("tag each note as wildlife, pollution, equipment problem or other": the choices, not four jobs)
    # ("label each note as 'fixed' or 'follow-up' depending on whether ...": quoted, and what decides between them)
    text = re.sub(r"\b((?:tag|label|classify|categori[sz]e|mark|sort|bucket)\w*\s+(?:[\w'-]+\s+){0,6}?(?:as|into)\s+)"
                  r"([^.;:!?()\u2013\u2014]{3,160}?)(?=\s*(?:[.;:!?\u2013\u2014]|\s-\s|$)|\s+(?:depending\s+on|based\s+on|"
                  r"according\s+to|by\s+whether|on\s+whether|about|regarding|in\s+terms\s+of)\b)",  # ("... or neutral about how")
                  lambda m: m[1] + _keep_whole(f"({_unquoted(_unmark(m[2]))})") if _CHOICES.fullmatch(
                      _unquoted(_unmark(m[2]))) and not re.match(r"(?:one|any|each)\s+of\b|either\b", m[2], re.I)
                  else m[0],
                  text, flags=re.I)
    # ('add a column "sentiment" saying positive, negative or neutral based on the comment': the choices, one job)
    text = re.sub(r"\b((?:add|write|put|fill|create|give|include)\w*\s+(?:[\w'\"-]+\s+){0,6}?(?:column|field|label|tag)s?"
                  r"\s+(?:[\w'\"-]+\s+){0,3}?(?:(?:saying|that\s+says|which\s+says)\s+|with\s+(?:one\s+of\s+)?|of\s+|as\s+|"
                  r"set\s+to\s+|(?:that|which)\s+is\s+(?:either\s+)?))"
                  r"([^.;:!?()\u2013\u2014]{3,160}?)(?=\s*(?:[.;:!?\u2013\u2014]|\s-\s|$)|\s+(?:depending\s+on|based\s+on|"
                  r"according\s+to|by\s+whether|on\s+whether|about|regarding|from|for\s+each|in\s+terms\s+of)\b)",
                  lambda m: m[1] + _keep_whole(f"({_unquoted(_unmark(m[2]))})") if _CHOICES.fullmatch(
                      _unquoted(_unmark(m[2]))) and not re.match(r"(?:one|any|each)\s+of\b|either\b", m[2], re.I)
                  else m[0],
                  text, flags=re.I)
    # ("into plain, polite language": two adjectives of one manner, not two jobs)
    text = re.sub(r"\b((?:into|in|to|as|with|an?)\s+[a-z]+),\s+(?!(?:and|or|then|not|no|but|nor)\b)([a-z]+\s+(?:language|tone|style|words|terms|"
                  r"english|voice|register|manner|way)\b)", r"\1 \2", text, flags=re.I)
    # "keep only the id and notes columns - call notes 'observation'": a job of its own after a dash
    text = re.sub(r"\s+[-–—]\s+(?=[a-z])", lambda m: "; " if starts_with_verb(text[m.end():]) or NEG.match(text[m.end():])
                  else m[0], text)  # ("... - don't drop anything")
    # "Unless it's a cello, throw out every declined offer": the exception said first goes with its job
    text = re.sub(r"(?:^|(?<=[.;!?]\s))\s*unless\s+([^,.;!?]{3,80}),\s*([^.;!?]+)", r"\2 unless \1", text, flags=re.I)
    # "only where the swimmer was under 16: write a one-line summary ...": a condition before its job, as with a comma
    text = re.sub(r"(?:^|(?<=[.;!?]\s))(\s*(?:only\s+)?(?:where|when|if|for)\s+[^:.;!?]{3,80}?):\s+(?=[a-z])",
                  lambda m: f"{m[1]}, " if starts_with_verb(text[m.end():]) else m[0], text, flags=re.I)
    # "For the bad reviews (rating 2 or less) translate the comments ...": the subset, its condition in brackets
    text = re.sub(r"(^\W*|(?<=[.!?;])\s+)(?:for|among)\s+((?:the\s+|those\s+)?(?:[\w-]+\s+){0,3}?[a-z]{2,}s\s*\([^()]{2,60}\))"
                  r"\s+([^.;!?\u2013\u2014]+?)(?=\s+[-\u2013\u2014]\s+|\s*[.;!?]|\s*$)",
                  lambda m: f"{m[1]}for {m[2]}, {m[3].rstrip()}" if starts_with_verb(m[3])
                  and not re.match(r"(?:have|get|let|make)\s+(?:the|a|an|our)?\s*(?:model|llm|ai|it)\b", m[3], re.I) else m[0],
                  text, flags=re.I)
    text = LEADING_CONDITION.sub(lambda m: f"{m[1]}{m[3].rstrip()} only for {m[2]}", text)
    # "keep closed ones out", "keep the spam out of it", "leave Harbor Inlet out of it": a removal
    # (not "keep just the March returns and throw out ...": the "out" of another verb)
    text = re.sub(r"\b(?:keep|leave)\s+((?:the\s+|any\s+|all\s+)?(?:(?!(?:and|then|but|or|throw|take|leave|keep|cut|"
                  r"weed|filter|strip|sort|pick|sift|clear|drop|get)\b)[\w'-]+\s+){0,5}?(?:(?!(?:and|then|but|or|throw|take|"
                  r"leave|keep|cut|weed|filter|strip|sort|pick|sift|clear|drop|get)\b)[\w'-]+))\s+out\b(?:\s+of\s+(?:it|this|that|them)\b)?"
                  r"(?!\s+of\b)", r"drop \1", text, flags=re.I)
    text = LEADING_SUBSET.sub(lambda m: m[0] if CONDITION.match(m[0].lstrip(" .!?;")) else  # (fronted_conditions
                              f"{m[1]}{m[3].rstrip()} only for {m[2]}", text)              # reads those)
    # "drop everything but the top quarter": keep only that, not a drop and then a contrast
    text = re.sub(rf"\b{_DROPVERB}(?:\s+(?:away|out))?\s+(?:everything|all|anything|all rows|every row)(?:\s+else)?\s+but\s+",
                  "keep only ", text, flags=re.I)
    # "shorter then 5 words": a comparative's "than" mistyped, not a next step
    text = re.sub(rf"\b(more|less|fewer|(?:[a-z]+er))\s+then\s+(?=\d|(?:{NUMBER_WORD})\b)", "\\1 than ", text, flags=re.I)
    # "between fifty and four hundred words": a range in words too
    text = re.sub(rf"\b(between\s+(?:{NUMBER_WORD})(?:[\s-]+(?:{NUMBER_WORD}))*)\s+(and)\s+(?=(?:{NUMBER_WORD})\b)",
                  "\\1 \x01\\2 ", text, flags=re.I)
    # "at least fifteen and at most four hundred characters": two bounds of one range
    text = BOUND_PAIR.sub("\\1 \x01\\2 ", text)
    # "min and max annual kwh per type": two figures of one column, one question
    text = re.sub(rf"\b({_FIGURE_WORDS})\s+(and|or|&)\s+(?=(?:the\s+)?(?:{_FIGURE_WORDS})\b)", "\\1 \x01\\2 ", text,
                  flags=re.I)
    # "over and over", "again and again": an idiom; "the Dutch and Polish lines": one list of languages
    text = re.sub(r"\b(\w+)\s+(and|or)\s+(?=\1\b)", "\\1 \x01\\2 ", text, flags=re.I)
    text = re.sub(r"\s+and\s+(?=back\b)", " \x01and ", text, flags=re.I)  # "to English and back": one round trip
    # "how long the customer messages and the replies are": one question of two columns
    text = re.sub(r"(\bhow\s+(?:long|short|many|much|big)\s+(?:the\s+)?[\w'`-]+(?:\s+[\w'`-]+)?)\s+and\s+"
                  r"(?=(?:the\s+)?[\w'`-]+(?:\s+[\w'`-]+)?\s+(?:are|is|were|was)\b)", "\\1 \x01and ", text, flags=re.I)
    # "the earliest and latest posting dates", "min and max price": two figures of one column
    text = re.sub(r"\b(earliest|latest|oldest|newest|first|last|min(?:imum)?|max(?:imum)?|highest|lowest|smallest|largest)"
                  r"\s+(and|or)\s+(?=(?:the\s+)?(?:earliest|latest|oldest|newest|first|last|min(?:imum)?|max(?:imum)?|highest|"
                  r"lowest|smallest|largest)\b)", "\\1 \x01\\2 ", text, flags=re.I)
    # "upper and lower case", "short or long": two adjectives of one noun
    text = re.sub(r"\b(upper|lower|small|capital)(-?\s*(?:case)?)\s+(and|or)\s+(?=(?:upper|lower|small|capital)[- ]?(?:case|letters?))",
                  "\\1\\2 \x01\\3 ", text, flags=re.I)
    text = _LANG_LIST.sub(lambda m: re.sub(r"\s+(and|or)\s+", " \x01\\1 ", re.sub(r",\s*", "\x02 ", m[0])), text)
    actions: list[Action] = []
    goals: list[Action] = []
    # "Build a corpus: English only, deduplicated" -- the head is a goal when details follow the colon
    pieces = re.split(r"(:\s+)", text)
    sentences: list[tuple[str, bool]] = []
    for k in range(0, len(pieces), 2):
        after_colon = k > 0
        for sent in SENTENCE.split(pieces[k]):
            if sent and sent.strip(" ."):
                sentences.append((sent, after_colon))
                after_colon = False
        if k + 2 < len(pieces) and sentences:  # this piece ends in a colon: its last sentence introduces a list
            last, flag = sentences[-1]
            sentences[-1] = (last + "\x00", flag)
    prev_verb = ""
    for sent_no, (sent, after_colon) in enumerate(sentences):
        intro = sent.endswith("\x00")
        sent = sent.rstrip("\x00").strip().rstrip(".!?").strip()
        # "if a page has fewer than 15 words, drop it": the job is dropping such rows, one action
        sent = IF_THEN_DROP.sub(lambda m: f"{m['verb']} the rows where {m['cond']}{m['rest']}", sent)
        if not after_colon:
            prev_verb = ""
        # "the model overfits because the same prompt shows up restated": an explanation asks for nothing; what
        # follows "because" describes the rows a later "get rid of them" means
        # ("bookings since 2025-03-01", "since last March": a date, not a reason)
        # (not inside quotes or brackets: "the 'closed because it has been stalled' notices" quote the data)
        unquoted = re.sub(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d|\([^()]*\)", lambda m: " " * len(m[0]), sent)
        why = re.search(r"\b(?:because|since(?!\s+(?:\d|last\b|the\s+(?:start|beginning|end)|early\b|late\b|mid\b|then\b|"
                        r"q[1-4]\b|yesterday\b|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|"
                        r"sat|sun)[a-z]*\b)))\s+", unquoted, re.I)
        # "After that, drop the id column since ...", "Anyway, remove the duplicates because ...": a request, then why
        lead = re.sub(r"^(?:(?:after that|afterwards|after this|then|next|finally|lastly|also|first|second|third|anyway|"
                      r"anyhow|so|okay|ok|well|right|now|oh|basically|honestly)\b[\s,]*)+", "", sent, flags=re.I)
        if why and why.start() > 0 and starts_with_verb(lead) and (re.match(
                r"(?:the|we|i|they|it|these|those|our|my|that|this|there|nobody|no one)\b", sent[why.end():], re.I)
                or re.match(r"(?:[\w'-]+\s+){1,3}(?:should(?:n't)?|must(?:n't)?|can(?:'t|not)|won't|don't|doesn't|"
                            r"needn't|may not)\b", sent[why.end():], re.I)):  # ("since names shouldn't go public")
            # "..., since the trainer doesn't need them": why, not a refusal; a job after the reason is kept ("remove
            # the duplicates because the scraper ran twice, and also throw away the garbage")
            nxt = next((m for m in re.finditer(r",\s*(?:and\s+)?(?:then\s+)?(?=\S)", unquoted[why.end():])
                        if starts_with_verb(unquoted[why.end() + m.end():])), None)
            sent = sent[: why.start()].rstrip(" ,") + (f", and {sent[why.end() + nxt.end():]}" if nxt else "")
        elif why and why.start() > 0 and not starts_with_verb(lead) and not WISH.match(lead) and not NEED.search(sent):
            actions.append(Action(sent[why.end():].strip(" ,"), "", False, False, len(actions), sent_no))
            continue
        sent, fronted = fronted_conditions(sent)
        # a condition restricts the clause before it; split it off first so its "and"/"or" stay inside
        head, cond = split_conditions(sent)
        parts = [p for p in SPLIT.split(head) if p and p.strip(" ,.")]
        # "Foo and foo are different names": a statement explains, it asks for nothing
        said = not starts_with_verb(head) and not WISH.match(head) and bool(COPULA.search(head)) and not NEED.search(head)
        tail: list[str] = []
        if cond:  # a condition ends where a new verb-led clause starts ("..., and leave X as it is")
            pieces = [p for p in SPLIT.split(cond) if p and p.strip(" ,.")]
            k = next((i for i, p in enumerate(pieces[1:], 1) if starts_with_verb(p)), len(pieces))
            cond_end = cond.find(pieces[k]) if k < len(pieces) else len(cond)
            cond, tail = cond[:cond_end].strip(" ,"), pieces[k:]
            cond = re.sub(r"[,;]?\s*(?:and then|then|and|but|after that|afterwards|finally)$", "", cond).strip(" ,;")
        cursor, carry = 0, False
        for j, part in enumerate(parts):
            at = head.find(part, cursor)
            contrast = j > 0 and at >= 0 and re.search(r"\bbut\b", head[cursor:at], re.I) is not None
            after = carry or bool(SEQUENCE.search(head[cursor:at]) if j > 0 and at >= 0 else
                                  j == 0 and SEQUENCE.match(f" {head[:16]}"))
            carry = False
            cursor = at + len(part) if at >= 0 else cursor
            part = DISPOSABLE.sub(lambda m: f"drop {m['obj']}", part.strip(" ,."))  # "the url column can go"
            part = ROWS_OUT.sub(lambda m: f"drop {m['obj']}", part)  # "applicants under 21 are out"
            if (also := SO_IS.match(part)) and actions and actions[-1].asks and not actions[-1].negated \
                    and _verb(actions[-1].text):
                part = f"{_verb(actions[-1].text)} {also['obj']}"  # "..., and so is anyone budgeting under $100"
            if (m := UNWANTED.match(part)) and not UNWANTED_JOB.search(m["obj"]):
                part = f"drop {m['obj']}"  # "I don't want any non-English abstracts"
            if WHAT_IS_LEFT.match(part):
                carry = True  # ("..., then from what's left, give me the top 5": after the jobs before)
                continue  # "From what's left, give me the top 5": steps run in order, on what is left
            if COLUMN_ROLE.match(part) and not LANGUAGE_IN.search(part):
                continue  # "the prompt is in instruction": where a step finds its columns (read from the sentence)
            last_cond = cond if j == len(parts) - 1 else ""
            if FRONT in part and fronted:  # its condition was written before it ("and where it's 4 or more, add")
                lead, _, rest = part.partition(FRONT)
                lead = re.sub(r"^\s*(?:and|then|but|also)?[\s,]*$", "", lead, flags=re.I)
                part, last_cond = f"{lead} {rest}".strip(" ,"), f"{fronted.pop(0)} {last_cond}".strip()
            verb_led = starts_with_verb(part)
            # ("..., and also drop anything whose license is unknown": its condition says which rows: not vague)
            vague = verb_led and _first_word(WISH.sub("", part)) in GENERIC and not _content(part) and not last_cond
            if actions and not actions[-1].negated and (asked := WHICH_ROWS.match(actions[-1].text)) \
                    and (back := BACK_AT_THEM.match(part)) and not re.search(r"\d", actions[-1].text):
                # "Which vendors still don't have a permit? Keep only those applications.": the question says which
                joint = " " if re.match(r"\W*(?:or|and)\b|,", asked["rest"], re.I) else " that "  # ("which cat or rabbit")
                actions[-1].text = f"{back['verb']} {asked['rows']}{joint}{asked['rest']}"
                actions[-1].asks = True
                continue
            if actions and not actions[-1].negated and not actions[-1].asks and vague:
                # "Some reviews are the same phrase over and over; drop those": the statement says which rows
                actions[-1].text = relativise(actions[-1].text, _verb(part))
                actions[-1].asks = True
                continue
            if actions and RELATIVE.match(part):  # "Not a MinHash pass, that only catches shared wording": about
                actions[-1].text += f", {part}"  # the clause before (a refused tool here), never a job of its own
                continue
            if actions and actions[-1].asks and not actions[-1].negated and (d := DESCRIBES.match(part)) \
                    and (not verb_led or "keep" in d[0].lower()):
                continue  # (said about the job before; its words would blur what that job is)
            # ("drop claims without a receipt, unless the amount is under 25": the rows that removal spares)
            # ("furniture or electronics requests over $200, unless they come from IT": the rows a keep leaves out)
            spares = re.match(r"unless\b", part, re.I) is not None and actions and actions[-1].asks
            # ("keep only visits that cost more than 200 and need a follow-up": the relative clause goes on)
            continues = bool(HOLDS_TOO.match(part)) and actions and re.search(
                r"\b(?:that|which|who)\s+(?:\w+\s+){0,2}?\w+", actions[-1].text, re.I) is not None
            if actions and not actions[-1].negated and (MODIFIER.match(part) and not KEEP_ALL.search(part) or vague
                                                        or COUNT_CLAUSE.match(part) or ELIDED.match(part) or spares
                                                        or continues):
                actions[-1].text += f" {part}"  # "ignoring whitespace", "drop the worst": part of the last job
                actions[-1].asks |= vague  # "some reviews are pure spam; drop those" asks after all
                actions[-1].condition = (actions[-1].condition + " " + last_cond).strip()
                if vague:  # ("Can you throw that out, and anything under 5 words as well?": its verb goes on)
                    prev_verb = _verb(part)
                continue
            # "Prepare an SFT set", or a verb-less heading before a colon ("Code corpus cleanup:")
            # (a head that asks for a measure is the job, and what follows the colon how to give it: "I'd like token
            # counts for the instructions and, separately, for the outputs: two columns, please")
            # (a list on lines of its own reaches here as "head:; item; item": its head ends in the colon)
            goal = (intro or j == 0 and (len(parts) == 1 or part.rstrip().endswith(":"))) and bool(GOAL.match(part)) or (
                intro and j == 0 and not verb_led and not re.search(
                    rf"\b(?:{_JOB_NOUNS}|(?:token|word|character|char|line|row)\s+counts?|perplexit\w*|lengths?)\b",
                    part, re.I)
                # ("Only the claims over 1,700 EUR: add a summary ...": the rows the job is for, a selection)
                and not re.match(r"\W*(?:only|just)\b", part, re.I))
            refusal = bool(NEG.match(part))  # "don't filter by length" keeps no verb from before
            inherited = False
            own = ""
            if not verb_led and prev_verb and not refusal and not CONTEXT.match(part) and not SCENE.match(part) \
                    and not STATES.match(part) and not QUESTION.match(part) and not re.match(r"(?:i|we|you)\b(?!\s*'?d?\s*(?:and|or|,))", part, re.I) \
                    and not re.match(r"(?:it|this|that|they)(?:'s|’s|'re|\s+(?:is|are|was|were))\b", part, re.I):
                # ("Summarise this dataset for me; it's read-only for this job": a statement, with its own verb;
                # "..., then how many urgent requests per category": a question takes no verb from before)
                own = part
                part = f"{prev_verb} {part}"
                verb_led = inherited = True
            elif verb_led and not goal and not NEG.match(part) and not PRESERVE.search(part):
                prev_verb = _verb(part)  # ("leave X alone, only emails and phones": the verb before "leave" goes on)
            # "Foo and foo are different names": a statement explains, it asks for nothing
            statement = not verb_led and (said or bool(COPULA.search(part) or STATES.match(part))) and not NEED.search(part) \
                and not QUESTION.match(part)  # ("what are the 3 most expensive tickets?" asks for them)
            bare = _OPENER.sub("", part)  # ("Hey! So our set is kind of messy": the statement after the greeting)
            asks = not statement and not COURTESY.match(part) and bare.strip(" ,.!?") != "" and (
                verb_led or bool(WISH.match(part)) or bool(NEED.search(part))
                or not (CONTEXT.match(part) or SCENE.match(part) or (bare != part and CONTEXT.match(bare))))
            if asks and not verb_led and not WISH.match(part) and not NEED.search(part) and _listing_what_is_there(
                    actions, sent_no):
                # ("There's a lot of spam and garbage mixed into these reviews": one list of what is there; "I've got
                # reviews from a couple of places, I think Amazon and some shop site and maybe the app store")
                asks = False
            a = Action(part, last_cond, is_negated(part), asks, len(actions), sent_no, inherited=inherited, own=own,
                       contrast=contrast, after=after)
            if inherited and j == 0 and actions and actions[-1].sentence == sent_no - 1 and \
                    sentences[sent_no - 1][0].endswith("\x00") and _verb(actions[-1].text) == prev_verb and not said \
                    and not QUOTED_SAID.match(own):  # ("keep it case sensitive: 'Python' and 'python' should not ...")
                goals.append(actions[-1])  # "get rid of the junk notes: empty ones and ...": the list says which rows
                # (not a statement after the colon, which explains the job: "remove a review when it is nearly a
                # copy: 85% of its word groups are also in the other")
            if goal and not a.negated:
                goals.append(a)
            actions.append(a)
        if cond and not parts:
            actions.append(Action(cond, "", is_negated(cond), True, len(actions), sent_no))
        for part in tail:
            part = part.strip(" ,.")
            actions.append(Action(part, "", is_negated(part), True, len(actions), sent_no))
    # a goal is dropped when other actions spell out the work; alone, it is the request
    if len(goals) < len(actions) and any(a.asks and not a.negated for a in actions if a not in goals):
        actions = [a for a in actions if a not in goals]
    for i, a in enumerate(actions):
        a.index = i
        a.context = _unmark(sentences[a.sentence][0].replace("\x00", ""))
        a.text = _unmark(a.text).strip(" ,")
        a.own = _unmark(a.own).strip(" ,")
        a.condition = _unmark(a.condition)
    request = _unmark(request)  # the markers only guarded the splitting
    if unquote_labels(_unmark(written)) == request:  # (the labels' quotes only kept the list from being read)
        request = _unmark(written)
    # ("average rating per class type. Only count bookings where the member attended": the rows a figure is of)
    # ("... Only count spin and hiit classes": labels of the data name them)
    measured = [m for m in MEASURE_ONLY.finditer(request) if not ((COUNTED_ROWS.match(request, m.start()) or any(
        w.strip(",.;:!?'\"") in values for w in request[m.end():].lower().split()[:4])) and any(
        FIGURE.search(a.full) and m[0].lower() not in a.full.lower() for a in actions))]
    return ParsedRequest(request, actions, bool(KEEP_ALL.search(request) or measured))
