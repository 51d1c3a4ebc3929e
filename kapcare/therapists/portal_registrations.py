"""What the therapist portal adds to the apps below it: the “Your sessions” section of the
shared record. Called from TherapistsConfig.ready()."""


def register() -> None:
    from kapcare.therapists import shared_sections

    shared_sections.register()
