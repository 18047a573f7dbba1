"""The engagement config: every mistake is an error naming the key, the value and the fix."""

from pathlib import Path

import pytest
import yaml

from cvkit.engagement.config import ANALYSES, ConfigError, load_config
from cvkit.engagement.scaffold import render_config, write_demo_engagement


@pytest.fixture()
def engagement(tmp_path: Path, demo_engagement: Path) -> Path:
    """A writable copy of the demo engagement's config, pointing at the demo data."""
    text = demo_engagement.read_text().replace("data/", f"{demo_engagement.parent}/data/")
    path = tmp_path / "engagement.yaml"
    path.write_text(text)
    return path


def _edit(path: Path, change) -> Path:
    raw = yaml.safe_load(path.read_text())
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_demo_config_loads(engagement):
    cfg = load_config(engagement)
    assert cfg.client.slug == "demo" and cfg.currency == "EUR" and str(cfg.analysis_date) == "2026-06-30"
    assert [a.key for a in cfg.enabled_analyses()] == list(ANALYSES)
    assert cfg.data_path("transactions").exists()
    assert load_config(engagement.parent).client.name == cfg.client.name  # the folder works too


def test_unknown_top_level_key_suggests_the_right_one(engagement):
    _edit(engagement, lambda raw: raw.update(currncy="USD"))
    text = _problems(engagement)
    assert "currncy: unknown key. Did you mean 'currency'?" in text


def test_unknown_nested_key_suggests_the_right_one(engagement):
    _edit(engagement, lambda raw: raw["data"].update(transaction="x.csv"))
    assert "data.transaction: unknown key. Did you mean 'transactions'?" in _problems(engagement)


def test_wrong_type_names_key_value_and_fix(engagement):
    _edit(engagement, lambda raw: raw.update(analysis_date="June 2026"))
    text = _problems(engagement)
    assert "analysis_date: 'June 2026' is not valid" in text and "YYYY-MM-DD" in text


def test_bad_slug_and_currency(engagement):
    def change(raw):
        raw["client"]["slug"] = "Acme Bank"
        raw["currency"] = "euro"
    _edit(engagement, change)
    text = _problems(engagement)
    assert "client.slug: 'Acme Bank' is not valid" in text and "lower-case" in text
    assert "currency: 'euro' is not valid" in text and "ISO code" in text


def test_missing_file_with_did_you_mean(engagement, demo_engagement):
    data = demo_engagement.parent / "data"
    _edit(engagement, lambda raw: raw["data"].update(transactions=f"{data}/transaction.csv"))
    text = _problems(engagement)
    assert "data.transactions: file" in text and "not found" in text and "Did you mean 'transactions.csv'" in text


def test_missing_required_key(engagement):
    _edit(engagement, lambda raw: raw.pop("client"))
    assert "client: required key is missing" in _problems(engagement)


def test_unknown_analysis_parameter_is_checked_against_the_notebook(engagement):
    _edit(engagement, lambda raw: raw["analyses"]["clv"].update(horizn_months=12))
    text = _problems(engagement)
    assert "analyses.clv.horizn_months: unknown parameter." in text


def test_closed_set_parameters_are_checked_with_the_config(engagement):
    # A value the notebook would refuse at run time fails validate, naming the key and the choices.
    _edit(engagement, lambda raw: raw["analyses"]["clv"].update(time_unit="Q", setting="contractul"))
    text = _problems(engagement)
    assert "analyses.clv.time_unit: 'Q' is not one of D, W, M." in text
    assert "analyses.clv.setting: 'contractul' is not one of non_contractual, contractual, discrete. " \
           "Did you mean 'contractual'?" in text


def test_every_notebook_default_is_one_of_its_choices():
    from cvkit.engagement.parameters import CHOICES, NOTEBOOKS_DIR, notebook_parameters

    for notebook in sorted(NOTEBOOKS_DIR.glob("0*.ipynb")):
        for name, param in notebook_parameters(notebook).items():
            if name in CHOICES:
                assert param.type == "str" and param.default in CHOICES[name], (notebook.name, name)


def test_common_parameters_cannot_be_set_per_analysis(engagement):
    _edit(engagement, lambda raw: raw["analyses"]["clv"].update(client="other"))
    assert "analyses.clv.client: unknown parameter" in _problems(engagement)


def test_enabled_analysis_without_data(engagement):
    _edit(engagement, lambda raw: raw["data"].pop("survey"))
    text = _problems(engagement)
    assert "analyses.value_drivers: enabled but no input data. Fix: give data.survey" in text


def test_several_problems_are_reported_together(engagement):
    def change(raw):
        raw["currncy"] = "EUR"
        raw["seed"] = "abc"
    _edit(engagement, change)
    text = _problems(engagement)
    assert "2 problems" in text and "currncy" in text and "seed: 'abc'" in text


def test_invalid_yaml_and_not_a_mapping(tmp_path):
    bad = tmp_path / "engagement.yaml"
    bad.write_text("client: [unclosed\n")
    assert "not valid YAML" in _problems(bad)
    bad.write_text("- just\n- a list\n")
    assert "must be a mapping" in _problems(bad)
    assert "file not found" in _problems(tmp_path / "nothing.yaml")


def test_client_name_with_quotes_and_code_stays_data(tmp_path):
    import datetime as dt

    name = 'O\'Brien "& Sons"\n__import__("os").system("echo hacked")'
    text = render_config(client_name=name, client_slug="obrien", analysis_date=dt.date(2026, 1, 1))
    assert yaml.safe_load(text)["client"]["name"] == name


def test_template_analysis_sections_are_valid_parameters(tmp_path):
    """templates/engagement.yaml must stay in step with the notebooks' parameter cells."""
    config = write_demo_engagement(tmp_path / "eng")
    raw = yaml.safe_load(config.read_text())
    assert set(raw["analyses"]) == set(ANALYSES)
    load_config(config)  # raises if any template key is not a notebook parameter


def test_engine_defaults_to_duckdb_and_reads_a_spark_cluster(engagement):
    assert load_config(engagement).engine == {"duckdb": {}}
    _edit(engagement, lambda raw: raw.update(engine={"spark": {"master": "spark://10.0.0.5:7077",
                                                               "conf": {"spark.executor.memory": "4g",
                                                                        "spark.sql.adaptive.enabled": True}}}))
    assert load_config(engagement).engine == {"spark": {"master": "spark://10.0.0.5:7077", "conf": {
        "spark.executor.memory": "4g", "spark.sql.adaptive.enabled": "true"}}}
    _edit(engagement, lambda raw: raw.update(engine="spark"))
    assert load_config(engagement).engine == {"spark": {"master": "local[2]", "conf": {}}}


@pytest.mark.parametrize("engine, words", [
    ("sprak", "engine: unknown engine 'sprak'. Did you mean 'spark'?"),
    ({"spark": {"mastr": "local[2]"}}, "engine: spark has no option 'mastr'. Did you mean 'master'?"),
    ({"spark": {"master": "localhost:7077"}}, "engine: spark master 'localhost:7077' is not a Spark master URL. "
                                              "Fix: use \"spark://host:7077\""),
    ({"spark": {"conf": {"executor.memory": "4g"}}}, "engine: spark conf key 'executor.memory' is not a Spark"),
    ({"duckdb": {"threads": 4}}, "engine: duckdb takes no options"),
])
def test_engine_mistakes_name_the_key_and_the_fix(engagement, engine, words):
    _edit(engagement, lambda raw: raw.update(engine=engine))
    text = _problems(engagement)
    assert words in text and "Fix:" in text


def test_engine_override_keeps_the_configured_cluster():
    from cvkit.data.engine import override_engine

    cluster = {"spark": {"master": "spark://h:7077", "conf": {"spark.executor.memory": "1g"}}}
    assert override_engine(cluster, "spark") == cluster
    assert override_engine(cluster, "duckdb") == {"duckdb": {}}
    assert override_engine("duckdb", "spark") == {"spark": {"master": "local[2]", "conf": {}}}
    assert override_engine(cluster, None) == cluster


@pytest.mark.parametrize("master", ["spark://10.0.0.5:7077", "local[4]", "local[*]", "local", "yarn",
                                    "k8s://https://k8s.example:443", "spark://a:7077,b:7077"])
def test_engine_override_takes_a_spark_master_url(master):
    from cvkit.data.engine import override_engine

    cluster = {"spark": {"master": "spark://h:7077", "conf": {"spark.executor.memory": "1g"}}}
    # the run changes where Spark runs, not the config's Spark settings
    assert override_engine(cluster, master) == {"spark": {"master": master, "conf": {"spark.executor.memory": "1g"}}}
    assert override_engine("duckdb", f" {master} ") == {"spark": {"master": master, "conf": {}}}
    assert override_engine(cluster, master)["spark"]["conf"] is not cluster["spark"]["conf"]


@pytest.mark.parametrize("value, words", [
    ("polars", "--engine polars: not an engine or a Spark master URL. Fix: use duckdb, spark"),
    ("sprak", "unknown engine. Did you mean 'spark'?"),
    ("localhost:7077", "Did you mean 'spark://localhost:7077'?"),
    ("spark://host", "spark://host:port, port required"),
    ("local[two]", "local, local[N] or local[*]"),
    ("", "--engine '': not an engine"),
])
def test_engine_override_mistakes_name_the_value_and_the_fix(value, words):
    from cvkit.data.engine import override_engine

    with pytest.raises(ValueError) as err:
        override_engine({"duckdb": {}}, value)
    assert words in str(err.value) and "spark://host:7077, local[4], yarn, k8s://" in str(err.value)


def test_the_engine_reaches_the_notebooks_that_declare_it(engagement, tmp_path):
    from cvkit.engagement.config import OVERVIEW
    from cvkit.engagement.parameters import notebook_parameters
    from cvkit.engagement.runner import _notebook_parameters

    _edit(engagement, lambda raw: raw.update(engine={"spark": {"master": "spark://h:7077"}}))
    cfg = load_config(engagement)
    clv = ANALYSES["clv"]
    params = _notebook_parameters(clv, cfg, tmp_path, {}, notebook_parameters(clv.path))
    assert params["engine"] == {"spark": {"master": "spark://h:7077", "conf": {}}}
    assert "engine" not in _notebook_parameters(OVERVIEW, cfg, tmp_path, {}, {"intake": {}})  # not declared
    _edit(engagement, lambda raw: raw["analyses"]["clv"].update(engine="spark"))  # not an analysis option
    assert "analyses.clv" in _problems(engagement) and "engine" in _problems(engagement)


def test_cvkit_run_refuses_an_unknown_engine(capsys):
    from cvkit.cli import main

    with pytest.raises(SystemExit):
        main(["run", "x", "--engine", "polars"])
    err = capsys.readouterr().err
    assert "argument --engine: 'polars': not an engine or a Spark master URL" in err and "spark://host:7077" in err
    with pytest.raises(SystemExit):
        main(["run", "x", "--engine", "10.0.0.5:7077"])
    assert "Did you mean 'spark://10.0.0.5:7077'?" in capsys.readouterr().err


def test_cvkit_run_passes_a_master_url_to_the_run(monkeypatch):
    from cvkit import cli
    from cvkit.engagement import runner

    seen = {}
    monkeypatch.setattr(runner, "run_engagement", lambda config, **kw: seen.update(kw) or Path("/x"))
    assert cli.main(["run", "x", "--engine", "spark://10.0.0.5:7077"]) == 0
    assert seen["engine"] == "spark://10.0.0.5:7077"


def test_run_engagement_refuses_a_bad_override_before_any_work(engagement):
    # the programmatic API takes the same override as the command line, with the same words
    from cvkit.engagement.runner import RunError, run_engagement

    with pytest.raises(RunError, match="Did you mean 'spark://h:7077'"):
        run_engagement(engagement, engine="h:7077", progress=False, log=lambda m: None)


def test_segmentation_values_customers_at_the_clv_analysis_margin(engagement, tmp_path):
    # One margin: notebook 03 (when it computes CLV itself) gets the CLV analysis's, not its own default.
    from cvkit.engagement.parameters import notebook_parameters
    from cvkit.engagement.runner import _notebook_parameters

    segmentation = ANALYSES["segmentation"]
    declared = notebook_parameters(segmentation.path)
    assert "margin" in declared
    _edit(engagement, lambda raw: raw["analyses"]["clv"].update(margin=0.42))
    params = _notebook_parameters(segmentation, load_config(engagement), tmp_path, {}, declared)
    assert params["margin"] == 0.42


def test_the_engagement_labels_reach_the_notebooks_and_are_checked(engagement, tmp_path):
    from cvkit.engagement.parameters import notebook_parameters
    from cvkit.engagement.runner import _notebook_parameters

    _edit(engagement, lambda raw: raw.update(labels={"fee": "Annual fee", "extras": "Extras included"}))
    cfg = load_config(engagement)
    choice = ANALYSES["discrete_choice"]
    params = _notebook_parameters(choice, cfg, tmp_path, {}, notebook_parameters(choice.path))
    assert params["labels"] == {"fee": "Annual fee", "extras": "Extras included"}
    _edit(engagement, lambda raw: raw.update(labels={"fee": ""}))
    assert "labels.fee" in _problems(engagement) and "1 to 80 characters" in _problems(engagement)
    _edit(engagement, lambda raw: raw.update(labels=["fee"]))
    assert "labels" in _problems(engagement)
    _edit(engagement, lambda raw: (raw.update(labels={}), raw["analyses"]["discrete_choice"].update(labels={"a": "b"})))
    assert "analyses.discrete_choice" in _problems(engagement)  # the engagement's, not an analysis option


def test_one_margin_values_customers_on_every_page(engagement):
    _edit(engagement, lambda raw: raw["analyses"]["segmentation"].update(margin=0.4))
    assert "analyses.segmentation.margin (0.4) differs from the CLV analysis's margin (0.3)" in _problems(engagement)
    _edit(engagement, lambda raw: raw["analyses"]["clv"].update(margin=0.4))
    load_config(engagement)  # the same margin twice: fine
    _edit(engagement, lambda raw: (raw["analyses"]["clv"].update(margin=0.3, enabled=False)))
    load_config(engagement)  # without the CLV analysis the segmentation values customers with its own margin
