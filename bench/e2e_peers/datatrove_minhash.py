"""MinHash deduplication with datatrove, as its minhash example lays it out: four pipelines run one after
the other with its LocalPipelineExecutor (1: JsonlReader -> MinhashDedupSignature; 2: MinhashDedupBuckets,
one task per bucket; 3: MinhashDedupCluster; 4: JsonlReader -> MinhashDedupFilter -> JsonlWriter).

Config: MinhashConfig() (datatrove's default: 5-grams, 14 buckets x 8 hashes) unless --buckets and
--rows are given. The input is one JSONL file, so stages 1, 3 and 4 have one task; stage 2 runs
`buckets` tasks on --workers processes (default: all cores). Output: uncompressed JSONL in OUT_DIR.
Prints the number of documents written.

    python bench/e2e_peers/datatrove_minhash.py IN_DIR GLOB OUT_DIR WORK_DIR [--buckets B --rows R] [--workers N]
"""

import argparse
import os
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input_dir")
    ap.add_argument("glob")
    ap.add_argument("output_dir")
    ap.add_argument("work_dir")
    ap.add_argument("--buckets", type=int, default=None)
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    config = MinhashConfig() if a.buckets is None else MinhashConfig(num_buckets=a.buckets, hashes_per_bucket=a.rows)
    work = Path(a.work_dir)
    stage1 = LocalPipelineExecutor(
        pipeline=[JsonlReader(a.input_dir, glob_pattern=a.glob),
                  MinhashDedupSignature(output_folder=str(work / "signatures"), config=config)],
        tasks=1, logging_dir=str(work / "logs" / "signatures"))
    stage2 = LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"),
                                      config=config)],
        tasks=config.num_buckets, workers=a.workers, logging_dir=str(work / "logs" / "buckets"), depends=stage1)
    stage3 = LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                                      config=config)],
        tasks=1, logging_dir=str(work / "logs" / "clusters"), depends=stage2)
    stage4 = LocalPipelineExecutor(
        pipeline=[JsonlReader(a.input_dir, glob_pattern=a.glob),
                  MinhashDedupFilter(input_folder=str(work / "remove_ids")),
                  JsonlWriter(a.output_dir, compression=None)],
        tasks=1, logging_dir=str(work / "logs" / "filter"), depends=stage3)
    stage4.run()  # runs the stages it depends on first
    print(sum(1 for f in Path(a.output_dir).glob("*.jsonl") for _ in open(f, encoding="utf-8")))


if __name__ == "__main__":
    main()
