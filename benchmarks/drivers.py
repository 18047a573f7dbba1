"""Benchmark: key driver analysis against the dominance-analysis package.

Run from the repository root::

    .venv/bin/python benchmarks/drivers.py

The anchor (dominance-analysis 1.1.9) runs in its own environment
``benchmarks/.anchors-drivers/`` (numpy < 2, pandas < 3), created on first use.
Targets (issue 5):

* exact Shapley for 12 drivers on 2,000 respondents >= 100x faster than
  dominance-analysis, with identical values to 1e-8 (8 drivers shown too);
* exact Shapley for 20 drivers < 10 s;
* relative weights for 30 drivers with 1,000 bootstrap resamples < 5 s.

cvkit is timed as the best of 3 runs of the whole call from a DataFrame
(validation, correlations, all-subsets R^2 and Shapley weights); the anchor once.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anchors import ensure_env, ratio_line, run_anchor  # noqa: E402

from cvkit.drivers import (KeyDriverAnalysis, bootstrap_counts, relative_weights,  # noqa: E402
                           weighted_corr)

N = 2000
SEED = 2026

ANCHOR = r"""
import json, sys, time, io, contextlib
import pandas as pd
from dominance_analysis import Dominance
payload = json.load(sys.stdin)
df = pd.DataFrame(payload["data"], columns=payload["columns"])
p = len(payload["columns"]) - 1
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    # top_k=p: without it dominance-analysis silently keeps only the 15 best drivers.
    dom = Dominance(data=df, target="y", top_k=p, objective=1)
    incr = dom.incremental_rsquare()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "shapley": {k: float(v) for k, v in incr.items()}}))
"""


def survey_like(n: int, p: int, seed: int) -> pd.DataFrame:
    """0-10 ratings with a halo (correlated drivers) and an outcome driven by half of them."""
    rng = np.random.default_rng(seed)
    latent = 0.8 * rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    X = np.clip(np.round(5 + 1.6 * latent), 0, 10)
    w = np.where(np.arange(p) < p // 2, np.linspace(0.5, 0.1, p), 0.0)
    y = np.clip(np.round(1 + X @ w * 0.5 + rng.normal(size=n) * 1.2), 0, 10)
    df = pd.DataFrame(X, columns=[f"x{i:02d}" for i in range(p)])
    df["y"] = y
    return df


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    python = ensure_env("anchors-drivers", "requirements-anchors-drivers.txt")
    print(f"key driver analysis benchmark, {N} respondents, numpy {np.__version__}")
    for p, target in ((8, None), (12, 100.0)):
        df = survey_like(N, p, SEED + p)
        drivers = [c for c in df.columns if c != "y"]
        secs, kda = best_of(lambda: KeyDriverAnalysis(n_boot=0).fit(df, "y", drivers))
        anchor = run_anchor(python, ANCHOR, {"columns": list(df.columns), "data": df.to_numpy().tolist()})
        ours = kda.importance_.loc[drivers, "shapley"].to_numpy()
        theirs = np.array([anchor["shapley"][d] for d in drivers])
        diff = float(np.max(np.abs(ours - theirs)))
        print(ratio_line(f"exact Shapley, {p} drivers", secs, "dominance-analysis", anchor["seconds"], target))
        print(f"  max |cvkit - dominance-analysis| = {diff:.2e}  (target <= 1e-8: "
              f"{'PASS' if diff <= 1e-8 else 'FAIL'}); R^2 = {kda.r2_:.4f}")

    df = survey_like(N, 20, SEED + 20)
    drivers = [c for c in df.columns if c != "y"]
    secs, kda = best_of(lambda: KeyDriverAnalysis(n_boot=0, exact_limit=20).fit(df, "y", drivers), repeat=1)
    ok = abs(kda.importance_["shapley"].sum() - kda.r2_) < 1e-12
    print(f"exact Shapley, 20 drivers (2^20 subsets): {secs:.2f} s  target < 10 s: "
          f"{'PASS' if secs < 10 else 'FAIL'}; sums to R^2: {ok}")

    df = survey_like(N, 30, SEED + 30)
    drivers = [c for c in df.columns if c != "y"]
    data = df[drivers + ["y"]].to_numpy()

    def rw_bootstrap():
        rng = np.random.default_rng(SEED)
        R = weighted_corr(data)[0]
        counts = bootstrap_counts(len(data), 1000, rng)
        Rb = weighted_corr(data, counts)[0]
        return relative_weights(R), np.quantile(relative_weights(Rb), [0.025, 0.975], axis=0)

    secs, _ = best_of(rw_bootstrap)
    print(f"relative weights, 30 drivers x 1,000 bootstrap resamples: {secs:.2f} s  target < 5 s: "
          f"{'PASS' if secs < 5 else 'FAIL'}")
    secs, _ = best_of(lambda: KeyDriverAnalysis(n_boot=1000, seed=SEED).fit(df, "y", drivers), repeat=1)
    print(f"  full KeyDriverAnalysis.fit, 30 drivers, 1,000 resamples (+ 4,000 sampled Shapley orders): "
          f"{secs:.2f} s")


if __name__ == "__main__":
    main()
