"""Operator layer: the contract (base.py), the registry, and one subfolder per category."""

from tilth.ops.base import Deduplicator, Filter, Mapper, Operator, Params, Quarantined, Reader, Resources
from tilth.ops.registry import all_operators, build, get, register

__all__ = [
    "Deduplicator", "Filter", "Mapper", "Operator", "Params", "Quarantined", "Reader", "Resources",
    "all_operators", "build", "get", "register",
]
