"""The results contract: what each analysis notebook hands to the engagement synthesis.

Besides its tables and figures, every analysis notebook writes one small JSON file,
``results/<analysis>.json`` in the run's output folder, through
:meth:`cvkit.engagement.outputs.Outputs.result` (headline key figures, shown on the index cards) and
:meth:`cvkit.engagement.outputs.Outputs.section` (the structured section defined here, validated when it
is written). The synthesis notebook reads them back with :func:`load_results`, so it never
parses a notebook or a free-form table.

File layout (``schema_version`` 1)::

    {
      "schema_version": 1,
      "analysis": "clv",
      "key_figures": {"clv_total": {"value": 333857.5, "unit": "EUR", "label": "..."}, ...},
      "section": { ... one of DriversResults, ChoiceResults, SegmentationResults, ClvResults ... },
      "red_flags": [{"code": "short_history", "page": "clv", "title": "...", "detail": "..."}, ...]
    }

Files written before the contract (a flat mapping of key figures, e.g. carried over from an
older deliverable by ``cvkit run --only``) still load: they have key figures and no section.

Units: money in the engagement's currency; shares in 0..1; importances in % (of R² for the
value drivers, of the summed attribute ranges for the conjoint); NPS in points (-100..100).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cvkit.engagement.strict import Strict, explain
from cvkit.exceptions import ResultsError
from cvkit.jsonable import plain_nested as _plain_nested

__all__ = ["SCHEMA_VERSION", "ResultsError", "KeyFigure", "Estimate", "Driver", "ElementAction", "EconomicValue",
           "DriversResults", "AttributeImportance", "LevelWTP", "Concept", "ChoiceResults", "SegmentRow",
           "SegmentationResults", "ValueGroup", "ClvResults", "CampaignRow", "TargetingAdvice", "UpliftCheck",
           "NextTest", "CampaignResults", "SubscriptionCohort", "ContractualResults", "DiscreteResults", "AnalysisResults", "EngagementResults",
           "SECTION_MODELS", "load_results", "read_results_file", "validate_section", "demo_results_dir"]

SCHEMA_VERSION = 1
ACTIONS = ("fix", "defend", "stop over-investing")


class _Strict(Strict):
    """Unknown fields are refused (a misspelt field fails loudly); numpy values and NaN are accepted."""

    @model_validator(mode="before")
    @classmethod
    def _plain_values(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: _plain_nested(v) for k, v in data.items()}
        return data


class KeyFigure(_Strict):
    """One headline number (or text, list, mapping) with its unit and a label for the reader."""

    value: Any
    unit: str | None = None
    label: str


class Estimate(_Strict):
    """A number with its interval: ``value`` in [``low``, ``high``] at ``level`` (e.g. 0.95)."""

    value: float
    low: float | None = None
    high: float | None = None
    level: float = Field(0.95, gt=0, lt=1)
    n: int | None = Field(None, ge=0, description="Base (respondents, customers) behind the estimate.")

    @model_validator(mode="after")
    def _ordered(self) -> Estimate:
        # Not required to contain the value: a bootstrap percentile interval of a skewed statistic may not.
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"interval low {self.low} is above high {self.high}")
        return self


# --- value drivers -------------------------------------------------------------------------------------


class Driver(_Strict):
    """One key driver: derived importance in % of R², with its 95% bootstrap interval."""

    driver: str
    label: str
    importance: float = Field(ge=0, le=100)
    low: float | None = None
    high: float | None = None


class ElementAction(_Strict):
    """An element of value the client should fix, defend, or stop over-investing in (importance-performance)."""

    action: Literal["fix", "defend", "stop over-investing"]
    element: str
    label: str
    importance: float = Field(description="% of R².")
    performance: float = Field(description="The client's mean rating, 0-10.")
    gap: float | None = Field(None, description="Client minus competitor mean rating.")
    reason: str


class EconomicValue(_Strict):
    """Economic value estimation: reference value + differentiation = the value-based price ceiling."""

    offer: str
    reference_value: float
    differentiation_value: float
    economic_value: float
    planned_price: float | None = None

    @model_validator(mode="after")
    def _adds_up(self) -> EconomicValue:
        if abs(self.reference_value + self.differentiation_value - self.economic_value) > 1e-6 * max(
                1.0, abs(self.economic_value)):
            raise ValueError("economic_value must equal reference_value + differentiation_value")
        return self


class DriversResults(_Strict):
    """Section of ``results/drivers.json`` (notebook 01)."""

    client_brand: str
    competitor: str | None = None
    outcome: str = Field(description="What the key driver analysis explains: nps, satisfaction or overall_value.")
    nps: Estimate = Field(description="The client's NPS in points, 95% interval.")
    csat: Estimate | None = Field(None, description="The client's CSAT (top-2 box) in %, 95% interval.")
    nps_gap: Estimate | None = Field(None, description="Client minus competitor NPS in points, 95% interval.")
    nps_gap_significant: bool | None = None
    r2: Estimate
    top_drivers: list[Driver] = Field(min_length=1)
    elements: list[ElementAction] = Field(default_factory=list)
    eve: EconomicValue | None = None

    def actions(self, action: str) -> list[ElementAction]:
        """Elements with the given action (``fix``, ``defend``, ``stop over-investing``)."""
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} is unknown; use one of {ACTIONS}")
        return [e for e in self.elements if e.action == action]

    @classmethod
    def from_tables(cls, *, client_brand: str, competitor: str | None, outcome: str, loyalty: pd.DataFrame,
                    nps_gap: Any = None, r2: float, r2_ci: tuple[float, float] | None, importance: pd.DataFrame,
                    actions: pd.DataFrame, eve: Any = None, eve_offer: str = "", eve_price: float | None = None,
                    labels: Mapping[str, str] | None = None, top: int = 5) -> DriversResults:
        """Build the section from notebook 01's tables.

        Parameters
        ----------
        loyalty : DataFrame
            One row per brand: ``brand``, ``n``, ``nps``, ``nps_low``, ``nps_high``, ``csat_pct``,
            ``csat_low``, ``csat_high``.
        nps_gap : object with ``difference``, ``ci_low``, ``ci_high``, ``significant``, optional
            :func:`cvkit.metrics.nps_difference` of client and competitor.
        importance : DataFrame
            :meth:`cvkit.drivers.KeyDriverAnalysis.summary`, ordered by importance (``driver`` is the label).
        actions : DataFrame
            :func:`cvkit.drivers.action_table`.
        eve : cvkit.metrics.EconomicValue, optional
        labels : mapping, optional
            Element slug -> label (:func:`cvkit.drivers.element_labels`), to name drivers by slug too.
        """
        slug = {label: key for key, label in (labels or {}).items()}
        row = loyalty.set_index("brand").loc[client_brand]
        csat = None
        if pd.notna(row.get("csat_pct")):
            csat = Estimate(value=row["csat_pct"], low=row.get("csat_low"), high=row.get("csat_high"), n=int(row["n"]))
        drivers = []
        for r in importance.head(top).itertuples():
            share, low, high = r.share_of_r2_pct, r.share_of_r2_pct_lower, r.share_of_r2_pct_upper
            if pd.isna(low) and hasattr(r, "relative_weight_pct_lower"):  # sampled Shapley: the RW interval stands in
                low, high = r.relative_weight_pct_lower, r.relative_weight_pct_upper
            ok = pd.notna(low) and pd.notna(high) and low <= share <= high
            drivers.append(Driver(driver=slug.get(str(r.driver), str(r.driver)), label=str(r.driver), importance=share,
                                  low=low if ok else None, high=high if ok else None))
        elements = [ElementAction(action=r.action, element=r.driver, label=r.label, importance=r.importance,
                                  performance=r.performance, gap=getattr(r, "gap", None), reason=r.why)
                    for r in actions.itertuples()]
        gap = None
        if nps_gap is not None:
            gap = Estimate(value=nps_gap.difference, low=nps_gap.ci_low, high=nps_gap.ci_high)
        value = None
        if eve is not None:
            value = EconomicValue(offer=eve_offer, reference_value=eve.reference_value,
                                  differentiation_value=eve.differentiation_value, economic_value=eve.economic_value,
                                  planned_price=eve_price)
        return cls(client_brand=client_brand, competitor=competitor or None, outcome=outcome,
                   nps=Estimate(value=row["nps"], low=row["nps_low"], high=row["nps_high"], n=int(row["n"])),
                   csat=csat, nps_gap=gap, nps_gap_significant=None if nps_gap is None else bool(nps_gap.significant),
                   r2=Estimate(value=r2, low=r2_ci[0] if r2_ci else None, high=r2_ci[1] if r2_ci else None),
                   top_drivers=drivers, elements=elements, eve=value)


# --- discrete choice -----------------------------------------------------------------------------------


class AttributeImportance(_Strict):
    """Share of the summed part-worth ranges (%), mean over respondents, with the 10th-90th percentiles."""

    attribute: str
    importance: float = Field(ge=0, le=100)
    p10: float | None = None
    p90: float | None = None


class LevelWTP(_Strict):
    """Willingness to pay (currency per price period) to move from ``from_level`` to ``to_level`` (ratio method)."""

    attribute: str
    from_level: str
    to_level: str
    wtp: float | None
    low: float | None = None
    high: float | None = None


class Concept(_Strict):
    """A product concept of the simulator: a level per attribute, its preference share and profit."""

    name: str
    levels: dict[str, str | float]
    share: float = Field(ge=0, le=1, description="Share of preference, 0..1.")
    price: float | None = None
    profit_per_customer: float | None = Field(None, description="Currency per potential customer and period.")


class ChoiceResults(_Strict):
    """Section of ``results/choice.json`` (notebook 02)."""

    method: str
    converged: bool | None = None
    price_attribute: str | None = None
    importances: list[AttributeImportance] = Field(min_length=1)
    base_concept: Concept | None = None
    winning_concept: Concept | None = None
    profit_max_price: float | None = Field(None, description="Fee that maximises the base concept's profit.")
    tested_prices: list[float] = Field(default_factory=list, description="Price points of the design.")
    price_unit: str | None = Field(None, description="Unit of the price attribute, as the study states it (e.g. "
                                   "'cents/kWh', 'CHF per trip'); None: the engagement's currency.")
    wtp: list[LevelWTP] = Field(default_factory=list)

    def concept_wtp(self, concept: Concept) -> Estimate | None:
        """Summed ratio-method WTP of a concept's levels over the first levels (the worst where ordered).

        The interval adds the level intervals' ends: conservative, since the level WTPs are
        correlated through the shared price coefficient.
        """
        by_level = {(w.attribute, w.to_level): w for w in self.wtp}
        parts = [by_level[(a, str(lv))] for a, lv in concept.levels.items() if (a, str(lv)) in by_level]
        if not parts or any(p.wtp is None for p in parts):
            return None
        value = sum(p.wtp for p in parts)
        if all(p.low is not None and p.high is not None for p in parts):
            return Estimate(value=value, low=sum(p.low for p in parts), high=sum(p.high for p in parts))
        return Estimate(value=value)

    @classmethod
    def from_tables(cls, *, method: str, converged: bool | None, price_attribute: str | None,
                    importances: pd.DataFrame, wtp: pd.DataFrame, products: list[dict], client_index: int,
                    base_share: float | None = None, base_profit: float | None = None,
                    best: pd.Series | None = None, profit_max_price: float | None = None,
                    tested_prices: list[float] | None = None, price_unit: str | None = None) -> ChoiceResults:
        """Build the section from notebook 02's tables.

        Parameters
        ----------
        importances : DataFrame
            :func:`cvkit.choice.importance_summary` (``attribute``, ``importance``, ``p10``, ``p90``).
        wtp : DataFrame
            :func:`cvkit.choice.wtp` (``attribute``, ``from_level``, ``to_level``, ``wtp``, ``lower``, ``upper``).
        products, client_index
            The base scenario and the position of the client's product in it.
        best : Series, optional
            First row of :meth:`cvkit.choice.Simulator.best_configuration`: a level per attribute, ``share``, ``profit``.
        price_unit : str, optional
            Unit of the price attribute (``analyses.discrete_choice.price_unit``); None: the currency.
        """
        product = products[client_index]
        base = Concept(name=str(product.get("name", "client product")),
                       levels={a: product[a] for a in product if a != "name"},
                       share=base_share if base_share is not None else 0.0,
                       price=product.get(price_attribute) if price_attribute else None,
                       profit_per_customer=base_profit) if base_share is not None else None
        winner = None
        if best is not None:
            levels = {a: best[a] for a in product if a != "name" and a in best.index}
            winner = Concept(name="most profitable concept", levels=levels, share=best["share"],
                             price=best[price_attribute] if price_attribute in best.index else None,
                             profit_per_customer=best.get("profit"))
        levels = [LevelWTP(attribute=r.attribute, from_level=str(r.from_level), to_level=str(r.to_level), wtp=r.wtp,
                           low=r.lower, high=r.upper) for r in wtp.itertuples()] if len(wtp) else []
        return cls(method=method, converged=converged, price_attribute=price_attribute or None,
                   importances=[AttributeImportance(attribute=r.attribute, importance=r.importance, p10=r.p10,
                                                    p90=r.p90) for r in importances.itertuples()],
                   base_concept=base, winning_concept=winner, profit_max_price=profit_max_price,
                   tested_prices=list(tested_prices or []), price_unit=price_unit or None, wtp=levels)


# --- segmentation --------------------------------------------------------------------------------------


class SegmentRow(_Strict):
    """One needs-based segment: size, traits, value, and whether it is a recommended target."""

    segment: str
    name: str
    size_share: float = Field(ge=0, le=1)
    respondents: int = Field(ge=0)
    key_traits: list[str] = Field(default_factory=list)
    clv_mean: float | None = Field(None, description="Mean CLV of the segment's linked customers (currency).")
    value_share: float | None = Field(None, ge=0, le=1, description="Share of the sample's CLV, 0..1.")
    nps: float | None = None
    wtp: float | None = Field(None, description="Median WTP for the headline upgrade (currency).")
    attractiveness: float | None = Field(None, ge=0, le=1)
    target: bool = False
    target_reason: str = ""

    @model_validator(mode="after")
    def _reason_for_target(self) -> SegmentRow:
        if self.target and not self.target_reason.strip():
            raise ValueError(f"segment {self.segment} is flagged as a target without a target_reason")
        return self


class SegmentationResults(_Strict):
    """Section of ``results/segment.json`` (notebook 03)."""

    basis: str = Field(description="What the segments are built from, e.g. 'needs and part-worths'.")
    k: int = Field(ge=1)
    algorithm: str
    wtp_measure: str | None = Field(None, description="The WTP column summarised per segment, e.g. wtp_delivery.same_day_median.")
    segments: list[SegmentRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SegmentationResults:
        if len(self.segments) != self.k:
            raise ValueError(f"k = {self.k} but {len(self.segments)} segments are listed")
        total = sum(s.size_share for s in self.segments)
        if abs(total - 1) > 0.01:
            raise ValueError(f"segment size shares sum to {total:.3f}, not 1")
        return self

    def targets(self) -> list[SegmentRow]:
        """The recommended target segments, most attractive first."""
        return sorted([s for s in self.segments if s.target], key=lambda s: -(s.attractiveness or 0))

    @classmethod
    def from_tables(cls, *, k: int, algorithm: str, basis: str, attractiveness: pd.DataFrame,
                    personas: pd.DataFrame | None = None, wtp_measure: str | None = None,
                    targets: Mapping[Any, str] | None = None) -> SegmentationResults:
        """Build the section from notebook 03's tables.

        Parameters
        ----------
        attractiveness : DataFrame
            :func:`cvkit.segment.attractiveness_table`: ``segment``, ``respondents``, ``share`` and the
            available criteria (``clv_mean``, ``value_share``, ``nps``, ``wtp``), ``attractiveness``.
        personas : DataFrame, optional
            :func:`cvkit.segment.persona_cards`: ``segment``, ``name``, ``top_needs``, ``prefers``.
        targets : mapping, optional
            Segment -> reason, for the recommended targets (:func:`cvkit.segment.recommend_targets`).
        """
        cards = {} if personas is None else {str(r["segment"]): r for _, r in personas.iterrows()}
        targets = {str(s): reason for s, reason in (targets or {}).items()}
        rows = []
        for r in attractiveness.to_dict("records"):
            seg = str(r["segment"])
            card = cards.get(seg)
            traits = []
            if card is not None:
                if isinstance(card.get("top_needs"), str) and card["top_needs"]:
                    traits.append(f"cares most about {card['top_needs']}")
                if isinstance(card.get("prefers"), str) and card["prefers"]:
                    traits.append(f"prefers {card['prefers']}")
            rows.append(SegmentRow(segment=seg, name=str(card["name"]) if card is not None else f"Segment {seg}",
                                   size_share=r["share"], respondents=int(r["respondents"]), key_traits=traits,
                                   clv_mean=r.get("clv_mean"), value_share=r.get("value_share"), nps=r.get("nps"),
                                   wtp=r.get("wtp"), attractiveness=r.get("attractiveness"), target=seg in targets,
                                   target_reason=targets.get(seg, "")))
        return cls(basis=basis, k=k, algorithm=algorithm, wtp_measure=wtp_measure, segments=rows)


# --- customer lifetime value ---------------------------------------------------------------------------


class ValueGroup(_Strict):
    """CLV of a group of customers over the horizon (currency), with its interval."""

    group: str
    customers: int = Field(ge=0)
    clv: float
    low: float | None = None
    high: float | None = None
    share: float | None = Field(None, description="Share of the total CLV, 0..1.")
    clv_to_cac: float | None = None


class SubscriptionCohort(_Strict):
    """One subscription cohort (a plan or a start period): its sBG fit and the value of its active subscribers."""

    cohort: str
    subscribers: int = Field(ge=0)
    alpha: float = Field(gt=0)
    beta: float = Field(gt=0)
    median_lifetime: float | None = Field(None, description="Billing periods until half a new cohort has left.")
    active: int = Field(0, ge=0)
    residual_value: float = Field(0.0, description="Discounted expected residual margin of the active (currency).")


class ContractualResults(_Strict):
    """Contractual CLV: sBG per cohort and the residual value of the active subscribers (notebook 04)."""

    cohort_basis: str
    active: int = Field(ge=0)
    residual_value: float = Field(description="Total over the active subscribers (currency).")
    per_active: float | None = None
    heterogeneity_p: float | None = Field(None, ge=0, le=1, description="LR test of one curve for all cohorts.")
    cohorts: list[SubscriptionCohort] = Field(min_length=1)

    @classmethod
    def from_analysis(cls, analysis: Any) -> ContractualResults:
        """From :func:`cvkit.clv.contractual.analyse_subscriptions`."""
        by = analysis.by_cohort.set_index("cohort")
        cohorts = [SubscriptionCohort(cohort=str(r.cohort), subscribers=int(r.subscribers), alpha=r.sbg_alpha, beta=r.sbg_beta,
                                      median_lifetime=r.median_lifetime if r.median_lifetime < float("inf") else None,
                                      active=int(by["active"].get(r.cohort, 0)),
                                      residual_value=float(by["residual_value"].get(r.cohort, 0.0)))
                   for r in analysis.parameters.itertuples()]
        active = sum(c.active for c in cohorts)
        return cls(cohort_basis=analysis.cohort_basis, active=active, residual_value=analysis.total,
                   per_active=analysis.total / active if active else None,
                   heterogeneity_p=analysis.heterogeneity.get("p_value"), cohorts=cohorts)


class DiscreteResults(_Strict):
    """Discrete-time non-contractual CLV: BG/BB on per-period participation (notebook 04)."""

    period: str
    customers: int = Field(ge=0)
    params: dict[str, float]
    mean_p_alive: float = Field(ge=0, le=1)
    expected_purchases: float = Field(description="Expected purchase occasions of the base over the horizon.")
    horizon_periods: int = Field(gt=0)


class ClvResults(_Strict):
    """Section of ``results/clv.json`` (notebook 04).

    Without a transaction log (``setting`` contractual, :meth:`subscribers_only`) there is no purchase
    model: ``model``, ``total`` and ``top20_share`` are empty and ``contractual`` carries the value.
    """

    model: str | None = Field(None, description="Purchase model behind the CLV; None without a purchase log.")
    horizon_months: int = Field(gt=0)
    n_customers: int = Field(ge=0)
    total: Estimate | None = Field(None, description="Total CLV of the current base over the horizon (currency), "
                                                     "90% interval; None without a purchase log.")
    top20_share: float | None = Field(None, ge=0, le=1)
    mean_p_alive: float | None = Field(None, ge=0, le=1)
    history_months: float | None = Field(None, gt=0, description="Months of transaction history the models learned "
                                         "from; a horizon beyond it is extrapolation.")
    by_tier: list[ValueGroup] = Field(default_factory=list)
    segment_column: str | None = None
    by_segment: list[ValueGroup] = Field(default_factory=list)
    setting: Literal["non_contractual", "contractual", "discrete"] = "non_contractual"
    contractual: ContractualResults | None = None
    discrete: DiscreteResults | None = None

    def horizon_note(self) -> str:
        """"" or, when the horizon reaches beyond the history, a clause saying it is extrapolation."""
        if self.history_months is None or self.horizon_months <= self.history_months:
            return ""
        return (f" (extrapolated: the log covers {self.history_months:.1f} months, the horizon is "
                f"{self.horizon_months})")

    @classmethod
    def subscribers_only(cls, contractual: ContractualResults | None, *, horizon_months: int) -> ClvResults:
        """The section of an engagement without a purchase log: the subscribers' residual value alone."""
        if contractual is None:
            raise ValueError("without a transaction log the CLV section needs the subscriptions analysis. Fix: "
                             "give data.subscriptions (analyses.clv.setting: contractual) or data.transactions.")
        return cls(horizon_months=horizon_months, n_customers=contractual.active, setting="contractual",
                   contractual=contractual)

    @classmethod
    def from_tables(cls, *, model: str, horizon_months: int, n_customers: int, intervals: pd.DataFrame,
                    top20_share: float, mean_p_alive: float | None = None, by_segment: pd.DataFrame | None = None,
                    segment_column: str | None = None, level: float = 0.9,
                    history_months: float | None = None) -> ClvResults:
        """Build the section from notebook 04's interval tables.

        ``intervals`` and ``by_segment`` are :func:`cvkit.clv.clv_interval` outputs (``group``,
        ``customers``, ``clv``, ``lower``, ``upper``; a ``total`` row), ``by_segment`` optionally with
        ``clv_to_cac``. ``history_months``: the log's span
        (:func:`cvkit.clv.diagnostics.history_vs_horizon`), so readers can say when the horizon is
        extrapolation.
        """
        def groups(table: pd.DataFrame | None) -> list[ValueGroup]:
            if table is None:
                return []
            t = table[table["group"] != "total"]
            whole = t["clv"].sum()
            return [ValueGroup(group=str(r.group), customers=int(r.customers), clv=r.clv, low=r.lower, high=r.upper,
                               share=r.clv / whole if whole else None, clv_to_cac=getattr(r, "clv_to_cac", None))
                    for r in t.itertuples()]

        total = intervals.set_index("group").loc["total"]
        return cls(model=model, horizon_months=horizon_months, n_customers=n_customers,
                   total=Estimate(value=total["clv"], low=total["lower"], high=total["upper"], level=level,
                                  n=n_customers),
                   top20_share=top20_share, mean_p_alive=mean_p_alive, history_months=history_months,
                   by_tier=groups(intervals),
                   segment_column=segment_column if by_segment is not None else None,
                   by_segment=groups(by_segment))


# --- campaign response --------------------------------------------------------------------------------


class CampaignRow(_Strict):
    """One campaign: contacted against control, lift with its interval, and what it was worth."""

    campaign_id: str
    source_code: str | None = None
    channel: str | None = None
    contacted: int = Field(ge=0)
    control: int = Field(ge=0)
    rate_contacted: float | None = Field(None, description="Response rate of the contacted customers, 0..1.")
    rate_control: float | None = Field(None, description="Response rate of the control group, 0..1.")
    lift_pp: Estimate = Field(description="Absolute lift in percentage points, Newcombe interval.")
    relative_lift: Estimate | None = Field(None, description="Lift as a share of the control rate, Katz interval.")
    incremental_responders: float | None = None
    incremental_margin: Estimate = Field(description="Incremental margin (currency), bootstrap interval.")
    cost: float = Field(ge=0, description="Cost of the contacts (currency).")
    net_value: float | None = Field(None, description="Incremental margin minus cost (currency).")
    roi: float | None = Field(None, description="Net value per unit of cost.")
    cost_per_incremental_response: float | None = None
    p_adjusted: float | None = Field(None, ge=0, le=1, description="Holm-adjusted p-value across the campaigns.")
    significant: bool = False
    balanced: bool | None = Field(None, description="Contacted and control alike before the campaign "
                                                    "(all standardised differences within 0.1).")


class TargetingAdvice(_Strict):
    """Contact, stop, or test again: one decision for a campaign and customer group."""

    campaign_id: str
    group: str
    advice: Literal["contact", "stop", "test again", "too few customers"]
    net_per_contact: float | None = None
    reason: str


class UpliftCheck(_Strict):
    """Honest (out-of-fold) validation of a campaign's two-model uplift ranking."""

    campaign_id: str
    qini_coefficient: float
    top_vs_rest_pp: float = Field(description="Observed lift in the top 30% by predicted uplift minus the rest.")


class NextTest(_Strict):
    """Control group the next test needs to detect ``lift_pp`` over ``base_rate``."""

    base_rate: float = Field(ge=0, le=1)
    lift_pp: float
    contacted: int = Field(ge=1)
    control_needed: float | None = Field(None, description="Customers; None when no control size suffices.")
    power: float = 0.8


class CampaignResults(_Strict):
    """Section of ``results/campaigns.json`` (notebook 06)."""

    window_days: int = Field(gt=0)
    margin: float = Field(ge=0, le=1)
    segment_column: str | None = None
    campaigns: list[CampaignRow] = Field(min_length=1)
    net_value: float = Field(description="Net value of all campaigns: incremental margin minus cost (currency).")
    targeting_gain: float = Field(0.0, ge=0, description="Net loss on the groups advised 'stop' (currency): what "
                                                        "targeting would have saved.")
    best: str | None = None
    worst: str | None = None
    advice: list[TargetingAdvice] = Field(default_factory=list)
    uplift: list[UpliftCheck] = Field(default_factory=list)
    next_test: NextTest | None = None

    def campaign(self, campaign_id: str) -> CampaignRow | None:
        return next((c for c in self.campaigns if c.campaign_id == campaign_id), None)

    @classmethod
    def from_tables(cls, *, lift: pd.DataFrame, advice: pd.DataFrame, balance: pd.DataFrame | None = None,
                    uplift: Mapping[str, Any] | None = None, next_test: Mapping[str, Any] | None = None,
                    window_days: int, margin: float, segment_column: str | None = None,
                    level: float = 0.95) -> CampaignResults:
        """Build the section from notebook 06's tables.

        Parameters
        ----------
        lift : DataFrame
            :func:`cvkit.campaigns.lift_table` by campaign, plus optional ``source_code`` and ``channel``.
        advice : DataFrame
            :func:`cvkit.campaigns.targeting_advice` of the campaign x segment table (``campaign_id``,
            ``segment``, ``advice``, ``net_per_contact``, ``reason``, ``net_value``).
        balance : DataFrame, optional
            :func:`cvkit.campaigns.balance_table`.
        uplift : mapping, optional
            Campaign -> :class:`cvkit.campaigns.UpliftValidation`.
        next_test : mapping, optional
            Fields of :class:`NextTest`.
        """
        balanced = {} if balance is None or balance.empty else balance.groupby("campaign_id")["balanced"].all().to_dict()

        def est(r: Any, name: str) -> Estimate:
            return Estimate(value=getattr(r, name), low=getattr(r, f"{name}_low"), high=getattr(r, f"{name}_high"),
                            level=level)

        rows = []
        for r in lift.itertuples():
            rel = est(r, "relative_lift") if pd.notna(r.relative_lift) else None
            rows.append(CampaignRow(
                campaign_id=str(r.campaign_id), source_code=getattr(r, "source_code", None),
                channel=getattr(r, "channel", None), contacted=int(r.contacted), control=int(r.control),
                rate_contacted=r.rate_contacted, rate_control=r.rate_control, lift_pp=est(r, "lift_pp"),
                relative_lift=rel, incremental_responders=r.incremental_responders,
                incremental_margin=est(r, "incremental_margin"), cost=r.cost, net_value=r.net_value, roi=r.roi,
                cost_per_incremental_response=r.cost_per_incremental_response, p_adjusted=r.p_adjusted,
                significant=bool(r.significant), balanced=balanced.get(r.campaign_id)))
        ranked = lift.dropna(subset=["net_value"]).sort_values("net_value")
        stop = advice[advice["advice"] == "stop"]
        gain = float(-stop["net_value"].clip(upper=0).sum()) if "net_value" in stop.columns else 0.0
        return cls(window_days=window_days, margin=margin, segment_column=segment_column or None, campaigns=rows,
                   net_value=float(lift["net_value"].sum()), targeting_gain=gain,
                   best=str(ranked["campaign_id"].iloc[-1]) if len(ranked) else None,
                   worst=str(ranked["campaign_id"].iloc[0]) if len(ranked) > 1 else None,
                   advice=[TargetingAdvice(campaign_id=str(r.campaign_id), group=str(r.segment), advice=r.advice,
                                           net_per_contact=r.net_per_contact, reason=r.reason)
                           for r in advice.itertuples()],
                   uplift=[UpliftCheck(campaign_id=str(k), qini_coefficient=v.qini_coefficient,
                                       top_vs_rest_pp=v.top_vs_rest_pp) for k, v in (uplift or {}).items()],
                   next_test=NextTest(**next_test) if next_test else None)


# --- the files -----------------------------------------------------------------------------------------

SECTION_MODELS: dict[str, type[_Strict]] = {
    "drivers": DriversResults,
    "choice": ChoiceResults,
    "segment": SegmentationResults,
    "clv": ClvResults,
    "campaigns": CampaignResults,
}


class AnalysisResults(BaseModel):
    """One ``results/<analysis>.json`` file: key figures and (when written) the structured section."""

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    analysis: str
    key_figures: dict[str, KeyFigure] = Field(default_factory=dict)
    section: DriversResults | ChoiceResults | SegmentationResults | ClvResults | CampaignResults | None = None
    # Red flags computed from the data by the page (cvkit.engagement.flags.RedFlag as dicts).
    red_flags: list[dict[str, str]] = Field(default_factory=list)

    @property
    def legacy(self) -> bool:
        """True for a file written before the contract (key figures only)."""
        return self.section is None


def _explain(exc: ValidationError, where: str) -> str:
    def describe(loc: list[str], err: dict[str, Any]) -> str:
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
        return f"  - {'.'.join(loc) or '(top level)'}: {err['msg']}{shown}"

    lines = explain(exc, describe)
    return (f"{where} does not follow the cvkit results contract:\n" + "\n".join(lines) +
            "\nFix: rerun the notebook that writes it with this version of cvkit (see the model in cvkit.engagement.results).")


def validate_section(analysis: str, data: Any, *, where: str | None = None) -> _Strict:
    """Validate one analysis's section (a model instance or a mapping) against its model.

    Raises
    ------
    ResultsError
        Naming ``where`` (file or notebook) and every failing field.
    """
    if analysis not in SECTION_MODELS:
        raise ResultsError(f"{where or analysis}: no results section is defined for analysis {analysis!r}. "
                           f"Fix: use one of {', '.join(SECTION_MODELS)}.")
    model = SECTION_MODELS[analysis]
    if isinstance(data, model):
        data = data.model_dump()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ResultsError(_explain(exc, where or f"the {analysis} results section")) from None


def read_results_file(path: str | Path) -> AnalysisResults:
    """Read and validate one ``results/<analysis>.json`` (current or pre-contract layout).

    Raises
    ------
    ResultsError
        The file is not JSON, or a field does not validate (the message names file and field).
    """
    path = Path(path)
    analysis = path.stem
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc}). Fix: rerun the notebook that writes it.") from None
    if not isinstance(raw, dict):
        raise ResultsError(f"{path}: must hold a JSON object. Fix: rerun the notebook that writes it.")
    if "schema_version" not in raw:  # pre-contract file: a flat mapping of key figures
        raw = {"schema_version": SCHEMA_VERSION, "analysis": analysis, "key_figures": raw}
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise ResultsError(f"{path}: schema_version {raw.get('schema_version')!r} is not supported (this cvkit reads "
                           f"{SCHEMA_VERSION}). Fix: rerun the analysis with this version of cvkit.")
    if raw.get("analysis") != analysis:
        raise ResultsError(f"{path}: analysis is {raw.get('analysis')!r} but the file is named for {analysis!r}. "
                           "Fix: do not rename results files; rerun the notebook.")
    section = raw.get("section")
    try:
        parsed = AnalysisResults.model_validate({**raw, "section": None})
    except ValidationError as exc:
        raise ResultsError(_explain(exc, str(path))) from None
    if section is not None:
        if analysis not in SECTION_MODELS:
            raise ResultsError(f"{path}: has a section but no model exists for analysis {analysis!r}. "
                               f"Fix: sections are defined for {', '.join(SECTION_MODELS)}.")
        # Validated against the analysis's own model (not the union), so errors name the right fields.
        try:
            parsed.section = SECTION_MODELS[analysis].model_validate(section)
        except ValidationError as exc:
            raise ResultsError(_explain(exc, f"{path}, section")) from None
    return parsed


@dataclass
class EngagementResults:
    """The validated results of one run, and what is missing.

    Attributes
    ----------
    run_dir : Path
        The run's output folder (holding ``results/``).
    files : dict
        Outputs name (``drivers``, ``choice``, ``segment``, ``clv``) -> :class:`AnalysisResults`.
    missing : list of str
        Titles of the analyses with no results file (not run, or failed).
    without_section : list of str
        Titles of the analyses whose file has key figures only (written before the contract).
    """

    run_dir: Path
    files: dict[str, AnalysisResults] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    without_section: list[str] = field(default_factory=list)

    def _section(self, name: str) -> Any:
        found = self.files.get(name)
        return None if found is None else found.section

    @property
    def drivers(self) -> DriversResults | None:
        return self._section("drivers")

    @property
    def choice(self) -> ChoiceResults | None:
        return self._section("choice")

    @property
    def segmentation(self) -> SegmentationResults | None:
        return self._section("segment")

    @property
    def clv(self) -> ClvResults | None:
        return self._section("clv")

    @property
    def campaigns(self) -> CampaignResults | None:
        return self._section("campaigns")

    @property
    def available(self) -> list[str]:
        """Titles of the analyses with a structured section, in run order."""
        from cvkit.engagement.config import ANALYSES

        return [a.title for a in ANALYSES.values() if self._section(a.outputs) is not None]

    def key_figure(self, analysis: str, key: str) -> KeyFigure | None:
        found = self.files.get(analysis)
        return None if found is None else found.key_figures.get(key)


def demo_results_dir() -> Path:
    """The bundled results of a demo run (``cvkit demo``), for the synthesis notebook opened on its own.

    Refreshed from a fresh demo run by ``python -m cvkit.devtools refresh-demo-results``; the
    end-to-end test checks they still match what the demo produces.
    """
    return Path(__file__).resolve().parents[1] / "datasets" / "data" / "demo_results"


def load_results(run_dir: str | Path) -> EngagementResults:
    """Validate every results file of a run and list the analyses that are missing.

    Parameters
    ----------
    run_dir : str or Path
        The run's output folder (``outputs/<slug>`` or the build folder); its ``results/``
        sub-folder is read. A folder named ``results`` is accepted too.

    Returns
    -------
    EngagementResults

    Raises
    ------
    ResultsError
        The folder does not exist, or a results file does not validate (naming file and field).
    """
    from cvkit.engagement.config import ANALYSES

    run_dir = Path(run_dir)
    folder = run_dir if run_dir.name == "results" else run_dir / "results"
    if not run_dir.is_dir():
        raise ResultsError(f"{run_dir}: folder not found. Fix: give the run's output folder (outputs/<client>), "
                           "or leave results_dir empty to read the bundled demo results.")
    out = EngagementResults(run_dir=folder.parent)
    for analysis in ANALYSES.values():
        path = folder / f"{analysis.outputs}.json"
        if not path.exists():
            if not analysis.when_data:  # an analysis that runs only with its data is not "missing" without them
                out.missing.append(analysis.title)
            continue
        out.files[analysis.outputs] = read_results_file(path)
        if out.files[analysis.outputs].section is None:
            out.without_section.append(analysis.title)
    return out
