"""A dosing session's gates page: the rules, the day-of checklist, waivers and start."""

from django.urls import path  # noqa: F401

app_name = "gates"
urlpatterns: list = []
