"""The one thread limiter: one BLAS thread (and, for scikit-learn fits, one OpenMP thread).

One BLAS thread for the many tiny linear-algebra calls of the estimators.

Optimisers (L-BFGS-B on 4 parameters) and batched factorisations of small matrices make one
BLAS/LAPACK call per tiny problem; a multi-threaded OpenBLAS pays thread start-up and contention
on each, which on a busy 2-core machine made them several times slower. Scanning the loaded
libraries costs milliseconds (more than a whole Pareto/NBD likelihood evaluation), so the
controller is built once: BLAS is loaded with NumPy, before any caller gets here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController, threadpool_limits

__all__ = ["one_blas_thread", "single_threaded"]

_CONTROLLER: ThreadpoolController | None = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Context in which BLAS/LAPACK run single-threaded (restored on exit)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


_LIMITED = threading.local()


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Context in which BLAS and OpenMP (scikit-learn's k-means, GMM) run single-threaded.

    The segmentation fits are many and small; on a shared 2-core machine, OpenMP threads of
    scikit-learn's k-means spin-waiting on busy cores made each fit up to 100x slower.
    Parallelism, where wanted, goes over fits (joblib). Nested uses (a bootstrap loop around
    many fits) enter the limiter once.
    """
    if getattr(_LIMITED, "active", False):
        yield
        return
    # A fresh scan (not the cached controller): OpenMP may have been loaded (with scikit-learn)
    # after the controller was built.
    with threadpool_limits(limits=1):
        _LIMITED.active = True
        try:
            yield
        finally:
            _LIMITED.active = False
