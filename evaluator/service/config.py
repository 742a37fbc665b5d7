"""What a service process is started with: the policy, the evaluation date, the limits, the
token and the decision log. `evaluator serve` builds one ServiceConfig from its options and
hands it to every worker process through the environment (EVALUATOR_SERVICE_CONFIG, JSON), so
each worker builds its own Evaluator after it starts: an Evaluator is never shared across a fork.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import EvaluatorError

ENV = "EVALUATOR_SERVICE_CONFIG"

# Defaults of the limits (each an option of `evaluator serve`, docs/service.md)
MAX_BODY_BYTES = 10 * 1024 * 1024   # 413 beyond
MAX_BATCH_RECORDS = 10_000          # 413 beyond
REQUEST_SECONDS = 30.0              # 408 when a body takes longer to arrive


class ServiceConfigError(EvaluatorError):
    """A service option that cannot be used (an unreadable token file, an empty token): exit 2."""


@dataclass(frozen=True)
class ServiceConfig:
    policy_path: str
    as_of: str | None = None            # a fixed evaluation date; None: each request's own day (UTC)
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch_records: int = MAX_BATCH_RECORDS
    request_seconds: float = REQUEST_SECONDS
    watch_seconds: float = 2.0          # how often the policy file is looked at (0: only SIGHUP reloads)
    token: str | None = field(default=None, repr=False)  # bearer token; never logged, never shown
    decision_log: str | None = None     # a JSONL file, appended to; None: no decision log
    mask: tuple[str, ...] = ()          # input fields written masked in the decision log
    metrics_dir: str | None = None      # prometheus-client's multiprocess folder (more than one worker)

    def fixed_date(self) -> _dt.date | None:
        return None if self.as_of is None else _dt.date.fromisoformat(self.as_of)

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> "ServiceConfig":
        data: dict[str, Any] = json.loads(os.environ[ENV])
        data["mask"] = tuple(data.get("mask", ()))
        return cls(**data)


def read_token(token_file: str | None, token_env: str | None) -> str | None:
    """The bearer token from a file (its first line, without surrounding white space) or from an
    environment variable; None when neither is given. An empty token is refused: it would let
    anyone in."""
    if token_file is not None and token_env is not None:
        raise ServiceConfigError("give --token-file or --token-env, not both")
    if token_file is not None:
        try:
            with open(token_file, encoding="utf-8") as fh:
                token = fh.readline().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServiceConfigError(f"cannot read the token file {token_file}: "
                                     f"{getattr(exc, 'strerror', None) or exc}") from None
        where = f"the token file {token_file}"
    elif token_env is not None:
        token = os.environ.get(token_env, "").strip()
        where = f"the environment variable {token_env}"
    else:
        return None
    if not token:
        raise ServiceConfigError(f"{where} holds no token")
    return token
