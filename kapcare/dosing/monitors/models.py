"""The HL7 v2 messages a bedside monitor sent that kapcare recorded: one row per message
accepted, so that the same message sent again (a monitor resends when it missed our
acknowledgement) is recorded once. The unique constraint on (device, control id) makes
two crossing copies safe: the second insert fails and its reading is rolled back.

No message text is kept here (it names the patient): the reading is in the dosing record,
and this row only says which message brought it."""

import uuid

from django.db import models


class MonitorMessage(models.Model):
    device_id = models.CharField(max_length=100)
    # MSH-10, the message control id: unique per sending system (HL7 v2.5 §2.14.9.10).
    control_id = models.CharField(max_length=199)
    record = models.ForeignKey(
        "dosing.DosingRecord", on_delete=models.PROTECT, related_name="monitor_messages"
    )
    reading_id = models.UUIDField(default=uuid.uuid4)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device_id", "control_id"], name="dosing_monitor_message_once"
            )
        ]

    def __str__(self) -> str:
        return f"Message {self.control_id} from monitor {self.device_id}"
