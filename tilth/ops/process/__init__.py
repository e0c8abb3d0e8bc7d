"""Operators of category 'process'."""
