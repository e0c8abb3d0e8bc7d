"""Dropped-letter typos are mended before planning; real words, quotations and columns are not touched."""

from __future__ import annotations

import pytest

from tilth.agent.spelling import known_words, mend

pytestmark = pytest.mark.skipif(not known_words(), reason="needs the embedding model's vocabulary")


def test_a_missing_letter_is_put_back():
    assert mend("remov non englsh revews, normlize the unicode, then count tokns") == \
        "remove non english reviews, normalize the unicode, then count tokens"
    assert mend("Thow out reviews under 5 wrds") == "Throw out reviews under 5 words"


def test_two_swapped_letters_are_put_back():
    assert mend("dedpulicate the reveiws") == "deduplicate the reviews"


def test_real_words_the_operators_do_not_use_stay():
    text = "the one-liners are filler, keyboard mash that was reposted"
    assert mend(text) == text


def test_quotations_columns_and_short_words_stay():
    assert mend("fill 'Writ a short ad' for evry row") == "fill 'Writ a short ad' for every row"
    assert mend("dedupe on the colm column", columns=["colm"]) == "dedupe on the colm column"
    assert mend("drop th dups") == "drop th dups"


def test_the_plan_says_how_it_read_a_typo(tmp_path):
    from tilth.agent.eval.data import make_all
    from tilth.agent.offline import OfflinePlanner
    from tilth.agent.peek import peek
    from tilth.agent.skills import Catalogue

    data = peek(make_all(tmp_path)["reviews"])
    plan = OfflinePlanner(Catalogue(use_embeddings=False)).plan("thow out reviews under 5 wrds", data)
    assert "read 'thow' as 'throw', 'wrds' as 'words'" in plan.notes
    assert plan.request == "thow out reviews under 5 wrds"  # the request stays as the user wrote it
