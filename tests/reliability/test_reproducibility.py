"""Reproducibility and client data: reruns are byte-identical, inputs untouched, IDs pseudonymised.

One small CLV engagement whose customer IDs are e-mail addresses and whose CRM extract carries
names, e-mails and phone numbers is run twice with the same seed and pseudonymisation key:

- the tables (CSV and Parquet) and results files of the two runs are byte-identical, and the
  manifest records what a rerun needs (versions, parameters, input checksums, seed);
- the input files are never modified (checksum, modification time and inode before and after);
- no raw ID, personal value or the key appears in any output file;
- a third run after an input file changed reports the change in its manifest.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cvkit.data import intake
from cvkit.data.privacy import PrivacyError, PrivacyOptions, key_fingerprint, protect, pseudonymise
from cvkit.engagement.runner import file_sha256, run_engagement
from tests.reliability.conftest import FIGURES
from tests.reliability.engagements import manifest, small_clv_engagement, tree_digest

pytestmark = pytest.mark.slow

KEY = "reliability-suite-key-7f3a9c0d1e"


def _client_files(config: Path) -> None:
    """IDs as e-mail addresses, plus a CRM extract with personal columns."""
    data = config.parent / "data"
    tx = pd.read_csv(data / "transactions.csv", dtype=str)
    tx["customer_id"] = "cust" + tx["customer_id"] + "@client.example"
    tx.to_csv(data / "transactions.csv", index=False)
    first = tx.groupby("customer_id", sort=True)["date"].min()
    crm = pd.DataFrame({"Customer ID": first.index, "acquisition_date": first.to_numpy(),
                        "channel": ["online" if i % 3 else "store" for i in range(len(first))],
                        "Full Name": [f"Jane Doe{i}" for i in range(len(first))],
                        "E-mail": [f"jane.doe{i}@mail.example" for i in range(len(first))],
                        "Phone": [f"+44 20 7946 {i:04d}" for i in range(len(first))]})
    crm.to_csv(data / "customers.csv", index=False)
    raw = yaml.safe_load(config.read_text())
    raw["data"]["customers"] = "data/customers.csv"
    raw["privacy"] = {"pseudonymise_ids": True, "key_env": "CVKIT_RELIABILITY_KEY"}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))


def _stat(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return file_sha256(path), st.st_mtime_ns, st.st_ino


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("repro")
    config = small_clv_engagement(folder / "eng", slug="repro", customers=200)
    _client_files(config)
    inputs = sorted((config.parent / "data").glob("*.csv"))
    before = {p.name: _stat(p) for p in inputs}
    finals = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CVKIT_RELIABILITY_KEY", KEY)
        for i in range(2):
            out = folder / f"out{i}"
            final = run_engagement(config, output_dir=out, progress=False, log=lambda m: None)
            finals.append(final)
    after = {p.name: _stat(p) for p in inputs}
    FIGURES["reruns_compared"] += 1
    return config, finals, before, after


def _deterministic(folder: Path) -> dict[str, str]:
    return {k: v for k, v in tree_digest(folder).items()
            if k.startswith(("tables/", "results/", "data/")) and k.endswith((".csv", ".parquet", ".json"))}


def test_two_runs_give_byte_identical_tables_and_results(two_runs):
    _, (a, b), _, _ = two_runs
    da, db = _deterministic(a), _deterministic(b)
    assert any(k.startswith("tables/clv/") for k in da) and any(k.startswith("results/") for k in da)
    assert any(k.endswith(".parquet") for k in da)
    assert da == db, {k for k in da if da[k] != db.get(k)}


def test_manifest_records_what_a_rerun_needs(two_runs):
    config, (a, b), _, _ = two_runs
    ma, mb = manifest(a), manifest(b)
    for key in ("cvkit_version", "python", "packages", "seed", "inputs", "config", "engagement", "privacy"):
        assert ma[key] == mb[key], key
    assert {"numpy", "pandas", "scipy", "papermill"} <= set(ma["packages"])
    assert ma["seed"] == 2026 and ma["engagement"]["seed"] == 2026
    assert {i["kind"] for i in ma["inputs"]} == {"transactions", "customers"}
    for i in ma["inputs"]:
        assert i["sha256"] == file_sha256(config.parent / i["path"])  # relative to the engagement folder
    clv = next(nb for nb in ma["notebooks"] if nb["analysis"] == "clv")
    assert clv["parameters"]["seed"] == 2026 and clv["parameters"]["n_draws"] == 20
    # Parameters differ only by where the run was built.
    strip = lambda m: [{k: v for k, v in nb["parameters"].items() if not str(v).startswith(str(m.parent))}
                       for nb in manifest(m)["notebooks"]]
    assert strip(a) == strip(b)
    assert ma["privacy"]["key_fingerprint"] == key_fingerprint(KEY.encode())
    assert ma["privacy"]["personal_columns_dropped"] == ["customers.Full Name", "customers.E-mail",
                                                         "customers.Phone"]
    # Different output folders: the second run had no previous deliverable to compare with.
    assert "changes_since_previous_run" not in mb


def test_input_files_are_never_modified(two_runs):
    _, _, before, after = two_runs
    assert before == after and len(before) == 2


def test_no_raw_id_personal_value_or_key_reaches_any_output(two_runs):
    config, finals, _, _ = two_runs
    data = config.parent / "data"
    raw_ids = set(pd.read_csv(data / "transactions.csv", dtype=str)["customer_id"])
    crm = pd.read_csv(data / "customers.csv", dtype=str)
    personal = set(crm["Full Name"]) | set(crm["E-mail"]) | set(crm["Phone"])
    needles = [s.encode() for s in ("@client.example", "@mail.example", "Jane Doe", "+44 20 7946", KEY)]
    checked = 0
    for final in finals:
        for path in final.rglob("*"):
            if not path.is_file():
                continue
            blob = path.read_bytes()
            found = [n for n in needles if n in blob]
            assert not found, (path, found)
            checked += 1
        tx = pd.read_parquet(final / "data" / "transactions.parquet")
        assert tx["customer_id"].str.fullmatch(r"C-[0-9a-f]{16}").all()
        assert not set(tx["customer_id"]) & raw_ids
        cust = pd.read_parquet(final / "data" / "customers.parquet")
        assert not {"Full Name", "E-mail", "Phone"} & set(cust.columns)
        assert not set(cust.astype(str).to_numpy().ravel()) & personal
        # Stable keyed hash: the same raw ID gives the same pseudonym in every file and every run.
        some = sorted(raw_ids)[0]
        assert pseudonymise(some, KEY.encode(), "customer") in set(tx["customer_id"])
        assert set(cust["customer_id"]) >= set(tx["customer_id"])
        clv = pd.read_csv(final / "tables" / "clv" / "customers.csv", dtype=str)
        assert set(clv["customer_id"]) <= set(cust["customer_id"])
    assert checked > 20


def test_changed_input_is_detected_and_reported(two_runs, tmp_path, monkeypatch):
    config, (a, _), _, _ = two_runs
    eng = tmp_path / "eng"
    shutil.copytree(config.parent, eng, ignore=shutil.ignore_patterns("out*"))
    raw = yaml.safe_load((eng / "engagement.yaml").read_text())
    raw["analyses"]["clv"]["enabled"] = False  # the overview is enough to see the inputs
    (eng / "engagement.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "out"
    shutil.copytree(a, out / "repro")
    tx = eng / "data" / "transactions.csv"
    old = file_sha256(tx)
    lines = tx.read_text().splitlines()
    tx.write_text("\n".join(lines[:-1]) + "\n")  # the client re-exported without the last purchase
    monkeypatch.setenv("CVKIT_RELIABILITY_KEY", KEY)
    messages = []
    final = run_engagement(eng / "engagement.yaml", output_dir=out, progress=False, log=messages.append)
    changes = manifest(final)["changes_since_previous_run"]
    # Paths in the manifest are relative to the engagement folder (portable outputs, issue 14).
    assert changes["inputs_changed"] == [{"kind": "transactions", "path": "data/transactions.csv",
                                          "previous_sha256": old, "sha256": file_sha256(tx)}]
    assert changes["config_changed"] is True and changes["seed_changed"] is False
    assert changes["inputs_added"] == [] and changes["inputs_removed"] == []
    assert any("input files changed since the previous run: transactions" in m for m in messages)
    FIGURES["reruns_compared"] += 1


def test_pseudonymisation_without_a_key_stops_at_intake(tmp_path, monkeypatch, capsys):
    from cvkit.cli import main

    config = small_clv_engagement(tmp_path / "eng", slug="nokey", customers=10,
                                  extra={"privacy": {"pseudonymise_ids": True, "key_env": "CVKIT_NO_SUCH_KEY"}})
    monkeypatch.delenv("CVKIT_NO_SUCH_KEY", raising=False)
    assert main(["run", str(config), "--output-dir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "environment variable CVKIT_NO_SUCH_KEY is not set" in err and "Fix: export" in err
    assert not (tmp_path / "out" / "nokey").exists()
    monkeypatch.setenv("CVKIT_NO_SUCH_KEY", "short")
    with pytest.raises(PrivacyError, match="has 5 characters"):
        run_engagement(config, output_dir=tmp_path / "out", progress=False, log=lambda m: None)


def test_personal_columns_are_refused_unless_allowed(tmp_path, capsys):
    from cvkit.cli import main
    from tests.data.datasamples import CHOICE, CUSTOMERS, write

    # An extra conjoint column "email": every column not fixed is an attribute, so it would reach outputs.
    rows = []
    for i, line in enumerate(CHOICE.splitlines()):
        parts = line.split(",")
        parts.insert(7, "email" if i == 0 else ("" if parts[7] == "1" else f"r{i}@y.example"))
        rows.append(",".join(parts))
    path = write(tmp_path, "choice.csv", "\n".join(rows) + "\n")
    result = intake({"choice": path})
    assert result.ok, result.report()
    protect(result, PrivacyOptions())
    [p] = result.problems
    assert p.column == "email" and "named like an e-mail address" in p.message
    assert "data.choice.attributes" in p.fix and "privacy.allow_personal_columns" in p.fix
    result = intake({"choice": path})
    done = protect(result, PrivacyOptions(allow_personal_columns=["email"]))
    assert result.ok and done["personal_columns_allowed"] == ["choice.email"]
    # E-mails in a text column of the schema (here: region) are refused too, naming the rows.
    cust = write(tmp_path, "customers.csv", CUSTOMERS.replace("North", "ann@x.example"))
    result = intake({"customers": cust})
    protect(result, PrivacyOptions())
    [p] = result.problems
    assert p.column == "region" and "holds e-mail addresses" in p.message and list(p.rows) == [1]
    # So are phone numbers filling a text column, while dates and age bands are not taken for phones.
    phones = CUSTOMERS.replace("online,", "+44 20 7946 0001,").replace("store,", "(020) 7946-0002,") \
        .replace("referral,", "+33 1 42 68 53 00,")
    result = intake({"customers": write(tmp_path, "phones.csv", phones)})
    protect(result, PrivacyOptions())
    [p] = result.problems
    assert p.column == "channel" and "holds phone numbers" in p.message
    result = intake({"customers": write(tmp_path, "plain.csv", CUSTOMERS)})
    protect(result, PrivacyOptions())
    assert result.ok
    # `cvkit validate` applies the same rules.
    eng = tmp_path / "eng"
    config = small_clv_engagement(eng, customers=10)
    shutil.copy(cust, eng / "data" / "customers.csv")
    raw = yaml.safe_load(config.read_text())
    raw["data"]["customers"] = "data/customers.csv"
    raw["intake"]["orphan_ids"] = "keep"
    config.write_text(yaml.safe_dump(raw))
    assert main(["validate", str(config)]) == 1
    assert "column 'region'" in capsys.readouterr().out
    FIGURES["privacy_cases"] += 4


def test_excluded_rows_are_pseudonymised_too(tmp_path, monkeypatch):
    from tests.data.datasamples import TRANSACTIONS, write

    monkeypatch.setenv("CVKIT_RELIABILITY_KEY", KEY)
    path = write(tmp_path, "tx.csv", TRANSACTIONS + "T6,C777,2024-05-01,-5\n")
    from cvkit.data import IntakePolicy

    result = intake({"transactions": path}, policy=IntakePolicy(negative_amounts="exclude"))
    protect(result, PrivacyOptions(pseudonymise_ids=True, key_env="CVKIT_RELIABILITY_KEY"))
    written = result.write(tmp_path / "data")
    text = written["excluded"].read_text()
    assert "C777" not in text and pseudonymise("C777", KEY.encode(), "customer") in text
    assert os.environ["CVKIT_RELIABILITY_KEY"] not in text


def test_clv_summary_is_bit_identical_whatever_the_thread_schedule():
    # DuckDB combines per-thread partial sums in whatever order the threads finish: float sums
    # differed in the last bits between two runs of the same data (found by this suite).
    import hashlib

    import numpy as np

    import cvkit.clv as clv

    rng = np.random.default_rng(8)
    n = 400_000
    log = pd.DataFrame({"customer_id": rng.integers(0, 40_000, n).astype(str),
                        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
                        "amount": rng.gamma(2.0, 20.0, n) + rng.random(n) * 1e-3})
    digests = {hashlib.sha256(pd.util.hash_pandas_object(
        clv.summarize(log, time_unit="W", calibration_end="2021-06-30")).to_numpy().tobytes()).hexdigest()
        for _ in range(4)}
    FIGURES["reruns_compared"] += 3
    assert len(digests) == 1


def test_kernels_do_not_inherit_the_key(tmp_path, monkeypatch):
    import papermill

    from cvkit.engagement.runner import RunError

    seen = []

    def fake_execute(*args, **kwargs):  # where a kernel would start, with this environment
        seen.append(os.environ.get("CVKIT_RELIABILITY_KEY"))
        raise RuntimeError("stop here")

    config = small_clv_engagement(tmp_path / "eng", slug="env", customers=10, extra={
        "privacy": {"pseudonymise_ids": True, "key_env": "CVKIT_RELIABILITY_KEY"}})
    monkeypatch.setenv("CVKIT_RELIABILITY_KEY", KEY)
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    with pytest.raises(RunError, match="stop here"):
        run_engagement(config, output_dir=tmp_path / "out", progress=False, log=lambda m: None)
    assert seen == [None] and os.environ["CVKIT_RELIABILITY_KEY"] == KEY
