"""Each lot of every clinic's register reconciled once, and kept: a `RegisterLot` per lot
and a `RegisterLine` per line with the stock after it (`substances.lots.restate` keeps
them from now on, as lines are written). Reads each clinic's lines once, a lot at a time
reconciled with `substances.rules.reconcile`, the pure arithmetic of the register."""

import zoneinfo

from django.db import migrations
from django.db.models.functions import Coalesce, TruncDate

from kapcare.dosing.substances import rules

BATCH_SIZE = 1000


def _entries(Entry, clinic, zone):
    rows = (
        Entry.objects.filter(clinic_id=clinic.pk)
        .order_by()
        .values_list(
            "id",
            "lot_number",
            "kind",
            "amount_mg",
            "recorded_at",
            "record_id",
            TruncDate(
                Coalesce("record__dose_started_at", "record__session__planned_start"),
                tzinfo=zone,
            ),
            "witness_id",
            "corrects_id",
            "drug",
            "lot_expiry",
        )
    )
    for row in rows.iterator(chunk_size=BATCH_SIZE):
        pk, lot_number, kind, amount, at, record_id, day, witness, corrects, drug, expiry = row
        entry = rules.Entry(
            id=pk,
            lot_number=lot_number,
            kind=kind,
            amount_mg=amount,
            recorded_at=at.astimezone(zone),
            session=record_id,
            session_date=day,
            has_witness=witness is not None,
            corrects_id=corrects,
        )
        yield entry, drug, expiry


def restate(apps, schema_editor):
    Clinic = apps.get_model("clinics", "Clinic")
    Entry = apps.get_model("dosing", "ControlledSubstanceEntry")
    RegisterLot = apps.get_model("dosing", "RegisterLot")
    RegisterLine = apps.get_model("dosing", "RegisterLine")
    for clinic in Clinic.objects.all():
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        by_lot: dict[str, list] = {}
        receipts: dict[str, tuple] = {}
        for entry, drug, expiry in _entries(Entry, clinic, zone):
            by_lot.setdefault(entry.lot_number, []).append(entry)
            if entry.kind == rules.RECEIVED:
                first = receipts.get(entry.lot_number)
                if first is None or (entry.recorded_at, entry.id) < first[0]:
                    receipts[entry.lot_number] = ((entry.recorded_at, entry.id), drug, expiry)
        kept, lines = [], []
        for lot_number, entries in by_lot.items():
            (lot,) = rules.reconcile(entries).lots
            receipt = receipts.get(lot_number)
            kept.append(
                RegisterLot(
                    clinic_id=clinic.pk,
                    lot_number=lot_number,
                    first_entry_id=lot.lines[0].entry.id,
                    is_received=receipt is not None,
                    drug=receipt[1] if receipt else "",
                    lot_expiry=receipt[2] if receipt else None,
                    first_recorded_at=lot.lines[0].entry.recorded_at,
                    last_recorded_at=lot.lines[-1].entry.recorded_at,
                    line_count=len(lot.lines),
                    stock_mg=lot.stock_mg,
                    received_mg=lot.received_mg,
                    discrepancies=list(lot.discrepancies),
                    is_open=bool(lot.stock_mg or lot.discrepancies),
                )
            )
            lines += [
                RegisterLine(
                    entry_id=line.entry.id,
                    clinic_id=clinic.pk,
                    lot_number=lot_number,
                    line_number=number,
                    recorded_at=line.entry.recorded_at,
                    stock_change_mg=line.stock_change_mg,
                    balance_after_mg=line.balance_after_mg,
                )
                for number, line in enumerate(lot.lines, start=1)
            ]
        RegisterLot.objects.bulk_create(kept, batch_size=BATCH_SIZE)
        RegisterLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)


def forget(apps, schema_editor):
    apps.get_model("dosing", "RegisterLine").objects.all().delete()
    apps.get_model("dosing", "RegisterLot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0013_register_kept_by_lot"),
    ]

    operations = [migrations.RunPython(restate, forget)]
