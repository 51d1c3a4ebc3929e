"""Episode pages: open, view (timeline, state), change the plan, sessions."""

from django.urls import path

from kapcare.episodes import views

app_name = "episodes"
urlpatterns = [
    path("patients/<uuid:patient_id>/episodes/new/", views.create, name="create"),
    path("episodes/<uuid:episode_id>/", views.detail, name="detail"),
    path("episodes/<uuid:episode_id>/edit/", views.edit, name="edit"),
    path(
        "episodes/<uuid:episode_id>/sessions/new/",
        views.session_create,
        name="session_create",
    ),
    path("sessions/<uuid:session_id>/record/", views.session_record, name="session_record"),
]
