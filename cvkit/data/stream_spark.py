"""The out-of-core intake's transaction stage on a Spark cluster (``engine: {spark: ...}``).

With a Spark engine, :func:`cvkit.data.stream.stream_load` hands its plan here instead of running it
on the machine that runs ``cvkit run``. The rules are not written twice: every row-wise check is the
same DuckDB SQL as on one machine, run *by the executors*, one task per input part; only what needs
the whole log at once (counts, first offending rows, duplicates) is Spark SQL over the staged parts:

1. *stage* (executors, one task per Parquet part, one for a CSV file): DuckDB runs the stage's SQL
   over its part and writes ``<kind>.stage/part-NNNNN.parquet`` (values, one boolean per check);
2. *report* (Spark): one aggregate counts each check; the first offending rows of a quoted check are
   fetched (20 rows) and their example text is cast by DuckDB on the driver, as on one machine; a
   row's number is its part's offset plus its position in the part (``_metadata.row_index``);
3. *duplicates* (Spark): identical rows and repeated keys by window over the kept rows;
4. *write* (executors): each task writes its part's kept rows (``<kind>.rows.parquet/part-NNNNN``)
   and excluded rows; the excluded rows (few) are gathered into one file on the driver, and
   :meth:`StreamedTable.write` copies the kept parts to the build folder on the executors too.

The outputs are the ones of the single-machine stage, part after part in the file's order, so the
analyses read the same rows either way. The executors need Python with ``duckdb`` and ``pyarrow``
(cvkit's own versions) and must see the input and the build folder at the same paths (shared storage).
A CSV that is not UTF-8 is checked on the driver with DuckDB (it is transcoded there first): the
run log and the manifest say where each data set was checked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from cvkit.data.engine import executor_python
from cvkit.data.errors import Problem
from cvkit.data.stream import _Stats

__all__ = ["SparkIntake", "intake_session", "close_session", "why_not_on_spark", "stream_on_spark", "copy_parts"]

_APP = "cvkit-intake"
_PART = "part-{:05d}.parquet"


class SparkIntake:
    """Intake's handle on a Spark cluster: the session (started on first use) and what runs on it.

    Parameters
    ----------
    engine : dict
        ``{"spark": {"master": URL, "conf": {...}}}`` (:func:`cvkit.data.engine.parse_engine`).
    session : pyspark.sql.SparkSession, optional
        An existing session to use instead (not stopped by :meth:`close`).
    """

    def __init__(self, engine: dict[str, Any], session: Any = None):
        self.engine, self.session, self._own = engine, session, session is None

    def get(self) -> Any:
        """The session, started at the engine's master on first use."""
        if self.session is None:
            self.session = intake_session(self.engine)
        return self.session

    @property
    def master(self) -> str:
        """The master URL the session runs on (what the run log and the manifest name)."""
        return str(self.get().sparkContext.master)

    def check(self, kind, path, label, src, plan, cols, chk, fixed_present, free, ignored, complete,
              workdir) -> tuple[Any, list[Problem]] | None:
        """stream_load's stage on the cluster; None (``src.info["checked_on"]`` saying why) when this
        source is checked on the driver after all."""
        why = why_not_on_spark(src)
        if why is None:
            try:
                table, problems = stream_on_spark(self.get(), kind, path, label, src, plan, cols, chk,
                                                  fixed_present, free, ignored, complete, workdir)
            except _OnDriver as exc:
                why = str(exc)
            else:
                if table is not None:
                    table.spark = self
                    table.read_info["checked_on"] = self.master
                return table, problems
        src.info["checked_on"] = f"duckdb on this machine: {why}"
        return None

    def copy(self, rows: Path, target: Path, kind: str) -> None:
        """:func:`copy_parts` on this cluster."""
        copy_parts(self.get(), rows, target, kind)

    def close(self) -> None:
        """Stop the session if this handle started it."""
        if self.session is not None and self._own:
            close_session(self.session)
        self.session = None


def intake_session(engine: dict[str, Any]) -> Any:
    """A Spark session for intake at the engine's master (application ``cvkit-intake``).

    Parameters
    ----------
    engine : dict
        ``{"spark": {"master": URL, "conf": {...}}}`` (:func:`cvkit.data.engine.parse_engine`).

    Returns
    -------
    pyspark.sql.SparkSession
        In UTC, without UI or progress bars. The executors' Python is ``spark.pyspark.python`` from the
        conf, else ``$PYSPARK_PYTHON``, else this interpreter (right for one machine and clusters built
        from the same image).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        from pyspark.sql import SparkSession
    spark = engine["spark"]
    conf = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
            "spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "8",
            "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC"}
    conf.update(spark.get("conf") or {})
    conf["spark.pyspark.python"] = executor_python(conf)
    builder = SparkSession.builder.master(spark["master"]).appName(_APP)
    for key, value in conf.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def close_session(session: Any) -> None:
    """Stop the intake's session and its driver JVM: the notebooks start their own, and the JVM's memory
    would otherwise stay with ``cvkit run`` for the whole run."""
    if session is None:
        return
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()  # the gateway JVM exits when its parent closes this pipe
            try:
                proc.wait(timeout=60)
            except Exception:  # subprocess.TimeoutExpired: it did not exit by itself
                proc.terminate()
                proc.wait(timeout=60)
        SparkContext._gateway = None
        SparkContext._jvm = None


def why_not_on_spark(src: Any) -> str | None:
    """Why a source must be checked on the driver (a sentence), or None when the cluster can check it."""
    if src.text and src.encoding not in ("utf-8", "utf-8-sig"):
        return (f"the CSV is {src.encoding}, not UTF-8 (it is converted on this machine first); save it as "
                "CSV UTF-8 or Parquet to check it on the cluster")
    return None


# --- work on the executors: DuckDB SQL, one task per part ------------------------------------------

def _duckdb_task(memory_limit: str, threads: int | None):
    """A function for ``rdd.map``: run a job's DuckDB statements on an executor, return
    ``(results of the last statement, error text)``. It is a closure over plain values and imports
    only duckdb, so the executors need duckdb, not cvkit."""

    def run(job):
        import shutil as _shutil
        import tempfile as _tempfile

        import duckdb as _duckdb

        spill = _tempfile.mkdtemp(prefix="cvkit-intake-spill-")
        con = _duckdb.connect(config={"preserve_insertion_order": True})
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute("SET temp_directory = '" + spill.replace("'", "''") + "'")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            result = None
            for statement in job:
                result = con.execute(statement).fetchall()
            return [tuple(r) for r in (result or [])], None
        except _duckdb.Error as exc:
            return None, str(exc)
        finally:
            con.close()
            _shutil.rmtree(spill, ignore_errors=True)

    return run


def _on_executors(spark: Any, jobs: list[list[str]]) -> list[tuple[list, str | None]]:
    """Run each job (a list of DuckDB statements) as one Spark task; results in the jobs' order."""
    conf = spark.sparkContext.getConf()
    threads = conf.get("spark.executor.cores", None)
    task = _duckdb_task(os.environ.get("CVKIT_DUCKDB_MEMORY_LIMIT", "1GB"), int(threads) if threads else None)
    return spark.sparkContext.parallelize(jobs, max(1, len(jobs))).map(task).collect()


def _part_relations(src: Any) -> list[str]:
    """One DuckDB relation per input part, each with every column of the whole input in its type
    (as ``read_parquet(..., union_by_name = true)`` reads all parts together)."""
    from cvkit.data.stream import _ident, _lit

    if src.text:
        keep = src.file
        src.file = Path(src.file).resolve()  # the executors do not share the driver's working folder
        try:
            return [src._csv_relation()]
        finally:
            src.file = keep
    relations = []
    for f in src.files:
        rows = src.con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(Path(f).resolve()))})").fetchall()
        here = {r[0]: r[1] for r in rows}
        cols = []
        for name in src.columns:
            want = src.types[name]
            if name not in here:
                cols.append(f"CAST(NULL AS {want}) AS {_ident(name)}")
            elif here[name] != want:
                cols.append(f"CAST({_ident(name)} AS {want}) AS {_ident(name)}")
            else:
                cols.append(_ident(name))
        relations.append(f"(SELECT {', '.join(cols)} FROM read_parquet({_lit(str(Path(f).resolve()))}))")
    return relations


def _fresh(folder: Path) -> Path:
    """An empty folder of intake's own (its scratch, inside the workdir) for parts."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder.resolve()


def _failed(src: Any, label: str, results: list[tuple[list, str | None]]) -> list[Problem] | None:
    """The problems of a stage that failed on an executor (worded as on one machine), None if it did not.

    Raises
    ------
    _OnDriver
        When the CSV turned out not to be UTF-8 past the sniffed sample: it is checked on the driver.
    """
    from cvkit.data.stream import _stage_error

    errors = [e for _, e in results if e]
    if not errors:
        return None
    if src.text and "unicode" in errors[0].lower():
        raise _OnDriver("the CSV is not UTF-8 throughout (it is converted on this machine first); save it as "
                        "CSV UTF-8 or Parquet to check it on the cluster")
    problems = _stage_error(src, label, errors[0])
    if problems is None:  # not a data problem: DuckDB's own error, as on one machine
        raise RuntimeError(f"intake's stage on the Spark cluster failed: {errors[0]}")
    return problems


class _OnDriver(Exception):
    """The data set must be checked on the driver after all; the message says why."""


def stream_on_spark(spark: Any, kind: str, path: Any, label: str, src: Any, plan: Any, cols: Any, chk: Any,
                    fixed_present: list, free: list[str], ignored: list[str], complete: bool,
                    workdir: Path) -> tuple[Any, list[Problem]]:
    """:func:`cvkit.data.stream.stream_load`'s stage, report, duplicates and write on a Spark cluster.

    Arguments are stream_load's plan (see there). Returns ``(StreamedTable or None, problems)`` as
    stream_load does; the table's kept rows are a folder of Parquet parts in the file's order.

    Raises
    ------
    _OnDriver
        When the source cannot be checked on the cluster after all (the message says why).
    """
    from cvkit.data import stream as st

    stage = _fresh(workdir / f"{kind}.stage")
    jobs = [[f"COPY ({plan.sql(rel, cols.raw)}) TO {st._lit(str(stage / _PART.format(i)))} ({st._WORKING})",
             f"SELECT count(*) FROM read_parquet({st._lit(str(stage / _PART.format(i)))})"]
            for i, rel in enumerate(_part_relations(src))]
    try:
        results = _on_executors(spark, jobs)
        if (problems := _failed(src, label, results)) is not None:
            return None, problems
        sizes = [int(r[0][0]) for r, _ in results]
        offsets = [sum(sizes[:i]) for i in range(len(sizes))]
        return _finish(spark, kind, path, label, src, plan, cols, chk, fixed_present, free, ignored, complete,
                       workdir, stage, offsets, sizes)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _staged_frame(spark: Any, stage: Path, offsets: list[int]) -> Any:
    """The staged parts as one Spark DataFrame with ``_row``: the part's offset plus the row's position."""
    from pyspark.sql import functions as F

    raw = spark.read.parquet(str(stage))
    where = spark.createDataFrame([(_PART.format(i), off) for i, off in enumerate(offsets)],
                                  "_file string, _offset long")
    framed = raw.select("*", F.col("_metadata.file_name").alias("_file"),
                        F.col("_metadata.row_index").alias("_pos"))
    return (framed.join(F.broadcast(where), "_file")
            .select((F.col("_offset") + F.col("_pos") + 1).alias("_row"), *[F.col(c) for c in raw.columns]))


def _finish(spark, kind, path, label, src, plan, cols, chk, fixed_present, free, ignored, complete, workdir,
            stage, offsets, sizes) -> tuple[Any, list[Problem]]:
    """Report the staged checks (Spark), find duplicates (Spark), write kept and excluded rows (executors)."""
    from pyspark.sql import functions as F

    from cvkit.data import stream as st

    names = [c.name for c in fixed_present] + free
    staged = _staged_frame(spark, stage, offsets)
    n, stats, filled = _stats(staged, plan, {nm: cols.text[nm] for nm in names})
    report, ok = st._report(label, chk.policy, stats, chk, fixed_present, filled, plan, complete, n)
    if not ok:
        return None, report.problems
    reason = F.lit(None).cast("string")
    for flag, why in reversed(report.exclusions):  # the first matching check names the reason, as CASE does
        reason = F.when(F.col(flag), F.lit(why)).otherwise(reason)
    values = {nm: cols.value[nm] for nm in names}
    extra = _duplicates(spark, staged.withColumn("_reason", reason), chk.schema, values, chk, report,
                        workdir / f"{kind}.extra")
    rows_dir, excl_dir = _fresh(workdir / f"{kind}.rows.parquet"), _fresh(workdir / f"{kind}.excluded.parts")
    out_cols = st._out_columns(chk.schema, values, free)
    cells = st._excluded_cells(names, cols, plan, fixed_present)
    jobs = []
    for i, (off, size) in enumerate(zip(offsets, sizes)):
        part = (f"(SELECT file_row_number + {1 + off} AS _row, * EXCLUDE (file_row_number) FROM "
                f"read_parquet({st._lit(str(stage / _PART.format(i)))}, file_row_number = true))")
        part = f"(SELECT *, {st._reason_sql(report)} AS _reason FROM {part})"
        if extra is not None:
            part = (f"(SELECT s.* REPLACE (coalesce(s._reason, e._why) AS _reason) FROM {part} s LEFT JOIN "
                    f"(SELECT _row, _why FROM read_parquet({st._lit(str(extra / '*.parquet'))}) WHERE _row BETWEEN "
                    f"{off + 1} AND {off + size}) e USING (_row) ORDER BY s._row)")
        kept, gone = rows_dir / _PART.format(i), excl_dir / _PART.format(i)
        jobs.append([f"COPY (SELECT _row, {', '.join(out_cols)} FROM {part} WHERE _reason IS NULL) "
                     f"TO {st._lit(str(kept))} ({st._WORKING})",
                     f"COPY (SELECT _row AS row, _reason AS reason, {cells} FROM {part} WHERE _reason IS NOT NULL) "
                     f"TO {st._lit(str(gone))} (FORMAT parquet)",
                     f"SELECT count(*) FROM read_parquet({st._lit(str(kept))})"])
    results = _on_executors(spark, jobs)
    if (errors := [e for _, e in results if e]):
        raise RuntimeError(f"intake's write on the Spark cluster failed: {errors[0]}")
    n_kept = sum(int(r[0][0]) for r, _ in results)
    excluded_path = workdir / f"{kind}.excluded.0.parquet"
    con = duckdb.connect()
    try:  # excluded rows are few (and excluded.csv is written from them on this machine anyway)
        con.execute(f"COPY (SELECT * FROM read_parquet({st._lit(str(excl_dir / '*.parquet'))}) ORDER BY row) "
                    f"TO {st._lit(str(excluded_path))} (FORMAT parquet)")
    finally:
        con.close()
    scratch = workdir / f"{kind}.extra"
    for folder in (excl_dir, scratch, Path(f"{scratch}.dups"), Path(f"{scratch}.keys")):
        shutil.rmtree(folder, ignore_errors=True)
    table = st.StreamedTable(kind=kind, source=str(path), rows_path=rows_dir, excluded_paths=[excluded_path],
                             n_rows=n_kept, n_excluded=n - n_kept, columns_found=names, ignored_columns=ignored,
                             read_info=dict(src.info, streamed=True), workdir=workdir)
    return table, report.problems


def _stats(staged: Any, plan: Any, texts: dict[str, str]) -> tuple[int, Any, dict[str, int]]:
    """Row count, each flag's count, non-empty cells per column: one Spark aggregate (as stream._stats)."""
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1))] + [F.count_if(F.col(f)) for f in plan.examples]
    aggs += [F.count(F.col(t)) for t in texts.values()]
    aggs += [F.count(F.col(plan.sparse_text[t])) for t in texts.values() if t in plan.sparse_text]
    row = list(staged.agg(*aggs).first())
    n = int(row[0])
    counts = {f: int(row[1 + k] or 0) for k, f in enumerate(plan.examples)}
    k = 1 + len(counts)
    filled = {name: int(row[k + j]) for j, name in enumerate(texts)}
    k += len(texts)
    for name, t in texts.items():
        if t in plan.sparse_text:
            filled[name] += int(row[k])
            k += 1
    return n, _SparkStats(staged, plan, n, counts), filled


class _SparkStats(_Stats):
    """Each flag's (count, first rows, first example values), as ``stats[flag]`` (see stream._Stats).

    The first 20 flagged rows come from Spark (a top-k, not a sort of the log); their example text is
    cast by DuckDB on the driver, so it reads exactly as on one machine.
    """

    def __init__(self, staged: Any, plan: Any, n: int, counts: dict[str, int]):
        self.staged, self.plan, self.n, self.counts = staged, plan, n, counts
        self.details: dict[str, tuple[list, list]] = {}

    def _read(self, flag: str) -> None:
        from functools import reduce

        from pyspark.sql import functions as F

        from cvkit.data.stream import _MAX_ROWS_SHOWN

        batch = self._batch(flag)  # rare flags together in one Spark job, a common one alone
        firsts = [self.staged.where(F.col(f)).orderBy("_row").limit(_MAX_ROWS_SHOWN) for f in batch]
        first = reduce(lambda a, b: a.unionByName(b), firsts).toArrow()
        con = duckdb.connect()
        try:
            con.register("_first", first)
            con.execute("CREATE VIEW _rows AS SELECT DISTINCT ON (_row) * FROM _first")  # a row of two flags once
            for f in batch:
                row = con.execute(f"SELECT min(_row, {_MAX_ROWS_SHOWN}) FILTER (WHERE {f}), arg_min(CAST("
                                  f"{self.plan.examples[f]} AS VARCHAR), _row, 3) FILTER (WHERE {f}) FROM _rows"
                                  ).fetchone()
                self.details[f] = (list(row[0] or []), list(row[1] or []))
        finally:
            con.close()


def _materialise(spark: Any, frame: Any, folder: Path) -> Any:
    """Write ``frame`` to ``folder`` (Parquet) and read it back: later steps reuse it without recomputing."""
    frame.write.mode("overwrite").parquet(str(folder))
    return spark.read.parquet(str(folder))


def _duplicates(spark, staged, schema, values: dict[str, str], chk, report, scratch: Path) -> Path | None:
    """Identical rows, then rows sharing a key, among rows kept so far (stream._duplicates on Spark).

    Returns the folder of the new exclusions (``_row``, ``_why``; Parquet), or None when there are none.
    """
    from pyspark.sql import functions as F

    from cvkit.data.stream import _MAX_ROWS_SHOWN

    policy = chk.policy
    alive = staged.where(F.col("_reason").isNull())
    present = [k for k in schema.key if k in values]

    def complete_of(columns: list[str]) -> Any:
        out = F.lit(True)
        for k in columns:
            out = out & F.col(k).isNotNull()
        return out

    # One pass: each key column's filled cells, and (for the usual case, every key column filled) the kept
    # rows and those with a complete key.
    first = staged.agg(*[F.count(F.col(values[k])) for k in present], F.count_if(F.col("_reason").isNull()),
                       F.count_if(F.col("_reason").isNull() & complete_of([values[k] for k in present]))).first()
    key_names = [k for k, f in zip(present, first) if f]
    key = [values[k] for k in key_names]
    complete = complete_of(key)
    key_unique = False
    if key:
        n_alive, n_complete = first[len(present):] if len(key) == len(present) else \
            alive.agg(F.count(F.lit(1)), F.count_if(complete)).first()
        key_unique = n_alive == n_complete and not alive.groupBy(*key).count().where("count > 1").take(1)
    extras, dups = [], None
    if not key_unique:
        vcols = list(values.values())
        dups = _materialise(spark, _repeats(alive, vcols).select("_row", "later"), Path(f"{scratch}.dups"))
        n_dup, n_later = dups.agg(F.count(F.lit(1)), F.count_if("later")).first()
        if n_dup and policy.duplicate_rows == "exclude":
            extras.append(dups.where("later").select("_row", F.lit("duplicate row").alias("_why")))
        elif n_dup and policy.duplicate_rows == "error":
            rows = [r[0] for r in dups.orderBy("_row").select("_row").take(_MAX_ROWS_SHOWN)]
            report.problems.append(Problem(
                file=report.label, message=f"{n_later} row(s) repeat an earlier row exactly.",
                fix="remove the repeated rows, or set intake.duplicate_rows: exclude to drop the copies"
                    + (" (or keep, if they are genuine identical purchases; better: add transaction_id)"
                       if chk.kind == "transactions" else "") + ".",
                rows=tuple(rows), n_rows=int(n_dup)))
    if key and not key_unique:
        sub = alive.where(complete)
        for gone in extras + ([dups.where("later")] if dups is not None and policy.duplicate_rows != "keep" else []):
            sub = sub.join(gone.select("_row"), "_row", "left_anti")
        keydup = _materialise(spark, _repeats(sub, key).select(
            "_row", "later", *[F.col(k).alias(f"_k{j}") for j, k in enumerate(key)]), Path(f"{scratch}.keys"))
        n_dup = keydup.count()
        key_text = " + ".join(key_names)
        if n_dup and policy.duplicate_ids == "exclude":
            extras.append(keydup.where("later").select("_row", F.lit("duplicate " + key_text).alias("_why")))
        elif n_dup:
            kcols = [f"_k{j}" for j in range(len(key))]
            shown_vals = keydup.groupBy(*kcols).agg(F.min("_row").alias("_first")).orderBy("_first").take(3)
            shown = ", ".join("'" + "' / '".join(str(v[c]) for c in kcols) + "'" for v in shown_vals)
            rows = [r[0] for r in keydup.orderBy("_row").select("_row").take(_MAX_ROWS_SHOWN)]
            report.problems.append(Problem(
                file=report.label, column=key_text, rows=tuple(rows), n_rows=int(n_dup),
                message=f"{n_dup} row(s) share a {key_text} that should be unique, e.g. {shown}.",
                fix=f"one row per {schema.one_row_per}: merge or remove the duplicates, or set "
                    "intake.duplicate_ids: exclude to keep only the first."))
    if not extras:
        return None
    frame = extras[0]
    for more in extras[1:]:
        frame = frame.unionByName(more)
    written = _materialise(spark, frame, scratch)
    return scratch.resolve() if written.take(1) else None


def _repeats(frame: Any, columns: list[str]) -> Any:
    """Rows whose ``columns`` repeat another row's (missing values equal, as IS NOT DISTINCT FROM), with
    ``later``: not the first such row in the file's order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    same = Window.partitionBy(*columns)
    return (frame.select("*", F.count(F.lit(1)).over(same).alias("_n"),
                         F.row_number().over(same.orderBy("_row")).alias("_k"))
            .where("_n > 1").withColumn("later", F.col("_k") > 1))


def copy_parts(spark: Any, rows: Path, target: Path, kind: str) -> None:
    """Copy checked parts (``_row`` dropped, marked as checked) from folder ``rows`` to folder ``target``,
    one executor task per part: the checked Parquet is written on the cluster, in the file's order."""
    from cvkit.data.stream import CHECKED_MARK, _lit, checked_kind

    if target.exists() and checked_kind(target) != kind:  # only a checked copy cvkit wrote is replaced
        raise FileExistsError(f"{target} exists and is not a checked {kind} file cvkit wrote; choose another "
                              "target or remove it first.")
    target = _fresh(target)
    jobs = [[f"COPY (SELECT * EXCLUDE (_row) FROM read_parquet({_lit(str(part.resolve()))})) TO "
             f"{_lit(str(target / part.name))} (FORMAT parquet, ROW_GROUP_SIZE 122880, "
             f"KV_METADATA {{{CHECKED_MARK}: {_lit(kind)}}})"] for part in sorted(rows.glob("*.parquet"))]
    errors = [e for _, e in _on_executors(spark, jobs) if e]
    if errors:
        raise RuntimeError(f"writing the checked {kind} on the Spark cluster failed: {errors[0]}")
