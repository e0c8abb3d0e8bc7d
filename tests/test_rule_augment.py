"""random_edit and synonym_substitute: laws of the edits, WordNet synonyms checked against the raw
database files, Generator contract (ids, parents, where filter), and identical output under any batching
and executor."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.tasks import apply_generator, apply_mapper
from tilth.ops import build
from tilth.ops.rewrite.random_edit import random_edit
from tilth.ops.rewrite.synonym_substitute import STOPWORDS, WordNet, WordNetMissing, load_wordnet
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace
from tilth.storage.ids import derived_ids

PARAS = [" ".join(p.split()) for p in stdlib_paragraphs(12, min_words=15)]
VOCAB = sorted({w for p in PARAS for w in p.split()})
WS = st.sampled_from([" ", "  ", "\n", " \n\t"])


@st.composite
def texts(draw):
    words = draw(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=30))
    seps = draw(st.lists(WS, min_size=len(words) + 1, max_size=len(words) + 1))
    lead = seps[0] if draw(st.booleans()) else ""
    tail = seps[-1] if draw(st.booleans()) else ""
    return lead + "".join(w + (s if i < len(words) - 1 else "") for i, (w, s) in enumerate(zip(words, seps[1:], strict=True))) + tail


def is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@settings(max_examples=150, deadline=None)
@given(texts(), st.integers(0, 2**32 - 1), st.floats(0.05, 0.9))
def test_deletion_keeps_a_nonempty_subsequence_and_the_text_edges(text, seed, p):
    out = random_edit(text, np.random.default_rng(seed), p, 0.0)
    assert 1 <= len(out.split()) <= len(text.split())
    assert is_subsequence(out.split(), text.split())
    lead, tail = re.match(r"\s*", text).group(), re.search(r"\s*$", text).group()
    assert out.startswith(lead) and out.endswith(tail)
    assert out == random_edit(text, np.random.default_rng(seed), p, 0.0)  # seeded


@settings(max_examples=150, deadline=None)
@given(texts(), st.integers(0, 2**32 - 1), st.floats(0.01, 1.0))
def test_swaps_permute_words_and_keep_the_whitespace_layout(text, seed, f):
    out = random_edit(text, np.random.default_rng(seed), 0.0, f)
    assert Counter(out.split()) == Counter(text.split())
    assert re.findall(r"\s+", out) == re.findall(r"\s+", text)


@pytest.fixture(scope="module")
def wordnet() -> WordNet:
    return load_wordnet()


@pytest.fixture(scope="module")
def synsets(wordnet) -> list[set[str]]:
    """Every synset's lemma set, read straight from the data files (no index, no offsets)."""
    out = []
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (wordnet.dir / f"data.{pos}").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(" "):
                continue
            f = line.split()
            n = int(f[3], 16)
            out.append({re.sub(r"\(.*\)$", "", w).lower() for w in f[4 : 4 + 2 * n : 2]})
    return out


def test_wordnet_synonyms_share_a_synset_in_the_raw_files(wordnet, synsets):
    for word in ["car", "large", "quickly", "use", "program", "difficult"]:
        syns = wordnet.synonyms(word)
        assert syns, word
        for s in syns:
            assert any(word in ss and s.lower().replace(" ", "_") in ss for ss in synsets), (word, s)


def test_missing_wordnet_says_how_to_install_it(tmp_path, monkeypatch):
    with pytest.raises(WordNetMissing, match="apt-get install wordnet-base"):
        WordNet(tmp_path)
    op = build("synonym_substitute", {"wordnet_dir": str(tmp_path)})
    with pytest.raises(WordNetMissing, match="TILTH_WORDNET_DIR"):
        op.ensure_ready()


def test_substitution_replaces_words_by_synonyms_only(wordnet):
    op = build("synonym_substitute", {"fraction": 0.5})
    op.ensure_ready()
    changed = 0
    for i, text in enumerate(PARAS):
        out = op.edit(text, np.random.default_rng(i))
        a, b = re.split(r"([A-Za-z]+(?:'[A-Za-z]+)?)", text), re.split(r"([A-Za-z]+(?:'[A-Za-z]+)?)", out)
        assert len(a) == len(b)  # single-word synonyms: same word/separator skeleton
        for x, y in zip(a, b, strict=True):
            if x != y:
                changed += 1
                assert x.lower() not in STOPWORDS and y.lower() in {s.lower() for s in wordnet.synonyms(x)}
                assert x[0].isupper() == y[0].isupper()
    assert changed >= len(PARAS)  # at least one replacement per paragraph


def table(n: int = 12) -> pa.Table:
    ids = derived_ids(np.arange(n, dtype=np.int64), 99)
    difficulty = [None if i % 5 == 4 else i / n for i in range(n)]
    return pa.table({"_id": pa.array(ids, pa.int64()), "text": PARAS[:n], "difficulty": difficulty,
                     "source": [f"s{i}" for i in range(n)]})


@pytest.mark.parametrize("name", ["random_edit", "synonym_substitute"])
def test_generator_contract_where_filter_and_batch_independence(name):
    t = table()
    op = build(name, {"n_variants": 2, "where_column": "difficulty", "where_min": 0.5, "seed": 3})
    new = op.generate(t)
    parents = t.filter(pa.array([d is not None and d >= 0.5 for d in t.column("difficulty").to_pylist()]))
    by_id = {r["_id"]: r for r in t.to_pylist()}
    assert set(new.column("_parent_id").to_pylist()) == set(parents.column("_id").to_pylist())
    for r in new.to_pylist():
        parent = by_id[r["_parent_id"]]
        assert r["text"] != parent["text"] and (r["source"], r["difficulty"]) == (parent["source"], parent["difficulty"])
    ids = new.column("_id").to_pylist()
    assert len(set(ids)) == len(ids) and not set(ids) & set(by_id)
    # same rows whatever the batching, and on a re-run
    halves = pa.concat_tables([op.generate(t.slice(0, 7)), op.generate(t.slice(7))])
    assert halves.equals(new) and build(name, op.params.model_dump()).generate(t).equals(new)
    out, lineage = apply_generator(op, t)
    assert out.num_rows == t.num_rows + new.num_rows and lineage.num_rows == new.num_rows
    only_new, _ = apply_generator(build(name, {**op.params.model_dump(), "keep_input": False}), t)
    assert only_new.equals(new)
    other_seed = build(name, {**op.params.model_dump(), "seed": 4}).generate(t)
    assert not set(other_seed.column("_id").to_pylist()) & set(ids)


def test_where_params_must_come_together():
    with pytest.raises(ValueError, match="where_column and where_min"):
        build("random_edit", {"where_column": "difficulty"})


def test_recipe_output_is_the_same_for_any_partitioning_and_worker_count(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": p, "difficulty": i % 3}) + "\n" for i, p in enumerate(PARAS)))
    steps = [{"synonym_substitute": {"where_column": "difficulty", "where_min": 1, "seed": 7}},
             {"random_edit": {"delete_prob": 0.2, "swap_fraction": 0.1, "keep_input": False}}]
    results = []
    for run, (batch, workers) in enumerate([(3, 2), (100, 1)]):
        recipe = Recipe.model_validate({"name": f"r{run}", "input": {"path": str(path), "batch_size": batch},
                                        "steps": steps, "workers": workers})
        res = run_recipe(recipe, tmp_path / "ws", progress=False)
        n_hard = sum(1 for i in range(len(PARAS)) if i % 3 >= 1)
        assert [s.added for s in res.steps] == [0, n_hard, res.steps[2].rows_out]
        results.append(Workspace(tmp_path / "ws").sql(f"SELECT _id, _parent_id, text FROM r{run} ORDER BY _id").to_pylist())
    assert results[0] == results[1] and len(results[0]) > len(PARAS)


@pytest.mark.parametrize("name", ["random_edit_inplace", "synonym_substitute_inplace"])
def test_in_place_forms_rewrite_only_eligible_rows_and_keep_ids(name):
    t = table()
    op = build(name, {"where_column": "difficulty", "where_min": 0.5, "seed": 3})
    out, lineage = apply_mapper(op, t)
    eligible = [d is not None and d >= 0.5 for d in t.column("difficulty").to_pylist()]
    before, after = t.column("text").to_pylist(), out.column("text").to_pylist()
    changed = [b != a for b, a in zip(before, after, strict=True)]
    assert changed == eligible  # every eligible paragraph has a replaceable word, no other row is touched
    assert out.column("_id").equals(t.column("_id")) and out.drop_columns(["text"]).equals(t.drop_columns(["text"]))
    assert lineage.column("_id").to_pylist() == [i for i, c in zip(t.column("_id").to_pylist(), changed, strict=True) if c]
    halves = pa.concat_tables([op.map(t.slice(0, 5)), op.map(t.slice(5))])
    assert halves.equals(out)


def test_a_label_selects_the_rows_to_augment():
    """"For rows whose origin is synthetic only, back-translate ...": where_values picks rows by a label, with
    value_filter's matching; a bound and a label together are refused."""
    t = pa.table({"_id": pa.array([1, 2, 3, 4], pa.int64()), "text": ["one two three four five six"] * 4,
                  "origin": ["synthetic", "human", None, "synthetic"]})
    op = build("random_edit", {"n_variants": 1, "where_column": "origin", "where_values": ["synthetic"], "seed": 1})
    assert sorted(op.generate(t).column("_parent_id").to_pylist()) == [1, 4]
    with pytest.raises(ValueError, match="not both"):
        build("random_edit", {"where_column": "origin", "where_values": ["x"], "where_min": 1})
    with pytest.raises(ValueError, match="where_values needs where_column"):
        build("llm_rewrite", {"where_values": ["x"]})
