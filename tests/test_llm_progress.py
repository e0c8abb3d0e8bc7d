"""An LLM step's progress: answers counted from the usage segments the workers append to."""

from __future__ import annotations

import json

from tilth.llm.run_hook import UsageCounter


def test_answers_are_counted_per_run_and_step_and_a_half_written_line_waits(tmp_path):
    d = tmp_path / "llm" / "usage"
    d.mkdir(parents=True)
    rec = lambda run, step: json.dumps({"run": run, "step": step, "key": "k"}) + "\n"  # noqa: E731
    (d / "usage-1-a.jsonl").write_text(rec("r", "01_llm") * 3 + rec("r", "02_other") + rec("old", "01_llm"))
    half = rec("r", "01_llm")
    (d / "usage-2-b.jsonl").write_text(rec("r", "01_llm") + half[:10])
    counter = UsageCounter(d, "r", "01_llm")
    assert counter.count() == 4
    with open(d / "usage-2-b.jsonl", "a") as f:
        f.write(half[10:] + "not json\n")
    assert counter.count() == 5  # the finished line is counted once, the junk line not at all
    assert UsageCounter(tmp_path / "missing", "r", "01_llm").count() == 0


def test_the_llm_row_ends_at_the_requests_sent_not_at_the_rows_in(tmp_path):
    """Two of five rows have text: the bar had a total of five rows and stopped at 2/5, as if unfinished."""
    from conftest import write_jsonl
    from llm_fixtures import FaultServer
    from rich.console import Console

    from tilth.pipeline import Recipe
    from tilth.pipeline.runner import Runner

    rows = [{"text": t} for t in ("The lift is stuck again.", "", None, " ", "Heating is off in room 4.")]
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    console = Console(record=True, width=200)
    with FaultServer(reply=lambda body, attempt: "rewritten") as srv:
        recipe = Recipe.from_yaml(f"name: p\ninput: {{path: {data}}}\nworkers: 1\n"
                                  f"llm: {{url: \"{srv.url}\", model: m}}\nsteps:\n  - llm_rewrite: {{}}\n")
        Runner(recipe, tmp_path / "ws", "local", progress=True, console=console).run()
    line = next(x for x in console.export_text().splitlines() if "(LLM)" in x)
    assert "2/2" in line and "answers (5 rows in)" in line, line
