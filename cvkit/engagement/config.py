"""The engagement config (``engagement.yaml``): schema, loading and validation.

An engagement is a folder with ``engagement.yaml`` and its data files. The
config names the client, the data files (relative to the config), the intake
policy and, per analysis, whether it runs and with which parameters. Analysis
parameters are checked against the analysis notebook's own ``parameters``
cell, so the notebook stays the single source of truth.

Every problem is reported at once, each naming the key, the value and the fix.
"""

from __future__ import annotations

import datetime as dt
import difflib
import glob as _glob
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from cvkit.data import FileSpec, IntakePolicy, limits
from cvkit.data.engine import parse_engine
from cvkit.data.stream import is_glob
from cvkit.data.schemas import DATA_KINDS as DATA_SET_KINDS
from cvkit.engagement.parameters import NOTEBOOKS_DIR, check_values, notebook_parameters
from cvkit.data.privacy import PrivacyOptions
from cvkit.engagement.strict import Strict, explain
from cvkit.exceptions import ConfigError

__all__ = ["Analysis", "ANALYSES", "OVERVIEW", "SYNTHESIS", "COMMON_PARAMETERS", "DATA_KINDS", "ConfigError",
           "Engagement", "load_config", "ReportOptions", "FILE_PARAMETERS", "check_analysis_files",
           "resolve_analysis_files"]

DATA_KINDS = DATA_SET_KINDS  # the one list: cvkit.data.schemas.DATA_KINDS

#: Analysis options that name a file: relative paths resolve from the engagement folder.
FILE_PARAMETERS: dict[str, tuple[str, ...]] = {"segmentation": ("rfm_rules", "partworths_file", "clv_file")}

# Values of a file option that mean "no file" (the notebook then uses its default or skips).
_NO_FILE = ("", "none")

# Parameters the runner fills for every notebook; they are not part of an analysis section.
COMMON_PARAMETERS = ("client", "client_name", "currency", "locale", "analysis_date", "seed", "output_dir")


@dataclass(frozen=True)
class Analysis:
    """One analysis of the methodology and the notebook that carries it."""

    key: str          # section name in engagement.yaml
    notebook: str     # file in notebooks/
    title: str        # page title in the deliverable
    outputs: str      # Outputs analysis name (tables/<outputs>/...)
    needs_any: tuple[str, ...]  # at least one of these data sets must be given
    # Runs only when its data are given, unless `enabled:` is set explicitly (an engagement without a
    # contact history does not have to switch the campaign analysis off).
    when_data: bool = False

    @property
    def path(self) -> Path:
        # An absolute `notebook` (used by tests and custom analyses) is taken as it is.
        return NOTEBOOKS_DIR / self.notebook

    @property
    def filename(self) -> str:
        """Name of the executed notebook in the run folder."""
        return Path(self.notebook).name


OVERVIEW = Analysis("overview", "00_engagement_overview.ipynb", "Engagement overview", "overview", ())
# Runs last, after segmentation, whenever at least one analysis ran: reads their results files.
SYNTHESIS = Analysis("synthesis", "05_engagement_synthesis.ipynb", "Executive summary", "synthesis", ())

# In run order: segmentation reads the choice and CLV results of the same run.
ANALYSES: dict[str, Analysis] = {a.key: a for a in (
    Analysis("value_drivers", "01_value_drivers.ipynb", "Value drivers", "drivers", ("survey",)),
    Analysis("discrete_choice", "02_discrete_choice.ipynb", "Discrete choice", "choice", ("choice", "utilities")),
    Analysis("clv", "04_customer_lifetime_value.ipynb", "Customer lifetime value", "clv", ("transactions",)),
    Analysis("segmentation", "03_segmentation.ipynb", "Segmentation", "segment", ("needs", "choice", "utilities",
                                                                                 "transactions")),
    Analysis("campaigns", "06_campaign_response.ipynb", "Campaign response", "campaigns", ("campaigns",),
             when_data=True),
)}




CLIENT_NAME_MAX = 200
LABEL_MAX = 80  # a label is a few words on a chart axis or a table cell
"""Longest client name (characters): it heads every page, chart title and file of the deliverable."""


class ClientSpec(Strict):
    name: str = Field(min_length=1, max_length=CLIENT_NAME_MAX,
                      description="Client name as shown in the deliverable (at most 200 characters).")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
                      description="Short lower-case id used for folder names (letters, digits, - and _).")


class DataFiles(Strict):
    customers: FileSpec | None = None
    transactions: FileSpec | None = None
    survey: FileSpec | None = None
    needs: FileSpec | None = None
    choice: FileSpec | None = None
    utilities: FileSpec | None = None
    campaigns: FileSpec | None = None
    responses: FileSpec | None = None
    subscriptions: FileSpec | None = None
    maxdiff: FileSpec | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        # `transactions: data/transactions.csv` is shorthand for `{path: data/transactions.csv}`;
        # `choice: none` (or an empty value) says the engagement has no such data set.
        if isinstance(value, str) and value.strip().lower() in ("none", ""):
            return None
        return {"path": value} if isinstance(value, str) else value

    def given(self) -> dict[str, FileSpec]:
        return {k: v for k in DATA_KINDS if (v := getattr(self, k)) is not None}


class AnalysisSection(BaseModel):
    """``enabled`` plus the analysis notebook's parameters (checked separately)."""

    model_config = ConfigDict(extra="allow")
    enabled: bool = True

    def parameters(self) -> dict[str, Any]:
        # YAML reads an unquoted 1997-09-30 as a date; notebooks take dates as ISO strings.
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in (self.model_extra or {}).items()}


class Analyses(Strict):
    value_drivers: AnalysisSection = AnalysisSection()
    discrete_choice: AnalysisSection = AnalysisSection()
    clv: AnalysisSection = AnalysisSection()
    segmentation: AnalysisSection = AnalysisSection()
    campaigns: AnalysisSection = AnalysisSection()


class ReportOptions(Strict):
    show_code: bool = Field(False, description="Show code cells in the deliverable (analyst version).")
    pdf: bool = Field(True, description="Also print the deliverable to PDF when Chromium is installed.")


class Engagement(Strict):
    """The validated content of ``engagement.yaml``."""

    client: ClientSpec
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code.")
    locale: str | None = Field(None, description="Locale of numbers, money and paper size, e.g. en_GB, de_DE, "
                               "en_US (Letter paper for US/CA); empty: English in the currency's region.")
    analysis_date: dt.date
    seed: int = 2026
    data: DataFiles
    intake: IntakePolicy = IntakePolicy()
    analyses: Analyses = Analyses()
    report: ReportOptions = ReportOptions()
    privacy: PrivacyOptions = PrivacyOptions()
    # Where the per-customer summaries of the transactions run (cvkit.data.engine): normalised to
    # {"duckdb": {}} or {"spark": {"master": ..., "conf": {...}}}.
    engine: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"duckdb": {}},
                                              description="duckdb (default) or {spark: {master, conf}}.")
    output_dir: str = "outputs"
    # The client's words for the codes in their data (attribute ``pf`` -> "Fixed price", region
    # ``N`` -> "North"): every page shows the words (cvkit.present.configure).
    labels: dict[str, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LABEL_MAX)]] = Field(
        default_factory=dict, description="Words for the codes in the client's data, e.g. {pf: Fixed price}.")

    # Set by load_config, not read from YAML.
    config_path: Path | None = Field(default=None, exclude=True)
    # Analysis parameters resolved against the data after intake (analysis key -> name -> value);
    # see cvkit.engagement.choice_settings. Passed to the notebooks over what the YAML says.
    resolved: dict[str, dict[str, Any]] = Field(default_factory=dict, exclude=True)

    @property
    def base_dir(self) -> Path:
        assert self.config_path is not None
        return self.config_path.parent

    def data_path(self, kind: str) -> Path | None:
        spec = getattr(self.data, kind)
        return None if spec is None else (self.base_dir / spec.path).resolve()

    @field_validator("engine", mode="before")
    @classmethod
    def _known_engine(cls, value: Any) -> dict[str, dict[str, Any]]:
        return parse_engine(value)  # a ValueError names the problem and the accepted forms

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        if value:
            from cvkit.present import Formats

            Formats(value)  # raises ValueError naming the fix
        return value

    def report_locale(self) -> str:
        """The locale pages, tables and PDFs use: ``locale`` or the currency's default."""
        from cvkit.present import default_locale

        return self.locale or default_locale(self.currency)

    def output_root(self) -> Path:
        return (self.base_dir / self.output_dir).resolve()

    def enabled_analyses(self, only: list[str] | None = None) -> list[Analysis]:
        out = []
        for key, analysis in ANALYSES.items():
            if self.is_enabled(key) and (not only or key in only):
                out.append(analysis)
        return out

    def is_enabled(self, key: str) -> bool:
        """Whether analysis ``key`` runs: its ``enabled`` key, or for a data-driven analysis left unset,
        whether its data are given."""
        section: AnalysisSection = getattr(self.analyses, key)
        analysis = ANALYSES[key]
        if analysis.when_data and "enabled" not in section.model_fields_set:
            given = self.data.given()
            return any(k in given for k in analysis.needs_any)
        return section.enabled

    def analysis_needs(self, key: str) -> tuple[str, ...]:
        """Data sets of which analysis ``key`` needs at least one.

        CLV in the contractual setting values subscribers: it needs ``subscriptions`` and runs without a
        transaction log (the purchase-log sections are then left out); the other settings need the log.
        """
        if key == "clv" and self.analysis_parameters("clv").get("setting") == "contractual":
            return ("subscriptions",)
        return ANALYSES[key].needs_any

    def analysis_parameters(self, key: str) -> dict[str, Any]:
        return {**getattr(self.analyses, key).parameters(), **self.resolved.get(key, {})}


def load_config(path: str | Path) -> Engagement:
    """Read and validate ``engagement.yaml``.

    Parameters
    ----------
    path : str or Path
        The config file, or the engagement folder that holds ``engagement.yaml``.

    Raises
    ------
    ConfigError
        Listing every problem (unknown keys with a did-you-mean, wrong types,
        missing files, analysis parameters the notebook does not declare).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "engagement.yaml"
    if not path.exists():
        raise ConfigError(path, [f"file not found. Fix: create one with `cvkit new FOLDER --client NAME`."])
    if (why := limits.regular_file_problem(path)) is not None:
        raise ConfigError(path, [f"{why}. Fix: give the path of the engagement.yaml file itself."])
    if path.stat().st_size > limits.YAML_LIMITS["bytes"]:
        raise ConfigError(path, [f"the file is {path.stat().st_size:,} bytes; an engagement config is a few KB. "
                                 "Fix: keep data in data files, not in engagement.yaml."])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"not UTF-8 text ({exc.reason} at byte {exc.start}). Fix: save the file as "
                                 "UTF-8."]) from None
    # Size, nesting, aliases and long strings are measured on the event stream before anything is built:
    # an alias bomb or 1,000 nested brackets would otherwise hang or overflow the loader.
    if unsafe := limits.check_yaml(path, text):
        raise ConfigError(path, unsafe)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        detail = str(exc) if len(str(exc)) <= 1000 else str(exc)[:1000] + " …"
        raise ConfigError(path, [f"not valid YAML: {detail}. Fix: check indentation and quoting at that "
                                 "line."]) from None
    except RecursionError:  # a nesting the event check let through (it should not)
        raise ConfigError(path, ["nesting too deep. Fix: remove the extra brackets."]) from None
    if not isinstance(raw, dict):
        raise ConfigError(path, ["the file must be a mapping of keys (client:, data:, analyses:, ...). "
                                 "Fix: start from templates/engagement.yaml."])
    try:
        cfg = Engagement.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(path, _explain(exc, raw)) from None
    cfg.config_path = path.resolve()
    cfg.intake.as_of = cfg.analysis_date  # rows dated after it are future-dated (intake.future_dates)
    problems = _check_files(cfg) + _check_analyses(cfg) + _one_attribute_list(cfg) + _one_margin(cfg)
    if not problems:
        problems = check_analysis_files(cfg)
    if problems:
        raise ConfigError(path, problems)
    return cfg


def _explain(exc: ValidationError, raw: dict) -> list[str]:
    def describe(loc: list[str], err: dict[str, Any]) -> str:
        key = ".".join(loc)
        if err["type"] == "extra_forbidden":
            parent_model = _model_at(loc[:-1])
            known = list(parent_model.model_fields) if parent_model else []
            known = [k for k in known if k not in ("config_path", "as_of", "resolved")]  # not YAML keys
            close = difflib.get_close_matches(loc[-1], known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            return f"{key}: unknown key.{hint} Fix: remove it or use one of {', '.join(known)}."
        if err["type"] == "missing":
            return f"{key}: required key is missing. Fix: add `{loc[-1]}:` (see templates/engagement.yaml)."
        if loc[:1] == ["engine"] and err["type"] == "value_error":  # parse_engine's own words name the fix
            return f"engine: {str(err['msg']).removeprefix('Value error, ')}"
        return f"{key}: {limits.excerpt(_lookup(raw, loc))} is not valid ({err['msg']}). Fix: {_fix_for(loc)}"

    return explain(exc, describe)


def _lookup(raw: Any, loc: list[str]) -> Any:
    for part in loc:
        if isinstance(raw, dict) and part in raw:
            raw = raw[part]
        else:
            return None
    return raw


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Engagement
    for part in loc:
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


_FIXES = {
    "analysis_date": "write the date as YYYY-MM-DD, e.g. 2026-06-30.",
    "currency": "use a three-letter ISO code such as EUR, USD or GBP.",
    "slug": "use lower-case letters, digits, '-' and '_' (e.g. acme-bank).",
    "name": f"give the client's name as shown on the deliverable, 1 to {CLIENT_NAME_MAX} characters.",
    "seed": "use a whole number, e.g. 2026.",
    "enabled": "use true or false.",
    "labels": f"give each code its words as text of 1 to {LABEL_MAX} characters, e.g. `labels: {{pf: Fixed price}}`.",
    "engine": 'write `engine: duckdb` (default) or `engine: {spark: {master: "spark://host:7077"}}` '
              "(see templates/engagement.yaml).",
}


def _fix_for(loc: list[str]) -> str:
    for part in reversed(loc):
        if part in _FIXES:
            return _FIXES[part]
    return "see the comments in templates/engagement.yaml for the expected form."


def _glob_problems(cfg: Engagement, kind: str, pattern: str, full: Path) -> list[str]:
    """What is wrong with a data set given as a glob: nothing matches, or its folder leaves the engagement's."""
    if not Path(pattern).is_absolute():
        # The folder before the first wildcard must stay inside the engagement folder (as for a file).
        head = cfg.base_dir.joinpath(*_parts_before_glob(pattern))
        if not head.resolve().is_relative_to(cfg.base_dir):
            return [f"data.{kind}: '{pattern}' is outside the engagement folder {cfg.base_dir} (it resolves to "
                    f"{head.resolve()}). Fix: give a pattern relative to the engagement folder, or an absolute one."]
    if not _glob.glob(str(full), recursive=True):
        return [f"data.{kind}: no file matches '{pattern}' (looked in {full.parent}). Fix: give a pattern that "
                "matches the Parquet parts, e.g. data/transactions/part-*.parquet, or the folder that holds them."]
    return []


def _parts_before_glob(pattern: str) -> list[str]:
    parts = []
    for part in Path(pattern).parts:
        if is_glob(part):
            break
        parts.append(part)
    return parts


def _check_files(cfg: Engagement) -> list[str]:
    problems = []
    for kind, spec in cfg.data.given().items():
        full = (cfg.base_dir / spec.path)
        if is_glob(str(spec.path)):  # Parquet parts named by a pattern (e.g. a Spark job's part-*.parquet)
            problems += _glob_problems(cfg, kind, spec.path, full)
            continue
        matches = [full] if full.exists() else []
        # A folder holding Parquet parts is one data set, read by the streaming intake (cvkit.data.stream).
        parts = full.is_dir() and next(full.rglob("*.parquet"), None) is not None
        if matches and not parts and (why := limits.regular_file_problem(full)) is not None:
            problems.append(f"data.{kind}: '{spec.path}' cannot be read: {why}. cvkit reads only regular files "
                            "(a pipe or a device never ends). Fix: give the path of the exported data file.")
            continue
        if not matches:
            siblings = sorted(p.name for p in full.parent.glob("*")) if full.parent.is_dir() else []
            close = difflib.get_close_matches(full.name, siblings, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"data.{kind}: file '{spec.path}' not found (looked in {full.parent}).{hint} "
                            f"Fix: give the path relative to {cfg.config_path.name}'s folder.")
        elif not Path(spec.path).is_absolute() and not full.resolve().is_relative_to(cfg.base_dir):
            # A relative path means a file of this engagement: one that escapes the folder (.., or a
            # symlink, counted where it points to) is how a copied engagement silently reads another
            # client's data. An absolute path (e.g. a secured data share) is a deliberate choice.
            problems.append(f"data.{kind}: '{spec.path}' is outside the engagement folder {cfg.base_dir} "
                            f"(it resolves to {full.resolve()}). Fix: copy the file into the engagement "
                            "folder (e.g. data/) and give its path relative to it, or give an absolute path "
                            "if the file is meant to be shared.")
    return problems


def _one_margin(cfg: Engagement) -> list[str]:
    """One margin values customers: the CLV analysis's, which the runner gives the segmentation too.

    A different ``analyses.segmentation.margin`` beside an enabled CLV analysis would be overridden
    silently; it is refused instead. Without the CLV analysis the segmentation's own margin is used.
    """
    seg_margin = cfg.analyses.segmentation.parameters().get("margin")
    if seg_margin is None or not (cfg.is_enabled("clv") and cfg.is_enabled("segmentation")):
        return []
    clv_margin = cfg.analyses.clv.parameters().get("margin")
    if clv_margin is None:  # the CLV notebook's own default
        declared = notebook_parameters(ANALYSES["clv"].path).get("margin")
        clv_margin = getattr(declared, "default", None)
    if clv_margin is not None and float(seg_margin) != float(clv_margin):
        return [f"analyses.segmentation.margin ({seg_margin}) differs from the CLV analysis's margin ({clv_margin}): "
                "one margin values customers on every page, and the run gives the segmentation the CLV analysis's. "
                "Fix: set the margin once, as analyses.clv.margin, and delete analyses.segmentation.margin."]
    return []


def _one_attribute_list(cfg: Engagement) -> list[str]:
    """``analyses.discrete_choice.attributes`` is the engagement's one attribute list; intake reads those columns.

    ``data.choice.attributes`` (the columns intake keeps) defaults to it; when both are
    written they must name the same attributes.
    """
    spec = cfg.data.choice
    declared = cfg.analyses.discrete_choice.parameters().get("attributes")
    if spec is None or not isinstance(declared, dict):
        return []
    names = [str(a) for a in declared]
    if spec.attributes is None:
        spec.attributes = names
        return []
    if sorted(spec.attributes) != sorted(names):
        return [f"data.choice.attributes {spec.attributes} and analyses.discrete_choice.attributes {names} name "
                "different attributes. Fix: delete data.choice.attributes; the attribute list (with levels) "
                "lives in analyses.discrete_choice.attributes and intake reads those columns."]
    return []


def _check_analyses(cfg: Engagement) -> list[str]:
    problems = []
    given = cfg.data.given()
    for key, analysis in ANALYSES.items():
        section: AnalysisSection = getattr(cfg.analyses, key)
        enabled = cfg.is_enabled(key)
        if not analysis.path.exists():
            if not enabled:
                continue
            problems.append(f"analyses.{key}: notebook {analysis.notebook} is missing from cvkit's notebooks/ "
                            "folder. Fix: reinstall cvkit from its repository.")
            continue
        declared = {name: p for name, p in notebook_parameters(analysis.path).items()
                    if name not in COMMON_PARAMETERS and name not in DATA_KINDS and name not in ("intake", "engine", "labels")}
        problems += check_values(section.parameters(), declared, f"analyses.{key}")
        needs = cfg.analysis_needs(key)
        if enabled and needs and not any(k in given for k in needs):
            need = " or ".join(f"data.{k}" for k in needs)
            problems.append(f"analyses.{key}: enabled but no input data. Fix: give {need}, or set "
                            f"analyses.{key}.enabled: false." + _setting_hint(cfg, key, given))
    return problems


def _setting_hint(cfg: Engagement, key: str, given: set[str] | dict) -> str:
    """For CLV given the other setting's data: name the setting that would use it."""
    if key != "clv":
        return ""
    setting = cfg.analysis_parameters("clv").get("setting", "non_contractual")
    if setting != "contractual" and "subscriptions" in given:
        return (" The engagement gives data.subscriptions: for subscription (contractual) CLV without a purchase "
                "log, set analyses.clv.setting: contractual.")
    if setting == "contractual" and "transactions" in given:
        return " (analyses.clv.setting: contractual values subscribers from data.subscriptions.)"
    return ""


def check_analysis_files(cfg: Engagement) -> list[str]:
    """Files named by analysis options exist (relative to the engagement folder); one problem per miss."""
    problems = []
    for key, names in FILE_PARAMETERS.items():
        section = cfg.analysis_parameters(key)
        for name in names:
            value = section.get(name)
            if not isinstance(value, str) or value.strip().lower() in _NO_FILE:
                continue
            path = Path(value) if Path(value).is_absolute() else cfg.base_dir / value
            if not path.is_file():
                problems.append(f"analyses.{key}.{name}: file '{value}' not found (looked in {path.parent}). "
                                f"Fix: give its path relative to {cfg.config_path.name}'s folder, or remove the key "
                                "to use the default.")
            elif name == "rfm_rules":
                problems += _rfm_rules_problems(path, f"analyses.{key}.{name}")
    return problems


def _rfm_rules_problems(path: Path, where: str) -> list[str]:
    """The RFM rule table as the segmentation will read it: columns, patterns, every cell covered."""
    from pandas.errors import ParserError

    from cvkit.segment.rfm import load_rfm_rules

    try:
        load_rfm_rules(path)
    except (ValueError, OSError, UnicodeDecodeError, ParserError) as exc:
        return [f"{where}: {exc}"]
    return []


def resolve_analysis_files(cfg: Engagement) -> dict[str, dict[str, Path]]:
    """Absolute paths of the files analysis options name: {analysis: {option: path}} (none/"" left out).

    The notebooks run in the run's build folder, so a relative path must be resolved here, from the
    engagement folder, before it is handed to them.
    """
    out: dict[str, dict[str, Path]] = {}
    for key, names in FILE_PARAMETERS.items():
        section = cfg.analysis_parameters(key)
        for name in names:
            value = section.get(name)
            if isinstance(value, str) and value.strip().lower() not in _NO_FILE:
                path = Path(value) if Path(value).is_absolute() else cfg.base_dir / value
                out.setdefault(key, {})[name] = path.resolve()
    return out
