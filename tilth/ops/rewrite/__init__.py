"""Operators of category 'rewrite'."""
