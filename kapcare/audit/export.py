"""The access log as CSV for an auditor: one line per entry, oldest first, streamed from a
single query (`iterator`) so a year of log takes constant memory and a fixed number of
queries, whatever its length."""

import csv
from collections.abc import Iterator

from django.utils import timezone

HEADER = [
    "occurred_at",
    "actor_name",
    "actor_email",
    "actor_role",
    "action",
    "channel",
    "record_type",
    "record_id",
    "patient_id",
    "patient_name",
    "ip_address",
    "path",
]
COLUMNS = [
    "occurred_at",
    "actor_name",
    "actor_email",
    "actor_role",
    "action",
    "channel",
    "object_type",
    "object_id",
    "patient__external_id",
    "patient__given_name",
    "patient__family_name",
    "ip_address",
    "path",
]
CHUNK = 2000
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP);
# names come from the public consultation form, so they are neutralised.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose `write` hands back what it was given (csv.writer → str)."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(entries) -> Iterator[str]:
    """The header, then one CSV line per entry of `entries` (a queryset), oldest first,
    times in the current (the clinic's) time zone with their offset."""
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    rows = entries.order_by("occurred_at", "id").values_list(*COLUMNS)
    for row in rows.iterator(chunk_size=CHUNK):
        (occurred_at, *middle, patient_id, given_name, family_name, ip_address, path) = row
        patient_name = f"{given_name} {family_name}" if patient_id else ""
        yield writer.writerow(
            [
                timezone.localtime(occurred_at).isoformat(),
                *(_cell(value) for value in middle),
                patient_id or "",
                _cell(patient_name),
                ip_address or "",
                _cell(path),
            ]
        )
