"""How the suite splits over CPUs: shared by tests/ and the notebooks checked by nbval.

`make test` runs pytest with pytest-xdist on every core (``-n auto`` in pyproject.toml). The
scheduler below hands out whole *groups*, so each expensive fixture is built once and a notebook's
cells run in order in one kernel:

- every test file that uses the demo engagement's run (``demo_run``, two minutes) is one group;
- each test package whose ``conftest.py`` builds session fixtures (fitted models, loaded data) is
  one group;
- every other test file, and every notebook, is its own group.

(``pytest.mark.xdist_group`` would say the same per test, but pytest-xdist 3.8 cannot attach it to
node ids under pytest 9, so the grouping is done in the scheduler.) ``-n 0`` runs in one process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# tests/<package> folders whose conftest.py builds session-scoped fixtures shared by their modules.
_SHARED_PACKAGES = {"choice", "clv", "drivers", "segment"}


@lru_cache(maxsize=1)
def _demo_run_files() -> frozenset[str]:
    return frozenset(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                     if "demo_run" in p.read_text(encoding="utf-8"))


def group_of(nodeid: str) -> str:
    """The group a test belongs to, from its node id (``path::name``)."""
    path = nodeid.split("::", 1)[0]
    if path in _demo_run_files():
        return "demo-run"
    parts = Path(path).parts
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in _SHARED_PACKAGES:
        return "/".join(parts[:2])
    return path


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)
