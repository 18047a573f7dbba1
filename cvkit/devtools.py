"""Maintainer tasks: re-execute the stored notebooks on the demo data (`make notebooks`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cvkit.engagement.parameters import NOTEBOOKS_DIR
from cvkit.engagement.runner import KERNEL_ARGUMENTS, kernel_environment


def execute_notebooks(paths: list[Path] | None = None) -> None:
    """Execute notebooks in place with their default parameters (the bundled demo data).

    Stored notebooks carry their outputs so analysts and trainees see results
    before running anything; nbval later checks that a fresh execution agrees.
    """
    import papermill as pm

    paths = paths or sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        t = time.perf_counter()
        with kernel_environment():
            pm.execute_notebook(str(path), str(path), cwd=str(path.parent), progress_bar=False,
                                kernel_name="python3", extra_arguments=list(KERNEL_ARGUMENTS))
        print(f"{path.name}: {time.perf_counter() - t:.1f} s")


def refresh_demo_results(run_dir: Path | None = None) -> Path:
    """Copy a demo run's ``results/*.json`` to the bundled demo results (see ``cvkit.engagement.results.demo_results_dir``).

    Without ``run_dir`` the demo engagement is run first (about three minutes) in a temporary folder.
    """
    import shutil
    import tempfile

    from cvkit.engagement.results import demo_results_dir, load_results

    target = demo_results_dir() / "results"
    with tempfile.TemporaryDirectory(prefix="cvkit-demo-results-") as tmp:
        if run_dir is None:
            from cvkit.cli import main as cli

            if cli(["demo", tmp]) != 0:
                raise RuntimeError("the demo run failed; fix it before refreshing the bundled results")
            run_dir = Path(tmp) / "outputs" / "demo"
        loaded = load_results(run_dir)  # never bundle files that do not validate
        if loaded.missing or loaded.without_section:
            raise RuntimeError(f"{run_dir}: incomplete demo results (missing {loaded.missing + loaded.without_section})")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for path in sorted((Path(run_dir) / "results").glob("*.json")):
            if path.stem in loaded.files:
                shutil.copy2(path, target / path.name)
    print(f"bundled demo results refreshed in {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvkit.devtools")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("execute-notebooks", help="re-execute stored notebooks on the demo data")
    p.add_argument("paths", nargs="*", type=Path)
    r = sub.add_parser("refresh-demo-results", help="bundle a demo run's results files for the synthesis notebook")
    r.add_argument("run_dir", nargs="?", type=Path, help="a finished demo run (outputs/demo); default: run the demo")
    args = parser.parse_args(argv)
    if args.command == "refresh-demo-results":
        refresh_demo_results(args.run_dir)
    else:
        execute_notebooks(args.paths or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
