"""Pure rules of the consultation-request queue. No Django imports."""

NEW = "new"
CONTACTED = "contacted"
SCHEDULED = "scheduled"
CONVERTED = "converted"
DECLINED = "declined"

# Requests someone at the front desk still has to act on; the queue shows these by default.
OPEN_STATUSES: tuple[str, ...] = (NEW, CONTACTED, SCHEDULED)

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
    must wait. The limit is the clinic-wide setting CONSULTATION_REQUESTS_PER_HOUR: enough
    for a family sharing one connection, too few to flood the front desk's queue."""
    return recent_count >= limit_per_hour


def phone_digit_count(phone: str) -> int:
    return sum(ch.isdigit() for ch in phone)


def phone_problem(phone: str) -> str | None:
    """What is wrong with a phone number typed on the public form, if anything.

    Seven digits is the shortest number a person can be called back on (a local US number);
    fifteen is the longest a number may be anywhere (ITU-T E.164). Spaces, dashes, dots,
    brackets and a leading + are left as typed.
    """
    digits = phone_digit_count(phone)
    if digits < 7:
        return "Enter a phone number with its area code, e.g. 615-555-0142."
    if digits > 15:
        return "That phone number has too many digits; please check it."
    if any(not (ch.isdigit() or ch in " -.()+x") for ch in phone.lower()):
        return "Use only digits, spaces, dashes or brackets in the phone number."
    return None
