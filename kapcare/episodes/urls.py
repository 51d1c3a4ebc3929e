"""Episode pages: open, view (timeline), change state, sessions."""

from django.urls import path  # noqa: F401

app_name = "episodes"
urlpatterns: list = []
