"""The choice page's sentences speak the engagement's words (labels) and numbers (locale)."""

from __future__ import annotations

from cvkit import present
from cvkit.choice import narrative
from cvkit.choice.spec import ChoiceSpec


def test_alternatives_and_levels_are_in_the_engagements_words_and_numbers_in_its_locale():
    spec = ChoiceSpec({"time": None, "comfort": [0, 1, 2]}, linear=["time"], coding="dummy",
                      alternatives=["train", "car"])
    present.configure("de_CH", "CHF", labels={"train": "Zug", "car": "Auto", "comfort": "Komfort", "0": "keiner"})
    try:
        study = narrative.study_text(spec, n_respondents=1251, n_tasks=11259, alternatives_per_task=2.0,
                                     labelled=["train", "car"])
        coding = narrative.coding_text(spec, "")
    finally:
        present.configure("", "EUR", labels={})
    assert "between the alternatives Zug and Auto" in study and "train" not in study
    assert "1'251 respondents answered 11'259 choice tasks" in study
    assert "(Komfort = keiner)" in coding
    assert "(Zug and Auto; Zug is the reference at 0)" in coding


def test_a_price_label_that_already_names_its_unit_is_not_followed_by_it_again():
    spec = ChoiceSpec({"pf": None, "cl": None}, price="pf", linear=["pf", "cl"])
    present.configure("de_DE", "EUR", labels={"pf": "Arbeitspreis (ct/kWh)"})
    try:
        text = narrative.coding_text(spec, "ct/kWh")
    finally:
        present.configure("", "EUR", labels={})
    assert "Arbeitspreis (ct/kWh) and cl enter" in text and "(in ct/kWh)" not in text
    assert "pf (in ct/kWh)" in narrative.coding_text(spec, "ct/kWh")
