"""A batch of partners in, a table of decisions out: the frame API the adapters and Parquet use.

`decide_batch(evaluator, batch)` takes a pandas DataFrame, a pyarrow Table or a RecordBatch (one
partner per row, a column per fact) and returns the same kind (a Table for a Table, a RecordBatch
for a RecordBatch, a DataFrame for a DataFrame) with one row per input row, in input order: a
decision, or the error record of an invalid row (its `error` set, its tier and statuses null).
Its columns, from `decisions_schema(policy)` (docs/scale.md):

    partner_id, tier_id, tier_name      string (null: no tier, or an invalid row)
    tier_rank                            int32
    override                             string: the override that decided it
    payouts_annual.<CURRENCY>, payouts  string: where the policy pays, the paid annual total per
                                         currency (decimal text; null when unknown) and each
                                         payout in short, the CSV's cells (output/payoutcells.py)
    <tier>.status, <tier>.<criterion>   string: met, not_met or missing, for each tier in policy order
    error                                string: why the row is invalid (null for a decision)
    policy_id, policy_version, policy_sha256, input_sha256   string
    decision                             string: the decision's JSON, only with decisions=True

`decision` holds exactly the line `evaluator evaluate` writes for that record in JSONL.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import InputError
from ..evaluate.evaluator import InputRecord
from ..fast.jsonbytes import json_line
from ..fast.template import jsonl_line
from ..model.decision import Decision
from ..output import payoutcells
from .values import arrow_columns, pandas_columns, rows

if TYPE_CHECKING:
    from ..evaluate.evaluator import Evaluator
    from ..model.policy import Policy

HEAD = ("partner_id", "tier_id", "tier_name", "tier_rank", "override")
TAIL = ("error", "policy_id", "policy_version", "policy_sha256", "input_sha256")


def status_columns(policy: "Policy") -> list[str]:
    """Each tier's status column and its criteria's, in policy order (as in the CSV output)."""
    columns = []
    for tier in policy.tiers:
        columns.append(f"{tier.id}.status")
        columns.extend(f"{tier.id}.{c.id}" for c in tier.criteria)
    return columns


def column_names(policy: "Policy", decisions: bool = False) -> list[str]:
    return [*HEAD, *payoutcells.columns(policy), *status_columns(policy), *TAIL, *(("decision",) if decisions else ())]


def decisions_schema(policy: "Policy", decisions: bool = False) -> Any:
    """The pyarrow schema of the decisions table of `policy` (with the `decision` column if asked)."""
    import pyarrow as pa
    return pa.schema([pa.field(name, pa.int32() if name == "tier_rank" else pa.string())
                      for name in column_names(policy, decisions)])


def batch_records(batch: Any, file: str | None = None, first_row: int = 1) -> Iterator[InputRecord]:
    """The rows of a batch as input records; with `file`, each names where it came from
    ({"file": file, "row": n}, n counted from `first_row`), else none."""
    names, columns = frame_columns(batch, file)
    for number, record in enumerate(rows(names, columns), start=first_row):
        yield InputRecord(record, {"file": file, "row": number} if file is not None else None)


def frame_columns(batch: Any, file: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """The column names and plain cells of a batch; InputError if it names a column twice."""
    read: Callable[[Any], tuple[list[str], list[list[Any]]]]
    if hasattr(batch, "schema") and hasattr(batch, "num_columns"):
        read, names = arrow_columns, [str(n) for n in batch.schema.names]
    elif hasattr(batch, "columns") and hasattr(batch, "dtypes"):
        read, names = pandas_columns, [str(n) for n in batch.columns]
    else:
        raise TypeError(f"expected a pandas DataFrame or a pyarrow Table or RecordBatch, found {type(batch).__name__}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{file or 'the batch'} names column(s) {', '.join(duplicated)} more than once")
    return read(batch)


def decision_columns(evaluator: "Evaluator", records: Any, decisions: bool = False) -> dict[str, list[Any]]:
    """The decisions table's columns (name -> cells) for input records, in order."""
    policy = evaluator.policy
    names = column_names(policy, decisions)
    columns: dict[str, list[Any]] = {name: [] for name in names}
    statuses = status_columns(policy)
    head = [columns[n] for n in HEAD]
    tail = [columns[n] for n in TAIL]
    status_cells = [columns[n] for n in statuses]
    position = {name: i for i, name in enumerate(statuses)}
    json_cells = columns.get("decision")
    paying = [(name, columns[name]) for name in payoutcells.columns(policy)]
    for result in evaluator.evaluate_many(records):
        ref = result.policy
        digest = result.input_sha256
        if isinstance(result, Decision):
            tier, override = result.tier, result.override
            for cells, value in zip(head, (result.partner_id, tier and tier.id, tier and tier.name,
                                           tier and tier.rank, override and override.id)):
                cells.append(value)
            row: list[Any] = [None] * len(statuses)
            for tier_of, status, criteria in result.statuses():
                row[position[f"{tier_of.id}.status"]] = status
                for criterion_id, criterion_status in criteria:
                    row[position[f"{tier_of.id}.{criterion_id}"]] = criterion_status
            for cells, value in zip(status_cells, row):
                cells.append(value)
            error = None
        else:
            head[0].append(result.partner_id)
            for cells in (*head[1:], *status_cells):
                cells.append(None)
            error = result.message
        if paying:
            paid = payoutcells.cells(policy, result)  # none for an error record: null cells
            for name, cells in paying:  # an unknown total (an empty CSV cell) is null
                cells.append(paid.get(name) or None if name != payoutcells.TEXT_COLUMN else paid.get(name))
        for cells, value in zip(tail, (error, ref["id"], ref["version"], ref["sha256"], digest)):
            cells.append(value)
        if json_cells is not None:
            line = jsonl_line(result)  # the same text evaluate writes, from the encoding's template
            json_cells.append(line if line is not None else json_line(result.to_dict()))
    return columns


def decisions_arrow(evaluator: "Evaluator", records: Any, decisions: bool = False) -> Any:
    """The decisions of input records as a pyarrow Table of decisions_schema."""
    import pyarrow as pa
    schema = decisions_schema(evaluator.policy, decisions)
    columns = decision_columns(evaluator, records, decisions)
    return pa.Table.from_arrays([pa.array(columns[f.name], f.type) for f in schema], schema=schema)


def to_pandas(table: Any) -> Any:
    """A decisions table as pandas: strings as objects (None where null), tier_rank as Int32."""
    import pandas as pd
    import pyarrow as pa
    return table.to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get)


def decide_batch(evaluator: "Evaluator", batch: Any, *, decisions: bool = False, file: str | None = None,
                 first_row: int = 1) -> Any:
    """The decisions table of a batch of partners (see the module's docstring): a pandas DataFrame
    for a DataFrame, a pyarrow Table for a Table, a RecordBatch for a RecordBatch. With `file`,
    each decision names where its record came from ({"file": file, "row": n}, from `first_row`)."""
    table = decisions_arrow(evaluator, batch_records(batch, file, first_row), decisions)
    if hasattr(batch, "schema") and hasattr(batch, "num_columns"):
        import pyarrow as pa
        if isinstance(batch, pa.RecordBatch):
            return table.combine_chunks().to_batches()[0] if table.num_rows else \
                pa.RecordBatch.from_pylist([], schema=table.schema)
        return table
    return to_pandas(table)
