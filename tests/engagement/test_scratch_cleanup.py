"""What cvkit creates in the temporary folder, it removes: at exit, on Ctrl-C and SIGTERM, after a kill.

Each case gives the process its own temporary folder (``TMPDIR``), so what is left there is what cvkit
left. Fault tests wait on events (the scratch folder appearing), not on sleeps.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.data.datasamples import TRANSACTIONS, write

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    return dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _wait_for(pattern: str, folder: Path, proc: subprocess.Popen, limit: float = 300.0) -> None:
    """Until ``folder`` holds ``pattern`` (the event), or the process ends, or ``limit`` seconds pass."""
    end = time.monotonic() + limit
    while not list(folder.glob(pattern)) and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_validate_stopped_by_a_signal_leaves_no_scratch_folder(demo_engagement, tmp_path, sig):
    """`kill` (SIGTERM) ended `cvkit validate` on the spot and its intake folder stayed behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # Ctrl-C as at a terminal whatever this process does with SIGINT (a child inherits "ignored").
    command = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
               f"sys.argv = ['cvkit', 'validate', {str(demo_engagement)!r}]; runpy.run_module('cvkit.cli', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", command], env=_env(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for("cvkit-intake-*/transactions", tmp, proc)  # intake is checking the log
    assert proc.poll() is None, "validate finished before it could be signalled"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130 and "interrupted" in err, (proc.returncode, err[-2000:])
    assert not list(tmp.glob("cvkit-*")), f"left behind: {sorted(p.name for p in tmp.iterdir())}"


def test_scratch_of_a_killed_process_goes_with_the_next_intake_and_nothing_else(tmp_path, monkeypatch):
    """A kernel stopped by SIGKILL (nbval stops notebook 00's that way) never reaches its exit handlers."""
    from cvkit.data import intake
    from cvkit.data.intake import _OWNER_FILE, _owner

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = write(tmp_path, "transactions.csv", TRANSACTIONS)
    killed = subprocess.run([sys.executable, "-c", "import os, signal; from cvkit.data import intake; "
                             f"r = intake({{'transactions': {str(log)!r}}}); os.kill(os.getpid(), signal.SIGKILL)"],
                            env=_env(tmp), capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    (orphan,) = tmp.glob("cvkit-intake-*")
    # Not cvkit's (no owner file), and cvkit's but of a live process: both must stay.
    foreign = tmp / "cvkit-intake-someone-elses"
    foreign.mkdir()
    live = tmp / "cvkit-intake-live"
    live.mkdir()
    (live / _OWNER_FILE).write_text(_owner(os.getpid()), encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    result = intake({"transactions": log})
    assert result.ok and not orphan.exists() and foreign.exists() and live.exists()
    own = Path(result._scratch[0])
    assert own.exists()
    del result
    gc.collect()
    assert not own.exists()
