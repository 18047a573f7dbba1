"""Input checks on long-format choice data: each problem named, with the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cvkit.choice import ChoiceSpec, ChoiceWarning, prepare, same_position_respondents
from cvkit.choice.data import warn_same_position
from cvkit.data.errors import DataError

SPEC = ChoiceSpec({"color": ["red", "blue", "green"], "price": [1, 2, 3]}, price="price", none=True)


def small_frame() -> pd.DataFrame:
    rows = []
    for r in ("a", "b"):
        for t in (1, 2, 3):
            levels = [("red", 1), ("blue", 2), ("green", 3)] if t != 2 else [("blue", 3), ("green", 1), ("red", 2)]
            for j, (c, p) in enumerate(levels, start=1):
                rows.append({"respondent_id": r, "task": t, "alternative": j, "color": c, "price": p, "none": 0,
                             "chosen": int(j == t)})
            rows.append({"respondent_id": r, "task": t, "alternative": 4, "color": None, "price": np.nan,
                         "none": 1, "chosen": 0})
    return pd.DataFrame(rows)


def test_valid_frame_becomes_dense_arrays():
    cd = prepare(small_frame(), SPEC)
    assert cd.X.shape == (6, 4, SPEC.n_params)
    assert cd.avail.all()
    assert list(cd.respondent_ids) == ["a", "b"]
    assert cd.is_none[:, 3].all() and not cd.is_none[:, :3].any()
    # none rows: only the none column is 1
    np.testing.assert_array_equal(cd.X[:, 3, :], np.tile(np.r_[np.zeros(SPEC.n_params - 1), 1.0], (6, 1)))


def test_task_with_no_chosen_alternative():
    df = small_frame()
    df.loc[(df.respondent_id == "a") & (df.task == 2), "chosen"] = 0
    with pytest.raises(DataError, match=r"1 task\(s\) have no chosen alternative \(e.g. respondent a task 2\).*Fix"):
        prepare(df, SPEC)


def test_task_with_two_chosen_alternatives():
    df = small_frame()
    df.loc[(df.respondent_id == "b") & (df.task == 1), "chosen"] = 1
    with pytest.raises(DataError, match="more than one chosen alternative.*respondent b task 1.*exactly one"):
        prepare(df, SPEC)


def test_attribute_without_variation_is_named():
    df = small_frame()
    df.loc[df["none"] == 0, "color"] = "red"
    with pytest.raises(DataError, match=r"attribute 'color' never varies.*unidentifiable.*Fix: drop 'color'"):
        prepare(df, SPEC)


def test_linear_attribute_without_variation_is_named():
    spec = ChoiceSpec({"color": ["red", "blue", "green"], "price": None}, none=True)
    df = small_frame()
    df.loc[df["none"] == 0, "price"] = 5
    with pytest.raises(DataError, match="attribute 'price' never varies"):
        prepare(df, spec)


def test_undeclared_level_is_listed():
    df = small_frame()
    df.loc[0, "color"] = "Red"
    with pytest.raises(DataError, match=r"level\(s\) \['Red'\] that are not in its definition.*check spelling"):
        prepare(df, SPEC)


def test_missing_columns():
    with pytest.raises(DataError, match=r"required column\(s\) \['chosen'\] are missing"):
        prepare(small_frame().drop(columns="chosen"), SPEC)


def test_all_problems_reported_together():
    df = small_frame()
    df.loc[0, "color"] = "purple"
    df.loc[(df.respondent_id == "b") & (df.task == 3), "chosen"] = 0
    with pytest.raises(DataError) as exc:
        prepare(df, SPEC)
    assert len(exc.value.problems) == 2


def test_same_position_respondent_is_flagged():
    df = small_frame()
    # respondent b always takes the first concept
    df.loc[df.respondent_id == "b", "chosen"] = (df.loc[df.respondent_id == "b", "alternative"] == 1).astype(int)
    cd = prepare(df, SPEC)
    flagged = same_position_respondents(cd, min_tasks=3)
    assert list(flagged["respondent_id"]) == ["b"]
    assert flagged["position"].iloc[0] == 1
    with pytest.warns(ChoiceWarning, match=r"1 respondent\(s\) chose the same position in every task \(e.g. b\).*Fix"):
        warn_same_position(cd, min_tasks=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(same_position_respondents(cd, min_tasks=4)) == 0


def test_spec_validation_messages():
    with pytest.raises(ValueError, match="price attribute 'cost' is not among the attributes"):
        ChoiceSpec({"a": ["x", "y"]}, price="cost")
    with pytest.raises(ValueError, match="fewer than 2 levels"):
        ChoiceSpec({"a": ["x"]})
    with pytest.raises(ValueError, match="coding 'orthogonal' is unknown"):
        ChoiceSpec({"a": ["x", "y"]}, coding="orthogonal")
    with pytest.raises(ValueError, match="must be numeric"):
        ChoiceSpec({"a": ["x", "y"], "p": ["low", "high"]}, price="p")


def test_level_map_reproduces_coded_utilities():
    spec = ChoiceSpec({"color": ["red", "blue", "green"], "price": [1, 2, 3], "size": ["s", "l"]},
                      price="price", none=True, interactions=[("color", "size")])
    rng = np.random.default_rng(0)
    beta = rng.normal(size=spec.n_params)
    levels = spec.level_map() @ beta
    col = {c: i for i, c in enumerate(spec.level_columns)}
    frame = pd.DataFrame({"color": ["blue", "green"], "price": [2, 3], "size": ["l", "s"]})
    u = spec.code(frame) @ beta
    for k, row in frame.iterrows():
        manual = (levels[col[f"color.{row.color}"]] + levels[col[f"price.{row.price}"]]
                  + levels[col[f"size.{row['size']}"]]
                  + levels[col[f"color.{row.color}:size.{row['size']}"]])
        assert u[k] == pytest.approx(manual)
