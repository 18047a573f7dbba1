"""Checks for the training exercises (``notebooks/training/``): they tell a trainee whether an answer is right.

Each exercise notebook creates ``ex = Exercise("<module>")`` and, after each task, calls
``ex.check("<task>", answer)``. The check recomputes the reference answer from the same data with cvkit
(the answers are never stored), prints one line and returns whether the answer is right::

    [value_drivers client_nps] correct: NPS +29.4 (95% CI +25.7 to +33.1)
    [value_drivers top_driver] not yet: replace the ... with your answer.

A check never raises: a wrong type, a placeholder (``...``) or an error in the reference is reported as
"not yet", so an exercise notebook runs from top to bottom before it is completed.

Modules: ``value_drivers``, ``discrete_choice``, ``segmentation``, ``clv``, ``spot_the_problem``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Exercise", "MODULES", "SEED", "CLIENT", "COMPETITOR", "DEMO_ATTRIBUTES", "DEMO_PRODUCTS"]

#: The seed of every training data set and model (the demo engagement's).
SEED = 2026
CLIENT, COMPETITOR = "Demo Retail", "ValueMart"
DEMO_ATTRIBUTES = {"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
                   "extras": ["none", "streaming", "partner_discounts", "priority_service"], "fee": [29, 49, 69, 89]}
DEMO_PRODUCTS = [
    {"name": "Demo Plus", "delivery": "next_day", "returns": "free", "extras": "streaming", "fee": 49},
    {"name": "QuickShop Prime", "delivery": "same_day", "returns": "paid", "extras": "priority_service", "fee": 69},
    {"name": "ValueMart Saver", "delivery": "standard", "returns": "free", "extras": "partner_discounts", "fee": 29},
]


class _Reference:
    """Reference results, computed once per exercise from the training data."""

    @cached_property
    def demo(self):
        from cvkit.datasets import make_demo

        return make_demo(seed=SEED)

    # value drivers
    @cached_property
    def elements(self) -> list[str]:
        from cvkit.drivers import element_labels

        return [e for e in element_labels() if e in self.demo.survey.columns]

    @cached_property
    def kda(self):
        from cvkit.drivers import KeyDriverAnalysis

        return KeyDriverAnalysis(n_boot=0, seed=SEED).fit(self.demo.survey, "nps", self.elements,
                                                          cluster="respondent_id")

    def nps(self, brand: str):
        from cvkit.metrics import nps

        s = self.demo.survey
        return nps(s.loc[s["brand"] == brand, "nps"])

    # discrete choice
    @cached_property
    def utilities(self):
        import cvkit.choice as ch

        spec = ch.ChoiceSpec(DEMO_ATTRIBUTES, price="fee", none=True)
        return ch.MNL(spec).fit(ch.prepare(self.demo.choice, spec)).utilities()

    # segmentation
    @cached_property
    def needs_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        from cvkit import segment as seg

        inputs_df, blocks, _ = seg.build_inputs(needs=self.demo.needs, partworths=None, inputs="needs")
        return seg.NeedsPreprocessor(blocks, standardize=True, seed=SEED).fit_transform(inputs_df)

    @cached_property
    def k_selection(self):
        from cvkit import segment as seg

        return seg.choose_k(self.needs_matrix[0], range(2, 7), algorithms=("kmeans",), n_boot=10, seed=SEED)

    @cached_property
    def segments(self) -> np.ndarray:
        from cvkit import segment as seg

        return seg.SegmentModel(self.k_selection.recommended_k, "kmeans", seed=SEED).fit(self.needs_matrix[0]).labels_

    # clv
    @cached_property
    def cdnow_summary(self) -> pd.DataFrame:
        from cvkit import clv
        from cvkit.datasets import load_cdnow_sample

        return clv.summarize(load_cdnow_sample(), time_unit="W")

    @cached_property
    def bgnbd(self):
        from cvkit import clv

        return clv.BetaGeoModel().fit(self.cdnow_summary)


Grader = Callable[[Any, _Reference], tuple[bool, str]]


def _close(answer: Any, reference: float, tol: float, what: str, fmt: str = "{:.3f}") -> tuple[bool, str]:
    value = float(answer)
    if math.isclose(value, reference, abs_tol=tol):
        return True, f"{what} = {fmt.format(reference)}"
    return False, f"{what} should be within {tol:g} of the reference, got {fmt.format(value)}"


def _same(answer: Any, reference: Any, what: str) -> tuple[bool, str]:
    if str(answer).strip().lower() == str(reference).lower():
        return True, f"{what}: {reference}"
    return False, f"{what} is not {answer!r}"


def _vd_nps(a, ref):
    r = ref.nps(CLIENT)
    ok, msg = _close(a, r.nps, 0.1, f"NPS of {CLIENT}", "{:+.1f}")
    return ok, msg + (f" (95% CI {r.ci_low:+.1f} to {r.ci_high:+.1f}, n = {r.n})" if ok else
                      ": use cvkit.metrics.nps on the client's rows only (brand == 'Demo Retail').")


def _vd_top(a, ref):
    top = ref.kda.summary()["driver"].iloc[0]
    planted = max(ref.demo.truth.drivers["nps"]["weights"].items(), key=lambda kv: kv[1])[0]
    ok, msg = _same(a, top, "top driver of NPS")
    return ok, (msg + f" (the planted strongest driver is {planted})" if ok else
                msg + ": rank the drivers by Shapley share of R^2 (kda.summary()) and take the first slug.")


def _vd_gap(a, ref):
    from cvkit.metrics import nps_difference

    s = ref.demo.survey
    d = nps_difference(s.loc[s["brand"] == CLIENT, "nps"], s.loc[s["brand"] == COMPETITOR, "nps"])
    if not isinstance(a, (bool, np.bool_)):
        return False, "answer True or False."
    if bool(a) == bool(d.significant):
        return True, (f"{CLIENT} minus {COMPETITOR}: {d.difference:+.1f} points, 95% CI {d.ci_low:+.1f} to "
                      f"{d.ci_high:+.1f}")
    return False, "look at whether the interval of the difference (cvkit.metrics.nps_difference) includes zero."


def _dc_top(a, ref):
    import cvkit.choice as ch

    top = ch.importance_summary(ref.utilities)["attribute"].iloc[0]
    ok, msg = _same(a, top, "most important attribute")
    return ok, msg if ok else msg + ": sort cvkit.choice.importance_summary(u) by importance."


def _dc_wtp(a, ref):
    import cvkit.choice as ch

    w = ch.wtp(ref.utilities)
    row = w[(w["attribute"] == "delivery") & (w["to_level"] == "same_day")].iloc[0]
    ok, msg = _close(a, row["wtp"], max(0.5, 0.02 * abs(row["wtp"])), "WTP same_day vs standard (EUR/year)", "{:.1f}")
    return ok, msg if ok else msg + ": take the row delivery standard -> same_day of cvkit.choice.wtp(u)."


def _dc_gain(a, ref):
    import cvkit.choice as ch

    sim = ch.Simulator(ref.utilities)
    upgraded = [dict(p) for p in DEMO_PRODUCTS]
    upgraded[0]["delivery"] = "same_day"
    gain = 100 * (sim.shares(upgraded)["Demo Plus"] - sim.shares(DEMO_PRODUCTS)["Demo Plus"])
    ok, msg = _close(a, gain, 0.2, "share gain of Demo Plus (points)", "{:+.2f}")
    return ok, msg if ok else msg + ": shares are 0..1; the answer is in percentage points (x 100)."


def _seg_k(a, ref):
    k = ref.k_selection.recommended_k
    ok, msg = _same(a, k, "number of segments")
    planted = len(ref.demo.truth.segments)
    return ok, (msg + f" (the data were generated with {planted} segments)" if ok else
                msg + ": read selection.recommended_k and the stability column of selection.table.")


def _seg_largest(a, ref):
    share = float(pd.Series(ref.segments).value_counts(normalize=True).iloc[0])
    ok, msg = _close(a, share, 0.02, "share of the largest segment")
    return ok, msg if ok else msg + ": a share is 0..1 (value_counts(normalize=True))."


def _seg_ari(a, ref):
    from sklearn.metrics import adjusted_rand_score

    ids = ref.needs_matrix[1]
    truth = ref.demo.truth.respondent_segment.reindex(pd.Index(ids).astype(str)).to_numpy()
    ari = adjusted_rand_score(truth, ref.segments)
    ok, msg = _close(a, ari, 0.05, "adjusted Rand index with the planted segments")
    return ok, msg if ok else msg + ": compare the labels with demo.truth.respondent_segment for the same ids."


def _clv_repeat(a, ref):
    share = float((ref.cdnow_summary["frequency"] > 0).mean())
    ok, msg = _close(a, share, 0.005, "share of customers with a repeat purchase")
    return ok, msg if ok else msg + ": frequency counts repeat purchases; the answer is a share 0..1."


def _clv_alive(a, ref):
    p = float(np.mean(ref.bgnbd.prob_alive(ref.cdnow_summary)))
    ok, msg = _close(a, p, 0.01, "mean P(alive) (BG/NBD, weeks)")
    return ok, msg if ok else msg + ": fit clv.BetaGeoModel on the weekly summary, then prob_alive(summary)."


def _clv_simple(a, ref):
    from cvkit.metrics import simple_clv

    v = simple_clv(40, 0.8, 0.10)
    ok, msg = _close(a, v, 0.01, "CLV with margin 40, retention 80%, discount 10%", "{:.2f}")
    return ok, msg if ok else msg + ": CLV = m r / (1 + d - r) (cvkit.metrics.simple_clv)."


def _flaw_grader(name: str) -> Grader:
    def grade(a, ref):
        from cvkit.datasets.flawed import CONCLUSIONS, FLAWS

        flaw = FLAWS[name]
        if str(a).strip().lower() not in CONCLUSIONS:
            return False, f"answer one letter of {sorted(CONCLUSIONS)}."
        if str(a).strip().lower() == flaw.answer:
            return True, f"({flaw.answer}) {flaw.problem}"
        # A hint that guides without giving the verdict: which data to examine, not what is wrong with it.
        files = " and ".join(f"{k}.csv" for k in flaw.files)
        return False, (f"look again at {files} with the diagnostics of the toolbox that fit it; conclude only "
                       "from what a diagnostic shows (and a case can be clean).")
    return grade


def _flaw_tasks() -> dict[str, Grader]:
    from cvkit.datasets.flawed import CASES

    return {case: _flaw_grader(name) for case, name in CASES.items()}


MODULES: dict[str, Callable[[], dict[str, Grader]]] = {
    "value_drivers": lambda: {"client_nps": _vd_nps, "top_driver": _vd_top, "gap_significant": _vd_gap},
    "discrete_choice": lambda: {"top_attribute": _dc_top, "wtp_same_day": _dc_wtp, "share_gain": _dc_gain},
    "segmentation": lambda: {"n_segments": _seg_k, "largest_share": _seg_largest, "recovery_ari": _seg_ari},
    "clv": lambda: {"repeat_share": _clv_repeat, "mean_p_alive": _clv_alive, "simple_clv": _clv_simple},
    "spot_the_problem": _flaw_tasks,
}


class Exercise:
    """The checks of one training module.

    Parameters
    ----------
    module : str
        A key of :data:`MODULES`.

    Attributes
    ----------
    results : dict of str to bool
        Outcome of the latest check of each task.
    """

    def __init__(self, module: str):
        if module not in MODULES:
            raise ValueError(f"unknown training module {module!r}. Fix: use one of {sorted(MODULES)}.")
        self.module = module
        self.tasks = MODULES[module]()
        self.results: dict[str, bool] = {}
        self._ref = _Reference()

    def check(self, task: str, answer: Any) -> None:
        """Print whether ``answer`` is right for ``task`` and record it in :attr:`results`; never raises.

        Returns nothing, so a notebook cell ending in ``ex.check(...)`` shows only the message (a
        trailing ``;`` is not needed, and is not honoured by every notebook runner).
        """
        label = f"[{self.module} {task}]"
        if task not in self.tasks:
            print(f"{label} not yet: there is no task {task!r} (tasks: {', '.join(self.tasks)}).")
            return
        if answer is ... or answer is None:
            ok, msg = False, "replace the ... with your answer."
        else:
            try:
                ok, msg = self.tasks[task](answer, self._ref)
            except (TypeError, ValueError, KeyError, IndexError) as exc:
                ok, msg = False, f"the answer could not be checked ({type(exc).__name__}: {exc})."
        self.results[task] = ok
        print(f"{label} {'correct' if ok else 'not yet'}: {msg}")

    def summary(self) -> str:
        """One line: how many tasks are done, and which are not."""
        done = [t for t in self.tasks if self.results.get(t)]
        todo = [t for t in self.tasks if t not in done]
        line = f"{self.module}: {len(done)} of {len(self.tasks)} tasks correct"
        return line + (f"; still to do: {', '.join(todo)}" if todo else ". Well done.")
