"""Evaluate with several processes: `evaluator evaluate --jobs N`.

durable-rules holds the GIL in every call, so threads cannot spread evaluation over cores;
processes can. The parent reads the input and cuts it into chunks; each of N worker processes
holds its own Evaluator and turns a chunk into output text; the parent writes the chunks back
in input order. The output is byte for byte what one process writes (tests/test_parallel.py),
and at most a few chunks per worker are in flight, so memory stays flat however long the input.

- JSONL input travels as raw blocks of whole lines: the parent only cuts the input at a line
  end and counts line ends (no work per line); the workers split the lines and read them as one
  process does (records._lines, records.jsonl_records, numbered from the block's first line),
  then check, decide and serialise.
- JSON and CSV input is parsed by the parent (a JSON document is one value; CSV rows need the
  header) and the records are sent.
- jsonl output is written by template.py (per-encoding templates, the same writer as one
  process) and sent back as UTF-8 bytes; csv and json output use report.py's writers. The table
  format (a summary for people) is written by one process.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import io
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import Future
from typing import IO, Any, Iterator

from ..load import records as _records
from ..load.records import MAX_LINE_BYTES
from ..errors import EngineError, InputError, ResourceError
from ..evaluate.evaluator import InputRecord
from ..model.decision import FULL
from ..model.policy import Policy
from ..output.trailer import LineDigest
from ..output.writers import output_writer
from .lane import binary_of
from .pool import WorkerPool
from .workers import init_worker, short_of_resources, work

FORMATS = ("jsonl", "csv", "json")   # output formats the workers write
CHUNK_RECORDS = 500                  # records per task: big enough to amortise the hand-off
BLOCK_BYTES = 128 * 1024             # JSONL input read at a time (~800 partners of the shipped program)
SPOOL_READ_BYTES = 8 * 1024 * 1024   # read at a time from a spool file where sendfile cannot write
SPOOL_KEEP_BYTES = 6 * 1024 * 1024   # a spool file up to this size keeps its pages for the next chunk
CHUNK_LINES = 1000                   # at most, per JSONL task: bounds the output of a chunk of short lines
IN_FLIGHT_PER_JOB = 3                # chunks queued or running per worker: bounds memory


# --- the parent side -------------------------------------------------------------------------

class Counts:
    """What a run produced: records written and how many of them were error records."""

    def __init__(self) -> None:
        self.total = 0
        self.invalid = 0


def _chunks_of_blocks(stream: IO[bytes], name: str, block_bytes: int = BLOCK_BYTES,
                      max_lines: int = CHUNK_LINES) -> Iterator[tuple[Any, ...]]:
    """JSONL input as blocks of whole lines, each with the number of its first line: per block
    one read, one search for its last line end and one count of line ends, and no work per line
    (the workers split the lines, with records._lines, as one process does). A block holds at
    most `max_lines` lines, as a chunk of records did: a decision is kilobytes whatever its line's
    length, so short lines are cut by count (then line by line) to bound what a chunk writes. A
    line longer than MAX_LINE_BYTES is never held whole: its start and its full length are sent
    alone, as records._lines gives them."""
    number = 1
    carry = b""   # the start of a line the last block cut
    while True:
        block = stream.read(block_bytes)
        data = carry + block if carry else block
        if not data:
            return
        end = data.rfind(b"\n") + 1 if block else len(data)   # data[:end] is whole lines (all, at the end)
        start = 0
        while start < end:
            lines = data.count(b"\n", start, end)
            cut = end
            if lines > max_lines:
                cut = start
                for _ in range(max_lines):
                    cut = data.index(b"\n", cut) + 1
                lines = max_lines
            yield ("block", number, data[start:cut], name)
            number += lines
            start = cut
        if not block:
            return
        carry = data[end:]
        if len(carry) > MAX_LINE_BYTES:  # an over-long line: its start, then skip to its end
            head, length = carry[:MAX_LINE_BYTES + 1], len(carry)
            carry = b""
            while True:
                more = stream.read(block_bytes)
                found = more.find(b"\n") + 1
                length += found or len(more)
                if found or not more:
                    carry = more[found:] if found else b""
                    break
            yield ("lines", number, [(head, length)], name)
            number += 1


def _chunks_of_records(records: Iterator[InputRecord]) -> Iterator[tuple[Any, ...]]:
    chunk: list[InputRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK_RECORDS:
            yield ("records", chunk)
            chunk = []
    if chunk:
        yield ("records", chunk)


def _tasks(path: str, input_format: str) -> Iterator[tuple[Any, ...]]:
    """Reads the head now, so an unusable input is an InputError before anything is written."""
    name = "<stdin>" if path == "-" else path
    if path == "-":
        raw_stream: IO[bytes] = sys.stdin.buffer
    else:
        try:
            raw_stream = open(path, "rb")
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        head, stream = _records.read_head(raw_stream)
        _records.check_text(head, name)
        fmt = _records.detect_format(name, head) if input_format == "auto" else input_format
        if fmt == "jsonl":
            tasks = _chunks_of_blocks(stream, name)
        else:
            tasks = _chunks_of_records(_records.READERS[fmt](stream, name))
    except BaseException:
        if path != "-":
            raw_stream.close()
        raise
    return _closing(tasks, raw_stream if path != "-" else None)


def _closing(tasks: Iterator[tuple[Any, ...]], stream: IO[bytes] | None) -> Iterator[tuple[Any, ...]]:
    try:
        yield from tasks
    finally:
        if stream is not None:
            stream.close()


class _Spool:
    """Where workers leave jsonl output for the parent: one anonymous in-memory file (memfd) per
    chunk in flight, made before the workers are forked so they inherit it. A worker writes its
    chunk into the file its task names and returns only the size; the parent copies the file to
    the output inside the kernel (sendfile). The output no longer goes through pickling and a
    pipe (five copies of several MB per chunk, and the parent's share of the CPU). A file keeps
    its pages for the next chunk written into it (only `size` bytes are ever read): emptying it
    after every chunk made the kernel free, then allocate and zero, ~1,000 pages per chunk: 40%
    of a run's system time. One over SPOOL_KEEP_BYTES is emptied, so what is kept is bounded
    (7 files of at most 6 MB with --jobs 2) whatever the size of a policy's decisions: a shipped
    program's chunk is ~4 MB.
    A file is used again only after its chunk was written: chunks are written in order, and at
    most `slots - 1` are in flight. Without memfd or fork (not Linux), output comes back as bytes."""

    def __init__(self, slots: int):
        self.fds: list[int] = []
        if not hasattr(os, "memfd_create") or multiprocessing.get_start_method() != "fork":
            return
        try:
            for i in range(slots):
                self.fds.append(os.memfd_create(f"evaluator-chunk-{i}", os.MFD_CLOEXEC))
        except OSError:
            self.close()

    def slot(self, number: int) -> int | None:
        return self.fds[number % len(self.fds)] if self.fds else None

    def copy_out(self, fd: int, size: int, binary: Any, out: IO[str], digest: LineDigest | None = None) -> None:
        """The chunk, the first `size` bytes of file `fd` (what follows is an earlier chunk's),
        to the output; the file emptied (its memory given back) when it is over SPOOL_KEEP_BYTES.
        With a `digest` (a trailer is wanted) the bytes pass through this process to be hashed."""
        sent = 0
        if binary is not None and digest is None:
            try:
                target = binary.fileno()
                binary.flush()
                while sent < size:
                    done = os.sendfile(target, fd, sent, size - sent)
                    if done == 0:
                        break
                    sent += done
            except (OSError, ValueError, io.UnsupportedOperation):
                pass  # not a file descriptor, or one sendfile cannot write to (O_APPEND): copy it here
        decoder = codecs.getincrementaldecoder("utf-8")()  # a read may end inside a character
        while sent < size:
            data = os.pread(fd, min(size - sent, SPOOL_READ_BYTES), sent)
            if not data:
                raise EngineError("a worker's output was cut short; the run stopped")
            sent += len(data)
            if digest is not None:
                digest.update(data, data.count(b"\n"))
            if binary is not None:
                binary.write(data)
            else:
                out.write(decoder.decode(data, final=sent >= size))
        if size > SPOOL_KEEP_BYTES:
            os.ftruncate(fd, 0)

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def _fixed_mmap_threshold() -> None:
    """Chunk buffers (a few MB each way) must neither be mapped afresh for every chunk nor creep.
    By default glibc maps a block above its threshold, and every new mapping is page-faulted in
    again (750,000 faults in the parent over 200,000 partners: a third of its time); and it raises
    that threshold each time such a block is freed, after which the blocks fragment the heap and
    memory creeps up over millions of records. Fixed thresholds (workers inherit them): blocks
    up to 4 MB come from the heap and are reused, and up to 8 MB of free heap is kept rather
    than given back and faulted in again. Elsewhere than glibc this does nothing."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 4 * 1024 * 1024)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 8 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError, ImportError):  # not glibc; or no memory left to load ctypes: a tuning only
        pass


def jobs_count(jobs: int) -> int:
    """0 means one per CPU this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def evaluate_parallel(policy: Policy, facts: str, input_format: str, fmt: str, out: IO[str], *, jobs: int,
                      as_of: _dt.date | None = None, with_input: bool = False, csv_raw: bool = False,
                      trailer: bool = False, options: dict[str, Any] | None = None, detail: str = FULL) -> Counts:
    """Evaluate FACTS (a path or '-') with `jobs` worker processes and write `fmt` to `out` in
    input order, at a detail level (model/decision.py DETAILS); jsonl with `trailer` ends with the trailer of what was written (output/trailer.py,
    the same bytes as one process writes). Returns the counts. Raises InputError before writing if the input is unusable,
    and an EvaluatorError if a worker fails, dies or cannot start, or the pool runs short of
    memory or threads (fast/pool.py: never a wait for ever). `options`: more of the Evaluator's
    keyword arguments (outside_window, history, exceptions), given to each worker's."""
    if fmt not in FORMATS:
        raise ValueError(f"--jobs writes {', '.join(FORMATS)}, not {fmt}")
    jobs = jobs_count(jobs)
    tasks = _tasks(facts, input_format)
    counts = Counts()
    digest = LineDigest() if trailer and fmt == "jsonl" else None

    binary = None

    def write(future: Future, slot: int | None) -> None:
        nonlocal binary
        text, total, invalid = pool.result(future)
        if fmt == "json" and text:
            out.write("\n" if counts.total == 0 else ",\n")
        if type(text) is not str:  # jsonl, UTF-8 already: to the byte stream when there is one
            binary = binary or binary_of(out)
        if type(text) is int:  # left in the chunk's spool file
            spool.copy_out(slot, text, binary, out, digest)  # type: ignore[arg-type]
        elif type(text) is bytes:
            if digest is not None:
                digest.update(text, total)
            if binary is not None:
                binary.write(text)
            else:
                out.write(text.decode("utf-8"))
        else:
            out.write(text)
        counts.total += total
        counts.invalid += invalid

    if fmt == "csv":
        header = io.StringIO()
        output_writer("csv", csv_raw=csv_raw, detail=detail)(iter(()), header, policy)
        out.write(header.getvalue())
    elif fmt == "json":
        out.write("[")
    _fixed_mmap_threshold()
    spool = _Spool(jobs * IN_FLIGHT_PER_JOB + 1) if fmt == "jsonl" else _Spool(0)
    pending: deque[tuple[Future, int | None]] = deque()   # each chunk in flight and its spool file
    try:
        with WorkerPool(jobs, init_worker, (policy, as_of, with_input, fmt, os.getpid(), csv_raw, options,
                                            detail)) as pool:
            for number, task in enumerate(tasks):
                slot = spool.slot(number)
                pending.append((pool.submit(work, task, slot), slot))
                if len(pending) >= jobs * IN_FLIGHT_PER_JOB:  # bounded: memory does not grow with the input
                    write(*pending.popleft())
            while pending:
                write(*pending.popleft())
    except (ImportError, SystemError) as exc:  # a library (ctypes) that could not be loaded for want of memory
        if short_of_resources(exc):
            raise ResourceError("memory") from None
        raise
    finally:  # stopped (a signal, Ctrl-C, a failed chunk) or done: the pool has ended its workers
        spool.close()
    if binary is not None:
        binary.flush()
    if digest is not None:
        out.write(digest.trailer().line() + "\n")
    if fmt == "json":
        out.write("\n]\n" if counts.total else "]\n")
    return counts
