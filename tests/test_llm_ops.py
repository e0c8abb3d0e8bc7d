"""Every LLM operator end to end on the embedded SmolLM2 server, inside real pipelines. Outputs are checked
for structure (columns, types, ranges, row lineage), not wording. Each recipe is run twice under two run
names: the second run must issue zero model requests (all answers from the cache) and give equal output."""

from __future__ import annotations

import pytest
from conftest import write_jsonl
from llm_fixtures import llm_endpoint  # noqa: F401  (fixture)

from tilth.pipeline import Recipe, run_recipe
from tilth.storage.workspace import Workspace

DOCS = [
    {"text": "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar and oxygen.", "level": 1},
    {"text": "Prove that there are infinitely many prime numbers.", "level": 5},
]


def run_twice(tmp_path, steps: str, rows=DOCS, name="llm") -> tuple[list[dict], Workspace]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    outputs = []
    for run in (f"{name}_first", f"{name}_second"):
        recipe = Recipe.from_yaml(f"name: {run}\ninput: {{path: {data}}}\nworkers: 1\nsteps:\n{steps}")
        run_recipe(recipe, workspace=tmp_path / "ws", progress=False)
        outputs.append(Workspace(tmp_path / "ws").read(run))
    ws = Workspace(tmp_path / "ws")
    usage = {u["run"]: u for u in ws.sql(
        "SELECT run, sum(requests) AS requests, sum(cache_hits) AS hits, sum(answers) AS answers, "
        "sum(completion_tokens) AS completion_tokens FROM llm_usage_by_step GROUP BY run").to_pylist()}
    first, second = usage[f"{name}_first"], usage[f"{name}_second"]
    assert first["requests"] > 0 and first["completion_tokens"] > 0
    assert second["requests"] == 0 and second["hits"] == first["answers"]  # zero requests on the re-run
    assert outputs[0].equals(outputs[1])
    return outputs[0].to_pylist(), ws


@pytest.mark.slow
def test_annotation_scoring_judging_and_rewriting(llm_endpoint, tmp_path):  # noqa: F811
    doc = DOCS[1]
    rows, ws = run_twice(tmp_path, """
  - llm_annotate: {label: difficulty}
  - llm_annotate: {label: task_type, choices: [question, statement, proof]}
  - llm_annotate: {label: tone, choices: [formal, casual]}
  - llm_quality_filter: {mode: graded, min_score: 1, max_tokens: 48}
  - llm_judge: {sample_fraction: 1.0, instruction_field: null, response_field: text, max_tokens: 64}
  - llm_rewrite: {task: grammar, output_field: text_grammar, max_tokens: 16}
  - llm_rewrite: {task: tone, style: friendly, max_tokens: 16}
  - llm_translate: {target_language: French, output_field: text_fr, max_tokens: 24}
""", rows=[doc])
    r, = rows  # graded filter with min_score 1 keeps every scored row
    assert r["level"] == doc["level"]
    assert r["llm_difficulty"] in {1, 2, 3, 4, 5}
    assert r["llm_task_type"] in {"question", "statement", "proof"}
    assert r["llm_tone"] in {"formal", "casual"}  # a label of the user's own, with its choices
    assert r["llm_quality"] in {1, 2, 3, 4, 5} and r["llm_quality_rationale"]
    for c in ("judge_coherence", "judge_helpfulness", "judge_relevance"):
        assert r[c] in {1, 2, 3, 4, 5}
    assert r["judge_rationale"]
    assert r["text_grammar"] and r["text"]
    assert r["text_fr"] and r["text_fr"] != r["text"]  # (English: lid.176 does not find it French, so it is sent)
    summary = ws.sql("SELECT criterion, judged, mean FROM llm_judge_summary WHERE run = 'llm_first' "
                     "ORDER BY criterion").to_pylist()
    assert summary == [{"criterion": c, "judged": 1, "mean": float(r[f"judge_{c}"])}
                       for c in ("coherence", "helpfulness", "relevance")]
    modified = ws.sql("SELECT step FROM lineage WHERE run = 'llm_first' AND action = 'modify'").to_pylist()
    # only the in-place tone rewrite can change an existing column, and lineage says whether it did
    assert modified == ([{"step": "07_llm_rewrite"}] if r["text"] != doc["text"] else [])


@pytest.mark.slow
def test_binary_quality_filter_drops_with_reason(llm_endpoint, tmp_path):  # noqa: F811
    rows = [{"text": "Buy cheap pills now!!! click click click"}, {"text": "The Moon orbits the Earth every 27 days."}]
    kept, ws = run_twice(tmp_path, "  - llm_quality_filter: {mode: binary, max_tokens: 64}\n", rows, name="bin")
    dropped = ws.sql("SELECT reason, scores FROM lineage WHERE run = 'bin_first' AND action = 'drop'").to_pylist()
    assert len(kept) + len(dropped) == 2
    assert all(r["llm_quality"] == 1 for r in kept)
    assert all(d["reason"] == "llm_quality=0 < min_score=1" and '"llm_quality":0' in d["scores"] for d in dropped)


def test_a_label_of_your_own_needs_its_choices():
    """A built-in label has its list; "sentiment" has none, so its choices must be given, and it names the column."""
    from pydantic import ValidationError

    from tilth.ops import get

    annotate = get("llm_annotate")
    assert annotate.Params(label="sentiment", choices=["positive", "negative"]).label == "sentiment"
    assert annotate(label="sentiment", choices=["positive", "negative"]).output_columns() == ["llm_sentiment"]
    assert annotate(label="topic").output_columns() == ["llm_topic"]
    with pytest.raises(ValidationError, match="label 'sentiment' has no built-in list: give its choices"):
        annotate.Params(label="sentiment")
    with pytest.raises(ValidationError, match="pattern"):  # it names a column: no spaces, quotes or SQL
        annotate.Params(label="x'; drop table", choices=["a", "b"])


def _new_rows(rows):
    return [r for r in rows if r["_parent_id"] is not None]


@pytest.mark.slow
def test_a_numeric_scale_tells_the_model_which_end_is_high():
    """Trial 23: "score how convincing each appeal is from 1 to 5" sent "Choose exactly one of: 1, 2, 3, 4, 5",
    leaving the model to guess whether 1 is best or worst."""
    from tilth.ops.evaluate.llm_annotate import _said_choices

    assert _said_choices(["1", "2", "3", "4", "5"], "convincingness") == \
        "1 (lowest convincingness), 2, 3, 4, 5 (highest convincingness)"
    assert _said_choices(["0", "1", "2"], "urgency") == "0 (lowest urgency), 1, 2 (highest urgency)"
    assert _said_choices(["noise", "wifi", "other"], "topic") == "noise, wifi, other"
    assert _said_choices(["1", "3", "5"], "stars") == "1, 3, 5"  # (not a run of numbers: listed as given)


def test_augmenters_add_rows_only_where_selected(llm_endpoint, tmp_path):  # noqa: F811
    rows, ws = run_twice(tmp_path, """
  - llm_back_translate: {where_column: level, where_min: 3, max_tokens: 24, keep_input: false}
  - llm_paraphrase: {n: 2, max_tokens: 24}
""")
    step1 = ws.read("llm_first__01_llm_back_translate").to_pylist()
    assert len(step1) == 1 and step1[0]["level"] == 5 and step1[0]["aug_method"] == "llm_back_translate"
    # step 2 keeps its input row and adds two paraphrases of it, with distinct stable ids
    assert [r["_parent_id"] for r in rows] == [step1[0]["_parent_id"], step1[0]["_id"], step1[0]["_id"]]
    assert [r["aug_method"] for r in rows] == ["llm_back_translate", "llm_paraphrase", "llm_paraphrase"]
    assert len({r["_id"] for r in rows}) == 3 and all(r["text"] for r in rows)


@pytest.mark.slow
def test_context_expansion_and_difficulty_escalation(llm_endpoint, tmp_path):  # noqa: F811
    rows, _ = run_twice(tmp_path, """
  - llm_expand_context: {where_column: level, max_tokens: 24}
""", name="exp")
    ids = {r["_id"]: r for r in rows}
    new = _new_rows(rows)
    assert len(rows) == 4 and len(new) == 2  # where_column without where_min: every non-null row
    assert all(n["_parent_id"] in ids and n["aug_method"] == "llm_expand_context" and n["text"] for n in new)
    rows, _ = run_twice(tmp_path / "esc", "  - llm_escalate_difficulty: {where_column: level, where_min: 5, "
                                          "max_tokens: 24}\n", name="esc")
    new = _new_rows(rows)
    assert len(new) == 1 and new[0]["level"] == 5 and new[0]["aug_method"] == "llm_escalate_difficulty"


@pytest.mark.slow
def test_synthesis_operators(llm_endpoint, tmp_path):  # noqa: F811
    rows, _ = run_twice(tmp_path, """
  - llm_qa_synthesis: {max_tokens: 96, keep_input: true}
""", rows=DOCS[:1], name="qa")
    new = _new_rows(rows)
    assert len(rows) == 1 + len(new) and len(new) <= 1
    assert all(n["instruction"] and n["response"] and n["synth_method"] == "llm_qa_synthesis" for n in new)

    seeds = [{"text": "seed", "system": "You are a chemistry tutor."}]
    rows, _ = run_twice(tmp_path / "m", "  - llm_magpie: {n: 2, system_field: system, max_tokens: 24}\n",
                        rows=seeds, name="magpie")
    assert 1 <= len(rows) <= 2 and len({r["_id"] for r in rows}) == len(rows)
    assert all(r["instruction"] and "<|im_end|>" not in r["instruction"] and r["response"] for r in rows)

    topics = [{"text": "", "topic": "fractions"}, {"text": "", "topic": "gravity"}]
    rows, _ = run_twice(tmp_path / "t", "  - llm_template_synthesis: {template: 'Explain $topic in one sentence.', "
                                        "max_tokens: 16}\n", rows=topics, name="tpl")
    assert [r["instruction"] for r in rows] == ["Explain fractions in one sentence.", "Explain gravity in one sentence."]
    assert all(r["response"] and r["synth_method"] == "llm_template_synthesis" for r in rows)


@pytest.mark.slow
def test_ifd_and_superfilter_with_local_model(tmp_path):
    pairs = [
        {"instruction": "What is the capital of France?", "response": "The capital of France is Paris."},
        {"instruction": "Translate 'cat' into French.", "response": "The capital of France is Paris."},
        {"instruction": "Write the numbers one to five.", "response": "one two three four five"},
        {"instruction": "Say something.", "response": ""},
    ]
    data = write_jsonl(tmp_path / "in.jsonl", pairs)
    recipe = Recipe.from_yaml(f"""
name: ifd
input: {{path: {data}}}
workers: 1
steps:
  - llm_ifd_filter: {{max_ifd: 100}}
  - llm_superfilter: {{keep_fraction: 0.5, max_ifd: 100}}
""")
    run_recipe(recipe, workspace=tmp_path / "ws", progress=False)
    ws = Workspace(tmp_path / "ws")
    step1 = ws.read("ifd__01_llm_ifd_filter").to_pylist()
    assert len(step1) == 3  # the empty response is dropped
    for r in step1:
        assert r["ifd"] > 0 and abs(r["ifd"] - r["ppl_conditioned"] / r["ppl_response"]) < 1e-9
    by_instr = {r["instruction"]: r for r in step1}
    # the same response is easier to predict after the matching question than after an unrelated one
    assert by_instr["What is the capital of France?"]["ifd"] < by_instr["Translate 'cat' into French."]["ifd"]
    kept = ws.read("ifd").to_pylist()
    assert len(kept) == 2 and min(r["ifd"] for r in kept) >= max(r["ifd"] for r in step1 if r not in kept)
    reasons = ws.sql("SELECT step, reason FROM lineage WHERE run = 'ifd' ORDER BY step").to_pylist()
    assert reasons[0] == {"step": "01_llm_ifd_filter", "reason": "empty response"}
    assert reasons[1]["reason"].endswith("below the top 50%")


def test_operator_metadata_is_complete():
    from tilth.ops.registry import all_operators

    llm_ops = {c.name: c for c in all_operators() if c.name.startswith("llm_")}
    assert set(llm_ops) == {"llm_quality_filter", "llm_rewrite", "llm_paraphrase", "llm_back_translate",
                            "llm_expand_context", "llm_escalate_difficulty", "llm_qa_synthesis", "llm_magpie",
                            "llm_template_synthesis", "llm_annotate", "llm_judge", "llm_ifd_filter",
                            "llm_superfilter", "llm_translate"}
    for cls in llm_ops.values():
        meta = cls.metadata()
        assert meta["description"] and all(p["description"] for p in meta["params"]), cls.name
        assert meta["resources"]["llm"] == (cls.name not in {"llm_ifd_filter", "llm_superfilter"})
