"""Sentences a notebook prints, made client-readable: method codes named, snake_case words split,
floats cut to a readable precision. A safety net under the pages' printed text and markdown output;
tables get the same treatment from :mod:`cvkit.present.table`."""

from __future__ import annotations

import re

from cvkit.present.glossary import VALUE_LABELS

__all__ = ["client_text", "client_markdown"]

_CODES = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(VALUE_LABELS, key=len, reverse=True)
                                      if "_" in k or k.islower()) + r")\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_LONG_FLOAT = re.compile(r"(?<![\w.])(\d+)\.(\d{4,})\b")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def _float(m: re.Match) -> str:
    value = float(m.group(0))
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}" if value >= 0.001 else "< 0.001"


def client_text(text: str) -> str:
    """``model used for CLV: bg_nbd`` -> ``model used for CLV: BG/NBD``; ``0.025517`` -> ``0.026``."""
    text = _CODES.sub(lambda m: VALUE_LABELS[m.group(0)] if len(m.group(0)) > 2 else m.group(0), str(text))
    text = _SNAKE.sub(lambda m: m.group(0).replace("_", " "), text)
    return _LONG_FLOAT.sub(_float, text)


def client_markdown(markdown: str) -> str:
    """:func:`client_text` outside code spans (code keeps its exact text)."""
    out, last = [], 0
    for m in _CODE_SPAN.finditer(str(markdown)):
        out.append(client_text(markdown[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(client_text(markdown[last:]))
    return "".join(out)
