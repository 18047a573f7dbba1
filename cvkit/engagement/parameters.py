"""Notebook parameters: read what a notebook declares, check values against it.

A notebook's ``parameters`` cell is the single source of truth for what an
analysis accepts; the engagement config's analysis sections are validated
against it, and ``cvkit params NOTEBOOK`` prints it.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["NotebookParameter", "notebook_parameters", "check_values", "accepts", "format_parameters", "NOTEBOOKS_DIR"]

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class NotebookParameter:
    """One declared parameter: ``name: type = default  # help``."""

    name: str
    type: str
    default: Any
    help: str


@lru_cache(maxsize=64)
def _parameters_cached(path: str, mtime: float) -> tuple[NotebookParameter, ...]:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not cells:
        raise ValueError(f"{path}: no cell tagged 'parameters'. Fix: tag the notebook's parameter cell "
                         "'parameters' (View > Cell metadata in JupyterLab).")
    source = cells[0].source
    lines = source.splitlines()
    out: list[NotebookParameter] = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ValueError(f"{path}: parameters cell line {node.lineno} is not a typed assignment "
                             "like `name: str = \"value\"  # help`.")
        type_name = ast.unparse(node.annotation)
        if type_name not in _TYPES:
            raise ValueError(f"{path}: parameter '{node.target.id}' has type {type_name}; "
                             f"use one of {', '.join(_TYPES)}.")
        default = ast.literal_eval(node.value) if node.value is not None else None
        line = lines[node.end_lineno - 1]
        comment_at = line.find("#", node.end_col_offset if node.lineno == node.end_lineno else 0)
        help_text = line[comment_at + 1:].strip() if comment_at >= 0 else ""
        out.append(NotebookParameter(node.target.id, type_name, default, help_text))
    return tuple(out)


def notebook_parameters(notebook: str | Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, in order.

    Parameters
    ----------
    notebook : str or Path
        Path to an ``.ipynb`` file, or a notebook name in ``notebooks/``
        (with or without ``.ipynb``).
    """
    path = Path(notebook)
    if not path.exists():
        candidate = NOTEBOOKS_DIR / (path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb")
        if not candidate.exists():
            known = sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb"))
            close = difflib.get_close_matches(path.stem, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise FileNotFoundError(f"notebook '{notebook}' not found.{hint} Known: {', '.join(known)}")
        path = candidate
    params = _parameters_cached(str(path.resolve()), path.stat().st_mtime)
    return {p.name: p for p in params}


def accepts(type_name: str, value: Any) -> bool:
    """The one rule for a parameter value: its declared type exactly; an integer also for a float.

    Used for the config's analysis sections (:func:`check_values`) and inside the notebook
    (:func:`cvkit.engagement.notebook.check_parameters`), so a value valid in one is valid in the other.
    """
    expected = _TYPES[type_name]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, expected) and not (expected is int and isinstance(value, bool))


#: String parameters whose value is one of a closed set, whichever notebook declares them. Checked with
#: the config, so a value the notebook would refuse fails ``cvkit validate`` rather than the run.
CHOICES: dict[str, tuple[str, ...]] = {
    "time_unit": ("D", "W", "M"),
    "setting": ("non_contractual", "contractual", "discrete"),
    "maxdiff_method": ("hb", "logit"),
    "missing": ("listwise", "pairwise"),
    "coding": ("effects", "dummy"),
    "simulation_method": ("share", "first_choice", "rfc"),
    "participation_period": ("Y", "Q", "M"),
    "clv_model": ("auto", "bg_nbd", "mbg_nbd", "pareto_nbd"),
    "rfm_ties": ("first", "average"),
    "inputs": ("needs", "partworths", "both"),
    "needs_source": ("battery", "maxdiff"),
    "algorithm": ("consensus", "kmeans", "gmm", "ward", "lca"),
    "correction": ("holm", "fdr_bh", "none"),
}
# List parameters whose every entry must be one of these values.
LIST_CHOICES: dict[str, tuple[str, ...]] = {"models": ("bg_nbd", "mbg_nbd", "pareto_nbd")}
# Numeric parameters and the range a run can use: (low, high, low inclusive, high inclusive, what it is).
RANGES: dict[str, tuple[float, float, bool, bool, str]] = {
    "margin": (0.0, 1.0, False, True, "a share of revenue, e.g. 0.3 for 30%"),
    "annual_discount_rate": (0.0, 1.0, True, False, "a yearly rate, e.g. 0.1 for 10%"),
    "horizon_months": (1, float("inf"), True, False, "whole months, at least 1"),
    "n_draws": (1, float("inf"), True, False, "at least 1 bootstrap draw (50 or more for a deliverable)"),
}


def check_values(values: dict[str, Any], declared: dict[str, NotebookParameter], where: str) -> list[str]:
    """Problems with ``values`` against ``declared`` parameters (empty list if fine).

    Integers are accepted for float parameters; nothing else is coerced. Parameters in
    :data:`CHOICES` must be one of their listed values.
    """
    problems = []
    for key, value in values.items():
        if key not in declared:
            close = difflib.get_close_matches(key, declared, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"{where}.{key}: unknown parameter.{hint} Fix: use one of "
                            f"{', '.join(declared)}.")
            continue
        if not accepts(declared[key].type, value):
            problems.append(f"{where}.{key}: {value!r} is a {type(value).__name__}, expected "
                            f"{declared[key].type} ({declared[key].help}). Fix: e.g. "
                            f"{key}: {_yaml_repr(declared[key].default)}")
        elif declared[key].type == "str" and key in CHOICES and value not in CHOICES[key]:
            close = difflib.get_close_matches(value, CHOICES[key], n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"{where}.{key}: {value!r} is not one of {', '.join(CHOICES[key])}.{hint} "
                            f"Fix: use one of them ({declared[key].help}).")
        else:
            problems += _value_problems(key, value, declared[key], where)
    return problems + _clv_model_problems(values, where)


def _value_problems(key: str, value: Any, declared: NotebookParameter, where: str) -> list[str]:
    """A list entry outside :data:`LIST_CHOICES`, or a number outside :data:`RANGES`."""
    if declared.type == "list" and key in LIST_CHOICES:
        wrong = [v for v in value if v not in LIST_CHOICES[key]]
        if wrong or not value:
            return [f"{where}.{key}: {wrong[0] if wrong else value!r} is not one of "
                    f"{', '.join(LIST_CHOICES[key])}. Fix: list one or more of them ({declared.help})."]
    if key in RANGES and isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high, low_in, high_in, what = RANGES[key]
        inside = (value >= low if low_in else value > low) and (value <= high if high_in else value < high)
        if not inside:
            return [f"{where}.{key}: {value!r} is out of range: it is {what}. Fix: e.g. {key}: "
                    f"{_yaml_repr(declared.default)}"]
    return []


def _clv_model_problems(values: dict[str, Any], where: str) -> list[str]:
    """``clv_model`` names a model the page fits (one of ``models``), or ``auto``."""
    model, models = values.get("clv_model"), values.get("models")
    if isinstance(model, str) and model != "auto" and isinstance(models, list) and model not in models:
        return [f"{where}.clv_model: {model!r} is not among the models compared ({', '.join(map(str, models))}). "
                f"Fix: add {model} to {where}.models, or set clv_model: auto."]
    return []


def _yaml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def format_parameters(notebook: str | Path) -> str:
    """A readable listing of a notebook's parameters (for ``cvkit params``)."""
    params = notebook_parameters(notebook)
    width = max(len(p.name) for p in params.values())
    lines = [f"{'name':<{width}}  {'type':<5}  default  -- help"]
    for p in params.values():
        lines.append(f"{p.name:<{width}}  {p.type:<5}  {p.default!r}  -- {p.help}")
    return "\n".join(lines)
