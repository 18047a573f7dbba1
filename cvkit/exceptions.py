"""Every error and warning cvkit raises, in one tree.

Catch :class:`CvkitError` to handle anything cvkit refuses; catch a leaf to handle one cause.
Each error also subclasses the built-in a generic handler would expect (``ValueError`` for bad
input, ``RuntimeError`` for a failed run), so code written before this tree keeps working::

    CvkitError (Exception)
    ├── DataError (ValueError)             input data cannot be used as it is; carries Problem records
    ├── ConfigError (ValueError)           engagement.yaml is not valid; lists every problem
    ├── ParameterError (ValueError)        a notebook parameter is unknown or has the wrong type
    ├── PrivacyError (ValueError)          pseudonymisation asked for but impossible (no/weak key)
    ├── FitError (ValueError)              the data cannot identify the model: it cannot be estimated
    ├── NotFittedError (ValueError, AttributeError)
    │                                      a fitted attribute or method was used before fit()
    ├── ResultsError (ValueError)          a results file or section breaks the results contract
    └── RunError (RuntimeError)            an engagement run failed; the previous deliverable is untouched

    CvkitWarning (UserWarning)
    ├── ConvergenceWarning                 an estimate stopped without clear evidence of a maximum
    └── ChoiceWarning                      choice data or a choice result deserves attention

``NotFittedError`` is an ``AttributeError`` so ``hasattr(model, "aic_")`` on an unfitted model
returns False, as in scikit-learn. ``FitError`` is not a ``DataError``: the data are readable and
valid, but a model cannot be estimated from them (collinear attributes, perfect separation, no
repeat buyers); the fix is a different model or more varied data, not a corrected file.

The errors are importable from where they were raised before this module existed
(``cvkit.data.DataError``, ``cvkit.clv.FitError``, ``cvkit.engagement.config.ConfigError`` ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CvkitError", "DataError", "Problem", "ConfigError", "ParameterError", "PrivacyError", "FitError",
    "NotFittedError", "ResultsError", "RunError", "CvkitWarning", "ConvergenceWarning", "ChoiceWarning",
]


_MAX_MESSAGE = 2000  # characters of a Problem's message or fix; the rest is cut in the middle


class CvkitError(Exception):
    """Base of every error cvkit raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file (the payload of :class:`DataError`).

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


class DataError(CvkitError, ValueError):
    """Input data cannot be used as it is.

    Carries every :class:`Problem` found, so the message lists them all.
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


class ConfigError(CvkitError, ValueError):
    """``engagement.yaml`` is not valid; the message lists every problem with its fix."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        head = f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the engagement config:"
        super().__init__("\n".join([head] + [f"  - {p}" for p in problems]))

    def __reduce__(self):
        return (self.__class__, (self.path, self.problems))


class ParameterError(CvkitError, ValueError):
    """A notebook parameter is unknown or has the wrong type (the message names it and the fix)."""


class PrivacyError(CvkitError, ValueError):
    """Pseudonymisation was asked for but cannot be done (no key, a weak key, a hash collision)."""


class FitError(CvkitError, ValueError):
    """The data cannot identify the model, so it cannot be estimated.

    Examples: no repeat buyers at all (CLV), collinear attributes or perfect separation (choice),
    too few respondents for the number of segments.
    """


class NotFittedError(CvkitError, ValueError, AttributeError):
    """An estimator was used before ``fit``; call ``fit(...)`` first."""


class ResultsError(CvkitError, ValueError):
    """A results file (or a section a notebook writes) does not follow the contract.

    The message names the file, the field and the fix.
    """


class RunError(CvkitError, RuntimeError):
    """A run failed; the previous deliverable is untouched.

    Attributes
    ----------
    notebook : str or None
        The notebook that failed, if the failure was inside one.
    cell : int or None
        Execution count of the failing cell: ``In [n]`` in the partial notebook, which also holds
        papermill's injected-parameters cell.
    partial : Path or None
        The partially executed notebook, kept for debugging.
    """

    def __init__(self, message: str, *, notebook: str | None = None, cell: int | None = None,
                 partial: Path | None = None):
        super().__init__(message)
        self.notebook = notebook
        self.cell = cell
        self.partial = partial


class CvkitWarning(UserWarning):
    """Base of every warning cvkit issues on purpose."""


class ConvergenceWarning(CvkitWarning):
    """A maximum-likelihood fit or a sampler stopped without clear evidence of a maximum / mixing."""


class ChoiceWarning(CvkitWarning):
    """Something in the choice data or a result deserves the analyst's attention."""
