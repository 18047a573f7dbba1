"""BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases while active, dropout after a purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special
from scipy.special import betaln, digamma, gammaln, hyp2f1

from cvkit.clv.models.base import CompressedData
from cvkit.clv.models.purchase import PurchaseModel

__all__ = ["BetaGeoModel"]

#: Above this shape r + x, scipy's hyp2f1 of the closed form loses digits (1e-7 relative at 1e4) and
#: then gives NaN (from ~1e6): the purchase rate is then practically known (the Poisson limit, a log in
#: which nobody seems to stop buying), and the expectation is summed term by term instead.
_LARGE_SHAPE = 1e3


class BetaGeoModel(PurchaseModel):
    """BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases, dropout after a purchase.

    While active a customer buys at rate ``lambda ~ Gamma(r, alpha)``; after
    each purchase they become inactive with probability ``p ~ Beta(a, b)``.

    Fitted attributes: ``params_`` (r, alpha, a, b; alpha in time units),
    ``log_likelihood_`` (sum over customers), ``hessian_``, ``converged_``,
    ``time_unit_``. See :class:`PurchaseModel` for the methods.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
    the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2).
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "BG/NBD"
    _shift = 0  # b offset of the "alive at T" term: 0 for BG/NBD, 1 for MBG/NBD
    _always_second = False  # MBG/NBD allows dropout before any repeat purchase

    def _prepare(self, data: CompressedData) -> None:
        ux, xi = np.unique(data.cols["x"], return_inverse=True)
        data.cache.update(ux=ux.astype(float), xi=xi.reshape(-1))

    def _loglik(self, params: np.ndarray, data: CompressedData, grad: bool):
        r, alpha, a, b = params
        ux, xi = data.cache["ux"], data.cache["xi"]
        x, t_x, T = data.cols["x"], data.cols["t_x"], data.cols["T"]
        k = self._shift
        # Per distinct frequency (few values) rather than per row: the gamma/beta functions dominate cost.
        A = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        B1 = betaln(a, b + ux + k) - betaln(a, b)
        bb = b + ux + k - 1
        has2 = (ux > 0) | self._always_second
        ok = has2 & (bb > 0)
        # log of the "dropped out after the last purchase" term relative to B1; -inf where it is absent
        B2 = np.full_like(ux, -np.inf)
        B2[ok] = B1[ok] + np.log(a) - np.log(bb[ok])
        la_T = np.log(alpha + T)
        la_t = np.log(alpha + t_x)
        rx = r + x
        L1 = (A + B1)[xi] - rx * la_T
        d = (B2 - B1)[xi] - rx * (la_t - la_T)  # log(term2 / term1)
        # log(e^L1 + e^L2) = L1 + softplus(d), and the share of term 2 is expit(d): one exp, one log1p
        e = np.exp(-np.abs(d))
        ll = L1 + np.maximum(d, 0.0) + np.log1p(e)
        if not grad:
            return ll, None
        w2 = np.where(d > 0, 1.0, e) / (1.0 + e)
        w1 = 1.0 - w2
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux + k)
        dB1_a = psi_ab - psi_abx
        dB1_b = digamma(b + ux + k) - psi_abx - digamma(b) + psi_ab
        inv_bb = np.zeros_like(ux)
        inv_bb[ok] = 1.0 / bb[ok]
        g = np.empty((len(x), 4))
        g[:, 0] = (digamma(r + ux) - digamma(r) + np.log(alpha))[xi] - la_T - w2 * (la_t - la_T)
        g[:, 1] = r / alpha - rx * (w1 / (alpha + T) + w2 / (alpha + t_x))
        g[:, 2] = dB1_a[xi] + w2 / a
        g[:, 3] = dB1_b[xi] - w2 * inv_bb[xi]
        return ll, g

    def _total(self, params: np.ndarray, data: CompressedData, grad: bool = True):
        """Weighted total log-likelihood and gradient without per-row gradient columns.

        Terms that depend on the frequency only are summed through per-frequency weight totals
        (``W_x``), so a fit on a million customers does a handful of vector passes per evaluation.
        """
        r, alpha, a, b = params
        c = data.cache
        ux, xi, w = c["ux"], c["xi"], data.weights
        if "W_x" not in c:
            c["W_x"] = np.bincount(xi, weights=w, minlength=len(ux))
            c["wx"] = w * data.cols["x"]
        W_x = c["W_x"]
        x, t_x, T = data.cols["x"], data.cols["t_x"], data.cols["T"]
        k = self._shift
        A = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        B1 = betaln(a, b + ux + k) - betaln(a, b)
        bb = b + ux + k - 1
        ok = ((ux > 0) | self._always_second) & (bb > 0)
        B2 = np.full_like(ux, -np.inf)
        B2[ok] = B1[ok] + np.log(a) - np.log(bb[ok])
        la_T = np.log(alpha + T)
        la_t = np.log(alpha + t_x)
        rx = r + x
        d = (B2 - B1)[xi] - rx * (la_t - la_T)
        e = np.exp(-np.abs(d))
        sp = np.maximum(d, 0.0) + np.log1p(e)
        wr = w * rx
        total = float(W_x @ (A + B1) - wr @ la_T + w @ sp)
        if not grad:
            return total, None
        w2 = np.where(d > 0, 1.0, e) / (1.0 + e)
        ww2 = w * w2
        W2_x = np.bincount(xi, weights=ww2, minlength=len(ux))
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux + k)
        inv_bb = np.zeros_like(ux)
        inv_bb[ok] = 1.0 / bb[ok]
        inv_T = 1.0 / (alpha + T)
        wsum = W_x.sum()
        g = np.array([
            W_x @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - w @ la_T - ww2 @ (la_t - la_T),
            r / alpha * wsum - wr @ inv_T - (ww2 * rx) @ (1.0 / (alpha + t_x) - inv_T),
            W_x @ (psi_ab - psi_abx) + W2_x.sum() / a,
            W_x @ (digamma(b + ux + k) - psi_abx - digamma(b) + psi_ab) - W2_x @ inv_bb,
        ])
        return total, g

    def _p_alive(self, x, t_x, T):
        r, alpha, a, b = self.params_.to_numpy()
        k = self._shift
        bb = b + x + k - 1
        # log of (second term / first term); P(alive) = 1 / (1 + exp(.)) computed without overflow.
        # log((alpha+T)/(alpha+t_x)) as log1p: with alpha ~ 1e7 (the Poisson limit) the difference of
        # two large logs would keep only a few digits of (T - t_x) / alpha.
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(a) - np.log(np.where(bb > 0, bb, 1.0)) + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
        has2 = (x > 0) | self._always_second
        return np.where(has2, special.expit(-log_ratio), 1.0)

    def _purchases_if_alive(self, t, x, T):
        """E[(1/p)(1 - exp(-lambda p t))] under the posterior of an active customer (Euler-transformed 2F1).

        Where r + x is large (the Poisson limit) or the closed form has no finite value, the same
        expectation is the sum of :meth:`_purchases_if_alive_sum`.
        """
        r, alpha, a, b = self.params_.to_numpy()
        k = self._shift
        t, x, T = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(x, dtype=float),
                                      np.asarray(T, dtype=float))
        bprime = b + x + k
        ap = alpha + T
        z = t / (ap + t)
        # Euler's transformation turns 2F1(r+x, b'; a+b'-1; z) (huge for heavy buyers) times the
        # vanishing power ((alpha+T)/(alpha+T+t))^(r+x) into a well-scaled product.
        F = hyp2f1(a + b + k - 1 - r, a - 1, a + bprime - 1, z)
        out = np.asarray((a + bprime - 1) / (a - 1) * (1 - np.exp((a - 1) * np.log(ap / (ap + t))) * F), dtype=float)
        redo = ~np.isfinite(out) | (r + x >= _LARGE_SHAPE)
        if np.any(redo):
            out = out.copy()
            out[redo] = self._purchases_if_alive_sum(t[redo], x[redo], T[redo])
        return out

    def _purchases_if_alive_sum(self, t, x, T):
        """The same expectation as a sum of positive terms, stable for any r, alpha (no 2F1).

        The (n+1)-th future purchase is made when the customer's count in ``t`` reaches n + 1 and they
        survived the n dropout chances before it: E = sum_n P(N(t) > n) E[(1-p)^n], with N(t) negative
        binomial (lambda ~ Gamma(r+x, alpha+T)) and E[(1-p)^n] = (b')_n / (a+b')_n for p ~ Beta(a, b').
        Summed by the count instead, E = sum_k P(N(t) = k) C(k) with C(k) = sum_{n<k} E[(1-p)^n]: one
        pass of products, the probabilities in logs (no underflow). In the Poisson limit (r, alpha -> inf,
        a -> 0) this tends to lambda t, the expected purchases of a buyer who never stops.
        """
        r, alpha, a, b = self.params_.to_numpy()
        A = r + x
        bprime = b + x + self._shift
        ap = alpha + T
        z = t / (ap + t)
        u = t / ap
        # The count's mean and sd bound the terms that matter (for the large shapes this is used at the
        # count is near normal): P(N = k) is negligible past mean + 20 sd.
        n_terms = int(np.ceil(np.max(A * u + 20 * np.sqrt(A * u * (1 + u)), initial=0.0))) + 50
        log_pk = A * np.log1p(-z)  # log P(N(t) = 0)
        log_step = np.log(z)
        cum = np.zeros_like(z)  # C(k)
        survive = np.ones_like(z)  # E[(1-p)^k]
        total = np.zeros_like(z)
        for k in range(n_terms):
            if k:
                total += np.exp(log_pk + np.log(cum))
            cum += survive
            survive *= (bprime + k) / (a + bprime + k)
            log_pk += np.log(A + k) - np.log(k + 1.0) + log_step
        return total

    def _draw_posterior(self, x, t_x, T, rng):
        """One draw of (alive at T, lambda, dropout probability per purchase) from each customer's posterior.

        An active customer has made x repeats and survived x (+1 for MBG/NBD) dropout chances and T time
        units: lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x + shift). Dropout after a future
        purchase keeps probability p; the future lifetime is not otherwise bounded (returned as inf).
        """
        r, alpha, a, b = self.params_.to_numpy()
        alive = rng.random(len(x)) < self._p_alive(x, t_x, T)
        lam = rng.gamma(r + x, 1.0 / (alpha + T))
        p = rng.beta(a, b + x + self._shift)
        return alive, lam, p, np.full(len(x), np.inf)

    def _conditional_purchases(self, t, x, t_x, T):
        return self._p_alive(x, t_x, T) * self._purchases_if_alive(t, x, T)

    def _unconditional_purchases(self, t):
        r, alpha, a, b = self.params_.to_numpy()
        p_alive0 = b / (a + b) if self._always_second else 1.0
        return p_alive0 * self._purchases_if_alive(t, np.zeros_like(t), np.zeros_like(t))

    def simulate(self, n: int, T: float | np.ndarray, seed: int | None = None) -> pd.DataFrame:
        """Draw synthetic customers from the fitted parameters.

        Parameters
        ----------
        n : int
            Number of customers.
        T : float or ndarray, shape (n,)
            Age of each customer at the end of observation (time units).
        seed : int, optional
            Seed of the random generator.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``T``, plus the latent ``lambda_``,
            ``p_`` and ``alive`` (active at T).
        """
        T_ = self._check_simulation_args(n, T)
        r, alpha, a, b = self.params_.to_numpy()
        rng = np.random.default_rng(seed)
        lam = rng.gamma(r, 1.0 / alpha, n)
        p = rng.beta(a, b, n)
        x = np.zeros(n)
        t_x = np.zeros(n)
        alive = np.ones(n, dtype=bool)
        if self._always_second:
            alive &= rng.random(n) >= p
        clock = np.zeros(n)
        active = alive.copy()
        # Purchase by purchase over the customers still both alive and inside their window.
        while np.any(active):
            idx = np.flatnonzero(active)
            clock[idx] += rng.exponential(1.0, len(idx)) / lam[idx]
            inside = clock[idx] <= T_[idx]
            buy = idx[inside]
            x[buy] += 1
            t_x[buy] = clock[buy]
            dies = buy[rng.random(len(buy)) < p[buy]]
            alive[dies] = False
            active[:] = False
            active[buy] = True
            active[dies] = False
        return pd.DataFrame({"frequency": x, "recency": t_x, "T": T_, "lambda_": lam, "p_": p, "alive": alive})
