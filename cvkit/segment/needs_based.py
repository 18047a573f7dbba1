"""Needs-based segmentation as notebook 03 runs it: one method per step of the method.

:class:`NeedsBasedSegmentation` is built from an engagement's data and the notebook's parameters.
It knows whether it applies (``available``: a needs battery or conjoint part-worths) and, if not,
why (``reason``). Each step returns a :class:`~cvkit.segment.step.Step`: the tables, figures and
key figures it produced and what the cell shows. The steps of a segmentation that does not apply
return empty steps, which write and show nothing, so the notebook needs no guards.

The steps, in the notebook's order: :meth:`inputs`, :meth:`preprocess`, :meth:`choose_k`
(:meth:`plot_k`, :meth:`k_used`), :meth:`solution`, :meth:`agreement` (:meth:`dendrogram`,
:meth:`sizes`), :meth:`profile` (:meth:`rating_means`, :meth:`crosstabs`), :meth:`value`
(:meth:`attractiveness`, :meth:`needs_by_rfm`), :meth:`personas`, :meth:`typing_tool`
(:meth:`type_others`, :meth:`check_assignment`), :meth:`exports`. Each computes what it needs of
the earlier steps once (cached), so a step called alone gives the same numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from cvkit.segment.fitting import alternative_partitions, compare_partitions, fit_segmentation
from cvkit.segment.inputs import build_inputs, resolve_clv, respondent_frame
from cvkit.segment.personas import format_persona_cards, persona_cards
from cvkit.segment.plots import plot_dendrogram, plot_segment_sizes
from cvkit.segment.preprocess import NeedsPreprocessor, ordinal_bins
from cvkit.segment.profile import crosstab, plot_profile_heatmap, pretty_name, profile_segments
from cvkit.segment.select import choose_k
from cvkit.segment.step import Step
from cvkit.segment.targets import recommend_targets
from cvkit.segment.typing_tool import GoldenQuestions
from cvkit.segment.value import attractiveness_table, segment_value, wtp_from_partworths

__all__ = ["NeedsBasedSegmentation", "NeedsBasedSettings", "NOT_AVAILABLE", "small_segments_warning"]

NOT_AVAILABLE = ("This engagement has neither a needs battery nor conjoint part-worths: the needs-based sections "
                 "below are skipped and only the behavioural RFM view applies.")

_K_DECIMALS = {"bic": 0, "silhouette": 3, "calinski_harabasz": 1, "stability": 2, "stability_sd": 2,
               "smallest_share": 3, "mean_rank": 2}


@dataclass(frozen=True)
class NeedsBasedSettings:
    """The notebook parameters a needs-based segmentation uses (names and defaults as notebook 03's).

    See notebook 03's parameters cell for each one's meaning.
    """

    analysis_date: str = ""
    seed: int = 2026
    currency: str = "EUR"
    clv_file: str = ""
    margin: float = 0.30
    choice_price: str = "fee"
    client_brand: str = ""
    inputs: str = "both"
    needs_prefix: str = "imp_"
    center_needs: bool = True
    standardize: bool = True
    partworth_weight: float = 1.0
    pca: float = 0.0
    algorithm: str = "consensus"
    k_min: int = 2
    k_max: int = 8
    k: int = 0
    n_boot: int = 50
    min_segment_share: float = 0.05
    stability_threshold: float = 0.8
    profile_numeric: tuple = ()
    profile_categorical: tuple = ()
    correction: str = "holm"
    golden_max_items: int = 8
    persona_overrides: Mapping = field(default_factory=dict)

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> NeedsBasedSettings:
        """The settings among a notebook's parameters (other parameters are ignored)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in parameters.items() if k in names}
        for name in ("profile_numeric", "profile_categorical"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


def small_segments_warning(sizes: pd.Series, min_share: float) -> str:
    """``Warning: segment 4 (2% of respondents) is below ...``; ``""`` when every segment is large enough.

    Parameters
    ----------
    sizes : pandas.Series
        Respondents per segment, indexed by segment label.
    min_share : float
        Smallest actionable share of respondents (0..1).
    """
    shares = sizes / sizes.sum()
    small = shares[shares < min_share]
    if small.empty:
        return ""
    listed = ", ".join(f"{label} ({share:.0%})" for label, share in small.items())
    which = f"segment {listed} is" if len(small) == 1 else f"segments {listed} are"
    return (f"Warning: {which} below the minimum actionable size of {min_share:.0%} of respondents; consider a "
            "smaller k or merging them.")


def _needs_step(method: Callable[..., Step]) -> Callable[..., Step]:
    """A step of the needs-based segmentation: an empty :class:`Step` when it does not apply."""

    @functools.wraps(method)
    def step(self: NeedsBasedSegmentation, *args: Any, **kwargs: Any) -> Step:
        return method(self, *args, **kwargs) if self.available else Step.not_applying()

    return step


class NeedsBasedSegmentation:
    """Needs-based segments of survey respondents, step by step (notebook 03, sections 2 to 9).

    Parameters
    ----------
    needs : DataFrame, optional
        The needs (importance) battery: ``respondent_id`` + ``<needs_prefix>*`` columns.
    partworths : DataFrame, optional
        Respondent part-worths (:func:`cvkit.segment.resolve_partworths`).
    partworths_source : str
        Where the part-worths came from, in words (shown by :meth:`inputs`).
    survey, customers : DataFrame, optional
        Profiling data (client-brand ratings, customer facts).
    transactions : DataFrame or path, optional
        The transaction log (a checked Parquet path is enough), to compute CLV when
        ``settings.clv_file`` is not given.
    settings : NeedsBasedSettings, optional
        The notebook's parameters; default :class:`NeedsBasedSettings`.

    Attributes
    ----------
    available : bool
        True when there is something to segment on (a needs battery or part-worths).
    reason : str
        Why not, when it is not available ("" otherwise).
    """

    def __init__(self, *, needs: pd.DataFrame | None = None, partworths: pd.DataFrame | None = None,
                 partworths_source: str = "", survey: pd.DataFrame | None = None,
                 customers: pd.DataFrame | None = None, transactions: Any = None,
                 settings: NeedsBasedSettings | None = None):
        self.needs = needs
        self.partworths = partworths
        self.partworths_source = partworths_source
        self.survey = survey
        self.customers = customers
        self.transactions = transactions
        self.settings = settings or NeedsBasedSettings()
        self.available = needs is not None or partworths is not None
        self.reason = "" if self.available else NOT_AVAILABLE

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], **data: Any) -> NeedsBasedSegmentation:
        """Build from the notebook's parameters (``check_parameters(globals())``) and its data (keywords)."""
        return cls(settings=NeedsBasedSettings.from_parameters(parameters), **data)

    def __repr__(self) -> str:
        state = "available" if self.available else "not available"
        return f"NeedsBasedSegmentation({state}, algorithm={self.settings.algorithm!r})"

    # --- the computations, once each -----------------------------------------------------------
    @functools.cached_property
    def _inputs(self) -> tuple[pd.DataFrame, list, list[str]]:
        s = self.settings
        return build_inputs(needs=self.needs, partworths=self.partworths, inputs=s.inputs,
                            needs_prefix=s.needs_prefix, center_needs=s.center_needs,
                            partworth_weight=s.partworth_weight)

    @property
    def inputs_(self) -> pd.DataFrame:
        """The joined inputs, one row per respondent (index ``respondent_id``)."""
        return self._inputs[0]

    @property
    def blocks_(self) -> list:
        """The input blocks (:class:`~cvkit.segment.InputBlock`), needs first."""
        return self._inputs[1]

    @functools.cached_property
    def _matrix(self) -> tuple[NeedsPreprocessor, np.ndarray, pd.Index]:
        s = self.settings
        reduction = None if s.pca <= 0 else (s.pca if s.pca < 1 else int(s.pca))
        pre = NeedsPreprocessor(self.blocks_, standardize=s.standardize, pca=reduction, seed=s.seed)
        X, ids = pre.fit_transform(self.inputs_)
        return pre, X, ids

    @property
    def X_(self) -> np.ndarray:
        """The segmentation matrix (respondents x features)."""
        return self._matrix[1]

    @property
    def ids_(self) -> pd.Index:
        """The respondents segmented, in the rows' order."""
        return self._matrix[2]

    @functools.cached_property
    def selection_(self):
        """The k comparison (:class:`~cvkit.segment.KSelection`)."""
        s = self.settings
        return choose_k(self.X_, range(s.k_min, s.k_max + 1), algorithms=("kmeans", "gmm"), n_boot=s.n_boot,
                        min_share=s.min_segment_share, stability_threshold=s.stability_threshold,
                        fixed_k=s.k or None, seed=s.seed)

    @property
    def k_(self) -> int:
        """The number of segments used."""
        return self.selection_.recommended_k

    @functools.cached_property
    def model_(self):
        """The final segmentation model (``labels_`` 1..k, ``predict``)."""
        s = self.settings
        return fit_segmentation(s.algorithm, self.k_, self.X_, seed=s.seed, categorical=self._categorical)

    @property
    def _categorical(self) -> pd.DataFrame | None:
        needs_first = self.blocks_[0].name == "needs"
        return self._bins if self.settings.algorithm == "lca" and needs_first else None

    @property
    def _bins(self) -> pd.DataFrame:
        return ordinal_bins(self.inputs_[self.blocks_[0].columns]).loc[self.ids_]

    @functools.cached_property
    def segments_(self) -> pd.Series:
        """Each segmented respondent's segment (index: respondent id)."""
        return pd.Series(self.model_.labels_, index=self.ids_, name="segment")

    @property
    def sizes_(self) -> pd.Series:
        """Respondents per segment."""
        return self.segments_.value_counts().sort_index()

    @functools.cached_property
    def _alternatives(self) -> tuple[pd.DataFrame, Any]:
        bins = self._bins if self.blocks_[0].name == "needs" else None
        partitions, ward = alternative_partitions(self.X_, self.k_, final=self.segments_.to_numpy(),
                                                  categorical=bins, seed=self.settings.seed)
        return compare_partitions(partitions), ward

    @functools.cached_property
    def _profile_data(self) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
        s, has_survey = self.settings, self.survey is not None
        facts = respondent_frame(self.ids_, survey=self.survey, customers=self.customers,
                                 client_brand=s.client_brand if has_survey else None,
                                 survey_columns=list(s.profile_numeric) if has_survey else None)
        data = self.inputs_.loc[self.ids_].join(facts)
        categorical = [c for c in s.profile_categorical if c in data.columns and data[c].notna().any()]
        kept = self._matrix[0].columns_
        numeric = [c for b in self.blocks_ for c in b.columns if c in kept] + \
            [c for c in s.profile_numeric if c in data.columns]
        return facts, data, numeric, categorical

    @functools.cached_property
    def profile_(self):
        """The segment profiles with significance (:class:`~cvkit.segment.SegmentProfile`)."""
        _, data, numeric, categorical = self._profile_data
        return profile_segments(data, self.segments_, numeric=numeric, categorical=categorical,
                                correction=self.settings.correction)

    @property
    def link_(self) -> pd.Series | None:
        """Each respondent's ``customer_id`` (None when the survey has no customer link)."""
        facts = self._profile_data[0]
        return facts["customer_id"] if "customer_id" in facts.columns else None

    @functools.cached_property
    def value_(self) -> pd.DataFrame:
        """Value by segment (:func:`~cvkit.segment.segment_value`): size, CLV, NPS, WTP."""
        s, facts = self.settings, self._profile_data[0]
        link = self.link_
        clv = resolve_clv(s.clv_file, self.transactions, s.analysis_date, margin=s.margin) if link is not None else None
        nps = facts["nps"] if "nps" in facts.columns else None
        wtp = None
        if self.partworths is not None and s.choice_price:
            wtp = wtp_from_partworths(self.partworths.set_index("respondent_id"), price_col=s.choice_price)
        return segment_value(self.segments_, link=link, clv=clv, nps=nps, wtp=wtp)

    @property
    def headline_wtp_(self) -> str | None:
        """The WTP column shown in the attractiveness table: the largest total median (None without WTP)."""
        value = self.value_
        cols = [c for c in value.columns if c.startswith("wtp_") and c.endswith("_median")]
        return max(cols, key=lambda c: value.loc[value.segment == "total", c].iloc[0]) if cols else None

    @functools.cached_property
    def attractiveness_(self) -> pd.DataFrame:
        """Target attractiveness by segment (:func:`~cvkit.segment.attractiveness_table`)."""
        return attractiveness_table(self.value_, wtp_col=self.headline_wtp_)

    @functools.cached_property
    def personas_(self) -> pd.DataFrame:
        """Persona cards (:func:`~cvkit.segment.persona_cards`)."""
        s = self.settings
        return persona_cards(self.profile_, self.value_, overrides=dict(s.persona_overrides), currency=s.currency)

    @functools.cached_property
    def golden_(self) -> GoldenQuestions | None:
        """The golden-questions typing tool (None when the segments rest on part-worths only)."""
        if self.blocks_[0].name != "needs":
            return None
        items = self.inputs_.loc[self.ids_, self.blocks_[0].columns]
        tool = GoldenQuestions(max_items=self.settings.golden_max_items, seed=self.settings.seed)
        return tool.fit(items, self.segments_.to_numpy())

    @functools.cached_property
    def assignments_(self) -> pd.DataFrame:
        """Every segmented respondent's segment, segment name and (when linked) customer id."""
        names = self.personas_.set_index("segment")["name"]
        table = pd.DataFrame({"respondent_id": self.ids_, "segment": self.segments_.to_numpy(),
                              "segment_name": self.segments_.map(names).to_numpy()})
        if self.link_ is not None:
            table["customer_id"] = self.link_.reindex(self.ids_).to_numpy()
        return table

    # --- the steps ------------------------------------------------------------------------------
    def inputs(self) -> Step:
        """Section 2: where the part-worths come from, and what is segmented (or why nothing is)."""
        step = Step().print(f"Part-worths: {self.partworths_source}.")
        return step.print("\n".join(self._inputs[2]) if self.available else self.reason)

    @_needs_step
    def preprocess(self) -> Step:
        """Section 2: the preprocessing per block, dropped inputs, excluded respondents, the matrix's size."""
        pre, X, _ = self._matrix
        step = Step().show(pre.summary().set_index("block"))
        if len(pre.dropped_):
            step.show(pre.dropped_, caption="Inputs dropped")
        if len(pre.excluded_rows_):
            step.print(f"{len(pre.excluded_rows_)} respondents excluded (more than half of a block missing).")
        if pre.explained_variance_ is not None:
            step.show(pre.explained_variance_.set_index("component").round(3))
        return step.print(f"Segmentation matrix: {X.shape[0]} respondents x {X.shape[1]} features.")

    @_needs_step
    def choose_k(self) -> Step:
        """Section 3: the criteria for every k and algorithm compared, and the recommendation's reason."""
        step = Step()
        table = step.table(self.selection_.table, "k_comparison")
        shown = table.drop(columns=["note"] if (table["note"] == "").all() else [])
        step.show(shown.set_index(["algorithm", "k"]).round(_K_DECIMALS))
        return step.print(self.selection_.reason)

    @_needs_step
    def plot_k(self) -> Step:
        """Section 3: the criteria as a chart (each scaled so 1 is the best over the k compared)."""
        return Step().figure(self.selection_.plot(), "k_selection")

    @_needs_step
    def k_used(self) -> Step:
        """Section 3: the number of segments used."""
        return Step().print(f"Number of segments used: k = {self.k_}")

    @_needs_step
    def solution(self) -> Step:
        """Section 4: the final solution's sizes against the minimum, and its candidates' reproducibility."""
        s, sizes, step = self.settings, self.sizes_, Step()
        warning = small_segments_warning(sizes, s.min_segment_share)
        if warning:
            step.print(warning)
        step.figure(plot_segment_sizes(sizes.to_dict(), min_share=s.min_segment_share), "segment_sizes")
        if hasattr(self.model_, "reproducibility_"):
            step.show(self.model_.reproducibility_.head(8).set_index("candidate").round(3))
        return step

    @_needs_step
    def agreement(self) -> Step:
        """Section 4: how far other algorithms reproduce the final segments (adjusted Rand index)."""
        return Step().show(self._alternatives[0].round(2))

    @_needs_step
    def dendrogram(self) -> Step:
        """Section 4: the Ward dendrogram cut at k."""
        ward = self._alternatives[1]
        if ward.linkage_ is None:
            return Step()
        return Step().figure(plot_dendrogram(ward.linkage_, self.k_), "dendrogram")

    @_needs_step
    def sizes(self) -> Step:
        """Section 4: respondents and share per segment, and the agreement with k-means."""
        sizes = self.sizes_
        step = Step().show(sizes.rename("respondents").rename_axis("segment").to_frame()
                           .assign(share=sizes / sizes.sum()))
        return step.print(f"Agreement of the final solution with k-means: "
                          f"{self._alternatives[0].loc['final', 'kmeans']:.2f}")

    @_needs_step
    def profile(self) -> Step:
        """Section 5: the profile tables and the heatmap of the variables that set segments apart most."""
        profile, step = self.profile_, Step()
        step.table(profile.summary_table(), "profiles")
        step.table(profile.tests, "profile_tests")
        step.table(profile.categorical, "profile_crosstabs")
        if profile.flags:
            step.print("Not tested: " + "; ".join(profile.flags))
        return step.figure(plot_profile_heatmap(profile, top=20), "profile_heatmap")

    @_needs_step
    def rating_means(self) -> Step:
        """Section 5: means of the client-brand ratings by segment against the total, with the index."""
        ratings = [c for c in self.settings.profile_numeric if c in self.profile_.means.index]
        if not ratings:
            return Step()
        return Step().show(self.profile_.summary_table().set_index("variable").loc[ratings])

    @_needs_step
    def crosstabs(self) -> Step:
        """Section 5: customer facts by segment (column shares, then the index against the total)."""
        _, data, _, categorical = self._profile_data
        step = Step()
        for column in categorical:
            tab = crosstab(data, self.segments_, column)  # shares per segment, then index (100 = average)
            step.show(tab, formats={str(c): ("count" if str(c).startswith("index") else "share") for c in tab.columns})
        return step

    @_needs_step
    def value(self) -> Step:
        """Section 6: size, CLV, NPS and WTP by segment (WTP per product change only in the workbook)."""
        step = Step()
        value = step.table(self.value_, "value")
        # One column per product change would not fit a page: the headline WTP is in the next table.
        return step.show(value.loc[:, ~value.columns.str.startswith("wtp_")],
                         note="Willingness to pay for each product change, by segment, is in the Excel workbook.")

    @_needs_step
    def attractiveness(self) -> Step:
        """Section 6: the target-attractiveness table."""
        from cvkit.present import label

        step = Step()
        table = step.table(self.attractiveness_, "attractiveness")
        if self.headline_wtp_:
            step.print(f"Willingness to pay shown: {label(self.headline_wtp_)}.")
        return step.show(table.set_index("segment").round(2))

    @_needs_step
    def needs_by_rfm(self, rfm: pd.DataFrame | None) -> Step:
        """Section 6: each needs segment's mix of behavioural RFM segments (nothing without RFM or a link)."""
        link = self.link_
        if rfm is None or link is None:
            return Step()
        rfm_by_customer = rfm.set_index("customer_id")["segment"].astype(str)
        both = pd.DataFrame({"needs segment": self.segments_, "RFM segment": link.map(rfm_by_customer)}).dropna()
        mix = pd.crosstab(both["RFM segment"], both["needs segment"], normalize="columns")
        return Step().show(mix, formats={str(c): "share" for c in mix.columns})

    @_needs_step
    def personas(self) -> Step:
        """Section 7: the persona cards."""
        step = Step()
        return step.markdown(format_persona_cards(step.table(self.personas_, "personas")))

    @_needs_step
    def typing_tool(self) -> Step:
        """Section 8: the golden questions, their cross-validated accuracy and confusion matrix."""
        golden = self.golden_
        if golden is None:
            return Step().print("The typing tool needs survey questions; this segmentation uses part-worths only.")
        path = golden.path_.assign(question=[pretty_name(i) for i in golden.path_["item"]])
        step = Step().show(path.set_index("step").round(3))
        step.print(f"Cross-validated accuracy (selection inside the folds): {golden.cv_accuracy_:.1%}")
        return step.show(golden.cv_confusion_)

    @_needs_step
    def type_others(self) -> Step:
        """Section 8: respondents with needs answers but no segment, typed with the golden questions."""
        golden = self.golden_
        if golden is None or self.needs is None:
            return Step()
        battery = self.needs.assign(respondent_id=self.needs["respondent_id"].astype(str)).set_index("respondent_id")
        others = battery.index.difference(self.ids_)
        if not len(others):
            return Step().print("Every respondent with needs answers is already segmented.")
        typed = pd.Series(golden.predict(battery.loc[others, golden.items_]), index=others, name="segment")
        step = Step().print(f"{len(others)} further respondents typed with {len(golden.items_)} questions; "
                            "shares by segment:")
        return step.show(typed.value_counts(normalize=True).sort_index().rename("share").rename_axis("segment"))

    @_needs_step
    def check_assignment(self) -> Step:
        """Section 8: the fitted model gives the first respondents their segments back."""
        X = self._categorical.iloc[:5] if self.settings.algorithm == "lca" else self.X_[:5]
        assigned = self.model_.predict(X)
        first = self.segments_.iloc[:5]
        agree = int((pd.Series(assigned, index=first.index).astype(str) == first.astype(str)).sum())
        step = Step().print(f"The fitted model assigns {agree} of the first 5 respondents to the segment they were given.")
        if self.golden_ is not None:
            step.print(f"Golden questions: {len(self.golden_.items_)} items, cross-validated accuracy "
                       f"{self.golden_.cv_accuracy_:.0%}")
        return step

    @_needs_step
    def exports(self) -> Step:
        """Section 9: assignments, the typing tool files, the key figures and the results section."""
        step, golden = Step(), self.golden_
        step.table(self.assignments_, "assignments")
        names = self.personas_.set_index("segment")["name"]
        if golden is not None:
            step.file("typing_tool.xlsx", golden.to_excel, segment_names={str(s): n for s, n in names.items()},
                      item_labels={i: pretty_name(i) for i in golden.items_})
            step.text("typing_tool.py", golden.to_python())
        self._key_figures(step)
        step.section = self.section_fields()
        return step.print(f"{len(self.assignments_)} respondents assigned to {self.k_} segments.")

    def _key_figures(self, step: Step) -> None:
        s, sizes = self.settings, self.sizes_
        step.result("k", int(self.k_), label="Number of needs-based segments")
        step.result("algorithm", s.algorithm, label="Segmentation algorithm")
        step.result("k_reason", self.selection_.reason, label="Why this k")
        step.result("respondents", int(len(self.segments_)), label="Respondents segmented")
        step.result("segment_shares", {str(k): round(float(v), 4) for k, v in (sizes / sizes.sum()).items()},
                    label="Segment shares")
        if self.golden_ is not None:
            step.result("typing_tool_accuracy", round(self.golden_.cv_accuracy_, 4), unit="share",
                        label="Typing tool cross-validated accuracy")

    def section_fields(self) -> dict[str, Any] | None:
        """The keywords of ``SegmentationResults.from_tables`` (None when the segmentation does not apply)."""
        if not self.available:
            return None
        s = self.settings
        return dict(k=int(self.k_), algorithm=s.algorithm, basis=" and ".join(b.name for b in self.blocks_),
                    attractiveness=self.attractiveness_, personas=self.personas_, wtp_measure=self.headline_wtp_,
                    targets=recommend_targets(self.attractiveness_, currency=s.currency))
