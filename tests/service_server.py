"""A real `evaluator serve` for the tests: the installed console script in a subprocess on a free
loopback port, talked to over HTTP (http.client, one connection per request unless given one)."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from conftest import EVALUATOR_BIN, REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        import json
        return json.loads(self.body)

    @property
    def sha(self) -> str:
        return self.headers["x-policy-sha256"]


class Server:
    """`evaluator serve ARGS --port P`, started and ready (GET /health/live answers)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                 ready: bool = True, log: Path | None = None):
        self.port = free_port()
        full_env = dict(os.environ, **(env or {}))
        full_env.pop("EVALUATOR_DEBUG", None)
        if log is None:  # a file, not a pipe: a pipe nobody reads would stop the server once full
            fd, name = tempfile.mkstemp(prefix="evaluator-serve-", suffix=".log")
            os.close(fd)
            log = Path(name)
        self.log_path = log
        self.log = open(log, "wb")
        self.proc = subprocess.Popen([str(EVALUATOR_BIN), "serve", *args, "--port", str(self.port),
                                      "--no-access-log"], cwd=cwd or REPO, env=full_env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if ready:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}: {self.output()}")
            try:
                if self.request("GET", "/health/live").status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the server did not become ready")

    def output(self) -> str:
        """What the server has written to its standard output and error so far."""
        return self.log_path.read_text(errors="replace")

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None,
                connection: http.client.HTTPConnection | None = None) -> Reply:
        conn = connection or self.connect()
        try:
            conn.request(method, path, body.encode() if isinstance(body, str) else body, headers or {})
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            if connection is None:
                conn.close()

    def post(self, path: str, body: bytes | str, content_type: str = "application/json", **kw: Any) -> Reply:
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        return self.request("POST", path, body, headers, **kw)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.log.close()
        return code

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
