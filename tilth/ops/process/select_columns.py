"""Drop, keep or rename columns: the shape of the rows, never which rows.

"Drop the subject column" is a request about the schema; a row filter or a rewrite cannot do it, and a
script after the run loses the lineage. `_id` always stays, so every later step and the lineage still
know each row.
"""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field, model_validator

from tilth.ops.base import Mapper, Params
from tilth.ops.registry import register


class SelectColumnsParams(Params):
    keep_columns: list[str] | None = Field(None, description="Keep only these columns (and `_id`).")
    drop_columns: list[str] | None = Field(None, description="Remove these columns.")
    rename_columns: dict[str, str] | None = Field(None, description="Rename columns: {old name: new name}.")
    missing_ok: bool = Field(False, description="Ignore a named column the data does not have (default: fail "
                             "the step, naming it).")

    @model_validator(mode="after")
    def _one_shape(self):
        if not (self.keep_columns or self.drop_columns or self.rename_columns):
            raise ValueError("set keep_columns, drop_columns or rename_columns")
        if self.keep_columns and self.drop_columns:
            raise ValueError("set keep_columns or drop_columns, not both")
        named = [*(self.keep_columns or []), *(self.drop_columns or []), *(self.rename_columns or {}),
                 *(self.rename_columns or {}).values()]
        if any(c.startswith("_") for c in named):
            raise ValueError("columns starting with '_' (`_id`, `_parent_id`) belong to Tilth and cannot be "
                             "dropped or renamed")
        new = list((self.rename_columns or {}).values())
        if len(set(new)) != len(new) or any(not n.strip() for n in new):
            raise ValueError(f"rename_columns needs distinct, non-empty new names (got {new})")
        return self


@register
class SelectColumns(Mapper):
    name = "select_columns"
    category = "process"
    description = """Keep only some columns, drop some, or rename them; every row is kept and `_id` always
    stays. A renamed column may not take the name of a column that stays."""
    examples = (
        "drop the subject column",
        "remove the url and timestamp fields",
        "keep only the id, question and answer columns",
        "rename rating to stars",
        "rename the body column to text",
        "get rid of the metadata column",
        "delete the html field, we do not need it",
        "only keep the prompt and response columns",
        "call the column 'answer' output instead",
        "throw away every column except text",
    )
    reshapes = True
    stage = 95  # after every step that may read the columns it removes
    inputs = ()
    outputs = ()  # the new names of renamed columns: output_columns()
    Params = SelectColumnsParams

    def input_columns(self) -> list[str]:
        p = self.params
        return [] if p.missing_ok else [*(p.keep_columns or []), *(p.drop_columns or []), *(p.rename_columns or {})]

    def output_columns(self) -> list[str]:
        return list((self.params.rename_columns or {}).values())

    def removed_columns(self, columns: list[str] | None = None) -> list[str]:
        p = self.params
        gone = [*(p.drop_columns or []), *(p.rename_columns or {})]
        if p.keep_columns and columns is not None:
            stay = set(p.keep_columns) | set((p.rename_columns or {}).values())
            gone += [c for c in columns if c not in stay and not c.startswith("_")]
        return list(dict.fromkeys(gone))  # (a dropped column may come back as a rename's new name)

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        names = batch.column_names
        missing = [c for c in self.input_columns() if c not in names]
        if missing:
            raise KeyError(f"select_columns: no column {', '.join(map(repr, missing))} (columns: {', '.join(names)})")
        if p.keep_columns:
            batch = batch.select([c for c in names if c.startswith("_") or c in p.keep_columns
                                  or c in (p.rename_columns or {})])
        if p.drop_columns:
            batch = batch.drop_columns([c for c in p.drop_columns if c in batch.column_names])
        rename = {k: v for k, v in (p.rename_columns or {}).items() if k in batch.column_names}
        clash = [v for k, v in rename.items() if v in batch.column_names and v not in rename]
        if clash:
            raise ValueError(f"select_columns: cannot rename to {', '.join(map(repr, clash))}: that column stays; "
                             "drop it first")
        return batch.rename_columns([rename.get(c, c) for c in batch.column_names])
