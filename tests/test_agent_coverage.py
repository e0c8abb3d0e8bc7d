"""A detail of the request that no planned step uses (a bound with its number, a column named by its
identifier) is reported like a part not understood, so `--yes` does not run such a plan unreviewed.

Found by newcomer trial 20: "orders over £50 placed between 1 Feb and 31 March 2025" ran with the date filter
only, "over £50" gone without a word."""

from __future__ import annotations

import json

import pytest

from tilth.agent.offline import OfflinePlanner
from tilth.agent.peek import peek
from tilth.agent.review import auto_accept
from tilth.agent.skills import Catalogue
from tilth.agent.validation import Validation


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    path = tmp_path_factory.mktemp("orders") / "orders.jsonl"
    path.write_text("".join(json.dumps(
        {"order_id": f"NO-{1000 + i}", "order_date": f"2025-0{1 + i % 5}-{1 + i % 27:02d}",
         "plant_type": ("rose", "fruit tree", "shrub")[i % 3], "quantity": 1 + i % 15, "total_gbp": 12.5 * i,
         "delivery_note": f"Please leave the parcel by the side gate, order {i}."}) + "\n" for i in range(24)))
    return peek(path)


@pytest.fixture(scope="module")
def planner():
    return OfflinePlanner(Catalogue(use_embeddings=True))


def test_a_bound_no_step_uses_is_reported_and_not_run_unattended(planner, orders):
    plan = planner.plan("keep orders worth over 50 zorkmids placed in March 2025", orders)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "order_date", "min": "2025-03-01", "max": "2025-03-31"})]
    assert plan.unmatched == ["'over 50 zorkmids' in 'keep orders worth over 50 zorkmids placed in March 2025'"]
    assert any(n.startswith("no planned step uses 'over 50 zorkmids'") for n in plan.notes)
    assert auto_accept(plan, Validation(), partial_ok=False).action == "reject"
    assert auto_accept(plan, Validation(), partial_ok=True).action == "accept"  # --partial runs what was planned


@pytest.mark.parametrize("request_", [
    "orders over £50 placed between 1 Feb and 31 March 2025",  # 50, and the dates
    "keep the top 20% of orders by quantity",  # 20% is the fraction 0.2
    "drop notes under 3 words",  # the length filter's minimum
    "keep orders with more than 3 items in quantity",  # strict: 4 on whole numbers
    "keep orders with total_gbp over 50",  # the column by its identifier, used
    "give me the 5 biggest orders by quantity",  # a count is the rank's own
])
def test_details_a_step_uses_are_not_reported(planner, orders, request_):
    plan = planner.plan(request_, orders)
    assert plan.steps and not plan.unmatched, (request_, plan.notes)


def test_a_figure_with_a_part_not_understood_is_not_run_unattended(planner, orders):
    """Trial 54: "the average X per Y, but leave out <rows it did not understand>" planned only the question, and
    `--yes` ran it (exit 0) with the average over every row: a plan of questions alone was never held back."""
    plan = planner.plan("give me the average quantity per plant_type, but leave out orders the gnomes blessed", orders)
    assert not plan.steps and plan.questions and plan.unmatched
    assert auto_accept(plan, Validation(), partial_ok=False).action == "reject"
