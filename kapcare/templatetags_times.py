"""Times on screen: one format per locale — the clinic's — through these filters, which
every template may use without loading them (a template builtin, settings.TEMPLATES).

    {{ session.starts_at|clock }}            9:00 AM
    {{ session.starts_at|clock:"T" }}        9:00 AM CST
    {{ session.starts_at|moment }}           Dec 7, 2026, 9:00 AM
    {{ session.starts_at|moment:"D M j" }}   Mon Dec 7, 9:00 AM   (the date part's format)
    {{ session.starts_at|moment:"M j T" }}   Dec 7, 9:00 AM CST   (" T": with the zone)
    {{ elapsed|duration }}                   14 days               (kapcare/words.py)

The format is `TIME_FORMATS[LANGUAGE_CODE]`: "9:00 AM" in the United States (no "a.m.", so
no "p.m.." where a sentence ends after a time). Datetimes are shown in the active zone, the
clinic's (clinics/middleware.py), as Django's own `date` filter does."""

import datetime as dt

from django import template
from django.conf import settings
from django.utils import dateformat
from django.utils.timezone import template_localtime

from kapcare.words import duration_in_words

register = template.Library()

# Django date-format strings; the locale's language code picks one.
TIME_FORMATS = {"en-us": "g:i A", "en-gb": "H:i", "en": "g:i A"}
DEFAULT_TIME_FORMAT = "g:i A"
DEFAULT_DATE_FORMAT = "M j, Y"


def time_format() -> str:
    code = settings.LANGUAGE_CODE.lower()
    return TIME_FORMATS.get(code) or TIME_FORMATS.get(code.split("-")[0], DEFAULT_TIME_FORMAT)


def _clock_text(value, with_zone: bool) -> str:
    if isinstance(value, dt.datetime):
        value = template_localtime(value)
        text = dateformat.format(value, time_format())
        return f"{text} {dateformat.format(value, 'T')}" if with_zone else text
    return dateformat.time_format(value, time_format())


@register.filter(expects_localtime=True)
def clock(value, arg: str = "") -> str:
    """The time of day in the clinic's format; `"T"` adds the zone's abbreviation."""
    if value in (None, ""):
        return ""
    return _clock_text(value, with_zone=arg.strip() == "T")


@register.filter(expects_localtime=True)
def moment(value, arg: str = "") -> str:
    """A date and its time: `arg` is the date part's format (default "M j, Y"), ending in
    " T" to add the zone."""
    if value in (None, ""):
        return ""
    date_part = arg.strip() or DEFAULT_DATE_FORMAT
    with_zone = date_part == "T" or date_part.endswith(" T")
    date_part = date_part.removesuffix(" T") if date_part != "T" else DEFAULT_DATE_FORMAT
    local = template_localtime(value) if isinstance(value, dt.datetime) else value
    return f"{dateformat.format(local, date_part)}, {_clock_text(value, with_zone)}"


@register.filter
def duration(value) -> str:
    """A timedelta in words: "45 minutes", "47 hours 59 minutes", "14 days"."""
    if not isinstance(value, dt.timedelta):
        return ""
    return duration_in_words(value)
