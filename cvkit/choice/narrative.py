"""Sentences of the discrete-choice page written from the engagement's own specification and results.

The page must describe *this* study: its attributes, coding, price unit, the
model that actually ran and why. Each function returns Markdown for one
paragraph; the notebook displays it. Nothing here knows the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cvkit.choice.spec import ASC, ChoiceSpec
from cvkit.present import count, words

__all__ = ["join_words", "study_text", "estimation_text", "coding_text", "wtp_title", "price_unit_text"]

_METHODS = {"hb": "hierarchical Bayes (HB)", "latent_class": "a latent-class logit", "mixed": "a mixed logit",
            "mnl": "an aggregate multinomial logit (MNL)", "imported utilities": "imported utilities"}


def join_words(words: Sequence[Any]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    words = [str(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _label(a: str) -> str:
    """An attribute in a sentence: the engagement's words for it (``labels:``), else its name."""
    if a == ASC:
        return "the alternative itself (its constant)"
    return words(a) if words(a) != a else a.replace("_", " ")


def _word(code: Any) -> str:
    """A level or alternative in a sentence: the engagement's words for it, else the code."""
    return words(str(code))


def price_unit_text(spec: ChoiceSpec, price_unit: str) -> str:
    """What one unit of the price attribute is, e.g. ``"cents/kWh"``."""
    return price_unit if spec.price else ""


def study_text(spec: ChoiceSpec, *, n_respondents: int | None, n_tasks: int | None,
               alternatives_per_task: float | None, labelled: Sequence[Any] | None = None) -> str:
    """The opening paragraph: what respondents chose between, in this study's words."""
    attrs = [a for a in spec.attributes if a != ASC]
    what = (f"between the alternatives {join_words([_word(x) for x in labelled])}" if labelled
            else "between alternatives")
    none = " (or none of them)" if spec.none else ""
    size = ""
    if n_respondents:
        per = n_tasks / n_respondents if n_tasks else 0
        size = (f" {count(n_respondents)} respondents answered {count(n_tasks or 0)} choice tasks"
                f" ({per:.3g} each on average, {alternatives_per_task:.2g} alternatives per task).")
    return (f"Respondents chose {what}{none}, described by {join_words([_label(a) for a in attrs])}.{size} From "
            "those trade-offs this page estimates what each attribute is worth, in utility"
            + (" and in the price's own unit" if spec.price else "") + ", and how choices would shift when an "
            "alternative changes.")


def estimation_text(method_asked: str, method_used: str, reason: str | None, holdout: int | None) -> str:
    """Which model ran, and why it is not the one asked for when it is not."""
    used = _METHODS.get(method_used, method_used)
    text = f"The part-worths on this page come from {used}."
    if method_used != method_asked:
        asked = _METHODS.get(method_asked, method_asked)
        text += f" {asked[0].upper() + asked[1:]} was asked for, but {reason}."
    if method_used == "hb":
        text += (" HB estimates part-worths for every respondent, borrowing strength from the whole sample; an "
                 "aggregate logit is fitted alongside as a baseline.")
    elif method_used == "mnl":
        text += (" It gives one set of part-worths for the whole sample (no respondent-level differences), with "
                 "standard errors from the information matrix.")
    text += (f" Task {holdout} is held out of estimation to test predictions." if holdout else
             " No task is held out, so fit is judged in-sample only.")
    return text


def coding_text(spec: ChoiceSpec, price_unit: str) -> str:
    """How levels are coded, in this specification's terms."""
    cat = [a for a in spec.attributes if a not in spec.linear and a != ASC]
    parts = []
    if cat:
        first = join_words([f"{_label(a)} = {_word(spec.levels(a)[0])}" for a in cat[:3]])
        parts.append(
            f"{join_words([_label(a) for a in cat])} {'are' if len(cat) > 1 else 'is'} effects coded: within an attribute the levels are "
            "centred on zero, so a positive part-worth is better than the attribute's average level."
            if spec.coding == "effects" else
            f"{join_words([_label(a) for a in cat])} {'are' if len(cat) > 1 else 'is'} dummy coded: each attribute's first level is "
            f"the reference at 0 ({first}), so a part-worth is the utility of a level compared with it.")
    lin = [a for a in spec.linear]
    if lin:
        unit = {spec.price: price_unit} if spec.price else {}
        slopes = join_words([_label(a) + (f" (in {unit[a]})" if a in unit and unit[a] and unit[a] not in _label(a)
                                          else "") for a in lin])
        parts.append(f"{slopes} {'enter' if len(lin) > 1 else 'enters'} as one utility slope per unit, shown at "
                     "points of the tested range.")
    if spec.alternatives is not None:
        parts.append(f"Alternative-specific constants capture what the alternatives' labels are worth beyond "
                     f"their attributes ({join_words([_word(x) for x in spec.alternatives])}; "
                     f"{_word(spec.alternatives[0])} is the "
                     "reference at 0).")
    if spec.none:
        parts.append("The none option has its own constant.")
    return " ".join(parts) + (" Only differences within an attribute mean something; compare attributes "
                              "through importances and willingness to pay.")


def wtp_title(price_unit: str) -> str:
    """Title of the ratio-method WTP chart, in the price's unit."""
    return f"Willingness to pay in {price_unit} vs the first level (ratio method, 95% intervals)"
