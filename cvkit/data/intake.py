"""Intake of a whole engagement: load every data set, check links across files, report.

:func:`intake` never stops at the first problem: it loads each file, runs the
cross-file checks on whatever loaded, and returns an :class:`Intake` that holds
the tables, every problem and every excluded row. The engagement runner calls
:meth:`Intake.raise_for_problems` before running notebooks, ``cvkit validate``
prints :meth:`Intake.report`, and the overview notebook shows
:meth:`Intake.summary` and :meth:`Intake.excluded`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cvkit.data.errors import DataError, Problem
from cvkit.data import limits
from cvkit.data.formulas import neutralise_frame
from cvkit.data.load import MAX_ROWS_SHOWN, LoadedTable, _load
from cvkit.data.stream import StreamedTable, duckdb_connection, should_stream, stream_load
from cvkit.data.policy import FileSpec, IntakePolicy
from cvkit.data.schemas import SCHEMAS

__all__ = ["intake", "Intake"]

# (child kind, child column, parent kind, parent column): IDs that must link.
_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("transactions", "customer_id", "customers", "customer_id"),
    ("survey", "customer_id", "customers", "customer_id"),
    ("choice", "respondent_id", "survey", "respondent_id"),
)


@dataclass
class Intake:
    """The result of :func:`intake`: loaded tables, problems and exclusions.

    Attributes
    ----------
    tables : dict of str to LoadedTable
        Every data set that could be read with its required columns, by kind.
        When :attr:`ok` is False a table may still contain rows with reported
        problems (their bad cells missing): do not analyse it.
    problems : list of Problem
        Everything wrong, across all files.
    files : dict of str to str
        The resolved path of each data set given.
    policy : IntakePolicy
        The policy applied.
    notes : list of str
        Information that is not a problem (e.g. orphan rows kept by policy).
    checked_on : dict of str to str
        Where each data set was checked: ``"pandas"`` (in memory), ``"duckdb"`` (out of core, here) or
        the Spark master URL (on the cluster); a data set the cluster could not check says why.
    """

    tables: dict[str, LoadedTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    policy: IntakePolicy = field(default_factory=IntakePolicy)
    notes: list[str] = field(default_factory=list)
    checked_on: dict[str, str] = field(default_factory=dict)
    # Intake's SparkIntake for an engagement on Spark (its session is stopped by close()).
    _spark: Any = field(default=None, repr=False)
    # Holds the scratch folder of streamed tables when intake was given no workdir (deleted with the Intake).
    _scratch: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when no problem was found (excluded rows by policy are not problems)."""
        return not self.problems

    def __getitem__(self, kind: str) -> pd.DataFrame:
        """The canonical DataFrame of data set ``kind`` (``intake["transactions"]``)."""
        return self.tables[kind].df

    def summary(self) -> pd.DataFrame:
        """One row per data set given.

        Returns
        -------
        DataFrame
            Columns ``kind``, ``file``, ``status`` (``ok``, ``problems`` or
            ``failed`` when it could not be loaded), ``rows`` (loaded, after
            exclusions), ``excluded``, ``columns`` (number of canonical/free
            columns found in the file), ``date_from``/``date_to`` (range of the
            data set's main date column, where it has one), ``problems``
            (count).
        """
        records = []
        for kind, path in self.files.items():
            t = self.tables.get(kind)
            n_prob = sum(1 for p in self.problems if p.file == path)
            rec = {"kind": kind, "file": path,
                   "status": "failed" if t is None else ("problems" if n_prob else "ok"),
                   "rows": pd.NA, "excluded": pd.NA, "columns": pd.NA,
                   "date_from": pd.NaT, "date_to": pd.NaT, "problems": n_prob}
            if t is not None:
                rec.update(rows=t.n_rows, excluded=t.n_excluded, columns=len(t.columns_found))
                dc = SCHEMAS[kind].date_column
                if isinstance(t, StreamedTable) and dc:
                    lo, hi = t.query(f'SELECT min("{dc}") AS lo, max("{dc}") AS hi FROM {{rows}}').iloc[0]
                    rec.update(date_from=lo, date_to=hi)
                elif dc and dc in t.df and t.df[dc].notna().any():
                    rec.update(date_from=t.df[dc].min(), date_to=t.df[dc].max())
            records.append(rec)
        df = pd.DataFrame(records, columns=["kind", "file", "status", "rows", "excluded", "columns",
                                            "date_from", "date_to", "problems"])
        for c in ("rows", "excluded", "columns", "problems"):
            df[c] = df[c].astype("Int64")
        df["date_from"] = pd.to_datetime(df["date_from"])
        df["date_to"] = pd.to_datetime(df["date_to"])
        return df

    def problems_table(self) -> pd.DataFrame:
        """Every problem as a table, for display in a notebook.

        Returns
        -------
        DataFrame
            Columns ``file``, ``column``, ``rows`` (first offending data rows,
            as text), ``n_rows``, ``message``, ``fix``; one row per problem.
        """
        return pd.DataFrame({
            "file": pd.Series([p.file for p in self.problems], dtype="str"),
            "column": pd.Series([p.column for p in self.problems], dtype="str"),
            "rows": pd.Series([", ".join(str(r) for r in list(p.rows)[:10]) for p in self.problems], dtype="str"),
            "n_rows": pd.Series([p.n_rows for p in self.problems], dtype="Int64"),
            "message": pd.Series([p.message for p in self.problems], dtype="str"),
            "fix": pd.Series([p.fix for p in self.problems], dtype="str"),
        })

    def excluded(self) -> pd.DataFrame:
        """Rows removed by the policy, counted by data set and reason.

        Returns
        -------
        DataFrame
            Columns ``kind``, ``reason``, ``count``; empty (with these
            columns) when nothing was excluded.
        """
        parts = [t.excluded[["reason"]].assign(kind=kind).groupby(["kind", "reason"]).size().rename("count")
                 .reset_index() for kind, t in self.tables.items() if not isinstance(t, StreamedTable)]
        parts += [t.query(f"SELECT '{kind}' AS kind, reason, count(*) AS count FROM ({t.excluded_sql()}) "
                          "GROUP BY reason") for kind, t in self.tables.items() if isinstance(t, StreamedTable)]
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame({"kind": pd.Series(dtype="str"), "reason": pd.Series(dtype="str"),
                                 "count": pd.Series(dtype="int64")})
        out = pd.concat(parts, ignore_index=True).sort_values(["kind", "reason"], ignore_index=True)
        return out[["kind", "reason", "count"]].astype({"kind": "str", "reason": "str", "count": "int64"})

    def excluded_rows(self) -> pd.DataFrame:
        """Every excluded row: ``kind``, ``file``, ``row`` (1-based data row), ``reason``, ``values``.

        ``values`` is the row's cells as compact JSON, so rows of different
        data sets fit one table (this is what :meth:`write` saves as
        ``excluded.csv``, streamed tables in batches).
        """
        parts = [_excluded_frame(kind, t.source, t.excluded) for kind, t in self.tables.items()
                 if not isinstance(t, StreamedTable)]
        parts += [batch for kind, t in self.tables.items() if isinstance(t, StreamedTable)
                  for batch in _streamed_excluded(kind, t)]
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame({"kind": pd.Series(dtype="str"), "file": pd.Series(dtype="str"),
                                 "row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str"),
                                 "values": pd.Series(dtype="str")})
        return pd.concat(parts, ignore_index=True)

    def report(self) -> str:
        """A readable plain-text report: what loaded, counts, exclusions, every problem and its fix."""
        lines = ["Data intake report", "=================="]
        summ = self.summary()
        if summ.empty:
            lines.append("No data files were given.")
        for r in summ.itertuples(index=False):
            if r.status == "failed":
                lines.append(f"  {r.kind:<13} FAILED   {r.file}")
                continue
            t = self.tables[r.kind]
            span = ""
            if pd.notna(r.date_from):
                span = f", {r.date_from:%Y-%m-%d} to {r.date_to:%Y-%m-%d}"
            lines.append(f"  {r.kind:<13} {r.rows:>9,} rows, {r.excluded:,} excluded, {r.columns} columns"
                         f"{span}   {r.file}")
            if t.ignored_columns:
                lines.append(f"  {'':<13} columns not used: {', '.join(t.ignored_columns[:10])}"
                             + (" ..." if len(t.ignored_columns) > 10 else ""))
        exc = self.excluded()
        if not exc.empty:
            lines += ["", "Rows excluded by the intake policy:"]
            lines += [f"  {r.kind:<13} {r.count:>7,}  {r.reason}" for r in exc.itertuples(index=False)]
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        lines.append("")
        if self.ok:
            lines.append("No problems found.")
        else:
            n = len(self.problems)
            lines.append(f"{n} problem{'s' if n != 1 else ''} found:")
            for i, p in enumerate(self.problems, 1):
                lines.append(f"  {i}. {p}")
        return "\n".join(lines)

    def close(self) -> None:
        """Stop the Spark session intake started, if any (after :meth:`write`: it copies on the cluster)."""
        if self._spark is not None:
            self._spark.close()
            self._spark = None
            for t in self.tables.values():
                if isinstance(t, StreamedTable):
                    t.spark = None

    def raise_for_problems(self) -> None:
        """Raise :class:`DataError` with every problem, if there is any."""
        if self.problems:
            raise DataError(self.problems)

    def write(self, folder: str | Path, *, relative_to: str | Path | None = None) -> dict[str, Path]:
        """Write each table as ``<folder>/<kind>.parquet`` and the exclusions as ``excluded.csv``.

        With ``relative_to`` (the engagement folder) the ``file`` column of ``excluded.csv`` holds
        paths relative to it, so the deliverable carries no absolute path (nor a user name).

        Returns
        -------
        dict of str to Path
            Path of each file written, by kind (and ``"excluded"``).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for kind, t in self.tables.items():
            target = folder / f"{kind}.parquet"
            if isinstance(t, StreamedTable):
                t.write(target)  # DuckDB copies the checked rows: they never pass through pandas
            else:
                t.df.to_parquet(target, index=False)
            written[kind] = target
        target = folder / "excluded.csv"
        small = [_excluded_frame(kind, t.source, t.excluded) for kind, t in self.tables.items()
                 if not isinstance(t, StreamedTable)]
        batches = [b for b in small if not b.empty] + [
            b for kind, t in self.tables.items() if isinstance(t, StreamedTable)
            for b in _streamed_excluded(kind, t)]
        neutralise_frame(_EMPTY_EXCLUDED.copy()).to_csv(target, index=False)
        for batch in batches:  # streamed exclusions arrive in batches: memory stays bounded
            if relative_to is not None:  # no absolute path (nor a user name) in the deliverable
                batch = batch.assign(file=[portable_path(f, relative_to) for f in batch["file"]])
            neutralise_frame(batch).to_csv(target, index=False, mode="a", header=False)
        written["excluded"] = target
        return written


def portable_path(path: str | Path, base: str | Path) -> str:
    """``path`` relative to ``base`` (with ``..`` when outside it), as POSIX text; for outputs."""
    import os

    return Path(os.path.relpath(Path(path).resolve(), Path(base).resolve())).as_posix()


_EMPTY_EXCLUDED = pd.DataFrame({"kind": pd.Series(dtype="str"), "file": pd.Series(dtype="str"),
                                "row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str"),
                                "values": pd.Series(dtype="str")})


def _excluded_frame(kind: str, source: str, excluded: pd.DataFrame) -> pd.DataFrame:
    """Excluded rows in ``excluded.csv``'s shape: kind, file, row, reason, values (cells as JSON)."""
    if excluded.empty:
        return _EMPTY_EXCLUDED.copy()
    cells = excluded.drop(columns=["row", "reason"])
    # pandas' C JSON writer, one line per row: no Python loop over (maybe many) rows.
    values = cells.to_json(orient="records", lines=True, force_ascii=False).splitlines()
    return pd.DataFrame({"kind": kind, "file": source, "row": excluded["row"].to_numpy(),
                         "reason": excluded["reason"].to_numpy(), "values": values})


def _streamed_excluded(kind: str, t: StreamedTable, batch_rows: int = 200_000):
    """The excluded rows of a streamed table in ``excluded.csv``'s shape, one batch at a time."""
    con = duckdb_connection(t.workdir)
    try:
        reader = con.sql(t.excluded_sql()).to_arrow_reader(batch_rows)
        for batch in reader:
            frame = batch.to_pandas()
            if not frame.empty:
                yield _excluded_frame(kind, t.source, frame)
    finally:
        con.close()


def _as_spec(value: str | Path | FileSpec | Mapping) -> FileSpec:
    if isinstance(value, FileSpec):
        return value
    if isinstance(value, (str, Path)):
        return FileSpec(path=str(value))
    return FileSpec.model_validate(dict(value))


def intake(files: Mapping[str, str | Path | FileSpec], *, policy: IntakePolicy | None = None,
           base_dir: str | Path | None = None, workdir: str | Path | None = None, engine: Any = None) -> Intake:
    """Load every data set of an engagement and check the links between them.

    Parameters
    ----------
    files : mapping of str to path or FileSpec
        Data set kind -> file (a path, a :class:`FileSpec`, or a dict with
        FileSpec's fields as read from ``engagement.yaml``).
    policy : IntakePolicy, optional
        What to do with bad rows; default every problem is an error.
    base_dir : str or Path, optional
        Folder that relative paths are resolved against (the engagement
        folder); default the current directory.
    workdir : str or Path, optional
        Scratch folder for data sets checked out of core (transactions, and
        CSV/Parquet files above :data:`cvkit.data.stream.STREAM_BYTES`): their
        checked rows are written there as Parquet and never held in memory.
        Default a temporary folder removed with the returned Intake.
    engine : str or mapping, optional
        The engagement's engine (:func:`cvkit.data.engine.parse_engine`). With Spark, the data sets
        checked out of core are checked on the cluster (:mod:`cvkit.data.stream_spark`; the workdir
        must be on storage the executors share); call :meth:`Intake.close` when done.

    Returns
    -------
    Intake
        Never raises for bad data: check :attr:`Intake.ok` or call
        :meth:`Intake.raise_for_problems`.
    """
    policy = policy or IntakePolicy()
    base = Path(base_dir) if base_dir is not None else None
    result = Intake(policy=policy)
    for kind, value in files.items():
        if kind not in SCHEMAS:
            close = difflib.get_close_matches(kind, list(SCHEMAS), n=1)
            result.problems.append(Problem(
                file=str(value if not isinstance(value, FileSpec) else value.path),
                message=f"unknown data set '{kind}'" + (f"; did you mean '{close[0]}'?" if close else "."),
                fix=f"use one of: {', '.join(SCHEMAS)}."))
            continue
        spec = _as_spec(value)
        path = Path(spec.path)
        if base is not None and not path.is_absolute():
            path = base / path
        result.files[kind] = str(path)
        options = dict(columns=spec.columns, policy=policy, date_format=spec.date_format, decimal=spec.decimal,
                       thousands=spec.thousands, attributes=spec.attributes)
        with limits.using(policy.limits):  # the engagement's file limits for the readers
            if should_stream(kind, path, sheet=spec.sheet):
                table, problems = stream_load(kind, path, _workdir(result, workdir) / kind,
                                              spark=_spark_intake(result, engine), **options)
            else:
                table, problems = _load(kind, path, sheet=spec.sheet, wide=spec.wide, **options)
        result.problems.extend(problems)
        if table is not None:
            result.tables[kind] = table
            result.checked_on[kind] = table.read_info.get("checked_on") or \
                ("duckdb" if isinstance(table, StreamedTable) else "pandas")
            result.notes.extend(_read_notes(kind, table))
    _check_links(result)
    return result


def _spark_intake(result: Intake, engine: Any):
    """None for DuckDB; for Spark intake's handle on the cluster (its session starts on first use)."""
    from cvkit.data.engine import parse_engine

    spec = parse_engine(engine)
    if "spark" not in spec:
        return None
    if result._spark is None:
        from cvkit.data.stream_spark import SparkIntake

        result._spark = SparkIntake(spec)
    return result._spark


def _workdir(result: Intake, workdir: str | Path | None) -> Path:
    if workdir is not None:
        return Path(workdir)
    if result._scratch is None:
        import shutil
        import tempfile
        import weakref

        _remove_orphaned_scratch()
        folder = tempfile.mkdtemp(prefix=_SCRATCH_PREFIX)
        (Path(folder) / _OWNER_FILE).write_text(_owner(os.getpid()), encoding="utf-8")
        # Removed when the Intake goes (cvkit validate) or at exit, also after Ctrl-C or a SIGTERM that
        # `cvkit validate` turns into an exit; `cvkit run` passes its build folder instead.
        result._scratch = (folder, weakref.finalize(result, shutil.rmtree, folder, ignore_errors=True))
    return Path(result._scratch[0])


_SCRATCH_PREFIX = "cvkit-intake-"
_OWNER_FILE = ".cvkit-owner"  # the creating process: "<pid> <start time>"; marks the folder as cvkit's


def _owner(pid: int) -> str:
    """``"<pid> <start time>"`` of a process (start time from /proc, empty where there is none)."""
    try:
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = ""
    return f"{pid} {start}".strip()


def _owner_gone(record: str) -> bool:
    """True when the process that wrote ``record`` has ended (its PID gone, or reused by a later process)."""
    pid = int(record.split()[0])
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists (POSIX)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, someone else's
        return False
    return _owner(pid) != record


def _remove_orphaned_scratch() -> None:
    """Remove scratch folders of earlier intakes whose process was killed before it could clean up.

    A kernel stopped with SIGKILL (nbval stops notebook 00's kernel that way) or an out-of-memory kill
    never reaches the exit handlers. Only folders this code made are touched: the ``cvkit-intake-``
    prefix in the temporary folder *and* cvkit's owner file naming a process that has ended.
    """
    import shutil
    import tempfile

    if os.name != "posix":  # os.kill(pid, 0) would not be a harmless question elsewhere
        return
    for folder in Path(tempfile.gettempdir()).glob(_SCRATCH_PREFIX + "*"):
        try:
            record = (folder / _OWNER_FILE).read_text(encoding="utf-8")
            gone = _owner_gone(record)
        except (OSError, ValueError, IndexError):  # not ours (no owner file), or being written
            continue
        if gone:
            shutil.rmtree(folder, ignore_errors=True)


def _read_notes(kind: str, table: LoadedTable | StreamedTable) -> list[str]:
    """What the reader had to work out, so the analyst can confirm it."""
    info = table.read_info
    notes = [f"{kind}: {n}" for n in info.get("notes", ())]
    if str(info.get("checked_on", "")).startswith("duckdb on this machine"):
        notes.append(f"{kind}: checked with DuckDB on this machine, not on the Spark cluster: "
                     f"{info['checked_on'].split(': ', 1)[1]}.")
    if info.get("encoding") in ("cp1252", "latin-1"):
        notes.append(f"{kind}: the file is not UTF-8; it was read as {info['encoding']} (Windows/Latin-1). "
                     "Check that accented characters look right, or save the file as CSV UTF-8.")
    if info.get("blank_columns"):
        cols = ", ".join(f"'{c}'" for c in info["blank_columns"])
        notes.append(f"{kind}: column(s) {cols} are empty in every row and were left out, as if not asked. If "
                     "they should hold ratings, check the export (or the column mapping in engagement.yaml).")
    if info.get("header_row", 1) > 1:
        where = f"sheet '{info['sheet']}' row" if info.get("format") == "excel" else "line"
        notes.append(f"{kind}: the header is on {where} {info['header_row']}; the rows above it were skipped "
                     "as titles.")
    return notes


def _check_links(result: Intake) -> None:
    """IDs of child tables must exist in their parent table (orphan_ids policy)."""
    action = result.policy.orphan_ids
    for child, ccol, parent, pcol in _LINKS:
        if child not in result.tables or parent not in result.tables:
            continue
        c, p = result.tables[child], result.tables[parent]
        if isinstance(c, StreamedTable) or isinstance(p, StreamedTable):
            _check_streamed_link(result, c, ccol, p, pcol, parent)
            continue
        ids = c.df[ccol]
        orphan = (ids.notna() & ~ids.isin(p.df[pcol].dropna().unique())).to_numpy()
        n = int(orphan.sum())
        if n == 0:
            continue
        distinct = ids[orphan].unique()
        shown = ", ".join(f"'{v}'" for v in distinct[:3])
        what = f"{ccol} not in {parent}"
        if action == "exclude":
            c.exclude(orphan, f"orphan {ccol} (not in {parent})")
        elif action == "keep":
            result.notes.append(f"{child}: {n:,} row(s) ({len(distinct):,} IDs) have a {what}; kept by "
                                "policy (intake.orphan_ids: keep).")
        else:
            rows = c.row_numbers[orphan]
            result.problems.append(Problem(
                file=c.source, column=ccol, rows=tuple(int(r) for r in rows[:MAX_ROWS_SHOWN]), n_rows=n,
                message=(f"{n:,} row(s) have a {ccol} that is not in the {parent} file ({p.source}): "
                         f"{len(distinct):,} distinct ID(s), e.g. {shown}."),
                fix=(f"check that both files come from the same extract and that the IDs are written the "
                     f"same way (leading zeros, prefixes); or set intake.orphan_ids: exclude to drop "
                     f"these rows (keep to accept them)."),
            ))


def _check_streamed_link(result: Intake, c, ccol: str, p, pcol: str, parent: str) -> None:
    """The orphan check in DuckDB when either table is streamed (same wording as in memory)."""
    action = result.policy.orphan_ids
    con = duckdb_connection(c.workdir if isinstance(c, StreamedTable) else p.workdir)
    try:
        if isinstance(p, StreamedTable):
            con.execute(f'CREATE TEMP TABLE _parent AS SELECT DISTINCT "{pcol}" AS id FROM {p.sql()} '
                        f'WHERE "{pcol}" IS NOT NULL')
        else:
            ids = pd.DataFrame({"id": p.df[pcol].dropna().astype("str").unique()})
            con.register("_parent_ids", ids)
            con.execute("CREATE TEMP TABLE _parent AS SELECT id FROM _parent_ids")
        if not isinstance(c, StreamedTable):
            known = set(con.execute("SELECT id FROM _parent").df()["id"])
            ids = c.df[ccol]
            orphan = (ids.notna() & ~ids.isin(known)).to_numpy()
            rows, distinct = c.row_numbers[orphan], ids[orphan].unique()
            n = int(orphan.sum())
        else:
            orphan_sql = f'"{ccol}" IS NOT NULL AND "{ccol}" NOT IN (SELECT id FROM _parent)'
            n = int(con.execute(f"SELECT count(*) FROM {c.sql()} WHERE {orphan_sql}").fetchone()[0])
            if n:
                rows = con.execute(f"SELECT _row FROM {c.sql()} WHERE {orphan_sql} ORDER BY _row LIMIT "
                                   f"{MAX_ROWS_SHOWN}").df()["_row"].to_numpy()
                n_distinct, first = con.execute(
                    f'SELECT count(*), arg_min(id, first_row, 3) FROM (SELECT "{ccol}" AS id, min(_row) AS '
                    f"first_row FROM {c.sql()} WHERE {orphan_sql} GROUP BY ALL)").fetchone()
                distinct = list(first) + [None] * (int(n_distinct) - len(first))
        if n == 0:
            return
        shown = ", ".join(f"'{v}'" for v in list(distinct)[:3])
        what = f"{ccol} not in {parent}"
        reason = f"orphan {ccol} (not in {parent})"
        child = c.kind
        if action == "exclude":
            if isinstance(c, StreamedTable):
                c.exclude_where(con, orphan_sql, reason)
            else:
                c.exclude(orphan, reason)
        elif action == "keep":
            result.notes.append(f"{child}: {n:,} row(s) ({len(distinct):,} IDs) have a {what}; kept by "
                                "policy (intake.orphan_ids: keep).")
        else:
            result.problems.append(Problem(
                file=c.source, column=ccol, rows=tuple(int(r) for r in list(rows)[:MAX_ROWS_SHOWN]), n_rows=n,
                message=(f"{n:,} row(s) have a {ccol} that is not in the {parent} file ({p.source}): "
                         f"{len(distinct):,} distinct ID(s), e.g. {shown}."),
                fix=(f"check that both files come from the same extract and that the IDs are written the "
                     f"same way (leading zeros, prefixes); or set intake.orphan_ids: exclude to drop "
                     f"these rows (keep to accept them)."),
            ))
    finally:
        con.close()
