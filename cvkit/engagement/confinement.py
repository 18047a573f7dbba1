"""Output confinement: cvkit replaces or deletes only what it created and marked.

Every deliverable holds a marker file, :data:`MARKER`, naming the client and listing every file cvkit
wrote into it. Before a run writes anything:

- :func:`check_output_location` refuses an output folder that equals or contains the engagement
  folder, its ``engagement.yaml`` or any input file (``output_dir: .`` with ``client.slug: data``,
  or ``--output-dir engagements`` for the engagement ``engagements/acme-bank``), and a deliverable
  folder that cvkit did not create (no marker) or that holds another client's deliverable (a slug
  collision).
- :func:`carry_unknown_files` keeps every file of the previous deliverable that cvkit did not write
  (an analyst's note): it is copied into the new deliverable and reported, never deleted.
- :func:`slug_collisions` refuses two clients with one slug in one ``cvkit run`` under one output root.

A deliverable written before markers existed is recognised by its ``manifest.json`` naming the same
slug; its files outside cvkit's own layout are treated as unknown and kept.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["MARKER", "KEPT_DIR", "check_output_location", "write_marker", "read_marker", "carry_unknown_files",
           "slug_collisions", "clean_failed", "mark_failed"]

MARKER = ".cvkit-deliverable.json"
"""The marker file in each deliverable (and in ``.failed/<slug>/``)."""
KEPT_DIR = "kept-from-previous-run"
"""Where a kept file goes when cvkit now writes a file of the same name."""

# What cvkit writes into a deliverable (used for deliverables from before markers existed).
_OWN_TOP = {"index.html", "manifest.json", MARKER, "notebooks", "tables", "figures", "results", "data", "pdf"}


def _run_error(message: str) -> Exception:
    from cvkit.exceptions import RunError

    return RunError(message)


def _within(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or inside it."""
    return path == folder or path.is_relative_to(folder)


def check_output_location(cfg: Any, root: Path, final: Path, inputs: Iterable[Path]) -> None:
    """Refuse, before anything is written, an output location that could destroy what cvkit did not make.

    Parameters
    ----------
    cfg : cvkit.engagement.config.Engagement
    root : Path
        The output root (resolved).
    final : Path
        The deliverable folder ``root / slug``.
    inputs : iterable of Path
        The engagement's input files.

    Raises
    ------
    RunError
        Naming the folder, what it would overwrite, and the fix.
    """
    root, final = root.resolve(), final.resolve()
    protected = [("the engagement folder", cfg.base_dir.resolve()), ("engagement.yaml", cfg.config_path.resolve())]
    protected += [(f"input file {p.name}", Path(p).resolve()) for p in inputs]
    for folder, what in ((final, "deliverable folder"), (root, "output folder")):
        for label, path in protected:
            if _within(path, folder):
                raise _run_error(
                    f"the {what} {folder} contains {label} ({path}): replacing the deliverable would delete it. "
                    "Nothing was written. Fix: choose an output folder outside the engagement's files "
                    "(--output-dir, or output_dir: in engagement.yaml; the default `outputs` is safe), or "
                    "change client.slug.")
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise _run_error(f"{final} exists and is not a cvkit deliverable folder. Nothing was written. Fix: move "
                         "it away, or choose another --output-dir or client.slug.")
    if final.exists():
        owner = read_marker(final)
        if owner is None:
            raise _run_error(
                f"{final} exists but was not created by cvkit (no {MARKER} marker), and cvkit only replaces "
                "what it created. Nothing was written. Fix: move that folder away, or choose another "
                "--output-dir or client.slug.")
        if owner.get("client") not in (None, cfg.client.name):
            raise _run_error(
                f"{final} holds the deliverable of another client ({owner.get('client')!r}) with the same slug "
                f"'{cfg.client.slug}'. Nothing was written. Fix: give this client its own client.slug in "
                f"{cfg.config_path.name}, or use another --output-dir.")


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a deliverable, or None when cvkit did not create ``folder``.

    A deliverable from before markers is accepted when its ``manifest.json`` names the folder's slug.
    """
    marker = folder / MARKER
    try:
        if marker.is_file() and not marker.is_symlink():
            data = json.loads(marker.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else None
        manifest = folder / "manifest.json"
        if manifest.is_file() and not manifest.is_symlink():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            client = data.get("client", {}) if isinstance(data, dict) else {}
            if isinstance(client, dict) and client.get("slug") == folder.name and "cvkit_version" in data:
                return {"client": client.get("name"), "slug": folder.name, "files": None}
    except (OSError, ValueError):
        return None
    return None


def _files(folder: Path) -> list[str]:
    """Every file and symlink under ``folder``, relative, sorted (symlinks are not followed)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        out += [str((base / n).relative_to(folder)) for n in filenames]
        out += [str((base / n).relative_to(folder)) for n in dirnames if (base / n).is_symlink()]
    return sorted(out)


def write_marker(build: Path, cfg: Any, *, kept: Sequence[str] = ()) -> Path:
    """Write the marker: the client and every file cvkit wrote into ``build`` (kept files excluded)."""
    kept_set = set(kept)
    files = [f for f in _files(build) if f not in kept_set]
    content = {"created_by": "cvkit", "client": cfg.client.name, "slug": cfg.client.slug,
               "files": sorted({*files, MARKER})}
    path = build / MARKER
    path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _is_own(rel: str, listed: set[str] | None) -> bool:
    if listed is not None:
        return rel in listed
    return Path(rel).parts[0] in _OWN_TOP or (len(Path(rel).parts) == 1 and rel.endswith((".html", ".xlsx")))


def carry_unknown_files(final: Path, build: Path, log: Callable[[str], None] = print) -> list[str]:
    """Copy every file of the previous deliverable that cvkit did not write into the new one.

    A file goes to the same relative place, or under :data:`KEPT_DIR` when cvkit now writes a file
    of that name. Returns the kept files' paths relative to the new deliverable.
    """
    marker = read_marker(final) if final.is_dir() else None
    if marker is None:
        return []
    listed = set(marker["files"]) if isinstance(marker.get("files"), list) else None
    kept = []
    for rel in _files(final):
        if _is_own(rel, listed):
            continue
        target = build / rel
        if target.exists() or target.is_symlink():
            target = build / KEPT_DIR / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(final / rel, target, follow_symlinks=False)
        kept.append(str(target.relative_to(build)))
    if kept:
        log(f"[{final.name}] kept {len(kept)} file(s) that cvkit did not create in the previous deliverable: "
            + ", ".join(kept[:5]) + (" ..." if len(kept) > 5 else "") + " (listed in manifest.json)")
    return kept


def mark_failed(folder: Path, slug: str) -> None:
    """Mark ``.failed/<slug>/`` as cvkit's, so the next successful run may remove it."""
    (folder / MARKER).write_text(json.dumps({"created_by": "cvkit", "slug": slug, "failed": True}) + "\n",
                                 encoding="utf-8")


def clean_failed(root: Path, slug: str) -> bool:
    """Remove ``<root>/.failed/<slug>/`` after a successful run, when cvkit marked it; True if removed."""
    failed = root / ".failed" / slug
    if not failed.is_dir() or failed.is_symlink() or not (failed / MARKER).is_file():
        return False
    shutil.rmtree(failed, ignore_errors=True)
    with_others = root / ".failed"
    if with_others.is_dir() and not any(with_others.iterdir()):
        with_others.rmdir()
    return True


def slug_collisions(configs: Sequence[str], output_dir: str | None) -> dict[str, str]:
    """Clients of one run that would share a deliverable folder: {config: error message}.

    The first config of each (output root, slug) runs; every later one with a different client name
    is refused. Configs that do not load are left to the run, which reports their ConfigError.
    """
    from cvkit.engagement.config import load_config

    seen: dict[tuple[Path, str], tuple[str, str]] = {}
    refused = {}
    for config in configs:
        try:
            cfg = load_config(config)
        except Exception:  # reported by the run itself, with its own message
            continue
        root = Path(output_dir).resolve() if output_dir else cfg.output_root()
        key = (root, cfg.client.slug)
        if key in seen and seen[key][1] != cfg.client.name:
            refused[config] = (f"client {cfg.client.name!r} has the slug '{cfg.client.slug}' of client "
                               f"{seen[key][1]!r} ({seen[key][0]}) in the same output folder {root}: the second "
                               "would replace the first. Nothing was written for it. Fix: give each client its "
                               "own client.slug.")
        seen.setdefault(key, (config, cfg.client.name))
    return refused
