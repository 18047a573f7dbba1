"""JupyterLab in a real browser (what `make lab` opens): run notebook 04 and use its CLV what-if widget.

A copy of notebook 04 without its stored outputs is opened in JupyterLab (started on a free port with a
token, settings isolated in a temporary folder), every cell is run from the Run menu, then the `months`
slider of the what-if panel is moved with the keyboard and the CLV total and its chart must change. A screenshot goes
to test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04_customer_lifetime_value.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_make_lab_opens_jupyterlab_on_the_notebooks():
    target = re.search(r"^lab:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert target and "jupyter lab notebooks/" in target.group(1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    """JupyterLab serving a folder with a output-free copy of notebook 04; yields (base URL, token)."""
    from cvkit.app import free_port

    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    work.mkdir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, work / NOTEBOOK.name)
    # Render every cell (no notebook windowing) so the widget far down the page is in the DOM and laid out.
    settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / "config"), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter), "lab", str(work), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # containers and CI runners often run as root, which JupyterLab refuses by default
        cmd.append("--allow-root")
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited:\n{(root / 'lab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not answer within 90 s:\n{(root / 'lab.log').read_text()[-3000:]}")
        yield base, token
    finally:
        with contextlib.suppress(ProcessLookupError):  # already gone when start-up failed
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            log.close()


def test_clv_what_if_widget_updates_when_a_slider_moves(lab, browser, artifacts: Path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", wait_until="domcontentloaded", timeout=60_000)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
        # Run All is dropped while the kernel is still connecting: wait until the status bar says the kernel
        # is idle, and run again if the first cell did not start.
        page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\| Idle")).first.wait_for(timeout=90_000)
        for attempt in range(3):
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            try:
                page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(1|\*)\]")).first.wait_for(
                    state="attached", timeout=15_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        result = page.locator(".widget-html-content", has_text="CLV total")
        result.wait_for(state="attached", timeout=180_000)
        result.scroll_into_view_if_needed()
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=180_000)
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                              has_text="Traceback")
        assert errors.count() == 0, errors.first.inner_text()
        before = result.inner_text()
        months = page.locator(".widget-slider", has=page.locator("label", has_text="months"))
        months.scroll_into_view_if_needed()
        # The panel's chart: CLV total against the horizon, redrawn on every change.
        figure = page.locator(".widget-vbox", has=months).locator("img")
        figure.first.wait_for(state="attached", timeout=30_000)
        figure_before = figure.first.get_attribute("src")
        assert figure_before and figure_before.startswith("data:image/png")
        handle = months.locator(".noUi-handle")
        readout_before = months.locator(".widget-readout").inner_text()
        handle.focus()
        for _ in range(6):
            handle.press("ArrowLeft")  # shorter horizon: less value ahead
        page.wait_for_function("""([sel, old]) => { const e = document.querySelector(sel);
                                   return e && e.innerText !== old; }""",
                               arg=[".widget-html-content b", before], timeout=30_000)
        after = result.inner_text()
        assert months.locator(".widget-readout").inner_text() != readout_before
        value = lambda text: float(re.sub(r"[^\d.]", "", text.split(":", 1)[1]))  # noqa: E731
        assert value(after) < value(before), (before, after)
        page.wait_for_function("""([old]) => { const imgs = Array.from(document.querySelectorAll('.widget-vbox img'));
                                   return imgs.length > 0 && imgs.every(i => i.src !== old && i.naturalWidth > 0); }""",
                               arg=[figure_before], timeout=30_000)
        page.screenshot(path=str(artifacts / "lab-clv-what-if.png"), full_page=False)
    except Exception:
        page.screenshot(path=str(artifacts / "lab-clv-what-if-failed.png"), full_page=False)
        raise
    finally:
        page.close()
