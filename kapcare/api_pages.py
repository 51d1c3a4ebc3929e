"""One page of an API list: `limit` items after the cursor, and the path of the next page.

Keyset paging, so a page costs the same on the first page and the thousandth, on a clinic
of a hundred patients or a hundred thousand: the next page starts after the last item of
this one by its sort key (`WHERE key > last ORDER BY key LIMIT n`, served by the index on
the key), never by skipping rows (`OFFSET`), and no list counts its rows. One item more
than asked is read to know whether a next page exists.

The cursor names the last item given by its row number, signed (so a client cannot make
one up) for the one list it came from. The next request reads that item's sort key back
from the same rows the caller may see, so the cursor carries no name or date of anyone
(no PHI in URLs) and a row the caller may no longer see cannot serve as one.
"""

from collections.abc import Sequence
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from kapcare.api_schemas import PageQuery

BAD_CURSOR = "This cursor is not valid here; start again from the first page."


def page_of(
    request: HttpRequest, rows: QuerySet, order: Sequence[str], query: PageQuery
) -> tuple[list, str | None]:
    """The page of `rows` (in `order`, whose last key is unique and none null) that
    `query` asks for, and the path of the next page (None on the last)."""
    keys = [(name.removeprefix("-"), name.startswith("-")) for name in order]
    if query.cursor:
        rows = rows.filter(after(keys, anchor_key(request, rows, keys, query.cursor)))
    items = list(rows.order_by(*order)[: query.limit + 1])
    if len(items) <= query.limit:
        return items, None
    items = items[: query.limit]
    return items, next_path(request, signing.dumps(items[-1].pk, salt=salt(request)))


def anchor_key(request: HttpRequest, rows: QuerySet, keys, cursor: str) -> tuple:
    """The sort key of the item the cursor names, read from the caller's own rows."""
    try:
        pk = signing.loads(cursor, salt=salt(request))
    except signing.BadSignature:
        pk = None
    names = [name for name, _ in keys]
    values = rows.filter(pk=pk).values_list(*names).first() if isinstance(pk, int) else None
    if values is None:
        raise ValidationError({"cursor": [BAD_CURSOR]})
    return values


def after(keys, values) -> Q:
    """Rows after `values` in the order of `keys`: for (a, b) ascending,
    `a >= x AND (a > x OR (a = x AND b > y))`; the first term lets the database read only
    the index range that follows."""
    (first, descending), *_ = keys
    lookup = "lte" if descending else "gte"
    return Q(**{f"{first}__{lookup}": values[0]}) & beyond(keys, values)


def beyond(keys, values) -> Q:
    (name, descending), *rest = keys
    strictly = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[0]})
    if not rest:
        return strictly
    return strictly | (Q(**{name: values[0]}) & beyond(rest, values[1:]))


def salt(request: HttpRequest) -> str:
    # A cursor serves only the list it came from (one patient's assessments, not another's).
    return f"kapcare.api_pages:{request.path}"


def next_path(request: HttpRequest, cursor: str) -> str:
    """The same request (its filters and limit) with the next cursor."""
    params = [(name, value) for name, value in request.GET.items() if name != "cursor"]
    return f"{request.path}?{urlencode([*params, ('cursor', cursor)])}"
