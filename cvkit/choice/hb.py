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

from cvkit.choice.base import ChoiceEstimator
from cvkit.choice.data import ChoiceData
from cvkit.choice.diagnostics import ess_bulk, ess_tail, rhat
from cvkit.choice.spec import ChoiceSpec, as_spec
from cvkit.choice.hb_sampler import PanelDesign, Sampler, SamplerSettings, respondent_loglik
from cvkit.choice.utilities import Utilities
from cvkit.estimator import check_is_fitted

__all__ = ["HierarchicalBayesMNL"]


class HierarchicalBayesMNL(ChoiceEstimator):
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
    params_, se_ : Series (K,)
        Posterior mean and sd of the population mean ``b`` (per unit of the coded columns).
    cov_ : DataFrame (K, K)
        Posterior covariance of ``b``.
    log_likelihood_ : float
        Log-likelihood at the respondents' posterior-mean part-worths.
    converged_ : bool
        :meth:`is_converged` at its defaults (R-hat < 1.1, bulk ESS > 100).
    n_obs_ : int
        Choice situations used.
    log_likelihood_trace_ : ndarray, shape (chains, iterations)
        Total log-likelihood at every iteration (for trace plots).
    step_size_, acceptance_ : ndarray, shape (chains,)
        Final jump size and post-burn-in acceptance rate per chain.
    shift_acceptance_ : ndarray, shape (chains,)
        Acceptance rate of the joint shift move of ``b`` and all ``beta_i``.
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
        self.iterations = iterations
        self.burn_in = burn_in
        self.thin = thin
        self.chains = chains
        self.seed = seed
        self.prior_df = prior_df
        self.prior_variance = prior_variance
        self.target_acceptance = target_acceptance
        self.respondent_draws = respondent_draws

    def _settings(self) -> SamplerSettings:
        """The sampler settings, validated (``burn_in`` None is half the iterations)."""
        iterations = int(self.iterations)
        burn_in = iterations // 2 if self.burn_in is None else int(self.burn_in)
        if self.prior_df <= 1:
            raise ValueError(f"prior_df={self.prior_df} must exceed 1 so the prior covariance has a mean. Fix: use "
                             "the default 5.")
        if not 0 <= burn_in < iterations:
            raise ValueError(f"burn_in={burn_in} must be between 0 and iterations-1={iterations - 1}. "
                             "Fix: lower burn_in or raise iterations.")
        return SamplerSettings(iterations=iterations, burn_in=burn_in, thin=max(1, int(self.thin)),
                               chains=int(self.chains), respondent_draws=int(self.respondent_draws),
                               prior_df=self.prior_df, prior_variance=self.prior_variance,
                               target_acceptance=self.target_acceptance)

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
        settings = self._settings()
        train, _ = self._start_fit(data, holdout)
        design = PanelDesign(train, settings.chains)
        sampler = Sampler(design, train, settings, np.random.default_rng(self.seed))
        t0 = time.perf_counter()
        sampler.run()
        self.seconds_ = time.perf_counter() - t0
        self.burn_in_ = settings.burn_in
        self._store_draws(sampler, design, train)
        self._store_fit(sampler, design, train)
        self.hit_rate_ = self._holdout_hit_rate()
        return self

    def _store_draws(self, sampler: Sampler, design: PanelDesign, train: ChoiceData) -> None:
        """Draws back in the units of the coded columns: ``beta = A gamma``, ``W = A W A'``."""
        A, j = design.A, sampler.j
        N, K = sampler.N, sampler.K
        self.A_ = A
        self.b_draws_ = sampler.b_draws[:, :j] @ A.T
        self.W_draws_ = A[None, None] @ sampler.W_draws[:, :j] @ A.T[None, None]
        beta_mean = (sampler.beta_sum / max(sampler.n_sum, 1)).mean(axis=0) @ A.T
        ids = pd.Index(train.respondent_ids, name="respondent_id")
        self.beta_ = pd.DataFrame(beta_mean, index=ids, columns=self.spec.params)
        bd = np.stack(sampler.beta_draws, axis=1) if sampler.beta_draws else np.empty((sampler.C, 0, N, K))
        self.beta_draws_ = bd.reshape(-1, N, K) @ A.T
        self.log_likelihood_trace_ = sampler.ll_trace
        self.step_size_ = sampler.rho
        post = max(1, sampler.s.iterations - sampler.s.burn_in)
        self.acceptance_ = sampler.accepted / post
        self.shift_acceptance_ = sampler.shift_accepted / post

    def _store_fit(self, sampler: Sampler, design: PanelDesign, train: ChoiceData) -> None:
        """Population estimates, convergence and the respondents' fit at the posterior mean."""
        names = self.spec.params
        flat = self.b_draws_.reshape(-1, self.b_draws_.shape[-1])
        self.params_ = pd.Series(flat.mean(axis=0), index=names, name="estimate")
        self.se_ = pd.Series(flat.std(axis=0, ddof=1), index=names, name="se")
        self.cov_ = pd.DataFrame(np.atleast_2d(np.cov(flat, rowvar=False)), index=names, columns=names)
        N = sampler.N
        ll_i = respondent_loglik(design.Xp, design.offset, design.ch, self.beta_.to_numpy())
        n_tasks = np.bincount(train.resp, minlength=N)
        ll0 = -np.bincount(train.resp, weights=np.log(train.avail.sum(axis=1)), minlength=N)
        ids = self.beta_.index
        self.rlh_ = pd.Series(np.exp(ll_i / n_tasks), index=ids, name="rlh")
        self.percent_certainty_ = pd.Series(1 - ll_i / ll0, index=ids, name="percent_certainty")
        self.log_likelihood_ = float(ll_i.sum())
        self.n_obs_ = train.n_situations
        self.converged_ = self.is_converged()

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Population means: posterior mean and sd, the ``level`` interval, convergence, heterogeneity.

        Parameters
        ----------
        level : float
            Coverage of the central posterior interval (0.95 = 95%).

        Returns
        -------
        DataFrame
            Index: parameters. Columns ``estimate`` (posterior mean), ``se`` (posterior sd),
            ``lower``, ``upper`` (posterior quantiles), ``rhat``, ``ess_bulk``, ``ess_tail`` and
            ``heterogeneity_sd`` (square root of the mean of ``diag(W)``); ``attrs["level"]``.
        """
        check_is_fitted(self, "params_")
        d = self.b_draws_
        flat = d.reshape(-1, d.shape[-1])
        # rounded so level=0.95 asks for exactly the 2.5% and 97.5% quantiles (0.5 - 0.475 is 0.025 + 2e-17)
        lower_q, upper_q = round(0.5 - level / 2, 12), round(0.5 + level / 2, 12)
        rows = []
        for k, name in enumerate(self.spec.params):
            x = d[..., k]
            ok = x.shape[1] >= 4
            rows.append({"parameter": name, "estimate": flat[:, k].mean(), "se": flat[:, k].std(ddof=1),
                         "lower": np.quantile(flat[:, k], lower_q), "upper": np.quantile(flat[:, k], upper_q),
                         "rhat": rhat(x) if ok else np.nan, "ess_bulk": ess_bulk(x) if ok else np.nan,
                         "ess_tail": ess_tail(x) if ok else np.nan,
                         "heterogeneity_sd": np.sqrt(self.W_draws_[..., k, k].mean())})
        out = pd.DataFrame(rows).set_index("parameter")
        out.attrs["level"] = level
        return out

    def is_converged(self, rhat_max: float = 1.1, ess_min: float = 100.0) -> bool:
        """True when every population mean has R-hat below ``rhat_max`` and bulk ESS above ``ess_min``."""
        s = self.summary()
        return bool((s["rhat"] < rhat_max).all() and (s["ess_bulk"] > ess_min).all())

    def predict_proba(self, data: pd.DataFrame | ChoiceData) -> np.ndarray:
        """Choice probabilities (S, J) of the respondents' tasks with their posterior-mean part-worths.

        Respondents not in the estimation data get the population mean.
        """
        cd = self._prepared(data)
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
        check_is_fitted(self, "params_")
        T = self.spec.level_map()
        values = self.beta_.to_numpy() @ T.T
        pop = self.b_draws_.reshape(-1, T.shape[1]) @ T.T
        return Utilities(self.spec, pd.DataFrame(values, index=self.beta_.index, columns=self.spec.level_columns),
                         draws=pop, respondent_draws=self.beta_draws_ @ T.T, source="hb")
