"""Benchmark cvkit.choice against xlogit, larch and biogeme in one run.

Run from the repository root::

    .venv/bin/python benchmarks/choice.py

The anchors live in their own environment (``benchmarks/.anchors-choice/``,
from ``requirements-anchors-choice.txt``) and are timed in a subprocess on the
same machine in the same run. Timings are wall-clock seconds of one run (the
simulator, a sub-second call, reports the median of 5 calls).

Targets (issue 4): MNL at least as fast as xlogit on Electricity and >= 3x
faster on 100,000 situations x 4 alternatives x 8 attributes with the same
estimates to 1e-4; HB-MNL 600 respondents x 12 tasks x 4 alternatives, 20,000
iterations under 60 s; randomized first choice for 1,000 respondents x 10
products with 200 draws under 0.2 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from anchors import ensure_env, ratio_line, run_anchor  # noqa: E402

from cvkit.choice import (MNL, ChoiceSpec, HierarchicalBayesMNL, MixedLogit, Simulator,  # noqa: E402
                          Utilities, dense_from_long, prepare)
from cvkit.choice.mnl import fit_mnl_arrays  # noqa: E402
from cvkit.datasets.electricity import ELECTRICITY_ATTRIBUTES, load_electricity  # noqa: E402

ELEC_VARS = list(ELECTRICITY_ATTRIBUTES)

XLOGIT = r'''
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from xlogit import MultinomialLogit
p = json.load(sys.stdin)
if p["kind"] == "electricity":
    df = pd.read_csv(p["path"])
    names = p["vars"]
    X, y, alts, ids = df[names].to_numpy(float), df["choice"].astype(str).str.upper().eq("TRUE").to_numpy(), \
        df["alt"].to_numpy(), df["chid"].to_numpy()
else:
    d = np.load(p["path"])
    S, J, K = d["X"].shape
    names = [f"x{k}" for k in range(K)]
    X = d["X"].reshape(S * J, K)
    y = (np.arange(J)[None, :] == d["chosen"][:, None]).ravel()
    alts = np.tile(np.arange(J), S)
    ids = np.repeat(np.arange(S), J)
t = time.perf_counter()
m = MultinomialLogit()
m.fit(X=X, y=y, varnames=names, alts=alts, ids=ids, verbose=0)
sec = time.perf_counter() - t
print(json.dumps({"seconds": sec, "coef": [float(c) for c in m.coeff_], "loglik": float(m.loglikelihood)}))
'''

LARCH = r'''
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
import larch as lx
from larch import PX
p = json.load(sys.stdin)
if p["kind"] == "electricity":
    df = pd.read_csv(p["path"])
    names = p["vars"]
    df["chose"] = df["choice"].astype(str).str.upper().eq("TRUE").astype(float)
    ca = df.set_index(["chid", "alt"])[names + ["chose"]].rename_axis(index=("caseid", "altid"))
else:
    d = np.load(p["path"])
    S, J, K = d["X"].shape
    names = [f"x{k}" for k in range(K)]
    ca = pd.DataFrame(d["X"].reshape(S * J, K), columns=names)
    ca["chose"] = (np.arange(J)[None, :] == d["chosen"][:, None]).ravel().astype(float)
    ca.index = pd.MultiIndex.from_arrays([np.repeat(np.arange(S), J), np.tile(np.arange(1, J + 1), S)],
                                         names=("caseid", "altid"))
t = time.perf_counter()
ds = lx.Dataset.construct.from_idca(ca)
m = lx.Model(ds)
m.utility_ca = sum(PX(v) for v in names)
m.choice_ca_var = "chose"
r = m.maximize_loglike(stderr=False, quiet=True)
sec = time.perf_counter() - t
pv = dict(zip(list(m.pnames), list(m.pvals)))
print(json.dumps({"seconds": sec, "coef": [float(pv[v]) for v in names],
                  "loglik": float(r["loglike"])}))
'''

BIOGEME = r'''
import json, os, sys, tempfile, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
os.chdir(tempfile.mkdtemp())  # biogeme writes report files next to the working directory
import biogeme.biogeme as bio
import biogeme.database as db
import biogeme.parameters
from biogeme import models
from biogeme.expressions import Beta, Variable
p = json.load(sys.stdin)
df = pd.read_csv(p["path"])
names = p["vars"]
df["chosen"] = df["choice"].astype(str).str.upper().eq("TRUE").astype(int)
wide = df.pivot(index="chid", columns="alt", values=names)
wide.columns = [f"{v}_{a}" for v, a in wide.columns]
wide["CHOICE"] = df[df["chosen"] == 1].set_index("chid")["alt"]
wide = wide.reset_index(drop=True).astype(float)
t = time.perf_counter()
database = db.Database("electricity", wide)
B = {v: Beta(f"B_{v}", 0, None, None, 0) for v in names}
alts = sorted(df["alt"].unique())
V = {int(a): sum(B[v] * Variable(f"{v}_{a}") for v in names) for a in alts}
logprob = models.loglogit(V, None, Variable("CHOICE"))
params = biogeme.parameters.Parameters()
model = bio.BIOGEME(database, logprob, parameters=params, generate_html=False, generate_yaml=False)
model.model_name = "electricity"
res = model.estimate()
sec = time.perf_counter() - t
values = res.get_beta_values()
print(json.dumps({"seconds": sec, "coef": [float(values[f"B_{v}"]) for v in names],
                  "loglik": float(res.final_log_likelihood)}))
'''

XLOGIT_MIXED = r'''
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from xlogit import MixedLogit
p = json.load(sys.stdin)
df = pd.read_csv(p["path"])
names = p["vars"]
X, y = df[names].to_numpy(float), df["choice"].astype(str).str.upper().eq("TRUE").to_numpy()
t = time.perf_counter()
m = MixedLogit()
m.fit(X=X, y=y, varnames=names, alts=df["alt"].to_numpy(), ids=df["chid"].to_numpy(), panels=df["id"].to_numpy(),
      randvars={v: "n" for v in names}, n_draws=p["n_draws"], halton=True, init_coeff=np.array(p["start"]),
      verbose=0)
sec = time.perf_counter() - t
print(json.dumps({"seconds": sec, "coef": [float(c) for c in m.coeff_], "loglik": float(m.loglikelihood),
                  "names": list(m.coeff_names)}))
'''


def bench_mixed(python: Path, draws: tuple[int, ...] = (100, 600)) -> None:
    print("\n== Mixed logit: Electricity, 6 normal coefficients, panel by respondent, Halton draws ==")
    df = load_electricity()
    # draws go to respondents in data order in all three tools (mlogit, xlogit, cvkit): padded ids keep it
    df["respondent_id"] = df["respondent_id"].astype(int).map("{:04d}".format)
    spec = ChoiceSpec({a: None for a in ELEC_VARS})
    raw = str(HERE.parent / "cvkit" / "datasets" / "data" / "electricity.csv.gz")
    cd = prepare(df, spec)
    for R in draws:
        model = MixedLogit(spec, random="n", n_draws=R, draws="halton")
        start = model._start(cd, __import__("cvkit.choice.mixed", fromlist=["_layout"])._layout(
            spec.params, spec, "n", False), None)
        t = time.perf_counter()
        model.fit(cd, start=start)
        sec = time.perf_counter() - t
        print(f"cvkit R={R}: {sec:.2f} s ({model.n_iter_} BFGS iterations, SEs included), "
              f"LL {model.log_likelihood_:.3f}")
        try:
            r = run_anchor(python, XLOGIT_MIXED, {"path": raw, "vars": ELEC_VARS, "n_draws": R,
                                                  "start": start.tolist()})
        except Exception as exc:
            print(f"xlogit: failed ({str(exc).strip().splitlines()[-1][:200]})")
            continue
        gap = abs(r["loglik"] - model.log_likelihood_)
        print(ratio_line(f"Electricity mixed logit R={R} vs xlogit", sec, "xlogit", r["seconds"], target=2.0)
              + f"  |LL gap| {gap:.4f} ({'PASS' if gap < 0.01 else 'FAIL'} at 0.01; xlogit LL {r['loglik']:.3f})")


def synthetic(S: int = 100_000, J: int = 4, K: int = 8, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(S, J, K))
    beta = np.linspace(-1.0, 1.0, K)
    chosen = (X @ beta + rng.gumbel(size=(S, J))).argmax(axis=1)
    return X, chosen


def bench_mnl(python: Path, work: Path) -> None:
    print("== MNL: Electricity (4,308 situations x 4 alternatives x 6 attributes) ==")
    df = load_electricity()
    spec = ChoiceSpec({a: None for a in ELEC_VARS})
    t = time.perf_counter()
    m = MNL(spec).fit(df)
    cv_total = time.perf_counter() - t
    # the same input xlogit gets: long numeric arrays (rows x attributes, situation ids, chosen flags)
    raw_df = pd.read_csv(HERE.parent / "cvkit" / "datasets" / "data" / "electricity.csv.gz")
    Xl, ids = raw_df[ELEC_VARS].to_numpy(float), raw_df["chid"].to_numpy()
    yl = raw_df["choice"].astype(str).str.upper().eq("TRUE").to_numpy()
    t = time.perf_counter()
    X3, avail, ch = dense_from_long(Xl, ids, yl)
    fit = fit_mnl_arrays(X3, avail, ch)
    np.linalg.inv(-fit.hessian)  # standard errors, as the anchors report them
    cv_arrays = time.perf_counter() - t
    print(f"cvkit: {cv_arrays:.3f} s from long arrays (as xlogit gets them), {cv_total:.3f} s from the "
          f"DataFrame with all input checks, clustered SEs and fit statistics; LL {m.log_likelihood_:.2f}")
    raw = str(HERE.parent / "cvkit" / "datasets" / "data" / "electricity.csv.gz")
    payload = {"kind": "electricity", "path": raw, "vars": ELEC_VARS}
    for name, script in (("xlogit", XLOGIT), ("larch", LARCH), ("biogeme", BIOGEME)):
        try:
            r = run_anchor(python, script, payload)
        except Exception as exc:  # report and continue: one broken anchor must not hide the others
            print(f"{name}: failed ({str(exc).strip().splitlines()[-1][:200]})")
            continue
        diff = np.max(np.abs(np.array(r["coef"]) - m.params_.to_numpy()))
        print(ratio_line(f"Electricity MNL vs {name}", cv_arrays, name, r["seconds"],
                         target=1.0 if name == "xlogit" else None) + f"  (max |coef diff| {diff:.1e})")

    print("\n== MNL: synthetic 100,000 situations x 4 alternatives x 8 attributes ==")
    X, chosen = synthetic()
    path = work / "synthetic.npz"
    np.savez(path, X=X, chosen=chosen)
    avail = np.ones(chosen.shape + (X.shape[1],), bool)
    t = time.perf_counter()
    fit = fit_mnl_arrays(X, avail, chosen)
    np.linalg.inv(-fit.hessian)
    cv = time.perf_counter() - t
    print(f"cvkit: {cv:.3f} s ({fit.n_iter} Newton iterations), LL {fit.log_likelihood:.2f}")
    payload = {"kind": "synthetic", "path": str(path)}
    for name, script in (("xlogit", XLOGIT), ("larch", LARCH)):
        try:
            r = run_anchor(python, script, payload)
        except Exception as exc:
            print(f"{name}: failed ({str(exc).strip().splitlines()[-1][:200]})")
            continue
        diff = np.max(np.abs(np.array(r["coef"]) - fit.beta))
        line = ratio_line(f"Synthetic MNL vs {name}", cv, name, r["seconds"], target=3.0 if name == "xlogit" else None)
        same = f"  max |coef diff| {diff:.1e} ({'PASS' if diff < 1e-4 else 'FAIL'} at 1e-4)"
        print(line + same)


def bench_hb() -> None:
    print("\n== HB-MNL: demo conjoint, 600 respondents x 12 tasks x 4 alternatives, 8 parameters ==")
    from cvkit.datasets.demo import make_demo

    attrs = {"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
             "extras": ["none", "streaming", "partner_discounts", "priority_service"], "fee": [29, 49, 69, 89]}
    spec = ChoiceSpec(attrs, price="fee", none=True)
    cd = prepare(make_demo(2026).choice, spec)
    for chains in (1, 2):
        t = time.perf_counter()
        hb = HierarchicalBayesMNL(spec, iterations=20_000, chains=chains, seed=2026).fit(cd)
        sec = time.perf_counter() - t
        s = hb.summary()
        verdict = "PASS" if sec < 60 else "FAIL"
        print(f"HB 20,000 iterations x {chains} chain(s): {sec:.1f} s (target < 60 s: {verdict}); "
              f"max R-hat {s['rhat'].max():.3f}, min bulk ESS {s['ess_bulk'].min():.0f}, "
              f"acceptance {hb.acceptance_.mean():.2f}")


def bench_simulator() -> None:
    print("\n== Simulator: 1,000 respondents x 10 products, randomized first choice, 200 draws ==")
    spec = ChoiceSpec({"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
                       "extras": ["none", "streaming", "partner_discounts", "priority_service"],
                       "fee": [29, 49, 69, 89]}, price="fee", none=True)
    rng = np.random.default_rng(0)
    beta = rng.normal(size=(1000, spec.n_params))
    beta[:, spec.params.index("fee")] = -0.04 + 0.01 * rng.normal(size=1000)
    u = Utilities(spec, pd.DataFrame(beta @ spec.level_map().T, columns=spec.level_columns,
                                     index=pd.Index([f"r{i}" for i in range(1000)], name="respondent_id")))
    sim = Simulator(u)
    prods = [{"name": f"P{k}", "delivery": spec.levels("delivery")[k % 3], "returns": spec.levels("returns")[k % 2],
              "extras": spec.levels("extras")[k % 4], "fee": 29 + 6 * k} for k in range(10)]
    times = []
    for _ in range(5):
        t = time.perf_counter()
        sim.shares(prods, method="rfc", draws=200, seed=1)
        times.append(time.perf_counter() - t)
    sec = float(np.median(times))
    print(f"RFC 200 draws: median {sec:.3f} s of 5 calls (target < 0.2 s: {'PASS' if sec < 0.2 else 'FAIL'})")
    t = time.perf_counter()
    sim.shares(prods, method="share")
    print(f"share of preference: {time.perf_counter() - t:.4f} s")


def main() -> None:
    python = ensure_env("anchors-choice", "requirements-anchors-choice.txt")
    print(f"machine: {os.cpu_count()} cores; anchors from {python.parent.parent.name}\n")
    with tempfile.TemporaryDirectory() as tmp:
        bench_mnl(python, Path(tmp))
    bench_mixed(python)
    bench_hb()
    bench_simulator()


if __name__ == "__main__":
    main()
