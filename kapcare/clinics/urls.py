from django.urls import path

from kapcare.clinics import views

app_name = "clinics"
urlpatterns = [path("", views.clinic_settings, name="settings")]
