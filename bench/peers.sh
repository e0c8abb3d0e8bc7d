#!/usr/bin/env bash
# Builds .venv-bench: the peer dedup tools the benchmark compares against (datatrove, data-juicer,
# datasketch). Kept apart from .venv so Tilth never imports a peer and peers' pins cannot break Tilth.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BENCH_VENV:-.venv-bench}
PY=${PYTHON:-python3.11}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
[ -d /opt/wheels ] && pip+=(--find-links /opt/wheels)
"${pip[@]}" --upgrade pip
# torch first, pinned, so nothing later pulls a CUDA build.
"${pip[@]}" "torch==2.13.0"
"${pip[@]}" datasketch "xxhash<4" psutil  # datatrove hashes str, which xxhash 4 refuses
"${pip[@]}" "datatrove" tokenizers nltk orjson spacy || echo "peers.sh: datatrove failed to install" >&2  # its tokenizer and JsonlReader import these
# py-data-juicer pulls a very large dependency tree; try the full package, and fall back to the package
# without dependencies plus only what its document_minhash_deduplicator imports.
if ! "${pip[@]}" py-data-juicer; then
  echo "peers.sh: full py-data-juicer install failed; installing the minhash deduplicator's needs only" >&2
  "${pip[@]}" --no-deps py-data-juicer
  "${pip[@]}" datasets loguru regex scipy jsonargparse pydantic multiprocess dill fsspec || true
fi
# data_juicer.utils.file_utils imports aiohttp, which py-data-juicer does not declare.
"${pip[@]}" aiohttp
"$VENV/bin/python" - <<'PY'
import importlib
for m in ("datasketch", "datatrove", "data_juicer.ops.deduplicator.document_minhash_deduplicator"):
    try:
        importlib.import_module(m)
        print(f"peers.sh: {m} ok")
    except Exception as e:  # report, do not fail: the benchmark skips a peer that cannot load
        print(f"peers.sh: {m} unavailable: {e!r}")
PY
