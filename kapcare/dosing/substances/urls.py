"""The ketamine register: a session's use (from the record page) and the clinic's
register with stock received and corrections."""

from django.urls import include, path

from kapcare.dosing.substances import views

app_name = "substances"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/substances/", views.session_use, name="session_use"),
    path("controlled-substances/", views.register, name="register"),
    path("controlled-substances/lots/<path:lot_number>/", views.lot, name="lot"),
    path("controlled-substances/stock/", views.receive, name="receive"),
    path("controlled-substances/corrections/", views.correct, name="correct"),
    path("", include("kapcare.dosing.substances.inventory.urls")),
]
