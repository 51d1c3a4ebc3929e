"""Series planning: propose, adjust and book an episode's sessions in one step."""

from django.urls import path

from kapcare.episodes import series_views

app_name = "series"
urlpatterns = [
    path("episodes/<uuid:episode_id>/series/", series_views.plan, name="plan"),
]
