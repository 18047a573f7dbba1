"""How the suite splits over CPUs: shared by tests/ and the notebooks checked by nbval.

`make test` runs pytest with pytest-xdist on every core (``-n auto`` in pyproject.toml). The
scheduler below hands out whole *groups*, so each expensive fixture is built once and a notebook's
cells run in order in one kernel:

- every test file that uses the demo engagement's run (``demo_run``, two minutes) is one group;
- every other test file, and every notebook, is its own group (the session fixtures of the test
  packages' conftest.py files load data in a second or two, so building them once per worker is cheap).

(``pytest.mark.xdist_group`` would say the same per test, but pytest-xdist 3.8 cannot attach it to
node ids under pytest 9, so the grouping is done in the scheduler.) ``-n 0`` runs in one process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def _demo_run_files() -> frozenset[str]:
    return frozenset(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                     if "demo_run" in p.read_text(encoding="utf-8"))


def group_of(nodeid: str) -> str:
    """The group a test belongs to, from its node id (``path::name``)."""
    path = nodeid.split("::", 1)[0]
    return "demo-run" if path in _demo_run_files() else path


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)
