"""Every zoo engagement: `cvkit validate` is clean, then `cvkit run` delivers, in the client's words.

For each engagement of ``tests/engagements/`` (see README.md there): validate exits 0 and lists
the red flags knowable before a run; run exits 0; the deliverable holds the expected pages; no page
speaks the demo's vocabulary; the red flags the data calls for are raised.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engagements.zoo import ZooEngagement, demo_vocabulary, demo_words_on, engagements, materialise, \
    page_text, raised_flags


def _param(eng: ZooEngagement):
    return pytest.param(eng, id=eng.name, marks=[pytest.mark.slow] if eng.tier == "slow" else [])


ZOO = [_param(e) for e in engagements()]


@dataclass
class ZooRun:
    eng: ZooEngagement
    config: Path
    validate: subprocess.CompletedProcess
    run: subprocess.CompletedProcess | None
    deliverable: Path


def _cvkit(*args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cvkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module", params=ZOO)
def zoo_run(request, tmp_path_factory) -> ZooRun:
    eng: ZooEngagement = request.param
    folder = tmp_path_factory.mktemp(eng.name)
    config = materialise(eng, folder)
    validate = _cvkit("validate", str(config), timeout=900)
    run = None
    out = folder / "outputs"
    if validate.returncode == 0:
        only = [a for key in eng.only for a in ("--only", key)]
        run = _cvkit("run", str(config), "--output-dir", str(out), *only, timeout=1800)
    deliverables = [p for p in out.glob("*") if p.is_dir() and not p.name.startswith(".")] if out.exists() else []
    return ZooRun(eng, config, validate, run, deliverables[0] if deliverables else out / "missing")


def test_validate_is_clean_and_lists_the_flags_knowable_before_a_run(zoo_run):
    assert zoo_run.validate.returncode == 0, zoo_run.validate.stdout[-4000:] + zoo_run.validate.stderr[-4000:]
    for code in zoo_run.eng.validate_flags:
        assert f"[{code}]" in zoo_run.validate.stdout, (code, zoo_run.validate.stdout[-3000:])


def test_run_delivers_every_expected_page(zoo_run):
    assert zoo_run.run is not None and zoo_run.run.returncode == 0, \
        (zoo_run.run.stderr[-6000:] if zoo_run.run else "validate failed")
    pages = {p.stem for p in zoo_run.deliverable.glob("*.html")}
    missing = sorted(set(zoo_run.eng.pages) - pages)
    assert not missing, (missing, sorted(pages))


def test_pages_speak_of_the_client_not_the_demo(zoo_run):
    assert zoo_run.run is not None and zoo_run.run.returncode == 0
    words = demo_vocabulary()
    found = {page.name: hits for page in sorted(zoo_run.deliverable.glob("*.html"))
             if (hits := demo_words_on(page_text(page), words))}
    assert not found, found


def test_the_red_flags_the_data_calls_for_are_raised(zoo_run):
    assert zoo_run.run is not None and zoo_run.run.returncode == 0
    raised = {code for codes in raised_flags(zoo_run.deliverable).values() for code in codes}
    missing = sorted(set(zoo_run.eng.red_flags) - raised)
    assert not missing, (missing, sorted(raised))


def test_demo_vocabulary_catches_the_demo():
    # The check can fail: the demo's own pages are full of these words.
    words = demo_vocabulary()
    assert {"Demo Retail", "membership", "same-day", "ValueMart"} <= set(words)
    assert demo_words_on("Choose the same-day delivery membership", words)
    assert not demo_words_on("Purchases on the same day count once; latent class membership", words)
