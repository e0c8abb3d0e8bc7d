"""A recipe: input, ordered steps with params, output, executor. YAML and Python are two spellings of it.

```yaml
name: web-clean
input: {path: data/crawl/, text: content}   # reader picked from the extension, or `format: read_csv`
executor: local                              # or: ray; {name: ray, address: auto} attaches to a cluster
steps:
  - length_filter: {min: 50}
  - exact_dedup: {}
output: {dataset: web_clean, export: out/web_clean.jsonl}
questions:                                   # optional: figures answered from the output after each run
  - {ask: documents per source, sql: "SELECT source, count(*) FROM output GROUP BY source"}
```
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: str
    params: dict[str, Any] = Field(default_factory=dict)

    def to_yaml_obj(self) -> dict[str, Any]:
        return {self.op: dict(self.params)}


class Question(BaseModel):
    """A figure the run answers from its output ("the average fare per member tier"): one SQL SELECT over the
    table `output` (the run's last step), answered after every run and shown with the report."""
    model_config = ConfigDict(extra="forbid")
    ask: str = Field(description="The question in words.")
    sql: str = Field(description="One SELECT over `output`, e.g. SELECT tier, avg(fare) FROM output GROUP BY tier.")

    @field_validator("sql")
    @classmethod
    def _one_select(cls, v: str) -> str:
        import duckdb

        try:
            statements = duckdb.extract_statements(v)
        except duckdb.Error as e:
            raise ValueError(f"not valid SQL: {e}") from None
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise ValueError("write one SELECT statement (it reads the table `output`; it changes nothing)")
        return v.strip().rstrip(";")


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str | None = Field(None, description="Name of the output dataset in the workspace (default: the recipe name).")
    export: str | None = Field(None, description="Also write the result to this .jsonl/.jsonl.gz/.parquet/.csv/.csv.gz/.tsv file.")
    report: bool = Field(True, description="Write the HTML run report (false for scripts; `tilth report RUN` "
                         "writes it later).")
    leave_out: list[str] = Field(default_factory=list, description="Columns left out of the export file (the "
                                 "workspace's tables keep them): the Data Agent lists the scores its filters wrote to "
                                 "decide, which nobody asked to see.")

    @field_validator("dataset")
    @classmethod
    def _not_a_workspace_name(cls, v):
        """Names the workspace uses itself: its tables, and `<run>__<step>` for each step's view (a dataset
        named like that took over another run's step view)."""
        from tilth.storage.workspace import TABLES, view_name

        if v is not None and "__" in view_name(v):
            raise ValueError(f"dataset name {v!r} has '__', which step views use (<run>__<step>); choose another")
        if v is not None and view_name(v).lower() in TABLES:
            raise ValueError(f"dataset name {v!r} is a workspace table ({', '.join(sorted(TABLES))}); choose another")
        return v


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    input: dict[str, Any]
    steps: list[Step] = Field(default_factory=list)
    output: Output = Field(default_factory=Output)
    executor: str | dict[str, Any] = "local"
    workers: int | None = Field(None, ge=1, description="Worker processes (default: all cores).")
    workspace: str | None = None
    plugins: list[str] = Field(default_factory=list, description="Python files defining extra operators.")
    llm: dict[str, Any] = Field(default_factory=dict, description="LLM endpoint {url, model, api_key_env}; "
                                "none: TILTH_LLM_URL or the embedded server.")
    questions: list[Question] = Field(default_factory=list, description="Figures answered from the output after "
                                      "each run: `- {ask: ..., sql: SELECT ... FROM output}`.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", v):
            raise ValueError("use letters, digits, '-', '_' or '.' (it names tables and folders)")
        return v

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, v):
        """Accept `- op_name: {params}` (the YAML form) as well as `{op: ..., params: ...}`."""
        if v is not None and not isinstance(v, list | tuple):
            raise ValueError(f"steps is a list of `- operator: {{params}}` entries, got {type(v).__name__}")
        out = []
        for i, s in enumerate(v or []):
            if isinstance(s, str):
                out.append({"op": s})
            elif isinstance(s, dict) and "op" not in s:
                if len(s) != 1:
                    raise ValueError(f"step {i + 1}: write one operator per step as `- name: {{params}}`, got {list(s)}")
                (op, params), = s.items()
                out.append({"op": op, "params": params or {}})
            else:
                out.append(s)
        return out

    @model_validator(mode="after")
    def _input(self):
        path = self.input.get("path")
        if isinstance(path, os.PathLike):  # a Path from Python code is a path
            path = self.input["path"] = os.fspath(path)
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"input needs a `path` (file, directory or glob), got {path!r}")
        if self.output.dataset is None:  # the recipe's name is then the dataset's
            Output._not_a_workspace_name(self.name)
        return self

    @property
    def dataset_name(self) -> str:
        return self.output.dataset or self.name

    # -- YAML ------------------------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, text_or_path: str | Path) -> Recipe:
        """A recipe from a YAML file (a Path, or a one-line string that is not YAML) or from YAML text."""
        text = str(text_or_path)
        is_text = not isinstance(text_or_path, Path) and ("\n" in text or text.lstrip().startswith("{") or ": " in text)
        if is_text:
            data, base, where = _load_yaml(text, "recipe"), None, "recipe"
        else:
            p = Path(text_or_path)
            if not p.exists():
                raise FileNotFoundError(f"recipe file not found: {p}")
            if not p.is_file():
                raise ValueError(f"recipe {p} is not a file")
            data, base, where = _load_yaml(p.read_text(), f"recipe {p}"), p.parent, f"recipe {p}"
        if not isinstance(data, dict):
            raise ValueError(f"{where}: a recipe is a YAML mapping with name, input, steps and output")
        recipe = cls.model_validate(data)
        if base is not None:
            recipe = recipe.resolved_against(base)
        return recipe

    def resolved_against(self, base: Path) -> Recipe:
        """Relative paths in a recipe file are relative to the file, not to the current directory."""

        def fix(p: str | None) -> str | None:
            if p is None or Path(p).is_absolute():
                return p
            return str((base / p).resolve())

        data = self.model_dump()
        data["input"] = {**data["input"], "path": fix(data["input"]["path"])}
        data["plugins"] = [fix(p) for p in data["plugins"]]
        data["output"]["export"] = fix(data["output"]["export"])
        data["workspace"] = fix(data["workspace"])
        return Recipe.model_validate(data)

    def to_yaml(self) -> str:
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        data["input"] = self.input
        data["executor"] = self.executor
        if self.workers:
            data["workers"] = self.workers
        if self.plugins:
            data["plugins"] = self.plugins
        data["steps"] = [s.to_yaml_obj() for s in self.steps]
        if self.llm:
            data["llm"] = self.llm
        out = self.output.model_dump(exclude_none=True)
        if out:
            data["output"] = out
        if self.questions:
            data["questions"] = [q.model_dump() for q in self.questions]
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML with each key once per mapping: `{min: 1, min: 100}` is a typo to report, not "the last one wins"."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice in one mapping",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _load_yaml(text: str, where: str):
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ValueError(f"{where}: not valid YAML{at}: {getattr(e, 'problem', None) or e}") from None
