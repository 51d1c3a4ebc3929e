"""Two-factor sign-in: setting up the authenticator app, the code after the password, and
the person's own overview with new recovery codes."""

from django.urls import path

from kapcare.accounts import second_factor_views as views

app_name = "second_factor"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("set-up/", views.enrol, name="enrol"),
    path("code/", views.verify, name="verify"),
    path("recovery-codes/", views.new_recovery_codes, name="new_recovery_codes"),
]
