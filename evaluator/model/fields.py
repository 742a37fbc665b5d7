"""Input field names: what a partner record may call each fact, and what it gives that the
policy does not know.

A fact's `aliases` (the column headers of a CRM export, say "Partner ID") are read as the fact
itself. A record giving one fact under two of its names is invalid (which one is meant is not
the evaluator's guess). A field that is neither a fact nor an alias is *unknown*: the CLI names
the unknown fields of a run once on stderr (a misspelt column plus a default gives wrong tiers
silently otherwise), and `--strict-fields` makes each record holding one an error record.
"""
from __future__ import annotations

import difflib
from typing import Any, Iterable, Iterator

from ..errors import Finding
from .policy import Policy
from .definitions import escape


class Fields:
    """The field names of one policy's records."""

    def __init__(self, policy: Policy):
        self.names = {name: (name, *spec.aliases) for name, spec in policy.facts.items()}
        self.alias_of = {alias: name for name, spec in policy.facts.items() for alias in spec.aliases}
        self.known = frozenset(policy.facts) | frozenset(self.alias_of)
        self.has_aliases = bool(self.alias_of)

    def unknown(self, record: Any) -> list[str]:
        """The fields of a record (a dict) that name no fact, in the record's order."""
        if type(record) is not dict or record.keys() <= self.known:
            return []
        return [key for key in record if key not in self.known]

    def given(self, record: dict[str, Any], name: str) -> tuple[str, Any, list[str]]:
        """(the field that gives fact `name`, its value, every field naming it that is present)."""
        present = [field for field in self.names[name] if field in record]
        if not present:
            return name, None, present
        return present[0], record[present[0]], present


def _close(name: str, fields: Fields) -> str | None:
    found = difflib.get_close_matches(name, sorted(fields.known), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_field_findings(fields: Fields, record: Any, policy: Policy) -> list[Finding]:
    """The findings of `--strict-fields`: one per unknown field, located at it."""
    def hint(key: str) -> str:
        close = _close(key, fields)
        return f"; did you mean '{close}'?" if close else ""
    return [Finding(f"field '{key}' is not a fact of the policy" + hint(str(key)),
                    "/" + escape(str(key)), expected="a fact of the policy or one of its aliases", found=str(key))
            for key in fields.unknown(record)]


class FieldWatch:
    """Counts the unknown fields of the records passing through (records per field), and with
    `strict` gives a record that holds one its findings, so it comes out as an error record."""

    def __init__(self, policy: Policy, strict: bool = False):
        self.fields, self.policy, self.strict = Fields(policy), policy, strict
        self.counts: dict[str, int] = {}

    def watch(self, records: Iterable[Any]) -> Iterator[Any]:
        for item in records:
            data = getattr(item, "data", item)
            unknown = self.fields.unknown(data)
            if unknown:
                for key in unknown:
                    self.counts[str(key)] = self.counts.get(str(key), 0) + 1
                if self.strict and not getattr(item, "findings", True):
                    item.findings = unknown_field_findings(self.fields, data, self.policy)
            yield item

    def report(self) -> str | None:
        """One line for stderr naming every unknown field (None when there is none)."""
        if not self.counts:
            return None
        shown = []
        for key, count in sorted(self.counts.items()):
            close = _close(key, self.fields)
            shown.append(f"'{key}' ({count} record{'s' if count != 1 else ''}"
                         + (f"; did you mean '{close}'?" if close else "") + ")")
        n = len(self.counts)
        what = "rejected (--strict-fields)" if self.strict else "ignored"
        return f"note: {n} input field{'s' if n != 1 else ''} the policy does not know, {what}: " + ", ".join(shown)
