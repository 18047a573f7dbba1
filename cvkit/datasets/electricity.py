"""The Electricity stated-preference choice experiment (Revelt & Train), bundled for validation.

See ``cvkit/datasets/data/ELECTRICITY.md`` for provenance and citation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["load_electricity", "ELECTRICITY_ATTRIBUTES"]

_DATA = Path(__file__).resolve().parent / "data"

#: The six numeric attributes of the supplier contracts, in the order of Train's textbook.
ELECTRICITY_ATTRIBUTES: tuple[str, ...] = ("pf", "cl", "loc", "wk", "tod", "seas")


def load_electricity() -> pd.DataFrame:
    """The Electricity choice experiment in cvkit's long ``choice`` format.

    Returns
    -------
    pandas.DataFrame
        17,232 rows, one per respondent x choice situation x alternative
        (361 respondents, 4,308 situations, 4 contracts each), with columns
        ``respondent_id`` (str), ``task`` (int, 1-based situation number within
        the respondent), ``alternative`` (int, 1..4), the attributes ``pf``
        (fixed price, cents/kWh; 0 when the contract has time-of-day or seasonal
        rates), ``cl`` (contract length, years), ``loc`` (local utility, 0/1),
        ``wk`` (well-known company, 0/1), ``tod`` (time-of-day rates, 0/1),
        ``seas`` (seasonal rates, 0/1), ``chosen`` (0/1) and ``chid`` (the
        original, global choice-situation id).
    """
    raw = pd.read_csv(_DATA / "electricity.csv.gz")
    chosen = raw["choice"]
    if chosen.dtype != bool:  # the file stores TRUE/FALSE; pandas may read them as text
        chosen = chosen.astype(str).str.upper().eq("TRUE")
    df = pd.DataFrame({
        "respondent_id": raw["id"].astype(str),
        "task": raw.groupby("id")["chid"].rank(method="dense").astype("int64"),
        "alternative": raw["alt"].astype("int64"),
    })
    for col in ELECTRICITY_ATTRIBUTES:
        df[col] = raw[col].astype("float64")
    df["chosen"] = chosen.astype("int64")
    df["chid"] = raw["chid"].astype("int64")
    return df
