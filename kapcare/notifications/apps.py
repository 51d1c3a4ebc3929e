from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kapcare.notifications"
    label = "notifications"
    verbose_name = "Notifications"
