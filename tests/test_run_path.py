"""What a `tilth run` costs before and around the work: imports, database connections, report switch,
parts per core. Each was a measured cost (issue #14); these tests keep it from coming back."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from corpus_fixtures import stdlib_paragraphs, write_corpus

from tilth.pipeline import Recipe, Runner, run_recipe
from tilth.storage import Workspace

HEAVY = ("torch", "transformers", "matplotlib", "pandas", "duckdb", "pyarrow", "numpy", "openai", "trafilatura")


def _imported_after(code: str) -> list[str]:
    probe = f"{code}; import sys, json; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_cli_import_pulls_in_no_heavy_library_and_is_fast():
    assert _imported_after("import tilth.cli") == []
    # CPU seconds of `import tilth.cli` itself, best of three: the CLI's own cost, not the interpreter's
    # start-up, and (unlike wall time) not the scheduler's noise when other jobs share the cores
    code = "import time; t = time.process_time(); import tilth.cli; print(time.process_time() - t)"
    best = min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout) for _ in range(3))
    assert best < 0.3, f"import tilth.cli took {best:.2f} CPU s"


def test_the_cli_does_without_the_separate_click_package():
    """typer (0.26 on) builds in its own click (its exceptions derive from typer.TyperException): importing the
    separate click package cost every command ~16 ms for nothing."""
    code = "import tilth.cli, sys; print('click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_parsing_a_command_line_builds_no_pydantic_adapters(tmp_path):
    """typer 0.29 built a pydantic TypeAdapter for each of a command's options on every call: ~0.1 s of a 1 s
    `tilth run` (pyproject pins typer below 0.29). A command line is parsed without them."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\ninput: {path: in.jsonl}\n")
    code = ("import sys; from tilth.cli import app\n"
            f"try: app(['validate', {str(recipe)!r}])\n"
            "except SystemExit: pass\n"
            "print('typer._adapters' in sys.modules, 'pydantic.type_adapter' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"


def test_running_a_recipe_without_models_never_imports_torch_or_matplotlib(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", 50)
    code = (f"from tilth.pipeline import Recipe, run_recipe; "
            f"run_recipe(Recipe.model_validate({{'name': 'r', 'input': {{'path': {str(corpus)!r}, 'text': 'content'}}, "
            f"'steps': [{{'length_filter': {{'min': 3}}}}, {{'exact_dedup': {{}}}}], 'workers': 1}}), "
            f"{str(tmp_path / 'ws')!r}, progress=False)")
    loaded = _imported_after(code)
    assert "torch" not in loaded and "matplotlib" not in loaded and "transformers" not in loaded
    assert (tmp_path / "ws" / "reports" / "r" / "index.html").exists()  # the report was written, without them


def _recipe(corpus, **kw) -> Recipe:
    return Recipe.model_validate({"name": "r", "input": {"path": str(corpus), "text": "content"},
                                  "steps": [{"length_filter": {"min": 3}}], "workers": 1, **kw})


def test_report_false_skips_the_report_and_tilth_report_writes_it_later(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    res = run_recipe(_recipe(corpus, output={"report": False}), tmp_path / "ws", progress=False)
    assert res.report is None and not (tmp_path / "ws" / "reports").exists()
    from tilth.report import write_report

    assert write_report(tmp_path / "ws", "r").exists()


def test_no_report_flag(tmp_path):
    from typer.testing import CliRunner

    from tilth.cli import app

    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    (tmp_path / "r.yaml").write_text(_recipe(corpus).to_yaml())
    res = CliRunner().invoke(app, ["run", str(tmp_path / "r.yaml"), "-w", str(tmp_path / "ws"), "-q", "--no-report"])
    assert res.exit_code == 0, res.output
    assert "report:" not in res.output and not (tmp_path / "ws" / "reports").exists()


def test_a_run_opens_the_database_once_per_computed_step_not_once_per_query(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    opened = []
    real = Workspace._open_raw
    monkeypatch.setattr(Workspace, "_open_raw", lambda self: opened.append(1) or real(self))
    connected = []
    real_connect = Workspace._connect_once
    monkeypatch.setattr(Workspace, "_connect_once", lambda self: connected.append(1) or real_connect(self))
    runner = Runner(_recipe(corpus, output={"report": False}), tmp_path / "ws", progress=False)
    opened.clear()
    runner.run()
    # run start + one reopen after the length_filter; reading an input this small keeps the connection (letting go
    # and reopening costs more than the read); no export here
    assert len(opened) == 2
    # and the run start takes the connection that created the catalog (Workspace(keep_open=True)): the
    # database is opened 2 times in all, constructing the runner included
    assert len(connected) == 2
    # a larger input lets go of the database while it is read, so other processes can use the workspace
    import tilth.pipeline.runner as runner_module

    monkeypatch.setattr(runner_module, "HOLD_READ_BYTES", 0)
    runner = Runner(_recipe(corpus, output={"report": False}), tmp_path / "ws2", progress=False)
    opened.clear()
    runner.run()
    assert len(opened) == 3


def test_a_kept_connection_is_taken_once_and_can_be_closed(tmp_path):
    ws = Workspace(tmp_path / "ws", keep_open=True)
    spare = ws._spare
    with ws.connect() as con:
        assert con is spare
    assert ws._spare is None
    with ws.connect() as con:  # a new one: the kept one was closed on leaving the block
        assert con is not spare
    other = Workspace(tmp_path / "ws", keep_open=True)
    other.close()
    assert other._spare is None
    code = f"from tilth.storage import Workspace; Workspace({str(tmp_path / 'ws')!r}).sql('SELECT 1')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # nothing holds the database now


def test_a_failed_step_marks_the_run_failed_and_leaves_the_workspace_usable(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    runner = Runner(_recipe(corpus), tmp_path / "ws", progress=False)

    def boom(*a, **kw):
        raise RuntimeError("disk on fire")

    runner._commit = boom
    with pytest.raises(RuntimeError, match="disk on fire"):
        runner.run()
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT status FROM runs WHERE run = 'r'").column(0)[0].as_py() == "failed"
    assert run_recipe(_recipe(corpus), tmp_path / "ws", progress=False).rows_out > 0


def test_parts_are_sized_so_every_core_gets_work(tmp_path):
    """~3 MB of input and 2 workers: 1 MB parts (the floor), so both workers have parts to take."""
    paras = stdlib_paragraphs(500)
    corpus = tmp_path / "c.jsonl"
    with open(corpus, "w") as f:
        i = 0
        while f.tell() < 3 << 20:
            f.write(json.dumps({"content": f"{i} {paras[i % len(paras)]}"}) + "\n")
            i += 1
    size = corpus.stat().st_size
    assert size > 2 << 20
    runner = Runner(_recipe(corpus, workers=2, output={"report": False}), tmp_path / "ws", progress=False)
    t0 = time.perf_counter()
    res = runner.run()
    parts = sorted(p.name for p in res.steps[0].directory.glob("*.parquet"))
    assert size // (1 << 20) <= len(parts) <= -(-size // (1 << 20)), parts
    assert time.perf_counter() - t0 < 120


def test_a_zero_step_run_never_imports_pyarrow_compute(tmp_path):
    """pyarrow.compute generates its wrappers at import (~0.1 s): reading, writing parts, exporting and the
    report do without it, so a run that calls none of its functions does not pay for it."""
    corpus = write_corpus(tmp_path / "c.jsonl", 50)
    code = (f"from tilth.pipeline import Recipe, run_recipe; "
            f"run_recipe(Recipe.model_validate({{'name': 'r', 'input': {{'path': {str(corpus)!r}, 'text': 'content'}}, "
            f"'output': {{'export': {str(tmp_path / 'out.jsonl')!r}}}, 'workers': 1}}), {str(tmp_path / 'ws')!r}, "
            f"progress=False); import sys; print('pyarrow.compute' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
    assert (tmp_path / "ws" / "reports" / "r" / "index.html").exists() and (tmp_path / "out.jsonl").exists()


def test_the_lazy_pyarrow_compute_is_the_module_on_use():
    import pyarrow.compute

    from tilth.exec import tasks

    assert tasks.pc.is_in is pyarrow.compute.is_in


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def test_a_failed_export_fails_the_run_and_leaves_no_partial_file_and_no_report(tmp_path, monkeypatch):
    """The export runs in a thread while the report is built: its failure still fails the run (status
    failed, the error raised), leaves no temporary file behind, and no report is written."""
    import tilth.pipeline.runner as runner

    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    target = tmp_path / "out" / "x.jsonl"
    write_export = runner.write_export

    def folder_appears(parts, target, *a, **kw):  # a directory where the file should go, made after the run's
        target.mkdir(parents=True, exist_ok=True)  # checks (a folder given from the start is refused before any
        return write_export(parts, target, *a, **kw)  # work): the final rename fails

    monkeypatch.setattr(runner, "write_export", folder_appears)
    with pytest.raises(OSError):
        Runner(_recipe(corpus, output={"export": str(target)}), tmp_path / "ws", progress=False).run()
    monkeypatch.setattr(runner, "write_export", write_export)
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT status FROM runs WHERE run = 'r'").column(0)[0].as_py() == "failed"
    assert _leftovers(target.parent) == []
    assert not (tmp_path / "ws" / "reports" / "r" / "index.html").exists()
    target.rmdir()  # and the next run exports
    res = Runner(_recipe(corpus, output={"export": str(target)}), tmp_path / "ws", progress=False).run()
    assert len(target.read_text().splitlines()) == res.rows_out and res.report is not None


def test_an_interrupt_while_the_report_is_built_cancels_the_export(tmp_path, monkeypatch):
    import tilth.report

    corpus = write_corpus(tmp_path / "c.jsonl", 30)

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(tilth.report, "build_report", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Runner(_recipe(corpus, output={"export": str(tmp_path / "out.jsonl")}), tmp_path / "ws", progress=False).run()
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT status FROM runs WHERE run = 'r'").column(0)[0].as_py() == "failed"
    assert _leftovers(tmp_path) == [], sorted(p.name for p in tmp_path.iterdir())
    assert not (tmp_path / "ws" / "reports").exists()


def test_a_cancelled_export_stops_and_leaves_nothing(tmp_path):
    from tilth.pipeline.runner import BackgroundExport

    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    res = run_recipe(_recipe(corpus, output={"report": False}), tmp_path / "ws", progress=False)
    parts = sorted(res.steps[-1].directory.glob("*.parquet"))
    job = BackgroundExport(parts, tmp_path / "out.jsonl")
    job.cancel()  # before, during or after the COPY: the thread ends either way
    assert not job._thread.is_alive() and _leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="cannot export"):
        BackgroundExport(parts, tmp_path / "out.xlsx")  # an unknown format fails at once, in the caller


def test_the_cli_freezes_the_gc_at_exit_so_shutdown_skips_a_collection_over_every_module():
    # a handler registered before `import tilth.cli` runs after tilth's (LIFO): it sees the frozen objects
    code = ("import atexit, gc; atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); "
            "import tilth.cli")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "frozen True"


def test_paused_gc_restores_the_collector_as_it_was():
    import gc

    from tilth.lazy import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_the_export_file_appears_only_once_the_run_has_committed(tmp_path):
    """The export is written while the last step commits, but renamed into place only after the run's commit:
    a run that fails at its last commit leaves no export (and no temporary file)."""
    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    target = tmp_path / "out.jsonl"
    runner = Runner(_recipe(corpus, output={"export": str(target)}), tmp_path / "ws", progress=False)
    real = runner._commit

    def commit(index, op, step):
        if index == len(runner.ops):
            time.sleep(1.0)  # the export, started before this commit, has its file written by now
            raise RuntimeError("disk on fire")
        return real(index, op, step)

    runner._commit = commit
    with pytest.raises(RuntimeError, match="disk on fire"):
        runner.run()
    assert not target.exists() and _leftovers(tmp_path) == []
    assert Workspace(tmp_path / "ws").sql("SELECT status FROM runs WHERE run = 'r'").column(0)[0].as_py() == "failed"


def test_an_export_that_fails_fails_the_run_after_its_steps_are_committed(tmp_path, monkeypatch):
    # (an unknown extension and a folder that cannot be made are found before the run now: tests/test_pipeline.py);
    # a disk that fills up fails only when the export runs
    import tilth.pipeline.runner as runner

    def full_disk(parts, target, connected=None, names=None, leave_out=None):
        raise OSError(28, "No space left on device")

    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    monkeypatch.setattr(runner, "write_export", full_disk)
    with pytest.raises(OSError, match="No space left"):
        run_recipe(_recipe(corpus, output={"export": str(tmp_path / "out.jsonl")}), tmp_path / "ws", progress=False)
    monkeypatch.undo()
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT status FROM runs WHERE run = 'r'").column(0)[0].as_py() == "failed"
    assert ws.sql("SELECT count(*) FROM run_steps WHERE run = 'r'").column(0)[0].as_py() == 2  # both steps kept
    res = run_recipe(_recipe(corpus, output={"export": str(tmp_path / "out.jsonl")}), tmp_path / "ws", progress=False)
    assert all(s.cached for s in res.steps) and (tmp_path / "out.jsonl").exists()


def test_workers_start_with_pyarrow_compute_loaded():
    """The forkserver preloads pyarrow.compute (tilth.exec.tasks no longer imports it): workers fork with it."""
    from tilth.exec.local import LocalExecutor

    ex = LocalExecutor(2)
    try:
        loaded = list(ex.map_unordered(_pc_loaded, [b"", b""], inline_single=False))
    finally:
        ex.close()
    assert loaded == [b"True", b"True"]


def _pc_loaded(_: bytes) -> bytes:
    return str("pyarrow.compute" in sys.modules).encode()


def test_leave_out_keeps_columns_out_of_the_export_but_in_the_workspace(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", 30)
    out = tmp_path / "out.jsonl"
    res = run_recipe(_recipe(corpus, output={"export": str(out), "report": False, "leave_out": ["length_words"]}),
                     tmp_path / "ws", progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all("length_words" not in r and "content" in r for r in rows)  # (and `text` named back)
    table = Workspace(tmp_path / "ws", read_only=True).sql(f"SELECT * FROM {res.output.name}")
    assert "length_words" in table.column_names and table.num_rows == len(rows)


def test_leaving_out_every_column_fails_the_run_with_a_reason(tmp_path):
    corpus = write_corpus(tmp_path / "c.jsonl", 5)
    recipe = Recipe.model_validate({"name": "r", "input": {"path": str(corpus), "text": "content"}, "workers": 1,
                                    "steps": [{"select_columns": {"keep_columns": ["text"]}}],
                                    "output": {"export": str(tmp_path / "o.jsonl"), "report": False,
                                               "leave_out": ["_id", "text"]}})
    with pytest.raises(ValueError, match="leaves no column"):
        run_recipe(recipe, tmp_path / "ws", progress=False)
    assert not (tmp_path / "o.jsonl").exists()
