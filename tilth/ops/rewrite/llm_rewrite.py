"""LLM rewriting of a text column in place or into a new one: grammar/clarity, style/tone or form (a
summary), redundancy removal."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
from pydantic import Field

from tilth.llm.opbase import LLMOp, WhereParams, bare_reply, render, rows_with_text, text_or_null, text_values
from tilth.ops.base import Mapper, put_column
from tilth.ops.registry import register


class LLMRewriteParams(WhereParams):
    text_field: str = Field("text", description="Column to rewrite.")
    task: Literal["grammar", "tone", "redundancy"] = Field(
        "grammar", description="grammar: fix grammar and clarity; tone: restyle to `style`; "
                               "redundancy: remove repetition.")
    style: str = Field("formal", description="Target tone for task=tone (e.g. formal, friendly, concise), or the "
                                             "form the text takes (a one-line summary).")
    output_field: str | None = Field(None, description="Write here instead of overwriting `text_field`.")
    min_chars: int = Field(1, ge=0, description="Keep the original if the rewrite has fewer characters than this.")


@register
class LLMRewrite(LLMOp, Mapper):
    name = "llm_rewrite"
    category = "rewrite"
    description = """Rewrite a text column with the LLM: fix grammar and clarity, change tone/style or form (a
    one-line summary), or remove redundancy; into output_field to keep the original. Rows not selected by
    where_column/where_min, empty texts and empty replies keep the original text."""
    examples = (
        "rewrite the text with an LLM",
        "change the tone to be more polite",
        "make the wording formal",
        "fix grammar and spelling with a model",
        "rephrase replies in a calmer, friendlier style",
        "simplify the language of each text",
        "correct typos and spelling mistakes in the text",
        "make the responses more concise",
        "rewrite the answers in a friendly tone",
        "tighten the wording and remove redundant sentences",
        "improve the writing of every answer",
        "make the support replies sound more professional",
        "the answers are rude; rewrite them politely",
        "improve the clarity of the text column",
        "proofread and correct each document with the LLM",
        "make each answer easier to read",
        "rewrite each text in simpler words",
        "rewrite the responses to be less redundant",
        "simplify the wording of every answer",
        "make the questions clearer",
        "reword the instructions so they are easier to understand",
        "rewrite every entry as a brief one-line summary of it",
        "summarise each text in one line",
    )
    inputs = ("{text_field}",)
    outputs = ("{text_field}",)
    Params = LLMRewriteParams

    def output_columns(self) -> list[str]:
        return [self.params.output_field or self.params.text_field]

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        texts = text_values(batch, p.text_field)
        rows = rows_with_text(batch, p, texts)
        tpl = self.template(f"rewrite_{p.task}")
        results = self.ask([render(tpl, text=texts[i], style=p.style) for i in rows])
        out = text_or_null(batch, p.text_field)
        for i, r in zip(rows, results, strict=True):
            new = bare_reply(r.content, texts[i])
            if len(new) >= max(1, p.min_chars):
                out[i] = new
        return put_column(batch, p.output_field or p.text_field, pa.array(out, pa.string()))
