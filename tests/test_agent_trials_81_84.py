"""Newcomer trials 81-84 (session 29): requests written by helpers who never read the agent's rules (a ferry
operator's crossing log and passenger reviews; a craft brewery's batch records and a homebrewing forum; a bike-share
rental log and app reviews; a library's interlibrary loans and book-club posts), each fixed misreading pinned in the
trial's own shape on small tables of the trial's kind (not the trials' files)."""

from __future__ import annotations

from trial_fixtures import peek_rows as _peek_rows


def _reviews(tmp_path, lang_values=("en", "en", "en", "de", "en", "fr")):
    texts = ["The crossing was smooth and the crew were friendly, coffee on board was decent too.",
             "Forty minutes late again and nobody told us why, the queue for cars was a mess.",
             "Never again.", "Die Fähre war pünktlich und sauber, sehr zu empfehlen.", "meh",
             "Le bateau était en retard mais le personnel était très aimable."]
    return _peek_rows(tmp_path / "reviews.jsonl", [
        {"post_id": f"p{i:03d}", "text": texts[i % 6], "source": ("forum", "web scrape", "email survey")[i % 3],
         "lang": lang_values[i % 6], "posted": f"2025-0{1 + i % 9}-15"} for i in range(24)])


def _crossings(tmp_path):
    routes = ["Harbour Point - Kessock", "Kessock - Gull Island", "Mainland Express", "mainland express ",
              " Harbour Point - Kessock", "Harbour Point - Kessock"]
    return _peek_rows(tmp_path / "crossings.jsonl", [
        {"crossing_id": 1000 + i, "route": routes[i % 6], "vessel": ("MV Skye", "MV Orla")[i % 2],
         "departure_date": f"2025-0{1 + i % 6}-1{i % 9}", "passengers": 40 + 7 * i, "delay_minutes": (0, 12, 45)[i % 3],
         "cancelled": i % 5 == 0, "captain": ("Aileen Fraser", "Tom Bell")[i % 2],
         "remark": ("ok", "-", "n/a", "")[i // 6] if i % 6 == 5 else (
             "Fog at the harbour mouth held us at the pier for most of the morning.",
             "Engine alarm on the port side, checked by the engineer and cleared before sailing.",
             "Heavy swell past the headland, passengers asked to stay seated.",
             "Late arrival of the connecting bus, we waited for the foot passengers.",
             "Loading ramp stuck, the crew freed it by hand.")[i % 6]} for i in range(24)])


def _batches(tmp_path):
    styles = ["Pale Ale", "Pilsner", "pilsner ", "Imperial Stout", "Saison", "West Coast IPA"]
    return _peek_rows(tmp_path / "batches.jsonl", [
        {"batch_id": f"B{1000 + i}", "beer_style": styles[i % 6], "batch_size_l": 500 + 20 * i, "abv": 4.5 + (i % 8),
         "brew_date": f"202{4 + i % 2}-{1 + i % 12:02d}-10", "passed_qc": i % 4 != 0,
         "tasting_note": "Clean malt backbone, a touch of diacetyl on the finish, hop aroma faded."} for i in range(24)])


def _steps(plan):
    return [(s.op, s.params) for s in plan.steps]


def test_a_language_said_is_read_from_the_datas_own_language_column(tmp_path, planner):
    """T81 r09, T82 r09 (and T77, T80 before): "English posts only" ran lid.176, which dropped short English posts
    ("meh", "Thanks!") and overwrote the data's `lang` column with its guesses."""
    plan = planner.plan("English posts only, and leave out anything that came from the web scrape", _reviews(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True}),
                            ("value_filter", {"column": "source", "drop_values": ["web scrape"]})]
    assert any("own 'lang' column" in n for n in plan.notes)
    # a language the column does not show is left to the detector; asking for the detector keeps it
    assert [s.op for s in planner.plan("only the Spanish posts", _reviews(tmp_path)).steps] == ["lang_id"]
    assert [s.op for s in planner.plan("keep the posts that are actually in English according to fastText",
                                       _reviews(tmp_path)).steps] == ["lang_id"]
    # (a score said beside the language is no request for the detector's)
    assert _steps(planner.plan("English posts with a score of 4 or more", _reviews(tmp_path)))[0] == (
        "value_filter", {"column": "lang", "values": ["en"], "loose_labels": True})


def test_a_translation_takes_the_rows_the_language_column_marks_and_keep_just_those_keeps_them(tmp_path, planner):
    """T81 r12, T82 r12: llm_translate ran over every row ("+1" came back as "+1 The translation is: +1"), and
    "keep just those" was noted but not planned (all 44 rows came out)."""
    plan = planner.plan("translate the non-English posts into English and keep just those", _reviews(tmp_path))
    assert [(s.op, {k: v for k, v in s.params.items() if k.startswith(("where", "column", "drop"))})
            for s in plan.steps] == [
        ("value_filter", {"column": "lang", "drop_values": ["en"]}),
        ("llm_translate", {"where_column": "lang", "where_values": ["en"], "where_not": True})]
    plan = planner.plan("translate the non-English posts into English and leave the rest as they are", _reviews(tmp_path))
    assert [s.op for s in plan.steps] == ["llm_translate"] and plan.steps[0].params["where_not"] is True
    # without a language column, the rows kept are the detector's
    plain = _peek_rows(tmp_path / "plain.jsonl", [{"text": r["text"]} for r in _reviews(tmp_path).rows])
    plan = planner.plan("translate the non-English posts into English and keep just those", plain)
    assert _steps(plan)[0][0] == "lang_id" and plan.steps[0].params["drop_languages"] == ["en"]


def test_a_polite_keep_with_an_exception_drops_the_exception(tmp_path, planner):
    """T82 r05: "Can you give me everything ... from July 2024 onwards, except the pilsners?" exempted the pilsners
    from the date bound (35 rows, 11 pilsners) instead of leaving them out; without "Can you" it was right."""
    plan = planner.plan("Can you give me everything we brewed from July 2024 onwards, except the pilsners?",
                        _batches(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "beer_style", "drop_values": ["Pilsner"], "loose_labels": True}),
                            ("value_filter", {"column": "brew_date", "min": "2024-07-01"})]


def test_a_count_said_overall_is_not_grouped_by_its_siblings_column(tmp_path, planner):
    """T81 r03: "the average passenger count per route, and how many crossings got cancelled overall?" counted the
    cancelled crossings per route."""
    plan = planner.plan("what's the average passenger count per route, and how many crossings got cancelled overall? "
                        "just need the numbers", _crossings(tmp_path))
    assert [q["ask"] for q in plan.questions] == ["what's the average passenger count per route"]
    assert _steps(plan) == [("dataset_stats", {"domain_field": "cancelled"})]


def test_route_names_with_a_dash_are_labels_to_tidy(tmp_path, planner):
    """T81 r05: "tidy the route names (stray spaces, inconsistent capitals)" tidied `captain`: "Harbour Point -
    Kessock" counted four words with the dash, so `route` was no label column."""
    plan = planner.plan("- tidy the route names (stray spaces, inconsistent capitals)\n- drop the captain column",
                        _crossings(tmp_path))
    assert _steps(plan)[0] == ("normalize_labels", {"columns": ["route"]})


def test_junk_notes_shown_by_example_with_rows_spared_no_matter_what(tmp_path, planner):
    """T81 r04: "... basically empty or junk (like "ok", "-", "n/a", blank) - but keep all the cancelled sailings no
    matter what the note says" split the bracket at ", blank)", planned fineweb's punctuation rule ("basically" read as
    "almost the same") and lost the cancelled sailings."""
    plan = planner.plan('Hey, can you get rid of the rows where the skipper\'s note is basically empty or junk (like '
                        '"ok", "-", "n/a", blank) - but keep all the cancelled sailings no matter what the note says',
                        _crossings(tmp_path))
    spared = {"where_column": "cancelled", "where_values": [True], "where_not": True}
    assert _steps(plan) == [("junk_filter", {"text_field": "text", **spared}),
                            ("value_filter", {"column": "text", "drop_values": ["ok", "-", "n/a"], "loose_labels": True,
                                              **spared})]
    assert plan.unmatched == []


def test_genuine_short_texts_spared_while_junk_goes_plan_no_job_of_their_own(tmp_path, planner):
    """T81 r08: "Don't throw away the short genuine reviews ... though" refused junk_filter (and the two sentences of
    context were refused as jobs); T82 r08: "Keep genuine short questions though" planned llm_expand_context."""
    plan = planner.plan("I scraped these ferry reviews and there's loads of rubbish in there - nav menus, cookie "
                        "banners, click-here spam, that kind of thing. Can you clean that out? Don't throw away the short "
                        'genuine reviews like "Never again." though.', _reviews(tmp_path))
    assert [s.op for s in plan.steps] == ["junk_filter"] and plan.unmatched == []
    plan = planner.plan('Clean this forum dump up: drop menus, cookie banners, click-here spam and other boilerplate, '
                        'plus the one-word replies like "bump" or "+1". Keep genuine short questions though, those are '
                        'fine.', _reviews(tmp_path))
    assert "llm_expand_context" not in [s.op for s in plan.steps] and "junk_filter" in [s.op for s in plan.steps]


def test_a_column_saying_something_from_another_column_is_written_by_the_model(tmp_path, planner):
    """T81 r06, T82 r06: "add a column giving a short one-line reason for the delay based on the captain's remark"
    planned llm_annotate's default domain label; "add a short column saying in a few words what went wrong, based on
    the tasting note" planned sample_metrics."""
    plan = planner.plan("for the crossings that were 40+ minutes late, add a column giving a short one-line reason for "
                        "the delay based on the captain's remark", _crossings(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "delay_minutes", "min": 40.0}),
                            ("llm_rewrite", {"text_field": "text", "task": "tone",
                                             "style": "a short one-line reason for the delay",
                                             "output_field": "reason_delay"})]
    plan = planner.plan("For the imperial stouts that failed QC, add a short column saying in a few words what went "
                        "wrong, based on the tasting note", _batches(tmp_path))
    assert _steps(plan)[-1] == ("llm_rewrite", {"text_field": "text", "task": "tone",
                                                "style": "in a few words what went wrong", "output_field": "went_wrong"})


def test_a_percentage_bounds_the_column_of_percentages_its_word_names(tmp_path, planner):
    """T82 r02: "I only want the strong beers - 8% alcohol and up" was refused: a percentage bounded no column, `abv`
    was not named by "alcohol", and "and up" was split off as a job "up"."""
    plan = planner.plan("I only want the strong beers - 8% alcohol and up", _batches(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "abv", "min": 8.0})] and plan.unmatched == []
    # a percentage of nothing the data holds in percent stays a share of rows ("the top 10% by abv")
    assert _steps(planner.plan("keep the top 10% by abv", _batches(tmp_path)))[0][0] == "top_filter"


def test_a_columns_usual_abbreviation_names_it(tmp_path):
    """T82 r02: "8% alcohol and up" did not name `abv` (no prefix of "alcohol")."""
    from tilth.agent.params import column_mentions

    assert column_mentions("the strong beers, by alcohol", ["batch_id", "abv", "beer_style"]) == ["abv"]
    assert column_mentions("the order quantity", ["qty", "price"]) == ["qty"]


def _loans(tmp_path):
    return _peek_rows(tmp_path / "loans.jsonl", [
        {"request_id": f"ILL-{i:03d}", "branch": ("Riverside", "Hillcrest", "Old Town")[i % 3],
         "request_date": f"2024-{1 + i % 12:02d}-1{i % 9}", "days_waited": 5 + 3 * i, "fulfilled": i % 4 != 0,
         "fee": (0.0, 2.5, None, 5.0)[i % 4], "librarian_note": "Arrived from the county depot in good condition."}
        for i in range(24)])


def _posts(tmp_path):
    texts = ["Beautiful prose but very little happens; if you like quiet books about memory, this is for you.",
             "A gripping thriller that kept me up until two in the morning, the pacing is superb.",
             "Loved it!", "Un livre magnifique, je le recommande a tout le monde.", "meh",
             "Home | Books | Events | Login", "Click here to win a free e-reader!!! Click here now, offer ends soon"]
    return _peek_rows(tmp_path / "posts.jsonl", [
        {"post_id": i, "text": texts[i % 7], "source": ("newsletter", "forum", "goodreads")[i % 3],
         "lang": ("en", "en", "en", "fr", "en", "en", "en")[i % 7], "posted": f"2024-0{1 + i % 9}-12"} for i in range(28)])


def test_a_figure_said_on_each_takes_the_grouping_before_it(tmp_path, planner):
    """T83 r10: "how many reviews per platform, and what's the average star rating on each?" averaged every row."""
    plan = planner.plan("how many posts per source, and what's the average post id on each?", _posts(tmp_path))
    assert [q["sql"] for q in plan.questions] == ["SELECT source, avg(post_id) FROM output GROUP BY source ORDER BY source"]


def test_junk_with_short_genuine_texts_spared_plans_no_filter_that_drops_them(tmp_path, planner):
    """T84 r08 (gopher_repetition and c4_filter dropped 26 of 46 posts, "Loved it!" among them) and T83 r09 (C4's
    line rules emptied "Great app"; "garbage mixed into these app reviews" was refused as a job)."""
    for request in ['Can you get rid of the spammy stuff and page junk in here? Menus, "click here" ads, lorem ipsum, '
                    'cookie banners, that kind of thing. Short real reviews like "Loved it!" are fine, keep those.',
                    "There's a lot of spam and garbage mixed into these reviews - navigation menus, \"click here\" ads, "
                    "lorem ipsum, the same word over and over. Please strip that out, but don't throw away short genuine "
                    'reviews like "Great app" or "meh".']:
        plan = planner.plan(request, _posts(tmp_path))
        assert [s.op for s in plan.steps] == ["junk_filter"] and plan.unmatched == [], request


def test_a_count_of_languages_reads_the_datas_own_column(tmp_path, planner):
    """T84 r09: "how many aren't in English? ... leave the data as is" ran lid.176 over the posts (which overwrote
    `lang` and read "meh" as German: 5 instead of 4)."""
    plan = planner.plan("how many posts do we have from each source, and how many aren't in English? numbers only, "
                        "leave the data as is", _posts(tmp_path))
    assert _steps(plan) == [("dataset_stats", {"domain_field": "source"})]
    assert [q["sql"] for q in plan.questions] == ["SELECT count(*) FROM output WHERE lang IS NULL OR lang NOT IN ('en')"]


def test_the_date_in_a_list_of_columns_kept_is_the_one_dated_column(tmp_path, planner):
    """T84 r11: "4) keep just the text and the date" was read as a filter it could not place; nothing ran."""
    plan = planner.plan("1) English only 2) drop anything under 8 words 3) remove exact duplicate texts 4) keep just the "
                        "text and the date", _posts(tmp_path))
    assert _steps(plan)[-1] == ("select_columns", {"keep_columns": ["text", "posted"]}) and plan.unmatched == []


def test_a_keep_with_a_length_and_an_exception_plans_both(tmp_path, planner):
    """T84 r10: "keep posts with at least 15 words, but not the ones from the newsletter" refused 'at least 15 words'."""
    plan = planner.plan("keep posts with at least 15 words, but not the ones from the newsletter", _posts(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "source", "drop_values": ["newsletter"]}),
                            ("length_filter", {"min": 15, "unit": "words"})] and plan.unmatched == []


def test_above_zero_is_a_bound(tmp_path, planner):
    """T84 r05: "where the patron actually paid a fee (anything above zero)" was dropped without a word."""
    plan = planner.plan("hey, could you pull out just the loans requested in the second half of 2024 where the patron "
                        "actually paid a fee (anything above zero)? thanks!", _loans(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "fee", "min": 0.0, "min_exclusive": True}),
                            ("value_filter", {"column": "request_date", "min": "2024-07-01", "max": "2024-12-31"})]


def test_an_aside_that_says_what_is_compared_is_no_refusal(tmp_path, planner):
    """T84 r03: "- get rid of duplicate rows (the id doesn't count, same everything else = duplicate)" was split at its
    comma and read as a refusal of exact_dedup; a semantic dedup on the ids dropped 15 real requests, and the ids were
    lower-cased as labels."""
    loans = _loans(tmp_path)
    plan = planner.plan("clean this export up:\n- get rid of duplicate rows (the id doesn't count, same everything else "
                        "= duplicate)\n- tidy the branch names (trim the spaces, make the capitalisation consistent)", loans)
    dedup = next(s for s in plan.steps if s.op.endswith("dedup"))
    assert dedup.op == "exact_dedup" and "request_id" not in dedup.params["also_fields"]
    assert next(s for s in plan.steps if s.op == "normalize_labels").params["columns"] == ["branch"]
    assert not any("not planning" in n for n in plan.notes)


def test_a_cleanup_said_as_a_heading_and_junk_values_shown_in_brackets(tmp_path, planner):
    """T83 r05: "Hey, could you clean up the rental log for me? Get rid of rows where the rider didn't leave a real
    comment (blank, null, 'n/a', 'ok', keyboard mashing and that kind of junk), ..." refused the opener (exit 1) and
    kept the 'ok' rows it named."""
    plan = planner.plan("Hey, could you clean up the loan log for me? Get rid of rows where the librarian didn't leave a "
                        "real note (blank, null, 'n/a', 'ok', keyboard mashing and that kind of junk), but keep "
                        "everything else exactly as it is.", _loans(tmp_path))
    assert _steps(plan) == [("junk_filter", {"text_field": "text"}),
                            ("value_filter", {"column": "text", "drop_values": ["n/a", "ok", ""], "loose_labels": True})]
    assert plan.unmatched == []


def test_rows_without_a_language_said_are_named_in_a_note(tmp_path, planner):
    """Hostile-input check 85: "English only" on a `lang` column with some rows unlabelled dropped those rows
    without a word."""
    reviews = _reviews(tmp_path, lang_values=("en", None, "en", "de", "", "fr"))
    plan = planner.plan("English only", reviews)
    assert _steps(plan) == [("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True})]
    assert "some rows have no lang: a filter on it drops them, and a translation scoped by it takes them as not in " \
           "the target language" in plan.notes
    assert not any("some rows have no" in n for n in planner.plan("English only", _reviews(tmp_path)).notes)
