"""The estimator contract every model in cvkit follows, and its one not-fitted check.

Every estimator in ``cvkit.clv``, ``cvkit.choice``, ``cvkit.drivers`` and ``cvkit.segment``:

- ``__init__`` stores its parameters only (no data, no validation that needs data);
- ``fit(...)`` returns ``self``; what it learns ends in ``_``;
- speaks one vocabulary: ``params_`` (estimates), ``se_`` (standard errors), ``cov_``
  (covariance), ``log_likelihood_``, ``converged_``, ``n_obs_`` (observations the fit used),
  ``max_iter`` (an iteration limit), interval columns ``lower``/``upper`` at a ``level``
  (0.95 = 95%);
- ``summary()`` returns a DataFrame;
- a fitted-only attribute or method used before ``fit`` raises
  :class:`cvkit.exceptions.NotFittedError` through :func:`check_is_fitted`, so
  ``hasattr(model, "aic_")`` on an unfitted model is False.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from cvkit.exceptions import NotFittedError

__all__ = ["check_is_fitted", "is_fitted", "ParamsMixin"]


def is_fitted(estimator: Any, attributes: str | Sequence[str] | None = None) -> bool:
    """Whether ``fit`` has run: the named attributes (default: any attribute ending in ``_``) exist."""
    if attributes is not None:
        names = [attributes] if isinstance(attributes, str) else list(attributes)
        return all(name in vars(estimator) for name in names)
    return any(k.endswith("_") and not k.startswith("__") for k in vars(estimator))


def check_is_fitted(estimator: Any, attributes: str | Sequence[str] | None = None) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has been fitted.

    Parameters
    ----------
    estimator : object
        Any cvkit estimator.
    attributes : str or sequence of str, optional
        Fitted attributes that must exist; default: any attribute ending in ``_``.

    Raises
    ------
    NotFittedError
        Naming the estimator and the fix (call ``fit`` first).
    """
    if not is_fitted(estimator, attributes):
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet; call {name}.fit(...) first")


class ParamsMixin:
    """Parameters read back from ``__init__``'s signature: ``get_params()`` and a repr listing them.

    Equality stays identity (two fitted models are equal only if they are the same object), so
    comparing estimators never compares their fitted arrays.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters as stored by ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
