"""Rooms, working hours, time off, and the coordinator's day and week views."""

from django.urls import path  # noqa: F401

app_name = "scheduling"
urlpatterns: list = []
