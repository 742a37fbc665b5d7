"""Read partner records from a Parquet file, a row group's batch at a time (memory bounded, as
for JSONL): one record per row, a fact per column, each cell its plain JSON value
(frames/values.py: a missing cell leaves the fact out); each record names its file and row.

Problems with the file as a whole are InputError (exit 2) before the first record comes out: no
pyarrow, a file that is not Parquet, a column named twice. A row group that cannot be read
later (a file cut short) is an InputError too, when it is reached: written output is then
not replaced (atomic_output).
"""
from __future__ import annotations

from typing import Any, Iterator

from ..errors import InputError
from ..evaluate.evaluator import InputRecord

MAGIC = b"PAR1"
SUFFIXES = (".parquet", ".parq", ".pq")
BATCH_ROWS = 65536  # rows decoded at once (a row group's batch): bounds memory, whatever the file's size
NEEDS_PYARROW = "Parquet needs pyarrow: pip install 'partner-policy-evaluator[parquet]'"


def is_parquet(path: str) -> bool:
    """Whether a path names a Parquet file: by its suffix, else its first four bytes."""
    if path == "-":
        return False
    if path.lower().endswith(SUFFIXES):
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(NEEDS_PYARROW) from None
    return pq


def read_parquet(path: str) -> Iterator[InputRecord]:
    """The records of a Parquet file (see the module's docstring). Raises InputError now if the
    file as a whole is unusable."""
    if path == "-":
        raise InputError("Parquet is read from a file, not standard input (its index is at its end): give its path")
    pq = pyarrow_parquet()
    import pyarrow as pa
    try:
        parquet = pq.ParquetFile(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except pa.ArrowException as exc:
        raise InputError(f"{path} is not a readable Parquet file: {exc}") from None
    names = parquet.schema_arrow.names
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{path} names column(s) {', '.join(duplicated)} more than once")
    return _records(parquet, path)


def _records(parquet: Any, path: str) -> Iterator[InputRecord]:
    import pyarrow as pa
    from ..frames.table import batch_records
    row = 1
    batches = parquet.iter_batches(batch_size=BATCH_ROWS)
    with parquet:
        while True:
            try:
                batch = next(batches, None)
            except (OSError, pa.ArrowException) as exc:
                raise InputError(f"{path}: cannot read the rows from row {row} on: {exc}") from None
            if batch is None:
                return
            yield from batch_records(batch, path, row)
            row += batch.num_rows
