"""Dates in requests: found in every common layout, turned into inclusive bounds, never read as counts."""

from __future__ import annotations

import pytest

from tilth.agent.dates import bounds, mask
from tilth.agent.params import condition_bounds, quantities


@pytest.mark.parametrize("text, dropping, want", [
    ("keep only pages crawled before 2026-11-05", False, {"max": "2026-11-04"}),
    ("keep pages crawled after 2026-11-05", False, {"min": "2026-11-06"}),
    ("keep everything since March 3, 2025", False, {"min": "2025-03-03"}),
    ("keep data up to and including 2026-11-05", False, {"max": "2026-11-05"}),
    ("keep 2026-11-05 and earlier", False, {"max": "2026-11-05"}),
    ("keep posts from 2026-11-01T10:00 onwards", False, {"min": "2026-11-01T10:00"}),
    ("keep rows from 2026-01-01 to 2026-01-31", False, {"min": "2026-01-01", "max": "2026-01-31"}),
    ("keep rows between 2025/06/30 and 2025/01/01", False, {"min": "2025-01-01", "max": "2025-06-30"}),
    ("drop anything published before 5 November 2026", True, {"min": "2026-11-05"}),
    ("drop rows whose date is after 2026-11-10", True, {"max": "2026-11-10"}),
    ("remove entries dated 2026-11-05 or later", True, {"max": "2026-11-04"}),
    ("drop everything until 2026-11-04", True, {"min": "2026-11-05"}),
    ("drop rows between 2026-01-01 and 2026-02-01", True, {"min": "2026-01-01", "max": "2026-02-01", "drop_range": True}),
    ("keep rows until 2026-02-30", False, {}),  # no such day
    ("keep rows with 2026 tokens", False, {}),
])
def test_bounds(text, dropping, want):
    assert bounds(text, dropping) == want


def test_a_date_holds_no_quantity_and_masking_keeps_spans():
    text = "keep pages with at least 50 words crawled before 2026-11-05"
    assert [q["value"] for q in quantities(text)] == [50.0]
    assert len(mask(text)) == len(text) and "2026" not in mask(text)
    assert quantities("drop rows after November 3, 2026") == []
    assert condition_bounds("where crawl_date is after 2026-11-05") == (None, None)


def test_a_span_whose_first_day_has_no_year_takes_the_seconds():
    from tilth.agent.dates import borrow_year

    assert borrow_year("between March 1 and April 30 2025") == "between March 1 2025 and April 30 2025"
    assert borrow_year("from March 1st to April 30, 2025") == "from March 1st 2025 to April 30, 2025"
    assert borrow_year("between 1 March and 30 April 2025") == "between 1 March 2025 and 30 April 2025"
    assert borrow_year("March 1 2024 and April 30 2025") == "March 1 2024 and April 30 2025"  # has its own
    assert borrow_year("keep 3 and April 30 2025") == "keep 3 and April 30 2025"  # no first day
