"""Local executor: a pool of worker processes (all cores by default), reused across the steps of a run.

Workers come from a forkserver with Tilth preloaded: they start fast and never inherit the driver's open
database connection or threads. With one worker, or one item, tasks run inline (no process start-up), except
the global dedup stages' lone tasks (inline_single=False), which would otherwise put a whole partition in
the driver.
Workers and the forkserver die with the driver, even when it is killed with SIGKILL (tilth.exec.lifeline).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from tilth.exec.base import Executor
from tilth.exec.lifeline import worker_init


def ready() -> bool:
    """A no-op task: submitting one per worker starts the workers."""
    return True


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # the warming thread and the caller may both ask for the pool
        self._warming: threading.Thread | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
            return self._pool

    def _new_pool(self) -> ProcessPoolExecutor:
        ctx = mp.get_context("forkserver")
        # pyarrow.compute too: tilth.exec.tasks imports it lazily (a run without steps never needs it), but
        # nearly every operator does, and each worker would otherwise import it (~0.1 s) on its own
        ctx.set_forkserver_preload(["tilth.exec.forkserver_lifeline", "tilth.exec.tasks", "pyarrow.compute"])
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=worker_init,
                                   initargs=(os.getpid(),))

    def warm(self) -> None:
        """In a thread: starting the workers waits for the forkserver to import Tilth (~0.3 s), which the
        driver would otherwise spend idle before reading the input."""
        if self.workers > 1 and self._pool is None and self._warming is None:
            self._warming = threading.Thread(target=self._start_workers, name="tilth-warm", daemon=True)
            self._warming.start()

    def _start_workers(self) -> None:
        pool = self._get_pool()
        for _ in range(self.workers):
            pool.submit(ready)

    def map_unordered(self, fn: Callable[[bytes], bytes], blobs: list[bytes],
                      inline_single: bool = True) -> Iterator[bytes]:
        if self.workers == 1 or (inline_single and len(blobs) <= 1):
            for blob in blobs:
                yield fn(blob)
            return
        pool = self._get_pool()
        # Keep a bounded window in flight so memory stays flat on inputs with many parts.
        pending, it = set(), iter(blobs)
        for blob in it:
            pending.add(pool.submit(fn, blob))
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(fn, nxt))
                yield fut.result()

    def close(self) -> None:
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
