"""Wide-format intake, alternative-specific constants and respondent-level identification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cvkit.choice as ch
from cvkit.data import DataError, IntakePolicy, load
from cvkit.data.load import _load
from cvkit.data.wide import WideFormat

TRAIN = "tests/engagements/train_data/data/train_data.csv.gz"
SWISSMETRO = "tests/engagements/swissmetro/data/swissmetro.csv.gz"
MODECANADA = "tests/engagements/modecanada/data/ModeCanada.csv.gz"
SM_WIDE = WideFormat(alternatives={"train": 1, "swissmetro": 2, "car": 3}, chosen="CHOICE",
                     attributes={"time": {"train": "TRAIN_TT", "swissmetro": "SM_TT", "car": "CAR_TT"},
                                 "cost": {"train": "TRAIN_CO", "swissmetro": "SM_CO", "car": "CAR_CO"}},
                     available={"train": "TRAIN_AV", "swissmetro": "SM_AV", "car": "CAR_AV"})


def test_numbered_columns_and_label_column_become_long_rows():
    t = load("choice", TRAIN, columns={"respondent_id": "id"}, attributes=["price", "time", "change", "comfort"],
             wide=WideFormat(alternatives=[1, 2], chosen="choice", task="choiceid"))
    raw = pd.read_csv(TRAIN)
    assert len(t.df) == 2 * len(raw)
    first = t.df[(t.df["respondent_id"] == "1") & (t.df["task"] == 1)].set_index("alternative")
    assert first.loc["1", "price"] == raw.loc[0, "price1"] and first.loc["2", "price"] == raw.loc[0, "price2"]
    # "choice1" names alternative 1: exactly one chosen row per situation, matching the label column.
    chosen = t.df[t.df["chosen"]].set_index(["respondent_id", "task"])["alternative"]
    expected = raw.set_index([raw["id"].astype(str), "choiceid"])["choice"].str[-1]
    assert (chosen.sort_index().to_numpy() == expected.sort_index().to_numpy()).all()


def test_availability_columns_drop_alternatives_and_unknown_choices_are_excluded():
    t, problems = _load("choice", SWISSMETRO, columns={"respondent_id": "ID"}, wide=SM_WIDE,
                        policy=IntakePolicy(invalid_choice_tasks="exclude"))
    assert problems == []
    raw = pd.read_csv(SWISSMETRO)
    n_unknown = int((raw["CHOICE"] == 0).sum())
    assert n_unknown > 0
    kept = t.df[["respondent_id", "task"]].drop_duplicates()
    assert len(kept) == len(raw) - n_unknown
    # car rows only where CAR_AV = 1 (among the situations kept)
    known = raw[raw["CHOICE"] != 0]
    assert (t.df["alternative"] == "car").sum() == int(known["CAR_AV"].sum())
    # By default an unknown choice is an error naming the situations, not a silent drop.
    _, problems = _load("choice", SWISSMETRO, columns={"respondent_id": "ID"}, wide=SM_WIDE)
    assert any("no chosen alternative" in p.message for p in problems)


def test_keep_filter_and_layout_errors_name_the_key():
    wide = SM_WIDE.model_copy(update={"keep": {"PURPOSE": [1, 3]}})
    t, problems = _load("choice", SWISSMETRO, columns={"respondent_id": "ID"}, wide=wide)
    assert problems == [] and t.df[["respondent_id", "task"]].drop_duplicates().shape[0] == 6768  # Biogeme's sample
    bad = SM_WIDE.model_copy(update={"attributes": {"time": "{alt}_TIME"}})
    _, problems = _load("choice", SWISSMETRO, columns={"respondent_id": "ID"}, wide=bad)
    assert problems and "data.choice.wide" in problems[0].message and "train_TIME" in problems[0].message


def test_long_file_without_task_column_is_one_task_each():
    t = load("choice", MODECANADA, columns={"respondent_id": "case", "alternative": "alt", "chosen": "choice"},
             attributes=["cost", "ivt", "ovt", "freq"])
    assert (t.df["task"] == 1).all() and set(t.df["alternative"]) == {"train", "car", "bus", "air"}
    assert ch.respondent_level_reason(t.df) is not None
    assert any("one choice task" in n for n in t.read_info["notes"])


def test_constants_coexist_with_effects_coding_and_are_dummy_coded():
    t = load("choice", MODECANADA, columns={"respondent_id": "case", "alternative": "alt", "chosen": "choice"},
             attributes=["cost", "ivt", "ovt", "freq"])
    df = t.df.assign(costband=pd.cut(t.df["cost"], [-1, 30, 80, 1e9], labels=["low", "mid", "high"]).astype(str))
    spec = ch.ChoiceSpec({"cost": None, "ivt": None, "ovt": None, "freq": None, "costband": ["low", "mid", "high"]},
                         price="cost", alternatives=["train", "car", "bus", "air"], coding="effects")
    assert spec.params[-3:] == ["alternative.car", "alternative.bus", "alternative.air"]
    assert spec.params[4:6] == ["costband.low", "costband.mid"]  # effects: every level but the last
    m = ch.MNL(spec).fit(ch.prepare(df, spec))
    assert m.converged_
    # The same model in dummy coding has the same likelihood and the same constants.
    dummy = ch.ChoiceSpec(spec.to_dict()["attributes"], price="cost", alternatives=spec.alternatives, coding="dummy")
    m2 = ch.MNL(dummy).fit(ch.prepare(df, dummy))
    assert m2.log_likelihood_ == pytest.approx(m.log_likelihood_, abs=1e-6)
    assert np.allclose(m2.params_[["alternative.car", "alternative.air"]], m.params_[["alternative.car", "alternative.air"]],
                       atol=1e-5)
    # Round trip through the saved-simulator form keeps the constants.
    assert ch.ChoiceSpec(**spec.to_dict()).params == spec.params


def test_constants_need_two_labels():
    with pytest.raises(ValueError, match="2 or more alternatives"):
        ch.ChoiceSpec({"x": None}, alternatives=["a"])


def test_respondent_level_reason():
    df = pd.DataFrame({"respondent_id": ["a", "a", "b", "b"], "task": [1, 2, 1, 2]})
    assert ch.respondent_level_reason(df) is None
    assert "one task" in ch.respondent_level_reason(df.assign(task=1))


def test_wide_with_undeclared_attributes_says_where_to_list_them(tmp_path):
    path = tmp_path / "w.csv"
    pd.DataFrame({"id": [1, 2], "choice": ["alt1", "alt2"], "x1": [1, 2], "x2": [3, 4]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="analyses.discrete_choice.attributes"):
        load("choice", path, columns={"respondent_id": "id"}, wide=WideFormat(alternatives=[1, 2], chosen="choice"))
    t = load("choice", path, columns={"respondent_id": "id"}, attributes=["x"],
             wide=WideFormat(alternatives=[1, 2], chosen="choice"))
    assert t.df.loc[t.df["chosen"], "alternative"].tolist() == ["1", "2"]


def test_a_wide_file_read_as_long_is_explained_not_renamed():
    _, problems = _load("choice", TRAIN, columns={"respondent_id": "id"})
    assert len(problems) == 1
    p = problems[0]
    assert "wide format" in p.message and "'choice1'" in p.message
    assert "data.choice.wide" in p.fix and "rename column 'choice' to 'chosen'" not in p.fix


def test_design_diagnostics_leave_out_continuous_attributes_and_constants():
    t = load("choice", MODECANADA, columns={"respondent_id": "case", "alternative": "alt", "chosen": "choice"},
             attributes=["cost", "ivt", "freq"])
    df = t.df.assign(band=np.where(t.df["freq"] > 5, "often", "rarely"))
    spec = ch.ChoiceSpec({"cost": [5, 50, 270], "ivt": [24, 290, 700], "band": ["rarely", "often"]}, price="cost",
                         linear=["cost", "ivt"], alternatives=["train", "car", "bus", "air"])
    d = ch.design_diagnostics(df, spec)
    assert set(d["balance"]["attribute"]) == {"band"}  # cost/ivt levels are display points; constants no design
    assert list(d["overlap"]["attribute"]) == ["band"]


def test_problems_in_a_wide_file_name_the_rows_of_that_file():
    # Swissmetro's unknown choices (CHOICE = 0): reported at their rows of the wide file, not of the
    # reshaped long table (which has up to three rows per situation), also after a keep filter.
    raw = pd.read_csv(SWISSMETRO)
    unknown_rows = (np.flatnonzero(raw["CHOICE"].to_numpy() == 0) + 1).tolist()  # 1-based data rows
    _, problems = _load("choice", SWISSMETRO, columns={"respondent_id": "ID"}, wide=SM_WIDE)
    p = next(p for p in problems if "no chosen alternative" in p.message)
    assert list(p.rows) == unknown_rows[:len(p.rows)] and p.n_rows == len(unknown_rows)
    kept = raw["PURPOSE"].isin([1, 3]).to_numpy()
    wide = SM_WIDE.model_copy(update={"keep": {"PURPOSE": [1, 3]}})
    t, _ = _load("choice", SWISSMETRO, columns={"respondent_id": "ID"}, wide=wide,
                 policy=IntakePolicy(invalid_choice_tasks="exclude"))
    expected = (np.flatnonzero(kept & (raw["CHOICE"].to_numpy() == 0)) + 1).tolist()
    assert sorted(set(t.excluded["row"].tolist())) == expected
