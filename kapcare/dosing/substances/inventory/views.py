"""The DEA records' pages: the printed register (page and PDF), the inventories (the list,
the count to take, one inventory printed), and the theft or loss reports (the list, the
report to file, one report printed with its submission to the DEA, and its PDF).

Who: every page is the register's (`VIEW_CONTROLLED_SUBSTANCE_REGISTER`: clinicians,
nurses and the clinic admin); taking an inventory and filing a report or its submission are
the licensed staff's. One inventory or report is fetched with the policy's object check in
the same step: another clinic's, or an unknown one, is 404. The printed register names
patients, so each showing of it logs them as listed, as the register page does; the other
pages name none.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kapcare import policy
from kapcare.audit.log import Actor, record_list_access
from kapcare.decorators import allowed
from kapcare.dosing.substances import register_print
from kapcare.dosing.substances.inventory import services
from kapcare.dosing.substances.inventory.forms import (
    InventoryForm,
    PeriodForm,
    SubmissionForm,
    TheftLossForm,
    lot_label,
)
from kapcare.dosing.substances.models import Inventory, TheftLossReport
from kapcare.dosing.substances.rules import RETENTION_YEARS, kept_until, mg
from kapcare.pagination import parse_cursor
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.refusals import submit

VIEW = Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER


def _today(clinic):
    return timezone.localdate(timezone.now(), clinic.zone)


def _pdf_response(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The printed register -----------------------------------------------------------------


# The printed register's lines a page shows (the PDF holds the whole period).
PRINT_PAGE_LINES = 100


def _printed_register_context(
    request: HttpRequest, *, after: str | None = None, page_size: int | None = None
) -> dict:
    """The register of the period asked for, whole, or `page_size` lines from just after
    `after` (a cursor: the time and id of the line the page follows)."""
    clinic = request.user.clinic
    period = PeriodForm(request.GET or None)
    # Unless a period is asked for, the month so far: the register of years is printed a
    # period at a time, not all at once.
    start, end = _today(clinic).replace(day=1), None
    if period.is_bound and period.is_valid():
        start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    printed = register_print.printed_register(
        clinic, start, end, after=parse_cursor(after), size=page_size
    )
    record_list_access(Actor.from_request(request), printed["patients"])
    following = printed["next"]
    return {
        "clinic": clinic,
        "products": printed["products"],
        "next": f"{following[0].isoformat()}_{following[1]}" if following else None,
        "is_first_page": parse_cursor(after) is None,
        "page_lines": PRINT_PAGE_LINES,
        "period": period if period.is_bound else PeriodForm(initial={"start": start}),
        "period_label": register_print.period_label(start, end),
        "start": start,
        "end": end,
        "retention_years": RETENTION_YEARS,
        "printed_at": timezone.localtime(timezone.now(), clinic.zone),
    }


@require_safe
@allowed(VIEW)
def register_printed(request: HttpRequest) -> HttpResponse:
    context = _printed_register_context(
        request, after=request.GET.get("cursor"), page_size=PRINT_PAGE_LINES
    )
    status = 422 if context["period"].errors else 200
    return render(request, "dosing/substances/register_print.html", context, status=status)


@require_safe
@allowed(VIEW)
def register_pdf(request: HttpRequest) -> HttpResponse:
    context = _printed_register_context(request)
    if context["period"].errors:
        return render(request, "dosing/substances/register_print.html", context, status=422)
    document = register_print.render_pdf("dosing/substances/pdf/register.html", context)
    return _pdf_response(document, f"controlled-substance-register-{_today(context['clinic'])}.pdf")


# --- Inventories --------------------------------------------------------------------------


def _inventory_form(request: HttpRequest, lots, data=None) -> InventoryForm:
    return InventoryForm(data, lots=lots, user=request.user)


def _counts(form: InventoryForm) -> list[services.LotCount]:
    return [
        services.LotCount(
            lot_number=form.lot_value(index, "number") or "",
            counted_mg=form.lot_value(index, "counted_mg"),
            reason=form.lot_value(index, "reason") or "",
            adjust=bool(form.lot_value(index, "adjust")),
        )
        for index in range(len(form.lots))
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(VIEW)
def inventories(request: HttpRequest) -> HttpResponse:
    """The clinic's inventories, the next biennial inventory's due date, and (for a
    clinician or nurse) the count of every lot on hand to take one."""
    user = request.user
    clinic = user.clinic
    can_take = policy.can(user, Action.TAKE_CONTROLLED_SUBSTANCE_INVENTORY)
    if request.method == "POST" and not can_take:
        raise PermissionDenied()
    lots = services.lots_on_hand(clinic.pk) if can_take else []
    form = None
    status = 200
    if can_take:
        form = _inventory_form(request, lots, request.POST if request.method == "POST" else None)
    if form is not None and form.is_bound:

        def write(data):
            return services.take_inventory(
                actor=Actor.from_request(request),
                clinic=clinic,
                kind=data["kind"],
                taken_as_of=data["taken_as_of"],
                counts=_counts(form),
                reauthentication=data["reauthentication"],
                previous_registration_number=data["previous_registration_number"],
                new_registration_number=data["new_registration_number"],
                note=data["note"],
            )

        taken = submit(form, write)
        if taken is not None:
            messages.success(request, "Inventory signed and kept.")
            return redirect(reverse("substances:inventory", args=[taken.external_id]))
        status = 422
    return render(
        request,
        "dosing/substances/inventories.html",
        {
            "clinic": clinic,
            "inventories": Inventory.objects.filter(clinic_id=clinic.pk).select_related("taken_by"),
            "next_due": services.next_biennial_due(clinic.pk),
            "today": _today(clinic),
            "form": form,
            "lot_rows": [(lot_label(lot), lot, fields) for lot, fields in form.lot_rows()]
            if form is not None
            else [],
            "stock": {lot.lot_number: mg(lot.stock_mg) for lot in lots},
        },
        status=status,
    )


def _get_inventory(request: HttpRequest, inventory_id) -> Inventory:
    found = (
        Inventory.objects.select_related("taken_by")
        .filter(external_id=parse_external_id(inventory_id))
        .first()
    )
    if found is None or not policy.can(request.user, VIEW, found):
        raise Http404("No such inventory.")
    return found


@require_safe
@allowed(VIEW)
def inventory_detail(request: HttpRequest, inventory_id) -> HttpResponse:
    taken = _get_inventory(request, inventory_id)
    counts = list(taken.counts.select_related("adjustment"))
    return render(
        request,
        "dosing/substances/inventory.html",
        {
            "inventory": taken,
            "counts": [
                (count, mg(count.expected_mg), mg(count.counted_mg), mg(count.difference_mg))
                for count in counts
            ],
            "discrepancies": [count for count in counts if count.is_discrepancy],
            "kept_until": kept_until(taken.taken_on),
            "clinic": request.user.clinic,
        },
    )


# --- Theft or loss ------------------------------------------------------------------------


def _lost(form: TheftLossForm) -> list[services.LostLot]:
    return [
        services.LostLot(
            lot_number=form.lot_value(index, "number") or "",
            quantity_mg=form.lot_value(index, "quantity_mg"),
        )
        for index in range(len(form.lots))
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(VIEW)
def losses(request: HttpRequest) -> HttpResponse:
    """The clinic's theft or loss reports (overdue notices first in words), and for a
    clinician or nurse the form to file one."""
    user = request.user
    clinic = user.clinic
    can_report = policy.can(user, Action.REPORT_CONTROLLED_SUBSTANCE_LOSS)
    if request.method == "POST" and not can_report:
        raise PermissionDenied()
    lots = services.lots_on_hand(clinic.pk) if can_report else []
    form = None
    status = 200
    if can_report:
        form = TheftLossForm(
            request.POST if request.method == "POST" else None, lots=lots, user=user
        )
    if form is not None and form.is_bound:

        def write(data):
            return services.file_theft_loss(
                actor=Actor.from_request(request),
                clinic=clinic,
                details=services.LossDetails(
                    discovered_on=data["discovered_on"],
                    kind=data["kind"],
                    description=data["description"],
                    police_notified=data["police_notified"],
                    police_department=data["police_department"],
                    police_report_number=data["police_report_number"],
                ),
                lost=_lost(form),
                reauthentication=data["reauthentication"],
            )

        report = submit(form, write)
        if report is not None:
            messages.success(
                request,
                f"Report filed: notify the DEA in writing by {report.notify_by:%b} "
                f"{report.notify_by.day}, {report.notify_by.year}.",
            )
            return redirect(reverse("substances:loss", args=[report.external_id]))
        status = 422
    today = _today(clinic)
    return render(
        request,
        "dosing/substances/losses.html",
        {
            "clinic": clinic,
            "reports": TheftLossReport.objects.filter(clinic_id=clinic.pk).select_related(
                "filed_by", "submitted_by"
            ),
            "overdue": services.overdue_reports(clinic.pk, today),
            "today": today,
            "form": form,
            "lot_rows": [(lot_label(lot), lot, fields) for lot, fields in form.lot_rows()]
            if form is not None
            else [],
        },
        status=status,
    )


def _get_report(request: HttpRequest, report_id) -> TheftLossReport:
    found = (
        TheftLossReport.objects.select_related("filed_by", "submitted_by")
        .filter(external_id=parse_external_id(report_id))
        .first()
    )
    if found is None or not policy.can(request.user, VIEW, found):
        raise Http404("No such report.")
    return found


def _report_context(request: HttpRequest, report: TheftLossReport, form=None) -> dict:
    lines = list(report.lines.all())
    can_submit = not report.is_submitted and policy.can(
        request.user, Action.REPORT_CONTROLLED_SUBSTANCE_LOSS, report
    )
    return {
        "report": report,
        "lines": [(line, mg(line.quantity_mg)) for line in lines],
        "total": mg(sum((line.quantity_mg for line in lines), start=0)),
        "kept_until": kept_until(report.discovered_on),
        "is_overdue": not report.is_submitted and report.notify_by < _today(request.user.clinic),
        "form": form or (SubmissionForm() if can_submit else None),
        "clinic": request.user.clinic,
    }


@require_safe
@allowed(VIEW)
def loss_detail(request: HttpRequest, report_id) -> HttpResponse:
    report = _get_report(request, report_id)
    return render(request, "dosing/substances/loss.html", _report_context(request, report))


@require_safe
@allowed(VIEW)
def loss_pdf(request: HttpRequest, report_id) -> HttpResponse:
    report = _get_report(request, report_id)
    document = register_print.render_pdf(
        "dosing/substances/pdf/loss.html", _report_context(request, report)
    )
    return _pdf_response(document, f"theft-or-loss-{report.external_id}.pdf")


@require_POST
@allowed(Action.REPORT_CONTROLLED_SUBSTANCE_LOSS)
def loss_submitted(request: HttpRequest, report_id) -> HttpResponse:
    report = _get_report(request, report_id)
    form = SubmissionForm(request.POST)

    def write(data):
        return services.record_submission(
            actor=Actor.from_request(request),
            report=report,
            dea_confirmation=data["dea_confirmation"],
        )

    if submit(form, write) is not None:
        messages.success(request, "Submission to the DEA recorded.")
        return redirect(reverse("substances:loss", args=[report.external_id]))
    return render(
        request, "dosing/substances/loss.html", _report_context(request, report, form), status=422
    )
