"""llm_translate against a local endpoint that answers deterministically: which rows are sent to the model
(only those not already in the target language, and only the selected ones), where the answer goes, and what a
bad parameter says. The model's wording is not under test."""

from __future__ import annotations

import pytest
from llm_fixtures import run_one_llm_step

from tilth.ops import registry

ROWS = [
    {"id": 1, "floor": 2, "text": "The elevator on the east side has been stuck between floors since Monday morning."},
    {"id": 2, "floor": 5, "text": "La fenêtre de la salle de réunion ne ferme plus et il fait très froid le matin."},
    {"id": 3, "floor": 1, "text": "Die Heizung im Treppenhaus ist seit drei Tagen kalt und macht laute Geräusche."},
    {"id": 4, "floor": 3, "text": ""},
    {"id": 5, "floor": 4, "text": "El grifo de la cocina gotea toda la noche y el suelo está siempre mojado."},
]


def _translated(body, attempt):
    text = body["messages"][-1]["content"].split("Text:\n", 1)[1]
    # (an English sentence around the row's first characters: llm_translate keeps only output lid.176 reads as the
    # target language)
    return f"The English translation of the note [{text[:12]}] reads well."


def _run(tmp_path, step: str, name: str = "tr") -> tuple[list[dict], list[str]]:
    return run_one_llm_step(tmp_path, ROWS, step, _translated, name)


def test_only_rows_in_other_languages_are_translated_in_place(tmp_path):
    rows, sent = _run(tmp_path, "llm_translate: {target_language: English}")
    by_id = {r["id"]: r["text"] for r in rows}
    assert by_id[1] == ROWS[0]["text"]  # English already: kept as written, no model call
    assert by_id[4] == ""  # nothing to translate
    assert by_id[2] == "The English translation of the note [La fenêtre d] reads well."
    assert by_id[3] == "The English translation of the note [Die Heizung ] reads well."
    assert by_id[5] == "The English translation of the note [El grifo de ] reads well."
    assert len(sent) == 3


def test_a_translation_beside_the_original_for_the_selected_rows_only(tmp_path):
    rows, sent = _run(tmp_path, "llm_translate: {output_field: text_english, where_column: floor, where_min: 4}")
    by_id = {r["id"]: r for r in rows}
    assert [r["text"] for r in rows] == [r["text"] for r in ROWS]  # the original stays
    assert by_id[5]["text_english"] == "The English translation of the note [El grifo de ] reads well."  # floors 4 and 5: selected
    assert by_id[2]["text_english"] == "The English translation of the note [La fenêtre d] reads well."
    assert by_id[3]["text_english"] is None  # floor 1: not selected
    assert len(sent) == 2


def test_every_selected_row_when_asked_to_translate_all(tmp_path):
    # (the stub answers in English: not checked here, which rows are sent is)
    rows, sent = _run(tmp_path, "llm_translate: {target_language: German, only_other_languages: false, verify_language: false}")
    assert len(sent) == 4  # every non-empty row, the German one too
    assert {r["id"]: r["text"] for r in rows}[3] == "The English translation of the note [Die Heizung ] reads well."


def test_only_rows_in_the_named_source_languages_are_translated(tmp_path):
    # "translate the German and French posts into English, leave the rest as they are" (trial 60: the Spanish and
    # short English rows were rewritten too)
    rows, sent = _run(tmp_path, "llm_translate: {target_language: English, source_languages: [de, fr]}")
    by_id = {r["id"]: r["text"] for r in rows}
    assert by_id[2] == "The English translation of the note [La fenêtre d] reads well."
    assert by_id[3] == "The English translation of the note [Die Heizung ] reads well."
    assert by_id[5] == ROWS[4]["text"]  # Spanish: not named, kept as written
    assert by_id[1] == ROWS[0]["text"]
    assert len(sent) == 2


def test_an_unknown_language_is_refused_with_what_to_write():
    with pytest.raises(ValueError, match="unknown language 'Klingon': name it in English"):
        registry.build("llm_translate", {"target_language": "Klingon"})
    assert registry.build("llm_translate", {"target_language": "german"}).params.target_language == "German"


def test_a_column_of_numbers_or_nulls_is_translated_as_text():
    """Hostile input: a text_field holding numbers and nulls had crashed the step (ints put in a string array); the
    numbers are text, the nulls stay null and are never sent. (Called directly: the JSONL reader already
    quarantines a number in the text column, but a Parquet input or an earlier step can hand one over.)"""
    import pyarrow as pa

    # (llm_rewrite shares the path; a null text is not sent by either: tests/test_llm_empty_texts.py)
    for name, params, want in (("llm_translate", {"only_other_languages": False}, ["#0", None, "#1"]),
                               ("llm_rewrite", {}, ["#0", None, "#1"])):
        op = registry.build(name, params)
        sent = []

        def ask(prompts, sent=sent, **kw):
            sent.extend(prompts)
            return [type("R", (), {"content": f"#{i}"})() for i, _ in enumerate(prompts)]

        op.ask = ask
        out = op.map(pa.table({"text": pa.array([12, None, 7], pa.int64())}))
        assert out.column("text").to_pylist() == want and len(sent) == len([w for w in want if w]), name
