"""Intent keywords: what a request asks for, and how to recognise a skill that serves it from metadata.

An intent never names an operator. It says which operator kinds can serve it and which words the
operator's own metadata must contain ("quality", "language", ...); the registry decides what exists, and
retrieval ranks the candidates. So a new deduplicator or quality filter is picked up with no change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tilth.agent.dates import BOUND_PATTERN

NEGATION = re.compile(r"\b(?:no|not|don'?t|do not|without|skip|never|avoid)\b[\w\s-]{0,20}$", re.I)


@dataclass(frozen=True)
class Intent:
    name: str
    pattern: str
    stage: int  # order in the pipeline: cleaning, filtering, dedup, labelling, augmentation, statistics
    query: str  # retrieval query describing the wanted skill
    kinds: tuple[str, ...]
    must: tuple[str, ...] = ()  # the skill's metadata text must contain one of these
    category: str | None = None
    why: str = ""
    prefer: tuple[str, ...] = ()  # name parts that make a candidate the natural choice (default: `must`)

    def preferred(self, skill) -> int:
        """2: the name starts with a preferred word (`length_filter`), 1: contains one, 0: neither."""
        words = self.prefer or self.must or (self.name,)
        return 2 if any(skill.name.startswith(w) for w in words) else int(any(w in skill.name for w in words))

    def regex(self) -> re.Pattern:
        return re.compile(self.pattern, re.I)

    def accepts(self, skill) -> bool:
        if skill.kind not in self.kinds:
            return False
        if self.category and skill.category != self.category:
            return False
        text = skill.search_text().lower()
        return not self.must or any(m in text for m in self.must)


INTENTS: tuple[Intent, ...] = (
    Intent("html", r"\bhtml\b|\bweb pages?\b.*\bmain text\b|\bextract (?:the )?(?:main )?text\b|\bboilerplate removal\b",
           5, "extract main text from raw html", ("mapper",), ("html",),
           why="the request asks to extract text from HTML"),
    Intent("normalize", r"\bnormali[sz]|\bunicode\b|\bmojibake\b|\bfix (?:the )?(?:text|encoding)|\bclean up (?:the )?(?:text|whitespace)",
           10, "normalize unicode whitespace text cleanup", ("mapper",), ("normali",), category="process",
           why="the request asks for normalised text"),
    Intent("pii", r"\bpii\b|\bpersonal(?:ly)? (?:identifiable )?(?:data|information|info|details)|\be-?mail addresses\b|"
           r"\bphone numbers\b|\bredact|\banonymi[sz]|\bprivate (?:data|information)",
           15, "redact personal identifiable information email phone", ("mapper",), ("pii", "personal", "redact"),
           why="the request asks to remove personal information"),
    Intent("language", r"\blanguage\b(?! models?\b)|\benglish\b|\bfrench\b|\bgerman\b|\bspanish\b|\bchinese\b|\bjapanese\b|"
           r"\brussian\b|\bitalian\b|\bportuguese\b|\blang[- ]?id\b|\bnon-english\b|\bmonolingual\b",
           20, "language identification keep documents in language", ("filter", "mapper"), ("language",),
           why="the request restricts the language"),
    Intent("length", r"\b(?:by|filter(?:ing)?|limit|bound|restrict)\s+(?:the\s+)?length\b|\blength (?:filter|limit|bounds?)\b|\btoo (?:short|long)\b|\bshort (?:documents|texts|samples|rows|answers|lines)\b|"
           r"\bat (?:least|most) \d+ (?:words|characters|chars)\b|\b(?:fewer|less|more|longer|shorter) than \d+ "
           r"(?:words|characters|chars)\b|\bbetween \d+ and \d+ (?:words|characters|chars)\b|\btiny\b|"
           r"\b(?:under|over|below|above) \d+ (?:words|characters|chars)\b",
           30, "length filter minimum maximum words characters", ("filter",), ("length",),
           why="the request bounds the length of samples"),
    Intent("repetition", r"\brepetit|\brepeated (?:lines|n-?grams|paragraphs|phrases|words)\b|\bboilerplate\b",
           35, "repetition filter repeated lines n-grams", ("filter",), ("repetit",),
           why="the request asks to drop repetitive text"),
    Intent("quality", r"\bquality\b|\bjunk\b|\bgarbage\b|\bspam\b|\bnoisy\b|\bgibberish\b|\blow-effort\b|\bheuristic filter",
           40, "quality filter heuristics low-quality documents", ("filter",), ("quality",),
           why="the request asks to remove low-quality samples"),
    Intent("perplexity", r"\bperplexity\b|\bfluen(?:t|cy)\b|\bunnatural\b",
           45, "perplexity filter language model fluency", ("filter",), ("perplexity",),
           why="the request asks to filter by language-model perplexity"),
    Intent("ifd", r"\bifd\b|\binstruction[- ]following difficulty\b|\bsuperfilter|\bcherry ?llm\b",
           48, "instruction-following difficulty IFD superfiltering select instruction data", ("filter",), ("ifd",),
           why="the request asks to select instruction data by instruction-following difficulty"),
    Intent("dedup", r"\bde-?dup|\bduplicat(?!ion rate)|\bnear-?duplicat|\bredundan|\brepeated (?:samples|rows|examples|documents|problems|entries)\b|"
           r"\bidentical (?:samples|rows|examples|documents|problems|entries)\b|\bcopies of\b",
           50, "remove duplicate samples deduplication", ("deduplicator",), ("duplicate", "near-dup", "dedup "),  # (top_filter is global too)
           why="the request asks to remove duplicates"),
    Intent("difficulty", r"(?<!following )\bdifficult|\bhard(?:er|est)? (?:problems|questions|samples|examples|items|ones)\b|\beasy\b|"
           r"\bchallenging\b|\bcomplexity\b",
           60, "difficulty score label hard easy problems", ("mapper",), ("difficult",),
           why="the request treats samples differently by difficulty, so they need a difficulty score first"),
    Intent("augment", r"\baugment|\bparaphras|\bmore (?:examples|samples|data|variants)\b|\bvariants?\b|\bsynonym|"
           r"\bback-?translat|\bexpand the (?:data|dataset|set)\b|\bupsampl|\boversampl",
           70, "augment data generate new variants of samples", ("generator", "mapper"),
           ("augment", "paraphras", "synonym", "variant"), category="rewrite", prefer=("augment",),
           why="the request asks to augment the data"),
    Intent("tokens", r"\btoken counts?\b|\bcount (?:the )?tokens\b|\bnumber of tokens\b|\btokens per\b",
           80, "count tokens tokenizer", ("mapper",), ("token",),
           why="the request asks for token counts"),
    Intent("sample_metrics", r"\bper-(?:sample|row|document) (?:metrics|statistics|stats)\b|"
           r"\bmetrics? (?:to|for|on) (?:each|every) (?:row|sample|document)\b",
           85, "per-row text metrics columns lexical diversity", ("mapper",), ("metric",), category="evaluate",
           why="the request asks for metrics on every row"),
    Intent("dates", BOUND_PATTERN, 30, "keep rows by the value of a date column", ("filter",), ("any column",),
           why="the request bounds a date"),
    Intent("stats", r"\bstatistic|\bstats\b|\breport\b|\bprofil(?:e|ing)\b|(?<!per-sample )(?<!per-row )\bmetrics\b|\bdistribution\b|"
           r"\bsummar(?:y|ise|ize) (?:of )?(?:the )?(?:data|dataset|corpus)\b|\boverview\b|\bsample count\b",
           90, "dataset statistics metrics report", ("mapper", "filter", "generator"), ("statistic", "metric"),
           category="evaluate", why="the request asks for dataset statistics", prefer=("stats", "statistic")),
)

BY_NAME = {i.name: i for i in INTENTS}

# A small thesaurus from everyday wording to the vocabulary operator descriptions use; it only widens
# the retrieval query that ranks candidates, it never picks an operator by itself.
EXPAND = (
    (re.compile(r"\b(?:fuzzy|approximate|similar|almost identical)\b", re.I), "near duplicates similarity"),
    (re.compile(r"\bcopies\b", re.I), "duplicates"),
    (re.compile(r"\b(?:junk|spam|garbage)\b", re.I), "low-quality"),
    (re.compile(r"\bfluen(?:t|cy)\b", re.I), "perplexity"),
    (re.compile(r"\boverview\b", re.I), "statistics"),
)


def expand(text: str) -> str:
    extra = [words for rx, words in EXPAND if rx.search(text)]
    return " ".join([text, *extra])


def clause_around(text: str, start: int, end: int) -> str:
    """The sentence (or clause) holding a match: modifiers like 'near-' or 'exact' live there."""
    left = max(text.rfind(ch, 0, start) for ch in ".;,!?")
    rights = [i for i in (text.find(ch, end) for ch in ".;,!?") if i >= 0]
    return text[left + 1 : min(rights) if rights else len(text)].strip()


# For these intents "no duplicates", "without junk" describe the data wanted: it asks *for* the step.
REMOVAL_INTENTS = {"dedup", "quality", "pii", "repetition", "length"}
SOFT_NEGATION = re.compile(r"\b(?:no|without)\s+(?:[\w-]+\s+){0,1}$", re.I)


def _negated(intent: Intent, before: str) -> bool:
    if not NEGATION.search(before):
        return False
    return not (intent.name in REMOVAL_INTENTS and SOFT_NEGATION.search(before))


def detect(text: str) -> list[tuple[Intent, str]]:
    """Intents the text asks for (negated mentions such as "don't deduplicate" excluded), with their clause."""
    found = []
    for intent in INTENTS:
        for m in intent.regex().finditer(text):
            if _negated(intent, text[max(0, m.start() - 30) : m.start()]):
                continue
            found.append((intent, clause_around(text, m.start(), m.end())))
            break
    return found


def negated(text: str) -> list[Intent]:
    """Intents the text explicitly asks *not* to do."""
    out = []
    for intent in INTENTS:
        for m in intent.regex().finditer(text):
            if _negated(intent, text[max(0, m.start() - 30) : m.start()]):
                out.append(intent)
                break
    return out
