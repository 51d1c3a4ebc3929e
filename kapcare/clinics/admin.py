from django.contrib import admin

from kapcare.clinics import services
from kapcare.clinics.models import Clinic, ClinicSettingChange


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}
    # The logo is uploaded on its own page, which checks the image (kapcare/clinics/logo.py).
    exclude = ["logo"]

    def save_model(self, request, obj, form, change):
        """A change goes through `services.change_settings`, like the settings page, so it
        is in the clinic's history; a new clinic is simply created."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        services.change_settings(
            acting_user=request.user,
            clinic=obj,
            values={name: form.cleaned_data[name] for name in form.changed_data},
        )


@admin.register(ClinicSettingChange)
class ClinicSettingChangeAdmin(admin.ModelAdmin):
    """Read only: the history is written by `services.change_settings` alone."""

    list_display = ["changed_at", "clinic", "changed_by_name"]
    list_filter = ["clinic"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
