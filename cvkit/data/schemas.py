"""Schemas of the engagement's data sets: canonical columns, types and ranges.

The canonical names are the ones in CONTRIBUTING.md ("Data sets"); a client's
files may use other names, mapped per data set with ``columns`` (in
``engagement.yaml``: ``data.<kind>.columns``). ``templates/data/README.md`` is
the analyst-facing data dictionary generated from the same facts; a test checks
that the two agree.

Column types
------------
``id``
    Identifier, kept as text (pandas ``str`` dtype) so ``00123`` stays ``00123``.
``str``
    Free text (pandas ``str`` dtype), surrounding blanks stripped.
``category``
    A small set of labels (pandas ``category`` dtype).
``date``
    Calendar date, ISO 8601 ``YYYY-MM-DD`` unless a ``date_format`` is given;
    stored as ``datetime64``.
``float``
    Number (``float64``); decimal point ``.`` unless ``decimal``/``thousands``
    are set for the file.
``int``
    Whole number (nullable ``Int64``), e.g. a 0-10 rating.
``bool``
    Flag written ``0``/``1`` (also ``true``/``false``, ``yes``/``no``);
    stored as ``bool``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from cvkit.resources import load_elements

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Column", "Schema", "SCHEMAS", "DATA_KINDS", "ColumnType", "element_slugs"]

ColumnType = Literal["id", "str", "category", "date", "float", "int", "bool"]


@dataclass(frozen=True)
class Column:
    """One canonical column of a data set.

    Parameters
    ----------
    name : str
        Canonical column name.
    dtype : {"id", "str", "category", "date", "float", "int", "bool"}
        Logical type (see the module docstring for the pandas dtype of each).
    required : bool
        Whether the file must have the column. An optional column that is
        absent is added filled with missing values, so analyses can rely on it.
    nullable : bool
        Whether individual cells may be empty (e.g. a skipped survey question).
        A non-nullable column with empty cells is a "missing values" problem.
    min, max : float, optional
        Allowed range, inclusive.
    range_check : {"out_of_range", "negative_amounts"}
        Which :class:`~cvkit.data.IntakePolicy` field governs values outside
        the range.
    unit : str
        Unit of the values, for the data dictionary ("" when none).
    example : str
        An example value as it would be written in the file.
    description : str
        What the column means.
    """

    name: str
    dtype: ColumnType
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    range_check: Literal["out_of_range", "negative_amounts"] = "out_of_range"
    unit: str = ""
    example: str = ""
    description: str = ""

    @property
    def range_text(self) -> str:
        """The allowed range in words, e.g. ``"0 to 10"`` or ``">= 0"`` ("" if unbounded)."""
        lo, hi = self.min, self.max
        fmt = (lambda v: f"{v:g}")
        if lo is not None and hi is not None:
            return f"{fmt(lo)} to {fmt(hi)}"
        if lo is not None:
            return f">= {fmt(lo)}"
        if hi is not None:
            return f"<= {fmt(hi)}"
        return ""


@dataclass(frozen=True)
class Schema:
    """The expected shape of one data set (one ``kind``).

    Parameters
    ----------
    kind : str
        Data set name: ``customers``, ``transactions``, ``survey``, ``needs``,
        ``choice`` or ``utilities``.
    one_row_per : str
        What a row is, in words.
    columns : tuple of Column
        The fixed columns, in canonical order.
    key : tuple of str
        Columns that together identify a row (duplicates are a problem); an
        empty tuple means no key (then only fully identical rows are duplicates).
    group : tuple of Column
        A family of columns of which each is optional but at least one must be
        present (survey element ratings, needs importances).
    group_label : str
        Name of that family in messages ("element-of-value rating columns").
    free : {"attributes", "levels"} or None
        Whether any column outside ``columns`` is kept as a free column:
        conjoint attributes (numeric or text) or utility levels (numeric).
    date_column : str or None
        The column whose range the intake summary reports.
    used_by : tuple of str
        Analyses (notebooks) that read the data set.
    """

    kind: str
    one_row_per: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    group: tuple[Column, ...] = ()
    group_label: str = ""
    free: Literal["attributes", "levels"] | None = None
    date_column: str | None = None
    used_by: tuple[str, ...] = ()
    description: str = ""

    @property
    def names(self) -> list[str]:
        """All canonical column names: fixed columns, then the group."""
        return [c.name for c in self.columns] + [c.name for c in self.group]

    @property
    def required(self) -> list[str]:
        """Names of the required fixed columns."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The :class:`Column` called ``name`` (fixed or group column).

        Raises
        ------
        KeyError
            If the schema has no such column.
        """
        for c in self.columns + self.group:
            if c.name == name:
                return c
        raise KeyError(f"data set '{self.kind}' has no column '{name}'")


@lru_cache(maxsize=1)
def element_slugs() -> tuple[str, ...]:
    """The 30 element-of-value slugs, in pyramid order (``templates/elements_of_value.csv``)."""
    return tuple(load_elements().sort_values("order")["element"])


def _rating(name: str, description: str, lo: int = 0, hi: int = 10, required: bool = True,
            example: str = "8") -> Column:
    # Ratings may be skipped by a respondent, so cells are nullable; a column
    # that is entirely empty is still reported (see load's all-missing check).
    return Column(name, "int", required=required, nullable=True, min=lo, max=hi,
                  unit=f"{lo}-{hi} scale", example=example, description=description)


def _build() -> dict[str, Schema]:
    """Every data set's schema, by kind (the elements-of-value catalogue supplies the rating groups)."""
    slugs = element_slugs()
    elements = load_elements().set_index("element")
    return {s.kind: s for s in (_customers(), _transactions(), _survey(slugs, elements), _needs(slugs, elements),
                                _choice(), _utilities(), *_campaign_schemas(), _subscriptions(), _maxdiff())}


def _customers() -> Schema:
    """The customers data set: the client's CRM extract, one row per customer."""
    return Schema(
        kind="customers",
        one_row_per="customer",
        description="The client's customer base (CRM extract): one row per customer.",
        columns=(
            Column("customer_id", "id", example="C000123",
                   description="Customer identifier, unique; the key transactions and survey link to."),
            Column("acquisition_date", "date", example="2024-03-15",
                   description="Date the customer was acquired (first purchase or sign-up)."),
            Column("channel", "category", required=False, nullable=True, example="online",
                   description="Acquisition channel (e.g. online, store, referral)."),
            Column("acquisition_cost", "float", required=False, nullable=True, min=0,
                   range_check="negative_amounts", unit="currency", example="35.50",
                   description="Cost of acquiring the customer, in the engagement currency."),
            Column("region", "category", required=False, nullable=True, example="North",
                   description="Geographic region."),
            Column("age_band", "category", required=False, nullable=True, example="25-34",
                   description="Age band of the customer."),
        ),
        key=("customer_id",),
        date_column="acquisition_date",
        used_by=("00_engagement_overview", "03_segmentation", "04_customer_lifetime_value"),
    )


def _transactions() -> Schema:
    """The transactions data set: the purchase log, one row per purchase."""
    return Schema(
        kind="transactions",
        one_row_per="purchase",
        description="Purchase log: one row per purchase (order), all customers, ideally 2+ years.",
        columns=(
            Column("transaction_id", "id", required=False, nullable=True, example="T0000001",
                   description="Purchase identifier, unique when given (optional)."),
            Column("customer_id", "id", example="C000123",
                   description="Who bought; must exist in customers when a customers file is given."),
            Column("date", "date", example="2025-06-01", description="Purchase date."),
            Column("amount", "float", min=0, range_check="negative_amounts", unit="currency",
                   example="42.90",
                   description="Purchase value in the engagement currency (net of returns, >= 0)."),
        ),
        key=("transaction_id",),
        date_column="date",
        used_by=("00_engagement_overview", "03_segmentation", "04_customer_lifetime_value"),
    )


def _survey(slugs: list[str], elements: pd.DataFrame) -> Schema:
    """The survey data set: brand ratings, one row per respondent and brand (elements of value as a group)."""
    return Schema(
        kind="survey",
        one_row_per="respondent x brand rated",
        description=("Brand survey: each respondent rates the client and competitors; one row per "
                     "respondent and brand."),
        columns=(
            Column("respondent_id", "id", example="R00042", description="Survey respondent identifier."),
            Column("customer_id", "id", required=False, nullable=True, example="C000123",
                   description="Link to customers (optional; empty for non-customers)."),
            Column("brand", "str", example="Demo Retail", description="Brand being rated."),
            _rating("nps", "Likelihood to recommend the brand (0-10), the NPS question."),
            _rating("satisfaction", "Overall satisfaction with the brand (1-10).", lo=1, example="7"),
            _rating("overall_value", "Overall value for money (0-10).", required=False),
            _rating("perceived_quality", "Perceived quality (0-10).", required=False),
            _rating("perceived_price", "Perceived price level (0-10, 10 = very expensive).",
                    required=False, example="6"),
            Column("wave", "str", required=False, nullable=True, example="2026-Q2",
                   description="Survey wave label (optional, for tracking studies)."),
        ),
        key=("respondent_id", "brand"),
        group=tuple(
            _rating(s, f"Agreement (0-10): {elements.loc[s, 'survey_wording']}", required=False)
            for s in slugs
        ),
        group_label="element-of-value rating columns (e.g. saves_time)",
        used_by=("00_engagement_overview", "01_value_drivers", "03_segmentation"),
    )


def _needs(slugs: list[str], elements: pd.DataFrame) -> Schema:
    """The needs data set: importance of each element of value, one row per respondent."""
    return Schema(
        kind="needs",
        one_row_per="respondent",
        description="Needs survey: how important each element of value is to the respondent.",
        columns=(
            Column("respondent_id", "id", example="R00042", description="Survey respondent identifier."),
        ),
        key=("respondent_id",),
        group=tuple(
            _rating(f"imp_{s}", f"Importance (0-10) of '{elements.loc[s, 'name']}' to the respondent.",
                    required=False)
            for s in slugs
        ),
        group_label="importance columns imp_<element> (e.g. imp_saves_time)",
        used_by=("03_segmentation",),
    )


def _choice() -> Schema:
    """The choice data set: conjoint responses in long format (attribute columns free)."""
    return Schema(
        kind="choice",
        one_row_per="respondent x task x alternative",
        description=("Choice-based conjoint responses in long format: one row per alternative shown "
                     "in each task, attribute columns free (any other column is an attribute)."),
        columns=(
            Column("respondent_id", "id", example="R00042", description="Conjoint respondent identifier."),
            Column("task", "int", required=False, min=0, example="3",
                   description=("Choice task number (1, 2, ...); optional when every respondent answered "
                                "one task (then 1).")),
            Column("alternative", "id", example="2",
                   description=("Alternative within the task: a number (1, 2, ...; the none row included) or "
                                "the label of a labelled alternative (train, car, ...).")),
            Column("none", "bool", required=False, example="0",
                   description=("1 for the 'none of these' alternative (its attribute cells are empty), "
                                "else 0; optional when the design has no none option.")),
            Column("chosen", "bool", example="1",
                   description="1 for the alternative the respondent chose, else 0; exactly one per task."),
        ),
        key=("respondent_id", "task", "alternative"),
        free="attributes",
        used_by=("02_discrete_choice", "03_segmentation"),
    )


def _utilities() -> Schema:
    """The utilities data set: respondent part-worths from another tool (level columns free)."""
    return Schema(
        kind="utilities",
        one_row_per="respondent",
        description=("Respondent-level part-worths estimated elsewhere (e.g. a Sawtooth HB export): "
                     "one numeric column per attribute level named <attribute>.<level>, a single "
                     "column for a linear attribute (e.g. fee), optional none."),
        columns=(
            Column("respondent_id", "id", example="R00042", description="Conjoint respondent identifier."),
            Column("none", "float", required=False, nullable=True, example="-2.4",
                   description="Utility of the none alternative (optional)."),
        ),
        key=("respondent_id",),
        free="levels",
        used_by=("02_discrete_choice", "03_segmentation"),
    )


def _campaign_schemas() -> tuple[Schema, Schema]:
    campaigns = Schema(
        kind="campaigns",
        one_row_per="customer x campaign",
        description=("Campaign contact history with control groups: one row per customer selected for a "
                     "campaign, contacted (treatment) or held out (control)."),
        columns=(
            Column("customer_id", "id", example="C000123", description="Customer selected for the campaign."),
            Column("campaign_id", "id", example="C01", description="Campaign identifier."),
            Column("source_code", "str", required=False, nullable=True, example="EM-SPRING-25",
                   description="Source code the contact carried (key code, promo code), for attribution."),
            Column("group", "category", example="treatment",
                   description=("treatment (contacted) or control (selected, deliberately not contacted); "
                                "contacted/holdout and 1/0 are read too.")),
            Column("contact_date", "date", example="2025-04-01", description="Date of the contact (or of the "
                   "hold-out decision for the control group); the response window starts here."),
            Column("channel", "category", required=False, nullable=True, example="email",
                   description="Contact channel (email, direct mail, sms, ...)."),
            Column("contact_cost", "float", required=False, nullable=True, min=0, range_check="negative_amounts",
                   unit="currency", example="0.85",
                   description="Cost of contacting this customer (0 or empty for the control group)."),
            Column("response_window_days", "int", required=False, nullable=True, min=1, unit="days", example="30",
                   description="Days after the contact in which a purchase counts as a response (optional; the "
                               "analysis's response_window_days otherwise)."),
        ),
        key=("campaign_id", "customer_id"),
        date_column="contact_date",
        used_by=("06_campaign_response",),
    )
    responses = Schema(
        kind="responses",
        one_row_per="attributed response",
        description=("Responses already attributed to a campaign (orders with the campaign's source code); "
                     "optional: without it a response is any purchase in the response window."),
        columns=(
            Column("customer_id", "id", example="C000123", description="Responding customer."),
            Column("campaign_id", "id", example="C01", description="Campaign the response is attributed to."),
            Column("date", "date", required=False, nullable=True, example="2025-04-12",
                   description="Response date; responses outside the window are not counted (optional)."),
            Column("amount", "float", required=False, nullable=True, min=0, range_check="negative_amounts",
                   unit="currency", example="42.90", description="Response revenue (optional)."),
        ),
        date_column="date",
        used_by=("06_campaign_response",),
    )
    return campaigns, responses


def _subscriptions() -> Schema:
    return Schema(
        kind="subscriptions",
        one_row_per="subscription",
        description=("Contracts of a subscription business: one row per subscription, with its start and, "
                     "once cancelled, its end (contractual CLV: analyses.clv.setting: contractual)."),
        columns=(
            Column("customer_id", "id", example="C000123", description="Subscriber."),
            Column("subscription_id", "id", required=False, nullable=True, example="S0001",
                   description="Subscription identifier (optional; unique when given)."),
            Column("start_date", "date", example="2024-01-01", description="Start of the contract."),
            Column("end_date", "date", required=False, nullable=True, example="2025-03-31",
                   description="Cancellation or end date; empty while the subscription is active."),
            Column("plan", "category", required=False, nullable=True, example="standard",
                   description="Plan or tier (optional)."),
            Column("price", "float", required=False, nullable=True, min=0, range_check="negative_amounts",
                   unit="currency", example="9.99", description="Price per billing period (optional)."),
            Column("billing_period", "category", required=False, nullable=True, example="month",
                   description="Billing period: month, quarter or year (optional; month when empty)."),
        ),
        key=("subscription_id",),
        date_column="start_date",
        used_by=("04_customer_lifetime_value",),
    )


def _maxdiff() -> Schema:
    return Schema(
        kind="maxdiff",
        one_row_per="respondent x task x item shown",
        description=("MaxDiff (best-worst scaling) answers in long format: one row per item shown in each "
                     "task, the most important marked best = 1 and the least important worst = 1. Items "
                     "are free text; for the elements of value use the element slugs (e.g. saves_time) "
                     "so notebook 01 ranks the elements from the MaxDiff."),
        columns=(
            Column("respondent_id", "id", example="R00042", description="MaxDiff respondent identifier."),
            Column("version", "int", required=False, nullable=True, min=1, example="3",
                   description="Questionnaire version of the design (optional)."),
            Column("task", "int", min=0, example="5", description="MaxDiff task number (1, 2, ...)."),
            Column("item", "str", example="saves_time", description="Item shown in the task."),
            Column("best", "bool", example="0",
                   description="1 for the item chosen as most important in the task, else 0; exactly one per task."),
            Column("worst", "bool", example="1",
                   description="1 for the item chosen as least important in the task, else 0; exactly one per task."),
        ),
        key=("respondent_id", "task", "item"),
        used_by=("01_value_drivers", "03_segmentation"),
    )


SCHEMAS: dict[str, Schema] = _build()

DATA_KINDS: tuple[str, ...] = tuple(SCHEMAS)
"""Every kind of data set an engagement can have, in the order the config and the deliverable list them."""
"""The schema of each data set, by kind."""

