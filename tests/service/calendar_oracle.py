"""A brute-force business-time oracle: step through real minutes and ask, for each, whether
the calendar's wall clock reads a time inside an interval its date (or the day before, for
overnight intervals) owns.

It reads the calendar's JSON form directly (its own parser, its own ownership rules) and
converts instants with pandas' time-zone code, so it shares nothing with the compiled
timeline except the definition. Every instant and duration it answers for is a whole
number of minutes; every calendar edge and zone offset tested is too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from dateutil.rrule import rrulestr

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE = 60
UTC = dt.UTC


def _seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


class UnknownError(Exception):
    """The answer lies outside the oracle's window."""


class Oracle:
    """Open/closed flags of every real minute in ``[start, stop)`` (aware datetimes)."""

    def __init__(self, data: Mapping[str, Any], start: dt.datetime, stop: dt.datetime) -> None:
        self.zone = data["timezone"]
        self.t0 = int(start.timestamp()) // MINUTE * MINUTE
        t1 = int(stop.timestamp())
        utc = np.arange(self.t0, t1, MINUTE, dtype=np.int64)
        local = pd.DatetimeIndex(utc * 10**9, tz="UTC").tz_convert(self.zone).tz_localize(None)
        wall = local.asi8 // 10**9
        day_number = wall // 86_400
        second = wall % 86_400
        holidays = {dt.date.fromisoformat(d) for d in data.get("holidays", [])}
        first_day = dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number.min()) - 1)
        last_day = dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number.max()) + 1)
        for rule in data.get("holiday_rules", []):
            for hit in rrulestr(rule, forceset=True).between(
                dt.datetime.combine(first_day, dt.time()),
                dt.datetime.combine(last_day, dt.time(23, 59)),
                inc=True,
            ):
                holidays.add(hit.date())
        overrides = {dt.date.fromisoformat(k): v for k, v in data.get("overrides", {}).items()}
        for day in overrides:
            holidays.discard(day)  # (the calendar forbids both; rules never hit overrides)
        flags = np.zeros(len(utc), dtype=bool)
        for number in range(int(day_number.min()) - 1, int(day_number.max()) + 1):
            day = dt.date(1970, 1, 1) + dt.timedelta(days=number)
            if day in holidays:
                continue
            pairs = overrides.get(day, data["weekly"].get(DAYS[day.weekday()], []))
            for a, b in pairs:
                s, e = _seconds(a), _seconds(b)
                if e <= s:
                    e += 86_400
                same = (day_number == number) & (second >= s) & (second < min(e, 86_400))
                flags |= same
                if e > 86_400:
                    flags |= (day_number == number + 1) & (second < e - 86_400)
        self.flags = flags
        self.counts = np.concatenate([[0], np.cumsum(flags)])

    # -- helpers -------------------------------------------------------------------------
    def _k(self, t: dt.datetime) -> int:
        seconds = int(t.timestamp())
        assert seconds % MINUTE == 0, t
        k = (seconds - self.t0) // MINUTE
        if not 0 <= k < len(self.flags):
            raise UnknownError(t)
        return k

    def _t(self, k: int) -> dt.datetime:
        if not 0 < k < len(self.flags):
            raise UnknownError(k)
        return dt.datetime.fromtimestamp(self.t0 + k * MINUTE, UTC)

    # -- the operations ------------------------------------------------------------------
    def is_open(self, t: dt.datetime) -> bool:
        return bool(self.flags[self._k(t)])

    def elapsed(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        minutes = int(self.counts[self._k(b)] - self.counts[self._k(a)])
        return dt.timedelta(minutes=minutes)

    def add(self, t: dt.datetime, d: dt.timedelta) -> dt.datetime:
        """Walk minute by minute until ``d`` of open minutes have passed."""
        minutes = int(d.total_seconds()) // MINUTE
        k = self._k(t)
        if minutes == 0:
            return t
        if minutes > 0:
            left = minutes
            while True:
                if k >= len(self.flags):
                    raise UnknownError(t)
                left -= int(self.flags[k])
                k += 1
                if left == 0:
                    return self._t(k)
        left = -minutes
        while True:  # backwards: the latest start from which |d| runs until t
            k -= 1
            if k < 0:
                raise UnknownError(t)
            left -= int(self.flags[k])
            if left == 0:
                return self._t(k)

    def breach_at(self, t: dt.datetime, d: dt.timedelta) -> dt.datetime:
        """Latest u with elapsed(t, u) <= d: walk to the deadline, then over closed minutes."""
        k = self._k(t)
        left = int(d.total_seconds()) // MINUTE
        while True:
            if k >= len(self.flags):
                raise UnknownError(t)
            if self.flags[k]:
                if left == 0:
                    return self._t(k)
                left -= 1
            k += 1

    def next_open(self, t: dt.datetime) -> dt.datetime:
        k = self._k(t)
        while True:
            if k >= len(self.flags):
                raise UnknownError(t)
            if self.flags[k]:
                return self._t(k) if k else t
            k += 1

    def next_close(self, t: dt.datetime) -> dt.datetime:
        k = self._k(self.next_open(t))
        while True:
            if k >= len(self.flags):
                raise UnknownError(t)
            if not self.flags[k]:
                return self._t(k)
            k += 1
