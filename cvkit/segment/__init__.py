"""Segmentation: behavioural RFM segments and needs-based segments with profiles, personas and a typing tool.

Behavioural (from the transaction log, through :func:`cvkit.clv.summarize`):
:func:`rfm_segments`, :func:`rfm_scores`, :func:`assign_rfm_segments`, rule tables as data
(:func:`load_rfm_rules`, ``templates/rfm_segments.csv``).

Needs-based (from survey batteries and/or conjoint part-worths):
:class:`NeedsPreprocessor` -> :func:`choose_k` -> :class:`SegmentModel` /
:class:`ConsensusSegmenter` / :class:`LatentClassModel` -> :func:`profile_segments`,
:func:`segment_value`, :func:`attractiveness_table`, :func:`persona_cards`,
:class:`GoldenQuestions` (typing tool). :class:`NeedsBasedSegmentation` runs these steps as notebook 03
does, one method per step, each returning a :class:`Step` (what the cell shows and the run writes).
"""

from cvkit.segment.consensus import ConsensusSegmenter
from cvkit.segment.inputs import build_inputs, compute_clv, resolve_clv, resolve_partworths, respondent_frame
from cvkit.segment.fitting import alternative_partitions, compare_partitions, fit_segmentation
from cvkit.segment.needs_based import NOT_AVAILABLE, NeedsBasedSegmentation, NeedsBasedSettings
from cvkit.segment.models import ALGORITHMS, LatentClassModel, SegmentModel, check_k, relabel_by_size
from cvkit.segment.personas import format_persona_cards, persona_cards
from cvkit.segment.plots import plot_dendrogram, plot_segment_sizes
from cvkit.segment.preprocess import InputBlock, NeedsPreprocessor, join_inputs, ordinal_bins
from cvkit.segment.profile import (SegmentProfile, adjust_pvalues, crosstab, plot_profile_heatmap, pretty_name,
                                   profile_segments)
from cvkit.segment.rfm import (TUTORIAL_RF_MAP, assign_rfm_segments, load_rfm_rules, plot_rfm_grid, quantile_scores,
                               rfm_cell_map, rfm_scores, rfm_segment_summary, rfm_segments, rules_from_mapping)
from cvkit.segment.step import Step
from cvkit.segment.select import KSelection, bootstrap_stability, choose_k, plot_k_selection
from cvkit.segment.typing_tool import GoldenQuestions, candidate_items
from cvkit.segment.targets import recommend_targets
from cvkit.segment.value import attractiveness_table, segment_value, wtp_from_partworths

__all__ = [
    "ALGORITHMS", "NOT_AVAILABLE", "NeedsBasedSegmentation", "NeedsBasedSettings", "Step", "alternative_partitions", "recommend_targets", "resolve_clv", "build_inputs", "compare_partitions", "compute_clv", "fit_segmentation", "resolve_partworths",
    "respondent_frame", "ConsensusSegmenter", "GoldenQuestions", "InputBlock", "KSelection", "LatentClassModel",
    "NeedsPreprocessor", "SegmentModel", "SegmentProfile", "TUTORIAL_RF_MAP", "adjust_pvalues",
    "assign_rfm_segments", "attractiveness_table", "bootstrap_stability", "candidate_items", "check_k",
    "choose_k", "crosstab", "format_persona_cards", "join_inputs", "load_rfm_rules", "ordinal_bins",
    "persona_cards", "plot_dendrogram", "plot_k_selection", "plot_profile_heatmap", "plot_rfm_grid",
    "plot_segment_sizes", "pretty_name", "profile_segments", "quantile_scores", "relabel_by_size",
    "rfm_cell_map", "rfm_scores", "rfm_segment_summary", "rfm_segments", "rules_from_mapping",
    "segment_value", "wtp_from_partworths",
]
