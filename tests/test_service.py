"""`evaluator serve` as a client sees it: the installed console script started in a subprocess on
a free loopback port, spoken to over HTTP. Decisions are the CLI's JSONL lines byte for byte;
every endpoint answers; every bad request is a located JSON error with its documented status;
every limit holds; the bearer token is required where it should be and never logged."""
from __future__ import annotations

import datetime
import json
import socket
import time

import pytest

from conftest import EXAMPLES, REPO, SHIPPED, run_cli
from service_server import Server

pytest.importorskip("uvicorn")



@pytest.fixture(scope="module")
def server():
    with Server() as srv:
        yield srv
        assert srv.stop() == 0


def cli_lines(body: bytes, *args: str) -> list[bytes]:
    """What `evaluate --format jsonl -` writes for `body` on standard input, named as the service
    names it (`<request>` for `<stdin>`)."""
    proc = run_cli("evaluate", "--format", "jsonl", *args, "-", input=body)
    assert proc.returncode in (0, 1), proc.stderr_text
    return proc.stdout.replace(b"<stdin>", b"<request>").splitlines(keepends=True)


def cli_each(records: list[bytes]) -> list[bytes]:
    """The CLI's line for each record (one JSONL line each) as if it were the only one: line 1."""
    lines = cli_lines(b"\n".join(records) + b"\n")
    assert len(lines) == len(records)
    return [line.replace(b'"<request>","line":%d' % n, b'"<request>","line":1')
            .replace(b"<request>: line %d:" % n, b"<request>: line 1:") for n, line in enumerate(lines, start=1)]


def test_a_decision_is_the_cli_jsonl_line_byte_for_byte(server, shipped_policy):
    records = EXAMPLES.joinpath("partners.jsonl").read_bytes().splitlines()
    for raw, expected in zip(records, cli_each(records)):
        reply = server.post("/v1/decisions", raw)
        assert reply.status == 200
        assert reply.body == expected
        assert reply.headers["content-type"] == "application/json"
        assert (reply.headers["x-policy-id"], reply.headers["x-policy-version"], reply.sha) == (
            shipped_policy.id, shipped_policy.version, shipped_policy.sha256)


BAD = [(b'{"partner_id": "P1", "annual_sales_usd": "lots"}', "/annual_sales_usd"),
       (b'{"annual_sales_usd": 5}', "/partner_id"),
       (b'{"partner_id": "P1", "annual_sales_usd": NaN}', ""),
       (b'{"partner_id": "P1", "partner_id": "P2"}', ""),
       (b'[1, 2]', ""),
       (b'{"partner_id": "P1", "annual_sales_usd": 1e400}', "/annual_sales_usd")]


def test_a_bad_record_is_422_with_the_cli_error_record(server):
    for (raw, pointer), expected in zip(BAD, cli_each([raw for raw, _ in BAD])):
        reply = server.post("/v1/decisions", raw)
        assert reply.status == 422
        assert reply.body == expected
        record = reply.json()
        assert record["tier"] is None and record["error"]["findings"]
        assert any(f["pointer"] == pointer for f in record["error"]["findings"]), record
        assert reply.sha == record["policy"]["sha256"]
    located = server.post("/v1/decisions", b'{"partner_id": "P1",\n "annual_sales_usd": NaN}').json()
    assert (located["error"]["findings"][0]["line"], located["error"]["findings"][0]["column"]) == (2, 22)


def test_a_batch_is_the_cli_output_in_order_every_record_once(server):
    body = EXAMPLES.joinpath("partners.jsonl").read_bytes() + b'{"partner_id": "BAD", "annual_sales_usd": -1}\n{oops\n\n'
    reply = server.post("/v1/decisions/batch", body, "application/x-ndjson")
    assert reply.status == 200 and reply.headers["content-type"] == "application/x-ndjson"
    assert reply.body.splitlines(keepends=True) == cli_lines(body)
    assert len(reply.body.splitlines()) == 27


def test_a_batch_as_a_json_array_or_csv_reads_as_the_cli_reads_it(server):
    records = [json.loads(line) for line in EXAMPLES.joinpath("partners.jsonl").read_text().splitlines()]
    array = json.dumps(records, indent=1).encode()
    reply = server.post("/v1/decisions/batch", array, "application/json")
    assert reply.status == 200 and reply.body.splitlines(keepends=True) == cli_lines(array)
    assert [json.loads(line)["source"]["index"] for line in reply.body.splitlines()] == list(range(1, 26))
    csv = EXAMPLES.joinpath("partners.csv").read_bytes()
    reply = server.post("/v1/decisions/batch", csv, "text/csv; charset=utf-8")
    assert reply.status == 200 and reply.body.splitlines(keepends=True) == cli_lines(csv, "--input-format", "csv")


def test_each_request_is_decided_as_of_its_day_or_its_as_of_option():
    acme = REPO / "policies" / "acme-points-program.json"
    raw = b'{"partner_id": "P1", "annual_sales_usd": 150000, "last_audit": "2025-01-01"}'
    with Server("--policy", str(acme)) as srv:
        for as_of in ("2026-06-30", "2026-12-01"):
            reply = srv.post(f"/v1/decisions?as_of={as_of}", raw)
            assert reply.status == 200 and [reply.body] == cli_lines(raw, "--policy", str(acme), "--as-of", as_of)
            assert json.loads(reply.body)["as_of"] == as_of
        today = srv.post("/v1/decisions", raw).json()
        assert today["as_of"] == datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        bad = srv.post("/v1/decisions?as_of=yesterday", raw)
        assert bad.status == 400 and "yesterday" in bad.json()["error"]["message"]
        assert srv.stop() == 0
    with Server("--policy", str(acme), "--as-of", "2026-03-01") as srv:
        assert srv.post("/v1/decisions", raw).json()["as_of"] == "2026-03-01"
        assert srv.stop() == 0


def _error(reply, status):
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/json"
    error = reply.json()["error"]
    assert error["status"] == status and error["message"]
    assert b"Traceback" not in reply.body
    return error


def test_bad_requests_are_located_json_errors(server):
    _error(server.post("/v1/decisions", b""), 400)
    _error(server.post("/v1/decisions", b"  \n"), 400)
    finding = _error(server.post("/v1/decisions/batch", b'[{"partner_id": "P1"},\n {"partner_id": ', "application/json"),
                     400)["findings"][0]
    assert (finding["file"], finding["line"], finding["column"]) == ("<request>", 2, 17)
    assert _error(server.post("/v1/decisions/batch", b"partner_id\nP1\n", "application/xml"), 415)["findings"]
    assert _error(server.post("/v1/decisions/batch", b"partner_id,partner_id\nP1,P2\n", "text/csv"), 400)
    assert "/nowhere" in _error(server.request("GET", "/nowhere"), 404)["message"]
    _error(server.request("GET", "/v1/decisions"), 405)
    _error(server.request("GET", "/v1/schemas/other"), 404)
    _error(server.request("GET", "/v1/policy/sheet?format=pdf"), 400)


def test_an_empty_batch_is_an_empty_answer(server):
    reply = server.post("/v1/decisions/batch", b"\n", "application/x-ndjson")
    assert reply.status == 200 and reply.body == b""


def test_policy_sheet_schemas_and_openapi(server, shipped_policy):
    info = server.request("GET", "/v1/policy").json()
    assert info == {"id": shipped_policy.id, "version": shipped_policy.version, "sha256": shipped_policy.sha256,
                    "title": shipped_policy.title, "effective": shipped_policy.effective}
    sheet = server.request("GET", "/v1/policy/sheet")
    assert sheet.status == 200 and sheet.headers["content-type"].startswith("text/markdown")
    assert sheet.body == run_cli("doc", str(SHIPPED)).stdout
    html = server.request("GET", "/v1/policy/sheet?format=html")
    assert html.body.startswith(b"<!DOCTYPE html>") and "default-src 'none'" in html.headers["content-security-policy"]
    for name in ("policy", "facts", "decision"):
        reply = server.request("GET", f"/v1/schemas/{name}")
        assert reply.status == 200 and reply.json() == json.loads(run_cli("schema", name).stdout)
    doc = server.request("GET", "/openapi.json").json()
    assert doc["openapi"] == "3.1.0" and {"/v1/decisions", "/v1/decisions/batch", "/health/ready"} <= set(doc["paths"])
    facts = doc["components"]["schemas"]["Facts"]
    assert set(facts["properties"]) == set(shipped_policy.facts)
    body = doc["paths"]["/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Facts"}
    _every_reference_resolves(doc)


def _every_reference_resolves(doc):
    def resolve(ref):
        node = doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                assert resolve(node["$ref"]) is not None, node["$ref"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc)


def test_health_and_metrics(server, shipped_policy):
    assert server.request("GET", "/health/live").json() == {"live": True}
    ready = server.request("GET", "/health/ready").json()
    assert ready["ready"] is True and ready["policy"] == shipped_policy.ref
    before = _samples(server.request("GET", "/metrics").body)
    for _ in range(3):
        server.post("/v1/decisions", b'{"partner_id": "M1", "annual_sales_usd": 2000000}')
    server.post("/v1/decisions", b'{"partner_id": "M2", "annual_sales_usd": "x"}')
    reply = server.request("GET", "/metrics")
    assert reply.headers["content-type"].startswith("text/plain")
    after = _samples(reply.body)
    assert after['evaluator_decisions_total{tier="alliance_partner"}'] - \
        before.get('evaluator_decisions_total{tier="alliance_partner"}', 0) == 3
    assert after["evaluator_invalid_records_total"] - before["evaluator_invalid_records_total"] == 1
    assert after['evaluator_request_duration_seconds_count{endpoint="/v1/decisions"}'] - \
        before.get('evaluator_request_duration_seconds_count{endpoint="/v1/decisions"}', 0) == 4
    assert after["evaluator_outcome_cache_hits_total"] - before["evaluator_outcome_cache_hits_total"] >= 2
    assert after["evaluator_outcome_cache_misses_total"] >= 1
    assert after['evaluator_requests_total{endpoint="/v1/decisions",status="422"}'] >= 1
    sha = shipped_policy.sha256
    assert after[f'evaluator_policy_info{{id="{shipped_policy.id}",sha256="{sha}",version="1.0.0"}}'] == 1
    assert "evaluator_policy_reloads_total" in after and "evaluator_policy_reload_failures_total" in after


def _samples(text: bytes) -> dict[str, float]:
    out = {}
    for line in text.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


# --- limits ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def limited():
    with Server("--max-body-bytes", "2000", "--max-batch", "3", "--request-seconds", "1") as srv:
        yield srv
        assert srv.stop() == 0


def test_a_body_over_the_limit_is_413(limited):
    small = b'{"partner_id": "P1", "padding": "' + b"x" * 1900 + b'"}'
    assert len(small) <= 2000 and limited.post("/v1/decisions", small).status == 200
    big = b'{"partner_id": "P1", "padding": "' + b"x" * 2000 + b'"}'
    assert _error(limited.post("/v1/decisions", big), 413)["findings"][0]["expected"] == "at most 2000 bytes"
    # without a Content-Length (chunked), refused as it arrives
    conn = limited.connect()
    conn.putrequest("POST", "/v1/decisions/batch")
    conn.putheader("Content-Type", "application/x-ndjson")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for _ in range(3):
        chunk = b'{"partner_id": "P1"}\n' * 40
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"]["status"] == 413
    conn.close()


def test_a_batch_over_the_record_limit_is_413_before_any_decision(limited):
    three = b'{"partner_id": "P1"}\n' * 3
    assert limited.post("/v1/decisions/batch", three, "application/x-ndjson").status == 200
    error = _error(limited.post("/v1/decisions/batch", three + b'{"partner_id": "P4"}\n', "application/x-ndjson"), 413)
    assert "more than the limit of 3" in error["message"]


def test_a_record_nested_too_deep_is_422(limited):
    deep = b'{"partner_id": "P1", "x": ' + b"[" * 70 + b"]" * 70 + b"}"
    reply = limited.post("/v1/decisions", deep)
    assert reply.status == 422 and "nest" in reply.json()["error"]["message"]


def test_a_body_arriving_too_slowly_is_408(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=30) as sock:
        sock.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 40\r\n\r\n{\"partner_id\":")
        started = time.monotonic()
        answer = b""
        while not answer.endswith(b"}\n"):  # the whole answer: its headers and its JSON body
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
        assert b" 408 " in answer.split(b"\r\n")[0] and time.monotonic() - started < 20
        assert b"did not arrive within 1 s" in answer
    assert limited.request("GET", "/health/live").status == 200  # and the worker still answers


# --- authentication ---------------------------------------------------------------------------

def test_a_bearer_token_is_required_and_never_logged(tmp_path):
    token = "s3cr3t-token-value-0123456789"
    (tmp_path / "token").write_text(token + "\n")
    with Server("--token-file", str(tmp_path / "token"), log=tmp_path / "server.log") as srv:
        raw = b'{"partner_id": "P1", "annual_sales_usd": 150000}'
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"},
                        {"Authorization": f"Bearer {token}x"}):
            reply = srv.post("/v1/decisions", raw, headers=headers)
            assert _error(reply, 401) and reply.headers["www-authenticate"].startswith("Bearer")
            assert token.encode() not in reply.body
        assert srv.request("GET", "/metrics").status == 401
        assert srv.post("/v1/decisions", raw, headers={"Authorization": f"Bearer {token}"}).status == 200
        assert srv.request("GET", "/health/ready").status == 200  # probes need no token
        assert srv.request("GET", "/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()["security"]
        assert srv.stop() == 0
        assert token not in srv.output()
    env_server = Server("--token-env", "SERVICE_TOKEN", env={"SERVICE_TOKEN": token})
    with env_server as srv:
        assert srv.request("GET", "/v1/policy").status == 401
        assert srv.request("GET", "/v1/policy", headers={"Authorization": f"Bearer {token}"}).status == 200
        assert srv.stop() == 0


def test_an_empty_or_unreadable_token_is_refused_at_start(tmp_path):
    (tmp_path / "empty").write_text("\n")
    for args in (["--token-file", str(tmp_path / "empty")], ["--token-file", str(tmp_path / "none")],
                 ["--token-env", "NO_SUCH_VARIABLE_HERE"]):
        proc = run_cli("serve", *args, "--port", "1")
        assert proc.returncode == 2 and "token" in proc.stderr_text and "Traceback" not in proc.stderr_text
