"""The clinic admin's page of the people who work in the clinic."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kapcare.accounts import services
from kapcare.accounts.models import STAFF_ROLES, Role, User
from kapcare.accounts.people_forms import StaffInvitationForm
from kapcare.decorators import allowed
from kapcare.policy import Action


def _staff_of(request: HttpRequest):
    return User.objects.filter(clinic_id=request.user.clinic_id, role__in=STAFF_ROLES)


@allowed(Action.MANAGE_CLINIC_STAFF)
def people(request: HttpRequest) -> HttpResponse:
    form = StaffInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.invite_user(
            invited_by=request.user,
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            role=Role(form.cleaned_data["role"]),
            credentials=form.cleaned_data["credentials"],
            clinic=request.user.clinic,
        )
        messages.success(request, f"Invitation sent to {user.email}.")
        return redirect("people:list")
    return render(
        request,
        "accounts/people.html",
        {"form": form, "staff": _staff_of(request).order_by("-is_active", "role", "full_name")},
    )


@require_POST
@allowed(Action.MANAGE_CLINIC_STAFF)
def set_active(request: HttpRequest, user_id) -> HttpResponse:
    person = _staff_of(request).filter(external_id=user_id).first()
    if person is None:
        raise Http404("No such person in this clinic.")
    if person.pk == request.user.pk:
        messages.error(request, "You cannot deactivate your own account.")
        return redirect("people:list")
    is_active = request.POST.get("active") == "1"
    services.set_active(user=person, is_active=is_active)
    messages.success(request, f"{person.full_name} is {'active' if is_active else 'deactivated'}.")
    return redirect("people:list")
