"""Mixed (random-parameters) logit by maximum simulated likelihood.

Each respondent ``n`` has her own coefficients ``beta_n`` drawn from a
population distribution; her choices across all her tasks are a product of
logit probabilities given ``beta_n`` (panel structure), and the likelihood
integrates that product over the distribution. The integral is simulated with
``R`` draws per respondent (Halton by default), and the simulated
log-likelihood is maximised with BFGS on its analytic gradient.

Coefficient distributions (``beta = f(mean, spread, e)`` with ``e`` a
standard-normal draw and ``u = Phi(e)``), named as in R mlogit and xlogit:

``"n"`` normal
    ``mean + sd * e``
``"ln"`` lognormal
    ``exp(mean + sd * e)`` (positive; reverse the attribute's sign for a
    negative coefficient). ``mean``/``sd`` are those of ``log(beta)``.
``"u"`` uniform
    ``mean + sd * (2u - 1)`` on ``[mean - sd, mean + sd]``.
``"t"`` triangular
    ``mean + sd * t(u)`` on ``[mean - sd, mean + sd]``, mode at the mean.
``"f"`` fixed
    ``mean`` for everyone.

Correlated normal (and lognormal) coefficients use a Cholesky factor ``L``
(``beta_c = mean_c + L e_c``); ``L`` is estimated row by row as
``chol.<a>:<b>``. In willingness-to-pay space (Train & Weeks 2005) the price
coefficient is ``-alpha`` and every other coefficient ``alpha * w``: the
estimated distributions are those of the price scale ``alpha`` and of the
WTPs ``w`` (in price units) directly.

References
----------
Train, K. E. (2009). *Discrete Choice Methods with Simulation*, 2nd ed., ch. 6, 9 and 11.
Revelt, D. and Train, K. (1998). Mixed logit with repeated choices. *Review of Economics and Statistics* 80.
Croissant, Y. (2020). Estimation of random utility models in R: the mlogit package. *J. Stat. Software* 95(11).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from cvkit._threads import one_blas_thread
from cvkit.choice.data import ChoiceData, prepare
from cvkit.choice.draws import DRAW_KINDS, make_draws
from cvkit.choice.base import ChoiceEstimator
from cvkit.choice.mnl import fit_mnl_arrays
from cvkit.estimator import check_is_fitted
from cvkit.choice.spec import ChoiceSpec, as_spec

__all__ = ["MixedLogit", "DISTRIBUTIONS"]

#: Distribution codes and their long names.
DISTRIBUTIONS = {"n": "normal", "ln": "lognormal", "u": "uniform", "t": "triangular", "f": "fixed"}
_ALIASES = {**{v: k for k, v in DISTRIBUTIONS.items()}, **{k: k for k in DISTRIBUTIONS}, "tri": "t", "uni": "u"}
_CHUNK = 300_000  # elements of one (respondents x task-alternatives x draws) block: bounds memory


@dataclass
class _Layout:
    """Where each parameter sits in the vector theta and how draws map to coefficients."""

    K: int
    dist: list[str]                # per coefficient
    uncorr: np.ndarray             # coefficient index of each uncorrelated random dim
    corr: np.ndarray               # coefficient indices of the correlated block
    lognormal: np.ndarray          # bool (K,)
    names: list[str]

    def signed(self) -> np.ndarray:
        """Positions in theta that enter through their absolute value (spreads, Cholesky diagonal)."""
        c = len(self.corr)
        diag = [a == b for a in range(c) for b in range(a + 1)]
        return np.r_[np.zeros(self.K, bool), np.ones(len(self.uncorr), bool), np.array(diag, bool)]

    def canonical(self, theta: np.ndarray) -> np.ndarray:
        """The same model with non-negative spreads and Cholesky diagonal (the sign reported)."""
        th = np.asarray(theta, float).copy()
        s = self.signed()
        th[s] = np.abs(th[s])
        return th

    @property
    def n_dims(self) -> int:
        return len(self.uncorr) + len(self.corr)

    @property
    def n_params(self) -> int:
        c = len(self.corr)
        return self.K + len(self.uncorr) + c * (c + 1) // 2


def _layout(params: list[str], spec: ChoiceSpec, random, correlated) -> _Layout:
    K = len(params)
    dist = ["f"] * K
    if isinstance(random, str):
        d = _code(random, "random")
        dist = [d] * K
    else:
        for key, value in dict(random or {}).items():
            d = _code(value, f"random[{key!r}]")
            idx = _param_indices(key, params, spec)
            for i in idx:
                dist[i] = d
    if correlated is True:
        corr = [i for i in range(K) if dist[i] in ("n", "ln")]
    elif not correlated:
        corr = []
    else:
        corr = sorted({i for key in correlated for i in _param_indices(key, params, spec)})
        bad = [params[i] for i in corr if dist[i] not in ("n", "ln")]
        if bad:
            raise ValueError(f"correlated coefficients {bad} are not normal or lognormal. Fix: give them "
                             "random='n' (or 'ln'), or leave them out of `correlated`.")
    if len(corr) == 1:
        corr = []
    uncorr = [i for i in range(K) if dist[i] != "f" and i not in corr]
    names = list(params) + [f"sd.{params[i]}" for i in uncorr]
    names += [f"chol.{params[corr[b]]}:{params[corr[a]]}" for a in range(len(corr)) for b in range(a + 1)]
    return _Layout(K, dist, np.asarray(uncorr, int), np.asarray(corr, int),
                   np.array([d == "ln" for d in dist]), names)


def _code(value, where: str) -> str:
    d = _ALIASES.get(str(value).lower())
    if d is None:
        raise ValueError(f"{where} = {value!r} is not a distribution. Fix: use one of {sorted(_ALIASES)}.")
    return d


def _param_indices(key: str, params: list[str], spec: ChoiceSpec) -> list[int]:
    if key in params:
        return [params.index(key)]
    if key in spec.attributes:
        s = spec._slices[key]
        return list(range(s.start, s.stop))
    raise ValueError(f"{key!r} is neither a parameter {params} nor an attribute {list(spec.attributes)}. "
                     "Fix: name attributes or parameters of the model.")


def _shape_draws(E: np.ndarray, lay: _Layout) -> np.ndarray:
    """Transform standard-normal draws (N, R, D) into each dimension's unit deviate (normal, u, t)."""
    out = E.copy()
    for d, k in enumerate(lay.uncorr):
        if lay.dist[k] == "u":
            out[..., d] = 2 * special.ndtr(E[..., d]) - 1
        elif lay.dist[k] == "t":
            u = special.ndtr(E[..., d])
            out[..., d] = np.where(u < 0.5, np.sqrt(2 * u) - 1, 1 - np.sqrt(2 * (1 - u)))
    return out


class _Simulator:
    """Simulated log-likelihood, per-respondent scores and conditional means for one data set."""

    def __init__(self, cd: ChoiceData, E: np.ndarray, lay: _Layout, wtp_index: int | None):
        Xp, offset, ch = cd.panel()
        N, T, J, K = Xp.shape
        self.N, self.T, self.J, self.K = N, T, J, K
        n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
        # Utilities relative to the chosen alternative: P(chosen) = 1 / sum_j exp(V_j - V_chosen), and
        # d log P / d beta = -sum_j P_j (x_j - x_chosen). No max-subtraction or gather per evaluation.
        D = Xp - Xp[n_idx, t_idx, ch][:, :, None, :]
        real_task = np.isfinite(offset).sum(axis=2) > 1        # padded tasks have one available alternative
        self.mask = None
        unavailable = ~np.isfinite(offset) & real_task[..., None]
        if unavailable.any():
            self.mask = (~unavailable).astype(float).reshape(N, T * J, 1)
        # a padded task (all D = 0) adds log(J) to -log P in every draw: subtract that constant
        self.pad_const = (~real_task).sum(axis=1) * np.log(J)  # (N,)
        self.D = np.ascontiguousarray(D.reshape(N, T * J, K))
        self.lay = lay
        self.signs = lay.signed()
        self.wtp = wtp_index
        self.Eu, self.Ec = self._split_draws(_shape_draws(E, lay))
        R = E.shape[1]
        self.step = max(1, int(_CHUNK // max(1, T * J * R)))

    def _split_draws(self, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Draws (n, R, D) -> uncorrelated draws scattered to their coefficient rows (n, K, R) and the
        correlated block (n, Dc, R): coefficients come out as (n, K, R), the layout the products want."""
        lay = self.lay
        nu = len(lay.uncorr)
        Eu = np.zeros((E.shape[0], lay.K, E.shape[1]))
        Eu[:, lay.uncorr, :] = E[..., :nu].transpose(0, 2, 1)
        return Eu, np.ascontiguousarray(E[..., nu:].transpose(0, 2, 1))

    # ---------------------------------------------------------------- coefficients
    def coefficients(self, theta: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients for shaped draws E (n, R, D): model-space c and preference-space beta, (n, R, K)."""
        c, beta = self._coefficients(theta, *self._split_draws(E))
        return c.transpose(0, 2, 1), beta.transpose(0, 2, 1)

    def _coefficients(self, theta: np.ndarray, Eu: np.ndarray, Ec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model-space coefficients c (n, K, R) (after exp) and preference-space beta (n, K, R)."""
        lay = self.lay
        K, nu = lay.K, len(lay.uncorr)
        # Spreads and the Cholesky diagonal enter as |.|: the population distribution is the same for +s
        # and -s, but with quasi-random draws the two simulated likelihoods differ, so a free sign creates
        # spurious optima (Electricity: a flipped sd.seas gains 32 log-likelihood points of pure simulation
        # artefact). mlogit and xlogit report the positive sign.
        theta = np.where(self.signs, np.abs(theta), theta)
        spread = np.zeros(K)
        spread[lay.uncorr] = theta[K:K + nu]
        c = theta[:K, None] + spread[:, None] * Eu
        if len(lay.corr):
            c[:, lay.corr, :] += np.matmul(_chol(theta[K + nu:], len(lay.corr)), Ec)
        if lay.lognormal.any():
            c[:, lay.lognormal, :] = np.exp(c[:, lay.lognormal, :])
        return c, self._to_beta(c)

    def _to_beta(self, c: np.ndarray) -> np.ndarray:
        if self.wtp is None:
            return c
        a = c[:, self.wtp, :]
        beta = c * a[:, None, :]
        beta[:, self.wtp, :] = -a
        return beta

    def _to_c_gradient(self, g: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Chain rule from d/d beta to d/d c in WTP space (arrays (n, K, R))."""
        if self.wtp is None:
            return g
        p = self.wtp
        gc = g * c[:, p, :][:, None, :]
        mask = np.ones(self.K, bool)
        mask[p] = False
        gc[:, p, :] = (g[:, mask, :] * c[:, mask, :]).sum(axis=1) - g[:, p, :]
        return gc

    # ---------------------------------------------------------------- likelihood
    def _block(self, theta: np.ndarray, sl: slice, grad: bool):
        D = self.D[sl]
        n = D.shape[0]
        c, beta = self._coefficients(theta, self.Eu[sl], self.Ec[sl])
        P = np.matmul(D, beta)                                        # (n, T*J, R) V_j - V_chosen
        with np.errstate(over="ignore"):
            np.exp(P, out=P)
        if self.mask is not None:
            P *= self.mask[sl]
        P4 = P.reshape(n, self.T, self.J, -1)
        with np.errstate(over="ignore"):
            den = P4.sum(axis=2)                                      # (n, T, R) = 1 / P(chosen)
        if np.isfinite(den).all():
            log_den = np.log(den)
        else:  # huge utility gaps (e.g. a line-search trial): the stable log-sum-exp, rarely needed
            P, P4, log_den, den = self._stable(D, beta, sl)
        ll_r = -log_den.sum(axis=1) + self.pad_const[sl, None]        # (n, R) log prod_t P(chosen)
        top = ll_r.max(axis=1, keepdims=True)
        w = np.exp(ll_r - top)
        sw = w.sum(axis=1, keepdims=True)
        ll_n = top[:, 0] + np.log(sw[:, 0] / ll_r.shape[1])
        w /= sw                                                       # conditional weights of the draws
        if not grad:
            return ll_n, w, c, beta, None
        P4 /= den[:, :, None, :]                                      # probabilities of each alternative
        # (n, K, R) d log prod_t P / d beta; as (P'D)' because this product order is ~10x faster in NumPy
        g = -np.matmul(P.transpose(0, 2, 1), D).transpose(0, 2, 1)
        g = self._to_c_gradient(g, c)
        if self.lay.lognormal.any():
            g[:, self.lay.lognormal, :] *= c[:, self.lay.lognormal, :]
        return ll_n, w, c, beta, self._scores(g, w, sl)

    def _stable(self, D, beta, sl):
        n = D.shape[0]
        V = np.matmul(D, beta)
        if self.mask is not None:
            V = np.where(self.mask[sl] > 0, V, -np.inf)
        V4 = V.reshape(n, self.T, self.J, -1)
        m = V4.max(axis=2, keepdims=True)                             # >= 0: the chosen alternative is 0
        P4 = np.exp(V4 - m)
        s = P4.sum(axis=2)
        log_den = m[:, :, 0] + np.log(s)
        return P4.reshape(V.shape), P4, log_den, s

    def _scores(self, g: np.ndarray, w: np.ndarray, sl: slice) -> np.ndarray:
        """Per-respondent derivatives of log L_n: draw-weighted d/d mean, spread, Cholesky element."""
        lay = self.lay
        gw = g * w[:, None, :]
        parts = [gw.sum(axis=2)]
        if len(lay.uncorr):
            parts.append((gw[:, lay.uncorr, :] * self.Eu[sl][:, lay.uncorr, :]).sum(axis=2))
        if len(lay.corr):
            M = np.matmul(gw[:, lay.corr, :], self.Ec[sl].transpose(0, 2, 1))    # (n, Dc, Dc)
            a, b = np.tril_indices(len(lay.corr))
            parts.append(M[:, a, b])
        return np.concatenate(parts, axis=1)

    def evaluate(self, theta: np.ndarray, grad: bool = True, extras: bool = False):
        """Simulated log-likelihood, gradient, per-respondent scores (N, P), conditional means (N, K)."""
        # blocks of respondents bound the memory (and stay in cache); threads over blocks were tried and
        # lost on a loaded 2-core machine
        blocks = [slice(s, min(self.N, s + self.step)) for s in range(0, self.N, self.step)]
        ll, scores, cond = 0.0, [], []
        for ll_n, w, c, beta, sc in (self._block(theta, sl, grad) for sl in blocks):
            ll += float(ll_n.sum())
            if grad:
                sc[:, self.signs] *= np.where(theta[self.signs] < 0, -1.0, 1.0)
                scores.append(sc)
            if extras:
                cond.append(np.einsum("nr,nkr->nk", w, beta))
        S = np.concatenate(scores) if grad else None
        return ll, (S.sum(axis=0) if grad else None), S, (np.concatenate(cond) if extras else None)


def _chol(v: np.ndarray, k: int) -> np.ndarray:
    L = np.zeros((k, k))
    L[np.tril_indices(k)] = v
    return L


class MixedLogit(ChoiceEstimator):
    """Mixed logit (random-parameters logit) by maximum simulated likelihood, panel by respondent.

    Parameters
    ----------
    spec : ChoiceSpec or dict
        Attribute definitions (coding as in :class:`cvkit.choice.MNL`).
    random : str or dict, default "n"
        Distribution of the coefficients: one code for all (``"n"``, ``"ln"``,
        ``"u"``, ``"t"``, ``"f"``) or a dict parameter-or-attribute -> code;
        parameters not named are fixed.
    correlated : bool or list of str
        Correlated normal/lognormal coefficients (Cholesky): ``True`` for all
        of them, or the parameters/attributes to correlate.
    n_draws : int
        Draws per respondent (R).
    draws : {"halton", "scrambled", "mlhs", "pseudo"}
        See :func:`cvkit.choice.draws.make_draws`.
    seed : int
        Seed of randomised draws.
    wtp_space : bool
        Estimate in willingness-to-pay space (needs ``spec.price``).
    max_iter : int
        BFGS iterations.
    tol : float
        Gradient tolerance (max absolute gradient element).
    level : float
        Default coverage of the intervals in :meth:`summary`.
    **spec_options
        ``price``, ``linear``, ``none``, ``coding``, ``interactions`` when ``spec`` is a dict.

    Attributes
    ----------
    params_ : Series (P,)
        Means, then ``sd.<param>`` spreads, then ``chol.<a>:<b>`` Cholesky elements.
    cov_, robust_cov_ : DataFrame (P, P)
        Inverse of the (numerically differentiated analytic) Hessian, and the
        respondent-clustered sandwich.
    se_, robust_se_ : Series (P,)
    log_likelihood_, log_likelihood_null_ : float
        Simulated log-likelihood at the estimates; equal-shares log-likelihood.
    individual_ : DataFrame (N, K)
        Conditional means ``E[beta_n | choices_n]`` (preference space, coded parameters).
    n_obs_, n_respondents_, n_iter_ : int
        Choice situations, respondents, BFGS iterations.
    converged_ : bool
    hit_rate_ : float or None
        Holdout hit rate with the conditional means.
    """

    def __init__(self, spec: ChoiceSpec | dict, *, random: str | Mapping[str, str] = "n",
                 correlated: bool | list[str] = False, n_draws: int = 200, draws: str = "halton", seed: int = 0,
                 wtp_space: bool = False, max_iter: int = 500, tol: float = 1e-5, level: float = 0.95,
                 **spec_options):
        self.spec = as_spec(spec, **spec_options)
        if draws not in DRAW_KINDS:
            raise ValueError(f"draws {draws!r} is unknown. Fix: use one of {DRAW_KINDS}.")
        if wtp_space and self.spec.price not in self.spec.linear:
            raise ValueError("wtp_space needs a linear price attribute. Fix: set price= to a numeric attribute "
                             "entered linearly, or use wtp_space=False.")
        self.random, self.correlated = random, correlated
        self.n_draws, self.draws, self.seed = int(n_draws), draws, seed
        self.wtp_space, self.max_iter, self.tol, self.level = wtp_space, max_iter, tol, level

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame | ChoiceData, *, holdout=None, start: np.ndarray | None = None,
            draws: np.ndarray | None = None) -> "MixedLogit":
        """Estimate the model.

        Parameters
        ----------
        data : DataFrame or ChoiceData
            Long-format choice data (see :func:`cvkit.choice.prepare`).
        holdout : task labels or bool array over situations, optional
            Tasks kept out of estimation; ``hit_rate_`` is computed on them.
        start : ndarray, shape (P,), optional
            Starting values in the order of ``params_`` (default: MNL means, spreads 0.1).
        draws : ndarray, shape (N, R, D), optional
            Standard-normal draws to use instead of generating them (respondents
            in the order of the data's ``respondent_ids``).

        Returns
        -------
        self
        """
        train, test = self._start_fit(data, holdout)
        params = self.spec.params
        lay = _layout(params, self.spec, self.random, self.correlated)
        self.layout_ = lay
        wtp = params.index(self.spec.price) if self.wtp_space else None
        E = (make_draws(train.n_respondents, self.n_draws, lay.n_dims, self.draws, self.seed) if draws is None
             else np.asarray(draws, float))
        if E.shape != (train.n_respondents, E.shape[1], lay.n_dims):
            raise ValueError(f"draws have shape {E.shape}; expected ({train.n_respondents}, R, {lay.n_dims}). "
                             "Fix: one row per respondent, one column per random coefficient.")
        sim = _Simulator(train, E, lay, wtp)
        theta0 = self._start(train, lay, wtp) if start is None else np.asarray(start, float)

        def objective(th):
            ll, g, _, _ = sim.evaluate(th)
            return -ll, -g

        with one_blas_thread():
            res = optimize.minimize(objective, theta0, jac=True, method="BFGS",
                                    options={"maxiter": self.max_iter, "gtol": self.tol})
            theta = lay.canonical(res.x)
            ll, g, S, cond = sim.evaluate(theta, extras=True)
            H = _numeric_hessian(lambda th: sim.evaluate(th)[1], theta)
        self._store(train, test, lay, sim, theta, ll, g, S, cond, H, res)
        return self

    def _start(self, cd: ChoiceData, lay: _Layout, wtp: int | None) -> np.ndarray:
        b = fit_mnl_arrays(cd.X, cd.avail, cd.chosen, max_iter=50, checks=False).beta
        mean = b.copy()
        if wtp is not None:
            a = max(-b[wtp], 1e-3)
            mean = b / a
            mean[wtp] = a
        ln = lay.lognormal
        mean[ln] = np.log(np.maximum(np.abs(mean[ln]), 1e-3))
        spread = np.full(len(lay.uncorr), 0.1)
        c = len(lay.corr)
        chol = np.eye(c)[np.tril_indices(c)] * 0.1
        return np.concatenate([mean, spread, chol])

    def _store(self, train, test, lay, sim, theta, ll, g, S, cond, H, res) -> None:
        names = lay.names
        P = len(names)
        try:
            cov = np.linalg.inv(-H)
        except np.linalg.LinAlgError:
            cov = np.full((P, P), np.nan)
        G = train.n_respondents
        robust = cov @ (S.T @ S) @ cov * (G / (G - 1) if G > 1 else 1.0)
        self.params_ = pd.Series(theta, index=names, name="estimate")
        self.cov_ = pd.DataFrame(cov, index=names, columns=names)
        self.robust_cov_ = pd.DataFrame(robust, index=names, columns=names)
        self.se_ = pd.Series(np.sqrt(np.abs(np.diag(cov))), index=names, name="se")
        self.robust_se_ = pd.Series(np.sqrt(np.abs(np.diag(robust))), index=names, name="robust_se")
        self.gradient_ = pd.Series(g, index=names, name="gradient")
        self.log_likelihood_ = ll
        self.log_likelihood_null_ = float(-np.log(train.avail.sum(axis=1)).sum())
        self.rho2_ = 1 - ll / self.log_likelihood_null_
        self.aic_ = -2 * ll + 2 * P
        self.bic_ = -2 * ll + P * np.log(train.n_situations)
        self.n_obs_ = train.n_situations
        self.n_respondents_ = train.n_respondents
        self.n_iter_ = int(res.nit)
        # BFGS may stop on 'precision loss' at the optimum of a simulated likelihood: judge by the gradient
        # Newton decrement g'(-H)^-1 g: what a further Newton step could still add to the log-likelihood
        # (scale-free, unlike the gradient; BFGS may stop on 'precision loss' at the optimum)
        self.decrement_ = float(g @ cov @ g) if np.isfinite(cov).all() else np.inf
        self.converged_ = bool(self.decrement_ < 1e-3)
        self.individual_ = pd.DataFrame(cond, index=pd.Index(train.respondent_ids, name="respondent_id"),
                                        columns=self.spec.params)
        self._sim = sim
        self.hit_rate_ = self._holdout_hit_rate()

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        check_is_fitted(self, "params_")

    def summary(self, level: float | None = None, robust: bool = False) -> pd.DataFrame:
        """Estimates table: estimate, se, z, p-value, the ``level`` interval (lower, upper) and robust_se.

        Spreads are reported with their sign as estimated (the likelihood is
        symmetric in the sign of ``sd``); read ``abs``.
        """
        self._check_fitted()
        level = self.level if level is None else level
        se = self.robust_se_ if robust else self.se_
        est = self.params_
        z = est / se
        q = stats.norm.ppf(0.5 + level / 2)
        out = pd.DataFrame({"estimate": est, "se": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
                            "lower": est - q * se, "upper": est + q * se, "robust_se": self.robust_se_})
        out["distribution"] = [DISTRIBUTIONS[self.layout_.dist[i]] if i < self.layout_.K else "" for i in
                               range(len(est))]
        out.attrs["level"] = level
        return out

    def fit_statistics(self) -> pd.Series:
        """LL, LL(0), rho-squared, AIC, BIC, sizes, draws and the holdout hit rate."""
        self._check_fitted()
        return pd.Series({"log_likelihood": self.log_likelihood_, "log_likelihood_null": self.log_likelihood_null_,
                          "rho2": self.rho2_, "aic": self.aic_, "bic": self.bic_, "n_parameters": len(self.params_),
                          "n_situations": self.n_obs_, "n_respondents": self.n_respondents_,
                          "n_draws": self.n_draws, "draws": self.draws, "holdout_hit_rate": self.hit_rate_})

    def population_draws(self, theta: np.ndarray | None = None, n: int = 20000, seed: int = 1) -> np.ndarray:
        """Coefficients (n, K) of simulated population members (preference space)."""
        self._check_fitted()
        th = self.params_.to_numpy() if theta is None else theta
        E = make_draws(1, n, self.layout_.n_dims, "scrambled", seed)
        E = _shape_draws(E, self.layout_)
        return self._sim.coefficients(th, E)[1][0]

    def population_mean(self) -> pd.Series:
        """Mean coefficient of the population (preference space), e.g. ``exp(m + s^2/2)`` for a lognormal."""
        return pd.Series(self.population_draws().mean(axis=0), index=self.spec.params, name="mean")

    def predict_proba(self, data: pd.DataFrame | ChoiceData) -> np.ndarray:
        """Choice probabilities (S, J) with each respondent's conditional-mean coefficients.

        Respondents not in the estimation data get the population mean.
        """
        cd = self._prepared(data)
        idx = pd.Series(np.arange(len(self.individual_)), index=self.individual_.index).reindex(
            cd.respondent_ids).to_numpy()
        pop = self.population_mean().to_numpy()
        betas = np.where(np.isnan(idx)[:, None], pop, self.individual_.to_numpy()[np.nan_to_num(idx).astype(int)])
        V = np.einsum("sjk,sk->sj", cd.X, betas[cd.resp]) + np.where(cd.avail, 0.0, -np.inf)
        V -= V.max(axis=1, keepdims=True)
        E = np.exp(V)
        return E / E.sum(axis=1, keepdims=True)

    def utilities(self):
        """Conditional-mean part-worths per respondent as :class:`cvkit.choice.Utilities`.

        The population mean (by simulation) and its delta-method covariance
        give intervals for population WTP and part-worths.
        """
        from cvkit.choice.utilities import Utilities

        self._check_fitted()
        T = self.spec.level_map()
        values = self.individual_.to_numpy() @ T.T
        theta = self.params_.to_numpy()
        draws_E = _shape_draws(make_draws(1, 5000, self.layout_.n_dims, "scrambled", 1), self.layout_)

        def pop_mean(th):
            return self._sim.coefficients(th, draws_E)[1][0].mean(axis=0)

        m = pop_mean(theta)
        Jac = np.column_stack([(pop_mean(theta + h) - pop_mean(theta - h)) / (2 * h[i]) for i, h in
                               enumerate(np.diag(np.maximum(1e-5, 1e-5 * np.abs(theta))))])
        cov = Jac @ self.cov_.to_numpy() @ Jac.T
        return Utilities(self.spec, pd.DataFrame(values, index=self.individual_.index,
                                                 columns=self.spec.level_columns),
                         mean=T @ m, cov=T @ cov @ T.T, source="mixed")


def _numeric_hessian(grad, theta: np.ndarray) -> np.ndarray:
    """Hessian by forward differences of the analytic gradient (P gradient evaluations), symmetrised.

    Steps go up (away from the bound 0 of the spreads); the error is O(step) = 1e-6 relative.
    """
    P = len(theta)
    H = np.empty((P, P))
    g0 = grad(theta)
    for i in range(P):
        h = 1e-6 * max(1.0, abs(theta[i]))
        e = np.zeros(P)
        e[i] = h
        H[:, i] = (grad(theta + e) - g0) / h
    return (H + H.T) / 2
