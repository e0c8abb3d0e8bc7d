"""Run datatrove's heuristic filters on a JSONL corpus (executed by .venv-bench's Python, never by Tilth).

Why a separate script: Tilth must not import datatrove; this process writes one JSON line per document
with datatrove's keep/drop decision and reason per filter, plus the wall and CPU seconds of each filter and the peak RSS.

usage: .venv-bench/bin/python bench/dt_peer.py corpus.jsonl decisions.jsonl [filter ...]
"""

from __future__ import annotations

import json
import resource
import sys
import time

FILTERS = ("gopher_quality", "gopher_repetition", "c4", "fineweb")


def make(name):
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return {
        "gopher_quality": GopherQualityFilter,
        "gopher_repetition": GopherRepetitionFilter,
        "c4": C4QualityFilter,
        "fineweb": FineWebQualityFilter,
    }[name]()


def main(corpus: str, out: str, names: list[str]) -> None:
    from datatrove.data import Document

    texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
    decisions = [{} for _ in texts]
    timing, cpu = {}, {}
    for name in names:
        f = make(name)
        f.filter(Document(text="warm up the tokenizer. " * 10, id="w"))  # loads spaCy once, not timed
        docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
        t0, c0 = time.perf_counter(), time.process_time()
        results = [f.filter(d) for d in docs]
        timing[name] = time.perf_counter() - t0
        cpu[name] = time.process_time() - c0
        for i, r in enumerate(results):
            ok, reason = (r, None) if isinstance(r, bool) else (r[0], r[1])
            decisions[i][name] = [bool(ok), reason]
    with open(out, "w", encoding="utf-8") as fh:
        for d in decisions:
            fh.write(json.dumps(d) + "\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": timing, "cpu_seconds": cpu, "peak_rss_mb": peak, "docs": len(texts)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] or list(FILTERS))
