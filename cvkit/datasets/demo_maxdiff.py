"""Demo MaxDiff: best-worst answers on the 30 elements of value, with planted utilities.

400 of the 1,500 survey respondents answered a MaxDiff on the 30 elements of value: 12 tasks of 5
elements (each element shown twice per respondent), 10 questionnaire versions from
:func:`cvkit.maxdiff.maxdiff_design`. A respondent's utility of an element is her segment's
needs profile (the same profile that drives the ``needs`` importance ratings), standardised over
the elements, plus individual noise:

``u[n, e] = (profile[segment(n), e] - mean_e) / sd_e * SCALE + Normal(0, NOISE_SD)``,

and she picks the best element of a task by a logit on ``u`` and the worst among the remaining four
by a logit on ``-u`` (the sequential best-worst model cvkit estimates). The planted utilities and
the probability scores they imply are returned as the truth.

The generator draws from its own stream, ``numpy.random.default_rng([seed, 15])``, so the other
demo data sets are byte-identical with or without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["make_maxdiff", "N_MAXDIFF_RESPONDENTS", "ITEMS_PER_TASK", "N_TASKS", "N_VERSIONS", "SCALE",
           "NOISE_SD"]

N_MAXDIFF_RESPONDENTS = 400
ITEMS_PER_TASK = 5
N_TASKS = 12
N_VERSIONS = 10
SCALE = 1.2       # utility per standard deviation of the segment's needs profile
NOISE_SD = 0.5    # individual deviation from the segment's utilities


def make_maxdiff(respondent_ids: np.ndarray, segment: np.ndarray, profiles: pd.DataFrame,
                 seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """MaxDiff answers and their planted truth.

    Parameters
    ----------
    respondent_ids : ndarray of str (N,)
        Survey respondents (the MaxDiff sample is drawn from them).
    segment : ndarray of int (N,)
        Each respondent's needs segment (row of ``profiles``).
    profiles : DataFrame (segments x elements)
        Needs importance profile per segment (0-10 scale), columns = element slugs.
    seed : int

    Returns
    -------
    maxdiff : DataFrame
        One row per element shown: ``respondent_id``, ``version``, ``task``, ``item`` (element slug),
        ``best`` and ``worst`` (0/1).
    truth : dict
        ``items``, ``items_per_task``, ``mean_utility`` (population mean, zero-centred),
        ``mean_score`` (mean of the planted individual probability scores, sums to 100),
        ``segment_mean_score`` and the generator constants.
    """
    from cvkit.maxdiff import maxdiff_design, probability_scores

    rng = np.random.default_rng([int(seed), 15])
    items = list(profiles.columns)
    pick = np.sort(rng.choice(len(respondent_ids), size=N_MAXDIFF_RESPONDENTS, replace=False))
    ids, seg = np.asarray(respondent_ids)[pick], np.asarray(segment)[pick]
    prof = profiles.to_numpy(float)
    z = (prof - prof.mean(axis=1, keepdims=True)) / prof.std(axis=1, keepdims=True)
    U = z[seg] * SCALE + rng.normal(0.0, NOISE_SD, (len(ids), len(items)))
    U -= U.mean(axis=1, keepdims=True)
    design = maxdiff_design(items, items_per_task=ITEMS_PER_TASK, n_tasks=N_TASKS, n_versions=N_VERSIONS,
                            seed=int(seed))
    col = {it: i for i, it in enumerate(items)}
    rows = []
    for n, rid in enumerate(ids):
        version = n % N_VERSIONS + 1
        for task, g in design[design["version"] == version].groupby("task", sort=True):
            shown = g["item"].tolist()
            u = U[n, [col[i] for i in shown]]
            best = int(np.argmax(u + rng.gumbel(size=len(u))))
            w = -u + rng.gumbel(size=len(u))
            w[best] = -np.inf
            worst = int(np.argmax(w))
            for j, item in enumerate(shown):
                rows.append({"respondent_id": rid, "version": version, "task": int(task), "item": item,
                             "best": int(j == best), "worst": int(j == worst)})
    df = pd.DataFrame(rows)
    df["respondent_id"] = df["respondent_id"].astype("string")
    df["item"] = df["item"].astype("string")
    scores = probability_scores(U, ITEMS_PER_TASK)
    seg_names = list(profiles.index)
    truth = {
        "items": items, "items_per_task": ITEMS_PER_TASK, "n_tasks": N_TASKS, "n_versions": N_VERSIONS,
        "n_respondents": len(ids), "scale": SCALE, "noise_sd": NOISE_SD,
        "mean_utility": {it: round(float(v), 6) for it, v in zip(items, U.mean(axis=0))},
        "mean_score": {it: round(float(v), 6) for it, v in zip(items, scores.mean(axis=0))},
        "segment_mean_score": {seg_names[s]: {it: round(float(v), 6) for it, v in
                                              zip(items, scores[seg == s].mean(axis=0))}
                               for s in np.unique(seg)},
        "model": "sequential best-worst logit: best ~ logit(u), worst ~ logit(-u) among the rest",
    }
    return df, truth
