"""Past one machine: partners in pandas DataFrames and Arrow batches decided as tables.

`decide_batch(evaluator, batch)` is the frame API (table.py): a batch in, its decisions table out,
one row per input row, equal to what `evaluator evaluate` decides for the same records. The
adapters build on it: `evaluator.frames.dask` (DataFrame and Bag partitions), `evaluator.frames.spark`
(mapInArrow), `evaluator.frames.ray` (Ray Data map_batches). An Evaluator pickles (it is rebuilt
on each worker from its policy's text and sha256), so a cluster is sent the Evaluator itself.
pyarrow and pandas come with the extras `parquet`, `dask`, `spark` and `ray` (docs/scale.md).
"""
from .table import column_names, decide_batch, decisions_schema, status_columns
from .values import plain

__all__ = ["column_names", "decide_batch", "decisions_schema", "plain", "status_columns"]
