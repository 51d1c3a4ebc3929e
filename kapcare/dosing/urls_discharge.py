"""The discharge part of the dosing record: a discharge check and the discharge itself.
POST-only; the record page shows them."""

from django.urls import path

from kapcare.dosing import events_views

app_name = "discharge"
urlpatterns = [
    path(
        "dosing-sessions/<uuid:session_id>/discharge/assessment/",
        events_views.assessment,
        name="assessment",
    ),
    path("dosing-sessions/<uuid:session_id>/discharge/", events_views.discharge, name="discharge"),
]
