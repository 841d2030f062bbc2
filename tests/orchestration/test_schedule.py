"""Schedule expressions: cron(...) and rate(...) parsing, fire times, descriptions and the minimum interval.

Expected fire times were worked out by hand with a calendar, not by running the implementation.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gluelab.errors import InvalidInputException
from gluelab.orchestration.schedule import (
    Schedule,
    check_min_interval,
    describe,
    next_fire_times,
    parse_schedule,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# (expression, after, anchor, next three fire times)
FIRE_TIMES = [
    pytest.param(
        "cron(0 0 * * ? *)",
        utc(2026, 3, 10, 12),
        None,
        [utc(2026, 3, 11), utc(2026, 3, 12), utc(2026, 3, 13)],
        id="daily-midnight",
    ),
    pytest.param(
        "cron(0 0 * * ? *)",
        utc(2026, 12, 30, 23, 59, 30),
        None,
        [utc(2026, 12, 31), utc(2027, 1, 1), utc(2027, 1, 2)],
        id="daily-midnight-across-new-year",
    ),
    pytest.param(
        "cron(15 12 * * ? *)",
        utc(2026, 3, 10, 12, 15),
        None,
        [utc(2026, 3, 11, 12, 15), utc(2026, 3, 12, 12, 15), utc(2026, 3, 13, 12, 15)],
        id="strictly-after-a-fire-time",
    ),
    pytest.param(
        "cron(15 12 * * ? *)",
        utc(2026, 3, 10, 12, 14, 59),
        None,
        [utc(2026, 3, 10, 12, 15), utc(2026, 3, 11, 12, 15), utc(2026, 3, 12, 12, 15)],
        id="a-second-before-a-fire-time",
    ),
    pytest.param(
        "cron(0/15 * * * ? *)",
        utc(2026, 3, 10, 23, 40),
        None,
        [utc(2026, 3, 10, 23, 45), utc(2026, 3, 11, 0, 0), utc(2026, 3, 11, 0, 15)],
        id="every-15-minutes",
    ),
    pytest.param(
        "cron(0 18 ? * MON-FRI *)",
        utc(2026, 8, 7, 18),  # a Friday
        None,
        [utc(2026, 8, 10, 18), utc(2026, 8, 11, 18), utc(2026, 8, 12, 18)],
        id="weekdays-skip-the-weekend",
    ),
    pytest.param(
        " CRON ( 0 18 ? * mon-fri * ) ",
        utc(2026, 8, 7, 18),
        None,
        [utc(2026, 8, 10, 18), utc(2026, 8, 11, 18), utc(2026, 8, 12, 18)],
        id="case-and-whitespace-tolerated",
    ),
    pytest.param(
        "cron(0 12 ? * MON,WED,FRI *)",
        utc(2026, 8, 3, 12),  # a Monday
        None,
        [utc(2026, 8, 5, 12), utc(2026, 8, 7, 12), utc(2026, 8, 10, 12)],
        id="weekday-list",
    ),
    pytest.param(
        "cron(0 0 ? * L *)",
        utc(2026, 8, 1),  # a Saturday
        None,
        [utc(2026, 8, 8), utc(2026, 8, 15), utc(2026, 8, 22)],
        id="L-in-day-of-week-is-saturday",
    ),
    pytest.param(
        "cron(0 10 ? * 2#1 *)",
        utc(2026, 1, 1),
        None,
        [utc(2026, 1, 5, 10), utc(2026, 2, 2, 10), utc(2026, 3, 2, 10)],
        id="first-monday",
    ),
    pytest.param(
        "cron(0 10 ? * MON#1 *)",
        utc(2026, 6, 1, 10),  # the first Monday of June, at its fire time
        None,
        [utc(2026, 7, 6, 10), utc(2026, 8, 3, 10), utc(2026, 9, 7, 10)],
        id="first-monday-by-name",
    ),
    pytest.param(
        "cron(0 0 ? * 5#5 *)",
        utc(2026, 1, 1),
        None,
        [utc(2026, 1, 29), utc(2026, 4, 30), utc(2026, 7, 30)],
        id="fifth-thursday-skips-months-without-one",
    ),
    pytest.param(
        "cron(0 0 L * ? *)",
        utc(2028, 1, 15),
        None,
        [utc(2028, 1, 31), utc(2028, 2, 29), utc(2028, 3, 31)],
        id="last-day-of-month-leap-february",
    ),
    pytest.param(
        "cron(0 0 L-2 * ? *)",
        utc(2027, 1, 30),  # January's L-2 (the 29th) has passed
        None,
        [utc(2027, 2, 26), utc(2027, 3, 29), utc(2027, 4, 28)],
        id="two-days-before-the-last",
    ),
    pytest.param(
        "cron(0 9 15W * ? *)",
        utc(2026, 8, 1),  # 2026-08-15 is a Saturday
        None,
        [utc(2026, 8, 14, 9), utc(2026, 9, 15, 9), utc(2026, 10, 15, 9)],
        id="15W-saturday-moves-to-friday",
    ),
    pytest.param(
        "cron(0 9 15W * ? *)",
        utc(2026, 11, 1),  # 2026-11-15 is a Sunday
        None,
        [utc(2026, 11, 16, 9), utc(2026, 12, 15, 9), utc(2027, 1, 15, 9)],
        id="15W-sunday-moves-to-monday",
    ),
    pytest.param(
        "cron(0 9 1W * ? *)",
        utc(2026, 7, 15),  # 2026-08-01 is a Saturday
        None,
        [utc(2026, 8, 3, 9), utc(2026, 9, 1, 9), utc(2026, 10, 1, 9)],
        id="1W-saturday-stays-in-the-month",
    ),
    pytest.param(
        "cron(0 9 1W * ? *)",
        utc(2026, 10, 15),  # 2026-11-01 is a Sunday
        None,
        [utc(2026, 11, 2, 9), utc(2026, 12, 1, 9), utc(2027, 1, 1, 9)],
        id="1W-sunday",
    ),
    pytest.param(
        "cron(0 9 LW * ? *)",
        utc(2026, 1, 1),  # 2026-01-31 and 2026-02-28 are Saturdays
        None,
        [utc(2026, 1, 30, 9), utc(2026, 2, 27, 9), utc(2026, 3, 31, 9)],
        id="last-weekday",
    ),
    pytest.param(
        "cron(0 9 LW * ? *)",
        utc(2026, 4, 30, 9),  # 2026-05-31 is a Sunday
        None,
        [utc(2026, 5, 29, 9), utc(2026, 6, 30, 9), utc(2026, 7, 31, 9)],
        id="last-weekday-sunday",
    ),
    pytest.param(
        "cron(0 0 ? * 6L *)",
        utc(2026, 1, 1),
        None,
        [utc(2026, 1, 30), utc(2026, 2, 27), utc(2026, 3, 27)],
        id="last-friday",
    ),
    pytest.param(
        "cron(0 0 ? * FRIL *)",
        utc(2026, 7, 1),
        None,
        [utc(2026, 7, 31), utc(2026, 8, 28), utc(2026, 9, 25)],
        id="last-friday-by-name",
    ),
    pytest.param(
        "cron(30 8 1,15 JAN,JUL ? 2027-2028)",
        utc(2026, 5, 1),
        None,
        [utc(2027, 1, 1, 8, 30), utc(2027, 1, 15, 8, 30), utc(2027, 7, 1, 8, 30)],
        id="days-months-and-years",
    ),
    pytest.param(
        "cron(0 0 29 FEB ? *)",
        utc(2027, 1, 1),
        None,
        [utc(2028, 2, 29), utc(2032, 2, 29), utc(2036, 2, 29)],
        id="leap-day",
    ),
    pytest.param(
        "cron(0 0 29 FEB ? *)",
        utc(2096, 3, 1),
        None,
        [utc(2104, 2, 29), utc(2108, 2, 29), utc(2112, 2, 29)],
        id="leap-day-skips-2100",
    ),
    pytest.param(
        "cron(0 9 31W * ? *)",
        utc(2026, 4, 1),  # April and June have no 31st; 2026-05-31 is a Sunday, 2026-07-31 a Friday
        None,
        [utc(2026, 5, 29, 9), utc(2026, 7, 31, 9), utc(2026, 8, 31, 9)],
        id="31W-only-in-long-months",
    ),
    pytest.param(
        "cron(0 0 31 * ? *)",
        utc(2026, 1, 31),
        None,
        [utc(2026, 3, 31), utc(2026, 5, 31), utc(2026, 7, 31)],
        id="31st-skips-short-months",
    ),
    pytest.param(
        "cron(0 12 1 JAN ? 2027,2029,2031)",
        utc(2026, 6, 1),
        None,
        [utc(2027, 1, 1, 12), utc(2029, 1, 1, 12), utc(2031, 1, 1, 12)],
        id="year-list",
    ),
    pytest.param(
        "cron(0 0 1 * ? *)",
        utc(2026, 12, 15),
        None,
        [utc(2027, 1, 1), utc(2027, 2, 1), utc(2027, 3, 1)],
        id="first-of-month-across-years",
    ),
    pytest.param(
        "cron(0 0/6 * * ? *)",
        utc(2026, 3, 10, 13),
        None,
        [utc(2026, 3, 10, 18), utc(2026, 3, 11, 0), utc(2026, 3, 11, 6)],
        id="every-6-hours",
    ),
    pytest.param(
        "cron(0 1-5/2 * * ? *)",
        utc(2026, 3, 10, 4),
        None,
        [utc(2026, 3, 10, 5), utc(2026, 3, 11, 1), utc(2026, 3, 11, 3)],
        id="hour-range-with-step",
    ),
    pytest.param(
        "cron(0 * * * ? *)",
        datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=2))),  # 10:00 UTC
        None,
        [utc(2026, 3, 10, 11), utc(2026, 3, 10, 12), utc(2026, 3, 10, 13)],
        id="aware-after-converted-to-utc",
    ),
    pytest.param(
        "cron(0 * * * ? *)",
        datetime(2026, 3, 10, 10, 0),  # naive: UTC
        None,
        [utc(2026, 3, 10, 11), utc(2026, 3, 10, 12), utc(2026, 3, 10, 13)],
        id="naive-after-is-utc",
    ),
    pytest.param(
        "rate(5 minutes)",
        utc(2026, 3, 10, 12, 3, 20),
        None,
        [utc(2026, 3, 10, 12, 5), utc(2026, 3, 10, 12, 10), utc(2026, 3, 10, 12, 15)],
        id="rate-5-minutes-from-the-epoch",
    ),
    pytest.param(
        "rate(5 minutes)",
        utc(2026, 3, 10, 12, 3, 20),
        utc(2026, 3, 10, 12, 1, 30),
        [utc(2026, 3, 10, 12, 6, 30), utc(2026, 3, 10, 12, 11, 30), utc(2026, 3, 10, 12, 16, 30)],
        id="rate-5-minutes-from-an-anchor",
    ),
    pytest.param(
        "rate(5 minutes)",
        utc(2026, 3, 10, 12),
        utc(2026, 3, 10, 13),
        [utc(2026, 3, 10, 13, 5), utc(2026, 3, 10, 13, 10), utc(2026, 3, 10, 13, 15)],
        id="rate-first-fire-is-one-interval-after-the-anchor",
    ),
    pytest.param(
        "rate(1 hour)",
        utc(2026, 3, 10, 12),
        None,
        [utc(2026, 3, 10, 13), utc(2026, 3, 10, 14), utc(2026, 3, 10, 15)],
        id="rate-1-hour",
    ),
    pytest.param(
        "rate(2 days)",
        utc(2026, 3, 9, 6),  # 2026-03-10 is day 20522 after the epoch, an even number
        None,
        [utc(2026, 3, 10), utc(2026, 3, 12), utc(2026, 3, 14)],
        id="rate-2-days-from-the-epoch",
    ),
    pytest.param(
        "rate(2 days)",
        utc(2026, 3, 10),
        utc(2026, 3, 1, 6),
        [utc(2026, 3, 11, 6), utc(2026, 3, 13, 6), utc(2026, 3, 15, 6)],
        id="rate-2-days-from-an-anchor",
    ),
]


@pytest.mark.parametrize(("expression", "after", "anchor", "expected"), FIRE_TIMES)
def test_next_three_fire_times(expression, after, anchor, expected):
    times = parse_schedule(expression).fire_times(after, 3, anchor=anchor)
    assert times == expected
    assert all(t.tzinfo is UTC for t in times)
    assert next_fire_times(expression, 3, after=after, anchor=anchor) == expected


def test_next_after_is_the_first_fire_time():
    schedule = parse_schedule("cron(0 9 15W * ? *)")
    assert schedule.next_after(utc(2026, 8, 1)) == utc(2026, 8, 14, 9)


def test_cron_results_have_no_seconds():
    fired = parse_schedule("cron(* * * * ? *)").next_after(datetime(2026, 3, 10, 12, 0, 59, 999999))
    assert fired == utc(2026, 3, 10, 12, 1)


def test_a_schedule_that_runs_out_returns_what_is_left():
    schedule = parse_schedule("cron(30 8 1,15 JAN,JUL ? 2027-2028)")
    assert schedule.fire_times(utc(2028, 7, 1, 9), 3) == [utc(2028, 7, 15, 8, 30)]
    assert schedule.next_after(utc(2028, 7, 15, 8, 30)) is None


@pytest.mark.parametrize(
    "expression",
    ["cron(0 0 30 FEB ? *)", "cron(0 0 31 APR,JUN,SEP,NOV ? *)", "cron(0 0 ? FEB 2#5 2027)"],
)
def test_never_firing_expressions_return_none_quickly(expression):
    schedule = parse_schedule(expression)  # valid to parse
    started = time.perf_counter()
    assert schedule.next_after(utc(1970, 1, 1)) is None
    assert schedule.fire_times(utc(2026, 1, 1), 5) == []
    assert schedule.shortest_interval(utc(2026, 1, 1)) is None
    assert time.perf_counter() - started < 2


def test_far_away_fire_times_are_found_quickly():
    started = time.perf_counter()
    assert parse_schedule("cron(0 0 29 FEB ? *)").next_after(utc(2027, 1, 1)) == utc(2028, 2, 29)
    assert parse_schedule("cron(59 23 31 DEC ? 2199)").next_after(utc(1970, 1, 1)) == utc(
        2199, 12, 31, 23, 59
    )
    assert time.perf_counter() - started < 1


def test_nothing_fires_after_the_last_cron_year():
    assert parse_schedule("cron(0 0 * * ? *)").next_after(utc(2199, 12, 31)) is None
    assert parse_schedule("cron(0 0 * * ? *)").next_after(utc(2300, 1, 1)) is None


def test_before_1970_starts_in_1970():
    assert parse_schedule("cron(0 0 * * ? *)").next_after(utc(1900, 6, 1)) == utc(1970, 1, 1)


INVALID = [
    ("cron(0 0 * * *)", "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"),
    ("cron(0 0 * * ? * *)", "got 7"),
    ("cron(61 0 * * ? *)", "minutes value 61 is out of range 0-59"),
    ("cron(0 24 * * ? *)", "hours value 24 is out of range 0-23"),
    ("cron(0 0 0 * ? *)", "day-of-month value 0 is out of range 1-31"),
    ("cron(0 0 32 * ? *)", "day-of-month value 32 is out of range 1-31"),
    ("cron(0 0 1 13 ? *)", "month value 13 is out of range 1-12"),
    ("cron(0 0 ? * 8 *)", "day-of-week value 8 is out of range 1-7"),
    ("cron(0 0 ? * 0 *)", "day-of-week value 0 is out of range 1-7"),
    ("cron(0 0 1 1 ? 1969)", "year value 1969 is out of range 1970-2199"),
    ("cron(0 0 1 1 ? 2200)", "year value 2200 is out of range 1970-2199"),
    ("cron(0 0 1 JANUARY ? *)", "unknown month name 'JANUARY'"),
    ("cron(0 0 ? * MONDAY *)", "unknown day-of-week name 'MONDAY'"),
    ("cron(0 0 * * MON *)", "day-of-month and day-of-week cannot both be specified: one must be '?'"),
    ("cron(0 0 ? * ? *)", "day-of-month and day-of-week cannot both be '?'"),
    ("cron(0 0 1,? * ? *)", "'?' must be the whole day-of-month field, got '1,?'"),
    ("cron(0 0 ? * MON,? *)", "'?' must be the whole day-of-week field, got 'MON,?'"),
    ("cron(? 0 1 * ? *)", "'?' is only allowed in day-of-month or day-of-week, not in minutes"),
    ("every 5 minutes", "expected cron(...) or rate(...)"),
    ("at(2027-01-01T00:00:00)", "expected cron(...) or rate(...)"),
    ("cron(0 0 * * ? *", "expected cron(...) or rate(...)"),
    ("", "expected cron(...) or rate(...)"),
    ("cron(0 0 32W * ? *)", "'32W': day 32 is out of range 1-31"),
    ("cron(0 0 1-5W * ? *)", "'1-5W': W needs one day of the month"),
    ("cron(0 0 L-31 * ? *)", "'L-31': L-n needs a number of days n from 0 to 30"),
    ("cron(0 0 ? * MON#6 *)", "'MON#6': #6 is not an occurrence 1-5"),
    ("cron(0 0 ? * 2#0 *)", "'2#0': #0 is not an occurrence 1-5"),
    ("cron(0 0 ? * 8L *)", "day-of-week value 8 is out of range 1-7"),
    ("cron(0/0 * * * ? *)", "step 0 in minutes value '0/0': the step must be at least 1"),
    ("cron(*/x * * * ? *)", "invalid step 'x' in minutes value '*/x'"),
    ("cron(0 10-5 * * ? *)", "hours range 10-5 is reversed"),
    ("cron(0 0 ? * FRI-MON *)", "day-of-week range FRI-MON is reversed"),
    ("cron(0 0 1 DEC-JAN ? *)", "month range DEC-JAN is reversed"),
    ("cron(0,,5 0 * * ? *)", "empty value in minutes field"),
    ("cron(a 0 * * ? *)", "invalid minutes value 'a'"),
    ("cron(-5 0 * * ? *)", "invalid minutes value '-5'"),
    ("cron(0 0 L * MON *)", "cannot both be specified"),
    ("rate(0 minutes)", "rate value must be a positive whole number, got '0'"),
    ("rate(-5 minutes)", "rate value must be a positive whole number, got '-5'"),
    ("rate(1.5 hours)", "rate value must be a positive whole number, got '1.5'"),
    ("rate(5 weeks)", "unknown rate unit 'weeks'"),
    ("rate(5)", "rate needs a value and a unit"),
    ("rate(5 minutes extra)", "rate needs a value and a unit"),
]


@pytest.mark.parametrize(("expression", "fragment"), INVALID)
def test_invalid_expressions_name_the_problem(expression, fragment):
    with pytest.raises(InvalidInputException) as raised:
        parse_schedule(expression)
    assert fragment in raised.value.message
    assert raised.value.message.startswith(f"Invalid schedule expression '{expression}': ")


def test_invalid_expressions_are_rejected_everywhere():
    with pytest.raises(InvalidInputException):
        Schedule("cron(0 0 * * *)")
    with pytest.raises(InvalidInputException):
        next_fire_times("rate(0 minutes)")
    with pytest.raises(InvalidInputException):
        describe("cron(0 0 * * *)")


@pytest.mark.parametrize(
    "expression", ["rate(1 minute)", "rate(1 minutes)", "rate(2 minute)", "rate(2 HOURS)", "rate(1 day)"]
)
def test_rate_accepts_singular_and_plural(expression):
    parse_schedule(expression)


DESCRIPTIONS = [
    ("cron(0 0 * * ? *)", "At 00:00 UTC, every day"),
    ("cron(15 12 * * ? *)", "At 12:15 UTC, every day"),
    ("cron(0/15 * * * ? *)", "Every 15 minutes (at minutes 0, 15, 30 and 45), every hour, every day"),
    (
        "cron(5/10 * * * ? *)",
        "Every 10 minutes starting at minute 5 (at minutes 5, 15, 25, 35, 45 and 55), every hour, every day",
    ),
    ("cron(0/7 * * * ? *)", "Every 7 minutes from minute 0 through minute 56, every hour, every day"),
    ("cron(0 * * * ? *)", "At minute 0 past every hour, every day"),
    ("cron(0 18 ? * MON-FRI *)", "At 18:00 UTC, Monday through Friday"),
    ("cron(0 12 ? * MON,WED,FRI *)", "At 12:00 UTC, every Monday, Wednesday and Friday"),
    ("cron(0 0 ? * L *)", "At 00:00 UTC, every Saturday"),
    ("cron(0 0 L * ? *)", "At 00:00 UTC, on the last day of the month"),
    ("cron(0 0 L-2 * ? *)", "At 00:00 UTC, 2 days before the last day of the month"),
    ("cron(0 10 ? * 2#1 *)", "At 10:00 UTC, on the first Monday of the month"),
    ("cron(0 0 ? * 6L *)", "At 00:00 UTC, on the last Friday of the month"),
    ("cron(0 9 15W * ? *)", "At 09:00 UTC, on the weekday nearest day 15 of the month"),
    ("cron(0 9 LW * ? *)", "At 09:00 UTC, on the last weekday of the month"),
    ("cron(0 0/6 * * ? *)", "At 00:00, 06:00, 12:00 and 18:00 UTC, every day"),
    ("cron(30 0/2 * * ? *)", "Every 2 hours from 00:30 through 22:30 UTC, every day"),
    (
        "cron(0,30 9-17 ? * MON-FRI *)",
        "At minutes 0 and 30, between 09:00 and 17:59 UTC, Monday through Friday",
    ),
    (
        "cron(30 8 1,15 JAN,JUL ? 2027-2028)",
        "At 08:30 UTC, on days 1 and 15 of the month, in January and July, in 2027 and 2028",
    ),
    (
        "cron(0 0 1 JAN-MAR ? 2027-2030)",
        "At 00:00 UTC, on day 1 of the month, from January through March, from 2027 through 2030",
    ),
    ("cron(0 0 L,15 * ? *)", "At 00:00 UTC, on day 15 of the month and on the last day of the month"),
    ("cron(0 0 1/2 * ? *)", "At 00:00 UTC, on every 2nd day of the month from day 1 through day 31"),
    (
        "cron(0 0 1 1/3 ? 2030/10)",
        "At 00:00 UTC, on day 1 of the month, in January, April, July and October, "
        "every 10 years from 2030 through 2190",
    ),
    ("cron(* 9 * * ? *)", "Every minute, between 09:00 and 09:59 UTC, every day"),
    ("rate(5 minutes)", "Every 5 minutes"),
    ("rate(1 minute)", "Every minute"),
    ("rate(1 hour)", "Every hour"),
    ("rate(1 day)", "Every day"),
    ("rate(2 days)", "Every 2 days"),
]


@pytest.mark.parametrize(("expression", "text"), DESCRIPTIONS)
def test_describe(expression, text):
    assert describe(expression) == text
    assert parse_schedule(expression).describe() == describe(expression)


def test_shortest_interval():
    after = utc(2026, 3, 10)
    assert parse_schedule("cron(0,1 * * * ? *)").shortest_interval(after) == timedelta(minutes=1)
    assert parse_schedule("cron(0 18 ? * MON-FRI *)").shortest_interval(after) == timedelta(days=1)
    assert parse_schedule("rate(2 hours)").shortest_interval(after) == timedelta(hours=2)
    assert parse_schedule("cron(0 0 1 1 ? 2030)").shortest_interval(after) is None


@pytest.mark.parametrize("expression", ["cron(0/5 * * * ? *)", "rate(5 minutes)", "cron(0 12 * * ? *)"])
def test_check_min_interval_accepts(expression):
    check_min_interval(parse_schedule(expression), 5, after=utc(2026, 3, 10))


@pytest.mark.parametrize(
    ("expression", "every"),
    [("cron(* * * * ? *)", "1 minute"), ("cron(0,1 * * * ? *)", "1 minute"), ("rate(1 minute)", "1 minute")],
)
def test_check_min_interval_rejects(expression, every):
    with pytest.raises(InvalidInputException) as raised:
        check_min_interval(parse_schedule(expression), 5, after=utc(2026, 3, 10))
    assert raised.value.message == (
        f"Invalid schedule expression '{expression}': fires every {every}; "
        "Glue's schedules fire at most every 5 minutes"
    )


def test_check_min_interval_defaults_to_now():
    check_min_interval(parse_schedule("rate(5 minutes)"), 5)
    with pytest.raises(InvalidInputException):
        check_min_interval(parse_schedule("rate(4 minutes)"), 5)


def test_next_fire_times_defaults_to_now():
    before = datetime.now(UTC)
    times = next_fire_times("rate(1 minute)")
    assert len(times) == 5
    assert before < times[0] <= before + timedelta(minutes=1, seconds=5)


def test_schedules_compare_by_expression():
    assert parse_schedule("rate(5 minutes)") == Schedule("rate(5 minutes)")
    assert hash(parse_schedule("rate(5 minutes)")) == hash(Schedule("rate(5 minutes)"))
