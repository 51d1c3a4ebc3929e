"""What the journal adds to the portal and to the shared record."""


def register() -> None:
    pass
