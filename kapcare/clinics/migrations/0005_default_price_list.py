"""Give every existing clinic the default dosing-session prices, one per route, at $475
(docs/clinical-reference.md#the-clinics-framework-article). Clinics made later get them
when their prices are first read (`pricing.cost.ensure_default_price_list`).

The routes and the price are copied here as they were when this migration was written, as
a migration must not follow later changes to the code. Reversing it removes nothing: the
admin may have changed the prices since.
"""

import uuid
from decimal import Decimal

from django.db import migrations

PRICE = Decimal("475.00")
ROUTES = {
    "iv": "Dosing session (intravenous)",
    "im": "Dosing session (intramuscular)",
    "sublingual": "Dosing session (sublingual)",
    "intranasal": "Dosing session (intranasal)",
}


def add_default_prices(apps, schema_editor):
    Clinic = apps.get_model("clinics", "Clinic")
    PriceListItem = apps.get_model("clinics", "PriceListItem")
    for clinic_id in Clinic.objects.values_list("pk", flat=True):
        existing = set(
            PriceListItem.objects.filter(clinic_id=clinic_id, kind="dosing_session").values_list(
                "route", flat=True
            )
        )
        PriceListItem.objects.bulk_create(
            [
                PriceListItem(
                    external_id=uuid.uuid4(),
                    clinic_id=clinic_id,
                    kind="dosing_session",
                    route=route,
                    name=name,
                    amount=PRICE,
                    is_active=True,
                )
                for route, name in ROUTES.items()
                if route not in existing
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0004_course_of_care_settings"),
    ]

    operations = [
        migrations.RunPython(add_default_prices, migrations.RunPython.noop),
    ]
