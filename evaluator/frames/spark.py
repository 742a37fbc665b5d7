"""Spark: decide a Spark DataFrame's partitions on the executors, with `mapInArrow`.

    from evaluator.frames.spark import decide_spark
    decisions = decide_spark(partners, evaluator)   # lazy: a Spark DataFrame of decisions

Spark hands each Python worker Arrow record batches of the partition (array columns as Arrow
lists, so list facts stay lists); each becomes its decisions table (table.py), with the output
schema derived from the policy (`spark_schema`): one row per partner, invalid rows with their
error. The Evaluator goes to the executors pickled (its policy's text and sha256) and each
Python worker process builds one engine for it. mapInArrow needs Spark 3.3 or later.

Column names hold dots (`premier_certified.status`, as in the CSV output): in Spark SQL and
`col()` write them between backticks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .table import column_names, decide_batch

if TYPE_CHECKING:
    from ..evaluate.evaluator import Evaluator
    from ..model.policy import Policy


def spark_schema(policy: "Policy", decisions: bool = False) -> Any:
    """The Spark StructType of the decisions of `policy` (decisions_schema's columns and types)."""
    from pyspark.sql.types import IntegerType, StringType, StructField, StructType
    return StructType([StructField(name, IntegerType() if name == "tier_rank" else StringType(), True)
                       for name in column_names(policy, decisions)])


class DecideBatches:
    """What each Spark task runs: every Arrow batch of its partition to its decisions batch."""

    def __init__(self, evaluator: "Evaluator", decisions: bool):
        self.evaluator, self.decisions = evaluator, decisions

    def __call__(self, batches: Iterable[Any]) -> Iterator[Any]:
        for batch in batches:
            yield decide_batch(self.evaluator, batch, decisions=self.decisions)


def decide_spark(frame: Any, evaluator: "Evaluator", *, decisions: bool = False) -> Any:
    """A Spark DataFrame of the decisions of `frame`'s rows (lazy; write or collect it)."""
    return frame.mapInArrow(DecideBatches(evaluator, decisions), spark_schema(evaluator.policy, decisions))
