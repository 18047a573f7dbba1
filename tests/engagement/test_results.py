"""The results contract: models, the results files notebooks write, and the loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cvkit.engagement.outputs import Outputs
from cvkit.engagement.results import (ClvResults, DriversResults, Estimate, ResultsError, SegmentationResults, demo_results_dir,
                           load_results, read_results_file, validate_section)


def clv_section(**changes) -> dict:
    section = {"model": "bg_nbd", "horizon_months": 12, "n_customers": 100,
               "total": {"value": 1000.0, "low": 900.0, "high": 1100.0, "level": 0.9},
               "top20_share": 0.7, "mean_p_alive": 0.5,
               "by_tier": [{"group": "top 20%", "customers": 20, "clv": 700.0, "low": 650.0, "high": 760.0,
                            "share": 0.7},
                           {"group": "bottom 80%", "customers": 80, "clv": 300.0, "share": 0.3}]}
    section.update(changes)
    return section


def segmentation_section() -> dict:
    return {"basis": "needs", "k": 2, "algorithm": "kmeans",
            "segments": [{"segment": "1", "name": "Busy", "size_share": 0.6, "respondents": 60, "clv_mean": 10.0,
                          "value_share": 0.3, "target": False},
                         {"segment": "2", "name": "Savers", "size_share": 0.4, "respondents": 40, "clv_mean": 35.0,
                          "value_share": 0.7, "target": True, "target_reason": "most value"}]}


def test_outputs_write_a_validated_section_beside_the_key_figures(tmp_path: Path):
    out = Outputs(tmp_path, "clv")
    out.result("clv_total", np.float64(1000.0), unit="EUR", label="CLV total")
    model = out.section(**clv_section(mean_p_alive=np.float64(0.5), n_customers=np.int64(100)))
    assert isinstance(model, ClvResults) and model.total.low == 900.0
    raw = json.loads((tmp_path / "results" / "clv.json").read_text())
    assert raw["schema_version"] == 1 and raw["analysis"] == "clv"
    assert raw["key_figures"]["clv_total"] == {"value": 1000.0, "unit": "EUR", "label": "CLV total"}
    assert raw["section"]["by_tier"][1]["low"] is None
    # A key figure recorded after the section keeps the section in the file.
    out.result("n_customers", 100, label="Customers")
    parsed = read_results_file(tmp_path / "results" / "clv.json")
    assert parsed.section == model and set(parsed.key_figures) == {"clv_total", "n_customers"}


def test_a_bad_section_stops_the_notebook_naming_the_field(tmp_path: Path):
    out = Outputs(tmp_path, "clv")
    with pytest.raises(ResultsError, match=r"top20_share: Input should be less than or equal to 1 \(got 1.4\)"):
        out.section(**clv_section(top20_share=1.4))
    with pytest.raises(ResultsError, match=r"totl: Extra inputs are not permitted"):
        out.section(**clv_section(totl=1))
    assert not (tmp_path / "results" / "clv.json").exists()
    with pytest.raises(ResultsError, match="no results section is defined for analysis 'overview'"):
        Outputs(tmp_path, "overview").section(anything=1)


def test_nan_becomes_null_and_a_required_nan_is_refused():
    assert validate_section("clv", clv_section(mean_p_alive=float("nan"))).mean_p_alive is None
    with pytest.raises(ResultsError, match=r"total.value: Input should be a valid number"):
        validate_section("clv", clv_section(total={"value": float("nan")}))


def test_model_rules_catch_inconsistent_results():
    with pytest.raises(ResultsError, match="k = 3 but 2 segments"):
        validate_section("segment", {**segmentation_section(), "k": 3})
    bad = segmentation_section()
    bad["segments"][1]["target_reason"] = ""
    with pytest.raises(ResultsError, match="flagged as a target without a target_reason"):
        validate_section("segment", bad)
    shares = segmentation_section()
    shares["segments"][0]["size_share"] = 0.9
    with pytest.raises(ResultsError, match="size shares sum to 1.300"):
        validate_section("segment", shares)
    with pytest.raises(ValueError, match="low 5.0 is above high 1.0"):
        Estimate(value=3, low=5, high=1)
    targets = SegmentationResults.model_validate(segmentation_section()).targets()
    assert [t.name for t in targets] == ["Savers"]


def _write(folder: Path, analysis: str, content) -> Path:
    path = folder / "results" / f"{analysis}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_loader_reports_missing_analyses_and_reads_pre_contract_files(tmp_path: Path):
    _write(tmp_path, "clv", {"schema_version": 1, "analysis": "clv", "key_figures": {}, "section": clv_section()})
    # A file from before the contract (a flat mapping of key figures), as `--only` may carry over.
    _write(tmp_path, "drivers", {"client_nps": {"value": 29.4, "unit": "points", "label": "NPS"}})
    results = load_results(tmp_path)
    assert results.missing == ["Discrete choice", "Segmentation"]
    assert results.without_section == ["Value drivers"]
    assert results.available == ["Customer lifetime value"]
    assert results.clv.total.value == 1000.0 and results.drivers is None and results.choice is None
    assert results.key_figure("drivers", "client_nps").value == 29.4
    assert load_results(tmp_path / "results").clv == results.clv  # the results folder itself is accepted


def test_loader_names_the_file_and_field_that_do_not_validate(tmp_path: Path):
    path = _write(tmp_path, "clv", {"schema_version": 1, "analysis": "clv", "key_figures": {},
                                    "section": clv_section(horizon_months="twelve")})
    with pytest.raises(ResultsError) as info:
        load_results(tmp_path)
    message = str(info.value)
    assert str(path) in message and "section" in message and "horizon_months" in message and "'twelve'" in message
    assert "Fix:" in message
    _write(tmp_path, "clv", "{not json")
    with pytest.raises(ResultsError, match="clv.json: not valid JSON"):
        load_results(tmp_path)
    _write(tmp_path, "clv", {"schema_version": 1, "analysis": "choice", "key_figures": {}, "section": None})
    with pytest.raises(ResultsError, match="analysis is 'choice' but the file is named for 'clv'"):
        load_results(tmp_path)
    _write(tmp_path, "clv", {"schema_version": 7, "analysis": "clv"})
    with pytest.raises(ResultsError, match="schema_version 7 is not supported"):
        load_results(tmp_path)
    with pytest.raises(ResultsError, match="folder not found"):
        load_results(tmp_path / "nowhere")


def test_builders_read_the_notebook_tables():
    intervals = pd.DataFrame({"group": ["bottom 50%", "top 20%", "total"], "customers": [5, 2, 7],
                              "clv": [10.0, 30.0, 40.0], "se": 1.0, "lower": [8.0, 25.0, 36.0],
                              "upper": [12.0, 35.0, 44.0]})
    clv = ClvResults.from_tables(model="bg_nbd", horizon_months=12, n_customers=7, intervals=intervals,
                                 top20_share=0.75)
    assert clv.total == Estimate(value=40.0, low=36.0, high=44.0, level=0.9, n=7)
    assert [(g.group, g.share) for g in clv.by_tier] == [("bottom 50%", 0.25), ("top 20%", 0.75)]
    attractiveness = pd.DataFrame({"segment": [1, 2], "respondents": [60, 40], "share": [0.6, 0.4],
                                   "clv_mean": [10.0, np.nan], "attractiveness": [0.2, 0.9], "rank": [2, 1]})
    personas = pd.DataFrame({"segment": [1, 2], "name": ["Busy", "Savers"], "top_needs": ["Saves time", "Reduces cost"],
                             "prefers": ["same day (delivery)", ""]})
    seg = SegmentationResults.from_tables(k=2, algorithm="kmeans", basis="needs", attractiveness=attractiveness,
                                          personas=personas, targets={2: "most attractive"})
    assert [s.segment for s in seg.targets()] == ["2"] and seg.segments[1].clv_mean is None
    assert seg.segments[0].key_traits == ["cares most about Saves time", "prefers same day (delivery)"]


def test_bundled_demo_results_follow_the_contract():
    results = load_results(demo_results_dir())
    assert results.missing == [] and results.without_section == []
    assert isinstance(results.drivers, DriversResults) and results.segmentation.targets()
    assert results.choice.winning_concept is not None and results.clv.by_segment
