"""The demo engagement: a synthetic, linked data set with known (planted) truths.

"Demo Retail" is a fictional retailer (client slug ``demo``, currency EUR, analysis
date 2026-06-30) considering a paid membership programme. Three hidden needs
segments (``convenience``, ``price``, ``experience``) drive every data set:

* ``customers`` (5,000): acquisition date, channel, acquisition cost, region, age band;
  channel and demographics depend mildly on the segment.
* ``transactions``: BG/NBD purchase process plus Gamma-Gamma spend, with parameters
  per segment (time in days, money in EUR). Customers are acquired 2024-07-01 to
  2026-03-31 (so everyone has at least three months of history); the first purchase
  is on the acquisition date. With no acquisitions in the last quarter and ongoing
  churn, monthly volume dips from April 2026: a property of the design, not a bug.
* ``survey`` (1,500 respondents x 3-4 brands): the 30 elements of value, NPS,
  satisfaction, perceived quality and price, and overall value, generated from
  known driver weights (a two-level driver tree for value).
* ``needs`` (one row per survey respondent): importance of the 30 elements, with
  segment-specific profiles and respondent scale-use bias.
* ``choice`` (600 respondents x 12 tasks x 3 concepts + none): membership concepts
  chosen under a mixed MNL with segment-specific part-worths.

The generator is deterministic: the same seed gives byte-identical CSV files. Each
data set draws from its own child stream of ``numpy.random.SeedSequence(seed)``, so
changing how one data set is generated does not change the others.

All planted numbers live in :mod:`cvkit.datasets._demo_params` and are returned in
:class:`DemoTruth`; see that module's docstring for units and the part-worth coding.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import cvkit
from cvkit.datasets import _demo_params as P
from cvkit.datasets.demo_campaigns import make_campaigns
from cvkit.datasets.demo_subscriptions import make_subscriptions
from cvkit.datasets.demo_maxdiff import make_maxdiff
from cvkit.resources import load_elements

__all__ = [
    "DEMO_KINDS",
    "DemoEngagement",
    "DemoTruth",
    "demo_file",
    "make_demo",
]

#: Data sets of the demo engagement, in the order they are written.
DEMO_KINDS: tuple[str, ...] = ("customers", "transactions", "survey", "needs", "choice", "maxdiff", "campaigns",
                               "responses", "subscriptions")

ANALYSIS_DATE = pd.Timestamp("2026-06-30")
ACQUISITION_START = pd.Timestamp("2024-07-01")
ACQUISITION_END = pd.Timestamp("2026-03-31")
N_CUSTOMERS = 5000
N_RESPONDENTS = 1500
N_CHOICE_RESPONDENTS = 600

_STR = "str"  # pandas' default string dtype (pandas >= 3)


# ---------------------------------------------------------------------------------------
# Truth and engagement containers
# ---------------------------------------------------------------------------------------
@dataclass
class DemoTruth:
    """The planted truths behind the demo engagement.

    Attributes
    ----------
    segments : tuple of str
        Segment names, ``("convenience", "price", "experience")``.
    segment_shares : dict of str to float
        Population shares the segments were drawn with (sum to 1).
    customer_segment : Series of str, shape (n_customers,)
        Hidden segment per customer, indexed by ``customer_id``.
    respondent_segment : Series of str, shape (n_respondents,)
        Hidden segment per survey respondent, indexed by ``respondent_id`` (it is the
        segment of the linked customer).
    bgnbd : dict
        Per segment ``{"r", "alpha", "a", "b"}``: purchase rate ``lambda ~ Gamma(r, rate
        alpha)`` per **day**, dropout after each repeat purchase ``p ~ Beta(a, b)``.
    gamma_gamma : dict
        Per segment ``{"p", "q", "gamma"}``: spend per transaction ``z ~ Gamma(p, rate
        nu)``, ``nu ~ Gamma(q, rate gamma)``; population mean spend ``p*gamma/(q-1)`` EUR.
    customer_params : DataFrame, shape (n_customers, 6)
        Indexed by ``customer_id``: ``segment``, ``lam`` (purchases/day), ``p_dropout``,
        ``mean_spend`` (EUR, ``p/nu``), ``alive`` (bool, still active at the analysis
        date), ``n_repeat`` (observed repeat purchases).
    drivers : dict
        Per outcome (``nps``, ``satisfaction``, ``perceived_quality``,
        ``perceived_price``, ``overall_value``): ``intercept``, ``noise_sd`` and
        ``weights`` (predictor -> rating points of outcome per rating point of
        predictor), and ``scale`` (the outcome is rounded and clipped to it). Elements
        not listed have weight 0. ``overall_value`` is driven by ``perceived_quality``
        and ``perceived_price``, which are driven by elements (a two-level driver
        tree). Predictors are the observed (rounded) ratings, so least squares is
        unbiased except for the outcome's clipping: about 18% of NPS answers are 10,
        which attenuates the NPS weights by roughly 10% (ratios are preserved).
    brand_profiles : DataFrame, shape (4, 30)
        Latent mean rating of each element (columns) by brand (index), before halo,
        segment affinity, noise, rounding and clipping.
    needs_profiles : DataFrame, shape (3, 30)
        Latent mean importance of each element by segment, before scale-use bias,
        noise, rounding and clipping (columns are element slugs without ``imp_``).
    partworths : dict
        Per segment, mean part-worths: ``"<attribute>.<level>" -> utility``
        (zero-centred within attribute), ``"fee"`` (utility per EUR of annual fee,
        uncentred) and ``"none"`` (utility of the none alternative).
    respondent_partworths : DataFrame, shape (n_choice_respondents, 12)
        True individual part-worths in the same coding, indexed by ``respondent_id``,
        plus a ``segment`` column.
    partworth_coding : str
        Plain-words statement of the coding above.
    design : dict
        Conjoint design: attributes and levels, fees, tasks, concepts, method.
    """

    segments: tuple[str, ...]
    segment_shares: dict[str, float]
    customer_segment: pd.Series
    respondent_segment: pd.Series
    bgnbd: dict[str, dict[str, float]]
    gamma_gamma: dict[str, dict[str, float]]
    customer_params: pd.DataFrame
    drivers: dict[str, dict[str, Any]]
    brand_profiles: pd.DataFrame
    needs_profiles: pd.DataFrame
    partworths: dict[str, dict[str, float]]
    respondent_partworths: pd.DataFrame
    partworth_coding: str
    design: dict[str, Any]

    def top_drivers(self, outcome: str = "nps") -> list[str]:
        """Predictors of ``outcome`` with non-zero planted weight, largest |weight| first."""
        w = self.drivers[outcome]["weights"]
        return sorted(w, key=lambda k: -abs(w[k]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (what ``truth.json`` holds)."""
        rp = self.respondent_partworths
        return {
            "segments": list(self.segments),
            "segment_shares": self.segment_shares,
            "realised_customer_shares": {
                s: round(float((self.customer_segment == s).mean()), 6) for s in self.segments
            },
            "bgnbd": self.bgnbd,
            "bgnbd_time_unit": "day",
            "gamma_gamma": self.gamma_gamma,
            "currency": "EUR",
            "drivers": {
                k: {kk: (list(vv) if isinstance(vv, tuple) else vv) for kk, vv in v.items()}
                for k, v in self.drivers.items()
            },
            "brand_profiles": {b: _round_dict(row.to_dict()) for b, row in self.brand_profiles.iterrows()},
            "needs_profiles": {s: _round_dict(row.to_dict()) for s, row in self.needs_profiles.iterrows()},
            "partworths": self.partworths,
            "partworth_coding": self.partworth_coding,
            "design": self.design,
            "customer_segment": self.customer_segment.to_dict(),
            "respondent_segment": self.respondent_segment.to_dict(),
            "customer_params": self.customer_params.round(
                {"lam": 8, "p_dropout": 8, "mean_spend": 4}).to_dict(orient="index"),
            "respondent_partworths": rp.round(6).to_dict(orient="index"),
        }

    def level_utilities(self) -> pd.DataFrame:
        """True respondent part-worths in the level basis of a Sawtooth-style HB export.

        Same choice probabilities as :attr:`respondent_partworths`, re-expressed so they
        compare directly with estimated utilities: the fee gets one column per level,
        ``fee.<eur>`` = ``fee * (eur - mean fee level)`` (zero-centred), and ``none`` is
        shifted by ``-fee * mean fee level`` to stay on the same scale.

        Returns
        -------
        DataFrame, shape (n_choice_respondents, 14)
            Index ``respondent_id``; columns ``<attribute>.<level>`` for delivery,
            returns and extras, ``fee.29`` ... ``fee.89`` and ``none`` (utility units).
        """
        rp = self.respondent_partworths
        fees = np.asarray(self.design["fee_levels_eur"], dtype=float)
        cats = [f"{a}.{lv}" for a, lvls in self.design["attributes"].items() for lv in lvls]
        out = rp[cats].copy()
        for f in fees:
            out[f"fee.{f:g}"] = rp["fee"] * (f - fees.mean())
        out["none"] = rp["none"] - rp["fee"] * fees.mean()
        return out


def _round_dict(d: dict[str, Any], ndigits: int = 6) -> dict[str, float]:
    return {k: round(float(v), ndigits) for k, v in d.items()}


@dataclass
class DemoEngagement:
    """The demo engagement: data frames in canonical schemas plus the planted truths.

    Attributes
    ----------
    customers, transactions, survey, needs, choice : DataFrame
        The data sets, with exactly the canonical columns of CONTRIBUTING.md. IDs and
        categorical labels use pandas' string dtype, dates ``datetime64``, ratings
        ``int64``, money ``float64`` rounded to cents. In ``choice`` the none rows have
        missing attribute cells (``<NA>``/``NaN``).
    truth : DemoTruth
        The hidden segments and population parameters the data were drawn from.
    client : str
        Client slug, ``"demo"``.
    client_brand : str
        The client's brand as it appears in ``survey.brand``, ``"Demo Retail"``.
    competitors : tuple of str
        Competitor brands in the survey.
    analysis_date : Timestamp
        2026-06-30; no transaction is later.
    currency : str
        ``"EUR"``.
    seed : int
        The seed the engagement was generated with.
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    survey: pd.DataFrame
    needs: pd.DataFrame
    choice: pd.DataFrame
    truth: DemoTruth
    seed: int
    client: str = "demo"
    client_brand: str = P.CLIENT_BRAND
    competitors: tuple[str, ...] = P.COMPETITORS
    analysis_date: pd.Timestamp = field(default_factory=lambda: ANALYSIS_DATE)
    currency: str = "EUR"
    # Campaign contact history and attributed responses (cvkit.datasets.demo_campaigns), own RNG stream.
    campaigns: pd.DataFrame | None = None
    responses: pd.DataFrame | None = None
    campaign_truth: dict[str, Any] | None = None
    # A yearly delivery pass whose churn is Fader & Hardie's (2007) data (cvkit.datasets.demo_subscriptions).
    subscriptions: pd.DataFrame | None = None
    # MaxDiff on the elements of value (cvkit.datasets.demo_maxdiff), own RNG stream.
    maxdiff: pd.DataFrame | None = None
    maxdiff_truth: dict[str, Any] | None = None

    def data(self, kind: str) -> pd.DataFrame:
        """The data set of that kind (one of :data:`DEMO_KINDS`)."""
        if kind not in DEMO_KINDS:
            raise KeyError(f"unknown demo data set {kind!r}; choose one of {', '.join(DEMO_KINDS)}")
        return getattr(self, kind)

    def write_data(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write every data set as ``<folder>/<kind>.csv`` and the truths as ``truth.json``.

        CSV files are UTF-8 with ``\\n`` line ends, ISO dates (``YYYY-MM-DD``), money with
        two decimals and integers without decimals, so the same seed gives byte-identical
        files.

        Parameters
        ----------
        folder : path
            Created if missing; existing files of the same names are overwritten.

        Returns
        -------
        dict of str to Path
            ``kind -> path`` for the five data sets and ``"truth"``.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for kind in DEMO_KINDS:
            path = folder / f"{kind}.csv"
            _csv_ready(self.data(kind)).to_csv(
                path, index=False, encoding="utf-8", lineterminator="\n", date_format="%Y-%m-%d"
            )
            paths[kind] = path
        truth = {
            "client": self.client, "client_brand": self.client_brand,
            "competitors": list(self.competitors), "currency": self.currency,
            "analysis_date": self.analysis_date.strftime("%Y-%m-%d"), "seed": self.seed,
            "cvkit_version": cvkit.__version__, **self.truth.to_dict(),
        }
        if self.campaign_truth is not None:
            truth["campaigns"] = self.campaign_truth
        if self.maxdiff_truth is not None:
            truth["maxdiff"] = self.maxdiff_truth
        path = folder / "truth.json"
        path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths["truth"] = path
        return paths


_MONEY_COLUMNS = ("amount", "acquisition_cost", "contact_cost", "price")  # EUR, written with exactly 2 decimals
_WHOLE_COLUMNS = ("fee",)                         # whole EUR, written without decimals


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Fix the text of float columns so the files are byte-stable and read naturally."""
    out = df.copy()
    for col in out.columns:
        if col in _MONEY_COLUMNS:
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        elif col in _WHOLE_COLUMNS:
            out[col] = out[col].astype("Int64")  # "29", empty on the none rows
        elif pd.api.types.is_float_dtype(out[col]):  # pragma: no cover - none in the demo
            raise TypeError(f"no CSV format declared for float column {col!r}")
    return out


# ---------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------
def _categorical_draw(rng: np.random.Generator, seg_idx: np.ndarray,
                      probs: dict[str, tuple[float, ...]]) -> np.ndarray:
    """Draw one category index per unit from P(category | segment) (inverse CDF)."""
    cdf = np.cumsum(np.array([probs[s] for s in P.SEGMENTS]), axis=1)
    cdf[:, -1] = 1.0
    u = rng.random(len(seg_idx))
    return (u[:, None] > cdf[seg_idx]).sum(axis=1)


def _make_customers(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    n = N_CUSTOMERS
    seg = rng.choice(len(P.SEGMENTS), size=n, p=[P.SEGMENT_SHARES[s] for s in P.SEGMENTS])
    days = pd.date_range(ACQUISITION_START, ACQUISITION_END, freq="D")
    # The customer base grows over time, with an end-of-year acquisition peak.
    ramp = 1.0 + 0.6 * np.arange(len(days)) / (len(days) - 1)
    season = np.where(days.month.isin([11, 12]), 1.3, 1.0)
    w = ramp * season
    day_idx = rng.choice(len(days), size=n, p=w / w.sum())
    ch = _categorical_draw(rng, seg, P.CHANNEL_PROBS)
    region = _categorical_draw(rng, seg, P.REGION_PROBS)
    age = _categorical_draw(rng, seg, P.AGE_PROBS)
    median = np.array([P.ACQ_COST_MEDIAN[c] for c in P.CHANNELS])[ch]
    cost = np.round(median * np.exp(rng.normal(0.0, P.ACQ_COST_SIGMA, n)), 2)

    # IDs follow acquisition order, as a CRM would number them.
    order = np.argsort(day_idx, kind="stable")
    seg, day_idx, ch, region, age, cost = (a[order] for a in (seg, day_idx, ch, region, age, cost))
    customers = pd.DataFrame({
        "customer_id": pd.array([f"C{i:05d}" for i in range(1, n + 1)], dtype=_STR),
        "acquisition_date": days[day_idx].values.astype("datetime64[us]"),
        "channel": pd.array(np.array(P.CHANNELS)[ch], dtype=_STR),
        "acquisition_cost": cost,
        "region": pd.array(np.array(P.REGIONS)[region], dtype=_STR),
        "age_band": pd.array(np.array(P.AGE_BANDS)[age], dtype=_STR),
    })
    return customers, seg


def _make_transactions(rng: np.random.Generator, customers: pd.DataFrame,
                       seg: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(customers)
    par = [P.BGNBD[s] for s in P.SEGMENTS]
    gg = [P.GAMMA_GAMMA[s] for s in P.SEGMENTS]
    r, alpha, a, b = (np.array([d[k] for d in par])[seg] for k in ("r", "alpha", "a", "b"))
    p_gg, q, gamma = (np.array([d[k] for d in gg])[seg] for k in ("p", "q", "gamma"))

    lam = rng.gamma(r, 1.0 / alpha)                  # purchases per day
    p_drop = rng.beta(a, b)
    nu = rng.gamma(q, 1.0 / gamma)                   # spend rate, 1/EUR
    # Observation window [0, T) in days, acquisition day at 0, analysis date included.
    acq = customers["acquisition_date"].to_numpy()
    T = ((ANALYSIS_DATE.to_datetime64() - acq) / np.timedelta64(1, "D")).astype(np.int64) + 1
    # Poisson count over the whole window while alive; the customer drops out right
    # after repeat purchase J ~ Geometric(p) (BG/NBD: no dropout at the first purchase).
    n_events = rng.poisson(lam * T)
    j_drop = rng.geometric(p_drop)
    n_rep = np.minimum(n_events, j_drop)
    alive = n_events < j_drop

    # Given the count, Poisson event times are sorted uniforms on [0, T); keep the first
    # n_rep of each customer (vectorised: one sort over all customers).
    owner = np.repeat(np.arange(n), n_events)
    t = rng.random(len(owner)) * T[owner]
    order = np.lexsort((t, owner))
    owner, t = owner[order], t[order]
    start = np.concatenate([[0], np.cumsum(n_events)[:-1]])
    rank = np.arange(len(owner)) - start[owner]
    keep = rank < n_rep[owner]
    owner, t = owner[keep], t[keep]

    # First purchase on the acquisition date, then the repeat purchases.
    all_owner = np.concatenate([np.arange(n), owner])
    all_day = np.concatenate([np.zeros(n, dtype=np.int64), np.floor(t).astype(np.int64)])
    all_t = np.concatenate([np.zeros(n), t])
    amount = rng.gamma(p_gg[all_owner], 1.0 / nu[all_owner])
    amount = np.maximum(np.round(amount, 2), 0.01)
    dates = acq[all_owner] + all_day.astype("timedelta64[D]")

    order = np.lexsort((all_t, all_owner, dates))
    m = len(order)
    tx = pd.DataFrame({
        "transaction_id": pd.array([f"T{i:07d}" for i in range(1, m + 1)], dtype=_STR),
        "customer_id": pd.array(customers["customer_id"].to_numpy()[all_owner[order]], dtype=_STR),
        "date": dates[order].astype("datetime64[us]"),
        "amount": amount[order],
    })
    params = pd.DataFrame({
        "segment": np.array(P.SEGMENTS)[seg], "lam": lam, "p_dropout": p_drop,
        "mean_spend": p_gg / nu, "alive": alive, "n_repeat": n_rep,
    }, index=pd.Index(customers["customer_id"].to_numpy(), name="customer_id", dtype=_STR))
    params["segment"] = params["segment"].astype(_STR)
    return tx, params


def _element_slugs() -> tuple[list[str], np.ndarray]:
    el = load_elements().sort_values("order")
    return el["element"].tolist(), el["level"].astype(str).to_numpy()


def _brand_profiles(slugs: list[str], levels: np.ndarray) -> pd.DataFrame:
    base = np.array([P.BASE_RATING_BY_LEVEL[lv] for lv in levels])
    brands = [P.CLIENT_BRAND, *P.COMPETITORS]
    prof = pd.DataFrame(np.tile(base, (len(brands), 1)), index=pd.Index(brands, name="brand"),
                        columns=slugs)
    for brand, dev in P.BRAND_DEVIATIONS.items():
        for el, d in dev.items():
            prof.loc[brand, el] += d
    return prof


def _apply_driver(rng: np.random.Generator, frame: pd.DataFrame, outcome: str) -> np.ndarray:
    """Outcome on its rating scale: linear in the observed predictors plus noise."""
    spec = P.DRIVERS[outcome]
    lo, hi = spec["scale"]
    latent = np.full(len(frame), float(spec["intercept"]))
    for pred, w in spec["weights"].items():
        latent += w * frame[pred].to_numpy(dtype=float)
    latent += rng.normal(0.0, float(spec["noise_sd"]), len(frame))
    return np.clip(np.rint(latent), lo, hi).astype(np.int64)


def _make_survey(rng: np.random.Generator, customers: pd.DataFrame,
                 seg: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    slugs, levels = _element_slugs()
    profiles = _brand_profiles(slugs, levels)
    brands = list(profiles.index)
    cust_idx = rng.choice(len(customers), size=N_RESPONDENTS, replace=False)
    rseg = seg[cust_idx]

    # Every respondent rates the client and 2 or 3 of the competitors they know.
    n_comp = rng.integers(2, 4, size=N_RESPONDENTS)
    comp_rank = np.argsort(rng.random((N_RESPONDENTS, len(P.COMPETITORS))), axis=1)
    rated = np.zeros((N_RESPONDENTS, len(brands)), dtype=bool)
    rated[:, 0] = True
    for k in range(len(P.COMPETITORS)):
        rated[:, 1 + k] = comp_rank[:, k] < n_comp
    resp_row, brand_row = np.nonzero(rated)  # respondent-major, brands in canonical order

    affinity = np.zeros((len(P.SEGMENTS), len(brands)))
    for (s, bnd), v in P.SEGMENT_BRAND_AFFINITY.items():
        affinity[P.SEGMENTS.index(s), brands.index(bnd)] = v
    halo_r = rng.normal(0.0, P.HALO_RESPONDENT_SD, N_RESPONDENTS)
    halo_rb = rng.normal(0.0, P.HALO_BRAND_SD, len(resp_row))
    latent = (profiles.to_numpy()[brand_row]
              + (halo_r[resp_row] + halo_rb + affinity[rseg[resp_row], brand_row])[:, None]
              + rng.normal(0.0, P.RATING_NOISE_SD, (len(resp_row), len(slugs))))
    ratings = np.clip(np.rint(latent), 0, 10).astype(np.int64)

    rid = np.array([f"R{i:04d}" for i in range(1, N_RESPONDENTS + 1)])
    survey = pd.DataFrame(ratings, columns=slugs)
    for outcome in ("nps", "satisfaction", "perceived_quality", "perceived_price"):
        survey[outcome] = _apply_driver(rng, survey, outcome)
    survey["overall_value"] = _apply_driver(rng, survey, "overall_value")
    survey["respondent_id"] = pd.array(rid[resp_row], dtype=_STR)
    survey["customer_id"] = pd.array(customers["customer_id"].to_numpy()[cust_idx][resp_row], dtype=_STR)
    survey["brand"] = pd.array(np.array(brands)[brand_row], dtype=_STR)
    cols = ["respondent_id", "customer_id", "brand", "nps", "satisfaction", "overall_value",
            "perceived_quality", "perceived_price", *slugs]
    return survey[cols], rseg, profiles


def _make_needs(rng: np.random.Generator, respondent_ids: np.ndarray,
                rseg: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    slugs, levels = _element_slugs()
    base = np.array([P.BASE_IMPORTANCE_BY_LEVEL[lv] for lv in levels])
    prof = pd.DataFrame(np.tile(base, (len(P.SEGMENTS), 1)),
                        index=pd.Index(list(P.SEGMENTS), name="segment"), columns=slugs)
    for s, els in P.SEGMENT_NEEDS.items():
        prof.loc[s, list(els)] += P.NEEDS_BOOST
    n = len(respondent_ids)
    latent = (prof.to_numpy()[rseg] + rng.normal(0.0, P.NEEDS_BIAS_SD, n)[:, None]
              + rng.normal(0.0, P.NEEDS_NOISE_SD, (n, len(slugs))))
    imp = np.clip(np.rint(latent), 0, 10).astype(np.int64)
    needs = pd.DataFrame(imp, columns=[f"imp_{s}" for s in slugs])
    needs.insert(0, "respondent_id", pd.array(respondent_ids, dtype=_STR))
    return needs, prof


def _partworth_columns() -> list[str]:
    return [f"{a}.{lv}" for a, lvls in P.ATTRIBUTES.items() for lv in lvls] + ["fee", "none"]


def _design(rng: np.random.Generator, n_resp: int) -> dict[str, np.ndarray]:
    """Level indices, shape (n_resp, N_TASKS, N_CONCEPTS), per attribute (incl. fee).

    Minimal overlap within a task and exact level balance within each respondent's
    version: with L >= 3 levels every task shows 3 distinct levels and the omitted
    level (L = 4) cycles so each level appears equally often; with L = 2 every task
    shows both levels, the doubled level alternating between tasks. Positions are
    shuffled independently per attribute, so versions differ across respondents.
    """
    nt, nc = P.N_TASKS, P.N_CONCEPTS
    levels = {**{a: len(v) for a, v in P.ATTRIBUTES.items()}, "fee": len(P.FEES)}
    out: dict[str, np.ndarray] = {}
    for attr, L in levels.items():
        if L == nc:
            idx = np.argsort(rng.random((n_resp, nt, L)), axis=2)
        elif L == nc + 1:
            omitted = np.argsort(rng.random((n_resp, nt)), axis=1) % L  # each omitted nt/L times
            keys = rng.random((n_resp, nt, L))
            keys[np.arange(L)[None, None, :] == omitted[:, :, None]] = np.inf  # omitted sorts last
            idx = np.argsort(keys, axis=2)[:, :, :nc]
        elif L == 2 and nc == 3:
            doubled = np.argsort(rng.random((n_resp, nt)), axis=1) % 2
            base = np.stack([doubled, doubled, 1 - doubled], axis=2)
            perm = np.argsort(rng.random((n_resp, nt, nc)), axis=2)
            idx = np.take_along_axis(base, perm, axis=2)
        else:  # pragma: no cover - the demo's attributes are fixed above
            raise ValueError(f"no design rule for {L} levels and {nc} concepts")
        out[attr] = idx
    return out


def _make_choice(rng: np.random.Generator, respondent_ids: np.ndarray,
                 rseg: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(respondent_ids)
    cols = _partworth_columns()
    mean = np.array([[P.PARTWORTHS[s][c] for c in cols] for s in P.SEGMENTS])[rseg]
    beta = mean.copy()
    # Heterogeneity: categorical levels get N(0, sd) then are re-centred so the
    # individual part-worths keep the zero-centred coding; fee stays negative.
    pos = 0
    for lvls in P.ATTRIBUTES.values():
        block = beta[:, pos:pos + len(lvls)] + rng.normal(0.0, P.PARTWORTH_SD, (n, len(lvls)))
        beta[:, pos:pos + len(lvls)] = block - block.mean(axis=1, keepdims=True) \
            + mean[:, pos:pos + len(lvls)].mean(axis=1, keepdims=True)
        pos += len(lvls)
    i_fee, i_none = cols.index("fee"), cols.index("none")
    beta[:, i_fee] = mean[:, i_fee] * np.exp(rng.normal(0.0, P.FEE_LOG_SD, n))
    beta[:, i_none] = mean[:, i_none] + rng.normal(0.0, P.NONE_SD, n)

    design = _design(rng, n)
    nt, nc = P.N_TASKS, P.N_CONCEPTS
    util = np.zeros((n, nt, nc + 1))
    pos = 0
    for attr, lvls in P.ATTRIBUTES.items():
        util[:, :, :nc] += np.take_along_axis(
            beta[:, pos:pos + len(lvls)][:, None, :].repeat(nt, axis=1), design[attr], axis=2)
        pos += len(lvls)
    fees = np.array(P.FEES, dtype=float)[design["fee"]]
    util[:, :, :nc] += beta[:, i_fee][:, None, None] * fees
    util[:, :, nc] = beta[:, i_none][:, None]
    # MNL choice via the Gumbel-max trick (exactly multinomial-logit probabilities).
    chosen = np.argmax(util + rng.gumbel(size=util.shape), axis=2)

    rows = n * nt * (nc + 1)
    alt = np.tile(np.arange(1, nc + 2), n * nt)
    is_none = alt == nc + 1
    frame: dict[str, Any] = {
        "respondent_id": pd.array(np.repeat(respondent_ids, nt * (nc + 1)), dtype=_STR),
        "task": np.tile(np.repeat(np.arange(1, nt + 1), nc + 1), n),
        "alternative": alt,
    }
    for attr, lvls in P.ATTRIBUTES.items():
        lab = np.empty((n, nt, nc + 1), dtype=object)
        lab[:, :, :nc] = np.array(lvls, dtype=object)[design[attr]]
        lab[:, :, nc] = None
        frame[attr] = pd.array(lab.reshape(rows), dtype=_STR)
    fee_full = np.full((n, nt, nc + 1), np.nan)
    fee_full[:, :, :nc] = fees
    frame["fee"] = fee_full.reshape(rows)
    frame["none"] = is_none.astype(np.int64)
    frame["chosen"] = (np.arange(nc + 1)[None, None, :] == chosen[:, :, None]).reshape(rows).astype(np.int64)
    choice = pd.DataFrame(frame)

    rp = pd.DataFrame(beta, columns=cols,
                      index=pd.Index(respondent_ids, name="respondent_id", dtype=_STR))
    rp.insert(0, "segment", pd.array(np.array(P.SEGMENTS)[rseg], dtype=_STR))
    return choice, rp


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------
PARTWORTH_CODING = (
    "Categorical attributes (delivery, returns, extras) are zero-centred within each "
    "attribute (effects coding: the levels' utilities sum to 0). The annual fee is linear "
    "and uncentred: its utility is fee * fee_eur (fee < 0, per EUR/year). The none "
    "alternative has utility `none` on the same scale, so U(concept) = sum of its levels' "
    "part-worths + fee * fee_eur and U(none) = none; choice probabilities are MNL (scale 1)."
)


def make_demo(seed: int = 2026) -> DemoEngagement:
    """Generate the demo engagement for "Demo Retail".

    Parameters
    ----------
    seed : int, default 2026
        Seed of :class:`numpy.random.SeedSequence`; the same seed gives identical data
        frames (and byte-identical CSV files from :meth:`DemoEngagement.write_data`).

    Returns
    -------
    DemoEngagement
        ``customers`` (5,000 rows), ``transactions`` (about 60,000 rows, 2024-07-01 to
        2026-06-30), ``survey`` (1,500 respondents x 3-4 brands, about 5,250 rows),
        ``needs`` (1,500 rows), ``choice`` (600 respondents x 12 tasks x 4 alternatives =
        28,800 rows) and the planted ``truth``.

    Examples
    --------
    >>> demo = make_demo()
    >>> demo.truth.top_drivers("nps")[:3]
    ['quality', 'saves_time', 'reduces_cost']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    ss = np.random.SeedSequence(int(seed))
    rng_cust, rng_tx, rng_survey, rng_needs, rng_choice, rng_pick = (
        np.random.default_rng(s) for s in ss.spawn(6))

    customers, seg = _make_customers(rng_cust)
    transactions, cparams = _make_transactions(rng_tx, customers, seg)
    survey, rseg, profiles = _make_survey(rng_survey, customers, seg)
    respondent_ids = np.array([f"R{i:04d}" for i in range(1, N_RESPONDENTS + 1)])
    needs, needs_prof = _make_needs(rng_needs, respondent_ids, rseg)
    pick = np.sort(rng_pick.choice(N_RESPONDENTS, size=N_CHOICE_RESPONDENTS, replace=False))
    choice, rp = _make_choice(rng_choice, respondent_ids[pick], rseg[pick])

    seg_names = np.array(P.SEGMENTS)
    truth = DemoTruth(
        segments=P.SEGMENTS,
        segment_shares=dict(P.SEGMENT_SHARES),
        customer_segment=pd.Series(seg_names[seg], index=pd.Index(customers["customer_id"],
                                   name="customer_id"), name="segment", dtype=_STR),
        respondent_segment=pd.Series(seg_names[rseg], index=pd.Index(respondent_ids, dtype=_STR,
                                     name="respondent_id"), name="segment", dtype=_STR),
        bgnbd={s: dict(v) for s, v in P.BGNBD.items()},
        gamma_gamma={s: dict(v) for s, v in P.GAMMA_GAMMA.items()},
        customer_params=cparams,
        drivers={k: {"intercept": v["intercept"], "noise_sd": v["noise_sd"],
                     "scale": tuple(v["scale"]), "weights": dict(v["weights"])}
                 for k, v in P.DRIVERS.items()},
        brand_profiles=profiles,
        needs_profiles=needs_prof,
        partworths={s: dict(v) for s, v in P.PARTWORTHS.items()},
        respondent_partworths=rp,
        partworth_coding=PARTWORTH_CODING,
        design={
            "attributes": {a: list(v) for a, v in P.ATTRIBUTES.items()},
            "fee_levels_eur": list(P.FEES),
            "n_tasks": P.N_TASKS, "n_concepts": P.N_CONCEPTS, "none_alternative": P.N_CONCEPTS + 1,
            "method": "per-respondent randomized minimal-overlap design, levels balanced within "
                      "each respondent's version",
            "heterogeneity": {"partworth_sd": P.PARTWORTH_SD, "fee_log_sd": P.FEE_LOG_SD,
                              "none_sd": P.NONE_SD},
        },
    )
    campaigns, responses, campaign_truth = make_campaigns(customers, transactions, int(seed))
    maxdiff, maxdiff_truth = make_maxdiff(respondent_ids, rseg, needs_prof, int(seed))
    return DemoEngagement(customers=customers, transactions=transactions, survey=survey,
                          needs=needs, choice=choice, truth=truth, seed=seed, campaigns=campaigns,
                          responses=responses, campaign_truth=campaign_truth, maxdiff=maxdiff,
                          maxdiff_truth=maxdiff_truth, subscriptions=make_subscriptions())


def _cache_root() -> Path:
    env = os.environ.get("CVKIT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "cvkit"


_FINGERPRINT_FILE = ".fingerprint"


def _fingerprint(seed: int) -> str:
    """What the cached files depend on beyond the folder name.

    The folder is named by cvkit version and seed only, but the generator may change
    between releases while cvkit is developed, and NumPy does not promise identical
    random streams across versions; a cache written by other code is regenerated.
    """
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for f in (here / "demo.py", here / "_demo_params.py", here / "demo_campaigns.py", here / "demo_maxdiff.py",
              here / "demo_subscriptions.py"):
        h.update(f.read_bytes())
    h.update(load_elements()["element"].str.cat(sep=",").encode())
    h.update(f"numpy={np.__version__};pandas={pd.__version__};seed={seed}".encode())
    return h.hexdigest()[:16]


def _is_current(folder: Path, fingerprint: str) -> bool:
    try:
        return (folder / _FINGERPRINT_FILE).read_text(encoding="utf-8").strip() == fingerprint
    except OSError:
        return False


def demo_file(kind: str, seed: int = 2026) -> Path:
    """Path of the demo engagement's CSV of that kind, generated on first use.

    Files are cached in ``$CVKIT_CACHE`` (default ``~/.cache/cvkit``) under
    ``demo-<cvkit version>-<seed>/``. The folder is written to a temporary sibling and
    moved into place with :func:`os.replace`, so concurrent processes never see a
    half-written folder; if two race, one wins and the other's copy is discarded. A
    cached folder written by a different generator (or NumPy/pandas version) is
    replaced, so notebooks never read stale demo data.

    Parameters
    ----------
    kind : str
        One of :data:`DEMO_KINDS` (``customers``, ``transactions``, ``survey``,
        ``needs``, ``choice``) or ``"truth"`` for ``truth.json``.
    seed : int, default 2026
        Seed passed to :func:`make_demo`.

    Returns
    -------
    Path
        ``<cache>/demo-<version>-<seed>/<kind>.csv`` (or ``truth.json``).

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    if kind not in (*DEMO_KINDS, "truth"):
        raise ValueError(f"unknown demo data set {kind!r}; choose one of "
                         f"{', '.join((*DEMO_KINDS, 'truth'))}")
    name = "truth.json" if kind == "truth" else f"{kind}.csv"
    root = _cache_root()
    final = root / f"demo-{cvkit.__version__}-{seed}"
    target = final / name
    fp = _fingerprint(seed)
    if target.is_file() and _is_current(final, fp):
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=root))
    stale = None
    try:
        make_demo(seed).write_data(tmp)
        (tmp / _FINGERPRINT_FILE).write_text(fp + "\n", encoding="utf-8")
        for _ in range(5):
            try:
                os.replace(tmp, final)  # atomic; fails if `final` is a non-empty folder
                break
            except OSError:
                if _is_current(final, fp) and target.is_file():
                    break  # another process won the race: its files are identical
                # A stale (or damaged) cache: move it aside atomically, then retry.
                stale = Path(tempfile.mkdtemp(prefix=f".{final.name}.stale.", dir=root))
                try:
                    os.replace(final, stale / "old")
                except FileNotFoundError:
                    pass  # someone else moved it already
        else:
            raise OSError(f"could not place the demo data in {final}; remove that folder and retry")
    finally:
        for junk in (tmp, stale):
            if junk is not None and junk.exists():
                shutil.rmtree(junk, ignore_errors=True)
    return target
