"""The one error type for bad input data, and the problems it carries.

Every check in :mod:`cvkit.data` collects :class:`Problem` records instead of
raising at the first one, so an analyst sees everything that is wrong with a
client's files in one pass. :class:`DataError` is raised once, at the end,
with all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Problem", "DataError"]

_MAX_MESSAGE = 2000  # characters of a problem's message or fix; the rest is cut in the middle


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Parameters
    ----------
    file : str
        The file (or data set name) the problem was found in.
    message : str
        What is wrong, in plain words.
    fix : str
        What the analyst should do about it.
    column : str, optional
        The column concerned, if any.
    rows : sequence of int, optional
        The first offending rows, as 1-based line numbers of the data rows
        (header excluded), so they match what a spreadsheet shows minus one.
    n_rows : int, optional
        How many rows are affected in total (``rows`` may show only the first few).
    """

    file: str
    message: str
    fix: str
    column: str | None = None
    rows: Sequence[int] = field(default_factory=tuple)
    n_rows: int | None = None
    row_label: str = "rows"  # "Excel rows" when ``rows`` are a workbook's own row numbers

    def __post_init__(self) -> None:
        # A message quotes cells; a 500 MB cell must not be echoed whole to a terminal or a log.
        for name in ("message", "fix"):
            text = getattr(self, name)
            if isinstance(text, str) and len(text) > _MAX_MESSAGE:
                cut = f" … ({len(text) - _MAX_MESSAGE:,} characters cut) … "
                object.__setattr__(self, name, text[:_MAX_MESSAGE // 2] + cut + text[-_MAX_MESSAGE // 4:])

    def __str__(self) -> str:
        where = self.file
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.rows:
            shown = ", ".join(str(r) for r in list(self.rows)[:5])
            total = self.n_rows if self.n_rows is not None else len(self.rows)
            more = f" (and {total - 5} more)" if total > 5 else ""
            where += f", {self.row_label} {shown}{more}"
        return f"{where}: {self.message} Fix: {self.fix}"


class DataError(ValueError):
    """Input data cannot be used as it is.

    Carries every :class:`Problem` found, so the message lists them all.
    Subclasses :class:`ValueError` so generic handlers still catch it.
    """

    def __init__(self, problems: Problem | Iterable[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            raise ValueError("DataError needs at least one Problem")
        super().__init__(self._format())

    def __reduce__(self):
        # Rebuild from the problems, not from the formatted message, so the error
        # survives pickling (e.g. from a worker process of `cvkit run --jobs`).
        return (self.__class__, (self.problems,))

    def _format(self) -> str:
        n = len(self.problems)
        head = "1 problem in the input data:" if n == 1 else f"{n} problems in the input data:"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])
