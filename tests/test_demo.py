"""The demo end to end on a small real corpus: every stage runs, malformed lines are quarantined,
the report and export are written, and the SQL the demo suggests runs."""

from __future__ import annotations

import json

from rich.console import Console

from tilth.demo import DEMO_QUERIES, build_demo_corpus, run_demo
from tilth.storage import Workspace


def test_demo_corpus_has_known_plants(tmp_path):
    facts = build_demo_corpus(tmp_path / "c.jsonl", 200, seed=3)
    lines = (tmp_path / "c.jsonl").read_bytes().splitlines()
    assert facts == {"documents": 200, "planted_duplicates": 10, "malformed_lines": 2}
    assert len(lines) == 212
    good = []
    for line in lines:
        try:
            good.append(json.loads(line))
        except ValueError:  # the two malformed lines (broken JSON, invalid UTF-8)
            pass
    assert len(good) == 210
    sources = {g["source"] for g in good}
    assert len(sources) >= 3  # a mix of real local sources


def test_demo_runs_end_to_end(tmp_path):
    console = Console(record=True, width=160)
    run_demo(tmp_path / "ws", 300, console)
    ws = Workspace(tmp_path / "ws")
    assert ws.sql("SELECT count(*) FROM quarantine WHERE run = 'demo'").column(0)[0].as_py() == 2
    steps = ws.sql("SELECT operator FROM run_steps WHERE run = 'demo' ORDER BY step_index").column(0).to_pylist()
    assert steps[0] == "read_jsonl" and "exact_dedup" in steps and "minhash_dedup" in steps
    out = ws.read("demo_clean")
    exported = (tmp_path / "ws" / "exports" / "demo_clean.jsonl").read_text().splitlines()
    assert len(exported) == out.num_rows > 0
    assert (tmp_path / "ws" / "reports" / "demo" / "index.html").stat().st_size > 10_000
    for _, q in DEMO_QUERIES:
        assert ws.sql(q).num_rows > 0
    assert "Next: query the workspace with SQL" in console.export_text()
