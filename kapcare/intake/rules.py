"""Pure rules of the consultation-request queue. No Django imports."""

NEW = "new"
CONTACTED = "contacted"
SCHEDULED = "scheduled"
CONVERTED = "converted"
DECLINED = "declined"

# Where a request may go from each status. "Converted" is reached only by converting the
# request into a patient record, never by picking it from a list, and is final. A declined
# request may be reopened when the person gets back in touch.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({CONTACTED, SCHEDULED, DECLINED, CONVERTED}),
    CONTACTED: frozenset({SCHEDULED, DECLINED, CONVERTED}),
    SCHEDULED: frozenset({CONTACTED, DECLINED, CONVERTED}),
    DECLINED: frozenset({NEW}),
    CONVERTED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def manual_targets(current: str) -> list[str]:
    """Statuses a coordinator may pick by hand from `current` (not conversion)."""
    order = [NEW, CONTACTED, SCHEDULED, DECLINED]
    return [s for s in order if s in ALLOWED_TRANSITIONS.get(current, frozenset())]


def is_rate_limited(recent_count: int, limit_per_hour: int) -> bool:
    """A network address that already sent `limit_per_hour` requests in the last hour
    must wait."""
    return recent_count >= limit_per_hour
