"""Append-only JSONL segments for the response cache and token usage, one file per writing process.

Workers may not open the workspace database (DuckDB allows one writer process), so each process appends
to its own segment under `<workspace>/llm/cache/` or `<workspace>/llm/usage/`, flushing every record to the
OS as soon as its response completes: a crashed or killed process loses no completed response, and a torn
last line is skipped on load. TILTH_LLM_FSYNC=1 adds an fsync per record (survives power loss; measured at
about 4x fewer requests/s through the client on this machine). The runner copies the segments into the `llm_cache` / `llm_usage` tables after each step.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

_FSYNC = os.environ.get("TILTH_LLM_FSYNC", "0") == "1"


def cache_key(model: str, messages: Any, params: dict) -> str:
    """sha256 over (model, messages, params) in canonical JSON: same request, same key, in any process."""
    blob = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def read_segments(directory: Path) -> list[dict]:
    """All complete records of all segments in a directory (a torn trailing line is ignored)."""
    out = []
    if not directory.is_dir():
        return out
    for seg in sorted(directory.glob("*.jsonl")):
        with open(seg, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # torn write from a crash: everything before it is intact
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return out


class SegmentWriter:
    """Appends JSON records to this process's own segment file, durably, one record per line."""

    def __init__(self, directory: Path, prefix: str):
        self.directory = Path(directory)
        self.prefix = prefix
        self._lock = threading.Lock()
        self._file = None
        self._pid = None

    def append(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            if self._file is None or self._pid != os.getpid():  # a forked child gets its own segment
                self.directory.mkdir(parents=True, exist_ok=True)
                name = f"{self.prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
                self._file = open(self.directory / name, "a", encoding="utf-8")
                self._pid = os.getpid()
            self._file.write(line)
            self._file.flush()  # in the OS once written: a killed process loses nothing completed
            if _FSYNC:  # also survive power loss / kernel crash, at ~ms per record
                os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class ResponseCache:
    """Responses by cache key. Loads every segment once, then serves lookups from memory and appends new
    responses to this process's segment."""

    def __init__(self, workspace: str | Path):
        self.directory = Path(workspace) / "llm" / "cache"
        self._writer = SegmentWriter(self.directory, "cache")
        self._entries: dict[str, dict] = {r["key"]: r for r in read_segments(self.directory) if "key" in r}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict | None:
        return self._entries.get(key)

    def put(self, key: str, model: str, request: dict, content: str, prompt_tokens: int,
            completion_tokens: int, logprobs: list | None = None) -> dict:
        record = {"key": key, "model": model, "request": json.dumps(request, sort_keys=True, ensure_ascii=False),
                  "content": content, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "logprobs": logprobs, "created": time.time()}
        self._writer.append(record)
        self._entries[key] = record
        return record


class UsageLog:
    """One record per answered request (from the model or from the cache), tagged with run/step/operator."""

    def __init__(self, workspace: str | Path, tags: dict | None = None):
        self.directory = Path(workspace) / "llm" / "usage"
        self.tags = {"run": None, "step": None, "step_index": None, "operator": None, **(tags or {})}
        self._writer = SegmentWriter(self.directory, "usage")

    def record(self, *, key: str, model: str, cached: bool, prompt_tokens: int, completion_tokens: int,
               attempts: int, seconds: float) -> None:
        self._writer.append({**self.tags, "key": key, "model": model, "cached": cached,
                             "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                             "attempts": attempts, "seconds": round(seconds, 4), "ts": time.time()})
