"""Executors: run tasks on local processes or on a Ray cluster; the recipe picks one by name."""

from tilth.exec.base import Executor, make_executor

__all__ = ["Executor", "make_executor"]
