"""Load and isolation: 20 client engagements with ``--jobs 2``, and hostile strings passed as data.

Each client has its own slice of the CDNOW purchase log. After the parallel run every deliverable
must hold only its own client's data (checked by the manifest's input checksums, the intake Parquet
and the pages), no more than two runs may be alive at once, and peak memory is measured and bounded.
Client 0 has a name made of quotes, newlines, Python and template code, and a data cell of Python
code: all of it must arrive in the deliverable as text, never executed.
"""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
import yaml

from cvkit.engagement.runner import file_sha256, run_many
from tests.reliability.conftest import FIGURES, MEASURED
from tests.reliability.engagements import manifest, small_clv_engagement

pytestmark = pytest.mark.slow

N_CLIENTS = 20
JOBS = 2
HOSTILE_NAME = ('Acme "Quote" & Sons\'\n"); import os; open("PWNED", "w"); ("\n'
                "{{ 7*7 }} {% raw %} <script>alert(1)</script> $(touch PWNED) `touch PWNED`")
HOSTILE_CELL = "__import__('os').system('touch PWNED')"


class _MemorySampler(threading.Thread):
    """Samples the RSS of this process's children (workers and kernels) every 0.2 s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_total = 0
        self.peak_single = 0
        self.max_kernels = 0
        self._halt = threading.Event()

    def run(self):
        me = psutil.Process()
        while not self._halt.is_set():
            total, kernels = 0, 0
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    kernels += "ipykernel" in " ".join(child.cmdline())
                except psutil.Error:
                    continue
                total += rss
                self.peak_single = max(self.peak_single, rss)
            self.peak_total = max(self.peak_total, total)
            self.max_kernels = max(self.max_kernels, kernels)
            time.sleep(0.2)

    def stop(self):
        self._halt.set()
        self.join()


@pytest.fixture(scope="module")
def clients(tmp_path_factory) -> tuple[list[Path], Path, list[tuple[str, str, str]], float, _MemorySampler]:
    folder = tmp_path_factory.mktemp("clients")
    configs = []
    for i in range(N_CLIENTS):
        config = small_clv_engagement(folder / f"eng{i:02d}", slug=f"client-{i:02d}", name=f"Kunde {i:02d} GmbH",
                                      customers=25, offset=25 * i)
        raw = yaml.safe_load(config.read_text())
        raw["analyses"]["clv"]["enabled"] = False  # the overview page only: 20 runs in about a minute
        if i == 0:
            raw["client"]["name"] = HOSTILE_NAME
            tx = config.parent / "data" / "transactions.csv"
            lines = tx.read_text().splitlines()
            first = lines[1].split(",")
            lines.append(",".join([HOSTILE_CELL, first[1], first[2]]))
            tx.write_text("\n".join(lines) + "\n")
        config.write_text(yaml.safe_dump(raw, sort_keys=False))
        configs.append(config)
    out = folder / "outputs"
    sampler = _MemorySampler()
    sampler.start()
    t0 = time.perf_counter()
    cwd = Path.cwd()
    try:
        results = run_many(configs, jobs=JOBS, output_dir=out)
    finally:
        sampler.stop()
    seconds = time.perf_counter() - t0
    assert Path.cwd() == cwd
    FIGURES["clients_run_in_parallel"] = max(FIGURES["clients_run_in_parallel"], N_CLIENTS)
    MEASURED.update({"parallel_jobs": JOBS, "parallel_seconds": round(seconds, 1),
                     "parallel_peak_rss_mb": round(sampler.peak_total / 2**20),
                     "parallel_peak_process_rss_mb": round(sampler.peak_single / 2**20),
                     "parallel_max_kernels_alive": sampler.max_kernels})
    return configs, out, results, seconds, sampler


def test_every_client_succeeds(clients):
    configs, out, results, seconds, _ = clients
    assert [status for _, status, _ in results] == ["ok"] * N_CLIENTS, [r for r in results if r[1] != "ok"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        f"client-{i:02d}" for i in range(N_CLIENTS)]
    assert not [p.name for p in out.iterdir() if ".building-" in p.name or ".old-" in p.name]


def test_each_deliverable_holds_only_its_own_clients_data(clients):
    configs, out, _, _, _ = clients
    checksums = set()
    for i, config in enumerate(configs):
        final = out / f"client-{i:02d}"
        m = manifest(final)
        assert m["client"]["slug"] == final.name
        tx = config.parent / "data" / "transactions.csv"
        [inp] = m["inputs"]
        # Relative to the client's engagement folder: no absolute path in a deliverable.
        assert (config.parent / inp["path"]).resolve() == tx.resolve() and inp["sha256"] == file_sha256(tx)
        checksums.add(inp["sha256"])
        # The data the notebooks read are this client's rows, and only them.
        parquet = pd.read_parquet(final / "data" / "transactions.parquet")
        source = pd.read_csv(tx, dtype=str)
        assert sorted(parquet["customer_id"].unique()) == sorted(source["customer_id"].unique())
        assert len(parquet) == len(source)
        # Every recorded output is this run's file.
        for rel, digest in m["outputs"].items():
            assert file_sha256(final / rel) == digest
        pages = " ".join(p.read_text(encoding="utf-8") for p in final.glob("*.html"))
        others = [f"Kunde {j:02d} GmbH" for j in range(1, N_CLIENTS) if j != i]
        assert not [o for o in others if o in pages]
        if i:
            assert f"Kunde {i:02d} GmbH" in pages
    assert len(checksums) == N_CLIENTS


def test_parallelism_and_memory_are_bounded(clients):
    *_, seconds, sampler = clients
    assert sampler.max_kernels <= JOBS
    # Two workers and two kernels on a small log: well under 3 GB whatever the machine.
    assert 0 < sampler.peak_total < 3 * 2**30, sampler.peak_total
    assert seconds < 300


def test_hostile_strings_are_data_never_code(clients):
    configs, out, _, _, _ = clients
    final = out / "client-00"
    assert not list(Path(configs[0].parent).rglob("PWNED")) and not list(out.rglob("PWNED"))
    assert not Path("PWNED").exists()
    m = manifest(final)
    assert m["client"]["name"] == HOSTILE_NAME
    params = next(nb["parameters"] for nb in m["notebooks"] if nb["analysis"] == "overview")
    assert params["client_name"] == HOSTILE_NAME
    # papermill's injected cell assigns the value as a literal: evaluating it gives the string back.
    nb = nbformat.read(final / "notebooks" / "00_engagement_overview.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assigned = {}
    for node in ast.parse(injected.source).body:
        assert isinstance(node, ast.Assign)
        assigned[node.targets[0].id] = ast.literal_eval(node.value)
    assert assigned["client_name"] == HOSTILE_NAME
    # The pages show the text escaped: no script, no template evaluated.
    for page in final.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in html
    index = (final / "index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    # A data cell holding code is a customer ID like any other.
    parquet = pd.read_parquet(final / "data" / "transactions.parquet")
    assert HOSTILE_CELL in set(parquet["customer_id"])
    FIGURES["hostile_strings_checked"] = 2
