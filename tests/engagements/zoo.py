"""The engagement zoo: real client-shaped engagements that `cvkit validate` then `cvkit run` end to end.

A plain module (not conftest) so tests and ``benchmarks/engagements.py`` import it by name.

Convention (see README.md here): one folder per engagement under ``tests/engagements/`` holding

- ``engagement.yaml``: the config exactly as an analyst would write it (or written by the builder);
- ``expect.yaml``: what the run must show (``pages``, ``red_flags``, ``tier``, optional ``only`` and
  ``build``);
- ``data/`` with the client's files, or a ``build:`` entry naming a builder of :mod:`builders`
  that writes them from a copy committed in ``tests/engagements/data/`` (provenance beside it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ZOO = Path(__file__).resolve().parent
DATA = ZOO / "data"

__all__ = ["ZOO", "DATA", "ZooEngagement", "engagements", "materialise", "demo_vocabulary", "demo_words_on", "page_text",
           "raised_flags", "deliverable_tables", "WORKBOOK_CLOCK"]


@dataclass(frozen=True)
class ZooEngagement:
    """One engagement of the zoo and what its run must show."""

    name: str
    folder: Path
    description: str
    tier: str                       # "fast" (every test run) or "slow" (still in `make test`, marked slow)
    pages: tuple[str, ...]          # page file stems the deliverable must hold
    red_flags: tuple[str, ...]      # red-flag codes the run must raise (cvkit.engagement.flags)
    validate_flags: tuple[str, ...] = ()  # red-flag codes `cvkit validate` must list before any run
    only: tuple[str, ...] = ()      # `cvkit run --only` these analyses (default: every enabled one)
    build: dict[str, Any] = field(default_factory=dict)  # {builder: name, ...keyword arguments}


def engagements(tier: str | None = None) -> list[ZooEngagement]:
    """Every engagement folder of the zoo (optionally of one tier), sorted by name."""
    found = []
    for folder in sorted(p for p in ZOO.iterdir() if (p / "expect.yaml").is_file()):
        expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8")) or {}
        eng = ZooEngagement(
            name=folder.name, folder=folder, description=expect.get("description", ""),
            tier=expect.get("tier", "fast"), pages=tuple(expect.get("pages", ())),
            red_flags=tuple(expect.get("red_flags", ())), validate_flags=tuple(expect.get("validate_flags", ())),
            only=tuple(expect.get("only", ())), build=dict(expect.get("build") or {}))
        if eng.tier not in ("fast", "slow"):
            raise ValueError(f"{folder}/expect.yaml: tier must be fast or slow, not {eng.tier!r}")
        if tier is None or eng.tier == tier:
            found.append(eng)
    return found


def materialise(eng: ZooEngagement, dest: Path) -> Path:
    """Copy the engagement to ``dest`` and build its data files there; returns its ``engagement.yaml``."""
    from tests.engagements import builders

    shutil.copytree(eng.folder, dest, ignore=shutil.ignore_patterns("expect.yaml", "__pycache__"),
                    dirs_exist_ok=True)
    if eng.build:
        options = dict(eng.build)
        builder = getattr(builders, options.pop("builder"))
        (dest / "data").mkdir(exist_ok=True)
        builder(dest / "data", **options)
    return dest / "engagement.yaml"


def demo_vocabulary() -> list[str]:
    """Words that belong to the demo engagement and must never appear on another client's pages.

    Built from the demo's own definitions (client and competitor brands, conjoint attributes and
    levels, the choice notebook's default products), plus the demo's story words.
    """
    from cvkit.datasets import _demo_params as P
    from cvkit.engagement.parameters import notebook_parameters
    from cvkit.engagement.config import ANALYSES

    words = {P.CLIENT_BRAND, *P.COMPETITORS, "membership", "annual fee", "Demo Plus"}
    generic = {"none", "paid", "free", "standard", "returns", "extras", "fee", "price"}
    everyday = {"same day", "next day"}  # "purchases on the same day" is plain English
    for attribute, levels in P.ATTRIBUTES.items():
        for token in (attribute, *levels):
            if token not in generic:
                words.update({token, token.replace("_", "-")})
                if token.replace("_", " ") not in everyday:
                    words.add(token.replace("_", " "))
    choice_defaults = notebook_parameters(ANALYSES["discrete_choice"].path)
    for product in choice_defaults["products"].default:
        words.add(product["name"])
    return sorted(words, key=str.lower)


# Statistical terms that contain a demo word without speaking of the demo.
_NOT_DEMO = {"membership": r"(?<!class )(?<!segment )(?<!cluster )"}


def demo_words_on(text: str, words: list[str]) -> list[str]:
    """The demo words found in ``text`` (whole words, case-insensitive)."""
    return [w for w in words
            if re.search(rf"{_NOT_DEMO.get(w.lower(), '')}(?<![\w-]){re.escape(w)}(?![\w-])", text, re.I)]


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def page_text(path: Path) -> str:
    """The text a reader sees on an HTML page: no scripts, styles, tags or embedded images."""
    raw = path.read_text(encoding="utf-8")
    return html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", raw)))


def raised_flags(deliverable: Path) -> dict[str, list[str]]:
    """Red-flag codes each analysis recorded in its results file: {analysis: [code, ...]}."""
    out = {}
    for path in sorted((deliverable / "results").glob("*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        out[content.get("analysis", path.stem)] = [f["code"] for f in content.get("red_flags") or []]
    return out


#: Workbook members that hold when it was written (openpyxl's core properties), not what it says.
WORKBOOK_CLOCK = frozenset({"docProps/core.xml"})


def deliverable_tables(deliverable: Path) -> dict[str, bytes]:
    """Every table of a deliverable as bytes, to compare two runs exactly.

    The files under ``tables/`` (CSV, Parquet) and ``results/`` (JSON), keyed by their path in the
    deliverable, and every member of the workbook (``<name>.xlsx:<member>``: its sheets, shared
    strings, styles) except :data:`WORKBOOK_CLOCK`, which holds the time it was written.
    """
    import zipfile

    out = {str(p.relative_to(deliverable)): p.read_bytes()
           for folder in ("tables", "results") for p in sorted((deliverable / folder).rglob("*")) if p.is_file()}
    for xlsx in sorted(deliverable.glob("*.xlsx")):
        with zipfile.ZipFile(xlsx) as z:
            out.update({f"{xlsx.name}:{m}": z.read(m) for m in z.namelist() if m not in WORKBOOK_CLOCK})
    return out
