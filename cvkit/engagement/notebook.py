"""Helpers that every analysis notebook calls: parameter checking.

A notebook's ``parameters`` cell declares typed assignments with a help comment::

    client: str = "demo"  # client slug

papermill injects overrides as plain assignments in a cell below it. The first
code cell of every notebook calls :func:`check_parameters`, so a misspelt
parameter or a value of the wrong type stops the notebook at once with a
message, instead of being silently ignored.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from typing import Any

from cvkit.engagement.parameters import _TYPES, accepts

from cvkit.exceptions import ParameterError

__all__ = ["check_parameters", "data_path", "ParameterError"]

# Names IPython and Jupyter put in the user namespace by themselves.
_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}
_SIMPLE = (str, int, float, bool, list, dict, tuple, type(None))


def check_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the notebook's parameters against their declared types.

    Parameters
    ----------
    namespace : mapping
        The notebook's ``globals()`` right after the parameters cell (and
        papermill's injected cell, if any).

    Returns
    -------
    dict
        The declared parameters and their (validated, possibly coerced) values,
        in declaration order.

    Raises
    ------
    ParameterError
        If a value does not match its declared type, or a parameter was set
        that the notebook does not declare (with a did-you-mean suggestion).
    """
    declared: dict[str, Any] = dict(namespace.get("__annotations__", {}))
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, annotation in declared.items():
        if name not in namespace:
            problems.append(f"parameter '{name}' is declared but has no value")
            continue
        type_name, value = _type_name(annotation), namespace[name]
        if type_name not in _TYPES or not accepts(type_name, value):
            problems.append(f"parameter '{name}' = {value!r} is not a valid {type_name} (it is a "
                            f"{type(value).__name__}); fix: give a {type_name} value")
            continue
        values[name] = float(value) if type_name == "float" else value
    for name, value in namespace.items():
        if name.startswith("_") or name in declared or name in _IPYTHON_NAMES:
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType, type)):
            continue
        if isinstance(value, _SIMPLE):
            close = difflib.get_close_matches(name, declared, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(
                f"'{name}' = {value!r} is not a parameter of this notebook.{hint} "
                f"Known parameters: {', '.join(declared)}"
            )
    if problems:
        raise ParameterError("Notebook parameters are not valid:\n  - " + "\n  - ".join(problems))
    return values


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)


NOT_GIVEN = "none"


def data_path(kind: str, value: str) -> "Path | None":
    """Resolve a notebook's data-file parameter.

    Parameters
    ----------
    kind : str
        The data set (``"transactions"``, ``"survey"``, ...).
    value : str
        The parameter's value: a path; ``""`` for the bundled demo data (a
        notebook opened on its own); or ``"none"``, which the runner passes
        when the engagement has no such data set.

    Returns
    -------
    Path or None
        None when the engagement has no such data set.
    """
    from pathlib import Path

    if value == NOT_GIVEN:
        return None
    if value == "":
        from cvkit.datasets.demo import demo_file

        return demo_file(kind)
    path = Path(value)
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative to the working folder {Path.cwd().name}/)"
        raise FileNotFoundError(
            f"{kind} file '{value}' not found{where}. Fix: a notebook of a deliverable reads the deliverable's "
            f"own copy (../data/{kind}.parquet): open it from the deliverable's notebooks/ folder, or rerun the "
            f"engagement with `cvkit run <engagement folder>`. Otherwise give an existing path in '{kind}', or "
            "'none' if there is none ('' loads cvkit's bundled DEMO data, not the client's).")
    return path
