"""The ``cvkit`` command: new, validate, run, demo, params, simulator, design.

Exit codes: 0 success, 1 the input (config or data) has problems or a run
failed, 2 wrong command-line usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["main"]

_DESCRIPTION = """\
cvkit runs a customer-value engagement (value drivers, discrete choice, segmentation,
customer lifetime value) from one config file and produces an HTML deliverable.

typical use:
  cvkit new engagements/acme --client "Acme Bank"   # start an engagement from the templates
  cvkit validate engagements/acme/engagement.yaml   # check config and data, list every problem
  cvkit run engagements/acme/engagement.yaml        # run it; prints the deliverable's path
  cvkit demo                                        # the demo engagement, end to end
  cvkit simulator engagements/acme/engagement.yaml  # live market simulator for a client workshop
  cvkit design engagements/acme/engagement.yaml --out design/  # CBC design before fielding
"""


def _engine_option(value: str) -> str:
    """``--engine``: an engine name or a Spark master URL, refused here (before any work) with its fix."""
    from cvkit.data.engine import override_engine

    try:
        override_engine(None, value)
    except ValueError as exc:  # argparse names the option itself: "argument --engine: <what is wrong>"
        raise argparse.ArgumentTypeError(f"{value!r}: {str(exc).split(': ', 1)[-1]}") from None
    return value.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cvkit", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from cvkit import __version__

    parser.add_argument("--version", action="version", version=f"cvkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="create a new engagement folder from the templates",
                       description="Create DIR with engagement.yaml (commented template), data/ (header-only CSV "
                                   "templates) and README.md for the analyst.")
    p.add_argument("dir", type=Path, help="folder to create")
    p.add_argument("--client", required=True, help="client name as shown in the deliverable")
    p.add_argument("--slug", help="folder-safe client id (default: derived from the name)")
    p.add_argument("--currency", default="EUR", help="ISO 4217 currency code (default: EUR)")

    p = sub.add_parser("validate", help="check the config and run data intake only",
                       description="Load the config and every data file, run all intake checks and print a "
                                   "report: what loaded, counts, every problem with its fix. Exit 0 if clean.")
    p.add_argument("config", type=Path, help="engagement.yaml or its folder")

    p = sub.add_parser("run", help="run engagements and render their deliverables",
                       description="Execute the engagement's notebooks with papermill (parameters from the "
                                   "config), then render the deliverable to <output_dir>/<slug>/. The previous "
                                   "deliverable is replaced only when the whole run succeeds.")
    p.add_argument("configs", type=Path, nargs="+", metavar="CONFIG", help="engagement.yaml files or folders")
    p.add_argument("--only", nargs="+", metavar="ANALYSIS",
                   help="rerun only these analyses (value_drivers, discrete_choice, clv, segmentation); "
                        "the others' pages are kept from the previous run")
    p.add_argument("--jobs", type=int, default=1, help="clients run in parallel, one process each (default 1)")
    p.add_argument("--output-dir", type=Path, help="root folder for deliverables (default: the config's)")
    p.add_argument("--engine", type=_engine_option, metavar="ENGINE",
                   help="where the per-customer summaries of the transactions run, over the config's `engine:`: "
                        "duckdb; spark (the config's master and conf, or local[2] when the config has none); or "
                        "a Spark master URL, run there with the config's Spark conf if any: spark://host:7077 "
                        "(standalone cluster), local[4] (Spark on this machine), yarn, k8s://https://host:443")

    p = sub.add_parser("demo", help="write the demo engagement and run it",
                       description="Write a bundled engagement into DIR and run it end to end: the generated "
                                   "demo retailer (deterministic from the seed) or the real CDNOW log.")
    p.add_argument("dir", type=Path, nargs="?", default=Path("demo-engagement"),
                   help="folder for the demo engagement (default: ./demo-engagement)")
    p.add_argument("--output-dir", type=Path, help="root folder for the deliverable (default: DIR/outputs)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the generated data (default 2026)")
    p.add_argument("--dataset", choices=("retail", "cdnow"), default="retail",
                   help="retail: the generated membership-programme retailer, all four analyses (default); "
                        "cdnow: the real CDNOW purchase log (Fader, Hardie & Lee 2005), customer lifetime value")

    p = sub.add_parser("params", help="list a notebook's parameters",
                       description="List the parameters a notebook declares (name, type, default, help): the "
                                   "keys its section of engagement.yaml accepts.")
    p.add_argument("notebook", help="notebook path or name, e.g. 04_customer_lifetime_value")

    p = sub.add_parser("simulator", help="serve the live market simulator of a fitted run (client workshops)",
                       description="Serve the discrete-choice market simulator of the engagement's last run as a "
                                   "web app on localhost (Voila: no code visible): a dropdown per product "
                                   "attribute, live shares and revenue, saved scenarios to compare, download "
                                   "of the scenario table as CSV. It reads the run's saved results in "
                                   "<output_dir>/<slug>/ and does not re-estimate: run `cvkit run CONFIG` first. "
                                   "Ctrl-C stops it.")
    p.add_argument("config", type=Path, metavar="CONFIG", help="engagement.yaml or its folder")
    p.add_argument("--port", type=int, help="port on localhost (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; just print the address")
    p.add_argument("--output-dir", type=Path,
                   help="root folder of deliverables, as given to `cvkit run --output-dir` (default: the config's)")

    _add_design_command(sub)
    return parser


def _add_design_command(sub: "argparse._SubParsersAction") -> None:
    """The ``cvkit design`` subcommand and its options (kept apart: the longest option list)."""
    p = sub.add_parser("design", help="generate a choice-based conjoint design before fielding",
                       description="Generate the choice tasks of a conjoint from its attributes: random, complete "
                                   "enumeration, balanced overlap or D-efficient for assumed utilities (priors). "
                                   "Writes the fielding file (design.csv, design.xlsx), the long-format response "
                                   "template cvkit reads back, the diagnostics and a power table (expected "
                                   "standard error per part-worth by sample size, checked by simulation). "
                                   "SPEC is an engagement.yaml (attributes from analyses.discrete_choice) or a "
                                   "YAML file with `attributes:`; options under `design:` in it, flags override.")
    p.add_argument("spec", type=Path, metavar="SPEC", help="engagement.yaml (or its folder) or a design YAML")
    p.add_argument("--out", type=Path, required=True, help="folder for the design files (created)")
    p.add_argument("--method", choices=("random", "complete_enumeration", "balanced_overlap", "d_efficient"),
                   help="design method (default balanced_overlap)")
    p.add_argument("--versions", type=int, help="questionnaire versions (default 10)")
    p.add_argument("--tasks", type=int, help="random tasks per version (default 12)")
    p.add_argument("--concepts", type=int, help="concepts per task (default 3)")
    p.add_argument("--none", dest="none", action="store_true", default=None, help="add a none option")
    p.add_argument("--respondents", type=int, help="planned sample size for the power table (default 300)")
    p.add_argument("--seed", type=int, help="random seed (default 2026)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cvkit`` console script."""
    args = _parser().parse_args(argv)
    try:
        # Imported inside the try: Ctrl-C while these (slow) imports run is an interrupt like any other.
        from cvkit.engagement.config import ConfigError
        from cvkit.data import DataError
        from cvkit.engagement.runner import RunError

        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:  # first: the clause below needs the imports, which may not have happened
        print(f"cvkit {args.command}: interrupted; the previous deliverable is untouched. Rerun the same "
              "command to start again (leftovers are cleaned up automatically).", file=sys.stderr)
        return 130
    except (ConfigError, DataError, RunError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"cvkit {args.command}: {exc}", file=sys.stderr)
        return 1


def _new(args: argparse.Namespace) -> int:
    from cvkit.engagement.scaffold import new_engagement

    config = new_engagement(args.dir, args.client, slug=args.slug, currency=args.currency)
    print(f"Created {config}.\nNext: put the client's files in {args.dir / 'data'} (see README.md there), "
          f"adjust the config, then `cvkit validate {config}`.")
    return 0


@contextmanager
def _signals_unwind() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the command by an exception, so the exit handlers remove what cvkit made.

    Python's default for SIGTERM (``kill``, a CI timeout) ends the process on the spot: intake's scratch
    folder stayed in the temporary folder. DuckDB turns a signal that lands inside a query into
    ``RuntimeError("Query interrupted")`` (a traceback, not the interrupt message): read as the
    interrupt it is. Only in the main thread, and only for a signal nobody else handles or ignores.
    """
    import signal
    import threading

    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                previous[sig] = signal.signal(sig, stop)
    try:
        yield
    except RuntimeError:
        if received:
            raise KeyboardInterrupt from None
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _validate(args: argparse.Namespace) -> int:
    with _signals_unwind():
        return _validate_engagement(args)


def _validate_engagement(args: argparse.Namespace) -> int:
    from cvkit.engagement.config import load_config
    from cvkit.data import intake

    cfg = load_config(args.config)
    result = intake(cfg.data.given(), policy=cfg.intake, base_dir=cfg.base_dir)
    from cvkit.data.privacy import protect

    protect(result, cfg.privacy)  # the same personal-data checks as `cvkit run`
    from cvkit.engagement.choice_settings import engagement_choice_settings

    # Analysis settings against the data: the check `cvkit run` makes before any notebook starts.
    settings = engagement_choice_settings(cfg, result) if result.ok else None
    print(f"Engagement: {cfg.client.name} ({cfg.client.slug}), analysis date {cfg.analysis_date}")
    print("Analyses enabled: " + (", ".join(a.key for a in cfg.enabled_analyses()) or "none"))
    print(result.report())
    # Where `cvkit run` would write: refused now rather than at run (an output folder holding the
    # engagement's own files, a folder cvkit did not create, another client's deliverable).
    from cvkit.engagement.confinement import check_output_location
    from cvkit.exceptions import RunError as CvkitRunError

    root, output_ok = cfg.output_root(), True
    try:
        check_output_location(cfg, root, root / cfg.client.slug,
                              [cfg.data_path(k) for k in cfg.data.given()])
    except CvkitRunError as exc:
        print(f"Output folder: {exc}")
        output_ok = False
    from cvkit.engagement.checks import unmatched_labels

    for note in (settings.notes if settings is not None else []) + unmatched_labels(cfg.labels, result.tables):
        print(f"Note: {note}")
    if settings is not None:
        if settings.problems:
            print(f"\n{len(settings.problems)} problem(s) in the analysis settings:")
            print("\n".join(f"  - {p}" for p in settings.problems))
    if not result.ok or (settings and settings.problems) or not output_ok:
        return 1
    # What `cvkit run` checks next: the analysis settings against the data; then the red flags known now.
    from cvkit.engagement.checks import analysis_settings, check_against_data
    from cvkit.engagement.flags import data_flags, exclusion_flags

    mismatches = check_against_data(cfg, result.tables)
    if mismatches:
        print(f"\nAnalysis settings: {len(mismatches)} problem{'s' if len(mismatches) != 1 else ''}")
        print("\n".join(f"  - {m}" for m in mismatches))
        return 1
    clv = analysis_settings(cfg, "clv") if any(a.key == "clv" for a in cfg.enabled_analyses()) else None
    red = data_flags(result.tables, analysis_date=cfg.analysis_date, clv=clv) + (settings.flags if settings else [])
    red += exclusion_flags({kind: t.n_rows for kind, t in result.tables.items()}, result.excluded())
    print("\nRed flags known before the run" + (":" if red else ": none."))
    for flag in red:
        print(flag.line())
    return 0


def _run(args: argparse.Namespace) -> int:
    from cvkit.engagement.runner import run_engagement, run_many

    if len(args.configs) == 1:
        final = run_engagement(args.configs[0], only=args.only, output_dir=args.output_dir,
                               engine=args.engine)
        print(f"Deliverable: {(final / 'index.html').resolve()}")
        return 0
    results = run_many(args.configs, only=args.only, jobs=args.jobs, output_dir=args.output_dir,
                       engine=args.engine)
    failed = 0
    for config, status, detail in results:
        print(f"{status:>6}  {config}: {detail}")
        failed += status != "ok"
    return 1 if failed else 0


def _demo(args: argparse.Namespace) -> int:
    from cvkit.engagement.runner import run_engagement
    from cvkit.engagement.scaffold import DEMO_DATASETS

    config = DEMO_DATASETS[args.dataset](args.dir, seed=args.seed)
    if args.output_dir:
        _record_output_dir(Path(config), Path(args.output_dir))
    print(f"Demo engagement written to {args.dir}")
    final = run_engagement(config, output_dir=args.output_dir)
    print(f"Deliverable: {(final / 'index.html').resolve()}")
    return 0


def _record_output_dir(config: Path, output_dir: Path) -> None:
    """Write ``--output-dir`` into the demo's own engagement.yaml (cvkit just created it), so later commands
    on that config (``cvkit simulator``, ``cvkit run``) find the deliverable without the option."""
    import os
    import re

    target = output_dir.resolve()
    try:
        value = os.path.relpath(target, config.resolve().parent)
    except ValueError:  # another drive (Windows)
        value = str(target)
    text = config.read_text(encoding="utf-8")
    line = f"output_dir: {json.dumps(value)}"
    text, n = re.subn(r"^output_dir:.*$", lambda _: line, text, count=1, flags=re.M)
    config.write_text(text if n else text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")


def _params(args: argparse.Namespace) -> int:
    from cvkit.engagement.parameters import format_parameters

    print(format_parameters(args.notebook))
    return 0


def _simulator(args: argparse.Namespace) -> int:
    from cvkit.app import run_dir_for, serve_simulator

    if args.port is not None and not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port} is not a TCP port. Fix: give a number between 1 and 65535, or omit it.")
    run = run_dir_for(args.config, args.output_dir)
    return serve_simulator(run, port=args.port, open_browser=not args.no_browser)


def _design(args: argparse.Namespace) -> int:
    import yaml

    from cvkit.choice.design import generate_design

    path = args.spec / "engagement.yaml" if args.spec.is_dir() else args.spec
    if path.stat().st_size > 1_000_000:
        raise ValueError(f"{path}: larger than 1 MB, not a design file. Fix: give the engagement.yaml or design YAML.")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not a YAML mapping. Fix: give an engagement.yaml or a design YAML with "
                         "`attributes:`.")
    section = ((raw.get("analyses") or {}).get("discrete_choice") or {}) if "analyses" in raw else raw
    attributes = section.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        raise ValueError(f"{path}: no attributes found (analyses.discrete_choice.attributes in an "
                         "engagement.yaml, or a top-level `attributes:` mapping). Fix: list attribute -> levels.")
    opts = dict(section.get("design") or {})
    for key, flag in (("method", args.method), ("n_versions", args.versions), ("n_tasks", args.tasks),
                      ("n_concepts", args.concepts), ("none", args.none), ("seed", args.seed)):
        if flag is not None:
            opts[key] = flag
    opts.setdefault("none", bool(section.get("none_option", False)))
    opts.setdefault("seed", 2026)
    price = section.get("price_attribute") or section.get("price") or None
    planned = int(opts.pop("respondents", 300))
    respondents = args.respondents or planned
    prohibited = [tuple(tuple(x) for x in pair) for pair in opts.pop("prohibited", [])]
    known = {"method", "n_versions", "n_tasks", "n_concepts", "none", "holdout_tasks", "priors", "coding",
             "overlap", "n_passes", "seed"}
    unknown = sorted(set(opts) - known)
    if unknown:
        raise ValueError(f"{path}: unknown design option(s) {unknown}. Fix: use {sorted(known | {'respondents', 'prohibited'})}.")
    design = generate_design(attributes, price=price, prohibited=prohibited, **opts)
    paths = design.write(args.out, respondents=respondents)
    diag = design.diagnostics()
    sizes = sorted({max(50, respondents // 2), respondents, respondents * 2})
    power = design.power_table(sizes, n_sims=20, seed=opts["seed"])
    power.to_csv(args.out / "design_power.csv", index=False)
    diag["balance"].to_csv(args.out / "design_balance.csv", index=False)
    summary = diag["summary"].iloc[0]
    print(f"{design.method} design: {design.n_versions} versions x {opts.get('n_tasks', 12)} tasks x "
          f"{opts.get('n_concepts', 3)} concepts{' + none' if design.spec.none else ''}")
    print(f"D-error {design.d_error():.4f} at the priors (D0 {summary['d_error']:.4f}); "
          f"least level balance {summary['min_level_balance']:.2f}; "
          f"empty co-occurrence cells {summary['empty_cooccurrence_cells']}")
    by_n = power.groupby("n_respondents").agg(mean_expected_se=("expected_se", "mean"),
                                              mean_simulated_se=("simulated_se", "mean"))
    print("power (aggregate MNL, 20 simulated samples each):")
    print(by_n.round(4).to_string())
    for key, p in {**paths, "power": args.out / "design_power.csv", "balance": args.out / "design_balance.csv"}.items():
        print(f"  {key}: {p}")
    return 0


_COMMANDS = {"new": _new, "validate": _validate, "run": _run, "demo": _demo, "params": _params,
             "simulator": _simulator, "design": _design}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
