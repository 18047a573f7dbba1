"""The corpus of broken engagement folders: each gives exactly the message recorded beside it.

``tests/reliability/cases/NN-name/`` holds ``engagement.yaml`` (its first line says what is broken),
``data/``, ``case.yaml`` (the stage that must catch it: ``config``, ``intake`` or ``analysis``) and
``expected.txt``: the stage and error type on the first line, then the exact message, with ``{case}``
standing for the case folder and ``{cases}`` for this corpus folder. Config and intake cases run
what ``cvkit validate`` runs; analysis cases run the analysis's cvkit entry point on the checked
data, as its notebook does.

After an intended wording change, rewrite the expected messages with
``CVKIT_UPDATE_CASES=1 pytest tests/reliability/test_cases.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from cvkit.engagement.config import ConfigError, load_config
from cvkit.data import DataError, intake
from cvkit.data.privacy import PrivacyError, protect
from tests.reliability.conftest import FIGURES

CASES = Path(__file__).resolve().parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def _analysis(kind: str, cfg, result) -> None:
    if kind == "drivers":
        from cvkit import drivers

        survey = result["survey"]
        elements = [c for c in drivers.element_labels() if c in survey.columns]
        drivers.KeyDriverAnalysis(seed=cfg.seed, n_boot=20).fit(survey, "nps", elements, cluster="respondent_id")
    elif kind == "clv":
        import cvkit.clv as clv

        summary = clv.summarize(result["transactions"], time_unit="W", observation_end=str(cfg.analysis_date))
        clv.BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    else:  # pragma: no cover - a case naming an unknown analysis is a broken corpus
        raise AssertionError(f"unknown analysis {kind!r}")


def outcome(case: Path) -> tuple[str, str]:
    """(error type, message) that the case's stage raises; ("none", "") if nothing is caught."""
    meta = yaml.safe_load((case / "case.yaml").read_text())
    try:
        cfg = load_config(case / "engagement.yaml")
        result = intake(cfg.data.given(), policy=cfg.intake, base_dir=cfg.base_dir)
        protect(result, cfg.privacy)
        result.raise_for_problems()
        if meta["stage"] == "analysis":
            _analysis(meta["analysis"], cfg, result)
    except (ConfigError, DataError, PrivacyError, ValueError) as exc:
        stage = "config" if isinstance(exc, ConfigError) else (
            "intake" if isinstance(exc, (DataError, PrivacyError)) and meta["stage"] != "analysis" else "analysis")
        return f"{stage} {type(exc).__name__}", str(exc).replace(str(case), "{case}").replace(str(CASES), "{cases}")
    return "none", ""


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_broken_case_gives_its_exact_message(case: Path):
    kind, message = outcome(case)
    expected_file = case / "expected.txt"
    if os.environ.get("CVKIT_UPDATE_CASES"):
        expected_file.write_text(f"{kind}\n{message}\n", encoding="utf-8")
    expected_kind, expected_message = expected_file.read_text(encoding="utf-8").split("\n", 1)
    meta = yaml.safe_load((case / "case.yaml").read_text())
    FIGURES["broken_cases"] += 1
    assert kind.split()[0] == meta["stage"], f"caught at {kind!r}, expected at stage {meta['stage']!r}"
    assert kind == expected_kind
    assert message == expected_message.rstrip("\n")


def test_corpus_is_large_enough_and_covers_every_stage():
    stages = [yaml.safe_load((p / "case.yaml").read_text())["stage"] for p in CASE_DIRS]
    assert len(CASE_DIRS) >= 40
    assert {"config", "intake", "analysis"} <= set(stages)
    for p in CASE_DIRS:
        assert (p / "engagement.yaml").read_text().startswith("# Broken on purpose: ")
