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
    """`spec` is {"path": local dir}, or config fields of a tiny `arch`: "gpt2" (learned absolute positions,
    the default) or "llama" (rotary positions, RMSNorm, SwiGLU).

    Size fields use GPT-2 names for both (n_layer, n_embd, n_head); dropout is 0 so that per-sample
    gradients under `torch.func.vmap` are deterministic.
    """
    from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    spec = dict(spec)
    if spec.get("path"):
        return AutoModelForCausalLM.from_pretrained(spec["path"], local_files_only=True)
    arch = spec.pop("arch", "gpt2")
    size = {"n_layer": spec.pop("n_layer", 2), "n_embd": spec.pop("n_embd", 64), "n_head": spec.pop("n_head", 4)}
    special = {"bos_token_id": vocab_size - 1, "eos_token_id": vocab_size - 1}
    if arch == "gpt2":
        fields = {"resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "attn_implementation": "sdpa", **spec}
        return GPT2LMHeadModel(GPT2Config(vocab_size=vocab_size, n_positions=seq_len, **size, **special, **fields))
    if arch == "llama":
        fields = {"intermediate_size": 4 * size["n_embd"], "attention_dropout": 0.0, "attn_implementation": "sdpa",
                  "tie_word_embeddings": True, **spec}
        return LlamaForCausalLM(LlamaConfig(vocab_size=vocab_size, hidden_size=size["n_embd"],
                                            num_hidden_layers=size["n_layer"], num_attention_heads=size["n_head"],
                                            max_position_embeddings=seq_len, **special, **fields))
    raise ValueError(f"unknown model arch {arch!r}; use 'gpt2', 'llama' or a local `path`")


def token_losses(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Per-token next-token cross-entropy [B, T] for packed sequences x [B, T+1] (no padding)."""
    logits = model(x[:, :-1]).logits
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="none"
    ).view(x.shape[0], -1)
