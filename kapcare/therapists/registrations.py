"""What the directory adds to the apps below it: credential warnings on episodes and on
KAP-model doses."""


def register() -> None:
    from kapcare.episodes import gate_registry, warning_registry
    from kapcare.therapists.services import episode_warnings, therapist_gates

    warning_registry.register(episode_warnings)
    gate_registry.register(therapist_gates)
