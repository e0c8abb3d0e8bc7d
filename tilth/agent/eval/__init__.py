"""Evaluation data for the Data Agent: requests with expected operators, and a math QA generator."""
