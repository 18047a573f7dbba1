"""Wide-format choice data (one row per choice situation) -> cvkit's long ``choice`` format.

Stated-preference surveys are often exported one row per choice situation:
numbered attribute columns per alternative (``price1 .. price6``, or labelled
``TRAIN_TT / SM_TT / CAR_TT``), one column naming the chosen alternative
(``choice1``, or a code ``1/2/3``), optional availability columns
(``TRAIN_AV``). ``data.choice.wide`` in ``engagement.yaml`` describes that
layout (:class:`WideFormat`) and intake turns the file into one row per
respondent x task x alternative before any other check, so everything
downstream sees the long format.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["WideFormat", "wide_to_long", "wide_columns"]


class WideFormat(BaseModel):
    """How a wide choice file is laid out (``data.choice.wide``).

    Parameters
    ----------
    alternatives : list or dict
        The alternatives of every situation. A list of labels (``[1, 2]`` or
        ``[train, car]``), or a mapping label -> the value the ``chosen`` column
        holds for it (``{train: 1, swissmetro: 2, car: 3}``).
    chosen : str
        Column naming the chosen alternative.
    attributes : dict, optional
        Attribute -> its columns: a pattern with ``{alt}`` standing for the
        alternative label (``"price{alt}"``), or a mapping label -> column
        (``{train: TRAIN_TT, car: CAR_TT}``). An alternative left out of a mapping
        gets 0 for that attribute (it does not apply to it). Default for every
        attribute of ``analyses.discrete_choice.attributes``: ``"<attribute>{alt}"``.
    available : str or dict, optional
        Availability columns (1 available, 0 not): a pattern or a mapping as
        for ``attributes``. Unavailable alternatives are left out of the
        situation. Default: every alternative is available.
    task : str, optional
        Column numbering the situations of a respondent. Default: the row order
        within each respondent (1, 2, ...).
    keep : dict, optional
        Keep only rows whose column holds one of the listed values, e.g.
        ``{PURPOSE: [1, 3]}`` (the others are not part of the study).
    """

    model_config = ConfigDict(extra="forbid")

    alternatives: list[str | int] | dict[str, str | int] = Field(
        description="alternative labels, or label -> the value the chosen column holds for it")
    chosen: str = Field(description="column naming the chosen alternative")
    attributes: dict[str, str | dict[str, str]] = Field(
        default_factory=dict, description="attribute -> column pattern with {alt}, or alternative -> column")
    available: str | dict[str, str] | None = Field(
        None, description="availability columns (1/0): pattern with {alt} or alternative -> column")
    task: str | None = Field(None, description="column numbering the situations of a respondent")
    keep: dict[str, list[Any]] = Field(default_factory=dict,
                                       description="column -> values of the rows to keep, e.g. {PURPOSE: [1, 3]}")

    def labels(self) -> list[str]:
        """Alternative labels as text (what the long ``alternative`` column holds)."""
        return [str(a) for a in self.alternatives]

    def codes(self) -> dict[str, str]:
        """Text value of the chosen column -> alternative label."""
        if isinstance(self.alternatives, dict):
            return {_text(v): str(k) for k, v in self.alternatives.items()}
        return {str(a): str(a) for a in self.alternatives}

    def column_map(self, spec: str | dict[str, str] | None, attribute: str) -> dict[str, str | None]:
        """Alternative label -> file column (None when the alternative has none)."""
        if spec is None:
            spec = f"{attribute}{{alt}}"
        if isinstance(spec, str):
            return {lab: spec.replace("{alt}", lab) for lab in self.labels()}
        spec = {str(k): v for k, v in spec.items()}
        return {lab: spec.get(lab) for lab in self.labels()}


def _text(v: Any) -> str:
    """``1``, ``1.0`` and ``"1"`` all read ``"1"``; other values as text."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    s = str(v).strip()
    try:
        f = float(s)
        return str(int(f)) if f.is_integer() else s
    except ValueError:
        return s


def wide_columns(wide: WideFormat, attributes: list[str]) -> dict[str, list[str]]:
    """Every file column the layout names, by role (``attributes``, ``available``, ``other``)."""
    attr_cols = [c for a in attributes for c in wide.column_map(wide.attributes.get(a), a).values() if c]
    avail = [c for c in wide.column_map(wide.available, "").values() if c] if wide.available else []
    other = [wide.chosen] + ([wide.task] if wide.task else []) + list(wide.keep)
    return {"attributes": attr_cols, "available": avail, "other": other}


def wide_to_long(raw: pd.DataFrame, wide: WideFormat, attributes: list[str], respondent_col: str | None,
                 where: str = "data.choice.wide") -> tuple[pd.DataFrame, list[tuple[str, str, str | None]]]:
    """Reshape a wide choice file to the long format.

    Parameters
    ----------
    raw : DataFrame
        The file as read (one row per choice situation).
    wide : WideFormat
    attributes : list of str
        Attribute names (the long file's attribute columns).
    respondent_col : str or None
        File column holding the respondent id; None: every row is its own
        respondent (one task each).
    where : str
        Config key of the layout, for messages.

    Returns
    -------
    long : DataFrame
        ``respondent_id``, ``task``, ``alternative``, the attributes and
        ``chosen`` (1/0), one row per available alternative, in file order.
        Situations whose chosen value names no alternative have ``chosen`` 0
        everywhere (intake reports or excludes them). ``long.attrs["source_rows"]``
        gives, per long row, the 0-based data row of the wide file it came from
        (so problems are reported with the file's row numbers).
    problems : list of (message, fix, column)
        Layout problems (columns absent); empty when the reshape succeeded.
    """
    raw, problems = _check_layout(raw, wide, attributes, respondent_col, where)
    if problems:
        return pd.DataFrame(), problems
    origin = np.arange(len(raw))  # each situation's row in the file as read (0-based), for problem reports
    for c, values in wide.keep.items():
        kept = raw[c].map(_text).isin({_text(v) for v in values}).to_numpy()
        raw, origin = raw.loc[kept], origin[kept]
    long = _stack(raw.reset_index(drop=True), wide, attributes, respondent_col)
    long["_row"] = origin[long["_row"].to_numpy()]
    chosen_unavailable = long["chosen"].eq(1) & ~long["_avail"]
    if chosen_unavailable.any():
        k = int(chosen_unavailable.sum())
        problems.append((f"{k} situation(s) chose an alternative that their availability columns mark as not "
                         "available.", f"check {where}.available (1 = available) and the chosen column.",
                         wide.chosen))
    long = long.loc[long["_avail"]].sort_values(["_row", "_pos"], kind="stable")
    source_rows = long["_row"].to_numpy(np.int64)
    long = long.drop(columns=["_row", "_pos", "_avail"]).reset_index(drop=True)
    long.attrs["source_rows"] = source_rows  # long row i came from data row source_rows[i] of the wide file
    return long, problems


def _check_layout(raw: pd.DataFrame, wide: WideFormat, attributes: list[str], respondent_col: str | None,
                  where: str) -> tuple[pd.DataFrame, list[tuple[str, str, str | None]]]:
    """Every column the layout names is in the file (matched case-insensitively); (raw renamed, problems)."""
    problems: list[tuple[str, str, str | None]] = []
    file_cols = [str(c) for c in raw.columns]
    # Column names match case-insensitively ("{alt}_AV" with alternative train finds TRAIN_AV).
    by_lower = {c.lower(): c for c in file_cols}
    named = wide_columns(wide, attributes)
    raw = raw.rename(columns={by_lower[c.lower()]: c for cs in named.values()
                              for c in cs if c not in file_cols and c.lower() in by_lower})
    cols = set(map(str, raw.columns))
    for role, wanted in named.items():
        for c in dict.fromkeys(wanted):
            if c not in cols:
                close = difflib.get_close_matches(c, file_cols, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                problems.append((f"column '{c}' named by {where} ({role}) is not in the file.{hint}",
                                 f"correct {where} (a pattern like \"price{{alt}}\" is filled with each of the "
                                 f"alternatives {wide.labels()}); the file's columns are: "
                                 f"{', '.join(file_cols[:20])}.", c))
    if respondent_col is not None and respondent_col not in cols:
        problems.append((f"respondent column '{respondent_col}' is not in the file.",
                         "map it in data.choice.columns.respondent_id.", respondent_col))
    return raw, problems


def _stack(raw: pd.DataFrame, wide: WideFormat, attributes: list[str], respondent_col: str | None) -> pd.DataFrame:
    """One block of rows per alternative, with helper columns ``_row``, ``_pos`` and ``_avail``."""
    n = len(raw)
    resp = (raw[respondent_col].astype("str") if respondent_col is not None
            else pd.Series(np.arange(1, n + 1).astype(str)))
    task = (raw[wide.task] if wide.task else resp.groupby(resp, sort=False).cumcount() + 1)
    chosen_label = raw[wide.chosen].map(lambda v: wide.codes().get(_text(v)) if pd.notna(v) else None)
    chosen_label = _match_suffix(raw[wide.chosen], chosen_label, wide)
    parts = []
    for j, lab in enumerate(wide.labels()):
        part = {"respondent_id": resp.to_numpy(), "task": np.asarray(task), "alternative": lab}
        for a in attributes:
            col = wide.column_map(wide.attributes.get(a), a)[lab]
            part[a] = raw[col].to_numpy() if col else 0
        part["chosen"] = (chosen_label == lab).astype("int64").to_numpy()
        avail = np.ones(n, bool)
        if wide.available:
            col = wide.column_map(wide.available, "")[lab]
            if col:
                avail = pd.to_numeric(raw[col], errors="coerce").fillna(0).to_numpy() != 0
        part["_row"], part["_pos"], part["_avail"] = np.arange(n), j, avail
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def _match_suffix(values: pd.Series, matched: pd.Series, wide: WideFormat) -> pd.Series:
    """For a list of alternatives, accept chosen values that end with exactly one label ("choice1" -> 1)."""
    if isinstance(wide.alternatives, dict):
        return matched
    labels = wide.labels()
    out = matched.copy()
    for v in values[matched.isna() & values.notna()].map(_text).unique():
        # the longest label the value ends with: "choice12" is 12, not 2
        hits = sorted((lab for lab in labels if v.endswith(lab)), key=len, reverse=True)
        if hits and (len(hits) == 1 or len(hits[0]) > len(hits[1])):
            out[values.map(lambda x: _text(x) if pd.notna(x) else None) == v] = hits[0]
    return out
