"""Client data protection at intake: keyed pseudonymisation of IDs and personal-column detection.

The runner calls :func:`protect` right after intake, before the checked tables are written to
``<run>/data/*.parquet``: whatever the notebooks (and so the deliverable) see has already been
through it. Two rules:

- **Pseudonymised IDs** (``privacy.pseudonymise_ids: true``): every ``customer_id`` and
  ``respondent_id`` is replaced by a keyed hash (HMAC-SHA256 with a secret read from an
  environment variable), stable across files and reruns with the same key, so links between files
  and results between runs still hold. The key itself never reaches a file: the manifest records
  only a short fingerprint telling whether two runs used the same key.
- **No raw personal columns**: a column that would reach the notebooks and is named like personal
  data (name, e-mail, phone, address, birth date, ...) or holds e-mail addresses or phone numbers
  is refused, unless ``privacy.allow_personal_columns`` lists it. Personal columns that are not
  part of the schema are dropped by intake anyway; they are named in the intake notes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cvkit.data.errors import Problem
from cvkit.data.intake import Intake
from cvkit.data.readers import normalise_name
from cvkit.exceptions import PrivacyError

__all__ = ["PrivacyOptions", "PrivacyError", "pseudonymise", "pseudonymise_series", "personal_reason",
           "protect", "read_key", "key_fingerprint", "ID_NAMESPACES", "MIN_KEY_LENGTH"]

#: ID columns that are pseudonymised, and the namespace each one's hash is keyed with. survey's
#: ``customer_id`` shares the customers' namespace so the cross-file link still holds.
ID_NAMESPACES: dict[str, str] = {"customer_id": "customer", "respondent_id": "respondent"}
_PREFIX = {"customer": "C-", "respondent": "R-"}
#: Hex digits kept from the HMAC: 64 bits, so a collision among even 10 million IDs has odds
#: below 1e-5; intake checks for one anyway and refuses rather than merge two people.
_DIGITS = 16
MIN_KEY_LENGTH = 16

# Column names (normalised, split on "_") that denote personal data. Tokens match whole words, so
# "brand" or "channel" never match "name"; compound spellings are listed as they are written.
_PERSONAL_TOKENS = {
    "name": "a person's name", "firstname": "a person's name", "lastname": "a person's name",
    "surname": "a person's name", "forename": "a person's name", "fullname": "a person's name",
    "vorname": "a person's name", "nachname": "a person's name", "nom": "a person's name",
    "prenom": "a person's name",
    "email": "an e-mail address", "mail": "an e-mail address", "emailaddress": "an e-mail address",
    "phone": "a phone number", "telephone": "a phone number", "tel": "a phone number",
    "mobile": "a phone number", "cellphone": "a phone number", "telefon": "a phone number",
    "phonenumber": "a phone number", "fax": "a phone number",
    "address": "a postal address", "street": "a postal address", "strasse": "a postal address",
    "postcode": "a postal address", "zip": "a postal address", "zipcode": "a postal address",
    "postalcode": "a postal address", "plz": "a postal address",
    "birthday": "a date of birth", "birthdate": "a date of birth", "dob": "a date of birth",
    "geburtsdatum": "a date of birth",
    "iban": "a bank account", "ssn": "a national identity number", "passport": "an identity document",
    "ip": "an IP address", "ipaddress": "an IP address",
}
# Multi-token spellings: "first_name", "e_mail", "date_of_birth", "phone_number", ...
_PERSONAL_PHRASES = {
    ("first", "name"): "a person's name", ("last", "name"): "a person's name",
    ("full", "name"): "a person's name", ("e", "mail"): "an e-mail address",
    ("date", "of", "birth"): "a date of birth", ("birth", "date"): "a date of birth",
    ("ip", "address"): "an IP address",
}
# Schema columns whose names contain a personal token but are not personal ("brand" is not a name).
_SCHEMA_SAFE = {"customer_id", "respondent_id", "transaction_id"}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# A phone number as exported by CRMs: optional +country, 7-15 digits in groups. ISO dates and
# plain digit runs (which are also what numeric IDs look like) are not taken for phones.
_PHONE = re.compile(r"(\+|00)?\(?\d{1,4}\)?([ .\-/]?\(?\d{1,4}\)?){2,6}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ].*)?")


class PrivacyOptions(BaseModel):
    """``privacy:`` in ``engagement.yaml``: pseudonymised IDs and personal columns.

    Parameters
    ----------
    pseudonymise_ids : bool
        Replace every ``customer_id`` and ``respondent_id`` by a keyed hash at intake, so no raw ID
        reaches the notebooks or any output.
    key_env : str
        Name of the environment variable holding the secret key (at least 16 characters). The key
        is never written to the config or the outputs; the same key gives the same pseudonyms.
    allow_personal_columns : list of str
        Columns that may reach the deliverable although they look like personal data (named like,
        or holding, names, e-mails, phone numbers, ...). Default: none, such columns are refused.
    """

    model_config = ConfigDict(extra="forbid")

    pseudonymise_ids: bool = Field(
        False, description="Replace customer_id and respondent_id by a keyed hash at intake.")
    key_env: str = Field(
        "CVKIT_PSEUDONYM_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the pseudonymisation key (never the key itself).")
    allow_personal_columns: list[str] = Field(
        default_factory=list,
        description="Columns allowed into the deliverable although they look like personal data.")


def read_key(options: PrivacyOptions) -> bytes:
    """The pseudonymisation key from the environment.

    Raises
    ------
    PrivacyError
        If the variable is unset or the key is shorter than :data:`MIN_KEY_LENGTH` characters.
    """
    key = os.environ.get(options.key_env, "")
    if not key:
        raise PrivacyError(
            f"privacy.pseudonymise_ids is true but the environment variable {options.key_env} is not set. "
            f"Fix: export {options.key_env}='<a secret of at least {MIN_KEY_LENGTH} characters>' before "
            "`cvkit run` (keep it outside the engagement folder; the same key gives the same pseudonyms), "
            "or set privacy.pseudonymise_ids: false.")
    if len(key) < MIN_KEY_LENGTH:
        raise PrivacyError(
            f"the key in {options.key_env} has {len(key)} characters; pseudonyms keyed with a short secret "
            f"can be reversed by trying every ID. Fix: use at least {MIN_KEY_LENGTH} random characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`).")
    return key.encode("utf-8")


def key_fingerprint(key: bytes) -> str:
    """8 hex digits telling whether two runs used the same key, without revealing it."""
    return hmac.new(key, b"cvkit key fingerprint", hashlib.sha256).hexdigest()[:8]


def pseudonymise(value: str, key: bytes, namespace: str) -> str:
    """The pseudonym of one ID: ``C-``/``R-`` and 16 hex digits of HMAC-SHA256(key, namespace:value)."""
    digest = hmac.new(key, f"{namespace}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
    return _PREFIX.get(namespace, "") + digest[:_DIGITS]


def pseudonymise_series(ids: pd.Series, key: bytes, namespace: str) -> pd.Series:
    """Pseudonyms of a column of IDs (missing stays missing); hashes each distinct ID once.

    Returns
    -------
    Series
        Same index, pandas ``str`` dtype.
    """
    distinct = ids.dropna().astype("str").unique()
    mapping = {v: pseudonymise(v, key, namespace) for v in distinct}
    return ids.astype("str").map(mapping).where(ids.notna()).astype("str")


def personal_reason(column: str) -> str | None:
    """Why a column name denotes personal data (e.g. ``"an e-mail address"``), or None."""
    norm = normalise_name(column)
    if norm in _SCHEMA_SAFE:
        return None
    tokens = [t for t in re.split(r"[_.]+", norm) if t]
    for i in range(len(tokens)):
        for phrase, reason in _PERSONAL_PHRASES.items():
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                return reason
    for t in tokens:
        if t in _PERSONAL_TOKENS:
            return _PERSONAL_TOKENS[t]
    joined = "".join(tokens)
    return _PERSONAL_TOKENS.get(joined)


def _value_reason(values: pd.Series, is_id: bool) -> tuple[str | None, pd.Series]:
    """Whether text values hold e-mails (any one) or phone numbers (most of them).

    Patterns are matched on the distinct values only: a purchase log repeats each customer ID many times.
    """
    none = pd.Series(False, index=values.index)
    filled = values.dropna()
    if filled.empty or not (pd.api.types.is_string_dtype(filled) or isinstance(filled.dtype, pd.CategoricalDtype)
                            or filled.dtype == object):
        return None, none
    counts = filled.astype("str").value_counts(sort=False)
    text = pd.Series(counts.index, dtype="str")
    email = text.str.fullmatch(_EMAIL.pattern).fillna(False).astype(bool).to_numpy()
    if email.any():
        hits = set(text[email])
        return "e-mail addresses", values.astype("str").isin(hits) & values.notna()
    if is_id:
        return None, none  # digit IDs look like phone numbers: only e-mails count for IDs
    digits = text.str.count(r"\d").fillna(0)
    phone = (text.str.fullmatch(_PHONE.pattern).fillna(False).astype(bool) & digits.between(7, 15)
             & ~text.str.fullmatch(_ISO_DATE.pattern).fillna(False).astype(bool)
             & text.str.contains(r"[+ ()\-./]", regex=True).fillna(False).astype(bool)).to_numpy()
    if phone.any() and counts.to_numpy()[phone].sum() >= 0.5 * len(filled):
        hits = set(text[phone])
        return "phone numbers", values.astype("str").isin(hits) & values.notna()
    return None, none


def _allowed(column: str, allowed: Iterable[str]) -> bool:
    return normalise_name(column) in {normalise_name(a) for a in allowed}


def protect(result: Intake, options: PrivacyOptions) -> dict[str, object]:
    """Apply the privacy rules to an intake result, in place; report refusals as intake problems.

    Parameters
    ----------
    result : Intake
        What :func:`cvkit.data.intake` returned; its tables (and excluded rows) are changed in
        place: ID columns pseudonymised, problems appended for personal columns.
    options : PrivacyOptions
        The engagement's ``privacy:`` section.

    Returns
    -------
    dict
        What was done, for the manifest: ``pseudonymise_ids``, ``key_env``, ``key_fingerprint``
        (or None), ``pseudonymised`` (``kind.column`` list), ``personal_columns_dropped``,
        ``personal_columns_allowed``.

    Raises
    ------
    PrivacyError
        If pseudonymisation is on and the key is missing or weak, or two IDs hash alike.
    """
    record: dict[str, object] = {"pseudonymise_ids": options.pseudonymise_ids, "key_env": options.key_env,
                                 "key_fingerprint": None, "pseudonymised": [],
                                 "personal_columns_dropped": [], "personal_columns_allowed": []}
    for kind, table in result.tables.items():
        _note_dropped_personal_columns(result, kind, table, record)
        for col in _table_columns(table):
            _check_column(result, kind, table, col, options, record)
    if options.pseudonymise_ids:
        _pseudonymise_ids(result, options, record)
    return record


def _table_columns(table) -> Iterable[str]:
    """The columns a checked table holds: read from the Parquet's header when it was streamed."""
    return table.columns_found if getattr(table, "streamed", False) else table.df.columns


def _note_dropped_personal_columns(result: Intake, kind: str, table, record: dict[str, object]) -> None:
    """Say which columns intake ignored (not in the schema) that look personal: they reach no output."""
    for col in table.ignored_columns:
        reason = personal_reason(col)
        if reason:
            record["personal_columns_dropped"].append(f"{kind}.{col}")
            result.notes.append(f"{kind}: column '{col}' looks like {reason}; it is not part of the "
                                f"{kind} schema, so it was dropped at intake and reaches no output.")


def _check_column(result: Intake, kind: str, table, col: str, options: PrivacyOptions,
                  record: dict[str, object]) -> None:
    """Append a Problem when a column is named like or holds personal data and the engagement did not allow it.

    ID columns pass when they are pseudonymised below (their raw values never leave intake).
    """
    is_id = col in ID_NAMESPACES
    by_name = None if col in {c.name for c in table.schema.columns} else personal_reason(col)
    if getattr(table, "streamed", False):
        what, rows, n_hits = _streamed_value_reason(table, col, is_id)
    else:
        what, mask = _value_reason(table.df[col], is_id)
        rows = tuple(int(r) for r in table.row_numbers[mask.to_numpy()][:20]) if what else ()
        n_hits = int(mask.sum()) if what else None
    if not by_name and not what:
        return
    if _allowed(col, options.allow_personal_columns):
        record["personal_columns_allowed"].append(f"{kind}.{col}")
        return
    if is_id and options.pseudonymise_ids:
        return  # hashed below: the raw values never leave intake
    message = (f"column '{col}' is named like {by_name}" if by_name else
               f"column '{col}' holds {what}") + "; personal data must not reach the deliverable."
    result.problems.append(Problem(file=table.source, column=col, message=message,
                                   fix=_personal_column_fix(kind, table, col, is_id, by_name),
                                   rows=rows, n_rows=n_hits))


def _personal_column_fix(kind: str, table, col: str, is_id: bool, by_name: str | None) -> str:
    """The fix a refused personal column's Problem names (pseudonymise, list the attributes, or remove)."""
    if is_id:
        return (f"set privacy.pseudonymise_ids: true (IDs are then replaced by keyed hashes), or list "
                f"'{col}' in privacy.allow_personal_columns if the client agreed to show them.")
    if table.schema.free is not None and by_name:
        return (f"remove the column from the file, or list the {table.schema.free} to use in "
                f"data.{kind}.attributes (other columns are then ignored), or list '{col}' in "
                "privacy.allow_personal_columns if the client agreed to show it.")
    return (f"remove the personal data from '{col}' (or the column from the file), or list "
            f"'{col}' in privacy.allow_personal_columns if the client agreed to show it.")


def _pseudonymise_ids(result: Intake, options: PrivacyOptions, record: dict[str, object]) -> None:
    """Replace every ID column by keyed hashes, one namespace at a time, refusing any collision."""
    key = read_key(options)
    record["key_fingerprint"] = key_fingerprint(key)
    for namespace in sorted(set(ID_NAMESPACES.values())):
        cols = [(kind, col) for kind, t in result.tables.items()
                for col in _table_columns(t) if ID_NAMESPACES.get(col) == namespace]
        raw = pd.concat([_distinct_ids(result.tables[k], c) for k, c in cols]
                        + [pd.Series([], dtype="str")]).unique()
        hashed = {pseudonymise(v, key, namespace) for v in raw}
        if len(hashed) != len(raw):
            raise PrivacyError(f"two different {namespace} IDs got the same pseudonym. Fix: use another key "
                               f"in {options.key_env}.")
        for kind, col in cols:
            t = result.tables[kind]
            if getattr(t, "streamed", False):
                _pseudonymise_streamed(t, col, key, namespace)
            else:
                t.df[col] = pseudonymise_series(t.df[col], key, namespace)
                if col in t.excluded:
                    t.excluded[col] = pseudonymise_series(t.excluded[col], key, namespace)
            record["pseudonymised"].append(f"{kind}.{col}")


# --- tables checked out of core (cvkit.data.stream): the same rules as SQL over their Parquet -------

def _streamed_value_reason(table, col: str, is_id: bool) -> tuple[str | None, tuple[int, ...], int | None]:
    """:func:`_value_reason` for a streamed table: (what, first rows, rows hit)."""
    dtypes = {c.name: c.dtype for c in table.schema.columns + table.schema.group}
    if dtypes.get(col, "float") not in ("id", "str", "category"):
        return None, (), None  # numbers and dates hold no e-mail addresses or phone numbers
    c = f'"{col}"'
    email = f"regexp_full_match({c}, {_sql_text(_EMAIL.pattern)})"
    found = table.query(f"SELECT count_if({email}) AS n, min(_row, 20) FILTER (WHERE {email}) AS rows "
                        f"FROM {{rows}}")
    if len(found) and int(found["n"].iloc[0] or 0):
        return "e-mail addresses", tuple(int(r) for r in found["rows"].iloc[0]), int(found["n"].iloc[0])
    if is_id:
        return None, (), None
    digits = f"length(regexp_replace({c}, '[^0-9]', '', 'g'))"
    phone = (f"regexp_full_match({c}, {_sql_text(_PHONE.pattern)}) AND {digits} BETWEEN 7 AND 15 AND NOT "
             f"regexp_full_match({c}, {_sql_text(_ISO_DATE.pattern)}) AND regexp_matches({c}, '[+ ()\\-./]')")
    found = table.query(f"SELECT count_if({phone}) AS n, count({c}) AS filled, min(_row, 20) FILTER (WHERE {phone}) "
                        f"AS rows FROM {{rows}}")
    n = int(found["n"].iloc[0] or 0) if len(found) else 0
    if n and n >= 0.5 * int(found["filled"].iloc[0]):
        return "phone numbers", tuple(int(r) for r in found["rows"].iloc[0]), n
    return None, (), None


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _distinct_ids(table, col: str) -> pd.Series:
    if getattr(table, "streamed", False):
        return table.query(f'SELECT DISTINCT "{col}" AS id FROM {{rows}} WHERE "{col}" IS NOT NULL')["id"]\
            .astype("str")
    return table.df[col].dropna().astype("str")


def _pseudonymise_streamed(table, col: str, key: bytes, namespace: str) -> None:
    """Replace ``col`` of a streamed table (kept and excluded rows) by pseudonyms, one HMAC per distinct ID."""
    from cvkit.data.stream import duckdb_connection

    distinct = _distinct_ids(table, col).unique()
    mapping = pd.DataFrame({"raw": distinct, "pseudo": [pseudonymise(v, key, namespace) for v in distinct]})
    con = duckdb_connection(table.workdir)
    try:
        con.register("_pseudonyms", mapping)
        table.replace_rows(con, f'SELECT r.* REPLACE (m.pseudo AS "{col}") FROM {{rows}} r '
                                f'LEFT JOIN _pseudonyms m ON r."{col}" = m.raw ORDER BY r._row')
        for path in table.excluded_paths:
            ids = con.execute(f'SELECT DISTINCT "{col}" FROM read_parquet(\'{path}\') WHERE "{col}" IS NOT NULL')\
                .df()[col].astype("str")
            more = pd.DataFrame({"raw": ids, "pseudo": [pseudonymise(v, key, namespace) for v in ids]})
            con.register("_more", more)
            target = path.with_name(path.stem + ".p.parquet")
            con.execute(f'COPY (SELECT e.* REPLACE (m.pseudo AS "{col}") FROM read_parquet(\'{path}\') e '
                        f'LEFT JOIN _more m ON e."{col}" = m.raw ORDER BY e.row) TO \'{target}\' (FORMAT parquet)')
            os.replace(target, path)
    finally:
        con.close()
