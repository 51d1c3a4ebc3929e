"""The DEA records of the ketamine register, as pure functions over plain values (no
Django): a lot's strength, an inventory's count against the
register, and the dates the regulations set (docs/clinical-reference.md#dea-records).

- An inventory (21 CFR 1304.11) counts every lot on hand; each lot whose count differs from
  the register's stock is a discrepancy, to explain and either adjust or report as a theft
  or loss (21 CFR 1301.76(b)).
- The biennial inventory is taken "at least every two years" after the previous one
  (21 CFR 1304.11(c)).
- A theft or significant loss is notified to the DEA Field Division Office in writing
  "within one business day of discovery", and DEA Form 106 follows within 45 days
  (21 CFR 1301.76(b), as amended by 88 FR 40707, 2023).

Amounts are `Decimal` milligrams.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

ZERO = Decimal(0)

# 21 CFR 1304.11(c): a new inventory at least every two years after the previous one.
BIENNIAL_YEARS = 2
# 21 CFR 1301.76(b): the DEA Field Division Office is told in writing within one business
# day of discovery; DEA Form 106 is filed within 45 days (88 FR 40707).
NOTIFY_BUSINESS_DAYS = 1
FORM_106_DAYS = 45

_STRENGTH = re.compile(
    r"^\s*(?P<mg>\d+(?:\.\d+)?)\s*mg\s*/\s*(?P<per>\d+(?:\.\d+)?)?\s*"
    r"(?P<unit>ml|tablet|troche|device|spray)s?\s*$",
    re.IGNORECASE,
)
_UNITS = {"ml": "mL", "tablet": "tablet", "troche": "troche", "device": "device", "spray": "spray"}


@dataclass(frozen=True)
class Strength:
    """A finished form's strength: `mg` in `per` `unit` (50 mg in 1 mL; 500 mg in 10 mL;
    28 mg per device)."""

    mg: Decimal
    per: Decimal
    unit: str

    def __str__(self) -> str:
        per = "" if self.per == 1 else f"{_plain(self.per)} "
        return f"{_plain(self.mg)} mg/{per}{self.unit}"

    def units_of(self, amount_mg: Decimal) -> Decimal:
        """How many `unit`s hold `amount_mg` (mL of a solution, tablets...), to 0.01."""
        return (amount_mg * self.per / self.mg).quantize(Decimal("0.01"))


def _plain(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


def parse_strength(text: str) -> Strength | None:
    """“50 mg/mL”, “500 mg/10 mL”, “100 mg/troche” as a `Strength`; None when it does not
    read as milligrams per unit of a finished form."""
    match = _STRENGTH.match(text or "")
    if match is None:
        return None
    try:
        mg = Decimal(match["mg"])
        per = Decimal(match["per"]) if match["per"] else Decimal(1)
    except InvalidOperation:
        return None
    if mg <= 0 or per <= 0:
        return None
    return Strength(mg=mg, per=per, unit=_UNITS[match["unit"].lower()])


def add_years(day: date, years: int) -> date:
    """The same day `years` later; Feb 29 falls on Feb 28 (never later than due)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


def next_biennial_due(last_inventory: date | None) -> date | None:
    """The latest day the next biennial inventory may be taken: two years after the last
    inventory (biennial, initial or on a change of registrant); None when none was taken
    (one is due now)."""
    if last_inventory is None:
        return None
    return add_years(last_inventory, BIENNIAL_YEARS)


def business_days_after(day: date, count: int) -> date:
    """`count` business days after `day`, Saturdays and Sundays skipped. Federal holidays
    are not skipped: the date is never later than the regulation's."""
    moved = day
    while count > 0:
        moved += timedelta(days=1)
        if moved.weekday() < 5:
            count -= 1
    return moved


def notify_dea_by(discovered_on: date) -> date:
    return business_days_after(discovered_on, NOTIFY_BUSINESS_DAYS)


def form_106_by(discovered_on: date) -> date:
    return discovered_on + timedelta(days=FORM_106_DAYS)


@dataclass(frozen=True)
class CountLine:
    """One lot of an inventory: the register's stock and what was counted."""

    lot_number: str
    expected_mg: Decimal
    counted_mg: Decimal

    @property
    def difference_mg(self) -> Decimal:
        """Counted less expected: negative when less is on the shelf than the register says."""
        return self.counted_mg - self.expected_mg

    @property
    def is_discrepancy(self) -> bool:
        return self.difference_mg != ZERO

    @property
    def discrepancy(self) -> str | None:
        if not self.is_discrepancy:
            return None
        difference = self.difference_mg
        how = "less" if difference < ZERO else "more"
        return (
            f"Lot {self.lot_number}: {_mg(self.counted_mg)} counted, the register shows "
            f"{_mg(self.expected_mg)}: {_mg(abs(difference))} {how} than the register."
        )


def _mg(amount: Decimal) -> str:
    return f"{_plain(amount) if amount else '0'} mg"


def reconcile_count(
    expected: Mapping[str, Decimal], counted: Mapping[str, Decimal]
) -> tuple[CountLine, ...]:
    """Every lot the register holds or that was counted, in lot order: a lot on the
    register not counted counts as 0 mg found; a lot counted that the register does not
    hold expects 0 mg."""
    lots = sorted(set(expected) | set(counted))
    return tuple(
        CountLine(
            lot_number=lot,
            expected_mg=expected.get(lot, ZERO),
            counted_mg=counted.get(lot, ZERO),
        )
        for lot in lots
    )
