"""LLM augmentation: new rows from existing ones (paraphrase, back-translation, context expansion,
difficulty escalation). New rows copy their parent's columns, replace the text, and record the method."""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from tilth.llm.opbase import (
    LLMOp,
    WhereParams,
    bare_reply,
    generated_rows,
    render,
    rows_with_text,
    text_values,
)
from tilth.ops.base import Generator
from tilth.ops.registry import register


class AugmentParams(WhereParams):
    text_field: str = Field("text", description="Column holding the text to augment.")
    n: int = Field(1, ge=1, le=16, description="New rows per selected input row.")
    keep_input: bool = Field(True, description="Keep the input rows in the output (followed by the new rows).")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature; >0 so variants differ.")


class _Augment(LLMOp, Generator):
    """One prompt per (row, variant); the reply replaces the text of a copy of the row."""

    category = "rewrite"
    template_name: str = ""
    inputs = ("{text_field}",)
    outputs = ("{text_field}", "aug_method", "_parent_id")
    Params = AugmentParams

    def fields(self) -> dict:
        return {}

    def transform(self, texts: list[str], seeds: list[int]) -> list[str]:
        tpl = self.template(self.template_name)
        return [bare_reply(r.content, t) for r, t in
                zip(self.ask([render(tpl, text=t, **self.fields()) for t in texts], seeds=seeds), texts, strict=True)]

    def generate(self, batch: pa.Table) -> pa.Table:
        p = self.params
        texts = text_values(batch, p.text_field)
        pairs = [(i, v) for i in rows_with_text(batch, p, texts) for v in range(p.n)]
        outs = self.transform([texts[i] for i, _ in pairs], [v for _, v in pairs])
        keep = [(i, v, o) for (i, v), o in zip(pairs, outs, strict=True) if o]
        return generated_rows(batch, self.name, [i for i, _, _ in keep], [v for _, v, _ in keep],
                              {p.text_field: [o for _, _, o in keep], "aug_method": [self.name] * len(keep)})


@register
class LLMParaphrase(_Augment):
    name = "llm_paraphrase"
    description = """Add `n` paraphrases of each selected row (same meaning, new wording) as new rows."""
    examples = (
        "paraphrase the samples with an LLM",
        "augment the data with reworded versions",
        "create variants that say the same thing differently",
        "generate more examples by rephrasing",
        "add paraphrased versions of each question",
        "double the dataset with LLM rewordings",
        "generate 3 paraphrases per sample",
        "create alternative phrasings of every prompt as new rows",
        "paraphrase augmentation with an LLM",
        "we have too few examples; add reworded versions of each",
        "write differently worded versions of each sentence with the LLM",
        "add paraphrases while keeping the originals",
        "rephrase each example to get more training data",
        "paraphrse the prompts to augment",
        "add LLM paraphrases of each row as new rows",
        "generate rephrased variants of the prompts",
        "add reworded variants of each example",
        "paraphrase each row into new rows",
    )
    template_name = "paraphrase"


class BackTranslateParams(AugmentParams):
    pivot_language: str = Field("French", description="Language to translate through and back from.")
    source_language: str = Field("English", description="Language of the input text (and of the output).")


@register
class LLMBackTranslate(_Augment):
    name = "llm_back_translate"
    description = """Add back-translations: translate each selected row into `pivot_language`, then back
    into `source_language`, giving a paraphrase with natural variation."""
    examples = (
        "back-translate samples to create paraphrases",
        "translate to another language and back for augmentation",
        "augment by round-trip translation",
        "translate each sample to French and back to English",
        "back translation augmentation",
        "round-trip the text through German to get paraphrases",
        "create variants via a pivot language",
        "augment the data by translating to Spanish and back",
        "backtranslate the reviews for more variety",
        "add back-translated versions of the training examples",
        "translate then translate back",
        "paraphrase through another language",
        "back-translation of the reviews through French",
        "make round-trip translated variants of each row",
    )
    # a translation kept in the other language is not a back-translation (a round trip in the words is)
    cannot = ("translate into", "translate it into", "translate them into", "translate every", "translate each",
              "translate all", "translation into", "translations into")
    template_name = "translate"
    Params = BackTranslateParams

    def transform(self, texts: list[str], seeds: list[int]) -> list[str]:
        tpl = self.template(self.template_name)
        p = self.params
        pivot = [bare_reply(r.content, t, p.pivot_language) for r, t in
                 zip(self.ask([render(tpl, text=t, language=p.pivot_language) for t in texts], seeds=seeds), texts,
                     strict=True)]
        back = self.ask([render(tpl, text=t, language=p.source_language) for t in pivot], seeds=seeds)
        return [bare_reply(r.content, t, p.source_language) if pv else ""
                for r, pv, t in zip(back, pivot, texts, strict=True)]


@register
class LLMExpandContext(_Augment):
    name = "llm_expand_context"
    description = """Add a version of each selected row expanded with background and context."""
    examples = (
        "add background and context to each sample",
        "expand short texts with more detail",
        "make each example longer with explanations",
        "add versions enriched with background information",
        "elaborate on each sample with more context",
        "make short answers longer and more detailed as new rows",
        "expand terse questions with context",
        "generate context-rich variants of each row",
        "the examples are too short; add fuller versions",
        "enrich each passage with explanations using the LLM",
        "context expansion augmentation",
        "flesh out the short snippets with an LLM",
        "expand each sample with background context",
        "add context-expanded versions of each example",
        "make the texts longer by adding context",
        "add longer, more detailed versions of each example",
    )
    cannot = ("summaris", "summariz", "shorten", "condense")  # (the opposite job: llm_rewrite's)
    template_name = "expand_context"


@register
class LLMEscalateDifficulty(_Augment):
    name = "llm_escalate_difficulty"
    description = """Add a harder version of each selected problem (an extra constraint, step or edge case).
    Pair with where_column=llm_difficulty to escalate only problems already judged hard, or easy."""
    examples = (
        "make harder versions of the problems",
        "increase the difficulty of the questions",
        "add more challenging variants of each problem",
        "evolve instructions into more complex ones",
        "escalate the difficulty of the problems",
        "make the math problems harder with extra constraints",
        "Evol-Instruct style deepening of the problems",
        "add a tougher variant of each question",
        "our problems are too easy; generate harder ones",
        "create more challenging versions with extra steps or edge cases",
        "complicate each task with an added constraint",
        "upgrade the exercises to a harder level",
        "generate advanced versions of the easy problems",
        "make the questions more difficult",
        "generate more difficult versions of each question",
        "rewrite each problem into a new, harder one",
    )
    template_name = "escalate_difficulty"
