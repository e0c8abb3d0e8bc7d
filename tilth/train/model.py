"""Causal LM construction from a `transformers` config (tiny GPT by default) or a local checkpoint."""

from __future__ import annotations

import torch


def pick_device(requested: str | None = None) -> torch.device:
    if requested and requested != "auto":
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast_dtype(device: torch.device, bf16: bool = True) -> torch.dtype | None:
    """bf16 autocast where the GPU supports it (unless `bf16` is False); always full precision on CPU
    (tiny models, exact tests), so the flag does nothing there."""
    if bf16 and device.type == "cuda" and torch.cuda.is_bf16_supported():
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
        path = resolve_model_path(spec["path"])
        # float32 weights: CPU trains in full precision; on GPU the trainer's bf16 autocast does the rest
        return AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=torch.float32)
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


def resolve_model_path(path: str) -> str:
    """A local model directory; "smollm2" is the shipped SmolLM2-135M-Instruct, converted once from its gguf
    and cached (`tilth.models.smollm2.model_dir`). A missing directory fails here, with its name, rather
    than inside transformers as a hub lookup."""
    from pathlib import Path

    if path == "smollm2":
        from tilth.models import smollm2

        return str(smollm2.model_dir())
    p = Path(path).expanduser()
    if not (p / "config.json").is_file():
        raise FileNotFoundError(f"model path {path!r} is not a local Hugging Face model directory "
                                f"(no {p / 'config.json'}); nothing is fetched from a hub")
    return str(p)


def mask_targets(ids: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """Encode which targets a row trains on inside the row itself: id where `train`, −(id+1) elsewhere.

    Rows stay one int64 tensor [N, T+1], so sampling, selection, signals and checkpoints handle SFT rows
    (prompt tokens and padding masked) exactly like packed pre-training rows (all ids ≥ 0)."""
    return torch.where(train, ids, -ids - 1)


def split_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows x [B, T+1] (see `mask_targets`) → inputs [B, T], targets [B, T] and target weights [B, T].

    A weight is T / (trained targets in its row) on trained targets and 0 elsewhere, so a row's mean token
    loss is the mean over its trained (response) tokens only; packed rows get weight 1 everywhere."""
    ids = torch.where(x < 0, -x - 1, x)
    train = (x[:, 1:] >= 0).float()
    n = train.sum(dim=1, keepdim=True)
    weights = train * (train.shape[1] / n.clamp(min=1))
    return ids[:, :-1], ids[:, 1:], weights


def weighted_ce(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    ).view(targets.shape) * weights


def token_losses(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Per-token next-token cross-entropy [B, T] for rows x [B, T+1]: packed sequences, or SFT rows whose
    masked targets (prompt, padding) count 0 and whose response tokens are scaled so that `.mean(dim=1)` is
    the response-only mean (`split_rows`). Right padding needs no attention mask: the model is causal."""
    inputs, targets, weights = split_rows(x)
    return weighted_ce(model(inputs).logits, targets, weights)
