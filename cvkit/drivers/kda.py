"""Key driver analysis estimator and the two-level driver tree."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.axes
import numpy as np
import pandas as pd

from cvkit._threads import one_blas_thread
from cvkit.estimator import check_is_fitted
from cvkit.exceptions import DataError, FitError, Problem
from cvkit.drivers.importance import (bootstrap_counts, check_correlation, relative_weights, shapley_exact,
                                      shapley_sampled, standardized_betas, weighted_corr)
from cvkit.plot.axes import axes_or_new

__all__ = ["KeyDriverAnalysis", "DriverTree", "check_ratings"]

MEASURES = {
    "shapley": "Shapley / LMG share of R²",
    "relative_weight": "Johnson's relative weight",
    "beta": "standardised beta",
    "correlation": "correlation with the outcome",
}


def check_ratings(df: pd.DataFrame, columns: Sequence[str], scale: tuple[float, float] | None,
                  file: str = "survey") -> list[Problem]:
    """Problems with rating columns: absent, not numeric, or outside ``scale``.

    Returns the list of :class:`~cvkit.data.errors.Problem` (empty when fine),
    so callers can report everything at once.
    """
    problems: list[Problem] = []
    absent = [c for c in columns if c not in df.columns]
    if absent:
        problems.append(Problem(file, f"column(s) {absent} are not in the data.",
                                f"check the column names (available: {list(df.columns)[:40]})"))
    present = [c for c in columns if c in df.columns]
    if present and all(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
                       for c in present):
        # Fast path for numeric columns: one vectorised range check, details only for offenders.
        X = df[present].to_numpy(dtype=float, na_value=np.nan)
        bad = (X < scale[0]) | (X > scale[1]) if scale is not None else np.zeros(X.shape, bool)
        present = [c for c, b in zip(present, bad.any(axis=0)) if b]
    for c in present:
        col = df[c]
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna()
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
            problems.append(Problem(file, f"{int(bad.sum())} non-numeric value(s), e.g. {col[bad].iloc[0]!r}.",
                                    "recode them as numbers or leave them empty", column=c, rows=rows[:5],
                                    n_rows=int(bad.sum())))
        if scale is not None:
            out = (num < scale[0]) | (num > scale[1])
            if out.any():
                rows = (np.flatnonzero(out.to_numpy()) + 1).tolist()
                problems.append(Problem(
                    file, f"{int(out.sum())} rating(s) outside the {scale[0]:g}-{scale[1]:g} scale "
                    f"(e.g. {num[out].iloc[0]:g}).", "check the scale of this question and recode, or set "
                    "the bad values to missing", column=c, rows=rows[:5], n_rows=int(out.sum())))
    return problems


def _check_columns(df, outcome, drivers, weights, cluster, driver_scale, outcome_scale) -> None:
    """The driver list is well formed and every column exists with ratings on scale (else DataError)."""
    if not drivers:
        raise ValueError("drivers is empty; fix: give at least one driver column")
    if len(set(drivers)) != len(drivers):
        dup = sorted({d for d in drivers if drivers.count(d) > 1})
        raise ValueError(f"drivers {dup} are listed twice; fix: list each driver once")
    if outcome in drivers:
        raise ValueError(f"the outcome {outcome!r} is also in the driver list; fix: remove it from drivers")
    problems = check_ratings(df, drivers, driver_scale) + check_ratings(df, [outcome], outcome_scale)
    for extra in (weights, cluster):
        if extra is not None and extra not in df.columns:
            problems.append(Problem("survey", f"column {extra!r} is not in the data.",
                                    "pass an existing column or None"))
    if problems:
        raise DataError(problems)


class KeyDriverAnalysis:
    """Derived importance of driver ratings for an outcome, with bootstrap intervals.

    Parameters
    ----------
    n_boot : int, default 500
        Bootstrap resamples for the intervals (0 = no intervals). Resampling is
        by cluster (respondent) when ``cluster`` is given to :meth:`fit`.
    level : float, default 0.95
        Interval level (percentile intervals).
    missing : {"listwise", "pairwise"}, default "listwise"
        Listwise drops every row with a missing driver; pairwise computes each
        correlation from the rows where both ratings exist (keeps more data, but
        the correlation matrix can become inconsistent, which is then reported).
        Rows with a missing outcome are always dropped.
    exact_limit : int, default 20
        Up to this many drivers Shapley values are exact (``2**p`` subsets;
        20 drivers take about a second; at most 22). Above it they are estimated from
        ``n_permutations`` random orders with a Monte Carlo standard error.
    n_permutations : int, default 4000
    boot_shapley_limit : int, default 12
        Bootstrap intervals for Shapley values are computed up to this many
        drivers (each resample needs all subsets); above it, the Shapley
        interval columns are empty and :attr:`notes_` says so, while the
        relative weights, which track Shapley closely, keep their intervals.
    boot_permutations : int, default 0
        Above ``boot_shapley_limit``: when > 0, each bootstrap resample gets
        sampled Shapley values from this many random orders, so the Shapley
        shares keep a bootstrap interval; its Monte Carlo part (the largest
        per-resample MC SE) is reported in :attr:`notes_` and in
        ``shapley_boot_mc_se``. 0 keeps the interval columns empty.
    driver_scale, outcome_scale : (low, high) or None, default (0, 10)
        Allowed rating ranges; values outside raise :class:`DataError`.
    seed : int, optional
        Seed for bootstrap and permutation sampling.

    Attributes
    ----------
    importance_ : DataFrame
        One row per driver (index = driver name), sorted by Shapley value:
        ``shapley`` (R^2 units), ``shapley_pct`` (% of R^2), ``relative_weight``,
        ``relative_weight_pct``, ``beta``, ``correlation``, each measure with
        ``_lower``/``_upper`` interval bounds at ``level`` (and ``shapley_pct_lower``... for the % shares), ``sign`` (+1/-1 from the full
        regression), ``rank`` and, when sampled, ``shapley_mc_se``.
    r2_ : float
        R^2 of the full regression.
    r2_ci_ : tuple of float
        Bootstrap interval of R^2 (NaNs when ``n_boot = 0``).
    counts_ : dict
        Row accounting: ``rows``, ``missing_outcome``, ``zero_weight`` (rows with a
        zero respondent weight), ``missing_drivers`` (listwise drops), ``used``
        (= rows - missing_outcome - zero_weight - missing_drivers), ``min_pairwise_n``
        and ``clusters`` (respondents resampled by the bootstrap).
    shapley_method_ : str
        ``"exact"`` or ``"sampled"``.
    corr_ : DataFrame
        Correlation matrix used (drivers then outcome).
    notes_ : list of str
        Caveats an analyst should read (small sample, sampled Shapley, ...).
    """

    def __init__(self, *, n_boot: int = 500, level: float = 0.95, missing: str = "listwise",
                 exact_limit: int = 20, n_permutations: int = 4000, boot_shapley_limit: int = 12,
                 boot_permutations: int = 0, driver_scale: tuple[float, float] | None = (0, 10),
                 outcome_scale: tuple[float, float] | None = (0, 10), seed: int | None = None):
        self.n_boot, self.level, self.missing = n_boot, level, missing
        self.exact_limit, self.n_permutations = exact_limit, n_permutations
        self.boot_shapley_limit, self.boot_permutations = boot_shapley_limit, boot_permutations
        self.driver_scale, self.outcome_scale, self.seed = driver_scale, outcome_scale, seed

    # ------------------------------------------------------------------ fitting
    def _check_settings(self) -> None:
        if self.missing not in ("listwise", "pairwise"):
            raise ValueError(f"missing={self.missing!r} is unknown; fix: use 'listwise' or 'pairwise'")
        if not 0 < self.level < 1:
            raise ValueError(f"level={self.level} must be between 0 and 1, e.g. 0.95")
        if self.exact_limit > 22:
            raise ValueError(f"exact_limit={self.exact_limit} would need 2**{self.exact_limit} subset regressions "
                             "(memory grows as 2**p); use at most 22 (above, Shapley values are sampled)")

    def fit(self, df: pd.DataFrame, outcome: str, drivers: Sequence[str], *, weights: str | None = None,
            cluster: str | None = None) -> KeyDriverAnalysis:
        """Estimate the importances.

        Parameters
        ----------
        df : DataFrame
            One row per response; stacked respondent x brand data is fine (give
            ``cluster="respondent_id"`` so the bootstrap resamples respondents).
        outcome : str
            Outcome column (e.g. ``"nps"``, ``"satisfaction"``, ``"overall_value"``).
        drivers : sequence of str
            Driver rating columns.
        weights : str, optional
            Column of respondent weights (>= 0).
        cluster : str, optional
            Column identifying respondents for the cluster bootstrap.

        Returns
        -------
        self

        Raises
        ------
        DataError
            Missing columns, ratings out of scale, bad weights, no usable rows.
        FitError
            Fewer responses than drivers + 2, a constant outcome or driver, perfectly collinear
            drivers, an outcome computed from the drivers: the importances cannot be estimated.
        """
        self._check_settings()
        drivers = list(drivers)
        _check_columns(df, outcome, drivers, weights, cluster, self.driver_scale, self.outcome_scale)
        data, w, clusters, counts = self._usable_rows(df, outcome, drivers, weights, cluster)
        notes = []
        p = len(drivers)
        if counts["used"] < 10 * p:
            notes.append(f"only {counts['used']} responses for {p} drivers (< 10 per driver): importances "
                         "are unstable, read the intervals")
        R = self._correlations(data, w, outcome, drivers, counts)
        rng = np.random.default_rng(self.seed)
        imp, r2, mc_se = self._point_estimates(R, drivers, rng, notes)
        boot_r2 = self._add_intervals(imp, data, w, clusters, rng, notes) if self.n_boot > 0 else None
        self._store(imp, r2, mc_se, boot_r2, counts, R, notes, outcome, drivers)
        return self

    def _usable_rows(self, df, outcome, drivers, weights, cluster):
        """The rows the analysis uses (outcome present, weight > 0, complete drivers if listwise)."""
        data = df[drivers + [outcome]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        w = np.ones(len(df)) if weights is None else pd.to_numeric(df[weights], errors="coerce").to_numpy(float)
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise DataError(Problem("survey", "weights must be finite numbers >= 0.",
                                    "fill or fix the weight column", column=weights))
        counts = {"rows": len(df)}
        keep = ~np.isnan(data[:, -1]) & (w > 0)
        counts["missing_outcome"] = int(np.isnan(data[:, -1]).sum())
        counts["zero_weight"] = int((~np.isnan(data[:, -1]) & (w == 0)).sum())
        if self.missing == "listwise":
            complete = ~np.isnan(data[:, :-1]).any(axis=1)
            counts["missing_drivers"] = int((keep & ~complete).sum())
            keep &= complete
        else:
            counts["missing_drivers"] = 0
        data, w = data[keep], w[keep]
        clusters = None if cluster is None else df[cluster].to_numpy()[keep]
        counts["used"] = int(keep.sum())
        counts["clusters"] = int(pd.Series(clusters).nunique()) if clusters is not None else counts["used"]
        p = len(drivers)
        if counts["used"] == 0:
            raise DataError(Problem("survey", f"no row has the outcome {outcome!r} and all drivers "
                                    f"({counts['missing_outcome']} rows miss the outcome, "
                                    f"{counts['missing_drivers']} miss a driver).",
                                    "check the outcome column, or use missing='pairwise'", column=outcome))
        if counts["used"] < p + 2:
            raise FitError(f"survey: only {counts['used']} usable responses for {p} drivers; a regression needs "
                           f"at least {p + 2} (and about 10 per driver to be stable). Fix: use fewer drivers "
                           "(e.g. the pyramid level scores) or collect more responses")
        return data, w, clusters, counts

    def _correlations(self, data, w, outcome, drivers, counts) -> np.ndarray:
        """The (weighted, listwise or pairwise) correlation matrix, drivers then outcome, checked."""
        R, npairs = weighted_corr(data, w, pairwise=self.missing == "pairwise")
        counts["min_pairwise_n"] = int(npairs.min())
        check_correlation(R[:-1, :-1], drivers)
        if np.isnan(R[-1, -1]):
            raise FitError(f"survey, column {outcome!r}: the outcome has no variance (everyone gave the same "
                           "answer), so there is nothing to explain. Fix: choose an outcome respondents answered "
                           "differently")
        if np.isnan(R[-1]).any():
            bad = [drivers[i] for i in np.flatnonzero(np.isnan(R[-1, :-1]))]
            raise DataError(Problem("survey", f"no response has both the outcome and driver(s) {bad}.",
                                    "drop these drivers", column=outcome))
        smallest = np.linalg.eigvalsh(R)[0]
        if smallest < -1e-10:
            raise FitError("survey: the pairwise correlation matrix is not positive definite (too much missing "
                           "data in different places). Fix: use missing='listwise' or drop the drivers with most "
                           "missing values")
        if smallest < 1e-12:
            raise FitError(f"survey, column {outcome!r}: the outcome is an exact linear combination of the "
                           "drivers (R^2 = 1): it is probably computed from them. Fix: use an outcome measured "
                           "separately (e.g. likelihood to recommend)")
        return R

    def _point_estimates(self, R, drivers, rng, notes) -> tuple[pd.DataFrame, float, np.ndarray | None]:
        """Shapley (exact or sampled), relative weights, betas and correlations; R^2; the Shapley MC SE."""
        p = len(drivers)
        self.shapley_method_ = "exact" if p <= self.exact_limit else "sampled"
        beta = standardized_betas(R)
        r2 = float(beta @ R[:-1, -1])
        if self.shapley_method_ == "exact":
            shap, mc_se = shapley_exact(R), None
        else:
            shap, mc_se = shapley_sampled(R, self.n_permutations, rng)
            notes.append(f"{p} drivers > exact limit {self.exact_limit}: Shapley values estimated from "
                         f"{self.n_permutations} random orders (Monte Carlo standard error at most "
                         f"{np.max(mc_se):.1e})")
        imp = pd.DataFrame(index=pd.Index(drivers, name="driver"))
        imp["shapley"] = shap
        imp["relative_weight"] = relative_weights(R)
        imp["beta"] = beta
        imp["correlation"] = R[:-1, -1]
        return imp, r2, mc_se

    def _add_intervals(self, imp, data, w, clusters, rng, notes) -> np.ndarray:
        """Bootstrap percentile intervals (``<measure>_lower``/``_upper``) added to ``imp``; R^2 per resample."""
        p = len(imp)
        boot, boot_r2, note = self._bootstrap(data, w, clusters, p, rng)
        notes += note
        alpha = (1 - self.level) / 2
        nan = (np.full(p, np.nan), np.full(p, np.nan))
        for k, v in boot.items():
            lo, hi = np.quantile(v, [alpha, 1 - alpha], axis=0) if v is not None else nan
            imp[f"{k}_lower"], imp[f"{k}_upper"] = lo, hi
            if k in ("shapley", "relative_weight"):
                # The % of R^2 interval comes from each resample's own shares, not from dividing
                # the share interval by the point R^2.
                lo, hi = (np.quantile(100 * v / boot_r2[:, None], [alpha, 1 - alpha], axis=0)
                          if v is not None else nan)
                imp[f"{k}_pct_lower"], imp[f"{k}_pct_upper"] = lo, hi
        return boot_r2

    def _store(self, imp, r2, mc_se, boot_r2, counts, R, notes, outcome, drivers) -> None:
        """Shares of R^2, signs and ranks; the fitted attributes."""
        p = len(drivers)
        for k in ("shapley", "relative_weight"):
            imp[f"{k}_pct"] = 100 * imp[k] / r2
        if mc_se is not None:
            imp["shapley_mc_se"] = mc_se
        if getattr(self, "boot_mc_se_", None) is not None and len(self.boot_mc_se_) == p:
            imp["shapley_boot_mc_se"] = self.boot_mc_se_
        imp["sign"] = np.where(imp["beta"].to_numpy() < 0, -1, 1)
        imp = imp.sort_values("shapley", ascending=False)
        imp["rank"] = np.arange(1, p + 1)
        imp.attrs["level"] = self.level
        self.importance_ = imp
        self.r2_ = r2
        if boot_r2 is not None:
            alpha = (1 - self.level) / 2
            self.r2_ci_ = tuple(float(x) for x in np.quantile(boot_r2, [alpha, 1 - alpha]))
        else:
            self.r2_ci_ = (np.nan, np.nan)
        self.counts_ = counts
        self.n_obs_ = counts["used"]
        self.corr_ = pd.DataFrame(R, index=drivers + [outcome], columns=drivers + [outcome])
        self.notes_ = notes
        self.outcome_, self.drivers_ = outcome, drivers

    def _bootstrap(self, data, w, clusters, p, rng):
        self.boot_mc_se_ = None
        counts = bootstrap_counts(len(data), self.n_boot, rng, clusters)
        Rb, _ = weighted_corr(data, w[None, :] * counts, pairwise=self.missing == "pairwise")
        # A resample can lose all variance of a rarely used rating; such resamples are set aside.
        ok = np.isfinite(Rb).all(axis=(1, 2))
        with one_blas_thread():
            ok[ok] = np.linalg.eigvalsh(Rb[ok, :-1, :-1])[:, 0] > 1e-10
        notes = []
        if (~ok).sum():
            notes.append(f"{int((~ok).sum())} of {self.n_boot} bootstrap resamples had a constant or collinear "
                         "driver and were left out of the intervals")
        Rb = Rb[ok]
        beta = standardized_betas(Rb)
        out = {"relative_weight": relative_weights(Rb), "beta": beta, "correlation": Rb[:, :-1, -1],
               "shapley": None}
        if p <= min(self.boot_shapley_limit, self.exact_limit):
            out["shapley"] = shapley_exact(Rb)
        elif self.boot_permutations > 0:
            # Bootstrap on sampled Shapley: each resample's values carry Monte Carlo noise on top of the
            # sampling variation the bootstrap measures; it is small next to it and reported.
            runs = [shapley_sampled(r, self.boot_permutations, rng) for r in Rb]
            out["shapley"] = np.array([phi for phi, _ in runs])
            self.boot_mc_se_ = np.max([se for _, se in runs], axis=0)
            notes.append(f"Shapley intervals above {self.boot_shapley_limit} drivers: bootstrap on sampled Shapley "
                         f"({self.boot_permutations} orders per resample); Monte Carlo SE per resample at most "
                         f"{np.max(self.boot_mc_se_):.1e} (R^2 units), included in the interval width")
        else:
            notes.append(f"no bootstrap interval for Shapley values with {p} drivers (> boot_shapley_limit "
                         f"{self.boot_shapley_limit}); use the relative-weight intervals, which track them")
        return out, np.einsum("bi,bi->b", beta, Rb[:, :-1, -1]), notes

    # ------------------------------------------------------------------ presentation
    def _check_fitted(self) -> None:
        check_is_fitted(self, "importance_")

    def summary(self, labels: dict[str, str] | None = None) -> pd.DataFrame:
        """Readable table: rank, share of R^2 (%) with interval, relative weight (%) with interval, beta, sign.

        Interval columns (``*_pct_lower``/``*_pct_upper`` at ``attrs["level"]``) are present when the analysis was
        bootstrapped; the Shapley ones are empty above ``boot_shapley_limit`` drivers.

        Parameters
        ----------
        labels : dict, optional
            Display names for drivers (e.g. element slug -> name).
        """
        self._check_fitted()
        imp = self.importance_
        out = pd.DataFrame({
            "driver": [(labels or {}).get(d, d) for d in imp.index],
            "rank": imp["rank"].to_numpy(),
            "share_of_r2_pct": imp["shapley_pct"].to_numpy(),
        })
        for k, name in (("shapley", "share_of_r2"), ("relative_weight", "relative_weight")):
            if f"{k}_pct_lower" in imp:
                out[f"{name}_pct_lower"] = imp[f"{k}_pct_lower"].to_numpy()
                out[f"{name}_pct_upper"] = imp[f"{k}_pct_upper"].to_numpy()
            if k == "shapley":
                out["relative_weight_pct"] = imp["relative_weight_pct"].to_numpy()
        if "shapley_mc_se" in imp:
            out["shapley_mc_se_pct"] = 100 * imp["shapley_mc_se"].to_numpy() / self.r2_
        out["shapley"] = imp["shapley"].to_numpy()
        out["relative_weight"] = imp["relative_weight"].to_numpy()
        out["beta"] = imp["beta"].to_numpy()
        out["correlation"] = imp["correlation"].to_numpy()
        out["sign"] = np.where(imp["sign"].to_numpy() > 0, "+", "-")
        out.attrs["level"] = self.level
        return out

    def plot(self, ax: matplotlib.axes.Axes | None = None, *, measure: str = "shapley", top: int | None = 15,
             labels: dict[str, str] | None = None, color: str | None = None) -> matplotlib.axes.Axes:
        """Horizontal bars of importance (% of R^2) with bootstrap intervals.

        Parameters
        ----------
        ax : Axes, optional
        measure : {"shapley", "relative_weight"}
        top : int or None
            Show only the most important drivers.
        labels : dict, optional
            Display names.
        color : str, optional
            Bar colour (default the house accent).

        Returns
        -------
        Axes
        """
        self._check_fitted()
        if measure not in ("shapley", "relative_weight"):
            raise ValueError(f"measure={measure!r}; fix: use 'shapley' or 'relative_weight'")
        from cvkit.plot import ACCENT
        imp = self.importance_.sort_values(measure, ascending=False)
        if top:
            imp = imp.head(top)
        ax = axes_or_new(ax, (8, 0.35 * len(imp) + 1.2))
        names = [(labels or {}).get(d, d) + (" (-)" if s < 0 else "") for d, s in zip(imp.index, imp["sign"])]
        y = np.arange(len(imp))[::-1]
        pct = 100 * imp[measure] / self.r2_
        ax.barh(y, pct, color=color or ACCENT)
        if f"{measure}_pct_lower" in imp and imp[f"{measure}_pct_lower"].notna().all():
            lo, hi = imp[f"{measure}_pct_lower"], imp[f"{measure}_pct_upper"]
            ax.errorbar(pct, y, xerr=[pct - lo, hi - pct], fmt="none", ecolor="black", elinewidth=1, capsize=2)
        ax.set_yticks(y, names)
        ax.set_xlabel(f"share of explained variance (% of R² = {self.r2_:.2f})")
        ax.set_title(f"What drives {self.outcome_}: {MEASURES[measure]}")
        return ax


class DriverTree:
    """Two-level driver tree: outcome <- perception drivers <- attribute ratings.

    Customer-value management reads overall value as the result of perceived
    quality and perceived price, each in turn driven by attribute ratings.
    Each level is a :class:`KeyDriverAnalysis`.

    Parameters
    ----------
    **kda_options
        Passed to each :class:`KeyDriverAnalysis` (``n_boot``, ``seed``, ...).

    Attributes
    ----------
    top_ : KeyDriverAnalysis
        Outcome on the mediators.
    branches_ : dict of str -> KeyDriverAnalysis
        Each mediator on the attribute ratings.
    table_ : DataFrame
        Long table ``level, parent, node, share (R^2 units), pct_of_parent_r2, sign,
        parent_r2``; level 1 rows are mediators, level 2 attributes.
    """

    def __init__(self, **kda_options):
        self.kda_options = kda_options

    def fit(self, df: pd.DataFrame, outcome: str = "overall_value",
            mediators: Sequence[str] = ("perceived_quality", "perceived_price"),
            drivers: Sequence[str] = (), *, weights: str | None = None, cluster: str | None = None) -> DriverTree:
        """Fit both levels; see :meth:`KeyDriverAnalysis.fit` for the arguments and errors."""
        if not drivers:
            raise ValueError("drivers is empty; fix: give the attribute rating columns for the second level")
        self.top_ = KeyDriverAnalysis(**self.kda_options).fit(df, outcome, list(mediators), weights=weights,
                                                              cluster=cluster)
        self.branches_ = {m: KeyDriverAnalysis(**self.kda_options).fit(df, m, list(drivers), weights=weights,
                                                                        cluster=cluster)
                          for m in mediators}
        rows = []
        for med, r in self.top_.importance_.iterrows():
            rows.append(dict(level=1, parent=outcome, node=med, share=r["shapley"],
                             pct_of_parent_r2=r["shapley_pct"], sign=int(r["sign"]), parent_r2=self.top_.r2_))
        for med, k in self.branches_.items():
            for d, r in k.importance_.iterrows():
                rows.append(dict(level=2, parent=med, node=d, share=r["shapley"], pct_of_parent_r2=r["shapley_pct"],
                                 sign=int(r["sign"]), parent_r2=k.r2_))
        self.table_ = pd.DataFrame(rows)
        self.outcome_ = outcome
        return self

    def plot(self, ax: matplotlib.axes.Axes | None = None, *, top: int = 5,
             labels: dict[str, str] | None = None) -> matplotlib.axes.Axes:
        """Draw the tree: outcome on the left, mediators, then each mediator's top attributes.

        Each box shows the node's share of its parent's R^2 (%) and the sign of
        its effect; the parent boxes show their R^2.

        Returns
        -------
        Axes
        """
        check_is_fitted(self, "table_")
        from cvkit.plot import ACCENT
        lab = labels or {}
        meds = list(self.branches_)
        leaves = {m: self.branches_[m].importance_.head(top) for m in meds}
        n_leaves = sum(len(v) for v in leaves.values())
        ax = axes_or_new(ax, (10, 0.45 * n_leaves + 1.5))
        ax.set_axis_off()
        ys, y = {}, n_leaves - 0.5
        box = dict(boxstyle="round,pad=0.3", fc="white", ec=ACCENT)
        for m in meds:
            leaf_y = []
            for d, r in leaves[m].iterrows():
                sign = "+" if r["sign"] > 0 else "−"
                ax.text(0.72, y, f"{lab.get(d, d)}  {sign}{r['shapley_pct']:.0f}%", va="center", ha="left",
                        fontsize=9, bbox=box)
                leaf_y.append(y)
                ys[(m, d)] = y
                y -= 1
            my = float(np.mean(leaf_y))
            ys[m] = my
            top_row = self.top_.importance_.loc[m]
            sign = "+" if top_row["sign"] > 0 else "−"
            ax.text(0.38, my, f"{lab.get(m, m)}  {sign}{top_row['shapley_pct']:.0f}%\nR² = {self.branches_[m].r2_:.2f}",
                    va="center", ha="left", fontsize=10, bbox=box)
            for ly in leaf_y:
                ax.plot([0.62, 0.715], [my, ly], color="0.7", lw=1)
        oy = float(np.mean([ys[m] for m in meds]))
        ax.text(0.0, oy, f"{lab.get(self.outcome_, self.outcome_)}\nR² = {self.top_.r2_:.2f}", va="center",
                ha="left", fontsize=11, fontweight="bold", bbox=dict(box, ec="black"))
        for m in meds:
            ax.plot([0.2, 0.375], [oy, ys[m]], color="0.5", lw=1.5)
        ax.set_xlim(0, 1.05)
        ax.set_ylim(-1, n_leaves)
        ax.set_title(f"Driver tree: what makes {lab.get(self.outcome_, self.outcome_)} (share of R², sign of effect)")
        return ax
