"""A real Spark standalone cluster on localhost for the tests: one master, two workers.

Started from pyspark's own launcher (``bin/spark-class``), so the test exercises what a client's
cluster runs (a master URL ``spark://...``, executors in separate JVMs that read the Parquet from
the file system), not Spark inside the driver process. Readiness is read from the master's JSON
status page (``/json/``), never waited for with sleeps; every process is stopped afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SparkCluster", "spark_cluster", "java_problem"]

_READY_SECONDS = 120


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java on PATH), with the fix; None when it can."""
    if shutil.which("java") is None:
        return ("Spark needs a Java runtime on PATH: run `make java` (or `make test`, which installs "
                "Debian's default-jre-headless) or `apt-get install default-jre-headless`.")
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SparkCluster:
    """The running cluster: its master URL and status page, and the launched processes."""

    url: str
    status_url: str
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def status(self) -> dict:
        with urllib.request.urlopen(self.status_url, timeout=5) as response:
            return json.loads(response.read().decode())

    def applications(self) -> list[str]:
        """Names of the applications that ran or run on the cluster."""
        st = self.status()
        return [a["name"] for a in st.get("activeapps", []) + st.get("completedapps", [])]

    def log_tail(self, lines: int = 15) -> str:
        out = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


def _wait(cluster: SparkCluster, ready, what: str) -> None:
    """Poll the master's status page until ``ready(status)``; fail with the logs after a bound."""
    deadline = time.monotonic() + _READY_SECONDS
    while time.monotonic() < deadline:
        dead = [p.args[-1] for p in cluster.processes if p.poll() is not None]
        if dead:
            raise RuntimeError(f"a Spark process exited while waiting for {what}:\n{cluster.log_tail()}")
        with contextlib.suppress(OSError, ValueError):
            if ready(cluster.status()):
                return
        time.sleep(0.25)  # polling interval of the status page, not a wait for readiness
    raise RuntimeError(f"Spark cluster: {what} not ready after {_READY_SECONDS} s:\n{cluster.log_tail()}")


def _launch(cluster: SparkCluster, name: str, args: list[str], env: dict[str, str]) -> None:
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    log = open(cluster.logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen([str(spark_class), *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)  # its own process group: stopped with every child JVM
    log.close()
    cluster.processes.append(proc)


def _stop(processes: list[subprocess.Popen]) -> None:
    for proc in reversed(processes):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(processes):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def spark_cluster(folder: Path, *, workers: int = 2, worker_memory: str = "1g") -> Iterator[SparkCluster]:
    """Start a standalone master and ``workers`` one-core workers on localhost; stop them on exit.

    Ports are chosen free; the master and worker daemons get small heaps (``SPARK_DAEMON_MEMORY``)
    so the suite's machine is not starved. Each worker offers ``worker_memory`` to executors: at 1g,
    Spark's default executor memory, an application without Spark settings (an engagement.yaml with
    no ``conf``) gets its executors as on a client's cluster.
    """
    import pyspark

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    port, ui = _free_port(), _free_port()
    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_DAEMON_MEMORY": "256m", "SPARK_LOG_DIR": str(folder / "logs"),
           "SPARK_WORKER_DIR": str(folder / "work")}
    cluster = SparkCluster(url=f"spark://127.0.0.1:{port}", status_url=f"http://127.0.0.1:{ui}/json/",
                           logs=folder / "logs")
    try:
        _launch(cluster, "master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                    "--port", str(port), "--webui-port", str(ui)], env)
        _wait(cluster, lambda st: st.get("status") == "ALIVE", "the master")
        for i in range(workers):
            _launch(cluster, f"worker{i}", ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                                            "--cores", "1", "--memory", worker_memory,
                                            "--webui-port", str(_free_port()),
                                            "--work-dir", str(folder / f"work{i}"), cluster.url], env)
        _wait(cluster, lambda st: sum(w.get("state") == "ALIVE" for w in st.get("workers", [])) == workers,
              f"{workers} workers")
        yield cluster
    finally:
        _stop(cluster.processes)
