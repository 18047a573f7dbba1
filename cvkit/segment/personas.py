"""Persona cards: a short, generated description of each segment, overridable by the analyst.

The generated text is built only from facts in the profile and value tables
(the segment's significantly over- and under-weighted needs, its size, value
and NPS against the average, and its most over-represented demographic
levels), so it never claims more than the data shows. The analyst replaces
it for the deliverable through ``overrides`` (the notebook's
``persona_overrides`` parameter): ``{"1": "text"}`` or
``{"1": {"name": "Busy professionals", "description": "text"}}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cvkit.segment.profile import SegmentProfile, pretty_name

__all__ = ["persona_cards", "format_persona_cards"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _short(var: str) -> str:
    return pretty_name(var).replace(" (importance)", "")


def _value_facts(val: pd.DataFrame | None, s: Any, currency: str) -> list[str]:
    """The segment's customer value and NPS beside the total's, when :func:`segment_value` has them."""
    from cvkit.plot import format_currency

    facts = []
    if val is not None and str(s) in val.index:
        r, tot = val.loc[str(s)], val.loc["total"]
        if "clv_mean" in val.columns and np.isfinite(r["clv_mean"]) and tot["clv_mean"] > 0:
            facts.append(f"average customer value {format_currency(r['clv_mean'], currency)} "
                         f"(index {100 * r['clv_mean'] / tot['clv_mean']:.0f})")
        if "nps" in val.columns and np.isfinite(r["nps"]):
            facts.append(f"NPS {r['nps']:+.0f} (total {tot['nps']:+.0f})")
    return facts


def _demographics(cat: pd.DataFrame, s: Any, min_index: float) -> list[str]:
    """At most two significantly over-represented levels (index >= ``min_index``), strongest first."""
    over = cat[(cat["segment"] == s) & cat["significant"] & (cat["index"] >= min_index)]
    over = over.sort_values("index", ascending=False).drop_duplicates("variable").head(2)
    return [f"more often {r.variable.replace('_', ' ')} {r.level} ({r.share:.0%} vs {r.share_total:.0%})"
            for r in over.itertuples()]


def _description(top: list[str], low: list[str], prefers: list[str], facts: list[str], demo: list[str],
                 has_needs: bool = True) -> str:
    """The generated card text: needs, conjoint preferences, facts, demographics."""
    if top:
        text = (f"Care most about {', '.join(top[:-1]) + ' and ' + top[-1] if len(top) > 1 else top[0]}"
                + (f"; less than others about {', '.join(low)}" if low else "") + ". ")
    elif has_needs:
        text = "No need sets this segment clearly apart from the others. "
    else:  # segmented on conjoint part-worths alone: no needs were measured
        text = ""
    if prefers:
        text += f"In the conjoint they value {' and '.join(prefers)} more than others. "
    text += _sentence("; ".join(facts))
    if demo:
        text += " " + _sentence("; ".join(demo))
    return text


def _apply_override(o: Any, name: str, text: str) -> tuple[str, str, str]:
    """(name, description, source) after the analyst's override for the segment, if any."""
    source = "generated"
    if isinstance(o, Mapping):
        name = str(o.get("name", name))
        if "description" in o:
            text, source = str(o["description"]), "analyst"
    elif o is not None:
        text, source = str(o), "analyst"
    return name, text, source


def persona_cards(profile: SegmentProfile, value: pd.DataFrame | None = None, *,
                  overrides: Mapping[str, Any] | None = None, n_needs: int = 3, currency: str = "EUR",
                  min_index: float = 120.0, needs: Sequence[str] | None = None,
                  tradeoffs: Sequence[str] | None = None) -> pd.DataFrame:
    """One persona card per segment.

    Parameters
    ----------
    profile : SegmentProfile
        From :func:`profile_segments` (numeric needs and categorical demographics).
    value : DataFrame, optional
        From :func:`segment_value` (``clv_mean``, ``nps`` are used when present).
    overrides : mapping, optional
        Segment label (as str) -> description text, or -> dict with ``name``
        and/or ``description``. Keys that match no segment raise an error.
    n_needs : int
        Distinguishing needs named per card.
    currency : str
        ISO code used to format money.
    min_index : float
        Demographic levels with an index at least this high (and a
        significant chi-square) are mentioned.
    needs : sequence of str, optional
        Profile variables described as needs; default the ``imp_*`` columns
        (when there are none, every variable that is not a conjoint part-worth
        ``attribute.level``: a part-worth is a trade-off, not a need).
    tradeoffs : sequence of str, optional
        Conjoint part-worth columns (``attribute.level``) described as what the
        segment values more in the trade-offs; default the columns with a dot
        whose level is not a number (price points are left out).

    Returns
    -------
    DataFrame
        ``segment``, ``name``, ``size_share``, ``top_needs``, ``low_needs``,
        ``prefers`` (conjoint levels valued more), ``facts``, ``description``,
        ``source`` ("generated" or "analyst").
    """
    overrides = {str(k): v for k, v in (overrides or {}).items()}
    labels = list(profile.sizes["segment"])
    unknown = set(overrides) - {str(s) for s in labels}
    if unknown:
        raise ValueError(f"persona overrides for unknown segment(s) {sorted(unknown)}; the segments are "
                         f"{[str(s) for s in labels]}")
    val = value.set_index(value["segment"].astype(str)) if value is not None else None
    variables = list(profile.means.index)
    if needs is None:
        needs = [v for v in variables if v.startswith("imp_")] or [v for v in variables if "." not in v]
    if tradeoffs is None:
        tradeoffs = [v for v in variables if "." in v and not _is_number(v.split(".", 1)[1])]
    rows = []
    for s, share in zip(labels, profile.sizes["share"]):
        hi = profile.distinguishing(s, len(variables), "high")
        lo = profile.distinguishing(s, len(variables), "low")
        top = [_short(v) for v in hi["variable"] if v in needs][:n_needs]
        low = [_short(v) for v in lo["variable"] if v in needs][:n_needs]
        prefers = [_short(v) for v in hi["variable"] if v in tradeoffs][:2]
        name = (" & ".join(top[:2]) + " seekers" if top else
                "Prefers " + " & ".join(prefers) if prefers else f"Segment {s}")
        facts = [f"{share:.0%} of respondents"] + _value_facts(val, s, currency)
        demo = _demographics(profile.categorical, s, min_index)
        text = _description(top, low, prefers, facts, demo, has_needs=bool(needs))
        name, text, source = _apply_override(overrides.get(str(s)), name, text)
        rows.append({"segment": s, "name": name, "size_share": share, "top_needs": ", ".join(top),
                     "low_needs": ", ".join(low), "prefers": ", ".join(prefers),
                     "facts": "; ".join(facts + demo), "description": text,
                     "source": source})
    return pd.DataFrame(rows)


def format_persona_cards(cards: pd.DataFrame) -> str:
    """Persona cards as Markdown (one heading and paragraph per segment), for display in a notebook."""
    parts = []
    for r in cards.itertuples():
        tag = "" if r.source == "generated" else " *(analyst text)*"
        parts.append(f"#### Segment {r.segment}: {r.name} ({r.size_share:.0%}){tag}\n\n{r.description}\n")
    return "\n".join(parts)
