"""Dask: decide every partition of a Dask DataFrame or Bag, on a cluster's workers.

    from evaluator.frames.dask import decide_dataframe
    decisions = decide_dataframe(partners, evaluator)   # lazy: a Dask DataFrame of decisions tables

Each partition becomes its decisions table (table.py), one row per partner, in order; the
Evaluator goes to the workers pickled (its policy's text and sha256) and each worker process
builds one engine for it, however many partitions it decides.

The string-conversion trap: Dask turns a pandas frame's object columns into strings when it
makes a Dask frame (`dataframe.convert-string`), and a list column's lists become the text
"['AU']", which every record would then fail. `from_pandas` here makes the frame without that
conversion, and `decide_dataframe` refuses, before any work, a frame whose list-fact column is
text, naming the column and the fix. (read_parquet keeps list columns as lists.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import InputError
from ..evaluate.evaluator import InputRecord
from ..language.facttypes import FACT_TYPES
from .table import decide_batch, decisions_arrow, to_pandas
from .values import plain

if TYPE_CHECKING:
    from ..evaluate.evaluator import Evaluator
    from ..model.policy import Policy


def from_pandas(frame: Any, npartitions: int | None = None, **options: Any) -> Any:
    """dask.dataframe.from_pandas without the string conversion, so list columns stay lists."""
    import dask
    import dask.dataframe as dd
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions, **options)


def text_list_columns(dtypes: Any, policy: "Policy") -> list[str]:
    """The columns of list facts whose dtype is a string dtype (their lists turned to text)."""
    found = []
    for name, spec in policy.facts.items():
        if FACT_TYPES[spec.type].value_type == "list" and name in dtypes.index:
            dtype = dtypes[name]
            if dtype != object and ("str" in str(dtype).lower()):
                found.append(name)
    return found


def decide_dataframe(frame: Any, evaluator: "Evaluator", *, decisions: bool = False) -> Any:
    """A Dask DataFrame of the decisions tables of `frame`'s partitions (lazy; compute or write it)."""
    trapped = text_list_columns(frame.dtypes, evaluator.policy)
    if trapped:
        raise InputError(
            f"column(s) {', '.join(trapped)} hold text, not lists: Dask's string conversion turned each list into "
            "text such as \"['AU']\"; make the frame with evaluator.frames.dask.from_pandas, or inside "
            "dask.config.set({'dataframe.convert-string': False}), or read it from Parquet")
    meta = to_pandas(decisions_arrow(evaluator, [], decisions))
    return frame.map_partitions(decide_partition, evaluator, decisions, meta=meta, enforce_metadata=False)


def decide_partition(partition: Any, evaluator: "Evaluator", decisions: bool) -> Any:
    """One partition's decisions table (what each Dask task runs)."""
    return decide_batch(evaluator, partition, decisions=decisions)


def decide_bag(bag: Any, evaluator: "Evaluator", *, as_json: bool = False) -> Any:
    """A Dask Bag of the decisions of a Bag of partner records (dicts): each decision's JSON
    data (Decision.to_dict()), or with `as_json` its line as `evaluate` writes it in JSONL."""
    return bag.map_partitions(decide_records, evaluator, as_json)


def decide_records(records: Iterable[Any], evaluator: "Evaluator", as_json: bool) -> list[Any]:
    """The decisions of one Bag partition's records, in order, each record out exactly once."""
    items = (InputRecord(plain(record), None) for record in records)
    if as_json:  # the JSONL lane `evaluate` writes with: the same lines, from per-encoding templates
        from ..fast.lane import jsonl_lines
        return [line for line, _ in jsonl_lines(evaluator, items)]
    return [result.to_dict() for result in evaluator.evaluate_many(items)]
