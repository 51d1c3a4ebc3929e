"""What the dosing record adds to the apps below it, through their registries: each call
belongs to the module that owns the feature."""


def register() -> None:
    pass
