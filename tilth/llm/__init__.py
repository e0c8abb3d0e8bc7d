"""LLM serving layer: one OpenAI-compatible client with a response cache and token accounting in the
workspace, an embedded llama.cpp server (SmolLM2-135M) for offline use, and helpers for LLM operators."""

from tilth.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    'ChatRequest': 'client',
    'ChatResult': 'client',
    'LLMClient': 'client',
    'LLMError': 'client',
    'Endpoint': 'endpoint',
})

