"""Runs under faults: interrupts, killed kernels and runners, a raising notebook, full and read-only disks.

Each fault hits a run of a small engagement whose previous deliverable exists. Whatever happens,
the previous deliverable stays byte-identical, no half-built folder is left where a user would take
it for a result (only hidden ``.<slug>.building-*`` folders, removed by the next run), and the
message says what happened and how to resume. The resumed run's tables are byte-identical to the
first run's.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from cvkit.engagement.runner import RunError, run_engagement
from tests.reliability.conftest import FIGURES
from tests.reliability.engagements import small_clv_engagement, tree_digest

pytestmark = pytest.mark.slow

CVKIT = [sys.executable, "-m", "cvkit.cli"]
RNG = random.Random(8)  # the "random points" are drawn from a fixed seed: the same faults in CI every time


def _overview_only(config: Path) -> Path:
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["clv"]["enabled"] = False
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> tuple[Path, Path, float]:
    """(engagement.yaml, outputs root holding a good deliverable, seconds the run took)."""
    folder = tmp_path_factory.mktemp("faults")
    config = _overview_only(small_clv_engagement(folder / "eng", slug="faulty", customers=40))
    root = folder / "outputs"
    t0 = time.perf_counter()
    run_engagement(config, output_dir=root, progress=False, log=lambda m: None)
    return config, root, time.perf_counter() - t0


def _copy(root: Path, tmp_path: Path) -> Path:
    out = tmp_path / "outputs"
    shutil.copytree(root, out)
    return out


def _visible(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))


def _start(config: Path, out: Path) -> subprocess.Popen:
    # A session of its own, as a terminal would give: signals go to the runner, not to pytest.
    return subprocess.Popen([*CVKIT, "run", str(config), "--output-dir", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _signal_mid_run(config: Path, out: Path, sig: int, seconds: float):
    """Start a run and send ``sig`` at a random point while it builds; None when the run ended first.

    The run is signalled only after the event that it is building (its hidden build folder exists),
    then at a random moment polled every 50 ms, so a run faster than the measured one is seen to end
    rather than signalled after the fact (under load the first run can be the slow one).
    """
    proc = _start(config, out)
    deadline = time.time() + 180
    while proc.poll() is None and not list(out.glob(".faulty.building-*")) and time.time() < deadline:
        time.sleep(0.05)
    until = time.time() + RNG.uniform(0.0, 0.6 * seconds)
    while proc.poll() is None and time.time() < until:
        time.sleep(0.05)
    if proc.poll() is not None:
        proc.communicate(timeout=60)
        return None
    kernels = _kernels(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        # The signal landed as the run was finishing (its last cell done, the deliverable swapped in):
        # not a mid-run signal. A run that ignored the signal throughout would end so every attempt and
        # fail the test in _signalled_runs.
        return None
    FIGURES["faults_injected"] += 1
    return proc, kernels, err


def _signalled_runs(config: Path, out: Path, sig: int, seconds: float, n: int = 2, attempts: int = 8):
    """``n`` runs signalled mid-run (see :func:`_signal_mid_run`), each with the digest of the deliverable
    before it; a run that ended first is not counted (its deliverable is the baseline of the next)."""
    done = 0
    for _ in range(attempts):
        before = tree_digest(out / "faulty")
        found = _signal_mid_run(config, out, sig, seconds)
        if found is None:  # it finished and replaced the deliverable: the baseline is that one now
            seconds *= 0.5
            continue
        done += 1
        yield (*found, before)
        if done == n:
            return
    raise AssertionError(f"no run could be signalled mid-run in {attempts} attempts")


def _kernels(proc: subprocess.Popen) -> list[psutil.Process]:
    try:
        return [c for c in psutil.Process(proc.pid).children(recursive=True)
                if "ipykernel" in " ".join(c.cmdline())]
    except psutil.NoSuchProcess:
        return []


def _no_orphans(kernels: list[psutil.Process]) -> None:
    deadline = time.time() + 15
    while time.time() < deadline and any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE for k in kernels):
        time.sleep(0.2)
    alive = [k.pid for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
    for pid in alive:  # do not leave them behind for the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"kernels outlived their runner: {alive}"


def _resume_and_compare(config: Path, out: Path, good_root: Path) -> None:
    """The next run cleans the leftovers, succeeds, and its tables match the first run's bytes."""
    final = run_engagement(config, output_dir=out, progress=False, log=lambda m: None)
    assert not [p.name for p in out.iterdir() if ".building-" in p.name or ".old-" in p.name]
    assert _visible(out) == ["faulty"]
    first = {k: v for k, v in tree_digest(good_root / "faulty").items() if k.startswith(("tables/", "data/"))}
    again = {k: v for k, v in tree_digest(final).items() if k.startswith(("tables/", "data/"))}
    assert first and again == first
    FIGURES["reruns_compared"] += 1


def test_sigint_at_random_points_keeps_the_previous_deliverable(good, tmp_path):
    config, root, seconds = good
    out = _copy(root, tmp_path)
    for proc, kernels, err, before in _signalled_runs(config, out, signal.SIGINT, seconds):
        assert proc.returncode == 130, err[-2000:]
        assert "interrupted; the previous deliverable is untouched. Rerun the same command" in err
        assert tree_digest(out / "faulty") == before
        assert _visible(out) == ["faulty"] and not list(out.glob(".faulty.building-*"))
        _no_orphans(kernels)
    _resume_and_compare(config, out, root)


def test_killed_runner_leaves_only_hidden_leftovers_cleaned_by_the_next_run(good, tmp_path):
    config, root, seconds = good
    out = _copy(root, tmp_path)
    for proc, kernels, _, before in _signalled_runs(config, out, signal.SIGKILL, seconds):
        assert proc.returncode == -signal.SIGKILL
        assert tree_digest(out / "faulty") == before
        assert _visible(out) == ["faulty"]  # leftovers are hidden: .faulty.building-*
        _no_orphans(kernels)
    _resume_and_compare(config, out, root)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    """Wait for an event of the run (not a fixed time): robust however loaded the machine is."""
    deadline = time.time() + timeout
    while not condition():
        assert proc.poll() is None, f"the run ended before {what}"
        assert time.time() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


@pytest.mark.parametrize("when", ["while starting", "while executing"])
def test_killed_kernel_is_reported_with_the_notebook_and_how_to_resume(good, tmp_path, when):
    """The kernel killed as soon as its process exists (nbclient is still starting it) or once the
    notebook is executing (papermill has saved a cell as running): both say how to resume."""
    config, root, _ = good
    out = _copy(root, tmp_path)
    before = tree_digest(out / "faulty")
    proc = _start(config, out)
    _wait_for(lambda: _kernels(proc), proc, "kernel process")
    if when == "while executing":
        # papermill saves the partial notebook with a cell's status "running" when the cell starts.
        _wait_for(lambda: any('"running"' in _text(p) for p in
                              out.glob(".faulty.building-*/notebooks/00_engagement_overview.ipynb")), proc,
                  "cell running")
    kernels = _kernels(proc)
    for k in kernels:
        k.kill()
    _, err = proc.communicate(timeout=180)
    FIGURES["faults_injected"] += 1
    assert proc.returncode == 1, err[-2000:]
    assert "00_engagement_overview.ipynb failed" in err, err[-2000:]
    assert "kernel died or could not start" in err and "rerun the same command" in err.lower(), err[-2000:]
    assert "partially executed notebook is kept at" in err
    assert (out / ".failed" / "faulty" / "00_engagement_overview.ipynb").exists()
    assert tree_digest(out / "faulty") == before and _visible(out) == ["faulty"]
    assert not list(out.glob(".faulty.building-*"))
    _no_orphans(kernels)
    if when == "while executing":  # the next successful run removes .failed/<slug>/ (issue 14)
        final = run_engagement(config, output_dir=out, progress=False, log=lambda m: None)
        assert not (out / ".failed").exists() and final == out / "faulty"


def test_notebook_that_raises_names_notebook_cell_and_cvkit_function(tmp_path, monkeypatch):
    # A time unit the CLV summary does not know: the error is raised inside cvkit.clv, in the notebook.
    # The config refuses it (parameters.CHOICES); switching that check off stands for any gap between
    # what validate checks and what an analysis needs.
    from cvkit.engagement import parameters

    monkeypatch.setattr(parameters, "CHOICES", {})
    config = small_clv_engagement(tmp_path / "eng", slug="raising", customers=40)
    raw = yaml.safe_load(config.read_text())
    raw["analyses"]["clv"]["time_unit"] = "Q"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(RunError) as info:
        run_engagement(config, output_dir=tmp_path / "out", progress=False, log=lambda m: None)
    FIGURES["faults_injected"] += 1
    msg = str(info.value)
    assert msg.startswith("04_customer_lifetime_value.ipynb failed at cell In [")
    assert "ValueError: time_unit='Q' is not a time unit" in msg and "(in cvkit.clv.summary._check_unit, line" in msg
    assert info.value.notebook == "04_customer_lifetime_value.ipynb" and info.value.cell
    assert info.value.partial == tmp_path / "out" / ".failed" / "raising" / "04_customer_lifetime_value.ipynb"
    assert info.value.partial.exists()
    assert _visible(tmp_path / "out") == []


@pytest.mark.parametrize("target, err, reason", [
    ("cvkit.engagement.runner.tempfile.mkdtemp", errno.EROFS, "the output folder is on a read-only file system"),
    ("cvkit.engagement.runner.tempfile.mkdtemp", errno.EACCES, "the output folder is not writable"),
    ("cvkit.data.intake.Intake.write", errno.ENOSPC, "the disk is full"),
    ("cvkit.engagement.runner._write_manifest", errno.ENOSPC, "the disk is full"),
    ("cvkit.data.intake.Intake.write", errno.EDQUOT, "the disk quota is exceeded"),
])
def test_full_or_read_only_disk_stops_before_replacing_good_output(good, tmp_path, monkeypatch, target, err,
                                                                    reason):
    config, root, _ = good
    out = _copy(root, tmp_path)
    before = tree_digest(out / "faulty")
    if target.endswith("mkdtemp"):
        import tempfile

        monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: (_ for _ in ()).throw(
            OSError(err, os.strerror(err), str(out / ".faulty.building-x"))))
    elif target.endswith("Intake.write"):
        from cvkit.data.intake import Intake

        monkeypatch.setattr(Intake, "write", lambda self, folder, **kw: (_ for _ in ()).throw(
            OSError(err, os.strerror(err), str(Path(folder) / "transactions.parquet"))))
    else:
        import cvkit.engagement.runner as runner_module

        monkeypatch.setattr(runner_module, "_write_manifest", lambda build, *a, **k: (_ for _ in ()).throw(
            OSError(err, os.strerror(err), str(build / "manifest.json"))))
    with pytest.raises(RunError) as info:
        run_engagement(config, output_dir=out, progress=False, log=lambda m: None)
    FIGURES["faults_injected"] += 1
    msg = str(info.value)
    assert msg.startswith(reason) and "The run stopped before replacing anything" in msg
    assert f"the previous deliverable {out / 'faulty'} is untouched" in msg and "Fix:" in msg
    assert tree_digest(out / "faulty") == before
    assert _visible(out) == ["faulty"] and not list(out.glob(".faulty.building-*"))


def test_unwritable_output_root_is_a_clear_error_from_the_cli(good, tmp_path, monkeypatch, capsys):
    from cvkit.cli import main

    config, _, _ = good
    root = tmp_path / "locked"
    import pathlib

    real_mkdir = pathlib.Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self == root:
            raise PermissionError(errno.EACCES, "Permission denied", str(root))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    assert main(["run", str(config), "--output-dir", str(root)]) == 1
    FIGURES["faults_injected"] += 1
    err = capsys.readouterr().err
    assert "the output folder is not writable" in err and "no deliverable was written" in err
    assert "Traceback" not in err
