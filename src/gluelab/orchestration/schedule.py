"""Glue / EventBridge schedule expressions: ``cron(...)`` and ``rate(...)``, parsed and evaluated in UTC.

``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` takes six fields; exactly one of day-of-month and
day-of-week is ``?``. Besides ``,`` ``-`` ``*`` ``/`` it knows ``L`` (last day of the month, ``L-n``; in
day-of-week ``L`` is Saturday and ``nL`` the last weekday n of the month), ``W`` (``15W`` the weekday nearest
the 15th within the month, ``LW`` the last weekday) and ``#`` (``MON#1`` the first Monday).
``rate(n unit)`` fires every n minutes, hours or days after an anchor (the trigger's activation time, or the
Unix epoch). Every error is an :class:`~gluelab.errors.InvalidInputException` naming what is wrong.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from gluelab.errors import InvalidInputException

__all__ = ["Schedule", "check_min_interval", "describe", "next_fire_times", "parse_schedule"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_YEAR, MAX_YEAR = 1970, 2199

# English names, not calendar's (those follow the locale); cron's day-of-week 1 is Sunday.
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
_MONTHS += ["November", "December"]
_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_MONTH_TEXT = dict(enumerate(_MONTHS, start=1))
_DAY_TEXT = dict(enumerate(_WEEKDAYS, start=1))
_MONTH_NAMES = {name[:3].upper(): n for n, name in _MONTH_TEXT.items()}
_DAY_NAMES = {name[:3].upper(): n for n, name in _DAY_TEXT.items()}
_NTH_TEXT = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_RATE_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_WRAPPED = re.compile(r"([A-Za-z]+)\s*\((.*)\)", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")


class _Invalid(ValueError):
    """A problem with one part of an expression; :func:`parse_schedule` adds the expression to the message."""


# -- cron fields --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    name: str
    lo: int
    hi: int
    names: Mapping[str, int] = field(default_factory=dict)

    def value(self, token: str, item: str) -> int:
        """One number or name of this field, range-checked."""
        if _DIGITS.fullmatch(token):
            number = int(token)
            if not self.lo <= number <= self.hi:
                raise _Invalid(f"{self.name} value {number} is out of range {self.lo}-{self.hi}")
            return number
        if self.names and token.isalpha():
            if token.upper() not in self.names:
                raise _Invalid(f"unknown {self.name} name '{token}'")
            return self.names[token.upper()]
        if token == "?":
            raise _Invalid(f"'?' is only allowed in day-of-month or day-of-week, not in {self.name}")
        raise _Invalid(f"invalid {self.name} value '{item}'")

    def parse(self, text: str) -> tuple[int, ...]:
        """A whole field of plain items (``,`` ``-`` ``*`` ``/``) as its sorted values."""
        values: set[int] = set()
        for item in text.split(","):
            values.update(self.item(item))
        return tuple(sorted(values))

    def item(self, item: str) -> range:
        """One list item: ``*``, ``a``, ``a-b``, each optionally with ``/step``."""
        if not item:
            raise _Invalid(f"empty value in {self.name} field")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not _DIGITS.fullmatch(step_text):
                raise _Invalid(f"invalid step '{step_text}' in {self.name} value '{item}'")
            step = int(step_text)
            if step == 0:
                raise _Invalid(f"step 0 in {self.name} value '{item}': the step must be at least 1")
        if base == "*":
            start, end = self.lo, self.hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = self.value(first, item), self.value(last, item)
            if start > end:
                raise _Invalid(f"{self.name} range {base} is reversed: its start must not be after its end")
        else:
            start = self.value(base, item)
            end = self.hi if slash else start
        return range(start, end + 1, step)


MINUTES = _Field("minutes", 0, 59)
HOURS = _Field("hours", 0, 23)
DAY_OF_MONTH = _Field("day-of-month", 1, 31)
MONTH = _Field("month", 1, 12, _MONTH_NAMES)
DAY_OF_WEEK = _Field("day-of-week", 1, 7, _DAY_NAMES)
YEAR = _Field("year", MIN_YEAR, MAX_YEAR)


def _weekday(year: int, month: int, day: int) -> int:
    """Cron's day of the week: 1 = Sunday ... 7 = Saturday."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


# -- day rules: L, W and # --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _LastDay:
    """``L`` / ``L-n`` in day-of-month: the last day of the month, or n days before it."""

    offset: int

    def day(self, year: int, month: int) -> int | None:
        day = _last_day(year, month) - self.offset
        return day if day >= 1 else None

    def describe(self) -> str:
        if not self.offset:
            return "on the last day of the month"
        return f"{_plural(self.offset, 'day')} before the last day of the month"


@dataclass(frozen=True)
class _NearestWeekday:
    """``nW``: the weekday (Monday-Friday) nearest day n, never leaving the month."""

    target: int

    def day(self, year: int, month: int) -> int | None:
        last = _last_day(year, month)
        if self.target > last:
            return None
        weekday = _weekday(year, month, self.target)
        if weekday == 7:  # Saturday: the Friday before, or the Monday after when the 1st is a Saturday
            return self.target - 1 if self.target > 1 else self.target + 2
        if weekday == 1:  # Sunday: the Monday after, or the Friday before when it is the last day
            return self.target + 1 if self.target < last else self.target - 2
        return self.target

    def describe(self) -> str:
        return f"on the weekday nearest day {self.target} of the month"


@dataclass(frozen=True)
class _LastWeekday:
    """``LW``: the last Monday-Friday of the month."""

    def day(self, year: int, month: int) -> int | None:
        last = _last_day(year, month)
        return last - {7: 1, 1: 2}.get(_weekday(year, month, last), 0)

    def describe(self) -> str:
        return "on the last weekday of the month"


@dataclass(frozen=True)
class _LastOfWeekday:
    """``nL`` in day-of-week: the last weekday n of the month (``6L``, ``FRIL``: the last Friday)."""

    weekday: int

    def day(self, year: int, month: int) -> int | None:
        last = _last_day(year, month)
        return last - (_weekday(year, month, last) - self.weekday) % 7

    def describe(self) -> str:
        return f"on the last {_DAY_TEXT[self.weekday]} of the month"


@dataclass(frozen=True)
class _NthWeekday:
    """``n#k``: the k-th weekday n of the month (``MON#1``: the first Monday); absent when k is too big."""

    weekday: int
    nth: int

    def day(self, year: int, month: int) -> int | None:
        day = 1 + (self.weekday - _weekday(year, month, 1)) % 7 + 7 * (self.nth - 1)
        return day if day <= _last_day(year, month) else None

    def describe(self) -> str:
        return f"on the {_NTH_TEXT[self.nth]} {_DAY_TEXT[self.weekday]} of the month"


_DayRule = _LastDay | _NearestWeekday | _LastWeekday | _LastOfWeekday | _NthWeekday


@dataclass(frozen=True)
class _Days:
    """A day-of-month or day-of-week field that is not ``?``: plain values plus L/W/# rules."""

    values: tuple[int, ...]
    rules: tuple[_DayRule, ...] = ()


def _parse_dom(text: str) -> _Days:
    values: set[int] = set()
    rules: list[_DayRule] = []
    for item in text.split(","):
        upper = item.upper()
        if upper == "L":
            rules.append(_LastDay(0))
        elif upper.startswith("L-"):
            if not _DIGITS.fullmatch(upper[2:]) or int(upper[2:]) > 30:
                raise _Invalid(f"day-of-month '{item}': L-n needs a number of days n from 0 to 30")
            rules.append(_LastDay(int(upper[2:])))
        elif upper == "LW":
            rules.append(_LastWeekday())
        elif upper.endswith("W"):
            if not _DIGITS.fullmatch(upper[:-1]):
                raise _Invalid(f"day-of-month '{item}': W needs one day of the month, e.g. 15W, or LW")
            day = int(upper[:-1])
            if not 1 <= day <= 31:
                raise _Invalid(f"day-of-month '{item}': day {day} is out of range 1-31")
            rules.append(_NearestWeekday(day))
        else:
            values.update(DAY_OF_MONTH.item(item))
    return _Days(tuple(sorted(values)), tuple(rules))


def _parse_dow(text: str) -> _Days:
    values: set[int] = set()
    rules: list[_DayRule] = []
    for item in text.split(","):
        upper = item.upper()
        if upper == "L":
            values.add(7)
        elif "#" in item:
            day_text, _, nth_text = item.partition("#")
            weekday = DAY_OF_WEEK.value(day_text, item)
            if not _DIGITS.fullmatch(nth_text) or not 1 <= int(nth_text) <= 5:
                raise _Invalid(f"day-of-week '{item}': #{nth_text} is not an occurrence 1-5 of the weekday")
            rules.append(_NthWeekday(weekday, int(nth_text)))
        elif len(upper) > 1 and upper.endswith("L") and "-" not in upper and "/" not in upper:
            rules.append(_LastOfWeekday(DAY_OF_WEEK.value(item[:-1], item)))
        else:
            values.update(DAY_OF_WEEK.item(item))
    return _Days(tuple(sorted(values)), tuple(rules))


# -- parsed expressions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    dom: _Days | None
    months: tuple[int, ...]
    dow: _Days | None
    years: tuple[int, ...]

    def days(self, year: int, month: int) -> list[int]:
        """The days of one month this expression fires on, in order."""
        last = _last_day(year, month)
        if self.dom is not None:
            spec = self.dom
            days = {d for d in spec.values if d <= last}
        else:
            spec = self.dow
            assert spec is not None
            first = _weekday(year, month, 1)
            days = {d for d in range(1, last + 1) if (first + d - 2) % 7 + 1 in spec.values}
        days.update(d for rule in spec.rules if (d := rule.day(year, month)) is not None)
        return sorted(days)

    def next_after(self, after: datetime) -> datetime | None:
        """The first whole minute strictly after ``after`` (UTC), walking year, month, day, hour, minute."""
        if after.year > MAX_YEAR:
            return None
        start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for year in self.years:
            if year < start.year:
                continue
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                same_month = (year, month) == (start.year, start.month)
                for day in self.days(year, month):
                    if same_month and day < start.day:
                        continue
                    same_day = same_month and day == start.day
                    for hour in self.hours:
                        if same_day and hour < start.hour:
                            continue
                        same_hour = same_day and hour == start.hour
                        for minute in self.minutes:
                            if not same_hour or minute >= start.minute:
                                return datetime(year, month, day, hour, minute, tzinfo=UTC)
        return None

    def describe(self) -> str:
        parts = [_time_text(self.minutes, self.hours), _day_text(self), _month_text(self.months)]
        parts.append(_year_text(self.years))
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class _Rate:
    count: int
    unit: str

    @property
    def interval(self) -> timedelta:
        return self.count * _RATE_UNITS[self.unit]

    def next_after(self, after: datetime, anchor: datetime) -> datetime:
        """``anchor + k * interval`` for the smallest k >= 1 that is strictly after ``after``."""
        k = max(1, (after - anchor) // self.interval + 1)
        return anchor + k * self.interval

    def describe(self) -> str:
        return f"Every {self.unit}" if self.count == 1 else f"Every {self.count} {self.unit}s"


def _parse_cron(body: str) -> _Cron:
    fields = body.split()
    if len(fields) != 6:
        raise _Invalid(
            f"cron needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
        )
    minutes, hours, dom, month, dow, year = fields
    for name, text in (("day-of-month", dom), ("day-of-week", dow)):
        if "?" in text and text != "?":
            raise _Invalid(f"'?' must be the whole {name} field, got '{text}'")
    if dom == "?" and dow == "?":
        raise _Invalid("day-of-month and day-of-week cannot both be '?': exactly one must be '?'")
    if dom != "?" and dow != "?":
        raise _Invalid("day-of-month and day-of-week cannot both be specified: one must be '?'")
    return _Cron(
        minutes=MINUTES.parse(minutes),
        hours=HOURS.parse(hours),
        dom=None if dom == "?" else _parse_dom(dom),
        months=MONTH.parse(month),
        dow=None if dow == "?" else _parse_dow(dow),
        years=YEAR.parse(year),
    )


def _parse_rate(body: str) -> _Rate:
    parts = body.split()
    if len(parts) != 2:
        raise _Invalid("rate needs a value and a unit, e.g. rate(5 minutes)")
    value, unit = parts
    if not _DIGITS.fullmatch(value) or int(value) == 0:
        raise _Invalid(f"rate value must be a positive whole number, got '{value}'")
    singular = unit.lower().removesuffix("s")
    if singular not in _RATE_UNITS:
        raise _Invalid(f"unknown rate unit '{unit}': expected minute(s), hour(s) or day(s)")
    return _Rate(int(value), singular)


def _parse(expression: str) -> _Cron | _Rate:
    match = _WRAPPED.fullmatch(expression.strip())
    keyword, body = (match.group(1).lower(), match.group(2)) if match else ("", "")
    if keyword == "cron":
        return _parse_cron(body)
    if keyword == "rate":
        return _parse_rate(body)
    raise _Invalid("expected cron(...) or rate(...)")


# -- the public API ------------------------------------------------------------------------------------------
def _utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC; aware ones are converted to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule expression; constructing one validates it."""

    expression: str
    _spec: _Cron | _Rate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.expression, str):
            raise InvalidInputException(f"Invalid schedule expression {self.expression!r}: not a string")
        try:
            spec = _parse(self.expression)
        except _Invalid as e:
            raise InvalidInputException(f"Invalid schedule expression '{self.expression}': {e}") from None
        object.__setattr__(self, "_spec", spec)

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first fire time strictly after ``after`` (UTC), or None when there is none.

        ``anchor`` is when a rate schedule started counting (default: the Unix epoch); cron ignores it."""
        if isinstance(self._spec, _Rate):
            return self._spec.next_after(_utc(after), EPOCH if anchor is None else _utc(anchor))
        return self._spec.next_after(_utc(after))

    def fire_times(self, after: datetime, count: int, anchor: datetime | None = None) -> list[datetime]:
        """The next ``count`` fire times after ``after``; fewer when the schedule runs out."""
        if count < 0:
            raise InvalidInputException(f"count must not be negative, got {count}")
        times: list[datetime] = []
        moment: datetime | None = after
        while len(times) < count and (moment := self.next_after(moment, anchor)) is not None:
            times.append(moment)
        return times

    def shortest_interval(self, after: datetime, samples: int = 50) -> timedelta | None:
        """The smallest gap between consecutive ones of the next ``samples`` fire times (None if < 2)."""
        times = self.fire_times(after, samples)
        if len(times) < 2:
            return None
        return min(b - a for a, b in pairwise(times))

    def describe(self) -> str:
        """The schedule in English, e.g. ``At 18:00 UTC, Monday through Friday``."""
        return self._spec.describe()


def parse_schedule(expression: str) -> Schedule:
    """Parse and validate a ``cron(...)`` or ``rate(...)`` expression; raises InvalidInputException."""
    return Schedule(expression)


def next_fire_times(
    expression: str, count: int = 5, after: datetime | None = None, anchor: datetime | None = None
) -> list[datetime]:
    """The next ``count`` fire times of ``expression`` after ``after`` (default: now), in UTC."""
    return parse_schedule(expression).fire_times(datetime.now(UTC) if after is None else after, count, anchor)


def describe(expression: str) -> str:
    """``expression`` in English."""
    return parse_schedule(expression).describe()


def check_min_interval(schedule: Schedule, minutes: int, after: datetime | None = None) -> None:
    """Raise InvalidInputException when ``schedule`` fires more often than every ``minutes`` minutes."""
    gap = schedule.shortest_interval(datetime.now(UTC) if after is None else after)
    if gap is not None and gap < timedelta(minutes=minutes):
        raise InvalidInputException(
            f"Invalid schedule expression '{schedule.expression}': fires every {_duration(gap)}; "
            f"Glue's schedules fire at most every {_plural(minutes, 'minute')}"
        )


# -- describing --------------------------------------------------------------------------------------------
def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _duration(gap: timedelta) -> str:
    seconds = int(gap.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            return _plural(seconds // size, unit)
    return _plural(seconds, "second")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _step(values: Sequence[int]) -> int | None:
    """The common difference of three or more evenly spaced values, else None."""
    if len(values) < 3:
        return None
    gaps = {b - a for a, b in pairwise(values)}
    return gaps.pop() if len(gaps) == 1 else None


def _is_all(values: Sequence[int], fld: _Field) -> bool:
    return len(values) == fld.hi - fld.lo + 1


def _values_text(values: Sequence[int], label: Callable[[int], str]) -> str:
    """``1 and 15``, ``1, 5 and 9``; a run of three or more consecutive values as ``1 through 7``."""
    if _step(values) == 1:
        return f"{label(values[0])} through {label(values[-1])}"
    return _join([label(v) for v in values])


def _time_text(minutes: tuple[int, ...], hours: tuple[int, ...]) -> str:
    all_hours = _is_all(hours, HOURS)
    if not _is_all(minutes, MINUTES) and not all_hours and len(minutes) * len(hours) <= 6:
        return "At " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes]) + " UTC"
    if len(minutes) == 1 and not all_hours:
        step, times = _step(hours), [f"{h:02d}:{minutes[0]:02d}" for h in hours]
        if step:
            every = "Every hour" if step == 1 else f"Every {step} hours"
            return f"{every} from {times[0]} through {times[-1]} UTC"
        return "At " + _join(times) + " UTC"
    if len(minutes) == 1:
        return f"At minute {minutes[0]} past every hour"
    return f"{_minutes_text(minutes)}, {_hours_text(hours)}"


def _minutes_text(minutes: tuple[int, ...]) -> str:
    if _is_all(minutes, MINUTES):
        return "Every minute"
    step, first, last = _step(minutes), minutes[0], minutes[-1]
    if step == 1:
        return f"Every minute from minute {first} through minute {last}"
    if step and 60 % step == 0 and first < step and last + step >= 60:
        text = f"Every {step} minutes" + (f" starting at minute {first}" if first else "")
        return text + (f" (at minutes {_join([str(m) for m in minutes])})" if len(minutes) <= 6 else "")
    if step:
        return f"Every {step} minutes from minute {first} through minute {last}"
    return f"At minutes {_join([str(m) for m in minutes])}"


def _hours_text(hours: tuple[int, ...]) -> str:
    if _is_all(hours, HOURS):
        return "every hour"
    if len(hours) == 1 or _step(hours) == 1:
        return f"between {hours[0]:02d}:00 and {hours[-1]:02d}:59 UTC"
    step = _step(hours)
    if step and len(hours) > 6:
        return f"during every {_ordinal(step)} hour from {hours[0]:02d}:00 through {hours[-1]:02d}:59 UTC"
    return f"during hours {_join([str(h) for h in hours])} UTC"


def _day_text(cron: _Cron) -> str:
    if cron.dom is not None:
        days, fld, plain = cron.dom, DAY_OF_MONTH, _dom_values_text
    else:
        assert cron.dow is not None
        days, fld, plain = cron.dow, DAY_OF_WEEK, _dow_values_text
    if _is_all(days.values, fld):
        return "every day"
    phrases = [plain(days.values)] if days.values else []
    return _join(phrases + [rule.describe() for rule in days.rules])


def _dom_values_text(days: tuple[int, ...]) -> str:
    if len(days) == 1:
        return f"on day {days[0]} of the month"
    step = _step(days)
    if step and step > 1 and len(days) > 6:
        return f"on every {_ordinal(step)} day of the month from day {days[0]} through day {days[-1]}"
    return f"on days {_values_text(days, str)} of the month"


def _dow_values_text(days: tuple[int, ...]) -> str:
    if _step(days) == 1:
        return _values_text(days, _DAY_TEXT.__getitem__)
    return "every " + _join([_DAY_TEXT[d] for d in days])


def _month_text(months: tuple[int, ...]) -> str:
    if _is_all(months, MONTH):
        return ""
    if _step(months) == 1:
        return f"from {_MONTH_TEXT[months[0]]} through {_MONTH_TEXT[months[-1]]}"
    return "in " + _join([_MONTH_TEXT[m] for m in months])


def _year_text(years: tuple[int, ...]) -> str:
    if _is_all(years, YEAR):
        return ""
    step = _step(years)
    if step == 1:
        return f"from {years[0]} through {years[-1]}"
    if step and len(years) > 6:
        return f"every {_plural(step, 'year')} from {years[0]} through {years[-1]}"
    return "in " + _join([str(y) for y in years])
