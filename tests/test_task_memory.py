"""A worker task's peak memory is bounded by far less than its part: signature and apply tasks stream the
part in batches (issue #14: the MinHash benchmark's peak tree RSS <= 1 GB, workers included).

Each task runs in a fresh interpreter, so its peak RSS (VmHWM) is its own; the part is written here, not
there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tilth.storage.parts import write_part

TEXT_MB = 96

_TASK = textwrap.dedent("""
    import json, sys
    from tilth.exec.tasks import Task, run_task
    from tilth.ops.registry import build

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) // 1024 for line in f if line.startswith(key))

    kind, part, out = sys.argv[1:4]
    op = build("exact_dedup", {})
    op.ensure_ready()
    base = status("VmRSS:")
    stats = run_task(Task(kind, "k", op, out, "p0", [part], drops=out + "/drops"))
    print(json.dumps({"grew_mb": status("VmHWM:") - base, "after_mb": status("VmRSS:") - base,
                      "rows_out": stats.rows_out}))
""")


@pytest.fixture(scope="module")
def big_part(tmp_path_factory) -> Path:
    """One part of ~TEXT_MB MB of text (random words, 4 KB documents)."""
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(5000)])
    n_docs, per_doc = TEXT_MB * 256, 700
    flat = words[rng.integers(0, words.size, n_docs * per_doc)].reshape(n_docs, per_doc)
    text = [" ".join(row) for row in flat]
    path = tmp_path_factory.mktemp("mem") / "p0.parquet"
    write_part(pa.table({"_id": np.arange(n_docs, dtype=np.int64), "text": text}), path)
    return path


def _run(kind: str, part: Path, out: Path) -> dict:
    (out / "drops").mkdir(parents=True)  # a partitioned global phase that dropped nothing
    res = subprocess.run([sys.executable, "-c", _TASK, kind, str(part), str(out)], capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
@pytest.mark.parametrize("kind", ["signature", "apply"])
def test_task_peak_memory_is_bounded_by_a_batch_not_the_part(big_part, tmp_path, kind):
    res = _run(kind, big_part, tmp_path / "out")
    # reading whole parts grew the process by 4-5x the text (here 515 MB for the signature, ~380 for the
    # apply); a batch at a time by ~1.5x (~150 MB, most of it the reader's and the allocators' fixed costs)
    assert res["grew_mb"] < 2 * TEXT_MB, res
    if kind == "apply":
        assert res["rows_out"] == TEXT_MB * 256
