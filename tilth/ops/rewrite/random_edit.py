"""Rule-based augmentation: random word deletion and swap (EDA-style), plus the base every rule-based
augmentation here shares. Each comes as a Generator (`random_edit`: new rows) and as an in-place Mapper
(`random_edit_inplace`: the row's text is rewritten, `_id` kept).

Shared behaviour of the Generators (`RuleAugment`; the Mappers share the seeding and `where_*`):
- `n_variants` new rows per eligible input row, each a copy of the parent with `text_field` rewritten,
  `_id = derived_ids(parent, salt)` where the salt hashes the operator, its parameters and the variant
  number, and `_parent_id` = the parent's `_id`.
- Seeded per (`seed`, parent `_id`, variant): the output does not depend on batch boundaries, executor or
  worker, and a re-run gives the same rows.
- `where_column` / `where_min`: only rows whose column is >= where_min are augmented ("only the hard
  problems"); rows with a null there are not.
- A variant identical to its parent (nothing could be edited) or to an earlier variant is not emitted.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Generator, Mapper, Params
from tilth.ops.registry import register
from tilth.ops.where import Scope, where_mask
from tilth.storage.ids import derived_ids


class RuleParams(Scope):
    text_field: str = Field("text", description="Column holding the text to augment.")
    seed: int = Field(0, ge=0, description="Random seed; with the row's `_id` it fixes every random choice.")


class AugmentParams(RuleParams):
    n_variants: int = Field(1, ge=1, le=100, description="New rows made from each eligible input row.")
    keep_input: bool = Field(True, description="Keep the input rows in the output (false: output only the new rows).")


class RuleLogic:
    """Shared by the Generator and the in-place Mapper forms: row selection and per-row seeded RNGs."""

    params: RuleParams
    name: str

    def edit(self, text: str, rng: np.random.Generator) -> str:
        raise NotImplementedError

    def eligible(self, batch: pa.Table) -> np.ndarray:
        return where_mask(batch, self.params)

    def _salt(self, variant: int) -> int:
        # an unset where_max is left out so seeds (and outputs) are those of recipes written before it existed
        unset = {"where_max"} if getattr(self.params, "where_max", None) is None else set()
        key = json.dumps([self.name, self.params.model_dump(exclude={"keep_input"} | unset), variant], sort_keys=True)
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") >> 1

    def rng(self, parent_id: int, variant: int) -> np.random.Generator:
        u = int(parent_id) & (2**64 - 1)
        return np.random.default_rng([self.params.seed, u & 0xFFFFFFFF, u >> 32, variant, self._salt(0) & 0xFFFFFFFF])


class RuleRewrite(RuleLogic, Mapper):
    """In-place form: eligible rows get their text rewritten (same `_id`); the others pass unchanged."""

    category = "rewrite"

    def map(self, batch: pa.Table) -> pa.Table:
        self.ensure_ready()
        p = self.params
        ids = batch.column("_id").to_numpy()
        texts = batch.column(p.text_field).to_pylist()
        for i in np.flatnonzero(self.eligible(batch)):
            if texts[i]:
                texts[i] = self.edit(texts[i], self.rng(ids[i], 0))
        col = batch.column_names.index(p.text_field)
        return batch.set_column(col, p.text_field, pa.array(texts, batch.schema.field(p.text_field).type))


class RuleAugment(RuleLogic, Generator):
    """Generator form: subclasses implement `edit(text, rng) -> str`."""

    category = "rewrite"
    Params = AugmentParams

    def generate(self, batch: pa.Table) -> pa.Table:
        self.ensure_ready()
        p = self.params
        ids = batch.column("_id").to_numpy()
        texts = batch.column(p.text_field).to_pylist()
        rows, new_texts, parents, new_ids = [], [], [], []
        salts = [self._salt(k) for k in range(p.n_variants)]
        for i in np.flatnonzero(self.eligible(batch)):  # row-major: a parent's variants follow each other
            text = texts[i]
            if not text:
                continue
            seen = {text}
            for k, salt in enumerate(salts):
                out = self.edit(text, self.rng(ids[i], k))
                if out in seen:
                    continue  # unchanged, or the same as an earlier variant
                seen.add(out)
                rows.append(i)
                new_texts.append(out)
                parents.append(ids[i])
                new_ids.append(derived_ids(np.asarray([ids[i]], np.int64), salt)[0])
        new = batch.take(pa.array(rows, pa.int64()))
        if "_parent_id" in new.column_names:
            new = new.drop_columns(["_parent_id"])
        col = new.column_names.index(p.text_field)
        new = new.set_column(col, p.text_field, pa.array(new_texts, batch.schema.field(p.text_field).type))
        new = new.set_column(0, "_id", pa.array(new_ids, pa.int64()))
        return new.append_column("_parent_id", pa.array(parents, pa.int64()))


_TOKENS = re.compile(r"\S+|\s+")


class RandomEditFields(Params):
    delete_prob: float = Field(0.1, ge=0, le=0.9, description="Each word is deleted with this probability (at least one word is always kept).")
    swap_fraction: float = Field(0.1, ge=0, le=1, description="Swap round(swap_fraction x words) random pairs of words (at least one if > 0).")


class RandomEditParams(AugmentParams, RandomEditFields):
    pass


class RandomEditInPlaceParams(RuleParams, RandomEditFields):
    pass


@register
class RandomEdit(RuleAugment):
    name = "random_edit"
    description = """Augment text by random word deletion and random word swaps (EDA-style), seeded per row
    so re-runs are identical. Words keep their attached punctuation; whitespace layout is preserved.
    Optionally only rows with where_column >= where_min. New rows carry `_parent_id`."""
    examples = (
        "augment with random word deletions and swaps",
        "add noisy copies with missing and swapped words for robustness",
        "create perturbed variants by randomly dropping words",
        "EDA random deletion and random swap augmentation",
        "add noisy versions of each row with words dropped or shuffled",
        "generate corrupted versions of sentences for robustness training",
        "augment by randomly swapping word positions",
        "create extra examples by deleting random words",
        "make noisy augmented rows without an LLM",
        "random word dropout augmentation",
        "add perturbed variants with a few words shuffled",
        "build a robustness set from randomly edited variants",
        "add randomly edited versions as new rows",
        "augment the data with word-deletion and swap variants",
        "augment with extra noisy versions of each row",
    )
    inputs = ("{text_field}",)
    outputs = ("{text_field}", "_parent_id")
    Params = RandomEditParams

    def edit(self, text: str, rng: np.random.Generator) -> str:
        return random_edit(text, rng, self.params.delete_prob, self.params.swap_fraction)


@register
class RandomEditInPlace(RuleRewrite):
    name = "random_edit_inplace"
    description = """Rewrite text in place by random word deletion and swaps (as random_edit, but the row is
    edited instead of copied: same `_id`, no new rows). Seeded per row; optionally only rows with
    where_column >= where_min."""
    examples = (
        "randomly delete and swap words in place",
        "inject noise into the text without adding rows",
        "randomly drop some words from each text in place",
        "corrupt the text column with random word swaps",
        "apply random deletions directly to the existing rows",
        "noise up every sample in place, row count unchanged",
        "shuffle a few words in each row, keeping the same ids",
        "randomly perturb the text in place",
        "apply word dropout to the text in place",
        "make the inputs noisier by deleting words in place",
        "edit each record with random word deletions and swaps",
        "degrade the text with random edits instead of augmenting",
        "randomly delete words in the existing texts",
        "apply random word edits to the rows themselves",
        "overwrite the text with a randomly edited version",
        "corrupt the existing texts in place with random edits",
    )
    inputs = ("{text_field}",)
    outputs = ("{text_field}",)
    Params = RandomEditInPlaceParams

    def edit(self, text: str, rng: np.random.Generator) -> str:
        return random_edit(text, rng, self.params.delete_prob, self.params.swap_fraction)


def random_edit(text: str, rng: np.random.Generator, delete_prob: float, swap_fraction: float) -> str:
    """Delete words (each with delete_prob, keeping >= 1), then swap random word pairs."""
    tokens = _TOKENS.findall(text)
    words = [i for i, t in enumerate(tokens) if not t.isspace()]
    if delete_prob > 0 and len(words) > 1:
        drop = rng.random(len(words)) < delete_prob
        if drop.all():
            drop[rng.integers(len(words))] = False
        # Each kept word keeps the whitespace that followed it; the last kept word gets the text's ending.
        lead = tokens[0] if tokens[0].isspace() else ""
        tail = tokens[-1] if tokens[-1].isspace() else ""
        kept = [j for j in range(len(words)) if not drop[j]]
        out = [lead]
        for n, j in enumerate(kept):
            i = words[j]
            out.append(tokens[i])
            after = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].isspace() else ""
            out.append(tail if n == len(kept) - 1 else after)
        tokens = [t for t in out if t]
        words = [i for i, t in enumerate(tokens) if not t.isspace()]
    if swap_fraction > 0 and len(words) > 1:
        n = max(1, round(swap_fraction * len(words)))
        for _ in range(n):
            a, b = rng.choice(len(words), 2, replace=False)
            tokens[words[a]], tokens[words[b]] = tokens[words[b]], tokens[words[a]]
    return "".join(tokens)
