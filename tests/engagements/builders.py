"""Builders that write a zoo engagement's client files from the data copies committed in the repository.

A builder takes the engagement's ``data/`` folder and keyword options from its ``expect.yaml``
(``build: {builder: ta_feng, share: 0.1}``) and writes the files the engagement's config names,
in the shape a client sends them (their own column names, date formats, blanks). Only the
repository's copies are read (``tests/engagements/data/``, ``cvkit/datasets/data/``), never
``/work/shared``.
"""

from __future__ import annotations

import hashlib
import lzma
from pathlib import Path

import pandas as pd

from tests.engagements.zoo import DATA

__all__ = ["ta_feng", "cdnow_export", "cdnow_bundled", "cdnow_campaigns", "electricity_workbook"]

TA_FENG = DATA / "ta_feng_all_months_merged.csv.xz"


def _in_share(ids: pd.Series, share: float) -> pd.Series:
    """A stable pseudo-random share of IDs (by hash), so a slice keeps whole customers."""
    if share >= 1:
        return pd.Series(True, index=ids.index)
    buckets = ids.map(lambda s: int(hashlib.sha256(s.encode()).hexdigest()[:8], 16) % 10_000)
    return buckets < share * 10_000


def ta_feng(data: Path, *, share: float = 1.0) -> None:
    """The Ta Feng grocery log as the client exports it, and a customers file derived from it.

    ``data/ta_feng_export.csv``: the line items of ``share`` of the customers, byte for byte as
    distributed (UTF-8 BOM, every field quoted, dates M/D/YYYY, the client's column names).
    ``data/customer_master.csv``: one row per customer with ``CUSTOMER_ID``, ``FIRST_SEEN`` (first
    purchase in the log, YYYY/MM/DD), ``AGE_GROUP`` (blank when unknown) and ``PIN_CODE``; no channel
    and no acquisition cost, as in the client's CRM extract.
    """
    with lzma.open(TA_FENG, "rt", encoding="utf-8-sig", newline="") as fh:
        header = fh.readline()
        lines = fh.readlines()
    ids = pd.Series([line.split(",", 2)[1].strip('"') for line in lines])
    keep = _in_share(ids, share).to_numpy()
    with open(data / "ta_feng_export.csv", "w", encoding="utf-8-sig", newline="") as out:
        out.write(header)
        out.writelines(line for line, k in zip(lines, keep) if k)
    log = pd.read_csv(data / "ta_feng_export.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    log["date"] = pd.to_datetime(log["TRANSACTION_DT"], format="%m/%d/%Y")
    customers = log.sort_values("date").groupby("CUSTOMER_ID", sort=True).agg(
        FIRST_SEEN=("date", "min"), AGE_GROUP=("AGE_GROUP", "first"), PIN_CODE=("PIN_CODE", "first"))
    customers["FIRST_SEEN"] = customers["FIRST_SEEN"].dt.strftime("%Y/%m/%d")
    customers.reset_index().to_csv(data / "customer_master.csv", index=False)


def cdnow_export(data: Path, *, customers: int = 3000, offset: int = 0, blank: tuple[str, ...] = (),
                 acquisition_cost: bool = False, weights: bool = False) -> None:
    """CDNOW master-log customers (not the published sample) exported the European way.

    ``data/orders.csv``: semicolon-separated, dates DD.MM.YYYY, amounts with a decimal comma and a
    thousands dot, columns ``Kunde;Datum;Umsatz`` (and ``weights``, a lifetimes-style column, when
    ``weights``). ``data/kunden.csv``: ``Kunde;Erstkauf;Kanal;Region`` (+ ``Akquisekosten`` when
    ``acquisition_cost``), where the columns listed in ``blank`` are present but empty.
    """
    from cvkit.datasets.cdnow import load_cdnow_master

    log = load_cdnow_master()
    ids = sorted(log["customer_id"].unique())[offset:offset + customers]
    part = log[log["customer_id"].isin(ids)].copy()
    orders = pd.DataFrame({
        "Kunde": part["customer_id"],
        "Datum": part["date"].dt.strftime("%d.%m.%Y"),
        "Umsatz": part["amount"].map(lambda v: f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")),
    })
    if weights:
        orders["weights"] = part["cds"].astype(int)
    orders.to_csv(data / "orders.csv", sep=";", index=False)
    first = part.groupby("customer_id")["date"].min()
    n = len(first)
    kunden = pd.DataFrame({
        "Kunde": first.index,
        "Erstkauf": first.dt.strftime("%d.%m.%Y").to_numpy(),
        "Kanal": [("Web", "Telefon", "Katalog")[i % 3] for i in range(n)],
        "Region": [("Nord", "Süd", "Ost", "West")[i % 4] for i in range(n)],
    })
    if acquisition_cost:
        kunden["Akquisekosten"] = [f"{10 + (i % 7) * 2.5:.2f}".replace(".", ",") for i in range(n)]
    for column in blank:
        kunden[column] = ""
    kunden.to_csv(data / "kunden.csv", sep=";", index=False)


def electricity_workbook(data: Path, *, respondents: int = 100) -> None:
    """The first ``respondents`` of the Electricity experiment as a survey tool's Excel export.

    ``data/Electricity survey export.xlsx`` (a space in the name), sheet ``Responses`` after a cover
    sheet, Revelt & Train's long columns (``id``, ``chid``, ``alt``, ``pf`` ... ``seas``) with the choice
    written ``Yes``/``No``; read from the bundled copy ``cvkit/datasets/data/electricity.csv.gz``.
    """
    from cvkit.datasets.electricity import _DATA as bundled

    raw = pd.read_csv(bundled / "electricity.csv.gz")
    raw = raw[raw["id"] <= respondents].copy()
    raw["choice"] = raw["choice"].map({True: "Yes", False: "No"})
    with pd.ExcelWriter(data / "Electricity survey export.xlsx") as book:
        pd.DataFrame({"export": ["Electricity supplier study, stated preference"]}).to_excel(
            book, sheet_name="Cover", index=False)
        raw.to_excel(book, sheet_name="Responses", index=False)


def cdnow_bundled(data: Path) -> None:
    """The engagement `cvkit demo --dataset cdnow` writes: its config and data, unchanged."""
    from cvkit.engagement.scaffold import write_cdnow_engagement

    write_cdnow_engagement(data.parent)


# The campaign response engagement (issue 16): campaigns simulated on top of the CDNOW master log.
from tests.engagements.campaign_data import cdnow_campaigns  # noqa: E402
