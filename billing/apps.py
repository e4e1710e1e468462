from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from sla.signals import breaches_committed

        from .receivers import credit_after_breaches

        breaches_committed.connect(credit_after_breaches, dispatch_uid="billing-credit-breaches")
