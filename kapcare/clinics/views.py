from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kapcare.clinics.forms import ClinicSettingsForm
from kapcare.decorators import allowed
from kapcare.policy import Action


@allowed(Action.MANAGE_CLINIC_SETTINGS)
def clinic_settings(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    form = ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Clinic settings saved.")
        return redirect("clinics:settings")
    return render(request, "clinics/settings.html", {"form": form, "clinic": clinic})
