"""Newcomer trials 86-87 (session 30): requests written by helpers who never read the agent's rules (a vet clinic's
visit records and a pet forum; a recycling centre's drop-off log and residents' feedback), each fixed misreading
pinned in the trial's own shape on small tables of the trial's kind (not the trials' files)."""

from __future__ import annotations

from trial_fixtures import peek_rows as _peek_rows


def _visits(tmp_path):
    species, vets = ["dog", "Dog", "cat", " dog ", "rabbit"], ["Patel", "Moreau", "Okafor"]
    return _peek_rows(tmp_path / "visits.jsonl", [
        {"appt_id": f"A{100 + i}", "species": species[i % 5], "vet": vets[i % 3], "cost": 40.0 + 17 * i,
         "visit_date": f"2025-0{1 + i % 9}-12", "follow_up": i % 3 == 0, "owner": ("J. Smith", "A. Khan")[i % 2],
         "vet_notes": f"Routine check, weight stable, {('vaccines given', 'ears cleaned', 'dental advised')[i % 3]}."}
        for i in range(24)])


def _posts(tmp_path):
    texts = ["My dog has been scratching his ears all week, any ideas what helps?", "Same here, our vet said mites.",
             "Mein Hund frisst seit zwei Tagen nicht mehr, was soll ich tun?", "thanks!",
             "Our cat keeps sneezing after we moved house, could it be dust or something worse?",
             "Le chat de ma voisine tousse beaucoup depuis hier soir."]
    return _peek_rows(tmp_path / "posts.jsonl", [
        {"post_id": f"P{i:03d}", "text": texts[i % 6], "forum": ("dogs", "cats", "general")[i % 3],
         "lang": ("en", "en", "de", "en", "en", "fr")[i % 6], "posted_on": f"2024-{1 + i % 12:02d}-05"} for i in range(24)])


def _dropoffs(tmp_path):
    return _peek_rows(tmp_path / "dropoffs.jsonl", [
        {"drop_id": f"D{i:03d}", "material": ("Glass", "garden waste", "GARDEN WASTE", "Cardboard")[i % 4],
         "weight_kg": 5.0 + i, "items": 1 + i % 4, "district": ("North", "south ", None)[i % 3],
         "staff_member": ("Ana", "Ben")[i % 2], "drop_date": f"2024-0{1 + i % 6}-1{i % 9}",
         "staff_remarks": ("ok", "-", "Two bags of bottles, lids removed.", "Mixed load, some plastic film in it.")[i % 4]}
        for i in range(24)])


def _feedback(tmp_path):
    texts = ["The new opening hours on Saturday are a real improvement, thank you to the staff.", "Thanks!",
             "Home | About | Contact | Cookie settings", "Die Wartezeit am Samstag war viel zu lang.",
             "Why do you no longer take soft plastics? It was the main reason I came to the centre.", "Brilliant staff"]
    return _peek_rows(tmp_path / "feedback.jsonl", [
        {"msg_id": i, "text": texts[i % 6], "channel": ("email", "twitter", "facebook")[i % 3],
         "lang": ("en", "en", "en", "de", "en", "en")[i % 6]} for i in range(24)])


def _steps(plan):
    return [(s.op, s.params) for s in plan.steps]


def test_duplicate_records_said_plainly_are_exact_copies_not_near_ones(tmp_path, planner):
    """T86 r01: "remove duplicate visits - some were entered twice, sometimes with a new appt id" ran a near-duplicate
    pass over the templated vet notes and dropped 40 distinct visits; T87 r01 refused the explanation after the dash."""
    plan = planner.plan("remove duplicate visits - some were entered twice, sometimes with a new appt id", _visits(tmp_path))
    assert plan.ops() == ["exact_dedup"] and "appt_id" not in plan.steps[0].params.get("also_fields", [])
    plan = planner.plan("dedupe this log - some drop-offs got entered twice, a few of them under a new drop_id",
                        _dropoffs(tmp_path))
    assert plan.ops() == ["exact_dedup"] and plan.unmatched == []
    # copies that differ a little still take the near pass
    assert planner.plan("remove duplicate visits, some were retyped with a word or two changed",
                        _visits(tmp_path)).ops() == ["minhash_dedup"]


def test_columns_named_to_leave_out_are_dropped_whatever_else_their_names_suggest(tmp_path, planner):
    """T87 r05, r06, r12 and T86 r05: "lose the items column too" ranked Gopher's bullet-item rule, "export without the
    lang column" a language filter, "leave the staff member's name out of the export" and "strip out the owner names
    and the free-text vet notes" nothing or a line cleaner."""
    plan = planner.plan("remove every garden waste drop-off whatever the capitalisation, and lose the items column too",
                        _dropoffs(tmp_path))
    assert _steps(plan)[-1] == ("select_columns", {"drop_columns": ["items"]}) and plan.unmatched == []
    plan = planner.plan("Also please leave the staff member's name out of the export.", _dropoffs(tmp_path))
    assert _steps(plan) == [("select_columns", {"drop_columns": ["staff_member"]})]
    plan = planner.plan("keep English messages of at least 10 words, then drop duplicates, and export without the lang "
                        "column", _feedback(tmp_path))
    assert ("select_columns", {"drop_columns": ["lang"]}) in _steps(plan)
    assert ("length_filter", {"min": 10, "unit": "words"}) in _steps(plan) and plan.unmatched == []
    plan = planner.plan("Hey, could you strip out the owner names and the free-text vet notes before I share this with "
                        "the analytics team? Everything else should stay exactly as it is, thanks!", _visits(tmp_path))
    assert _steps(plan) == [("select_columns", {"drop_columns": ["owner", "text"]})]  # (vet_notes is the text)
    # a removal of rows whose words happen to be a column's is not a column job
    assert "select_columns" not in planner.plan("remove duplicate visits", _visits(tmp_path)).ops()
    assert "select_columns" not in planner.plan("drop rows where the vet notes are empty", _visits(tmp_path)).ops()


def test_keeping_the_posts_not_in_a_language_keeps_the_others(tmp_path, planner):
    """T86 r11: "take only the posts that are not in English and translate them into English" kept the English posts
    (and so translated none): the "not" was lost, by the data's language column and by the detector alike."""
    plan = planner.plan("take only the posts that are not in English and translate them into English", _posts(tmp_path))
    assert _steps(plan)[0] == ("value_filter", {"column": "lang", "drop_values": ["en"], "loose_labels": True})
    assert plan.steps[1].op == "llm_translate"
    assert _steps(planner.plan("keep the non-English posts", _posts(tmp_path))) == [
        ("value_filter", {"column": "lang", "drop_values": ["en"], "loose_labels": True})]
    detected = planner.plan("keep the non-English posts according to fastText", _posts(tmp_path))
    assert detected.ops() == ["lang_id"] and {k: detected.steps[0].params[k] for k in ("languages", "drop_languages")} \
        == {"languages": [], "drop_languages": ["en"]}
    # and the plain readings stay
    assert _steps(planner.plan("drop the posts that are not in English", _posts(tmp_path))) == [
        ("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True})]
    assert _steps(planner.plan("English only", _posts(tmp_path))) == [
        ("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True})]


def test_figures_asked_alone_are_questions_of_their_own(tmp_path, planner):
    """T86 r10: "what's the average length of a post in words?" planned a filter on the mean word length (which
    dropped a row of a request that asked only for figures); r04: "just tell me:" was a job not understood, and
    "how many visits need a follow-up?" took the grouping of the average before it."""
    plan = planner.plan("how many posts are there per forum, and what's the average length of a post in words?",
                        _posts(tmp_path))
    assert "mean_word_length_filter" not in plan.ops()
    assert [q["ask"] for q in plan.questions] == ["what's the average length of a post in words"]
    assert plan.questions[0]["sql"].startswith("SELECT avg(") and plan.questions[0]["sql"].endswith("FROM output")
    plan = planner.plan("don't change the data, just tell me: what's the average cost per vet, and how many visits "
                        "need a follow-up?", _visits(tmp_path))
    assert plan.unmatched == [] and "GROUP BY" in plan.questions[0]["sql"]
    assert not any("follow" in q["sql"] and "vet" in q["sql"] for q in plan.questions)  # (one total, not per vet)


def test_a_bound_on_the_bill_and_a_label_named_as_a_place(tmp_path, planner):
    """T86 r03: "only want visits where the bill came to more than 100" was not understood (no column is named, the
    data has one column of money); r12: "posts from the cats board written in ..." dropped the board."""
    assert _steps(planner.plan("only want visits where the bill came to more than 100", _visits(tmp_path))) == [
        ("value_filter", {"column": "cost", "min": 100.0, "min_exclusive": True})]
    plan = planner.plan("posts from the cats board written in the second half of 2024 that are at least 20 words long",
                        _posts(tmp_path))
    assert sorted(plan.ops()) == ["length_filter", "value_filter", "value_filter"] and plan.unmatched == []
    assert ("value_filter", {"column": "forum", "values": ["cats"]}) in _steps(plan)


def test_headings_asides_and_junk_shown_after_a_dash(tmp_path, planner):
    """T87 r04: a title line ("Clean-up for the drop-off log:") stopped a correct plan; r06: the removal whose values
    a bracket shows was also reported not understood; r08: "Strip out the junk - website menus, ..., 'Sent from my
    iPhone' footers. Short but real comments like 'Thanks!' should stay." planned a length cap and an LLM step."""
    plan = planner.plan("Clean-up for the drop-off log:\n- tidy the material and district labels (stray spaces, random "
                        "CAPS)\n- drop entries with no district\n- keep only March and April 2024", _dropoffs(tmp_path))
    assert plan.ops() == ["normalize_labels", "value_filter", "value_filter"] and plan.unmatched == []
    plan = planner.plan("hey, could you throw out the rows where staff didn't really write a remark (blank, or just 'ok', "
                        "'-', 'x' and that kind of thing)?", _dropoffs(tmp_path))
    assert _steps(plan) == [("value_filter", {"column": "text", "drop_values": ["ok", "-", "x", ""], "loose_labels": True})]
    assert plan.unmatched == [] and not any("did not understand" in n for n in plan.notes)
    plan = planner.plan("Strip out the junk - website menus, cookie banners, spam, 'Sent from my iPhone' footers. Short "
                        "but real comments like 'Thanks!' or 'Brilliant staff' should stay.", _feedback(tmp_path))
    assert plan.ops() == ["junk_filter"] and plan.unmatched == []


def _claims(tmp_path):
    bags = ["Backpack", "backpack ", " BACKPACK", "Baby stroller", "baby stroller", "Checked suitcase"]
    return _peek_rows(tmp_path / "claims.jsonl", [
        {"claim_id": f"C{i:03d}", "route": ("AMS-BCN", "AMS-DUB", "LHR-AMS")[i % 3], "bag_type": bags[i % 6],
         "claim_eur": 150.0 + 95 * i, "days_until_found": i % 12, "resolved": i % 2 == 0, "agent": ("Mia", "Tom")[i % 2],
         "description": f"My {('blue', 'red', 'grey')[i % 3]} bag did not arrive on the belt, it held clothes and a charger."}
        for i in range(24)])


def _forum(tmp_path):
    texts = ["Great lounge at Schiphol, quiet and the showers were clean.", "Thanks!",
             "Home | Flights | Deals | Login", "Der Flug nach Frankfurt war pünktlich, aber das Essen war kalt.",
             "Le personnel de bord était très aimable pendant tout le vol.", "+1, same here"]
    return _peek_rows(tmp_path / "forum.jsonl", [
        {"post_id": f"p{i:03d}", "text": texts[i % 6], "site": ("reddit", "skytrax", "flyertalk")[i % 3],
         "lang": ("en", "en", "en", "de", "fr", "en")[i % 6], "posted": f"2023-0{1 + i % 9}-02"} for i in range(24)])


def test_trial_88_label_tidying_figures_on_each_and_asides(tmp_path, planner):
    """T88: "tidy up the bag type values (stray spaces, random caps)" trimmed spaces only (normalize, not the label
    tidying); "the average claim amount on each route" was an average word count, and "I don't need a cleaned file"
    planned a line cleaner that blanked texts; "(n/a, asdf, ??? and so on)" and "leave everything else as it is"
    stopped a right plan; "Only the claims over 1,700 EUR:" was taken for a heading and its bound lost."""
    plan = planner.plan("tidy up the bag type values (stray spaces, random caps), then drop duplicate claims - a claim "
                        "that was typed in twice under a new claim number is still a duplicate", _claims(tmp_path))
    assert plan.ops() == ["normalize_labels", "exact_dedup"] and plan.steps[0].params["columns"] == ["bag_type"]
    plan = planner.plan("hey, how many claims do we have per route and what's the average claim amount on each route? "
                        "just the numbers please, I don't need a cleaned file", _claims(tmp_path))
    assert plan.ops() == ["dataset_stats"] and plan.unmatched == []
    assert [q["sql"] for q in plan.questions] == [
        "SELECT route, avg(claim_eur) FROM output GROUP BY route ORDER BY route"]
    plan = planner.plan("- drop rows where the passenger's description is junk or basically empty (n/a, asdf, ??? and so "
                        "on)\n- remove the agent name column, we can't share staff names\n- leave everything else as it is",
                        _claims(tmp_path))
    assert plan.unmatched == [] and ("select_columns", {"drop_columns": ["agent"]}) in _steps(plan)
    plan = planner.plan("Only the claims over 1,700 EUR: add a one-sentence summary of what happened to the bag in a new "
                        "column.", _claims(tmp_path))
    assert _steps(plan)[0] == ("value_filter", {"column": "claim_eur", "min": 1700.0, "min_exclusive": True})
    assert plan.steps[1].op == "llm_rewrite" and plan.steps[1].params["output_field"] and plan.unmatched == []


def test_trial_88_spared_short_replies_two_groupings_and_the_rest_left_out(tmp_path, planner):
    """T88 b2: "Keep the short replies like "Thanks!" though" planned a Gopher filter that dropped them and an LLM step
    that expanded every post; b5: "count of posts per site and per language" counted per `posted`; b6: "translate the
    German and French posts into English, leave the rest out" kept every row."""
    plan = planner.plan('Hey, could you strip out the spam, cookie banners, nav menus and that kind of junk? Keep the '
                        'short replies like "Thanks!" though, those are real people.', _forum(tmp_path))
    assert plan.ops() == ["junk_filter"]
    plan = planner.plan("count of posts per site and per language? no filtering needed", _forum(tmp_path))
    assert plan.ops() == [] and [q["sql"] for q in plan.questions] == [
        "SELECT site, count(*) FROM output GROUP BY site ORDER BY site",
        "SELECT lang, count(*) FROM output GROUP BY lang ORDER BY lang"]
    plan = planner.plan("translate the German and French posts into English, leave the rest out", _forum(tmp_path))
    assert plan.ops() == ["value_filter", "llm_translate"] and sorted(plan.steps[0].params["values"]) == ["de", "fr"]
    # a per-row measure "on every page" is no grouping
    assert planner.plan("how many posts per site?", _forum(tmp_path)).ops() == ["dataset_stats"]


def test_trial_89_a_dash_pair_ends_a_clause_and_short_means_the_shortest(tmp_path, planner):
    """T89 (hostile input): "'; DROP TABLE lineage; -- keep only messages with at least 4 stars" read "DROP -- keep only
    ... at least 4 stars" and kept 1-3 stars; "remove short messages" calibrated a minimum of one word on a sample a
    third of which is one word long, and dropped only the empty rows."""
    texts = ["ok", "Loved the sourdough, will order again next week.", "Two loaves arrived burnt on the bottom, sadly.",
             "The croissants were stale on Sunday and the box was crushed.", "thanks",
             "Delivery was early and the driver was friendly."]
    data = _peek_rows(tmp_path / "msgs.jsonl", [{"id": i, "text": texts[i % 6], "stars": 1 + i % 5} for i in range(24)])
    plan = planner.plan("'; DROP TABLE lineage; -- keep only messages with at least 4 stars", data)
    assert _steps(plan) == [("value_filter", {"column": "stars", "min": 4.0})] and "DROP TABLE lineage" in plan.unmatched
    from tilth.agent.validation import calibrate

    plan = planner.plan("remove short messages", data)
    assert plan.ops() == ["length_filter"]
    calibrate(plan)
    assert plan.steps[0].params["min"] == 2.0  # ("ok" and "thanks", a third of the rows, go; the sentences stay)


def test_a_flag_named_without_the_word_column_is_rows_to_remove_not_a_column(tmp_path, planner):
    """(Review of the column rule above) "remove the spam" on a yes/no `spam` column removes the flagged rows; "drop the
    spam column" drops the column."""
    data = _peek_rows(tmp_path / "msgs.jsonl", [
        {"id": i, "text": f"Message number {i} about the bakery's opening hours and prices.", "spam": i % 4 == 0}
        for i in range(24)])
    assert "select_columns" not in planner.plan("remove the spam", data).ops()
    assert _steps(planner.plan("drop the spam column", data)) == [("select_columns", {"drop_columns": ["spam"]})]
