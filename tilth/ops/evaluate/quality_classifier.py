"""Score (and filter) rows with a quality classifier trained from annotations (`tilth classifier train`).

The model is loaded by name from the run's workspace (`classifiers/<name>/v<N>/`, files only: workers never
open the database). The score is the calibrated probability that the labeller would keep the row; the
default threshold is the one the model's training report suggests. A model that gives every row the same
score would keep everything or nothing: once `degenerate_min_rows` rows are scored (per worker), a constant
score stops the step (a warning with `score_only`, where nothing is dropped).
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
from pydantic import Field

from tilth.ops.base import Filter, Resources
from tilth.ops.evaluate.llm_quality import DegenerateFilter
from tilth.ops.process.text_utils import text_column
from tilth.ops.registry import register
from tilth.ops.where import Scope

log = logging.getLogger(__name__)


class QualityClassifierParams(Scope):
    model: str = Field(description="Name of a classifier trained in this workspace (`tilth classifier train`).")
    version: int | None = Field(None, ge=1, description="Model version (default: the newest).")
    text_field: str = Field("text", description="Column holding the text to score.")
    output_field: str = Field("quality_score", description="Column for the score (calibrated P(keep), 0-1).")
    min_score: float | None = Field(None, ge=0, le=1, description="Keep if the score >= min_score (default: "
                                    "the threshold suggested by the model's training report).")
    score_only: bool = Field(False, description="Only write the score; drop nothing.")
    degenerate_min_rows: int = Field(50, ge=2, description="Check for a constant score once this many rows are "
                                     "scored, per worker.")
    allow_constant: bool = Field(False, description="Filter even when every row gets the same score (warn "
                                 "instead of stopping the step).")


@register
class QualityClassifier(Filter):
    name = "quality_classifier"
    category = "evaluate"
    description = """Score each row with a quality classifier trained from annotations (an LLM's scores,
    people's keep/drop, a filter's decisions) on MiniLM embeddings and/or hashed n-grams, FineWeb-Edu style;
    stores the calibrated probability of keep in `quality_score` and keeps rows with score >= min_score
    (default: the model's suggested threshold). Refuses to filter on a constant score."""
    examples = (
        "filter with the quality classifier I trained",
        "apply my trained classifier to the whole corpus",
        "score every document with the educational-value classifier",
        "FineWeb-Edu style classifier filter",
        "keep documents the trained model predicts as high quality",
        "run the distilled quality model over all rows",
        "use the classifier trained on LLM annotations to drop low-quality text",
        "cheap model-based quality filter learned from labels",
        "score rows with my classifier but keep them all",
        "drop rows the learned quality model scores below 0.5",
    )
    stage = 55
    inputs = ("{text_field}",)
    outputs = ("{output_field}",)
    Params = QualityClassifierParams
    resources = Resources(cpu=1.0, memory_mb=1024)
    thresholds = (("{output_field}", "min_score", ">="),)
    measure_params = {"score_only": True}

    def setup(self) -> None:
        from tilth.classify import store

        if self.context is None:
            raise ValueError("quality_classifier loads its model from the run's workspace: run it in a recipe "
                             "(`tilth run`), or score texts in Python with tilth.classify.store.load()")
        self._head, self._meta = store.load(self.context.workspace, self.params.model, self.params.version)
        self._threshold = self.params.min_score if self.params.min_score is not None else float(self._meta["threshold"])

    def score(self, batch: pa.Table) -> dict[str, np.ndarray]:
        self.ensure_ready()
        texts = [t or "" for t in text_column(batch, self.params.text_field).to_pylist()]
        return {self.params.output_field: self._head.score_texts(texts).astype(np.float64)}

    def keep(self, scores: pa.Table) -> tuple[np.ndarray, list[str | None]]:
        self.ensure_ready()
        p = self.params
        s = scores.column(p.output_field).to_numpy()
        self._check_constant(s)
        if p.score_only:
            return np.ones(len(s), dtype=bool), [None] * len(s)
        mask = s >= self._threshold
        why = f"{p.output_field} < min_score={self._threshold:.4g} ({p.model} v{self._meta['version']})"
        return mask, [None if m else why for m in mask]

    def _check_constant(self, s: np.ndarray) -> None:
        """Per worker and step: stop once enough rows are scored and they all got the same score."""
        t = getattr(self, "_tally", None)
        if t is None or t["context"] != self.context:
            t = self._tally = {"context": self.context, "rows": 0, "lo": np.inf, "hi": -np.inf, "done": False}
        if not len(s) or t["done"]:
            return
        t["rows"] += len(s)
        t["lo"], t["hi"] = min(t["lo"], float(s.min())), max(t["hi"], float(s.max()))
        if t["rows"] < self.params.degenerate_min_rows:
            return
        t["done"] = True
        if t["hi"] - t["lo"] > 1e-6:
            return
        msg = (f"quality_classifier ({self.params.model} v{self._meta['version']}) gave all {t['rows']} rows scored "
               f"so far the same score {t['lo']:.6f}: it does not tell these rows apart")
        if self.params.score_only or self.params.allow_constant:
            log.warning("WARNING: %s", msg)
            return
        raise DegenerateFilter(f"{msg}; stopped rather than keep all or nothing. Check that text_field names "
                               "the text column, retrain with other features or labels, or set allow_constant: true")
