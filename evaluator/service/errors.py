"""A request the service refuses: its HTTP status, a message and the located findings, written
as one JSON object (never a traceback). The statuses (docs/service.md):

  400  the body is not what the endpoint reads (a malformed JSON array, an empty body, a bad query)
  401  no bearer token, or the wrong one (authentication is on)
  404  no such endpoint; 405: the endpoint does not take this method
  408  the body took longer than the request time limit to arrive
  413  the body is over the size limit, or a batch over the record limit
  415  a batch in a media type the service does not read
  422  a partner record that is invalid: the body is its error record, every problem located
  500  a bug (the message names the exception's class only; the log has the rest)
"""
from __future__ import annotations

from typing import Any

import orjson

from ..errors import Finding


class ServiceError(Exception):
    """A refused request: `status`, `message`, the findings (located problems) and extra headers."""

    def __init__(self, status: int, message: str, findings: list[Finding] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.findings, self.headers = status, message, findings or [], headers or {}

    def body(self) -> bytes:
        return error_body(self.status, self.message, [f.to_dict() for f in self.findings])


def error_body(status: int, message: str, findings: list[dict[str, Any]] | None = None) -> bytes:
    """`{"error": {"status": .., "message": .., "findings": [..]}}` and a newline."""
    return orjson.dumps({"error": {"status": status, "message": message, "findings": findings or []}}) + b"\n"
