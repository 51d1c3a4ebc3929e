from django.urls import path

from kapcare.clinics import logo

app_name = "clinic_logo"
urlpatterns = [
    path("clinic-admin/settings/logo/", logo.logo_settings, name="settings"),
    path("clinics/<slug:clinic_slug>/logo/", logo.logo, name="image"),
]
