"""Text that every writer can store: the characters XML 1.0 forbids, removed.

xlsx (openpyxl) and docx (python-docx) are XML: a NUL, \\x01…\\x08, \\x0b, \\x0c, \\x0e…\\x1f, a lone
surrogate or U+FFFE/U+FFFF in a cell makes the writer fail (openpyxl raises IllegalCharacterError,
lxml refuses the string). Imports remove them with a warning; text stored before that check
(or typed elsewhere) is cleaned again on the way out, so an export never fails on stored text.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar

import pandas as pd

T = TypeVar("T")

# tab, newline and carriage return stay; a vertical tab or form feed (Word's manual line and page
# breaks pasted into a cell) becomes a newline; the other controls go
ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
BREAKS = re.compile("[\x0b\x0c]")


def clean_cell(text: str) -> str:
    """The text without characters XML cannot hold (vertical tab and form feed → newline)."""
    if text.isprintable():  # the common case, one C loop
        return text
    return ILLEGAL.sub("", BREAKS.sub("\n", text))


def clean_value(value: object) -> object:
    """clean_cell for text; anything else unchanged."""
    return clean_cell(value) if isinstance(value, str) else value


def has_illegal(text: str) -> bool:
    return bool(ILLEGAL.search(text) or BREAKS.search(text))


def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with clean_cell applied to its text cells (the same frame when none needs it)."""
    dirty = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)
        if frame[c]
        .map(lambda v: isinstance(v, str) and not v.isprintable() and has_illegal(v))
        .any()
    ]
    if not dirty:
        return frame
    out = frame.copy()
    for c in dirty:
        out[c] = out[c].map(clean_value)
    return out


def clean_deep(value: T) -> T:
    """A copy of a document's content (dataclasses, lists, dicts, text) with every text cleaned."""
    if isinstance(value, str):
        return clean_cell(value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [clean_deep(v) for v in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(clean_deep(v) for v in value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {clean_deep(k): clean_deep(v) for k, v in value.items()}  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: clean_deep(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
