"""The dose part of the dosing record: the prescription, the second person's check, and the
set and setting (POST only; the record page shows them)."""

from django.urls import path

from kapcare.dosing.dose import views

app_name = "dose"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/dose/", views.prescribe, name="prescribe"),
    path("dosing-sessions/<uuid:session_id>/dose/confirm/", views.confirm, name="confirm"),
    path("dosing-sessions/<uuid:session_id>/setting/", views.setting, name="setting"),
]
