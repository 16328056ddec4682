from datetime import UTC, datetime, timedelta, timezone

import pytest

from execution_api.infra.timefmt import iso_duration, iso_millis, parse_duration_seconds, parse_instant
from execution_api.models.errors import InvalidRequest


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 1, 15, 10, 30, tzinfo=UTC), "2024-01-15T10:30:00.000Z"),
        (datetime(2024, 1, 15, 10, 30, 0, 5_999, tzinfo=UTC), "2024-01-15T10:30:00.005Z"),
        (datetime(2024, 1, 15, 12, 30, 0, 999_999, tzinfo=timezone(timedelta(hours=2))), "2024-01-15T10:30:00.999Z"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59.000Z"),
    ],
)
def test_iso_millis_is_fixed_width_utc(moment, text):
    assert iso_millis(moment) == text
    assert len(iso_millis(moment)) == 24


def test_iso_millis_strings_sort_as_the_instants_do():
    base = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    moments = [
        base,
        base + timedelta(milliseconds=1),
        base + timedelta(milliseconds=10),
        base + timedelta(seconds=9),
        base + timedelta(seconds=10),
        base - timedelta(days=400),
        datetime(999, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 15, 11, 0, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, tzinfo=UTC),
    ]

    assert sorted(moments, key=iso_millis) == sorted(moments)


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        ("2024-01-15", False, datetime(2024, 1, 15, tzinfo=UTC)),
        ("2024-01-15", True, datetime(2024, 1, 15, 23, 59, 59, 999_999, tzinfo=UTC)),
        ("2024-01-15T10:30:00Z", True, datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.250z", False, datetime(2024, 1, 15, 10, 30, 0, 250_000, tzinfo=UTC)),
        ("2024-01-15T12:30:00+02:00", False, datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00", False, datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (" 2024-01-15 ", False, datetime(2024, 1, 15, tzinfo=UTC)),
    ],
)
def test_parse_instant_reads_dates_and_date_times_as_utc(text, end_of_day, expected):
    parsed = parse_instant(text, "endDate", end_of_day=end_of_day)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_a_bare_end_date_covers_its_last_millisecond():
    end = parse_instant("2024-01-15", "endDate", end_of_day=True)

    assert iso_millis(end) == "2024-01-15T23:59:59.999Z"


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2024-13-01",
        "2024-02-30",
        "15/01/2024",
        "2024-01-15T25:00:00Z",
        "",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_parse_instant_rejects_anything_else_naming_the_field(text):
    with pytest.raises(InvalidRequest) as raised:
        parse_instant(text, "startDate")

    assert raised.value.message.startswith("startDate:")


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(seconds=59.9), "PT59S"),
        (timedelta(minutes=5), "PT5M"),
        (timedelta(hours=1, minutes=2, seconds=3), "PT1H2M3S"),
        (timedelta(days=2), "P2D"),
        (timedelta(days=1, hours=3), "P1DT3H"),
        (timedelta(seconds=-5), "PT0S"),
    ],
)
def test_iso_duration(elapsed, text):
    assert iso_duration(elapsed) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT1H", 3600), ("PT30M", 1800), ("PT45S", 45), ("P1DT30M", 88200), ("P1D", 86400), ("pt1h", 3600)],
)
def test_parse_duration_seconds(text, seconds):
    assert parse_duration_seconds(text, "duration") == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1H", "PT1.5H", "PT-1H", "P1W"])
def test_parse_duration_rejects_other_forms_naming_the_field(text):
    with pytest.raises(InvalidRequest) as raised:
        parse_duration_seconds(text, "duration")

    assert raised.value.message.startswith("duration:")


def test_durations_round_trip():
    for seconds in (1, 59, 60, 3599, 3600, 86399, 86400, 90061):
        assert parse_duration_seconds(iso_duration(timedelta(seconds=seconds)), "d") == seconds
