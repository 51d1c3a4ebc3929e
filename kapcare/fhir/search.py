"""FHIR search parameter values read into database filters (hl7.org/fhir/R4/search.html).

Repeated parameters are ANDed, comma-separated values ORed, as FHIR defines. A value
kapcare cannot read raises `BadSearch`, which the view answers with a 400
OperationOutcome naming the parameter; a search never fails with a 500 on what a client
typed.
"""

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime

from kapcare.fhir.resources.base import EXCLUDED, BadSearch

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def split_prefix(value: str) -> tuple[str, str]:
    if value[:2] in PREFIXES and value[2:3].isdigit():
        return value[:2], value[2:]
    return "eq", value


def external_ids(values: list[str], *, strict: bool = True) -> list[uuid.UUID]:
    """kapcare ids among `values` (comma-separated allowed); with `strict`, one that is not
    an id is a bad search, else it matches nothing."""
    ids = []
    for value in values:
        for token in value.split(","):
            try:
                ids.append(uuid.UUID(token.strip()))
            except ValueError as error:
                if strict:
                    raise BadSearch(f"“{token}” is not an id of this server.") from error
    return ids


def string_filter(field_name: str) -> Callable[[list[str]], Q]:
    """FHIR's default string match: starts with the value, ignoring case."""

    def match(values: list[str]) -> Q:
        wanted = Q()
        for value in values:
            either = Q(pk__in=[])
            for token in value.split(","):
                either |= Q(**{f"{field_name}__istartswith": token.strip()})
            wanted &= either
        return wanted

    return match


def date_filter(field_name: str, values: list[str], *, dates_only: bool = False) -> Q:
    """`field_name` compared with each value (`ge2026-01-01`, `lt2026-01-01T10:00:00Z`); a
    date compared with a datetime field covers that whole day in UTC."""
    wanted = Q()
    for value in values:
        either = Q(pk__in=[])
        for token in value.split(","):
            either |= one_date(field_name, token.strip(), dates_only)
        wanted &= either
    return wanted


def one_date(field_name: str, token: str, dates_only: bool) -> Q:
    prefix, text = split_prefix(token)
    if DATE.match(text):
        day = parse_date(text) if _is_real_date(text) else None
        if day is None:
            raise BadSearch(f"“{token}” is not a date (YYYY-MM-DD).")
        if dates_only:
            return compare(field_name, prefix, day, day)
        start = datetime.combine(day, time.min, tzinfo=UTC)
        return compare(field_name, prefix, start, start + timedelta(days=1))
    if dates_only:
        raise BadSearch(f"“{token}” is not a date (YYYY-MM-DD).")
    try:
        moment = parse_datetime(text.replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None:
        raise BadSearch(f"“{token}” is not a date or a date and time (ISO 8601).")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return compare(field_name, prefix, moment, moment)


def parse_instant(value: str, name: str) -> datetime:
    """A moment (`_since`): a date and time, or a date (its start, in UTC)."""
    text = value.replace(" ", "+")
    if DATE.match(text) and _is_real_date(text):
        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise BadSearch(f"{name}: “{value}” is not a date and time (ISO 8601).")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _is_real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def compare(field_name: str, prefix: str, start, end) -> Q:
    """The rows whose `field_name` is `prefix` the period [start, end) (a single moment
    when start == end)."""
    if start == end:
        exact = Q(**{field_name: start})
        lookups = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
        if prefix in lookups:
            return Q(**{f"{field_name}__{lookups[prefix]}": start})
        return ~exact & Q(**{f"{field_name}__isnull": False}) if prefix == "ne" else exact
    within = Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    return {
        "eq": within,
        "ne": ~within & Q(**{f"{field_name}__isnull": False}),
        "gt": Q(**{f"{field_name}__gte": end}),
        "ge": Q(**{f"{field_name}__gte": start}),
        "lt": Q(**{f"{field_name}__lt": start}),
        "le": Q(**{f"{field_name}__lt": end}),
    }[prefix]


def token_codes(values: list[str], system: str) -> list[set[str]]:
    """`code=[system|]code,…` values as the codes of `system` each asks for (one set per
    repeated parameter; a code of another system matches nothing here)."""
    wanted = []
    for value in values:
        found = set()
        for token in value.split(","):
            token_system, bar, code = token.strip().rpartition("|")
            if not bar or token_system in ("", system):
                found.add(code)
        wanted.append(found)
    return wanted


def codes_filter(field_name: str, values: list[str], system: str) -> Q:
    wanted = Q()
    for found in token_codes(values, system):
        wanted &= Q(**{f"{field_name}__in": sorted(found)}) if found else EXCLUDED
    return wanted
