"""The therapist's portal, beside the shared record (`/shared/patients/<id>/`)."""

from django.urls import path

from kapcare.therapists import portal_views

app_name = "therapist_portal"
urlpatterns = [
    path(
        "shared/patients/<uuid:patient_id>/sessions/record/",
        portal_views.record_new_session,
        name="record_new_session",
    ),
    path(
        "shared/sessions/<uuid:session_id>/record/",
        portal_views.record_planned_session,
        name="record_planned_session",
    ),
    path(
        "shared/patients/<uuid:patient_id>/questionnaires/send/",
        portal_views.send_questionnaire,
        name="send_questionnaire",
    ),
]
