"""The build hook (hatch_build.py): when the evaluation path is compiled, and that a wheel
falls back to pure Python rather than failing. CI builds the real compiled wheel and runs the
whole suite against it (.ci/run); these check the decisions around it without compiling."""
from __future__ import annotations

import importlib.util

import pytest

from conftest import REPO


def _hook_module():
    spec = importlib.util.spec_from_file_location("hatch_build", REPO / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


hook = _hook_module()


@pytest.mark.parametrize("target, version, environ, expected", [
    ("wheel", "standard", {}, True),
    ("wheel", "editable", {}, False),           # what a developer edits is what runs
    ("sdist", "standard", {}, False),
    ("wheel", "standard", {"EVALUATOR_PURE": "1"}, False),
])
def test_what_is_compiled(target, version, environ, expected):
    assert hook.wanted(target, version, environ) is expected


def test_a_failed_compile_leaves_a_pure_wheel_and_says_why(capsys):
    build_data = {"force_include": {}, "pure_python": True, "infer_tag": False}

    def no_compiler():
        raise RuntimeError("command 'gcc' failed: No such file or directory")

    assert hook.add_compiled(build_data, no_compiler) is False
    assert build_data == {"force_include": {}, "pure_python": True, "infer_tag": False}
    assert "not compiled (RuntimeError: command 'gcc' failed" in capsys.readouterr().err


def test_compiled_modules_go_into_a_platform_wheel():
    build_data = {"force_include": {}, "pure_python": True, "infer_tag": False}
    built = [("/tmp/x/evaluator/template.cpython-311-x86_64-linux-gnu.so",
              "evaluator/template.cpython-311-x86_64-linux-gnu.so")]
    assert hook.add_compiled(build_data, lambda: built) is True
    assert build_data == {"force_include": dict(built), "pure_python": False, "infer_tag": True}


def test_the_compiled_modules_are_those_of_the_record_path_stages():
    # derived from the layout: every module of the record path's stages, none of the others
    names = hook.compiled_modules(REPO)
    assert all((REPO / "evaluator" / (name.replace(".", "/") + ".py")).is_file() for name in names)
    assert {"evaluate.evaluator", "fast.template", "load.records", "model.decision", "explain.shortfall"} <= set(names)
    assert {n.split(".")[0] for n in names} == set(hook.COMPILED_STAGES)
    assert not any(n.split(".")[0] in ("cli", "tools", "validate", "compile") for n in names)
