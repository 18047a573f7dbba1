"""Data intake: read a client's files, check them against the schemas, report every problem.

Public API
----------
read_table(path, *, sheet=None)
    Read CSV (delimiter and encoding sniffed), Excel or Parquet as it is.
SCHEMAS, Schema, Column
    The data sets (``customers``, ``transactions``, ``survey``, ``needs``,
    ``choice``, ``utilities``): columns, types, ranges. The analyst-facing data
    dictionary is ``templates/data/README.md``.
IntakePolicy, FileSpec
    What to do with bad rows (``intake:`` in ``engagement.yaml``) and how one
    file is described (``data.<kind>:``).
load(kind, path, ...) -> LoadedTable
    One data set in canonical form, or :class:`DataError` listing every problem.
intake(files, *, policy=None, base_dir=None) -> Intake
    Every data set of an engagement plus cross-file ID checks; collects all
    problems, never raises for bad data.
Problem, DataError
    What is wrong (file, column, rows, fix) and the error that carries them.
"""

from cvkit.data.errors import DataError, Problem
from cvkit.data.intake import Intake, intake
from cvkit.data.load import LoadedTable, load
from cvkit.data.policy import FileSpec, IntakePolicy
from cvkit.data.readers import NA_MARKERS, read_table
from cvkit.data.schemas import SCHEMAS, Column, Schema, element_slugs

__all__ = [
    "read_table", "load", "intake", "LoadedTable", "Intake", "SCHEMAS", "Schema", "Column",
    "IntakePolicy", "FileSpec", "Problem", "DataError", "NA_MARKERS", "element_slugs",
]
