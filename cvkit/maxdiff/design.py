"""MaxDiff (best-worst scaling) designs: balanced incomplete blocks of items.

Each task shows ``s`` of the ``k`` items and asks for the most and the least
important. A good design shows every item equally often, every pair of items
together as equally often as possible (a balanced incomplete block design when
that is exact), and each item equally often in each position of the screen
(Sawtooth MaxDiff designer's criteria; Louviere, Flynn & Marley 2015, ch. 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

__all__ = ["maxdiff_design", "design_balance"]


def maxdiff_design(items: Sequence[str], *, items_per_task: int = 4, n_tasks: int | None = None,
                   n_versions: int = 1, seed: int = 0) -> pd.DataFrame:
    """Generate a MaxDiff design.

    Parameters
    ----------
    items : list of str
        The k items (e.g. the elements of value).
    items_per_task : int
        s items shown per task (3-5 is usual).
    n_tasks : int, optional
        Tasks per version; default ``ceil(3 k / s)`` (each item shown about 3 times
        per respondent, Sawtooth's recommendation).
    n_versions : int
        Questionnaire versions (respondents assigned in turn).
    seed : int

    Returns
    -------
    DataFrame
        ``version``, ``task``, ``position`` (1..s) and ``item``; one row per item shown.

    Notes
    -----
    Greedy construction: each task takes the items shown least often so far,
    ties broken by fewest co-occurrences with the items already in the task,
    then by chance. Item frequencies never differ by more than one, so the
    design is exactly balanced when ``n_tasks * s`` is a multiple of ``k``. A
    local search then exchanges items between tasks (frequencies unchanged)
    while the pair counts get more even, reaching a balanced incomplete block
    design when one exists for small cases (e.g. 7 items, blocks of 3). Positions
    go to the item least often in that position.
    """
    items = [str(x) for x in items]
    k, s = len(items), int(items_per_task)
    if len(set(items)) != k:
        raise ValueError("MaxDiff items must be distinct. Fix: remove duplicated item names.")
    if not 2 <= s <= k:
        raise ValueError(f"items_per_task = {s} must be between 2 and the number of items ({k}). Fix: show 3-5 "
                         "items per task.")
    t = int(n_tasks) if n_tasks else int(np.ceil(3 * k / s))
    rng = np.random.default_rng(seed)
    rows = []
    at = np.zeros((k, s))  # item x position counts over all versions
    for v in range(1, n_versions + 1):
        tasks = _greedy_tasks(k, s, t, rng)
        tasks = _improve_pairs(tasks, k, rng)
        for task, chosen in enumerate(tasks, start=1):
            placed = _positions(list(chosen), at, rng)
            for pos, i in enumerate(placed):
                at[i, pos] += 1
                rows.append({"version": v, "task": task, "position": pos + 1, "item": items[i]})
    return pd.DataFrame(rows)


def _greedy_tasks(k: int, s: int, t: int, rng) -> list[list[int]]:
    """Each task takes the least-shown items, ties broken by fewest co-occurrences, then by chance."""
    shown = np.zeros(k)
    pairs = np.zeros((k, k))
    tasks = []
    for _ in range(t):
        chosen: list[int] = []
        for _ in range(s):
            cand = [i for i in range(k) if i not in chosen]
            co = np.array([pairs[i, chosen].sum() for i in cand])
            order = np.lexsort((rng.random(len(cand)), co, shown[cand]))
            chosen.append(cand[order[0]])
        for a, b in combinations(chosen, 2):
            pairs[a, b] += 1
            pairs[b, a] += 1
        shown[chosen] += 1
        tasks.append(chosen)
    return tasks


def _improve_pairs(tasks: list[list[int]], k: int, rng, n_moves: int = 20000) -> list[list[int]]:
    """Local search on pair balance: exchange item x of one task with item y of another (item counts
    unchanged) when the sum of squared pair counts does not rise; stops at perfect balance."""
    t = len(tasks)
    if t < 2:
        return tasks
    P = np.zeros((k, k))
    for task in tasks:
        for a, b in combinations(task, 2):
            P[a, b] += 1
            P[b, a] += 1
    n_pairs_shown = sum(len(task) * (len(task) - 1) // 2 for task in tasks)
    ideal = n_pairs_shown / (k * (k - 1) / 2)
    for _ in range(n_moves):
        if np.all(np.abs(P[np.triu_indices(k, 1)] - ideal) < 1):      # as balanced as the counts allow
            break
        A, B = rng.choice(t, 2, replace=False)
        x = tasks[A][rng.integers(len(tasks[A]))]
        y = tasks[B][rng.integers(len(tasks[B]))]
        if x == y or y in tasks[A] or x in tasks[B]:
            continue
        ra = [i for i in tasks[A] if i != x]
        rb = [i for i in tasks[B] if i != y]
        # change of sum P^2 when x leaves A (pairs x-ra drop), y joins A (y-ra rise), and vice versa in B
        delta = 0.0
        for i in ra:
            delta += (P[x, i] - 1) ** 2 - P[x, i] ** 2 + (P[y, i] + 1) ** 2 - P[y, i] ** 2
        Q = P.copy()
        for i in ra:
            Q[x, i] -= 1; Q[i, x] -= 1; Q[y, i] += 1; Q[i, y] += 1  # noqa: E702
        for i in rb:
            delta += (Q[y, i] - 1) ** 2 - Q[y, i] ** 2 + (Q[x, i] + 1) ** 2 - Q[x, i] ** 2
            Q[y, i] -= 1; Q[i, y] -= 1; Q[x, i] += 1; Q[i, x] += 1  # noqa: E702
        if delta <= 0:
            P = Q
            tasks[A] = ra + [y]
            tasks[B] = rb + [x]
    return tasks


def _positions(chosen: list[int], at: np.ndarray, rng) -> list[int]:
    """Order the task's items so each goes where it has been least often."""
    rest = list(rng.permutation(chosen))
    out = []
    for pos in range(len(chosen)):
        best = min(rest, key=lambda i: at[i, pos])
        out.append(best)
        rest.remove(best)
    return out


def design_balance(design: pd.DataFrame) -> dict[str, float | pd.DataFrame]:
    """Balance of a MaxDiff design (per version, then pooled).

    Returns
    -------
    dict
        ``item_counts`` (DataFrame: item, shown), ``item_balance`` (least over
        most shown), ``pair_min``/``pair_max`` (fewest / most co-occurrences of
        any pair within a version, pooled), ``position_balance`` (least over most
        frequent item x position cell).
    """
    counts = design.groupby("item").size().rename("shown").reset_index()
    pair_counts: dict[tuple[str, str], int] = {}
    for _, g in design.groupby(["version", "task"]):
        for a, b in combinations(sorted(g["item"]), 2):
            pair_counts[(a, b)] = pair_counts.get((a, b), 0) + 1
    items = sorted(design["item"].unique())
    all_pairs = [pair_counts.get(p, 0) for p in combinations(items, 2)]
    pos = pd.crosstab(design["item"], design["position"])
    return {"item_counts": counts, "item_balance": float(counts["shown"].min() / counts["shown"].max()),
            "pair_min": int(min(all_pairs)), "pair_max": int(max(all_pairs)),
            "position_balance": float(pos.to_numpy().min() / pos.to_numpy().max())}
