"""Output: the API's JSON unchanged (``json``: one document; ``jsonl``: one object a line), or
tables for people that fit the terminal. Times in tables are relative or ISO-8601."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import click

FORMATS = ("table", "json", "jsonl")
TIME_FORMATS = ("relative", "iso")
ELLIPSIS = "…"
MIN_COLUMN = 6
GAP = "  "
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?")


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def emit_jsonl(values: Iterable[Any]) -> None:
    for value in values:
        click.echo(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def emit_document(value: Any, output: str) -> None:
    """One API object: indented JSON, or one line."""
    if output == "json":
        emit_json(value)
    else:
        emit_jsonl([value])


def emit_documents(values: Sequence[Any], output: str) -> None:
    """A list of API objects: a JSON array, or one object a line."""
    if output == "json":
        emit_json(list(values))
    else:
        emit_jsonl(values)


def terminal_width() -> int | None:
    """``$COLUMNS``, else the terminal's width; ``None`` (no cutting) when output is not a terminal."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def fit_line(line: str) -> str:
    """The line, cut to the terminal's width."""
    limit = terminal_width()
    return _fit(line, limit) if limit is not None else line


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], shrinkable: Sequence[str] = ()) -> str:
    """Aligned columns. When wider than the terminal, the ``shrinkable`` columns (by header, the
    first one first) lose characters down to ``MIN_COLUMN``; lines still too wide are cut."""
    cells = [[cell.replace("\n", " ") for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[index]) for row in cells)]) for index, header in enumerate(headers)]
    limit = terminal_width()
    if limit is not None:
        excess = sum(widths) + len(GAP) * (len(widths) - 1) - limit
        for index in (headers.index(name) for name in shrinkable):
            cut = max(min(excess, widths[index] - MIN_COLUMN), 0)
            widths[index] -= cut
            excess -= cut
    lines = []
    for row in [list(headers), *cells]:
        line = GAP.join(_fit(cell, widths[index]).ljust(widths[index]) for index, cell in enumerate(row)).rstrip()
        lines.append(_fit(line, limit) if limit is not None else line)
    return "\n".join(lines)


def key_values(pairs: Sequence[tuple[str, str]]) -> str:
    width = max(len(key) for key, _ in pairs)
    return "\n".join(fit_line(f"{key.ljust(width)}  {value}") for key, value in pairs)


def parse_instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def instant(value: str | None, time_format: str, now: datetime | None = None) -> str:
    """``5m ago`` / ``in 2h`` (relative), or the API's ISO-8601 text; ``-`` for none."""
    if not value:
        return "-"
    if time_format == "iso":
        return value
    delta = ((now or datetime.now(UTC)) - parse_instant(value)).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"{_span(delta)} ago" if delta > 0 else f"in {_span(delta)}"


def offset(value: str, origin: str | None, time_format: str) -> str:
    """A history event's time: its offset from the execution's start (relative), or ISO-8601."""
    if time_format == "iso" or not origin:
        return value
    return f"+{(parse_instant(value) - parse_instant(origin)).total_seconds():.2f}s"


def duration(value: str | None) -> str:
    """``PT1H2M3S`` as ``1h2m3s``."""
    match = _DURATION.fullmatch(value or "")
    if not value or not match:
        return value or "-"
    parts = [f"{amount}{unit}" for amount, unit in zip(match.groups(), "dhms", strict=True) if amount and float(amount)]
    return "".join(parts) or "0s"


def compact(value: Any) -> str:
    """A JSON value on one line; ``-`` for none."""
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
