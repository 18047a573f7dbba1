"""The run manifest: what a run read, ran and wrote, with hashes, so a rerun can be checked against it.

:func:`write_manifest` writes ``manifest.json`` into a run's build folder; :class:`NotebookRun`
records one notebook; :func:`changes_since` compares with the previous deliverable's manifest.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cvkit
from cvkit.data.stream import is_glob

if TYPE_CHECKING:
    from cvkit.engagement.config import Engagement

__all__ = ["NotebookRun", "file_sha256", "package_versions", "now", "changes_since", "write_manifest",
           "MANIFEST_PACKAGES"]


# Packages whose versions go into the manifest (what a rerun needs to match).
MANIFEST_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "seaborn", "duckdb",
                      "ibis-framework", "pyarrow", "papermill", "nbconvert", "nbclient", "ipykernel",
                      "pydantic", "pyyaml", "openpyxl")


@dataclass
class NotebookRun:
    """What happened to one notebook in a run (recorded in the manifest)."""

    analysis: str
    notebook: str
    status: str  # "ok", "failed", "carried_over"
    seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    html: str | None = None
    error: str | None = None


def _input_files(path: Path) -> list[tuple[Path, Path | None]]:
    """The files behind one input and the name each is hashed under: a file (no name), a folder of
    Parquet parts (names relative to it) or a glob of parts (the matched paths)."""
    if not path.exists() and is_glob(str(path)):
        return sorted((f, f) for f in map(Path, glob.glob(str(path), recursive=True)) if f.is_file())
    if path.is_dir():
        return [(f, f.relative_to(path)) for f in sorted(f for f in path.rglob("*") if f.is_file())]
    return [(path, None)]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks; of a folder (Parquet parts) or a glob of parts,
    over its files' names and bytes."""
    h = hashlib.sha256()
    for f, name in _input_files(Path(path)):
        if name is not None:
            h.update(str(name).encode("utf-8") + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def input_bytes(path: Path) -> int:
    """Bytes of an input: a file's size, or the sum over a folder's or a glob's files."""
    return sum(f.stat().st_size for f, _ in _input_files(Path(path)))


def package_versions() -> dict[str, str]:
    versions = {}
    for name in MANIFEST_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def changes_since(previous_manifest: Path, inputs: list[dict[str, Any]], config_sha: str,
                   packages: dict[str, str], seed: int) -> dict[str, Any] | None:
    """What differs from the previous deliverable's run (None when there is no previous run)."""
    try:
        prev = json.loads(previous_manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    before = {i["kind"]: i for i in prev.get("inputs", [])}
    now = {i["kind"]: i for i in inputs}
    changed = [{"kind": k, "path": now[k]["path"], "previous_sha256": before[k]["sha256"],
                "sha256": now[k]["sha256"]} for k in now if k in before and before[k]["sha256"] != now[k]["sha256"]]
    prev_pk = prev.get("packages", {})
    return {
        "previous_finished": prev.get("finished"),
        "inputs_changed": changed,
        "inputs_added": sorted(set(now) - set(before)),
        "inputs_removed": sorted(set(before) - set(now)),
        "config_changed": prev.get("config", {}).get("sha256") != config_sha,
        "seed_changed": prev.get("seed") != seed,
        "packages_changed": {k: [prev_pk.get(k), v] for k, v in packages.items() if prev_pk.get(k) != v},
    }


def write_manifest(build: Path, cfg: Engagement, runs: list[NotebookRun], inputs: dict[str, Path],
                    hashes: dict[str, str], result: Any, started: str, seconds: float, *,
                    privacy: dict[str, Any] | None = None, final: Path | None = None,
                    log: Callable[[str], None] = print, kept: Sequence[str] = ()) -> None:
    from cvkit.data.intake import portable_path

    outputs = sorted(str(p.relative_to(build)) for p in build.rglob("*")
                     if p.is_file() and p.parts[len(build.parts)] in {"tables", "results"})
    manifest = {
        "cvkit_version": cvkit.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "client": {"name": cfg.client.name, "slug": cfg.client.slug},
        # Paths relative to the engagement folder: no absolute path or user name in a deliverable.
        "config": {"path": portable_path(cfg.config_path, cfg.base_dir), "sha256": file_sha256(cfg.config_path)},
        "seed": cfg.seed,
        "analysis_date": cfg.analysis_date.isoformat(),
        "inputs": [{"kind": k, "path": portable_path(p, cfg.base_dir), "bytes": input_bytes(p),
                    "sha256": hashes[k]} for k, p in inputs.items()],
        # The validated config (every default filled in) and what intake did to protect client data.
        "engagement": cfg.model_dump(mode="json"),
        "privacy": privacy,
        "intake": [{**row, "file": portable_path(row["file"], cfg.base_dir) if row.get("file") else row.get("file")}
                   for row in json.loads(result.summary().to_json(orient="records", date_format="iso"))],
        "excluded": json.loads(result.excluded().to_json(orient="records")),
        "intake_notes": [str(note) for note in result.notes],
        # Where each data set was checked: pandas, duckdb (this machine) or the Spark master URL.
        "intake_checked_on": dict(getattr(result, "checked_on", {})),
        "notebooks": [asdict(r) for r in runs],
        # Files of the previous deliverable cvkit did not create, kept (never deleted).
        "kept_files": list(kept),
        "outputs": {rel: file_sha256(build / rel) for rel in outputs},
        "started": started,
        "finished": now(),
        "seconds": round(seconds, 2),
    }
    if final is not None and (final / "manifest.json").exists():
        changes = changes_since(final / "manifest.json", manifest["inputs"], manifest["config"]["sha256"],
                                 manifest["packages"], cfg.seed)
        manifest["changes_since_previous_run"] = changes
        if changes and changes["inputs_changed"]:
            log(f"[{cfg.client.slug}] input files changed since the previous run: "
                + ", ".join(c["kind"] for c in changes["inputs_changed"]) + " (see manifest.json)")
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
