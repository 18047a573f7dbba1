"""Load one data set: read, map columns, convert types, check values, apply the policy.

Everything here is vectorised (a transaction log can have millions of rows):
each check builds a boolean mask over the rows, and a mask either becomes a
:class:`~cvkit.data.Problem` (policy ``"error"``) or marks the rows for
exclusion with a reason (policy ``"exclude"``). All problems of a file are
collected before anything is raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cvkit.data.errors import DataError, Problem
from cvkit.data.policy import IntakePolicy
from cvkit.data.readers import normalise_name, read_table
from cvkit.data.checker import MAX_ROWS_SHOWN, _Checker, _clean, _did_you_mean, _quote_list
from cvkit.data.schemas import SCHEMAS, Column, Schema
from cvkit.data.wide import WideFormat, wide_columns, wide_to_long

__all__ = ["load", "LoadedTable", "MAX_ROWS_SHOWN"]

@dataclass
class LoadedTable:
    """One data set after intake.

    Attributes
    ----------
    kind : str
        Data set name (a key of :data:`~cvkit.data.SCHEMAS`).
    source : str
        Path of the file it was read from.
    df : DataFrame
        Canonical columns with normalised dtypes (IDs ``str``, dates
        ``datetime64``, numbers ``float64``/``Int64``, flags ``bool``,
        categories ``category``); absent optional columns are added empty;
        free columns (conjoint attributes, utility levels) follow the fixed ones.
        Index: a fresh ``RangeIndex``.
    excluded : DataFrame
        Rows removed by the policy: ``row`` (1-based data-row number in the
        file, header excluded), ``reason``, then the row's cells as text.
    columns_found : list of str
        Canonical (and free) columns present in the file.
    ignored_columns : list of str
        Columns of the file that are not part of the schema and were dropped
        (e.g. e-mail addresses in a CRM extract).
    read_info : dict
        How the file was read (format, encoding, delimiter, sheet, header row).
    """

    kind: str
    source: str
    df: pd.DataFrame
    excluded: pd.DataFrame
    columns_found: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    read_info: dict[str, Any] = field(default_factory=dict)
    # 1-based data-row number in the file of each row of df (for later exclusions).
    row_numbers: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)

    @property
    def n_rows(self) -> int:
        """Rows loaded (after exclusions)."""
        return len(self.df)

    @property
    def n_excluded(self) -> int:
        """Rows removed by the intake policy."""
        return len(self.excluded)

    @property
    def schema(self) -> Schema:
        """The :class:`~cvkit.data.Schema` of this data set."""
        return SCHEMAS[self.kind]

    def exclude(self, mask: np.ndarray | pd.Series, reason: str) -> int:
        """Move the rows of ``df`` selected by ``mask`` to ``excluded`` with ``reason``.

        Used by cross-file checks (orphan IDs). Returns how many rows moved.
        """
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n == 0:
            return 0
        gone = self.df.loc[mask].astype("str").where(self.df.loc[mask].notna())
        gone.insert(0, "reason", reason)
        gone.insert(0, "row", self.row_numbers[mask])
        self.excluded = (pd.concat([self.excluded, gone], ignore_index=True)
                         .sort_values("row", kind="stable").reset_index(drop=True))
        self.df = self.df.loc[~mask].reset_index(drop=True)
        self.row_numbers = self.row_numbers[~mask]
        return n


def load(kind: str, path: str | Path, *, columns: dict[str, str] | None = None,
         policy: IntakePolicy | None = None, name: str | None = None, date_format: str | None = None,
         sheet: str | None = None, decimal: str = ".", thousands: str | None = None,
         attributes: Sequence[str] | None = None, wide: WideFormat | None = None) -> LoadedTable:
    """Read one data file, check it against its schema and return it in canonical form.

    Parameters
    ----------
    kind : str
        Data set: ``customers``, ``transactions``, ``survey``, ``needs``,
        ``choice`` or ``utilities`` (see :data:`~cvkit.data.SCHEMAS` and
        ``templates/data/README.md``).
    path : str or Path
        CSV, Excel (.xlsx) or Parquet file. Opened read-only, never modified.
    columns : dict of str to str, optional
        Canonical column name -> the file's column name, for columns named
        differently. Names also match case- and spacing-insensitively
        (``Customer ID`` matches ``customer_id``).
    policy : IntakePolicy, optional
        What to do with bad rows; default :class:`IntakePolicy()` (every
        problem is an error).
    name : str, optional
        How to name the file in messages (default: the path).
    date_format : str, optional
        ``strftime`` format of the dates (e.g. ``"%d/%m/%Y"``); default ISO 8601.
    sheet : str, optional
        Excel sheet name (default: the first).
    decimal : {".", ","}
        Decimal mark of numbers written as text.
    thousands : str, optional
        Thousands separator in numbers written as text (default: none allowed).
    attributes : sequence of str, optional
        ``choice``: the attribute columns; ``utilities``: the level columns.
        Default: every column that is not a fixed column of the schema. When
        given, other columns are ignored (e.g. a design ``Version`` column).
    wide : WideFormat, optional
        ``choice`` only: the file has one row per choice situation laid out as
        described; it is reshaped to one row per alternative first.

    Returns
    -------
    LoadedTable
        ``.df`` in canonical form, ``.excluded`` rows removed by the policy.

    Raises
    ------
    DataError
        With every problem found in the file (column, first rows, fix).

    Examples
    --------
    >>> tx = load("transactions", "data/orders.csv",
    ...           columns={"customer_id": "Kundennr", "amount": "Umsatz"},
    ...           decimal=",", thousands=".")          # doctest: +SKIP
    >>> tx.df.dtypes                                    # doctest: +SKIP
    """
    table, problems = _load(kind, path, columns=columns, policy=policy, name=name,
                            date_format=date_format, sheet=sheet, decimal=decimal, thousands=thousands,
                            attributes=attributes, wide=wide)
    if problems:
        raise DataError(problems)
    assert table is not None
    return table


def _load(kind: str, path: str | Path, *, columns: dict[str, str] | None = None,
          policy: IntakePolicy | None = None, name: str | None = None, date_format: str | None = None,
          sheet: str | None = None, decimal: str = ".", thousands: str | None = None,
          attributes: Sequence[str] | None = None, config_key: str | None = None,
          wide: WideFormat | None = None) -> tuple[LoadedTable | None, list[Problem]]:
    """Like :func:`load` but returns ``(table, problems)`` instead of raising.

    ``table`` is None when the file could not be read or lacks required
    columns; otherwise it holds every row the policy did not exclude (rows with
    reported problems included, their bad cells missing).
    """
    _check_arguments(kind, decimal, thousands)
    policy = policy or IntakePolicy()
    columns = dict(columns or {})
    label = name or str(path)
    from cvkit.data import stream

    if stream.should_stream(kind, path, sheet=sheet):
        # Transaction logs and large files: checked by DuckDB over the file (same rules and words).
        return _load_streamed(kind, path, columns=columns, policy=policy, name=name, date_format=date_format,
                              decimal=decimal, thousands=thousands, attributes=attributes,
                              config_key=config_key)
    chk = _Checker(kind, label, policy, decimal, thousands, date_format, config_key or f"data.{kind}")
    schema = chk.schema
    if wide is not None and kind == "choice":
        attributes = list(attributes or wide.attributes)
    raw, columns, read_info, problems = _read_raw(chk, path, sheet, columns, attributes, wide, name and label)
    if raw is None:
        return None, problems
    chk.from_excel = read_info.get("format") == "excel"
    chk.excel_rows = list(read_info.get("excel_rows") or [])
    resolved = chk.resolve_columns(raw, columns, read_info, attributes)
    if resolved is None:
        return None, chk.problems
    chosen, free, ignored, complete = resolved
    if len(raw) == 0:
        chk.problem("the file has a header but no data rows.",
                    "export the data again including the rows, or remove this file from engagement.yaml.")
        return None, chk.problems
    raw = raw.reset_index(drop=True)
    chk.reason = pd.Series(pd.NA, index=raw.index, dtype="object")
    fixed_present = [c for c in schema.columns + schema.group if c.name in chosen]
    text = pd.DataFrame({c.name: raw[chosen[c.name]] for c in fixed_present} |
                        {f: raw[f] for f in free}, index=raw.index)

    # Clean text once (strip blanks, "" -> NA); typed Parquet columns pass through untouched.
    text = text.apply(_clean) if len(text.columns) else text
    fixed_present, text, empty_cols, filled = _empty_columns(chk, text, fixed_present, read_info)
    complete = complete and filled
    out = _convert_fixed(chk, text, fixed_present, empty_cols, policy)
    for c in schema.columns:
        if c.name not in out and not c.required:
            out[c.name] = _empty(c, len(raw))
    if kind == "choice" and "task" not in chosen:
        # No task column: one choice situation per respondent (e.g. a revealed-preference mode choice).
        out["task"] = pd.Series(1, index=raw.index, dtype="Int64")
        read_info.setdefault("notes", []).append("no task column: every respondent answered one choice task.")
    free_out = _convert_free(chk, text, free, policy)
    df = pd.DataFrame(out | free_out, index=raw.index)
    df = df[[c.name for c in schema.columns if c.name in df] +
            [c.name for c in schema.group if c.name in df] + free]

    if not complete:
        # A column is missing or empty: the values of the other columns were still
        # checked (all problems at once), but row-set checks would mislead.
        return None, chk.problems
    if kind == "choice":
        _check_choice(chk, df, free, "none" in chosen)

    _check_duplicates(chk, df)

    kept = chk.reason.isna().to_numpy()
    table = LoadedTable(kind=kind, source=str(path), df=df.loc[kept].reset_index(drop=True),
                        excluded=_excluded_rows(chk, text, kept),
                        columns_found=[c.name for c in fixed_present] + free,
                        ignored_columns=ignored, read_info=read_info,
                        row_numbers=chk.row_numbers(np.flatnonzero(kept)))
    return table, chk.problems


def _read_raw(chk: "_Checker", path: str | Path, sheet: str | None, columns: dict[str, str],
              attributes: list[str] | None, wide: WideFormat | None, label: str | None,
              ) -> tuple[pd.DataFrame | None, dict[str, str], dict[str, Any], list[Problem]]:
    """Read the file as text columns; a wide choice file (``wide``) is reshaped to the long layout.

    Returns
    -------
    tuple
        ``(raw table or None, column mapping, read_info, problems)``; the mapping changes when a wide
        file was reshaped (its columns then have canonical names). Reader problems name ``label``
        when one is given.
    """
    expected = set(chk.schema.names) | set(columns.values()) | set(attributes or ())
    is_wide = wide is not None and chk.kind == "choice"
    if is_wide:
        expected |= {c for cs in wide_columns(wide, attributes).values() for c in cs}
    try:
        raw = read_table(path, sheet=sheet, expected_columns=expected)
    except DataError as exc:
        if label:
            return None, columns, {}, [dataclasses.replace(p, file=label) for p in exc.problems]
        return None, columns, {}, list(exc.problems)
    read_info = dict(raw.attrs)
    if is_wide:
        raw, columns = _from_wide(chk, raw, wide, columns, attributes, read_info)
        if raw is None:
            return None, columns, read_info, chk.problems
    return raw, columns, read_info, []


def _check_arguments(kind: str, decimal: str, thousands: str | None) -> None:
    """Raise ValueError for an unknown data kind or an impossible decimal/thousands pair (a caller's mistake)."""
    if kind not in SCHEMAS:
        dym = _did_you_mean(kind, list(SCHEMAS))
        raise ValueError(f"unknown data set kind '{kind}'" + (f"; did you mean '{dym}'?" if dym else "")
                         + f" Known kinds: {', '.join(SCHEMAS)}.")
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if thousands is not None and thousands == decimal:
        raise ValueError(f"thousands separator {thousands!r} cannot equal the decimal mark")


def _empty_columns(chk: "_Checker", text: pd.DataFrame, fixed_present: list,
                   read_info: dict[str, Any]) -> tuple[list, pd.DataFrame, list[str], bool]:
    """Columns empty in every row: a required one is a problem, a group rating one is left out.

    Whole-column emptiness comes first: a required column with no value at all is a structural
    error, not thousands of "missing value" rows. A rating column of the group (an element of value)
    empty in every row was not asked: it is left out as if absent (and said so in
    ``read_info["blank_columns"]``), never passed on to fail in a chart or a model.

    Returns
    -------
    tuple
        ``(columns kept, text without the blank group columns, empty column names, no required column empty)``.
    """
    schema = chk.schema
    filled = True
    empty_cols = [c.name for c in fixed_present if text[c.name].isna().all()]
    for cname in empty_cols:
        if schema.column(cname).required:
            chk.problem(f"required column '{cname}' is empty in every row.",
                        f"fill the column (or map the right column in {chk.config_key}.columns.{cname}).",
                        column=cname)
            filled = False
    blank = [c.name for c in schema.group if c.name in empty_cols]
    if blank:
        fixed_present = [c for c in fixed_present if c.name not in blank]
        text = text.drop(columns=blank)
        read_info["blank_columns"] = blank
    return fixed_present, text, empty_cols, filled


def _convert_fixed(chk: "_Checker", text: pd.DataFrame, fixed_present: list, empty_cols: list[str],
                   policy: IntakePolicy) -> dict[str, pd.Series]:
    """Convert each schema column to its type; empty cells in a must-fill column are flagged by the policy."""
    out: dict[str, pd.Series] = {}
    for c in fixed_present:
        s = text[c.name]
        conv = chk.convert(c, s)
        if not c.nullable and c.name not in empty_cols:
            missing = s.isna()
            chk.flag(missing, policy.missing_values, f"missing {c.name}",
                     f"{int(missing.sum())} empty cell(s) in a column that must be filled"
                     + (" (0 or 1)." if c.dtype == "bool" else "."),
                     f"fill '{c.name}' in these rows, or set intake.missing_values: exclude to drop them.",
                     c.name)
        out[c.name] = conv
    return out


def _convert_free(chk: "_Checker", text: pd.DataFrame, free: list[str],
                  policy: IntakePolicy) -> dict[str, pd.Series]:
    """Convert the free columns: utilities are numbers that must be filled; conjoint attributes numeric or text."""
    schema = chk.schema
    free_out: dict[str, pd.Series] = {}
    for f in free:
        s = text[f]
        if schema.free == "levels":
            num, bad = chk.to_number(s, f)
            if bad.any():
                chk.number_problem(s, bad, f)
            # An estimation export has a utility for every level of every respondent.
            chk.flag(s.isna(), policy.missing_values, f"missing {f}",
                     f"{int(s.isna().sum())} empty cell(s); every respondent needs a utility for every level.",
                     f"fill '{f}' (re-export the estimates), or set intake.missing_values: exclude to drop "
                     "these respondents.", f)
            free_out[f] = num
        else:
            # Conjoint attribute: numeric when every filled cell is a number
            # (e.g. fee), else text levels.
            if pd.api.types.is_numeric_dtype(s):
                free_out[f] = s.astype("float64")
                continue
            num, bad = chk.to_number(s, f)
            free_out[f] = num if not bad.any() else s.astype("str")
    return free_out


def _excluded_rows(chk: "_Checker", text: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    """The rows the policy excluded, as read (text), with their file row number and the reason."""
    excluded = text.loc[~kept].copy()
    excluded = excluded.astype("str").where(excluded.notna())
    excluded.insert(0, "reason", chk.reason[~kept].astype("str"))
    excluded.insert(0, "row", chk.row_numbers(np.flatnonzero(~kept)))
    return excluded.reset_index(drop=True)


def _from_wide(chk: "_Checker", raw: pd.DataFrame, wide: WideFormat, columns: dict[str, str],
               attributes: list[str], read_info: dict[str, Any]) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Reshape a wide choice file to the long format (``data.choice.wide``); columns then have canonical names."""
    key = f"{chk.config_key}.wide"
    if not attributes:
        chk.problem("the wide layout needs the attribute names.",
                    "list them in analyses.discrete_choice.attributes (or give "
                    f"{key}.attributes: {{attribute: \"column{{alt}}\"}}).")
        return None, columns
    resp = columns.get("respondent_id")
    if resp is None:
        by_norm = {normalise_name(str(c)): str(c) for c in raw.columns}
        resp = by_norm.get("respondent_id")
    if resp is None:
        read_info.setdefault("notes", []).append(
            "the wide file has no respondent column (map one in data.choice.columns.respondent_id), so every "
            "row is taken as its own respondent answering one task.")
    long, problems = wide_to_long(raw, wide, attributes, resp, where=key)
    for message, fix, column in problems:
        chk.problem(message, fix, column=column)
    if problems:
        return None, columns
    read_info.setdefault("notes", []).append(
        f"read in wide format: {len(raw):,} rows, "
        + (f"{n_kept:,} kept by data.choice.wide.keep, " if (n_kept := long[['respondent_id', 'task']]
                                                               .drop_duplicates().shape[0]) != len(raw) else "")
        + f"became {len(long):,} rows, one per available alternative ({', '.join(wide.labels())}).")
    chk.source_rows = long.attrs.get("source_rows")  # problems name rows of the wide file, not the reshaped table
    long.attrs = read_info
    rest = {k: v for k, v in columns.items() if k not in ("respondent_id", "task", "alternative", "chosen")}
    return long, rest


def _load_streamed(kind: str, path: str | Path, **kwargs: Any) -> tuple[LoadedTable | None, list[Problem]]:
    """The out-of-core path for one file, returned in memory (for :func:`load`'s callers)."""
    import tempfile

    from cvkit.data.stream import stream_load

    with tempfile.TemporaryDirectory(prefix="cvkit-load-") as tmp:
        table, problems = stream_load(kind, path, tmp, **kwargs)
        if table is None:
            return None, problems
        rows = pd.read_parquet(table.rows_path)
        df = rows.drop(columns="_row")
        for c in table.schema.columns:
            if c.dtype == "category" and c.name in df:
                df[c.name] = df[c.name].astype("category")
        loaded = LoadedTable(kind=kind, source=table.source, df=df, excluded=table.excluded,
                             columns_found=table.columns_found, ignored_columns=table.ignored_columns,
                             read_info=table.read_info, row_numbers=rows["_row"].to_numpy(np.int64))
    return loaded, problems


def _empty(c: Column, n: int) -> pd.Series:
    """An all-missing column of the right dtype, for an absent optional column."""
    if c.dtype in ("id", "str"):
        return pd.Series([pd.NA] * n, dtype="str")
    if c.dtype == "category":
        return pd.Series(pd.Categorical([None] * n))
    if c.dtype == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
    if c.dtype == "bool":
        return pd.Series(False, index=range(n), dtype=bool)
    if c.dtype == "int":
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    return pd.Series(np.nan, index=range(n), dtype="float64")


def _check_duplicates(chk: _Checker, df: pd.DataFrame) -> None:
    """Identical rows, then rows sharing a key, among rows not already excluded."""
    policy, schema = chk.policy, chk.schema
    key = [k for k in schema.key if k in df and df[k].notna().any()]
    alive = chk.reason.isna()
    sub = df.loc[alive]
    # Identical rows share their key, so when the key is complete and unique there
    # are none: skip the (costly, on millions of rows) full-row comparison.
    key_unique = bool(key) and bool(sub[key].notna().all(axis=None)) and (
        sub[key[0]].is_unique if len(key) == 1 else not sub.duplicated(subset=key).any())
    if not key_unique:
        dup_all = sub.duplicated(keep=False)
        if dup_all.any():
            later = sub.duplicated(keep="first")
            if policy.duplicate_rows == "exclude":
                chk.flag(later.reindex(df.index, fill_value=False), "exclude", "duplicate row", "", "")
            elif policy.duplicate_rows == "error":
                chk.problem(f"{int(later.sum())} row(s) repeat an earlier row exactly.",
                            "remove the repeated rows, or set intake.duplicate_rows: exclude to drop the "
                            "copies" + (" (or keep, if they are genuine identical purchases; better: add "
                                        "transaction_id)" if chk.kind == "transactions" else "") + ".",
                            mask=dup_all.reindex(df.index, fill_value=False))
    if not key or key_unique:
        return
    alive = chk.reason.isna()
    sub = df.loc[alive]
    # Copies of identical rows were reported or excluded above; only rows that
    # differ yet share a key are duplicate IDs. Copies kept by policy ("keep")
    # still break a key, so they stay in this check.
    if policy.duplicate_rows != "keep":
        sub = sub.loc[~sub.duplicated(keep="first")]
    # Rows whose key is missing are reported by the missing-values check, not here.
    sub = sub.loc[sub[key].notna().all(axis=1)]
    dup = sub.duplicated(subset=key, keep=False)
    if not dup.any():
        return
    key_text = " + ".join(key)
    if policy.duplicate_ids == "exclude":
        later = sub.duplicated(subset=key, keep="first")
        chk.flag(later.reindex(df.index, fill_value=False), "exclude", f"duplicate {key_text}", "", "")
        return
    vals = sub.loc[dup, key].drop_duplicates().head(3)
    shown = ", ".join("'" + "' / '".join(str(v) for v in r) + "'" for r in vals.itertuples(index=False))
    chk.problem(f"{int(dup.sum())} row(s) share a {key_text} that should be unique, e.g. {shown}.",
                f"one row per {schema.one_row_per}: merge or remove the duplicates, or set "
                "intake.duplicate_ids: exclude to keep only the first.",
                column=key_text, mask=dup.reindex(df.index, fill_value=False))


def _check_choice(chk: _Checker, df: pd.DataFrame, attributes: list[str], has_none: bool) -> None:
    """One chosen alternative per task; the none row's attributes empty, the others' filled."""
    alive = chk.reason.isna()
    action = chk.policy.invalid_choice_tasks
    task_key = ["respondent_id", "task"]
    sub = df.loc[alive & df[task_key].notna().all(axis=1)]
    n_chosen = sub.groupby(task_key, sort=False)["chosen"].transform("sum")

    def task_rows(bad_rows: pd.Series) -> pd.Series:
        bad_tasks = sub.loc[bad_rows, task_key].drop_duplicates()
        hit = sub[task_key].merge(bad_tasks.assign(_hit=True), how="left", on=task_key)["_hit"]
        return pd.Series(hit.notna().to_numpy(), index=sub.index).reindex(df.index, fill_value=False)

    def tasks_text(bad_rows: pd.Series) -> tuple[int, str]:
        tasks = sub.loc[bad_rows, task_key].drop_duplicates()
        shown = ", ".join(f"respondent '{r}' task {t}" for r, t in tasks.head(3).itertuples(index=False))
        return len(tasks), shown

    fix = ("exactly one alternative per (respondent, task) must have chosen = 1; correct the export, "
           "or set intake.invalid_choice_tasks: exclude to drop these tasks.")
    n_alts = sub.groupby(task_key, sort=False)["chosen"].transform("size")
    single = n_alts < 2
    if single.any():
        k, shown = tasks_text(single)
        chk.flag(task_rows(single), action, "task with a single alternative",
                 f"{k} task(s) show a single alternative: {shown}.",
                 "every task needs at least two rows (alternatives, the none option included); check that "
                 "respondent_id and task identify the tasks.", "task")
    for bad, what, reason in ((n_chosen == 0, "no chosen alternative", "task with no chosen alternative"),
                              (n_chosen > 1, "more than one chosen alternative",
                               "task with several chosen alternatives")):
        if bad.any():
            k, shown = tasks_text(bad)
            chk.flag(task_rows(bad), action, reason, f"{k} task(s) have {what}: {shown}.", fix, "chosen")
    if attributes:
        attrs = sub[attributes]
        none = sub["none"].astype(bool)
        filled_none = none & attrs.notna().any(axis=1)
        if filled_none.any():
            k, shown = tasks_text(filled_none)
            chk.flag(task_rows(filled_none), action, "none row with attribute values",
                     f"{int(filled_none.sum())} 'none' row(s) have attribute values ({shown}).",
                     "leave every attribute cell empty on rows with none = 1 (check that the none "
                     "flag is on the right row).", "none")
        empty_alt = ~none & attrs.isna().any(axis=1)
        if empty_alt.any():
            cols = [a for a in attributes if (~none & attrs[a].isna()).any()]
            k, shown = tasks_text(empty_alt)
            hint = ("" if has_none else
                    " If these are 'none of these' rows, add a none column with 1 on them.")
            chk.flag(task_rows(empty_alt), action, "alternative with empty attributes",
                     f"{int(empty_alt.sum())} alternative(s) have empty attribute cells in "
                     f"{_quote_list(cols)} ({shown}).{hint}",
                     "fill every attribute level of each shown alternative.", cols[0])
