"""Tilth: data-centric LLM training on an embedded DuckDB + Parquet workspace."""

__version__ = "0.1.0"
