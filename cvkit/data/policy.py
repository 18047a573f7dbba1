"""What intake does with bad rows (:class:`IntakePolicy`) and how a file is described (:class:`FileSpec`).

Both are pydantic models with ``extra="forbid"`` so the engagement config can
embed them (``intake:`` and ``data.<kind>:``) and a misspelt key is an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cvkit.data.limits import Limits
from cvkit.data.wide import WideFormat

__all__ = ["IntakePolicy", "FileSpec", "Action"]

Action = Literal["error", "exclude"]


class IntakePolicy(BaseModel):
    """What to do with each kind of bad row.

    ``"error"`` (the default everywhere) reports the rows as a problem and the
    intake fails; ``"exclude"`` removes them, counts them and keeps the reason
    (shown in the overview notebook and written to ``excluded.csv``). Rows are
    never dropped silently. Problems with a whole file (missing column, mixed
    structure, unreadable file) are always errors.
    """

    model_config = ConfigDict(extra="forbid")

    missing_values: Action = Field(
        "error", description="Empty cells in a column that must be filled (IDs, dates, amounts, chosen).")
    unparsable_numbers: Action = Field(
        "error", description="Text in a numeric column (e.g. 'n.a.', '12 EUR', or '1.234,5' without the "
                             "decimal/thousands option), or a non-whole number in a whole-number column.")
    unparsable_dates: Action = Field(
        "error", description="Dates that do not parse with the file's date format (ISO 8601 by default), "
                             "including rows written in a different format from the rest.")
    negative_amounts: Action = Field(
        "error", description="Negative purchase amounts or acquisition costs (refunds should be netted "
                             "into the purchase they belong to).")
    out_of_range: Action = Field(
        "error", description="Values outside the column's scale, e.g. an NPS of 11 or satisfaction 0 "
                             "on a 1-10 scale.")
    duplicate_rows: Literal["error", "exclude", "keep"] = Field(
        "error", description="Rows identical in every column. 'exclude' keeps the first and removes the "
                             "copies; 'keep' accepts them (e.g. genuine identical purchases in a log "
                             "without transaction_id).")
    duplicate_ids: Action = Field(
        "error", description="Rows that share a key (customer_id in customers, respondent_id+brand in "
                             "survey, ...) but differ otherwise. 'exclude' keeps the first occurrence.")
    orphan_ids: Literal["error", "exclude", "keep"] = Field(
        "error", description="IDs that do not link across files: transactions/survey customers missing "
                             "from customers, choice respondents missing from survey. 'exclude' removes "
                             "the orphan rows; 'keep' accepts them.")
    invalid_choice_tasks: Action = Field(
        "error", description="Choice tasks with no chosen alternative or more than one; 'exclude' "
                             "removes every row of such a task.")
    future_dates: Action = Field(
        "error", description="Rows dated after the engagement's analysis_date (purchases, survey dates, "
                             "acquisition dates): a wrong date or a late export. 'exclude' removes them.")
    limits: Limits = Field(default_factory=Limits, description="Resource limits on the files (sizes, line "
                           "and cell lengths, columns); raise one for a genuine large file.")
    as_of: dt.date | None = Field(None, exclude=True, description="Set from analysis_date by the engagement "
                                  "config: dates after it are future-dated. Not read from YAML.")


class FileSpec(BaseModel):
    """One input file of an engagement, as written in ``engagement.yaml`` under ``data.<kind>``.

    Parameters
    ----------
    path : str
        File path; a relative path is resolved against the engagement folder.
    columns : dict of str to str
        Canonical column name -> the client's column name, for columns named
        differently in the file.
    sheet : str, optional
        Excel sheet name (default: the first sheet).
    date_format : str, optional
        ``strftime`` format of the dates in the file (e.g. ``"%d/%m/%Y"``);
        default ISO 8601 (``YYYY-MM-DD``).
    decimal : str
        Decimal mark of numbers in a CSV file: ``"."`` (default) or ``","``.
    thousands : str, optional
        Thousands separator used in numbers (``","``, ``"."``, ``" "`` or
        ``"'"``), removed before parsing. Default: none allowed.
    attributes : list of str, optional
        ``choice``: the attribute columns; ``utilities``: the level columns.
        Default: every column that is not a fixed column; when given, other
        columns are ignored. Ignored for the other data sets. For ``choice``
        it defaults to the attributes of ``analyses.discrete_choice.attributes``
        (one list for the whole engagement).
    wide : WideFormat, optional
        ``choice`` only: the file has one row per choice situation; how its
        columns map to alternatives (see :class:`cvkit.data.wide.WideFormat`).
        Intake reshapes it to the long format.
    """

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File path; relative paths resolve against the engagement folder.")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column name -> the file's column name, e.g. {customer_id: Kundennummer}.")
    sheet: str | None = Field(None, description="Excel sheet name (default: the first sheet).")
    date_format: str | None = Field(
        None, description="strftime format of the dates, e.g. '%d/%m/%Y' (default: ISO 8601 YYYY-MM-DD).")
    decimal: Literal[".", ","] = Field(".", description="Decimal mark of numbers: '.' or ','.")
    thousands: Literal[",", ".", " ", "'"] | None = Field(
        None, description="Thousands separator to remove before parsing (default: none allowed).")
    attributes: list[str] | None = Field(
        None, description="choice: the attribute columns; utilities: the level columns (default: every "
                          "column that is not a fixed one; when given, other columns are ignored).")
    wide: WideFormat | None = Field(
        None, description="choice only: one row per choice situation (wide format); how columns map to "
                          "alternatives. Intake reshapes it to one row per alternative.")

    @field_validator("thousands")
    @classmethod
    def _not_decimal(cls, v: str | None, info) -> str | None:
        if v is not None and v == info.data.get("decimal", "."):
            raise ValueError(f"thousands separator {v!r} cannot equal the decimal mark; "
                             "set decimal: ',' with thousands: '.' (or the reverse)")
        return v
