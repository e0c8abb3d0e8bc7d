"""`tilth classifier sample|train|list|show`: the annotate -> train -> filter loop from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

classifier_app = typer.Typer(help="Quality classifiers learned from annotations (LLM or human labels).",
                             no_args_is_help=True)
WS = Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace directory "
                                         "(default: $TILTH_WORKSPACE or ./tilth-workspace).")]


@classifier_app.command()
def sample(name: Annotated[str, typer.Argument(help="Name of the sample (the UI's labelling page lists it).")],
           run: Annotated[str, typer.Option(help="Run whose input rows to sample (its first step).")],
           domain: Annotated[str | None, typer.Option(help="String column to stratify by (8 most common values "
                                                      "+ other).")] = None,
           score: Annotated[str | None, typer.Option(help="Score to bin by: length.chars or <step>.<column> "
                                                     "(e.g. 02_gopher_quality.gopher_words).")] = "length.chars",
           bins: Annotated[int, typer.Option(help="Quantile bins of the score (1-10).")] = 4,
           per_stratum: Annotated[int, typer.Option(help="Rows per (domain, bin) stratum (1-200).")] = 50,
           seed: int = 0,
           out: Annotated[Path | None, typer.Option(help="Also write the rows (source_id, text, domain, bin) to "
                                                    "this JSONL, as the input of an LLM annotation recipe.")] = None,
           replace: Annotated[bool, typer.Option(help="Replace an existing sample of this name.")] = False,
           workspace: WS = None):
    """Draw a stratified sample of a run's rows to annotate: people label it in `tilth ui`, an LLM through
    --out and a recipe (see docs/classifiers.md)."""
    from tilth.cli import console
    from tilth.storage.sql import quote_ident
    from tilth.storage.workspace import default_workspace
    from tilth.ui.humaneval import create_sample
    from tilth.ui.store import Store

    store = Store(workspace or default_workspace())
    res = create_sample(store, name, run, domain, score, bins, per_stratum, replace=replace)
    console.print(Text(f"sample {name}: {res['rows']} rows in {len(res['strata'])} strata "
                       f"(label them in `tilth ui`, or annotate {out or 'them'} with an LLM)"))
    if out:
        from tilth.classify.strata import input_view

        with store.reading() as ws:
            rows = ws.sql(f"SELECT e._id, CAST(v.text AS VARCHAR) AS text, e.domain, e.bin FROM eval_samples e "
                          f"JOIN {quote_ident(input_view(ws, run))} v USING (_id) WHERE e.sample = ? "
                          "ORDER BY e.position", [name]).to_pylist()
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w") as f:
            for r in rows:
                f.write(json.dumps({"source_id": r["_id"], "text": r["text"], "domain": r["domain"],
                                    "bin": r["bin"]}) + "\n")
        console.print(Text(f"wrote {len(rows)} rows to {out}"))


@classifier_app.command()
def train(name: Annotated[str, typer.Argument(help="Classifier name (a new version each time).")],
          dataset: Annotated[str | None, typer.Option(help="Dataset holding the text and the label column.")] = None,
          version: Annotated[int | None, typer.Option(help="Dataset version (default: newest).")] = None,
          column: Annotated[str | None, typer.Option(help="Label column: keep/drop words, 0/1, booleans, or "
                                                     "numbers with --positive-min.")] = None,
          run: Annotated[str | None, typer.Option(help="Learn a run's keep/drop decisions (lineage).")] = None,
          step: Annotated[str | None, typer.Option(help="With --run: the filter step (name or operator; "
                                                   "default: dropped by any step).")] = None,
          sample: Annotated[str | None, typer.Option(help="Learn people's labels of this UI sample.")] = None,
          text_field: Annotated[str, typer.Option(help="Text column.")] = "text",
          positive_min: Annotated[float | None, typer.Option(help="Numeric labels: keep if >= this.")] = None,
          skip_missing: Annotated[bool, typer.Option(help="Leave out rows without a label.")] = False,
          features: Annotated[str, typer.Option(help="embed, ngrams, stats joined by '+'.")] = "embed+stats",
          head: Annotated[str, typer.Option(help="linear or mlp (dense features only).")] = "linear",
          max_chars: Annotated[int, typer.Option(help="Characters of each text embedded.")] = 1000,
          seed: int = 0,
          workspace: WS = None):
    """Train a classifier on labelled rows; print its held-out report and where its files are."""
    from tilth.classify.labels import LabelSpec
    from tilth.classify.train import TrainConfig
    from tilth.classify.train import train as fit
    from tilth.cli import console
    from tilth.storage import Workspace

    spec = LabelSpec(dataset, version, column, run, step, sample, text_field, positive_min, skip_missing)
    meta = fit(Workspace(workspace), name, spec,
               TrainConfig(features=features, head=head, max_chars=max_chars, seed=seed))
    console.print(Text(report_text(meta)))


@classifier_app.command("list")
def list_(workspace: WS = None):
    """Every classifier version in the workspace with its held-out F1 and threshold."""
    from tilth.classify.store import DDL
    from tilth.cli import print_arrow
    from tilth.storage import Workspace

    ws = Workspace(workspace)
    with ws.connect() as con:
        con.execute(DDL)
    print_arrow(ws.sql("SELECT name, version, features, head, rows, threshold, test_f1, test_kappa, created_at "
                       "FROM classifiers ORDER BY name, version"), title="classifiers")


@classifier_app.command()
def show(name: str, version: Annotated[int | None, typer.Option(help="Version (default: newest).")] = None,
         as_json: Annotated[bool, typer.Option("--json")] = False, workspace: WS = None):
    """A classifier's report, label source and files."""
    from tilth.classify.store import load
    from tilth.cli import console
    from tilth.storage.workspace import default_workspace

    root = Path(workspace or default_workspace()).resolve()
    _, meta = load(root, name, version)
    meta["path"] = str(root / "classifiers" / name / f"v{meta['version']}")
    print(json.dumps(meta, indent=2)) if as_json else console.print(Text(report_text(meta)))


def report_text(meta: dict) -> str:
    t = meta["report"]["test"]
    c = t["confusion"]
    src = ", ".join(f"{k}={v}" for k, v in meta["labels"].items() if v is not None and k != "kind")
    return "\n".join([
        f"classifier {meta['name']} v{meta['version']} ({meta['features']}, {meta['head']}) from {meta['labels']['kind']} "
        f"labels ({src})",
        f"rows: {meta['rows']['total']} ({meta['rows']['keep']} keep, {meta['rows']['drop']} drop); train "
        f"{meta['rows']['train']}, calibration {meta['rows']['calibration']}, test {meta['rows']['test']}",
        f"threshold (best F1 on the calibration split): keep if score >= {meta['threshold']:.4f}",
        f"test: accuracy {t['accuracy']:.3f}  precision {t['precision']:.3f}  recall {t['recall']:.3f}  F1 {t['f1']:.3f}  "
        f"kappa {t['kappa'] if t['kappa'] is None else round(t['kappa'], 3)}  average precision "
        f"{t['average_precision']:.3f}  Brier {t['brier']:.4f} (uncalibrated {t['brier_uncalibrated']:.4f})",
        f"confusion (label -> predicted): keep->keep {c['keep']['keep']}, keep->drop {c['keep']['drop']}, "
        f"drop->keep {c['drop']['keep']}, drop->drop {c['drop']['drop']}",
        f"files: {meta.get('path', '')} (head.npz, model.json, rows.parquet, pr.png)",
    ])


def register(app: typer.Typer) -> None:
    app.add_typer(classifier_app, name="classifier")
