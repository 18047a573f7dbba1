"""Run the CLV summary on Spark through Ibis's PySpark backend (optional extra ``cvkit[spark]``).

:func:`cvkit.clv.summarize` builds one Ibis expression; with
``backend=spark_backend()`` it runs on Spark unchanged. The session is set up
so results match DuckDB's exactly:

* the session time zone is UTC, so dates are not shifted by the machine's zone;
* Arrow transfer is on, so pandas columns (including string columns with
  missing values, which otherwise reach Spark as the text ``'NaN'``) keep
  their types at the boundary;
* the warehouse is a fresh temporary directory, so reruns never collide with
  tables left behind by an earlier run; cvkit removes it when the backend is disconnected, when
  the stopped session is let go, or at interpreter exit, whichever comes first.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
import weakref
from typing import Any

from cvkit.data.engine import executor_python

__all__ = ["spark_backend"]


def spark_backend(session: Any = None, *, master: str = "local[2]", app_name: str = "cvkit-clv",
                  warehouse_dir: str | None = None, shuffle_partitions: int = 8,
                  conf: dict[str, str] | None = None) -> Any:
    """An Ibis PySpark backend ready for :func:`cvkit.clv.summarize`.

    Parameters
    ----------
    session : pyspark.sql.SparkSession, optional
        An existing session (e.g. on a cluster); it is reconfigured for UTC
        and Arrow. Default: a new local session.
    master : str
        Spark master URL for a new session, e.g. ``"local[4]"``.
    app_name : str
        Application name shown in the Spark UI.
    warehouse_dir : str, optional
        Warehouse directory for a new session; default a new temporary one.
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions`` for a new session (Spark's default of
        200 is slow for one machine).
    conf : dict, optional
        Further Spark settings for a new session (``{"spark.executor.memory": "4g"}``), applied
        after cvkit's own, so they win.

    Returns
    -------
    ibis backend
        Pass as ``backend=`` to :func:`cvkit.clv.summarize`.

    Raises
    ------
    ImportError
        If pyspark is not installed (``pip install 'cvkit[spark]'``).
    """
    try:
        with warnings.catch_warnings():
            # PySpark 4.x warns that it does not fully support pandas 3 on import; the summary
            # goes through Arrow, not PySpark's pandas conversion.
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                    category=FutureWarning)
            import ibis
            from pyspark.sql import SparkSession
            import ibis.backends.pyspark  # noqa: F401  (registers the backend)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the Spark backend needs pyspark: pip install 'cvkit[spark]' (and Java 17)") from exc
    cleanup = None  # removes the warehouse folder cvkit made (none when the caller gave one or a session)
    if session is None:
        warehouse = warehouse_dir or tempfile.mkdtemp(prefix="cvkit_spark_warehouse_")
        builder = (SparkSession.builder.master(master).appName(app_name)
                   .config("spark.sql.warehouse.dir", warehouse)
                   .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
                   .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC"))
        for key, value in (conf or {}).items():
            builder = builder.config(key, str(value))
        # Python workers (none for the summary's SQL, but intake's checks share the session) run
        # the interpreter with cvkit's dependencies, not whatever `python3` is first on the PATH.
        builder = builder.config("spark.pyspark.python", executor_python(conf))
        session = builder.getOrCreate()
        cleanup = None if warehouse_dir else _warehouse_cleanup(session, warehouse)
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    session.conf.set("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
    backend = ibis.pyspark.connect(session)
    if cleanup is not None:
        disconnect = backend.disconnect

        def disconnect_and_clean() -> None:  # the backend stops the session: its warehouse goes with it
            disconnect()
            cleanup()

        backend.disconnect = disconnect_and_clean
    return backend


def _warehouse_cleanup(session: Any, warehouse: str) -> Any:
    """Remove the temporary warehouse cvkit made for ``session``: a callable, or None if it is gone already.

    When ``getOrCreate`` returned a session that was already running, that session keeps its own
    warehouse and the new folder is unused: it goes at once. Otherwise it goes when the session
    object is let go (after ``stop()``) or at interpreter exit (``weakref.finalize``), or when the
    returned callable is called, whichever comes first.
    """
    if warehouse not in str(session.conf.get("spark.sql.warehouse.dir", "")):
        shutil.rmtree(warehouse, ignore_errors=True)
        return None
    return weakref.finalize(session, shutil.rmtree, warehouse, ignore_errors=True)
