"""A searchset Bundle a page at a time, across the tables of one search.

Keyset paging, as the JSON API pages (kapcare/api_pages.py): rows in the order of their
table and then of their primary key, a page being the `_count` rows after the last of the
previous page — never `OFFSET`, and no row is counted. The cursor in the `next` link names
that last row (which table, which key), signed for the address it came from, so it
carries no name or date of anyone and cannot be made up; every page is read again from
what the caller may see at that moment, so a revoked therapist's next page is empty.
A page reads each table once at most, whatever the size of the record.
"""

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kapcare.fhir.resources import BadSearch, Source
from kapcare.fhir.resources.base import instant

CURSOR = "cursor"
BAD_CURSOR = "This cursor is not valid here; start again from the first page."


@dataclass
class Page:
    rows: list[tuple[Source, object]]
    next_cursor: str | None


def read_cursor(request: HttpRequest) -> tuple[int, int]:
    value = request.GET.get(CURSOR)
    if not value:
        return 0, 0
    try:
        table, key = signing.loads(value, salt=salt(request))
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise BadSearch(BAD_CURSOR) from error
    return int(table), int(key)


def salt(request: HttpRequest) -> str:
    return f"kapcare.fhir.bundles:{request.path}"


def page_of(request: HttpRequest, tables: list[tuple[Source, QuerySet]], count: int) -> Page:
    """The `count` rows after the cursor of `request`, read from `tables` in order."""
    start_table, after_key = read_cursor(request)
    rows: list[tuple[Source, object]] = []
    last: tuple[int, int] | None = None
    for index, (source, queryset) in enumerate(tables):
        if index < start_table:
            continue
        if index == start_table and after_key:
            queryset = queryset.filter(pk__gt=after_key)
        room = count - len(rows)
        if room == 0:
            if queryset.exists():
                return Page(rows, signing.dumps(list(last), salt=salt(request)))
            continue
        found = list(queryset.order_by("pk")[: room + 1])
        rows.extend((source, row) for row in found[:room])
        if found[:room]:
            last = (index, found[:room][-1].pk)
        if len(found) > room:
            return Page(rows, signing.dumps(list(last), salt=salt(request)))
    return Page(rows, None)


def searchset(request: HttpRequest, resources: list[dict], next_cursor: str | None) -> dict:
    base = request.build_absolute_uri("/fhir/r4/")
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if next_cursor is not None:
        params = [(name, value) for name, value in request.GET.items() if name != CURSOR]
        query = urlencode([*params, (CURSOR, next_cursor)])
        links.append(
            {"relation": "next", "url": request.build_absolute_uri(f"{request.path}?{query}")}
        )
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "searchset",
        "link": links,
    }
    if resources:  # FHIR's JSON has no empty arrays
        bundle["entry"] = [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ]
    return bundle
