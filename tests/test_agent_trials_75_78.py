"""Newcomer trials 75-78 (session 28): requests written by helpers who never read the agent's rules (a vet clinic's
appointments and a pet forum; a hotel's room inspections and a museum's website comments; a plant nursery's orders;
school-bus incidents and cooking-video comments), each fixed misreading
pinned in the trial's own shape on small tables of the trial's kind."""

from __future__ import annotations

from trial_fixtures import peek_rows as _peek_rows

JUNK_POSTS = ["bump bump bump bump bump bump bump bump", "This post has been removed by a moderator.",
              "Home | Forums | Members | Login | Register | Help | Contact Us", "lol lol lol lol lol lol",
              "Click here to win a FREE year of pet food!!! Click here now, offer ends soon, click here",
              "Cheap designer collars best price buy now www.cheap-collars.example click here"]
SHORT_POSTS = ["thanks!", "cute", "+1", "same here"]




def _posts(tmp_path):
    genuine = ["Our budgie learned to say good morning this week, and now he will not stop saying it at dawn.",
               "Anyone else's dog eat grass every morning? The vet says it's fine but I still worry about it.",
               "Which litter do you all use? Clumping clay is so dusty and my cat sneezes every single time.",
               "Tip for new rabbit owners: hay should be most of the diet, pellets only a small handful a day.",
               "Il mio gatto dorme tutto il giorno sul divano e la notte corre per tutta la casa."]
    texts = genuine * 3 + JUNK_POSTS + SHORT_POSTS
    return _peek_rows(tmp_path / "forum_posts.jsonl", [
        {"post_id": f"p{i:03d}", "board": ("Cats", "Dogs", "Health & Vet", "Small Pets")[i % 4], "text": t,
         "posted_on": f"2024-0{1 + i % 8}-1{i % 9}"} for i, t in enumerate(texts)])


def _visits(tmp_path):
    return _peek_rows(tmp_path / "vet_appointments.jsonl", [
        {"appt_id": i, "species": ("Cat", "Dog", "Rabbit", "Guinea Pig")[i % 4], "vet": ("Dr. Moreau", "Dr. Okafor")[i % 2],
         "reason": ("vaccination", "dental", "check-up")[i % 3], "cost": 40.0 * (1 + i % 7),
         "visit_date": f"2024-{1 + i % 12:02d}-{10 + i % 18}", "follow_up": i % 3 == 0,
         "vet_note": "Healthy weight, teeth fine, booster due next spring.", "owner": f"Owner {i}"}
        for i in range(1, 25)])


def _inspections(tmp_path):
    return _peek_rows(tmp_path / "inspections.jsonl", [
        {"id": i, "room": 100 + i, "floor": 1 + i % 5, "inspector": ("Tom Becker", "Ana Ruiz")[i % 2],
         "score": None if i % 7 == 0 else 5 + i % 5, "issue": ("none", "stains", "dust")[i % 3],
         "inspected_on": f"2025-0{1 + i % 6}-1{i % 9}", "passed": i % 4 != 0,
         "comment": "Bathroom spotless, one towel missing, minibar restocked."} for i in range(1, 25)])


def _comments(tmp_path):
    return _peek_rows(tmp_path / "comments.jsonl", [
        {"comment_id": i, "text": "The lighting in the main hall made the paintings glow, a lovely afternoon out.",
         "exhibition": (None if i % 6 == 0 else ("Modern Design", "Ocean Giants", "Ancient Egypt")[i % 3]),
         "lang": "en", "posted": f"202{3 + i % 2}-0{1 + i % 9}-12"} for i in range(1, 25)])


def test_junk_listed_after_a_removal_is_one_junk_filter_that_spares_short_posts(tmp_path, planner):
    """T75 r08 planned gopher_quality with min_doc_words 7 (dropping the short posts it was told to keep) and read
    "the 'removed by a moderator' placeholders" as a template for llm_template_synthesis; nothing ran."""
    plan = planner.plan("can you clean out the junk? nav menus, spam with 'click here' in it, posts that are just the "
                        "same word over and over, and the 'removed by a moderator' placeholders. Don't drop a post "
                        "just for being short though.", _posts(tmp_path))
    assert [s.op for s in plan.steps] == ["junk_filter"]
    assert not plan.unmatched


def test_i_mean_lists_what_the_removal_before_takes(tmp_path, planner):
    """T76 r08: "I mean ..., and the one-word stuff like 'nice' or 'ok'" became a length filter keeping only one-word
    texts (max 1), and "Keep the genuine visitor feedback, even short ones if ..." was not understood (exit 1)."""
    plan = planner.plan("Can you clean out the junk from these website comments? I mean the menu/cookie banner text, "
                        "the 'click here' spam, and the one-word stuff like 'nice' or 'ok'. Keep the genuine visitor "
                        "feedback, even short ones if they actually say something.", _comments(tmp_path))
    assert [(s.op, {k: v for k, v in s.params.items() if k != "text_field"}) for s in plan.steps] == [
        ("junk_filter", {}), ("length_filter", {"min": 2, "unit": "words"})]
    assert not plan.unmatched


def test_not_about_a_label_drops_it(tmp_path, planner):
    """T76 r12: "not about Modern Design" kept only Modern Design (exit 0, 2 rows: exactly the group to exclude)."""
    plan = planner.plan("comments posted in 2024, at least 15 words long, not about Modern Design, and drop the lang "
                        "column", _comments(tmp_path))
    assert ("value_filter", {"column": "exhibition", "drop_values": ["Modern Design"]}) in [
        (s.op, s.params) for s in plan.steps]


def test_a_count_of_missing_values_after_and(tmp_path, planner):
    """T76 r10 refused "and how many have no exhibition at all" (the count query needed "how many" first)."""
    plan = planner.plan("how many comments per exhibition? and how many have no exhibition at all? just counts, "
                        "don't change the data", _comments(tmp_path))
    assert {"ask": "and how many have no exhibition at all",
            "sql": "SELECT count(*) FROM output WHERE exhibition IS NULL"} in plan.questions
    assert not plan.unmatched


def test_a_row_that_does_not_have_a_value_is_missing_it(tmp_path, planner):
    """T76 r02: "toss any inspection that doesn't have a score" was read as a refusal (negated by "doesn't") and
    ignored; 62 rows came back instead of 60."""
    plan = planner.plan("hey, this export has some rows in it twice, can you get rid of the duplicates? and toss any "
                        "inspection that doesn't have a score", _inspections(tmp_path))
    assert ("value_filter", {"column": "score", "keep_null": False}) in [(s.op, s.params) for s in plan.steps]
    assert [s.op for s in plan.steps if s.op.endswith("dedup")] == ["exact_dedup"]


def test_notes_by_another_name_are_the_comment_column(tmp_path, planner):
    """T76 r04: "drop the inspector notes and the floor column" ran c4_filter for "the inspector notes" and kept
    `comment`; the inspector column is whose notes they are, not a column to drop."""
    data = _inspections(tmp_path)
    plan = planner.plan("drop the inspector notes and the floor column, keep everything else as is", data)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("select_columns", {"drop_columns": ["text", "floor"]})]  # (the text column is `text` in the pipeline)


def test_a_second_verb_of_the_relative_clause_is_a_condition(tmp_path, planner):
    """T75 r02: "visits that cost more than 200 and need a follow-up" split "need a follow-up" off as a job
    nobody knows (reported, nothing ran)."""
    plan = planner.plan("keep only visits that cost more than 200 and need a follow-up", _visits(tmp_path))
    assert sorted((s.op, str(s.params)) for s in plan.steps) == sorted([
        ("value_filter", str({"column": "follow_up", "values": [True]})),
        ("value_filter", str({"column": "cost", "min": 200.0, "min_exclusive": True}))])
    assert not plan.unmatched


def test_a_date_range_after_could_you_and_a_list_of_columns_by_loose_names(tmp_path, planner):
    """T75 r04: "could you give me just the appointments from the summer (June through August 2024)" gave a date
    filter without bounds (validation removed it), and "the species, the date and the price columns" named none."""
    plan = planner.plan("Hey, could you give me just the appointments from the summer (June through August 2024) and "
                        "only keep the species, the date and the price columns?", _visits(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "visit_date", "min": "2024-06-01", "max": "2024-08-31"}),
        ("select_columns", {"keep_columns": ["species", "cost", "visit_date"]})]


def test_a_label_with_an_ampersand_and_a_language_beside_it(tmp_path, planner):
    """T75 r09: "only English posts from the Health & Vet board" split at "&" and kept board = 'Vet' (no such
    board: the run was refused); a language beside a label is a language filter too."""
    plan = planner.plan("only English posts from the Health & Vet board", _posts(tmp_path))
    assert [(s.op, s.params.get("languages") or s.params) for s in plan.steps] == [
        ("lang_id", ["en"]), ("value_filter", {"column": "board", "values": ["Health & Vet"]})]


def test_translating_only_other_languages_trusts_the_detector_on_short_posts(tmp_path, planner):
    """T75 r12: 'thanks!' and '+1' went to the model (lid.176 is unsure on a word or two, under the 0.65 bar), which
    rewrote English posts."""
    plan = planner.plan("translate the posts that aren't in English into English; leave the English ones as they are",
                        _posts(tmp_path))
    step = next(s for s in plan.steps if s.op == "llm_translate")
    assert step.params.get("min_score") == 0.0 and step.params.get("only_other_languages", True)


def test_the_case_the_examples_turn_into(tmp_path, planner):
    """T75 r06: "fix the casing so 'cat ', 'CAT' become 'Cat', 'Guinea  Pig' becomes 'Guinea Pig'" lower-cased every
    label (the examples before "become" are the wrong spellings)."""
    plan = planner.plan("- tidy up the species labels (trim spaces, fix the casing so 'cat ', 'CAT' become 'Cat', "
                        "'Guinea  Pig' becomes 'Guinea Pig')\n- drop rows that have no species", _visits(tmp_path))
    step = next(s for s in plan.steps if s.op == "normalize_labels")
    assert step.params == {"columns": ["species"], "case": "title"}


def test_the_export_leaves_out_scores_nobody_asked_for():
    """T75 r05, T76 r05 and r04: `length_words`, `c4_*` and the like came back in the exported file ("keep everything
    else as is"). A filter's scores stay in the workspace; the export leaves them out unless the filter only
    measures, a later step reads them, the request names them or the data had the column before."""
    from tilth.agent.plan import Plan, PlanStep

    def plan(request, *steps, keep_all=False):
        return Plan(request=request, name="p", input={"path": "x.jsonl"}, keep_all_rows=keep_all,
                    steps=[PlanStep(op=op, params=params) for op, params in steps])

    assert plan("drop junk and short notes", ("junk_filter", {}), ("length_filter", {"min": 2})).unasked_scores() \
        == ["junk", "length_words"]
    assert plan("tag each row with its language", ("lang_id", {"languages": [], "min_score": 0.0})).unasked_scores() == []
    assert plan("english only", ("lang_id", {"languages": ["en"]})).unasked_scores() == ["lang", "lang_score"]
    assert plan("english only", ("lang_id", {"languages": ["en"]})).unasked_scores(("text", "lang")) == ["lang_score"]
    assert plan("short ones out, then keep length_words under 50", ("length_filter", {"min": 3}),
                ("value_filter", {"column": "length_words", "max": 50})).unasked_scores() == []
    assert plan("keep everything", ("length_filter", {"min": 3}), keep_all=True).unasked_scores() == []
    assert plan("drop short ones and show me length_words", ("length_filter", {"min": 3})).unasked_scores() == []


def _incidents(tmp_path):
    kinds = ("Flat Tire", "flat tire", "Mechanical Fault", "MECHANICAL FAULT", "Traffic Jam", "late start")
    return _peek_rows(tmp_path / "incidents.jsonl", [
        {"incident_id": f"INC{i:03d}", "route": f"R{1 + i % 4}", "incident_type": kinds[i % 6], "delay_min": 5 + i,
         "date": f"2025-{1 + i % 12:02d}-0{1 + i % 9}", "resolved": i % 3 == 0, "remark": "Bus left the depot late."}
        for i in range(24)])


def _video_comments(tmp_path):
    videos = ("Grandma's Lasagna", "Vegan Chocolate Cake", "5-Minute Garlic Noodles")
    return _peek_rows(tmp_path / "comments.jsonl", [
        {"comment_id": f"c{i:03d}", "text": "Made this tonight and the whole family loved it, thank you!",
         "video": videos[i % 3], "lang": "en", "posted": f"2025-{1 + i % 9:02d}-1{i % 9}"} for i in range(24)])


def _orders(tmp_path):
    return _peek_rows(tmp_path / "orders.jsonl", [
        {"order_id": 1000 + i, "plant": ("Japanese Maple", "Lavender", "Hosta")[i % 3], "qty": 1 + i % 9,
         "unit_price": 8.5 + 4 * (i % 7), "region": ("Scotland", "Wales", "Midlands", "London")[i % 4],
         "customer": f"Customer {i}", "note": "Please leave the parcel by the shed door."} for i in range(24)])


def test_the_verbless_rest_of_an_exception_list_goes_too(tmp_path, planner):
    """T78 R05: "Everything except flat tires and mechanical faults" dropped the flat tires only (59 rows for 42): the
    second label was read as rows the first removal leaves alone."""
    plan = planner.plan("Everything except flat tires and mechanical faults, please.", _incidents(tmp_path))
    assert [(s.op, sorted(s.params.get("drop_values", []))) for s in plan.steps] == [
        ("value_filter", ["Flat Tire", "MECHANICAL FAULT", "Mechanical Fault", "flat tire"])]


def test_from_a_month_on_and_a_label_said_by_one_of_its_words(tmp_path, planner):
    """T78 R11: "from April 2025 on" kept April only, and "except the ones under the lasagna video" (the video is
    "Grandma's Lasagna") was ignored: 11 rows for 29."""
    plan = planner.plan("keep comments posted from April 2025 on, except the ones under the lasagna video",
                        _video_comments(tmp_path))
    assert sorted((s.op, str(s.params)) for s in plan.steps) == sorted([
        ("value_filter", str({"column": "posted", "min": "2025-04-01"})),
        ("value_filter", str({"column": "video", "drop_values": ["Grandma's Lasagna"]}))])


def test_a_count_of_rows_not_in_a_language(tmp_path, planner):
    """T78 R10: "how many of all comments aren't in English?" counted the English ones (lang IN ('en'))."""
    plan = planner.plan("how many comments does each video have, and how many of all comments aren't in English?",
                        _video_comments(tmp_path))
    assert "SELECT count(*) FROM output WHERE lang IS NULL OR lang NOT IN ('en')" in [q["sql"] for q in plan.questions]


def test_a_count_of_things_bought_is_the_quantity_not_the_id(tmp_path, planner):
    """T77 r04: "orders of 5 or more plants" became order_id >= 5 (every order passed: 30 rows for 11)."""
    plan = planner.plan("keep orders of 5 or more plants where the price per plant is under 30", _orders(tmp_path))
    assert sorted((s.op, str(s.params)) for s in plan.steps) == sorted([
        ("value_filter", str({"column": "qty", "min": 5.0})),
        ("value_filter", str({"column": "unit_price", "max": 30.0, "max_exclusive": True}))])


def test_leave_out_a_column_after_an_exception(tmp_path, planner):
    """T77 r05: "..., and leave out the customer column" after "except the ones going to Scotland or Wales" was taken
    for the exception said again (they share "the") and dropped without a note."""
    plan = planner.plan("I want every order except the ones going to Scotland or Wales, and leave out the customer "
                        "column", _orders(tmp_path))
    assert ("select_columns", {"drop_columns": ["customer"]}) in [(s.op, s.params) for s in plan.steps]
    assert not plan.unmatched


def test_a_column_named_by_its_unit_in_words(tmp_path, planner):
    """T78 R04: "get rid of the extra kilometres column" did not name `extra_km` (refused, exit 1)."""
    data = _peek_rows(tmp_path / "trips.jsonl", [
        {"incident_id": i, "date": f"2025-{1 + i % 12:02d}-1{i % 9}", "extra_km": 0.5 * i, "delay_min": i,
         "remark": "Detour around the closed bridge."} for i in range(24)])
    plan = planner.plan("keep October 2025 only and get rid of the extra kilometres column", data)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "date", "min": "2025-10-01", "max": "2025-10-31"}),
        ("select_columns", {"drop_columns": ["extra_km"]})]


def test_units_sold_is_the_quantity_and_a_leading_question_motivates(tmp_path, planner):
    """T77 r03: "Which plants sell best? Just give me total units sold per plant and the average unit price per plant
    — I don't need a cleaned dataset." refused the question, summed unit_price for "units" and lost the average
    (the clause after the em dash was read as its refusal)."""
    plan = planner.plan("Which plants sell best? Just give me total units sold per plant and the average unit price "
                        "per plant — I don't need a cleaned dataset.", _orders(tmp_path))
    sqls = [q["sql"] for q in plan.questions]
    assert len(sqls) == 2 and "sum(qty)" in sqls[0] and "avg(unit_price)" in sqls[1]
    assert plan.keep_all_rows and not plan.unmatched


def test_an_exception_said_with_a_verb_of_the_rows_and_a_column_by_its_abbreviation(tmp_path, planner):
    """Trial 80 (after this round's fixes): "except the ones that started at the Airport" kept only the Airport trips
    (9 rows for 38); "drop the language column" did not name `lang` (refused)."""
    trips = _peek_rows(tmp_path / "trips.jsonl", [
        {"trip_id": i, "station": ("Airport", "Central", "Harbour")[i % 3], "distance_km": 3.5 * i,
         "trip_date": f"2024-{1 + i % 12:02d}-1{i % 9}", "comment": "Clean car, smooth ride."} for i in range(24)])
    plan = planner.plan("Keep trips from April 2024 onwards, except the ones that started at the Airport.", trips)
    assert sorted((s.op, str(s.params)) for s in plan.steps) == sorted([
        ("value_filter", str({"column": "station", "drop_values": ["Airport"]})),
        ("value_filter", str({"column": "trip_date", "min": "2024-04-01"}))])
    reviews = _peek_rows(tmp_path / "reviews.jsonl", [
        {"review_id": i, "review": "Great game night staple, the kids ask for it every week.",
         "product": ("Catan", "Azul", "Wingspan")[i % 3], "lang": "en", "date": f"2024-0{1 + i % 9}-1{i % 9}"}
        for i in range(24)])
    plan = planner.plan("I need the reviews about Catan or Azul only, and drop the language column from the output.",
                        reviews)
    assert ("select_columns", {"drop_columns": ["lang"]}) in [(s.op, s.params) for s in plan.steps]
