"""Regenerate the `tilth ui` screenshots in docs/img (1400 and 800 px wide) from a workspace built the way
the UI tests build theirs (a real `tilth run`), with a few labels and an agent plan under review.
Run: PYTHONPATH=.:tests python docs/img/ui_screenshots.py /tmp/ui-shots"""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from ui_fixtures import Server, build_workspace

from tilth.storage import Workspace
from tilth.ui.app import create_app

OUT = Path(__file__).parent


def main(tmp: Path) -> None:
    ws, _ = build_workspace(tmp)
    app = create_app(ws, planner="offline", use_embeddings=False)
    api = TestClient(app)
    api.post("/api/eval/samples", json={"name": "review-1", "run": "webclean", "domain_column": "source",
                                        "score": "02_length_filter.length_words", "bins": 2, "per_stratum": 3})
    rows = api.get("/api/eval/review-1/rows?annotator=ada").json()["rows"]
    for k, r in enumerate(rows[:7]):
        api.post("/api/eval/review-1/labels", json={"id": r["_id"], "annotator": "ada", "label": "keep" if k % 3 else "drop",
                                                    "rubric": {"clarity": 3 + k % 3, "correctness": 4, "tone": 5 - k % 2}})
    dup = Workspace(ws, read_only=True).sql("SELECT _id FROM lineage WHERE step = '03_exact_dedup' ORDER BY _id LIMIT 1")
    pages = {"overview": "/", "dataset": "/datasets/clean", "lineage": "/runs/webclean",
             "row": f"/rows/{dup.column(0)[0].as_py()}", "label": "/eval/review-1"}
    with Server(app) as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        for width in (1400, 800):
            page = browser.new_page(viewport={"width": width, "height": 860}, bypass_csp=True)
            page.add_init_script("localStorage.setItem('tilth-annotator', 'ada')")
            for name, path in pages.items():
                page.goto(srv.url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"ui-{name}-{width}.png"))
            page.goto(srv.url + "/agent")
            page.fill("#agent-request", "Remove rows with fewer than 8 words and exact duplicates.")
            page.fill("#agent-data", str(tmp / "input.jsonl"))
            page.click("#agent-plan")
            page.wait_for_selector("#accept:not([disabled])", timeout=120_000)
            page.screenshot(path=str(OUT / f"ui-agent-{width}.png"))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
