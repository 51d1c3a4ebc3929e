"""What the directory adds to the apps below it: credential warnings on episodes and on
KAP-model doses."""


def register() -> None:
    pass
