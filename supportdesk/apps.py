from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = _("Support desk")

    def ready(self) -> None:
        from pathlib import Path

        from django.conf import settings

        # The embedded broker keeps its queue in folders that must exist before
        # either side of it (web enqueuing, worker consuming) touches them.
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            if key in options:
                Path(options[key]).mkdir(parents=True, exist_ok=True)
