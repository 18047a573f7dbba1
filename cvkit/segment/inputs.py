"""Gathering the segmentation inputs a notebook needs, from whichever sources an engagement has.

Part-worths can come from three places, in this order of preference:

1. ``partworths_file`` - the choice notebook's ``tables/choice/respondent_partworths.csv`` of the
   same run (what the runner passes);
2. ``utilities`` - respondent utilities exported by another tool (e.g. Sawtooth HB), loaded
   through :func:`cvkit.data.load` ("utilities" schema);
3. ``choice`` - the raw conjoint answers, estimated here with cvkit.choice's quick
   respondent-level estimator when it exists.

When none is available the segmentation uses the needs battery only, and says so.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["build_inputs", "compute_clv", "resolve_clv", "resolve_partworths", "respondent_frame"]


def _read_partworths(path: str | Path) -> pd.DataFrame:
    from cvkit.data.formulas import restore_frame  # cvkit's own CSV: formula prefixes undone

    df = restore_frame(pd.read_csv(path, dtype={"respondent_id": str}))
    if "respondent_id" not in df.columns:
        raise ValueError(f"part-worth file {str(path)!r} has no 'respondent_id' column; fix: pass the choice "
                         "analysis's respondent_partworths.csv (respondent_id + <attribute>.<level> columns)")
    num = [c for c in df.columns if c != "respondent_id" and pd.api.types.is_numeric_dtype(df[c])]
    if not num:
        raise ValueError(f"part-worth file {str(path)!r} has no numeric part-worth columns")
    return df[["respondent_id", *num]]


def resolve_partworths(*, partworths_file: str = "", utilities: str | Path | None = None,
                       choice: str | Path | None = None, attributes: dict | None = None, price: str | None = None,
                       seed: int = 0, max_seconds: float = 20.0) -> tuple[pd.DataFrame | None, str]:
    """Respondent part-worths from the best available source.

    Parameters
    ----------
    partworths_file : str
        Path of a respondent part-worth table ("" = not given).
    utilities : path, optional
        Utilities file in the ``utilities`` schema.
    choice : path, optional
        Raw choice data, estimated here with
        :func:`cvkit.choice.respondent_partworths` (hierarchical Bayes, 4,000
        iterations: a few seconds for 600 respondents x 12 tasks).
    attributes : dict, optional
        Conjoint attribute -> ordered levels; default: read from the data
        (levels sorted, numeric price sorted by value).
    price : str, optional
        The numeric price attribute (estimated as linear).
    seed : int
    max_seconds : float
        Time budget for estimating here; reported, not enforced.

    Returns
    -------
    partworths : DataFrame or None
        ``respondent_id`` + one numeric column per part-worth.
    source : str
        Where they came from, in words (shown in the notebook).
    """
    if partworths_file == "none":  # the engagement says: no part-worths in this segmentation
        return None, "not used (partworths_file: none in engagement.yaml): the needs battery is used alone"
    if partworths_file:
        return _unless_constant(_read_partworths(partworths_file),
                                f"read from {Path(partworths_file).name} (the choice analysis)")
    if utilities is not None:
        from cvkit.data import load

        df = load("utilities", utilities).df
        return _unless_constant(df, f"read from the utilities file {Path(utilities).name}")
    if choice is not None:
        try:
            from cvkit import choice as choice_mod
        except ImportError:  # pragma: no cover - cvkit.choice ships with cvkit
            choice_mod = None
        estimator = getattr(choice_mod, "respondent_partworths", None)
        if estimator is None:
            return None, ("not available: no part-worth table was passed and cvkit.choice has no quick "
                          "respondent-level estimator yet, so the segmentation uses the needs battery only")
        from cvkit.data import load

        df = load("choice", choice).df
        reason = choice_mod.respondent_level_reason(df)
        if reason:  # HB on one task each would return the population mean for everyone
            return None, f"not estimated: {reason}; the segmentation uses the needs battery alone"
        if not attributes:
            skip = {"respondent_id", "task", "alternative", "none", "chosen"}
            attributes = {c: sorted(df[c].dropna().unique().tolist()) for c in df.columns if c not in skip}
        t0 = time.perf_counter()
        pw = estimator(df, attributes, price=price or None, seed=seed)
        pw = pw.reset_index() if "respondent_id" not in pw.columns else pw
        secs = time.perf_counter() - t0
        note = "" if secs <= max_seconds else f" (took {secs:.0f} s, over the {max_seconds:.0f} s budget)"
        return pw, f"estimated here from the choice data (hierarchical Bayes, one set per respondent){note}"
    return None, "not available: the engagement has no conjoint data; the needs battery is used alone"


def _unless_constant(df: pd.DataFrame, source: str) -> tuple[pd.DataFrame | None, str]:
    """The part-worths, or None with the reason when every respondent has the same values (aggregate logit)."""
    num = df.drop(columns=["respondent_id"], errors="ignore").select_dtypes("number")
    if len(df) > 1 and bool((num.nunique(dropna=True) <= 1).all()):
        return None, (f"{source}, but every respondent has the same part-worths (an aggregate model such as "
                      "MNL), which cannot separate segments; the needs battery is used alone")
    return df, source


def respondent_frame(index: pd.Index, *, survey: pd.DataFrame | None = None, customers: pd.DataFrame | None = None,
                     client_brand: str | None = None, survey_columns: list[str] | None = None) -> pd.DataFrame:
    """Per respondent: the link to a customer, the client-brand ratings and customer facts.

    Parameters
    ----------
    index : Index
        Respondent ids to describe.
    survey : DataFrame, optional
        Stacked survey (respondent x brand); the client's rows give the
        ratings, any row gives the ``customer_id`` link.
    customers : DataFrame, optional
        Customer facts (``channel``, ``region``, ``age_band``, ...) joined on ``customer_id``.
    client_brand : str, optional
        Brand whose ratings are taken; must appear in ``survey["brand"]``.
    survey_columns : list of str, optional
        Rating columns to keep (default every numeric column of the survey).

    Returns
    -------
    DataFrame
        Indexed by ``respondent_id`` (same order as ``index``).
    """
    out = pd.DataFrame(index=pd.Index(index.astype(str), name="respondent_id"))
    if survey is not None:
        sv = survey.assign(respondent_id=survey["respondent_id"].astype(str))
        if "customer_id" in sv.columns:
            link = sv.dropna(subset=["customer_id"]).drop_duplicates("respondent_id").set_index("respondent_id")
            out["customer_id"] = link["customer_id"].astype("string").reindex(out.index)
        if client_brand is not None and "brand" in sv.columns:
            if client_brand not in set(sv["brand"]):
                raise ValueError(f"client brand {client_brand!r} is not in the survey's brand column (brands: "
                                 f"{sorted(sv['brand'].dropna().unique())[:8]}); fix: set client_brand")
            own = sv[sv["brand"] == client_brand].drop_duplicates("respondent_id").set_index("respondent_id")
            cols = survey_columns or [c for c in own.columns if pd.api.types.is_numeric_dtype(own[c])]
            missing = [c for c in cols if c not in own.columns]
            if missing:
                raise ValueError(f"survey columns {missing} do not exist; fix: check profile_numeric")
            out = out.join(own[cols])
    if customers is not None and "customer_id" in out.columns:
        facts = customers.assign(customer_id=customers["customer_id"].astype(str)).drop_duplicates("customer_id")
        out = out.join(facts.set_index("customer_id").drop(columns=[c for c in out.columns if c in facts.columns],
                                                           errors="ignore"), on="customer_id")
    return out


def build_inputs(*, needs: pd.DataFrame | None, partworths: pd.DataFrame | None, inputs: str = "both",
                 needs_prefix: str = "imp_", center_needs: bool = True,
                 partworth_weight: float = 1.0) -> tuple[pd.DataFrame, list, list[str]]:
    """Join the chosen input blocks and describe them for :class:`NeedsPreprocessor`.

    Parameters
    ----------
    needs : DataFrame or None
        Needs battery (``respondent_id`` + items).
    partworths : DataFrame or None
        Respondent part-worths (``respondent_id`` + columns).
    inputs : {"needs", "partworths", "both"}
        What to segment on. When a requested block is unavailable the other
        is used alone and a note says so.
    needs_prefix : str
        Needs item columns start with this.
    center_needs : bool
        Respondent mean-centring of the needs battery (scale-use bias).
    partworth_weight : float
        Weight of the part-worth block relative to the needs block.

    Returns
    -------
    data : DataFrame
        Joined inputs indexed by ``respondent_id``.
    blocks : list of InputBlock
    notes : list of str
        What was used and who fell out of the join.
    """
    from cvkit.segment.preprocess import InputBlock, join_inputs

    if inputs not in ("needs", "partworths", "both"):
        raise ValueError(f"inputs={inputs!r} is not known; use 'needs', 'partworths' or 'both'")
    notes: list[str] = []
    want_needs = inputs in ("needs", "both")
    want_pw = inputs in ("partworths", "both")
    if want_pw and partworths is None:
        if needs is None:
            raise ValueError("neither needs nor part-worths are available; fix: give a needs file or choice data")
        notes.append("part-worths were asked for but are not available: needs battery only")
        want_pw, want_needs = False, True
    if want_needs and needs is None:
        if partworths is None:
            raise ValueError("neither needs nor part-worths are available; fix: give a needs file or choice data")
        notes.append("the needs battery was asked for but is not available: part-worths only")
        want_needs, want_pw = False, True
    tables, blocks = {}, []
    if want_needs:
        cols = [c for c in needs.columns if c.startswith(needs_prefix)]
        if not cols:
            raise ValueError(f"no needs column starts with {needs_prefix!r}; fix: set needs_prefix "
                             f"(columns: {list(needs.columns)[:6]}...)")
        tables["needs"] = needs[["respondent_id", *cols]]
        blocks.append(InputBlock("needs", cols, center_rows=center_needs))
    if want_pw:
        cols = [c for c in partworths.columns if c != "respondent_id"]
        tables["partworths"] = partworths[["respondent_id", *cols]]
        blocks.append(InputBlock("partworths", cols, center_rows=False, weight=partworth_weight))
    data = join_inputs(tables)
    for name, ids in data.attrs["dropped_ids"].items():
        if ids:
            notes.append(f"{len(ids)} respondents of the {name} table are not in every input and are left out")
    notes.insert(0, f"{len(data)} respondents segmented on " + " + ".join(
        f"{b.name} ({len(b.columns)} columns{', mean-centred per respondent' if b.center_rows else ''})"
        for b in blocks))
    return data, blocks, notes


def compute_clv(transactions: Any, observation_end: str, *, horizon_months: float = 12.0,
                margin: float = 0.30) -> pd.DataFrame:
    """Customer value table when the CLV analysis's table is not passed (notebook run on its own).

    ``transactions`` is anything :func:`cvkit.clv.summarize` reads: a DataFrame or, so the log
    never needs to be in pandas, a CSV/Parquet path (e.g. :func:`cvkit.data.stream.checked_parquet`).
    Uses the public cvkit.clv path: :func:`cvkit.clv.summarize` (weeks), BG/NBD
    for purchases, Gamma-Gamma for spend, :func:`cvkit.clv.customer_value_table`.

    Returns
    -------
    DataFrame
        As ``tables/clv/customers.csv`` (``customer_id``, ``clv`` (currency, next
        ``horizon_months``, at ``margin``: the same value as the CLV analysis), ``p_alive``,
        ``value_tier``, ...).
    """
    from cvkit.clv import BetaGeoModel, GammaGammaModel, customer_value_table, summarize

    summary = summarize(transactions, time_unit="W", observation_end=observation_end)
    purchases = BetaGeoModel().fit(summary)
    spend = GammaGammaModel().fit(summary[summary["frequency"] > 0])
    return customer_value_table(summary, purchases, spend, horizon_months=horizon_months, margin=margin)


def resolve_clv(clv_file: str = "", transactions: Any = None, observation_end: str = "", *,
                margin: float = 0.30, horizon_months: float = 12.0) -> pd.DataFrame | None:
    """The customer value table segments are valued with: the CLV analysis's, else computed here, else None.

    Parameters
    ----------
    clv_file : str
        ``tables/clv/customers.csv`` of this run ("" when the CLV analysis did not run).
    transactions : DataFrame or CSV/Parquet path, optional
        The log, to compute CLV with :func:`compute_clv` when there is no ``clv_file`` (a path is
        scanned by the engine: the log need not be in pandas).
    observation_end : str
        Last day of the log (YYYY-MM-DD).
    margin, horizon_months : float
        As the CLV analysis uses them (the engagement's ``analyses.clv.margin``).
    """
    if clv_file:
        from cvkit.data.formulas import restore_frame

        return restore_frame(pd.read_csv(clv_file, dtype={"customer_id": str}))
    if transactions is not None:
        return compute_clv(transactions, observation_end, horizon_months=horizon_months, margin=margin)
    return None
