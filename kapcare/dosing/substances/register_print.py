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

from django.template.loader import render_to_string

from kapcare.clinics.models import Clinic
from kapcare.dosing.models import ControlledSubstanceEntry, DosageForm
from kapcare.dosing.substances import lots, rules
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


def printed_register(clinic: Clinic, start: date | None, end: date | None) -> dict:
    """The register of `clinic` for the period (either end open), ready to print, and the
    patients it names (to log). The lines up to the period's end are read lean, to carry
    each lot's stock into the period; only the period's own lines are read whole. Two
    queries."""
    zone = clinic.zone
    up_to_end = {}
    if end is not None:
        after_end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
        up_to_end = {"recorded_at__lt": after_end}
    register = rules.reconcile(lots.register_lines(clinic.pk, zone, **up_to_end))
    printed_ids = [
        line.entry.id
        for lot in register.lots
        for line in lot.lines
        if _in_period(line.entry.recorded_at.date(), start, end)
    ]
    by_id = ControlledSubstanceEntry.objects.select_related(
        "recorded_by", "witness", "patient", "corrects"
    ).in_bulk(printed_ids + [lot.lines[0].entry.id for lot in register.lots])
    products: dict[tuple[str, str, str], PrintedProduct] = {}
    patients = {}
    for lot in register.lots:
        first = by_id[lot.lines[0].entry.id]
        key = (first.drug_name or NOT_RECORDED, first.strength or NOT_RECORDED, first.dosage_form)
        product = products.setdefault(
            key, PrintedProduct(key[0], key[1], _form_label(first.dosage_form))
        )
        opening = rules.ZERO
        printed = PrintedLot(lot.lot_number, first.lot_expiry, "", "")
        for line in lot.lines:
            day = line.entry.recorded_at.date()
            if start is not None and day < start:
                opening = line.balance_after_mg
                continue
            entry = by_id[line.entry.id]
            if entry.patient_id:
                patients[entry.patient_id] = entry.patient
            printed.lines.append(
                PrintedLine(
                    entry=entry,
                    amount=mg(entry.amount_mg),
                    units=_units(abs(entry.amount_mg), entry.strength or first.strength),
                    balance=mg(line.balance_after_mg),
                    kept_until=rules.kept_until(day),
                )
            )
        printed.opening = mg(opening)
        printed.closing = printed.lines[-1].balance if printed.lines else mg(opening)
        product.lots.append(printed)
    ordered = [products[key] for key in sorted(products)]
    return {"products": ordered, "patients": list(patients.values())}


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
