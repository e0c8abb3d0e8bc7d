"""The Data Agent's evaluation cases (tilth/agent/eval/cases_*.jsonl) are well formed.

Checks the files only, never a planner: ids, families and styles, that every operator and parameter a
case names exists in the registry and accepts the value, that the fixtures build and have the columns
the cases refer to, and the dev/test split rules described in tilth/agent/eval/README.md, for the first
batch (cases_dev / cases_test) and for batches b, c and d (cases_dev_b / cases_test_b, ...) alike.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tilth.agent.eval.data import FIXTURE_COLUMNS, fixture_columns, make_all
from tilth.ops import build, get
from tilth.ops.registry import UnknownOperator

EVAL = Path(__file__).resolve().parents[1] / "tilth" / "agent" / "eval"
SPLITS = ("dev", "test", "dev_b", "test_b", "dev_c", "test_c", "dev_d", "test_d")
BATCH_A = ("dev", "test")
BATCH_B = ("dev_b", "test_b")
BATCH_C = ("dev_c", "test_c")
SEED_B = 2026  # batch b's split seed (README.md: the first seed whose test half has every style)
FAMILIES = {
    "exact-dedup", "near-dedup", "semantic-dedup", "length", "language-id", "pii", "normalisation",
    "html-extraction", "heuristic-quality", "repetition", "perplexity", "token-count", "dataset-stats",
    "sample-metrics", "difficulty", "llm-quality", "llm-annotation", "llm-synthesis", "augmentation",
    "llm-rewrite", "back-translation", "ifd", "pdf", "multi-family", "out-of-scope",
}
STYLES = {"synonym", "indirect", "multi-step", "conditional", "column-specific", "negated", "analysis-only",
          "parameterised", "unsupported"}
KEYS = {"id", "family", "style", "data", "request", "expect", "params", "input", "no_drop", "forbid",
        "unsupported", "seen", "relabelled"}
# Parameters that name a column the step reads (so it must exist in the data or be written earlier).
COLUMN_PARAMS = {"text_field", "html_field", "url_field", "solution_field", "instruction_field", "response_field",
                 "system_field", "domain_field", "input_field", "output_field", "where_column", "column"}
# ...except where the parameter names a column the step writes.
WRITTEN = {("html_extract", "text_field"), ("html_extract", "title_field"), ("token_count", "output_field"),
           ("llm_annotate", "output_field"), ("llm_rewrite", "output_field"), ("llm_translate", "output_field")}
MIN_PER_FAMILY = 8


def load(split: str) -> list[dict]:
    with open(EVAL / f"cases_{split}.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = {s: load(s) for s in SPLITS}
ALL = [c for s in SPLITS for c in CASES[s]]


def exists(op: str) -> bool:
    try:
        get(op)
        return True
    except UnknownOperator:
        return False


def case_ops(c: dict) -> set[str]:
    return {op for slot in c["expect"] for op in slot}


def param_name(entry: dict, op: str) -> str:
    p = entry["param"]
    return p[op] if isinstance(p, dict) else p


def op_params(c: dict) -> dict[str, dict]:
    """{op: {param: value}} from the case's params entries."""
    out: dict[str, dict] = {}
    for e in c.get("params", []):
        for op in e["op"]:
            out.setdefault(op, {})[param_name(e, op)] = e["value"]
    return out


def written_columns(c: dict) -> set[str]:
    """Columns the case's expected operators may write (outputs formatted with defaults and the case's params)."""
    cols: set[str] = set()
    params = op_params(c)
    for op in case_ops(c):
        if not exists(op):
            continue
        meta = get(op).metadata()
        values = {p["name"]: p["default"] for p in meta["params"]} | params.get(op, {})
        for out in meta["outputs"]:
            try:
                cols.add(out.format(**values))
            except (KeyError, IndexError):
                pass
    return cols


def test_at_least_170_cases_with_unique_ids():
    assert len(ALL) >= 170
    ids = Counter(c["id"] for c in ALL)
    assert not [i for i, n in ids.items() if n > 1]


@pytest.mark.parametrize("case", ALL, ids=lambda c: c["id"])
def test_case_shape(case):
    assert set(case) <= KEYS, set(case) - KEYS
    assert {"id", "family", "style", "data", "request", "expect"} <= set(case)
    assert case["family"] in FAMILIES
    assert case["style"] in STYLES
    assert case["data"] in FIXTURE_COLUMNS
    assert isinstance(case["request"], str) and case["request"].strip()
    assert isinstance(case["expect"], list)
    assert all(isinstance(slot, list) and slot and all(isinstance(o, str) for o in slot) for slot in case["expect"])
    assert case["expect"] or case.get("unsupported"), "a case with no slots must say what is unsupported"
    if (case["style"] == "unsupported" or case["family"] == "out-of-scope") and "relabelled" not in case:
        assert case.get("unsupported")  # (a relabelled case's operator was added later: family and style stay)
    if "unsupported" in case:
        assert isinstance(case["unsupported"], list) and all(isinstance(u, str) and u for u in case["unsupported"])
    if "no_drop" in case:
        assert case["no_drop"] is True
    if "seen" in case:
        assert case["seen"] in ("complaint", "brief-example")


@pytest.mark.parametrize("case", ALL, ids=lambda c: c["id"])
def test_operators_exist(case):
    names = case_ops(case) | set(case.get("forbid", []))
    names |= {op for e in case.get("params", []) for op in e["op"]}
    missing = {op for op in names if not exists(op)}
    assert not missing or case.get("unsupported"), missing


@pytest.mark.parametrize("case", ALL, ids=lambda c: c["id"])
def test_params_are_real_and_valid(case):
    ops = case_ops(case)
    for e in case.get("params", []):
        assert set(e) <= {"op", "param", "value", "tol"}
        assert e["op"] and set(e["op"]) <= ops, f"{e} names an operator outside the case's slots"
        if isinstance(e["param"], dict):
            assert set(e["param"]) == set(e["op"])
        if "tol" in e:
            assert isinstance(e["value"], float)
        for op in e["op"]:
            if not exists(op):
                continue
            names = {p["name"] for p in get(op).metadata()["params"]}
            assert param_name(e, op) in names, f"{op} has no parameter {param_name(e, op)!r}"
    # Every operator accepts the values the case sets on it, together.
    for op, values in op_params(case).items():
        if exists(op):
            build(op, values)


@pytest.mark.parametrize("case", ALL, ids=lambda c: c["id"])
def test_forbid_and_no_drop_are_consistent(case):
    forbid = set(case.get("forbid", []))
    assert not forbid & case_ops(case)
    if case.get("no_drop"):
        for slot in case["expect"]:
            kinds = {get(op).kind for op in slot if exists(op)}
            assert kinds - {"filter", "deduplicator"}, f"slot {slot} can only be filled by dropping rows"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return make_all(tmp_path_factory.mktemp("eval_data"))


def test_fixtures_build_with_their_columns(fixtures):
    assert set(fixtures) == set(FIXTURE_COLUMNS)
    for kind, path in fixtures.items():
        assert Path(path).exists()
        assert set(fixture_columns(kind, path)) == set(FIXTURE_COLUMNS[kind]), kind
        if Path(path).is_file():
            with open(path) as f:
                n = sum(1 for _ in f)
            assert 40 <= n <= 150, (kind, n)


def test_new_fixtures_content(fixtures):
    rows = {k: [json.loads(x) for x in open(p)] for k, p in fixtures.items() if Path(p).is_file()}
    chat = rows["chat"]
    assert {r["rating"] for r in chat} <= {1, 2, 3, 4, 5} and all(isinstance(r["rating"], int) for r in chat)
    msgs = [r["customer_message"] for r in chat]
    assert len(set(msgs)) < len(msgs)
    assert any("@" in m for m in msgs) and any(len(m.split()) <= 2 for m in msgs)
    assert set(rows["multilingual"][0]) == {"id", "text"}
    assert all(r["code"].lstrip().startswith(("def ", "@")) for r in rows["code"])
    assert all(isinstance(r["stars"], int) for r in rows["reviews"])
    pdfs = sorted(Path(fixtures["pdf"]).glob("*.pdf"))
    assert len(pdfs) >= 3
    reader = build("read_pdf", {"path": fixtures["pdf"], "unit": "page"})
    pages = [r for shard in reader.shards() for t in reader.read(shard) for r in t.to_pylist()]
    assert len(pages) >= 10 and len({p["text"] for p in pages}) == len(pages)
    assert all(p["n_pages"] >= 2 for p in pages)


@pytest.mark.parametrize("case", ALL, ids=lambda c: c["id"])
def test_column_params_name_real_columns(case, fixtures):
    available = set(FIXTURE_COLUMNS[case["data"]]) | {"text"} | written_columns(case)
    for e in case.get("params", []):
        for op in e["op"]:
            name = param_name(e, op)
            if name not in COLUMN_PARAMS or (op, name) in WRITTEN:
                continue
            if name == "output_field" and op != "dataset_stats":
                continue
            if e["value"] is not None:
                assert e["value"] in available, f"{op}.{name}={e['value']!r} is not a column of {case['data']}"


@pytest.mark.parametrize("case", [c for c in ALL if "input" in c], ids=lambda c: c["id"])
def test_input_params_fit_the_reader(case, fixtures):
    reader = "read_pdf" if case["data"] == "pdf" else "read_jsonl"
    build(reader, {"path": fixtures[case["data"]], **case["input"]})


def test_split_rules():
    dev, test = CASES["dev"], CASES["test"]
    assert not [c["id"] for c in test if "seen" in c], "complaint and brief phrasings belong to dev only"
    assert {c["style"] for c in test} == STYLES
    fam = Counter(c["family"] for c in dev + test)
    for f in FAMILIES:
        assert fam[f] >= MIN_PER_FAMILY, f
        n_dev = sum(c["family"] == f for c in dev)
        assert abs(2 * n_dev - fam[f]) <= max(3, fam[f] // 3), (f, n_dev, fam[f])
    requests = Counter(c["request"].strip().lower() for c in ALL)
    assert not [r for r, n in requests.items() if n > 1]


def split_b(cases: list[dict], seed: int) -> set[str]:
    """Batch b's rule: per family (sorted), cases in file order, shuffled by one Random(seed); round(n/2) to test."""
    rng = random.Random(seed)
    by_family: dict[str, list[dict]] = defaultdict(list)
    for c in cases:
        by_family[c["family"]].append(c)
    test_ids: set[str] = set()
    for family in sorted(by_family):
        group = list(by_family[family])
        rng.shuffle(group)
        test_ids |= {c["id"] for c in group[:round(len(group) / 2)]}
    return test_ids


def test_split_rules_batch_b():
    dev, test = CASES["dev_b"], CASES["test_b"]
    batch = dev + test
    assert len(batch) >= 130
    assert all(c["id"].startswith("b-") for c in batch)
    assert not [c["id"] for c in batch if "seen" in c], "batch b has no seen cases"
    # The scratch file the split was drawn from listed families in sorted order and each family's cases by id,
    # and each half keeps that order, so the draw can be repeated from the two files.
    for part in (dev, test):
        assert part == sorted(part, key=lambda c: (c["family"], c["id"]))
    scratch = sorted(batch, key=lambda c: (c["family"], c["id"]))
    assert split_b(scratch, SEED_B) == {c["id"] for c in test}
    # The seed is the first from 2026 on whose test half has every style.
    for seed in range(2026, SEED_B):
        assert {c["style"] for c in scratch if c["id"] in split_b(scratch, seed)} != STYLES
    assert {c["style"] for c in test} == STYLES
    assert {c["family"] for c in dev} == {c["family"] for c in test} == FAMILIES
    fam = Counter(c["family"] for c in batch)
    assert all(n >= 5 for n in fam.values()), fam


@pytest.mark.parametrize("batch", ["c", "d"])
def test_split_rules_batches_c_and_d(batch):
    """Batch c was split by hand, by family and theme (a request and its paraphrases stay in one half); batch d
    was drawn at random within each family (seed 2031). Both halves: 45 cases each, sorted by family and id."""
    dev, test = CASES[f"dev_{batch}"], CASES[f"test_{batch}"]
    cases = dev + test
    assert len(dev) == len(test) == 45
    assert all(c["id"].startswith(f"{batch}-") for c in cases)
    assert not [c["id"] for c in cases if "seen" in c], "no seen cases"
    for part in (dev, test):
        assert part == sorted(part, key=lambda c: (c["family"], c["id"]))
        assert {c["style"] for c in part} == STYLES
    assert {c["family"] for c in dev} == {c["family"] for c in test} == FAMILIES
    fam = Counter(c["family"] for c in cases)
    assert all(n >= 3 for n in fam.values()), fam
