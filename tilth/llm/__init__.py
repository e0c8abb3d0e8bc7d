"""LLM serving layer: one OpenAI-compatible client with a response cache and token accounting in the
workspace, an embedded llama.cpp server (SmolLM2-135M) for offline use, and helpers for LLM operators."""

from tilth.llm.client import ChatRequest, ChatResult, LLMClient, LLMError
from tilth.llm.endpoint import Endpoint

__all__ = ["ChatRequest", "ChatResult", "Endpoint", "LLMClient", "LLMError"]
