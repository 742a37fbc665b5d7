"""`evaluator serve`: the decision service over HTTP (evaluator/service/, docs/service.md), a
thin layer over it. Needs the `service` extra: pip install 'partner-policy-evaluator[service]'."""
from __future__ import annotations

import click

from ..errors import EvaluatorError
from .options import as_of_from, as_of_option, policy_from, policy_option


class MissingExtra(EvaluatorError):
    """The service's libraries are not installed (exit 2)."""


@click.command()
@policy_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default takes connections from this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="TCP port.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes, each with its own Evaluator.")
@as_of_option
@click.option("--token-file", metavar="FILE", default=None,
              help="Require `Authorization: Bearer TOKEN`, TOKEN the first line of FILE (health checks excepted).")
@click.option("--token-env", metavar="VAR", default=None, help="As --token-file, the token in environment variable VAR.")
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=None, help="Largest request body (413 beyond). "
              "Default: 10 MiB.")
@click.option("--max-batch", "max_batch", type=click.IntRange(min=1), default=None,
              help="Most records in one batch (413 beyond). Default: 10000.")
@click.option("--request-seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Longest a request body may take to arrive (408 beyond). Default: 30.")
@click.option("--watch-seconds", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="How often the policy file is checked for a change (0: reload on SIGHUP only).")
@click.option("--decision-log", metavar="FILE", default=None,
              help="Append one JSONL line per decision to FILE (decision id, time, policy, input digest, tier, input).")
@click.option("--mask", metavar="FIELD", multiple=True, help="An input field the decision log writes as \"***\" "
              "(repeatable).")
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log one line per request.")
def serve(policy_path: str | None, host: str, port: int, workers: int, as_of: str | None, token_file: str | None,
          token_env: str | None, max_body_bytes: int | None, max_batch: int | None, request_seconds: float | None,
          watch_seconds: float, decision_log: str | None, mask: tuple[str, ...], access_log: bool) -> None:
    """Serve decisions over HTTP: POST /v1/decisions (one record) and /v1/decisions/batch, the
    policy, its sheet and schemas, health, metrics and OpenAPI (docs/service.md).

    The policy file is reloaded when it changes and on SIGHUP (a bad one keeps the policy in
    force); SIGTERM lets requests in flight finish, then exits 0."""
    try:
        import prometheus_client, starlette, uvicorn  # noqa: F401  (the extra's libraries, each needed)
        from ..service.config import MAX_BATCH_RECORDS, MAX_BODY_BYTES, REQUEST_SECONDS, ServiceConfig, read_token
        from ..service.server import serve as run
    except ImportError as exc:
        raise MissingExtra(f"evaluator serve needs the service extra ({exc.name} is missing): "
                           "pip install 'partner-policy-evaluator[service]'") from None
    import os
    from ..resources import default_policy_path
    policy_from(policy_path)  # an invalid policy: its located errors, exit 2, before listening
    as_of_from(as_of)
    config = ServiceConfig(policy_path=os.path.abspath(policy_path or default_policy_path()), as_of=as_of,
                           max_body_bytes=max_body_bytes or MAX_BODY_BYTES,
                           max_batch_records=max_batch or MAX_BATCH_RECORDS,
                           request_seconds=request_seconds or REQUEST_SECONDS, watch_seconds=watch_seconds,
                           token=read_token(token_file, token_env),
                           decision_log=os.path.abspath(decision_log) if decision_log else None, mask=mask)
    run(config, host, port, workers, access_log)
