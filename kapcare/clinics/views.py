from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kapcare.clinics import services
from kapcare.clinics.forms import ClinicSettingsForm
from kapcare.clinics.models import ClinicSettingChange
from kapcare.decorators import allowed
from kapcare.policy import Action

HISTORY_SHOWN = 50


@allowed(Action.MANAGE_CLINIC_SETTINGS)
def clinic_settings(request: HttpRequest) -> HttpResponse:
    """The clinic's settings, saved through `services.change_settings` (which keeps the
    history shown under the form)."""
    clinic = request.user.clinic
    form = ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        services.change_settings(
            acting_user=request.user,
            clinic=clinic,
            values={name: form.cleaned_data[name] for name in form.Meta.fields},
            labels={name: form.fields[name].label for name in form.Meta.fields},
        )
        messages.success(request, "Clinic settings saved.")
        return redirect("clinics:settings")
    history = ClinicSettingChange.objects.filter(clinic_id=clinic.pk).select_related("changed_by")[
        :HISTORY_SHOWN
    ]
    return render(
        request, "clinics/settings.html", {"form": form, "clinic": clinic, "history": history}
    )
