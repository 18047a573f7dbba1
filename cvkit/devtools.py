"""Maintainer tasks: re-execute the stored notebooks on the demo data (`make notebooks`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cvkit.params import NOTEBOOKS_DIR
from cvkit.runner import inline_figures


def execute_notebooks(paths: list[Path] | None = None) -> None:
    """Execute notebooks in place with their default parameters (the bundled demo data).

    Stored notebooks carry their outputs so analysts and trainees see results
    before running anything; nbval later checks that a fresh execution agrees.
    """
    import papermill as pm

    paths = paths or sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        t = time.perf_counter()
        with inline_figures():
            pm.execute_notebook(str(path), str(path), cwd=str(path.parent), progress_bar=False,
                                kernel_name="python3")
        print(f"{path.name}: {time.perf_counter() - t:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvkit.devtools")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("execute-notebooks", help="re-execute stored notebooks on the demo data")
    p.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    execute_notebooks(args.paths or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
