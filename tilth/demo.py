"""`tilth demo`: build a real corpus from this machine, run the demo recipe, show what to query next."""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path

import yaml
from rich.console import Console

DEMO_QUERIES = [
    ("Why were rows dropped?",
     "SELECT step, reason, count(*) AS n FROM lineage WHERE run = 'demo' GROUP BY ALL ORDER BY n DESC LIMIT 8"),
    ("Rows and seconds per step",
     "SELECT step, rows_in, rows_out, round(seconds, 2) AS seconds, round(peak_rss_mb) AS peak_mb "
     "FROM step_stats WHERE run = 'demo' ORDER BY step_index"),
    ("What is left, by source",
     "SELECT source, count(*) AS docs, round(avg(n_words)) AS avg_words, round(avg(ttr), 3) AS type_token_ratio FROM demo_clean GROUP BY 1 ORDER BY 2 DESC"),
]


def build_demo_corpus(path: Path, n_docs: int, seed: int = 0) -> dict:
    """Real documents from local sources, plus planted exact duplicates and two malformed lines, so every
    stage of the recipe has something to do."""
    from tilth.corpora import sample_documents

    docs = sample_documents(n_docs, seed=seed)
    rng = random.Random(seed)
    dups = [dict(d, text="  " + d["text"] + "\n") for d in rng.sample(docs, max(1, n_docs // 20))]
    rows = docs + dups
    rng.shuffle(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for i, row in enumerate(rows):
            f.write(json.dumps(row).encode() + b"\n")
            if i == len(rows) // 3:
                f.write(b'{"text": "a record cut off mid-write\n')
            if i == 2 * len(rows) // 3:
                f.write(b'{"text": "latin-1, not UTF-8: caf\xe9"}\n')
    return {"documents": len(docs), "planted_duplicates": len(dups), "malformed_lines": 2}


def demo_recipe(corpus: Path, out_dir: Path):
    from tilth.pipeline import Recipe

    data = yaml.safe_load(resources.files("tilth.recipes").joinpath("demo.yaml").read_text())
    data["input"]["path"] = str(corpus)
    data["output"]["export"] = str(out_dir / data["output"]["export"])
    return Recipe.model_validate(data)


def run_demo(workspace: Path, n_docs: int, console: Console) -> None:
    from rich.text import Text

    from tilth.cli import hint, print_arrow
    from tilth.pipeline import Runner
    from tilth.pipeline.runner import summary_table

    demo_dir = workspace / "demo-input"
    corpus = demo_dir / "corpus.jsonl"
    console.rule("[bold]Tilth demo")
    if not corpus.exists():
        facts = build_demo_corpus(corpus, n_docs)
        console.print(Text(f"built {corpus}: {facts['documents']:,} real documents from this machine, "
                           f"{facts['planted_duplicates']:,} planted duplicates, {facts['malformed_lines']} malformed lines"))
    recipe = demo_recipe(corpus, workspace / "exports")
    (demo_dir / "demo.yaml").write_text(recipe.to_yaml())
    console.print(Text(f"recipe: {demo_dir / 'demo.yaml'}  (re-run it with: "
                       f"{hint('run', str(demo_dir / 'demo.yaml'), workspace=workspace)})"))
    result = Runner(recipe, workspace).run()
    console.print(summary_table(result))
    console.print(Text.assemble("output dataset ", (result.output.name, "bold"), f" v{result.output.version} "
                                f"({result.output.rows:,} rows), exported to {result.export}"))
    from tilth.storage import Workspace

    ws = Workspace(workspace)
    console.rule("[bold]Next: query the workspace with SQL")
    for title, q in DEMO_QUERIES:
        console.print(Text.assemble((title, "bold"), "\n  ", hint("sql", q, workspace=workspace)))
        print_arrow(ws.sql(q), max_rows=10)
