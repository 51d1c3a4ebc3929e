"""The ledger's rules, as pure functions over plain values (no Django, no ORM): how long an
infusion ran, what a completed session is charged, what an unused package refunds, the
balance, and whether billed charges passed the Good Faith Estimate by the dispute
threshold. Sources: docs/billing-reference.md#the-ledger."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from kapcare.billing import rules as code_rules

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The payment methods a clinic takes (docs/billing-reference.md#payments).
CARD_TERMINAL, CASH, CHECK, HSA_FSA, PROCESSOR = (
    "card",
    "cash",
    "check",
    "hsa_fsa",
    "processor",
)
METHODS = {
    CARD_TERMINAL: "Card (terminal)",
    CASH: "Cash",
    CHECK: "Check",
    HSA_FSA: "HSA/FSA card",
    PROCESSOR: "External processor",
}
# A check or an outside processor's payment is traced by its number or id.
NEEDS_REFERENCE = frozenset({CHECK, PROCESSOR})

# How an unused package is refunded (the clinic's setting `package_refund_rule`).
PRO_RATA, PER_SESSION = "pro_rata", "per_session"


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text) -> tuple[Decimal | None, str]:
    """An amount typed by a person or sent by the API ("475", "475.00"): the Decimal and
    no problem, or None and what is wrong. Never a float: "1e3", "NaN" and more than two
    decimals are refused."""
    raw = str(text if text is not None else "").strip().replace(",", "").removeprefix("$")
    if not raw:
        return None, "Enter an amount, e.g. 475.00."
    if any(c not in "0123456789." for c in raw) or raw.count(".") > 1 or raw == ".":
        return None, "Enter an amount in dollars and cents, e.g. 475.00."
    amount = Decimal(raw)
    if amount != amount.quantize(CENT):
        return None, "Enter at most two digits after the point."
    if amount <= 0:
        return None, "Enter an amount above zero."
    if amount >= Decimal("1000000"):
        return None, "Enter an amount below 1,000,000."
    return cents(amount), ""


def infusion_minutes_given(
    started: dt.datetime | None,
    ended: dt.datetime | None,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
    planned_minutes: int | None = None,
) -> int:
    """The infusion's running time in whole minutes: from its start to its end, less the
    time it was paused (CPT counts the actual infusion time: docs/billing-reference.md
    #iv-infusion). Without a recorded start and end, the planned duration (or 0)."""
    if started is None or ended is None or ended <= started:
        return planned_minutes or 0
    paused = dt.timedelta()
    for pause_start, pause_end in pauses:
        pause_start = max(pause_start, started)
        pause_end = min(pause_end or ended, ended)
        if pause_end > pause_start:
            paused += pause_end - pause_start
    return int(((ended - started) - paused).total_seconds() // 60)


def session_charge_lines(
    *,
    route: str,
    drug: str,
    minutes: int,
    dose_mg: Decimal | None,
    codes,
    session_price: Decimal | None,
    ndc: str = "",
) -> list[code_rules.CodeLine]:
    """The charge lines of a completed dosing session: the same code lines as its estimate
    (`billing.rules.code_lines`), from the record's actual route, drug, infusion time and
    dose, with the vial's NDC on the drug line when the register knows it."""
    session = code_rules.Session(
        code_rules.DOSING,
        minutes=minutes,
        route=route,
        drug="esketamine" if drug == "esketamine" else "ketamine",
        esketamine_mg=int(dose_mg.to_integral_value(ROUND_HALF_UP))
        if dose_mg is not None
        else code_rules.ESKETAMINE_LOWER_DOSE_MG,
    )
    lines = code_rules.code_lines(session, codes, session_price)
    if ndc:
        lines = [
            replace(line, ndc=ndc) if line.key == code_rules.KETAMINE_DRUG else line
            for line in lines
        ]
    return lines


@dataclass(frozen=True)
class PackageRefund:
    unused: int
    amount: Decimal
    explanation: str


def package_refund(
    *,
    sessions: int,
    used: int,
    price: Decimal,
    rule: str,
    fee: Decimal,
    single_session_price: Decimal | None,
) -> PackageRefund:
    """What an unused prepaid package is worth back, by the clinic's rule
    (docs/billing-reference.md#prepaid-packages), never below zero nor above its price:

    - PRO_RATA: unused sessions × package price / sessions, less the clinic's fee;
    - PER_SESSION: the package price, less each used session at the clinic's
      single-session price (the package's discount is lost on a package left early),
      less the fee. Without a single-session price, pro rata.

    This is credited to the ledger; the money handed back is at most what was paid for
    the package (the service's check)."""
    unused = max(sessions - used, 0)
    if rule == PER_SESSION and single_session_price is not None:
        gross = price - used * single_session_price
        how = f"{used} used at ${single_session_price:.2f} each"
    else:
        per = price / sessions if sessions else ZERO
        gross = unused * per
        how = f"{unused} of {sessions} unused at ${cents(per):.2f} each"
    amount = min(max(cents(gross - fee), ZERO), cents(price))
    if fee:
        how += f", less the ${fee:.2f} fee"
    return PackageRefund(unused, amount, how)


@dataclass(frozen=True)
class Line:
    """One line of a patient's ledger as the page and the API show it: `amount` is what it
    adds to the balance (a charge positive, a payment or credit negative)."""

    at: dt.datetime
    kind: str
    description: str
    amount: Decimal
    reference: str = ""


def balance(lines: Iterable[Line]) -> Decimal:
    """What the patient owes (negative: in credit), summed from the lines."""
    return cents(sum((line.amount for line in lines), ZERO))


def is_over_estimate(billed: Decimal, estimated: Decimal | None, threshold: Decimal) -> bool:
    """Billed charges at least `threshold` above the Good Faith Estimate: the patient may
    start patient-provider dispute resolution (45 CFR 149.620(b): "$400 or more"); flag it
    before the bill goes out. No estimate: nothing to compare."""
    return estimated is not None and billed - estimated >= threshold
