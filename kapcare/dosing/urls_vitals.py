"""The vitals part of the dosing record."""

from django.urls import path  # noqa: F401

app_name = "vitals"
urlpatterns: list = []
