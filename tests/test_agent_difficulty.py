"""difficulty_heuristic: the offline difficulty score the agent uses to pick 'difficult problems'."""

from __future__ import annotations

import pyarrow as pa

from tilth.ops.evaluate.difficulty_heuristic import DifficultyHeuristic


def _run(rows, **params):
    t = pa.Table.from_pylist([{"_id": i, **r} for i, r in enumerate(rows)])
    return DifficultyHeuristic(**params).map(t)


def test_one_step_sum_scores_by_the_formula():
    out = _run([{"text": "What is 2 + 3?", "solution": "Add the numbers: 2 + 3 = 5."}], solution_field="solution")
    # 1 step (no extra), one '+' (0.5), 2 numbers (no extra), no algebra: raw 0.5 -> 0.5 / (0.5 + 6)
    assert out.column("solution_steps").to_pylist() == [1]
    assert out.column("difficulty").to_pylist() == [round(0.5 / 6.5, 4)]


def test_multi_step_algebra_scores_higher_than_arithmetic():
    rows = [
        {"text": "What is 2 + 3?", "solution": "Add the numbers: 2 + 3 = 5."},
        {"text": "Solve for x: 3x + 4 = 19.", "solution": "Subtract 4 from both sides: 3x = 19 - 4 = 15.\n"
                                                          "Divide both sides by 3: x = 15 / 3 = 5.\nCheck: 3 * 5 + 4 = 19."},
    ]
    out = _run(rows, solution_field="solution")
    easy, hard = out.column("difficulty").to_pylist()
    assert out.column("solution_steps").to_pylist() == [1, 3]
    # 2 extra steps (2.0) + four operations - / * + (2.0) + one number past two (0.25) + algebra (2.0) = 6.25
    assert hard == round(6.25 / 12.25, 4) and easy == round(0.5 / 6.5, 4)
    assert out.column("_id").to_pylist() == [0, 1] and out.num_rows == 2


def test_without_solution_field_only_the_problem_counts():
    out = _run([{"text": "Solve for x: 2x = 10."}])
    assert out.column("solution_steps").to_pylist() == [0]
    assert out.column("difficulty").to_pylist() == [round(2.0 / 8.0, 4)]  # algebra only
    assert DifficultyHeuristic(solution_field="solution").input_columns() == ["text", "solution"]
