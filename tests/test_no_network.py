"""Loading, validating and evaluating a policy never opens a network connection, and nothing in
a policy is ever executed. Proved twice: in-process with every way out of `socket` replaced by a
trap, and for the installed command with a `sitecustomize` that makes any network use fatal."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from evaluator import Evaluator, load_policy
from evaluator.errors import PolicyError
from evaluator.language.facts import facts_schema

from conftest import EVALUATOR_BIN, REPO, SHIPPED, write_json

REMOTE = "https://schemas.attacker.invalid/policy.schema.json"


def remote_policy() -> dict:
    """The shipped program naming remote schemas everywhere a name may stand."""
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    doc["$schema"] = REMOTE
    doc["description"] = f"See {REMOTE} and http://127.0.0.1:9/ and file:///etc/passwd"
    return doc


class Trap(Exception):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Every way to reach the network raises Trap and is recorded."""
    attempts: list[str] = []

    def trap(name):
        def refuse(*args, **kwargs):
            attempts.append(f"{name}{args[:2]!r}")
            raise Trap(f"network use: {name}")
        return refuse

    monkeypatch.setattr(socket.socket, "connect", trap("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", trap("connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", trap("sendto"))
    monkeypatch.setattr(socket, "create_connection", trap("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", trap("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", trap("gethostbyname"))
    monkeypatch.setattr(urllib.request, "urlopen", trap("urlopen"))
    return attempts


def test_the_trap_works(no_network):
    with pytest.raises(Trap):
        socket.create_connection(("example.invalid", 80))
    with pytest.raises(Trap):
        urllib.request.urlopen("http://example.invalid/")
    assert len(no_network) == 2
    no_network.clear()


def test_load_validate_evaluate_and_derive_schemas_without_the_network(no_network, tmp_path):
    path = write_json(tmp_path / "remote.json", remote_policy())
    policy = load_policy(path)
    with Evaluator(policy) as evaluator:
        decisions = list(evaluator.evaluate_many([{"partner_id": "A", "annual_sales_usd": 2_000_000},
                                                  {"partner_id": "B", "annual_sales_usd": "x"}]))
    assert decisions[0].tier.id == "alliance_partner" and not decisions[1].ok
    facts_schema(policy)
    assert no_network == []


@pytest.mark.parametrize("where", ["", "/facts/annual_sales_usd", "/measures/region_count/compute"])
def test_a_remote_ref_is_refused_and_not_fetched(no_network, tmp_path, where):
    doc = remote_policy()
    node = doc
    for part in [p for p in where.split("/") if p]:
        node = node[part]
    node["$ref"] = REMOTE
    with pytest.raises(PolicyError) as info:
        load_policy(write_json(tmp_path / "ref.json", doc))
    assert any("$ref" in f.message for f in info.value.findings)
    assert no_network == []


def test_nothing_in_a_policy_is_executed(no_network, tmp_path):
    """Code-looking text anywhere a policy holds text stays text: descriptions, names, units,
    enum values, patterns, benefit values, comparison constants."""
    marker = tmp_path / "executed"
    payload = f"__import__('os').system('touch {marker}')"
    doc = remote_policy()
    doc["title"] = payload
    doc["facts"]["partner_name"]["description"] = payload
    doc["facts"]["partner_name"]["enum"] = [payload, "{{7*7}}", "${jndi:ldap://x}", "$(touch " + str(marker) + ")"]
    doc["facts"]["partner_name"]["unit"] = "`touch " + str(marker) + "`"
    doc["tiers"][0]["name"] = payload
    doc["tiers"][0]["benefits"][0]["value"] = payload
    doc["tiers"][0]["criteria"].append({"id": "code", "description": payload, "advisory": True,
                                        "condition": {"fact": "partner_name", "op": "==", "value": payload}})
    with Evaluator(load_policy(write_json(tmp_path / "p.json", doc))) as evaluator:
        decision = evaluator.evaluate({"partner_id": "A", "annual_sales_usd": 2_000_000, "partner_name": payload})
    assert decision.criterion("alliance_partner", "code").status == "met"
    assert decision.tier.name == payload
    json.dumps(decision.to_dict())
    assert not marker.exists()
    assert no_network == []


def test_measure_names_cannot_reach_python_builtins(tmp_path):
    doc = remote_policy()
    doc["measures"]["exploit"] = {"description": "x", "compute": {"sum": ["eval", "__import__"]}}
    with pytest.raises(PolicyError) as info:
        load_policy(write_json(tmp_path / "p.json", doc))
    assert any("unknown fact or measure" in f.message or "does not match" in f.message
               for f in info.value.findings)


SITECUSTOMIZE = '''
import os, socket, sys
_log = os.environ["NETWORK_LOG"]
open(_log, "a").write("armed\\n")
def _refuse(*args, **kwargs):
    with open(_log, "a") as fh:
        fh.write(f"network use {args[:2]!r}\\n")
    raise OSError("network use is forbidden in this test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.socket.sendto = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
socket.gethostbyname = _refuse
'''


def test_the_installed_command_never_uses_the_network(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "network.log"
    policy = write_json(tmp_path / "remote.json", remote_policy())
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "site"), "NETWORK_LOG": str(log)}
    records = '{"partner_id": "A", "annual_sales_usd": 150000}\n{"partner_id": "B", "annual_sales_usd": -1}\n'
    runs = [(["validate", str(policy)], None, 0), (["schema", "facts", "--policy", str(policy)], None, 0),
            (["evaluate", "--policy", str(policy), "-"], records, 1)]
    for args, stdin, code in runs:
        proc = subprocess.run([str(EVALUATOR_BIN), *args], input=stdin, capture_output=True, text=True, cwd=REPO,
                              env=env, timeout=120)
        assert proc.returncode == code, (args, proc.stderr)
    lines = log.read_text().splitlines()
    assert lines == ["armed"] * len(runs), lines
