"""The offline planner on the real registry with MiniLM: requests in users' words -> exact plans.

These are dev-split phrasings (tilth/agent/eval/cases_dev.jsonl); the held-out figures are the bench's.
"""

from __future__ import annotations

import re

import pytest

from tilth.agent.actions import parse
from tilth.agent.eval.data import make_all
from tilth.agent.offline import OfflinePlanner
from tilth.agent.peek import peek
from tilth.agent.skills import Catalogue
from tilth.agent.workflow import save_recipe
from tilth.report.stats import words_sql


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    paths = make_all(tmp_path_factory.mktemp("data"))
    return OfflinePlanner(Catalogue(use_embeddings=True)), {k: peek(v) for k, v in paths.items()}


def _plans_are(planner, plans, datasets):
    """Each (dataset name, request) plans exactly the expected steps, with nothing left not understood."""
    for (name, request), expected in plans.items():
        plan = planner.plan(request, datasets[name])
        assert steps(plan) == expected, request
        assert not plan.unmatched, request


def steps(plan):
    return [(s.op, s.params) for s in plan.steps]


def test_a_filter_on_an_earlier_steps_score_runs_after_it(env):
    planner, data = env
    plan = planner.plan("Count tokens per document and drop every document over 1,000 tokens.", data["web"])
    assert steps(plan) == [("token_count", {}), ("value_filter", {"max": 1000.0, "column": "n_tokens"})]


def test_a_condition_restricts_the_rows_a_job_applies_to(env):
    planner, data = env
    plan = planner.plan("Rewrite in a calmer tone only where rating is 1 or 2, and leave our agents' replies as "
                        "they are.", data["chat"])
    (step,) = plan.steps
    assert step.op == "llm_rewrite"
    assert {k: step.params[k] for k in ("where_column", "where_min", "where_max", "text_field")} == {
        "where_column": "rating", "where_min": 1, "where_max": 2, "text_field": "customer_message"}
    assert any("SmolLM2" in n and "TILTH_LLM_URL" in n for n in plan.notes)  # an LLM job, planned offline


def test_keep_every_row_plans_measurement_only(env):
    planner, data = env
    plan = planner.plan("Get rid of exact copies, then tell me how many tokens we have. Do not throw any rows "
                        "away.", data["chat"])
    assert plan.ops() == ["token_count"] and plan.keep_all_rows
    assert any("exact_dedup would remove rows" in n for n in plan.notes)


def test_numbers_languages_and_units_from_words(env):
    planner, data = env
    assert steps(planner.plan("Remove anything with fewer than 50 words.", data["web"])) == [
        ("length_filter", {"min": 50, "unit": "words"})]
    assert steps(planner.plan("Keep only the Dutch and Polish sentences.", data["multilingual"])) == [
        ("lang_id", {"languages": ["nl", "pl"], "min_score": 0.0})]  # short sentences: any confidence
    plan = planner.plan("Drop pages of the PDFs that have fewer than 20 words.", data["pdf"])
    assert plan.input["unit"] == "page" and plan.ops()[0] in ("length_filter", "word_count_filter")


def test_an_unknown_job_is_shown_back_and_the_rest_is_planned(env):
    planner, data = env
    plan = planner.plan("Dedupe, keep English, and then push the result to the Hugging Face Hub.", data["web"])
    assert plan.ops() == ["lang_id", "exact_dedup"]
    assert plan.unmatched == ["push the result to the Hugging Face Hub"]


def test_a_saved_pipeline_is_reused_for_a_paraphrase_with_its_edited_parameters(env, tmp_path):
    planner, data = env
    plan = planner.plan("Remove documents shorter than 30 words and drop exact duplicates.", data["web"])
    plan.steps[0].params["min"] = 25  # the reviewer's edit
    save_recipe(plan, tmp_path / "ws", tmp_path / "out")
    again = OfflinePlanner(Catalogue(tmp_path / "ws", use_embeddings=True))
    reused = again.plan("Drop docs under 30 words and remove exact duplicates", data["web"])
    assert any("reused saved pipeline" in n for n in reused.notes)
    assert steps(reused) == [("length_filter", {"min": 25, "unit": "words"}), ("exact_dedup", {})]
    other = again.plan("Tag each document with its topic.", data["web"])
    assert not any("reused" in n for n in other.notes)


def test_a_value_filter_on_a_measure_nobody_asked_to_compute_plans_the_measure_first(env):
    planner, data = env
    plan = planner.plan("drop functions that are over 512 tokens", data["code"])
    assert steps(plan) == [("token_count", {}), ("value_filter", {"max": 512.0, "column": "n_tokens"})]


def test_an_operator_named_only_to_rule_it_out_is_not_planned(env):
    planner, data = env
    plan = planner.plan("quality-filter with the language model's judgement, not those rule-of-thumb gopher/c4 "
                        "heuristics", data["web"])
    assert plan.ops() == ["llm_quality_filter"]


def test_a_clause_that_tunes_the_job_before_it_is_not_a_job_of_its_own(env):
    planner, data = env
    plan = planner.plan("fuzzy dedup on the reviews, count a pair as dupes once their jaccard overlap hits 85 percent",
                        data["reviews"])
    assert steps(plan) == [("minhash_dedup", {"text_field": "text", "threshold": 0.85})]
    plan = planner.plan("Dedupe reviews by meaning but be very conservative: only merge when they're like 98% similar.",
                        data["reviews"])
    assert plan.ops() == ["semantic_dedup"] and plan.steps[0].params["threshold"] == 0.98
    plan = planner.plan("redact emails and phone numbers, drop duplicate tickets", data["chat"])
    assert next(s for s in plan.steps if s.op == "pii_redact").params["kinds"] == ["email", "phone"]


def test_a_filter_that_can_measure_labels_every_row_when_nothing_may_be_dropped(env):
    planner, data = env
    plan = planner.plan("Which languages are in here? Tag every sentence with its language; don't remove anything.",
                        data["multilingual"])
    assert steps(plan) == [("lang_id", {"languages": [], "min_score": 0.0})]
    assert steps(planner.plan("drop everything that is not French", data["multilingual"])) == [
        ("lang_id", {"languages": ["fr"], "min_score": 0.0})]


def test_a_clause_after_but_that_sets_a_parameter_adjusts_the_step_before_it(env):
    planner, data = env
    # word_count_filter matches "raise the maximum word count" well, but after "but" it tunes Gopher
    plan = planner.plan("Run the Gopher quality heuristics, but raise the maximum word count to 5000.", data["web"])
    assert steps(plan) == [("gopher_quality", {"max_doc_words": 5000})]
    plan = planner.plan("Run the Gopher quality heuristics, but without the 100000-word cap.", data["web"])
    assert steps(plan) == [("gopher_quality", {"max_doc_words": None})]


def test_a_refused_bound_switches_it_off(env):
    planner, data = env
    plan = planner.plan("Drop the articles under twelve words, and do not impose any maximum.", data["web"])
    (step,) = plan.steps
    low, high = {"length_filter": ("min", "max"), "word_count_filter": ("min_words", "max_words")}[step.op]
    assert step.params[low] == 12 and step.params.get(high, "unset") is None


def test_a_clause_that_only_points_back_adds_no_job(env):
    planner, data = env
    assert planner.plan("Delete the identical documents and keep just one of them.", data["web"]).ops() == ["exact_dedup"]


def test_where_the_data_is_does_not_say_what_to_do_with_it(env):
    planner, data = env
    # "in this web crawl" alone pulls towards the web-quality filters
    assert planner.plan("Delete the word-for-word copies in this web crawl.", data["web"]).ops() == ["exact_dedup"]


def test_a_quotation_is_one_value_whatever_it_contains(env):
    planner, data = env
    plan = planner.plan("Dedupe the reviews and count 'Fine, thanks' and 'fine, thanks' as one.", data["reviews"])
    assert steps(plan) == [("exact_dedup", {"text_field": "text", "normalise": "lower"})]


def test_a_clause_of_the_same_sentence_that_says_the_job_again_adds_no_step(env):
    planner, data = env
    # "discard the paragraphs it rejects" is the judge's own filtering, not a second filter
    plan = planner.plan("Run the language model over each paragraph as a quality judge and discard the "
                        "paragraphs it rejects.", data["web"])
    assert plan.ops() == ["llm_quality_filter"]
    plan = planner.plan("Filter by perplexity with the small model, remove the paragraphs it finds most "
                        "surprising.", data["web"])
    assert plan.ops() == ["perplexity_filter"]


def test_an_operator_missing_a_required_value_yields_to_one_that_can_run(env):
    planner, data = env
    # llm_template_synthesis needs a template the request does not give; an operator that needs none is close
    plan = planner.plan("Use the model to write an instruction for each paragraph.", data["web"])
    assert plan.ops() != ["llm_template_synthesis"] and len(plan.ops()) == 1
    assert any("llm_template_synthesis" in n and "template" in n for n in plan.notes)
    # asked for by name, with nothing as close, it stays (and validation asks for the model's name)
    assert planner.plan("Filter with the quality classifier I trained.", data["web"]).ops() == ["quality_classifier"]


def test_a_verb_rules_out_operators_of_another_kind_of_job(env):
    """"Label" never means rewriting or dropping; the customer-message nouns in PII's phrasings do not pull a
    labelling request towards redaction."""
    planner, data = env
    plan = planner.plan("Label each customer message as one of billing, shipping, returns, account or technical.",
                        data["chat"])
    assert plan.ops() == ["llm_annotate"]


def test_job_kinds_come_from_operator_metadata():
    from tilth.agent.match import job_kind
    from tilth.agent.skills import Catalogue

    kinds = {s.name: job_kind(s) for s in Catalogue(use_embeddings=False).skills if s.kind != "reader"}
    assert (kinds["exact_dedup"], kinds["length_filter"], kinds["normalize"], kinds["token_count"],
            kinds["llm_paraphrase"]) == ("drops", "drops", "edits", "measures", "adds")


def test_row_nouns_are_made_neutral_in_phrasings():
    from tilth.agent.match import neutral

    assert neutral("de-identify the customer messages") == "de-identify texts"
    assert neutral("drop reviews and tickets, keep the pages") == "drop texts and texts, keep the texts"
    assert neutral("remove repeated lines") == "remove repeated lines"  # lines say what the job looks at


def test_no_llm_rules_out_every_llm_operator(env):
    planner, data = env
    plan = planner.plan("Estimate how hard each problem is from its worked solution. No LLM for this.", data["math"])
    assert plan.ops() == ["difficulty_heuristic"]
    assert "not planning operators that call an LLM, as asked" in plan.notes


def test_a_clause_led_by_a_refusal_is_negated_but_a_quantity_is_not():
    from tilth.agent.actions import is_negated

    assert is_negated("No LLM for this") and is_negated("without calling any model")
    assert not is_negated("no more than 50 words") and not is_negated("no fewer than 3 sentences")


def test_a_clause_that_only_names_rows_adds_no_step(env):
    planner, data = env
    plan = planner.plan("For each row, build the instruction from the template 'Write a short ad for a $product.' "
                        "and have the model answer it.", data["reviews"])
    assert plan.ops() == ["llm_template_synthesis"]


def test_a_yes_no_verdict_is_the_binary_mode_and_a_grade_is_not():
    """The choice is read from the parameter's own explanation (binary: a yes/no verdict)."""
    from tilth.agent.params import choices_to_params

    skill = Catalogue(use_embeddings=False).by_name["llm_quality_filter"]
    assert choices_to_params(skill, "LLM keep/drop call on every review, yes or no.") == {"mode": "binary"}
    assert choices_to_params(skill, "Have the LLM grade every text from 1 to 5 and keep 4 and up.") == {}


def test_what_an_operator_does_not_do_is_reported_not_faked(env):
    """pii_redact's metadata says it does not do names or street addresses; lang_id does not translate."""
    planner, data = env
    plan = planner.plan("remove the customers' names and street addresses from the messages", data["chat"])
    assert plan.ops() == [] and len(plan.unmatched) == 2
    assert any("no operator here does that (names; the closest match, pii_redact, cannot)" in n for n in plan.notes)
    plan = planner.plan("redact emails, phone numbers and names in the customer messages", data["chat"])
    assert steps(plan) == [("pii_redact", {"text_field": "customer_message", "kinds": ["email", "phone"]})]
    assert plan.unmatched == ["redact names in the customer messages"]
    # (a translation is llm_translate's job since session 23; lang_id still says it does not do it)
    assert planner.plan("translate every customer message into English", data["chat"]).ops() == ["llm_translate"]
    from tilth.agent.offline import cannot_do

    assert "translate" in cannot_do(planner.cat.by_name["lang_id"], "translate every customer message into English")
    assert planner.plan("keep only the English tickets", data["chat"]).ops() == ["lang_id"]


def test_a_refused_thing_an_operator_cannot_do_is_not_asked_of_it():
    from tilth.agent.offline import cannot_do

    skill = Catalogue(use_embeddings=False).by_name["pii_redact"]
    assert cannot_do(skill, "redact everything except names") == []
    assert cannot_do(skill, "rename the column names") == []
    assert cannot_do(skill, "mask API keys and passwords") == ["API keys", "passwords"]


def test_a_saved_pipeline_is_not_reused_for_other_numbers_or_the_opposite_direction(env, tmp_path):
    planner, data = env
    plan = planner.plan("Keep only reviews with at most 2 stars.", data["reviews"])
    save_recipe(plan, tmp_path / "ws", tmp_path / "out")
    again = OfflinePlanner(Catalogue(tmp_path / "ws", use_embeddings=True))
    for other in ("Keep only reviews with at least 2 stars.", "Keep only reviews with at most 3 stars."):
        assert not any("reused" in n for n in again.plan(other, data["reviews"]).notes), other
    assert any("reused" in n for n in again.plan("keep only the reviews that have 2 stars or fewer",
                                                 data["reviews"]).notes)


def test_a_filter_the_request_configured_is_not_refitted_to_the_sample(env):
    planner, data = env
    (step,) = planner.plan("keep only English", data["multilingual"]).steps  # 14 of 65 rows are English
    assert (step.op, step.params, step.calibrate) == ("lang_id", {"languages": ["en"], "min_score": 0.0}, None)


def test_measuring_instead_of_dropping_plans_the_operator_the_filter_names(env):
    planner, data = env
    plan = planner.plan("what share of rows are under 5 words? just the numbers", data["web"])
    assert plan.ops() == ["sample_metrics"] and plan.keep_all_rows
    plan = planner.plan("How many duplicates are in here? Don't remove them.", data["web"])
    assert plan.ops() == ["dataset_stats"]


def test_a_condition_on_a_score_just_planned_compares_that_score(env):
    planner, data = env
    plan = planner.plan("Estimate each problem's difficulty without a model, and for the ones scoring under 0.3 "
                        "generate a harder version alongside.", data["math"])
    assert plan.ops() == ["difficulty_heuristic", "llm_escalate_difficulty"]  # "without a model": that job only
    assert {k: plan.steps[1].params[k] for k in ("where_column", "where_max")} == {"where_column": "difficulty",
                                                                                  "where_max": 0.3}


def test_reordering_splitting_or_moving_the_rows_is_reported_not_planned(env):
    planner, data = env
    plan = planner.plan("split the conversations 80/20 into train and eval, stratified by topic", data["chat"])
    assert plan.steps == [] and plan.unmatched == ["split the conversations 80/20 into train, eval, stratified by topic"]
    plan = planner.plan("sort the reviews by star rating and drop exact duplicates", data["reviews"])
    assert plan.ops() == ["exact_dedup"] and plan.unmatched == ["sort the reviews by star rating"]
    assert planner.plan("shuffle the words in each review", data["reviews"]).ops()[0].startswith("random_edit")


def test_a_score_named_in_words_picks_the_filter_that_writes_it(env):
    planner, data = env
    plan = planner.plan("keep reviews whose perplexity is between 10 and 1000: lower is probably templated spam, "
                        "higher is garbage", data["reviews"])
    assert [(s.op, s.params.get("min_perplexity"), s.params.get("max_perplexity")) for s in plan.steps] == [
        ("perplexity_filter", 10.0, 1000.0)]
    plan = planner.plan("line-clean it the C4 way, then run the FineWeb heuristics, then prune paragraphs with "
                        "perplexity over 500", data["web"])
    assert plan.ops() == ["c4_line_cleaner", "fineweb_filter", "perplexity_filter"]
    assert plan.steps[1].params == {} and plan.steps[2].params["max_perplexity"] == 500.0


@pytest.mark.parametrize("request_, prefix", [
    # a list after a measuring step says what it measures
    ("Per-row stats on the model answers - word count, chars, bigram diversity. Prefix the new columns with out_ so "
     "they don't clash.", "out_"),
    # a verb-less request for counts measures (it planned word_count_filter), and a prefix follows its name
    ("Per-row word/char/line counts for the output column, with the new columns prefixed resp_ so they don't clash "
     "with anything.", "resp_"),
])
def test_per_row_measures_of_the_answers_with_a_prefix(env, request_, prefix):
    planner, data = env
    assert steps(planner.plan(request_, data["instruct"])) == [("sample_metrics", {"text_field": "output", "prefix": prefix})]


def test_a_part_no_operator_does_is_reported_even_in_a_list_of_parts_it_does(env):
    planner, data = env
    plan = planner.plan("before we index the PDFs, blank out phone numbers, e-mail addresses and the names of any "
                        "people mentioned", data["pdf"])
    assert steps(plan) == [("pii_redact", {"kinds": ["phone", "email"]})]
    assert plan.unmatched == ["blank out the names of any people mentioned"]  # the list borrows its verb


def test_a_symptom_then_a_request_for_its_remedy_plans_the_remedy_once(env):
    planner, data = env
    plan = planner.plan("Some reviews are just the same phrase over and over; drop those.", data["reviews"])
    assert plan.ops() == ["gopher_repetition"]
    plan = planner.plan("the finetuned model overfits because the same prompt shows up restated five different "
                        "ways. get rid of the restatements, looking at the instructions", data["instruct"])
    assert plan.ops() == ["semantic_dedup"] and plan.unmatched == []


def test_a_remedy_for_a_symptom_nothing_matches_is_reported_not_dropped(env):
    planner, data = env
    plan = planner.plan("some pages are scanned receipts with a barcode on top. get those pages out", data["pdf"])
    assert plan.steps == [] and len(plan.unmatched) == 1 and "get those pages out" in plan.unmatched[0]
    # (session 29: junk_filter knows a page "left blank on purpose"; the symptom names its job, which is planned)
    plan = planner.plan("some pages are basically filler, like the one that just says it was left blank on "
                        "purpose. get those pages out", data["pdf"])
    assert plan.ops() == ["junk_filter"] and plan.unmatched == []


def test_a_value_filter_on_text_numbers_says_what_it_drops_and_a_missing_column_is_asked_for(env, tmp_path):
    import json

    planner, _ = env
    rows = [{"review": "Boils fast.", "stars": "5", "votes": 3}, {"review": "Broke.", "stars": "one", "votes": 10},
            {"review": "fine", "stars": "", "votes": 0}, {"review": "Love it", "stars": "4", "votes": 1}]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = peek(tmp_path / "r.jsonl")
    plan = planner.plan("keep reviews with at least 4 stars", data)
    assert steps(plan) == [("value_filter", {"min": 4.0, "column": "stars"})]
    assert any("not numbers in the sample ('one', '')" in n for n in plan.notes)
    plan = planner.plan("drop reviews rated below 3", data)
    assert plan.steps == [] and plan.unmatched == ["drop reviews rated below 3"]
    assert any("which column" in n and "stars" in n for n in plan.notes)


def test_a_long_request_that_repeats_itself_keeps_a_short_why(env):
    planner, data = env
    plan = planner.plan("Remove exact duplicates. " + " ".join(["Also drop the exact duplicates again please."] * 60),
                        data["web"])
    (step,) = plan.steps
    assert step.op == "exact_dedup" and step.why.endswith("; and 57 more clauses") and len(step.why) < 300


def test_a_language_in_a_round_trip_is_its_pivot_not_one_to_keep(env):
    planner, data = env
    plan = planner.plan("Send the customer messages to Japanese and back to English.", data["chat"])
    assert [(s.op, s.params.get("pivot_language")) for s in plan.steps] == [("llm_back_translate", "Japanese")]
    plan = planner.plan("Take only the French sentences and augment them by translating to English and back to "
                        "French.", data["multilingual"])
    assert plan.ops() == ["lang_id", "llm_back_translate"]


def test_a_quoted_example_of_the_data_does_not_name_the_job_and_a_conditions_numbers_stay_in_it(env):
    planner, data = env
    plan = planner.plan("A couple of reviews are just one word or phrase on a loop ('bad bad bad bad...'). Looks like "
                        "bot output to me; lose them.", data["reviews"])
    assert plan.ops() == ["gopher_repetition"]  # not the flagged (bad) words filter
    plan = planner.plan("Polish the wording of the agent replies, but only in tickets rated 4 or higher.", data["chat"])
    assert steps(plan) == [("llm_rewrite", {"text_field": "text", "where_column": "rating", "where_min": 4.0})]


def test_newcomer_trial_column_parameter_and_measuring_choices(env, tmp_path):
    planner, data = env
    rows = "ticket_id,message,rating\n" + "".join(f"{1000 + i},order {i} is late,{r}\n"
                                                   for i, r in enumerate(["4", "5", "three", "1", "2", "5"]))
    (tmp_path / "t.csv").write_text(rows)
    plan = planner.plan("Only keep tickets rated 4 or higher", peek(tmp_path / "t.csv"))
    assert steps(plan) == [("value_filter", {"min": 4.0, "column": "rating"})]  # not ticket_id
    plan = planner.plan("Apply the Gopher quality rules, but lower the minimum word count to 10", data["web"])
    assert steps(plan) == [("gopher_quality", {"min_doc_words": 10})]
    plan = planner.plan("Remove pages with fewer than 20 words, but do not throw any rows away", data["web"])
    assert "c4_line_cleaner" not in plan.ops()  # it rewrites the text: never a measurement


def test_a_text_parameter_never_takes_a_date_or_label_column(env, tmp_path):
    import json

    planner, _ = env
    rows = [{"content": "The quick brown fox jumps over the lazy dog again and again today.",
             "crawl_date": f"2026-11-0{i % 9 + 1}"} for i in range(10)]
    (tmp_path / "w.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    plan = planner.plan("Keep only paragraphs in English or French, and remove anything from before 2026-11-05 by "
                        "crawl_date", peek(tmp_path / "w.jsonl"))
    # the text parameter stays on the text; the date is a bound on crawl_date (dropping what is before it)
    assert [(s.op, s.params.get("text_field")) for s in plan.steps] == [("lang_id", None), ("value_filter", None)]
    assert plan.steps[1].params == {"min": "2026-11-05", "column": "crawl_date"}


def _peek_rows(path, rows):
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return peek(path)


def _dated_pages(tmp_path):
    return _peek_rows(tmp_path / "pages.jsonl", [
        {"body": f"Page {i} about gardening and soil.", "crawl_date": f"2026-11-{d:02d}", "rating": r}
        for i, (d, r) in enumerate([(1, 5), (3, 2), (4, 4), (5, 3), (9, 5), (12, 1)])])


def test_bounds_on_two_columns_are_two_value_filters(env, tmp_path):
    planner, _ = env
    plan = planner.plan("keep pages from November 3, 2026 onwards and rated at least 3", _dated_pages(tmp_path))
    assert steps(plan) == [("value_filter", {"min": "2026-11-03", "column": "crawl_date"}),
                           ("value_filter", {"min": 3.0, "column": "rating"})]


def test_a_date_bound_without_a_date_column_asks_for_the_column_and_never_bounds_the_text(env, tmp_path):
    """Found in a newcomer trial: "reviews" named the text column, whose date bound then dropped every row."""
    from tilth.agent.validation import check_plan

    planner, _ = env
    data = _peek_rows(tmp_path / "r.jsonl", [{"review": f"good stuff number {i}", "stars": i % 5 + 1} for i in range(6)])
    plan = planner.plan("keep only reviews written before 2026-11-05", data)
    assert plan.steps == [] and any("could not tell which column" in n and "review, stars" in n for n in plan.notes)
    # and a plan whose every step validation removes says so, rather than "I did not understand"
    plan.removed = ["value_filter: 'stars' holds no dates"]
    assert check_plan(plan).problems[0].message.startswith("no step is left: validation removed every step I planned")


@pytest.mark.parametrize("text, unknown", [
    ("drop the source and lang columns", ["lang"]),
    ("remove the columns source, lang and url", ["lang", "url"]),
    ('remove column "lang"', ["lang"]),
    ("keep only the stars column and the crawl_date field", []),
    ("drop all other columns", []),
    ("keep every column except source", []),
    ("drop the Source column", []),
])
def test_column_names_the_data_lacks_are_found(text, unknown):
    from tilth.agent.params import unknown_columns

    assert unknown_columns(text, ["_id", "text", "source", "stars", "crawl_date"]) == unknown


def test_a_column_job_naming_a_column_the_data_lacks_says_so(env, tmp_path):
    """Found in a newcomer trial: the missing `lang` was dropped from the request without a word."""
    planner, _ = env
    data = _peek_rows(tmp_path / "s.jsonl", [{"text": f"row {i} text", "source": "web", "stars": i} for i in range(4)])
    plan = planner.plan("drop the source and lang columns", data)
    assert steps(plan) == [("select_columns", {"drop_columns": ["source"]})]
    assert "this data has no column 'lang' (columns: text, source, stars); select_columns leaves it out." in plan.notes


def test_a_value_condition_naming_no_column_takes_the_only_column_of_numbers(env, tmp_path):
    """Found in a newcomer trial: "rated" did not find `stars`; with one column of numbers (ids aside) it is that one,
    and the note says so; with two, the planner asks. (Since trial 68 "rated" names a column of ratings, stars or
    satisfaction by itself: "costing 4 or more" stands in for a condition naming no column.)"""
    planner, _ = env
    rows = [{"review_id": i, "review": f"fine product number {i}", "level": i % 5 + 1} for i in range(6)]
    plan = planner.plan("keep only reviews with 4 or more", _peek_rows(tmp_path / "a.jsonl", rows))
    assert steps(plan) == [("value_filter", {"min": 4.0, "column": "level"})]
    assert any("the only column of numbers" in n for n in plan.notes)
    rows = [{**r, "price": 10 + r["level"]} for r in rows]
    plan = planner.plan("keep only reviews with 4 or more", _peek_rows(tmp_path / "b.jsonl", rows))
    assert plan.steps == [] and any("could not tell which column" in n for n in plan.notes)
    rows = [{**r, "stars": r["level"]} for r in rows]  # "rated": the column of ratings, beside price and level
    plan = planner.plan("keep only reviews rated 4 or more", _peek_rows(tmp_path / "c.jsonl", rows))
    assert steps(plan) == [("value_filter", {"min": 4.0, "column": "stars"})]


def test_short_fits_a_minimum_and_long_a_maximum_on_the_measure_the_filter_writes(env):
    """Found in a newcomer trial: "remove very short documents" fitted `max` on a column named 'length_{unit}'
    and validation then removed the only step."""
    from tilth.agent.validation import check_plan

    planner, data = env
    for request, param in [("remove very short documents", "min"), ("drop overly long pages", "max")]:
        plan = planner.plan(request, data["web"])
        assert [s.op for s in plan.steps] == ["length_filter"], request
        assert {k: plan.steps[0].calibrate[k] for k in ("param", "column")} == {"param": param, "column": "length_words"}
        assert check_plan(plan).ok and param in plan.steps[0].params, request


def test_a_clause_that_keeps_some_values_takes_them_out_of_the_editing_step(env):
    planner, data = env
    plan = planner.plan("Mask the card numbers customers typed into the chat. Keep emails and phone numbers readable, "
                        "the follow-up team still needs them.", data["chat"])
    assert steps(plan) == [("pii_redact", {"text_field": "customer_message", "kinds": ["credit_card"]})]


@pytest.mark.parametrize("request_, params", [
    ("Extract the page text from the source, but leave out anything that sits inside a table.", {"include_tables": False}),
    ("extract text with no tables", {"include_tables": False}),
    ("Get the main content from the HTML, but don't throw out the tables.", {}),
])
def test_leaving_out_a_thing_switches_off_the_parameter_that_includes_it(env, request_, params):
    planner, data = env
    assert steps(planner.plan(request_, data["web"])) == [("html_extract", params)]


def test_characters_shown_in_the_request_that_only_nfkc_folds_choose_nfkc(env):
    planner, data = env
    plan = planner.plan("Normalize the unicode of the reviews typed like Ｆｉｎｅ.", data["reviews"])
    assert [(s.op, s.params.get("unicode_form")) for s in plan.steps] == [("normalize", "NFKC")]
    plan = planner.plan("Normalize the unicode of the reviews (accents like é).", data["reviews"])
    assert [(s.op, s.params.get("unicode_form")) for s in plan.steps] == [("normalize", None)]  # NFC composes é


def test_do_it_with_names_the_method_of_the_job_before_and_not_with_refuses_a_tool(env):
    planner, data = env
    plan = planner.plan("Get rid of reviews that were re-posted with one sentence slightly changed. Do it with n-gram "
                        "overlap hashing, not with an embedding model.", data["reviews"])
    assert [s.op for s in plan.steps] == ["minhash_dedup"]


def test_capital_letters_mean_case_and_keeping_the_earliest_of_each_is_no_job(env):
    planner, data = env
    plan = planner.plan("Treat two reviews as the same review if they only differ in capital letters or extra spaces, "
                        "and keep just the earliest one of each.", data["reviews"])
    assert [(s.op, s.params.get("normalise")) for s in plan.steps] == [("exact_dedup", "lower")]


def test_pages_whose_only_text_is_html_are_extracted_first_and_markup_is_never_the_text(env, tmp_path):
    """Found in a newcomer trial: on url/html/crawled_at/status pages the agent read `html` as the text (renamed to
    `text`), so html_extract found no html and every such plan failed."""
    from tilth.agent.validation import check_plan

    planner, _ = env
    body = "<html><body><nav>Home</nav><article><p>Page {} is about gardening, soil and compost.</p></article></body></html>"
    data = _peek_rows(tmp_path / "p.jsonl", [{"url": f"https://x.org/{i}", "html": body.format(i), "status": 200}
                                             for i in range(8)])
    assert data.text_field is None
    import pyarrow as pa

    from tilth.agent.peek import pick_fields
    assert pick_fields(pa.table({"text": ["hi", "yo"], "url": ["http://a", "http://b"]})) == ("text", None)  # named
    plan = planner.plan("dedupe the pages and keep only english", data)
    assert [s.op for s in plan.steps] == ["html_extract", "lang_id", "exact_dedup"] and check_plan(plan).ok
    plan = planner.plan("extract the article text from the html, then run the gopher quality filter and dedupe", data)
    assert [(s.op, s.params.get("text_field")) for s in plan.steps] == [
        ("html_extract", None), ("gopher_quality", None), ("exact_dedup", None)]


def test_lowercasing_a_named_column_never_drops_it(env, tmp_path):
    """Found in a newcomer trial: "rename stars to rating and lowercase the body" planned drop_columns=['text']."""
    planner, _ = env
    data = _peek_rows(tmp_path / "r.jsonl", [{"body": f"Review {i}: Works WELL.", "stars": i % 5 + 1} for i in range(6)])
    plan = planner.plan("rename stars to rating and lowercase the body", data)
    assert steps(plan) == [("normalize", {"text_field": "text", "lowercase": True}),  # (renames run last: stage 95)
                           ("select_columns", {"rename_columns": {"stars": "rating"}})]


@pytest.mark.parametrize("request_, column, values", [
    ("keep rows from the eu region only", "region", ["eu"]),
    ("keep only verified reviews", "verified", [True]),
    ("keep only reviews where verified is false", "verified", [False]),
    ("keep only rows whose status is 404", "status", [404]),
    ("keep only the headphones reviews", "product", ["headphones"]),
    ("Only kettle and headphones reviews", "product", ["kettle", "headphones"]),
])
def test_keeping_a_value_of_a_label_true_false_or_code_column_is_a_value_filter(env, tmp_path, request_, column, values):
    """Found in a newcomer trial: "keep rows from the eu region only", "status is 200", "verified is true" were
    not understood (value_filter took only number ranges and dates from words)."""
    planner, _ = env
    data = _peek_rows(tmp_path / "r.jsonl", [
        {"body": f"Review {i}: works fine", "product": ["kettle", "headphones", "lamp"][i % 3],
         "region": ["eu", "us"][i % 2], "verified": i % 3 == 0, "status": [200, 404][i % 2]} for i in range(12)])
    assert steps(planner.plan(request_, data)) == [("value_filter", {"column": column, "values": values})]


def test_adding_a_column_measures_and_keeps_every_row(env):
    planner, data = env
    for request in ("add a language column", "add a column with the detected language"):
        plan = planner.plan(request, data["web"])
        assert [s.op for s in plan.steps] == ["lang_id"], request
        assert plan.steps[0].params == {"languages": [], "min_score": 0.0} and plan.steps[0].calibrate is None
    plan = planner.plan("add a column with the detected language and drop anything not English", data["web"])
    assert plan.steps[0].params["languages"] == ["en"] and "every row passes" not in plan.steps[0].why


def test_jobs_on_columns_reshape_and_never_drop_rows(env, tmp_path):
    planner, _ = env
    data = _dated_pages(tmp_path)
    cases = {
        "drop the rating column": [("select_columns", {"drop_columns": ["rating"]})],
        "rename rating to stars": [("select_columns", {"rename_columns": {"rating": "stars"}})],
        "keep only the body, crawl_date and rating columns": [
            ("select_columns", {"keep_columns": ["text", "crawl_date", "rating"]})],
        "throw away every column except body": [("select_columns", {"keep_columns": ["text"]})],
        "lowercase the body": [("normalize", {"text_field": "text", "lowercase": True})],
        # a row filter that happens to say "field" is still about rows
        "keep only rows whose rating field is 4 or more": [("value_filter", {"min": 4.0, "column": "rating"})],
    }
    for request, want in cases.items():
        assert steps(planner.plan(request, data)) == want, request
    plan = planner.plan("drop the url and timestamp fields", data)
    assert plan.steps == [] and any("names no column of this data" in n for n in plan.notes)


def test_a_distribution_of_a_column_is_counted_not_filtered(env, tmp_path):
    planner, _ = env
    data = _dated_pages(tmp_path)
    for request in ("tell me the rating distribution", "give me a breakdown of the rating column"):
        assert steps(planner.plan(request, data)) == [("dataset_stats", {"domain_field": "rating"})], request


def _reviews(tmp_path):
    keys = ("text", "review_date", "ship date", "stars", "updated")
    return _peek_rows(tmp_path / "rev.jsonl", [dict(zip(keys, r, strict=True)) for r in [
        ("great kettle", "2026-11-04", "2026-11-01", 5, "2026-11-20T10:00:00Z"),
        ("broke fast", "2026/11/06", "2026-11-02", 1, "2026-11-21T10:00:00Z"),
        ("fine", "2026-11-07", "2026-11-03", 3, "2026-11-19T10:00:00Z")]])


@pytest.mark.parametrize("data_of, request_, want", [
    (_dated_pages, "keep only pages crawled before 2026-11-05", {"max": "2026-11-04", "column": "crawl_date"}),
    (_dated_pages, "drop rows whose crawl_date is on or before November 4, 2026",
     {"min": "2026-11-05", "column": "crawl_date"}),
    (_dated_pages, "keep rows between 2026/11/02 and 2026/11/09",
     {"min": "2026-11-02", "max": "2026-11-09", "column": "crawl_date"}),
    # review_date mixes layouts (so it does not look like a date column), but the request names it
    (_reviews, "keep reviews with review_date on or after 2026-11-05", {"min": "2026-11-05", "column": "review_date"}),
    (_reviews, "keep rows where updated is on or before 2026-11-20T12:00:00Z",
     {"max": "2026-11-20T12:00:00Z", "column": "updated"}),
])
def test_a_date_is_a_bound_on_the_date_column_never_a_count(env, tmp_path, data_of, request_, want):
    planner, _ = env
    plan = planner.plan(request_, data_of(tmp_path))
    assert steps(plan) == [("value_filter", want)] and not plan.notes


def test_column_jobs_are_planned_without_embeddings_too(tmp_path):
    planner = OfflinePlanner(Catalogue(use_embeddings=False))
    data = _reviews(tmp_path)
    assert steps(planner.plan("drop the ship date column and rename review_date to date", data)) == [
        ("select_columns", {"drop_columns": ["ship date"], "rename_columns": {"review_date": "date"}})]
    assert steps(planner.plan("rename review_date to date", data)) == [
        ("select_columns", {"rename_columns": {"review_date": "date"}})]


def _questions(tmp_path):
    cats = ("math", "history", "science", "geography")
    return _peek_rows(tmp_path / "qa.jsonl", [
        {"question": f"Question {i} about {cats[i % 4]}: what does item {i} mean in this lesson?",
         "answer": f"Answer {i}, explained in two sentences.", "difficulty": round(0.05 * i, 2), "category": cats[i % 4]}
        for i in range(20)])


@pytest.mark.parametrize("request_, want", [
    ("remove math questions", {"column": "category", "drop_values": ["math"]}),
    ("drop the questions whose category is history", {"column": "category", "drop_values": ["history"]}),
    ("get rid of history and geography questions", {"column": "category", "drop_values": ["history", "geography"]}),
    ("keep only the science questions", {"column": "category", "values": ["science"]}),
])
def test_removing_rows_by_a_label_value_drops_those_values(env, tmp_path, request_, want):
    """Removals named only by a label ("remove math questions") planned semantic dedup or a number range on
    the category column; they are value_filter's drop_values."""
    planner, _ = env
    assert steps(planner.plan(request_, _questions(tmp_path))) == [("value_filter", want)]


def test_a_removal_that_names_another_job_is_that_job_on_those_rows(env, tmp_path):
    planner, _ = env
    plan = planner.plan("remove the emails from the math questions", _questions(tmp_path))
    assert plan.ops() == ["pii_redact"]


@pytest.mark.parametrize("request_", ["how many questions per category?", "count rows by category",
                                      "give me dataset stats broken down by category"])
def test_a_count_per_label_column_is_a_breakdown_by_that_column(env, tmp_path, request_):
    planner, _ = env
    (step,) = planner.plan(request_, _questions(tmp_path)).steps
    assert (step.op, step.params.get("domain_field")) == ("dataset_stats", "category")


@pytest.mark.parametrize("request_, want", [
    # a bound in brackets is the condition; the adjective says which rows, the verb says the job
    ("paraphrase the hard questions (difficulty above 0.8)",
     ("llm_paraphrase", {"where_column": "difficulty", "where_min": 0.8})),
    ("rewrite the questions (difficulty at most 0.3) more clearly",
     ("llm_rewrite", {"where_column": "difficulty", "where_max": 0.3})),
    ("make harder versions of the easy questions", ("llm_escalate_difficulty", {"where_column": "difficulty"})),
])
def test_a_selection_by_difficulty_restricts_the_job_it_does_not_replace_it(env, tmp_path, request_, want):
    planner, _ = env
    (step,) = planner.plan(request_, _questions(tmp_path)).steps
    assert step.op == want[0] and {k: step.params.get(k) for k in want[1]} == want[1]
    if request_.startswith("make harder"):  # the easy ones: an upper bound fitted on the sample
        assert "where_max" in step.params and "where_min" not in step.params
    plan = planner.plan("make the questions more difficult", _questions(tmp_path))  # the job's own word
    assert "where_column" not in plan.steps[0].params


def test_statements_about_unwanted_rows_give_the_bounds_and_in_between_keeps_the_rest(env):
    planner, data = env
    plan = planner.plan("Reviews under twenty characters tell us nothing ('ok', '10/10') and anything past four "
                        "hundred characters is a rant. Keep what falls in between.", data["reviews"])
    assert steps(plan) == [("length_filter", {"text_field": "text", "min": 20, "unit": "chars", "max": 400})]


def test_a_column_that_can_go_is_dropped_and_a_leading_only_ends_at_its_semicolon(env):
    planner, data = env
    plan = planner.plan("only the headphones and kettle reviews; after that the product column can go, and scrub "
                        "e-mail addresses and phone numbers out of the text", data["reviews"])
    assert sorted(steps(plan), key=lambda s: s[0]) == [
        ("pii_redact", {"text_field": "text", "kinds": ["email", "phone"]}),
        ("select_columns", {"drop_columns": ["product"]}),
        ("value_filter", {"column": "product", "values": ["headphones", "kettle"]})]


@pytest.mark.parametrize("request_, want", [
    ("use the language model to put each review in exactly one of these buckets: praise, complaint, question, spam",
     ["praise", "complaint", "question", "spam"]),
    ("have the LLM tag each one positive, negative or mixed", ["positive", "negative", "mixed"]),
    ("label each review as one of the following: praise, complaint or spam", ["praise", "complaint", "spam"]),
])
def test_a_list_of_labels_is_one_choices_parameter(env, request_, want):
    planner, data = env
    (step,) = planner.plan(request_, data["reviews"]).steps
    assert (step.op, step.params.get("choices")) == ("llm_annotate", want)


def test_whether_case_matters_is_read_from_examples_and_phrases():
    from tilth.agent.params import case_matters

    assert case_matters("'Refund' and 'refund' should count as two different words") is True
    assert case_matters("treat 'GREAT' and 'great' as one") is False
    assert case_matters("leave upper and lower case exactly as they are") is True
    assert case_matters("the casing is the only thing allowed to differ") is False
    assert case_matters("drop the duplicates") is None


def test_case_left_alone_turns_lower_casing_off(env):
    planner, data = env
    plan = planner.plan("For each customer message add word and character counts and the distinct-word ratio. "
                        "'Refund' and 'refund' should count as two different words.", data["chat"])
    assert steps(plan) == [("sample_metrics", {"text_field": "customer_message", "lowercase": False})]
    plan = planner.plan("Tidy the whitespace but allow up to two empty lines in a row, and leave upper and lower "
                        "case exactly as they are.", data["web"])
    assert steps(plan) == [("normalize", {"max_blank_lines": 2})] and not plan.unmatched


def _calls(tmp_path):
    return _peek_rows(tmp_path / "calls.jsonl", [
        {"id": i, "source": ("podcast", "meeting")[i % 2], "transcript": f"HOST: hello number {i}. GUEST: thanks for having me.",
         "n_turns": 2 + i % 5, "duration_sec": 60 * (1 + i % 9), "thread_id": 100 + i % 8, "upvotes": i * 3 - 5,
         "lang": "en", "code": f"def f{i}(): return {i}", "license": "mit"} for i in range(20)])


@pytest.mark.parametrize("request_, want", [
    ("drop conversations with fewer than 3 turns", [("value_filter", {"column": "n_turns", "min": 3.0})]),
    ("keep conversations where n_turns is at least 3", [("value_filter", {"column": "n_turns", "min": 3.0})]),
    # a time unit in the request, seconds in the column
    # (whole seconds: longer than 300 is 301 or more)
    ("keep calls longer than five minutes", [("value_filter", {"column": "duration_sec", "min": 301.0})]),
    ("drop posts with negative upvotes", [("value_filter", {"column": "upvotes", "min": 0.0})]),
    ("keep rows where thread_id is 102", [("value_filter", {"column": "thread_id", "values": [102]})]),
    # each bound goes with the column named nearest to it
    ("only posts from threads 100 to 105 with more than twenty upvotes",
     [("value_filter", {"column": "thread_id", "min": 100.0, "max": 105.0}), ("value_filter", {"column": "upvotes", "min": 21.0})]),
    # a strict bound on whole numbers leaves the number out; "drop ... at least" leaves it out of what is kept
    ("keep posts with fewer than 10 upvotes", [("value_filter", {"column": "upvotes", "max": 9.0})]),
    ("drop posts with at least 10 upvotes", [("value_filter", {"column": "upvotes", "max": 9.0})]),
    ("drop posts with more than 10 upvotes", [("value_filter", {"column": "upvotes", "max": 10.0})]),
    ("keep calls with at most 4 turns", [("value_filter", {"column": "n_turns", "max": 4.0})]),
    # a label and a bound on another column: two steps, neither dropped silently
    ("keep only the podcast calls with at least 4 turns",
     [("value_filter", {"column": "source", "values": ["podcast"]}), ("value_filter", {"column": "n_turns", "min": 4.0})]),
    ("keep posts whose lang is de, fr or es", [("value_filter", {"column": "lang", "values": ["de", "fr", "es"]})]),
    ("remove the license column, keep everything else", [("select_columns", {"drop_columns": ["license"]})]),
])
def test_bounds_on_the_datas_own_numeric_columns_are_value_filters(env, tmp_path, request_, want):
    """A newcomer's requests on transcripts and forum posts: "fewer than 3 turns" was a word-count filter,
    "longer than five minutes" a length filter, "n_turns is at least 3" and "thread_id between 100 and 105"
    empty plans, and the second condition of "threads 100 to 105 with more than twenty upvotes" was lost."""
    planner, _ = env
    assert steps(planner.plan(request_, _calls(tmp_path))) == want


def test_words_that_only_count_rows_or_pages_are_not_column_bounds(env):
    planner, data = env
    plan = planner.plan("turn the PDFs into Q&A training data: 3 question/answer pairs for every page", data["pdf"])
    assert plan.ops() == ["llm_qa_synthesis"]
    plan = planner.plan("paraphrase the reviews with 5 stars", data["reviews"])
    assert plan.ops() == ["llm_paraphrase"]


def test_empty_twice_and_a_range_in_words(env):
    planner, data = env
    assert steps(planner.plan("remove the empty reviews", data["reviews"])) == [
        ("length_filter", {"text_field": "text", "min": 1})]
    assert steps(planner.plan("keep reviews between fifty and four hundred words", data["reviews"])) == [
        ("length_filter", {"text_field": "text", "min": 50, "unit": "words", "max": 400})]
    (step,) = planner.plan("Paraphrase each review twice to augment the data", data["reviews"]).steps
    assert (step.op, step.params.get("n")) == ("llm_paraphrase", 2)


def test_html_in_the_text_column_is_extracted_from_it_without_touching_the_title(env, tmp_path):
    planner, _ = env
    data = _peek_rows(tmp_path / "news.jsonl", [
        {"url": f"https://x.test/{i}", "title": f"Story {i}", "body": f"<p>Story {i} body with <b>bold</b> words.</p>"}
        for i in range(10)])
    plan = planner.plan("Strip the HTML out of the article bodies", data)
    # the body is all markup, so the peek took the title as the text; it keeps its name and its values
    assert steps(plan) == [("html_extract", {"html_field": "body", "title_field": None})] and "text" not in plan.input
    mixed = _peek_rows(tmp_path / "mixed.jsonl", [
        {"title": f"Story {i}", "body": f"Story {i} has a plain body of several words in it." if i % 2 else
         f"<div><p>Story {i} body with <b>bold</b> words.</p></div>"} for i in range(10)])
    plan = planner.plan("Strip the HTML out of the article bodies", mixed)  # the body is the text: read from it
    assert steps(plan) == [("html_extract", {"html_field": "text", "title_field": None})]


def test_a_step_that_writes_over_a_column_of_the_data_says_so(env, tmp_path):
    planner, _ = env
    plan = planner.plan("keep only English posts, detected with fastText", _calls(tmp_path))
    assert any("lang_id writes 'lang', which replaces the data's own column" in n for n in plan.notes)
    # (session 29: without the detector asked for, the data's own language column says which rows are English)
    plan = planner.plan("keep only English posts", _calls(tmp_path))
    assert plan.ops() == ["value_filter"] and any("own 'lang' column" in n for n in plan.notes)


def test_more_from_the_newcomer_trial(env, tmp_path):
    planner, _ = env
    calls = _calls(tmp_path)
    notes = _peek_rows(tmp_path / "notes.jsonl", [
        {"department": ("cardiology", "neurology", "orthopedics")[i % 3], "age": 10 + 3 * i,
         "note": f"Patient {i} came in with a cough and was sent home with advice to rest.",
         "docstring": "" if i % 4 == 0 else f"Compute the value of item {i} from the cached table."} for i in range(20)])
    cases = {
        # a distribution of a label column, with "analysis only" read as a constraint, not a job
        "what's the distribution of departments? analysis only, no filtering":
            [("dataset_stats", {"domain_field": "department"})],
        # a label and an age bound ("aged" names `age`) in one clause: both kept
        "keep only cardiology and neurology visits for patients aged 18 or older":
            [("value_filter", {"column": "department", "values": ["cardiology", "neurology"]}),
             ("value_filter", {"column": "age", "min": 18.0})],
        # rows without a value of a column: at least one word in it
        "drop notes that have no docstring": [("length_filter", {"text_field": "docstring", "min": 1})],
    }
    for request, want in cases.items():
        assert steps(planner.plan(request, notes)) == want, request
    # language names against a column of language codes
    plan = planner.plan("keep German, French and Spanish posts only, using the lang field",
                        _peek_rows(tmp_path / "f.jsonl", [{"post": f"post {i} says hello", "lang": ("en", "de")[i % 2]}
                                                          for i in range(10)]))
    assert steps(plan) == [("value_filter", {"column": "lang", "values": ["fr", "de", "es"]})]
    # "and also" asks for a second job of the same kind, not the first restated
    assert planner.plan("deduplicate the code exactly, and also remove near-duplicate functions", calls).ops() == [
        "exact_dedup", "minhash_dedup"]
    # "tell me the distribution" after a step that labels rows: of those labels
    plan = planner.plan("detect the language of every transcript and tell me the distribution, but don't throw any "
                        "rows away", calls)
    assert [(s.op, s.params.get("domain_field")) for s in plan.steps] == [("lang_id", None), ("dataset_stats", "lang")]


def test_a_breakdown_is_printed_in_one_line():
    from tilth.agent.report import stats_line

    stats = {"rows": 42, "domain_field": "lang", "domains": [{"domain": "en", "rows": 27, "share": 27 / 42},
                                                             {"domain": "de", "rows": 15, "share": 15 / 42}]}
    assert stats_line("02_dataset_stats", stats, markdown=False) == "lang (02_dataset_stats, 42 rows): en 27 (64%), de 15 (36%)"
    assert stats_line("s", {"rows": 3, "domains": []}) is None


@pytest.mark.parametrize("text, keep, drop", [
    ("only recordings made in April 2025 or later", {"min": "2025-04-01"}, {"max": "2025-03-31"}),
    ("visits from the second half of 2024 only", {"min": "2024-07-01", "max": "2024-12-31"},
     {"min": "2024-07-01", "max": "2024-12-31", "drop_range": True}),
    ("after April 2025", {"min": "2025-05-01"}, {"max": "2025-04-30"}),
    ("before Q3 2025", {"max": "2025-06-30"}, {"min": "2025-07-01"}),
    ("until February 2024", {"max": "2024-02-29"}, {"min": "2024-03-01"}),
    ("keep rows from 2024", {}, {}),  # a bare year may be a count: left alone
])
def test_a_month_half_or_quarter_of_a_year_is_a_period(text, keep, drop):
    from tilth.agent.dates import bounds, mask

    assert (bounds(text), bounds(text, dropping=True)) == (keep, drop)
    assert "2025" not in mask("posted in Q1 2025") and "2024" in mask("rows from 2024")


def test_a_period_on_the_date_column_and_a_tone_in_the_users_words(env, tmp_path):
    planner, data = env
    visits = _peek_rows(tmp_path / "v.jsonl", [{"note": f"Patient {i} was seen for a routine check and went home.",
                                                "visit_date": f"2024-{1 + i % 12:02d}-15"} for i in range(20)])
    assert steps(planner.plan("Visits from the second half of 2024 only", visits)) == [
        ("value_filter", {"column": "visit_date", "min": "2024-07-01", "max": "2024-12-31"})]
    for request, style in (("Have the LLM rewrite each reply in plain language for customers", "plain language for customers"),
                           ("rewrite each reply so a ten year old could understand it", "understandable by a ten year old"),
                           ("rewrite the replies in the voice of a calm librarian", "like a calm librarian")):
        (step,) = planner.plan(request, data["chat"]).steps
        assert (step.op, step.params.get("task"), step.params.get("style"), step.params.get("min_chars")) == (
            "llm_rewrite", "tone", style, None), request


def test_a_leaning_qualifies_the_step_before_and_a_bracketed_exclusion_is_strict(env):
    planner, data = env
    plan = planner.plan("parse the html field to plain text. skip whatever is inside tables, and when unsure lean "
                        "towards keeping too much text rather than too little", data["web"])
    assert steps(plan) == [("html_extract", {"include_tables": False, "favor": "recall"})]
    (step,) = planner.plan("keep pairs with an instruction-following difficulty from 0.4 up to (not including) 0.95",
                           data["instruct"]).steps
    assert (step.params["min_ifd"], step.params["max_ifd"]) == (0.4, 0.95)
    plan = planner.plan("Review by review, I want to know how varied the vocabulary is. Extra columns are fine, "
                        "losing reviews is not.", data["reviews"])
    assert plan.ops() == ["sample_metrics"] and plan.keep_all_rows and not plan.unmatched


def test_the_same_job_done_otherwise_is_a_second_step(env):
    """"once via German, and once more via Spanish" merged into one back-translation via Spanish; a text
    parameter set otherwise is the job again, while lists (PII kinds) add up in one step."""
    planner, data = env
    for request in ("Make round-trip variants of each review twice over: once via German, and once more via Spanish.",
                    "back-translate the reviews via German, then via Spanish"):
        plan = planner.plan(request, data["reviews"])
        assert [(s.op, s.params.get("pivot_language")) for s in plan.steps] == [
            ("llm_back_translate", "German"), ("llm_back_translate", "Spanish")], request
    assert steps(planner.plan("Replace card numbers and phone numbers with [REMOVED].", data["chat"]))[0][1]["kinds"] == [
        "credit_card", "phone"]


def test_more_unseen_wordings_from_dev_e(env):
    planner, data = env
    assert steps(planner.plan("Which topics do the tickets fall under and in what proportions?", data["chat"])) == [
        ("dataset_stats", {"domain_field": "topic"})]
    assert steps(planner.plan("Row-level text metrics on the agent replies, but don't lowercase before counting "
                              "distinct words, case matters to us.", data["chat"])) == [
        ("sample_metrics", {"text_field": "text", "lowercase": False})]  # a refused lower-casing, not the metrics
    plan = planner.plan("First turn the html field into plain text, then delete the raw markup column", data["web"])
    assert steps(plan) == [("html_extract", {}), ("select_columns", {"drop_columns": ["html"]})]


def test_values_of_a_named_label_column_the_sample_lacks(env, tmp_path):
    """From the second newcomer trial: labels the sample does not hold, named beside their column or a word of
    its name, a year column, and wordings that were misread."""
    planner, _ = env
    tickets = _peek_rows(tmp_path / "tickets.jsonl", [
        {"ticket": f"My order {i} arrived late and the box was damaged, please help.",
         "product_area": ("shipping", "returns", "account")[i % 3], "lang_code": ("en", "de")[i % 2]} for i in range(12)])
    papers = _peek_rows(tmp_path / "papers.jsonl", [
        {"abstract": f"We study problem {i} with a new method and report strong results on benchmarks.",
         "field": ("biology", "chemistry")[i % 2], "year": 2014 + i % 9} for i in range(12)])
    cases = [
        # "billing" is in no sampled row; "areas" names product_area; the verb-less half drops too
        (tickets, "drop the returns and billing areas",
         [("value_filter", {"column": "product_area", "drop_values": ["returns", "billing"]})]),
        (tickets, "keep tickets whose lang_code is en or es", [("value_filter", {"column": "lang_code", "values": ["en", "es"]})]),
        (papers, "keep only papers from the physics field", [("value_filter", {"column": "field", "values": ["physics"]})]),
        (papers, "keep papers published in 2020 or later", [("value_filter", {"column": "year", "min": 2020})]),
        (papers, "drop papers from 2015", [("value_filter", {"column": "year", "drop_values": [2015]})]),
        # "then" for "than" is a typo, not a next step; "anything else" does not forbid the drop just asked for
        (tickets, "remove tickets shorter then 5 words", [("length_filter", {"text_field": "text", "min": 5, "unit": "words"})]),
        (tickets, "remove tickets shorter than 5 words, don't drop anything else",
         [("length_filter", {"text_field": "text", "min": 5, "unit": "words"})]),
        (tickets, "convert fullwidth characters to normal ones", [("normalize", {"unicode_form": "NFKC"})]),
    ]
    for data, request, want in cases:
        plan = planner.plan(request, data)
        assert steps(plan) == want and not plan.keep_all_rows, request
    # a label the sample lacks with no column named is reported, not guessed
    plan = planner.plan("drop abstracts with fewer than 10 words and keep the physics ones", papers)
    assert steps(plan) == [("length_filter", {"text_field": "text", "min": 10, "unit": "words"})]
    assert plan.unmatched == ["keep the physics ones"]


@pytest.mark.parametrize("request_, want", [
    ("keep the top 10% most viewed posts", [("top_filter", {"fraction": 0.1, "column": "views"})]),
    ("keep only the 5 most viewed posts", [("top_filter", {"count": 5, "column": "views"})]),
    ("keep the bottom 30% by quality score",
     [("top_filter", {"keep": "lowest", "fraction": 0.3, "column": "quality_score"})]),
    # "everything but" keeps what follows it; dropping the top keeps the rest from the bottom
    ("drop everything but the top quarter by views", [("top_filter", {"fraction": 0.25, "column": "views"})]),
    ("drop the top quarter by views", [("top_filter", {"fraction": 0.25, "column": "views", "drop": True})]),
    ("remove the 3 least viewed posts", [("top_filter", {"keep": "lowest", "count": 3, "column": "views", "drop": True})]),
    ("remove posts with fewer than 10 views", [("value_filter", {"column": "views", "min": 10.0})]),
])
def test_rows_picked_by_rank_are_a_top_filter_on_the_column_named(env, tmp_path, request_, want):
    """From the second newcomer trial: "top 10% most viewed" had no operator (a value filter needs a number)."""
    planner, _ = env
    posts = _peek_rows(tmp_path / "posts.jsonl", [
        {"post": f"Post number {i} about gardening and the soil in spring.", "views": (i * 37) % 101,
         "quality_score": round(((i * 13) % 17) / 17, 3)} for i in range(20)])
    assert steps(planner.plan(request_, posts)) == want


def test_the_top_share_of_a_score_just_planned_reads_that_score(env):
    planner, data = env
    plan = planner.plan("score each page's quality with the LLM and keep the top 30%", data["web"])
    # the scoring step drops nothing; the ranking reads its column
    assert steps(plan) == [("llm_quality_filter", {"min_score": 0}),
                           ("top_filter", {"fraction": 0.3, "column": "llm_quality"})]


def test_from_a_third_newcomer_trial(env, tmp_path):
    """Requests a newcomer wrote on data of their own: label lists the sample partly lacks, with no column
    named; "other than" a label; "4 or above" on a 1-5 column; "least helpful" names helpful_votes, not the
    answer column; a date bound beside a number bound; a translation that is not a round trip."""
    planner, _ = env
    forum = _peek_rows(tmp_path / "forum.jsonl", [
        {"body": f"Post {i} asks about a driver update and a clicking fan.", "views": 100 * i, "created_at":
         f"2024-0{1 + i % 6}-1{i % 9}", "category": ("hardware", "offtopic", "gaming")[i % 3]} for i in range(15)])
    qa = _peek_rows(tmp_path / "qa.jsonl", [
        {"product": ("kettle", "blender", "tent")[i % 3], "question": f"Does item {i} work with 110V?",
         "answer": f"Yes, item {i} is dual voltage and works fine.", "rating": 1 + i % 5, "helpful_votes": 3 * i}
        for i in range(15)])
    articles = _peek_rows(tmp_path / "articles.jsonl", [
        {"url": f"https://x.test/{i}", "body": f"Article {i} reports on the council budget and public transport.",
         "word_count": 10 + 5 * i, "source": ("bbc", "blogspot", "reuters")[i % 3], "fetched": f"2024-0{1 + i % 5}-15",
         "spam_score": round(0.05 * i, 2)} for i in range(15)])
    cases = [
        (forum, "drop everything in the offtopic and politics categories",
         [("value_filter", {"column": "category", "drop_values": ["offtopic", "politics"]})]),
        (qa, "questions about kettles, blenders or toasters only",
         [("value_filter", {"column": "product", "values": ["kettle", "blender", "toaster"]})]),
        (qa, "only answers with at least 10 helpful votes and a rating of 4 or above",
         [("value_filter", {"column": "helpful_votes", "min": 10.0}), ("value_filter", {"column": "rating", "min": 4.0})]),
        (qa, "the 20 least helpful answers gone",
         [("top_filter", {"keep": "lowest", "count": 20, "column": "helpful_votes", "drop": True})]),
        (articles, "keep articles with word_count between 20 and 60 from sources other than blogspot",
         [("value_filter", {"column": "source", "drop_values": ["blogspot"]}),
          ("value_filter", {"column": "word_count", "min": 20.0, "max": 60.0})]),
        (articles, "keep articles with spam_score below 0.3 that were fetched in March 2024 or later",
         [("value_filter", {"column": "spam_score", "max": 0.3, "max_exclusive": True}),
          ("value_filter", {"column": "fetched", "min": "2024-03-01"})]),
    ]
    for data, request, want in cases:
        assert steps(planner.plan(request, data)) == want, request
    plan = planner.plan("translate every post into Japanese", forum)  # (llm_translate since session 23)
    assert steps(plan) == [("llm_translate", {"target_language": "Japanese"})] and not plan.unmatched
    assert planner.plan("translate the posts into German and back", forum).ops() == ["llm_back_translate"]
    # a list of labels is not two jobs, but a verb after "and" still starts one
    assert planner.plan("keep the offtopic posts and drop exact duplicates", forum).ops() == ["value_filter", "exact_dedup"]


def test_from_a_fourth_newcomer_trial(env, tmp_path):
    """Cleaning requests a newcomer wrote on data whose text columns have names of their own (cust_says,
    agent_says): an abbreviated column named by its word, a leading condition on a label, a condition after
    a restated job, "near-identical", and "a word or two" (which set bands=2 and emptied the plan)."""
    planner, _ = env
    chats = _peek_rows(tmp_path / "support.jsonl", [
        {"cust_says": ("hi", "My order has not arrived yet, it has been two weeks.")[i % 2],
         "agent_says": f"Sorry about the delay with order {i}! I asked the courier to prioritise it today.",
         "csat_score": 1 + i % 5, "via": ("email", "chat")[i % 2]} for i in range(12)])
    instr = _peek_rows(tmp_path / "instr.jsonl", [
        {"prompt": f"Summarise paragraph {i} in one sentence.", "completion": f"Paragraph {i} says the forest matters.",
         "origin": ("human", "synthetic", "scraped")[i % 3]} for i in range(12)])
    plan = planner.plan("Remove chats where the customer message is shorter than 15 characters, then dedupe "
                        "near-identical agent replies.", chats)
    assert plan.input["text"] == "agent_says"
    assert steps(plan) == [("length_filter", {"text_field": "cust_says", "min": 15, "unit": "chars"}),
                           ("minhash_dedup", {"text_field": "text", "ngram": 1, "threshold": 0.7})]
    (step,) = planner.plan("For rows whose origin is synthetic only, back-translate the completion through German "
                           "to make extra variants.", instr).steps
    assert (step.op, {k: step.params.get(k) for k in ("text_field", "where_column", "where_values")}) == (
        "llm_back_translate", {"text_field": "completion", "where_column": "origin", "where_values": ["synthetic"]})
    (step,) = planner.plan("Rewrite the agent replies in a friendlier, more professional tone, but only for chats "
                           "with a CSAT of 2 or lower.", chats).steps
    assert (step.params["where_column"], step.params["where_max"]) == ("csat_score", 2.0)
    assert steps(planner.plan("Several pages are mirrors of the same article with a word or two changed. Collapse "
                              "those lightly edited copies.", chats)) == [("minhash_dedup", {"ngram": 1, "threshold": 0.7})]


def test_bounds_in_two_units_are_two_length_steps(env):
    """"under 30 words or over 2,000 characters": one length step counts one unit; the character cap was
    lost (and "or over" was read as the tail of "30 words")."""
    planner, data = env
    assert steps(planner.plan("Throw away any page under 30 words or over 2,000 characters.", data["web"])) == [
        ("length_filter", {"min": 30, "unit": "words"}), ("length_filter", {"max": 2000, "unit": "chars"})]
    assert steps(planner.plan("keep pages with between 50 and 500 words", data["web"])) == [
        ("length_filter", {"min": 50, "unit": "words", "max": 500})]


def test_rows_without_a_value_in_a_named_column_are_dropped(env, tmp_path):
    planner, _ = env
    chats = _peek_rows(tmp_path / "c.jsonl", [
        {"msg": f"My order {i} has not arrived yet, it has been two weeks.", "csat_score": None if i % 4 == 0 else 1 + i % 5}
        for i in range(12)])
    plan = planner.plan("Drop chats with no CSAT, keep those rated 4 or higher", chats)
    assert steps(plan) == [("value_filter", {"column": "csat_score", "keep_null": False, "min": 4.0})]
    assert steps(planner.plan("remove rows missing a csat score", chats)) == [
        ("value_filter", {"column": "csat_score", "keep_null": False})]


def test_the_removal_verb_does_not_choose_the_operator(env, tmp_path):
    """'strip out', 'toss', 'weed out' and 'remove' ask for the same job; the verb once chose the operator
    ("strip out pages whose body is a copy" planned HTML extraction). A removal that points back at a judgement
    ("..., yes or no, and bin the no's") is that judgement's filter, not a job of its own."""
    planner, _ = env
    pages = _peek_rows(tmp_path / "pages.jsonl", [
        {"url": f"https://x.org/{i}", "body": f"Page {i} about gardening and soil, with notes on watering."}
        for i in range(12)])
    for verb in ("strip out", "toss", "remove", "get rid of"):
        plan = planner.plan(f"{verb} pages whose body is a word-for-word copy", pages)
        assert steps(plan) == [("exact_dedup", {"text_field": "text"})], verb
    plan = planner.plan("weed out pages that say the same thing in other words", pages)
    assert plan.ops() == ["semantic_dedup"]
    plan = planner.plan("dedupe the pages fuzzily", pages)  # the adverb as its adjective: "fuzzy"
    assert plan.ops() == ["minhash_dedup"] and plan.unmatched == [] and not any("do not know" in n for n in plan.notes)
    plan = planner.plan("let the LLM decide per page whether it's worth training on, yes or no, and bin the no's", pages)
    assert steps(plan) == [("llm_quality_filter", {"mode": "binary"})]


def test_what_may_stay_is_one_refusal_and_a_purpose_clause_refuses_nothing(env, tmp_path):
    """From the dev split's misses: "E-mail addresses and phone numbers can stay" was split at "and" and
    planned PII redaction of e-mails; "so it doesn't look copied" was read as refusing the job; "Keep one of
    each" was read as a list of labels."""
    from tilth.agent.actions import parse

    planner, _ = env
    tickets = _peek_rows(tmp_path / "tickets.jsonl", [
        {"message": f"Order {i} is late, write to me at user{i}@example.com or call 555-010-{1000 + i}."}
        for i in range(12)])
    for request in ("Strip people's names and street addresses from the tickets. E-mail addresses and phone "
                    "numbers can stay.",
                    "we're not worried about emails or phone numbers here. what must go are people's names and "
                    "street addresses",
                    "Strip people's names and street addresses out of the messages and nothing else: the e-mails and "
                    "phone numbers must stay."):
        plan = planner.plan(request, tickets)
        assert plan.steps == [] and len(plan.unmatched) == 2, request  # pii_redact does neither; reported
        assert any("no operator here does that (names;" in n for n in plan.notes)
    actions = parse("anonymise the text but leave IP addresses and card numbers alone, only emails and phone numbers")
    assert [(a.text, a.negated) for a in actions.actions] == [
        ("anonymise the text", False), ("leave IP addresses and card numbers alone", True),
        ("anonymise only emails", False), ("anonymise phone numbers", False)]
    plan = planner.plan("anonymise the text but leave IP addresses and card numbers alone, only emails and phone "
                        "numbers", tickets)
    assert steps(plan) == [("pii_redact", {"kinds": ["email", "phone"]})]
    actions = parse("A seller seems to have posted the same review many times, reworded each time so it doesn't "
                    "look copied.").actions
    assert [(a.asks, a.negated) for a in actions] == [(False, False), (False, False)]
    reviews = _peek_rows(tmp_path / "reviews.jsonl", [{"review": f"Great kettle number {i}, boils fast."} for i in range(12)])
    plan = planner.plan("A seller seems to have posted the same review many times, reworded each time so it "
                        "doesn't look copied.", reviews)
    assert plan.ops() == ["semantic_dedup"]
    plan = planner.plan("Several reviews were submitted more than once. Keep one of each.", reviews)
    assert plan.ops() == ["exact_dedup"]


def test_more_from_newcomer_trials_five_and_six(env, tmp_path):
    """From newcomer trials 5 and 6 (SFT and code data; web and multilingual data), each graded wrong or
    partly right before these fixes."""
    planner, _ = env
    sft = _peek_rows(tmp_path / "sft.jsonl", [
        {"id": f"sft-{i}", "prompt": f"How do I solve task {i} with a short script?",
         "completion": f"Write a loop over the items and print each result; task {i} needs no more.",
         "source": ("dolly", "sharegpt", "synthetic", "oasst")[i % 4], "difficulty": 1 + i % 5,
         "lang": ("en", "de")[i % 2], "created": f"2025-{1 + i % 12:02d}-01"} for i in range(20)])
    code = _peek_rows(tmp_path / "code.jsonl", [
        {"code": f"def add_{i}(a, b):\n    return a + b + {i}\n", "docstring": "" if i % 4 == 0 else f"Add two numbers and {i}.",
         "language": ("python", "go", "rust")[i % 3], "stars": 5 + 37 * i, "license": ("MIT", "unknown", "GPL-3.0")[i % 3]}
        for i in range(20)])
    posts = _peek_rows(tmp_path / "posts.jsonl", [
        {"post_text": f"I tried the new firmware on board {i} and it works well after a reboot.", "n_replies": 3 * i,
         "quality_score": round(0.05 * i, 2), "word_count": 12 + i} for i in range(20)])
    tagged = _peek_rows(tmp_path / "tagged.jsonl", [
        {"body": f"Der Stadtrat hat am Dienstag beschlossen, das Netz {i} zu erweitern.",
         "language_tag": ("de", "", "und", "en")[i % 4]} for i in range(20)])
    cases = [
        # a share or a count by rank is top_filter, never a bound on the column
        (sft, "keep the hardest quarter of the examples according to the difficulty field",
         [("top_filter", {"fraction": 0.25, "column": "difficulty"})]),
        (code, "keep the 30 most-starred snippets", [("top_filter", {"count": 30, "column": "stars"})]),
        (posts, "Drop the bottom quarter of pages by word_count",
         [("top_filter", {"keep": "lowest", "fraction": 0.25, "column": "word_count", "drop": True})]),
        # a statement with a bound, then "drop em": the rows the statement describes go
        (posts, "posts with more than 25 replies are usually flame wars, drop em",
         [("value_filter", {"column": "n_replies", "max": 25.0})]),
        (sft, "drop everything that came from the synthetic source",
         [("value_filter", {"column": "source", "drop_values": ["synthetic"]})]),
        # (session 29: the data's own `lang` column says which rows are English, not lid.176)
        (sft, "Keep only the English rows, and of those only the ones with difficulty three or higher.",
         [("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True}),
          ("value_filter", {"column": "difficulty", "min": 3.0})]),
        # an empty value beside a listed one; missing values go too
        (tagged, "Drop rows where language_tag is blank or 'und'",
         [("value_filter", {"column": "language_tag", "drop_values": ["", "und"], "keep_null": False})]),
        (code, "Throw out snippets from repos with fewer than ten stars, and also drop anything whose license is unknown.",
         [("value_filter", {"column": "stars", "min": 10.0}),
          ("value_filter", {"column": "license", "drop_values": ["unknown"]})]),
        # an empty text column is a length job on it; a job on columns after it is its own step
        (code, "We're training a docstring generator: drop rows that have an empty docstring, then keep only the "
               "code, docstring and language columns.",
         [("length_filter", {"text_field": "docstring", "min": 1}),
          ("select_columns", {"keep_columns": ["text", "docstring", "language"]})]),
        # "since ..." explains a request; it refuses nothing
        (sft, "I only want examples created in the second half of 2025. After that, drop the created and id "
              "columns since the trainer doesn't need them.",
         [("value_filter", {"column": "created", "min": "2025-07-01", "max": "2025-12-31"}),
          ("select_columns", {"drop_columns": ["id", "created"]})]),
    ]
    for data, request, want in cases:
        assert steps(planner.plan(request, data)) == want, request


def test_a_percentage_sets_the_parameter_whose_scale_and_words_fit(env, tmp_path):
    """70% is 0.7 beside a default of 0.8 (it was compared as 70); a parameter whose name has a word the request
    never said ("char") loses a tie; a relative clause after a refused tool is not a job of its own."""
    planner, _ = env
    reviews = _peek_rows(tmp_path / "reviews.jsonl", [{"review": f"Great kettle number {i}, boils fast."} for i in range(12)])
    plan = planner.plan("Some reviews were reposted with a sentence slightly changed. Collapse those fuzzy copies: two "
                        "reviews sharing roughly 70% of their word shingles are the same review.", reviews)
    assert [(s.op, s.params["threshold"], s.params.get("text_field", "text")) for s in plan.steps] == [
        ("minhash_dedup", 0.7, "text")]
    plan = planner.plan("Drop documents where more than 20% of the lines are duplicates.", reviews)
    assert steps(plan) == [("gopher_repetition", {"dup_line_frac": 0.2})]
    plan = planner.plan("Different reviews say the same thing in their own words. I want those redundant reviews gone "
                        "based on meaning. Not a shingle/MinHash pass, that only catches shared wording. Similarity cut "
                        "at 93 percent.", reviews)
    assert steps(plan) == [("semantic_dedup", {"text_field": "text", "threshold": 0.93})]


def test_rows_without_a_value_kept_a_style_list_and_labels_before_a_dash(env, tmp_path):
    """Newcomer trials 5 and 6: "keep the ones that have no score" was read as refusing every operator about
    scores; "chats nobody rated should stay" was lost; "a friendlier, warmer tone" lost "friendlier"; a list
    of labels between dashes lost its last label."""
    planner, _ = env
    posts = _peek_rows(tmp_path / "posts.jsonl", [
        {"post_text": f"I tried the new firmware on board {i} and it works after a reboot.",
         "quality_score": None if i % 5 == 0 else round(0.05 * i, 2), "user_rating": None if i % 4 == 0 else 1 + i % 5}
        for i in range(20)])
    cases = [
        ("throw out posts with a quality score under 0.4 but keep the ones that have no score at all",
         [("value_filter", {"column": "quality_score", "min": 0.4, "keep_null": True})]),
        ("Keep posts with a user rating of 4 or 5. Posts nobody rated should stay in as well.",
         [("value_filter", {"min": 4.0, "column": "user_rating", "keep_null": True})]),
    ]
    for request, want in cases:
        assert steps(planner.plan(request, posts)) == want, request
    plan = planner.plan("Rewrite the posts in a friendlier, warmer tone", posts)
    assert plan.steps[0].params["style"] == "friendlier, warmer" and plan.unmatched == []
    plan = planner.plan("Use the LLM to tag every post with the kind of issue it reports - one of battery, screen, "
                        "firmware - based on the post_text column.", posts)
    assert plan.steps[0].params["choices"] == ["battery", "screen", "firmware"]


def test_a_request_after_a_greeting_and_a_purpose(env, tmp_path):
    """Newcomer trial 5: "Hey, I'm prepping this math set for SFT. Can you drop the unverified problems, ..."
    planned an IFD filter for the purpose and a harder-variant generator for "unverified"."""
    planner, _ = env
    maths = _peek_rows(tmp_path / "maths.jsonl", [
        {"problem": f"Solve {i} + x = {2 * i + 3} for x.", "solution": f"x = {i + 3}", "verified": i % 5 != 0}
        for i in range(20)])
    plan = planner.plan("Hey, I'm prepping this math set for SFT. Can you drop the unverified problems, remove exact "
                        "duplicate problems, and then have the LLM paraphrase each remaining problem statement twice?",
                        maths)
    assert steps(plan) == [("value_filter", {"column": "verified", "drop_values": [False]}),
                           ("exact_dedup", {"text_field": "text"}), ("llm_paraphrase", {"text_field": "text", "n": 2})]


def test_from_a_seventh_newcomer_trial(env, tmp_path):
    """Trial 7's wrong and partial plans (hotel feedback and support Q&A data the newcomer wrote): countries
    named where the data holds codes, a category list in brackets, a dropped date span, a Q&A pair as the
    duplicate key, a job restricted by a label the data holds, a count said after a comma, and a job no
    operator does (posting to Slack) reported instead of planned as the nearest one."""
    planner, _ = env
    hotel = _peek_rows(tmp_path / "hotel.jsonl", [
        {"feedback_text": f"Room {i} was fine but the street outside was loud at night.", "rating": 1 + i % 5,
         "guest_country": ("UK", "DE", "FR", "US", "IT")[i % 5], "stay_verified": i % 4 != 0} for i in range(20)])
    qa = _peek_rows(tmp_path / "qa.jsonl", [
        {"question": f"How do I change setting {i}?", "answer": f"Open Settings and choose option {i}, then save.",
         "topic": ("account", "billing", "api", "security")[i % 4], "score": round(0.05 * i, 2),
         "created": f"2023-{1 + i % 12:02d}-0{1 + i % 9}T10:00:00Z"} for i in range(20)])
    cases = [
        (hotel, "only keep verified stays rated 4 or 5 stars from guests in the UK or Germany",
         [("value_filter", {"column": "stay_verified", "values": [True]}),
          ("value_filter", {"column": "rating", "min": 4.0, "max": 5.0}),
          ("value_filter", {"column": "guest_country", "values": ["UK", "DE"]})]),
        (hotel, "drop the reviews from American guests",
         [("value_filter", {"column": "guest_country", "drop_values": ["US"]})]),
        (qa, "drop rows created in Q4 2023",
         [("value_filter", {"column": "created", "min": "2023-10-01", "max": "2023-12-31", "drop_range": True})]),
        (qa, "remove rows whose score is between 0.4 and 0.6",
         [("value_filter", {"column": "score", "min": 0.4, "max": 0.6, "drop_range": True})]),
    ]
    for data, request, want in cases:
        assert steps(planner.plan(request, data)) == want, request
    plan = planner.plan("Tag each review with its main complaint category (cleanliness, noise, staff, price) using "
                        "the LLM", hotel)
    assert [(s.op, s.params.get("choices")) for s in plan.steps] == [("llm_annotate", ["cleanliness", "noise", "staff", "price"])]
    pairs = planner.plan("dedupe exact copies of the Q&A pairs", qa)
    assert [(s.op, s.params.get("also_fields")) for s in pairs.steps] == [("exact_dedup", ["answer"])]
    para = planner.plan("Generate 3 paraphrases of each question in the billing topic; don't touch the answers", qa)
    assert [(s.op, s.params.get("n"), s.params.get("where_column"), s.params.get("where_values")) for s in para.steps] \
        == [("llm_paraphrase", 3, "topic", ["billing"])]
    synth = planner.plan("build new instruction/response pairs about API usage from the api-topic answers, about 2 "
                         "per row", qa)
    assert [(s.op, s.params.get("n"), s.params.get("where_values")) for s in synth.steps] == [("llm_qa_synthesis", 2, ["api"])]
    slack = planner.plan("translate all the reviews into Japanese and post the result to our Slack channel", hotel)
    assert slack.ops() == ["llm_translate"] and slack.unmatched == ["post the result to our Slack channel"]
    polite = planner.plan("rewrite the answers more politely", qa)
    assert [(s.op, s.params.get("task"), s.params.get("style")) for s in polite.steps] == [("llm_rewrite", "tone", "more polite")]


def test_greetings_thanks_and_keep_everything_ask_for_nothing():
    from tilth.agent.actions import parse

    p = parse("Hey! So our support bot training set is kind of messy. Could you get rid of the short answers. Thanks!!")
    assert [a.text for a in p.actions if a.asks] == ["Could you get rid of the short answers"]
    p = parse("Keep everything, I just want to measure the dataset. Don't drop anything.")
    assert p.keep_all_rows and [a.text for a in p.actions][:2] == ["Keep everything", "I just want to measure the dataset"]
    assert not parse("keep everything except the spam").keep_all_rows


def test_a_share_of_the_words_is_an_edit_and_what_rows_lack_is_read_one_way(env):
    """"delete 20% of the words" edits each text (new rows when the sentence asks for copies); a condition on
    a share ("symbols are more than 40% of the characters") stays a filter. `lacked` is the one reading of
    "no X", "an empty X", "X is blank" for every caller; "near-empty pages" lack nothing."""
    from tilth.agent.offline import lacked

    planner, data = env
    plan = planner.plan("Noisy copies: delete 20% of the words, swap 5%, three copies per paragraph, output only the "
                        "new rows.", data["web"])
    assert steps(plan) == [("random_edit", {"delete_prob": 0.2, "swap_fraction": 0.05, "n_variants": 3, "keep_input": False})]
    assert planner.plan("remove paragraphs where symbols are more than 40% of the characters", data["web"]).ops() \
        == ["symbol_ratio_filter"]
    assert [lacked(t) for t in ("drop notes with no docstring", "rows with an empty solution", "whose answer is blank",
                                "drop near-empty pages", "drop nearly empty pages", "drop empty pages")] == \
        [["docstring"], ["solution"], ["whose answer"], [], [], ["pages"]]


def test_from_the_eighth_and_ninth_newcomer_trials(env, tmp_path):
    """Trials 8 and 9 (shop listings, job postings, a museum catalogue, restaurant inspections), graded before
    these fixes: a year with a direction on a date or year column, codes listed after the column, "zero,
    negative or missing", a removal after "and after that" or a lead-in phrase (the bound was inverted),
    "rows with no score" (read as refusing the job "score"), initials that are no sentence ends, one-letter
    grades, two labels of one column joined by "and", the rank column named by "sort by", "posted twice" (no
    band count), and a length bound beside "empty" or "no description"."""
    planner, _ = env
    shop = _peek_rows(tmp_path / "shop.jsonl", [
        {"title": f"Item {i}", "description": f"A sturdy item number {i} for the kitchen, with a two year warranty.",
         "price": round(4.99 + 5 * i, 2), "country_of_seller": ("DE", "PL", "IT", "FR", "US", "CN")[i % 6], "listed_at": f"202{3 + i % 2}-0{1 + i % 9}-15",
         "in_stock": i % 3 != 0, "rating": (None, 2.5, 4.0, 4.8)[i % 4]} for i in range(24)])
    museum = _peek_rows(tmp_path / "museum.jsonl", [
        {"description": f"Object {i}: a carved wooden figure from the northern coast, restored in 1998.", "year_acquired":
         1900 + 5 * i, "department": ("Paintings", "Sculpture", "Photography")[i % 3], "on_display": i % 2 == 0,
         "insurance_value": 1000 * i, "date_catalogued": f"2019-0{1 + i % 9}-12"} for i in range(24)])
    inspections = _peek_rows(tmp_path / "inspections.jsonl", [
        {"notes": f"Kitchen clean, cold holding at {36 + i % 5}F, one minor issue corrected on site.",
         "score": (12, None, 27, 8)[i % 4], "grade": ("A", "B", "C")[i % 3], "inspector": ("P. Moreno", "L. Novak", "J. Ito")[i % 3]}
        for i in range(24)])
    cases = [
        (shop, "I need listings posted in 2024 only, then sort them by rating highest first and keep the top 10.",
         [("value_filter", {"column": "listed_at", "min": "2024-01-01", "max": "2024-12-31"}),
          ("top_filter", {"count": 10, "column": "rating"})]),
        (shop, "only keep listings from sellers (country_of_seller in DE, PL, IT, NL) and drop the ones whose price is "
               "zero, negative or missing",
         [("value_filter", {"column": "country_of_seller", "values": ["DE", "PL", "IT", "NL"]}),
          ("value_filter", {"column": "price", "min": 0.0, "min_exclusive": True})]),
        (shop, "normalise whitespace, and after that drop rows whose rating is below 3 (rows without a rating should stay)",
         [("normalize", {}), ("value_filter", {"column": "rating", "min": 3.0, "keep_null": True})]),
        (museum, "I only want Paintings and Sculpture objects that are on display and were acquired before 1960.",
         [("value_filter", {"column": "on_display", "values": [True]}), ("value_filter", {"column": "year_acquired", "max": 1959.0}),
          ("value_filter", {"column": "department", "values": ["Paintings", "Sculpture"]})]),
        (museum, "for every other department remove the objects with an insurance value under 10,000",
         [("value_filter", {"column": "insurance_value", "min": 10000.0})]),
        (inspections, "Only keep inspections done by P. Moreno or L. Novak that got a grade of A or B.",
         [("value_filter", {"column": "grade", "values": ["A", "B"]}),
          ("value_filter", {"column": "inspector", "values": ["P. Moreno", "L. Novak"]})]),
        (inspections, "drop rows with no score", [("value_filter", {"column": "score", "keep_null": False})]),
    ]
    for data, request, want in cases:
        assert steps(planner.plan(request, data)) == want, request
    near = planner.plan("get rid of near-duplicate listings - same product posted twice with slightly different "
                        "wording. keep the first copy", shop)
    assert steps(near) == [("minhash_dedup", {"ngram": 1, "threshold": 0.7})]  # short texts: word sets
    short = planner.plan("drop rows where the description is empty or shorter than 20 characters", shop)
    assert [(s.op, s.params.get("min"), s.params.get("unit")) for s in short.steps] == [("length_filter", 20, "chars")]
    asked = planner.plan("Don't change anything - I just want to know how the scores are distributed per grade and "
                         "how many records have a missing score.", inspections)
    assert steps(asked) == [("dataset_stats", {"domain_field": "grade"})] and not asked.unmatched
    assert asked.questions == [{"ask": "how many records have a missing score",
                                "sql": "SELECT count(*) FROM output WHERE score IS NULL"}]
    # "leave the Photography department alone": rows of a label, left out of the filter (where_not), not a column
    photo = planner.plan("Leave the Photography department completely alone, but for every other department remove "
                         "the objects with an insurance value under 10,000.", museum)
    assert steps(photo) == [("value_filter", {"column": "insurance_value", "min": 10000.0, "where_column": "department",
                                              "where_values": ["Photography"], "where_not": True})]
    assert photo.unmatched == [] and not any("leaving column(s)" in n for n in photo.notes)
    assert any("leaving rows whose department is Photography out of every step" in n for n in photo.notes)
    # "a 50% random sample": rows kept at random (it had planned an edit that swaps half of every text's words)
    sample = planner.plan("Take a 50% random sample of the rows, seed 7.", inspections)
    assert steps(sample) == [("sample_filter", {"fraction": 0.5, "seed": 7})]


def test_from_the_tenth_newcomer_trial(env, tmp_path):
    """Trial 10 (podcast episodes, clinical trials), graded on the code before these fixes: "both exact copies
    and ones that are basically the same text" is two dedups; "longer than 30 minutes" reads duration_min,
    not episode_id; "pls get rid of explicit eps and anything rated under 4, but keep the ones that dont have a
    rating" dropped the rows it should keep (the bound was inverted); "withdrawn or terminated studies" are
    labels to drop; "the completed trials" names no trial_id."""
    planner, _ = env
    pods = _peek_rows(tmp_path / "pods.jsonl", [
        {"episode_id": i + 1, "category": ("finance", "true_crime", "science")[i % 3], "duration_min": 20 + 3 * i,
         "explicit": i % 4 == 0, "rating": (None, 3.5, 4.2, 4.8)[i % 4],
         "description": f"Episode {i} talks about money, crime and the stars with two guests."} for i in range(24)])
    trials = _peek_rows(tmp_path / "trials.jsonl", [
        {"trial_id": f"NCT0400{i:04d}", "status": ("Completed", "Recruiting", "Withdrawn", "Terminated")[i % 4],
         "summary": f"A randomized study {i} of a once-weekly drug in adults."} for i in range(24)])
    cases = [
        (pods, "Remove duplicate episodes - both exact copies and ones where the description is basically the same "
               "text with tiny wording changes.",
         [("exact_dedup", {"text_field": "text"}), ("minhash_dedup", {"text_field": "text", "ngram": 1, "threshold": 0.7})]),
        (pods, "Keep only finance and true_crime episodes that run longer than 30 minutes.",
         [("value_filter", {"column": "category", "values": ["finance", "true_crime"]}),
          ("value_filter", {"column": "duration_min", "min": 31.0})]),
        (pods, "pls get rid of explicit eps and anything rated under 4, but keep the ones that dont have a rating at all",
         [("value_filter", {"column": "explicit", "drop_values": [True]}),
          ("value_filter", {"column": "rating", "min": 4.0, "keep_null": True})]),
        (trials, "Throw out withdrawn or terminated studies",
         [("value_filter", {"column": "status", "drop_values": ["Withdrawn", "Terminated"]})]),
        (trials, "Keep only the completed trials.", [("value_filter", {"column": "status", "values": ["Completed"]})]),
        # "then take a random 50% sample of those": the rows the filter kept, sampled (it was folded into the filter)
        (trials, "Keep only the completed trials, then take a random 50% sample of those (seed 42).",
         [("value_filter", {"column": "status", "values": ["Completed"]}), ("sample_filter", {"fraction": 0.5, "seed": 42})]),
        # "don't drop anything just because it's short" refuses one reason to drop, not every drop
        (trials, "Throw out withdrawn or terminated studies. Don't drop anything just because it's short.",
         [("value_filter", {"column": "status", "drop_values": ["Withdrawn", "Terminated"]})]),
    ]
    for data, request, want in cases:
        assert steps(planner.plan(request, data)) == want, request


def test_roman_numerals_and_a_number_list_name_numbered_labels(env, tmp_path):
    """ "phase II or III trials" on a column of "Phase 1" .. "Phase 4" labels: both, by their own spelling."""
    from tilth.agent.values import _numbered

    planner, _ = env
    assert [_numbered(t) for t in ("phase II or III trials", "grade 1, 2 or 3 only", "between 5 and 80 words",
                                   "rated 4 or 5 stars")] == \
        ["phase 2 or phase 3 trials", "grade 1, grade 2 or grade 3 only", "between 5 and 80 words", "rated 4 or 5 stars"]
    trials = _peek_rows(tmp_path / "phases.jsonl", [
        {"phase": f"Phase {1 + i % 4}", "summary": f"A randomized study {i} of a once-weekly drug in adults."}
        for i in range(16)])
    plan = planner.plan("keep only phase II or III trials", trials)
    assert [(s.op, s.params.get("column"), sorted(s.params.get("values") or [])) for s in plan.steps] == \
        [("value_filter", "phase", ["Phase 2", "Phase 3"])]


def test_a_removal_for_some_rows_only_is_scoped_to_them(env, tmp_path):
    """A filter said for some rows ("..., but only for Poetry", "for history books, drop ...", "among books rated 4
    or more, ...") applies to those rows (where_*), and the others stay; it is not a second filter that keeps only
    those rows. "Keep X only where Y" is still both conditions. An exception ("except the Fiction ones", "leave the
    Poetry books alone") leaves those rows out (where_not); a step that cannot is named, not applied silently."""
    planner, _ = env
    books = _peek_rows(tmp_path / "books.jsonl", [
        {"description": f"A {('quiet', 'sweeping', 'sharp')[i % 3]} book number {i} about the sea, the war and a small town "
                        f"that keeps its secrets.", "genre": ("Fiction", "Poetry", "History")[i % 3],
         "pages": 90 + 40 * i, "rating": (2, 3, 4, 5)[i % 4]} for i in range(24)])
    plan = planner.plan("remove descriptions under 6 words, but only for Poetry", books)
    assert steps(plan) == [("length_filter", {"text_field": "text", "min": 6, "unit": "words", "where_column": "genre",
                                              "where_values": ["Poetry"]})]
    plan = planner.plan("for history books, drop the ones with fewer than 200 pages", books)
    assert steps(plan) == [("value_filter", {"column": "pages", "min": 200.0, "where_column": "genre",
                                             "where_values": ["History"]})]
    plan = planner.plan("among books rated 4 or more, drop descriptions shorter than 12 words", books)
    assert steps(plan) == [("length_filter", {"text_field": "text", "min": 12, "unit": "words", "where_column": "rating",
                                              "where_min": 4.0})]
    plan = planner.plan("drop descriptions under 12 words except the Fiction ones", books)
    assert steps(plan) == [("length_filter", {"text_field": "text", "min": 12, "unit": "words", "where_column": "genre",
                                              "where_values": ["Fiction"], "where_not": True})]
    plan = planner.plan("drop exact duplicates and descriptions under 12 words; leave the Poetry books alone", books)
    # (a deduplicator takes a scope since session 23: the Poetry books are left out of both)
    assert [(s.op, s.params.get("where_not")) for s in plan.steps] == [("length_filter", True), ("exact_dedup", True)]
    assert plan.unmatched == []
    both = planner.plan("keep Fiction books only where rating is 4 or more", books)
    assert steps(both) == [("value_filter", {"column": "genre", "values": ["Fiction"]}),
                           ("value_filter", {"column": "rating", "min": 4.0})]


def test_from_the_eleventh_newcomer_trial(env, tmp_path):
    """Trial 11 (recipes CSV, astronomy log), graded on the code before these fixes: PII "out of the contact column"
    scrubbed the instructions (short e-mails looked like labels); "drop recipes rated under 4.0" dropped the unrated
    ones too, and "give me a random 25% sample" was read as a wish to measure; "easy or medium recipes that take
    less than an hour" was not understood; "(by the language of the instructions)" filtered the cuisine column, and
    a value the sample lacks kept the user's lower case; "leave out anything typed as 'other'" became a length
    filter; a dash aside ("the junk notes - empty ones and anything under 4 words -") inverted the bound; "a yes/no
    flag" read as a refusal, so the clause vanished without a note."""
    planner, _ = env
    recipes = _peek_rows(tmp_path / "recipes.jsonl", [
        {"title": f"Dish {i}", "instructions": f"Chop, stir and simmer the pot number {i} for twenty minutes, then serve.",
         "cuisine": ("Spanish", "Indian", "Thai", "French")[i % 4], "difficulty": ("easy", "medium", "hard")[i % 3],
         "prep_minutes": 15 + 10 * i, "rating": (None, 3.5, 4.2, 4.8)[i % 4], "contact": f"cook{i}@example.org"}
        for i in range(20)])
    log = _peek_rows(tmp_path / "log.jsonl", [
        {"note": f"Saturn rings wide open tonight, Cassini division clear at 120x, session {i}.",
         "object_type": ("planet", "galaxy", "other", "double star")[i % 4], "seeing": 1 + i % 5} for i in range(20)])
    assert steps(planner.plan("scrub PII out of the contact column", recipes)) == [
        ("pii_redact", {"text_field": "contact"})]
    assert steps(planner.plan("drop recipes rated under 4.0, then give me a random 25% sample (seed 42)", recipes)) == [
        ("value_filter", {"column": "rating", "min": 4.0, "keep_null": True}),
        ("sample_filter", {"seed": 42, "fraction": 0.25})]
    assert steps(planner.plan("easy or medium recipes that take less than an hour to prep", recipes)) == [
        ("value_filter", {"column": "difficulty", "values": ["easy", "medium"]}),
        ("value_filter", {"column": "prep_minutes", "max": 59.0})]
    assert steps(planner.plan("only spanish and german recipes (by the language of the instructions)", recipes)) == [
        ("lang_id", {"text_field": "text", "languages": ["de", "es"], "min_score": 0.0})]
    assert steps(planner.plan("keep only spanish and german recipes", recipes)) == [
        ("value_filter", {"column": "cuisine", "values": ["Spanish", "German"]})]
    assert steps(planner.plan('leave out anything typed as "other"', log)) == [
        ("value_filter", {"column": "object_type", "drop_values": ["other"]})]
    junk = planner.plan("get rid of the junk notes - empty ones and anything shorter than 4 words - and dedupe the log", log)
    assert [(s.op, s.params.get("min"), s.params.get("max")) for s in junk.steps] == [
        ("length_filter", 4, None), ("exact_dedup", None, None)]
    flag = planner.plan("add a vegetarian yes/no flag to each recipe", recipes)
    assert flag.unmatched == ["add a vegetarian yes/no flag to each recipe"]


def test_from_the_twelfth_newcomer_trial(env, tmp_path):
    """Trial 12 (trail reports, vet visits), graded on the code before these fixes: a label past the first 20 rows
    ("except the Desert reports") was not known; "the 10 highest rated reports from the Desert and Coast regions"
    lost the region filter; "the easy trails" became trail = 'Easy' (the row noun's column) instead of
    difficulty = easy; "1000 m" read as 1000 million; "weighing over 5 kg" put the bound on species; "rows with no
    weight recorded should stay" was not a wish to keep rows without a weight."""
    planner, _ = env
    trails = _peek_rows(tmp_path / "trails.jsonl", [
        {"report": f"Trail in good shape today, some mud near the bridge, report {i}.", "trail": f"Trail {i % 7}",
         "region": ("Cascades", "Coast", "Sierra")[i % 3] if i < 24 else "Desert",
         "difficulty": ("easy", "moderate", "hard")[i % 3], "elevation_gain_m": 200 + 90 * i,
         "rating": (None, 2, 3, 4, 5)[i % 5]} for i in range(30)])
    vets = _peek_rows(tmp_path / "vets.jsonl", [
        {"note": f"Routine checkup number {i}, vaccinations updated, owner happy.", "species": ("dog", "cat", "rabbit")[i % 3],
         "weight_kg": (None, 4.2, 12.5, 30.1)[i % 4]} for i in range(20)])
    plan = planner.plan("get rid of anything rated under 3 stars except the Desert reports", trails)
    assert steps(plan) == [("value_filter", {"column": "rating", "min": 3.0, "keep_null": True, "where_column": "region",
                                             "where_values": ["Desert"], "where_not": True})]
    plan = planner.plan("keep the 10 highest rated reports from the Desert and Coast regions", trails)
    assert steps(plan) == [("value_filter", {"column": "region", "values": ["Desert", "Coast"]}),
                           ("top_filter", {"count": 10, "column": "rating"})]
    plan = planner.plan("only for the easy trails, throw out reports under 5 words", trails)
    assert [(s.op, s.params.get("where_column"), s.params.get("where_values")) for s in plan.steps] == [
        ("length_filter", "difficulty", ["easy"])]
    plan = planner.plan("keep only hard trails with more than 1000 m elevation gain", trails)
    assert steps(plan) == [("value_filter", {"column": "difficulty", "values": ["hard"]}),
                           ("value_filter", {"column": "elevation_gain_m", "min": 1001.0})]
    # a sample of some rows: those rows only, unless the rest is said to stay (then the sample is scoped)
    plan = planner.plan("random 25% sample of the dog visits, but keep all the cat and rabbit ones", vets)
    assert steps(plan) == [("sample_filter", {"fraction": 0.25, "where_column": "species", "where_values": ["dog"]})]
    plan = planner.plan("take a 10% sample of the cat visits", vets)
    assert steps(plan) == [("value_filter", {"column": "species", "values": ["cat"]}), ("sample_filter", {"fraction": 0.1})]
    # rows kept per group is no measurement's job; the text column cannot be renamed to `text` (it is that already)
    latest = planner.plan("keep only the most recent report per trail", trails)
    assert latest.steps == [] and latest.unmatched == ["keep only the most recent report per trail"]
    renamed = planner.plan("drop the rating column and rename report to text", trails)
    assert steps(renamed) == [("select_columns", {"drop_columns": ["rating"]})]
    assert renamed.unmatched == ["rename report to text"]
    # labels to choose from in brackets: an operator that takes them, not lang_id's "tag each sentence with its language"
    tagged = planner.plan("tag each note with the body system involved (skin, digestive, dental, other)", vets)
    assert steps(tagged) == [("llm_annotate", {"text_field": "text", "choices": ["skin", "digestive", "dental", "other"],
                                               "label": "body_system"})]
    plan = planner.plan("keep cats and dogs weighing over 5 kg; rows with no weight recorded should stay", vets)
    assert steps(plan) == [("value_filter", {"column": "species", "values": ["cat", "dog"]}),
                           ("value_filter", {"column": "weight_kg", "min": 5.0, "min_exclusive": True, "keep_null": True})]


def test_from_the_thirteenth_newcomer_trial(env, tmp_path):
    """Trial 13 (parliamentary speeches, crop scouting), graded on the code before these fixes: "for SNP and Labour
    speeches only, drop ...; leave the other parties alone" kept only SNP and Labour (32 of 50 rows lost);
    "except for potatoes" was swallowed; "keep closed ones out (only open or in progress)" kept closed; "the 10
    worst reports by severity" kept the mildest; "(topic = procedure)" became a stop-word filter."""
    planner, _ = env
    speeches = _peek_rows(tmp_path / "speeches.jsonl", [
        {"speech": f"The honourable member raises a fair point about housing and rents, number {i}.",
         "party": ("Labour", "SNP", "Conservative", "Green")[i % 4], "topic": ("housing", "procedure", "health")[i % 3]}
        for i in range(20)])
    scouting = _peek_rows(tmp_path / "scouting.jsonl", [
        {"scout_note": f"Aphids on the lower leaves of field {i}, spray advised.", "crop": ("wheat", "potatoes", "peas")[i % 3],
         "severity": 1 + i % 5, "status": ("open", "closed", "in progress")[i % 3]} for i in range(20)])
    plan = planner.plan("for SNP and Labour speeches only, drop anything shorter than 10 words; leave the other parties "
                        "alone", speeches)
    assert steps(plan) == [("length_filter", {"text_field": "text", "min": 10, "unit": "words", "where_column": "party",
                                              "where_values": ["SNP", "Labour"]})]
    assert plan.unmatched == [] and not any("leaving column(s)" in n for n in plan.notes)
    plan = planner.plan("get rid of the procedural stuff (topic = procedure)", speeches)
    assert steps(plan) == [("value_filter", {"column": "topic", "drop_values": ["procedure"]})]
    plan = planner.plan("remove notes under 4 words except for potatoes, keep closed ones out (only open or in progress)",
                        scouting)
    assert steps(plan) == [
        ("length_filter", {"text_field": "text", "min": 4, "unit": "words", "where_column": "crop",
                           "where_values": ["potatoes"], "where_not": True}),
        ("value_filter", {"column": "status", "drop_values": ["closed"]})]
    tagged = planner.plan("tag every speech with a sentiment (positive / negative / neutral)", speeches)
    assert steps(tagged) == [("llm_annotate", {"text_field": "text", "choices": ["positive", "negative", "neutral"],
                                               "label": "sentiment"})]
    assert steps(planner.plan("keep the 10 worst reports by severity", scouting)) == [
        ("top_filter", {"keep": "highest", "count": 10, "column": "severity"})]


def test_labels_of_the_users_own_are_named_by_the_request(env, tmp_path):
    """Trial 13 tagged speeches with a sentiment into `llm_domain`: a label of the user's own names the column and
    takes its listed choices; the owner in "the speaker's stance" is not the text to read."""
    planner, _ = env
    speeches = _peek_rows(tmp_path / "speeches.jsonl", [
        {"speech": f"The honourable member raises a fair point about housing and rents, number {i}.",
         "speaker": ("J. Morgan", "M. Lowe")[i % 2], "party": ("Labour", "SNP", "Conservative")[i % 3]}
        for i in range(12)])
    cases = {
        "label each speech's tone as hostile, supportive or neutral": ("tone", ["hostile", "supportive", "neutral"]),
        "add a column with the speaker's stance: for, against or undecided": ("stance", ["for", "against", "undecided"]),
        "have the LLM classify the mood of every speech as angry, calm or hopeful": ("mood", ["angry", "calm", "hopeful"]),
        "use the LLM to note each speech's main complaint category (cost, delay, safety)":
            ("complaint_category", ["cost", "delay", "safety"]),
        "have the LLM tag each one positive, negative or mixed": ("category", ["positive", "negative", "mixed"]),
        # quoted labels are labels (session 19)
        "label each speech's mood as \"angry\", 'calm' or neutral": ("mood", ["angry", "calm", "neutral"]),
        # a yes/no question per row, with or without the words yes/no
        "add a column saying whether the speech mentions a pension": ("pension", ["yes", "no"]),
        "add a yes/no column saying whether the speech mentions overtime": ("overtime", ["yes", "no"]),
        "mark whether each speech is about a housing shortage (yes/no)": ("housing_shortage", ["yes", "no"]),
    }
    for request, (label, choices) in cases.items():
        plan = planner.plan(request, speeches)
        assert [(s.op, s.params.get("label"), s.params.get("choices"), s.params.get("text_field", "text"))
                for s in plan.steps] == [("llm_annotate", label, choices, "text")], request
        assert plan.unmatched == [], request
    # a built-in label the request names stays that label, with the listed choices
    plan = planner.plan("label each speech's topic with the LLM, using only these labels: housing, health, other",
                        speeches)
    assert steps(plan) == [("llm_annotate", {"text_field": "text", "label": "topic",
                                             "choices": ["housing", "health", "other"]})]
    assert steps(planner.plan("drop speeches where the speaker's party is Labour", speeches)) == [
        ("value_filter", {"column": "party", "drop_values": ["Labour"]})]


def test_short_notes_are_kept_by_their_language_not_the_detectors_confidence(env, tmp_path):
    """lid.176 is unsure on a few words (trial 13: "Crop clean." and 9-word English notes fell under the 0.65
    default), so on short texts "drop the notes that aren't in English" keeps every row it calls English; long
    documents keep the default, and a confidence the request names is always used."""
    planner, data = env
    notes = _peek_rows(tmp_path / "notes.jsonl", [
        {"note": f"Light rust pustules on lower leaves in field {i}, upper canopy clean."} for i in range(12)])
    plan = planner.plan("drop the notes that aren't in English", notes)
    assert steps(plan) == [("lang_id", {"text_field": "text", "languages": ["en"], "min_score": 0.0})]
    assert "lid.176 is unsure on short texts (median 12 words here)" in plan.steps[0].why
    plan = planner.plan("english notes only, and only where the detector is at least 80% sure", notes)
    assert steps(plan) == [("lang_id", {"text_field": "text", "languages": ["en"], "min_score": 0.8})]
    sentence = "The committee reviewed the annual budget and agreed to fund two new bus routes next spring. "
    pages = _peek_rows(tmp_path / "pages.jsonl", [{"text": sentence * 4} for _ in range(12)])
    assert pages.median_words() == 64
    assert [s.params for s in planner.plan("keep only English pages", pages).steps] == [{"languages": ["en"]}]


def test_from_the_fourteenth_newcomer_trial(env, tmp_path):
    """Trial 14 (bike-share incidents, volunteer applications), graded on the code before these fixes: "drop the
    repair_cost_eur and station columns" dropped rows whose category is 'station'; "except leave the Lisbon
    reports alone" kept Lisbon only; "except for the kitchen volunteers - keep all of those" applied to kitchen
    only; "a 30% sample of the tutor applications, keep everyone else" kept tutors only; a scope on a rewrite
    ("redact emails for the tutor applications only") became a filter or was dropped."""
    planner, _ = env
    incidents = _peek_rows(tmp_path / "incidents.jsonl", [
        {"description": f"Dock {i} at the station would not release the bike after payment.",
         "city": ("Berlin", "Lisbon", "Dublin")[i % 3], "category": ("station", "bike", "vandalism")[i % 3],
         "station": f"S{i}", "repair_cost_eur": 10.0 * i} for i in range(12)])
    volunteers = _peek_rows(tmp_path / "volunteers.jsonl", [
        {"motivation": f"I would love to help out on weekends, I have spare time number {i}.",
         "role": ("kitchen", "driver", "tutor")[i % 3]} for i in range(12)])
    assert steps(planner.plan("drop the repair_cost_eur and station columns", incidents)) == [
        ("select_columns", {"drop_columns": ["station", "repair_cost_eur"]})]
    plan = planner.plan("Keep only English descriptions, except leave the Lisbon reports alone whatever language "
                        "they're in.", incidents)
    assert [(s.op, {k: s.params.get(k) for k in ("languages", "where_column", "where_values", "where_not")})
            for s in plan.steps] == [("lang_id", {"languages": ["en"], "where_column": "city", "where_values": ["Lisbon"],
                                                  "where_not": True})]
    cases = {
        "Remove applications whose motivation is empty or just one word, except for the kitchen volunteers - keep "
        "all of those.": [("length_filter", {"text_field": "text", "min": 2, "unit": "words", "where_column": "role",
                                             "where_values": ["kitchen"], "where_not": True})],
        "drop one-word motivations": [("word_count_filter", {"text_field": "text", "min_words": 2})],
        "drop short motivations except the tutor ones": [
            ("length_filter", {"text_field": "text", "where_column": "role", "where_values": ["tutor"], "where_not": True})],
        "Take a random 30% sample of the tutor applications (seed 11), keep everyone else.": [
            ("sample_filter", {"seed": 11, "fraction": 0.3, "where_column": "role", "where_values": ["tutor"]})],
        "drop motivations under 5 words for tutors only, keep everyone else": [
            ("length_filter", {"text_field": "text", "min": 5, "unit": "words", "where_column": "role",
                               "where_values": ["tutor"]})],
        "redact emails for the tutor applications only": [
            ("pii_redact", {"kinds": ["email"], "where_column": "role", "where_values": ["tutor"]})],
        "redact phone numbers except in the driver applications": [
            ("pii_redact", {"kinds": ["phone"], "where_column": "role", "where_values": ["driver"], "where_not": True})],
        "normalise the unicode in the kitchen applications only": [
            ("normalize", {"where_column": "role", "where_values": ["kitchen"]})],
    }
    for request, want in cases.items():
        plan = planner.plan(request, volunteers)
        assert steps(plan) == want, request
        assert plan.unmatched == [], request
    sampled = planner.plan("Take a random 30% sample of the tutor applications (seed 11), keep everyone else.", volunteers)
    assert any("the others stay as they are, as asked ('keep everyone else')" in n for n in sampled.notes)
    # (the same trial, part two) an aside that says what stays; a rank by "the most"; a rank asked with "give me";
    # "ignore <label>"; a slash-separated list of labels
    assert steps(planner.plan("Redact e-mail addresses only - phone numbers can stay - and drop anything not in English.",
                              volunteers)) == [("lang_id", {"languages": ["en"], "min_score": 0.0}),
                                               ("pii_redact", {"kinds": ["email"]})]
    hours = _peek_rows(tmp_path / "hours.jsonl", [{"motivation": f"I can help on weekends, note {i}.", "hours_per_week": i}
                                                  for i in range(12)])
    assert steps(planner.plan("Keep the 15 applicants offering the most hours per week", hours)) == [
        ("top_filter", {"count": 15, "column": "hours_per_week"})]
    assert steps(planner.plan("Give me the 10 most expensive incidents by repair cost, but ignore vandalism.",
                              incidents)) == [("value_filter", {"column": "category", "drop_values": ["vandalism"]}),
                                              ("top_filter", {"count": 10, "column": "repair_cost_eur"})]
    assert steps(planner.plan("tag each one as enthusiastic / neutral / reluctant", volunteers)) == [
        ("llm_annotate", {"choices": ["enthusiastic", "neutral", "reluctant"], "label": "category"})]
    # part three: near-duplicates on short texts, "or with no age given", a fronted scope mid-sentence on a yes/no
    # column, and a per-group average (a query, said so)
    plan = planner.plan("get rid of near-duplicate descriptions (reports that are basically the same text with a word "
                        "or two changed)", incidents)
    assert steps(plan) == [("minhash_dedup", {"text_field": "text", "ngram": 1, "threshold": 0.7})]
    ages = _peek_rows(tmp_path / "ages.jsonl", [
        {"motivation": f"I would love to help out on weekends, number {i}.", "role": ("kitchen", "driver")[i % 2],
         "age": (None, 17, 30, 45)[i % 4], "dbs_checked": ("yes", "no", None)[i % 3]} for i in range(12)])
    assert steps(planner.plan("Drop applicants under 18 or with no age given, and only for the driver role also drop "
                              "anyone without a DBS check.", ages)) == [
        ("value_filter", {"column": "age", "min": 18.0, "keep_null": False}),
        ("value_filter", {"column": "dbs_checked", "values": ["yes"], "where_column": "role", "where_values": ["driver"]})]
    plan = planner.plan("For each city, tell me the average repair cost - no filtering.", incidents)
    assert plan.steps == [] and not plan.unmatched and plan.questions == [
        {"ask": "tell me the average repair cost",
         "sql": "SELECT city, avg(repair_cost_eur) FROM output GROUP BY city ORDER BY city"}]  # (answered after the run)
    # "how many ... are unresolved": counted by that column (a breakdown gives the number); per city, the query
    assert steps(planner.plan("how many incidents are in Berlin?", incidents)) == [
        ("dataset_stats", {"domain_field": "city"})]
    plan = planner.plan("For each city, tell me how many incidents are vandalism", incidents)
    assert plan.steps == [] and [q["sql"] for q in plan.questions] == [
        "SELECT city, count(*) FROM output WHERE category IN ('vandalism') GROUP BY city ORDER BY city"]


def test_from_the_fifteenth_newcomer_trial(env, tmp_path):
    """Trial 15 (helpdesk tickets, warehouse handover notes), graded on the code before these fixes. The worst: a
    plain "redact emails and phone numbers" redacted only the tickets whose `channel` is email or phone (the new
    scope on rewrites read the job's own words as rows); "tickets" named `ticket_id` as the text to read; "except
    for the Poznań site - keep all of Poznań" and "keep the Rotterdam ones regardless" became keep-only filters."""
    planner, _ = env
    tickets = _peek_rows(tmp_path / "helpdesk.jsonl", [
        {"ticket_id": f"HD-{1000 + i}", "department": ("Legal", "Finance", "Engineering")[i % 3],
         "priority": ("P1", "P2", "P3")[i % 3], "channel": ("email", "phone", "chat")[i % 3], "resolved": i % 2 == 0,
         "hours_to_resolve": float(i), "description": f"My laptop will not connect to the VPN since update {i}."}
        for i in range(12)])
    notes = _peek_rows(tmp_path / "handover.jsonl", [
        {"note_id": f"WH-{i}", "site": ("Poznań", "Rotterdam", "Leeds")[i % 3], "shift": ("day", "night")[i % 2],
         "logged_on": f"2025-0{1 + i % 3}-1{i % 9}", "handover_note": f"All bays cleared, dock {i} shutter still sticking."}
        for i in range(12)])
    cases = [
        (tickets, "redact emails and phone numbers", [("pii_redact", {"kinds": ["email", "phone"]})]),
        (tickets, "Redact email addresses and phone numbers from the ticket descriptions, but leave the Legal "
                  "department's tickets untouched.",
         [("pii_redact", {"text_field": "text", "kinds": ["email", "phone"], "where_column": "department",
                          "where_values": ["Legal"], "where_not": True})]),
        (tickets, "keep only P1 and P2 tickets opened on or after 2025-03-01",
         [("value_filter", {"column": "priority", "values": ["P1", "P2"]})]),
        (tickets, "drop unresolved tickets unless they are P1",
         [("value_filter", {"column": "resolved", "drop_values": [False], "where_column": "priority",
                            "where_values": ["P1"], "where_not": True})]),
        (tickets, "Give me the 10 tickets that took the longest to resolve",
         [("top_filter", {"count": 10, "column": "hours_to_resolve"})]),
        (notes, "Drop notes logged in February 2025, except for the Poznań site - keep all of Poznań.",
         [("value_filter", {"column": "logged_on", "min": "2025-02-01", "max": "2025-02-28", "drop_range": True,
                            "where_column": "site", "where_values": ["Poznań"], "where_not": True})]),
        (notes, "take a 50% random sample of the day-shift notes (seed 3), keep all the other notes",
         [("sample_filter", {"seed": 3, "fraction": 0.5, "where_column": "shift", "where_values": ["day"]})]),
    ]
    for data, request, want in cases:
        plan = planner.plan(request, data)
        assert steps(plan) == want, request
        assert plan.unmatched == [], request
    plan = planner.plan("Keep only tickets written in English", tickets)
    assert [s.params.get("text_field", "text") for s in plan.steps] == ["text"]
    plan = planner.plan("Remove notes that aren't in English, but keep the Rotterdam ones regardless", notes)
    assert [(s.op, s.params.get("where_values"), s.params.get("where_not")) for s in plan.steps] == [
        ("lang_id", ["Rotterdam"], True)]
    # a one-way translation is not a back-translation (llm_translate since session 23: before the labels, in one
    # language; only the rows in the languages named); a yes/no flag is a labeller's choices
    plan = planner.plan("Translate the German and French tickets into English, and label every ticket's sentiment as "
                        "angry / neutral / happy.", tickets)
    assert steps(plan) == [("llm_translate", {"source_languages": ["fr", "de"], "target_language": "English"}),
                           ("llm_annotate", {"choices": ["angry", "neutral", "happy"], "label": "sentiment"})]
    assert plan.unmatched == []
    assert not any("llm_back_translate" in n
               for n in plan.notes)
    assert steps(planner.plan("translate every ticket to German and back", tickets)) == [
        ("llm_back_translate", {"pivot_language": "German"})]
    plan = planner.plan("Use the LLM to flag notes that describe a safety issue with a yes/no column", notes)
    assert steps(plan) == [("llm_annotate", {"choices": ["yes", "no"], "label": "safety_issue"})]


def test_a_step_validation_removes_is_not_named_as_calling_an_llm(env, tmp_path):
    """Trial 15: after validation removed llm_judge (no response column), the plan still said "llm_judge calls an
    LLM. ..."; the note now names only the LLM steps left (here none). (Judging "every note" now judges the
    handover_note column, so the request names answers, which this data has none of.)"""
    from tilth.agent.plan import llm_note, llm_note_for
    from tilth.agent.review import auto_accept
    from tilth.agent.workflow import Agent

    planner, _ = env
    notes = _peek_rows(tmp_path / "handover.jsonl", [
        {"handover_note": f"All bays cleared, dock {i} shutter still sticking.", "forklift_incidents": (i % 3 or None)}
        for i in range(12)])
    request = "have the LLM judge every answer for helpfulness and drop rows where forklift_incidents is missing"
    agent = Agent(planner.cat, planner, auto_accept, workspace=tmp_path / "ws", out_dir=tmp_path / "out", execute=False)
    state = agent(request, notes)
    assert state["plan"].ops() == ["value_filter"] and state["plan"].removed
    assert not any("calls an LLM" in n for n in state["plan"].notes)
    assert llm_note_for(llm_note(["llm_judge", "llm_annotate"]), {"llm_annotate"}) == llm_note(["llm_annotate"])
    assert llm_note(["llm_annotate"]).startswith("llm_annotate calls an LLM. With no endpoint configured")


def test_a_bound_in_tokens_counts_tokens_and_a_pasted_word_is_repetition(env, tmp_path):
    """Session 19: "drop paragraphs longer than 256 tokens" was a length_filter on 256 words and "drop pairs whose
    output is over 512 tokens" a MinHash dedup; no filter counts tokens, so the bound goes on token_count's column
    (of the column named). "(bad bad bad bad...)" shows the data: its word is not the job (it had picked the
    flagged-words filter), and "just one word copy-pasted 10+ times" is no length bound."""
    planner, data = env
    for request, bound in (("drop paragraphs longer than 256 tokens", {"max": 256.0}),
                           ("drop paragraphs shorter than 20 tokens", {"min": 20.0})):
        assert steps(planner.plan(request, data["web"])) == [
            ("token_count", {}), ("value_filter", {**bound, "column": "n_tokens"})], request
    assert steps(planner.plan("drop pairs whose output is over 512 tokens", data["instruct"])) == [
        ("token_count", {"text_field": "output"}), ("value_filter", {"max": 512.0, "column": "n_tokens"})]
    assert steps(planner.plan("drop paragraphs shorter than 20 words", data["web"])) == [
        ("length_filter", {"min": 20, "unit": "words"})]
    reviews = _peek_rows(tmp_path / "reviews.jsonl", [
        {"text": f"The kettle boils fast and the lid closes well, number {i} of many."} for i in range(12)])
    for request in ("some reviews are just one word or phrase copy-pasted 10+ times (spam spam spam spam...). "
                    "filter those out", "drop reviews that are just one word repeated over and over"):
        assert [s.op for s in planner.plan(request, reviews).steps] == ["gopher_repetition"], request
        # ("10+ times" sets no line limit; the words say n-grams, so the rules on lines and paragraphs are off)
        params = planner.plan(request, reviews).steps[0].params
        assert params["dup_line_frac"] is None and params["dup_para_frac"] is None and "top_n_grams" not in params


def test_a_difficulty_asked_of_the_llm_is_an_llm_label(env, tmp_path):
    """Session 19: "ask the language model how tough each X is, on a one-to-five scale" was an llm_judge plus a
    second judge for the scale; "have the LLM rate ... from trivial to very hard" an LLM quality filter; "have
    the LLM rate the difficulty" the local heuristic. Asked of a model, difficulty is llm_annotate's
    difficulty label; the local heuristic stays where the request names it or asks for no model."""
    planner, _ = env
    notes = _peek_rows(tmp_path / "tasks.jsonl", [
        {"task": f"Replace the worn brake pads on bench unit {i} and log the torque values."} for i in range(12)])
    for request in ("Ask the language model how tough each task is, on a one-to-five scale.",
                    "have the LLM rate every task somewhere from trivial to very hard",
                    "have the LLM rate the difficulty of every task from 1 to 5",
                    "get a model to say how challenging each task is (1-5)"):
        assert [(s.op, s.params.get("label")) for s in planner.plan(request, notes).steps] == [
            ("llm_annotate", "difficulty")], request
    assert [s.op for s in planner.plan("rate the difficulty of every task without any LLM", notes).steps] == [
        "difficulty_heuristic"]
    plan = planner.plan("Score each task for clarity with the LLM, on a scale from 1 to 10.", notes)
    assert len(plan.steps) == 1 and plan.unmatched == []


def test_from_the_sixteenth_newcomer_trial(env, tmp_path):
    """Trial 16 (ferry delay reports, apprenticeship logbooks): each request as the helper wrote it, and the
    plan its own count called right."""
    planner, _ = env
    ferries = _peek_rows(tmp_path / "ferry.jsonl", [
        {"report_id": f"FD-{1000 + i}", "route": ("Dover-Calais", "Holyhead-Dublin", "Helsinki-Tallinn")[i % 3],
         "sailing_date": f"2025-{1 + i % 6:02d}-{1 + i:02d}", "delay_min": 15 * (i % 9), "cause": ("weather",
         "technical", "crew", "port congestion")[i % 4], "passengers_affected": 40 * i + 5,
         "note": f"Heavy swell on the approach meant the master waited {15 * (i % 9)} minutes before berthing."}
        for i in range(24)])
    plans = {
        "keep only the sailings that were delayed by an hour or more": [("value_filter", {"column": "delay_min",
                                                                                         "min": 60.0})],
        "remove all weather-related delays, except keep the Holyhead-Dublin ones": [("value_filter", {
            "column": "cause", "drop_values": ["weather"], "where_column": "route",
            "where_values": ["Holyhead-Dublin"], "where_not": True})],
        "I only want English notes, and throw out junk notes shorter than 5 words": [
            ("lang_id", {"text_field": "text", "languages": ["en"], "min_score": 0.0}),
            ("length_filter", {"text_field": "text", "min": 5, "unit": "words"})],
        "give me the 10 sailings with the most passengers affected between March 1 and April 30 2025": [
            ("value_filter", {"column": "sailing_date", "min": "2025-03-01", "max": "2025-04-30"}),
            ("top_filter", {"count": 10, "column": "passengers_affected"})],
        "keep the 3 longest delays since April 2025": [
            ("value_filter", {"column": "sailing_date", "min": "2025-04-01"}),
            ("top_filter", {"count": 3, "column": "delay_min"})],
    }
    for request, expected in plans.items():
        assert steps(planner.plan(request, ferries)) == expected, request
    for request in ("use the LLM to tag each note with the passenger impact: low, medium or high",
                    "label each note with passenger impact as low, medium or high"):
        plan = planner.plan(request, ferries)
        assert [(s.op, s.params.get("label"), s.params.get("choices")) for s in plan.steps] == [
            ("llm_annotate", "passenger_impact", ["low", "medium", "high"])], request
    plan = planner.plan("dedupe the reports - exact copies and also near-duplicates where the note was retyped with "
                        "tiny changes", ferries)
    assert [s.op for s in plan.steps] == ["exact_dedup", "minhash_dedup"] and plan.unmatched == []
    logbook = _peek_rows(tmp_path / "log.jsonl", [
        {"entry_id": 5000 + i, "apprentice": ("Aisha Khan", "Tomasz Nowak")[i % 2], "trade": "electrician",
         "entry": f"Installed emergency lighting on floor {i} and completed the commissioning sheet."}
        for i in range(12)])
    # the column the next job drops is not the one the redaction reads (it had redacted `apprentice`: 0 found)
    assert steps(planner.plan("redact emails and phone numbers in the entries, then drop the apprentice column",
                              logbook)) == [("pii_redact", {"text_field": "text", "kinds": ["email", "phone"]}),
                                            ("select_columns", {"drop_columns": ["apprentice"]})]


def test_quoted_examples_show_the_rows_they_describe(env, tmp_path):
    """Examples of a few words each ("like 'fine', 'ok thanks' or 'n/a'") describe very short rows: a length
    filter, not a quality heuristic; a quoted run of one word ("'spam spam spam...'") describes repetition."""
    planner, _ = env
    notes = _peek_rows(tmp_path / "notes.jsonl", [
        {"note": f"Guest in room {i} asked for extra towels and a late checkout on Sunday."} for i in range(12)])
    assert [s.op for s in planner.plan("Notes like 'fine', 'ok thanks' or 'n/a' are useless. Remove them.",
                                       notes).steps] == ["length_filter"]
    assert [s.op for s in planner.plan("some guests just typed one word again and again ('dirty dirty dirty...'). "
                                       "get rid of those", notes).steps] == ["gopher_repetition"]


def test_rows_said_again_with_small_edits_and_collapsed_to_one_are_near_duplicates(env, tmp_path):
    """A statement of which rows ("the same note submitted again with one letter changed") and a request that
    points back at them without a verb of its own ("I want those merged into one") is a dedup over word
    shingles; "I want those ..." had been read as the verb "those"."""
    planner, _ = env
    notes = _peek_rows(tmp_path / "notes.jsonl", [
        {"note": f"Guest in room {i} asked for extra towels and a late checkout on Sunday."} for i in range(12)])
    plan = planner.plan("Some notes are the same request submitted again with one letter changed or a comma missing. "
                        "I want those merged into one.", notes)
    assert [s.op for s in plan.steps] == ["minhash_dedup"] and plan.unmatched == []


def test_from_the_seventeenth_newcomer_trial(env, tmp_path):
    """Trial 17 (airport lost-and-found reports, lift inspections): the helper's requests and the plans its own
    counts called right. A second condition after a date range had been dropped without a word, "have not been
    returned" kept the returned items, and "an hour and a half" was 61 minutes."""
    planner, _ = env
    found = _peek_rows(tmp_path / "lost.jsonl", [
        {"report_id": f"LF-{i:04d}", "reported_on": f"2026-0{1 + i % 6}-{1 + i % 5:02d}", "terminal": f"T{1 + i % 3}",
         "item_category": ("electronics", "luggage", "clothing", "other")[i % 4], "estimated_value_eur": 35.5 * i + 9.99,
         "returned": i % 3 == 0, "description": f"Black backpack with a laptop inside, found at gate {i} after boarding."}
        for i in range(24)])
    plans = {
        "Keep only the reports filed between 1 March and 15 April 2026 where the item is worth more than 200 euros.": [
            ("value_filter", {"column": "estimated_value_eur", "min": 200.0, "min_exclusive": True}),
            ("value_filter", {"column": "reported_on", "min": "2026-03-01", "max": "2026-04-15"})],
        "keep the reports filed between 2026-03-01 and 2026-04-15": [
            ("value_filter", {"column": "reported_on", "min": "2026-03-01", "max": "2026-04-15"})],
        "keep the reports filed on 2026-03-01": [
            ("value_filter", {"column": "reported_on", "min": "2026-03-01", "max": "2026-03-01"})],
        "Keep only electronics items that have not been returned": [
            ("value_filter", {"column": "returned", "values": [False]}),
            ("value_filter", {"column": "item_category", "values": ["electronics"]})],
        "remove the items that have not been returned yet": [("value_filter", {"column": "returned",
                                                                               "drop_values": [False]})],
        "drop items that weren't returned": [("value_filter", {"column": "returned", "drop_values": [False]})],
    }
    for request, expected in plans.items():
        assert steps(planner.plan(request, found)) == expected, request
    # a code label spelled out: "Terminal 3" is T3 ("the 3 ..." is not)
    assert steps(planner.plan("keep only the Terminal 2 reports", found)) == [
        ("value_filter", {"column": "terminal", "values": ["T2"]})]
    plan = planner.plan("Drop every report that is not in English, except the ones from Terminal 3.", found)
    assert [(s.op, s.params.get("where_values"), s.params.get("where_not")) for s in plan.steps] == [
        ("lang_id", ["T3"], True)]
    lifts = _peek_rows(tmp_path / "lifts.jsonl", [
        {"inspection_id": f"INSP-{i:03d}", "duration_min": 20 + 7 * i, "severity": ("low", "high")[i % 2],
         "notes": f"Landing door interlock on floor {i} checked, brake pads worn, lift returned to service."}
        for i in range(24)])
    # "rated high or critical" names labels (it had become a top_filter on severity); a bracketed "leave the
    # emails there" spares the emails; "give me the 5 most ..." is a rank even where its words match weakly
    assert steps(planner.plan("Drop the inspections rated high or critical severity", lifts)) == [
        ("value_filter", {"column": "severity", "drop_values": ["high", "critical"]})]
    contacts = _peek_rows(tmp_path / "contacts.jsonl", [
        {"technician_contact": (f"+44 7955 4935{i:02d}", f"k.nakamura{i}@example.com")[i % 2], "repair_cost_eur": 100 + i,
         "notes": f"Brake pads worn on lift {i}, replaced, tested and returned to service."} for i in range(12)])
    assert steps(planner.plan("Redact the phone numbers in technician_contact (leave the emails there).", contacts)) == [
        ("pii_redact", {"text_field": "technician_contact", "kinds": ["phone"]})]
    assert steps(planner.plan("Finally give me the 5 most expensive repairs left.", contacts)) == [
        ("top_filter", {"count": 5, "column": "repair_cost_eur"})]
    for request, minutes in (("Only keep inspections that took longer than an hour and a half.", 91.0),
                             ("keep inspections over 2 hours and a half", 151.0),
                             ("drop inspections shorter than two and a half hours", 150.0)):
        assert steps(planner.plan(request, lifts)) == [("value_filter", {"column": "duration_min", "min": minutes})], \
            request


def test_a_count_of_some_rows_per_group_is_answered_by_a_query_not_a_count_of_all(tmp_path, env):
    """Trial 17: "how many inspections failed in 2025, per building?" was two parts not understood; without the
    comma it counted every inspection per building, the condition silently gone. A plain count per group is still
    dataset_stats; a count of some rows per group is reported with the query that answers it."""
    planner, _ = env
    lifts = _peek_rows(tmp_path / "lifts.jsonl", [
        {"building": ("Northgate Mall", "Harbour Tower")[i % 2], "passed": ("yes", "no")[i % 3 == 0],
         "notes": f"Landing door interlock on floor {i} checked and the lift returned to service."} for i in range(12)])
    for request in ("How many inspections failed in 2025, per building?", "how many inspections failed in 2025 per building"):
        plan = planner.plan(request, lifts)
        assert plan.steps == [] and len(plan.unmatched) == 1, request
        # ("failed" is the opposite of `passed`: passed = no; the year, which no column holds, is left to say)
        assert any(re.search(r"SELECT building, count\(\*\) FROM \w+ WHERE passed IN \('no'\) AND <in 2025> GROUP BY building",
                             n) for n in plan.notes), request
    for request in ("how many inspections per building?", "how many inspections are there per building?",
                    "count the inspections, per building"):
        assert steps(planner.plan(request, lifts)) == [("dataset_stats", {"domain_field": "building"})], request


def test_a_rank_orders_the_column_its_adjective_measures_among_the_rows_its_words_pick(tmp_path, env):
    """Trial 17 and after: "the 3 most valuable items" ranked item_category (a label, so no row had a number);
    "the 5 longest inspections" became c4's five-sentence rule; "the 10 most recent" and "the 4 quickest" found no
    column; "the 3 cheapest repairs that passed" was not understood, and "... that were returned" lost its rows."""
    planner, _ = env
    lost = _peek_rows(tmp_path / "lost.jsonl", [
        {"report_id": f"LF-{i:04d}", "reported_on": f"2026-0{1 + i % 6}-{1 + i % 5:02d}",
         "item_category": ("electronics", "luggage", "clothing", "other")[i % 4], "estimated_value_eur": 35.5 * i + 9.99,
         "returned": i % 3 == 0, "days_in_storage": 3 * i, "description": f"Black backpack found at gate {i}."}
        for i in range(24)])
    lifts = _peek_rows(tmp_path / "lifts.jsonl", [
        {"inspection_id": f"INSP-{i:03d}", "inspected_on": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}",
         "duration_min": 20 + 7 * i, "passed": ("yes", "no")[i % 2], "repair_cost_eur": None if i % 3 else 50.0 * i,
         "notes": f"Landing door interlock on floor {i} checked, brake pads worn, lift returned to service."}
        for i in range(24)])
    plans = {
        ("lost", "keep only the 3 most valuable items"): [
            ("top_filter", {"count": 3, "column": "estimated_value_eur"})],
        ("lost", "keep the 5 least valuable items"): [
            ("top_filter", {"keep": "lowest", "count": 5, "column": "estimated_value_eur"})],
        ("lost", "give me the 5 cheapest items that were returned"): [
            ("value_filter", {"column": "returned", "values": [True]}),
            ("top_filter", {"keep": "lowest", "count": 5, "column": "estimated_value_eur"})],
        ("lost", "the 3 most valuable unreturned items"): [
            ("value_filter", {"column": "returned", "values": [False]}),
            ("top_filter", {"count": 3, "column": "estimated_value_eur"})],
        ("lifts", "keep the 5 longest inspections"): [("top_filter", {"count": 5, "column": "duration_min"})],
        ("lifts", "keep the 10 most recent inspections"): [("top_filter", {"count": 10, "column": "inspected_on"})],
        ("lifts", "keep the 10 oldest inspections"): [
            ("top_filter", {"keep": "lowest", "count": 10, "column": "inspected_on"})],
        ("lifts", "the 4 quickest inspections in 2025"): [
            ("value_filter", {"column": "inspected_on", "min": "2025-01-01", "max": "2025-12-31"}),
            ("top_filter", {"count": 4, "column": "duration_min", "keep": "lowest"})],
        ("lifts", "the 3 cheapest repairs that passed"): [
            ("value_filter", {"column": "passed", "values": ["yes"]}),
            ("top_filter", {"keep": "lowest", "count": 3, "column": "repair_cost_eur"})],
        # "failed" is the opposite of `passed` (WordNet's antonyms), on a yes/no column
        ("lifts", "keep the 3 longest inspections that failed"): [
            ("value_filter", {"column": "passed", "values": ["no"]}),
            ("top_filter", {"count": 3, "column": "duration_min"})],
        ("lifts", "drop the inspections that failed"): [("value_filter", {"column": "passed", "drop_values": ["no"]})],
        # the length of the text itself: a measuring step writes it
        ("lifts", "keep the 5 longest notes"): [("sample_metrics", {"text_field": "text"}),
                                              ("top_filter", {"count": 5, "column": "n_chars"})],
    }
    for (name, request), expected in plans.items():
        assert steps(planner.plan(request, {"lost": lost, "lifts": lifts}[name])) == expected, request
    # a random share of the rows a yes/no column's opposite names, the others kept
    assert steps(planner.plan("a random 30% of the failed inspections, keep all passed", lifts)) == [
        ("sample_filter", {"fraction": 0.3, "where_column": "passed", "where_values": ["no"]})]
    # a removal by rank within dates ranks every row: said, not done silently
    plan = planner.plan("drop the 5 inspections with the longest duration in 2025", lifts)
    assert steps(plan) == [("top_filter", {"count": 5, "column": "duration_min", "drop": True})]
    assert plan.unmatched and any("ranks every row" in n for n in plan.notes)


def test_from_the_eighteenth_newcomer_trial(tmp_path, env):
    """Trial 18 (insurance claim notes, conference talk proposals): each request below was wrong or partly done."""
    planner, _ = env
    claims = _peek_rows(tmp_path / "claims.jsonl", [
        {"claim_id": f"CLM-{1000 + i}", "filed_date": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "claim_type": ("water_damage", "theft", "storm", "fire")[i % 4], "region": ("North", "South", "West")[i % 3],
         "amount_eur": 1000.0 + 733 * i, "approved": (True, False, None)[i % 3],
         "note": f"Burst pipe under the kitchen sink flooded the ground floor, claim {i}."} for i in range(24)])
    talks = _peek_rows(tmp_path / "talks.jsonl", [
        {"proposal_id": f"P{200 + i}", "submitted_on": f"2025-0{1 + i % 4}-{1 + i % 27:02d}",
         "speaker_phone": f"+1 385-569-51{i:02d}", "track": ("data", "security", "ml")[i % 3],
         "format": ("talk", "workshop", "lightning")[i % 3], "duration_min": (25, 45, 10)[i % 3], "votes": 3 * i,
         "first_time_speaker": ("yes", "no")[i % 2],
         "abstract": f"A practical tour of schema evolution in a lakehouse, part {i} of the series."} for i in range(24)])
    plans = {
        # a polite "could you give me just ..." asks for rows; "water damage" is the label water_damage
        ("claims", "Hi there! Could you give me just the storm and water damage claims filed between 1 March and 30 "
                   "April 2025? And please scrub any email addresses or phone numbers out of the notes, thanks!"): [
            ("pii_redact", {"text_field": "text", "kinds": ["email", "phone"]}),
            ("value_filter", {"column": "claim_type", "values": ["storm", "water_damage"]}),
            ("value_filter", {"column": "filed_date", "min": "2025-03-01", "max": "2025-04-30"})],
        # "but keep the ones ... (approved is empty)": rows the drop leaves alone already
        ("claims", "Get rid of the claims that weren't approved, but keep the ones that have no decision yet (approved "
                   "is empty)."): [("value_filter", {"column": "approved", "drop_values": [False], "keep_null": True})],
        ("claims", "the 10 biggest claims from the North region by amount"): [
            ("value_filter", {"column": "region", "values": ["North"]}),
            ("top_filter", {"count": 10, "column": "amount_eur"})],
        # a yes/no column named by its name ("from first-time speakers")
        ("talks", "security and ml proposals from first-time speakers only"): [
            ("value_filter", {"column": "first_time_speaker", "values": ["yes"]}),
            ("value_filter", {"column": "track", "values": ["security", "ml"]})],
        # "... and run at least 30 minutes": a verb with a bound says what rows hold
        ("talks", "Which talks were submitted in February 2025 and run at least 30 minutes? Keep only those."): [
            ("value_filter", {"column": "submitted_on", "min": "2025-02-01", "max": "2025-02-28"}),
            ("value_filter", {"column": "duration_min", "min": 30.0})],
        # "I don't want any X" drops X; "From what's left" is no job; "top 5 ... by votes" ranks, not counts
        ("talks", "I don't want any non-English abstracts. From what's left, give me the top 5 data-track proposals "
                  "by votes."): [
            ("lang_id", {"text_field": "text", "languages": ["en"], "min_score": 0.0}),
            ("value_filter", {"column": "track", "values": ["data"]}),
            ("top_filter", {"count": 5, "column": "votes"})],
        # "the lightning talks" is lightning (talk is the noun); "but leave ... alone" spares them from that job only
        ("talks", "Remove abstracts under 5 words, but leave the lightning talks alone; then dedupe exact copies."): [
            ("length_filter", {"text_field": "text", "min": 5, "unit": "words", "where_column": "format",
                               "where_values": ["lightning"], "where_not": True}),
            ("exact_dedup", {"text_field": "text"})],
        # "Also drop the X column" is a job on columns, not the column the redaction before it reads
        ("talks", "Redact email addresses in the abstracts but leave phone numbers as they are. Also drop the "
                  "speaker_phone column."): [
            ("pii_redact", {"text_field": "text", "kinds": ["email"]}),
            ("select_columns", {"drop_columns": ["speaker_phone"]})],
    }
    _plans_are(planner, plans, {"claims": claims, "talks": talks})
    # "I don't want any X" drops X, but "I don't want any rows dropped" keeps every row, and "any dedup" refuses a job
    assert steps(planner.plan("we don't want the workshops", talks)) == [
        ("value_filter", {"column": "format", "drop_values": ["workshop"]})]
    plan = planner.plan("I don't want any proposals removed, just count the tokens", talks)
    assert plan.ops() == ["token_count"] and plan.keep_all_rows
    plan = planner.plan("I don't want any abstracts lost; count tokens", talks)
    assert plan.ops() == ["token_count"]
    assert planner.plan("I don't want any dedup", talks).steps == []
    # "with a severity label: minor, moderate or severe" names the label
    plan = planner.plan("Tag each claim note with a severity label: minor, moderate or severe.", claims)
    assert [(s.op, s.params["label"], s.params["choices"]) for s in plan.steps] == [
        ("llm_annotate", "severity", ["minor", "moderate", "severe"])]
    # "a word or two was changed" is an edit of a few words: the shingle deduplicator
    plan = planner.plan("remove near-duplicates where just a word or two was changed", claims)
    assert plan.ops() == ["minhash_dedup"]


def test_a_saved_pipeline_does_not_change_what_the_text_column_is_called(tmp_path):
    """Trial 18: after "redact emails in the abstracts" was saved as a skill, "label each abstract's audience level
    as beginner, intermediate or advanced" was not understood (the saved request made "abstract" an operator word,
    so it no longer read as the texts)."""
    talks = _peek_rows(tmp_path / "talks.jsonl", [
        {"track": ("data", "ml")[i % 2], "abstract": f"A practical tour of schema evolution in a lakehouse, part {i}."}
        for i in range(12)])
    ws = tmp_path / "ws"
    skills = ws / "agent" / "skills"
    skills.mkdir(parents=True)
    (skills / "redact-emails-abstracts.yaml").write_text(
        "name: redact-emails-abstracts\ndescription: Redact email addresses in the abstracts.\n"
        "input: {path: x.jsonl, text: abstract}\nsteps:\n  - pii_redact: {kinds: [email]}\n")
    request = "Label each abstract's audience level as beginner, intermediate or advanced."
    for workspace in (None, ws):
        plan = OfflinePlanner(Catalogue(workspace, use_embeddings=True)).plan(request, talks)
        assert plan.ops() == ["llm_annotate"], workspace


def test_a_placeholder_token_is_the_redaction_replacement(env):
    """Dev: "put [REMOVED] wherever something was taken out" kept the default <KIND> (no word beside the token
    named the parameter); a token in brackets, quoted or not, is what a redaction writes instead."""
    planner, data = env
    for request, kinds, token in (
            ("redact personal data and put [REMOVED] wherever something was taken out", None, "[REMOVED]"),
            ("redact emails, replace them with '[EMAIL]'", ["email"], "[EMAIL]"),
            ("redact emails and phone numbers, use <HIDDEN> instead", ["email", "phone"], "<HIDDEN>")):
        (step,) = planner.plan(request, data["web"]).steps
        assert (step.op, step.params.get("kinds"), step.params["replacement"]) == ("pii_redact", kinds, token), request


def test_a_tone_cut_by_its_comma_is_read_whole(env):
    """Dev: "redo the agent's answer in a warmer, more empathetic voice" split at the comma and fixed the
    grammar instead; a tone another clause names is not borrowed ("fix the grammar of the replies" stays grammar
    when only a later clause says a tone)."""
    planner, data = env
    (step,) = planner.plan("Where the rating is three or lower, redo the agent's answer in a warmer, more empathetic "
                           "voice.", data["chat"]).steps
    assert {k: step.params[k] for k in ("task", "style", "where_column", "where_max")} == {
        "task": "tone", "style": "warmer, more empathetic", "where_column": "rating", "where_max": 3.0}
    (step,) = planner.plan("fix the grammar of the agent replies", data["chat"]).steps
    assert step.params.get("task", "grammar") == "grammar" and "style" not in step.params


def test_an_open_list_of_labels_and_a_task_type_said_in_words(env):
    """Dev: "(question, complaint, ...)" made '...' a label; "the task type" and "what kind of job is each
    instruction asking for" are llm_annotate's built-in task_type. An open list keeps its examples and 'other'."""
    planner, data = env
    (step,) = planner.plan("label every customer message with what kind of request it is (question, complaint, ...) "
                           "using the llm; the task type, not the topic", data["chat"]).steps
    assert (step.params["label"], step.params["choices"]) == ("task_type", ["question", "complaint", "other"])
    (step,) = planner.plan("What kind of job is each instruction asking for (QA, maths, coding, ...)? Have the model "
                           "tag it.", data["instruct"]).steps
    assert step.params["label"] == "task_type"
    (step,) = planner.plan("label each review with its topic (battery, screen, price, etc.)", data["reviews"]).steps
    assert (step.params["label"], step.params["choices"]) == ("topic", ["battery", "screen", "price", "other"])
    (step,) = planner.plan("label each review as positive, negative or neutral", data["reviews"]).steps
    assert step.params["choices"] == ["positive", "negative", "neutral"]  # a closed list stays closed


def test_leaving_a_limited_thing_alone_unsets_its_limit(env):
    """Dev: "clean up the spacing but leave the blank lines alone" kept normalize's limit of one blank line."""
    planner, data = env
    assert steps(planner.plan("clean up the spacing in the tickets but leave the blank lines alone, don't squeeze "
                              "them together", data["chat"])) == [("normalize", {"max_blank_lines": None})]
    assert steps(planner.plan("normalize the tickets", data["chat"])) == [("normalize", {})]


def test_from_the_nineteenth_newcomer_trial(tmp_path, env):
    """Trial 19 (street maintenance reports, used-car listings): each request below was wrong or partly done."""
    planner, _ = env
    streets = _peek_rows(tmp_path / "streets.jsonl", [
        {"report_id": f"SR-{1000 + i}", "submitted_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "district": ("Old Town", "North End", "Harbour District")[i % 3], "issue_category": ("pothole", "drain")[i % 2],
         "severity": ("low", "high", "critical")[i % 3], "depth_cm": 1.5 * i, "repaired": ("yes", "no")[i % 2],
         "description": f"Pothole forming on Granary Walk by the loading bay, report {i}."} for i in range(24)])
    cars = _peek_rows(tmp_path / "cars.jsonl", [
        {"listing_id": f"CL{2000 + i}", "listed_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "make": ("Ford", "Skoda", "Kia")[i % 3], "model": ("Focus", "Octavia", "Ceed")[i % 3], "year": 2008 + i % 14,
         "mileage_km": 20000 + 9000 * i, "price_eur": 1500.0 + 400 * i,
         "description": f"Well kept family car, full service history, new tyres, listing {i}."} for i in range(24)])
    plans = {
        # "deepest" ranks depth_cm; "Old Town" is a district, not "old"
        ("streets", "Give me the 5 deepest potholes in Old Town."): [
            ("value_filter", {"column": "district", "values": ["Old Town"]}),
            ("top_filter", {"count": 5, "column": "depth_cm"})],
        ("streets", "Give me the 5 potholes in Old Town with the largest depth_cm."): [
            ("value_filter", {"column": "district", "values": ["Old Town"]}),
            ("top_filter", {"count": 5, "column": "depth_cm"})],
        # a yes/no column named by its participle; "keep those regardless" points back at the exception
        ("streets", "Remove reports that have already been repaired, except the critical ones - keep those regardless."): [
            ("value_filter", {"column": "repaired", "drop_values": ["yes"], "where_column": "severity",
                              "where_values": ["critical"], "where_not": True})],
        # "oh and also ..." carries no job of its own
        ("streets", "can you drop anything that isn't English? oh and also get rid of the near-duplicates"): [
            ("lang_id", {"languages": ["en"], "min_score": 0.0}),
            ("minhash_dedup", {"ngram": 1, "threshold": 0.7})],
        # "from 2015 or newer" is a lower bound; "150,000 km" names mileage_km by its unit
        ("cars", "keep only cars from 2015 or newer with under 150,000 km on the clock"): [
            ("value_filter", {"column": "year", "min": 2015}),
            ("value_filter", {"column": "mileage_km", "max": 149999.0})],
        # a list of the data's columns wanted ("make" is a column, not a verb); "listing_id" is not listed_on
        ("cars", "I only need listing_id, make, price_eur and description - drop the other columns."): [
            ("select_columns", {"keep_columns": ["listing_id", "make", "price_eur", "text"]})],
    }
    _plans_are(planner, plans, {"streets": streets, "cars": cars})
    # an own label whose name ends in "type" is not the built-in task_type
    plan = planner.plan("Tag each report with a hazard type: road surface, street lighting, signage or drainage.", streets)
    assert [(s.op, s.params["label"]) for s in plan.steps] == [("llm_annotate", "hazard_type")]
    # "have the model rate ... as A, B, C or D": grades to choose from, asked of the LLM (not the `model` column)
    plan = planner.plan("Have the model rate each car's described condition as excellent, good, fair or poor.", cars)
    assert [(s.op, s.params["choices"]) for s in plan.steps] == [("llm_annotate", ["excellent", "good", "fair", "poor"])]


def test_grades_to_choose_from_are_an_llm_label_without_naming_the_model(tmp_path, env):
    """Left from trial 19: "rate each description as excellent, good, fair or poor" planned difficulty_heuristic (a
    local scorer stood in for the LLM labeller, though it cannot take the grades), and the same grades after a colon
    without "or" became three jobs ("Grade excellent", "Grade fair", ...)."""
    planner, _ = env
    cars = _peek_rows(tmp_path / "cars.jsonl", [
        {"listing_id": f"CL{2000 + i}", "listed_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}", "year": 2008 + i % 14,
         "description": f"Well kept family car, full service history, new tyres, listing {i}."} for i in range(24)])
    grades = ["excellent", "good", "fair", "poor"]
    for request, label in (("Rate each description as excellent, good, fair or poor.", "rating"),
                           ("Grade every listing: excellent, good, fair, poor.", "grade"),
                           ("Label each listing's condition: excellent, good, fair, poor", "condition")):
        plan = planner.plan(request, cars)
        assert [(s.op, s.params["choices"], s.params["label"]) for s in plan.steps] == [("llm_annotate", grades, label)], \
            request
        assert not plan.unmatched, request


def test_the_oldest_things_rank_the_year_they_were_made_and_the_oldest_records_their_date(tmp_path, env):
    """Left from trial 19: "the 5 oldest cars" ranked listed_on (the listing's date); a car's age is its year. The
    records themselves ("the oldest listings") still rank the date they are named after."""
    planner, _ = env
    cars = _peek_rows(tmp_path / "cars.jsonl", [
        {"listing_id": f"CL{2000 + i}", "listed_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}", "year": 2008 + i % 14,
         "description": f"Well kept family car, full service history, new tyres, listing {i}."} for i in range(24)])
    for request, expected in (("Give me the 5 oldest cars.", {"count": 5, "column": "year", "keep": "lowest"}),
                              ("the 3 newest cars", {"count": 3, "column": "year"}),
                              ("Give me the 5 oldest listings.", {"count": 5, "column": "listed_on", "keep": "lowest"}),
                              ("the 3 newest listings", {"count": 3, "column": "listed_on"})):
        assert steps(planner.plan(request, cars)) == [("top_filter", expected)], request


def test_the_catalogue_embeddings_are_encoded_once_then_read_from_disk(tmp_path, monkeypatch):
    """Every `tilth agent` run encoded the catalogue's 800 phrasings and cards again (about 25 s of a 30 s run on
    2 CPUs); they change only with the catalogue, so they are cached on disk like the docs' embeddings."""
    import numpy as np

    import tilth.agent.embed as embed
    from tilth.agent.match import SkillMatcher

    monkeypatch.setenv("TILTH_MODEL_CACHE", str(tmp_path / "cache"))
    cat = Catalogue(use_embeddings=True, only={"exact_dedup", "length_filter", "lang_id"})
    first = SkillMatcher(cat)._emb
    monkeypatch.setattr(embed, "encode", lambda texts, batch_size=64: (_ for _ in ()).throw(AssertionError(texts[:2])))
    again = SkillMatcher(Catalogue(use_embeddings=True, only={"exact_dedup", "length_filter", "lang_id"}))._emb
    assert np.array_equal(first, again)


def test_almost_identical_with_a_hyphen_is_near_duplicates(tmp_path, env):
    """"boil the almost-identical questions down to one each" planned llm_escalate_difficulty: "almost identical"
    was known as near duplicates only with a space, and "questions" drew the question-writing operators."""
    planner, data = env
    plan = planner.plan("boil the almost-identical questions down to one each", data["math"])
    assert [s.op for s in plan.steps] == ["minhash_dedup"]


def test_from_the_twentieth_newcomer_trial(tmp_path, env):
    """Trial 20 (museum visitor comments, plant nursery orders): each request below was wrong or partly done."""
    planner, _ = env
    museum = _peek_rows(tmp_path / "museum.jsonl", [
        {"comment_id": f"MC-{i:03d}", "visit_date": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "gallery": ("Egyptian", "Impressionist", "Natural History", "Modern Art")[i % 4],
         "visitor_type": ("adult", "family", "school_group", "senior")[i % 4], "rating": 1 + i % 5,
         "member": ("yes", "no")[i % 2], "comment": f"The beetle drawers you can pull out are a brilliant idea {i}."}
        for i in range(24)])
    orders = _peek_rows(tmp_path / "orders.jsonl", [
        {"order_id": f"NO-{1000 + i}", "order_date": f"2025-0{1 + i % 5}-{1 + i % 27:02d}",
         "plant_type": ("rose", "fruit tree", "shrub")[i % 3], "quantity": 1 + i % 15, "total_gbp": 12.5 * i,
         "gift_wrap": ("yes", "no")[i % 2], "delivery_note": f"Please leave the parcel by the side gate, order {i}."}
        for i in range(24)])
    plans = {
        # a yes/no column named by its participle, negated ("weren't gift wrapped"): the rank is among those rows,
        # and a relative clause's "were" is no statement (a statement's rank was a removal)
        ("orders", "the 8 biggest orders by quantity that weren't gift wrapped"): [
            ("value_filter", {"column": "gift_wrap", "values": ["no"]}),
            ("top_filter", {"count": 8, "column": "quantity"})],
        ("orders", "the 8 biggest orders by quantity that were gift wrapped"): [
            ("value_filter", {"column": "gift_wrap", "values": ["yes"]}),
            ("top_filter", {"count": 8, "column": "quantity"})],
        ("orders", "the 8 biggest orders by quantity, only ones that were not gift wrapped"): [
            ("value_filter", {"column": "gift_wrap", "values": ["no"]}),
            ("top_filter", {"count": 8, "column": "quantity"})],
        ("orders", "the orders without gift wrapping"): [("value_filter", {"column": "gift_wrap", "values": ["no"]})],
        # an amount in pounds bounds the column of pounds; two months of one year are one span
        ("orders", "orders over £50 placed between 1 Feb and 31 March 2025"): [
            ("value_filter", {"column": "total_gbp", "min": 50.0, "min_exclusive": True}),
            ("value_filter", {"column": "order_date", "min": "2025-02-01", "max": "2025-03-31"})],
        ("orders", "keep orders over 50 pounds"): [
            ("value_filter", {"column": "total_gbp", "min": 50.0, "min_exclusive": True})],
        ("orders", "orders that cost more than £50, placed in February or March 2025"): [
            ("value_filter", {"column": "total_gbp", "min": 50.0, "min_exclusive": True}),
            ("value_filter", {"column": "order_date", "min": "2025-02-01", "max": "2025-03-31"})],
        # "written by members" says who wrote them, it counts nothing per member
        ("museum", "give me the 5 longest comments written by members"): [
            ("value_filter", {"column": "member", "values": ["yes"]}),
            ("sample_metrics", {"text_field": "text"}),
            ("top_filter", {"count": 5, "column": "n_chars"})],
        # "how many comments each gallery got": counted per gallery
        ("museum", "don't change anything, just tell me how many comments each gallery got"): [
            ("dataset_stats", {"domain_field": "gallery"})],
        ("museum", "count the comments for every visitor type"): [("dataset_stats", {"domain_field": "visitor_type"})],
        # a list of wanted columns with "the comment itself" (the text column) and "lose the other columns"
        ("museum", "I only need comment_id, visit_date and the comment itself - lose the other columns"): [
            ("select_columns", {"keep_columns": ["comment_id", "visit_date", "text"]})],
    }
    _plans_are(planner, plans, {"museum": museum, "orders": orders})
    # a score on a scale of a quality no operator measures is a label of the user's own, from the scale's values
    for request, label in (("have the model score each note from 1 to 5 for how urgent it sounds", "urgency"),
                           ("rate how polite each note is on a 1-5 scale", "politeness")):
        plan = planner.plan(request, orders)
        assert [(s.op, s.params["choices"], s.params["label"]) for s in plan.steps] == [
            ("llm_annotate", ["1", "2", "3", "4", "5"], label)], request
    # a grade "from 1 to 5" of quality is the graded judge, not the binary one
    plan = planner.plan("score each note from 1 to 5 for quality with the LLM", orders)
    assert [(s.op, s.params.get("mode", "graded")) for s in plan.steps] == [("llm_quality_filter", "graded")]
    # the manner a rewrite asks for, in full ("polite" had been lost, split off at "and")
    for request, style in (("rewrite each delivery note so it's polite and concise for the driver",
                            "polite and concise for the driver"),
                           ("make each note more polite", "more polite"),
                           ("rewrite the notes to be friendlier and shorter", "friendlier and shorter")):
        plan = planner.plan(request, orders)
        assert [(s.op, s.params.get("task"), s.params.get("style")) for s in plan.steps] == [
            ("llm_rewrite", "tone", style)], request


def test_a_condition_on_what_the_model_gave_restricts_the_next_job(env):
    """"then, for the ones it gives a 2 or less, write a tougher version": the rows the step before scored low
    (the condition was not read: the escalation ran on every row, and '2 or less' went unused)."""
    planner, data = env
    plan = planner.plan("Have the model rate how hard every instruction is on a one-to-five scale; then, for the ones "
                        "it gives a 2 or less, write a tougher version as an extra row.", data["instruct"])
    assert [(s.op, s.params.get("where_column"), s.params.get("where_max")) for s in plan.steps] == [
        ("llm_annotate", None, None), ("llm_escalate_difficulty", "llm_difficulty", 2.0)]
    assert not plan.unmatched


def test_a_local_stand_in_for_an_llm_step_does_the_same_kind_of_job(env):
    """Without an LLM endpoint a local operator that scores about as well stands in for an LLM one; a difficulty
    score (it measures) had stood in for a grammar rewrite (it edits)."""
    planner, data = env
    plan = planner.plan("Clean up the grammar of the solutions; don't change the questions.", data["math"])
    assert [(s.op, s.params.get("text_field")) for s in plan.steps] == [("llm_rewrite", "solution")]


def test_dropping_the_rows_in_a_language_drops_that_language(env):
    """"drop the German reviews" kept only the German reviews (lang_id could only keep the languages it lists);
    "drop the non-English reviews" still keeps English."""
    planner, data = env
    for request, expected in (
            ("drop the German reviews", {"languages": [], "drop_languages": ["de"]}),
            ("find the reviews that are in German and drop them", {"languages": [], "drop_languages": ["de"]}),
            ("remove the French and Spanish reviews", {"languages": [], "drop_languages": ["fr", "es"]}),
            ("drop the non-English reviews", {"languages": ["en"]}),
            ("drop anything not written in English", {"languages": ["en"]}),
            ("drop everything but the English ones", {"languages": ["en"]}),
            ("remove rows unless they're in English", {"languages": ["en"]}),
            ("keep only French reviews", {"languages": ["fr"]})):
        plan = planner.plan(request, data["reviews"])
        assert [s.op for s in plan.steps] == ["lang_id"], request
        got = {k: v for k, v in plan.steps[0].params.items() if k in ("languages", "drop_languages")}
        assert got == expected, request


def test_from_the_twenty_first_newcomer_trial(tmp_path, env):
    """Trial 21 (hotel housekeeping notes, wine tastings): each request below was wrong or partly done."""
    planner, _ = env
    rooms = _peek_rows(tmp_path / "housekeeping.jsonl", [
        {"note_id": f"HK-{1000 + i}", "date": f"2026-0{1 + i % 6}-{1 + i % 27:02d}",
         "room_type": ("deluxe", "family", "standard", "suite")[i % 4], "minutes_spent": 20 + 3 * i,
         "maintenance_needed": i % 3 == 0, "housekeeper": ("Li Wei", "Ana Costa")[i % 2],
         "note": f"Light switch in the hallway sparks when flicked, room {i}."} for i in range(24)])
    wines = _peek_rows(tmp_path / "wines.jsonl", [
        {"tasting_id": 500 + i, "wine_name": f"Cuvee {i}", "region": ("Piedmont", "Napa Valley")[i % 2],
         "vintage": 2010 + i % 13, "price_eur": 20.5 + 7 * i, "score": 82 + i % 16,
         "tasted_on": f"202{4 + i % 2}-0{1 + i % 6}-{1 + i % 27:02d}", "organic": ("yes", "no")[i % 2],
         "notes": f"Toasty brioche, baked lemon, creamy mousse, bottle {i}."} for i in range(24)])
    plans = {
        # a plural label in a list is the column's singular value
        ("rooms", "keep suites and deluxe rooms only where cleaning took longer than 45 mins"): [
            ("value_filter", {"column": "room_type", "values": ["suite", "deluxe"]}),
            ("value_filter", {"column": "minutes_spent", "min": 46.0})],
        # a yes/no column named by its words ("need maintenance", "flagged for maintenance": maintenance_needed)
        ("rooms", "drop the notes that need maintenance"): [
            ("value_filter", {"column": "maintenance_needed", "drop_values": [True]})],
        ("rooms", "drop anything flagged for maintenance, except the suites - keep all of those"): [
            ("value_filter", {"column": "maintenance_needed", "drop_values": [True], "where_column": "room_type",
                              "where_values": ["suite"], "where_not": True})],
        # "older than the 2015 vintage": a bound on the vintage year (it had become a length filter)
        ("wines", "drop anything older than the 2015 vintage"): [
            ("value_filter", {"column": "vintage", "min": 2015.0})],
        # the rank is by price; the year bounds the tasting date
        ("wines", "pull the 3 most expensive wines we tasted in 2025"): [
            ("value_filter", {"column": "tasted_on", "min": "2025-01-01", "max": "2025-12-31"}),
            ("top_filter", {"count": 3, "column": "price_eur"})],
        # a usefulness for someone is a label of the user's own; "the ones scoring 4+" is that score, not the
        # data's `score` (82-97); ", 1 to 5," is the scale, no job of its own
        ("wines", "have the model score each note for how useful it is to a buyer, 1 to 5, and keep the ones "
                  "scoring 4+"): [
            ("llm_annotate", {"text_field": "text", "choices": ["1", "2", "3", "4", "5"], "label": "usefulness_to_buyer"}),
            ("value_filter", {"column": "llm_usefulness_to_buyer", "min": 4.0})],
        ("wines", "can you rewrite the tasting notes so they're shorter and more neutral in tone"): [
            ("llm_rewrite", {"text_field": "text", "task": "tone", "style": "shorter and more neutral"})],
    }
    _plans_are(planner, plans, {"rooms": rooms, "wines": wines})


def test_a_label_value_the_data_lacks_is_said(tmp_path, env):
    """"keep the penthouse rooms" on a room_type of deluxe, family, standard and suite keeps nothing: the plan
    says which values the column has (trial 21: "suites" had been kept as written, and all 9 suites lost)."""
    planner, _ = env
    rooms = _peek_rows(tmp_path / "rooms.jsonl", [
        {"room_type": ("deluxe", "family", "standard", "suite")[i % 4], "note": f"Towels replaced in room {i}."}
        for i in range(12)])
    plan = planner.plan("keep the penthouse rooms", rooms)
    assert steps(plan) == [("value_filter", {"column": "room_type", "values": ["penthouse"]})]
    assert "room_type has no value 'penthouse' in the first 2,000 rows (its values: 'deluxe', 'family', 'standard', " \
           "'suite'); check the step keeps what you meant" in plan.notes
    assert not any("has no value" in n for n in planner.plan("keep suites and deluxe rooms", rooms).notes)


def test_what_counts_as_a_duplicate_is_no_request_for_counts(env):
    """"only count two reviews as duplicates when they are for the same product" says what a duplicate is: it
    had been read as "just count" (keep every row, statistics only), and "the same product" as a label 'same'."""
    planner, data = env
    plan = planner.plan("Remove duplicate reviews, but only count two reviews as duplicates when they are for the same "
                        "product.", data["reviews"])
    assert steps(plan) == [("exact_dedup", {"text_field": "text", "also_fields": ["product"]})]
    assert [s.op for s in planner.plan("just count the reviews per product", data["reviews"]).steps] == ["dataset_stats"]


def test_the_average_word_length_names_the_mean_word_length_filter(env):
    """"whose average word is shorter than 4 or longer than 12 characters" is the mean word length (it had been a
    text length of 4 to 12 characters)."""
    planner, data = env
    plan = planner.plan("remove paragraphs whose average word is shorter than 4 or longer than 12 characters", data["web"])
    assert steps(plan) == [("mean_word_length_filter", {"min_length": 4.0, "max_length": 12.0})]


def test_a_condition_on_a_grade_the_model_gives_plans_the_grading_first(env):
    """"Only write questions for documents the LLM grades 4 or higher": the grade is a step of its own (measuring
    only), and the questions are written where it is 4 or more (the condition had not been read: questions for
    every document, or none at all)."""
    planner, data = env
    plan = planner.plan("Only write questions for documents the LLM grades 4 or higher.", data["web"])
    assert steps(plan) == [("llm_quality_filter", {"min_score": 0}),
                           ("llm_qa_synthesis", {"where_column": "llm_quality", "where_min": 4.0})]
    assert not plan.unmatched


def test_where_the_data_keeps_a_column_is_no_job(env):
    """"the prompt is in instruction and the answer is in output" says where the IFD step reads; it had also
    planned llm_magpie for "the prompt is in instruction"."""
    planner, data = env
    plan = planner.plan("IFD filter: the prompt is in instruction and the answer is in output.", data["instruct"])
    assert [s.op for s in plan.steps] == ["llm_ifd_filter"]
    assert plan.steps[0].params.get("response_field") == "output"


def test_from_the_twenty_second_newcomer_trial(tmp_path, env):
    """Trial 22 (tenant repair requests, podcast episodes): each request below was wrong or partly done."""
    planner, _ = env
    repairs = _peek_rows(tmp_path / "repairs.jsonl", [
        {"request_id": f"TR-{2000 + i}", "submitted_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "building": ("Maple Court", "Elm Terrace")[i % 2], "category": ("damp", "heating", "other")[i % 3],
         "urgent": i % 2 == 0, "est_cost_gbp": 80.0 + 45 * i, "days_to_fix": 2 + i,
         "description": f"Condensation runs down the windows every morning, flat {i}."} for i in range(24)])
    podcasts = _peek_rows(tmp_path / "podcasts.jsonl", [
        {"episode_id": f"EP-{301 + i}", "show": ("Garden Talk", "True Crime Weekly", "Money Matters", "Byte Size")[i % 4],
         "release_date": f"202{4 + i % 2}-0{1 + i % 6}-{1 + i % 27:02d}", "duration_min": 20 + 2 * i,
         "explicit": ("yes", "no")[i % 2], "downloads": 1000 * (i + 1),
         "notes": f"Pruning roses without panic, with a walk round a walled garden, part {i}."} for i in range(24)])
    plans = {
        # "can you drop ..." is a removal ("can you" had hidden the verb: the rows to drop were kept)
        ("repairs", "can you drop anything where the estimated cost is over £500?"): [
            ("value_filter", {"column": "est_cost_gbp", "max": 500.0})],
        # a keep with an exception kept whole: the keep applies to the other rows
        ("repairs", "keep only the urgent requests that took more than 10 days to fix, except the heating ones - keep "
                    "all of those"): [
            ("value_filter", {"column": "urgent", "values": [True], "where_column": "category",
                              "where_values": ["heating"], "where_not": True}),
            ("value_filter", {"column": "days_to_fix", "min": 11.0, "where_column": "category",
                              "where_values": ["heating"], "where_not": True})],
        # a greeting asks for nothing
        ("repairs", "Morning! drop the damp requests"): [("value_filter", {"column": "category", "drop_values": ["damp"]})],
        # labels of several words joined by "and" are one list (three filters that must all hold kept nothing)
        ("podcasts", "keep only the True Crime Weekly and Money Matters episodes that aren't explicit"): [
            ("value_filter", {"column": "explicit", "values": ["no"]}),
            ("value_filter", {"column": "show", "values": ["True Crime Weekly", "Money Matters"]})],
        # "we don't want German or Spanish show notes" drops them (it had refused the language filter)
        ("podcasts", "we don't want German or Spanish show notes in there, get rid of those and the exact dupes too"): [
            ("lang_id", {"text_field": "text", "languages": [], "drop_languages": ["de", "es"]}),
            ("exact_dedup", {"text_field": "text"})],
        # a fixed number of rows at random: a seeded draw per row, then the rows with the lowest draws
        ("podcasts", "drop episodes with under 5,000 downloads, then randomly sample 20 of what's left"): [
            ("value_filter", {"column": "downloads", "min": 5000.0}),
            ("top_filter", {"count": 20, "keep": "random"})],
        ("podcasts", "give me 10 random Garden Talk episodes"): [
            ("value_filter", {"column": "show", "values": ["Garden Talk"]}),
            ("top_filter", {"count": 10, "keep": "random"})],
        # "give me the 3 longest ..." is a rank ("give me" drew the statistics step)
        ("podcasts", "give me the 3 longest episodes released in 2024"): [
            ("value_filter", {"column": "release_date", "min": "2024-01-01", "max": "2024-12-31"}),
            ("top_filter", {"count": 3, "column": "duration_min"})],
        # a list of the data's columns after "only keep" ("show" is a column here, not a verb)
        ("podcasts", "only keep episode_id, show, release_date and notes"): [
            ("select_columns", {"keep_columns": ["episode_id", "show", "release_date", "text"]})],
        ("podcasts", "rewrite each episode's notes into a single punchy sentence for the newsletter"): [
            ("llm_rewrite", {"text_field": "text", "style": "a single punchy sentence for the newsletter", "task": "tone"})],
    }
    for (name, request), expected in plans.items():
        plan = planner.plan(request, {"repairs": repairs, "podcasts": podcasts}[name])
        got = [(s.op, {k: v for k, v in s.params.items() if k not in ("min_score", "keep_null")}) for s in plan.steps]
        assert got == expected, request
        assert not plan.unmatched, request
    # a quality said as an adverb is named as a noun
    plan = planner.plan("score how clearly each description explains the problem, 1 to 5", repairs)
    assert [(s.op, s.params.get("label")) for s in plan.steps] == [("llm_annotate", "clarity")]
    # a figure no step computes: the query names the run's view and quotes a column that is an SQL keyword
    plan = planner.plan("just tell me the average downloads per show", podcasts)
    assert [q["sql"] for q in plan.questions] == ['SELECT "show", avg(downloads) FROM output GROUP BY "show" ORDER BY "show"']


def test_from_the_twenty_third_newcomer_trial(tmp_path, env):
    """Trial 23 (coworking bookings, parking-ticket appeals): each request below was wrong or partly done."""
    planner, _ = env
    bookings = _peek_rows(tmp_path / "bookings.jsonl", [
        {"booking_id": f"BK-{1000 + i}", "space_type": ("event_space", "hot_desk", "meeting_room")[i % 3],
         "duration_min": 30 * (1 + i % 6), "amount_eur": 20.0 + 9 * i, "booked_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "note": f"Air conditioning in the east wing is far too cold, desk {i}."} for i in range(24)])
    appeals = _peek_rows(tmp_path / "appeals.jsonl", [
        {"appeal_id": f"AP-{2400 + i}", "zone": ("Downtown", "Harbor")[i % 2], "fine": f"${40 + 15 * i}.00",
         "days_to_decision": 5 + 3 * i, "outcome": ("upheld", "cancelled")[i % 2],
         "statement": f"The meter gave me a receipt for one hour but the ticket says otherwise, case {i}."}
        for i in range(24)])
    plans = {
        # "except event space ones - keep all of those regardless" after a verb-less keep ("only bookings ...")
        ("bookings", "only bookings from March 1 2025 onwards, except event space ones - keep all of those regardless"): [
            ("value_filter", {"column": "booked_on", "min": "2025-03-01", "where_column": "space_type",
                              "where_values": ["event_space"], "where_not": True})],
        # a money column written "$120.00" is a column of numbers
        ("appeals", "appeals with a fine of $100 or more that got decided in under 30 days"): [
            ("value_filter", {"column": "fine", "min": 100.0}),
            ("value_filter", {"column": "days_to_decision", "max": 29.0})],
        # (a strict bound asks whether the column holds whole numbers: "$120.00" had crashed float(); these do)
        ("appeals", "appeals with a fine over $100"): [
            ("value_filter", {"column": "fine", "min": 100.0, "min_exclusive": True})],  # ("$100.50" is over $100)
        ("appeals", "how many appeals per zone"): [("dataset_stats", {"domain_field": "zone"})],
        # a rank asked as a question
        ("appeals", "what are the 3 most expensive tickets in the Harbor zone?"): [
            ("value_filter", {"column": "zone", "values": ["Harbor"]}),
            ("top_filter", {"count": 3, "column": "fine"})],
        # "keep the originals too" after a rewrite: the rewrite goes to a new column
        ("appeals", "rewrite the statements to be shorter and more formal, keep the originals too"): [
            ("llm_rewrite", {"text_field": "text", "style": "shorter and more formal", "task": "tone",
                             "output_field": "text_rewritten"})],
        # a sample after the deduplication it follows
        ("bookings", "remove near-duplicate notes (someone retyped a few with a word changed), then take a random 40% "
                     "sample"): [
            ("minhash_dedup", {"text_field": "text", "ngram": 1, "threshold": 0.7}),
            ("sample_filter", {"fraction": 0.4})],
    }
    _plans_are(planner, plans, {"bookings": bookings, "appeals": appeals})


def test_what_the_thirteenth_round_left(tmp_path, env):
    """Left open after trials 20-23: an explicit "then" lost to the stage order, "except the event space ones"
    kept only those, "January or March" read January, "first-time offenders" named no column, and a removal of
    "the hot desk bookings from before March" dropped every booking before March."""
    planner, _ = env
    bookings = _peek_rows(tmp_path / "bookings.jsonl", [
        {"booking_id": f"BK-{1000 + i}", "space_type": ("event_space", "hot_desk", "meeting_room")[i % 3],
         "duration_min": 30 * (1 + i % 6), "amount_eur": 20.0 + 9 * i, "booked_on": f"2025-0{1 + i % 6}-{1 + i % 27:02d}",
         "note": f"Air conditioning in the east wing is far too cold, desk {i}."} for i in range(24)])
    appeals = _peek_rows(tmp_path / "appeals.jsonl", [
        {"appeal_id": f"AP-{2400 + i}", "zone": ("Downtown", "Harbor")[i % 2], "first_offence": ("yes", "no")[i % 3 > 0],
         "statement": f"The meter gave me a receipt for one hour but the ticket says otherwise, case {i}."}
        for i in range(24)])
    plans = {
        ("bookings", "keep bookings over 100 euros, except the hot desk ones"): [
            ("value_filter", {"column": "space_type", "drop_values": ["hot_desk"]}),
            ("value_filter", {"column": "amount_eur", "min": 100.0, "min_exclusive": True})],
        ("bookings", "only bookings from March 1 2025 onwards, except the event space ones"): [
            ("value_filter", {"column": "space_type", "drop_values": ["event_space"]}),
            ("value_filter", {"column": "booked_on", "min": "2025-03-01"})],
        ("bookings", "drop the hot desk bookings from before March 2025"): [
            ("value_filter", {"column": "booked_on", "min": "2025-03-01", "where_column": "space_type",
                              "where_values": ["hot_desk"]})],
        ("bookings", "only bookings from January or March 2025"): [
            ("value_filter", {"column": "booked_on", "min": "2025-01-01", "max": "2025-03-31"}),
            ("value_filter", {"column": "booked_on", "min": "2025-02-01", "max": "2025-02-28", "drop_range": True})],
        ("bookings", "keep bookings made in January and March 2025"): [
            ("value_filter", {"column": "booked_on", "min": "2025-01-01", "max": "2025-03-31"}),
            ("value_filter", {"column": "booked_on", "min": "2025-02-01", "max": "2025-02-28", "drop_range": True})],
        ("bookings", "drop the bookings from January or March 2025"): [
            ("value_filter", {"column": "booked_on", "min": "2025-01-01", "max": "2025-01-31", "drop_range": True}),
            ("value_filter", {"column": "booked_on", "min": "2025-03-01", "max": "2025-03-31", "drop_range": True})],
        ("appeals", "first-time offenders only"): [("value_filter", {"column": "first_offence", "values": ["yes"]})],
        ("appeals", "drop the first-time offenders"): [
            ("value_filter", {"column": "first_offence", "drop_values": ["yes"]})],
    }
    _plans_are(planner, plans, {"bookings": bookings, "appeals": appeals})
    # the user's "then" orders a step whose result depends on the rows it sees; without one, the usual order
    orders = {
        "take a random 40% sample, then remove near-duplicate notes": ["sample_filter", "minhash_dedup"],
        "remove near-duplicate notes and take a random 40% sample": ["minhash_dedup", "sample_filter"],
        "take a random 40% sample and remove near-duplicate notes": ["minhash_dedup", "sample_filter"],
        "keep the 10 longest bookings, then drop the non-English notes": ["top_filter", "lang_id"],
        "Keep the 10 longest bookings. After that, drop exact duplicate notes": ["top_filter", "exact_dedup"],
        "drop exact duplicate notes, then from what's left give me the 5 most expensive": ["exact_dedup", "top_filter"],
    }
    for request, ops in orders.items():
        assert [s.op for s in planner.plan(request, bookings).steps] == ops, request


def test_from_the_twenty_fourth_newcomer_trial(tmp_path, env):
    """Trial 24 (bike-share ride feedback, conference talk submissions): each request below was wrong or partly
    done; three of them exited 0 with a wrong result."""
    planner, _ = env
    rides = _peek_rows(tmp_path / "rides.jsonl", [
        {"ride_id": f"R{1000 + i}", "station": ("Riverside Park", "Harbor Point")[i % 2],
         "member_tier": ("casual", "monthly", "annual")[i % 3], "duration_min": 10 + 7 * i, "fare": 2.5 + 1.3 * i,
         "ride_date": f"2025-0{1 + i % 5}-{1 + i % 27:02d}", "ebike": i % 2 == 0,
         "comment": f"The saddle on bike {i} was loose and the dock took ages to release it."} for i in range(24)])
    talks = _peek_rows(tmp_path / "talks.jsonl", [
        {"submission_id": f"S{200 + i}", "track": ("DevOps", "Machine Learning")[i % 2], "requested_minutes": 25 + 5 * (i % 3),
         "abstract": " ".join(f"word{(i * 7 + k) % 97}" for k in range(40))} for i in range(24)])
    plans = {
        # a superlative said with a verb ("cost the most", "lasted the longest"), asked as a question
        ("rides", "Which 5 rides cost the most? Give me just those five rows."): [
            ("top_filter", {"count": 5, "column": "fare"})],
        ("rides", "which 3 rides lasted the longest?"): [("top_filter", {"count": 3, "column": "duration_min"})],
        ("rides", "the 4 rides that cost the least"): [
            ("top_filter", {"keep": "lowest", "count": 4, "column": "fare"})],
        # "e-bike" names the yes/no column `ebike`; "trim the output down to <columns>" keeps those columns
        ("rides", "Keep just the e-bike rides from March 1st 2025 onward, and trim the output down to ride_id, "
                  "station, fare and the comment."): [
            ("value_filter", {"column": "ebike", "values": [True]}),
            ("value_filter", {"column": "ride_date", "min": "2025-03-01"}),
            ("select_columns", {"keep_columns": ["ride_id", "station", "fare", "text"]})],
        ("rides", "drop e-bike rides"): [("value_filter", {"column": "ebike", "drop_values": [True]})],
        # choices between dashes are the label's choices, not a list of jobs
        ("rides", "Tag each comment with a sentiment \u2014 positive, neutral or negative \u2014 and keep all the rows."): [
            ("llm_annotate", {"text_field": "text", "choices": ["positive", "neutral", "negative"], "label": "sentiment"})],
        # a bound on the score just planned, where the data has no such column (it had become gopher's stop words)
        ("talks", "Have the model score each abstract from 1 to 10 on how clear and well-structured it is, and keep "
                  "only those scoring 7 or above."): [
            ("llm_annotate", {"text_field": "text", "choices": [str(n) for n in range(1, 11)], "label": "clarity"}),
            ("value_filter", {"column": "llm_clarity", "min": 7.0})],
        ("talks", "have the LLM rate each abstract 1-5 for originality; drop the ones rated under 3"): [
            ("llm_annotate", {"text_field": "text", "choices": ["1", "2", "3", "4", "5"], "label": "originality"}),
            ("value_filter", {"column": "llm_originality", "min": 3.0})],
        # the form of a rewrite, before the clause that says what it is for
        ("talks", "Rewrite every abstract as one crisp sentence we can print in the programme booklet."): [
            ("llm_rewrite", {"text_field": "text", "style": "one crisp sentence", "task": "tone"})],
        # 40-word abstracts: two changed words leave 0.57 of 5-word shingles, 0.90 of word sets
        ("talks", "Some people submitted the same talk twice with a word or two changed \u2014 please drop those "
                  "near-duplicate abstracts."): [
            ("minhash_dedup", {"text_field": "text", "ngram": 1, "threshold": 0.8})],
    }
    _plans_are(planner, plans, {"rides": rides, "talks": talks})
    # (a bound read for a planned score had overwritten the planner's memory of unmatched statements: the next
    # clause that pointed back crashed with a TypeError)
    plan = planner.plan("have the model rate each abstract 1 to 5, keep those rated 4 or more, and rewrite them to be "
                        "shorter", talks)
    assert [s.op for s in plan.steps][-2:] == ["value_filter", "llm_rewrite"] and not plan.unmatched
    # "in each tier" names member_tier by its one word (the count beside it does not take the grouping away)
    plan = planner.plan("Don't change anything, I just need numbers: how many rides are there per member tier, and "
                        "what's the average fare in each tier?", rides)
    assert steps(plan) == [("dataset_stats", {"domain_field": "member_tier"})] and [q["sql"] for q in plan.questions] == [
        "SELECT member_tier, avg(fare) FROM output GROUP BY member_tier ORDER BY member_tier"]
    # a median of every row beside a count per track: not a median per track
    plan = planner.plan("Just report, don't filter: what's the median travel budget, and how many submissions did "
                        "each track get?", _peek_rows(tmp_path / "budgets.jsonl", [
                            {"id": i, "track": ("DevOps", "Web")[i % 2], "travel_budget_eur": 100.0 * i,
                             "abstract": f"A talk about pipelines number {i}."} for i in range(12)]))
    assert steps(plan) == [("dataset_stats", {"domain_field": "track"})]
    assert plan.questions == [{"ask": "what's the median travel budget",  # (a question borrows no verb)
                               "sql": "SELECT median(travel_budget_eur) FROM output"}]


def test_from_the_twenty_fifth_newcomer_trial(tmp_path, env):
    """Trial 25 (trail condition reports, food-truck applications): each request below was wrong or partly done."""
    planner, _ = env
    trails = _peek_rows(tmp_path / "trails.jsonl", [
        {"id": f"TR-{i:03d}", "trail": ("Dog Mountain", "Angels Rest", "Coyote Wall")[i % 3],
         "difficulty": ("hard", "easy")[i % 2], "elevation_gain_m": 200 + 37 * i, "reported_on": f"2024-0{6 + i % 4}-1{i % 9}",
         "hazard_flag": i % 4 == 0,
         "report": f"Backpacked in and camped one night near the creek; the tread is in good shape, trip {i}."}
        for i in range(24)])
    trucks = _peek_rows(tmp_path / "trucks.jsonl", [
        {"app_id": f"FT-{100 + i}", "vendor": f"Truck {i}", "cuisine": ("Thai", "Korean", "BBQ")[i % 3],
         "booth_fee": 300.5 + 10 * i, "staff_count": 2 + i % 5, "has_permit": ("yes", "no")[i % 2],
         "pitch": f"We serve fresh food from local farms and bring our own compostable plates, stall {i}."}
        for i in range(24)])
    plans = {
        # choices after a colon are the label's, not three jobs
        ("trucks", "Tag each pitch with one theme: sustainability, family business, fusion, or other."): [
            ("llm_annotate", {"text_field": "text", "choices": ["sustainability", "family business", "fusion", "other"],
                              "label": "theme"})],
        # "and only the a, b and c columns" after a filter
        ("trails", "I only want reports filed on or after August 1, 2024 where the hazard flag is set, and only the "
                   "trail, reported_on and report columns."): [
            ("value_filter", {"column": "hazard_flag", "values": [True]}),
            ("value_filter", {"column": "reported_on", "min": "2024-08-01"}),
            ("select_columns", {"keep_columns": ["trail", "reported_on", "text"]})],
        # a superlative after a verb: "logged the biggest"
        ("trails", "Which 5 reports logged the biggest elevation gain? Keep just those."): [
            ("top_filter", {"count": 5, "column": "elevation_gain_m"})],
        # a question names the rows, "keep only those" keeps them; has_permit is named by "permit"
        ("trucks", "Which vendors still don't have a permit? Keep only those applications."): [
            ("value_filter", {"column": "has_permit", "values": ["no"]})],
        ("trucks", "keep only the vendors without a permit"): [("value_filter", {"column": "has_permit", "values": ["no"]})],
        # a label the data holds, said after its noun; a language, said with "in"
        ("trucks", "which applications are Thai? drop those"): [
            ("value_filter", {"column": "cuisine", "drop_values": ["Thai"]})],
        # two kinds of rows to drop: two jobs
        ("trucks", "drop rows that have no permit or are Thai"): [
            ("value_filter", {"column": "has_permit", "drop_values": ["no"]}),
            ("value_filter", {"column": "cuisine", "drop_values": ["Thai"]})],
        # the rewrite's column is the verb's object (not `trail` of "trail conditions", nor `reported_on` by the
        # stem of "report"); a form with two adjectives; no trail is called "Current"
        ("trails", "Rewrite each trip report as one short, neutral sentence summarising the current trail "
                   "conditions."): [
            ("llm_rewrite", {"text_field": "text", "style": "one short, neutral sentence summarising the current trail "
                             "conditions", "task": "tone"})],
    }
    _plans_are(planner, plans, {"trails": trails, "trucks": trucks})
    plan = planner.plan("drop pitches that are in Thai", trucks)
    assert [(s.op, s.params.get("drop_languages")) for s in plan.steps] == [("lang_id", ["th"])]
    plan = planner.plan("Get rid of pitches that are shorter than 5 words or are obviously placeholder junk.", trucks)
    assert [s.op for s in plan.steps][0] == "length_filter" and len(plan.steps) == 2
    # "for each cuisine" after two figures groups both
    plan = planner.plan("What's the median booth fee and average staff count for each cuisine? Just report it, leave "
                        "the data as is.", trucks)
    assert plan.steps == [] and [q["sql"] for q in plan.questions] == [
        "SELECT cuisine, median(booth_fee) FROM output GROUP BY cuisine ORDER BY cuisine",
        "SELECT cuisine, avg(staff_count) FROM output GROUP BY cuisine ORDER BY cuisine"]


def test_from_the_twenty_sixth_newcomer_trial(tmp_path, env):
    """Trial 26 (bird sighting reports, pet adoption applications): each request below was wrong or partly done;
    two of them exited 0 with a wrong result."""
    planner, _ = env
    birds = _peek_rows(tmp_path / "birds.jsonl", [
        {"report_id": f"A{i:03d}", "region": ("Coast", "Highlands")[i % 2], "species_count": 3 + i,
         "notes": f"Red kites over the motorway junction again, at least {i} circling together."} for i in range(24)])
    pets = _peek_rows(tmp_path / "pets.jsonl", [
        {"app_id": f"B{i:03d}", "species": ("cat", "dog", "rabbit")[i % 3], "applicant_age": 18 + i,
         "monthly_budget": 80.25 + 9 * i, "has_yard": ("yes", "no")[i % 2], "household_size": 1 + i % 4,
         "statement": f"I volunteer at the shelter every Saturday and would give a quiet home, application {i}."}
        for i in range(24)])
    plans = {
        # rows said to be "out", and "so is ..." for the next ones
        ("pets", "Applicants under 21 are out, and so is anyone budgeting less than $100 a month."): [
            ("value_filter", {"column": "applicant_age", "min": 21.0}),
            ("value_filter", {"column": "monthly_budget", "min": 100.0})],
        ("pets", "cats are out"): [("value_filter", {"column": "species", "drop_values": ["cat"]})],
        # "near-duplicates stay": no near-duplicate removal (it had planned semantic_dedup for those words)
        ("pets", "Remove exact duplicate statements, but no fuzzy matching please - near-duplicates stay."): [
            ("exact_dedup", {"text_field": "text"})],
        # "every column except a and b": those two go, the rest stay
        ("pets", "Keep every column except statement and applicant_age, and rename monthly_budget to budget_usd."): [
            ("select_columns", {"drop_columns": ["applicant_age", "text"],
                                "rename_columns": {"monthly_budget": "budget_usd"}})],
        ("pets", "remove every column except app_id and statement"): [
            ("select_columns", {"keep_columns": ["app_id", "text"]})],
        # "- call notes 'observation'": a rename after a dash, and the redaction keeps to the text
        ("birds", "Redact e-mail addresses and phone numbers in the notes, throw away notes under 4 words, and keep "
                  "only the report_id, region and notes columns - call notes 'observation'."): [
            ("pii_redact", {"kinds": ["email", "phone"]}),
            ("length_filter", {"text_field": "text", "min": 4, "unit": "words"}),
            ("select_columns", {"keep_columns": ["report_id", "region", "text"],
                                "rename_columns": {"text": "observation"}})],
        # choices of up to four words
        ("pets", "Tag each statement with the applicant's main motivation: companionship, family, replacing a lost "
                 "pet, or other."): [
            ("llm_annotate", {"text_field": "text", "choices": ["companionship", "family", "replacing a lost pet",
                                                                 "other"], "label": "motivation"})],
        # "keep only 4s and 5s" of the score just planned
        ("pets", "Score every statement from 1 to 5 on how convincing it is and keep only 4s and 5s."): [
            ("llm_annotate", {"text_field": "text", "choices": ["1", "2", "3", "4", "5"], "label": "convincingness"}),
            ("value_filter", {"column": "llm_convincingness", "min": 4.0, "max": 5.0})],
        # a question with two conditions, then "keep just those"
        ("pets", "Which cat or rabbit applications come from people with a yard? Keep just those."): [
            ("value_filter", {"column": "has_yard", "values": ["yes"]}),
            ("value_filter", {"column": "species", "values": ["cat", "rabbit"]})],
    }
    _plans_are(planner, plans, {"birds": birds, "pets": pets})
    # a clause that refuses something no longer hides the choices the description explains ("byte-for-byte
    # identical only" is normalise: exact, beside "functions that merely look alike stay")
    from tilth.agent.params import choices_to_params

    assert choices_to_params(planner.cat.by_name["exact_dedup"], "Keep byte-for-byte identical only",
                             "Keep functions that merely look alike stay") == {"normalise": "exact"}
    # "for each" after a count per species: the median per species too
    plan = planner.plan("How many applications did we get per species, and what is the median monthly budget for "
                        "each? No filtering.", pets)
    assert steps(plan) == [("dataset_stats", {"domain_field": "species"})]
    assert [q["sql"] for q in plan.questions] == [
        "SELECT species, median(monthly_budget) FROM output GROUP BY species ORDER BY species"]


def test_from_the_twenty_seventh_newcomer_trial(tmp_path, env):
    """Trial 27 (water-quality field notes, instrument trade-in appraisals): each request below was wrong; five
    of them exited 0 with wrong output."""
    planner, _ = env
    water = _peek_rows(tmp_path / "water.jsonl", [
        {"sample_id": f"WQ-{i:03d}", "site": ("Mill Creek", "Harbor Inlet", "Fox River")[i % 3],
         "sampled_on": f"2024-0{1 + i % 9}-1{i % 9}", "ph": 6.0 + 0.1 * i, "turbidity_ntu": 5.5 + 3 * i,
         "lab_verified": i % 2 == 0, "notes": f"Algae mats covering most of the shallow bay, reading {i}."}
        for i in range(24)])
    trades = _peek_rows(tmp_path / "trades.jsonl", [
        {"appraisal_id": 1000 + i, "instrument": ("guitar", "cello", "violin")[i % 3],
         "condition": ("good", "poor", "fair")[i % 3 > 0 and i % 2], "offer_usd": 113.5 + 97 * i, "year_made": 1960 + 3 * i,
         "accepted": ("yes", "no")[i % 2],
         "comment": f"Refinished body which lowers the collector value, but it plays really well, item {i}."}
        for i in range(24)])
    plans = {
        # a range of dollars, and "but not the ones in poor condition" (had kept only the poor ones)
        ("trades", "Keep trade-ins with an offer between $200 and $1,500, but not the ones in poor condition."): [
            ("value_filter", {"column": "condition", "drop_values": ["poor"]}),
            ("value_filter", {"column": "offer_usd", "min": 200.0, "max": 1500.0})],
        # "keep the original comment too": the rewrite goes to a new column (it had planned an exact_dedup)
        ("trades", "Rewrite each comment as one polite, neutral sentence we could show the customer, but keep the "
                   "original comment too."): [
            ("llm_rewrite", {"text_field": "text", "style": "one polite, neutral sentence", "task": "tone",
                             "output_field": "text_rewritten"})],
        # "which 3 got the biggest offers?" (no noun before the verb), then "give me just those rows"
        ("trades", "Looking only at instruments made before 1990, which 3 got the biggest offers? Give me just those "
                   "rows."): [
            ("value_filter", {"column": "year_made", "max": 1989.0}),
            ("top_filter", {"count": 3, "column": "offer_usd"})],
        # "leave X out of it"; "samples" is the rows' noun, not `sampled_on`
        ("water", "Which five samples had the highest turbidity? Leave Harbor Inlet out of it."): [
            ("value_filter", {"column": "site", "drop_values": ["Harbor Inlet"]}),
            ("top_filter", {"count": 5, "column": "turbidity_ntu"})],
        # choices after "as", and "- don't drop anything" is a clause of its own
        ("water", "Tag each note as wildlife, pollution, equipment problem or other \u2014 don't drop anything."): [
            ("llm_annotate", {"text_field": "text", "choices": ["wildlife", "pollution", "equipment problem", "other"],
                              "label": "category"})],
        ("water", "label each note as urgent or routine"): [
            ("llm_annotate", {"text_field": "text", "choices": ["urgent", "routine"], "label": "category"})],
        # "declined" is the opposite of `accepted` (a synonym of its WordNet antonym); the exception said first
        ("trades", "Unless it's a cello, throw out every declined offer."): [
            ("value_filter", {"column": "accepted", "drop_values": ["no"], "where_column": "instrument",
                              "where_values": ["cello"], "where_not": True})],
        # an exception said with its column's word ("in good condition")
        ("trades", "drop guitars unless they are in good condition"): [
            ("value_filter", {"column": "instrument", "drop_values": ["guitar"], "where_column": "condition",
                              "where_values": ["good"], "where_not": True})],
    }
    _plans_are(planner, plans, {"water": water, "trades": trades})
    # "the highest pH recorded at each site" is a figure, and "at each site" groups both
    plan = planner.plan("What's the average turbidity and the highest pH recorded at each site? Don't filter or "
                        "change anything.", water)
    assert plan.steps == [] and [q["sql"] for q in plan.questions] == [
        "SELECT site, avg(turbidity_ntu) FROM output GROUP BY site ORDER BY site",
        "SELECT site, max(ph) FROM output GROUP BY site ORDER BY site"]
    # ("keep the samples with the highest turbidity" is rows, not a figure)
    assert [s.op for s in planner.plan("keep the 3 samples with the highest turbidity", water).steps] == ["top_filter"]


def test_from_the_twenty_eighth_newcomer_trial(tmp_path, env):
    """Trial 28 (farmers-market vendor feedback, ferry lost-and-found reports): two requests exited 0 with a wrong
    dataset (1 row of 60 kept; a merged, inverted filter)."""
    planner, _ = env
    market = _peek_rows(tmp_path / "market.jsonl", [
        {"vendor_id": f"MK{i:03d}", "vendor_type": ("bakery", "produce")[i % 2], "stall_fee": 20.5 + 4 * i,
         "comment": f"Busy morning at the stall, sold out of sourdough by ten, week {i}."} for i in range(24)])
    found = _peek_rows(tmp_path / "found.jsonl", [
        {"report_id": f"LF{i:03d}", "terminal": ("Eastbank", "Harbour")[i % 2], "item_value": 15.0 + 5 * i,
         "report_date": f"2024-0{1 + i % 6}-1{i % 9}", "returned": ("yes", "no")[i % 3 > 0],
         "description": f"Sunglasses, expensive brand, on the sun deck railing, report {i}."} for i in range(24)])
    plans = {
        # "the repeated comments" (the data's own row noun): rows that repeat, not text repeating itself
        ("market", "Can you throw out the repeated comments? If the exact same text shows up more than once, I only "
                   "want it once."): [("exact_dedup", {"text_field": "text"})],
        # "out of the remaining ones keep only ...": a second filter, after the first
        ("found", "Drop the reports where the item was already returned, and out of the remaining ones keep only "
                  "those filed from March 1, 2024 onward."): [
            ("value_filter", {"column": "returned", "drop_values": ["yes"]}),
            ("value_filter", {"column": "report_date", "min": "2024-03-01"})],
    }
    _plans_are(planner, plans, {"market": market, "found": found})


def test_a_translation_is_planned_with_its_language_and_its_rows(env):
    """Trial 28 and the fourteenth round's list: "translate the descriptions that aren't in English into English" was
    reported as no operator, and "put the non-English ... into English" planned a lang_id filter that dropped them."""
    planner, data = env
    text = "customer_message"  # ("messages": the customer's, not agent_reply, the sample's main text)
    _plans_are(planner, {
        # (min_score 0 on these short messages: one whose likeliest language is English stays as written)
        ("chat", "translate the messages that aren't in English into English"): [
            ("llm_translate", {"text_field": text, "target_language": "English", "min_score": 0.0})],
        ("chat", "put the non-English messages into English"): [
            ("llm_translate", {"text_field": text, "target_language": "English", "min_score": 0.0})],
        ("chat", "translate every message to German and keep the original too"): [
            ("llm_translate", {"text_field": text, "target_language": "German", "output_field": f"{text}_german"})],
    }, {"chat": data["chat"]})
    # "leave the rest alone": the rows already in English are (lid.176 finds them English)
    plan = planner.plan("put the non-English messages into English, leave the rest alone", data["chat"])
    assert plan.ops() == ["llm_translate"] and not plan.unmatched
    # "keep the German version only": the translation replaces the text; no language filter after it
    _plans_are(planner, {("chat", "Translate every message into German and keep the German version only."): [
        ("llm_translate", {"text_field": text, "target_language": "German"})]}, {"chat": data["chat"]})
    # (dropping them is still a language filter)
    assert [s.op for s in planner.plan("drop the messages that aren't in English", data["chat"]).steps] == ["lang_id"]


def test_from_the_twenty_ninth_and_thirtieth_newcomer_trials(tmp_path, env):
    """Trials 29-30 (expense claims, facility work orders; plumbing jobs, pool incidents): exceptions read as the
    rows to keep, a third label column lost, a yes/no column said by its noun, a bare amount, quoted choices."""
    planner, _ = env
    claims = _peek_rows(tmp_path / "claims.jsonl", [
        {"claim_id": f"EX{i:03d}", "department": ("Sales", "Finance")[i % 2], "category": ("meals", "travel")[i % 2],
         "amount": 12.5 + 31 * i, "submitted": f"2024-0{1 + i % 6}-1{i % 9}", "receipt_attached": i % 3 > 0,
         "description": f"Taxi from the airport to the client office, trip {i}."} for i in range(24)])
    orders = _peek_rows(tmp_path / "orders.jsonl", [
        {"wo_id": f"WO-{i:03d}", "trade": ("plumbing", "electrical", "carpentry")[i % 3],
         "priority": ("low", "medium", "high", "urgent")[i % 4], "hours_spent": (1, 2.5, 4, 9.5)[i % 4],
         "resolved": i % 2 == 0, "notes": f"Leak under the sink in flat {i}, washer replaced."} for i in range(24)])
    pools = _peek_rows(tmp_path / "pools.jsonl", [
        {"report_id": f"R{i:02d}", "pool": ("Northgate Lido", "Riverside", "Eastfield")[i % 3],
         "severity": ("low", "medium", "high")[i % 3 - 1], "staff_on_duty": 2 + i % 6,
         "description": f"A swimmer slipped on the wet tiles by the steps, report {i}."} for i in range(24)])
    plans = {
        # "unless" after a removal spares rows (a bound of its own, on money: under 25 is under 25, not 24)
        ("claims", "drop claims that have no receipt attached, unless the amount is under 25"): [
            ("value_filter", {"column": "amount", "max": 25.0, "max_exclusive": True,
                              "where_column": "receipt_attached", "where_values": [False]})],
        ("claims", "drop claims without a receipt"): [
            ("value_filter", {"column": "receipt_attached", "drop_values": [False]})],
        # a bare amount, said right after the rows, on the data's one column of numbers
        ("claims", "keep only expense claims over 200 that were submitted on or after 1 March 2024"): [
            ("value_filter", {"column": "amount", "min": 200.0, "min_exclusive": True}),
            ("value_filter", {"column": "submitted", "min": "2024-03-01"})],
        # three label columns, and "not the ones already resolved"
        ("orders", "only high or urgent plumbing and electrical work orders, but not the ones already resolved"): [
            ("value_filter", {"column": "resolved", "values": [False]}),
            ("value_filter", {"column": "trade", "values": ["plumbing", "electrical"]}),
            ("value_filter", {"column": "priority", "values": ["high", "urgent"]})],
        # an exception after a keep, and "unless" said as its own clause
        ("pools", "medium or high severity incidents, except anything at Northgate Lido"): [
            ("value_filter", {"column": "severity", "values": ["medium", "high"]}),
            ("value_filter", {"column": "pool", "drop_values": ["Northgate Lido"]})],
        ("pools", "reports with 5 or more staff on duty, unless the severity is low"): [
            ("value_filter", {"column": "staff_on_duty", "min": 5.0}),
            ("value_filter", {"column": "severity", "drop_values": ["low"]})],
        # quoted choices, and what decides between them
        ("orders", "use the LLM to label each note as 'fixed' or 'follow-up' depending on whether another visit is "
                   "needed"): [("llm_annotate", {"text_field": "text", "choices": ["fixed", "follow-up"],
                                                 "label": "category"})],
    }
    _plans_are(planner, plans, {"claims": claims, "orders": orders, "pools": pools})
    # "more than 4 hours" on hours with fractions: 4.5 is more than 4
    plan = planner.plan("for work orders with more than 4 hours spent, have the LLM rewrite the notes as a one-line "
                        "summary for the monthly report", orders)
    (step,) = plan.steps
    assert {k: step.params[k] for k in ("where_column", "where_min", "where_min_exclusive")} == {
        "where_column": "hours_spent", "where_min": 4.0, "where_min_exclusive": True}
    assert not plan.unmatched  # ("one-line" is in the style it asks for, not a bound left unused)
    # a condition before a colon restricts the job after it; a summary's form is the rewrite's style; "into a new
    # column" keeps the original (it had planned llm_paraphrase: new rows of paraphrases, every row)
    plan = planner.plan("only where the staff on duty were under 4: write a one-line summary of each description "
                        "with the llm into a new column", pools)
    assert steps(plan) == [("llm_rewrite", {"text_field": "text", "style": "a one-line summary", "task": "tone",
                                            "where_column": "staff_on_duty", "where_max": 3.0,
                                            "output_field": "text_rewritten"})]
    assert steps(planner.plan("summarise each description in one line with the LLM", pools)) == [
        ("llm_rewrite", {"text_field": "text", "style": "a summary in one line", "task": "tone"})]


def test_duplicates_among_some_rows_only(tmp_path, env):
    """Deduplicators take a scope: "remove duplicate notes among the plumbing work orders" compares those rows only
    (exact_dedup, minhash_dedup and semantic_dedup had no where_*: the condition was dropped)."""
    planner, _ = env
    orders = _peek_rows(tmp_path / "orders.jsonl", [
        {"wo_id": f"WO-{i:03d}", "trade": ("plumbing", "electrical", "carpentry")[i % 3], "building": "ABC"[i % 3],
         "resolved": i % 2 == 0, "notes": f"Leak under the sink in flat {i}, washer replaced."} for i in range(24)])
    _plans_are(planner, {
        ("orders", "remove duplicate notes among the plumbing work orders"): [
            ("exact_dedup", {"text_field": "text", "where_column": "trade", "where_values": ["plumbing"]})],
        ("orders", "dedupe the notes only where the work order is resolved"): [
            ("exact_dedup", {"text_field": "text", "where_column": "resolved", "where_values": [True]})],
        ("orders", "remove exact duplicates, except in building C"): [
            ("exact_dedup", {"where_column": "building", "where_values": ["C"], "where_not": True})],
    }, {"orders": orders})
    plan = planner.plan("for electrical work orders, remove near duplicates", orders)
    assert [(s.op, s.params.get("where_column"), s.params.get("where_values")) for s in plan.steps] == [
        ("minhash_dedup", "trade", ["electrical"])]


def test_from_the_thirty_first_and_thirty_second_newcomer_trials(tmp_path, env):
    """Trials 31-32 (delivery exceptions, energy audits; an astronomy club's log, food-bank shifts): parts of a
    request lost without a word, an exception read the other way, min and max not understood, and an average a
    question computed reported as not done."""
    planner, _ = env
    audits = _peek_rows(tmp_path / "audits.jsonl", [
        {"audit_id": f"A{i:02d}", "region": ("Old Town", "Riverside", "Hillcrest")[i % 3],
         "dwelling_type": ("flat", "detached", "terraced")[i % 3 - 1], "annual_kwh": 2500.5 + 310 * i,
         "draughts_found": i % 7, "heat_pump_recommended": i % 2 == 0, "reported_on": f"2024-0{1 + i % 6}-1{i % 9}",
         "refunded": i % 4 == 0, "comment": f"Loft insulation thin, draughts around the back door, visit {i}."}
        for i in range(24)])
    shifts = _peek_rows(tmp_path / "shifts.jsonl", [
        {"shift_id": 100 + i, "site": ("Harbor", "Central", "Northside")[i % 3], "shift_date": f"2024-0{1 + i % 9}-1{i % 9}",
         "hours": 3.5 + (i % 3) / 2, "first_time": ("yes", "no", "no")[i % 3],
         "comment": f"Sorted tinned goods with the Saturday crew, shift {i}."} for i in range(24)])
    sky = _peek_rows(tmp_path / "sky.jsonl", [
        {"obs_id": i, "object_type": ("galaxy", "nebula", "planet", "star cluster")[i % 4], "magnitude": 4.5 + i / 3,
         "seeing": 1 + i % 5, "notes": f"Faint smudge near the zenith through the 8 inch scope, night {i}."}
        for i in range(24)])
    _plans_are(planner, {
        # a label column beside a date range ("but not the ones that were refunded" had been lost)
        ("audits", "audits reported between 1 March and 31 March 2024 but not the ones that were refunded"): [
            ("value_filter", {"column": "reported_on", "min": "2024-03-01", "max": "2024-03-31"}),
            ("value_filter", {"column": "refunded", "values": [False]})],
        # "unless" spares those rows (it had applied the removal to them only)
        ("audits", "remove audits where more than 3 draughts were found unless a heat pump was recommended"): [
            ("value_filter", {"column": "draughts_found", "max": 3.0, "where_column": "heat_pump_recommended",
                              "where_values": [True], "where_not": True})],
        # an exception to a random sample goes first
        ("audits", "grab a random sample of 10 audits, except ones from Old Town"): [
            ("value_filter", {"column": "region", "drop_values": ["Old Town"]}),
            ("top_filter", {"count": 10, "keep": "random"})],
        # "first-timers" are the people of first_time
        ("shifts", "shifts at Harbor or Central but not first-timers"): [
            ("value_filter", {"column": "site", "values": ["Harbor", "Central"]}),
            ("value_filter", {"column": "first_time", "values": ["no"]})],
        # labels said in the plural ("galaxies", "nebulae")
        ("sky", "keep only galaxies or nebulae with magnitude under 8"): [
            ("value_filter", {"column": "object_type", "values": ["galaxy", "nebula"]}),
            ("value_filter", {"column": "magnitude", "max": 8.0, "max_exclusive": True})],
    }, {"audits": audits, "shifts": shifts, "sky": sky})
    # two figures of one column; and a question's own column is used (it had refused the run)
    plan = planner.plan("min and max annual kwh for each dwelling type, plus total draughts_found per type", audits)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT dwelling_type, min(annual_kwh), max(annual_kwh) FROM output GROUP BY dwelling_type ORDER BY dwelling_type",
        "SELECT dwelling_type, sum(draughts_found) FROM output GROUP BY dwelling_type ORDER BY dwelling_type"]
    assert not plan.unmatched
    plan = planner.plan("how many audits per region, and whats the average annual_kwh for each?", audits)
    assert plan.ops() == ["dataset_stats"] and not plan.unmatched
    # exact and near copies are two jobs; an explaining aside in brackets is no job of its own (its "change a
    # word" had planned a length filter); "duplicate rows" are equal in every column
    plan = planner.plan("drop the exact duplicate entries and also the near-duplicate comments (people copy-paste the "
                        "previous entry and change a word)", shifts)
    assert plan.ops() == ["exact_dedup", "minhash_dedup"] and not plan.unmatched
    plan = planner.plan("Remove duplicate rows", shifts)
    assert steps(plan) == [("exact_dedup", {"text_field": "text", "also_fields": [
        "shift_id", "site", "shift_date", "hours", "first_time"]})]
    # quoted labels after "with the llm"; the tool is not the label's name
    plan = planner.plan("label each note with the llm as equipment problem, weather problem or good session", sky)
    assert steps(plan) == [("llm_annotate", {"text_field": "text", "label": "category", "choices": [
        "equipment problem", "weather problem", "good session"]})]
    # what the data holds is no language to keep; a reason after "since" is no job; "each type has" groups
    plan = planner.plan("A few members wrote their notes in German or Spanish. Keep only the English-language notes, "
                        "and remove the obs_id column since ids shouldn't go into the public archive.", sky)
    assert [(s.op, s.params.get("languages"), s.params.get("drop_columns")) for s in plan.steps] == [
        ("lang_id", ["en"], None), ("select_columns", None, ["obs_id"])] and not plan.unmatched
    plan = planner.plan("Don't change or drop anything, I only want figures: the average seeing for each object type "
                        "and how many observations each type has.", sky)
    assert steps(plan) == [("dataset_stats", {"domain_field": "object_type"})] and not plan.unmatched
    # a question's own conditions are its WHERE (a bound, a date range, a label, a negated yes/no column)
    questions = {
        "whats the average annual_kwh per region where more than 3 draughts were found?":
            "SELECT region, avg(annual_kwh) FROM output WHERE draughts_found >= 4.0 GROUP BY region ORDER BY region",
        "what's the average annual kwh for flats": "SELECT avg(annual_kwh) FROM output WHERE dwelling_type IN ('flat')",
        "average annual kwh per region for audits where no heat pump was recommended":
            "SELECT region, avg(annual_kwh) FROM output WHERE heat_pump_recommended IN (false) GROUP BY region "
            "ORDER BY region",
        "total draughts_found per region in 2024":
            "SELECT region, sum(draughts_found) FROM output WHERE reported_on >= '2024-01-01' AND reported_on <= "
            "'2024-12-31' GROUP BY region ORDER BY region"}
    for request, sql in questions.items():
        plan = planner.plan(request, audits)
        assert [q["sql"] for q in plan.questions] == [sql] and not plan.unmatched and not plan.steps, request


def test_from_the_thirty_third_and_thirty_fourth_newcomer_trials(tmp_path, env):
    """Trials 33-34 (theatre auditions, hotel housekeeping; beehive inspections, escape-room bookings)."""
    planner, _ = env
    rooms = _peek_rows(tmp_path / "rooms.jsonl", [
        {"log_id": 100 + i, "floor": 2 + i % 4, "cleaned_on": f"2024-0{1 + i % 9}-1{i % 9}",
         "status": ("checkout", "stayover", "deep_clean")[i % 3], "minutes_spent": 20 + 3 * i, "tip_eur": 1.5 * (i % 4),
         "issue_found": i % 2 == 0, "callback": ("yes", "no")[i % 2], "role": ("lead", "chorus", "crew")[i % 3],
         "rating": (1, 2, 3, 4, 5, None)[i % 6], "guest_comment": f"Towels were folded nicely and the bed was made, stay {i}."}
        for i in range(24)])
    _plans_are(planner, {
        # double negations: "not the ones without a callback", "not the ones where issue_found is false"
        ("rooms", "Only lead or chorus roles, but not the ones without a callback."): [
            ("value_filter", {"column": "callback", "values": ["yes"]}),
            ("value_filter", {"column": "role", "values": ["lead", "chorus"]})],
        ("rooms", "keep stayovers, but not the ones where issue_found is false"): [
            ("value_filter", {"column": "issue_found", "values": [True]}),
            ("value_filter", {"column": "status", "values": ["stayover"]})],
        # an exception by a number column said with its word ("on floor 5")
        ("rooms", "drop the deep_clean rows except the ones on floor 5"): [
            ("value_filter", {"column": "status", "drop_values": ["deep_clean"], "where_column": "floor",
                              "where_values": [5], "where_not": True})],
        # "since <date>" is a date, not a reason
        ("rooms", "cleans since 2024-03-01 w/ floor 4+"): [
            ("value_filter", {"column": "floor", "min": 4.0}),
            ("value_filter", {"column": "cleaned_on", "min": "2024-03-01"})],
        # two label columns before a random count; "a random sample of 8 rows" reads every row
        ("rooms", "random sample of 8 rows, only where status is checkout and the issue_found is false"): [
            ("value_filter", {"column": "status", "values": ["checkout"]}),
            ("value_filter", {"column": "issue_found", "values": [False]}),
            ("top_filter", {"count": 8, "keep": "random"})],
        ("rooms", "if rating is missing drop the row, then take a random sample of 12 rows"): [
            ("value_filter", {"column": "rating", "keep_null": False}),
            ("top_filter", {"count": 12, "keep": "random"})],
        # "..., and drop the floor column while you're at it": no job of its own
        ("rooms", "please hide emails in the guest comments, and drop the floor column while you're at it"): [
            ("pii_redact", {"text_field": "text", "kinds": ["email"]}),
            ("select_columns", {"drop_columns": ["floor"]})],
        # a new column named in the request may be kept by name; a renamed one too
        ("rooms", "summarise each guest comment into one short sentence with the LLM, into a new column called "
                  "summary, then keep only log_id, floor and summary"): [
            ("llm_rewrite", {"text_field": "text", "style": "a summary in one short sentence", "task": "tone",
                             "output_field": "summary"}),
            ("select_columns", {"keep_columns": ["log_id", "floor", "summary"]})],
        ("rooms", "rename guest_comment to feedback and keep just log_id, floor, rating and feedback"): [
            # ("feedback" names the comment column by another word for it: kept, then renamed, as before)
            ("select_columns", {"rename_columns": {"text": "feedback"}, "keep_columns": ["log_id", "floor", "rating", "text"]})],
        # "translate ..., in place": where it goes, no second job
        ("rooms", "translate the guest comments that aren't in English into English, in place"): [
            ("llm_translate", {"text_field": "text", "target_language": "English", "min_score": 0.0})],
        # a subset said first with its condition in brackets (the translation had been lost)
        ("rooms", "For the bad reviews (rating 2 or less) translate the comments into English in a new column "
                  "comment_en"): [
            ("value_filter", {"column": "rating", "max": 2.0}),
            # (the comments named beside "rating" are the text; before, the rating named hid them: the default then)
            ("llm_translate", {"text_field": "text", "target_language": "English", "output_field": "comment_en"})],
    }, {"rooms": rooms})
    # figures: the column after the aggregate, not the grouping; "avg"; a grouping said once for two figures
    plan = planner.plan("total tip_eur and the max minutes_spent per floor - numbers only, leave the data alone", rooms)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT floor, sum(tip_eur) FROM output GROUP BY floor ORDER BY floor",
        "SELECT floor, max(minutes_spent) FROM output GROUP BY floor ORDER BY floor"] and not plan.unmatched
    plan = planner.plan("how many cleans per status, and what's the avg tip_eur and total minutes_spent for each "
                        "status? just the figures", rooms)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT status, avg(tip_eur) FROM output GROUP BY status ORDER BY status",
        "SELECT status, sum(minutes_spent) FROM output GROUP BY status ORDER BY status"]


def test_from_the_forty_seventh_and_forty_eighth_newcomer_trials(tmp_path, env):
    """Trials 47-48 (planning comments and youth sports sessions; defect reports and office supply requests), and
    two findings left from trial 34 (beehive inspections)."""
    planner, _ = env
    sessions = _peek_rows(tmp_path / "sessions.jsonl", [
        {"session_id": f"S{i:03d}", "club": ("Eastfield Juniors", "Harbour Hawks")[i % 2],
         "sport": ("football", "netball", "hockey")[i % 3], "age_group": ("U9", "U11")[i % 2],
         "session_date": f"2024-0{3 + i % 3}-{10 + i}", "attendance": 10 + i, "duration_min": 45 + 5 * (i % 4),
         "injury_reported": i % 4 == 0, "coach_note": f"Worked on passing drills and first touch, group {i} focused."}
        for i in range(16)])
    supplies = _peek_rows(tmp_path / "supplies.jsonl", [
        {"req_id": f"R{i:03d}", "department": ("IT", "HR", "Legal", "Finance")[i % 4],
         "item_category": ("furniture", "electronics", "stationery")[i % 3], "quantity": 1 + i,
         "est_cost": 40.0 * i, "requested_on": f"2024-0{1 + i % 5}-0{1 + i % 9}", "urgent": i % 3 == 0,
         "justification": f"We need more supplies for the team on floor {i}."} for i in range(16)])
    hives = _peek_rows(tmp_path / "hives.jsonl", [
        {"id": f"H{i:02d}", "apiary": ("Orchard", "Hilltop")[i % 2], "queen_seen": i % 3 != 0, "varroa_count": i,
         "note": f"Colony {i} calm, brood on {i % 5} frames."} for i in range(12)])
    _plans_are(planner, {
        # "show me <rows> where ...": rows, not a question; "an injury was reported" on injury_reported
        ("sessions", "show me sessions where an injury was reported and attendance was 14 or more"): [
            ("value_filter", {"column": "injury_reported", "values": [True]}),
            ("value_filter", {"column": "attendance", "min": 14.0})],
        ("sessions", "keep sessions without injuries"): [("value_filter", {"column": "injury_reported", "values": [False]})],
        # a random count among rows of a month and a bound (the month had been dropped)
        ("sessions", "random sample of 5 football or netball sessions held in April 2024"): [
            ("value_filter", {"column": "sport", "values": ["football", "netball"]}),
            ("value_filter", {"column": "session_date", "min": "2024-04-01", "max": "2024-04-30"}),
            ("top_filter", {"count": 5, "keep": "random"})],
        ("sessions", "give me 5 random sessions with attendance over 15"): [
            ("value_filter", {"column": "attendance", "min": 16.0}),
            ("top_filter", {"count": 5, "keep": "random"})],
        # exact duplicates of records naming no text: the same record, every field but its id
        ("sessions", "drop exact duplicates"): [
            ("exact_dedup", {"text_field": "text", "also_fields": [
                "club", "sport", "age_group", "session_date", "attendance", "duration_min", "injury_reported"]})],
        ("sessions", "remove duplicate coach notes"): [("exact_dedup", {"text_field": "text"})],
        # near copies said in a statement after a dash: the dedup that catches them
        ("sessions", "dedupe the notes - same text posted twice or nearly the same with a word or two different "
                     "should count as one, keep the first"): [
            ("minhash_dedup", {"text_field": "text", "ngram": 1, "threshold": 0.7})],
        # ", unless they come from IT": a two-letter label, the rows a keep leaves out
        ("supplies", "furniture or electronics requests over $200, unless they come from IT"): [
            ("value_filter", {"column": "department", "drop_values": ["IT"]}),
            ("value_filter", {"column": "est_cost", "min": 200.0, "min_exclusive": True}),
            ("value_filter", {"column": "item_category", "values": ["furniture", "electronics"]})],
        ("supplies", "drop stationery requests unless they come from HR"): [
            ("value_filter", {"column": "item_category", "drop_values": ["stationery"], "where_column": "department",
                              "where_values": ["HR"], "where_not": True})],
        # two columns a removal says rows lack
        ("supplies", "remove rows with no department or no est_cost"): [
            ("value_filter", {"column": "department", "keep_null": False}),
            ("value_filter", {"column": "est_cost", "keep_null": False})],
        # the data's own word for its rows, whatever it is; a participle after its auxiliary, denied
        ("hives", "drop the inspections from the Orchard apiary"): [
            ("value_filter", {"column": "apiary", "drop_values": ["Orchard"]})],
        ("hives", "remove inspections at the Orchard apiary"): [
            ("value_filter", {"column": "apiary", "drop_values": ["Orchard"]})],
        ("hives", "keep inspections where the queen was not seen"): [
            ("value_filter", {"column": "queen_seen", "values": [False]})],
        ("hives", "drop the inspections where no queen was seen"): [
            ("value_filter", {"column": "queen_seen", "drop_values": [False]})],
    }, {"sessions": sessions, "supplies": supplies, "hives": hives})
    # "remove emails from ..." is still a job on the text
    assert steps(planner.plan("remove emails from the Orchard notes", hives))[0][0] == "pii_redact"
    # a question after "then" borrows no verb (it had become "drop how many ..." and vanished); "count the X per Y"
    plan = planner.plan("remove rows with no department, drop exact duplicates, then how many urgent requests are "
                        "there per item category", supplies)
    assert [s.op for s in plan.steps] == ["value_filter", "exact_dedup"] and not plan.unmatched
    assert [q["sql"] for q in plan.questions] == [
        "SELECT item_category, count(*) FROM output WHERE urgent IN (true) GROUP BY item_category ORDER BY item_category"]
    plan = planner.plan("count the urgent requests per department", supplies)
    assert not plan.steps and [q["sql"] for q in plan.questions] == [
        "SELECT department, count(*) FROM output WHERE urgent IN (true) GROUP BY department ORDER BY department"]
    # a language beside a bound: the rows in that language too
    plan = planner.plan("english notes only with attendance of 20 or more", sessions)
    assert [(s.op, s.params.get("languages") or s.params.get("column")) for s in plan.steps] == [
        ("lang_id", ["en"]), ("value_filter", "attendance")]


def test_from_the_forty_ninth_and_fiftieth_newcomer_trials(tmp_path, env):
    """Trials 49-50 (prior-authorization requests, lab instrument bookings; tree-planting reports, parking
    citations): each request below was wrong or partly done."""
    planner, _ = env
    auth = _peek_rows(tmp_path / "auth.jsonl", [
        {"req_id": f"PA{i:03d}", "submitted_date": f"2024-0{1 + i % 5}-1{i % 9}",
         "payer": ("Aetna", "Medicaid", "Cigna")[i % 3], "est_cost": 500.0 * i, "urgent": i % 2 == 0,
         "status": ("approved", "denied", "pending")[i % 3], "notes": f"Patient needs imaging, visit {i}."}
        for i in range(15)])
    lab = _peek_rows(tmp_path / "lab.jsonl", [
        {"booking_id": f"B{i:03d}", "instrument": ("Flow cytometer", "Confocal microscope", "qPCR machine")[i % 3],
         "lab_group": ("Chen lab", "Patel lab", "Okafor lab")[i % 3], "booking_date": f"2024-0{3 + i % 3}-1{i % 9}",
         "hours": 0.5 * i, "trained_user": i % 2 == 0, "issue": ("none", "none", "sample leak")[i % 3],
         "purpose": f"Imaging fixed brain slices for project {i}."} for i in range(15)])
    citations = _peek_rows(tmp_path / "citations.jsonl", [
        {"citation_id": f"PC{i}", "issued_date": f"2024-0{2 + i % 3}-1{i % 9}",
         "zone": ("Downtown", "Harbourfront", None)[i % 3], "fine_amount": 25 * (i % 5) if i % 4 else None,
         "paid": i % 2 == 0, "crew": ("Alder", "Delta")[i % 2],
         "officer_note": f"Vehicle parked past the limit at meter {i}."} for i in range(15)])
    _plans_are(planner, {
        # "show me the denied requests with ...": rows; ", unless the payer is Medicaid": those go
        ("auth", "show me the denied requests with an estimated cost over 2000, unless the payer is Medicaid"): [
            ("value_filter", {"column": "payer", "drop_values": ["Medicaid"]}),
            ("value_filter", {"column": "est_cost", "min": 2000.0, "min_exclusive": True}),
            ("value_filter", {"column": "status", "values": ["denied"]})],
        ("auth", "show me the denied requests"): [("value_filter", {"column": "status", "values": ["denied"]})],
        # "but not the ones already approved" beside a date and a yes/no (it had been dropped without a word)
        ("auth", "urgent requests submitted after March 1 2024 but not the ones already approved"): [
            ("value_filter", {"column": "submitted_date", "min": "2024-03-02"}),
            ("value_filter", {"column": "urgent", "values": [True]}),
            ("value_filter", {"column": "status", "drop_values": ["approved"]})],
        # labels of several words beside a month and a yes/no
        ("lab", "flow cytometer and confocal microscope bookings in April 2024 where trained_user is false"): [
            ("value_filter", {"column": "booking_date", "min": "2024-04-01", "max": "2024-04-30"}),
            ("value_filter", {"column": "trained_user", "values": [False]}),
            ("value_filter", {"column": "instrument", "values": ["Confocal microscope", "Flow cytometer"]})],
        # a label choice no operator knows is a label, not an unknown tool
        ("lab", "use the LLM to tag each purpose as imaging, cell sorting, PCR, maintenance or other"): [
            ("llm_annotate", {"text_field": "text", "label": "category",
                              "choices": ["imaging", "cell sorting", "PCR", "maintenance", "other"]})],
        # the text named only as a column to drop: duplicates of records
        ("lab", "get rid of duplicate bookings and drop the purpose and issue columns"): [
            ("exact_dedup", {"text_field": "text", "also_fields": [
                "instrument", "lab_group", "booking_date", "hours", "trained_user", "issue"]}),
            ("select_columns", {"drop_columns": ["issue", "text"]})],
        # a summary's length is part of its style
        ("lab", "rewrite the purpose text as a short summary under 10 words"): [
            ("llm_rewrite", {"text_field": "text", "style": "a short summary under 10 words", "task": "tone"})],
        # "but not the ones from crew Delta" (the column's word before the value); "unless they've been paid"
        ("citations", "citations issued in March 2024, but not the ones from crew Delta"): [
            ("value_filter", {"column": "crew", "drop_values": ["Delta"]}),
            ("value_filter", {"column": "issued_date", "min": "2024-03-01", "max": "2024-03-31"})],
        ("citations", "citations with a fine of at least 75 issued in March 2024, unless they've already been paid"): [
            ("value_filter", {"column": "fine_amount", "min": 75.0}),
            ("value_filter", {"column": "issued_date", "min": "2024-03-01", "max": "2024-03-31"}),
            ("value_filter", {"column": "paid", "values": [False]})],
        ("citations", "drop citations unless they have been paid"): [
            ("value_filter", {"column": "paid", "drop_values": [False]})],
        # "rows that are missing a zone or a fine amount": both, after "that are missing"
        ("citations", "remove rows that are missing a zone or a fine amount"): [
            ("value_filter", {"column": "zone", "keep_null": False}),
            ("value_filter", {"column": "fine_amount", "keep_null": False})],
        # two adjectives of one manner, and what the text is for after it
        ("citations", "rewrite the officer notes into plain, polite language we can paste into appeal letters"): [
            ("llm_rewrite", {"text_field": "text", "style": "plain polite language", "task": "tone"})],
    }, {"auth": auth, "lab": lab, "citations": citations})
    # a count of the rows whose label is anything but one value
    plan = planner.plan('how many bookings had an actual issue (anything other than "none") per instrument', lab)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT instrument, count(*) FROM output WHERE issue NOT IN ('none') GROUP BY instrument ORDER BY instrument"]
    assert not plan.steps and not plan.unmatched


def test_from_the_fifty_first_and_fifty_second_newcomer_trials(tmp_path, env):
    """Trials 51-52 (catering bookings, construction site observations; interlibrary loans, interview feedback),
    and what their requests showed beside them."""
    planner, _ = env
    catering = _peek_rows(tmp_path / "catering.jsonl", [
        {"booking_id": f"CB{i:03d}", "event_date": f"2024-0{1 + i % 6}-1{i % 9}",
         "event_type": ("wedding", "corporate", "birthday")[i % 3], "guest_count": 20 + 10 * i,
         "price_per_head": 30.0 + i, "deposit_paid": i % 2 == 0,
         "client_notes": f"Vegetarian options for table {i}, please."} for i in range(15)])
    sites = _peek_rows(tmp_path / "sites.jsonl", [
        {"obs_id": f"SO{i:03d}", "site": ("Riverside Tower", "Canal Bridge")[i % 2], "observed_on": f"2024-0{4 + i % 4}-1{i % 9}",
         "category": ("housekeeping", "PPE", "scaffolding")[i % 3], "severity": 1 + i % 5, "stop_work": i % 3 == 0,
         "reported_by": ("Lee", "Kaur")[i % 2], "description": f"Loose boards near stair {i} were secured."}
        for i in range(15)])
    interviews = _peek_rows(tmp_path / "interviews.jsonl", [
        {"cand_id": f"C{200 + i}", "role": ("Data Analyst", "Warehouse Lead", "Staff Nurse")[i % 3],
         "stage": ("phone screen", "onsite", "final")[i % 3], "interview_date": f"2024-0{2 + i % 3}-1{i % 9}",
         "score": 1 + i % 5, "years_experience": i, "relocation_needed": i % 2 == 0,
         "recruiter_notes": f"Strong communicator, asked about shift patterns {i}."} for i in range(15)])
    _plans_are(planner, {
        # "price per head for each event type": the grouping after a "per" that groups nothing
        # "give me all the X except the Y ones": both rows kept and rows dropped
        ("sites", "give me all the stop-work observations except the housekeeping ones"): [
            ("value_filter", {"column": "stop_work", "values": [True]}),
            ("value_filter", {"column": "category", "drop_values": ["housekeeping"]})],
        # "... that are written in English" beside a date
        ("sites", "keep only observations from June 2024 onwards that are written in English"): [
            ("lang_id", {"languages": ["en"], "min_score": 0.0}),
            ("value_filter", {"column": "observed_on", "min": "2024-06-01"})],
        # "unless" after a requirement: those rows are exempt from it
        ("interviews", "Filter to candidates with at least 5 years of experience unless they are applying for "
                       "Warehouse Lead."): [
            ("value_filter", {"column": "years_experience", "min": 5.0, "where_column": "role",
                              "where_values": ["Warehouse Lead"], "where_not": True})],
        # a month without a year is of the data's one year; a span of two months and days is one span
        ("interviews", "keep interviews from after March"): [
            ("value_filter", {"column": "interview_date", "min": "2024-04-01"})],
        ("interviews", "keep interviews between March 5 and April 2"): [
            ("value_filter", {"column": "interview_date", "min": "2024-03-05", "max": "2024-04-02"})],
        # a label names which rows; the other words say the job ("furniture" had tipped it to back-translation)
        ("catering", "paraphrase the wedding notes"): [
            ("llm_paraphrase", {"text_field": "text", "where_column": "event_type", "where_values": ["wedding"]})],
    }, {"catering": catering, "sites": sites, "interviews": interviews})
    plan = planner.plan("what's the average price per head for each event type?", catering)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT event_type, avg(price_per_head) FROM output GROUP BY event_type ORDER BY event_type"]
    # a count of the rows a bound or a month picks, per group
    plan = planner.plan("How many candidates per role scored 4 or higher?", interviews)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT role, count(*) FROM output WHERE score >= 4.0 GROUP BY role ORDER BY role"] and not plan.unmatched
    plan = planner.plan("how many candidates per stage were interviewed in March 2024?", interviews)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT stage, count(*) FROM output WHERE interview_date >= '2024-03-01' AND interview_date <= '2024-03-31' "
        "GROUP BY stage ORDER BY stage"]
    # a label of the data named in the singular that no step uses is said, not dropped without a word
    from tilth.agent.actions import parse
    from tilth.agent.coverage import unused_details
    from tilth.agent.plan import Plan, PlanStep

    request = "keep the stop-work observations, but not the ones already housekeeping"
    lost = Plan(name="t", input={"path": "sites.jsonl"}, request=request,
                steps=[PlanStep(op="value_filter", params={"column": "stop_work", "values": [True]})])
    assert any("'housekeeping'" in d for d in unused_details(lost, parse(request), sites))


def test_from_the_fifty_third_and_fifty_fourth_newcomer_trials(tmp_path, env):
    """Trials 53-54 (volunteer shifts, lease renewals; gym class bookings, release QA runs)."""
    planner, _ = env
    gym = _peek_rows(tmp_path / "gym.jsonl", [
        {"booking_id": i, "member_note": f"Great class, the music was loud but fun, week {i}.",
         "class_type": ("spin", "yoga", "hiit")[i % 3], "instructor": ("Dana", "Marcus")[i % 2],
         "session_date": f"2024-0{2 + i % 3}-1{i % 9}", "duration_min": 30 + 15 * (i % 3), "attended": i % 4 != 0,
         "rating": 1 + i % 5} for i in range(15)])
    qa = _peek_rows(tmp_path / "qa.jsonl", [
        {"run_id": f"R{5000 + i}", "release_version": ("3.9.4", "3.9.5")[i % 2],
         "component": ("auth", "billing", "ui")[i % 3], "test_summary": f"Checkout flow times out on staging, case {i}.",
         "severity": ("minor", "major", "blocker")[i % 3], "failed_tests": i % 4, "run_date": f"2024-05-1{i % 9}",
         "regression": i % 2 == 0, "duration_sec": 600 + 50 * i} for i in range(15)])
    leases = _peek_rows(tmp_path / "leases.jsonl", [
        {"lease_id": f"L{i:03d}", "property": ("Maple Court", "Oak House")[i % 2], "unit_type": ("studio", "1-bed")[i % 2],
         "monthly_rent": 900 + 50 * i, "renewal_date": f"2025-0{1 + i % 9}-15", "pets_allowed": i % 2 == 0,
         "status": ("renewed", "declined", "pending")[i % 3], "tenant_comment": f"The heating was fixed quickly {i}."}
        for i in range(15)])
    _plans_are(planner, {
        # "classes" is the rows' word here, not a list of labels: the column job after it is a job
        ("gym", "keep just the spin and hiit classes that ran 45 minutes or longer, and get rid of the instructor "
                "column"): [
            ("value_filter", {"column": "class_type", "values": ["spin", "hiit"]}),
            ("value_filter", {"column": "duration_min", "min": 45.0}),
            ("select_columns", {"drop_columns": ["instructor"]})],
        # "show me runs on ...", "at least one failed test"
        ("qa", "show me runs on auth or billing with at least one failed test, but not the minor severity ones"): [
            ("value_filter", {"column": "severity", "drop_values": ["minor"]}),
            ("value_filter", {"column": "failed_tests", "min": 1.0}),
            ("value_filter", {"column": "component", "values": ["auth", "billing"]})],
        # "leaving out X unless ..." is a removal with its exception
        ("qa", "pull a random sample of 10 runs, leaving out release 3.9.4 unless the run is a blocker"): [
            ("value_filter", {"column": "release_version", "drop_values": ["3.9.4"], "where_column": "severity",
                              "where_values": ["blocker"], "where_not": True}),
            ("top_filter", {"count": 10, "keep": "random"})],
        ("qa", "for the regression runs only, rewrite test_summary as a short one-line release-note entry"): [
            ("llm_rewrite", {"text_field": "text", "style": "a short one-line release-note entry", "task": "tone",
                             "where_column": "regression", "where_values": [True]})],
        # "give me every X or Y lease except ..."
        ("leases", "Give me every pending or declined lease except the ones at Maple Court"): [
            ("value_filter", {"column": "property", "drop_values": ["Maple Court"]}),
            ("value_filter", {"column": "status", "values": ["pending", "declined"]})],
    }, {"gym": gym, "qa": qa, "leases": leases})
    # "their average": of the groups the count before it names
    plan = planner.plan("For attended bookings only, how many are there per class type and what's their average "
                        "rating?", gym)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT class_type, avg(rating) FROM output GROUP BY class_type ORDER BY class_type"]


def test_from_the_fifty_fifth_and_fifty_sixth_newcomer_trials(tmp_path, env):
    """Trials 55-56 (port vessel calls, pharmacy stock counts; call-centre QA, street-lighting faults), and trial
    53's "the ones with no notes at all"."""
    planner, _ = env
    stock = _peek_rows(tmp_path / "stock.jsonl", [
        {"item_id": f"PH{i:03d}", "product_name": f"Item {i}", "category": ("vitamin", "analgesic")[i % 2],
         "store": ("Northgate", "Riverside")[i % 2], "qty_on_hand": 5 * i if i % 5 else None, "unit_cost": 2.5 + i,
         "expiry_date": f"2025-0{1 + i % 9}-01" if i % 4 else None, "controlled": i % 3 == 0,
         "count_note": f"Shelf counted twice, box {i} fine."} for i in range(15)])
    calls = _peek_rows(tmp_path / "calls.jsonl", [
        {"call_id": f"VC{i:03d}", "vessel_name": f"Vessel {i}", "berth": ("C1", "C2")[i % 2],
         "cargo_type": ("container", "bulk", "tanker")[i % 3], "arrival_date": f"2024-0{1 + i % 6}-1{i % 9}",
         "teu_handled": 100 * i, "delay_hours": 1.5 * i, "hazmat": i % 4 == 0,
         "pilot_notes": f"Pilot boarded at the outer buoy, tide {i}."} for i in range(15)])
    lights = _peek_rows(tmp_path / "lights.jsonl", [
        {"report_id": f"SL{i:03d}", "district": ("Hillcrest", "Docklands")[i % 2],
         "fault_type": ("cable_fault", "lamp_out", "flickering")[i % 3], "reported_on": f"2024-0{2 + i % 3}-1{i % 9}",
         "days_to_fix": 3 * i, "urgent": i % 2 == 0, "description": f"Lamp on the corner of street {i} is out."}
        for i in range(15)])
    _plans_are(planner, {
        # "except the controlled ones" on a yes/no column: the others
        ("stock", "show me low-stock items with fewer than 20 on hand, except the controlled ones"): [
            ("value_filter", {"column": "controlled", "values": [False]}),
            ("value_filter", {"column": "qty_on_hand", "max": 19.0})],
        # "where expiry_date or qty_on_hand is missing": both columns
        ("stock", "drop rows where expiry_date or qty_on_hand is missing"): [
            ("value_filter", {"column": "expiry_date", "keep_null": False}),
            ("value_filter", {"column": "qty_on_hand", "keep_null": False})],
        # "Show urgent reports that ..." (no "me"): rows
        ("lights", "Show urgent reports that took more than 10 days to fix, but not cable faults."): [
            ("value_filter", {"column": "urgent", "values": [True]}),
            ("value_filter", {"column": "days_to_fix", "min": 11.0}),
            ("value_filter", {"column": "fault_type", "drop_values": ["cable_fault"]})],
        # a verb-less part after a removal that says what rows lack: rows of its own to drop
        ("lights", "drop the lamp_out reports and the ones with no description at all"): [
            ("value_filter", {"column": "fault_type", "drop_values": ["lamp_out"]}),
            ("length_filter", {"text_field": "text", "min": 1})],
    }, {"stock": stock, "calls": calls, "lights": lights})
    # a rank among the rows an exception leaves; "lowest scoring" ranks the score; a choice before "about ..."
    assert steps(planner.plan("give me the 5 calls with the longest delay_hours, except hazmat cargo", calls)) == [
        ("value_filter", {"column": "hazmat", "values": [False]}), ("top_filter", {"count": 5, "column": "delay_hours"})]
    assert steps(planner.plan("give me the 5 calls with the longest delay_hours, except tanker calls", calls)) == [
        ("value_filter", {"column": "cargo_type", "drop_values": ["tanker"]}),
        ("top_filter", {"count": 5, "column": "delay_hours"})]
    assert steps(planner.plan("show me the 5 lowest scoring items", _peek_rows(tmp_path / "qa.jsonl", [
        {"eval_id": f"QA{i}", "call_date": f"2024-03-1{i}", "qa_score": 60 + 3 * i, "notes": f"Polite agent {i}."}
        for i in range(8)]))) == [("top_filter", {"keep": "lowest", "count": 5, "column": "qa_score"})]
    plan = planner.plan("Use the LLM to label each note as positive, negative or neutral about how the agent handled it",
                        calls)
    assert plan.steps[0].params["choices"] == ["positive", "negative", "neutral"]
    plan = planner.plan("how many calls per cargo type had a delay of more than 6 hours?", calls)
    assert [q["sql"] for q in plan.questions] == [
        "SELECT cargo_type, count(*) FROM output WHERE delay_hours > 6.0 GROUP BY cargo_type ORDER BY cargo_type"]
    # "fault reports": one noun; "Ignore the exact duplicate rows" is a job beside the count, not a measurement
    plan = planner.plan("How many fault reports are there per district? Ignore the exact duplicate rows.", lights)
    assert [s.op for s in plan.steps] == ["exact_dedup", "dataset_stats"] and not plan.unmatched


def test_a_figure_over_the_rows_a_yes_no_verb_or_an_only_count_names(tmp_path, env):
    """Trial 54's "... but leave out bookings where the member didn't attend" (`attended` said as a present-tense
    verb: the part was not understood) and the same condition said as "Only count ..." in a sentence of its own
    (it read as "only figures, no filter" and planned token_count); "excluding the ones that were not attended"
    (two denials: the attended ones) and a label counted as the breakdown of its column."""
    planner, _ = env
    gym = _peek_rows(tmp_path / "gym.jsonl", [
        {"booking_id": 1000 + i, "member_note": f"Class {i} was fine, good music.", "class_type": ("spin", "yoga",
         "hiit")[i % 3], "instructor": ("Dana", "Tom")[i % 2], "duration_min": 30 + 15 * (i % 3),
         "attended": i % 4 != 0, "rating": 1 + i % 5} for i in range(16)])
    by_instructor = "SELECT instructor, avg(duration_min) FROM output GROUP BY instructor ORDER BY instructor"
    for request, kept in [
        ("give me the average session length (duration_min) per instructor, but leave out bookings where the member "
         "didn't attend", {"drop_values": [False]}),
        ("average duration_min per instructor. Only count bookings where the member attended.", {"values": [True]}),
        ("average duration_min per instructor, counting only bookings where the member attended", {"values": [True]})]:
        plan = planner.plan(request, gym)
        assert steps(plan) == [("value_filter", {"column": "attended", **kept})], request
        assert [q["sql"] for q in plan.questions] == [by_instructor] and not plan.unmatched, request
    plan = planner.plan("average duration_min per instructor. Only count spin and hiit classes.", gym)
    assert steps(plan) == [("value_filter", {"column": "class_type", "values": ["spin", "hiit"]})]
    for request in ("how many bookings per instructor, excluding the ones that were not attended",
                    "how many bookings per instructor, except those the member didn't attend"):
        plan = planner.plan(request, gym)
        assert [q["sql"] for q in plan.questions] == [
            "SELECT instructor, count(*) FROM output WHERE attended IN (true) GROUP BY instructor ORDER BY instructor"]
    # "only count" alone is still a wish for figures, no filter; a label counted is its column's breakdown
    assert parse("just count the words").keep_all_rows and parse("only count tokens, do not filter").keep_all_rows
    plan = planner.plan("how many spin classes are there", gym)
    assert steps(plan) == [("dataset_stats", {"domain_field": "class_type"})] and not plan.unmatched


def test_from_eval_batch_g_dev_wording(env):
    """Batch g's dev half (written unseen, as engineers with backticks and bullets, researchers, support leads and
    hurried typists write), each mechanism checked here on other wording than the dev case it came from."""
    planner, data = env
    _plans_are(planner, {
        # a line headed by a column is the job on that column; a dash between two numbers is a range
        ("chat", "- `customer_message`: keep 5–40 words\n- `agent_reply`: leave it alone"): [
            ("word_count_filter", {"text_field": "customer_message", "min_words": 5, "max_words": 40})],
        ("reviews", "keep rows with perplexity 30-400"): [
            ("perplexity_filter", {"min_perplexity": 30.0, "max_perplexity": 400.0})],
        # the passive: kept and discarded rows ("are to be kept" had read as the rows to drop)
        ("reviews", "Reviews with no fewer than ten words are to be kept."): [
            ("length_filter", {"text_field": "text", "min": 10, "unit": "words"})],
        ("web", "Paragraphs shorter than twelve words should be discarded."): [
            ("word_count_filter", {"min_words": 12})],
        # "no blank lines" is what the output must not hold, not a refusal of the job
        ("web", "- NFC + lower-case\n- no blank lines at all"): [
            ("normalize", {"lowercase": True, "max_blank_lines": 0})],
        # a list of language codes; a confidence on the language step's own score is its min_score
        ("multilingual", "LID over the sentences; keep the (de, nl, sv) ones at confidence ≥ 0.7."): [
            ("lang_id", {"languages": ["de", "nl", "sv"], "min_score": 0.7})],
        # a list of examples in brackets is one aside; "every row must survive" keeps every row
        ("web", "Run the C4 line clean-up (lines with no end punctuation, 'cookie policy' lines and so on), but every "
                "page must survive as a row, even if it gets shorter."): [("c4_line_cleaner", {})],
        # a bound alone after a filter is its other bound
        ("instruct", "drop anything with IFD above 0.95 plus everything scoring under 0.1"): [
            ("llm_ifd_filter", {"instruction_field": "text", "response_field": "output", "max_ifd": 0.95,
                                "min_ifd": 0.1})],
        # labels between dashes (quoted), then the rows tagged with one of them
        ("reviews", "Have the model tag each review with its main issue — 'fit', 'colour' or 'other' — and then "
                    "drop the ones tagged other."): [
            ("llm_annotate", {"text_field": "text", "choices": ["fit", "colour", "other"], "label": "issue"}),
            ("value_filter", {"column": "llm_issue", "drop_values": ["other"]})],
        # token counts of two columns: two steps, two columns
        ("instruct", "token counts for the instructions and, separately, for the outputs"): [
            ("token_count", {"text_field": "text"}),
            ("token_count", {"text_field": "output", "output_field": "n_tokens_output"})],
        # hurried shorthand
        ("code", "drop exact dupes (whitespace matters!), count toks per fn"): [
            ("exact_dedup", {"normalise": "exact"}), ("token_count", {})],
        # a preference between two choices; an output column the result must not have
        ("web", "extract the text from the html favouring recall over precision; I don't want a title column"): [
            ("html_extract", {"favor": "recall", "title_field": None})],
        # a language aside that describes the data is no language to keep
        ("pdf", "drop the non-English pages (the brochure is German), one row per page"): [
            ("lang_id", {"languages": ["en"]})],
    }, data)
    plan = planner.plan("Is it possible to paraphrase each review by going through Italian and back?", data["reviews"])
    assert plan.steps[0].params["pivot_language"] == "Italian"
    plan = planner.plan("Write two QA pairs per PDF, each file as one document rather than page by page.", data["pdf"])
    assert plan.input.get("unit", "document") == "document"
    plan = planner.plan("For every review, fill 'What do $product owners with $stars stars dislike?' and have the model "
                        "answer it", data["reviews"])
    assert steps(plan) == [("llm_template_synthesis", {"template": "What do $product owners with $stars stars dislike?"})]
    plan = planner.plan("1) LLM-annotate difficulty (1-5) on `instruction`\n2) rows with `llm_difficulty` ≥ 4 → one "
                        "harder variant each\n3) stats incl. `instruction`/`output` lengths", data["instruct"])
    assert [(s.op, s.params.get("where_min"), s.params.get("n")) for s in plan.steps] == [
        ("llm_annotate", None, None), ("llm_escalate_difficulty", 4.0, None), ("dataset_stats", None, None)]
    assert plan.steps[-1].params["output_field"] == "output" and not plan.unmatched
    plan = planner.plan("A summary please: how many tickets, how long the customer messages and the replies are.",
                        data["chat"])
    assert steps(plan) == [("dataset_stats", {"input_field": "customer_message", "output_field": "text"})]
    assert [q["sql"] for q in plan.questions] == ["SELECT count(*) FROM output"]


def test_from_the_fifty_seventh_and_fifty_eighth_newcomer_trials(tmp_path, env):
    """Trials 57-58 (translation jobs and homebrew forum posts; locksmith callouts and sewing forum posts): text
    collections to clean for training beside record tables."""
    planner, _ = env
    posts = _peek_rows(tmp_path / "posts.jsonl", [
        {"post_id": f"P{i:03d}", "text": " ".join(["I brewed a pale ale with Maris Otter and Cascade hops."] * (2 + i % 4)),
         "section": ("recipes", "equipment")[i % 2], "upvotes": i} for i in range(20)])
    jobs = _peek_rows(tmp_path / "jobs.jsonl", [
        {"job_id": f"L{i:03d}", "district": ("Old Town", "Riverside")[i % 2], "duration_min": 30 + i if i % 5 else None,
         "notes": f"Door {i} opened with a pick."} for i in range(20)])
    # no markup to parse: boilerplate is a line cleaner's job; "Clean this up for ...:" heads a list of jobs
    plan = planner.plan("Clean this up for pretraining: throw out boilerplate and anything under 20 words.", posts)
    assert [s.op for s in plan.steps] == ["c4_line_cleaner", "length_filter"] and not plan.unmatched
    # "one-word replies" are the document's words, not its stop words; a bound said, the rest fitted
    plan = planner.plan("throw out junk such as one-word replies", posts)
    assert plan.steps[0].params == {"min_doc_words": 2}
    # repeated lines: the rules on lines only
    plan = planner.plan("Get rid of posts with repeated lines", posts)
    assert plan.steps[0].params == {"dup_para_frac": None, "dup_para_char_frac": None, "top_n_grams": {},
                                    "dup_n_grams": {}}
    # "ignore rows where ... is missing" drops them
    plan = planner.plan("Which 5 jobs took the longest? Ignore rows where the duration is missing.", jobs)
    assert steps(plan)[0] == ("value_filter", {"column": "duration_min", "keep_null": False}) and not plan.unmatched


def _clinic(tmp_path):
    vets = ("Dr. Chen", "Dr. Okafor", "Dr. Alvarez", None)
    return _peek_rows(tmp_path / "clinic.jsonl", [
        {"appt_id": i, "species": ("Dog", "Cat", "ferret")[i % 3], "vet": vets[i % 4], "fee": 40.0 + 17.5 * i,
         "pet_age_years": 1 + i % 12, "vaccinated": i % 3 != 0, "visit_date": f"2025-{1 + i % 6:02d}-{1 + i:02d}",
         "customer_name": f"Owner {i}", "owner_notes": f"Visit {i}: the pet was limping and off its food."}
        for i in range(20)])


def _recipe_posts(tmp_path):
    texts = ("Let the dough rise slowly in the fridge for two days before baking it.",
             "La masa necesita reposar toda la noche en la nevera antes de hornear.",
             "Toast the spices in a dry pan until they smell warm and nutty.")
    return _peek_rows(tmp_path / "posts.jsonl", [
        {"post_id": f"p{i:03d}", "text": texts[i % 3], "source": ("blog:cocinaencasa", "newsletter", "forum:homecooks")[i % 3],
         "posted": f"2024-0{1 + i % 6}-1{i % 10}"} for i in range(20)])


def test_from_the_fifty_ninth_and_sixtieth_newcomer_trials_record_tables(tmp_path, env):
    """Trials 59-60 (a veterinary clinic's appointments, an online shop's returns): what a duplicate record is, a
    group said by a kind of the column's thing, money said as a verb, a denied yes/no after "except", list heads."""
    planner, _ = env
    clinic = _clinic(tmp_path)
    fields = ["species", "vet", "fee", "pet_age_years", "vaccinated", "visit_date", "customer_name"]
    # a definition of a duplicate ("a row counts as a dupe if ...") is said of the dedup, no job (a count) of its own;
    # the column it leaves out is not "not understood"
    plan = planner.plan("remove duplicate appointments. a row counts as a dupe if everything except appt_id matches",
                        clinic)
    assert steps(plan) == [("exact_dedup", {"text_field": "text", "also_fields": fields})] and not plan.unmatched
    # "identical apart from the id": every field but that one
    plan = planner.plan("dedupe the log — rows identical apart from the appt_id count as dupes too", clinic)
    assert plan.steps[0].params["also_fields"] == fields and not plan.unmatched
    # a group said by what the column's values are a kind of (WordNet: a vet is a doctor); one that names no column
    # is reported, never one figure over every row labelled "per animal"
    plan = planner.plan("avg fee per doctor? just need the numbers, don't filter anything", clinic)
    assert [q["sql"] for q in plan.questions] == ["SELECT vet, avg(fee) FROM output GROUP BY vet ORDER BY vet"]
    plan = planner.plan("avg fee per animal?", clinic)
    assert plan.unmatched == ["average fee per animal"] and not plan.questions
    assert any("which column 'per animal' groups by" in n for n in plan.notes)
    # money said as a verb is the money column; "except the ones where the pet isn't vaccinated" keeps the vaccinated
    plan = planner.plan("I need appointments that cost more than 100, except the ones where the pet isn't vaccinated.",
                        clinic)
    assert steps(plan) == [("value_filter", {"column": "vaccinated", "values": [True]}),
                           ("value_filter", {"column": "fee", "min": 100.0, "min_exclusive": True})]
    plan = planner.plan("keep appointments that cost over 100 but not the unvaccinated ones", clinic)
    assert steps(plan)[0] == ("value_filter", {"column": "vaccinated", "values": [True]}) and not plan.unmatched
    plan = planner.plan("drop appointments where the pet isn't vaccinated", clinic)
    assert steps(plan) == [("value_filter", {"column": "vaccinated", "drop_values": [False]})]
    # a heading of tidying before a list; "where a vet is filled in" is a vet present, not the label "Filled"
    plan = planner.plan("Please tidy the appointment log:\n- drop the owner notes column\n"
                        "- keep only rows where a vet is filled in", clinic)
    assert [s.op for s in plan.steps] == ["value_filter", "select_columns"] and not plan.unmatched
    assert plan.steps[0].params == {"column": "vet", "keep_null": False}
    # "the names column": the one column named by that word
    plan = planner.plan("lose the names column", clinic)
    assert steps(plan) == [("select_columns", {"drop_columns": ["customer_name"]})]
    # label spellings are tidied by normalize_labels on the label columns named (normalize rewrote the notes)
    plan = planner.plan("clean this up:\n- trim stray spaces and fix the capitalisation in the species and vet labels\n"
                        "- drop rows that have no vet\n- drop rows whose notes are shorter than 3 words", clinic)
    assert steps(plan) == [("normalize_labels", {"columns": ["species", "vet"]}),
                           ("value_filter", {"column": "vet", "keep_null": False}),
                           ("length_filter", {"text_field": "text", "min": 3, "unit": "words"})] and not plan.unmatched


def test_from_the_fifty_ninth_and_sixtieth_newcomer_trials_text_collections(tmp_path, env):
    """Trials 59-60 (recipe blog snippets, astronomy forum posts): figures per source, languages to keep or to
    translate, a source's name as the data writes it, and "... and drop the rest"."""
    planner, data = env
    posts = _recipe_posts(tmp_path)
    # a count per source and an average length in words per source (a query: no operator computes the second)
    plan = planner.plan("how many posts come from each source, and what's the average length in words per source? "
                        "figures only please", posts)
    assert steps(plan) == [("dataset_stats", {"domain_field": "source"})] and not plan.unmatched
    assert [q["sql"] for q in plan.questions] == [
        f"SELECT source, avg({words_sql('text')}) FROM output GROUP BY source ORDER BY source"]
    plan = planner.plan("how many posts per source, and what are the earliest and latest posting dates?", posts)
    assert [q["sql"] for q in plan.questions] == ["SELECT min(posted), max(posted) FROM output"] and not plan.unmatched
    # keeping English drops Spanish and Italian (both said made lang_id's parameters clash: nothing ran)
    plan = planner.plan("keep only the English snippets, drop anything in Spanish or Italian", posts)
    assert [s.op for s in plan.steps] == ["lang_id"] and plan.steps[0].params["languages"] == ["en"]
    assert "drop_languages" not in plan.steps[0].params
    # "keeping one version of each" says what the dedup keeps, not a job of making versions (synonym_substitute)
    plan = planner.plan("Some posts were reposted with a word or two changed. Remove those near-duplicates (and the "
                        "exact copies), keeping one version of each.", posts)
    assert [s.op for s in plan.steps] == ["minhash_dedup"]
    # a source's name as the data writes it ("blog:cocinaencasa") is no unknown word; the languages said are the
    # rows to translate
    plan = planner.plan("translate the posts from blog:cocinaencasa into English; leave the other rows as they are", posts)
    assert plan.steps[0].params["where_values"] == ["blog:cocinaencasa"] and not plan.unmatched
    plan = planner.plan("translate the German and French posts into English, leave the rest as they are", posts)
    assert sorted(plan.steps[0].params["source_languages"]) == ["de", "fr"]
    # "... and drop the rest" after a keep adds nothing (it had turned the bound round: min 50)
    plan = planner.plan("keep problems under 50 words and drop the rest", data["instruct"])
    assert steps(plan) == [("length_filter", {"max": 49, "unit": "words"})]
    # a bound on a measure keeps rows by its column; a span in a dash aside is the span of the clause before
    for request in ("keep only problems with a heuristic difficulty score between 0.25 and 0.5",
                    "keep only problems of medium difficulty - a heuristic score between 0.25 and 0.5 - and then dedupe"):
        plan = planner.plan(request, data["instruct"])
        assert steps(plan)[:2] == [("difficulty_heuristic", {"solution_field": "output"}),
                                   ("value_filter", {"min": 0.25, "max": 0.5, "column": "difficulty"})], request
        assert not plan.unmatched, request


def test_a_quality_filter_keeps_the_length_the_request_set(tmp_path, env):
    """Trial 59: "strip boilerplate, then drop anything shorter than 8 words" had Gopher's word minimum fitted to 13
    on the sample, dropping the 9-12 word rows the user kept."""
    planner, _ = env
    posts = _recipe_posts(tmp_path)
    plan = planner.plan("Clean the blog snippets: first strip out junk (site menus, repeated-word spam), then drop "
                        "anything shorter than 8 words.", posts)
    # (session 28: junk_filter takes "site menus, repeated-word spam" and judges no length; a Gopher pass, where one is
    # planned, keeps the length the request set)
    assert {"junk_filter", "gopher_quality"} & set(plan.ops())
    assert all(s.params.get("min_doc_words", 8) == 8 for s in plan.steps if s.op == "gopher_quality")
    assert ("length_filter", {"min": 8, "unit": "words"}) in steps(plan)


def test_a_step_after_one_that_keeps_no_sample_row_is_not_refused(tmp_path, env):
    """Trial 59: a value filter that kept none of the 20 sample rows left the next filter "column 'visit_date' not in
    batch (columns: )", and the whole plan was refused; with no rows to fit, the defaults stay."""
    from tilth.agent.validation import check_plan

    planner, _ = env
    plan = planner.plan("I need appointments from March 1st 2025 onwards that cost more than 100000", _clinic(tmp_path))
    assert [s.op for s in plan.steps] == ["value_filter", "value_filter"]
    result = check_plan(plan)
    assert not any("not in batch" in p.message for p in result.problems), result.problems


def test_a_breakdown_line_shows_every_group():
    """Trial 60: a count per return reason showed 10 of 15 reasons and "…" (the rest only in report.json)."""
    from tilth.agent.report import stats_line

    domains = [{"domain": f"r{i}", "rows": 20 - i, "share": (20 - i) / 155} for i in range(15)]
    line = stats_line("01_dataset_stats", {"rows": 155, "domain_field": "reason", "domains": domains}, markdown=False)
    assert line.count("(") == 16 and "r14 6 (4%)" in line and "…" not in line


def test_from_the_sixty_first_and_sixty_second_newcomer_trials(tmp_path, env):
    """Trials 61-62 (bike-share repairs and hotel reviews; substitute-teacher requests and museum exhibit pages)."""
    planner, _ = env
    repairs = _peek_rows(tmp_path / "repairs.jsonl", [
        {"id": i, "station": ("Central Station", "CENTRAL STATION", "  central station", "Harbour Gate")[i % 4],
         "minutes_spent": 20 + 7 * i, "fixed_first_visit": i % 3 != 0, "complaint": f"Bike {i} has a flat tyre."}
        for i in range(20)])
    # two words of a yes/no column's name, in turn, name it ("fixed first time round" on fixed_first_visit)
    plan = planner.plan("only keep the jobs that weren't fixed first time round", repairs)
    assert steps(plan) == [("value_filter", {"column": "fixed_first_visit", "values": [False]})] and not plan.unmatched
    # a word the data holds nowhere before the rows' noun is the noun's ("maintenance jobs"), no condition
    plan = planner.plan("how many maintenance jobs per station, and what's the average minutes spent overall? "
                        "don't filter anything", repairs)
    # (station spells its labels three ways: counted once each since trial 68)
    assert steps(plan) == [("dataset_stats", {"domain_field": "station", "loose_labels": True})] and not plan.unmatched
    # tidied labels first; the values a filter keeps are then the tidied spelling
    plan = planner.plan("Hey, could you tidy up the station names (trim the stray spaces, consistent capitalisation) "
                        "and then keep only the Central Station jobs? Thanks!", repairs)
    assert steps(plan) == [("normalize_labels", {"columns": ["station"]}),
                           ("value_filter", {"column": "station", "values": ["central station"]})]
    hotels = _peek_rows(tmp_path / "hotels.jsonl", [
        {"review_id": f"r{i}", "hotel": ("Seaside Lodge", "Canal House Inn")[i % 2], "stars": 1 + i % 5,
         "text": ("Great stay.<br>Breakfast was <b>excellent</b>.", "Nice stay")[i % 2]} for i in range(20)])
    # markup examples in brackets are no label choices (an LLM had labelled every row "<b>")
    plan = planner.plan("strip the leftover html tags (<br>, <b>, <p> etc) out of the review text", hotels)
    assert [s.op for s in plan.steps] == ["html_extract"] and not plan.unmatched
    # "For each hotel: A and B": each figure per hotel
    plan = planner.plan("For each hotel: number of reviews and average star rating. Just the figures please, don't "
                        "change the data.", hotels)
    assert steps(plan) == [("dataset_stats", {"domain_field": "hotel"})] and not plan.unmatched
    assert [q["sql"] for q in plan.questions] == ["SELECT hotel, avg(stars) FROM output GROUP BY hotel ORDER BY hotel"]
    subs = _peek_rows(tmp_path / "subs.jsonl", [
        {"id": i, "subject": ("Physical Education", "Special Education", "Music", "Art")[i % 4], "hours": 3 + i % 6,
         "urgent": i % 2 == 0, "principal_note": f"Cover period {i}."} for i in range(20)])
    # "id doesn't count": every field but the id; labels abbreviated by initials or word starts, and excepted
    plan = planner.plan("drop duplicate rows, id doesn't count", subs)
    assert plan.steps[0].params["also_fields"] == ["subject", "hours", "urgent"]
    plan = planner.plan("keep anything 6 hours or longer, except PE and special ed", subs)
    assert steps(plan) == [("value_filter", {"column": "subject", "drop_values": ["Physical Education", "Special Education"]}),
                           ("value_filter", {"column": "hours", "min": 6.0})]
    exhibits = _peek_rows(tmp_path / "exhibits.jsonl", [
        {"id": f"ex{i}", "museum": ("City Museum of History", "Riverside Science & Art Centre")[i % 2],
         "description": ("We use cookies to improve your experience. Vikings at Sea examines shipbuilding and trade. "
                         "A longship fills the hall." if i % 3 else
                         "Im neuen Saal sind Automaten aus der Schweiz zu sehen. Die Uhren laufen noch.")} for i in range(20)])
    # a column of a few repeated names is the rows' museum, not the text to dedupe (49 rows had become 2)
    plan = planner.plan("The same exhibits show up on both museum sites, sometimes with a word or two changed. Keep "
                        "just one copy of each.", exhibits)
    assert [s.op for s in plan.steps] == ["minhash_dedup"] and "text_field" not in plan.steps[0].params
    plan = planner.plan("how many exhibit descriptions per museum, and how many of them are in German?", exhibits)
    assert [(s.op, s.params.get("text_field", "text")) for s in plan.steps] == [("lang_id", "text"), ("dataset_stats", "text")]
    assert plan.steps[1].params["domain_field"] == "museum"
    assert [q["sql"] for q in plan.questions] == ["SELECT count(*) FROM output WHERE lang IN ('de')"]
    # a part of a value said as a literal: the rows whose url holds it ("Keep all rows except ..." keeps no row
    # count constraint: the exception is the job)
    urls = _peek_rows(tmp_path / "pages.jsonl", [
        {"id": i, "url": f"https://m.org/{('de', 'en')[i % 2]}/page{i}", "description": f"Exhibit {i} shows old clocks."}
        for i in range(20)])
    plan = planner.plan("Keep all rows except the ones whose link points to the German (/de/) part of the site.", urls)
    assert steps(plan) == [("value_filter", {"column": "url", "drop_contains": ["/de/"]})]
    plan = planner.plan("keep only the rows whose url has '/en/'", urls)
    assert steps(plan) == [("value_filter", {"column": "url", "contains": ["/en/"]})]
    # a paragraph on one line: the line rules judge each sentence (a cookie notice had blanked whole paragraphs)
    plan = planner.plan('strip cookie banners and "Buy tickets" bits out of the descriptions', exhibits)
    assert steps(plan) == [("c4_line_cleaner", {"text_field": "text", "split_at_stops": True})]


def test_a_request_written_as_a_list_of_dashes_reaches_the_agent(tmp_path):
    """Trials 61-62: `tilth agent "- drop ...\\n- keep ..."` ended in "No such option: -" before planning."""
    import json
    import subprocess
    import sys

    data = tmp_path / "notes.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": f"note number {i} says something useful here"}) + "\n"
                            for i in range(8)))
    out = subprocess.run([sys.executable, "-m", "tilth.cli", "agent", "- drop notes shorter than 3 words\n- dedupe them",
                          "--data", str(data), "--no-run", "--no-embed", "--out", str(tmp_path / "o"),
                          "--workspace", str(tmp_path / "ws")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr + out.stdout
    recipe = (tmp_path / "o" / "recipe.yaml").read_text()
    assert "length_filter" in recipe and "exact_dedup" in recipe


def test_from_the_sixty_third_and_sixty_fourth_newcomer_trials(tmp_path, env):
    """Trials 63-64 (food-bank donations and product Q&A; wildlife sightings and GitHub issues)."""
    planner, _ = env
    donations = _peek_rows(tmp_path / "donations.jsonl", [
        {"id": i, "donor_type": ("Grocery Store", "grocery store", "Individual", "Farm")[i % 4],
         "category": ("Dairy", " dairy", "Produce")[i % 3], "weight_kg": 5.0 + i, "boxes": 1 + i % 3,
         "logged_by": ("Ana", None, "Ben")[i % 3], "condition_note": f"Box {i} arrived sealed and cold."}
        for i in range(20)])
    # a label spelled several ways in its column is compared loosely ("Grocery Store  " had stayed)
    plan = planner.plan("Everything except the grocery store donations please, and drop the boxes column.", donations)
    assert steps(plan)[0] == ("value_filter", {"column": "donor_type", "drop_values": ["Grocery Store", "grocery store"],
                                               "loose_labels": True})
    # "ignore the id column" says what the dedup compares
    plan = planner.plan("dedupe rows, ignore the id column", donations)
    assert [s.op for s in plan.steps] == ["exact_dedup"] and "id" not in plan.steps[0].params["also_fields"]
    assert not plan.unmatched
    # "where we don't know which volunteer logged them": a value missing
    plan = planner.plan("hey, can you get rid of the donations where we don't know which volunteer logged them? thanks",
                        donations)
    assert steps(plan) == [("value_filter", {"column": "logged_by", "keep_null": False})] and not plan.unmatched
    # "how many kg": the sum of the column in kg, per group
    plan = planner.plan("How many kg did we take in per item category? I just need the numbers.", donations)
    # (category spells Dairy two ways: since trial 68 each label is summed once)
    tidy = "lower(nullif(trim(regexp_replace(CAST(category AS VARCHAR), '\\s+', ' ', 'g')), ''))"
    assert [q["sql"] for q in plan.questions] == [
        f"SELECT {tidy} AS category, sum(weight_kg) FROM output GROUP BY 1 ORDER BY 1"] and not plan.unmatched
    qa = _peek_rows(tmp_path / "qa.jsonl", [
        {"qa_id": f"Q{i:03d}", "product": ("Desk Lamp", "Power Bank")[i % 2], "question": f"Does model {i} fold flat?",
         "answer": "Yes, it folds flat and fits in a drawer." if i % 3 else "yes"} for i in range(20)])
    # a figures heading before a list; the length of the column the figure names
    plan = planner.plan("Just give me counts: how many Q&A pairs per product, and the average answer length in words "
                        "for each. Don't filter anything.", qa)
    assert [s.op for s in plan.steps] == ["dataset_stats"] and plan.steps[0].params["domain_field"] == "product"
    assert [q["sql"] for q in plan.questions] == [
        f"SELECT product, avg({words_sql('answer')}) FROM output GROUP BY product ORDER BY product"] and not plan.unmatched
    # a list-valued column (GitHub's labels: ["bug", "cli"]) crashed every request: TypeError unhashable list
    issues = _peek_rows(tmp_path / "issues.jsonl", [
        {"number": 100 + i, "title": f"Crash {i} on start", "body": f"Steps: run the tool with flag {i}.",
         "state": ("open", "closed")[i % 2], "labels": [("bug", "cli"), ("docs",), ()][i % 3]} for i in range(20)])
    plan = planner.plan("exact dedup on body", issues)
    assert [s.op for s in plan.steps] == ["exact_dedup"]
    plan = planner.plan("open issues only", issues)
    assert steps(plan) == [("value_filter", {"column": "state", "values": ["open"]})]


def test_what_trials_63_and_64_left_after_their_first_fixes(tmp_path, env):
    """A unit said in words names the column that carries it ("closer than 100 metres": distance_m, which had been
    ignored without a word); "the observer and distance columns"; "in species and habitat" is one job on two
    columns; "the power bank ones" for a label of more words (an exception to a length filter had been lost)."""
    planner, _ = env
    sightings = _peek_rows(tmp_path / "sightings.jsonl", [
        {"id": i, "species": ("Red Fox", "red fox ", "Badger")[i % 3], "count": 1 + i % 7, "observer": f"Obs {i % 4}",
         "sighting_date": f"2024-0{1 + i % 9}-1{i % 10}", "habitat": ("farmland", "Farmland", "urban park")[i % 3],
         "distance_m": 20 + 15 * i, "note": f"Seen near the hedge at dusk, {i}."} for i in range(20)])
    plan = planner.plan("I need sightings from 1 June 2024 on where the animal was closer than 100 metres", sightings)
    assert steps(plan) == [("value_filter", {"column": "distance_m", "max": 99}),  # (whole metres)
                           ("value_filter", {"column": "sighting_date", "min": "2024-06-01"})]
    plan = planner.plan("First fix the capitalisation in species and habitat, then throw out any rows missing a "
                        "sighting date, and finally drop the observer and distance columns.", sightings)
    assert steps(plan) == [("normalize_labels", {"columns": ["species", "habitat"]}),
                           ("value_filter", {"column": "sighting_date", "keep_null": False}),
                           ("select_columns", {"drop_columns": ["observer", "distance_m"]})]
    qa = _peek_rows(tmp_path / "qa.jsonl", [
        {"qa_id": f"Q{i:03d}", "product": ("Aurora Desk Lamp", "VoltGo Power Bank", "SnapFit Yoga Mat")[i % 3],
         "question": f"Question {i}?", "answer": "It charges two phones at once over USB-C."} for i in range(20)])
    plan = planner.plan("Remove the very long answers (over 100 words), except for the power bank ones.", qa)
    assert steps(plan) == [("length_filter", {"text_field": "answer", "max": 100, "unit": "words",
                                              "where_column": "product", "where_values": ["VoltGo Power Bank"],
                                              "where_not": True})]


def test_a_because_inside_a_quotation_explains_nothing(tmp_path, env):
    """Trial 64: 'the "closed because it has been stalled" notices' read as a reason, and the request before it
    ("get rid of the bot stuff") vanished; a plan of stats alone ran and dropped nothing."""
    planner, _ = env
    issues = _peek_rows(tmp_path / "issues.jsonl", [
        {"number": i, "title": f"Crash {i}", "body": ("+1", "This issue has been marked as stale.",
                                                      "Steps: run it with --fast and it crashes on start.")[i % 3]}
        for i in range(20)])
    parsed = parse('could you get rid of the bot notices ("closed because it has been stalled") please')
    assert [a.text for a in parsed.actions] == [
        'could you get rid of the bot notices ("closed because it has been stalled") please']
    plan = planner.plan('get rid of the bot stuff (the automatic "closed because it has been stalled" notices) and the '
                        'pointless comments like "+1"', issues)
    assert plan.unmatched or any(s.op != "dataset_stats" for s in plan.steps)


def test_from_the_sixty_fifth_and_sixty_sixth_newcomer_trials(tmp_path, env):
    """Trials 65-66 (car-rental returns and podcast snippets; course evaluations and news articles)."""
    planner, _ = env
    rentals = _peek_rows(tmp_path / "rentals.jsonl", [
        {"return_id": f"R{i:03d}", "branch": ("Downtown", "Airport North")[i % 2], "km_driven": 100 * i,
         "fuel_full": i % 3 != 0, "return_date": f"2024-0{3 + i % 3}-1{i % 10}", "late_fee": 5.0 * i,
         "agent": f"Agent {i % 4}", "damage_note": ("Scratch on the rear bumper, photographed.", "ok", "")[i % 3]}
        for i in range(20)])
    # "keep just X and throw out ..." ("keep ... out" had eaten the "out" of "throw out": drop March)
    plan = planner.plan('hey, could you keep just the March 2024 returns and throw out the ones where the damage note is '
                        'empty? thanks', rentals)
    assert steps(plan)[0] == ("value_filter", {"column": "return_date", "min": "2024-03-01", "max": "2024-03-31"})
    episodes = _peek_rows(tmp_path / "snippets.jsonl", [
        {"id": i, "episode": f"ep{i % 6}", "speaker": ("Priya", "Marco", "Host")[i % 3],
         "text": ("So today we talk about sourdough starters and why they fail.",
                  "Allora, oggi parliamo del lievito madre e del perché fallisce.")[i % 2]} for i in range(20)])
    # "how many distinct episodes"; "the Italian bits, but keep everything else" drops Italian (it had kept only it)
    plan = planner.plan("how many snippets per speaker, and how many distinct episodes are there?", episodes)
    assert [q["sql"] for q in plan.questions] == ["SELECT count(DISTINCT episode) FROM output"]
    plan = planner.plan("Can you strip out the Italian bits, but keep everything else, even the short ones?", episodes)
    assert [(s.op, s.params.get("languages"), s.params.get("drop_languages")) for s in plan.steps] == [
        ("lang_id", [], ["it"])] and not plan.unmatched
    evals = _peek_rows(tmp_path / "evals.jsonl", [
        {"eval_id": i, "course_code": ("CS101", "MA201")[i % 2], "instructor": ("Lee", "Okoro")[i % 2],
         "term": ("Fall 2023", "Spring 2024")[i % 2], "rating": 1 + i % 5, "would_recommend": i % 2 == 0,
         "hours_per_week": 2 + i % 9, "submitted_on": f"2024-0{1 + i % 5}-0{1 + i % 9}",
         "comment": f"The course was useful, week {i} was hard."} for i in range(20)])
    # "so each submission only counts once" is what a duplicate is (it had read as "just count": no row may go),
    # and "Everything else can stay as it is" beside a dedup changes nothing else
    plan = planner.plan("hey, the eval export has some submissions in it twice — sometimes even with a different "
                        "eval_id. Can you get rid of the repeats so each submission only counts once? Everything else "
                        "can stay as it is.", evals)
    assert [s.op for s in plan.steps] == ["exact_dedup"] and "eval_id" not in plan.steps[0].params["also_fields"]
    assert not plan.unmatched and not plan.keep_all_rows
    news = _peek_rows(tmp_path / "news.jsonl", [
        {"article_id": i, "outlet": ("Daily Post", "Le Quotidien")[i % 2], "headline": f"Storm hits coast {i}",
         "lede": f"A storm hit the coast on day {i}, closing roads and ports."} for i in range(20)])
    # "so it reads like 'Fall 2023'": the case its example shows (lower case had come out)
    plan = planner.plan("trim the stray spaces and fix the capitalisation in the term column so it reads like "
                        "'Fall 2023'", evals)
    assert steps(plan) == [("normalize_labels", {"columns": ["term"], "case": "title"})]
    # an irregular past tense is an English word ("ran": WordNet's exception lists)
    plan = planner.plan("dedupe the wire stories that ran on several outlets with small edits — keep one copy each", news)
    assert [s.op for s in plan.steps] == ["minhash_dedup"] and not plan.unmatched


def test_a_scoped_filter_with_nothing_of_its_own_to_judge_is_reported(tmp_path, env):
    """Trial 66: "remove everything from the Fall 2023 term, except the ones where the student would recommend the
    course" planned a length filter scoped to the recommending rows with no bound: it ran, changed nothing, exit 0.
    A scoped length job that says a length ("drop short motivations except the tutor ones") gets its bound fitted."""
    planner, _ = env
    evals = _peek_rows(tmp_path / "evals.jsonl", [
        {"eval_id": i, "term": ("Fall 2023", "Spring 2024")[i % 2], "would_recommend": i % 3 == 0,
         "role": ("tutor", "kitchen")[i % 2], "comment": " ".join(["good"] * (1 + i))} for i in range(20)])
    # (since trial 71 the removal is planned, sparing the rows its condition names)
    plan = planner.plan("remove everything from the Fall 2023 term, except the ones where the student would recommend "
                        "the course", evals)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "term", "drop_values": ["Fall 2023"], "where_column": "would_recommend",
                          "where_values": [True], "where_not": True})] and not plan.unmatched
    plan = planner.plan("drop everything with the kitchen role, except the ones where the student would recommend "
                        "the course, but only if they are short", evals)
    assert not any(s.op == "length_filter" and not s.calibrate and "min" not in s.params for s in plan.steps)
    plan = planner.plan("drop short comments except the tutor ones", evals)
    length = next(s for s in plan.steps if s.op == "length_filter")
    assert length.params.get("where_not") is True and length.calibrate["param"] == "min"
