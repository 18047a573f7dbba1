"""Choice red flags computed from the data and the fit (cvkit.choice.fit_checks, cvkit.engagement.flags)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cvkit.choice as ch
from cvkit.choice import fit_checks
from cvkit.engagement import flags

LEVELS = {"speed": ["slow", "fast"], "brand": ["a", "b", "c"], "fee": [10, 20, 30]}


def _choices(n_resp=150, n_tasks=6, beta_fee=-0.15, flat=(), seed=1, random_choice=False):
    """Long choice data from a known logit: 3 alternatives per task; ``flat`` attributes shown alike in 98% of tasks."""
    rng = np.random.default_rng(seed)
    util = {"speed": {"slow": 0.0, "fast": 1.0}, "brand": {"a": 0.0, "b": 0.5, "c": -0.5}}
    rows = []
    for r in range(n_resp):
        for t in range(1, n_tasks + 1):
            same = {a: rng.choice(LEVELS[a]) for a in flat if rng.random() < 0.98}
            alts = [{a: same.get(a, rng.choice(LEVELS[a])) for a in LEVELS} for _ in range(3)]
            v = np.array([util["speed"][x["speed"]] + util["brand"][x["brand"]] + beta_fee * x["fee"] for x in alts])
            p = np.exp(v - v.max()) / np.exp(v - v.max()).sum()
            pick = rng.integers(3) if random_choice else rng.choice(3, p=p)
            rows += [{"respondent_id": f"R{r}", "task": t, "alternative": j + 1, **x, "chosen": int(j == pick)}
                     for j, x in enumerate(alts)]
    df = pd.DataFrame(rows)
    df["fee"] = df["fee"].astype(int)
    return df


def _spec():
    return ch.ChoiceSpec(LEVELS, price="fee", linear=["fee"], none=False, coding="dummy")


def _page_flags(df, *, holdout=None, method="mnl", compare=(), max_classes=0, model=None):
    data = ch.prepare(df, _spec())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ch.ChoiceWarning)
        mnl = ch.MNL(_spec()).fit(data, holdout=holdout)
    reason = ch.respondent_level_reason(data)
    used = "mnl" if reason else method
    model = model or mnl
    return flags.choice_page_flags(model=model, u=model.utilities(), data=data, method=method,
                                   compare_methods=list(compare), max_classes=max_classes, not_identified=reason,
                                   method_used=used, price_unit="EUR per month")


def _codes(found):
    return [f.code for f in found]


def test_a_sound_study_raises_no_choice_flag():
    assert _codes(_page_flags(_choices(), holdout=[6])) == []


def test_a_price_coefficient_that_is_not_negative_makes_wtp_meaningless():
    found = _page_flags(_choices(beta_fee=0.1))
    assert "price_not_negative" in _codes(found)
    detail = next(f for f in found if f.code == "price_not_negative").detail
    assert "fee" in detail and "EUR per month" in detail


def test_a_price_coefficient_not_told_apart_from_zero_is_flagged():
    price = fit_checks.price_coefficient(ch.MNL(_spec()).fit(_choices(n_resp=40, beta_fee=-0.002)).utilities())
    assert not price["significant"] and abs(price["z"]) < 2
    found = _page_flags(_choices(n_resp=40, beta_fee=-0.002))
    assert {"price_not_significant", "price_not_negative"} & set(_codes(found))


def test_one_task_per_respondent_skips_respondent_level_models_with_a_flag():
    df = _choices(n_resp=400, n_tasks=1)
    found = _page_flags(df, method="hb", compare=["mixed"], max_classes=3)
    flag = next(f for f in found if f.code == "respondent_level_skipped")
    assert "hierarchical Bayes, mixed logit and latent class were asked for" in flag.detail
    assert "one task" in flag.detail
    # asking for the aggregate logit only is not a red flag
    assert "respondent_level_skipped" not in _codes(_page_flags(df, method="mnl"))


def test_an_attribute_shown_alike_in_almost_every_task_is_flagged():
    # (never varying within a task at all is a FitError of the logit, naming the parameters)
    df = _choices(flat=("brand",))
    variation = fit_checks.within_task_variation(ch.prepare(df, _spec())).set_index("attribute")
    assert 0 < variation.loc["brand", "share_tasks_varying"] < 0.05 and variation.loc["speed", "share_tasks_varying"] > 0.5
    assert "attribute_not_varying" in _codes(_page_flags(df))


def test_random_answers_give_a_weak_holdout():
    found = _page_flags(_choices(random_choice=True, seed=3), holdout=[6])
    flag = next(f for f in found if f.code == "weak_holdout")
    assert "by chance" in flag.detail


def test_an_hb_sampler_stopped_early_is_not_converged():
    df = _choices(n_resp=60, n_tasks=5)
    data = ch.prepare(df, _spec())
    hb = ch.HierarchicalBayesMNL(_spec(), iterations=60, chains=2, thin=1, seed=0).fit(data)
    conv = fit_checks.hb_convergence(hb)
    assert not conv["converged"] and (conv["max_rhat"] >= 1.05 or conv["min_ess"] <= 100)
    found = flags.choice_page_flags(model=hb, u=hb.utilities(), data=data, method="hb", compare_methods=[],
                                    max_classes=0, not_identified=None, method_used="hb", price_unit="EUR")
    assert "hb_not_converged" in _codes(found)
    assert "analyses.discrete_choice.iterations" in next(f for f in found if f.code == "hb_not_converged").detail


def test_the_price_coefficient_matches_the_models_own_estimate():
    mnl = ch.MNL(_spec()).fit(_choices())
    price = fit_checks.price_coefficient(mnl.utilities())
    s = mnl.summary().loc["fee"]
    assert price["slope"] == pytest.approx(s["estimate"], rel=1e-6)
    assert price["se"] == pytest.approx(s["se"], rel=1e-4)
    assert price["significant"] and price["negative"]
