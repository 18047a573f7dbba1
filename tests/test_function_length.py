"""No function in cvkit/ is longer than 80 lines (the brief: functions short; long ones split into named steps).

Measured from the ``def`` line to the last line of the body, docstring included, by the AST.
``STILL_LONG`` lists the functions not yet split: the test fails when a function not in the list
is over the limit, and when a listed one has been split (so the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "cvkit"
LIMIT = 80

# Functions not split yet (module path -> names); empty since issue 11's last split. The checks stay so
# the list can only shrink again if a long function is ever allowed in temporarily.
STILL_LONG: dict[str, set[str]] = {}


def long_functions(root: Path = ROOT, limit: int = LIMIT) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    found.setdefault(str(path.relative_to(root)), {})[node.name] = n
    return found


def test_no_new_function_over_80_lines():
    found = long_functions()
    new = {f"{m}:{f}": n for m, fs in found.items() for f, n in fs.items() if f not in STILL_LONG.get(m, set())}
    assert not new, f"functions over {LIMIT} lines (split them into named steps): {new}"


def test_the_list_of_long_functions_only_shrinks():
    found = long_functions()
    split = [f"{m}:{f}" for m, fs in STILL_LONG.items() for f in fs if f not in found.get(m, {})]
    assert not split, f"these are no longer over {LIMIT} lines: remove them from STILL_LONG: {split}"


def test_the_checker_measures_functions(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "m.py").write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}\n")
    assert long_functions(tmp_path) == {"m.py": {"long": LIMIT + 1}}
