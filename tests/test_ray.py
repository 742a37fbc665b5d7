"""Ray Data: the callable class each actor runs, pickled into it as Ray sends it (always); and,
where the ray extra is installed and Ray starts (optional: .ci/run does not install it, see
docs/scale.md), a Dataset's batches decided by an actor pool, equal to the frame API's decisions."""
from __future__ import annotations

import datetime as dt

import pytest

pa = pytest.importorskip("pyarrow", reason="the Ray adapter needs the ray extra: pip install '.[ray]'")

from evaluator import Evaluator  # noqa: E402
from evaluator.frames import decide_batch, decisions_schema  # noqa: E402
from evaluator.frames.ray import DecideBatch, decide_dataset  # noqa: E402
from test_frames import partners  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
ray = None  # imported by the cluster fixture, where the extra is installed


@pytest.fixture(scope="module")
def cluster():
    global ray
    ray = pytest.importorskip("ray", reason="Ray Data needs the ray extra: pip install '.[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data needs the ray extra: pip install '.[ray]'")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except Exception as exc:  # pragma: no cover - the machine cannot run Ray (no shared memory, ...)
        pytest.skip(f"Ray is installed but does not start here: {exc}")
    yield
    ray.shutdown()


def test_a_dataset_decided_by_an_actor_pool(cluster, shipped_policy):
    table = pa.Table.from_pylist(partners(300, seed=23))
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        dataset = ray.data.from_arrow(table).repartition(4)
        decisions = decide_dataset(dataset, evaluator, decisions=True, batch_size=64)
        rows = decisions.take_all()
        expected = decide_batch(evaluator, table, decisions=True)
    assert len(rows) == 300  # every row out once
    assert sorted(r["decision"] for r in rows) == sorted(expected.column("decision").to_pylist())
    assert set(rows[0]) == set(decisions_schema(shipped_policy, decisions=True).names)


def test_the_callable_class_alone(shipped_policy):
    """What each actor runs, without a cluster: pickled into it, it decides a batch."""
    import pickle
    table = pa.Table.from_pylist(partners(20, seed=1))
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        actor = pickle.loads(pickle.dumps(DecideBatch(evaluator, True)))
        assert actor(table) == decide_batch(evaluator, table, decisions=True)
