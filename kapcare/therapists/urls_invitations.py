"""Inviting a therapist, the page the invitation opens (public: the token in the link is
the credential, like a password-reset link) and the therapist's own directory entry."""

from django.urls import path

from kapcare.therapists import invitation_views as views

app_name = "therapist_account"
urlpatterns = [
    path("therapists/<uuid:therapist_id>/invite/", views.invite, name="invite"),
    path("invitations/<str:token>/", views.accept, name="accept"),
    path("therapist/profile/", views.own_profile, name="own_profile"),
]
