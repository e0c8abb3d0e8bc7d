"""Request -> actions, and words -> parameters: the parsing that planning by meaning stands on (no model)."""

from __future__ import annotations

from tilth.agent.actions import parse
from tilth.agent.params import column_mentions, condition_bounds, languages, numbers_to_params
from tilth.agent.skills import Catalogue

PAPER = ("Prepare a high-quality instruction-tuning dataset for mathematical reasoning. Remove low-quality and "
         "duplicate samples, augment difficult problems, and report basic dataset statistics.")


def texts(request: str) -> list[tuple[str, str, bool]]:
    return [(a.text, a.condition, a.negated) for a in parse(request).actions]


def test_clauses_split_and_a_verbless_fragment_takes_the_verb_before_it():
    assert texts(PAPER) == [("Remove low-quality", "", False), ("Remove duplicate samples", "", False),
                            ("augment difficult problems", "", False), ("report basic dataset statistics", "", False)]


def test_a_condition_stays_with_its_clause_and_ends_where_a_new_job_starts():
    assert texts("Rewrite in a calmer tone only where rating is 1 or 2, and leave our agents' replies as they are.") == [
        ("Rewrite in a calmer tone", "only where rating is 1 or 2", False),
        ("leave our agents' replies as they are", "", True)]
    assert condition_bounds("only where rating is 1 or 2") == (1, 2)
    assert condition_bounds("rated below 3") == (None, 2)


def test_negations_refuse_jobs_but_not_rows():
    assert texts("Remove duplicate problems but don't filter by length.") == [
        ("Remove duplicate problems", "", False), ("don't filter by length", "", True)]
    assert texts("Skip functions longer than 1500 characters.")[0][2] is False  # a drop, not a refusal
    assert texts("skip the statistics")[0][2] is True


def test_keep_every_row_is_read_request_wide():
    for r in ("Normalise it; do not throw any rows away.", "Just score the difficulty; every row stays.",
              "Give me stats, without changing the data."):
        assert parse(r).keep_all_rows, r
    assert not parse("Drop duplicates but don't filter by length.").keep_all_rows


def test_modifiers_and_vague_tails_stay_with_their_action_and_goals_give_way_to_details():
    assert texts("Get rid of exact duplicates, ignoring whitespace differences.") == [
        ("Get rid of exact duplicates ignoring whitespace differences", "", False)]
    assert [a.text for a in parse("Build a pretraining corpus: English only, near-deduplicated.").actions] == [
        "English only", "near-deduplicated"]


def test_numbers_go_to_the_threshold_that_faces_the_comparative():
    cat = Catalogue(use_embeddings=False)
    length = cat.by_name["length_filter"]
    assert numbers_to_params(length, "Remove anything with fewer than 50 words.") == {"min": 50, "unit": "words"}
    assert numbers_to_params(length, "Keep documents with more than 50 words.") == {"min": 51, "unit": "words"}
    assert numbers_to_params(length, "Skip functions longer than 1500 characters.") == {"max": 1500, "unit": "chars"}
    assert numbers_to_params(length, "toss the tiny one-liners, anything under 8 words") == {"min": 8, "unit": "words"}
    symbols = cat.by_name["symbol_ratio_filter"]
    assert numbers_to_params(symbols, "drop rows where more than a third of the characters are symbols") == {
        "max_ratio": 0.3333}
    assert numbers_to_params(cat.by_name["lang_id"], "english only, confidence >= 0.65") == {"min_score": 0.65}


def test_languages_and_columns_from_words():
    assert languages("The Dutch and Polish lines are all I need") == ["nl", "pl"]
    cols = ["id", "customer_message", "agent_reply", "rating"]
    assert column_mentions("leave our agents' replies as they are", cols) == ["agent_reply"]
    assert column_mentions("fix typos in what the customer messages say", cols) == ["customer_message"]
