"""Newcomer trials 67-68 (session 27): requests written by helpers who never read the agent's rules, each fixed
misreading pinned in the trial's own shape on small tables of the trial's kind."""

from __future__ import annotations

import pytest
from trial_fixtures import peek_rows as _peek_rows


def _repairs(tmp_path):
    return _peek_rows(tmp_path / "repairs.jsonl", [
        {"id": i, "station": ("Central", "Harbour", "Park")[i % 3], "parts_cost": round(1.5 * i, 2),
         "minutes_spent": 5 * i, "fixed_first_visit": i % 2 == 0, "reported_date": f"2024-0{1 + i % 9}-1{i % 9}",
         "complaint": f"The dock at stop {i} would not release the bike even though the app said it was unlocked."}
        for i in range(1, 21)])


def test_a_deduplicator_needs_words_that_say_rows_repeat(tmp_path, planner):
    """'drop the requests that already have a substitute' planned semantic_dedup (its phrasings scored 0.64): nothing
    said repeats, so no deduplicator is planned and the clause is reported instead."""
    subs = _peek_rows(tmp_path / "subs.jsonl", [
        {"id": i, "school": ("Oak Ridge", "Lincoln")[i % 2], "hours": 7.5, "filled_by": ("Priya", None)[i % 2],
         "principal_note": "Art supplies are in the back closet. Please wash the brushes."} for i in range(20)])
    plan = planner.plan("drop the requests that already have a substitute", subs)
    assert not any(s.op.endswith("dedup") for s in plan.steps)
    assert plan.unmatched == ["drop the requests that already have a substitute"]
    # words of repetition anywhere in the request still plan one
    plan = planner.plan("Lots of these notes are reposted. Keep one note from each bunch.", subs)
    assert [s.op for s in plan.steps if s.op.endswith("dedup")]


def test_a_number_after_over_is_a_bound_not_a_grouping(tmp_path, planner):
    """'show me repairs over 30 minutes' counted rows per minutes_spent (GROUPING read 'over 30 minutes' as
    'over <column>') and left the bound unused."""
    plan = planner.plan("show me repairs over 30 minutes", _repairs(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [("value_filter", {"column": "minutes_spent", "min": 31.0})]
    assert not plan.unmatched


@pytest.mark.parametrize("request_, sql", [
    ("how many repairs took over 30 minutes?", "SELECT count(*) FROM output WHERE minutes_spent >= 31.0"),
    ("how many repairs cost more than 2 euros?", "SELECT count(*) FROM output WHERE parts_cost > 2.0"),
    ("how many repairs were reported after May 2024?",
     "SELECT count(*) FROM output WHERE reported_date >= '2024-06-01'"),
    ("how many repairs took over 30 minutes per station?",
     "SELECT station, count(*) FROM output WHERE minutes_spent >= 31.0 GROUP BY station ORDER BY station"),
])
def test_a_count_of_the_rows_within_a_bound_is_a_question(tmp_path, planner, request_, sql):
    """'how many repairs took over 30 minutes?' was not understood (no grouping, so no count query); with a grouping,
    'took' was a word no bound says, so the query had a <...> placeholder for the user to complete."""
    plan = planner.plan(request_, _repairs(tmp_path))
    assert plan.questions == [{"ask": request_.rstrip("?"), "sql": sql}]
    assert not plan.steps and not plan.unmatched


def _rentals(tmp_path):
    return _peek_rows(tmp_path / "rentals.jsonl", [
        {"rental_id": i, "station": ("Old Town", "Harbour")[i % 2], "duration_min": 10 + i, "price": 2.5 + i,
         "rental_date": f"2024-0{1 + i % 9}-15", "member": i % 3 == 0, "rider": f"Rider {i % 7}",
         "comment": "Smooth ride along the river, the brakes were a bit soft."} for i in range(20)])


def _posts(tmp_path):
    return _peek_rows(tmp_path / "posts.jsonl", [
        {"post_id": i, "text": ("My first batch of pale ale finished at 1.014 and tastes a bit thin, so I will mash "
                                f"warmer next time. Batch {i}." if i % 4 else "Home | Forum | Recipes | Login"),
         "section": ("Beginners", "Recipes")[i % 2], "posted": f"2024-0{1 + i % 9}-0{1 + i % 9}"} for i in range(20)])


def test_a_concession_in_brackets_says_what_is_not_compared_and_the_list_goes_on(tmp_path, planner):
    """Trial 67: "(identical rows, even if the rental id differs)" removed everything after "even if", the next
    bullets included: one step of three ran, with the id in the dedup key, and exit 0."""
    plan = planner.plan("- get rid of duplicate rentals (identical rows, even if the rental id differs)\n"
                        "- drop the rider name column\n- only keep rides from June 1st 2024 onwards", _rentals(tmp_path))
    ops = {s.op: s.params for s in plan.steps}
    assert set(ops) == {"exact_dedup", "select_columns", "value_filter"} and not plan.unmatched
    assert "rental_id" not in ops["exact_dedup"]["also_fields"] and "station" in ops["exact_dedup"]["also_fields"]
    assert ops["select_columns"] == {"drop_columns": ["rider"]}
    assert ops["value_filter"] == {"column": "rental_date", "min": "2024-06-01"}
    assert not any("no column" in n for n in plan.notes)  # ("the rider name column": rider, which holds names)


@pytest.mark.parametrize("request_", [
    'Could you clean out the junk: nav menus, "bump bump" posts, and anything shorter than 5 words? '
    'Keep the real discussions.',
    'The scraper picked up a lot of site navigation and "click here" stuff along with the real posts. Can you throw '
    'that out, and anything under 5 words as well?',
    "clean out posts shorter than 5 words",
])
def test_a_length_said_after_a_removal_is_removed(tmp_path, planner, request_):
    """Trials 67 and 68: "clean out" was no removal verb, a list under "clean out the junk:" was read as a goal's
    details, and "throw that out" passed on "throw" alone: "anything shorter than 5 words" became keep at most 4."""
    plan = planner.plan(request_, _posts(tmp_path))
    length = [s.params for s in plan.steps if s.op == "length_filter"]
    assert length == [{"min": 5, "unit": "words"}]
    assert "Keep the real discussions" not in plan.unmatched  # (what the removals leave, said again)


def test_a_value_filter_that_would_decide_nothing_is_not_planned(tmp_path, planner):
    """Trial 67 (found on the way): "drop spam posts" matched value_filter's "drop records whose label is spam" and
    set column `posted` (from "posts") with no bound: a filter keeping every row."""
    plan = planner.plan("drop spam posts", _posts(tmp_path))
    assert plan.steps and all(s.op != "value_filter" for s in plan.steps)


def _feedback(tmp_path):
    return _peek_rows(tmp_path / "feedback.jsonl", [
        {"id": i, "branch": ("Old  Town", " Northside", "Riverside", "Northside", "RIVERSIDE")[i % 5],
         "treatment": ("root canal", "Root Canal", "dental filling", "ROOT CANAL ")[i % 4], "satisfaction": 1 + i % 10,
         "wait_minutes": 5.5 + 3 * i, "visit_date": f"2024-{1 + i % 12:02d}-11", "would_return": i % 4 != 0,
         "comment": "The receptionist was friendly and the clinic was spotless."} for i in range(20)])


def test_trial_68_value_conditions(tmp_path, planner):
    """Trial 68: "pull out just the root canal visits" was not understood; "less than half an hour" had no number;
    "rated us 7 or more out of 10" put 7..10 on the wait column (the scale read as a bound, `satisfaction` unnamed)."""
    data = _feedback(tmp_path)
    plan = planner.plan("Hey, could you pull out just the root canal visits for me?", data)
    assert [(s.op, s.params["column"], s.params.get("loose_labels")) for s in plan.steps] == \
        [("value_filter", "treatment", True)] and not plan.unmatched
    assert {v.strip().lower() for v in plan.steps[0].params["values"]} == {"root canal"}
    plan = planner.plan("keep the patients who waited less than half an hour and rated us 7 or more out of 10", data)
    assert [s.params for s in plan.steps] == [
        {"column": "wait_minutes", "max": 30.0, "max_exclusive": True}, {"column": "satisfaction", "min": 7.0}]
    plan = planner.plan("keep forms rated 8/10 or higher", data)
    assert [s.params for s in plan.steps] == [{"column": "satisfaction", "min": 8.0}] and not plan.unmatched


def test_a_case_said_of_the_labels_is_the_labels_case(tmp_path, planner):
    """Trial 68: "tidy up the branch and treatment labels (trim stray spaces, make them lower case)" added a
    `normalize lowercase` step that lower-cased every comment as well."""
    plan = planner.plan("- tidy up the branch and treatment labels (trim stray spaces, make them lower case)\n"
                        "- only keep visits from July 2024 onwards", _feedback(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [
        ("normalize_labels", {"columns": ["branch", "treatment"], "case": "lower"}),
        ("value_filter", {"column": "visit_date", "min": "2024-07-01"})]


def test_a_nationality_of_companies_names_a_country_column(tmp_path, planner):
    """Trial 68: "the ads from Canadian or Japanese companies" became a Japanese-language filter (1 row of 49), and
    "drop the country field afterwards" was lost without a word."""
    ads = _peek_rows(tmp_path / "ads.jsonl", [
        {"text": f"We are hiring a backend engineer to build payment services, ad {i}.", "company": f"Firm {i}",
         "country": ("Canada", "Japan", "Germany", "France")[i % 4]} for i in range(20)])
    plan = planner.plan("I only need the ads from Canadian or Japanese companies, and drop the country field afterwards",
                        ads)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "country", "values": ["Canada", "Japan"]}),
        ("select_columns", {"drop_columns": ["country"]})]
    assert not plan.unmatched and not any("no column" in n for n in plan.notes)


@pytest.mark.parametrize("request_, sql", [
    ("average price for members vs non-members",
     "SELECT member, avg(price) FROM output GROUP BY member ORDER BY member"),
    ("what's the average duration per member status?",
     "SELECT member, avg(duration_min) FROM output GROUP BY member ORDER BY member"),
    ("average price of e-bikes versus city bikes",
     "SELECT bike_type, avg(price) FROM output GROUP BY bike_type ORDER BY bike_type"),
])
def test_two_sides_compared_group_by_their_column(tmp_path, planner, request_, sql):
    """Trial 67: "avg price, members vs non-members" gave one overall average (the yes/no column was no grouping,
    and "non-members" became WHERE member IN (false)); two labels compared became a filter keeping both."""
    rentals = _peek_rows(tmp_path / "r.jsonl", [
        {"rental_id": i, "bike_type": ("e-bike", "city bike", "cargo bike")[i % 3], "duration_min": 10 + i,
         "price": 2.5 + i, "member": i % 3 == 0, "comment": "Smooth ride along the river, brakes a bit soft."}
        for i in range(20)])
    plan = planner.plan(request_, rentals)
    assert [q["sql"] for q in plan.questions] == [sql] and not plan.steps and not plan.unmatched


def test_figures_per_label_of_a_hand_typed_column_count_each_label_once(tmp_path, planner):
    """Trial 68: "how many forms did each branch get, and what's the average wait at each branch?" counted 9
    branches of 3 (' Northside' beside 'Northside'): the count and the query ignore case and spaces."""
    plan = planner.plan("how many forms did each branch get, and what's the average wait at each branch? just give me "
                        "the figures, no need to change the data", _feedback(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [("dataset_stats", {"domain_field": "branch", "loose_labels": True})]
    tidy = "lower(nullif(trim(regexp_replace(CAST(branch AS VARCHAR), '\\s+', ' ', 'g')), ''))"
    assert [q["sql"] for q in plan.questions] == [
        f"SELECT {tidy} AS branch, avg(wait_minutes) FROM output GROUP BY 1 ORDER BY 1"]
    assert not any("GROUP BY branch" in n for n in plan.notes)


# -- trials 69-70 (library loans and app reviews; nursery deliveries and recipe-blog comments) ---------------------

def _loans(tmp_path):
    return _peek_rows(tmp_path / "loans.jsonl", [
        {"loan_id": i, "branch": ("Northgate", "Riverside", "RIVERSIDE")[i % 3], "age_group": ("child", "adult")[i % 2],
         "borrower": f"Reader {i}", "loan_days": 3 + 2 * i, "late_fee": round(0.25 * i, 2), "renewed": i % 3 == 0,
         "staff_note": "Returned with a coffee stain on the back cover, fee waived."} for i in range(20)])


def _app_reviews(tmp_path):
    return _peek_rows(tmp_path / "reviews.jsonl", [
        {"review_id": f"r{i:03d}", "text": " ".join(["great app, syncs fast"] * (1 + i % 4)),
         "app": ("FitTrack", "SnapNote", "BudgetBee")[i % 3], "stars": 1 + i % 5} for i in range(20)])


@pytest.mark.parametrize("request_, expected", [
    # "3 weeks" on a column of days: 21 days, not 3
    ("Keep only loans that ran longer than 3 weeks", [("value_filter", {"column": "loan_days", "min": 22.0})]),
    # "ignore loan_id when comparing" says what the dedup leaves out: no part left over
    ("dedupe the loans, ignore loan_id when comparing",
     [("exact_dedup", {"text_field": "text", "also_fields": ["branch", "age_group", "borrower", "loan_days", "late_fee",
                                                              "renewed"]})]),
])
def test_trial_69_loans(tmp_path, planner, request_, expected):
    plan = planner.plan(request_, _loans(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == expected and not plan.unmatched


def test_trial_69_figures_per_group_and_a_second_figure(tmp_path, planner):
    """"How many reviews does each app have and what's its average star rating?" gave one overall average; "the total
    late fee and the longest loan in days" dropped the second figure without a word."""
    plan = planner.plan("How many reviews does each app have and what's its average star rating?", _app_reviews(tmp_path))
    assert [q["sql"] for q in plan.questions] == ["SELECT app, avg(stars) FROM output GROUP BY app ORDER BY app"]
    plan = planner.plan("what is the total late fee and the longest loan in days?", _loans(tmp_path))
    assert [q["sql"] for q in plan.questions] == ["SELECT sum(late_fee) FROM output", "SELECT max(loan_days) FROM output"]


@pytest.mark.parametrize("request_, expected", [
    ("I only want reviews with at least 8 words that gave 4 or 5 stars.",
     [("value_filter", {"column": "stars", "min": 4.0, "max": 5.0}), ("length_filter", {"min": 8, "unit": "words"})]),
    ("keep 5 star reviews under 20 words",  # (was one length filter with min 5: the stars read as words)
     [("value_filter", {"column": "stars", "values": [5]}), ("length_filter", {"max": 19, "unit": "words"})]),
    ("drop the 1-star reviews", [("value_filter", {"column": "stars", "drop_values": [1]})]),  # (was min 1: every row)
    ("Keep just the English reviews and then remove the rating column.",
     [("lang_id", {"languages": ["en"], "min_score": 0.0}), ("select_columns", {"drop_columns": ["stars"]})]),
])
def test_trial_69_reviews(tmp_path, planner, request_, expected):
    plan = planner.plan(request_, _app_reviews(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == expected and not plan.unmatched


def test_trial_70_inverted_conditions(tmp_path, planner):
    """"nothing shorter than 5 words" kept at most 4 words; "every delivery except the ones to Ashford" kept Ashford;
    "leave out the drivers' comments column" was not understood (and then dropped `driver`)."""
    comments = _peek_rows(tmp_path / "c.jsonl", [
        {"comment_id": i, "comment": "Made this last night and the whole family loved it, thanks for sharing!",
         "post_title": ("Lentil Dal", "Sourdough")[i % 2], "country": "UK"} for i in range(20)])
    plan = planner.plan("english comments only, and nothing shorter than 5 words", comments)
    assert [{k: v for k, v in s.params.items() if k != "text_field"} for s in plan.steps if s.op == "length_filter"] \
        == [{"min": 5, "unit": "words"}]
    deliveries = _peek_rows(tmp_path / "d.jsonl", [
        {"delivery_id": f"D{i:03d}", "town": ("Ashford", "Canterbury", "ashford ", "Dover")[i % 4], "items": 1 + i,
         "driver": ("Maggie", "Owen")[i % 2], "driver_note": "Left the trees by the side gate as asked."}
        for i in range(20)])
    plan = planner.plan("Give me all the deliveries except the ones to Ashford, and leave out the drivers' comments "
                        "column - this is going to the council.", deliveries)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "town", "drop_values": ["Ashford"], "loose_labels": True}),  # ("ashford " too)
        ("select_columns", {"drop_columns": ["text"]})]  # (driver_note, the text column, as the pipeline names it)
    assert not plan.unmatched and not any("no column" in n for n in plan.notes)


def test_trial_70_genuine_short_rows_stay(tmp_path, planner):
    """"get rid of that stuff but keep the genuine comments, even the short questions" planned an LLM step that
    expanded every comment; the quality filter must not drop a short comment for its length either."""
    comments = _peek_rows(tmp_path / "c.jsonl", [
        {"comment_id": i, "comment": ("Can I freeze it?" if i % 3 == 0 else "Home | Recipes | About | Login"
                                      if i % 5 == 0 else "Made this last night and the whole family loved it."),
         "post_title": "Sourdough"} for i in range(20)])
    plan = planner.plan("Hi! These blog comments are full of spam and leftover site-menu text. Could you get rid of "
                        "that stuff but keep the genuine comments, even the short questions?", comments)
    assert plan.steps and not any(s.op.startswith("llm_") for s in plan.steps)
    gopher = [s.params for s in plan.steps if s.op == "gopher_quality"]
    assert gopher and all(g.get("min_doc_words") == 1 for g in gopher)


def test_trial_70_groups_said_as_each_one_and_a_scoped_label_job(tmp_path, planner):
    """"how many deliveries did each one do?" after "per driver" and "how many comments does each recipe post have?"
    were not counted per group; "For the sourdough post only, tag each comment ..." labelled every row silently."""
    deliveries = _peek_rows(tmp_path / "d.jsonl", [
        {"delivery_id": f"D{i:03d}", "town": "Dover", "delivery_fee": 10.0 + i, "driver": ("Maggie", "Owen")[i % 2],
         "driver_note": "Left the trees by the side gate as asked."} for i in range(20)])
    plan = planner.plan("What's the average delivery fee per driver, and how many deliveries did each one do? Just the "
                        "numbers, I don't need the rows.", deliveries)
    assert [(s.op, s.params) for s in plan.steps] == [("dataset_stats", {"domain_field": "driver"})]
    assert [q["sql"] for q in plan.questions] == [
        "SELECT driver, avg(delivery_fee) FROM output GROUP BY driver ORDER BY driver"] and not plan.unmatched
    titles = ("Grandma's Sourdough Loaf", "Slow Cooker Beef Ragu", "Summer Peach Galette")
    comments = _peek_rows(tmp_path / "c.jsonl", [
        {"comment_id": i, "comment": "Made this last night and the whole family loved it, thanks for sharing!",
         "post_title": titles[i % 3]} for i in range(20)])
    plan = planner.plan("how many comments does each recipe post have? counts only", comments)
    assert [(s.op, s.params) for s in plan.steps] == [("dataset_stats", {"domain_field": "post_title"})]
    plan = planner.plan("For the sourdough post only, tag each comment as question, praise or complaint.", comments)
    assert [(s.op, s.params.get("where_column"), s.params.get("where_values")) for s in plan.steps] == [
        ("llm_annotate", "post_title", ["Grandma's Sourdough Loaf"])] and not plan.unmatched
    plan = planner.plan("For the pumpkin post only, tag each comment as question, praise or complaint.", comments)
    assert plan.unmatched == ["For the pumpkin post only"]


def test_trial_68_a_scoped_label_job_whose_rows_are_then_kept(tmp_path, planner):
    """Trial 68: 'For the Old Town forms with a satisfaction score of 3 or lower, add a column "sentiment" saying
    positive, negative or neutral based on the comment. Keep only those rows.' labelled every row with the default
    domain list (sentiment "science"), added llm_paraphrase for "negative or neutral ...", lost Old Town and kept
    every row. The scope is a selection first; the labels are the said ones, in a column named for them."""
    plan = planner.plan('For the Old Town forms with a satisfaction score of 3 or lower, add a column "sentiment" saying '
                        'positive, negative or neutral based on the comment. Keep only those rows.', _feedback(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "branch", "values": ["Old  Town"], "loose_labels": True}),
        ("value_filter", {"column": "satisfaction", "max": 3.0}),
        ("llm_annotate", {"text_field": "text", "output_field": "sentiment", "choices": ["positive", "negative", "neutral"],
                          "label": "sentiment"})]
    assert not plan.unmatched
    plan = planner.plan("add a sentiment column: positive, negative or neutral", _feedback(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == [
        ("llm_annotate", {"choices": ["positive", "negative", "neutral"], "label": "sentiment"})]


# -- trials 71-72 (gym bookings and furniture copy; road-fault reports and programming answers) ---------------------

def _roads(tmp_path):
    return _peek_rows(tmp_path / "roads.jsonl", [
        {"report_id": i, "ward": ("North", "South")[i % 2], "fault_type": ("Pothole", "pothole", "Street Light")[i % 3],
         "severity": 1 + i % 5, "days_to_fix": 3 + i, "fixed": i % 3 == 0, "reporter": f"Resident {i}",
         "reported_date": f"2024-0{1 + i % 9}-05",
         "description": ("asdf" if i == 4 else "Deep hole by the bus stop, cyclists swerve around it.")} for i in range(20)])


@pytest.mark.parametrize("request_, expected", [
    # "or worse" on a column where more is worse: 4 and up (was max 4); "serious" is no fault type
    ("keep only the serious faults (severity 4 or worse) that still haven't been fixed",
     [("value_filter", {"column": "fixed", "values": [False]}), ("value_filter", {"column": "severity", "min": 4.0})]),
    # a removal that spares rows of another column (was llm_judge)
    ("get rid of all the pothole reports, except the severity 5 ones - those stay",
     [("value_filter", {"column": "fault_type", "drop_values": ["Pothole", "pothole"], "where_column": "severity",
                        "where_values": [5], "where_not": True, "loose_labels": True})]),
    # "can you drop the reporter's name column (privacy)" (was not understood)
    ("hey, can you drop the reporter's name column (privacy) and rename days_to_fix to fix_days?",
     [("select_columns", {"drop_columns": ["reporter"], "rename_columns": {"days_to_fix": "fix_days"}})]),
    # junk values shown with slashes go, beside the empty ones
    ('drop rows where the description is missing or is junk like "asdf" / "n/a" / "..."',
     [("length_filter", {"text_field": "text", "min": 1}),
      ("value_filter", {"column": "text", "drop_values": ["asdf", "n/a", "..."], "loose_labels": True})]),
])
def test_trial_72_roads(tmp_path, planner, request_, expected):
    plan = planner.plan(request_, _roads(tmp_path))
    assert [(s.op, s.params) for s in plan.steps] == expected and not plan.unmatched


def test_trial_71_and_66_exceptions_and_plain_words(tmp_path, planner):
    """Trial 71: "pull all the bookings from April 2024 for me, but leave out the ones where no instructor is recorded"
    was not understood and dropped an instructor called 'Recorded'. Trial 66: "drop ... except the ones where the
    student would recommend the course" scoped a filter to the recommending rows instead of sparing them."""
    bookings = _peek_rows(tmp_path / "b.jsonl", [
        {"booking_id": f"B{i:03d}", "class_type": "Hot Yoga", "instructor": (None, "Aisha Khan", "Tom Becker")[i % 3],
         "booking_date": f"2024-0{3 + i % 3}-1{i % 9}", "attended": i % 2 == 0,
         "feedback": "Great class, the room was warm."} for i in range(20)])
    plan = planner.plan("Hey, could you pull all the bookings from April 2024 for me, but leave out the ones where no "
                        "instructor is recorded? Thanks!", bookings)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "booking_date", "min": "2024-04-01", "max": "2024-04-30"}),
        ("value_filter", {"column": "instructor", "drop_values": [""], "keep_null": False})] and not plan.unmatched
    evals = _peek_rows(tmp_path / "e.jsonl", [
        {"eval_id": i, "term": ("Fall 2023", "Spring 2024")[i % 2], "would_recommend": i % 3 == 0,
         "comment": "Great balance between theory and practice."} for i in range(20)])
    plan = planner.plan("drop the Fall 2023 evals except the ones where the student would recommend the course", evals)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "term", "drop_values": ["Fall 2023"], "where_column": "would_recommend",
                          "where_values": [True], "where_not": True})] and not plan.unmatched


def test_trial_71_72_a_column_named_in_part_or_to_be_used(tmp_path, planner):
    """Trial 72: "only python answers with 10+ votes" bounded answer_id (the word "votes" ends `upvotes`). Trial 71:
    "english only please, use the language field" ran the detector, which overwrote the data's `lang` column."""
    answers = _peek_rows(tmp_path / "a.jsonl", [
        {"answer_id": i, "tag": ("python", "javascript")[i % 2], "upvotes": 3 * i,
         "text": "Use a context manager so the file is closed even when an exception is raised."} for i in range(20)])
    plan = planner.plan("only python answers with 10+ votes", answers)
    assert [(s.op, s.params) for s in plan.steps] == [("value_filter", {"column": "tag", "values": ["python"]}),
                                                      ("value_filter", {"column": "upvotes", "min": 10.0})]
    copy = _peek_rows(tmp_path / "f.jsonl", [
        {"id": i, "text": "Solid oak dining table with a natural oil finish; seats eight.", "category": "tables",
         "lang": ("en", "de", "fr")[i % 3]} for i in range(20)])
    plan = planner.plan("english only please, use the language field", copy)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True})]
    assert plan.notes == ["the languages come from the data's own 'lang' column, not from a language detector (which "
                          "misreads short texts and would overwrite the column)"]
    # (session 29: trials 77, 80, 81 and 82 all expected the data's own language column without being told to use it)
    assert [(s.op, s.params) for s in planner.plan("english only please", copy).steps] == [
        ("value_filter", {"column": "lang", "values": ["en"], "loose_labels": True})]


def test_trials_73_74_dedup_key_counts_and_sums(tmp_path, planner):
    """Trial 73: "same refill logged twice under a different refill id still counts as a duplicate" deduplicated ON the
    id. Trial 74: "how many messages came in per channel?" read "came in" as a condition; "the total spend per room"
    gave row counts (no column is called spend)."""
    refills = _peek_rows(tmp_path / "r.jsonl", [
        {"refill_id": f"RX{i:04d}", "species": ("dog", "cat")[i % 2], "drug": ("pain relief", "ear drops")[i % 2],
         "dose_mg": 5 * (1 + i % 3), "price": 10.0 + i, "refill_date": f"2025-01-{1 + i:02d}", "urgent": i % 4 == 0,
         "pharmacist": ("Tom Becker", "Ana Ruiz")[i % 2],
         "vet_note": ("Owner reports the dog is scratching less since the last dose.", "Give with food, twice a day.",
                      "Half a tablet for the first week, then a whole one.")[i % 3]} for i in range(20)])
    plan = planner.plan("dedupe this — same refill logged twice under a different refill id still counts as a duplicate",
                        refills)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("exact_dedup", {"text_field": "text", "also_fields": ["species", "drug", "dose_mg", "price", "refill_date",
                                                                "urgent", "pharmacist"]})]
    chats = _peek_rows(tmp_path / "c.jsonl", [
        {"msg_id": i, "message": "My order has not arrived yet, can you check?", "channel": ("web", "WEB", "app")[i % 3]}
        for i in range(20)])
    plan = planner.plan("how many messages came in per channel? numbers only", chats)
    assert [(s.op, s.params) for s in plan.steps] == [("dataset_stats", {"domain_field": "channel", "loose_labels": True})]
    rooms = _peek_rows(tmp_path / "b.jsonl", [
        {"booking_id": i, "room": ("Blue Room", "Quiet Pod")[i % 2], "attendees": 2 + i, "cost": 25.5 * (1 + i % 4),
         "note": "Projector needed, please set up the chairs in rows."} for i in range(20)])
    plan = planner.plan("What's the total spend per room? Just need the figures.", rooms)
    assert [q["sql"] for q in plan.questions] == ["SELECT room, sum(cost) FROM output GROUP BY room ORDER BY room"]


def test_trial_74_a_bare_list_of_column_names_keeps_those_columns(tmp_path, planner):
    """Trial 74: "keep only booking id, room, team and cost" (no word "columns") was not understood, and refused the
    whole bulleted request."""
    rooms = _peek_rows(tmp_path / "b.jsonl", [
        {"booking_id": i, "room": ("Blue Room", "Quiet Pod")[i % 2], "team": ("Ops", "Sales")[i % 2], "cost": 20.0 + i,
         "organiser": f"Person {i}", "note": "Projector needed, please set up the chairs in rows."} for i in range(20)])
    plan = planner.plan("keep only booking id, room, team and cost", rooms)
    assert [(s.op, s.params) for s in plan.steps] == [
        ("select_columns", {"keep_columns": ["booking_id", "room", "team", "cost"]})] and not plan.unmatched
    plan = planner.plan("keep only the Blue Room and Quiet Pod bookings", rooms)  # labels, not columns
    assert [s.op for s in plan.steps] == ["value_filter"]
