"""A dosing session's gates page: the rules, the day-of checklist, waivers and start."""

from django.urls import path

from kapcare.episodes.gates import views

app_name = "gates"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/", views.session_gates, name="session"),
    path("dosing-sessions/<uuid:session_id>/checklist/", views.record_checklist, name="checklist"),
    path("dosing-sessions/<uuid:session_id>/waivers/", views.waive, name="waive"),
    path("dosing-sessions/<uuid:session_id>/start/", views.start, name="start"),
]
