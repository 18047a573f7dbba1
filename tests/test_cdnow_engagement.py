"""The bundled real-data engagement: `cvkit demo --dataset cdnow` reproduces the published CDNOW fits."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml


@pytest.fixture(scope="module")
def cdnow_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cdnow")
    proc = subprocess.run([sys.executable, "-m", "cvkit.cli", "demo", str(folder), "--dataset", "cdnow"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def test_writes_the_sample_log_with_its_provenance(cdnow_run):
    tx = pd.read_csv(cdnow_run / "data" / "transactions.csv", dtype={"customer_id": str})
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert (len(tx), tx["customer_id"].nunique()) == (6919, 2357)
    assert "Fader" in (cdnow_run / "data" / "CDNOW.md").read_text(encoding="utf-8")
    cfg = yaml.safe_load((cdnow_run / "engagement.yaml").read_text(encoding="utf-8"))
    assert cfg["intake"] == {"duplicate_rows": "keep"}


def test_runs_only_the_clv_analysis_and_keeps_identical_purchases(cdnow_run):
    out = cdnow_run / "outputs" / "cdnow"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    ran = {nb["notebook"]: nb["status"] for nb in manifest["notebooks"]}
    assert ran == {"00_engagement_overview.ipynb": "ok", "04_customer_lifetime_value.ipynb": "ok",
                   "05_engagement_synthesis.ipynb": "ok"}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "04_customer_lifetime_value.html" in index and "01_value_drivers.html" not in index
    # The 21 same-day identical purchases are kept (policy `keep`), not silently dropped.
    results = json.loads((out / "results" / "clv.json").read_text(encoding="utf-8"))
    assert results["key_figures"]["n_customers"]["value"] == 2357


def test_executive_summary_says_which_analyses_are_missing(cdnow_run):
    from cvkit.engagement.results import load_results

    out = cdnow_run / "outputs" / "cdnow"
    results = load_results(out)
    assert results.missing == ["Value drivers", "Discrete choice", "Segmentation"]
    assert results.clv.n_customers == 2357
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Executive summary" in index
    assert "Not run in this engagement: Value drivers, Discrete choice, Segmentation" in index
    assert "Run the segmentation analysis" in index  # a next step
    assert "data:image/png;base64" in index  # the dashboard, with its "not run" panels


def test_calibration_fits_match_the_papers(cdnow_run):
    params = pd.read_csv(cdnow_run / "outputs" / "cdnow" / "tables" / "clv" / "calibration_parameters.csv")
    est = params.set_index(["model", "parameter"])["estimate"]
    published = {  # Fader, Hardie & Lee (2005), table 1; Pareto/NBD as reported there for the same sample
        ("bg_nbd", "r"): 0.243, ("bg_nbd", "alpha"): 4.41, ("bg_nbd", "a"): 0.793, ("bg_nbd", "b"): 2.43,
        ("pareto_nbd", "r"): 0.553, ("pareto_nbd", "alpha"): 10.6, ("pareto_nbd", "s"): 0.606,
        ("pareto_nbd", "beta"): 11.7,
    }
    for key, value in published.items():
        assert f"{est[key]:.3g}" == f"{value:.3g}", (key, est[key])
    comparison = pd.read_csv(cdnow_run / "outputs" / "cdnow" / "tables" / "clv" / "model_comparison.csv")
    assert comparison.set_index("model").loc["bg_nbd", "holdout_actual"] == 1882  # repeat purchases, weeks 40-78
