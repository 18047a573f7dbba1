"""Small engagements for the reliability suite: real CDNOW purchases, CLV only, a run takes seconds.

A plain module (not conftest) so tests import the helpers by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from cvkit.engagement.runner import file_sha256


def small_clv_engagement(folder: Path, *, slug: str = "small", name: str = "Small Client",
                         customers: int = 60, offset: int = 0, seed: int = 2026,
                         extra: dict | None = None) -> Path:
    """An engagement folder with CDNOW purchases of ``customers`` customers and only CLV enabled.

    ``offset`` picks another slice of customers, so two clients get different data. The CLV section
    fits one model with few bootstrap draws and no PDF is printed: a run takes ~10-20 s.

    Returns
    -------
    Path
        The engagement's ``engagement.yaml``.
    """
    from cvkit.datasets.cdnow import load_cdnow_sample

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    log = load_cdnow_sample()
    ids = sorted(log["customer_id"].unique())[offset:offset + customers]
    part = log[log["customer_id"].isin(ids)]
    part.assign(date=part["date"].dt.strftime("%Y-%m-%d"))[["customer_id", "date", "amount"]].to_csv(
        folder / "data" / "transactions.csv", index=False)
    raw = {
        "client": {"name": name, "slug": slug},
        "currency": "USD",
        "analysis_date": "1998-06-30",
        "seed": seed,
        "data": {"transactions": "data/transactions.csv"},
        "intake": {"duplicate_rows": "keep"},
        "analyses": {
            "value_drivers": {"enabled": False},
            "discrete_choice": {"enabled": False},
            "segmentation": {"enabled": False},
            "clv": {"enabled": True, "time_unit": "W", "calibration_end": "1997-09-30", "horizon_months": 12,
                    "models": ["bg_nbd"], "clv_model": "bg_nbd", "n_draws": 20, "segment_column": ""},
        },
        "report": {"pdf": False},
    }
    for key, value in (extra or {}).items():
        raw[key] = value
    config = folder / "engagement.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return config


def tree_digest(folder: Path, *, hidden: bool = True) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): file_sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and (hidden or not any(part.startswith(".") for part in p.relative_to(folder).parts))}


def manifest(deliverable: Path) -> dict:
    return json.loads((deliverable / "manifest.json").read_text(encoding="utf-8"))

