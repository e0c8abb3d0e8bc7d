"""A model's label before its reply ("English:", "Here is the rewritten text:") and the quotes it wraps the reply in
are not the text: SmolLM2 answered translations as `English:\\n"..."`, and both stood in the dataset (trial 85)."""

from __future__ import annotations

from llm_fixtures import _last_user, run_one_llm_step

from tilth.llm.opbase import bare_reply


def test_bare_reply_drops_the_label_and_wrapping_quotes_only():
    assert bare_reply('English:\n"The ferry was late."', "Die Fähre war spät.", "English") == "The ferry was late."
    assert bare_reply("English translation: Hello", "Hallo", "English") == "Hello"
    assert bare_reply("Here is the translation:\nThe lid.", "Der Deckel.") == "The lid."
    assert bare_reply("Sure! Here's the rewritten text: Nice day.", "nice day") == "Nice day."
    # a colon that belongs to the text stays: other words before it, a language not asked for, or a source so written
    assert bare_reply("Note: the lid is loose.", "Hinweis: der Deckel ist lose.", "English") == "Note: the lid is loose."
    assert bare_reply("German: Hallo", "Hello", "English") == "German: Hallo"
    assert bare_reply("Translation: keep", "Translation: keep") == "Translation: keep"
    assert bare_reply("The ratio is 3:2 today", "x") == "The ratio is 3:2 today"
    assert bare_reply("English:", "Hallo", "English") == "English:"  # (nothing after the label: left as written)
    # quotes: only a pair around the whole reply, and not where the source is quoted too
    assert bare_reply('"Hello" she said, "bye"', "x") == '"Hello" she said, "bye"'
    assert bare_reply("\u201cGood morning.\u201d", "Guten Morgen.") == "Good morning."
    assert bare_reply('"Quoted."', '"Zitiert."') == '"Quoted."'


def test_a_translation_keeps_the_text_the_model_gave_not_its_label(tmp_path):
    replies = {"Die Fähre war pünktlich und sauber.": 'English:\n"The ferry was on time and clean."',
               "Le bateau était en retard ce matin.": "Here is the translation: The boat was late this morning."}

    def reply(body, attempt):
        said = _last_user(body)
        return next(v for k, v in replies.items() if k in said)

    rows = [{"text": t} for t in replies] + [{"text": "The crossing was smooth and the crew were friendly."}]
    out, sent = run_one_llm_step(tmp_path, rows, "llm_translate: {target_language: English}", reply)
    assert sorted(r["text"] for r in out) == ["The boat was late this morning.", "The crossing was smooth and the crew "
                                              "were friendly.", "The ferry was on time and clean."]
    assert len(sent) == 2  # (the English row is kept as written, without a model call)


def test_a_reply_not_in_the_target_language_never_overwrites_the_text(tmp_path):
    """Trial 87 r11: the embedded 135M model answered some translations in the source language, garbled, and they
    replaced the originals without a word. A reply lid.176 does not read as the target language is not taken."""
    replies = {"Die Wartezeit am Samstag war viel zu lang und niemand hat uns geholfen.":
               "Die Wartezeit war lang lang und niemand niemand geholfen Samstag.",
               "Le centre de recyclage est fermé le dimanche, c'est dommage.":
               "The recycling centre is closed on Sundays, which is a pity."}

    def reply(body, attempt):
        return next(v for k, v in replies.items() if k in _last_user(body))

    rows = [{"text": t} for t in replies]
    out, sent = run_one_llm_step(tmp_path, rows, "llm_translate: {target_language: English}", reply)
    assert len(sent) == 2 and sorted(r["text"] for r in out) == [
        "Die Wartezeit am Samstag war viel zu lang und niemand hat uns geholfen.",
        "The recycling centre is closed on Sundays, which is a pity."]
    (tmp_path / "unchecked").mkdir()
    out, _ = run_one_llm_step(tmp_path / "unchecked", rows, "llm_translate: {target_language: English, verify_language: false}",
                              reply)
    assert "Die Wartezeit war lang lang und niemand niemand geholfen Samstag." in [r["text"] for r in out]
