"""The market simulator saved with a run, so it can be served again without re-estimating.

The discrete-choice notebook calls :func:`save_simulator` in its exports cell; it writes two tables
next to the other choice tables of the run:

``tables/choice/respondent_utilities.csv``
    ``respondent_id``, an optional ``weight``, then one column per level (``<attribute>.<level>``,
    the :attr:`ChoiceSpec.level_columns`) and ``none``: the **raw logit-scale** utilities the
    simulator uses (``respondent_partworths.csv`` holds zero-centred diffs on another scale, which
    would give different shares).
``tables/choice/simulator_setup.csv``
    ``setting``, ``value`` (JSON text, so numbers stay numbers), ``description``: the attribute
    definitions, the base scenario, costs, market size and simulation method.

:func:`load_simulator` reads both back into a :class:`SavedSimulator` (``cvkit simulator`` serves it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cvkit.choice.utilities import Utilities
from cvkit.data.formulas import restore_frame
from cvkit.jsonable import json_default
from cvkit.choice.simulator import Product, Simulator
from cvkit.choice.spec import ChoiceSpec

__all__ = ["SavedSimulator", "save_simulator", "load_simulator", "UTILITIES_TABLE", "SETUP_TABLE"]

UTILITIES_TABLE = "respondent_utilities"
SETUP_TABLE = "simulator_setup"
_SETTINGS = {
    "spec": "attribute definitions (levels, price, linear attributes, none option, coding)",
    "products": "base scenario: one product per entry with a level per attribute",
    "client_products": "names of the client's products",
    "unit_costs": "yearly cost per member: base plus the extra cost of each level",
    "market_size": "customers the shares apply to (revenue and profit)",
    "method": "simulation method: share, first_choice or rfc",
    "currency": "ISO 4217 code of prices and costs",
    "client_name": "client name shown in the app",
    "seed": "random seed of randomized first choice",
}


@dataclass
class SavedSimulator:
    """A run's market simulator and its base scenario.

    Attributes
    ----------
    simulator : Simulator
    products : list of dict
        Base scenario, one dict per product (``name`` plus a level per attribute).
    client_products : list of str
    unit_costs : dict of str to float
        ``base`` plus the extra yearly cost of levels (``"delivery.same_day"``), in ``currency``.
    market_size : float
        Customers the shares apply to.
    method : str
        ``"share"``, ``"first_choice"`` or ``"rfc"``.
    currency : str
    client_name : str
    seed : int
    """

    simulator: Simulator
    products: list[dict[str, Any]]
    client_products: list[str] = field(default_factory=list)
    unit_costs: dict[str, float] = field(default_factory=dict)
    market_size: float = 1.0
    method: str = "share"
    currency: str = "EUR"
    client_name: str = ""
    seed: int = 0

    @property
    def spec(self) -> ChoiceSpec:
        return self.simulator.spec

    def table(self, products: list[Product] | None = None, *, method: str | None = None) -> pd.DataFrame:
        """Shares, revenue and profit of a scenario (default: the base scenario).

        Returns
        -------
        DataFrame
            One row per product and ``None``: the levels, ``share`` (0..1), ``price``, ``unit_cost``,
            ``revenue`` and ``profit`` (currency per year, for ``market_size`` customers).
        """
        products = self.products if products is None else products
        method = method or self.method
        kwargs = {"seed": self.seed} if method == "rfc" else {}
        money = self.simulator.revenue(products, unit_costs=self.unit_costs, market_size=self.market_size,
                                       method=method, **kwargs) if self.spec.price else None
        shares = self.simulator.shares(products, method=method, **kwargs)
        levels = pd.DataFrame([{a: p[a] for a in self.spec.attributes} for p in products],
                              index=[str(p.get("name", f"Product {i + 1}")) for i, p in enumerate(products)])
        table = levels.reindex(list(shares.index))
        table["share"] = shares
        if money is not None:
            for col in ("price", "unit_cost", "revenue", "profit"):
                table[col] = money[col].reindex(table.index)
        table.index.name = "product"
        return table


def save_simulator(out, utilities: Utilities, products: list[Product], *, client_products: list[str] = (),
                   unit_costs: dict[str, float] | None = None, market_size: float = 1.0, method: str = "share",
                   currency: str = "EUR", client_name: str = "", seed: int = 0) -> None:
    """Write the simulator's utilities and setup as tables of the run (see the module docstring).

    Parameters
    ----------
    out : cvkit.engagement.outputs.Outputs
        The choice analysis's outputs (nothing is written when it has no output folder).
    utilities : Utilities
        Respondent utilities, level basis, logit scale.
    products, client_products, unit_costs, market_size, method, currency, client_name, seed
        The base scenario and the simulator settings, as in the notebook's parameters.
    """
    Simulator(utilities).shares(products)  # fail here, naming the product, rather than when the app starts
    values = utilities.values.copy()
    if utilities.weights is not None:
        values.insert(0, "weight", utilities.weights)
    out.table(values.reset_index(), UTILITIES_TABLE)
    settings = {"spec": utilities.spec.to_dict(), "products": [dict(p) for p in products],
                "client_products": list(client_products), "unit_costs": dict(unit_costs or {}),
                "market_size": float(market_size), "method": method, "currency": currency,
                "client_name": client_name, "seed": int(seed)}
    rows = [{"setting": k, "value": json.dumps(v, default=json_default), "description": _SETTINGS[k]}
            for k, v in settings.items()]
    out.table(pd.DataFrame(rows), SETUP_TABLE)


def load_simulator(tables_dir: str | Path) -> SavedSimulator:
    """Rebuild a run's market simulator from its saved tables.

    Parameters
    ----------
    tables_dir : str or Path
        ``<run>/tables/choice`` (or the run folder itself).

    Raises
    ------
    FileNotFoundError
        When the tables are missing (the run predates them or the choice analysis did not run).
    ValueError
        When a table is malformed; the message names the file and what is wrong.
    """
    folder = Path(tables_dir)
    if (folder / "tables" / "choice").is_dir():
        folder = folder / "tables" / "choice"
    paths = {name: folder / f"{name}.csv" for name in (UTILITIES_TABLE, SETUP_TABLE)}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no {' or '.join(missing)}: this run has no saved market simulator "
                                "(the discrete-choice analysis did not run, or the run predates the simulator "
                                "export). Fix: run the engagement again with `cvkit run CONFIG`.")
    setup_path = paths[SETUP_TABLE]
    setup = restore_frame(pd.read_csv(setup_path, dtype=str, keep_default_na=False))
    if not {"setting", "value"} <= set(setup.columns):
        raise ValueError(f"{setup_path}: expected columns setting, value; found {list(setup.columns)}. Fix: "
                         "rerun the engagement to rewrite it.")
    settings: dict[str, Any] = {}
    for row, (key, text) in enumerate(zip(setup["setting"], setup["value"]), start=2):
        try:
            settings[key] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{setup_path}, row {row} ({key}): the value is not valid JSON ({exc.msg}). Fix: "
                             "rerun the engagement to rewrite the file.") from None
    absent = [k for k in ("spec", "products") if k not in settings]
    if absent:
        raise ValueError(f"{setup_path}: settings {absent} are missing. Fix: rerun the engagement.")
    spec_dict = dict(settings["spec"])
    spec_dict["interactions"] = [tuple(p) for p in spec_dict.get("interactions", [])]
    spec = ChoiceSpec(**spec_dict)
    util_path = paths[UTILITIES_TABLE]
    table = restore_frame(pd.read_csv(util_path, dtype={"respondent_id": str}))
    absent = [c for c in ["respondent_id", *spec.level_columns] if c not in table.columns]
    if absent:
        raise ValueError(f"{util_path}: column(s) {absent} are missing for the attribute definitions in "
                         f"{setup_path.name}. Fix: rerun the engagement so both files come from the same run.")
    values = table.set_index("respondent_id")[spec.level_columns].astype(float)
    if not np.isfinite(values.to_numpy()).all():
        bad = int((~np.isfinite(values.to_numpy())).any(axis=1).argmax()) + 2
        raise ValueError(f"{util_path}, row {bad}: empty or non-numeric utilities. Fix: rerun the engagement.")
    weights = table["weight"].to_numpy(float) if "weight" in table.columns else None
    sim = Simulator(Utilities(spec, values, weights=weights, source="saved"))
    products = [dict(p) for p in settings["products"]]
    sim.shares(products)  # a scenario that no longer fits the utilities fails now, with the simulator's message
    return SavedSimulator(simulator=sim, products=products,
                          client_products=list(settings.get("client_products", [])),
                          unit_costs={str(k): float(v) for k, v in settings.get("unit_costs", {}).items()},
                          market_size=float(settings.get("market_size", 1.0)),
                          method=str(settings.get("method", "share")),
                          currency=str(settings.get("currency", "EUR")),
                          client_name=str(settings.get("client_name", "")), seed=int(settings.get("seed", 0)))
