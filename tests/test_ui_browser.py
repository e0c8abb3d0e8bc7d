"""`tilth ui` in a real browser: Playwright (the pip package) drives Debian's Chromium headless against a real
uvicorn server over a workspace built by `tilth run`. Open the workspace, page through a dataset, find why
a row was dropped, label five rows with the keyboard and watch kappa update, accept an agent plan and see
its run finish. Skipped, saying why, where Chromium or Playwright is missing."""

from __future__ import annotations

import shutil

import pytest
from ui_fixtures import Server, build_workspace

from tilth.storage import Workspace
from tilth.ui import agreement
from tilth.ui.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium; "
                                "tilth.sh installs it when run as root)")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright pip package is not installed")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui-browser")
    ws, counts = build_workspace(tmp)
    with Server(create_app(ws, planner="offline", use_embeddings=False)) as srv:
        yield srv, ws, tmp


@pytest.fixture()
def page(browser):
    # bypass_csp: the UI's Content-Security-Policy forbids eval, which page.wait_for_function needs
    pg = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    pg.close()
    assert errors == []  # no script error on any page


def test_open_the_workspace_and_page_through_a_dataset(site, page):
    srv, ws, _ = site
    ids = [str(i) for i in Workspace(ws, read_only=True).read("clean", columns=["_id"]).column("_id").to_pylist()]
    page.goto(srv.url + "/")
    assert page.locator("#run-webclean h3 a").inner_text() == "webclean"
    page.click("#datasets a:text-is('clean')")
    assert page.locator("#rows-info").inner_text() == f"rows 1–50 of {len(ids)}"
    assert page.locator("#rows tbody tr td.id").all_inner_texts() == ids[:50]
    # a long text shows its first lines; a click opens it whole, another closes it
    clipped = page.locator("#rows .cell.clipped").first
    short = clipped.bounding_box()["height"]
    clipped.click()
    assert "full" in clipped.get_attribute("class") and clipped.bounding_box()["height"] > short
    clipped.click()
    assert "full" not in clipped.get_attribute("class")
    page.click("#next")
    assert page.locator("#rows-info").inner_text() == f"rows 51–{len(ids)} of {len(ids)}"
    assert page.locator("#rows tbody tr td.id").all_inner_texts() == ids[50:]
    assert page.locator("#next").count() == 0
    page.fill("input[name='f:source']", "docs")
    page.press("input[name='f:source']", "Enter")
    docs = Workspace(ws, read_only=True).sql("SELECT count(*) FROM clean WHERE contains(source, 'docs')").column(0)[0].as_py()
    page.wait_for_function("document.getElementById('total').textContent !== '…'")
    assert page.locator("#total").inner_text() == str(docs)
    assert page.locator("#rows tbody tr").count() == docs


def test_find_why_a_row_was_dropped(site, page):
    srv, ws, _ = site
    page.goto(srv.url + "/runs/webclean")
    page.click("#reasons a.reason:text-is('exact duplicate')")
    assert page.locator("h1 .reason-title").inner_text() == "exact duplicate"
    first = page.locator("#dropped tbody tr td.id a").first
    rid = first.inner_text()
    first.click()
    assert page.locator("#row-status").inner_text() == "dropped"
    assert page.locator(".drop-reason").inner_text() == "exact duplicate"
    expected = Workspace(ws, read_only=True).sql("SELECT duplicate_of FROM lineage WHERE _id = ? AND action = 'drop'", [int(rid)]).column(0)[0].as_py()
    assert page.locator("li.dropped .why a").inner_text() == str(expected)
    page.goto(srv.url + "/")  # and by typing the id into the header's lookup
    page.fill(".lookup input", rid)
    page.press(".lookup input", "Enter")
    assert page.locator("#row-status").inner_text() == "dropped"


def open_new_sample(page, url: str, name: str, annotator: str) -> None:
    """Draw a sample stratified by the length filter's score (through the API the form posts to: the form's
    option lists are refetched as the page settles, which made selecting in them racy under load) and open
    it for labelling as `annotator`."""
    made = page.request.post(url + "/api/eval/samples", data={
        "name": name, "run": "webclean", "domain_column": "source", "score": "02_length_filter.length_words",
        "bins": 4, "per_stratum": 3, "rubric": ["clarity", "correctness", "tone"]})
    assert made.ok, made.text()
    page.goto(f"{url}/eval/{name}")
    page.fill("#annotator", annotator)
    page.press("#annotator", "Tab")  # change event: rows reload for this annotator
    # the page's first load (no annotator yet) also shows '0 labelled': wait for the one for this annotator
    page.wait_for_function(f"document.getElementById('position').textContent.endsWith('0 labelled by {annotator}')")
    page.locator("#item-text").click()


def test_label_five_rows_with_the_keyboard_and_see_kappa_update(site, page):
    srv, ws, _ = site
    open_new_sample(page, srv.url, "kb", "ada")
    dropped_by_length = {r["_id"] for r in Workspace(ws, read_only=True).sql(
        "SELECT _id FROM lineage WHERE step_index = 2 AND action = 'drop'").to_pylist()}
    human, auto = [], []
    for k in range(5):
        rid = int(page.locator("#item-id").inner_text().removeprefix("_id "))
        truth = "drop" if rid in dropped_by_length else "keep"
        label = truth if k != 2 else ("keep" if truth == "drop" else "drop")  # disagree once
        page.keyboard.press("4")  # clarity 4, then correctness is the active dimension
        page.keyboard.press("Tab")  # tone
        page.keyboard.press("2")
        page.keyboard.press("k" if label == "keep" else "d")
        page.wait_for_function(f"document.getElementById('agree-summary').textContent.startsWith('{k + 1} rows labelled')"
                               " || !document.getElementById('label-error').hidden")
        assert page.locator("#label-error").is_hidden(), page.locator("#label-error").inner_text()
        if k < 4:  # the next row is shown (and its rubric reset) before its keys are pressed: the summary can update
            # first, and under load a "4" pressed in between was lost (a clean-clone run stored {"clarity": 2})
            page.wait_for_function(f"document.getElementById('item-id').textContent !== '_id {rid}'")
        human.append(label)
        auto.append(truth)
        kappa = page.locator("[data-step='02_length_filter'] .kappa").inner_text()
        expected = agreement.cohen_kappa(human, auto)
        assert kappa == ("–" if expected is None else f"{expected:.2f}")
    assert page.locator("#agree-summary").inner_text().startswith(f"5 rows labelled ({human.count('keep')} keep, "
                                                                    f"{human.count('drop')} drop) by ada")
    stored = Workspace(ws, read_only=True).sql(
        "SELECT label, rubric FROM human_labels WHERE sample = 'kb' AND annotator = 'ada' ORDER BY labelled_at").to_pylist()
    assert [r["label"] for r in stored] == human
    assert {r["rubric"] for r in stored} == {'{"clarity": 4, "tone": 2}'}


def test_accept_an_agent_plan_and_see_the_run_finish(site, page):
    srv, ws, tmp = site
    page.goto(srv.url + "/agent")
    page.fill("#agent-request", "Remove rows with fewer than 8 words and exact duplicates.")
    page.fill("#agent-data", str(tmp / "input.jsonl"))
    page.click("#agent-plan")
    page.wait_for_selector("#accept:not([disabled])", timeout=120_000)
    assert page.locator("#plan-steps li .op").all_inner_texts() == ["length_filter", "exact_dedup"]
    assert page.locator("#plan-valid").inner_text() == "validated by a dry run"
    min_words = page.locator("#plan-steps li[data-step='1'] input[name='min']")
    assert min_words.input_value() == "8"
    min_words.fill("10")  # edit a parameter: the plan is validated again before it can be accepted
    page.click("#apply-params")
    page.wait_for_function("document.querySelector(\"#plan-steps li[data-step='1'] input[name='min']\")?.value === '10' "
                           "&& !document.getElementById('accept').disabled", timeout=120_000)
    page.click("#accept")
    page.wait_for_function("document.getElementById('run-state').textContent === 'done'", timeout=180_000)
    steps = page.locator("#run-steps li")
    assert steps.count() == 3 and page.locator("#run-steps li.done").count() == 3
    run = page.locator("#run-name").inner_text()
    out = Workspace(ws, read_only=True).sql("SELECT step, rows_out FROM step_stats WHERE run = ? ORDER BY step_index",
                                            [run]).to_pylist()
    assert [s.inner_text().split("\n")[0] for s in steps.all()] == [r["step"] for r in out]
    assert f"{out[-1]['rows_out']} rows out" in steps.nth(2).inner_text()
    short = Workspace(ws, read_only=True).sql(
        "SELECT count(*) FROM lineage WHERE run = ? AND reason = 'words < min=10'", [run]).column(0)[0].as_py()
    assert short > 0  # the edited parameter is the one that ran
    page.click("#run-link")
    assert page.locator("h1").inner_text().startswith(f"Run {run}")


def test_rows_that_arrive_after_keys_were_pressed_do_not_undo_them(site, page):
    """The rows for a newly typed annotator are held back until three labels are saved: drawing them then
    showed row 1 and '0 labelled' (a full-suite run caught it); they are read again once the saves are in."""
    import re

    srv, _, _ = site
    made = page.request.post(srv.url + "/api/eval/samples", data={
        "name": "slow", "run": "webclean", "domain_column": "source", "score": "02_length_filter.length_words",
        "bins": 4, "per_stratum": 3})
    assert made.ok, made.text()
    page.goto(f"{srv.url}/eval/slow")
    page.wait_for_function("document.getElementById('position').textContent.startsWith('row 1 of')")
    held = []

    def hold_first(route):  # the server answers now, before any label; the page gets the answer later
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route(re.compile(r"/api/eval/slow/rows\?annotator=cy$"), hold_first)
    page.fill("#annotator", "cy")
    page.press("#annotator", "Tab")  # change event: this annotator's rows are asked for, and their answer held
    while not held:
        page.wait_for_timeout(20)
    page.locator("#item-text").click()
    for key in "kdk":
        page.keyboard.press(key)
    page.wait_for_function("document.getElementById('agree-summary').textContent.startsWith('3 rows labelled')")
    route, response = held[0]
    route.fulfill(response=response)
    page.wait_for_function("document.getElementById('position').textContent.endsWith('3 labelled by cy')")
    assert page.locator("#position").inner_text().startswith("row 4 of ")


def test_keys_pressed_faster_than_the_server_replies_label_consecutive_rows(site, page):
    srv, ws, _ = site
    open_new_sample(page, srv.url, "fast", "bo")
    first = int(page.locator("#item-id").inner_text().removeprefix("_id "))
    for key in "kdk":  # no waiting between keys: each save is still in flight when the next key comes
        page.keyboard.press(key)
    page.wait_for_function("document.getElementById('agree-summary').textContent.startsWith('3 rows labelled')"
                           " || !document.getElementById('label-error').hidden")
    assert page.locator("#label-error").is_hidden(), page.locator("#label-error").inner_text()
    stored = Workspace(ws, read_only=True).sql(
        "SELECT _id, label FROM human_labels WHERE sample = 'fast' AND annotator = 'bo' ORDER BY labelled_at").to_pylist()
    assert [r["label"] for r in stored] == ["keep", "drop", "keep"]
    assert len({r["_id"] for r in stored}) == 3 and stored[0]["_id"] == first
    assert page.locator("#position").inner_text().startswith("row 4 of ")
