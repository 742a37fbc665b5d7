"""The rows of a pandas DataFrame or an Arrow table or batch as partner records: plain JSON values.

A frame holds what JSON would not: numpy scalars and arrays, pandas NA, NaT and NaN, Arrow
lists and structs, dates and timestamps, decimals. Each becomes the JSON value it stands for,
so a record from a frame is decided exactly as the same record read from JSONL:

- a missing cell (None, NaN, pandas NA or NaT, an Arrow null) leaves the field out of the record:
  the fact is absent, as in a JSONL line without it (so the input's sha256 is that line's);
- a numpy integer, float or boolean is the Python number or boolean (an ndarray a list);
- an Arrow list, a numpy array or a tuple is a list; an Arrow struct or a mapping an object
  (inside them a null stays null, which the fact's check then reports);
- a date is its ISO text (YYYY-MM-DD), as a date fact is written in JSON; a timestamp at midnight
  without a time zone the same, any other its full ISO text (which a date fact refuses);
- a decimal is the integer or the double it holds exactly, else it is left as it is and the
  fact's check refuses it (a number a double does not hold is refused in JSON too).

Nothing here imports numpy or pandas: values are recognised by their Python types or names.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import math
from typing import Any, Iterator

_NULL_TYPES = frozenset({"NAType", "NaTType"})  # pandas.NA and pandas.NaT


def is_missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN, pandas NA or NaT."""
    if value is None:
        return True
    if type(value) is float or (isinstance(value, float) and type(value).__module__ == "numpy"):
        return math.isnan(value)
    return type(value).__name__ in _NULL_TYPES


def plain(value: Any) -> Any:
    """The JSON value a frame's cell stands for (see the module's docstring); a missing cell is None."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if value is None or kind.__name__ in _NULL_TYPES:
        return None
    if kind is list or kind is tuple:
        return [plain(item) for item in value]
    if kind is dict:
        return {key: plain(item) for key, item in value.items()}
    module = kind.__module__
    if module == "numpy":
        if kind.__name__ == "ndarray":
            return [plain(item) for item in value]
        return plain(value.item())  # a numpy scalar: the Python value it holds
    if isinstance(value, _dt.datetime):  # (pandas.Timestamp is one)
        if value.tzinfo is None and value.time() == _dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value  # anything else: the fact's check says what it expected


def _decimal(value: decimal.Decimal) -> Any:
    if not value.is_finite():
        return value
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    return number if decimal.Decimal(repr(number)) == value else value


def column_values(values: list[Any], clean: bool) -> list[Any]:
    """One column's cells as plain values (None where missing); `clean`: already plain Python
    str, int or bool values or None (nothing to convert)."""
    return values if clean else [plain(v) for v in values]


def rows(names: list[str], columns: list[list[Any]]) -> Iterator[dict[str, Any]]:
    """One record per row: each column's plain value by its name, missing cells left out."""
    for cells in zip(*columns):
        yield {name: value for name, value in zip(names, cells) if value is not None}


def arrow_columns(batch: Any) -> tuple[list[str], list[list[Any]]]:
    """The column names and plain cell values of a pyarrow Table or RecordBatch."""
    import pyarrow as pa
    names = [str(name) for name in batch.schema.names]
    columns = []
    for index in range(batch.num_columns):
        column = batch.column(index)
        kind = column.type
        clean = pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind) \
            or pa.types.is_boolean(kind) or pa.types.is_null(kind)
        columns.append(column_values(column.to_pylist(), clean))
    return names, columns


def pandas_columns(frame: Any) -> tuple[list[str], list[list[Any]]]:
    """The column names and plain cell values of a pandas DataFrame."""
    names, columns = [], []
    for name in frame.columns:
        series = frame[name]
        kind = series.dtype.kind  # numpy's code; an extension dtype (Int64, string, Arrow) gives "O" or its own
        values = series.tolist()  # numpy scalars become Python ones; object cells stay as they are
        clean = kind in "iub" and type(series.dtype).__module__ == "numpy"  # no missing value possible
        names.append(str(name))
        columns.append(column_values(values, clean))
    return names, columns
