"""The ledger's pages: the patient's ledger for the staff (the front desk records payments,
refunds, packages and voids on it; clinicians read the charges), the patient's payments in
the portal, and the admin's package products. Thin: parse, call the service, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare import policy
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction
from kapcare.billing.ledger import services
from kapcare.billing.ledger.forms import (
    PaymentForm,
    RefundForm,
    RefundPackageForm,
    SellPackageForm,
    VoidChargeForm,
)
from kapcare.billing.ledger.models import PackageProduct, PaymentKind
from kapcare.decorators import allowed
from kapcare.patients.access import get_own_patient, get_patient, log_redisplay
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems

FORMS = ("payment", "refund", "package", "package_refund", "void")
# How many booked sessions a deposit may be chosen for (the next ones).
DEPOSIT_CHOICES = 10


def _choices(request, patient, ledger) -> dict:
    """What the forms offer, from the ledger already read (no query per row) and two
    bounded queries: the clinic's packages on sale, the patient's next booked sessions."""
    from kapcare.episodes.models import CareSession, SessionKind, SessionStatus

    refunded: dict[int, object] = {}
    for payment in ledger.payments:
        if payment.kind == PaymentKind.REFUND:
            refunded[payment.refund_of_id] = refunded.get(payment.refund_of_id, 0) + payment.amount
    payments = [
        (p, f"{p.recorded_at:%b %-d, %Y}: ${p.amount:,.2f} {p.get_method_display()}")
        for p in ledger.payments
        if p.kind == PaymentKind.PAYMENT and p.amount - refunded.get(p.pk, 0) > 0
    ]
    zone = patient.clinic.zone
    upcoming = CareSession.objects.filter(
        patient_id=patient.pk,
        kind=SessionKind.DOSING,
        status=SessionStatus.PLANNED,
        planned_start__gte=timezone.now(),
    ).order_by("planned_start")[:DEPOSIT_CHOICES]
    return {
        "payments": payments,
        "packages": [p["sale"] for p in ledger.packages if p["left"] and not p["refund"]],
        "all_packages": [p["sale"] for p in ledger.packages if not p["refund"]],
        "sessions": [
            (s, "Dose on " + s.planned_start.astimezone(zone).strftime("%b %-d, %Y %H:%M"))
            for s in upcoming
        ],
        "charges": [
            (c, f"{c.service_on:%b %-d}: {c.code or c.get_origin_display()} ${c.total:,.2f}")
            for c in ledger.charges
            if not services.is_voided(c)
        ],
        "products": list(
            PackageProduct.objects.filter(clinic_id=patient.clinic_id, is_active=True)
        ),
    }


def _forms(request, choices, posted=None, which=""):
    data = lambda name: posted if which == name else None  # noqa: E731
    return {
        "payment": PaymentForm(
            data("payment"),
            packages=choices["all_packages"],
            sessions=choices["sessions"],
            auto_id="payment_%s",
        ),
        "refund": RefundForm(data("refund"), payments=choices["payments"], auto_id="refund_%s"),
        "package": SellPackageForm(
            data("package"), products=choices["products"], auto_id="package_%s"
        ),
        "package_refund": RefundPackageForm(
            data("package_refund"), user=request.user, packages=choices["packages"]
        ),
        "void": VoidChargeForm(data("void"), user=request.user, charges=choices["charges"]),
    }


def _by_external_id(rows, external_id):
    return next((row for row in rows if str(row.external_id) == str(external_id)), None)


def _handle(request, patient, which, form, choices) -> str:
    """Run the chosen form's service; the success message, or raise Refused."""
    actor = Actor.from_request(request)
    data = form.cleaned_data
    if which == "payment":
        payment = services.record_payment(
            actor=actor,
            patient=patient,
            data=services.PaymentInput(
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
                note=data["note"],
                package_id=data["package_id"],
                deposit_session_id=data["deposit_session_id"],
            ),
        )
        return (
            f"{'Deposit' if payment.is_deposit else 'Payment'} of ${payment.amount:,.2f} recorded."
        )
    if which == "refund":
        payment = _by_external_id([p for p, _ in choices["payments"]], data["payment"])
        refund = services.record_refund(
            actor=actor, payment=payment, amount=data["amount"], note=data["note"]
        )
        return f"Refund of ${refund.amount:,.2f} recorded."
    if which == "package":
        product = _by_external_id(choices["products"], data["product"])
        sale = services.sell_package(actor=actor, patient=patient, product=product)
        return f"{sale.name} sold: ${sale.price:,.2f} charged."
    if which == "package_refund":
        package = _by_external_id(choices["packages"], data["package"])
        closed = services.refund_package(
            actor=actor,
            package=package,
            reauthentication=data["reauthentication"],
            note=data["note"],
        )
        return f"Package refunded: ${closed.amount:,.2f} credited ({closed.explanation})."
    charge = _by_external_id([c for c, _ in choices["charges"]], data["charge"])
    correction = None
    if data["replace"]:
        correction = services.Correction(
            units=data["units"], unit_price=data["unit_price"], modifiers=data["modifiers"] or None
        )
    replacement = services.void_charge(
        actor=actor,
        charge=charge,
        reason=data["reason"],
        reauthentication=data["reauthentication"],
        correction=correction,
    )
    return "Charge voided" + (" and replaced." if replacement else ".")


# The staff's page (the patient reads theirs in the portal): staff roles only.
@allowed(Action.VIEW_COVERAGE)
def patient_ledger(request: HttpRequest, patient_id) -> HttpResponse:
    """GET: the ledger, oldest line first, its balance, packages and each course beside its
    estimate. POST (`form` names which): the front desk records a payment, a refund, a
    package sold or refunded, or voids a charge; a problem is shown at its field with what
    was typed kept."""
    writing = request.method == "POST"
    action = Action.HANDLE_PAYMENTS if writing else Action.VIEW_LEDGER
    patient = get_patient(
        request, patient_id, action, log_as=None if writing else AccessAction.VIEW
    )
    ledger = services.ledger_of(patient)
    choices = _choices(request, patient, ledger)
    can_handle = policy.can(request.user, Action.HANDLE_PAYMENTS, patient)
    which = request.POST.get("form", "") if writing else ""
    forms = _forms(request, choices, request.POST if writing else None, which)
    status = 200
    if writing:
        form = forms.get(which)
        if form is not None and form.is_valid():
            try:
                message = _handle(request, patient, which, form, choices)
            except Refused as refusal:
                add_problems(form, refusal.problems)
            else:
                messages.success(request, message)
                return redirect("billing:patient_ledger", patient_id=patient.external_id)
        log_redisplay(request, patient)
        status = 422 if form is not None else 400
    return render(
        request,
        "billing/ledger.html",
        {
            "patient": patient,
            "ledger": ledger,
            "forms": forms if can_handle else {},
            "open_form": which,
            "can_handle": can_handle,
        },
        status=status,
    )


@allowed(Action.USE_PATIENT_PORTAL)
def portal_payments(request: HttpRequest) -> HttpResponse:
    """The patient's own charges, payments and packages, and what they owe."""
    patient = get_own_patient(request, Action.VIEW_LEDGER)
    return render(
        request,
        "billing/portal_payments.html",
        {"patient": patient, "ledger": services.ledger_of(patient)},
    )


@allowed(Action.MANAGE_PACKAGES)
def package_products(request: HttpRequest) -> HttpResponse:
    """The admin's prepaid packages: add one, take one off sale (a sale already made keeps
    what was sold)."""
    from kapcare.billing.ledger.forms import PackageProductForm

    clinic = request.user.clinic
    form = PackageProductForm(request.POST if request.POST.get("form") == "add" else None)
    if request.method == "POST":
        if request.POST.get("form") == "toggle":
            product = (
                PackageProduct.objects.filter(
                    clinic_id=clinic.pk, external_id=request.POST.get("product", "")
                ).first()
                if _is_uuid(request.POST.get("product", ""))
                else None
            )
            if product is not None:
                product.is_active = not product.is_active
                product.save(update_fields=["is_active"])
                messages.success(
                    request,
                    f"{product.name} {'on sale' if product.is_active else 'taken off sale'}.",
                )
                return redirect("billing:package_products")
        elif form.is_valid():
            PackageProduct.objects.create(
                clinic=clinic, created_at=timezone.now(), **form.cleaned_data
            )
            messages.success(request, f"{form.cleaned_data['name']} added.")
            return redirect("billing:package_products")
    products = list(PackageProduct.objects.filter(clinic_id=clinic.pk))
    return render(
        request,
        "billing/package_products.html",
        {"form": form, "products": products},
        status=422 if request.method == "POST" else 200,
    )


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
