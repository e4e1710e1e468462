"""What the SLA machinery tells other apps, so that they depend on it and not it on them.

`breaches_committed(sender, alert_ids)`: sent after the transaction that fired breach
alerts commits (never when it rolls back). Receivers only queue work; what they decide
is in their own services (billing: the penalty credit of each breach). A receiver that
cannot queue relies on its catch-up task: the alerts are in the database.
"""

from django.dispatch import Signal

breaches_committed = Signal()
