"""Fuzzed engagement configs and notebook parameters: a valid result or the package's own error.

- random YAML documents, random text and mutations of a valid config (unknown keys, wrong types at
  every key) end in :class:`ConfigError` naming the key, never in another exception;
- YAML tags that would build Python objects are refused (safe loading), nothing is executed;
- data paths that escape the engagement folder (``..``, symlinks) are refused;
- notebook parameters of the wrong type or unknown names end in :class:`ParameterError`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cvkit.engagement.config import ConfigError, Engagement, load_config
from cvkit.engagement.notebook import ParameterError, check_parameters
from cvkit.engagement.parameters import notebook_parameters
from cvkit.data.privacy import PrivacyOptions
from tests.reliability.conftest import FIGURES, FUZZ
from tests.reliability.engagements import small_clv_engagement

_scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
            | st.text(max_size=20) | st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@pytest.fixture(scope="module")
def base_engagement(tmp_path_factory) -> Path:
    return small_clv_engagement(tmp_path_factory.mktemp("cfg") / "eng", customers=5)


def _load_or_config_error(path: Path) -> Engagement | ConfigError:
    FIGURES["fuzzed_configs"] += 1
    try:
        return load_config(path)
    except ConfigError as err:
        assert str(path.name) in str(err) and err.problems
        return err


@FUZZ
@given(doc=_values)
def test_random_yaml_documents_end_in_a_config_error(base_engagement, doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "engagement.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        assert isinstance(_load_or_config_error(path), ConfigError)


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text_ends_in_a_config_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "engagement.yaml"
        path.write_text(text, encoding="utf-8")
        assert isinstance(_load_or_config_error(path), ConfigError)


def _paths(raw, prefix=()):
    """Every key path of a nested mapping."""
    for key, value in raw.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from _paths(value, (*prefix, key))


@FUZZ
@given(data=st.data())
def test_mutated_config_is_loaded_as_written_or_names_the_key(base_engagement, data):
    raw = yaml.safe_load(base_engagement.read_text())
    paths = list(_paths(raw))
    where = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["value", "unknown_key"]))
    parent = raw
    for part in where[:-1]:
        parent = parent[part]
    if action == "value":
        new = data.draw(_values)
        parent[where[-1]] = new
        named = ".".join(where)
    else:
        key = data.draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
        target = parent[where[-1]] if isinstance(parent[where[-1]], dict) else parent
        if key in target:
            return
        target[key] = data.draw(_values)
        named = key
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(base_engagement.parent / "data", Path(tmp) / "data")
        path = Path(tmp) / "engagement.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        result = _load_or_config_error(path)
        if isinstance(result, ConfigError):
            assert named.split(".")[0] in str(result) or where[0] in str(result), str(result)
            return
        # Loaded: what the file says is what the run uses (no silent defaults for a given key).
        if action == "value" and where[0] == "client" and len(where) == 2:
            assert getattr(result.client, where[1]) == parent[where[1]]
        if action == "value" and where == ("seed",):
            assert result.seed == parent["seed"] and isinstance(parent["seed"], int)
        if action == "value" and len(where) == 3 and where[0] == "analyses" and where[2] != "enabled":
            assert result.analysis_parameters(where[1])[where[2]] == parent[where[2]] or \
                isinstance(parent[where[2]], dt.date)


@pytest.mark.parametrize("payload", [
    "!!python/object/apply:os.system ['touch {canary}']",
    "!!python/object/new:subprocess.Popen [['touch', '{canary}']]",
    "!!python/name:os.system",
    "&a [*a, *a]",
])
def test_yaml_tags_are_not_executed(tmp_path, base_engagement, payload):
    canary = tmp_path / "EXECUTED"
    shutil.copytree(base_engagement.parent / "data", tmp_path / "data")
    text = base_engagement.read_text().replace("name: Small Client", "name: " + payload.format(canary=canary))
    (tmp_path / "engagement.yaml").write_text(text)
    FIGURES["fuzzed_configs"] += 1
    with pytest.raises(ConfigError):
        load_config(tmp_path / "engagement.yaml")
    assert not canary.exists()


def test_data_paths_outside_the_engagement_folder_are_refused(tmp_path, base_engagement):
    other = tmp_path / "other-client"
    shutil.copytree(base_engagement.parent, other)
    eng = tmp_path / "eng"
    shutil.copytree(base_engagement.parent, eng)
    raw = yaml.safe_load((eng / "engagement.yaml").read_text())
    raw["data"]["transactions"] = "../other-client/data/transactions.csv"
    (eng / "engagement.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"data.transactions: '../other-client/data/transactions.csv' is "
                                          r"outside the engagement folder"):
        load_config(eng / "engagement.yaml")
    # A symlink inside the folder counts where it points to.
    (eng / "data" / "transactions.csv").unlink()
    os.symlink(other / "data" / "transactions.csv", eng / "data" / "transactions.csv")
    raw["data"]["transactions"] = "data/transactions.csv"
    (eng / "engagement.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="outside the engagement folder .* resolves to .*other-client"):
        load_config(eng / "engagement.yaml")
    # A symlink that stays inside the folder is fine.
    (eng / "data" / "transactions.csv").unlink()
    shutil.copy(other / "data" / "transactions.csv", eng / "data" / "real.csv")
    os.symlink(eng / "data" / "real.csv", eng / "data" / "transactions.csv")
    assert load_config(eng / "engagement.yaml").data_path("transactions") == (eng / "data" / "real.csv").resolve()
    FIGURES["fuzzed_configs"] += 3


@pytest.mark.parametrize("bad, message", [
    ({"pseudonymise_ids": "yes please"}, "privacy.pseudonymise_ids"),
    ({"key": "s3cret-in-the-config"}, "privacy.key: unknown key"),
    ({"key_env": "NOT VALID"}, "privacy.key_env"),
    ({"allow_personal_columns": "email"}, "privacy.allow_personal_columns"),
])
def test_privacy_section_is_checked(tmp_path, base_engagement, bad, message):
    shutil.copytree(base_engagement.parent / "data", tmp_path / "data")
    raw = yaml.safe_load(base_engagement.read_text())
    raw["privacy"] = bad
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(raw))
    FIGURES["fuzzed_configs"] += 1
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path / "engagement.yaml")
    assert PrivacyOptions().pseudonymise_ids is False


_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "04_customer_lifetime_value.ipynb"
_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@FUZZ
@given(data=st.data())
def test_notebook_parameters_are_validated_or_refused(data):
    declared = notebook_parameters(_NOTEBOOK)
    namespace = {"__annotations__": {n: _TYPES[p.type] for n, p in declared.items()}}
    namespace.update({n: p.default for n, p in declared.items()})
    name = data.draw(st.sampled_from([*declared, "unknown_param", "horizon_month"]))
    value = data.draw(_values)
    namespace[name] = value
    FIGURES["fuzzed_notebook_parameters"] += 1
    try:
        checked = check_parameters(namespace)
    except ParameterError as err:
        assert f"'{name}'" in str(err)
        return
    assert name in declared
    expected = _TYPES[declared[name].type]
    # Accepted only when the value is of the declared type (or losslessly convertible to it).
    got = checked[name]
    assert isinstance(got, expected)
    if expected in (str, list, dict, bool):
        assert got == value or (expected is list and list(value) == got)
