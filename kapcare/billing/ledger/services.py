"""The ledger's writes and its one read. Each write runs in one transaction with its
access-log row; posting is idempotent (the database's unique constraints), a draw-down
never overdraws (the package row is locked), a refund never exceeds what was paid (the
payment row is locked). Documents later built on the ledger (receipts, statements,
superbills) read `ledger_of` and `charges_between`."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from kapcare.accounts import step_up
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.billing.ledger import rules
from kapcare.billing.ledger.models import (
    Charge,
    ChargeOrigin,
    ChargeVoid,
    PackageDrawDown,
    PackageProduct,
    PackageRefund,
    PackageSale,
    Payment,
    PaymentKind,
)
from kapcare.refusals import Refused

ZERO = Decimal("0.00")

# --- Charges -----------------------------------------------------------------------------------


def _dosing_lines(session, record, clinic):
    from kapcare.billing.services import as_rule_codes, code_table
    from kapcare.dosing.models import InfusionChangeKind
    from kapcare.pricing.cost import dosing_price

    route = record.route or session.episode.dose_route
    pauses, paused_at = [], None
    ends_pause = (InfusionChangeKind.RESUMED, InfusionChangeKind.STOPPED)
    for change in record.infusion_changes.order_by("at", "id"):
        if change.kind == InfusionChangeKind.PAUSED and paused_at is None:
            paused_at = change.at
        elif change.kind in ends_pause and paused_at is not None:
            pauses.append((paused_at, change.at))
            paused_at = None
    if paused_at is not None:
        pauses.append((paused_at, None))
    minutes = rules.infusion_minutes_given(
        record.dose_started_at,
        record.dose_ended_at,
        pauses,
        planned_minutes=record.infusion_minutes or clinic.infusion_minutes,
    )
    ndc = (
        record.substance_entries.exclude(ndc="").values_list("ndc", flat=True).first()
        if record.pk
        else None
    )
    return rules.session_charge_lines(
        route=route,
        drug=record.drug,
        minutes=minutes,
        dose_mg=record.dose_mg,
        codes=as_rule_codes(code_table(clinic)),
        session_price=dosing_price(clinic, route),
        ndc=ndc or "",
    )


def post_session_charges(*, actor: Actor, session_id: int) -> list[Charge]:
    """Post the charges of a completed dosing session from the clinic's current code table
    and price list; posting again adds nothing (one line per code per session, under a
    lock on the session and the unique constraint). Then, if the patient holds a prepaid
    package with a session left, the dose is drawn from it."""
    from kapcare.episodes.models import CareSession, SessionKind, SessionStatus

    with transaction.atomic():
        session = (
            CareSession.objects.select_for_update(of=("self",))
            .select_related("episode__clinic", "patient")
            .filter(pk=session_id)
            .first()
        )
        if session is None or session.kind != SessionKind.DOSING:
            return []
        if session.status != SessionStatus.DONE:
            return []
        record = getattr(session, "dosing_record", None)
        if record is None:
            return []
        clinic = session.episode.clinic
        posted = set(
            Charge.objects.filter(session_id=session.pk, origin=ChargeOrigin.SESSION).values_list(
                "key", flat=True
            )
        )
        now = timezone.now()
        service_on = timezone.localdate(
            record.dose_started_at or session.planned_start, timezone=clinic.zone
        )
        created = []
        for line in _dosing_lines(session, record, clinic):
            if line.key in posted:
                continue
            created.append(
                Charge.objects.create(
                    clinic_id=clinic.pk,
                    patient_id=session.patient_id,
                    episode_id=session.episode_id,
                    session_id=session.pk,
                    origin=ChargeOrigin.SESSION,
                    key=line.key,
                    system=line.system,
                    code=line.code,
                    description=line.description,
                    modifiers=line.modifiers,
                    ndc=line.ndc,
                    units=line.units,
                    unit_price=rules.cents(line.charge / line.units) if line.units else ZERO,
                    total=line.charge,
                    note=line.note[:200],
                    service_on=service_on,
                    posted_at=now,
                    posted_by=actor.user if getattr(actor.user, "pk", None) else None,
                )
            )
        for charge in created:
            record_access(actor, AccessAction.CREATE, patient=session.patient, obj=charge)
        if created:
            draw_down_for(actor=actor, session=session)
    return created


FEES = {
    # (change kind, cancel reason) -> (origin, the clinic's setting)
    ("cancelled", "late_cancel"): (ChargeOrigin.LATE_CANCEL, "late_cancel_fee"),
    ("no_show", ""): (ChargeOrigin.NO_SHOW, "no_show_fee"),
}


def post_fee(*, actor: Actor, session_change_id: int) -> Charge | None:
    """A late cancellation or a no-show charges the clinic's fee (its settings; none when
    zero), once per change whatever calls it twice (unique constraint)."""
    from kapcare.scheduling.models import SessionChange

    change = (
        SessionChange.objects.select_related("clinic", "patient", "session")
        .filter(pk=session_change_id)
        .first()
    )
    if change is None:
        return None
    key = (change.kind, change.reason if change.kind == "cancelled" else "")
    if key not in FEES:
        return None
    origin, setting = FEES[key]
    amount = getattr(change.clinic, setting)
    if not amount:
        return None
    try:
        with transaction.atomic():
            charge = Charge.objects.create(
                clinic_id=change.clinic_id,
                patient_id=change.patient_id,
                episode_id=change.session.episode_id,
                session_id=change.session_id,
                session_change=change,
                origin=origin,
                key=origin,
                description=ChargeOrigin(origin).label,
                units=1,
                unit_price=amount,
                total=amount,
                service_on=timezone.localdate(change.from_start, timezone=change.clinic.zone),
                posted_at=timezone.now(),
                posted_by=actor.user if getattr(actor.user, "pk", None) else None,
            )
            record_access(actor, AccessAction.CREATE, patient=change.patient, obj=charge)
    except IntegrityError:
        return None  # posted already
    return charge


@dataclass(frozen=True)
class Correction:
    """A corrected line replacing a voided charge: what changes (None keeps it)."""

    units: int | None = None
    unit_price: Decimal | None = None
    modifiers: str | None = None


def void_charge(
    *,
    actor: Actor,
    charge: Charge,
    reason: str,
    reauthentication: step_up.Reauthentication | None,
    correction: Correction | None = None,
) -> Charge | None:
    """Void a charge with why (the person re-authenticated: the act is final) and, if
    `correction` is given, post the corrected line that replaces it. Returns the new line."""
    reason = reason.strip()
    if not reason:
        raise Refused({"reason": "Say why the charge is voided (it is kept with the void)."})
    problems = {}
    if correction is not None:
        if correction.units is not None and not 1 <= correction.units <= 99:
            problems["units"] = "Enter 1 to 99 units."
        if correction.unit_price is not None and correction.unit_price < 0:
            problems["unit_price"] = "Enter zero or more."
    if problems:
        raise Refused(problems)
    step_up.require(reauthentication, actor, what="void a charge")
    with transaction.atomic():
        locked = Charge.objects.select_for_update().select_related("patient").get(pk=charge.pk)
        if ChargeVoid.objects.filter(charge_id=locked.pk).exists():
            raise Refused({"__all__": "This charge was voided already."})
        void = ChargeVoid.objects.create(
            charge=locked,
            reason=reason[:300],
            voided_at=timezone.now(),
            voided_by=actor.user,
            voided_with=reauthentication.method,
        )
        record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=void)
        if correction is None:
            return None
        units = correction.units or locked.units
        unit_price = locked.unit_price if correction.unit_price is None else correction.unit_price
        replacement = Charge.objects.create(
            clinic_id=locked.clinic_id,
            patient_id=locked.patient_id,
            episode_id=locked.episode_id,
            session_id=locked.session_id,
            origin=ChargeOrigin.CORRECTION,
            key=locked.key,
            system=locked.system,
            code=locked.code,
            description=locked.description,
            modifiers=(
                locked.modifiers if correction.modifiers is None else correction.modifiers.upper()
            ),
            ndc=locked.ndc,
            units=units,
            unit_price=rules.cents(unit_price),
            total=rules.cents(unit_price * units),
            note=f"Replaces a voided line: {reason}"[:200],
            replaces=locked,
            service_on=locked.service_on,
            posted_at=timezone.now(),
            posted_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=replacement)
    return replacement


# --- Payments and refunds ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentInput:
    amount: str
    method: str
    reference: str = ""
    note: str = ""
    package_id: str = ""  # a package sale's external id
    deposit_session_id: str = ""  # a booked session's external id: a deposit


def _find(model, patient, external_id, problem_field, problem):
    import uuid

    try:
        wanted = uuid.UUID(str(external_id))
    except ValueError:
        raise Refused({problem_field: problem}) from None
    found = model.objects.filter(patient_id=patient.pk, external_id=wanted).first()
    if found is None:
        raise Refused({problem_field: problem})
    return found


def payment_problems(data: PaymentInput) -> tuple[Decimal | None, dict[str, str]]:
    amount, problem = rules.parse_amount(data.amount)
    problems = {"amount": problem} if problem else {}
    if data.method not in rules.METHODS:
        problems["method"] = "Choose how it was paid: " + ", ".join(rules.METHODS.values()) + "."
    elif data.method in rules.NEEDS_REFERENCE and not data.reference.strip():
        problems["reference"] = "Enter the check number or the processor's payment id."
    if len(data.reference) > 80:
        problems["reference"] = "Keep the reference to 80 characters."
    if len(data.note) > 300:
        problems["note"] = "Keep the note to 300 characters."
    if "\x00" in data.reference + data.note:
        problems["note" if "\x00" in data.note else "reference"] = "Remove the null character."
    return amount, problems


def record_payment(*, actor: Actor, patient, data: PaymentInput) -> Payment:
    """Money received from the patient: for their balance, for a package they bought
    (`package_id`), or as a deposit holding a booked session (applied to that session's
    charges when they post: the balance nets it)."""
    from kapcare.episodes.models import CareSession, SessionStatus

    amount, problems = payment_problems(data)
    package = session = None
    if data.package_id:
        try:
            package = _find(
                PackageSale,
                patient,
                data.package_id,
                "package_id",
                "Not a package of this patient.",
            )
        except Refused as refusal:
            problems.update(refusal.problems)
    if data.deposit_session_id:
        try:
            session = _find(
                CareSession,
                patient,
                data.deposit_session_id,
                "deposit_session_id",
                "Not a session of this patient.",
            )
        except Refused as refusal:
            problems.update(refusal.problems)
        else:
            if session.status != SessionStatus.PLANNED:
                problems["deposit_session_id"] = "A deposit holds a session still to come."
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        payment = Payment.objects.create(
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            kind=PaymentKind.PAYMENT,
            method=data.method,
            amount=amount,
            reference=data.reference.strip(),
            note=data.note.strip(),
            is_deposit=session is not None,
            session=session,
            package=package,
            recorded_at=timezone.now(),
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=payment)
    return payment


def refundable(payment: Payment) -> Decimal:
    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - refunded


def record_refund(
    *, actor: Actor, payment: Payment, amount: str, note: str = "", package=None
) -> Payment:
    """Money handed back against `payment`, by the same method, never more than it has
    left unrefunded (the payment row is locked, so two refunds at once cannot pass it)."""
    value, problem = rules.parse_amount(amount)
    if problem:
        raise Refused({"amount": problem})
    if len(note) > 300 or "\x00" in note:
        raise Refused({"note": "Keep the note to 300 characters, without null characters."})
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update()
            .select_related("patient")
            .get(pk=payment.pk, kind=PaymentKind.PAYMENT)
        )
        left = refundable(locked)
        if value > left:
            raise Refused({"amount": f"At most ${left:,.2f} of this payment is left to refund."})
        refund = Payment.objects.create(
            clinic_id=locked.clinic_id,
            patient_id=locked.patient_id,
            kind=PaymentKind.REFUND,
            method=locked.method,
            amount=value,
            reference=locked.reference,
            note=note.strip(),
            package=package,
            refund_of=locked,
            recorded_at=timezone.now(),
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=refund)
    return refund


# --- Prepaid packages --------------------------------------------------------------------------


def sell_package(*, actor: Actor, patient, product: PackageProduct) -> PackageSale:
    """Sell `product` to the patient: its name, sessions and price are copied, so a later
    change of the product leaves the sale as sold."""
    if product.clinic_id != patient.clinic_id or not product.is_active:
        raise Refused({"product": "Choose a package the clinic offers."})
    with transaction.atomic():
        sale = PackageSale.objects.create(
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            product=product,
            name=product.name,
            sessions=product.sessions,
            price=product.price,
            sold_at=timezone.now(),
            sold_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=sale)
    return sale


def _session_charged(session_id: int) -> Decimal:
    return (
        Charge.objects.filter(session_id=session_id, void__isnull=True)
        .exclude(origin__in=[ChargeOrigin.LATE_CANCEL, ChargeOrigin.NO_SHOW])
        .aggregate(total=Sum("total"))["total"]
        or ZERO
    )


def draw_down(*, actor: Actor, package: PackageSale, session) -> PackageDrawDown:
    """Take one dose from `package` for the completed `session`, crediting the session's
    charges. Refused when the package is used up or refunded: the package row is locked
    first, so two doses drawing its last session at once get one draw-down between them."""
    with transaction.atomic():
        locked = PackageSale.objects.select_for_update().get(pk=package.pk)
        used = PackageDrawDown.objects.filter(package_id=locked.pk).count()
        if used >= locked.sessions:
            raise Refused({"package_id": "Every session of this package is used."})
        if PackageRefund.objects.filter(package_id=locked.pk).exists():
            raise Refused({"package_id": "This package was refunded."})
        if PackageDrawDown.objects.filter(session_id=session.pk).exists():
            raise Refused({"session": "This session was drawn from a package already."})
        drawn = PackageDrawDown.objects.create(
            package=locked,
            session_id=session.pk,
            patient_id=locked.patient_id,
            amount=_session_charged(session.pk),
            drawn_at=timezone.now(),
        )
        record_access(actor, AccessAction.CREATE, patient=session.patient, obj=drawn)
    return drawn


def draw_down_for(*, actor: Actor, session) -> PackageDrawDown | None:
    """A completed dose is drawn from the patient's oldest package with a session left
    (none: the patient pays per session)."""
    packages = PackageSale.objects.filter(
        patient_id=session.patient_id, refund__isnull=True
    ).order_by("sold_at", "id")
    for package in packages:
        try:
            return draw_down(actor=actor, package=package, session=session)
        except Refused:
            continue
    return None


def refund_package(
    *,
    actor: Actor,
    package: PackageSale,
    reauthentication: step_up.Reauthentication | None,
    note: str = "",
) -> PackageRefund:
    """Close a package early: its unused part is credited by the clinic's rule
    (`rules.package_refund`) and the money paid for it is handed back up to that amount,
    against the package's payments. No session is drawn from it afterwards."""
    from kapcare.pricing.cost import dosing_price

    step_up.require(reauthentication, actor, what="refund a package")
    with transaction.atomic():
        locked = (
            PackageSale.objects.select_for_update()
            .select_related("clinic", "patient", "product")
            .get(pk=package.pk)
        )
        if PackageRefund.objects.filter(package_id=locked.pk).exists():
            raise Refused({"__all__": "This package was refunded already."})
        used = PackageDrawDown.objects.filter(package_id=locked.pk).count()
        clinic = locked.clinic
        from kapcare.episodes.models import Episode

        route = (
            Episode.objects.filter(patient_id=locked.patient_id)
            .order_by("-id")
            .values_list("dose_route", flat=True)
            .first()
        )
        due = rules.package_refund(
            sessions=locked.sessions,
            used=used,
            price=locked.price,
            rule=clinic.package_refund_rule,
            fee=clinic.package_refund_fee,
            single_session_price=dosing_price(clinic, route) if route else None,
        )
        closed = PackageRefund.objects.create(
            package=locked,
            patient_id=locked.patient_id,
            unused=due.unused,
            amount=due.amount,
            explanation=due.explanation[:200],
            refunded_at=timezone.now(),
            refunded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=locked.patient, obj=closed)
        owed = due.amount
        for payment in locked.payments.filter(kind=PaymentKind.PAYMENT).order_by("-id"):
            if owed <= 0:
                break
            back = min(refundable(payment), owed)
            if back > 0:
                record_refund(
                    actor=actor, payment=payment, amount=str(back), note=note, package=locked
                )
                owed -= back
    return closed


# --- The ledger --------------------------------------------------------------------------------


@dataclass
class CourseMoney:
    """An episode's charges beside its newest Good Faith Estimate (the clinic's part)."""

    episode: object
    billed: Decimal
    estimated: Decimal | None
    estimate_version: int | None
    is_over: bool

    @property
    def excess(self) -> Decimal | None:
        return None if self.estimated is None else self.billed - self.estimated


@dataclass
class Ledger:
    lines: list[rules.Line]
    balance: Decimal
    charges: list[Charge]
    payments: list[Payment]
    packages: list[dict] = field(default_factory=list)
    courses: list[CourseMoney] = field(default_factory=list)


def _estimated_by_clinic(content: dict) -> Decimal:
    """The clinic's own part of an estimate (its first provider block): the dispute
    threshold is per provider (45 CFR 149.620)."""
    providers = content.get("providers") or []
    items = providers[0].get("items", []) if providers else []
    return sum(
        (Decimal(item["expected_charge"]) for item in items if item.get("expected_charge")), ZERO
    )


def ledger_of(patient) -> Ledger:
    """The patient's ledger, oldest first, with the balance summed from its lines, the
    packages with sessions left and each course's charges against its estimate. A fixed
    number of queries, however long the history."""
    from kapcare.billing.models import GoodFaithEstimate

    charges = list(
        Charge.objects.filter(patient_id=patient.pk)
        .select_related("void", "session")
        .order_by("posted_at", "id")
    )
    payments = list(
        Payment.objects.filter(patient_id=patient.pk)
        .select_related("session", "package")
        .order_by("recorded_at", "id")
    )
    sales = list(
        PackageSale.objects.filter(patient_id=patient.pk)
        .select_related("refund")
        .order_by("sold_at", "id")
    )
    draws = list(
        PackageDrawDown.objects.filter(patient_id=patient.pk)
        .select_related("package")
        .order_by("drawn_at", "id")
    )
    lines = []
    charged_sessions = {c.session_id for c in charges if c.session_id and not is_voided(c)}
    for charge in charges:
        code = f"{charge.system} {charge.code}".strip()
        label = f"{code}: {charge.description}" if code else charge.description
        if charge.modifiers:
            label += f" (modifiers {charge.modifiers})"
        if charge.units > 1:
            label += f" × {charge.units}"
        lines.append(rules.Line(charge.posted_at, "charge", label, charge.total))
        if is_voided(charge):
            void = charge.void
            lines.append(
                rules.Line(void.voided_at, "void", f"Void of {label}: {void.reason}", -charge.total)
            )
    for payment in payments:
        method = payment.get_method_display()
        if payment.kind == PaymentKind.REFUND:
            lines.append(
                rules.Line(
                    payment.recorded_at,
                    "refund",
                    f"Refund ({method})",
                    payment.amount,
                    payment.reference,
                )
            )
            continue
        what = f"Payment ({method})"
        if payment.is_deposit:
            applied = payment.session_id in charged_sessions
            what = f"Deposit ({method}), " + (
                "applied to the session's charges" if applied else "holding a booked session"
            )
        elif payment.package_id:
            what += f" for {payment.package.name}"
        lines.append(
            rules.Line(payment.recorded_at, "payment", what, -payment.amount, payment.reference)
        )
    used: dict[int, int] = {}
    for draw in draws:
        used[draw.package_id] = used.get(draw.package_id, 0) + 1
        lines.append(
            rules.Line(
                draw.drawn_at,
                "draw_down",
                f"Dose taken from {draw.package.name}",
                -draw.amount,
            )
        )
    packages = []
    for sale in sales:
        lines.append(
            rules.Line(
                sale.sold_at,
                "package",
                f"Package sold: {sale.name} ({sale.sessions} sessions)",
                sale.price,
            )
        )
        refund = _refund_of(sale)
        if refund is not None:
            lines.append(
                rules.Line(
                    refund.refunded_at,
                    "package_refund",
                    f"Unused part of {sale.name} credited: {refund.explanation}",
                    -refund.amount,
                )
            )
        packages.append(
            {
                "sale": sale,
                "used": used.get(sale.pk, 0),
                "left": 0 if refund else sale.sessions - used.get(sale.pk, 0),
                "refund": refund,
            }
        )
    lines.sort(key=lambda line: line.at)
    episodes = {c.episode_id for c in charges if c.episode_id}
    courses = []
    if episodes:
        billed: dict[int, Decimal] = {}
        for charge in charges:
            if (
                charge.episode_id
                and not is_voided(charge)
                and charge.origin
                in (
                    ChargeOrigin.SESSION,
                    ChargeOrigin.CORRECTION,
                )
            ):
                billed[charge.episode_id] = billed.get(charge.episode_id, ZERO) + charge.total
        newest = {}
        for estimate in (
            GoodFaithEstimate.objects.filter(episode_id__in=episodes)
            .select_related("episode")
            .order_by("episode_id", "-version")
        ):
            newest.setdefault(estimate.episode_id, estimate)
        threshold = patient.clinic.estimate_excess_threshold
        for episode_id, amount in billed.items():
            estimate = newest.get(episode_id)
            estimated = _estimated_by_clinic(estimate.content) if estimate else None
            courses.append(
                CourseMoney(
                    episode=estimate.episode if estimate else None,
                    billed=amount,
                    estimated=estimated,
                    estimate_version=estimate.version if estimate else None,
                    is_over=rules.is_over_estimate(amount, estimated, threshold),
                )
            )
    return Ledger(
        lines=lines,
        balance=rules.balance(lines),
        charges=charges,
        payments=payments,
        packages=packages,
        courses=courses,
    )


def is_voided(charge: Charge) -> bool:
    try:
        return charge.void is not None
    except ChargeVoid.DoesNotExist:
        return False


def _refund_of(sale: PackageSale):
    try:
        return sale.refund
    except PackageRefund.DoesNotExist:
        return None


def charges_between(patient, start: dt.date, end: dt.date) -> list[Charge]:
    """The patient's charges in force (not voided) for services from `start` to `end`:
    what a superbill or a statement lists."""
    return list(
        Charge.objects.filter(
            patient_id=patient.pk, service_on__gte=start, service_on__lte=end, void__isnull=True
        ).order_by("service_on", "id")
    )
