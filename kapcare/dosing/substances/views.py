"""The ketamine register: a session's use on the record page (its lines, what the session
drew, gave, wasted and returned, and the form), and the clinic's register page (per lot,
every line with the stock after it, the discrepancies at the top, stock received and
corrections).

The arithmetic and the discrepancies are `rules.reconcile`'s; the writes are
`services`' (each logged in its transaction). The register names patients, so each
showing of it logs them as listed (`record_list_access`), in one insert.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from kapcare import policy
from kapcare.accounts import second_person
from kapcare.audit.log import Actor, record_list_access
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.models import (
    ControlledSubstanceEntry,
    DosingRecord,
    Drug,
    RegisterLine,
    RegisterLot,
)
from kapcare.dosing.substances import rules, services
from kapcare.dosing.substances.forms import CorrectionForm, ReceiveStockForm, SessionUseForm
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.substances.rules import mg
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.refusals import submit


def _session_day(record: DosingRecord | None, zone):
    if record is None:
        return None
    moment = record.dose_started_at or record.session.planned_start
    return timezone.localtime(moment, zone).date()


def _plain(entry: ControlledSubstanceEntry, zone) -> rules.Entry:
    return rules.Entry(
        id=entry.pk,
        lot_number=entry.lot_number,
        kind=entry.kind,
        amount_mg=entry.amount_mg,
        recorded_at=timezone.localtime(entry.recorded_at, zone),
        session=entry.record_id,
        session_date=_session_day(entry.record, zone),
        has_witness=entry.witness_id is not None,
        corrects_id=entry.corrects_id,
    )


def _lots(record: DosingRecord) -> list[tuple[str, str]]:
    """The lots with ketamine on hand at the record's clinic (and the lot the record
    names), latest expiry first, as choices: the kept lots, not the register's lines."""
    rows = services.register_lots(record.clinic_id, in_stock=True, keep=record.lot_number)
    return [(number, _lot_label(number, expiry)) for number, (expiry, _) in rows.items()]


def _lot_label(number: str, expiry) -> str:
    return f"{number} (expires {expiry:%b} {expiry.day}, {expiry.year})" if expiry else number


# --- On the record page -----------------------------------------------------------------------


def part_context(request: HttpRequest, record: DosingRecord, form: SessionUseForm | None = None):
    """The session's lines of the register, what it took from each lot, and the form."""
    zone = record.clinic.zone
    entries = list(
        ControlledSubstanceEntry.objects.filter(record_id=record.pk).select_related(
            "recorded_by", "witness"
        )
    )
    for entry in entries:
        entry.record = record  # one record: no query per line
    register = rules.reconcile(_plain(e, zone) for e in entries)
    uses = [(lot.lot_number, use) for lot in register.lots for use in lot.sessions]
    # Esketamine's devices are drawn and given one by one on its own part: no form by mg.
    is_esketamine = record.drug == Drug.ESKETAMINE
    can_record = (
        not is_esketamine
        and not record.is_signed
        and policy.can(request.user, Action.RECORD_CONTROLLED_SUBSTANCE, record)
    )
    if can_record and form is None:
        form = _session_use_form(request, record)
    return {
        "entries": [(entry, mg(entry.amount_mg)) for entry in entries],
        "uses": [
            {
                "lot_number": lot_number,
                "drawn": mg(use.drawn_mg),
                "given": mg(use.given_mg),
                "wasted": mg(use.wasted_mg),
                "returned": mg(use.returned_mg),
                "discrepancy": use.discrepancy,
            }
            for lot_number, use in uses
        ],
        "dose": mg(record.dose_mg) if record.dose_mg is not None else None,
        "is_esketamine": is_esketamine,
        "can_record": can_record,
        "form": form if can_record else None,
        "can_view_register": policy.can(request.user, Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER),
    }


def _session_use_form(request: HttpRequest, record: DosingRecord, data=None) -> SessionUseForm:
    return SessionUseForm(
        data,
        lots=_lots(record),
        initial={
            "lot_number": record.lot_number,
            "given_mg": record.dose_mg,
            "wasted_mg": 0,
            "returned_mg": 0,
        },
    )


def _witness(request: HttpRequest, form) -> second_person.SecondPerson:
    """The witness who typed their own email and password on `form`, not the person
    signed in (who drew or received the ketamine); refused at the fields otherwise."""
    return second_person.confirm_second_person(
        request,
        email=form.cleaned_data["second_email"],
        password=form.cleaned_data["second_password"],
        acting_user=request.user,
    )


@require_POST
@allowed(Action.RECORD_CONTROLLED_SUBSTANCE)
def session_use(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.RECORD_CONTROLLED_SUBSTANCE, log_as=None)
    if record.drug == Drug.ESKETAMINE:  # the service refuses it too; the part has no such form
        messages.error(request, services.ESKETAMINE_BY_DEVICE)
        return back_to_record(record, "#esketamine")
    form = _session_use_form(request, record, request.POST)

    def write(data):
        witness = _witness(request, form) if form.has_witness else None
        return services.record_session_use(
            actor=Actor.from_request(request),
            record=record,
            lot_number=data["lot_number"],
            drawn_mg=data["drawn_mg"],
            given_mg=data["given_mg"],
            wasted_mg=data["wasted_mg"],
            returned_mg=data["returned_mg"],
            witness=witness,
            note=data["note"],
        )

    if submit(form, write) is not None:
        messages.success(request, "Ketamine use recorded in the register.")
        return back_to_record(record, "#substances")
    return render_refused(request, record, substances={"form": form})


# --- The register -----------------------------------------------------------------------------

# The latest lines of each lot the register page shows; the lot's page shows the rest, a
# page at a time, newest first.
LATEST_LINES = 5
LOT_PAGE_LINES = 50
# The lots in stock (or not reconciling) whose latest lines the register page shows at once.
OPEN_LOTS_PAGE = 20


@dataclass(frozen=True)
class RegisterRow:
    line: RegisterLine
    entry: ControlledSubstanceEntry
    amount: str
    balance: str
    correction_form: CorrectionForm | None
    kept_until: date


def _shown_entries(ids) -> dict[int, ControlledSubstanceEntry]:
    """The register lines `ids`, with what their rows show, in one query."""
    return ControlledSubstanceEntry.objects.select_related(
        "recorded_by", "witness", "patient", "record__session", "corrects"
    ).in_bulk(ids)


def _lot_facts(lot: RegisterLot, first: ControlledSubstanceEntry | None, rows, zone) -> dict:
    """What the register's pages show of a lot, from its kept state (`lots.restate`):
    `first`, its first line, when its identity is shown."""
    last_day = timezone.localtime(lot.last_recorded_at, zone).date()
    return {
        "lot_number": lot.lot_number,
        "first": first,
        "expiry": first.lot_expiry if first is not None else lot.lot_expiry,
        "drug": first.get_drug_display() if first is not None else lot.drug,
        "stock": mg(lot.stock_mg),
        "received": mg(lot.received_mg),
        "discrepancies": lot.discrepancies,
        "lines": lot.line_count,
        "kept_until": rules.kept_until(last_day),
        "rows": rows,
    }


def _rows(request, lines, entries, zone, correction_form, *, correctable=True):
    """The rows of `lines` (their entries in `entries`), each with its correction form
    when `correctable` (the one bound to `correction_form`'s line, when it was refused)."""
    can_record = correctable and policy.can(request.user, Action.RECORD_CONTROLLED_SUBSTANCE)
    bound_id = correction_form["entry"].value() if correction_form is not None else None

    def correction_form_for(entry) -> CorrectionForm | None:
        if not can_record:
            return None
        if bound_id is not None and str(bound_id) == str(entry.external_id):
            return correction_form
        return CorrectionForm(entry_id=entry.external_id)

    return [
        RegisterRow(
            line=line,
            entry=entries[line.entry_id],
            amount=mg(entries[line.entry_id].amount_mg),
            balance=mg(line.balance_after_mg),
            correction_form=correction_form_for(entries[line.entry_id]),
            kept_until=rules.kept_until(timezone.localtime(line.recorded_at, zone).date()),
        )
        for line in lines
    ]


def _log_shown(request: HttpRequest, entries) -> None:
    shown = {entry.patient_id: entry.patient for entry in entries if entry.patient_id}
    record_list_access(Actor.from_request(request), shown.values())


def _latest_lines(clinic_id: int, shown_lots: list[RegisterLot]) -> dict[str, list]:
    """The latest `LATEST_LINES` lines of each lot of `shown_lots`, newest first, read by
    their places in their lots (one query, through the lines' unique places)."""
    if not shown_lots:
        return {}
    places = Q()
    for lot in shown_lots:
        places |= Q(lot_number=lot.lot_number, line_number__gt=lot.line_count - LATEST_LINES)
    latest: dict[str, list] = {lot.lot_number: [] for lot in shown_lots}
    for line in RegisterLine.objects.filter(places, clinic_id=clinic_id).order_by(
        "lot_number", "-line_number"
    ):
        latest[line.lot_number].append(line)
    return latest


def _register_page(
    request: HttpRequest,
    *,
    receive_form: ReceiveStockForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Every lot as it reconciles (kept with the lot as its lines are written), and the
    latest lines of the lots still in stock or that do not reconcile, `OPEN_LOTS_PAGE`
    lots a page (`after`: the lot the page follows); each lot's lines are on its own page."""
    user = request.user
    clinic = user.clinic
    zone = clinic.zone
    kept = list(RegisterLot.objects.filter(clinic_id=clinic.pk, line_count__gt=0))
    open_lots = [lot for lot in kept if lot.is_open]
    after = request.GET.get("after")
    numbers = [lot.lot_number for lot in open_lots]
    start = numbers.index(after) + 1 if after in numbers else 0
    shown = open_lots[start : start + OPEN_LOTS_PAGE]
    more = open_lots[start + OPEN_LOTS_PAGE :]
    latest = _latest_lines(clinic.pk, shown)
    entries = _shown_entries(
        [lot.first_entry_id for lot in shown]
        + [line.entry_id for lines in latest.values() for line in lines]
    )
    facts = [
        _lot_facts(
            lot,
            entries[lot.first_entry_id],
            _rows(request, latest[lot.lot_number], entries, zone, None, correctable=False),
            zone,
        )
        for lot in shown
    ]
    _log_shown(request, (row.entry for lot in facts for row in lot["rows"]))
    can_record = policy.can(user, Action.RECORD_CONTROLLED_SUBSTANCE)
    return render(
        request,
        "dosing/substances_register.html",
        {
            "clinic": clinic,
            "lots": facts,
            "open_lots": len(open_lots),
            "later_lots": shown[-1].lot_number if more else None,
            "is_first_page": start == 0,
            "emptied_lots": [_lot_facts(lot, None, [], zone) for lot in kept if not lot.is_open][
                ::-1
            ],
            "any_lot": bool(kept),
            "latest_lines": LATEST_LINES,
            "discrepancies": [
                (lot.lot_number, sentence) for lot in kept for sentence in lot.discrepancies
            ],
            "can_record": can_record,
            "retention_years": rules.RETENTION_YEARS,
            "receive_form": receive_form or (ReceiveStockForm() if can_record else None),
            "dea": inventory_services.register_summary(clinic),
        },
        status=status,
    )


def _lot_page(
    request: HttpRequest,
    lot_number: str,
    *,
    cursor: str | None = None,
    starting_at: int | None = None,
    correction_form: CorrectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """One lot as it reconciles, its lines newest first a page at a time (`cursor`: the
    place in the lot of the line the page follows, as the "Older" link carries it; or
    `starting_at`, the line a page starts with), each with the stock after it."""
    clinic = request.user.clinic
    zone = clinic.zone
    lot = RegisterLot.objects.filter(
        clinic_id=clinic.pk, lot_number=lot_number, line_count__gt=0
    ).first()
    if lot is None:
        raise Http404("No such lot in this clinic's register.")
    lines = RegisterLine.objects.filter(clinic_id=clinic.pk, lot_number=lot_number).order_by(
        "-line_number"
    )
    after = int(cursor) if cursor and cursor.isdigit() else None
    if after is not None:
        lines = lines.filter(line_number__lt=after)
    if starting_at is not None:
        place = lines.filter(pk=starting_at).values_list("line_number", flat=True).first()
        lines = lines.filter(line_number__lte=place) if place else lines.none()
    page = list(lines[: LOT_PAGE_LINES + 1])
    older = str(page[LOT_PAGE_LINES - 1].line_number) if len(page) > LOT_PAGE_LINES else None
    page = page[:LOT_PAGE_LINES]
    entries = _shown_entries([lot.first_entry_id] + [line.entry_id for line in page])
    facts = _lot_facts(
        lot,
        entries[lot.first_entry_id],
        _rows(request, page, entries, zone, correction_form),
        zone,
    )
    _log_shown(request, (row.entry for row in facts["rows"]))
    return render(
        request,
        "dosing/substances_lot.html",
        {
            "clinic": clinic,
            "lot": facts,
            "older": older,
            "page_lines": LOT_PAGE_LINES,
            "is_first_page": after is None and starting_at is None,
            "can_correct": policy.can(request.user, Action.RECORD_CONTROLLED_SUBSTANCE),
            "retention_years": rules.RETENTION_YEARS,
        },
        status=status,
    )


def lot_url(lot_number: str) -> str:
    return reverse("substances:lot", args=[lot_number])


@require_safe
@allowed(Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER)
def register(request: HttpRequest) -> HttpResponse:
    return _register_page(request)


@require_safe
@allowed(Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER)
def lot(request: HttpRequest, lot_number: str) -> HttpResponse:
    return _lot_page(request, lot_number, cursor=request.GET.get("cursor"))


@require_POST
@allowed(Action.RECORD_CONTROLLED_SUBSTANCE)
def receive(request: HttpRequest) -> HttpResponse:
    form = ReceiveStockForm(request.POST)

    def write(data):
        return services.receive_stock(
            actor=Actor.from_request(request),
            clinic=request.user.clinic,
            lot_number=data["lot_number"],
            lot_expiry=data["lot_expiry"],
            amount_mg=data["amount_mg"],
            note=data["note"],
            witness=_witness(request, form),
            drug=data["drug"] or Drug.KETAMINE,
            drug_name=data["drug_name"],
            strength=data["strength"],
            dosage_form=data["dosage_form"],
            ndc=data["ndc"],
        )

    if submit(form, write) is not None:
        messages.success(request, f"Lot {form.cleaned_data['lot_number']} received.")
        return redirect(reverse("substances:register"))
    return _register_page(request, receive_form=form, status=422)


@require_POST
@allowed(Action.RECORD_CONTROLLED_SUBSTANCE)
def correct(request: HttpRequest) -> HttpResponse:
    entry = (
        ControlledSubstanceEntry.objects.select_related("patient")
        .filter(external_id=parse_external_id(request.POST.get("entry", "")))
        .first()
    )
    if entry is None or not policy.can(request.user, Action.RECORD_CONTROLLED_SUBSTANCE, entry):
        raise Http404("No such line in this clinic's register.")
    form = CorrectionForm(request.POST, entry_id=entry.external_id)

    def write(data):
        return services.correct_entry(
            actor=Actor.from_request(request),
            entry=entry,
            amount_mg=data["amount_mg"],
            note=data["note"],
        )

    if submit(form, write) is not None:
        messages.success(request, "Correction added to the register.")
        return redirect(lot_url(entry.lot_number))
    return _lot_page(
        request, entry.lot_number, starting_at=entry.pk, correction_form=form, status=422
    )
