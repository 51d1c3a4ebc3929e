from django.urls import path

from kapcare.referrals import views

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.referral_queue, name="queue"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="detail"),
]
