"""A continuous score from the log-probabilities of the label tokens: E[grade] = sum_k P(k) k over the grades
among the first reply token's top log-probs (renormalised over the grades found).

Why: a small judge that answers "3" to every text still puts different mass on "2", "3" and "4"; the
expected grade keeps that difference, where the argmax throws it away. Endpoints that return `top_logprobs`
on chat completions: vLLM, llama.cpp's server (xllamacpp, the embedded one), OpenAI.
"""

from __future__ import annotations

import math


def expected_grade(content: list | None, lo: int, hi: int) -> tuple[float | None, dict[int, float]]:
    """(expected grade or None, {grade: probability}) from a chat reply's `logprobs.content`."""
    if not content:
        return None, {}
    mass: dict[int, float] = {}
    for alt in content[0].get("top_logprobs") or [content[0]]:
        tok = str(alt.get("token", "")).strip()
        if tok.isdigit() and lo <= int(tok) <= hi and alt.get("logprob") is not None:
            mass[int(tok)] = mass.get(int(tok), 0.0) + math.exp(float(alt["logprob"]))
    total = sum(mass.values())
    if total <= 0:
        return None, {}
    dist = {k: v / total for k, v in sorted(mass.items())}
    return sum(k * p for k, p in dist.items()), dist
