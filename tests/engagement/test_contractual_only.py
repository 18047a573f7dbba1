"""A subscription business without a purchase log: `analyses.clv.setting: contractual` validates and runs.

The subscriptions are Fader & Hardie's (2007) published survivor counts (two plans of 1,000
subscribers, seven yearly renewals, :mod:`cvkit.datasets.demo_subscriptions`) under another client's
name. No transactions: notebook 04 leaves its purchase-log sections out, says why, and reproduces the
published sBG fits; the overview and the synthesis run without a log.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cvkit.cli import main
from cvkit.datasets.demo_subscriptions import PUBLISHED, make_subscriptions


def _engagement(folder: Path, nobody_leaves: bool = False, **clv) -> Path:
    (folder / "data").mkdir(parents=True)
    subs = make_subscriptions()
    if nobody_leaves:
        subs["end_date"] = pd.NaT
    subs["plan"] = subs["plan"].map({"regular": "basic box", "high end": "premium box"})
    subs.to_csv(folder / "data" / "members.csv", index=False, date_format="%Y-%m-%d")
    raw = {
        "client": {"name": "Harbour Wine Club", "slug": "harbour"},
        "currency": "GBP",
        "analysis_date": "2026-06-30",
        "data": {"subscriptions": "data/members.csv"},
        "analyses": {
            "value_drivers": {"enabled": False},
            "discrete_choice": {"enabled": False},
            "segmentation": {"enabled": False},
            "clv": {"setting": "contractual", "margin": 0.4, **clv},
        },
        "report": {"pdf": False},
    }
    config = folder / "engagement.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config


def test_without_transactions_non_contractual_clv_is_refused_naming_the_setting(tmp_path, capsys):
    config = _engagement(tmp_path / "e", setting="non_contractual")
    assert main(["validate", str(config)]) == 1
    text = capsys.readouterr()
    text = text.out + text.err
    assert "analyses.clv: enabled but no input data" in text
    assert "set analyses.clv.setting: contractual" in text


def test_subscriptions_the_sbg_cannot_fit_are_caught_at_validate(tmp_path, capsys):
    config = _engagement(tmp_path / "e", nobody_leaves=True)
    assert main(["validate", str(config)]) == 1
    text = capsys.readouterr()
    text = text.out + text.err
    assert "data.subscriptions: the subscriber analysis (analyses.clv) cannot run" in text
    assert "no cohort has a full billing period observed with a cancellation" in text


@pytest.mark.slow  # three notebooks through papermill: ~60 s on the shared 2-core machine
def test_a_subscriptions_only_engagement_validates_and_runs(tmp_path, capsys):
    config = _engagement(tmp_path / "e")
    assert main(["validate", str(config)]) == 0, capsys.readouterr().out[-3000:]
    out = tmp_path / "out"
    assert main(["run", str(config), "--output-dir", str(out)]) == 0, capsys.readouterr().err[-3000:]
    deliverable = next(p for p in out.rglob("04_customer_lifetime_value.html"))
    page = deliverable.read_text(encoding="utf-8")
    assert "No transaction log is given" in page and "analyses.clv.setting" in page
    assert "The transaction log at a glance" not in page and "Fit and compare the purchase models" not in page
    assert "Subscribers: contractual retention" in page
    section = json.loads(next(out.rglob("clv.json")).read_text())["section"]
    assert section["setting"] == "contractual" and section["model"] is None and section["total"] is None
    sub = section["contractual"]
    fitted = {c["cohort"]: (c["alpha"], c["beta"]) for c in sub["cohorts"]}
    for plan, name in (("regular", "basic box"), ("high end", "premium box")):
        alpha, beta = PUBLISHED[plan][1:3]
        assert fitted[name] == (pytest.approx(alpha, abs=2e-3), pytest.approx(beta, abs=2e-3))
    assert sub["active"] == 241 + 491
    overview = next(out.rglob("00_engagement_overview.html")).read_text(encoding="utf-8")
    assert "the CLV analysis" not in overview  # it did run, on the subscriptions
    summary = next(out.rglob("index.html")).read_text(encoding="utf-8")  # the executive summary
    assert "active subscribers are worth" in summary and "Current customers are worth" not in summary
