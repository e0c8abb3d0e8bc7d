"""The zero-step baseline: what a few lines of plain Python do with a JSONL file.

json.loads every line, json.dumps every record to a new file; prints the number of records.

    python bench/e2e_peers/plain_json.py IN.jsonl OUT.jsonl
"""

import json
import sys

src, dst = sys.argv[1], sys.argv[2]
n = 0
with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
    for line in fin:
        if line.strip():
            fout.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
            n += 1
print(n)
