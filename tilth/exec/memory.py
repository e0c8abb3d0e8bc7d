"""Give a finished task's freed memory back to the OS, so an idle worker does not sit on its peak.

Two heaps keep freed memory: Arrow's pool (mimalloc) until `release_unused`, and glibc's malloc, which
serves numpy's temporaries and keeps freed pages in its arenas until `malloc_trim` (its mmap threshold
grows with the largest block freed, so even multi-MB arrays end up on the heap after the first one).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, musl without the symbol)
        return None


def release_memory() -> None:
    """Return freed Arrow buffers and free malloc pages to the OS (a few ms)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
