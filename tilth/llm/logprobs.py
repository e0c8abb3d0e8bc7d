"""Token log-probabilities of a given response from the local small model, for IFD and Superfiltering.

llama.cpp's OpenAI server does not return prompt log-probs (`echo` is ignored), and scoring a *given*
response needs exactly those; so the same SmolLM2 GGUF is loaded with transformers (dequantised, CPU).
The model is loaded once per process and shared by every operator that names the same model.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

_MODELS: dict[str, tuple] = {}
_LOCK = threading.Lock()


def load(model_path: str | Path | None = None):
    """(tokenizer, model) for a GGUF file (default: the embedded SmolLM2), cached per process."""
    import os

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tilth.llm.server import default_model_path

    path = Path(model_path) if model_path else default_model_path()
    key = str(path)
    with _LOCK:
        if key not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            converted = _converted_dir(path)
            if (converted / "config.json").exists():
                tok = AutoTokenizer.from_pretrained(converted)
                model = AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32)
            else:
                tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
                model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
                _save_converted(tok, model, converted)
            model.eval()
            _MODELS[key] = (tok, model)
        return _MODELS[key]


def _converted_dir(path: Path) -> Path:
    """Dequantising a GGUF takes tens of seconds; the result is kept as safetensors for the next process."""
    import hashlib
    import os

    st = path.stat()
    tag = hashlib.sha256(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
    base = Path(os.environ.get("TILTH_MODEL_CACHE", Path.home() / ".cache" / "tilth" / "models"))
    return base / f"{path.stem}-{tag}"


def _save_converted(tok, model, target: Path) -> None:
    import os
    import shutil

    from safetensors.torch import save_file

    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        config = model.config.to_dict()
        config.pop("quantization_config", None)  # the weights are plain float32 now
        (tmp / "config.json").write_text(__import__("json").dumps(config))
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if getattr(model.config, "tie_word_embeddings", False):
            state.pop("lm_head.weight", None)
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        tok.save_pretrained(tmp)
        os.replace(tmp, target)  # atomic: a concurrent converter either wins or finds it done
    except (OSError, ValueError):
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class IFDScore:
    ppl_conditioned: float  # perplexity of the response given the instruction
    ppl_response: float  # perplexity of the response alone
    ifd: float  # ppl_conditioned / ppl_response: high = the instruction helps little = hard example


def _response_nll(model, prefix_ids: list[int], response_ids: list[int]) -> float:
    import torch

    ids = torch.tensor([prefix_ids + response_ids])
    with torch.no_grad():
        logits = model(ids).logits[0, :-1].float()
    targets = ids[0, 1:]
    nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    return float(nll[len(prefix_ids) - 1:].mean())


def ifd_scores(instructions: list[str], responses: list[str], model_path: str | None = None,
               max_response_tokens: int = 256) -> list[IFDScore | None]:
    """IFD per (instruction, response) pair (CherryLLM); None where the response is empty."""
    tok, model = load(model_path)
    bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
    out: list[IFDScore | None] = []
    for instr, resp in zip(instructions, responses, strict=True):
        r_ids = tok(resp, add_special_tokens=False)["input_ids"][:max_response_tokens]
        if not r_ids:
            out.append(None)
            continue
        prefix = tok.apply_chat_template([{"role": "user", "content": instr}], add_generation_prompt=True,
                                         tokenize=True)
        if isinstance(prefix, dict) or hasattr(prefix, "keys"):
            prefix = prefix["input_ids"]
        cond = _response_nll(model, list(prefix), r_ids)
        alone = _response_nll(model, bos or [r_ids[0]], r_ids if bos else r_ids[1:]) if (bos or len(r_ids) > 1) \
            else cond
        pc, pr = math.exp(cond), math.exp(alone)
        out.append(IFDScore(pc, pr, pc / pr))
    return out
