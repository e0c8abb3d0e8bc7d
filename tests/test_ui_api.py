"""`tilth ui` through its HTTP API (FastAPI TestClient) on a workspace built by a real `tilth run`: exact
pages, filters and counts, lineage and row paths, the read-only SQL box under hostile queries, escaping of
HTML found in the data, human-evaluation labels and agreement, experiments, and the access guards."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from ui_fixtures import HOSTILE, ROOT, build_workspace

from tilth.storage import Workspace
from tilth.ui import agreement, sqlbox
from tilth.ui.app import create_app
from tilth.ui.store import Store


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("ui-api"))


@pytest.fixture(scope="module")
def client(built):
    return TestClient(create_app(built[0]))


@pytest.fixture(scope="module")
def clean(built):
    return Workspace(built[0], read_only=True).read("clean").to_pylist()


def test_overview_lists_the_run_its_steps_and_the_output_dataset(client, built):
    _, counts = built
    data = client.get("/api/overview").json()
    (run,) = data["runs"]
    assert run["run"] == "webclean" and run["status"] == "done"
    assert run["executor"] == "local"  # its name, not the JSON the runs table keeps ('"local"')
    assert [s["step"] for s in run["steps"]] == ["00_read_jsonl", "01_normalize", "02_length_filter", "03_exact_dedup"]
    read = counts["paragraphs"] + counts["duplicates"] + counts["short"] + 1  # + the HTML row
    assert [s["rows_out"] for s in run["steps"]] == [read, read, read - counts["short"], read - counts["short"] - counts["duplicates"]]
    assert [s["rows_dropped"] for s in run["steps"]] == [0, 0, counts["short"], counts["duplicates"]]
    assert run["steps"][0]["rows_quarantined"] == counts["malformed"]
    assert [(d["name"], d["rows"], d["latest"]) for d in data["datasets"]] == [("clean", run["rows_out"], 1)]
    page = client.get("/")
    assert page.status_code == 200 and 'href="/runs/webclean"' in page.text and 'href="/datasets/clean"' in page.text


def test_pages_walk_the_whole_dataset_in_canonical_order(client, clean):
    seen, page_no = [], 1
    while True:
        data = client.get(f"/api/datasets/clean/rows?page={page_no}&size=20").json()
        assert data["total"] == len(clean) and data["offset"] == (page_no - 1) * 20
        ids = [c["name"] for c in data["columns"]].index("_id")
        seen += [r[ids] for r in data["rows"]]
        if not data["has_next"]:
            break
        page_no += 1
    assert page_no == 4 and seen == [str(r["_id"]) for r in clean]  # ids as strings: JavaScript numbers lose digits


def test_column_filters_and_search_match_python(client, clean):
    def rows(query):
        data = client.get(f"/api/datasets/clean/rows?size=500&{query}").json()
        assert data["total"] is None  # a filtered page does not count (a full scan); /count does
        return data["rows"]

    long_rows = [r for r in clean if r["length_words"] >= 40]
    assert len(rows("f:length_words=%3E%3D40")) == len(long_rows) > 0
    assert client.get("/api/datasets/clean/count?f:length_words=%3E%3D40").json() == {"rows": len(long_rows)}
    lib = [r for r in clean if "lib" in r["source"].lower()]
    assert len(rows("f:source=LIB")) == len(lib) > 0
    assert len(rows("f:source=%3Ddocs")) == sum(r["source"] == "docs" for r in clean)
    hits = [r for r in clean if "feature" in r["text"].lower() or "feature" in r["source"].lower()]
    assert len(rows("q=Feature")) == len(hits) > 0
    assert rows("q=no+such+words+anywhere") == []


def test_bad_filters_and_missing_datasets_are_clear_errors(client):
    r = client.get("/api/datasets/clean/rows?f:nope=1")
    assert r.status_code == 400 and r.json()["error"].startswith("no column 'nope' in clean (columns: _id, ")
    r = client.get("/api/datasets/clean/rows?f:length_words=abc")
    assert r.status_code == 400 and r.json() == {"error": "filter on length_words: 'abc' is not a number"}
    r = client.get("/api/datasets/missing/rows")
    assert r.status_code == 404 and r.json()["error"].startswith("no dataset 'missing' in this workspace")
    page = client.get("/datasets/missing")
    assert page.status_code == 404 and "no dataset &#39;missing&#39; in this workspace" in page.text
    assert client.get("/api/datasets/clean/rows?version=7").status_code == 404
    assert client.get("/api/rows/12abc").status_code == 400
    # a mistyped query parameter names itself, as JSON or as a page, not FastAPI's raw 422 body
    r = client.get("/api/datasets/clean/rows?page=abc")
    assert r.status_code == 400 and r.json()["error"].startswith("page: Input should be a valid integer") \
        and r.json()["error"].endswith("(got 'abc')")
    page = client.get("/datasets/clean?page=abc")
    assert page.status_code == 400 and "page: Input should be a valid integer" in page.text


def test_html_in_cell_values_is_escaped(client):
    page = client.get("/datasets/clean?q=alert")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; &amp; friends" in page.text
    assert "&lt;i&gt;html-source&lt;/i&gt;" in page.text
    assert "<script>alert" not in page.text and "<i>html-source" not in page.text
    api = client.get("/api/datasets/clean/rows?q=alert").json()
    assert [r[1] for r in api["rows"]] == [HOSTILE]  # JSON carries the value as it is; the pages set it as text


def test_sql_box_answers_selects(client, built):
    r = client.post("/api/sql", json={"query": "SELECT step, count(*) AS n FROM lineage GROUP BY 1 ORDER BY 1"})
    _, counts = built
    assert r.json() == {"columns": ["step", "n"], "rows": [["01_normalize", 56], ["02_length_filter", counts["short"]],
                                                            ["03_exact_dedup", counts["duplicates"]]],
                        "truncated": False}
    r = client.post("/api/sql", json={"query": "SELECT * FROM range(10) t(x)", "limit": 3})
    assert r.json() == {"columns": ["x"], "rows": [[0], [1], [2]], "truncated": True}
    r = client.post("/api/sql", json={"query": "SELECT 1 AS a, 2 AS a"})
    assert r.json()["rows"] == [[1, 2]]


@pytest.mark.parametrize("query, error", [
    ("DELETE FROM lineage", "read-only: SELECT or EXPLAIN only, not DELETE; use `tilth sql` or a recipe to change the workspace"),
    ("DROP TABLE runs", "read-only: SELECT or EXPLAIN only, not DROP; use `tilth sql` or a recipe to change the workspace"),
    ("SELECT 1; DROP TABLE runs", "one statement at a time (got 2)"),
    ("COPY lineage TO '/tmp/tilth-ui-leak.csv'", "read-only: SELECT or EXPLAIN only, not COPY; use `tilth sql` or a recipe to change the workspace"),
    ("ATTACH '/tmp/tilth-ui-other.db' AS o", "read-only: SELECT or EXPLAIN only, not ATTACH; use `tilth sql` or a recipe to change the workspace"),
    ("SET enable_external_access = true", "read-only: SELECT or EXPLAIN only, not SET; use `tilth sql` or a recipe to change the workspace"),
    ("INSTALL httpfs", "read-only: SELECT or EXPLAIN only, not INSTALL; use `tilth sql` or a recipe to change the workspace"),
    ("  checkpoint", "read-only: SELECT or EXPLAIN only, not CHECKPOINT; use `tilth sql` or a recipe to change the workspace"),
])
def test_sql_box_refuses_writes_and_escapes(client, query, error):
    r = client.post("/api/sql", json={"query": query})
    assert r.status_code == 400 and r.json() == {"error": error}


def test_sql_box_cannot_read_files_outside_the_workspace_nor_write(client, built):
    r = client.post("/api/sql", json={"query": "SELECT * FROM read_text('/etc/passwd')"})
    assert r.status_code == 400 and "Permission Error" in r.json()["error"] and "/etc/passwd" in r.json()["error"]
    # a CTE cannot smuggle a write in (DuckDB has no data-modifying CTEs; the statement is still a SELECT)
    r = client.post("/api/sql", json={"query": "WITH x AS (DELETE FROM runs RETURNING *) SELECT * FROM x"})
    assert r.status_code == 400
    r = client.post("/api/sql", json={"query": "SELEC 1"})
    assert r.status_code == 400 and "syntax error" in r.json()["error"].lower()
    assert Workspace(built[0], read_only=True).sql("SELECT count(*) AS n FROM runs").to_pylist() == [{"n": 1}]


def test_sql_box_stops_a_runaway_query(built):
    with pytest.raises(sqlbox.QueryRefused, match=r"^stopped after 0.5 s; add a LIMIT or a WHERE$"):
        sqlbox.run(Store(built[0]), "SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1",
                   timeout_s=0.5)


def test_run_page_lists_drop_reasons_that_open_their_rows(client, built):
    _, counts = built
    run = client.get("/api/runs/webclean").json()
    assert [(d["step"], d["reason"], d["rows"]) for d in run["drops"]] == [
        ("02_length_filter", "words < min=8", counts["short"]), ("03_exact_dedup", "exact duplicate", counts["duplicates"])]
    assert run["quarantined"] == counts["malformed"]
    page = client.get("/runs/webclean")
    assert 'href="/runs/webclean/dropped?step=2&amp;reason=words%20%3C%20min%3D8"' in page.text
    assert page.text.count("<svg") == 2  # funnel and reasons
    short = client.get("/api/runs/webclean/dropped?step=2&reason=words < min=8").json()
    assert short["total"] == counts["short"] and len(short["rows"]) == counts["short"]
    assert {r["text"] for r in short["rows"]} == {"too short"}
    assert {r["reason"] for r in short["rows"]} == {"words < min=8"}
    assert all(r["scores"] == {"length_words": 2} for r in short["rows"])
    assert client.get("/api/runs/webclean/dropped?step=9&reason=x").status_code == 404
    assert client.get("/api/runs/nope").status_code == 404


def test_row_path_says_why_a_duplicate_was_dropped_and_what_the_normaliser_changed(client, built):
    ws = Workspace(built[0], read_only=True)
    dup = ws.sql("SELECT _id, duplicate_of FROM lineage WHERE step = '03_exact_dedup' ORDER BY _id LIMIT 1").to_pylist()[0]
    data = client.get(f"/api/rows/{dup['_id']}").json()
    (path,) = data["runs"]
    assert data["_id"] == path["_id"] == str(dup["_id"])  # strings: JavaScript numbers lose digits past 2**53
    assert path["status"] == "dropped" and [p["status"] for p in path["path"]] == ["read", "modified", "kept", "dropped"]
    assert path["path"][3]["reason"] == "exact duplicate" and path["path"][3]["duplicate_of"] == str(dup["duplicate_of"])
    original = ws.sql("SELECT text FROM clean WHERE _id = ?", [dup["duplicate_of"]]).column(0)[0].as_py()
    assert path["row"]["text"].split() == original.split()  # equal up to whitespace: what the dedup compared
    nbsp = ws.sql("SELECT _id, text FROM webclean__00_read_jsonl WHERE contains(text, chr(160)) ORDER BY _id LIMIT 1").to_pylist()[0]
    (path,) = client.get(f"/api/rows/{nbsp['_id']}?run=webclean").json()["runs"]
    change = next(c for c in path["path"][1]["changes"] if c["column"] == "text")
    after = [r["text"] for r in Workspace(built[0], read_only=True).read("webclean__01_normalize").to_pylist()
             if r["_id"] == nbsp["_id"]]
    assert change["before"] == nbsp["text"] and [change["after"]] == after and "\u00a0" not in after[0]
    page = client.get(f"/rows/{dup['_id']}")
    assert page.status_code == 200 and 'class="drop-reason">exact duplicate<' in page.text
    assert client.get("/api/rows/123").status_code == 404


def test_quarantine_rows(client):
    q = client.get("/api/runs/webclean/quarantine").json()
    assert q["total"] == 1 and q["rows"][0]["raw"].startswith('{"content": "a record cut off mid-write')


def test_agreement_math():
    assert agreement.cohen_kappa(["keep", "keep", "drop", "drop"], ["keep", "drop", "drop", "drop"]) == pytest.approx(0.5)
    assert agreement.cohen_kappa(["keep", "drop"], ["keep", "drop"]) == 1.0
    assert agreement.cohen_kappa(["keep"], ["keep"]) is None
    assert agreement.cohen_kappa(["keep", "keep"], ["keep", "keep"]) == 1.0
    assert agreement.confusion(["keep", "drop", "drop"], ["keep", "keep", "drop"]) == {
        "keep": {"keep": 1, "drop": 0}, "drop": {"keep": 1, "drop": 1}}
    best = agreement.best_threshold([2, 3, 9, 12, 40], ["drop", "drop", "keep", "keep", "keep"])
    assert best == {"direction": ">=", "threshold": 6.0, "kappa": 1.0, "accuracy": 1.0, "n": 5, "kept": 3}
    best = agreement.best_threshold([0.9, 0.8, 0.1, None], ["drop", "drop", "keep", "keep"])
    assert best["direction"] == "<=" and best["threshold"] == pytest.approx(0.45) and best["n"] == 3


def test_human_evaluation_sample_labels_and_kappa(tmp_path_factory):
    ws, counts = build_workspace(tmp_path_factory.mktemp("ui-eval"))  # its own: labels are written
    client = TestClient(create_app(ws))
    opts = client.get("/api/eval/options?run=webclean").json()
    assert opts == {"run": "webclean", "domains": ["source"], "scores": ["02_length_filter.length_words"]}
    made = client.post("/api/eval/samples", json={"name": "s1", "run": "webclean", "domain_column": "source",
                                                  "score": "02_length_filter.length_words", "bins": 2, "per_stratum": 2})
    assert made.status_code == 200, made.text
    strata = made.json()["strata"]
    # 6 source values (lib, docs, tests, dup, short, the HTML one) x 2 bins, at most 2 rows each; "short" rows
    # all have 2 words, so they fall in one bin
    assert {s["domain"] for s in strata} == {"lib", "docs", "tests", "dup", "short", "<i>html-source</i>"}
    assert all(1 <= s["rows"] <= 2 for s in strata) and made.json()["rows"] == sum(s["rows"] for s in strata)
    rows = client.get("/api/eval/s1/rows?annotator=ann").json()["rows"]
    assert len(rows) == made.json()["rows"] and all(r["label"] is None for r in rows)
    truth = {str(r["_id"]): r["step_index"] for r in Workspace(ws, read_only=True).sql(
        "SELECT _id, step_index FROM lineage WHERE action = 'drop'").to_pylist()}
    for r in rows:  # label as the length filter decided: full agreement with it
        label = "drop" if truth.get(r["_id"]) == 2 else "keep"
        rep = client.post("/api/eval/s1/labels", json={"id": r["_id"], "annotator": "ann", "label": label,
                                                       "rubric": {"clarity": 4}})
        assert rep.status_code == 200, rep.text
    rep = rep.json()
    assert rep["labelled"] == len(rows) and rep["annotators"] == ["ann"]
    length = next(f for f in rep["filters"] if f["step"] == "02_length_filter")
    n_short = sum(truth.get(r["_id"]) == 2 for r in rows)
    assert length["kappa"] == 1.0 and length["n"] == len(rows)
    assert length["confusion"] == {"keep": {"keep": len(rows) - n_short, "drop": 0}, "drop": {"keep": 0, "drop": n_short}}
    (score,) = rep["scores"]
    assert score["score"] == "02_length_filter.length_words" and score["direction"] == ">=" and score["kappa"] == 1.0
    assert 2 < score["threshold"] < 9  # between the short rows (2 words) and the shortest kept paragraph
    assert rep["rubric"] == {"clarity": {"mean": 4.0, "n": len(rows)}}
    stored = Workspace(ws, read_only=True).sql("SELECT annotator, count(*) AS n, min(labelled_at) IS NOT NULL AS t "
                                               "FROM human_labels GROUP BY 1").to_pylist()
    assert stored == [{"annotator": "ann", "n": len(rows), "t": True}]
    bad = client.post("/api/eval/s1/labels", json={"id": rows[0]["_id"], "annotator": "ann", "label": "maybe"})
    assert bad.status_code == 400 and bad.json() == {"error": "label must be keep or drop, not 'maybe'"}
    bad = client.post("/api/eval/s1/labels", json={"id": rows[0]["_id"], "annotator": " ", "label": "keep"})
    assert bad.json() == {"error": "say who you are (annotator) before labelling"}
    bad = client.post("/api/eval/s1/labels", json={"id": "1", "annotator": "ann", "label": "keep"})
    assert bad.status_code == 404 and bad.json() == {"error": "row 1 is not in sample 's1'"}
    bad = client.post("/api/eval/s1/labels", json={"id": rows[0]["_id"], "annotator": "ann", "label": "keep",
                                                   "rubric": {"clarity": 9}})
    assert bad.status_code == 400 and bad.json()["error"].startswith("rubric clarity=9: use clarity, correctness, tone")
    assert client.get("/eval").text.count('href="/eval/s1"') == 1
    assert client.get("/api/eval/nope/agreement").status_code == 404


def test_experiments_show_loss_curves_and_mixture_weights(tmp_path):
    from tilth.train.runlog import RunLog

    ws = Workspace(tmp_path / "ws")
    client = TestClient(create_app(ws.root))
    assert client.get("/api/experiments").json() == {"runs": [], "loss": None, "per_run": []}
    for run, strategy in (("base", "uniform"), ("doremi-1", "doremi")):
        log = RunLog(ws, run, strategy, 0, ["code", "prose"], None, {"steps": 50})
        for step in range(50):
            log.step(step, tokens=(step + 1) * 512, loss=4.0 - step / 25, ms=3.0, weights=[0.5 + step / 200, 0.5 - step / 200])
        log.eval(49, [2.1, 2.3])
        log.flush()
    data = client.get("/api/experiments?run=base&run=doremi-1").json()
    assert sorted((r["run"], r["strategy"], r["steps"], r["tokens"], r["last_loss"]) for r in data["runs"]) == [
        ("base", "uniform", 50, 50 * 512, 2.04), ("doremi-1", "doremi", 50, 50 * 512, 2.04)]
    assert data["loss"].count("<polyline") == 2 and ">base (uniform)<" in data["loss"]
    assert [len(r["figures"]) for r in data["per_run"]] == [2, 2]  # mixture weights, eval loss per domain
    assert client.get("/experiments?run=base").text.count("<polyline") == 1 + 2 + 2
    assert client.get("/api/experiments?run=nope").status_code == 404


def test_token_host_and_json_guards(built):
    guarded = TestClient(create_app(built[0], token="s3cret"))
    r = guarded.get("/api/overview")
    assert r.status_code == 401 and r.json()["error"].startswith("this Tilth UI needs its token")
    assert guarded.get("/api/overview?token=wrong").status_code == 401
    assert guarded.get("/?token=s3cret").status_code == 200
    assert guarded.get("/api/overview").status_code == 200  # the cookie set by the first visit
    assert TestClient(create_app(built[0], token="s3cret")).get(
        "/api/overview", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    local = TestClient(create_app(built[0], allowed_hosts=("127.0.0.1", "localhost", "testserver")))
    assert local.get("/api/overview").status_code == 200
    assert local.get("/api/overview", headers={"Host": "evil.example:8765"}).status_code == 403
    r = local.post("/api/sql", content="query=SELECT 1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    page = local.get("/")
    assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_cli_refuses_a_public_address_without_a_token_and_stays_light(built):
    from typer.testing import CliRunner

    from tilth.cli import app

    out = CliRunner().invoke(app, ["ui", "-w", str(built[0]), "--host", "0.0.0.0"])
    assert out.exit_code == 2
    assert "--host 0.0.0.0 lets other machines read this workspace; add --token auto" in " ".join(out.output.split())
    code = "import sys, tilth.cli; print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'jinja2') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "[]", done.stderr
    out = CliRunner().invoke(app, ["ui", "-w", str(built[0] / "nope")])
    assert out.exit_code == 2 and "no Tilth workspace at" in out.output


def test_pages_straddle_parts_of_uneven_sizes_and_columns(tmp_path):
    """A plain page reads only the parts it overlaps: pages crossing part ends, and a part without a column
    (NULLs there, as the dataset's view gives), must equal the dataset read whole."""
    import pyarrow as pa

    from tilth.storage.parts import write_part

    ws = Workspace(tmp_path / "ws")
    d = tmp_path / "ws" / "tables" / "mixed" / "v1"
    ids = iter(range(1000, 2000))
    for i, (n, cols) in enumerate([(7, ("text", "score")), (5, ("text",)), (9, ("text", "score"))]):
        t = {"_id": [next(ids) for _ in range(n)], "text": [f"part {i} row {k}" for k in range(n)]}
        if "score" in cols:
            t["score"] = [k / 10 for k in range(n)]
        write_part(pa.table(t), d / f"part-{i:05d}.parquet")
    with ws.connect() as con:
        ws.register_version(con, "mixed", d)
    want = ws.sql("SELECT _id, text, score FROM mixed").to_pylist()
    client = TestClient(create_app(ws.root))
    got = []
    for page_no in range(1, 7):
        data = client.get(f"/api/datasets/mixed/rows?page={page_no}&size=4").json()
        assert [c["name"] for c in data["columns"]] == ["_id", "text", "score"] and data["total"] == 21
        got += [dict(zip(["_id", "text", "score"], r, strict=True)) for r in data["rows"]]
        assert data["has_next"] == (page_no < 6)
    assert got == want and len(got) == 21 and got[8]["score"] is None
