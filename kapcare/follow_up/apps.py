from django.apps import AppConfig


class FollowUpConfig(AppConfig):
    name = "kapcare.follow_up"
    label = "follow_up"
    verbose_name = "Long-term follow-up"
