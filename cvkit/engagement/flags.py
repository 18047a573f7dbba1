"""Red flags computed from the engagement's data and results, in words the client's data supplies.

A red flag names something in *this* engagement's data that limits what a page may claim (four
months of history under a twelve-month CLV horizon, a log that starts after most customers were
acquired, standard errors as large as the estimates, ...). Each is computed, never a box to tick:

- :func:`data_flags`: knowable from the data and the config before any model (``cvkit validate``
  lists them, the overview shows them);
- :func:`clv_flags`, :func:`rfm_alive_flag`, :func:`choice_page_flags`: from the fitted models, recorded by the page concerned
  in its results file (``red_flags``) and gathered on the overview by :func:`run_flags`.

The numbers come from :mod:`cvkit.clv.diagnostics` and :mod:`cvkit.choice.fit_checks`; this module only
words them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cvkit import present
from cvkit.clv import diagnostics
from cvkit.clv.aggregates import first_date

__all__ = ["RedFlag", "customer_dates", "data_flags", "exclusion_flags", "clv_flags", "clv_page_flags", "discrete_flags", "OCCASIONS", "choice_flags", "choice_page_flags", "rfm_alive_flag", "rfm_alive_reconciliation",
           "lapsed_segments", "overview_flags", "run_flags", "to_markdown", "THIN_REPEAT_BUYERS", "THIN_CUSTOMERS"]

#: Fewer repeat buyers than this and the purchase models' parameters are poorly pinned down.
THIN_REPEAT_BUYERS = 200
#: Fewer customers than this and RFM quintiles or CLV tiers hold a few dozen customers each.
THIN_CUSTOMERS = 500

_UNITS = {"D": ("day", "days"), "W": ("week", "weeks"), "M": ("month", "months")}
_PAGES = {"overview": "Engagement overview", "clv": "Customer lifetime value", "segment": "Segmentation",
          "choice": "Discrete choice", "drivers": "Value drivers"}


@dataclass(frozen=True)
class RedFlag:
    """One red flag: a stable ``code``, the ``page`` (results name) it concerns, a title and the detail."""

    code: str
    page: str
    title: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def line(self) -> str:
        """One line for the terminal (``cvkit validate``)."""
        return f"  [{self.code}] {self.title}: {self.detail}"


def _n(value: float) -> str:
    """A count in a sentence, with the engagement's thousands separator (as its tables)."""
    return present.count(value)


def _and(names: tuple[str, ...] | list[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def new_days(rows: str, where: str = "") -> str:
    """SQL: ``rows``' customer_id and date, and ``new_day``, true on a customer's first row of each day.

    Distinct days are marked by a window over each customer's rows (a sort, which DuckDB spills to
    disk), not counted by ``count(DISTINCT)`` (its sets stay in memory) nor by a hash aggregate on
    (customer, day): at a 1 GB limit neither fitted a 100M-row log of 2M customers.
    """
    day = "CAST(date AS DATE)"
    return (f"SELECT customer_id, date, {day} IS DISTINCT FROM lag({day}) OVER (PARTITION BY customer_id "
            f"ORDER BY date) AS new_day FROM {rows}{' WHERE ' + where if where else ''}")


def customer_dates(transactions: Any) -> pd.DataFrame:
    """Per customer: first purchase date (``first``) and distinct purchase days (``days``).

    ``transactions`` is a DataFrame, a :class:`cvkit.data.LoadedTable`, a streamed table
    (:class:`cvkit.data.stream.StreamedTable`) or a checked Parquet path; the last two are aggregated
    by DuckDB on the file so the log itself is never read into memory (one row per customer comes back).
    """
    if hasattr(transactions, "sql") or isinstance(transactions, (str, Path)):
        from cvkit.data.stream import duckdb_connection, relation

        con = duckdb_connection(getattr(transactions, "workdir", None))
        try:
            return con.sql(f"SELECT customer_id, min(date) AS first, count_if(new_day) AS days FROM "
                           f"({new_days(relation(transactions))}) GROUP BY customer_id ORDER BY customer_id").df()
        finally:
            con.close()
    df = transactions.df if hasattr(transactions, "df") else transactions
    if df.empty:
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "first": pd.Series(dtype="datetime64[ns]"),
                             "days": pd.Series(dtype="int64")})
    day = df["date"].dt.normalize()
    out = df.assign(_day=day).groupby("customer_id", sort=True).agg(first=("date", "min"), days=("_day", "nunique"))
    return out.reset_index()


def data_flags(tables: dict[str, Any], *, analysis_date: Any = None,
               clv: dict[str, Any] | None = None) -> list[RedFlag]:
    """Red flags knowable from the checked data (and the CLV settings) before any model runs.

    Parameters
    ----------
    tables : dict of str to DataFrame or loaded table
        The intake's canonical tables by data set (``transactions``, ``customers``, ...); a streamed
        transaction log is aggregated out of core (:func:`customer_dates`).
    analysis_date : date-like, optional
        End of observation; default the last transaction date.
    clv : dict, optional
        The CLV analysis's settings (``horizon_months``, ``time_unit``) when it runs.

    Returns
    -------
    list of RedFlag
    """
    flags: list[RedFlag] = []
    tx = tables.get("transactions")
    if tx is None:
        return flags
    per_customer = customer_dates(tx)
    if per_customer.empty:
        return flags
    start = per_customer["first"].min()
    end = pd.Timestamp(analysis_date) if analysis_date is not None else _last_date(tx)
    if clv is not None:
        flags += _history_flag(start, end, clv)
    first = per_customer.set_index("customer_id")["first"]
    customers = tables.get("customers")
    customers = customers.df if hasattr(customers, "df") else customers
    if customers is not None and "acquisition_date" in customers.columns:
        acquired = customers.set_index("customer_id")["acquisition_date"].dropna()
        first = acquired.combine_first(first) if not acquired.empty else first
    flags += _censoring_flag(first, start, end)
    flags += _thin_flags(per_customer)
    return flags


def _last_date(transactions: Any) -> pd.Timestamp:
    if hasattr(transactions, "sql") or isinstance(transactions, (str, Path)):
        import duckdb

        from cvkit.data.stream import relation

        return pd.Timestamp(duckdb.sql(f"SELECT max(date) FROM {relation(transactions)}").fetchall()[0][0])
    df = transactions.df if hasattr(transactions, "df") else transactions
    return df["date"].max()


def _history_flag(start: pd.Timestamp, end: pd.Timestamp, clv: dict[str, Any]) -> list[RedFlag]:
    horizon = float(clv.get("horizon_months", 12))
    h = diagnostics.history_vs_horizon(start, end, horizon)
    if not h["extrapolated"]:
        return []
    return [RedFlag("short_history", "clv", "History shorter than the CLV horizon",
                    f"the log covers {h['history_weeks']:.0f} weeks ({h['history_months']:.1f} months) and the CLV "
                    f"horizon is {horizon:.0f} months, {h['ratio']:.1f} times the history. Everything beyond "
                    f"{h['history_months']:.1f} months is extrapolation of the behaviour seen so far (seasonality "
                    "and churn the log has not seen are not in it): read the shorter horizons first, or set "
                    f"analyses.clv.horizon_months to {max(1, int(h['history_months']))} or less.")]


def _censoring_flag(first: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> list[RedFlag]:
    c = diagnostics.acquisition_censoring(first, start, end)
    if not c["censored"]:
        return []
    detail = (f"{_n(c['n_first_in_head'])} of {_n(c['n_customers'])} customers ({c['share_first_in_head']:.0%}) are "
              f"first seen in the log's first {c['head_days']} days, while new customers keep arriving later "
              f"({c['share_first_in_second_half']:.0%} first appear in its second half): the log starts part-way "
              "through the life of an established customer base. For customers already active when it starts, "
              f"'acquisition' is the log start ({start.date().isoformat()}), not when they became customers: "
              "their age, repeat counts and cohort are understated.")
    if c["n_before_start"]:
        detail += (f" {_n(c['n_before_start'])} customers were acquired before the log starts, so their earlier "
                   "purchases are missing.")
    return [RedFlag("left_censored", "overview", "The log starts after many customers were acquired", detail)]


def _thin_flags(per_customer: pd.DataFrame) -> list[RedFlag]:
    days = per_customer["days"]
    return _thin_flags_counts(len(days), int((days > 1).sum()))


def _thin_flags_counts(n: int, repeat: int) -> list[RedFlag]:
    flags = []
    if repeat < THIN_REPEAT_BUYERS or n < THIN_CUSTOMERS:
        flags.append(RedFlag("thin_base", "clv", "Thin customer base",
                             f"{_n(n)} customers, of whom {_n(repeat)} bought on more than one day: the purchase "
                             f"models learn from repeat buyers, and below about {THIN_REPEAT_BUYERS} of them (or "
                             f"{THIN_CUSTOMERS} customers) their parameters and every tier or segment figure built "
                             "on them are uncertain; treat differences between small groups as noise."))
    return flags


def clv_flags(*, model: str, fitted_summary: pd.DataFrame, one_time: dict[str, Any] | None,
              alternative: tuple[str, float] | None, time_unit: str, interval_share: float,
              unseen: float) -> list[RedFlag]:
    """Red flags from the fitted CLV models.

    Parameters
    ----------
    model : str
        Purchase model used for CLV.
    fitted_summary : DataFrame
        Estimates of the models used (``model``, ``parameter``, ``estimate``, ``se``).
    one_time : dict, optional
        :func:`cvkit.clv.diagnostics.one_time_buyers_alive` for the model used.
    alternative : (str, float), optional
        A model that lets one-time buyers leave and its mean P(alive) for the long-unseen ones.
    time_unit : str
        ``D``, ``W`` or ``M``.
    interval_share : float
        Half-width of the total's interval as a share of the total.
    unseen : float
        The "long unseen" threshold, in model time units.
    """
    flags = []
    if one_time and one_time["n_pinned"] > 0:
        unit = _UNITS[time_unit][1]
        detail = (f"{_n(one_time['n_pinned'])} customers bought once and have not been seen for {unseen:.0f} {unit} "
                  f"or more, yet the {_model_name(model)} model gives them P(alive) = 1: it lets a customer leave "
                  "only after a repeat purchase.")
        if alternative is not None:
            detail += (f" The {_model_name(alternative[0])} model, which lets them leave, puts their mean P(alive) at "
                       f"{alternative[1]:.2f}: quote its active-customer counts, or choose it as the engagement's "
                       "purchase model for CLV.")
        flags.append(RedFlag("one_time_buyers_alive", "clv", "One-time buyers counted as surely active", detail))
    bad = diagnostics.imprecise_parameters(fitted_summary)
    if not bad.empty:
        listed = ", ".join(f"{_model_name(r.model)} {r.parameter} = {_short(r.estimate)} (SE {_short(r.se)})"
                           for r in bad.itertuples())
        flags.append(RedFlag("imprecise_parameters", "clv", "Standard errors above half the estimate",
                             f"{listed}: the data barely pin these down, so figures that depend on them (dropout, "
                             "spend heterogeneity) can move a lot with a few more months of data."))
    flags.append(RedFlag("parameter_uncertainty_only", "clv", "Intervals cover parameter uncertainty only",
                         f"the CLV intervals (about +/-{interval_share:.0%} of the total) come from redrawing the "
                         "models' parameters; they leave out the randomness of each customer's purchases and any "
                         "change in the business, so the realised total will usually fall further from the estimate "
                         "than they suggest."))
    return flags


#: A participation period as a client names the occasion: (one, several).
OCCASIONS = {"Y": ("year", "years"), "Q": ("quarter", "quarters"), "M": ("month", "months")}
#: With this many occasions after the first purchase or fewer, buying less and leaving look alike.
FEW_OCCASIONS = 3


def discrete_flags(model: Any, participation: pd.DataFrame, period: str) -> list[RedFlag]:
    """Red flags of the discrete-occasion (BG/BB) section, from its data and its fit.

    Parameters
    ----------
    model : BetaGeoBetaBinomModel
        The fitted BG/BB model (``converged_``, ``summary()`` with ``estimate`` and ``se``).
    participation : DataFrame
        :func:`cvkit.clv.participation_summary` (one row per customer, ``n_periods``: occasions
        observed after the first purchase).
    period : {"Y", "Q", "M"}
        The occasion.

    Returns
    -------
    list of RedFlag
        ``few_occasions`` when the typical customer was observed at :data:`FEW_OCCASIONS` occasions
        or fewer after their first purchase; ``occasion_model_unreliable`` when the fit did not
        converge or a parameter's standard error exceeds half its estimate.
    """
    one, many = OCCASIONS[period]
    flags = []
    typical = float(participation["n_periods"].median()) if len(participation) else 0.0
    if typical <= FEW_OCCASIONS:
        flags.append(RedFlag(
            "few_occasions", "clv", "Few purchase occasions observed",
            f"the typical customer was observed for {_short(typical)} {many if typical != 1 else one} after their "
            f"first purchase (the longest history: {_n(participation['n_periods'].max())} {many}). With "
            f"{FEW_OCCASIONS} occasions or fewer, a customer who buys rarely and one who has left look alike, so "
            "P(alive) and the expected purchases of this section rest on the model's assumptions more than on "
            "the data."))
    estimates = model.summary().reset_index()
    if not model.converged_:
        listed = ", ".join(f"{r.parameter} = {_short(r.estimate)}" for r in estimates.itertuples())
        flags.append(RedFlag(
            "occasion_model_unreliable", "clv", "The BG/BB fit did not converge",
            f"the fit stopped at {listed} without reaching a maximum of the likelihood: the data do not pin the "
            "model down, so its P(alive) and expected purchases by history pattern should not be quoted."))
        return flags
    bad = diagnostics.imprecise_parameters(estimates)
    if not bad.empty:
        listed = ", ".join(f"{r.parameter} = {_short(r.estimate)} (SE {_short(r.se)})" for r in bad.itertuples())
        flags.append(RedFlag(
            "occasion_model_unreliable", "clv", "BG/BB parameters barely pinned down",
            f"{listed}: standard errors above half the estimate, so P(alive) and the expected purchases by "
            f"history pattern can move a lot with a few more {many} of data."))
    return flags


def rfm_alive_flag(comparison: dict[str, Any], lapsed: tuple[str, ...], model: str | None = None) -> list[RedFlag]:
    """Red flag when RFM calls customers lapsed whom the CLV model counts as likely active.

    ``comparison`` is :func:`cvkit.clv.diagnostics.rfm_vs_alive`.
    """
    if not comparison["disagree"]:
        return []
    names = _and(lapsed)
    return [RedFlag("rfm_alive_disagree", "segment", "RFM and P(alive) tell different stories",
                    f"RFM puts {comparison['share_lapsed']:.0%} of customers in {names}, yet the CLV model"
                    f"{' (' + _model_name(model) + ')' if model else ''} gives them a mean P(alive) of "
                    f"{comparison['mean_p_alive_lapsed']:.2f} (others {comparison['mean_p_alive_other']:.2f}). "
                    "Both are right about different things: RFM ranks customers against each other within this "
                    "log, so a fifth are always 'least recent' however recent they are; P(alive) is each "
                    "customer's own chance of still buying given their rhythm. Use RFM for who to contact first, "
                    "P(alive) and CLV for how many customers and how much value are at stake.")]


def _model_name(code: str) -> str:
    """A model code as a client reads it (``bg_nbd`` -> BG/NBD)."""
    from cvkit.present.glossary import value_label

    return str(value_label(code))


def _short(x: float) -> str:
    """A number in a sentence: 3 significant digits, never more than 3 decimals."""
    x = float(x)
    if abs(x) >= 100:
        return present.count(x)
    if 0 < abs(x) < 0.0005:
        return "under 0.001" if x > 0 else "above -0.001"
    digits = f"{round(x, 3):.3g}"
    # The decimals .3g kept, written with the engagement's decimal separator (0,452 in de_DE).
    decimals = len(digits.split(".")[1]) if "." in digits and "e" not in digits else 0
    return present.number(float(digits), decimals)


def run_flags(results_dir: str | Path) -> list[RedFlag]:
    """Every red flag the analyses of a run recorded in ``results/*.json``, in page order."""
    folder = Path(results_dir) / "results" if str(results_dir) else None
    if folder is None or not folder.is_dir():
        return []
    flags = []
    for path in sorted(folder.glob("*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        flags += [RedFlag(**f) for f in content.get("red_flags") or []]
    return flags


def to_markdown(flags: list[RedFlag], *, with_page: bool = False) -> str:
    """The flags as a markdown list (or a sentence saying there are none)."""
    if not flags:
        return "No red flags: nothing in this engagement's data limits what the pages claim beyond the usual."
    from cvkit.engagement.sanitize import escape_markdown

    lines = []
    for f in flags:
        page = f" ({_PAGES.get(f.page, f.page)})" if with_page else ""
        lines.append(f"- **{escape_markdown(f.title)}**{page}: {escape_markdown(f.detail)}")
    return "\n".join(lines)


def clv_page_flags(*, tx: Any, summary: pd.DataFrame, end: Any, horizon_months: float, time_unit: str,
                   chosen: str, purchase_model: Any, spend_model: Any, intervals: pd.DataFrame,
                   models: dict[str, type] | None = None, backend: Any = None) -> list[RedFlag]:
    """Every red flag of the CLV page, from the log, the summary and the fitted models.

    Parameters
    ----------
    tx : DataFrame, str, Path or Ibis table
        The transaction log (``customer_id``, ``date``), or the checked Parquet file / an Ibis
        table: then its first date comes from one query on ``backend`` (None: embedded DuckDB) and
        the customer counts from ``summary``.
    summary : DataFrame
        RFM summary of the whole log in the model's time unit.
    end : date-like
        End of observation (analysis date).
    horizon_months, time_unit :
        The CLV settings.
    chosen : str
        Name of the purchase model used; ``purchase_model`` and ``spend_model`` are fitted on
        ``summary``.
    intervals : DataFrame
        :func:`cvkit.clv.clv_interval` table (a ``total`` row with ``clv``, ``lower``, ``upper``).
    models : dict, optional
        Model classes by name (default :data:`cvkit.clv.MODELS`): a model that lets one-time buyers
        leave is fitted for comparison when ``chosen`` pins them.
    """
    from cvkit import clv

    models = models or clv.MODELS
    if isinstance(tx, pd.DataFrame):
        flags = _history_flag(tx["date"].min(), pd.Timestamp(end), {"horizon_months": horizon_months})
        flags += _thin_flags(customer_dates(tx))
    else:
        # The log on the engine gives only its first date (a streaming min); the customer counts come
        # from the summary of the whole log (frequency > 0: bought on more than one day), so no
        # per-customer aggregation of the log is needed here.
        flags = _history_flag(first_date(tx, backend), pd.Timestamp(end), {"horizon_months": horizon_months})
        flags += _thin_flags_counts(len(summary), int((summary["frequency"] > 0).sum()))
    history_units = float(summary["T"].max())
    unseen = max(1.0, round(history_units / 2))
    one_time = diagnostics.one_time_buyers_alive(summary, purchase_model, unseen=unseen)
    alternative = None
    if one_time["n_pinned"]:
        other = next((m for m in ("mbg_nbd", "pareto_nbd") if m != chosen and m in models), None)
        if other is not None:
            alt = diagnostics.one_time_buyers_alive(summary, models[other]().fit(summary), unseen=unseen)
            alternative = (other, alt["mean_p_alive_unseen"])
    estimates = pd.concat({chosen: purchase_model.summary(), "gamma_gamma": spend_model.summary()},
                          names=["model"]).reset_index()
    by_group = intervals.set_index("group")
    total = by_group.loc["total"] if "total" in by_group.index else by_group.iloc[-1]  # "all" without groups
    share = float((total["upper"] - total["lower"]) / 2 / total["clv"]) if total["clv"] else float("nan")
    if not getattr(purchase_model, "converged_", True):
        flags.append(RedFlag(
            "purchase_model_not_converged", "clv", "The purchase model did not converge",
            f"the {_model_name(chosen)} fit stopped at {_params_text(purchase_model)} without a clean maximum of "
            "the likelihood (no model compared converged, or the engagement set this one): the data do not pin "
            "its parameters down, so P(alive), expected purchases and CLV rest on an unstable fit. Check the log "
            "for customers who never stop buying at a steady rate (test accounts, resellers) and the time unit."))
    return flags + clv_flags(model=chosen, fitted_summary=estimates, one_time=one_time, alternative=alternative,
                             time_unit=time_unit, interval_share=share, unseen=unseen)


def _params_text(model: Any) -> str:
    return ", ".join(f"{k} = {_short(v)}" for k, v in model.params_.items())


def lapsed_segments(rfm: pd.DataFrame) -> tuple[str, ...]:
    """RFM segments whose customers are, on average, in the two least recent fifths (mean R score <= 2)."""
    mean_r = rfm.groupby(rfm["segment"].astype(str), observed=True)["r_score"].mean()
    return tuple(mean_r.index[mean_r <= 2])


def rfm_alive_reconciliation(rfm: pd.DataFrame, clv_table: pd.DataFrame) -> tuple[str, list[RedFlag]]:
    """One sentence putting the RFM view next to P(alive), and the red flag when they disagree.

    Parameters
    ----------
    rfm : DataFrame
        :func:`cvkit.segment.rfm_segments` (``customer_id``, ``segment``, ``r_score``).
    clv_table : DataFrame
        The CLV page's customer table (``customer_id``, ``p_alive``).
    """
    lapsed = lapsed_segments(rfm)
    comparison = diagnostics.rfm_vs_alive(rfm.set_index("customer_id")["segment"].astype(str),
                                          clv_table.set_index("customer_id")["p_alive"], lapsed)
    if not lapsed or not comparison["n_customers"]:
        return ("No RFM segment holds mainly the least recent customers, so the RFM and P(alive) views "
                "cannot contradict each other here."), []
    names = _and(lapsed)
    sentence = (f"RFM puts {comparison['share_lapsed']:.0%} of customers in {names}; the CLV model gives them a mean "
                f"P(alive) of {comparison['mean_p_alive_lapsed']:.2f}, against {comparison['mean_p_alive_other']:.2f} "
                "for the others. RFM ranks customers against each other (a fifth are always the least recent), "
                "P(alive) is each customer's own chance of still buying: use RFM to order contacts and P(alive) "
                "to count who is at stake.")
    return sentence, rfm_alive_flag(comparison, lapsed)


def _row_count(table: Any) -> int:
    """Rows of a data set: a DataFrame, a streamed table, or a checked Parquet path (its metadata only)."""
    if hasattr(table, "n_rows"):
        return int(table.n_rows)
    if isinstance(table, (str, Path)):
        import duckdb

        from cvkit.data.stream import relation

        return int(duckdb.sql(f"SELECT count(*) FROM {relation(table)}").fetchall()[0][0])
    return len(table)


def overview_flags(tables: dict[str, Any], *, analysis_date: Any, results_dir: str | Path) -> list[RedFlag]:
    """The overview's list: the data's own flags and every flag the run's pages recorded, once each.

    The rows intake excluded are read from the run's ``data/excluded.csv`` (beside ``results/``).
    """
    excluded = Path(results_dir) / "data" / "excluded.csv" if str(results_dir) else None
    counts = pd.DataFrame(columns=["kind", "reason", "count"])
    if excluded is not None and excluded.is_file():
        counts = _excluded_counts(excluded)
    kept = {kind: _row_count(t) for kind, t in tables.items()}
    seen: dict[str, RedFlag] = {}
    for flag in [*run_flags(results_dir), *data_flags(tables, analysis_date=analysis_date),
                 *exclusion_flags(kept, counts)]:
        seen.setdefault(flag.code, flag)
    return list(seen.values())


def _excluded_counts(path: Path) -> pd.DataFrame:
    """Rows of ``excluded.csv`` by data set and reason, counted by DuckDB over the file (it can hold
    millions of rows of a big log: only the counts come into memory)."""
    from cvkit.data.stream import duckdb_connection

    con = duckdb_connection()  # bounded memory, as intake's
    try:
        return con.execute(
            "SELECT kind, reason, count(*) AS count FROM read_csv(?, all_varchar = true) GROUP BY kind, reason "
            "ORDER BY kind, reason", [str(path)]).df()
    finally:
        con.close()


EXCLUDED_SHARE = 0.01  # the overview's "more than about 1% of a data set excluded"


def exclusion_flags(kept: dict[str, int], excluded: pd.DataFrame) -> list[RedFlag]:
    """A flag when intake excluded more than 1% of a data set's rows (policy ``exclude``).

    Parameters
    ----------
    kept : dict of str to int
        Rows kept per data set (``transactions``, ``customers``, ...).
    excluded : pandas.DataFrame
        Rows excluded by data set and reason: ``kind``, ``reason``, ``count``
        (:meth:`cvkit.data.Intake.excluded`).

    Returns
    -------
    list of RedFlag
        At most one ``many_excluded`` flag naming each data set above the threshold and its reasons.
    """
    parts = []
    for kind, rows in excluded.groupby("kind", sort=True):
        n = int(rows["count"].sum())
        total = n + int(kept.get(kind, 0))
        if total and n / total > EXCLUDED_SHARE:
            rows = rows.sort_values("count", ascending=False, kind="stable")
            reasons = ", ".join(f"{r.reason} {_n(r.count)}" for r in rows.itertuples())
            parts.append(f"{kind}: {_n(n)} of {_n(total)} rows ({n / total:.1%}; {reasons})")
    if not parts:
        return []
    return [RedFlag("many_excluded", "overview", "Many rows excluded at intake",
                    f"The intake policy removed {'; '.join(parts)}. The analyses use the rest, so they describe "
                    "the kept rows only: ask the client why these rows break the rules, and check in excluded.csv "
                    "that they are not a group the analyses need (e.g. returns that should net against purchases).")]


_INDIVIDUAL = {"hb": "hierarchical Bayes", "latent_class": "latent class", "mixed": "mixed logit"}


def choice_flags(*, not_identified: str | None, asked: list[str], method_used: str,
                 convergence: dict[str, Any] | None, price: dict[str, Any] | None, price_unit: str,
                 holdout: dict[str, Any] | None, variation: pd.DataFrame | None) -> list[RedFlag]:
    """Red flags of the choice page, from the numbers of :mod:`cvkit.choice.fit_checks`.

    Parameters
    ----------
    not_identified : str or None
        :func:`cvkit.choice.respondent_level_reason` (why HB/latent class cannot be identified).
    asked : list of str
        Methods the config asked for (``method``, ``compare_methods`` and ``latent_class`` when
        classes were requested).
    method_used : str
        The model the page reports.
    convergence, price, holdout : dict, optional
        :func:`~cvkit.choice.fit_checks.hb_convergence`, :func:`~cvkit.choice.fit_checks.price_coefficient`,
        :func:`~cvkit.choice.fit_checks.holdout_strength`.
    price_unit : str
        The price's unit (WTP is in it).
    variation : DataFrame, optional
        :func:`~cvkit.choice.fit_checks.within_task_variation`.
    """
    flags: list[RedFlag] = []
    skipped = [_INDIVIDUAL[m] for m in dict.fromkeys(asked) if m in _INDIVIDUAL]
    if not_identified and skipped:
        flags.append(RedFlag("respondent_level_skipped", "choice", "Respondent-level models not identified",
                             f"{_and(skipped)} {'was' if len(skipped) == 1 else 'were'} asked for, but "
                             f"{not_identified}. The page reports one set of part-worths for the whole sample: no "
                             "individual part-worths, no classes of respondents and no choice-based segments. "
                             "Ask several choice tasks of each respondent in the next wave to see who differs."))
    if method_used == "hb" and convergence and not convergence["converged"]:
        flags.append(RedFlag("hb_not_converged", "choice", "Hierarchical Bayes did not converge",
                             f"after {convergence['iterations']:,} iterations the largest R-hat is "
                             f"{convergence['max_rhat']:.3f} ({convergence['worst_parameter']}; should be below 1.05) "
                             f"and the smallest effective sample {convergence['min_ess']:.0f} draws: the chains have not "
                             "agreed, so part-worths, importances and WTP may still move. Raise "
                             "analyses.discrete_choice.iterations, or read the aggregate logit's figures."))
    flags += _price_flags(price, price_unit)
    if holdout and holdout["weak"]:
        flags.append(RedFlag("weak_holdout", "choice", "The model predicts held-out choices poorly",
                             f"on the {holdout['n_tasks']:,} holdout choices it picks the chosen alternative "
                             f"{holdout['hit_rate']:.0%} of the time, against {holdout['chance']:.0%} by chance "
                             f"({holdout['lift']:.2f} times chance): shares and recommendations from the simulator "
                             "are rough; check the holdout task and the specification."))
    if variation is not None and len(variation):
        flat = variation[variation["share_tasks_varying"] < 0.05]
        if len(flat):
            listed = _and([f"{r.attribute} ({r.share_tasks_varying:.0%} of tasks)" for r in flat.itertuples()])
            flags.append(RedFlag("attribute_not_varying", "choice", "Attributes that hardly vary within a task",
                                 f"{listed}: respondents almost never chose between alternatives that differed on "
                                 "them, so their part-worths and importance rest on very few (or no) trade-offs; "
                                 "do not read them as what customers value."))
    return flags


def _price_flags(price: dict[str, Any] | None, unit: str) -> list[RedFlag]:
    if price is None:
        return []
    if not price["negative"]:
        return [RedFlag("price_not_negative", "choice", "Higher prices look attractive",
                        f"the coefficient of {price['attribute']} is {price['slope']:.4g} utility per {unit} (not "
                        "negative), so willingness to pay is meaningless and is not shown; check how the price was "
                        "coded, or whether the price acted as a quality signal.")]
    if not price["significant"]:
        return [RedFlag("price_not_significant", "choice", "Willingness to pay rests on a price effect not told "
                        "apart from zero", f"the coefficient of {price['attribute']} is {price['slope']:.4g} utility "
                        f"per {unit} with a standard error of {price['se']:.2g} (z = {price['z']:.1f}): "
                        "dividing by it gives willingness-to-pay figures that are huge and unstable. Read the "
                        "simulator's shares instead, or widen the price range in the next design.")]
    return []


def choice_page_flags(*, model: Any, u: Any, data: Any, method: str, compare_methods: list[str],
                      max_classes: int, not_identified: str | None, method_used: str,
                      price_unit: str) -> list[RedFlag]:
    """Every red flag of the choice page, computed from the data and the fitted model.

    Parameters
    ----------
    model : fitted choice estimator or None
        The model the page reports (None for imported utilities).
    u : cvkit.choice.Utilities
        Its utilities.
    data : cvkit.choice.ChoiceData or None
        The estimation data (None for imported utilities).
    method, compare_methods, max_classes :
        What the config asked for.
    not_identified, method_used :
        Why respondent-level models were skipped (or None) and the model reported.
    price_unit : str
        Unit of the price (WTP is in it).
    """
    from cvkit.choice import fit_checks

    asked = [method, *compare_methods] + (["latent_class"] if max_classes >= 2 else [])
    return choice_flags(
        not_identified=not_identified, asked=asked, method_used=method_used,
        convergence=fit_checks.hb_convergence(model) if method_used == "hb" and model is not None else None,
        price=fit_checks.price_coefficient(u), price_unit=price_unit,
        holdout=fit_checks.holdout_strength(model) if model is not None else None,
        variation=fit_checks.within_task_variation(data) if data is not None else None)
