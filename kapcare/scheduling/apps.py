from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "kapcare.scheduling"
    label = "scheduling"
    verbose_name = "Rooms, working hours and appointments"

    def ready(self) -> None:
        # The portal home's calendar card reaches `patients` only through its registry.
        from kapcare.scheduling import portal_cards

        portal_cards.register()
