"""Do Tilth's Gopher quality, Gopher repetition, C4 and FineWeb filters make datatrove's keep/drop decisions?

Builds a real-text corpus (tilth/corpora.py), runs datatrove's filters on it in a subprocess with
.venv-bench's Python (bench/dt_peer.py; Tilth never imports datatrove), runs Tilth's operators on the same
documents in batches, and compares the decisions per document. Prints the agreement per filter and the
disagreements grouped by (Tilth reason, datatrove reason) with example documents.

    python bench/agreement_datatrove.py [--docs 3000] [--seed 0] [--out DIR]
    pytest -m bench bench/agreement_datatrove.py      (asserts >= 99% agreement per filter)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
PEER_PY = ROOT / os.environ.get("BENCH_VENV", ".venv-bench") / "bin" / "python"
# datatrove filter name -> (Tilth operator, params)
PAIRS = {
    "gopher_quality": ("gopher_quality", {}),
    "gopher_repetition": ("gopher_repetition", {}),
    "c4": ("c4_filter", {}),
    "fineweb": ("fineweb_filter", {}),
}


def peer_available() -> bool:
    if not PEER_PY.exists():
        return False
    r = subprocess.run([str(PEER_PY), "-c", "import datatrove, spacy"], capture_output=True)
    return r.returncode == 0


def build_corpus(path: Path, n_docs: int, seed: int) -> list[dict]:
    from tilth.corpora import build_corpus as build
    from tilth.corpora import read_jsonl

    build(n_docs, path, seed=seed)
    return read_jsonl(path)


def run_peer(corpus: Path, out: Path, names: list[str]) -> dict:
    r = subprocess.run([str(PEER_PY), str(ROOT / "bench" / "dt_peer.py"), str(corpus), str(out), *names],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def tilth_decisions(texts: list[str], batch: int = 1000) -> dict[str, list[tuple[bool, str | None]]]:
    from tilth.ops import build

    out: dict[str, list[tuple[bool, str | None]]] = {}
    for dt_name, (op_name, params) in PAIRS.items():
        op = build(op_name, params)
        res: list[tuple[bool, str | None]] = []
        for i in range(0, len(texts), batch):
            scores = pa.table(op.score(pa.table({"text": texts[i:i + batch]})))
            keep, reasons = op.keep(scores)
            res += list(zip(map(bool, keep), reasons, strict=True))
        out[dt_name] = res
    return out


def compare(docs: list[dict], peer: list[dict], tilth: dict) -> dict:
    report = {}
    for name in PAIRS:
        dis = [i for i in range(len(docs)) if tilth[name][i][0] != peer[i][name][0]]
        groups = collections.Counter((tilth[name][i][1], peer[i][name][1]) for i in dis)
        report[name] = {
            "docs": len(docs),
            "agreement": 1 - len(dis) / len(docs),
            "kept_tilth": sum(k for k, _ in tilth[name]),
            "kept_datatrove": sum(p[name][0] for p in peer),
            "disagreements": [
                {"tilth": t, "datatrove": d, "n": n,
                 "examples": [{"doc": i, "source": docs[i].get("source")} for i in dis
                              if (tilth[name][i][1], peer[i][name][1]) == (t, d)][:3]}
                for (t, d), n in groups.most_common()
            ],
        }
    return report


def agreement(n_docs: int = 3000, seed: int = 0, out_dir: str | None = None) -> dict:
    work = Path(out_dir or tempfile.mkdtemp(prefix="tilth-agree-"))
    work.mkdir(parents=True, exist_ok=True)
    docs = build_corpus(work / "corpus.jsonl", n_docs, seed)
    peer_meta = run_peer(work / "corpus.jsonl", work / "datatrove.jsonl", list(PAIRS))
    peer = [json.loads(line) for line in open(work / "datatrove.jsonl", encoding="utf-8")]
    report = compare(docs, peer, tilth_decisions([d["text"] for d in docs]))
    report["_meta"] = {"corpus": str(work / "corpus.jsonl"), "seed": seed,
                       "sources": dict(collections.Counter(d.get("source") for d in docs)), "peer": peer_meta}
    (work / "agreement.json").write_text(json.dumps(report, indent=1))
    return report


@pytest.mark.bench
def test_agreement_with_datatrove():
    if not peer_available():
        pytest.skip("datatrove (with spaCy) is not installed in .venv-bench; run bench/peers.sh")
    report = agreement()
    print(json.dumps({k: v for k, v in report.items() if k != "_meta"}, indent=1))
    for name in PAIRS:
        assert report[name]["agreement"] >= 0.99, (name, report[name])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    rep = agreement(a.docs, a.seed, a.out)
    for name in PAIRS:
        r = rep[name]
        print(f"{name:18s} agreement {r['agreement']:.4f} on {r['docs']} docs; kept tilth {r['kept_tilth']} "
              f"datatrove {r['kept_datatrove']}")
        for d in r["disagreements"]:
            print(f"    {d['n']:4d}  tilth={d['tilth']!r:50s} datatrove={d['datatrove']!r}  e.g. {d['examples']}")
    print("sources:", rep["_meta"]["sources"])
