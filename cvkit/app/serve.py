"""Serve the market simulator with Voilà on localhost (``cvkit simulator CONFIG``)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cvkit.app.simulator import RUN_ENV

__all__ = ["APP_NOTEBOOK", "run_dir_for", "voila_command", "serve_simulator"]

#: The Voilà notebook of the app: one hidden cell that displays :func:`cvkit.app.simulator_app`.
APP_NOTEBOOK = Path(__file__).with_name("simulator.ipynb")
#: Jupyter data folder holding the app's Voilà template ``cvkit`` (Voilà's lab page minus its CDN stylesheets).
TEMPLATES = Path(__file__).with_name("share")


def run_dir_for(config: str | Path, output_dir: str | Path | None = None) -> Path:
    """The fitted run of an engagement, checked to hold a saved simulator.

    Parameters
    ----------
    config : str or Path
        ``engagement.yaml`` or its folder.
    output_dir : str or Path, optional
        Root folder of deliverables, as given to ``cvkit run --output-dir``; default: the config's.

    Returns
    -------
    Path
        ``<output_dir>/<slug>``.

    Raises
    ------
    FileNotFoundError
        When the run or its choice tables are missing; the message says which command fixes it.
    """
    from cvkit.choice.saved import load_simulator
    from cvkit.engagement.config import load_config

    cfg = load_config(config)
    root = Path(output_dir).resolve() if output_dir else cfg.output_root()
    run = root / cfg.client.slug
    if not run.is_dir():
        raise FileNotFoundError(f"no fitted run of {cfg.client.name} at {run}. Fix: run `cvkit run {config}` "
                                "first (the simulator serves the run's saved results, it does not estimate).")
    tables = run / "tables" / "choice"
    if not tables.is_dir():
        raise FileNotFoundError(f"the run at {run} has no discrete-choice tables ({tables} is missing). Fix: "
                                f"enable discrete_choice in {config} and run `cvkit run {config}` first.")
    load_simulator(tables)  # fails now with the file and the fix, rather than inside the browser
    return run


def free_port() -> int:
    """A TCP port on localhost that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def voila_command(port: int, token: str, *, open_browser: bool = False) -> list[str]:
    """The Voilà command line serving :data:`APP_NOTEBOOK` on ``127.0.0.1:port``."""
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or shutil.which("voila")
    base = [voila] if voila else [sys.executable, "-m", "voila"]
    return [*base, str(APP_NOTEBOOK), f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
            f"--token={token}", "--strip_sources=True", "--show_tracebacks=False", "--template=cvkit",
            "--Voila.open_browser=" + ("True" if open_browser else "False")]


def serve_simulator(run_dir: str | Path, *, port: int | None = None, open_browser: bool = True,
                    token: str | None = None) -> int:
    """Serve the simulator of ``run_dir`` until interrupted (Ctrl-C, the normal way to stop it).

    Returns
    -------
    int
        Voilà's exit code, or 0 when stopped with Ctrl-C.
    """
    port = port or free_port()
    token = token or secrets.token_urlsafe(16)
    # The chart is a matplotlib figure sent to the page: the kernel must draw inline whatever MPLBACKEND says.
    env = {**os.environ, RUN_ENV: str(Path(run_dir).resolve()),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "JUPYTER_PATH": os.pathsep.join(p for p in (str(TEMPLATES), os.environ.get("JUPYTER_PATH", "")) if p)}
    print(f"Market simulator of {run_dir}\n  http://127.0.0.1:{port}/?token={token}\nCtrl-C stops it.", flush=True)
    # Voila in its own session: cvkit decides when it stops (Ctrl-C or SIGTERM to cvkit), and stops it with
    # every kernel it started, so nothing keeps serving the port after cvkit exits.
    proc = subprocess.Popen(voila_command(port, token, open_browser=open_browser), env=env, start_new_session=True)
    previous = _on_sigterm_raise_interrupt()
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop_voila(proc)
        print("Market simulator stopped.", flush=True)
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_sigterm_raise_interrupt():
    """SIGTERM stops the app like Ctrl-C (the default would end cvkit at once and orphan Voila)."""
    def _raise(signum, frame):  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave signals alone
        return None


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc; empty elsewhere): Voila's kernels run in their own sessions."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_voila(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate Voila and every process it started (kernels included); kill what is left after ``timeout``."""
    kernels = _descendants(proc.pid)
    proc.terminate()  # Voila shuts its kernels down on SIGTERM
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + timeout
    for pid in kernels:  # any kernel Voila did not get to
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")
