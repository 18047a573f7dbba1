"""A cell's time limit grows with the data, can be overridden, and a timeout says what to do."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cvkit.engagement import runner
from cvkit.engagement.runner import CELL_TIMEOUT_PER_MILLION_ROWS, CELL_TIMEOUT_SECONDS, cell_timeout
from cvkit.exceptions import ConfigError, RunError
from tests.reliability.engagements import small_clv_engagement


def _parquet(path, rows):
    pq.write_table(pa.table({"x": pa.array([0] * rows, pa.int8())}), path)
    return str(path)


def test_the_limit_grows_with_the_rows_of_the_checked_data(tmp_path, monkeypatch):
    monkeypatch.delenv("CVKIT_CELL_TIMEOUT", raising=False)
    assert cell_timeout({}) == CELL_TIMEOUT_SECONDS
    small = {"survey": _parquet(tmp_path / "survey.parquet", 10)}
    assert cell_timeout(small) == CELL_TIMEOUT_SECONDS + CELL_TIMEOUT_PER_MILLION_ROWS
    big = {**small, "transactions": _parquet(tmp_path / "transactions.parquet", 1_000_001)}
    # 1,000,011 rows in all: two started millions
    assert cell_timeout(big) == CELL_TIMEOUT_SECONDS + 2 * CELL_TIMEOUT_PER_MILLION_ROWS
    # Checked on a Spark cluster, a data set is a folder of parts: their rows count too.
    parts = tmp_path / "spark" / "transactions.parquet"
    parts.mkdir(parents=True)
    for i in range(3):
        _parquet(parts / f"part-{i}.parquet", 1_000_000)
    assert cell_timeout({**small, "transactions": str(parts)}) == CELL_TIMEOUT_SECONDS + 4 * CELL_TIMEOUT_PER_MILLION_ROWS


def test_the_environment_overrides_the_limit_and_a_bad_value_names_the_fix(monkeypatch):
    monkeypatch.setenv("CVKIT_CELL_TIMEOUT", "7200")
    assert cell_timeout({}) == 7200
    monkeypatch.setenv("CVKIT_CELL_TIMEOUT", "2h")
    with pytest.raises(ConfigError, match="CVKIT_CELL_TIMEOUT='2h' is not a whole number of seconds"):
        cell_timeout({})


def test_a_timed_out_cell_stops_the_run_with_the_limit_and_the_fix(tmp_path, monkeypatch):
    import papermill
    from nbclient.exceptions import CellTimeoutError

    limits = []

    def timing_out(*args, **kwargs):
        limits.append(kwargs["execution_timeout"])
        raise CellTimeoutError("A cell timed out while it was being executed, after 660 seconds.")

    monkeypatch.delenv("CVKIT_CELL_TIMEOUT", raising=False)
    config = small_clv_engagement(tmp_path / "eng", slug="slow", customers=10)
    monkeypatch.setattr(papermill, "execute_notebook", timing_out)
    with pytest.raises(RunError) as err:
        runner.run_engagement(config, output_dir=tmp_path / "out", progress=False, log=lambda m: None)
    # The small log has far fewer than a million rows: the base limit plus one started million.
    assert limits == [CELL_TIMEOUT_SECONDS + CELL_TIMEOUT_PER_MILLION_ROWS]
    message = str(err.value)
    assert f"a cell ran longer than {limits[0]:,} s" in message
    assert "CVKIT_CELL_TIMEOUT=7200" in message
    assert not (tmp_path / "out" / "slow").exists() or not any((tmp_path / "out" / "slow").glob("*.html"))
