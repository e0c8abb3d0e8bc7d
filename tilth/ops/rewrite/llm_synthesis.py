"""LLM synthesis of instruction data: QA pairs from seed documents, Magpie-style self-instruct from a
system prompt, and synthesis from a user-written template. New rows carry `instruction` and `response`."""

from __future__ import annotations

from string import Template

import pyarrow as pa
from pydantic import Field, field_validator

from tilth.llm.client import ChatRequest
from tilth.llm.opbase import (
    LLMOp,
    WhereParams,
    generated_rows,
    render,
    rows_with_text,
    text_values,
    where_mask,
)
from tilth.llm.prompts import load_template
from tilth.ops.base import Generator
from tilth.ops.registry import register

QA_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["instruction", "response"],
             "properties": {"instruction": {"type": "string", "minLength": 1, "maxLength": 400},
                            "response": {"type": "string", "minLength": 1, "maxLength": 1200}}}


class SynthParams(WhereParams):
    n: int = Field(1, ge=1, le=16, description="Samples per selected input row.")
    keep_input: bool = Field(False, description="Keep the seed rows in the output (default: only new rows).")
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature; >0 so samples differ.")


def _pairs(batch: pa.Table, p) -> list[tuple[int, int]]:
    return [(int(i), v) for i in where_mask(batch, p).nonzero()[0] for v in range(p.n)]


def _rows(op, batch, pairs, instructions, responses) -> pa.Table:
    keep = [k for k, (q, a) in enumerate(zip(instructions, responses, strict=True)) if q and (a is None or a)]
    return generated_rows(batch, op.name, [pairs[k][0] for k in keep], [pairs[k][1] for k in keep],
                          {"instruction": [instructions[k] for k in keep], "response": [responses[k] for k in keep],
                           "synth_method": [op.name] * len(keep)})


class QAParams(SynthParams):
    text_field: str = Field("text", description="Column holding the seed document.")


@register
class LLMQASynthesis(LLMOp, Generator):
    name = "llm_qa_synthesis"
    category = "rewrite"
    description = """Generate instruction/response pairs (question and grounded answer) from seed documents,
    `n` per document, as new rows with `instruction`, `response` and `_parent_id`."""
    examples = (
        "generate question-answer pairs from the documents",
        "create QA pairs from each passage",
        "synthesise questions and answers for training",
        "turn documents into Q&A data",
        "generate questions with answers grounded in each document",
        "make a reading comprehension dataset from the articles",
        "turn the manuals into question/answer training pairs",
        "create instruction-response pairs from the passages",
        "write FAQ pairs from the help-center pages",
        "synthesize SFT data from our docs",
        "build a Q&A set from the knowledge base",
        "document-grounded QA generation",
        "generate a few questions per article, with answers",
        "generate instruction-response pairs from the documents",
        "create question and answer pairs from the articles",
        "generate SFT question-answer pairs from our documents",
    )
    inputs = ("{text_field}",)
    outputs = ("instruction", "response", "synth_method", "_parent_id")
    Params = QAParams

    def generate(self, batch: pa.Table) -> pa.Table:
        p = self.params
        texts = text_values(batch, p.text_field)
        pairs = [(i, v) for i in rows_with_text(batch, p, texts) for v in range(p.n)]  # (no questions about nothing)
        tpl = self.template("qa_synthesis")
        res = self.ask([render(tpl, text=texts[i]) for i, _ in pairs], json_schema=QA_SCHEMA,
                       seeds=[v for _, v in pairs])
        return _rows(self, batch, pairs, [r.parsed["instruction"].strip() if r.parsed else "" for r in res],
                     [r.parsed["response"].strip() if r.parsed else "" for r in res])


class MagpieParams(SynthParams):
    system_prompt: str | None = Field(None, description="System prompt conditioning the instructions "
                                                        "(default: the magpie_system template).")
    system_field: str | None = Field(None, description="Take the system prompt from this column instead.")
    pre_query_template: str = Field(
        "<|im_start|>system\n$system<|im_end|>\n<|im_start|>user\n",
        description="The model's chat template up to where the user turn starts (ChatML for SmolLM2/Qwen).")
    end_markers: list[str] = Field(["<|im_end|>", "<|im_start|>"], description="Strings that end the instruction.")
    temperature: float = Field(1.0, ge=0.0, le=2.0, description="Sampling temperature for the instruction.")


@register
class LLMMagpie(LLMOp, Generator):
    name = "llm_magpie"
    category = "rewrite"
    description = """Magpie-style self-instruct: give the model only the system prompt and the start of a user
    turn so it writes a plausible user instruction, then answer it. `n` pairs per input row (each row is a
    seed: its `system_field` or the `system_prompt` parameter conditions the instructions)."""
    examples = (
        "generate instructions from scratch with the model",
        "synthesise new instruction data without seed examples",
        "Magpie-style self-instruct generation",
        "generate user prompts and responses from only a system prompt",
        "let the model invent instructions and answer them",
        "create a synthetic chat dataset from scratch",
        "self-instruct without any seed documents",
        "sample user instructions from the chat template's user turn",
        "make synthetic instruction-following data for a given persona",
        "generate conversations conditioned on a system prompt",
        "bootstrap an SFT set from a system prompt alone",
        "let the model dream up questions for a support assistant",
        "magpie self instruct",
        "generate instruction data with no seed documents",
        "synthetic instructions from nothing but a system prompt",
        "generate an instruction dataset from scratch with the LLM",
    )
    outputs = ("instruction", "response", "synth_method", "_parent_id")
    Params = MagpieParams

    def generate(self, batch: pa.Table) -> pa.Table:
        p = self.params
        default = p.system_prompt or load_template("magpie_system", p.prompt_file).template
        systems = text_values(batch, p.system_field) if p.system_field else [default] * batch.num_rows
        pairs = _pairs(batch, p)
        pre = Template(p.pre_query_template)
        reqs = [ChatRequest([], max_tokens=min(p.max_tokens, 128), temperature=p.temperature, seed=v,
                            prompt=pre.substitute(system=systems[i])) for i, v in pairs]
        instructions = [self._cut(r.content) for r in self.client.chat_many(reqs)]
        asked = [k for k, q in enumerate(instructions) if q]
        answers = self.client.chat_many([
            ChatRequest([{"role": "system", "content": systems[pairs[k][0]]},
                         {"role": "user", "content": instructions[k]}],
                        max_tokens=p.max_tokens, temperature=0.0) for k in asked])
        responses = [""] * len(pairs)
        for k, r in zip(asked, answers, strict=True):
            responses[k] = r.content.strip()
        return _rows(self, batch, pairs, instructions, responses)

    def _cut(self, text: str) -> str:
        for m in self.params.end_markers:
            text = text.split(m, 1)[0]
        return text.strip()


class TemplateParams(SynthParams):
    template: str = Field(..., description="Instruction template with $column placeholders filled from each "
                                           "row, e.g. 'Write a $level exercise about $topic.'")
    answer: bool = Field(True, description="Also ask the model to answer the instruction (fills `response`).")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature for the response.")

    @field_validator("template")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        if not Template(v).get_identifiers():
            raise ValueError("template has no $column placeholder")
        return v


@register
class LLMTemplateSynthesis(LLMOp, Generator):
    name = "llm_template_synthesis"
    category = "rewrite"
    description = """Templated synthesis: fill `template` with each row's columns to form an instruction, and
    have the model write the response. New rows carry `instruction`, `response`, `_parent_id`."""
    examples = (
        "fill a prompt template with each row to generate data",
        "generate data from a custom template",
        "fill 'Write a $level exercise about $topic' for each row",
        "generate instructions from a template with column placeholders",
        "build prompts from a template and have the model answer",
        "templated data generation from a table of topics",
        "for each row, format the template and get a model response",
        "create exercises from a list of topics and levels using a template",
        "prompt template synthesis",
        "use my prompt template with $placeholders to make instruction data",
        "turn a spreadsheet of attributes into instruction prompts via a template",
        "synthesize data by filling a template with each record's fields",
        "generate a response for each templated prompt",
        "write one instruction per row from my template",
    )
    outputs = ("instruction", "response", "synth_method", "_parent_id")
    Params = TemplateParams

    def generate(self, batch: pa.Table) -> pa.Table:
        p = self.params
        tpl = Template(p.template)
        cols = {c: text_values(batch, c) for c in tpl.get_identifiers()}
        pairs = _pairs(batch, p)
        instructions = [tpl.substitute({c: v[i] for c, v in cols.items()}) for i, _ in pairs]
        if p.answer:
            responses = [r.content.strip() for r in self.ask(instructions, seeds=[v for _, v in pairs])]
        else:
            responses = [None] * len(pairs)  # null, not a placeholder string
        return _rows(self, batch, pairs, instructions, responses)
