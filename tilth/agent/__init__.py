"""The Data Agent: natural language -> validated, reviewable, reusable pipeline (see docs/agent.md)."""
