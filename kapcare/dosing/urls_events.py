"""The events part of the dosing record: the dose's start and end, the infusion paused,
resumed or stopped, adverse events and their interventions. POST-only; the record page
shows them."""

from django.urls import path

from kapcare.dosing import events_views

app_name = "events"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/events/dose/", events_views.dose, name="dose"),
    path(
        "dosing-sessions/<uuid:session_id>/events/infusion/",
        events_views.infusion,
        name="infusion",
    ),
    path("dosing-sessions/<uuid:session_id>/events/adverse/", events_views.adverse, name="adverse"),
    # The event is named in the form (its opaque id), not in the URL.
    path(
        "dosing-sessions/<uuid:session_id>/events/interventions/",
        events_views.intervention,
        name="intervention",
    ),
]
