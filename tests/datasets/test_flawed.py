"""The deliberately flawed engagements of the "spot the problem" training module: each case shows its flaw
through the cvkit diagnostic named in its answer key, and the clean demo does not."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cvkit.choice as ch
from cvkit import clv, drivers
from cvkit import segment as seg
from cvkit.data import DataError, load
from cvkit.datasets import make_demo
from cvkit.datasets.flawed import CASES, CONCLUSIONS, FLAWS, flawed_data, write_flawed_engagements
from cvkit.training import DEMO_ATTRIBUTES

DIRECTIONS = {"delivery": "increasing", "returns": "increasing", "fee": "decreasing"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The written folders by the facilitator's name of each case (trainees see only case_1 ... case_7)."""
    written = write_flawed_engagements(tmp_path_factory.mktemp("flawed"), seed=2026)
    assert set(written) == set(CASES) and all(p.name == c for c, p in written.items())
    return {CASES[c]: p for c, p in written.items()}


@pytest.fixture(scope="module")
def demo():
    return make_demo(seed=2026)


def test_every_case_is_written_with_its_files_and_brief_and_has_a_distinct_answer(cases):
    assert set(cases) == set(FLAWS)
    for name, folder in cases.items():
        expected = [f"{k}.csv" for k in FLAWS[name].files] + ["README.md"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
        assert FLAWS[name].story in (folder / "README.md").read_text()
    answers = [f.answer for f in FLAWS.values()]
    assert len(set(answers)) == len(answers) and set(answers) <= set(CONCLUSIONS)


def test_cases_are_deterministic_in_the_seed():
    a, b, c = (flawed_data("dominated_design", seed=s)["choice"] for s in (2026, 2026, 7))
    pd.testing.assert_frame_equal(a, b)
    assert not a["chosen"].equals(c["chosen"])
    with pytest.raises(ValueError, match="unknown flawed case"):
        flawed_data("typo")


def test_intake_errors_are_refused_by_the_intake_with_every_problem_named(cases, demo, tmp_path):
    with pytest.raises(DataError) as info:
        load("transactions", cases["intake_errors"] / "transactions.csv")
    text = str(info.value)
    for problem in ("negative", "not valid dates", "'customer_id'", "more than one format"):
        assert problem in text, problem
    clean = tmp_path / "transactions.csv"
    demo.transactions.iloc[:2000].to_csv(clean, index=False)
    load("transactions", clean)  # the same rows without the planted errors load


def test_biased_sample_comes_from_one_channel_and_overstates_the_nps(cases, demo):
    from cvkit.metrics import nps

    survey = pd.read_csv(cases["biased_sample"] / "survey.csv", dtype={"customer_id": str})
    customers = pd.read_csv(cases["biased_sample"] / "customers.csv", dtype={"customer_id": str})
    assert set(survey.merge(customers, on="customer_id")["channel"]) == {"store"}
    assert customers["channel"].value_counts(normalize=True)["store"] < 0.5
    full = demo.survey[demo.survey["brand"] == "Demo Retail"]["nps"]
    assert nps(survey["nps"]).ci_low > nps(full).ci_high


def test_collinear_drivers_are_near_copies_only_in_the_flawed_survey(cases, demo):
    def top_corr(df):
        elements = [e for e in drivers.element_labels() if e in df.columns]
        return df[elements].corr().mask(np.eye(len(elements), dtype=bool)).max().max()

    assert top_corr(pd.read_csv(cases["collinear_drivers"] / "survey.csv")) > 0.9
    assert top_corr(demo.survey) < 0.9


def _selection(needs: pd.DataFrame):
    inputs_df, blocks, _ = seg.build_inputs(needs=needs, partworths=None, inputs="needs")
    X, _ = seg.NeedsPreprocessor(blocks, standardize=True, seed=2026).fit_transform(inputs_df)
    return seg.choose_k(X, range(2, 5), algorithms=("kmeans",), n_boot=8, seed=2026)


def test_unstable_segmentation_has_no_stable_k_while_the_demo_does(cases, demo):
    flawed = _selection(pd.read_csv(cases["unstable_segmentation"] / "needs.csv", dtype={"respondent_id": str}))
    assert flawed.table["stability"].max() < 0.5 and not flawed.table["admissible"].any()
    clean = _selection(demo.needs)
    assert clean.recommended_k == 3 and clean.table["stability"].max() > 0.8


def test_dominated_design_is_flagged_by_the_design_diagnostics(cases, demo):
    spec = ch.ChoiceSpec(DEMO_ATTRIBUTES, price="fee", none=True)
    choice = load("choice", cases["dominated_design"] / "choice.csv", attributes=list(DEMO_ATTRIBUTES)).df
    flawed = ch.design_diagnostics(choice, spec, DIRECTIONS)["summary"].iloc[0]
    assert flawed["tasks_with_dominated_concept"] > 0.9 * flawed["tasks"]
    clean = ch.design_diagnostics(demo.choice, spec, DIRECTIONS)["summary"].iloc[0]
    assert clean["tasks_with_dominated_concept"] == 0


def test_short_history_leaves_the_dropout_process_unidentified(cases, demo):
    tx = load("transactions", cases["short_history"] / "transactions.csv").df
    summary = clv.summarize(tx, time_unit="W")
    assert summary["T"].max() <= 8
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        params = clv.BetaGeoModel().fit(summary).summary()
    assert any("did not converge" in str(w.message) for w in caught)
    assert params.loc["b", "estimate"] > 1e3 and params.loc[["a", "b"], "se"].isna().any()


def test_the_control_case_is_clean(cases, demo):
    """The control: a random sample of the demo survey, so every diagnostic is quiet and the answer is (a)."""
    from cvkit import drivers

    assert FLAWS["clean_control"].answer == "a"
    survey = pd.read_csv(cases["clean_control"] / "survey.csv")
    elements = [e for e in drivers.element_labels() if e in survey.columns]
    corr = survey[elements].corr().to_numpy()
    assert np.nanmax(corr - np.eye(len(elements))) < 0.9
    assert not drivers.survey_base(survey, "brand", min_base=100)["below_min_base"].any()
