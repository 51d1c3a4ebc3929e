"""Series planning: propose, adjust and book an episode's sessions in one step."""

from django.urls import path

from kapcare.episodes.series import views

app_name = "series"
urlpatterns = [
    path("episodes/<uuid:episode_id>/series/", views.plan, name="plan"),
]
