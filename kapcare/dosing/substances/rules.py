"""Reconciling the ketamine register, lot by lot: pure functions over plain entries, no
Django.

Ketamine is a Schedule III controlled substance. A registrant keeps "a complete and accurate
record of each such substance ... received, sold, delivered, or otherwise disposed of"
(21 U.S.C. 827(a)(3); 21 CFR 1304.21–1304.22), and any amount that cannot be accounted for
is a discrepancy to investigate (21 CFR 1301.76(b);
docs/clinical-reference.md#controlled-substances). The register is append-only: a mistake
is corrected by a new entry whose amount is added to the entry it corrects.

The arithmetic, per lot:
- stock = received + returned − drawn ± adjusted to an inventory's count − lost or
  stolen (each with its corrections); it never falls below zero, or the register shows
  more drawn than received;
- per session: drawn = given + wasted + returned, else the difference is unaccounted for;
- a waste is witnessed by a second person;
- a correction corrects an entry of its own lot.

Amounts are `Decimal` milligrams throughout.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

RECEIVED = "received"
DRAWN = "drawn"
GIVEN = "given"
WASTED = "wasted"
RETURNED = "returned"
CORRECTION = "correction"
ADJUSTED = "adjusted"  # signed: the stock brought to an inventory's count
LOST = "lost"  # a theft or loss reported to the DEA

# How each kind of entry moves the stock on the shelf: given and wasted come out of what
# was drawn for a session, not out of the stock.
STOCK_SIGN = {RECEIVED: 1, RETURNED: 1, DRAWN: -1, GIVEN: 0, WASTED: 0, ADJUSTED: 1, LOST: -1}
SESSION_KINDS = (DRAWN, GIVEN, WASTED, RETURNED)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Entry:
    """One line of the register. `recorded_at` is in the clinic's time zone; `session`
    names the dosing session (any hashable key) and `session_date` is its day there."""

    id: int
    lot_number: str
    kind: str
    amount_mg: Decimal
    recorded_at: datetime
    session: object | None = None
    session_date: date | None = None
    has_witness: bool = False
    corrects_id: int | None = None


@dataclass(frozen=True)
class Line:
    """An entry with the lot's stock after it, and what it changed in the stock."""

    entry: Entry
    stock_change_mg: Decimal
    balance_after_mg: Decimal
    corrects_kind: str | None = None  # for a correction: the kind of entry it corrects

    @property
    def is_below_zero(self) -> bool:
        return self.balance_after_mg < ZERO


@dataclass(frozen=True)
class SessionUse:
    """What one dosing session took from one lot, corrections included."""

    session: object
    session_date: date | None
    drawn_mg: Decimal
    given_mg: Decimal
    wasted_mg: Decimal
    returned_mg: Decimal

    @property
    def unaccounted_mg(self) -> Decimal:
        """Drawn but neither given, wasted nor returned (negative: more accounted for
        than drawn)."""
        return self.drawn_mg - self.given_mg - self.wasted_mg - self.returned_mg

    @property
    def is_balanced(self) -> bool:
        return self.unaccounted_mg == ZERO

    @property
    def discrepancy(self) -> str | None:
        if self.is_balanced:
            return None
        parts = [
            f"{mg(self.drawn_mg)} drawn",
            f"{mg(self.given_mg)} given",
            f"{mg(self.wasted_mg)} wasted",
        ]
        if self.returned_mg:
            parts.append(f"{mg(self.returned_mg)} returned")
        if self.unaccounted_mg > ZERO:
            outcome = f"{mg(self.unaccounted_mg)} unaccounted for"
        else:
            outcome = f"{mg(-self.unaccounted_mg)} more given, wasted or returned than drawn"
        return f"{session_name(self.session_date)}: {', '.join(parts)}: {outcome}."


@dataclass(frozen=True)
class Lot:
    lot_number: str
    lines: tuple[Line, ...]
    sessions: tuple[SessionUse, ...]
    discrepancies: tuple[str, ...]

    @property
    def stock_mg(self) -> Decimal:
        return self.lines[-1].balance_after_mg if self.lines else ZERO

    @property
    def received_mg(self) -> Decimal:
        return sum(
            (
                line.stock_change_mg
                for line in self.lines
                if RECEIVED in (line.entry.kind, line.corrects_kind)
            ),
            ZERO,
        )


@dataclass(frozen=True)
class LotRegister:
    lots: tuple[Lot, ...] = field(default_factory=tuple)

    @property
    def discrepancies(self) -> list[tuple[str, str]]:
        """(lot number, sentence) for every discrepancy of every lot."""
        return [(lot.lot_number, sentence) for lot in self.lots for sentence in lot.discrepancies]

    @property
    def is_reconciled(self) -> bool:
        return not any(lot.discrepancies for lot in self.lots)


# A registrant keeps every record of a controlled substance at least 2 years from its date
# (21 CFR 1304.04(a); docs/clinical-reference.md#controlled-substances).
RETENTION_YEARS = 2


def kept_until(day: date) -> date:
    """The first day a register line of `day` may be discarded under 21 CFR 1304.04(a):
    `RETENTION_YEARS` later (a line of Feb 29 is kept to Mar 1). kapcare keeps it anyway."""
    try:
        return day.replace(year=day.year + RETENTION_YEARS)
    except ValueError:
        return date(day.year + RETENTION_YEARS, 3, 1)


def mg(amount: Decimal) -> str:
    """“36.2 mg”, “50 mg”, “−5 mg”: no trailing zeros, a true minus sign."""
    text = format(amount.normalize(), "f") if amount else "0"
    return f"{text.replace('-', '−')} mg"


def session_name(day: date | None) -> str:
    return f"Session of {day:%B} {day.day}, {day.year}" if day else "A session"


def _day(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


def reconcile(entries: Iterable[Entry], referenced: Iterable[Entry] = ()) -> LotRegister:
    """The running register of each lot, in the order entries were recorded, with every
    discrepancy in a sentence. Lots come in the order of their first entry. `referenced`:
    entries outside `entries` that their corrections point at (a lot reconciled alone,
    with a correction of another lot's entry), known only as targets of corrections, never
    counted."""
    ordered = sorted(entries, key=lambda e: (e.recorded_at, e.id))
    by_id = {e.id: e for e in referenced} | {e.id: e for e in ordered}
    lots: dict[str, list[Entry]] = {}
    for entry in ordered:
        lots.setdefault(entry.lot_number, []).append(entry)
    return LotRegister(
        lots=tuple(_reconcile_lot(number, rows, by_id) for number, rows in lots.items())
    )


def _target(entry: Entry, by_id: dict[int, Entry]) -> Entry | None:
    """The original entry a correction corrects, through corrections of corrections."""
    seen = set()
    target = entry
    while target.kind == CORRECTION and target.corrects_id is not None:
        if target.id in seen or target.corrects_id not in by_id:
            return None
        seen.add(target.id)
        target = by_id[target.corrects_id]
    return target if target.kind != CORRECTION else None


def _counted_as(entry: Entry, lot_number: str, by_id: dict[int, Entry]) -> tuple:
    """`(kind, session, session_date, problem)`: what an entry counts as in the lot's stock.
    A correction counts as the kind of the entry it corrects, one that corrects no entry
    as a count adjustment (received); a correction pointing at nothing or at another lot
    counts as nothing and says why."""
    if entry.kind != CORRECTION:
        return entry.kind, entry.session, entry.session_date, ""
    target = _target(entry, by_id)
    if entry.corrects_id is not None and target is None:
        return (
            None,
            entry.session,
            entry.session_date,
            f"The correction of {mg(entry.amount_mg)} on {_day(entry.recorded_at)} "
            "points at no entry of the register.",
        )
    if target is not None and target.lot_number != lot_number:
        return (
            None,
            entry.session,
            entry.session_date,
            f"The correction of {mg(entry.amount_mg)} on {_day(entry.recorded_at)} "
            f"points at an entry of lot {target.lot_number}, not of this lot.",
        )
    if target is not None:
        return target.kind, target.session, target.session_date, ""
    return RECEIVED, entry.session, entry.session_date, ""  # corrects no one entry


def _session_uses(sessions: dict[object, dict]) -> tuple[SessionUse, ...]:
    return tuple(
        SessionUse(
            session=key,
            session_date=totals["session_date"],
            drawn_mg=totals[DRAWN],
            given_mg=totals[GIVEN],
            wasted_mg=totals[WASTED],
            returned_mg=totals[RETURNED],
        )
        for key, totals in sessions.items()
    )


def _reconcile_lot(lot_number: str, entries: list[Entry], by_id: dict[int, Entry]) -> Lot:
    discrepancies: list[str] = []
    lines: list[Line] = []
    sessions: dict[object, dict] = {}
    balance = ZERO
    for entry in entries:
        kind, session, session_date, problem = _counted_as(entry, lot_number, by_id)
        if problem:
            discrepancies.append(problem)
        if entry.kind == WASTED and not entry.has_witness:
            discrepancies.append(
                f"The waste of {mg(entry.amount_mg)} on {_day(entry.recorded_at)} has no witness."
            )
        change = entry.amount_mg * STOCK_SIGN.get(kind, 0)
        was_below_zero = balance < ZERO
        balance += change
        if balance < ZERO and not was_below_zero:
            discrepancies.append(
                "The register shows more drawn than received: the stock falls to "
                f"{mg(balance)} with the entry of {_day(entry.recorded_at)}."
            )
        lines.append(
            Line(
                entry=entry,
                stock_change_mg=change,
                balance_after_mg=balance,
                corrects_kind=kind if entry.kind == CORRECTION else None,
            )
        )
        if session is not None and kind in SESSION_KINDS:
            totals = sessions.setdefault(
                session, {"session_date": session_date, **dict.fromkeys(SESSION_KINDS, ZERO)}
            )
            totals[kind] += entry.amount_mg
    uses = _session_uses(sessions)
    discrepancies.extend(use.discrepancy for use in uses if use.discrepancy)
    return Lot(
        lot_number=lot_number,
        lines=tuple(lines),
        sessions=uses,
        discrepancies=tuple(discrepancies),
    )
