"""Measures that name other measures: cycles, and how deep and how large a formula is once the
measures it names are written out in full.

Every stage that reasons about a formula (its bounds, the facts it reads, whether it is whole,
its inverse for shortfalls, the program sheet) walks it through the measures it names, and the
evaluation recurses the same way. So a chain of 350 measures ended in RecursionError, and
measures naming one another twice over (m2 = m1 + m1, m3 = m2 + m2, ...) doubled the work at
each level. Both are bounded here, as located errors, before any other stage sees the policy:
MAX_MEASURE_DEPTH levels of operations and MAX_MEASURE_OPERATIONS operations in all, counted
through the measures named. The graph is walked without recursion, each measure once.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..errors import Finding
from ..language.expressions import names_in
from ..language.measures import FORMS, MEASURES
from ..model.policy import Policy

MAX_MEASURE_DEPTH = 64          # operations one inside another, through the measures named
MAX_MEASURE_OPERATIONS = 1000   # operations in all, each named measure counted where it is used

_EXPECTED = (f"a formula at most {MAX_MEASURE_DEPTH} operations deep and of at most {MAX_MEASURE_OPERATIONS} "
             "operations, counting those of the measures it names")


def _shape(expr: Any, sizes: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(depth, operations) of an expression whose named measures are in `sizes` (a measure not
    there yet, on a cycle, counts nothing). Recursion here is bounded by the JSON nesting."""
    if isinstance(expr, str):
        return sizes.get(expr, (0, 0))
    if not isinstance(expr, dict) or len(expr) != 1:
        return 0, 0
    ((op, arg),) = expr.items()
    spec = MEASURES.get(op)
    if spec is None:
        return 0, 0
    depth, count = 0, 1
    for sub in FORMS[spec.args].subexpressions(arg):
        d, n = _shape(sub, sizes)
        depth, count = max(depth, d), count + n
    return depth + 1, count


def check_measure_graph(policy: Policy) -> Iterator[Finding]:
    """Cycles between measures, and formulas too deep or too large (each reported at the measure
    where the limit is first passed, not at every measure above it)."""
    graph = {n: [r for r, _, _ in names_in(m.compute, "") if r in policy.measures]
             for n, m in policy.measures.items()}
    sizes: dict[str, tuple[int, int]] = {}
    done: set[str] = set()
    over: set[str] = set()
    for root in graph:
        if root in done:
            continue
        path, on_path = [root], {root}
        stack = [iter(graph[root])]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                node = path.pop()
                on_path.discard(node)
                stack.pop()
                done.add(node)
                yield from _size_of(policy, node, graph, sizes, over)
                continue
            if following in on_path:
                cycle = path[path.index(following):] + [following]
                yield Finding("measures depend on each other in a cycle: " + " -> ".join(cycle),
                              policy.measures[path[-1]].pointer + "/compute", expected="no cycle",
                              found=" -> ".join(cycle), check="measures")
            elif following not in done:
                path.append(following)
                on_path.add(following)
                stack.append(iter(graph[following]))


def _size_of(policy: Policy, name: str, graph: dict[str, list[str]], sizes: dict[str, tuple[int, int]],
             over: set[str]) -> Iterator[Finding]:
    depth, count = _shape(policy.measures[name].compute, sizes)
    sizes[name] = (depth, count)
    if depth <= MAX_MEASURE_DEPTH and count <= MAX_MEASURE_OPERATIONS:
        return
    over.add(name)
    if any(r in over for r in graph[name]):
        return  # the measure it names is already reported
    what = (f"{depth} operations deep" if depth > MAX_MEASURE_DEPTH else f"{count} operations")
    yield Finding(f"measure '{name}' is {what}, counting the measures it names", policy.measures[name].pointer
                  + "/compute", expected=_EXPECTED, found=f"{depth} levels, {count} operations", check="measures")
