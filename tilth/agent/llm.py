"""The agent's access to a chat model: any configured OpenAI-compatible endpoint, or none.

The agent wants a *capable* model (planning, writing operators). It uses the endpoint named by
TILTH_LLM_URL / TILTH_LLM_MODEL through tilth.llm's client; it does not start the embedded SmolLM2 for
planning, because a 135M model cannot plan reliably (it is fine for the LLM operators' small jobs).
A `Chat` is just `messages -> reply text`, so tests can pass a local fake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

Chat = Callable[[list[dict]], str]


def configured_chat(max_tokens: int = 2048, max_retries: int | None = None) -> Chat | None:
    """A Chat for the configured endpoint, or None when no endpoint is configured.

    `max_retries` (default: the client's) lets an interactive caller give up on a dead endpoint in about a
    second instead of retrying with backoff for half a minute.
    """
    try:
        from tilth.llm import ChatRequest, Endpoint, LLMClient
    except ImportError:  # the LLM layer is optional for the agent
        return None
    endpoint = Endpoint.from_env()
    if endpoint is None:
        return None
    client = LLMClient(endpoint, concurrency=1, **({} if max_retries is None else {"max_retries": max_retries}))

    def chat(messages: list[dict]) -> str:
        return client.chat(ChatRequest(messages=messages, max_tokens=max_tokens, temperature=0.0)).content

    chat.endpoint = f"{endpoint.model} at {endpoint.url}"  # type: ignore[attr-defined]
    return chat


def parse_json(text: str):
    """The first JSON object in a reply (models wrap JSON in prose or ``` fences)."""
    text = re.sub(r"^```(?:json)?|```$", "", text.strip(), flags=re.M)
    start = text.find("{")
    if start < 0:
        raise ValueError("the reply holds no JSON object")
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    return obj
