"""Evaluate `tilth ask` (extractive mode) on questions a new user would ask.

Each line of docqa_dev.jsonl / docqa_test.jsonl holds a question, `cite` (the sources a correct answer may
cite: it must cite at least one of them) and `facts` (substrings, case-insensitive, that the answer text
must contain). Ranking was tuned on the dev split only; the test split was written at the same time, before
any tuning, and is reported untouched, so the gap between the two is the honest measure.

Figures: `cite_hit` (any acceptable source among the k citations), `cite_first` (the first citation is
acceptable), `fact_hit` (share of all facts found in the answers) and `all_facts` (share of questions with
every fact found).

    python -m tilth.agent.eval.docqa_eval [--no-embed] [dev|test ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SPLITS = {"dev": HERE / "docqa_dev.jsonl", "test": HERE / "docqa_test.jsonl"}


def load(split: str) -> list[dict]:
    return [json.loads(line) for line in SPLITS[split].read_text().splitlines() if line.strip()]


def judge(item: dict, ans: dict) -> dict:
    text = ans["answer"].lower()
    found = [f for f in item["facts"] if f.lower() in text]
    cites = ans["citations"]
    return {"id": item["id"], "cite_hit": any(c in cites for c in item["cite"]),
            "cite_first": bool(cites) and cites[0] in item["cite"], "facts": len(item["facts"]),
            "found": len(found), "missing": [f for f in item["facts"] if f not in found], "citations": cites}


def evaluate(qa, split: str, k: int = 3) -> dict:
    rows = [judge(item, qa.answer(item["question"], k=k)) for item in load(split)]
    n, facts = len(rows), sum(r["facts"] for r in rows)
    return {"split": split, "questions": n,
            "cite_hit": sum(r["cite_hit"] for r in rows) / n,
            "cite_first": sum(r["cite_first"] for r in rows) / n,
            "fact_hit": sum(r["found"] for r in rows) / facts,
            "all_facts": sum(r["found"] == r["facts"] for r in rows) / n,
            "rows": rows}


def main(argv: list[str]) -> None:
    from tilth.agent.docqa import DocQA

    qa = DocQA(use_embeddings="--no-embed" not in argv)
    for split in [a for a in argv if not a.startswith("-")] or ["dev", "test"]:
        res = evaluate(qa, split)
        for r in res["rows"]:
            flag = "ok " if r["cite_hit"] and not r["missing"] else "-- "
            print(f"{flag}{r['id']:<16} first={r['cite_first']!s:<5} missing={r['missing']} {r['citations']}")
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in res.items() if k != "rows"}))


if __name__ == "__main__":
    main(sys.argv[1:])
