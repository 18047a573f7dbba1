"""The data dictionary and header-only CSV templates, generated from :data:`SCHEMAS`.

``templates/data/`` in the repository holds the output of :func:`write_templates`
(a test checks that it is up to date), so the analyst-facing dictionary can
never drift from the checks that intake actually runs. ``cvkit new`` copies
that folder into a new engagement.
"""

from __future__ import annotations

from pathlib import Path

from cvkit.data.policy import FileSpec, IntakePolicy
from cvkit.data.readers import NA_MARKERS
from cvkit.data.schemas import SCHEMAS, Column, Schema

__all__ = ["template_columns", "data_dictionary", "write_templates"]

# The demo engagement's conjoint design, used as the example free columns.
_DEMO_ATTRIBUTES = ("delivery", "returns", "extras", "fee")
_DEMO_LEVELS = ("delivery.standard", "delivery.next_day", "delivery.same_day", "returns.paid",
                "returns.free", "extras.none", "extras.streaming", "extras.partner_discounts",
                "extras.priority_service", "fee")

_TYPE_TEXT = {
    "id": "ID (text)", "str": "text", "category": "label", "date": "date (YYYY-MM-DD)",
    "float": "number", "int": "whole number", "bool": "0/1",
}


def template_columns(kind: str) -> list[str]:
    """Header of the CSV template of data set ``kind``, in canonical order.

    ``choice`` and ``utilities`` show the demo engagement's attributes
    (delivery, returns, extras, fee) as example free columns.
    """
    schema = SCHEMAS[kind]
    fixed = [c.name for c in schema.columns]
    if kind == "choice":
        return ["respondent_id", "task", "alternative", *_DEMO_ATTRIBUTES, "none", "chosen"]
    if kind == "utilities":
        return ["respondent_id", *_DEMO_LEVELS, "none"]
    return fixed + [c.name for c in schema.group]


def _allowed(c: Column) -> str:
    if c.dtype == "bool":
        return "0 or 1"
    if c.range_text:
        return c.range_text
    return ""


def _row(c: Column, required: str | None = None) -> str:
    req = required if required is not None else ("yes" if c.required else "optional")
    empty = " (cells may be empty)" if c.nullable and c.required else ""
    cells = [f"`{c.name}`", _TYPE_TEXT[c.dtype], req + empty, c.unit, _allowed(c),
             f"`{c.example}`" if c.example else "", c.description.replace("|", "\\|")]
    return "| " + " | ".join(cells) + " |"


def _schema_section(s: Schema) -> list[str]:
    out = [f"## `{s.kind}`: one row per {s.one_row_per}", "", s.description, "",
           f"- Template: `{s.kind}.csv`",
           f"- Used by: {', '.join(f'`{u}`' for u in s.used_by)}",
           f"- Unique key: {' + '.join(f'`{k}`' for k in s.key)}"
           + (" (when given)" if s.kind == "transactions" else ""), ""]
    out += ["| column | type | required | unit | allowed | example | description |",
            "|---|---|---|---|---|---|---|"]
    out += [_row(c) for c in s.columns]
    if s.group:
        out += [_row(c, "at least one of the group") for c in s.group]
    out.append("")
    if s.kind == "choice":
        out += [
            "**Attribute columns.** Every column other than the fixed ones above is a conjoint "
            "attribute: a column whose filled cells are all numbers (e.g. `fee` in EUR) stays numeric, "
            "any other becomes text levels (e.g. `delivery` = `standard`, `next_day`, `same_day`). "
            "The template shows the demo's attributes `delivery`, `returns`, `extras`, `fee`; "
            "replace them with your study's. If the export has other columns (e.g. a design "
            "`Version`), list the attribute columns in `data.choice.attributes` and the rest is "
            "ignored.",
            "",
            "Checks: every task (`respondent_id`, `task`) has at least two rows and exactly one with "
            "`chosen` = 1; on the none row (`none` = 1) every attribute cell is empty; on the other "
            "rows every attribute cell is filled; respondents must appear in `survey` when both "
            "files are given.", ""]
    if s.kind == "utilities":
        out += [
            "**Level columns.** Every column other than `respondent_id` and `none` is a numeric "
            "utility: `<attribute>.<level>` for a categorical attribute (e.g. `delivery.same_day`), "
            "or the attribute name alone for a linear one (e.g. `fee`, utility per unit). This is "
            "the shape of a Sawtooth HB export once the columns are renamed (fit statistics such as "
            "RLH are not utilities: leave them out, or list the level columns in "
            "`data.utilities.attributes`). Every cell must be filled.", ""]
    return out


def _default(f) -> str:
    value = f.get_default(call_default_factory=True)
    return "none" if value is None else f"`{value!r}`"


def data_dictionary() -> str:
    """The data dictionary (``templates/data/README.md``) as Markdown."""
    lines = _dictionary_intro() + _conventions() + _option_sections()
    for s in SCHEMAS.values():
        lines += _schema_section(s)
    return "\n".join(lines).rstrip() + "\n"


def _dictionary_intro() -> list[str]:
    """Title, generated-file warning and the table of data sets (Markdown lines)."""
    lines = [
        "# Data dictionary",
        "",
        "<!-- Generated by cvkit.data.templates.write_templates(); edit cvkit/data/schemas.py, "
        "not this file. -->",
        "",
        "The data an engagement needs, one file per data set. Each file has a header-only "
        "template in this folder. Put your files next to `engagement.yaml`, list them under "
        "`data:` and run `cvkit validate engagement.yaml`: it reports every problem in every "
        "file at once, with the rows concerned and the fix.",
        "",
        "| data set | one row per | needed by |",
        "|---|---|---|",
    ]
    lines += [f"| [`{s.kind}`](#{s.kind}-one-row-per-{s.one_row_per.replace(' ', '-')}) | {s.one_row_per} "
              f"| {', '.join(s.used_by)} |" for s in SCHEMAS.values()]
    return lines


def _conventions() -> list[str]:
    """What every file must look like: formats, names, IDs, dates, numbers, missing values (Markdown lines)."""
    return [
        "",
        "## Conventions",
        "",
        "- **Files**: CSV (`,` `;` tab or `|` delimited, detected; UTF-8 with or without BOM, "
        "UTF-16 with BOM, or Windows-1252/Latin-1), Excel `.xlsx` (first sheet unless `sheet` is "
        "given; title rows above the header are skipped: the header is the row that matches the "
        "expected column names), or Parquet. Input files are only read, never modified.",
        "- **Column names**: the canonical names below; matching ignores case, surrounding blanks "
        "and blanks/dashes versus underscores (`Customer ID` = `customer_id`). Other names are "
        "mapped in `engagement.yaml` (`data.<kind>.columns: {customer_id: Kundennummer}`). "
        "Columns not in the schema are ignored (and listed in the intake report).",
        "- **IDs** are text: `00123` stays `00123`. The same customer must have the same ID in "
        "every file.",
        "- **Dates**: ISO 8601 `YYYY-MM-DD`. Another format must be declared with "
        "`date_format` (a `strftime` pattern such as `%d/%m/%Y`): day/month order is never guessed, "
        "and a file mixing formats is an error.",
        "- **Numbers**: decimal point, no thousands separators. Files that write `1.234,5` declare "
        "`decimal: ','` and `thousands: '.'`; such numbers are never guessed.",
        f"- **Missing values**: an empty cell, or one of {', '.join(f'`{m}`' for m in NA_MARKERS if m)}. "
        "(`none` is not a missing marker: it is a valid conjoint level.)",
        "- **Ratings** are whole numbers on the scale given (0-10, satisfaction 1-10); recode other "
        "scales before intake.",
        "- **Currency** amounts are in the engagement currency (`currency:` in `engagement.yaml`), "
        "net of tax as the client reports revenue, consistently across files.",
        "",
    ]


def _option_sections() -> list[str]:
    """The option tables of ``engagement.yaml``: file options, intake policy, file limits, privacy."""
    from cvkit.data.limits import Limits

    policy_rows = [f"| `{name}` | `{f.default}` | {f.description} |"
                   for name, f in IntakePolicy.model_fields.items() if name not in ("limits", "as_of")]
    limit_rows = [f"| `{name}` | `{f.default:,}` | {f.description} |" for name, f in Limits.model_fields.items()]
    from cvkit.data.privacy import PrivacyOptions  # local: cvkit.data.privacy imports cvkit.data

    privacy_rows = [f"| `{name}` | {_default(f)} | {f.description} |"
                    for name, f in PrivacyOptions.model_fields.items()]
    spec_rows = [f"| `{name}` | {'(required)' if f.is_required() else _default(f)} | {f.description} |"
                 for name, f in FileSpec.model_fields.items()]
    return [
        "### File options (`data.<kind>:` in `engagement.yaml`)",
        "",
        "| option | default | meaning |",
        "|---|---|---|",
        *spec_rows,
        "",
        "### Intake policy (`intake:` in `engagement.yaml`)",
        "",
        "Every bad row is an error by default. Setting an option to `exclude` removes such rows "
        "instead; they are counted, listed with the reason in `excluded.csv`, and shown in the "
        "engagement overview. Rows are never dropped silently.",
        "",
        "| option | default | applies to |",
        "|---|---|---|",
        *policy_rows,
        "",
        "### File limits (`intake: limits:` in `engagement.yaml`)",
        "",
        "Only regular files are read (a named pipe, a device or a folder is refused at validate). A file "
        "over a limit is refused before it is read in full, with the file named and the limit to raise "
        "when the file is genuine (e.g. `intake: {limits: {xlsx_uncompressed_mb: 2000}}`).",
        "",
        "| limit | default | meaning |",
        "|---|---|---|",
        *limit_rows,
        "",
        "### Client data (`privacy:` in `engagement.yaml`)",
        "",
        "Input files are opened read-only and never modified. Columns that are not in a schema "
        "(e.g. a CRM extract's names, e-mails and phone numbers) are dropped at intake and reach no "
        "output. A column that would reach the notebooks and is named like personal data or holds "
        "e-mail addresses (or mostly phone numbers) is refused, unless listed in "
        "`allow_personal_columns`; that includes IDs that are e-mail addresses, unless they are "
        "pseudonymised. With `pseudonymise_ids: true` every `customer_id` and `respondent_id` is "
        "replaced at intake by a keyed hash (`C-`/`R-` and 16 hex digits of HMAC-SHA256), the same in "
        "every file and every rerun with the same key, so the links between files hold; the key is "
        "read from the environment variable named by `key_env`, withheld from the notebooks' kernels "
        "and never written anywhere (the manifest keeps an 8-digit fingerprint telling whether two runs "
        "used the same key).",
        "",
        "| option | default | meaning |",
        "|---|---|---|",
        *privacy_rows,
        "",
    ]


def write_templates(folder: str | Path) -> list[Path]:
    """Write ``README.md`` (the data dictionary) and one header-only ``<kind>.csv`` per data set.

    Parameters
    ----------
    folder : str or Path
        Target folder, created if needed (``templates/data`` in the repository,
        ``<engagement>/data`` for ``cvkit new``).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "README.md"]
    written[0].write_text(data_dictionary(), encoding="utf-8")
    for kind in SCHEMAS:
        path = folder / f"{kind}.csv"
        path.write_text(",".join(template_columns(kind)) + "\n", encoding="utf-8")
        written.append(path)
    return written
