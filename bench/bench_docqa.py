"""`tilth ask` benchmark: citation and fact hit rates on the dev and test questions, BM25 and hybrid.

Ranking was tuned on docqa_dev.jsonl only; docqa_test.jsonl is the held-out figure. The offline
(extractive) answer is measured; with a chat model the citations are the same, the text is the model's.
Run by `./tilth.sh bench`.
"""

from __future__ import annotations

import json
import time

import pytest

from tilth.agent.docqa import DocQA
from tilth.agent.eval.docqa_eval import evaluate


@pytest.mark.bench
@pytest.mark.parametrize("use_embeddings", [False, True], ids=["bm25", "hybrid"])
def test_docqa_on_the_dev_and_test_questions(use_embeddings):
    t0 = time.perf_counter()
    qa = DocQA(use_embeddings=use_embeddings)
    build = time.perf_counter() - t0
    summary = {}
    for split in ("dev", "test"):
        res = evaluate(qa, split)
        for r in res["rows"]:
            if not (r["cite_first"] and not r["missing"]):
                print(f"  {split} {r['id']:<16} cite_hit={r['cite_hit']!s:<5} first={r['cite_first']!s:<5} "
                      f"missing={r['missing']} {r['citations']}")
        summary[split] = {k: round(v, 3) for k, v in res.items() if isinstance(v, float)} | {"questions": res["questions"]}
    print(f"docqa {'hybrid' if use_embeddings else 'bm25'} (index built in {build:.1f}s):")
    print(json.dumps(summary, indent=2))
    assert summary["dev"]["questions"] + summary["test"]["questions"] >= 30
    assert summary["test"]["cite_hit"] >= 0.7  # a floor against regressions, well under the measured figure
