"""Durations as people say them, for every screen and message: "14 days", not "335 hours 45
minutes". Pure functions over plain values (no Django), so the gate rules may use them.

Below two days the hours and minutes are kept, because that is where the clinic's minimum
interval between doses (48 hours by default) is judged and a minute can matter; from two
days on, whole days (rounded down, so a duration is never overstated), with the hours while
it is under a week."""

from datetime import datetime, time, timedelta

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def duration_in_words(delta: timedelta) -> str:
    """ "45 minutes", "1 hour 5 minutes", "47 hours 59 minutes", "2 days 3 hours", "14 days"."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < HOUR:
        return plural(seconds // MINUTE, "minute")
    if seconds < 2 * DAY:
        hours, rest = divmod(seconds // MINUTE, 60)
        text = plural(hours, "hour")
        return f"{text} {plural(rest, 'minute')}" if rest else text
    days, rest = divmod(seconds, DAY)
    hours = rest // HOUR
    if days < 7 and hours:
        return f"{plural(days, 'day')} {plural(hours, 'hour')}"
    return plural(days, "day")


def clock(value: time | datetime) -> str:
    """A clock time as the clinic reads it, for messages written in Python: "9:05 AM"
    (the United States' format, as the |clock template filter shows it there). Give a
    datetime already in the clinic's zone."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
