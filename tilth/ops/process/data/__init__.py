"""Word lists and character tables used by the heuristic filters (package data, read with importlib.resources)."""
