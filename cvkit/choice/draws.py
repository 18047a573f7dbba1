"""Simulation draws for mixed logit: Halton, scrambled Halton, MLHS and pseudo-random.

Maximum simulated likelihood replaces each respondent's integral over the
taste distribution by an average over ``R`` draws. Quasi-random draws cover the
unit hypercube more evenly than pseudo-random ones, so far fewer are needed for
the same simulation error (Train 2009, ch. 9; Bhat 2001).

The plain Halton draws follow the convention of R mlogit and xlogit: one prime
per random coefficient (2, 3, 5, ...), the first 100 elements of each sequence
dropped, and respondent ``i`` (in the order of the data) takes elements
``i*R .. i*R+R-1``. With the same data order, cvkit, mlogit and xlogit
therefore simulate the *same* likelihood, which is what makes estimates
comparable to the published digits.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["DRAW_KINDS", "PRIMES", "halton_sequence", "make_draws"]

#: Draw types accepted by :func:`make_draws`.
DRAW_KINDS = ("halton", "scrambled", "mlhs", "pseudo")

PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
          103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199)


def halton_sequence(prime: int, n: int, drop: int = 100) -> np.ndarray:
    """Elements ``drop .. drop+n-1`` of the van der Corput sequence in base ``prime``.

    Parameters
    ----------
    prime : int
    n : int
        Number of points.
    drop : int
        Leading elements skipped (the first ones are highly correlated across primes).

    Returns
    -------
    ndarray, shape (n,)
        Points in [0, 1).
    """
    idx = np.arange(drop, drop + n, dtype=np.int64)
    out = np.zeros(n)
    f = 1.0 / prime
    while idx.any():
        idx, digit = np.divmod(idx, prime)
        out += digit * f
        f /= prime
    return out


def make_draws(n_individuals: int, n_draws: int, n_dims: int, kind: str = "halton", seed: int = 0,
               drop: int = 100) -> np.ndarray:
    """Standard-normal draws per individual for simulated likelihood.

    Parameters
    ----------
    n_individuals : int
        N (respondents; draws are shared by all tasks of a respondent: panel).
    n_draws : int
        R draws per individual.
    n_dims : int
        D random dimensions (one per random coefficient).
    kind : {"halton", "scrambled", "mlhs", "pseudo"}
        ``halton``: mlogit/xlogit convention (deterministic, ``seed`` unused);
        ``scrambled``: Owen-scrambled Halton (scipy.stats.qmc);
        ``mlhs``: modified Latin hypercube sampling (Hess, Train & Polak 2006):
        per individual and dimension the R points ``(r + u) / R`` shuffled;
        ``pseudo``: independent uniforms.
    seed : int
        Seed of the randomised kinds.
    drop : int
        Leading Halton elements dropped (``halton`` only).

    Returns
    -------
    ndarray, shape (N, R, D)
        Standard normal deviates (inverse normal CDF of the uniform points).
    """
    if kind not in DRAW_KINDS:
        raise ValueError(f"draws {kind!r} is unknown. Fix: use one of {DRAW_KINDS}.")
    N, R, D = int(n_individuals), int(n_draws), int(n_dims)
    if R < 1:
        raise ValueError(f"n_draws must be at least 1, got {R}. Fix: use e.g. 100-1000 draws.")
    if D > len(PRIMES) and kind == "halton":
        raise ValueError(f"{D} random coefficients exceed the {len(PRIMES)} Halton primes. Fix: use "
                         "draws='scrambled' or 'mlhs'.")
    rng = np.random.default_rng(seed)
    if D == 0:
        return np.zeros((N, R, 0))
    if kind == "halton":
        u = np.stack([halton_sequence(PRIMES[d], N * R, drop) for d in range(D)], axis=-1)
    elif kind == "scrambled":
        u = stats.qmc.Halton(d=max(D, 1), scramble=True, seed=rng).random(N * R)[:, :D]
    elif kind == "mlhs":
        base = (np.arange(R)[None, :, None] + rng.random((N, 1, D))) / R
        u = rng.permuted(np.broadcast_to(base, (N, R, D)).copy(), axis=1)
    else:
        u = rng.random((N * R, D))
    u = np.clip(np.asarray(u).reshape(N, R, D), 1e-12, 1 - 1e-12)
    return special.ndtri(u)
