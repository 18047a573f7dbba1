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
    # the red flag page 02 will raise is known before the run (cvkit validate lists it) ...
    assert [f.code for f in s.flags] == ["respondent_level_skipped"]
    # ... and is not raised when only the aggregate logit is asked for, or when respondents answer several tasks
    only_mnl = {"method": "mnl", "compare_methods": [], "max_classes": 0}
    assert resolve_choice_settings(only_mnl, DEFAULTS, _long(tasks=1), currency="EUR").flags == []
    assert resolve_choice_settings({"method": "hb"}, DEFAULTS, _long(), currency="EUR").flags == []


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


def _zoo_spec(name: str):
    """The zoo engagement's choice data after intake and the ChoiceSpec notebook 02 builds from its settings."""
    import cvkit.choice as ch
    from cvkit.data import intake
    from cvkit.engagement.choice_settings import engagement_choice_settings

    cfg = load_config(f"tests/engagements/{name}/engagement.yaml")
    result = intake(cfg.data.given(), policy=cfg.intake, base_dir=cfg.base_dir)
    assert result.ok, result.report()
    p = {**DEFAULTS, **engagement_choice_settings(cfg, result).parameters}
    df = result["choice"]
    price = p["price_attribute"] or None
    linear = [a for a in p["linear"] if a != price] + ([price] if price and p["price_linear"] else [])
    labels = list(pd.unique(df["alternative"].astype(str))) if p["alternative_constants"] else None
    spec = ch.ChoiceSpec(p["attributes"], price=price, linear=linear, none=p["none_option"], coding=p["coding"],
                         alternatives=labels)
    return df, spec, p


def test_electricity_engagement_reproduces_trains_published_logit():
    import cvkit.choice as ch

    df, spec, p = _zoo_spec("electricity")
    assert p["method"] == "mnl" and p["price_unit"] == "cents/kWh" and not p["none_option"]
    m = ch.MNL(spec).fit(ch.prepare(df, spec))
    published = {"pf": -0.6252, "cl": -0.1083, "loc": 1.4422, "wk": 0.9955, "tod": -5.4628, "seas": -5.8400}
    for name, value in published.items():
        assert m.params_[name] == pytest.approx(value, abs=6e-4), name
    assert m.log_likelihood_ == pytest.approx(-4958.65, abs=0.01)
    # WTP for the local utility in the price's own unit: Train's 2.3 cents/kWh.
    w = ch.wtp(m.utilities()).set_index("attribute").loc["loc"]
    assert w["wtp"] == pytest.approx(1.4422 / 0.6252, rel=2e-3)


def test_wide_and_labelled_zoo_engagements_build_their_specification():
    df, spec, _ = _zoo_spec("swissmetro")
    assert spec.alternatives == ["train", "swissmetro", "car"] and spec.coding == "effects"
    assert set(spec.params) >= {"alternative.swissmetro", "alternative.car", "time", "cost", "headway"}
    df, spec, p = _zoo_spec("train_data")
    assert spec.coding == "dummy" and "comfort.1" in spec.params and "alternative.2" in spec.params
    assert p["products"][0]["alternative"] == "1"


def test_unit_costs_and_directions_name_real_levels():
    given = {"attributes": {"speed": ["slow", "fast"], "price": None}, "unit_costs": {"base": 1, "speed.warp": 2},
             "preference_directions": {"sped": "increasing", "price": "down"}}
    text = "\n".join(resolve_choice_settings(given, DEFAULTS, _long(), currency="EUR").problems)
    assert "unit_costs.speed.warp" in text and "preference_directions.sped" in text
    assert "preference_directions.price: 'down'" in text


def test_every_method_notebook_02_estimates_is_accepted_and_others_named():
    for method in ("hb", "mixed", "latent_class", "mnl"):
        s = resolve_choice_settings({"method": method, "compare_methods": ["mnl", "mixed", "hb"]}, DEFAULTS,
                                    _long(), currency="EUR")
        assert s.problems == [], method
    s = resolve_choice_settings({"method": "mxl", "compare_methods": ["hb", "bayes"]}, DEFAULTS, _long(),
                                currency="EUR")
    assert any(p.startswith("analyses.discrete_choice.method: 'mxl' is unknown. Fix: use hb, mixed")
               for p in s.problems)
    assert any(p.startswith("analyses.discrete_choice.compare_methods: 'bayes' is unknown") for p in s.problems)
