"""Dask on a real distributed LocalCluster (two worker processes): DataFrame and Bag partitions
decided on the workers, equal to the decisions of one process; the string-conversion trap refused
with its fix; one engine per worker process."""
from __future__ import annotations

import datetime as dt
import json

import pytest

pytest.importorskip("pyarrow", reason="the Dask adapter needs the dask extra: pip install '.[dask]'")
pd = pytest.importorskip("pandas", reason="the Dask adapter needs the dask extra: pip install '.[dask]'")
dd = pytest.importorskip("dask.dataframe", reason="the Dask adapter needs the dask extra: pip install '.[dask]'")
distributed = pytest.importorskip("dask.distributed", reason="the Dask adapter needs the dask extra: pip install '.[dask]'")

from conftest import EXAMPLES  # noqa: E402
from evaluator import Evaluator  # noqa: E402
from evaluator.errors import InputError  # noqa: E402
from evaluator.frames import decide_batch  # noqa: E402
from evaluator.frames.dask import decide_bag, decide_dataframe, from_pandas  # noqa: E402
from test_frames import partners  # noqa: E402

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def evaluator(shipped_policy):
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        yield evaluator


def test_a_dataframe_decided_on_two_workers_equals_one_process(client, evaluator, tmp_path):
    records = partners(400, seed=11)
    frame = pd.DataFrame(records)
    ddf = from_pandas(frame, npartitions=8)
    result = decide_dataframe(ddf, evaluator, decisions=True)
    out = result.compute()
    expected = decide_batch(evaluator, frame, decisions=True)
    assert out["decision"].tolist() == expected["decision"].tolist()
    assert len(out) == 400 and out["partner_id"].tolist()[:3] == ["P-00000", "P-00001", "P-00002"]
    assert out["error"].notna().sum() > 10  # invalid rows in place, with their error
    assert list(out.columns) == list(result.columns) == list(expected.columns)
    # both workers took part, and each built one engine for the policy, whatever its task count
    built = client.run(lambda: [e._plan is not None for e in
                                __import__("evaluator.evaluate.evaluator", fromlist=["_"])._REBUILT.values()])
    assert len(built) == 2 and all(flags == [True] for flags in built.values())


def test_parquet_through_dask_to_parquet(client, evaluator, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pylist(partners(300, seed=5))
    source = tmp_path / "in"
    source.mkdir()
    for i in range(3):
        pq.write_table(table.slice(i * 100, 100), source / f"part-{i}.parquet")
    decisions = decide_dataframe(dd.read_parquet(str(source)), evaluator)  # list columns stay lists
    decisions.to_parquet(str(tmp_path / "out"), write_index=False)
    written = dd.read_parquet(str(tmp_path / "out")).compute()
    expected = decide_batch(evaluator, table).to_pandas()
    assert len(written) == 300
    assert written["tier_id"].fillna("").tolist() == expected["tier_id"].fillna("").tolist()
    assert written["error"].fillna("").tolist() == expected["error"].fillna("").tolist()
    assert written["input_sha256"].tolist() == expected["input_sha256"].tolist()


def test_the_string_conversion_trap_is_refused_with_its_fix(evaluator):
    import dask
    frame = pd.DataFrame([json.loads(line) for line in (EXAMPLES / "partners.jsonl").read_text().splitlines()])
    with dask.config.set({"dataframe.convert-string": True}):
        converted = dd.from_pandas(frame, npartitions=2)
    assert converted["regions"].compute().iloc[0].startswith("['ANZ'")  # what Dask made of the lists
    with pytest.raises(InputError, match=r"regions, countries hold text, not lists.*from_pandas"):
        decide_dataframe(converted, evaluator)
    with dask.config.set({"dataframe.convert-string": True}):
        kept = from_pandas(frame, npartitions=2)  # the adapter's: lists stay lists
    assert decide_dataframe(kept, evaluator)["error"].isna().all().compute()


def test_a_bag_of_records(client, evaluator):
    import dask.bag as db
    records = partners(120, seed=2)
    lines = decide_bag(db.from_sequence(records, npartitions=4), evaluator, as_json=True).compute()
    from evaluator.evaluate.evaluator import InputRecord
    from evaluator.output.writers import write_jsonl
    import io
    text = io.StringIO()  # what `evaluate` writes for these records as JSONL (given without a source)
    write_jsonl(evaluator.evaluate_many(InputRecord(r, None) for r in records), text, evaluator.policy)
    assert lines == text.getvalue().splitlines()
    dicts = decide_bag(db.from_sequence(records[:5], npartitions=2), evaluator).compute()
    assert dicts == [json.loads(line) for line in lines[:5]]
