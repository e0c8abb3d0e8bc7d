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
