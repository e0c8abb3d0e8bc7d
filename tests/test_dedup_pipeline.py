"""Dedup operators inside a real pipeline run: rows dropped, kept rows first, `duplicate_of` in lineage."""

from __future__ import annotations

import json

from tilth.pipeline import Recipe, run_recipe
from tilth.storage.workspace import Workspace

DOCS = [
    "Readability counts and special cases are not special enough to break the rules of the game",
    "Four score and seven years ago our fathers brought forth on this continent a new nation",
    "readability counts, and special cases are not special enough to break the rules of the game!",
    "Readability counts and special cases are not special enough to break the rules of the match",
    "Four score and seven years ago our fathers brought forth on this continent a new nation",
    "An entirely different sentence about the weather in the mountains during a long winter",
]


def test_exact_then_minhash_record_lineage(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in DOCS))
    recipe = f"""
name: dd
input: {{path: {src}}}
steps:
  - exact_dedup: {{normalise: lower}}
  - minhash_dedup: {{threshold: 0.8}}
"""
    result = run_recipe(Recipe.from_yaml(recipe), workspace=tmp_path / "ws", executor="local", progress=False)
    assert [s.rows_out for s in result.steps] == [6, 5, 3]
    ws = Workspace(tmp_path / "ws")
    rows = ws.sql(
        "SELECT l.operator, r.text AS dropped, k.text AS kept FROM lineage l "
        "JOIN dd__00_read_jsonl r ON r._id = l._id JOIN dd__00_read_jsonl k ON k._id = l.duplicate_of "
        "ORDER BY l.step_index, r._id"
    ).to_pylist()
    assert [(r["operator"], r["dropped"], r["kept"]) for r in rows] == [
        ("exact_dedup", DOCS[4], DOCS[1]),
        ("minhash_dedup", DOCS[2], DOCS[0]),
        ("minhash_dedup", DOCS[3], DOCS[0]),
    ]
    kept = ws.read("dd").column("text").to_pylist()
    assert kept == [DOCS[0], DOCS[1], DOCS[5]]


def test_the_signature_phase_shows_the_rows_it_read(tmp_path):
    """The progress row of a dedup's signature phase had said "0 rows" (signature tasks write no rows)."""
    from rich.console import Console

    from tilth.pipeline.runner import Runner

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in DOCS))
    console = Console(record=True, width=200)
    recipe = Recipe.from_yaml(f"name: dd\ninput: {{path: {src}}}\nsteps:\n  - exact_dedup: {{}}\n")
    Runner(recipe, tmp_path / "ws", "local", progress=True, console=console).run()
    shown = console.export_text()
    signatures = next(line for line in shown.splitlines() if "(signatures)" in line)
    apply = next(line for line in shown.splitlines() if "(apply)" in line)
    assert "6 rows read" in signatures and "5 rows" in apply
