"""LLM translation of a text column into one language, leaving the rows already written in it as they are."""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field, field_validator

from tilth.llm.opbase import LLMOp, WhereParams, bare_reply, render, rows_with_text, text_or_null, text_values
from tilth.ops.base import Mapper, put_column
from tilth.ops.process.lang_id import load_detector
from tilth.ops.process.languages import language_code
from tilth.ops.registry import register


class LLMTranslateParams(WhereParams):
    text_field: str = Field("text", description="Column to translate.")
    target_language: str = Field("English", description="Language to translate into, by name (English, German, ...).")
    only_other_languages: bool = Field(
        True, description="Translate only rows lid.176 does not find in target_language (at min_score); a row "
                          "already in it is kept as written, with no model call.")
    source_languages: list[str] = Field(
        [], description="Translate only rows lid.176 reads as one of these languages (ISO codes: \"translate the "
                        "German and French posts\" is de, fr); the others stay as written. Empty: any language.")
    min_score: float = Field(0.65, ge=0, le=1, description="Confidence at which a row counts as already in "
                                                          "target_language.")
    output_field: str | None = Field(None, description="Write here instead of overwriting `text_field` (a row "
                                                      "already in target_language is copied; one not selected is "
                                                      "null).")
    max_tokens: int = Field(512, ge=1, le=8192, description="Most tokens the model may generate per row.")
    # (a small model often writes the source language again, or garbles it: trial 87 found such output in place of
    # the originals; the words of this description are few, since they weigh in the agent's operator search)
    verify_language: bool = Field(True, description="Keep the original text where lid.176 does not find "
                                                     "target_language in the translation.")

    @field_validator("target_language")
    @classmethod
    def _known(cls, v: str) -> str:
        if language_code(v) is None:
            raise ValueError(f"unknown language {v!r}: name it in English (German, Spanish, Japanese, ...)")
        return v.strip().capitalize() if len(v.strip()) > 2 else v.strip()


@register
class LLMTranslate(LLMOp, Mapper):
    name = "llm_translate"
    category = "rewrite"
    description = """Translate a text column into target_language with the LLM, in place or into output_field.
    Rows lid.176 already finds in that language are left as written (only_other_languages), as are rows not
    selected by where_column; an empty reply keeps the original text."""
    examples = (
        "translate the text into English",
        "translate the non-English messages into English",
        "translate the Spanish answers into English",
        "translate every document to German",
        "make everything English: translate the rows in other languages",
        "the French reviews need translating to English",
        "machine-translate the foreign-language reviews",
        "render each summary in Spanish",
        "convert the texts that are not in English into English",
        "translate the questions into French and keep the original too",
        "get an English version of the German replies",
        "translate the rows written in another language so every row is English",
    )
    cannot = ("and back", "round trip", "round-trip", "back-translat", "back translat", "backtranslat")  # (a paraphrase)
    stage = 52  # a model call per row: after the cheap filters and dedup; before scoring and labelling (one language)
    inputs = ("{text_field}",)
    outputs = ("{text_field}",)
    Params = LLMTranslateParams

    def setup(self) -> None:
        super().setup()
        p = self.params
        self._detector = load_detector() if p.only_other_languages or p.source_languages or p.verify_language else None

    def output_columns(self) -> list[str]:
        return [self.params.output_field or self.params.text_field]

    def _already_target(self, texts: list[str]) -> list[bool]:
        """Rows lid.176 confidently reads as the target language."""
        self.ensure_ready()
        code, p = language_code(self.params.target_language), self.params
        out = []
        for t in texts:
            best = self._detector.detect(" ".join(t.split())[:2000], k=1)[0]
            out.append(best["lang"] == code and float(best["score"]) >= p.min_score)
        return out

    def _best_language(self, text: str) -> str:
        self.ensure_ready()
        return self._detector.detect(" ".join(text.split())[:2000], k=1)[0]["lang"]

    def _in_source(self, texts: list[str]) -> list[bool]:
        """Rows lid.176 reads as one of source_languages (its best guess, however sure: a user who names the
        languages to translate names what the rows are in)."""
        self.ensure_ready()
        wanted = {c.lower() for c in self.params.source_languages}
        return [self._detector.detect(" ".join(t.split())[:2000], k=1)[0]["lang"] in wanted for t in texts]

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        texts = text_values(batch, p.text_field)
        rows = rows_with_text(batch, p, texts)
        if p.source_languages and rows:
            rows = [i for i, s in zip(rows, self._in_source([texts[i] for i in rows]), strict=True) if s]
        if p.only_other_languages and rows:
            done = self._already_target([texts[i] for i in rows])
            rows = [i for i, d in zip(rows, done, strict=True) if not d]
        tpl = self.template("translate")
        results = self.ask([render(tpl, text=texts[i], language=p.target_language) for i in rows])
        out = text_or_null(batch, p.text_field)
        replies = {i: bare_reply(r.content, texts[i], p.target_language) for i, r in zip(rows, results, strict=True)}
        if p.verify_language:
            code = language_code(p.target_language)
            replies = {i: t for i, t in replies.items() if t and self._best_language(t) == code}
        for i, new in replies.items():
            if new:
                out[i] = new
        return put_column(batch, p.output_field or p.text_field, pa.array(out, pa.string()))
