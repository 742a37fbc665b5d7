"""`evaluator serve` as an operator runs it: reload on a file change and on SIGHUP (under
concurrent requests, every response names a policy and each decision is that policy's), a bad
reload that keeps the policy in force, N worker processes, SIGTERM with requests in flight, the
decision log, and a start that cannot be made."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO, SHIPPED, run_cli
from service_server import Server, free_port

pytest.importorskip("uvicorn")

RECORDS = [b'{"partner_id": "R1", "annual_sales_usd": 150000}', b'{"partner_id": "R2", "annual_sales_usd": 60000}',
           b'{"partner_id": "R3", "annual_sales_usd": 1000000}']


def _policies(tmp_path):
    """The shipped program (A) and a version 2 of it whose Premier Certified starts at $50,000 (B)."""
    a = SHIPPED.read_text()
    doc = json.loads(a)
    doc["version"] = "2.0.0"
    doc["tiers"][1]["criteria"][0]["condition"]["value"] = 50000
    b = json.dumps(doc, indent=2)
    return a, b


def _write(path, text):
    """Replace the file at once, as a deploy tool does (a temporary file renamed over it)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _expected(policy_file, tmp_path, name):
    """Each record's decision by the CLI under `policy_file`, named as the service names it."""
    copy = tmp_path / name
    copy.write_text(policy_file)
    sha = json.loads(run_cli("evaluate", "--policy", str(copy), "--format", "jsonl", "-",
                             input=RECORDS[0]).stdout)["policy"]["sha256"]
    lines = {}
    for raw in RECORDS:
        out = run_cli("evaluate", "--policy", str(copy), "--format", "jsonl", "-", input=raw).stdout
        lines[raw] = out.replace(b"<stdin>", b"<request>")
    return sha, lines


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_reload_under_concurrent_requests_every_decision_is_its_policys(tmp_path):
    a, b = _policies(tmp_path)
    sha_a, lines_a = _expected(a, tmp_path, "a.json")
    sha_b, lines_b = _expected(b, tmp_path, "b.json")
    expected = {sha_a: lines_a, sha_b: lines_b}
    assert sha_a != sha_b and lines_a[RECORDS[1]] != lines_b[RECORDS[1]]
    policy = tmp_path / "policy.json"
    policy.write_text(a)
    seen: dict[str, int] = {}
    problems: list[str] = []
    stop = threading.Event()
    with Server("--policy", str(policy), "--watch-seconds", "0.05") as srv:
        def client(index):
            conn = srv.connect()
            n = 0
            while not stop.is_set():
                raw = RECORDS[(index + n) % len(RECORDS)]
                n += 1
                reply = srv.post("/v1/decisions", raw, connection=conn)
                decided_by = reply.json()["policy"]["sha256"]
                if reply.status != 200 or reply.sha != decided_by or reply.body != expected.get(reply.sha, {}).get(raw):
                    problems.append(f"{reply.status} {reply.sha} {reply.body[:200]!r}")
                seen[reply.sha] = seen.get(reply.sha, 0) + 1
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for text, sha in ((b, sha_b), (a, sha_a), (b, sha_b)):
            time.sleep(0.3)
            _write(policy, text)
            _wait(lambda: srv.request("GET", "/v1/policy").json()["sha256"] == sha)
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(60)
        assert not problems, problems[:3]
        assert seen.get(sha_a, 0) > 0 and seen.get(sha_b, 0) > 0 and set(seen) == {sha_a, sha_b}
        ready = srv.request("GET", "/health/ready").json()
        assert ready["last_reload"]["result"] == "reloaded" and ready["last_reload"]["trigger"] == "watch"
        assert ready["policy"]["sha256"] == sha_b
        metrics = srv.request("GET", "/metrics").body.decode()
        assert "evaluator_policy_reloads_total 3.0" in metrics
        assert f'sha256="{sha_b}",version="2.0.0"}} 1.0' in metrics and f'sha256="{sha_a}",version="1.0.0"}} 0.0' in metrics
        assert srv.stop() == 0


def test_a_bad_policy_keeps_the_one_in_force_and_shows_in_readiness_and_metrics(tmp_path):
    a, _ = _policies(tmp_path)
    policy = tmp_path / "policy.json"
    policy.write_text(a)
    with Server("--policy", str(policy), "--watch-seconds", "0.05") as srv:
        before = srv.post("/v1/decisions", RECORDS[0])
        broken = a.replace('"version": "1.0.0"', '"version": 1', 1)
        assert broken != a
        _write(policy, broken)
        ready = _wait(lambda: (r := srv.request("GET", "/health/ready").json())["last_reload"] and r)
        last = ready["last_reload"]
        assert ready["ready"] is True and last["result"] == "failed" and last["policy"]["sha256"] == before.sha
        finding = last["error"]["findings"][0]
        assert finding["pointer"] == "/version" and finding["line"] and finding["column"]
        after = srv.post("/v1/decisions", RECORDS[0])
        assert after.status == 200 and after.body == before.body and after.sha == before.sha
        assert "evaluator_policy_reload_failures_total 1.0" in srv.request("GET", "/metrics").body.decode()
        _write(policy, "{ not json")  # half written: refused the same way
        _wait(lambda: "reload_failures_total 2.0" in srv.request("GET", "/metrics").body.decode())
        policy.unlink()  # gone
        _wait(lambda: "reload_failures_total 3.0" in srv.request("GET", "/metrics").body.decode())
        assert srv.post("/v1/decisions", RECORDS[0]).body == before.body
        assert "Traceback" not in srv.output()
        assert srv.stop() == 0


def test_sighup_reloads_and_the_workers_share_nothing_but_the_port(tmp_path):
    a, b = _policies(tmp_path)
    policy = tmp_path / "policy.json"
    policy.write_text(a)
    with Server("--policy", str(policy), "--workers", "2", "--watch-seconds", "0") as srv:
        first = srv.post("/v1/decisions", RECORDS[1])
        _write(policy, b)
        time.sleep(0.5)
        assert srv.post("/v1/decisions", RECORDS[1]).sha == first.sha  # not watched: only SIGHUP reloads
        srv.signal(signal.SIGHUP)

        def all_new():  # every worker (each new connection may reach either) decides by B
            return all(srv.post("/v1/decisions", RECORDS[1]).sha != first.sha for _ in range(12))
        _wait(all_new)
        reply = srv.post("/v1/decisions", RECORDS[1])
        assert reply.json()["tier"]["id"] == "premier_certified" and first.json()["tier"]["id"] == "certified_partner"
        assert srv.request("GET", "/health/ready").json()["last_reload"]["trigger"] == "signal"
        # the metrics of both workers, added up, whichever answers the scrape
        total = sum(float(line.rsplit(" ", 1)[1]) for line in srv.request("GET", "/metrics").body.decode().splitlines()
                    if line.startswith("evaluator_decisions_total"))
        assert total >= 2 + 12
        assert srv.stop() == 0


def test_sigterm_lets_requests_in_flight_finish_then_exits_0(tmp_path):
    records = [json.dumps({"partner_id": f"P{i}", "annual_sales_usd": i * 10}).encode() for i in range(500)]
    body = b"\n".join(records) + b"\n"
    with Server() as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
        sock.sendall(b"POST /v1/decisions/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:1000])
        time.sleep(0.5)
        srv.signal(signal.SIGTERM)
        time.sleep(0.5)
        assert srv.proc.poll() is None  # still draining: the request is in flight
        sock.sendall(body[1000:])
        data = b""
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        sock.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        lines = _dechunk(rest).splitlines()
        assert len(lines) == 500 and [json.loads(line)["partner_id"] for line in lines] == [f"P{i}" for i in range(500)]
        assert srv.stop() == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=5).close()


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, data = out + data[:n], data[n + 2:]
    return out


def test_the_decision_log_names_each_decision_with_masked_fields(tmp_path):
    log = tmp_path / "decisions.jsonl"
    with Server("--decision-log", str(log), "--mask", "partner_name", "--mask", "partner_id") as srv:
        single = srv.post("/v1/decisions", b'{"partner_id": "L1", "partner_name": "Secret Ltd", "annual_sales_usd": 30000}')
        bad = srv.post("/v1/decisions", b'{"partner_id": "L2", "annual_sales_usd": "x"}')
        batch = srv.post("/v1/decisions/batch", b'{"partner_id": "L3"}\n{"partner_id": "L4", "annual_sales_usd": 2e6}\n',
                         "application/x-ndjson")
        assert batch.status == 200 and bad.status == 422
        assert srv.stop() == 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(entries) == 4
    assert entries[0]["decision_id"] == single.headers["x-decision-id"] and len(entries[0]["decision_id"]) == 32
    assert entries[0]["input"] == {"partner_id": "***", "partner_name": "***", "annual_sales_usd": 30000}
    assert entries[0]["partner_id"] is None and entries[0]["tier"] == "certified_partner"
    assert entries[0]["input_sha256"] == single.json()["input_sha256"]
    assert entries[0]["policy"] == single.json()["policy"]
    assert entries[1]["tier"] is None and "must be a number" in entries[1]["error"]
    assert [e["tier"] for e in entries[2:]] == [None, "alliance_partner"]
    assert len({e["decision_id"] for e in entries}) == 4 and all(e["time"].endswith("Z") for e in entries)
    assert "Secret Ltd" not in log.read_text()


def test_no_decision_log_by_default(tmp_path):
    with Server(cwd=tmp_path) as srv:
        assert srv.post("/v1/decisions", RECORDS[0]).status == 200
        assert srv.stop() == 0
    assert list(tmp_path.iterdir()) == []


def test_a_start_that_cannot_be_made_says_why_and_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x"}')
    proc = run_cli("serve", "--policy", str(bad), "--port", str(free_port()))
    assert proc.returncode == 2 and f"{bad}:1:1" in proc.stderr_text and "Traceback" not in proc.stderr_text
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = run_cli("serve", "--port", str(taken.getsockname()[1]), timeout=60)
    assert proc.returncode == 2 and "address already in use" in proc.stderr_text.lower()
    assert "Traceback" not in proc.stderr_text
    proc = run_cli("serve", "--as-of", "soon")
    assert proc.returncode == 2 and "--as-of" in proc.stderr_text


def test_without_the_service_extra_it_says_what_to_install(tmp_path):
    """uvicorn hidden from the import system: `serve` names the extra to install, exit 2."""
    code = ("import sys; sys.modules['uvicorn'] = None\n"
            "from evaluator.cli import main\n"
            "main(['serve', '--port', '1'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and "pip install 'partner-policy-evaluator[service]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_load_test_runs_and_prints_its_figures():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "service_load.py"), "--requests", "60",
                           "--batch", "200", "--runs", "1"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for needle in ("library, one record at a time in process:", "GET /health/live", "POST /v1/decisions, 1 worker(s)",
                   "POST /v1/decisions, 2 worker(s)", "POST /v1/decisions/batch, 2 worker(s)", "CLI --jobs 2",
                   "target p50 <= 2 ms"):
        assert needle in out, out
