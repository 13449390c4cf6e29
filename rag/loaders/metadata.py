"""Metadata values as the index stores them: JSON types, ISO dates, no empty strings.

Front matter (YAML) and law XML hand over dates, nested containers and compact dates such
as ``20260120``; documents keep JSON-safe values so the index can be written as JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def json_safe(value: Any) -> Any:
    """Front-matter values as JSON types: dates become ISO strings, containers recurse."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def iso_date(value: str) -> str:
    """``20260120`` → ``2026-01-20``; anything else unchanged."""
    match = _COMPACT_DATE.match(value)
    return "-".join(match.groups()) if match else value


def optional_str(value: Any) -> str | None:
    """``value`` as a stripped string (compact dates made ISO), or ``None`` when empty."""
    return iso_date(str(value).strip()) if value is not None and str(value).strip() else None


def pop_first(meta: dict[str, Any], *keys: str) -> Any:
    """Remove ``keys`` from ``meta`` and return the first non-empty value among them."""
    values = [meta.pop(key, None) for key in keys]
    return next((value for value in values if value not in (None, "")), None)
