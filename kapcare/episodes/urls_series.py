"""Series planning: propose, adjust and book an episode's sessions in one step."""

from django.urls import path  # noqa: F401

app_name = "series"
urlpatterns: list = []
