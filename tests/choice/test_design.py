"""Design diagnostics on the demo design and on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import ChoiceSpec, prepare
from cvkit.choice.design import (cooccurrence, d_error, design_diagnostics, dominated_alternatives, level_balance,
                                 overlap, tasks_per_respondent)


def test_demo_design_is_balanced_with_minimal_overlap(demo, demo_spec):
    bal = level_balance(demo.choice, demo_spec)
    assert (bal["balance"] == 1.0).all()
    ov = overlap(demo.choice, demo_spec).set_index("attribute")
    # three concepts: 3-level attributes never repeat, the 2-level one always does
    assert ov.loc["delivery", "share_tasks_with_overlap"] == 0
    assert ov.loc["returns", "share_tasks_with_overlap"] == 1
    tab = cooccurrence(demo.choice, demo_spec, "delivery", "extras")
    assert tab.to_numpy().sum() == 600 * 12 * 3 and (tab.to_numpy() > 0).all()
    assert tasks_per_respondent(demo.choice).to_dict("records") == [{"n_tasks": 12, "n_respondents": 600}]


def test_d_error_prefers_an_informative_design():
    spec = ChoiceSpec({"a": ["x", "y"], "b": ["p", "q"]})
    rng = np.random.default_rng(0)

    def frame(good: bool) -> pd.DataFrame:
        rows = []
        for t in range(40):
            if good:  # the two concepts differ on both attributes
                pair = [("x", "p"), ("y", "q")] if t % 2 else [("x", "q"), ("y", "p")]
            else:     # b differs only in one task out of four
                pair = [("x", "p"), ("y", "p")] if t % 4 else [("x", "p"), ("y", "q")]
            for j, (a, b) in enumerate(pair):
                rows.append({"respondent_id": "r", "task": t, "alternative": j, "a": a, "b": b,
                             "chosen": int(j == rng.integers(0, 2) if j == 0 else 0)})
        df = pd.DataFrame(rows)
        first = df.groupby("task")["chosen"].transform("sum") == 0
        df.loc[first & (df.alternative == 1), "chosen"] = 1
        return df

    good, bad = d_error(prepare(frame(True), spec)), d_error(prepare(frame(False), spec))
    assert good < bad
    # two-level effects coding, 2 concepts differing on both attributes: info per task = I, D-error = 1
    assert good == pytest.approx(1.0)


def test_dominated_concept_is_found():
    spec = ChoiceSpec({"speed": ["slow", "fast"], "color": ["red", "blue"], "price": [1, 2]}, price="price")
    df = pd.DataFrame({"respondent_id": "r", "task": 1, "alternative": [1, 2, 3],
                       "speed": ["fast", "slow", "slow"], "color": ["red", "red", "blue"], "price": [1, 2, 1],
                       "chosen": [1, 0, 0]})
    dom = dominated_alternatives(df, spec, {"speed": "increasing", "price": "decreasing"})
    assert dom.to_dict("records") == [{"respondent_id": "r", "task": 1, "alternative": 2, "dominated_by": 1}]
    with pytest.raises(ValueError, match="direction 'speed': 'up' is not valid"):
        dominated_alternatives(df, spec, {"speed": "up"})


def test_design_diagnostics_summary(demo, demo_spec):
    d = design_diagnostics(demo.choice, demo_spec, {"delivery": "increasing", "returns": "increasing",
                                                    "fee": "decreasing"})
    s = d["summary"].iloc[0]
    assert s["respondents"] == 600 and s["tasks"] == 7200 and s["alternatives_per_task"] == 4
    assert s["min_level_balance"] == 1.0 and np.isfinite(s["d_error"])
    assert set(d) >= {"balance", "overlap", "cooccurrence", "d_error", "dominated", "tasks"}
