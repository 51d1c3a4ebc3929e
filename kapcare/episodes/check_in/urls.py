"""Checking a patient in for a session (the Today board's button)."""

from django.urls import path

from kapcare.episodes.check_in import views

app_name = "check_in"
urlpatterns = [
    path("sessions/<uuid:session_id>/check-in/", views.check_in, name="check_in"),
]
