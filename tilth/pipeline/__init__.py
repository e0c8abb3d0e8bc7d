"""Pipelines: recipes (YAML or Python), validation, and the runner with resume."""

from tilth.pipeline.recipe import Recipe, Step
from tilth.pipeline.runner import Runner, RunResult, run_recipe
from tilth.pipeline.validate import Problem, RecipeError, validate

__all__ = ["Problem", "Recipe", "RecipeError", "RunResult", "Runner", "Step", "run_recipe", "validate"]
