"""MaxDiff: balanced designs, best-worst logit = MNL on the expanded data, planted truths, scores, TURF."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import MNL, ChoiceSpec
from cvkit.exceptions import DataError
from cvkit.maxdiff import (MaxDiffHB, MaxDiffLogit, design_balance, expand_best_worst, maxdiff_counts,
                           maxdiff_design, probability_scores, turf)


def _simulate(U: np.ndarray, items: list[str], design: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Best by logit on u, worst by logit on -u among the rest (the model estimated)."""
    rng = np.random.default_rng(seed)
    col = {it: i for i, it in enumerate(items)}
    n_versions = design["version"].nunique()
    rows = []
    for n in range(len(U)):
        v = design[design["version"] == n % n_versions + 1]
        for task, g in v.groupby("task"):
            shown = list(g["item"])
            u = U[n, [col[i] for i in shown]]
            best = int(np.argmax(u + rng.gumbel(size=len(u))))
            w = -u + rng.gumbel(size=len(u))
            w[best] = -np.inf
            worst = int(np.argmax(w))
            rows += [{"respondent_id": f"r{n:03d}", "task": task, "item": it, "best": int(j == best),
                      "worst": int(j == worst)} for j, it in enumerate(shown)]
    return pd.DataFrame(rows)


def test_design_is_a_bibd_when_one_exists():
    # 7 items in blocks of 3, 7 blocks: the Fano plane, every pair exactly once, every item 3 times
    d = maxdiff_design([f"i{k}" for k in range(7)], items_per_task=3, n_tasks=7, seed=0)
    bal = design_balance(d)
    assert bal["item_balance"] == 1.0 and bal["pair_min"] == bal["pair_max"] == 1
    # 30 elements, 5 per task, 12 tasks, 10 versions: every element exactly twice per version
    d = maxdiff_design([f"e{k}" for k in range(30)], items_per_task=5, n_tasks=12, n_versions=10, seed=1)
    per_version = d.groupby(["version", "item"]).size()
    assert (per_version == 2).all()
    assert design_balance(d)["position_balance"] > 0.5
    with pytest.raises(ValueError, match="Fix"):
        maxdiff_design(["a", "b"], items_per_task=3)


@pytest.fixture(scope="module")
def planted():
    items = [f"item{k}" for k in range(8)]
    rng = np.random.default_rng(3)
    mean = np.linspace(1.5, -1.5, 8)
    U = mean + rng.normal(0, 0.7, (150, 8))
    design = maxdiff_design(items, items_per_task=4, n_tasks=8, n_versions=5, seed=2)
    return items, mean, U, _simulate(U, items, design, seed=4)


def test_best_worst_logit_equals_mnl_on_the_expanded_data(planted):
    items, _, _, df = planted
    X, avail, chosen, resp, ids, order = expand_best_worst(df, items)
    rows = []
    for s in range(len(X)):
        for j in np.flatnonzero(avail[s]):
            rows.append({"respondent_id": ids[resp[s]], "task": s, "alternative": j,
                         **{f"x{k}": X[s, j, k] for k in range(X.shape[2])}, "chosen": int(chosen[s] == j)})
    long = pd.DataFrame(rows)
    mnl = MNL(ChoiceSpec({f"x{k}": None for k in range(X.shape[2])})).fit(long)
    md = MaxDiffLogit(items).fit(df)
    assert md.log_likelihood_ == pytest.approx(mnl.log_likelihood_, abs=1e-8)
    ref_coded = np.r_[mnl.params_.to_numpy(), 0.0]
    np.testing.assert_allclose(md.params_.to_numpy(), ref_coded - ref_coded.mean(), atol=1e-8)
    assert md.n_obs_ == 2 * df.groupby(["respondent_id", "task"]).ngroups


def test_aggregate_logit_recovers_planted_order_and_scores_sum_to_100(planted):
    items, mean, U, df = planted
    md = MaxDiffLogit(items).fit(df)
    # heterogeneity attenuates the aggregate utilities, but the order and the signs survive
    assert list(md.params_.sort_values(ascending=False).index[:3]) == items[:3]
    assert np.corrcoef(md.params_, mean)[0, 1] > 0.98
    s = md.scores()
    assert s["score"].sum() == pytest.approx(100.0)
    assert (s["lower"] < s["score"]).all() and (s["score"] < s["upper"]).all()
    counts = maxdiff_counts(df)
    assert counts["item"].iloc[0] == items[0] and counts["shown"].sum() == len(df)


def test_hb_individual_scores_track_the_planted_utilities(planted):
    items, mean, U, df = planted
    hb = MaxDiffHB(items, iterations=1500, chains=1, seed=5).fit(df)
    assert np.allclose(hb.scores_.sum(axis=1), 100.0)
    truth = probability_scores(U, 4)
    est = hb.scores_.loc[[f"r{n:03d}" for n in range(len(U))]].to_numpy()
    r = [np.corrcoef(est[n], truth[n])[0, 1] for n in range(len(U))]
    assert np.median(r) > 0.7
    table = hb.scores()
    inside = ((table.set_index("item")["lower"] - 1.0 <= pd.Series(truth.mean(0), index=items))
              & (pd.Series(truth.mean(0), index=items) <= table.set_index("item")["upper"] + 1.0))
    assert inside.mean() >= 0.75  # HB shrinks individual scores towards the mean; a 1-point margin


def test_probability_scores_follow_sawtooth_convention():
    s = probability_scores(np.array([[1.0, 0.0, -1.0]]), 3)[0]
    p = np.exp([1.0, 0.0, -1.0]) / (np.exp([1.0, 0.0, -1.0]) + 2)
    np.testing.assert_allclose(s, 100 * p / p.sum())
    # invariant to a constant added to all utilities
    np.testing.assert_allclose(probability_scores(np.array([[3.0, 2.0, 1.0]]), 3)[0], s)


def test_turf_finds_the_best_reach_exhaustively():
    rng = np.random.default_rng(0)
    A = pd.DataFrame(rng.random((200, 6)) < [0.5, 0.45, 0.3, 0.2, 0.1, 0.05], columns=list("abcdef"))
    out = turf(A, max_items=3, top=1)
    for size in (1, 2, 3):
        best = max(combinations(range(6), size), key=lambda c: A.iloc[:, list(c)].any(axis=1).mean())
        row = out[out["size"] == size].iloc[0]
        assert row["reach"] == pytest.approx(A.iloc[:, list(best)].any(axis=1).mean())
    greedy = turf(A, max_items=3, top=1, max_combinations=1)
    assert (greedy["reach"].diff().dropna() >= 0).all()


def test_bad_answers_are_clear_errors(planted):
    _, _, _, df = planted
    bad = df.copy()
    bad.loc[bad.index[:2], "best"] = 1
    with pytest.raises(DataError, match="exactly one best"):
        maxdiff_counts(bad)
    with pytest.raises(DataError, match="missing"):
        maxdiff_counts(df.drop(columns="worst"))


def test_report_helpers(planted):
    import matplotlib

    matplotlib.use("Agg")
    from cvkit.maxdiff import fit_maxdiff, needs_from_scores, plot_scores

    items, _, _, df = planted
    model = fit_maxdiff(df, method="logit")
    ax = plot_scores(model.scores(), labels={items[0]: "First item"}, top=5)
    assert len(ax.patches) == 5 and ax.get_yticklabels()[0].get_text() in ("First item", items[0])
    scores = pd.DataFrame(probability_scores(np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0]]), 3),
                          index=pd.Index(["a", "b"], name="respondent_id"), columns=["x", "y", "z"])
    needs = needs_from_scores(scores)
    assert list(needs.columns) == ["respondent_id", "imp_x", "imp_y", "imp_z"]
    assert needs[["imp_x", "imp_y", "imp_z"]].max(axis=1).eq(10).all()
    with pytest.raises(ValueError, match="Fix"):
        fit_maxdiff(df, method="probit")
