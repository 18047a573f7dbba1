"""Respondent-level part-worths from choice data in one call (the input needs-based segmentation takes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cvkit.choice.hb import HierarchicalBayesMNL
from cvkit.choice.latent_class import LatentClassMNL
from cvkit.choice.mnl import MNL
from cvkit.choice.spec import ChoiceSpec

__all__ = ["respondent_partworths"]


def respondent_partworths(choice: pd.DataFrame, attributes: ChoiceSpec | Mapping[str, Sequence[Any]], *,
                          price: str | None = None, none: bool | None = None, method: str = "hb",
                          iterations: int = 4000, chains: int = 1, seed: int = 0,
                          diffs: bool = True) -> pd.DataFrame:
    """Respondent-level part-worths from choice data in one call (for segmentation).

    Parameters
    ----------
    choice : DataFrame
        Long-format choice data (``respondent_id``, ``task``, ``alternative``,
        attribute columns, ``none``, ``chosen``).
    attributes : ChoiceSpec or dict
        Attribute -> ordered levels; a numeric price with ``price=`` is linear.
    price : str, optional
        The price attribute (linear when numeric).
    none : bool, optional
        Whether there is a none alternative; default: a ``none`` column with a 1 exists.
    method : {"hb", "latent_class", "mnl"}
        ``"hb"`` individual posterior means (recommended); ``"latent_class"``
        posterior-weighted class part-worths; ``"mnl"`` the same aggregate
        values for everyone (only as a baseline).
    iterations, chains, seed : int
        HB settings (4,000 iterations x 1 chain takes a few seconds for 600
        respondents x 12 tasks; use 20,000 x 2 for the deliverable).
    diffs : bool
        Return zero-centred diffs (Sawtooth's scale, comparable across
        respondents; the default, best for clustering) instead of raw utilities.

    Returns
    -------
    DataFrame
        ``respondent_id`` plus one column per ``<attribute>.<level>`` (a linear
        price appears as its values at the design's price points, e.g.
        ``fee.29`` .. ``fee.89``) and ``none`` when present.
    """
    if isinstance(attributes, ChoiceSpec):
        spec = attributes
    else:
        if none is None:
            none = "none" in choice.columns and bool((pd.to_numeric(choice["none"], errors="coerce") == 1).any())
        spec = ChoiceSpec(attributes, price=price, none=bool(none))
    if method == "hb":
        u = HierarchicalBayesMNL(spec, iterations=iterations, chains=chains, seed=seed).fit(choice).utilities()
    elif method == "mnl":
        u = MNL(spec).fit(choice).utilities()
    elif method == "latent_class":
        u = LatentClassMNL(spec, seed=seed).fit(choice).utilities()
    else:
        raise ValueError(f"method {method!r} is unknown. Fix: use 'hb', 'latent_class' or 'mnl'.")
    out = u.zero_centered_diffs() if diffs else u.values
    return out.reset_index()
