"""NeedsBasedSegmentation: notebook 03's steps as methods.

The reference below is notebook 03's code as its cells held it before the steps moved into
cvkit (the `if needs_based:` cells), run on the demo data with a small k range and few bootstrap
resamples; the pipeline must give the same segments, profiles, value table and exports.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cvkit import segment as seg
from cvkit.engagement.outputs import Outputs
from cvkit.engagement.results import SegmentationResults

PARAMS = dict(analysis_date="2026-06-30", seed=2026, currency="EUR", clv_file="", margin=0.30, choice_price="fee",
              client_brand="Demo Retail", inputs="both", needs_prefix="imp_", center_needs=True, standardize=True,
              partworth_weight=1.0, pca=0.0, algorithm="consensus", k_min=2, k_max=4, k=0, n_boot=4,
              min_segment_share=0.05, stability_threshold=0.8,
              profile_numeric=["nps", "satisfaction", "overall_value", "perceived_quality", "perceived_price"],
              profile_categorical=["channel", "region", "age_band"], correction="holm", golden_max_items=4,
              persona_overrides={"2": {"name": "Second"}},
              # not a setting of the segmentation: from_parameters ignores it
              output_dir="")


@pytest.fixture(scope="module")
def demo_data():
    from cvkit.datasets.demo import make_demo

    demo = make_demo(seed=2026)
    rng = np.random.default_rng(3)
    ids = demo.needs["respondent_id"].astype(str).iloc[:500]
    partworths = pd.DataFrame({"respondent_id": ids.to_numpy(),
                               "delivery.standard": rng.normal(-1, 1, len(ids)),
                               "delivery.same_day": rng.normal(1, 1, len(ids)),
                               "fee": -np.abs(rng.normal(0.05, 0.01, len(ids)))})
    return dict(needs=demo.needs, partworths=partworths, survey=demo.survey, customers=demo.customers,
                transactions=demo.transactions)


def _old_cells(d: dict, p: dict) -> dict:
    """Notebook 03's needs-based cells as they were (cells 15-51), with `out` left out."""
    inputs_df, blocks, notes = seg.build_inputs(needs=d["needs"], partworths=d["partworths"], inputs=p["inputs"],
                                                needs_prefix=p["needs_prefix"], center_needs=p["center_needs"],
                                                partworth_weight=p["partworth_weight"])
    pre = seg.NeedsPreprocessor(blocks, standardize=p["standardize"], pca=None, seed=p["seed"])
    X, ids = pre.fit_transform(inputs_df)
    selection = seg.choose_k(X, range(p["k_min"], p["k_max"] + 1), algorithms=("kmeans", "gmm"), n_boot=p["n_boot"],
                             min_share=p["min_segment_share"], stability_threshold=p["stability_threshold"],
                             fixed_k=p["k"] or None, seed=p["seed"])
    n_segments = selection.recommended_k
    model = seg.fit_segmentation(p["algorithm"], n_segments, X, seed=p["seed"], categorical=None)
    segments = pd.Series(model.labels_, index=ids, name="segment")
    bins = seg.ordinal_bins(inputs_df[blocks[0].columns]).loc[ids]
    partitions, ward = seg.alternative_partitions(X, n_segments, final=segments.to_numpy(), categorical=bins,
                                                  seed=p["seed"])
    agreement = seg.compare_partitions(partitions)
    facts = seg.respondent_frame(ids, survey=d["survey"], customers=d["customers"], client_brand=p["client_brand"],
                                 survey_columns=p["profile_numeric"])
    profile_data = inputs_df.loc[ids].join(facts)
    categorical_vars = [c for c in p["profile_categorical"] if c in profile_data.columns
                        and profile_data[c].notna().any()]
    numeric_vars = [c for b in blocks for c in b.columns if c in pre.columns_] + \
        [c for c in p["profile_numeric"] if c in profile_data.columns]
    profile = seg.profile_segments(profile_data, segments, numeric=numeric_vars, categorical=categorical_vars,
                                   correction=p["correction"])
    clv_table = seg.resolve_clv(p["clv_file"], d["transactions"], p["analysis_date"], margin=p["margin"])
    link = facts["customer_id"]
    wtp = seg.wtp_from_partworths(d["partworths"].set_index("respondent_id"), price_col=p["choice_price"])
    value = seg.segment_value(segments, link=link, clv=clv_table, nps=facts["nps"], wtp=wtp)
    wtp_cols = [c for c in value.columns if c.startswith("wtp_") and c.endswith("_median")]
    headline = max(wtp_cols, key=lambda c: value.loc[value.segment == "total", c].iloc[0]) if wtp_cols else None
    attractiveness = seg.attractiveness_table(value, wtp_col=headline)
    personas = seg.persona_cards(profile, value, overrides=p["persona_overrides"], currency=p["currency"])
    golden = seg.GoldenQuestions(max_items=p["golden_max_items"], seed=p["seed"]).fit(
        inputs_df.loc[ids, blocks[0].columns], segments.to_numpy())
    names = personas.set_index("segment")["name"]
    assignment = pd.DataFrame({"respondent_id": ids, "segment": segments.to_numpy(),
                               "segment_name": segments.map(names).to_numpy(),
                               "customer_id": link.reindex(ids).to_numpy()})
    return dict(notes=notes, k_table=selection.table, k=n_segments, segments=segments, agreement=agreement,
                profiles=profile.summary_table(), tests=profile.tests, crosstabs=profile.categorical, value=value,
                attractiveness=attractiveness, personas=personas, golden_path=golden.path_, assignment=assignment,
                headline=headline)


@pytest.fixture(scope="module")
def both(demo_data, tmp_path_factory):
    # The pipeline reads the log from a Parquet file, as the notebook does: it never needs it in pandas.
    log = tmp_path_factory.mktemp("log") / "transactions.parquet"
    demo_data["transactions"].to_parquet(log)
    pipeline = seg.NeedsBasedSegmentation.from_parameters(
        PARAMS, needs=demo_data["needs"], partworths=demo_data["partworths"], partworths_source="a test table",
        survey=demo_data["survey"], customers=demo_data["customers"], transactions=str(log))
    return pipeline, _old_cells(demo_data, PARAMS)


def test_the_pipeline_computes_what_the_old_cells_computed(both):
    new, old = both
    assert new.available and new.reason == ""
    assert new.k_ == old["k"]
    pd.testing.assert_frame_equal(new.selection_.table, old["k_table"])
    pd.testing.assert_series_equal(new.segments_, old["segments"])
    pd.testing.assert_frame_equal(new._alternatives[0], old["agreement"])
    pd.testing.assert_frame_equal(new.profile_.summary_table(), old["profiles"])
    pd.testing.assert_frame_equal(new.profile_.tests, old["tests"])
    pd.testing.assert_frame_equal(new.profile_.categorical, old["crosstabs"])
    pd.testing.assert_frame_equal(new.value_, old["value"])
    assert new.headline_wtp_ == old["headline"] is not None
    pd.testing.assert_frame_equal(new.attractiveness_, old["attractiveness"])
    pd.testing.assert_frame_equal(new.personas_, old["personas"])
    pd.testing.assert_frame_equal(new.golden_.path_, old["golden_path"])
    pd.testing.assert_frame_equal(new.assignments_, old["assignment"])


def test_the_steps_write_what_the_notebook_wrote(both, tmp_path):
    new, old = both
    out = Outputs(tmp_path, "segment")
    for step in (new.choose_k(), new.plot_k(), new.solution(), new.dendrogram(), new.profile(), new.value(),
                 new.attractiveness(), new.personas()):
        assert out.write(step) is step
    exports = new.exports()
    out.write(exports, section=SegmentationResults.from_tables)
    assert sorted(out.tables) == ["assignments", "attractiveness", "k_comparison", "personas", "profile_crosstabs",
                                  "profile_tests", "profiles", "value"]
    assert sorted(out.figures) == ["dendrogram", "k_selection", "profile_heatmap", "segment_sizes"]
    assert sorted(out.files) == ["typing_tool.py", "typing_tool.xlsx"]
    written = pd.read_csv(tmp_path / "tables" / "segment" / "assignments.csv", dtype=str)
    assert written["respondent_id"].tolist() == old["assignment"]["respondent_id"].tolist()
    results = json.loads((tmp_path / "results" / "segment.json").read_text())
    assert results["key_figures"]["k"]["value"] == old["k"]
    assert results["key_figures"]["respondents"]["value"] == len(old["segments"])
    assert results["section"]["k"] == old["k"] and results["section"]["basis"] == "needs and partworths"


def test_steps_show_what_the_cells_printed(both, capsys):
    new, old = both
    new.inputs()._ipython_display_()
    new.k_used()._ipython_display_()
    new.check_assignment()._ipython_display_()
    printed = capsys.readouterr().out
    assert printed.startswith("Part-worths: a test table.\n" + "\n".join(old["notes"]) + "\n")
    assert f"Number of segments used: k = {old['k']}\n" in printed
    assert "The fitted model assigns 5 of the first 5 respondents" in printed
    assert f"Golden questions: {len(new.golden_.items_)} items, cross-validated accuracy" in printed


def test_without_needs_or_partworths_every_step_shows_and_writes_nothing(tmp_path, capsys):
    pipeline = seg.NeedsBasedSegmentation.from_parameters(PARAMS, partworths_source="not used", survey=None)
    assert not pipeline.available and pipeline.reason == seg.NOT_AVAILABLE
    assert pipeline.section_fields() is None
    out = Outputs(tmp_path, "segment")
    steps = [pipeline.preprocess(), pipeline.choose_k(), pipeline.plot_k(), pipeline.k_used(), pipeline.solution(),
             pipeline.agreement(), pipeline.dendrogram(), pipeline.sizes(), pipeline.profile(),
             pipeline.rating_means(), pipeline.crosstabs(), pipeline.value(), pipeline.attractiveness(),
             pipeline.needs_by_rfm(pd.DataFrame({"customer_id": ["1"], "segment": ["Lost"]})), pipeline.personas(),
             pipeline.typing_tool(), pipeline.type_others(), pipeline.check_assignment(), pipeline.exports()]
    from unittest import mock

    for step in steps:
        assert step.empty and step.not_applicable
        out.write(step, section=SegmentationResults.from_tables)
        with mock.patch("IPython.display.display") as shown:
            step._ipython_display_()
        # Nothing to read, only the mark that leaves the section out of the client page.
        (data,), kwargs = shown.call_args
        assert kwargs["metadata"] == {"cvkit_not_applicable": True} and data == {"text/html": "", "text/plain": ""}
    assert capsys.readouterr().out == ""
    assert not tmp_path.joinpath("tables").exists() and not tmp_path.joinpath("results").exists()
    # The one line the RFM-only page shows for the whole needs-based part:
    pipeline.inputs()._ipython_display_()
    assert capsys.readouterr().out == f"Part-worths: not used.\n{seg.NOT_AVAILABLE}\n"


def test_partworths_alone_are_enough_and_have_no_typing_tool(demo_data):
    pipeline = seg.NeedsBasedSegmentation.from_parameters(
        {**PARAMS, "inputs": "partworths"}, partworths=demo_data["partworths"], partworths_source="a test table")
    assert pipeline.available
    assert pipeline.golden_ is None
    assert pipeline.type_others().empty
    assert "part-worths only" in repr(pipeline.typing_tool()._shown)


def test_rfm_from_the_checked_parquet_equals_rfm_from_the_loaded_frame():
    # Notebook 03 reads the log as checked Parquet instead of loading it into pandas: same RFM.
    from cvkit.data import IntakePolicy, load
    from cvkit.data.stream import checked_parquet
    from cvkit.datasets.demo import demo_file

    path, policy = demo_file("transactions"), IntakePolicy()
    frame = load("transactions", path, policy=policy).df
    parquet = checked_parquet("transactions", path, policy=policy)
    rules = seg.load_rfm_rules(None)
    old = seg.rfm_segments(frame, rules=rules, observation_end="2026-06-30", ties="first")
    new = seg.rfm_segments(parquet, rules=rules, observation_end="2026-06-30", ties="first")
    pd.testing.assert_frame_equal(new, old)


def test_small_segments_are_named_with_their_share_not_as_a_python_list():
    from cvkit.segment.needs_based import small_segments_warning

    one = small_segments_warning(pd.Series({1: 70, 2: 28, 4: 2}), 0.05)
    assert one.startswith("Warning: segment 4 (2%) is below the minimum actionable size of 5% of respondents")
    assert "[" not in one
    two = small_segments_warning(pd.Series({"a": 96, "b": 2, "c": 2}), 0.05)
    assert "segments b (2%), c (2%) are below" in two
    assert small_segments_warning(pd.Series({1: 50, 2: 50}), 0.05) == ""
