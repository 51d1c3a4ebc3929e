from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kapcare.scheduling"
    label = "scheduling"
    verbose_name = "Rooms, working hours and appointments"
