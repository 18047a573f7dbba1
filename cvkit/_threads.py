"""One BLAS thread for the many tiny linear-algebra calls of the estimators.

Optimisers (L-BFGS-B on 4 parameters) and batched factorisations of small matrices make one
BLAS/LAPACK call per tiny problem; a multi-threaded OpenBLAS pays thread start-up and contention
on each, which on a busy 2-core machine made them several times slower. Scanning the loaded
libraries costs milliseconds (more than a whole Pareto/NBD likelihood evaluation), so the
controller is built once: BLAS is loaded with NumPy, before any caller gets here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

_CONTROLLER: ThreadpoolController | None = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Context in which BLAS/LAPACK run single-threaded (restored on exit)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield
