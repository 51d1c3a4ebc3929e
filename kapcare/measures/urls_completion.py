"""Completing questionnaires: staff on a patient's record, the patient's portal, and the
single-purpose link (its token is a secret, not a record id)."""

from django.urls import path

from kapcare.measures import completion_views as views

urlpatterns = [
    path(
        "patients/<uuid:patient_id>/questionnaires/send/",
        views.send_link,
        name="send_link",
    ),
    path(
        "patients/<uuid:patient_id>/questionnaires/enter/<slug:instrument>/",
        views.enter_for_patient,
        name="enter",
    ),
    path("portal/questionnaires/", views.portal_questionnaires, name="portal_questionnaires"),
    path(
        "portal/questionnaires/<slug:instrument>/",
        views.portal_questionnaire,
        name="portal_questionnaire",
    ),
    path("questionnaires/thank-you/", views.questionnaire_done, name="questionnaire_done"),
    path("questionnaires/<str:token>/", views.link_questionnaire, name="link"),
]
