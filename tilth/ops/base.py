"""The one operator contract.

Every operator is a class with metadata (name, category, description, input/output columns, a pydantic
`Params` model, resources). That metadata is the single source for the registry, `tilth ops`, the
generated docs and the Data Agent. Operators work on Arrow batches; `_id` is always present and is never
rewritten.

Kinds:
- Mapper:       map(batch) -> batch with the same rows (adds or rewrites columns).
- Filter:       score(batch) -> score columns; keep(scores) -> (mask, reason). Scores are kept on the
                output (and in lineage for dropped rows) so a threshold can be changed without rescoring.
- Deduplicator: signature(batch) per part (parallel), then duplicates(signature files) globally.
- Generator:    generate(batch) -> new rows (augmentation, synthesis); output = input rows (unless
                `keep_input` is false) followed by the new rows, which carry `_parent_id`.
- Reader:       shards() then read(shard) -> batches; bad records go to quarantine, never crash the run.

Inside a run, `op.context` (a StepContext) tells an operator where it runs: workspace root, run, step.
LLM operators use it for their response cache and token accounting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args, get_origin

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

Category = Literal["acquire", "process", "rewrite", "evaluate"]
Kind = Literal["reader", "mapper", "filter", "deduplicator", "generator"]
CATEGORIES: tuple[str, ...] = ("acquire", "process", "rewrite", "evaluate")


class Params(BaseModel):
    """Base for operator parameters: unknown keys are errors, values are validated on construction.

    Describe every field with `Field(description=...)`; for thresholds say the direction in the
    description ("keep if >= ...") so nobody has to guess which way a framework's threshold points.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(BaseModel):
    """What one instance of an operator needs, for scheduling and for the agent's cost estimates."""

    model_config = ConfigDict(frozen=True)
    cpu: float = 1.0
    memory_mb: int = 256
    gpu: float = 0.0
    llm: bool = False


class OperatorParamError(ValueError):
    """Bad parameters for an operator; the message names the operator, the field and the problem."""

    def __init__(self, op: str, errors: list[str]):
        self.op = op
        self.errors = errors
        super().__init__(f"{op}: " + "; ".join(errors))


def format_validation_error(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "params"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown parameter"
        out.append(f"{loc}: {msg} (got {e.get('input')!r})" if e["type"] != "missing" else f"{loc}: {msg}")
    return out


@dataclass(frozen=True)
class StepContext:
    """Where an operator instance is running. Workers never open the workspace database; they may write
    files under `scratch_dir`, which the runner commits with the step."""

    workspace: str
    run: str
    step_index: int
    step: str
    step_key: str
    scratch_dir: str
    part_bytes: int = 0  # readers cut parts of about this many input bytes (0: batch_size rows only)


class Operator:
    """Base of all operators. Subclasses set the class attributes below and implement their kind's method."""

    name: ClassVar[str]
    kind: ClassVar[Kind]
    category: ClassVar[Category]
    description: ClassVar[str]
    # Column names; may use {param} placeholders, e.g. ("{text_field}",).
    inputs: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[Params]] = Params
    resources: ClassVar[Resources] = Resources()
    # Filters: (score column, threshold param, keep-if direction ">=" or "<=") triples; the column may use
    # {param} placeholders. The run report draws each threshold on its score's histogram.
    thresholds: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    # Filters that also measure: the parameters that let every row pass while the scores are still written
    # (lang_id: any language, any confidence). The agent uses them where a request labels or keeps every row.
    measure_params: ClassVar[dict[str, Any]] = {}
    # Droppers whose quantity another operator measures without dropping (length_filter: sample_metrics's
    # n_words). The agent plans that one where a request asks to measure or to keep every row.
    measured_by: ClassVar[str | None] = None
    # A few ways a user would ask for this job, in their words ("drop pages that are almost the same").
    # The Data Agent matches requests against them by meaning; `tilth ops show` prints them.
    examples: ClassVar[tuple[str, ...]] = ()
    # What users may expect of this job that it does not do, in their words ("names", "street addresses" for PII
    # redaction). The Data Agent reports such a request as unsupported instead of planning this operator for it.
    cannot: ClassVar[tuple[str, ...]] = ()
    # Where the step belongs in a pipeline the agent composes (lower runs first). None: by kind, see
    # `pipeline_stage()`; measurement operators that describe the final data set a late stage.
    stage: ClassVar[int | None] = None
    # Mappers that change which columns exist (drop, keep, rename) rather than their values: the agent plans
    # them only for requests about columns, and validation follows `removed_columns`.
    reshapes: ClassVar[bool] = False

    def __init__(self, **params: Any):
        try:
            self.params = self.Params(**params)
        except ValidationError as e:
            raise OperatorParamError(self.name, format_validation_error(e)) from None
        self._ready = False
        self.context: StepContext | None = None

    # -- metadata ------------------------------------------------------------------------------------
    def _fmt(self, cols: tuple[str, ...]) -> list[str]:
        values = self.params.model_dump()
        try:
            return [c.format(**values) for c in cols]
        except KeyError as e:
            raise TypeError(f"{self.name}: column template {cols} names {e}, which is not a parameter; "
                            "override input_columns()/output_columns() for computed names") from None

    def input_columns(self) -> list[str]:
        """The declared inputs, and the column that selects the rows a job applies to (see tilth/ops/where.py):
        validation then names a missing one before the run, not a KeyError in the middle of it."""
        cols = self._fmt(self.inputs)
        where = getattr(self.params, "where_column", None)
        return cols + [where] if isinstance(where, str) and where not in cols else cols

    def output_columns(self) -> list[str]:
        return self._fmt(self.outputs)

    def removed_columns(self, columns: list[str] | None = None) -> list[str]:
        """Columns that no longer exist after this step (given the columns before it, where known)."""
        return []

    def check_sample(self, sample: pa.Table) -> list[str]:
        """Problems that the input's first records already show (a date bound on a column of numbers), found
        before the run; `sample` holds the input columns this step reads that no earlier step changed."""
        return []

    def threshold_values(self) -> list[tuple[str, str, str, Any]]:
        """(score column, param, keep-if direction, value) for each set threshold of this instance."""
        values = self.params.model_dump()
        return [(c.format(**values), p, d, values[p]) for c, p, d in self.thresholds if values.get(p) is not None]

    @classmethod
    def metadata(cls) -> dict[str, Any]:
        """Everything the registry, CLI, docs and agent know about this operator."""
        params = []
        for fname, field in cls.Params.model_fields.items():
            bounds = {}
            for attr in ("ge", "gt", "le", "lt"):
                for m in field.metadata:
                    if hasattr(m, attr):
                        bounds[attr] = getattr(m, attr)
            params.append(
                {
                    "name": fname,
                    "type": _type_name(field.annotation),
                    "default": None if field.is_required() else _jsonable(field.get_default(call_default_factory=True)),
                    "required": field.is_required(),
                    "description": field.description or "",
                    **({"bounds": bounds} if bounds else {}),
                    **({"choices": choices} if (choices := _choices(field.annotation)) else {}),
                    # an open parameter's usual values ("domain", "topic") are offered, others allowed
                    **({"choices": extra["suggested"], "open": True}
                       if isinstance(extra := field.json_schema_extra, dict) and "suggested" in extra else {}),
                }
            )
        params.sort(key=lambda p: p["name"].startswith("where_"))  # the job's own settings first, then its rows
        return {
            "name": cls.name,
            "kind": cls.kind,
            "category": cls.category,
            "description": " ".join(cls.description.split()),
            "inputs": list(cls.inputs),
            "outputs": list(cls.outputs),
            "params": params,
            "resources": cls.resources.model_dump(),
            "thresholds": [{"score": c, "param": p, "keep_if": d} for c, p, d in cls.thresholds],
            "examples": list(cls.examples),
            **({"cannot": list(cls.cannot)} if cls.cannot else {}),
            "stage": cls.pipeline_stage(),
            **({"measure_params": dict(cls.measure_params)} if cls.measure_params else {}),
            **({"measured_by": cls.measured_by} if cls.measured_by else {}),
            **({"reshapes": True} if cls.reshapes else {}),
        }

    @classmethod
    def pipeline_stage(cls) -> int:
        """Extraction, then cleaning, filtering, dedup, labelling, rewriting; statistics describe the result."""
        if cls.stage is not None:
            return cls.stage
        by_kind = {"reader": 0, "filter": 30, "deduplicator": 50, "generator": 70}
        if cls.kind in by_kind:
            return by_kind[cls.kind]
        return {"acquire": 5, "process": 10, "evaluate": 60, "rewrite": 70}[cls.category]

    # -- lifecycle -----------------------------------------------------------------------------------
    def setup(self) -> None:
        """Load models or other heavy state. Called once per worker process before the first batch."""

    def ensure_ready(self) -> None:
        if not self._ready:
            self.setup()
            self._ready = True

    def __getstate__(self) -> dict:
        # Heavy state loaded in setup() is not shipped to workers; they call setup() themselves.
        return {"params": self.params, "_ready": False, "context": self.context}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"{self.name}({self.params.model_dump()})"


def put_column(batch: pa.Table, name: str, values: pa.Array) -> pa.Table:
    """`batch` with column `name` set to `values`: replaced in place where it exists, appended where it does not
    (a mapper's output column: a rewrite's own text, or a new score)."""
    if name in batch.column_names:
        return batch.set_column(batch.column_names.index(name), name, values)
    return batch.append_column(name, values)


class Mapper(Operator):
    kind = "mapper"

    def map(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError

    def apply(self, batch: pa.Table) -> pa.Table:
        """`map` on the rows in this step's scope (where_* params, see tilth/ops/where.py); the other rows pass
        through unchanged, with nulls in the columns the step adds."""
        if getattr(self.params, "where_column", None) is None:
            return self.map(batch)
        import pyarrow.compute as pc

        from tilth.ops.where import where_mask

        selected = where_mask(batch, self.params)
        if selected.all():
            return self.map(batch)
        mask = pa.array(selected)
        mapped = self.map(batch.filter(mask))
        out = batch
        for name in mapped.column_names:
            new = mapped.column(name).combine_chunks()
            if name in batch.column_names:  # (in the input's type: a rewrite never nulls the rows it skips)
                old = batch.column(name).combine_chunks()
                new = new.cast(old.type) if new.type != old.type else new
            else:
                old = pa.nulls(batch.num_rows, new.type)
            merged = pc.replace_with_mask(old, mask, new) if len(new) else old
            if name in out.column_names:
                out = out.set_column(out.column_names.index(name), name, merged)
            else:
                out = out.append_column(name, merged)
        return out


class Filter(Operator):
    """Scores rows, then keeps or drops each with a reason. Score columns are carried on the output."""

    kind = "filter"

    def score(self, batch: pa.Table) -> dict[str, pa.Array | np.ndarray]:
        raise NotImplementedError

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        """Return (mask of rows to keep, reason per row: None where kept)."""
        raise NotImplementedError

    def decide(self, scores: pa.Table, batch: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        """`keep`, with the rows outside this step's scope (where_* params, see tilth/ops/where.py) kept."""
        mask, reasons = self.keep(scores)
        mask = np.asarray(mask, dtype=bool)
        if getattr(self.params, "where_column", None) is not None:
            # imported here: a run without a scoped filter never imports pyarrow.compute
            from tilth.ops.where import where_mask

            mask = mask | ~where_mask(batch, self.params)
        return mask, reasons


class Deduplicator(Operator):
    """Global operator: per-part signatures (parallel), then one global pass that picks the duplicates."""

    kind = "deduplicator"

    def signature(self, batch: pa.Table) -> pa.Table:
        """Signature columns for each row (same length as batch); `_id` is added by the runner."""
        raise NotImplementedError

    def duplicates(self, signature_files: list[str], work_dir: str) -> pa.Table:
        """Given signature parts (with `_id`, `_part`, `_row` columns, in canonical order), return a table
        (`_id`, `_part`, `duplicate_of`, `reason`) of the rows to drop. The first row in canonical order is kept."""
        raise NotImplementedError

    def drops(self, signature_files: list[str], work_dir: str, executor=None):
        """Write the rows to drop where the apply tasks read them; return the path (a file, or a folder of
        one sub-folder per part). By default `duplicates()` runs in the driver; operators whose global
        phase is partitioned override this to run it as tasks through `executor`."""
        from tilth.storage.parts import write_part

        table = self.duplicates(signature_files, work_dir)
        path = Path(work_dir) / "_global" / "drops.parquet"
        write_part(table.sort_by([("_part", "ascending"), ("_id", "ascending")]), path)
        return path


class Generator(Operator):
    """Adds rows made from input rows. New rows get `_id = derived_ids(parent ids, salt)` and `_parent_id`."""

    kind = "generator"
    keep_input: ClassVar[bool] = True  # subclasses may expose it as a param named keep_input

    def generate(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError


@dataclass
class Quarantined:
    """A record a reader could not parse: it goes to the quarantine table instead of crashing the run."""

    file: str
    line: int
    error: str
    raw: str


class Reader(Operator):
    kind = "reader"
    category = "acquire"

    def files(self) -> list[str]:
        """Input files, sorted: their order and relative paths define the stable `_id`s."""
        raise NotImplementedError

    def source_root(self) -> str:
        """Directory that `_id` source paths are relative to."""
        raise NotImplementedError

    def read(self, path: str) -> Iterator[pa.Table | Quarantined]:
        """Yield tables of at most batch_size rows (in file order) and Quarantined records."""
        raise NotImplementedError


def scores_json(scores: pa.Table, rows: np.ndarray) -> list[str]:
    """The score columns of the given rows as compact JSON strings, for lineage."""
    cols = {name: scores.column(name).to_pylist() for name in scores.column_names}
    return [json.dumps({k: _round(v[i]) for k, v in cols.items()}, separators=(",", ":"), default=_plain)
            for i in rows]


def _round(v):
    return round(v, 6) if isinstance(v, float) else v


def _plain(v) -> str:
    """A score JSON cannot hold (a date, a decimal, bytes) as text: the lineage keeps it readable."""
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def _jsonable(v):
    if isinstance(v, tuple):
        return list(v)
    return v


def param_range(p: dict) -> str:
    """A parameter's allowed values as the docs and `tilth ops` show them ("" when any value of its type is)."""
    rng = p.get("choices") or p.get("bounds") or ""
    return f"e.g. {rng}, or your own" if p.get("open") else str(rng)


def _choices(annotation) -> list | None:
    """The allowed values of a Literal parameter, also inside Optional[...] or list[...]."""
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    for arg in get_args(annotation):
        if (found := _choices(arg)) is not None:
            return found
    return None


def _type_name(annotation) -> str:
    s = getattr(annotation, "__name__", None) or str(annotation)
    return s.replace("typing.", "")
