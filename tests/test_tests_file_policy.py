"""A tests file's `policy` names a policy, nothing else (docs/bad-input.md): it is resolved against
the tests file's folder, an absolute path or a file that is not a JSON policy is refused, located
at /policy, and no content of such a file is printed (`"policy": "/etc/passwd"` showed its first
line)."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import REPO, SHIPPED

SECRET = "root:x:0:0:hunter2"


def _tests_file(tmp_path, policy):
    path = tmp_path / "suite.tests.json"
    path.write_text(json.dumps({"policy": policy, "cases": []}, indent=2))
    return path


@pytest.mark.parametrize("name, content, message", [
    ("passwd.json", SECRET + "\nsecond line\n", "is not a JSON policy"),
    ("secret.json", json.dumps({"password": SECRET}), "is not a policy"),
    ("list.json", json.dumps([SECRET]), "is not a policy"),
    ("passwd", SECRET + "\n", "is not a .json file"),
])
def test_a_file_that_is_not_a_policy_is_refused_and_not_shown(cli, tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    tests = _tests_file(tmp_path, name)
    proc = cli("test", str(tests), cwd=tmp_path.parent)
    assert proc.returncode == 2
    assert message in proc.stderr_text and f"{tests}:2:" in proc.stderr_text and "(at /policy)" in proc.stderr_text
    assert "hunter2" not in proc.stdout_text + proc.stderr_text and "root:" not in proc.stdout_text + proc.stderr_text


@pytest.mark.parametrize("policy", ["/etc/passwd", "/etc/hostname", str(SHIPPED)])
def test_an_absolute_path_is_refused(cli, tmp_path, policy):
    proc = cli("test", str(_tests_file(tmp_path, policy)))
    assert proc.returncode == 2 and "relative to the tests file's folder" in proc.stderr_text
    with open("/etc/passwd") as fh:
        first = fh.readline().strip()
    assert first[:12] not in proc.stderr_text


def test_a_path_escaping_to_a_non_policy_is_refused(cli, tmp_path):
    proc = cli("test", str(_tests_file(tmp_path, "../" * 12 + "etc/passwd")))
    assert proc.returncode == 2 and "is not a .json file" in proc.stderr_text and "root:" not in proc.stderr_text


def test_the_policy_is_found_relative_to_the_tests_file_wherever_it_is_run(cli, tmp_path):
    folder = tmp_path / "program"
    (folder / "tests").mkdir(parents=True)
    shutil.copy(SHIPPED, folder / "messagelabs-apac.json")
    shutil.copy(REPO / "policies" / "tests" / "messagelabs-apac.tests.json", folder / "tests")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = cli("test", str(folder / "tests" / "messagelabs-apac.tests.json"), cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr_text
    assert proc.stdout_text.splitlines()[-1].endswith("passed, 0 failed")
