"""Spark in local mode with two cores: a DataFrame's partitions decided by mapInArrow on Spark's
Python workers, with the schema derived from the policy, equal to the frame API's decisions of the
same rows. One Spark session for the module (it takes a minute to start), few tests."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys

import pytest

pa = pytest.importorskip("pyarrow", reason="the Spark adapter needs the spark extra: pip install '.[spark]'")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("pyspark", reason="the Spark adapter needs the spark extra: pip install '.[spark]'")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime (.ci/run installs one from Debian's packages)", allow_module_level=True)

from evaluator import Evaluator  # noqa: E402
from evaluator.frames import decide_batch  # noqa: E402
from evaluator.frames.spark import decide_spark, spark_schema  # noqa: E402
from test_frames import partners  # noqa: E402

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import this interpreter's evaluator
    session = (SparkSession.builder.master("local[2]").appName("evaluator-tests")
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.files.maxPartitionBytes", "4096")  # several partitions of a small file
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_a_spark_dataframe_decided_by_map_in_arrow(spark, shipped_policy, tmp_path):
    table = pa.Table.from_pylist(partners(500, seed=13))
    source = tmp_path / "partners.parquet"
    pq.write_table(table, source, row_group_size=50)
    frame = spark.read.parquet(str(source))
    assert frame.rdd.getNumPartitions() >= 2
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        decisions = decide_spark(frame, evaluator, decisions=True)
        expected = decide_batch(evaluator, table, decisions=True)
    assert decisions.schema == spark_schema(shipped_policy, decisions=True)
    rows = decisions.collect()
    assert len(rows) == 500  # every row out exactly once
    assert sorted(r["decision"] for r in rows) == sorted(expected.column("decision").to_pylist())
    by_decision = {r["decision"]: r.asDict() for r in rows}
    for row in expected.to_pylist():
        assert by_decision[row["decision"]] == row  # every column, invalid rows with their error
    assert sum(r["error"] is not None for r in rows) > 10
    counts = decisions.groupBy("tier_id").count().collect()
    assert sum(c["count"] for c in counts) == 500
    met = decisions.filter("`premier_certified.status` = 'met'").count()
    assert met == sum(v == "met" for v in expected.column("premier_certified.status").to_pylist())


def test_decisions_written_as_parquet_by_spark(spark, shipped_policy, tmp_path):
    table = pa.Table.from_pylist(partners(200, seed=17))
    pq.write_table(table, tmp_path / "in.parquet")
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        decide_spark(spark.read.parquet(str(tmp_path / "in.parquet")), evaluator).write.parquet(str(tmp_path / "out"))
        expected = decide_batch(evaluator, table)
    written = pq.read_table(tmp_path / "out")
    assert written.num_rows == 200
    key = ["input_sha256"]
    assert sorted(written.select(key).to_pylist(), key=str) == sorted(expected.select(key).to_pylist(), key=str)
    assert written.schema.names == expected.schema.names
