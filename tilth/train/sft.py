"""Supervised fine-tuning rows: chat-formatted examples whose loss counts assistant tokens only.

Each example (prompt/response columns, or a `messages` column of {role, content}) is formatted with the
tokenizer's chat template. Every assistant turn's tokens are found by rendering the conversation up to that
turn with `add_generation_prompt=True` (where the reply starts) and up to its end (where it stops); all
other targets (system, user, template markup before a reply, padding) are masked with `model.mask_targets`.
Rows are right-padded to seq_len + 1, so they fit `DomainData` like packed pre-training rows.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict

import numpy as np
import torch

from tilth.train.data import DomainData
from tilth.train.model import mask_targets

SKIPS = ("empty response", "no assistant turn", "no response token left after truncation")


def to_messages(row: dict, prompt: str, response: str, messages: str) -> list[dict] | None:
    """The conversation of one row: its `messages` list, else a user prompt and an assistant response."""
    if messages in row and row[messages] is not None:
        return [{"role": str(m["role"]), "content": str(m["content"] or "")} for m in row[messages]]
    return [{"role": "user", "content": str(row[prompt] or "")},
            {"role": "assistant", "content": str(row[response] or "")}]


def _render(tok, messages: list[dict], generation_prompt: bool = False) -> list[int]:
    out = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation_prompt,
                                  return_dict=False)
    return list(out["input_ids"] if isinstance(out, dict) else out)


def encode_chat(tok, messages: list[dict]) -> tuple[list[int], list[bool]]:
    """Token ids of the whole conversation and, per token, whether it is an assistant reply token (the
    reply and the template's end-of-turn markup after it, so the model learns to stop)."""
    if getattr(tok, "chat_template", None) is None:
        raise ValueError("task: sft needs a tokenizer with a chat template (tokenizer_config's chat_template)")
    ids = _render(tok, messages)
    train = [False] * len(ids)
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        start = len(_render(tok, messages[:i], generation_prompt=True))
        stop = len(_render(tok, messages[: i + 1]))
        if _render(tok, messages[: i + 1]) != ids[:stop]:
            raise ValueError("the chat template does not render a conversation's prefix as a prefix of it; "
                             "assistant tokens cannot be located")
        for t in range(start, stop):
            train[t] = True
    return ids, train


def encode_rows(tok, rows: list[dict], seq_len: int, prompt: str = "prompt", response: str = "response",
                messages: str = "messages") -> tuple[list[torch.Tensor], Counter]:
    """Encoded rows (each [seq_len + 1], masked targets and right padding) and a count of skipped rows by
    reason (`SKIPS`): an empty reply, no assistant turn, or a prompt so long that truncation to seq_len + 1
    tokens leaves no reply token to train on."""
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    out, skipped = [], Counter()
    for row in rows:
        msgs = to_messages(row, prompt, response, messages)
        replies = [m for m in msgs if m["role"] == "assistant"]
        if not replies:
            skipped[SKIPS[1]] += 1
            continue
        if not all(m["content"].strip() for m in replies):
            skipped[SKIPS[0]] += 1
            continue
        ids, train = encode_chat(tok, msgs)
        ids, train = ids[: seq_len + 1], train[: seq_len + 1]
        if not any(train[1:]):  # position 0 is never a target
            skipped[SKIPS[2]] += 1
            continue
        n_pad = seq_len + 1 - len(ids)
        row_ids = torch.tensor(ids + [pad] * n_pad, dtype=torch.long)
        row_train = torch.tensor(train + [False] * n_pad)
        out.append(mask_targets(row_ids, row_train))
    return out, skipped


def load_sft_data(ws, dataset: str, tok, seq_len: int, prompt: str = "prompt", response: str = "response",
                  messages: str = "messages", domain_column: str = "domain", heldout_fraction: float = 0.1,
                  seed: int = 0) -> DomainData:
    """SFT rows of a workspace table, grouped by `domain_column` (one domain "all" when the table has none),
    a seeded share of each domain held out. Skipped rows are counted in a warning; a table whose columns do
    not fit, or that leaves a domain with no row, is refused with the reason."""
    table = ws.read(dataset)
    cols = set(table.column_names)
    if messages not in cols and not {prompt, response} <= cols:
        raise ValueError(f"task: sft needs a {messages!r} column or both {prompt!r} and {response!r} columns; "
                         f"dataset {dataset!r} has {sorted(cols)}")
    by_domain: dict[str, list[dict]] = defaultdict(list)
    for row in table.to_pylist():
        by_domain[str(row[domain_column]) if domain_column in cols else "all"].append(row)
    rng = np.random.default_rng(seed)
    domains, train, held, skipped = sorted(by_domain), [], [], Counter()
    for d in domains:
        rows, why = encode_rows(tok, by_domain[d], seq_len, prompt, response, messages)
        skipped.update(why)
        rows = [rows[i] for i in rng.permutation(len(rows))]
        n_held = max(1, int(round(heldout_fraction * len(rows))))
        if len(rows) <= n_held:
            raise ValueError(f"domain {d!r} has {len(rows)} usable SFT rows (skipped: {dict(why) or 'none'}); "
                             f"it needs more than the {n_held} held out")
        held.append(torch.stack(rows[:n_held]))
        train.append(torch.stack(rows[n_held:]))
    if skipped:
        warnings.warn(f"SFT rows skipped in {dataset!r}: {dict(skipped)}", stacklevel=2)
    return DomainData(domains, train, held, skipped=dict(skipped))


def strip_prompt(x: torch.Tensor) -> torch.Tensor:
    """Rows x [N, T+1] shifted left so that each starts at the token just before its first reply token
    (the end of the assistant header): the reply without the prompt, as IFD's unconditioned perplexity
    needs; the freed tail is masked padding. A row without a masked target has no prompt and is refused."""
    trained = x[:, 1:] >= 0
    if bool(trained.all(dim=1).any()):
        raise ValueError("rows without a prompt (packed pre-training rows) have no IFD; use task: sft")
    first = trained.float().argmax(dim=1)  # target t is token t + 1, so token `first` is the context token
    idx = torch.arange(x.shape[1], device=x.device)[None, :] + first[:, None]
    return torch.where(idx < x.shape[1], x.gather(1, idx.clamp(max=x.shape[1] - 1)), torch.full_like(x, -1))
