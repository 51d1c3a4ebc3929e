"""What the journal adds to the portal and to the shared record."""


def register() -> None:
    from kapcare.journal import portal, shared
    from kapcare.patients import portal as patient_portal
    from kapcare.patients import shared as patient_shared

    patient_portal.register(
        patient_portal.PortalCard(
            key="journal", template=portal.TEMPLATE, context=portal.journal_card, order=portal.ORDER
        )
    )
    patient_shared.register(
        patient_shared.SharedSection(
            key=shared.KEY,
            template=shared.TEMPLATE,
            context=shared.shared_journal,
            order=shared.ORDER,
        )
    )
