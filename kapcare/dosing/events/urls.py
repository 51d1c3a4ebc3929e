"""The events part of the dosing record: the dose's start and end, the infusion paused,
resumed or stopped, adverse events and their interventions. POST-only; the record page
shows them."""

from django.urls import path

from kapcare.dosing.events import views

app_name = "events"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/events/dose/", views.dose, name="dose"),
    path(
        "dosing-sessions/<uuid:session_id>/events/infusion/",
        views.infusion,
        name="infusion",
    ),
    path("dosing-sessions/<uuid:session_id>/events/adverse/", views.adverse, name="adverse"),
    # The event is named in the form (its opaque id), not in the URL.
    path(
        "dosing-sessions/<uuid:session_id>/events/interventions/",
        views.intervention,
        name="intervention",
    ),
]
