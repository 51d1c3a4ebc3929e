"""The vitals part of the dosing record: a reading posted from the bedside form, and the
live chart the record page polls."""

from django.urls import path

from kapcare.dosing.vitals import views

app_name = "vitals"
urlpatterns = [
    path(
        "dosing-sessions/<uuid:session_id>/vitals/",
        views.record_vitals,
        name="record",
    ),
    path(
        "dosing-sessions/<uuid:session_id>/vitals/live/",
        views.live,
        name="live",
    ),
]
