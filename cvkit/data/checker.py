"""One file's intake checks: the state and rules :func:`cvkit.data.load` and the streamed path share.

:class:`_Checker` holds a file's raw text, converted columns, problems and exclusions; the
constants are the spellings it recognises (to explain a failure, never to parse silently). Both
the in-memory loader (:mod:`cvkit.data.load`) and the out-of-core one (:mod:`cvkit.data.stream`)
use them, so neither imports the other's internals.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cvkit.data.errors import Problem
from cvkit.data.policy import IntakePolicy
from cvkit.data.limits import excerpt
from cvkit.data.readers import excel_row, normalise_name
from cvkit.data.schemas import SCHEMAS, Column

MAX_ROWS_SHOWN = 20
"""How many offending row numbers a Problem keeps (its message shows the first 5)."""

_BOOL_TEXT = {"0": False, "1": True, "0.0": False, "1.0": True, "false": False, "true": True,
              "no": False, "yes": True, "n": False, "y": True}

# Date spellings recognised only to explain a failure (never to parse silently).
_DATE_SHAPES: tuple[tuple[str, str, str], ...] = (
    (r"\d{1,2}/\d{1,2}/\d{4}", "DD/MM/YYYY or MM/DD/YYYY", "'%d/%m/%Y' (or '%m/%d/%Y' if the month comes first)"),
    (r"\d{1,2}/\d{1,2}/\d{2}", "DD/MM/YY or MM/DD/YY", "'%d/%m/%y' (or '%m/%d/%y')"),
    (r"\d{1,2}\.\d{1,2}\.\d{4}", "DD.MM.YYYY", "'%d.%m.%Y'"),
    (r"\d{1,2}-\d{1,2}-\d{4}", "DD-MM-YYYY or MM-DD-YYYY", "'%d-%m-%Y' (or '%m-%d-%Y')"),
    (r"\d{4}/\d{1,2}/\d{1,2}", "YYYY/MM/DD", "'%Y/%m/%d'"),
    (r"\d{1,2} [A-Za-z]{3,9} \d{4}", "DD Month YYYY", "'%d %b %Y' (or '%d %B %Y')"),
    (r"\d{5}(\.\d+)?", "Excel serial day numbers", ""),
)
_ISO_DATE = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
_GROUPED_NUMBER = re.compile(r"[-+]?\d{1,3}([.,' ]\d{3})+([.,]\d+)?")
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+")


def _did_you_mean(name: str, candidates: Sequence[str], cutoff: float = 0.6) -> str | None:
    norm = {normalise_name(c): c for c in candidates}
    hit = difflib.get_close_matches(normalise_name(name), list(norm), n=1, cutoff=cutoff)
    return norm[hit[0]] if hit else None


def _quote_list(values: Sequence[Any], limit: int = 3) -> str:
    shown = ", ".join(f"'{v}'" for v in list(values)[:limit])
    return shown + (", ..." if len(values) > limit else "")


class _Checker:
    """State of one file's intake: raw text, converted columns, problems, exclusions."""

    def __init__(self, kind: str, label: str, policy: IntakePolicy, decimal: str,
                 thousands: str | None, date_format: str | None, config_key: str):
        self.kind = kind
        self.schema = SCHEMAS[kind]
        self.label = label
        self.policy = policy
        self.decimal = decimal
        self.thousands = thousands
        self.date_format = date_format
        self.config_key = config_key  # where the analyst sets file options, for fixes
        self.problems: list[Problem] = []
        self.reason: pd.Series | None = None  # first exclusion reason per row (NA = kept)
        self.from_excel = False
        self.excel_rows: list[tuple[int, int]] = []  # set for a workbook: data row -> Excel row
        # set for a wide choice file: checked (long) row -> data row of the file as read, 0-based
        self.source_rows: np.ndarray | None = None

    # -- problem / exclusion bookkeeping ------------------------------------------------------
    def problem(self, message: str, fix: str, column: str | None = None,
                mask: np.ndarray | pd.Series | None = None) -> None:
        rows: tuple[int, ...] = ()
        n: int | None = None
        if mask is not None:
            idx = np.flatnonzero(np.asarray(mask, dtype=bool))
            if self.source_rows is not None:  # several reshaped rows can come from one row of a wide file
                idx = np.unique(self.source_rows[idx])
                rows = tuple(self._file_row(int(i)) for i in idx[:MAX_ROWS_SHOWN])
            else:
                rows = tuple(self.row_number(int(i)) for i in idx[:MAX_ROWS_SHOWN])
            n = int(idx.size)
        self.problems.append(Problem(file=self.label, message=message, fix=fix, column=column,
                                     rows=rows, n_rows=n, row_label="Excel rows" if self.excel_rows else "rows"))

    def row_numbers(self, idx: np.ndarray) -> np.ndarray:
        """:meth:`row_number` of many data rows at once (int64)."""
        idx = np.asarray(idx, dtype=np.int64)
        if self.source_rows is not None:
            idx = self.source_rows[idx]
        if not self.excel_rows:
            return idx + 1
        starts = np.array([b[0] for b in self.excel_rows], dtype=np.int64)
        rows = np.array([b[1] for b in self.excel_rows], dtype=np.int64)
        pos = np.searchsorted(starts, idx, side="right") - 1
        return (rows[pos] + idx - starts[pos]).astype(np.int64)

    def row_number(self, i: int) -> int:
        """Row number shown to the analyst for data row ``i`` (0-based): the Excel row for a workbook.

        For a wide choice file ``i`` is a row of the reshaped table; the number shown is the row of the
        wide file it came from.
        """
        return self._file_row(int(self.source_rows[i]) if self.source_rows is not None else i)

    def _file_row(self, i: int) -> int:
        """Row number shown for data row ``i`` of the file as read (0-based)."""
        return excel_row(self.excel_rows, i) if self.excel_rows else i + 1

    def flag(self, mask: pd.Series, action: str, reason: str, message: str, fix: str,
             column: str | None = None) -> None:
        """Report rows (policy "error") or mark them for exclusion (policy "exclude")."""
        mask = mask.fillna(False).astype(bool) if mask.dtype != bool else mask
        if not mask.any():
            return
        if action == "exclude":
            assert self.reason is not None
            self.reason = self.reason.mask(mask & self.reason.isna(), reason)
        elif action == "error":
            self.problem(message, fix, column, mask)
        # "keep": accepted as is

    def examples(self, values: pd.Series, mask: pd.Series, limit: int = 3) -> str:
        bad = values[mask].head(limit)
        what = "Excel row" if self.excel_rows else "row"
        return ", ".join(f"{excerpt(v)} ({what} {self.row_number(int(i))})" for i, v in bad.items())

    # -- columns ------------------------------------------------------------------------------
    def resolve_columns(self, raw: pd.DataFrame, mapping: dict[str, str], read_info: dict[str, Any],
                        attributes: Sequence[str] | None = None,
                        ) -> tuple[dict[str, str], list[str], list[str], bool] | None:
        """Match file columns to canonical names.

        Returns (canonical -> file column, free columns, ignored columns, complete),
        ``complete`` False when a column problem was reported (the columns that
        are there can still be checked); None when nothing can be checked.
        """
        schema = self.schema
        file_cols = [str(c) for c in raw.columns]
        by_norm: dict[str, str] = {}
        for c in file_cols:
            by_norm.setdefault(normalise_name(c), c)
        chosen, ok = self._mapped_columns(mapping, file_cols, by_norm)
        used = set(chosen.values())
        for name in schema.names:
            if name in chosen:
                continue
            hit = by_norm.get(name)
            if hit is not None and hit not in used:
                chosen[name] = hit
                used.add(hit)
        unmatched = [c for c in file_cols if c not in used]
        if read_info.get("format") == "excel" and read_info.get("header_matches", 1) == 0:
            self.problem(
                f"no row among the first rows of sheet '{read_info.get('sheet')}' looks like a header "
                f"for {self.kind} data (expected column names such as "
                f"{_quote_list(schema.required, 4)}); the first row found was {_quote_list(file_cols, 6)}.",
                f"put a header row with the column names above the data (see "
                f"templates/data/{self.kind}.csv), or map your names in {self.config_key}.columns.")
            return None
        missing = [c.name for c in schema.columns if c.required and c.name not in chosen
                   and c.name not in mapping]
        ok = self._report_missing(raw, file_cols, unmatched, missing) and ok
        if schema.group:
            free, (ignored, group_ok) = [], self._group_columns(chosen, unmatched)
        elif schema.free is not None and attributes is not None:
            (free, ignored), group_ok = self._declared_free_columns(unmatched, attributes)
        elif schema.free is not None:
            free, ignored, group_ok = unmatched, [], True
            if schema.free == "attributes" and not free:
                self.problem("the file has no attribute columns (every column other than respondent_id, "
                             "task, alternative, none and chosen is an attribute).",
                             "add one column per conjoint attribute (e.g. delivery, fee).")
                group_ok = False
        else:
            free, ignored, group_ok = [], unmatched, True
        return chosen, free, ignored, ok and group_ok

    def _mapped_columns(self, mapping: dict[str, str], file_cols: list[str],
                        by_norm: dict[str, str]) -> tuple[dict[str, str], bool]:
        """The config's column mapping resolved against the file: (canonical -> file column, all found)."""
        chosen: dict[str, str] = {}
        ok = True
        for canon, client in mapping.items():
            if canon not in self.schema.names and self.schema.free is None:
                dym = _did_you_mean(canon, self.schema.names)
                self.problem(
                    f"the column mapping names '{canon}', which is not a column of the {self.kind} "
                    f"data set" + (f"; did you mean '{dym}'?" if dym else "."),
                    f"use canonical names on the left of {self.config_key}.columns "
                    f"(they are: {', '.join(self.schema.required)}, ...; see templates/data/README.md).")
                ok = False
                continue
            hit = client if client in file_cols else by_norm.get(normalise_name(client))
            if hit is None:
                dym = _did_you_mean(client, file_cols)
                self.problem(
                    f"column '{client}' (mapped to '{canon}') is not in the file"
                    + (f"; did you mean '{dym}'?" if dym else "."),
                    f"correct {self.config_key}.columns.{canon}; the file's columns are: "
                    f"{_quote_list(file_cols, 12)}.", column=client)
                ok = False
                continue
            chosen[canon] = hit
        return chosen, ok

    def _report_missing(self, raw: pd.DataFrame, file_cols: list[str], unmatched: list[str],
                        missing: list[str]) -> bool:
        """One problem per missing required column, with the likely cause; True when none is missing.

        A single-column file probably has another delimiter; a wide choice file gets one explanation.
        """
        ok = True
        for name in missing:
            dym = _did_you_mean(name, unmatched)
            fix = (f"rename column '{dym}' to '{name}', or map it in {self.config_key}.columns: "
                   f"{{{name}: '{dym}'}}." if dym else
                   f"add a '{name}' column (see templates/data/{self.kind}.csv), or map the column that "
                   f"holds it in {self.config_key}.columns.")
            msg = f"required column '{name}' is missing" + (f"; did you mean '{dym}'?" if dym else ".")
            if len(file_cols) == 1 and re.search(r"[,;\t| :]", file_cols[0]):
                msg += (f" The file has a single column '{file_cols[0][:60]}', so it probably uses a "
                        "delimiter other than , ; tab or |.")
                fix = "save the file as CSV with comma (or semicolon, tab, |) delimiters."
            elif self.kind == "choice" and (wide := _looks_wide(raw, file_cols)):
                ok = False
                if any(p.message == wide[0] for p in self.problems):
                    continue  # one explanation for all the long-format columns a wide file lacks
                msg, fix = wide
            self.problem(msg, fix, column=name)
            ok = False
        return ok

    def _group_columns(self, chosen: dict[str, str], unmatched: list[str]) -> tuple[list[str], bool]:
        """A column group (e.g. the elements of value): at least one present; near-misses reported.

        Returns (ignored columns, no problem found).
        """
        group_names = [c.name for c in self.schema.group]
        ok = True
        ignored: list[str] = []
        if not any(g in chosen for g in group_names):
            self.problem(
                f"the file has none of the {self.schema.group_label}; at least one is required.",
                f"name the columns by element slug (see templates/data/{self.kind}.csv and "
                "templates/elements_of_value.csv), or map them in "
                f"{self.config_key}.columns.")
            ok = False
        for c in unmatched:
            dym = _did_you_mean(c, [g for g in group_names if g not in chosen], cutoff=0.85)
            if dym is not None:
                self.problem(f"column '{c}' is not a known column; did you mean '{dym}'?",
                             f"rename it to '{dym}' (element slugs are listed in "
                             "templates/elements_of_value.csv).", column=c)
                ok = False
            else:
                ignored.append(c)
        return ignored, ok

    def _declared_free_columns(self, unmatched: list[str],
                               attributes: Sequence[str]) -> tuple[tuple[list[str], list[str]], bool]:
        """Declared free columns (e.g. conjoint attributes): keep those, ignore the rest (e.g. a design "Version").

        Returns ((free, ignored), no problem found).
        """
        free: list[str] = []
        ok = True
        for a in attributes:
            if a in unmatched:
                free.append(a)
                continue
            dym = _did_you_mean(a, unmatched)
            where = ("analyses.discrete_choice.attributes" if self.kind == "choice"
                     else f"{self.config_key}.attributes")
            self.problem(f"column '{a}' (listed in {where}) is not in the file"
                         + (f"; did you mean '{dym}'?" if dym else "."),
                         f"correct {where}; the file's other columns are: "
                         f"{_quote_list(unmatched, 12)}.", column=a)
            ok = False
        if not attributes:
            self.problem("attributes is an empty list.", f"list the {self.schema.free} columns in "
                         f"{self.config_key}.attributes, or leave it out to use every other column.")
            ok = False
        return (free, [c for c in unmatched if c not in free]), ok

    # -- conversions ---------------------------------------------------------------------------
    def to_number(self, s: pd.Series, col: str) -> tuple[pd.Series, pd.Series]:
        """Parse text as numbers with the file's decimal/thousands options; returns (values, bad)."""
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("float64")
        if pd.api.types.is_numeric_dtype(s):
            num = s.astype("float64")
            return num, pd.Series(np.isinf(num.to_numpy()), index=s.index)
        t = s
        grouped_ok = pd.Series(True, index=t.index)
        if self.thousands is not None:
            has_sep = t.str.contains(self.thousands, regex=False).fillna(False).astype(bool)
            dec = re.escape(self.decimal)
            pattern = rf"[-+]?\d{{1,3}}({re.escape(self.thousands)}\d{{3}})+({dec}\d+)?"
            grouped_ok = ~has_sep | t.str.fullmatch(pattern).fillna(False).astype(bool)
            t = t.str.replace(self.thousands, "", regex=False)
        if self.decimal == ",":
            # With a decimal comma a "." is never a valid decimal mark: flag it, don't read 1.5 as 1.5.
            grouped_ok &= ~t.str.contains(".", regex=False).fillna(False).astype(bool)
            t = t.str.replace(",", ".", regex=False)
        num = pd.to_numeric(t, errors="coerce").astype("float64")
        bad = (t.notna() & (num.isna() | np.isinf(num))) | ~grouped_ok
        return num.where(~bad), bad

    def number_problem(self, text: pd.Series, bad: pd.Series, col: str) -> None:
        if not bad.any():
            return
        if not _is_text(text):
            text = text.astype("str")
        grouped = text.str.fullmatch(_GROUPED_NUMBER.pattern).fillna(False).astype(bool) | \
            text.str.fullmatch(_DECIMAL_COMMA.pattern).fillna(False).astype(bool)
        looks_grouped = bad & grouped
        other = bad & ~grouped
        opts = f"{self.config_key}.decimal / {self.config_key}.thousands"
        if looks_grouped.any():
            self.flag(looks_grouped, self.policy.unparsable_numbers, f"number format in '{col}'",
                      f"{int(looks_grouped.sum())} value(s) use thousands separators or a decimal comma "
                      f"(current options: decimal '{self.decimal}', thousands "
                      f"{repr(self.thousands) if self.thousands else 'none'}): "
                      f"{self.examples(text, looks_grouped)}; they are not guessed.",
                      f"set {opts} for this file (e.g. decimal: ',' and thousands: '.' for '1.234,5'), "
                      "or export numbers as 1234.5.", column=col)
        if other.any():
            self.flag(other, self.policy.unparsable_numbers, f"text in numeric column '{col}'",
                      f"{int(other.sum())} value(s) are not numbers: {self.examples(text, other)}.",
                      "correct these cells: numbers only, without units or currency symbols; leave "
                      "unknown values empty.", column=col)

    def to_date(self, s: pd.Series, col: str) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(s):
            return s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        t = s
        if self.date_format is None:
            # Full calendar dates only: pandas' ISO 8601 parser would read "2024" as
            # 2024-01-01 and raises on mixed time zones, so other shapes count as bad.
            shape_ok = t.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
            parsed = pd.to_datetime(t.where(shape_ok), format="ISO8601", errors="coerce")
        else:
            try:
                parsed = pd.to_datetime(t, format=self.date_format, errors="coerce")
            except (ValueError, TypeError) as exc:
                self.problem(f"the date format {self.date_format!r} cannot be applied ({exc}).",
                             f"set {self.config_key}.date_format to a strftime pattern without time zones, "
                             "e.g. '%d/%m/%Y'.", column=col)
                return pd.Series(pd.NaT, index=t.index, dtype="datetime64[us]")
        if self.date_format and self.from_excel:
            # Real Excel date cells arrive as ISO text whatever the declared format
            # of the text cells; an ISO date is unambiguous, so accept it.
            iso = parsed.isna() & t.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
            if iso.any():
                parsed = parsed.mask(iso, pd.to_datetime(t.where(iso), format="%Y-%m-%d", errors="coerce"))
        bad = t.notna() & parsed.isna()
        if not bad.any():
            return parsed
        good = t.notna() & ~bad
        shapes = []
        explained = pd.Series(False, index=t.index)
        for pattern, name, fmt_hint in _DATE_SHAPES:
            m = bad & ~explained & t.str.fullmatch(pattern).fillna(False).astype(bool)
            if m.any():
                shapes.append((name, fmt_hint, m))
                explained |= m
        expected = f"format {self.date_format!r}" if self.date_format else "ISO 8601 (YYYY-MM-DD)"
        key = f"{self.config_key}.date_format"
        if not good.any() and not (bad & ~explained).any() and len(shapes) == 1 and shapes[0][1]:
            name, fmt_hint, m = shapes[0]
            self.problem(
                f"the dates are not {expected}: they look like {name}, e.g. {self.examples(t, m)}; "
                "the day/month order is not guessed.",
                f"set {key}: {fmt_hint} for this file in engagement.yaml, or convert the dates to "
                "YYYY-MM-DD.", column=col)
            return parsed
        if not good.any() and bad.sum() == t.notna().sum() and not shapes:
            self.problem(f"no value could be read as a date ({expected}), e.g. {self.examples(t, bad)}.",
                         f"write dates as YYYY-MM-DD or set {key} to their strftime format.", column=col)
            return parsed
        for name, fmt_hint, m in shapes:
            if good.any():
                msg = (f"dates are written in more than one format: {int(good.sum())} row(s) use {expected} "
                       f"(e.g. {self.examples(t, good, 1)}) but {int(m.sum())} use {name}: "
                       f"{self.examples(t, m)}.")
            else:
                msg = f"{int(m.sum())} date(s) in another format ({name}): {self.examples(t, m)}."
            fix = ("Excel serial numbers: format the column as a date (yyyy-mm-dd) before exporting."
                   if not fmt_hint else
                   f"write every date in one format (YYYY-MM-DD preferred; set {key} if all use another).")
            self.flag(m, self.policy.unparsable_dates, f"date in another format in '{col}'", msg, fix, col)
        rest = bad & ~explained
        self.flag(rest, self.policy.unparsable_dates, f"unparsable date in '{col}'",
                  f"{int(rest.sum())} value(s) are not valid dates ({expected}): {self.examples(t, rest)}.",
                  "correct these cells (a real calendar date, YYYY-MM-DD), or leave them empty if unknown.",
                  col)
        return parsed

    def check_future(self, parsed: pd.Series, shown: pd.Series, col: str) -> pd.Series:
        """Flag dates after the analysis date (``intake.future_dates``); a wrong date or a late export."""
        as_of = self.policy.as_of
        if as_of is None or not pd.api.types.is_datetime64_any_dtype(parsed):
            return parsed
        first_after = pd.Timestamp(as_of) + pd.Timedelta(days=1)  # any time on the analysis date itself is fine
        if getattr(parsed.dt, "tz", None) is not None:
            first_after = first_after.tz_localize(parsed.dt.tz)
        future = parsed.notna() & (parsed >= first_after)
        self.flag(future, self.policy.future_dates, f"{col} after the analysis date",
                  f"{int(future.sum())} date(s) after the analysis date {as_of.isoformat()}: "
                  f"{self.examples(shown, future)}.",
                  "correct these dates, set analysis_date later if the data really runs past it, or set "
                  "intake.future_dates: exclude to drop these rows (they are listed in excluded.csv).", col)
        return parsed

    def to_bool(self, s: pd.Series, col: str) -> pd.Series:
        if pd.api.types.is_bool_dtype(s) and not s.isna().any():
            return s.astype(bool)
        if pd.api.types.is_numeric_dtype(s):
            t = s.astype("float64").astype("str").where(s.notna())
        else:
            t = s.str.lower()
        val = t.map(_BOOL_TEXT)
        bad = t.notna() & val.isna()
        self.flag(bad, self.policy.unparsable_numbers, f"not 0/1 in '{col}'",
                  f"{int(bad.sum())} value(s) are not 0/1: {self.examples(t, bad)}.",
                  "use 1 for yes and 0 for no.", col)
        return val.where(val.notna(), False).astype(bool)

    def convert(self, c: Column, s: pd.Series) -> pd.Series:
        """Convert one fixed column to its dtype, flagging bad cells and out-of-range values."""
        if c.dtype in ("id", "str", "category"):
            if pd.api.types.is_float_dtype(s) and bool((s.dropna() % 1 == 0).all()):
                s = s.astype("Int64")  # Parquet IDs stored as 12.0 must read "12", not "12.0"
            out = s if _is_text(s) else _clean(s.astype("str").where(s.notna()))
            return out.astype("category") if c.dtype == "category" else out
        if c.dtype == "date":
            return self.check_future(self.to_date(s, c.name), s, c.name)
        if c.dtype == "bool":
            return self.to_bool(s, c.name)
        num, bad = self.to_number(s, c.name)
        if bad.any():
            self.number_problem(s, bad, c.name)
        if c.dtype == "int":
            frac = num.notna() & (num % 1 != 0)
            self.flag(frac, self.policy.unparsable_numbers, f"not a whole number in '{c.name}'",
                      f"{int(frac.sum())} value(s) are not whole numbers: "
                      f"{self.examples(s if _is_text(s) else num, frac)}.",
                      f"'{c.name}' takes whole numbers ({c.range_text or 'integers'}); correct these cells.",
                      c.name)
            num = num.where(~frac)
        shown = s if _is_text(s) else num  # quote the cell as written in the file
        lo = c.min if c.min is not None else -np.inf
        hi = c.max if c.max is not None else np.inf
        outside = num.notna() & ((num < lo) | (num > hi))
        if outside.any():
            action = getattr(self.policy, c.range_check)
            if c.range_check == "negative_amounts":
                msg = f"{int(outside.sum())} negative value(s): {self.examples(shown, outside)}."
                fix = ("amounts must be >= 0: net refunds and returns into the purchase they belong to, "
                       "or set intake.negative_amounts: exclude to drop these rows.")
                reason = f"negative {c.name}"
            else:
                msg = (f"{int(outside.sum())} value(s) outside the allowed range {c.range_text}: "
                       f"{self.examples(shown, outside)}.")
                fix = (f"'{c.name}' must be {c.range_text} ({c.unit or 'see the data dictionary'}); "
                       "correct or recode these cells (e.g. a 1-11 scale minus 1), or set "
                       "intake.out_of_range: exclude to drop these rows.")
                reason = f"{c.name} out of range"
            self.flag(outside, action, reason, msg, fix, c.name)
        if c.dtype == "int":
            return num.round().astype("Int64")
        return num


def _is_text(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.StringDtype)


def _clean(s: pd.Series) -> pd.Series:
    """Text cells stripped of surrounding blanks, blank cells as NA; typed columns unchanged.

    Object columns (mixed Python values) become text; integral float IDs from
    Parquet read "12", not "12.0".
    """
    if _is_text(s):
        t = s.str.strip()
        return t.mask(t == "")
    if s.dtype == object:
        t = s.astype("str").where(s.notna()).str.strip()
        return t.mask(t == "")
    return s


def _looks_wide(raw: pd.DataFrame, file_cols: list[str]) -> tuple[str, str] | None:
    """(message, fix) when a choice file is one row per situation: numbered attribute columns, or a
    column naming the chosen alternative rather than flagging it 0/1."""
    numbered = sorted({m.group(1) for c in file_cols if (m := re.fullmatch(r"(.+?)_?(\d+)", c))})
    labels = None
    for c in file_cols:
        vals = raw[c].dropna().astype("str").str.strip().unique()[:50]
        if normalise_name(c) in ("choice", "chosen", "selected", "answer") and len(vals) and \
                not set(vals) <= {"0", "1", "0.0", "1.0", "true", "false", "TRUE", "FALSE"}:
            labels = (c, vals[:3])
            break
    if labels is None and len(numbered) < 2:
        return None
    what = (f"column '{labels[0]}' names the chosen alternative ({', '.join(map(repr, labels[1]))}) instead of "
            "flagging it 0/1" if labels else f"columns are numbered by alternative ({', '.join(numbered[:4])} ...)")
    return (f"this looks like one row per choice situation (wide format): {what}.",
            "do not rename it: describe the layout under data.choice.wide (alternatives: [1, 2, ...], chosen: "
            f"{labels[0] if labels else '<the column naming the chosen alternative>'}, attributes as "
            "\"price{alt}\" patterns) and intake reshapes it; see README \"A conjoint as clients export it\".")
