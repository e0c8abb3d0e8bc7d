"""Open run reports in headless Chromium: every inline SVG figure must render, with all its text inside its
box (the figures place labels from estimated text widths), and the page must render.

Chromium comes from Debian (`apt-get install chromium`; tilth.sh installs it). Without it the tests skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import matplotlib.image as mpimg
import numpy as np
import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs

from tilth.ops import build
from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000"]
PROBE = """<script>
window.addEventListener('load', () => {
  const figs = Array.from(document.querySelectorAll('figure > svg'));
  const inside = (t, box) => {
    const b = t.getBBox();
    return b.width > 0 && b.x >= -1 && b.y >= -1 && b.x + b.width <= box.width + 1 && b.y + b.height <= box.height + 1;
  };
  const ok = figs.filter(svg => {
    const r = svg.getBoundingClientRect(), box = svg.viewBox.baseVal;
    return r.width > 0 && r.height > 0 && Array.from(svg.querySelectorAll('text')).every(t => inside(t, box));
  }).length;
  document.body.setAttribute('data-figures', ok + '/' + figs.length);
});
</script>"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    texts = ["Reports are read by people, so every figure must load.", "short", "short",
             "A threshold line shows where the filter cut.", "Domains come from the source field."]
    (tmp / "in.jsonl").write_text("".join(json.dumps({"content": t, "source": f"s{i % 2}"}) + "\n"
                                          for i, t in enumerate(texts)))
    recipe = Recipe.model_validate({"name": "web", "input": {"path": str(tmp / "in.jsonl"), "text": "content"},
                                    "workers": 1, "steps": [{"length_filter": {"min": 2}}, {"exact_dedup": {}}]})
    return run_recipe(recipe, tmp / "ws", progress=False).report, tmp


def chromium(tmp, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
                          capture_output=True, text=True, timeout=90)


def figures_drawn(path, tmp) -> tuple[int, int]:
    """(figures drawn with all their text inside, figures on the page) as Chromium sees them after the load event."""
    probe = tmp / "probe.html"
    probe.write_text(path.read_text().replace("</body>", PROBE + "</body>"))
    out = chromium(tmp, "--dump-dom", probe.as_uri())
    m = re.search(r'data-figures="(\d+)/(\d+)"', out.stdout)
    assert m, f"probe did not run: {out.stderr[-2000:]}"
    return int(m.group(1)), int(m.group(2))


def test_every_figure_renders_in_chromium(report):
    path, tmp = report
    assert figures_drawn(path, tmp) == (4, 4)  # funnel, drops per reason, length_words histogram, domains


def test_text_outside_a_figure_is_caught(report):
    path, tmp = report
    broken = tmp / "broken.html"
    broken.write_text(path.read_text().replace('viewBox="0 0 640 ', 'viewBox="0 0 300 ', 1))
    assert figures_drawn(broken, tmp) == (3, 4)


def test_screenshot_shows_the_report(report):
    path, tmp = report
    shot = tmp / "shot.png"
    chromium(tmp, "--window-size=1200,1600", f"--screenshot={shot}", path.as_uri())
    img = mpimg.imread(shot)
    assert img.shape[:2] == (1600, 1200)
    ink = np.mean(img[..., :3].min(axis=2) < 0.9)  # share of pixels that are not (near) white
    assert ink > 0.05


def test_demo_recipe_report_loads_in_chromium(tmp_path):
    """The shipped demo recipe (tilth/recipes/demo.yaml) on a small real corpus: its report renders."""
    from tilth.demo import demo_recipe

    corpus = tmp_path / "corpus.jsonl"
    rows = [{"text": t, "source": f"src{i % 3}"} for i, t in enumerate(stdlib_paragraphs(150))]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = demo_recipe(corpus, tmp_path / "exports").model_copy(update={"workers": 1})
    res = run_recipe(recipe, tmp_path / "ws", progress=False)
    # a histogram per numeric filter score and evaluate-mapper column, plus funnel, drops per reason, domains
    ws = Workspace(tmp_path / "ws")
    figures = 0
    for step, spec in zip(res.steps[1:], recipe.steps, strict=True):
        op = build(spec.op, spec.params)
        if op.kind == "filter" or (op.kind == "mapper" and op.category == "evaluate"):
            schema = ws.sql(f"SELECT * FROM {step.view} LIMIT 0").schema
            figures += sum(pa.types.is_integer(schema.field(c).type) or pa.types.is_floating(schema.field(c).type)
                           for c in op.output_columns())
    expected = figures + 1 + any(s.dropped for s in res.steps) + 1
    assert figures_drawn(res.report, tmp_path) == (expected, expected)
