"""Serving layer: a workspace is one DuckDB catalog plus Parquet parts (see workspace.py)."""

from tilth.storage.workspace import Workspace, default_workspace

__all__ = ["Workspace", "default_workspace"]
