"""The discharge part of the dosing record."""

from django.urls import path  # noqa: F401

app_name = "discharge"
urlpatterns: list = []
