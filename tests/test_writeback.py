"""An output file is written to disk while it grows (evaluator/writeback.py), so the fsync that
makes it durable at the end waits for the last few megabytes, not the whole file; the thread
doing it is never alive across a fork, and never outlives the file."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from evaluator.output import writeback
from evaluator.output.writers import atomic_output
from evaluator.output.writeback import Writeback

MB = 1024 * 1024


def threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "evaluator-writeback"]


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def fd(tmp_path):
    descriptor = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
    yield descriptor
    try:
        os.close(descriptor)
    except OSError:
        pass


def test_the_file_is_written_out_once_a_step_more_is_there(fd):
    with Writeback(fd, step=MB, interval=0.01) as wb:
        os.write(fd, b"x" * (MB - 1))
        time.sleep(0.1)
        assert wb.calls == 0  # one byte short of a step: nothing asked yet
        os.write(fd, b"x")
        assert wait_for(lambda: wb.calls == 1)
        assert wb.synced == MB
        os.write(fd, b"y" * (2 * MB))  # the thread may see it half written: then once more
        assert wait_for(lambda: wb.synced == 3 * MB)
        assert wb.calls in (2, 3)
    assert not wb.running() and threads() == []


def test_the_thread_is_stopped_before_a_fork_and_started_again_after_it(fd):
    with Writeback(fd, step=MB, interval=0.01) as wb:
        assert wb.running()
        writeback._before_fork()  # what os.fork runs first: the thread is gone
        assert not wb.running() and threads() == []
        writeback._after_fork_in_parent()
        assert wb.running()
        first = wb._thread
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: no writeback thread, nothing left to restart
            os.close(read)
            ok = threads() == [] and not writeback._active and not wb.running()
            os.write(write, b"ok" if ok else b"no")
            os._exit(0)
        os.close(write)
        said = os.read(read, 2)
        os.close(read)
        os.waitpid(pid, 0)
        assert said == b"ok"
        # the fork hooks ran: the thread that was there before was replaced by a new one
        assert wb._thread is not first and not first.is_alive()
        assert wb.running() and threads() == ["evaluator-writeback"]
        os.write(fd, b"x" * MB)  # and it still works
        assert wait_for(lambda: wb.calls == 1)
    assert threads() == []


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads a thread's signal mask from /proc")
def test_signals_go_to_the_main_thread_not_to_the_writeback_thread(fd):
    # a signal given to the writeback thread would not interrupt the main thread's blocking read
    # of stdin: Ctrl-C would wait for the input to end (tests/test_atomic_output.py runs that)
    def blocked(tid: int) -> int:
        with open(f"/proc/self/task/{tid}/status") as status:
            return next(int(line.split()[1], 16) for line in status if line.startswith("SigBlk:"))

    with Writeback(fd, interval=0.01) as wb:
        mask = blocked(wb._thread.native_id)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            assert mask >> (signum - 1) & 1
        assert not blocked(threading.get_native_id()) >> (signal.SIGINT - 1) & 1


def test_a_descriptor_that_goes_away_ends_the_thread_quietly(tmp_path):
    descriptor = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
    with Writeback(descriptor, interval=0.01) as wb:
        os.close(descriptor)
        assert wait_for(lambda: not wb.running())
    assert threads() == []


def test_atomic_output_leaves_no_thread_behind_whether_it_completes_or_fails(tmp_path):
    out = tmp_path / "out.jsonl"
    line = "x" * 1023 + "\n"
    with atomic_output(str(out)) as fh:
        assert threads() == ["evaluator-writeback"]
        fh.write(line * 3 * 1024)
    assert threads() == []
    assert out.read_text() == line * 3 * 1024
    with pytest.raises(RuntimeError):
        with atomic_output(str(out)) as fh:
            fh.write("half")
            raise RuntimeError("stopped midway")
    assert threads() == []
    assert out.read_text() == line * 3 * 1024
