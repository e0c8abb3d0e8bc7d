"""An empty, blank or null text is never sent to the model by the operators that read one text per row: a reply
to nothing is noise (a rewrite of "" into a sentence, a label for an empty row) and a call is the costly part.
Against a local endpoint that answers deterministically; the counts of requests are exact."""

from __future__ import annotations

import json

from llm_fixtures import run_one_llm_step

ROWS = [
    {"id": 1, "text": "The boiler in block B was serviced and the pressure is back to normal."},
    {"id": 2, "text": ""},
    {"id": 3, "text": None},
    {"id": 4, "text": "   \n "},
    {"id": 5, "text": "Gate code changed; residents were told by letter on Friday."},
]


def _reply(body, attempt):
    if body.get("response_format"):  # a schema-constrained call: a label or a QA pair
        props = body["response_format"]["json_schema"]["schema"]["properties"]
        return json.dumps({"label": "maintenance"} if "label" in props else
                          {"instruction": "What was serviced?", "response": "The boiler."})
    return "rewritten"


def _run(tmp_path, step: str) -> tuple[list[dict], int]:
    rows, sent = run_one_llm_step(tmp_path, ROWS, step, _reply)
    return rows, len(sent)


def test_rewrite_sends_only_rows_with_text_and_keeps_the_others_as_they_were(tmp_path):
    rows, sent = _run(tmp_path, "llm_rewrite: {task: tone, style: formal}")
    assert sent == 2
    assert [r["text"] for r in rows] == ["rewritten", "", None, "   \n ", "rewritten"]


def test_annotate_gives_empty_texts_a_null_label_without_a_call(tmp_path):
    rows, sent = _run(tmp_path, "llm_annotate: {label: kind, choices: [maintenance, notice]}")
    assert sent == 2
    assert [r["llm_kind"] for r in rows] == ["maintenance", None, None, None, "maintenance"]


def test_paraphrase_makes_no_variant_of_an_empty_text(tmp_path):
    rows, sent = _run(tmp_path, "llm_paraphrase: {n: 2}")
    assert sent == 4  # two rows with text, two variants each
    assert len(rows) == 5 + 4
    assert sorted(r["_parent_id"] is not None for r in rows).count(True) == 4


def test_qa_synthesis_asks_no_question_about_an_empty_document(tmp_path):
    rows, sent = _run(tmp_path, "llm_qa_synthesis: {}")
    assert sent == 2
    assert [r["instruction"] for r in rows] == ["What was serviced?"] * 2


def test_annotate_labels_only_the_rows_its_scope_selects(tmp_path):
    """Trial 70: "For the sourdough post only, tag each comment ..." could not be scoped (llm_annotate took no where_*
    parameters), so every row went to the model. Rows outside the scope get a null label and no call."""
    rows = [{**r, "block": "B" if r["id"] in (1, 3) else "C"} for r in ROWS]
    out, sent = run_one_llm_step(tmp_path, rows, "llm_annotate: {label: kind, choices: [maintenance, notice], "
                                                 "where_column: block, where_values: [B]}", _reply)
    assert len(sent) == 1  # ids 1 and 3 are in block B; 3 has no text; 5 has text but is in block C
    assert [r["llm_kind"] for r in out] == ["maintenance", None, None, None, None]
