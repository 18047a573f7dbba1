"""A transaction log given as a glob of Parquet parts (what a Spark job writes): checked, hashed, run."""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from cvkit.engagement.config import ConfigError, load_config
from cvkit.engagement.manifest import file_sha256, input_bytes


def _engagement(tmp_path, pattern: str):
    parts = tmp_path / "data" / "tx"
    parts.mkdir(parents=True)
    log = pd.DataFrame({"customer_id": ["1", "1", "2", "3"], "date": pd.to_datetime(
        ["2024-01-02", "2024-09-01", "2024-02-01", "2025-05-05"]), "amount": [10.0, 12.5, 8.0, 30.0]})
    log.iloc[:2].to_parquet(parts / "part-00000.parquet", index=False)
    log.iloc[2:].to_parquet(parts / "part-00001.parquet", index=False)
    (tmp_path / "engagement.yaml").write_text(textwrap.dedent(f"""
        client: {{name: Parts Client, slug: parts}}
        analysis_date: 2025-06-30
        data:
          transactions: {pattern}
        analyses:
          value_drivers: {{enabled: false}}
          discrete_choice: {{enabled: false}}
          segmentation: {{enabled: false}}
        """))
    return tmp_path / "engagement.yaml", parts


def test_a_glob_of_parquet_parts_is_a_data_set(tmp_path):
    path, parts = _engagement(tmp_path, "data/tx/part-*.parquet")
    cfg = load_config(path)
    given = cfg.data_path("transactions")
    assert input_bytes(given) == sum(f.stat().st_size for f in parts.iterdir())
    before = file_sha256(given)
    pd.DataFrame({"customer_id": ["4"], "date": pd.to_datetime(["2025-06-01"]), "amount": [5.0]}).to_parquet(
        parts / "part-00002.parquet", index=False)
    assert file_sha256(given) != before  # a new part is a changed input


@pytest.mark.parametrize("pattern, words", [
    ("data/tx/nothing-*.parquet", "no file matches 'data/tx/nothing-*.parquet'"),
    ("../*/tx/part-*.parquet", "outside the engagement folder"),
])
def test_a_glob_that_matches_nothing_or_leaves_the_folder_is_refused(tmp_path, pattern, words):
    path, _ = _engagement(tmp_path / "e", pattern)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "data.transactions" in str(err.value) and words in str(err.value)


def test_validate_reads_every_part(tmp_path, capsys):
    from cvkit.cli import main

    path, _ = _engagement(tmp_path, "data/tx/part-*.parquet")
    assert main(["validate", str(path)]) == 0
    assert "4 rows, 0 excluded" in capsys.readouterr().out
