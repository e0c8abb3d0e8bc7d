"""Documentation Q&A: retrieval over doc sections and operator metadata, extractive answers with citations."""

from __future__ import annotations

import pytest

from tilth.agent.docqa import DocQA, doc_passages


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    (d / "guide.md").write_text(
        "# Guide\n\nTilth prepares data.\n\n## Running recipes\n\nRun a recipe with `tilth run recipe.yaml`. "
        "Finished steps are reused when you run it again.\n\n## Workspaces\n\nA workspace is one DuckDB file "
        "plus Parquet parts. Query it with `tilth sql`.\n")
    (d / "operators.md").write_text("# Operator reference\n\ngenerated, skipped\n")
    return DocQA(d, use_embeddings=False)


def test_sections_are_split_at_headings_with_anchors(qa, tmp_path):
    sources = [p.source for p in qa.passages if p.source.startswith("docs/")]
    assert sources == ["docs/guide.md#guide", "docs/guide.md#running-recipes", "docs/guide.md#workspaces"]


def test_answer_cites_the_doc_section(qa):
    ans = qa.answer("How do I run a recipe again?", k=2)
    assert ans["citations"][0] == "docs/guide.md#running-recipes"
    assert "Run a recipe with `tilth run recipe.yaml`. [docs/guide.md#running-recipes]" in ans["answer"]
    assert ans["mode"] == "extractive"


def test_operator_questions_cite_the_operator(qa):
    ans = qa.answer("which operator removes exact duplicates?", k=3)
    assert "operator:exact_dedup" in ans["citations"]
    assert "[operator:exact_dedup]" in ans["answer"]


def test_llm_mode_passes_the_passages(qa):
    seen = []
    qa2 = DocQA.__new__(DocQA)
    qa2.passages, qa2.index, qa2.chat = qa.passages, qa.index, lambda m: seen.append(m) or "Use tilth sql [x]."
    ans = qa2.answer("how do I query the workspace?")
    assert ans["mode"] == "llm" and ans["answer"] == "Use tilth sql [x]."
    assert "[docs/guide.md#workspaces]" in seen[0][1]["content"]


def test_project_docs_include_the_agent_guide():
    sources = {p.source for p in doc_passages()}
    assert "docs/agent.md#choosing-a-planner" in sources and "docs/agent.md#validation" in sources
