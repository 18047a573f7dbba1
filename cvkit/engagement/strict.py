"""The one strict pydantic base and the one way to turn a ValidationError into readable problems.

Both the engagement config (:mod:`cvkit.engagement.config`) and the results contract
(:mod:`cvkit.engagement.results`) refuse unknown keys (:class:`Strict`) and explain every failing
field (:func:`explain`); each says in its own words what the fix is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["Strict", "explain", "error_location"]


class Strict(BaseModel):
    """Unknown fields are refused, so a misspelt key fails loudly instead of being ignored."""

    model_config = ConfigDict(extra="forbid")


def error_location(err: dict[str, Any]) -> list[str]:
    """The path of a pydantic error as the user wrote it (union members and validator wrappers dropped)."""
    loc = [str(p) for p in err["loc"]]
    return [p for p in loc if p not in {"FileSpec", "function-before[_path_shorthand(), nullable[FileSpec]]"}
            and not p.startswith("function-")]


def explain(exc: ValidationError, describe: Callable[[list[str], dict[str, Any]], str]) -> list[str]:
    """One problem per failing field: ``describe(location, error)`` words it."""
    return [describe(error_location(err), err) for err in exc.errors()]
