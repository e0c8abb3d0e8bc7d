"""Words no operator and no dictionary knows make the planner say what it did not understand."""

from __future__ import annotations

import pytest

from tilth.agent.novelty import NoveltyCheck, english_words

pytestmark = pytest.mark.skipif(not english_words(), reason="WordNet (Debian wordnet-base) is not installed")


def check() -> NoveltyCheck:
    return NoveltyCheck(["Remove exact duplicates. Count tokens with the SmolLM2 tokenizer. Redact e-mail addresses."])


def test_tool_names_are_novel_and_english_typos_and_jargon_are_not():
    c = check()
    assert c.novel("Check every answer with sympy and drop the wrong ones") == ["sympy"]
    assert c.novel("count tokens with OpenAI's cl100k_base encoding") == ["OpenAI's", "cl100k_base"]
    assert c.novel("push everything back into our Zendesk") == ["Zendesk"]
    # typos of known words, inflections, catalogue prefixes, jargon, columns and quoted data are known
    assert c.novel("fix the grammer in the reveiws, evry one; swapped words; tokens from smollm") == []
    assert c.novel("build an SFT set from the JSONL dump, dedupe it") == []
    assert c.novel("dedupe on the cust_msg column", columns=["cust_msg"]) == []
    assert c.novel("treat 'xqzzt blorf' and 'XQZZT BLORF' as the same") == []
    assert c.novel("ｆｉｘ the ｋｅｔｔｌｅ reviews") == []  # full-width letters read as plain ones


def test_the_check_is_off_without_a_dictionary(monkeypatch, tmp_path):
    english_words.cache_clear()
    monkeypatch.setenv("TILTH_WORDNET_DIR", str(tmp_path))
    try:
        assert NoveltyCheck(["remove duplicates"]).novel("check with sympy") == []
    finally:
        english_words.cache_clear()


def test_a_known_word_with_a_common_prefix_is_known():
    """Trial 16: "near-duplicates where the note was retyped" was refused by --yes for the unknown "retyped"."""
    check = NoveltyCheck([])
    if not check.enabled:
        pytest.skip("WordNet is not installed")
    assert check.novel("the note was retyped, resent or misfiled") == []
    assert check.novel("score it with sympy") == ["sympy"]
