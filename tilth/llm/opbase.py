"""Shared plumbing of LLM operators: the client for the current run (endpoint, cache, usage tags), prompt
templates, row selection (`where_column >= where_min`) and generated-row construction.

Kept as a mixin so each operator stays a plain Mapper / Filter / Generator of the core contract.
"""

from __future__ import annotations

import re
import zlib
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.llm.client import ChatRequest, ChatResult, LLMClient
from tilth.llm.endpoint import Endpoint
from tilth.llm.prompts import load_template, render
from tilth.llm.store import ResponseCache, UsageLog
from tilth.ops.base import Params, Resources
from tilth.ops.where import Scope, where_mask
from tilth.storage.ids import derived_ids


class LLMParams(Params):
    max_tokens: int = Field(256, ge=1, le=8192, description="Most tokens the model may generate per request.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0 = greedy, reproducible).")
    concurrency: int = Field(8, ge=1, le=256, description="Requests in flight per worker process.")
    prompt_file: str | None = Field(None, description="Path of a prompt template overriding the built-in one "
                                                      "($field placeholders).")


class WhereParams(LLMParams, Scope):
    """LLM parameters, and the rows the job applies to (a where_column alone: every row that has a value)."""

    scope_needs_bound: ClassVar[bool] = False


class LLMOp:
    """Mixin for operators that call the LLM endpoint of the current run."""

    resources = Resources(llm=True, memory_mb=256)
    endpoint: Endpoint | None = None  # set to bypass run/env resolution (scripts, notebooks)

    def setup(self) -> None:
        self._client = None

    @property
    def client(self) -> LLMClient:
        ctx = self.context
        if getattr(self, "_client", None) is None or getattr(self, "_client_ctx", None) != ctx:
            self._client_ctx = ctx  # a new run (new tags, maybe a new endpoint) needs a new client
            endpoint = self.endpoint or Endpoint.for_run(ctx.workspace if ctx else None, ctx.run if ctx else None)
            cache = usage = None
            if ctx is not None:
                cache = ResponseCache(ctx.workspace)
                usage = UsageLog(ctx.workspace, {"run": ctx.run, "step": ctx.step, "step_index": ctx.step_index,
                                                 "operator": self.name})
            resolve = None
            if self.endpoint is None and ctx is not None:  # follow the run's endpoint file (server restarts)
                ws, run = ctx.workspace, ctx.run
                resolve = lambda: Endpoint.for_run(ws, run)  # noqa: E731
            self._client = LLMClient(endpoint, cache=cache, usage=usage, concurrency=self.params.concurrency,
                                     resolve=resolve)
        return self._client

    def template(self, name: str):
        return load_template(name, self.params.prompt_file)

    def ask(self, prompts: list[str], *, system: str | None = None, json_schema: dict | None = None,
            seeds: list[int | None] | None = None, max_tokens: int | None = None) -> list[ChatResult]:
        p = self.params
        reqs = []
        for i, text in enumerate(prompts):
            messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
            reqs.append(ChatRequest(messages, max_tokens=max_tokens or p.max_tokens, temperature=p.temperature,
                                    seed=seeds[i] if seeds else None, json_schema=json_schema))
        return self.client.chat_many(reqs) if reqs else []

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["endpoint"] = self.endpoint
        return state


# "Here is the rewritten text:", "Sure! Here's the paraphrase:", "Translation into German:": a label before the reply
_NOUNS = (r"(?:translation|translated text|translated version|rewritten text|rewritten version|rewrite|paraphrase|"
          r"paraphrased text|revised text|revised version|corrected text)")
_PREAMBLE = r"^\s*(?:(?:sure|certainly|of course|okay|ok)[!.,]*\s*)?(?:here(?:'s| is)\s+(?:the\s+|a\s+|your\s+|my\s+)?)?"


def bare_reply(reply: str, source: str, language: str | None = None) -> str:
    """The text a model wrote, without a label it put before it ("English:\n", "Here is the translation:"; a
    language only where it is the one asked for) and without quotes it wrapped it in, unless the source itself
    starts so (SmolLM2 answered translations as `English:\n"..."`; the label and quotes stood in the dataset)."""
    text = reply.strip()
    lang = rf"|{re.escape(language)}(?:\s+{_NOUNS})?" if language else ""
    label = re.compile(rf"{_PREAMBLE}(?:{_NOUNS}(?:\s+(?:in|into|to)\s+[A-Z][a-z]+)?{lang})\s*:\s*", re.I)
    m = label.match(text)
    if m and m.end() < len(text) and not label.match(source.strip()):
        text = text[m.end():].strip()
    for a, b in ('""', "''", "\u201c\u201d", "\u2018\u2019"):
        if len(text) > 1 and text[0] == a and text[-1] == b and a not in text[1:-1] and b not in text[1:-1] \
                and not source.strip().startswith(a):
            text = text[1:-1].strip()
    return text


def text_values(batch: pa.Table, column: str) -> list[str]:
    if column not in batch.column_names:
        raise KeyError(f"column {column!r} not in batch (columns: {', '.join(batch.column_names)})")
    return ["" if v is None else str(v) for v in batch.column(column).to_pylist()]


def text_or_null(batch: pa.Table, column: str) -> list[str | None]:
    """The column as text, nulls kept: the values a rewrite starts from (a number column is written as text)."""
    return [None if v is None else str(v) for v in batch.column(column).to_pylist()]


def rows_with_text(batch: pa.Table, params: Scope, texts: list[str]) -> list[int]:
    """The rows the job applies to (its scope) that have text: an empty or null text is never sent to the model
    (a reply to nothing is noise, and a call is the costly part)."""
    return [int(i) for i in where_mask(batch, params).nonzero()[0] if texts[int(i)].strip()]


def generated_rows(batch: pa.Table, op_name: str, parent_rows: list[int], variants: list[int],
                   columns: dict[str, list]) -> pa.Table:
    """New rows: copies of the parent rows with `columns` overwritten/added, plus `_id` (stable per parent,
    operator and variant) and `_parent_id`."""
    idx = pa.array(parent_rows, pa.int64())
    base = batch.take(idx)
    if "_parent_id" in base.column_names:
        base = base.drop_columns(["_parent_id"])
    parents = base.column("_id").to_numpy()
    ids = np.array([derived_ids(np.array([pid]), zlib.crc32(f"{op_name}:{v}".encode()))[0]
                    for pid, v in zip(parents, variants, strict=True)], dtype=np.int64)
    base = base.set_column(base.column_names.index("_id"), "_id", pa.array(ids, pa.int64()))
    for name, values in columns.items():
        arr = pa.array(values)
        if name in base.column_names:
            base = base.set_column(base.column_names.index(name), name, arr.cast(base.schema.field(name).type)
                                   if pa.types.is_string(arr.type) or pa.types.is_null(arr.type) else arr)
        else:
            base = base.append_column(name, arr)
    return base.append_column("_parent_id", pa.array(parents, pa.int64()))


__all__ = ["ChatRequest", "LLMOp", "LLMParams", "WhereParams", "generated_rows", "render", "rows_with_text",
           "text_or_null", "text_values", "where_mask"]
