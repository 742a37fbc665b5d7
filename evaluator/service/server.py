"""Running the service: uvicorn serving `create_app`, in this process (one worker) or in N
worker processes started by uvicorn's supervisor, each creating its own Evaluator once started
(an Evaluator's engine cannot cross a fork).

Signals: SIGTERM (or SIGINT) stops accepting connections, lets requests in flight finish and
exits 0. SIGHUP reloads the policy in every worker (the supervisor passes it on rather than
restarting the workers, so a bad policy keeps the one in force instead of stopping a worker).
"""
from __future__ import annotations

import copy
import os
import shutil
import signal
import tempfile
from typing import Any

from .config import ENV, ServiceConfig

APP = "evaluator.service.app:create_app"


def _log_config(access_log: bool) -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["evaluator"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    if not access_log:
        config["loggers"]["uvicorn.access"]["handlers"] = []
    return config


def serve(config: ServiceConfig, host: str, port: int, workers: int, access_log: bool = True,
          drain_seconds: int = 30) -> None:
    """Serve until SIGTERM or SIGINT; returns once every request in flight has been answered."""
    import uvicorn

    metrics_dir = None
    if workers > 1:  # prometheus-client adds up the workers' samples from files in this folder
        metrics_dir = tempfile.mkdtemp(prefix="evaluator-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ[ENV] = config.to_env()
    # until a worker's own handler is in place, SIGHUP (a reload request) must not stop it
    previous_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    settings = uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers, access_log=access_log,
                              log_config=_log_config(access_log), timeout_graceful_shutdown=drain_seconds,
                              server_header=False, proxy_headers=False, lifespan="on",
                              http="httptools", loop="uvloop")
    try:
        if workers > 1:
            socket = settings.bind_socket()
            _workers()(settings, sockets=[socket]).run()
        else:
            server = uvicorn.Server(settings)
            # uvicorn raises the stopping signal again once drained: taken here as a clean stop
            for name in ("SIGTERM", "SIGINT"):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            try:
                server.run()
            except SystemExit as exc:  # uvicorn could not start (the port is taken): it said why
                raise SystemExit(2 if exc.code else 0) from None
            if not server.started:
                raise SystemExit(2)
    finally:
        signal.signal(signal.SIGHUP, previous_hup)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _workers() -> Any:
    from uvicorn.supervisors.multiprocess import Multiprocess

    class Workers(Multiprocess):
        """uvicorn's supervisor, with SIGHUP passed on to each worker (which reloads its policy)."""

        def handle_hup(self) -> None:
            for process in self.processes:
                if process.pid is not None:
                    os.kill(process.pid, signal.SIGHUP)

    return Workers

