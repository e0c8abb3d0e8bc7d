"""Operators of category 'acquire'."""
