"""One of datatrove's heuristic filters as a datatrove pipeline, the way its README runs one:
JsonlReader -> filter -> JsonlWriter under LocalPipelineExecutor. The filter has its default settings;
output is uncompressed JSONL in OUT_DIR. Prints the number of documents written.

    python bench/e2e_peers/datatrove_filter.py FILTER IN_DIR GLOB OUT_DIR WORK_DIR
    FILTER: gopher_quality | gopher_repetition | c4 | fineweb
"""

import argparse
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

FILTERS = {"gopher_quality": GopherQualityFilter, "gopher_repetition": GopherRepetitionFilter,
           "c4": C4QualityFilter, "fineweb": FineWebQualityFilter}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("filter", choices=sorted(FILTERS))
    ap.add_argument("input_dir")
    ap.add_argument("glob")
    ap.add_argument("output_dir")
    ap.add_argument("work_dir")
    a = ap.parse_args()
    LocalPipelineExecutor(
        pipeline=[JsonlReader(a.input_dir, glob_pattern=a.glob), FILTERS[a.filter](),
                  JsonlWriter(a.output_dir, compression=None)],
        tasks=1, logging_dir=str(Path(a.work_dir) / "logs"),
    ).run()
    print(sum(1 for f in Path(a.output_dir).glob("*.jsonl") for _ in open(f, encoding="utf-8")))


if __name__ == "__main__":
    main()
