"""Attribute definitions and their coding into model parameters.

A :class:`ChoiceSpec` says which attributes a conjoint has, the order of their
levels, which one is the price, which numeric attributes enter linearly, and
how categorical attributes are coded (effects coding by default, as analysts
expect from Sawtooth; dummy coding on request). It turns rows of long-format
choice data into rows of the design matrix, and maps estimated coefficients
back to *level part-worths* (one value per ``<attribute>.<level>``), the basis
in which results, WTP and the simulator work.

Codings
-------
* categorical, effects: parameters for every level but the last; the last
  level's part-worth is minus their sum, so an attribute's levels sum to zero.
* categorical, dummy: parameters for every level but the first (reference = 0).
* numeric linear (``linear=[...]``): one slope per unit of the attribute, on the
  raw (uncentred) value, so ``U = beta * value``. Its level part-worths are
  ``beta * level``.
* numeric, not linear: coded like a categorical attribute at its levels; the
  simulator interpolates linearly between levels (a piecewise-linear curve).
* ``none``: an alternative-specific constant for the "none of these" rows,
  whose attributes are all coded 0.
* labelled alternatives (``alternatives=[...]``): alternative-specific
  constants, one per alternative but the first (reference = 0), read from the
  ``alternative`` column. They are always dummy coded, whatever ``coding`` the
  attributes use, so they sit alongside effects- or dummy-coded attributes; in
  the level basis they appear as the attribute ``alternative``.
* interactions ``[("a", "b")]``: products of the two attributes' coded columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ChoiceSpec", "as_spec"]

_CODINGS = ("effects", "dummy")

#: Name of the block of alternative-specific constants (the long format's ``alternative`` column).
ASC = "alternative"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _level_key(level: Any) -> str:
    """Column-name form of a level: ``29.0`` -> ``'29'``, ``'free'`` -> ``'free'``."""
    if _is_number(level) and float(level).is_integer():
        return str(int(level))
    return str(level)


@dataclass
class ChoiceSpec:
    """The attributes of a choice experiment and how they are coded.

    Parameters
    ----------
    attributes : mapping of str to sequence
        Attribute name -> its levels in their natural order (worst to best
        where there is one). Numeric attributes list their numeric levels
        (e.g. ``fee: [29, 49, 69, 89]``); a linear attribute may give ``None``
        when its values are free (e.g. Electricity's price in cents/kWh).
    price : str, optional
        The price attribute (numeric), used for willingness to pay.
    linear : sequence of str, optional
        Numeric attributes entered as one linear slope. Default: the price
        attribute, if it is numeric, and every attribute whose levels are ``None``.
    none : bool
        Whether the data have a "none of these" alternative (a ``none``
        parameter is then estimated).
    coding : {"effects", "dummy"}
        Coding of categorical attributes.
    interactions : sequence of (str, str)
        Pairs of attributes whose interaction is estimated.
    alternatives : sequence, optional
        Labels of labelled alternatives (e.g. ``["train", "swissmetro", "car"]``)
        whose alternative-specific constants are estimated, the first being the
        reference. They are read from the data's ``alternative`` column and
        added as the dummy-coded attribute ``alternative``. Default: none.
    """

    attributes: Mapping[str, Sequence[Any] | None]
    price: str | None = None
    linear: Sequence[str] | None = None
    none: bool = False
    coding: str = "effects"
    interactions: Sequence[tuple[str, str]] = field(default_factory=tuple)
    alternatives: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        if not self.attributes:
            raise ValueError("ChoiceSpec: no attributes given. Fix: pass a dict attribute -> list of levels.")
        self.attributes = {str(a): (None if lv is None else list(lv)) for a, lv in self.attributes.items()}
        if self.alternatives is not None:
            labels = list(self.alternatives)
            if ASC in self.attributes and self.attributes[ASC] != labels:
                raise ValueError(f"ChoiceSpec: {ASC!r} is both an attribute and the alternative-specific "
                                 "constants. Fix: rename the attribute or drop `alternatives`.")
            if len(labels) < 2:
                raise ValueError(f"ChoiceSpec: alternative-specific constants need 2 or more alternatives, got "
                                 f"{labels}. Fix: list every labelled alternative or drop `alternatives`.")
            self.alternatives = labels
            self.attributes[ASC] = labels
        if self.coding not in _CODINGS:
            raise ValueError(f"ChoiceSpec: coding {self.coding!r} is unknown. Fix: use one of {_CODINGS}.")
        if self.price is not None and self.price not in self.attributes:
            raise ValueError(f"ChoiceSpec: price attribute {self.price!r} is not among the attributes "
                             f"{list(self.attributes)}. Fix: name one of them as price.")
        linear = set(self.linear or ())
        if self.linear is None:
            linear = {a for a, lv in self.attributes.items() if lv is None}
            if self.price is not None and all(_is_number(x) for x in (self.attributes[self.price] or [0])):
                linear.add(self.price)
        for a in linear:
            if a not in self.attributes:
                raise ValueError(f"ChoiceSpec: linear attribute {a!r} is not among the attributes. "
                                 f"Fix: use names from {list(self.attributes)}.")
            lv = self.attributes[a]
            if lv is not None and not all(_is_number(x) for x in lv):
                raise ValueError(f"ChoiceSpec: attribute {a!r} is declared linear but its levels {lv} are "
                                 "not all numbers. Fix: give numeric levels or drop it from `linear`.")
        for a, lv in self.attributes.items():
            if lv is None and a not in linear:
                raise ValueError(f"ChoiceSpec: attribute {a!r} has no levels. Fix: list its levels, or "
                                 "declare it linear.")
            if lv is not None and a not in linear:
                if len(lv) < 2:
                    raise ValueError(f"ChoiceSpec: attribute {a!r} has fewer than 2 levels {lv}; it cannot "
                                     "be estimated. Fix: drop it or add levels.")
                keys = [_level_key(x) for x in lv]
                if len(set(keys)) != len(keys):
                    raise ValueError(f"ChoiceSpec: attribute {a!r} has duplicate levels {lv}. Fix: list "
                                     "each level once.")
        if self.price is not None:
            lv = self.attributes[self.price]
            if lv is not None and not all(_is_number(x) for x in lv):
                raise ValueError(f"ChoiceSpec: price attribute {self.price!r} must be numeric, got levels "
                                 f"{lv}. Fix: give the prices as numbers (e.g. [29, 49, 69, 89]).")
        self.linear = tuple(a for a in self.attributes if a in linear)
        self.interactions = tuple((str(a), str(b)) for a, b in self.interactions)
        for a, b in self.interactions:
            for x in (a, b):
                if x not in self.attributes:
                    raise ValueError(f"ChoiceSpec: interaction ({a!r}, {b!r}) names unknown attribute {x!r}. "
                                     f"Fix: use names from {list(self.attributes)}.")
        self._build()

    # ------------------------------------------------------------------ structure
    def _build(self) -> None:
        names: list[str] = []
        self._slices: dict[str, slice] = {}
        for a, lv in self.attributes.items():
            start = len(names)
            if a in self.linear:
                names.append(a)
            elif self.coding_of(a) == "effects":
                names += [f"{a}.{_level_key(x)}" for x in lv[:-1]]
            else:
                names += [f"{a}.{_level_key(x)}" for x in lv[1:]]
            self._slices[a] = slice(start, len(names))
        for a, b in self.interactions:
            start = len(names)
            for pa in names[self._slices[a]]:
                for pb in names[self._slices[b]]:
                    names.append(f"{pa}:{pb}")
            self._slices[f"{a}:{b}"] = slice(start, len(names))
        if self.none:
            names.append("none")
        self.params: list[str] = names

    def coding_of(self, attribute: str) -> str:
        """The coding of one attribute: the spec's ``coding``, except dummy for the constants."""
        return "dummy" if (self.alternatives is not None and attribute == ASC) else self.coding

    @property
    def n_params(self) -> int:
        """Number of model parameters K."""
        return len(self.params)

    def is_numeric(self, attribute: str) -> bool:
        """True when the attribute's levels are numbers (linear or piecewise)."""
        lv = self.attributes[attribute]
        return lv is None or all(_is_number(x) for x in lv)

    def levels(self, attribute: str) -> list[Any]:
        """The declared levels of ``attribute`` (for a free linear attribute: none)."""
        return list(self.attributes[attribute] or [])

    @property
    def level_columns(self) -> list[str]:
        """Names of the level basis: ``<attribute>.<level>`` for every level, interaction
        cells ``a.x:b.y``, then ``none`` (when the spec has it)."""
        cols = [f"{a}.{_level_key(x)}" for a in self.attributes for x in self.levels(a)]
        for a, b in self.interactions:
            cols += [f"{a}.{_level_key(x)}:{b}.{_level_key(y)}" for x in self.levels(a) for y in self.levels(b)]
        if self.none:
            cols.append("none")
        return cols

    # ------------------------------------------------------------------ coding
    def _code_attribute(self, attribute: str, values: np.ndarray) -> np.ndarray:
        """Code one attribute's values (n,) into its parameter columns (n, k)."""
        lv = self.attributes[attribute]
        if attribute in self.linear:
            return np.asarray(values, dtype=float)[:, None]
        keys = [_level_key(x) for x in lv]
        index = {k: i for i, k in enumerate(keys)}
        vals = pd.Series(values)
        as_key = vals.map(lambda v: _level_key(v) if _is_number(v) else str(v))
        idx = as_key.map(index)
        if idx.isna().any():
            bad = sorted(set(as_key[idx.isna()]))
            raise KeyError(f"attribute {attribute!r} has level(s) {bad} that are not declared "
                           f"(declared: {keys})")
        return self._code_index(attribute, idx.to_numpy(dtype=int))

    def _code_index(self, attribute: str, idx: np.ndarray) -> np.ndarray:
        n_lv = len(self.attributes[attribute])
        if self.coding_of(attribute) == "effects":
            table = np.vstack([np.eye(n_lv - 1), -np.ones((1, n_lv - 1))])
        else:
            table = np.vstack([np.zeros((1, n_lv - 1)), np.eye(n_lv - 1)])
        return table[idx]

    def code(self, rows: pd.DataFrame, none: np.ndarray | None = None) -> np.ndarray:
        """Design-matrix rows for alternatives.

        Parameters
        ----------
        rows : DataFrame
            One row per alternative with a column per attribute.
        none : array of bool, shape (n,), optional
            Which rows are the none alternative (all attributes coded 0, the
            ``none`` column 1).

        Returns
        -------
        ndarray, shape (n, K)
        """
        n = len(rows)
        is_none = np.zeros(n, bool) if none is None else np.asarray(none, bool)
        X = np.zeros((n, self.n_params))
        real = ~is_none
        sub = rows.loc[real] if real.any() else rows.iloc[:0]
        for a in self.attributes:
            X[real, self._slices[a]] = self._code_attribute(a, sub[a].to_numpy())
        for a, b in self.interactions:
            ca, cb = X[:, self._slices[a]], X[:, self._slices[b]]
            X[:, self._slices[f"{a}:{b}"]] = (ca[:, :, None] * cb[:, None, :]).reshape(n, -1)
        if self.none:
            X[:, -1] = is_none
        return X

    def level_map(self) -> np.ndarray:
        """Linear map from parameters to the level basis.

        Returns
        -------
        ndarray, shape (len(level_columns), K)
            ``T`` such that ``T @ beta`` are the level part-worths (utility
            of each level; for linear attributes ``beta * level``; ``none``).
        """
        rows = []
        for a in self.attributes:
            lv = self.levels(a)
            block = np.zeros((len(lv), self.n_params))
            if a in self.linear:
                block[:, self._slices[a]] = np.asarray(lv, float)[:, None]
            else:
                block[:, self._slices[a]] = self._code_index(a, np.arange(len(lv)))
            rows.append(block)
        for a, b in self.interactions:
            la, lb = self.levels(a), self.levels(b)
            ca = self._level_codes(a)
            cb = self._level_codes(b)
            block = np.zeros((len(la) * len(lb), self.n_params))
            block[:, self._slices[f"{a}:{b}"]] = (ca[:, None, :, None] * cb[None, :, None, :]).reshape(
                len(la) * len(lb), -1)
            rows.append(block)
        if self.none:
            r = np.zeros((1, self.n_params))
            r[0, -1] = 1.0
            rows.append(r)
        return np.vstack(rows)

    def _level_codes(self, a: str) -> np.ndarray:
        lv = self.levels(a)
        if a in self.linear:
            return np.asarray(lv, float)[:, None]
        return self._code_index(a, np.arange(len(lv)))

    def attribute_level_slices(self) -> dict[str, slice]:
        """Positions of each attribute's levels within :attr:`level_columns`."""
        out, start = {}, 0
        for a in self.attributes:
            n = len(self.levels(a))
            out[a] = slice(start, start + n)
            start += n
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for tables and reports)."""
        attributes = {a: lv for a, lv in self.attributes.items() if not (self.alternatives and a == ASC)}
        return {"attributes": attributes, "price": self.price, "linear": list(self.linear),
                "none": self.none, "coding": self.coding, "interactions": [list(p) for p in self.interactions],
                "alternatives": None if self.alternatives is None else list(self.alternatives)}


def as_spec(spec: ChoiceSpec | Mapping[str, Any], **kwargs: Any) -> ChoiceSpec:
    """Accept a :class:`ChoiceSpec`, or a plain dict of attribute levels plus keywords."""
    if isinstance(spec, ChoiceSpec):
        if kwargs:
            raise TypeError("as_spec: keyword options only apply when `spec` is a dict of attributes")
        return spec
    spec = dict(spec)
    if "attributes" in spec and isinstance(spec["attributes"], Mapping):
        opts = {k: v for k, v in spec.items() if k != "attributes"}
        opts.update(kwargs)
        return ChoiceSpec(spec["attributes"], **opts)
    return ChoiceSpec(spec, **kwargs)


def level_key(level: Any) -> str:
    """Public form of the level-naming rule used in column names."""
    return _level_key(level)


def iter_level_names(spec: ChoiceSpec) -> Iterable[tuple[str, Any, str]]:
    """Yield ``(attribute, level, column name)`` for every level of every attribute."""
    for a in spec.attributes:
        for x in spec.levels(a):
            yield a, x, f"{a}.{_level_key(x)}"
