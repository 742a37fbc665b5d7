"""Memo keys of the template writer: fact values as keys that keep apart what prints differently
(1, 1.0 and True; a list's items by their types)."""
from __future__ import annotations

from typing import Any


def single(names: set[str]) -> str | None:
    return next(iter(names)) if len(names) == 1 else None


def tag(value: Any) -> Any:
    """A fact value as a memo key: 1, 1.0 and True are different keys (they print differently)."""
    if type(value) is list:
        return items_key(value)
    return (type(value), value)


def items_key(items: list[Any]) -> tuple[Any, ...]:
    """A list fact as a memo key: a string list's items as they are; a number, date or record list's
    items each tagged with its type (and a record's fields with theirs), since they print by it."""
    key = tuple(items)
    for item in key:
        if type(item) is not str:
            return tuple(tuple(sorted((k, type(v), v) for k, v in item.items())) if type(item) is dict
                         else (type(item), item) for item in key)
    return key
