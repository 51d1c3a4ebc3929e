"""The register as the DEA reads it (21 CFR 1304.21, 1304.22(a) and (c)): for each drug,
strength and dosage form, each lot, every receipt, administration, waste, return,
correction, adjustment and loss with its amount, the stock after it, who recorded it and
who witnessed it, and when; the registrant (name, DEA registration number, registered
address) and the period at the top, each line with the day until which it is kept
(21 CFR 1304.04(a)). Shown as a page and made into a PDF (WeasyPrint, imported only
when a PDF is made)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    DosageForm,
    RegisterLine,
    RegisterLot,
)
from kapcare.dosing.substances import rules
from kapcare.dosing.substances.inventory.rules import parse_strength
from kapcare.dosing.substances.rules import mg

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class PrintedLine:
    entry: ControlledSubstanceEntry
    amount: str
    units: str  # the amount in the form's units ("0.72 mL"), "" when the strength is unknown
    balance: str
    kept_until: date


@dataclass
class PrintedLot:
    lot_number: str
    expiry: date | None
    opening: str
    closing: str
    lines: list[PrintedLine] = field(default_factory=list)
    strength: str = ""  # as the lot's first line recorded it


@dataclass
class PrintedProduct:
    """One drug in one strength and dosage form, and its lots."""

    drug: str
    strength: str
    dosage_form: str
    lots: list[PrintedLot] = field(default_factory=list)


def _form_label(value: str) -> str:
    return DosageForm(value).label if value in DosageForm.values else NOT_RECORDED


def _units(amount: Decimal, strength: str) -> str:
    parsed = parse_strength(strength)
    if parsed is None:
        return ""
    units = parsed.units_of(amount)
    return f"{format(units.normalize(), 'f')} {parsed.unit}"


def _in_period(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _moment(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def printed_register(
    clinic: Clinic,
    start: date | None,
    end: date | None,
    *,
    after: tuple[datetime, int] | None = None,
    size: int | None = None,
) -> dict:
    """The register of `clinic` for the period (either end open), ready to print, and the
    patients it names (to log). Each line's stock after it is kept with the line
    (`lots.restate`), so only the period's own lines are read, in the order they were
    recorded: all of them, or `size` a page (from just after `after`, the time and id of
    the line a page follows; `next` says where the next page starts). A lot's balance at
    the start of the page is its first line's stock before it. The lots without a line in
    the period that held stock through it close the last page. Four queries."""
    zone = clinic.zone
    in_period = RegisterLine.objects.filter(clinic_id=clinic.pk)
    if start is not None:
        in_period = in_period.filter(recorded_at__gte=_moment(start, zone))
    if end is not None:
        in_period = in_period.filter(recorded_at__lt=_moment(end + timedelta(days=1), zone))
    if after is not None:
        moment, pk = after
        in_period = in_period.filter(
            Q(recorded_at__gt=moment) | Q(recorded_at=moment, entry_id__gt=pk)
        )
    page = in_period.order_by("recorded_at", "entry_id")
    lines = list(page[: size + 1] if size is not None else page)
    more = size is not None and len(lines) > size
    lines = lines[:size] if more else lines
    by_id = ControlledSubstanceEntry.objects.select_related(
        "recorded_by", "witness", "patient", "corrects"
    ).in_bulk([line.entry_id for line in lines])
    kept = {lot.lot_number: lot for lot in _lots_of_the_period(clinic, start, end)}
    quiet = [] if more else [lot for lot in kept.values() if _is_quiet(lot, start, end, zone)]
    on_page = {line.lot_number for line in lines}
    firsts = ControlledSubstanceEntry.objects.in_bulk(
        [kept[number].first_entry_id for number in on_page if number in kept]
        + [lot.first_entry_id for lot in quiet]
    )
    printed: dict[str, PrintedLot] = {}
    products: dict[tuple[str, str, str], PrintedProduct] = {}
    patients = {}

    def lot_of(lot: RegisterLot, opening) -> PrintedLot:
        first = firsts[lot.first_entry_id]
        key = (first.drug_name or NOT_RECORDED, first.strength or NOT_RECORDED, first.dosage_form)
        product = products.setdefault(
            key, PrintedProduct(key[0], key[1], _form_label(first.dosage_form))
        )
        shown = PrintedLot(lot.lot_number, lot.lot_expiry, mg(opening), mg(opening))
        shown.strength = first.strength
        product.lots.append(shown)
        return shown

    for line in lines:
        entry = by_id[line.entry_id]
        lot = kept[line.lot_number]
        if line.lot_number not in printed:
            printed[line.lot_number] = lot_of(lot, line.balance_after_mg - line.stock_change_mg)
        shown = printed[line.lot_number]
        if entry.patient_id:
            patients[entry.patient_id] = entry.patient
        shown.lines.append(
            PrintedLine(
                entry=entry,
                amount=mg(entry.amount_mg),
                units=_units(abs(entry.amount_mg), entry.strength or shown.strength),
                balance=mg(line.balance_after_mg),
                kept_until=rules.kept_until(timezone.localtime(line.recorded_at, zone).date()),
            )
        )
        shown.closing = shown.lines[-1].balance
    for lot in quiet:
        if lot.lot_number not in printed:
            lot_of(lot, _stock_through_the_period(lot, end))
    ordered = [products[key] for key in sorted(products)]
    for product in ordered:
        product.lots.sort(key=lambda lot: (kept[lot.lot_number].first_recorded_at, lot.lot_number))
    following = (lines[-1].recorded_at, lines[-1].entry_id) if more else None
    return {"products": ordered, "patients": list(patients.values()), "next": following}


def _lots_of_the_period(clinic: Clinic, start: date | None, end: date | None):
    """The clinic's lots, each with whether it has a line in the period (`has_line`)
    and, when the period has an end, the stock before its first line after the period if
    it has one (`after_the_period`). One query, of the lots; for a period with an end,
    two subqueries per lot, each reading one line through the index of a lot's lines by
    time (the month so far, the page's default, needs neither)."""
    kept = RegisterLot.objects.filter(clinic_id=clinic.pk, line_count__gt=0)
    if end is None:
        return [_with_line(lot, lot.last_recorded_at, None, start, clinic.zone) for lot in kept]
    lines = RegisterLine.objects.filter(clinic_id=clinic.pk, lot_number=OuterRef("lot_number"))
    after_end = _moment(end + timedelta(days=1), clinic.zone)
    from_start = lines
    if start is not None:
        from_start = lines.filter(recorded_at__gte=_moment(start, clinic.zone))
    later = (
        lines.filter(recorded_at__gte=after_end)
        .order_by("recorded_at", "line_number")
        .annotate(before=F("balance_after_mg") - F("stock_change_mg"))
        .values("before")[:1]
    )
    kept = kept.annotate(
        first_from_start=Subquery(
            from_start.order_by("recorded_at", "line_number").values("recorded_at")[:1]
        ),
        after_the_period=Subquery(later),
    )
    return [_with_line(lot, lot.first_from_start, after_end, None, clinic.zone) for lot in kept]


def _with_line(lot, moment, before, start, zone) -> RegisterLot:
    """`lot` marked with whether it has a line in the period: `moment` (its first line
    from the period's start, or its last line) falls before `before` or after `start`."""
    lot.has_line = moment is not None and (
        (before is None or moment < before) and (start is None or moment >= _moment(start, zone))
    )
    return lot


def _is_quiet(lot: RegisterLot, start: date | None, end: date | None, zone) -> bool:
    """A lot without a line in the period that was received before it and holds stock
    through it."""
    if lot.has_line or start is None or lot.first_recorded_at >= _moment(start, zone):
        return False
    return _stock_through_the_period(lot, end) != 0


def _stock_through_the_period(lot: RegisterLot, end: date | None) -> Decimal:
    """The stock of a lot with no line in the period: before its first line after the
    period, or as it stands when it has none."""
    later = getattr(lot, "after_the_period", None) if end is not None else None
    return later if later is not None else lot.stock_mg


def period_label(start: date | None, end: date | None) -> str:
    def day(value: date) -> str:
        return f"{value:%B} {value.day}, {value.year}"

    if start and end:
        return f"{day(start)} to {day(end)}"
    if start:
        return f"From {day(start)}"
    if end:
        return f"Up to {day(end)}"
    return "The whole register"


def _no_fetching():
    """A URL fetcher that refuses every protocol: nothing is fetched from outside."""
    try:  # WeasyPrint 66 and later: a fetcher object.
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover - older WeasyPrint takes a plain function

        def refuse(url, *args, **kwargs):
            raise ValueError(f"Register PDFs load nothing from outside: {url}")

        return refuse
    return URLFetcher(allowed_protocols=())


def render_pdf(template: str, context: dict) -> bytes:
    """`template` rendered with `context`, as PDF."""
    # Imported here, not with the module: WeasyPrint loads Pango and its fonts (about a
    # second), which every web process and test worker would pay whether or not it ever
    # makes a PDF.
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf()
