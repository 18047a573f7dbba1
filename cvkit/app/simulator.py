"""The workshop market simulator: dropdowns per product attribute, live shares and revenue, saved scenarios.

Built from a run's saved simulator (:func:`cvkit.choice.load_simulator`), so nothing is re-estimated;
served code-free by Voilà (``cvkit simulator CONFIG``) and usable in any notebook::

    from cvkit.app import SimulatorApp
    SimulatorApp.from_run("outputs/demo").widget

CSS classes on the widgets (``cvkit-level-<i>-<attribute>``, ``cvkit-shares``, ``cvkit-save``,
``cvkit-compare``, ``cvkit-download``) give the browser tests and workshop facilitators stable handles.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from cvkit.choice.saved import SavedSimulator, load_simulator

__all__ = ["SimulatorApp", "RUN_ENV", "simulator_app"]

#: Environment variable through which ``cvkit simulator`` tells the app notebook which run to serve.
RUN_ENV = "CVKIT_SIMULATOR_RUN"
_METHODS = {"share": "share of preference", "rfc": "randomized first choice", "first_choice": "first choice"}


class SimulatorApp:
    """Interactive what-if simulator on a saved run.

    Parameters
    ----------
    saved : SavedSimulator
        The run's simulator and base scenario.

    Attributes
    ----------
    products : list of dict
        The current scenario (changed by the dropdowns).
    scenarios : dict of str to list of dict
        Saved scenarios by name; ``"Base"`` is the run's base scenario.
    widget : ipywidgets.VBox
        The app, ready to display.
    """

    def __init__(self, saved: SavedSimulator):
        import ipywidgets as w

        self.saved = saved
        self.products = [dict(p) for p in saved.products]
        self.scenarios: dict[str, list[dict[str, Any]]] = {"Base": [dict(p) for p in saved.products]}
        self.method = saved.method if saved.method in _METHODS else "share"
        spec = saved.spec
        self._dropdowns: list[dict[str, Any]] = []
        columns = []
        for i, prod in enumerate(self.products):
            name = str(prod.get("name", f"Product {i + 1}"))
            own = " (client)" if name in saved.client_products else ""
            boxes = [w.HTML(f"<b>{html.escape(name)}</b>{own}")]
            row = {}
            for a in spec.attributes:
                options = self._options(a, prod[a])
                dd = w.Dropdown(options=options, value=_match(prod[a], [v for _, v in options]), description=a,
                                layout=w.Layout(width="270px"), style={"description_width": "75px"})
                dd.add_class(f"cvkit-level-{i}-{a}")
                dd.observe(lambda change, i=i, a=a: self._set(i, a, change["new"]), names="value")
                row[a] = dd
                boxes.append(dd)
            self._dropdowns.append(row)
            box = w.VBox(boxes, layout=w.Layout(border="1px solid #ddd", padding="6px", margin="0 8px 0 0"))
            box.add_class(f"cvkit-product-{i}")
            columns.append(box)
        self._method = w.Dropdown(options=[(v, k) for k, v in _METHODS.items()], value=self.method,
                                  description="method", style={"description_width": "75px"},
                                  layout=w.Layout(width="320px"))
        self._method.add_class("cvkit-method")
        self._method.observe(self._set_method, names="value")
        self.shares_html = w.HTML()
        self.shares_html.add_class("cvkit-shares")
        self.message = w.HTML()
        self.chart = w.Output()
        self.chart.add_class("cvkit-chart")
        self.name_box = w.Text(value="Scenario 1", description="name", style={"description_width": "45px"},
                               layout=w.Layout(width="250px"))
        self.name_box.add_class("cvkit-scenario-name")
        save = w.Button(description="Save scenario", icon="save", button_style="primary")
        save.add_class("cvkit-save")
        save.on_click(lambda _: self.save_scenario(self.name_box.value))
        reset = w.Button(description="Back to base", icon="undo")
        reset.add_class("cvkit-reset")
        reset.on_click(lambda _: self.reset())
        self.compare_html = w.HTML()
        self.compare_html.add_class("cvkit-compare")
        self.download = w.HTML()
        self.download.add_class("cvkit-download")
        title = saved.client_name or "the client"
        header = w.HTML(
            f"<h2>Market simulator: {html.escape(title)}</h2>"
            "<p>Change a product's levels: the shares of preference and the revenue update at once. Shares are "
            "<i>preference</i> shares (full awareness and availability, competitors fixed): use them to compare "
            "scenarios, not as a sales forecast. Save a scenario to compare it with the base; download the "
            "comparison as CSV.</p>")
        self.widget = w.VBox([
            header, w.HBox(columns), self._method, self.message,
            w.HBox([self.shares_html, self.chart]),
            w.HTML("<h3>Scenarios</h3>"), w.HBox([self.name_box, save, reset]), self.compare_html, self.download,
        ])
        self.widget.add_class("cvkit-simulator")
        self.refresh()
        self._refresh_scenarios()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_run(cls, run_dir: str | Path) -> "SimulatorApp":
        """The app on a run folder (``<output_dir>/<slug>``) or its ``tables/choice`` folder."""
        return cls(load_simulator(run_dir))

    def _options(self, attribute: str, current: Any) -> list[tuple[str, Any]]:
        spec = self.saved.spec
        levels = list(spec.levels(attribute))
        if spec.is_numeric(attribute) and all(float(current) != float(x) for x in levels):
            levels = sorted(levels + [current])  # keep a base price between the design's points selectable
        return [(_label(x, attribute == spec.price, self.saved.currency), x) for x in levels]

    # ------------------------------------------------------------------ state
    def set_level(self, product: int, attribute: str, level: Any) -> None:
        """Set a product's level through its dropdown (as a workshop participant would); the app updates.

        Raises
        ------
        ValueError
            When the level is not offered for that attribute.
        """
        dd = self._dropdowns[product][attribute]
        values = [v for _, v in dd.options]
        if all(str(v) != str(level) for v in values):
            raise ValueError(f"{attribute} = {level!r} is not offered. Fix: use one of {values}.")
        dd.value = _match(level, values)

    def _set(self, i: int, attribute: str, value: Any) -> None:
        self.products[i][attribute] = value
        self.refresh()

    def _set_method(self, change: dict) -> None:
        self.method = change["new"]
        self.refresh()
        self._refresh_scenarios()

    def table(self, products: list[dict[str, Any]] | None = None) -> pd.DataFrame:
        """Shares (0..1), revenue and profit of a scenario (default: the current one)."""
        return self.saved.table(self.products if products is None else products, method=self.method)

    def refresh(self) -> None:
        """Recompute the current scenario and redraw its table and chart."""
        try:
            table = self.table()
        except ValueError as exc:  # an impossible scenario: say why instead of a traceback
            self.message.value = f"<b>Cannot simulate:</b> {html.escape(str(exc))}"
            return
        self.message.value = ""
        self.shares_html.value = _shares_html(table, self.saved, self.method)
        fig, axes = plt.subplots(1, 2 if "revenue" in table else 1, figsize=(9, 3.4), squeeze=False)
        _bars(axes[0, 0], 100 * table["share"], self.saved.client_products,
              f"simulated share (%): {_METHODS[self.method]}", "{:.1f}%")
        if "revenue" in table:
            revenue = table["revenue"].drop(index="None", errors="ignore") / 1e3
            _bars(axes[0, 1], revenue, self.saved.client_products,
                  f"revenue per year (thousand {self.saved.currency})", "{:,.0f}")
        fig.tight_layout()
        self.chart.outputs = ()
        # Set the Output's state rather than capturing display() in `with out:`, which can hang kernels
        # driven without a browser (see cvkit.choice.widget).
        self.chart.append_display_data(fig)
        plt.close(fig)

    def save_scenario(self, name: str) -> None:
        """Save the current scenario under ``name`` (replacing one of the same name)."""
        name = (name or "").strip() or f"Scenario {len(self.scenarios)}"
        self.scenarios[name] = [dict(p) for p in self.products]
        self.name_box.value = f"Scenario {len(self.scenarios)}"
        self._refresh_scenarios()

    def reset(self) -> None:
        """Put every dropdown back to the base scenario."""
        for i, prod in enumerate(self.saved.products):
            for a, dd in self._dropdowns[i].items():
                dd.value = _match(prod[a], [v for _, v in dd.options])

    def comparison(self) -> pd.DataFrame:
        """Every saved scenario, long form: one row per scenario and product.

        Returns
        -------
        DataFrame
            ``scenario``, ``product``, the levels, ``share`` (%), ``revenue`` and ``profit`` (currency/year).
        """
        frames = []
        for name, products in self.scenarios.items():
            t = self.table(products).reset_index()
            t.insert(0, "scenario", name)
            t["share"] = 100 * t["share"]
            frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        return out.rename(columns={"share": "share (%)"})

    def comparison_csv(self, comparison: pd.DataFrame | None = None) -> str:
        """The scenario table as offered for download: shares to 0.001 points, money to the cent."""
        comp = self.comparison() if comparison is None else comparison
        digits = {"share (%)": 3, "price": 2, "unit_cost": 2, "revenue": 2, "profit": 2}
        return comp.round({k: v for k, v in digits.items() if k in comp}).to_csv(index=False)

    def _refresh_scenarios(self) -> None:
        try:
            comp = self.comparison()
        except ValueError as exc:
            self.message.value = f"<b>Cannot simulate:</b> {html.escape(str(exc))}"
            return
        parts = []
        measures = [("share (%)", f"Simulated share (%) by scenario ({_METHODS[self.method]})", "{:.1f}"),
                    ("revenue", f"Revenue per year ({self.saved.currency}) by scenario", "{:,.0f}"),
                    ("profit", f"Profit per year ({self.saved.currency}) by scenario", "{:,.0f}")]
        for column, title, fmt in measures:
            if column not in comp:
                continue
            wide = comp[comp["product"] != "None"] if column != "share (%)" else comp
            wide = wide.pivot(index="product", columns="scenario", values=column)
            wide = wide.reindex(index=[p for p in dict.fromkeys(comp["product"]) if p in wide.index],
                                columns=list(self.scenarios))
            parts.append(f"<p>{html.escape(title)}</p>"
                         + wide.to_html(float_format=lambda v, f=fmt: f.format(v), classes="cvkit-table"))
        self.compare_html.value = "".join(parts)
        csv = self.comparison_csv(comp).encode("utf-8")
        href = "data:text/csv;base64," + base64.b64encode(csv).decode("ascii")
        self.download.value = (f'<a download="simulator_scenarios.csv" href="{href}">Download the scenario table '
                               f"(CSV, {len(self.scenarios)} scenarios)</a>")


def simulator_app(run_dir: str | Path | None = None):
    """The app's widget for the Voilà notebook: the run from ``run_dir`` or ``$CVKIT_SIMULATOR_RUN``.

    Returns
    -------
    ipywidgets.Widget
        The simulator, or an explanation of what is missing.
    """
    import ipywidgets as w

    run = run_dir or os.environ.get(RUN_ENV, "")
    if not run:
        return w.HTML(f"<b>No run to simulate.</b> Start the app with <code>cvkit simulator CONFIG</code> "
                      f"(or set {RUN_ENV} to a run folder).")
    try:
        return SimulatorApp.from_run(run).widget
    except (FileNotFoundError, ValueError) as exc:
        return w.HTML(f"<b>The simulator cannot start:</b> {html.escape(str(exc))}")


def _label(x: Any, is_price: bool, currency: str) -> str:
    if is_price:
        return f"{float(x):,.2f} {currency}".replace(".00 ", " ")
    return str(x).replace("_", " ")


def _match(value: Any, levels: list[Any]) -> Any:
    for x in levels:
        if str(x) == str(value) or (not isinstance(x, str) and not isinstance(value, str) and float(x) == float(value)):
            return x
    return levels[0]


def _shares_html(table: pd.DataFrame, saved: SavedSimulator, method: str) -> str:
    rows = []
    for name, r in table.iterrows():
        cells = [f"<td>{html.escape(str(name))}</td>", f'<td class="share">{100 * r["share"]:.1f}%</td>']
        if "revenue" in table:
            rev, prof = ("", "") if name == "None" else (f"{r['revenue']:,.0f}", f"{r['profit']:,.0f}")
            cells += [f"<td>{rev}</td>", f"<td>{prof}</td>"]
        style = ' style="font-weight:bold"' if name in saved.client_products else ""
        rows.append(f'<tr data-product="{html.escape(str(name))}"{style}>{"".join(cells)}</tr>')
    head = "<th>product</th><th>share</th>"
    if "revenue" in table:
        head += f"<th>revenue ({saved.currency}/yr)</th><th>profit ({saved.currency}/yr)</th>"
    return (f'<table class="cvkit-table" style="margin-right:16px"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table><p><small>{saved.market_size:,.0f} potential customers; "
            f"{_METHODS.get(method, method)}.</small></p>")


def _bars(ax, values: pd.Series, client: list[str], title: str, fmt: str) -> None:
    from cvkit.plot import CLIENT_COLOR, COMPETITOR_COLORS

    # The house palette: the client in its colour, competitors muted, "None" lightest (as in notebook 02).
    colours = [CLIENT_COLOR if name in client else ("0.75" if name == "None" else COMPETITOR_COLORS[0])
               for name in values.index]
    ax.barh(list(values.index)[::-1], values.to_numpy()[::-1], color=colours[::-1])
    for y, v in enumerate(values.to_numpy()[::-1]):
        ax.annotate(fmt.format(v), (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_title(title)
    ax.margins(x=0.18)
    if title.startswith("simulated share"):  # a fixed 0-100% axis: bars compare across scenarios
        ax.set_xlim(0, 100)
