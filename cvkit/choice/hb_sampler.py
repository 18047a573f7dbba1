"""The Gibbs/Metropolis sampler behind :class:`cvkit.choice.HierarchicalBayesMNL`, one step per method.

One iteration, for every chain at once (see :mod:`cvkit.choice.hb` for the model, the
defaults and their sources):

1. :meth:`Sampler.respondent_step`: random-walk Metropolis for every respondent's part-worths;
2. :meth:`Sampler.mean_step`: Gibbs draw of the population mean ``b``;
3. :meth:`Sampler.shift_step`: interweaving shift of ``b`` and every ``beta_i`` together;
4. :meth:`Sampler.covariance_step`: Gibbs draw of the population covariance ``W``;
5. :meth:`Sampler.scale_step`: interweaving scale move of ``W`` and the deviations;
6. :meth:`Sampler.keep`: record the trace and the kept draws after burn-in.

The random numbers are drawn in this fixed order, so a seed gives the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cvkit.choice.data import ChoiceData
from cvkit.choice.mnl import fit_mnl_arrays

__all__ = ["SamplerSettings", "PanelDesign", "Sampler", "internal_transform", "respondent_loglik"]


@dataclass(frozen=True)
class SamplerSettings:
    """Resolved sampler settings (validated by :meth:`HierarchicalBayesMNL.fit`)."""

    iterations: int
    burn_in: int
    thin: int
    chains: int
    respondent_draws: int
    prior_df: float
    prior_variance: float
    target_acceptance: float


def internal_transform(cd: ChoiceData) -> np.ndarray:
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


class PanelDesign:
    """The estimation data as the sampler's hot loop wants it.

    Attributes
    ----------
    A : ndarray (K, K)
        Internal transform (``beta = A @ gamma``).
    Xp, offset, ch : the panel (N, T, J, K), (N, T, J), (N, T) of :meth:`ChoiceData.panel`.
    Xi : ndarray (N, T, J, K)
        Internal design ``Xp @ A``.
    """

    def __init__(self, train: ChoiceData, chains: int):
        self.A = internal_transform(train)
        self.Xp, self.offset, self.ch = train.panel()
        N, T, J, K = self.Xp.shape
        self.shape = (N, T, J, K)
        self.chains = chains
        self.Xi = self.Xp @ self.A                               # internal design (N, T, J, K)
        # Alternative-major layout (N, J*T, K) so the per-alternative slices of the
        # utilities are contiguous: max and sum over J become J cheap elementwise ops.
        XJ = np.ascontiguousarray(self.Xi.transpose(0, 2, 1, 3).reshape(N, J * T, K))
        offJ = np.ascontiguousarray(self.offset.transpose(0, 2, 1))  # (N, J, T)
        n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
        self.xc_sum = self.Xi[n_idx, t_idx, self.ch].sum(axis=1)    # (N, K): sum of chosen rows
        # Utilities in float32: half the memory traffic of float64 in the hot loop; a
        # respondent's log-likelihood (12 tasks) is still accurate to ~1e-5, far below what
        # changes a Metropolis decision.
        self.XJ32 = XJ.astype(np.float32)
        self.offJ32 = offJ.astype(np.float32)
        self.ones_T = np.ones(T, np.float32)

    def loglik(self, beta: np.ndarray) -> np.ndarray:
        """Log-likelihood of every respondent of every chain: beta (C, N, K) -> (C, N)."""
        N, T, J, K = self.shape
        C = self.chains
        # one batched mat-vec for all chains and respondents
        V = np.matmul(self.XJ32[None], beta.astype(np.float32)[..., None]).reshape(C, N, J, T)
        V += self.offJ32
        m = V[:, :, 0].copy()
        for a in range(1, J):
            np.maximum(m, V[:, :, a], out=m)
        V -= m[:, :, None, :]
        np.exp(V, out=V)
        tot = V[:, :, 0].copy()
        for a in range(1, J):
            tot += V[:, :, a]
        # sums over the short task axis as a mat-vec (BLAS), much faster than a reduction
        lse = (np.log(tot) + m) @ self.ones_T
        return np.einsum("nk,cnk->cn", self.xc_sum, beta) - lse


class Sampler:
    """State of all chains and the steps of one iteration (see the module docstring)."""

    def __init__(self, design: PanelDesign, train: ChoiceData, settings: SamplerSettings,
                 rng: np.random.Generator):
        self.d, self.s, self.rng = design, settings, rng
        N, T, J, K = design.shape
        C = settings.chains
        self.N, self.K, self.C = N, K, C
        self.nu0 = K + settings.prior_df
        self.S0 = (self.nu0 - K - 1) * settings.prior_variance * np.eye(K)
        self.beta = rng.normal(0.0, 0.3, size=(C, N, K))
        self.b = self.beta.mean(axis=1)
        self.W = np.repeat((settings.prior_variance * np.eye(K))[None], C, axis=0)
        self._init_proposals(train)
        self.ll = design.loglik(self.beta)
        self._init_storage()

    def _init_proposals(self, train: ChoiceData) -> None:
        # Proposal shape per respondent: (H_i + W^-1)^-1, with H_i the respondent's logit information
        # at the pooled MNL estimate (Rossi, Allenby & McCulloch 2005, rhierMnlRwMixture). It follows
        # each respondent's own posterior shape, so beta_i and hence b mix far faster than with the
        # same rho * chol(W) step for everyone. Refreshed with the current W during burn-in, then frozen
        # so the kept draws come from a fixed Metropolis kernel.
        K, C = self.K, self.C
        self.H = respondent_information(self.d.Xi, self.d.offset, self.d.ch, train, self.d.A)
        self.rho = np.full(C, 2.38 / np.sqrt(K))
        self.tail = max(1, self.s.burn_in // 4)
        self.log_rho_sum = np.zeros(C)
        self.Lp = proposal_roots(self.H, self.W)
        self.Lb = np.linalg.cholesky(np.linalg.inv(self.H.sum(axis=0)))  # pooled-information scale for the shift
        self.rho_b = np.full(C, 2.38 / np.sqrt(K))
        self.shift_hist: list[np.ndarray] = []
        self.shift_accepted = np.zeros(C)
        self.rho_w = np.full(C, 0.05)
        self.scale_hist: list[np.ndarray] = []
        self.accepted = np.zeros(C)

    def _init_storage(self) -> None:
        s, C, N, K = self.s, self.C, self.N, self.K
        self.kept = (s.iterations - s.burn_in) // s.thin
        self.b_draws = np.empty((C, self.kept, K))
        self.W_draws = np.empty((C, self.kept, K, K))
        self.ll_trace = np.empty((C, s.iterations))
        self.r_every = max(1, (s.iterations - s.burn_in) // max(1, s.respondent_draws))
        self.beta_draws: list[np.ndarray] = []
        self.beta_sum = np.zeros((C, N, K))
        self.n_sum = 0
        self.j = 0

    def run(self) -> None:
        """All iterations, burn-in included."""
        for it in range(self.s.iterations):
            L = np.linalg.cholesky(self.W)                      # (C, K, K)
            Linv = np.linalg.inv(L)
            self.respondent_step(it, Linv.transpose(0, 2, 1))
            self.mean_step(L.transpose(0, 2, 1))
            self.shift_step(it)
            self.covariance_step()
            self.scale_step(it)
            self.keep(it)

    def respondent_step(self, it: int, LinvT: np.ndarray) -> None:
        """Metropolis step for every respondent of every chain; adapts ``rho`` during burn-in."""
        s, b, beta = self.s, self.b, self.beta
        if it < s.burn_in and it % 10 == 0 and it > 0:
            self.Lp = proposal_roots(self.H, self.W)
        z = self.rng.standard_normal((self.C, self.N, 1, self.K))
        prop = beta + self.rho[:, None, None] * (z @ self.Lp.transpose(0, 1, 3, 2))[:, :, 0, :]
        ll_prop = self.d.loglik(prop)
        d_old = (beta - b[:, None, :]) @ LinvT
        d_new = (prop - b[:, None, :]) @ LinvT
        log_ratio = ll_prop - self.ll - 0.5 * ((d_new * d_new).sum(-1) - (d_old * d_old).sum(-1))
        acc = np.log(self.rng.random((self.C, self.N))) < log_ratio
        self.beta = np.where(acc[..., None], prop, beta)
        self.ll = np.where(acc, ll_prop, self.ll)
        rate = acc.mean(axis=1)
        if it < s.burn_in:
            self.rho = np.where(rate > s.target_acceptance, self.rho * 1.1, self.rho * 0.9)
            # The +-10% rule makes rho wander around the target; freeze it at the geometric
            # mean over the last quarter of burn-in rather than at a random end point.
            if it >= s.burn_in - self.tail:
                self.log_rho_sum += np.log(self.rho)
            if it == s.burn_in - 1:
                self.rho = np.exp(self.log_rho_sum / self.tail)
        else:
            self.accepted += rate

    def mean_step(self, LT: np.ndarray) -> None:
        """Gibbs draw of the population mean: ``b | beta, W ~ N(mean_i beta_i, W / N)``."""
        bbar = self.beta.mean(axis=1)
        self.b = bbar + (self.rng.standard_normal((self.C, 1, self.K)) @ LT)[:, 0] / np.sqrt(self.N)

    def shift_step(self, it: int) -> None:
        """Interweaving shift move (Yu & Meng 2011).

        Update b in the non-centred parametrisation beta_i = b + eta_i with every eta_i fixed,
        i.e. shift all respondents together. With few tasks per respondent the centred Gibbs
        step moves b by only ~sqrt(W/N) per iteration; this step moves it on the scale of the
        data's information about the mean. Flat prior on b, eta's prior unchanged: the
        acceptance ratio is the likelihood ratio.
        """
        delta = self.rho_b[:, None] * (self.rng.standard_normal((self.C, self.K)) @ self.Lb.T)
        shifted = self.beta + delta[:, None, :]
        ll_shift = self.d.loglik(shifted)
        acc_b = np.log(self.rng.random(self.C)) < ll_shift.sum(axis=1) - self.ll.sum(axis=1)
        self.beta = np.where(acc_b[:, None, None], shifted, self.beta)
        self.ll = np.where(acc_b[:, None], ll_shift, self.ll)
        self.b = np.where(acc_b[:, None], self.b + delta, self.b)
        if it < self.s.burn_in:
            self.shift_hist.append(acc_b)
            if len(self.shift_hist) == 20:  # adapt the shift size on batches of 20 moves
                r = np.mean(self.shift_hist, axis=0)
                self.rho_b = np.where(r > self.s.target_acceptance, self.rho_b * 1.2, self.rho_b / 1.2)
                self.shift_hist = []
        else:
            self.shift_accepted += acc_b

    def covariance_step(self) -> None:
        """Gibbs draw of the population covariance, inverse-Wishart by Bartlett decomposition."""
        D = self.beta - self.b[:, None, :]
        S = self.S0[None] + D.transpose(0, 2, 1) @ D
        self.W = inv_wishart(self.rng, self.nu0 + self.N, S)

    def scale_step(self, it: int) -> None:
        """Interweaving scale move: ``W -> s^2 W`` in the non-centred parametrisation.

        ``beta_i = b + chol(W) eta_i`` with eta fixed, i.e. every respondent's deviation from b
        scaled by s. Log-normal random walk on s; the ratio has the likelihood, the
        inverse-Wishart prior and the Jacobian s^(K(K+1)) of W -> s^2 W.
        """
        K, b = self.K, self.b
        log_s = self.rho_w * self.rng.standard_normal(self.C)
        sc = np.exp(log_s)
        scaled = b[:, None, :] + sc[:, None, None] * (self.beta - b[:, None, :])
        ll_scaled = self.d.loglik(scaled)
        tr_term = np.trace(self.S0[None] @ np.linalg.inv(self.W), axis1=1, axis2=2)
        log_prior = -(self.nu0 + K + 1) * K * log_s - 0.5 * tr_term * (np.exp(-2 * log_s) - 1)
        log_r = ll_scaled.sum(axis=1) - self.ll.sum(axis=1) + log_prior + K * (K + 1) * log_s
        acc_w = np.log(self.rng.random(self.C)) < log_r
        self.beta = np.where(acc_w[:, None, None], scaled, self.beta)
        self.ll = np.where(acc_w[:, None], ll_scaled, self.ll)
        self.W = np.where(acc_w[:, None, None], (sc ** 2)[:, None, None] * self.W, self.W)
        if it < self.s.burn_in:
            self.scale_hist.append(acc_w)
            if len(self.scale_hist) == 20:
                r = np.mean(self.scale_hist, axis=0)
                self.rho_w = np.where(r > self.s.target_acceptance, self.rho_w * 1.2, self.rho_w / 1.2)
                self.scale_hist = []

    def keep(self, it: int) -> None:
        """Record the trace; after burn-in, accumulate and keep the thinned draws."""
        s = self.s
        self.ll_trace[:, it] = self.ll.sum(axis=1)
        if it < s.burn_in:
            return
        self.beta_sum += self.beta
        self.n_sum += 1
        k_it = it - s.burn_in
        if k_it % s.thin == s.thin - 1 and self.j < self.kept:
            self.b_draws[:, self.j] = self.b
            self.W_draws[:, self.j] = self.W
            self.j += 1
        if k_it % self.r_every == self.r_every - 1 and len(self.beta_draws) < s.respondent_draws:
            self.beta_draws.append(self.beta.copy())


def respondent_information(Xi, offset, ch, cd, A) -> np.ndarray:
    """Logit information matrix of each respondent (N, K, K) at the pooled MNL estimate (internal units)."""
    pooled = fit_mnl_arrays(cd.X, cd.avail, cd.chosen, max_iter=50, checks=False).beta
    gamma = np.linalg.solve(A, pooled)
    V = np.einsum("ntjk,k->ntj", Xi, gamma) + offset
    P = np.exp(V - V.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    Xbar = np.einsum("ntj,ntjk->ntk", P, Xi)
    return np.einsum("ntj,ntjk,ntjl->nkl", P, Xi, Xi) - np.einsum("ntk,ntl->nkl", Xbar, Xbar)


def proposal_roots(H: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Cholesky roots (C, N, K, K) of (H_i + W_c^-1)^-1."""
    prec = H[None] + np.linalg.inv(W)[:, None]
    return np.linalg.cholesky(np.linalg.inv(prec))


def respondent_loglik(Xp, offset, ch, beta):
    """Log-likelihood (N,) of each respondent's tasks at part-worths ``beta`` (N, K)."""
    N, T, J, K = Xp.shape
    V = np.einsum("ntjk,nk->ntj", Xp, beta) + offset
    m = V.max(axis=-1)
    lse = np.log(np.exp(V - m[..., None]).sum(-1)) + m
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    return (V[n_idx, t_idx, ch] - lse).sum(axis=1)


def inv_wishart(rng: np.random.Generator, df: float, scale: np.ndarray) -> np.ndarray:
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
