"""The discrete-choice settings of an engagement, resolved against its data before anything runs.

``analyses.discrete_choice`` in ``engagement.yaml`` holds the one attribute list
of the engagement (``attributes``), the specification (``price_attribute``,
``linear``, ``coding``, ``alternative_constants``, ``none_option``), the
holdout task and the simulator's products. Keys left out take the notebook's
defaults, which describe the demo (membership concepts with a fee): those are
kept only when they fit this engagement's data; otherwise each is derived from
the data (attributes and levels as found, numeric attributes linear, the none
option when the data have one) or switched off (no demo products, no holdout).

:func:`resolve_choice_settings` does this once, for ``cvkit validate`` and
``cvkit run`` alike, so every problem is reported before a notebook starts, each
naming the key as written in ``engagement.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ChoiceSettings", "resolve_choice_settings", "KEY"]

KEY = "analyses.discrete_choice"
_FIXED = ("respondent_id", "task", "alternative", "none", "chosen")
# Notebook defaults that describe the demo's study; replaced when the demo's attributes do not fit.
_DEMO_SPECIFIC = ("products", "client_products", "unit_costs", "preference_directions", "price_attribute",
                  "price_unit", "holdout_task", "linear")


@dataclass
class ChoiceSettings:
    """Resolved settings: what notebook 02 (and 03) receive, problems and notes for the analyst."""

    parameters: dict[str, Any] = field(default_factory=dict)
    segmentation: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[Any] = field(default_factory=list)  # red flags known before the run (cvkit.engagement.flags)


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return int(v) if float(v).is_integer() else float(v)
    return v


def _levels_from_data(s: pd.Series) -> list[Any]:
    """Levels of an attribute as found: sorted numbers (at most 5 points for many values) or sorted labels."""
    vals = s.dropna()
    if _numeric(vals):
        u = np.unique(vals.to_numpy(float))
        if len(u) > 8:  # many values (a continuous attribute): display points for a linear slope
            u = np.unique(np.round(np.quantile(u, [0, 0.25, 0.5, 0.75, 1.0]), 6))
        return [_plain(x) for x in u]
    return sorted(vals.astype(str).unique().tolist())


def _defaults_fit(attributes: dict, df: pd.DataFrame) -> bool:
    """True when every default attribute is a column whose values are among its default levels."""
    for a, levels in attributes.items():
        if a not in df.columns:
            return False
        keys = {str(_plain(x)) for x in (levels or [])}
        if levels and not set(df[a].dropna().map(lambda v: str(_plain(v)))) <= keys:
            return False
    return bool(attributes)


def resolve_choice_settings(given: dict[str, Any], defaults: dict[str, Any], df: pd.DataFrame | None, *,
                            currency: str, wide_labels: list[str] | None = None) -> ChoiceSettings:
    """The discrete-choice parameters for this engagement's data, with every problem.

    Parameters
    ----------
    given : dict
        ``analyses.discrete_choice`` as written in ``engagement.yaml`` (without ``enabled``).
    defaults : dict
        The notebook's parameter defaults (name -> value).
    df : DataFrame or None
        The choice data after intake (long format); None when the engagement has none.
    currency : str
        The engagement's currency (the price unit when none is given).

    Returns
    -------
    ChoiceSettings
        ``parameters`` to pass to notebook 02 (only keys that differ from what
        the user wrote or the notebook's default would give), ``segmentation``
        for notebook 03, ``problems`` (each naming its key) and ``notes``.
    """
    out = ChoiceSettings()
    if df is None:
        return out
    value = {**defaults, **given}
    demo = "attributes" not in given and _defaults_fit(defaults.get("attributes") or {}, df)
    if not demo:
        for k in _DEMO_SPECIFIC:
            if k not in given:
                value[k] = {"products": [], "client_products": [], "unit_costs": {}, "preference_directions": {},
                            "price_attribute": "", "price_unit": "", "holdout_task": 0, "linear": []}[k]
    attrs = _attributes(given, value, df, out, demo)
    _specification(given, value, attrs, df, out)
    _tasks(given, value, df, out)
    _products(value, attrs, out)
    if not value.get("price_unit"):
        value["price_unit"] = currency
    out.parameters = {k: value[k] for k in value if k in defaults and (k in given or value[k] != defaults[k])}
    lin = set(value["linear"]) - {value["price_attribute"]}
    # Segmentation re-estimates part-worths only when notebook 02 wrote none: linear attributes stay linear.
    seg_attrs = {a: (None if a in lin else lv) for a, lv in value["attributes"].items()}
    out.segmentation = {"choice_attributes": seg_attrs, "choice_price": value["price_attribute"],
                        "choice_linear": value["linear"], "choice_alternative_constants":
                            bool(value.get("alternative_constants"))}
    return out


def _attributes(given: dict, value: dict, df: pd.DataFrame, out: ChoiceSettings, demo: bool) -> dict:
    """The one attribute list: given (checked against the data) or read from the data.

    Attributes that are not columns of the data are reported and left out, so the
    other settings can still be checked against the rest.
    """
    present = [c for c in df.columns if c not in _FIXED]
    if "attributes" not in given and not demo:
        attrs = {a: _levels_from_data(df[a]) for a in present}
        # Numeric attributes read from the data enter as one slope unless listed otherwise.
        if "linear" not in given:
            value["linear"] = [a for a in present if _numeric(df[a]) and a != value.get("price_attribute")]
        out.notes.append(f"{KEY}.attributes not given: using the data's attribute columns "
                         f"{', '.join(present)} with the levels found in the data.")
        value["attributes"] = attrs
        return attrs
    attrs = dict(value["attributes"] or {})
    for a, levels in list(attrs.items()):
        where = f"{KEY}.attributes.{a}"
        if a not in df.columns:
            out.problems.append(f"{where}: no such column in the choice data (its attribute columns are "
                                f"{', '.join(present) or 'none'}). Fix: use those names.")
            del attrs[a]
            continue
        if levels is None:  # a free linear attribute: display points from the data
            attrs[a] = _levels_from_data(df[a])
            value["linear"] = [*value.get("linear", []), a] if a not in value.get("linear", []) else value["linear"]
            continue
        keys = {str(_plain(x)) for x in levels}
        found = df[a].dropna().map(lambda v: str(_plain(v)))
        if a in set(value.get("linear") or []) | ({value.get("price_attribute")} if value.get("price_linear")
                                                   else set()):
            continue
        extra = sorted(set(found) - keys)
        unseen = sorted(keys - set(found))
        if extra:
            out.problems.append(f"{where}: the data have level(s) {extra[:8]} that are not listed {levels}. "
                                "Fix: add them to the list (check spelling and case), or declare the attribute "
                                f"linear in {KEY}.linear if it is numeric.")
        if unseen:
            out.problems.append(f"{where}: level(s) {unseen} never appear in the data, so they cannot be "
                                "estimated. Fix: remove them from the list.")
    value["attributes"] = attrs
    return attrs


def _specification(given: dict, value: dict, attrs: dict, df: pd.DataFrame, out: ChoiceSettings) -> None:
    """Price, linear attributes, none option, constants: consistent with the attributes and the data."""
    price = value.get("price_attribute") or ""
    if price and price not in attrs:
        out.problems.append(f"{KEY}.price_attribute: {price!r} is not one of the attributes {list(attrs)}. Fix: "
                            "name one of them, or \"\" for no price.")
    elif price and price in df.columns and not _numeric(df[price]):
        out.problems.append(f"{KEY}.price_attribute: {price!r} is not numeric in the data. Fix: give the prices "
                            "as numbers, or \"\" for no price.")
    for a in value.get("linear") or []:
        if a not in attrs or a not in df.columns:
            out.problems.append(f"{KEY}.linear: {a!r} is not one of the attributes {list(attrs)}. Fix: use their "
                                "names.")
        elif not _numeric(df[a]):
            out.problems.append(f"{KEY}.linear: {a!r} has text levels; only numeric attributes can enter as one "
                                "slope. Fix: remove it from linear.")
    has_none = bool(df["none"].astype(bool).any()) if "none" in df.columns else False
    if "none_option" in given and bool(given["none_option"]) != has_none:
        out.problems.append(f"{KEY}.none_option: {given['none_option']} but the data "
                            f"{'have' if has_none else 'have no'} 'none of these' rows (none = 1). Fix: set "
                            f"none_option: {'true' if has_none else 'false'}.")
    value["none_option"] = has_none if "none_option" not in given else bool(given["none_option"])
    if value.get("alternative_constants"):
        labels = sorted(df["alternative"].astype(str).unique().tolist())
        if len(labels) < 2:
            out.problems.append(f"{KEY}.alternative_constants: the data have a single alternative label. Fix: "
                                "set it to false.")
    _methods(value, out)


METHODS = ("hb", "mixed", "latent_class", "mnl")  # what notebook 02 estimates


def _methods(value: dict, out: ChoiceSettings) -> None:
    """``method`` and every ``compare_methods`` entry are estimators notebook 02 has."""
    if value.get("method") not in METHODS:
        out.problems.append(f"{KEY}.method: {value.get('method')!r} is unknown. Fix: use hb, mixed, latent_class "
                            "or mnl.")
    compare = value.get("compare_methods") or []
    for m in compare if isinstance(compare, list) else [compare]:
        if m not in METHODS:
            out.problems.append(f"{KEY}.compare_methods: {m!r} is unknown. Fix: list methods among hb, mixed, "
                                "latent_class and mnl, or [] for none.")


def _tasks(given: dict, value: dict, df: pd.DataFrame, out: ChoiceSettings) -> None:
    """The holdout task exists and leaves tasks to estimate; say when individual models cannot run."""
    per = df.groupby("respondent_id", sort=False)["task"].nunique()
    holdout = value.get("holdout_task") or 0
    if holdout:
        tasks = set(pd.to_numeric(df["task"], errors="coerce").dropna().astype(int))
        if holdout not in tasks:
            shown = sorted(tasks)
            out.problems.append(f"{KEY}.holdout_task: task {holdout} is not in the data (tasks run "
                                f"{shown[0]}..{shown[-1]}). Fix: name an existing task, or 0 for no holdout.")
        elif per.max() <= 1:
            out.problems.append(f"{KEY}.holdout_task: every respondent answered one task, so holding one out "
                                "leaves nothing to estimate. Fix: set holdout_task: 0.")
    if per.max() <= 1 and value.get("method") in ("hb", "latent_class", "mixed"):
        out.notes.append(f"{KEY}.method: {value['method']} needs several tasks per respondent and every respondent "
                         "answered one; the page estimates the aggregate logit (MNL) instead and says why.")
    _identification_flag(value, df, out)


def _identification_flag(value: dict, df: pd.DataFrame, out: ChoiceSettings) -> None:
    """The red flag notebook 02 will raise when respondent-level models are asked for but not identified."""
    from cvkit.choice import respondent_level_reason
    from cvkit.engagement.flags import choice_flags

    asked = [value.get("method") or "", *(value.get("compare_methods") or [])]
    asked += ["latent_class"] if int(value.get("max_classes") or 0) >= 2 else []
    out.flags += choice_flags(not_identified=respondent_level_reason(df), asked=asked, method_used="mnl",
                              convergence=None, price=None, price_unit="", holdout=None, variation=None)


def _products(value: dict, attrs: dict, out: ChoiceSettings) -> None:
    """Products use existing levels (numbers within the tested range); client products are among them."""
    keys = list(attrs) + (["alternative"] if value.get("alternative_constants") else [])
    numeric = {a for a, lv in attrs.items() if lv and all(isinstance(x, (int, float)) for x in lv)}
    for i, p in enumerate(value.get("products") or []):
        where = f"{KEY}.products[{i}]"
        if not isinstance(p, dict):
            out.problems.append(f"{where}: must be a mapping like {{name: ..., {keys[0]}: ...}}.")
            continue
        missing = [a for a in keys if a not in p]
        unknown = [k for k in p if k not in keys and k != "name"]
        if missing:
            out.problems.append(f"{where}: no level for {missing}. Fix: give every attribute a level.")
        if unknown:
            out.problems.append(f"{where}: {unknown} are not attributes. Fix: use {keys}.")
        for a in (a for a in attrs if a in p):
            lv, x = attrs[a], p[a]
            if a in numeric and isinstance(x, (int, float)):
                if not min(lv) <= x <= max(lv):
                    out.problems.append(f"{where}.{a}: {x} is outside the tested range {min(lv)}..{max(lv)}. "
                                        "Fix: use a value inside it.")
            elif str(_plain(x)) not in {str(_plain(v)) for v in lv}:
                out.problems.append(f"{where}.{a}: {x!r} is not a level of {a} {lv}. Fix: use one of them.")
    _costs_and_directions(value, attrs, out)
    names = [p.get("name") for p in value.get("products") or [] if isinstance(p, dict)]
    for n in value.get("client_products") or []:
        if n not in names:
            out.problems.append(f"{KEY}.client_products: {n!r} is not the name of a product ({names}). Fix: use "
                                "one of them.")


def _costs_and_directions(value: dict, attrs: dict, out: ChoiceSettings) -> None:
    """``unit_costs`` keys are ``base`` or ``<attribute>.<level>``; ``preference_directions`` name attributes."""
    levels = {f"{a}.{str(_plain(x))}" for a, lv in attrs.items() for x in (lv or [])}
    for k in value.get("unit_costs") or {}:
        if k != "base" and k not in levels:
            out.problems.append(f"{KEY}.unit_costs.{k}: not 'base' nor an <attribute>.<level> of this study. Fix: "
                                f"use e.g. {sorted(levels)[:3]}.")
    for a, d in (value.get("preference_directions") or {}).items():
        if a not in attrs:
            out.problems.append(f"{KEY}.preference_directions.{a}: not one of the attributes {list(attrs)}. Fix: "
                                "use their names.")
        elif d not in ("increasing", "decreasing"):
            out.problems.append(f"{KEY}.preference_directions.{a}: {d!r}. Fix: use increasing or decreasing.")


def engagement_choice_settings(cfg: Any, result: Any) -> ChoiceSettings:
    """:func:`resolve_choice_settings` for a loaded engagement and its intake result.

    Parameters
    ----------
    cfg : cvkit.engagement.config.Engagement
    result : cvkit.data.Intake

    Returns
    -------
    ChoiceSettings
        Empty when discrete choice is disabled or the engagement has no choice data.
    """
    from cvkit.engagement.config import ANALYSES
    from cvkit.engagement.parameters import notebook_parameters

    table = result.tables.get("choice")
    section = cfg.analyses.discrete_choice
    if table is None or not (section.enabled or cfg.analyses.segmentation.enabled):
        return ChoiceSettings()
    defaults = {k: p.default for k, p in notebook_parameters(ANALYSES["discrete_choice"].path).items()}
    spec = cfg.data.choice
    labels = spec.wide.labels() if spec is not None and spec.wide is not None else None
    return resolve_choice_settings(section.parameters(), defaults, table.df, currency=cfg.currency,
                                   wide_labels=labels)
