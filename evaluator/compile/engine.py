"""The durable-rules adapter: the only module that imports durable.

It registers compiled rulesets in a private `durable.engine.Host`, asserts one encoded fact per
ruleset for each evaluation and returns the names of the rules that fired. The guards here are
against durable-rules 2.0.28's pitfalls (docs/architecture.md lists each with its guard and test):

- facts, not events: `assert_fact` fires every matching rule (`post` fires only one);
- `MessageNotHandledException` means "nothing fired", not an error;
- an action that raises comes back as an `exception` key in the state: raised here as EngineError;
- each ruleset is warmed up with one action before use (see `_warm_up`: a crash otherwise);
- one fresh session id (sid) per evaluation, its state deleted in `finally` whether or not
  anything matched (the 1,025th live sid crashes the process);
- `Ruleset.__init__` consumes the `run` keys of the definition: a deep copy is registered;
- engine calls are serialised by one lock per Engine (concurrent asserts lose results silently);
- rulesets are freed on `close()` through durable's private directory, in one function;
- the Host starts no dispatch timer threads (a Host per policy version would leak two each);
- Ctrl-C, SIGTERM and SIGHUP are held back during an engine call (see `_signals_deferred`).

Budgets that keep the engine out of its hang and error states are enforced by the compiler
(`compile.py`); this module re-checks them before registering so no caller can bypass them.
"""
from __future__ import annotations

import contextlib
import copy
import itertools
import signal
import threading
from typing import Any, Iterable, Iterator, Mapping

from durable import engine as _durable

from ..errors import EngineError

# Limits measured on durable-rules 2.0.28 (docs/architecture.md; tests/test_engine_guards.py, test_large_policy.py).
MAX_DISJUNCTS_PER_RULESET = 60   # 65 matching alternatives: error 303; 512 alternatives: hang
                                 # (the compiler packs at most this many, plus the warm-up rule)
MAX_FIELDS_PER_FACT = 200        # 253 properties: error 302
TAG_FIELD = "__e"                # positive tag every rule requires: the engine's own context
                                 # message {sid, id, $s} must never match a rule (infinite loop)
WARM_RULE = "__warm"             # one rule per ruleset that only the warm-up fact matches

_ruleset_names = itertools.count(1)


class _QuietHost(_durable.Host):
    """A Host without its two self-re-arming dispatch timer threads (a plain Host leaks them):
    they serve asynchronous actions and timers, which compiled policies never use."""

    def _run(self) -> None:
        pass


class Engine:
    """A set of durable-rules rulesets, each a dict of rule name -> condition, evaluated together."""

    def __init__(self, rulesets: Mapping[str, Mapping[str, Any]], disjuncts: Mapping[str, int]):
        """`rulesets` maps a local ruleset name to {rule name: durable condition (the `m` of the rule)};
        `disjuncts` gives each ruleset's count of alternatives, checked against the engine budget."""
        self._lock = threading.Lock()
        self._host = _QuietHost()
        self._fired: set[str] = set()
        self._sids = itertools.count(1)
        self._names: dict[str, str] = {}
        self._closed = False
        definitions: dict[str, Any] = {}
        for local, rules in rulesets.items():
            if disjuncts.get(local, 0) > MAX_DISJUNCTS_PER_RULESET:
                raise EngineError(f"ruleset {local} has {disjuncts[local]} alternatives; the engine budget is "
                                  f"{MAX_DISJUNCTS_PER_RULESET}")
            # Unique engine-wide names: durable refuses a name registered twice.
            name = f"ppe{next(_ruleset_names)}_{local}"
            self._names[local] = name
            definitions[name] = {
                rule: {"all": [{"m": copy.deepcopy(condition)}], "run": self._action(rule)}
                for rule, condition in rules.items()
            }
            definitions[name][WARM_RULE] = {"all": [{"m": {"$and": [{TAG_FIELD: 1}, {WARM_RULE: 1}]}}],
                                            "run": self._action(WARM_RULE)}
        if definitions:
            self._host.register_rulesets(definitions)
        for name in definitions:
            self._warm_up(name)

    def _warm_up(self, name: str) -> None:
        """Run one action in a new ruleset. durable-rules 2.0.28 corrupts memory (free(): invalid
        pointer, or a silent segfault) when the state of a session in which nothing matched is
        deleted before any action ever ran in that ruleset; once one has, deletion is safe."""
        sid = "warm-up"
        with _signals_deferred():
            try:
                self._host.assert_fact(name, {TAG_FIELD: 1, WARM_RULE: 1, "sid": sid})
            finally:
                self._host.delete_state(name, sid)
        self._fired.clear()

    def _action(self, rule: str):
        fired = self._fired

        def run(_closure: Any) -> None:  # exactly one argument: two would make it asynchronous
            fired.add(rule)

        return run

    def fire(self, facts: Mapping[str, dict[str, Any]]) -> frozenset[str]:
        """Assert `facts[ruleset]` into each ruleset and return the names of every rule that fired."""
        with self._lock, _signals_deferred():
            if self._closed:
                raise EngineError("engine is closed")
            self._fired.clear()
            sid = str(next(self._sids))
            for local, fact in facts.items():
                name = self._names[local]
                message = dict(fact)
                message[TAG_FIELD] = 1
                message["sid"] = sid
                if len(message) > MAX_FIELDS_PER_FACT + 2:
                    raise EngineError(f"fact for {local} has {len(message)} fields; the engine budget is "
                                      f"{MAX_FIELDS_PER_FACT}")
                try:
                    state = self._host.assert_fact(name, message)
                except _durable.MessageNotHandledException:
                    state = None  # nothing matched: every rule of this ruleset is "not fired"
                except _durable.MessageObservedException as exc:  # pragma: no cover - fresh sid each time
                    raise EngineError(f"fact observed twice in one session: {exc}") from exc
                except Exception as exc:  # durable raises bare Exception("... error code: N")
                    raise EngineError(f"durable-rules rejected a fact for {local}: {exc}") from exc
                finally:
                    self._host.delete_state(name, sid)
                if isinstance(state, dict) and "exception" in state:
                    raise EngineError(f"a rule action failed in {local}: {state['exception']}")
            return frozenset(self._fired)

    def close(self) -> None:
        """Unregister and free every ruleset of this engine. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for name in self._names.values():
                _free_ruleset(self._host, name)

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter teardown
        try:
            self.close()
        except Exception:
            pass


# Signals whose Python handlers raise (KeyboardInterrupt; the CLI turns SIGTERM and SIGHUP
# into SystemExit). Raised inside a rule action, durable-rules would catch it, print it with a
# traceback and report a failed action; held back for the few microseconds of an engine call,
# it is raised right after, from Python code that unwinds cleanly.
_DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Block _DEFERRED_SIGNALS in the calling thread (only the main thread runs Python signal
    handlers, so only there does it matter) for the duration of the block."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _free_ruleset(host: Any, name: str) -> None:
    """durable has no public unregister: drop the ruleset from the host's private directory and
    free its C handle. Kept in this one function so the private use is easy to find and test."""
    ruleset = host._ruleset_directory.pop(name, None)
    if ruleset is None:
        return
    try:
        host._ruleset_list.remove(ruleset)
    except ValueError:  # pragma: no cover
        pass
    _durable.durable_rules_engine.delete_ruleset(ruleset._handle)


def live_ruleset_count(engines: Iterable[Engine]) -> int:
    """Number of rulesets still registered across engines (for tests of cleanup)."""
    return sum(len(e._host._ruleset_directory) for e in engines)
