"""`cvkit new`, `validate`, `params` and `--help`."""

from pathlib import Path

import pytest
import yaml

from cvkit.cli import main
from cvkit.engagement.scaffold import new_engagement, slugify


def test_slugify():
    assert slugify("Acme Bank (NL)") == "acme-bank-nl"
    assert slugify("Société Générale") == "societe-generale"
    # No letter or digit at all: a fallback that differs from one name to another (issue 14, case 8).
    assert slugify("!!!").startswith("client-") and slugify("!!!") != slugify("???")
    assert slugify("Сбербанк") == "sberbank"


def test_new_creates_config_data_templates_and_readme(tmp_path, capsys):
    assert main(["new", str(tmp_path / "acme"), "--client", "Acme Bank"]) == 0
    config = tmp_path / "acme" / "engagement.yaml"
    raw = yaml.safe_load(config.read_text())
    assert raw["client"] == {"name": "Acme Bank", "slug": "acme-bank"}
    assert sorted(p.name for p in (tmp_path / "acme" / "data").iterdir()) == [
        "choice.csv", "customers.csv", "needs.csv", "survey.csv", "transactions.csv"]
    assert (tmp_path / "acme" / "README.md").read_text().startswith("# Customer value engagement")
    assert "cvkit validate" in capsys.readouterr().out


def test_new_refuses_to_overwrite(tmp_path):
    new_engagement(tmp_path / "x", "X")
    assert main(["new", str(tmp_path / "x"), "--client", "X"]) == 1
    with pytest.raises(FileExistsError, match="already exists"):
        new_engagement(tmp_path / "x", "X")


def test_new_engagement_validates_with_problems_until_filled(tmp_path, capsys):
    config = new_engagement(tmp_path / "x", "X")
    assert main(["validate", str(config)]) == 1
    out = capsys.readouterr()
    assert "header only" in (out.out + out.err).lower() or "no data rows" in (out.out + out.err).lower()


def test_validate_demo_is_clean(demo_engagement, capsys):
    assert main(["validate", str(demo_engagement)]) == 0
    out = capsys.readouterr().out
    assert "Demo Retail (demo)" in out and "No problems found" in out and "transactions" in out


def test_validate_reports_config_problems(tmp_path, capsys):
    bad = tmp_path / "engagement.yaml"
    bad.write_text("clinet: {}\n")
    assert main(["validate", str(bad)]) == 1
    assert "Did you mean 'client'" in capsys.readouterr().err


def test_params_lists_notebook_parameters(capsys):
    assert main(["params", "00_engagement_overview"]) == 0
    out = capsys.readouterr().out
    assert "client_name" in out and "min_base" in out and "minimum respondents" in out


def test_help_documents_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("new", "validate", "run", "demo", "params"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--only" in out and "--jobs" in out


def test_run_with_unknown_only_is_an_error(demo_engagement, tmp_path, capsys):
    assert main(["run", str(demo_engagement), "--only", "clvv", "--output-dir", str(tmp_path)]) == 1
    assert "unknown analysis" in capsys.readouterr().err
