"""`evaluate --jobs N`: N worker processes write exactly what one process writes, in input order,
for every input format and every kind of bad line; the fast jsonl serialiser writes the json
module's bytes."""
from __future__ import annotations

import datetime as _dt
import importlib.util
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from evaluator import Evaluator, load_policy
from evaluator.fast import parallel
from evaluator.load import records
from evaluator.fast.parallel import CHUNK_RECORDS
from evaluator.load.records import MAX_LINE_BYTES
from evaluator.fast.lane import jsonl_lines

from conftest import REPO, policy_with_condition, write_json

AS_OF = "2026-01-01"


def _population(n: int, seed: int):
    spec = importlib.util.spec_from_file_location("population", REPO / "benchmarks" / "population.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return list(module.partners(n, seed))


@pytest.fixture(scope="module")
def messy_jsonl(tmp_path_factory) -> Path:
    """More lines than two chunks, with every kind of line a reader must number and report."""
    lines = [json.dumps(r) for r in _population(2 * CHUNK_RECORDS + 300, seed=9)]
    lines[0] = "\ufeff" + lines[0]                       # a byte-order mark on line 1
    lines[10] = ""                                      # blank lines keep their numbers
    lines[CHUNK_RECORDS - 1] = '{"partner_id": "broken", '   # bad JSON at a chunk's edge
    lines[CHUNK_RECORDS] = "\ufeff" + lines[CHUNK_RECORDS]   # a BOM mid-file, at a chunk's start
    lines[CHUNK_RECORDS + 7] = '{"partner_id": "dup", "partner_id": "again"}'
    lines[CHUNK_RECORDS + 9] = "[1, 2]"                 # not an object
    lines[CHUNK_RECORDS + 11] = '{"partner_id": "long", "partner_name": "' + "x" * (MAX_LINE_BYTES + 10) + '"}'
    lines[-1] = '{"partner_id": "last-no-newline", "annual_sales_usd": 25000}'
    path = tmp_path_factory.mktemp("parallel") / "partners.jsonl"
    path.write_bytes(("\n".join(lines)).encode("utf-8"))  # no newline after the last line
    return path


def _both(cli, *args: str, input: bytes | None = None):
    one = cli("evaluate", *args, "--as-of", AS_OF, input=input)
    many = cli("evaluate", *args, "--as-of", AS_OF, "--jobs", "2", input=input)
    return one, many


def test_jsonl_with_bad_lines_is_byte_identical_and_in_order(cli, messy_jsonl):
    one, many = _both(cli, str(messy_jsonl), "--format", "jsonl")
    assert one.returncode == many.returncode == 1
    assert many.stdout == one.stdout
    assert many.stderr_text == one.stderr_text  # "N of M records invalid"
    out = [json.loads(line) for line in many.stdout_text.splitlines()]
    assert len(out) == 2 * CHUNK_RECORDS + 300 - 1  # every non-blank line exactly once
    lines = [d["source"]["line"] for d in out]
    assert lines == sorted(lines) and 11 not in lines
    by_line = {d["source"]["line"]: d for d in out}
    assert by_line[1]["tier"] is not None or by_line[1]["partner_id"] == "P-00000001"  # BOM stripped on line 1
    assert "error" in by_line[CHUNK_RECORDS]                      # the broken line, numbered right
    assert by_line[CHUNK_RECORDS + 1]["partner_id"] == f"P-{CHUNK_RECORDS + 1:08d}"  # read as in one process
    assert "duplicate key" in by_line[CHUNK_RECORDS + 8]["error"]["message"]
    long = by_line[CHUNK_RECORDS + 12]["error"]
    assert f"{MAX_LINE_BYTES + 53} bytes" in json.dumps(long)     # its true length, though only the start was sent
    assert out[-1]["partner_id"] == "last-no-newline" and out[-1]["tier"]["id"] == "certified_partner"


def test_jsonl_output_to_a_file_appended_to_a_pipe_and_in_process_is_the_same(cli, messy_jsonl, tmp_path):
    """The workers' jsonl output reaches the parent through spool files, copied by sendfile to a
    file or a pipe, and by reads and writes where sendfile cannot write (a file opened to
    append, a stream with no file descriptor): the same bytes every way."""
    from conftest import EVALUATOR_BIN
    one, many = _both(cli, str(messy_jsonl), "--format", "jsonl")  # stdout: a pipe
    assert many.stdout == one.stdout
    appended = tmp_path / "appended.jsonl"
    appended.write_bytes(b"kept\n")
    with open(appended, "ab") as fh:  # O_APPEND: sendfile refuses it
        proc = subprocess.run([str(EVALUATOR_BIN), "evaluate", str(messy_jsonl), "--as-of", AS_OF, "--jobs", "2"],
                              stdout=fh, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == 1 and appended.read_bytes() == b"kept\n" + one.stdout
    out = io.StringIO()
    counts = parallel.evaluate_parallel(load_policy(str(REPO / "policies" / "messagelabs-apac.json")),
                                        str(messy_jsonl), "auto", "jsonl", out, jobs=2,
                                        as_of=_dt.date.fromisoformat(AS_OF))
    assert out.getvalue().encode("utf-8") == one.stdout and counts.total == len(one.stdout.splitlines())


def test_a_worker_that_cannot_write_its_spool_file_sends_its_output_back(monkeypatch, messy_jsonl, cli):
    """No memory for a spool file (pwrite fails in the worker): the chunk's bytes come back
    through the pipe instead, and the output is the same."""
    import errno

    def no_space(*_args):
        raise OSError(errno.ENOSPC, "no space left on device")
    one = cli("evaluate", str(messy_jsonl), "--as-of", AS_OF, "--format", "jsonl")
    monkeypatch.setattr(os, "pwrite", no_space)  # the workers are forked from this process
    out = io.StringIO()
    parallel.evaluate_parallel(load_policy(str(REPO / "policies" / "messagelabs-apac.json")), str(messy_jsonl),
                               "auto", "jsonl", out, jobs=2, as_of=_dt.date.fromisoformat(AS_OF))
    assert out.getvalue().encode("utf-8") == one.stdout


def test_spool_read_back_in_small_pieces_keeps_every_character(monkeypatch, tmp_path, cli):
    """Where the output has no descriptor (a text stream), a spool file is read back in pieces
    that can end inside a multi-byte character: the text is still whole; and a file of short
    lines (more than a chunk's worth in one block) comes out whole and in order."""
    path = tmp_path / "p.jsonl"
    rows = [{"partner_id": f"Pé\u2028\U0001F600{i}", "annual_sales_usd": i * 997} for i in range(300)]
    rows += [{"partner_id": str(i)} for i in range(2500)]  # ~20 bytes a line: cut by count
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    one = cli("evaluate", str(path), "--as-of", AS_OF, "--format", "jsonl")
    monkeypatch.setattr(parallel, "SPOOL_READ_BYTES", 7)
    out = io.StringIO()
    parallel.evaluate_parallel(load_policy(str(REPO / "policies" / "messagelabs-apac.json")), str(path), "auto",
                               "jsonl", out, jobs=2, as_of=_dt.date.fromisoformat(AS_OF))
    assert "é\u2028\U0001F600".encode("utf-8") in one.stdout  # the error records quote the ids they refuse
    assert out.getvalue().encode("utf-8") == one.stdout


@pytest.mark.parametrize("to_file", [True, False], ids=["sendfile", "read back"])
def test_a_spool_file_keeps_its_pages_and_only_the_chunk_is_copied(monkeypatch, tmp_path, to_file):
    """A spool file is not emptied after its chunk (the next chunk written into it reuses the
    pages): a shorter chunk after a longer one is copied alone, without the longer one's tail,
    whether sendfile copies it or it is read back; a file over SPOOL_KEEP_BYTES is emptied."""
    spool = parallel._Spool(1)
    if not spool.fds:
        pytest.skip("no memfd or no fork here: output comes back through the pipe")
    fd = spool.fds[0]
    target = tmp_path / "out.jsonl"
    try:
        with open(target, "wb") as binary:
            text = io.StringIO()
            for chunk in (b"a" * 100 + b"\n", "é€\n".encode("utf-8"), b""):
                os.pwrite(fd, chunk, 0)
                spool.copy_out(fd, len(chunk), binary if to_file else None, text)
                assert os.fstat(fd).st_size == 101  # the longest chunk's pages kept
            monkeypatch.setattr(parallel, "SPOOL_KEEP_BYTES", 10)
            os.pwrite(fd, b"b" * 11, 0)
            spool.copy_out(fd, 11, binary if to_file else None, text)
            assert os.fstat(fd).st_size == 0  # over the limit: emptied, its memory given back
        written = target.read_bytes() if to_file else text.getvalue().encode("utf-8")
        assert written == b"a" * 100 + "\né€\n".encode("utf-8") + b"b" * 11
    finally:
        spool.close()


def test_spool_files_are_closed_after_a_run(shipped_policy, tmp_path):
    """No descriptor is left open by a run, finished or stopped by a failing worker."""
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _population(300, seed=3)), encoding="utf-8")
    before = open_fds()
    for _ in range(3):
        parallel.evaluate_parallel(shipped_policy, str(path), "auto", "jsonl", io.StringIO(), jobs=2)
    assert open_fds() == before


def test_csv_and_json_input_and_output(cli, tmp_path):
    records = _population(CHUNK_RECORDS + 50, seed=4)
    array = tmp_path / "partners.json"
    write_json(array, records)
    one, many = _both(cli, str(array), "--format", "json")
    assert one.returncode == many.returncode == 1
    assert many.stdout == one.stdout and json.loads(many.stdout_text)  # one well-formed array
    one, many = _both(cli, str(REPO / "examples" / "partners.csv"), "--format", "csv")
    assert one.returncode == many.returncode and many.stdout == one.stdout
    assert many.stdout_text.splitlines()[0].startswith("partner_id,")  # the header once
    assert many.stdout_text.count("partner_id,") == 1


def test_stdin_table_and_no_records(cli):
    data = (REPO / "examples" / "partners.jsonl").read_bytes()
    one, many = _both(cli, "-", input=data)
    assert one.returncode == many.returncode and many.stdout == one.stdout and many.stdout
    table = cli("evaluate", "-", "--format", "table", "--jobs", "2", "--as-of", AS_OF, input=data)
    assert table.returncode == one.returncode and "PARTNER" in table.stdout_text  # tables: one process
    many = cli("evaluate", "-", "--format", "json", "--jobs", "2", input=b"[]")
    assert many.returncode == 0 and many.stdout_text == "[]\n" and "no partner records" in many.stderr_text


def test_unusable_input_is_an_error_before_any_output(cli, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    one, many = _both(cli, str(empty))
    assert one.returncode == many.returncode == 2
    assert many.stdout == b"" and many.stderr_text == one.stderr_text and "empty" in many.stderr_text
    absent = cli("evaluate", str(tmp_path / "absent.jsonl"), "--jobs", "2")
    assert absent.returncode == 2 and "cannot read" in absent.stderr_text
    target = tmp_path / "out.jsonl"
    target.write_text("keep me", encoding="utf-8")
    result = cli("evaluate", str(empty), "--jobs", "2", "--output", str(target))
    assert result.returncode == 2 and target.read_text(encoding="utf-8") == "keep me"


def test_jobs_option_is_checked_and_zero_means_one_per_cpu(cli, tmp_path):
    result = cli("evaluate", str(REPO / "examples" / "partners.jsonl"), "--jobs", "-1")
    assert result.returncode == 2 and "--jobs" in result.stderr_text
    target = tmp_path / "out.csv"
    result = cli("evaluate", str(REPO / "examples" / "partners.jsonl"), "--jobs", "0", "--as-of", AS_OF,
                 "--format", "csv", "--output", str(target))
    reference = cli("evaluate", str(REPO / "examples" / "partners.jsonl"), "--as-of", AS_OF, "--format", "csv")
    assert result.returncode == reference.returncode and target.read_bytes() == reference.stdout


# --- the JSONL writer against the json module ------------------------------------------------

def _written(evaluator, record) -> str:
    """The line the CLI (one process or a worker) writes for `record`: template.jsonl_lines."""
    ((text, _ok),) = jsonl_lines(evaluator, [record])
    return text


def _reference(policy, record, **options) -> str:
    """The json module's line for the plain path's decision: what every writer must equal."""
    with Evaluator(policy, cache_size=0, **options) as plain:
        result = next(iter(plain.evaluate_many([record])))
        return json.dumps(result.to_dict(), ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("value", [0.00001, 0.000012345, 1.5e-7, 9e15, 123456.789, 2 ** 53, 0])
def test_the_writer_writes_the_json_modules_bytes_for_tiny_and_huge_numbers(value):
    policy = load_policy(policy_with_condition({"fact": "sales", "op": ">=", "value": 0.00001}))
    record = {"partner_id": "p\u00e9\U0001F600\u2028", "sales": value, "regions": ["\x00\x1f"]}
    with Evaluator(policy, as_of=_dt.date(2026, 1, 1)) as evaluator:
        for _ in range(2):  # the first builds the template, the second is filled from it
            assert _written(evaluator, record) == _reference(policy, record, as_of=_dt.date(2026, 1, 1))


def test_the_writer_falls_back_where_orjson_would_differ(shipped_policy):
    # an input kept with --with-input may hold what orjson refuses (a 70-bit integer) or writes
    # differently (an infinite float parsed from 1e400)
    with Evaluator(shipped_policy, with_input=True) as evaluator:
        for record in ({"partner_id": "big", "extra": 2 ** 70}, {"partner_id": "inf", "extra": float("inf")},
                       {"partner_id": "neg", "annual_sales_usd": -1}):
            assert _written(evaluator, record) == _reference(shipped_policy, record, with_input=True)
    # a measure that overflows (the evaluator reports it as missing, never as infinity)
    policy = load_policy(policy_with_condition({"measure": "huge", "op": ">=", "value": 1}, measures={
        "huge": {"description": "overflows", "compute": {"product": ["sales", 1e300, 1e300]}}}))
    with Evaluator(policy) as evaluator:
        for _ in range(2):
            assert _written(evaluator, {"partner_id": "p", "sales": 5}) == _reference(policy, {"partner_id": "p", "sales": 5})


# --- failures never hang ----------------------------------------------------------------------

def _die(task, slot=None):
    import os
    os._exit(7)


# the run is in a thread so that a hang can be timed out: Python 3.12 then warns that the
# workers are forked from a process with two threads (the CLI forks them from one)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_worker_that_dies_stops_the_run_with_an_error_instead_of_hanging(monkeypatch, shipped_policy):
    import io
    import threading

    from evaluator.fast import parallel
    from evaluator.errors import EngineError

    monkeypatch.setattr(parallel, "work", _die)  # forked workers see the patch
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            parallel.evaluate_parallel(shipped_policy, str(REPO / "examples" / "partners.jsonl"), "auto", "jsonl",
                                       io.StringIO(), jobs=2)
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the run hung after a worker died"
    assert len(outcome) == 1 and isinstance(outcome[0], EngineError) and "died" in str(outcome[0])


def test_workers_end_when_the_parent_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    import time

    from conftest import EVALUATOR_BIN
    data = tmp_path / "partners.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _population(20000, seed=1)), encoding="utf-8")
    proc = subprocess.Popen([str(EVALUATOR_BIN), "evaluate", str(data), "--jobs", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        if int(fh.read().rsplit(")", 1)[1].split()[1]) == proc.pid:
                            found.append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        return found

    try:
        deadline = time.monotonic() + 30
        while len(workers := children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) >= 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{w}") and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
              for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [w for w in workers if os.path.exists(f"/proc/{w}")
             and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
    assert not alive, f"workers {alive} outlived their parent"


# --- the parent's cut of JSONL input into blocks ------------------------------------------------

def _lines_of_tasks(tasks) -> list[tuple[int, bytes, int]]:
    """(line number, raw line, full length) of every line the tasks carry, as the workers read them."""
    out = []
    for kind, first, payload, _name in tasks:
        lines = payload if kind == "lines" else list(records.numbered_lines(io.BytesIO(payload)))
        out.extend((first + i, raw, length) for i, (raw, length) in enumerate(lines))
    return out


LINE_PARTS = st.sampled_from([b"{}", b'{"a": 1}', b"x" * 7, b"y" * 30, b"\r", b"", b"\xef\xbb\xbf", b" "])


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(lines=st.lists(st.lists(LINE_PARTS, max_size=4).map(b"".join), max_size=30), final_newline=st.booleans(),
       block=st.integers(1, 64), max_lines=st.integers(1, 8))
def test_blocks_carry_every_line_once_numbered_and_cut_as_one_process_reads_them(lines, final_newline, block,
                                                                                 max_lines):
    """Whatever the block size against the line lengths (lines cut by blocks, lines longer than
    a block, over-long lines cut to their start, CRLF, no final line end) and however many short
    lines a block holds, the blocks' lines are exactly records.numbered_lines' lines of the whole input,
    with the same numbers, at most `max_lines` to a block."""
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "MAX_LINE_BYTES", 24)
        patch.setattr(parallel, "MAX_LINE_BYTES", 24)
        expected = [(i, raw, length) for i, (raw, length) in enumerate(records.numbered_lines(io.BytesIO(data)), start=1)]
        tasks = list(parallel._chunks_of_blocks(io.BytesIO(data), "in.jsonl", block, max_lines))
        got = _lines_of_tasks(tasks)
    assert got == expected
    for kind, _first, payload, _name in tasks:  # only an over-long line's start travels alone
        assert kind == "block" or (len(payload) == 1 and payload[0][1] > 24)
        assert kind == "lines" or payload.count(b"\n") <= max_lines
