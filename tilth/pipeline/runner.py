"""Run a recipe: each step turns the previous step's parts into its own parts, then is committed.

Each step's output folder is named by a key that hashes the input files and every step's operator and
parameters up to it. So re-running a recipe reuses every step whose key is unchanged, resumes a step that
was interrupted from its last finished part, and recomputes from the first changed step onwards. A step is
committed (lineage, quarantine, stats, dataset version) in one DuckDB transaction once all its parts exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cloudpickle
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from tilth import __version__
from tilth.exec import Executor, make_executor
from tilth.exec.tasks import PartStats, Task, load_stats, run_blob, signature_files
from tilth.llm.run_hook import LLMRunHook
from tilth.ops.acquire.intake import RENAMED, TEXT_AMONG_NUMBERS
from tilth.ops.base import Deduplicator, Operator, Reader, StepContext
from tilth.pipeline.recipe import Recipe
from tilth.pipeline.validate import check, export_format
from tilth.storage.parts import list_parts, remove_stale_temp, write_part
from tilth.storage.sql import quote_ident, scratch
from tilth.storage.workspace import DatasetVersion, Workspace, view_name


@dataclass
class StepResult:
    index: int
    name: str
    operator: str
    kind: str
    key: str
    directory: Path
    view: str
    cached: bool
    rows_in: int = 0
    rows_out: int = 0
    dropped: int = 0
    modified: int = 0
    added: int = 0
    quarantined: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    io_seconds: float = 0.0
    peak_rss_mb: float = 0.0


@dataclass
class RunResult:
    run: str
    workspace: Path
    steps: list[StepResult] = field(default_factory=list)
    output: DatasetVersion | None = None
    export: Path | None = None
    seconds: float = 0.0
    report: Path | None = None  # <workspace>/reports/<run>/index.html, written after every finished run
    answers: list[dict] = field(default_factory=list)  # the recipe's questions, answered from the output

    @property
    def rows_out(self) -> int:
        return self.steps[-1].rows_out if self.steps else 0


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def input_key(reader: Reader) -> str:
    files = []
    for f in reader.files():
        st = os.stat(f)
        files.append((reader.relpath(f), st.st_size, st.st_mtime_ns))
    return _hash({"reader": reader.name, "params": reader.params.model_dump(), "files": files, "tilth": __version__})


def step_key(prev: str, op: Operator) -> str:
    return _hash({"prev": prev, "op": op.name, "params": op.params.model_dump(), "v": getattr(op, "version", 1)})


class Runner:
    write_html_report = True  # False for throw-away runs, e.g. the Data Agent's dry runs on a 20-row sample

    def __init__(self, recipe: Recipe, workspace: Workspace | str | Path | None = None,
                 executor: Executor | str | None = None, progress: bool = True, console: Console | None = None):
        self.recipe = recipe
        self.reader, self.ops = check(recipe)
        ws = workspace if workspace is not None else recipe.workspace
        # the connection that creates the catalog is the run's first one (`run` holds it): one open fewer
        self.ws = ws if isinstance(ws, Workspace) else Workspace(ws, keep_open=True)
        self._own_executor = not isinstance(executor, Executor)
        self.executor_spec = executor if isinstance(executor, str) else recipe.executor
        self.executor = executor if isinstance(executor, Executor) else None
        self.console = console or Console(stderr=True)
        self.show_progress = progress
        self._input_size: int | None = None
        self._exporting: BackgroundExport | None = None  # the export of a run in progress

    # -- public -------------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        export = self.recipe.output.export
        if export:  # before any work: a folder that cannot be made fails the run now, not after every step
            try:
                Path(export).parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ValueError(f"cannot create the folder of output.export {export}: {e.strerror or e}") from None
            if Path(export).is_dir():
                raise ValueError(f"output.export {export} is a folder: give the path of a file in it "
                                 f"(e.g. {Path(export) / 'data.jsonl'})")
            try:  # (a real file: os.access says yes to root on /sys, where no file can be made)
                with tempfile.NamedTemporaryFile(dir=Path(export).parent, prefix=".tilth-probe-"):
                    pass
            except OSError as e:
                raise ValueError(f"cannot write output.export {export}: {e.strerror or e} in its folder") from None
        with self.ws.run_lock(self.recipe.name):
            return self._run()

    def _run(self) -> RunResult:
        t0 = time.perf_counter()
        run = self.recipe.name
        result = RunResult(run=run, workspace=self.ws.root)
        n_steps = len(self.ops) + 1
        # One connection for the run's bookkeeping (opening the database costs 30-70 ms); each computing
        # step lets go of it (Workspace.released) so that other processes can read the workspace meanwhile.
        with self.ws.held() as con:
            # before any work: a name whose SQL views belong to another run or dataset is an error, not a
            # silent overwrite ("my data" and "my_data" would both be the view my_data)
            self.ws.check_run_name(con, run)
            self.ws.check_dataset_name(con, self.recipe.dataset_name)
            con.execute("BEGIN TRANSACTION")  # one log flush for the run's start, not one per statement
            try:
                con.execute(
                    "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, 'running', current_timestamp, NULL)",
                    [run, self.recipe.to_yaml(), json.dumps(self.executor_spec)],
                )
                for table in ("run_steps", "lineage"):
                    con.execute(f"DELETE FROM {quote_ident(table)} WHERE run = ? AND step_index >= ?", [run, n_steps])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            llm = LLMRunHook(self.ws, run, self.ops, self.recipe.llm)  # one LLM endpoint shared by all steps
            self._exporting = None
            report: tuple[str, str] | Exception | None = None
            try:
                if self.executor is None:  # inside the try: an unreachable cluster marks the run failed
                    self.executor = make_executor(self.executor_spec, self.recipe.workers)
                if self.ops and self._part_bytes() < self._input_bytes():
                    self.executor.warm()  # later steps have several parts: workers start while the input is read
                llm.start()
                with self._progress() as progress:
                    key = input_key(self.reader)
                    prev_dir = None
                    for index, op in enumerate([self.reader, *self.ops]):
                        if index:
                            key = step_key(key, op)
                        rows = result.steps[-1].rows_out if result.steps else None
                        with llm.watch(op, f"{index:02d}_{op.name}", progress, rows):
                            step = self._run_step(index, op, key, prev_dir, progress)
                        llm.after_step(op, step)
                        result.steps.append(step)
                        prev_dir = step.directory
                self._close_executor()  # (already closed unless the last step was cached: see _run_step)
                self._start_export(len(self.ops), prev_dir)  # (already started unless the last step was cached)
                with self.ws.connect() as con:
                    con.execute("BEGIN TRANSACTION")  # the output version and the run's status: together
                    result.output = self.ws.register_version(
                        con, self.recipe.dataset_name, prev_dir, run=run, step=result.steps[-1].name, step_key=key,
                        rows=result.steps[-1].rows_out)
                    con.execute("UPDATE runs SET status = 'done', finished_at = current_timestamp WHERE run = ?", [run])
                    con.execute("COMMIT")  # (on an error, the handler below rolls back)
                if self.recipe.questions:  # "the average fare per tier": figures from the committed output
                    from tilth.report.answers import answer_questions

                    result.answers = answer_questions(self.ws, result.steps[-1].view, self.recipe.questions)
                exporting = self._exporting
                if self.write_html_report and self.recipe.output.report:
                    report = self._build_report(run, result.answers)  # on the held connection, while the export runs
                if exporting is not None:
                    with self.ws.released(reopen=False):  # a long export need not lock the workspace
                        result.export = exporting.result()
            except BaseException:
                if self._exporting is not None:
                    self._exporting.cancel()
                with self.ws.connect() as con:
                    try:  # a step may have failed inside its commit transaction
                        con.execute("ROLLBACK")
                    except duckdb.Error:
                        pass
                    con.execute("UPDATE runs SET status = 'failed', finished_at = current_timestamp WHERE run = ?",
                                [run])
                raise
            finally:
                self._exporting = None
                llm.close()
                self._close_executor()
        result.seconds = time.perf_counter() - t0
        if report is None:
            return result
        try:  # the report is written for every run; a report problem warns but never fails a finished run
            if isinstance(report, Exception):
                raise report
            import tilth.report

            result.report = tilth.report.save_report(self.ws, run, report)
            self.console.print(Text(f"report: {result.report}"))
        except Exception as e:
            self.console.print(Text.assemble(("warning:", "yellow"), f" run report not written: {type(e).__name__}: {e}"))
        return result

    def _build_report(self, run: str, answers: list[dict]) -> tuple[str, str] | Exception:
        """The run report's files (tilth.report.writer.build_report, with the questions the run answered), or the
        error that kept it from being built (a report problem warns, after the run, but never fails it)."""
        try:
            import tilth.report

            return tilth.report.build_report(self.ws, run, answers)
        except Exception as e:
            return e

    def _start_export(self, index: int, directory: Path) -> None:
        """Once the last step's parts exist, export them in a thread (BackgroundExport): DuckDB writes the file
        while the step is committed and the report is built; it is renamed into place after the commit. (The
        target's extension was checked with the recipe, before any step ran.)"""
        if index == len(self.ops) and self.recipe.output.export and self._exporting is None:
            self._exporting = BackgroundExport(list_parts(directory), Path(self.recipe.output.export),
                                               export_names(self.recipe.input), self.recipe.output.leave_out)

    def _close_executor(self) -> None:
        if self._own_executor and self.executor is not None:
            self.executor.close()
            self.executor = None

    # -- steps --------------------------------------------------------------------------------------------
    def _progress(self) -> Progress:
        return Progress(
            TextColumn("[bold]{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rows]}"), TimeElapsedColumn(),
            console=self.console, disable=not self.show_progress, transient=False,
        )

    def _run_step(self, index: int, op: Operator, key: str, prev_dir: Path | None, progress: Progress) -> StepResult:
        run = self.recipe.name
        name = f"{index:02d}_{op.name}"
        directory = self.ws.root / "runs" / run / f"{name}-{key[:10]}"
        view = view_name(f"{run}__{name}")
        step = StepResult(index, name, op.name, op.kind, key, directory, view, cached=False)
        with self.ws.connect() as con:
            done = con.sql(
                "SELECT s.* FROM run_steps r JOIN step_stats s ON s.run = r.run AND s.step_key = r.step_key "
                "WHERE r.run = ? AND r.step_index = ? AND r.step_key = ?", params=[run, index, key]
            ).to_arrow_table().to_pylist()
        on_disk = _rows_on_disk(directory) if done else None
        if done and on_disk != done[0]["rows_out"]:  # a part deleted or replaced since: the step is computed anew
            shutil.rmtree(directory, ignore_errors=True)  # (its other parts would pass as a resumed step's)
        elif done:
            d = done[0]
            step.cached = True
            for f in ("rows_in", "rows_out", "bytes_in", "bytes_out", "seconds", "io_seconds", "peak_rss_mb"):
                setattr(step, f, d[f])
            step.dropped, step.modified, step.added = d["rows_dropped"], d["rows_modified"], d["rows_added"]
            step.quarantined = d["rows_quarantined"]
            tid = progress.add_task(name, total=1, rows=f"{step.rows_out:,} rows (cached)")
            progress.update(tid, completed=1)
            return step

        t0 = time.perf_counter()
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temp(directory, recursive=True)  # (parts a killed run was writing: never finished)
        # other processes may read the workspace while a step computes; reading a small input takes a fraction of
        # a second, less than letting go of the database and opening it again (30-70 ms)
        quick = op.kind == "reader" and self._input_bytes() < HOLD_READ_BYTES
        with contextlib.nullcontext() if quick else self.ws.released():
            if op.kind == "reader":
                stats = self._run_tasks(progress, name, "read", op, key, directory,
                                        [(f"s{i:05d}", shard) for i, shard in enumerate(op.shards())])
            elif op.kind in ("mapper", "filter", "generator"):
                parts = list_parts(prev_dir)
                stats = self._run_tasks(progress, name, "map", op, key, directory,
                                        [(p.stem, [str(p)]) for p in parts])
            elif op.kind == "deduplicator":
                stats = self._run_dedup(progress, name, op, key, directory, list_parts(prev_dir))
            else:
                raise TypeError(f"{op.name}: unknown operator kind {op.kind!r}")
            if op.kind == "reader":
                for note in finish_reader_parts(directory):
                    self.console.print(Text.assemble(("note:", "cyan"), f" {note}"))
            if index == len(self.ops):  # no task is left: idle workers would hold their memory through the export
                self._close_executor()
            self._start_export(index, directory)  # the parts are final: before the catalog is reopened (~20 ms)
        step.seconds = time.perf_counter() - t0
        for s in stats:
            step.rows_in += s.rows_in
            step.rows_out += s.rows_out
            step.dropped += s.dropped
            step.modified += s.modified
            step.added += s.added
            step.quarantined += s.quarantined
            step.bytes_in += s.bytes_in
            step.bytes_out += s.bytes_out
            step.cpu_seconds += s.seconds
            step.io_seconds += s.io_seconds
            step.peak_rss_mb = max(step.peak_rss_mb, s.peak_rss_mb)
        step.peak_rss_mb = max(step.peak_rss_mb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        self._commit(index, op, step)
        return step

    def _run_tasks(self, progress, label, kind, op, key, directory, items, drops: str | None = None) -> list[PartStats]:
        """Run one task per (part, inputs) item, skipping parts an earlier attempt finished."""
        tid = progress.add_task(label, total=len(items), rows="")
        results, todo = [], []
        ctx = self._context(op, key, directory)
        for part, inputs in items:
            done = load_stats(str(directory), kind, part)
            if done is not None:
                results.append(done)
            else:
                todo.append(cloudpickle.dumps(Task(kind, key, op, str(directory), part, inputs, drops, ctx)))
        progress.update(tid, completed=len(results), rows=_rows(results, kind))
        for blob in self.executor.map_unordered(run_blob, todo):
            results.append(cloudpickle.loads(blob))
            progress.update(tid, advance=1, rows=_rows(results, kind))
        return results

    def _run_dedup(self, progress, label, op: Deduplicator, key, directory, parts) -> list[PartStats]:
        items = [(p.stem, [str(p)]) for p in parts]
        self._run_tasks(progress, f"{label} (signatures)", "signature", op, key, directory, items)
        done = directory / "_global" / "drops.json"  # written last: the global phase finished
        if not done.exists():
            op.context = self._context(op, key, directory)
            drops = op.drops(signature_files(str(directory)), str(directory), self.executor)
            done.write_text(json.dumps({"drops": str(drops)}))
        drops = json.loads(done.read_text())["drops"]
        return self._run_tasks(progress, f"{label} (apply)", "apply", op, key, directory, items, drops)

    def _context(self, op: Operator, key: str, directory: Path) -> StepContext:
        index = ([self.reader, *self.ops]).index(op)
        return StepContext(str(self.ws.root), self.recipe.name, index, f"{index:02d}_{op.name}", key,
                           str(directory / "_scratch"), part_bytes=self._part_bytes() if index == 0 else 0)

    def _part_bytes(self) -> int:
        """Input bytes per part: two parts per worker, so every core works on a small input and a slow
        part does not leave the others idle; at least 1 MB (smaller parts cost more than they save) and at
        most 32 MB (memory per worker)."""
        workers = getattr(self.executor, "workers", None) or self.recipe.workers or os.cpu_count() or 1
        return int(min(32 << 20, max(1 << 20, self._input_bytes() // (2 * workers))))

    def _input_bytes(self) -> int:
        if self._input_size is None:  # listing a folder of many files is not free: once per run
            self._input_size = sum(os.path.getsize(f) for f in self.reader.files())
        return self._input_size

    def _commit(self, index: int, op: Operator, step: StepResult) -> None:
        run = self.recipe.name
        d = step.directory
        lineage = [str(p) for p in list_parts(d / "lineage")]
        quarantine = [str(p) for p in list_parts(d / "quarantine")]
        with self.ws.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM lineage WHERE run = ? AND step_index = ?", [run, index])
            if lineage:
                con.execute(
                    "INSERT INTO lineage SELECT ?, ?, ?, ?, ?, _id, action, reason, duplicate_of, scores "
                    "FROM read_parquet(?)", [run, index, step.name, op.name, step.key, lineage]
                )
            if op.kind == "reader":
                con.execute("DELETE FROM quarantine WHERE run = ?", [run])
                if quarantine:
                    con.execute("INSERT INTO quarantine SELECT ?, ?, file, line, error, raw FROM read_parquet(?)",
                                [run, step.key, quarantine])
                dup = con.execute(
                    "SELECT count(*) - count(DISTINCT _id) FROM read_parquet(?, union_by_name=true)",
                    [[str(p) for p in list_parts(d)]],
                ).fetchone()[0]
                if dup:
                    con.execute("ROLLBACK")
                    raise RuntimeError(f"{dup} colliding _id values at ingest; report this with your input layout")
            con.execute(
                "INSERT OR REPLACE INTO step_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
                [run, index, step.name, op.name, step.key, step.rows_in, step.rows_out, step.dropped, step.modified,
                 step.added, step.quarantined, step.bytes_in, step.bytes_out, step.seconds, step.io_seconds, step.peak_rss_mb],
            )
            con.execute("INSERT OR REPLACE INTO run_steps VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [run, index, step.name, op.name, op.kind, step.key, self.ws.rel(d)])
            self.ws.register_version(con, step.view, d, run=run, step=step.name, step_key=step.key, rows=step.rows_out)
            con.execute("COMMIT")


HOLD_READ_BYTES = 64 << 20  # an input read this size or smaller keeps the workspace's connection (see _run_step)


def finish_reader_parts(directory: Path) -> list[str]:
    """A reader step's parts, made a valid dataset: an empty part if every record was quarantined, else one
    type per column across parts (unify_reader_parts) and empty parts given the others' columns
    (unify_empty_parts). Returns what a user should know of the columns read (numbers read as text)."""
    if not list_parts(directory):
        write_part(pa.table({"_id": pa.array([], pa.int64())}), directory / "s00000-00000.parquet")
        return []
    mixed, renamed = unify_reader_parts(directory)
    unify_empty_parts(directory)
    notes = [text_among_numbers_note(name, seen) for name, seen in sorted(mixed.items())]
    if renamed:  # (Stars beside stars: DuckDB, where datasets live, does not tell names apart by case)
        notes.append("columns renamed as read: " + ", ".join(f"{a!r} -> {b!r}" for a, b in renamed.items())
                     + " (names that differ only in case are one name in SQL; `_id` is Tilth's row id)")
    return notes


def text_among_numbers_note(name: str, seen: dict) -> str:
    """What a column of numbers with some text among them became ("stars": 44 numbers and "five")."""
    shown = ", ".join(json.dumps(v, ensure_ascii=False)[:40] for v in seen.get("shown", [])[:3])
    if seen.get("across"):  # (parts of other types: their rows are not counted, only footers were read)
        held = f"values of several types{f' (text such as {shown})' if shown else ''}"
    else:
        held = f"{seen['numbers']:,} numbers and {seen['texts']:,} text value{'s' if seen['texts'] != 1 else ''} ({shown})"
    return (f"column {name!r} holds {held}: every record is kept and the column is read as text, numbers as written "
            f"(\"5\"); value filters and the agent's figures still compare them as numbers")


def unify_reader_parts(directory: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """A column that is an object in one file and a number in another (or numbers for the first 36 MB of a
    file and text after) cannot be one SQL column: the view, the export and the report failed although every
    step ran. Such a column becomes text in every part: strings as they are, anything else as its JSON text,
    as within one block of records. Only footers are read, and only parts holding such a column rewritten.
    Returns the reader's notes from those footers: the columns of numbers made text, within a block (the parts'
    TEXT_AMONG_NUMBERS) or across parts, and the columns it renamed (RENAMED)."""
    metas = [(p, pq.read_metadata(p).schema.to_arrow_schema()) for p in list_parts(directory)]
    mixed: dict[str, dict] = {}
    renamed: dict[str, str] = {}
    kinds: dict[str, set] = {}
    for _, schema in metas:
        renamed.update(json.loads((schema.metadata or {}).get(RENAMED, b"{}")))
        for name, seen in json.loads((schema.metadata or {}).get(TEXT_AMONG_NUMBERS, b"{}")).items():
            total = mixed.setdefault(name, {"numbers": 0, "texts": 0, "shown": []})
            total["numbers"] += seen["numbers"]
            total["texts"] += seen["texts"]
            total["shown"] = list(dict.fromkeys(total["shown"] + seen["shown"]))[:3]
        for f in schema:
            if not pa.types.is_null(f.type):
                kinds.setdefault(f.name, set()).add(f.type)
    clash = {name for name, types in kinds.items() if len(types) > 1 and (
        any(pa.types.is_nested(t) for t in types) or any(pa.types.is_string(t) or pa.types.is_large_string(t)
                                                        for t in types))}
    for path, schema in metas:
        todo = [n for n in clash if n in schema.names and not pa.types.is_string(schema.field(n).type)]
        if todo:
            table = pq.read_table(path)
            for name in todo:
                i = table.column_names.index(name)
                if pa.types.is_integer(t := table.schema.field(name).type) or pa.types.is_floating(t) \
                        or pa.types.is_boolean(t):  # (numbers in this part, text in another: said, not counted)
                    mixed.setdefault(name, {"numbers": 0, "texts": 0, "shown": []})["across"] = True
                table = table.set_column(i, name, pa.array([None if v is None else v if isinstance(v, str) else
                                                            json.dumps(v, default=str, ensure_ascii=False)
                                                            for v in table.column(name).to_pylist()], pa.string()))
            write_part(table, path)
    return mixed, renamed


def unify_empty_parts(directory: Path) -> None:
    """Give every empty reader part the columns of the step's other parts. A file whose records were all
    quarantined (a binary file in a folder of JSONL) leaves an empty part with `_id` only; the next step
    would fail on it with KeyError for `text`. Cheap: only footers are read, only empty parts rewritten."""
    metas = [(p, pq.read_metadata(p)) for p in list_parts(directory)]
    schemas = [m.schema.to_arrow_schema() for _, m in metas if m.num_rows]
    if not schemas:
        return
    try:
        full = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # parts disagree on a type; DuckDB's union_by_name copes
        return
    for path, meta in metas:
        if meta.num_rows == 0 and set(full.names) - set(meta.schema.names):
            write_part(full.empty_table(), path)


def _rows_on_disk(directory: Path) -> int | None:
    """Rows in a step's parts, from their footers (None without parts)."""
    parts = list_parts(directory)
    return sum(pq.read_metadata(p).num_rows for p in parts) if parts else None


def _rows(stats: list[PartStats], kind: str) -> str:
    if kind == "signature":  # a signature task reads rows and writes signatures, not rows
        return f"{sum(s.rows_in for s in stats):,} rows read"
    return f"{sum(s.rows_out for s in stats):,} rows"


def export_names(source: dict) -> dict[str, str]:
    """The data's own names for the columns a reader renamed: with `input.text: body` the steps see `text`, and
    the export writes it as `body` again (and a `text` column of the input that was not the text, kept as
    `_source_text`, as `text`). A user gets back the columns they gave."""
    from tilth.ops.acquire.readers import text_renames

    return {new: old for old, new in text_renames(source.get("text")).items()}


def export(parts: list[Path], target: Path, names: dict[str, str] | None = None, leave_out: list[str] | None = None) -> Path:
    """Write parts, in canonical order, to one .jsonl / .jsonl.gz / .parquet / .csv file (atomically: a failed
    export leaves no partial file)."""
    target = Path(target)
    tmp = write_export(parts, target, names=names, leave_out=leave_out)
    os.replace(tmp, target)
    return target


def write_export(parts: list[Path], target: Path,
                 connected: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
                 names: dict[str, str] | None = None, leave_out: list[str] | None = None) -> Path:
    """Write the export of `target` to a temporary file beside it and return that file (renaming it into place
    is the caller's: `export`, or the runner once the run has committed). Nothing is left on failure.
    `connected` is handed the DuckDB connection (to interrupt it); `names` renames columns (see export_names);
    `leave_out` names columns the file does without (Output.leave_out)."""
    fmt = export_format(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(target.parent, target.name)  # (a killed run's half-written export of this file)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    con = scratch()
    try:
        if connected is not None:
            connected(con)
        con.execute("SET preserve_insertion_order = true")
        files = [str(p) for p in parts]
        select = "*"
        if "json" in fmt or names or leave_out:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet(?, union_by_name=true)", [files]).fetchall()
            gone = set(leave_out or ())
            described = [d for d in described if d[0] not in gone]
            if not described:
                raise ValueError(f"output.leave_out ({', '.join(leave_out)}) leaves no column to export")
            cols = [name for name, *_ in described]
            # JSON has no NaN or Infinity: such floats are written as null, not as invalid JSON
            floats = {name for name, kind, *_ in described if kind in ("FLOAT", "DOUBLE")} if "json" in fmt else set()
            # a rename that would give two columns one name is left out ("body" made by a step keeps `text` as is,
            # and then `_source_text` stays too)
            rename = {old: new for old, new in (names or {}).items() if old in cols}
            while len({rename.get(c, c) for c in cols}) < len(cols):
                clash = [old for old, new in rename.items() if [rename.get(c, c) for c in cols].count(new) > 1]
                rename.pop(clash[0])
            if floats or rename or leave_out:
                select = ", ".join((f"CASE WHEN isfinite({quote_ident(c)}) THEN {quote_ident(c)} END" if c in floats
                                    else quote_ident(c)) + f" AS {quote_ident(rename.get(c, c))}" for c in cols)
        con.execute(f"COPY (SELECT {select} FROM read_parquet(?, union_by_name=true)) TO ? ({fmt})",  # quoted names
                    [files, str(tmp)])
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return tmp


class BackgroundExport:
    """An export written in a thread of its own: DuckDB runs the COPY without holding the GIL, so the driver
    commits the last step and builds the run report meanwhile. `result()` waits, re-raises the export's error
    or renames the file into place (so the file still appears only once the run has committed); `cancel()`
    interrupts it. Either way no temporary file is left."""

    def __init__(self, parts: list[Path], target: Path, names: dict[str, str] | None = None,
                 leave_out: list[str] | None = None):
        self.target = Path(target)
        self.names = names
        self.leave_out = leave_out
        export_format(self.target)  # an unknown extension fails here, before any work
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._cancelled = False
        self._tmp: Path | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(list(parts),), name="tilth-export", daemon=True)
        self._thread.start()

    def _connected(self, con: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            self._con = con
            if self._cancelled:
                raise InterruptedError("export cancelled")

    def _work(self, parts: list[Path]) -> None:
        try:
            self._tmp = write_export(parts, self.target, self._connected, self.names, self.leave_out)
        except BaseException as e:
            self._error = e
        finally:
            with self._lock:
                self._con = None

    def result(self) -> Path:
        self._thread.join()
        if self._error is not None:
            raise self._error
        try:
            os.replace(self._tmp, self.target)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        return self.target

    def cancel(self) -> None:
        """Stop the export (the run failed or was interrupted), wait for its thread and remove its file."""
        with self._lock:
            self._cancelled = True
            if self._con is not None:
                self._con.interrupt()
        self._thread.join()
        if self._tmp is not None and self._error is None:
            self._tmp.unlink(missing_ok=True)


def run_recipe(recipe: Recipe | str | Path, workspace=None, executor=None, progress: bool = True) -> RunResult:
    if not isinstance(recipe, Recipe):
        recipe = Recipe.from_yaml(recipe)
    return Runner(recipe, workspace, executor, progress).run()


def summary_table(result: RunResult) -> Table:
    t = Table(title=f"run {result.run}: {result.rows_out:,} rows out in {result.seconds:.1f}s")
    for col in ("step (SQL view)", "in", "out", "dropped", "modified", "added", "quarantined", "s"):
        t.add_column(col, justify="left" if col.startswith("step") else "right", no_wrap=True)
    for s in result.steps:
        t.add_row(s.view + (" (cached)" if s.cached else ""), f"{s.rows_in:,}", f"{s.rows_out:,}", f"{s.dropped:,}",
                  f"{s.modified:,}", f"{s.added:,}", f"{s.quarantined:,}", f"{s.seconds:.2f}")
    return t


def step_dict(step: StepResult) -> dict:
    d = asdict(step)
    d["directory"] = str(step.directory)
    return d
