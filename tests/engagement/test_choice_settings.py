"""Discrete-choice settings resolved against the data: one attribute list, no demo leaks, keys named as written."""

from __future__ import annotations

import pandas as pd
import pytest

from cvkit.engagement.choice_settings import resolve_choice_settings
from cvkit.engagement.config import ANALYSES, ConfigError, load_config
from cvkit.engagement.parameters import notebook_parameters

DEFAULTS = {k: p.default for k, p in notebook_parameters(ANALYSES["discrete_choice"].path).items()}


def _long(n_resp=4, tasks=3, none=False):
    rows = []
    for r in range(n_resp):
        for t in range(1, tasks + 1):
            for j, (speed, price) in enumerate([("slow", 10.0), ("fast", 20.0)], 1):
                rows.append({"respondent_id": f"R{r}", "task": t, "alternative": str(j), "none": False,
                             "chosen": j == 1 + (r + t) % 2, "speed": speed, "price": price + t})
    return pd.DataFrame(rows)


def test_demo_defaults_do_not_leak_into_a_client_study():
    s = resolve_choice_settings({}, DEFAULTS, _long(), currency="USD")
    assert s.problems == []
    p = s.parameters
    assert p["attributes"] == {"speed": ["fast", "slow"], "price": [11, 12, 13, 21, 22, 23]}
    assert p["products"] == [] and p["client_products"] == [] and p["unit_costs"] == {}
    assert p["price_attribute"] == "" and p["holdout_task"] == 0 and p["none_option"] is False
    assert p["linear"] == ["price"] and p["price_unit"] == "USD"
    assert any("attributes not given" in n for n in s.notes)


def test_given_settings_are_checked_and_named_as_written():
    given = {"attributes": {"speed": ["slow", "fast", "warp"], "price": None}, "price_attribute": "price",
             "holdout_task": 12, "products": [{"name": "A", "speed": "medium", "price": 99}],
             "client_products": ["B"], "none_option": True}
    s = resolve_choice_settings(given, DEFAULTS, _long(), currency="EUR")
    text = "\n".join(s.problems)
    assert "analyses.discrete_choice.attributes.speed: level(s) ['warp'] never appear" in text
    assert "analyses.discrete_choice.holdout_task: task 12 is not in the data" in text
    assert "analyses.discrete_choice.products[0].speed: 'medium' is not a level" in text
    assert "analyses.discrete_choice.products[0].price: 99 is outside the tested range" in text
    assert "analyses.discrete_choice.client_products: 'B'" in text
    assert "analyses.discrete_choice.none_option: True but the data have no 'none of these' rows" in text
    assert ".building-" not in text


def test_linear_attribute_levels_come_from_the_data_and_price_unit_is_kept():
    given = {"attributes": {"speed": ["slow", "fast"], "price": None}, "price_attribute": "price",
             "price_unit": "cents/kWh"}
    s = resolve_choice_settings(given, DEFAULTS, _long(), currency="EUR")
    assert s.problems == []
    assert s.parameters["attributes"]["price"] == [11, 12, 13, 21, 22, 23]
    assert "price" in s.parameters["linear"] and s.parameters["price_unit"] == "cents/kWh"
    # Segmentation gets the same list, linear attributes left to be estimated as slopes.
    assert s.segmentation["choice_attributes"]["speed"] == ["slow", "fast"]


def test_one_task_each_is_noted_and_a_holdout_refused():
    s = resolve_choice_settings({"holdout_task": 1, "method": "hb"}, DEFAULTS, _long(tasks=1), currency="EUR")
    assert any("holding one out leaves nothing" in p for p in s.problems)
    assert any("the page estimates the aggregate logit" in n for n in s.notes)


def _engagement(tmp_path, choice_block: str, analysis_block: str) -> str:
    data = tmp_path / "data"
    data.mkdir()
    _long().to_csv(data / "choice.csv", index=False)
    (tmp_path / "engagement.yaml").write_text(f"""
client: {{name: Test, slug: test}}
analysis_date: 2026-01-01
data:
{choice_block}
analyses:
  value_drivers: {{enabled: false}}
  clv: {{enabled: false}}
  segmentation: {{enabled: false}}
  discrete_choice:
{analysis_block}
""", encoding="utf-8")
    return str(tmp_path / "engagement.yaml")


def test_one_attribute_list_feeds_intake(tmp_path):
    cfg = load_config(_engagement(tmp_path, "  choice: data/choice.csv",
                                  "    attributes: {speed: [slow, fast], price: null}"))
    assert cfg.data.choice.attributes == ["speed", "price"]


def test_two_different_attribute_lists_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="delete data.choice.attributes"):
        load_config(_engagement(tmp_path, "  choice: {path: data/choice.csv, attributes: [speed]}",
                                "    attributes: {speed: [slow, fast], price: null}"))


def test_choice_none_means_no_choice_data(tmp_path):
    cfg = load_config(_engagement(tmp_path, "  choice: none\n  survey: none\n  needs: data/choice.csv",
                                  "    enabled: false"))
    assert cfg.data.choice is None and cfg.data.survey is None


def test_validate_reports_settings_problems_with_the_users_key(tmp_path, capsys):
    from cvkit.cli import main

    cfg = _engagement(tmp_path, "  choice: data/choice.csv",
                      "    attributes: {speed: [slow, fast], price: null}\n    products: [{name: A, speed: warp, price: 12}]")
    assert main(["validate", cfg]) == 1
    out = capsys.readouterr().out
    assert "analyses.discrete_choice.products[0].speed: 'warp' is not a level" in out
