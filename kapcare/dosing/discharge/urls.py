"""The discharge part of the dosing record: a discharge check and the discharge itself.
POST-only; the record page shows them."""

from django.urls import path

from kapcare.dosing.discharge import views

app_name = "discharge"
urlpatterns = [
    path(
        "dosing-sessions/<uuid:session_id>/discharge/assessment/",
        views.assessment,
        name="assessment",
    ),
    path("dosing-sessions/<uuid:session_id>/discharge/", views.discharge, name="discharge"),
]
