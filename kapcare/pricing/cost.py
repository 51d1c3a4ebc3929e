"""The whole-course cost estimate, and the clinic's price list.

Honest planning includes the full cost of the protocol, not just the medicine (a session at
the clinic the product grew from is $475, outside therapy fees are separate:
docs/clinical-reference.md#the-clinics-framework-article). The estimate is the planned
dosing sessions at the clinic's price for the planned route, plus the planned preparation
and integration sessions at the fee the therapist charges, which is paid to the therapist,
not the clinic.

- `estimate_course` is pure: plain numbers in, a `CourseEstimate` out, Decimal throughout.
- `estimate_for_episode` reads the clinic's price for the episode's route (one query) and
  uses the episode's planned counts (`planned_doses`, `planned_preparation_sessions`,
  `planned_integration_sessions`). Those are the plan the patient agrees to; sessions
  booked so far are not counted, so the estimate does not move as the calendar fills up.
- `ensure_default_price_list` gives a clinic its dosing prices the first time they are read.
- `save_price_items` is the price list's one write, logged.

An estimate is computed when shown; nothing stores it. A signed consent keeps the figures
it was signed with (the signed text), so a later price change never alters it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.clinics.models import DEFAULT_DOSING_SESSION_PRICE, PriceKind, PriceListItem
from kapcare.episodes import rules
from kapcare.episodes.models import DoseRoute, Episode

CENT = Decimal("0.01")

CLINIC = "clinic"
THERAPIST = "therapist"
PAID_TO = {CLINIC: "the clinic", THERAPIST: "your therapist"}


def money(value) -> Decimal:
    """`value` (Decimal, int or str) as dollars and cents, rounded half up."""
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError("A price cannot be negative.")
    return amount


def dollars(amount: Decimal) -> str:
    """ "$2,850.00"."""
    return f"${amount:,.2f}"


def _count(n: int, singular: str) -> str:
    return f"{n} {singular}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class CostLine:
    """One line of the estimate: `count` sessions at `unit_price` each, paid to `paid_to`.
    `unit_price` is None when it is not known yet; the line is then not in the total."""

    description: str  # "dosing session", "therapy session"
    count: int
    unit_price: Decimal | None
    paid_to: str  # CLINIC or THERAPIST

    @property
    def amount(self) -> Decimal | None:
        return None if self.unit_price is None else money(self.unit_price * self.count)

    @property
    def amount_text(self) -> str:
        return "" if self.amount is None else dollars(self.amount)

    @property
    def is_included(self) -> bool:
        return self.unit_price is not None

    @property
    def quantity(self) -> str:
        """ "6 dosing sessions"."""
        return _count(self.count, self.description)

    @property
    def paid_to_label(self) -> str:
        return PAID_TO[self.paid_to]

    @property
    def calculation(self) -> str:
        """ "6 dosing sessions × $475.00 = $2,850.00"."""
        if self.unit_price is None:
            return f"{self.quantity}: not included"
        return f"{self.quantity} × {dollars(self.unit_price)} = {dollars(self.amount)}"

    @property
    def text(self) -> str:
        """The calculation, saying so when the money goes to the therapist."""
        if self.paid_to == THERAPIST and self.is_included:
            return f"{self.calculation} (paid to your therapist)"
        return self.calculation


@dataclass(frozen=True)
class CourseEstimate:
    lines: list[CostLine]
    missing: list[str] = field(default_factory=list)  # what is not included, and whom to ask
    notes: list[str] = field(default_factory=list)

    def _part(self, paid_to: str) -> Decimal:
        return sum(
            (line.amount for line in self.lines if line.paid_to == paid_to and line.is_included),
            Decimal("0.00"),
        )

    @property
    def clinic_total(self) -> Decimal:
        return self._part(CLINIC)

    @property
    def therapist_total(self) -> Decimal:
        return self._part(THERAPIST)

    def is_known(self, paid_to: str) -> bool:
        """Whether every line paid to `paid_to` has its price."""
        return all(line.is_included for line in self.lines if line.paid_to == paid_to)

    @property
    def has_therapy(self) -> bool:
        return any(line.paid_to == THERAPIST for line in self.lines)

    @property
    def total(self) -> Decimal:
        """The sum of what is included; see `is_complete`."""
        return self.clinic_total + self.therapist_total

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def totals_text(self) -> dict[str, str]:
        """The three totals as "$1,234.00", for templates."""
        return {
            CLINIC: dollars(self.clinic_total) if self.is_known(CLINIC) else "Not included",
            THERAPIST: dollars(self.therapist_total)
            if self.is_known(THERAPIST)
            else "Not included",
            "total": dollars(self.total),
        }

    @property
    def summary(self) -> str:
        """The estimate in one paragraph of plain text (for the consent document)."""
        total = dollars(self.total) + ("" if self.is_complete else " so far")
        parts = "; ".join(
            f"{line.calculation}, paid to {line.paid_to_label}"
            for line in self.lines
            if line.is_included
        )
        text = f"Estimated cost of the planned course: {total}"
        text += f" ({parts})." if parts else "."
        if self.missing:
            text += " Not included: " + " ".join(self.missing)
        return text + " This is an estimate, not a bill."


def estimate_course(
    dose_price,
    doses: int,
    therapist_fee,
    therapy_sessions: int,
    *,
    route: str = "",
    therapist_at_dose: bool = False,
) -> CourseEstimate:
    """The whole-course estimate: `doses` dosing sessions at `dose_price` (the clinic's
    price for `route`; None when the clinic has none) plus `therapy_sessions` preparation
    and integration sessions at `therapist_fee` (None when it has not been entered).

    A price that is not known is never counted as $0: its line says "not included" and
    `missing` says whom to ask. A course without therapy (a standalone infusion) has no
    therapy line and needs no fee. Amounts are rounded to the cent, half up, per unit
    price and then multiplied, as a bill would be.
    """
    if doses < 0 or therapy_sessions < 0:
        raise ValueError("Session counts cannot be negative.")
    lines, missing, notes = [], [], []
    dose_unit = None if dose_price is None else money(dose_price)
    if doses:
        lines.append(CostLine("dosing session", doses, dose_unit, CLINIC))
        if dose_unit is None:
            route_text = f"{route} " if route else ""
            missing.append(
                f"the price of {route_text}dosing sessions, which is not on the clinic's "
                "price list: ask the clinic."
            )
    fee_unit = None if therapist_fee is None else money(therapist_fee)
    if therapy_sessions:
        lines.append(CostLine("therapy session", therapy_sessions, fee_unit, THERAPIST))
        if fee_unit is None:
            missing.append(
                f"your therapist's fee for {_count(therapy_sessions, 'session')}, "
                "which has not been entered yet: ask your therapist."
            )
    if therapist_at_dose and doses:
        notes.append(
            "Your therapist is with you during each dosing session too; ask them whether "
            "that time is charged on top of the sessions above."
        )
    return CourseEstimate(lines=lines, missing=missing, notes=notes)


# --- The clinic's price list ------------------------------------------------------------------


def dosing_item_name(route: str) -> str:
    """ "Dosing session (intravenous)"."""
    return f"Dosing session ({DoseRoute(route).label.lower()})"


def ensure_default_price_list(clinic) -> None:
    """Give `clinic` a dosing-session price for each route that has none, at the default
    ($475: docs/clinical-reference.md#the-clinics-framework-article). A line that exists is
    never touched, so an admin's prices and withdrawn routes stay as they are. Two requests
    seeding at once are harmless: the one price per route constraint keeps one
    (`ignore_conflicts`)."""
    existing = set(
        PriceListItem.objects.filter(
            clinic_id=clinic.pk, kind=PriceKind.DOSING_SESSION
        ).values_list("route", flat=True)
    )
    missing = [route for route in DoseRoute.values if route not in existing]
    if missing:
        PriceListItem.objects.bulk_create(
            [
                PriceListItem(
                    clinic_id=clinic.pk,
                    kind=PriceKind.DOSING_SESSION,
                    route=route,
                    name=dosing_item_name(route),
                    amount=Decimal(DEFAULT_DOSING_SESSION_PRICE),
                )
                for route in missing
            ],
            ignore_conflicts=True,
        )


def price_list(clinic) -> list[PriceListItem]:
    """The clinic's price list, dosing sessions first in the order of the routes, in one
    query (plus the seeding, the first time)."""
    ensure_default_price_list(clinic)
    route_order = {route: index for index, route in enumerate(DoseRoute.values)}
    items = PriceListItem.objects.filter(clinic_id=clinic.pk)
    return sorted(
        items,
        key=lambda item: (
            item.kind != PriceKind.DOSING_SESSION,
            route_order.get(item.route, 99),
            item.name.casefold(),
        ),
    )


def dosing_price(clinic, route: str) -> Decimal | None:
    """The clinic's offered price of a dosing session by `route`, or None. One query; the
    default prices are seeded only when the route has no line at all."""
    row = (
        PriceListItem.objects.filter(
            clinic_id=clinic.pk, kind=PriceKind.DOSING_SESSION, route=route
        )
        .values_list("amount", "is_active")
        .first()
    )
    if row is None:
        ensure_default_price_list(clinic)
        row = (
            PriceListItem.objects.filter(
                clinic_id=clinic.pk, kind=PriceKind.DOSING_SESSION, route=route
            )
            .values_list("amount", "is_active")
            .first()
        )
    if row is None or not row[1]:
        return None
    return row[0]


def estimate_for_episode(episode: Episode) -> CourseEstimate:
    """The estimate of `episode`'s planned course, at today's prices (one query)."""
    kap = rules.is_kap(episode.model)
    therapy_sessions = (
        episode.planned_preparation_sessions + episode.planned_integration_sessions if kap else 0
    )
    return estimate_course(
        dosing_price(episode.clinic, episode.dose_route),
        episode.planned_doses,
        episode.therapist_fee,
        therapy_sessions,
        route=DoseRoute(episode.dose_route).label.lower(),
        therapist_at_dose=episode.model == rules.IN_SESSION,
    )


def open_episode_of(patient) -> Episode | None:
    """The patient's current course: the newest episode that is not closed."""
    return (
        Episode.objects.filter(patient_id=patient.pk)
        .exclude(state__in=rules.CLOSED_STATES)
        .select_related("clinic")
        .order_by("-created_at", "-id")
        .first()
    )


NO_PLANNED_COURSE = (
    "Estimated cost of the planned course: not planned yet. The clinic will give you a "
    "written estimate of the whole course before treatment starts."
)


def consent_summary(patient) -> str:
    """The `{{ course_cost_estimate }}` of a consent document: the estimate of the
    patient's open episode in one paragraph (two queries). The same function fills the
    text shown and the text signed, so a price change in between changes the hash and the
    signature is refused."""
    episode = open_episode_of(patient)
    if episode is None:
        return NO_PLANNED_COURSE
    return estimate_for_episode(episode).summary


# --- Writes -----------------------------------------------------------------------------------


def save_price_items(*, actor: Actor, clinic, items: Iterable[PriceListItem]) -> int:
    """Store new and changed lines of `clinic`'s price list; returns how many. Lines are
    never deleted (an estimate may have been shown with them): untick "offered" instead.
    Each change is logged (no patient involved)."""
    saved = 0
    with transaction.atomic():
        for item in items:
            adding = item._state.adding
            if not adding and item.clinic_id != clinic.pk:
                raise PermissionError("Price list lines belong to one clinic.")
            item.clinic_id = clinic.pk
            item.save()
            record_access(actor, AccessAction.CREATE if adding else AccessAction.UPDATE, obj=item)
            saved += 1
    return saved
