"""Resource limits on what cvkit reads: clear errors instead of hangs, tracebacks or runaway memory.

A client's export can be hostile or just broken: a named pipe or ``/dev/zero`` given as a data file
(reading never ends), an Excel "zip bomb" (5 MB on disk, 20 million rows inside), a header line of
megabytes, a cell of 500 MB, ten thousand columns, a YAML alias bomb. Each guard here stops such a
file *before* it is read in full, with a message naming the file, the limit, and the fix (including
how to raise the limit when the file is genuine).

The limits are configurable per engagement (``intake: limits:`` in ``engagement.yaml``, see
:class:`Limits`); :func:`using` makes them the current ones for the readers of one intake.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Limits", "current", "using", "excerpt", "check_regular_file", "check_text_file", "check_xlsx",
           "check_columns", "check_cells", "check_yaml", "YAML_LIMITS"]

_MB = 1024 * 1024


class Limits(BaseModel):
    """What one engagement's files may be (``intake: limits:``). Raise a limit for a genuine file."""

    model_config = ConfigDict(extra="forbid")
    file_mb: float = Field(50_000, gt=0, description="Largest data file, MB on disk.")
    line_kb: float = Field(1024, gt=0, description="Longest line of a CSV file (header included), KB.")
    header_kb: float = Field(128, gt=0, description="Longest header line of a CSV file, KB.")
    cell_chars: int = Field(100_000, gt=0, description="Longest text cell, characters.")
    columns: int = Field(2_000, gt=0, description="Most columns in one file.")
    xlsx_uncompressed_mb: float = Field(500, gt=0, description="Largest unpacked size of an .xlsx workbook, MB.")
    xlsx_mb: float = Field(200, gt=0, description="Largest .xlsx workbook on disk, MB.")


_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar("cvkit_limits", default=Limits())


def current() -> Limits:
    """The limits in force (the engagement's, inside :func:`using`; else the defaults)."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(limits: Limits | None) -> Iterator[Limits]:
    """Make ``limits`` the current ones for the block (one intake)."""
    token = _CURRENT.set(limits or Limits())
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def excerpt(value: Any, n: int = 60) -> str:
    """A bounded, printable excerpt of a value for an error message: ``'abc…' (5,000,000 characters)``."""
    text = str(value)
    if len(text) <= n:
        return repr(text)
    return f"{text[:n]!r}… ({len(text):,} characters)"


def _problem(path: Path | str, message: str, fix: str, column: str | None = None) -> Exception:
    from cvkit.data.errors import DataError, Problem

    return DataError(Problem(file=str(path), message=message, fix=fix, column=column))


def _raise_hint(key: str, value: Any) -> str:
    return f" If the file is genuine, raise the limit: `intake: limits: {key}: {value}` in engagement.yaml."


def _kind(mode: int) -> str | None:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), None)


def regular_file_problem(path: Path | str) -> str | None:
    """Why ``path`` (symlinks followed) is not a regular file, or None when it is one (or is missing)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    kind = _kind(mode)
    return None if kind is None and stat.S_ISREG(mode) else f"it is {kind or 'not a regular file'}, not a file"


def check_regular_file(path: Path, limits: Limits | None = None) -> None:
    """Refuse anything but a regular file within the size limit (FIFO, device, folder, socket, too big).

    Never opens the file: a FIFO would block and ``/dev/zero`` never ends.
    """
    limits = limits or current()
    why = regular_file_problem(path)
    if why is not None:
        raise _problem(path, f"{why}: cvkit reads only regular files (a pipe or a device would never end).",
                       "give the path of the exported data file itself (copy the data into a file first).")
    size = os.stat(path).st_size
    if size > limits.file_mb * _MB:
        raise _problem(path, f"the file is {size / _MB:,.0f} MB, over the limit of {limits.file_mb:,.0f} MB.",
                       "check that this is the right file." + _raise_hint("file_mb", int(size / _MB) + 1))


def check_text_file(path: Path, opener: Any = open, limits: Limits | None = None) -> None:
    """Refuse a CSV whose header or any line is longer than the limits, reading it once in blocks.

    Lines are found with ``bytes.find`` on blocks no larger than the line limit, so the scan costs
    about a second per GB and constant memory; quoted line breaks inside cells count as line ends.
    """
    limits = limits or current()
    line_max, header_max = int(limits.line_kb * 1024), int(limits.header_kb * 1024)
    block = max(1, min(line_max, 1 << 20))
    try:
        _scan_lines(path, opener, block, line_max, header_max, limits)
    except (OSError, EOFError, zlib.error) as exc:  # a .gz that is not gzip, or is cut short
        raise _problem(path, f"the file cannot be read ({exc}).",
                       "export the data again; a .gz file must be a complete gzip archive.") from None


def _scan_lines(path: Path, opener: Any, block: int, line_max: int, header_max: int, limits: Limits) -> None:
    current_len, line_no = 0, 1
    with opener(path, "rb") as fh:
        while chunk := fh.read(block):
            first = chunk.find(b"\n")
            if first < 0:
                current_len += len(chunk)
            else:
                current_len += first
            limit = header_max if line_no == 1 else line_max
            if current_len > limit:
                what = "the header line" if line_no == 1 else f"line {line_no:,}"
                key, value = ("header_kb", limits.header_kb) if line_no == 1 else ("line_kb", limits.line_kb)
                raise _problem(path, f"{what} is longer than {value:,.0f} KB (a file without line breaks, "
                                     "or a cell holding a whole document).",
                               "export the data again as one row per line, with short cells."
                               + _raise_hint(key, int(value * 4)))
            if first >= 0:
                line_no += chunk.count(b"\n")
                current_len = len(chunk) - 1 - chunk.rfind(b"\n")


def check_xlsx(path: Path, limits: Limits | None = None) -> None:
    """Refuse an .xlsx whose unpacked size exceeds the limit (a zip bomb fails in milliseconds).

    Reads only the zip's directory, which states each member's uncompressed size.
    """
    limits = limits or current()
    size = os.stat(path).st_size
    if size > limits.xlsx_mb * _MB:
        raise _problem(path, f"the workbook is {size / _MB:,.0f} MB, over the limit of {limits.xlsx_mb:,.0f} MB "
                             "for Excel files.", "save the sheet as CSV (it is read faster and in less memory)."
                       + _raise_hint("xlsx_mb", int(size / _MB) + 1))
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: the Excel reader reports it as a workbook that cannot be opened
    if unpacked > limits.xlsx_uncompressed_mb * _MB:
        raise _problem(path, f"the workbook unpacks to {unpacked / _MB:,.0f} MB ({unpacked / max(size, 1):,.0f} times "
                             f"its size on disk), over the limit of {limits.xlsx_uncompressed_mb:,.0f} MB: reading "
                             "it would take very long and a lot of memory.",
                       "save the sheet as CSV and give that file instead."
                       + _raise_hint("xlsx_uncompressed_mb", int(unpacked / _MB) + 1))


def check_columns(path: Path | str, n: int, limits: Limits | None = None) -> None:
    """Refuse a file with more columns than the limit."""
    limits = limits or current()
    if n > limits.columns:
        raise _problem(path, f"the file has {n:,} columns, over the limit of {limits.columns:,}.",
                       "check the delimiter and export only the columns the data set needs."
                       + _raise_hint("columns", n))


def check_cells(path: Path | str, df: Any, limits: Limits | None = None, *, row_offset: int = 2,
                row_word: str = "line") -> None:
    """Refuse a text cell longer than the limit, naming its column and row and showing an excerpt.

    ``row_offset`` is the file's line (or Excel row) of the first data row; ``row_word`` says which.
    """
    import pandas as pd

    limits = limits or current()
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        lengths = s.str.len() if pd.api.types.is_string_dtype(s.dtype) else s.map(
            lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and (longest := lengths.max()) == longest and longest > limits.cell_chars:
            pos = int(lengths.to_numpy().argmax())
            raise _problem(path, f"{row_word} {pos + row_offset:,} has a cell of {int(longest):,} characters (over the limit "
                                 f"of {limits.cell_chars:,}): {excerpt(s.iloc[pos])}.",
                           "export the data again without that text (notes or documents pasted into a cell)."
                           + _raise_hint("cell_chars", int(longest)), column=str(col))


# --- engagement.yaml -------------------------------------------------------------------------

YAML_LIMITS = {"bytes": 1 * _MB, "depth": 32, "aliases": 100, "nodes": 100_000, "string": 10_000}
"""Budget for ``engagement.yaml``: file size, nesting depth, alias uses, nodes after alias
expansion, longest string (a config is a few KB; an alias bomb expands to billions of nodes)."""


def check_yaml(path: Path, text: str) -> list[str]:
    """Problems that make ``text`` unsafe to load (size, depth, aliases, expansion, long strings).

    Uses PyYAML's event stream (iterative, no recursion, no alias expansion) and then the node
    graph, counting nodes after alias expansion with memoisation, so a bomb is measured, never built.
    Returns an empty list for a safe document; YAML syntax errors are left to the loader.
    """
    import yaml

    limits = YAML_LIMITS
    if len(text.encode("utf-8")) > limits["bytes"]:
        return [f"the file is {len(text.encode('utf-8')) / _MB:.1f} MB; an engagement config is a few KB (limit "
                f"{limits['bytes'] // _MB} MB). Fix: keep data in data files, not in engagement.yaml."]
    aliases = 0
    stack: list[list[Any]] = []  # [kind, current key or index, expecting a key]
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            where = _yaml_where(stack, event)
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                _yaml_advance(stack)
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(stack) >= limits["depth"]:
                    return [f"{where}: nesting deeper than {limits['depth']} levels. Fix: an engagement config "
                            "nests a few levels (see templates/engagement.yaml); remove the extra brackets."]
                _yaml_key(stack, "?")
                stack.append(["map", None, True] if isinstance(event, yaml.MappingStartEvent) else ["seq", 0, False])
                continue
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > limits["aliases"]:
                    return [f"{where}: more than {limits['aliases']} YAML aliases (*name). Fix: write the values "
                            "out; aliases are refused beyond a small budget (they can expand to billions of values)."]
            elif isinstance(event, yaml.ScalarEvent) and len(event.value) > limits["string"]:
                return [f"{where}: a value of {len(event.value):,} characters (limit {limits['string']:,}): "
                        f"{excerpt(event.value)}. Fix: shorten it (names and labels are a few words)."]
            if not _yaml_key(stack, getattr(event, "value", "?")):
                _yaml_advance(stack)
    except yaml.YAMLError:
        return []  # the loader reports the syntax error with its line
    if aliases:
        expanded = _expanded_nodes(yaml.compose(text, Loader=yaml.SafeLoader), limits["nodes"])
        if expanded > limits["nodes"]:
            return [f"its YAML aliases (*name) expand to more than {limits['nodes']:,} values (an 'alias bomb'). "
                    "Fix: write the values out instead of repeating aliases of aliases."]
    return []


def _yaml_where(stack: list[list[Any]], event: Any) -> str:
    keys = [str(entry[1]) for entry in stack if entry[1] is not None]
    if len(keys) > 8:
        keys = [*keys[:6], "…"]
    line = f"line {event.start_mark.line + 1}"
    return f"{'.'.join(keys)} ({line})" if keys else line


def _yaml_key(stack: list[list[Any]], value: Any) -> bool:
    """Record ``value`` as the current mapping key when one is expected; True if it was a key."""
    if stack and stack[-1][0] == "map" and stack[-1][2]:
        stack[-1][1], stack[-1][2] = value if isinstance(value, str) else "?", False
        return True
    return False


def _yaml_advance(stack: list[list[Any]]) -> None:
    """A value ended: the enclosing mapping expects a key next, a sequence moves to its next index."""
    if stack and stack[-1][0] == "map":
        stack[-1][2] = True
    elif stack:
        stack[-1][1] += 1


def _expanded_nodes(root: Any, budget: int) -> int:
    """Nodes of the document with every alias expanded, counted once per distinct node (memoised)."""
    import yaml

    memo: dict[int, int] = {}
    open_nodes: set[int] = set()  # entered, not yet counted: meeting one again is a cycle
    # Post-order without recursion: the depth check above bounds the stack anyway.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if node is None or id(node) in memo:
            continue
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if done:
            open_nodes.discard(id(node))
            memo[id(node)] = min(budget + 1, 1 + sum(memo.get(id(c), 0) for c in children))
        elif id(node) in open_nodes:
            return budget + 1  # `&a [*a]`: a node that contains itself expands without end
        else:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
    return memo.get(id(root), 0)
