"""Write decisions as Parquet: the decisions table (frames/table.py, with each decision's JSON in
its `decision` column, the line `evaluate` writes in JSONL), one row group per batch of input
records, so memory stays bounded whatever the input's size. Written to a file through
atomic_output (replaced only when the run completes), or to standard output when it is not a
terminal (Parquet is binary).
"""
from __future__ import annotations

import itertools
import sys
from typing import IO, TYPE_CHECKING, Any, Iterable

from ..errors import OutputError
from ..load.parquet import BATCH_ROWS, pyarrow_parquet

if TYPE_CHECKING:
    from ..evaluate.evaluator import Evaluator


def binary_stream(out: IO[str]) -> Any:
    """The byte stream under a text stream from output_to (flushed first); refuses a terminal."""
    if out is sys.stdout and out.isatty():
        raise OutputError("Parquet is binary: write it to a file (-o FILE.parquet) or a pipe, not a terminal")
    out.flush()
    return out.buffer  # type: ignore[attr-defined]


def write_parquet(evaluator: "Evaluator", records: Iterable[Any], out: IO[str],
                  batch_rows: int = BATCH_ROWS) -> tuple[int, int]:
    """Decide `records` and write their decisions table to `out` (a text stream from output_to:
    written through its byte stream). Returns (records written, error records)."""
    pq = pyarrow_parquet()
    from ..frames.table import decisions_arrow, decisions_schema
    binary = binary_stream(out)
    total = invalid = 0
    records = iter(records)
    with pq.ParquetWriter(binary, decisions_schema(evaluator.policy, decisions=True), compression="zstd") as writer:
        while True:
            chunk = list(itertools.islice(records, batch_rows))
            if not chunk:
                break
            table = decisions_arrow(evaluator, chunk, decisions=True)
            writer.write_table(table)
            total += table.num_rows
            invalid += table.num_rows - table.column("error").null_count
    binary.flush()
    return total, invalid
