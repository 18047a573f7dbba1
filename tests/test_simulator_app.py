"""The workshop market simulator: saved with a run, served by `cvkit simulator` (Voilà), driven in Chromium.

The browser test starts the real command on a free port, changes a product's level in headless Chromium,
sees the shares change, saves and compares a scenario, downloads the CSV and leaves a screenshot in
test-artifacts/. It serves the session's demo run (HB estimates, randomized first choice); the tests without a
browser use a quick latent-class fit on the demo conjoint (seconds).
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import cvkit.choice as ch
from cvkit.engagement.outputs import Outputs

ATTRIBUTES = {"delivery": ["standard", "next_day", "same_day"], "returns": ["paid", "free"],
              "extras": ["none", "streaming", "partner_discounts", "priority_service"], "fee": [29, 49, 69, 89]}
PRODUCTS = [{"name": "Demo Plus", "delivery": "next_day", "returns": "free", "extras": "streaming", "fee": 49},
            {"name": "QuickShop Prime", "delivery": "same_day", "returns": "paid", "extras": "priority_service",
             "fee": 69},
            {"name": "ValueMart Saver", "delivery": "standard", "returns": "free", "extras": "partner_discounts",
             "fee": 29}]
COSTS = {"base": 12.0, "delivery.next_day": 4.0, "delivery.same_day": 11.0, "returns.free": 6.0}


@pytest.fixture(scope="module")
def fitted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo engagement and a run folder holding only the choice tables the simulator needs.

    Returns ``(engagement.yaml, output root)``; the run is ``<root>/demo``.
    """
    from cvkit.datasets import make_demo
    from cvkit.engagement.scaffold import write_demo_engagement

    config = write_demo_engagement(tmp_path_factory.mktemp("sim-engagement"))
    root = tmp_path_factory.mktemp("sim-outputs")
    spec = ch.ChoiceSpec(ATTRIBUTES, price="fee", linear=["fee"], none=True)
    model = ch.LatentClassMNL(spec, n_classes=3, n_starts=1, seed=2026).fit(ch.prepare(make_demo(seed=2026).choice,
                                                                                       spec))
    ch.save_simulator(Outputs(root / "demo", "choice"), model.utilities(), PRODUCTS, client_products=["Demo Plus"],
                      unit_costs=COSTS, market_size=100_000, method="share", currency="EUR",
                      client_name="Demo Retail", seed=2026)
    return config, root


# ---------------------------------------------------------------------------------------------- no browser
def test_saved_simulator_reproduces_the_fitted_shares(fitted_run):
    _, root = fitted_run
    spec = ch.ChoiceSpec(ATTRIBUTES, price="fee", linear=["fee"], none=True)
    from cvkit.datasets import make_demo

    u = ch.LatentClassMNL(spec, n_classes=3, n_starts=1, seed=2026).fit(ch.prepare(make_demo(seed=2026).choice,
                                                                                   spec)).utilities()
    saved = ch.load_simulator(root / "demo")
    expected = ch.Simulator(u).shares(PRODUCTS)
    pd.testing.assert_series_equal(saved.simulator.shares(PRODUCTS), expected, rtol=1e-9)
    table = saved.table()
    assert list(table.index) == ["Demo Plus", "QuickShop Prime", "ValueMart Saver", "None"]
    assert table.loc["Demo Plus", "unit_cost"] == pytest.approx(12 + 4 + 6)
    assert table.loc["Demo Plus", "revenue"] == pytest.approx(expected["Demo Plus"] * 49 * 100_000)


def test_app_updates_shares_saves_scenarios_and_offers_the_csv(fitted_run):
    from cvkit.app import SimulatorApp

    app = SimulatorApp.from_run(fitted_run[1] / "demo")
    before = app.table()["share"]
    app.set_level(0, "delivery", "same_day")  # through the dropdown, as in the browser
    with pytest.raises(ValueError, match="not offered"):
        app.set_level(0, "delivery", "drone")
    after = app.table()["share"]
    assert after["Demo Plus"] > before["Demo Plus"] + 0.01, "faster delivery should win share"
    assert re.search(r"Demo Plus</td><td class=\"share\">" + f"{100 * after['Demo Plus']:.1f}%", app.shares_html.value)
    app.save_scenario("same-day")
    comp = app.comparison()
    assert set(comp["scenario"]) == {"Base", "same-day"}
    saved_row = comp[(comp["scenario"] == "same-day") & (comp["product"] == "Demo Plus")]
    assert saved_row["delivery"].item() == "same_day"
    csv = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", app.download.value).group(1)).decode()
    assert csv == app.comparison_csv()
    offered = pd.read_csv(io.StringIO(csv))
    assert offered["share (%)"].to_numpy() == pytest.approx(comp["share (%)"].to_numpy(), abs=5e-4)
    assert offered.groupby("scenario")["share (%)"].sum().to_numpy() == pytest.approx([100, 100], abs=0.01)
    app.reset()
    pd.testing.assert_series_equal(app.table()["share"], before)


def test_missing_run_or_tables_is_a_clear_error(fitted_run, tmp_path, capsys):
    from cvkit.cli import main

    config, root = fitted_run
    assert main(["simulator", str(config), "--output-dir", str(tmp_path), "--no-browser"]) == 1
    assert "run `cvkit run" in capsys.readouterr().err
    (tmp_path / "demo" / "tables" / "clv").mkdir(parents=True)
    assert main(["simulator", str(config), "--output-dir", str(tmp_path), "--no-browser"]) == 1
    assert "no discrete-choice tables" in capsys.readouterr().err
    (tmp_path / "demo" / "tables" / "choice").mkdir()
    (tmp_path / "demo" / "tables" / "choice" / "respondent_utilities.csv").write_text("respondent_id\n1\n")
    assert main(["simulator", str(config), "--output-dir", str(tmp_path), "--no-browser"]) == 1
    assert "simulator_setup.csv" in capsys.readouterr().err


def test_simulator_command_is_in_the_cli_help(capsys):
    from cvkit.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "cvkit simulator" in capsys.readouterr().out


@pytest.mark.slow
def test_the_demo_run_saves_a_simulator_matching_its_base_scenario(demo_run: Path):
    """The full demo (run once per session for the other end-to-end tests) exports what the app needs."""
    saved = ch.load_simulator(demo_run)
    base = pd.read_csv(demo_run / "tables" / "choice" / "base_scenario.csv",
                       keep_default_na=False).set_index("product")  # the product "None" is not missing
    shares = 100 * saved.table()["share"]
    # base_scenario.csv holds the run's shares (randomized first choice, seeded): the saved utilities give them back.
    pd.testing.assert_series_equal(shares.round(1), base["share (%)"], check_names=False, atol=0.051)


# ---------------------------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def served(demo_engagement: Path, demo_run: Path):
    """`cvkit simulator CONFIG --no-browser` on the demo run, on a free port; yields the URL printed (with token).

    The demo run is the session's (run once for every end-to-end test), so serving it costs nothing extra.
    """
    from cvkit.app import free_port

    config, root = demo_engagement, demo_run.parent
    port = free_port()
    cmd = [sys.executable, "-c", "import sys; from cvkit.cli import main; sys.exit(main())", "simulator",
           str(config), "--output-dir", str(root), "--port", str(port), "--no-browser"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # own process group: the Voila child dies with it
    try:
        url, log = None, []
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            log.append(line)
            m = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
            url = m.group(0) if m else None
        assert url, f"cvkit simulator printed no address:\n{''.join(log)}"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("Voila did not answer within 60 s")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):  # already gone when start-up failed
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _share(page, product: str) -> str:
    return page.locator(f'.cvkit-shares tr[data-product="{product}"] td.share').inner_text()


@pytest.mark.browser
@pytest.mark.slow
def test_browser_changes_a_level_and_sees_the_shares_change(served: str, browser, artifacts: Path, tmp_path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    errors: list[str] = []
    external: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: external.append(req.url)
            if req.url.startswith(("http:", "https:")) and not req.url.startswith("http://127.0.0.1") else None)
    try:
        page.goto(served, wait_until="domcontentloaded", timeout=60_000)
        page.locator('.cvkit-shares tr[data-product="Demo Plus"] td.share').wait_for(timeout=90_000)
        assert page.locator("text=simulator_app").count() == 0, "the app's code is visible"
        before = _share(page, "Demo Plus")
        chart_before = page.locator(".cvkit-chart img").get_attribute("src")
        page.locator(".cvkit-level-0-delivery select").select_option(label="same day")
        page.wait_for_function(
            """([sel, old]) => { const e = document.querySelector(sel); return e && e.innerText !== old; }""",
            arg=['.cvkit-shares tr[data-product="Demo Plus"] td.share', before], timeout=30_000)
        after = _share(page, "Demo Plus")
        assert float(after.rstrip("%")) > float(before.rstrip("%")), (before, after)
        page.wait_for_function("""(old) => { const i = document.querySelector('.cvkit-chart img');
                                   return i && i.src !== old; }""", arg=chart_before, timeout=30_000)
        page.locator(".cvkit-scenario-name input").fill("same-day delivery")
        page.locator(".cvkit-save").click()
        # One table per measure (share, revenue, profit), each with a column for the saved scenario.
        headers = page.locator(".cvkit-compare th", has_text="same-day delivery")
        headers.first.wait_for(timeout=30_000)
        assert headers.count() == page.locator(".cvkit-compare table").count() >= 1
        page.screenshot(path=str(artifacts / "simulator-app.png"), full_page=True)
        with page.expect_download(timeout=30_000) as download:
            page.locator(".cvkit-download a").click()
        saved = tmp_path / "scenarios.csv"
        download.value.save_as(saved)
        table = pd.read_csv(saved)
        row = table[(table["scenario"] == "same-day delivery") & (table["product"] == "Demo Plus")]
        assert row["delivery"].item() == "same_day"
        assert abs(row["share (%)"].item() - float(after.rstrip("%"))) <= 0.051  # CSV 2 decimals, page 1
        assert errors == [], errors
        assert external == [], f"the app loads from a network: {external}"
    finally:
        page.close()
    assert (artifacts / "simulator-app.png").stat().st_size > 20_000


def test_ctrl_c_stops_voila_and_exits_cleanly(fitted_run, monkeypatch, capsys):
    """Ctrl-C is how a facilitator stops the app: Voila is terminated and cvkit exits 0 (not "interrupted")."""
    import cvkit.app.serve as serve

    calls = []

    class FakeVoila:
        pid = -1  # no process: no kernels to find

        def __init__(self, cmd, env, start_new_session=False):
            calls.append(("start", cmd, env[serve.RUN_ENV]))
            assert start_new_session  # cvkit, not the terminal, decides when Voila stops
            self.waits = 0

        def wait(self, timeout=None):
            self.waits += 1
            if self.waits == 1:
                raise KeyboardInterrupt
            calls.append(("waited", timeout))
            return -15

        def terminate(self):
            calls.append(("terminate",))

    monkeypatch.setattr(serve.subprocess, "Popen", FakeVoila)
    run = fitted_run[1] / "demo"
    assert serve.serve_simulator(run, port=8999, open_browser=False, token="t0k") == 0
    (_, cmd, env_run), *rest = calls
    assert str(serve.APP_NOTEBOOK) in cmd and "--port=8999" in cmd and "--token=t0k" in cmd
    assert env_run == str(run.resolve())
    assert rest == [("terminate",), ("waited", 10)]
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8999/?token=t0k" in out and "stopped" in out


@pytest.mark.slow
def test_sigterm_stops_voila_and_every_kernel_it_started(fitted_run):
    """`kill <cvkit pid>` (SIGTERM, as a service manager sends) leaves nothing serving and no kernel behind."""
    from cvkit.app import free_port
    from cvkit.app.serve import _alive, _descendants

    config, root = fitted_run
    port = free_port()
    cmd = [sys.executable, "-c", "import sys; from cvkit.cli import main; sys.exit(main())", "simulator",
           str(config), "--output-dir", str(root), "--port", str(port), "--no-browser"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started: list[int] = []
    try:
        url, deadline = None, time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            m = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", proc.stdout.readline())
            url = m.group(0) if m else None
        assert url, "no address printed"
        while time.monotonic() < deadline:  # the page request starts the app's kernel
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        started = _descendants(proc.pid)
        assert len(started) >= 2, f"expected Voila and a kernel under cvkit, found {started}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stdout.read()
        gone = time.monotonic() + 15
        while any(_alive(p) for p in started) and time.monotonic() < gone:
            time.sleep(0.2)
        assert not [p for p in started if _alive(p)], "processes left running after SIGTERM"
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in started:  # never leave a kernel behind, even when the test fails
            with contextlib.suppress(ProcessLookupError):
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        proc.stdout.close()


def test_voila_serves_the_cvkit_template():
    """The app's Voilà template (no CDN stylesheets; the browser test checks no request leaves localhost)."""
    from cvkit.app.serve import TEMPLATES, voila_command

    assert (TEMPLATES / "voila" / "templates" / "cvkit" / "index.html.j2").exists()
    assert "--template=cvkit" in voila_command(8000, "t")
