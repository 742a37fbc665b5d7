"""Ray Data: decide a Dataset's blocks with `map_batches` and a callable class (an actor pool).

    from evaluator.frames.ray import decide_dataset
    decisions = decide_dataset(partners, evaluator)   # lazy: a Ray Dataset of decisions tables

Each actor holds the Evaluator (sent pickled: its policy's text and sha256; the engine is built
once in the actor's process) and turns each Arrow batch into its decisions table (table.py), one
row per partner in order, invalid rows with their error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .table import decide_batch

if TYPE_CHECKING:
    from ..evaluate.evaluator import Evaluator


class DecideBatch:
    """The callable class each Ray actor runs: an Arrow batch in, its decisions table out."""

    def __init__(self, evaluator: "Evaluator", decisions: bool = False):
        self.evaluator, self.decisions = evaluator, decisions

    def __call__(self, batch: Any) -> Any:
        return decide_batch(self.evaluator, batch, decisions=self.decisions)


def decide_dataset(dataset: Any, evaluator: "Evaluator", *, decisions: bool = False, actors: int = 2,
                   batch_size: int = 4096) -> Any:
    """A Ray Dataset of the decisions of `dataset`'s rows, decided by `actors` actors (lazy)."""
    return dataset.map_batches(DecideBatch, fn_constructor_args=(evaluator, decisions), batch_format="pyarrow",
                               batch_size=batch_size, concurrency=actors, zero_copy_batch=True)
