"""Run anchor libraries in their own virtual environments, in the same benchmark run.

Anchors (lifetimes, xlogit, larch, biogeme, dominance-analysis) are never
dependencies of cvkit: each benchmark creates (once) an environment from a
requirements file here and times the anchor in a subprocess, so cvkit and the
anchor are measured on the same machine in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ensure_env(name: str, requirements: str) -> Path:
    """Create ``benchmarks/.<name>/`` from ``requirements`` if missing; return its python."""
    env = HERE / f".{name}"
    python = env / "bin" / "python"
    stamp = env / ".installed"
    req = HERE / requirements
    if not stamp.exists() or stamp.read_text() != req.read_text():
        if not python.exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(env)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(req)], check=True)
        stamp.write_text(req.read_text())
    return python


def run_anchor(python: Path, script: str, payload: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``script`` (Python source) with the anchor's interpreter.

    The script reads a JSON payload from stdin and must print one JSON object
    as its last line of output; that object is returned.
    """
    proc = subprocess.run([str(python), "-c", script], input=json.dumps(payload or {}),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"anchor script failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ratio_line(label: str, cvkit_seconds: float, anchor_name: str, anchor_seconds: float,
               target: float | None = None) -> str:
    """One printed line: times, the speed-up ratio and whether the target is met."""
    ratio = anchor_seconds / cvkit_seconds if cvkit_seconds > 0 else float("inf")
    verdict = ""
    if target is not None:
        verdict = f"  target >= {target:g}x: {'PASS' if ratio >= target else 'FAIL'}"
    return (f"{label}: cvkit {cvkit_seconds:.3f} s, {anchor_name} {anchor_seconds:.3f} s, "
            f"ratio {ratio:.1f}x{verdict}")


if __name__ == "__main__":  # pragma: no cover - manual helper
    print(ensure_env(*sys.argv[1:]))
