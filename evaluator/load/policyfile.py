"""Load a policy: read the file strictly, validate it (schema, then checks), build the model.

`load_policy` is the first stage of the pipeline load -> validate -> compile -> evaluate ->
explain -> report. It never executes anything from the policy and never opens a network
connection: `$schema` is a name for editors, not something fetched.
"""
from __future__ import annotations

import os
from typing import Any

from ..errors import Finding, PolicyError
from .jsontext import Document, JSONProblem, decode_text, loads
from ..model.policy import Policy, build_policy
from ..validate.checks import policy_findings, schema_findings

MAX_POLICY_BYTES = 5 * 1024 * 1024


def read_document(path: str | os.PathLike[str], *, max_bytes: int = MAX_POLICY_BYTES) -> Document:
    """Read one JSON document strictly, or raise PolicyError with a located finding."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise PolicyError([Finding(f"cannot read policy: {exc.strerror or exc}", file=name, check="read")]) from None
    if len(raw) > max_bytes:
        raise PolicyError([Finding(f"policy is larger than {max_bytes} bytes", file=name,
                                   expected=f"at most {max_bytes} bytes", found="a larger file", check="read")])
    try:
        text = decode_text(raw, "policy")
        return Document(loads(text), text, name)
    except JSONProblem as exc:
        raise PolicyError([Finding(str(exc), exc.pointer, file=name, line=exc.line, column=exc.column,
                                   expected=exc.expected, found=exc.found, check="json")]) from None


def _locate(findings: list[Finding], doc: Document) -> list[Finding]:
    located = []
    for f in findings:
        # a policy given as a dict has no text of its own to point into: the pointer says where
        line, column = doc.locate(f.pointer) if doc.file is not None else (None, None)
        located.append(Finding(f.message, f.pointer, doc.file, line, column, f.expected, f.found, f.severity, f.check))
    return located


def validate_document(doc: Document) -> tuple[Policy | None, list[Finding]]:
    """Schema and semantic findings for a document, located; the model if the schema passed."""
    findings = schema_findings(doc.data)
    if findings:
        # Report what the checks find too, where the model can still be built, so one run shows
        # every error; a check finding inside a part the schema already rejected is left out.
        try:
            partial = build_policy(doc.data, doc.file)
        except Exception:
            return None, _locate(findings, doc)
        bad = [f.pointer for f in findings]
        extra = [f for f in policy_findings(partial, tolerant=True)
                 if not any(f.pointer == p or f.pointer.startswith(p + "/") for p in bad)]
        return None, _locate(findings + extra, doc)
    policy = build_policy(doc.data, doc.file)
    return policy, _locate(policy_findings(policy), doc)


def load_policy(source: str | os.PathLike[str] | dict[str, Any]) -> Policy:
    """Load and validate a policy from a file path (or an already-parsed dict).

    Raises PolicyError carrying every located finding when the policy is invalid."""
    if isinstance(source, dict):
        import json
        try:  # the same rules as a file: JSON values only, finite numbers
            doc = Document(source, json.dumps(source, indent=2, allow_nan=False), None)
        except (TypeError, ValueError) as exc:
            raise PolicyError([Finding(f"policy is not JSON data: {exc}", check="json",
                                       expected="JSON values only (finite numbers, strings, lists, objects)",
                                       found=type(exc).__name__)]) from None
    else:
        doc = read_document(source)
    return policy_from_document(doc)


def policy_from_document(doc: Document) -> Policy:
    """The policy of a document already read (read_document), validated; PolicyError if invalid."""
    policy, findings = validate_document(doc)
    if any(f.severity == "error" for f in findings) or policy is None:
        raise PolicyError(findings)
    return policy


def default_policy() -> Policy:
    """The shipped program."""
    from ..resources import default_policy_path
    return load_policy(default_policy_path())
