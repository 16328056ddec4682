"""Time formats of the API: ISO-8601 instants and durations, always UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from execution_api.models.errors import InvalidRequest


def iso_millis(moment: datetime) -> str:
    """Fixed-width UTC instant, so that strings sort as the instants do (``isoformat`` pads the
    year to four digits; ``strftime("%Y")`` does not on every platform)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_instant(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    """An ISO-8601 date or date-time; a bare date means its first (or last) millisecond."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            moment = datetime.combine(day, time.max if end_of_day else time.min, UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        # An offset can carry an instant past year 1 or 9999: out of range is invalid too.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise InvalidRequest(f"{field}: must be an ISO-8601 date or date-time, e.g. 2024-01-15T10:30:00Z") from error


def iso_duration(elapsed: timedelta) -> str:
    """``PT5M``-style duration, whole seconds."""
    seconds = max(int(elapsed.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    if clock or not days:
        text += "T" + (clock or "0S")
    return text


_DURATION_UNITS = {"D": 86400, "H": 3600, "M": 60, "S": 1}


def parse_duration_seconds(value: str, field: str) -> int:
    """Seconds in an ISO-8601 duration of days and time (``PT1H``, ``P1DT30M``)."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value.strip().upper())
    if not match or value.strip().upper() in ("P", "PT") or value.strip().upper().endswith("T"):
        raise InvalidRequest(f"{field}: must be an ISO-8601 duration such as PT1H or PT30M")
    parts = dict(zip("DHMS", match.groups(), strict=True))
    return sum(int(amount) * _DURATION_UNITS[unit] for unit, amount in parts.items() if amount)
