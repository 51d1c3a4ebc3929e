"""The admin's price list page: the dosing-session price of each route, the clinic's other
items, one line edited. Prices are clinic records with no patient data; each change is
logged by `cost.save_price_items`. The therapist's fee is entered on each episode."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kapcare.audit.log import Actor
from kapcare.clinics.models import PriceKind, PriceListItem
from kapcare.decorators import allowed
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.pricing import cost
from kapcare.pricing.forms import DosingPricesForm, PriceItemForm

DOSING, ADD = "dosing", "add"


@allowed(Action.MANAGE_PRICE_LIST)
def price_list(request: HttpRequest) -> HttpResponse:
    """Both forms on one page, each saved by its own button: an error in one keeps what
    was typed there, and the other stays as stored."""
    clinic = request.user.clinic
    items = cost.price_list(clinic)
    dosing = [item for item in items if item.kind == PriceKind.DOSING_SESSION]
    section = request.POST.get("section") if request.method == "POST" else None
    dosing_form = DosingPricesForm(request.POST if section == DOSING else None, items=dosing)
    add_form = PriceItemForm(request.POST if section == ADD else None, prefix="new")
    actor = Actor.from_request(request)
    if section == DOSING and dosing_form.is_valid():
        saved = cost.save_price_items(actor=actor, clinic=clinic, items=dosing_form.changed_items())
        messages.success(request, "Dosing prices saved." if saved else "Nothing had changed.")
        return redirect("cost:price_list")
    if section == ADD and add_form.is_valid():
        item = add_form.save(commit=False)
        item.kind = PriceKind.OTHER
        cost.save_price_items(actor=actor, clinic=clinic, items=[item])
        messages.success(request, f"“{item.name}” added to the price list.")
        return redirect("cost:price_list")
    return render(
        request,
        "pricing/price_list.html",
        {
            "dosing_form": dosing_form,
            "add_form": add_form,
            "others": [item for item in items if item.kind != PriceKind.DOSING_SESSION],
        },
    )


@allowed(Action.MANAGE_PRICE_LIST)
def price_edit(request: HttpRequest, price_id) -> HttpResponse:
    item = PriceListItem.objects.filter(
        clinic_id=request.user.clinic_id, external_id=parse_external_id(price_id)
    ).first()
    if item is None:
        raise Http404("No such price.")
    title = item.name  # the form writes what was typed onto `item`
    form = PriceItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            cost.save_price_items(
                actor=Actor.from_request(request),
                clinic=request.user.clinic,
                items=[form.save(commit=False)],
            )
            messages.success(request, f"“{form.instance.name}” saved.")
        else:
            messages.success(request, "Nothing had changed.")
        return redirect("cost:price_list")
    return render(request, "pricing/price_edit.html", {"form": form, "item": item, "title": title})
