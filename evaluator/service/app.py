"""The decision service's ASGI application (Starlette): the endpoints of docs/service.md over one
Evaluator per worker process, created by `create_app` after the worker starts.

A decision is the line `evaluate --format jsonl` writes for the same record (fast/lane.py makes
both), with its newline; the record's source is `<request>` where the CLI says `<stdin>`. Every
response names a policy in X-Policy-Id, -Version and -Sha256: for a decision, the policy that
made it (read from the decision itself); for a batch, the policy in force when it started (each
line names its own, which differs only if a reload lands during the batch); otherwise the
policy in force.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as _dt
import hmac
import logging
import signal
import time
from typing import Any, AsyncIterator
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..evaluate.evaluator import Evaluator
from ..fast.lane import lane
from ..language.facts import facts_schema
from ..load.policyfile import load_policy
from ..model.policy import Policy
from ..resources import schema as shipped_schema
from ..tools.sheet import render_sheet
from . import metrics
from .bodies import batch_records, batch_type, one_record, read_body
from .config import ServiceConfig
from .decisionlog import DecisionLog, decision_id
from .errors import ServiceError, error_body
from .openapi import openapi
from .reloader import Reloader

JSON = "application/json"
OPEN = frozenset({"/health/live", "/health/ready"})  # answered without a token (probes)
ENDPOINTS = frozenset({"/v1/decisions", "/v1/decisions/batch", "/v1/policy", "/v1/policy/sheet", "/openapi.json",
                       "/health/live", "/health/ready", "/metrics"})
log = logging.getLogger("evaluator.service")
CHUNK = 256  # batch lines sent at a time; between two chunks the worker answers other requests


def _headers(ref: dict[str, str]) -> dict[str, str]:
    """The headers of every response: the policy, and no guessing of a media type by a browser."""
    return {"X-Policy-Id": ref["id"], "X-Policy-Version": ref["version"], "X-Policy-Sha256": ref["sha256"],
            "X-Content-Type-Options": "nosniff"}


def tier_of(line: bytes) -> str:
    """The tier id of a decision line ('none' when it gives no tier), without parsing it: the first
    `"tier":` of a line is its tier member (partner_id comes before it, and a JSON string cannot
    hold `tier":` unescaped), and a tier id is an identifier (no quote or escape)."""
    start = line.find(b'"tier":') + 7
    if line.startswith(b"null", start):
        return "none"
    start += 7  # {"id":"
    return line[start:line.index(b'"', start)].decode()


def policy_sha(line: bytes) -> str:
    """The sha256 of the policy that made a decision (or error) line: its `"policy":{` member."""
    start = line.find(b'"sha256":"', line.rfind(b'"policy":{')) + 10
    return line[start:start + 64].decode()


class Service:
    """One worker's state: its Evaluator, reloader, metrics and decision log."""

    def __init__(self, config: ServiceConfig):
        self.config = config
        self.fixed_date = config.fixed_date()
        policy = load_policy(config.policy_path)
        self.evaluator = Evaluator(policy, as_of=self.fixed_date)
        self.known: dict[str, dict[str, str]] = {policy.sha256: _headers(policy.ref)}  # sha256 -> headers
        self.in_force = policy.ref
        metrics.policy_in_force(None, policy.ref)
        self.reloader = Reloader(config.policy_path, self.evaluator, config.watch_seconds, self._reloaded)
        self.cache = metrics.CacheCounter()
        self.tier_counters: dict[str, Any] = {}  # tier id -> its counter (labels() looked up once)
        self.log = DecisionLog(config.decision_log, config.mask) if config.decision_log else None
        self.token = config.token.encode() if config.token else None

    def _reloaded(self, result: dict[str, Any]) -> None:
        ref = result["policy"]
        self.known[ref["sha256"]] = _headers(ref)
        metrics.policy_in_force(self.in_force, ref)
        self.in_force = ref
        metrics.reloaded(result)

    @property
    def policy(self) -> Policy:
        return self.evaluator.policy

    def headers_for(self, line: bytes) -> dict[str, str]:
        sha = policy_sha(line)
        known = self.known.get(sha)
        if known is None:  # decided by a policy swapped in a moment ago: read the line itself
            known = _headers(orjson.loads(line)["policy"])
        return known

    def as_of(self, query: bytes) -> _dt.date:
        """A request's evaluation date: its as_of option, else the server's --as-of, else today (UTC)."""
        value = parse_qs(query.decode("latin-1")).get("as_of", [None])[-1] if query else None
        if value is not None:
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                raise ServiceError(400, f"as_of is not a date: {value!r}", [], {}) from None
        return self.fixed_date or _dt.datetime.now(_dt.timezone.utc).date()

    def counted(self, lines: list[bytes], oks: list[bool]) -> None:
        tiers: collections.Counter[str] = collections.Counter()
        invalid = 0
        for line, ok in zip(lines, oks):
            if ok:
                tiers[tier_of(line)] += 1
            else:
                invalid += 1
        for tier, count in tiers.items():
            child = self.tier_counters.get(tier)
            if child is None:
                child = self.tier_counters[tier] = metrics.DECISIONS.labels(tier)
            child.inc(count)
        if invalid:
            metrics.INVALID.inc(invalid)
        self.cache.update(self.evaluator.cache_info())

    # -- the endpoints --
    def decision(self, body: bytes, query: bytes) -> tuple[int, bytes, dict[str, str]]:
        """POST /v1/decisions: (status, the decision line with its newline, headers)."""
        as_of = self.as_of(query)
        record = one_record(body)
        ((line, ok),) = list(lane(self.evaluator, [record], as_of=as_of))
        self.counted([line], [ok])
        headers = self.headers_for(line)
        if self.log is not None:
            headers = {**headers, "X-Decision-Id": decision_id()}
            self.log.write(line, record.data, headers["X-Decision-Id"])
        return (200 if ok else 422), line + b"\n", headers

    async def decide(self, request: Request) -> Response:  # (Guard answers these itself: `decide_asgi`)
        body = await read_body(request.receive, request.headers.get("content-length"), self.config.max_body_bytes,
                               self.config.request_seconds)
        status, content, headers = self.decision(body, request.scope["query_string"])
        return Response(content, status, headers, JSON)

    async def decide_asgi(self, scope: Any, receive: Any, send: Any) -> None:
        """POST /v1/decisions straight on ASGI, without Starlette's request, routing and response
        objects: the one endpoint whose every microsecond shows in a client's latency."""
        try:
            length = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"content-length"),
                          None)
            body = await read_body(receive, length, self.config.max_body_bytes, self.config.request_seconds)
            status, content, headers = self.decision(body, scope["query_string"])
        except ServiceError as exc:
            status, content, headers = exc.status, exc.body(), {**_headers(self.policy.ref), **exc.headers}
        except Exception:  # a bug: its traceback in the log, a short JSON answer
            log.exception("internal error deciding a record")
            status, content = 500, error_body(500, "internal error; the server's log has the details")
            headers = _headers(self.policy.ref)
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        raw += [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})

    async def batch(self, request: Request) -> Response:
        fmt = batch_type(request.headers.get("content-type"))
        body = await read_body(request.receive, request.headers.get("content-length"), self.config.max_body_bytes,
                               self.config.request_seconds)
        records = batch_records(body, fmt, self.config.max_batch_records)
        as_of = self.as_of(request.scope["query_string"])
        return StreamingResponse(self._stream(records, as_of), 200, _headers(self.policy.ref), "application/x-ndjson")

    async def _stream(self, records: list[Any], as_of: _dt.date) -> AsyncIterator[bytes]:
        lines: list[bytes] = []
        oks: list[bool] = []
        done = 0
        for line, ok in lane(self.evaluator, records, as_of=as_of):
            lines.append(line)
            oks.append(ok)
            if len(lines) == CHUNK:
                yield self._sent(lines, oks, records, done)
                done += len(lines)
                lines, oks = [], []
                await asyncio.sleep(0)  # let this worker answer other requests between chunks
        if lines:
            yield self._sent(lines, oks, records, done)

    def _sent(self, lines: list[bytes], oks: list[bool], records: list[Any], done: int) -> bytes:
        self.counted(lines, oks)
        if self.log is not None:
            for offset, line in enumerate(lines):
                self.log.write(line, records[done + offset].data, decision_id())
        lines.append(b"")
        return b"\n".join(lines)

    async def policy_info(self, request: Request) -> Response:
        policy = self.policy
        return self.json({"id": policy.id, "version": policy.version, "sha256": policy.sha256, "title": policy.title,
                          "effective": policy.effective}, policy)

    async def sheet(self, request: Request) -> Response:
        fmt = request.query_params.get("format", "markdown")
        if fmt not in ("markdown", "html"):
            raise ServiceError(400, f"format is markdown or html, not {fmt!r}")
        policy = self.policy
        headers = _headers(policy.ref)
        if fmt == "html":  # self-contained: no script, no external resource may run or load
            headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        media = "text/html; charset=utf-8" if fmt == "html" else "text/markdown; charset=utf-8"
        return Response(render_sheet(policy, fmt).encode("utf-8"), 200, headers, media)

    async def schema(self, request: Request) -> Response:
        name = request.path_params["name"]
        policy = self.policy
        if name == "facts":
            return self.json(facts_schema(policy), policy, "application/schema+json")
        if name in ("policy", "decision"):
            return self.json(shipped_schema(name), policy, "application/schema+json")
        raise ServiceError(404, f"no schema {name!r}: policy, facts or decision")

    async def openapi(self, request: Request) -> Response:
        policy = self.policy
        return self.json(openapi(policy, self.token is not None), policy)

    async def live(self, request: Request) -> Response:
        return self.json({"live": True}, self.policy)

    async def ready(self, request: Request) -> Response:
        policy = self.policy
        return self.json({"ready": True, "policy": policy.ref, "last_reload": self.reloader.last}, policy)

    async def metrics(self, request: Request) -> Response:
        self.cache.update(self.evaluator.cache_info())
        return Response(metrics.scrape(), 200, _headers(self.policy.ref), metrics.CONTENT_TYPE)

    def json(self, data: Any, policy: Policy, media: str = JSON) -> Response:
        return Response(orjson.dumps(data) + b"\n", 200, _headers(policy.ref), media)

    # -- errors, as JSON bodies, each naming the policy in force --
    async def refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return Response(exc.body(), exc.status, {**_headers(self.policy.ref), **exc.headers}, JSON)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: f"no endpoint {request.url.path}", 405: f"{request.method} is not allowed here"}
        return Response(error_body(exc.status_code, message.get(exc.status_code, str(exc.detail))), exc.status_code,
                        {**_headers(self.policy.ref), **(exc.headers or {})}, JSON)

    async def bug(self, request: Request, exc: Exception) -> Response:  # the log has the traceback
        return Response(error_body(500, f"internal error ({type(exc).__name__}); the server's log has the details"),
                        500, _headers(self.policy.ref), JSON)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        self.reloader.start()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(signal.SIGHUP, self.reloader.request)
        try:
            yield
        finally:
            self.reloader.stop()
            self.evaluator.close()
            if self.log is not None:
                self.log.close()


class Guard:
    """ASGI middleware in front of the routes: the bearer token (401 without it), and each
    request's latency and status in the metrics."""

    def __init__(self, app: Any, service: Service):
        self.app, self.service = app, service
        self.challenge = [(b"content-type", JSON.encode()), (b"www-authenticate", b'Bearer realm="evaluator"')]
        self.latency: dict[str, Any] = {}
        self.requests: dict[tuple[str, int], Any] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        endpoint = path if path in ENDPOINTS else "/v1/schemas" if path.startswith("/v1/schemas/") else "other"
        started = time.perf_counter()
        status = [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.counted(endpoint, status[0], time.perf_counter() - started)

        token = self.service.token
        if token is not None and path not in OPEN and not self._authorised(scope, token):
            headers = self.challenge + [(k.lower().encode(), v.encode())
                                        for k, v in _headers(self.service.policy.ref).items()]
            await sending({"type": "http.response.start", "status": 401, "headers": headers})
            await sending({"type": "http.response.body",
                           "body": error_body(401, "a bearer token is required (Authorization: Bearer TOKEN)")})
            return None
        if path == "/v1/decisions" and scope["method"] == "POST":
            return await self.service.decide_asgi(scope, receive, sending)
        return await self.app(scope, receive, sending)

    def counted(self, endpoint: str, status: int, seconds: float) -> None:
        """A request answered, in the metrics (each label set's child looked up once)."""
        latency = self.latency.get(endpoint)
        if latency is None:
            latency = self.latency[endpoint] = metrics.LATENCY.labels(endpoint)
        latency.observe(seconds)
        key = (endpoint, status)
        requests = self.requests.get(key)
        if requests is None:
            requests = self.requests[key] = metrics.REQUESTS.labels(endpoint, str(status))
        requests.inc()

    @staticmethod
    def _authorised(scope: Any, token: bytes) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), token)
        return False


def create_app(config: ServiceConfig | None = None) -> Any:
    """The ASGI application of one worker (config: from the environment `evaluator serve` sets)."""
    service = Service(config or ServiceConfig.from_env())
    app = Starlette(routes=[
        Route("/v1/decisions", service.decide, methods=["POST"]),
        Route("/v1/decisions/batch", service.batch, methods=["POST"]),
        Route("/v1/policy", service.policy_info, methods=["GET"]),
        Route("/v1/policy/sheet", service.sheet, methods=["GET"]),
        Route("/v1/schemas/{name}", service.schema, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
        Route("/health/live", service.live, methods=["GET"]),
        Route("/health/ready", service.ready, methods=["GET"]),
        Route("/metrics", service.metrics, methods=["GET"]),
    ], exception_handlers={ServiceError: service.refused, HTTPException: service.http_error, Exception: service.bug},
        lifespan=service.lifespan)
    return Guard(app, service)
