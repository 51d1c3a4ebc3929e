"""Keyset pagination for lists that grow without end (the access log, the clinic's
patients): newest first, a page at a time, each page starting just after the last row of
the one before it.

An "Older" link carries that row's position (`cursor`: its time and id), so the database
starts reading there through an index on (…, time, id): the hundredth page costs what the
first does, and nothing counts the whole list (a page number would need both).
"""

import datetime as dt


def cursor_of(row, by: str) -> str:
    """Where the page after `row` starts."""
    return f"{getattr(row, by).isoformat()}_{row.pk}"


def parse_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    """The (time, id) of `cursor`, or None when it is missing or unreadable (the list
    then starts from the newest)."""
    moment, _, pk = (cursor or "").rpartition("_")
    try:
        after = dt.datetime.fromisoformat(moment)
        return (after, int(pk)) if after.tzinfo is not None else None
    except ValueError:
        return None


def keyset_page(rows, cursor: str | None, *, by: str, size: int) -> tuple[list, str | None]:
    """One page of `rows` newest first by (`by`, id), from just after `cursor`, and the
    cursor of the next page when there is one."""
    after = parse_cursor(cursor)
    if after is not None:
        moment, pk = after
        rows = rows.filter(**{f"{by}__lte": moment}).exclude(**{by: moment, "pk__gte": pk})
    shown = list(rows.order_by(f"-{by}", "-id")[: size + 1])
    older = cursor_of(shown[size - 1], by) if len(shown) > size else None
    return shown[:size], older
