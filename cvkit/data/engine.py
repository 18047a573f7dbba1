"""Where an engagement's transaction-sized work runs: the ``engine`` of ``engagement.yaml``.

Two engines check the transaction log at intake (:mod:`cvkit.data.stream`, :mod:`cvkit.data.stream_spark`)
and compute the per-customer summaries from the checked transactions (Parquet):

* ``duckdb`` (the default): embedded, nothing to install, out of core (it spills to disk), so a
  log far larger than memory fits on one laptop;
* ``spark``: a Spark cluster (or ``local[N]`` for one machine), for logs one machine cannot
  scan in reasonable time. Only the per-customer summary comes back to the notebook; the model
  fits run on the driver from it.

This module only reads and normalises the setting (it is shared by the config, the command line
and the notebooks); :func:`cvkit.clv.engine_backend` connects to the engine.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["ENGINES", "DEFAULT_SPARK_MASTER", "OVERRIDE_FORMS", "parse_engine", "engine_name", "override_engine", "executor_python"]

ENGINES = ("duckdb", "spark")
#: Master of ``engine: spark`` written without one: Spark inside the driver process, on two cores.
DEFAULT_SPARK_MASTER = "local[2]"
# The master URLs Spark itself accepts that make sense for cvkit (local threads, standalone, YARN, Kubernetes).
_MASTER = re.compile(r"^(local(\[(\d+|\*)\])?|spark://[A-Za-z0-9._-]+:\d+(,[A-Za-z0-9._-]+:\d+)*|yarn|k8s://\S+)$")
_SPARK_KEYS = ("master", "conf")
_FORM = ('`engine: duckdb` (default) or `engine: {spark: {master: "spark://host:7077", conf: '
         '{spark.executor.memory: 4g}}}`')


def parse_engine(value: Any) -> dict[str, dict[str, Any]]:
    """The engine setting in its one normalised form.

    Parameters
    ----------
    value : str, mapping or None
        ``None``/``""``/``"duckdb"``; ``"spark"`` (local Spark, ``local[2]``); or
        ``{"spark": {"master": URL, "conf": {key: value}}}`` (``{"duckdb": {}}`` is accepted too).

    Returns
    -------
    dict
        ``{"duckdb": {}}`` or ``{"spark": {"master": str, "conf": {str: str}}}``.

    Raises
    ------
    ValueError
        Naming what is wrong and the accepted forms.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "duckdb")):
        return {"duckdb": {}}
    if isinstance(value, str) and value.strip().lower() == "spark":
        return {"spark": {"master": DEFAULT_SPARK_MASTER, "conf": {}}}
    if isinstance(value, str):
        close = difflib.get_close_matches(value.strip().lower(), ENGINES, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown engine '{value}'.{hint} Fix: use {_FORM}.")
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ValueError(f"the engine is {value!r}. Fix: use {_FORM}.")
    (name, options), = value.items()
    if name not in ENGINES:
        close = difflib.get_close_matches(str(name), ENGINES, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown engine '{name}'.{hint} Fix: use {_FORM}.")
    options = {} if options is None else options
    if not isinstance(options, Mapping):
        raise ValueError(f"the {name} options must be a mapping, not {options!r}. Fix: use {_FORM}.")
    if name == "duckdb":
        if options:
            raise ValueError(f"duckdb takes no options (got {sorted(options)}). Fix: write `engine: duckdb`; "
                             "its memory limit is the CVKIT_DUCKDB_MEMORY_LIMIT environment variable.")
        return {"duckdb": {}}
    return {"spark": _spark_options(options)}


def _spark_options(options: Mapping) -> dict[str, Any]:
    unknown = [k for k in options if k not in _SPARK_KEYS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), _SPARK_KEYS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"spark has no option '{unknown[0]}'.{hint} Fix: use master and conf only.")
    master = options.get("master", DEFAULT_SPARK_MASTER)
    if not isinstance(master, str) or not _MASTER.match(master.strip()):
        raise ValueError(f"spark master {master!r} is not a Spark master URL. Fix: use \"spark://host:7077\" "
                         "for a standalone cluster, \"local[4]\" for Spark on this machine, \"yarn\" or "
                         "\"k8s://https://host:443\".")
    conf = options.get("conf") or {}
    if not isinstance(conf, Mapping):
        raise ValueError(f"spark conf must be a mapping of Spark settings, not {conf!r}. Fix: e.g. "
                         "`conf: {spark.executor.memory: 4g}`.")
    bad = [k for k, v in conf.items() if not str(k).startswith("spark.") or isinstance(v, (Mapping, list))]
    if bad:
        raise ValueError(f"spark conf key '{bad[0]}' is not a Spark setting with a single value. Fix: use "
                         "keys starting with 'spark.' and plain values, e.g. `spark.executor.memory: 4g`.")
    # Spark settings are strings; YAML's true/4 become Spark's "true"/"4".
    text = {str(k): (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in conf.items()}
    return {"master": master.strip(), "conf": text}


def engine_name(engine: Any) -> str:
    """``"duckdb"`` or ``"spark"`` for any accepted engine setting."""
    return next(iter(parse_engine(engine)))


def override_engine(configured: Any, name: str | None) -> dict[str, dict[str, Any]]:
    """The engine after ``cvkit run --engine NAME``.

    Parameters
    ----------
    configured : str, mapping or None
        The config's ``engine`` (any form :func:`parse_engine` accepts).
    name : str or None
        ``None``: keep the config's engine. ``"duckdb"``. ``"spark"``: the config's Spark master and
        conf when it names Spark, else ``local[2]``. A Spark master URL (``spark://host:7077``,
        ``local[4]``, ``yarn``, ``k8s://https://host:443``): Spark at that master, with the config's
        Spark conf when it has one (the run changes where, not how).

    Returns
    -------
    dict
        The normalised engine, as :func:`parse_engine` returns it.

    Raises
    ------
    ValueError
        If ``name`` is neither an engine nor a Spark master URL, naming the accepted forms.
    """
    current = parse_engine(configured)
    if name is None:
        return current
    text = name.strip()
    if text.lower() in ENGINES:
        return current if text.lower() in current else parse_engine(text.lower())
    if _MASTER.match(text):
        conf = current["spark"]["conf"] if "spark" in current else {}
        return {"spark": {"master": text, "conf": dict(conf)}}
    raise ValueError(f"--engine {name or repr(name)}: {_override_hint(text)}Fix: use {OVERRIDE_FORMS}.")


#: What ``cvkit run --engine`` accepts, for the command line's help and errors.
OVERRIDE_FORMS = ("duckdb, spark (the config's master, else local[2]) or a Spark master URL: "
                  "spark://host:7077, local[4], yarn, k8s://https://host:443")


def _override_hint(text: str) -> str:
    """What is wrong with an ``--engine`` value, with a guess at what was meant."""
    if re.match(r"^[A-Za-z0-9._-]+:\d+$", text):  # host:port without the scheme
        return f"not an engine or a Spark master URL. Did you mean 'spark://{text}'? "
    if re.match(r"^spark://", text, re.I):
        return "not a standalone master URL (spark://host:port, port required). "
    if re.match(r"^local\b", text, re.I):
        return "not a local master (local, local[N] or local[*]). "
    close = difflib.get_close_matches(text.lower(), ENGINES, n=1)
    return f"unknown engine. Did you mean '{close[0]}'? " if close else "not an engine or a Spark master URL. "


def executor_python(conf: Mapping[str, Any] | None = None) -> str:
    """The Python the Spark executors run, set where PySpark reads it; returns its path.

    ``spark.pyspark.python`` from the engine's conf, else ``$PYSPARK_PYTHON``, else this interpreter
    (right on one machine and on clusters built from the same image). PySpark starts its Python
    workers with ``$PYSPARK_PYTHON`` (default ``python3`` on the PATH, which may lack DuckDB), read
    when the session's context starts, not the conf: so the variable is set too.
    """
    python = str((conf or {}).get("spark.pyspark.python") or os.environ.get("PYSPARK_PYTHON") or sys.executable)
    os.environ["PYSPARK_PYTHON"] = python
    return python
