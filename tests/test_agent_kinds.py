"""tilth.agent.kinds: which words WordNet's noun hierarchy makes kinds of others, as the planner uses it to find a
column by what its values are ("per doctor" on `vet`)."""

from __future__ import annotations

import pytest

from tilth.agent import kinds
from tilth.agent.novelty import english_words

pytestmark = pytest.mark.skipif(not english_words(), reason="WordNet (Debian wordnet-base) is not installed")


def test_a_word_is_a_kind_of_its_hypernyms_and_its_synonyms():
    assert kinds.is_kind_of("vet", "doctor")  # veterinarian -> doctor
    assert kinds.is_kind_of("vets", "doctors")  # plurals read as their lemma
    assert kinds.is_kind_of("surgeon", "doctor")
    assert kinds.is_kind_of("tutor", "teacher")
    assert "veterinarian" in kinds.kinds("vet")


def test_unrelated_or_unknown_words_are_not_linked():
    assert not kinds.is_kind_of("species", "doctor")
    assert not kinds.is_kind_of("doctor", "vet")  # (a doctor need not be a vet: one direction only)
    assert not kinds.is_kind_of("zqxw", "doctor") and kinds.kinds("zqxw") == frozenset()


def test_without_wordnet_no_word_is_linked(monkeypatch, tmp_path):
    monkeypatch.setenv("TILTH_WORDNET_DIR", str(tmp_path))
    kinds._index.cache_clear()
    try:
        assert not kinds.is_kind_of("vet", "doctor")
    finally:
        kinds._index.cache_clear()
