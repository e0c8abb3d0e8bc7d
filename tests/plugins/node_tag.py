"""A test-only plugin operator: records which Ray node wrote each row (`local` outside Ray), so a test can
see that parts written on another node are the ones the driver commits."""

import pyarrow as pa

from tilth.ops import Mapper, Params, register


class NodeTagParams(Params):
    pass


@register
class NodeTag(Mapper):
    name = "node_tag"
    category = "rewrite"
    description = "Add a `node` column: the Ray node id of the worker (test plugin)."
    inputs = ()
    outputs = ("node",)
    Params = NodeTagParams

    def map(self, batch: pa.Table) -> pa.Table:
        try:
            import ray

            node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"
        except ImportError:
            node = "local"
        return batch.append_column("node", pa.array([node] * batch.num_rows, pa.string()))
