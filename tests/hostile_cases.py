"""Records a library caller may hand `evaluate_many` that JSON input never holds: a `str` Enum
member as a value or an id, an unused integer of over 4,300 digits, a record that holds itself,
a key that is not a string. Imported by tests/test_hostile_records.py in the test process (the
installed package, compiled in CI) and in a child that imports the source tree (plain Python),
so the two builds are held to the same decisions."""
from __future__ import annotations

import enum
from typing import Any


class Region(str, enum.Enum):
    ANZ = "ANZ"
    ASEAN = "ASEAN"


class Country(str, enum.Enum):
    AU = "AU"


def cases() -> dict[str, Any]:
    circular: dict[str, Any] = {"partner_id": "P5", "annual_sales_usd": 150000}
    circular["self"] = circular
    in_list: dict[str, Any] = {"partner_id": "P6", "annual_sales_usd": 5, "notes": []}
    in_list["notes"].append(in_list)
    return {
        "enum list items": {"partner_id": "P1", "annual_sales_usd": 150000, "regions": [Region.ANZ, Region.ASEAN],
                            "countries": [Country.AU]},
        "enum id": {"partner_id": Region.ANZ, "annual_sales_usd": 150000, "regions": ["ANZ", "ASEAN"]},
        "int subclass id": {"partner_id": True, "annual_sales_usd": 5},
        "huge unused int": {"partner_id": "P3", "annual_sales_usd": 5, "unused": 10 ** 5000},
        "huge fact": {"partner_id": "P4", "annual_sales_usd": 10 ** 5000},
        "huge id": {"partner_id": 10 ** 5000, "annual_sales_usd": 5},
        "circular": circular,
        "circular in a list": in_list,
        "int key": {"partner_id": "P7", "annual_sales_usd": 5, 1: "x"},
        "tuple key": {"partner_id": "P8", "annual_sales_usd": 5, (1, 2): "x"},
    }


def lines() -> list[str]:
    """Every case decided in every mode (cached or plain, with or without the input), each as the
    line `evaluate --format jsonl` writes, prefixed by the case and mode."""
    import datetime as dt

    from evaluator import Evaluator, default_policy
    from evaluator.fast.jsonbytes import json_line
    from evaluator.fast.template import jsonl_line

    out = []
    policy = default_policy()
    for with_input in (False, True):
        for cache_size in (None, 0):
            with Evaluator(policy, with_input=with_input, cache_size=cache_size, as_of=dt.date(2026, 1, 1)) as ev:
                named = cases()
                results = list(ev.evaluate_many(named.values()))
                for name, result in zip(named, results):
                    line = jsonl_line(result) or json_line(result.to_dict())
                    out.append(f"{name} | input={with_input} cache={cache_size} | {line}")
    return out
