from django.urls import path

from kapcare.intake import views

app_name = "intake"
urlpatterns = [
    path("consultation/<slug:clinic_slug>/", views.request_consultation, name="request"),
    path("consultation/<slug:clinic_slug>/thanks/", views.request_received, name="thanks"),
    path("consultation-requests/", views.consultation_queue, name="queue"),
    path(
        "consultation-requests/<uuid:request_id>/",
        views.consultation_request_detail,
        name="detail",
    ),
    path(
        "consultation-requests/<uuid:request_id>/status/",
        views.change_status,
        name="change_status",
    ),
    path(
        "consultation-requests/<uuid:request_id>/convert/",
        views.convert_to_patient,
        name="convert",
    ),
]
