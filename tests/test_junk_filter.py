"""junk_filter: each kind of junk dropped with its reason, short genuine texts kept, rules switched off by their
params, real prose never dropped, and the filter laws (never adds rows, a second pass drops nothing more)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs
from filter_helpers import decide
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.tasks import apply_filter
from tilth.ops import build
from tilth.ops.process.junk_filter import repeat_share

JUNK = {
    "Home | Forums | Members | Login | Register | Help | Contact Us": "navigation menu",
    "Home > Shop > Boots": "navigation menu",
    "Cookie settings: Accept all | Reject all | Manage preferences": "boilerplate or spam",
    "Click here to win a FREE year of pet food!!! Click here now, offer ends soon": "boilerplate or spam",
    "Cheap designer collars best price buy now www.cheap-collars.example click here": "boilerplate or spam",
    "bump bump bump bump bump bump bump bump": "one word repeated",
    "lol lol lol lol lol lol": "one word repeated",
    "This post has been removed by a moderator.": "placeholder",
    "[deleted]": "placeholder",
    "n/a": "placeholder",
    "  N/A. ": "placeholder",
    "asdf": "placeholder",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.": "placeholder",
    "xxxx": "placeholder",
    "This page intentionally left blank.": "placeholder",
    "Left blank on purpose": "placeholder",
    "!!!!!!": "no letter or digit",
    "": "no letter or digit",
}
GENUINE = [
    "thanks!", "cute", "+1", "same here", "Loved it!", "ok",
    "Great for kids, a bit noisy for adults.",
    "Too crowded to enjoy the paintings properly.",
    "The discount code SPRING20 says it's expired but your newsletter said it's valid until the end of the month.",
    "I signed up for the newsletter at the desk; the guide said to click here on the app to book, which worked.",
    "We use cookies in the cafe's famous cookie dough dessert, and the staff were lovely about my allergy.",
    "no no no, the east wing was closed again",
    "The box was left blank on the form, so the clerk filled it in.",
]


def test_each_kind_of_junk_is_dropped_with_its_reason():
    texts = list(JUNK)
    scores, keep, reasons = decide("junk_filter", texts)
    assert reasons == list(JUNK.values())
    assert keep == [False] * len(texts)
    assert scores.column("junk").to_pylist() == list(JUNK.values())


def test_short_genuine_texts_stay_whatever_their_length():
    scores, keep, reasons = decide("junk_filter", GENUINE)
    assert keep == [True] * len(GENUINE), [t for t, k in zip(GENUINE, keep, strict=True) if not k]
    assert scores.column("junk").null_count == len(GENUINE)


def test_whitespace_around_junk_changes_nothing():
    texts = ["  Home | Forums | Login  ", "\tbump bump bump bump bump\n", "  n/a  ", "  Loved it!  "]
    assert decide("junk_filter", texts)[2] == ["navigation menu", "one word repeated", "placeholder", None]


def test_a_null_text_is_empty_junk():
    op = build("junk_filter", {})
    scores = pa.table(op.score(pa.table({"text": pa.array(["fine words here", None], pa.string())})))
    assert op.keep(scores)[1] == [None, "no letter or digit"]


def test_a_long_article_with_a_few_boilerplate_phrases_is_not_spam():
    article = " ".join(stdlib_paragraphs(3))
    text = f"{article} Click here to read more. Subscribe for updates."
    assert len(text.split()) > 40
    assert decide("junk_filter", [text])[1] == [True]
    assert decide("junk_filter", [text], max_tokens_per_phrase=1000)[1] == [False]


@pytest.mark.parametrize(("param", "text"), [
    ("min_menu_separators", "Home | Forums | Login"),
    ("max_repeat_share", "bump bump bump bump bump"),
    ("min_boilerplate", "click here click here"),
])
def test_each_rule_can_be_switched_off(param, text):
    assert decide("junk_filter", [text])[1] == [False]
    assert decide("junk_filter", [text], **{param: None})[1] == [True]


def test_placeholders_and_empty_can_be_kept():
    assert decide("junk_filter", ["n/a", "!!!"], placeholders=False, empty=False)[1] == [True, True]


def test_repeat_share_counts_the_commonest_word_per_text():
    text = pa.chunked_array([["a b a c", "", "x x x"], ["Yes, yes YES no"]])
    assert repeat_share(text).tolist() == [0.5, 0.0, 1.0, 0.25]  # (case is the caller's: it lower-cases first)


def test_real_prose_is_never_junk():
    paras = stdlib_paragraphs(200)
    _, keep, reasons = decide("junk_filter", paras)
    assert sum(keep) == len(paras), [(p[:60], r) for p, r in zip(paras, reasons, strict=True) if r][:5]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(list(JUNK) + GENUINE), st.text(max_size=60)), min_size=1, max_size=25))
def test_never_adds_rows_and_a_second_pass_drops_nothing(texts):
    op = build("junk_filter", {})
    table = pa.table({"_id": list(range(len(texts))), "text": pa.array(texts, pa.string())})
    kept, lineage = apply_filter(op, table)
    assert kept.num_rows + lineage.num_rows == table.num_rows
    again, dropped = apply_filter(op, kept.drop_columns(["junk"]))
    assert again.num_rows == kept.num_rows and dropped.num_rows == 0
