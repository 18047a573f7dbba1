"""Interactive market simulator for client workshops (ipywidgets).

One dropdown per attribute per product and a live bar chart of shares. In an
executed notebook viewed without a kernel the widget cannot run, so the
notebook shows :func:`scenario_table` for the same scenario right above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from cvkit.choice.simulator import Product, Simulator

__all__ = ["simulator_widget", "scenario_table"]


def scenario_table(sim: Simulator, products: Sequence[Product], **kwargs: Any) -> pd.DataFrame:
    """The products' levels with their shares: the static stand-in for the widget.

    Returns
    -------
    DataFrame
        One row per product (and None): its levels and ``share`` (%).
    """
    shares = sim.shares(products, **kwargs)
    rows = [{"product": str(p.get("name", f"Product {i + 1}")), **{a: p[a] for a in sim.spec.attributes}}
            for i, p in enumerate(products)]
    table = pd.DataFrame(rows).set_index("product")
    table = table.reindex(list(shares.index))
    table["share (%)"] = (100 * shares).round(1)
    return table


def simulator_widget(sim: Simulator, products: Sequence[Product], *, client_products: Sequence[str] = (),
                     **kwargs: Any):
    """A live simulator: change a dropdown, the share chart updates.

    Parameters
    ----------
    sim : Simulator
    products : list of dict
        Starting scenario.
    client_products : list of str
        Product names drawn in the client colour.
    **kwargs
        Passed to :meth:`Simulator.shares` (``method``, ``none``, ``scale``...).

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as w

    from cvkit.choice.plots import plot_shares

    spec = sim.spec
    state = [dict(p) for p in products]
    out = w.Output()
    message = w.HTML()

    def options(attribute: str, current: Any) -> list:
        levels = list(spec.levels(attribute))
        if spec.is_numeric(attribute) and all(float(current) != float(x) for x in levels):
            levels = sorted(levels + [current])  # keep an interpolated price such as 59 selectable
        return [(str(x), x) for x in levels]

    def redraw(*_: Any) -> None:
        # Set the Output's content through its state (append_display_data) rather than by capturing
        # display() inside `with out:`: capture plus clear_output(wait=True) can leave nbclient/papermill
        # waiting forever when the notebook is executed without a browser.
        try:
            shares = sim.shares(state, **kwargs)
        except ValueError as exc:  # an impossible scenario: say why instead of a traceback
            message.value = f"<b>Cannot simulate:</b> {exc}"
            return
        message.value = ""
        fig, ax = plt.subplots(figsize=(7, 3.5))
        plot_shares(shares, client_products=client_products, ax=ax)
        ax.set_title("Simulated shares")
        out.outputs = ()
        out.append_display_data(fig)
        plt.close(fig)  # shown once inside the Output, not again at the end of the cell

    columns = []
    for i, prod in enumerate(state):
        boxes = [w.HTML(f"<b>{prod.get('name', f'Product {i + 1}')}</b>")]
        for a in spec.attributes:
            opts = options(a, prod[a])
            dd = w.Dropdown(options=opts, value=_match(prod[a], [v for _, v in opts]), description=a,
                            layout=w.Layout(width="260px"), style={"description_width": "70px"})

            def on_change(change, i=i, a=a):
                state[i][a] = change["new"]
                redraw()

            dd.observe(on_change, names="value")
            boxes.append(dd)
        columns.append(w.VBox(boxes))
    redraw()
    return w.VBox([w.HBox(columns), message, out])


def _match(value: Any, levels: Sequence[Any]) -> Any:
    for x in levels:
        if str(x) == str(value) or (not isinstance(x, str) and not isinstance(value, str) and float(x) == float(value)):
            return x
    return levels[0]
