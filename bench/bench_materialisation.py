"""What does materialising every step (Parquet parts + DuckDB commit) cost? Issue target: <= 10% of the run.

Same corpus, same operators, one worker process for both sides so the comparison is like for like:
- tilth:     the real runner, every step written as Parquet parts and committed to DuckDB (lineage, stats,
             dataset versions); the HTML report is timed separately, being extra work, not materialisation;
- in-memory: the same task functions applied to in-memory Arrow tables, nothing written between steps
             (deduplicators still write their signature files: that is their algorithm, not materialisation).
overhead = (tilth - in-memory) / tilth. Also reported: the runner's own I/O accounting (Parquet read/write
seconds over task seconds).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tilth.exec.tasks import apply_filter, apply_generator, apply_mapper
from tilth.ops import registry
from tilth.pipeline import Recipe, Runner
from tilth.pipeline.validate import check
from tilth.storage.parts import write_part

N_DOCS = int(os.environ.get("TILTH_BENCH_DOCS", "200000"))

STEP_CANDIDATES = [
    ("length_filter", {"min": 20}),
    ("gopher_quality", {}),
    ("gopher_repetition", {}),
    ("exact_dedup", {}),
]


def _steps():
    registry.load_builtin()
    return [{name: params} for name, params in STEP_CANDIDATES if name in registry._REGISTRY]


def _in_memory(recipe: Recipe, scratch: Path) -> tuple[float, int]:
    reader, ops = check(recipe)
    t0 = time.perf_counter()
    tables = []
    for shard in reader.shards():
        tables += [t for t in reader.read(shard) if isinstance(t, pa.Table)]
    for op in ops:
        op.ensure_ready()
        if op.kind == "filter":
            tables = [apply_filter(op, t)[0] for t in tables]
        elif op.kind == "mapper":
            tables = [apply_mapper(op, t)[0] for t in tables]
        elif op.kind == "generator":
            tables = [apply_generator(op, t)[0] for t in tables]
        else:
            sig_files = []
            for i, t in enumerate(tables):
                sig = op.signature(t)
                sig = sig.add_column(0, "_id", t.column("_id"))
                sig = sig.add_column(1, "_part", pa.array([f"p{i:05d}"] * t.num_rows))
                sig = sig.add_column(2, "_row", pa.array(range(t.num_rows), pa.int64()))
                write_part(sig, scratch / f"sig{i:05d}.parquet")
                sig_files.append(str(scratch / f"sig{i:05d}.parquet"))
            drops = op.duplicates(sig_files, str(scratch)).column("_id")
            tables = [t.filter(pc.invert(pc.is_in(t.column("_id"), value_set=drops))) for t in tables]
    return time.perf_counter() - t0, sum(t.num_rows for t in tables)


@pytest.mark.bench
def test_materialisation_overhead():
    from tilth.corpora import build_corpus

    work = Path(tempfile.mkdtemp(prefix="tilth-bench-mat-"))
    try:
        corpus = build_corpus(N_DOCS, work / "corpus.jsonl", seed=1, max_chars=2500)
        size_mb = corpus.stat().st_size / 1e6
        recipe = Recipe.model_validate({
            "name": "mat", "input": {"path": str(corpus), "batch_size": 10_000},
            "steps": _steps(), "workers": 1})
        mem_s, mem_rows = _in_memory(recipe, work / "scratch")
        runner = Runner(recipe, work / "ws", progress=False)
        runner.write_html_report = False  # the report is extra work the in-memory side does not do: timed apart
        t0 = time.perf_counter()
        result = runner.run()
        tilth_s = time.perf_counter() - t0
        from tilth.report import write_report

        t0 = time.perf_counter()
        write_report(runner.ws, "mat")
        report_s = time.perf_counter() - t0
        assert result.rows_out == mem_rows, "both sides must compute the same result"
        io = sum(s.io_seconds for s in result.steps)
        cpu = sum(s.cpu_seconds for s in result.steps)
        overhead = (tilth_s - mem_s) / tilth_s
        print(f"\nmaterialisation: {N_DOCS:,} docs ({size_mb:.0f} MB JSONL), steps: {[s.op for s in recipe.steps]}")
        print(f"  tilth runner {tilth_s:.1f}s, in-memory {mem_s:.1f}s -> overhead {overhead:.1%} of the run")
        print(f"  (not counted above) the HTML run report took {report_s:.1f}s more")
        print(f"  runner I/O accounting: parquet read+write {io:.1f}s of {cpu:.1f}s task time ({io / cpu:.1%})")
        assert overhead <= 0.10, f"materialisation overhead {overhead:.1%} > 10%"
    finally:
        shutil.rmtree(work, ignore_errors=True)
