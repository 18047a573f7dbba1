"""The CDNOW transaction logs (Fader, Hardie & Lee 2005), bundled for validation and examples.

See ``cvkit/datasets/data/CDNOW.md`` for provenance and citation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["load_cdnow_sample", "load_cdnow_master", "CDNOW_CALIBRATION_END", "CDNOW_OBSERVATION_END"]

_DATA = Path(__file__).resolve().parent / "data"

#: End of the 39-week calibration period used in the papers (inclusive).
CDNOW_CALIBRATION_END = "1997-09-30"
#: End of the 39-week holdout period used in the papers (inclusive).
CDNOW_OBSERVATION_END = "1998-06-30"


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    df["date"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    df["customer_id"] = df["customer_id"].astype(str)
    df["cds"] = df["cds"].astype("int64")
    df["amount"] = df["amount"].astype("float64")
    return df


def load_cdnow_sample() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample used in the BG/NBD and Pareto/NBD papers.

    Returns
    -------
    pandas.DataFrame
        6,919 rows, one per transaction, with ``customer_id`` (str, the
        5-digit master id), ``sample_id`` (str), ``date`` (datetime64),
        ``cds`` (number of CDs, int) and ``amount`` (US dollars, float).
    """
    df = pd.read_csv(_DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                     names=["customer_id", "sample_id", "date", "cds", "amount"],
                     dtype={"customer_id": str, "sample_id": str, "date": str})
    df = _finish(df)
    return df[["customer_id", "sample_id", "date", "amount", "cds"]]


def load_cdnow_master() -> pd.DataFrame:
    """All 69,659 CDNOW transactions of the 23,570 customers acquired in Q1 1997.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (str), ``date`` (datetime64), ``amount``
        (US dollars, float) and ``cds`` (number of CDs, int).
    """
    df = pd.read_csv(_DATA / "CDNOW_master.txt", sep=r"\s+", header=0,
                     names=["customer_id", "date", "cds", "amount"],
                     dtype={"customer_id": str, "date": str})
    df = _finish(df)
    return df[["customer_id", "date", "amount", "cds"]]
