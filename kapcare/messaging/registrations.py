"""What messaging adds to the pages of the apps below it (chart, portal, shared record)."""


def register() -> None:
    pass
