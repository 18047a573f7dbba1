"""Schemas match CONTRIBUTING.md and the committed templates/data match the schemas."""

from __future__ import annotations

import pytest

from cvkit.data import SCHEMAS, Column, Schema, element_slugs, load
from cvkit.data.templates import data_dictionary, template_columns, write_templates
from cvkit.resources import load_elements, templates_dir


def test_kinds_and_canonical_columns():
    assert list(SCHEMAS) == ["customers", "transactions", "survey", "needs", "choice", "utilities", "campaigns",
                            "responses", "subscriptions", "maxdiff"]
    assert [c.name for c in SCHEMAS["customers"].columns] == [
        "customer_id", "acquisition_date", "channel", "acquisition_cost", "region", "age_band"]
    assert [c.name for c in SCHEMAS["transactions"].columns] == [
        "transaction_id", "customer_id", "date", "amount"]
    assert SCHEMAS["transactions"].required == ["customer_id", "date", "amount"]
    assert SCHEMAS["survey"].required == ["respondent_id", "brand", "nps", "satisfaction"]
    assert [c.name for c in SCHEMAS["choice"].columns] == [
        "respondent_id", "task", "alternative", "none", "chosen"]
    assert SCHEMAS["maxdiff"].required == ["respondent_id", "task", "item", "best", "worst"]


def test_element_columns_come_from_the_catalogue():
    slugs = list(load_elements()["element"])
    assert len(slugs) == 30 and list(element_slugs()) == slugs
    assert [c.name for c in SCHEMAS["survey"].group] == slugs
    assert [c.name for c in SCHEMAS["needs"].group] == [f"imp_{s}" for s in slugs]
    assert all(not c.required and c.min == 0 and c.max == 10 for c in SCHEMAS["survey"].group)


def test_ranges():
    survey = SCHEMAS["survey"]
    assert (survey.column("nps").min, survey.column("nps").max) == (0, 10)
    assert (survey.column("satisfaction").min, survey.column("satisfaction").max) == (1, 10)
    amount = SCHEMAS["transactions"].column("amount")
    assert amount.min == 0 and amount.max is None and amount.range_check == "negative_amounts"
    assert amount.range_text == ">= 0"
    with pytest.raises(KeyError, match="no column 'amout'"):
        SCHEMAS["transactions"].column("amout")


def test_schema_objects_are_frozen():
    assert isinstance(SCHEMAS["needs"], Schema) and isinstance(SCHEMAS["needs"].columns[0], Column)
    with pytest.raises(AttributeError):
        SCHEMAS["needs"].kind = "x"  # type: ignore[misc]


def test_committed_templates_are_up_to_date(tmp_path):
    fresh = write_templates(tmp_path)
    committed = templates_dir() / "data"
    for path in fresh:
        assert (committed / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"templates/data/{path.name} is stale: run "
            "`python -c \"from cvkit.data.templates import write_templates; write_templates('templates/data')\"`")


def test_choice_template_has_demo_attributes():
    assert template_columns("choice") == ["respondent_id", "task", "alternative", "delivery", "returns",
                                          "extras", "fee", "none", "chosen"]
    assert "delivery.same_day" in template_columns("utilities")


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_header_only_template_is_recognised(kind):
    # The header matches the schema: the only complaint is that there are no rows.
    from cvkit.data import DataError

    with pytest.raises(DataError, match="header but no data rows"):
        load(kind, templates_dir() / "data" / f"{kind}.csv")


def test_dictionary_documents_every_column_and_policy_option():
    text = data_dictionary()
    for schema in SCHEMAS.values():
        assert f"## `{schema.kind}`" in text
        for name in schema.names:
            assert f"| `{name}` |" in text
    for option in ("missing_values", "orphan_ids", "duplicate_rows", "invalid_choice_tasks"):
        assert f"| `{option}` |" in text
    assert "01_value_drivers" in text and "EUR" in text
