"""Design generation: D-error against the closed form, exact balance, prohibitions, holdouts, export, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import ChoiceSpec, Design, MNL, choices_from_responses, generate_design, prepare
from cvkit.choice.design import d_error, level_balance

ATTRS = {"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
         "extras": ["none", "streaming", "partner_discounts", "priority_service"], "fee": [29, 49, 69, 89]}
PRIORS = {"fee": -0.03, "delivery.standard": -0.5, "delivery.next_day": 0.1, "returns.paid": -0.4,
          "extras.none": -0.3, "none": -0.2}


def test_orthogonal_foldover_design_has_the_closed_form_d_error():
    # Two-level attributes, effects coded +-1, pairs (x, -x) with x the rows of a 2^(3-1) fraction: at beta = 0
    # each task's information is (x1 - x2)(x1 - x2)' / 4 = x x', and the rows are orthogonal, so the
    # information per task is the identity and D-error = det(I)^(1/3) = 1 exactly.
    attrs = {"a": ["lo", "hi"], "b": ["lo", "hi"], "c": ["lo", "hi"]}
    half = [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    rows = []
    for t, x in enumerate(half, start=1):
        for j, levels in enumerate((x, tuple(1 - v for v in x)), start=1):
            rows.append({"version": 1, "task": t, "concept": j, **{k: attrs[k][v] for k, v in zip(attrs, levels)},
                         "holdout": 0})
    spec = ChoiceSpec(attrs)
    design = Design(pd.DataFrame(rows), spec, "manual", np.zeros(3))
    assert design.d_error() == pytest.approx(1.0, abs=1e-12)
    assert d_error(prepare(design.choice_frame(), spec)) == pytest.approx(1.0, abs=1e-12)
    # complete enumeration finds such a design by itself: minimal overlap makes the pairs fold over
    gen = generate_design(attrs, method="complete_enumeration", n_versions=1, n_tasks=4, n_concepts=2, seed=3)
    assert gen.d_error() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("method", ["complete_enumeration", "d_efficient"])
def test_enumerated_designs_are_exactly_balanced(method):
    d = generate_design(ATTRS, method=method, n_versions=4, n_tasks=12, n_concepts=3, none=True, price="fee",
                        priors=PRIORS, seed=1, n_passes=1)
    real = d.df[(d.df["none"] == 0) & (d.df["holdout"] == 0)]
    for a, levels in ATTRS.items():
        counts = real[a].astype(object).value_counts()
        assert len(counts) == len(levels)
        expected = len(real) / len(levels)
        if method == "complete_enumeration":
            assert (counts == expected).all(), (a, counts.to_dict())  # 144 concepts: divisible by 2, 3 and 4
        else:
            assert counts.max() - counts.min() <= 2, (a, counts.to_dict())
    # minimal overlap: no level repeated within a task while the attribute has enough levels
    if method == "complete_enumeration":
        g = real.groupby(["version", "task"])
        for a, levels in ATTRS.items():
            assert (g[a].nunique() == min(3, len(levels))).all()


def test_d_efficient_beats_enumeration_at_the_priors_and_keeps_all_levels():
    kw = dict(n_versions=4, n_tasks=12, n_concepts=3, none=True, price="fee", priors=PRIORS, seed=1)
    ce = generate_design(ATTRS, method="complete_enumeration", **kw)
    de = generate_design(ATTRS, method="d_efficient", n_passes=2, **kw)
    rnd = generate_design(ATTRS, method="random", **kw)
    assert de.d_error() < ce.d_error() < rnd.d_error()
    assert level_balance(de.choice_frame(), de.spec)["count"].min() > 0


def test_prohibitions_holdouts_and_none_rows():
    holdout = [[{"delivery": "next_day", "returns": "free", "extras": "streaming", "fee": 49},
                {"delivery": "standard", "returns": "paid", "extras": "none", "fee": 29}]]
    d = generate_design(ATTRS, method="balanced_overlap", n_versions=3, n_tasks=8, n_concepts=3, none=True,
                        price="fee", prohibited=[(("delivery", "same_day"), ("fee", 29))], holdout_tasks=holdout,
                        seed=2)
    df = d.df
    assert not ((df["delivery"] == "same_day") & (df["fee"] == 29)).any()
    h = df[df["holdout"] == 1]
    assert set(h["task"]) == {9} and h.groupby("version").size().eq(3).all()  # 2 concepts + none
    assert h.drop(columns="version").drop_duplicates().shape[0] == 3            # identical in every version
    none_rows = df[df["none"] == 1]
    assert len(none_rows) == 3 * 9 and none_rows[list(ATTRS)].isna().all().all()
    with pytest.raises(ValueError, match="Fix"):
        generate_design(ATTRS, prohibited=[(("delivery", "warp"), ("fee", 29))])
    with pytest.raises(ValueError, match="Fix"):
        generate_design(ATTRS, method="orthogonal")


def test_export_and_responses_read_back(tmp_path):
    d = generate_design(ATTRS, method="complete_enumeration", n_versions=2, n_tasks=4, n_concepts=3, none=True,
                        price="fee", seed=4)
    paths = d.write(tmp_path, respondents=4)
    fielding = pd.read_csv(paths["csv"])
    assert list(fielding.columns[:3]) == ["version", "task", "concept"] and len(fielding) == 2 * 4 * 4
    assert pd.read_excel(paths["xlsx"]).shape == fielding.shape
    template = pd.read_csv(paths["template"])
    assert template["chosen"].isna().all() and template["respondent_id"].nunique() == 4
    answers = pd.DataFrame({"respondent_id": np.repeat(["A", "B"], 4), "version": np.repeat([1, 2], 4),
                            "task": np.tile(np.arange(1, 5), 2), "choice": [1, 2, 3, 4, 2, 2, 1, 3]})
    long = choices_from_responses(d, answers)
    assert long.groupby(["respondent_id", "task"])["chosen"].sum().eq(1).all()
    cd = prepare(long, d.spec, check_variation=False)
    assert cd.n_situations == 8 and cd.n_respondents == 2
    assert (cd.is_none[np.arange(8), cd.chosen] == (answers["choice"] == 4).to_numpy()).all()


def test_planted_utilities_are_recovered_within_expected_se():
    d = generate_design(ATTRS, method="d_efficient", n_versions=6, n_tasks=12, n_concepts=3, none=True,
                        price="fee", priors=PRIORS, seed=5, n_passes=1)
    n = 600
    se = d.expected_se(n)
    table = d.power_table([n], n_sims=12, seed=6)
    # the simulated spread of the estimates matches the information-matrix prediction
    ratio = table["simulated_se"] / table["expected_se"]
    assert ratio.between(0.6, 1.5).all(), ratio.round(2).tolist()
    # one planted sample: every part-worth within 3.5 expected standard errors of the truth
    rng = np.random.default_rng(7)
    frame = d.choice_frame()
    spec = d.spec
    rows = []
    for r in range(n):
        v = frame[frame["respondent_id"] == str(r % d.n_versions + 1)].copy()
        v["respondent_id"] = f"p{r}"
        rows.append(v)
    data = pd.concat(rows, ignore_index=True)
    b = d.priors
    is_none = data["none"].to_numpy() == 1
    u = spec.code(data, none=is_none) @ b + rng.gumbel(size=len(data))
    best = pd.Series(u).groupby([data["respondent_id"], data["task"]]).transform("max").to_numpy()
    data["chosen"] = (u == best).astype(int)
    est = MNL(spec).fit(data).params_
    z = (est.to_numpy() - b) / se.to_numpy()
    assert np.abs(z).max() < 3.5, dict(zip(spec.params, z.round(2)))


def test_cvkit_design_command_writes_the_fielding_files(tmp_path, capsys):
    from pathlib import Path

    from cvkit.cli import main

    spec = Path(__file__).resolve().parents[2] / "templates" / "questionnaires" / "cbc_design.yaml"
    assert main(["design", str(spec), "--out", str(tmp_path), "--method", "complete_enumeration", "--versions", "2",
                 "--respondents", "100"]) == 0
    out = capsys.readouterr().out
    assert "D-error" in out and "power" in out
    for name in ("design.csv", "design.xlsx", "design_response_template.csv", "design_power.csv"):
        assert (tmp_path / name).exists(), name
    fielding = pd.read_csv(tmp_path / "design.csv")
    assert fielding["version"].nunique() == 2 and fielding["holdout"].sum() == 2 * 4  # 3 concepts + none
    power = pd.read_csv(tmp_path / "design_power.csv")
    assert set(power["n_respondents"]) == {50, 100, 200}
    assert main(["design", str(tmp_path / "design.csv"), "--out", str(tmp_path)]) == 1  # no attributes
