"""LLM annotation into columns for later mixing: domain/topic, difficulty (1-5), task type."""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field, model_validator

from tilth.llm.opbase import LLMOp, WhereParams, render, text_values
from tilth.ops.base import Mapper, put_column
from tilth.ops.registry import register

DEFAULT_CHOICES = {
    "domain": ["science", "technology", "health", "finance", "law", "education", "arts", "sports", "news", "other"],
    "topic": ["mathematics", "programming", "history", "biology", "physics", "cooking", "travel", "politics",
              "entertainment", "other"],
    "task_type": ["question answering", "summarization", "classification", "extraction", "creative writing",
                  "coding", "math reasoning", "open conversation", "other"],
}


class LLMAnnotateParams(WhereParams):
    text_field: str = Field("text", description="Column holding the text to label.")
    label: str = Field(
        "domain", pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="What to label: domain, topic or task_type (each with a built-in list), difficulty (an integer "
                    "1 trivial to 5 very hard), or a name of your own (sentiment, stance) given with its choices.",
        json_schema_extra={"suggested": ["domain", "topic", "difficulty", "task_type"]})
    choices: list[str] | None = Field(None, description="Allowed labels (default: a built-in list per label).")
    output_field: str | None = Field(None, description="Output column (default: llm_<label>).")
    max_tokens: int = Field(32, ge=4, le=512, description="Most tokens per reply (a short JSON label).")

    @model_validator(mode="after")
    def _own_label_has_choices(self):
        if self.label != "difficulty" and self.label not in DEFAULT_CHOICES and not self.choices:
            raise ValueError(f"label {self.label!r} has no built-in list: give its choices (e.g. positive, negative, "
                             f"neutral), or use one of {', '.join([*DEFAULT_CHOICES, 'difficulty'])}")
        return self


@register
class LLMAnnotate(LLMOp, Mapper):
    name = "llm_annotate"
    category = "evaluate"
    description = """Label each row with the LLM: domain, topic or task type (one of `choices`), difficulty
    (1-5), or a label of your own such as sentiment with its choices, into `llm_<label>`, for mixing and for
    where_column selection in later steps. Rows the model could not label, and empty texts (never sent), get null."""
    examples = (
        "tag each document with a topic",
        "label the domain of every row with an LLM",
        "classify rows into categories",
        "annotate the task type of each instruction",
        "assign a difficulty label with a model",
        "use the LLM to tag each ticket with its category",
        "classify each post's domain: code, math, medicine...",
        "label every instruction as summarization, QA, coding and so on",
        "what topic is each article about? add a column",
        "have the model label each problem's difficulty from 1 to 5",
        "auto-label the documents so we can balance the data mix",
        "categorize the reviews by topic with a language model",
        "zero-shot classification of rows into given labels",
        "tag the questions by subject",
        "llm labeling of the domain",
        "label each row's topic with an LLM",
        "annotate every document with its domain",
        "classify each document's topic with an LLM",
        "add a yes/no column saying whether each text mentions a delay",
        "mark whether each message is about a billing problem",
    )
    inputs = ("{text_field}",)
    outputs = ("llm_{label}",)
    Params = LLMAnnotateParams

    def output_columns(self) -> list[str]:
        return [self.params.output_field or f"llm_{self.params.label}"]

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        texts = text_values(batch, p.text_field)
        if p.label == "difficulty":
            schema = {"type": "object", "required": ["label"], "additionalProperties": False,
                      "properties": {"label": {"type": "integer", "minimum": 1, "maximum": 5}}}
            prompts = [render(self.template("annotate_difficulty"), text=t) for t in texts]
            typ = pa.int64()
        else:
            choices = p.choices or DEFAULT_CHOICES[p.label]
            schema = {"type": "object", "required": ["label"], "additionalProperties": False,
                      "properties": {"label": {"type": "string", "enum": choices}}}
            tpl = self.template("annotate")
            label = p.label.replace("_", " ")
            prompts = [render(tpl, text=t, label=label, choices=_said_choices(choices, label)) for t in texts]
            typ = pa.string()
        rows = [i for i, t in enumerate(texts) if t.strip()]  # an empty text has no label to find: null, no call
        labels = [None] * batch.num_rows
        for i, r in zip(rows, self.ask([prompts[i] for i in rows], json_schema=schema), strict=True):
            labels[i] = r.parsed["label"] if r.parsed else None
        return put_column(batch, self.output_columns()[0], pa.array(labels, typ))


def _said_choices(choices: list[str], label: str) -> str:
    """The choices as the prompt lists them; a scale of numbers says which end is which ("1 (lowest urgency), 2,
    3, 4, 5 (highest urgency)"): a bare "1, 2, 3" leaves the model to guess the direction."""
    if len(choices) >= 3 and all(c.strip().isdigit() for c in choices):
        n = [int(c) for c in choices]
        if n == list(range(n[0], n[0] + len(n))):
            return ", ".join([f"{choices[0]} (lowest {label})", *choices[1:-1], f"{choices[-1]} (highest {label})"])
    return ", ".join(choices)
