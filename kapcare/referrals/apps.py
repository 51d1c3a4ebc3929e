from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "kapcare.referrals"
    label = "referrals"
    verbose_name = "Referrals from other systems"
