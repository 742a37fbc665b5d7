"""The `evaluator` console script: imports the package under a guard, then runs the CLI.

The package imports durable-rules, RE2 and jsonschema when it loads. In a process short of
memory (`ulimit -v`, a container's limit) that import fails with MemoryError or an ImportError
("failed to map segment from shared object"), which Python would print as a traceback and end
with exit 1: the code that means "some records were invalid". Here it is one line and exit 2,
the environment's error (evaluator/errors.py, docs/bad-input.md "Limits"). This module lives
outside the package because importing anything inside it runs the package's imports first.
"""
from __future__ import annotations

import errno
import os
import sys

EXIT_ENVIRONMENT = 2
_NO_MEMORY = ("failed to map segment", "cannot allocate memory", "out of memory")


def _installed(filename: str | None) -> bool:
    """Whether a file is one of the installed code's: the package's (beside this module) or a
    library's (under the interpreter's prefix)."""
    if not filename:
        return False
    path = os.path.abspath(filename)
    roots = {os.path.dirname(os.path.abspath(__file__)), sys.prefix, sys.base_prefix}
    return any(path.startswith(root + os.sep) for root in roots)


def _out_of_memory(exc: BaseException) -> bool:
    # a C extension whose allocation fails while it loads may return an error without setting one:
    # SystemError "error return without exception set" (seen importing click under `ulimit -v`);
    # CPython's parser, short of memory while it reads a module that has no bytecode yet, reports a
    # SyntaxError in it ("expected ':'", seen under `ulimit -v`): the installed code is valid Python
    return isinstance(exc, MemoryError) or (isinstance(exc, ImportError)
                                            and any(w in str(exc).lower() for w in _NO_MEMORY)) \
        or (isinstance(exc, SystemError) and "without" in str(exc) and "exception" in str(exc)) \
        or (isinstance(exc, SyntaxError) and _installed(exc.filename)) \
        or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM)  # the import system listing a folder


def main() -> None:
    try:
        from evaluator.cli.main import main as run
    except (MemoryError, ImportError, SystemError, SyntaxError, OSError) as exc:
        if not _out_of_memory(exc):
            raise
        try:
            sys.stderr.write("error: not enough memory to start evaluator (the process's memory limit is too "
                             "low to load its libraries; raise `ulimit -v` or the container's limit)\n")
        except Exception:  # pragma: no cover - not even memory to write the message
            pass
        sys.exit(EXIT_ENVIRONMENT)
    run()


if __name__ == "__main__":  # pragma: no cover
    main()
