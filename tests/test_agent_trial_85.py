"""Hostile-input trial 85 (session 29): product reviews with one `"stars": "five"` among numbers. The reader keeps
every record and reads the column as text; the agent answered "the average star rating for each source" with row
counts and average words, and saved that plan as a skill that was then replayed on the clean file."""

from __future__ import annotations

import duckdb
from trial_fixtures import peek_rows as _peek_rows

from tilth.agent.offline import OfflinePlanner
from tilth.agent.skills import Catalogue
from tilth.agent.workflow import save_recipe
from tilth.pipeline.recipe import Recipe

ASK = "what is the average star rating for each source?"


def _reviews(path, odd: str | None):
    rows = [{"id": i, "text": f"Review {i}: the kettle boils fast and the lid closes well.", "source": ("amazon", "shop")[i % 2],
             "stars": 1 + i % 5} for i in range(20)]
    if odd is not None:
        rows[7]["stars"] = odd
    return _peek_rows(path, rows)


def test_an_average_of_numbers_read_as_text_is_taken_over_the_numbers_and_says_so(tmp_path, planner):
    data = _reviews(tmp_path / "damaged.jsonl", "five")
    assert {r["stars"] for r in data.rows} >= {"five", "3"}  # (the whole column is text: every record kept)
    plan = planner.plan(ASK, data)
    assert plan.ops() == [] and plan.questions == [
        {"ask": "what is the average star rating for each source",
         "sql": "SELECT source, avg(TRY_CAST(stars AS DOUBLE)) FROM output GROUP BY source ORDER BY source"}]
    assert any("stars holds its numbers as text (the sample also holds 'five')" in n for n in plan.notes)
    # the figure itself: amazon has rows 0, 2, ..., 18 (stars 1, 3, 5, 2, 4, ...), row 7 ("five") is a shop row
    con = duckdb.connect()
    con.execute(f"CREATE TABLE output AS SELECT * FROM read_json('{tmp_path / 'damaged.jsonl'}', columns="
                "{'id': 'BIGINT', 'text': 'VARCHAR', 'source': 'VARCHAR', 'stars': 'VARCHAR'})")
    got = dict(con.execute(plan.questions[0]["sql"]).fetchall())
    shop = [1 + i % 5 for i in range(1, 20, 2) if i != 7]
    assert got == {"amazon": sum(1 + i % 5 for i in range(0, 20, 2)) / 10, "shop": sum(shop) / len(shop)}
    # a column of numbers stays a plain average
    clean = planner.plan(ASK, _reviews(tmp_path / "clean.jsonl", None))
    assert clean.questions[0]["sql"] == "SELECT source, avg(stars) FROM output GROUP BY source ORDER BY source"
    assert not any("as text" in n for n in clean.notes)


def test_a_saved_pipeline_is_not_replayed_on_data_whose_columns_hold_another_kind_of_value(tmp_path):
    damaged, clean = _reviews(tmp_path / "damaged.jsonl", "five"), _reviews(tmp_path / "clean.jsonl", None)
    first = OfflinePlanner(Catalogue(use_embeddings=True)).plan("keep reviews with 4 stars or more, drop exact duplicates",
                                                                damaged)
    save_recipe(first, tmp_path / "ws", tmp_path / "out", column_kinds={"id": "number", "text": "text",
                                                                          "source": "text", "stars": "text"})
    saved = next((tmp_path / "ws").rglob("*.columns.json"))
    assert saved.name == f"{first.name}.columns.json" and Recipe.from_yaml(tmp_path / "out" / "recipe.yaml").steps
    again = OfflinePlanner(Catalogue(tmp_path / "ws", use_embeddings=True))
    plan = again.plan("keep reviews with 4 stars or more, drop exact duplicates", clean)
    assert not any("reused saved pipeline" in n for n in plan.notes)
    assert any(n.startswith(f"did not reuse saved pipeline skill {first.name!r}") and "stars held text (here: number)" in n
               for n in plan.notes)
    # on data like the one it was planned on, it is reused
    same = again.plan("keep reviews with 4 stars or more, drop exact duplicates", damaged)
    assert any("reused saved pipeline" in n for n in same.notes)
    # a skill saved without column kinds (before they were recorded) is reused as it was
    saved.unlink()
    older = OfflinePlanner(Catalogue(tmp_path / "ws", use_embeddings=True))
    assert any("reused saved pipeline" in n for n in older.plan("keep reviews with 4 stars or more, drop exact duplicates",
                                                                 clean).notes)


RAMBLING = ("So, okay, here's the thing, I've got this pile of product reviews that my colleague scraped last month from a "
            "couple of places, I think Amazon and some shop site and maybe the app store, and honestly it's a mess. My "
            "manager wants it cleaned up before Friday because we're going to use it for some sentiment stuff, not sure "
            "exactly what yet. Anyway, what I'd like, if it's possible, is to remove the exact duplicates because the "
            "scraper ran twice on some pages, and also throw away the garbage like the navigation menus and 'click here' "
            "spam and the rows that just say n/a or a dash, but please do not throw away short reviews that are real, like "
            "someone just writing 'Terrible.' is still a real review. Also I only really care about reviews with at least "
            "2 stars, I guess, although maybe that's a bad idea, whatever, let's do at least 2 stars. Oh and I had coffee "
            "this morning which is unrelated. Thanks a lot, you're a lifesaver, really appreciate it, have a great weekend "
            "when it comes.")


def _shop_reviews(tmp_path):
    texts = ["Terrible.", "The kettle boils fast and the lid closes well, happy with it.", "Home | Products | Cart | Login",
             "Click here to win a free phone!!!", "n/a", "-", "Works fine.", "Broke after two weeks, the switch is flimsy."]
    return _peek_rows(tmp_path / "shop.jsonl", [
        {"id": i, "text": texts[i % 8], "stars": 1 + i % 5, "source": ("amazon", "shop_site", "app_store")[i % 3]}
        for i in range(24)])


def test_a_long_rambling_request_keeps_every_job_it_asks_for(tmp_path, planner):
    """T85 r08: "what I'd like, if it's possible, is to remove the exact duplicates because the scraper ran twice ..."
    lost the dedup (the clause before "because" was taken for an explanation, and what followed the reason with it);
    the places it was scraped from became a filter on source; the thanks were jobs not understood."""
    plan = planner.plan(RAMBLING, _shop_reviews(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [("junk_filter", {}), ("value_filter", {"column": "stars", "min": 2.0}),
                                                      ("exact_dedup", {})]
    assert plan.unmatched == []


def test_what_i_would_like_is_to_do_a_job_is_that_job(tmp_path, planner):
    data = _shop_reviews(tmp_path)
    for said in ("what I'd like is to remove the exact duplicates", "All we need is to remove the exact duplicates",
                 "Anyway, what I'd like, if it's possible, is to remove the exact duplicates because the scraper ran twice"):
        assert planner.plan(said, data).ops() == ["exact_dedup"], said  # (was dataset_stats, or nothing)
    # a job after the reason is a job
    assert planner.plan("remove the exact duplicates because the scraper ran twice on some pages, and also throw away "
                        "the garbage like navigation menus", data).ops() == ["junk_filter", "exact_dedup"]
    # what the user has, and the list of it, asks for nothing; a keep after it does
    assert [(s.op, s.params) for s in planner.plan("I've got these reviews from amazon and the app store. Keep only the "
                                                  "amazon ones", data).steps] == [
        ("value_filter", {"column": "source", "values": ["amazon"]})]
    assert planner.plan("we've got to drop the exact duplicates", data).ops() == ["exact_dedup"]


def test_trimming_and_one_case_for_label_columns_is_the_label_tidying_not_a_text_normalisation(tmp_path, planner):
    """Left from trial 84 r03: "tidy the branch and format names (trim the spaces, make the capitalisation consistent)"
    planned normalize_labels and, beside it, a normalize of branch (its bracket split the clause in two)."""
    branches, formats = ["Riverside", " riverside", "RIVERSIDE ", "Old Town", "old town"], ["Book", "book ", "DVD", "dvd"]
    data = _peek_rows(tmp_path / "ill.jsonl", [
        {"request_id": f"ILL-{i:03d}", "branch": branches[i % 5], "format": formats[i % 4],
         "librarian_note": f"Patron asked for the {('second', 'third', 'large print')[i % 3]} edition, sent on."}
        for i in range(30)])
    plan = planner.plan("tidy the branch and format names (trim the spaces, make the capitalisation consistent)", data)
    assert plan.ops() == ["normalize_labels"] and plan.steps[0].params["columns"] == ["branch", "format"]
    assert plan.steps[0].params.get("case", "lower") == "lower"  # (one case: lower, the default)
    assert plan.unmatched == []
    # a normalisation of the text itself stays
    assert planner.plan("tidy the branch names and normalise the unicode and whitespace of the notes", data).ops() == [
        "normalize_labels", "normalize"]
