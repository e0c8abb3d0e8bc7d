"""The sandbox side of a generated operator (see tilth.agent.confined): runs only inside bwrap.

`python -m tilth.agent.confined_worker MODULE.py`: imports the module, answers with its operator's
metadata, then serves calls (init, map, score, keep, generate) read from stdin until EOF. Frames go over
the original stdin/stdout; the module's own prints are sent to stderr so they cannot corrupt them.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

KINDS = ("mapper", "filter", "generator")


def _read_exact(f, n: int) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise EOFError
        got += k
    return buf


def main(argv: list[str]) -> None:
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)

    import numpy as np
    import pyarrow as pa

    from tilth.agent.confined import FRAME, bytes_table, encode
    from tilth.ops import registry

    def send(header: dict, table=None) -> None:
        view = memoryview(encode(header, table))
        while view:  # a raw pipe write may be partial
            view = view[proto_out.write(view):]

    def error(e: BaseException) -> dict:
        return {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-4000:]}

    try:
        names = registry.import_plugin(argv[0])
        if len(names) != 1:
            raise ValueError(f"the module must register exactly one operator, registered {names}")
        cls = registry._REGISTRY[names[0]]
        if cls.kind not in KINDS:
            raise ValueError(f"generated operators may be mappers, filters or generators, not {cls.kind}")
        meta = {**cls.metadata(), "class": cls.__name__, "params_schema": cls.Params.model_json_schema(),
                "keep_input": bool(getattr(cls, "keep_input", True))}
        json.dumps(meta)
    except BaseException as e:  # reported to the parent, which decides
        send(error(e))
        return
    send({"ok": True, "meta": meta})

    op = None
    while True:
        try:
            hlen, blen = FRAME.unpack(_read_exact(proto_in, FRAME.size))
            header = json.loads(_read_exact(proto_in, hlen))
            table = bytes_table(_read_exact(proto_in, blen)) if blen else None
        except EOFError:
            return
        try:
            call = header.get("call")
            if call == "init":
                op = cls(**header.get("params", {}))
                op.ensure_ready()
                send({"ok": True})
                continue
            if op is None:
                raise RuntimeError("init must come first")
            if call == "map":
                out = op.map(table)
            elif call == "score":
                scores = op.score(table)
                out = pa.table({k: v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v)
                                for k, v in scores.items()})
            elif call == "keep":
                mask, reasons = op.keep(table)
                out = pa.table({"mask": pa.array(np.asarray(mask, dtype=bool)),
                                "reason": pa.array([None if r is None else str(r) for r in reasons], pa.string())})
            elif call == "generate":
                out = op.generate(table)
            else:
                raise ValueError(f"unknown call {call!r}")
            if not isinstance(out, pa.Table):
                raise TypeError(f"{call} returned {type(out).__name__}, not a pyarrow Table")
            send({"ok": True}, out)
        except Exception as e:
            send(error(e))


if __name__ == "__main__":
    main(sys.argv[1:])
