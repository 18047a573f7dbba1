"""Which segments to target, and why: the rule behind the recommendation in the deliverable."""

from __future__ import annotations

import pandas as pd

from cvkit.plot import format_currency

__all__ = ["recommend_targets"]


def _money(value: float | None, currency: str) -> str:
    return "n/a" if value is None else format_currency(value, currency)


def _pct(share: float | None, decimals: int = 0) -> str:
    return "n/a" if share is None else f"{100 * share:.{decimals}f}%"


def recommend_targets(attractiveness: pd.DataFrame, *, currency: str = "EUR", max_targets: int = 2,
                      within: float = 0.8) -> dict[str, str]:
    """Recommended target segments with the reason for each.

    The most attractive segment is always recommended; a further one only when its score is
    within ``within`` of the best (a near tie the client should weigh), never more than
    ``max_targets``. The reason names the criteria on which the segment leads.

    Parameters
    ----------
    attractiveness : DataFrame
        :func:`cvkit.segment.attractiveness_table`: one row per segment with ``segment``,
        ``share`` and the available criteria (``clv_mean``, ``value_share``, ``nps``, ``wtp``),
        ``attractiveness`` (0..1).
    currency : str
        For the money in the reasons.
    max_targets : int
        At most this many targets.
    within : float
        A runner-up is recommended when its score is at least ``within`` x the best score.

    Returns
    -------
    dict
        Segment (as text) -> reason, most attractive first; empty when the table is empty.
    """
    if not len(attractiveness) or "attractiveness" not in attractiveness:
        return {}
    t = attractiveness.sort_values("attractiveness", ascending=False).reset_index(drop=True)
    best = float(t["attractiveness"].iloc[0])
    chosen = [0] + [i for i in range(1, min(max_targets, len(t)))
                    if best > 0 and float(t["attractiveness"].iloc[i]) >= within * best]
    criteria = {"clv_mean": ("CLV per customer", lambda v: _money(v, currency)),
                "value_share": ("share of value", _pct), "nps": ("NPS", lambda v: f"{v:+.0f}"),
                "wtp": ("willingness to pay", lambda v: _money(v, currency)), "share": ("size", _pct)}
    records = t.to_dict("records")  # row-wise, so integer segment ids stay integers
    out = {}
    for i in chosen:
        row = records[i]
        leads, facts = [], []
        for col, (name, fmt) in criteria.items():
            if col not in t or pd.isna(row[col]):
                continue
            facts.append(f"{name} {fmt(row[col])}")
            if row[col] == t[col].max() and len(t) > 1:
                leads.append(name)
        head = (f"most attractive segment (score {row['attractiveness']:.2f})" if i == 0 else
                f"close runner-up (score {row['attractiveness']:.2f} vs {best:.2f})")
        lead = f"; leads all segments on {' and '.join(leads)}" if leads else ""
        out[str(row["segment"])] = f"{head}{lead}: {', '.join(facts)}"
    return out
