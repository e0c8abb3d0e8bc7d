"""Peak memory of training from token shards of a large corpus (issue #15: 10^8 tokens, RSS <= 1 GB).

    python bench/train_shards_rss.py WORKSPACE [--tokens 100000000] [--steps 200]

Step 1 (a separate process, so its memory does not count) writes a corpus of random-letter documents
in four domains of different sizes; step 2 writes the shards and trains a tiny model on them, printing
the shard-writing time, the peak RSS after writing, the peak RSS after training and tokens/s.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time


def make_corpus(ws_dir: str, tokens: int, doc_chars: int = 4000) -> None:
    import numpy as np
    import pyarrow as pa

    from tilth.storage.workspace import Workspace

    ws = Workspace(ws_dir)
    if "big" in set(ws.datasets().column("name").to_pylist()):
        return
    rng = np.random.default_rng(0)
    shares = {"web": 0.67, "code": 0.15, "books": 0.1, "qa": 0.08}  # skewed, web-like
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz     ", dtype=np.uint8)
    texts, doms = [], []
    for dom, share in shares.items():
        n_docs = int(tokens * share) // (doc_chars + 1)
        for _ in range(n_docs):
            texts.append(letters[rng.integers(len(letters), size=doc_chars)].tobytes().decode())
            doms.append(dom)
    ws.write_table("big", pa.table({"text": texts, "domain": doms}))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(ws_dir: str, steps: int) -> None:
    from tilth.storage.workspace import Workspace
    from tilth.train.shards import write_shards
    from tilth.train.tokenizer import ByteTokenizer
    from tilth.train.trainer import TrainConfig, Trainer

    ws = Workspace(ws_dir)
    t0 = time.perf_counter()
    folder = write_shards(ws, "big", ByteTokenizer(), "byte")
    size = sum(p.stat().st_size for p in folder.glob("*.bin"))
    print(f"shards: {size / 2**20:.0f} MB ({size // 2:,} tokens) in {time.perf_counter() - t0:.0f} s; "
          f"peak RSS {peak_mb():.0f} MB")
    cfg = TrainConfig(dataset="big", shards=True, model={"arch": "llama", "n_layer": 2, "n_embd": 64, "n_head": 4},
                      seq_len=64, batch_size=32, steps=steps, mixer="odm", threads=1, eval_every=steps)
    t0 = time.perf_counter()
    res = Trainer(cfg, workspace=ws).run(log=False)
    secs = time.perf_counter() - t0
    print(f"trained {steps} steps: {steps * 32 * 64 / secs:,.0f} tokens/s incl. set-up, "
          f"{res.ms_per_step:.1f} ms/step; peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("workspace")
    ap.add_argument("--tokens", type=int, default=100_000_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--stage", default="all")
    a = ap.parse_args()
    if a.stage == "corpus":
        make_corpus(a.workspace, a.tokens)
    elif a.stage == "train":
        train(a.workspace, a.steps)
    else:
        for stage in ("corpus", "train"):
            subprocess.run([sys.executable, __file__, a.workspace, "--tokens", str(a.tokens), "--steps",
                            str(a.steps), "--stage", stage], check=True)
