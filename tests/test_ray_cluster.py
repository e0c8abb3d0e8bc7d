"""`tilth run --ray-address` on a two-node Ray cluster started with `ray start` (127.0.0.1): the same
output and lineage as the local executor, dedup's global phases included, and parts written by a worker
on the second node are the ones the driver commits."""

from __future__ import annotations

import pytest
import yaml
from dedup_helpers import corpus
from ray_cluster import TwoNodeCluster, node_ids, ray_cli, run_cli

from tilth.pipeline import Recipe, run_recipe
from tilth.storage import Workspace

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(ray_cli() is None, reason="the `ray` CLI is not installed (pip install 'ray[default]')")]


@pytest.fixture(scope="module")
def cluster():
    c = TwoNodeCluster().start()
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    docs = corpus.sample_documents(400, seed=21)
    docs, _ = corpus.plant_near_duplicates(docs, 120, seed=22, edit_fraction=(0.0, 0.08))
    docs += docs[:30]  # exact copies as well
    return corpus.write_jsonl(docs, tmp_path_factory.mktemp("data") / "docs.jsonl")


def _recipe(path, data, **extra) -> str:
    recipe = {"name": "cl", "input": {"path": str(data), "batch_size": 60},
              "steps": [{"length_filter": {"min": 5}}, {"exact_dedup": {}}, {"minhash_dedup": {"threshold": 0.8}}],
              "output": {"report": False}, **extra}
    path.write_text(yaml.safe_dump(recipe))
    return str(path)


def _result(ws_dir):
    ws = Workspace(ws_dir)
    return ws.read("cl"), ws.sql("SELECT step, _id, reason, duplicate_of FROM lineage ORDER BY step, _id").to_pylist()


def test_cli_attaches_and_gives_the_local_output(cluster, data, tmp_path):
    recipe = _recipe(tmp_path / "r.yaml", data)
    run_recipe(Recipe.from_yaml(recipe).model_copy(update={"workers": 2}), tmp_path / "local", progress=False)
    p = run_cli("run", recipe, "-w", str(tmp_path / "ray"), "-q", "--ray-address", cluster.address)
    assert p.returncode == 0, p.stderr[-3000:]
    local, ray_ = _result(tmp_path / "local"), _result(tmp_path / "ray")
    assert local[0].num_rows < 550  # duplicates were dropped
    assert sum(r["reason"] == "near duplicate (minhash)" for r in local[1]) > 10
    assert ray_[0].equals(local[0])
    assert ray_[1] == local[1]


def test_parts_written_on_the_second_node_are_committed(cluster, data, tmp_path):
    from pathlib import Path

    plugin = Path(__file__).parent / "plugins" / "node_tag.py"
    recipe = _recipe(tmp_path / "r.yaml", data, plugins=[str(plugin)],
                     executor={"name": "ray", "address": cluster.address, "resources": {"node2": 1}})
    doc = yaml.safe_load(Path(recipe).read_text())
    doc["steps"] = [{"node_tag": {}}, {"exact_dedup": {}}]
    Path(recipe).write_text(yaml.safe_dump(doc))
    p = run_cli("run", recipe, "-w", str(tmp_path / "ws"), "-q")
    assert p.returncode == 0, p.stderr[-3000:]
    nodes = node_ids(cluster.address)
    assert sorted(nodes.values()) == [False, True]  # two nodes, one of them node2
    out = Workspace(tmp_path / "ws").read("cl")
    assert out.num_rows > 400
    assert set(out.column("node").to_pylist()) == {n for n, is2 in nodes.items() if is2}


def test_unreachable_cluster_is_a_clear_error(tmp_path, data):
    from ray_cluster import free_port

    recipe = _recipe(tmp_path / "r.yaml", data)
    p = run_cli("run", recipe, "-w", str(tmp_path / "ws"), "-q", "--ray-address", f"127.0.0.1:{free_port()}",
                timeout=60)
    assert p.returncode == 2
    assert "no Ray cluster answers at 127.0.0.1:" in p.stderr and "ray start --head" in p.stderr
    assert "Traceback" not in p.stderr
