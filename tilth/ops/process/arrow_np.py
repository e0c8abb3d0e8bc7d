"""Zero-copy numpy <-> Arrow for plain numeric columns (and string/binary value buffers), without pyarrow's
pandas probe.

Why: `pa.array`, `pa.scalar`, `pa.table(dict)` and `Array.to_numpy` ask pyarrow's pandas shim whether the
object is pandas-like, and the shim imports pandas the first time it is asked: 0.15-0.3 s of every
worker process that runs a dedup operator, for nothing. Building arrays from buffers skips the probe.
Anything that is not a null-free fixed-width numeric (or boolean) array falls back to pyarrow's own
conversion.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_NUMERIC = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float", "double"}


def from_numpy(a: np.ndarray) -> pa.Array:
    """A 1-d numeric or boolean numpy array as an Arrow array (shares the memory, except booleans)."""
    a = np.ascontiguousarray(a).reshape(-1)
    if a.dtype == np.bool_:
        bits = np.packbits(a, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), a.size, [None, pa.py_buffer(bits)])
    if a.dtype.kind not in "iuf":
        return pa.array(a)
    return pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), a.size, [None, pa.py_buffer(a)])


def repeat_string(value: str, n: int) -> pa.Array:
    """`value` n times as an Arrow string array (a part-name column), without the pandas probe."""
    data = value.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])


def value_offsets(arr: pa.Array) -> np.ndarray:
    """The value offsets of a string or binary array (large or not): a zero-copy view of its slice's."""
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    return np.frombuffer(arr.buffers()[1], np.int64 if large else np.int32)[arr.offset : arr.offset + len(arr) + 1]


def value_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(the bytes of a string or binary array's values as uint8, its int64 offsets rebased to start at 0)."""
    offsets = value_offsets(arr).astype(np.int64)
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, np.uint8)[offsets[0] : offsets[-1]] if buf is not None else np.zeros(0, np.uint8)
    return data, offsets - offsets[0]


def to_numpy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A null-free numeric or boolean Arrow array as numpy (zero-copy for numerics; read-only)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if arr.null_count:
        return arr.to_numpy(zero_copy_only=False)
    n, off = len(arr), arr.offset
    if str(arr.type) in _NUMERIC:
        dtype = _dtype(arr.type)
        buf = arr.buffers()[1]
        if buf is None:
            return np.zeros(0, dtype)
        return np.frombuffer(buf, dtype)[off : off + n]
    if pa.types.is_boolean(arr.type):
        buf = arr.buffers()[1]
        if buf is None:
            return np.zeros(0, bool)
        bits = np.unpackbits(np.frombuffer(buf, np.uint8), bitorder="little")
        return bits[off : off + n].astype(bool)
    return arr.to_numpy(zero_copy_only=False)


def _dtype(t: pa.DataType) -> np.dtype:
    name = str(t)
    return np.dtype({"float": "float32", "double": "float64"}.get(name, name))


def table(columns: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """`pa.table(dict)` without the pandas probe."""
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))
