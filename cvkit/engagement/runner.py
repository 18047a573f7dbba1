"""Run an engagement: intake, notebooks through papermill, deliverable, manifest.

A run builds everything in a hidden temporary folder next to the final one
(``outputs/.<slug>.building-*``) and swaps it into place only when every step
succeeded, so a failed or interrupted run leaves the last good deliverable
untouched. A lock file keeps two runs of the same client from overlapping;
different clients never share a folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from cvkit.data.engine import override_engine
from cvkit.engagement import confinement
from cvkit.engagement.checks import check_against_data
from cvkit.engagement.config import (ANALYSES, DATA_KINDS, OVERVIEW, SYNTHESIS, Analysis, ConfigError, Engagement,
                                     load_config, resolve_analysis_files)
from cvkit.engagement.notebook import NOT_GIVEN
from cvkit.engagement.overview import write_intake_record
from cvkit.engagement.manifest import NotebookRun, file_sha256
from cvkit.engagement.manifest import now as _now
from cvkit.engagement.manifest import write_manifest as _write_manifest
from cvkit.exceptions import RunError

__all__ = ["RunError", "NotebookRun", "run_engagement", "run_many", "file_sha256"]

@contextlib.contextmanager
def _client_lock(root: Path, slug: str) -> Iterator[None]:
    lock_path = root / f".{slug}.lock"
    try:
        fh = open(lock_path, "a+")
    except OSError as exc:
        raise (_storage_error(exc, root, root / slug) or exc) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise RunError(f"another run for client '{slug}' is in progress (lock {lock_path}). "
                               "Fix: wait for it to finish, or run a different client.") from None
            raise
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _storage_error(exc: OSError, root: Path, final: Path) -> RunError | None:
    """A clear RunError for a disk that is full, read-only or not writable (the deliverable is untouched).

    None when ``exc`` is not about writing the outputs (e.g. an input file that cannot be read).
    """
    reasons = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EROFS: "the output folder is on a read-only file system",
               errno.EACCES: "the output folder is not writable", errno.EPERM: "the output folder is not writable"}
    if exc.errno not in reasons:
        return None
    if exc.errno in (errno.EACCES, errno.EPERM) and exc.filename and not str(exc.filename).startswith(str(root)):
        return None
    reason = reasons[exc.errno]
    kept = (f"the previous deliverable {final} is untouched" if final.exists()
            else "no deliverable was written")
    return RunError(f"{reason}: {exc.filename or root}. The run stopped before replacing anything: {kept}. "
                    f"Fix: free disk space or choose a writable folder (--output-dir, or output_dir: in "
                    f"engagement.yaml), then rerun; leftovers of this run are cleaned up automatically.")


def _recover(root: Path, slug: str) -> None:
    """Undo what an interrupted earlier run left behind (we hold the client lock)."""
    final = root / slug
    old = sorted(root.glob(f".{slug}.old-*"))
    if not final.exists() and old:
        # Interrupted between the two renames of the swap: the old deliverable is the good one.
        old[-1].rename(final)
        old = old[:-1]
    for leftover in [*old, *root.glob(f".{slug}.building-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _common_parameters(cfg: Engagement, build: Path) -> dict[str, Any]:
    return {
        "client": cfg.client.slug,
        "client_name": cfg.client.name,
        "currency": cfg.currency,
        "locale": cfg.report_locale(),
        "analysis_date": cfg.analysis_date.isoformat(),
        "seed": cfg.seed,
        "output_dir": str(build),
    }


def _notebook_parameters(analysis: Analysis, cfg: Engagement, build: Path, data_paths: dict[str, str],
                         declared: dict[str, Any]) -> dict[str, Any]:
    params = _common_parameters(cfg, build)
    for kind in DATA_KINDS:
        if kind in declared:
            params[kind] = data_paths.get(kind, NOT_GIVEN)
    # The notebooks re-read the intake's output: the same rules must apply (e.g. duplicate_rows: keep).
    params["intake"] = cfg.intake.model_dump(exclude_defaults=True)
    # Notebooks that summarise the transactions run the summary on the engagement's engine.
    params["engine"] = cfg.engine
    if "labels" in declared:  # the client's words for the codes in their data
        params["labels"] = dict(cfg.labels)
    if analysis is OVERVIEW:
        params["intake_dir"] = str(build / "data")
        params["results_dir"] = str(build)  # the red flags the analyses of this run recorded
    elif analysis is SYNTHESIS:
        params["results_dir"] = str(build)  # the results files the analyses of this run wrote
    else:
        params.update(cfg.analysis_parameters(analysis.key))
        # The notebooks run in the build folder: file options go to them resolved from the engagement folder.
        params.update({name: str(path) for name, path in resolve_analysis_files(cfg).get(analysis.key, {}).items()})
    # Results of earlier analyses in this run that later notebooks read.
    upstream = {
        "clv_file": build / "tables" / "clv" / "customers.csv",
        "partworths_file": build / "tables" / "choice" / "respondent_partworths.csv",
    }
    for name, path in upstream.items():
        if name in declared and name not in params and path.exists():
            params[name] = str(path)
    # One margin for every notebook that values customers: the CLV analysis's (segmentation's CLV
    # must be the CLV page's, also when it computes CLV itself).
    clv_config = getattr(cfg.analyses, "clv", None)
    clv_margin = clv_config.parameters().get("margin") if clv_config is not None else None
    if "margin" in declared and "margin" not in params and clv_margin is not None:
        params["margin"] = clv_margin
    # Paths relative to the notebooks' folder, where the kernels run: the executed notebooks in the
    # deliverable point at the deliverable's own copies (../data/*.parquet), never at the build folder.
    return {k: _relative_to_notebooks(v, build) for k, v in params.items() if k in declared}


def _relative_to_notebooks(value: Any, build: Path) -> Any:
    if isinstance(value, str) and (value == str(build) or value.startswith(str(build) + os.sep)):
        return Path(os.path.relpath(value, build / "notebooks")).as_posix()
    return value


def _failure_details(exc: BaseException) -> tuple[int | None, str]:
    """(execution count ``In [n]`` of the failing cell, short reason naming the cvkit function) of a papermill error."""
    cell = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    where = ""
    tb = "\n".join(getattr(exc, "traceback", []) or [])
    tb = re.sub(r"\x1b\[[0-9;]*m", "", tb)
    frames = re.findall(r"File (\S*cvkit/[\w/]+\.py):(\d+), in (\w+)", tb)
    if frames:
        file, line, func = frames[-1]
        module = "cvkit." + file.split("cvkit/", 1)[1][:-3].replace("/", ".")
        where = f" (in {module}.{func}, line {line})"
    return cell, f"{ename}: {evalue}{where}"


def run_engagement(config: str | Path, *, only: Sequence[str] | None = None,
                   output_dir: str | Path | None = None, progress: bool = True, engine: str | None = None,
                   log: Callable[[str], None] = print) -> Path:
    """Run an engagement end to end and return the deliverable folder.

    Parameters
    ----------
    config : str or Path
        ``engagement.yaml`` or the engagement folder.
    only : sequence of str, optional
        Analysis keys to (re)run (``value_drivers``, ``discrete_choice``,
        ``clv``, ``segmentation``). Pages of the other analyses are carried
        over from the previous deliverable when there is one.
    output_dir : str or Path, optional
        Root folder for deliverables; default: the config's ``output_dir``.
        The deliverable goes to ``<output_dir>/<client slug>/``.
    progress : bool
        Show a progress bar per notebook.
    engine : str, optional
        Overrides the config's ``engine`` (``cvkit run --engine``): ``"duckdb"``; ``"spark"`` keeps
        the config's Spark master and conf when it has them, else runs Spark on this machine
        (``local[2]``); a Spark master URL (``"spark://host:7077"``, ``"local[4]"``, ``"yarn"``,
        ``"k8s://..."``) runs Spark there with the config's Spark conf, if any
        (:func:`cvkit.data.engine.override_engine`). The manifest records the engine used.
    log : callable
        Where progress messages go.

    Returns
    -------
    Path
        ``<output_dir>/<slug>``, holding ``index.html``.

    Raises
    ------
    cvkit.engagement.config.ConfigError, cvkit.data.DataError, RunError
    """
    cfg = load_config(config)
    try:
        cfg.engine = override_engine(cfg.engine, engine)
    except ValueError as exc:
        raise RunError(str(exc)) from None
    unknown = [k for k in (only or []) if k not in ANALYSES]
    if unknown:
        raise RunError(f"--only {', '.join(unknown)}: unknown analysis. Fix: use {', '.join(ANALYSES)}.")
    root = Path(output_dir).resolve() if output_dir else cfg.output_root()
    slug = cfg.client.slug
    final = root / slug
    started, t0 = _now(), time.perf_counter()
    inputs = _run_inputs(cfg)
    # Before anything is written: never an output folder holding the engagement's own files, never a
    # folder cvkit did not create, never another client's deliverable.
    confinement.check_output_location(cfg, root, final, inputs.values())
    _make_root(root, final)
    with _client_lock(root, slug):
        _recover(root, slug)
        build = _new_build_folder(root, slug, final)
        runs: list[NotebookRun] = []
        try:
            hashes = {k: file_sha256(p) for k, p in inputs.items()}
            log(f"[{slug}] intake: {', '.join(inputs) or 'no data files'}")
            result, privacy_done, data_paths = _prepare_data(cfg, build, log)
            _run_notebooks(cfg, only, build, final, data_paths, progress, log, runs)
            _render(build, cfg, runs, log)
            _check_inputs_unchanged(inputs, hashes)
            kept = confinement.carry_unknown_files(final, build, log)
            _write_manifest(build, cfg, runs, inputs, hashes, result, started, time.perf_counter() - t0,
                            privacy=privacy_done, final=final, log=log, kept=kept)
            shutil.rmtree(build / ".intake", ignore_errors=True)  # streamed intake's scratch
            confinement.write_marker(build, cfg, kept=kept)
            _swap(build, final)
        except BaseException as exc:
            _keep_partial(build, root, slug, runs, exc)
            if isinstance(exc, OSError) and (storage := _storage_error(exc, root, final)) is not None:
                raise storage from exc
            raise
    if confinement.clean_failed(root, slug):
        log(f"[{slug}] removed the partial notebooks of an earlier failed run ({root / '.failed' / slug})")
    log(f"[{slug}] done")  # the command prints the deliverable's path, once
    return final


def _make_root(root: Path, final: Path) -> None:
    """Create the deliverables' root folder; a full or read-only disk is a clear RunError."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise (_storage_error(exc, root, final) or exc) from exc


def _new_build_folder(root: Path, slug: str, final: Path) -> Path:
    """The hidden folder this run builds in (``.<slug>.building-*``), swapped into place at the end."""
    try:
        return Path(tempfile.mkdtemp(prefix=f".{slug}.building-", dir=root))
    except OSError as exc:
        raise (_storage_error(exc, root, final) or exc) from exc


def _run_inputs(cfg: Engagement) -> dict[str, Path]:
    """Every file the run reads, by key: the data files and the files analysis options name.

    Files named by analysis options (e.g. a client's RFM rule table) are inputs too: hashed, watched.
    """
    inputs = {k: cfg.data_path(k) for k in cfg.data.given()}
    inputs.update({f"analyses.{key}.{name}": path for key, files in resolve_analysis_files(cfg).items()
                   for name, path in files.items()})
    return inputs


def _prepare_data(cfg: Engagement, build: Path, log: Callable[[str], None]) -> tuple[Any, Any, dict[str, str]]:
    """Intake, privacy and the settings check, then the checked tables written for the notebooks.

    Returns
    -------
    tuple
        ``(intake result, privacy record, {data kind: parquet path})``.
    """
    from cvkit.data import DataError, intake, privacy

    # Transaction logs are checked out of core into the build folder (never held in memory); with Spark,
    # on the cluster (the session is stopped once the checked data are written).
    result = intake(cfg.data.given(), policy=cfg.intake, base_dir=cfg.base_dir, workdir=build / ".intake",
                    engine=cfg.engine)
    try:
        for kind, where in result.checked_on.items():
            if where not in ("duckdb", "pandas"):
                log(f"[{cfg.client.slug}] intake: {kind} checked " + (f"on the Spark cluster {where}" if "://" in where
                    or where.startswith(("local", "yarn")) else f"with {where}"))
        # Pseudonymise IDs and refuse personal columns before anything is written for the notebooks.
        privacy_done = privacy.protect(result, cfg.privacy)
        if not result.ok:
            raise DataError(result.problems)
        _resolve_settings(cfg, result, log)
        # The analysis settings against the data, as `cvkit validate` checks them.
        mismatches = check_against_data(cfg, result.tables)
        if mismatches:
            raise ConfigError(cfg.config_path, mismatches)
        data_dir = build / "data"
        result.write(data_dir, relative_to=cfg.base_dir)
    finally:
        result.close()
    # The overview reports this intake from its record instead of checking every data set again.
    write_intake_record(result, data_dir, relative_to=cfg.base_dir)
    data_paths = {k: str(data_dir / f"{k}.parquet") for k in result.tables}
    (build / "notebooks").mkdir()
    return result, privacy_done, data_paths


def _run_notebooks(cfg: Engagement, only: Sequence[str] | None, build: Path, final: Path,
                   data_paths: dict[str, str], progress: bool, log: Callable[[str], None],
                   runs: list[NotebookRun]) -> None:
    """Execute (or carry over) each enabled analysis, then the overview and the summary, appending to ``runs``.

    ``runs`` is filled in place so a failure part-way still leaves the finished runs for the partial record.
    """
    planned = cfg.enabled_analyses()
    to_run = [a for a in planned if not only or a.key in only]
    for analysis in planned:
        if analysis not in to_run:
            runs.append(_carry_over(analysis, final, build, log))
            continue
        runs.append(_execute(analysis, cfg, build, data_paths, progress, log))
    # The overview comes first in the deliverable but runs after the analyses: it gathers their red flags.
    runs.insert(0, _execute(OVERVIEW, cfg, build, data_paths, progress, log))
    # The executive summary reads every analysis's results, rerun or carried over, so it always reruns.
    if any(r.status in ("ok", "carried_over") for r in runs if r.analysis != OVERVIEW.key):
        runs.append(_execute(SYNTHESIS, cfg, build, data_paths, progress, log))


def _render(build: Path, cfg: Engagement, runs: list[NotebookRun], log: Callable[[str], None]) -> None:
    """Render the deliverable from the executed notebooks; say when PDFs could not be printed."""
    from cvkit.engagement import report

    log(f"[{cfg.client.slug}] rendering the deliverable")
    report.render_deliverable(build, cfg, runs)
    if cfg.report.pdf and report.chromium_path() is None:
        log(f"[{cfg.client.slug}] PDFs not printed: Chromium is not installed (`sudo apt-get install chromium`, "
            "or `make test` which installs it), then rerun")


def _check_inputs_unchanged(inputs: dict[str, Path], hashes: dict[str, str]) -> None:
    """Raise RunError when an input file changed while the run was reading it (its hash moved)."""
    changed = [k for k, p in inputs.items() if file_sha256(p) != hashes[k]]
    if changed:
        raise RunError(f"input files changed while the run was reading them: {', '.join(changed)}. "
                       "Fix: make sure nothing else writes to the engagement's data files, then rerun.")


def _resolve_settings(cfg: Engagement, result: Any, log: Callable[[str], None]) -> None:
    """Analysis settings checked against the data (the same check as `cvkit validate`), before any notebook."""
    from cvkit.engagement.choice_settings import engagement_choice_settings
    from cvkit.engagement.config import ConfigError

    settings = engagement_choice_settings(cfg, result)
    if settings.problems:
        raise ConfigError(cfg.config_path, settings.problems)
    for note in settings.notes:
        log(f"[{cfg.client.slug}] {note}")
    cfg.resolved = {"discrete_choice": settings.parameters, "segmentation": settings.segmentation}


# The kernel's own start-up log (ipykernel's "running over TCP without encryption" warning on a
# local kernel cvkit starts and talks to over loopback) is not for the analyst's terminal; errors
# still show. Notebook output and warnings from the analysis go to the notebook, not this log.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)


#: A cell may run this long on a small engagement before the run stops (a stuck cell fails the run
#: instead of hanging it) ...
CELL_TIMEOUT_SECONDS = 600
#: ... plus this much per million rows of checked data: a 100M-row log's model fits and valuation
#: legitimately take longer than any cell of a survey-sized engagement.
CELL_TIMEOUT_PER_MILLION_ROWS = 60


def cell_timeout(data_paths: dict[str, str]) -> int:
    """Seconds one notebook cell may run: grows with the rows of the run's checked data.

    ``CVKIT_CELL_TIMEOUT`` (seconds) overrides it, e.g. on a machine much slower than a laptop.
    """
    given = os.environ.get("CVKIT_CELL_TIMEOUT", "").strip()
    if given:
        if not given.isdigit() or int(given) < 1:
            raise ConfigError("CVKIT_CELL_TIMEOUT", [f"CVKIT_CELL_TIMEOUT={given!r} is not a whole number of "
                                                     "seconds; set it to e.g. 3600, or unset it for the default"])
        return int(given)
    import pyarrow.parquet as pq

    # A data set checked on a Spark cluster is a folder of Parquet parts.
    files = [f for p in map(Path, data_paths.values())
             for f in (sorted(p.glob("*.parquet")) if p.is_dir() else [p] if p.is_file() else [])]
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    return CELL_TIMEOUT_SECONDS + CELL_TIMEOUT_PER_MILLION_ROWS * -(-rows // 1_000_000)


RUN_DUCKDB_MEMORY_LIMIT = "1GB"  # DuckDB's working memory in a run's kernels (see kernel_environment)


@contextlib.contextmanager
def kernel_environment(privacy: Any = None) -> Iterator[None]:
    """The environment the notebooks' kernels inherit, restored when the block ends.

    - ``MPLBACKEND`` is the inline backend whatever the caller's shell sets: with ``Agg`` (common on
      servers and in CI) ``plt.show()`` would draw nothing and the deliverable would have no charts.
    - The pseudonymisation key's variable (``privacy.key_env``) is removed: notebooks only ever see
      pseudonyms, and without the key they cannot compute the pseudonym of a guessed ID either.
    - DuckDB's memory limit in a kernel is 1 GB unless ``CVKIT_DUCKDB_MEMORY_LIMIT`` says otherwise: a
      run is the runner, one kernel and DuckDB's working memory at a time, and with the library's
      2 GB default a 20M-row log peaked at 2.47 GB (1.87 GB at 1 GB; DuckDB spills the rest to disk).

    Parameters
    ----------
    privacy : cvkit.data.privacy.PrivacyOptions, optional
        The engagement's privacy options (``None``: no key to withhold).
    """
    saved = os.environ.copy()
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ.setdefault("CVKIT_DUCKDB_MEMORY_LIMIT", RUN_DUCKDB_MEMORY_LIMIT)
    if privacy is not None:
        os.environ.pop(privacy.key_env, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _execute(analysis: Analysis, cfg: Engagement, build: Path, data_paths: dict[str, str], progress: bool,
             log: Callable[[str], None]) -> NotebookRun:
    import papermill as pm

    from cvkit.engagement.parameters import notebook_parameters

    declared = notebook_parameters(analysis.path)
    params = _notebook_parameters(analysis, cfg, build, data_paths, declared)
    out_nb = build / "notebooks" / analysis.filename
    run = NotebookRun(analysis.key, analysis.filename, "failed", parameters=params)
    log(f"[{cfg.client.slug}] {analysis.filename}")
    timeout = cell_timeout(data_paths)
    t = time.perf_counter()
    try:
        with kernel_environment(cfg.privacy):
            pm.execute_notebook(_applicable_cells(analysis.path, params), str(out_nb), parameters=params, cwd=str(build / "notebooks"),
                                progress_bar=progress, log_output=False, kernel_name="python3",
                                execution_timeout=timeout, extra_arguments=list(KERNEL_ARGUMENTS))
    except Exception as exc:
        run.seconds = round(time.perf_counter() - t, 2)
        cell, reason = _failure_details(exc)
        run.error = reason
        where = f" at cell In [{cell}]" if cell else ""
        if _disk_full(exc):
            raise RunError(f"{analysis.filename} failed{where}: the disk is full ({reason}). The run stopped before "
                           "replacing anything: the previous deliverable is untouched. Fix: free disk space (or "
                           "choose another --output-dir), then rerun the same command; leftovers are cleaned up "
                           "automatically.", notebook=analysis.filename, cell=cell, partial=out_nb) from exc
        if type(exc).__name__ == "CellTimeoutError":
            reason = (f"a cell ran longer than {timeout:,} s, the limit for this engagement ({CELL_TIMEOUT_SECONDS} s "
                      f"plus {CELL_TIMEOUT_PER_MILLION_ROWS} s per million rows of data). If the machine is busy or "
                      "slow rather than the cell stuck, rerun with a longer limit, e.g. CVKIT_CELL_TIMEOUT=7200 "
                      "cvkit run ...")
        elif _kernel_failure(exc):
            reason += (" (the notebook's kernel died or could not start: killed, out of memory, or the machine is "
                       "overloaded). Rerun the same command to start again; leftovers are cleaned up "
                       "automatically")
        raise RunError(f"{analysis.filename} failed{where}: {reason}", notebook=analysis.filename, cell=cell,
                       partial=out_nb) from exc
    run.seconds = round(time.perf_counter() - t, 2)
    run.status = "ok"
    _portable_metadata(out_nb, analysis)
    return run


#: Tag of the notebook cells that read a data set: ``needs-<kind>``. Left out when it is not given.
NEEDS_TAG = "needs-"


def _applicable_cells(path: Path, params: dict[str, Any]) -> Any:
    """The notebook to run: without the cells (markdown and code) whose data set is not given.

    A section tagged ``needs-transactions`` (say) only applies to an engagement with a transaction log:
    notebook 04 values subscribers without one. The notebook itself says what it left out and why.
    Returns the path itself when nothing is left out.
    """
    import nbformat

    from cvkit.engagement.notebook import NOT_GIVEN

    missing = {kind for kind, value in params.items() if value == NOT_GIVEN}
    nb = nbformat.read(str(path), as_version=4)
    keep = [c for c in nb.cells if not any(t.startswith(NEEDS_TAG) and t[len(NEEDS_TAG):] in missing
                                           for t in c.metadata.get("tags", []))]
    if len(keep) == len(nb.cells):
        return str(path)
    nb.cells = keep
    return nb


def _portable_metadata(out_nb: Path, analysis: Analysis) -> None:
    """papermill records where it read and wrote the notebook (cvkit's install folder, the build folder):
    replaced by paths inside the deliverable, so no absolute path or user name ships with it."""
    import nbformat

    nb = nbformat.read(str(out_nb), as_version=4)
    meta = nb.metadata.get("papermill", {})
    if "input_path" in meta or "output_path" in meta:
        meta["input_path"] = f"cvkit/notebooks/{analysis.filename}"
        meta["output_path"] = f"notebooks/{analysis.filename}"
        nbformat.write(nb, str(out_nb))


def _disk_full(exc: BaseException) -> bool:
    """True when a notebook failed for want of disk space (in its own code, or papermill saving it)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        seen = seen.__cause__ or seen.__context__
    text = f"{getattr(exc, 'ename', '')}: {getattr(exc, 'evalue', exc)}"
    return "[Errno 28]" in text or "No space left on device" in text or "Disk quota exceeded" in text


def _kernel_failure(exc: BaseException) -> bool:
    """True when a notebook failed because its kernel died or never started (not because of its code).

    nbclient raises ``DeadKernelError`` when the kernel dies mid-run; when it dies while starting it
    logs "Error occurred while starting new kernel client" and re-raises what the start raised (a
    ``RuntimeError`` "Kernel died before replying to kernel_info", a timeout, ...).
    """
    if type(exc).__name__ == "DeadKernelError":
        return True
    if getattr(exc, "ename", None) is not None:  # an error raised by the notebook's own code
        return False
    text = f"{type(exc).__name__}: {exc}".lower()
    return "kernel" in text and any(w in text for w in ("died", "start", "kernel_info", "timeout", "timed out"))


def _carry_over(analysis: Analysis, final: Path, build: Path, log: Callable[[str], None]) -> NotebookRun:
    """Copy a not-rerun analysis's pages and tables from the previous deliverable."""
    run = NotebookRun(analysis.key, analysis.filename, "not_run")
    src_nb = final / "notebooks" / analysis.filename
    if not src_nb.exists():
        return run
    shutil.copy2(src_nb, build / "notebooks" / analysis.filename)
    for sub in ("tables", "figures"):
        src = final / sub / analysis.outputs
        if src.exists():
            shutil.copytree(src, build / sub / analysis.outputs)
    src_results = final / "results" / f"{analysis.outputs}.json"
    if src_results.exists():
        (build / "results").mkdir(exist_ok=True)
        shutil.copy2(src_results, build / "results" / src_results.name)
    run.status = "carried_over"
    log(f"[{final.name}] {analysis.filename}: kept from the previous run")
    return run


def _swap(build: Path, final: Path) -> None:
    """Replace ``final`` by ``build`` with two renames; _recover handles a crash in between."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        final.rename(old)
    build.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_partial(build: Path, root: Path, slug: str, runs: list[NotebookRun], exc: BaseException) -> None:
    """On failure: keep the partial notebooks for debugging in outputs/.failed/<slug>/, drop the rest."""
    if not build.exists():
        return
    partial_nbs = build / "notebooks"
    if isinstance(exc, RunError) and exc.partial is not None and partial_nbs.exists():
        failed = root / ".failed" / slug
        shutil.rmtree(failed, ignore_errors=True)
        failed.parent.mkdir(exist_ok=True)
        shutil.move(str(partial_nbs), str(failed))
        confinement.mark_failed(failed, slug)
        exc.partial = failed / exc.partial.name
        exc.args = (f"{exc.args[0]}\nThe partially executed notebook is kept at {exc.partial}; "
                    "the previous deliverable was left untouched.",)
    shutil.rmtree(build, ignore_errors=True)


def _run_one(config: str, only: Sequence[str] | None, output_dir: str | None,
             engine: str | None = None) -> tuple[str, str, str]:
    try:
        final = run_engagement(config, only=only, output_dir=output_dir, progress=False, engine=engine,
                               log=lambda m: print(m, flush=True))
        return config, "ok", str(final / "index.html")
    except Exception as exc:  # reported per client, the other clients go on
        return config, "failed", str(exc)


def run_many(configs: Sequence[str | Path], *, only: Sequence[str] | None = None, jobs: int = 1,
             output_dir: str | Path | None = None, engine: str | None = None) -> list[tuple[str, str, str]]:
    """Run several engagements, ``jobs`` at a time, one process per client.

    Returns
    -------
    list of (config, status, index.html path or error message), in input order.
    """
    configs = [str(c) for c in configs]
    out_dir = str(output_dir) if output_dir else None
    refused = confinement.slug_collisions(configs, out_dir)
    results: dict[str, tuple[str, str, str]] = {c: (c, "failed", msg) for c, msg in refused.items()}
    todo = [c for c in configs if c not in refused]
    if jobs <= 1 or len(todo) <= 1:
        results.update({c: _run_one(c, only, out_dir, engine) for c in todo})
        return [results[c] for c in configs]
    import multiprocessing

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_one, c, only, out_dir, engine): c for c in todo}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
    return [results[c] for c in configs]
