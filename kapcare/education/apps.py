from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "kapcare.education"
    label = "education"
    verbose_name = "Patient education"

    def ready(self) -> None:
        # The portal home's "Read before your next step" card reaches `patients` only
        # through its registry.
        from kapcare.education import portal

        portal.register()
