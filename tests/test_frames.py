"""The frame API (evaluator.frames): pandas and Arrow batches in, decisions tables out, equal record
for record to what the CLI decides for the same records; frame values (numpy, pandas NA, Arrow
lists) taken as the JSON values they stand for; every row out exactly once."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import random

import pytest

pa = pytest.importorskip("pyarrow", reason="the frame API needs pyarrow: pip install '.[parquet]'")
pd = pytest.importorskip("pandas", reason="pandas frames need pandas: pip install '.[dask]'")
np = pytest.importorskip("numpy", reason="numpy comes with pandas")
pq = pytest.importorskip("pyarrow.parquet")

from conftest import run_cli  # noqa: E402
from evaluator import Evaluator  # noqa: E402
from evaluator.frames import column_names, decide_batch, decisions_schema, plain  # noqa: E402

REGIONS = ["ANZ", "ASEAN", "GREATER_CHINA", "JAPAN", "KOREA", "SOUTH_ASIA", "EMEA", "AMERICAS"]
COUNTRIES = ["AU", "NZ", "SG", "HK", "JP", "KR", "IN", "TH"]
# around every threshold of the shipped program: at it, one step below, one above
SALES = [0.0, 24999.0, 25000.0, 25000.5, 99999.99, 100000.0, 100000.01, 999999.0, 1000000.0, 4850000.0]


def partners(count: int, seed: int = 7) -> list[dict]:
    """Records of uniform column types (as a Parquet file holds them), some invalid (a negative
    sale, a region outside the enum, a bad country code, no partner id), some facts missing."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        record: dict = {"partner_id": f"P-{i:05d}", "partner_name": f"Partner {i}"}
        if rng.random() < 0.9:
            record["annual_sales_usd"] = rng.choice(SALES)
        if rng.random() < 0.85:
            record["regions"] = rng.sample(REGIONS[:6], rng.randint(0, 3))
        if rng.random() < 0.85:
            record["countries"] = rng.sample(COUNTRIES, rng.randint(0, 3))
        if rng.random() < 0.8:
            record["referrals_this_year"] = rng.choice([0, 1, 4, 5, 6, 12])
        bad = rng.random()
        if bad < 0.03:
            record["annual_sales_usd"] = -1.0
        elif bad < 0.06:
            record["regions"] = ["ATLANTIS"]
        elif bad < 0.08:
            record["countries"] = ["australia"]
        elif bad < 0.1:
            del record["partner_id"]
        out.append(record)
    return out


def as_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same 600 partners as a Parquet file (three row groups) and, from its rows, a JSONL file."""
    folder = tmp_path_factory.mktemp("frames")
    table = pa.Table.from_pylist(partners(600))
    parquet = folder / "partners.parquet"
    pq.write_table(table, parquet, row_group_size=250)
    records = [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]
    jsonl = folder / "partners.jsonl"
    jsonl.write_text(as_jsonl(records), encoding="utf-8")
    return table, parquet, jsonl


AS_OF = dt.date(2026, 6, 30)


def cli_lines(path, *extra) -> list[str]:
    proc = run_cli("evaluate", str(path), "--as-of", AS_OF.isoformat(), "--format", "jsonl", *extra)
    assert proc.returncode in (0, 1), proc.stderr_text
    return proc.stdout_text.splitlines()


def test_the_decisions_of_an_arrow_table_are_the_cli_lines_of_its_parquet_file(files, shipped_policy):
    table, parquet, _ = files
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        out = decide_batch(evaluator, table, decisions=True, file=str(parquet))
    assert out.column("decision").to_pylist() == cli_lines(parquet)


def test_equal_to_the_cli_on_the_same_records_as_jsonl(files, shipped_policy):
    """Record for record the decisions of the JSONL file, but for `source` (a line there, a row here)."""
    table, _, jsonl = files
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        out = decide_batch(evaluator, table, decisions=True)
    ours = [json.loads(line) for line in out.column("decision").to_pylist()]
    theirs = [json.loads(line) for line in cli_lines(jsonl)]
    assert len(ours) == len(theirs) == 600
    for mine, cli in zip(ours, theirs):
        assert "source" not in mine and cli.pop("source")["line"] >= 1
        if "error" in cli:  # the CLI's message starts with the file and line
            assert cli["error"].pop("message").endswith(": " + mine["error"].pop("message"))
        assert mine == cli
    invalid = [d for d in ours if d.get("error")]
    assert 20 < len(invalid) < 120  # the generator's bad records are rows with their error, in place


def test_the_columns_agree_with_the_decisions(files, shipped_policy):
    table, _, _ = files
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        out = decide_batch(evaluator, table, decisions=True)
    assert out.schema == decisions_schema(shipped_policy, decisions=True)
    for row in out.to_pylist():
        decision = json.loads(row["decision"])
        assert row["partner_id"] == decision["partner_id"]
        assert row["policy_sha256"] == shipped_policy.sha256 == decision["policy"]["sha256"]
        assert row["input_sha256"] == decision["input_sha256"]
        if "error" in decision:
            assert row["error"] == decision["error"]["message"]
            assert row["tier_id"] is None and row["premier_certified.status"] is None
            continue
        assert row["error"] is None
        tier = decision["tier"] or {"id": None, "name": None, "rank": None}
        assert (row["tier_id"], row["tier_name"], row["tier_rank"]) == (tier["id"], tier["name"], tier["rank"])
        for result in decision["tiers"]:
            assert row[f"{result['id']}.status"] == result["status"]
            for criterion in result["criteria"]:
                assert row[f"{result['id']}.{criterion['id']}"] == criterion["status"]


def test_a_pandas_frame_gives_the_same_table_as_its_arrow_table(shipped_policy):
    # pandas from Arrow (ints stay ints where a column has no null): the same records
    table = pa.Table.from_pylist([r for r in partners(200, seed=3)
                                  if {"annual_sales_usd", "referrals_this_year", "partner_id"} <= r.keys()])
    frame = table.to_pandas()
    assert frame["regions"].dropna().map(type).eq(np.ndarray).all()  # Arrow lists arrive as numpy arrays
    assert frame["referrals_this_year"].dtype == np.int64
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        from_arrow = decide_batch(evaluator, table, decisions=True)
        from_pandas = decide_batch(evaluator, frame, decisions=True)
    assert isinstance(from_pandas, pd.DataFrame)
    assert list(from_pandas.columns) == column_names(shipped_policy, decisions=True)
    assert from_pandas["decision"].tolist() == from_arrow.column("decision").to_pylist()
    assert str(from_pandas["tier_rank"].dtype) == "Int32"


def test_numpy_and_pandas_values_are_the_json_values_they_stand_for(shipped_policy):
    """The three refusals of a partitioned run: np.int64 'must be an integer', an ndarray 'must be a
    list of strings', NaN and NA where a fact is missing."""
    frame = pd.DataFrame({
        "partner_id": ["A", "B", "C", "D"],
        "annual_sales_usd": pd.array([150000, None, 30000, 2_000_000], dtype="Int64"),  # pandas NA
        "referrals_this_year": [np.int64(5), np.int32(1), np.nan, np.int16(0)],
        "regions": [np.array(["ANZ"]), ["ANZ", "ASEAN"], None, np.array([], dtype=object)],
        "countries": [np.array(["AU"]), np.nan, ("NZ",), pd.NA],
    }, dtype=object).astype({"annual_sales_usd": "Int64"})
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        out = decide_batch(evaluator, frame, decisions=True)
        expected = [evaluator.evaluate(r).to_dict() for r in (
            {"partner_id": "A", "annual_sales_usd": 150000, "referrals_this_year": 5, "regions": ["ANZ"],
             "countries": ["AU"]},
            {"partner_id": "B", "referrals_this_year": 1, "regions": ["ANZ", "ASEAN"]},
            {"partner_id": "C", "annual_sales_usd": 30000, "countries": ["NZ"]},
            {"partner_id": "D", "annual_sales_usd": 2_000_000, "referrals_this_year": 0, "regions": []})]
    assert out["error"].isna().all(), out["error"].tolist()
    assert [json.loads(d) for d in out["decision"]] == expected
    assert out["tier_id"].tolist()[0] == "premier_certified"


def test_plain_values():
    assert plain(np.int64(7)) == 7 and type(plain(np.int64(7))) is int
    assert type(plain(np.float32(0.5))) is float and plain(np.bool_(True)) is True
    assert plain(np.array([[1, 2], [3]], dtype=object)) == [[1, 2], [3]]
    assert plain(float("nan")) is None and plain(pd.NA) is None and plain(pd.NaT) is None
    assert plain(np.float64("nan")) is None
    assert plain([None, np.nan]) == [None, None]  # inside a list a null stays: the fact's check says so
    assert plain({"a": np.int8(1)}) == {"a": 1}
    assert plain(dt.date(2026, 1, 31)) == "2026-01-31"
    assert plain(pd.Timestamp("2026-01-31")) == "2026-01-31"
    assert plain(pd.Timestamp("2026-01-31 10:30")) == "2026-01-31T10:30:00"
    assert plain(decimal.Decimal("100000.00")) == 100000 and type(plain(decimal.Decimal("5"))) is int
    assert plain(decimal.Decimal("0.1")) == 0.1
    assert isinstance(plain(decimal.Decimal("0.1000000000000000000001")), decimal.Decimal)  # not a double: refused


def test_every_row_comes_out_once_in_order_invalid_ones_with_their_error(shipped_policy):
    frame = pd.DataFrame({"partner_id": ["A", None, "C", "D", "E"],
                          "annual_sales_usd": [2e6, 5.0, -3.0, float("inf"), 1e6],
                          "regions": [["ANZ"], ["ANZ"], ["ANZ"], "ANZ", [["ANZ"]]]})
    with Evaluator(shipped_policy, as_of=AS_OF) as evaluator:
        out = decide_batch(evaluator, frame)
    assert len(out) == 5
    assert out["partner_id"].tolist()[:1] == ["A"] and out["partner_id"].tolist()[2:] == ["C", "D", "E"]
    errors = out["error"].tolist()
    assert pd.isna(errors[0])
    assert "required fact 'partner_id' is missing" in errors[1]
    assert "'annual_sales_usd' is below its minimum" in errors[2]
    assert "finite" in errors[3] and "'regions' must be a list of strings" in errors[3]
    assert "'regions' item 0 must be a string" in errors[4]
    assert out["tier_id"].isna().tolist() == [False, True, True, True, True]


def test_an_empty_batch_has_the_schema_and_no_row(shipped_policy):
    with Evaluator(shipped_policy) as evaluator:
        table = decide_batch(evaluator, pa.table({"partner_id": pa.array([], pa.string())}))
        batch = decide_batch(evaluator, pa.RecordBatch.from_pylist([], schema=pa.schema([("partner_id", pa.string())])))
        frame = decide_batch(evaluator, pd.DataFrame({"partner_id": []}))
    assert table.num_rows == 0 and table.schema == decisions_schema(shipped_policy)
    assert isinstance(batch, pa.RecordBatch) and batch.num_rows == 0 and batch.schema == table.schema
    assert list(frame.columns) == column_names(shipped_policy) and len(frame) == 0


def test_a_record_batch_gives_a_record_batch(shipped_policy):
    batch = pa.RecordBatch.from_pylist([{"partner_id": "A", "annual_sales_usd": 30000, "countries": ["AU"]}])
    with Evaluator(shipped_policy) as evaluator:
        out = decide_batch(evaluator, batch)
    assert isinstance(out, pa.RecordBatch)
    assert out.to_pylist()[0]["tier_id"] == "certified_partner"


def test_a_column_named_twice_or_a_non_frame_is_refused(shipped_policy):
    from evaluator.errors import InputError
    frame = pd.DataFrame([[1, 2]], columns=["partner_id", "partner_id"])
    with Evaluator(shipped_policy) as evaluator:
        with pytest.raises(InputError, match="names column.s. partner_id more than once"):
            decide_batch(evaluator, frame)
        with pytest.raises(TypeError, match="expected a pandas DataFrame or a pyarrow Table"):
            decide_batch(evaluator, [{"partner_id": "A"}])
