"""Request -> actions, and words -> parameters: the parsing that planning by meaning stands on (no model)."""

from __future__ import annotations

from tilth.agent.actions import parse
from tilth.agent.params import (
    choices_to_params,
    column_mentions,
    condition_bounds,
    languages,
    literals_to_params,
    numbers_to_params,
    quantities,
    refused_columns,
)
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


def test_a_condition_on_rows_named_by_a_bare_verb_is_the_job_itself():
    """"Drop turns where ..." lost its job to the condition (batch e, dev)."""
    assert texts("Remove functions where symbols and punctuation are more than 40% of the characters.") == [
        ("Remove functions where symbols and punctuation are more than 40% of the characters", "", False)]
    assert texts("Drop turns where the customer side is under 3 words, and dedupe the rest") == [
        ("Drop turns where the customer side is under 3 words", "", False), ("dedupe the rest", "", False)]
    assert texts("Where the rating is three or lower, redo the agent's answer in a warmer voice") == [
        ("redo the agent's answer in a warmer voice", "Where the rating is three or lower", False)]


def test_two_bounds_joined_by_and_are_one_range():
    assert texts("keep reviews that are at least fifteen and at most four hundred characters long") == [
        ("keep reviews that are at least fifteen and at most four hundred characters long", "", False)]
    q = quantities("keep docs with more than 50 words and fewer than 2,000 words")
    assert [(x["value"], x["bound"]) for x in q] == [(50.0, "lower"), (2000.0, "upper")]
    assert [a.text for a in parse("keep pages over 100 words and remove duplicates").actions] == [
        "keep pages over 100 words", "remove duplicates"]


def test_if_then_drop_is_one_job_and_arrows_chain_steps():
    assert texts("Page by page: if a page has fewer than fifteen words (the cover, the blank one), drop it.") == [
        ("drop the rows where a page has fewer than fifteen words (the cover, the blank one)", "", False)]
    assert [a.text for a in parse("stats > exct dedup > c4 line cleaning -> stats agian").actions] == [
        "stats", "exct dedup", "c4 line cleaning", "stats agian"]
    assert [a.text for a in parse("dedupe → stats").actions] == ["dedupe", "stats"]
    assert [a.text for a in parse("keep docs > 50 words").actions] == ["keep docs > 50 words"]


def test_one_in_four_is_a_share():
    assert [q["value"] for q in quantities("Grade one in four of the answers")] == [0.25]
    assert [q["value"] for q in quantities("judge 1 out of 10 rows, keep 2 of every 5")] == [0.1, 0.4]
    assert [q["value"] for q in quantities("rows 5 in 3")] == [5.0, 3.0]


def test_ranges_written_from_to_and_a_strict_upper_end():
    got = quantities("keep the pairs whose score is from 0.35 up to, but not including, 0.95")
    assert [(q["value"], q["bound"], q["strict"]) for q in got] == [(0.35, "lower", False), (0.95, "upper", True)]
    assert [(q["value"], q["bound"]) for q in quantities("keep rows with 3 to 5 stars")] == [(3, "lower"), (5, "upper")]
    assert [q["bound"] for q in quantities("reduce the set from 10000 to 5000 rows")][1] is None  # not a range


def test_a_fronted_condition_after_then_comma_restricts_the_next_job():
    assert texts("Score difficulty, then, for problems at 0.5 or harder, add two LLM paraphrases") == [
        ("Score difficulty", "", False), ("add two LLM paraphrases", "for problems at 0.5 or harder", False)]
    assert condition_bounds("for problems at 0.5 or harder") == (0.5, None)
    assert condition_bounds("for the 0.3 or easier ones") == (None, 0.3)


def test_newcomer_wordings_of_lists_halves_and_symbols():
    """From a newcomer trial: a label list after "a topic:" became jobs, "one half" and "< three" were not read."""
    assert [a.text for a in parse("label each review with a topic: durability, noise, price or design").actions] == [
        "label each review with a topic: durability, noise, price or design"]
    assert [a.text for a in parse("Build a corpus: English only, deduplicated").actions] == ["English only", "deduplicated"]
    assert [(q["value"], q["bound"]) for q in quantities("drop rows with score below one half")] == [(0.5, "upper")]
    assert [(q["value"], q["bound"]) for q in quantities("drop chats w/ csat < three")] == [(3.0, "upper")]


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


def test_lists_of_languages_ranges_and_idioms_are_not_split_into_jobs():
    # ("- bin the others" after what is kept adds nothing: the keep says it)
    assert texts("The Dutch and Polish lines are all I need - bin the others.") == [
        ("The Dutch and Polish lines are all I need", "", False)]
    assert parse("The Dutch and Polish lines are all I need.").actions[0].asks  # a need, not a statement
    assert texts("Keep only French, German and Spanish rows and drop duplicates") == [
        ("Keep only French, German and Spanish rows", "", False), ("drop duplicates", "", False)]
    assert texts("Some reviews are just the same phrase over and over; drop those.") == [
        ("drop Some reviews that are just the same phrase over and over", "", False)]
    assert parse("Some reviews are just the same phrase over and over; drop those.").actions[0].asks
    assert [a.text for a in parse("Only keep 4- and 5-star reviews, then paraphrase them").actions] == [
        "Only keep 4- and 5-star reviews", "paraphrase them"]
    assert languages("filter down to Deutsch and Nederlands") == ["de", "nl"]


def test_a_borrowed_verb_is_recorded_and_qualifiers_stay_with_their_job():
    a = parse("convert the text to decomposed unicode, NFD").actions
    assert [(x.text, x.inherited, x.own) for x in a] == [
        ("convert the text to decomposed unicode", False, ""), ("convert NFD", True, "NFD")]
    assert texts("Drop near duplicates. Compare the solution text, not the question.") == [
        ("Drop near duplicates Compare the solution text not the question", "", False)]
    assert not parse("the solutions can differ").actions[0].asks  # a statement about the data
    # a fragment after a comma in a sentence that ends in a colon is not a heading
    assert [x.text for x in parse("Extract the main text, erring on the side of precision: keep no menus").actions][:2] == [
        "Extract the main text", "Extract erring on the side of precision"]


def test_pairs_of_numbers_are_ranges():
    assert [(q["value"], q["bound"]) for q in quantities("keep 4s and 5s")] == [(4.0, "lower"), (5.0, "upper")]
    assert [(q["value"], q["bound"]) for q in quantities("only keep 4- and 5-star reviews")] == [
        (4.0, "lower"), (5.0, "upper")]
    assert [(q["value"], q["bound"]) for q in quantities("2 paraphrases and 3 variants")] == [(2.0, None), (3.0, None)]


def test_list_choices_spared_or_singled_out_and_literals_that_differ_in_case():
    pii = Catalogue(use_embeddings=False).by_name["pii_redact"]
    assert choices_to_params(pii, "mask only the e-mail addresses; the phone numbers can stay") == {"kinds": ["email"]}
    assert choices_to_params(pii, "redact emails and phones", context="redact emails and phones, but not IP addresses") == {
        "kinds": ["email", "phone"]}
    assert choices_to_params(pii, "redact everything except card numbers") == {"kinds": ["email", "ip", "phone"]}
    dedup = Catalogue(use_embeddings=False).by_name["exact_dedup"]
    assert choices_to_params(dedup, "dedupe, treat 'GREAT PRODUCT' and 'great product' as the same thing") == {
        "normalise": "lower"}


def test_columns_ruled_out_and_new_columns_named_in_passing():
    cols = ["question", "solution", "answer"]
    assert refused_columns("compare the solution text, not the question", cols) == {"question"}
    rewrite = Catalogue(use_embeddings=False).by_name["llm_rewrite"]
    assert literals_to_params(rewrite, "write a shorter version into a new column agent_reply_short", cols) == {
        "output_field": "agent_reply_short"}
    assert "text_field" not in literals_to_params(Catalogue(use_embeddings=False).by_name["html_extract"],
                                                  "parse the html field into body text", ["html"])


def test_a_round_trip_translation_names_its_pivot_and_source_and_is_one_job():
    bt = Catalogue(use_embeddings=False).by_name["llm_back_translate"]
    assert literals_to_params(bt, "augment them by translating to English and back to French", []) == {
        "pivot_language": "English", "source_language": "French"}
    assert literals_to_params(bt, "back-translate through German", []) == {"pivot_language": "German"}
    assert [a.text for a in parse("augment them by translating to English and back to French").actions] == [
        "augment them by translating to English and back to French"]
    qa = Catalogue(use_embeddings=False).by_name["llm_qa_synthesis"]
    assert literals_to_params(qa, "make QA pairs, but don't throw the original pages away", [])["keep_input"] is True


def test_a_quotation_is_never_split():
    assert texts("Replace 'salt and pepper, then oil' with 'seasoning'; then count words.") == [
        ("Replace 'salt and pepper, then oil' with 'seasoning'", "", False), ("count words", "", False)]
    assert texts("Flag 'Sorry. We are closed.' and 'N/A' as boilerplate") == [
        ("Flag 'Sorry. We are closed.' and 'N/A' as boilerplate", "", False)]
    # an apostrophe inside a word does not end a quotation
    cat = Catalogue(use_embeddings=False)
    assert literals_to_params(cat.by_name["llm_template_synthesis"],
                              "use the template 'Write the seller's reply to a $product review.'", ["text"]) == {
        "template": "Write the seller's reply to a $product review."}


def test_spelled_numbers_scale_and_unit_pick_the_parameter():
    gopher = Catalogue(use_embeddings=False).by_name["gopher_quality"]
    assert numbers_to_params(gopher, "drop documents with fewer than forty-five words") == {"min_doc_words": 45}
    # 20 is a word count, not a mean word length (default 3): "minimum word count" names min_doc_words
    assert numbers_to_params(gopher, "lower the minimum word count to 20") == {"min_doc_words": 20}
    assert numbers_to_params(gopher, "mean word length of at least 4") == {"min_avg_word_length": 4}
    # a bound the words switch off
    assert numbers_to_params(gopher, "without the 50-word minimum") == {"min_doc_words": None}
    assert numbers_to_params(gopher, "skip the first 50 words") != {"min_doc_words": None}


def test_a_short_explanation_of_a_choice_is_named_by_one_of_its_words():
    exact = Catalogue(use_embeddings=False).by_name["exact_dedup"]  # exact: byte-identical
    assert choices_to_params(exact, "dedupe byte for byte") == {"normalise": "exact"}
    assert choices_to_params(exact, "dedupe the rows") == {}


def test_the_parsed_request_is_the_text_as_written():
    request = "Label each review as one of billing, shipping or returns; treat 'A, B' and 'c' alike."
    assert parse(request).text == request


def test_numbers_with_scales_shares_and_caps_are_read():
    q = [(x["value"], x["bound"], x["unit"]) for x in quantities(
        "Cap the paragraphs at one thousand five hundred characters and throw out anything under two hundred characters.")]
    assert q == [(1500.0, "upper", "characters"), (200.0, "upper", "characters")]
    assert [x["value"] for x in quantities("two hundred and fifty words, 10k rows")] == [250.0, 10000.0]
    assert [round(x["value"], 4) for x in quantities("let it keep the most informative third")] == [0.3333]
    assert quantities("keep one of each") == []
    assert [x["bound"] for x in quantities("limit answers to 300 words")] == ["upper"]
    assert quantities("have the LLM rate how difficult each issue is (1-5)") == []  # a scale, not a bound


def test_a_condition_written_before_its_clause_restricts_that_clause():
    assert texts("for conversations rated 2 or lower, rewrite the agent's answer formally") == [
        ("rewrite the agent's answer formally", "for conversations rated 2 or lower", False)]
    assert texts("score difficulty, and for the ones scoring under 0.3 generate a harder version") == [
        ("score difficulty", "", False), ("generate a harder version", "for the ones scoring under 0.3", False)]
    assert texts("Rewrite in a calmer tone only where rating is 1 or 2, and leave the replies as they are.") == [
        ("Rewrite in a calmer tone", "only where rating is 1 or 2", False), ("leave the replies as they are", "", True)]


def test_a_number_nothing_ties_to_a_parameter_sets_none():
    skill = Catalogue(use_embeddings=False).by_name["llm_rewrite"]
    assert "temperature" not in numbers_to_params(skill, "for conversations rated 2 or lower, rewrite formally")
    assert numbers_to_params(skill, "rewrite formally at temperature 0.2")["temperature"] == 0.2


def test_statements_borrow_no_verb_and_nothing_gets_removed_keeps_every_row():
    acts = parse("keep reviews whose perplexity is between 10 and 1000: lower is probably spam, higher is garbage").actions
    assert [(a.text, a.asks) for a in acts][1:] == [("lower is probably spam", False), ("higher is garbage", False)]
    assert parse("which language is each line in? nothing gets removed").keep_all_rows


def test_the_usual_names_of_a_pairs_sides_name_its_columns():
    assert column_mentions("stats on the model answers", ["instruction", "output"]) == ["output"]
    assert column_mentions("dedupe the prompts", ["instruction", "output"]) == ["instruction"]
    assert column_mentions("check the answers", ["question", "solution", "answer"]) == ["answer"]  # its own name first


def test_a_parameter_named_in_words_takes_the_identifier_after_it():
    skill = Catalogue(use_embeddings=False).by_name["sample_metrics"]
    assert literals_to_params(skill, "Prefix the new columns with out_ so they don't clash.", []) == {"prefix": "out_"}
    assert literals_to_params(skill, "add a prefix to the columns", []) == {}


def test_a_statement_and_a_verb_pointing_back_at_it_are_one_request():
    acts = parse("Some reviews are just the same phrase over and over; drop those.").actions
    assert [(a.text, a.asks) for a in acts] == [("drop Some reviews that are just the same phrase over and over", True)]
    acts = parse("Anonymise the messages; not a single row may be dropped.").actions
    assert [a.text for a in acts] == ["Anonymise the messages", "not a single row may be dropped"]
    acts = parse("the model overfits because the same prompt shows up restated. get rid of the restatements").actions
    assert [(a.text, a.asks) for a in acts] == [("the same prompt shows up restated", False),
                                                ("get rid of the restatements", True)]


def test_polish_opening_a_clause_is_the_verb():
    assert languages("Polish the wording of the agent replies") == []
    assert languages("keep only the Polish and Dutch lines") == ["nl", "pl"]
    assert languages("Translate it to Polish") == ["pl"]


def test_a_fronted_condition_after_a_leading_connective_stays_with_its_clause():
    assert texts("and where it is 4 or more, add a longer version") == [
        ("add a longer version", "where it is 4 or more", False)]


def test_scaled_numbers_are_written_without_an_exponent_and_spaced_units_are_units():
    """'2m tokens' became '2e+06 tokens', which no quantity pattern reads; '1000 m elevation' (metres) became a
    thousand million."""
    from tilth.agent.params import quantities, spell_out_numbers

    assert spell_out_numbers("2m tokens and 10k rows") == "2000000 tokens and 10000 rows"
    assert spell_out_numbers("more than 1000 m elevation gain") == "more than 1000 m elevation gain"
    assert [(q["value"], q["bound"]) for q in quantities("under 2m tokens")] == [(2_000_000.0, "upper")]
    assert [(q["value"], q["unit"]) for q in quantities("less than an hour")] == [(1.0, "hour")]
    assert [(q["value"], q["unit"]) for q in quantities("under half an hour")] == [(0.5, "hour")]


def test_peek_knows_labels_past_the_sample_rows(tmp_path):
    import json

    from tilth.agent.peek import SAMPLE_ROWS, peek

    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"text": f"report number {i} about the trail", "region": "Desert" if i == 50 else
                                        "Coast"}) + "\n" for i in range(100)))
    data = peek(path)
    # the sample spreads over the file (rows 0, 5, 10, ..., 47, 52, ..., 99: not row 50)
    assert len(data.rows) == SAMPLE_ROWS and {r["region"] for r in data.rows} == {"Coast"}
    assert [int(r["text"].split()[2]) for r in data.rows][:3] == [0, 5, 10] and data.rows[-1]["text"].startswith(
        "report number 99 ")
    assert data.labels == {"region": ["Coast", "Desert"]}


def test_peek_reads_no_more_than_the_sample_of_files_it_must_parse(tmp_path):
    """Labels come from 2,000 rows of a table; a folder of text files (or PDFs, pages) is read for the sample only."""
    from tilth.agent.peek import SAMPLE_ROWS, peek

    for i in range(SAMPLE_ROWS + 5):
        (tmp_path / f"f{i:03d}.txt").write_text(f"file number {i}\n")
    data = peek(tmp_path)
    assert len(data.rows) == SAMPLE_ROWS and len(data.labels["path"]) == SAMPLE_ROWS  # (25 files exist)


def test_since_a_date_is_a_bound_and_since_a_clause_is_a_reason():
    """Trial 34: "bookings since 2025-03-01 w/ group_size 4+" lost its date (the rest was read as the reason)."""
    for request in ("bookings since 2025-03-01 with 4 or more players", "bookings since Monday with 4 or more players",
                    "tickets since last March"):
        assert [a.text for a in parse(request).actions] == [request], request
    assert [a.text for a in parse("drop the age column since ages should not be public").actions] == [
        "drop the age column"]
    assert [a.text for a in parse("remove the observer column since names shouldn't go public").actions] == [
        "remove the observer column"]
