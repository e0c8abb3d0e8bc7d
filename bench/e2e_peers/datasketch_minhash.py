"""Near-duplicate removal as datasketch's documentation shows it: one MinHash per document, a
MinHashLSH index, query before insert, keep the documents without a match.

Shingles: lower-cased text split on whitespace, 5 consecutive words joined by a space (a document with
fewer words gives one shingle of all of them; an empty one gives none and is kept). 128 permutations,
threshold 0.8 (MinHashLSH picks bands x rows from it). Kept records are written as JSONL; prints how many.

    python bench/e2e_peers/datasketch_minhash.py IN.jsonl OUT.jsonl [--threshold 0.8] [--num-perm 128]
"""

import argparse
import json

from datasketch import MinHash, MinHashLSH


def shingles(text: str, n: int = 5) -> set[bytes]:
    words = text.lower().split()
    if len(words) < n:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + n]).encode("utf-8") for i in range(len(words) - n + 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    a = ap.parse_args()
    lsh = MinHashLSH(threshold=a.threshold, num_perm=a.num_perm)
    kept = 0
    with open(a.src, encoding="utf-8") as fin, open(a.dst, "w", encoding="utf-8") as fout:
        for i, line in enumerate(fin):
            record = json.loads(line)
            sh = shingles(record["text"])
            if sh:
                m = MinHash(num_perm=a.num_perm)
                m.update_batch(list(sh))
                if lsh.query(m):
                    continue
                lsh.insert(str(i), m)
            fout.write(json.dumps(record, ensure_ascii=False) + "\n")
            kept += 1
    print(kept)


if __name__ == "__main__":
    main()
