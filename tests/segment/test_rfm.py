"""RFM: quantile scores, tie handling, and the rule table applied exactly as written."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from cvkit.resources import templates_dir
from cvkit.segment import (TUTORIAL_RF_MAP, assign_rfm_segments, load_rfm_rules, plot_rfm_grid, quantile_scores,
                           rfm_cell_map, rfm_scores, rfm_segment_summary, rfm_segments, rules_from_mapping)

# The tutorial R x F map written out cell by cell (rows R = 1..5, columns F = 1..5), by hand,
# from the regular expressions of the widely copied table.
H, AR, CL, AS, NA_, LC, PR, NC, PL, CH = ("hibernating", "at risk", "can't loose", "about to sleep",
                                          "need attention", "loyal customers", "promising", "new customers",
                                          "potential loyalists", "champions")
TUTORIAL_GRID = {
    1: [H, H, AR, AR, CL],
    2: [H, H, AR, AR, CL],
    3: [AS, AS, NA_, LC, LC],
    4: [PR, PL, PL, LC, LC],
    5: [NC, PL, PL, CH, CH],
}
# The default cvkit table: the tutorial map with "Lost" carved out of cell 11.
DEFAULT_NAMES = {H: "Hibernating", AR: "At risk", CL: "Can't lose them", AS: "About to sleep",
                 NA_: "Need attention", LC: "Loyal", PR: "Promising", NC: "New", PL: "Potential loyalists",
                 CH: "Champions"}

CELLS = [(r, f) for r, f in product(range(1, 6), repeat=2)]


def test_tutorial_map_is_the_copied_table():
    assert list(TUTORIAL_RF_MAP.items()) == [
        (r"[1-2][1-2]", "hibernating"), (r"[1-2][3-4]", "at risk"), (r"[1-2]5", "can't loose"),
        (r"3[1-2]", "about to sleep"), (r"33", "need attention"), (r"[3-4][4-5]", "loyal customers"),
        (r"41", "promising"), (r"51", "new customers"), (r"[4-5][2-3]", "potential loyalists"),
        (r"5[4-5]", "champions")]


@pytest.mark.parametrize("r,f", CELLS)
def test_tutorial_rules_cell_by_cell(r, f):
    cells = rfm_cell_map(rules_from_mapping(TUTORIAL_RF_MAP))
    got = cells[(cells.r == r) & (cells.f == f)]["segment"].unique()
    assert list(got) == [TUTORIAL_GRID[r][f - 1]]


def test_tutorial_rules_match_the_pandas_idiom():
    # What the tutorials run: rfm["segment"] = rfm["RF"].replace(seg_map, regex=True)
    rf = pd.Series([f"{r}{f}" for r, f in CELLS])
    expected = rf.replace(TUTORIAL_RF_MAP, regex=True)
    scores = pd.DataFrame({"r_score": [r for r, _ in CELLS], "f_score": [f for _, f in CELLS], "m_score": 3})
    got = assign_rfm_segments(scores, rules_from_mapping(TUTORIAL_RF_MAP))["segment"].astype(str)
    assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("r,f", CELLS)
def test_default_table_cell_by_cell(r, f):
    rules = load_rfm_rules()
    cells = rfm_cell_map(rules)
    got = cells[(cells.r == r) & (cells.f == f)]["segment"].unique()
    expected = "Lost" if (r, f) == (1, 1) else DEFAULT_NAMES[TUTORIAL_GRID[r][f - 1]]
    assert list(got) == [expected]


def test_default_table_has_the_eleven_segments_and_covers_every_cell():
    rules = load_rfm_rules(templates_dir() / "rfm_segments.csv")
    assert set(rules["segment"]) == {"Champions", "Loyal", "Potential loyalists", "New", "Promising",
                                     "Need attention", "About to sleep", "At risk", "Can't lose them",
                                     "Hibernating", "Lost"}
    cells = rfm_cell_map(rules)
    assert len(cells) == 125 and cells["segment"].notna().all() and cells["cell"].is_unique
    # every rule wins somewhere (no dead rule)
    assert set(cells["rule"]) == set(rules["priority"])


def test_first_match_wins_and_patterns_are_anchored(tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text("priority,match_on,pattern,segment\n"
                    "1,RFM,555,Top\n"          # a client edit on all three scores, before the RF rules
                    "2,R,5,Recent\n"
                    "3,RF,1,Never\n"           # anchored: '1' must not match '12'
                    "4,RF,.*,Other\n")
    cells = rfm_cell_map(load_rfm_rules(path)).set_index("cell")["segment"]
    assert cells["555"] == "Top"
    assert cells["554"] == "Recent"
    assert (cells[[c for c in cells.index if c[0] != "5" and c != "555"]] == "Other").all()


@pytest.mark.parametrize("content,match", [
    ("priority,match_on,pattern,segment\n1,RF,[1-2][1-2],A\n", "match no rule"),
    ("priority,match_on,pattern,segment\n1,RF,[1-2,A\n2,RF,.*,B\n", "not a valid regular expression"),
    ("priority,match_on,pattern,segment\n1,RX,.*,A\n", "must be letters from"),
    ("priority,match_on,pattern,segment\n1,RF,11,A\n1,RF,.*,B\n", "repeat"),
    ("priority,pattern,segment\n1,.*,A\n", "lacks column"),
])
def test_bad_rule_tables_are_rejected(tmp_path, content, match):
    path = tmp_path / "rules.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_rfm_rules(path)


def test_missing_rule_file():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_rfm_rules("/no/such/rules.csv")


@pytest.mark.parametrize("n", [5, 6, 7, 11, 23, 100, 101, 997])
def test_scores_equal_qcut_on_first_ranks(n):
    rng = np.random.default_rng(n)
    v = rng.integers(0, 4, n).astype(float)  # many ties
    expected = pd.qcut(pd.Series(v).rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int).to_numpy()
    assert (quantile_scores(v) == expected).all()
    counts = np.bincount(quantile_scores(v), minlength=6)[1:]
    assert counts.max() - counts.min() <= 1 + n // 50  # (near) equal fifths


def test_average_ties_share_a_score():
    v = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], dtype=float)
    s = quantile_scores(v, ties="average")
    assert len(set(s[:6])) == 1
    assert s[-1] == 5 and s[0] < s[6] <= s[7] <= s[8] <= s[9]
    with pytest.raises(ValueError, match="ties="):
        quantile_scores(v, ties="dense")
    with pytest.raises(ValueError, match="at least 5"):
        quantile_scores(v[:3])


def _log() -> pd.DataFrame:
    # c1: 5 purchases, last on the end date; c5: 1 purchase long ago.
    rows = []
    spec = {"c1": (5, 0, 100.0), "c2": (4, 10, 50.0), "c3": (3, 20, 30.0), "c4": (2, 40, 20.0), "c5": (1, 90, 10.0),
            "c6": (1, 5, 200.0)}
    end = pd.Timestamp("2026-06-30")
    for cid, (n, last_ago, amount) in spec.items():
        for i in range(n):
            rows.append({"customer_id": cid, "date": end - pd.Timedelta(days=last_ago + 7 * i), "amount": amount})
    return pd.DataFrame(rows)


def test_rfm_segments_from_a_log_via_the_clv_summary():
    log = _log()
    out = rfm_segments(log, observation_end="2026-06-30")
    out = out.set_index("customer_id")
    assert out.loc["c1", "recency"] == 0 and out.loc["c5", "recency"] == 90
    assert out.loc["c1", "frequency"] == 5 and out.loc["c6", "frequency"] == 1
    assert out.loc["c6", "monetary"] == 200.0 and out.loc["c1", "monetary"] == 500.0
    assert out.loc["c1", "r_score"] == 5 and out.loc["c5", "r_score"] == 1  # 5 = most recent
    assert out.loc["c1", "f_score"] == 5
    # row order of the log does not change anything
    again = rfm_segments(log.sample(frac=1.0, random_state=3), observation_end="2026-06-30").set_index("customer_id")
    pd.testing.assert_frame_equal(out, again.loc[out.index])
    # each customer's segment is the rule table's segment of its cell
    cells = rfm_cell_map(load_rfm_rules()).set_index("cell")["segment"]
    assert (out["segment"].astype(str) == cells.loc[out["rfm_cell"]].to_numpy()).all()


def test_average_monetary_and_summary_table():
    log = _log()
    rules = load_rfm_rules()
    out = rfm_segments(log, monetary="average", rules=rules)
    assert out.set_index("customer_id").loc["c1", "monetary"] == pytest.approx(100.0)
    summ = rfm_segment_summary(out, rules)
    assert summ["customers"].sum() == 6 and summ["share"].sum() == pytest.approx(1.0)
    assert list(summ["segment"]) == list(rules["segment"])  # empty segments kept, in rule order
    assert {"description", "action"} <= set(summ.columns)
    with pytest.raises(ValueError, match="monetary="):
        rfm_scores(pd.DataFrame({"customer_id": ["a"] * 5, "recency": 0.0, "T": 1.0, "n_periods": 1,
                                 "total_amount": 1.0}), monetary="median")


def test_scores_reject_a_table_that_is_not_a_summary():
    with pytest.raises(ValueError, match="cvkit.clv.summarize"):
        rfm_scores(pd.DataFrame({"customer_id": ["a"]}))


def test_rfm_grid_plot():
    import matplotlib.pyplot as plt

    ax = plot_rfm_grid(rfm_segments(_log()))
    assert ax.get_xlabel().startswith("recency score")
    plt.close("all")
