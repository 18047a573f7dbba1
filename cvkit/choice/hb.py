"""Hierarchical-Bayes multinomial logit (CBC/HB), the industry standard for conjoint.

Model
-----
Respondent part-worths ``beta_i ~ N(b, W)``; choices are logit given ``beta_i``.
The sampler is the one of Allenby & Rossi and Sawtooth Software's CBC/HB:

1. ``b | beta, W ~ N(mean_i beta_i, W / N)`` (flat prior on ``b``);
2. ``W | beta, b ~ InvWishart(nu0 + N, S0 + sum_i (beta_i - b)(beta_i - b)')``;
3. an interweaving step (Yu & Meng 2011): ``b`` and every ``beta_i`` are
   shifted together by a Metropolis move (``b`` updated in the non-centred
   parametrisation), and a scale move multiplies ``W`` by ``s^2`` and every
   deviation ``beta_i - b`` by ``s``; both keep the population parameters
   mixing when respondents answer few tasks;
4. for every respondent at once, a random-walk Metropolis step
   ``beta_i' = beta_i + rho * chol((H_i + W^-1)^-1) z`` accepted with the ratio
   of likelihood x normal density; ``H_i`` is the respondent's logit
   information at the pooled estimate (Rossi's proposal: it matches each
   respondent's posterior shape, where Sawtooth's ``rho * chol(W)`` uses one
   shape for everyone and mixes much more slowly).

During burn-in the jump size ``rho`` grows by 10% after an iteration whose
acceptance rate exceeded the target and shrinks by 10% otherwise (Sawtooth's
rule); it is then frozen at its geometric mean over the last quarter of
burn-in, so the kept draws come from a fixed kernel.

Defaults and their source
-------------------------
* ``prior_df=5``: additional degrees of freedom of the inverse-Wishart,
  ``nu0 = K + prior_df`` (Sawtooth CBC/HB default, *CBC/HB Technical Paper* v5.0, 2009);
* ``prior_variance=1.0``: the prior expected variance of every part-worth
  across respondents (Sawtooth default 1.0), i.e. the inverse-Wishart scale is
  ``S0 = (nu0 - K - 1) * prior_variance * I`` so that ``E[W] = prior_variance * I``.
  (Scaling by ``nu0`` instead, as some implementations do, puts the prior
  mean of ``W`` at ``(K + 5) / 4`` times the stated variance; with 12 tasks per
  respondent that visibly overstates heterogeneity and inflates the means.)
* ``target_acceptance=0.30``: Sawtooth's target for the Metropolis step
  (Rossi, Allenby & McCulloch 2005, *Bayesian Statistics and Marketing*,
  recommend 0.2-0.4 for random-walk proposals);
* initial jump size ``2.38 / sqrt(K)`` (the optimal random-walk scale for a
  proposal shaped like the target, Roberts & Rosenthal 2001), then adapted.

Numeric linear attributes (e.g. a fee in EUR) are internally centred and
scaled to unit standard deviation so one jump size and the prior suit every
parameter; draws are transformed back exactly, so results are per unit of the
attribute.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cvkit.choice.data import ChoiceData, prepare
from cvkit.choice.diagnostics import ess_bulk, ess_tail, rhat
from cvkit.choice.mnl import hit_rate, split_holdout
from cvkit.choice.spec import ChoiceSpec, as_spec

__all__ = ["HierarchicalBayesMNL"]


def _internal_transform(cd: ChoiceData) -> np.ndarray:
    """``A`` with ``beta = A @ gamma`` for the centred/scaled internal design ``X @ A``."""
    spec = cd.spec
    K = spec.n_params
    A = np.eye(K)
    real = cd.avail & ~cd.is_none
    for a in spec.linear:
        k = spec.params.index(a)
        col = cd.X[..., k][real]
        c = col.mean() if spec.none else 0.0
        s = col.std() or 1.0
        # X'_k = (X_k + c * X_none) / s: centring relative to the none row; the
        # constant -c/s it drops is equal for all alternatives of a task.
        M = np.eye(K)
        if spec.none:
            M[K - 1, k] = c
        A = A @ M @ np.diag(np.where(np.arange(K) == k, 1 / s, 1.0))
    return A


class HierarchicalBayesMNL:
    """Hierarchical-Bayes MNL estimated by Gibbs sampling with Metropolis steps.

    Parameters
    ----------
    spec : ChoiceSpec or dict
        Attribute definitions (dict + ``spec_options`` as for :class:`~cvkit.choice.MNL`).
    iterations : int
        Total iterations per chain, burn-in included.
    burn_in : int, optional
        Iterations discarded (and used to adapt the jump size); default half.
    thin : int
        Keep every ``thin``-th population draw after burn-in.
    chains : int
        Independent chains, run together in one vectorised pass; at least 2
        are needed for a meaningful R-hat.
    seed : int
    prior_df, prior_variance, target_acceptance : float
        See the module docstring for the defaults' sources.
    respondent_draws : int
        Thinned draws of every respondent's part-worths kept (per chain) for
        distributions and simulations.

    Attributes
    ----------
    b_draws_ : ndarray, shape (chains, kept, K)
        Population mean draws, per unit of the coded columns.
    W_draws_ : ndarray, shape (chains, kept, K, K)
        Population covariance draws.
    beta_ : DataFrame (N, K)
        Posterior mean part-worths per respondent (index respondent_id).
    beta_draws_ : ndarray, shape (chains * respondent_draws, N, K)
    loglik_trace_ : ndarray, shape (chains, iterations)
        Total log-likelihood at every iteration (for trace plots).
    step_size_, acceptance_ : ndarray, shape (chains,)
        Final jump size and post-burn-in acceptance rate per chain.
    shift_acceptance_ : ndarray, shape (chains,)
        Acceptance rate of the joint shift move of ``b`` and all ``beta_i``.
    summary_ : DataFrame
        Population means: posterior mean, sd, 2.5/97.5% quantiles, R-hat, bulk
        and tail ESS, and the mean of ``diag(W)`` (heterogeneity).
    rlh_ : Series (N,)
        Root likelihood per respondent at the posterior mean: the geometric
        mean choice probability (chance = 1 / alternatives).
    percent_certainty_ : Series (N,)
        ``1 - LL_i / LL0_i`` at the posterior mean.
    hit_rate_ : float or None
        Holdout hit rate with posterior-mean part-worths.
    seconds_ : float
        Sampling time.
    """

    def __init__(self, spec: ChoiceSpec | dict, *, iterations: int = 20000, burn_in: int | None = None,
                 thin: int = 10, chains: int = 2, seed: int = 0, prior_df: float = 5.0,
                 prior_variance: float = 1.0, target_acceptance: float = 0.30, respondent_draws: int = 100,
                 **spec_options):
        self.spec = as_spec(spec, **spec_options)
        self.iterations = int(iterations)
        self.burn_in = self.iterations // 2 if burn_in is None else int(burn_in)
        if prior_df <= 1:
            raise ValueError(f"prior_df={prior_df} must exceed 1 so the prior covariance has a mean. Fix: use the "
                             "default 5.")
        if not 0 <= self.burn_in < self.iterations:
            raise ValueError(f"burn_in={self.burn_in} must be between 0 and iterations-1={self.iterations - 1}. "
                             "Fix: lower burn_in or raise iterations.")
        self.thin = max(1, int(thin))
        self.chains = int(chains)
        self.seed = seed
        self.prior_df = prior_df
        self.prior_variance = prior_variance
        self.target_acceptance = target_acceptance
        self.respondent_draws = respondent_draws

    def fit(self, data: pd.DataFrame | ChoiceData, *, holdout=None) -> "HierarchicalBayesMNL":
        """Run the sampler.

        Parameters
        ----------
        data : DataFrame or ChoiceData
            Long-format choice data.
        holdout : task labels or bool array over situations, optional
            Tasks kept out of estimation for ``hit_rate_``.

        Returns
        -------
        self
        """
        cd = data if isinstance(data, ChoiceData) else prepare(data, self.spec)
        train, test = split_holdout(cd, holdout)
        self.data_ = train
        rng = np.random.default_rng(self.seed)
        A = _internal_transform(train)
        Xp, offset, ch = train.panel()
        N, T, J, K = Xp.shape
        Xi = Xp @ A                                            # internal design (N, T, J, K)
        # Alternative-major layout (N, J*T, K) so the per-alternative slices of the
        # utilities are contiguous: max and sum over J become J cheap elementwise ops.
        XJ = np.ascontiguousarray(Xi.transpose(0, 2, 1, 3).reshape(N, J * T, K))
        offJ = np.ascontiguousarray(offset.transpose(0, 2, 1))  # (N, J, T)
        n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
        xc_sum = Xi[n_idx, t_idx, ch].sum(axis=1)               # (N, K): sum of chosen rows
        C = self.chains

        # Utilities in float32: half the memory traffic of float64 in the hot loop; a
        # respondent's log-likelihood (12 tasks) is still accurate to ~1e-5, far below what
        # changes a Metropolis decision.
        XJ32 = XJ.astype(np.float32)
        offJ32 = offJ.astype(np.float32)
        ones_T = np.ones(T, np.float32)

        def loglik(beta: np.ndarray) -> np.ndarray:
            # beta (C, N, K) -> (C, N); one batched mat-vec for all chains and respondents.
            V = np.matmul(XJ32[None], beta.astype(np.float32)[..., None]).reshape(C, N, J, T)
            V += offJ32
            m = V[:, :, 0].copy()
            for a in range(1, J):
                np.maximum(m, V[:, :, a], out=m)
            V -= m[:, :, None, :]
            np.exp(V, out=V)
            tot = V[:, :, 0].copy()
            for a in range(1, J):
                tot += V[:, :, a]
            # sums over the short task axis as a mat-vec (BLAS), much faster than a reduction
            lse = (np.log(tot) + m) @ ones_T
            return np.einsum("nk,cnk->cn", xc_sum, beta) - lse

        nu0 = K + self.prior_df
        S0 = (nu0 - K - 1) * self.prior_variance * np.eye(K)
        beta = rng.normal(0.0, 0.3, size=(C, N, K))
        b = beta.mean(axis=1)
        W = np.repeat((self.prior_variance * np.eye(K))[None], C, axis=0)
        # Proposal shape per respondent: (H_i + W^-1)^-1, with H_i the respondent's logit information
        # at the pooled MNL estimate (Rossi, Allenby & McCulloch 2005, rhierMnlRwMixture). It follows
        # each respondent's own posterior shape, so beta_i and hence b mix far faster than with the
        # same rho * chol(W) step for everyone. Refreshed with the current W during burn-in, then frozen
        # so the kept draws come from a fixed Metropolis kernel.
        H = _respondent_information(Xi, offset, ch, train, A)
        rho = np.full(C, 2.38 / np.sqrt(K))
        tail = max(1, self.burn_in // 4)
        log_rho_sum = np.zeros(C)
        Lp = _proposal_roots(H, W)
        Lb = np.linalg.cholesky(np.linalg.inv(H.sum(axis=0)))  # pooled-information scale for the shift move
        rho_b = np.full(C, 2.38 / np.sqrt(K))
        shift_hist: list[np.ndarray] = []
        shift_accepted = np.zeros(C)
        rho_w = np.full(C, 0.05)
        scale_hist: list[np.ndarray] = []
        ll = loglik(beta)
        kept = (self.iterations - self.burn_in) // self.thin
        b_draws = np.empty((C, kept, K))
        W_draws = np.empty((C, kept, K, K))
        ll_trace = np.empty((C, self.iterations))
        r_every = max(1, (self.iterations - self.burn_in) // max(1, self.respondent_draws))
        beta_draws = []
        beta_sum = np.zeros((C, N, K))
        n_sum = 0
        accepted = np.zeros(C)
        t0 = time.perf_counter()
        j = 0
        for it in range(self.iterations):
            L = np.linalg.cholesky(W)                           # (C, K, K)
            Linv = np.linalg.inv(L)
            LT, LinvT = L.transpose(0, 2, 1), Linv.transpose(0, 2, 1)
            # --- Metropolis step for every respondent of every chain
            if it < self.burn_in and it % 10 == 0 and it > 0:
                Lp = _proposal_roots(H, W)
            z = rng.standard_normal((C, N, 1, K))
            prop = beta + rho[:, None, None] * (z @ Lp.transpose(0, 1, 3, 2))[:, :, 0, :]
            ll_prop = loglik(prop)
            d_old = (beta - b[:, None, :]) @ LinvT
            d_new = (prop - b[:, None, :]) @ LinvT
            log_ratio = ll_prop - ll - 0.5 * ((d_new * d_new).sum(-1) - (d_old * d_old).sum(-1))
            acc = np.log(rng.random((C, N))) < log_ratio
            beta = np.where(acc[..., None], prop, beta)
            ll = np.where(acc, ll_prop, ll)
            rate = acc.mean(axis=1)
            if it < self.burn_in:
                rho = np.where(rate > self.target_acceptance, rho * 1.1, rho * 0.9)
                # The +-10% rule makes rho wander around the target; freeze it at the geometric
                # mean over the last quarter of burn-in rather than at a random end point.
                if it >= self.burn_in - tail:
                    log_rho_sum += np.log(rho)
                if it == self.burn_in - 1:
                    rho = np.exp(log_rho_sum / tail)
            else:
                accepted += rate
            # --- Gibbs: population mean
            bbar = beta.mean(axis=1)
            b = bbar + (rng.standard_normal((C, 1, K)) @ LT)[:, 0] / np.sqrt(N)
            # --- Interweaving shift move (Yu & Meng 2011): update b in the non-centred
            # parametrisation beta_i = b + eta_i with every eta_i fixed, i.e. shift all
            # respondents together. With few tasks per respondent the centred Gibbs step
            # above moves b by only ~sqrt(W/N) per iteration; this step moves it on the
            # scale of the data's information about the mean. Flat prior on b, eta's prior
            # unchanged: the acceptance ratio is the likelihood ratio.
            delta = rho_b[:, None] * (rng.standard_normal((C, K)) @ Lb.T)
            shifted = beta + delta[:, None, :]
            ll_shift = loglik(shifted)
            acc_b = np.log(rng.random(C)) < ll_shift.sum(axis=1) - ll.sum(axis=1)
            beta = np.where(acc_b[:, None, None], shifted, beta)
            ll = np.where(acc_b[:, None], ll_shift, ll)
            b = np.where(acc_b[:, None], b + delta, b)
            if it < self.burn_in:
                shift_hist.append(acc_b)
                if len(shift_hist) == 20:  # adapt the shift size on batches of 20 moves
                    r = np.mean(shift_hist, axis=0)
                    rho_b = np.where(r > self.target_acceptance, rho_b * 1.2, rho_b / 1.2)
                    shift_hist = []
            else:
                shift_accepted += acc_b
            # --- Gibbs: population covariance, inverse-Wishart by Bartlett decomposition
            D = beta - b[:, None, :]
            S = S0[None] + D.transpose(0, 2, 1) @ D
            W = _inv_wishart(rng, nu0 + N, S)
            # --- Interweaving scale move: W -> s^2 W in the non-centred parametrisation
            # (beta_i = b + chol(W) eta_i, eta fixed), i.e. every respondent's deviation from b
            # scaled by s. Log-normal random walk on s; the ratio has the likelihood, the
            # inverse-Wishart prior and the Jacobian s^(K(K+1)) of W -> s^2 W.
            log_s = rho_w * rng.standard_normal(C)
            sc = np.exp(log_s)
            scaled = b[:, None, :] + sc[:, None, None] * (beta - b[:, None, :])
            ll_scaled = loglik(scaled)
            tr_term = np.trace(S0[None] @ np.linalg.inv(W), axis1=1, axis2=2)
            log_prior = -(nu0 + K + 1) * K * log_s - 0.5 * tr_term * (np.exp(-2 * log_s) - 1)
            log_r = ll_scaled.sum(axis=1) - ll.sum(axis=1) + log_prior + K * (K + 1) * log_s
            acc_w = np.log(rng.random(C)) < log_r
            beta = np.where(acc_w[:, None, None], scaled, beta)
            ll = np.where(acc_w[:, None], ll_scaled, ll)
            W = np.where(acc_w[:, None, None], (sc ** 2)[:, None, None] * W, W)
            if it < self.burn_in:
                scale_hist.append(acc_w)
                if len(scale_hist) == 20:
                    r = np.mean(scale_hist, axis=0)
                    rho_w = np.where(r > self.target_acceptance, rho_w * 1.2, rho_w / 1.2)
                    scale_hist = []
            ll_trace[:, it] = ll.sum(axis=1)
            if it >= self.burn_in:
                beta_sum += beta
                n_sum += 1
                k_it = it - self.burn_in
                if k_it % self.thin == self.thin - 1 and j < kept:
                    b_draws[:, j] = b
                    W_draws[:, j] = W
                    j += 1
                if k_it % r_every == r_every - 1 and len(beta_draws) < self.respondent_draws:
                    beta_draws.append(beta.copy())
        self.seconds_ = time.perf_counter() - t0
        # back to the units of the coded columns: beta = A gamma, W = A W A'
        self.A_ = A
        self.b_draws_ = b_draws[:, :j] @ A.T
        self.W_draws_ = A[None, None] @ W_draws[:, :j] @ A.T[None, None]
        beta_mean = (beta_sum / max(n_sum, 1)).mean(axis=0) @ A.T
        names = self.spec.params
        ids = pd.Index(train.respondent_ids, name="respondent_id")
        self.beta_ = pd.DataFrame(beta_mean, index=ids, columns=names)
        bd = np.stack(beta_draws, axis=1) if beta_draws else np.empty((C, 0, N, K))
        self.beta_draws_ = bd.reshape(-1, N, K) @ A.T
        self.loglik_trace_ = ll_trace
        self.step_size_ = rho
        self.acceptance_ = accepted / max(1, self.iterations - self.burn_in)
        self.shift_acceptance_ = shift_accepted / max(1, self.iterations - self.burn_in)
        self.summary_ = self._summarise()
        # respondent fit at the posterior mean
        ll_i = _respondent_loglik(Xp, offset, ch, beta_mean)
        n_tasks = np.bincount(train.resp, minlength=N)
        ll0 = -np.bincount(train.resp, weights=np.log(train.avail.sum(axis=1)), minlength=N)
        self.rlh_ = pd.Series(np.exp(ll_i / n_tasks), index=ids, name="rlh")
        self.percent_certainty_ = pd.Series(1 - ll_i / ll0, index=ids, name="percent_certainty")
        self.loglik_ = float(ll_i.sum())
        self.hit_rate_ = None
        self.holdout_ = test
        if test is not None:
            self.hit_rate_ = hit_rate(self.predict_proba(test), test.chosen)
        return self

    def _summarise(self) -> pd.DataFrame:
        names = self.spec.params
        d = self.b_draws_
        flat = d.reshape(-1, d.shape[-1])
        rows = []
        for k, name in enumerate(names):
            x = d[..., k]
            ok = x.shape[1] >= 4
            rows.append({"parameter": name, "mean": flat[:, k].mean(), "sd": flat[:, k].std(ddof=1),
                         "lower": np.quantile(flat[:, k], 0.025), "upper": np.quantile(flat[:, k], 0.975),
                         "rhat": rhat(x) if ok else np.nan, "ess_bulk": ess_bulk(x) if ok else np.nan,
                         "ess_tail": ess_tail(x) if ok else np.nan,
                         "heterogeneity_sd": np.sqrt(self.W_draws_[..., k, k].mean())})
        return pd.DataFrame(rows).set_index("parameter")

    def converged(self, rhat_max: float = 1.1, ess_min: float = 100.0) -> bool:
        """True when every population mean has R-hat below ``rhat_max`` and bulk ESS above ``ess_min``."""
        s = self.summary_
        return bool((s["rhat"] < rhat_max).all() and (s["ess_bulk"] > ess_min).all())

    def predict_proba(self, data: pd.DataFrame | ChoiceData) -> np.ndarray:
        """Choice probabilities (S, J) of the respondents' tasks with their posterior-mean part-worths.

        Respondents not in the estimation data get the population mean.
        """
        cd = data if isinstance(data, ChoiceData) else prepare(data, self.spec, check_variation=False)
        pos = pd.Series(np.arange(len(self.beta_)), index=self.beta_.index)
        idx = pos.reindex(cd.respondent_ids).to_numpy()
        betas = np.where(np.isnan(idx)[:, None], self.b_draws_.reshape(-1, self.b_draws_.shape[-1]).mean(0),
                         self.beta_.to_numpy()[np.nan_to_num(idx).astype(int)])
        V = np.einsum("sjk,sk->sj", cd.X, betas[cd.resp]) + np.where(cd.avail, 0.0, -np.inf)
        V -= V.max(axis=1, keepdims=True)
        E = np.exp(V)
        return E / E.sum(axis=1, keepdims=True)

    def utilities(self):
        """Posterior-mean part-worths per respondent as :class:`cvkit.choice.Utilities`.

        The population mean draws give posterior intervals for WTP and part-worths.
        """
        from cvkit.choice.results import Utilities

        T = self.spec.level_map()
        values = self.beta_.to_numpy() @ T.T
        pop = self.b_draws_.reshape(-1, T.shape[1]) @ T.T
        return Utilities(self.spec, pd.DataFrame(values, index=self.beta_.index, columns=self.spec.level_columns),
                         draws=pop, respondent_draws=self.beta_draws_ @ T.T, source="hb")


def _respondent_information(Xi, offset, ch, cd, A) -> np.ndarray:
    """Logit information matrix of each respondent (N, K, K) at the pooled MNL estimate (internal units)."""
    from cvkit.choice.mnl import fit_mnl_arrays

    pooled = fit_mnl_arrays(cd.X, cd.avail, cd.chosen, max_iter=50, checks=False).beta
    gamma = np.linalg.solve(A, pooled)
    V = np.einsum("ntjk,k->ntj", Xi, gamma) + offset
    P = np.exp(V - V.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    Xbar = np.einsum("ntj,ntjk->ntk", P, Xi)
    return np.einsum("ntj,ntjk,ntjl->nkl", P, Xi, Xi) - np.einsum("ntk,ntl->nkl", Xbar, Xbar)


def _proposal_roots(H: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Cholesky roots (C, N, K, K) of (H_i + W_c^-1)^-1."""
    prec = H[None] + np.linalg.inv(W)[:, None]
    return np.linalg.cholesky(np.linalg.inv(prec))


def _respondent_loglik(Xp, offset, ch, beta):
    N, T, J, K = Xp.shape
    V = np.einsum("ntjk,nk->ntj", Xp, beta) + offset
    m = V.max(axis=-1)
    lse = np.log(np.exp(V - m[..., None]).sum(-1)) + m
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    return (V[n_idx, t_idx, ch] - lse).sum(axis=1)


def _inv_wishart(rng: np.random.Generator, df: float, scale: np.ndarray) -> np.ndarray:
    """Draws from InvWishart(df, scale) for a stack of scale matrices (C, K, K).

    If ``Q ~ Wishart(df, scale^-1)`` then ``Q^-1 ~ InvWishart(df, scale)``;
    Q = (L A)(L A)' is drawn with Bartlett's decomposition (Smith & Hocking 1972),
    L = chol(scale^-1), A lower triangular with chi and normal entries.
    """
    C, K, _ = scale.shape
    Lc = np.linalg.cholesky(np.linalg.inv(scale))
    Aw = np.tril(rng.standard_normal((C, K, K)), -1)
    idx = np.arange(K)
    Aw[:, idx, idx] = np.sqrt(rng.chisquare(df - idx, size=(C, K)))
    Minv = np.linalg.inv(Lc @ Aw)
    return Minv.transpose(0, 2, 1) @ Minv
