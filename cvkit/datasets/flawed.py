"""Deliberately flawed engagement data for the "spot the problem" training module.

Each case starts from the demo engagement (:func:`cvkit.datasets.make_demo`) and plants one problem an
analyst must catch before presenting results: intake errors in the client's files, or a statistical
trap (a biased survey sample, a collinear driver set, needs data without segments, a conjoint with
dominated concepts, a transaction log too short for CLV); one control case is clean. Trainees see the
cases under neutral names (:data:`CASES`). :func:`write_flawed_engagements` writes one
folder per case with the data files and a ``README.md`` (what the client sent); :data:`FLAWS` says
what is wrong, which cvkit diagnostic shows it, and what the analyst should conclude (the facilitator's
answer key, used by the training checks).

Everything is deterministic in ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cvkit.datasets.demo import make_demo

__all__ = ["Flaw", "FLAWS", "CASES", "CONCLUSIONS", "flawed_data", "write_flawed_engagements"]

#: The conclusions a trainee chooses from (one letter per case).
CONCLUSIONS = {
    "a": "Results can be presented as they are: the diagnostics show nothing alarming.",
    "b": "Stop and send the client the list of problem rows; do not drop or fix rows silently.",
    "c": "The sample does not represent the customer base: weight it to the base or re-field before "
         "quoting the scores.",
    "d": "Some drivers measure the same thing: merge them (or report them as one group) instead of "
         "ranking them against each other.",
    "e": "There are no stable segments: do not present personas; describe the needs as a continuum or "
         "segment on other inputs.",
    "f": "The tasks were too easy (one concept better on everything): trade-offs and willingness to pay "
         "are not identified; redesign the experiment.",
    "g": "The history is too short to separate buying rate from dropout: do not fit a CLV model yet; use "
         "simple assumptions and collect more months.",
}


@dataclass(frozen=True)
class Flaw:
    """One flawed case.

    Attributes
    ----------
    name : str
        Folder name.
    files : tuple of str
        Data kinds written (``<kind>.csv``).
    story : str
        What the client says about the files (the trainee's brief).
    diagnostic : str
        The cvkit call that reveals the problem.
    problem : str
        What is wrong, for the facilitator.
    answer : str
        The right conclusion, a key of :data:`CONCLUSIONS`.
    """

    name: str
    files: tuple[str, ...]
    story: str
    diagnostic: str
    problem: str
    answer: str


FLAWS: dict[str, Flaw] = {f.name: f for f in (
    Flaw("intake_errors", ("transactions",),
         "The client's CRM export of purchases, 'cleaned by our BI team'.",
         "cvkit.data.load('transactions', path) (or `cvkit validate`): the DataError lists every problem.",
         "Negative amounts, dates that are not dates, a missing customer id and duplicated transactions.",
         "b"),
    Flaw("biased_sample", ("survey", "customers"),
         "The loyalty survey of the client's customers (brand = Demo Retail), sent by e-mail after an in-store "
         "purchase.",
         "Compare the channel mix of the respondents (survey customer_id joined to customers) with the "
         "customer base.",
         "Only store customers were invited, and they are the most satisfied: the NPS overstates the base's.",
         "c"),
    Flaw("collinear_drivers", ("survey",),
         "The brand-image survey with the 30 elements of value.",
         "Correlations between the element ratings (survey[elements].corr()): pairs above 0.9.",
         "'reduces_effort' and 'avoids_hassles' are near-copies of 'saves_time' (one question asked three "
         "ways): their importance is split arbitrarily between them.",
         "d"),
    Flaw("unstable_segmentation", ("needs",),
         "The needs survey for the segmentation.",
         "cvkit.segment.choose_k (stability, silhouette) or bootstrap_stability on the preprocessed needs.",
         "The answers come from one population with no groups: any k-means split is arbitrary and changes "
         "with the sample.",
         "e"),
    Flaw("dominated_design", ("choice",),
         "The conjoint fielded by the client's panel agency with its own design.",
         "cvkit.choice.design_diagnostics(choice, spec, directions): tasks_with_dominated_concept.",
         "Every task has a concept that is at least as good on every ordered attribute and no more expensive: "
         "respondents pick it without trading off.",
         "f"),
    Flaw("clean_control", ("survey",),
         "The brand survey with the 30 elements of value, second wave, for a key driver analysis.",
         "The checks that fit a survey: base per brand (drivers.survey_base), who answered, correlations "
         "between the element ratings (survey[elements].corr()).",
         "Nothing: a random sample of respondents of the demo survey. The control case: diagnostics that "
         "show nothing alarming mean the results can be presented.",
         "a"),
    Flaw("short_history", ("transactions",),
         "The purchase log since the programme launch, for the CLV model.",
         "cvkit.clv.summarize(...) for the span of the log (T), then BetaGeoModel().fit(summary).summary().",
         "Eight weeks of purchases: too short to see anyone stop buying, so BG/NBD cannot tell a slow buyer "
         "from one who left (the dropout parameters a, b run off to huge values without standard errors, "
         "with a convergence warning).",
         "g"),
)}


#: What a trainee sees: neutral case names (``case_3``), so neither a folder nor an answer variable names the
#: verdict; the facilitator's key is :data:`FLAWS` under ``CASES[case]``. One case (the control) is clean.
CASES: dict[str, str] = {"case_1": "intake_errors", "case_2": "biased_sample", "case_3": "clean_control",
                         "case_4": "collinear_drivers", "case_5": "unstable_segmentation",
                         "case_6": "dominated_design", "case_7": "short_history"}
# Random stream of each case (fixed, so adding a case never changes the data of the others).
_STREAM = {"biased_sample": 0, "collinear_drivers": 1, "dominated_design": 2, "intake_errors": 3,
           "short_history": 4, "unstable_segmentation": 5, "clean_control": 6}


def flawed_data(name: str, seed: int = 2026) -> dict[str, pd.DataFrame]:
    """The data frames of one flawed case, by kind.

    Parameters
    ----------
    name : str
        A key of :data:`FLAWS` or of :data:`CASES`.
    seed : int
        Seed of the demo engagement and of the planted problems.
    """
    name = CASES.get(name, name)
    if name not in FLAWS:
        raise ValueError(f"unknown flawed case {name!r}. Fix: use one of {sorted(FLAWS)} or {sorted(CASES)}.")
    demo = make_demo(seed=seed)
    rng = np.random.default_rng([seed, _STREAM[name]])
    return _BUILDERS[name](demo, rng)


def write_flawed_engagements(folder: str | Path, seed: int = 2026) -> dict[str, Path]:
    """Write every case into ``folder/<case>/`` (``<kind>.csv`` files and ``README.md``), named neutrally.

    Returns
    -------
    dict of str to Path
        Neutral case name (``case_1``, a key of :data:`CASES`) -> its folder.
    """
    root = Path(folder)
    out = {}
    for case_name, name in CASES.items():
        flaw = FLAWS[name]
        case = root / case_name
        case.mkdir(parents=True, exist_ok=True)
        for kind, df in flawed_data(name, seed).items():
            df.to_csv(case / f"{kind}.csv", index=False)
        (case / "README.md").write_text(
            f"# {case_name.replace('_', ' ').capitalize()}\n\n{flaw.story}\n\nFiles: "
            + ", ".join(f"`{k}.csv`" for k in flaw.files)
            + ".\n\nBefore any analysis: can these data be used as they are? (Training material: most cases are "
              "deliberately flawed, one is clean.)\n")
        out[case_name] = case
    return out


# ---------------------------------------------------------------------------------------------- builders
def _intake_errors(demo, rng) -> dict[str, pd.DataFrame]:
    tx = demo.transactions.iloc[:2000].copy()
    tx["date"] = pd.to_datetime(tx["date"]).dt.strftime("%Y-%m-%d").astype(object)
    tx["amount"] = tx["amount"].astype(object)
    rows = rng.choice(len(tx), size=12, replace=False)
    tx.iloc[rows[:4], tx.columns.get_loc("amount")] = [-25.0, -3.5, -120.0, -9.99]  # refunds booked as purchases
    tx.iloc[rows[4:7], tx.columns.get_loc("date")] = ["31/02/2025", "n/a", "2025-13-01"]
    tx.iloc[rows[7], tx.columns.get_loc("customer_id")] = ""
    dup = tx.iloc[rows[8:12]]
    return {"transactions": pd.concat([tx, dup], ignore_index=True)}


def _biased_sample(demo, rng) -> dict[str, pd.DataFrame]:
    survey = demo.survey[demo.survey["brand"] == "Demo Retail"].copy()
    customers = demo.customers
    channel = survey["customer_id"].map(customers.set_index("customer_id")["channel"])
    # Only store customers were invited, and the happier ones answered.
    keep = (channel == "store") & (survey["nps"] >= rng.integers(5, 10, len(survey)))
    return {"survey": survey[keep.to_numpy()].reset_index(drop=True), "customers": customers}


def _collinear_drivers(demo, rng) -> dict[str, pd.DataFrame]:
    survey = demo.survey.copy()
    base = survey["saves_time"].to_numpy(float)
    for col in ("reduces_effort", "avoids_hassles"):
        noisy = base + rng.choice([-1, 0, 0, 0, 0, 0, 1], size=len(base))  # the same question, re-worded
        survey[col] = np.clip(noisy, 0, 10).astype(int)
    return {"survey": survey}


def _unstable_segmentation(demo, rng) -> dict[str, pd.DataFrame]:
    needs = demo.needs.copy()
    items = [c for c in needs.columns if c.startswith("imp_")]
    # One population: each item's overall mean and spread, answered independently (no segment structure).
    mean = needs[items].mean().to_numpy()
    sd = needs[items].std().to_numpy()
    draws = rng.normal(mean, sd, size=(len(needs), len(items)))
    needs[items] = np.clip(np.rint(draws), 0, 10).astype(int)
    return {"needs": needs}


def _dominated_design(demo, rng) -> dict[str, pd.DataFrame]:
    choice = demo.choice.copy()
    concepts = choice[choice["none"] == 0].sort_values(["respondent_id", "task", "alternative"])
    rank = concepts.groupby(["respondent_id", "task"]).cumcount().to_numpy()
    anchor, copy = concepts.index[rank == 0], concepts.index[rank == 1]
    # The agency's "anchor" concept: best delivery and returns at the lowest fee, in every task, next to a
    # concept with the same extras (a degraded copy it dominates).
    choice.loc[anchor, ["delivery", "returns", "fee"]] = ["same_day", "free", 29]
    choice.loc[copy, "extras"] = choice.loc[anchor, "extras"].to_numpy()
    # Respondents take the anchor (a few still answer as before).
    task = choice.groupby(["respondent_id", "task"]).ngroup().to_numpy()
    takes_anchor = rng.random(task.max() + 1) < 0.9
    is_anchor = choice.index.isin(anchor)
    choice["chosen"] = np.where(takes_anchor[task], is_anchor, demo.choice["chosen"].to_numpy() == 1).astype(int)
    return {"choice": choice}


def _short_history(demo, rng) -> dict[str, pd.DataFrame]:
    tx = demo.transactions.copy()
    dates = pd.to_datetime(tx["date"])
    start = dates.max() - pd.Timedelta(weeks=8)
    recent = tx[dates > start].copy()
    return {"transactions": recent.reset_index(drop=True)}


def _clean_control(demo, rng) -> dict[str, pd.DataFrame]:
    survey = demo.survey
    ids = survey["respondent_id"].unique()
    keep = rng.choice(ids, size=int(0.6 * len(ids)), replace=False)  # a random sample: nothing planted
    return {"survey": survey[survey["respondent_id"].isin(keep)].reset_index(drop=True)}


_BUILDERS = {"clean_control": _clean_control, "intake_errors": _intake_errors, "biased_sample": _biased_sample,
             "collinear_drivers": _collinear_drivers, "unstable_segmentation": _unstable_segmentation,
             "dominated_design": _dominated_design, "short_history": _short_history}
