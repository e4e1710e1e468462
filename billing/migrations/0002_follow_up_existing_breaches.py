"""Breach alerts from before `SlaAlert.followed_up_at`: the old catch-up credited breaches
of the last two days, so older ones and credited ones count as followed up; the rest are
left to the new catch-up, which credits them once if their plan says so."""

import datetime as dt

from django.db import migrations
from django.db.models import Exists, F, OuterRef, Q


def follow_up_existing(apps, schema_editor):
    SlaAlert = apps.get_model("sla", "SlaAlert")
    PenaltyCredit = apps.get_model("billing", "PenaltyCredit")
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    credited = PenaltyCredit.objects.filter(clock=OuterRef("clock"))
    SlaAlert.objects.filter(kind="breach", followed_up_at__isnull=True).filter(
        Q(fired_at__lt=cutoff) | Q(Exists(credited))
    ).update(followed_up_at=F("fired_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("sla", "0006_fan_out_sweep"),
    ]

    operations = [migrations.RunPython(follow_up_existing, migrations.RunPython.noop)]
