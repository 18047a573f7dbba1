"""The engagement synthesis: from the four analyses' results to one recommendation.

A client buys a recommendation (whom to target, what to offer, at what price, and what it is
worth), not four analyses. These functions read the validated results of a run
(:func:`cvkit.engagement.results.load_results`) and build each part of the executive summary. Each works
with whatever analyses ran, and says what is missing instead of failing.

All money is in the engagement's currency; shares are 0..1.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

import matplotlib.axes
import matplotlib.figure
import numpy as np
import pandas as pd

from cvkit.plot import ACCENT, CLIENT_COLOR, COMPETITOR_COLORS, format_currency
from cvkit.engagement.results import EngagementResults, Estimate
from cvkit.present import DASH
from cvkit.segment.targets import recommend_targets

__all__ = ["Finding", "ValueAtStake", "PriceCorridor", "price_text", "in_currency", "recommend_targets", "headline_findings", "value_at_stake",
           "campaign_finding", "campaign_table",
           "target_recommendation", "element_actions", "price_corridor", "next_steps", "missing_note",
           "plot_value_at_stake", "plot_drivers", "plot_targets", "plot_price_corridor", "plot_dashboard"]

ACTION_COLORS = {"fix": CLIENT_COLOR, "defend": ACCENT, "stop over-investing": COMPETITOR_COLORS[1]}
# Data each analysis needs (as in cvkit.engagement.config.ANALYSES), for the "run it" next step.
_NEEDS = {"Value drivers": "a brand survey", "Discrete choice": "conjoint choices or respondent utilities",
          "Customer lifetime value": "a transaction log",
          "Segmentation": "a needs battery or conjoint part-worths (plus transactions for value)",
          "Campaign response": "a campaign contact history with control groups"}


def _money(value: float | None, currency: str) -> str:
    return "n/a" if value is None else format_currency(value, currency)


def in_currency(unit: str | None, currency: str) -> bool:
    """True when a price unit is money in the engagement's currency (``""``, ``EUR``, ``EUR per year``)."""
    return not unit or unit.split()[0].upper() == str(currency).upper()


def price_text(value: float | None, currency: str, unit: str | None,
               money: Callable[[float], str] | None = None) -> str:
    """A price in its own unit: money in the currency, else the number and the study's unit.

    Parameters
    ----------
    value : float or None
    currency : str
        The engagement's ISO 4217 code.
    unit : str or None
        The conjoint's price unit (``cents/kWh``, ``CHF per trip``); None or the currency: money.
    money : callable, optional
        The page's money formatter (its locale); default :func:`cvkit.plot.format_currency`.

    Returns
    -------
    str
        ``"€49"``, or ``"4,612.5 guilder cents per trip"`` (``"n/a"`` for None).
    """
    if value is None or pd.isna(value):
        return "n/a"
    if in_currency(unit, currency):
        return money(value) if money is not None else _money(value, currency)
    from cvkit import present

    value = float(value)
    decimals = next((d for d in (0, 1) if round(value, d) == round(value, 2)), 2)
    return f"{present.number(value, decimals)} {unit}"


def _pct(share: float | None, decimals: int = 0) -> str:
    return "n/a" if share is None else f"{100 * share:.{decimals}f}%"


def _interval(est: Estimate, fmt: Any) -> str:
    if est.low is None or est.high is None:
        return fmt(est.value)
    return f"{fmt(est.value)} ({100 * est.level:.0f}% interval {fmt(est.low)} to {fmt(est.high)})"


def _level(value: Any) -> str:
    """An attribute or level in the engagement's words (``labels:``); ``25.0`` as ``25``."""
    from cvkit.present.glossary import words

    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return words(text) if words(text) != text else text.replace("_", " ")


def _wrap(text: str, width: int = 24, lines: int = 2) -> str:
    return "\n".join(textwrap.wrap(str(text), width, max_lines=lines, placeholder="…"))


def _outcome(name: str) -> str:
    return {"nps": "NPS", "satisfaction": "satisfaction", "overall_value": "overall value"}.get(name, name)


# --- target recommendation (the rule itself is cvkit.segment.recommend_targets) ----------------------------


def target_recommendation(results: EngagementResults, *, currency: str = "EUR") -> pd.DataFrame:
    """The recommended target segments and why, one row each.

    Falls back to the CLV value tiers when the segmentation did not run (protect the top tier),
    and returns an empty frame when neither ran.

    Returns
    -------
    DataFrame
        ``segment``, ``name``, ``size_share``, ``clv_mean``, ``value_share``, ``nps``, ``wtp``,
        ``why``; ``attrs["basis"]`` says what the targets stand on.
    """
    cols = ["segment", "name", "size_share", "clv_mean", "value_share", "nps", "wtp", "why"]
    seg, clv = results.segmentation, results.clv
    if seg is not None and seg.targets():
        rows = [{"segment": s.segment, "name": s.name, "size_share": s.size_share, "clv_mean": s.clv_mean,
                 "value_share": s.value_share, "nps": s.nps, "wtp": s.wtp,
                 "why": s.target_reason + (f". Traits: {'; '.join(s.key_traits)}" if s.key_traits else "")}
                for s in seg.targets()]
        out = pd.DataFrame(rows, columns=cols)
        out.attrs["basis"] = f"needs-based segmentation ({seg.basis}, k = {seg.k})"
        return out
    if clv is not None and clv.by_tier:
        top = max(clv.by_tier, key=lambda g: g.clv / max(g.customers, 1))
        out = pd.DataFrame([{"segment": top.group, "name": f"{top.group} of customers by CLV",
                             "size_share": top.customers / max(clv.n_customers, 1), "clv_mean": top.clv / max(top.customers, 1),
                             "value_share": top.share, "nps": None, "wtp": None,
                             "why": (f"holds {_pct(top.share)} of the expected value with "
                                     f"{_pct(top.customers / max(clv.n_customers, 1))} of the customers: retain them "
                                     "first. Needs-based targets need the segmentation.")}], columns=cols)
        out.attrs["basis"] = "CLV value tiers (no needs-based segmentation in this run)"
        return out
    out = pd.DataFrame(columns=cols)
    out.attrs["basis"] = "none: neither the segmentation nor the CLV analysis ran"
    return out


# --- value at stake -------------------------------------------------------------------------------------


@dataclass
class ValueAtStake:
    """What the customer base is worth and where the value sits.

    Attributes
    ----------
    total : Estimate or None
        Total CLV over the horizon (currency) with its interval.
    horizon_months : int or None
    table : DataFrame
        ``group``, ``customers_share``, ``clv_per_customer``, ``value``, ``low``, ``high``, ``share``
        (of value, 0..1), ``target``.
    basis : str
        What the groups are (needs segments, a customer column, value tiers).
    top_group : str or None
        The group holding the largest share of value, and ``top_share`` that share.
    top20_share : float or None
        Share of CLV held by the top 20% of customers.
    note : str
        How to read the numbers (e.g. scaling from the survey sample).
    """

    total: Estimate | None
    horizon_months: int | None
    table: pd.DataFrame
    basis: str
    top_group: str | None
    top_share: float | None
    top20_share: float | None
    note: str = ""

    def top_sentence(self, pct: Callable[[float], str] = "{:.0%}".format) -> str:
        """``Largest share of value among customers by channel: Web, 36%.``; ``""`` without groups.

        Parameters
        ----------
        pct : callable
            Formats a share (0..1) in the engagement's locale.
        """
        if self.top_group is None or self.top_share is None:
            return ""
        return f"Largest share of value among {self.basis}: {self.top_group}, {pct(self.top_share)}."


def value_at_stake(results: EngagementResults) -> ValueAtStake:
    """CLV by segment and the share held by the top segment.

    Segments are the needs-based ones when the segmentation linked them to CLV (their share of the
    sample's value scaled to the CLV total), else the customer column of the CLV analysis (e.g.
    channel, with bootstrap intervals), else the CLV value tiers.
    """
    clv, seg = results.clv, results.segmentation
    cols = ["group", "customers_share", "clv_per_customer", "value", "low", "high", "share", "target"]
    total = clv.total if clv is not None else None
    rows: list[dict[str, Any]] = []
    basis, note = "", ""
    if seg is not None and all(s.value_share is not None for s in seg.segments):
        basis = "needs-based segments"
        for s in seg.segments:
            rows.append({"group": f"{s.segment}: {s.name}", "customers_share": s.size_share,
                         "clv_per_customer": s.clv_mean, "value": total.value * s.value_share if total else None,
                         "low": None, "high": None, "share": s.value_share, "target": s.target})
        note = ("Segment shares of value come from the surveyed customers linked to their CLV; the value column "
                "applies them to the CLV total, assuming the sample is representative of the base.")
    elif clv is not None and clv.total is not None and (clv.by_segment or clv.by_tier):
        groups = clv.by_segment or clv.by_tier
        basis = f"customers by {clv.segment_column}" if clv.by_segment else "CLV value tiers"
        for g in groups:
            rows.append({"group": g.group, "customers_share": g.customers / max(clv.n_customers, 1),
                         "clv_per_customer": g.clv / max(g.customers, 1), "value": g.clv, "low": g.low,
                         "high": g.high, "share": g.share, "target": False})
        note = f"{100 * clv.total.level:.0f}% bootstrap intervals of the models' parameters."
    table = pd.DataFrame(rows, columns=cols)
    top_group = top_share = None
    if len(table) and table["share"].notna().any():
        table = table.sort_values("share", ascending=False).reset_index(drop=True)
        top_group, top_share = str(table["group"].iloc[0]), float(table["share"].iloc[0])
    return ValueAtStake(total=total, horizon_months=clv.horizon_months if total is not None else None, table=table,
                        basis=basis or "none", top_group=top_group, top_share=top_share,
                        top20_share=clv.top20_share if clv else None, note=note)


# --- elements of value ----------------------------------------------------------------------------------


def element_actions(results: EngagementResults) -> pd.DataFrame:
    """Elements of value to fix, defend, and stop over-investing in (importance-performance).

    Returns
    -------
    DataFrame
        ``action``, ``element``, ``importance`` (% of R²), ``performance`` (client mean, 0-10),
        ``gap`` (vs the competitor), ``why``; empty when the value drivers did not run.
    """
    cols = ["action", "element", "importance", "performance", "gap", "why"]
    drv = results.drivers
    if drv is None:
        return pd.DataFrame(columns=cols)
    order = {"fix": 0, "defend": 1, "stop over-investing": 2}
    rows = [{"action": e.action, "element": e.label, "importance": e.importance, "performance": e.performance,
             "gap": e.gap, "why": e.reason} for e in sorted(drv.elements, key=lambda e: order[e.action])]
    out = pd.DataFrame(rows, columns=cols)
    out.attrs["competitor"] = drv.competitor
    return out


# --- price corridor -------------------------------------------------------------------------------------


@dataclass
class PriceCorridor:
    """Where the price of the recommended offer can sit.

    ``low`` is the price of the customer's next best alternative (EVE reference value) or, without
    EVE, the lowest tested price; ``high`` the economic value (EVE: the value-based ceiling) or,
    without EVE, what respondents would pay for the winning concept's features (conjoint WTP).
    ``recommended`` is the winning concept's price. ``table`` lists every marker with its source;
    ``flags`` the red flags.
    """

    low: float | None
    high: float | None
    recommended: float | None
    table: pd.DataFrame
    flags: list[str] = field(default_factory=list)
    concept: dict[str, Any] | None = None
    wtp: Estimate | None = None
    currency: str = "EUR"
    unit: str | None = None  # the conjoint's price unit when it is not money in the currency

    @property
    def available(self) -> bool:
        return len(self.table) > 0

    def concept_text(self) -> str:
        """The winning concept's levels in the engagement's words (``Komfort = erste Klasse, time = 55``)."""
        return ", ".join(f"{_level(k)} = {_level(v)}" for k, v in (self.concept or {}).items())

    def recommended_text(self, money: Callable[[float], str] | None = None) -> str:
        """The winning concept's price in the conjoint's unit."""
        return price_text(self.recommended, self.currency, self.unit, money)

    def bounds_text(self, money: Callable[[float], str] | None = None) -> str:
        """``low to high``: EVE's money when EVE ran, else the conjoint's unit."""
        unit = None if (self.table["source"] == "value drivers").any() else self.unit
        return f"{price_text(self.low, self.currency, unit, money)} to {price_text(self.high, self.currency, unit, money)}"

    def formatted(self) -> pd.DataFrame:
        """The table with every price written in its own unit (``marker`` as the index).

        Money amounts of a column share one number of decimals (:func:`cvkit.present.money_column`).
        """
        from cvkit import present

        t = self.table.copy()
        is_money = t["unit"].isna() | (t["unit"] == "")
        for column in ("price", "low", "high"):
            money = present.money_column(t[column].where(is_money))
            t[column] = [DASH if pd.isna(v) else m if is_m else price_text(v, self.currency, u)
                         for v, u, m, is_m in zip(t[column], t["unit"], money, is_money)]
        return t.drop(columns="unit").set_index("marker")


def price_corridor(results: EngagementResults, *, currency: str = "EUR") -> PriceCorridor:
    """The winning concept and its price corridor from the conjoint (WTP) and EVE (value drivers).

    Conjoint prices are in the study's price unit (``price_unit``, e.g. cents/kWh); they are compared
    with EVE's money only when that unit is money in the engagement's currency.
    """
    drv, cho = results.drivers, results.choice
    eve = drv.eve if drv is not None else None
    unit = cho.price_unit if cho is not None and not in_currency(cho.price_unit, currency) else None
    rows, flags = _eve_rows(eve, currency)
    concept, wtp, recommended = None, None, None
    tested = sorted(cho.tested_prices) if cho is not None else []
    if cho is not None and cho.winning_concept is not None:
        win = cho.winning_concept
        concept = {k: v for k, v in win.levels.items() if k != cho.price_attribute}
        recommended, wtp = win.price, cho.concept_wtp(win)
        rows += _conjoint_rows(cho, wtp, unit)
        if tested and win.price is not None and win.price >= tested[-1]:
            flags.append(f"the winning price {price_text(win.price, currency, unit)} is the highest price tested: the "
                         "optimum may lie above the tested range, so test higher prices before settling")
        if cho.converged is False:
            flags.append("the conjoint's HB sampler did not converge: treat its prices as provisional")
    comparable = eve is not None and unit is None  # EVE and the conjoint price in the same money
    if comparable and wtp is not None and wtp.low is not None and wtp.low > eve.economic_value:
        flags.append(f"respondents value the winning features at {_money(wtp.value, currency)} (interval from "
                     f"{_money(wtp.low, currency)}), above the EVE economic value {_money(eve.economic_value, currency)}: "
                     "revisit the EVE differentiation values with the conjoint evidence")
    if eve is not None and unit is not None and cho.winning_concept is not None:
        flags.append(f"the conjoint's prices are in {unit}, EVE's in {currency}: the two are not compared")
    low = eve.reference_value if eve is not None else (tested[0] if tested else None)
    high = eve.economic_value if eve is not None else (wtp.value if wtp is not None else
                                                       (tested[-1] if tested else None))
    if (comparable or eve is None) and recommended is not None and high is not None and recommended > high:
        flags.append(f"the winning concept's price {price_text(recommended, currency, unit)} is above the corridor's "
                     f"ceiling {price_text(high, currency, unit)}")
    table = pd.DataFrame(rows, columns=["marker", "price", "low", "high", "source", "unit"])
    return PriceCorridor(low=low if rows else None, high=high if rows else None, recommended=recommended, table=table,
                         flags=flags, concept=concept, wtp=wtp, currency=currency, unit=unit)


def _eve_rows(eve: Any, currency: str) -> tuple[list[dict[str, Any]], list[str]]:
    """EVE's price markers (money in the currency) and the planned-price flag."""
    if eve is None:
        return [], []
    rows = [{"marker": "next best alternative (EVE reference value)", "price": eve.reference_value, "low": None,
             "high": None, "source": "value drivers", "unit": None},
            {"marker": "economic value (EVE ceiling)", "price": eve.economic_value, "low": None, "high": None,
             "source": "value drivers", "unit": None}]
    flags = []
    if eve.planned_price is not None:
        rows.append({"marker": "planned price", "price": eve.planned_price, "low": None, "high": None,
                     "source": "value drivers", "unit": None})
        if eve.planned_price > eve.economic_value:
            flags.append(f"the planned price {_money(eve.planned_price, currency)} is above the economic value "
                         f"{_money(eve.economic_value, currency)}: a fully informed customer would not pay it")
    return rows, flags


def _conjoint_rows(cho: Any, wtp: Estimate | None, unit: str | None) -> list[dict[str, Any]]:
    """The conjoint's price markers, in the study's price unit."""
    rows = []
    if cho.winning_concept.price is not None:
        rows.append({"marker": "winning concept's price (most profitable)", "price": cho.winning_concept.price,
                     "low": None, "high": None, "source": "discrete choice", "unit": unit})
    if cho.profit_max_price is not None and cho.base_concept is not None:
        rows.append({"marker": f"profit-maximising price for {cho.base_concept.name}", "price": cho.profit_max_price,
                     "low": None, "high": None, "source": "discrete choice", "unit": unit})
    if wtp is not None:
        rows.append({"marker": "WTP for the winning features vs the basic levels", "price": wtp.value,
                     "low": wtp.low, "high": wtp.high, "source": "discrete choice", "unit": unit})
    return rows


# --- headline findings ------------------------------------------------------------------------------------


@dataclass
class Finding:
    """One headline finding and the number behind it."""

    topic: str
    text: str
    number: str
    source: str


def campaign_finding(results: EngagementResults, *, currency: str = "EUR") -> Finding | None:
    """The campaigns' net value (incremental margin minus cost), best and worst campaign; None without campaigns."""
    cam = results.campaigns
    if cam is None:
        return None
    money = lambda v: _money(v, currency)  # noqa: E731
    text = (f"Against their control groups, the {len(cam.campaigns)} campaigns returned {money(cam.net_value)} net "
            "(incremental margin minus contact cost)")
    best, worst = cam.campaign(cam.best or ""), cam.campaign(cam.worst or "")
    if best is not None:
        text += f"; best {best.campaign_id} ({money(best.net_value)}, lift {best.lift_pp.value:+.1f} points)"
    if worst is not None:
        text += f", worst {worst.campaign_id} ({money(worst.net_value)})"
    if cam.targeting_gain > 0:
        text += f"; not contacting the groups where the contact lost money would have saved {money(cam.targeting_gain)}"
    return Finding("Campaigns", text + ".", money(cam.net_value), "Campaign response")


def campaign_table(results: EngagementResults) -> pd.DataFrame:
    """The campaigns best first: lift with interval, incremental margin, cost, net value, ROI, significance.

    Empty (with the columns) when the campaign analysis did not run.
    """
    cols = ["campaign_id", "lift_pp", "lift_low", "lift_high", "significant", "incremental_margin", "cost",
            "net_value", "roi", "balanced"]
    cam = results.campaigns
    if cam is None:
        return pd.DataFrame(columns=cols)
    rows = [{"campaign_id": c.campaign_id, "lift_pp": c.lift_pp.value, "lift_low": c.lift_pp.low,
             "lift_high": c.lift_pp.high, "significant": c.significant, "incremental_margin": c.incremental_margin.value,
             "cost": c.cost, "net_value": c.net_value, "roi": c.roi, "balanced": c.balanced} for c in cam.campaigns]
    return pd.DataFrame(rows, columns=cols).sort_values("net_value", ascending=False, ignore_index=True)


def headline_findings(results: EngagementResults, *, currency: str = "EUR", n: int = 5) -> list[Finding]:
    """The ``n`` headline findings, each with the number behind it, from whatever analyses ran.

    Order of priority: what the base is worth, whom to target, loyalty against the competitor,
    what drives it, the winning offer and its price; the CLV analysis alone adds concentration
    and activity. Fewer than ``n`` when the evidence does not support more.
    """
    found: list[Finding] = []
    clv, seg, drv, cho = results.clv, results.segmentation, results.drivers, results.choice
    money = lambda v: _money(v, currency)  # noqa: E731
    if clv is not None and clv.total is not None:
        found.append(Finding("Value at stake", f"Current customers are worth {_interval(clv.total, money)} in "
                             f"discounted margin over the next {clv.horizon_months} months{clv.horizon_note()}; "
                             f"the top 20% of customers hold {_pct(clv.top20_share)} of it.", money(clv.total.value),
                             "Customer lifetime value"))
    if seg is not None and seg.targets():
        targets = seg.targets()
        names = " and ".join(f"{t.segment}, \"{t.name}\"" for t in targets)
        size = sum(t.size_share for t in targets)
        shares = [t.value_share for t in targets]
        value = sum(shares) if all(v is not None for v in shares) else None
        held = f", and {_pct(value)} of the value" if value is not None else ""
        found.append(Finding("Whom to target", f"Target segment{'s' if len(targets) > 1 else ''} {names}: "
                             f"{_pct(size)} of respondents{held}.", _pct(value if value is not None else size),
                             "Segmentation"))
    if drv is not None:
        nps = _interval(drv.nps, lambda v: f"{v:+.1f}")
        gap = ""
        if drv.nps_gap is not None and drv.competitor:
            real = "a real difference" if drv.nps_gap_significant else "not distinguishable from noise"
            gap = f", {drv.nps_gap.value:+.1f} points against {drv.competitor} ({real})"
        found.append(Finding("Loyalty", f"{drv.client_brand}'s NPS is {nps}{gap}.", f"{drv.nps.value:+.1f}",
                             "Value drivers"))
        top = drv.top_drivers[:2]
        fix = drv.actions("fix")
        fix_text = (f"; fix first: {fix[0].label} ({fix[0].importance:.0f}% of R², rated {fix[0].performance:.1f}/10)"
                    if fix else "")
        found.append(Finding("What drives it", f"{' and '.join(d.label for d in top)} drive {_outcome(drv.outcome)} most "
                             f"({', '.join(f'{d.importance:.0f}%' for d in top)} of the explained variance){fix_text}.",
                             f"{top[0].importance:.0f}% of R²", "Value drivers"))
    if cho is not None and cho.winning_concept is not None:
        win = cho.winning_concept
        levels = ", ".join(f"{_level(k)} {_level(v)}" for k, v in win.levels.items() if k != cho.price_attribute)
        price = f" at {price_text(win.price, currency, cho.price_unit)}" if win.price is not None else ""
        found.append(Finding("What to offer", f"The most profitable concept is {levels}{price}: {_pct(win.share)} "
                             "share of preference in the simulated market.", _pct(win.share), "Discrete choice"))
    if clv is not None and clv.contractual is not None:
        sub = clv.contractual
        alike = "" if sub.heterogeneity_p is None else (
            "; the cohorts retain differently, so each is valued on its own curve" if sub.heterogeneity_p < 0.05
            else "; the cohorts retain alike")
        found.append(Finding("Subscribers", f"The {sub.active:,} active subscribers are worth {money(sub.residual_value)} "
                             f"in discounted expected residual margin ({money(sub.per_active)} each, sBG by "
                             f"{sub.cohort_basis}){alike}.", money(sub.residual_value), "Customer lifetime value"))
    if (campaign := campaign_finding(results, currency=currency)) is not None:
        found.append(campaign)
    if drv is not None and drv.eve is not None:
        e = drv.eve
        vs = f" against a planned {money(e.planned_price)}" if e.planned_price is not None else ""
        found.append(Finding("What it is worth", f"{e.offer} is worth {money(e.economic_value)} to a fully informed "
                             f"customer (economic value){vs}.", money(e.economic_value), "Value drivers"))
    if clv is not None:
        if clv.mean_p_alive is not None:
            found.append(Finding("Who is still active", f"On average a customer is still active with probability "
                                 f"{clv.mean_p_alive:.2f}: {_pct(1 - clv.mean_p_alive)} of the base has likely lapsed.",
                                 f"{clv.mean_p_alive:.2f}", "Customer lifetime value"))
        with_cac = [g for g in clv.by_segment if g.clv_to_cac is not None]
        if with_cac:
            worst = min(with_cac, key=lambda g: g.clv_to_cac)
            found.append(Finding("Acquisition", f"{clv.segment_column} {worst.group} returns the least per unit of "
                                 f"acquisition cost (CLV-to-CAC {worst.clv_to_cac:.1f}).", f"{worst.clv_to_cac:.1f}",
                                 "Customer lifetime value"))
    return found[:n]


# --- next steps -----------------------------------------------------------------------------------------


def missing_note(results: EngagementResults) -> str:
    """One sentence on which analyses are missing from the run (empty when none)."""
    parts = []
    if results.missing:
        parts.append(f"Not run in this engagement: {', '.join(results.missing)}; the parts of the summary that need "
                     "them are left out.")
    if results.without_section:
        parts.append(f"Key figures only: {', '.join(results.without_section)} ran without the data its full results "
                     "need (e.g. a segmentation without a needs battery or conjoint part-worths gives RFM segments "
                     "only), or its results were written by an older cvkit.")
    return " ".join(parts)


def next_steps(results: EngagementResults, *, currency: str = "EUR", n: int = 6) -> list[str]:
    """Concrete next steps, most important first, from the findings and what is missing."""
    steps: list[str] = []
    seg, drv, cho, clv = results.segmentation, results.drivers, results.choice, results.clv
    targets = target_recommendation(results, currency=currency)
    if seg is not None and len(targets):
        names = " and ".join(f"\"{name}\"" for name in targets["name"])
        steps.append(f"Build the customer plan around {names}: find them in the CRM with the segmentation's typing "
                     "tool and size the offer for them.")
    elif clv is not None and len(targets):
        steps.append(f"Start a retention programme for the {targets['segment'].iloc[0]} of customers by CLV.")
    if drv is not None:
        fix = drv.actions("fix")
        if fix:
            steps.append(f"Close the gap on {', '.join(e.label for e in fix[:3])}: important to customers, and "
                         f"{drv.client_brand} under-performs there.")
        stop = drv.actions("stop over-investing")
        if stop:
            steps.append(f"Review the spend on {', '.join(e.label for e in stop[:3])}: strong, but they do not move "
                         f"{_outcome(drv.outcome)}; keep whatever is part of the brand promise.")
    corridor = price_corridor(results, currency=currency)
    if cho is not None and cho.winning_concept is not None:
        price = (f" at {price_text(corridor.recommended, currency, cho.price_unit)}"
                 if corridor.recommended is not None else "")
        steps.append(f"Pilot the winning concept{price} with a market test before launch: preference shares "
                     "overstate real take-up.")
    steps += _campaign_steps(results)
    for flag in corridor.flags:
        steps.append(f"Check the price: {flag}.")
    if clv is not None and clv.total is not None and clv.total.low is not None and clv.total.high is not None and clv.total.value:
        width = (clv.total.high - clv.total.low) / 2 / abs(clv.total.value)
        if width > 0.2:
            steps.append(f"The CLV interval is ±{width:.0%}: collect more history before budgeting on it.")
    for title in results.missing:
        steps.append(f"Run the {title.lower()} analysis (needs {_NEEDS.get(title, 'its data')}) to complete the "
                     "recommendation.")
    for title in results.without_section:  # it ran, on less than its full results need
        steps.append(f"Give the {title.lower()} {_NEEDS.get(title, 'its data')} to complete the recommendation: "
                     "this run has its key figures only.")
    return steps[:n]


def _campaign_steps(results: EngagementResults) -> list[str]:
    cam = results.campaigns
    if cam is None:
        return []
    steps = []
    contact = [f"{a.campaign_id} to {a.group}" for a in cam.advice if a.advice == "contact"]
    stop = [f"{a.campaign_id} to {a.group}" for a in cam.advice if a.advice == "stop"]
    if contact or stop:
        parts = ([f"repeat {', '.join(contact[:4])}"] if contact else []) + (
            [f"stop {', '.join(stop[:4])}"] if stop else [])
        steps.append(f"Target the next campaigns by response, not by habit: {'; '.join(parts)}.")
    nt = cam.next_test
    if nt is not None and nt.control_needed is not None:
        steps.append(f"Keep a control group of at least {nt.control_needed:,.0f} customers per campaign of "
                     f"{nt.contacted:,} contacts, to detect a lift of {nt.lift_pp:.1f} points.")
    return steps


# --- figures --------------------------------------------------------------------------------------------


def _empty(ax: matplotlib.axes.Axes, title: str, text: str) -> matplotlib.axes.Axes:
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="0.4", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


def _ax(ax: matplotlib.axes.Axes | None, size: tuple[float, float]) -> matplotlib.axes.Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_value_at_stake(stake: ValueAtStake, *, currency: str = "EUR",
                        ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Share of value by segment (bars), the targets in the client colour; the total in the title."""
    ax = _ax(ax, (6, 3.5))
    title = "Value at stake"
    if not len(stake.table) or stake.table["share"].isna().all():
        return _empty(ax, title, "No CLV in this run:\nrun the customer lifetime value analysis")
    t = stake.table.iloc[::-1]
    colors = [CLIENT_COLOR if tgt else ACCENT for tgt in t["target"]]
    ax.barh([_wrap(g) for g in t["group"]], 100 * t["share"], color=colors)
    for y, (share, people) in enumerate(zip(t["share"], t["customers_share"])):
        ax.text(100 * share, y, f" {100 * share:.0f}% of value, {100 * people:.0f}% of customers", va="center",
                fontsize=8)
    ax.set_xlim(0, 100 * max(t["share"].max(), 0.01) * 1.9)
    ax.set_xlabel("share of value (%)")
    total = f": {format_currency(stake.total.value, currency)} over {stake.horizon_months} months" if stake.total else ""
    ax.set_title(f"{title}{total}", loc="left")
    return ax


def plot_drivers(results: EngagementResults, *, ax: matplotlib.axes.Axes | None = None,
                 top: int = 8) -> matplotlib.axes.Axes:
    """Importance of the elements with an action (fix / defend / stop over-investing), coloured by action."""
    ax = _ax(ax, (6, 3.5))
    title = "Elements of value: what to do"
    drv = results.drivers
    if drv is None or not drv.elements:
        return _empty(ax, title, "Value drivers not run:\nno element actions")
    order = {"fix": 0, "defend": 1, "stop over-investing": 2}
    elements = sorted(drv.elements, key=lambda e: (order[e.action], -e.importance))[:top][::-1]
    ax.barh([e.label for e in elements], [e.importance for e in elements],
            color=[ACTION_COLORS[e.action] for e in elements])
    for y, e in enumerate(elements):
        ax.text(e.importance, y, f" {e.action}", va="center", fontsize=8)
    ax.set_xlim(0, max(e.importance for e in elements) * 1.6)
    ax.set_xlabel(f"importance (% of R² of {_outcome(drv.outcome)})")
    ax.set_title(title, loc="left")
    return ax


def plot_targets(results: EngagementResults, *, currency: str = "EUR",
                 ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """Segments by size (x) and CLV per customer (y), bubble area = share of value; targets in the client colour."""
    ax = _ax(ax, (6, 3.5))
    title = "Whom to target"
    seg = results.segmentation
    if seg is None:
        return _empty(ax, title, "Segmentation not run:\nno needs-based targets")
    has_clv = all(s.clv_mean is not None for s in seg.segments)
    ys = [s.clv_mean if has_clv else (s.attractiveness or 0) for s in seg.segments]
    sizes = [600 * (s.value_share if s.value_share is not None else s.size_share) + 40 for s in seg.segments]
    colors = [CLIENT_COLOR if s.target else COMPETITOR_COLORS[1] for s in seg.segments]
    ax.scatter([100 * s.size_share for s in seg.segments], ys, s=sizes, c=colors, alpha=0.8, edgecolors="white")
    for s, y in zip(seg.segments, ys):
        ax.annotate(_wrap(f"{s.segment}: {s.name}", 22), (100 * s.size_share, y), textcoords="offset points",
                    xytext=(0, -14), ha="center", va="top", fontsize=8)
    ax.set_xlabel("size (% of respondents)")
    ax.set_ylabel(f"CLV per customer ({currency})" if has_clv else "attractiveness (0-1)")
    ax.margins(x=0.3, y=0.45)
    ax.set_title(f"{title} (red: recommended)", loc="left")
    return ax


def plot_price_corridor(corridor: PriceCorridor, *, currency: str = "EUR",
                        ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
    """The corridor as a band, with every price marker (and the WTP interval) on one axis."""
    ax = _ax(ax, (6, 3.5))
    title = "Price corridor"
    if not corridor.available:
        return _empty(ax, title, "Neither EVE nor the conjoint ran:\nno price evidence")
    t = corridor.table.iloc[::-1].reset_index(drop=True)
    if corridor.low is not None and corridor.high is not None:
        ax.axvspan(min(corridor.low, corridor.high), max(corridor.low, corridor.high), color=ACCENT, alpha=0.12,
                   label="corridor")
    for y, row in t.iterrows():
        if pd.notna(row["low"]) and pd.notna(row["high"]):
            ax.plot([row["low"], row["high"]], [y, y], color="0.5", lw=2)
        recommended = corridor.recommended is not None and np.isclose(row["price"], corridor.recommended) \
            and "winning" in row["marker"]
        ax.plot(row["price"], y, "o", color=CLIENT_COLOR if recommended else ACCENT, ms=8)
        ax.text(row["price"], y + 0.22, price_text(row["price"], currency, row["unit"]), ha="center", fontsize=8)
    ax.set_yticks(range(len(t)), [_wrap(m, 30) for m in t["marker"]], fontsize=8)
    ax.set_ylim(-0.6, len(t) - 0.4)
    units = {u for u in t["unit"] if u}
    ax.set_xlabel(f"price ({', '.join(sorted(units)) if units else currency})")
    ax.set_title(title, loc="left")
    return ax


def plot_dashboard(results: EngagementResults, *, currency: str = "EUR", client_name: str = "",
                   fig: matplotlib.figure.Figure | None = None) -> matplotlib.figure.Figure:
    """One slide-sized figure (16:9): value at stake, whom to target, elements of value, price corridor.

    Panels whose analysis did not run say so instead of staying blank.
    """
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(14, 7.9))
    axes = fig.subplots(2, 2)
    plot_value_at_stake(value_at_stake(results), currency=currency, ax=axes[0, 0])
    plot_targets(results, currency=currency, ax=axes[0, 1])
    plot_drivers(results, ax=axes[1, 0])
    plot_price_corridor(price_corridor(results, currency=currency), currency=currency, ax=axes[1, 1])
    fig.suptitle(f"{client_name + ': ' if client_name else ''}the recommendation on one page", x=0.01, ha="left",
                 fontsize=15, fontweight="bold")
    fig.tight_layout()
    return fig
