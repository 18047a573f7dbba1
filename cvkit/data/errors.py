"""The error type for bad input data and the problems it carries (defined in :mod:`cvkit.exceptions`).

Every check in :mod:`cvkit.data` collects :class:`Problem` records instead of
raising at the first one, so an analyst sees everything that is wrong with a
client's files in one pass. :class:`DataError` is raised once, at the end,
with all of them.
"""

from cvkit.exceptions import DataError, Problem

__all__ = ["Problem", "DataError"]
