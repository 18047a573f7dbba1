"""Run time of `cvkit run` on every engagement of the zoo (tests/engagements/).

Target (issue 12): every zoo engagement runs to its deliverable in under 3 minutes on 2 cores.
Each engagement is built into a temporary folder from the repository's data copies, validated,
then run with `cvkit run` in a fresh process (as a user would); wall time and the process tree's
CPU time are printed, since wall time on a shared machine depends on the load. The anchor is the
bundled CDNOW engagement measured in the same session: the ratio says how much heavier each
engagement is than the smallest real one.

Run: ``.venv/bin/python benchmarks/zoo.py [--only NAME ...] [--tier fast|slow]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 180.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_engagement(eng, folder: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, status) of validate + run for one zoo engagement."""
    from tests.engagements.zoo import materialise

    config = materialise(eng, folder)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    validate = subprocess.run([sys.executable, "-m", "cvkit.cli", "validate", str(config)], capture_output=True,
                              text=True)
    if validate.returncode != 0:
        return time.perf_counter() - t0, _children_cpu() - cpu0, "validate failed"
    only = [a for key in eng.only for a in ("--only", key)]
    run = subprocess.run([sys.executable, "-m", "cvkit.cli", "run", str(config), "--output-dir", str(folder / "out"),
                          *only], capture_output=True, text=True)
    status = "ok" if run.returncode == 0 else "run failed: " + run.stderr.strip().splitlines()[-1][:200]
    return time.perf_counter() - t0, _children_cpu() - cpu0, status


def main(argv: list[str] | None = None) -> int:
    from tests.engagements.zoo import engagements

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="engagement folder names (default: all)")
    parser.add_argument("--tier", choices=("fast", "slow"), help="only this tier")
    args = parser.parse_args(argv)
    zoo = [e for e in engagements(args.tier) if not args.only or e.name in args.only]
    anchor = next((e for e in engagements() if e.name == "cdnow"), None)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="cvkit-zoo-") as tmp:
        anchor_wall = None
        if anchor is not None:
            anchor_wall, anchor_cpu, status = time_engagement(anchor, Path(tmp) / "anchor")
            print(f"anchor cdnow: {anchor_wall:.1f} s wall, {anchor_cpu:.1f} s CPU ({status})")
        for eng in zoo:
            wall, cpu, status = time_engagement(eng, Path(tmp) / eng.name)
            verdict = "PASS" if wall < TARGET_SECONDS and status == "ok" else "FAIL"
            failed += verdict == "FAIL"
            ratio = f", {wall / anchor_wall:.1f}x the anchor" if anchor_wall else ""
            print(f"{eng.name} ({eng.tier}): {wall:.1f} s wall, {cpu:.1f} s CPU{ratio} "
                  f"(target < {TARGET_SECONDS:.0f} s: {verdict}; {status})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
