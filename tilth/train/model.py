"""Causal LM construction from a `transformers` config (tiny GPT by default) or a local checkpoint."""

from __future__ import annotations

import torch


def pick_device(requested: str | None = None) -> torch.device:
    if requested and requested != "auto":
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bf16 autocast where the GPU supports it; full precision on CPU (tiny models, exact tests)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def build_model(spec: dict, vocab_size: int, seq_len: int, seed: int) -> torch.nn.Module:
    """`spec` is either {"path": local dir} or GPT-2 config fields (n_layer, n_embd, n_head, ...).

    Dropout defaults to 0 so that per-sample gradients under `torch.func.vmap` are deterministic.
    """
    from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    if spec.get("path"):
        return AutoModelForCausalLM.from_pretrained(spec["path"], local_files_only=True)
    fields = {"n_layer": 2, "n_embd": 64, "n_head": 4, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
              "attn_pdrop": 0.0, "attn_implementation": "sdpa"}
    fields.update(spec)
    cfg = GPT2Config(vocab_size=vocab_size, n_positions=seq_len, bos_token_id=vocab_size - 1,
                     eos_token_id=vocab_size - 1, **fields)
    return GPT2LMHeadModel(cfg)


def token_losses(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Per-token next-token cross-entropy [B, T] for packed sequences x [B, T+1] (no padding)."""
    logits = model(x[:, :-1]).logits
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="none"
    ).view(x.shape[0], -1)
