"""Documentation Q&A: README.md + docs/ sections and operator metadata, extractive answers with citations."""

from __future__ import annotations

import socket
import time

import pytest
from typer.testing import CliRunner

from tilth.agent import doccorpus
from tilth.agent.docqa import DocQA, direction, doc_passages, doc_tokenize
from tilth.agent.llm import configured_chat
from tilth.agent.retrieve import HybridIndex

README = """# Demo

Demo prepares data.

```bash
# a comment in a code block, not a heading
demo run recipe.yaml
```

## How it runs

- **Resume and caching.** Re-running a recipe continues an interrupted step from its last finished part.
- **Executors.** Processes on one machine, or a cluster.

## How it runs

A second section with the same title.
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("repo")
    (r / "README.md").write_text(README)
    (r / "docs" / "more").mkdir(parents=True)
    (r / "docs" / "guide.md").write_text(
        "# Guide\n\nTilth prepares data.\n\n## Running recipes\n\nRun a recipe with `tilth run recipe.yaml`. "
        "Finished steps are reused when you run it again.\n\n## Workspaces\n\nA workspace is one DuckDB file "
        "plus Parquet parts. Query it with `tilth sql`.\n")
    (r / "docs" / "operators.md").write_text("# Operator reference\n\ngenerated, skipped\n")
    (r / "docs" / "more" / "deep.md").write_text("# Deep\n\nNested docs are indexed too.\n")
    return r


@pytest.fixture(scope="module")
def qa(root):
    return DocQA(root, use_embeddings=False)


def test_readme_and_docs_are_split_at_headings_with_github_anchors(root):
    sources = [p.source for p in doc_passages(root)]
    assert sources == ["README.md#demo", "README.md#how-it-runs", "README.md#how-it-runs-1",
                       "docs/guide.md#guide", "docs/guide.md#running-recipes", "docs/guide.md#workspaces",
                       "docs/more/deep.md#deep"]  # the code comment is no heading; operators.md is skipped
    assert "# a comment in a code block" in doc_passages(root)[0].text


def test_labelled_list_items_are_retrieved_on_their_own_and_cite_their_section(qa):
    ans = qa.answer("how do I resume after a crash?", k=2)
    assert ans["citations"][0] == "README.md#how-it-runs"
    assert "last finished part" in ans["answer"]


def test_answer_cites_the_doc_section(qa):
    ans = qa.answer("How do I run a recipe again?", k=2)
    assert ans["citations"][0] == "docs/guide.md#running-recipes"
    assert "Run a recipe with `tilth run recipe.yaml`. [docs/guide.md#running-recipes]" in ans["answer"]
    assert ans["mode"] == "extractive" and ans["note"] is None


def test_operator_questions_cite_the_operator(qa):
    ans = qa.answer("which operator removes exact duplicates?", k=3)
    assert "operator:exact_dedup" in ans["citations"]
    assert "[operator:exact_dedup]" in ans["answer"]


def test_write_questions_are_not_about_readers():
    assert direction(set(doc_tokenize("how do I export to Parquet?"))) == "write"
    assert direction(set(doc_tokenize("how do I load Parquet files?"))) == "read"
    assert direction(set(doc_tokenize("read JSONL and write Parquet"))) is None


def test_llm_mode_passes_the_passages(root):
    seen = []
    qa = DocQA(root, use_embeddings=False, chat=lambda m: seen.append(m) or "Use tilth sql [x].")
    ans = qa.answer("how do I query the workspace?")
    assert ans["mode"] == "llm" and ans["answer"] == "Use tilth sql [x]."
    assert "[docs/guide.md#workspaces]" in seen[0][1]["content"]


def _dead_url() -> str:
    with socket.socket() as s:  # a port that was just free: nothing listens, so connections are refused
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_dead_endpoint_falls_back_to_the_extractive_answer(root, monkeypatch):
    monkeypatch.setenv("TILTH_LLM_URL", _dead_url())
    t0 = time.perf_counter()
    ans = DocQA(root, use_embeddings=False, chat=configured_chat(max_retries=1)).answer("how do I query the workspace?")
    assert time.perf_counter() - t0 < 10
    assert ans["mode"] == "extractive" and "[docs/guide.md#workspaces]" in ans["answer"]
    assert "failed" in ans["note"] and "ConnectError" in ans["note"] and "\n" not in ans["note"]


def test_cli_ask_with_a_dead_endpoint_prints_a_note_not_a_traceback(monkeypatch):
    from tilth.cli import app

    monkeypatch.setenv("TILTH_LLM_URL", _dead_url())
    res = CliRunner().invoke(app, ["ask", "how do I export to Parquet?", "--no-embed"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and res.exception is None
    assert "note: the chat model" in res.output and "README.md#exporting-a-dataset" in res.output


def test_find_root_in_a_checkout_and_in_site_packages(tmp_path, monkeypatch):
    assert (doccorpus.find_root() / "docs" / "agent.md").is_file()
    fake = tmp_path / "site-packages" / "tilth" / "agent" / "doccorpus.py"
    monkeypatch.setattr(doccorpus, "__file__", str(fake))
    assert doccorpus.find_root() is None
    monkeypatch.setenv(doccorpus.ROOT_ENV, str(tmp_path / "nowhere"))
    assert doccorpus.find_root() is None


def test_without_docs_answers_from_operator_metadata_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(doccorpus.ROOT_ENV, str(tmp_path / "nowhere"))
    ans = DocQA(use_embeddings=False).answer("which operator removes exact duplicates?")
    assert ans["citations"] and all(c.startswith("operator:") for c in ans["citations"])
    assert "operator:exact_dedup" in ans["citations"]
    assert "not found" in ans["note"] and "TILTH_DOCS_ROOT" in ans["note"]


def test_hybrid_index_takes_a_tokenizer_without_changing_the_default():
    docs = ["Logged losses", "files"]
    assert HybridIndex(docs, use_embeddings=False).bm25.scores("log")[0] == 0  # logged -> logg
    assert HybridIndex(docs, use_embeddings=False, tokenizer=doc_tokenize).bm25.scores("log")[0] > 0


# -- the project's own docs: the questions users asked -------------------------------------------------------

@pytest.fixture(scope="module")
def project():
    return DocQA(use_embeddings=False)


@pytest.mark.parametrize("question, first, facts, never", [
    ("how do I resume a crashed run?", "README.md#how-a-run-works", ["re-run", "last finished part"], None),
    ("how do I export to Parquet?", "README.md#exporting-a-dataset", ["export:", ".parquet"], "operator:read_parquet"),
    ("how do I use my own vLLM server?", "docs/llm.md#endpoints", ["TILTH_LLM_URL", "llm:"], None),
])
def test_named_questions(project, question, first, facts, never):
    ans = project.answer(question)
    assert ans["citations"][0] == first, ans
    for fact in facts:
        assert fact.lower() in ans["answer"].lower(), (fact, ans["answer"])
    assert never not in ans["citations"]


def test_with_embeddings_the_export_question_cites_the_export_section():
    ans = DocQA(use_embeddings=True).answer("how do I export to Parquet?")
    assert ans["citations"][0] == "README.md#exporting-a-dataset"
    assert "export:" in ans["answer"]


def test_a_question_the_docs_say_nothing_about_gets_no_answer_and_exit_1():
    from tilth.cli import app

    qa = DocQA(use_embeddings=True)
    assert qa.answer("what is the capital of France?")["citations"] == []
    assert qa.answer("how do I resume a crashed run?")["citations"]
    res = CliRunner().invoke(app, ["ask", "how do I bake sourdough bread?"])
    assert res.exit_code == 1 and "found nothing" in res.output
