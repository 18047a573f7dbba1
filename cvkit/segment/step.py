"""What one step of an analysis shows in its notebook cell and hands to the run's outputs.

A :class:`Step` is data: the tables, figures, files and key figures the step produced, plus what
the cell shows, in order. The analyses never import the engagement machinery, so a step does not
write anything itself: the notebook passes it to the run's outputs
(``out.write(step)``, :meth:`cvkit.engagement.outputs.Outputs.write`), which writes what it
carries and returns it, and the cell displays it. An empty step (a step of an analysis that does
not apply to the engagement) writes nothing and displays nothing: its cell has no output at all.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

__all__ = ["Step"]


class Step:
    """The result of one notebook step: what to write and what to show.

    Attributes
    ----------
    tables : dict of str -> DataFrame
        Tables to write, by output name (``tables/<analysis>/<name>.csv``).
    figures : dict of str -> Axes
        Figures to write, by output name.
    files : dict of str -> (callable, dict)
        Files that are not tables (``name.ext`` -> ``write(path, **options)`` and its options).
    texts : dict of str -> str
        Text files (``name.ext`` -> content).
    results : list of (key, value, unit, label)
        Key figures for the analysis's results file.
    section : dict, optional
        Keyword arguments of the analysis's results-section builder (e.g.
        ``SegmentationResults.from_tables``); None when the step has no section.
    """

    def __init__(self) -> None:
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict[str, Any] = {}
        self.files: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
        self.texts: dict[str, str] = {}
        self.results: list[tuple[str, Any, str | None, str | None]] = []
        self.section: dict[str, Any] | None = None
        self._shown: list[tuple[str, Any, dict[str, Any]]] = []
        # True for a step of an analysis that does not apply to the engagement: it shows nothing, and
        # the client version of the page leaves its section out (cvkit.present.not_applicable).
        self.not_applicable = False

    @classmethod
    def not_applying(cls) -> Step:
        """An empty step whose section does not apply to this engagement."""
        step = cls()
        step.not_applicable = True
        return step

    # --- what the cell shows, in order ---------------------------------------------------------
    def print(self, text: str) -> Step:
        """Show ``text`` as console lines (as ``print`` in the cell did)."""
        self._shown.append(("text", str(text), {}))
        return self

    def show(self, table: pd.DataFrame | pd.Series, **options: Any) -> Step:
        """Show ``table`` as a client table (:func:`cvkit.present.show` with ``options``)."""
        self._shown.append(("table", table, options))
        return self

    def markdown(self, text: str) -> Step:
        """Show ``text`` as Markdown."""
        self._shown.append(("markdown", text, {}))
        return self

    def figure(self, ax: Any, name: str | None = None) -> Step:
        """Show the figure of ``ax`` here; with ``name`` also write it as that output."""
        if name is not None:
            self.figures[name] = ax
        self._shown.append(("figure", ax, {}))
        return self

    # --- what the run's outputs write ----------------------------------------------------------
    def table(self, df: pd.DataFrame, name: str) -> pd.DataFrame:
        """Write ``df`` as the output ``name``; returns ``df`` (as ``Outputs.table``)."""
        self.tables[name] = df
        return df

    def file(self, name: str, write: Callable[..., Any], **options: Any) -> None:
        """Write a file that is not a table: ``write(path, **options)``."""
        self.files[name] = (write, options)

    def text(self, name: str, text: str) -> None:
        """Write ``text`` as the file ``name``."""
        self.texts[name] = text

    def result(self, key: str, value: Any, *, unit: str | None = None, label: str | None = None) -> Any:
        """Record a key figure for the results file; returns ``value``."""
        self.results.append((key, value, unit, label))
        return value

    # --- display ----------------------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        """True when the step shows and writes nothing."""
        return not (self._shown or self.tables or self.figures or self.files or self.texts or self.results
                    or self.section is not None)

    def _ipython_display_(self) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display

        from cvkit.present import not_applicable, show

        if self.not_applicable and not self._shown:
            not_applicable("")  # nothing to read: only the mark that drops the section from the client page
            return
        for kind, payload, options in self._shown:
            if kind == "text":
                print(payload)
            elif kind == "table":
                show(payload, **options)
            elif kind == "markdown":
                display(Markdown(payload))
            else:
                plt.show()

    def __repr__(self) -> str:
        shown = ", ".join(kind for kind, _, _ in self._shown) or "nothing"
        return f"Step(shows: {shown}; writes: {sorted([*self.tables, *self.figures, *self.files, *self.texts])})"
