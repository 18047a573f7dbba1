"""Serve the market simulator with Voilà on localhost (``cvkit simulator CONFIG``)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from cvkit.app.simulator import RUN_ENV

__all__ = ["APP_NOTEBOOK", "run_dir_for", "voila_command", "serve_simulator"]

#: The Voilà notebook of the app: one hidden cell that displays :func:`cvkit.app.simulator_app`.
APP_NOTEBOOK = Path(__file__).with_name("simulator.ipynb")


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
            f"--token={token}", "--strip_sources=True", "--show_tracebacks=False",
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
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    print(f"Market simulator of {run_dir}\n  http://127.0.0.1:{port}/?token={token}\nCtrl-C stops it.", flush=True)
    proc = subprocess.Popen(voila_command(port, token, open_browser=open_browser), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Voila got the same Ctrl-C from the terminal; make sure it is gone
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print("Market simulator stopped.", flush=True)
        return 0
