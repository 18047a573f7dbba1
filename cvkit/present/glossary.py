"""One glossary of the column names cvkit emits: the label a client reads and how the values read.

Every table a notebook shows or exports goes through :func:`label` and :func:`kind`, so the page,
the workbook and the PDF call a column the same thing (``p_alive`` is "P(active)" everywhere) and
no snake_case reaches a client. A column not listed falls back to rules (suffixes such as ``_pct``,
``_low``/``_high``, ``_share``; the 30 elements of value by their names); ``tests/present`` checks
that every column of a demo run's tables has an entry or a rule.

Kinds: ``text``, ``id`` (kept as written: IDs are text), ``count`` (integer), ``number``,
``money`` (the engagement's currency), ``share`` (a 0..1 fraction shown as a percentage),
``pct`` (already in percent), ``points`` (signed, e.g. NPS), ``bool`` (yes/no), ``date``.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["GLOSSARY", "KINDS", "VALUE_LABELS", "label", "kind", "humanise", "known", "value_label",
           "set_engagement_labels", "words"]

KINDS = ("text", "id", "count", "number", "money", "share", "pct", "points", "bool", "date")

# column | label | kind
_TABLE = """
action|Action|text
acquisition_cost|Acquisition cost|money
admissible|Admissible|bool
aic|AIC|number
algorithm|Algorithm|text
alternatives_per_task|Alternatives per task|count
attractiveness|Attractiveness score|number
attribute|Attribute|text
below_min_base|Below minimum base|bool
beta|Standardised coefficient|number
bic|BIC|number
brand|Brand|text
calinski_harabasz|Calinski-Harabasz index|number
caic|CAIC|number
chi2|Chi-square|number
client|Client|number
clv|CLV|money
clv_3m|CLV, 3 months|money
clv_6m|CLV, 6 months|money
clv_decile|CLV decile|count
clv_mean|CLV per customer|money
clv_per_customer|CLV per customer|money
clv_share|Share of CLV|share
clv_to_cac|CLV to acquisition cost|number
clv_total_sample|CLV of linked customers|money
cohort|Cohort|text
column|Column|text
columns|Columns|count
competitor_performance|Competitor performance|number
converged|Converged|bool
correlation|Correlation|number
count|Count|count
cramers_v|Cramér's V|number
csat_high|CSAT, 95% high|pct
csat_low|CSAT, 95% low|pct
csat_pct|CSAT|pct
customer_id|Customer|id
customer_mae|Mean absolute error per customer|number
customers|Customers|count
customers_share|Share of customers|share
d_error|D-error|number
date_from|From|date
date_to|To|date
description|Description|text
detail|Detail|text
detractors_pct|Detractors|pct
difference|Difference|number
driver|Driver|text
element|Element of value|text
empty_cooccurrence_cells|Level pairs never shown together|count
ess_bulk|Effective sample size (bulk)|count
ess_tail|Effective sample size (tail)|count
estimate|Estimate|number
excluded|Rows excluded|count
expected_purchases|Expected purchases|number
expected_spend|Expected spend per purchase|money
extrapolated|Extrapolated|bool
facts|Facts|text
fee|Fee|money
first_purchase|First purchase|date
flag|Note|text
flags|Notes|text
found|Found|count
frequency|Repeat purchases|count
frequency_mean|Purchases per customer|number
from_level|From level|text
gap|Gap|number
gap_to_best|Gap to best competitor|number
group|Group|text
hedges_g|Hedges' g|number
heterogeneity_sd|Heterogeneity (SD)|number
high|High|number
holdout_actual|Holdout purchases, actual|count
holdout_error|Holdout error|share
holdout_predicted|Holdout purchases, predicted|number
id|ID|text
importance|Importance|number
index|Index (100 = average)|count
item|Item|text
k|Segments (k)|count
kind|Data set|text
label|Label|text
latent_class|Latent class|text
level|Level|text
lifetime_value|Lifetime value|money
linked_customers|Linked customers|count
log_likelihood|Log-likelihood|number
loglik|Log-likelihood|number
low|Low|number
low_base|Below minimum base|bool
low_needs|Weaker needs|text
lower|Low|number
marker|Price marker|text
mean|Mean|number
mean_frequency|Repeat purchases per customer|number
mean_p_alive|Mean P(active)|share
mean_rank|Mean rank|number
mean_rest|Mean of the rest|number
mean_satisfaction|Mean satisfaction|number
mean_T|Customer age, mean|number
mean_total_amount|Spend per customer|money
min_level_balance|Level balance (lowest)|number
missing_from_clv|Not found in CLV|count
model|Model|text
monetary_mean|Spend per purchase|money
monetary_total|Spend, total|money
monetary_value|Spend per repeat purchase|money
n|Base (n)|count
n_classes|Classes|count
n_high|High scores|count
n_params|Parameters|count
n_periods|Occasions observed|count
name|Name|text
next_step|Next step|text
node|Node|text
nps|NPS|points
nps_high|NPS, 95% high|points
nps_low|NPS, 95% low|points
nps_n|NPS base (n)|count
number|Figure|text
order|Order|count
p|p-value|number
p10|10th percentile|number
p90|90th percentile|number
p_adj|Adjusted p-value|number
p_alive|P(active)|share
parameter|Parameter|text
parent|Parent|text
parent_r2|Parent R²|share
pct_of_parent_r2|Share of parent R²|pct
performance|Performance|number
prefers|Prefers|text
price|Price|money
problems|Problems|count
product|Product|text
promoters_pct|Promoters|pct
quadrant|Quadrant|text
quality|Perceived quality|number
quality_se|Perceived quality, SE|number
price_se|Perceived price, SE|number
rank|Rank|count
realised_value|Realised value|money
reason|Reason|text
recency|Recency|number
recency_mean|Days since last purchase|number
recommendation|Recommendation|text
rel_price|Relative price|number
rel_quality|Relative quality|number
relative_weight|Relative weight|share
relative_weight_pct|Relative weight|pct
relative_weight_pct_lower|Relative weight, 95% low|pct
relative_weight_pct_upper|Relative weight, 95% high|pct
repeat_customers|Repeat customers|count
repeat_rate|Repeat rate|share
respondent_id|Respondent|id
respondent_sd|Spread across respondents (SD)|number
respondents|Respondents|count
rhat|R-hat|number
rows|Rows|count
scenario|Scenario|text
sd|SD|number
se|Standard error|number
segment|Segment|text
segment_name|Segment name|text
selected|Selected|bool
sign|Direction|text
significant|Significant|bool
silhouette|Silhouette|number
size_ok|Size acceptable|bool
size_share|Size|share
smallest_class|Smallest class|share
smallest_share|Smallest segment|share
source|Source|text
stability|Stability|number
stability_sd|Stability, SD|number
stable|Stable|bool
status|Status|text
step|Step|count
t|t statistic|number
T|Customer age|number
target|Target|bool
tasks|Tasks|count
tasks_with_dominated_concept|Tasks with a dominated concept|count
text|Finding|text
to_level|To level|text
top_needs|Stronger needs|text
topic|Topic|text
total|Total|number
upgraded_share|Share after upgrade|pct
base_share|Base share|pct
upper|High|number
utility_diff|Utility difference|number
value|Value|money
value_gap|Value gap|number
value_share|Share of value|share
value_tier|Value tier|text
variable|Variable|text
wave|Wave|text
why|Why|text
wtp|Willingness to pay|money
wtp_n|WTP base (n)|count
share|Share|share
share_high|Share rating high|share
share_total|Share of all|share
share_found|Share found|share
share_of_r2_pct|Share of R²|pct
share_of_r2_pct_lower|Share of R², 95% low|pct
share_of_r2_pct_upper|Share of R², 95% high|pct
shapley|Shapley value|number
shapley_mc_se_pct|Shapley sampling error|pct
missing_nps|NPS missing|share
missing_satisfaction|Satisfaction missing|share
missing_overall_value|Overall value missing|share
missing_perceived_quality|Perceived quality missing|share
missing_perceived_price|Perceived price missing|share
overall_value|Overall value|number
perceived_quality|Perceived quality|number
perceived_price|Perceived price|number
satisfaction|Satisfaction|number
csat|CSAT|share
distinct ids|Distinct IDs|count
found in|Found in|text
share found|Share found|share
data set|Data set|text
share (%)|Share|pct
profit per customer|Profit per customer|money
vs base profit per customer|Profit vs base, per customer|money
class_1|Class 1|share
class_2|Class 2|share
class_3|Class 3|share
setting|Setting|text
campaign_id|Campaign|id
covariate|Covariate|text
mean_contacted|Mean, contacted|number
mean_control|Mean, control group|number
std_difference|Standardised difference|number
balanced|Balanced|bool
source_code|Source code|text
channel|Channel|text
contacted|Contacted|count
control|Control group|count
responders_contacted|Responders, contacted|count
responders_control|Responders, control group|count
cost|Cost|money
rate_contacted|Response rate, contacted|share
rate_control|Response rate, control group|share
lift_pp|Lift (percentage points)|points
lift|Lift (percentage points)|points
relative_lift|Relative lift|share
incremental_responders|Incremental responders|number
incremental_revenue|Incremental revenue|money
incremental_margin|Incremental margin|money
net_value|Net value|money
roi|Return on investment (times the cost)|number
cost_per_incremental_response|Cost per incremental response|money
p_value|p-value|number
p_adjusted|Adjusted p-value|number
base_rate|Base response rate|share
revenue_per_response|Revenue per response|money
cost_per_contact|Cost per contact|money
break_even_pp|Break-even lift (percentage points)|points
mde_pp|Minimum detectable lift (percentage points)|points
detect_pp|Lift to detect (percentage points)|points
control_needed|Control group needed|count
contact_date|Contact date|date
window_days|Response window (days)|count
control_share|Control group share|share
net_per_contact|Net value per contact|money
advice|Advice|text
qini_coefficient|Qini coefficient|number
top_vs_rest_pp|Top vs rest (percentage points)|points
note|Note|text
delivery|Delivery|text
returns|Returns|text
extras|Extras|text
none|None option|number
revenue|Revenue|money
profit|Profit|money
actual_share|Subscribers still active (actual)|share
fitted_share|Subscribers still active (fitted)|share
actual_retention|Retention rate (actual)|share
fitted_retention|Retention rate (fitted)|share
periods_observed|Billing periods observed|count
sbg_alpha|Churn heterogeneity α (sBG)|number
sbg_alpha_se|Churn heterogeneity α (sBG), SE|number
sbg_beta|Churn heterogeneity β (sBG)|number
sbg_beta_se|Churn heterogeneity β (sBG), SE|number
mean_churn|Mean churn per billing period|share
median_lifetime|Median lifetime (billing periods)|number
discounted_lifetime|Discounted expected lifetime (billing periods)|number
residual_value|Residual value of active subscribers|money
per_active|Residual value per active subscriber|money
items_appealing|Appealing items per respondent (mean)|number
n_both|Rated both (n)|count
n_a|Rated brand A (n)|count
n_b|Rated brand B (n)|count
brand_a|Brand A|text
brand_b|Brand B|text
ci_low|95% interval, low|number
ci_high|95% interval, high|number
"""

GLOSSARY: dict[str, tuple[str, str]] = {}
for _line in _TABLE.strip().splitlines():
    _name, _label, _kind = _line.split("|")
    GLOSSARY[_name] = (_label, _kind)

# Codes that appear as cell values (model names, method codes) and how a client reads them.
VALUE_LABELS = {
    "bg_nbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "mbg_nbd": "MBG/NBD", "gamma_gamma": "Gamma-Gamma",
    "bg_bb": "BG/BB", "sbg": "sBG", "hb": "Hierarchical Bayes", "mnl": "Multinomial logit",
    "latent_class": "Latent class", "lc": "Latent class", "kmeans": "k-means", "gmm": "Gaussian mixture",
    "lca": "Latent class", "True": "yes", "False": "no",
}

_SUFFIXES = (  # (suffix, label pattern, kind or None to keep the base column's kind)
    ("_pct_lower", "{}, 95% low", "pct"), ("_pct_upper", "{}, 95% high", "pct"), ("_pct", "{}", "pct"),
    ("_low", "{}, 95% low", None), ("_high", "{}, 95% high", None), ("_lower", "{}, low", None),
    ("_upper", "{}, high", None), ("_se", "{}, SE", None), ("_share", "{}, share", "share"),
    ("_median", "{}, median", None), ("_mean", "{}, mean", None), ("_total", "{}, total", None),
    ("_n", "{}, base (n)", "count"),
)
_ACRONYMS = {"clv": "CLV", "nps": "NPS", "csat": "CSAT", "wtp": "WTP", "aic": "AIC", "bic": "BIC", "se": "SE",
             "sd": "SD", "id": "ID", "ids": "IDs", "rfm": "RFM", "cac": "CAC", "eve": "EVE", "r2": "R²",
             "hb": "HB", "mnl": "MNL", "ci": "CI", "p": "p"}


@lru_cache(maxsize=1)
def _elements() -> dict[str, str]:
    """The 30 elements of value: slug -> name (``saves_time`` -> ``Saves time``)."""
    try:
        from cvkit.resources import load_elements

        table = load_elements()
    except Exception:  # noqa: BLE001 - labels still fall back to humanise()
        return {}
    slug = "slug" if "slug" in table.columns else table.columns[0]
    name = "name" if "name" in table.columns else table.columns[1]
    return dict(zip(table[slug].astype(str), table[name].astype(str)))


def humanise(name: str) -> str:
    """A readable label for an unlisted identifier: ``p_alive`` -> ``P alive``, ``wtp_n`` -> ``WTP n``.

    ``attribute.level`` (a conjoint level column) reads ``Attribute: level``.
    """
    text = str(name)
    if "." in text and not re.search(r"\d\.\d", text):
        head, _, tail = text.partition(".")
        return f"{humanise(head)}: {humanise(tail).lower() if not tail[:1].isupper() else humanise(tail)}"
    words = [w for w in re.split(r"[_\s]+", text.strip()) if w]
    if not words:
        return text
    out = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    out[0] = first if first in _ACRONYMS.values() or not first[:1].islower() else first[:1].upper() + first[1:]
    return " ".join(out)


# The engagement's own words for its codes (``labels:`` in engagement.yaml, set by
# :func:`cvkit.present.configure`): a client's attribute ``pf`` reads "Fixed price" on every page.
_ENGAGEMENT_LABELS: dict[str, str] = {}


def set_engagement_labels(labels: dict[str, str] | None) -> None:
    """Use ``labels`` (code -> words) before the glossary, for column names and cell values alike."""
    _ENGAGEMENT_LABELS.clear()
    _ENGAGEMENT_LABELS.update({str(k): str(v) for k, v in (labels or {}).items()})


def words(code: object) -> str:
    """The engagement's words for a code of the client's data, or the code itself when it has none."""
    return _ENGAGEMENT_LABELS.get(str(code), str(code))


def _lookup(name: str) -> tuple[str, str | None] | None:
    if name in _ENGAGEMENT_LABELS:
        return _ENGAGEMENT_LABELS[name], (GLOSSARY[name][1] if name in GLOSSARY else None)
    if name in GLOSSARY:
        return GLOSSARY[name]
    elements = _elements()
    if name in elements:
        return elements[name], "number"
    if name.startswith("imp_") and name[4:] in elements:
        return f"Importance: {elements[name[4:]]}", "number"
    if name.startswith("index_"):
        return f"Index, {humanise(name[6:])}", "count"
    if name.startswith("wtp_") and name.endswith("_median"):
        return f"WTP, {humanise(name[4:-7])} (median)", "money"
    for suffix, pattern, suffix_kind in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = _lookup(name[: -len(suffix)])
            if base is not None:
                return pattern.format(base[0]), suffix_kind or base[1]
    return None


def known(name: str) -> bool:
    """Whether the glossary (or one of its rules) names this column, or the column is named by the data.

    Columns named by the client's data (a brand, ``6 months``, a segment number, ``attribute.level``) are
    shown as they are or humanised; only snake_case identifiers need a glossary entry.
    """
    name = str(name)
    if _lookup(name) is not None:
        return True
    return not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", name.split(".")[0]) or "." in name


def label(name: str) -> str:
    """The client-facing label of a column name."""
    found = _lookup(str(name))
    return found[0] if found else humanise(str(name))


def kind(name: str) -> str | None:
    """The kind of a column's values, or None when the glossary does not say (decided from the data)."""
    found = _lookup(str(name))
    return found[1] if found else None


def value_label(value: object) -> object:
    """A cell value as a client reads it: method codes and snake_case words made readable."""
    if not isinstance(value, str):
        return value
    if value in _ENGAGEMENT_LABELS:
        return _ENGAGEMENT_LABELS[value]
    if value in VALUE_LABELS:
        return VALUE_LABELS[value]
    if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", value) or re.fullmatch(r"[a-z][a-z0-9_]*\.[A-Za-z0-9_]+", value):
        return humanise(value)
    return value
