"""A test-only plugin operator: upper-cases text, sleeping per part so a test can kill a run mid-step."""

import time

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tilth.ops import Mapper, Params, register


class SlowUpperParams(Params):
    seconds_per_part: float = Field(0.0, ge=0, description="Sleep this long per part.")


@register
class SlowUpper(Mapper):
    name = "slow_upper"
    category = "rewrite"
    description = "Upper-case the text column, slowly (test plugin)."
    inputs = ("text",)
    outputs = ("text",)
    Params = SlowUpperParams

    def map(self, batch: pa.Table) -> pa.Table:
        time.sleep(self.params.seconds_per_part)
        return batch.set_column(batch.column_names.index("text"), "text", pc.utf8_upper(batch.column("text")))
