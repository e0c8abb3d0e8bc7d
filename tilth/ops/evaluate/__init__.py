"""Operators of category 'evaluate'."""
